//! All SQL of the application core. Functions take a connection (usually the use case's
//! transaction), so callers decide the transaction boundaries.

pub mod activities;
pub mod agents;
pub mod alerts;
pub mod app_sessions;
pub mod approvals;
pub mod audit;
pub mod chats;
pub mod idempotency;
pub mod jobs;
pub mod maintenance;
pub mod metrics;
pub mod notifications;
pub mod operators;
pub mod outbox;
pub mod private_chats;
pub mod project_budgets;
pub mod projects;
pub mod questions;
pub mod runs;
pub mod strangers;
pub mod summary;
pub mod tasks;
pub mod telegram_calls;
pub mod telegram_messages;
pub mod threads;
pub mod tokens;
pub mod tool_calls;
pub mod tool_grants;
pub mod updates;
pub mod usage_series;
pub mod wake;

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Connects, creating the database first if the server has none by that name (so a fresh
/// PostgreSQL needs no manual `createdb`).
pub async fn connect(url: &str, max_connections: u32, acquire_timeout: Duration) -> anyhow::Result<PgPool> {
    use anyhow::Context;
    use sqlx::migrate::MigrateDatabase;
    let exists = sqlx::Postgres::database_exists(url)
        .await
        .with_context(|| format!("reaching the database server at {}", redact(url)))?;
    if !exists {
        sqlx::Postgres::create_database(url)
            .await
            .with_context(|| format!("creating the database {}", redact(url)))?;
        tracing::info!(url = %redact(url), "created the database");
    }
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect(url)
        .await
        .with_context(|| format!("connecting to the database at {}", redact(url)))
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    use anyhow::Context;
    MIGRATOR.run(pool).await.context("running database migrations")
}

/// A database URL with its password hidden, for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether the database answers a trivial query.
pub async fn ping<'c, E: sqlx::PgExecutor<'c>>(executor: E) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(executor).await.map(|_| ())
}

/// Takes a session-level advisory lock if free; it lasts as long as the connection.
pub async fn try_advisory_lock(conn: &mut sqlx::PgConnection, key: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(conn)
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_only() {
        assert_eq!(super::redact("postgres://mc:secret@db:5432/x"), "postgres://mc:***@db:5432/x");
        assert_eq!(super::redact("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
    }
}
