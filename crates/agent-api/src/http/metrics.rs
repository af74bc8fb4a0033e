//! `/metrics` in Prometheus' text format: request counts and latency, kept in memory, the
//! squad's state, read from the database at most once per [`SQUAD_TTL`] whatever the scrape
//! rate, and the roles this replica holds. Optionally behind `http.metrics_token`.

use super::error::ApiResult;
use super::HttpState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mc_core::app::queries::MetricsSnapshot;
use prometheus::{Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use sha2::Digest;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the squad's numbers are served from memory before the next scrape reads them again.
pub const SQUAD_TTL: Duration = Duration::from_secs(1);

/// When the squad's numbers were last read, and what the read gave (`None`: no answer).
type SquadRead = (Instant, Option<Arc<MetricsSnapshot>>);

/// Request metrics, one set per server.
#[derive(Clone)]
pub struct RequestMetrics {
    /// The squad's numbers as last read, and when: a flood of scrapes costs the database one
    /// read per [`SQUAD_TTL`].
    squad: Arc<tokio::sync::Mutex<Option<SquadRead>>>,
    squad_reads: prometheus::IntCounter,
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    auth_refused: IntCounterVec,
    mcp_tool_calls: IntCounterVec,
    mcp_sessions: IntGauge,
    connections: IntGauge,
}

/// How an MCP tool call ended, for `mc_mcp_tool_calls_total`.
#[derive(Debug, Clone, Copy)]
pub enum ToolOutcome {
    Ok,
    /// Refused as the API refuses (a 4xx): bad arguments, no right, a conflict.
    Refused,
    /// Failed on our side (a 5xx).
    Failed,
}

/// Why a request's credentials were refused, for `mc_http_auth_refused_total`.
#[derive(Debug, Clone, Copy)]
pub enum AuthRefusal {
    /// The token was checked and did not authenticate (unknown, revoked or expired).
    Unauthenticated,
    /// The client's address was over its failures: refused before any check.
    Throttled,
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
        let auth_refused = IntCounterVec::new(
            Opts::new(
                "mc_http_auth_refused_total",
                "Requests whose bearer token was refused: unauthenticated (checked) or throttled (not checked)",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let squad_reads = prometheus::IntCounter::new(
            "mc_metrics_squad_reads_total",
            "Reads of the squad's numbers from the database for /metrics (at most one a second)",
        )
        .expect("valid metric");
        let mcp_tool_calls = IntCounterVec::new(
            Opts::new(
                "mc_mcp_tool_calls_total",
                "MCP tool calls by tool and outcome (ok, refused, failed)",
            ),
            &["tool", "outcome"],
        )
        .expect("valid metric");
        let mcp_sessions = IntGauge::new("mc_mcp_sessions", "MCP sessions open on this replica").expect("valid metric");
        let connections =
            IntGauge::new("mc_http_connections", "HTTP connections open (at most http.max_connections)").expect("valid metric");
        registry.register(Box::new(connections.clone())).expect("unique metric");
        registry.register(Box::new(mcp_tool_calls.clone())).expect("unique metric");
        registry.register(Box::new(mcp_sessions.clone())).expect("unique metric");
        registry.register(Box::new(squad_reads.clone())).expect("unique metric");
        registry.register(Box::new(requests.clone())).expect("unique metric");
        registry.register(Box::new(latency.clone())).expect("unique metric");
        registry.register(Box::new(auth_refused.clone())).expect("unique metric");
        RequestMetrics {
            squad: Arc::default(),
            squad_reads,
            registry,
            requests,
            latency,
            auth_refused,
            mcp_tool_calls,
            mcp_sessions,
            connections,
        }
    }

    /// Counts an MCP tool call (the tool names are the server's own: a fixed set).
    pub fn count_tool_call(&self, tool: &'static str, outcome: ToolOutcome) {
        let outcome = match outcome {
            ToolOutcome::Ok => "ok",
            ToolOutcome::Refused => "refused",
            ToolOutcome::Failed => "failed",
        };
        self.mcp_tool_calls.with_label_values(&[tool, outcome]).inc();
    }

    /// The gauge of open connections, which the listener keeps.
    pub fn connections(&self) -> IntGauge {
        self.connections.clone()
    }

    /// The gauge of open MCP sessions, which the session registry keeps.
    pub fn mcp_sessions(&self) -> IntGauge {
        self.mcp_sessions.clone()
    }

    /// The squad's numbers: read from the database at most once per [`SQUAD_TTL`] (scrapes at
    /// the same moment wait for one read); `None` when the database did not answer.
    pub async fn squad(&self, app: &mc_core::app::App) -> Option<Arc<MetricsSnapshot>> {
        let mut cached = self.squad.lock().await;
        if let Some((at, snapshot)) = cached.as_ref() {
            if at.elapsed() < SQUAD_TTL {
                return snapshot.clone();
            }
        }
        self.squad_reads.inc();
        let snapshot = match tokio::time::timeout(Duration::from_secs(2), app.metrics_snapshot()).await {
            Ok(Ok(snapshot)) => Some(Arc::new(snapshot)),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "metrics: the database did not answer; serving the request metrics only");
                None
            }
            Err(_) => {
                tracing::warn!("metrics: the database timed out; serving the request metrics only");
                None
            }
        };
        *cached = Some((Instant::now(), snapshot.clone()));
        snapshot
    }

    pub fn count_auth_refusal(&self, why: AuthRefusal) {
        let reason = match why {
            AuthRefusal::Unauthenticated => "unauthenticated",
            AuthRefusal::Throttled => "throttled",
        };
        self.auth_refused.with_label_values(&[reason]).inc();
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
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .with_label_values(&[route.as_str(), method])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[route.as_str(), method, response.status().as_str()])
        .inc();
    response
}

