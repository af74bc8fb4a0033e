//! What the fake remembers: chats, users, messages, topics, pending updates and every call.
//! Tests read it through [`State`]'s accessors (directly, or in `wait_until` predicates).

use super::limits::{FakeConfig, Limiter};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The kind of a chat the fake knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Private,
    Group,
    Supergroup { forum: bool },
    Channel,
}

/// A chat registered with [`super::FakeBotApi::add_chat`] (or created by a user's first private message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: i64,
    pub kind: ChatKind,
    /// The group's title, or the private chat's first name.
    pub title: String,
    pub username: Option<String>,
}

impl Chat {
    pub fn is_forum(&self) -> bool {
        matches!(self.kind, ChatKind::Supergroup { forum: true })
    }
}

/// A human on the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl FakeUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        FakeUser {
            id,
            first_name: first_name.to_owned(),
            username: None,
            language_code: None,
        }
    }

    pub fn with_username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    pub fn with_language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }
}

/// A user's standing in a chat, as `getChatMember` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Creator,
    Administrator,
    Member,
    Left,
    Kicked,
}

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Bot,
    User(i64),
}

/// A file the bot uploaded (or referenced by file id / URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub size: usize,
    pub bytes: Vec<u8>,
    /// Read from the PNG header when the bytes are a PNG.
    pub width: u32,
    pub height: u32,
}

/// One inline keyboard button, for assertions and [`super::FakeBotApi::click_button`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

/// A message as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub chat_id: i64,
    pub message_id: i32,
    pub thread_id: Option<i32>,
    pub from: Sender,
    pub date: i64,
    /// Text as Telegram shows it (markup of `parse_mode` removed).
    pub text: Option<String>,
    pub caption: Option<String>,
    /// The text as the bot sent it, before `parse_mode` was applied.
    pub raw_text: Option<String>,
    pub parse_mode: Option<String>,
    pub entities: Vec<Value>,
    /// The `reply_markup` parameter as sent (inline keyboards are echoed back in `Message`).
    pub reply_markup: Option<Value>,
    pub photo: Option<FileInfo>,
    pub document: Option<FileInfo>,
    pub edited: u32,
    pub edit_date: Option<i64>,
    pub deleted: bool,
    pub reply_to: Option<i32>,
    /// For service messages, e.g. `{"forum_topic_created": {...}}`.
    pub service: Option<Value>,
}

impl StoredMessage {
    pub fn is_from_bot(&self) -> bool {
        self.from == Sender::Bot
    }

    pub fn is_service(&self) -> bool {
        self.service.is_some()
    }

    pub fn has_photo(&self) -> bool {
        self.photo.is_some()
    }

    /// Bytes of the uploaded photo, if any.
    pub fn photo_len(&self) -> Option<usize> {
        self.photo.as_ref().map(|p| p.size)
    }

    /// The text, or the caption of a media message.
    pub fn body(&self) -> Option<&str> {
        self.text.as_deref().or(self.caption.as_deref())
    }

    /// The inline keyboard's buttons, row by row, flattened.
    pub fn buttons(&self) -> Vec<Button> {
        let Some(rows) = self
            .reply_markup
            .as_ref()
            .and_then(|m| m.get("inline_keyboard"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        rows.iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|b| Button {
                text: b.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                callback_data: b.get("callback_data").and_then(Value::as_str).map(str::to_owned),
                url: b.get("url").and_then(Value::as_str).map(str::to_owned),
            })
            .collect()
    }
}

/// A forum topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub chat_id: i64,
    pub thread_id: i32,
    pub name: String,
    pub icon_color: u32,
    pub icon_custom_emoji_id: Option<String>,
    pub closed: bool,
    pub deleted: bool,
    pub edited: u32,
}

/// How a call's parameters arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Multipart,
    FormUrlEncoded,
    Query,
    Empty,
}

/// A file part of a multipart call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub part: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: usize,
}

/// One call the bot made, whatever came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    /// The parameters as a JSON object (text parameters typed per the method's schema).
    pub params: Value,
    pub at: Instant,
    pub encoding: Encoding,
    pub uploads: Vec<Upload>,
    /// HTTP status of the answer (200 on success).
    pub status: u16,
    /// The error description when refused.
    pub description: Option<String>,
    /// Refused by validation: wrong token, unknown method, missing field, wrong type, unreadable body.
    pub violation: bool,
    /// Refused by a flood limit (429).
    pub rate_limited: bool,
    /// Failed on purpose by [`super::FakeBotApi::fail_next`].
    pub injected: bool,
    /// Answered late on purpose by [`super::FakeBotApi::delay_next`], by this much.
    pub delayed: Option<std::time::Duration>,
    /// Its connection was closed without an answer by [`super::FakeBotApi::drop_next`] (status 0:
    /// the call did not take effect) or [`super::FakeBotApi::drop_reply_next`] (it did).
    pub dropped: bool,
    /// Parameters the official method list does not have (Telegram ignores them silently).
    pub unknown_params: Vec<String>,
}

