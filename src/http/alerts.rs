//! `/api/alerts`: what went wrong, and resolving it.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Caller, Scoped};
use super::HttpState;
use crate::app::model::{Alert, Page};
use crate::app::PageRequest;
use crate::domain::AlertSeverity;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    resolved: Option<bool>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    alert_type: Option<String>,
    severity: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/alerts", tag = "alerts", params(AlertListParams),
    responses((status = 200, body = Page<Alert>), (status = 422, body = ErrorBody)))]
pub async fn list(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<AlertListParams>) -> ApiResult<Json<Page<Alert>>> {
    let severity = p
        .severity
        .as_deref()
        .map(AlertSeverity::parse)
        .transpose()
        .map_err(ApiError::validation)?;
    let page = PageRequest::new(p.limit, p.offset)?;
    let alerts = ctx
        .app
        .list_alerts(&scope.actor, scope.project.id, p.resolved, p.alert_type, severity, page)
        .await?;
    Ok(Json(alerts))
}

#[utoipa::path(get, path = "/api/alerts/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), (status = 404, body = ErrorBody)))]
pub async fn get(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(ctx.app.get_alert(&actor, id).await?))
}

#[utoipa::path(post, path = "/api/alerts/{id}/resolve", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), (status = 403, body = ErrorBody)))]
pub async fn resolve(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(ctx.app.resolve_alert(&actor, id).await?))
}
