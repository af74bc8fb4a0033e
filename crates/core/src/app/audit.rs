//! The audit log's export: the date range both the API and the CLI accept, and the formats.

use super::{App, AppError, AppResult};
use crate::model::AuditEvent;
use crate::storage;
use chrono::{DateTime, Days, NaiveDate, Utc};
use mc_domain::i18n::Msg;
use mc_domain::{Actor, Right};
use uuid::Uuid;

/// The most events one export answers; more are fetched page by page (`after`).
pub const EXPORT_MAX_ROWS: i64 = 10_000;
/// Events are read from the database this many at a time while an export streams.
pub const EXPORT_CHUNK_ROWS: i64 = 500;

/// An event's place in the export's order (time, then id).
pub type Position = (DateTime<Utc>, i64);

/// One page of an export, checked and bounded before anything is sent: its events are those
/// after `start` up to and including `end` (at most `limit`), and `next_after` is where the
/// next page starts when there is one.
#[derive(Debug, Clone)]
pub struct AuditExport {
    pub range: AuditRange,
    pub limit: i64,
    /// The id of this page's last event when more follow: send it as `after` for the next page.
    pub next_after: Option<i64>,
    project_id: Option<Uuid>,
    start: Option<Position>,
    end: Option<Position>,
}

impl App {
    /// Plans one page of the audit export (operators; never agents): the project's events, or
    /// with `project_id` None everyone's, in [from, to), after event `after`, at most `limit`
    /// (1..=EXPORT_MAX_ROWS).
    pub async fn plan_audit_export(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        range: AuditRange,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<AuditExport> {
        if matches!(actor, Actor::Agent { .. }) {
            return Err(AppError::forbidden(Msg::new("err-agents-cannot-export")));
        }
        super::require(actor, Right::Read)?;
        if !(1..=EXPORT_MAX_ROWS).contains(&limit) {
            return Err(AppError::validation(
                "limit",
                Msg::new("err-between").with("min", 1).with("max", EXPORT_MAX_ROWS),
            ));
        }
        let mut conn = self.pool.acquire().await?;
        let start = match after {
            Some(id) => Some(
                storage::audit::position(&mut conn, id)
                    .await?
                    .ok_or_else(|| AppError::validation("after", Msg::new("err-audit-cursor").with("id", id)))?,
            ),
            None => None,
        };
        let (end, more) = storage::audit::page_end(&mut conn, project_id, range.from, range.to, start, limit).await?;
        Ok(AuditExport {
            range,
            limit,
            next_after: more.then(|| end.map(|(_, id)| id)).flatten(),
            project_id,
            start,
            end,
        })
    }

    /// The next events of a planned export after `after` (the page's start when None), at most
    /// `max`; none once past the page's end.
    pub async fn audit_export_chunk(&self, export: &AuditExport, after: Option<Position>, max: i64) -> AppResult<Vec<AuditEvent>> {
        let Some(end) = export.end else {
            return Ok(Vec::new());
        };
        let mut conn = self.pool.acquire().await?;
        Ok(storage::audit::chunk(
            &mut conn,
            export.project_id,
            export.range.from,
            export.range.to,
            after.or(export.start),
            end,
            max,
        )
        .await?)
    }
}

/// A half-open range [from, to) of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl AuditRange {
    /// Each end is an RFC 3339 instant or a UTC date; a date as the end includes that whole
    /// day, so `2026-02-01..2026-02-02` covers two days.
    pub fn parse(start: &str, end: &str) -> AppResult<Self> {
        let from = parse_instant("startDate", start, false)?;
        let to = parse_instant("endDate", end, true)?;
        if to <= from {
            return Err(AppError::validation("endDate", Msg::new("err-end-before-start")));
        }
        Ok(AuditRange { from, to })
    }
}

