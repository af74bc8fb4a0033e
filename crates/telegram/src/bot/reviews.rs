//! Request changes from the chat: `/changes <task> <text>`, or ✍️ on the card of a task in
//! review followed by the clicker's next message (the click is in `buttons`). The core's
//! `request_changes` moves the task and tells its agents; the task's thread shows the move, so
//! in the project's own chat nothing else is said.

use super::codes::{actor, say_moved, task_number};
use super::command::{first_word, Command};
use super::request::{CmdError, CmdResult, Req};
use mc_core::app::AppResult;
use mc_domain::i18n::Msg;
use uuid::Uuid;

/// `/changes 12 the intro is too long`.
pub(super) async fn changes(req: &Req, args: &str) -> CmdResult {
    let (word, text) = first_word(args);
    if word.is_empty() || text.is_empty() {
        return Err(CmdError::Usage);
    }
    let number = task_number(word)?;
    let project = req.project()?;
    let task = req.app.task_by_number(actor(req), project.id, number).await?;
    let outcome = req.app.request_changes(actor(req), task.id, text).await?;
    if req.is_ops_chat_of(project.id) {
        return Ok(());
    }
    say_moved(req, &outcome).await
}

/// The message after ✍️: what should change in the task.
pub(crate) async fn changes_by_reply(req: &Req, task_id: Uuid, text: &str) -> AppResult<()> {
    if req.actor.is_none() {
        return req.refuse("request changes", &Msg::new("err-not-operator")).await;
    }
    match req.app.request_changes(actor(req), task_id, text).await {
        Ok(_) => Ok(()),
        Err(err) => req.report(Command::Changes, CmdError::App(err)).await,
    }
}