/// The method as a label from a fixed set: a client inventing methods (`FOO`, `X-1`, …) must
/// not grow the label space without bound.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[utoipa::path(get, path = "/metrics", operation_id = "getMetrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<HttpState>, headers: axum::http::HeaderMap) -> ApiResult<Response> {
    let wanted = &state.settings.http.metrics_token;
    if !wanted.is_empty() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared as digests: the time taken says nothing about the token.
        let digest = |t: &str| -> [u8; 32] { sha2::Sha256::digest(t.as_bytes()).into() };
        if digest(given.trim()) != digest(wanted) {
            return Err(super::error::ApiError::unauthenticated(
                "/metrics needs Authorization: Bearer <http.metrics_token>",
            ));
        }
    }
    let registry = Registry::new();
    // Prometheus scrapes this to see outages too: without the database it still answers, with
    // the request metrics and `mc_database_up 0`.
    let snapshot = state.metrics.squad(&state.app).await;
    let up = IntGauge::new(
        "mc_database_up",
        "1 when the database answered the squad's last read (at most a second old), 0 when it did not",
    )
    .expect("valid metric");
    registry.register(Box::new(up.clone())).expect("unique metric");
    up.set(i64::from(snapshot.is_some()));
    let waiting = IntGauge::new(
        "mc_agents_waiting",
        "Agents with a call waiting for news on this replica (long-poll heartbeats, MCP waits)",
    )
    .expect("valid metric");
    registry.register(Box::new(waiting.clone())).expect("unique metric");
    waiting.set(state.app.wakes.waiting_agents() as i64);
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
        .map_err(|e| mc_core::app::AppError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, encoder.format_type().to_string())], body).into_response())
}

/// The roles this replica holds, from memory (so they are there without the database too).
fn role_metrics(registry: &Registry, roles: &mc_core::app::leadership::Roles) {
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
            .set(i64::from(r.state == mc_domain::roles::RoleState::Active));
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
    let failed = IntGauge::new(
        "mc_telegram_updates_failed_total",
        "Telegram updates the bot gave up on after retrying them (each audited as telegram.update_failed)",
    )
    .expect("valid metric");
    registry.register(Box::new(failed.clone())).expect("unique metric");
    failed.set(snapshot.failed_updates);
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn methods_are_labelled_from_a_fixed_set() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::TRACE), "other");
        assert_eq!(method_label(&Method::from_bytes(b"FOO").unwrap()), "other");
    }
}
