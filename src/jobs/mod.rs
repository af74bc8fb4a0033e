//! The scheduler inside `serve`: tokio-cron-scheduler fires each job on its cron schedule
//! (`[jobs]` in the config); the occurrence is claimed in `job_runs`, so with several replicas on
//! one database each occurrence runs once. The jobs themselves are use cases in `app::jobs`.

use crate::app::jobs::Job;
use crate::app::App;
use crate::configuration::JobSettings;
use crate::domain::Actor;
use anyhow::Context;
use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

/// The cron expression of each job, from the settings.
pub fn schedule(settings: &JobSettings, job: Job) -> &str {
    match job {
        Job::Standup => &settings.standup,
        Job::ApprovalExpiry => &settings.approval_expiry,
        Job::HeartbeatMonitor => &settings.heartbeat_monitor,
        Job::LoopDetector => &settings.loop_detector,
        Job::BudgetWatch => &settings.budget_watch,
        Job::BudgetReset => &settings.budget_reset,
        Job::OutboxRetention => &settings.outbox_retention,
    }
}

pub fn parse_cron(key: &str, expression: &str) -> anyhow::Result<Cron> {
    CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(expression)
        .map_err(|e| anyhow::anyhow!("invalid configuration: jobs.{key} must be a cron expression with seconds (sec min hour dom mon dow), got '{expression}': {e}"))
}

/// Which occurrence a firing belongs to: the latest scheduled time at or before now (with a
/// second of slack for a timer that fires early). Every replica computes the same one.
pub fn occurrence(cron: &Cron, fired_at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    let probe = (fired_at + chrono::Duration::milliseconds(999)).trunc_subsecs(0);
    cron.find_previous_occurrence(&probe, true)
        .map(|at| at.trunc_subsecs(0))
        .unwrap_or(probe)
}

/// This process, as recorded in `job_runs.instance`.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

pub struct Scheduler {
    inner: JobScheduler,
    /// Held (shared) by every running job; shutdown takes it exclusively to wait for them.
    running: Arc<RwLock<()>>,
}

impl Scheduler {
    /// Checks every schedule, then starts firing.
    pub async fn start(app: App, settings: JobSettings) -> anyhow::Result<Scheduler> {
        use strum::VariantArray;
        let scheduler = JobScheduler::new().await.context("creating the job scheduler")?;
        let running = Arc::new(RwLock::new(()));
        let instance = Arc::new(instance_name());
        for job in Job::VARIANTS.iter().copied() {
            let expression = schedule(&settings, job).to_string();
            let cron = Arc::new(parse_cron(job.name(), &expression)?);
            let (app, running, instance) = (app.clone(), running.clone(), instance.clone());
            let retention_days = settings.outbox_retention_days;
            let cron_job = CronJob::new_async(expression.as_str(), move |_id, _scheduler| {
                let (app, running, instance, cron) = (app.clone(), running.clone(), instance.clone(), cron.clone());
                Box::pin(async move {
                    let Ok(_guard) = running.try_read() else { return };
                    let scheduled_for = occurrence(&cron, Utc::now());
                    match app
                        .run_job(&Actor::system(job.name()), job, scheduled_for, &instance, retention_days)
                        .await
                    {
                        Ok(Some(run)) => tracing::info!(job = job.name(), detail = run.detail.as_deref().unwrap_or(""), "job ran"),
                        Ok(None) => tracing::debug!(job = job.name(), %scheduled_for, "another replica ran this occurrence"),
                        Err(err) => tracing::error!(job = job.name(), error = %err, "job failed"),
                    }
                })
            })
            .with_context(|| format!("scheduling jobs.{}", job.name()))?;
            scheduler
                .add(cron_job)
                .await
                .with_context(|| format!("scheduling jobs.{}", job.name()))?;
        }
        scheduler.start().await.context("starting the job scheduler")?;
        Ok(Scheduler { inner: scheduler, running })
    }

    /// Stops firing and waits (at most `timeout`) for running jobs to finish.
    pub async fn shutdown(mut self, timeout: Duration) {
        if let Err(err) = self.inner.shutdown().await {
            tracing::warn!(error = %err, "stopping the job scheduler");
        }
        if tokio::time::timeout(timeout, self.running.write()).await.is_err() {
            tracing::warn!("a job was still running at shutdown");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_firing_maps_to_its_occurrence_whether_early_or_late() {
        let cron = parse_cron("heartbeat_monitor", "*/30 * * * * *").unwrap();
        let at = |h, m, s, ms| Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap() + chrono::Duration::milliseconds(ms);
        assert_eq!(occurrence(&cron, at(9, 0, 30, 0)), at(9, 0, 30, 0));
        assert_eq!(occurrence(&cron, at(9, 0, 29, 995)), at(9, 0, 30, 0), "a timer a little early");
        assert_eq!(occurrence(&cron, at(9, 0, 30, 400)), at(9, 0, 30, 0), "a timer a little late");
        let daily = parse_cron("standup", "0 0 9 * * *").unwrap();
        assert_eq!(occurrence(&daily, at(9, 0, 0, 250)), at(9, 0, 0, 0));
    }

    #[test]
    fn a_bad_schedule_names_its_key() {
        let err = parse_cron("loop_detector", "every minute").unwrap_err().to_string();
        assert!(err.contains("jobs.loop_detector"), "{err}");
    }
}
