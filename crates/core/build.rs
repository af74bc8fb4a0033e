// sqlx::migrate!() embeds the workspace's migrations/ at compile time; rebuild when a migration
// is added or changed, or the binary would silently miss it.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
