//! Where a row goes: the project's ops chat (in the matching system topic of a forum), a task's
//! thread, or the chat a reply names; and what to do when Telegram says a topic is gone.

use mc_core::app::delivery::{Delivery, Queued, SystemTopic, TaskThread};
use mc_core::app::AppResult;
use mc_core::model::notice::Notice;
use mc_domain::i18n::Lang;
use uuid::Uuid;

/// Where in the chat a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// The chat itself (a forum's General topic).
    General,
    /// A forum topic (`message_thread_id`).
    Topic(i32),
    /// In a plain group, a reply to a task's root message.
    ReplyTo(i32),
}

/// Whose the thread is, for when Telegram refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A system topic of the project's chat (`approvals`, `alerts`, `standup`).
    System { project_id: Uuid, which: SystemTopic },
    /// A task's own thread.
    Task(Uuid),
    /// Whatever the row named (a reply's thread), or the chat itself.
    Given,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub chat_id: i64,
    pub lang: Lang,
    pub forum: bool,
    pub thread: Thread,
    pub origin: Origin,
}

/// Resolves a row's destination now (bindings and threads may have changed since it was
/// written). `None`: the project has no chat, so the row has nowhere to go.
pub async fn resolve(delivery: &Delivery, row: &Queued, notice: Option<&Notice>, default_lang: Lang) -> AppResult<Option<Destination>> {
    let binding = match row.project_id {
        Some(project_id) => delivery.binding(project_id).await?,
        None => None,
    };
    let (chat_id, thread, origin) = match row.target.as_str() {
        "chat" => {
            let Some(chat) = row.chat_id else { return Ok(None) };
            let thread = match notice {
                Some(Notice::Reply { thread_id: Some(t), .. } | Notice::ReplyWithChart { thread_id: Some(t), .. }) => Thread::Topic(*t),
                _ => Thread::General,
            };
            (chat, thread, Origin::Given)
        }
        "task" => {
            // The project's chat, in the task's thread there if it has one (the dispatcher makes
            // one when it has none, see `super::threads`).
            let (Some(b), Some(task_id)) = (&binding, row.task_id) else {
                return Ok(None);
            };
            let thread = delivery.task_thread(task_id).await?;
            let place = thread
                .filter(|t| !t.closed && t.chat_id == b.chat_id)
                .map_or(Thread::General, |t| place_of(&t));
            (b.chat_id, place, Origin::Task(task_id))
        }
        target => {
            let Some(b) = &binding else { return Ok(None) };
            // In a plain group, an approval or alert about a task replies to the task's card (in
            // a forum it stays in its system topic, and a copy goes to the task's topic).
            if let Some(task_id) = row.task_id.filter(|_| matches!(target, "approvals" | "alerts")) {
                let thread = delivery.task_thread(task_id).await?;
                if let Some(t) = thread.filter(|t| t.chat_id == b.chat_id && t.topic_id.is_none()) {
                    let place = place_of(&t);
                    return finish(delivery, b.chat_id, place, Origin::Given, default_lang).await;
                }
            }
            let which = SystemTopic::of_target(target);
            match (which, which.and_then(|w| w.in_binding(b))) {
                (Some(which), Some(topic)) => (
                    b.chat_id,
                    Thread::Topic(topic),
                    Origin::System {
                        project_id: b.project_id,
                        which,
                    },
                ),
                _ => (b.chat_id, Thread::General, Origin::Given),
            }
        }
    };
    finish(delivery, chat_id, thread, origin, default_lang).await
}

/// Where a task's thread puts its messages.
pub fn place_of(t: &TaskThread) -> Thread {
    match (t.topic_id, t.root_message_id) {
        (Some(topic), _) => Thread::Topic(topic),
        (None, Some(root)) => Thread::ReplyTo(root),
        (None, None) => Thread::General,
    }
}

async fn finish(delivery: &Delivery, chat_id: i64, thread: Thread, origin: Origin, default_lang: Lang) -> AppResult<Option<Destination>> {
    let chat = delivery.chat(chat_id).await?;
    let forum = chat.as_ref().is_some_and(|c| c.is_forum);
    let lang = chat.as_ref().and_then(|c| Lang::parse(&c.lang)).unwrap_or(default_lang);
    // A topic id means nothing outside a forum (the chat may have been converted back).
    let thread = match thread {
        Thread::Topic(_) if !forum && matches!(origin, Origin::System { .. } | Origin::Task(_)) => Thread::General,
        t => t,
    };
    Ok(Some(Destination {
        chat_id,
        lang,
        forum,
        thread,
        origin,
    }))
}

/// Telegram refused the thread (deleted, or closed by a human). A system topic is forgotten, so
/// the project's messages of that kind go to General from now on (binding the chat again
/// recreates it); a task topic goes through [`task_topic_lost`]. The caller then posts to General.
pub async fn thread_lost(delivery: &Delivery, dest: &Destination, deleted: bool) -> AppResult<()> {
    match (dest.origin, dest.thread) {
        (Origin::System { project_id, which }, Thread::Topic(topic)) => {
            delivery.clear_system_topic(project_id, which, topic).await?;
            tracing::warn!(
                chat = dest.chat_id,
                topic,
                which = which.as_str(),
                deleted,
                "system topic is gone; posting to General"
            );
        }
        (Origin::Task(task_id), Thread::Topic(topic)) => task_topic_lost(delivery, task_id, topic, deleted).await?,
        _ => {}
    }
    Ok(())
}

/// A task topic Telegram no longer accepts, when the dispatcher could not recreate or reopen it
/// (`super::threads` does that first): the thread is forgotten (deleted) or marked closed, so
/// the message goes to General and the next row about the task makes a new thread.
pub async fn task_topic_lost(delivery: &Delivery, task_id: Uuid, topic: i32, deleted: bool) -> AppResult<()> {
    tracing::warn!(%task_id, topic, deleted, "task topic is gone; posting to General");
    delivery.task_topic_lost(task_id, topic, deleted).await
}
