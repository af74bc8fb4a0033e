use crate::pg::Pg;
use chrono::{DateTime, NaiveDate, Utc};
use mc_domain::loops::{LoopThresholds, TaskActivity};
use mc_domain::{RunStatus, TaskStatus};
use sqlx::PgConnection;
use uuid::Uuid;

/// Claims one occurrence of a job for this instance; None when another replica has it.
pub async fn claim_run(
    conn: &mut PgConnection,
    job: &str,
    scheduled_for: DateTime<Utc>,
    instance: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO job_runs (job, scheduled_for, instance, started_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id",
    )
    .bind(job)
    .bind(scheduled_for)
    .bind(instance)
    .bind(now)
    .fetch_optional(conn)
    .await
}

pub async fn finish_run(conn: &mut PgConnection, id: i64, succeeded: bool, detail: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE job_runs SET finished_at = $2, outcome = $3, detail = $4 WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(if succeeded { "succeeded" } else { "failed" })
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

/// Runs still `running` that started at or before `started_before` (of `instance`, when given)
/// are finished as failed with `why`. Returns how many.
pub async fn abandon_runs(
    conn: &mut PgConnection,
    instance: Option<&str>,
    started_before: DateTime<Utc>,
    why: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE job_runs SET outcome = 'failed', finished_at = greatest($3, started_at), detail = $4
         WHERE outcome = 'running' AND started_at <= $1 AND ($2::text IS NULL OR instance = $2)",
    )
    .bind(started_before)
    .bind(instance)
    .bind(now)
    .bind(why)
    .execute(conn)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub scheduled_for: DateTime<Utc>,
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub detail: Option<String>,
}

pub async fn run_by_id(conn: &mut PgConnection, id: i64) -> sqlx::Result<JobRun> {
    sqlx::query_as("SELECT * FROM job_runs WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Active agents silent since before `cutoff` (never heard from counts from registration)
/// and not yet marked stale.
pub async fn newly_stale(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM agents
         WHERE status = 'active' AND stale_since IS NULL AND COALESCE(last_heartbeat, created_at) < $1
         ORDER BY id",
    )
    .bind(cutoff)
    .fetch_all(conn)
    .await
}

pub async fn mark_stale(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE agents SET stale_since = $2 WHERE id = $1 AND stale_since IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Agents not quarantined whose error streak is past the quarantine threshold, or past the
/// alert threshold without an open error_streak alert (a streak set other than by recording
/// runs, e.g. through the API, still alerts, once).
pub async fn over_error_streak(conn: &mut PgConnection, alert: i32, quarantine: i32) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT a.id FROM agents a
         WHERE a.status <> 'quarantined' AND a.error_streak > $1
           AND (a.error_streak > $2
                OR NOT EXISTS (SELECT 1 FROM alerts al WHERE al.project_id = a.project_id AND al.type = 'error_streak'
                                 AND al.subject = 'agent:' || a.id::text AND NOT al.resolved))
         ORDER BY a.id",
    )
    .bind(alert)
    .bind(quarantine)
    .fetch_all(conn)
    .await
}

/// Tasks a loop could be stopped in: those that may move to blocked.
pub async fn loop_candidates(conn: &mut PgConnection) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM tasks WHERE status IN ('in_progress', 'review', 'needs_approval') ORDER BY id")
        .fetch_all(conn)
        .await
}

