//! The bot's side of task threads: what people write in a task's thread, and the buttons of a
//! task's card.
//!
//! - A plain message in a task's topic (in a plain group: a reply to anything in the task's
//!   thread) by a linked operator becomes a task comment by that operator (the core checks the
//!   right; the comment reaches the assignees with their next heartbeat and is not echoed back).
//!   Editing that message edits the comment. Anyone else gets a short hint and nothing is stored.
//!   Messages in General (and in the system topics) belong to no task.
//! - Card buttons: move the task (asking first for what the move needs: a reason to block or
//!   cancel, a work plan to start, a deliverable for review), assign it (choosing an agent).

use super::command::Command;
use super::request::{chat_info, thread_of, Button, CmdError, Req};
use super::BotState;
use crate::actions::ButtonAction;
use crate::render::{self, plain};
use mc_core::app::cards::CardMove;
use mc_core::app::tasks::TransitionTask;
use mc_core::app::{App, AppError, AppResult};
use mc_domain::i18n::text;
use mc_domain::i18n::Msg;
use mc_domain::task_state::MoveInput;
use mc_domain::*;
use teloxide::types::{Message, User};
use uuid::Uuid;

/// The task whose thread a message was written in, if any.
pub(crate) async fn task_of(app: &App, msg: &Message) -> AppResult<Option<Uuid>> {
    let chat = msg.chat.id.0;
    if chat_info(&msg.chat).is_forum {
        // In a topic every message "replies" to the topic's first message; General has no thread.
        match thread_of(msg) {
            Some(topic) => app.task_for_topic(chat, topic).await,
            None => Ok(None),
        }
    } else {
        match msg.reply_to_message() {
            Some(replied) => app.task_for_message(chat, replied.id.0).await,
            None => Ok(None),
        }
    }
}

/// A plain message in a task's thread: a comment by a linked operator, else a hint.
pub(crate) async fn comment(app: App, state: &BotState, msg: &Message, user: &User, body: &str) -> AppResult<()> {
    let Some(task_id) = task_of(&app, msg).await? else {
        return Ok(());
    };
    let req = Req::new(app, state.default_lang, &msg.chat, thread_of(msg), user).await?;
    let Some(actor) = req.actor.clone() else {
        let why = Msg::new("err-not-operator").to_string();
        return req.refuse_stranger("task comment", "bot-thread-not-operator", &why).await;
    };
    match req.app.comment_on_task(&actor, task_id, body, Some((req.chat_id, msg.id.0))).await {
        Ok(_) => Ok(()),
        Err(err) if err.is_duplicate_update() => Ok(()),
        Err(AppError::Forbidden(why)) => req.refuse("task comment", &why).await,
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(err) => req.say(render::error(req.lang, &err)).await,
    }
}

/// An edited message: if it became a comment, the comment follows (its author only).
pub(crate) async fn edited(app: App, msg: &Message, user: &User, body: &str) -> AppResult<()> {
    let user_id = i64::try_from(user.id.0).unwrap_or(i64::MAX);
    let Some(actor) = app.operator_for_telegram(user_id).await? else {
        return Ok(());
    };
    match app.edit_comment_from_telegram(&actor, msg.chat.id.0, msg.id.0, body).await {
        Ok(_) => Ok(()),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(err) => {
            // Not the author, a viewer, an empty text: the comment stays as it was.
            tracing::debug!(error = %err, "telegram: an edit did not change a comment");
            Ok(())
        }
    }
}

/// A card's move button: moves the task, or first asks for what the move needs.
pub(crate) async fn move_button(req: &Req, actor: &Actor, task_id: Uuid, to: TaskStatus) -> AppResult<String> {
    match req.app.move_from_card(actor, task_id, to, req.asked_in()).await? {
        CardMove::Asked { input, task } => {
            let number = plain(&task.number.to_string());
            req.say(req.ta(
                &format!("bot-card-ask-{}", input.as_str()),
                &[("name", text(&req.user_name)), ("number", number.clone())],
            ))
            .await?;
            Ok(req.ta("bot-toast-card-ask", &[("number", number)]))
        }
        CardMove::Moved(outcome) => Ok(status_toast(req, outcome.task.number, outcome.task.status)),
    }
}

/// The answer to a card's question: the move it was for.
pub(crate) async fn move_with_input(req: &Req, input: MoveInput, task_id: Uuid, answer: &str) -> AppResult<()> {
    let Some(actor) = req.actor.clone() else {
        return req.refuse("move", &Msg::new("err-not-operator")).await;
    };
    let mut transition = TransitionTask {
        to: Some(input.target()),
        ..Default::default()
    };
    match input {
        MoveInput::BlockReason | MoveInput::CancelReason => transition.reason = Some(answer.into()),
        MoveInput::WorkPlan => transition.work_plan = Some(bullets(answer)),
        MoveInput::Deliverable => transition.deliverable = Some(answer.to_string()),
    }
    // The task's thread shows the move (the core's notice); only a refusal is answered here.
    match req.app.transition_task(&actor, task_id, transition).await {
        Ok(_) => Ok(()),
        Err(err) => req.report(Command::Move, CmdError::App(err)).await,
    }
}

/// A work plan typed as lines, with or without bullet marks.
fn bullets(answer: &str) -> Vec<String> {
    answer
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['-', '*', '•', '·'])
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches(['.', ')'])
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// A card's Assign button: the agents that may take the task, as buttons.
pub(crate) async fn assign_button(req: &Req, actor: &Actor, task_id: Uuid) -> AppResult<String> {
    let (task, agents) = req.app.assignment_choices(actor, task_id).await?;
    let choices: Vec<Button> = agents
        .iter()
        .take(12)
        .map(|a| (a.name.clone(), ButtonAction::AssignTaskTo { task_id, agent_id: a.id }))
        .collect();
    let number = plain(&task.number.to_string());
    req.say_with(
        req.ta("bot-card-assign", &[("number", number.clone()), ("title", text(&task.title))]),
        choices.chunks(3).map(<[Button]>::to_vec).collect(),
    )
    .await?;
    Ok(req.ta("bot-toast-card-assign", &[("number", number)]))
}

/// An agent chosen under the Assign question.
pub(crate) async fn assign_to(req: &Req, actor: &Actor, task_id: Uuid, agent_id: Uuid) -> AppResult<String> {
    let task = req.app.assign_task(actor, task_id, vec![agent_id]).await?;
    Ok(status_toast(req, task.number, task.status))
}

fn status_toast(req: &Req, number: i32, status: TaskStatus) -> String {
    req.ta(
        "bot-toast-task-status",
        &[
            ("number", plain(&number.to_string())),
            ("status", plain(&render::task_status(req.lang, status))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_plans_are_read_from_lines_with_or_without_marks() {
        assert_eq!(
            bullets("- Outline\n* Draft\n\n• Edit it\n1. Publish\n2) Share"),
            ["Outline", "Draft", "Edit it", "Publish", "Share"]
        );
    }
}
