//! Costs that match the bill: runs carry their tokens by kind and their model, a run without a
//! cost is priced from the price table (the shipped one, or the operators' file), a reported
//! cost is kept with the table's price beside it and flagged when they differ by more than
//! 5 %, and a model the table does not know is recorded as unpriced — never as $0. Through
//! REST `POST /api/runs` and the MCP tool `report_run`.

use crate::common;

use common::http::{agent_token, assert_error, reply, rows_in, seeded, spawn_app_with, TestApi, ADMIN_TOKEN};
use mission_control::configuration::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn report(api: &TestApi, token: &str, body: Value) -> common::http::Reply {
    reply(api.client.post(format!("{}/api/runs", api.url)).bearer_auth(token).json(&body)).await
}

async fn spend_of(api: &TestApi, name: &str) -> f64 {
    let list = api.get("/api/agents?limit=200").await;
    let agent = list.body["items"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap();
    agent["todaySpend"].as_f64().expect("todaySpend")
}

#[sqlx::test]
async fn a_run_with_tokens_of_a_priced_model_gets_the_tables_cost(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let before = spend_of(&api, "Scout").await;

    // Anthropic's spelling with a snapshot date; 100k input at $3/M, 10k output at $15/M (5k of
    // them thinking), 200k cache reads at $0.30/M, 20k cache writes at $3.75/M: $0.585.
    let priced = report(
        &api,
        &token,
        json!({
            "status": "succeeded", "model": "claude-sonnet-4-5-20250929",
            "inputTokens": 100_000, "outputTokens": 10_000, "cacheReadTokens": 200_000,
            "cacheWriteTokens": 20_000, "reasoningTokens": 5_000,
        }),
    )
    .await;
    assert_eq!(priced.status, StatusCode::CREATED, "{}", priced.body);
    let run = &priced.body["run"];
    assert_eq!(run["cost"], 0.585, "{run}");
    assert_eq!(run["costSource"], "priced");
    assert_eq!(run["pricedCost"], 0.585);
    assert_eq!(run["costMismatch"], false);
    assert_eq!(run["tokens"], 330_000, "the total counts every kind once");
    assert_eq!(run["cacheReadTokens"], 200_000);
    assert_eq!(run["reasoningTokens"], 5_000);
    assert_eq!(run["model"], "claude-sonnet-4-5-20250929");
    assert!((spend_of(&api, "Scout").await - before - 0.585).abs() < 1e-9);

    // Bedrock's spelling of the same model, and a cost that agrees within 5 %: both kept.
    let close = report(
        &api,
        &token,
        json!({ "status": "succeeded", "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "cost": 0.46, "inputTokens": 100_000, "outputTokens": 10_000 }),
    )
    .await;
    assert_eq!(close.status, StatusCode::CREATED, "{}", close.body);
    let run = &close.body["run"];
    assert_eq!(
        (run["cost"].as_f64(), run["pricedCost"].as_f64()),
        (Some(0.46), Some(0.45)),
        "{run}"
    );
    assert_eq!((&run["costSource"], &run["costMismatch"]), (&json!("reported"), &json!(false)));

    // Twice the table's price: the reported cost counts, the difference is flagged.
    let off = report(
        &api,
        &token,
        json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "cost": 0.9,
                "inputTokens": 100_000, "outputTokens": 10_000 }),
    )
    .await;
    assert_eq!(off.status, StatusCode::CREATED, "{}", off.body);
    let run = &off.body["run"];
    assert_eq!((run["cost"].as_f64(), run["pricedCost"].as_f64()), (Some(0.9), Some(0.45)), "{run}");
    assert_eq!(run["costMismatch"], true);

    // A cost alone, as before tokens by kind: reported, nothing to compare with.
    let plain = report(
        &api,
        &token,
        json!({ "status": "failed", "cost": 0.01, "tokens": 900, "error": "timeout" }),
    )
    .await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.body);
    assert_eq!(plain.body["run"]["costSource"], "reported");
    assert_eq!(plain.body["run"]["pricedCost"], Value::Null);
    assert_eq!(plain.body["run"]["tokens"], 900);
}

