//! The operators' overview as data: the project summary behind `/status`, `/standup` and
//! `/burnrate`, task lines with their assignees' names, and the policy as configured. Built by
//! `app::summary`, carried in notices, rendered by the bot.

use chrono::{DateTime, Utc};
use mc_domain::i18n::{Lang, Msg};
use mc_domain::*;
use serde::Serialize;
use uuid::Uuid;

use super::Project;
use crate::pg::Pg;

/// How many agents are in each state; `stale` counts active agents whose heartbeat is late.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentTally {
    pub active: u32,
    pub paused: u32,
    pub quarantined: u32,
    pub offline: u32,
    pub drained: u32,
    /// Active agents silent for longer than the stale threshold (after a first heartbeat).
    pub stale: u32,
    /// Active agents that never sent a heartbeat: not started, rather than stale.
    #[serde(default)]
    pub not_started: u32,
}

/// One agent's money today.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendLine {
    pub agent_id: Uuid,
    pub name: String,
    pub status: AgentStatus,
    pub today_spend: Usd,
    pub daily_cap: Usd,
    pub percent_of_cap: u32,
    /// Spend over the last hour: the current burn rate in $/h.
    pub last_hour: Usd,
    /// At the current rate, hours until the daily cap is reached (none when not burning).
    pub hours_to_cap: Option<f64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalLine {
    pub id: Uuid,
    pub code: String,
    pub agent: String,
    pub action_type: String,
    pub summary: String,
    pub risk: RiskLevel,
    pub expires_at: DateTime<Utc>,
}

/// Everything an operator wants at a glance, and what the standup posts.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSummary {
    pub project: Project,
    pub at: DateTime<Utc>,
    /// Every status in board order, with zero counts included.
    pub tasks_by_status: Vec<(TaskStatus, i64)>,
    /// Completed in the last 24 hours (at most 10, newest first).
    pub completed: Vec<TaskLine>,
    /// Blocked tasks with their reasons (at most 10).
    pub blocked: Vec<TaskLine>,
    /// The top 3 open, unblocked tasks by priority.
    pub next: Vec<TaskLine>,
    pub agents: AgentTally,
    pub stale_agents: Vec<String>,
    /// Active agents that never sent a heartbeat.
    #[serde(default)]
    pub not_started_agents: Vec<String>,
    /// Per agent, highest spend first.
    pub spend: Vec<SpendLine>,
    pub spend_today: Usd,
    pub caps_today: Usd,
    /// The whole squad's spend over the last hour ($/h).
    pub burn_rate: Usd,
    pub pending_approvals: Vec<ApprovalLine>,
    pub pending_approvals_total: i64,
    pub open_alerts: i64,
    /// This calendar month's spend (UTC), from its runs.
    #[serde(default)]
    pub month_spend: Usd,
    /// The month's biggest spenders (at most [`TOP_SPENDERS`]), the biggest first.
    #[serde(default)]
    pub top_spenders_month: Vec<(String, Usd)>,
}

/// How many of the month's biggest spenders the standup names.
pub const TOP_SPENDERS: usize = 3;

/// The policy as configured: examples of the tool → risk map, and the rules around it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySummary {
    /// Representative tools and the risk the policy gives them.
    pub tools: Vec<(String, RiskLevel, Vec<Msg>)>,
    pub overrides: Vec<(String, RiskLevel)>,
    pub auto_approve: Vec<String>,
    pub done_requires_approval: Vec<TaskType>,
    pub approval_expiry_minutes: u32,
    pub error_streak_alert: i32,
    pub error_streak_quarantine: i32,
    pub stale_after_minutes: i64,
    pub budget_warning_percent: u32,
}

/// A task as lists show it: its assignees by name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TaskLine {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    #[sqlx(try_from = "Pg<TaskStatus>")]
    pub status: TaskStatus,
    pub priority: i16,
    #[sqlx(try_from = "Pg<TaskType>")]
    pub task_type: TaskType,
    pub blocked_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[sqlx(json(nullable))]
    pub blocked_reason_said: Option<Msg>,
    pub completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub assignees: Vec<String>,
}

impl TaskLine {
    pub fn blocked_reason_in(&self, lang: Lang) -> Option<String> {
        super::reason_in(self.blocked_reason.as_deref(), self.blocked_reason_said.as_ref(), lang)
    }
}
