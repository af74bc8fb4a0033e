//! The API's conventions, end to end: auth and roles, JSON errors, validation, pagination,
//! project scope, idempotency keys, rate limits, body limits, metrics and the OpenAPI document.

use crate::common;

use common::http::{spawn_app, spawn_app_with, TestApi, ADMIN_TOKEN};
use mission_control::domain::OperatorRole;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

fn assert_error(reply: &common::http::Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"]["code"], code, "{}", reply.body);
    assert!(!reply.body["error"]["message"].as_str().unwrap().is_empty());
}

async fn seeded(pool: &PgPool) -> TestApi {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    api
}

async fn scout_id(api: &TestApi) -> String {
    let list = api.get("/api/agents?limit=200").await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Scout")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[sqlx::test]
async fn only_health_and_metrics_are_open_and_bad_tokens_get_401(pool: PgPool) {
    let api = seeded(&pool).await;
    assert_eq!(api.call(Method::GET, "/health", None, None).await.status, StatusCode::OK);
    assert_eq!(api.call(Method::GET, "/metrics", None, None).await.status, StatusCode::OK);
    assert_error(
        &api.call(Method::GET, "/api/agents", None, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    assert_error(
        &api.call(Method::GET, "/api/agents", Some("mco_not-a-real-token"), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let before = count(&pool, "agents").await;
    let refused = api
        .call(
            Method::POST,
            "/api/agents/register",
            Some("nope"),
            Some(r#"{"name":"Ghost","role":"intern"}"#),
        )
        .await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(count(&pool, "agents").await, before, "a refusal changes nothing");
}

#[sqlx::test]
async fn roles_are_enforced_and_refusals_change_nothing(pool: PgPool) {
    let api = seeded(&pool).await;
    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let scout = scout_id(&api).await;

    // A viewer reads but cannot pause the squad.
    assert_eq!(
        api.call(Method::GET, "/api/agents", Some(&viewer), None).await.status,
        StatusCode::OK
    );
    let audit_before = count(&pool, "audit_events").await;
    let refused = api.call(Method::POST, "/api/emergency/pause-squad", Some(&viewer), None).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM agents WHERE status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(active > 0);
    assert_eq!(count(&pool, "audit_events").await, audit_before);

    // An operator pauses but cannot change budgets (Sofie's call).
    let refused = api
        .call(
            Method::PATCH,
            &format!("/api/agents/{scout}"),
            Some(&operator),
            Some(r#"{"budgets":{"dailyCap":99}}"#),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let cap: i64 = sqlx::query_scalar("SELECT daily_cap_micros FROM agents WHERE id = $1::uuid")
        .bind(&scout)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cap, 2_000_000);

    // An agent acts only as itself, and never decides approvals.
    let reg = api
        .post(
            "/api/agents/register",
            r#"{"name":"Rogue","role":"intern","allowedTaskTypes":["docs"]}"#,
        )
        .await;
    let rogue_token = reg.body["token"].as_str().unwrap().to_string();
    let as_other = api
        .call(Method::POST, &format!("/api/agents/{scout}/heartbeat"), Some(&rogue_token), None)
        .await;
    assert_error(&as_other, StatusCode::FORBIDDEN, "forbidden");
    let asked = api
        .call(
            Method::POST,
            "/api/approvals",
            Some(&rogue_token),
            Some(r#"{"actionType":"deploy.production","actionSummary":"Ship it","justification":"Because"}"#),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let id = asked.body["id"].as_str().unwrap();
    let self_approve = api
        .call(
            Method::POST,
            &format!("/api/approvals/{id}/approve"),
            Some(&rogue_token),
            Some("{}"),
        )
        .await;
    assert_error(&self_approve, StatusCode::FORBIDDEN, "forbidden");
    let status: String = sqlx::query_scalar("SELECT status::text FROM approvals WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    // The agent can read its own approval's decision.
    let read = api
        .call(Method::GET, &format!("/api/approvals/{id}"), Some(&rogue_token), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["status"], "pending");

    // A deny needs a reason; then the first decision wins and the second is told who decided.
    let no_reason = api.post(&format!("/api/approvals/{id}/deny"), r#"{"approver":"sofie"}"#).await;
    assert_error(&no_reason, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let denied = api
        .post(&format!("/api/approvals/{id}/deny"), r#"{"reason":"Not on a Friday"}"#)
        .await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.body);
    let late = api.post(&format!("/api/approvals/{id}/approve"), "{}").await;
    assert_error(&late, StatusCode::CONFLICT, "already_decided");
    assert!(late.body["error"]["message"].as_str().unwrap().contains("admin"), "{}", late.body);
}

#[sqlx::test]
async fn bad_input_gets_specific_errors(pool: PgPool) {
    let api = seeded(&pool).await;
    let tasks_before = count(&pool, "tasks").await;
    // (method, path, body, status, error code, a word the message must contain)
    type Case = (Method, &'static str, Option<&'static str>, StatusCode, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/api/tasks",
            Some("{not json"),
            StatusCode::BAD_REQUEST,
            "bad_request",
            "malformed JSON",
        ),
        (
            Method::POST,
            "/api/tasks",
            Some(r#"{"title":"","type":"docs"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "title",
        ),
        (
            Method::POST,
            "/api/tasks",
            Some(r#"{"title":"X","type":"poetry"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "type",
        ),
        (
            Method::POST,
            "/api/tasks",
            Some(r#"{"title":"X","type":"docs","colour":"red"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "colour",
        ),
        (
            Method::POST,
            "/api/tasks",
            Some(r#"{"type":"docs"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "title",
        ),
        (
            Method::GET,
            "/api/tasks/not-a-uuid",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
            "path",
        ),
        (
            Method::GET,
            "/api/tasks/6d1b7a8e-0000-4000-8000-000000000000",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
            "task",
        ),
        (
            Method::GET,
            "/api/tasks?status=in_progress,sleeping",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "sleeping",
        ),
        (
            Method::GET,
            "/api/tasks?limit=500",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "limit",
        ),
        (
            Method::GET,
            "/api/agents?sortBy=height",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "sortBy",
        ),
        (
            Method::GET,
            "/api/runs?order=sideways",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "order",
        ),
        (
            Method::GET,
            "/api/audit/export?startDate=yesterday&endDate=2026-02-02",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "startDate",
        ),
        (
            Method::GET,
            "/api/nothing-here",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
            "endpoint",
        ),
        (
            Method::DELETE,
            "/api/agents",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method",
        ),
    ];
    for (method, path, body, status, code, mentions) in cases {
        let reply = api.call(method.clone(), path, Some(ADMIN_TOKEN), body).await;
        assert_error(&reply, status, code);
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(mentions),
            "{method} {path}: '{message}' should mention '{mentions}'"
        );
    }
    assert_eq!(count(&pool, "tasks").await, tasks_before);

    // Negative budgets, unknown agents, illegal transitions (with the allowed list).
    let scout = scout_id(&api).await;
    let negative = api.patch(&format!("/api/agents/{scout}"), r#"{"budgets":{"dailyCap":-5}}"#).await;
    assert_error(&negative, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let unknown = api
        .patch("/api/tasks/6d1b7a8e-0000-4000-8000-000000000000", r#"{"assigneeIds":[]}"#)
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
    let task = api.post("/api/tasks", r#"{"title":"Write the FAQ","type":"docs"}"#).await;
    let task = task.body["id"].as_str().unwrap();
    let illegal = api.post(&format!("/api/tasks/{task}/transition"), r#"{"toStatus":"done"}"#).await;
    assert_error(&illegal, StatusCode::CONFLICT, "illegal_transition");
    assert_eq!(illegal.body["error"]["details"]["allowed"], json!(["assigned", "canceled"]));
    let bad_key = api
        .post(
            &format!("/api/tasks/{task}/transition"),
            r#"{"toStatus":"canceled","reason":"x","idempotencyKey":"has spaces!"}"#,
        )
        .await;
    assert_error(&bad_key, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let oversized = api
        .post(
            &format!("/api/tasks/{task}/comments"),
            &json!({ "body": "x".repeat(20_000) }).to_string(),
        )
        .await;
    assert_error(&oversized, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(count(&pool, "comments").await, 0);
}

#[sqlx::test]
async fn lists_paginate_with_a_total_and_respect_the_project_scope(pool: PgPool) {
    let api = seeded(&pool).await;
    let all = api.get("/api/tasks").await;
    let total = all.body["total"].as_i64().unwrap();
    assert!(total >= 8);
    let page = api.get("/api/tasks?limit=3&offset=2").await;
    assert_eq!(page.body["total"], total);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(page.body["items"][0]["id"], all.body["items"][2]["id"]);

    // A second project, addressed by header or query, sees only its own.
    let created = api.post("/api/projects", r#"{"slug":"moonbase","name":"Moonbase"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let dup = api.post("/api/projects", r#"{"slug":"moonbase","name":"Moonbase again"}"#).await;
    assert_error(&dup, StatusCode::CONFLICT, "already_exists");
    let task = api
        .client
        .post(format!("{}/api/tasks", api.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("x-project", "moonbase")
        .body(r#"{"title":"Survey the crater","type":"ops"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(task.status(), StatusCode::CREATED);
    let moon = api.get("/api/tasks?project=moonbase").await;
    assert_eq!(moon.body["total"], 1);
    assert_eq!(api.get("/api/tasks").await.body["total"], total, "openclaw is the default scope");
    let nowhere = api.get("/api/tasks?project=atlantis").await;
    assert_error(&nowhere, StatusCode::NOT_FOUND, "not_found");
    assert!(
        nowhere.body["error"]["message"].as_str().unwrap().contains("moonbase"),
        "hints at known projects"
    );
}

#[sqlx::test]
async fn an_idempotency_key_replays_the_first_answer(pool: PgPool) {
    let api = seeded(&pool).await;
    let before = count(&pool, "tasks").await;
    let send = |body: &'static str| {
        api.client
            .post(format!("{}/api/tasks", api.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", "create-faq-1")
            .body(body)
            .send()
    };
    let first = send(r#"{"title":"Write the FAQ","type":"docs"}"#).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second = send(r#"{"title":"Write the FAQ","type":"docs"}"#).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(count(&pool, "tasks").await, before + 1);

    let other = send(r#"{"title":"Something else","type":"docs"}"#).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&pool, "tasks").await, before + 1);

    // Keys are private to their owner: another token with the same key acts.
    let olga = api.token("Olga", OperatorRole::Operator).await;
    let theirs = api
        .client
        .post(format!("{}/api/tasks", api.url))
        .bearer_auth(&olga)
        .header("idempotency-key", "create-faq-1")
        .body(r#"{"title":"Write the FAQ","type":"docs"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert_eq!(count(&pool, "tasks").await, before + 2);
}

#[sqlx::test]
async fn tokens_are_rate_limited_and_bodies_size_limited(pool: PgPool) {
    let api = spawn_app_with(
        pool.clone(),
        [("MC_HTTP__RATE_LIMIT_PER_MINUTE", "5"), ("MC_HTTP__BODY_LIMIT_BYTES", "1024")],
    )
    .await;
    api.app.seed().await.unwrap();
    let big = json!({ "title": "t", "type": "docs", "description": "y".repeat(5000) }).to_string();
    let too_big = api.post("/api/tasks", &big).await;
    assert_error(&too_big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(api.get("/api/agents").await);
    }
    let limited = statuses
        .iter()
        .find(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("a 429 within 8 requests");
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    // Another token has its own budget.
    let olga = api.token("Olga", OperatorRole::Operator).await;
    assert_eq!(api.call(Method::GET, "/api/agents", Some(&olga), None).await.status, StatusCode::OK);
}

#[sqlx::test]
async fn metrics_report_the_squad_and_the_requests(pool: PgPool) {
    let api = seeded(&pool).await;
    api.get("/api/agents").await;
    let reply = api.client.get(format!("{}/metrics", api.url)).send().await.unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let text = reply.text().await.unwrap();
    assert!(text.contains(r#"mc_agents{project="openclaw",status="active"} 8"#), "{text}");
    assert!(text.contains(r#"mc_tasks{project="openclaw",status="inbox"}"#), "{text}");
    assert!(text.contains(r#"mc_approvals_pending{project="openclaw"} 0"#), "{text}");
    assert!(text.contains("mc_outbox_depth{status=\"pending\"}"), "{text}");
    assert!(text.contains("mc_spend_today_usd"), "{text}");
    assert!(
        text.contains(r#"mc_http_requests_total{method="GET",route="/api/agents",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("mc_http_request_duration_seconds_bucket"), "{text}");
}

/// Every path the runbook uses, and every route the server serves, is in the OpenAPI document.
#[sqlx::test]
async fn the_openapi_document_covers_the_runbook_and_every_route(pool: PgPool) {
    let api = seeded(&pool).await;
    let doc = api.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().unwrap();

    let runbook = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seed/000_139df6f060a108ad.txt"))
        .or_else(|_| std::fs::read_to_string("../shared/seed/000_139df6f060a108ad.txt"))
        .expect("the runbook beside the project");
    let mut used = std::collections::BTreeSet::new();
    for word in runbook.split_whitespace() {
        let Some(start) = word.find("localhost:3000") else { continue };
        let path = &word[start + "localhost:3000".len()..];
        let path = path.split(['?', '"', '\'']).next().unwrap();
        // `{agentId}`, `$agentId`, `{id}` → `{id}`.
        let normalized: Vec<String> = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') || seg.starts_with('$') {
                    "{id}".to_string()
                } else {
                    seg.to_string()
                }
            })
            .collect();
        used.insert(normalized.join("/"));
    }
    assert!(used.len() >= 15, "{used:?}");
    for path in &used {
        assert!(paths.contains_key(path), "runbook path {path} missing from the OpenAPI document");
    }

    // And the reverse: each documented operation is served (never the 404 fallback).
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "6d1b7a8e-0000-4000-8000-000000000000");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = api.call(method.clone(), &concrete, Some(ADMIN_TOKEN), Some("{}")).await;
            let fallback = reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no such endpoint"));
            assert!(
                !fallback && reply.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served"
            );
        }
    }
}

/// Who may do what, through HTTP: each refusal has the right status and changes nothing.
#[sqlx::test]
async fn the_auth_matrix_holds_and_refusals_change_nothing(pool: PgPool) {
    let api = seeded(&pool).await;
    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let reg = |name: &'static str| {
        let api = &api;
        async move {
            let r = api
                .post(
                    "/api/agents/register",
                    &json!({"name": name, "role": "intern", "allowedTaskTypes": ["docs"]}).to_string(),
                )
                .await;
            (
                r.body["agent"]["id"].as_str().unwrap().to_string(),
                r.body["token"].as_str().unwrap().to_string(),
            )
        }
    };
    let (a_id, a_token) = reg("Alpha").await;
    let (b_id, _) = reg("Beta").await;
    let asked = api
        .call(
            Method::POST,
            "/api/approvals",
            Some(&a_token),
            Some(r#"{"actionType":"deploy.production","actionSummary":"Ship","justification":"Ready"}"#),
        )
        .await;
    let approval = asked.body["id"].as_str().unwrap().to_string();
    let raised = api
        .post(
            "/api/runs",
            &json!({"agentId": a_id, "cost": 0.5, "status": "failed", "error": "over the per-run cap"}).to_string(),
        )
        .await;
    assert_eq!(raised.status, StatusCode::CREATED, "{}", raised.body);
    let alert = api.get("/api/alerts?resolved=false").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let budget = r#"{"budgets":{"dailyCap":50}}"#;
    let run_as_b = json!({"agentId": b_id, "cost": 0.1, "status": "succeeded"}).to_string();
    type Case<'a> = (Option<&'a str>, Method, String, Option<&'a str>, StatusCode);
    let cases: Vec<Case> = vec![
        (
            None,
            Method::POST,
            "/api/emergency/pause-squad".into(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(&viewer),
            Method::POST,
            "/api/emergency/pause-squad".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&viewer),
            Method::POST,
            "/api/tasks".into(),
            Some(r#"{"title":"T","type":"docs"}"#),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&viewer),
            Method::POST,
            format!("/api/alerts/{alert}/resolve"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&operator),
            Method::PATCH,
            format!("/api/agents/{a_id}"),
            Some(budget),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&operator),
            Method::POST,
            format!("/api/approvals/{approval}/approve"),
            Some("{}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&operator),
            Method::POST,
            "/api/projects".into(),
            Some(r#"{"slug":"x","name":"X"}"#),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            format!("/api/agents/{b_id}/heartbeat"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            "/api/runs".into(),
            Some(run_as_b.as_str()),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            format!("/api/approvals/{approval}/approve"),
            Some("{}"),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::PATCH,
            format!("/api/agents/{a_id}"),
            Some(budget),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            "/api/emergency/pause-squad".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::GET,
            "/api/audit/export?startDate=2026-02-01&endDate=2026-02-02".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::GET,
            "/api/tasks?project=moon".into(),
            None,
            StatusCode::NOT_FOUND,
        ),
    ];
    let before = common::fingerprint(&pool).await;
    for (token, method, path, body, expected) in &cases {
        let reply = api.call(method.clone(), path, *token, *body).await;
        assert_eq!(reply.status, *expected, "{method} {path}: {}", reply.body);
        assert!(reply.body["error"]["message"].is_string());
    }
    assert_eq!(common::fingerprint(&pool).await, before, "no refusal changed anything");

    // The same requests by someone allowed succeed.
    assert_eq!(api.post(&format!("/api/alerts/{alert}/resolve"), "").await.status, StatusCode::OK);
    assert_eq!(
        api.call(Method::PATCH, &format!("/api/agents/{a_id}"), Some(ADMIN_TOKEN), Some(budget))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.call(Method::POST, "/api/emergency/pause-squad", Some(&operator), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.call(Method::POST, "/api/emergency/resume-squad", Some(&operator), None)
            .await
            .status,
        StatusCode::OK
    );
    let approved = api.post(&format!("/api/approvals/{approval}/approve"), "{}").await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let seen = api
        .call(Method::GET, &format!("/api/approvals/{approval}"), Some(&a_token), None)
        .await;
    assert_eq!(seen.body["status"], "approved");
}
