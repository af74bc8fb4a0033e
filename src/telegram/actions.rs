//! What an inline button does. A button's `callback_data` is only a short token; the action and
//! its target are stored with it (`callback_actions`) by whoever renders the button, and read
//! back by the bot when someone clicks — whose rights are checked then.

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
    /// Any alert.
    ResolveAlert {
        alert_id: Uuid,
    },
    /// budget_exceeded: raise the daily cap (by half, at least $1), keep paused (resolve), quarantine.
    RaiseCap {
        alert_id: Uuid,
        agent_id: Uuid,
    },
    KeepPaused {
        alert_id: Uuid,
        agent_id: Uuid,
    },
    QuarantineAgent {
        alert_id: Option<Uuid>,
        agent_id: Uuid,
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
        to: crate::domain::TaskStatus,
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
        needs: crate::domain::Right,
    },
    /// Pagination of a long list: which list and which page.
    Page {
        list: String,
        page: u32,
        filter: Option<String>,
    },
}

/// The right a Dismiss button stored before it named one needs: both questions that had one
/// (pause the squad, quarantine an agent) need an operator.
fn dismiss_needs_before() -> crate::domain::Right {
    crate::domain::Right::ControlAgents
}

impl ButtonAction {
    /// The short name stored in `callback_actions.action`.
    pub fn name(&self) -> &'static str {
        match self {
            ButtonAction::Approve { .. } => "approve",
            ButtonAction::Deny { .. } => "deny",
            ButtonAction::ResolveAlert { .. } => "resolve_alert",
            ButtonAction::RaiseCap { .. } => "raise_cap",
            ButtonAction::KeepPaused { .. } => "keep_paused",
            ButtonAction::QuarantineAgent { .. } => "quarantine_agent",
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

impl crate::app::App {
    /// Stores the action and returns the token to put in `callback_data`.
    pub async fn button(&self, action: &ButtonAction, chat_id: Option<i64>) -> crate::app::AppResult<String> {
        let args = serde_json::to_value(action).expect("actions serialize");
        self.create_callback(action.name(), None, args, chat_id).await
    }

    /// The action behind a clicked token, if it exists.
    pub async fn button_action(&self, token: &str) -> crate::app::AppResult<Option<(ButtonAction, crate::app::chats::CallbackAction)>> {
        let Some(stored) = self.callback_action(token).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_value::<ButtonAction>(stored.args.clone())
            .ok()
            .map(|a| (a, stored)))
    }
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
    fn a_dismiss_stored_before_it_named_a_right_needs_an_operator() {
        let old: ButtonAction = serde_json::from_value(serde_json::json!({ "action": "dismiss" })).unwrap();
        assert_eq!(
            old,
            ButtonAction::Dismiss {
                needs: crate::domain::Right::ControlAgents
            }
        );
        let new = ButtonAction::Dismiss {
            needs: crate::domain::Right::PauseSquad,
        };
        let json = serde_json::to_value(&new).unwrap();
        assert_eq!(json["needs"], "pause_squad");
        assert_eq!(serde_json::from_value::<ButtonAction>(json).unwrap(), new);
    }
}
