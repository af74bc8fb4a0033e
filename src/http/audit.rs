//! `/api/audit/export`: the append-only audit log for a date range.

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Caller};
use super::HttpState;
use crate::app::audit::{render, AuditRange, ExportFormat};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `YYYY-MM-DD` (from midnight UTC) or an RFC 3339 time.
    start_date: String,
    /// `YYYY-MM-DD` (through the end of that day) or an RFC 3339 time (exclusive).
    end_date: String,
    /// `json` (default), `jsonl` or `csv`.
    format: Option<String>,
    /// A project slug; without it, the whole installation.
    project: Option<String>,
}

#[utoipa::path(get, path = "/api/audit/export", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events in order", content_type = "application/json"), (status = 422, body = ErrorBody)))]
pub async fn export(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<impl IntoResponse> {
    let range = AuditRange::parse(&p.start_date, &p.end_date)?;
    let format = ExportFormat::parse(p.format.as_deref().unwrap_or(""))?;
    let project_id = match p.project.as_deref() {
        Some(slug) => Some(ctx.app.project_by_slug(slug).await?.id),
        None => None,
    };
    let events = ctx.app.audit_events(&actor, project_id, range.from, range.to, i64::MAX).await?;
    let body = render(range, &events, format)?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], body))
}
