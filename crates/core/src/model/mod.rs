//! What the core reads and returns: rows as the database holds them, serialized as the API
//! shows them (camelCase, money in dollars, enums in snake_case), and the notices the core
//! queues for the chat. Below both the core (`app`) and `storage`, which share these types, so
//! neither imports the other's.

pub mod notice;
pub mod summary;

use crate::pg::Pg;
use chrono::{DateTime, NaiveDate, Utc};
use mc_domain::i18n::{Lang, Msg};
use mc_domain::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub squad_paused: bool,
    #[schema(value_type = String, example = "09:00:00")]
    pub standup_time: chrono::NaiveTime,
    pub standup_timezone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Budgets {
    #[sqlx(rename = "daily_cap_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub daily_cap: Usd,
    #[sqlx(rename = "per_run_cap_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub per_run_cap: Usd,
}

/// A project's caps over all its agents, and its spend under them (kept while it has a cap).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBudget {
    pub project_id: Uuid,
    #[sqlx(rename = "daily_cap_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub daily_cap: Option<Usd>,
    #[sqlx(rename = "monthly_cap_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub monthly_cap: Option<Usd>,
    #[sqlx(rename = "today_spend_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub today_spend: Usd,
    pub spend_day: NaiveDate,
    #[sqlx(rename = "month_spend_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub month_spend: Usd,
    pub spend_month: NaiveDate,
    #[serde(skip)]
    pub warned_day: Option<NaiveDate>,
    #[serde(skip)]
    pub warned_month: Option<NaiveDate>,
}

