//! Agents waiting at once, and the kill switch reaching them: N agents wait for news in a
//! long-poll heartbeat (`POST /api/agents/{id}/heartbeat?wait=`), then N agents in the MCP
//! `heartbeat` tool (`waitSeconds`, through rmcp's client), against `serve` (the release binary,
//! in its own process so its memory is its own). For each: the server's extra resident memory
//! per waiting agent, the database connections the server holds busy while they wait, how
//! other requests fare meanwhile, and the time from `POST /api/emergency/pause-squad` to each
//! agent having its `stop: true` answer (p50 / p99 / max).
//!
//!     cargo bench --bench agent_waits                           # 1,000 agents, REST then MCP
//!     BENCH_AGENTS=200 BENCH_MCP_AGENTS=100 cargo bench --bench agent_waits
//!
//! Client and server share the machine: on a small one the figures include the client's own
//! work (1,000 connections, 1,000 MCP clients). Needs a PostgreSQL at DATABASE_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); it creates and drops its own database.

mod support;

use anyhow::{bail, Context};
use futures_util::stream::{self, StreamExt};
use mission_control::app::agents::RegisterAgent;
use mission_control::app::{App, Rules, SystemClock};
use mission_control::domain::budget::SpawnLimits;
use mission_control::domain::{Actor, AgentRole};
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, percentile, BenchDb};

const ADMIN: &str = "bench-admin-token-0123456789-abcdefghij";
/// Each waiter asks for this long; the pause must end every wait long before.
const WAIT_SECS: u64 = 300;
/// The server's connections, told apart from the benchmark's own in pg_stat_activity.
const APP_NAME: &str = "mc-bench-serve";

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
    Ok(line.split_whitespace().nth(1).context("VmRSS value")?.parse()?)
}

