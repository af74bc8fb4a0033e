//! Questions agents ask, from the chat's side: `/questions` lists the open ones with links to
//! their messages, and a reply to a question's message answers it (the button clicks are in
//! `buttons`). The answering itself — who may, the first answer wins — is `app::questions`.

use super::codes::actor;
use super::command::Command;
use super::request::{CmdError, CmdResult, Req};
use crate::render;
use mc_core::app::AppResult;
use mc_domain::i18n::Msg;
use mc_domain::QuestionStatus;
use uuid::Uuid;

/// Most questions `/questions` lists.
const SHOWN: usize = 20;

/// `/questions`: the project's open questions, oldest first, each with a link to its message.
pub(super) async fn list(req: &Req) -> CmdResult {
    let project = req.project()?;
    let mut open = req
        .app
        .list_questions(actor(req), project.id, Some(QuestionStatus::Pending))
        .await?;
    open.truncate(SHOWN);
    open.reverse();
    let shown = req.app.question_messages(actor(req), req.chat_id, &open).await?;
    let mut lines = Vec::with_capacity(open.len());
    for question in &open {
        let agent = req.app.get_agent(actor(req), question.agent_id).await?.name;
        let link = shown
            .iter()
            .find(|(id, _, _)| *id == question.id)
            .and_then(|(_, message, topic)| render::questions::message_link(req.chat_id, *topic, *message));
        lines.push(render::questions::list_line(req.lang, question, &agent, link.as_deref()));
    }
    req.say(render::questions::list(req.lang, &project.name, lines)).await?;
    Ok(())
}

/// A reply to a question's message: its text answers the question (naming an option chooses
/// it). Only operators answer; a refusal or a later answer is told to the replier.
pub(super) async fn answer_by_reply(req: &Req, question_id: Uuid, reply: &str) -> AppResult<()> {
    if req.actor.is_none() {
        return req.refuse("answer a question", &Msg::new("err-not-operator")).await;
    }
    match req.app.answer_question_by_reply(actor(req), question_id, reply).await {
        // The question's message, edited to show the answer, says it.
        Ok(_) => Ok(()),
        Err(err) => req.report(Command::Questions, CmdError::App(err)).await,
    }
}
