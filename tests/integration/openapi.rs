//! The OpenAPI document as tools read it, fetched from the real server: operationIds unique,
//! every `$ref` resolves, the bearer scheme on every `/api` operation, and every answer the
//! server gives to bad requests documented with the error schema.

use crate::common;

use common::http::{spawn_app, TestApi, ADMIN_TOKEN};
use mission_control::domain::OperatorRole;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const OPEN: [&str; 4] = ["/health", "/metrics", "/api/openapi.json", "/api/app/session"];

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if METHODS.contains(&method.as_str()) {
                all.push((method.clone(), path.clone(), operation.clone()));
            }
        }
    }
    all
}

/// Every `$ref` anywhere in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

/// The object a local `$ref` points at.
fn resolve<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    doc.pointer(target.strip_prefix('#')?)
}

/// A response object, its `$ref` followed.
fn response<'a>(doc: &'a Value, operation: &'a Value, status: StatusCode) -> Option<&'a Value> {
    let response = operation["responses"].get(status.as_str())?;
    match response["$ref"].as_str() {
        Some(target) => resolve(doc, target),
        None => Some(response),
    }
}

/// The error answers: JSON with the `ErrorBody` schema.
fn documents_the_error_body(doc: &Value, response: &Value) -> bool {
    let schema = &response["content"]["application/json"]["schema"];
    schema["$ref"] == "#/components/schemas/ErrorBody" && resolve(doc, "#/components/schemas/ErrorBody").is_some()
}

async fn fetch(api: &TestApi) -> Value {
    let reply = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers["content-type"], "application/json",
        "served as JSON, as tools fetch it"
    );
    reply.body
}

#[sqlx::test]
async fn the_openapi_document_is_one_tools_accept(pool: PgPool) {
    let api = spawn_app(pool).await;
    let doc = fetch(&api).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let all = operations(&doc);
    assert!(all.len() >= 40, "{}", all.len());

    // operationIds: present, unique, usable as identifiers by client generators.
    let mut ids = BTreeSet::new();
    for (method, path, operation) in &all {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(
            id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{method} {path}: operationId {id:?} is not camelCase"
        );
        assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
    }

    // Every reference resolves.
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(targets.len() > 100, "{}", targets.len());
    for target in &targets {
        assert!(resolve(&doc, target).is_some(), "$ref {target} does not resolve");
    }

    // The bearer scheme, on every /api operation; the open ones say they are open.
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["type"], "http");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let error_detail = &doc["components"]["schemas"]["ErrorDetail"];
    assert_eq!(error_detail["required"], serde_json::json!(["code", "message"]), "{error_detail}");
    assert!(error_detail["properties"]["details"].is_object(), "{error_detail}");
    for (method, path, operation) in &all {
        let security = &operation["security"];
        if OPEN.contains(&path.as_str()) {
            assert_eq!(security, &serde_json::json!([{}]), "{method} {path} is open");
            continue;
        }
        assert!(path.starts_with("/api/") || path == "/v1/metrics", "{path}");
        assert_eq!(security, &serde_json::json!([{ "bearer": [] }]), "{method} {path}");
        // Every /api operation may answer these, with the error body.
        let mut codes = vec![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS];
        if method == "post" || method == "patch" {
            codes.extend([
                StatusCode::BAD_REQUEST,
                StatusCode::PAYLOAD_TOO_LARGE,
                StatusCode::UNPROCESSABLE_ENTITY,
            ]);
        }
        for code in codes {
            let documented = response(&doc, operation, code).unwrap_or_else(|| panic!("{method} {path} documents {code}"));
            assert!(documents_the_error_body(&doc, documented), "{method} {path} {code}: {documented}");
        }
        let too_many = response(&doc, operation, StatusCode::TOO_MANY_REQUESTS).unwrap();
        assert!(too_many["headers"]["Retry-After"].is_object(), "{too_many}");
        // And every error it documents has the error body.
        for (status, _) in operation["responses"].as_object().unwrap() {
            let code = StatusCode::from_bytes(status.as_bytes()).unwrap();
            if code.is_client_error() {
                assert!(
                    documents_the_error_body(&doc, response(&doc, operation, code).unwrap()),
                    "{method} {path} {code}"
                );
            }
        }
    }
}

/// A concrete path for a template: an unknown id, slug or job.
fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{slug}", "no-such-project")
        .replace("{job}", "no_such_job")
}

/// Bad requests of every kind, to every operation: whatever the server answers is in the
/// document, and an error answer has the error body.
#[sqlx::test]
async fn every_answer_to_a_bad_request_is_documented(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let doc = fetch(&api).await;
    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let too_large = format!(r#"{{"reason":"{}"}}"#, "x".repeat(70_000));
    let mut seen = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        if OPEN.contains(&path.as_str()) {
            continue;
        }
        let verb = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mutating = verb == Method::POST || verb == Method::PATCH;
        let body = mutating.then_some("{}");
        let has_limit = operation["parameters"]
            .as_array()
            .is_some_and(|params| params.iter().any(|p| p["name"] == "limit"));
        let mut probes: Vec<(&str, String, Option<&str>, Option<&str>)> = vec![
            ("no token", concrete(&path, &unknown), None, body),
            ("a bad token", concrete(&path, &unknown), Some("mco_not-a-token"), body),
            ("a viewer", concrete(&path, &unknown), Some(viewer.as_str()), body),
            ("an unknown id", concrete(&path, &unknown), Some(ADMIN_TOKEN), body),
        ];
        if path.contains("{id}") {
            probes.push(("a malformed id", concrete(&path, "not-a-uuid"), Some(ADMIN_TOKEN), body));
        }
        if mutating {
            probes.push(("malformed JSON", concrete(&path, &unknown), Some(ADMIN_TOKEN), Some("{")));
            probes.push((
                "a body too large",
                concrete(&path, &unknown),
                Some(ADMIN_TOKEN),
                Some(too_large.as_str()),
            ));
        }
        let limit_zero = format!("{}?limit=0", concrete(&path, &unknown));
        if has_limit {
            probes.push(("limit=0", limit_zero, Some(ADMIN_TOKEN), None));
        }
        for (probe, url, token, body) in probes {
            let reply = api.call(verb.clone(), &url, token, body).await;
            let documented = response(&doc, &operation, reply.status)
                .unwrap_or_else(|| panic!("{method} {path} with {probe}: {} is not documented ({})", reply.status, reply.body));
            if reply.status.is_client_error() {
                assert!(documents_the_error_body(&doc, documented), "{method} {path} {}", reply.status);
                let error = &reply.body["error"];
                assert!(
                    error["code"].is_string() && error["message"].is_string(),
                    "{method} {path} with {probe}: {}",
                    reply.body
                );
                assert!(
                    error
                        .as_object()
                        .unwrap()
                        .keys()
                        .all(|k| ["code", "message", "details"].contains(&k.as_str())),
                    "{}",
                    reply.body
                );
            }
            seen.insert(reply.status.as_u16());
        }
    }
    // The probes reached every documented error but 409 and 429 (covered by their own tests).
    for code in [400, 401, 403, 404, 413, 422] {
        assert!(seen.contains(&code), "no probe got a {code}: {seen:?}");
    }
}