struct Server {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(db_url: &str) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .arg("serve")
            .env("DATABASE_URL", format!("{db_url}?application_name={APP_NAME}"))
            .env("MC_HTTP__ADDR", format!("127.0.0.1:{port}"))
            .env("MC_HTTP__ADMIN_TOKEN", ADMIN)
            .env("MC_HTTP__RATE_LIMIT_PER_MINUTE", "100000")
            .env("MC_JOBS__ENABLED", "false")
            .env("MC_LOG__LEVEL", "warn")
            .env_remove("TELEGRAM_BOT_TOKEN")
            .stdout(Stdio::null())
            .spawn()
            .context("starting serve")?;
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder().pool_max_idle_per_host(2_000).build()?,
        };
        let started = Instant::now();
        while server.http.get(format!("{}/health", server.url)).send().await.is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("serve did not come up");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    fn rss_kib(&self) -> anyhow::Result<u64> {
        rss_kib(self.child.id())
    }

    async fn post(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let response = self.http.post(format!("{}{path}", self.url)).bearer_auth(token).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    /// `mc_agents_waiting` from /metrics.
    async fn waiting(&self) -> anyhow::Result<u64> {
        let text = self.http.get(format!("{}/metrics", self.url)).send().await?.text().await?;
        text.lines()
            .find_map(|l| l.strip_prefix("mc_agents_waiting "))
            .context("no mc_agents_waiting")?
            .trim()
            .parse()
            .context("mc_agents_waiting")
    }

    async fn until_waiting(&self, n: usize) -> anyhow::Result<Duration> {
        let started = Instant::now();
        loop {
            if self.waiting().await? as usize >= n {
                return Ok(started.elapsed());
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("only {} of {n} agents waiting after 2 minutes", self.waiting().await?);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stop(mut self) {
        // SIGTERM: the graceful shutdown.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// The server's database connections by state (busy = anything but idle).
async fn connections(pool: &PgPool) -> anyhow::Result<(i64, i64)> {
    let (open, busy): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity WHERE application_name = $1")
            .bind(APP_NAME)
            .fetch_one(pool)
            .await?;
    Ok((open, busy))
}

struct Agent {
    id: String,
    token: String,
}

struct Phase {
    name: &'static str,
    agents: usize,
    ready_s: f64,
    rss_before_mib: f64,
    rss_waiting_mib: f64,
    per_agent_kib: f64,
    db_open: i64,
    db_busy_max: i64,
    other_request_ms: f64,
    pause_request_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    stopped: usize,
}

/// Measures one way of waiting: `waiters` start every agent's waiting call (each resolves to
/// the instant its answer arrived and whether it said stop), then the squad is paused.
async fn phase<F>(
    name: &'static str,
    server: &Server,
    pool: &PgPool,
    agents: &[Agent],
    waiters: impl Fn(&Agent) -> F,
) -> anyhow::Result<Phase>
where
    F: std::future::Future<Output = anyhow::Result<(Instant, bool)>> + Send + 'static,
{
    // Nothing left to tell the agents (else their waits would answer at once), and a server
    // warmed by as many heartbeats at once as there will be waiters: the baseline holds the
    // memory a burst of their first reads takes, so what grows after it is the waiting itself.
    stream::iter(agents)
        .map(|a| async move { server.post(&format!("/api/agents/{}/heartbeat", a.id), &a.token).await })
        .buffer_unordered(agents.len().max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_kib()?;

    let started = Instant::now();
    let handles: Vec<_> = agents.iter().map(|a| tokio::spawn(waiters(a))).collect();
    server.until_waiting(agents.len()).await?;
    let ready_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_waiting = server.rss_kib()?;
    let mut db_busy_max = 0;
    let mut db_open = 0;
    for _ in 0..10 {
        let (open, busy) = connections(pool).await?;
        db_open = db_open.max(open);
        db_busy_max = db_busy_max.max(busy);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Another request while they all wait.
    let other = Instant::now();
    let list = server
        .http
        .get(format!("{}/api/agents?limit=200", server.url))
        .bearer_auth(ADMIN)
        .send()
        .await?;
    anyhow::ensure!(list.status().is_success(), "listing agents while they wait: {}", list.status());
    let other_request_ms = other.elapsed().as_secs_f64() * 1000.0;

    let paused = Instant::now();
    server.post("/api/emergency/pause-squad", ADMIN).await?;
    let pause_request_ms = paused.elapsed().as_secs_f64() * 1000.0;
    let mut latencies = Vec::with_capacity(handles.len());
    let mut stopped = 0;
    for handle in handles {
        let (at, stop) = handle.await??;
        latencies.push(at.saturating_duration_since(paused).as_secs_f64() * 1000.0);
        stopped += usize::from(stop);
    }
    latencies.sort_by(f64::total_cmp);
    server.post("/api/emergency/resume-squad", ADMIN).await?;
    Ok(Phase {
        name,
        agents: agents.len(),
        ready_s,
        rss_before_mib: rss_before as f64 / 1024.0,
        rss_waiting_mib: rss_waiting as f64 / 1024.0,
        per_agent_kib: (rss_waiting as f64 - rss_before as f64) / agents.len() as f64,
        db_open,
        db_busy_max,
        other_request_ms,
        pause_request_ms,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: latencies.last().copied().unwrap_or(f64::NAN),
        stopped,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = env_or("BENCH_AGENTS", 1000);
    let n_mcp: usize = env_or("BENCH_MCP_AGENTS", n).min(n);
    let db = BenchDb::create("waits", 10).await?;
    let (db_url, pool) = (db.url.clone(), db.pool.clone());
    let rules = Rules {
        spawn: SpawnLimits {
            max_active_agents: n + 100,
            ..SpawnLimits::default()
        },
        ..Rules::default()
    };
    let app = App::new(pool.clone(), Arc::new(SystemClock), rules);
    app.seed().await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    println!("registering {n} agents");
    let mut agents = Vec::with_capacity(n);
    for i in 0..n {
        let registration = app
            .register_agent(
                &system,
                project.id,
                RegisterAgent {
                    name: format!("Waiter{i:04}"),
                    role: AgentRole::Specialist,
                    allowed_task_types: vec![],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: true,
                },
            )
            .await?;
        agents.push(Agent {
            id: registration.agent.id.to_string(),
            token: registration.token.context("a token")?,
        });
    }

    let server = Server::start(&db_url).await?;
    let rest_client = reqwest::Client::builder().pool_max_idle_per_host(2 * n).build()?;
    let url = server.url.clone();
    let rest = phase("REST `heartbeat?wait=`", &server, &pool, &agents, |a| {
        let (client, url, id, token) = (rest_client.clone(), url.clone(), a.id.clone(), a.token.clone());
        async move {
            let response = client
                .post(format!("{url}/api/agents/{id}/heartbeat?wait={WAIT_SECS}"))
                .bearer_auth(token)
                .send()
                .await?;
            let body: Value = response.json().await?;
            Ok((Instant::now(), body["stop"] == true))
        }
    })
    .await?;
    println!("REST phase done");

    let mcp = phase("MCP `heartbeat` (waitSeconds)", &server, &pool, &agents[..n_mcp], |a| {
        let (url, token) = (url.clone(), a.token.clone());
        async move {
            let config = StreamableHttpClientTransportConfig::with_uri(format!("{url}/mcp")).auth_header(token);
            let client = ClientConfig::default()
                .serve(StreamableHttpClientTransport::from_config(config))
                .await?;
            let args = json!({ "waitSeconds": WAIT_SECS }).as_object().cloned().unwrap_or_default();
            let result = client
                .call_tool(CallToolRequestParams::new("heartbeat").with_arguments(args))
                .await?;
            let at = Instant::now();
            let stop = result.structured_content.as_ref().is_some_and(|s| s["stop"] == true);
            let _ = client.cancel().await;
            Ok((at, stop))
        }
    })
    .await?;

    println!();
    println!(
        "{n} agents waiting (REST), {n_mcp} (MCP), each asking to wait {WAIT_SECS} s; serve's pool: 10 connections; \
         server and client on the same {}-core machine",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!();
    println!("| waiting in | agents | all waiting after | serve RSS before → waiting | extra RSS per waiting agent | DB connections open / busy while waiting | another request meanwhile | pause-squad request | pause → agent told p50 | p99 | max | told stop |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in [&rest, &mcp] {
        println!(
            "| {} | {} | {:.1} s | {:.1} → {:.1} MiB | {:.1} KiB | {} / {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {}/{} |",
            p.name,
            p.agents,
            p.ready_s,
            p.rss_before_mib,
            p.rss_waiting_mib,
            p.per_agent_kib,
            p.db_open,
            p.db_busy_max,
            p.other_request_ms,
            p.pause_request_ms,
            p.p50_ms,
            p.p99_ms,
            p.max_ms,
            p.stopped,
            p.agents
        );
    }

    server.stop();
    db.drop().await?;
    anyhow::ensure!(
        rest.stopped == rest.agents && mcp.stopped == mcp.agents,
        "every waiting agent must be told to stop"
    );
    Ok(())
}
