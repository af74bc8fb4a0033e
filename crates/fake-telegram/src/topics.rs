//! Forum topics. A topic's `message_thread_id` is the id of its `forum_topic_created` service message.

use super::render;
use super::request::{ApiError, Req};
use super::state::{now_unix, Sender, State, StoredMessage, Topic};
use serde_json::{json, Value};

/// The colours Telegram allows for topic icons.
pub const ICON_COLORS: [u32; 6] = [0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F];

/// Creates a topic and its service message (by the bot or, from the test side, by a user).
pub(crate) fn open_topic(st: &mut State, chat: i64, name: &str, icon_color: u32, emoji: Option<String>, by: Sender) -> Topic {
    let thread = st.next_message_id(chat);
    let topic = Topic {
        chat_id: chat,
        thread_id: thread,
        name: name.to_owned(),
        icon_color,
        icon_custom_emoji_id: emoji,
        closed: false,
        deleted: false,
        edited: 0,
    };
    let mut created = json!({"name": name, "icon_color": icon_color});
    if let Some(e) = &topic.icon_custom_emoji_id {
        created["icon_custom_emoji_id"] = json!(e);
    }
    st.insert_message(StoredMessage {
        chat_id: chat,
        message_id: thread,
        thread_id: Some(thread),
        from: by,
        date: now_unix(),
        text: None,
        caption: None,
        raw_text: None,
        parse_mode: None,
        entities: Vec::new(),
        reply_markup: None,
        photo: None,
        document: None,
        edited: 0,
        edit_date: None,
        deleted: false,
        reply_to: None,
        service: Some(json!({"forum_topic_created": created})),
    });
    st.topics.insert((chat, thread), topic.clone());
    topic
}

fn forum_chat(st: &State, req: &Req) -> Result<i64, ApiError> {
    let chat = req.chat(st)?;
    if !chat.is_forum() {
        return Err(ApiError::bad("the chat is not a forum"));
    }
    Ok(chat.id)
}

pub(crate) fn create(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = forum_chat(st, req)?;
    let color = match req.i64("icon_color") {
        None => ICON_COLORS[0],
        Some(c) => u32::try_from(c)
            .ok()
            .filter(|c| ICON_COLORS.contains(c))
            .ok_or_else(|| ApiError::bad("TOPIC_ICON_COLOR_INVALID"))?,
    };
    let name = req.str("name").unwrap_or_default();
    let emoji = req.str("icon_custom_emoji_id").filter(|e| !e.is_empty()).map(str::to_owned);
    let topic = open_topic(st, chat, name, color, emoji, Sender::Bot);
    Ok(render::forum_topic(&topic))
}

fn live_topic<'s>(st: &'s mut State, req: &Req) -> Result<&'s mut Topic, ApiError> {
    let chat = forum_chat(st, req)?;
    let thread = req.i32("message_thread_id").unwrap_or_default();
    match st.topics.get_mut(&(chat, thread)) {
        Some(t) if !t.deleted => Ok(t),
        _ => Err(ApiError::bad("TOPIC_ID_INVALID")),
    }
}

pub(crate) fn edit(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let name = req.str("name").map(str::to_owned);
    let emoji = req.str("icon_custom_emoji_id").map(str::to_owned);
    let t = live_topic(st, req)?;
    let new_name = name.unwrap_or_else(|| t.name.clone());
    let new_emoji = match emoji {
        Some(e) if e.is_empty() => None,
        Some(e) => Some(e),
        None => t.icon_custom_emoji_id.clone(),
    };
    if new_name == t.name && new_emoji == t.icon_custom_emoji_id {
        return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
    }
    t.name = new_name;
    t.icon_custom_emoji_id = new_emoji;
    t.edited += 1;
    Ok(json!(true))
}

pub(crate) fn set_closed(st: &mut State, req: &Req, closed: bool) -> Result<Value, ApiError> {
    let t = live_topic(st, req)?;
    if t.closed == closed {
        return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
    }
    t.closed = closed;
    Ok(json!(true))
}

/// Deletes a topic and every message in it.
pub(crate) fn remove(st: &mut State, chat: i64, thread: i32) -> bool {
    let Some(t) = st.topics.get_mut(&(chat, thread)).filter(|t| !t.deleted) else {
        return false;
    };
    t.deleted = true;
    if let Some(msgs) = st.messages.get_mut(&chat) {
        for m in msgs.values_mut().filter(|m| m.thread_id == Some(thread)) {
            m.deleted = true;
        }
    }
    true
}

pub(crate) fn delete(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let t = live_topic(st, req)?;
    let (chat, thread) = (t.chat_id, t.thread_id);
    remove(st, chat, thread);
    Ok(json!(true))
}
