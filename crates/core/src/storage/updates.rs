use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Records a Telegram update as processed; false when it already was.
pub async fn claim(conn: &mut PgConnection, update_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO processed_updates (update_id, processed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(update_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn is_processed(conn: &mut PgConnection, update_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = $1)")
        .bind(update_id)
        .fetch_one(conn)
        .await
}
