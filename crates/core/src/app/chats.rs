//! The project's chats: binding a Telegram group to a project, each chat's language and default
//! project, the bot's replies, and the server-side meaning of inline buttons.

use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::Project;
use crate::storage;
pub use crate::storage::chats::CallbackAction;
use crate::storage::chats::{Binding, Chat, PendingInput};
use mc_domain::i18n::Lang;
use mc_domain::i18n::Msg;
use mc_domain::{traffic, Actor, Right};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::json;
use uuid::Uuid;

/// What a chat is set to: its language, the project its commands act on, and the project it
/// is the ops chat of (if any).
#[derive(Debug, Clone)]
pub struct ChatContext {
    pub chat: Chat,
    pub lang: Lang,
    pub project: Option<Project>,
    pub binding: Option<Binding>,
}

/// Where a person is asked for something they owe: the chat, the user, and the forum topic
/// (None outside topics).
#[derive(Debug, Clone, Copy)]
pub struct AskedIn {
    pub chat_id: i64,
    pub user_id: i64,
    pub thread_id: Option<i32>,
}

/// A chat as Telegram describes it.
#[derive(Debug, Clone)]
pub struct ChatInfo {
    pub chat_id: i64,
    pub title: Option<String>,
    pub is_forum: bool,
}

impl App {
    /// Records the chat (first sight or a changed title) and returns its context. The project
    /// is the one chosen with `/switch`, else the one the chat is bound to, else `openclaw`
    /// if it exists.
    pub async fn chat_context(&self, info: &ChatInfo, default_lang: Lang) -> AppResult<ChatContext> {
        let mut conn = self.pool.acquire().await?;
        let chat = match storage::chats::get(&mut conn, info.chat_id).await? {
            Some(chat) if chat.title == info.title && chat.is_forum == info.is_forum => chat,
            _ => {
                storage::chats::upsert(
                    &mut conn,
                    info.chat_id,
                    info.title.as_deref(),
                    info.is_forum,
                    default_lang.code(),
                    self.now(),
                )
                .await?
            }
        };
        let binding = storage::chats::binding_for_chat(&mut conn, info.chat_id).await?;
        let project_id = chat.current_project_id.or(binding.as_ref().map(|b| b.project_id));
        let project = match project_id {
            Some(id) => storage::projects::by_id(&mut conn, id).await?,
            None => storage::projects::by_slug(&mut conn, "openclaw").await?,
        };
        let lang = Lang::parse(&chat.lang).unwrap_or(default_lang);
        Ok(ChatContext {
            chat,
            lang,
            project,
            binding,
        })
    }

    /// The language a chat was set to, if the chat is known (read only).
    pub async fn chat_lang(&self, chat_id: i64) -> AppResult<Option<Lang>> {
        let mut conn = self.pool.acquire().await?;
        let chat = storage::chats::get(&mut conn, chat_id).await?;
        Ok(chat.and_then(|c| Lang::parse(&c.lang)))
    }

    /// `/bind <slug>`: this chat becomes the project's ops chat (CAO only). In a forum the
    /// dispatcher then creates the Approvals, Alerts and Standup topics, and a topic for every
    /// open task.
    pub async fn bind_chat(&self, actor: &Actor, info: &ChatInfo, slug: &str) -> AppResult<Binding> {
        require(actor, Right::ManageProjects)?;
        let project = self.project_by_slug(slug).await?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        storage::chats::upsert(
            w.conn(),
            info.chat_id,
            info.title.as_deref(),
            info.is_forum,
            Lang::default().code(),
            now,
        )
        .await?;
        let binding = storage::chats::bind(w.conn(), project.id, info.chat_id, actor.name(), now).await?;
        storage::chats::set_project(w.conn(), info.chat_id, project.id, now).await?;
        w.audit(
            Some(project.id),
            "chat.bound",
            "project",
            project.id,
            json!({ "chatId": info.chat_id, "title": info.title, "forum": info.is_forum }),
        )
        .await?;
        w.post(
            project.id,
            Target::Chat(info.chat_id),
            &Notice::ChatBound {
                chat_id: info.chat_id,
                project: project.slug.clone(),
                forum: info.is_forum,
                actor: actor.name().to_string(),
            },
        )
        .await?;
        if info.is_forum {
            // Every open task gets its topic, created by the dispatcher at Telegram's pace.
            super::threads::request_threads(&mut w, project.id).await?;
        }
        w.commit().await?;
        Ok(binding)
    }

