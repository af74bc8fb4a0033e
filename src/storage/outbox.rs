use crate::app::notice::{Notice, Target};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The channel `serve`'s dispatcher LISTENs on.
pub const CHANNEL: &str = "mc_outbox";

pub async fn insert(
    conn: &mut PgConnection,
    project_id: Option<Uuid>,
    target: Target,
    notice: &Notice,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let (task_id, chat_id) = match target {
        Target::Task(id) => (Some(id), None),
        Target::Chat(chat) => (None, Some(chat)),
        _ => (None, None),
    };
    let payload = serde_json::to_value(notice).expect("notices serialize");
    sqlx::query_scalar(
        "INSERT INTO outbox (project_id, target, task_id, chat_id, kind, payload, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(target.as_str())
    .bind(task_id)
    .bind(chat_id)
    .bind(notice.kind())
    .bind(payload)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn notify_dispatcher(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(conn).await?;
    Ok(())
}

pub async fn pending_count(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
        .fetch_one(conn)
        .await
}
