//! The MCP server at `/mcp`, through a real MCP client (rmcp's, over Streamable HTTP) against
//! the real server on port 0; and the waits behind it and behind `heartbeat?wait=`: a wait ends
//! as soon as the decision or the pause is committed, and waiters hold no pool connection.
//!
//! Timings here only check that a wait ended well before its timeout (it was woken, not timed
//! out); how fast is measured by `benches/agent_waits.rs`.

use crate::common;

use common::http::{spawn_app, TestApi, ADMIN_TOKEN};
use mission_control::domain::OperatorRole;
use reqwest::{Method, StatusCode};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::{Duration, Instant};

pub(crate) type Client = RunningService<RoleClient, ClientConfig>;

/// Woken, not timed out: well under the 30 s the tests wait for.
const PROMPTLY: Duration = Duration::from_secs(5);

struct Agent {
    id: String,
    token: String,
}

async fn seeded(pool: &PgPool) -> TestApi {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    api
}

/// A new agent of the default project, with its token.
async fn agent(api: &TestApi, name: &str) -> Agent {
    let reply = api
        .post(
            "/api/agents/register",
            &json!({ "name": name, "role": "specialist", "allowedTaskTypes": ["docs"] }).to_string(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    Agent {
        id: reply.body["agent"]["id"].as_str().unwrap().to_string(),
        token: reply.body["token"].as_str().unwrap().to_string(),
    }
}

pub(crate) async fn connect(api: &TestApi, token: &str) -> Result<Client, rmcp::service::ClientInitializeError> {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", api.url)).auth_header(token);
    ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
}

pub(crate) async fn call<H: rmcp::Service<RoleClient>>(
    client: &RunningService<RoleClient, H>,
    tool: &'static str,
    args: Value,
) -> CallToolResult {
    let args = args.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// The structured content of a successful call.
pub(crate) fn ok(result: &CallToolResult) -> &Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let text = result.content[0].as_text().expect("a short text first");
    assert!(!text.text.is_empty());
    result.structured_content.as_ref().expect("structured content")
}

/// The API error body of a refused call.
fn refused<'a>(result: &'a CallToolResult, code: &str) -> &'a Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let error = &result.structured_content.as_ref().expect("the error body")["error"];
    assert_eq!(error["code"], code, "{error}");
    let text = &result.content[0].as_text().unwrap().text;
    assert!(text.starts_with(code), "{text}");
    error
}

