use crate::domain::ActorKind;
use crate::model::AuditEvent;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewEvent<'a> {
    pub project_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub data: &'a serde_json::Value,
}

pub async fn insert(conn: &mut PgConnection, e: &NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (project_id, occurred_at, actor_kind, actor_id, actor_name, action, entity_kind, entity_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.project_id)
    .bind(e.occurred_at)
    .bind(e.actor_kind)
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.action)
    .bind(e.entity_kind)
    .bind(e.entity_id)
    .bind(e.data)
    .execute(conn)
    .await?;
    Ok(())
}

/// Events in [from, to), oldest first; `project_id` None means every project.
pub async fn between(
    conn: &mut PgConnection,
    project_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(
        "SELECT * FROM audit_events
         WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::uuid IS NULL OR project_id = $3)
         ORDER BY occurred_at, id LIMIT $4",
    )
    .bind(from)
    .bind(to)
    .bind(project_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn for_entity(conn: &mut PgConnection, entity_kind: &str, entity_id: &str) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as("SELECT * FROM audit_events WHERE entity_kind = $1 AND entity_id = $2 ORDER BY id")
        .bind(entity_kind)
        .bind(entity_id)
        .fetch_all(conn)
        .await
}
