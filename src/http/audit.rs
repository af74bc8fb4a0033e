//! `/api/audit/export`: the append-only audit log for a date range.

use super::error::{ApiResult, NotFound, Unprocessable};
use super::extract::{invalid_param, requested_project, ApiQuery, Caller, Scoped};
use super::{input_schemas, HttpState};
use crate::app::audit::{render, AuditExport, AuditRange, ExportFormat};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::IntoParams;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    start_date: String,
    end_date: String,
    format: Option<String>,
    all_projects: Option<bool>,
}

/// The query of an export, for the document (written out: derived parameters with a schema of
/// their own lose `required` and their descriptions).
impl IntoParams for ExportParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let param = |name: &str, required: bool, description: &str, schema: RefOr<Schema>| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(if required { Required::True } else { Required::False })
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        vec![
            param(
                "startDate",
                true,
                "`YYYY-MM-DD` (from midnight UTC) or an RFC 3339 time.",
                input_schemas::day_or_instant(),
            ),
            param(
                "endDate",
                true,
                "`YYYY-MM-DD` (through the end of that day) or an RFC 3339 time (exclusive); after `startDate`.",
                input_schemas::day_or_instant(),
            ),
            param("format", false, "The format of the export.", input_schemas::export_format().into()),
            param(
                "project",
                false,
                "The project, as for every endpoint: `X-Project` or `?project=` (default `openclaw`); not with `allProjects=true`.",
                input_schemas::project_slug().into(),
            ),
            param(
                "allProjects",
                false,
                "`true`: every project and the installation's own events (tokens, projects), as `audit export --all-projects` gives them.",
                ObjectBuilder::new().schema_type(Type::Boolean).into(),
            ),
        ]
    }
}

/// The events of the project in scope, or with `allProjects=true` of the whole installation.
#[utoipa::path(get, path = "/api/audit/export", operation_id = "exportAudit", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events in order, in the format asked for",
        content((AuditExport = "application/json"), (String = "application/x-ndjson"), (String = "text/csv"))), NotFound, Unprocessable))]
pub async fn export(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    mut parts: Parts,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<impl IntoResponse> {
    let range = AuditRange::parse(&p.start_date, &p.end_date)?;
    // Spelled as the document lists them (the parser, shared with the CLI, is more lenient).
    let format = match p.format.as_deref() {
        None => ExportFormat::default(),
        Some(name @ ("json" | "jsonl" | "ndjson" | "csv")) => ExportFormat::parse(name)?,
        Some(other) => {
            return Err(invalid_param(
                "format",
                format!("unknown format '{other}' (expected one of: json, jsonl, ndjson, csv)"),
            ))
        }
    };
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
