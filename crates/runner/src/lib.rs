//! The reference agent runner (`mission-control agent run`): a minimal agent that lives
//! entirely on the REST API, to show how an agent should behave and to exercise the API the way
//! agents do.
//!
//! Each cycle it:
//! 1. registers once (operator token; an existing name is reused and a fresh agent token
//!    issued, which retires the agent's older tokens: a restarted runner simply registers again,
//!    and one whose token was revoked or replaced re-registers on its next cycle), then acts
//!    only with the agent token;
//! 2. heartbeats, logs its notifications, and when the API says `stop` (paused, quarantined,
//!    ...) does nothing else — it keeps heartbeating so it notices a resume. Between cycles it
//!    does not sleep: the next cycle's heartbeat waits on the server (`?wait=`) for up to the
//!    interval and comes back the moment there is news (a pause, a resume, an assignment, a
//!    comment), so an operator's pause reaches it at once and new work starts without delay;
//! 3. takes one step on its work: finish a task in progress (report a run, comment, submit for
//!    review with a deliverable), else start an assigned one (with a 3-bullet work plan), else
//!    claim the best inbox task of its types.
//!
//! One step per cycle keeps every cycle short and lets an operator's pause land between steps.
//! The "work" is simulated (no model is called); the run it reports costs `--cost` dollars.
//!
//! Crash safety: every mutation carries an idempotency key made of the task id, the step and
//! the id of the task's latest transition (the state the step starts from). After a crash the
//! runner re-reads the task: a step that went through has moved the task, so it is not tried
//! again; a step interrupted halfway (a run reported but the task not yet submitted) is
//! repeated with the same keys, and the server answers the repeats with the first results
//! instead of charging the run twice. A legitimately repeated step (a task sent back from
//! review) starts from a newer transition, so it gets new keys.

pub mod client;

use client::{ApiClient, ClientError, Heartbeat, RegisterRequest, RetryPolicy, RunReport, Task, TaskStatus, TransitionRequest};
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use uuid::Uuid;

/// Everything `agent run` takes from its flags.
#[derive(Clone)]
pub struct RunnerConfig {
    /// The server, e.g. `http://localhost:3000`.
    pub api_url: String,
    /// The project slug every request is scoped to.
    pub project: String,
    /// An operator token (role operator or cao) to register with; used for nothing else.
    pub operator_token: String,
    pub name: String,
    /// `intern`, `specialist` or `lead`; only used when the agent is created.
    pub role: String,
    /// Task types to register with (empty: any type); only used when the agent is created.
    pub task_types: Vec<String>,
    /// The longest an idle agent goes between two cycles; news from the server (a pause, an
    /// assignment, a comment) starts the next cycle sooner.
    pub interval: Duration,
    /// Dollars reported for each simulated run.
    pub cost: f64,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for RunnerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerConfig")
            .field("api_url", &self.api_url)
            .field("project", &self.project)
            .field("operator_token", &mc_domain::credentials::redacted(&self.operator_token))
            .field("name", &self.name)
            .field("role", &self.role)
            .field("task_types", &self.task_types)
            .field("interval", &self.interval)
            .field("cost", &self.cost)
            .field("retry", &self.retry)
            .finish()
    }
}

impl RunnerConfig {
    /// The defaults of the CLI: project `openclaw`, an intern of any type, every 15 minutes,
    /// $0.05 a run.
    pub fn new(api_url: impl Into<String>, operator_token: impl Into<String>, name: impl Into<String>) -> Self {
        RunnerConfig {
            api_url: api_url.into(),
            project: "openclaw".into(),
            operator_token: operator_token.into(),
            name: name.into(),
            role: "intern".into(),
            task_types: Vec::new(),
            interval: Duration::from_secs(15 * 60),
            cost: 0.05,
            retry: RetryPolicy::default(),
        }
    }
}

/// The longest the server holds one waiting heartbeat (the API's documented `wait` limit).
const MAX_WAIT: Duration = Duration::from_secs(600);

/// Tells the runner to stop; it finishes the request in flight and stops before the next step.
#[derive(Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// The sending side of a [`Shutdown`].
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }
}