async fn inbox_task(api: &TestApi, title: &str) -> String {
    let reply = api.post("/api/tasks", &json!({ "title": title, "type": "docs" }).to_string()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_string()
}

/// Waits until `n` agents are waiting on the server (their calls are in their wait).
async fn until_waiting(api: &TestApi, n: usize) {
    let start = Instant::now();
    while api.app.wakes.waiting_agents() < n {
        assert!(start.elapsed() < Duration::from_secs(10), "{n} waiters never started waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test]
async fn lists_the_eleven_tools_to_an_agent_and_nothing_without_its_token(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;

    let client = connect(&api, &ava.token).await.expect("an agent connects");
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "approval_prompt",
            "ask_human",
            "claim_task",
            "comment",
            "get_answer",
            "get_approval",
            "heartbeat",
            "report_run",
            "request_approval",
            "start_task",
            "submit_for_review"
        ]
    );
    // Inputs are camelCase, with schemas derived from the types (enums list their values).
    let request = tools.iter().find(|t| t.name == "request_approval").unwrap();
    let properties = request.input_schema["properties"].as_object().unwrap();
    for field in [
        "actionType",
        "riskLevel",
        "actionSummary",
        "justification",
        "rollbackPlan",
        "estimatedCost",
        "taskId",
        "waitSeconds",
    ] {
        assert!(properties.contains_key(field), "request_approval lacks {field}: {properties:?}");
    }
    assert!(
        serde_json::to_string(&*request.input_schema).unwrap().contains("\"red\""),
        "{:?}",
        request.input_schema
    );
    // One declaration of each operation: the MCP schema carries the bounds of the OpenAPI one.
    let report = tools.iter().find(|t| t.name == "report_run").unwrap();
    let properties = report.input_schema["properties"].as_object().unwrap();
    assert_eq!(properties["model"]["maxLength"], 100, "{properties:?}");
    assert!(properties.contains_key("agentId") && properties.contains_key("idempotencyKey"));
    assert_eq!(properties["cost"]["minimum"].as_f64(), Some(0.0), "{properties:?}");
    let bounds = |tool: &str, field: &str, bound: &str| {
        let tool = tools.iter().find(|t| t.name == tool).unwrap();
        tool.input_schema["properties"][field][bound].clone()
    };
    assert_eq!(bounds("comment", "body", "maxLength"), 10_000);
    assert_eq!(bounds("start_task", "workPlan", "minItems"), 3);
    assert_eq!(bounds("start_task", "workPlan", "maxItems"), 6);
    assert_eq!(bounds("submit_for_review", "deliverable", "type"), "string");
    let claim = tools.iter().find(|t| t.name == "claim_task").unwrap();
    let properties = claim.input_schema["properties"].as_object().unwrap();
    assert!(!properties.contains_key("waitSeconds") && !properties.contains_key("idempotencyKey"));
    assert!(tools.iter().all(|t| t.description.as_deref().is_some_and(|d| d.len() > 40)));
    client.cancel().await.unwrap();

    // No token, a bad one, an operator's: refused before any session exists.
    assert!(connect(&api, "").await.is_err());
    assert!(connect(&api, "mca_not-a-real-token").await.is_err());
    let initialize = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "curl", "version": "1" } } });
    let raw = |token: Option<String>| {
        let mut request = api
            .client
            .post(format!("{}/mcp", api.url))
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for token in [None, Some("nope".to_string())] {
        let response = raw(token).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get("mcp-session-id").is_none());
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
    let viewer = api.token("Vic", OperatorRole::Viewer).await;
    for token in [viewer, ADMIN_TOKEN.to_string()] {
        let response = raw(Some(token)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("agent's own token"), "{body}");
    }
    // The agent's token opens a session.
    let response = raw(Some(ava.token.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    api.stop().await;
}

#[sqlx::test]
async fn each_tool_acts_through_the_use_case_and_refuses_as_the_api_does(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let client = connect(&api, &ava.token).await.unwrap();
    let task = inbox_task(&api, "Write the MCP guide").await;

    // heartbeat
    let beat = call(&client, "heartbeat", json!({})).await;
    let beat = ok(&beat);
    assert_eq!(beat["agent"]["id"], ava.id);
    assert_eq!(beat["stop"], false);
    assert!(beat["budget"]["dailyCap"].as_f64().unwrap() > 0.0);
    let too_long = call(&client, "heartbeat", json!({ "waitSeconds": 601 })).await;
    let error = refused(&too_long, "validation_failed");
    assert!(error["message"].as_str().unwrap().contains("600"), "{error}");

    // claim_task
    let claimed = call(&client, "claim_task", json!({ "taskId": task })).await;
    assert_eq!(ok(&claimed)["status"], "assigned");
    let again = call(&client, "claim_task", json!({ "taskId": task })).await;
    refused(&again, "not_claimable");
    let malformed = call(&client, "claim_task", json!({ "taskId": "not-a-uuid" })).await;
    let error = refused(&malformed, "validation_failed");
    assert!(error["message"].as_str().unwrap().contains("taskId"), "{error}");
    // An option of the encoding only where the tool takes it: claim_task neither waits nor
    // takes a key.
    for option in [json!({ "waitSeconds": 5 }), json!({ "idempotencyKey": "k-1" })] {
        let name = option.as_object().unwrap().keys().next().unwrap().clone();
        let mut args = option.clone();
        args["taskId"] = json!(task);
        let unknown = call(&client, "claim_task", args).await;
        let error = refused(&unknown, "validation_failed");
        assert!(error["message"].as_str().unwrap().contains(&name), "{error}");
    }
    let bad_key = call(&client, "comment", json!({ "taskId": task, "body": "x", "idempotencyKey": 7 })).await;
    let error = refused(&bad_key, "validation_failed");
    assert!(error["message"].as_str().unwrap().contains("idempotencyKey"), "{error}");

    // start_task
    let short = call(&client, "start_task", json!({ "taskId": task, "workPlan": ["just do it"] })).await;
    refused(&short, "validation_failed");
    let plan = ["Read the issue", "Draft the guide", "Check every tool"];
    let started = call(&client, "start_task", json!({ "taskId": task, "workPlan": plan })).await;
    assert_eq!(ok(&started)["task"]["status"], "in_progress");

    // comment
    let empty = call(&client, "comment", json!({ "taskId": task, "body": "  " })).await;
    refused(&empty, "validation_failed");
    let commented = call(&client, "comment", json!({ "taskId": task, "body": "Halfway there" })).await;
    assert_eq!(ok(&commented)["body"], "Halfway there");

    // report_run
    let negative = call(&client, "report_run", json!({ "taskId": task, "cost": -1, "status": "succeeded" })).await;
    refused(&negative, "validation_failed");
    let run = call(
        &client,
        "report_run",
        json!({ "taskId": task, "cost": 0.25, "status": "succeeded", "model": "claude", "tokens": 1200 }),
    )
    .await;
    let run = ok(&run);
    assert_eq!(run["run"]["cost"], 0.25);
    assert_eq!(run["budgetExceeded"], false);
    // The operation is the REST one (`protocol::ReportRun`): its bounds, and an agentId that
    // can only be the agent's own.
    let long_model = call(
        &client,
        "report_run",
        json!({ "cost": 0.01, "status": "succeeded", "model": "m".repeat(101) }),
    )
    .await;
    refused(&long_model, "validation_failed");
    let as_another = call(
        &client,
        "report_run",
        json!({ "agentId": uuid::Uuid::new_v4(), "cost": 0.01, "status": "succeeded" }),
    )
    .await;
    refused(&as_another, "forbidden");
    let as_itself = call(
        &client,
        "report_run",
        json!({ "agentId": ava.id, "cost": 0.01, "status": "failed" }),
    )
    .await;
    assert_eq!(ok(&as_itself)["run"]["agentId"], ava.id);

    // submit_for_review
    let submitted = call(
        &client,
        "submit_for_review",
        json!({ "taskId": task, "deliverable": "docs/mcp.md" }),
    )
    .await;
    assert_eq!(ok(&submitted)["task"]["status"], "review");
    let twice = call(
        &client,
        "submit_for_review",
        json!({ "taskId": task, "deliverable": "docs/mcp.md" }),
    )
    .await;
    refused(&twice, "illegal_transition");

    // request_approval: green is decided by policy at once, with no wait
    let green = call(
        &client,
        "request_approval",
        json!({ "actionType": "docs.read", "riskLevel": "green", "actionSummary": "Read the style guide",
                "justification": "To match its tone", "taskId": task, "waitSeconds": 30 }),
    )
    .await;
    let green = ok(&green);
    assert_eq!(green["status"], "approved");
    assert_eq!(green["stop"], false);
    let expiring = call(
        &client,
        "request_approval",
        json!({ "actionType": "email.send", "actionSummary": "Mail the guide", "justification": "Asked for",
                "expiresInMinutes": 5 }),
    )
    .await;
    let expiring = ok(&expiring);
    let (created, expires) = (
        chrono::DateTime::parse_from_rfc3339(expiring["createdAt"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(expiring["expiresAt"].as_str().unwrap()).unwrap(),
    );
    assert_eq!((expires - created).num_minutes(), 5, "{expiring}");
    let bad = call(
        &client,
        "request_approval",
        json!({ "actionType": "Send Email!", "actionSummary": "x", "justification": "y" }),
    )
    .await;
    refused(&bad, "validation_failed");

    // get_approval
    let read = call(&client, "get_approval", json!({ "approvalId": green["id"] })).await;
    assert_eq!(ok(&read)["id"], green["id"]);
    let unknown = call(&client, "get_approval", json!({ "approvalId": uuid::Uuid::new_v4() })).await;
    refused(&unknown, "not_found");

    // Paused: the same refusal, code and message, as the REST API gives.
    let paused = api
        .post(&format!("/api/agents/{}/pause", ava.id), r#"{"reason":"cost review"}"#)
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let other = inbox_task(&api, "Another guide").await;
    let over_mcp = call(&client, "claim_task", json!({ "taskId": other })).await;
    let error = refused(&over_mcp, "forbidden").clone();
    let over_rest = api
        .call(Method::POST, &format!("/api/tasks/{other}/claim"), Some(&ava.token), None)
        .await;
    assert_eq!(over_rest.status, StatusCode::FORBIDDEN);
    assert_eq!(error["message"], over_rest.body["error"]["message"]);
    assert!(error["message"].as_str().unwrap().contains("cost review"), "{error}");
    let beat = call(&client, "heartbeat", json!({})).await;
    assert_eq!(ok(&beat)["stop"], true);
    let text = &beat.content[0].as_text().unwrap().text;
    assert!(text.starts_with("STOP: agent is paused"), "{text}");

    client.cancel().await.unwrap();
    api.stop().await;
}

/// The pending approval `agent` asked for (the one the waiting call is about).
async fn pending_approval(api: &TestApi, agent: &Agent) -> String {
    let start = Instant::now();
    loop {
        let list = api.get("/api/approvals?status=pending").await;
        if let Some(found) = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agentId"] == agent.id.as_str())
        {
            return found["id"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no pending approval appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn red_request(wait: u64) -> Value {
    json!({ "actionType": "deploy.production", "riskLevel": "red", "actionSummary": "Deploy v2 to production",
            "justification": "The release is signed off", "rollbackPlan": "Redeploy v1", "waitSeconds": wait })
}

#[sqlx::test]
async fn a_red_request_returns_the_moment_the_cao_decides_or_it_expires(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let client = std::sync::Arc::new(connect(&api, &ava.token).await.unwrap());

    // Approved through the API while the call waits.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "request_approval", red_request(30)).await }
    });
    let id = pending_approval(&api, &ava).await;
    until_waiting(&api, 1).await;
    let decided = Instant::now();
    let approve = api.post(&format!("/api/approvals/{id}/approve"), r#"{"decision":"go"}"#).await;
    assert_eq!(approve.status, StatusCode::OK, "{}", approve.body);
    let result = waiting.await.unwrap();
    assert!(decided.elapsed() < PROMPTLY, "answered {:?} after the approval", decided.elapsed());
    let answer = ok(&result);
    assert_eq!(answer["id"], id.as_str());
    assert_eq!(answer["status"], "approved");
    assert_eq!(answer["decisionNote"], "go");
    assert_eq!(answer["stop"], false);

    // Denied, while get_approval waits on a request made without a wait.
    let asked = call(&client, "request_approval", red_request(0)).await;
    assert_eq!(ok(&asked)["status"], "pending");
    let id = ok(&asked)["id"].as_str().unwrap().to_string();
    let waiting = tokio::spawn({
        let (client, id) = (client.clone(), id.clone());
        async move { call(&client, "get_approval", json!({ "approvalId": id, "waitSeconds": 30 })).await }
    });
    until_waiting(&api, 1).await;
    let decided = Instant::now();
    let deny = api
        .post(&format!("/api/approvals/{id}/deny"), r#"{"reason":"not on a Friday"}"#)
        .await;
    assert_eq!(deny.status, StatusCode::OK, "{}", deny.body);
    let result = waiting.await.unwrap();
    assert!(decided.elapsed() < PROMPTLY);
    assert_eq!(ok(&result)["status"], "denied");
    assert_eq!(ok(&result)["decisionNote"], "not on a Friday");

    // Expired by the expiry job while the request waits.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "request_approval", red_request(30)).await }
    });
    pending_approval(&api, &ava).await;
    until_waiting(&api, 1).await;
    api.clock.advance(chrono::Duration::hours(2));
    let decided = Instant::now();
    assert_eq!(api.app.expire_approvals().await.unwrap().len(), 1);
    let result = waiting.await.unwrap();
    assert!(decided.elapsed() < PROMPTLY);
    assert_eq!(ok(&result)["status"], "expired");

    // Nobody decides: still pending when the wait is over.
    let started = Instant::now();
    let result = call(&client, "request_approval", red_request(1)).await;
    assert_eq!(ok(&result)["status"], "pending");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(api.app.wakes.waiting_agents(), 0, "the waiter unsubscribed");

    // Paused while waiting for a decision: told to stop at once, the request still pending.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "request_approval", red_request(30)).await }
    });
    until_waiting(&api, 1).await;
    let paused = Instant::now();
    api.post(&format!("/api/agents/{}/quarantine", ava.id), r#"{"reason":"leaking keys"}"#)
        .await;
    let result = waiting.await.unwrap();
    assert!(paused.elapsed() < PROMPTLY);
    let answer = ok(&result);
    assert_eq!(answer["status"], "pending");
    assert_eq!(answer["stop"], true);
    assert!(answer["reason"].as_str().unwrap().contains("leaking keys"), "{answer}");

    std::sync::Arc::into_inner(client).unwrap().cancel().await.unwrap();
    api.stop().await;
}

#[sqlx::test]
async fn a_waiting_mcp_heartbeat_hears_the_squad_pause_at_once(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let client = std::sync::Arc::new(connect(&api, &ava.token).await.unwrap());
    // Nothing to say: the first heartbeat takes the (empty) news, the second waits.
    ok(&call(&client, "heartbeat", json!({})).await);
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "heartbeat", json!({ "waitSeconds": 30 })).await }
    });
    until_waiting(&api, 1).await;
    let paused = Instant::now();
    let reply = api.post("/api/emergency/pause-squad", r#"{"reason":"runaway spend"}"#).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let result = waiting.await.unwrap();
    assert!(paused.elapsed() < PROMPTLY, "told {:?} after the pause", paused.elapsed());
    let beat = ok(&result);
    assert_eq!(beat["stop"], true);
    assert!(beat["reason"].as_str().unwrap().contains("runaway spend"), "{beat}");
    assert_eq!(beat["notifications"][0]["kind"], "status_changed");

    // Told already: a paused agent's wait is not answered again at once; the resume ends it.
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "heartbeat", json!({ "waitSeconds": 30 })).await }
    });
    until_waiting(&api, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a known stop is not news");
    api.post("/api/emergency/resume-squad", "").await;
    let beat = waiting.await.unwrap();
    assert_eq!(ok(&beat)["stop"], false);

    std::sync::Arc::into_inner(client).unwrap().cancel().await.unwrap();
    api.stop().await;
}

