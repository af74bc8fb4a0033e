//! `/metrics` in Prometheus' text format: request counts and latency, kept in memory, and the
//! squad's state, read from the database at scrape time, and the roles this replica holds.

use super::error::ApiResult;
use super::HttpState;
use crate::app::queries::MetricsSnapshot;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use std::time::{Duration, Instant};

/// Request metrics, one set per server.
#[derive(Clone)]
pub struct RequestMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl RequestMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("mc_http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("mc_http_request_duration_seconds", "HTTP request latency by route and method")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["route", "method"],
        )
        .expect("valid metric");
        registry.register(Box::new(requests.clone())).expect("unique metric");
        registry.register(Box::new(latency.clone())).expect("unique metric");
        RequestMetrics {
            registry,
            requests,
            latency,
        }
    }
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts every request under its route template (`/api/tasks/{id}`), so ids do not explode
/// the label space; paths no route serves count as `unmatched` (the layer wraps the fallback).
pub async fn track(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .with_label_values(&[&route, &method])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[&route, &method, response.status().as_str()])
        .inc();
    response
}

#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<HttpState>) -> ApiResult<Response> {
    let registry = Registry::new();
    // Prometheus scrapes this to see outages too: without the database it still answers, with
    // the request metrics and `mc_database_up 0`.
    let snapshot = match tokio::time::timeout(Duration::from_secs(2), state.app.metrics_snapshot()).await {
        Ok(Ok(snapshot)) => Some(snapshot),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "metrics: the database did not answer; serving the request metrics only");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: the database timed out; serving the request metrics only");
            None
        }
    };
    let up = IntGauge::new("mc_database_up", "1 when the database answered this scrape, 0 when it did not").expect("valid metric");
    registry.register(Box::new(up.clone())).expect("unique metric");
    up.set(i64::from(snapshot.is_some()));
    role_metrics(&registry, &state.status.roles);
    if let Some(snapshot) = snapshot {
        squad_metrics(&registry, &snapshot);
    }
    let mut families = registry.gather();
    families.extend(state.metrics.registry.gather());
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    encoder
        .encode(&families, &mut body)
        .map_err(|e| crate::app::AppError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, encoder.format_type().to_string())], body).into_response())
}

/// The roles this replica holds, from memory (so they are there without the database too).
fn role_metrics(registry: &Registry, roles: &crate::app::leadership::Roles) {
    let gauge = |name: &str, help: &str, labels: &[&str]| {
        let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
        registry.register(Box::new(g.clone())).expect("unique metric");
        g
    };
    let active = gauge(
        "mc_role_active",
        "1 when this replica holds the role now (poller, dispatcher, scheduler)",
        &["role"],
    );
    let state = gauge(
        "mc_role_state",
        "The state of each role on this replica (1 for the current one)",
        &["role", "state"],
    );
    let since = gauge("mc_role_since_seconds", "Unix time since when the role is in its state", &["role"]);
    for r in roles.report() {
        let role = r.role.as_str();
        active
            .with_label_values(&[role])
            .set(i64::from(r.state == crate::domain::roles::RoleState::Active));
        state.with_label_values(&[role, r.state.as_str()]).set(1);
        since.with_label_values(&[role]).set(r.since.timestamp());
    }
}

/// The squad's state, from the database.
fn squad_metrics(registry: &Registry, snapshot: &MetricsSnapshot) {
    let gauge = |name: &str, help: &str, labels: &[&str]| {
        let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
        registry.register(Box::new(g.clone())).expect("unique metric");
        g
    };
    let agents = gauge("mc_agents", "Agents by project and status", &["project", "status"]);
    for c in &snapshot.agents_by_status {
        agents.with_label_values(&[&c.project, &c.label]).set(c.count);
    }
    let stale = gauge("mc_agents_stale", "Active agents without a recent heartbeat", &["project"]);
    for c in &snapshot.stale_agents {
        stale.with_label_values(&[&c.project]).set(c.count);
    }
    let tasks = gauge("mc_tasks", "Tasks by project and status", &["project", "status"]);
    for c in &snapshot.tasks_by_status {
        tasks.with_label_values(&[&c.project, &c.label]).set(c.count);
    }
    let spend = GaugeVec::new(
        Opts::new("mc_spend_today_usd", "Dollars spent today (UTC) per project"),
        &["project"],
    )
    .expect("valid metric");
    registry.register(Box::new(spend.clone())).expect("unique metric");
    for c in &snapshot.spend_today_micros {
        spend.with_label_values(&[&c.project]).set(c.count as f64 / 1_000_000.0);
    }
    let approvals = gauge("mc_approvals_pending", "Approvals waiting for a decision", &["project"]);
    for c in &snapshot.pending_approvals {
        approvals.with_label_values(&[&c.project]).set(c.count);
    }
    let outbox = gauge("mc_outbox_depth", "Outbound Telegram messages not yet delivered", &["status"]);
    for status in ["pending", "sending", "failed"] {
        let count = snapshot.outbox_depth.iter().find(|c| c.label == status).map_or(0, |c| c.count);
        outbox.with_label_values(&[status]).set(count);
    }
}
