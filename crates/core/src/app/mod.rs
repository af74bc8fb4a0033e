//! The application core: one function per use case. Each checks the actor's rights, applies the
//! domain rules and writes, in one transaction, the change, its audit event, the agents'
//! notifications and the outbox messages for the project's chat. The bot, the HTTP API and the
//! jobs call these and nothing else.

pub mod agents;
pub mod alert_actions;
pub mod alerts;
pub mod app_sessions;
pub mod approvals;
pub mod audit;
mod bot_calls;
pub mod bridge;
pub mod budgets;
pub mod cards;
pub mod chats;
pub mod clock;
pub mod confirmations;
pub mod costs;
pub mod database;
pub mod delivery;
pub mod error;
pub mod feed;
pub mod grants;
mod guards;
pub mod idempotency;
pub mod jobs;
pub mod leadership;
mod live_tokens;
pub mod operators;
pub mod projects;
pub mod queries;
pub mod questions;
pub mod reviews;
pub mod runs;
pub mod seed;
pub mod squad;
pub mod standup;
pub mod summary;
pub mod tasks;
pub mod threads;
pub mod tokens;
pub mod usage;
pub mod waits;
pub mod wake;
mod work;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, AppResult};

use mc_config::Settings;
use mc_domain::actor::role_has;
use mc_domain::budget::{RoleCaps, SpawnLimits};
use mc_domain::i18n::Msg;
use mc_domain::loops::LoopThresholds;
use mc_domain::policy::RiskMap;
use mc_domain::{Actor, Right, TaskType};
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

/// The rules' tunable numbers, from configuration.
#[derive(Debug, Clone)]
pub struct Rules {
    pub role_caps: RoleCaps,
    pub spawn: SpawnLimits,
    /// Most long waits (heartbeat, approval) one agent holds open at once.
    pub max_waits_per_agent: usize,
    pub loops: LoopThresholds,
    pub budget_warning_percent: u32,
    pub stale_after: chrono::Duration,
    pub error_streak_alert: i32,
    pub error_streak_quarantine: i32,
    pub approval_expiry_minutes: u32,
    pub approval_escalate_before_minutes: u32,
    pub auto_approve: Vec<String>,
    pub done_requires_approval: Vec<TaskType>,
    pub risk_map: RiskMap,
    pub bridge: bridge::BridgeRules,
    /// How long a question waits for an answer before it expires.
    pub question_expiry: chrono::Duration,
    /// Where the cockpit (the Telegram Mini App) is reached from the chats.
    pub cockpit: CockpitLinks,
    /// What tokens cost by model: the shipped table or the operators' (`costs.price_file`).
    pub prices: Arc<mc_domain::costs::PriceTable>,
}

/// The cockpit's addresses, from `app.public_url` and `telegram.mini_app_name`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CockpitLinks {
    /// `<app.public_url>/app`: what the menu button of operators' private chats opens.
    pub url: Option<String>,
    /// The Mini App's short name at @BotFather: cards link to `t.me/<bot>/<name>?startapp=…`.
    pub mini_app_name: Option<String>,
}

impl CockpitLinks {
    pub fn from_settings(s: &Settings) -> Self {
        let public = s.app.public_url.trim().trim_end_matches('/');
        let name = s.telegram.mini_app_name.trim();
        CockpitLinks {
            url: (!public.is_empty()).then(|| format!("{public}/app")),
            mini_app_name: (!name.is_empty()).then(|| name.to_string()),
        }
    }

    /// The `t.me` link that opens the cockpit at `start` (`task_12`, `approval_A3`), when the
    /// Mini App is registered.
    pub fn link(&self, bot_username: &str, start: &str) -> Option<String> {
        let name = self.mini_app_name.as_deref()?;
        (!bot_username.is_empty()).then(|| format!("https://t.me/{bot_username}/{name}?startapp={start}"))
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            role_caps: RoleCaps::default(),
            spawn: SpawnLimits::default(),
            max_waits_per_agent: 4,
            loops: LoopThresholds::default(),
            budget_warning_percent: 80,
            stale_after: chrono::Duration::minutes(5),
            error_streak_alert: 3,
            error_streak_quarantine: 5,
            approval_expiry_minutes: 60,
            approval_escalate_before_minutes: 20,
            auto_approve: Vec::new(),
            done_requires_approval: Vec::new(),
            risk_map: RiskMap::default(),
            bridge: bridge::BridgeRules::default(),
            question_expiry: chrono::Duration::hours(1),
            cockpit: CockpitLinks::default(),
            prices: Arc::new(mc_domain::costs::PriceTable::shipped()),
        }
    }
}