#[sqlx::test]
async fn an_unknown_model_without_a_cost_is_unpriced_never_zero(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let before = spend_of(&api, "Scout").await;
    for model in ["my-local-llama", "gpt-5x", "claude-opus-4-9"] {
        let run = report(
            &api,
            &token,
            json!({ "status": "succeeded", "model": model, "inputTokens": 5_000, "outputTokens": 700 }),
        )
        .await;
        assert_eq!(run.status, StatusCode::CREATED, "{}", run.body);
        assert_eq!(run.body["run"]["cost"], Value::Null, "{model}: {}", run.body);
        assert_eq!(run.body["run"]["costSource"], "unpriced");
        assert_eq!(run.body["run"]["tokens"], 5_700);
    }
    assert_eq!(spend_of(&api, "Scout").await, before, "an unknown cost adds nothing");
    let listed = api.get("/api/runs?sortBy=cost&order=desc&limit=10").await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", listed.body);
    assert!(items.iter().all(|r| r["cost"].is_null() && r["costSource"] == "unpriced"));
    let stored: Vec<Option<i64>> = sqlx::query_scalar("SELECT cost_micros FROM runs").fetch_all(&pool).await.unwrap();
    assert_eq!(stored, [None, None, None], "NULL in the database, not 0");
}

#[sqlx::test]
async fn bad_usage_is_refused_with_the_field_and_changes_nothing(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let runs = rows_in(&pool, "runs").await;
    let cases = [
        (json!({ "status": "succeeded" }), "cost"),
        (json!({ "status": "succeeded", "model": "claude-sonnet-4-5" }), "cost"),
        (json!({ "status": "succeeded", "inputTokens": 10 }), "cost"),
        (
            json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "inputTokens": -1 }),
            "inputTokens",
        ),
        (
            json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "outputTokens": 10, "reasoningTokens": 11 }),
            "reasoningTokens",
        ),
        (
            json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "inputTokens": 10, "outputTokens": 5, "tokens": 14 }),
            "tokens",
        ),
        (
            json!({ "status": "succeeded", "cost": 0.1, "cacheWriteTokens": 1.5 }),
            "cacheWriteTokens",
        ),
    ];
    for (body, field) in cases {
        let refused = report(&api, &token, body.clone()).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let said = refused.body["error"].to_string();
        assert!(said.contains(field), "{body} → {said}");
    }
    assert_eq!(rows_in(&pool, "runs").await, runs);
}

#[sqlx::test]
async fn the_mcp_tool_prices_and_flags_the_same_way(pool: PgPool) {
    let api = seeded(&pool).await;
    let token = agent_token(&api, "Scout").await;
    let client = crate::mcp::connect(&api, &token).await.expect("the agent connects");
    let priced = crate::mcp::call(
        &client,
        "report_run",
        json!({ "status": "succeeded", "model": "gpt-4o-2024-08-06", "inputTokens": 400_000, "outputTokens": 50_000,
                "cacheReadTokens": 100_000 }),
    )
    .await;
    // 400k at $2.50 + 50k at $10 + 100k at $1.25 = $1.625.
    let outcome = crate::mcp::ok(&priced);
    assert_eq!(outcome["run"]["cost"], 1.625, "{outcome}");
    assert_eq!(outcome["run"]["costSource"], "priced");
    let unpriced = crate::mcp::call(
        &client,
        "report_run",
        json!({ "status": "succeeded", "model": "my-local-llama", "inputTokens": 10, "outputTokens": 5 }),
    )
    .await;
    let text = &unpriced.content[0].as_text().unwrap().text;
    assert!(text.contains("unpriced"), "{text}");
    assert_eq!(crate::mcp::ok(&unpriced)["run"]["cost"], Value::Null);
    let flagged = crate::mcp::call(
        &client,
        "report_run",
        json!({ "status": "succeeded", "model": "gpt-4o", "cost": 2.0, "inputTokens": 400_000, "outputTokens": 50_000 }),
    )
    .await;
    let text = &flagged.content[0].as_text().unwrap().text;
    assert!(text.contains("price table says $1.50"), "{text}");
    assert_eq!(crate::mcp::ok(&flagged)["run"]["costMismatch"], true);
    let missing = crate::mcp::call(&client, "report_run", json!({ "status": "succeeded", "model": "gpt-4o" })).await;
    assert_eq!(missing.is_error, Some(true), "{missing:?}");
    client.cancel().await.unwrap();
}

