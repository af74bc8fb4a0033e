//! `/api/approvals`: agents ask, the CAO decides.

use super::error::{ApiError, ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{comma_list, ApiPath, ApiQuery, Caller, JsonBody, Scoped};
use super::{input_schemas, HttpState};
use crate::protocol::RequestApproval;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::approvals::Verdict;
use mc_core::app::grants::ToolApproval;
use mc_core::app::PageRequest;
use mc_core::model::{Approval, Page};
use mc_domain::grants::GrantSpan;
use mc_domain::ApprovalStatus;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ApprovalListParams {
    /// Comma-separated statuses, e.g. `pending`.
    #[param(value_type = Option<Vec<ApprovalStatus>>, style = Form, explode = false, min_items = 1)]
    status: Option<String>,
    #[param(schema_with = input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = input_schemas::offset)]
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/approvals", operation_id = "listApprovals", tag = "approvals", params(ApprovalListParams),
    responses((status = 200, body = Page<Approval>), NotFound, Unprocessable))]
pub async fn list(
    scope: Scoped,
    State(ctx): State<HttpState>,
    ApiQuery(p): ApiQuery<ApprovalListParams>,
) -> ApiResult<Json<Page<Approval>>> {
    let statuses = comma_list("status", &p.status, ApprovalStatus::parse)?;
    let page = PageRequest::new(p.limit, p.offset)?;
    Ok(Json(ctx.app.list_approvals(&scope.actor, scope.project.id, statuses, page).await?))
}

/// Policy decides at once: `approved` when allowed, `pending` for the CAO, `denied` otherwise.
#[utoipa::path(post, path = "/api/approvals", operation_id = "requestApproval", tag = "approvals", request_body = RequestApproval,
    responses((status = 201, body = Approval), NotFound, Unprocessable))]
pub async fn request(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<RequestApproval>,
) -> ApiResult<(StatusCode, Json<Approval>)> {
    let approval = ctx.app.request_approval(&actor, body.by(&actor)?).await?;
    Ok((StatusCode::CREATED, Json(approval)))
}

/// An approval and its decision (an agent reads only its own).
#[utoipa::path(get, path = "/api/approvals/{id}", operation_id = "getApproval", tag = "approvals", params(("id" = Uuid, Path)),
    responses((status = 200, body = Approval), NotFound))]
pub async fn get(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Approval>> {
    Ok(Json(ctx.app.get_approval(&actor, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApproveBody {
    /// Informational, as in the runbook; the decider recorded is the token's operator.
    approver: Option<String>,
    /// A note kept with the decision.
    #[schema(schema_with = input_schemas::optional_reason)]
    decision: Option<String>,
    /// A tool call's approval only: also grant the agent the call's command prefix for this long
    /// (`1h`, `8h`, `90m`, up to `7d`) or while it works on its current task (`task`).
    grant: Option<String>,
    /// A tool call's approval only: approve it with these arguments instead (a JSON object, or
    /// for a shell tool the new command line).
    edited_input: Option<String>,
}

#[utoipa::path(post, path = "/api/approvals/{id}/approve", operation_id = "approveApproval", tag = "approvals", params(("id" = Uuid, Path)), request_body = Option<ApproveBody>,
    responses((status = 200, body = Approval), NotFound, Conflict, Unprocessable))]
pub async fn approve(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<ApproveBody>,
) -> ApiResult<Json<Approval>> {
    let _ = body.approver;
    let how = match (body.grant, body.edited_input) {
        (Some(_), Some(_)) => return Err(ApiError::validation("send `grant` or `editedInput`, not both")),
        (Some(span), None) => {
            Some(ToolApproval::Grant(GrantSpan::parse(&span).map_err(|e| {
                ApiError::validation(format!("invalid field `grant`: {}", e.message))
            })?))
        }
        (None, Some(input)) => Some(ToolApproval::Edited(input)),
        (None, None) => None,
    };
    if how.is_some() && body.decision.is_some() {
        return Err(ApiError::validation(
            "a note (`decision`) is not kept with `grant` or `editedInput`: send it without them",
        ));
    }
    match how {
        Some(how) => Ok(Json(ctx.app.approve_tool_call(&actor, id, how).await?.0)),
        None => Ok(Json(
            ctx.app
                .decide_approval(&actor, id, Verdict::Approve, body.decision.as_deref())
                .await?,
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DenyBody {
    approver: Option<String>,
    /// Required: the agent is told why.
    #[schema(required = true, schema_with = input_schemas::required_reason)]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/approvals/{id}/deny", operation_id = "denyApproval", tag = "approvals", params(("id" = Uuid, Path)), request_body = DenyBody,
    responses((status = 200, body = Approval), NotFound, Conflict, Unprocessable))]
pub async fn deny(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiPath(id): ApiPath<Uuid>,
    JsonBody(body): JsonBody<DenyBody>,
) -> ApiResult<Json<Approval>> {
    let _ = body.approver;
    Ok(Json(
        ctx.app.decide_approval(&actor, id, Verdict::Deny, body.reason.as_deref()).await?,
    ))
}
