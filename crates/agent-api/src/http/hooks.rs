//! `/api/hooks/*`: Claude Code's and Codex's hooks ask before every tool call, in their own
//! formats (the inputs their hooks send, the outputs they read: see `tests/fixtures/hooks`).
//! The decision is the core's (`App::govern_tool_call`); here are only the two encodings.
//!
//! Both answer 200 with a decision or an error status with the API's JSON error. The command
//! hook (`mission-control hook`) turns any error into exit code 2, which both agents take as
//! "blocked"; Claude Code's `http` hook type would take it as "go ahead" (it fails open).

use super::error::{ApiResult, NotFound, Unprocessable};
use super::extract::{Caller, Held, JsonBody};
use super::HttpState;
use axum::extract::State;
use axum::Json;
use mc_core::app::bridge::{ToolAnswer, ToolCallRequest};
use mc_domain::{ToolClient, ToolDecision};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The Claude Code hook events that decide a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum ClaudeCodeEvent {
    PreToolUse,
    PermissionRequest,
}

/// Claude Code's hook input for `PreToolUse` and `PermissionRequest`, as its hooks send it.
/// What it sends beside these (`transcript_path`, `tool_use_id`, `permission_suggestions`,
/// `permission_mode`, `agent_id` …) is accepted and not used.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaudeCodeHookInput {
    pub session_id: String,
    pub cwd: String,
    pub hook_event_name: ClaudeCodeEvent,
    pub tool_name: String,
    #[schema(value_type = Object)]
    pub tool_input: Value,
}

/// The only event Codex asks with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum CodexEvent {
    PermissionRequest,
}

/// Codex's `PermissionRequest` hook input (`tool_name` is `Bash` for shell commands,
/// `NetworkAccess` for network approvals). `transcript_path`, `model`, `permission_mode` and
/// `turn_id` are accepted and not used.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodexHookInput {
    pub session_id: String,
    pub cwd: String,
    pub hook_event_name: CodexEvent,
    pub tool_name: String,
    #[schema(value_type = Object)]
    pub tool_input: Value,
}

/// `allow` or `deny`, as both agents spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Behavior {
    Allow,
    Deny,
}

impl From<ToolDecision> for Behavior {
    fn from(d: ToolDecision) -> Self {
        match d {
            ToolDecision::Allowed => Behavior::Allow,
            ToolDecision::Denied => Behavior::Deny,
        }
    }
}

/// A hook's answer: `{"hookSpecificOutput": …}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookOutput<T> {
    pub hook_specific_output: T,
}

/// Claude Code's `PreToolUse` output.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreToolUseOutput {
    /// Always `PreToolUse`.
    pub hook_event_name: ClaudeCodeEvent,
    pub permission_decision: Behavior,
    pub permission_decision_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub updated_input: Option<Value>,
}

/// The decision of a `PermissionRequest` output.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDecision {
    pub behavior: Behavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub updated_input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Claude Code's and Codex's `PermissionRequest` output.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionRequestOutput {
    /// Always `PermissionRequest`.
    pub hook_event_name: ClaudeCodeEvent,
    pub decision: PermissionDecision,
}

/// Claude Code's answer, by the event it asked with.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ClaudeCodeOutput {
    PreToolUse(HookOutput<PreToolUseOutput>),
    PermissionRequest(HookOutput<PermissionRequestOutput>),
}

/// Claude Code's answer to `event` for `outcome`.
pub fn claude_code_output(event: ClaudeCodeEvent, outcome: ToolAnswer) -> ClaudeCodeOutput {
    let behavior = Behavior::from(outcome.decision);
    match event {
        ClaudeCodeEvent::PreToolUse => ClaudeCodeOutput::PreToolUse(HookOutput {
            hook_specific_output: PreToolUseOutput {
                hook_event_name: ClaudeCodeEvent::PreToolUse,
                permission_decision: behavior,
                permission_decision_reason: outcome.reason,
                updated_input: outcome.updated_input.filter(|_| behavior == Behavior::Allow),
            },
        }),
        ClaudeCodeEvent::PermissionRequest => ClaudeCodeOutput::PermissionRequest(HookOutput {
            hook_specific_output: PermissionRequestOutput {
                hook_event_name: ClaudeCodeEvent::PermissionRequest,
                decision: match behavior {
                    Behavior::Allow => PermissionDecision {
                        behavior,
                        updated_input: outcome.updated_input,
                        message: None,
                    },
                    Behavior::Deny => PermissionDecision {
                        behavior,
                        updated_input: None,
                        message: Some(outcome.reason),
                    },
                },
            },
        }),
    }
}

