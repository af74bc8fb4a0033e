//! Questions agents ask humans — the other half of human-in-the-loop next to approvals: an
//! approval is a yes/no on an action, a question asks for words or a choice. An agent asks
//! (only as itself, about a task of its own project or none), the chat shows the question in
//! the task's topic (General without a task), and the first operator's answer — a button, a
//! reply, the API — closes it; later answers are refused naming the first. The asking agent is
//! told through a notification, which also wakes its waiting call (`app::waits`), so a wait for
//! the answer ends the moment it is committed. An unanswered question expires
//! (`questions.expire_after`), and the agent and the chat are told.
//!
//! Every use case is one transaction: the change, its audit event, the agent's notification and
//! the chat's notice.

use super::guards::require_active_agent;
use super::tokens::Credential;
use super::waits::Watched;
use super::work::Work;
use super::{require, require_read, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::{Agent, Question, Task};
use crate::storage;
use crate::storage::questions::{Closing, NewQuestion};
use chrono::{DateTime, Utc};
use mc_domain::i18n::Msg;
use mc_domain::questions::{parse_answer, reply_choice, toggle_pick, Asked};
use mc_domain::{Actor, QuestionStatus, Right, WaitSeconds};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// What an agent asks.
#[derive(Debug, Clone, Default)]
pub struct AskQuestion {
    pub question: String,
    pub options: Option<Vec<String>>,
    pub multi_select: bool,
    pub task_id: Option<Uuid>,
}

/// What a person answers: text, chosen options, or both.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub text: Option<String>,
    pub options: Option<Vec<String>>,
}

/// A question's state as the asking agent reads it: open, or closed with its answer; and
/// whether the agent must stop (a wait also ends when the agent is paused meanwhile).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuestionAnswer {
    pub question_id: Uuid,
    /// `Q3`.
    pub code: String,
    pub status: QuestionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<GivenAnswer>,
    pub expires_at: DateTime<Utc>,
    pub stop: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer a person gave.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GivenAnswer {
    pub text: Option<String>,
    pub options: Option<Vec<String>>,
    /// Who answered.
    pub by: String,
    pub at: DateTime<Utc>,
}

impl QuestionAnswer {
    fn of(question: &Question, reason: Option<String>) -> Self {
        let answer = (question.status == QuestionStatus::Answered).then(|| GivenAnswer {
            text: question.answer_text.clone(),
            options: question.answer_options.clone(),
            by: question.answered_by_name.clone().unwrap_or_default(),
            at: question.answered_at.unwrap_or(question.created_at),
        });
        QuestionAnswer {
            question_id: question.id,
            code: question.code(),
            status: question.status,
            answer,
            expires_at: question.expires_at,
            stop: reason.is_some(),
            reason,
        }
    }
}

/// A question still waiting for its answer; a closed one says how it closed (the first answer
/// wins, and a later one is told whose it was).
fn still_pending(question: &Question, now: DateTime<Utc>) -> AppResult<()> {
    let at = mc_domain::i18n::time(question.answered_at.unwrap_or(question.expires_at));
    match question.status {
        QuestionStatus::Pending if question.expires_at > now => Ok(()),
        QuestionStatus::Answered => Err(AppError::conflict(
            "already_answered",
            Msg::new("err-question-answered")
                .with("code", question.code())
                .with("by", question.answered_by_name.as_deref().unwrap_or("someone"))
                .with("at", at)
                .with("answer", question.answer_line().unwrap_or_default()),
        )),
        status => {
            let status = if status == QuestionStatus::Pending {
                QuestionStatus::Expired
            } else {
                status
            };
            Err(AppError::conflict(
                "question_closed",
                Msg::new("err-question-closed")
                    .with("code", question.code())
                    .word("status", format!("question-status-{status}"))
                    .with("at", at),
            ))
        }
    }
}

/// Where a question's messages go: its task's thread, or General.
fn target_of(question: &Question) -> Target {
    question.task_id.map(Target::Task).unwrap_or(Target::General)
}

impl App {
    /// An agent asks the humans a question (only as itself; a task only of its project).
    pub async fn ask_question(&self, actor: &Actor, input: AskQuestion) -> AppResult<Question> {
        let Actor::Agent { .. } = actor else {
            return Err(AppError::forbidden(Msg::new("err-only-agents-ask")));
        };
        let asked = Asked::parse(&input.question, input.options.as_deref(), input.multi_select)?;
        super::retry_conflicts(|| self.ask_question_once(actor, &asked, input.task_id)).await
    }

