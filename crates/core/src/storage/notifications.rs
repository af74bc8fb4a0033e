use crate::model::Notification;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The same notification for each of `agents`, in one statement (a squad pause tells every
/// agent at once; most notifications are for one).
pub async fn insert_for_each(
    conn: &mut PgConnection,
    agents: &[Uuid],
    kind: &str,
    task_id: Option<Uuid>,
    body: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (id, agent_id, kind, task_id, body, payload, created_at)
         SELECT gen_random_uuid(), agent_id, $2, $6, $3, $4, $5 FROM unnest($1::uuid[]) AS agent_id",
    )
    .bind(agents)
    .bind(kind)
    .bind(body)
    .bind(payload)
    .bind(now)
    .bind(task_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes up to `limit` undelivered notifications of each of these agents, oldest first, marking
/// them delivered (rows another transaction is taking are skipped, not waited for).
pub async fn take_pending(conn: &mut PgConnection, agent_ids: &[Uuid], limit: i64, now: DateTime<Utc>) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as(
        "UPDATE notifications SET delivered_at = $3
         WHERE id IN (SELECT n.id FROM unnest($1::uuid[]) AS a(id)
                      CROSS JOIN LATERAL (SELECT id FROM notifications
                                          WHERE agent_id = a.id AND delivered_at IS NULL
                                          ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) n)
         RETURNING id, agent_id, kind, task_id, body, payload, created_at",
    )
    .bind(agent_ids)
    .bind(limit)
    .bind(now)
    .fetch_all(conn)
    .await
    .map(|mut rows: Vec<Notification>| {
        rows.sort_by_key(|n| (n.created_at, n.id));
        rows
    })
}

/// Makes taken notifications undelivered again (their reader went away before it heard them).
pub async fn give_back(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query("UPDATE notifications SET delivered_at = NULL WHERE id = ANY($1)")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}
