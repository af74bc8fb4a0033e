//! Per-method behaviour: what each method does to the state ([`run`]). Messages live in
//! `messages.rs`, forum topics in `topics.rs`; the call itself and its checks in `request.rs`.

use super::messages;
use super::render;
use super::request::{ApiError, Req};
use super::state::{scope_key, State};
use super::topics;
use serde_json::{json, Value};

/// What the method does. `getUpdates` is handled by the server (it waits).
pub(crate) fn run(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    match req.method {
        "getMe" => Ok(render::me(st)),
        "logOut" | "close" => Ok(json!(true)),
        "sendMessage" => messages::send_message(st, req),
        "sendPhoto" => messages::send_media(st, req, "photo"),
        "sendDocument" => messages::send_media(st, req, "document"),
        "editMessageText" => messages::edit_text(st, req),
        "editMessageCaption" => messages::edit_caption(st, req),
        "editMessageReplyMarkup" => messages::edit_markup(st, req),
        "deleteMessage" => messages::delete(st, req),
        "deleteMessages" => messages::delete_many(st, req),
        "createForumTopic" => topics::create(st, req),
        "editForumTopic" => topics::edit(st, req),
        "closeForumTopic" => topics::set_closed(st, req, true),
        "reopenForumTopic" => topics::set_closed(st, req, false),
        "deleteForumTopic" => topics::delete(st, req),
        "getForumTopicIconStickers" => Ok(json!([])),
        "answerCallbackQuery" => answer_callback(st, req),
        "sendChatAction" => chat_action(st, req),
        "getChat" => Ok(render::chat_full(req.chat(st)?)),
        "getChatMember" => chat_member(st, req),
        "getChatAdministrators" => administrators(st, req),
        "getChatMemberCount" => {
            let chat = req.chat(st)?.id;
            Ok(json!(
                1 + st.users.keys().filter(|u| render::member_status(st, chat, **u).is_some()).count()
            ))
        }
        "setMyCommands" => set_commands(st, req),
        "getMyCommands" => Ok(st.commands.get(&commands_key(req)).cloned().unwrap_or_else(|| json!([]))),
        "deleteMyCommands" => {
            st.commands.remove(&commands_key(req));
            Ok(json!(true))
        }
        "setChatMenuButton" => {
            let button = req.get("menu_button").cloned().unwrap_or_else(|| json!({ "type": "default" }));
            if button.get("type").and_then(Value::as_str) == Some("web_app") {
                let url = button.pointer("/web_app/url").and_then(Value::as_str).unwrap_or_default();
                // Telegram opens only https Web Apps.
                if !url.starts_with("https://") {
                    return Err(ApiError::bad("BUTTON_URL_INVALID"));
                }
            }
            let chat = req.get("chat_id").and_then(Value::as_i64);
            st.menu_buttons.insert(chat, button);
            Ok(json!(true))
        }
        "getChatMenuButton" => {
            let chat = req.get("chat_id").and_then(Value::as_i64);
            Ok(st.menu_buttons.get(&chat).cloned().unwrap_or_else(|| json!({ "type": "commands" })))
        }
        "setWebhook" => {
            st.webhook = req.str("url").filter(|u| !u.is_empty()).map(str::to_owned);
            if req.flag("drop_pending_updates") {
                st.updates.clear();
            }
            Ok(json!(true))
        }
        "deleteWebhook" => {
            st.webhook = None;
            if req.flag("drop_pending_updates") {
                st.updates.clear();
            }
            Ok(json!(true))
        }
        "getWebhookInfo" => Ok(render::webhook_info(st)),
        _ => Ok(json!(true)),
    }
}

fn answer_callback(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let id = req.str("callback_query_id").unwrap_or_default();
    match st.callbacks.get_mut(id) {
        Some(answered) if !*answered => {
            *answered = true;
            Ok(json!(true))
        }
        _ => Err(ApiError::bad(
            "query is too old and response timeout expired or query id is invalid",
        )),
    }
}

const CHAT_ACTIONS: [&str; 11] = [
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

fn chat_action(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.clone();
    if !CHAT_ACTIONS.contains(&req.str("action").unwrap_or_default()) {
        return Err(ApiError::bad("wrong parameter action in request"));
    }
    messages::resolve_thread(st, &chat, req.i32("message_thread_id"), None)?;
    Ok(json!(true))
}

fn chat_member(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.id;
    let user = req.i64("user_id").unwrap_or_default();
    render::chat_member(st, chat, user).ok_or_else(|| ApiError::bad("user not found"))
}

fn administrators(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.id;
    if chat > 0 {
        return Err(ApiError::bad("there are no administrators in the private chat"));
    }
    let mut ids: Vec<i64> = st.members.keys().filter(|(c, _)| *c == chat).map(|(_, u)| *u).collect();
    ids.push(st.bot_id);
    ids.sort_unstable();
    ids.dedup();
    let admins = ids
        .into_iter()
        .filter(|u| {
            matches!(
                render::member_status(st, chat, *u),
                Some(super::MemberStatus::Creator | super::MemberStatus::Administrator)
            )
        })
        .filter_map(|u| render::chat_member(st, chat, u))
        .collect();
    Ok(Value::Array(admins))
}

fn commands_key(req: &Req) -> (String, String) {
    (scope_key(req.get("scope")), req.str("language_code").unwrap_or_default().to_owned())
}

fn set_commands(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let mut commands = req.get("commands").and_then(Value::as_array).cloned().unwrap_or_default();
    if commands.len() > 100 {
        return Err(ApiError::bad("too many commands"));
    }
    for c in &mut commands {
        // Telegram takes "/start" for "start" (teloxide's `BotCommands::bot_commands` sends the slash).
        let name = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let name = name.strip_prefix('/').unwrap_or(name).to_owned();
        c["command"] = json!(name);
        let valid = (1..=32).contains(&name.len()) && name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid {
            return Err(ApiError::bad("BOT_COMMAND_INVALID"));
        }
        let description = c.get("description").and_then(Value::as_str).unwrap_or_default();
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
    }
    if let Some(code) = req.str("language_code") {
        if !(code.is_empty() || (code.len() == 2 && code.chars().all(|c| c.is_ascii_lowercase()))) {
            return Err(ApiError::bad("LANG_CODE_INVALID"));
        }
    }
    st.commands.insert(commands_key(req), Value::Array(commands));
    Ok(json!(true))
}
