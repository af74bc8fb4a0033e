//! Claude Code's `AskUserQuestion` through the bridge. An agent nobody sits beside cannot ask
//! its terminal: the questions its model asks become questions in the squad's chat (one per
//! question of the call, in the agent's task's topic), the call waits for their answers like
//! any question, and is then allowed with its input plus the answers Claude Code reads
//! (`mc_domain::tool_questions`). A wait that runs out denies with "still waiting for a human":
//! the questions stay open, the same call repeated finds them again, and their answers are
//! given to one call (`tool_used_at`, written with the call's decision). A question nobody
//! answered in time, or a stopped agent, denies the call.

use super::{recorded, stopped, Deciding, ToolAnswer};
use crate::app::guards::lock_project_then_agent;
use crate::app::tokens::Credential;
use crate::app::waits::Watched;
use crate::app::work::Work;
use crate::app::{retry_conflicts, App, AppError, AppResult};
use crate::model::Question;
use crate::storage;
use mc_domain::tool_questions::{answered_input, parse, ToolAnswerText, ToolQuestion};
use mc_domain::{Actor, QuestionStatus, ToolDecision};
use uuid::Uuid;

impl App {
    /// Decides an `AskUserQuestion` call by asking the humans (see the module's documentation).
    pub(super) async fn ask_tool_questions(&self, actor: &Actor, d: &Deciding<'_>, held: Option<Credential>) -> AppResult<ToolAnswer> {
        let asked = match parse(&d.req.input) {
            Ok(asked) => asked,
            Err(invalid) => {
                let why = AppError::from(invalid).to_string();
                return self.record(actor, d, ToolDecision::Denied, "policy", &why, None).await;
            }
        };
        let questions = retry_conflicts(|| self.open_tool_questions(actor, d, &asked)).await?;
        let ids: Vec<Uuid> = questions.iter().map(|q| q.id).collect();
        let watched = Watched {
            agent_id: d.agent.id,
            wait: self.rules.bridge.max_wait,
            held,
        };
        let unanswered = |qs: &Vec<Question>| {
            qs.iter().any(|q| q.status.is_open()) && qs.iter().all(|q| q.status.is_open() || q.status == QuestionStatus::Answered)
        };
        let (questions, stop) = self
            .wait_while_open(actor, watched, questions, unanswered, || self.questions_by_ids(&ids))
            .await?;
        if let Some(why) = stop {
            return self
                .record(actor, d, ToolDecision::Denied, "kill switch", &stopped(&why), None)
                .await;
        }
        let codes = questions.iter().map(Question::code).collect::<Vec<_>>().join(", ");
        if let Some(closed) = questions
            .iter()
            .find(|q| !q.status.is_open() && q.status != QuestionStatus::Answered)
        {
            let reason = format!(
                "{} {}: nobody answered; ask again if it is still needed",
                closed.code(),
                closed.status
            );
            return self
                .record_questions(actor, d, ToolDecision::Denied, "expiry", &reason, &ids, None)
                .await;
        }
        if questions.iter().any(|q| q.status.is_open()) {
            let reason = format!("still waiting for a human (questions {codes}) — do other work and try again");
            return self.record(actor, d, ToolDecision::Denied, "timeout", &reason, None).await;
        }
        let answers: Vec<ToolAnswerText> = questions
            .iter()
            .map(|q| ToolAnswerText::of(q.answer_options.as_deref(), q.answer_text.as_deref()))
            .collect();
        let mut by: Vec<String> = Vec::new();
        for name in questions.iter().filter_map(|q| q.answered_by_name.clone()) {
            if !by.contains(&name) {
                by.push(name);
            }
        }
        let by = by.join(", ");
        let reason = format!("answered by {by} ({codes})");
        let updated = answered_input(&d.req.input, &asked, &answers);
        self.record_questions(actor, d, ToolDecision::Allowed, &by, &reason, &ids, Some(updated))
            .await
    }

    /// The questions this call waits for: those an identical earlier call of the agent asked
    /// whose answers no call was given (unanswered, or answered since it gave up), or new ones
    /// — one per question of the call, in the agent's task's topic. Earlier ones that can no
    /// longer be answered (expired, withdrawn) are set aside and the call asks anew.
    async fn open_tool_questions(&self, actor: &Actor, d: &Deciding<'_>, asked: &[ToolQuestion]) -> AppResult<Vec<Question>> {
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let agent = lock_project_then_agent(&mut w, d.agent.id).await?;
        let known = storage::questions::lock_unused_of_call(w.conn(), agent.id, d.hash).await?;
        let usable = known.len() == asked.len()
            && known
                .iter()
                .all(|q| (q.status.is_open() && q.expires_at > now) || q.status == QuestionStatus::Answered);
        if usable {
            w.commit().await?;
            return Ok(known);
        }
        if !known.is_empty() {
            let ids: Vec<Uuid> = known.iter().map(|q| q.id).collect();
            storage::questions::mark_used(w.conn(), &ids, now).await?;
        }
        let task = match agent.current_task_id {
            Some(id) => storage::tasks::by_id(w.conn(), id).await?,
            None => None,
        };
        let mut questions = Vec::with_capacity(asked.len());
        for (index, question) in asked.iter().enumerate() {
            let place = i16::try_from(index).expect("at most four questions");
            questions.push(
                self.insert_question(&mut w, &agent, &question.asked, task.as_ref(), Some((d.hash, place)))
                    .await?,
            );
        }
        w.commit().await?;
        Ok(questions)
    }

    /// Records the decision with the questions whose answers it gave (or gave up on) marked as
    /// used, in the same transaction; an allowed call carries the answered input.
    #[allow(clippy::too_many_arguments)]
    async fn record_questions(
        &self,
        actor: &Actor,
        d: &Deciding<'_>,
        decision: ToolDecision,
        decided_by: &str,
        reason: &str,
        used: &[Uuid],
        updated_input: Option<serde_json::Value>,
    ) -> AppResult<ToolAnswer> {
        let (mut row, mut answer) = recorded(actor, d, decision, decided_by, reason, None, None);
        row.used_questions = used.to_vec();
        self.write_decisions(std::slice::from_ref(&row)).await?;
        answer.updated_input = updated_input;
        Ok(answer)
    }
}
