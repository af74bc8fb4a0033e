//! Usage straight from Claude Code's telemetry: `POST /v1/metrics` (OTLP/HTTP, JSON and
//! protobuf) with the agent's token. Real-shaped exports (`fixtures/otlp/`: Claude Code's
//! `claude_code.cost.usage` and `claude_code.token.usage`, delta and cumulative, and the GenAI
//! conventions' `gen_ai.client.token.usage` histogram) become that agent's runs; the same
//! export sent twice counts once; a cumulative export counts only what grew.

use crate::common;

use common::http::{agent_token, assert_error, reply, rows_in, seeded, TestApi, ADMIN_TOKEN};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message;
use reqwest::StatusCode;
use sqlx::PgPool;

const DELTA_JSON: &str = include_str!("fixtures/otlp/claude_code_delta.json");
const CUMULATIVE_JSON: &str = include_str!("fixtures/otlp/claude_code_cumulative.json");
const CUMULATIVE_PB: &[u8] = include_bytes!("fixtures/otlp/claude_code_cumulative.pb");
const GEN_AI_JSON: &str = include_str!("fixtures/otlp/gen_ai_delta.json");

async fn export(api: &TestApi, token: &str, content_type: &str, body: Vec<u8>) -> common::http::Reply {
    reply(
        api.client
            .post(format!("{}/v1/metrics", api.url))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// The agent's runs: (model, cost, pricedCost, tokens, input, output, cache read, cache write).
async fn runs_of(pool: &PgPool, agent: &str) -> Vec<(String, Option<i64>, Option<i64>, i64, i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT r.model, r.cost_micros, r.priced_micros, r.tokens, r.input_tokens, r.output_tokens,
                COALESCE(r.cache_read_tokens, 0), COALESCE(r.cache_write_tokens, 0)
         FROM runs r JOIN agents a ON a.id = r.agent_id WHERE a.name = $1 ORDER BY r.model, r.created_at",
    )
    .bind(agent)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[test]
fn the_protobuf_fixture_is_the_cumulative_export_encoded() {
    let from_json: ExportMetricsServiceRequest = serde_json::from_str(CUMULATIVE_JSON).unwrap();
    let from_pb = ExportMetricsServiceRequest::decode(CUMULATIVE_PB).unwrap();
    assert_eq!(from_pb, from_json);
}

#[sqlx::test]
async fn a_claude_code_export_sent_twice_is_recorded_once_for_its_agent(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    for attempt in 0..2 {
        let sent = export(&api, &token, "application/json", DELTA_JSON.as_bytes().to_vec()).await;
        assert_eq!(sent.status, StatusCode::OK, "attempt {attempt}: {}", sent.body);
        assert_eq!(sent.body, serde_json::json!({}));
    }
    // Two models; Claude Code's cost kept, the table's price beside it.
    assert_eq!(
        runs_of(&pool, "Scout").await,
        [
            ("claude-haiku-4-5-20251001".into(), Some(1_400), Some(1_400), 920, 800, 120, 0, 0),
            (
                "claude-sonnet-4-5-20250929".into(),
                Some(27_300),
                Some(27_300),
                28_550,
                1_200,
                350,
                24_000,
                3_000
            ),
        ]
    );
    assert!(runs_of(&pool, "Pixel").await.is_empty(), "the token's agent only");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'usage.ingested'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 2, "each export is audited, the second recording nothing");
    let summary = api.get("/api/costs/summary?period=day&by=model").await;
    assert_eq!(summary.body["total"], 0.0287, "{}", summary.body);
}

#[sqlx::test]
async fn a_cumulative_protobuf_export_counts_what_grew(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    for _ in 0..2 {
        let sent = export(&api, &token, "application/x-protobuf", CUMULATIVE_PB.to_vec()).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    }
    assert_eq!(runs_of(&pool, "Scout").await.len(), 2, "sent twice, recorded once");
    // A minute later the session's counters have doubled: only the growth is new.
    let mut later = ExportMetricsServiceRequest::decode(CUMULATIVE_PB).unwrap();
    for rm in &mut later.resource_metrics {
        for sm in &mut rm.scope_metrics {
            for m in &mut sm.metrics {
                if let Some(metric::Data::Sum(sum)) = &mut m.data {
                    for p in &mut sum.data_points {
                        p.time_unix_nano += 60_000_000_000;
                        if let Some(number_data_point::Value::AsDouble(v)) = &mut p.value {
                            *v *= 2.0;
                        }
                    }
                }
            }
        }
    }
    let sent = export(&api, &token, "application/x-protobuf", later.encode_to_vec()).await;
    assert_eq!(sent.status, StatusCode::OK);
    let sonnet: Vec<_> = runs_of(&pool, "Scout")
        .await
        .into_iter()
        .filter(|r| r.0.starts_with("claude-sonnet"))
        .map(|r| (r.1, r.3))
        .collect();
    assert_eq!(
        sonnet,
        [(Some(27_300), 28_550), (Some(27_300), 28_550)],
        "the second run is the growth"
    );
}

#[sqlx::test]
async fn gen_ai_token_histograms_are_priced_by_the_response_model(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let sent = export(&api, &token, "application/json", GEN_AI_JSON.as_bytes().to_vec()).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    // 400k input at $2.50/M and 50k output at $10/M: $1.50, from the price table.
    assert_eq!(
        runs_of(&pool, "Scout").await,
        [(
            "gpt-4o-2024-08-06".into(),
            Some(1_500_000),
            Some(1_500_000),
            450_000,
            400_000,
            50_000,
            0,
            0
        )]
    );
}

#[sqlx::test]
async fn only_an_agent_sends_usage_and_a_bad_export_changes_nothing(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let runs = rows_in(&pool, "runs").await;
    let operator = export(&api, ADMIN_TOKEN, "application/json", DELTA_JSON.as_bytes().to_vec()).await;
    assert_error(&operator, StatusCode::FORBIDDEN, "forbidden");
    let nobody = reply(
        api.client
            .post(format!("{}/v1/metrics", api.url))
            .header("content-type", "application/json")
            .body(DELTA_JSON),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED, "{}", nobody.body);
    let text = export(&api, &token, "text/plain", DELTA_JSON.as_bytes().to_vec()).await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", text.body);
    let garbage = export(&api, &token, "application/x-protobuf", b"\xff\xff\xff not protobuf".to_vec()).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.body);
    let not_otlp = export(&api, &token, "application/json", br#"{"resourceMetrics": 7}"#.to_vec()).await;
    assert_eq!(not_otlp.status, StatusCode::BAD_REQUEST, "{}", not_otlp.body);
    assert!(
        not_otlp.body["error"]["message"].as_str().is_some_and(|m: &str| m.contains("OTLP")),
        "{}",
        not_otlp.body
    );
    assert_eq!(rows_in(&pool, "runs").await, runs);
}
