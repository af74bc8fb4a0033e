//! The questions agents ask humans (`app::questions`).

use crate::model::Question;
use crate::pg::Pg;
use crate::storage::telegram_messages::QUESTION;
use chrono::{DateTime, Utc};
use mc_domain::{Actor, QuestionStatus};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewQuestion<'a> {
    pub project_id: Uuid,
    pub number: i32,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub question: &'a str,
    pub options: Option<&'a [String]>,
    pub multi_select: bool,
    pub expires_at: DateTime<Utc>,
    /// A question of a tool call (Claude Code's `AskUserQuestion`): the call's input hash and
    /// the question's place in the call.
    pub tool_call: Option<(&'a str, i16)>,
}

pub async fn insert(conn: &mut PgConnection, q: &NewQuestion<'_>, now: DateTime<Utc>) -> sqlx::Result<Question> {
    sqlx::query_as(
        "INSERT INTO questions (id, project_id, number, agent_id, task_id, question, options, multi_select, status, expires_at, created_at,
                                tool_input_hash, tool_question_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11, $12) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(q.project_id)
    .bind(q.number)
    .bind(q.agent_id)
    .bind(q.task_id)
    .bind(q.question)
    .bind(q.options)
    .bind(q.multi_select)
    .bind(q.expires_at)
    .bind(now)
    .bind(q.tool_call.map(|(hash, _)| hash))
    .bind(q.tool_call.map(|(_, index)| index))
    .fetch_one(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Question>> {
    sqlx::query_as("SELECT * FROM questions WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Question>> {
    sqlx::query_as("SELECT * FROM questions WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// What closes a question: its answer, or nothing (expired, canceled).
pub struct Closing<'a> {
    pub status: QuestionStatus,
    pub by: &'a Actor,
    pub text: Option<&'a str>,
    pub options: Option<&'a [String]>,
}

pub async fn close(conn: &mut PgConnection, id: Uuid, c: &Closing<'_>, now: DateTime<Utc>) -> sqlx::Result<Question> {
    sqlx::query_as(
        "UPDATE questions SET status = $2, answered_by_kind = $3, answered_by_id = $4, answered_by_name = $5,
                answered_at = $6, answer_text = $7, answer_options = $8
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(Pg(c.status))
    .bind(Pg(c.by.kind()))
    .bind(c.by.id())
    .bind(c.by.name())
    .bind(now)
    .bind(c.text)
    .bind(c.options)
    .fetch_one(conn)
    .await
}

/// The project's questions, newest first; `status` narrows them. An agent's list is its own.
pub async fn list(
    conn: &mut PgConnection,
    project_id: Uuid,
    status: Option<QuestionStatus>,
    agent_id: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as(
        "SELECT * FROM questions WHERE project_id = $1 AND ($2::question_status IS NULL OR status = $2)
                AND ($3::uuid IS NULL OR agent_id = $3)
         ORDER BY created_at DESC, number DESC LIMIT $4",
    )
    .bind(project_id)
    .bind(Pg(status))
    .bind(agent_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn for_task(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as("SELECT * FROM questions WHERE task_id = $1 ORDER BY created_at")
        .bind(task_id)
        .fetch_all(conn)
        .await
}

/// The pending questions past their expiry, oldest expiry first (each is then locked and checked
/// again in its own transaction).
pub async fn expired_ids(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM questions WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at, id")
        .bind(now)
        .fetch_all(conn)
        .await
}

/// The question message `message_id` of chat `chat_id` shows.
pub async fn of_message(conn: &mut PgConnection, chat_id: i64, message_id: i32) -> sqlx::Result<Option<Question>> {
    sqlx::query_as(
        "SELECT q.* FROM telegram_messages m JOIN questions q ON q.id = m.entity_id
         WHERE m.chat_id = $1 AND m.message_id = $2 AND m.entity_kind = $3
         LIMIT 1",
    )
    .bind(chat_id)
    .bind(message_id)
    .bind(QUESTION)
    .fetch_optional(conn)
    .await
}

/// Records what a multi-select question's chat has ticked so far.
pub async fn set_picked(conn: &mut PgConnection, id: Uuid, picked: &[String]) -> sqlx::Result<Question> {
    sqlx::query_as("UPDATE questions SET picked = $2 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(picked)
        .fetch_one(conn)
        .await
}

/// The questions a tool call of `agent_id` asked whose answers have not gone back to it, in
/// their order in the call, locked.
pub async fn lock_unused_of_call(conn: &mut PgConnection, agent_id: Uuid, input_hash: &str) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as(
        "SELECT * FROM questions WHERE agent_id = $1 AND tool_input_hash = $2 AND tool_used_at IS NULL
         ORDER BY tool_question_index, created_at FOR UPDATE",
    )
    .bind(agent_id)
    .bind(input_hash)
    .fetch_all(conn)
    .await
}

/// The questions `ids`, in the order given.
pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<Question>> {
    sqlx::query_as("SELECT q.* FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, n) JOIN questions q ON q.id = i.id ORDER BY i.n")
        .bind(ids)
        .fetch_all(conn)
        .await
}

/// Marks the tool call's questions `ids` as given back to it; how many were still unused (a
/// second call given the same answers at the same time finds none).
pub async fn mark_used(conn: &mut PgConnection, ids: &[Uuid], now: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE questions SET tool_used_at = $2 WHERE id = ANY($1) AND tool_used_at IS NULL")
            .bind(ids)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
