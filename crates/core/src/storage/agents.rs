use crate::model::Agent;
use crate::pg::Pg;
use chrono::{DateTime, NaiveDate, Utc};
use mc_domain::i18n::Said;
use mc_domain::{AgentRole, AgentStatus, TaskType, Usd};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

pub struct NewAgent<'a> {
    pub project_id: Uuid,
    pub name: &'a str,
    pub role: AgentRole,
    pub parent_agent_id: Option<Uuid>,
    pub depth: i32,
    pub allowed_task_types: &'a [TaskType],
    pub status: AgentStatus,
    pub status_cause: Option<&'a str>,
    pub daily_cap: Usd,
    pub per_run_cap: Usd,
}

pub async fn insert(conn: &mut PgConnection, a: &NewAgent<'_>, now: DateTime<Utc>) -> sqlx::Result<Agent> {
    sqlx::query_as(
        "INSERT INTO agents (id, project_id, name, role, parent_agent_id, depth, allowed_task_types, status, status_cause,
                             daily_cap_micros, per_run_cap_micros, spend_day, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(a.project_id)
    .bind(a.name)
    .bind(Pg(a.role))
    .bind(a.parent_agent_id)
    .bind(a.depth)
    .bind(Pg(a.allowed_task_types))
    .bind(Pg(a.status))
    .bind(a.status_cause)
    .bind(Pg(a.daily_cap))
    .bind(Pg(a.per_run_cap))
    .bind(now.date_naive())
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn by_name(conn: &mut PgConnection, project_id: Uuid, name: &str) -> sqlx::Result<Option<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE project_id = $1 AND lower(name) = lower($2)")
        .bind(project_id)
        .bind(name)
        .fetch_optional(conn)
        .await
}

/// Names close to `name`, for "not found" hints.
pub async fn similar_names(conn: &mut PgConnection, project_id: Uuid, name: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT name FROM agents WHERE project_id = $1
         ORDER BY (lower(name) LIKE lower(left($2, 2)) || '%') DESC, name LIMIT 5",
    )
    .bind(project_id)
    .bind(name)
    .fetch_all(conn)
    .await
}

pub async fn count_children(conn: &mut PgConnection, parent_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM agents WHERE parent_agent_id = $1 AND status <> 'drained'")
        .bind(parent_id)
        .fetch_one(conn)
        .await
}

pub async fn count_active(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM agents WHERE project_id = $1 AND status = 'active'")
        .bind(project_id)
        .fetch_one(conn)
        .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: AgentStatus,
    cause: Option<&str>,
    reason: Option<&Said>,
    now: DateTime<Utc>,
) -> sqlx::Result<Agent> {
    sqlx::query_as(
        "UPDATE agents SET status = $2, status_cause = $3, status_reason = $4, status_reason_said = $6, updated_at = $5
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(Pg(status))
    .bind(cause)
    .bind(reason.map(|r| r.to_string()))
    .bind(now)
    .bind(reason.and_then(Said::as_msg).map(sqlx::types::Json))
    .fetch_one(conn)
    .await
}

/// Pauses every active agent of the project, with `cause`; returns them.
pub async fn pause_all_active(
    conn: &mut PgConnection,
    project_id: Uuid,
    cause: &str,
    reason: &Said,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as(
        "UPDATE agents SET status = 'paused', status_cause = $2, status_reason = $3, status_reason_said = $5, updated_at = $4
         WHERE project_id = $1 AND status = 'active' RETURNING *",
    )
    .bind(project_id)
    .bind(cause)
    .bind(reason.to_string())
    .bind(now)
    .bind(reason.as_msg().map(sqlx::types::Json))
    .fetch_all(conn)
    .await
}

/// Resumes the project's agents paused with `cause` (not those paused for other reasons).
pub async fn resume_paused_by(conn: &mut PgConnection, project_id: Uuid, cause: &str, now: DateTime<Utc>) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as(
        "UPDATE agents SET status = 'active', status_cause = NULL, status_reason = NULL, status_reason_said = NULL, updated_at = $3
         WHERE project_id = $1 AND status = 'paused' AND status_cause = $2 RETURNING *",
    )
    .bind(project_id)
    .bind(cause)
    .bind(now)
    .fetch_all(conn)
    .await
}