/// Codex's answer: never `updatedInput` or `updatedPermissions` (Codex fails closed on them);
/// a changed command is a deny that says what to run instead.
pub fn codex_output(outcome: ToolAnswer) -> HookOutput<PermissionRequestOutput> {
    let (behavior, message) = match (outcome.decision, &outcome.updated_input) {
        (ToolDecision::Allowed, None) => (Behavior::Allow, None),
        (ToolDecision::Allowed, Some(changed)) => {
            let command = changed
                .get("command")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| changed.to_string());
            (
                Behavior::Deny,
                Some(format!(
                    "{}; a human changed the command: run this instead: {command}",
                    outcome.reason
                )),
            )
        }
        (ToolDecision::Denied, _) => (Behavior::Deny, Some(outcome.reason)),
    };
    HookOutput {
        hook_specific_output: PermissionRequestOutput {
            hook_event_name: ClaudeCodeEvent::PermissionRequest,
            decision: PermissionDecision {
                behavior,
                updated_input: None,
                message,
            },
        },
    }
}

/// Decides a tool call of Claude Code (a `PreToolUse` or `PermissionRequest` hook, with the
/// agent's token). GREEN answers at once; RED waits for a human up to `bridge.max_wait_secs`.
#[utoipa::path(post, path = "/api/hooks/claude-code", operation_id = "claudeCodeHook", tag = "hooks",
    request_body = ClaudeCodeHookInput,
    responses((status = 200, body = ClaudeCodeOutput), NotFound, Unprocessable))]
pub async fn claude_code(
    Caller(actor): Caller,
    Held(held): Held,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<ClaudeCodeHookInput>,
) -> ApiResult<Json<ClaudeCodeOutput>> {
    let event = body.hook_event_name;
    let request = ToolCallRequest {
        client: ToolClient::ClaudeCode,
        session_id: Some(body.session_id),
        cwd: Some(body.cwd),
        tool_name: body.tool_name,
        input: body.tool_input,
    };
    let outcome = ctx.app.govern_tool_call(&actor, request, Some(held)).await?;
    Ok(Json(claude_code_output(event, outcome)))
}

/// Codex asks network approvals as `Bash` with the originating command and the description
/// `network-access <domain>`: those are decided as the tool `NetworkAccess` (RED unless a rule
/// says otherwise), never as the command alone.
fn codex_tool<'a>(tool: &'a str, input: &Value) -> &'a str {
    let network = input
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.trim_start().starts_with("network-access"));
    if tool == "Bash" && network {
        "NetworkAccess"
    } else {
        tool
    }
}

/// Decides a tool call of Codex (its `PermissionRequest` hook, with the agent's token).
#[utoipa::path(post, path = "/api/hooks/codex", operation_id = "codexHook", tag = "hooks",
    request_body = CodexHookInput,
    responses((status = 200, body = HookOutput<PermissionRequestOutput>), NotFound, Unprocessable))]
pub async fn codex(
    Caller(actor): Caller,
    Held(held): Held,
    State(ctx): State<HttpState>,
    JsonBody(body): JsonBody<CodexHookInput>,
) -> ApiResult<Json<HookOutput<PermissionRequestOutput>>> {
    let _ = body.hook_event_name;
    let request = ToolCallRequest {
        client: ToolClient::Codex,
        session_id: Some(body.session_id),
        cwd: Some(body.cwd),
        tool_name: codex_tool(&body.tool_name, &body.tool_input).to_string(),
        input: body.tool_input,
    };
    let outcome = ctx.app.govern_tool_call(&actor, request, Some(held)).await?;
    Ok(Json(codex_output(outcome)))
}
