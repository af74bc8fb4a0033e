//! Decisions on Claude Code's and Codex's tool calls (`app::bridge`).

use crate::model::ToolCall;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{RiskLevel, ToolClient, ToolDecision};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewToolCall<'a> {
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub client: ToolClient,
    pub session_id: Option<&'a str>,
    pub cwd: Option<&'a str>,
    pub tool_name: &'a str,
    pub input_hash: &'a str,
    pub summary: &'a str,
    pub risk: RiskLevel,
    pub rule: &'a str,
    pub decision: ToolDecision,
    pub decided_by: &'a str,
    pub reason: Option<&'a str>,
    pub approval_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub latency_ms: i32,
}

pub async fn insert(conn: &mut PgConnection, c: &NewToolCall<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO tool_calls (id, project_id, agent_id, task_id, client, session_id, cwd, tool_name, input_hash, summary,
                                 risk, rule, decision, decided_by, reason, approval_id, grant_id, latency_ms, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(c.project_id)
    .bind(c.agent_id)
    .bind(c.task_id)
    .bind(Pg(c.client))
    .bind(c.session_id)
    .bind(c.cwd)
    .bind(c.tool_name)
    .bind(c.input_hash)
    .bind(c.summary)
    .bind(Pg(c.risk))
    .bind(c.rule)
    .bind(Pg(c.decision))
    .bind(c.decided_by)
    .bind(c.reason)
    .bind(c.approval_id)
    .bind(c.grant_id)
    .bind(c.latency_ms)
    .bind(now)
    .fetch_one(conn)
    .await
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

/// The directory the agent's session started in: the `cwd` of its first recorded call.
pub async fn session_root(conn: &mut PgConnection, agent_id: Uuid, session_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT cwd FROM tool_calls WHERE agent_id = $1 AND session_id = $2 AND cwd IS NOT NULL
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(agent_id)
    .bind(session_id)
    .fetch_optional(conn)
    .await
}
