//! How updates reach the bot: each acts once (duplicated, after a killed bot, through the
//! webhook with its secret), and callback answers keep under Telegram's global limit.

use crate::common;

use common::telegram::*;
use common::world::{Running, World};
use fake_telegram::FakeConfig;
use mission_control::app::{App, Rules};
use mission_control::configuration::TelegramMode;
use mission_control::domain::*;
use mission_control::telegram::bot;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[sqlx::test]
async fn a_duplicated_update_acts_once(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let sent = w.say(&olga(), "/newtask docs Exactly once");
    assert!(w.tg.duplicate_last_update().is_some());
    w.answer_after(FORUM, sent, "Created task").await;
    // The redelivery was consumed (nothing pending) and acted not.
    w.tg.wait_until(|s| s.pending_updates() == 0, WAIT).await.unwrap();
    w.ask(&olga(), "/whoami", "Telegram id").await;
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'Exactly once'").await,
        1
    );
    let replies = texts(&w.tg, FORUM, None).iter().filter(|t| t.contains("Created task")).count();
    assert_eq!(replies, 1);

    // A duplicated click acts once as well and is answered.
    let question = w.ask(&olga(), "/quarantine Pixel", "Quarantine Pixel?").await.message_id;
    let id = w.tg.click_button(FORUM, &olga(), question, "🚫 Quarantine Pixel").unwrap();
    w.tg.duplicate_last_update();
    assert!(w.toast(&id).await.contains("Pixel is quarantined"));
    w.tg.wait_until(|s| s.pending_updates() == 0, WAIT).await.unwrap();
    w.ask(&olga(), "/whoami", "Telegram id").await;
    let quarantines = common::count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'agent.quarantine'").await;
    assert_eq!(quarantines, 1);
    let said = texts(&w.tg, FORUM, None)
        .iter()
        .filter(|t| t.contains("Pixel is now quarantined"))
        .count();
    assert_eq!(said, 1);
    w.stop().await;
}

/// The bot's first life runs on a runtime of its own, dropped mid-stream like a killed
/// process; a second life must act on every update exactly once.
#[sqlx::test]
async fn a_killed_bot_loses_no_update(pool_options: PgPoolOptions, connect: PgConnectOptions) {
    const N: usize = 40;
    let pool = pool_options
        .clone()
        .max_connections(10)
        .connect_with(connect.clone())
        .await
        .unwrap();
    let w = World::build(pool.clone()).idle().start().await;
    let (s, tg) = (&w.s, &w.tg);
    for i in 0..N {
        tg.user_message(FORUM, &olga(), &format!("/newtask docs Crash test {i:02}"), None);
    }
    let created = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(DISTINCT title) FROM tasks WHERE title LIKE 'Crash test%'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    let first_life = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    {
        let (settings, bot) = (w.settings(), w.bot());
        let connect = connect.clone();
        let clock = s.clock.clone();
        first_life.spawn(async move {
            let pool = PgPoolOptions::new().max_connections(4).connect_with(connect).await.unwrap();
            let app = App::new(pool, Arc::new(clock), Rules::default());
            let _ = bot::run_polling_with(app, bot, settings, Duration::from_secs(1), std::future::pending()).await;
        });
    }
    for _ in 0..300 {
        if created().await >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first_life.shutdown_background();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_kill = created().await;
    assert!((8..N as i64).contains(&at_kill), "killed mid-stream ({at_kill} of {N} done)");

    let (app, settings) = (s.app.clone(), w.settings());
    let second_life = Running::spawn(|stopped| {
        bot::run_polling_with(app, w.bot(), settings, Duration::from_secs(1), async move {
            let _ = stopped.await;
        })
    });
    for _ in 0..500 {
        if created().await == N as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    second_life.stop().await;
    assert_eq!(created().await, N as i64, "every command acted");
    let duplicates: Vec<String> =
        sqlx::query_scalar("SELECT title FROM tasks WHERE title LIKE 'Crash test%' GROUP BY title HAVING count(*) > 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(duplicates.is_empty(), "acted twice: {duplicates:?}");
    assert_eq!(tg.pending_updates(), 0, "every update confirmed after the second life");
}

#[sqlx::test]
async fn the_webhook_checks_its_secret_and_acts_once(pool: PgPool) {
    let w = World::build(pool.clone()).idle().start().await;
    let (s, tg) = (&w.s, &w.tg);
    let mut settings = w.settings();
    settings.mode = TelegramMode::Webhook;
    settings.webhook_url = "https://mc.example.com/telegram/hook".into();
    settings.webhook_secret = "a-very-secret-webhook-token".into();
    let router = bot::start_webhook(s.app.clone(), w.bot(), settings.clone()).await.unwrap();
    let registered = tg.calls_to("setWebhook");
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].params["url"], "https://mc.example.com/telegram/hook");
    assert_eq!(registered[0].params["secret_token"], "a-very-secret-webhook-token");
    assert!(tg.my_commands("ru").is_some());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/telegram/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let update = json!({
        "update_id": 777,
        "message": {
            "message_id": 10,
            "date": 1_772_445_600,
            "chat": {"id": FORUM, "type": "supergroup", "title": "OpenClaw ops", "is_forum": true},
            "from": {"id": OLGA, "is_bot": false, "first_name": "Olga"},
            "text": "/newtask docs From the webhook",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
        }
    });
    let client = reqwest::Client::new();
    let post = |secret: Option<&'static str>| {
        let mut req = client.post(&url).json(&update);
        if let Some(secret) = secret {
            req = req.header(bot::SECRET_HEADER, secret);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("wrong-secret-wrong-secret")).await.unwrap().status(), 401);
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'From the webhook'").await,
        0
    );
    assert_eq!(post(Some("a-very-secret-webhook-token")).await.unwrap().status(), 200);
    // Telegram retries (or a second replica receives it again): it acts once.
    assert_eq!(post(Some("a-very-secret-webhook-token")).await.unwrap().status(), 200);
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'From the webhook'").await,
        1
    );
    let replies: Vec<Value> = sqlx::query_scalar("SELECT payload FROM outbox WHERE kind = 'reply' AND chat_id = $1")
        .bind(FORUM)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(replies.len(), 1);
    assert!(replies[0]["text"].as_str().unwrap().contains("Created task"));
    server.abort();
}

