//! The OpenAPI document: what every route's `#[utoipa::path]` says, plus the conventions all
//! `/api` operations share (the bearer token, and the error answers every one of them can give),
//! added in one place instead of in each route.

use super::error::{documented_error_response, DOCUMENTED_ERRORS};
use super::error::{BadRequest, Conflict, Forbidden, PayloadTooLarge, TooManyRequests, Unauthorized, Unprocessable};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use std::sync::LazyLock;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{IntoResponses, Modify, OpenApi};

/// The name of the security scheme of `/api` (also spelled out in `ApiDoc`'s `security`).
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(title = "Mission Control API", description = "Run a squad of AI agents: tasks, approvals, budgets, alerts. \
        Every /api route needs `Authorization: Bearer <token>`; the project is `X-Project` or `?project=` (default `openclaw`). \
        Errors answer `{\"error\": {\"code\", \"message\", \"details\"?}}`."),
    security(("bearer" = [])),
    // Schemas only parameters name (utoipa collects those of bodies and responses itself).
    components(schemas(super::error::ErrorBody, mc_core::app::jobs::Job))
)]
pub struct ApiDoc;

/// What every `/api` operation has in common, added to each:
///
/// - the bearer token (operations that declare their own `security`, such as the open
///   `/api/openapi.json`, keep theirs);
/// - 401 (no or a bad token), 403 (every operation checks the caller's role or project) and 429
///   (the per-token rate limit);
/// - 400 when it reads anything from the request (parameters, a body), and for every
///   mutating method: the `Idempotency-Key` layer reads the body and the `X-Project` header of
///   each, and answers 400 (unreadable header), 409 (key in use for another request), 413 (body
///   too large) and 422 (malformed key).
///
/// Answers that depend on the operation (404, 409, 422 of its own) are in its `#[utoipa::path]`.
/// Applied to the whole document once the routes are in (a modifier of `ApiDoc` would run
/// before they are).
pub struct ApiConventions;

impl Modify for ApiConventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for (name, status, description) in DOCUMENTED_ERRORS {
            components
                .responses
                .insert(name.to_string(), RefOr::T(documented_error_response(*status, description)));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            // `/v1/metrics` (OTLP, where exporters send it) is an authenticated operation too.
            if !path.starts_with("/api/") && path != "/v1/metrics" {
                continue;
            }
            let methods = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, operation) in methods {
                if let Some(operation) = operation {
                    apply_conventions(method, operation);
                }
            }
        }
    }
}

fn apply_conventions(method: HttpMethod, operation: &mut Operation) {
    if operation.security.is_some() {
        // Declared by the operation itself: an open one (`security(())`) answers no 401.
        return;
    }
    operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    let mutating = matches!(method, HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete);
    let reads_input = operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) || operation.request_body.is_some();
    let mut common = vec![Unauthorized::responses(), Forbidden::responses(), TooManyRequests::responses()];
    if reads_input || mutating {
        common.push(BadRequest::responses());
    }
    if mutating {
        common.extend([Conflict::responses(), PayloadTooLarge::responses(), Unprocessable::responses()]);
    }
    for (status, response) in common.into_iter().flatten() {
        operation.responses.responses.entry(status).or_insert(response);
    }
}

/// The OpenAPI document of this server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    super::api(0).1
}

/// This document. Open, like `/health`: it is the schema, not data.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", operation_id = "getOpenApiDocument", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    static DOC: LazyLock<String> = LazyLock::new(|| serde_json::to_string(&openapi()).expect("the document serializes"));
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], DOC.as_str())
}
