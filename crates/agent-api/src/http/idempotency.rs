//! `Idempotency-Key` on every mutating request: the first answer is stored and a retry with
//! the same key and the same request gets it again instead of acting twice.

use super::error::ApiError;
use super::extract::{requested_project, Caller, DEFAULT_PROJECT};
use super::HttpState;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mc_core::app::idempotency::Start;
use mc_core::app::AppError;
use mc_domain::Actor;

/// Marks a response whose body holds a secret (a token just issued): its stored copy for a
/// replay leaves the secret out (`App::finish_idempotent`), so no database row holds it.
#[derive(Debug, Clone, Copy)]
pub struct SecretInBody;

pub async fn layer(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let applies = matches!(*request.method(), Method::POST | Method::PATCH | Method::PUT | Method::DELETE)
        && request.headers().contains_key("idempotency-key")
        // Transitions keep their key with the change itself, in one transaction.
        && !request.uri().path().ends_with("/transition");
    if !applies {
        return next.run(request).await;
    }
    match handle(state, request, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

/// The project the request is about, resolved as [`super::extract::Scoped`] resolves it (so
/// `X-Project: openclaw` and no header are the same request for an operator): the same key and
/// body sent to another project is another request, not a replay of the first.
async fn project_scope(state: &HttpState, parts: &Parts, actor: &Actor) -> Result<String, ApiError> {
    let slug = match (requested_project(parts)?, actor) {
        (Some(slug), _) => slug,
        (None, Actor::Agent { project_id, .. }) => return Ok(project_id.to_string()),
        (None, _) => DEFAULT_PROJECT.to_string(),
    };
    // An unknown slug is the handler's to refuse (or ignore, where the route has no scope).
    Ok(match state.app.project_by_slug(&slug).await {
        Ok(project) => project.id.to_string(),
        Err(AppError::NotFound { .. }) => format!("slug:{slug}"),
        Err(err) => return Err(err.into()),
    })
}

async fn handle(state: HttpState, request: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let Caller(actor) = Caller::from_request_parts(&mut parts, &state).await?;
    let key = parts
        .headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .ok_or_else(|| ApiError::validation("the Idempotency-Key header must be printable ASCII"))?;
    let bytes = to_bytes(body, state.body_limit)
        .await
        .map_err(|_| ApiError::payload_too_large(Some(state.body_limit)))?;
    let method = parts.method.as_str().as_bytes().to_vec();
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("").as_bytes().to_vec();
    let project = project_scope(&state, &parts, &actor).await?.into_bytes();
    let claim = match state
        .app
        .begin_idempotent(&actor, &key, &[&method, &path, &project, &bytes])
        .await?
    {
        Start::Replay {
            status,
            content_type,
            body,
        } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if let Some(value) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(response);
        }
        Start::New(claim) => claim,
    };
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let _ = state.app.abandon_idempotent(claim).await;
            return Err(ApiError::from(AppError::Internal(anyhow::anyhow!("reading the response: {err}"))));
        }
    };
    if parts.status.is_server_error() {
        // Worth retrying: free the key so the retry runs.
        state.app.abandon_idempotent(claim).await?;
    } else {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let secret = parts.extensions.get::<SecretInBody>().is_some();
        state
            .app
            .finish_idempotent(claim, parts.status.as_u16(), content_type, &bytes, secret)
            .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
