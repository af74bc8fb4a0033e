use crate::model::Alert;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::AlertSeverity;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

pub struct NewAlert<'a> {
    pub project_id: Uuid,
    pub alert_type: &'a str,
    pub severity: AlertSeverity,
    pub subject: &'a str,
    pub message: &'a str,
    pub details: &'a serde_json::Value,
}

/// Raises an alert, or bumps the open one with the same type and subject. Returns the alert
/// and whether it is new.
pub async fn upsert_open(conn: &mut PgConnection, a: &NewAlert<'_>, now: DateTime<Utc>) -> sqlx::Result<(Alert, bool)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        alert: Alert,
        inserted: bool,
    }
    let row: Row = sqlx::query_as(
        "INSERT INTO alerts (id, project_id, type, severity, subject, message, details, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (project_id, type, subject) WHERE NOT resolved
         DO UPDATE SET occurrences = alerts.occurrences + 1, last_seen_at = EXCLUDED.last_seen_at,
                       message = EXCLUDED.message, details = EXCLUDED.details,
                       severity = GREATEST(alerts.severity, EXCLUDED.severity)
         RETURNING *, (xmax = 0) AS inserted",
    )
    .bind(Uuid::new_v4())
    .bind(a.project_id)
    .bind(a.alert_type)
    .bind(Pg(a.severity))
    .bind(a.subject)
    .bind(a.message)
    .bind(a.details)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok((row.alert, row.inserted))
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Alert>> {
    sqlx::query_as("SELECT * FROM alerts WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Alert>> {
    sqlx::query_as("SELECT * FROM alerts WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn resolve(conn: &mut PgConnection, id: Uuid, by: &str, now: DateTime<Utc>) -> sqlx::Result<Alert> {
    sqlx::query_as("UPDATE alerts SET resolved = true, resolved_at = $2, resolved_by = $3 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(now)
        .bind(by)
        .fetch_one(conn)
        .await
}

/// Resolves the open alert of this type and subject, if any.
pub async fn resolve_open(
    conn: &mut PgConnection,
    project_id: Uuid,
    alert_type: &str,
    subject: &str,
    by: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Alert>> {
    sqlx::query_as(
        "UPDATE alerts SET resolved = true, resolved_at = $4, resolved_by = $5
         WHERE project_id = $1 AND type = $2 AND subject = $3 AND NOT resolved RETURNING *",
    )
    .bind(project_id)
    .bind(alert_type)
    .bind(subject)
    .bind(now)
    .bind(by)
    .fetch_optional(conn)
    .await
}

/// One open alert to resolve: its project, subject, and who resolves it.
pub struct Resolution<'a> {
    pub project_id: Uuid,
    pub subject: &'a str,
    pub by: &'a str,
}

/// Resolves the open alerts of `alert_type` with these projects and subjects, in one statement.
pub async fn resolve_open_many(
    conn: &mut PgConnection,
    alert_type: &str,
    which: &[Resolution<'_>],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Alert>> {
    let projects: Vec<Uuid> = which.iter().map(|r| r.project_id).collect();
    let subjects: Vec<&str> = which.iter().map(|r| r.subject).collect();
    let by: Vec<&str> = which.iter().map(|r| r.by).collect();
    sqlx::query_as(
        "UPDATE alerts al SET resolved = true, resolved_at = $5, resolved_by = x.by
         FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(project_id, subject, by)
         WHERE al.project_id = x.project_id AND al.type = $1 AND al.subject = x.subject AND NOT al.resolved
         RETURNING al.*",
    )
    .bind(alert_type)
    .bind(projects)
    .bind(subjects)
    .bind(by)
    .bind(now)
    .fetch_all(conn)
    .await
}

pub struct AlertFilter {
    pub project_id: Uuid,
    pub resolved: Option<bool>,
    pub alert_type: Option<String>,
    pub severity: Option<AlertSeverity>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut PgConnection, f: &AlertFilter) -> sqlx::Result<(Vec<Alert>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, f: &AlertFilter) {
        q.push(" WHERE project_id = ").push_bind(f.project_id);
        if let Some(resolved) = f.resolved {
            q.push(" AND resolved = ").push_bind(resolved);
        }
        if let Some(t) = &f.alert_type {
            q.push(" AND type = ").push_bind(t.as_str());
        }
        if let Some(s) = f.severity {
            q.push(" AND severity = ").push_bind(Pg(s));
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM alerts");
    filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("SELECT * FROM alerts");
    filters(&mut q, f);
    q.push(" ORDER BY last_seen_at DESC, id LIMIT ")
        .push_bind(f.limit)
        .push(" OFFSET ")
        .push_bind(f.offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}