/// The agent's REST heartbeat long-polling for up to 30 s, in a task of its own.
fn waiting_heartbeat(api: &TestApi, agent: &Agent) -> tokio::task::JoinHandle<Value> {
    let (url, token, id) = (api.url.clone(), agent.token.clone(), agent.id.clone());
    tokio::spawn(async move {
        let reply = reqwest::Client::new()
            .post(format!("{url}/api/agents/{id}/heartbeat?wait=30"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        reply.json::<Value>().await.unwrap()
    })
}

async fn rest_heartbeat(api: &TestApi, agent: &Agent, query: &str) -> common::http::Reply {
    api.call(
        Method::POST,
        &format!("/api/agents/{}/heartbeat{query}", agent.id),
        Some(&agent.token),
        None,
    )
    .await
}

#[sqlx::test]
async fn rest_long_poll_answers_on_news_and_after_the_wait(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    assert_eq!(rest_heartbeat(&api, &ava, "").await.status, StatusCode::OK);

    for bad in ["?wait=601", "?wait=-1", "?wait=soon", "?wait=1.5"] {
        let reply = rest_heartbeat(&api, &ava, bad).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], "validation_failed");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("`wait`") && message.contains("600"), "{message}");
    }

    // Nothing happens: the usual answer once the wait is over, the heartbeat recorded again.
    let started = Instant::now();
    let reply = rest_heartbeat(&api, &ava, "?wait=1").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(reply.body["stop"], false);

    // An assignment is news.
    let waiting = waiting_heartbeat(&api, &ava);
    until_waiting(&api, 1).await;
    let task = inbox_task(&api, "Assigned while waiting").await;
    let assigned = Instant::now();
    api.patch(&format!("/api/tasks/{task}"), &json!({ "assigneeIds": [ava.id] }).to_string())
        .await;
    let beat = waiting.await.unwrap();
    assert!(assigned.elapsed() < PROMPTLY);
    let kinds: Vec<&str> = beat["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"task_assigned"), "{beat}");
    assert_eq!(beat["assignedTasks"][0]["id"], task.as_str());

    // The agent's pause reaches its long poll.
    let waiting = waiting_heartbeat(&api, &ava);
    until_waiting(&api, 1).await;
    let paused = Instant::now();
    api.post(&format!("/api/agents/{}/pause", ava.id), "").await;
    let beat = waiting.await.unwrap();
    assert!(paused.elapsed() < PROMPTLY, "told {:?} after the pause", paused.elapsed());
    assert_eq!(beat["stop"], true, "{beat}");
    api.stop().await;
}

