//! The MCP adapter: `/mcp`, a Model Context Protocol server (Streamable HTTP, the official
//! `rmcp` SDK), so that agents people already run — Claude Code, Codex, Cursor, anything on an
//! agent SDK — plug into Mission Control as they are, instead of being written against the
//! REST API.
//!
//! It is an adapter like `http` and `telegram`: each tool is a thin call of the same use case
//! the REST handler calls, with no rule of its own. The session is the agent acting as itself:
//! every HTTP request carries the agent's bearer token, checked (and rate limited) by the same
//! extractor as the REST API before anything reaches the MCP layer, so a missing or bad token
//! is a 401 and opens no session, and an operator's token is refused (403): operators have the
//! API and the bot. Results are the REST answer as structured content plus a one-line text;
//! refusals are tool errors (`isError: true`) carrying the API's error body, code and message
//! (the `http::error` mapping, not a copy). Malformed arguments are tool errors too, with the
//! REST API's `validation_failed` wording, so a model can read them and correct itself.
//!
//! `heartbeat`, `request_approval` and `get_approval` can wait (`waitSeconds`, up to 600) and
//! answer the moment there is news (`app::waits`); they hold no database connection while
//! they wait.

use crate::http::error::ApiError;
use crate::http::extract::{parse_json, Caller, Held};
use crate::http::metrics::{self, RequestMetrics, ToolOutcome};
use crate::http::HttpState;
use crate::protocol::{AskQuestion, ReportRun, RequestApproval};
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use mc_core::app::agents::HeartbeatReport;
use mc_core::app::bridge::{ToolAnswer, ToolCallRequest};
use mc_core::app::idempotency::{Claim, Start};
use mc_core::app::questions::QuestionAnswer;
use mc_core::app::runs::RunOutcome;
use mc_core::app::tasks::{TransitionOutcome, TransitionTask};
use mc_core::app::tokens::Credential;
use mc_core::app::waits::ApprovalAnswer;
use mc_core::app::{App, AppError, AppResult};
use mc_core::model::{Approval, Comment, Task};
use mc_domain::i18n::Msg;
use mc_domain::waits::MAX_WAIT_SECS;
use mc_domain::{Actor, TaskStatus, ToolClient, ToolDecision, WaitSeconds};
use rmcp::handler::server::common::{schema_for_input, FromContextPart};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::{Extension, ToolCallContext};
use rmcp::model::{CallToolResult, ContentBlock, Implementation, JsonObject, ProgressNotificationParam, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::transport::common::http_header::HEADER_SESSION_ID;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::SessionId;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::RoleServer;
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sessions::{Refusal, Sessions};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub mod sessions;

/// The path the server answers on.
pub const PATH: &str = "/mcp";

/// `/mcp`, behind the agent-token check, the body limit and the request metrics. Cancelling
/// `shutdown` ends every MCP stream, so open sessions do not hold up the server's graceful
/// shutdown (and stops the watcher that closes sessions whose token stopped working).
pub fn router(state: HttpState, shutdown: CancellationToken) -> Router {
    let app = state.app.clone();
    let mut manager = LocalSessionManager::default();
    // A session whose agent is inside a long wait is idle meanwhile: it must outlive the wait.
    manager.session_config.keep_alive = Some(Duration::from_secs(MAX_WAIT_SECS + 300));
    let manager = Arc::new(manager);
    let sessions = Sessions::new(
        manager.clone(),
        state.settings.limits.max_mcp_sessions_per_agent,
        state.metrics.mcp_sessions(),
    );
    tokio::spawn(sessions.clone().watch(app.clone(), shutdown.clone()));
    let config = StreamableHttpServerConfig::default()
        // rmcp refuses Host headers other than loopback by default, against DNS rebinding of
        // unauthenticated local servers; every request here carries a bearer token instead, and
        // the service runs under whatever name its operators give it.
        .disable_allowed_hosts()
        .with_cancellation_token(shutdown);
    let metrics = state.metrics.clone();
    let service = StreamableHttpService::new(move || Ok(AgentTools::new(app.clone(), metrics.clone())), manager, config);
    Router::new()
        .route_service(PATH, service)
        .layer(middleware::from_fn_with_state((state.clone(), sessions), authenticate))
        .layer(middleware::from_fn_with_state(state, metrics::track))
}

/// Lets through only requests with a live agent token, a body within `http.body_limit_bytes`,
/// to a session of the agent's own, opening at most `limits.max_mcp_sessions_per_agent`
/// sessions; the agent rides along in the request's extensions, where the tools find it.
async fn authenticate(State((state, sessions)): State<(HttpState, Arc<Sessions>)>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let actor = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(actor @ Actor::Agent { .. })) => actor,
        Ok(Caller(actor)) => {
            return ApiError::forbidden(format!(
                "the MCP server is for agents, and this token belongs to {} ({}): use the agent's own token \
                 (POST /api/agents/register issues one); operators have the REST API and the bot",
                actor.name(),
                actor.kind()
            ))
            .into_response()
        }
        Err(err) => {
            let mut response = err.into_response();
            if response.status() == axum::http::StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            return response;
        }
    };
    let Some(agent_id) = actor.id() else {
        return ApiError::from(AppError::Internal(anyhow::anyhow!("an agent without an id"))).into_response();
    };
    let bytes = match to_bytes(body, state.body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::payload_too_large(Some(state.body_limit)).into_response(),
    };
    let request = Request::from_parts(parts, Body::from(bytes));
    let session = request.headers().get(HEADER_SESSION_ID).and_then(|v| v.to_str().ok());
    let refusal = |refusal: Refusal| -> Response {
        let err = match refusal {
            Refusal::TooMany { max } => AppError::Busy {
                message: Msg::new("err-too-many-mcp-sessions")
                    .with("agent", actor.name())
                    .count("max", max as f64),
                retry_after_secs: SESSION_RETRY_AFTER_SECS,
            },
            Refusal::NotYours => AppError::Forbidden(Msg::new("err-mcp-session-not-yours")),
        };
        ApiError::from(err).into_response()
    };
    match session {
        Some(id) => match sessions.may_use(id, agent_id) {
            Ok(()) => next.run(request).await,
            Err(why) => refusal(why),
        },
        // A POST without a session is an `initialize`: it opens one.
        None if request.method() == Method::POST => {
            let held = request.extensions().get::<Held>().map(|held| held.0);
            let opening = match sessions.open(agent_id, held).await {
                Ok(opening) => opening,
                Err(why) => return refusal(why),
            };
            let response = next.run(request).await;
            let opened = response
                .headers()
                .get(HEADER_SESSION_ID)
                .and_then(|v| v.to_str().ok())
                .map(SessionId::from);
            opening.opened(opened);
            response
        }
        None => next.run(request).await,
    }
}

