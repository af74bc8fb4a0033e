use sqlx::PgConnection;
use uuid::Uuid;

/// The chat of a call bound to no chat (`answerCallbackQuery`, `setMyCommands`, `setWebhook`):
/// it counts only in the global window. No chat has id 0.
pub const NO_CHAT: i64 = 0;

/// What a direct call's notification on the outbox channel says: `call:` and the process that
/// made it (the outbox's own notifications say nothing).
const CALL_PREFIX: &str = "call:";

/// Records one Bot API call to `chat_id` now (database time), and forgets calls older than two
/// minutes now and then. A call bound to no chat, made outside the dispatcher by process
/// `made_by`, is also announced on the outbox channel, for the active dispatcher (on whichever
/// replica) to count it at once.
pub async fn record(conn: &mut PgConnection, chat_id: i64, made_by: Option<Uuid>) -> sqlx::Result<()> {
    sqlx::query(
        "WITH call AS (INSERT INTO telegram_calls (chat_id, at) VALUES ($1, now()))
         SELECT pg_notify($2, $3) WHERE $3 IS NOT NULL",
    )
    .bind(chat_id)
    .bind(super::outbox::CHANNEL)
    .bind(made_by.map(|p| format!("{CALL_PREFIX}{p}")))
    .execute(&mut *conn)
    .await?;
    if rand::random::<u8>() < 8 {
        sqlx::query("DELETE FROM telegram_calls WHERE at < now() - interval '2 minutes'")
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Calls of the last `window`, as (chat, milliseconds ago), oldest first.
pub async fn recent(conn: &mut PgConnection, window: std::time::Duration) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT chat_id, (extract(epoch FROM now() - at) * 1000)::bigint FROM telegram_calls
         WHERE at > now() - make_interval(secs => $1) ORDER BY at",
    )
    .bind(window.as_secs_f64())
    .fetch_all(conn)
    .await
}

/// The process that made the direct call a notification on the outbox channel announces, if it
/// announces one.
pub fn call_announced(payload: &str) -> Option<Uuid> {
    payload.strip_prefix(CALL_PREFIX).and_then(|p| p.parse().ok())
}
