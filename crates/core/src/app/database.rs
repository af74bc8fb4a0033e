//! The database as the binary, the CLI and the adapters see it: through the core, never
//! through a pool of their own. Connecting (the database created when missing), migrating,
//! closing, the health probe, the listeners and elections that need connections of their own,
//! and the whole-database operations of the runbook — backup, restore, verify, cleanup,
//! archive — as use cases: cleanup and archive are one transaction (`Work`) with their audit
//! event, as the system acting for `cli`.

use super::leadership::{Election, ElectionTiming, RoleHandle};
use super::work::Work;
use super::{wake, App, Clock, Rules};
use crate::storage;
use chrono::{DateTime, Utc};
use mc_domain::Actor;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use crate::storage::maintenance::backup::{check_backup, BackupReport, CheckedBackup, RestoreReport};
pub use crate::storage::maintenance::retention::{parse_age, Count};
pub use crate::storage::maintenance::verify::Problem;

impl App {
    /// Connects to `url` (creating the database when the server has none by that name) and
    /// builds the core on it. Nothing is migrated: see [`App::migrate`].
    pub async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
        clock: Arc<dyn Clock>,
        rules: Rules,
    ) -> anyhow::Result<App> {
        let pool = storage::connect(url, max_connections, acquire_timeout).await?;
        Ok(App::new(pool, clock, rules))
    }

    /// Brings the schema up to this release's migrations.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        storage::migrate(&self.pool).await
    }

    /// Closes every connection (waits for those in use to be given back).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers within `within` (the health probe).
    pub async fn database_answers(&self, within: Duration) -> bool {
        matches!(tokio::time::timeout(within, storage::ping(&self.pool)).await, Ok(Ok(())))
    }

    /// An election for the lock `key` among the replicas (the poller's, the dispatcher's): it
    /// takes the lock on a connection of its own, made like the pool's.
    pub fn election(&self, key: i64, handle: RoleHandle, timing: ElectionTiming) -> Election {
        Election::new(&self.pool, key, handle, timing)
    }

    /// Feeds [`App::wakes`] from every replica's commits until `stop` resolves (one per
    /// process: `serve` runs it).
    pub async fn listen_for_wakes(&self, stop: impl Future<Output = ()>) {
        wake::listen(self.pool.clone(), self.wakes.clone(), stop).await
    }

    /// `mission-control backup`: a consistent copy of every table into `dir`.
    pub async fn backup(&self, dir: &Path, show_progress: bool) -> anyhow::Result<BackupReport> {
        storage::maintenance::backup::backup(&self.pool, dir, show_progress).await
    }

    /// `mission-control restore` of a backup checked beforehand ([`check_backup`]): migrates,
    /// refuses a database holding data unless `force`, loads everything in one transaction.
    pub async fn restore(&self, checked: CheckedBackup, force: bool) -> anyhow::Result<RestoreReport> {
        storage::maintenance::backup::restore_checked(&self.pool, checked, force).await
    }

    /// `mission-control verify-db`: what breaks the model's invariants (none when sound).
    pub async fn verify(&self) -> anyhow::Result<Vec<Problem>> {
        let mut conn = self.pool.acquire().await?;
        storage::maintenance::verify::verify(&mut conn).await
    }

    /// `mission-control cleanup --older-than`: deletes (with `dry_run`, counts) what has served
    /// its purpose, older than `cutoff`, in one transaction with its audit event.
    pub async fn cleanup(&self, cutoff: DateTime<Utc>, dry_run: bool) -> anyhow::Result<Vec<Count>> {
        let mut w = Work::begin(self, &Actor::system("cli")).await?;
        let counts = storage::maintenance::retention::cleanup(w.conn(), cutoff, dry_run).await?;
        if !dry_run {
            let data = serde_json::json!({ "olderThan": cutoff, "deleted": tally(&counts) });
            w.audit(None, "maintenance.cleanup", "database", "retention", data).await?;
        }
        w.commit().await?;
        Ok(counts)
    }

    /// `mission-control archive --older-than`: moves finished tasks with their history into
    /// `archive.*` (with `dry_run`, counts), in one transaction with its audit event.
    pub async fn archive(&self, cutoff: DateTime<Utc>, dry_run: bool) -> anyhow::Result<Vec<Count>> {
        let mut w = Work::begin(self, &Actor::system("cli")).await?;
        let counts = storage::maintenance::retention::archive(w.conn(), cutoff, dry_run).await?;
        if !dry_run {
            let data = serde_json::json!({ "olderThan": cutoff, "moved": tally(&counts) });
            w.audit(None, "maintenance.archive", "database", "archive", data).await?;
        }
        w.commit().await?;
        Ok(counts)
    }
}

fn tally(counts: &[Count]) -> std::collections::BTreeMap<&'static str, u64> {
    counts.iter().map(|c| (c.what, c.rows)).collect()
}