    async fn ask_question_once(&self, actor: &Actor, asked: &Asked, task_id: Option<Uuid>) -> AppResult<Question> {
        let mut w = Work::begin(self, actor).await?;
        let agent = require_active_agent(&mut w).await?.expect("an agent asks");
        let task = match task_id {
            Some(id) => {
                let task = storage::tasks::by_id(w.conn(), id)
                    .await?
                    .ok_or_else(|| AppError::unknown_in("taskId", "task", id))?;
                if task.project_id != agent.project_id {
                    return Err(AppError::validation("taskId", Msg::new("err-task-other-project")));
                }
                Some(task)
            }
            None => None,
        };
        let question = self.insert_question(&mut w, &agent, asked, task.as_ref(), None).await?;
        w.commit().await?;
        Ok(question)
    }

    /// Puts one question to the humans inside `w`: its row, audit event and the chat's message
    /// (in `task`'s topic, General without one). `tool_call` ties it to a tool call's input and
    /// place in it (Claude Code's `AskUserQuestion`).
    pub(super) async fn insert_question(
        &self,
        w: &mut Work,
        agent: &Agent,
        asked: &Asked,
        task: Option<&Task>,
        tool_call: Option<(&str, i16)>,
    ) -> AppResult<Question> {
        let now = w.now;
        let task_id = task.map(|t| t.id);
        let number = storage::projects::next_question_number(w.conn(), agent.project_id).await?;
        let question = storage::questions::insert(
            w.conn(),
            &NewQuestion {
                project_id: agent.project_id,
                number,
                agent_id: agent.id,
                task_id,
                question: &asked.question,
                options: asked.options.as_deref(),
                multi_select: asked.multi_select,
                expires_at: now + self.rules.question_expiry,
                tool_call,
            },
            now,
        )
        .await?;
        w.audit(
            Some(agent.project_id),
            "question.asked",
            "question",
            question.id,
            json!({ "code": question.code(), "taskId": task_id, "options": question.options, "multiSelect": question.multi_select,
                    "tool": tool_call.map(|_| mc_domain::tool_questions::ASK_USER_QUESTION) }),
        )
        .await?;
        let notice = Notice::QuestionAsked {
            question_id: question.id,
            code: question.code(),
            agent: agent.name.clone(),
            task_number: task.map(|t| t.number),
            question: question.question.clone(),
            options: question.options.clone(),
            multi_select: question.multi_select,
            expires_at: question.expires_at,
        };
        w.post(agent.project_id, target_of(&question), &notice).await?;
        Ok(question)
    }

