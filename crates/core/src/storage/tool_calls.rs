//! Decisions on Claude Code's and Codex's tool calls (`app::bridge`).

use crate::model::{Agent, ToolCall};
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{RiskLevel, ToolClient, ToolDecision};
use sqlx::PgConnection;
use uuid::Uuid;

/// A decision to record, owned: decisions wait in a queue for their batch (`app::bridge`).
#[derive(Debug, Clone)]
pub struct NewToolCall {
    pub id: Uuid,
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub client: ToolClient,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    pub tool_name: String,
    pub input_hash: String,
    pub summary: String,
    pub risk: RiskLevel,
    pub rule: String,
    pub decision: ToolDecision,
    pub decided_by: String,
    pub reason: Option<String>,
    pub approval_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub latency_ms: i32,
}

pub async fn insert(conn: &mut PgConnection, c: &NewToolCall, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO tool_calls (id, project_id, agent_id, task_id, client, session_id, cwd, tool_name, input_hash, summary,
                                 risk, rule, decision, decided_by, reason, approval_id, grant_id, latency_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(c.id)
    .bind(c.project_id)
    .bind(c.agent_id)
    .bind(c.task_id)
    .bind(Pg(c.client))
    .bind(&c.session_id)
    .bind(&c.cwd)
    .bind(&c.tool_name)
    .bind(&c.input_hash)
    .bind(&c.summary)
    .bind(Pg(c.risk))
    .bind(&c.rule)
    .bind(Pg(c.decision))
    .bind(&c.decided_by)
    .bind(&c.reason)
    .bind(c.approval_id)
    .bind(c.grant_id)
    .bind(c.latency_ms)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The task's tool calls that were not GREEN (GREEN ones are many and say little), oldest first.
pub async fn for_task(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<ToolCall>> {
    sqlx::query_as("SELECT * FROM tool_calls WHERE task_id = $1 AND risk <> 'green' ORDER BY created_at, id LIMIT 1000")
        .bind(task_id)
        .fetch_all(conn)
        .await
}

/// An agent's sessions: each session id with its working directory, its calls and when it
/// was last heard, latest first.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    pub session_id: String,
    pub client: String,
    pub cwd: Option<String>,
    pub calls: i64,
    pub last_at: DateTime<Utc>,
}

pub async fn sessions(conn: &mut PgConnection, agent_id: Uuid, limit: i64) -> sqlx::Result<Vec<SessionSummary>> {
    sqlx::query_as(
        "SELECT session_id, client::text AS client, (array_agg(cwd ORDER BY created_at DESC))[1] AS cwd,
                count(*) AS calls, max(created_at) AS last_at
         FROM tool_calls WHERE agent_id = $1 AND session_id IS NOT NULL
         GROUP BY session_id, client ORDER BY max(created_at) DESC LIMIT $2",
    )
    .bind(agent_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// How many tool calls the agent made since `since`, and the last RED one.
pub async fn count_since(conn: &mut PgConnection, agent_id: Uuid, since: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM tool_calls WHERE agent_id = $1 AND created_at >= $2")
        .bind(agent_id)
        .bind(since)
        .fetch_one(conn)
        .await
}

pub async fn last_red(conn: &mut PgConnection, agent_id: Uuid) -> sqlx::Result<Option<ToolCall>> {
    sqlx::query_as("SELECT * FROM tool_calls WHERE agent_id = $1 AND risk = 'red' ORDER BY created_at DESC LIMIT 1")
        .bind(agent_id)
        .fetch_optional(conn)
        .await
}

/// What deciding a call needs, in one read: the agent, its project's slug, and the directory
/// its session started in (the `cwd` of the session's first recorded call).
pub async fn context(
    conn: &mut PgConnection,
    agent_id: Uuid,
    session: Option<&str>,
) -> sqlx::Result<Option<(Agent, String, Option<String>)>> {
    use sqlx::{FromRow, Row};
    let row = sqlx::query(
        "SELECT a.*, p.slug AS project_slug,
                (SELECT t.cwd FROM tool_calls t
                 WHERE t.agent_id = a.id AND t.session_id = $2 AND t.cwd IS NOT NULL
                 ORDER BY t.created_at, t.id LIMIT 1) AS session_root
         FROM agents a JOIN projects p ON p.id = a.project_id
         WHERE a.id = $1",
    )
    .bind(agent_id)
    .bind(session)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((
        Agent::from_row(&row)?,
        row.try_get("project_slug")?,
        row.try_get("session_root")?,
    )))
}
