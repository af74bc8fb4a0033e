//! The one place where failures become HTTP responses: `{"error": {"code", "message", "details"?}}`,
//! and how the OpenAPI document describes them.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mc_core::app::AppError;
use serde::Serialize;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra fields clients can act on (the allowed transitions, who decided, retry delay).
    pub details: Option<serde_json::Value>,
    pub retry_after_secs: Option<u64>,
}

/// The body of every error answer: `{"error": {"code", "message", "details"?}}`. The
/// responses serialize this type, so the document's schema is the wire format.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `illegal_transition`, `validation_failed`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// Facts a client can act on: the field that is invalid (`field`), the transitions allowed
    /// (`from`, `to`, `allowed`), who decided an approval (`status`, `decidedBy`, `decidedAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Declares the error answers the OpenAPI document describes: each is a reusable response
/// (`#/components/responses/<Name>`) with the [`ErrorBody`] schema, and a type usable in
/// `#[utoipa::path(responses(...))]` that refers to it under its status, so a response cannot
/// be listed under the wrong status.
macro_rules! documented_errors {
    ($($(#[doc = $doc:literal])+ $name:ident = $status:ident;)+) => {
        $(
            $(#[doc = $doc])+
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
                    [(StatusCode::$status.as_u16().to_string(), utoipa::openapi::Ref::from_response_name(stringify!($name)).into())].into()
                }
            }
        )+

        /// Every documented error answer: (component name, status, description).
        pub const DOCUMENTED_ERRORS: &[(&str, StatusCode, &str)] = &[
            $((stringify!($name), StatusCode::$status, concat!($($doc),+))),+
        ];
    };
}

documented_errors! {
    /// Malformed request: the body is not JSON, or a path or query parameter or the `X-Project`
    /// header cannot be read (code `bad_request`).
    BadRequest = BAD_REQUEST;
    /// No token, or not a valid one (code `unauthenticated`).
    Unauthorized = UNAUTHORIZED;
    /// The token's role, or the agent, may not do this (code `forbidden`).
    Forbidden = FORBIDDEN;
    /// No such resource, or no such project in `X-Project` / `?project=` (code `not_found`).
    NotFound = NOT_FOUND;
    /// The current state does not allow it: an illegal transition, an approval already decided,
    /// a name taken, an `Idempotency-Key` in use for another request, an id in the body that
    /// names nothing (code `unknown_reference`, `details.field` names the field).
    Conflict = CONFLICT;
    /// The body is larger than `http.body_limit_bytes` (code `payload_too_large`).
    PayloadTooLarge = PAYLOAD_TOO_LARGE;
    /// Well-formed but invalid input; `details.field` names the field (code `validation_failed`).
    Unprocessable = UNPROCESSABLE_ENTITY;
    /// A body in an encoding the operation does not read (code `unsupported_media_type`).
    UnsupportedMediaType = UNSUPPORTED_MEDIA_TYPE;
    /// Over the token's requests per minute (code `rate_limited`); retry after `Retry-After`
    /// seconds.
    TooManyRequests = TOO_MANY_REQUESTS;
}

/// The response object of a documented error, for the document's `components.responses`.
pub fn documented_error_response(status: StatusCode, description: &str) -> utoipa::openapi::response::Response {
    use utoipa::openapi::{header::HeaderBuilder, ContentBuilder, ObjectBuilder, Ref, ResponseBuilder, Type};
    let mut response = ResponseBuilder::new().description(description.trim()).content(
        "application/json",
        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
                .description(Some("Seconds to wait before the next request"))
                .build(),
        );
    }
    response.build()
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after_secs: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// A body over `http.body_limit_bytes` (`limit`, when known).
    pub fn payload_too_large(limit: Option<usize>) -> Self {
        let message = match limit {
            Some(limit) => format!("the request body is too large (at most {limit} bytes: http.body_limit_bytes)"),
            None => "the request body is too large".to_string(),
        };
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests for this token; retry after {retry_after_secs}s"),
        );
        err.retry_after_secs = Some(retry_after_secs);
        err
    }
}

impl ApiError {
    /// Too many failed authentications from the client's address (no token was looked up).
    pub fn throttled(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed authentications from this address; retry after {retry_after_secs}s"),
        );
        err.retry_after_secs = Some(retry_after_secs);
        err
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let status = match &err {
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadInput(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound { field: Some(_), .. } => StatusCode::CONFLICT,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::IllegalTransition { .. }
            | AppError::AlreadyDecided { .. }
            | AppError::Conflict { .. }
            | AppError::DuplicateUpdate { .. } => StatusCode::CONFLICT,
            AppError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after_secs = match &err {
            AppError::Busy { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        };
        let details = match &err {
            AppError::IllegalTransition { from, to, allowed, .. } => Some(json!({ "from": from, "to": to, "allowed": allowed })),
            AppError::AlreadyDecided {
                status,
                decided_by,
                decided_at,
                ..
            } => Some(json!({ "status": status, "decidedBy": decided_by, "decidedAt": decided_at })),
            AppError::Validation { field, .. } | AppError::NotFound { field: Some(field), .. } => Some(json!({ "field": field })),
            _ => None,
        };
        let message = match &err {
            // Never leak internals; the log has the cause.
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "internal error; see the server log".to_string()
            }
            other => other.to_string(),
        };
        ApiError {
            status,
            code: err.code(),
            message,
            details,
            retry_after_secs,
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request(format!("bad path parameter: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!("bad query string: {}", rejection.body_text()))
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::payload_too_large(None);
        }
        ApiError::bad_request(format!("cannot read the request body: {}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                details: self.details,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Unknown routes answer in the same shape as every other error.
pub async fn no_route() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/openapi.json")
}

pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /api/openapi.json",
    )
}
