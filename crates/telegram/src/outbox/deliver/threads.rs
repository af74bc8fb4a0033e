//! Task threads: every task mirrored into its own thread of the project's chat.
//!
//! - In a forum, a task's thread is its topic, named `#12 🔨 Title` (≤ 128 characters); the
//!   first message is the task's card. In a plain group it is the card itself (the root
//!   message), and the task's updates reply to it.
//! - The first row about a task that finds no thread (its `TaskCreated`, or the
//!   `TaskThreadNeeded` that binding a forum queues for every open task) creates it:
//!   `createForumTopic`, then the card, each stored as soon as it exists so that a retry does not
//!   create it twice. For those two rows the card is the message.
//! - Every other row about the task is posted in its thread; the last row queued for the task
//!   then brings the thread up to date with the task as the database holds it now: the card is
//!   edited in place (never re-posted, unless it was deleted), the topic renamed when the status
//!   changed, closed when the task is done or canceled. A closed topic is reopened for a later
//!   row (and closed again).
//! - A topic Telegram no longer has (`message thread not found`) is recreated with a new card
//!   followed by the copies of the task's pending approvals and open alerts, one closed by a
//!   human (`TOPIC_CLOSED`) is reopened, and the row goes there: nothing is lost.
//! - In a forum, approval requests and alerts about a task stay in their system topic and a copy
//!   (with the same buttons) goes to the task's topic; a decision or resolution edits both.
//!
//! Every call goes through the limiter like any other (`Engine::call`).

use super::Stop;
use crate::outbox::destination::{place_of, Destination, Origin, Thread};
use crate::outbox::errors::Failure;
use crate::outbox::plan::Unit;
use crate::outbox::{Engine, Halt};
use crate::render;
use crate::render::card;
use crate::render::text::{split, MESSAGE_LIMIT};
use mc_core::app::delivery::{Queued, TaskThread, Undelivered, Via, TASK_ACTIVITY, TASK_ALERT, TASK_APPROVAL};
use mc_core::model::notice::Notice;
use mc_core::model::Task;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode, ReplyParameters, ThreadId};
use uuid::Uuid;

/// How often one delivery recreates or reopens a thread before it gives up on it.
const RECOVERIES: usize = 3;

/// A task's activity message takes more runs and comments for this long after it was posted
/// (while it has room); then the next burst starts a new one.
const ACTIVITY_PERIOD: chrono::Duration = chrono::Duration::minutes(10);

fn topic_not_modified(f: &Failure) -> bool {
    matches!(f, Failure::Permanent(d) if d.contains("TOPIC_NOT_MODIFIED"))
}