#[sqlx::test]
async fn waiters_hold_no_pool_connection(pool: PgPool) {
    // Two connections for the whole service, ten agents waiting.
    let small = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let api = spawn_app(small.clone()).await;
    api.app.seed().await.unwrap();
    let mut agents = Vec::new();
    for i in 0..10 {
        agents.push(agent(&api, &format!("Waiter{i}")).await);
    }
    let mut waiting = Vec::new();
    for agent in &agents {
        waiting.push(waiting_heartbeat(&api, agent));
    }
    until_waiting(&api, 10).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(small.size() as usize - small.num_idle(), 0, "no connection in use while they wait");
    let metrics = api.call(Method::GET, "/metrics", None, None).await;
    assert!(metrics.body.as_str().unwrap().contains("mc_agents_waiting 10"), "{}", metrics.body);
    // Other requests go through meanwhile.
    let started = Instant::now();
    for _ in 0..5 {
        let list = api.get("/api/agents?limit=200").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    // And the kill switch reaches all ten.
    let paused = Instant::now();
    api.post("/api/emergency/pause-squad", "").await;
    for waiter in waiting {
        assert_eq!(waiter.await.unwrap()["stop"], true);
    }
    assert!(paused.elapsed() < PROMPTLY);
    api.stop().await;
    small.close().await;
}

#[sqlx::test]
async fn a_pause_on_one_replica_wakes_an_agent_waiting_on_another(pool: PgPool) {
    let here = seeded(&pool).await;
    let there = spawn_app(pool.clone()).await;
    let ava = agent(&here, "Ava").await;
    let client = std::sync::Arc::new(connect(&here, &ava.token).await.unwrap());
    ok(&call(&client, "heartbeat", json!({})).await);
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "heartbeat", json!({ "waitSeconds": 30 })).await }
    });
    until_waiting(&here, 1).await;
    let paused = Instant::now();
    let reply = there.post(&format!("/api/agents/{}/pause", ava.id), "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let result = waiting.await.unwrap();
    assert!(paused.elapsed() < PROMPTLY, "told {:?} after the pause", paused.elapsed());
    assert_eq!(ok(&result)["stop"], true);
    std::sync::Arc::into_inner(client).unwrap().cancel().await.unwrap();
    there.stop().await;
    here.stop().await;
}

