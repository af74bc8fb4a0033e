//! An alert storm against the outbox dispatcher: N alerts (default 1,000) raised through the core
//! over S seconds (default 10) for one bound group, delivered to the fake Bot API with Telegram's
//! own limits (1 msg/s per chat, 20/min per group, 30/s overall). Prints what reached the chat:
//! messages actually sent, 429s received, alerts missing, and how long until the last alert was
//! visible.
//!
//!     cargo bench --bench alert_storm
//!     BENCH_ALERTS=2000 BENCH_SECONDS=20 cargo bench --bench alert_storm
//!
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::Context;
use fake_telegram::{ChatKind, FakeBotApi};
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::chats::ChatInfo;
use mission_control::app::{App, Rules, SystemClock};
use mission_control::domain::{Actor, AlertSeverity, OperatorRole};
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, BenchDb};
use teloxide::Bot;

const TOKEN: &str = "777000:storm-bench";
const GROUP: i64 = -100_777;

/// The alert number `i` says in its message; unique and easy to find in the chat.
fn marker(i: usize) -> String {
    format!("storm #{i:05})")
}

/// A plausible alert: several types and severities, each about its own subject.
fn alert(i: usize) -> RaiseAlert {
    let agent = uuid::Uuid::new_v4();
    let (alert_type, severity, subject, what) = match i % 5 {
        0 => (
            "budget_exceeded",
            AlertSeverity::Critical,
            format!("agent:{agent}"),
            "went over its daily cap",
        ),
        1 => (
            "error_streak",
            AlertSeverity::Warning,
            format!("agent:{agent}"),
            "failed 3 runs in a row",
        ),
        2 => (
            "agent_stale",
            AlertSeverity::Warning,
            format!("agent:{agent}"),
            "missed its heartbeats",
        ),
        3 => (
            "loop_detected",
            AlertSeverity::Critical,
            format!("task:{agent}"),
            "bounced between review and in_progress",
        ),
        _ => ("queue_backlog", AlertSeverity::Info, format!("queue:{i}"), "has a growing backlog"),
    };
    RaiseAlert {
        alert_type: alert_type.into(),
        severity,
        subject,
        message: format!("Worker-{:03} {what} ({}", i % 250, marker(i)),
        details: serde_json::json!({ "bench": true }),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let alerts: usize = env_or("BENCH_ALERTS", 1000);
    let seconds: f64 = env_or("BENCH_SECONDS", 10.0);
    let db = BenchDb::create("storm", 20).await?;
    let pool = db.pool.clone();
    let app = App::new(pool.clone(), Arc::new(SystemClock), Rules::default());
    app.seed().await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let (cao, _) = app.create_operator_token(&system, "Storm CAO", OperatorRole::Cao).await?;
    let cao = Actor::Operator {
        id: cao.id,
        name: cao.name,
        role: cao.role,
    };

    let tg = FakeBotApi::start(TOKEN).await?;
    tg.add_chat(GROUP, ChatKind::Supergroup { forum: false }, "Storm ops");
    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(&tg.url())?);

    // The seed's notices found no chat: skip them, as a dispatcher running all along would.
    let dispatcher = Dispatcher::new(app.clone(), bot, DispatchOptions::default());
    dispatcher.tick().await?;
    app.bind_chat(
        &cao,
        &ChatInfo {
            chat_id: GROUP,
            title: Some("Storm ops".into()),
            is_forum: false,
        },
        &project.slug,
    )
    .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(dispatcher.run(async move {
        let _ = stopped.await;
    }));
    tg.wait_until(|st| !st.bot_messages_in(GROUP, None).is_empty(), Duration::from_secs(10))
        .await
        .context("the bound message")?;
    // Start from a quiet chat (the bound message is past the per-chat interval).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before_sent = tg.bot_messages_in(GROUP, None).len();
    tg.reset_records();

    println!("alert storm: {alerts} alerts over {seconds} s for one group, fake Bot API with Telegram's limits");
    let started = Instant::now();
    let producer = {
        let app = app.clone();
        let cao = cao.clone();
        let project_id = project.id;
        tokio::spawn(async move {
            let step = Duration::from_secs_f64(seconds / alerts.max(1) as f64);
            let mut failures = 0usize;
            for i in 0..alerts {
                tokio::time::sleep_until((started + step * i as u32).into()).await;
                if app.raise_alert(&cao, project_id, alert(i)).await.is_err() {
                    failures += 1;
                }
            }
            (started.elapsed(), failures)
        })
    };

    // Watch the chat until every alert is there (or give up after three minutes).
    let markers: Vec<String> = (0..alerts).map(marker).collect();
    let mut last_visible = None;
    let deadline = started + Duration::from_secs(180);
    let mut found = vec![0usize; alerts];
    while Instant::now() < deadline {
        let texts: Vec<String> = tg
            .bot_messages_in(GROUP, None)
            .into_iter()
            .skip(before_sent)
            .filter_map(|m| m.text)
            .collect();
        for (i, m) in markers.iter().enumerate() {
            found[i] = texts.iter().map(|t| t.matches(m.as_str()).count()).sum();
        }
        if producer.is_finished() && found.iter().all(|n| *n > 0) {
            last_visible = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (raised_in, raise_failures) = producer.await?;
    // Let the dispatcher settle, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = tg.calls();
    let sent = calls.iter().filter(|c| c.method == "sendMessage" && c.ok()).count();
    let edits = calls.iter().filter(|c| c.method == "editMessageText" && c.ok()).count();
    let api_calls = calls.len();
    let limited = tg.rate_limited();
    let missing = found.iter().filter(|n| **n == 0).count();
    let duplicated = found.iter().filter(|n| **n > 1).count();
    let digest_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE delivery = 'digest'")
        .fetch_one(&pool)
        .await?;
    let undelivered: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'alert_raised' AND status <> 'delivered'")
        .fetch_one(&pool)
        .await?;

    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| alerts raised (over) | {alerts} ({:.1} s, {raise_failures} refused) |",
        raised_in.as_secs_f64()
    );
    println!("| messages actually sent | {sent} |");
    println!("| edits | {edits} |");
    println!("| Bot API calls in all | {api_calls} |");
    println!("| 429s received (target 0) | {limited} |");
    println!("| alerts missing from the chat (target 0) | {missing} |");
    println!("| alerts shown twice | {duplicated} |");
    println!("| alerts delivered in digests | {digest_rows} |");
    println!("| alert rows not delivered | {undelivered} |");
    match last_visible {
        Some(t) => println!("| time until the last alert was visible | {:.1} s |", t.as_secs_f64()),
        None => println!("| time until the last alert was visible | not within 180 s |"),
    }
    println!();

    let _ = stop.send(());
    running.await??;
    tg.shutdown().await;
    db.drop().await?;
    if missing > 0 || limited > 0 {
        anyhow::bail!("{missing} alerts missing, {limited} 429s");
    }
    Ok(())
}
