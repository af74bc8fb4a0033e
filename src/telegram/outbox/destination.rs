//! Where a row goes: the project's ops chat (in the matching system topic of a forum), a task's
//! thread, or the chat a reply names; and what to do when Telegram says a topic is gone.

use crate::app::notice::Notice;
use crate::i18n::Lang;
use crate::storage;
use crate::storage::outbox::Queued;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
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
    System { project_id: Uuid, which: &'static str },
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

fn system(target: &str) -> Option<&'static str> {
    match target {
        "approvals" => Some("approvals"),
        "alerts" => Some("alerts"),
        "standup" => Some("standup"),
        _ => None,
    }
}

/// Resolves a row's destination now (bindings and threads may have changed since it was
/// written). `None`: the project has no chat, so the row has nowhere to go.
pub async fn resolve(
    conn: &mut PgConnection,
    row: &Queued,
    notice: Option<&Notice>,
    default_lang: Lang,
) -> sqlx::Result<Option<Destination>> {
    let binding = match row.project_id {
        Some(project_id) => storage::chats::binding_for_project(conn, project_id).await?,
        None => None,
    };
    let (chat_id, thread, origin) = match row.target.as_str() {
        "chat" => {
            let Some(chat) = row.chat_id else { return Ok(None) };
            let thread = match notice {
                Some(Notice::Reply { thread_id: Some(t), .. }) => Thread::Topic(*t),
                _ => Thread::General,
            };
            (chat, thread, Origin::Given)
        }
        "task" => {
            let thread = match row.task_id {
                Some(task_id) => storage::telegram_messages::task_thread(conn, task_id).await?,
                None => None,
            };
            match (thread.filter(|t| !t.closed), &binding) {
                (Some(t), _) => {
                    let place = match (t.topic_id, t.root_message_id) {
                        (Some(topic), _) => Thread::Topic(topic),
                        (None, Some(root)) => Thread::ReplyTo(root),
                        (None, None) => Thread::General,
                    };
                    (t.chat_id, place, Origin::Task(t.task_id))
                }
                (None, Some(b)) => (b.chat_id, Thread::General, Origin::Given),
                (None, None) => return Ok(None),
            }
        }
        target => {
            let Some(b) = &binding else { return Ok(None) };
            let topic = match system(target) {
                Some("approvals") => b.approvals_topic_id,
                Some("alerts") => b.alerts_topic_id,
                Some("standup") => b.standup_topic_id,
                _ => None,
            };
            match (system(target), topic) {
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
    let chat = storage::chats::get(conn, chat_id).await?;
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
pub async fn thread_lost(conn: &mut PgConnection, dest: &Destination, deleted: bool, now: DateTime<Utc>) -> sqlx::Result<()> {
    match (dest.origin, dest.thread) {
        (Origin::System { project_id, which }, Thread::Topic(topic)) => {
            storage::outbox::clear_system_topic(conn, project_id, which, topic).await?;
            tracing::warn!(
                chat = dest.chat_id,
                topic,
                which,
                deleted,
                "system topic is gone; posting to General"
            );
        }
        (Origin::Task(task_id), Thread::Topic(topic)) => task_topic_lost(conn, task_id, topic, deleted, now).await?,
        _ => {}
    }
    Ok(())
}

/// The hook for a task topic Telegram no longer accepts. Today it forgets the thread (deleted)
/// or marks it closed, so the task's messages go to General; issue 5 (task topics) should
/// recreate the topic here instead.
pub async fn task_topic_lost(conn: &mut PgConnection, task_id: Uuid, topic: i32, deleted: bool, now: DateTime<Utc>) -> sqlx::Result<()> {
    tracing::warn!(%task_id, topic, deleted, "task topic is gone; posting to General");
    storage::telegram_messages::task_topic_lost(conn, task_id, topic, deleted, now).await
}
