//! The outbox dispatcher's way into the database: a narrow interface of the core, so that the
//! Telegram adapter (`telegram::outbox`) never touches storage and never holds the pool.
//!
//! Why a separate handle and not the use cases of [`App`]: delivery is bookkeeping about rows the
//! use cases already wrote (claimed, sent part by part, delivered, rescheduled, given up), plus
//! the few lookups a renderer needs (where a row goes, the messages to edit, a task's thread and
//! card). None of it is a decision about the domain, and most of it must not write audit events
//! (one per Telegram call would drown the timeline). What does change the project's state — a
//! group upgraded to a supergroup moving its binding — is a use case with its audit event.
//!
//! The queue is read by traffic class ([`TrafficClass`]): [`Delivery::queued`] returns a chat's
//! rows class by class, so the planner hands out answers and approval cards before mirroring.
//! Rows left `sending` by a worker whose release failed are taken back by [`Delivery::reclaim`]
//! while the dispatcher runs (no restart needed).

use super::clock::Clock;
use super::error::AppResult;
use super::leadership::{Election, ElectionTiming, RoleHandle};
use super::App;
use crate::model::Task;
use crate::storage;
use chrono::{DateTime, Utc};
use mc_domain::{Actor, TrafficClass};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub use crate::storage::chats::{Binding, Chat};
pub use crate::storage::outbox::Queued;
pub use crate::storage::telegram_messages::{SentMessage, TaskThread, ALERT, APPROVAL, QUESTION, TASK_ACTIVITY, TASK_ALERT, TASK_APPROVAL};

/// What became of a row that was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// Telegram refused it for good, or it failed too often.
    Failed,
    /// It has nowhere to go (no bound chat, the message to edit is gone, the thread exists).
    Skipped,
}

impl Undelivered {
    fn as_str(self) -> &'static str {
        match self {
            Undelivered::Failed => "failed",
            Undelivered::Skipped => "skipped",
        }
    }
}

/// How rows reached the chat (`outbox.delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Its own message.
    Message,
    /// An edit of a message the bot sent before.
    Edit,
    /// One of several alerts in one digest message.
    Digest,
    /// A repeat folded into the edit of its alert's message.
    Coalesced,
    /// A run or comment folded into its task's activity message.
    Activity,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Message => "message",
            Via::Edit => "edit",
            Via::Digest => "digest",
            Via::Coalesced => "coalesced",
            Via::Activity => "activity",
        }
    }
}

/// A system topic of a project's forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTopic {
    Approvals,
    Alerts,
    Standup,
}

impl SystemTopic {
    pub const ALL: [SystemTopic; 3] = [SystemTopic::Approvals, SystemTopic::Alerts, SystemTopic::Standup];

    pub fn as_str(self) -> &'static str {
        match self {
            SystemTopic::Approvals => "approvals",
            SystemTopic::Alerts => "alerts",
            SystemTopic::Standup => "standup",
        }
    }

    /// The system topic an outbox target names, if any.
    pub fn of_target(target: &str) -> Option<Self> {
        match target {
            "approvals" => Some(SystemTopic::Approvals),
            "alerts" => Some(SystemTopic::Alerts),
            "standup" => Some(SystemTopic::Standup),
            _ => None,
        }
    }

    /// The binding's topic for it.
    pub fn in_binding(self, b: &Binding) -> Option<i32> {
        match self {
            SystemTopic::Approvals => b.approvals_topic_id,
            SystemTopic::Alerts => b.alerts_topic_id,
            SystemTopic::Standup => b.standup_topic_id,
        }
    }
}

/// The traffic class a row is delivered in (see [`Queued::class`]).
pub fn class_of(row: &Queued) -> TrafficClass {
    TrafficClass::from_i16(row.class)
}

/// The dispatcher's handle on the core. Cheap to clone.
/// What the dispatcher hears on the outbox channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Rows were committed to the outbox.
    Queued,
    /// Another process made a Bot API call bound to no chat (this one's are in its limiter
    /// already): the active dispatcher counts it in the global window.
    CallElsewhere,
    /// The connection was lost and made again: notifications may have been missed meanwhile.
    Reconnected,
}

/// LISTEN on the outbox channel ([`Delivery::listen`]).
#[derive(Debug)]
pub struct OutboxListener(PgListener);

