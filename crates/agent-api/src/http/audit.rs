//! `/api/audit/export`: the append-only audit log for a date range, streamed page by page.

use super::error::{ApiResult, ErrorBody};
use super::extract::{invalid_param, requested_project, ApiQuery, Caller, Scoped};
use super::HttpState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use mc_core::app::audit::{AuditExport, AuditRange, ExportFormat, Position, EXPORT_CHUNK_ROWS, EXPORT_MAX_ROWS};
use mc_core::app::App;
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
    /// At most this many events (default and maximum 10000). When more match, the answer's
    /// `X-Next-After` header (and `nextAfter` in JSON) gives the id to send as `after`.
    #[param(schema_with = super::input_schemas::export_limit)]
    limit: Option<i64>,
    /// The id of the last event of the previous page: this page starts after it.
    after: Option<i64>,
}

/// The events of the project in scope, or with `allProjects=true` of the whole installation,
/// oldest first, streamed as they are read: at most `limit` (≤ 10000) per answer; the next page
/// starts `after` the id in `X-Next-After`.
#[utoipa::path(get, path = "/api/audit/export", operation_id = "exportAudit", tag = "audit", params(ExportParams),
    responses((status = 200, description = "The events in order; `X-Next-After` when more follow", content_type = "application/json",
        headers(("X-Next-After" = i64, description = "The id to send as `after` for the next page, when there is one"))),
        (status = 422, body = ErrorBody)))]
pub async fn export(
    Caller(actor): Caller,
    State(ctx): State<HttpState>,
    mut parts: Parts,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
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
    let limit = p.limit.unwrap_or(EXPORT_MAX_ROWS);
    let export = ctx.app.plan_audit_export(&actor, project_id, range, p.after, limit).await?;
    let head = format.head(range)?;
    let next_after = export.next_after;
    let mut response = Body::from_stream(stream(ctx.app.clone(), export, format, head)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(format.content_type()));
    if let Some(id) = next_after {
        headers.insert("x-next-after", id.into());
    }
    Ok(response)
}

/// Where a streamed export is.
struct Streaming {
    app: App,
    export: AuditExport,
    format: ExportFormat,
    head: Option<Vec<u8>>,
    after: Option<Position>,
    sent: i64,
    done: bool,
}

/// The export's bytes: its head, its events a chunk at a time (never the whole page in memory),
/// its tail. A failure after the head has gone out ends the body early (the client sees a
/// truncated document) and is logged.
fn stream(
    app: App,
    export: AuditExport,
    format: ExportFormat,
    head: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let state = Streaming {
        app,
        export,
        format,
        head: Some(head),
        after: None,
        sent: 0,
        done: false,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        if let Some(head) = s.head.take() {
            return Some((Ok(Bytes::from(head)), s));
        }
        let room = (s.export.limit - s.sent).min(EXPORT_CHUNK_ROWS);
        let events = match room > 0 {
            true => match s.app.audit_export_chunk(&s.export, s.after, room).await {
                Ok(events) => events,
                Err(err) => {
                    tracing::error!(error = %err, "audit export: reading the events failed; the answer is cut short");
                    s.done = true;
                    return Some((Err(std::io::Error::other("the audit export failed")), s));
                }
            },
            false => Vec::new(),
        };
        if events.is_empty() {
            s.done = true;
            let tail = s.format.tail(s.sent, s.export.next_after);
            return Some((Ok(Bytes::from(tail)), s));
        }
        let rows = s.format.rows(&events, s.sent == 0);
        s.sent += events.len() as i64;
        s.after = events.last().map(|e| (e.occurred_at, e.id));
        match rows {
            Ok(bytes) => Some((Ok(Bytes::from(bytes)), s)),
            Err(err) => {
                tracing::error!(error = %err, "audit export: rendering failed; the answer is cut short");
                s.done = true;
                Some((Err(std::io::Error::other("the audit export failed")), s))
            }
        }
    })
}
