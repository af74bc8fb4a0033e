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
            Method::POST,
            "/api/tasks",
            Some(r#"{"title":5,"type":"docs"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "`title`",
        ),
        (
            Method::POST,
            "/api/tasks",
            Some(r#"{"title":"X","type":"docs","priority":"high"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "`priority`",
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

    // A wrong type inside a nested field names the whole path, and changes nothing.
    let scout = scout_id(&api).await;
    let before = common::fingerprint(&pool).await;
    let wrong = api.patch(&format!("/api/agents/{scout}"), r#"{"budgets":{"dailyCap":"x"}}"#).await;
    assert_error(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let message = wrong.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("`budgets.dailyCap`"), "{message}");
    assert_eq!(common::fingerprint(&pool).await, before);

    // Negative budgets, unknown agents, illegal transitions (with the allowed list).
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

/// An unknown value of an enum filter is a typo, not an empty list: a 422 naming the parameter
/// and the values it takes.
#[sqlx::test]
async fn unknown_filter_values_are_422s_naming_the_parameter_and_its_values(pool: PgPool) {
    let api = seeded(&pool).await;
    // (path, the parameter, a value it takes)
    let cases = [
        ("/api/alerts?type=budget_exceded", "type", "budget_exceeded"),
        ("/api/alerts?type=Not-A-Type!", "type", "budget_exceeded"),
        ("/api/alerts?severity=urgent", "severity", "critical"),
        ("/api/agents?status=asleep", "status", "quarantined"),
        ("/api/agents?status=active,asleep", "status", "quarantined"),
        ("/api/agents?role=boss", "role", "specialist"),
        ("/api/agents?sortBy=height", "sortBy", "todaySpend"),
        ("/api/agents?order=up", "order", "desc"),
        ("/api/tasks?status=sleeping", "status", "needs_approval"),
        ("/api/tasks?type=poetry", "type", "customer_research"),
        ("/api/approvals?status=maybe", "status", "pending"),
        ("/api/runs?sortBy=speed", "sortBy", "cost"),
        ("/api/runs?order=sideways", "order", "asc"),
    ];
    for (path, param, allowed) in cases {
        let reply = api.get(path).await;
        assert_error(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("`{param}`")), "{path}: '{message}' names {param}");
        assert!(message.contains(allowed), "{path}: '{message}' lists {allowed}");
        assert_eq!(reply.body["error"]["details"]["field"], param, "{path}: {}", reply.body);
    }

    // Known values still filter: a built-in type nobody raised yet is an empty list, and a
    // custom type is accepted once the project has one.
    let none = api.get("/api/alerts?type=loop_detected&severity=critical").await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.body);
    assert_eq!(none.body["total"], 0);
    let project = api.app.project_by_slug("openclaw").await.unwrap();
    api.app
        .raise_alert(
            &mission_control::domain::Actor::system("test"),
            project.id,
            common::alert(
                "disk_full",
                mission_control::domain::AlertSeverity::Warning,
                "runner-1".into(),
                "the runner's disk is 95% full",
            ),
        )
        .await
        .unwrap();
    let custom = api.get("/api/alerts?type=disk_full&resolved=false").await;
    assert_eq!(custom.status, StatusCode::OK, "{}", custom.body);
    assert_eq!(custom.body["total"], 1);
    let filtered = api.get("/api/tasks?status=inbox&type=docs").await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.body);
    assert!(filtered.body["total"].as_i64().unwrap() >= 1);
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

    // The project is part of the request: the same key and body sent to another project is
    // not answered with the first project's task.
    let created = api.post("/api/projects", r#"{"slug":"moonbase","name":"Moonbase"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let to_project = |project: &'static str, key: &'static str| {
        api.client
            .post(format!("{}/api/tasks", api.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", key)
            .header("x-project", project)
            .body(r#"{"title":"Write the FAQ","type":"docs"}"#)
            .send()
    };
    let moon_tasks = "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id WHERE p.slug = 'moonbase'";
    let elsewhere = to_project("moonbase", "create-faq-1").await.unwrap();
    assert!(!elsewhere.headers().contains_key("idempotent-replayed"));
    assert_eq!(elsewhere.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = elsewhere.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("different request"), "{body}");
    assert_eq!(common::count(&pool, moon_tasks).await, 0);
    assert_eq!(count(&pool, "tasks").await, before + 1);
    // Naming the default project is the same request as naming none: a replay.
    let named = to_project("openclaw", "create-faq-1").await.unwrap();
    assert_eq!(named.headers()["idempotent-replayed"], "true");
    let named: Value = named.json().await.unwrap();
    assert_eq!(named["id"], first["id"]);
    // A key of its own creates the task in the other project.
    let moon = to_project("moonbase", "create-faq-moon").await.unwrap();
    assert_eq!(moon.status(), StatusCode::CREATED);
    assert_eq!(common::count(&pool, moon_tasks).await, 1);
    assert_eq!(count(&pool, "tasks").await, before + 2);

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
    assert_eq!(count(&pool, "tasks").await, before + 3);
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
    let before = common::fingerprint(&pool).await;
    let too_big = api.post("/api/tasks", &big).await;
    assert_error(&too_big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // With an Idempotency-Key too (that layer reads the body itself).
    let keyed = api
        .client
        .post(format!("{}/api/tasks", api.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("idempotency-key", "too-big-1")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(keyed.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(common::fingerprint(&pool).await, before, "an oversized body changes nothing");
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
    assert!(text.contains("mc_database_up 1"), "{text}");

    // Requests no route serves are counted too, under one label.
    api.get("/api/nothing-here").await;
    api.get("/api/nothing/else").await;
    let text = api.metrics().await;
    assert!(
        text.contains(r#"mc_http_requests_total{method="GET",route="unmatched",status="404"} 2"#),
        "{text}"
    );

    // The database is gone: /metrics still answers (that is how Prometheus sees the outage),
    // with the request metrics and the database marked down.
    pool.close().await;
    // The squad's numbers are read at most once a second, whatever the scrape rate.
    let text = common::eventually("/metrics says the database is down", std::time::Duration::from_secs(10), || async {
        let reply = api.client.get(format!("{}/metrics", api.url)).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        Some(reply.text().await.unwrap()).filter(|t| t.contains("mc_database_up 0"))
    })
    .await;
    assert!(
        text.contains(r#"mc_http_requests_total{method="GET",route="/api/agents",status="200"} 1"#),
        "{text}"
    );
    assert!(!text.contains("mc_agents{"), "no stale squad numbers: {text}");
}

/// What fuzzing the document found, fixed: an id in a body that names nothing is the request's
/// fault (409 naming the field), not a missing resource (404); control characters (NUL too) are
/// refused, never a 500; the document's spellings are the ones taken; `null` is no body; whole
/// numbers may be written `2.0`.
#[sqlx::test]
async fn requests_get_the_answers_the_document_gives(pool: PgPool) {
    let api = seeded(&pool).await;
    let task = api.post("/api/tasks", r#"{"title":"Write the FAQ","type":"docs"}"#).await;
    assert_eq!(task.status, StatusCode::CREATED, "{}", task.body);
    let task = task.body["id"].as_str().unwrap().to_string();
    let nobody = "6d1b7a8e-0000-4000-8000-000000000000";

    let unknown = api
        .patch(&format!("/api/tasks/{task}"), &format!(r#"{{"assigneeIds":["{nobody}"]}}"#))
        .await;
    assert_error(&unknown, StatusCode::CONFLICT, "unknown_reference");
    assert_eq!(unknown.body["error"]["details"]["field"], "assigneeIds", "{}", unknown.body);
    assert_eq!(
        api.get(&format!("/api/tasks/{task}")).await.status,
        StatusCode::OK,
        "the task is there"
    );
    let run = api
        .post("/api/runs", &format!(r#"{{"agentId":"{nobody}","cost":0.1,"status":"succeeded"}}"#))
        .await;
    assert_error(&run, StatusCode::CONFLICT, "unknown_reference");
    assert_eq!(run.body["error"]["details"]["field"], "agentId");
    let missing = api.patch(&format!("/api/tasks/{nobody}"), r#"{"assigneeIds":[]}"#).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");

    let tasks_before = count(&pool, "tasks").await;
    for body in [
        r#"{"title":"Nul\u0000byte","type":"docs"}"#,
        r#"{"title":"Fine","description":"a\u0000b","type":"docs"}"#,
        r#"{"title":"Bell\u0007","type":"docs"}"#,
        r#"{"title":"\u000bLeading vertical tab","type":"docs"}"#,
    ] {
        assert_error(
            &api.post("/api/tasks", body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
    assert_eq!(count(&pool, "tasks").await, tasks_before);
    let project = api
        .post("/api/projects", r#"{"slug":"zz","name":"Zed","description":"x\u0000"}"#)
        .await;
    assert_error(&project, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_error(&api.get("/api/tasks?project=a%00b").await, StatusCode::NOT_FOUND, "not_found");
    let odd_slug = api.patch("/api/projects/a%00b", r#"{"standupTime":"09:00"}"#).await;
    assert_error(&odd_slug, StatusCode::NOT_FOUND, "not_found");

    // Spelled as in the document (and as in JSON bodies).
    assert_eq!(api.get("/api/tasks?status=in_progress,review").await.status, StatusCode::OK);
    for query in [
        "status=",
        "status=IN_PROGRESS",
        "status=in-progress",
        "type=Docs",
        "order=DESC",
        "format=CSV",
    ] {
        let path = if query.starts_with("format") {
            format!("/api/audit/export?startDate=2026-02-01&endDate=2026-02-01&{query}")
        } else if query.starts_with("order") {
            format!("/api/runs?{query}")
        } else {
            format!("/api/tasks?{query}")
        };
        assert_error(&api.get(&path).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    let actor = api
        .post(
            &format!("/api/tasks/{task}/transition"),
            r#"{"toStatus":"canceled","actor":"Human"}"#,
        )
        .await;
    assert_error(&actor, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // `null` is no body; 2.0 is 2.
    let paused = api.post("/api/emergency/pause-squad", "null").await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let whole = api.post("/api/tasks", r#"{"title":"Two","type":"docs","priority":2.0}"#).await;
    assert_eq!(whole.status, StatusCode::CREATED, "{}", whole.body);
    assert_eq!(whole.body["priority"], 2);
    let fraction = api
        .post("/api/tasks", r#"{"title":"Two and a half","type":"docs","priority":2.5}"#)
        .await;
    assert_error(&fraction, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

/// Every route the server serves, as (method, path). Adding a route means adding it here, and
/// the test below fails until the document has it too.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/projects"),
    ("POST", "/api/projects"),
    ("PATCH", "/api/projects/{slug}"),
    ("POST", "/api/emergency/pause-squad"),
    ("POST", "/api/emergency/resume-squad"),
    ("GET", "/api/agents"),
    ("POST", "/api/agents/register"),
    ("GET", "/api/agents/{id}"),
    ("PATCH", "/api/agents/{id}"),
    ("POST", "/api/agents/{id}/heartbeat"),
    ("POST", "/api/agents/{id}/quarantine"),
    ("POST", "/api/agents/{id}/restart"),
    ("POST", "/api/agents/{id}/pause"),
    ("POST", "/api/agents/{id}/resume"),
    ("POST", "/api/agents/{id}/release"),
    ("POST", "/api/agents/{id}/rotate-token"),
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("POST", "/api/tasks/claim"),
    ("GET", "/api/tasks/{id}"),
    ("PATCH", "/api/tasks/{id}"),
    ("GET", "/api/tasks/{id}/timeline"),
    ("POST", "/api/tasks/{id}/transition"),
    ("POST", "/api/tasks/{id}/claim"),
    ("POST", "/api/tasks/{id}/comments"),
    ("GET", "/api/approvals"),
    ("POST", "/api/approvals"),
    ("GET", "/api/approvals/{id}"),
    ("POST", "/api/approvals/{id}/approve"),
    ("POST", "/api/approvals/{id}/deny"),
    ("GET", "/api/runs"),
    ("POST", "/api/runs"),
    ("GET", "/api/costs/agent/{id}"),
    ("GET", "/api/costs/daily"),
    ("GET", "/api/alerts"),
    ("GET", "/api/alerts/{id}"),
    ("POST", "/api/alerts/{id}/resolve"),
    ("GET", "/api/audit/export"),
    ("POST", "/api/jobs/{job}/run"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/{id}"),
];

/// The runbook's API calls as (method, path), from the project's own fixture: one
/// `METHOD /path` a line, `#` comments and blank lines skipped.
fn runbook_operations() -> std::collections::BTreeSet<(String, String)> {
    include_str!("fixtures/runbook_api_calls.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (method, path) = line.split_once(' ').unwrap_or_else(|| panic!("`METHOD /path`: {line:?}"));
            assert!(
                ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) && path.starts_with('/'),
                "`METHOD /path`: {line:?}"
            );
            (method.to_string(), path.trim().to_string())
        })
        .collect()
}

/// The document lists exactly the routes above, with their methods; the server serves each
/// of them and no other method on those paths; and every runbook command is among them.
#[sqlx::test]
async fn the_openapi_document_covers_the_runbook_and_every_route(pool: PgPool) {
    use std::collections::BTreeSet;
    let api = seeded(&pool).await;
    // Open, like /health: it is the schema, not data.
    let doc = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete", "head", "options", "trace"].contains(&k.as_str()))
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(
        documented.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not in the route list"
    );
    assert_eq!(
        expected.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from the OpenAPI document"
    );

    let runbook = runbook_operations();
    assert!(runbook.len() >= 15, "{runbook:?}");
    for operation in &runbook {
        assert!(
            expected.contains(operation),
            "runbook command {operation:?} missing from the OpenAPI document"
        );
    }
    for needed in [
        ("POST", "/api/agents/register"),
        ("POST", "/api/agents/{id}/heartbeat"),
        ("POST", "/api/tasks/claim"),
        ("POST", "/api/tasks/{id}/claim"),
        ("POST", "/api/tasks/{id}/comments"),
        ("POST", "/api/approvals"),
        ("GET", "/api/approvals/{id}"),
        ("POST", "/api/approvals/{id}/deny"),
        ("POST", "/api/emergency/resume-squad"),
        ("POST", "/api/alerts/{id}/resolve"),
        ("POST", "/api/jobs/{job}/run"),
        ("POST", "/api/projects"),
        ("POST", "/api/runs"),
    ] {
        assert!(
            documented.contains(&(needed.0.to_string(), needed.1.to_string())),
            "{needed:?} is documented"
        );
    }

    // The server serves each listed (method, path), and on those paths no other method: a
    // method served there but missing from the list (and the document) fails here.
    let served = |reply: &common::http::Reply| {
        let fallback = reply.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no such endpoint"));
        !fallback && reply.status != StatusCode::METHOD_NOT_ALLOWED
    };
    let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    for path in paths {
        let concrete = path
            .replace("{id}", "6d1b7a8e-0000-4000-8000-000000000000")
            .replace("{job}", "budget_watch");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let listed = ROUTES.contains(&(method, path));
            let reply = api
                .call(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete,
                    Some(ADMIN_TOKEN),
                    Some("{}"),
                )
                .await;
            assert_eq!(
                served(&reply),
                listed,
                "{method} {path}: listed {listed}, answered {} {}",
                reply.status,
                reply.body
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
    // A minted CAO token, not only the bootstrap admin of the configuration.
    let cao = api.token("Cleo", OperatorRole::Cao).await;
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

    // Another project that exists, with a task and an agent of its own.
    let moon = api.post("/api/projects", r#"{"slug":"moonbase","name":"Moonbase"}"#).await;
    assert_eq!(moon.status, StatusCode::CREATED, "{}", moon.body);
    let moon_task = api
        .post("/api/tasks?project=moonbase", r#"{"title":"Survey the crater","type":"docs"}"#)
        .await;
    assert_eq!(moon_task.status, StatusCode::CREATED, "{}", moon_task.body);
    let moon_task = moon_task.body["id"].as_str().unwrap().to_string();
    let moon_agent = api
        .post(
            "/api/agents/register?project=moonbase",
            r#"{"name":"Luna","role":"intern","allowedTaskTypes":["docs"]}"#,
        )
        .await;
    assert_eq!(moon_agent.status, StatusCode::CREATED, "{}", moon_agent.body);
    let moon_agent = moon_agent.body["agent"]["id"].as_str().unwrap().to_string();

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
        // An agent of openclaw acting in moonbase, which exists.
        (
            Some(&a_token),
            Method::GET,
            "/api/tasks?project=moonbase".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            "/api/tasks?project=moonbase".into(),
            Some(r#"{"title":"Sneak in","type":"docs"}"#),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            "/api/tasks/claim?project=moonbase".into(),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            format!("/api/tasks/{moon_task}/claim?project=moonbase"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            format!("/api/tasks/{moon_task}/comments"),
            Some(r#"{"body":"hello from openclaw"}"#),
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            format!("/api/agents/{moon_agent}/heartbeat"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            Some(&a_token),
            Method::POST,
            "/api/agents/register?project=moonbase".into(),
            Some(r#"{"name":"Mole","role":"intern"}"#),
            StatusCode::FORBIDDEN,
        ),
        // Even a CAO cannot act as an agent.
        (
            Some(&cao),
            Method::POST,
            format!("/api/agents/{a_id}/heartbeat"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (Some(&cao), Method::POST, "/api/tasks/claim".into(), None, StatusCode::FORBIDDEN),
    ];
    let before = common::fingerprint(&pool).await;
    for (token, method, path, body, expected) in &cases {
        let reply = api.call(method.clone(), path, *token, *body).await;
        assert_eq!(reply.status, *expected, "{method} {path}: {}", reply.body);
        assert!(reply.body["error"]["message"].is_string());
    }
    assert_eq!(common::fingerprint(&pool).await, before, "no refusal changed anything");
    // The header names a project as the query does: refused the same way.
    let by_header = api
        .client
        .post(format!("{}/api/tasks", api.url))
        .bearer_auth(&a_token)
        .header("x-project", "moonbase")
        .body(r#"{"title":"Sneak in","type":"docs"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), StatusCode::FORBIDDEN);
    assert_eq!(common::fingerprint(&pool).await, before, "no refusal changed anything");

    // The same requests by someone allowed succeed: the minted CAO token decides.
    assert_eq!(
        api.call(Method::POST, &format!("/api/alerts/{alert}/resolve"), Some(&cao), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.call(Method::PATCH, &format!("/api/agents/{a_id}"), Some(&cao), Some(budget))
            .await
            .status,
        StatusCode::OK
    );
    let cap: i64 = sqlx::query_scalar("SELECT daily_cap_micros FROM agents WHERE id = $1::uuid")
        .bind(&a_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cap, 50_000_000);
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
    let approved = api
        .call(Method::POST, &format!("/api/approvals/{approval}/approve"), Some(&cao), Some("{}"))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let by: Option<String> = sqlx::query_scalar("SELECT decided_by_name FROM approvals WHERE id = $1::uuid")
        .bind(&approval)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(by.as_deref(), Some("Cleo"));
    let seen = api
        .call(Method::GET, &format!("/api/approvals/{approval}"), Some(&a_token), None)
        .await;
    assert_eq!(seen.body["status"], "approved");
}
