//! `/api/agents`: the squad — list, register, heartbeat, budgets, status commands.

use super::error::{ApiError, ApiResult, Conflict, ErrorBody, NotFound, Unprocessable};
use super::extract::{
    comma_list, double_option, invalid_param, query_enum, wait_param, whole_number, ApiPath, ApiQuery, Caller, Held, JsonBody, Scoped,
};
use super::idempotency::SecretInBody;
use super::{input_schemas, HttpState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use mc_core::app::agents::{AgentReset, HeartbeatReport, RegisterAgent, Registration, StatusChange, StatusCommand};
use mc_core::app::queries::AgentQuery;
use mc_core::app::queries::AgentSort;
use mc_core::app::tokens::RotatedToken;
use mc_core::app::PageRequest;
use mc_core::model::{Agent, Page};
use mc_domain::{AgentRole, AgentStatus, TaskType, Usd};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AgentListParams {
    /// Comma-separated statuses, e.g. `active,paused`.
    #[param(value_type = Option<Vec<AgentStatus>>, style = Form, explode = false, min_items = 1)]
    status: Option<String>,
    #[param(value_type = Option<AgentRole>)]
    role: Option<String>,
    #[param(schema_with = input_schemas::agent_sort)]
    sort_by: Option<String>,
    #[param(schema_with = input_schemas::order)]
    order: Option<String>,
    #[param(schema_with = input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = input_schemas::offset)]
    offset: Option<i64>,
}

pub(crate) fn descending(order: &Option<String>, default_desc: bool) -> ApiResult<bool> {
    match order.as_deref() {
        None => Ok(default_desc),
        Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(other) => Err(invalid_param(
            "order",
            format!("unknown order '{other}' (expected one of: asc, desc)"),
        )),
    }
}

#[utoipa::path(get, path = "/api/agents", operation_id = "listAgents", tag = "agents", params(AgentListParams),
    responses((status = 200, body = Page<Agent>), NotFound, Unprocessable))]
pub async fn list(scope: Scoped, ApiQuery(p): ApiQuery<AgentListParams>, State(ctx): State<HttpState>) -> ApiResult<Json<Page<Agent>>> {
    let sort = match p.sort_by.as_deref() {
        None | Some("name") => None,
        Some("todaySpend") => Some(AgentSort::TodaySpend),
        Some("totalSpend") => Some(AgentSort::TotalSpend),
        Some("lastHeartbeat") => Some(AgentSort::LastHeartbeat),
        Some(other) => {
            return Err(invalid_param(
                "sortBy",
                format!("unknown sort '{other}' (expected one of: name, todaySpend, totalSpend, lastHeartbeat)"),
            ))
        }
    };
    let query = AgentQuery {
        status: comma_list("status", &p.status, AgentStatus::parse)?,
        role: query_enum("role", &p.role, AgentRole::parse)?,
        descending: descending(&p.order, sort.is_some())?,
        sort,
        page: PageRequest::new(p.limit, p.offset)?,
    };
    Ok(Json(ctx.app.list_agents(&scope.actor, scope.project.id, query).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(schema_with = input_schemas::agent_name)]
    name: String,
    role: AgentRole,
    #[serde(default)]
    allowed_task_types: Vec<TaskType>,
    parent_agent_id: Option<Uuid>,
    /// Dollars; defaults to the role's cap.
    #[schema(schema_with = input_schemas::optional_dollars)]
    daily_cap: Option<Usd>,
}

/// Registers an agent and returns it with its token; an existing name is reused (201 when
/// created, 200 when reused). The new token retires the agent's older ones. The token is in
/// this answer only: a replay under the same `Idempotency-Key` withholds it.
#[utoipa::path(post, path = "/api/agents/register", operation_id = "registerAgent", tag = "agents", request_body = RegisterBody,
    responses((status = 201, body = Registration), (status = 200, body = Registration), NotFound, Conflict, Unprocessable))]
pub async fn register(
    scope: Scoped,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<RegisterBody>,
) -> ApiResult<(StatusCode, Extension<SecretInBody>, Json<Registration>)> {
    let registration = ctx
        .app
        .register_agent(
            &scope.actor,
            scope.project.id,
            RegisterAgent {
                name: body.name,
                role: body.role,
                allowed_task_types: body.allowed_task_types,
                parent_agent_id: body.parent_agent_id,
                daily_cap: body.daily_cap,
                issue_token: true,
            },
        )
        .await?;
    let status = if registration.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Extension(SecretInBody), Json(registration)))
}

/// A fresh token for the agent, retiring its older ones at once: by the agent itself, or a CAO.
/// The new token is in this answer only.
#[utoipa::path(post, path = "/api/agents/{id}/rotate-token", operation_id = "rotateAgentToken", tag = "agents",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RotatedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn rotate_token(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(Extension<SecretInBody>, Json<RotatedToken>)> {
    Ok((Extension(SecretInBody), Json(ctx.app.rotate_agent_token(&actor, id).await?)))
}

#[utoipa::path(get, path = "/api/agents/{id}", operation_id = "getAgent", tag = "agents", params(("id" = Uuid, Path)),
    responses((status = 200, body = Agent), NotFound))]