fn parse_instant(field: &'static str, raw: &str, end_of_day: bool) -> AppResult<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AppError::validation(field, Msg::new("err-instant-required")));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(raw, mc_domain::i18n::DATE_FORMAT)
        .map_err(|_| AppError::validation(field, Msg::new("err-instant").with("input", raw)))?;
    let date = if end_of_day {
        date.checked_add_days(Days::new(1))
            .ok_or_else(|| AppError::validation(field, Msg::new("err-out-of-range")))?
    } else {
        date
    };
    Ok(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One JSON document: `{"from","to","count","events":[...]}`.
    #[default]
    Json,
    /// One event per line.
    Jsonl,
    Csv,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "json" => Ok(ExportFormat::Json),
            "jsonl" | "ndjson" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(AppError::validation("format", Msg::new("err-export-format").with("input", other))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Jsonl => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

fn internal(e: &dyn std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("rendering the audit export: {e}"))
}

const CSV_HEADER: [&str; 10] = [
    "id",
    "occurredAt",
    "projectId",
    "actorKind",
    "actorId",
    "actorName",
    "action",
    "entityKind",
    "entityId",
    "data",
];

impl ExportFormat {
    /// What a streamed export starts with.
    pub fn head(self, range: AuditRange) -> AppResult<Vec<u8>> {
        match self {
            ExportFormat::Json => {
                let from = serde_json::to_string(&range.from).map_err(|e| internal(&e))?;
                let to = serde_json::to_string(&range.to).map_err(|e| internal(&e))?;
                Ok(format!("{{\"from\":{from},\"to\":{to},\"events\":[").into_bytes())
            }
            ExportFormat::Jsonl => Ok(Vec::new()),
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                writer.write_record(CSV_HEADER).map_err(|e| internal(&e))?;
                writer.into_inner().map_err(|e| internal(&e))
            }
        }
    }

    /// Events of a streamed export; `first` when none were written before.
    pub fn rows(self, events: &[AuditEvent], first: bool) -> AppResult<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            ExportFormat::Json => {
                for (i, event) in events.iter().enumerate() {
                    if !(first && i == 0) {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut out, event).map_err(|e| internal(&e))?;
                }
            }
            ExportFormat::Jsonl => {
                for event in events {
                    serde_json::to_writer(&mut out, event).map_err(|e| internal(&e))?;
                    out.push(b'\n');
                }
            }
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                for e in events {
                    writer
                        .write_record([
                            e.id.to_string(),
                            e.occurred_at.to_rfc3339(),
                            e.project_id.map(|p| p.to_string()).unwrap_or_default(),
                            e.actor_kind.to_string(),
                            e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
                            e.actor_name.clone(),
                            e.action.clone(),
                            e.entity_kind.clone(),
                            e.entity_id.clone(),
                            e.data.to_string(),
                        ])
                        .map_err(|e| internal(&e))?;
                }
                out = writer.into_inner().map_err(|e| internal(&e))?;
            }
        }
        Ok(out)
    }

    /// What a streamed export ends with: how many events it held and where the next page starts.
    pub fn tail(self, count: i64, next_after: Option<i64>) -> Vec<u8> {
        match self {
            ExportFormat::Json => {
                let next = next_after.map_or_else(|| "null".to_string(), |id| id.to_string());
                format!("],\"count\":{count},\"nextAfter\":{next}}}").into_bytes()
            }
            ExportFormat::Jsonl | ExportFormat::Csv => Vec::new(),
        }
    }
}

/// A whole export in memory (the CLI's, which writes a file): the same document the API
/// streams.
pub fn render(range: AuditRange, events: &[AuditEvent], format: ExportFormat) -> AppResult<Vec<u8>> {
    let mut out = format.head(range)?;
    out.extend(format.rows(events, true)?);
    out.extend(format.tail(events.len() as i64, None));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_pieces_make_one_document() {
        let range = AuditRange::parse("2026-02-01", "2026-02-01").unwrap();
        let event = |id| AuditEvent {
            id,
            project_id: None,
            occurred_at: range.from,
            actor_kind: mc_domain::ActorKind::System,
            actor_id: None,
            actor_name: "cli".into(),
            action: "test.done".into(),
            entity_kind: "test".into(),
            entity_id: id.to_string(),
            data: serde_json::json!({ "a": "b,\"c\"" }),
        };
        let format = ExportFormat::Json;
        let mut doc = format.head(range).unwrap();
        doc.extend(format.rows(&[event(1), event(2)], true).unwrap());
        doc.extend(format.rows(&[event(3)], false).unwrap());
        doc.extend(format.tail(3, Some(3)));
        let parsed: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(parsed["count"], 3);
        assert_eq!(parsed["nextAfter"], 3);
        assert_eq!(parsed["events"].as_array().unwrap().len(), 3);
        let empty = render(range, &[], format).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&empty).unwrap();
        assert_eq!(parsed["events"], serde_json::json!([]));
        let csv = render(range, &[event(1)], ExportFormat::Csv).unwrap();
        assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 2);
    }

    #[test]
    fn a_date_as_the_end_includes_the_whole_day() {
        let range = AuditRange::parse("2026-02-01", "2026-02-02").unwrap();
        assert_eq!(range.from.to_rfc3339(), "2026-02-01T00:00:00+00:00");
        assert_eq!(range.to.to_rfc3339(), "2026-02-03T00:00:00+00:00");
    }

    #[test]
    fn instants_are_taken_as_given_and_bad_ranges_refused() {
        let range = AuditRange::parse("2026-02-01T10:00:00Z", "2026-02-01T12:00:00+01:00").unwrap();
        assert_eq!(range.to - range.from, chrono::Duration::hours(1));
        // The same instant written in two zones is an empty range.
        assert!(AuditRange::parse("2026-02-01T10:00:00Z", "2026-02-01T11:00:00+01:00").is_err());
        assert!(matches!(
            AuditRange::parse("2026-02-03", "2026-02-01"),
            Err(AppError::Validation { field: "endDate", .. })
        ));
        assert!(matches!(
            AuditRange::parse("yesterday", "2026-02-01"),
            Err(AppError::Validation { field: "startDate", .. })
        ));
        assert!(matches!(
            AuditRange::parse("2026-02-01", ""),
            Err(AppError::Validation { field: "endDate", .. })
        ));
    }
}
