//! One use case = one transaction. `Work` carries it, with the clock reading and the actor, and
//! writes the audit event, agent notifications and outbox rows alongside the change. An agent
//! told something is also woken on commit (`app::wake`): the one place wake-ups are sent from.

use super::error::{AppError, AppResult};
use super::App;
use crate::model::notice::{Notice, Target};
use crate::storage;
use chrono::{DateTime, Utc};
use mc_domain::Actor;
use sqlx::{PgConnection, Postgres, Transaction};
use std::sync::atomic::Ordering;
use uuid::Uuid;

pub(crate) struct Work {
    tx: Transaction<'static, Postgres>,
    pub now: DateTime<Utc>,
    pub actor: Actor,
    posted: bool,
    /// Agents to wake once this commits (their waiting calls answer at once).
    woken: Vec<Uuid>,
    update: Option<std::sync::Arc<super::UpdateClaim>>,
    /// This process's memory of valid tokens, told on commit when a token was created.
    live_tokens: std::sync::Arc<super::live_tokens::LiveTokens>,
    token_created: bool,
    /// The message a person's action is answered in, which the action's status notice becomes.
    fold: Option<Fold>,
    /// This handles a Telegram update: a person acting from the chat.
    from_chat: bool,
}

/// A message in the chat where a project's general notices land, answering a person's action
/// there: the first status notice the action posts to that project's general thread is shown
/// by editing this message ([`Notice::EditInto`]) instead of as a second message; if the action
/// posts none, the message becomes `otherwise`.
#[derive(Debug, Clone)]
pub struct Fold {
    pub project_id: Uuid,
    pub chat_id: i64,
    pub message_id: i32,
    /// Who answered and when, under the notice.
    pub footer: String,
    pub otherwise: String,
}

impl Work {
    pub async fn begin(app: &App, actor: &Actor) -> AppResult<Self> {
        let mut tx = app.pool.begin().await?;
        let now = app.clock.now();
        let from_chat = app.update.is_some();
        let update = app.update.clone().filter(|u| !u.claimed.load(Ordering::Acquire));
        if let Some(update) = &update {
            if !storage::updates::claim(&mut tx, update.id, now).await? {
                return Err(AppError::DuplicateUpdate { update: update.id });
            }
        }
        Ok(Work {
            tx,
            now,
            actor: actor.clone(),
            posted: false,
            woken: Vec::new(),
            update,
            live_tokens: app.live_tokens.clone(),
            token_created: false,
            fold: None,
            from_chat,
        })
    }

    /// Acts as someone else from here on (e.g. the system's budget hold inside an agent's run
    /// report); returns who acted before.
    pub fn switch_actor(&mut self, actor: Actor) -> Actor {
        std::mem::replace(&mut self.actor, actor)
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn audit(
        &mut self,
        project_id: Option<Uuid>,
        action: &str,
        entity_kind: &str,
        entity_id: impl ToString,
        data: serde_json::Value,
    ) -> AppResult<()> {
        let event = storage::audit::NewEvent {
            project_id,
            occurred_at: self.now,
            actor_kind: self.actor.kind(),
            actor_id: self.actor.id(),
            actor_name: self.actor.name(),
            action,
            entity_kind,
            entity_id: &entity_id.to_string(),
            data: &data,
        };
        storage::audit::insert(&mut self.tx, &event).await?;
        Ok(())
    }

    /// Queues a notification the agent receives with its next heartbeat, and wakes the agent's
    /// waiting calls on commit.
    pub async fn notify(
        &mut self,
        agent_id: Uuid,
        kind: &str,
        task_id: Option<Uuid>,
        body: String,
        payload: serde_json::Value,
    ) -> AppResult<()> {
        storage::notifications::insert_for_each(&mut self.tx, &[agent_id], kind, task_id, &body, &payload, self.now).await?;
        self.wake(agent_id);
        Ok(())
    }

    /// The same notification (about no task) for each of `agents`, in one statement; each is
    /// woken on commit.
    pub async fn notify_each(&mut self, agents: &[Uuid], kind: &str, body: String, payload: serde_json::Value) -> AppResult<()> {
        if agents.is_empty() {
            return Ok(());
        }
        storage::notifications::insert_for_each(&mut self.tx, agents, kind, None, &body, &payload, self.now).await?;
        self.woken.extend_from_slice(agents);
        Ok(())
    }

    /// Wakes the agent's waiting calls on commit, for a change it gets no notification of.
    pub fn wake(&mut self, agent_id: Uuid) {
        self.woken.push(agent_id);
    }

    /// Queues a message for the project's chat; the dispatcher delivers it after commit.
    pub async fn post(&mut self, project_id: Uuid, target: Target, notice: &Notice) -> AppResult<()> {
        self.post_to(Some(project_id), target, notice).await
    }

    /// Like `post`, for a message that may belong to no project (a reply in a private chat).
    pub async fn post_to(&mut self, project_id: Option<Uuid>, target: Target, notice: &Notice) -> AppResult<()> {
        let folds = |f: &Fold| target == Target::General && project_id == Some(f.project_id) && notice.is_status_change();
        if let Some(fold) = self.fold.take_if(|f| folds(f)) {
            let edit = Notice::EditInto {
                message_id: fold.message_id,
                notice: Box::new(notice.clone()),
                footer: fold.footer,
            };
            return Box::pin(self.post_to(project_id, Target::Chat(fold.chat_id), &edit)).await;
        }
        // A person's own task goes first when they act from the chat (an operator's script
        // creating tasks through the API is not waiting for an answer).
        let by_human = matches!(self.actor, Actor::Operator { .. }) && (self.from_chat || !matches!(target, Target::Task(_)));
        let class = notice.class(target, by_human);
        storage::outbox::insert(&mut self.tx, project_id, target, notice, class, self.now).await?;
        self.posted = true;
        Ok(())
    }

    /// Answers the person's action in `fold` (see [`Fold`]).
    pub fn fold_into(&mut self, fold: Fold) {
        self.fold = Some(fold);
    }

    /// A token was created: once this commits, this process's memory of valid tokens is read
    /// again at the next token it does not hold (`App::token_is_live`).
    pub fn token_created(&mut self) {
        self.token_created = true;
    }

    /// Outbox rows changed without a post (moved to another chat): wake the dispatcher on commit.
    pub fn wake_dispatcher(&mut self) {
        self.posted = true;
    }

    pub async fn commit(mut self) -> AppResult<()> {
        if let Some(fold) = self.fold.take() {
            let edit = Notice::EditReply {
                message_id: fold.message_id,
                text: fold.otherwise,
            };
            self.post_to(Some(fold.project_id), Target::Chat(fold.chat_id), &edit).await?;
        }
        if self.posted {
            // Delivered by Postgres only on commit: wakes the dispatcher without polling delay.
            storage::outbox::notify_dispatcher(&mut self.tx).await?;
        }
        // Also delivered only on commit, to the listener of every replica.
        self.woken.sort_unstable();
        self.woken.dedup();
        storage::wake::notify_agents(&mut self.tx, &self.woken).await?;
        self.tx.commit().await?;
        if let Some(update) = &self.update {
            update.claimed.store(true, Ordering::Release);
        }
        if self.token_created {
            self.live_tokens.forget();
        }
        Ok(())
    }
}
