//! The fake Telegram Bot API, driven by teloxide's own `Bot` to prove that what it answers is what
//! teloxide reads, and by raw HTTP for what teloxide would never send.

use fake_telegram::{ChatKind, Encoding, FakeBotApi, FakeConfig, FakeUser, MemberStatus};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommandScope, ChatAction, ChatFullInfoKind, ChatFullInfoPublicKind, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    MessageId, ParseMode, Recipient, ReplyParameters, Rgb, ThreadId, UpdateKind,
};
use teloxide::utils::command::BotCommands;
use teloxide::{ApiError, RequestError};

const TOKEN: &str = "123456:TEST-token";
const DM: i64 = 501;
const GROUP: i64 = -1001;
const FORUM: i64 = -1002;

/// Functional tests get a generous per-chat burst; the limit tests use Telegram's numbers.
async fn setup() -> (FakeBotApi, Bot) {
    setup_with(FakeConfig {
        per_chat_burst: 1000,
        ..FakeConfig::default()
    })
    .await
}

async fn setup_with(cfg: FakeConfig) -> (FakeBotApi, Bot) {
    let tg = FakeBotApi::start_with(TOKEN, cfg).await.expect("fake starts");
    tg.add_chat(DM, ChatKind::Private, "Ann");
    tg.add_chat(GROUP, ChatKind::Group, "Plain group");
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "Squad");
    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(&tg.url()).unwrap());
    (tg, bot)
}

fn ann() -> FakeUser {
    FakeUser::new(DM, "Ann").with_username("ann").with_language("en")
}

fn keyboard(data: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("Approve", data),
        InlineKeyboardButton::callback("Reject", "reject:1"),
    ]])
}

/// Nothing was refused by validation, and teloxide sent no parameter the official list lacks.
fn assert_clean(tg: &FakeBotApi) {
    assert!(tg.violations().is_empty(), "violations: {:#?}", tg.violations());
    assert!(tg.unknown_params().is_empty(), "unknown parameters: {:?}", tg.unknown_params());
}

fn api_err(e: RequestError) -> ApiError {
    match e {
        RequestError::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn tiny_png() -> Vec<u8> {
    // A valid 1x1 PNG.
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(b"\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82");
    b
}

#[tokio::test]
async fn get_me_parses_as_teloxide_me() {
    let (tg, bot) = setup().await;
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.id.0, 123456);
    assert!(me.is_bot);
    assert_eq!(me.username(), "mission_control_test_bot");
    assert_eq!(tg.calls_to("getMe").len(), 1);
    assert_clean(&tg);
}

#[tokio::test]
async fn send_and_edit_with_an_inline_keyboard() {
    let (tg, bot) = setup().await;
    let sent = bot
        .send_message(ChatId(DM), "Approve task #1?")
        .reply_markup(keyboard("approve:1"))
        .await
        .unwrap();
    assert_eq!(sent.text(), Some("Approve task #1?"));
    assert!(sent.reply_markup().is_some());
    assert_eq!(sent.chat.id, ChatId(DM));

    let stored = tg.message(DM, sent.id.0).unwrap();
    assert!(stored.is_from_bot());
    assert_eq!(
        stored.buttons().iter().filter_map(|b| b.callback_data.clone()).collect::<Vec<_>>(),
        ["approve:1", "reject:1"]
    );

    let edited = bot
        .edit_message_text(ChatId(DM), sent.id, "Task #1 approved")
        .reply_markup(keyboard("approve:1"))
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("Task #1 approved"));
    assert!(edited.edit_date().is_some());

    let same = bot
        .edit_message_text(ChatId(DM), sent.id, "Task #1 approved")
        .reply_markup(keyboard("approve:1"))
        .await
        .unwrap_err();
    assert_eq!(api_err(same), ApiError::MessageNotModified);

    // An edit without reply_markup drops the keyboard, as Telegram does.
    bot.edit_message_text(ChatId(DM), sent.id, "Task #1 approved.").await.unwrap();
    assert!(tg.message(DM, sent.id.0).unwrap().buttons().is_empty());
    bot.edit_message_reply_markup(ChatId(DM), sent.id)
        .reply_markup(keyboard("again:1"))
        .await
        .unwrap();
    assert_eq!(tg.message(DM, sent.id.0).unwrap().edited, 3);

    let missing = bot.edit_message_text(ChatId(DM), MessageId(999), "x").await.unwrap_err();
    assert_eq!(api_err(missing), ApiError::MessageToEditNotFound);
    bot.delete_message(ChatId(DM), sent.id).await.unwrap();
    let gone = bot.delete_message(ChatId(DM), sent.id).await.unwrap_err();
    assert_eq!(api_err(gone), ApiError::MessageToDeleteNotFound);
    assert!(tg.messages_in(DM, None).is_empty());

    let unknown_chat = bot.send_message(ChatId(42), "hi").await.unwrap_err();
    assert_eq!(api_err(unknown_chat), ApiError::ChatNotFound);
    assert_clean(&tg);
}

