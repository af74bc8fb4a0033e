//! The update queue: `getUpdates` (offset, limit, allowed_updates) and the test-side injectors.

use super::markup;
use super::render;
use super::request::{ApiError, Req};
use super::state::{now_unix, ChatKind, FakeUser, Queued, Sender, State, StoredMessage};
use super::topics;
use serde_json::{json, Value};
use std::time::Duration;

/// A `getUpdates` call's arguments.
#[derive(Debug, Clone)]
pub(crate) struct Poll {
    pub limit: usize,
    pub timeout: Duration,
}

/// Update kinds delivered when `allowed_updates` is empty or was never given.
const NOT_BY_DEFAULT: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

/// Starts a `getUpdates`: refuses it while a webhook is set, confirms what the offset confirms,
/// remembers `allowed_updates`.
pub(crate) fn begin(st: &mut State, req: &Req) -> Result<Poll, ApiError> {
    if st.webhook.is_some() {
        return Err(ApiError::new(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        ));
    }
    match req.i64("offset") {
        Some(offset) if offset > 0 => st.updates.retain(|u| i64::from(u.id) >= offset || (u.redelivery && !u.delivered)),
        Some(offset) if offset < 0 => {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while st.updates.len() > keep {
                st.updates.pop_front();
            }
        }
        _ => {}
    }
    if let Some(Value::Array(allowed)) = req.get("allowed_updates") {
        st.allowed_updates = Some(allowed.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    }
    let limit = req.i64("limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(req.i64("timeout").unwrap_or(0).max(0) as u64);
    Ok(Poll { limit, timeout })
}

fn kind_of(update: &Value) -> Option<&str> {
    update.as_object()?.keys().find(|k| *k != "update_id").map(String::as_str)
}

/// The updates to hand out now; those the bot did not ask for are dropped, as Telegram does.
pub(crate) fn take(st: &mut State, poll: &Poll) -> Vec<Value> {
    let allowed = st.allowed_updates.clone().filter(|a| !a.is_empty());
    st.updates.retain(|u| {
        let kind = kind_of(&u.value).unwrap_or_default();
        match &allowed {
            Some(list) => list.iter().any(|a| a == kind),
            None => !NOT_BY_DEFAULT.contains(&kind),
        }
    });
    st.updates
        .iter_mut()
        .filter(|u| !(u.redelivery && u.delivered))
        .take(poll.limit)
        .map(|u| {
            u.delivered = true;
            u.value.clone()
        })
        .collect()
}

// ---- test-side injectors ----

fn user_msg(chat: i64, id: i32, user: &FakeUser, text: &str, thread: Option<i32>, reply_to: Option<i32>) -> StoredMessage {
    StoredMessage {
        chat_id: chat,
        message_id: id,
        thread_id: thread,
        from: Sender::User(user.id),
        date: now_unix(),
        text: Some(text.to_owned()),
        caption: None,
        raw_text: Some(text.to_owned()),
        parse_mode: None,
        entities: markup::command_entities(text),
        reply_markup: None,
        photo: None,
        document: None,
        edited: 0,
        edit_date: None,
        deleted: false,
        reply_to,
        service: None,
    }
}

fn known_chat(st: &mut State, chat: i64, user: &FakeUser) {
    st.users.insert(user.id, user.clone());
    if chat == user.id {
        st.ensure_private_chat(user);
    }
    assert!(
        st.chats.contains_key(&chat),
        "fake Telegram: chat {chat} is unknown; call add_chat first"
    );
}

/// A user's message (a reply when `reply_to` is set; the thread then defaults to the replied one's).
pub(crate) fn user_message(st: &mut State, chat: i64, user: &FakeUser, text: &str, thread: Option<i32>, reply_to: Option<i32>) -> i32 {
    known_chat(st, chat, user);
    let thread = thread.or_else(|| reply_to.and_then(|r| st.message(chat, r)).and_then(|m| m.thread_id));
    let id = st.next_message_id(chat);
    let msg = user_msg(chat, id, user, text, thread, reply_to);
    st.insert_message(msg.clone());
    let v = render::message(st, &msg);
    st.push_update(json!({"message": v}));
    id
}

/// A user edits one of their messages: an `edited_message` update.
pub(crate) fn edit_user_message(st: &mut State, chat: i64, message_id: i32, text: &str) -> u32 {
    let Some(m) = st.message_mut(chat, message_id) else {
        panic!("fake Telegram: no message {message_id} in chat {chat}")
    };
    m.text = Some(text.to_owned());
    m.raw_text = Some(text.to_owned());
    m.entities = markup::command_entities(text);
    m.edited += 1;
    m.edit_date = Some(now_unix());
    let m = m.clone();
    let v = render::message(st, &m);
    st.push_update(json!({"edited_message": v}))
}

/// A user presses an inline button: a `callback_query` update. Returns the query id.
pub(crate) fn click(st: &mut State, chat: i64, user: &FakeUser, message_id: i32, data: &str) -> String {
    st.users.insert(user.id, user.clone());
    let Some(m) = st.message(chat, message_id).cloned() else {
        panic!("fake Telegram: no message {message_id} in chat {chat}")
    };
    let id = st.new_callback_id();
    let query = json!({
        "id": id,
        "from": render::user(user),
        "message": render::message(st, &m),
        "chat_instance": format!("{}", chat.unsigned_abs().wrapping_mul(31) ^ 0x5eed),
        "data": data,
    });
    st.push_update(json!({"callback_query": query}));
    id
}

/// A user creates a topic: a `forum_topic_created` service message update. Returns the thread id.
pub(crate) fn user_create_topic(st: &mut State, chat: i64, user: &FakeUser, name: &str) -> i32 {
    known_chat(st, chat, user);
    assert!(
        st.chats.get(&chat).is_some_and(|c| c.kind == ChatKind::Supergroup { forum: true }),
        "fake Telegram: chat {chat} is not a forum"
    );
    let topic = topics::open_topic(st, chat, name, topics::ICON_COLORS[0], None, Sender::User(user.id));
    if let Some(m) = st.message(chat, topic.thread_id).cloned() {
        let v = render::message(st, &m);
        st.push_update(json!({"message": v}));
    }
    topic.thread_id
}

/// Queues the last update again with its own id, as a redelivery after a lost confirmation.
pub(crate) fn duplicate_last(st: &mut State) -> Option<u32> {
    let mut last: Queued = st.last_update.clone()?;
    last.redelivery = true;
    last.delivered = false;
    let id = last.id;
    st.updates.push_back(last);
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::FakeConfig;
    use serde_json::Map;
    use std::collections::HashMap;

    fn poll(st: &mut State, params: Value) -> Vec<Value> {
        let p: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
        let files = HashMap::new();
        let req = Req {
            method: "getUpdates",
            p: &p,
            files: &files,
        };
        let poll = begin(st, &req).unwrap();
        take(st, &poll)
    }

    fn ids(v: &[Value]) -> Vec<u64> {
        v.iter().filter_map(|u| u["update_id"].as_u64()).collect()
    }

    #[test]
    fn offsets_confirm_and_limits_cut() {
        let mut st = State::new("1:x", FakeConfig::default());
        let a = st.push_update(json!({"message": {}}));
        let b = st.push_update(json!({"message": {}}));
        let c = st.push_update(json!({"message": {}}));
        assert_eq!(ids(&poll(&mut st, json!({}))), vec![a as u64, b as u64, c as u64]);
        assert_eq!(ids(&poll(&mut st, json!({"limit": 1}))), vec![a as u64]);
        assert_eq!(ids(&poll(&mut st, json!({"offset": b}))), vec![b as u64, c as u64]);
        assert_eq!(st.pending_updates(), 2);
        assert!(poll(&mut st, json!({"offset": c + 1})).is_empty());
        assert_eq!(st.pending_updates(), 0);
    }

    #[test]
    fn negative_offset_keeps_the_tail() {
        let mut st = State::new("1:x", FakeConfig::default());
        for _ in 0..5 {
            st.push_update(json!({"message": {}}));
        }
        assert_eq!(poll(&mut st, json!({"offset": -2})).len(), 2);
    }

    #[test]
    fn redelivery_is_seen_once_more() {
        let mut st = State::new("1:x", FakeConfig::default());
        let a = st.push_update(json!({"message": {}}));
        assert_eq!(poll(&mut st, json!({})).len(), 1);
        assert_eq!(duplicate_last(&mut st), Some(a));
        let again = poll(&mut st, json!({"offset": a + 1}));
        assert_eq!(ids(&again), vec![a as u64]);
        assert!(poll(&mut st, json!({"offset": a + 1})).is_empty());
    }

    #[test]
    fn allowed_updates_filter() {
        let mut st = State::new("1:x", FakeConfig::default());
        st.push_update(json!({"message_reaction": {}}));
        st.push_update(json!({"callback_query": {}}));
        let m = st.push_update(json!({"message": {}}));
        assert_eq!(poll(&mut st, json!({})).len(), 2);
        assert_eq!(ids(&poll(&mut st, json!({"allowed_updates": ["message"]}))), vec![m as u64]);
    }
}
