//! The endpoints of the handler tree: messages (commands, answers the bot asked for, and what
//! is written in a task's thread), edited messages, and button clicks.

use super::command::{self, Named};
use super::request::{thread_of, Req};
use super::{buttons, commands, threads, BotState};
use crate::render;
use mc_core::app::AppError;
use mc_domain::i18n::Lang;
use mc_domain::i18n::Msg;
use mc_domain::task_state::MoveInput;
use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, MaybeInaccessibleMessage, Me, Message, Update, User};

/// A deny reason must follow the Deny click within this time.
const INPUT_TTL: chrono::Duration = chrono::Duration::minutes(15);

/// Nothing to do for a redelivered update; errors of that kind are the dedupe working.
fn duplicate(err: &AppError) -> bool {
    err.is_duplicate_update()
}

pub(crate) async fn message(me: Me, msg: Message, update: Update, state: BotState) -> anyhow::Result<()> {
    // The group became a supergroup: its binding and undelivered messages move to the new chat.
    if let Some(to) = msg.migrate_to_chat_id() {
        let system = mc_domain::Actor::system("telegram");
        state.app.chat_migrated(&system, msg.chat.id.0, to.0).await?;
        return Ok(());
    }
    let Some(user) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Ok(());
    };
    let Some(text) = msg.text() else {
        return Ok(());
    };
    let typed = command::parse(text, me.username());
    if typed.is_none() && msg.chat.is_channel() {
        return Ok(());
    }
    if msg.chat.is_private() {
        // They have a private chat with the bot: answers for them alone may go there.
        let user_id = i64::try_from(user.id.0).unwrap_or(i64::MAX);
        state.app.private_chat_seen(user_id).await?;
    }
    let app = state.app.for_update(update.id.0 as i64);
    if app.update_processed(update.id.0 as i64).await? {
        tracing::debug!(update = update.id.0, "telegram: update already handled");
        return Ok(());
    }
    let Some(typed) = typed else {
        return match answer(app, &state, &msg, user, text).await {
            Err(err) if !duplicate(&err) => Err(err.into()),
            _ => Ok(()),
        };
    };
    let mut req = Req::new(app, state.default_lang, &msg.chat, thread_of(&msg), user).await?;
    // In a forum every topic message "replies" to the topic's first message: only a reply to
    // another message counts. (Outside forums the thread id of a reply is its chain's root.)
    let topic_root = thread_of(&msg);
    req.replied_to = msg
        .reply_to_message()
        .map(|replied| replied.id.0)
        .filter(|id| Some(*id) != topic_root);
    let result = match typed.named {
        Named::Known(command) => commands::run(&req, command, typed.args).await,
        // An unknown command: in a group it may be another bot's, so answer only when asked.
        Named::Unknown(name) if typed.addressed || req.is_private() => {
            if req.actor.is_none() {
                req.refuse(&format!("/{name}"), &Msg::new("err-not-operator")).await
            } else {
                req.say(req.ta("bot-unknown-command", &[("command", mc_domain::i18n::text(&name))]))
                    .await
            }
        }
        Named::Unknown(_) => Ok(()),
    };
    match result {
        Err(err) if !duplicate(&err) => Err(err.into()),
        _ => Ok(()),
    }
}