impl Shutdown {
    pub fn channel() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx }, Shutdown { rx })
    }

    /// Never fires (library use and tests drive the runner cycle by cycle).
    pub fn never() -> Shutdown {
        Self::channel().1
    }

    /// Fires on Ctrl-C, and on SIGTERM on Unix (what `docker stop` and systemd send).
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Self::channel();
        tokio::spawn(async move {
            let ctrl_c = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            #[cfg(unix)]
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let term = std::future::pending::<()>();
            tokio::select! {
                _ = ctrl_c => {}
                _ = term => {}
            }
            info!("shutdown signal received; the runner stops after the current step");
            trigger.trigger();
        });
        shutdown
    }

    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Waits until a shutdown is requested (forever when the trigger is gone unfired).
    pub async fn requested(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Sleeps; `false` when a shutdown cut the sleep short.
    pub async fn sleep(&self, duration: Duration) -> bool {
        if self.is_requested() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            _ = self.requested() => false,
        }
    }
}

/// What one cycle did.
#[derive(Debug, Clone, PartialEq)]
pub enum CycleOutcome {
    /// The API told the agent to stop (paused, quarantined, ...): it only heartbeated.
    Stopped { reason: String },
    /// Took an inbox task.
    Claimed { task_id: Uuid, number: i32 },
    /// Moved an assigned task to in_progress with a work plan.
    Started { task_id: Uuid, number: i32 },
    /// Reported a run, commented, and submitted the task for review.
    Submitted { task_id: Uuid, number: i32, run_id: Uuid },
    /// The run reached the daily cap: the server paused the agent and held the task, so the
    /// runner did not submit it.
    BudgetExceeded { task_id: Uuid, number: i32, run_id: Uuid },
    /// Nothing to do: no task to work on and nothing in the inbox for this agent.
    Idle,
    /// A shutdown was requested before the cycle was done.
    Interrupted,
}

/// The step a failure happened in, for the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum Step {
    Heartbeat,
    Claim,
    Start,
    ReportRun,
    Comment,
    Submit,
    ReadTimeline,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    // The cause is part of the message (not a `source`), so a log line of `{err}` says it all.
    #[error("registering agent '{name}' failed: {error}")]
    Registration { name: String, error: ClientError },
    #[error("{step} failed: {error}")]
    Step { step: Step, error: ClientError },
}

impl RunnerError {
    /// A registration the API refused (bad operator token, a viewer's token, an invalid name,
    /// role or type, an unknown project) will be refused again: the runner cannot go on.
    /// Anything else (a refused step, a server that is down) is worth another cycle.
    pub fn is_fatal(&self) -> bool {
        match self {
            RunnerError::Registration { error, .. } => error.api().is_some_and(|e| e.is_refusal()),
            RunnerError::Step { .. } => false,
        }
    }

    pub fn api(&self) -> Option<&client::ApiError> {
        match self {
            RunnerError::Registration { error, .. } | RunnerError::Step { error, .. } => error.api(),
        }
    }
}

/// The registered agent and a client acting as it.
#[derive(Debug, Clone)]
struct Session {
    agent_id: Uuid,
    client: ApiClient,
}

/// The agent loop. Drive it with [`Runner::run`] (every interval until a shutdown),
/// [`Runner::run_once`] (the CLI's `--once`), or [`Runner::cycle`] one cycle at a time.
pub struct Runner {
    config: RunnerConfig,
    operator: ApiClient,
    session: Option<Session>,
    shutdown: Shutdown,
}

impl Runner {
    pub fn new(config: RunnerConfig, shutdown: Shutdown) -> Result<Self, RunnerError> {
        let operator = ApiClient::new(
            &config.api_url,
            &config.project,
            &config.operator_token,
            config.retry,
            shutdown.clone(),
        )
        .map_err(|error| RunnerError::Registration {
            name: config.name.clone(),
            error,
        })?;
        Ok(Runner {
            config,
            operator,
            session: None,
            shutdown,
        })
    }

    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// The agent's id, once registered.
    pub fn agent_id(&self) -> Option<Uuid> {
        self.session.as_ref().map(|s| s.agent_id)
    }

