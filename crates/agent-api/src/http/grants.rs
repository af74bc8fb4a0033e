//! `/api/grants`: standing grants for tool calls — what agents may do without asking, for
//! how long. The CAO makes and revokes them; everyone who reads the project sees them.

use super::error::{ApiError, ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{ApiPath, ApiQuery, Caller, JsonBody, Scoped};
use super::HttpState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::grants::{GrantTarget, NewToolGrant};
use mc_core::model::ToolGrant;
use mc_domain::grants::GrantSpan;
use mc_domain::{AgentRole, GrantScope};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct GrantListParams {
    /// Also expired and revoked grants (default: the live ones).
    all: Option<bool>,
}

/// The project's grants, newest first (at most 200).
#[utoipa::path(get, path = "/api/grants", operation_id = "listGrants", tag = "grants", params(GrantListParams),
    responses((status = 200, body = Vec<ToolGrant>), NotFound, Unprocessable))]
pub async fn list(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<GrantListParams>) -> ApiResult<Json<Vec<ToolGrant>>> {
    let live_only = !p.all.unwrap_or(false);
    Ok(Json(ctx.app.list_grants(&scope.actor, scope.project.id, live_only).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGrantBody {
    /// `agent` (give `agentId`), `role` (give `role`) or `project`.
    scope: GrantScope,
    agent_id: Option<Uuid>,
    role: Option<AgentRole>,
    /// In Claude Code's rule syntax, e.g. `Bash(git push:*)`; never a bare shell.
    #[schema(min_length = 1, max_length = 1000, example = "Bash(git push:*)")]
    rule: String,
    /// How long: `task` (the agent's current task, at most 7 days) or `1m`–`7d`, e.g. `1h`, `8h`.
    #[serde(rename = "for")]
    #[schema(rename = "for", example = "8h")]
    lasts: String,
}

/// Grants agents a rule: their RED tool calls it covers are allowed without a human. CAO only.
#[utoipa::path(post, path = "/api/grants", operation_id = "createGrant", tag = "grants", request_body = CreateGrantBody,
    responses((status = 201, body = ToolGrant), NotFound, Unprocessable))]
pub async fn create(
    scope: Scoped,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<CreateGrantBody>,
) -> ApiResult<(StatusCode, Json<ToolGrant>)> {
    let target = match (body.scope, body.agent_id, body.role) {
        (GrantScope::Agent, Some(id), None) => GrantTarget::Agent(id),
        (GrantScope::Role, None, Some(role)) => GrantTarget::Role(role),
        (GrantScope::Project, None, None) => GrantTarget::Project,
        _ => {
            return Err(ApiError::validation(
                "invalid body: scope `agent` takes `agentId`, scope `role` takes `role`, scope `project` takes neither",
            ))
        }
    };
    let span = GrantSpan::parse(&body.lasts).map_err(mc_core::app::AppError::from)?;
    let input = NewToolGrant {
        project_id: scope.project.id,
        target,
        rule: body.rule,
        span,
    };
    let grant = ctx.app.create_grant(&scope.actor, input).await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// Revokes a grant: the next call it would have covered asks again. CAO only.
#[utoipa::path(delete, path = "/api/grants/{id}", operation_id = "revokeGrant", tag = "grants", params(("id" = Uuid, Path)),
    responses((status = 200, body = ToolGrant), NotFound, Conflict))]
pub async fn revoke(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<ToolGrant>> {
    Ok(Json(ctx.app.revoke_grant(&actor, id).await?))
}
