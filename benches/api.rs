//! API throughput against its own baseline: N concurrent clients send agent heartbeats and task
//! transitions through HTTP (auth, JSON, axum, the core), then the same use-case transactions
//! are run in-process straight on the sqlx pool. Prints both rates and their ratio.
//!
//!     cargo bench --bench api                       # 16 clients, 5 s per phase
//!     BENCH_CLIENTS=32 BENCH_SECONDS=10 cargo bench --bench api
//!
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::Context;
use mission_control::app::agents::RegisterAgent;
use mission_control::app::tasks::{CreateTask, TransitionTask};
use mission_control::app::{App, SystemClock};
use mission_control::configuration::Settings;
use mission_control::domain::{Actor, AgentRole, OperatorRole, TaskStatus, TaskType};
use mission_control::model::Agent;
use mission_control::startup::Application;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, BenchDb};
use tokio::net::TcpListener;
use uuid::Uuid;

struct Worker {
    agent: Agent,
    agent_token: String,
    task_id: Uuid,
}

struct Rate {
    ops: u64,
    errors: u64,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs `op(i, n)` from `clients` concurrent loops for `seconds`, counting successes.
async fn measure<F, Fut>(clients: usize, seconds: u64, op: F) -> Rate
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut handles = Vec::new();
    for client in 0..clients {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                if op(client, n).await {
                    latencies.push(t.elapsed());
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
    for handle in handles {
        let (l, e) = handle.await.expect("client task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Rate {
        ops: latencies.len() as u64,
        errors,
        per_sec: latencies.len() as f64 / elapsed,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

/// Alternates a task between in_progress and blocked; `n` says which way this step goes.
fn transition_step(n: u64) -> TransitionTask {
    if n.is_multiple_of(2) {
        TransitionTask {
            to: Some(TaskStatus::Blocked),
            reason: Some("waiting for the benchmark's other half".into()),
            ..Default::default()
        }
    } else {
        TransitionTask {
            to: Some(TaskStatus::InProgress),
            ..Default::default()
        }
    }
}

fn transition_body(n: u64) -> String {
    if n.is_multiple_of(2) {
        r#"{"toStatus":"blocked","reason":"waiting for the benchmark's other half"}"#.to_string()
    } else {
        r#"{"toStatus":"in_progress"}"#.to_string()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients: usize = env_or("BENCH_CLIENTS", 16);
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let pool_size = (clients as u32 + 4).min(40);
    let db = BenchDb::create("api", pool_size).await?;
    let pool = db.pool.clone();
    let settings = Settings::load_from(
        None,
        [
            ("MC_HTTP__RATE_LIMIT_PER_MINUTE".to_string(), "0".to_string()),
            ("MC_JOBS__ENABLED".to_string(), "false".to_string()),
            (
                "MC_HTTP__ADMIN_TOKEN".to_string(),
                "bench-admin-token-0123456789-abcdefghij".to_string(),
            ),
        ],
    )?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let core = App::new(
        pool.clone(),
        Arc::new(SystemClock),
        mission_control::app::Rules::from_settings(&settings)?,
    );
    let application = Application::build(&settings, core, listener).await?;
    let url = format!("http://{}", application.local_addr()?);
    let app: App = application.app.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_task = tokio::spawn(application.run(async move {
        let _ = stopped.await;
    }));

    // The squad: one agent and one in-progress task per client.
    app.seed().await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let (operator, operator_token) = app.create_operator_token(&system, "bench operator", OperatorRole::Operator).await?;
    let operator = Actor::Operator {
        id: operator.id,
        name: operator.name,
        role: operator.role,
    };
    let mut workers = Vec::new();
    for i in 0..clients {
        let registration = app
            .register_agent(
                &system,
                project.id,
                RegisterAgent {
                    name: format!("Bench{i}"),
                    role: AgentRole::Specialist,
                    allowed_task_types: vec![TaskType::Ops],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: true,
                },
            )
            .await?;
        let task = app
            .create_task(
                &operator,
                project.id,
                CreateTask {
                    title: format!("Benchmark task {i}"),
                    description: String::new(),
                    task_type: TaskType::Ops,
                    priority: None,
                    assignee_ids: vec![registration.agent.id],
                    reviewer_id: None,
                    budget_allocated: None,
                },
            )
            .await?;
        app.transition_task(
            &operator,
            task.id,
            TransitionTask {
                to: Some(TaskStatus::InProgress),
                work_plan: Some(vec!["Warm up".into(), "Measure".into(), "Report".into()]),
                ..Default::default()
            },
        )
        .await?;
        workers.push(Worker {
            agent: registration.agent,
            agent_token: registration.token.context("a token")?,
            task_id: task.id,
        });
    }
    let workers = Arc::new(workers);
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;

    println!("mission-control API benchmark: {clients} concurrent clients, {seconds}s per phase");
    let heartbeat_http = {
        let (workers, http, url) = (workers.clone(), http.clone(), url.clone());
        measure(clients, seconds, move |i, _| {
            let (workers, http, url) = (workers.clone(), http.clone(), url.clone());
            async move {
                let w = &workers[i];
                let r = http
                    .post(format!("{url}/api/agents/{}/heartbeat", w.agent.id))
                    .bearer_auth(&w.agent_token)
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        })
        .await
    };
    let heartbeat_direct = {
        let (workers, app) = (workers.clone(), app.clone());
        measure(clients, seconds, move |i, _| {
            let (workers, app) = (workers.clone(), app.clone());
            async move {
                let w = &workers[i];
                let actor = Actor::Agent {
                    id: w.agent.id,
                    project_id: w.agent.project_id,
                    name: w.agent.name.clone(),
                };
                app.heartbeat(&actor, w.agent.id).await.is_ok()
            }
        })
        .await
    };
    // Each phase starts from in_progress: the step count decides the direction, so a phase that
    // ends on an odd count is brought back first.
    let transitions_http = {
        let (workers, http, url, token) = (workers.clone(), http.clone(), url.clone(), operator_token.clone());
        measure(clients, seconds, move |i, n| {
            let (workers, http, url, token) = (workers.clone(), http.clone(), url.clone(), token.clone());
            async move {
                let w = &workers[i];
                let r = http
                    .post(format!("{url}/api/tasks/{}/transition", w.task_id))
                    .bearer_auth(&token)
                    .body(transition_body(n))
                    .send()
                    .await;
                matches!(r, Ok(r) if r.status().is_success())
            }
        })
        .await
    };
    for w in workers.iter() {
        let task = app.get_task(&operator, w.task_id).await?;
        if task.status == TaskStatus::Blocked {
            app.transition_task(&operator, w.task_id, transition_step(1)).await?;
        }
    }
    let transitions_direct = {
        let (workers, app, operator) = (workers.clone(), app.clone(), operator.clone());
        measure(clients, seconds, move |i, n| {
            let (workers, app, operator) = (workers.clone(), app.clone(), operator.clone());
            async move { app.transition_task(&operator, workers[i].task_id, transition_step(n)).await.is_ok() }
        })
        .await
    };

    println!();
    println!("| operation | path | ops/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---:|---:|---:|---:|");
    for (name, path, rate) in [
        ("heartbeat", "HTTP", &heartbeat_http),
        ("heartbeat", "direct sqlx", &heartbeat_direct),
        ("transition", "HTTP", &transitions_http),
        ("transition", "direct sqlx", &transitions_direct),
    ] {
        println!(
            "| {name} | {path} | {:.0} | {:.2} | {:.2} | {} |",
            rate.per_sec, rate.p50_ms, rate.p99_ms, rate.errors
        );
    }
    println!();
    let hb_ratio = heartbeat_http.per_sec / heartbeat_direct.per_sec.max(f64::MIN_POSITIVE);
    let tr_ratio = transitions_http.per_sec / transitions_direct.per_sec.max(f64::MIN_POSITIVE);
    println!("HTTP / direct: heartbeats {hb_ratio:.2}, transitions {tr_ratio:.2} (target ≥ 0.50)");
    println!(
        "operations: {} heartbeats, {} transitions",
        heartbeat_http.ops + heartbeat_direct.ops,
        transitions_http.ops + transitions_direct.ops
    );

    let _ = stop.send(());
    server_task.await??;
    db.drop().await?;
    if hb_ratio < 0.5 || tr_ratio < 0.5 {
        eprintln!("warning: the API is below half of the direct rate");
    }
    Ok(())
}