/// A plain message: the answer to a question the bot asked this user here — in this chat and this
/// topic — (a deny reason, what a move from a task's card needs), if any; else, in a task's
/// thread, a comment on the task; anything else is conversation and left alone. A question asked
/// in another topic waits for its answer there.
async fn answer(app: mc_core::app::App, state: &BotState, msg: &Message, user: &User, text: &str) -> mc_core::app::AppResult<()> {
    let user_id = i64::try_from(user.id.0).unwrap_or(i64::MAX);
    let pending = app
        .take_input(msg.chat.id.0, user_id, thread_of(msg))
        .await?
        .filter(|p| app.now() - p.created_at <= INPUT_TTL);
    let Some(pending) = pending else {
        // A reply to a question's message (not the topic's root, which every topic message
        // "replies" to) answers the question.
        let replied = msg.reply_to_message().map(|r| r.id.0).filter(|id| Some(*id) != thread_of(msg));
        if let Some(replied) = replied {
            let reader = mc_domain::Actor::system("telegram");
            if let Some(question) = app.question_of_message(&reader, msg.chat.id.0, replied).await? {
                let req = Req::new(app, state.default_lang, &msg.chat, thread_of(msg), user).await?;
                return super::questions::answer_by_reply(&req, question.id, text).await;
            }
        }
        return threads::comment(app, state, msg, user, text).await;
    };
    let req = Req::new(app, state.default_lang, &msg.chat, thread_of(msg), user).await?;
    match (pending.kind.as_str(), pending.entity_id) {
        (mc_core::app::approvals::DENY_REASON, Some(approval_id)) => commands::deny_with_reason(&req, approval_id, text).await,
        (mc_core::app::reviews::CHANGES_REQUESTED, Some(task_id)) => super::reviews::changes_by_reply(&req, task_id, text).await,
        (kind, Some(task_id)) => match MoveInput::parse(kind) {
            Some(input) => threads::move_with_input(&req, input, task_id, text).await,
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// An edited message: a comment made from it follows the edit.
pub(crate) async fn edited(msg: Message, update: Update, state: BotState) -> anyhow::Result<()> {
    let (Some(user), Some(text)) = (msg.from.as_ref().filter(|u| !u.is_bot), msg.text()) else {
        return Ok(());
    };
    let app = state.app.for_update(update.id.0 as i64);
    if app.update_processed(update.id.0 as i64).await? {
        return Ok(());
    }
    match threads::edited(app, &msg, user, text).await {
        Err(err) if !duplicate(&err) => Err(err.into()),
        _ => Ok(()),
    }
}

pub(crate) async fn callback(bot: Bot, query: CallbackQuery, update: Update, state: BotState) -> anyhow::Result<()> {
    let outcome = click(&query, &update, &state).await;
    let toast = match &outcome {
        Ok(toast) => toast.clone(),
        Err(_) => Some(buttons::Toast::alert(toast_lang(&query, &state).await.t("bot-toast-failed"))),
    };
    // Every click is answered, whatever happened.
    let mut answer = bot.answer_callback_query(query.id.clone());
    if let Some(toast) = toast.filter(|t| !t.text.is_empty()) {
        answer = answer.text(render::toast(&toast.text)).show_alert(toast.alert);
    }
    // Paced like every call: the global limit is shared with the dispatcher.
    if let Err(e) = super::paced_call(&state.app, &bot, || answer.send()).await {
        tracing::debug!(error = %e, "telegram: answerCallbackQuery failed");
    }
    match outcome {
        Err(err) if !duplicate(&err) => Err(err.into()),
        _ => Ok(()),
    }
}

/// The toast for a click; none for a click already handled (its answer may have been lost).
async fn click(query: &CallbackQuery, update: &Update, state: &BotState) -> mc_core::app::AppResult<Option<buttons::Toast>> {
    let app = state.app.for_update(update.id.0 as i64);
    if app.update_processed(update.id.0 as i64).await? {
        return Ok(None);
    }
    let Some(MaybeInaccessibleMessage::Regular(msg)) = &query.message else {
        // The message is too old to reach (or an inline message): nothing to act on.
        return Ok(Some(buttons::Toast::alert(toast_lang(query, state).await.t("bot-toast-expired"))));
    };
    let mut req = Req::new(app, state.default_lang, &msg.chat, thread_of(msg), &query.from).await?;
    req.clicked = Some((msg.id.0, msg.text().unwrap_or_default().to_string()));
    let token = query.data.as_deref().unwrap_or_default();
    match buttons::click(&req, token).await {
        Ok(toast) => Ok(Some(toast)),
        Err(err) if duplicate(&err) => Ok(None),
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "telegram: button failed");
            Ok(Some(buttons::Toast::alert(req.t("bot-toast-failed"))))
        }
    }
}

/// The language of a toast given without the update's context (a click on a message out of
/// reach, or a failure): the chat's, else the clicker's own Telegram language, else the default.
async fn toast_lang(query: &CallbackQuery, state: &BotState) -> Lang {
    if let Some(chat) = query.message.as_ref().map(|m| m.chat().id.0) {
        match state.app.chat_lang(chat).await {
            Ok(Some(lang)) => return lang,
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "telegram: the chat's language is out of reach"),
        }
    }
    query
        .from
        .language_code
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(state.default_lang)
}
