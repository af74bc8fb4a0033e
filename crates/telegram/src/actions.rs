//! What an inline button does. A button's `callback_data` is only a short token; the action and
//! its target are stored with it (`callback_actions`) by whoever renders the button, and read
//! back by the bot when someone clicks — whose rights are checked then.

use mc_core::app::chats::CallbackAction;
use mc_core::app::{App, AppResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ButtonAction {
    /// Approval request buttons.
    Approve {
        approval_id: Uuid,
    },
    /// Asks the clicker for a reason (ForceReply), then denies.
    Deny {
        approval_id: Uuid,
    },
    /// A RED tool call's card: approve it and grant the agent its command prefix for an hour
    /// or for the agent's task.
    ApproveFor {
        approval_id: Uuid,
        span: GrantButton,
    },
    /// A RED tool call's card: deny without instructions (❌; ✍️ is `Deny`, which asks for them).
    DenyNow {
        approval_id: Uuid,
    },
    /// A question an agent asked: answer it with its option number `option` (0-based).
    AnswerQuestion {
        question_id: Uuid,
        option: u8,
    },
    /// A multi-select question: tick or untick its option `option` (0-based).
    PickQuestionOption {
        question_id: Uuid,
        option: u8,
    },
    /// A multi-select question: answer with the options ticked.
    SubmitQuestion {
        question_id: Uuid,
    },
    /// A task in review: ask the clicker what should change, then send it back to in progress
    /// with their words for its agents.
    RequestChanges {
        task_id: Uuid,
    },
    /// `/grants`: revoke one.
    RevokeGrant {
        grant_id: Uuid,
    },
    /// Any alert.
    ResolveAlert {
        alert_id: Uuid,
    },
    /// budget_exceeded of an agent's daily cap: raise it by `by` (the amount the button says;
    /// buttons stored before it said one decide it at the click: by half, at least $1, above
    /// today's spend and a run), keep paused (resolve), quarantine.
    RaiseCap {
        alert_id: Uuid,
        agent_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<mc_domain::Usd>,
    },
    KeepPaused {
        alert_id: Uuid,
        agent_id: Uuid,
    },
    QuarantineAgent {
        alert_id: Option<Uuid>,
        agent_id: Uuid,
    },
    /// budget_exceeded of a monthly or a project's budget: raise it by `by` (the amount the
    /// button says) and resume the agents it paused; or keep them paused (resolve).
    RaiseBudget {
        alert_id: Uuid,
        by: mc_domain::Usd,
    },
    KeepBudgetPaused {
        alert_id: Uuid,
    },
    /// loop_detected: unblock (→ assigned), reassign (→ inbox, unassigned), cancel.
    UnblockTask {
        alert_id: Option<Uuid>,
        task_id: Uuid,
    },
    ReassignTask {
        alert_id: Option<Uuid>,
        task_id: Uuid,
    },
    CancelTask {
        alert_id: Option<Uuid>,
        task_id: Uuid,
    },
    /// agent_stale / error streak: restart.
    RestartAgent {
        alert_id: Option<Uuid>,
        agent_id: Uuid,
    },
    /// A task card: move the task (a move that needs a reason, a work plan or a deliverable
    /// asks for it first), list agents to assign, assign one.
    MoveTask {
        task_id: Uuid,
        to: mc_domain::TaskStatus,
    },
    AssignTask {
        task_id: Uuid,
    },
    AssignTaskTo {
        task_id: Uuid,
        agent_id: Uuid,
    },
    /// Confirmations of destructive commands (one-shot).
    ConfirmPauseSquad {
        project_id: Uuid,
    },
    ConfirmQuarantine {
        agent_id: Uuid,
        reason: Option<String>,
    },
    /// Dismisses a confirmation; only someone holding the right the question needs may (so a
    /// viewer cannot cancel the CAO's question).
    Dismiss {
        #[serde(default = "dismiss_needs_before")]
        needs: mc_domain::Right,
    },
    /// Pagination of a long list: which list and which page (and, for tasks, which statuses).
    Page {
        list: ListKind,
        page: u32,
        filter: Option<TaskFilter>,
    },
}

/// How long a grant made from a tool call's card lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantButton {
    Hour,
    Task,
}