    /// Cycles until a shutdown, each cycle's heartbeat waiting up to the interval for news;
    /// only a fatal error ends it early. After a failed cycle it sleeps the interval (the
    /// server may be down) and heartbeats without waiting.
    pub async fn run(mut self) -> Result<(), RunnerError> {
        info!(name = %self.config.name, api = %self.config.api_url, project = %self.config.project,
              interval = %humantime::format_duration(self.config.interval), "agent runner starting");
        let mut wait = Duration::ZERO;
        loop {
            match self.cycle_after(wait).await {
                Ok(CycleOutcome::Interrupted) => break,
                Ok(outcome) => debug!(?outcome, "cycle done"),
                // Cut short by the shutdown (in a back-off): nothing to report.
                Err(_) if self.shutdown.is_requested() => break,
                Err(err) if err.is_fatal() => return Err(err),
                Err(err) => {
                    log_cycle_error(&err);
                    if !self.shutdown.sleep(self.config.interval).await {
                        break;
                    }
                    wait = Duration::ZERO;
                    continue;
                }
            }
            wait = self.config.interval;
        }
        info!(name = %self.config.name, "agent runner stopped");
        Ok(())
    }

    /// One cycle. Failing to register is an error (the agent never got going); a step that
    /// failed after that is logged, as between two cycles of `run`, and gives `None`.
    pub async fn run_once(mut self) -> Result<Option<CycleOutcome>, RunnerError> {
        match self.cycle().await {
            Err(err @ RunnerError::Registration { .. }) => Err(err),
            Err(_) if self.shutdown.is_requested() => Ok(Some(CycleOutcome::Interrupted)),
            Err(err) => {
                log_cycle_error(&err);
                Ok(None)
            }
            Ok(outcome) => Ok(Some(outcome)),
        }
    }

    /// Registers if needed, heartbeats, and takes at most one step of work.
    pub async fn cycle(&mut self) -> Result<CycleOutcome, RunnerError> {
        self.cycle_after(Duration::ZERO).await
    }

    /// A cycle whose heartbeat first waits up to `wait` for news (see [`Runner::run`]).
    pub async fn cycle_after(&mut self, wait: Duration) -> Result<CycleOutcome, RunnerError> {
        if self.shutdown.is_requested() {
            return Ok(CycleOutcome::Interrupted);
        }
        let session = self.session().await?;
        // One key per cycle for the requests that are not about a task: a retry within the
        // cycle is answered with the first result (the notifications a lost answer carried are
        // not lost; a lost claim does not claim a second task).
        let cycle_key = Uuid::new_v4().simple().to_string();
        let beat = match self.beat(&session, wait, &cycle_key).await {
            Ok(Some(beat)) => beat,
            Ok(None) => return Ok(CycleOutcome::Interrupted),
            Err(error) => {
                if error.api().is_some_and(|e| e.status == 401) {
                    // The agent token was revoked or replaced: register again next cycle.
                    self.session = None;
                }
                return Err(RunnerError::Step {
                    step: Step::Heartbeat,
                    error,
                });
            }
        };
        for note in &beat.notifications {
            info!(kind = %note.kind, task = ?note.task_id, "notification: {}", note.body);
        }
        debug!(today_spend = beat.budget.today_spend, remaining = beat.budget.remaining, daily_cap = beat.budget.daily_cap,
               status = %beat.agent.status, "heartbeat");
        if beat.stop {
            let reason = beat.reason.unwrap_or_else(|| format!("agent is {}", beat.agent.status));
            info!(%reason, "told to stop: heartbeat only this cycle");
            return Ok(CycleOutcome::Stopped { reason });
        }
        if self.shutdown.is_requested() {
            return Ok(CycleOutcome::Interrupted);
        }
        // Finish what was started before starting something new. Tasks in review, waiting
        // for an approval or blocked are someone else's move; meanwhile the agent may claim.
        let pick = |status| beat.assigned_tasks.iter().find(|t| t.status == status);
        if let Some(task) = pick(TaskStatus::InProgress) {
            self.work(&session, task).await
        } else if let Some(task) = pick(TaskStatus::Assigned) {
            self.start(&session, task).await
        } else {
            self.claim(&session, &cycle_key).await
        }
    }

