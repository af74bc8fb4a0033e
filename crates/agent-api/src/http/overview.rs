//! Read-only overviews the chat shows as `/status`, `/standup` and `/policy`, as JSON: what the
//! cockpit's Standup, Costs and Policy views show (and any script may read).

use super::error::{ApiError, ApiResult, NotFound, Unprocessable};
use super::extract::{query_enum, ApiQuery, Scoped};
use super::HttpState;
use axum::extract::State;
use axum::Json;
use mc_core::app::summary::ToolRuleLayer;
use mc_core::model::summary::{PolicySummary, ProjectSummary};
use mc_domain::AgentRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where the project stands: tasks by status, done in the last day, blocked, next, the agents,
/// the spend by agent today and the burn rate — the standup's content.
#[utoipa::path(get, path = "/api/summary", operation_id = "getProjectSummary", tag = "projects",
    responses((status = 200, body = Object, description = "The project's summary (the standup's content)"), NotFound))]
pub async fn summary(scope: Scoped, State(ctx): State<HttpState>) -> ApiResult<Json<ProjectSummary>> {
    Ok(Json(ctx.app.project_summary(&scope.actor, scope.project.id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PolicyParams {
    /// Whose tool-call rules to list: an agent role (default `specialist`).
    #[param(value_type = Option<AgentRole>)]
    role: Option<String>,
}

/// The rules in force.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInForce {
    /// The risk policy of actions (`policy.*`), and the thresholds around it.
    #[schema(value_type = Object)]
    pub risk: PolicySummary,
    pub role: AgentRole,
    /// The tool-call rules for an agent of `role` in the project, layer by layer in the order
    /// they are consulted (project, role, configuration, shipped).
    #[schema(value_type = Vec<Object>)]
    pub tool_rules: Vec<ToolRuleLayer>,
}

/// The rules in force: the risk policy of actions and the tool-call rules of an agent role in
/// the project.
#[utoipa::path(get, path = "/api/policy", operation_id = "getPolicy", tag = "projects", params(PolicyParams),
    responses((status = 200, body = PolicyInForce), NotFound, Unprocessable))]
pub async fn policy(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<PolicyParams>) -> ApiResult<Json<PolicyInForce>> {
    let role = query_enum("role", &p.role, AgentRole::parse)?.unwrap_or(AgentRole::Specialist);
    let risk = ctx.app.policy_summary(&scope.actor).await?;
    let tool_rules = ctx
        .app
        .tool_rules_in_force(&scope.actor, &scope.project.slug, role)
        .map_err(ApiError::from)?;
    Ok(Json(PolicyInForce { risk, role, tool_rules }))
}