/// How long a client told "too many sessions" waits before trying again.
const SESSION_RETRY_AFTER_SECS: u64 = 30;

// ---- What the tools take ------------------------------------------------------------------------

/// A tool's input: the operation's own arguments (for the operations REST has too, the very
/// type it takes: `crate::protocol`), plus the options of this encoding the tool takes —
/// `idempotencyKey` and `waitSeconds`, which REST carries as a header and as `?wait=`.
pub trait ToolInput: DeserializeOwned + JsonSchema + 'static {
    /// Takes `idempotencyKey`: a retry with the same key and arguments answers the first
    /// call's result again instead of acting twice.
    const KEY: bool = false;
    /// Takes `waitSeconds` (0–600), described so.
    const WAIT: Option<&'static str> = None;
}

const KEY_DESCRIPTION: &str = "Any unique string (e.g. a UUID): a retry of this call with the same key and arguments answers the first call's result again instead of acting twice.";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatInput {}

impl ToolInput for HeartbeatInput {
    const WAIT: Option<&'static str> = Some(
        "Seconds (0–600) to wait for news before answering: a notification (a pause, a resume, an assignment, a comment, a decision) or `stop` changing ends the wait at once.",
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimTaskInput {
    /// The inbox task to take; without it, the best inbox task of the agent's types.
    pub task_id: Option<Uuid>,
}

impl ToolInput for ClaimTaskInput {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTaskInput {
    pub task_id: Uuid,
    /// 3 to 6 bullets: how the agent will do the task.
    #[schemars(schema_with = "crate::protocol::mcp_schema::work_plan_bullets")]
    pub work_plan: Vec<String>,
}

impl ToolInput for StartTaskInput {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentInput {
    pub task_id: Uuid,
    #[schemars(schema_with = "crate::protocol::mcp_schema::comment_body")]
    pub body: String,
}

impl ToolInput for CommentInput {
    const KEY: bool = true;
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitForReviewInput {
    pub task_id: Uuid,
    /// What the agent hands in (the work itself, or where it is).
    #[schemars(schema_with = "crate::protocol::mcp_schema::deliverable_text")]
    pub deliverable: String,
}

impl ToolInput for SubmitForReviewInput {}

impl ToolInput for ReportRun {
    const KEY: bool = true;
}

impl ToolInput for RequestApproval {
    /// Filed once per key: a retry (say, after a timeout during the wait) waits for the
    /// decision on the request the first call filed.
    const KEY: bool = true;
    const WAIT: Option<&'static str> = Some(
        "Seconds (0–600) to wait for a person's decision; the call returns the moment it is taken (or when the agent is told to stop), else `pending` after that long.",
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetApprovalInput {
    pub approval_id: Uuid,
}

impl ToolInput for GetApprovalInput {
    const WAIT: Option<&'static str> = Some("Seconds (0–600) to wait while it is still pending; returns the moment it is decided.");
}

impl ToolInput for AskQuestion {
    const WAIT: Option<&'static str> = Some(
        "Seconds (0–600) to wait for a person's answer; the call returns the moment it is given (or the question expires, or the agent is told to stop), else `pending` after that long: then call get_answer.",
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAnswerInput {
    pub question_id: Uuid,
}

impl ToolInput for GetAnswerInput {
    const WAIT: Option<&'static str> =
        Some("Seconds (0–600) to wait while the question is open; returns the moment it is answered, expires or is canceled.");
}

/// Claude Code's `--permission-prompt-tool` input: the tool it wants to use and its input.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApprovalPromptInput {
    /// The tool Claude Code wants to use, e.g. `Bash`, `Edit`, `mcp__github__create_issue`.
    pub tool_name: String,
    /// The tool's input, as Claude Code would run it.
    #[schemars(with = "JsonObject")]
    pub input: serde_json::Value,
    /// Claude Code's id of this tool use.
    pub tool_use_id: Option<String>,
}

impl ToolInput for ApprovalPromptInput {}

/// How often a waiting `approval_prompt` tells a client that asked for progress it is alive.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The permission prompt's answer, as Claude Code reads it: one text content holding
/// `{"behavior":"allow","updatedInput":{…}}` (the input echoed when unchanged) or
/// `{"behavior":"deny","message":"…"}`. A refusal (bad input, a stopped token) is a deny:
/// nothing but an allow lets the tool run.
fn permission_answer(outcome: Result<ToolAnswer, ApiError>, input: &serde_json::Value) -> CallToolResult {
    let decision = match outcome {
        Ok(o) if o.decision == ToolDecision::Allowed => {
            json!({ "behavior": "allow", "updatedInput": o.updated_input.unwrap_or_else(|| input.clone()) })
        }
        Ok(o) => json!({ "behavior": "deny", "message": o.reason }),
        Err(e) => json!({ "behavior": "deny", "message": format!("Mission Control could not decide ({}): {}", e.code, e.message) }),
    };
    CallToolResult::success(vec![ContentBlock::text(decision.to_string())])
}

/// This encoding's options of a call, as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CallOptions {
    idempotency_key: Option<String>,
    wait_seconds: Option<u64>,
}

/// A tool's arguments, parsed as the REST API parses a body: a malformed argument is a tool
/// error with the API's `validation_failed` message rather than a protocol error the model
/// never sees. Also what a retry must repeat to be the same call: the arguments but the
/// options.
pub struct Args<T> {
    parsed: Result<T, ApiError>,
    key: Option<String>,
    wait: Option<u64>,
    fingerprint: Vec<u8>,
}

impl<S, T: ToolInput> FromContextPart<ToolCallContext<'_, S>> for Args<T> {
    fn from_context_part(context: &mut ToolCallContext<S>) -> Result<Self, ErrorData> {
        let mut arguments = context.arguments.take().unwrap_or_default();
        let internal = |e: serde_json::Error| ErrorData::internal_error(e.to_string(), None);
        // Only the options the tool takes are taken out; any other stays, and is refused as
        // an unknown field.
        let mut options = JsonObject::new();
        for (name, taken) in [("idempotencyKey", T::KEY), ("waitSeconds", T::WAIT.is_some())] {
            if let Some(value) = taken.then(|| arguments.remove(name)).flatten() {
                options.insert(name.to_string(), value);
            }
        }
        let fingerprint = serde_json::to_vec(&serde_json::Value::Object(arguments)).map_err(internal)?;
        let options_sent = serde_json::to_vec(&serde_json::Value::Object(options)).map_err(internal)?;
        let (parsed, options) = match parse_json::<CallOptions>(&options_sent) {
            Ok(options) => (parse_json(&fingerprint), options),
            Err(refused) => (Err(refused), CallOptions::default()),
        };
        Ok(Args {
            parsed,
            key: options.idempotency_key,
            wait: options.wait_seconds,
            fingerprint,
        })
    }
}

/// The JSON schema of a tool's input: the operation's own, with the options the tool takes.
fn input<T: ToolInput>() -> Arc<JsonObject> {
    let own = schema_for_input::<T>().unwrap_or_else(|e| panic!("the input schema of {}: {e}", std::any::type_name::<T>()));
    let mut schema = (*own).clone();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| serde_json::Value::Object(JsonObject::new()))
        .as_object_mut()
        .expect("properties are an object");
    if T::KEY {
        properties.insert(
            "idempotencyKey".into(),
            json!({ "type": ["string", "null"], "description": KEY_DESCRIPTION }),
        );
    }
    if let Some(description) = T::WAIT {
        properties.insert(
            "waitSeconds".into(),
            json!({ "type": ["integer", "null"], "format": "uint64", "minimum": 0, "maximum": MAX_WAIT_SECS, "description": description }),
        );
    }
    Arc::new(schema)
}

// ---- The tools ---------------------------------------------------------------------------------

/// One MCP session's tools; the agent comes with each request.
#[derive(Clone)]
pub struct AgentTools {
    app: App,
    metrics: RequestMetrics,
    tool_router: ToolRouter<Self>,
}

/// The agent a request's token belongs to (put there by [`authenticate`]).
fn agent_of(parts: &Parts) -> Result<(Actor, Uuid, Uuid), ErrorData> {
    match parts.extensions.get::<Caller>() {
        Some(Caller(actor @ Actor::Agent { id, project_id, .. })) => Ok((actor.clone(), *id, *project_id)),
        _ => Err(ErrorData::internal_error(
            "no agent on this request (the token check did not run)",
            None,
        )),
    }
}

/// The token the request was made with (a wait ends when it stops working).
fn held_of(parts: &Parts) -> Option<Credential> {
    parts.extensions.get::<Held>().map(|held| held.0)
}

fn wait_of(seconds: Option<u64>) -> AppResult<WaitSeconds> {
    Ok(WaitSeconds::optional("waitSeconds", seconds)?)
}

/// The answer of a use case as a tool result: the REST JSON as structured content, a short
/// text first (also the JSON as text, for clients that read no structured content); a refusal
/// as a tool error with the API's error body.
fn answer<T: Serialize>(result: Result<T, ApiError>, say: impl FnOnce(&T) -> String) -> Result<CallToolResult, ErrorData> {
    match result {
        Ok(value) => {
            let text = say(&value);
            let json = serde_json::to_value(&value).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            let mut result = CallToolResult::structured(json);
            result.content.insert(0, ContentBlock::text(text));
            Ok(result)
        }
        Err(err) => {
            // The message often names its code already ("forbidden: ..."): say it once.
            let text = match err.message.starts_with(err.code) {
                true => err.message.clone(),
                false => format!("{}: {}", err.code, err.message),
            };
            let mut error = json!({ "code": err.code, "message": err.message });
            if let Some(details) = err.details {
                error["details"] = details;
            }
            let mut result = CallToolResult::structured_error(json!({ "error": error }));
            result.content.insert(0, ContentBlock::text(text));
            Ok(result)
        }
    }
}

/// Runs a use case on parsed arguments; a refusal of either becomes the API's error.
async fn call<I, T, F>(args: Args<I>, run: impl FnOnce(I) -> F) -> Result<T, ApiError>
where
    F: std::future::Future<Output = AppResult<T>>,
{
    let input = args.parsed?;
    run(input).await.map_err(ApiError::from)
}

fn approval_text(answer: &ApprovalAnswer) -> String {
    let a = &answer.approval;
    let mut text = format!("{} ({}, {}) is {}", a.code(), a.action_type, a.risk, a.status);
    if let Some(by) = &a.decided_by_name {
        text.push_str(&format!(" by {by}"));
    }
    if let Some(note) = &a.decision_note {
        text.push_str(&format!(": {note}"));
    }
    if let Some(reason) = &answer.reason {
        text.push_str(&format!(". STOP: {reason}"));
    }
    text
}

fn question_text(answer: &QuestionAnswer) -> String {
    let mut text = format!("{} is {}", answer.code, answer.status);
    if let Some(given) = &answer.answer {
        let mut said: Vec<String> = given.options.iter().map(|o| o.join(", ")).collect();
        said.extend(given.text.clone());
        text.push_str(&format!(": {} (answered by {})", said.join(" — "), given.by));
    }
    if let Some(reason) = &answer.reason {
        text.push_str(&format!(". STOP: {reason}"));
    }
    text
}

fn task_text(verb: &str, task: &Task) -> String {
    format!("{verb} #{} \"{}\" ({})", task.number, task.title, task.status)
}

/// Where a call with an idempotency key stands.
enum Once {
    /// No key, or the key's first call: run it (and finish the claim with its result).
    Run(Option<Claim>),
    /// Answered before (or refused now, e.g. the key was used for other arguments).
    Done(CallToolResult),
}

/// The approval a first `request_approval` filed, from its stored result (None: it was refused).
fn first_approval(first: &CallToolResult) -> Option<Uuid> {
    if first.is_error == Some(true) {
        return None;
    }
    let id = first.structured_content.as_ref()?.get("id")?.as_str()?;
    Uuid::parse_str(id).ok()
}

impl AgentTools {
    /// A tool's answer, counted in `mc_mcp_tool_calls_total`.
    fn answered<T: Serialize>(
        &self,
        tool: &'static str,
        result: Result<T, ApiError>,
        say: impl FnOnce(&T) -> String,
    ) -> Result<CallToolResult, ErrorData> {
        let outcome = match &result {
            Ok(_) => ToolOutcome::Ok,
            Err(e) if e.status.is_server_error() => ToolOutcome::Failed,
            Err(_) => ToolOutcome::Refused,
        };
        self.metrics.count_tool_call(tool, outcome);
        answer(result, say)
    }