impl ProjectBudget {
    /// The cap and the spend of `period`.
    pub fn of(&self, period: BudgetPeriod) -> (Option<Usd>, Usd) {
        match period {
            BudgetPeriod::Day => (self.daily_cap, self.today_spend),
            BudgetPeriod::Month => (self.monthly_cap, self.month_spend),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    #[sqlx(try_from = "Pg<AgentRole>")]
    pub role: AgentRole,
    pub parent_agent_id: Option<Uuid>,
    pub depth: i32,
    #[sqlx(try_from = "Pg<Vec<TaskType>>")]
    pub allowed_task_types: Vec<TaskType>,
    #[sqlx(try_from = "Pg<AgentStatus>")]
    pub status: AgentStatus,
    pub status_cause: Option<String>,
    pub status_reason: Option<String>,
    /// `status_reason` as a message, when the system gave it; the API shows the English text.
    #[serde(skip)]
    #[sqlx(json(nullable))]
    pub status_reason_said: Option<Msg>,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub stale_since: Option<DateTime<Utc>>,
    pub error_streak: i32,
    pub current_task_id: Option<Uuid>,
    #[sqlx(flatten)]
    pub budgets: Budgets,
    #[sqlx(rename = "today_spend_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub today_spend: Usd,
    #[sqlx(rename = "total_spend_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub total_spend: Usd,
    pub spend_day: NaiveDate,
    #[serde(skip)]
    pub budget_warned_day: Option<NaiveDate>,
    /// The most the agent may spend in a calendar month (UTC); none: no monthly cap.
    #[sqlx(rename = "monthly_cap_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub monthly_cap: Option<Usd>,
    /// What it spent in the month of `spend_month` (the first day of that month).
    #[sqlx(rename = "month_spend_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub month_spend: Usd,
    pub spend_month: NaiveDate,
    #[serde(skip)]
    pub budget_warned_month: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Agent {
    /// An empty allow-list means the agent takes any type.
    pub fn takes(&self, task_type: TaskType) -> bool {
        self.allowed_task_types.is_empty() || self.allowed_task_types.contains(&task_type)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i32,
    pub title: String,
    pub description: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    #[sqlx(try_from = "Pg<TaskType>")]
    pub task_type: TaskType,
    pub priority: i16,
    #[sqlx(try_from = "Pg<TaskStatus>")]
    pub status: TaskStatus,
    pub assignee_ids: Vec<Uuid>,
    pub reviewer_id: Option<Uuid>,
    pub work_plan: Vec<String>,
    pub deliverable: Option<String>,
    pub review_cycles: i32,
    #[sqlx(rename = "budget_allocated_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub budget_allocated: Option<Usd>,
    #[sqlx(rename = "actual_cost_micros")]
    #[sqlx(try_from = "Pg<Usd>")]
    pub actual_cost: Usd,
    pub blocked_reason: Option<String>,
    #[serde(skip)]
    #[sqlx(json(nullable))]
    pub blocked_reason_said: Option<Msg>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The task's thread in its project's Telegram chat; null until the bot has made one.
    #[sqlx(json(nullable))]
    pub thread: Option<ThreadRef>,
}

/// Where a task's updates go in Telegram: its forum topic, or in a plain group the root
/// message (the task's card) they reply to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadRef {
    pub chat_id: i64,
    /// The forum topic (message thread) of the task, in a forum.
    pub topic_id: Option<i32>,
    /// The message the task's updates reply to, in a plain group.
    pub root_message_id: Option<i32>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub id: i64,
    pub task_id: Uuid,
    #[sqlx(try_from = "Pg<TaskStatus>")]
    pub from_status: TaskStatus,
    #[sqlx(try_from = "Pg<TaskStatus>")]
    pub to_status: TaskStatus,
    #[sqlx(try_from = "Pg<ActorKind>")]
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub reason: String,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: Uuid,
    pub task_id: Uuid,
    #[sqlx(try_from = "Pg<ActorKind>")]
    pub author_kind: ActorKind,
    pub author_id: Option<Uuid>,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: Uuid,
    pub task_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i32,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub action_type: String,
    pub action_summary: String,
    #[serde(rename = "riskLevel")]
    #[sqlx(try_from = "Pg<RiskLevel>")]
    pub risk: RiskLevel,
    pub justification: String,
    pub rollback_plan: Option<String>,
    #[sqlx(rename = "estimated_cost_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub estimated_cost: Option<Usd>,
    #[sqlx(try_from = "Pg<ApprovalStatus>")]
    pub status: ApprovalStatus,
    #[sqlx(try_from = "Pg<Option<ActorKind>>")]
    pub decided_by_kind: Option<ActorKind>,
    pub decided_by_id: Option<Uuid>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// For a tool call of Claude Code or Codex waiting for a human: the tool, its input, the
    /// directory it runs in and the policy rule that made it RED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_input: Option<serde_json::Value>,
    #[serde(skip)]
    pub tool_input_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_cwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_rule: Option<String>,
    #[sqlx(try_from = "Pg<Option<ToolClient>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_client: Option<ToolClient>,
    /// The arguments as a person changed them before approving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_input: Option<serde_json::Value>,
    /// When a tool call was given this decision (a decision is used once).
    #[serde(skip)]
    pub answered_at: Option<DateTime<Utc>>,
}

impl Approval {
    /// The short code operators type: `/approve A7`.
    pub fn code(&self) -> String {
        format!("A{}", self.number)
    }
}

/// A question an agent asked the humans (`app::questions`): free text, or options to choose
/// from; the first operator's answer closes it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i32,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub question: String,
    pub options: Option<Vec<String>>,
    pub multi_select: bool,
    #[sqlx(try_from = "Pg<QuestionStatus>")]
    pub status: QuestionStatus,
    pub answer_text: Option<String>,
    pub answer_options: Option<Vec<String>>,
    #[sqlx(try_from = "Pg<Option<ActorKind>>")]
    pub answered_by_kind: Option<ActorKind>,
    pub answered_by_id: Option<Uuid>,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// A multi-select question's options ticked so far in the chat (Done answers with them).
    pub picked: Vec<String>,
    /// A question of Claude Code's `AskUserQuestion`: the call's input hash and the question's
    /// place in it, and when its answer went back to the call.
    #[serde(skip)]
    pub tool_input_hash: Option<String>,
    #[serde(skip)]
    pub tool_question_index: Option<i16>,
    #[serde(skip)]
    pub tool_used_at: Option<DateTime<Utc>>,
}

impl Question {
    /// The short code people read and type: `Q3`.
    pub fn code(&self) -> String {
        format!("Q{}", self.number)
    }

    /// The answer as one line: the chosen options, then the text.
    pub fn answer_line(&self) -> Option<String> {
        let parts: Vec<String> = self
            .answer_options
            .iter()
            .map(|o| o.join(", "))
            .chain(self.answer_text.clone())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" — "))
    }
}

/// One decision on a tool call of Claude Code or Codex (`app::bridge`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    pub id: Uuid,
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    #[sqlx(try_from = "Pg<ToolClient>")]
    pub client: ToolClient,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    pub tool_name: String,
    /// SHA-256 of the input as sent (the input itself is not kept).
    pub input_hash: String,
    /// The call as a person reads it, secret-looking values masked.
    pub summary: String,
    #[sqlx(try_from = "Pg<RiskLevel>")]
    pub risk: RiskLevel,
    /// What decided the risk: a rule and its layer, or why it is RED regardless.
    pub rule: String,
    #[sqlx(try_from = "Pg<ToolDecision>")]
    pub decision: ToolDecision,
    /// `policy`, a person's name, or the reason nobody could decide.
    pub decided_by: String,
    pub reason: Option<String>,
    pub approval_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
    pub latency_ms: i32,
    pub created_at: DateTime<Utc>,
}

