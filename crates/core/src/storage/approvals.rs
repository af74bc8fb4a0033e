use crate::model::Approval;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{Actor, ApprovalStatus, RiskLevel, ToolClient, Usd};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

pub struct NewApproval<'a> {
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub action_type: &'a str,
    pub action_summary: &'a str,
    pub risk: RiskLevel,
    pub justification: &'a str,
    pub rollback_plan: Option<&'a str>,
    pub estimated_cost: Option<Usd>,
    pub expires_at: DateTime<Utc>,
    /// A tool call's approval: what the call was.
    pub tool: Option<ToolCallCard<'a>>,
}

/// What a RED tool call's approval keeps of the call.
pub struct ToolCallCard<'a> {
    pub name: &'a str,
    pub input: &'a serde_json::Value,
    pub input_hash: &'a str,
    pub cwd: Option<&'a str>,
    pub rule: &'a str,
    pub client: ToolClient,
}

/// Files a pending approval under the project's next number (`A<n>`).
pub async fn insert_pending(conn: &mut PgConnection, a: &NewApproval<'_>, now: DateTime<Utc>) -> sqlx::Result<Approval> {
    let number = super::projects::next_approval_number(&mut *conn, a.project_id).await?;
    sqlx::query_as(
        "INSERT INTO approvals (id, project_id, number, agent_id, task_id, action_type, action_summary, risk,
                               justification, rollback_plan, estimated_cost_micros, status, expires_at, created_at,
                               tool_name, tool_input, tool_input_hash, tool_cwd, tool_rule, tool_client)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $13, $14, $15, $16, $17, $18, $19) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(a.project_id)
    .bind(number)
    .bind(a.agent_id)
    .bind(a.task_id)
    .bind(a.action_type)
    .bind(a.action_summary)
    .bind(Pg(a.risk))
    .bind(a.justification)
    .bind(a.rollback_plan)
    .bind(Pg(a.estimated_cost))
    .bind(a.expires_at)
    .bind(now)
    .bind(a.tool.as_ref().map(|t| t.name))
    .bind(a.tool.as_ref().map(|t| t.input))
    .bind(a.tool.as_ref().map(|t| t.input_hash))
    .bind(a.tool.as_ref().and_then(|t| t.cwd))
    .bind(a.tool.as_ref().map(|t| t.rule))
    .bind(Pg(a.tool.as_ref().map(|t| t.client)))
    .fetch_one(conn)
    .await
}

/// The agent's approval for the same tool call (by its input's hash) whose decision no call
/// was given yet, locked: an open one a repeated call attaches to, or a decision made after
/// the call that asked had given up waiting.
pub async fn lock_unanswered_tool_call(conn: &mut PgConnection, agent_id: Uuid, input_hash: &str) -> sqlx::Result<Option<Approval>> {
    sqlx::query_as(
        "SELECT * FROM approvals WHERE agent_id = $1 AND tool_input_hash = $2 AND answered_at IS NULL
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(agent_id)
    .bind(input_hash)
    .fetch_optional(conn)
    .await
}

/// Records that a tool call was given this approval's decision.
pub async fn mark_answered(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE approvals SET answered_at = $2 WHERE id = $1 AND answered_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Approval>> {
    sqlx::query_as("SELECT * FROM approvals WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn id_by_number(conn: &mut PgConnection, project_id: Uuid, number: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM approvals WHERE project_id = $1 AND number = $2")
        .bind(project_id)
        .bind(number)
        .fetch_optional(conn)
        .await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Approval>> {
    sqlx::query_as("SELECT * FROM approvals WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: ApprovalStatus,
    by: &Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Approval> {
    sqlx::query_as(
        "UPDATE approvals SET status = $2, decided_by_kind = $3, decided_by_id = $4, decided_by_name = $5,
                decided_at = $6, decision_note = $7
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(Pg(status))
    .bind(Pg(by.kind()))
    .bind(by.id())
    .bind(by.name())
    .bind(now)
    .bind(note)
    .fetch_one(conn)
    .await
}

/// The open approvals whose expiry has passed, oldest expiry first (each is then locked and
/// checked again in its own transaction).
pub async fn expired_ids(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM approvals WHERE status IN ('pending', 'escalated') AND expires_at <= $1
         ORDER BY expires_at, id",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// The project of the approval whose card (or its copy in a task's topic) is message
/// `message_id` of chat `chat_id`.
pub async fn project_of_card(conn: &mut PgConnection, chat_id: i64, message_id: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT a.project_id FROM telegram_messages m JOIN approvals a ON a.id = m.entity_id
         WHERE m.chat_id = $1 AND m.message_id = $2 AND m.entity_kind IN ('approval', 'task_approval')
         LIMIT 1",
    )
    .bind(chat_id)
    .bind(message_id)
    .fetch_optional(conn)
    .await
}

pub struct ApprovalFilter {
    pub project_id: Uuid,
    pub statuses: Option<Vec<ApprovalStatus>>,
    pub agent_id: Option<Uuid>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut PgConnection, f: &ApprovalFilter) -> sqlx::Result<(Vec<Approval>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, f: &ApprovalFilter) {
        q.push(" WHERE project_id = ").push_bind(f.project_id);
        if let Some(statuses) = &f.statuses {
            q.push(" AND status = ANY(").push_bind(Pg(statuses.as_slice())).push(")");
        }
        if let Some(agent) = f.agent_id {
            q.push(" AND agent_id = ").push_bind(agent);
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM approvals");
    filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("SELECT * FROM approvals");
    filters(&mut q, f);
    q.push(" ORDER BY created_at DESC, number DESC LIMIT ")
        .push_bind(f.limit)
        .push(" OFFSET ")
        .push_bind(f.offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}

pub async fn for_task(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<Approval>> {
    sqlx::query_as("SELECT * FROM approvals WHERE task_id = $1 ORDER BY created_at")
        .bind(task_id)
        .fetch_all(conn)
        .await
}

/// Keeps the arguments a person changed before approving.
pub async fn set_updated_input(conn: &mut PgConnection, id: Uuid, input: &serde_json::Value) -> sqlx::Result<()> {
    sqlx::query("UPDATE approvals SET updated_input = $2 WHERE id = $1")
        .bind(id)
        .bind(input)
        .execute(conn)
        .await?;
    Ok(())
}
