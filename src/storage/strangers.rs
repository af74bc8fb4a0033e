//! The people the bot answers with care for the group's window: attempts of people who are not
//! operators, counted per chat, person and hour; who has a private chat with the bot; when a
//! person was last pointed to it.

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

/// `user_id` has a private chat with the bot (they wrote to it there).
pub async fn private_chat_seen(conn: &mut PgConnection, user_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO telegram_private_chats (user_id, started_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING")
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn has_private_chat(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM telegram_private_chats WHERE user_id = $1)")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// The last pointer to the private chat shown to `user_id` in `chat_id`, replaced by `now` when
/// `due` says a new one is due (returned: whether to show one).
pub async fn point_if_due(
    conn: &mut PgConnection,
    chat_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
    due_before: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let shown: Option<i64> = sqlx::query_scalar(
        "INSERT INTO telegram_pointers (chat_id, user_id, pointed_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET pointed_at = $3
             WHERE telegram_pointers.pointed_at <= $4
         RETURNING 1::bigint",
    )
    .bind(chat_id)
    .bind(user_id)
    .bind(now)
    .bind(due_before)
    .fetch_optional(conn)
    .await?;
    Ok(shown.is_some())
}
