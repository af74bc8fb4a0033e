pub struct EmbeddedPostgres;
impl EmbeddedPostgres {
    pub async fn start(_d: &std::path::Path, _db: &str) -> anyhow::Result<Self> {
        anyhow::bail!("pending")
    }
    pub fn url(&self) -> String {
        String::new()
    }
    pub async fn stop(self) -> anyhow::Result<()> {
        Ok(())
    }
}