pub async fn set_budgets(conn: &mut PgConnection, id: Uuid, daily: Usd, per_run: Usd, now: DateTime<Utc>) -> sqlx::Result<Agent> {
    sqlx::query_as("UPDATE agents SET daily_cap_micros = $2, per_run_cap_micros = $3, updated_at = $4 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(Pg(daily))
        .bind(Pg(per_run))
        .bind(now)
        .fetch_one(conn)
        .await
}

/// Starts a new spend day for the agent if the UTC day changed since its last spend, and a new
/// spend month if the month did.
pub async fn roll_over_spend(conn: &mut PgConnection, id: Uuid, today: NaiveDate) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE agents SET today_spend_micros = 0, spend_day = $2,
                month_spend_micros = CASE WHEN spend_month = $3 THEN month_spend_micros ELSE 0 END, spend_month = $3
         WHERE id = $1 AND spend_day <> $2",
    )
    .bind(id)
    .bind(today)
    .bind(mc_domain::budget::month_of(today))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_spend(conn: &mut PgConnection, id: Uuid, cost: Usd, failed: bool, now: DateTime<Utc>) -> sqlx::Result<Agent> {
    sqlx::query_as(
        "UPDATE agents SET today_spend_micros = today_spend_micros + $2, total_spend_micros = total_spend_micros + $2,
                month_spend_micros = month_spend_micros + $2,
                error_streak = CASE WHEN $3 THEN error_streak + 1 ELSE 0 END, updated_at = $4
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(Pg(cost))
    .bind(failed)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn mark_month_warned(conn: &mut PgConnection, id: Uuid, month: NaiveDate) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET budget_warned_month = $2 WHERE id = $1")
        .bind(id)
        .bind(month)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets (or clears) the agent's monthly cap.
pub async fn set_monthly_cap(conn: &mut PgConnection, id: Uuid, cap: Option<Usd>, now: DateTime<Utc>) -> sqlx::Result<Agent> {
    sqlx::query_as("UPDATE agents SET monthly_cap_micros = $2, updated_at = $3 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(cap.map(Usd::micros))
        .bind(now)
        .fetch_one(conn)
        .await
}

/// The project's agents paused for `cause`, locked in id order (as every use case locks agents).
pub async fn lock_paused_for(conn: &mut PgConnection, project_id: Uuid, cause: &str) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE project_id = $1 AND status = 'paused' AND status_cause = $2 ORDER BY id FOR UPDATE")
        .bind(project_id)
        .bind(cause)
        .fetch_all(conn)
        .await
}

/// The project's active agents, locked in id order.
pub async fn lock_active_in(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE project_id = $1 AND status = 'active' ORDER BY id FOR UPDATE")
        .bind(project_id)
        .fetch_all(conn)
        .await
}

pub async fn mark_budget_warned(conn: &mut PgConnection, id: Uuid, day: NaiveDate) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET budget_warned_day = $2 WHERE id = $1")
        .bind(id)
        .bind(day)
        .execute(conn)
        .await?;
    Ok(())
}

/// An agent as its heartbeat left it, and the status it had before.
#[derive(Debug, sqlx::FromRow)]
pub struct Beat {
    #[sqlx(flatten)]
    pub agent: Agent,
    #[sqlx(try_from = "Pg<AgentStatus>")]
    pub status_before: AgentStatus,
}

/// Records a heartbeat of each of these agents in one statement: locks them (in id order, as
/// every use case locks agents), rolls a past day's spend over to `today`, and clears their
/// staleness. Agents that do not exist are not in the answer.
pub async fn record_heartbeats(conn: &mut PgConnection, ids: &[Uuid], now: DateTime<Utc>, today: NaiveDate) -> sqlx::Result<Vec<Beat>> {
    sqlx::query_as(
        "WITH before AS (SELECT id, status FROM agents WHERE id = ANY($1) ORDER BY id FOR UPDATE)
         UPDATE agents a SET last_heartbeat = $2, stale_since = NULL,
                today_spend_micros = CASE WHEN a.spend_day <> $3 THEN 0 ELSE a.today_spend_micros END,
                spend_day = $3,
                month_spend_micros = CASE WHEN a.spend_month <> date_trunc('month', $3::date)::date THEN 0 ELSE a.month_spend_micros END,
                spend_month = date_trunc('month', $3::date)::date
         FROM before b WHERE a.id = b.id
         RETURNING a.*, b.status AS status_before",
    )
    .bind(ids)
    .bind(now)
    .bind(today)
    .fetch_all(conn)
    .await
}

pub async fn set_current_task(conn: &mut PgConnection, agent_ids: &[Uuid], task_id: Option<Uuid>) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET current_task_id = $2 WHERE id = ANY($1)")
        .bind(agent_ids)
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear_current_task(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE agents SET current_task_id = NULL WHERE current_task_id = $1")
        .bind(task_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct ResetFields {
    pub status: Option<AgentStatus>,
    /// Recorded with a `status` other than active.
    pub status_reason: Option<Said>,
    pub error_streak: Option<i32>,
    pub today_spend: Option<Usd>,
    pub current_task_id: Option<Option<Uuid>>,
}

pub async fn reset(conn: &mut PgConnection, id: Uuid, f: &ResetFields, now: DateTime<Utc>) -> sqlx::Result<Agent> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("UPDATE agents SET updated_at = ");
    q.push_bind(now);
    if let Some(status) = f.status {
        q.push(", status = ").push_bind(Pg(status));
        if status == AgentStatus::Active {
            q.push(", status_cause = NULL, status_reason = NULL, status_reason_said = NULL");
        } else {
            let reason = f.status_reason.as_ref();
            q.push(", status_cause = 'manual', status_reason = ")
                .push_bind(reason.map(Said::to_string));
            q.push(", status_reason_said = ")
                .push_bind(reason.and_then(Said::as_msg).map(sqlx::types::Json));
        }
    }
    if let Some(streak) = f.error_streak {
        q.push(", error_streak = ").push_bind(streak);
    }
    if let Some(spend) = f.today_spend {
        q.push(", today_spend_micros = ").push_bind(Pg(spend));
    }
    if let Some(task) = f.current_task_id {
        q.push(", current_task_id = ").push_bind(task);
    }
    q.push(" WHERE id = ").push_bind(id).push(" RETURNING *");
    q.build_query_as().fetch_one(conn).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentSort {
    Name,
    TodaySpend,
    TotalSpend,
    LastHeartbeat,
}

pub struct AgentFilter {
    pub project_id: Uuid,
    pub status: Option<Vec<AgentStatus>>,
    pub role: Option<AgentRole>,
    pub sort: AgentSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut PgConnection, f: &AgentFilter) -> sqlx::Result<(Vec<Agent>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, f: &AgentFilter) {
        q.push(" WHERE project_id = ").push_bind(f.project_id);
        if let Some(statuses) = &f.status {
            q.push(" AND status = ANY(").push_bind(Pg(statuses.as_slice())).push(")");
        }
        if let Some(role) = f.role {
            q.push(" AND role = ").push_bind(Pg(role));
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM agents");
    filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("SELECT * FROM agents");
    filters(&mut q, f);
    let column = match f.sort {
        AgentSort::Name => "lower(name)",
        AgentSort::TodaySpend => "today_spend_micros",
        AgentSort::TotalSpend => "total_spend_micros",
        AgentSort::LastHeartbeat => "last_heartbeat",
    };
    let direction = if f.descending { " DESC NULLS LAST" } else { " ASC NULLS FIRST" };
    q.push(" ORDER BY ")
        .push(column)
        .push(direction)
        .push(", name LIMIT ")
        .push_bind(f.limit);
    q.push(" OFFSET ").push_bind(f.offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}

pub async fn all_in_project(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Vec<Agent>> {
    sqlx::query_as("SELECT * FROM agents WHERE project_id = $1 ORDER BY lower(name)")
        .bind(project_id)
        .fetch_all(conn)
        .await
}
