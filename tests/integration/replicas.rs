//! Several replicas of `serve` on one database and one bot token, against the fake Bot API
//! (which, like Telegram, ends an older `getUpdates` with 409 when a newer one starts):
//! one poller is elected and the other stands by; a command is answered once; a manual
//! standup posts one chart; after `kill -9` of the active replica the other takes over and
//! delivers what the dead one had queued; `/health` and `/metrics` say who holds what; in
//! webhook mode any replica takes posts and the webhook is registered once; a dispatcher that
//! loses its lock makes `/health` degraded until it holds it again.

use crate::common;

use common::http::{Served, ADMIN_TOKEN};
use common::telegram::{bound_fake, webhook_settings, TOKEN};
use common::*;
use fake_telegram::{ChatKind, FakeBotApi, FakeUser};
use mission_control::domain::*;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher, LOCK_KEY};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: i64 = 7070;
const FORUM: i64 = -1007;
const SECRET: &str = "a-webhook-secret-for-two-replicas";

fn admin() -> FakeUser {
    FakeUser::new(ADMIN, "Sofie").with_username("sofie").with_language("en")
}

/// A `serve` child, killed if the test fails so it never outlives it.
struct Replica {
    child: Child,
    url: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Replica {
    fn start(db: &str, tg: &FakeBotApi) -> Replica {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .arg("serve")
            .env("DATABASE_URL", db)
            .env("MC_TELEGRAM__TOKEN", TOKEN)
            .env("MC_TELEGRAM__API_URL", tg.url())
            .env("MC_TELEGRAM__ADMINS", ADMIN.to_string())
            .env("MC_HTTP__ADDR", format!("127.0.0.1:{port}"))
            .env("MC_HTTP__ADMIN_TOKEN", ADMIN_TOKEN)
            .env("MC_JOBS__ENABLED", "false")
            .env("MC_LOG__LEVEL", std::env::var("SERVE_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start serve");
        Replica {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    fn kill_9(&mut self) {
        let status = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success(), "SIGTERM exits 0");
    }
}

async fn health(url: &str) -> Option<Value> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().ok()?;
    let response = client.get(format!("{url}/health")).send().await.ok()?;
    let h: Value = response.json().await.ok()?;
    if std::env::var_os("REPLICAS_DEBUG").is_some() {
        eprintln!("{url}: {}", h["roles"]);
    }
    Some(h)
}

fn role(health: &Value, role: &str) -> String {
    health["roles"][role]["state"].as_str().unwrap_or_default().to_string()
}

/// Waits until `/health` at `url` satisfies `predicate`, and returns it.
async fn health_until(url: &str, within: Duration, predicate: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    let mut last = None;
    while Instant::now() < deadline {
        if let Some(h) = health(url).await {
            if predicate(&h) {
                return h;
            }
            last = Some(h);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/health at {url} did not get there in {within:?}; last: {last:#?}");
}

fn conflicts(tg: &FakeBotApi) -> usize {
    tg.calls_to("getUpdates").iter().filter(|c| c.status == 409).count()
}

/// Outbox rows not yet delivered (the open tasks' topics, queued by the bind and paced at 20
/// calls a minute after the rest, are not what these tests are about).
async fn undelivered(pool: &PgPool) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') AND kind <> 'task_thread_needed'",
    )
    .await
}

/// Waits until everything the replicas queued is delivered: what Telegram shows then is all
/// there will be (a duplicate would be a row of its own).
async fn drained(pool: &PgPool) {
    common::eventually("the outbox is delivered", Duration::from_secs(60), || async {
        (undelivered(pool).await == 0).then_some(())
    })
    .await;
}

/// Rows of `kind` the replicas queued.
async fn queued(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A second after the last call Telegram's windows count (anything but `get*`): then the
/// global window is empty again.
fn after_the_last_counted_call(tg: &FakeBotApi) -> tokio::time::Instant {
    let last = tg
        .calls()
        .iter()
        .filter(|c| !c.method.starts_with("get"))
        .map(|c| c.at)
        .max()
        .unwrap_or_else(Instant::now);
    (last + Duration::from_millis(1100)).into()
}

/// Sends `/whoami` and waits for one more bot message in the admin's chat.
async fn ask_whoami(tg: &FakeBotApi, within: Duration) -> Result<(), anyhow::Error> {
    let before = tg.bot_messages_in(ADMIN, None).len();
    tg.user_message(ADMIN, &admin(), "/whoami", None);
    tg.wait_until(|s| s.bot_messages_in(ADMIN, None).len() > before, within).await
}

#[sqlx::test]
async fn two_polling_replicas_elect_one_poller_and_the_standby_takes_over_after_kill_9(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let tg = bound_fake(&s, FORUM, ChatKind::Supergroup { forum: true }).await;
    tg.add_chat(ADMIN, ChatKind::Private, "Sofie");
    let db = database_url(&pool).await;

    // The election: the first replica takes both roles, the second stands by.
    let mut first = Replica::start(&db, &tg);
    let h = health_until(&first.url, Duration::from_secs(60), |h| {
        role(h, "poller") == "active" && role(h, "dispatcher") == "active"
    })
    .await;
    assert_eq!(h["status"], "ok");
    let second = Replica::start(&db, &tg);
    let h = health_until(&second.url, Duration::from_secs(60), |h| {
        role(h, "poller") == "standby" && role(h, "dispatcher") == "standby"
    })
    .await;
    assert_eq!(h["status"], "ok", "a standby is healthy: {h:#}");
    assert_eq!(h["services"]["workers"], "ok");
    assert_eq!(role(&h, "scheduler"), "disabled", "jobs.enabled is false");
    assert!(h["roles"]["poller"]["since"].as_str().is_some_and(|s| s.starts_with("20")), "{h:#}");
    let metrics = reqwest::get(format!("{}/metrics", first.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mc_role_active{role=\"poller\"} 1"), "{metrics}");
    let metrics = reqwest::get(format!("{}/metrics", second.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mc_role_active{role=\"poller\"} 0"), "{metrics}");
    assert!(
        metrics.contains("mc_role_state{role=\"dispatcher\",state=\"standby\"} 1"),
        "{metrics}"
    );

    // A command gets exactly one reply.
    ask_whoami(&tg, Duration::from_secs(30)).await.expect("a reply");
    drained(&pool).await;
    assert_eq!(tg.bot_messages_in(ADMIN, None).len(), 1, "one reply, from one replica");
    assert_eq!(queued(&pool, "reply").await, 1, "queued once");

    // A manual standup (asked of the standby's API) posts one chart.
    let ran = reqwest::Client::new()
        .post(format!("{}/api/jobs/standup/run", second.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), 200, "{}", ran.text().await.unwrap());
    // `None`: the whole chat, every topic.
    let all_charts = |tg: &FakeBotApi| tg.bot_messages_in(FORUM, None).iter().filter(|m| m.has_photo()).count();
    let deadline = Instant::now() + Duration::from_secs(90);
    while all_charts(&tg) == 0 {
        assert!(Instant::now() < deadline, "the standup chart is posted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drained(&pool).await;
    assert_eq!(all_charts(&tg), 1, "one chart");
    assert_eq!(queued(&pool, "standup").await, 1, "posted once");
    let settled = conflicts(&tg);
    assert_eq!(settled, 0, "one poller: no 409 at all while both run");

    // Rows queued just before the active replica dies.
    let mut markers = Vec::new();
    for i in 0..8 {
        let marker = format!("queued-before-the-crash-{i}");
        s.raise("crash", AlertSeverity::Warning, format!("crash:{i}"), &marker).await;
        markers.push(marker);
    }
    first.kill_9();
    let killed = Instant::now();
    ask_whoami(&tg, Duration::from_secs(30))
        .await
        .expect("the standby answers within 30 s of the crash");
    let takeover = killed.elapsed();
    eprintln!("TAKEOVER: a command was answered {takeover:?} after kill -9 of the active replica");
    let h = health_until(&second.url, Duration::from_secs(10), |h| {
        role(h, "poller") == "active" && role(h, "dispatcher") == "active"
    })
    .await;
    assert_eq!(h["status"], "ok");
    // Nothing the dead one had queued is lost.
    let deadline = Instant::now() + Duration::from_secs(120);
    while undelivered(&pool).await > 0 {
        assert!(Instant::now() < deadline, "what was queued is delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let texts: Vec<String> = tg
        .bot_messages_in(FORUM, None)
        .into_iter()
        .filter_map(|m| m.text.or(m.caption))
        .collect();
    for marker in &markers {
        assert!(texts.iter().any(|t| t.contains(marker.as_str())), "{marker} reached the chat");
    }
    // At most a couple of 409s at the hand-over, none after.
    let at_takeover = conflicts(&tg);
    assert!(at_takeover <= 2, "{at_takeover} 409s at the hand-over");
    // A whole round of polling after the count: a second poller polling meanwhile would have
    // collided with it (Telegram answers an overlapping getUpdates 409 at once).
    ask_whoami(&tg, Duration::from_secs(30)).await.expect("a reply");
    assert_eq!(conflicts(&tg), at_takeover, "no 409 once the new poller runs");
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
    let mut second = second;
    second.terminate();
}

#[sqlx::test]
async fn two_webhook_replicas_behind_one_address_act_once_per_update(pool: PgPool) {
    let _squad = squad(pool.clone()).await;
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    tg.add_chat(ADMIN, ChatKind::Private, "Sofie");
    let settings = webhook_settings(&tg, ADMIN, SECRET);
    let first = Served::start(&settings, &pool).await;
    let first_url = first.url.clone();
    health_until(&first_url, Duration::from_secs(20), |h| role(h, "poller") == "active").await;
    let second = Served::start(&settings, &pool).await;
    let second_url = second.url.clone();
    let h = health_until(&second_url, Duration::from_secs(20), |h| role(h, "poller") == "standby").await;
    assert_eq!(h["status"], "ok");
    // The standby has lost the election (its health says so): only a leader registers.
    assert_eq!(tg.calls_to("setWebhook").len(), 1, "the webhook is registered once, by the leader");

    // One address, two replicas: the "load balancer" alternates, and Telegram's retries land
    // on the other one.
    let client = reqwest::Client::new();
    let urls = [first_url.clone(), second_url.clone()];
    const UPDATES: usize = 10;
    for i in 0..UPDATES {
        let text = format!("/newtask docs Through the pair number {i}");
        let update = json!({
            "update_id": 70_000 + i,
            "message": {
                "message_id": 100 + i,
                "date": 1_772_445_600,
                "chat": {"id": ADMIN, "type": "private", "first_name": "Sofie"},
                "from": {"id": ADMIN, "is_bot": false, "first_name": "Sofie"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
            }
        });
        let post = |url: &str, secret: &str| {
            client
                .post(format!("{url}/telegram/webhook"))
                .header("X-Telegram-Bot-Api-Secret-Token", secret.to_string())
                .json(&update)
                .send()
        };
        assert_eq!(post(&urls[i % 2], "not-the-secret-at-all").await.unwrap().status(), 401);
        assert_eq!(post(&urls[i % 2], SECRET).await.unwrap().status(), 200);
        assert_eq!(
            post(&urls[(i + 1) % 2], SECRET).await.unwrap().status(),
            200,
            "a redelivery elsewhere"
        );
    }
    for i in 0..UPDATES {
        let title = format!("Through the pair number {i}");
        let made: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE title = $1")
            .bind(&title)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(made, 1, "{title} acted once");
    }
    tg.wait_until(|s| s.bot_messages_in(ADMIN, None).len() >= UPDATES, Duration::from_secs(60))
        .await
        .expect("every update is answered");
    drained(&pool).await;
    assert_eq!(tg.bot_messages_in(ADMIN, None).len(), UPDATES, "one answer per update");

    // The leader stops: the other registers the webhook.
    first.stop().await;
    health_until(&second_url, Duration::from_secs(15), |h| role(h, "poller") == "active").await;
    // Once more by the new leader, just after it takes the role (a loaded machine may make a
    // term end and begin again, which registers again: harmless, the webhook is the same).
    tg.wait_until(|s| s.calls_to("setWebhook").len() >= 2, Duration::from_secs(15))
        .await
        .expect("registered again by the new leader");
    assert!(tg.with_state(|s| s.webhook().is_some()));
    second.stop().await;
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
}

#[sqlx::test]
async fn health_is_degraded_while_the_dispatcher_has_lost_its_lock(pool: PgPool) {
    let _squad = squad(pool.clone()).await;
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    let mut settings = webhook_settings(&tg, ADMIN, SECRET);
    settings.jobs.enabled = true;
    let served = Served::start(&settings, &pool).await;
    let url = served.url.clone();
    let h = health_until(&url, Duration::from_secs(20), |h| {
        role(h, "dispatcher") == "active" && role(h, "poller") == "active"
    })
    .await;
    assert_eq!(role(&h, "scheduler"), "active");
    assert_eq!(h["services"]["workers"], "ok");

    // Its lock's connection dies, and another holder takes the lock meanwhile.
    let mut rival = pool.acquire().await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks
         WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((classid::bigint << 32) | objid::bigint) = $1",
    )
    .bind(LOCK_KEY)
    .fetch_all(&mut *rival)
    .await
    .unwrap();
    assert_eq!(ended, [true], "the dispatcher's lock session");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *rival)
        .await
        .unwrap();
    let h = health_until(&url, Duration::from_secs(20), |h| role(h, "dispatcher") == "lost").await;
    assert_eq!(h["status"], "degraded", "{h:#}");
    assert_eq!(h["services"]["workers"], "degraded");

    // The lock is free again: the dispatcher takes it, and all is well.
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *rival)
        .await
        .unwrap();
    let h = health_until(&url, Duration::from_secs(20), |h| role(h, "dispatcher") == "active").await;
    assert_eq!(h["status"], "ok", "{h:#}");
    assert_eq!(h["services"]["workers"], "ok");
    served.stop().await;
}

#[sqlx::test]
async fn a_replica_polling_beside_another_deployment_backs_off_and_says_so(pool: PgPool) {
    let _squad = squad(pool.clone()).await;
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    let mut settings = webhook_settings(&tg, ADMIN, SECRET);
    settings.telegram.mode = mission_control::configuration::TelegramMode::Polling;
    let served = Served::start(&settings, &pool).await;
    let url = served.url.clone();
    health_until(&url, Duration::from_secs(20), |h| role(h, "poller") == "active").await;
    // Another deployment on the same token (not on this database): it keeps polling.
    let other = tokio::spawn({
        let api = tg.url();
        async move {
            let client = reqwest::Client::new();
            loop {
                let _ = client
                    .post(format!("{api}/bot{TOKEN}/getUpdates"))
                    .json(&json!({"timeout": 2}))
                    .send()
                    .await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let h = health_until(&url, Duration::from_secs(60), |h| role(h, "poller") == "conflict").await;
    assert_eq!(h["status"], "degraded", "{h:#}");
    // Backing off: this replica's getUpdates calls become rare.
    let mine = |tg: &FakeBotApi| {
        tg.calls_to("getUpdates")
            .iter()
            .filter(|c| c.param("timeout").and_then(Value::as_i64) != Some(2))
            .count()
    };
    let before = mine(&tg);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let during = mine(&tg) - before;
    other.abort();
    let stopping = Instant::now();
    served.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(15),
        "the backoff does not hold up shutdown"
    );
    assert!(during <= 2, "{during} getUpdates calls in 10 s");
}

/// Another replica's direct calls (callback answers, command registration) count in the active
/// dispatcher's global window as they are made: with the window filled by them, the dispatcher
/// waits for room instead of earning a 429 from Telegram.
#[sqlx::test]
async fn the_active_dispatcher_counts_other_replicas_direct_calls_at_once(pool: PgPool) {
    const GROUP: i64 = -1017;
    const GLOBAL: u32 = 6;
    let s = squad(pool.clone()).await;
    let tg = FakeBotApi::start_with(
        TOKEN,
        fake_telegram::FakeConfig {
            per_chat_interval: Duration::from_millis(10),
            per_chat_burst: 1,
            group_per_minute: 2000,
            global_per_second: GLOBAL,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tg.add_chat(GROUP, ChatKind::Group, "Ops group");
    let bot = common::telegram::bot(&tg);
    let options = DispatchOptions {
        limits: mission_control::telegram::outbox::limiter::Limits {
            per_chat_interval: Duration::from_millis(10),
            group_per_minute: 2000,
            global_per_second: GLOBAL,
            margin: Duration::from_millis(50),
        },
        poll_interval: Duration::from_millis(200),
        standby_retry: Duration::from_millis(100),
        ..DispatchOptions::default()
    };
    // Seeding wrote notices while no chat was bound: skipped before the chat is bound.
    Dispatcher::new(s.app.clone(), bot.clone(), options.clone()).tick().await.unwrap();
    s.bind(GROUP, false).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dispatcher = tokio::spawn(Dispatcher::new(s.app.clone(), bot, options).run(async move {
        let _ = stopped.await;
    }));
    let alert = |n: usize| {
        let app = s.app.clone();
        let (cao, project) = (s.cao.clone(), s.project.id);
        async move {
            app.raise_alert(
                &cao,
                project,
                alert(
                    "deploy_failed",
                    AlertSeverity::Critical,
                    format!("deploy:{n}"),
                    &format!("Deploy {n} failed"),
                ),
            )
            .await
            .unwrap();
        }
    };
    let sent = |tg: &FakeBotApi| tg.with_state(|st| st.bot_messages_in(GROUP, None).len());
    // The dispatcher is active and listening once it has delivered something; then the window
    // empties again.
    alert(0).await;
    tg.wait_until(|st| !st.bot_messages_in(GROUP, None).is_empty(), Duration::from_secs(10))
        .await
        .unwrap();
    // Everything queued so far is delivered (nothing else of ours can call in the window below).
    let deadline = Instant::now() + Duration::from_secs(15);
    while undelivered(&pool).await > 0 {
        assert!(Instant::now() < deadline, "the first alert's messages were never all delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep_until(after_the_last_counted_call(&tg)).await;

    // Another replica answers GLOBAL clicks: Telegram's window for the bot is full for a second.
    let http = reqwest::Client::new();
    for _ in 0..GLOBAL {
        let reply = http
            .post(format!("{}/bot{TOKEN}/setMyCommands", tg.url()))
            .json(&json!({ "commands": [] }))
            .send()
            .await
            .unwrap();
        let status = reply.status();
        assert!(status.is_success(), "{status}: {}", reply.text().await.unwrap_or_default());
    }
    let elsewhere = uuid::Uuid::new_v4();
    let mut conn = pool.acquire().await.unwrap();
    for _ in 0..GLOBAL {
        mission_control::storage::telegram_calls::record(&mut conn, 0, Some(elsewhere))
            .await
            .unwrap();
    }
    for n in 1..=3 {
        alert(n).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while undelivered(&pool).await > 0 {
        assert!(Instant::now() < deadline, "the alerts were never delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sent(&tg) > 1, "the new alerts reached the chat");
    assert_eq!(tg.rate_limited(), 0, "the dispatcher waited for room instead of a 429");
    let _ = stop.send(());
    dispatcher.await.unwrap().unwrap();
}

// ---- a database blip (issue 29) ----

/// Ends every connection to the test's database but the one asking (a failover of a managed
/// PostgreSQL, as the service sees it); returns how many it ended.
async fn cut_every_connection(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The bot messages in `thread` of the forum containing `needle`.
fn cards_with(tg: &FakeBotApi, thread: i32, needle: &str) -> usize {
    tg.bot_messages_in(FORUM, Some(thread))
        .iter()
        .filter(|m| m.text.as_deref().unwrap_or_default().contains(needle))
        .count()
}

/// One `serve`; every database connection it has is cut three times while five RED approvals
/// are requested: all five cards are in the Approvals topic within 5 s of the last cut, each
/// once, and a command typed right after is answered within 3 s.
#[sqlx::test]
async fn a_database_blip_costs_seconds_and_never_a_second_card(pool: PgPool) {
    let s = squad(pool.clone()).await;
    // No backlog to mirror: the group's 20 messages a minute are the cards' (what a backlog
    // costs is the control channel's business, not the blip's).
    let open: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM tasks WHERE status NOT IN ('done', 'canceled')")
        .fetch_all(&pool)
        .await
        .unwrap();
    for task in open {
        s.move_task(task, TaskStatus::Canceled, "not part of this scenario").await;
    }
    let tg = bound_fake(&s, FORUM, ChatKind::Supergroup { forum: true }).await;
    tg.add_chat(ADMIN, ChatKind::Private, "Sofie");
    let db = database_url(&pool).await;
    let replica = Replica::start(&db, &tg);
    health_until(&replica.url, Duration::from_secs(60), |h| {
        role(h, "poller") == "active" && role(h, "dispatcher") == "active"
    })
    .await;
    let approvals = eventually("the Approvals topic", Duration::from_secs(60), || async {
        s.app
            .binding_for_project(s.project.id)
            .await
            .ok()
            .flatten()
            .and_then(|b| b.approvals_topic_id)
    })
    .await;
    eventually("the bind delivered", Duration::from_secs(60), || async {
        (undelivered(&pool).await == 0).then_some(())
    })
    .await;
    ask_whoami(&tg, Duration::from_secs(30)).await.expect("answered before the blip");

    let mut markers = Vec::new();
    for (round, asks) in [2, 2, 1].into_iter().enumerate() {
        // Telegram answers the next card only after a moment, and the cut falls in it: after
        // Telegram accepted the card, before the dispatcher recorded it.
        tg.delay_next("sendMessage", Duration::from_millis(400), 1);
        for i in 0..asks {
            let marker = format!("blip-card-{round}-{i}");
            s.ask(&s.scout, &marker).await.unwrap();
            markers.push(marker);
        }
        eventually("a card is on its way", Duration::from_secs(60), || async {
            (tg.faults_left("sendMessage") == 0).then_some(())
        })
        .await;
        // The cut: every connection ended, and ended again as soon as one is made, for a
        // moment that spans Telegram's answer (a failover's flapping).
        let storm = Instant::now();
        let mut ended = 0;
        while storm.elapsed() < Duration::from_millis(900) {
            ended += cut_every_connection(&pool).await;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(ended > 0, "the service had connections");
    }
    let last_cut = Instant::now();
    tg.wait_until(
        |st| {
            markers.iter().all(|m| {
                st.bot_messages_in(FORUM, Some(approvals))
                    .iter()
                    .any(|c| c.text.as_deref().unwrap_or_default().contains(m.as_str()))
            })
        },
        Duration::from_secs(60),
    )
    .await
    .expect("every card arrives");
    let took = last_cut.elapsed();
    for c in tg.calls() {
        if c.method != "getUpdates" {
            eprintln!(
                "{:>8.3}s {} {} {:?}",
                c.at.checked_duration_since(last_cut)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(-last_cut.duration_since(c.at).as_secs_f64()),
                c.method,
                c.status,
                c.params.get("text").map(|t| t.to_string().chars().take(40).collect::<String>())
            );
        }
    }
    let asked = Instant::now();
    ask_whoami(&tg, Duration::from_secs(30))
        .await
        .expect("a command is answered after the blip");
    let answered = asked.elapsed();
    // Nothing more is on its way: each card exactly once.
    eventually("the outbox is empty", Duration::from_secs(30), || async {
        (undelivered(&pool).await == 0).then_some(())
    })
    .await;
    for marker in &markers {
        assert_eq!(cards_with(&tg, approvals, marker), 1, "{marker}: one card");
    }
    assert!(took < Duration::from_secs(5), "all five cards within 5 s of the last cut: {took:?}");
    assert!(answered < Duration::from_secs(3), "the command within 3 s: {answered:?}");
    drop(replica);
}

/// The lock connection alone is cut (nothing else fails): the only replica notices within a
/// second and holds the lock again on a new connection at once, not at its next regular tick.
#[sqlx::test]
async fn a_cut_lock_connection_is_replaced_within_two_seconds(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let tg = bound_fake(&s, FORUM, ChatKind::Supergroup { forum: true }).await;
    let db = database_url(&pool).await;
    let replica = Replica::start(&db, &tg);
    health_until(&replica.url, Duration::from_secs(60), |h| role(h, "dispatcher") == "active").await;
    let holder = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i32>(
            "SELECT pid FROM pg_locks
              WHERE locktype = 'advisory' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND ((classid::bigint << 32) | objid::bigint) = $1",
        )
        .bind(LOCK_KEY)
        .fetch_optional(&pool)
        .await
        .unwrap()
    };
    let first = eventually("the dispatcher holds its lock", Duration::from_secs(30), || holder(pool.clone())).await;
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(ended);
    let cut = Instant::now();
    let second = eventually("the lock taken again", Duration::from_secs(30), || async {
        holder(pool.clone()).await.filter(|pid| *pid != first)
    })
    .await;
    let took = cut.elapsed();
    assert_ne!(second, first);
    assert!(took < Duration::from_secs(2), "the lock was held again {took:?} after the cut");
    drop(replica);
}
