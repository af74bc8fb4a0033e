//! Task threads (`task_threads`): where a task's messages go in its project's chat — its forum
//! topic, or in a plain group the root message (its card) that its updates reply to. Written by
//! the outbox dispatcher as it creates, recreates, renames, closes and reopens them.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// An open task as binding a chat needs it: to ask for its thread.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenTask {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
}

/// The project's tasks that are not done or canceled, by number.
pub async fn open_tasks(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Vec<OpenTask>> {
    sqlx::query_as(
        "SELECT id, number, title FROM tasks
         WHERE project_id = $1 AND status NOT IN ('done', 'canceled')
         ORDER BY number DESC",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// The task now lives in forum topic `topic_id` of `chat_id` (a new thread, or one replacing a
/// topic that is gone): its card is yet to be posted.
pub async fn set_topic(
    conn: &mut PgConnection,
    task_id: Uuid,
    chat_id: i64,
    topic_id: i32,
    name: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO task_threads (task_id, chat_id, topic_id, root_message_id, card_message_id, topic_name, closed, updated_at)
         VALUES ($1, $2, $3, NULL, NULL, $4, false, $5)
         ON CONFLICT (task_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, topic_id = EXCLUDED.topic_id,
             root_message_id = NULL, card_message_id = NULL, topic_name = EXCLUDED.topic_name,
             closed = false, updated_at = EXCLUDED.updated_at",
    )
    .bind(task_id)
    .bind(chat_id)
    .bind(topic_id)
    .bind(name)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// In a plain group: the task's card is message `message_id`, and its updates reply to it.
pub async fn set_root(conn: &mut PgConnection, task_id: Uuid, chat_id: i64, message_id: i32, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO task_threads (task_id, chat_id, topic_id, root_message_id, card_message_id, topic_name, closed, updated_at)
         VALUES ($1, $2, NULL, $3, $3, NULL, false, $4)
         ON CONFLICT (task_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, topic_id = NULL,
             root_message_id = EXCLUDED.root_message_id, card_message_id = EXCLUDED.card_message_id,
             topic_name = NULL, closed = false, updated_at = EXCLUDED.updated_at",
    )
    .bind(task_id)
    .bind(chat_id)
    .bind(message_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The card of a task's topic was posted (again) as `message_id`.
pub async fn set_card(conn: &mut PgConnection, task_id: Uuid, message_id: i32, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE task_threads SET card_message_id = $2, updated_at = $3 WHERE task_id = $1")
        .bind(task_id)
        .bind(message_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_topic_name(conn: &mut PgConnection, task_id: Uuid, name: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE task_threads SET topic_name = $2, updated_at = $3 WHERE task_id = $1")
        .bind(task_id)
        .bind(name)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_closed(conn: &mut PgConnection, task_id: Uuid, closed: bool, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE task_threads SET closed = $2, updated_at = $3 WHERE task_id = $1")
        .bind(task_id)
        .bind(closed)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The task a message of the chat belongs to: a task's root message or card, or any message the
/// dispatcher delivered into the task's thread. For replies in a plain group.
pub async fn task_for_message(conn: &mut PgConnection, chat_id: i64, message_id: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT task_id FROM task_threads
         WHERE chat_id = $1 AND topic_id IS NULL AND (root_message_id = $2 OR card_message_id = $2)
         UNION ALL
         (SELECT o.task_id FROM outbox o JOIN task_threads t ON t.task_id = o.task_id AND t.chat_id = $1 AND t.topic_id IS NULL
          WHERE o.target = 'task' AND o.delivered_chat_id = $1 AND o.telegram_message_id = $2
          ORDER BY o.id DESC LIMIT 1)
         LIMIT 1",
    )
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(conn)
    .await
}

/// Whether rows about the task later than `row_id` still wait to be delivered (then the last of
/// them brings the card, the topic's name and its open/closed state up to date).
pub async fn later_rows(conn: &mut PgConnection, task_id: Uuid, row_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM outbox WHERE task_id = $1 AND id > $2 AND status IN ('pending', 'sending'))")
        .bind(task_id)
        .bind(row_id)
        .fetch_one(conn)
        .await
}