    /// `/switch <slug>`: the project this chat's commands act on. It changes what everyone in
    /// the chat acts on, so it needs the operator role (a viewer only reads).
    pub async fn switch_project(&self, actor: &Actor, chat_id: i64, slug: &str) -> AppResult<Project> {
        require(actor, Right::SwitchProject)?;
        let project = self.project_by_slug(slug).await?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        storage::chats::get(w.conn(), chat_id)
            .await?
            .ok_or_else(|| AppError::not_found("chat", chat_id))?;
        storage::chats::set_project(w.conn(), chat_id, project.id, now).await?;
        w.audit(
            Some(project.id),
            "chat.switched",
            "chat",
            chat_id,
            json!({ "project": project.slug }),
        )
        .await?;
        w.commit().await?;
        Ok(project)
    }

    /// Telegram says group `from` became supergroup `to` (`migrate_to_chat_id`, seen on an update
    /// or in an answer to a send): the new chat takes over the old one's language, project
    /// binding and undelivered messages, in one transaction with its audit event. Idempotent.
    pub async fn chat_migrated(&self, actor: &Actor, from: i64, to: i64) -> AppResult<()> {
        if from == to {
            return Ok(());
        }
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        if storage::chats::get(w.conn(), from).await?.is_none() {
            return Ok(());
        }
        let project = storage::chats::migrate(w.conn(), from, to, now).await?;
        let moved = storage::outbox::move_chat(w.conn(), from, to).await?;
        if project.is_none() && moved == 0 {
            return Ok(()); // already moved (Telegram tells both the old and the new chat)
        }
        w.audit(
            project,
            "chat.migrated",
            "chat",
            to,
            json!({ "from": from, "to": to, "movedMessages": moved }),
        )
        .await?;
        w.wake_dispatcher();
        w.commit().await?;
        tracing::info!(from, to, moved, "telegram: group upgraded to a supergroup; binding and queue moved");
        Ok(())
    }

    /// The bot gave up on Telegram update `update_id` after retrying it: recorded in the audit
    /// (and so counted in `/metrics`), never dropped silently.
    pub async fn update_failed(&self, update_id: i64, error: &str) -> AppResult<()> {
        let mut w = Work::begin(self, &Actor::system("telegram")).await?;
        let error: String = error.chars().take(2000).collect();
        w.audit(
            None,
            "telegram.update_failed",
            "telegram_update",
            update_id,
            json!({ "error": error }),
        )
        .await?;
        w.commit().await
    }

    /// `/lang <code>`: the chat's language (any operator).
    pub async fn set_chat_lang(&self, actor: &Actor, chat_id: i64, code: &str) -> AppResult<Lang> {
        require(actor, Right::Read)?;
        let lang = Lang::parse(code).ok_or_else(|| {
            AppError::validation(
                "lang",
                Msg::new("err-language")
                    .with("input", code.trim())
                    .with("supported", Lang::ALL.iter().map(|l| l.code()).collect::<Vec<_>>().join(", ")),
            )
        })?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        storage::chats::get(w.conn(), chat_id)
            .await?
            .ok_or_else(|| AppError::not_found("chat", chat_id))?;
        storage::chats::set_lang(w.conn(), chat_id, lang.code(), now).await?;
        w.audit(None, "chat.language_set", "chat", chat_id, json!({ "lang": lang.code() }))
            .await?;
        w.commit().await?;
        Ok(lang)
    }

    /// A message the bot sends to a chat (already rendered by the adapter), through the outbox
    /// like everything else the bot sends. `keyboard` is Telegram's inline_keyboard JSON.
    pub async fn reply(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        chat_id: i64,
        thread_id: Option<i32>,
        text: String,
        keyboard: Option<serde_json::Value>,
    ) -> AppResult<()> {
        let mut w = Work::begin(self, actor).await?;
        w.post_to(project_id, Target::Chat(chat_id), &Notice::Reply { thread_id, text, keyboard })
            .await?;
        w.commit().await
    }

