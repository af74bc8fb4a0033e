//! The scheduler inside `serve`: tokio-cron-scheduler fires each job on its cron schedule
//! (`[jobs]` in the config); the occurrence is claimed in `job_runs`, so with several replicas on
//! one database each occurrence runs once (so every replica with `jobs.enabled` holds the
//! scheduler role; none is elected). The jobs themselves are use cases in `app::jobs`.

use crate::app::jobs::Job;
use crate::app::leadership::RoleHandle;
use crate::app::App;
use crate::configuration::JobSettings;
use crate::domain::roles::{Role, RoleState};
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

/// The longest time between two consecutive occurrences of `cron` over a week (so irregular
/// schedules count by their widest gap); None when it fires less than twice in that week.
pub fn longest_gap(cron: &Cron) -> Option<chrono::Duration> {
    use chrono::TimeZone;
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single()?;
    let end = start + chrono::Duration::days(7);
    let mut previous: Option<DateTime<Utc>> = None;
    let mut longest: Option<chrono::Duration> = None;
    for at in cron.iter_after(start).take(50_000) {
        if let Some(before) = previous {
            let gap = at - before;
            longest = Some(longest.map_or(gap, |l| l.max(gap)));
        }
        if at > end {
            break;
        }
        previous = Some(at);
    }
    longest
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

/// A run still `running` after this long was left by a process that died (or was stopped
/// before the run finished): it is marked failed ("abandoned") when a scheduler starts.
pub const ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(1);

pub struct Scheduler {
    inner: JobScheduler,
    /// Held (shared) by every running job; shutdown takes it exclusively to wait for them.
    running: Arc<RwLock<()>>,
    app: App,
    instance: Arc<String>,
    role: RoleHandle,
}

impl Scheduler {
    /// Checks every schedule, then starts firing.
    pub async fn start(app: App, settings: JobSettings) -> anyhow::Result<Scheduler> {
        Self::start_reporting(app, settings, RoleHandle::detached(Role::Scheduler)).await
    }

    /// [`Scheduler::start`], saying through `role` that it runs; every firing is a sign of
    /// life, so a scheduler that stops firing is reported stalled.
    pub async fn start_reporting(app: App, settings: JobSettings, role: RoleHandle) -> anyhow::Result<Scheduler> {
        use strum::VariantArray;
        let scheduler = JobScheduler::new().await.context("creating the job scheduler")?;
        let running = Arc::new(RwLock::new(()));
        let instance = Arc::new(instance_name());
        let abandoned = app
            .abandon_job_runs(None, ABANDONED_AFTER, "no longer running (its process stopped before it finished)")
            .await
            .context("closing abandoned job runs")?;
        if abandoned > 0 {
            tracing::warn!(abandoned, "job runs left running by a stopped process marked failed");
        }
        // The longest a working scheduler stays silent: the widest gap of its busiest job.
        let mut beat_every: Option<Duration> = None;
        for job in Job::VARIANTS.iter().copied() {
            if let Some(gap) = longest_gap(&parse_cron(job.name(), schedule(&settings, job))?).and_then(|g| g.to_std().ok()) {
                beat_every = Some(beat_every.map_or(gap, |b| b.min(gap)));
            }
        }
        for job in Job::VARIANTS.iter().copied() {
            let expression = schedule(&settings, job).to_string();
            let cron = Arc::new(parse_cron(job.name(), &expression)?);
            let (app, running, instance, role) = (app.clone(), running.clone(), instance.clone(), role.clone());
            let retention_days = settings.outbox_retention_days;
            let cron_job = CronJob::new_async(expression.as_str(), move |_id, _scheduler| {
                let (app, running, instance, cron, role) = (app.clone(), running.clone(), instance.clone(), cron.clone(), role.clone());
                Box::pin(async move {
                    if let Some(every) = beat_every {
                        role.beat(every);
                    }
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
        role.active();
        if let Some(every) = beat_every {
            role.beat(every);
        }
        Ok(Scheduler {
            inner: scheduler,
            running,
            app,
            instance,
            role,
        })
    }

    /// Stops firing and waits (at most `timeout`) for running jobs to finish; a run still going
    /// after that is recorded as abandoned (failed), not left `running` for ever.
    pub async fn shutdown(mut self, timeout: Duration) {
        if let Err(err) = self.inner.shutdown().await {
            tracing::warn!(error = %err, "stopping the job scheduler");
        }
        self.role.set(RoleState::Disabled);
        if tokio::time::timeout(timeout, self.running.write()).await.is_err() {
            tracing::warn!("a job was still running at shutdown");
            if let Err(err) = self
                .app
                .abandon_job_runs(
                    Some(&self.instance),
                    chrono::Duration::zero(),
                    "abandoned: still running at shutdown",
                )
                .await
            {
                tracing::error!(error = %err, "recording the abandoned job runs");
            }
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
    fn the_longest_gap_of_a_schedule() {
        let gap = |e: &str| longest_gap(&parse_cron("approval_expiry", e).unwrap());
        assert_eq!(gap("0 */15 * * * *"), Some(chrono::Duration::minutes(15)));
        assert_eq!(gap("0 0,10 * * * *"), Some(chrono::Duration::minutes(50)));
        assert_eq!(gap("0 0 9 * * *"), Some(chrono::Duration::days(1)));
    }

    #[test]
    fn a_bad_schedule_names_its_key() {
        let err = parse_cron("loop_detector", "every minute").unwrap_err().to_string();
        assert!(err.contains("jobs.loop_detector"), "{err}");
    }
}
