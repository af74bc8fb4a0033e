//! Request changes: a person reviewing a task sends it back to its agents with what to change.
//! The task goes from review to in progress (a review cycle, as any such move) and every
//! assignee gets the person's words as a `changes_requested` notification — which wakes a
//! waiting heartbeat and is what the agent reads next — in the same transaction as the move and
//! its audit event. From the chat: ✍️ on the card of a task in review (the clicker's next message
//! there is the text) or `/changes <task> <text>`.

use super::chats::AskedIn;
use super::tasks::{lock_task, TransitionOutcome, TransitionSpec};
use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::Task;
use mc_domain::i18n::{Msg, Said};
use mc_domain::values::Reason;
use mc_domain::{Actor, IdempotencyKey, Right, TaskStatus};
use serde_json::json;
use uuid::Uuid;

/// The pending input a ✍️ click leaves: the clicker's next message is the changes.
pub const CHANGES_REQUESTED: &str = "changes_requested";

/// Only people request changes (operators; an agent reviewing moves the task itself).
fn require_reviewer(actor: &Actor) -> AppResult<()> {
    match actor {
        Actor::Operator { .. } => require(actor, Right::ManageTasks),
        _ => Err(AppError::forbidden(
            Msg::new("err-tasks-need-role").role("needed", mc_domain::actor::least_role_for(Right::ManageTasks)),
        )),
    }
}

/// Changes are requested on a task in review.
fn in_review(task: &Task) -> AppResult<()> {
    match task.status {
        TaskStatus::Review => Ok(()),
        status => Err(AppError::conflict(
            "not_in_review",
            Msg::new("err-changes-not-in-review")
                .with("number", task.number)
                .task_status("status", status),
        )),
    }
}

impl App {
    /// ✍️ on a card: records that the clicker's next message in that chat and topic is what
    /// should change.
    pub async fn ask_changes(&self, actor: &Actor, task_id: Uuid, asked: AskedIn) -> AppResult<Task> {
        require_reviewer(actor)?;
        let task = self.get_task(actor, task_id).await?;
        in_review(&task)?;
        self.expect_input(asked, CHANGES_REQUESTED, Some(task_id)).await?;
        Ok(task)
    }

    /// Sends a task in review back to in progress with `text` for its assignees.
    pub async fn request_changes(&self, actor: &Actor, task_id: Uuid, text: &str) -> AppResult<TransitionOutcome> {
        require_reviewer(actor)?;
        let text = Reason::parse(text)
            .map_err(|e| AppError::validation("text", e.message))?
            .into_inner();
        let mut w = Work::begin(self, actor).await?;
        let task = lock_task(&mut w, task_id).await?;
        in_review(&task)?;
        let spec = TransitionSpec {
            to: TaskStatus::InProgress,
            reason: Some(Said::Typed(text.clone())),
            key: IdempotencyKey::generate(),
            work_plan: None,
            deliverable: None,
            budget_hold: false,
        };
        let outcome = self.transition_in(&mut w, task_id, spec).await?;
        let by = actor.name().to_string();
        let body = format!("{by} requested changes on task #{}: {text}", task.number);
        for agent in &task.assignee_ids {
            w.notify(
                *agent,
                CHANGES_REQUESTED,
                Some(task_id),
                body.clone(),
                json!({ "taskId": task_id, "number": task.number, "text": text, "by": by }),
            )
            .await?;
        }
        w.audit(
            Some(task.project_id),
            "task.changes_requested",
            "task",
            task_id,
            json!({ "number": task.number, "text": text, "assignees": task.assignee_ids }),
        )
        .await?;
        w.commit().await?;
        Ok(outcome)
    }
}