    /// A command's answer with a chart (`/costs`), through the outbox like [`App::reply`].
    pub async fn reply_with_chart(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        chat_id: i64,
        thread_id: Option<i32>,
        text: String,
        chart: crate::model::notice::BarChart,
    ) -> AppResult<()> {
        let mut w = Work::begin(self, actor).await?;
        w.post_to(
            project_id,
            Target::Chat(chat_id),
            &Notice::ReplyWithChart { thread_id, text, chart },
        )
        .await?;
        w.commit().await
    }

    /// A new text for a message the bot sent to a chat (a confirmation once answered: who did what
    /// and when), through the outbox; the message's buttons go.
    pub async fn edit_reply(&self, actor: &Actor, project_id: Option<Uuid>, chat_id: i64, message_id: i32, text: String) -> AppResult<()> {
        let mut w = Work::begin(self, actor).await?;
        w.post_to(project_id, Target::Chat(chat_id), &Notice::EditReply { message_id, text })
            .await?;
        w.commit().await
    }

    /// Records that `actor` was refused in a chat, so the attempt is audited; nothing else
    /// changes.
    pub async fn audit_refusal(&self, actor: &Actor, chat_id: i64, what: &str, why: &str) -> AppResult<()> {
        let mut w = Work::begin(self, actor).await?;
        w.audit(None, "telegram.refused", "chat", chat_id, json!({ "attempt": what, "reason": why }))
            .await?;
        w.commit().await
    }

    /// Someone who is not an operator tried `what` in a chat and was refused: counted for the
    /// person, chat and hour (the hour's first attempt is audited, the rest only counted), and
    /// true when they may be told so now (at most once every ten minutes per chat).
    pub async fn stranger_refused(&self, actor: &Actor, chat_id: i64, user_id: i64, what: &str, why: &str) -> AppResult<bool> {
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let hour = traffic::counting_hour(now);
        let (attempts, answered) = storage::strangers::count(w.conn(), chat_id, user_id, hour, what, now).await?;
        if attempts == 1 {
            let data = json!({ "attempt": what, "reason": why, "userId": user_id, "countedPerHour": true });
            w.audit(None, "telegram.refused", "chat", chat_id, data).await?;
        }
        let answer = traffic::stranger_may_be_answered(answered, now);
        if answer {
            storage::strangers::answered(w.conn(), chat_id, user_id, hour, now).await?;
        }
        w.commit().await?;
        Ok(answer)
    }

