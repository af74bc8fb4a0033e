//! Reads for the project summary (`/status`, `/standup`, `/burnrate`) and the bot's task lists:
//! counts and short lines with the names already joined in.

use crate::model::summary::TaskLine;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{TaskStatus, Usd};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

macro_rules! task_line_select {
    () => {
        "SELECT t.id, t.number, t.title, t.status, t.priority, t.type AS task_type, t.blocked_reason, t.blocked_reason_said,
                t.completed_at, t.updated_at,
                COALESCE((SELECT array_agg(a.name ORDER BY ta.assigned_at, a.name)
                          FROM task_assignees ta JOIN agents a ON a.id = ta.agent_id
                          WHERE ta.task_id = t.id), '{}') AS assignees
         FROM tasks t"
    };
}

/// How many tasks the project has in each status (statuses without tasks are absent).
pub async fn task_counts(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Vec<(TaskStatus, i64)>> {
    let counts: Vec<(Pg<TaskStatus>, i64)> = sqlx::query_as("SELECT status, count(*) FROM tasks WHERE project_id = $1 GROUP BY status")
        .bind(project_id)
        .fetch_all(conn)
        .await?;
    Ok(counts.into_iter().map(|(status, n)| (status.0, n)).collect())
}

/// Tasks in `statuses` (all when `None`), by priority then number, with the total count.
pub async fn task_lines(
    conn: &mut PgConnection,
    project_id: Uuid,
    statuses: Option<&[TaskStatus]>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<TaskLine>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, project_id: Uuid, statuses: Option<&[TaskStatus]>) {
        q.push(" WHERE t.project_id = ").push_bind(project_id);
        if let Some(statuses) = statuses {
            q.push(" AND t.status = ANY(").push_bind(Pg(statuses.to_vec())).push(")");
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM tasks t");
    filters(&mut count, project_id, statuses);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(task_line_select!());
    filters(&mut q, project_id, statuses);
    q.push(" ORDER BY t.priority, t.number LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}

/// Tasks completed at or after `since`, newest first.
pub async fn completed_since(conn: &mut PgConnection, project_id: Uuid, since: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<TaskLine>> {
    sqlx::query_as(concat!(
        task_line_select!(),
        " WHERE t.project_id = $1 AND t.status = 'done' AND t.completed_at >= $2
          ORDER BY t.completed_at DESC, t.number DESC LIMIT $3"
    ))
    .bind(project_id)
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Spend per agent of the project's runs at or after `since`.
pub async fn spend_since(conn: &mut PgConnection, project_id: Uuid, since: DateTime<Utc>) -> sqlx::Result<Vec<(Uuid, Usd)>> {
    let spends: Vec<(Uuid, Pg<Usd>)> = sqlx::query_as(
        "SELECT agent_id, COALESCE(sum(cost_micros), 0)::bigint FROM runs
         WHERE project_id = $1 AND created_at >= $2 GROUP BY agent_id",
    )
    .bind(project_id)
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(spends.into_iter().map(|(agent, spend)| (agent, spend.0)).collect())
}

pub async fn open_alert_count(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM alerts WHERE project_id = $1 AND NOT resolved")
        .bind(project_id)
        .fetch_one(conn)
        .await
}
