//! The API against its OpenAPI document: requests get the answers the document gives, and the document covers the runbook's operations and every route.

use crate::common;

use common::http::{assert_error, rows_in, seeded, ADMIN_TOKEN};
use reqwest::{Method, StatusCode};

use sqlx::PgPool;
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

    let tasks_before = rows_in(&pool, "tasks").await;
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
    assert_eq!(rows_in(&pool, "tasks").await, tasks_before);
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
    ("GET", "/api/projects/{slug}/budget"),
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
    ("GET", "/api/costs/summary"),
    ("POST", "/v1/metrics"),
    ("GET", "/api/alerts"),
    ("GET", "/api/alerts/{id}"),
    ("POST", "/api/alerts/{id}/resolve"),
    ("GET", "/api/audit/export"),
    ("POST", "/api/jobs/{job}/run"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/{id}"),
    ("POST", "/api/hooks/claude-code"),
    ("POST", "/api/hooks/codex"),
    ("GET", "/api/grants"),
    ("POST", "/api/grants"),
    ("DELETE", "/api/grants/{id}"),
    ("GET", "/api/questions"),
    ("POST", "/api/questions"),
    ("GET", "/api/questions/{id}"),
    ("POST", "/api/questions/{id}/answer"),
    ("POST", "/api/questions/{id}/cancel"),
    ("POST", "/api/app/session"),
    ("GET", "/api/summary"),
    ("GET", "/api/policy"),
    ("POST", "/api/app/session/renew"),
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
