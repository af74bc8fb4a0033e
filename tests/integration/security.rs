//! Credentials and authority, end to end against the real server: tokens that expire, are
//! revoked and rotate; no secret stored readable anywhere; failed authentication throttled per
//! address; only a CAO lifts a budget pause; the audit export pages; metrics' labels bounded.

use crate::common;

use common::http::{reply, spawn_app, Reply, TestApi, ADMIN_TOKEN};
use mission_control::app::Clock;
use mission_control::domain::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

async fn seeded(pool: &PgPool) -> TestApi {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    api
}

fn error_message(reply: &Reply) -> String {
    reply.body["error"]["message"].as_str().unwrap_or_default().to_string()
}

/// A JSON request with headers, as a script would send it.
async fn send(api: &TestApi, method: Method, path: &str, token: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Reply {
    let mut request = api.client.request(method, format!("{}{}", api.url, path)).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    reply(request).await
}

async fn agents_list(api: &TestApi, token: &str) -> Reply {
    api.call(Method::GET, "/api/agents", Some(token), None).await
}

async fn audit_actions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn tokens_are_created_listed_without_secrets_revoked_and_expire(pool: PgPool) {
    let api = seeded(&pool).await;
    // A CAO creates a token that lives an hour; it is shown once.
    let created = send(
        &api,
        Method::POST,
        "/api/tokens",
        ADMIN_TOKEN,
        Some(json!({"name": "ops-script", "role": "operator", "expiresIn": "1h"})),
        &[],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let ops = created.body["token"].as_str().unwrap().to_string();
    assert!(ops.starts_with("mco_"), "{ops}");
    assert_eq!(created.body["kind"], "operator");
    assert_eq!(created.body["role"], "operator");
    assert_eq!(created.body["state"], "live");
    assert_eq!(created.body["expiresAt"], "2026-02-01T11:00:00Z");
    let ops_id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(agents_list(&api, &ops).await.status, StatusCode::OK);

    // The name is taken while the token is not revoked.
    let again = send(
        &api,
        Method::POST,
        "/api/tokens",
        ADMIN_TOKEN,
        Some(json!({"name": "ops-script", "role": "viewer"})),
        &[],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let bad = send(
        &api,
        Method::POST,
        "/api/tokens",
        ADMIN_TOKEN,
        Some(json!({"name": "x", "role": "viewer", "expiresIn": "forever"})),
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    // Listing shows who, what, when — never a secret; only a CAO lists.
    let listed = api.get("/api/tokens").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let text = listed.body.to_string();
    assert!(!text.contains(&ops) && !text.contains(ADMIN_TOKEN), "{text}");
    let row = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == ops_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["name"], "ops-script");
    assert_eq!(row["lastUsedAt"], "2026-02-01T10:00:00Z", "its use was recorded");
    assert!(row.get("token").is_none());
    let as_operator = agents_list(&api, &ops).await;
    assert_eq!(as_operator.status, StatusCode::OK);
    assert_eq!(
        api.call(Method::GET, "/api/tokens", Some(&ops), None).await.status,
        StatusCode::FORBIDDEN
    );

    // Expired: refused at once, saying so.
    api.clock.advance(chrono::Duration::minutes(61));
    let expired = agents_list(&api, &ops).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        error_message(&expired).contains("expired at 2026-02-01 11:00 UTC"),
        "{}",
        expired.body
    );

    // Revoked: refused at once, saying so.
    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    assert_eq!(agents_list(&api, &viewer).await.status, StatusCode::OK);
    let vic_id = api.get("/api/tokens?kind=operator").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Vic")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = send(&api, Method::DELETE, &format!("/api/tokens/{vic_id}"), ADMIN_TOKEN, None, &[]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["state"], "revoked");
    let refused = agents_list(&api, &viewer).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(error_message(&refused).contains("revoked"), "{}", refused.body);
    let twice = send(&api, Method::DELETE, &format!("/api/tokens/{vic_id}"), ADMIN_TOKEN, None, &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // Unknown is a third answer.
    let unknown = agents_list(&api, "mco_never-issued-0000000000").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_message(&unknown), "not authenticated: the token is unknown");

    // Everything audited.
    let actions = audit_actions(&pool).await;
    for action in ["operator.token_created", "operator.token_revoked"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    api.stop().await;
}

#[sqlx::test]
async fn last_use_is_written_at_most_once_a_minute(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = api.token("Olga", OperatorRole::Operator).await;
    let last_used = || async {
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>("SELECT last_used_at FROM api_tokens WHERE name = 'Olga'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(last_used().await, None);
    let start = api.clock.now();
    agents_list(&api, &token).await;
    assert_eq!(last_used().await, Some(start));
    api.clock.advance(chrono::Duration::seconds(30));
    agents_list(&api, &token).await;
    assert_eq!(last_used().await, Some(start), "not rewritten within the minute");
    api.clock.advance(chrono::Duration::seconds(31));
    agents_list(&api, &token).await;
    assert_eq!(last_used().await, Some(api.clock.now()));
    api.stop().await;
}

#[sqlx::test]
async fn a_new_agent_token_retires_the_old_ones(pool: PgPool) {
    let api = seeded(&pool).await;
    let register = || {
        send(
            &api,
            Method::POST,
            "/api/agents/register",
            ADMIN_TOKEN,
            Some(json!({"name": "Ranger", "role": "intern"})),
            &[],
        )
    };
    let first = register().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let agent_id = first.body["agent"]["id"].as_str().unwrap().to_string();
    let t1 = first.body["token"].as_str().unwrap().to_string();
    let beat = |token: String| {
        let path = format!("/api/agents/{agent_id}/heartbeat");
        let api = &api;
        async move { api.call(Method::POST, &path, Some(&token), None).await }
    };
    assert_eq!(beat(t1.clone()).await.status, StatusCode::OK);

    // Registering the name again: a new token, and the old one is refused at once.
    let second = register().await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let t2 = second.body["token"].as_str().unwrap().to_string();
    let old = beat(t1.clone()).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert!(error_message(&old).contains("replaced by a newer one"), "{}", old.body);
    assert_eq!(beat(t2.clone()).await.status, StatusCode::OK);

    // The agent rotates its own token.
    let rotated = send(&api, Method::POST, &format!("/api/agents/{agent_id}/rotate-token"), &t2, None, &[]).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_eq!(rotated.body["retired"], 1);
    let t3 = rotated.body["token"].as_str().unwrap().to_string();
    assert_eq!(beat(t2.clone()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(beat(t3.clone()).await.status, StatusCode::OK);

    // Another agent cannot rotate it; an operator cannot; a CAO can.
    let scout = api
        .app
        .agent_by_name(
            &Actor::system("test"),
            api.app.project_by_slug("openclaw").await.unwrap().id,
            "Scout",
        )
        .await
        .unwrap();
    let other = send(
        &api,
        Method::POST,
        &format!("/api/agents/{}/rotate-token", scout.id),
        &t3,
        None,
        &[],
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let by_operator = send(
        &api,
        Method::POST,
        &format!("/api/agents/{agent_id}/rotate-token"),
        &operator,
        None,
        &[],
    )
    .await;
    assert_eq!(by_operator.status, StatusCode::FORBIDDEN, "{}", by_operator.body);
    let by_cao = send(
        &api,
        Method::POST,
        &format!("/api/agents/{agent_id}/rotate-token"),
        ADMIN_TOKEN,
        None,
        &[],
    )
    .await;
    assert_eq!(by_cao.status, StatusCode::OK);
    assert_eq!(beat(t3).await.status, StatusCode::UNAUTHORIZED);

    // One live token per agent, however often it registered.
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE agent_id = $1::uuid AND revoked_at IS NULL")
        .bind(&agent_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(live, 1);
    let listed = api.get("/api/tokens?kind=agent").await;
    assert!(listed.body["items"].as_array().unwrap().iter().all(|t| t["state"] == "live"));
    let all = api.get("/api/tokens?kind=agent&includeRotated=true").await;
    assert_eq!(
        all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["state"] == "rotated")
            .count(),
        3
    );
    let actions = audit_actions(&pool).await;
    assert!(actions.iter().any(|a| a == "agent.token_rotated"), "{actions:?}");
    api.stop().await;
}

/// The log as the test binary writes it: a global subscriber (a scoped one misses events whose
/// callsites other test threads registered first), installed by the first test that asks.
/// Of the lines, only those that could hold a token are kept (the binary runs other tests too).
#[derive(Default)]
struct Captured {
    lines: AtomicUsize,
    about_tokens: AtomicUsize,
    suspicious: Mutex<Vec<String>>,
}

#[derive(Clone, Copy)]
struct CaptureWriter(&'static Captured);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        self.0.lines.fetch_add(1, Ordering::Relaxed);
        if line.contains("api_tokens") {
            self.0.about_tokens.fetch_add(1, Ordering::Relaxed);
        }
        if ["mco_", "mca_", "test-admin-token"].iter().any(|marker| line.contains(marker)) {
            self.0.suspicious.lock().unwrap().push(line.into_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured_log() -> &'static Captured {
    static CAPTURED: OnceLock<&'static Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured: &'static Captured = Box::leak(Box::default());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,mission_control=trace,sqlx=debug,axum=debug,tower_http=debug,reqwest=debug",
            ))
            .with_writer(move || CaptureWriter(captured))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in the test binary");
        captured
    })
}

async fn pg_dump(pool: &PgPool) -> String {
    let out = std::process::Command::new("pg_dump")
        .args(["--data-only", "--no-owner", &common::database_url(pool).await])
        .output()
        .expect("pg_dump runs");
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[sqlx::test]
async fn no_token_is_stored_readable_anywhere(pool: PgPool) {
    let log = captured_log();
    let queries_before = log.about_tokens.load(Ordering::Relaxed);

    let api = seeded(&pool).await;
    let mut issued: Vec<String> = Vec::new();
    // Agents registered with an Idempotency-Key, one of them retried (a replay).
    for (name, key) in [("Ranger", "reg-ranger-1"), ("Lookout", "reg-lookout-1")] {
        let body = json!({"name": name, "role": "intern"});
        let first = send(
            &api,
            Method::POST,
            "/api/agents/register",
            ADMIN_TOKEN,
            Some(body.clone()),
            &[("idempotency-key", key)],
        )
        .await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        issued.push(first.body["token"].as_str().unwrap().to_string());
        let replay = send(
            &api,
            Method::POST,
            "/api/agents/register",
            ADMIN_TOKEN,
            Some(body),
            &[("idempotency-key", key)],
        )
        .await;
        assert_eq!(replay.status, StatusCode::CREATED);
        assert_eq!(replay.headers["idempotent-replayed"], "true");
        assert!(
            replay.body.get("token").is_none(),
            "a replay never holds the token: {}",
            replay.body
        );
        assert_eq!(replay.body["tokenWithheld"], true);
        assert_eq!(replay.body["agent"]["name"], name);
    }
    // Re-registered, rotated: more agent tokens.
    let again = send(
        &api,
        Method::POST,
        "/api/agents/register",
        ADMIN_TOKEN,
        Some(json!({"name": "Ranger", "role": "intern"})),
        &[("idempotency-key", "reg-ranger-2")],
    )
    .await;
    let ranger_token = again.body["token"].as_str().unwrap().to_string();
    issued.push(ranger_token.clone());
    let ranger = again.body["agent"]["id"].as_str().unwrap().to_string();
    let rotated = send(
        &api,
        Method::POST,
        &format!("/api/agents/{ranger}/rotate-token"),
        &ranger_token,
        None,
        &[("idempotency-key", "rotate-1")],
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    issued.push(rotated.body["token"].as_str().unwrap().to_string());
    // Operator tokens, through the API (with a key) and the core (as the CLI makes them).
    let created = send(
        &api,
        Method::POST,
        "/api/tokens",
        ADMIN_TOKEN,
        Some(json!({"name": "ops-script", "role": "operator", "expiresIn": "30d"})),
        &[("idempotency-key", "token-1")],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    issued.push(created.body["token"].as_str().unwrap().to_string());
    issued.push(api.token("Olga", OperatorRole::Operator).await);
    issued.push(ADMIN_TOKEN.to_string());
    // Used, refused, revoked: every path that touches a token.
    for token in &issued {
        agents_list(&api, token).await;
    }
    let olga = issued[issued.len() - 2].clone();
    let olga_id: String = sqlx::query_scalar("SELECT id::text FROM api_tokens WHERE name = 'Olga'")
        .fetch_one(&pool)
        .await
        .unwrap();
    send(&api, Method::DELETE, &format!("/api/tokens/{olga_id}"), ADMIN_TOKEN, None, &[]).await;
    assert_eq!(agents_list(&api, &olga).await.status, StatusCode::UNAUTHORIZED);

    let dump = pg_dump(&pool).await;
    assert!(
        dump.contains("idempotency_keys") && dump.contains("reg-ranger-1"),
        "the dump has the data"
    );
    assert!(
        log.about_tokens.load(Ordering::Relaxed) > queries_before,
        "the server's logs (its queries of api_tokens) were captured"
    );
    let logged = log.suspicious.lock().unwrap().join("");
    for token in &issued {
        assert!(!dump.contains(token.as_str()), "a token is readable in the database dump");
        assert!(!logged.contains(token.as_str()), "a token is in the log");
    }
    // Audit details and outbox rows in particular (also part of the dump).
    let details: Vec<String> = sqlx::query_scalar("SELECT data::text FROM audit_events UNION ALL SELECT payload::text FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    for token in &issued {
        assert!(details.iter().all(|d| !d.contains(token.as_str())));
    }
    api.stop().await;
}

#[sqlx::test]
async fn only_a_cao_lifts_a_budget_pause(pool: PgPool) {
    let api = seeded(&pool).await;
    let project = api.app.project_by_slug("openclaw").await.unwrap();
    let scout = api.app.agent_by_name(&Actor::system("test"), project.id, "Scout").await.unwrap();
    let scout_actor = Actor::Agent {
        id: scout.id,
        project_id: project.id,
        name: "Scout".into(),
    };
    // A run at the daily cap pauses it for its budget.
    api.app
        .record_run(&scout_actor, common::run(scout.id, None, scout.budgets.daily_cap))
        .await
        .unwrap();
    let paused = api.app.get_agent(&Actor::system("test"), scout.id).await.unwrap();
    assert_eq!(
        (paused.status, paused.status_cause.as_deref()),
        (AgentStatus::Paused, Some("budget"))
    );

    let operator = api.token("Olga", OperatorRole::Operator).await;
    for command in ["resume", "restart"] {
        let refused = api
            .call(Method::POST, &format!("/api/agents/{}/{command}", scout.id), Some(&operator), None)
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{command}: {}", refused.body);
        assert!(
            error_message(&refused).contains("only the CAO lifts a budget pause"),
            "{}",
            refused.body
        );
        let agent = api.app.get_agent(&Actor::system("test"), scout.id).await.unwrap();
        assert_eq!(agent.status, AgentStatus::Paused, "still paused after {command}");
    }
    // The CAO first needs room under the cap.
    let at_cap = api.post(&format!("/api/agents/{}/restart", scout.id), "").await;
    assert_eq!(at_cap.status, StatusCode::CONFLICT, "{}", at_cap.body);
    assert_eq!(at_cap.body["error"]["code"], "budget_exhausted");
    let raised = api
        .patch(&format!("/api/agents/{}", scout.id), r#"{"budgets":{"dailyCap":10}}"#)
        .await;
    assert_eq!(raised.status, StatusCode::OK, "{}", raised.body);
    assert_eq!(raised.body["status"], "active", "a raised cap resumes it");
    api.stop().await;
}

#[sqlx::test]
async fn failed_authentication_is_throttled_per_address_without_touching_the_database(pool: PgPool) {
    let api = seeded(&pool).await;
    let valid = api.token("Olga", OperatorRole::Operator).await;
    assert_eq!(agents_list(&api, &valid).await.status, StatusCode::OK);

    let mut statuses = Vec::new();
    for i in 0..600 {
        let guess = format!("mco_{}", uuid::Uuid::new_v4().simple());
        let reply = agents_list(&api, &guess).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
            assert_eq!(reply.body["error"]["code"], "rate_limited");
        }
        statuses.push(reply.status);
        if i % 50 == 0 {
            // A client whose token works is answered normally throughout.
            assert_eq!(agents_list(&api, &valid).await.status, StatusCode::OK, "at {i}");
        }
    }
    let unauthorized = statuses.iter().take_while(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert_eq!(unauthorized, 30, "the configured failures per minute get 401");
    assert!(
        statuses[unauthorized..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "then 429: {:?}",
        &statuses[unauthorized..unauthorized + 5]
    );

    // Once throttled, a guess costs no lookup of its own (at most one read of the valid tokens a
    // second): with the tokens table out of reach, a lookup would fail with a 500, yet the
    // guesses still get 429 — a read that fails refuses (fail closed).
    sqlx::query("ALTER TABLE api_tokens RENAME TO api_tokens_hidden")
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..20 {
        let reply = agents_list(&api, &format!("mco_{}", uuid::Uuid::new_v4().simple())).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.body);
    }
    sqlx::query("ALTER TABLE api_tokens_hidden RENAME TO api_tokens")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(agents_list(&api, &valid).await.status, StatusCode::OK);
    let metrics = api.call(Method::GET, "/metrics", None, None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains(r#"mc_http_auth_refused_total{reason="unauthenticated"} 30"#),
        "{text}"
    );
    assert!(text.contains(r#"mc_http_auth_refused_total{reason="throttled"} 590"#), "{text}");
    // A valid token never seen before is not refused for others' failures (a new agent behind
    // the same NAT or proxy).
    let fresh = api.token("Vic", OperatorRole::Viewer).await;
    assert_eq!(agents_list(&api, &fresh).await.status, StatusCode::OK);
    api.stop().await;
}

#[sqlx::test]
async fn the_audit_export_streams_pages_under_a_cap(pool: PgPool) {
    let api = seeded(&pool).await;
    let range = "startDate=2026-01-01&endDate=2026-12-31&allProjects=true";
    let all = api.get(&format!("/api/audit/export?{range}")).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let total = all.body["count"].as_i64().unwrap();
    assert!(total > 12, "the seed audited enough: {total}");
    assert_eq!(all.body["nextAfter"], Value::Null);
    assert!(all.headers.get("x-next-after").is_none());
    let every: Vec<Value> = all.body["events"].as_array().unwrap().clone();

    // Pages of five, following X-Next-After, give the same events in the same order.
    let mut paged: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let path = match &after {
            Some(id) => format!("/api/audit/export?{range}&limit=5&after={id}"),
            None => format!("/api/audit/export?{range}&limit=5"),
        };
        let page = api.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let events = page.body["events"].as_array().unwrap();
        assert!(events.len() <= 5);
        assert_eq!(page.body["count"].as_i64().unwrap(), events.len() as i64);
        paged.extend(events.iter().cloned());
        after = page.headers.get("x-next-after").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(page.body["nextAfter"].as_i64().map(|n| n.to_string()), after);
        if after.is_none() {
            break;
        }
    }
    assert_eq!(paged, every);

    // CSV and JSON lines page the same way.
    let csv = api.get(&format!("/api/audit/export?{range}&limit=3&format=csv")).await;
    assert_eq!(csv.body.as_str().unwrap().lines().count(), 4, "a header and three rows");
    assert!(csv.headers.get("x-next-after").is_some());
    let jsonl = api.get(&format!("/api/audit/export?{range}&limit=4&format=jsonl")).await;
    assert_eq!(jsonl.body.as_str().unwrap().lines().count(), 4);

    // The cap, and a cursor that names nothing.
    let over = api.get(&format!("/api/audit/export?{range}&limit=10001")).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", over.body);
    let nowhere = api.get(&format!("/api/audit/export?{range}&after=999999999")).await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nowhere.body);
    api.stop().await;
}

#[sqlx::test]
async fn metrics_label_methods_from_a_fixed_set(pool: PgPool) {
    let api = seeded(&pool).await;
    for method in ["FOO", "BREW", "X-CUSTOM"] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        api.call(method, "/api/agents", Some(ADMIN_TOKEN), None).await;
    }
    let metrics = api.call(Method::GET, "/metrics", None, None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(text.contains(r#"method="other""#), "{text}");
    for invented in ["FOO", "BREW", "X-CUSTOM"] {
        assert!(!text.contains(&format!(r#"method="{invented}""#)), "{invented}");
    }
    api.stop().await;
}

#[sqlx::test]
async fn a_weak_or_non_ascii_admin_token_is_refused_at_start_without_a_panic(pool: PgPool) {
    use mission_control::configuration::Settings;
    use mission_control::startup::Application;
    let weak = [
        "aключ-ключ-ключ-ключ-ключ-ключ-ключ",
        "ключ-ключ-ключ-ключ-ключ-ключ-ключ",
        "test-admin-token-0123456789",
    ];
    let repeated = "ab12".repeat(12);
    for token in weak.into_iter().chain([repeated.as_str()]) {
        // Refused by the configuration's check, or else by the start: never started, never a panic.
        let refusal = match Settings::load_from(None, [("MC_HTTP__ADMIN_TOKEN".to_string(), token.to_string())]) {
            Err(err) => format!("{err:#}"),
            Ok(settings) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let app = mission_control::app::App::new(
                    pool.clone(),
                    Arc::new(mission_control::app::SystemClock),
                    mission_control::app::Rules::from_settings(&settings).unwrap(),
                );
                let built = Application::build(&settings, app, listener).await;
                format!("{:#}", built.err().expect("refused"))
            }
        };
        assert!(refusal.contains("at least 32 printable ASCII characters"), "{token}: {refusal}");
    }
    assert_eq!(common::count(&pool, "SELECT count(*) FROM api_tokens").await, 0);
}

#[sqlx::test]
async fn a_revoked_bootstrap_token_stays_revoked_after_a_restart(pool: PgPool) {
    let api = seeded(&pool).await;
    let id: String = sqlx::query_scalar("SELECT id::text FROM api_tokens WHERE prefix = '' AND revoked_at IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    let other = api.token("Backup CAO", OperatorRole::Cao).await;
    let revoked = send(&api, Method::DELETE, &format!("/api/tokens/{id}"), &other, None, &[]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(api.get("/api/agents").await.status, StatusCode::UNAUTHORIZED);
    api.stop().await;
    // The same configuration again: the token is not brought back.
    let api = spawn_app(pool.clone()).await;
    assert_eq!(api.get("/api/agents").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(agents_list(&api, &other).await.status, StatusCode::OK);
    api.stop().await;
}
