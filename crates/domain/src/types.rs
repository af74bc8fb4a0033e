//! The vocabulary of the domain: enums shared by the database, the API and the bot.
//! Each one is a lowercase snake_case string in JSON and parses from text; the core stores
//! each as a PostgreSQL enum of the same words (`mc_core::storage::pg`).

use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident, $pg:literal { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 Serialize, Deserialize, Display, EnumString, IntoStaticStr, VariantArray, utoipa::ToSchema, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case", ascii_case_insensitive)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Parses user input, with an error that lists every accepted value.
            pub fn parse(input: &str) -> Result<Self, String> {
                let normalized = input.trim().replace('-', "_");
                normalized.parse().map_err(|_| {
                    let accepted: Vec<&str> = Self::VARIANTS.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} '{}' (expected one of: {})", $pg.replace('_', " "), input.trim(), accepted.join(", "))
                })
            }
        }
    };
}

domain_enum!(AgentRole, "agent_role" { Lead, Specialist, Intern });

impl AgentRole {
    /// How much the role may do: intern < specialist < lead (a sub-agent is never above its
    /// parent).
    pub fn rank(self) -> u8 {
        match self {
            AgentRole::Intern => 0,
            AgentRole::Specialist => 1,
            AgentRole::Lead => 2,
        }
    }
}
domain_enum!(AgentStatus, "agent_status" { Active, Paused, Quarantined, Offline, Drained });
domain_enum!(TaskType, "task_type" {
    Content, Social, EmailMarketing, CustomerResearch, SeoResearch, Engineering, Docs, Ops
});
domain_enum!(TaskStatus, "task_status" {
    Inbox, Assigned, InProgress, Review, NeedsApproval, Blocked, Done, Canceled
});
domain_enum!(
    /// Ordered: Green < Yellow < Red, so `max` escalates.
    RiskLevel, "risk_level" { Green, Yellow, Red }
);
domain_enum!(ApprovalStatus, "approval_status" {
    Pending, Approved, Denied, Expired, Canceled, Escalated
});
domain_enum!(RunStatus, "run_status" { Succeeded, Failed });
domain_enum!(
    /// Where a run's cost came from: reported by the agent, priced from the price table by its
    /// model and tokens, or neither (an unknown model and no cost: shown as unpriced, never $0).
    CostSource, "cost_source" { Reported, Priced, Unpriced }
);
domain_enum!(
    /// A budget's span: the UTC day, or the calendar month in UTC.
    BudgetPeriod, "budget_period" { Day, Month }
);
domain_enum!(
    /// Whose budget: one agent's, or the whole project's (every agent of it).
    BudgetScope, "budget_scope" { Agent, Project }
);
domain_enum!(
    /// How a cost summary groups the runs: by agent, by model, or by project.
    CostGrouping, "cost_grouping" { Agent, Model, Project }
);
domain_enum!(AlertSeverity, "alert_severity" { Info, Warning, Critical });
domain_enum!(
    /// Ordered by authority: Viewer < Operator < Cao.
    OperatorRole, "operator_role" { Viewer, Operator, Cao }
);
domain_enum!(ActorKind, "actor_kind" { Agent, Human, System });
domain_enum!(
    /// Why a token stopped working before its time: revoked by someone, rotated (a newer
    /// token of the same agent retired it), or replaced (another `http.admin_token`).
    TokenRetirement, "token_retirement" { Revoked, Rotated, Replaced }
);
domain_enum!(
    /// Whose permission layer asked about a tool call: Claude Code's hooks, Codex's hooks, or
    /// Claude Code's `--permission-prompt-tool` over MCP.
    ToolClient, "tool_client" { ClaudeCode, Codex, Mcp }
);
domain_enum!(
    /// What a tool call was told.
    ToolDecision, "tool_decision" { Allowed, Denied }
);

domain_enum!(
    /// Where a question an agent asked stands: waiting for a human, answered, expired
    /// unanswered, or withdrawn by the agent.
    QuestionStatus, "question_status" { Pending, Answered, Expired, Canceled }
);

domain_enum!(
    /// Whom a standing grant covers: one agent, every agent of a role, or the whole project.
    GrantScope, "grant_scope" { Agent, Role, Project }
);

impl TaskStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Canceled)
    }
}

impl ApprovalStatus {
    /// Still waiting for a decision.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Escalated)
    }
}

impl QuestionStatus {
    /// Still waiting for an answer.
    pub fn is_open(self) -> bool {
        self == Self::Pending
    }
}

impl AgentStatus {
    /// Paused, quarantined, offline and drained agents are denied everything.
    pub fn may_act(self) -> bool {
        self == Self::Active
    }
}

/// Parses a comma-separated list such as `in_progress,review` (the API's `?status=`).
pub fn parse_list<T>(input: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    input.split(',').map(str::trim).filter(|part| !part.is_empty()).map(parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_text_and_json() {
        for status in TaskStatus::VARIANTS {
            assert_eq!(TaskStatus::parse(status.as_str()).unwrap(), *status);
            assert_eq!(status.to_string(), status.as_str());
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for t in TaskType::VARIANTS {
            assert_eq!(TaskType::parse(t.as_str()).unwrap(), *t);
        }
    }

    #[test]
    fn parse_is_lenient_about_case_and_dashes_but_lists_choices_on_error() {
        assert_eq!(TaskStatus::parse("In-Progress").unwrap(), TaskStatus::InProgress);
        assert_eq!(TaskType::parse("SEO_RESEARCH").unwrap(), TaskType::SeoResearch);
        let err = TaskStatus::parse("finished").unwrap_err();
        assert!(err.contains("unknown task status 'finished'"), "{err}");
        assert!(err.contains("in_progress"), "{err}");
    }

    #[test]
    fn orderings_escalate() {
        assert!(RiskLevel::Red > RiskLevel::Yellow && RiskLevel::Yellow > RiskLevel::Green);
        assert!(OperatorRole::Cao > OperatorRole::Operator && OperatorRole::Operator > OperatorRole::Viewer);
    }

    #[test]
    fn lists_parse_and_reject_unknown_members() {
        let list = parse_list("blocked, needs_approval", TaskStatus::parse).unwrap();
        assert_eq!(list, vec![TaskStatus::Blocked, TaskStatus::NeedsApproval]);
        assert!(parse_list("blocked,nope", TaskStatus::parse).is_err());
    }
}
