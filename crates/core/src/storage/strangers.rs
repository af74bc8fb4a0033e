//! Attempts of people who are not operators, counted per chat, person and hour.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// One more attempt in this hour: how many this hour so far, and when the person was last
/// answered in this chat (any hour).
pub async fn count(
    conn: &mut PgConnection,
    chat_id: i64,
    user_id: i64,
    hour: DateTime<Utc>,
    attempt: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<(i32, Option<DateTime<Utc>>)> {
    let attempts: i32 = sqlx::query_scalar(
        "INSERT INTO telegram_strangers (chat_id, user_id, hour, attempts, last_attempt, last_attempt_at)
         VALUES ($1, $2, $3, 1, $4, $5)
         ON CONFLICT (chat_id, user_id, hour) DO UPDATE
             SET attempts = telegram_strangers.attempts + 1, last_attempt = $4, last_attempt_at = $5
         RETURNING attempts",
    )
    .bind(chat_id)
    .bind(user_id)
    .bind(hour)
    .bind(attempt)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let answered: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT max(answered_at) FROM telegram_strangers WHERE chat_id = $1 AND user_id = $2")
            .bind(chat_id)
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok((attempts, answered))
}

/// The person was answered now.
pub async fn answered(conn: &mut PgConnection, chat_id: i64, user_id: i64, hour: DateTime<Utc>, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE telegram_strangers SET answered_at = $4 WHERE chat_id = $1 AND user_id = $2 AND hour = $3")
        .bind(chat_id)
        .bind(user_id)
        .bind(hour)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
