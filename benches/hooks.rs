//! The permission layer under load: Claude Code's hook calls through `POST /api/hooks/claude-code`
//! (the real HTTP server, auth, the tool-call policy, the decision's row and audit event).
//!
//! - GREEN: `BENCH_SESSIONS` (50) concurrent sessions, each its own agent and token, send
//!   `PreToolUse` for `Read` as fast as answers come back, for `BENCH_SECONDS` (10): decisions
//!   per second, p50 and p99 latency.
//! - RED: `BENCH_RED` (10) rounds of a `Bash` `git push` the policy leaves to a human, with the
//!   bot and the outbox dispatcher running against the fake Bot API (Telegram's real limits, a
//!   forum bound with `/bind`): hook call → its card in the Approvals topic, and the CAO's
//!   ✅ click → the waiting hook call answered `allow`.
//!
//! Run:
//!
//!     cargo bench --bench hooks
//!     BENCH_SESSIONS=100 BENCH_SECONDS=20 BENCH_RED=20 cargo bench --bench hooks
//!
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::{bail, Context};
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser};
use mission_control::app::agents::RegisterAgent;
use mission_control::app::{App, SystemClock};
use mission_control::configuration::{Settings, TelegramMode, TelegramSettings};
use mission_control::domain::{Actor, AgentRole, TaskType};
use mission_control::startup::Application;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use mission_control::telegram::{bot, make_bot};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, percentile, BenchDb};
use tokio::net::TcpListener;

const TOKEN: &str = "777:bench-token";
const CAO: i64 = 1001;
const FORUM: i64 = -100_777;

