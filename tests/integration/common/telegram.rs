//! The Telegram side of the scenarios: the people (fake users with their ids and roles), the
//! chats, the bot's settings, and the fake's and the dispatcher's limits (fast, or Telegram's
//! scaled down 100-fold on both sides alike).

use super::Squad;
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser, StoredMessage};
use mission_control::configuration::{Settings, TelegramMode, TelegramSettings};
use mission_control::telegram::make_bot;
use mission_control::telegram::outbox::limiter::Limits;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use std::time::Duration;
use teloxide::Bot;

pub const TOKEN: &str = "4242:bot-test-token";
/// A forum supergroup ("OpenClaw ops").
pub const FORUM: i64 = -100_500;
/// A plain group (a supergroup without topics unless the world says otherwise).
pub const GROUP: i64 = -100_600;
/// In `telegram.admins`: the CAO.
pub const SOFIE: i64 = 1001;
/// An operator.
pub const OLGA: i64 = 1002;
/// A viewer.
pub const VIC: i64 = 1003;
/// Nobody: no role.
pub const EVE: i64 = 1666;
/// How long a scenario waits for something to show in the chat.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn sofie() -> FakeUser {
    FakeUser::new(SOFIE, "Sofie").with_language("en")
}

pub fn olga() -> FakeUser {
    FakeUser::new(OLGA, "Olga")
}

pub fn vic() -> FakeUser {
    FakeUser::new(VIC, "Vic")
}

pub fn eve() -> FakeUser {
    FakeUser::new(EVE, "Eve")
}

/// The bot's settings against the fake: long polling, Sofie as the admin, English by default.
pub fn settings(tg: &FakeBotApi) -> TelegramSettings {
    TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        mode: TelegramMode::Polling,
        webhook_url: String::new(),
        webhook_secret: String::new(),
        admins: vec![SOFIE],
        default_lang: "en".into(),
        mini_app_name: String::new(),
    }
}

/// A Bot API client of the fake.
pub fn bot(tg: &FakeBotApi) -> Bot {
    make_bot(&settings(tg)).unwrap()
}

/// The fake with Telegram's own limits and `chat` (of `kind`) bound to the project. The seed's
/// notices, written while no chat was bound, are skipped first (else they would all reach it).
pub async fn bound_fake(s: &Squad, chat: i64, kind: ChatKind) -> FakeBotApi {
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    tg.add_chat(chat, kind, "OpenClaw ops");
    Dispatcher::new(s.app.clone(), bot(&tg), DispatchOptions::default())
        .tick()
        .await
        .unwrap();
    s.bind(chat, kind == ChatKind::Supergroup { forum: true }).await;
    tg
}

/// The service's settings for webhook mode against the fake, with `admin` as the admin.
pub fn webhook_settings(tg: &FakeBotApi, admin: i64, secret: &str) -> Settings {
    Settings::load_from(
        None,
        [
            ("MC_TELEGRAM__TOKEN", TOKEN.to_string()),
            ("MC_TELEGRAM__API_URL", tg.url()),
            ("MC_TELEGRAM__MODE", "webhook".into()),
            ("MC_TELEGRAM__WEBHOOK_URL", "https://mc.example.com/telegram/webhook".into()),
            ("MC_TELEGRAM__WEBHOOK_SECRET", secret.into()),
            ("MC_TELEGRAM__ADMINS", admin.to_string()),
            ("MC_JOBS__ENABLED", "false".into()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    )
    .unwrap()
}

/// Telegram's limits would make most scenarios wait; the limit tests scale them instead.
pub fn fast_fake() -> FakeConfig {
    FakeConfig {
        per_chat_interval: Duration::from_millis(1),
        per_chat_burst: 10_000,
        group_per_minute: 100_000,
        global_per_second: 100_000,
        ..FakeConfig::default()
    }
}

pub fn fast_dispatch() -> DispatchOptions {
    DispatchOptions {
        limits: Limits {
            per_chat_interval: Duration::from_millis(1),
            group_per_minute: 100_000,
            global_per_second: 100_000,
            margin: Duration::ZERO,
        },
        ..quick()
    }
}

/// Quick retries and short waits, so that scenarios run in seconds (Telegram's own limits).
pub fn quick() -> DispatchOptions {
    DispatchOptions {
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        poll_interval: Duration::from_millis(200),
        idle_poll: Duration::from_secs(1),
        standby_retry: Duration::from_millis(100),
        lock_check: Duration::from_secs(1),
        drain_timeout: Duration::from_secs(3),
        ..DispatchOptions::default()
    }
}

/// Telegram's limits scaled down 100-fold, the same on both sides: the fake enforces them and
/// the dispatcher paces by them (binding a forum makes a topic for every open task, which at
/// the real pace takes minutes).
const PER_CHAT: Duration = Duration::from_millis(10);
const GROUP_PER_MINUTE: u32 = 2000;
const GLOBAL_PER_SECOND: u32 = 300;

pub fn scaled_fake() -> FakeConfig {
    FakeConfig {
        per_chat_interval: PER_CHAT,
        per_chat_burst: 1,
        group_per_minute: GROUP_PER_MINUTE,
        global_per_second: GLOBAL_PER_SECOND,
        ..FakeConfig::default()
    }
}

pub fn scaled_dispatch() -> DispatchOptions {
    DispatchOptions {
        limits: Limits {
            per_chat_interval: PER_CHAT,
            group_per_minute: GROUP_PER_MINUTE,
            global_per_second: GLOBAL_PER_SECOND,
            margin: Duration::from_millis(5),
        },
        ..quick()
    }
}

pub fn text(m: &StoredMessage) -> &str {
    m.text.as_deref().unwrap_or_default()
}

pub fn labels(m: &StoredMessage) -> Vec<String> {
    m.buttons().into_iter().map(|b| b.text).collect()
}

/// Every text in `chat` (in `thread`, or anywhere), the users' and the bot's, oldest first.
pub fn texts(tg: &FakeBotApi, chat: i64, thread: Option<i32>) -> Vec<String> {
    tg.messages_in(chat, thread).into_iter().filter_map(|m| m.text).collect()
}
