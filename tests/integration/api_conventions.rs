//! The API's conventions, end to end: pagination with a total and the project scope, idempotency keys, rate and body limits, metrics.

use crate::common;

use common::http::{assert_error, rows_in, seeded, spawn_app_with, ADMIN_TOKEN};
use mission_control::domain::OperatorRole;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
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
    let before = rows_in(&pool, "tasks").await;
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
    assert_eq!(rows_in(&pool, "tasks").await, before + 1);

    let other = send(r#"{"title":"Something else","type":"docs"}"#).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rows_in(&pool, "tasks").await, before + 1);

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
    assert_eq!(rows_in(&pool, "tasks").await, before + 1);
    // Naming the default project is the same request as naming none: a replay.
    let named = to_project("openclaw", "create-faq-1").await.unwrap();
    assert_eq!(named.headers()["idempotent-replayed"], "true");
    let named: Value = named.json().await.unwrap();
    assert_eq!(named["id"], first["id"]);
    // A key of its own creates the task in the other project.
    let moon = to_project("moonbase", "create-faq-moon").await.unwrap();
    assert_eq!(moon.status(), StatusCode::CREATED);
    assert_eq!(common::count(&pool, moon_tasks).await, 1);
    assert_eq!(rows_in(&pool, "tasks").await, before + 2);

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
    assert_eq!(rows_in(&pool, "tasks").await, before + 3);
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