impl OutboxListener {
    /// The next thing heard; an error when the connection failed and could not be made again.
    pub async fn next(&mut self) -> AppResult<Heard> {
        Ok(match self.0.try_recv().await? {
            Some(n) => match storage::telegram_calls::call_announced(n.payload()) {
                Some(by) if by != super::bot_calls::this_process() => Heard::CallElsewhere,
                _ => Heard::Queued,
            },
            None => Heard::Reconnected,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    app: App,
}

impl App {
    /// The outbox dispatcher's interface to the core.
    pub fn delivery(&self) -> Delivery {
        Delivery {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            app: self.clone(),
        }
    }
}

impl Delivery {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn conn(&self) -> AppResult<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    // ---- leadership and wake-ups ----

    /// The dispatcher's election (`app::leadership` takes the lock on a connection of its
    /// own, made like the pool's).
    pub fn election(&self, key: i64, handle: RoleHandle, timing: ElectionTiming) -> Election {
        Election::new(&self.pool, key, handle, timing)
    }

    /// A listener on the channel the core notifies on commit of outbox rows.
    pub async fn listen(&self) -> AppResult<OutboxListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(storage::outbox::CHANNEL).await?;
        Ok(OutboxListener(listener))
    }

    // ---- the queue ----

    /// Undelivered rows, class by class and oldest first per destination chat (see
    /// [`storage::outbox::queued`]).
    pub async fn queued(&self, per_chat: usize, limit: usize) -> AppResult<Vec<Queued>> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::queued(&mut conn, self.now(), per_chat.max(1) as i64, limit.max(1) as i64).await?)
    }