impl Call {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }
}

/// A queued update; `redelivery` ones survive one confirmation so that they are seen twice.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub id: u32,
    pub value: Value,
    pub redelivery: bool,
    pub delivered: bool,
}

/// Everything the fake knows. Read it through the accessors.
#[derive(Debug)]
pub struct State {
    pub(crate) cfg: FakeConfig,
    pub(crate) bot_id: i64,
    pub(crate) chats: BTreeMap<i64, Chat>,
    pub(crate) users: HashMap<i64, FakeUser>,
    pub(crate) members: HashMap<(i64, i64), MemberStatus>,
    pub(crate) messages: BTreeMap<i64, BTreeMap<i32, StoredMessage>>,
    pub(crate) next_message_id: HashMap<i64, i32>,
    pub(crate) topics: BTreeMap<(i64, i32), Topic>,
    pub(crate) updates: VecDeque<Queued>,
    pub(crate) next_update_id: u32,
    pub(crate) last_update: Option<Queued>,
    pub(crate) allowed_updates: Option<Vec<String>>,
    pub(crate) poll_generation: u64,
    pub(crate) closed: bool,
    pub(crate) calls: Vec<Call>,
    pub(crate) rate_limited: u64,
    pub(crate) callbacks: BTreeMap<String, bool>,
    pub(crate) next_callback: u64,
    pub(crate) commands: BTreeMap<(String, String), Value>,
    /// `setChatMenuButton`'s buttons by chat (None: the default for private chats).
    pub(crate) menu_buttons: BTreeMap<Option<i64>, Value>,
    pub(crate) webhook: Option<String>,
    pub(crate) failures: HashMap<String, VecDeque<u16>>,
    pub(crate) faults: HashMap<String, VecDeque<super::faults::Fault>>,
    pub(crate) limiter: Limiter,
    pub(crate) files: HashMap<String, FileInfo>,
    pub(crate) next_file: u64,
    /// Groups upgraded to supergroups: old id → new id (calls to the old id are refused).
    pub(crate) migrated: HashMap<i64, i64>,
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl State {
    pub(crate) fn new(token: &str, cfg: FakeConfig) -> Self {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .unwrap_or(4_242_424_242);
        State {
            cfg,
            bot_id,
            chats: BTreeMap::new(),
            users: HashMap::new(),
            members: HashMap::new(),
            messages: BTreeMap::new(),
            next_message_id: HashMap::new(),
            topics: BTreeMap::new(),
            updates: VecDeque::new(),
            next_update_id: 100_000,
            last_update: None,
            allowed_updates: None,
            poll_generation: 0,
            closed: false,
            calls: Vec::new(),
            rate_limited: 0,
            callbacks: BTreeMap::new(),
            next_callback: 1,
            commands: BTreeMap::new(),
            menu_buttons: BTreeMap::new(),
            webhook: None,
            failures: HashMap::new(),
            faults: HashMap::new(),
            limiter: Limiter::default(),
            files: HashMap::new(),
            next_file: 1,
            migrated: HashMap::new(),
        }
    }

    /// The bot's user id (the token's numeric prefix).
    pub fn bot_id(&self) -> i64 {
        self.bot_id
    }

    pub fn config(&self) -> &FakeConfig {
        &self.cfg
    }

    pub fn chat(&self, id: i64) -> Option<&Chat> {
        self.chats.get(&id)
    }

    pub fn chats(&self) -> Vec<Chat> {
        self.chats.values().cloned().collect()
    }

    /// Messages in a chat, oldest first, deleted and service messages left out. `thread: None` means
    /// the whole chat; `Some(t)` only topic `t`.
    pub fn messages_in(&self, chat: i64, thread: Option<i32>) -> Vec<StoredMessage> {
        self.all_messages_in(chat)
            .into_iter()
            .filter(|m| !m.deleted && !m.is_service() && (thread.is_none() || m.thread_id == thread))
            .collect()
    }

    /// Like [`State::messages_in`], only what the bot sent.
    pub fn bot_messages_in(&self, chat: i64, thread: Option<i32>) -> Vec<StoredMessage> {
        self.messages_in(chat, thread)
            .into_iter()
            .filter(StoredMessage::is_from_bot)
            .collect()
    }

    /// Every message of a chat, deleted and service ones included.
    pub fn all_messages_in(&self, chat: i64) -> Vec<StoredMessage> {
        self.messages.get(&chat).map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    pub fn message(&self, chat: i64, message_id: i32) -> Option<&StoredMessage> {
        self.messages.get(&chat).and_then(|m| m.get(&message_id))
    }

    /// The forum topics of a chat (deleted ones included, see [`Topic::deleted`]).
    pub fn topics(&self, chat: i64) -> Vec<Topic> {
        self.topics
            .range((chat, i32::MIN)..=(chat, i32::MAX))
            .map(|(_, t)| t.clone())
            .collect()
    }

    pub fn topic(&self, chat: i64, thread: i32) -> Option<&Topic> {
        self.topics.get(&(chat, thread))
    }

    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    pub fn violations(&self) -> Vec<Call> {
        self.calls.iter().filter(|c| c.violation).cloned().collect()
    }

    pub fn rate_limited(&self) -> u64 {
        self.rate_limited
    }

    /// Updates queued and not yet confirmed by an offset.
    pub fn pending_updates(&self) -> usize {
        self.updates.len()
    }

    /// Callback queries not answered with `answerCallbackQuery`.
    pub fn unanswered_callbacks(&self) -> Vec<String> {
        self.callbacks
            .iter()
            .filter(|(_, answered)| !**answered)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The commands set with `setMyCommands` for the default scope and a language (`""` for none).
    pub fn my_commands(&self, language_code: &str) -> Option<Value> {
        self.commands.get(&(default_scope_key(), language_code.to_owned())).cloned()
    }

    pub fn webhook(&self) -> Option<&str> {
        self.webhook.as_deref()
    }

    // ---- mutation helpers used by the server and the test-side injectors ----

    pub(crate) fn next_message_id(&mut self, chat: i64) -> i32 {
        let next = self.next_message_id.entry(chat).or_insert(1);
        let id = *next;
        *next += 1;
        id
    }

    pub(crate) fn insert_message(&mut self, msg: StoredMessage) {
        self.messages.entry(msg.chat_id).or_default().insert(msg.message_id, msg);
    }

    pub(crate) fn message_mut(&mut self, chat: i64, message_id: i32) -> Option<&mut StoredMessage> {
        self.messages.get_mut(&chat).and_then(|m| m.get_mut(&message_id))
    }

    /// Queues an update, giving it the next `update_id` unless it has one.
    pub(crate) fn push_update(&mut self, mut value: Value) -> u32 {
        let id = match value.get("update_id").and_then(Value::as_u64) {
            Some(id) => {
                let id = id as u32;
                self.next_update_id = self.next_update_id.max(id + 1);
                id
            }
            None => {
                let id = self.next_update_id;
                self.next_update_id += 1;
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("update_id".into(), Value::from(id));
                }
                id
            }
        };
        let q = Queued {
            id,
            value,
            redelivery: false,
            delivered: false,
        };
        self.last_update = Some(q.clone());
        self.updates.push_back(q);
        id
    }

    pub(crate) fn new_file_id(&mut self) -> (String, String) {
        let n = self.next_file;
        self.next_file += 1;
        (format!("FAKEFILE{n:08}"), format!("U{n:08}"))
    }

    pub(crate) fn new_callback_id(&mut self) -> String {
        let n = self.next_callback;
        self.next_callback += 1;
        let id = (4_000_000_000_000_000_000u64 + n).to_string();
        self.callbacks.insert(id.clone(), false);
        id
    }

    pub(crate) fn ensure_private_chat(&mut self, user: &FakeUser) {
        self.users.insert(user.id, user.clone());
        if user.id > 0 {
            self.chats.entry(user.id).or_insert_with(|| Chat {
                id: user.id,
                kind: ChatKind::Private,
                title: user.first_name.clone(),
                username: user.username.clone(),
            });
        }
    }
}

pub(crate) fn scope_key(scope: Option<&Value>) -> String {
    match scope {
        None => default_scope_key(),
        Some(v) => {
            // Canonical form: keys sorted (serde_json's map is ordered) and chat ids as numbers.
            let mut v = v.clone();
            if let Some(Value::String(s)) = v.get("chat_id").cloned() {
                if let Ok(n) = s.parse::<i64>() {
                    v["chat_id"] = Value::from(n);
                }
            }
            v.to_string()
        }
    }
}

fn default_scope_key() -> String {
    serde_json::json!({"type": "default"}).to_string()
}
