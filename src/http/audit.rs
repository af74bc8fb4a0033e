//! `/api/audit/export`: the append-only audit log for a date range.

use super::error::{ApiResult, NotFound, Unprocessable};
use super::extract::{invalid_param, requested_project, ApiQuery, Caller, Scoped};
use super::HttpState;
use crate::app::audit::{render, AuditRange, ExportFormat};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
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
    /// The project, as for every endpoint: `X-Project` or `?project=` (default `openclaw`).
    #[allow(dead_code, reason = "read as every endpoint reads it (Scoped); listed for the document")]
    project: Option<String>,
    /// `true`: every project and the installation's own events (tokens, projects), as
    /// `audit export --all-projects` gives them; not with `project`.
    all_projects: Option<bool>,
}

/// The events of the project in scope, or with `allProjects=true` of the whole installation.
#[utoipa::path(get, path = "/api/audit/export", operation_id = "exportAudit", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events in order", content_type = "application/json"), NotFound, Unprocessable))]
pub async fn export(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    mut parts: Parts,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<impl IntoResponse> {
    let range = AuditRange::parse(&p.start_date, &p.end_date)?;
    let format = ExportFormat::parse(p.format.as_deref().unwrap_or(""))?;
    let project_id = if p.all_projects.unwrap_or(false) {
        if requested_project(&parts)?.is_some() {
            return Err(invalid_param("allProjects", "send either a project or allProjects=true, not both"));
        }
        None
    } else {
        Some(Scoped::from_request_parts(&mut parts, &ctx).await?.project.id)
    };
    let events = ctx.app.audit_events(&actor, project_id, range.from, range.to, i64::MAX).await?;
    let body = render(range, &events, format)?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], body))
}
