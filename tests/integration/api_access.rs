//! Who may call what, end to end: only health and metrics are open, every other route needs a bearer token, roles are enforced, and a refusal changes nothing.

use crate::common;

use common::http::{assert_error, rows_in, scout_id, seeded};
use mission_control::domain::OperatorRole;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;
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
    let before = rows_in(&pool, "agents").await;
    let refused = api
        .call(
            Method::POST,
            "/api/agents/register",
            Some("nope"),
            Some(r#"{"name":"Ghost","role":"intern"}"#),
        )
        .await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(rows_in(&pool, "agents").await, before, "a refusal changes nothing");
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
    let audit_before = rows_in(&pool, "audit_events").await;
    let refused = api.call(Method::POST, "/api/emergency/pause-squad", Some(&viewer), None).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM agents WHERE status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(active > 0);
    assert_eq!(rows_in(&pool, "audit_events").await, audit_before);

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