#[sqlx::test]
async fn a_shutdown_ends_the_waits_instead_of_waiting_for_them(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let waiting = tokio::spawn({
        let (url, token, id) = (api.url.clone(), ava.token.clone(), ava.id.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{url}/api/agents/{id}/heartbeat?wait=600"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    until_waiting(&api, 1).await;
    let client = connect(&api, &ava.token).await.unwrap();
    let started = Instant::now();
    api.stop().await;
    assert!(started.elapsed() < PROMPTLY, "the shutdown took {:?}", started.elapsed());
    assert_eq!(waiting.await.unwrap()["stop"], false, "answered with what it had");
    drop(client);
}

/// An MCP `initialize` sent by hand, as a client sends it: these tests read its status and
/// headers, which an MCP client hides.
async fn initialize(api: &TestApi, token: &str) -> reqwest::Response {
    let hello = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "by-hand", "version": "1" } } });
    api.client
        .post(format!("{}/mcp", api.url))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&hello)
        .send()
        .await
        .unwrap()
}

/// A request inside session `session` (a tools/list), by hand.
async fn in_session(api: &TestApi, token: &str, session: &str, method: reqwest::Method) -> reqwest::Response {
    let list = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" });
    let mut request = api
        .client
        .request(method.clone(), format!("{}/mcp", api.url))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-06-18");
    if method == reqwest::Method::POST {
        request = request.json(&list);
    }
    request.send().await.unwrap()
}

