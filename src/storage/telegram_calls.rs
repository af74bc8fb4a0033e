use sqlx::PgConnection;

/// The chat of a call bound to no chat (`answerCallbackQuery`, `setMyCommands`, `setWebhook`):
/// it counts only in the global window. No chat has id 0.
pub const NO_CHAT: i64 = 0;

/// Records one Bot API call to `chat_id` now (database time), and forgets calls older than two
/// minutes now and then.
pub async fn record(conn: &mut PgConnection, chat_id: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO telegram_calls (chat_id, at) VALUES ($1, now())")
        .bind(chat_id)
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
