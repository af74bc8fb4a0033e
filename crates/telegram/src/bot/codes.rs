//! Approval codes typed in a chat (`/approve A7`, `/deny A7 …`, `/edit A7 …`): which project's
//! approval a code means, and how a failure about it is said; task numbers (`/move 12 …`,
//! `/changes 12 …`) and how a move is said; and the operator a command runs as. Shared by the
//! commands, the permission layer's commands and the review commands.

use super::request::{CmdError, CmdResult, Req};
use crate::render::{self, plain};
use mc_core::app::queries::CodeTypedAt;
use mc_core::app::tasks::TransitionOutcome;
use mc_domain::i18n::text;
use mc_domain::Actor;

pub(super) fn actor(req: &Req) -> &Actor {
    req.actor.as_ref().expect("commands run for operators only")
}

/// A task's number as typed: `12` or `#12`.
pub(super) fn task_number(word: &str) -> Result<i32, CmdError> {
    word.trim_start_matches('#')
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(CmdError::Usage)
}

/// "#12 moved from review to in progress".
pub(super) async fn say_moved(req: &Req, outcome: &TransitionOutcome) -> CmdResult {
    req.say(req.ta(
        "bot-task-moved",
        &[
            ("number", plain(&outcome.task.number.to_string())),
            ("from", plain(&render::task_status(req.lang, outcome.transition.from_status))),
            ("to", plain(&render::task_status(req.lang, outcome.transition.to_status))),
        ],
    ))
    .await?;
    Ok(())
}

/// The project a code typed here means (`domain::approval_code`): the card's it replies to, or
/// the ops chat's inside its topics; in an ops chat switched to another project, neither.
async fn code_project(req: &Req) -> Result<mc_core::model::Project, CmdError> {
    let current = req.project()?.id;
    let at = CodeTypedAt {
        chat_id: req.chat_id,
        replied_to: req.replied_to,
        in_topic: req.thread.is_some(),
        bound: req.ctx.binding.as_ref().map(|b| b.project_id),
        current: Some(current),
    };
    Ok(req.app.project_for_approval_code(&at).await?)
}

/// The approval a typed code (`A7`) means, with its project (see [`code_project`]); not found
/// or the like is said naming the project.
pub(super) async fn approval_of_code(req: &Req, code: &str) -> Result<(mc_core::model::Project, mc_core::model::Approval), CmdError> {
    let project = code_project(req).await?;
    let approval = req
        .app
        .approval_by_code(actor(req), project.id, code)
        .await
        .map_err(|e| about_approval(req, &project, e))?;
    Ok((project, approval))
}

/// A failure about an approval of `project`, said naming the project (refusals stay refusals:
/// audited and answered as such).
pub(super) fn about_approval(req: &Req, project: &mc_core::model::Project, err: mc_core::app::AppError) -> CmdError {
    use mc_core::app::AppError;
    match err {
        AppError::NotFound { .. }
        | AppError::AlreadyDecided { .. }
        | AppError::Validation { .. }
        | AppError::Conflict {
            code: "approval_expired", ..
        } => CmdError::Say(req.ta(
            "bot-approval-about",
            &[("project", text(&project.name)), ("message", plain(&render::error(req.lang, &err)))],
        )),
        other => CmdError::App(other),
    }
}
