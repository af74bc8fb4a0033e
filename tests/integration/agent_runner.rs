//! The reference agent runner against the real server on port 0: cycle by cycle through its
//! library API (claim, start, submit; a pause obeyed; a name reused), and once through the
//! built binary's `agent run --once`. Every effect is checked in the database.

use crate::common;

use chrono::{DateTime, Utc};
use common::http::{spawn_app, TestApi, ADMIN_TOKEN};
use mission_control::app::Clock;
use mission_control::runner::client::RetryPolicy;
use mission_control::runner::{CycleOutcome, Runner, RunnerConfig, Shutdown};
use reqwest::StatusCode;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

fn config(api: &TestApi, name: &str) -> RunnerConfig {
    let mut config = RunnerConfig::new(api.url.clone(), ADMIN_TOKEN, name);
    config.role = "intern".into();
    config.task_types = vec!["customer_research".into(), "seo_research".into()];
    config.cost = 0.05;
    config.retry = RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    config
}

fn runner(api: &TestApi, name: &str) -> Runner {
    Runner::new(config(api, name), Shutdown::never()).expect("runner")
}

/// Transitions, runs and comments: what a cycle that works changes.
async fn activity(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM task_transitions), (SELECT count(*) FROM runs), (SELECT count(*) FROM comments)")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn the_runner_claims_starts_submits_and_obeys_a_pause(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let mut ranger = runner(&api, "Ranger");

    // Cycle 1: registers, heartbeats, claims an inbox task of its types.
    let outcome = ranger.cycle().await.expect("cycle 1");
    let CycleOutcome::Claimed { task_id, number } = outcome else {
        panic!("cycle 1 claims, not {outcome:?}")
    };
    let agent_id = ranger.agent_id().expect("registered");
    let (role, types, heartbeat): (String, Vec<String>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT role::text, allowed_task_types::text[], last_heartbeat FROM agents WHERE id = $1")
            .bind(agent_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(role, "intern");
    assert_eq!(types, ["customer_research", "seo_research"]);
    assert!(heartbeat.is_some(), "the cycle heartbeated");
    let (status, task_type, n, assignees): (String, String, i32, Vec<Uuid>) = sqlx::query_as(
        "SELECT t.status::text, t.type::text, t.number, array(SELECT agent_id FROM task_assignees a WHERE a.task_id = t.id)
           FROM tasks t WHERE t.id = $1",
    )
    .bind(task_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "assigned");
    assert!(["customer_research", "seo_research"].contains(&task_type.as_str()), "{task_type}");
    assert_eq!(n, number);
    assert_eq!(assignees, [agent_id]);

    // Cycle 2: starts it with a 3-bullet work plan.
    assert_eq!(ranger.cycle().await.expect("cycle 2"), CycleOutcome::Started { task_id, number });
    let (status, plan, title): (String, Vec<String>, String) =
        sqlx::query_as("SELECT status::text, work_plan, title FROM tasks WHERE id = $1")
            .bind(task_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "in_progress");
    assert_eq!(plan.len(), 3, "{plan:?}");
    assert!(plan[0].contains(&title), "the plan is about the task: {plan:?}");

    // Cycle 3: reports a run with its cost, comments, submits for review with a deliverable.
    let outcome = ranger.cycle().await.expect("cycle 3");
    let CycleOutcome::Submitted { run_id, .. } = outcome else {
        panic!("cycle 3 submits, not {outcome:?}")
    };
    let (agent, task, cost, status, model, tokens): (Uuid, Option<Uuid>, i64, String, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT agent_id, task_id, cost_micros, status::text, model, tokens FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((agent, task, cost), (agent_id, Some(task_id), 50_000));
    assert_eq!((status.as_str(), model.as_deref()), ("succeeded", Some("reference-runner")));
    assert!(tokens.unwrap() > 0);
    let (status, deliverable, spent): (String, Option<String>, i64) =
        sqlx::query_as("SELECT status::text, deliverable, actual_cost_micros FROM tasks WHERE id = $1")
            .bind(task_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "review");
    assert!(deliverable.unwrap().contains(&title));
    assert_eq!(spent, 50_000);
    let comments: i64 = sqlx::query_scalar("SELECT count(*) FROM comments WHERE task_id = $1 AND author_kind = 'agent' AND author_id = $2")
        .bind(task_id)
        .bind(agent_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(comments, 1, "one progress comment");
    let moves: Vec<(String, String)> =
        sqlx::query_as("SELECT to_status::text, actor_kind::text FROM task_transitions WHERE task_id = $1 ORDER BY id")
            .bind(task_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    let moves: Vec<(&str, &str)> = moves.iter().map(|(to, by)| (to.as_str(), by.as_str())).collect();
    assert_eq!(moves, [("assigned", "agent"), ("in_progress", "agent"), ("review", "agent")]);

    // Sent back from review: the work is done again under new idempotency keys (a new run,
    // not a replay of the first).
    let back = api
        .post(
            &format!("/api/tasks/{task_id}/transition"),
            r#"{"toStatus": "in_progress", "reason": "add the sources"}"#,
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let outcome = ranger.cycle().await.expect("cycle after the send-back");
    let CycleOutcome::Submitted { run_id: second_run, .. } = outcome else {
        panic!("the reworked task is submitted again, not {outcome:?}")
    };
    assert_ne!(second_run, run_id);
    let (status, cycles, spent): (String, i32, i64) =
        sqlx::query_as("SELECT status::text, review_cycles, actual_cost_micros FROM tasks WHERE id = $1")
            .bind(task_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), cycles, spent), ("review", 1, 100_000));

    // Paused by an operator: the next cycle only heartbeats.
    let paused = api
        .post(&format!("/api/agents/{agent_id}/pause"), r#"{"reason": "checking the spend"}"#)
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let before = activity(&pool).await;
    api.clock.advance(chrono::Duration::minutes(15));
    let outcome = ranger.cycle().await.expect("cycle while paused");
    let CycleOutcome::Stopped { reason } = outcome else {
        panic!("a paused agent stops, not {outcome:?}")
    };
    assert!(reason.contains("paused"), "{reason}");
    assert_eq!(activity(&pool).await, before, "no transitions, runs or comments while paused");
    let heartbeat: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT last_heartbeat FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(heartbeat, Some(api.clock.now()), "it kept heartbeating");

    // Resumed: back to work; its task is in review (the operator's move), so it claims another.
    let resumed = api.post(&format!("/api/agents/{agent_id}/resume"), "").await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.body);
    let outcome = ranger.cycle().await.expect("cycle after resume");
    assert!(
        matches!(outcome, CycleOutcome::Claimed { task_id: other, .. } if other != task_id),
        "{outcome:?}"
    );

    // A second runner with the same name reuses the agent.
    let mut again = runner(&api, "Ranger");
    let outcome = again.cycle().await.expect("second runner");
    assert_eq!(again.agent_id(), Some(agent_id));
    assert!(
        matches!(outcome, CycleOutcome::Started { .. }),
        "it picks up the agent's work: {outcome:?}"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM agents WHERE name = 'Ranger'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);

    // The second registration (a restarted runner) retired the first runner's token: had the
    // first kept running, its next cycle is refused once (401) and the one after registers
    // again and works. However often it registers, the agent holds one live token.
    let refused = ranger.cycle().await.expect_err("its token was replaced");
    assert_eq!(refused.api().map(|e| e.status), Some(401), "{refused}");
    ranger.cycle().await.expect("registered again and working");
    assert_eq!(ranger.agent_id(), Some(agent_id));
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE agent_id = $1 AND revoked_at IS NULL")
        .bind(agent_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(live, 1);
}

#[sqlx::test]
async fn an_empty_inbox_is_idle_and_a_bad_token_is_fatal(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();

    // Once the seed's ops tasks are worked off, nothing in the inbox: idle, not an error.
    let mut ops = Runner::new(
        RunnerConfig {
            task_types: vec!["ops".into()],
            ..config(&api, "Opsy")
        },
        Shutdown::never(),
    )
    .unwrap();
    let mut outcome = ops.cycle().await.expect("cycle");
    for _ in 0..30 {
        if !matches!(
            outcome,
            CycleOutcome::Claimed { .. } | CycleOutcome::Started { .. } | CycleOutcome::Submitted { .. }
        ) {
            break;
        }
        outcome = ops.cycle().await.expect("cycle");
    }
    assert_eq!(outcome, CycleOutcome::Idle);

    let mut refused = Runner::new(
        RunnerConfig {
            operator_token: "not-a-token".into(),
            ..config(&api, "Nobody")
        },
        Shutdown::never(),
    )
    .unwrap();
    let err = refused.cycle().await.expect_err("a bad token cannot register");
    assert!(err.is_fatal(), "{err}");
    assert_eq!(err.api().map(|e| e.status), Some(401), "{err}");
}

fn run_cli(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mission-control"))
        .args(args)
        .env_remove("MC_API_TOKEN")
        .env_remove("MC_API_URL")
        .env_remove("MC_CONFIG")
        .env_remove("MC_HTTP__ADMIN_TOKEN")
        .envs(env)
        .env("RUST_LOG", "info")
        .output()
        .expect("run the binary")
}

/// Runs the binary on a blocking thread: the server runs on this test's runtime.
async fn cli<S: AsRef<str>>(args: &[S], env: Vec<(&'static str, String)>) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
    tokio::task::spawn_blocking(move || run_cli(args, env)).await.unwrap()
}

/// The issue's command, as written: `mission-control agent run --name Scout --once`, with the
/// server's URL and the configured admin token in the environment (no --token).
#[sqlx::test]
async fn agent_run_once_as_the_seeded_scout_moves_a_task_visible_in_its_timeline(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let scout: Uuid = sqlx::query_scalar("SELECT id FROM agents WHERE name = 'Scout'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let env = vec![("MC_API_URL", api.url.clone()), ("MC_HTTP__ADMIN_TOKEN", ADMIN_TOKEN.to_string())];
    let out = cli(&["agent", "run", "--name", "Scout", "--once"], env).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{stderr}", out.status);
    assert!(stderr.contains("reusing the existing agent"), "{stderr}");

    // "Scout: claimed #N": the number of the task it took from the inbox.
    let number: i32 = stdout
        .trim()
        .strip_prefix("Scout: claimed #")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("'Scout: claimed #<n>' on stdout, not {stdout:?}\n{stderr}"));
    let agents: i64 = sqlx::query_scalar("SELECT count(*) FROM agents WHERE name = 'Scout'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(agents, 1, "the seeded Scout was reused, not duplicated");
    let (task_id, status, task_type, assignees): (Uuid, String, String, Vec<Uuid>) = sqlx::query_as(
        "SELECT t.id, t.status::text, t.type::text, array(SELECT agent_id FROM task_assignees a WHERE a.task_id = t.id)
           FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.slug = 'openclaw' AND t.number = $1",
    )
    .bind(number)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "assigned", "the inbox task moved forward");
    assert!(["customer_research", "seo_research"].contains(&task_type.as_str()), "{task_type}");
    assert_eq!(assignees, [scout]);

    // And the move is in the task's timeline, over HTTP.
    let timeline = api.get(&format!("/api/tasks/{task_id}/timeline")).await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.body);
    let entries = timeline.body["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["kind"] == "transition"
            && e["fromStatus"] == "inbox"
            && e["toStatus"] == "assigned"
            && e["actorKind"] == "agent"
            && e["actorName"] == "Scout"
            && e["actorId"] == scout.to_string()),
        "a transition inbox → assigned by Scout: {}",
        timeline.body
    );
}

#[sqlx::test]
async fn agent_run_once_from_the_command_line(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let url = api.url.clone();
    let with_token = |token: &str| -> Vec<String> {
        [
            "agent",
            "run",
            "--once",
            "--name",
            "Cli-Runner",
            "--types",
            "seo_research",
            "--interval",
            "30s",
            "--api-url",
            &url,
            "--token",
            token,
        ]
        .map(String::from)
        .to_vec()
    };

    let ok = cli(&with_token(ADMIN_TOKEN), vec![]).await;
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "exit {:?}\n{stderr}", ok.status);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Cli-Runner: claimed #"), "{stderr}");
    let (role, types): (String, Vec<String>) =
        sqlx::query_as("SELECT role::text, allowed_task_types::text[] FROM agents WHERE name = 'Cli-Runner'")
            .fetch_one(&pool)
            .await
            .expect("the agent row exists");
    assert_eq!((role.as_str(), types), ("intern", vec!["seo_research".to_string()]));

    // An explicit token wins over the configured admin token.
    let refused = cli(&with_token("wrong-token"), vec![("MC_HTTP__ADMIN_TOKEN", ADMIN_TOKEN.to_string())]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a bad token fails the run");
    assert!(stderr.contains("registering agent 'Cli-Runner' failed: 401"), "{stderr}");

    // No token at all: a clear error naming both ways to give one, before any request.
    let before = common::fingerprint(&pool).await;
    let none = cli(&["agent", "run", "--once", "--name", "Cli-Runner", "--api-url", &url], vec![]).await;
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(!none.status.success(), "no token fails the run");
    for needed in ["--token", "MC_API_TOKEN", "http.admin_token", "MC_HTTP__ADMIN_TOKEN"] {
        assert!(stderr.contains(needed), "the error names {needed}: {stderr}");
    }
    assert_eq!(common::fingerprint(&pool).await, before);
}

/// Stands between the runner and the server and fails the first request of each kind: the
/// first heartbeat gets a 429 with `Retry-After: 1` (not forwarded); the first of every other
/// POST reaches the server, but its answer is "lost" (a 502 instead), as when a connection
/// drops after the server acted.
async fn flaky_proxy(upstream: String) -> String {
    use axum::body::{to_bytes, Body};
    use axum::extract::{Request, State};
    use axum::http::{HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    #[derive(Clone)]
    struct Proxy {
        upstream: String,
        client: reqwest::Client,
        failed: Arc<Mutex<HashSet<String>>>,
    }

    async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
        let method = request.method().clone();
        let path = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
        let headers = request.headers().clone();
        let body = to_bytes(request.into_body(), usize::MAX).await.unwrap();
        let kind = match (path.rsplit('/').next().unwrap_or(""), std::str::from_utf8(&body).unwrap_or("")) {
            (_, _) if method != reqwest::Method::POST => None,
            ("transition", body) if body.contains("\"review\"") => Some("submit"),
            ("transition", _) => Some("start"),
            (last, _) => Some(last),
        };
        let first = kind.is_some_and(|k| proxy.failed.lock().unwrap().insert(k.to_string()));
        if first && kind == Some("heartbeat") {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
            )
                .into_response();
            response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
            return response;
        }
        let mut upstream = proxy.client.request(method, format!("{}{path}", proxy.upstream)).body(body);
        for (name, value) in headers.iter().filter(|(n, _)| !matches!(n.as_str(), "host" | "content-length")) {
            upstream = upstream.header(name, value);
        }
        let answer = upstream.send().await.unwrap();
        let status = answer.status();
        let content_type = answer.headers().get("content-type").cloned();
        let bytes = answer.bytes().await.unwrap();
        if first {
            return (StatusCode::BAD_GATEWAY, "upstream connection reset").into_response();
        }
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = status;
        if let Some(content_type) = content_type {
            response.headers_mut().insert("content-type", content_type);
        }
        response
    }

    let proxy = Proxy {
        upstream,
        client: reqwest::Client::new(),
        failed: Arc::default(),
    };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[sqlx::test]
async fn lost_answers_and_rate_limits_are_retried_without_acting_twice(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let mut config = config(&api, "Retrier");
    config.api_url = flaky_proxy(api.url.clone()).await;
    let mut retrier = Runner::new(config, Shutdown::never()).unwrap();

    let began = std::time::Instant::now();
    let outcome = retrier.cycle().await.expect("cycle 1");
    assert!(began.elapsed() >= Duration::from_secs(1), "the 429's Retry-After was honoured");
    let CycleOutcome::Claimed { task_id, .. } = outcome else {
        panic!("cycle 1 claims, not {outcome:?}")
    };
    let agent_id = retrier.agent_id().unwrap();
    assert!(matches!(retrier.cycle().await.expect("cycle 2"), CycleOutcome::Started { .. }));
    assert!(matches!(retrier.cycle().await.expect("cycle 3"), CycleOutcome::Submitted { .. }));

    let (agents, claimed, runs, comments, moves, status, spent): (i64, i64, i64, i64, Vec<String>, String, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM agents WHERE name = 'Retrier'),
                (SELECT count(*) FROM task_assignees WHERE agent_id = $2),
                (SELECT count(*) FROM runs WHERE agent_id = $2),
                (SELECT count(*) FROM comments WHERE author_id = $2),
                array(SELECT to_status::text FROM task_transitions WHERE task_id = $1 ORDER BY id),
                status::text, actual_cost_micros
           FROM tasks WHERE id = $1",
    )
    .bind(task_id)
    .bind(agent_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((agents, claimed, runs, comments), (1, 1, 1, 1), "each retried request acted once");
    assert_eq!(moves, ["assigned", "in_progress", "review"]);
    assert_eq!((status.as_str(), spent), ("review", 50_000));
}

/// `run` waits for news in its heartbeat rather than sleeping out the interval: a pause, a
/// resume and a shutdown all take effect at once although the interval is a minute.
#[sqlx::test]
async fn the_running_runner_waits_for_news_instead_of_sleeping(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let (trigger, shutdown) = Shutdown::channel();
    let runner = Runner::new(
        RunnerConfig {
            task_types: vec!["ops".into()],
            interval: Duration::from_secs(60),
            ..config(&api, "Opsy")
        },
        shutdown,
    )
    .unwrap();
    let running = tokio::spawn(runner.run());

    // The first cycle claims the seed's ops task; the next heartbeat waits on the server.
    let within = |what: &'static str| {
        let pool = pool.clone();
        move |sql: &'static str| {
            let pool = pool.clone();
            async move {
                let start = std::time::Instant::now();
                loop {
                    let done: bool = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                    if done {
                        return start.elapsed();
                    }
                    assert!(start.elapsed() < Duration::from_secs(10), "{what} did not happen");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    };
    within("the claim")(
        "SELECT EXISTS (SELECT 1 FROM tasks t JOIN task_assignees a ON a.task_id = t.id JOIN agents g ON g.id = a.agent_id
                        WHERE g.name = 'Opsy' AND t.status = 'assigned')",
    )
    .await;
    let start = std::time::Instant::now();
    while api.app.wakes.waiting_agents() == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "the runner never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let opsy: Uuid = sqlx::query_scalar("SELECT id FROM agents WHERE name = 'Opsy'")
        .fetch_one(&pool)
        .await
        .unwrap();

    // Paused: the waiting heartbeat hears it and takes the notification at once.
    api.post(&format!("/api/agents/{opsy}/pause"), "").await;
    let heard = within("hearing the pause")(
        "SELECT NOT EXISTS (SELECT 1 FROM notifications n JOIN agents g ON g.id = n.agent_id
                            WHERE g.name = 'Opsy' AND n.delivered_at IS NULL)",
    )
    .await;
    assert!(heard < Duration::from_secs(5), "{heard:?}");

    // Resumed: the next cycle starts the claimed task at once, not a minute later.
    api.post(&format!("/api/agents/{opsy}/resume"), "").await;
    let started = within("starting the task")(
        "SELECT EXISTS (SELECT 1 FROM tasks t JOIN task_assignees a ON a.task_id = t.id JOIN agents g ON g.id = a.agent_id
                        WHERE g.name = 'Opsy' AND t.status = 'in_progress')",
    )
    .await;
    assert!(started < Duration::from_secs(5), "{started:?}");

    // A shutdown cuts the wait short.
    while api.app.wakes.waiting_agents() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopping = std::time::Instant::now();
    trigger.trigger();
    running.await.unwrap().unwrap();
    assert!(stopping.elapsed() < Duration::from_secs(5));
    api.stop().await;
}
