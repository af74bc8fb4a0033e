//! Who has a private chat with the bot, and when a person was last pointed to it in a group:
//! answers that concern only them go there.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

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
