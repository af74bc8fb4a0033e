//! The daily standup: at each project's own time and time zone, where things stand is saved as
//! an activity and posted (with its chart) to the project's Standup topic — once per day, even
//! with several replicas.

use super::jobs::JobOutcome;
use super::work::Work;
use super::{App, AppResult};
use crate::model::notice::{Notice, Target};
use crate::storage;
use chrono::Duration;
use mc_domain::standup::{due, zone};
use mc_domain::Actor;
use serde_json::json;
use uuid::Uuid;

const KIND: &str = "standup";

impl App {
    /// Posts the standup of every project that is due (or of every project when `force`, the
    /// "run now" of an operator).
    pub async fn job_standup(&self, force: bool) -> AppResult<JobOutcome> {
        let projects = {
            let mut conn = self.pool.acquire().await?;
            storage::projects::list(&mut conn).await?
        };
        let mut posted = Vec::new();
        for project in projects {
            if self.post_standup(project.id, force).await? {
                posted.push(project.slug);
            }
        }
        Ok(JobOutcome {
            acted: posted.len() as u64,
            detail: if posted.is_empty() {
                "no standup due".into()
            } else {
                format!("standup posted for {}", posted.join(", "))
            },
        })
    }

    /// One project's standup, if due; true when posted.
    pub async fn post_standup(&self, project_id: Uuid, force: bool) -> AppResult<bool> {
        let system = Actor::system("standup");
        let mut w = Work::begin(self, &system).await?;
        let now = w.now;
        // Two replicas deciding at once would both see "not posted today".
        storage::activities::lock_project_kind(w.conn(), project_id, KIND).await?;
        let project = storage::projects::by_id(w.conn(), project_id)
            .await?
            .ok_or_else(|| super::AppError::not_found("project", project_id))?;
        let last = storage::activities::last_at(w.conn(), project_id, KIND).await?;
        let tz = zone(&project.standup_timezone);
        let (local_date, is_due) = due(now, tz, project.standup_time, last);
        if !(is_due || force) {
            return Ok(false);
        }
        let mut summary = self.project_summary(&system, project_id).await?;
        let since = last.unwrap_or(now - Duration::hours(24));
        let completed_since_last = storage::activities::count_completed_since(w.conn(), project_id, since).await?;
        summary.completed = storage::summary::completed_since(w.conn(), project_id, since, 10).await?;
        let title = format!("Standup {} — {local_date}", project.name);
        let body = format!(
            "{} tasks ({}); {completed_since_last} completed since the last standup; {} blocked; agents: {} active, {} paused, {} quarantined, {} stale; spent {} of {} today; {} approvals pending",
            summary.tasks_by_status.iter().map(|(_, n)| n).sum::<i64>(),
            summary
                .tasks_by_status
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", "),
            summary.blocked.len(),
            summary.agents.active,
            summary.agents.paused,
            summary.agents.quarantined,
            summary.agents.stale,
            summary.spend_today,
            summary.caps_today,
            summary.pending_approvals_total,
        );
        let data = json!({ "summary": summary, "completedSinceLast": completed_since_last, "localDate": local_date });
        let activity = storage::activities::insert(w.conn(), project_id, KIND, &title, &body, &data, now).await?;
        w.audit(
            Some(project_id),
            "standup.posted",
            "activity",
            activity,
            json!({ "localDate": local_date, "forced": force }),
        )
        .await?;
        w.post(
            project_id,
            Target::Standup,
            &Notice::Standup {
                summary: Box::new(summary),
                completed_since_last,
            },
        )
        .await?;
        w.commit().await?;
        Ok(true)
    }
}