impl From<GrantButton> for mc_domain::grants::GrantSpan {
    fn from(button: GrantButton) -> Self {
        match button {
            GrantButton::Hour => mc_domain::grants::GrantSpan::HOUR,
            GrantButton::Task => mc_domain::grants::GrantSpan::Task,
        }
    }
}

/// The long lists the bot shows a page at a time (`/agents`, `/tasks`, `/approvals`,
/// `/alerts`), as their page buttons name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Agents,
    Tasks,
    Approvals,
    Alerts,
}

/// The statuses a task list shows when some were asked for (`/tasks review,blocked`, `/inbox`);
/// without one the list shows the open tasks. Stored in a page button as the comma-separated
/// names it was always stored as, so buttons sent before still work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskFilter(Vec<mc_domain::TaskStatus>);

impl TaskFilter {
    /// A filter showing `statuses`; none when the list is empty.
    pub fn of(statuses: Vec<mc_domain::TaskStatus>) -> Option<Self> {
        (!statuses.is_empty()).then_some(TaskFilter(statuses))
    }

    pub fn statuses(&self) -> &[mc_domain::TaskStatus] {
        &self.0
    }
}

impl TryFrom<String> for TaskFilter {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, String> {
        let statuses = stored.split(',').map(mc_domain::TaskStatus::parse).collect::<Result<Vec<_>, _>>()?;
        TaskFilter::of(statuses).ok_or_else(|| "no status".to_string())
    }
}