    /// Counts an answer made elsewhere.
    fn count(&self, tool: &'static str, result: CallToolResult) -> CallToolResult {
        let outcome = match result.is_error {
            Some(true) => ToolOutcome::Refused,
            _ => ToolOutcome::Ok,
        };
        self.metrics.count_tool_call(tool, outcome);
        result
    }

    /// Claims the call's idempotency key, if it has one, as `Idempotency-Key` does for REST
    /// (same store, keyed by the agent): the tool and its arguments but the wait are the request.
    async fn begin_once<I>(&self, actor: &Actor, tool: &'static str, args: &Args<I>) -> Result<Once, ErrorData> {
        let Some(key) = &args.key else { return Ok(Once::Run(None)) };
        match self
            .app
            .begin_idempotent(actor, key, &[b"mcp", tool.as_bytes(), &args.fingerprint])
            .await
        {
            Ok(Start::New(claim)) => Ok(Once::Run(Some(claim))),
            Ok(Start::Replay { body, .. }) => {
                let first: CallToolResult = serde_json::from_slice(&body)
                    .map_err(|e| ErrorData::internal_error(format!("the stored result of {tool}: {e}"), None))?;
                Ok(Once::Done(self.count(tool, first)))
            }
            Err(err) => Ok(Once::Done(self.answered(tool, Err::<(), _>(err.into()), |_| String::new())?)),
        }
    }

