//! What was spent over a period, grouped by agent, by model or by project (`GET
//! /api/costs/summary`, `/costs`, the standup's month to date): read from the runs' daily
//! roll-up, which the transactions writing them keep, so the summary always matches them (a
//! month is at most 31 rows per agent and model). Unpriced runs are counted apart — their cost
//! is unknown, never $0.

use super::{require_read, App, AppResult};
use crate::storage;
use crate::storage::runs::CostLine;
use chrono::{DateTime, Months, NaiveTime, Utc};
use mc_domain::budget::month_of;
use mc_domain::*;
use serde::Serialize;
use uuid::Uuid;

/// A period's costs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostSummary {
    pub period: BudgetPeriod,
    pub by: CostGrouping,
    /// The period's first instant (UTC midnight of the day, or of the month's first day).
    pub from: DateTime<Utc>,
    /// Its end (excluded); the summary counts runs up to now.
    pub to: DateTime<Utc>,
    pub total: Usd,
    pub runs: i64,
    pub unpriced_runs: i64,
    pub tokens: i64,
    /// The costliest first.
    pub lines: Vec<CostLine>,
}

/// [from, to) of the UTC day or calendar month holding `now`.
pub fn period_bounds(period: BudgetPeriod, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = now.date_naive();
    let (first, next) = match period {
        BudgetPeriod::Day => (day, day.succ_opt().expect("a day after today")),
        BudgetPeriod::Month => {
            let first = month_of(day);
            (first, first.checked_add_months(Months::new(1)).expect("a month after this one"))
        }
    };
    (first.and_time(NaiveTime::MIN).and_utc(), next.and_time(NaiveTime::MIN).and_utc())
}

impl App {
    /// The period's costs by agent and by model (`/costs`).
    pub async fn cost_summaries(&self, actor: &Actor, project_id: Uuid, period: BudgetPeriod) -> AppResult<(CostSummary, CostSummary)> {
        Ok((
            self.cost_summary(actor, project_id, period, CostGrouping::Agent).await?,
            self.cost_summary(actor, project_id, period, CostGrouping::Model).await?,
        ))
    }

    /// The costs of the current UTC day or calendar month: of `project_id`, grouped by agent or
    /// model; or, `by` project, of every project the actor may see (an agent: its own).
    pub async fn cost_summary(&self, actor: &Actor, project_id: Uuid, period: BudgetPeriod, by: CostGrouping) -> AppResult<CostSummary> {
        require_read(actor, project_id)?;
        let projects: Vec<Uuid> = match by {
            CostGrouping::Project => self.list_projects(actor).await?.into_iter().map(|p| p.id).collect(),
            _ => vec![project_id],
        };
        let (from, to) = period_bounds(period, self.now());
        let mut conn = self.pool.acquire().await?;
        let lines = storage::runs::cost_summary(&mut conn, &projects, from.date_naive(), to.date_naive(), by).await?;
        Ok(CostSummary {
            period,
            by,
            from,
            to,
            total: lines.iter().fold(Usd::ZERO, |sum, l| sum.saturating_add(l.cost)),
            runs: lines.iter().map(|l| l.runs).sum(),
            unpriced_runs: lines.iter().map(|l| l.unpriced_runs).sum(),
            tokens: lines.iter().map(|l| l.tokens).sum(),
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_period_is_its_utc_day_or_calendar_month() {
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 0).unwrap();
        let (from, to) = period_bounds(BudgetPeriod::Day, now);
        assert_eq!(
            (from, to),
            (
                Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
            )
        );
        let (from, to) = period_bounds(BudgetPeriod::Month, now);
        assert_eq!(
            (from, to),
            (
                Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
            )
        );
    }
}