/// A standing grant: tool calls its rule covers are allowed without a human until it expires
/// or is revoked (`app::grants`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolGrant {
    pub id: Uuid,
    pub project_id: Uuid,
    pub number: i32,
    #[sqlx(try_from = "Pg<GrantScope>")]
    pub scope: GrantScope,
    pub agent_id: Option<Uuid>,
    #[sqlx(try_from = "Pg<Option<AgentRole>>")]
    pub role: Option<AgentRole>,
    /// In Claude Code's rule syntax, e.g. `Bash(git push:*)`.
    pub rule: String,
    /// While the agent works on this task.
    pub task_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub approval_id: Option<Uuid>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by_name: Option<String>,
    /// When the expiry job recorded that its time was up.
    pub lapsed_at: Option<DateTime<Utc>>,
    pub uses: i32,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ToolGrant {
    /// The short code operators type: `/revoke G3`.
    pub fn code(&self) -> String {
        format!("G{}", self.number)
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: Uuid,
    pub project_id: Uuid,
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    /// What the run cost: reported, or priced from the price table; none when unpriced (a
    /// model the table does not know and no reported cost) — unknown, never $0.
    #[sqlx(rename = "cost_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub cost: Option<Usd>,
    #[sqlx(try_from = "Pg<CostSource>")]
    pub cost_source: CostSource,
    /// The price table's price of the run's tokens, when it could be computed.
    #[sqlx(rename = "priced_micros")]
    #[sqlx(try_from = "Pg<Option<Usd>>")]
    pub priced_cost: Option<Usd>,
    /// The reported cost differs from the table's price by more than 5 %.
    pub cost_mismatch: bool,
    #[sqlx(try_from = "Pg<RunStatus>")]
    pub status: RunStatus,
    pub model: Option<String>,
    /// Every token of the run (the sum of the counts by kind when they were given).
    pub tokens: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    /// How many of the output tokens were reasoning (thinking).
    pub reasoning_tokens: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: Uuid,
    pub project_id: Uuid,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub alert_type: String,
    #[sqlx(try_from = "Pg<AlertSeverity>")]
    pub severity: AlertSeverity,
    pub subject: String,
    pub message: String,
    pub details: serde_json::Value,
    pub occurrences: i32,
    pub resolved: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub kind: String,
    pub task_id: Option<Uuid>,
    pub body: String,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: i64,
    pub project_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    #[sqlx(try_from = "Pg<ActorKind>")]
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    pub id: Uuid,
    pub name: String,
    #[sqlx(try_from = "Pg<OperatorRole>")]
    pub role: OperatorRole,
    pub telegram_user_id: Option<i64>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An API token as listed: who holds it and where it stands; never the token itself (only its
/// first characters, for a generated token, to tell it apart).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub kind: mc_domain::credentials::TokenKind,
    /// The operator's role, for an operator token.
    pub role: Option<OperatorRole>,
    pub operator_id: Option<Uuid>,
    /// The agent, for an agent token.
    pub agent_id: Option<Uuid>,
    pub agent_project: Option<String>,
    /// e.g. `mco_AbCd`; empty for the bootstrap token (`http.admin_token`), of which nothing is kept.
    pub prefix: String,
    pub state: mc_domain::credentials::TokenState,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just made: shown once, with what it is.
#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    /// The secret: store it now, it is not kept and cannot be shown again.
    pub token: String,
    #[serde(flatten)]
    pub info: ApiToken,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &mc_domain::credentials::redacted(&self.token))
            .field("info", &self.info)
            .finish()
    }
}

/// A page of a list, with the total count for the filter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A reason in `lang`: the system's message when there is one, else the text as stored.
pub(crate) fn reason_in(text: Option<&str>, said: Option<&Msg>, lang: Lang) -> Option<String> {
    said.map(|m| m.render(lang)).or_else(|| text.map(str::to_string))
}

impl Agent {
    pub fn status_reason_in(&self, lang: Lang) -> Option<String> {
        reason_in(self.status_reason.as_deref(), self.status_reason_said.as_ref(), lang)
    }
}

impl Task {
    pub fn blocked_reason_in(&self, lang: Lang) -> Option<String> {
        reason_in(self.blocked_reason.as_deref(), self.blocked_reason_said.as_ref(), lang)
    }
}
