use crate::model::Project;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(conn: &mut PgConnection, slug: &str, name: &str, description: &str, now: DateTime<Utc>) -> sqlx::Result<Project> {
    sqlx::query_as(
        "INSERT INTO projects (id, slug, name, description, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn by_slug(conn: &mut PgConnection, slug: &str) -> sqlx::Result<Option<Project>> {
    sqlx::query_as("SELECT * FROM projects WHERE slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Project>> {
    sqlx::query_as("SELECT * FROM projects WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Project>> {
    sqlx::query_as("SELECT * FROM projects WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list(conn: &mut PgConnection) -> sqlx::Result<Vec<Project>> {
    sqlx::query_as("SELECT * FROM projects ORDER BY created_at, slug")
        .fetch_all(conn)
        .await
}

/// Sets the standup's local time and/or time zone (None keeps the current value).
pub async fn set_standup(
    conn: &mut PgConnection,
    id: Uuid,
    time: Option<chrono::NaiveTime>,
    timezone: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Project> {
    sqlx::query_as(
        "UPDATE projects SET standup_time = COALESCE($2, standup_time), standup_timezone = COALESCE($3, standup_timezone),
                updated_at = $4
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(time)
    .bind(timezone)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn set_squad_paused(conn: &mut PgConnection, id: Uuid, paused: bool, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE projects SET squad_paused = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(paused)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the next task number of the project (locks the project row until commit, which
/// serialises numbering per project).
pub async fn next_task_number(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar("UPDATE projects SET next_task_number = next_task_number + 1 WHERE id = $1 RETURNING next_task_number - 1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Takes the next question number of the project (`Q3`).
pub async fn next_question_number(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE projects SET next_question_number = next_question_number + 1 WHERE id = $1 RETURNING next_question_number - 1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn next_approval_number(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE projects SET next_approval_number = next_approval_number + 1 WHERE id = $1 RETURNING next_approval_number - 1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}