/// A task's activity for the loop rules. After the loop detector blocked the task and someone
/// unblocked it, only what happened after that unblock counts: the findings that blocked it are
/// not found again straight away, and new activity past a threshold blocks it again.
pub async fn task_activity(conn: &mut PgConnection, task_id: Uuid, t: &LoopThresholds, now: DateTime<Utc>) -> sqlx::Result<TaskActivity> {
    // The first transition out of blocked after the latest loop block.
    let cleared: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.id, u.created_at FROM task_transitions u
         WHERE u.task_id = $1 AND u.from_status = 'blocked'
           AND u.id > (SELECT max(b.id) FROM task_transitions b
                       WHERE b.task_id = $1 AND b.to_status = 'blocked' AND b.actor_kind = 'system' AND b.actor_name = 'loop_detector')
         ORDER BY u.id LIMIT 1",
    )
    .bind(task_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (cleared_id, cleared_at) = match cleared {
        Some((id, at)) => (Some(id), Some(at)),
        None => (None, None),
    };
    let comment_since = now - chrono::Duration::minutes(t.comment_window_minutes as i64);
    let comments: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM comments WHERE task_id = $1 AND created_at >= $2 AND ($3::timestamptz IS NULL OR created_at > $3)",
    )
    .bind(task_id)
    .bind(comment_since)
    .bind(cleared_at)
    .fetch_one(&mut *conn)
    .await?;
    let review_cycles: i64 = match cleared_id {
        // The lifetime counter, until a loop block was cleared; then the cycles (review back to
        // in progress) since.
        None => {
            sqlx::query_scalar("SELECT review_cycles::bigint FROM tasks WHERE id = $1")
                .bind(task_id)
                .fetch_one(&mut *conn)
                .await?
        }
        Some(id) => sqlx::query_scalar(
            "SELECT count(*) FROM task_transitions WHERE task_id = $1 AND id > $2 AND from_status = 'review' AND to_status = 'in_progress'",
        )
        .bind(task_id)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?,
    };
    let recent_runs: Vec<Pg<RunStatus>> = sqlx::query_scalar(
        "SELECT status FROM runs WHERE task_id = $1 AND ($3::timestamptz IS NULL OR created_at > $3)
         ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(task_id)
    .bind(t.failed_runs_window as i64)
    .bind(cleared_at)
    .fetch_all(&mut *conn)
    .await?;
    let transition_since = now - chrono::Duration::minutes(t.transition_window_minutes as i64);
    let transitions: Vec<(Pg<TaskStatus>, Pg<TaskStatus>)> = sqlx::query_as(
        "SELECT from_status, to_status FROM task_transitions
         WHERE task_id = $1 AND created_at >= $2 AND ($3::bigint IS NULL OR id > $3) ORDER BY id",
    )
    .bind(task_id)
    .bind(transition_since)
    .bind(cleared_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(TaskActivity {
        comments_in_window: comments as u32,
        review_cycles: review_cycles.max(0) as u32,
        recent_runs: recent_runs.into_iter().map(|run| run.0).collect(),
        transitions_in_window: transitions.into_iter().map(|(from, to)| (from.0, to.0)).collect(),
    })
}

/// Agents at or past `percent` of today's cap, not yet warned today.
pub async fn due_budget_warning(conn: &mut PgConnection, today: NaiveDate, percent: u32) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM agents
         WHERE spend_day = $1 AND daily_cap_micros > 0 AND today_spend_micros * 100 >= daily_cap_micros * $2
           AND (budget_warned_day IS NULL OR budget_warned_day <> $1)
         ORDER BY id",
    )
    .bind(today)
    .bind(percent as i64)
    .fetch_all(conn)
    .await
}

/// Active agents at or over today's cap (a cap lowered below what was already spent).
pub async fn active_over_cap(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM agents WHERE status = 'active' AND spend_day = $1 AND today_spend_micros >= daily_cap_micros ORDER BY id",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

/// The agents paused for `cause`, in id order.
pub async fn paused_for(conn: &mut PgConnection, cause: &str) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM agents WHERE status = 'paused' AND status_cause = $1 ORDER BY id")
        .bind(cause)
        .fetch_all(conn)
        .await
}

/// Agents whose spend day is over, or who are still paused by yesterday's budget or last
/// month's.
pub async fn to_roll_over(conn: &mut PgConnection, today: NaiveDate) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM agents WHERE spend_day < $1 OR (status = 'paused' AND status_cause = 'budget' AND today_spend_micros < daily_cap_micros)
            OR (status = 'paused' AND status_cause = 'budget_month' AND month_spend_micros < COALESCE(monthly_cap_micros, 0))
         ORDER BY id",
    )
    .bind(today)
    .fetch_all(conn)
    .await
}

/// Pending approvals within `before` of their expiry that were not escalated yet.
pub async fn approvals_to_escalate(conn: &mut PgConnection, now: DateTime<Utc>, before: chrono::Duration) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM approvals WHERE status = 'pending' AND escalated_at IS NULL AND expires_at > $1 AND expires_at <= $2 ORDER BY id",
    )
    .bind(now)
    .bind(now + before)
    .fetch_all(conn)
    .await
}

/// A pending approval becomes escalated (still open: decidable and expirable) when its one
/// reminder goes out.
pub async fn mark_escalated(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE approvals SET escalated_at = $2, status = 'escalated' WHERE id = $1 AND escalated_at IS NULL AND status = 'pending'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_delivered_outbox(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM outbox WHERE status IN ('delivered', 'skipped') AND created_at < $1")
            .bind(before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