impl Rules {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let t = &s.thresholds;
        Ok(Rules {
            role_caps: s.role_caps()?,
            spawn: s.spawn_limits(),
            max_waits_per_agent: s.limits.max_waits_per_agent,
            loops: s.loop_thresholds(),
            budget_warning_percent: t.budget_warning_percent,
            stale_after: chrono::Duration::seconds(t.stale_after_secs as i64),
            error_streak_alert: t.error_streak_alert,
            error_streak_quarantine: t.error_streak_quarantine,
            approval_expiry_minutes: t.approval_expiry_minutes,
            approval_escalate_before_minutes: t.approval_escalate_before_minutes,
            auto_approve: s.policy.auto_approve.clone(),
            done_requires_approval: s
                .policy
                .done_requires_approval
                .iter()
                .map(|t| TaskType::parse(t).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?,
            risk_map: s.risk_map()?,
            bridge: bridge::BridgeRules::new(
                mc_domain::WaitSeconds::new("bridge.max_wait_secs", s.bridge.max_wait_secs)
                    .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?,
                s.tool_policy_layers()?,
            ),
            question_expiry: chrono::Duration::seconds(s.questions.expire_after_secs as i64),
            cockpit: CockpitLinks::from_settings(s),
            prices: Arc::new(s.price_table()?),
        })
    }
}

/// The core, cheap to clone; adapters hold one each.
#[derive(Debug, Clone)]
pub struct App {
    /// Private to the core: adapters and the CLI reach the database through use cases
    /// (`app::database` for the whole-database ones).
    pub(crate) pool: PgPool,
    pub clock: Arc<dyn Clock>,
    pub rules: Arc<Rules>,
    /// Waiting agents' wake-ups, fed by this process's listener (`wake::listen`).
    pub wakes: Arc<wake::Wakes>,
    /// Heartbeats of woken waiters, read in batches (`app::waits`).
    beats: Arc<waits::HeartbeatQueue>,
    /// Tool-call decisions waiting for their batch (`app::bridge`).
    decisions: Arc<bridge::DecisionLog>,
    /// Open waits per agent (`app::waits`), bounded by `rules.max_waits_per_agent`.
    waiting: Arc<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>>,
    /// The tokens that work, as last read (`App::token_is_live`).
    live_tokens: Arc<live_tokens::LiveTokens>,
    /// The Telegram update being handled, if any: the first transaction that commits through
    /// this handle records it as processed, so a redelivered update acts once.
    update: Option<Arc<UpdateClaim>>,
}

#[derive(Debug)]
pub(crate) struct UpdateClaim {
    pub id: i64,
    pub claimed: std::sync::atomic::AtomicBool,
}

