//! A fake Telegram Bot API server that the project owns, for tests and benchmarks.
//!
//! It serves `/bot<token>/<method>` on 127.0.0.1 and:
//! - checks every call against the official method list (`telegram/botapi.json`, MIT licensed, see
//!   `telegram/LICENSE-botapi.json.txt`): unknown method → 404, missing required field or wrong basic
//!   type → 400; such refusals are [`FakeBotApi::violations`];
//! - enforces Telegram's flood limits on every call that acts on a chat (see [`FakeConfig`]), answering
//!   429 with `retry_after`, counted in [`FakeBotApi::rate_limited`];
//! - injects faults on demand: error answers ([`FakeBotApi::fail_next`]), slow answers
//!   ([`FakeBotApi::delay_next`]) and connections closed without an answer
//!   ([`FakeBotApi::drop_next`], [`FakeBotApi::drop_reply_next`]);
//! - keeps chats, messages, forum topics, callback queries and commands, answering in the shapes
//!   teloxide deserializes;
//! - queues updates for `getUpdates` long polling, injected from the test side
//!   ([`FakeBotApi::user_message`], [`FakeBotApi::click`], …).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use fake_telegram::{ChatKind, FakeBotApi, FakeUser};
//! let tg = FakeBotApi::start("123:secret").await?;
//! tg.add_chat(-100, ChatKind::Supergroup { forum: true }, "Squad");
//! // bot config: api_url = tg.url(), token = "123:secret"
//! tg.user_message(-100, &FakeUser::new(7, "Ann"), "/status", None);
//! tg.wait_until(|s| !s.bot_messages_in(-100, None).is_empty(), std::time::Duration::from_secs(5)).await?;
//! assert!(tg.violations().is_empty() && tg.rate_limited() == 0);
//! # Ok(()) }
//! ```

mod faults;
mod limits;
mod markup;
mod messages;
mod methods;
mod render;
mod request;
mod schema;
mod server;
mod state;
mod topics;
mod updates;

pub use faults::Fault;
pub use limits::{FakeConfig, LimitKind, Limited, Limiter};
pub use markup::{parse as parse_text, Parsed};
pub use schema::{schema as botapi_schema, Schema};
pub use state::{Button, Call, Chat, ChatKind, Encoding, FakeUser, FileInfo, MemberStatus, Sender, State, StoredMessage, Topic, Upload};

use anyhow::Context;
use serde_json::Value;
use server::Shared;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

/// A running fake. Dropping it stops the server.
pub struct FakeBotApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeBotApi {
    /// Starts a fake for `token` with Telegram's limits, on 127.0.0.1 at a free port.
    pub async fn start(token: &str) -> anyhow::Result<FakeBotApi> {
        Self::start_with(token, FakeConfig::default()).await
    }