#[tokio::test]
async fn content_limits_are_telegrams() {
    let (tg, bot) = setup().await;
    let long = bot.send_message(ChatId(DM), "x".repeat(4097)).await.unwrap_err();
    assert_eq!(api_err(long), ApiError::MessageIsTooLong);
    bot.send_message(ChatId(DM), "x".repeat(4096)).await.unwrap();

    let data = bot
        .send_message(ChatId(GROUP), "pick")
        .reply_markup(keyboard(&"d".repeat(65)))
        .await
        .unwrap_err();
    assert_eq!(api_err(data), ApiError::ButtonDataInvalid);

    let name = bot.create_forum_topic(ChatId(FORUM), "n".repeat(129)).await.unwrap_err();
    assert!(matches!(api_err(name), ApiError::Unknown(d) if d == "Bad Request: TOPIC_NAME_INVALID"));

    let html = bot
        .send_message(ChatId(DM), "cost < 5 <br> done")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(matches!(api_err(html), ApiError::CantParseEntities(_)));
    let ok = bot
        .send_message(ChatId(DM), "<b>Task</b> &lt;5&gt;")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(ok.text(), Some("Task <5>"));
    let md = bot
        .send_message(ChatId(DM), "Done.")
        .parse_mode(ParseMode::MarkdownV2)
        .await
        .unwrap_err();
    assert!(matches!(api_err(md), ApiError::CantParseEntities(_)));
    assert_eq!(tg.rate_limited(), 0);
    assert_clean(&tg);
}

#[tokio::test]
async fn forum_topics_lifecycle() {
    let (tg, bot) = setup().await;
    let topic = bot
        .create_forum_topic(ChatId(FORUM), "Task #7: login page")
        .icon_color(Rgb::from_u32(0x6FB9F0))
        .await
        .unwrap();
    assert_eq!(topic.name, "Task #7: login page");
    let thread = topic.thread_id;
    assert_eq!(tg.topics(FORUM).len(), 1);

    let msg = bot.send_message(ChatId(FORUM), "started").message_thread_id(thread).await.unwrap();
    assert_eq!(msg.thread_id, Some(thread));
    assert!(msg.is_topic_message);
    assert_eq!(tg.bot_messages_in(FORUM, Some(thread.0 .0)).len(), 1);

    bot.edit_forum_topic(ChatId(FORUM), thread).name("Task #7: done").await.unwrap();
    assert_eq!(tg.topics(FORUM)[0].name, "Task #7: done");

    bot.close_forum_topic(ChatId(FORUM), thread).await.unwrap();
    let closed = bot.send_message(ChatId(FORUM), "more").message_thread_id(thread).await.unwrap_err();
    assert!(matches!(api_err(closed), ApiError::Unknown(d) if d == "Bad Request: TOPIC_CLOSED"));
    bot.reopen_forum_topic(ChatId(FORUM), thread).await.unwrap();
    bot.send_message(ChatId(FORUM), "more").message_thread_id(thread).await.unwrap();

    bot.delete_forum_topic(ChatId(FORUM), thread).await.unwrap();
    let gone = bot
        .send_message(ChatId(FORUM), "anyone?")
        .message_thread_id(thread)
        .await
        .unwrap_err();
    assert!(matches!(api_err(gone), ApiError::Unknown(d) if d == "Bad Request: message thread not found"));
    assert!(tg.messages_in(FORUM, Some(thread.0 .0)).is_empty());

    // A human deletes a topic under the bot's feet.
    let other = bot.create_forum_topic(ChatId(FORUM), "Task #8").await.unwrap().thread_id;
    assert!(tg.delete_topic(FORUM, other.0 .0));
    let err = bot.send_message(ChatId(FORUM), "hello").message_thread_id(other).await.unwrap_err();
    assert!(matches!(api_err(err), ApiError::Unknown(d) if d.contains("message thread not found")));

    let not_forum = bot.create_forum_topic(ChatId(GROUP), "x").await.unwrap_err();
    assert!(matches!(api_err(not_forum), ApiError::Unknown(d) if d == "Bad Request: the chat is not a forum"));
    let never = bot
        .send_message(ChatId(FORUM), "x")
        .message_thread_id(ThreadId(MessageId(4242)))
        .await
        .unwrap_err();
    assert!(matches!(api_err(never), ApiError::Unknown(d) if d.contains("message thread not found")));
    assert_clean(&tg);
}

