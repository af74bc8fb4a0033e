//! One update being handled: who sent it (as the core knows them), where, in which language, and
//! how to answer there.

use super::command::Command;
use crate::actions::ButtonAction;
use crate::render;
use fluent_templates::fluent_bundle::FluentValue;
use mc_core::app::chats::{ChatContext, ChatInfo};
use mc_core::app::{App, AppError, AppResult};
use mc_core::model::Project;
use mc_domain::i18n::Lang;
use mc_domain::i18n::Msg;
use mc_domain::Actor;
use serde_json::json;
use teloxide::types::{Chat, ChatKind, PublicChatKind, User};

/// Why a command did not run.
#[derive(Debug)]
pub(crate) enum CmdError {
    /// Its arguments do not fit: answer with the usage line.
    Usage,
    /// The chat has no project to act on.
    NoProject,
    /// A refusal the adapter decided before calling the core (e.g. `/bind` in a private chat),
    /// already rendered.
    Say(String),
    App(AppError),
}

impl From<AppError> for CmdError {
    fn from(err: AppError) -> Self {
        CmdError::App(err)
    }
}

pub(crate) type CmdResult = Result<(), CmdError>;

/// A button under a message: its label and what it does.
pub(crate) type Button = (String, ButtonAction);

pub(crate) struct Req {
    /// The core, bound to this update (its first commit records the update as handled).
    pub app: App,
    pub ctx: ChatContext,
    pub lang: Lang,
    pub chat_id: i64,
    pub thread: Option<i32>,
    pub user_id: i64,
    pub user_name: String,
    /// The operator the sender is, if linked.
    pub actor: Option<Actor>,
    /// For a button click: the message the button is under (its id and text).
    pub clicked: Option<(i32, String)>,
    /// For a message: the message it replies to (e.g. an approval's card), if any.
    pub replied_to: Option<i32>,
}

/// The forum topic a message was written in, if any.
pub(crate) fn thread_of(msg: &teloxide::types::Message) -> Option<i32> {
    msg.thread_id.filter(|_| msg.is_topic_message).map(|t| t.0 .0)
}

pub(crate) fn chat_info(chat: &Chat) -> ChatInfo {
    let is_forum = matches!(&chat.kind, ChatKind::Public(p) if matches!(&p.kind, PublicChatKind::Supergroup(s) if s.is_forum));
    ChatInfo {
        chat_id: chat.id.0,
        title: chat.title().map(str::to_owned),
        is_forum,
    }
}

impl Req {
    /// Where a question the bot asks this person is to be answered: this chat, topic and user.
    pub fn asked_in(&self) -> mc_core::app::chats::AskedIn {
        mc_core::app::chats::AskedIn {
            chat_id: self.chat_id,
            user_id: self.user_id,
            thread_id: self.thread,
        }
    }

    pub async fn new(app: App, default_lang: Lang, chat: &Chat, thread: Option<i32>, user: &User) -> AppResult<Req> {
        let ctx = app.chat_context(&chat_info(chat), default_lang).await?;
        let user_id = i64::try_from(user.id.0).unwrap_or(i64::MAX);
        let actor = app.operator_for_telegram(user_id).await?;
        Ok(Req {
            lang: ctx.lang,
            chat_id: chat.id.0,
            thread,
            user_id,
            user_name: user.full_name(),
            actor,
            clicked: None,
            replied_to: None,
            ctx,
            app,
        })
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        self.lang.ta(key, args)
    }

    /// Who the bot acts for: the operator, or (for an outsider) the Telegram user as a system
    /// actor, so refusals are audited with their id.
    pub fn acting(&self) -> Actor {
        self.actor
            .clone()
            .unwrap_or_else(|| Actor::system(&format!("telegram user {} ({})", self.user_id, self.user_name)))
    }

    pub fn project(&self) -> Result<&Project, CmdError> {
        self.ctx.project.as_ref().ok_or(CmdError::NoProject)
    }

    /// Whether the core's notices for `project_id`'s general thread land where this update came
    /// from (the project's ops chat, outside any topic): then a reply would say it twice.
    pub fn sees_general_of(&self, project_id: uuid::Uuid) -> bool {
        self.thread.is_none() && self.ctx.binding.as_ref().is_some_and(|b| b.project_id == project_id)
    }

    /// Whether this is the chat bound to `project_id` (in any of its topics): the project's
    /// cards (approvals, alerts) live here too.
    pub fn is_ops_chat_of(&self, project_id: uuid::Uuid) -> bool {
        self.ctx.binding.as_ref().is_some_and(|b| b.project_id == project_id)
    }

    pub fn is_private(&self) -> bool {
        self.chat_id > 0
    }

    /// Answers in the chat (and topic) the update came from.
    pub async fn say(&self, html: String) -> AppResult<()> {
        self.say_with(html, Vec::new()).await
    }

