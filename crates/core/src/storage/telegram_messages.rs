//! Messages the bot sent for an entity (an approval, an alert, a task card), so that a later
//! change edits them instead of posting again; and the task threads messages about a task go to.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What the message is about, in `telegram_messages.entity_kind`.
pub const APPROVAL: &str = "approval";
pub const ALERT: &str = "alert";
/// The copy of an approval request or alert about a task in the task's topic.
pub const TASK_APPROVAL: &str = "task_approval";
pub const TASK_ALERT: &str = "task_alert";
/// A task's activity message: a burst of its runs and comments folded into one edited message.
pub const TASK_ACTIVITY: &str = "task_activity";
/// A question an agent asked (in its task's topic, or General).
pub const QUESTION: &str = "question";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SentMessage {
    pub entity_kind: String,
    pub entity_id: Uuid,
    pub chat_id: i64,
    pub message_id: i32,
    pub topic_id: Option<i32>,
    pub created_at: DateTime<Utc>,
}

/// Remembers (or replaces) the message shown for an entity in a chat.
pub async fn record(
    conn: &mut PgConnection,
    entity_kind: &str,
    entity_id: Uuid,
    chat_id: i64,
    message_id: i32,
    topic_id: Option<i32>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO telegram_messages (entity_kind, entity_id, chat_id, message_id, topic_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (entity_kind, entity_id, chat_id) DO UPDATE SET
             message_id = EXCLUDED.message_id, topic_id = EXCLUDED.topic_id, created_at = EXCLUDED.created_at",
    )
    .bind(entity_kind)
    .bind(entity_id)
    .bind(chat_id)
    .bind(message_id)
    .bind(topic_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, entity_kind: &str, entity_id: Uuid, chat_id: i64) -> sqlx::Result<Option<SentMessage>> {
    sqlx::query_as("SELECT * FROM telegram_messages WHERE entity_kind = $1 AND entity_id = $2 AND chat_id = $3")
        .bind(entity_kind)
        .bind(entity_id)
        .bind(chat_id)
        .fetch_optional(conn)
        .await
}

/// Which of `entity_ids` have a message in the chat.
pub async fn known(conn: &mut PgConnection, entity_kind: &str, entity_ids: &[Uuid], chat_id: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT entity_id FROM telegram_messages WHERE entity_kind = $1 AND entity_id = ANY($2) AND chat_id = $3")
        .bind(entity_kind)
        .bind(entity_ids)
        .bind(chat_id)
        .fetch_all(conn)
        .await
}

/// The messages of `entity_ids` in `chat_id`: (entity, message, topic), for links to them.
pub async fn messages_of(
    conn: &mut PgConnection,
    entity_kind: &str,
    entity_ids: &[Uuid],
    chat_id: i64,
) -> sqlx::Result<Vec<(Uuid, i32, Option<i32>)>> {
    sqlx::query_as(
        "SELECT entity_id, message_id, topic_id FROM telegram_messages WHERE entity_kind = $1 AND entity_id = ANY($2) AND chat_id = $3",
    )
    .bind(entity_kind)
    .bind(entity_ids)
    .bind(chat_id)
    .fetch_all(conn)
    .await
}

/// The message is gone (deleted by a human): the next change posts a fresh one.
pub async fn forget(conn: &mut PgConnection, entity_kind: &str, entity_id: Uuid, chat_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM telegram_messages WHERE entity_kind = $1 AND entity_id = $2 AND chat_id = $3")
        .bind(entity_kind)
        .bind(entity_id)
        .bind(chat_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A task's own thread: its forum topic, or (in a plain group) the root message its updates
/// reply to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskThread {
    pub task_id: Uuid,
    pub chat_id: i64,
    pub topic_id: Option<i32>,
    pub root_message_id: Option<i32>,
    pub card_message_id: Option<i32>,
    pub topic_name: Option<String>,
    pub closed: bool,
    pub updated_at: DateTime<Utc>,
}

pub async fn task_thread(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Option<TaskThread>> {
    sqlx::query_as("SELECT * FROM task_threads WHERE task_id = $1")
        .bind(task_id)
        .fetch_optional(conn)
        .await
}

/// Telegram refused the task's topic and it could not be mended: `deleted` (message thread not
/// found) forgets the thread, otherwise (TOPIC_CLOSED) marks it closed. The next row about the
/// task makes a new thread or reopens this one (see `telegram::outbox` task threads).
pub async fn task_topic_lost(conn: &mut PgConnection, task_id: Uuid, topic_id: i32, deleted: bool, now: DateTime<Utc>) -> sqlx::Result<()> {
    if deleted {
        sqlx::query("DELETE FROM task_threads WHERE task_id = $1 AND topic_id = $2")
            .bind(task_id)
            .bind(topic_id)
            .execute(conn)
            .await?;
    } else {
        sqlx::query("UPDATE task_threads SET closed = true, updated_at = $3 WHERE task_id = $1 AND topic_id = $2")
            .bind(task_id)
            .bind(topic_id)
            .bind(now)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The copies in `chat_id` — outside topic `topic_id` — of the task's approval requests still
/// pending and of its alerts still open: what a recreated topic of the task must show again.
pub async fn task_copies_elsewhere(conn: &mut PgConnection, chat_id: i64, task_id: Uuid, topic_id: i32) -> sqlx::Result<Vec<SentMessage>> {
    sqlx::query_as(
        "SELECT m.* FROM telegram_messages m
         WHERE m.chat_id = $1 AND m.topic_id IS DISTINCT FROM $3 AND (
             (m.entity_kind = $4 AND EXISTS (
                 SELECT 1 FROM approvals a WHERE a.id = m.entity_id AND a.task_id = $2 AND a.status IN ('pending', 'escalated')))
             OR (m.entity_kind = $5 AND EXISTS (
                 SELECT 1 FROM alerts al WHERE al.id = m.entity_id AND NOT al.resolved AND $2::text = coalesce(
                     CASE WHEN al.subject ~* '^task:[0-9a-f-]{36}$' THEN lower(substr(al.subject, 6)) END,
                     CASE WHEN al.details->>'taskId' ~* '^[0-9a-f-]{36}$' THEN lower(al.details->>'taskId') END))))
         ORDER BY m.created_at, m.message_id",
    )
    .bind(chat_id)
    .bind(task_id)
    .bind(topic_id)
    .bind(TASK_APPROVAL)
    .bind(TASK_ALERT)
    .fetch_all(conn)
    .await
}
