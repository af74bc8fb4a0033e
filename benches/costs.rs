//! Costs at scale: OTLP metrics ingest through HTTP (`POST /v1/metrics`, protobuf, cumulative
//! Claude Code exports from concurrent agents: data points per second), and `/costs month`'s
//! two summaries (by agent, by model) over a million runs of the month.
//!
//!     cargo bench --bench costs                  # 8 agents, 5 s, 1,000,000 runs
//!     BENCH_CLIENTS=4 BENCH_SECONDS=10 BENCH_RUNS=200000 cargo bench --bench costs
//!
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use mission_control::app::agents::RegisterAgent;
use mission_control::app::{App, SystemClock};
use mission_control::configuration::Settings;
use mission_control::domain::{Actor, AgentRole, BudgetPeriod, TaskType, Usd};
use mission_control::i18n::Lang;
use mission_control::startup::Application;
use mission_control::telegram::render;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use prost::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, percentile, BenchDb};
use tokio::net::TcpListener;

/// Sessions per export: each with four token series and a cost series.
const SESSIONS: usize = 25;
const POINTS_PER_EXPORT: usize = SESSIONS * 5;

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// Export number `n` of agent `agent`: every series grown since export `n - 1` (cumulative).
fn export(agent: usize, n: u64) -> Vec<u8> {
    let start = 1_765_152_000_000_000_000u64;
    let time = start + (n + 1) * 1_000_000_000;
    let point = |session: usize, kind: Option<&str>, value: f64| NumberDataPoint {
        attributes: {
            let mut a = vec![
                kv("session.id", &format!("bench-{agent}-{session}")),
                kv("model", "claude-haiku-4-5-20251001"),
            ];
            if let Some(kind) = kind {
                a.push(kv("type", kind));
            }
            a
        },
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    };
    let grown = (n + 1) as f64;
    let sum = |points: Vec<NumberDataPoint>| {
        Some(metric::Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        }))
    };
    let tokens: Vec<NumberDataPoint> = (0..SESSIONS)
        .flat_map(|s| {
            [("input", 10.0), ("output", 2.0), ("cacheRead", 100.0), ("cacheCreation", 5.0)]
                .map(|(kind, per)| point(s, Some(kind), per * grown))
        })
        .collect();
    let costs: Vec<NumberDataPoint> = (0..SESSIONS).map(|s| point(s, None, 0.0000375 * grown)).collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(opentelemetry_proto::tonic::resource::v1::Resource {
                attributes: vec![kv("service.name", "claude-code")],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    Metric {
                        name: "claude_code.token.usage".into(),
                        unit: "tokens".into(),
                        data: sum(tokens),
                        ..Default::default()
                    },
                    Metric {
                        name: "claude_code.cost.usage".into(),
                        unit: "USD".into(),
                        data: sum(costs),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients: usize = env_or("BENCH_CLIENTS", 8);
    let seconds: u64 = env_or("BENCH_SECONDS", 5);
    let runs: i64 = env_or("BENCH_RUNS", 1_000_000);
    let db = BenchDb::create("costs", (clients as u32 + 4).min(40)).await?;
    let pool = db.pool.clone();
    let settings = Settings::load_from(
        None,
        [
            ("MC_HTTP__RATE_LIMIT_PER_MINUTE".to_string(), "0".to_string()),
            ("MC_JOBS__ENABLED".to_string(), "false".to_string()),
        ],
    )?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let core = App::new(
        pool.clone(),
        Arc::new(SystemClock),
        mission_control::app::Rules::from_settings(&settings)?,
    );
    let application = Application::build(&settings, core, listener).await?;
    let url = format!("http://{}/v1/metrics", application.local_addr()?);
    let app: App = application.app.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run(async move {
        let _ = stopped.await;
    }));
    app.seed().await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let mut tokens = Vec::new();
    for i in 0..clients {
        let registration = app
            .register_agent(
                &system,
                project.id,
                RegisterAgent {
                    name: format!("Otel{i}"),
                    role: AgentRole::Specialist,
                    allowed_task_types: vec![TaskType::Ops],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: true,
                },
            )
            .await?;
        // Room for the whole benchmark's spend: caps are not what is measured.
        let big = Usd::from_dollars(100_000.0).map_err(anyhow::Error::msg)?;
        app.set_budget(&system, registration.agent.id, Some(big), Some(big)).await?;
        tokens.push(registration.token.expect("a token"));
    }

    // OTLP ingest: each client is one agent exporting its sessions' counters as fast as it can.
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut handles = Vec::new();
    for (agent, token) in tokens.into_iter().enumerate() {
        let (http, url) = (http.clone(), url.clone());
        handles.push(tokio::spawn(async move {
            let (mut exports, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let t = Instant::now();
                let sent = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/x-protobuf")
                    .body(export(agent, exports + errors))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        exports += 1;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
            }
            (exports, errors, latencies)
        }));
    }
    let (mut exports, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
    for handle in handles {
        let (e, x, l) = handle.await?;
        exports += e;
        errors += x;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM runs").fetch_one(&pool).await?;
    println!(
        "otlp ingest: {clients} agents, {exports} exports of {POINTS_PER_EXPORT} points ({errors} failed) in {elapsed:.1} s: {:.0} data points/s, export p50 {:.1} ms, p99 {:.1} ms, {recorded} runs recorded",
        (exports as usize * POINTS_PER_EXPORT) as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );

    // A million runs this month: 20 agents, 6 models (one unpriced), spread over the month so far.
    let started = Instant::now();
    sqlx::query(
        "INSERT INTO runs (id, project_id, agent_id, cost_micros, status, model, tokens, input_tokens, output_tokens, created_at, cost_source)
         SELECT gen_random_uuid(), $1, a.ids[1 + i % array_length(a.ids, 1)],
                CASE WHEN i % 6 = 5 THEN NULL ELSE 1000 + i % 5000 END, 'succeeded',
                (ARRAY['claude-sonnet-4-5','claude-opus-4-5','claude-haiku-4-5','gpt-5','gemini-2.5-pro','my-local-llama'])[1 + i % 6],
                1500, 1000, 500,
                date_trunc('month', now()) + (now() - date_trunc('month', now())) * (i::float8 / $2),
                CASE WHEN i % 6 = 5 THEN 'unpriced'::cost_source ELSE 'priced'::cost_source END
         FROM generate_series(0, $2 - 1) AS i, (SELECT array_agg(id) AS ids FROM agents WHERE project_id = $1) a",
    )
    .bind(project.id)
    .bind(runs)
    .execute(&pool)
    .await?;
    // As autovacuum leaves a table that has settled (its visibility map set).
    sqlx::query("VACUUM ANALYZE runs").execute(&pool).await?;
    println!("seeded {runs} runs in {:.1} s", started.elapsed().as_secs_f64());
    let cao = Actor::system("bench");
    let mut timings = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let (by_agent, by_model) = app.cost_summaries(&cao, project.id, BudgetPeriod::Month).await?;
        let (text, chart) = render::costs::costs(Lang::En, &project.name, &by_agent, &by_model);
        let png = mission_control::charts::bars_png(&chart)?;
        timings.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(by_agent.runs >= runs && !text.is_empty() && !png.is_empty());
    }
    timings.sort_by(f64::total_cmp);
    println!(
        "/costs month over {runs} runs (two summaries, text and chart): p50 {:.0} ms, max {:.0} ms",
        percentile(&timings, 0.5),
        timings.last().copied().unwrap_or_default()
    );

    let _ = stop.send(());
    let _ = server.await;
    drop(app);
    db.drop().await
}
