//! A task's card (its message in the task's Telegram thread) offers moves and an assignment;
//! each click is one use case here. Moving and assigning from a card need an operator. A move
//! that needs something first (`domain::task_state::input_needed`: a reason, a work plan, a
//! deliverable) records what the clicker owes, to be answered with their next message there,
//! instead of moving; the assignment offers the agents that may take the task.

use super::chats::AskedIn;
use super::queries::AgentQuery;
use super::tasks::{TransitionOutcome, TransitionTask};
use super::{App, AppError, AppResult, PageRequest};
use crate::model::{Agent, Task};
use mc_domain::actor::{least_role_for, role_has};
use mc_domain::i18n::Msg;
use mc_domain::task_state::{input_needed, MoveInput};
use mc_domain::{Actor, AgentStatus, Right, TaskStatus};
use uuid::Uuid;

/// What a card's move button did.
#[derive(Debug, Clone)]
pub enum CardMove {
    Moved(TransitionOutcome),
    /// Nothing moved yet: the clicker owes `input` for `task`'s move.
    Asked {
        input: MoveInput,
        task: Task,
    },
}

/// Moving and assigning from a card: an operator's.
fn require_card_rights(actor: &Actor) -> AppResult<()> {
    match actor {
        Actor::Operator { role, .. } if role_has(*role, Right::ManageTasks) => Ok(()),
        _ => Err(AppError::forbidden(
            Msg::new("err-tasks-need-role").role("needed", least_role_for(Right::ManageTasks)),
        )),
    }
}

impl App {
    /// A card's move to `to`: made at once, or first asked for what it needs where the click
    /// was (`asked`).
    pub async fn move_from_card(&self, actor: &Actor, task_id: Uuid, to: TaskStatus, asked: AskedIn) -> AppResult<CardMove> {
        require_card_rights(actor)?;
        let task = self.get_task(actor, task_id).await?;
        if let Some(input) = input_needed(task.status, to, task.work_plan.len(), task.deliverable.is_some()) {
            self.expect_input(asked, input.as_str(), Some(task_id)).await?;
            return Ok(CardMove::Asked { input, task });
        }
        let input = TransitionTask {
            to: Some(to),
            ..Default::default()
        };
        Ok(CardMove::Moved(self.transition_task(actor, task_id, input).await?))
    }

    /// A card's Assign: the task and the agents that may take it (its type, and neither
    /// quarantined nor drained), in the project's order; a conflict when there is none.
    pub async fn assignment_choices(&self, actor: &Actor, task_id: Uuid) -> AppResult<(Task, Vec<Agent>)> {
        require_card_rights(actor)?;
        let task = self.get_task(actor, task_id).await?;
        let query = AgentQuery {
            page: PageRequest {
                limit: PageRequest::MAX_LIMIT,
                offset: 0,
            },
            ..Default::default()
        };
        let agents = self.list_agents(actor, task.project_id, query).await?;
        let choices: Vec<Agent> = agents
            .items
            .into_iter()
            .filter(|a| a.takes(task.task_type) && !matches!(a.status, AgentStatus::Quarantined | AgentStatus::Drained))
            .collect();
        if choices.is_empty() {
            return Err(AppError::conflict(
                "no_agent",
                Msg::new("err-no-agent-takes").with("type", task.task_type),
            ));
        }
        Ok((task, choices))
    }
}