#[tokio::test]
async fn per_chat_limit_answers_retry_after() {
    let (tg, bot) = setup_with(FakeConfig::default()).await;
    // A burst of three passes; the fourth within the second is refused (on a very slow machine a
    // token may have come back in between, hence the loop).
    let sent = bot.send_message(ChatId(DM), "first").await.unwrap();
    let mut refused = None;
    for i in 0..10 {
        // Edits count like sends.
        match bot.edit_message_text(ChatId(DM), sent.id, format!("edit {i}")).await {
            Ok(_) => continue,
            Err(e) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    match refused {
        Some((i, RequestError::RetryAfter(secs))) => {
            assert!(i >= 2, "the burst of three is tolerated");
            assert_eq!(secs.seconds(), 1);
        }
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    assert_eq!(tg.rate_limited(), 1);
    // Another chat is not affected.
    let other = bot.send_message(ChatId(GROUP), "elsewhere").await.unwrap();
    assert_eq!(other.chat.id, ChatId(GROUP));
    tokio::time::sleep(Duration::from_millis(1050)).await;
    bot.send_message(ChatId(DM), "after a pause").await.unwrap();
    assert_eq!(tg.calls().iter().filter(|c| c.rate_limited).count(), 1);
    assert_clean(&tg);
}

#[tokio::test]
async fn group_limit_is_per_minute() {
    let cfg = FakeConfig {
        per_chat_burst: 100,
        group_per_minute: 3,
        ..FakeConfig::default()
    };
    let (tg, bot) = setup_with(cfg).await;
    let topic = bot.create_forum_topic(ChatId(FORUM), "t").await.unwrap().thread_id;
    bot.send_message(ChatId(FORUM), "a").message_thread_id(topic).await.unwrap();
    bot.edit_forum_topic(ChatId(FORUM), topic).name("t2").await.unwrap();
    let err = bot.send_message(ChatId(FORUM), "c").message_thread_id(topic).await.unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(s) if s.seconds() > 50), "{err:?}");
    // Private chats have no per-minute window, and callback answers are never limited.
    for i in 0..5 {
        bot.send_message(ChatId(DM), format!("{i}")).await.unwrap();
    }
    assert_eq!(tg.rate_limited(), 1);
    assert_clean(&tg);
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let (tg, bot) = setup_with(FakeConfig {
        enforce_limits: false,
        ..FakeConfig::default()
    })
    .await;
    for i in 0..40 {
        bot.send_message(ChatId(GROUP), format!("{i}")).await.unwrap();
    }
    assert_eq!(tg.rate_limited(), 0);
    assert_eq!(tg.bot_messages_in(GROUP, None).len(), 40);
}

#[tokio::test]
async fn send_photo_from_memory_is_multipart() {
    let (tg, bot) = setup().await;
    let png = tiny_png();
    let msg = bot
        .send_photo(ChatId(FORUM), InputFile::memory(png.clone()).file_name("chart.png"))
        .caption("Burn-down")
        .reply_markup(keyboard("open:1"))
        .await
        .unwrap();
    let sizes = msg.photo().expect("a photo message");
    assert_eq!(sizes[0].width, 1);
    assert_eq!(msg.caption(), Some("Burn-down"));
    let stored = tg.message(FORUM, msg.id.0).unwrap();
    assert!(stored.has_photo());
    assert_eq!(stored.photo_len(), Some(png.len()));
    let call = &tg.calls_to("sendPhoto")[0];
    assert_eq!(call.encoding, Encoding::Multipart);
    assert_eq!(call.params["chat_id"], json!(FORUM));
    assert_eq!(call.uploads.len(), 1);

    // Resending by file id needs no upload.
    let again = bot
        .send_photo(ChatId(DM), InputFile::file_id(sizes[0].file.id.clone()))
        .await
        .unwrap();
    assert!(again.photo().is_some());
    let doc = bot
        .send_document(ChatId(DM), InputFile::memory(b"hello".to_vec()).file_name("notes.txt"))
        .await
        .unwrap();
    assert_eq!(doc.document().unwrap().file_name.as_deref(), Some("notes.txt"));

    let garbage = bot
        .send_photo(ChatId(DM), InputFile::memory(b"not an image".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(api_err(garbage), ApiError::ImageProcessFailed);
    assert_clean(&tg);
}

#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
enum Cmd {
    /// Show the squad's status.
    Status(String),
    /// Start.
    Start,
}

#[tokio::test]
async fn user_updates_parse_with_teloxide() {
    let (tg, bot) = setup().await;
    let user = ann();
    let mid = tg.user_message(DM, &user, "/status all", None);
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("{:?}", updates[0].kind)
    };
    assert_eq!(msg.id.0, mid);
    assert_eq!(msg.text(), Some("/status all"));
    assert_eq!(msg.from.as_ref().unwrap().username.as_deref(), Some("ann"));
    assert_eq!(
        Cmd::parse(msg.text().unwrap(), "mission_control_test_bot").unwrap(),
        Cmd::Status("all".into())
    );
    assert!(msg
        .entities()
        .unwrap()
        .iter()
        .any(|e| e.kind == teloxide::types::MessageEntityKind::BotCommand));

    // Confirm with the offset; a forum message, a reply, an edit and a button press follow.
    let next = updates[0].id.as_offset();
    let topic = bot.create_forum_topic(ChatId(FORUM), "Task #1").await.unwrap().thread_id;
    let in_topic = tg.user_message(FORUM, &user, "looks good", Some(topic.0 .0));
    let sent = bot
        .send_message(ChatId(FORUM), "Approve?")
        .message_thread_id(topic)
        .reply_markup(keyboard("approve:1"))
        .await
        .unwrap();
    let reply = tg.user_reply(FORUM, &user, sent.id.0, "why?");
    tg.edit_user_message(FORUM, in_topic, "looks great");
    let cb = tg.click_button(FORUM, &user, sent.id.0, "Approve").unwrap();

    let updates = bot.get_updates().offset(next).await.unwrap();
    assert_eq!(updates.len(), 4, "{updates:#?}");
    let UpdateKind::Message(m) = &updates[0].kind else { panic!() };
    assert_eq!(m.thread_id, Some(topic));
    assert!(m.is_topic_message);
    let UpdateKind::Message(r) = &updates[1].kind else { panic!() };
    assert_eq!(r.id.0, reply);
    assert_eq!(r.reply_to_message().unwrap().id, sent.id);
    assert_eq!(r.thread_id, Some(topic));
    let UpdateKind::EditedMessage(e) = &updates[2].kind else { panic!() };
    assert_eq!(e.text(), Some("looks great"));
    let UpdateKind::CallbackQuery(q) = &updates[3].kind else { panic!() };
    assert_eq!(q.data.as_deref(), Some("approve:1"));
    assert_eq!(q.id.0, cb);
    assert_eq!(q.regular_message().unwrap().id, sent.id);
    assert_eq!(tg.unanswered_callbacks(), vec![cb.clone()]);
    bot.answer_callback_query(q.id.clone()).text("Approved").await.unwrap();
    assert!(tg.unanswered_callbacks().is_empty());
    let twice = bot.answer_callback_query(q.id.clone()).await.unwrap_err();
    assert_eq!(api_err(twice), ApiError::InvalidQueryId);

    // Confirmed updates are gone; a redelivery comes once more with the same id.
    let last = updates[3].id;
    assert!(bot.get_updates().offset(last.as_offset()).await.unwrap().is_empty());
    assert_eq!(tg.duplicate_last_update(), Some(last.0));
    let redelivered = bot.get_updates().offset(last.as_offset()).await.unwrap();
    assert_eq!(redelivered.len(), 1);
    assert_eq!(redelivered[0].id, last);
    assert_clean(&tg);
}

#[tokio::test]
async fn long_poll_waits_and_returns_early() {
    let (tg, bot) = setup().await;
    let started = Instant::now();
    let empty = bot.get_updates().timeout(1).await.unwrap();
    assert!(empty.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));

    let poller = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(10).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tg.user_message(DM, &ann(), "hello", None);
    let got = poller.await.unwrap().unwrap();
    assert_eq!(got.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));

    // A second poller takes over: the first is answered 409, as Telegram does.
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().offset(got[0].id.as_offset()).timeout(10).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = bot.get_updates().timeout(0).await.unwrap();
    assert!(second.is_empty());
    let err = first.await.unwrap().unwrap_err();
    assert_eq!(api_err(err), ApiError::TerminatedByOtherGetUpdates);
    assert_clean(&tg);
}

