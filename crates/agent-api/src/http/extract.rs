//! What handlers take from a request: the authenticated caller, the project in scope, a JSON
//! body, path and query parameters — each failing with the API's JSON error.

use super::error::ApiError;
use super::HttpState;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use mc_core::app::tokens::Credential;
use mc_core::model::Project;
use mc_domain::waits::MAX_WAIT_SECS;
use mc_domain::Actor;
use mc_domain::WaitSeconds;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The project every request without an explicit scope works in.
pub const DEFAULT_PROJECT: &str = "openclaw";

/// The authenticated caller: `Authorization: Bearer <token>`, rate limited per token; failed
/// authentication is throttled per client address (the socket's peer).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

/// The token the caller authenticated with (put beside [`Caller`]): a call that waits ends
/// when that token stops working.
#[derive(Debug, Clone, Copy)]
pub struct Held(pub Credential);

impl<S> FromRequestParts<S> for Held
where
    HttpState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Caller::from_request_parts(parts, state).await?;
        parts
            .extensions
            .get::<Held>()
            .copied()
            .ok_or_else(|| ApiError::unauthenticated("the request's token is not known"))
    }
}

/// The client's address: the TCP peer (`ConnectInfo`), or, when the peer is one of
/// `http.trusted_proxies`, the right-most address of `X-Forwarded-For` that is not one of them
/// (what the last trusted proxy saw; a client cannot forge past it). A router served without
/// connect info (a test calling it directly) counts everyone as one client.
pub fn client_addr(parts: &Parts, trusted: &[ipnet::IpNet]) -> std::net::IpAddr {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<std::net::IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
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
        let addr = client_addr(parts, &state.trusted_proxies);
        use super::metrics::AuthRefusal;
        // An address over its failures gets no database query for a token that does not work;
        // one that works (read from memory) passes whatever others did from that address.
        if let Some(wait) = state.auth_throttle.over_limit(addr) {
            if !state.app.token_is_live(token).await {
                state.metrics.count_auth_refusal(AuthRefusal::Throttled);
                return Err(ApiError::throttled(wait));
            }
        }
        let (actor, credential) = match state.app.authenticate_credential(token).await {
            Ok(found) => found,
            Err(err @ mc_core::app::AppError::Unauthenticated(_)) => {
                state.auth_throttle.failed(addr);
                state.metrics.count_auth_refusal(AuthRefusal::Unauthenticated);
                return Err(err.into());
            }
            Err(err) => return Err(err.into()),
        };
        if let Some(principal) = actor.id() {
            state.limiter.check(principal)?;
        }
        let caller = Caller(actor);
        parts.extensions.insert(caller.clone());
        parts.extensions.insert(Held(credential));
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
/// body, or `null` (how the document's optional bodies say "none"), reads as `{}`. Malformed
/// JSON is a 400, JSON of the wrong shape a 422 naming the field.
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
    let bytes: &[u8] = if bytes.trim_ascii().is_empty() || bytes.trim_ascii() == b"null" {
        b"{}"
    } else {
        bytes
    };
    // Every body is an object: serde would take an array for a struct, field by field.
    if !bytes.trim_ascii_start().starts_with(b"{") {
        return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => ApiError::validation("invalid body: expected a JSON object"),
            Err(err) => ApiError::bad_request(format!("malformed JSON body: {err}")),
        });
    }
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

/// `?wait=N`: seconds (0–600) a long-poll waits; none or blank is 0.
pub fn wait_param(raw: &Option<String>) -> Result<WaitSeconds, ApiError> {
    let seconds = match raw.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
            invalid_param(
                "wait",
                format!("'{raw}' is not a whole number of seconds from 0 to {MAX_WAIT_SECS}"),
            )
        })?),
    };
    WaitSeconds::new("wait", seconds.unwrap_or(0)).map_err(|e| invalid_param("wait", e.message))
}

/// One enum value in a query string, e.g. `?role=intern`, spelled as in JSON bodies and the
/// document (the domain's parser, for people typing, is more lenient; the API is not).
pub fn query_enum<T>(param: &str, raw: &Option<String>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, ApiError>
where
    T: Copy + Into<&'static str>,
{
    raw.as_deref().map(|value| exact_enum(param, value, &parse)).transpose()
}

/// `a,b,c` lists of enum values in query strings, e.g. `?status=blocked,needs_approval` (the
/// document's `style: form, explode: false` array of at least one); `?status=` names an empty
/// status, refused.
pub fn comma_list<T>(param: &str, raw: &Option<String>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<Vec<T>>, ApiError>
where
    T: Copy + Into<&'static str>,
{
    match raw.as_deref() {
        None => Ok(None),
        Some(raw) => raw
            .split(',')
            .map(|part| exact_enum(param, part, &parse))
            .collect::<Result<Vec<T>, _>>()
            .map(Some),
    }
}

fn exact_enum<T>(param: &str, value: &str, parse: &impl Fn(&str) -> Result<T, String>) -> Result<T, ApiError>
where
    T: Copy + Into<&'static str>,
{
    let parsed = parse(value).map_err(|e| invalid_param(param, e))?;
    let spelled: &'static str = parsed.into();
    if spelled != value {
        return Err(invalid_param(param, format!("'{value}' is spelled '{spelled}'")));
    }
    Ok(parsed)
}

/// Tells a field that is absent (`None`) from one set to null (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An integer field that also takes a JSON number without a fraction (`3.0`), as the document's
/// `integer` (JSON Schema's) does; absent and null are `None`.
pub fn whole_number<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: TryFrom<i128>,
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = match (number.as_i64(), number.as_u64(), number.as_f64()) {
        (Some(i), _, _) => i128::from(i),
        (_, Some(u), _) => i128::from(u),
        (_, _, Some(f)) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 => f as i128,
        _ => return Err(D::Error::custom(format!("expected an integer, got {number}"))),
    };
    T::try_from(whole)
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{whole} is out of range")))
}
