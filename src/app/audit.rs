//! The audit log's export: the date range both the API and the CLI accept, and the formats.

use super::model::AuditEvent;
use super::{AppError, AppResult};
use crate::i18n::Msg;
use chrono::{DateTime, Days, NaiveDate, Utc};

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
    let date =
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| AppError::validation(field, Msg::new("err-instant").with("input", raw)))?;
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

/// The export as one JSON document.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditExport<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub count: usize,
    pub events: &'a [AuditEvent],
}

pub fn render(range: AuditRange, events: &[AuditEvent], format: ExportFormat) -> AppResult<Vec<u8>> {
    let internal = |e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("rendering the audit export: {e}"));
    match format {
        ExportFormat::Json => serde_json::to_vec(&AuditExport {
            from: range.from,
            to: range.to,
            count: events.len(),
            events,
        })
        .map_err(|e| internal(&e)),
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for event in events {
                serde_json::to_writer(&mut out, event).map_err(|e| internal(&e))?;
                out.push(b'\n');
            }
            Ok(out)
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record([
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
                ])
                .map_err(|e| internal(&e))?;
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
            writer.into_inner().map_err(|e| internal(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
