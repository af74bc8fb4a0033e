//! Settings: config/default.toml, then --config/MC_CONFIG, then MC_<SECTION>__<KEY>, then
//! DATABASE_URL / TELEGRAM_BOT_TOKEN. A bad value fails at start naming the key.

use anyhow::{bail, Context};
use mc_domain::budget::{Caps, RoleCaps, SpawnLimits};
use mc_domain::costs::PriceTable;
use mc_domain::credentials::{redacted, redacted_url, strong_admin_token, ADMIN_TOKEN_MIN_LEN};
use mc_domain::loops::LoopThresholds;
use mc_domain::policy::RiskMap;
use mc_domain::schedule::{longest_gap, parse_cron, Job};
use mc_domain::tools::{ToolRule, ToolRules};
use mc_domain::waits::MAX_WAIT_SECS;
use mc_domain::{AgentRole, RiskLevel, TaskType, Usd};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub telegram: TelegramSettings,
    pub log: LogSettings,
    pub jobs: JobSettings,
    pub thresholds: Thresholds,
    pub budgets: BudgetSettings,
    pub limits: LimitSettings,
    pub policy: PolicySettings,
    pub bridge: BridgeSettings,
    pub questions: QuestionSettings,
    pub app: AppSettings,
    pub costs: CostSettings,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    pub embedded_data_dir: PathBuf,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub addr: String,
    pub admin_token: String,
    /// Most connections open at once; past it new ones wait in the accept queue.
    pub max_connections: usize,
    pub body_limit_bytes: usize,
    pub rate_limit_per_minute: u32,
    pub auth_failures_per_minute: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_token>`.
    pub metrics_token: String,
    /// Addresses or networks (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`) of reverse proxies whose
    /// `X-Forwarded-For` names the client (for the failed-authentication throttle).
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    Polling,
    Webhook,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSettings {
    pub token: String,
    pub api_url: String,
    pub mode: TelegramMode,
    pub webhook_url: String,
    pub webhook_secret: String,
    #[serde(deserialize_with = "user_ids")]
    pub admins: Vec<i64>,
    pub default_lang: String,
    /// The Mini App's short name as registered with @BotFather (`/newapp`): cards then link to
    /// `https://t.me/<bot>/<mini_app_name>?startapp=…`. Empty: no cockpit links on cards.
    pub mini_app_name: String,
}

// Settings end up in logs and panics: their secrets never do.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redacted_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("embedded_data_dir", &self.embedded_data_dir)
            .finish()
    }
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("addr", &self.addr)
            .field("admin_token", &redacted(&self.admin_token))
            .field("max_connections", &self.max_connections)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("auth_failures_per_minute", &self.auth_failures_per_minute)
            .field("metrics_token", &redacted(&self.metrics_token))
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl std::fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("token", &redacted(&self.token))
            .field("api_url", &self.api_url)
            .field("mode", &self.mode)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &redacted(&self.webhook_secret))
            .field("admins", &self.admins)
            .field("default_lang", &self.default_lang)
            .field("mini_app_name", &self.mini_app_name)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Run the scheduler inside `serve` (a replica can leave it to the others).
    pub enabled: bool,
    pub standup: String,
    pub approval_expiry: String,
    pub heartbeat_monitor: String,
    pub loop_detector: String,
    pub budget_watch: String,
    pub budget_reset: String,
    pub outbox_retention: String,
    pub outbox_retention_days: u32,
    pub grant_expiry: String,
    pub question_expiry: String,
}

