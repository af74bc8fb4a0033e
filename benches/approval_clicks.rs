//! Approval clicks through the bot: a fake Telegram delivers `callback_query` updates for
//! Approve buttons, the bot (long polling, teloxide's dispatcher, the core) decides them and
//! answers each click. Measures clicks per second and the handling latency of each click, from
//! the moment the fake queues the update to the moment the bot's `answerCallbackQuery` reaches it.
//!
//!     cargo bench --bench approval_clicks                        # 400 clicks, 8 chats
//!     BENCH_CLICKS=2000 BENCH_CHATS=16 cargo bench --bench approval_clicks
//!
//! Phases: one click at a time (latency), a burst of clicks spread over the chats (throughput),
//! and the same burst again on approvals already decided (each is told who decided).
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::Context;
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser};
use mission_control::app::approvals::RequestApproval;
use mission_control::app::{App, Rules, SystemClock};
use mission_control::configuration::{TelegramMode, TelegramSettings};
use mission_control::domain::Actor;
use mission_control::telegram::actions::ButtonAction;
use mission_control::telegram::{bot, make_bot};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, BenchDb};
use teloxide::prelude::*;

const TOKEN: &str = "777:bench-token";
const CAO: i64 = 1001;

struct Phase {
    name: &'static str,
    clicks: usize,
    chats: usize,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    unanswered: usize,
}

/// One Approve button per approval: the message it is under and its token.
struct Button {
    chat: i64,
    message: i32,
    token: String,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// Clicks `buttons` (all at once, or one after the other) and measures until every click is
/// answered.
async fn run_phase(tg: &FakeBotApi, name: &'static str, buttons: &[Button], one_by_one: bool, chats: usize) -> anyhow::Result<Phase> {
    let user = FakeUser::new(CAO, "Sofie");
    let mut clicked: HashMap<String, Instant> = HashMap::with_capacity(buttons.len());
    let started = Instant::now();
    for b in buttons {
        let at = Instant::now();
        let id = tg.click(b.chat, &user, b.message, &b.token);
        clicked.insert(id.clone(), at);
        if one_by_one {
            tg.wait_until(|s| s.unanswered_callbacks().is_empty(), Duration::from_secs(30))
                .await
                .with_context(|| format!("click {id} not answered"))?;
        }
    }
    let done = tg
        .wait_until(|s| s.unanswered_callbacks().is_empty(), Duration::from_secs(120))
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let unanswered = if done.is_err() { tg.unanswered_callbacks().len() } else { 0 };
    let mut latencies: Vec<f64> = tg
        .calls_to("answerCallbackQuery")
        .into_iter()
        .filter(|c| c.ok())
        .filter_map(|c| {
            let id = c.params["callback_query_id"].as_str()?;
            clicked.get(id).map(|at| c.at.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    Ok(Phase {
        name,
        clicks: buttons.len(),
        chats,
        per_sec: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        unanswered,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clicks: usize = env_or("BENCH_CLICKS", 400);
    let chats: usize = env_or("BENCH_CHATS", 8).max(1);
    let sequential: usize = env_or("BENCH_SEQUENTIAL", 100).min(clicks);
    let db = BenchDb::create("clicks", 20).await?;
    let pool = db.pool.clone();
    let app = App::new(pool.clone(), Arc::new(SystemClock), Rules::default());
    app.seed().await?;
    app.ensure_admins(&[CAO]).await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let scout = app.agent_by_name(&system, project.id, "Scout").await?;
    let scout_actor = Actor::Agent {
        id: scout.id,
        project_id: scout.project_id,
        name: scout.name.clone(),
    };

    // Telegram's flood limits are the dispatcher's subject, not this one's.
    let tg = FakeBotApi::start_with(
        TOKEN,
        FakeConfig {
            enforce_limits: false,
            ..FakeConfig::default()
        },
    )
    .await?;
    let settings = TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        mode: TelegramMode::Polling,
        webhook_url: String::new(),
        webhook_secret: String::new(),
        admins: vec![CAO],
        default_lang: "en".into(),
        mini_app_name: String::new(),
    };
    let telegram = make_bot(&settings)?;

    // Pending approvals, each with an Approve button under a message in one of the chats.
    let total = sequential + clicks;
    let mut buttons = Vec::with_capacity(total);
    let mut holders = Vec::with_capacity(chats);
    for c in 0..chats {
        let chat = -1_000_000 - c as i64;
        tg.add_chat(chat, ChatKind::Supergroup { forum: false }, &format!("Bench {c}"));
        let held = telegram.send_message(ChatId(chat), "approval requests").await?;
        holders.push((chat, held.id.0));
    }
    for i in 0..total {
        let approval = app
            .request_approval(
                &scout_actor,
                RequestApproval {
                    agent_id: scout.id,
                    action_type: "email.send".into(),
                    action_summary: format!("benchmark email {i}"),
                    justification: "benchmark".into(),
                    expires_in_minutes: Some(600),
                    ..Default::default()
                },
            )
            .await?;
        let (chat, message) = holders[i % chats];
        let token =
            mission_control::telegram::actions::store(&app, &ButtonAction::Approve { approval_id: approval.id }, Some(chat)).await?;
        buttons.push(Button { chat, message, token });
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot_task = tokio::spawn(bot::run_polling_with(
        app.clone(),
        telegram,
        settings,
        Duration::from_secs(1),
        async move {
            let _ = stopped.await;
        },
    ));
    tg.wait_until(|s| !s.calls_to("getUpdates").is_empty(), Duration::from_secs(10))
        .await?;

    println!("approval clicks through the bot: {sequential} one by one, then {clicks} over {chats} chats");
    let (first, rest) = buttons.split_at(sequential);
    let one = run_phase(&tg, "approve, one at a time", first, true, 1).await?;
    let burst = run_phase(&tg, "approve, burst", rest, false, chats).await?;
    let again = run_phase(&tg, "already decided, burst", rest, false, chats).await?;

    let approved: i64 = sqlx::query_scalar("SELECT count(*) FROM approvals WHERE status = 'approved'")
        .fetch_one(&pool)
        .await?;

    println!();
    println!("| phase | clicks | chats | clicks/s | p50 ms | p99 ms | max ms | unanswered |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for p in [&one, &burst, &again] {
        println!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |",
            p.name, p.clicks, p.chats, p.per_sec, p.p50_ms, p.p99_ms, p.max_ms, p.unanswered
        );
    }
    println!();
    println!("approved: {approved} of {total}; Bot API violations: {}", tg.violations().len());

    let _ = stop.send(());
    bot_task.await??;
    tg.shutdown().await;
    db.drop().await?;
    anyhow::ensure!(approved == total as i64, "every clicked approval must be approved");
    Ok(())
}
