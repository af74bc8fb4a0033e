use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

#[derive(Debug, sqlx::FromRow)]
pub struct Count {
    pub project: String,
    pub label: String,
    pub count: i64,
}

pub async fn agents_by_status(conn: &mut PgConnection) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT p.slug AS project, a.status::text AS label, count(*) AS count
         FROM agents a JOIN projects p ON p.id = a.project_id GROUP BY 1, 2",
    )
    .fetch_all(conn)
    .await
}

/// Active agents whose last heartbeat is older than `stale_before` (or never came).
pub async fn stale_agents(conn: &mut PgConnection, stale_before: DateTime<Utc>) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT p.slug AS project, 'stale' AS label, count(a.id) AS count
         FROM projects p LEFT JOIN agents a ON a.project_id = p.id AND a.status = 'active'
              AND (a.last_heartbeat IS NULL OR a.last_heartbeat < $1)
         GROUP BY 1",
    )
    .bind(stale_before)
    .fetch_all(conn)
    .await
}

pub async fn tasks_by_status(conn: &mut PgConnection) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT p.slug AS project, t.status::text AS label, count(*) AS count
         FROM tasks t JOIN projects p ON p.id = t.project_id GROUP BY 1, 2",
    )
    .fetch_all(conn)
    .await
}

/// Micro-dollars spent today per project.
pub async fn spend_today(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT p.slug AS project, 'usd_micros' AS label,
                COALESCE(sum(a.today_spend_micros) FILTER (WHERE a.spend_day = $1), 0)::bigint AS count
         FROM projects p LEFT JOIN agents a ON a.project_id = p.id GROUP BY 1",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

pub async fn pending_approvals(conn: &mut PgConnection) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT p.slug AS project, 'pending' AS label, count(a.id) AS count
         FROM projects p LEFT JOIN approvals a ON a.project_id = p.id AND a.status IN ('pending', 'escalated') GROUP BY 1",
    )
    .fetch_all(conn)
    .await
}

/// Outbox rows not yet delivered, by status.
pub async fn outbox_depth(conn: &mut PgConnection) -> sqlx::Result<Vec<Count>> {
    sqlx::query_as(
        "SELECT '' AS project, status::text AS label, count(*) AS count
         FROM outbox WHERE status IN ('pending', 'sending', 'failed') GROUP BY 2",
    )
    .fetch_all(conn)
    .await
}

/// Telegram updates the bot gave up on after its retries (audited as `telegram.update_failed`).
pub async fn failed_updates(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE entity_kind = 'telegram_update' AND action = 'telegram.update_failed'")
        .fetch_one(conn)
        .await
}
