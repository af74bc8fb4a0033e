//! Usage straight from an agent's telemetry (`POST /v1/metrics`, OTLP): the export's usage
//! points, each counted once (`mc_domain::costs::telemetry`), become that agent's runs — one per
//! model, with its tokens by kind and, when the export carries Claude Code's cost, that cost
//! (priced from the price table otherwise) — so budgets, summaries and the standup see them as
//! any run. One transaction: the series' marks, the runs with their budget effects, and an
//! audit event.

use super::runs::{RecordRun, RunOutcome};
use super::work::Work;
use super::{App, AppError, AppResult};
use crate::storage;
use mc_domain::costs::telemetry::{count_point, SeriesMark, UsageKind};
use mc_domain::costs::ReportedTokens;
use mc_domain::i18n::Msg;
use mc_domain::*;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// One usage data point of an export, as the adapter read it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePoint {
    /// The series' identity: the metric and every attribute (the resource's and the point's).
    pub series: String,
    pub kind: UsageKind,
    pub model: Option<String>,
    /// Cumulative temporality (else delta).
    pub cumulative: bool,
    pub start_ns: u64,
    pub time_ns: u64,
    pub value: f64,
}

/// What an export recorded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageIngested {
    pub points: usize,
    /// Points that added something (the rest were counted before, or added nothing).
    pub counted: usize,
    pub runs: Vec<RunOutcome>,
}

/// The name a run gets when the telemetry named no model.
const NO_MODEL: &str = "unknown";

#[derive(Default)]
struct ModelUsage {
    cost: Option<f64>,
    input: f64,
    output: f64,
    cache_read: f64,
    cache_write: f64,
}

impl App {
    /// Records an agent's usage points (only the agent itself sends its telemetry).
    pub async fn ingest_usage(&self, actor: &Actor, points: Vec<UsagePoint>) -> AppResult<UsageIngested> {
        let Actor::Agent {
            id: agent_id, project_id, ..
        } = actor
        else {
            return Err(AppError::forbidden(Msg::new("err-telemetry-agents-only")));
        };
        let (agent_id, project_id) = (*agent_id, *project_id);
        let mut w = Work::begin(self, actor).await?;
        let keys: Vec<String> = points.iter().map(|p| p.series.clone()).collect();
        let mut marks = storage::usage_series::lock(w.conn(), agent_id, &keys).await?;
        let mut by_model: BTreeMap<String, ModelUsage> = BTreeMap::new();
        let mut counted = 0;
        // In time order, so that two points of one series in one export count in turn.
        let mut ordered: Vec<&UsagePoint> = points.iter().collect();
        ordered.sort_by_key(|p| p.time_ns);
        let mut changed: HashMap<&str, SeriesMark> = HashMap::new();
        for p in ordered {
            let mark = SeriesMark {
                start_ns: p.start_ns,
                time_ns: p.time_ns,
                value: p.value,
            };
            let (added, kept) = count_point(marks.get(&p.series).copied(), mark, p.cumulative);
            marks.insert(p.series.clone(), kept);
            changed.insert(&p.series, kept);
            let Some(added) = added.filter(|a| *a > 0.0) else { continue };
            counted += 1;
            let usage = by_model.entry(p.model.clone().unwrap_or_else(|| NO_MODEL.into())).or_default();
            match p.kind {
                UsageKind::Cost => *usage.cost.get_or_insert(0.0) += added,
                UsageKind::InputTokens => usage.input += added,
                UsageKind::OutputTokens => usage.output += added,
                UsageKind::CacheReadTokens => usage.cache_read += added,
                UsageKind::CacheWriteTokens => usage.cache_write += added,
            }
        }
        let mut changed: Vec<(&str, SeriesMark)> = changed.into_iter().collect();
        changed.sort_by(|a, b| a.0.cmp(b.0));
        storage::usage_series::save(w.conn(), agent_id, &changed).await?;
        let mut runs = Vec::new();
        for (model, usage) in by_model {
            let tokens = |n: f64| (n > 0.0).then(|| n.round() as i64);
            let reported = ReportedTokens {
                input: tokens(usage.input),
                output: tokens(usage.output),
                cache_read: tokens(usage.cache_read),
                cache_write: tokens(usage.cache_write),
                reasoning: None,
                total: None,
            };
            let cost = usage
                .cost
                .map(|dollars| {
                    Usd::from_dollars(dollars).map_err(|_| AppError::validation("claude_code.cost.usage", Msg::new("err-telemetry-cost")))
                })
                .transpose()?;
            let no_tokens = reported == ReportedTokens::default();
            if no_tokens && cost.is_none() {
                continue;
            }
            let run = RecordRun {
                agent_id,
                task_id: None,
                cost,
                status: RunStatus::Succeeded,
                model: Some(model),
                tokens: reported,
                error: None,
            };
            runs.push(self.record_run_in(&mut w, run).await?);
        }
        let run_ids: Vec<_> = runs.iter().map(|r| r.run.id).collect();
        w.audit(
            Some(project_id),
            "usage.ingested",
            "agent",
            agent_id,
            json!({ "points": points.len(), "counted": counted, "runs": run_ids }),
        )
        .await?;
        w.commit().await?;
        Ok(UsageIngested {
            points: points.len(),
            counted,
            runs,
        })
    }
}
