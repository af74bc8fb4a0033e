//! The scheduled governance jobs, as use cases run by the system: each subject (an agent, a
//! task, an approval) is handled in its own transaction, with its audit, notifications and
//! outbox messages, so one bad row never blocks the rest.

use super::agents::{pause_for_budget, post_status_changed};
use super::alerts::{raise_budget_exceeded, raise_budget_warning, raise_service_in, resolve_in};
use super::tasks::{lock_task, TransitionSpec};
use super::work::Work;
use super::{App, AppResult};
use crate::storage;
use chrono::{DateTime, Utc};
use mc_domain::alerts::{AgentStale, ApprovalExpiring, LoopDetected};
use mc_domain::i18n::Msg;
use mc_domain::loops::{detect, LoopFinding};
use mc_domain::{Actor, AgentStatus, AlertKind, AlertSeverity, TaskStatus};
use serde_json::json;

/// What a job did, for `job_runs.detail` and the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct JobOutcome {
    /// Subjects acted on (alerts raised, tasks blocked, approvals expired, …).
    pub acted: u64,
    pub detail: String,
}

impl JobOutcome {
    fn new(acted: u64, detail: impl Into<String>) -> Self {
        JobOutcome {
            acted,
            detail: detail.into(),
        }
    }
}

impl App {
    /// Claims one occurrence of a job; None when another replica already has it.
    pub async fn claim_job_run(&self, job: &str, scheduled_for: DateTime<Utc>, instance: &str) -> AppResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::jobs::claim_run(&mut conn, job, scheduled_for, instance, self.now()).await?)
    }

    pub async fn finish_job_run(&self, id: i64, succeeded: bool, detail: &str) -> AppResult<storage::jobs::JobRun> {
        let mut conn = self.pool.acquire().await?;
        storage::jobs::finish_run(&mut conn, id, succeeded, detail, self.now()).await?;
        Ok(storage::jobs::run_by_id(&mut conn, id).await?)
    }

    /// Marks `running` job runs started more than `older_than` ago (of `instance` only, when
    /// given) as failed with `why`, so they are finished and cleanup can remove them.
    pub async fn abandon_job_runs(&self, instance: Option<&str>, older_than: chrono::Duration, why: &str) -> AppResult<u64> {
        let mut conn = self.pool.acquire().await?;
        let now = self.now();
        Ok(storage::jobs::abandon_runs(&mut conn, instance, now - older_than, why, now).await?)
    }

    /// Expires approvals past their expiry (deny on timeout) and reminds once, with an alert,
    /// about those close to it.
    pub async fn job_approval_expiry(&self) -> AppResult<JobOutcome> {
        let expired = self.expire_approvals().await?;
        let before = chrono::Duration::minutes(self.rules.approval_escalate_before_minutes as i64);
        let due = {
            let mut conn = self.pool.acquire().await?;
            storage::jobs::approvals_to_escalate(&mut conn, self.now(), before).await?
        };
        let system = Actor::system("approval_expiry");
        let mut escalated = 0;
        for id in due {
            let mut w = Work::begin(self, &system).await?;
            let now = w.now;
            if !storage::jobs::mark_escalated(w.conn(), id, now).await? {
                continue;
            }
            let Some(approval) = storage::approvals::by_id(w.conn(), id).await? else {
                continue;
            };
            let agent = storage::agents::by_id(w.conn(), approval.agent_id)
                .await?
                .map(|a| a.name)
                .unwrap_or_default();
            let minutes = (approval.expires_at - now).num_minutes().max(0);
            raise_service_in(
                &mut w,
                approval.project_id,
                AlertSeverity::Warning,
                &format!("approval:{id}"),
                &format!(
                    "{} ({} by {agent}) expires in {minutes} min without a decision",
                    approval.code(),
                    approval.action_type,
                ),
                ApprovalExpiring {
                    approval_id: id,
                    code: approval.code(),
                    expires_at: approval.expires_at,
                    agent_id: approval.agent_id,
                    agent,
                    action: approval.action_type.clone(),
                    minutes,
                },
            )
            .await?;
            w.audit(
                Some(approval.project_id),
                "approval.escalated",
                "approval",
                id,
                json!({ "code": approval.code() }),
            )
            .await?;
            w.commit().await?;
            escalated += 1;
        }
        Ok(JobOutcome::new(
            expired.len() as u64 + escalated,
            format!("{} expired, {escalated} reminded", expired.len()),
        ))
    }

    /// Marks agents silent for longer than the stale threshold (once, until they heartbeat
    /// again) and quarantines those past the error-streak limit.
    pub async fn job_heartbeat_monitor(&self) -> AppResult<JobOutcome> {
        let system = Actor::system("heartbeat_monitor");
        let cutoff = self.now() - self.rules.stale_after;
        let (stale, streaks) = {
            let mut conn = self.pool.acquire().await?;
            (
                storage::jobs::newly_stale(&mut conn, cutoff).await?,
                storage::jobs::over_error_streak(&mut conn, self.rules.error_streak_alert, self.rules.error_streak_quarantine).await?,
            )
        };
        let mut marked = 0;
        for id in stale {
            let mut w = Work::begin(self, &system).await?;
            let now = w.now;
            if !storage::jobs::mark_stale(w.conn(), id, now).await? {
                continue;
            }
            let Some(agent) = storage::agents::by_id(w.conn(), id).await? else {
                continue;
            };
            // None: it never sent a heartbeat.
            let minutes_silent = agent.last_heartbeat.map(|at| (now - at).num_minutes().max(0));
            let silent = minutes_silent
                .map(|m| format!("no heartbeat for {m} min"))
                .unwrap_or_else(|| "never sent a heartbeat".into());
            raise_service_in(
                &mut w,
                agent.project_id,
                AlertSeverity::Warning,
                &format!("agent:{id}"),
                &format!("{} is stale: {silent}", agent.name),
                AgentStale {
                    agent_id: id,
                    agent: agent.name.clone(),
                    last_heartbeat: agent.last_heartbeat,
                    minutes_silent,
                },
            )
            .await?;
            w.audit(
                Some(agent.project_id),
                "agent.stale",
                "agent",
                id,
                json!({ "lastHeartbeat": agent.last_heartbeat }),
            )
            .await?;
            w.commit().await?;
            marked += 1;
        }
        let mut quarantined = 0;
        let mut streak_alerts = 0;
        for id in streaks {
            let mut w = Work::begin(self, &system).await?;
            let Some(agent) = storage::agents::lock(w.conn(), id).await? else {
                continue;
            };
            if agent.status == AgentStatus::Quarantined || agent.error_streak <= self.rules.error_streak_alert {
                continue;
            }
            match self.check_error_streak(&mut w, &agent).await? {
                Some(_) => quarantined += 1,
                None => streak_alerts += 1,
            }
            w.commit().await?;
        }
        Ok(JobOutcome::new(
            marked + quarantined + streak_alerts,
            format!("{marked} newly stale, {streak_alerts} alerted and {quarantined} quarantined for error streaks"),
        ))
    }

    /// Applies the four loop rules to every task that can still be stopped: a loop blocks the
    /// task with the reason, attaches a Loop Summary document and raises loop_detected.
    pub async fn job_loop_detector(&self) -> AppResult<JobOutcome> {
        let system = Actor::system("loop_detector");
        let candidates = {
            let mut conn = self.pool.acquire().await?;
            storage::jobs::loop_candidates(&mut conn).await?
        };
        let mut blocked = 0;
        for id in candidates {
            let mut w = Work::begin(self, &system).await?;
            let now = w.now;
            let task = lock_task(&mut w, id).await?;
            if !matches!(task.status, TaskStatus::InProgress | TaskStatus::Review | TaskStatus::NeedsApproval) {
                continue;
            }
            let activity = storage::jobs::task_activity(w.conn(), id, &self.rules.loops, now).await?;
            let findings = detect(&activity, &self.rules.loops);
            if findings.is_empty() {
                continue;
            }
            let reasons: Vec<String> = findings.iter().map(|f| f.describe()).collect();
            let reason = Msg::new("why-loop-detected").list("findings", findings.iter().map(LoopFinding::message).collect());
            self.apply_transition(&mut w, &task, TransitionSpec::because(TaskStatus::Blocked, reason))
                .await?;
            let recent: Vec<String> = activity
                .transitions_in_window
                .iter()
                .map(|(from, to)| format!("- {from} → {to}"))
                .collect();
            let summary = format!(
                "Loop Summary for task #{} \"{}\"\n\nDetected at {} by the loop detector.\n\nRules triggered:\n{}\n\n\
                 Activity in the windows: {} comments, {} review cycles, last runs: {}.\nRecent transitions:\n{}\n\n\
                 Next steps: clarify the requirements and move the task back to assigned, reassign it, or cancel it.",
                task.number,
                task.title,
                mc_domain::i18n::time(now),
                reasons.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n"),
                activity.comments_in_window,
                activity.review_cycles,
                activity.recent_runs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
                if recent.is_empty() {
                    "- none".to_string()
                } else {
                    recent.join("\n")
                },
            );
            let document =
                storage::tasks::insert_document(w.conn(), id, "loop_summary", "Loop Summary", &summary, "loop_detector", now).await?;
            raise_service_in(
                &mut w,
                task.project_id,
                AlertSeverity::Warning,
                &format!("task:{id}"),
                &format!("Task #{} \"{}\" is looping: {}", task.number, task.title, reasons.join("; ")),
                LoopDetected {
                    task_id: id,
                    number: task.number,
                    title: task.title.clone(),
                    findings,
                    document_id: document.id,
                },
            )
            .await?;
            w.commit().await?;
            blocked += 1;
        }
        Ok(JobOutcome::new(blocked, format!("{blocked} looping tasks blocked")))
    }

    /// Warns at the budget warning percentage (once a day per agent) and pauses agents found
    /// at or over their cap (a cap lowered below what they already spent).
    pub async fn job_budget_watch(&self) -> AppResult<JobOutcome> {
        let system = Actor::system("budget_watch");
        let today = self.now().date_naive();
        let percent = self.rules.budget_warning_percent;
        let (warn, over) = {
            let mut conn = self.pool.acquire().await?;
            (
                storage::jobs::due_budget_warning(&mut conn, today, percent).await?,
                storage::jobs::active_over_cap(&mut conn, today).await?,
            )
        };
        let mut acted = 0;
        for id in over {
            let mut w = Work::begin(self, &system).await?;
            let Some(agent) = storage::agents::lock(w.conn(), id).await? else {
                continue;
            };
            if agent.status != AgentStatus::Active || agent.today_spend < agent.budgets.daily_cap {
                continue;
            }
            let (_, reason) = pause_for_budget(&mut w, &agent, agent.today_spend, agent.budgets.daily_cap).await?;
            post_status_changed(&mut w, &agent, AgentStatus::Paused, system.name(), Some(reason.clone())).await?;
            raise_budget_exceeded(&mut w, &agent, agent.today_spend, agent.budgets.daily_cap, None).await?;
            w.commit().await?;
            acted += 1;
        }
        for id in warn {
            let mut w = Work::begin(self, &system).await?;
            let Some(agent) = storage::agents::lock(w.conn(), id).await? else {
                continue;
            };
            if agent.budget_warned_day == Some(today) || agent.today_spend >= agent.budgets.daily_cap {
                continue;
            }
            raise_budget_warning(&mut w, &agent, agent.today_spend, agent.budgets.daily_cap, None).await?;
            storage::agents::mark_budget_warned(w.conn(), id, today).await?;
            w.commit().await?;
            acted += 1;
        }
        Ok(JobOutcome::new(acted, format!("{acted} agents warned or paused")))
    }

    /// A new UTC day: today's spend starts at zero, and agents the budget paused are resumed
    /// (their budget alerts resolved); a new month does the same for monthly budgets, and a
    /// project's budgets lift the pauses they made (`App::period_turn`).
    pub async fn job_budget_reset(&self) -> AppResult<JobOutcome> {
        let system = Actor::system("budget_reset");
        let today = self.now().date_naive();
        let due = {
            let mut conn = self.pool.acquire().await?;
            storage::jobs::to_roll_over(&mut conn, today).await?
        };
        let mut resumed = 0;
        let mut rolled = 0;
        for id in due {
            let mut w = Work::begin(self, &system).await?;
            let Some(before) = storage::agents::lock(w.conn(), id).await? else {
                continue;
            };
            storage::agents::roll_over_spend(w.conn(), id, today).await?;
            if before.spend_day != today {
                rolled += 1;
            }
            let Some(agent) = storage::agents::by_id(w.conn(), id).await? else {
                continue;
            };
            if agent.status == AgentStatus::Paused
                && agent.status_cause.as_deref() == Some("budget")
                && agent.today_spend < agent.budgets.daily_cap
            {
                super::budgets::resume(&mut w, &agent, Msg::new("why-new-budget-day")).await?;
                let subject = format!("agent:{id}");
                for kind in [AlertKind::BudgetExceeded, AlertKind::BudgetWarning] {
                    resolve_in(&mut w, agent.project_id, kind, &subject, system.name()).await?;
                }
                resumed += 1;
            }
            w.commit().await?;
        }
        // A new day or month for the monthly and the projects' budgets.
        resumed += self.period_turn().await?;
        Ok(JobOutcome::new(
            rolled + resumed,
            format!("{rolled} spend days reset, {resumed} agents resumed"),
        ))
    }

    /// Records the standing grants whose time is up as expired.
    pub async fn job_grant_expiry(&self) -> AppResult<JobOutcome> {
        let lapsed = self.expire_grants().await?;
        let codes: Vec<String> = lapsed.iter().map(|g| g.code()).collect();
        Ok(JobOutcome::new(
            lapsed.len() as u64,
            match codes.is_empty() {
                true => "0 grants expired".to_string(),
                false => format!("{} grants expired: {}", codes.len(), codes.join(", ")),
            },
        ))
    }

    /// Expires the questions nobody answered in time.
    pub async fn job_question_expiry(&self) -> AppResult<JobOutcome> {
        let expired = self.expire_questions().await?;
        let codes: Vec<String> = expired.iter().map(|q| q.code()).collect();
        Ok(JobOutcome::new(
            expired.len() as u64,
            match codes.is_empty() {
                true => "0 questions expired".to_string(),
                false => format!("{} questions expired: {}", codes.len(), codes.join(", ")),
            },
        ))
    }

    /// Deletes delivered outbox rows older than `days`.
    pub async fn job_outbox_retention(&self, days: u32) -> AppResult<JobOutcome> {
        let before = self.now() - chrono::Duration::days(days as i64);
        let mut conn = self.pool.acquire().await?;
        let deleted = storage::jobs::delete_delivered_outbox(&mut conn, before).await?;
        Ok(JobOutcome::new(
            deleted,
            format!("{deleted} delivered outbox rows older than {days} days deleted"),
        ))
    }
}

