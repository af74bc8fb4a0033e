//! Keeping the hot tables small: `cleanup` deletes what has served its purpose (delivered
//! messages, read notifications, old job runs and dedupe records); `archive` moves finished
//! tasks with their history into the `archive` schema. Both can say what they would do first.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Parses `30d`, `12h`, `90days`, `2w`.
pub fn parse_age(input: &str) -> anyhow::Result<chrono::Duration> {
    let std = humantime::parse_duration(input.trim()).map_err(|e| anyhow::anyhow!("'{input}' is not an age like 30d, 12h or 2w: {e}"))?;
    let age = chrono::Duration::from_std(std).context("the age is too large")?;
    if age <= chrono::Duration::zero() {
        anyhow::bail!("the age must be more than zero");
    }
    Ok(age)
}

/// One kind of row and how many were (or would be) removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub what: &'static str,
    pub rows: u64,
}

/// (what, condition on rows older than $1) per table.
const CLEANUP: &[(&str, &str, &str)] = &[
    (
        "delivered outbox messages",
        "outbox",
        "status IN ('delivered', 'skipped') AND created_at < $1",
    ),
    (
        "read notifications",
        "notifications",
        "delivered_at IS NOT NULL AND delivered_at < $1",
    ),
    ("finished job runs", "job_runs", "finished_at IS NOT NULL AND finished_at < $1"),
    // A run still `running` that long after it started belongs to a process long gone.
    ("abandoned job runs", "job_runs", "finished_at IS NULL AND started_at < $1"),
    ("processed Telegram updates", "processed_updates", "processed_at < $1"),
    ("API idempotency records", "idempotency_keys", "created_at < $1"),
    ("inline button records", "callback_actions", "created_at < $1"),
    ("strangers' hourly attempt counts", "telegram_strangers", "hour < $1"),
    // Each decision is also an audit event, which stays.
    ("tool-call decisions", "tool_calls", "created_at < $1"),
    (
        "expired or revoked tool grants",
        "tool_grants",
        "coalesce(revoked_at, expires_at) < $1",
    ),
];

/// `cleanup --older-than`: deletes (or with `dry_run` counts) rows older than `cutoff`, in the
/// caller's transaction (`App::cleanup`, which audits it).
pub async fn cleanup(tx: &mut PgConnection, cutoff: DateTime<Utc>, dry_run: bool) -> anyhow::Result<Vec<Count>> {
    let mut counts = Vec::new();
    for (what, table, condition) in CLEANUP {
        let rows = if dry_run {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE {condition}")))
                .bind(cutoff)
                .fetch_one(&mut *tx)
                .await
                .with_context(|| format!("counting {what}"))?;
            n as u64
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE {condition}")))
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("deleting {what}"))?
                .rows_affected()
        };
        counts.push(Count { what, rows });
    }
    Ok(counts)
}

/// Tables that move with an archived task, children first for the copy.
const ARCHIVED: &[(&str, &str)] = &[
    ("tasks", "id"),
    ("task_assignees", "task_id"),
    ("task_transitions", "task_id"),
    ("comments", "task_id"),
    ("documents", "task_id"),
    ("approvals", "task_id"),
    ("runs", "task_id"),
    ("task_threads", "task_id"),
];

/// `archive --older-than`: moves done and canceled tasks completed before `cutoff`, with their
/// assignees, history, comments, documents, approvals, runs and thread, into `archive.*`, in
/// the caller's transaction (`App::archive`, which audits it). With `dry_run`, counts what
/// would move.
pub async fn archive(tx: &mut PgConnection, cutoff: DateTime<Utc>, dry_run: bool) -> anyhow::Result<Vec<Count>> {
    sqlx::query(
        "CREATE TEMP TABLE archiving ON COMMIT DROP AS
         SELECT id FROM tasks WHERE status IN ('done', 'canceled') AND completed_at < $1",
    )
    .bind(cutoff)
    .execute(&mut *tx)
    .await
    .context("choosing the tasks to archive")?;
    let now = Utc::now();
    let mut counts = Vec::new();
    for (table, key) in ARCHIVED {
        let rows = if dry_run {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} WHERE {key} IN (SELECT id FROM archiving)"
            )))
            .fetch_one(&mut *tx)
            .await?;
            n as u64
        } else {
            // By name, not position: a column added later sits after `archived_at` in the archive.
            let columns: String = sqlx::query_scalar(
                "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
            )
            .bind(table)
            .fetch_one(&mut *tx)
            .await
            .with_context(|| format!("reading the columns of {table}"))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO archive.{table} ({columns}, archived_at)
                 SELECT {columns}, $1 FROM {table} x WHERE x.{key} IN (SELECT id FROM archiving)"
            )))
            .bind(now)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("archiving {table}"))?
            .rows_affected()
        };
        counts.push(Count { what: table, rows });
    }
    if !dry_run {
        // Runs and approvals would only lose their task link on delete; they moved, so go.
        for table in ["runs", "approvals"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE task_id IN (SELECT id FROM archiving)"
            )))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("removing archived {table}"))?;
        }
        // The rest follows the task (ON DELETE CASCADE); pending notices about it go too.
        sqlx::query("DELETE FROM tasks WHERE id IN (SELECT id FROM archiving)")
            .execute(&mut *tx)
            .await
            .context("removing archived tasks")?;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_in_days_hours_and_weeks() {
        assert_eq!(parse_age("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(parse_age("12h").unwrap(), chrono::Duration::hours(12));
        assert_eq!(parse_age("2w").unwrap(), chrono::Duration::weeks(2));
        assert!(parse_age("soon").is_err());
        assert!(parse_age("0d").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_age_parses_or_is_refused(input in "\\PC{0,30}") {
                if let Ok(age) = parse_age(&input) {
                    prop_assert!(age > chrono::Duration::zero());
                }
            }
        }
    }
}
