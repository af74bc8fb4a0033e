//! The real `serve` binary with Telegram on (against the fake Bot API): it answers a command
//! through the outbox, and SIGTERM during an outbox burst exits 0 and loses nothing — the next
//! start delivers the rest.

use crate::common;

use common::telegram::{bound_fake, TOKEN};
use common::*;
use fake_telegram::{ChatKind, FakeBotApi, FakeUser};
use mission_control::domain::*;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FORUM: i64 = -1003;
const ADMIN: i64 = 4242;

/// A `serve` child that is killed if the test fails, so it never outlives it.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn serve(db: &str, tg: &FakeBotApi) -> Serve {
    Serve(
        Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .arg("serve")
            .env("DATABASE_URL", db)
            .env("MC_TELEGRAM__TOKEN", TOKEN)
            .env("MC_TELEGRAM__API_URL", tg.url())
            .env("MC_TELEGRAM__ADMINS", ADMIN.to_string())
            .env("MC_HTTP__ADDR", "127.0.0.1:0")
            .env("MC_JOBS__ENABLED", "false")
            .env("MC_LOG__LEVEL", std::env::var("SERVE_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start serve"),
    )
}

fn terminate(child: &Serve) {
    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success());
}

async fn wait_exit(child: &mut Serve, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Undelivered rows of the burst (the open tasks' topics, queued by the bind after everything
/// else and paced at 20 calls a minute, are not what this test is about).
async fn pending(pool: &PgPool) -> i64 {
    count(
        pool,
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') AND kind <> 'task_thread_needed'",
    )
    .await
}

#[sqlx::test]
async fn sigterm_during_an_outbox_burst_exits_cleanly_and_loses_nothing(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let tg = bound_fake(&s, FORUM, ChatKind::Supergroup { forum: true }).await;
    // The burst: approval requests (one message each, with buttons: no digest folds them) and
    // alerts (which may go out as digests).
    let mut expected = Vec::new();
    for i in 0..20 {
        let marker = format!("storm-{i:03}-end");
        s.ask(&s.scout, &marker).await.unwrap();
        expected.push(marker);
    }
    for i in 20..40 {
        let marker = format!("storm-{i:03}-end");
        s.raise("storm", AlertSeverity::Warning, format!("storm:{i}"), &marker).await;
        expected.push(marker);
    }
    let before = pending(&pool).await;
    assert!(before >= 41, "{before} rows queued");

    let db = database_url(&pool).await;
    let mut first = serve(&db, &tg);
    // Stop it once delivery is under way but not done.
    let deadline = Instant::now() + Duration::from_secs(60);
    while tg.bot_messages_in(FORUM, None).len() < 6 {
        assert!(Instant::now() < deadline, "delivery starts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    terminate(&first);
    let status = wait_exit(&mut first, Duration::from_secs(30)).await;
    assert!(status.success(), "SIGTERM exits 0: {status:?}");
    let stuck = count(&pool, "SELECT count(*) FROM outbox WHERE status = 'sending'").await;
    assert_eq!(stuck, 0, "nothing is left half-sent after a graceful stop");
    // The chat's pace (about 20 messages a minute) and the bounded drain leave part of the
    // burst for the next start: otherwise "the next start continues" would prove nothing.
    let left = pending(&pool).await;
    assert!(
        left > 0 && left < before,
        "part of the burst was delivered and part left pending by the first process ({left} of {before} pending)"
    );

    // The next start continues where it stopped.
    let mut second = serve(&db, &tg);
    let deadline = Instant::now() + Duration::from_secs(240);
    while pending(&pool).await > 0 {
        assert!(Instant::now() < deadline, "the rest is delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    terminate(&second);
    assert!(wait_exit(&mut second, Duration::from_secs(30)).await.success());

    let texts: Vec<String> = tg
        .bot_messages_in(FORUM, None)
        .into_iter()
        .filter_map(|m| m.text.or(m.caption))
        .collect();
    for marker in &expected {
        let seen = texts.iter().filter(|t| t.contains(marker.as_str())).count();
        assert!(seen >= 1, "{marker} reached the chat");
        assert!(seen <= 2, "{marker} shown {seen} times (at most the in-flight one twice)");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox WHERE status = 'failed'").await, 0);
    let limited: Vec<_> = tg
        .calls()
        .into_iter()
        .filter(|c| c.rate_limited)
        .map(|c| (c.method, c.description))
        .collect();
    assert_eq!(tg.rate_limited(), 0, "{limited:?}");
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
}

#[sqlx::test]
async fn serve_answers_a_telegram_command_through_the_outbox(pool: PgPool) {
    // The seeded squad and the CAO from MC_TELEGRAM__ADMINS.
    let _squad = squad(pool.clone()).await;
    let tg = FakeBotApi::start(TOKEN).await.unwrap();
    let admin = FakeUser {
        id: ADMIN,
        first_name: "Sofie".into(),
        username: Some("sofie".into()),
        language_code: Some("en".into()),
    };
    tg.add_chat(ADMIN, ChatKind::Private, "Sofie");
    let db = database_url(&pool).await;
    let mut child = serve(&db, &tg);
    tg.user_message(ADMIN, &admin, "/whoami", None);
    tg.wait_until(|state| !state.bot_messages_in(ADMIN, None).is_empty(), Duration::from_secs(30))
        .await
        .expect("a reply");
    let reply = tg.bot_messages_in(ADMIN, None)[0].text.clone().unwrap_or_default();
    assert!(reply.contains("cao") || reply.to_lowercase().contains("cao"), "{reply}");
    // The reply went through the outbox (marked delivered just after the fake saw it).
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'reply' AND status = 'delivered'").await == 0 {
        assert!(Instant::now() < deadline, "the reply row is marked delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'reply' AND status = 'delivered'").await >= 1);
    terminate(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(30)).await.success());
}