    /// A question: an agent reads only its own; operators and viewers read any.
    pub async fn get_question(&self, actor: &Actor, id: Uuid) -> AppResult<Question> {
        let mut conn = self.pool.acquire().await?;
        let question = storage::questions::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("question", id))?;
        require_read(actor, question.project_id)?;
        if actor.agent_id().is_some_and(|agent| agent != question.agent_id) {
            return Err(AppError::forbidden(Msg::new("err-own-questions-only")));
        }
        Ok(question)
    }

    /// The questions `ids`, in that order (as their asker reads them: a tool call's wait).
    pub(super) async fn questions_by_ids(&self, ids: &[Uuid]) -> AppResult<Vec<Question>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::questions::by_ids(&mut conn, ids).await?)
    }

    /// The question a message in a Telegram chat shows, if it shows one (a reply to it answers
    /// it).
    pub async fn question_of_message(&self, actor: &Actor, chat_id: i64, message_id: i32) -> AppResult<Option<Question>> {
        let mut conn = self.pool.acquire().await?;
        let question = storage::questions::of_message(&mut conn, chat_id, message_id).await?;
        if let Some(q) = &question {
            require_read(actor, q.project_id)?;
        }
        Ok(question)
    }

    /// The project's questions, newest first (an agent's: its own), at most 100.
    pub async fn list_questions(&self, actor: &Actor, project_id: Uuid, status: Option<QuestionStatus>) -> AppResult<Vec<Question>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        Ok(storage::questions::list(&mut conn, project_id, status, actor.agent_id(), 100).await?)
    }

    /// Where `questions` are shown in chat `chat_id`: each one's message and topic, for links.
    pub async fn question_messages(&self, actor: &Actor, chat_id: i64, questions: &[Question]) -> AppResult<Vec<(Uuid, i32, Option<i32>)>> {
        for q in questions {
            require_read(actor, q.project_id)?;
        }
        let ids: Vec<Uuid> = questions.iter().map(|q| q.id).collect();
        let mut conn = self.pool.acquire().await?;
        Ok(storage::telegram_messages::messages_of(&mut conn, storage::telegram_messages::QUESTION, &ids, chat_id).await?)
    }

    /// Asks, then waits up to `wait` for the answer.
    pub async fn ask_question_waiting(
        &self,
        actor: &Actor,
        input: AskQuestion,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<QuestionAnswer> {
        let question = self.ask_question(actor, input).await?;
        self.wait_for_answer(actor, question, wait, held).await
    }

    /// A question's state, waiting up to `wait` while it is open.
    pub async fn await_answer(&self, actor: &Actor, id: Uuid, wait: WaitSeconds, held: Option<Credential>) -> AppResult<QuestionAnswer> {
        let question = self.get_question(actor, id).await?;
        self.wait_for_answer(actor, question, wait, held).await
    }

    /// Ends at the answer, expiry or cancel (each notifies, and so wakes, the asking agent),
    /// when that agent is told to stop, or after `wait`.
    async fn wait_for_answer(
        &self,
        actor: &Actor,
        question: Question,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<QuestionAnswer> {
        let id = question.id;
        let watched = Watched {
            agent_id: question.agent_id,
            wait,
            held,
        };
        let (question, reason) = self
            .wait_while_open(actor, watched, question, |q| q.status.is_open(), || self.get_question(actor, id))
            .await?;
        Ok(QuestionAnswer::of(&question, reason))
    }

    /// A person answers: operators only (viewers read); the first answer wins, a later one is
    /// told whose it was. Options must be the question's own; a single-choice question takes one.
    pub async fn answer_question(&self, actor: &Actor, id: Uuid, answer: Answer) -> AppResult<Question> {
        let (w, question) = self.lock_to_answer(actor, id).await?;
        self.close_answered(w, question, answer).await
    }

    /// A person ticks or unticks option `option` (0-based) of a multi-select question; the
    /// question's message shows what is ticked so far (one edit), and Done answers with it.
    /// Operators only, while the question is open.
    pub async fn toggle_question_option(&self, actor: &Actor, id: Uuid, option: usize) -> AppResult<Question> {
        let (mut w, question) = self.lock_to_answer(actor, id).await?;
        let picked = toggle_pick(question.options.as_deref(), question.multi_select, &question.picked, option)?;
        let question = storage::questions::set_picked(w.conn(), id, &picked).await?;
        w.audit(
            Some(question.project_id),
            "question.picked",
            "question",
            question.id,
            json!({ "code": question.code(), "picked": question.picked }),
        )
        .await?;
        let notice = Notice::QuestionPicked {
            question_id: question.id,
            picked: question.picked.clone(),
        };
        w.post(question.project_id, target_of(&question), &notice).await?;
        w.commit().await?;
        Ok(question)
    }

    /// Done on a multi-select question: answers it with the options ticked so far (at least one).
    pub async fn submit_question_picks(&self, actor: &Actor, id: Uuid) -> AppResult<Question> {
        let (w, question) = self.lock_to_answer(actor, id).await?;
        if question.picked.is_empty() {
            return Err(AppError::validation("options", Msg::new("err-answer-pick-first")));
        }
        let answer = Answer {
            text: None,
            options: Some(question.picked.clone()),
        };
        self.close_answered(w, question, answer).await
    }

    /// The question locked for a person's answer: operators only, and only while it is open.
    async fn lock_to_answer(&self, actor: &Actor, id: Uuid) -> AppResult<(Work, Question)> {
        if let Actor::Agent { name, .. } = actor {
            return Err(AppError::forbidden(Msg::new("err-agent-cannot-answer").with("agent", name)));
        }
        require(actor, Right::AnswerQuestions)?;
        let mut w = Work::begin(self, actor).await?;
        let question = storage::questions::lock(w.conn(), id)
            .await?
            .ok_or_else(|| AppError::not_found("question", id))?;
        still_pending(&question, w.now)?;
        Ok((w, question))
    }

    /// Closes the locked, open `question` with a person's `answer` (checked against it).
    async fn close_answered(&self, mut w: Work, question: Question, answer: Answer) -> AppResult<Question> {
        let given = parse_answer(
            question.options.as_deref(),
            question.multi_select,
            answer.text.as_deref(),
            answer.options.as_deref(),
        )?;
        let actor = w.actor.clone();
        let closing = Closing {
            status: QuestionStatus::Answered,
            by: &actor,
            text: given.text.as_deref(),
            options: given.options.as_deref(),
        };
        let now = w.now;
        let answered = storage::questions::close(w.conn(), question.id, &closing, now).await?;
        self.after_close(&mut w, &answered).await?;
        w.commit().await?;
        Ok(answered)
    }

    /// A person's reply in the chat to a question's message: naming its options chooses them
    /// (`questions::reply_choice`), anything else is the answer's text.
    pub async fn answer_question_by_reply(&self, actor: &Actor, id: Uuid, reply: &str) -> AppResult<Question> {
        let question = self.get_question(actor, id).await?;
        let answer = match reply_choice(question.options.as_deref(), question.multi_select, reply) {
            Some(options) => Answer {
                text: None,
                options: Some(options),
            },
            None => Answer {
                text: Some(reply.to_string()),
                options: None,
            },
        };
        self.answer_question(actor, id, answer).await
    }

    /// The agent that asked withdraws its question.
    pub async fn cancel_question(&self, actor: &Actor, id: Uuid) -> AppResult<Question> {
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let question = storage::questions::lock(w.conn(), id)
            .await?
            .ok_or_else(|| AppError::not_found("question", id))?;
        require_read(actor, question.project_id)?;
        if actor.agent_id() != Some(question.agent_id) {
            return Err(AppError::forbidden(
                Msg::new("err-only-asker-cancels").with("code", question.code()),
            ));
        }
        still_pending(&question, now)?;
        let closing = Closing {
            status: QuestionStatus::Canceled,
            by: actor,
            text: None,
            options: None,
        };
        let canceled = storage::questions::close(w.conn(), id, &closing, now).await?;
        self.after_close(&mut w, &canceled).await?;
        w.commit().await?;
        Ok(canceled)
    }

    /// The audit event, the agent's notification (which wakes its waiting call) and the chat's
    /// notice (which edits the question's message) that follow any closing.
    async fn after_close(&self, w: &mut Work, closed: &Question) -> AppResult<()> {
        let by = closed.answered_by_name.clone().unwrap_or_default();
        let answer = closed.answer_line();
        w.audit(
            Some(closed.project_id),
            &format!("question.{}", closed.status),
            "question",
            closed.id,
            json!({ "code": closed.code(), "by": by, "text": closed.answer_text, "options": closed.answer_options }),
        )
        .await?;
        let body = match closed.status {
            QuestionStatus::Answered => format!("{} was answered by {by}: {}", closed.code(), answer.clone().unwrap_or_default()),
            status => format!("{} was {status}: nobody answers it any more", closed.code()),
        };
        w.notify(
            closed.agent_id,
            &format!("question_{}", closed.status),
            closed.task_id,
            body,
            json!({
                "questionId": closed.id,
                "status": closed.status,
                "text": closed.answer_text,
                "options": closed.answer_options,
                "by": by,
            }),
        )
        .await?;
        let agent = storage::agents::by_id(w.conn(), closed.agent_id)
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let notice = Notice::QuestionClosed {
            question_id: closed.id,
            code: closed.code(),
            agent,
            question: closed.question.clone(),
            status: closed.status,
            by,
            answer,
            at: closed.answered_at.unwrap_or(w.now),
        };
        w.post(closed.project_id, target_of(closed), &notice).await?;
        Ok(())
    }

    /// Expires the questions nobody answered in time, each in its own transaction (one that
    /// fails is logged and left for the next run). Returns those expired.
    pub async fn expire_questions(&self) -> AppResult<Vec<Question>> {
        let due = {
            let mut conn = self.pool.acquire().await?;
            storage::questions::expired_ids(&mut conn, self.now()).await?
        };
        Ok(super::each_alone(due, "expiring a question", |id| self.expire_question(id)).await)
    }

    /// Expires one question if it is still pending and past its expiry (an answer may have come
    /// first: the row is locked and checked again).
    async fn expire_question(&self, id: Uuid) -> AppResult<Option<Question>> {
        let system = Actor::system("question_expiry");
        let mut w = Work::begin(self, &system).await?;
        let now = w.now;
        let Some(question) = storage::questions::lock(w.conn(), id).await? else {
            return Ok(None);
        };
        if !question.status.is_open() || question.expires_at > now {
            return Ok(None);
        }
        let closing = Closing {
            status: QuestionStatus::Expired,
            by: &system,
            text: None,
            options: None,
        };
        let expired = storage::questions::close(w.conn(), id, &closing, now).await?;
        self.after_close(&mut w, &expired).await?;
        w.commit().await?;
        Ok(Some(expired))
    }
}
