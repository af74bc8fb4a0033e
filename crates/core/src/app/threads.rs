//! Task threads, the core's side. Every task is mirrored into its own thread of the project's
//! chat (a forum topic, or in a plain group replies to its card); the outbox dispatcher creates
//! and keeps them (`mc_telegram::outbox`). The core only asks: binding a forum asks for a
//! thread for every open task, as outbox rows, so that the dispatcher paces them like any
//! other call. And it answers which task a message of the chat belongs to.

use super::work::Work;
use super::{App, AppResult};
use crate::model::notice::{Notice, Target};
use crate::storage;
use uuid::Uuid;

/// Queues a `TaskThreadNeeded` for every open task of the project, newest first (the rows go
/// out in that order: the work people touched last gets its thread first); returns how many.
pub(crate) async fn request_threads(w: &mut Work, project_id: Uuid) -> AppResult<usize> {
    let tasks = storage::threads::open_tasks(w.conn(), project_id).await?;
    for task in &tasks {
        w.post(
            project_id,
            Target::Task(task.id),
            &Notice::TaskThreadNeeded {
                task_id: task.id,
                number: task.number,
                title: task.title.clone(),
            },
        )
        .await?;
    }
    Ok(tasks.len())
}

impl App {
    /// The task a message of a plain group belongs to when someone replies to it: the task's
    /// card (its root message) or anything the bot posted in the task's thread.
    pub async fn task_for_message(&self, chat_id: i64, message_id: i32) -> AppResult<Option<Uuid>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::threads::task_for_message(&mut conn, chat_id, message_id).await?)
    }
}