impl From<TaskFilter> for String {
    fn from(filter: TaskFilter) -> String {
        filter.0.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// The right a Dismiss button stored before it named one needs: both questions that had one
/// (pause the squad, quarantine an agent) need an operator.
fn dismiss_needs_before() -> mc_domain::Right {
    mc_domain::Right::ControlAgents
}

impl ButtonAction {
    /// The short name stored in `callback_actions.action`.
    pub fn name(&self) -> &'static str {
        match self {
            ButtonAction::Approve { .. } => "approve",
            ButtonAction::Deny { .. } => "deny",
            ButtonAction::ApproveFor { .. } => "approve_for",
            ButtonAction::DenyNow { .. } => "deny_now",
            ButtonAction::AnswerQuestion { .. } => "answer_question",
            ButtonAction::PickQuestionOption { .. } => "pick_question_option",
            ButtonAction::SubmitQuestion { .. } => "submit_question",
            ButtonAction::RequestChanges { .. } => "request_changes",
            ButtonAction::RevokeGrant { .. } => "revoke_grant",
            ButtonAction::ResolveAlert { .. } => "resolve_alert",
            ButtonAction::RaiseCap { .. } => "raise_cap",
            ButtonAction::KeepPaused { .. } => "keep_paused",
            ButtonAction::QuarantineAgent { .. } => "quarantine_agent",
            ButtonAction::RaiseBudget { .. } => "raise_budget",
            ButtonAction::KeepBudgetPaused { .. } => "keep_budget_paused",
            ButtonAction::UnblockTask { .. } => "unblock_task",
            ButtonAction::ReassignTask { .. } => "reassign_task",
            ButtonAction::CancelTask { .. } => "cancel_task",
            ButtonAction::RestartAgent { .. } => "restart_agent",
            ButtonAction::MoveTask { .. } => "move_task",
            ButtonAction::AssignTask { .. } => "assign_task",
            ButtonAction::AssignTaskTo { .. } => "assign_task_to",
            ButtonAction::ConfirmPauseSquad { .. } => "confirm_pause_squad",
            ButtonAction::ConfirmQuarantine { .. } => "confirm_quarantine",
            ButtonAction::Dismiss { .. } => "dismiss",
            ButtonAction::Page { .. } => "page",
        }
    }

    /// One-shot actions can be used once; the rest stay valid (a second click on Approve is
    /// told who decided).
    pub fn one_shot(&self) -> bool {
        matches!(
            self,
            ButtonAction::ConfirmPauseSquad { .. } | ButtonAction::ConfirmQuarantine { .. } | ButtonAction::Dismiss { .. }
        )
    }
}

/// Stores the action and returns the token to put in `callback_data`.
pub async fn store(app: &App, action: &ButtonAction, chat_id: Option<i64>) -> AppResult<String> {
    let args = serde_json::to_value(action).expect("actions serialize");
    app.create_callback(action.name(), None, args, chat_id).await
}

/// The action behind a clicked token, if it exists.
pub async fn clicked(app: &App, token: &str) -> AppResult<Option<(ButtonAction, CallbackAction)>> {
    let Some(stored) = app.callback_action(token).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_value::<ButtonAction>(stored.args.clone())
        .ok()
        .map(|a| (a, stored)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_json() {
        let action = ButtonAction::ConfirmQuarantine {
            agent_id: Uuid::nil(),
            reason: Some("runaway".into()),
        };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["action"], "confirm_quarantine");
        assert_eq!(serde_json::from_value::<ButtonAction>(json).unwrap(), action);
        assert!(action.one_shot());
        assert!(!ButtonAction::Approve { approval_id: Uuid::nil() }.one_shot());
    }

    #[test]
    fn page_buttons_store_their_list_and_filter_as_before() {
        use mc_domain::TaskStatus;
        let stored = serde_json::json!({ "action": "page", "list": "tasks", "page": 2, "filter": "review,in_progress" });
        let page: ButtonAction = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(
            page,
            ButtonAction::Page {
                list: ListKind::Tasks,
                page: 2,
                filter: TaskFilter::of(vec![TaskStatus::Review, TaskStatus::InProgress]),
            }
        );
        assert_eq!(serde_json::to_value(&page).unwrap(), stored);
        let agents = serde_json::json!({ "action": "page", "list": "agents", "page": 1, "filter": null });
        assert!(serde_json::from_value::<ButtonAction>(agents).is_ok());
        for bad in [
            serde_json::json!({ "action": "page", "list": "frobs", "page": 1, "filter": null }),
            serde_json::json!({ "action": "page", "list": "tasks", "page": 1, "filter": "review,nope" }),
            serde_json::json!({ "action": "page", "list": "tasks", "page": 1, "filter": "" }),
        ] {
            assert!(serde_json::from_value::<ButtonAction>(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_dismiss_stored_before_it_named_a_right_needs_an_operator() {
        let old: ButtonAction = serde_json::from_value(serde_json::json!({ "action": "dismiss" })).unwrap();
        assert_eq!(
            old,
            ButtonAction::Dismiss {
                needs: mc_domain::Right::ControlAgents
            }
        );
        let new = ButtonAction::Dismiss {
            needs: mc_domain::Right::PauseSquad,
        };
        let json = serde_json::to_value(&new).unwrap();
        assert_eq!(json["needs"], "pause_squad");
        assert_eq!(serde_json::from_value::<ButtonAction>(json).unwrap(), new);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// A stored action that is not one reads as an error, never a panic.
            #[test]
            fn any_json_reads_as_an_action_or_an_error(text in "\\PC{0,120}") {
                let _ = serde_json::from_str::<ButtonAction>(&text);
            }

            #[test]
            fn actions_round_trip(bytes in any::<[u8; 16]>(), approve in any::<bool>()) {
                let approval_id = Uuid::from_bytes(bytes);
                let action = if approve { ButtonAction::Approve { approval_id } } else { ButtonAction::Deny { approval_id } };
                let stored = serde_json::to_string(&action).unwrap();
                prop_assert_eq!(serde_json::from_str::<ButtonAction>(&stored).unwrap(), action);
            }
        }
    }
}