/// A leaked token cannot open sessions without end: eight per agent, then 429 with Retry-After;
/// closing one frees its place; another agent is not held back, and cannot use Ava's session.
#[sqlx::test]
async fn an_agent_holds_at_most_eight_mcp_sessions_each_its_own(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let bob = agent(&api, "Bob").await;
    let mut clients = Vec::new();
    for n in 0..7 {
        clients.push(connect(&api, &ava.token).await.unwrap_or_else(|e| panic!("session {n}: {e}")));
    }
    let eighth = initialize(&api, &ava.token).await;
    assert_eq!(eighth.status(), StatusCode::OK);
    let session = eighth.headers()["mcp-session-id"].to_str().unwrap().to_string();

    let ninth = initialize(&api, &ava.token).await;
    assert_eq!(ninth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(ninth.headers()["retry-after"], "30");
    let body: Value = ninth.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("8 MCP sessions"), "{message}");
    assert!(connect(&api, &ava.token).await.is_err(), "an MCP client is refused too");

    // Bob's own sessions are his; Ava's session is not.
    let bobs = connect(&api, &bob.token).await.expect("another agent is not held back");
    let borrowed = in_session(&api, &bob.token, &session, reqwest::Method::POST).await;
    assert_eq!(borrowed.status(), StatusCode::FORBIDDEN);
    let body: Value = borrowed.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("another agent"), "{body}");

    // Closing a session frees its place.
    let closed = in_session(&api, &ava.token, &session, reqwest::Method::DELETE).await;
    assert!(closed.status().is_success(), "{}", closed.status());
    let again = initialize(&api, &ava.token).await;
    assert_eq!(again.status(), StatusCode::OK, "a closed session's place is free");

    bobs.cancel().await.unwrap();
    for client in clients {
        client.cancel().await.unwrap();
    }
    api.stop().await;
}