/// What a rendered card looks like, to skip edits that change nothing.
fn card_hash(r: &render::Rendered) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    r.text.hash(&mut h);
    for b in r.buttons.iter().flatten() {
        b.label.hash(&mut h);
        serde_json::to_string(&b.action).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

impl Engine {
    /// A row about a task (target `task`): its thread made or mended, the message posted there,
    /// and (for the last row queued for the task) the card, name and open state brought up to
    /// date. Returns the rows finished (one).
    pub(super) async fn task_row(&self, row: &Queued, notice: &Notice, dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        let Some(task_id) = row.task_id else {
            return Err(Stop::Failed(Failure::Permanent("a task row without a task".into())));
        };
        let asks_thread = matches!(notice, Notice::TaskThreadNeeded { .. });
        let task = match self.task(task_id).await? {
            // A finished (or archived) task needs no new thread just to be there.
            Some(task) if asks_thread && task.status.is_terminal() => return self.skip(row, "the task is finished").await,
            Some(task) => task,
            None if asks_thread => return self.skip(row, "the task is gone").await,
            // Gone (archived): nothing to mirror; say it where the chat is.
            None => return self.plain_task_message(row, notice, dest, halt).await,
        };
        let Some((thread, created)) = self.ensure_thread(&task, dest, halt).await? else {
            // No thread can be made here (the bot may not manage topics): the chat itself.
            if asks_thread {
                return self.skip(row, "no thread could be made for the task").await;
            }
            return self.plain_task_message(row, notice, dest, halt).await;
        };
        dest.thread = place_of(&thread);
        dest.origin = Origin::Task(task_id);
        let message_id = match notice {
            // The card is the message that says the task is there (also on a retry after the
            // thread was made).
            Notice::TaskCreated { .. } => thread.card_message_id,
            Notice::TaskThreadNeeded { .. } if created => thread.card_message_id,
            Notice::TaskThreadNeeded { .. } => return self.skip(row, "the task already has its thread").await,
            Notice::QuestionAsked { .. } | Notice::QuestionClosed { .. } | Notice::QuestionPicked { .. } => {
                self.open_thread(&task, dest, halt).await?;
                let (id, _) = self.question_message(row, notice, dest, halt).await?;
                Some(id)
            }
            _ => {
                self.open_thread(&task, dest, halt).await?;
                let mut text = render::notice(notice, dest.lang).text;
                if let Notice::TaskTransitioned { from, to, .. } = notice {
                    if let Some(details) = card::transition_details(&task, *from, *to, dest.lang) {
                        text.push('\n');
                        text.push_str(&details);
                    }
                }
                Some(self.send_once(row, dest, &text, halt).await?)
            }
        };
        if !self.later_rows(task_id, row.id).await? {
            self.sync_thread(task_id, dest, halt).await?;
        }
        self.delivered(&[row.id], dest, message_id, Via::Message, super::question_shown(notice))
            .await?;
        Ok(1)
    }

    /// A burst of runs and comments of one task (see `plan::FOLD_MIN`): folded into the task's
    /// activity message of this period in its thread — edited to show them too while it has
    /// room, else a new one. Every row stays in the database and the timeline; only the chat
    /// shows them together. Rows that do not fit go back for the next message.
    pub(super) async fn activity(&self, unit: &Unit, notices: &[Notice], dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        let head = &unit.rows[0];
        let Some(task_id) = head.task_id else {
            return Err(Stop::Failed(Failure::Permanent("a task row without a task".into())));
        };
        let thread = match self.task(task_id).await? {
            Some(task) => self.ensure_thread(&task, dest, halt).await?.map(|(t, _)| (task, t)),
            None => None,
        };
        let Some((task, thread)) = thread else {
            // No thread (archived task, no right to make topics): each row as before.
            if unit.rows.len() > 1 {
                let rest: Vec<i64> = unit.rows[1..].iter().map(|r| r.id).collect();
                self.delivery.release(&rest).await?;
            }
            return self.plain_task_message(head, &notices[0], dest, halt).await;
        };
        dest.thread = place_of(&thread);
        dest.origin = Origin::Task(task_id);
        self.open_thread(&task, dest, halt).await?;
        let lang = dest.lang;
        let topic = match dest.thread {
            Thread::Topic(t) => Some(t),
            _ => None,
        };
        let now = self.delivery.now();
        let current = self
            .delivery
            .message_of(TASK_ACTIVITY, task_id, dest.chat_id)
            .await?
            .filter(|m| m.topic_id == topic && now - m.created_at < ACTIVITY_PERIOD);
        let mut shown: Vec<String> = Vec::new();
        if let Some(m) = &current {
            for payload in self.delivery.folded_into(dest.chat_id, m.message_id).await? {
                if let Ok(n) = serde_json::from_value::<Notice>(payload) {
                    shown.push(render::notice(&n, lang).text);
                }
            }
        }
        let new: Vec<String> = notices.iter().map(|n| render::notice(n, lang).text).collect();
        // As many new lines as fit after what the message shows (or in a new message).
        let fits = |before: &[String], n: usize| {
            let lines: Vec<String> = before.iter().chain(&new[..n]).cloned().collect();
            render::text::visible_len(&render::activity(task.number, &lines, lang)) <= MESSAGE_LIMIT
        };
        let fitting = |before: &[String]| (1..=new.len()).take_while(|n| fits(before, *n)).last().unwrap_or(0);
        let (mut current, mut n) = (current, fitting(&shown));
        if n == 0 {
            current = None;
            shown.clear();
            n = fitting(&shown).max(1);
        }
        let (taken, rest) = unit.rows.split_at(n);
        if !rest.is_empty() {
            let ids: Vec<i64> = rest.iter().map(|r| r.id).collect();
            self.delivery.release(&ids).await?;
        }
        let ids: Vec<i64> = taken.iter().map(|r| r.id).collect();
        shown.extend(new.into_iter().take(n));
        let text = render::activity(task.number, &shown, lang);
        let edited = match &current {
            Some(m) => self
                .edit(dest.chat_id, m.message_id, &text, None, halt)
                .await?
                .then_some(m.message_id),
            None => None,
        };
        match edited {
            Some(id) => self.delivered(&ids, dest, Some(id), Via::Activity, None).await?,
            None => {
                let text = render::activity(task.number, &shown[shown.len() - n..], lang);
                let id = self.send(dest, &text, None, None, halt).await?;
                self.delivered(&ids, dest, Some(id), Via::Activity, Some((TASK_ACTIVITY, task_id)))
                    .await?;
            }
        }
        if !self.later_rows(task_id, taken[n - 1].id).await? {
            self.sync_thread(task_id, dest, halt).await?;
        }
        Ok(n)
    }

    /// In a forum, the copy of an approval request or alert about a task in the task's topic
    /// (made before the row's own message, and idempotent, so a retry does not repeat it).
    pub(super) async fn task_copy(&self, row: &Queued, notice: &Notice, dest: &Destination, halt: &Halt) -> Result<(), Stop> {
        let (Some(task_id), true) = (row.task_id, dest.forum) else {
            return Ok(());
        };
        let (kind, entity) = match notice {
            Notice::ApprovalRequested { approval_id, .. } | Notice::ApprovalDecided { approval_id, .. } => (TASK_APPROVAL, *approval_id),
            Notice::AlertRaised { alert_id, .. } | Notice::AlertResolved { alert_id, .. } => (TASK_ALERT, *alert_id),
            _ => return Ok(()),
        };
        let Some(task) = self.task(task_id).await? else { return Ok(()) };
        let known = self.delivery.message_of(kind, entity, dest.chat_id).await?;
        let adds = match notice {
            Notice::ApprovalRequested { .. } => known.is_none(),
            Notice::AlertRaised { repeat, .. } => known.is_none() || *repeat,
            _ => known.is_some(),
        };
        if !adds {
            return Ok(());
        }
        if task.status.is_terminal() && self.thread_of(task_id).await?.is_none() {
            return Ok(()); // a finished task gets no new thread for it
        }
        let mut tdest = dest.clone();
        let Some((thread, _)) = self.ensure_thread(&task, &mut tdest, halt).await? else {
            return Ok(());
        };
        tdest.thread = place_of(&thread);
        tdest.origin = Origin::Task(task_id);
        let lang = dest.lang;
        let (text, buttons) = match notice {
            Notice::ApprovalRequested { .. } => {
                let r = render::notice(notice, lang);
                (r.text, r.buttons)
            }
            Notice::ApprovalDecided { approval_id, .. } => {
                let request = self.latest(approval_id, "approval_requested").await?;
                (render::approval_decided(request.as_ref(), notice, lang), Vec::new())
            }
            Notice::AlertRaised { .. } => {
                let r = render::alert(notice, lang);
                (r.text, r.buttons)
            }
            Notice::AlertResolved { alert_id, .. } => {
                let raised = self.latest(alert_id, "alert_raised").await?;
                (render::alert_resolved(raised.as_ref(), notice, lang), Vec::new())
            }
            _ => return Ok(()),
        };
        let kb = self.keyboard(&buttons, dest.chat_id).await?;
        if let Some(m) = &known {
            if self.edit(dest.chat_id, m.message_id, &text, kb.clone(), halt).await? {
                return self.after_copy(&task, row, &mut tdest, halt).await;
            }
            self.delivery.forget_message(kind, entity, dest.chat_id).await?;
            if !matches!(notice, Notice::ApprovalRequested { .. } | Notice::AlertRaised { .. }) {
                return self.after_copy(&task, row, &mut tdest, halt).await;
            }
        }
        self.open_thread(&task, &mut tdest, halt).await?;
        let id = self.send(&mut tdest, &text, kb, None, halt).await?;
        {
            let topic = match tdest.thread {
                Thread::Topic(t) => Some(t),
                _ => None,
            };
            self.record("a copy", || self.delivery.remember_message(kind, entity, dest.chat_id, id, topic))
                .await?;
        }
        self.after_copy(&task, row, &mut tdest, halt).await
    }

    /// After a copy, the last row queued for the task brings its thread up to date: a task row
    /// just before it (the run or the hold that raised the alert) left that to it, and a finished
    /// task's topic, reopened for the copy, is closed again. (The card is edited only if it
    /// changed.)
    async fn after_copy(&self, task: &Task, row: &Queued, tdest: &mut Destination, halt: &Halt) -> Result<(), Stop> {
        if !self.later_rows(task.id, row.id).await? {
            self.sync_thread(task.id, tdest, halt).await?;
        }
        Ok(())
    }

    /// A topic of a task that Telegram refused while sending into it: reopened (closed by a
    /// human) or recreated with a new card (deleted), and `dest` pointed at it. False when
    /// that is not possible; the caller then falls back to General.
    pub(super) async fn task_topic_lost(&self, task_id: Uuid, dest: &mut Destination, deleted: bool, halt: &Halt) -> Result<bool, Stop> {
        let Thread::Topic(lost) = dest.thread else { return Ok(false) };
        let (Some(task), Some(thread)) = (self.task(task_id).await?, self.thread_of(task_id).await?) else {
            return Ok(false);
        };
        if thread.chat_id != dest.chat_id || !dest.forum {
            return Ok(false);
        }
        if thread.topic_id != Some(lost) {
            // Someone already replaced it.
            dest.thread = place_of(&thread);
            return Ok(matches!(dest.thread, Thread::Topic(_)));
        }
        tracing::info!(%task_id, topic = lost, deleted, "task topic is gone; mending it");
        if !deleted && self.set_topic_open(dest.chat_id, task_id, lost, true, halt).await? {
            return Ok(true);
        }
        let Some(topic) = self.new_topic(&task, dest, halt).await? else {
            return Ok(false);
        };
        dest.thread = Thread::Topic(topic);
        self.post_card(&task, dest, halt).await?;
        Ok(true)
    }

    // ---- threads ----

    async fn task(&self, task_id: Uuid) -> Result<Option<Task>, Stop> {
        Ok(self.delivery.task(task_id).await?)
    }

    async fn thread_of(&self, task_id: Uuid) -> Result<Option<TaskThread>, Stop> {
        Ok(self.delivery.task_thread(task_id).await?)
    }

    async fn later_rows(&self, task_id: Uuid, row_id: i64) -> Result<bool, Stop> {
        Ok(self.delivery.later_rows(task_id, row_id).await?)
    }

    async fn skip(&self, row: &Queued, why: &str) -> Result<usize, Stop> {
        self.delivery.undelivered(row.id, Undelivered::Skipped, why, false).await?;
        Ok(1)
    }

    /// The row as a message in the chat itself, as before task threads.
    async fn plain_task_message(&self, row: &Queued, notice: &Notice, dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        dest.thread = Thread::General;
        dest.origin = Origin::Given;
        if let Notice::QuestionAsked { .. } | Notice::QuestionClosed { .. } | Notice::QuestionPicked { .. } = notice {
            let (id, via) = self.question_message(row, notice, dest, halt).await?;
            self.delivered(&[row.id], dest, Some(id), via, super::question_shown(notice))
                .await?;
            return Ok(1);
        }
        let text = render::notice(notice, dest.lang).text;
        let id = self.send_once(row, dest, &text, halt).await?;
        self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
        Ok(1)
    }

    /// Sends a row's text once: what was sent before a failure later in the delivery is not sent
    /// again when the row is retried.
    async fn send_once(&self, row: &Queued, dest: &mut Destination, text: &str, halt: &Halt) -> Result<i32, Stop> {
        let parts = split(text, MESSAGE_LIMIT).len();
        if let Some(id) = row.telegram_message_id.filter(|_| row.parts_sent.max(0) as usize >= parts) {
            return Ok(id);
        }
        let id = self.send(dest, text, None, Some(row), halt).await?;
        if parts == 1 {
            self.record("a sent part", || self.delivery.part_sent(row.id, 1, id)).await?;
        }
        Ok(id)
    }

    /// The task's thread in the destination chat, made when there is none (or it is in another
    /// chat, or of the wrong kind for the chat); the card posted when it is missing. `true` when
    /// the thread was made now. `None` when no thread can be made.
    async fn ensure_thread(&self, task: &Task, dest: &mut Destination, halt: &Halt) -> Result<Option<(TaskThread, bool)>, Stop> {
        let existing = self
            .thread_of(task.id)
            .await?
            .filter(|t| t.chat_id == dest.chat_id && t.topic_id.is_some() == dest.forum);
        let created = match existing {
            Some(t) if t.card_message_id.is_some() => return Ok(Some((t, false))),
            Some(t) => {
                // A crash between the topic and its card.
                dest.thread = place_of(&t);
                dest.origin = Origin::Task(task.id);
                false
            }
            None if dest.forum => {
                let Some(topic) = self.new_topic(task, dest, halt).await? else {
                    return Ok(None);
                };
                dest.thread = Thread::Topic(topic);
                dest.origin = Origin::Task(task.id);
                true
            }
            None => {
                dest.thread = Thread::General;
                dest.origin = Origin::Task(task.id);
                true
            }
        };
        self.post_card(task, dest, halt).await?;
        Ok(self.thread_of(task.id).await?.map(|t| (t, created)))
    }

    /// createForumTopic for the task, stored at once (its card still to come). `None` when the
    /// chat will not have it (no forum, no right to manage topics).
    async fn new_topic(&self, task: &Task, dest: &Destination, halt: &Halt) -> Result<Option<i32>, Stop> {
        let name = card::topic_name(task.number, task.status, &task.title);
        let bot = self.bot.clone();
        let chat = dest.chat_id;
        let asked = name.clone();
        match self
            .call(chat, halt, move || bot.create_forum_topic(ChatId(chat), asked).send())
            .await
        {
            Ok(topic) => {
                let id = topic.thread_id.0 .0;
                self.record("a new topic", || self.delivery.set_thread_topic(task.id, chat, id, &name))
                    .await?;
                Ok(Some(id))
            }
            Err(Stop::Failed(Failure::Permanent(why))) => {
                tracing::warn!(chat, task = task.number, error = %why, "could not create a task topic");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Posts the task's card in its thread and stores it: in a forum into the topic (recreating
    /// or reopening a topic that is gone), in a plain group as the new root message.
    async fn post_card(&self, task: &Task, dest: &mut Destination, halt: &Halt) -> Result<i32, Stop> {
        let agents = self.agent_names(task.project_id).await?;
        let r = card::card(task, &agents, dest.lang);
        let hash = card_hash(&r);
        let link = self.cockpit_link(&format!("task_{}", task.number), dest.lang).await;
        let kb = self.keyboard_linked(&r.buttons, dest.chat_id, link).await?;
        for _ in 0..RECOVERIES {
            match self.send_plain(dest.chat_id, dest.thread, &r.text, kb.clone(), halt).await {
                Ok(id) => {
                    match dest.thread {
                        Thread::Topic(_) => self.record("a card", || self.delivery.set_thread_card(task.id, id)).await?,
                        _ => {
                            self.record("a card", || self.delivery.set_thread_root(task.id, dest.chat_id, id))
                                .await?;
                            dest.thread = Thread::ReplyTo(id);
                        }
                    }
                    self.cards().insert(task.id, (id, hash));
                    if let Thread::Topic(topic) = dest.thread {
                        self.repost_copies(task, dest, topic, halt).await?;
                    }
                    return Ok(id);
                }
                Err(Stop::Failed(Failure::TopicGone { deleted, .. })) => {
                    let Thread::Topic(lost) = dest.thread else {
                        return Err(Stop::Failed(Failure::Permanent("a thread outside a topic was refused".into())));
                    };
                    if !deleted && self.set_topic_open(dest.chat_id, task.id, lost, true, halt).await? {
                        continue;
                    }
                    let Some(topic) = self.new_topic(task, dest, halt).await? else {
                        return Err(Stop::Failed(Failure::Permanent(
                            "the task's topic is gone and cannot be made again".into(),
                        )));
                    };
                    dest.thread = Thread::Topic(topic);
                }
                Err(e) => return Err(e),
            }
        }
        Err(Stop::Failed(Failure::Transient("the task's topic keeps disappearing".into())))
    }

    /// After the card of a new topic of the task (the old one deleted): the copies of the task's
    /// approval requests still pending and alerts still open, which were in the old topic, posted
    /// again below it, buttons and all, and remembered there, so that a decision or resolution
    /// edits them. Nothing to do for a task's first topic.
    async fn repost_copies(&self, task: &Task, dest: &Destination, topic: i32, halt: &Halt) -> Result<(), Stop> {
        let copies = self.delivery.task_copies_elsewhere(dest.chat_id, task.id, topic).await?;
        for copy in copies {
            let (raised, buttons) = if copy.entity_kind == TASK_APPROVAL {
                let Some(request) = self.latest(&copy.entity_id, "approval_requested").await? else {
                    continue;
                };
                let r = render::notice(&request, dest.lang);
                (r.text, r.buttons)
            } else {
                let Some(raised) = self.latest(&copy.entity_id, "alert_raised").await? else {
                    continue;
                };
                let r = render::alert(&raised, dest.lang);
                (r.text, r.buttons)
            };
            let kb = self.keyboard(&buttons, dest.chat_id).await?;
            let id = match self.send_plain(dest.chat_id, Thread::Topic(topic), &raised, kb, halt).await {
                Ok(id) => id,
                // Gone again: the next row about the task mends it (and comes back here).
                Err(Stop::Failed(Failure::TopicGone { .. })) => return Ok(()),
                Err(e) => return Err(e),
            };
            self.delivery
                .remember_message(&copy.entity_kind, copy.entity_id, dest.chat_id, id, Some(topic))
                .await?;
        }
        Ok(())
    }

    /// One sendMessage into a thread, without falling back anywhere.
    async fn send_plain(&self, chat: i64, thread: Thread, text: &str, kb: Option<InlineKeyboardMarkup>, halt: &Halt) -> Result<i32, Stop> {
        let bot = self.bot.clone();
        let text = text.to_string();
        self.call(chat, halt, move || {
            let mut req = bot
                .send_message(ChatId(chat), text)
                .parse_mode(ParseMode::Html)
                .link_preview_options(super::no_preview());
            match thread {
                Thread::General => {}
                Thread::Topic(t) => req = req.message_thread_id(ThreadId(MessageId(t))),
                Thread::ReplyTo(m) => req = req.reply_parameters(ReplyParameters::new(MessageId(m)).allow_sending_without_reply()),
            }
            if let Some(kb) = kb {
                req = req.reply_markup(kb);
            }
            req.send()
        })
        .await
        .map(|m| m.id.0)
    }

    /// Before posting into a thread the database knows as closed: reopen it.
    async fn open_thread(&self, task: &Task, dest: &mut Destination, halt: &Halt) -> Result<(), Stop> {
        let Some(thread) = self.thread_of(task.id).await? else {
            return Ok(());
        };
        if !thread.closed || !dest.forum {
            return Ok(());
        }
        let Some(topic) = thread.topic_id else { return Ok(()) };
        if !self.set_topic_open(dest.chat_id, task.id, topic, true, halt).await? {
            // Gone: the send that follows recreates it.
            self.delivery.set_thread_closed(task.id, false).await?;
        }
        Ok(())
    }

    /// closeForumTopic / reopenForumTopic, and the state stored. False when the topic is gone.
    async fn set_topic_open(&self, chat: i64, task_id: Uuid, topic: i32, open: bool, halt: &Halt) -> Result<bool, Stop> {
        let bot = self.bot.clone();
        let thread = ThreadId(MessageId(topic));
        let done = self
            .call(chat, halt, move || async move {
                if open {
                    bot.reopen_forum_topic(ChatId(chat), thread).send().await
                } else {
                    bot.close_forum_topic(ChatId(chat), thread).send().await
                }
            })
            .await;
        match done {
            Ok(_) => {}
            Err(Stop::Failed(f)) if topic_not_modified(&f) => {}
            Err(Stop::Failed(Failure::TopicGone { .. })) => return Ok(false),
            Err(e) => return Err(e),
        }
        self.delivery.set_thread_closed(task_id, !open).await?;
        Ok(true)
    }

    /// Brings the thread up to date with the task now: the card edited (re-posted if deleted),
    /// the topic renamed, closed when the task is finished (reopened when it is not).
    async fn sync_thread(&self, task_id: Uuid, dest: &mut Destination, halt: &Halt) -> Result<(), Stop> {
        let (Some(task), Some(thread)) = (self.task(task_id).await?, self.thread_of(task_id).await?) else {
            return Ok(());
        };
        if thread.chat_id != dest.chat_id {
            return Ok(());
        }
        let mut tdest = dest.clone();
        tdest.thread = place_of(&thread);
        tdest.origin = Origin::Task(task_id);
        // The card.
        let agents = self.agent_names(task.project_id).await?;
        let r = card::card(&task, &agents, dest.lang);
        let hash = card_hash(&r);
        let shown = thread.card_message_id;
        let fresh = shown.is_some_and(|id| self.cards().get(&task_id) == Some(&(id, hash)));
        if !fresh {
            let edited = match shown {
                Some(id) => {
                    let link = self.cockpit_link(&format!("task_{}", task.number), dest.lang).await;
                    let kb = self.keyboard_linked(&r.buttons, dest.chat_id, link).await?;
                    self.edit(dest.chat_id, id, &r.text, kb, halt).await?
                }
                None => false,
            };
            if edited {
                self.cards().insert(task_id, (shown.unwrap_or_default(), hash));
            } else {
                if matches!(tdest.thread, Thread::ReplyTo(_)) {
                    // The root is gone: the new card is the new root.
                    tdest.thread = Thread::General;
                }
                self.post_card(&task, &mut tdest, halt).await?;
            }
        }
        // The topic's name and whether it is open.
        let Some(thread) = self.thread_of(task_id).await? else {
            return Ok(());
        };
        let Some(topic) = thread.topic_id.filter(|_| dest.forum) else {
            return Ok(());
        };
        let name = card::topic_name(task.number, task.status, &task.title);
        if thread.topic_name.as_deref() != Some(name.as_str()) {
            let bot = self.bot.clone();
            let chat = dest.chat_id;
            let asked = name.clone();
            let renamed = self
                .call(chat, halt, move || {
                    bot.edit_forum_topic(ChatId(chat), ThreadId(MessageId(topic))).name(asked).send()
                })
                .await;
            match renamed {
                Ok(_) => {}
                Err(Stop::Failed(f)) if topic_not_modified(&f) => {}
                Err(Stop::Failed(Failure::TopicGone { .. })) => {
                    // Gone: made again (with the new name and a card) when the task next speaks.
                    tracing::info!(%task_id, topic, "task topic is gone; it is made again on the next update");
                    self.delivery.task_topic_lost(task_id, topic, true).await?;
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
            self.delivery.set_thread_name(task_id, &name).await?;
        }
        let finished = task.status.is_terminal();
        if finished != thread.closed && !self.set_topic_open(dest.chat_id, task_id, topic, !finished, halt).await? && !finished {
            self.delivery.task_topic_lost(task_id, topic, true).await?;
        }
        Ok(())
    }

    async fn agent_names(&self, project_id: Uuid) -> Result<HashMap<Uuid, String>, Stop> {
        Ok(self.delivery.agent_names(project_id).await?)
    }
}
