//! Approval codes typed in a chat (`/approve A7`, `/deny A7 …`, `/edit A7 …`): which project's
//! approval a code means, and how a failure about it is said; and the operator a command runs
//! as. Shared by the commands and the permission layer's commands.

use super::request::{CmdError, Req};
use crate::render::{self, plain};
use mc_core::app::queries::CodeTypedAt;
use mc_domain::i18n::text;
use mc_domain::Actor;

pub(super) fn actor(req: &Req) -> &Actor {
    req.actor.as_ref().expect("commands run for operators only")
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