impl App {
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>, rules: Rules) -> Self {
        App {
            pool,
            clock,
            rules: Arc::new(rules),
            wakes: Arc::new(wake::Wakes::default()),
            beats: Arc::default(),
            decisions: Arc::default(),
            waiting: Arc::default(),
            live_tokens: Arc::default(),
            update: None,
        }
    }

    /// A handle for handling Telegram update `update_id`: its first committed transaction also
    /// records the update as processed, and fails with [`AppError::DuplicateUpdate`] if it already was.
    pub fn for_update(&self, update_id: i64) -> App {
        App {
            update: Some(Arc::new(UpdateClaim {
                id: update_id,
                claimed: std::sync::atomic::AtomicBool::new(false),
            })),
            ..self.clone()
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// An operator must hold `right`; agents hold none of the operator rights.
pub(crate) fn require(actor: &Actor, right: Right) -> AppResult<()> {
    match actor {
        Actor::System { .. } => Ok(()),
        Actor::Operator { role, .. } if role_has(*role, right) => Ok(()),
        Actor::Operator { role, .. } => Err(AppError::forbidden(
            Msg::new("err-role-cannot")
                .role("role", *role)
                .word("right", describe(right))
                .role("needed", mc_domain::actor::least_role_for(right)),
        )),
        Actor::Agent { name, .. } => Err(AppError::forbidden(
            Msg::new("err-agent-cannot").with("agent", name).word("right", describe(right)),
        )),
    }
}

/// Agents act only within their own project.
pub(crate) fn require_project(actor: &Actor, project_id: Uuid) -> AppResult<()> {
    match actor {
        Actor::Agent { project_id: own, name, .. } if *own != project_id => {
            Err(AppError::forbidden(Msg::new("err-agent-own-project-only").with("agent", name)))
        }
        _ => Ok(()),
    }
}

/// Reading: any operator (viewer and up), the system, or an agent in its own project.
pub(crate) fn require_read(actor: &Actor, project_id: Uuid) -> AppResult<()> {
    match actor {
        Actor::Agent { .. } => require_project(actor, project_id),
        _ => require(actor, Right::Read),
    }
}

/// The message id naming what `right` allows (errors.ftl).
fn describe(right: Right) -> &'static str {
    match right {
        Right::Read => "err-right-read",
        Right::SwitchProject => "err-right-switch-project",
        Right::ManageTasks => "err-right-manage-tasks",
        Right::Comment => "err-right-comment",
        Right::AnswerQuestions => "err-right-answer-questions",
        Right::ControlAgents => "err-right-control-agents",
        Right::PauseSquad => "err-right-pause-squad",
        Right::ResolveAlerts => "err-right-resolve-alerts",
        Right::RegisterAgents => "err-right-register-agents",
        Right::DecideApprovals => "err-right-decide-approvals",
        Right::SetBudgets => "err-right-set-budgets",
        Right::ReleaseAgents => "err-right-release-agents",
        Right::ResetAgents => "err-right-reset-agents",
        Right::ManageProjects => "err-right-manage-projects",
        Right::ManageOperators => "err-right-manage-operators",
        Right::ManageTokens => "err-right-manage-tokens",
        Right::RunJobs => "err-right-run-jobs",
    }
}

/// Pagination: default 50, at most 200.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { limit: 50, offset: 0 }
    }
}

impl PageRequest {
    pub const MAX_LIMIT: i64 = 200;

    pub fn new(limit: Option<i64>, offset: Option<i64>) -> AppResult<Self> {
        let limit = limit.unwrap_or(50);
        let offset = offset.unwrap_or(0);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(AppError::validation(
                "limit",
                Msg::new("err-between").with("min", 1).with("max", Self::MAX_LIMIT),
            ));
        }
        if offset < 0 {
            return Err(AppError::validation("offset", Msg::new("err-not-negative")));
        }
        Ok(PageRequest { limit, offset })
    }
}

/// Runs a use case again (up to four times) when PostgreSQL aborted it for a deadlock or a
/// serialization failure: both mean "try again", never a 500. Each attempt is its own
/// transaction, so a retried one writes its change, audit and outbox rows once.
/// Runs `one` for each of `ids`, each in its own transaction (an expiry job's rows): one that
/// fails — a bad row, a lock timeout — is logged and left for the next run, and does not keep
/// the others from going. Returns what those that acted gave.
pub(crate) async fn each_alone<T, F, Fut>(ids: Vec<Uuid>, what: &str, mut one: F) -> Vec<T>
where
    F: FnMut(Uuid) -> Fut,
    Fut: std::future::Future<Output = AppResult<Option<T>>>,
{
    let mut done = Vec::with_capacity(ids.len());
    for id in ids {
        match one(id).await {
            Ok(Some(value)) => done.push(value),
            Ok(None) => {}
            Err(err) => tracing::error!(%id, error = %err, "{what} failed; the others go on"),
        }
    }
    done
}

pub(crate) async fn retry_conflicts<T, F, Fut>(mut attempt: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let mut tries = 0u32;
    loop {
        tries += 1;
        match attempt().await {
            Err(e) if tries < 4 && e.is_retryable_conflict() => {
                tracing::info!(error = %e, tries, "transaction conflict; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(5 << tries)).await;
            }
            done => return done,
        }
    }
}
