use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    pub chat_id: i64,
    pub title: Option<String>,
    pub is_forum: bool,
    pub lang: String,
    pub current_project_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub project_id: Uuid,
    pub chat_id: i64,
    pub approvals_topic_id: Option<i32>,
    pub alerts_topic_id: Option<i32>,
    pub standup_topic_id: Option<i32>,
    pub bound_by: String,
    pub bound_at: DateTime<Utc>,
}

pub async fn upsert(
    conn: &mut PgConnection,
    chat_id: i64,
    title: Option<&str>,
    is_forum: bool,
    default_lang: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Chat> {
    sqlx::query_as(
        "INSERT INTO telegram_chats (chat_id, title, is_forum, lang, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (chat_id) DO UPDATE SET title = COALESCE(EXCLUDED.title, telegram_chats.title),
             is_forum = EXCLUDED.is_forum, updated_at = EXCLUDED.updated_at
         RETURNING chat_id, title, is_forum, lang, current_project_id",
    )
    .bind(chat_id)
    .bind(title)
    .bind(is_forum)
    .bind(default_lang)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, chat_id: i64) -> sqlx::Result<Option<Chat>> {
    sqlx::query_as("SELECT chat_id, title, is_forum, lang, current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(chat_id)
        .fetch_optional(conn)
        .await
}

pub async fn set_lang(conn: &mut PgConnection, chat_id: i64, lang: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE telegram_chats SET lang = $2, updated_at = $3 WHERE chat_id = $1")
        .bind(chat_id)
        .bind(lang)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_project(conn: &mut PgConnection, chat_id: i64, project_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE telegram_chats SET current_project_id = $2, updated_at = $3 WHERE chat_id = $1")
        .bind(chat_id)
        .bind(project_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn binding_for_project(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Option<Binding>> {
    sqlx::query_as("SELECT * FROM chat_bindings WHERE project_id = $1")
        .bind(project_id)
        .fetch_optional(conn)
        .await
}

pub async fn binding_for_chat(conn: &mut PgConnection, chat_id: i64) -> sqlx::Result<Option<Binding>> {
    sqlx::query_as("SELECT * FROM chat_bindings WHERE chat_id = $1")
        .bind(chat_id)
        .fetch_optional(conn)
        .await
}

/// Binds the chat to the project, replacing the project's previous chat and the chat's
/// previous project (a chat serves one project; a project posts to one chat).
pub async fn bind(conn: &mut PgConnection, project_id: Uuid, chat_id: i64, by: &str, now: DateTime<Utc>) -> sqlx::Result<Binding> {
    sqlx::query("DELETE FROM chat_bindings WHERE chat_id = $1 AND project_id <> $2")
        .bind(chat_id)
        .bind(project_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(
        "INSERT INTO chat_bindings (project_id, chat_id, bound_by, bound_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id) DO UPDATE SET
             chat_id = EXCLUDED.chat_id, bound_by = EXCLUDED.bound_by, bound_at = EXCLUDED.bound_at,
             approvals_topic_id = CASE WHEN chat_bindings.chat_id = EXCLUDED.chat_id THEN chat_bindings.approvals_topic_id END,
             alerts_topic_id = CASE WHEN chat_bindings.chat_id = EXCLUDED.chat_id THEN chat_bindings.alerts_topic_id END,
             standup_topic_id = CASE WHEN chat_bindings.chat_id = EXCLUDED.chat_id THEN chat_bindings.standup_topic_id END
         RETURNING *",
    )
    .bind(project_id)
    .bind(chat_id)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Records the forum topic created for one of the project's system threads.
pub async fn set_system_topic(conn: &mut PgConnection, project_id: Uuid, which: &str, topic_id: i32) -> sqlx::Result<()> {
    let sql = match which {
        "approvals" => "UPDATE chat_bindings SET approvals_topic_id = $2 WHERE project_id = $1",
        "alerts" => "UPDATE chat_bindings SET alerts_topic_id = $2 WHERE project_id = $1",
        "standup" => "UPDATE chat_bindings SET standup_topic_id = $2 WHERE project_id = $1",
        _ => return Err(sqlx::Error::Protocol(format!("unknown system topic {which}"))),
    };
    sqlx::query(sql).bind(project_id).bind(topic_id).execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallbackAction {
    pub token: String,
    pub action: String,
    pub entity_id: Option<Uuid>,
    pub args: serde_json::Value,
    pub chat_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert_callback(
    conn: &mut PgConnection,
    token: &str,
    action: &str,
    entity_id: Option<Uuid>,
    args: &serde_json::Value,
    chat_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO callback_actions (token, action, entity_id, args, chat_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token)
        .bind(action)
        .bind(entity_id)
        .bind(args)
        .bind(chat_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn callback(conn: &mut PgConnection, token: &str) -> sqlx::Result<Option<CallbackAction>> {
    sqlx::query_as("SELECT * FROM callback_actions WHERE token = $1")
        .bind(token)
        .fetch_optional(conn)
        .await
}

/// Claims a one-shot action: marks it used unless it already was. Exactly one of concurrent
/// claims gets `true`.
pub async fn use_callback(conn: &mut PgConnection, token: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let claimed: Option<String> =
        sqlx::query_scalar("UPDATE callback_actions SET used_at = $2 WHERE token = $1 AND used_at IS NULL RETURNING token")
            .bind(token)
            .bind(now)
            .fetch_optional(conn)
            .await?;
    Ok(claimed.is_some())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingInput {
    pub chat_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub entity_id: Option<Uuid>,
    pub prompt_message_id: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// The forum topic the question was asked in (None: General, a plain group, private).
    pub thread_id: Option<i32>,
}

/// Remembers what the user owes in this chat and topic (replacing an older question there).
pub async fn set_pending_input(
    conn: &mut PgConnection,
    chat_id: i64,
    user_id: i64,
    thread_id: Option<i32>,
    kind: &str,
    entity_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pending_inputs (chat_id, user_id, thread_id, kind, entity_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (chat_id, user_id, (COALESCE(thread_id, 0))) DO UPDATE SET kind = EXCLUDED.kind,
             entity_id = EXCLUDED.entity_id, prompt_message_id = NULL, created_at = EXCLUDED.created_at",
    )
    .bind(chat_id)
    .bind(user_id)
    .bind(thread_id)
    .bind(kind)
    .bind(entity_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes (reads and removes) what the user owes in this chat and topic; a question asked in
/// another topic stays.
pub async fn take_pending_input(
    conn: &mut PgConnection,
    chat_id: i64,
    user_id: i64,
    thread_id: Option<i32>,
) -> sqlx::Result<Option<PendingInput>> {
    sqlx::query_as(
        "DELETE FROM pending_inputs WHERE chat_id = $1 AND user_id = $2 AND thread_id IS NOT DISTINCT FROM $3
         RETURNING chat_id, user_id, kind, entity_id, prompt_message_id, created_at, thread_id",
    )
    .bind(chat_id)
    .bind(user_id)
    .bind(thread_id)
    .fetch_optional(conn)
    .await
}

/// The task whose forum topic this is.
pub async fn task_for_topic(conn: &mut PgConnection, chat_id: i64, topic_id: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT task_id FROM task_threads WHERE chat_id = $1 AND topic_id = $2")
        .bind(chat_id)
        .bind(topic_id)
        .fetch_optional(conn)
        .await
}

/// The comment that a Telegram message became, locked for an edit.
pub async fn lock_comment_by_message(
    conn: &mut PgConnection,
    chat_id: i64,
    message_id: i32,
) -> sqlx::Result<Option<crate::model::Comment>> {
    sqlx::query_as(
        "SELECT id, task_id, author_kind, author_id, author_name, body, created_at, edited_at FROM comments
         WHERE telegram_chat_id = $1 AND telegram_message_id = $2 FOR UPDATE",
    )
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(conn)
    .await
}

pub async fn edit_comment(conn: &mut PgConnection, id: Uuid, body: &str, now: DateTime<Utc>) -> sqlx::Result<crate::model::Comment> {
    sqlx::query_as(
        "UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1
         RETURNING id, task_id, author_kind, author_id, author_name, body, created_at, edited_at",
    )
    .bind(id)
    .bind(body)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// A group became a supergroup (`migrate_to_chat_id`): the new chat takes over the old one's
/// settings and its project binding (system topics are forgotten: a plain group has none that
/// the supergroup would know). Returns the project whose binding moved, if any.
pub async fn migrate(conn: &mut PgConnection, from: i64, to: i64, now: DateTime<Utc>) -> sqlx::Result<Option<Uuid>> {
    sqlx::query(
        "INSERT INTO telegram_chats (chat_id, title, is_forum, lang, current_project_id, updated_at)
         SELECT $2, title, false, lang, current_project_id, $3 FROM telegram_chats WHERE chat_id = $1
         ON CONFLICT (chat_id) DO UPDATE SET lang = EXCLUDED.lang,
             current_project_id = coalesce(telegram_chats.current_project_id, EXCLUDED.current_project_id),
             updated_at = EXCLUDED.updated_at",
    )
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "UPDATE chat_bindings SET chat_id = $2, approvals_topic_id = NULL, alerts_topic_id = NULL, standup_topic_id = NULL
         WHERE chat_id = $1 AND NOT EXISTS (SELECT 1 FROM chat_bindings WHERE chat_id = $2)
         RETURNING project_id",
    )
    .bind(from)
    .bind(to)
    .fetch_optional(conn)
    .await
}