    /// The cycle's heartbeat, waiting up to `wait` for news in calls of at most the server's
    /// limit; `None` when a shutdown cut the wait short.
    async fn beat(&self, session: &Session, wait: Duration, cycle_key: &str) -> Result<Option<Heartbeat>, ClientError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut previous: Option<bool> = None;
        let mut call = 0u32;
        loop {
            call += 1;
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let chunk = left.min(MAX_WAIT);
            let key = match call {
                1 => format!("runner:{}:beat:{cycle_key}", session.agent_id),
                n => format!("runner:{}:beat:{cycle_key}:{n}", session.agent_id),
            };
            let beat = tokio::select! {
                beat = session.client.heartbeat_waiting(session.agent_id, chunk, &key) => beat?,
                _ = self.shutdown.requested() => return Ok(None),
            };
            // The server answers early only with news; between two calls, `stop` may change.
            let news = !beat.notifications.is_empty() || previous.is_some_and(|stop| stop != beat.stop);
            if news || chunk == left {
                return Ok(Some(beat));
            }
            previous = Some(beat.stop);
        }
    }

    async fn session(&mut self) -> Result<Session, RunnerError> {
        if let Some(session) = &self.session {
            return Ok(session.clone());
        }
        let config = &self.config;
        let request = RegisterRequest {
            name: &config.name,
            role: &config.role,
            allowed_task_types: &config.task_types,
        };
        let failed = |error| RunnerError::Registration {
            name: config.name.clone(),
            error,
        };
        let key = format!("runner:register:{}", Uuid::new_v4().simple());
        let mut registration = self.operator.register(&request, &key).await.map_err(failed)?;
        if registration.token.is_none() {
            // The first answer was lost and a retry got its replay, which never holds the token
            // (tokens are not stored): register once more under a new key. The agent's new
            // token retires the lost one.
            warn!("the registration's token was withheld (a replayed answer); registering again");
            let key = format!("runner:register:{}", Uuid::new_v4().simple());
            registration = self.operator.register(&request, &key).await.map_err(failed)?;
        }
        let token = registration
            .token
            .clone()
            .ok_or_else(|| failed(ClientError::Decode("the registration returned no agent token".into())))?;
        let agent = &registration.agent;
        info!(agent_id = %agent.id, name = %agent.name, role = %agent.role, status = %agent.status,
              types = ?agent.allowed_task_types, created = registration.created,
              "{}", if registration.created { "registered a new agent" } else { "registered: reusing the existing agent" });
        if !registration.created
            && (agent.role != config.role || (!config.task_types.is_empty() && agent.allowed_task_types != config.task_types))
        {
            warn!(role = %agent.role, types = ?agent.allowed_task_types,
                  "the existing agent keeps its role and types; --role/--types only apply when it is created");
        }
        let session = Session {
            agent_id: agent.id,
            client: self.operator.with_token(&token),
        };
        self.session = Some(session.clone());
        Ok(session)
    }

    async fn claim(&self, session: &Session, cycle_key: &str) -> Result<CycleOutcome, RunnerError> {
        let key = format!("runner:{}:claim:{cycle_key}", session.agent_id);
        match session.client.claim_next(&key).await.map_err(step(Step::Claim))? {
            Some(task) => {
                info!(task = task.number, title = %task.title, r#type = %task.task_type, "claimed a task from the inbox");
                Ok(CycleOutcome::Claimed {
                    task_id: task.id,
                    number: task.number,
                })
            }
            None => {
                info!("nothing in the inbox for this agent; idle");
                Ok(CycleOutcome::Idle)
            }
        }
    }

    /// The key of a step on a task: see the module documentation.
    async fn step_key(&self, session: &Session, task: &Task, what: &str) -> Result<String, RunnerError> {
        let timeline = session.client.timeline(task.id).await.map_err(step(Step::ReadTimeline))?;
        Ok(format!("runner:{}:{what}:{}", task.id, timeline.latest_transition()))
    }

    async fn start(&self, session: &Session, task: &Task) -> Result<CycleOutcome, RunnerError> {
        let key = self.step_key(session, task, "start").await?;
        let request = TransitionRequest {
            to_status: TaskStatus::InProgress,
            actor: "agent",
            reason: Some("starting work".into()),
            work_plan: Some(work_plan(&task.title)),
            deliverable: None,
        };
        let outcome = session
            .client
            .transition(task.id, &request, &key)
            .await
            .map_err(step(Step::Start))?;
        info!(task = task.number, title = %task.title, replayed = outcome.replayed, "started the task with a work plan");
        Ok(CycleOutcome::Started {
            task_id: task.id,
            number: task.number,
        })
    }

    async fn work(&self, session: &Session, task: &Task) -> Result<CycleOutcome, RunnerError> {
        let key = self.step_key(session, task, "work").await?;
        let deliverable = deliverable(task);
        let report = RunReport {
            task_id: task.id,
            cost: self.config.cost,
            status: "succeeded",
            model: "reference-runner",
            tokens: estimated_tokens(&deliverable),
        };
        let run = session
            .client
            .report_run(&report, &format!("{key}:run"))
            .await
            .map_err(step(Step::ReportRun))?;
        info!(task = task.number, run_id = %run.run.id, cost = run.run.cost, "reported a run");
        if run.budget_exceeded || run.task_held {
            warn!(
                task = task.number,
                "the run reached the daily budget: the agent is paused and the task held for approval"
            );
            return Ok(CycleOutcome::BudgetExceeded {
                task_id: task.id,
                number: task.number,
                run_id: run.run.id,
            });
        }
        if self.shutdown.is_requested() {
            return Ok(CycleOutcome::Interrupted);
        }
        let note = format!(
            "Reference runner: finished a pass on \"{}\" (run cost ${:.2}); submitting the deliverable for review.",
            task.title, self.config.cost
        );
        session
            .client
            .comment(task.id, &note, &format!("{key}:comment"))
            .await
            .map_err(step(Step::Comment))?;
        if self.shutdown.is_requested() {
            return Ok(CycleOutcome::Interrupted);
        }
        let request = TransitionRequest {
            to_status: TaskStatus::Review,
            actor: "agent",
            reason: Some("deliverable ready for review".into()),
            work_plan: None,
            deliverable: Some(deliverable),
        };
        let outcome = session
            .client
            .transition(task.id, &request, &format!("{key}:review"))
            .await
            .map_err(step(Step::Submit))?;
        info!(task = task.number, replayed = outcome.replayed, "submitted the task for review");
        Ok(CycleOutcome::Submitted {
            task_id: task.id,
            number: task.number,
            run_id: run.run.id,
        })
    }
}