impl JobSettings {
    /// The cron expression of `job`.
    pub fn schedule(&self, job: Job) -> &str {
        match job {
            Job::Standup => &self.standup,
            Job::ApprovalExpiry => &self.approval_expiry,
            Job::HeartbeatMonitor => &self.heartbeat_monitor,
            Job::LoopDetector => &self.loop_detector,
            Job::BudgetWatch => &self.budget_watch,
            Job::BudgetReset => &self.budget_reset,
            Job::OutboxRetention => &self.outbox_retention,
            Job::GrantExpiry => &self.grant_expiry,
            Job::QuestionExpiry => &self.question_expiry,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub stale_after_secs: u64,
    pub error_streak_alert: i32,
    pub error_streak_quarantine: i32,
    pub budget_warning_percent: u32,
    pub approval_expiry_minutes: u32,
    pub approval_escalate_before_minutes: u32,
    pub loop_max_comments: u32,
    pub loop_comment_window_minutes: u32,
    pub loop_max_review_cycles: u32,
    pub loop_failed_runs: u32,
    pub loop_failed_runs_window: u32,
    pub loop_transitions: u32,
    pub loop_transition_window_minutes: u32,
    pub loop_pair_repeats: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSettings {
    pub lead_daily: f64,
    pub lead_per_run: f64,
    pub specialist_daily: f64,
    pub specialist_per_run: f64,
    pub intern_daily: f64,
    pub intern_per_run: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_sub_agents: usize,
    pub max_agent_depth: i32,
    pub max_active_agents: usize,
    /// Most long waits (heartbeat `?wait`, approvals, MCP) one agent holds open at once.
    pub max_waits_per_agent: usize,
    /// Most MCP sessions one agent holds open at once.
    pub max_mcp_sessions_per_agent: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    /// Action types (or words of them) known to be GREEN; anything policy does not know is RED.
    pub green: Vec<String>,
    /// Action types (or words of them) known to be YELLOW.
    pub yellow: Vec<String>,
    pub auto_approve: Vec<String>,
    pub done_requires_approval: Vec<String>,
    pub risk_overrides: HashMap<String, String>,
}

/// The permission layer for Claude Code and Codex (`/api/hooks/*`, MCP `approval_prompt`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeSettings {
    /// Longest a hook call waits for a human before it denies with "still waiting"; under the
    /// 600 s hook timeout Claude Code and Codex give a command hook.
    pub max_wait_secs: u64,
    /// Largest hook input taken (a Claude Code `Write` carries the whole file).
    pub body_limit_bytes: usize,
    /// Rules (Claude Code syntax) consulted before the shipped ones, for every agent.
    pub green: Vec<String>,
    pub yellow: Vec<String>,
    pub red: Vec<String>,
    /// Per role (`intern`, `specialist`, `lead`), consulted before the rules above.
    pub roles: HashMap<String, ToolRuleLists>,
    /// Per project slug, consulted first.
    pub projects: HashMap<String, ToolRuleLists>,
}

/// Questions agents ask humans (`/api/questions`, MCP `ask_human`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSettings {
    /// An unanswered question expires this long after it was asked (the agent and the chat
    /// are told).
    pub expire_after_secs: u64,
}

/// The cockpit: the Telegram Mini App served at `/app`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// The service's public https URL (as Telegram's clients reach it); the menu button of
    /// operators' private chats opens `<public_url>/app`. Empty: no menu button.
    pub public_url: String,
    /// `initData` signed longer ago than this opens no session.
    pub max_auth_age_secs: u64,
}

/// The longest `app.max_auth_age_secs`: a day.
pub const MAX_AUTH_AGE_SECS: u64 = 24 * 3600;

/// What tokens cost (`mc_domain::costs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSettings {
    /// A price table replacing the one shipped with the binary (same format as
    /// crates/domain/src/costs/prices.toml); empty for the shipped one.
    pub price_file: String,
}

/// The longest a question may stay open: a week.
pub const MAX_QUESTION_EXPIRY_SECS: u64 = 7 * 24 * 3600;

/// The rules of one layer of the tool-call policy, as configured.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ToolRuleLists {
    pub green: Vec<String>,
    pub yellow: Vec<String>,
    pub red: Vec<String>,
}

/// The policy layers for tool calls: (project slug or none, role) → the layers consulted
/// before the shipped rules.
pub struct ToolPolicyLayers {
    pub projects: HashMap<String, ToolRules>,
    pub roles: HashMap<AgentRole, ToolRules>,
    pub global: ToolRules,
}

/// Telegram user ids given as a TOML list, one number, or a comma-separated string (the
/// environment's form: "111,222", "111" or "").
fn user_ids<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ids {
        List(Vec<serde_json::Value>),
        One(i64),
        Text(String),
    }
    fn parse(text: &str) -> Result<i64, String> {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| format!("'{}' is not a Telegram user id (a positive number)", text.trim()))
    }
    let values: Vec<String> = match Ids::deserialize(deserializer)? {
        Ids::List(items) => items
            .into_iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
            .collect(),
        Ids::One(id) => vec![id.to_string()],
        Ids::Text(text) => text.split(',').filter(|p| !p.trim().is_empty()).map(str::to_string).collect(),
    };
    values
        .iter()
        .map(|v| parse(v))
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

