//! Wake-ups for waiting agents, through PostgreSQL's LISTEN/NOTIFY: a use case that leaves
//! an agent something to hear sends `NOTIFY` in its own transaction, so the wake-up is
//! delivered when (and only if) it commits, to every replica's listener. The same listener
//! hears that audit events were written, for the cockpit's live feeds.

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The channel the listeners of `serve` LISTEN on; a payload is agent ids, comma-separated.
pub const CHANNEL: &str = "mc_agent_wake";
/// Audit events were written (a trigger on `audit_events` sends it): the live feeds read.
pub const AUDIT_CHANNEL: &str = "mc_audit";

/// Ids per notification: a payload must stay under PostgreSQL's 8,000 bytes (37 a UUID).
const IDS_PER_PAYLOAD: usize = 200;

/// Wakes these agents' waiters once the transaction commits (one statement, however many).
pub async fn notify_agents(conn: &mut PgConnection, agents: &[Uuid]) -> sqlx::Result<()> {
    if agents.is_empty() {
        return Ok(());
    }
    let payloads: Vec<String> = agents
        .chunks(IDS_PER_PAYLOAD)
        .map(|ids| ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","))
        .collect();
    sqlx::query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload")
        .bind(CHANNEL)
        .bind(&payloads)
        .execute(conn)
        .await?;
    Ok(())
}

/// The agent ids of a payload; anything unreadable is skipped.
pub fn agents_in(payload: &str) -> impl Iterator<Item = Uuid> + '_ {
    payload.split(',').filter_map(|id| id.trim().parse().ok())
}

/// A listener on [`CHANNEL`] and [`AUDIT_CHANNEL`] over a connection of its own (a one-connection pool with the
/// settings of `pool`): it takes nothing from the pool the requests use.
pub async fn listen(pool: &PgPool) -> sqlx::Result<PgListener> {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with((*pool.connect_options()).clone())
        .await?;
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen_all([CHANNEL, AUDIT_CHANNEL]).await?;
    Ok(listener)
}