fn step(step: Step) -> impl Fn(ClientError) -> RunnerError {
    move |error| RunnerError::Step { step, error }
}

fn log_cycle_error(err: &RunnerError) {
    match err.api() {
        Some(api) => warn!(status = api.status, code = %api.code, "{err}; trying again next cycle"),
        None => warn!("{err}; trying again next cycle"),
    }
}

/// The work plan the runner starts a task with: three bullets (the API wants 3 to 6).
pub fn work_plan(title: &str) -> Vec<String> {
    vec![
        format!("Read the brief for \"{title}\" and collect the sources"),
        format!("Work through \"{title}\" and draft the findings"),
        "Check the draft against the brief and write up the deliverable".to_string(),
    ]
}

/// The reference runner calls no model: its deliverable says what a real one would hand in.
pub fn deliverable(task: &Task) -> String {
    let mut text = format!(
        "Deliverable for #{} \"{}\" ({}), prepared by the reference runner.\n\n",
        task.number, task.title, task.task_type
    );
    text.push_str("- Summary: a first pass over the brief, with the findings drafted and checked.\n");
    if !task.description.trim().is_empty() {
        let brief: String = task.description.trim().chars().take(300).collect();
        text.push_str(&format!("- Brief: {brief}\n"));
    }
    text.push_str("- Note: produced without a model (reference runner); a real agent replaces this text with its work.");
    text
}

/// About four characters a token, as model pricing counts them.
fn estimated_tokens(text: &str) -> i64 {
    (text.chars().count() as i64 / 4).max(1)
}

/// `30s`, `15m`, `1h`, `1h 30m`: the interval flag's syntax.
pub fn parse_interval(input: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(input.trim()).map_err(|e| format!("'{input}' is not a duration like 30s, 15m or 1h: {e}"))?;
    if duration < Duration::from_secs(1) {
        return Err(format!("the interval must be at least 1s, not '{input}'"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_like_people_write_them() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_interval("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("0s").is_err());
    }

    #[test]
    fn the_work_plan_has_three_bullets_about_the_task() {
        let plan = work_plan("Survey churned users");
        assert_eq!(plan.len(), 3);
        assert!(plan[0].contains("Survey churned users"));
    }

    #[tokio::test]
    async fn a_shutdown_cuts_a_sleep_short() {
        let (trigger, shutdown) = Shutdown::channel();
        assert!(shutdown.sleep(Duration::from_millis(1)).await);
        trigger.trigger();
        assert!(!shutdown.sleep(Duration::from_secs(3600)).await);
        assert!(Shutdown::never().sleep(Duration::from_millis(1)).await);
    }
}
