//! Per-method behaviour: the checks made before the flood limits ([`precheck`]) and what each method
//! does to the state ([`run`]). Messages live in `messages.rs`, forum topics in `topics.rs`.

use super::markup;
use super::messages;
use super::render;
use super::state::{scope_key, Chat, State};
use super::topics;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// An error answer: HTTP status (= `error_code`), description, and the `parameters` Telegram
/// adds: `retry_after` for 429s, `migrate_to_chat_id` for a group upgraded to a supergroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub description: String,
    pub retry_after: Option<u64>,
    pub migrate_to_chat_id: Option<i64>,
}

impl ApiError {
    pub fn new(status: u16, description: impl Into<String>) -> Self {
        ApiError {
            status,
            description: description.into(),
            retry_after: None,
            migrate_to_chat_id: None,
        }
    }

    /// 400 `Bad Request: <what>`.
    pub fn bad(what: &str) -> Self {
        Self::new(400, format!("Bad Request: {what}"))
    }

    pub fn too_many(retry_after: u64) -> Self {
        ApiError {
            status: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
            migrate_to_chat_id: None,
        }
    }

    /// What Telegram answers a call to a group that became a supergroup.
    pub fn migrated(to: i64) -> Self {
        ApiError {
            migrate_to_chat_id: Some(to),
            ..Self::bad("group chat was upgraded to a supergroup chat")
        }
    }
}

/// A file part of a multipart request.
#[derive(Debug, Clone, Default)]
pub(crate) struct FilePart {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// One call's parameters, ready for the behaviour.
pub(crate) struct Req<'a> {
    pub method: &'a str,
    pub p: &'a Map<String, Value>,
    pub files: &'a HashMap<String, FilePart>,
}

impl Req<'_> {
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.p.get(k).filter(|v| !v.is_null())
    }

    pub fn str(&self, k: &str) -> Option<&str> {
        self.get(k).and_then(Value::as_str)
    }

    pub fn i64(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(Value::as_i64)
    }

    pub fn i32(&self, k: &str) -> Option<i32> {
        self.i64(k).and_then(|v| i32::try_from(v).ok())
    }

    pub fn flag(&self, k: &str) -> bool {
        self.get(k).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The `chat_id` parameter, resolved to a known chat.
    pub fn chat<'s>(&self, st: &'s State) -> Result<&'s Chat, ApiError> {
        self.chat_from(st, "chat_id")
    }

    pub fn chat_from<'s>(&self, st: &'s State, key: &str) -> Result<&'s Chat, ApiError> {
        let v = self.get(key).ok_or_else(|| ApiError::bad(&format!("{key} is required")))?;
        resolve_chat(st, v).ok_or_else(|| ApiError::bad("chat not found"))
    }
}

/// A chat id given as a number, a numeric string, or `@username`.
pub(crate) fn resolve_chat<'s>(st: &'s State, v: &Value) -> Option<&'s Chat> {
    match v {
        Value::Number(n) => st.chats.get(&n.as_i64()?),
        Value::String(s) => match s.strip_prefix('@') {
            Some(name) => st
                .chats
                .values()
                .find(|c| c.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name))),
            None => st.chats.get(&s.trim().parse::<i64>().ok()?),
        },
        _ => None,
    }
}

/// How a call counts against the flood limits: `None` not at all (reading: `get*`, webhook
/// set-up), `Some(None)` only in the global window (answering callback queries, registering
/// commands: bound to no chat), `Some(Some(chat))` for the chat, its group and globally.
pub(crate) fn limited_chat(st: &State, req: &Req) -> Option<Option<i64>> {
    if req.method.starts_with("get") {
        return None;
    }
    if matches!(req.method, "answerCallbackQuery" | "setMyCommands") {
        return Some(None);
    }
    req.get("chat_id").and_then(|v| resolve_chat(st, v)).map(|c| Some(c.id))
}

const TEXT_LIMIT: usize = 4096;
const CAPTION_LIMIT: usize = 1024;
const TOPIC_NAME_LIMIT: usize = 128;

/// Checks that cost nothing against the limits: the chat exists, text and captions parse and fit,
/// keyboards are valid, topic names fit.
pub(crate) fn precheck(st: &State, req: &Req) -> Result<(), ApiError> {
    if let Some(to) = req.get("chat_id").and_then(Value::as_i64).and_then(|id| st.migrated.get(&id)) {
        return Err(ApiError::migrated(*to));
    }
    if req.get("chat_id").is_some() && !matches!(req.method, "answerCallbackQuery") {
        req.chat(st)?;
    }
    match req.method {
        "sendMessage" | "editMessageText" => {
            let parsed = parse_text(req, "text")?;
            check_text(&parsed.text, TEXT_LIMIT, "message is too long")?;
        }
        "sendPhoto" | "sendDocument" | "sendVideo" | "sendAudio" | "sendAnimation" | "sendVoice" | "editMessageCaption" | "copyMessage"
            if req.get("caption").is_some() =>
        {
            let parsed = parse_text(req, "caption")?;
            if markup::utf16_len(&parsed.text) > CAPTION_LIMIT {
                return Err(ApiError::bad("message caption is too long"));
            }
        }
        "createForumTopic" | "editForumTopic" => {
            if let Some(name) = req.str("name") {
                let n = name.chars().count();
                if n == 0 || n > TOPIC_NAME_LIMIT {
                    return Err(ApiError::bad("TOPIC_NAME_INVALID"));
                }
            }
        }
        "answerCallbackQuery" if req.str("text").is_some_and(|t| t.chars().count() > 200) => {
            return Err(ApiError::bad("MESSAGE_TOO_LONG"));
        }
        _ => {}
    }
    if let Some(markup) = req.get("reply_markup") {
        check_keyboard(markup)?;
    }
    Ok(())
}

/// Applies `parse_mode` (or takes `entities`/`caption_entities` as given).
pub(crate) fn parse_text(req: &Req, key: &str) -> Result<markup::Parsed, ApiError> {
    let raw = req.str(key).unwrap_or_default();
    let mut parsed = markup::parse(raw, req.str("parse_mode")).map_err(|d| ApiError::new(400, d))?;
    let entities_key = if key == "caption" { "caption_entities" } else { "entities" };
    if let Some(Value::Array(given)) = req.get(entities_key) {
        parsed.entities = given.clone();
    }
    Ok(parsed)
}

fn check_text(text: &str, limit: usize, too_long: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::bad("message text is empty"));
    }
    if markup::utf16_len(text) > limit {
        return Err(ApiError::bad(too_long));
    }
    Ok(())
}

fn check_keyboard(markup: &Value) -> Result<(), ApiError> {
    let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array) else {
        return Ok(());
    };
    const ACTIONS: [&str; 10] = [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ];
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        if button.get("text").and_then(Value::as_str).unwrap_or_default().is_empty() {
            return Err(ApiError::bad("BUTTON_TEXT_INVALID"));
        }
        if !ACTIONS.iter().any(|a| button.get(*a).is_some()) {
            return Err(ApiError::bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            ));
        }
        if let Some(data) = button.get("callback_data") {
            let len = data.as_str().map(str::len).unwrap_or(0);
            if !(1..=64).contains(&len) {
                return Err(ApiError::bad("BUTTON_DATA_INVALID"));
            }
        }
        if let Some(url) = button.get("url").and_then(Value::as_str) {
            let ok = ["http://", "https://", "tg://"].iter().any(|p| url.starts_with(p)) && url.len() > 8;
            if !ok {
                return Err(ApiError::bad("BUTTON_URL_INVALID"));
            }
        }
    }
    Ok(())
}

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