#[tokio::test]
async fn teloxide_dispatcher_answers_a_command() {
    let (tg, bot) = setup().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        if let Some(Ok(Cmd::Status(arg))) = msg.text().map(|t| Cmd::parse(t, "mission_control_test_bot")) {
            let mut send = bot.send_message(msg.chat.id, format!("status: {arg}"));
            if let Some(thread) = msg.thread_id {
                send = send.message_thread_id(thread);
            }
            send.reply_parameters(ReplyParameters::new(msg.id)).await?;
        }
        Ok::<(), RequestError>(())
    });
    let listener = teloxide::update_listeners::Polling::builder(bot.clone())
        .timeout(Duration::from_secs(1))
        .build();
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let task = tokio::spawn(async move {
        dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::new()).await;
    });

    let topic = bot.create_forum_topic(ChatId(FORUM), "Ops").await.unwrap().thread_id.0 .0;
    let asked = tg.user_message(FORUM, &ann(), "/status@mission_control_test_bot ops", Some(topic));
    tg.wait_until(|s| !s.bot_messages_in(FORUM, Some(topic)).is_empty(), Duration::from_secs(10))
        .await
        .unwrap();
    let answer = &tg.bot_messages_in(FORUM, Some(topic))[0];
    assert_eq!(answer.text.as_deref(), Some("status: ops"));
    assert_eq!(answer.reply_to, Some(asked));

    // Stop the dispatcher (its token is valid once dispatching started).
    loop {
        match shutdown.shutdown() {
            Ok(f) => {
                f.await;
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    task.await.unwrap();
    assert!(tg.calls_to("getUpdates").iter().all(|c| c.ok()));
    assert_eq!(tg.rate_limited(), 0);
    assert_clean(&tg);
}

#[tokio::test]
async fn chats_members_commands_and_actions() {
    let (tg, bot) = setup().await;
    let chat = bot.get_chat(ChatId(FORUM)).await.unwrap();
    assert!(matches!(&chat.kind, ChatFullInfoKind::Public(p) if matches!(&p.kind, ChatFullInfoPublicKind::Supergroup(s) if s.is_forum)));
    let private = bot.get_chat(ChatId(DM)).await.unwrap();
    assert!(private.is_private());

    let me = bot.get_chat_member(ChatId(FORUM), UserId(123456)).await.unwrap();
    assert!(me.is_administrator());
    tg.add_user(&ann());
    tg.set_member(FORUM, DM, MemberStatus::Creator);
    assert!(bot.get_chat_member(ChatId(FORUM), UserId(DM as u64)).await.unwrap().is_owner());
    let nobody = bot.get_chat_member(ChatId(FORUM), UserId(999)).await.unwrap_err();
    assert_eq!(api_err(nobody), ApiError::UserNotFound);
    assert_eq!(bot.get_chat_administrators(ChatId(FORUM)).await.unwrap().len(), 2);

    bot.set_my_commands(Cmd::bot_commands()).await.unwrap();
    bot.set_my_commands(Cmd::bot_commands()).language_code("ru").await.unwrap();
    bot.set_my_commands(vec![teloxide::types::BotCommand::new("status", "Status here")])
        .scope(BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(FORUM)),
        })
        .await
        .unwrap();
    let got = bot.get_my_commands().await.unwrap();
    assert_eq!(got.iter().map(|c| c.command.as_str()).collect::<Vec<_>>(), ["status", "start"]);
    assert_eq!(tg.my_commands("ru").unwrap().as_array().unwrap().len(), 2);
    let scoped = bot
        .get_my_commands()
        .scope(BotCommandScope::Chat {
            chat_id: Recipient::Id(ChatId(FORUM)),
        })
        .await
        .unwrap();
    assert_eq!(scoped.len(), 1);
    let bad = bot
        .set_my_commands(vec![teloxide::types::BotCommand::new("Bad-Name", "x")])
        .await
        .unwrap_err();
    assert!(matches!(api_err(bad), ApiError::Unknown(d) if d == "Bad Request: BOT_COMMAND_INVALID"));

    bot.send_chat_action(ChatId(DM), ChatAction::Typing).await.unwrap();
    bot.delete_webhook().await.unwrap();
    let info = bot.get_webhook_info().await.unwrap();
    assert!(info.url.is_none());
    bot.set_webhook(url::Url::parse("https://example.invalid/hook").unwrap())
        .await
        .unwrap();
    let refused = bot.get_updates().await.unwrap_err();
    assert!(matches!(api_err(refused), ApiError::Unknown(d) if d.starts_with("Conflict: can't use getUpdates")));
    bot.delete_webhook().await.unwrap();
    // Any other method on the official list is accepted and recorded.
    bot.pin_chat_message(ChatId(DM), MessageId(1)).await.unwrap();
    assert_eq!(tg.calls_to("pinChatMessage").len(), 1);
    assert_clean(&tg);
}