/// Where the defaults file is looked for when not given explicitly.
fn default_file() -> Option<PathBuf> {
    let beside_cwd = PathBuf::from("config/default.toml");
    if beside_cwd.exists() {
        return Some(beside_cwd);
    }
    let beside_manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/default.toml");
    beside_manifest.exists().then_some(beside_manifest)
}

/// The defaults, compiled in so the binary runs even when the file is not shipped next to it.
const EMBEDDED_DEFAULTS: &str = include_str!("../../../config/default.toml");

impl Settings {
    /// Loads settings from the layered sources; `explicit` is `--config` (or `MC_CONFIG`).
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_from(explicit, std::env::vars())
    }

    /// As `load`, with the environment given (so tests need not touch the process's).
    pub fn load_from(explicit: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let env: HashMap<String, String> = env.into_iter().collect();
        let mut builder = config::Config::builder();
        builder = match default_file() {
            Some(path) => builder.add_source(config::File::from(path)),
            None => builder.add_source(config::File::from_str(EMBEDDED_DEFAULTS, config::FileFormat::Toml)),
        };
        let explicit = explicit.map(Path::to_path_buf).or_else(|| env.get("MC_CONFIG").map(PathBuf::from));
        if let Some(path) = explicit {
            if !path.exists() {
                bail!("configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(config::File::from(path));
        }
        let mc_vars: HashMap<String, String> = env
            .iter()
            // Only MC_<SECTION>__<KEY> is configuration; other MC_ names (MC_CONFIG, MC_PG_BIN_DIR,
            // the agent runner's MC_API_URL) belong to other parts.
            .filter(|(k, _)| k.starts_with("MC_") && k.contains("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("MC")
                .prefix_separator("_")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("policy.auto_approve")
                .with_list_parse_key("http.trusted_proxies")
                .with_list_parse_key("policy.green")
                .with_list_parse_key("policy.yellow")
                .with_list_parse_key("policy.done_requires_approval")
                .with_list_parse_key("bridge.green")
                .with_list_parse_key("bridge.yellow")
                .with_list_parse_key("bridge.red")
                .try_parsing(true)
                .source(Some(mc_vars)),
        );
        if let Some(url) = env.get("DATABASE_URL").filter(|v| !v.is_empty()) {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        if let Some(token) = env.get("TELEGRAM_BOT_TOKEN").filter(|v| !v.is_empty()) {
            builder = builder.set_override("telegram.token", token.as_str())?;
        }
        let settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types alone cannot: addresses, URLs, ranges, enum names.
    fn validate(&self) -> anyhow::Result<()> {
        if self.limits.max_waits_per_agent == 0 {
            bail!("invalid configuration: limits.max_waits_per_agent must be at least 1");
        }
        if self.http.max_connections == 0 {
            bail!("invalid configuration: http.max_connections must be at least 1");
        }
        if self.limits.max_mcp_sessions_per_agent == 0 {
            bail!("invalid configuration: limits.max_mcp_sessions_per_agent must be at least 1");
        }
        self.http_addr()?;
        {
            use strum::VariantArray;
            for job in Job::VARIANTS {
                parse_cron(job.name(), self.jobs.schedule(*job)).map_err(anyhow::Error::msg)?;
            }
        }
        if self.database.max_connections == 0 {
            bail!("invalid configuration: database.max_connections must be at least 1");
        }
        let url = &self.database.url;
        if !(url.is_empty() || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!("invalid configuration: database.url must start with postgres:// or postgresql://");
        }
        if !(self.telegram.api_url.starts_with("http://") || self.telegram.api_url.starts_with("https://")) {
            bail!(
                "invalid configuration: telegram.api_url must be an http(s) URL (got '{}')",
                self.telegram.api_url
            );
        }
        if self.telegram.mode == TelegramMode::Webhook && !self.telegram.token.is_empty() {
            if !self.telegram.webhook_url.starts_with("https://") && !self.telegram.webhook_url.starts_with("http://") {
                bail!("invalid configuration: telegram.webhook_url must be set to an http(s) URL in webhook mode");
            }
            if self.telegram.webhook_secret.len() < 16 {
                bail!("invalid configuration: telegram.webhook_secret must be at least 16 characters in webhook mode");
            }
        }
        if self.http.body_limit_bytes < 1024 {
            bail!("invalid configuration: http.body_limit_bytes must be at least 1024");
        }
        if !self.http.admin_token.is_empty() && !strong_admin_token(&self.http.admin_token) {
            bail!(
                "invalid configuration: http.admin_token must be at least {ADMIN_TOKEN_MIN_LEN} printable ASCII characters, \
                 of at least 10 different ones, without spaces (e.g. `openssl rand -hex 24`), or empty for none: \
                 only its hash is stored, and a short one could be guessed from a leaked database"
            );
        }
        if !(1..=100).contains(&self.thresholds.budget_warning_percent) {
            bail!("invalid configuration: thresholds.budget_warning_percent must be between 1 and 100");
        }
        if self.thresholds.approval_expiry_minutes == 0 {
            bail!("invalid configuration: thresholds.approval_expiry_minutes must be at least 1");
        }
        {
            // The reminder must fall between two runs of the expiry job, or some approvals
            // expire without one.
            let expression = &self.jobs.approval_expiry;
            let cron = parse_cron("approval_expiry", expression).map_err(anyhow::Error::msg)?;
            let window = chrono::Duration::minutes(self.thresholds.approval_escalate_before_minutes as i64);
            if let Some(gap) = longest_gap(&cron).filter(|gap| window < *gap) {
                bail!(
                    "invalid configuration: thresholds.approval_escalate_before_minutes ({}) must be at least the time between two runs of jobs.approval_expiry ('{expression}': up to {} min), or some approvals expire without a reminder",
                    self.thresholds.approval_escalate_before_minutes,
                    gap.num_minutes()
                );
            }
        }
        if self.thresholds.error_streak_quarantine < self.thresholds.error_streak_alert {
            bail!("invalid configuration: thresholds.error_streak_quarantine must be >= thresholds.error_streak_alert");
        }
        if mc_domain::i18n::Lang::parse(&self.telegram.default_lang).is_none() {
            let known: Vec<&str> = mc_domain::i18n::Lang::ALL.iter().map(|l| l.code()).collect();
            bail!(
                "invalid configuration: telegram.default_lang must be one of {} (got '{}')",
                known.join(", "),
                self.telegram.default_lang
            );
        }
        parse_level(&self.log.level).map_err(|e| anyhow::anyhow!("invalid configuration: log.level {e}"))?;
        self.role_caps()?;
        self.risk_map()?;
        self.tool_policy_layers()?;
        if !(1..=MAX_WAIT_SECS).contains(&self.bridge.max_wait_secs) {
            bail!(
                "invalid configuration: bridge.max_wait_secs must be 1–{MAX_WAIT_SECS} (got {})",
                self.bridge.max_wait_secs
            );
        }
        if !(60..=MAX_QUESTION_EXPIRY_SECS).contains(&self.questions.expire_after_secs) {
            bail!(
                "invalid configuration: questions.expire_after_secs must be 60–{MAX_QUESTION_EXPIRY_SECS} (got {})",
                self.questions.expire_after_secs
            );
        }
        if !(60..=MAX_AUTH_AGE_SECS).contains(&self.app.max_auth_age_secs) {
            bail!(
                "invalid configuration: app.max_auth_age_secs must be 60–{MAX_AUTH_AGE_SECS} (got {})",
                self.app.max_auth_age_secs
            );
        }
        let public_url = self.app.public_url.trim();
        if !(public_url.is_empty() || public_url.starts_with("https://") || public_url.starts_with("http://")) {
            bail!("invalid configuration: app.public_url must be an http(s) URL (Telegram opens only https:// Mini Apps)");
        }
        if !self.telegram.mini_app_name.is_empty() && !self.telegram.mini_app_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bail!("invalid configuration: telegram.mini_app_name must be the app's short name (letters, digits, _)");
        }
        self.trusted_proxies()?;
        self.price_table()?;
        for task_type in &self.policy.done_requires_approval {
            TaskType::parse(task_type).map_err(|e| anyhow::anyhow!("invalid configuration: policy.done_requires_approval: {e}"))?;
        }
        Ok(())
    }

    pub fn http_addr(&self) -> anyhow::Result<SocketAddr> {
        self.http.addr.parse().map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: http.addr must be host:port, e.g. 0.0.0.0:3000 (got '{}')",
                self.http.addr
            )
        })
    }

    pub fn role_caps(&self) -> anyhow::Result<RoleCaps> {
        let b = &self.budgets;
        let usd = |key: &str, value: f64| Usd::from_dollars(value).map_err(|e| anyhow::anyhow!("invalid configuration: budgets.{key} {e}"));
        Ok(RoleCaps {
            lead: Caps {
                daily: usd("lead_daily", b.lead_daily)?,
                per_run: usd("lead_per_run", b.lead_per_run)?,
            },
            specialist: Caps {
                daily: usd("specialist_daily", b.specialist_daily)?,
                per_run: usd("specialist_per_run", b.specialist_per_run)?,
            },
            intern: Caps {
                daily: usd("intern_daily", b.intern_daily)?,
                per_run: usd("intern_per_run", b.intern_per_run)?,
            },
        })
    }

    /// The price table: `costs.price_file` when set (read and checked at start), else the one
    /// shipped with the binary.
    pub fn price_table(&self) -> anyhow::Result<PriceTable> {
        let path = self.costs.price_file.trim();
        if path.is_empty() {
            return Ok(PriceTable::shipped());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("invalid configuration: costs.price_file: cannot read '{path}': {e}"))?;
        PriceTable::parse(&text).map_err(|e| anyhow::anyhow!("invalid configuration: costs.price_file '{path}': {e}"))
    }

    /// `http.trusted_proxies`, each an address (a network of one) or a network.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.http
            .trusted_proxies
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "invalid configuration: http.trusted_proxies: '{entry}' is not an address or a network like 10.0.0.0/8"
                        )
                    })
            })
            .collect()
    }

    /// What policy knows about action types: the GREEN and YELLOW lists and the overrides.
    /// `bridge`'s rules, parsed: every rule must be valid Claude Code syntax.
    pub fn tool_policy_layers(&self) -> anyhow::Result<ToolPolicyLayers> {
        fn rules(key: &str, lists: &ToolRuleLists) -> anyhow::Result<ToolRules> {
            let parse = |level: &str, list: &[String]| -> anyhow::Result<Vec<ToolRule>> {
                list.iter()
                    .map(|text| ToolRule::parse(text).map_err(|e| anyhow::anyhow!("invalid configuration: {key}.{level}: '{text}': {e}")))
                    .collect()
            };
            Ok(ToolRules {
                green: parse("green", &lists.green)?,
                yellow: parse("yellow", &lists.yellow)?,
                red: parse("red", &lists.red)?,
            })
        }
        let b = &self.bridge;
        let global = rules(
            "bridge",
            &ToolRuleLists {
                green: b.green.clone(),
                yellow: b.yellow.clone(),
                red: b.red.clone(),
            },
        )?;
        let roles = b
            .roles
            .iter()
            .map(|(role, lists)| {
                let parsed = AgentRole::parse(role).map_err(|e| anyhow::anyhow!("invalid configuration: bridge.roles.{role}: {e}"))?;
                Ok((parsed, rules(&format!("bridge.roles.{role}"), lists)?))
            })
            .collect::<anyhow::Result<_>>()?;
        let projects = b
            .projects
            .iter()
            .map(|(slug, lists)| Ok((slug.clone(), rules(&format!("bridge.projects.{slug}"), lists)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(ToolPolicyLayers { projects, roles, global })
    }

    pub fn risk_map(&self) -> anyhow::Result<RiskMap> {
        let overrides = self
            .policy
            .risk_overrides
            .iter()
            .map(|(tool, risk)| {
                RiskLevel::parse(risk)
                    .map(|r| (tool.to_ascii_lowercase(), r))
                    .map_err(|e| anyhow::anyhow!("invalid configuration: policy.risk_overrides.{tool}: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let entries = |key: &str, list: &[String]| -> anyhow::Result<Vec<String>> {
            list.iter()
                .map(|entry| {
                    let entry = entry.trim().to_ascii_lowercase();
                    if entry.is_empty() || !entry.chars().all(|c| c.is_ascii_alphanumeric() || "._:-/".contains(c)) {
                        bail!("invalid configuration: policy.{key}: '{entry}' is not an action type (letters, digits and . _ : - /)");
                    }
                    Ok(entry)
                })
                .collect()
        };
        Ok(RiskMap {
            green: entries("green", &self.policy.green)?,
            yellow: entries("yellow", &self.policy.yellow)?,
            overrides,
        })
    }

    pub fn loop_thresholds(&self) -> LoopThresholds {
        let t = &self.thresholds;
        LoopThresholds {
            max_comments: t.loop_max_comments,
            comment_window_minutes: t.loop_comment_window_minutes,
            max_review_cycles: t.loop_max_review_cycles,
            failed_runs: t.loop_failed_runs,
            failed_runs_window: t.loop_failed_runs_window,
            transitions: t.loop_transitions,
            transition_window_minutes: t.loop_transition_window_minutes,
            pair_repeats: t.loop_pair_repeats,
        }
    }

    pub fn spawn_limits(&self) -> SpawnLimits {
        SpawnLimits {
            max_children: self.limits.max_sub_agents,
            max_depth: self.limits.max_agent_depth,
            max_active_agents: self.limits.max_active_agents,
        }
    }

    pub fn telegram_enabled(&self) -> bool {
        !self.telegram.token.is_empty()
    }
}

/// Parses `log.level` strictly: every comma-separated directive must be valid, and a bare word
/// must be a level (`EnvFilter` would take `debugg` for a target and drop bad directives).
pub fn parse_level(level: &str) -> Result<EnvFilter, String> {
    let directives: Vec<&str> = level.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    if directives.is_empty() {
        return Err("must not be empty: give a level (trace, debug, info, warn, error, off) or target=level directives".into());
    }
    for directive in &directives {
        if !directive.contains('=') && !directive.contains('[') && LevelFilter::from_str(directive).is_err() {
            return Err(format!(
                "'{directive}' is not a level (trace, debug, info, warn, error, off); a target needs one, e.g. {directive}=debug"
            ));
        }
    }
    EnvFilter::builder()
        .parse(directives.join(","))
        .map_err(|e| format!("'{level}' is not a valid tracing filter: {e} (e.g. \"info\" or \"mission_control=debug,sqlx=warn\")"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> anyhow::Result<Settings> {
        Settings::load_from(None, env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let s = load(&[("MC_HTTP__TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5,fd00::/8")]).unwrap();
        let nets = s.trusted_proxies().unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"192.168.1.5".parse::<std::net::IpAddr>().unwrap()));
        let err = load(&[("MC_HTTP__TRUSTED_PROXIES", "the-proxy")]).unwrap_err().to_string();
        assert!(err.contains("http.trusted_proxies: 'the-proxy'"), "{err}");
        assert!(load(&[]).unwrap().trusted_proxies().unwrap().is_empty());
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let s = load(&[
            ("DATABASE_URL", "postgres://mc:db-password-123@db.internal:5432/mc"),
            ("MC_HTTP__ADMIN_TOKEN", "admin-token-secret-value-0123456789"),
            ("MC_TELEGRAM__TOKEN", "123456:telegram-secret"),
            ("MC_TELEGRAM__WEBHOOK_SECRET", "webhook-secret-value"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        for secret in [
            "db-password-123",
            "admin-token-secret-value-0123456789",
            "telegram-secret",
            "webhook-secret-value",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("db.internal") && shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn defaults_load_and_match_the_spec() {
        let s = load(&[]).unwrap();
        assert_eq!(s.http.addr, "0.0.0.0:3000");
        assert_eq!(s.telegram.api_url, "https://api.telegram.org");
        assert_eq!(s.telegram.mode, TelegramMode::Polling);
        assert_eq!(s.role_caps().unwrap(), RoleCaps::default());
        assert_eq!(s.loop_thresholds(), LoopThresholds::default());
        assert!(!s.telegram_enabled());
    }

    #[test]
    fn environment_overrides_and_conventional_names() {
        let s = load(&[
            ("MC_HTTP__ADDR", "127.0.0.1:8080"),
            ("MC_TELEGRAM__ADMINS", "111,222"),
            ("MC_THRESHOLDS__STALE_AFTER_SECS", "60"),
            ("DATABASE_URL", "postgres://u@h/db"),
            ("TELEGRAM_BOT_TOKEN", "123:abc"),
        ])
        .unwrap();
        assert_eq!(s.http.addr, "127.0.0.1:8080");
        assert_eq!(s.telegram.admins, vec![111, 222]);
        assert_eq!(load(&[("MC_TELEGRAM__ADMINS", "333")]).unwrap().telegram.admins, vec![333]);
        assert!(load(&[("MC_TELEGRAM__ADMINS", "")]).unwrap().telegram.admins.is_empty());
        let err = load(&[("MC_TELEGRAM__ADMINS", "12,sofie")]).unwrap_err().to_string();
        assert!(err.contains("admins") && err.contains("'sofie'"), "{err}");
        assert_eq!(s.thresholds.stale_after_secs, 60);
        assert_eq!(s.database.url, "postgres://u@h/db");
        assert!(s.telegram_enabled());
    }

    #[test]
    fn the_approval_reminder_window_covers_the_expiry_job_interval() {
        let s = load(&[]).unwrap();
        assert!(s.thresholds.approval_escalate_before_minutes >= 15);
        let err = load(&[("MC_THRESHOLDS__APPROVAL_ESCALATE_BEFORE_MINUTES", "10")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("approval_escalate_before_minutes") && err.contains("15 min"), "{err}");
        assert!(load(&[
            ("MC_THRESHOLDS__APPROVAL_ESCALATE_BEFORE_MINUTES", "10"),
            ("MC_JOBS__APPROVAL_EXPIRY", "0 */5 * * * *"),
        ])
        .is_ok());
        let err = load(&[("MC_JOBS__APPROVAL_EXPIRY", "0 0 * * * *")]).unwrap_err().to_string();
        assert!(err.contains("60 min"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load(&[("MC_HTTP__ADDR", "not an address")]).unwrap_err().to_string();
        assert!(err.contains("http.addr"), "{err}");
        let err = load(&[("MC_THRESHOLDS__STALE_AFTER_SECS", "soon")]).unwrap_err().to_string();
        assert!(err.contains("stale_after_secs"), "{err}");
        let err = load(&[("MC_BUDGETS__INTERN_DAILY", "-2")]).unwrap_err().to_string();
        assert!(err.contains("budgets.intern_daily"), "{err}");
        let err = load(&[("MC_TELEGRAM__MODE", "carrier-pigeon")]).unwrap_err().to_string();
        assert!(err.contains("mode"), "{err}");
        let err = load(&[("DATABASE_URL", "mysql://x")]).unwrap_err().to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn the_chat_language_and_the_log_filter_are_checked() {
        let err = load(&[("MC_TELEGRAM__DEFAULT_LANG", "klingon")]).unwrap_err().to_string();
        assert!(
            err.contains("telegram.default_lang") && err.contains("en, ru") && err.contains("'klingon'"),
            "{err}"
        );
        assert_eq!(
            load(&[("MC_TELEGRAM__DEFAULT_LANG", "ru-RU")]).unwrap().telegram.default_lang,
            "ru-RU"
        );
        for bad in ["", "verbose", "info,debugg", "sqlx=loud", "mission_control=debug,=", "[{"] {
            let err = load(&[("MC_LOG__LEVEL", bad)]).unwrap_err().to_string();
            assert!(err.contains("log.level"), "'{bad}': {err}");
        }
        let err = load(&[("MC_LOG__LEVEL", "info,debugg")]).unwrap_err().to_string();
        assert!(err.contains("'debugg' is not a level"), "{err}");
        assert_eq!(
            load(&[]).unwrap().log.level,
            "info,sqlx::postgres::notice=warn",
            "the default stays valid"
        );
        for good in [
            "warn",
            "info,sqlx::postgres::notice=warn",
            "mission_control=debug,sqlx=warn",
            "OFF",
            "tower_http[request]=trace",
        ] {
            assert!(load(&[("MC_LOG__LEVEL", good)]).is_ok(), "{good}");
        }
    }

    #[test]
    fn an_explicit_file_overrides_defaults_and_env_overrides_it() {
        let dir = std::env::temp_dir().join(format!("mc-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("local.toml");
        std::fs::write(&file, "[http]\naddr = \"127.0.0.1:4000\"\nrate_limit_per_minute = 5\n").unwrap();
        let env = [("MC_HTTP__RATE_LIMIT_PER_MINUTE".to_string(), "7".to_string())];
        let s = Settings::load_from(Some(&file), env).unwrap();
        assert_eq!(s.http.addr, "127.0.0.1:4000");
        assert_eq!(s.http.rate_limit_per_minute, 7);
        let missing = Settings::load_from(Some(&dir.join("nope.toml")), []).unwrap_err().to_string();
        assert!(missing.contains("does not exist"), "{missing}");
    }
}