/// A leaked token's MCP session: when the CAO rotates the agent's token, the wait inside the
/// session ends with a 401 refusal and the session itself is closed; the new token opens one.
#[sqlx::test]
async fn rotating_a_token_ends_its_mcp_sessions_and_their_waits(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let client = std::sync::Arc::new(connect(&api, &ava.token).await.unwrap());
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let beat = CallToolRequestParams::new("heartbeat").with_arguments(json!({ "waitSeconds": 600 }).as_object().cloned().unwrap());
            (client.call_tool(beat).await, started)
        })
    };
    until_waiting(&api, 1).await;
    let rotated = api
        .call(
            Method::POST,
            &format!("/api/agents/{}/rotate-token", ava.id),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let fresh = rotated.body["token"].as_str().unwrap().to_string();

    let (ended, started) = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the wait ended")
        .unwrap();
    assert!(started.elapsed() < PROMPTLY, "ended at the rotation, not at its timeout");
    refused(&ended.expect("the wait answered before its session closed"), "unauthenticated");
    common::eventually("the session is closed", Duration::from_secs(10), || async {
        api.metrics().await.lines().any(|l| l == "mc_mcp_sessions 0").then_some(())
    })
    .await;
    let after = client.call_tool(CallToolRequestParams::new("heartbeat")).await;
    assert!(after.is_err(), "the closed session takes no more calls: {after:?}");

    let renewed = connect(&api, &fresh).await.expect("the new token opens a session");
    ok(&call(&renewed, "heartbeat", json!({})).await);
    renewed.cancel().await.unwrap();
    api.stop().await;
}

/// A retried `report_run` with its idempotency key charges once; the same key with other
/// arguments is refused; a retried `request_approval` files no second card.
#[sqlx::test]
async fn a_retried_call_with_its_key_acts_once(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let client = connect(&api, &ava.token).await.unwrap();

    let run = json!({ "cost": 1.25, "status": "succeeded", "model": "claude-sonnet-4-5", "idempotencyKey": "run-7f3a" });
    let first = call(&client, "report_run", run.clone()).await;
    let again = call(&client, "report_run", run).await;
    assert_eq!(ok(&first)["run"]["id"], ok(&again)["run"]["id"]);
    let runs = api.get(&format!("/api/runs?agentId={}", ava.id)).await;
    assert_eq!(runs.body["items"].as_array().unwrap().len(), 1, "charged once: {}", runs.body);
    let other = call(
        &client,
        "report_run",
        json!({ "cost": 9.0, "status": "succeeded", "idempotencyKey": "run-7f3a" }),
    )
    .await;
    refused(&other, "validation_failed");

    let mut ask = red_request(0);
    ask["idempotencyKey"] = json!("ask-deploy-1");
    let asked = call(&client, "request_approval", ask.clone()).await;
    ask["waitSeconds"] = json!(1);
    let retried = call(&client, "request_approval", ask).await;
    assert_eq!(ok(&asked)["id"], ok(&retried)["id"], "the retry is the first request");
    assert_eq!(ok(&retried)["status"], "pending");
    let pending = api.get("/api/approvals?status=pending").await;
    let mine = pending.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["agentId"] == ava.id.as_str())
        .count();
    assert_eq!(mine, 1, "one card, not two");

    client.cancel().await.unwrap();
    api.stop().await;
}

/// MCP requests get what REST requests get: the configured body limit and the request metrics,
/// and each tool call is counted by tool and outcome.
#[sqlx::test]
async fn mcp_has_the_body_limit_and_the_metrics_of_the_api(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_HTTP__BODY_LIMIT_BYTES", "4096")]).await;
    api.app.seed().await.unwrap();
    let ava = agent(&api, "Ava").await;
    let client = connect(&api, &ava.token).await.unwrap();
    ok(&call(&client, "report_run", json!({ "cost": 0.5, "status": "succeeded" })).await);
    refused(
        &call(&client, "claim_task", json!({ "taskId": "not-a-uuid" })).await,
        "validation_failed",
    );

    let huge = json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": { "name": "comment", "arguments": { "taskId": uuid::Uuid::new_v4(), "body": "x".repeat(5000) } } });
    let refused_body = api
        .client
        .post(format!("{}/mcp", api.url))
        .bearer_auth(&ava.token)
        .header("accept", "application/json, text/event-stream")
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused_body.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let metrics = api.metrics().await;
    let line = |name: &str, labels: &[&str]| {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && labels.iter().all(|label| l.contains(label)))
            .map(str::to_string)
    };
    let counted = line("mc_mcp_tool_calls_total{", &["tool=\"report_run\"", "outcome=\"ok\""]).expect("report_run counted");
    assert!(counted.ends_with(" 1"), "{counted}");
    assert!(
        line("mc_mcp_tool_calls_total{", &["tool=\"claim_task\"", "outcome=\"refused\""]).is_some(),
        "{metrics}"
    );
    assert!(
        line("mc_http_requests_total{", &["route=\"/mcp\"", "status=\"413\""]).is_some(),
        "{metrics}"
    );
    assert!(
        line("mc_http_requests_total{", &["route=\"/mcp\"", "status=\"200\""]).is_some(),
        "{metrics}"
    );

    client.cancel().await.unwrap();
    api.stop().await;
}

