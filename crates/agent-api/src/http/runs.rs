//! `/api/runs` and `/api/costs`: what agents spent, and reporting a run.

use super::agents::descending;
use super::error::{ApiResult, NotFound, Unprocessable};
use super::extract::{invalid_param, ApiPath, ApiQuery, Caller, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use crate::protocol::ReportRun;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use mc_core::app::costs::CostSummary;
use mc_core::app::queries::{AgentCosts, DailyCosts, RunQuery};
use mc_core::app::runs::RunOutcome;
use mc_core::app::PageRequest;
use mc_core::model::{Page, Run};
use mc_domain::{BudgetPeriod, CostGrouping};

use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RunListParams {
    agent_id: Option<Uuid>,
    task_id: Option<Uuid>,
    #[param(schema_with = input_schemas::run_sort)]
    sort_by: Option<String>,
    #[param(schema_with = input_schemas::order)]
    order: Option<String>,
    #[param(schema_with = input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = input_schemas::offset)]
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/runs", operation_id = "listRuns", tag = "costs", params(RunListParams),
    responses((status = 200, body = Page<Run>), NotFound, Unprocessable))]
pub async fn list(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<RunListParams>) -> ApiResult<Json<Page<Run>>> {
    let by_cost = match p.sort_by.as_deref() {
        None | Some("createdAt") => false,
        Some("cost") => true,
        Some(other) => {
            return Err(invalid_param(
                "sortBy",
                format!("unknown sort '{other}' (expected one of: createdAt, cost)"),
            ))
        }
    };
    let query = RunQuery {
        agent_id: p.agent_id,
        task_id: p.task_id,
        by_cost,
        descending: descending(&p.order, true)?,
        page: PageRequest::new(p.limit, p.offset)?,
    };
    Ok(Json(ctx.app.list_runs(&scope.actor, scope.project.id, query).await?))
}

/// Records a run and its cost; the budget caps are enforced here.
#[utoipa::path(post, path = "/api/runs", operation_id = "recordRun", tag = "costs", request_body = ReportRun,
    responses((status = 201, body = RunOutcome), NotFound, Unprocessable))]
pub async fn record(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<ReportRun>,
) -> ApiResult<(StatusCode, Json<RunOutcome>)> {
    let outcome = ctx.app.record_run(&actor, body.by(&actor)?).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

#[utoipa::path(get, path = "/api/costs/agent/{id}", operation_id = "getAgentCosts", tag = "costs", params(("id" = Uuid, Path)),
    responses((status = 200, body = AgentCosts), NotFound))]
pub async fn agent_costs(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<AgentCosts>> {
    Ok(Json(ctx.app.agent_costs(&actor, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// A UTC day, `YYYY-MM-DD`; default today.
    date: Option<NaiveDate>,
}

#[utoipa::path(get, path = "/api/costs/daily", operation_id = "getDailyCosts", tag = "costs", params(DailyParams),
    responses((status = 200, body = DailyCosts), NotFound))]
pub async fn daily(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<DailyParams>) -> ApiResult<Json<DailyCosts>> {
    Ok(Json(ctx.app.daily_costs(&scope.actor, scope.project.id, p.date).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// `day` (the current UTC day) or `month` (the current calendar month, UTC); default `day`.
    #[param(value_type = Option<String>)]
    period: Option<String>,
    /// `agent`, `model` or `project` (every project the caller may see); default `agent`.
    #[param(value_type = Option<String>)]
    by: Option<String>,
}

/// What was spent this day or month, by agent, model or project; unpriced runs counted apart.
#[utoipa::path(get, path = "/api/costs/summary", operation_id = "getCostSummary", tag = "costs", params(SummaryParams),
    responses((status = 200, body = CostSummary), NotFound, Unprocessable))]
pub async fn summary(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<SummaryParams>) -> ApiResult<Json<CostSummary>> {
    let period = match p.period.as_deref() {
        None => BudgetPeriod::Day,
        Some(text) => BudgetPeriod::parse(text).map_err(|e| invalid_param("period", e))?,
    };
    let by = match p.by.as_deref() {
        None => CostGrouping::Agent,
        Some(text) => CostGrouping::parse(text).map_err(|e| invalid_param("by", e))?,
    };
    Ok(Json(ctx.app.cost_summary(&scope.actor, scope.project.id, period, by).await?))
}
