//! `/api/alerts`: what went wrong, and resolving it.

use super::error::{ApiResult, Conflict, NotFound, Unprocessable};
use super::extract::{invalid_param, query_enum, ApiPath, ApiQuery, Caller, Scoped};
use super::{input_schemas, HttpState};
use axum::extract::State;
use axum::Json;
use mc_core::app::PageRequest;
use mc_core::model::{Alert, Page};
use mc_domain::{AlertKind, AlertSeverity};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AlertListParams {
    resolved: Option<bool>,
    /// A type the service raises (e.g. `budget_exceeded`) or one raised in the project.
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = input_schemas::alert_type)]
    alert_type: Option<String>,
    #[param(value_type = Option<AlertSeverity>)]
    severity: Option<String>,
    #[param(schema_with = input_schemas::limit)]
    limit: Option<i64>,
    #[param(schema_with = input_schemas::offset)]
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/alerts", operation_id = "listAlerts", tag = "alerts", params(AlertListParams),
    responses((status = 200, body = Page<Alert>), NotFound, Unprocessable))]
pub async fn list(scope: Scoped, State(ctx): State<HttpState>, ApiQuery(p): ApiQuery<AlertListParams>) -> ApiResult<Json<Page<Alert>>> {
    let severity = query_enum("severity", &p.severity, AlertSeverity::parse)?;
    let alert_type = p.alert_type;
    if let Some(t) = &alert_type {
        check_alert_type(&ctx, &scope, t).await?;
    }
    let page = PageRequest::new(p.limit, p.offset)?;
    let alerts = ctx
        .app
        .list_alerts(&scope.actor, scope.project.id, p.resolved, alert_type, severity, page)
        .await?;
    Ok(Json(alerts))
}

/// A type filter names a built-in type or one the project has seen; anything else is a typo,
/// answered with a 422 rather than an empty list.
async fn check_alert_type(ctx: &HttpState, scope: &Scoped, alert_type: &str) -> ApiResult<()> {
    if AlertKind::parse(alert_type).is_some() {
        return Ok(());
    }
    let well_formed = alert_type.len() <= 40 && alert_type.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if well_formed {
        let seen = ctx
            .app
            .list_alerts(
                &scope.actor,
                scope.project.id,
                None,
                Some(alert_type.to_string()),
                None,
                PageRequest::new(Some(1), None)?,
            )
            .await?;
        if seen.total > 0 {
            return Ok(());
        }
    }
    Err(invalid_param(
        "type",
        format!(
            "unknown alert type '{alert_type}' (expected one of: {}, or a type raised in project {})",
            AlertKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            scope.project.slug
        ),
    ))
}

#[utoipa::path(get, path = "/api/alerts/{id}", operation_id = "getAlert", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), NotFound))]
pub async fn get(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(ctx.app.get_alert(&actor, id).await?))
}

#[utoipa::path(post, path = "/api/alerts/{id}/resolve", operation_id = "resolveAlert", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), NotFound, Conflict))]
pub async fn resolve(Caller(actor): Caller, State(ctx): State<HttpState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(ctx.app.resolve_alert(&actor, id).await?))
}
