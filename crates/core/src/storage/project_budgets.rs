//! A project's caps over all its agents and its spend under them (`project_budgets`: a row
//! only while the project has a cap).

use crate::model::ProjectBudget;
use chrono::NaiveDate;
use mc_domain::budget::month_of;
use mc_domain::Usd;
use sqlx::PgConnection;
use uuid::Uuid;

/// The project's budget, locked; its counters rolled over to `today` (a new day or month
/// starts from zero).
pub async fn lock(conn: &mut PgConnection, project_id: Uuid, today: NaiveDate) -> sqlx::Result<Option<ProjectBudget>> {
    sqlx::query_as(
        "UPDATE project_budgets SET
             today_spend_micros = CASE WHEN spend_day = $2 THEN today_spend_micros ELSE 0 END, spend_day = $2,
             month_spend_micros = CASE WHEN spend_month = $3 THEN month_spend_micros ELSE 0 END, spend_month = $3
         WHERE project_id = $1 RETURNING *",
    )
    .bind(project_id)
    .bind(today)
    .bind(month_of(today))
    .fetch_optional(conn)
    .await
}

/// Adds a run's cost to a locked, rolled-over budget.
pub async fn add_spend(conn: &mut PgConnection, project_id: Uuid, cost: Usd) -> sqlx::Result<ProjectBudget> {
    sqlx::query_as(
        "UPDATE project_budgets SET today_spend_micros = today_spend_micros + $2, month_spend_micros = month_spend_micros + $2
         WHERE project_id = $1 RETURNING *",
    )
    .bind(project_id)
    .bind(cost.micros())
    .fetch_one(conn)
    .await
}

/// Sets the caps (a row is made, its counters taken from today's and this month's runs, when
/// the project had none); both none removes the row.
pub async fn set_caps(
    conn: &mut PgConnection,
    project_id: Uuid,
    daily: Option<Usd>,
    monthly: Option<Usd>,
    today: NaiveDate,
) -> sqlx::Result<Option<ProjectBudget>> {
    if daily.is_none() && monthly.is_none() {
        sqlx::query("DELETE FROM project_budgets WHERE project_id = $1")
            .bind(project_id)
            .execute(conn)
            .await?;
        return Ok(None);
    }
    sqlx::query_as(
        "INSERT INTO project_budgets (project_id, daily_cap_micros, monthly_cap_micros, today_spend_micros, spend_day,
                                      month_spend_micros, spend_month)
         SELECT $1, $2, $3,
                COALESCE(sum(cost_micros) FILTER (WHERE day = $4), 0)::bigint, $4, COALESCE(sum(cost_micros), 0)::bigint, $5
         FROM daily_costs WHERE project_id = $1 AND day >= $5
         ON CONFLICT (project_id) DO UPDATE SET daily_cap_micros = $2, monthly_cap_micros = $3
         RETURNING *",
    )
    .bind(project_id)
    .bind(daily.map(Usd::micros))
    .bind(monthly.map(Usd::micros))
    .bind(today)
    .bind(month_of(today))
    .fetch_one(conn)
    .await
    .map(Some)
}

pub async fn mark_warned(conn: &mut PgConnection, project_id: Uuid, day: Option<NaiveDate>, month: Option<NaiveDate>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE project_budgets SET warned_day = COALESCE($2, warned_day), warned_month = COALESCE($3, warned_month)
         WHERE project_id = $1",
    )
    .bind(project_id)
    .bind(day)
    .bind(month)
    .execute(conn)
    .await?;
    Ok(())
}

/// The projects with a budget, for the period's turn.
pub async fn all(conn: &mut PgConnection) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT project_id FROM project_budgets ORDER BY project_id")
        .fetch_all(conn)
        .await
}

/// The project's budget as it is (not locked, not rolled over).
pub async fn get(conn: &mut PgConnection, project_id: Uuid) -> sqlx::Result<Option<ProjectBudget>> {
    sqlx::query_as("SELECT * FROM project_budgets WHERE project_id = $1")
        .bind(project_id)
        .fetch_optional(conn)
        .await
}
