use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    project_id: Uuid,
    kind: &str,
    title: &str,
    body: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO activities (id, project_id, kind, title, body, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(project_id)
    .bind(kind)
    .bind(title)
    .bind(body)
    .bind(data)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// When the project last had an activity of this kind.
pub async fn last_at(conn: &mut PgConnection, project_id: Uuid, kind: &str) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar("SELECT max(created_at) FROM activities WHERE project_id = $1 AND kind = $2")
        .bind(project_id)
        .bind(kind)
        .fetch_one(conn)
        .await
}

pub async fn count_completed_since(conn: &mut PgConnection, project_id: Uuid, since: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM tasks WHERE project_id = $1 AND status = 'done' AND completed_at >= $2")
        .bind(project_id)
        .bind(since)
        .fetch_one(conn)
        .await
}

/// Serializes standups of one project across replicas for the rest of the transaction.
pub async fn lock_project_kind(conn: &mut PgConnection, project_id: Uuid, kind: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2::text))")
        .bind(kind)
        .bind(project_id)
        .execute(conn)
        .await?;
    Ok(())
}