    /// Answers with rows of inline buttons; each button's meaning is stored server-side and
    /// its `callback_data` is the short token. A text over Telegram's limit is split by the
    /// outbox into several messages (the buttons under the last), never cut.
    pub async fn say_with(&self, html: String, rows: Vec<Vec<Button>>) -> AppResult<()> {
        let mut keyboard = Vec::with_capacity(rows.len());
        for row in rows.into_iter().filter(|r| !r.is_empty()) {
            let mut buttons = Vec::with_capacity(row.len());
            for (label, action) in row {
                let token = crate::actions::store(&self.app, &action, Some(self.chat_id)).await?;
                buttons.push(json!({ "text": label, "callback_data": token }));
            }
            keyboard.push(serde_json::Value::Array(buttons));
        }
        let keyboard = (!keyboard.is_empty()).then_some(serde_json::Value::Array(keyboard));
        let project_id = self.ctx.project.as_ref().map(|p| p.id);
        self.app
            .reply(&self.acting(), project_id, self.chat_id, self.thread, html, keyboard)
            .await
    }

    /// Answers with a chart (the picture, then the text), through the outbox.
    pub async fn say_with_chart(&self, html: String, chart: mc_core::model::notice::BarChart) -> AppResult<()> {
        let project_id = self.ctx.project.as_ref().map(|p| p.id);
        self.app
            .reply_with_chart(&self.acting(), project_id, self.chat_id, self.thread, html, chart)
            .await
    }

    /// Answers something that concerns only the sender (a usage line, "already decided", "no
    /// such agent"): in a group, in their private chat with the bot when they have one (with a
    /// pointer here at most once a minute), so the group's 20 messages a minute go to what the
    /// others need to see; else here.
    pub async fn say_to_asker(&self, html: String) -> AppResult<()> {
        if self.is_private() || self.actor.is_none() {
            return self.say(html).await;
        }
        let pointer = self.ta("bot-answered-privately", &[("name", mc_domain::i18n::text(&self.user_name))]);
        let project_id = self.ctx.project.as_ref().map(|p| p.id);
        let sent = self
            .app
            .answer_privately(
                &self.acting(),
                project_id,
                self.chat_id,
                self.thread,
                self.user_id,
                html.clone(),
                pointer,
            )
            .await?;
        if sent {
            return Ok(());
        }
        self.say(html).await
    }

    /// Audits a refused attempt (nothing else changes) and says so politely.
    pub async fn refuse(&self, attempt: &str, why: &Msg) -> AppResult<()> {
        let shown = self.ta("bot-error-forbidden", &[("reason", mc_domain::i18n::text(&why.render(self.lang)))]);
        self.refuse_saying(attempt, why, shown).await
    }

    /// A refusal audited with `why` (in English, as the whole audit log is) and answered with
    /// `shown` (in the chat's language); someone who is no operator at all is told only that,
    /// with their id.
    pub async fn refuse_saying(&self, attempt: &str, why: &Msg, shown: String) -> AppResult<()> {
        if self.actor.is_none() {
            return self.refuse_stranger(attempt, "bot-not-operator", &why.to_string()).await;
        }
        self.app
            .audit_refusal(&self.acting(), self.chat_id, attempt, &why.to_string())
            .await?;
        self.say(shown).await
    }

    /// Someone who is no operator tried `attempt`: counted (not audited one row each), and told
    /// so with their id (`key`) at most once every ten minutes in this chat.
    pub async fn refuse_stranger(&self, attempt: &str, key: &str, why: &str) -> AppResult<()> {
        let answer = self
            .app
            .stranger_refused(&self.acting(), self.chat_id, self.user_id, attempt, why)
            .await?;
        if !answer {
            return Ok(());
        }
        self.say(self.ta(key, &[("id", render::plain(&self.user_id.to_string()))])).await
    }

    /// Answers a failed command: usage, a missing project, or the core's error in words.
    pub async fn report(&self, command: Command, err: CmdError) -> AppResult<()> {
        match err {
            CmdError::Usage => self.say_to_asker(render::usage(self.lang, command.usage_id())).await,
            CmdError::NoProject => self.say_to_asker(self.t("bot-no-project")).await,
            CmdError::Say(text) => self.say(text).await,
            CmdError::App(err) if err.is_duplicate_update() => Ok(()),
            CmdError::App(AppError::Forbidden(why)) => self.refuse(&format!("/{command}"), &why).await,
            CmdError::App(err) => {
                if let AppError::Internal(e) = &err {
                    tracing::error!(error = format!("{e:#}"), command = command.as_str(), "telegram: command failed");
                    return self.say(render::error(self.lang, &err)).await;
                }
                // Not found, already decided, invalid: the asker's own business.
                self.say_to_asker(render::error(self.lang, &err)).await
            }
        }
    }
}
