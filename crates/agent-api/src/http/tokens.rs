//! `/api/tokens`: API tokens for a CAO — list (never a secret), create (the secret is in that
//! answer only), revoke.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{invalid_param, ApiPath, ApiQuery, Caller, JsonBody};
use super::idempotency::SecretInBody;
use super::HttpState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use mc_core::app::tokens::{CreateToken, TokenQuery, TokenRef};
use mc_core::app::PageRequest;
use mc_core::model::{ApiToken, IssuedToken, Page};
use mc_domain::credentials::{parse_lifetime, TokenKind};
use mc_domain::OperatorRole;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    /// `operator` or `agent`; both when absent.
    #[param(schema_with = super::input_schemas::token_kind)]
    kind: Option<String>,
    /// `true`: also the agent tokens a newer token retired (one per re-registration).
    include_rotated: Option<bool>,
    #[param(schema_with = super::input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = super::input_schemas::offset)]
    offset: Option<i64>,
}

/// Every token, newest first: name, kind, role, state, created, last used (to the minute),
/// expiry, revocation. Never the token itself.
#[utoipa::path(get, path = "/api/tokens", operation_id = "listTokens", tag = "tokens", params(TokenListParams),
    responses((status = 200, body = Page<ApiToken>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiQuery(p): ApiQuery<TokenListParams>,
) -> ApiResult<Json<Page<ApiToken>>> {
    // Exactly the document's words (what it says is what is taken).
    let kind = match p.kind.as_deref() {
        None => None,
        Some("operator") => Some(TokenKind::Operator),
        Some("agent") => Some(TokenKind::Agent),
        Some(other) => {
            return Err(invalid_param(
                "kind",
                format!("unknown kind '{other}' (expected one of: operator, agent)"),
            ))
        }
    };
    let query = TokenQuery {
        kind,
        with_rotated: p.include_rotated.unwrap_or(false),
        page: PageRequest::new(p.limit, p.offset)?,
    };
    Ok(Json(ctx.app.list_tokens(&actor, query).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTokenBody {
    /// Who the token is for (unique among tokens not revoked; shown in the audit log).
    #[schema(schema_with = super::input_schemas::token_name)]
    name: String,
    role: OperatorRole,
    /// e.g. `30d`, `12h`, `90m`, `2w`; without it the token does not expire.
    #[schema(schema_with = super::input_schemas::token_lifetime)]
    expires_in: Option<String>,
}

/// Creates an operator with a token, as `token create` does. The answer is the only place the
/// token is ever shown (a replay under the same `Idempotency-Key` withholds it).
#[utoipa::path(post, path = "/api/tokens", operation_id = "createToken", tag = "tokens", request_body = CreateTokenBody,
    responses((status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<CreateTokenBody>,
) -> ApiResult<(StatusCode, Extension<SecretInBody>, Json<IssuedToken>)> {
    let expires_in = match body.expires_in.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(raw) => Some(parse_lifetime(raw).map_err(|invalid| ApiError::from(mc_core::app::AppError::from(invalid)))?),
        None => None,
    };
    let issued = ctx
        .app
        .create_token(
            &actor,
            CreateToken {
                name: body.name,
                role: body.role,
                expires_in,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Extension(SecretInBody), Json(issued)))
}

/// Revokes a token at once: its next request gets 401 saying it was revoked.
#[utoipa::path(delete, path = "/api/tokens/{id}", operation_id = "revokeToken", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<ApiToken>> {
    Ok(Json(ctx.app.revoke_token(&actor, &TokenRef::Id(id)).await?))
}