    /// Starts a fake with the given limits.
    pub async fn start_with(token: &str, config: FakeConfig) -> anyhow::Result<FakeBotApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fake Telegram server")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            state: Mutex::new(State::new(token, config)),
            changed: Notify::new(),
            updates: Notify::new(),
        });
        let app = server::router(shared.clone()).into_make_service_with_connect_info::<faults::ConnHandle>();
        let listener = faults::FaultListener(listener);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "fake Telegram server stopped");
            }
        });
        Ok(FakeBotApi {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL (`http://127.0.0.1:<port>`): the bot's `api_url`. Calls go to
    /// `{url}/bot{token}/{method}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's user id (the token's numeric prefix).
    pub fn bot_id(&self) -> i64 {
        self.shared.lock().bot_id
    }

    /// Stops the server; pending `getUpdates` return at once.
    pub async fn shutdown(mut self) {
        self.close();
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(2), task).await.is_err() {
                tracing::warn!("fake Telegram server did not stop within 2 s");
            }
        }
    }

    fn close(&mut self) {
        self.shared.lock().closed = true;
        self.shared.notify_all();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    // ---- reading the state ----

    /// Runs `f` on the state under its lock.
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.shared.lock())
    }

    /// Waits until `predicate` holds, re-checking after every change.
    pub async fn wait_until(&self, mut predicate: impl FnMut(&State) -> bool, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if predicate(&self.shared.lock()) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                let recent: Vec<String> = self.with_state(|s| {
                    s.calls()
                        .iter()
                        .rev()
                        .take(10)
                        .map(|c| format!("{} → {} {}", c.method, c.status, c.description.clone().unwrap_or_default()))
                        .collect()
                });
                anyhow::bail!("fake Telegram: condition not met within {timeout:?}; last calls (newest first): {recent:#?}");
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with_state(|s| s.calls().to_vec())
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.with_state(|s| s.calls_to(method))
    }

    /// Calls refused by validation: wrong token, unknown method, missing or mistyped parameter.
    pub fn violations(&self) -> Vec<Call> {
        self.with_state(State::violations)
    }

    /// `(method, parameter)` pairs the official list does not know (Telegram silently ignores them).
    pub fn unknown_params(&self) -> Vec<(String, String)> {
        self.with_state(|s| {
            s.calls()
                .iter()
                .flat_map(|c| c.unknown_params.iter().map(|p| (c.method.clone(), p.clone())))
                .collect()
        })
    }

    /// Calls answered 429 by a flood limit.
    pub fn rate_limited(&self) -> u64 {
        self.with_state(State::rate_limited)
    }

    /// Forgets recorded calls and the 429 count (state and limits stay).
    pub fn reset_records(&self) {
        let mut st = self.shared.lock();
        st.calls.clear();
        st.rate_limited = 0;
    }

    pub fn messages_in(&self, chat_id: i64, thread: Option<i32>) -> Vec<StoredMessage> {
        self.with_state(|s| s.messages_in(chat_id, thread))
    }

    pub fn bot_messages_in(&self, chat_id: i64, thread: Option<i32>) -> Vec<StoredMessage> {
        self.with_state(|s| s.bot_messages_in(chat_id, thread))
    }

    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<StoredMessage> {
        self.with_state(|s| s.message(chat_id, message_id).cloned())
    }

    pub fn topics(&self, chat_id: i64) -> Vec<Topic> {
        self.with_state(|s| s.topics(chat_id))
    }

    pub fn unanswered_callbacks(&self) -> Vec<String> {
        self.with_state(State::unanswered_callbacks)
    }

    /// Commands set for the default scope and a language (`""` for none).
    /// The menu button `setChatMenuButton` set for `chat` (None: the default), if any.
    pub fn menu_button(&self, chat: Option<i64>) -> Option<Value> {
        self.with_state(|s| s.menu_buttons.get(&chat).cloned())
    }

    pub fn my_commands(&self, language_code: &str) -> Option<Value> {
        self.with_state(|s| s.my_commands(language_code))
    }

    pub fn pending_updates(&self) -> usize {
        self.with_state(State::pending_updates)
    }

    // ---- arranging the world ----

    fn mutate<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = f(&mut self.shared.lock());
        self.shared.notify_all();
        r
    }

    /// Registers a chat. For a private chat `title` is the user's first name.
    pub fn add_chat(&self, id: i64, kind: ChatKind, title: &str) {
        self.mutate(|s| {
            s.chats.insert(
                id,
                Chat {
                    id,
                    kind,
                    title: title.to_owned(),
                    username: None,
                },
            );
        });
    }

    /// Upgrades group `old` to supergroup `new` (same title), as Telegram does when a group
    /// turns on a feature only supergroups have: from now on every call naming `old` is refused
    /// with 400 and `parameters.migrate_to_chat_id`. No service message is queued (a bot may
    /// well learn of the move from a refused send first).
    pub fn migrate_chat(&self, old: i64, new: i64) {
        self.mutate(|s| {
            let title = s.chats.get(&old).map(|c| c.title.clone()).unwrap_or_default();
            s.chats.insert(
                new,
                Chat {
                    id: new,
                    kind: ChatKind::Supergroup { forum: false },
                    title,
                    username: None,
                },
            );
            s.migrated.insert(old, new);
        });
    }

    pub fn add_user(&self, user: &FakeUser) {
        self.mutate(|s| {
            s.users.insert(user.id, user.clone());
        });
    }

    /// Sets what `getChatMember` says of a user (or of the bot) in a chat.
    pub fn set_member(&self, chat_id: i64, user_id: i64, status: MemberStatus) {
        self.mutate(|s| {
            s.members.insert((chat_id, user_id), status);
        });
    }

    /// A human deletes a topic (and its messages): sending into it then fails with
    /// `message thread not found`.
    pub fn delete_topic(&self, chat_id: i64, thread: i32) -> bool {
        self.mutate(|s| topics::remove(s, chat_id, thread))
    }

    /// A human closes a topic: sending into it then fails with `TOPIC_CLOSED`.
    pub fn close_topic(&self, chat_id: i64, thread: i32) -> bool {
        self.mutate(|s| match s.topics.get_mut(&(chat_id, thread)) {
            Some(t) if !t.deleted => {
                t.closed = true;
                true
            }
            _ => false,
        })
    }

    /// The next `times` calls to `method` fail with `status` (429 carries `retry_after: 1`).
    /// Note that teloxide sleeps 10 s before reading any 5xx answer.
    pub fn fail_next(&self, method: &str, status: u16, times: usize) {
        self.mutate(|s| {
            s.failures
                .entry(method.to_owned())
                .or_default()
                .extend(std::iter::repeat_n(status, times))
        });
    }

    /// The next `times` calls to `method` are answered only after `wait` (and take effect then).
    pub fn delay_next(&self, method: &str, wait: Duration, times: usize) {
        self.fault(method, Fault::Delay(wait), times);
    }

    /// The next `times` calls to `method` get no answer: the connection is closed and the call
    /// does not take effect (the bot sees a network error).
    pub fn drop_next(&self, method: &str, times: usize) {
        self.fault(method, Fault::Drop, times);
    }

    /// The next `times` calls to `method` take effect, then the connection is closed without an
    /// answer: the bot cannot tell that they worked.
    pub fn drop_reply_next(&self, method: &str, times: usize) {
        self.fault(method, Fault::DropAfter, times);
    }

    /// Faults still waiting for a call to `method` (a call takes its fault when it arrives, so
    /// a delayed call is in progress once its fault is gone).
    pub fn faults_left(&self, method: &str) -> usize {
        self.with_state(|st| st.faults.get(method).map_or(0, |q| q.len()))
    }

    fn fault(&self, method: &str, fault: Fault, times: usize) {
        self.mutate(|s| {
            s.faults
                .entry(method.to_owned())
                .or_default()
                .extend(std::iter::repeat_n(fault, times))
        });
    }

    // ---- updates from users ----

    /// A user writes `text` in a chat (in topic `thread_id` of a forum). A private chat with the
    /// user is created when `chat_id` is the user's id. Returns the message id.
    pub fn user_message(&self, chat_id: i64, user: &FakeUser, text: &str, thread_id: Option<i32>) -> i32 {
        self.mutate(|s| updates::user_message(s, chat_id, user, text, thread_id, None))
    }

    /// A user replies to message `reply_to` (in its topic). Returns the message id.
    pub fn user_reply(&self, chat_id: i64, user: &FakeUser, reply_to: i32, text: &str) -> i32 {
        self.mutate(|s| updates::user_message(s, chat_id, user, text, None, Some(reply_to)))
    }

    /// A user edits their message: an `edited_message` update. Returns the update id.
    pub fn edit_user_message(&self, chat_id: i64, message_id: i32, new_text: &str) -> u32 {
        self.mutate(|s| updates::edit_user_message(s, chat_id, message_id, new_text))
    }

    /// A user presses a button with `data` under message `message_id`: a `callback_query`
    /// update. Returns the callback query id, to be answered with `answerCallbackQuery`.
    pub fn click(&self, chat_id: i64, user: &FakeUser, message_id: i32, data: &str) -> String {
        self.mutate(|s| updates::click(s, chat_id, user, message_id, data))
    }

    /// Like [`FakeBotApi::click`], finding the button by its text; fails when the message has no
    /// such callback button.
    pub fn click_button(&self, chat_id: i64, user: &FakeUser, message_id: i32, button_text: &str) -> anyhow::Result<String> {
        let data = self
            .message(chat_id, message_id)
            .filter(|m| !m.deleted)
            .and_then(|m| m.buttons().into_iter().find(|b| b.text == button_text))
            .and_then(|b| b.callback_data)
            .with_context(|| format!("no callback button {button_text:?} under message {message_id} in chat {chat_id}"))?;
        Ok(self.click(chat_id, user, message_id, &data))
    }

    /// A user creates a forum topic. Returns its thread id.
    pub fn user_create_topic(&self, chat_id: i64, user: &FakeUser, name: &str) -> i32 {
        self.mutate(|s| updates::user_create_topic(s, chat_id, user, name))
    }

    /// Queues any update (`update_id` is assigned when missing). Returns its id.
    pub fn push_raw_update(&self, update: Value) -> u32 {
        self.mutate(|s| s.push_update(update))
    }

    /// Delivers the last queued update once more, with the same id (a redelivery).
    pub fn duplicate_last_update(&self) -> Option<u32> {
        self.mutate(updates::duplicate_last)
    }
}

impl Drop for FakeBotApi {
    fn drop(&mut self) {
        self.close();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