#[tokio::test]
async fn failures_can_be_injected() {
    let (tg, bot) = setup().await;
    tg.fail_next("sendMessage", 429, 1);
    let err = bot.send_message(ChatId(DM), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(s) if s.seconds() == 1));
    bot.send_message(ChatId(DM), "x").await.unwrap();
    tg.fail_next("getMe", 502, 2);
    // Raw HTTP: teloxide waits 10 s before reading a 5xx answer.
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let r = http.post(format!("{}/bot{TOKEN}/getMe", tg.url())).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 502);
    }
    assert!(bot.get_me().await.is_ok());
    assert_eq!(tg.calls().iter().filter(|c| c.injected).count(), 3);
    assert_eq!(tg.rate_limited(), 0, "injected 429s are not flood-limit hits");
    assert_clean(&tg);
}

#[tokio::test]
async fn invalid_calls_are_refused_and_recorded() {
    let (tg, _bot) = setup().await;
    let http = reqwest::Client::new();
    let post = |method: &str, token: &str, body: Value| http.post(format!("{}/bot{token}/{method}", tg.url())).json(&body).send();

    let r = post("sendMesage", TOKEN, json!({"chat_id": DM, "text": "hi"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    let r = post("sendMessage", TOKEN, json!({"chat_id": DM})).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["description"], "Bad Request: text is required");

    let r = post("sendMessage", TOKEN, json!({"chat_id": true, "text": "hi"})).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let r = post("getMe", "999:wrong", json!({})).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );

    let violations = tg.violations();
    assert_eq!(violations.iter().map(|c| c.status).collect::<Vec<_>>(), [404, 400, 400, 401]);
    assert_eq!(violations[0].method, "sendMesage");
    assert_eq!(violations[1].params, json!({"chat_id": DM}));

    // Form and query encodings are read and typed like JSON.
    let r = http
        .post(format!("{}/bot{TOKEN}/sendMessage", tg.url()))
        .form(&[("chat_id", DM.to_string()), ("text", "hi".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http
        .get(format!("{}/bot{TOKEN}/getChat?chat_id={GROUP}", tg.url()))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"]["type"], "group");
    let form = tg.calls_to("sendMessage").into_iter().find(|c| c.ok()).unwrap();
    assert_eq!(form.encoding, Encoding::FormUrlEncoded);
    assert_eq!(form.params["chat_id"], json!(DM));
    // Parameters the official list lacks are accepted (as Telegram does) but reported.
    post("sendMessage", TOKEN, json!({"chat_id": DM, "text": "hi", "reply_to_msg_id": 1}))
        .await
        .unwrap();
    assert_eq!(tg.unknown_params(), vec![("sendMessage".to_owned(), "reply_to_msg_id".to_owned())]);
    assert_eq!(tg.violations().len(), 4);
}

#[tokio::test]
async fn a_migrated_group_refuses_calls_with_the_new_chat_id() {
    let (tg, bot) = setup().await;
    bot.send_message(ChatId(GROUP), "before").await.unwrap();
    tg.migrate_chat(GROUP, -100_555);
    match bot.send_message(ChatId(GROUP), "after").await.unwrap_err() {
        RequestError::MigrateToChatId(to) => assert_eq!(to, ChatId(-100_555)),
        other => panic!("expected MigrateToChatId, got {other:?}"),
    }
    bot.send_message(ChatId(-100_555), "in the supergroup").await.unwrap();
    assert_eq!(tg.bot_messages_in(-100_555, None).len(), 1);
}
