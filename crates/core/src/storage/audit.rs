use crate::model::AuditEvent;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::ActorKind;
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
    .bind(Pg(e.actor_kind))
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

/// Where event `id` stands in the export order, if it exists.
pub async fn position(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<(DateTime<Utc>, i64)>> {
    sqlx::query_as("SELECT occurred_at, id FROM audit_events WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The last event of a page of at most `limit` events after `start` (exclusive) in [from, to),
/// and whether more follow it. Reads ids from the index only, no event bodies.
pub async fn page_end(
    conn: &mut PgConnection,
    project_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    start: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> sqlx::Result<(Option<(DateTime<Utc>, i64)>, bool)> {
    let (after_at, after_id) = start.unzip();
    let rows: Vec<(DateTime<Utc>, i64, i64)> = sqlx::query_as(
        "WITH page AS (
             SELECT occurred_at, id FROM audit_events
             WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::uuid IS NULL OR project_id = $3)
               AND ($4::timestamptz IS NULL OR (occurred_at, id) > ($4, $5))
             ORDER BY occurred_at, id LIMIT $6 + 1
         )
         SELECT occurred_at, id, (SELECT count(*) FROM page) FROM page ORDER BY occurred_at DESC, id DESC LIMIT 2",
    )
    .bind(from)
    .bind(to)
    .bind(project_id)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    // Newest first. With limit + 1 rows read, the newest opens the next page and the one
    // before it ends this one; with fewer, the newest ends it.
    let more = rows.first().is_some_and(|(_, _, n)| *n > limit);
    let end = match (rows.as_slice(), more) {
        ([_, (at, id, _)], true) => Some((*at, *id)),
        ([(at, id, _), ..], false) => Some((*at, *id)),
        _ => None,
    };
    Ok((end, more))
}

/// The events after `after` (exclusive) up to `end` (inclusive) in [from, to), at most `max`,
/// in export order.
pub async fn chunk(
    conn: &mut PgConnection,
    project_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<(DateTime<Utc>, i64)>,
    end: (DateTime<Utc>, i64),
    max: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as(
        "SELECT * FROM audit_events
         WHERE occurred_at >= $1 AND occurred_at < $2 AND ($3::uuid IS NULL OR project_id = $3)
           AND ($4::timestamptz IS NULL OR (occurred_at, id) > ($4, $5))
           AND (occurred_at, id) <= ($6, $7)
         ORDER BY occurred_at, id LIMIT $8",
    )
    .bind(from)
    .bind(to)
    .bind(project_id)
    .bind(after_at)
    .bind(after_id)
    .bind(end.0)
    .bind(end.1)
    .bind(max)
    .fetch_all(conn)
    .await
}

/// The events with ids after `after`, in id order, at most `max` (every project's: the
/// cockpit's live feed finds holes in the ids in them, then keeps a project's).
pub async fn after_id(conn: &mut PgConnection, after: i64, max: i64) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as("SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(max)
        .fetch_all(conn)
        .await
}

/// The id of the newest event (0 when there is none).
pub async fn last_id(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM audit_events")
        .fetch_one(conn)
        .await
}