fn pre_tool_use(session: &str, tool: &str, input: Value) -> Value {
    json!({
        "session_id": session,
        "transcript_path": format!("/home/dev/.claude/projects/-home-dev-shop/{session}.jsonl"),
        "cwd": "/home/dev/shop",
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": format!("toolu_{session}"),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// GREEN decisions of a phase.
struct Green {
    per_sec: f64,
    latencies: Vec<f64>,
    errors: u64,
}

/// Every session reads files for `seconds`: at `rate` calls a second between them (each session
/// its share, on a steady beat), or, without a rate, each as fast as it is answered.
async fn green(http: &reqwest::Client, url: &str, tokens: &Arc<Vec<String>>, seconds: u64, rate: Option<u64>) -> anyhow::Result<Green> {
    let sessions = tokens.len();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let every = rate.map(|r| Duration::from_secs_f64(sessions as f64 / r.max(1) as f64));
    let mut clients = Vec::new();
    for i in 0..sessions {
        let (http, url, tokens) = (http.clone(), url.to_string(), tokens.clone());
        clients.push(tokio::spawn(async move {
            let session = format!("bench-session-{i:03}");
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            let mut beat = every.map(|every| {
                let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every.mul_f64(i as f64 / sessions as f64), every);
                beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                beat
            });
            while Instant::now() < deadline {
                if let Some(beat) = beat.as_mut() {
                    beat.tick().await;
                }
                let body = pre_tool_use(
                    &session,
                    "Read",
                    json!({ "file_path": format!("/home/dev/shop/src/file{}.rs", n % 97) }),
                );
                let t = Instant::now();
                let answer = http
                    .post(format!("{url}/api/hooks/claude-code"))
                    .bearer_auth(&tokens[i])
                    .json(&body)
                    .send()
                    .await;
                let allowed = match answer {
                    Ok(r) if r.status().is_success() => r
                        .json::<Value>()
                        .await
                        .is_ok_and(|v| v["hookSpecificOutput"]["permissionDecision"] == "allow"),
                    _ => false,
                };
                if allowed {
                    latencies.push(ms(t.elapsed()));
                } else {
                    errors += 1;
                }
                n += 1;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for c in clients {
        let (l, e) = c.await?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_by(f64::total_cmp);
    Ok(Green {
        per_sec: latencies.len() as f64 / started.elapsed().as_secs_f64(),
        latencies,
        errors,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sessions: usize = env_or("BENCH_SESSIONS", 50);
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let red_rounds: usize = env_or("BENCH_RED", 10);
    let rate: u64 = env_or("BENCH_RATE", 500);
    let db = BenchDb::create("hooks", (sessions as u32 + 8).min(60)).await?;
    let pool = db.pool.clone();

    let tg = FakeBotApi::start_with(TOKEN, FakeConfig::default()).await?;
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
    let settings = Settings::load_from(
        None,
        [
            ("MC_HTTP__RATE_LIMIT_PER_MINUTE".to_string(), "0".to_string()),
            // One agent per session, beside the seeded squad.
            ("MC_LIMITS__MAX_ACTIVE_AGENTS".to_string(), (sessions + 10).to_string()),
            ("MC_JOBS__ENABLED".to_string(), "false".to_string()),
            (
                "MC_HTTP__ADMIN_TOKEN".to_string(),
                "bench-admin-token-0123456789-abcdefghij".to_string(),
            ),
        ],
    )?;
    let core = App::new(
        pool.clone(),
        Arc::new(SystemClock),
        mission_control::app::Rules::from_settings(&settings)?,
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let application = Application::build(&settings, core, listener).await?;
    let url = format!("http://{}", application.local_addr()?);
    let app: App = application.app.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = tokio::spawn(application.run(until_stopped(stopped.clone())));

    app.seed().await?;
    app.ensure_admins(&[CAO]).await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let mut tokens = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let registration = app
            .register_agent(
                &system,
                project.id,
                RegisterAgent {
                    name: format!("Coder{i}"),
                    role: AgentRole::Specialist,
                    allowed_task_types: vec![TaskType::Engineering],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: true,
                },
            )
            .await?;
        tokens.push(registration.token.context("a token")?);
    }
    let tokens = Arc::new(tokens);
    let http = reqwest::Client::builder().pool_max_idle_per_host(sessions).build()?;

    println!(
        "permission layer: {sessions} concurrent Claude Code sessions, {seconds}s of GREEN decisions at {rate}/s and flat out, then {red_rounds} RED rounds"
    );
    let steady = green(&http, &url, &tokens, seconds, Some(rate)).await?;
    let flat_out = green(&http, &url, &tokens, seconds, None).await?;
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM tool_calls WHERE risk = 'green'")
        .fetch_one(&pool)
        .await?;

    // RED: the bot and the dispatcher against Telegram's limits, the forum bound.
    let telegram = TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        mode: TelegramMode::Polling,
        webhook_url: String::new(),
        webhook_secret: String::new(),
        admins: vec![CAO],
        default_lang: "en".into(),
        mini_app_name: String::new(),
    };
    let dispatcher =
        tokio::spawn(Dispatcher::new(app.clone(), make_bot(&telegram)?, DispatchOptions::default()).run(until_stopped(stopped.clone())));
    let bot_task = tokio::spawn(bot::run_polling_with(
        app.clone(),
        make_bot(&telegram)?,
        telegram,
        Duration::from_secs(1),
        until_stopped(stopped.clone()),
    ));
    tg.wait_until(|s| !s.calls_to("getUpdates").is_empty(), Duration::from_secs(10))
        .await?;
    let sofie = FakeUser::new(CAO, "Sofie").with_username("sofie").with_language("en");
    tg.user_message(FORUM, &sofie, "/bind openclaw", None);
    let bound = Instant::now();
    let approvals_topic = loop {
        if let Some(topic) = app.binding_for_project(project.id).await?.and_then(|b| b.approvals_topic_id) {
            break topic;
        }
        if bound.elapsed() > Duration::from_secs(120) {
            bail!("the forum was not bound within two minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The seed's tasks get their topics first: wait for the outbox to be empty.
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status NOT IN ('delivered', 'skipped')")
            .fetch_one(&pool)
            .await?;
        if pending == 0 {
            break;
        }
        if bound.elapsed() > Duration::from_secs(600) {
            bail!("{pending} messages still queued ten minutes after /bind");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut to_card = Vec::new();
    let mut to_answer = Vec::new();
    for round in 0..red_rounds {
        let known: Vec<i32> = tg.messages_in(FORUM, Some(approvals_topic)).iter().map(|m| m.message_id).collect();
        let body = pre_tool_use(
            "bench-red",
            "Bash",
            json!({ "command": format!("git push origin release-{round}") }),
        );
        let asked = Instant::now();
        let call = {
            let (http, url, token) = (http.clone(), url.clone(), tokens[0].clone());
            tokio::spawn(async move {
                let r = http
                    .post(format!("{url}/api/hooks/claude-code"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await?;
                let v: Value = r.json().await?;
                anyhow::Ok((v, Instant::now()))
            })
        };
        let card = loop {
            let card = tg
                .messages_in(FORUM, Some(approvals_topic))
                .into_iter()
                .find(|m| !known.contains(&m.message_id) && m.text.as_deref().is_some_and(|t| t.contains(&format!("release-{round}"))));
            if let Some(card) = card {
                break card;
            }
            if asked.elapsed() > Duration::from_secs(60) {
                bail!("round {round}: no card within a minute");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        to_card.push(ms(asked.elapsed()));
        let clicked = Instant::now();
        tg.click_button(FORUM, &sofie, card.message_id, "✅ Once")?;
        let (answer, at) = tokio::time::timeout(Duration::from_secs(60), call)
            .await
            .context("the hook call answered")???;
        if answer["hookSpecificOutput"]["permissionDecision"] != "allow" {
            bail!("round {round}: {answer}");
        }
        to_answer.push(ms(at - clicked));
        // A round costs the group a card and its edit: 10 s apart stays within Telegram's 20
        // messages a minute per group, beside the dispatcher's own traffic.
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    to_card.sort_by(f64::total_cmp);
    to_answer.sort_by(f64::total_cmp);

    println!();
    println!("| GREEN decisions ({sessions} sessions) | decisions/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|");
    for (name, g) in [(format!("steady, {rate}/s offered"), &steady), ("flat out".to_string(), &flat_out)] {
        println!(
            "| `PreToolUse` Read → allow, {name} | {:.0} | {:.2} | {:.2} | {} |",
            g.per_sec,
            percentile(&g.latencies, 0.5),
            percentile(&g.latencies, 0.99),
            g.errors
        );
    }
    println!("{recorded} decisions recorded (a row and an audit event each)");
    println!();
    println!("| RED, {red_rounds} rounds | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, l) in [
        ("hook call → card in the Approvals topic", &to_card),
        ("✅ click → hook answered allow", &to_answer),
    ] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} |",
            percentile(l, 0.5),
            percentile(l, 0.99),
            l.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!();
    println!("Bot API violations: {}", tg.violations().len());

    let _ = stop.send(true);
    server.await??;
    dispatcher.await??;
    bot_task.await??;
    tg.shutdown().await;
    db.drop().await?;
    Ok(())
}