pub use crate::storage::jobs::JobRun;
pub use mc_domain::schedule::Job;

/// The job a person named, or a not-found error listing the jobs there are.
pub fn parse_job(input: &str) -> AppResult<Job> {
    Job::lookup(input).ok_or_else(|| {
        super::AppError::not_found_hinting(
            "job",
            format!("'{}'", input.trim()),
            Msg::new("err-hint-jobs").with("jobs", Job::names()),
        )
    })
}

/// This process, as recorded in `job_runs.instance`.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()))
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

impl App {
    /// Runs one occurrence of `job` unless another replica already claimed it (then None), and
    /// records the run (job, started, finished, outcome). Who may: the scheduler (system) and
    /// the CAO ("run now").
    pub async fn run_job(
        &self,
        actor: &Actor,
        job: Job,
        scheduled_for: DateTime<Utc>,
        instance: &str,
        outbox_retention_days: u32,
    ) -> AppResult<Option<storage::jobs::JobRun>> {
        // Run by someone (not the scheduler): act now, e.g. post the standup whatever the time.
        let manual = !matches!(actor, Actor::System { name } if name == job.name());
        super::require(actor, mc_domain::Right::RunJobs)?;
        let Some(run_id) = self.claim_job_run(job.name(), scheduled_for, instance).await? else {
            return Ok(None);
        };
        let outcome = match job {
            Job::Standup => self.job_standup(manual).await,
            Job::ApprovalExpiry => self.job_approval_expiry().await,
            Job::HeartbeatMonitor => self.job_heartbeat_monitor().await,
            Job::LoopDetector => self.job_loop_detector().await,
            Job::BudgetWatch => self.job_budget_watch().await,
            Job::BudgetReset => self.job_budget_reset().await,
            Job::OutboxRetention => self.job_outbox_retention(outbox_retention_days).await,
            Job::GrantExpiry => self.job_grant_expiry().await,
            Job::QuestionExpiry => self.job_question_expiry().await,
        };
        let run = match &outcome {
            Ok(outcome) => self.finish_job_run(run_id, true, &outcome.detail).await?,
            Err(err) => self.finish_job_run(run_id, false, &err.to_string()).await?,
        };
        outcome.map(|_| Some(run))
    }
}