/// Callback answers count against Telegram's global limit (30 a second) like every call, in the
/// same window as the dispatcher's sends: a burst of clicks with the limit scaled down to 5 a
/// second gets every click answered without a single 429.
#[sqlx::test]
async fn callback_answers_are_paced_under_the_global_limit(pool: PgPool) {
    const GLOBAL: u32 = 5;
    let fake = FakeConfig {
        global_per_second: GLOBAL,
        ..fast_fake()
    };
    let mut dispatch = fast_dispatch();
    dispatch.limits.global_per_second = GLOBAL;
    dispatch.limits.margin = Duration::from_millis(20);
    let w = World::build(pool).fake(fake).dispatch(dispatch).start().await;
    for i in 0..12 {
        w.s.task(&format!("Paged task {i:02}"), TaskType::Docs).await;
    }
    let list = w.ask(&vic(), "/tasks", "Tasks of OpenClaw").await;
    w.tg.wait_until(|s| s.my_commands("ru").is_some(), WAIT).await.unwrap();
    let started = std::time::Instant::now();
    let clicks: Vec<String> = (0..15)
        .map(|_| w.tg.click_button(FORUM, &vic(), list.message_id, "Next »").unwrap())
        .collect();
    for click in &clicks {
        w.toast(click).await;
    }
    w.tg.wait_until(|s| s.unanswered_callbacks().is_empty(), Duration::from_secs(30))
        .await
        .unwrap();
    // 15 answers (and the pages they show), 5 calls a second: they were spread over seconds.
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(
        w.tg.rate_limited(),
        0,
        "429s: {:#?}",
        w.tg.calls()
            .iter()
            .filter(|c| c.rate_limited)
            .map(|c| c.method.clone())
            .collect::<Vec<_>>()
    );
    w.stop().await;
}

/// In polling mode an update whose handling fails is tried again with backoff: after a short
/// database fault it acts, once; one that keeps failing is given up, audited as failed and
/// counted in `/metrics` instead of lost silently, and the bot goes on with the next update.
#[sqlx::test]
async fn a_failing_update_is_retried_then_recorded_as_failed(pool: PgPool) {
    let w = World::build(pool.clone()).http().start().await;
    // The table every update's first write records it in: without it, handling fails.
    let table = |away: bool| {
        let pool = pool.clone();
        async move {
            let sql = if away {
                "ALTER TABLE processed_updates RENAME TO processed_updates_away"
            } else {
                "ALTER TABLE processed_updates_away RENAME TO processed_updates"
            };
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
    };
    let failed = |pool: PgPool| async move {
        common::count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'telegram.update_failed'").await
    };
    let answers = |w: &World| {
        w.tg.bot_messages_in(FORUM, None)
            .iter()
            .filter(|m| text(m).contains("Telegram id"))
            .count()
    };

    // A blip: the first attempts fail, a later one acts.
    table(true).await;
    let asked = w.say(&sofie(), "/whoami");
    tokio::time::sleep(Duration::from_millis(700)).await;
    table(false).await;
    w.answer_after(FORUM, asked, "Telegram id").await;
    w.settled().await;
    assert_eq!(answers(&w), 1, "answered once");
    assert_eq!(failed(pool.clone()).await, 0);

    // A fault that lasts: given up after its attempts, and recorded.
    table(true).await;
    w.say(&sofie(), "/whoami");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while failed(pool.clone()).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the failed update was never recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    table(false).await;
    w.ask(&sofie(), "/whoami", "Telegram id").await;
    w.settled().await;
    assert_eq!(answers(&w), 2, "the given-up update acted not at all, the next one once");
    let api = w.api();
    let metrics = api.metrics().await;
    assert!(metrics.contains("mc_telegram_updates_failed_total 1"), "{metrics}");
    w.stop().await;
}
