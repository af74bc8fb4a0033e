//! What handlers take from a request: the authenticated caller, the project in scope, a JSON
//! body, path and query parameters — each failing with the API's JSON error.

use super::error::ApiError;
use super::HttpState;
use crate::app::model::Project;
use crate::domain::Actor;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The project every request without an explicit scope works in.
pub const DEFAULT_PROJECT: &str = "openclaw";

/// The authenticated caller: `Authorization: Bearer <token>`, rate limited per token; failed
/// authentication is throttled per client address (the socket's peer).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

/// The client's address: the TCP peer (`ConnectInfo`). Behind a proxy every client shares the
/// proxy's address; a router served without connect info (a test calling it directly) counts
/// everyone as one client.
pub fn client_addr(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

impl<S> FromRequestParts<S> for Caller
where
    HttpState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let state = HttpState::from_ref(state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthenticated("missing credentials: send the header Authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be: Bearer <token>"))?;
        let addr = client_addr(parts);
        let key = super::rate_limit::token_key(token);
        use super::metrics::AuthRefusal;
        if let Err(throttled) = state.auth_throttle.admit(addr, &key) {
            state.metrics.count_auth_refusal(AuthRefusal::Throttled);
            return Err(throttled);
        }
        state.limiter.check(token)?;
        let actor = match state.app.authenticate(token).await {
            Ok(actor) => actor,
            Err(err @ crate::app::AppError::Unauthenticated(_)) => {
                state.auth_throttle.failed(addr);
                state.metrics.count_auth_refusal(AuthRefusal::Unauthenticated);
                return Err(err.into());
            }
            Err(err) => return Err(err.into()),
        };
        state.auth_throttle.succeeded(key);
        let caller = Caller(actor);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// The caller and the project the request is about: `X-Project: <slug>` or `?project=<slug>`;
/// an agent defaults to its own project, everyone else to `openclaw`.
#[derive(Debug, Clone)]
pub struct Scoped {
    pub actor: Actor,
    pub project: Project,
}

impl<S> FromRequestParts<S> for Scoped
where
    HttpState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Caller(actor) = Caller::from_request_parts(parts, state).await?;
        let app = HttpState::from_ref(state).app;
        let project = match (requested_project(parts)?, &actor) {
            (Some(slug), _) => app.project_by_slug(&slug).await?,
            (None, Actor::Agent { project_id, .. }) => app.project_by_id(*project_id).await?,
            (None, _) => app.project_by_slug(DEFAULT_PROJECT).await?,
        };
        Ok(Scoped { actor, project })
    }
}

/// The project a request names: `X-Project: <slug>`, else `?project=<slug>`; `None` when it
/// names none (the caller's default applies).
pub fn requested_project(parts: &Parts) -> Result<Option<String>, ApiError> {
    match parts.headers.get("x-project") {
        Some(value) => Ok(Some(
            value
                .to_str()
                .map_err(|_| ApiError::bad_request("the X-Project header must be a project slug"))?
                .to_string(),
        )),
        None => Ok(parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "project")
                .map(|(_, v)| v.into_owned())
        })),
    }
}

/// A JSON body, whatever the Content-Type says (the runbook's `curl -d` sends none); an empty
/// body reads as `{}`. Malformed JSON is a 400, JSON of the wrong shape a 422 naming the field.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                if path == "." {
                    ApiError::validation(format!("invalid body: {inner}"))
                } else {
                    ApiError::validation(format!("invalid field `{path}`: {inner}"))
                }
            }
            _ => ApiError::bad_request(format!("malformed JSON body: {inner}")),
        }
    })
}

/// Path parameters with the API's error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters with the API's error shape.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// The `Idempotency-Key` header, when sent.
pub struct IdempotencyHeader(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyHeader(None)),
            Some(value) => value
                .to_str()
                .map(|v| IdempotencyHeader(Some(v.trim().to_string())))
                .map_err(|_| ApiError::validation("the Idempotency-Key header must be printable ASCII")),
        }
    }
}

/// A query parameter with a value it does not take: a 422 naming the parameter (and, in the
/// message the parser gives, the values it takes).
pub fn invalid_param(param: &str, message: impl std::fmt::Display) -> ApiError {
    let mut err = ApiError::validation(format!("invalid query parameter `{param}`: {message}"));
    err.details = Some(serde_json::json!({ "field": param }));
    err
}

/// One enum value in a query string, e.g. `?role=intern`; empty means absent.
pub fn query_enum<T>(param: &str, raw: &Option<String>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, ApiError> {
    match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(value) => parse(value).map(Some).map_err(|e| invalid_param(param, e)),
    }
}

/// `a,b,c` lists of enum values in query strings, e.g. `?status=blocked,needs_approval`.
pub fn comma_list<T>(param: &str, raw: &Option<String>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<Vec<T>>, ApiError> {
    let Some(raw) = raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    raw.split(',')
        .map(|part| parse(part.trim()).map_err(|e| invalid_param(param, e)))
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// Tells a field that is absent (`None`) from one set to null (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