const ACME: &str = r#"
[[vendor]]
name = "acme"
source = "https://acme.example/prices"
as_of = "2026-12-01"

[[vendor.model]]
id = "acme-1"
input = 2
output = 4
cache_read = 0.2
cache_write = 2.5
"#;

#[sqlx::test]
async fn the_operators_price_file_replaces_the_shipped_table(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("mc-prices-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prices.toml");
    std::fs::write(&file, ACME).unwrap();
    let api = spawn_app_with(pool.clone(), [("MC_COSTS__PRICE_FILE", file.to_str().unwrap())]).await;
    api.app.seed().await.unwrap();
    let token = agent_token(&api, "Scout").await;
    let acme = report(
        &api,
        &token,
        json!({ "status": "succeeded", "model": "acme-1", "inputTokens": 1_000_000, "outputTokens": 500_000 }),
    )
    .await;
    assert_eq!(acme.status, StatusCode::CREATED, "{}", acme.body);
    assert_eq!(acme.body["run"]["cost"], 4.0);
    let sonnet = report(
        &api,
        &token,
        json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "inputTokens": 1_000, "outputTokens": 100 }),
    )
    .await;
    assert_eq!(
        sonnet.body["run"]["costSource"], "unpriced",
        "the operators' table replaces the shipped one"
    );

    // A bad file, or none where one is named, stops the start with the key and the reason.
    let settings = |path: &str| {
        Settings::load_from(
            None,
            [
                ("MC_HTTP__ADMIN_TOKEN".to_string(), ADMIN_TOKEN.to_string()),
                ("MC_COSTS__PRICE_FILE".to_string(), path.to_string()),
            ],
        )
    };
    let missing = settings(dir.join("none.toml").to_str().unwrap()).unwrap_err().to_string();
    assert!(missing.contains("costs.price_file") && missing.contains("cannot read"), "{missing}");
    std::fs::write(&file, ACME.replace("output = 4", "output = 0")).unwrap();
    let zero = settings(file.to_str().unwrap()).unwrap_err().to_string();
    assert!(zero.contains("costs.price_file") && zero.contains("above zero"), "{zero}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs of two agents on three models (one unpriced), reported by REST.
async fn month_of_runs(api: &TestApi) {
    let scout = agent_token(api, "Scout").await;
    let pixel = agent_token(api, "Pixel").await;
    let runs = [
        (
            &scout,
            json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "inputTokens": 100_000, "outputTokens": 10_000 }),
        ),
        (
            &scout,
            json!({ "status": "succeeded", "model": "gpt-4o", "cost": 0.2, "tokens": 1_000 }),
        ),
        (
            &pixel,
            json!({ "status": "succeeded", "model": "claude-sonnet-4-5", "inputTokens": 10_000, "outputTokens": 1_000 }),
        ),
        (
            &pixel,
            json!({ "status": "failed", "model": "my-local-llama", "inputTokens": 10, "outputTokens": 5 }),
        ),
    ];
    for (token, body) in runs {
        let r = report(api, token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
}

#[sqlx::test]
async fn the_cost_summary_matches_the_runs(pool: PgPool) {
    let api = seeded(&pool).await;
    // Mid-month, so that yesterday is in the same month.
    api.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 2, 15, 10, 0, 0).unwrap());
    month_of_runs(&api).await;
    // Yesterday's run counts for the month, not the day.
    sqlx::query("UPDATE runs SET created_at = created_at - interval '1 day' WHERE model = 'gpt-4o'")
        .execute(&pool)
        .await
        .unwrap();

    let by_agent = api.get("/api/costs/summary?period=month&by=agent").await;
    assert_eq!(by_agent.status, StatusCode::OK, "{}", by_agent.body);
    // From the runs themselves: per agent, the month's (from the 1st, UTC) sum and counts.
    let expected: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT a.name, COALESCE(sum(r.cost_micros), 0)::bigint, count(*), count(*) FILTER (WHERE r.cost_micros IS NULL)
         FROM runs r JOIN agents a ON a.id = r.agent_id
         WHERE r.created_at >= date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
         GROUP BY a.name ORDER BY 2 DESC",
    )
    .bind(api.app.now())
    .fetch_all(&pool)
    .await
    .unwrap();
    let lines = by_agent.body["lines"].as_array().unwrap();
    let got: Vec<(String, i64, i64, i64)> = lines
        .iter()
        .map(|l| {
            let micros = (l["cost"].as_f64().unwrap() * 1e6).round() as i64;
            (
                l["name"].as_str().unwrap().to_string(),
                micros,
                l["runs"].as_i64().unwrap(),
                l["unpricedRuns"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // Scout: $0.45 priced + $0.20 reported; Pixel: $0.045 and an unpriced run.
    assert_eq!(by_agent.body["total"], 0.695);
    assert_eq!(
        (by_agent.body["runs"].as_i64(), by_agent.body["unpricedRuns"].as_i64()),
        (Some(4), Some(1))
    );

    let by_model = api.get("/api/costs/summary?period=month&by=model").await;
    let models: Vec<(&str, f64, i64)> = by_model.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["key"].as_str().unwrap(), l["cost"].as_f64().unwrap(), l["runs"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        models,
        [("claude-sonnet-4-5", 0.495, 2), ("gpt-4o", 0.2, 1), ("my-local-llama", 0.0, 1)]
    );
    let llama = &by_model.body["lines"][2];
    assert_eq!(llama["unpricedRuns"], 1, "unpriced, not $0: counted apart");

    let today = api.get("/api/costs/summary?period=day&by=model").await;
    assert_eq!(today.body["total"], 0.495, "yesterday's run is not today's");
    let projects = api.get("/api/costs/summary?period=month&by=project").await;
    assert_eq!(projects.body["lines"][0]["name"], "OpenClaw");
    assert_eq!(projects.body["lines"][0]["cost"], 0.695);

    for (query, param) in [("period=year", "period"), ("by=team", "by")] {
        let bad = api.get(&format!("/api/costs/summary?{query}")).await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(bad.body["error"]["details"]["field"], param);
    }
}

#[sqlx::test]
async fn costs_month_answers_in_the_chat_with_text_and_chart(pool: PgPool) {
    use common::telegram::{olga, FORUM};
    let w = common::world::World::build(pool).http().start().await;
    w.bind_forum().await;
    month_of_runs(w.api()).await;
    let sent = w.say(&olga(), "/costs month");
    let answer = w.answer_after(FORUM, sent, "By model").await;
    let text = answer.text.clone().unwrap_or_default();
    for needle in [
        "costs this month",
        "By agent",
        "Scout — $0.65 (2 runs)",
        "claude-sonnet-4-5 — $0.50 (2 runs)",
        "my-local-llama — unpriced (1 run, 1 unpriced)",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let photo =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .filter(|m| m.message_id > sent)
            .find_map(|m| m.photo)
            .expect("a chart with the answer");
    assert_eq!(&photo.bytes[..8], b"\x89PNG\r\n\x1a\n", "a valid PNG");
    let usage = w.ask(&olga(), "/costs year", "/costs [today|month]").await;
    assert!(usage.photo.is_none());
    w.stop().await;
}