    /// Stores the result for the key's retries; a failure worth retrying frees the key instead.
    async fn finish_once(&self, claim: Option<Claim>, result: &CallToolResult, retry_worthy: bool) {
        let Some(claim) = claim else { return };
        let stored = match (retry_worthy, serde_json::to_vec(result)) {
            (false, Ok(bytes)) => {
                self.app
                    .finish_idempotent(claim, 200, Some("application/json"), &bytes, false)
                    .await
            }
            _ => self.app.abandon_idempotent(claim).await,
        };
        if let Err(e) = stored {
            tracing::warn!(error = %e, "mcp: could not record a call's idempotency key; a retry runs it again");
        }
    }

    /// Runs a use case once per idempotency key: a retry gets the first result again.
    async fn once<I, T, F>(
        &self,
        actor: &Actor,
        tool: &'static str,
        args: Args<I>,
        run: impl FnOnce(I) -> F,
        say: impl FnOnce(&T) -> String,
    ) -> Result<CallToolResult, ErrorData>
    where
        T: Serialize,
        F: std::future::Future<Output = AppResult<T>>,
    {
        let claim = match self.begin_once(actor, tool, &args).await? {
            Once::Done(first) => return Ok(first),
            Once::Run(claim) => claim,
        };
        let result = call(args, run).await;
        let retry_worthy = matches!(&result, Err(e) if e.status.is_server_error());
        let answered = self.answered(tool, result, say)?;
        self.finish_once(claim, &answered, retry_worthy).await;
        Ok(answered)
    }
}

#[tool_router]
impl AgentTools {
    pub fn new(app: App, metrics: RequestMetrics) -> Self {
        AgentTools {
            app,
            metrics,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Say you are alive and learn what you must know: `stop` (true: do nothing but heartbeat until told otherwise, e.g. paused or quarantined), `reason`, your notifications, your assigned tasks and your budget. With waitSeconds (up to 600) it waits for news and answers the moment there is some (a pause, an assignment, a comment, a decision): call it with a wait instead of sleeping when idle.",
        input_schema = input::<HeartbeatInput>()
    )]
    async fn heartbeat(&self, Extension(parts): Extension<Parts>, args: Args<HeartbeatInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, agent_id, _) = agent_of(&parts)?;
        let wait = args.wait;
        let result = call(args, |_: HeartbeatInput| async move {
            let wait = wait_of(wait)?;
            self.app.heartbeat_waiting(&actor, agent_id, wait, held_of(&parts)).await
        })
        .await;
        self.answered("heartbeat", result, |beat: &HeartbeatReport| match &beat.reason {
            Some(reason) if beat.stop => format!("STOP: {reason}"),
            _ => format!(
                "keep going: {} notification(s), {} assigned task(s), {} of today's budget left",
                beat.notifications.len(),
                beat.assigned_tasks.len(),
                beat.budget.remaining
            ),
        })
    }

