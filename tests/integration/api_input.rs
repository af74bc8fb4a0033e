//! Bad input, end to end: every malformed body, path or query gets a specific JSON error naming what is wrong, and changes nothing.

use crate::common;

use common::http::{assert_error, rows_in, scout_id, seeded, ADMIN_TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test]
async fn bad_input_gets_specific_errors(pool: PgPool) {
    let api = seeded(&pool).await;
    let tasks_before = rows_in(&pool, "tasks").await;
    let (runs_before, approvals_before) = (rows_in(&pool, "runs").await, rows_in(&pool, "approvals").await);
    // (method, path, body, status, error code, a word the message must contain)
    type Case = (Method, &'static str, Option<&'static str>, StatusCode, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        // An agent's token implies its agentId; an operator acting for an agent must name it.
        (
            Method::POST,
            "/api/runs",
            Some(r#"{"cost":0.1,"status":"succeeded"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "agentId",
        ),
        (
            Method::POST,
            "/api/approvals",
            Some(r#"{"actionType":"email.send","actionSummary":"Send it","justification":"Asked for"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "agentId",
        ),
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
    assert_eq!(rows_in(&pool, "tasks").await, tasks_before);
    assert_eq!(
        (rows_in(&pool, "runs").await, rows_in(&pool, "approvals").await),
        (runs_before, approvals_before)
    );

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
    assert_eq!(rows_in(&pool, "comments").await, 0);
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
