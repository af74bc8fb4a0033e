//! A Bot API call as the fake reads it: its parameters ([`Req`]), the checks made before the
//! flood limits ([`precheck`]) and the error answers ([`ApiError`]). What each method then does
//! is `methods.rs` (messages in `messages.rs`, forum topics in `topics.rs`), which all read their
//! calls through this module.

use super::markup;
use super::state::{Chat, State};
use serde_json::{Map, Value};
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