    #[tool(
        description = "Take an inbox task: the one given by taskId, or the best one of your task types (highest priority, oldest first). It becomes assigned to you; then start it with start_task.",
        input_schema = input::<ClaimTaskInput>()
    )]
    async fn claim_task(&self, Extension(parts): Extension<Parts>, args: Args<ClaimTaskInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, project_id) = agent_of(&parts)?;
        let result = call(
            args,
            |input| async move { self.app.claim_task(&actor, project_id, input.task_id).await },
        )
        .await;
        self.answered("claim_task", result, |task: &Task| task_text("claimed", task))
    }

    #[tool(
        description = "Start work on a task assigned to you (it moves to in_progress), with a work plan of 3 to 6 bullets.",
        input_schema = input::<StartTaskInput>()
    )]
    async fn start_task(&self, Extension(parts): Extension<Parts>, args: Args<StartTaskInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let result = call(args, |input| async move {
            let moved = TransitionTask {
                to: Some(TaskStatus::InProgress),
                work_plan: Some(input.work_plan),
                ..Default::default()
            };
            self.app.transition_task(&actor, input.task_id, moved).await
        })
        .await;
        self.answered("start_task", result, |outcome: &TransitionOutcome| {
            task_text("started", &outcome.task)
        })
    }

    #[tool(
        description = "Comment on a task (progress, a question for the humans, a finding); its assignees and the task's thread in Telegram see it.",
        input_schema = input::<CommentInput>()
    )]
    async fn comment(&self, Extension(parts): Extension<Parts>, args: Args<CommentInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let who = &actor;
        let run = |input: CommentInput| async move { self.app.comment_on_task(who, input.task_id, &input.body, None).await };
        self.once(&actor, "comment", args, run, |comment: &Comment| {
            format!("commented on task {}", comment.task_id)
        })
        .await
    }

    #[tool(
        description = "Hand in a task in progress for review, with the deliverable (the work itself, or where to find it).",
        input_schema = input::<SubmitForReviewInput>()
    )]
    async fn submit_for_review(
        &self,
        Extension(parts): Extension<Parts>,
        args: Args<SubmitForReviewInput>,
    ) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let result = call(args, |input| async move {
            let moved = TransitionTask {
                to: Some(TaskStatus::Review),
                deliverable: Some(input.deliverable),
                ..Default::default()
            };
            self.app.transition_task(&actor, input.task_id, moved).await
        })
        .await;
        self.answered("submit_for_review", result, |outcome: &TransitionOutcome| {
            task_text("submitted", &outcome.task)
        })
    }

    #[tool(
        description = "Report a model run and its cost (after every run, also a failed one). Budgets are enforced here: reaching your daily cap pauses you and holds your task for approval (budgetExceeded, taskHeld).",
        input_schema = input::<ReportRun>()
    )]
    async fn report_run(&self, Extension(parts): Extension<Parts>, args: Args<ReportRun>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let who = &actor;
        let record = |input: ReportRun| async move { self.app.record_run(who, input.by(who)?).await };
        self.once(&actor, "report_run", args, record, |outcome: &RunOutcome| {
            let run = &outcome.run;
            let mut text = match (run.cost, run.priced_cost) {
                (None, _) => format!(
                    "recorded a {} run, unpriced: the price table does not know the model {} (report its cost)",
                    run.status,
                    run.model.as_deref().unwrap_or_default()
                ),
                (Some(cost), Some(priced)) if run.cost_mismatch => {
                    format!(
                        "recorded a {} run costing {cost}; the price table says {priced} (more than 5 % apart)",
                        run.status
                    )
                }
                (Some(cost), _) => format!("recorded a {} run costing {cost}", run.status),
            };
            if outcome.budget_exceeded {
                text.push_str("; the daily budget is reached: you are paused, STOP");
            }
            text
        })
        .await
    }

    #[tool(
        description = "Ask before a consequential action (sending email, spending money, deploying, deleting data...). Policy classifies the risk: green is approved at once, red waits for the human in charge (CAO), who decides from Telegram. With waitSeconds (up to 600) the call returns the moment the decision is taken; else poll get_approval. Act only on status `approved`.",
        input_schema = input::<RequestApproval>()
    )]
    async fn request_approval(&self, Extension(parts): Extension<Parts>, args: Args<RequestApproval>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let wait = args.wait;
        // Filed once per key: a retry (say, after a timeout during the wait) waits for the
        // decision on the request the first call filed.
        let approval_id = match self.begin_once(&actor, "request_approval", &args).await? {
            Once::Done(first) => match first_approval(&first) {
                Some(id) => id,
                None => return Ok(first),
            },
            Once::Run(claim) => {
                let who = &actor;
                let result = call(args, |input: RequestApproval| async move {
                    wait_of(wait)?;
                    self.app.request_approval(who, input.by(who)?).await
                })
                .await;
                let retry = matches!(&result, Err(e) if e.status.is_server_error());
                let id = result.as_ref().ok().map(|approval| approval.id);
                let filed = answer(result, |approval: &Approval| format!("{} filed", approval.code()))?;
                self.finish_once(claim, &filed, retry).await;
                match id {
                    Some(id) => id,
                    None => return Ok(self.count("request_approval", filed)),
                }
            }
        };
        let result = async { self.app.await_approval(&actor, approval_id, wait_of(wait)?, held_of(&parts)).await }
            .await
            .map_err(ApiError::from);
        self.answered("request_approval", result, approval_text)
    }

    #[tool(
        description = "Read one of your approval requests and its decision; with waitSeconds (up to 600) wait while it is pending, returning the moment it is approved, denied or expired.",
        input_schema = input::<GetApprovalInput>()
    )]
    async fn get_approval(&self, Extension(parts): Extension<Parts>, args: Args<GetApprovalInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let wait = args.wait;
        let result = call(args, |input: GetApprovalInput| async move {
            let wait = wait_of(wait)?;
            self.app.await_approval(&actor, input.approval_id, wait, held_of(&parts)).await
        })
        .await;
        self.answered("get_approval", result, approval_text)
    }

    #[tool(
        description = "Ask the humans a question and (with waitSeconds, up to 600) wait for the answer: free text, or 2–8 options (each a button in Telegram; multiSelect lets several be chosen). It is asked in the task's topic (taskId) or the chat's General. Returns {questionId, status, answer?: {text, options, by, at}}; `pending` after the wait: call get_answer. Unanswered questions expire (status `expired`).",
        input_schema = input::<AskQuestion>()
    )]
    async fn ask_human(&self, Extension(parts): Extension<Parts>, args: Args<AskQuestion>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let wait = args.wait;
        let result = call(args, |input: AskQuestion| async move {
            let wait = wait_of(wait)?;
            self.app.ask_question_waiting(&actor, input.into(), wait, held_of(&parts)).await
        })
        .await;
        self.answered("ask_human", result, question_text)
    }

    #[tool(
        description = "Read one of your questions and its answer; with waitSeconds (up to 600) wait while it is open, returning the moment it is answered, expires or is canceled.",
        input_schema = input::<GetAnswerInput>()
    )]
    async fn get_answer(&self, Extension(parts): Extension<Parts>, args: Args<GetAnswerInput>) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let wait = args.wait;
        let result = call(args, |input: GetAnswerInput| async move {
            let wait = wait_of(wait)?;
            self.app.await_answer(&actor, input.question_id, wait, held_of(&parts)).await
        })
        .await;
        self.answered("get_answer", result, question_text)
    }

    #[tool(
        description = "Claude Code's permission prompt (`claude -p --permission-prompt-tool mcp__<server>__approval_prompt`): Mission Control's policy decides the tool call; a RED one waits for a human's decision from Telegram. Answers Claude Code's permission result as JSON text.",
        input_schema = input::<ApprovalPromptInput>()
    )]
    async fn approval_prompt(
        &self,
        Extension(parts): Extension<Parts>,
        context: RequestContext<RoleServer>,
        args: Args<ApprovalPromptInput>,
    ) -> Result<CallToolResult, ErrorData> {
        let (actor, _, _) = agent_of(&parts)?;
        let input = match args.parsed {
            Ok(input) => input,
            Err(refused) => {
                self.metrics.count_tool_call("approval_prompt", ToolOutcome::Refused);
                return Ok(permission_answer(Err(refused), &serde_json::Value::Null));
            }
        };
        let request = ToolCallRequest {
            client: ToolClient::Mcp,
            session_id: parts
                .headers
                .get(HEADER_SESSION_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            cwd: None,
            tool_name: input.tool_name.clone(),
            input: input.input.clone(),
        };
        let deciding = self.app.govern_tool_call(&actor, request, held_of(&parts));
        tokio::pin!(deciding);
        let progress = context.meta.get_progress_token();
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        let mut ticks = 0u32;
        let outcome = loop {
            tokio::select! {
                outcome = &mut deciding => break outcome,
                _ = tick.tick() => {
                    if let Some(token) = &progress {
                        ticks += 1;
                        let note = ProgressNotificationParam::new(token.clone(), f64::from(ticks))
                            .with_message("waiting for a human's decision in Telegram");
                        if let Err(e) = context.peer.notify_progress(note).await {
                            tracing::debug!(error = %e, "mcp: a progress notification was not sent");
                        }
                    }
                }
            }
        };
        let outcome = outcome.map_err(ApiError::from);
        let counted = match &outcome {
            Ok(_) => ToolOutcome::Ok,
            Err(e) if e.status.is_server_error() => ToolOutcome::Failed,
            Err(_) => ToolOutcome::Refused,
        };
        self.metrics.count_tool_call("approval_prompt", counted);
        Ok(permission_answer(outcome, &input.input))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for AgentTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("mission-control", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "You are an agent of a squad run by Mission Control; humans watch and steer from Telegram. \
                 Heartbeat first and whenever idle (with waitSeconds rather than sleeping); when it says stop, \
                 stop working and only heartbeat. Claim a task, start it with a work plan, comment as you go, \
                 report every run's cost, and submit the deliverable for review. Ask request_approval before \
                 any consequential action and act only once it is approved.",
            )
    }
}
