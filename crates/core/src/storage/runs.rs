use crate::model::Run;
use crate::pg::Pg;
use chrono::{DateTime, NaiveDate, Utc};
use mc_domain::costs::{RunTokens, SettledCost};
use mc_domain::{RunStatus, Usd};
use serde::Serialize;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

pub struct NewRun<'a> {
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub cost: SettledCost,
    pub status: RunStatus,
    pub model: Option<&'a str>,
    pub tokens: RunTokens,
    pub error: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, r: &NewRun<'_>, now: DateTime<Utc>) -> sqlx::Result<Run> {
    let usage = r.tokens.usage;
    sqlx::query_as(
        "INSERT INTO runs (id, project_id, agent_id, task_id, cost_micros, status, model, tokens, error, created_at,
                           input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
                           priced_micros, cost_source, cost_mismatch)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(r.project_id)
    .bind(r.agent_id)
    .bind(r.task_id)
    .bind(r.cost.cost.map(Usd::micros))
    .bind(Pg(r.status))
    .bind(r.model)
    .bind(r.tokens.total)
    .bind(r.error)
    .bind(now)
    .bind(usage.map(|u| u.input))
    .bind(usage.map(|u| u.output))
    .bind(usage.map(|u| u.cache_read))
    .bind(usage.map(|u| u.cache_write))
    .bind(usage.map(|u| u.reasoning))
    .bind(r.cost.priced.map(Usd::micros))
    .bind(Pg(r.cost.source))
    .bind(r.cost.mismatch)
    .fetch_one(conn)
    .await
}

pub struct RunFilter {
    pub project_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub by_cost: bool,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut PgConnection, f: &RunFilter) -> sqlx::Result<(Vec<Run>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, f: &RunFilter) {
        q.push(" WHERE project_id = ").push_bind(f.project_id);
        if let Some(agent) = f.agent_id {
            q.push(" AND agent_id = ").push_bind(agent);
        }
        if let Some(task) = f.task_id {
            q.push(" AND task_id = ").push_bind(task);
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM runs");
    filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("SELECT * FROM runs");
    filters(&mut q, f);
    let column = if f.by_cost { "cost_micros" } else { "created_at" };
    // An unpriced run's cost is unknown: it sorts after every known cost either way.
    let direction = if f.descending { " DESC NULLS LAST" } else { " ASC NULLS LAST" };
    q.push(" ORDER BY ")
        .push(column)
        .push(direction)
        .push(", id LIMIT ")
        .push_bind(f.limit);
    q.push(" OFFSET ").push_bind(f.offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailySpend {
    pub day: NaiveDate,
    #[sqlx(rename = "cost_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub cost: Usd,
    pub runs: i64,
    pub failed_runs: i64,
}

/// Spend per UTC day for the project, or for one agent, over [from, to] (from the daily roll-up).
pub async fn daily_spend(
    conn: &mut PgConnection,
    project_id: Uuid,
    agent_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<DailySpend>> {
    sqlx::query_as(
        "SELECT day, sum(cost_micros)::bigint AS cost_micros, sum(runs)::bigint AS runs, sum(failed_runs)::bigint AS failed_runs
         FROM daily_costs
         WHERE project_id = $1 AND ($2::uuid IS NULL OR agent_id = $2) AND day BETWEEN $3 AND $4
         GROUP BY 1 ORDER BY 1",
    )
    .bind(project_id)
    .bind(agent_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentSpend {
    pub agent_id: Uuid,
    pub name: String,
    #[sqlx(rename = "cost_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub cost: Usd,
    pub runs: i64,
}

/// Spend per agent on one UTC day (from the daily roll-up).
pub async fn spend_by_agent(conn: &mut PgConnection, project_id: Uuid, day: NaiveDate) -> sqlx::Result<Vec<AgentSpend>> {
    sqlx::query_as(
        "SELECT a.id AS agent_id, a.name, COALESCE(sum(d.cost_micros), 0)::bigint AS cost_micros, COALESCE(sum(d.runs), 0)::bigint AS runs
         FROM agents a
         LEFT JOIN daily_costs d ON d.agent_id = a.id AND d.project_id = a.project_id AND d.day = $2
         WHERE a.project_id = $1
         GROUP BY a.id, a.name ORDER BY 3 DESC, a.name",
    )
    .bind(project_id)
    .bind(day)
    .fetch_all(conn)
    .await
}

/// One line of a cost summary: an agent, a model or a project, and its runs over the period.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostLine {
    /// The agent's or the project's id, or the model's name (empty: runs that named none).
    pub key: String,
    /// What to call it: the agent's or project's name, or the model.
    pub name: String,
    /// What the priced and reported runs cost (unpriced runs add nothing).
    #[sqlx(rename = "cost_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub cost: Usd,
    pub runs: i64,
    /// Runs of a model the price table does not know, reported without a cost.
    pub unpriced_runs: i64,
    pub tokens: i64,
}

/// The runs of `projects` (archived ones too: money spent stays spent) created on the UTC days
/// [from, to), grouped `by` agent, model or project, the costliest first — summed from their
/// daily roll-up (`daily_costs`, kept by the runs' triggers), at most a row per day, agent and
/// model.
pub async fn cost_summary(
    conn: &mut PgConnection,
    projects: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
    by: mc_domain::CostGrouping,
) -> sqlx::Result<Vec<CostLine>> {
    use mc_domain::CostGrouping;
    let (key, name, join, group) = match by {
        CostGrouping::Agent => ("a.id::text", "a.name", "JOIN agents a ON a.id = d.agent_id", "a.id, a.name"),
        CostGrouping::Model => ("d.model", "d.model", "", "d.model"),
        CostGrouping::Project => ("p.id::text", "p.name", "JOIN projects p ON p.id = d.project_id", "p.id, p.name"),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key} AS key, {name} AS name, sum(d.cost_micros)::bigint AS cost_micros, sum(d.runs)::bigint AS runs,
                sum(d.unpriced_runs)::bigint AS unpriced_runs, sum(d.tokens)::bigint AS tokens
         FROM daily_costs d {join}
         WHERE d.project_id = ANY($1) AND d.day >= $2 AND d.day < $3
         GROUP BY {group} ORDER BY 3 DESC, 2"
    )))
    .bind(projects)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// Builds the daily roll-up again from the runs and archived runs (after a restore, which loads
/// tables with the triggers that keep it off).
pub async fn rebuild_daily_costs(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM daily_costs").execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO daily_costs (project_id, day, agent_id, model, runs, failed_runs, unpriced_runs, cost_micros, tokens)
         SELECT project_id, (created_at AT TIME ZONE 'UTC')::date, agent_id, COALESCE(model, ''),
                count(*), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE cost_micros IS NULL),
                COALESCE(sum(cost_micros), 0), COALESCE(sum(tokens), 0)
         FROM (SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM runs
               UNION ALL SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM archive.runs) r
         GROUP BY 1, 2, 3, 4",
    )
    .execute(conn)
    .await?;
    Ok(())
}
