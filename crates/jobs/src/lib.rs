//! The scheduler inside `serve`: tokio-cron-scheduler fires each job on its cron schedule
//! (`[jobs]` in the config); the occurrence is claimed in `job_runs`, so with several replicas on
//! one database each occurrence runs once (so every replica with `jobs.enabled` holds the
//! scheduler role; none is elected). The jobs themselves are use cases in `app::jobs`.

use anyhow::Context;
use mc_config::JobSettings;
use mc_core::app::jobs::{instance_name, Job};
use mc_core::app::leadership::RoleHandle;
use mc_core::app::App;
use mc_domain::roles::{Role, RoleState};
use mc_domain::schedule::{longest_gap, occurrence, parse_cron};
use mc_domain::Actor;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

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
            if let Some(gap) =
                longest_gap(&parse_cron(job.name(), settings.schedule(job)).map_err(anyhow::Error::msg)?).and_then(|g| g.to_std().ok())
            {
                beat_every = Some(beat_every.map_or(gap, |b| b.min(gap)));
            }
        }
        for job in Job::VARIANTS.iter().copied() {
            let expression = settings.schedule(job).to_string();
            let cron = Arc::new(parse_cron(job.name(), &expression).map_err(anyhow::Error::msg)?);
            let (app, running, instance, role) = (app.clone(), running.clone(), instance.clone(), role.clone());
            let retention_days = settings.outbox_retention_days;
            let cron_job = CronJob::new_async(expression.as_str(), move |_id, _scheduler| {
                let (app, running, instance, cron, role) = (app.clone(), running.clone(), instance.clone(), cron.clone(), role.clone());
                Box::pin(async move {
                    if let Some(every) = beat_every {
                        role.beat(every);
                    }
                    let Ok(_guard) = running.try_read() else { return };
                    let scheduled_for = occurrence(&cron, app.now());
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