/// A client that keeps the progress notifications it hears.
#[derive(Clone, Default)]
struct Listening {
    progress: std::sync::Arc<std::sync::Mutex<Vec<rmcp::model::ProgressNotificationParam>>>,
}

impl rmcp::ClientHandler for Listening {
    async fn on_progress(&self, params: rmcp::model::ProgressNotificationParam, _: rmcp::service::NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }
}

/// `approval_prompt`'s answer: the permission result in its one text content.
fn permission(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(result.content.len(), 1, "{result:?}");
    let text = &result.content[0].as_text().expect("text").text;
    let decision: Value = serde_json::from_str(text).expect("the text is JSON");
    match decision["behavior"].as_str() {
        Some("allow") => assert!(decision["updatedInput"].is_object(), "{decision}"),
        Some("deny") => assert!(decision["message"].is_string(), "{decision}"),
        other => panic!("behavior {other:?}: {decision}"),
    }
    decision
}

#[sqlx::test]
async fn approval_prompt_decides_like_the_hooks_and_waits_for_the_human_with_progress(pool: PgPool) {
    let api = seeded(&pool).await;
    let ava = agent(&api, "Ava").await;
    let listening = Listening::default();
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", api.url)).auth_header(ava.token.clone());
    let client = std::sync::Arc::new(
        listening
            .clone()
            .serve(StreamableHttpClientTransport::from_config(config))
            .await
            .unwrap(),
    );

    // GREEN: allowed at once, the input echoed as updatedInput.
    let read = json!({ "tool_name": "Read", "input": { "file_path": "/home/dev/shop/README.md" }, "tool_use_id": "toolu_01" });
    let decision = permission(&call(&client, "approval_prompt", read).await);
    assert_eq!(
        decision,
        json!({ "behavior": "allow", "updatedInput": { "file_path": "/home/dev/shop/README.md" } })
    );

    // RED: waits for the CAO, telling the client it is alive; allowed once approved.
    let push = json!({ "tool_name": "Bash", "input": { "command": "git push origin main" }, "tool_use_id": "toolu_02" });
    let waiting = tokio::spawn({
        let client = client.clone();
        async move {
            let mut meta = rmcp::model::RequestMetaObject::default();
            meta.set_progress_token(rmcp::model::ProgressToken(rmcp::model::NumberOrString::Number(7)));
            let mut params = CallToolRequestParams::new("approval_prompt").with_arguments(push.as_object().cloned().unwrap());
            params.meta = Some(meta);
            client.call_tool(params).await.unwrap()
        }
    });
    let id = pending_approval(&api, &ava).await;
    until_waiting(&api, 1).await;
    let heard = Instant::now();
    while listening.progress.lock().unwrap().is_empty() {
        assert!(heard.elapsed() < Duration::from_secs(15), "no progress notification while waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        listening.progress.lock().unwrap()[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("waiting for a human")),
        "the progress says what the call waits for"
    );
    let decided = Instant::now();
    let approve = api.post(&format!("/api/approvals/{id}/approve"), "{}").await;
    assert_eq!(approve.status, StatusCode::OK, "{}", approve.body);
    let decision = permission(&waiting.await.unwrap());
    assert!(decided.elapsed() < PROMPTLY);
    assert_eq!(
        decision,
        json!({ "behavior": "allow", "updatedInput": { "command": "git push origin main" } })
    );

    // Denied with the CAO's words; a malformed call is a deny too (never an allow).
    let rm = json!({ "tool_name": "Bash", "input": { "command": "rm -rf build" } });
    let waiting = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "approval_prompt", rm).await }
    });
    let id = pending_approval(&api, &ava).await;
    until_waiting(&api, 1).await;
    let deny = api
        .post(&format!("/api/approvals/{id}/deny"), r#"{"reason":"use cargo clean instead"}"#)
        .await;
    assert_eq!(deny.status, StatusCode::OK, "{}", deny.body);
    let decision = permission(&waiting.await.unwrap());
    assert_eq!(decision["behavior"], "deny");
    assert!(
        decision["message"].as_str().unwrap().contains("use cargo clean instead"),
        "{decision}"
    );
    let decision = permission(&call(&client, "approval_prompt", json!({ "tool_name": "Bash", "input": "rm -rf /" })).await);
    assert_eq!(decision["behavior"], "deny");

    std::sync::Arc::into_inner(client).unwrap().cancel().await.unwrap();
    api.stop().await;
}