pub async fn get(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Agent>> {
    Ok(Json(ctx.app.get_agent(&actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BudgetsPatch {
    #[schema(schema_with = input_schemas::optional_dollars)]
    daily_cap: Option<Usd>,
    #[schema(schema_with = input_schemas::optional_dollars)]
    per_run_cap: Option<Usd>,
    /// The most the agent may spend in a calendar month (UTC); null removes the cap.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = input_schemas::optional_dollars)]
    monthly_cap: Option<Option<Usd>>,
}

/// Either new budgets, or the runbook's "reset agent state" fields (not both at once).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPatch {
    budgets: Option<BudgetsPatch>,
    status: Option<AgentStatus>,
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 0, maximum = 2147483647)]
    error_streak: Option<i32>,
    #[schema(schema_with = input_schemas::optional_dollars)]
    today_spend: Option<Usd>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    current_task_id: Option<Option<Uuid>>,
}

#[utoipa::path(patch, path = "/api/agents/{id}", operation_id = "updateAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = AgentPatch,
    responses((status = 200, body = Agent), NotFound, Unprocessable))]
pub async fn patch(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<AgentPatch>,
) -> ApiResult<Json<Agent>> {
    let reset = AgentReset {
        status: body.status,
        error_streak: body.error_streak,
        today_spend: body.today_spend,
        current_task_id: body.current_task_id,
    };
    let resets = reset.status.is_some() || reset.error_streak.is_some() || reset.today_spend.is_some() || reset.current_task_id.is_some();
    let agent = match (body.budgets, resets) {
        (Some(_), true) => {
            return Err(ApiError::validation(
                "send budgets and reset fields (status, errorStreak, todaySpend, currentTaskId) in separate requests",
            ))
        }
        (Some(budgets), false) => {
            if budgets.daily_cap.is_none() && budgets.per_run_cap.is_none() && budgets.monthly_cap.is_none() {
                return Err(ApiError::validation("budgets needs dailyCap, perRunCap or monthlyCap"));
            }
            ctx.app
                .set_agent_caps(&actor, id, budgets.daily_cap, budgets.per_run_cap, budgets.monthly_cap)
                .await?
        }
        (None, true) => ctx.app.reset_agent(&actor, id, reset).await?,
        (None, false) => return Err(ApiError::validation("nothing to change: send budgets or reset fields")),
    };
    Ok(Json(agent))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeartbeatParams {
    /// Long-poll: seconds (0–600) to wait for news — a notification (a pause, a resume, an
    /// assignment, a comment, a decision all bring one) or `stop` changing — before answering.
    /// News answers at once; a pause reaches a waiting agent within a second. Default 0.
    #[param(value_type = Option<u64>, maximum = 600)]
    wait: Option<String>,
}

/// What an agent learns on each heartbeat: notifications, assigned tasks, budget, and whether
/// it must stop. With `?wait=N` the call waits up to N seconds for news and holds no database
/// connection meanwhile.
#[utoipa::path(post, path = "/api/agents/{id}/heartbeat", operation_id = "agentHeartbeat", tag = "agents",
    params(("id" = Uuid, Path), HeartbeatParams),
    responses((status = 200, body = HeartbeatReport), NotFound, Unprocessable))]
pub async fn heartbeat(
    Caller(actor): Caller,
    Held(held): Held,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<HeartbeatParams>,
) -> ApiResult<Json<HeartbeatReport>> {
    let wait = wait_param(&p.wait)?;
    Ok(Json(ctx.app.heartbeat_waiting(&actor, id, wait, Some(held)).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(schema_with = input_schemas::optional_reason)]
    pub reason: Option<String>,
}

async fn command(actor: Caller, ctx: HttpState, id: Uuid, command: StatusCommand, body: ReasonBody) -> ApiResult<Json<StatusChange>> {
    Ok(Json(
        ctx.app.change_agent_status(&actor.0, id, command, body.reason.as_deref()).await?,
    ))
}

#[utoipa::path(post, path = "/api/agents/{id}/quarantine", operation_id = "quarantineAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = Option<ReasonBody>,
    responses((status = 200, body = StatusChange), NotFound, Conflict, Unprocessable))]
pub async fn quarantine(
    caller: Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<StatusChange>> {
    command(caller, ctx, id, StatusCommand::Quarantine, body).await
}

/// Back to work with a clean error streak.
#[utoipa::path(post, path = "/api/agents/{id}/restart", operation_id = "restartAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = Option<ReasonBody>,
    responses((status = 200, body = StatusChange), NotFound, Conflict, Unprocessable))]
pub async fn restart(
    caller: Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<StatusChange>> {
    command(caller, ctx, id, StatusCommand::Restart, body).await
}

#[utoipa::path(post, path = "/api/agents/{id}/pause", operation_id = "pauseAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = Option<ReasonBody>,
    responses((status = 200, body = StatusChange), NotFound, Conflict, Unprocessable))]
pub async fn pause(
    caller: Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<StatusChange>> {
    command(caller, ctx, id, StatusCommand::Pause, body).await
}

#[utoipa::path(post, path = "/api/agents/{id}/resume", operation_id = "resumeAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = Option<ReasonBody>,
    responses((status = 200, body = StatusChange), NotFound, Conflict, Unprocessable))]
pub async fn resume(
    caller: Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<StatusChange>> {
    command(caller, ctx, id, StatusCommand::Resume, body).await
}

/// Out of quarantine (CAO only).
#[utoipa::path(post, path = "/api/agents/{id}/release", operation_id = "releaseAgent", tag = "agents", params(("id" = Uuid, Path)), request_body = Option<ReasonBody>,
    responses((status = 200, body = StatusChange), NotFound, Conflict, Unprocessable))]
pub async fn release(
    caller: Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> ApiResult<Json<StatusChange>> {
    command(caller, ctx, id, StatusCommand::Release, body).await
}
