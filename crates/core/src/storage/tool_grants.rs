//! Standing grants for tool calls (`app::grants`).

use crate::model::ToolGrant;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{Actor, AgentRole, GrantScope};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewGrant<'a> {
    pub project_id: Uuid,
    pub number: i32,
    pub scope: GrantScope,
    pub agent_id: Option<Uuid>,
    pub role: Option<AgentRole>,
    pub rule: &'a str,
    pub task_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub approval_id: Option<Uuid>,
}

pub async fn insert(conn: &mut PgConnection, g: &NewGrant<'_>, by: &Actor, now: DateTime<Utc>) -> sqlx::Result<ToolGrant> {
    sqlx::query_as(
        "INSERT INTO tool_grants (id, project_id, number, scope, agent_id, role, rule, task_id, expires_at, approval_id,
                                  created_by_kind, created_by_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(g.project_id)
    .bind(g.number)
    .bind(Pg(g.scope))
    .bind(g.agent_id)
    .bind(Pg(g.role))
    .bind(g.rule)
    .bind(g.task_id)
    .bind(g.expires_at)
    .bind(g.approval_id)
    .bind(Pg(by.kind()))
    .bind(by.name())
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn next_number(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar("UPDATE projects SET next_grant_number = next_grant_number + 1 WHERE id = $1 RETURNING next_grant_number - 1")
        .bind(project_id)
        .fetch_one(conn)
        .await
}

/// The grants that cover an agent now: its own, its role's and its project's, live, and (for
/// a task's grant) while the agent works on that task.
pub async fn live_for_agent(
    conn: &mut PgConnection,
    project_id: Uuid,
    agent_id: Uuid,
    role: AgentRole,
    current_task: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<ToolGrant>> {
    sqlx::query_as(
        "SELECT * FROM tool_grants
         WHERE project_id = $1 AND revoked_at IS NULL AND expires_at > $5
           AND (scope = 'project' OR (scope = 'agent' AND agent_id = $2) OR (scope = 'role' AND role = $3))
           AND (task_id IS NULL OR task_id = $4)
         ORDER BY number",
    )
    .bind(project_id)
    .bind(agent_id)
    .bind(Pg(role))
    .bind(current_task)
    .bind(now)
    .fetch_all(conn)
    .await
}

pub async fn record_use(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE tool_grants SET uses = uses + 1, last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ToolGrant>> {
    sqlx::query_as("SELECT * FROM tool_grants WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn id_by_number(conn: &mut PgConnection, project_id: Uuid, number: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM tool_grants WHERE project_id = $1 AND number = $2")
        .bind(project_id)
        .bind(number)
        .fetch_optional(conn)
        .await
}

pub async fn revoke(conn: &mut PgConnection, id: Uuid, by: &str, now: DateTime<Utc>) -> sqlx::Result<ToolGrant> {
    sqlx::query_as("UPDATE tool_grants SET revoked_at = $2, revoked_by_name = $3 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(now)
        .bind(by)
        .fetch_one(conn)
        .await
}

/// The project's grants, newest first: the live ones only, or all.
pub async fn list(
    conn: &mut PgConnection,
    project_id: Uuid,
    live_only: bool,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<ToolGrant>> {
    sqlx::query_as(
        "SELECT * FROM tool_grants
         WHERE project_id = $1 AND (NOT $2 OR (revoked_at IS NULL AND expires_at > $3))
         ORDER BY number DESC LIMIT $4",
    )
    .bind(project_id)
    .bind(live_only)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Grants whose time has passed, not revoked, not yet recorded as expired: each is marked
/// (returned once, whoever runs the job at the same time).
pub async fn mark_lapsed(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<ToolGrant>> {
    sqlx::query_as(
        "UPDATE tool_grants SET lapsed_at = $1
         WHERE id IN (SELECT id FROM tool_grants WHERE revoked_at IS NULL AND lapsed_at IS NULL AND expires_at <= $1
                      ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
         RETURNING *",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}
