//! What every benchmark needs: its settings from the environment, and a database of its own
//! on the server at `DATABASE_URL`, migrated, and dropped when the benchmark is done.

#![allow(dead_code)] // each benchmark is its own crate and uses part of this

use anyhow::Context;
use mission_control::storage;
use sqlx::PgPool;
use std::time::Duration;

/// `name` from the environment, else `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The nearest-rank percentile `q` of `sorted`.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1).min(sorted.len() - 1)]
}

/// A benchmark's own database, `mc_bench_<name>_<pid>`, migrated.
pub struct BenchDb {
    pub url: String,
    pub pool: PgPool,
}

impl BenchDb {
    pub async fn create(name: &str, connections: u32) -> anyhow::Result<BenchDb> {
        let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let (server, _) = base.rsplit_once('/').context("DATABASE_URL has no database name")?;
        let url = format!("{server}/mc_bench_{name}_{}", std::process::id());
        let pool = storage::connect(&url, connections, Duration::from_secs(30)).await?;
        storage::migrate(&pool).await?;
        Ok(BenchDb { url, pool })
    }

    /// Closes the pool and drops the database.
    pub async fn drop(self) -> anyhow::Result<()> {
        use sqlx::migrate::MigrateDatabase;
        self.pool.close().await;
        sqlx::Postgres::drop_database(&self.url)
            .await
            .context("dropping the benchmark database")
    }
}