    /// Marks rows `sending`; returns the ids that were still pending.
    pub async fn claim(&self, ids: &[i64]) -> AppResult<Vec<i64>> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::claim(&mut conn, ids).await?)
    }

    /// Puts claimed rows back untouched.
    pub async fn release(&self, ids: &[i64]) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::release(&mut conn, ids).await?)
    }

    /// Rows left `sending` that no worker delivers (a release that failed with the database)
    /// go back to pending. The dispatcher calls it for chats it has no worker on.
    pub async fn reclaim(&self, ids: &[i64]) -> AppResult<()> {
        self.release(ids).await
    }

    /// Every row left `sending` (by a crashed predecessor) is pending again; returns how many.
    pub async fn reclaim_all(&self) -> AppResult<u64> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::reset_sending(&mut conn).await?)
    }

    /// The first `parts` parts of a long message were sent, the last as `message_id`.
    pub async fn part_sent(&self, id: i64, parts: i32, message_id: i32) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::part_sent(&mut conn, id, parts, message_id).await?)
    }

    /// Rows delivered to `chat` as (or into) `message_id`, and — together — the message
    /// remembered as the one showing `entity` (in `topic`), to edit it later.
    pub async fn delivered(
        &self,
        ids: &[i64],
        chat: i64,
        message_id: Option<i32>,
        via: Via,
        entity: Option<(&str, Uuid)>,
        topic: Option<i32>,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        storage::outbox::mark_delivered(&mut tx, ids, chat, message_id, via.as_str(), now).await?;
        if let (Some((kind, id)), Some(message_id)) = (entity, message_id) {
            storage::telegram_messages::record(&mut tx, kind, id, chat, message_id, topic, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Back to pending, due after `delay`; `count_attempt` for failures (not for a 429).
    pub async fn reschedule(&self, id: i64, delay: Duration, error: &str, count_attempt: bool) -> AppResult<()> {
        let mut conn = self.conn().await?;
        storage::outbox::reschedule(&mut conn, id, delay, error, count_attempt).await?;
        Ok(())
    }

    /// A row that will not be delivered, and why.
    pub async fn undelivered(&self, id: i64, outcome: Undelivered, why: &str, count_attempt: bool) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::finish_undelivered(&mut conn, id, outcome.as_str(), why, count_attempt).await?)
    }

    /// The payload of the latest row of `kind` about an approval or alert.
    pub async fn latest_payload(&self, kind: &str, entity: Uuid) -> AppResult<Option<serde_json::Value>> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::latest_payload(&mut conn, kind, entity).await?)
    }

    /// What a task's activity message (`message_id` in `chat`) shows so far: the payloads folded
    /// into it, oldest first.
    pub async fn folded_into(&self, chat: i64, message_id: i32) -> AppResult<Vec<serde_json::Value>> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::folded_into(&mut conn, chat, message_id).await?)
    }

    // ---- the messages the bot sent for entities ----

    pub async fn message_of(&self, kind: &str, entity: Uuid, chat: i64) -> AppResult<Option<SentMessage>> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::find(&mut conn, kind, entity, chat).await?)
    }

    /// Which of `entities` have a message of `kind` in `chat`.
    pub async fn known_messages(&self, kind: &str, entities: &[Uuid], chat: i64) -> AppResult<Vec<Uuid>> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::known(&mut conn, kind, entities, chat).await?)
    }

    pub async fn remember_message(&self, kind: &str, entity: Uuid, chat: i64, message_id: i32, topic: Option<i32>) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::record(&mut conn, kind, entity, chat, message_id, topic, self.now()).await?)
    }

    pub async fn forget_message(&self, kind: &str, entity: Uuid, chat: i64) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::forget(&mut conn, kind, entity, chat).await?)
    }

    /// Copies of a task's pending approvals and open alerts in `chat` outside `topic`.
    pub async fn task_copies_elsewhere(&self, chat: i64, task_id: Uuid, topic: i32) -> AppResult<Vec<SentMessage>> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::task_copies_elsewhere(&mut conn, chat, task_id, topic).await?)
    }

    // ---- chats and bindings ----

    pub async fn chat(&self, chat_id: i64) -> AppResult<Option<Chat>> {
        let mut conn = self.conn().await?;
        Ok(storage::chats::get(&mut conn, chat_id).await?)
    }

    pub async fn binding(&self, project_id: Uuid) -> AppResult<Option<Binding>> {
        let mut conn = self.conn().await?;
        Ok(storage::chats::binding_for_project(&mut conn, project_id).await?)
    }

    pub async fn set_system_topic(&self, project_id: Uuid, which: SystemTopic, topic: i32) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::chats::set_system_topic(&mut conn, project_id, which.as_str(), topic).await?)
    }

    /// A system topic Telegram no longer has: the project's messages of that kind go to General.
    pub async fn clear_system_topic(&self, project_id: Uuid, which: SystemTopic, topic: i32) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::outbox::clear_system_topic(&mut conn, project_id, which.as_str(), topic).await?)
    }

    /// Telegram says group `from` is now supergroup `to` (`migrate_to_chat_id`): see
    /// [`App::chat_migrated`].
    pub async fn chat_migrated(&self, from: i64, to: i64) -> AppResult<()> {
        self.app.chat_migrated(&Actor::system("outbox"), from, to).await
    }

    // ---- tasks and their threads ----

    pub async fn task(&self, task_id: Uuid) -> AppResult<Option<Task>> {
        let mut conn = self.conn().await?;
        Ok(storage::tasks::by_id(&mut conn, task_id).await?)
    }

    /// The names of the project's agents by id (for task cards).
    pub async fn agent_names(&self, project_id: Uuid) -> AppResult<HashMap<Uuid, String>> {
        let mut conn = self.conn().await?;
        let agents = storage::agents::all_in_project(&mut conn, project_id).await?;
        Ok(agents.into_iter().map(|a| (a.id, a.name)).collect())
    }

    pub async fn task_thread(&self, task_id: Uuid) -> AppResult<Option<TaskThread>> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::task_thread(&mut conn, task_id).await?)
    }

    /// Whether rows about the task after `row_id` are still to be delivered.
    pub async fn later_rows(&self, task_id: Uuid, row_id: i64) -> AppResult<bool> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::later_rows(&mut conn, task_id, row_id).await?)
    }

    pub async fn set_thread_topic(&self, task_id: Uuid, chat: i64, topic: i32, name: &str) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::set_topic(&mut conn, task_id, chat, topic, name, self.now()).await?)
    }

    pub async fn set_thread_card(&self, task_id: Uuid, message_id: i32) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::set_card(&mut conn, task_id, message_id, self.now()).await?)
    }

    pub async fn set_thread_root(&self, task_id: Uuid, chat: i64, message_id: i32) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::set_root(&mut conn, task_id, chat, message_id, self.now()).await?)
    }

    pub async fn set_thread_name(&self, task_id: Uuid, name: &str) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::set_topic_name(&mut conn, task_id, name, self.now()).await?)
    }

    pub async fn set_thread_closed(&self, task_id: Uuid, closed: bool) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::threads::set_closed(&mut conn, task_id, closed, self.now()).await?)
    }

    /// A task topic Telegram refused and that could not be mended: forgotten (`deleted`) or
    /// marked closed, so the next row about the task makes or reopens its thread.
    pub async fn task_topic_lost(&self, task_id: Uuid, topic: i32, deleted: bool) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_messages::task_topic_lost(&mut conn, task_id, topic, deleted, self.now()).await?)
    }

    // ---- Telegram's limits across restarts ----

    /// A Bot API call to `chat` was made (a successor counts it in its windows).
    pub async fn record_call(&self, chat: i64) -> AppResult<()> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_calls::record(&mut conn, chat, None).await?)
    }

    /// Calls made within `window`: (chat, age in milliseconds).
    pub async fn recent_calls(&self, window: Duration) -> AppResult<Vec<(i64, i64)>> {
        let mut conn = self.conn().await?;
        Ok(storage::telegram_calls::recent(&mut conn, window).await?)
    }
}