    /// `user_id` wrote to the bot in a private chat: answers for them alone may go there.
    /// Bookkeeping, not a change anyone acts on: no audit.
    pub async fn private_chat_seen(&self, user_id: i64) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::private_chats::private_chat_seen(&mut conn, user_id, self.now()).await?)
    }

    /// An answer that concerns only `user_id`, who asked in group `chat_id`: sent to their
    /// private chat when they have one, with `pointer` in the group (in `thread`) at most once a
    /// minute, so the group's window is not spent on it. False, with nothing sent, when they
    /// have no private chat with the bot (answer in the group).
    #[allow(clippy::too_many_arguments)]
    pub async fn answer_privately(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        chat_id: i64,
        thread_id: Option<i32>,
        user_id: i64,
        text: String,
        pointer: String,
    ) -> AppResult<bool> {
        let mut w = Work::begin(self, actor).await?;
        if !storage::private_chats::has_private_chat(w.conn(), user_id).await? {
            return Ok(false);
        }
        let answer = Notice::Reply {
            thread_id: None,
            text,
            keyboard: None,
        };
        w.post_to(project_id, Target::Chat(user_id), &answer).await?;
        let now = w.now;
        if storage::private_chats::point_if_due(w.conn(), chat_id, user_id, now, now - traffic::POINTER_EVERY).await? {
            let pointer = Notice::Reply {
                thread_id,
                text: pointer,
                keyboard: None,
            };
            w.post_to(project_id, Target::Chat(chat_id), &pointer).await?;
        }
        w.commit().await?;
        Ok(true)
    }

    /// A short opaque token for an inline button; its meaning stays in the database.
    pub async fn create_callback(
        &self,
        action: &str,
        entity_id: Option<Uuid>,
        args: serde_json::Value,
        chat_id: Option<i64>,
    ) -> AppResult<String> {
        let token = Alphanumeric.sample_string(&mut rand::rng(), 16);
        let mut conn = self.pool.acquire().await?;
        storage::chats::insert_callback(&mut conn, &token, action, entity_id, &args, chat_id, self.now()).await?;
        Ok(token)
    }

    pub async fn callback_action(&self, token: &str) -> AppResult<Option<CallbackAction>> {
        if token.is_empty() || token.len() > 64 {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        Ok(storage::chats::callback(&mut conn, token).await?)
    }

    /// Remembers that the bot asked someone for something where they are (e.g. a deny reason):
    /// the pending input the next message there answers.
    pub(crate) async fn expect_input(&self, asked: AskedIn, kind: &str, entity_id: Option<Uuid>) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        let AskedIn {
            chat_id,
            user_id,
            thread_id,
        } = asked;
        storage::chats::set_pending_input(&mut conn, chat_id, user_id, thread_id, kind, entity_id, self.now()).await?;
        Ok(())
    }

    /// Takes what the user owes in this chat and topic; a question asked in another topic is
    /// left for an answer there.
    pub async fn take_input(&self, chat_id: i64, user_id: i64, thread_id: Option<i32>) -> AppResult<Option<PendingInput>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::chats::take_pending_input(&mut conn, chat_id, user_id, thread_id).await?)
    }

    /// The ops chat of a project, if bound.
    pub async fn binding_for_project(&self, project_id: Uuid) -> AppResult<Option<Binding>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::chats::binding_for_project(&mut conn, project_id).await?)
    }

    /// The task whose forum topic this is; None for General and the system topics. (In a plain
    /// group a task's thread is found by message: `task_for_message`.)
    pub async fn task_for_topic(&self, chat_id: i64, topic_id: i32) -> AppResult<Option<Uuid>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::chats::task_for_topic(&mut conn, chat_id, topic_id).await?)
    }

    /// Whether Telegram update `update_id` was already handled (a redelivery).
    pub async fn update_processed(&self, update_id: i64) -> AppResult<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::updates::is_processed(&mut conn, update_id).await?)
    }

    /// An operator edited, in Telegram, a message that became a task comment: the comment
    /// follows (only its author may, and the rights are checked again).
    pub async fn edit_comment_from_telegram(
        &self,
        actor: &Actor,
        chat_id: i64,
        message_id: i32,
        body: &str,
    ) -> AppResult<Option<crate::model::Comment>> {
        require(actor, Right::Comment)?;
        let body = mc_domain::CommentBody::parse(body)?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let Some(comment) = storage::chats::lock_comment_by_message(w.conn(), chat_id, message_id).await? else {
            return Ok(None);
        };
        if comment.author_id != actor.id() {
            return Err(AppError::forbidden(Msg::new("err-comment-author-only")));
        }
        if comment.body == body.as_str() {
            return Ok(Some(comment));
        }
        let edited = storage::chats::edit_comment(w.conn(), comment.id, body.as_str(), now).await?;
        let task = storage::tasks::by_id(w.conn(), comment.task_id)
            .await?
            .ok_or_else(|| AppError::not_found("task", comment.task_id))?;
        w.audit(
            Some(task.project_id),
            "comment.edited",
            "task",
            task.id,
            json!({ "commentId": comment.id, "number": task.number, "before": comment.body, "after": body }),
        )
        .await?;
        for agent_id in &task.assignee_ids {
            w.notify(
                *agent_id,
                "comment_edited",
                Some(task.id),
                format!("{} edited a comment on #{}: {}", actor.name(), task.number, body),
                json!({ "taskId": task.id, "commentId": comment.id }),
            )
            .await?;
        }
        w.commit().await?;
        Ok(Some(edited))
    }
}
