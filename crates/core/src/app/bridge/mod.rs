//! The permission layer of the agents people already run: Claude Code's and Codex's hooks
//! (and Claude Code's `--permission-prompt-tool`) ask here before every tool call.
//!
//! One use case, [`App::govern_tool_call`], whatever the adapter: the tool-call policy
//! (`mc_domain::tools`) classifies the call; GREEN is allowed at once (even for a paused agent:
//! reading is how it finds out it was stopped), a stopped agent is denied everything else
//! (the kill switch), YELLOW is allowed and recorded in the agent's task timeline, RED becomes
//! an approval card and the call waits for the decision like any approval wait (woken by the
//! commit, ended by a pause). A wait that runs out denies with "still waiting for a human", and
//! the approval stays open: the same call repeated attaches to it instead of opening a second
//! card, and a decision made meanwhile is given to that repeated call, once.
//!
//! Every decision is one row of `tool_calls` and one audit event, in one transaction.

mod questions;

use super::agents::stop_reason;
use super::guards::lock_project_then_agent;
use super::tokens::Credential;
use super::work::Work;
use super::{App, AppError, AppResult};
use crate::model::notice::{Notice, Target, ToolCard};
use crate::model::{Agent, Approval, ToolGrant};
use crate::storage;
use crate::storage::approvals::{NewApproval, ToolCallCard};
use crate::storage::tool_calls::NewToolCall;
use mc_config::ToolPolicyLayers;
use mc_domain::grants::grantable;
use mc_domain::i18n::{Msg, Said};
use mc_domain::tool_questions::ASK_USER_QUESTION;
use mc_domain::tools::{call_text, check_hook_call, judged_cwd, mask_secrets, ToolCall, ToolPolicy, ToolRule, ToolRules, ToolVerdict};
use mc_domain::{Actor, AgentRole, ApprovalStatus, RiskLevel, ToolClient, ToolDecision, WaitSeconds};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The bridge's rules: how long a call waits for a human, and the policy for each project
/// configuration names and each role.
#[derive(Debug, Clone)]
pub struct BridgeRules {
    pub max_wait: WaitSeconds,
    policies: HashMap<(Option<String>, AgentRole), Arc<ToolPolicy>>,
}

impl Default for BridgeRules {
    fn default() -> Self {
        BridgeRules::new(
            WaitSeconds::new("bridge.max_wait_secs", 540).expect("540 s is a valid wait"),
            ToolPolicyLayers {
                projects: HashMap::new(),
                roles: HashMap::new(),
                global: ToolRules::default(),
            },
        )
    }
}

impl BridgeRules {
    /// Builds the policy of every (configured project or none, role) once: a call only looks
    /// its policy up.
    pub fn new(max_wait: WaitSeconds, layers: ToolPolicyLayers) -> Self {
        let roles = [AgentRole::Intern, AgentRole::Specialist, AgentRole::Lead];
        let slugs: Vec<Option<String>> = std::iter::once(None).chain(layers.projects.keys().cloned().map(Some)).collect();
        let mut policies = HashMap::new();
        for slug in &slugs {
            for role in roles {
                let mut named = Vec::new();
                if let Some(rules) = slug.as_ref().and_then(|s| layers.projects.get(s)) {
                    named.push((format!("project {}", slug.as_deref().unwrap_or_default()), rules.clone()));
                }
                if let Some(rules) = layers.roles.get(&role) {
                    named.push((format!("role {role}"), rules.clone()));
                }
                if !layers.global.is_empty() {
                    named.push(("configuration".to_string(), layers.global.clone()));
                }
                policies.insert((slug.clone(), role), Arc::new(ToolPolicy::new(named)));
            }
        }
        BridgeRules { max_wait, policies }
    }

    /// The policy for an agent of `role` in project `slug`.
    pub fn policy(&self, slug: &str, role: AgentRole) -> Arc<ToolPolicy> {
        self.policies
            .get(&(Some(slug.to_string()), role))
            .or_else(|| self.policies.get(&(None, role)))
            .cloned()
            .unwrap_or_else(|| Arc::new(ToolPolicy::shipped()))
    }
}

/// A tool call as an agent's permission layer sends it.
#[derive(Debug, Clone)]
pub struct ToolCallRequest {
    pub client: ToolClient,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    pub tool_name: String,
    pub input: Value,
}

/// What the call is told.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolAnswer {
    pub decision: ToolDecision,
    /// What the agent's model reads: why the call may go ahead or not.
    pub reason: String,
    /// The arguments a person changed before approving (`/edit`), when they did.
    pub updated_input: Option<Value>,
    pub risk: RiskLevel,
    /// What decided the risk.
    pub rule: String,
    /// The approval the call waited for, if it was RED.
    pub approval: Option<String>,
}

/// Longest summary kept of a call (the card's code block).
const MAX_SUMMARY: usize = 2000;

/// The input's identity: SHA-256 of the tool name and the input with every object's keys in
/// order, so the same call hashes the same however its JSON was written.
pub fn input_hash(tool: &str, input: &Value) -> String {
    fn canonical(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    canonical(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical(input, &mut text);
    let mut hasher = Sha256::new();
    hasher.update(tool.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    hex::encode(hasher.finalize())
}

/// The approval's action type for a tool: `tool.<name>` in the characters action types allow.
fn action_type(tool: &str) -> String {
    let name: String = tool
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut action = format!("tool.{name}");
    action.truncate(64);
    action
}

/// At most `max` characters: longer text keeps `max - 1` and ends with "…".
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some(_) => {
            let (at, _) = text.char_indices().nth(max - 1).expect("longer than max");
            format!("{}…", &text[..at])
        }
        None => text.to_string(),
    }
}

/// One call being decided: what is known before the decision.
struct Deciding<'a> {
    req: &'a ToolCallRequest,
    /// The call as policy judged it (in the working directory it was judged in).
    call: ToolCall<'a>,
    agent: &'a Agent,
    verdict: &'a ToolVerdict,
    hash: &'a str,
    summary: &'a str,
    rule: &'a str,
    started: std::time::Instant,
}

impl App {
    /// Decides one tool call of Claude Code or Codex for the agent whose token sent it,
    /// waiting for a human when it is RED (see the module's documentation). `held` is the
    /// token the call came with: a wait ends when it stops working.
    pub async fn govern_tool_call(&self, actor: &Actor, req: ToolCallRequest, held: Option<Credential>) -> AppResult<ToolAnswer> {
        let started = std::time::Instant::now();
        let Actor::Agent { id: agent_id, .. } = actor else {
            return Err(AppError::forbidden(Msg::new("err-tool-call-agent-only")));
        };
        check_hook_call(&req.tool_name, &req.input, req.session_id.as_deref(), req.cwd.as_deref())?;
        let (agent, slug, root) = self.call_context(*agent_id, req.session_id.as_deref()).await?;
        let policy = self.rules.bridge.policy(&slug, agent.role);
        let cwd = req.cwd.clone().unwrap_or_default();
        let call = ToolCall {
            tool: req.tool_name.trim(),
            input: &req.input,
            cwd: judged_cwd(root.as_deref(), &cwd),
        };
        let verdict = policy.classify(&call);
        let hash = input_hash(call.tool, &req.input);
        let summary = cut(&mask_secrets(&call_text(&call)), MAX_SUMMARY);
        let rule = verdict.decider.to_string();
        let d = Deciding {
            req: &req,
            call,
            agent: &agent,
            verdict: &verdict,
            hash: &hash,
            summary: &summary,
            rule: &rule,
            started,
        };
        // Claude Code's questions to its user go to the humans in the chat, whatever the rules
        // say of the tool: nobody sits at an agent's terminal to answer them.
        if d.call.tool == ASK_USER_QUESTION && matches!(req.client, ToolClient::ClaudeCode | ToolClient::Mcp) {
            if let Some(why) = stop_reason(&agent) {
                return self
                    .record(actor, &d, ToolDecision::Denied, "kill switch", &stopped(&why), None)
                    .await;
            }
            return self.ask_tool_questions(actor, &d, held).await;
        }
        if verdict.risk == RiskLevel::Green {
            return self
                .record(actor, &d, ToolDecision::Allowed, "policy", &allowed_reason(&d), None)
                .await;
        }
        if let Some(why) = stop_reason(&agent) {
            return self
                .record(actor, &d, ToolDecision::Denied, "kill switch", &stopped(&why), None)
                .await;
        }
        if verdict.risk == RiskLevel::Yellow {
            return self
                .record(actor, &d, ToolDecision::Allowed, "policy", &allowed_reason(&d), None)
                .await;
        }
        if let Some(grant) = self.covering_grant(&agent, &policy, &call).await? {
            let reason = format!("allowed by grant {} ({}) of {}", grant.code(), grant.rule, grant.created_by_name);
            return self
                .record_as(
                    actor,
                    &d,
                    ToolDecision::Allowed,
                    &format!("grant {}", grant.code()),
                    &reason,
                    None,
                    Some(&grant),
                )
                .await;
        }
        let approval = super::retry_conflicts(|| self.open_tool_approval(actor, &d)).await?;
        let approval = match approval.status.is_open() {
            true => {
                let answer = self.wait_for_decision(actor, approval, self.rules.bridge.max_wait, held).await?;
                if answer.stop {
                    let why = answer.reason.unwrap_or_default();
                    return self
                        .record(
                            actor,
                            &d,
                            ToolDecision::Denied,
                            "kill switch",
                            &stopped(&why),
                            Some(&answer.approval),
                        )
                        .await;
                }
                answer.approval
            }
            false => approval,
        };
        let code = approval.code();
        match approval.status {
            ApprovalStatus::Approved => {
                let by = approval.decided_by_name.clone().unwrap_or_default();
                let note = approval.decision_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
                let reason = format!("approved by {by} ({code}){note}");
                self.record(actor, &d, ToolDecision::Allowed, &by, &reason, Some(&approval)).await
            }
            ApprovalStatus::Denied => {
                let by = approval.decided_by_name.clone().unwrap_or_default();
                let note = approval.decision_note.clone().unwrap_or_default();
                let reason = format!("denied by {by} ({code}): {note}");
                self.record(actor, &d, ToolDecision::Denied, &by, &reason, Some(&approval)).await
            }
            ApprovalStatus::Expired | ApprovalStatus::Canceled => {
                let reason = format!("{code} {}: nobody decided; ask again if it is still needed", approval.status);
                self.record(actor, &d, ToolDecision::Denied, "expiry", &reason, Some(&approval))
                    .await
            }
            ApprovalStatus::Pending | ApprovalStatus::Escalated => {
                let reason = format!("still waiting for a human (approval {code}) — do other work and try again");
                self.record(actor, &d, ToolDecision::Denied, "timeout", &reason, Some(&approval))
                    .await
            }
        }
    }

    /// The agent, its project's slug, and the directory its session started in (calls are
    /// judged inside that, wherever the model `cd`s: `judged_cwd`), in one read.
    async fn call_context(&self, agent_id: Uuid, session: Option<&str>) -> AppResult<(Agent, String, Option<String>)> {
        let mut conn = self.pool.acquire().await?;
        storage::tool_calls::context(&mut conn, agent_id, session)
            .await?
            .ok_or_else(|| AppError::not_found("agent", agent_id))
    }

    /// The approval this RED call waits for: the agent's unanswered one for the same call
    /// (open, or decided after an earlier identical call gave up), or a new one with its card.
    async fn open_tool_approval(&self, actor: &Actor, d: &Deciding<'_>) -> AppResult<Approval> {
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let agent = lock_project_then_agent(&mut w, d.agent.id).await?;
        if let Some(known) = storage::approvals::lock_unanswered_tool_call(w.conn(), agent.id, d.hash).await? {
            let usable = known.status.is_open() || known.status == ApprovalStatus::Approved || known.status == ApprovalStatus::Denied;
            if usable {
                w.commit().await?;
                return Ok(known);
            }
        }
        let task = match agent.current_task_id {
            Some(id) => storage::tasks::by_id(w.conn(), id).await?,
            None => None,
        };
        let action = action_type(d.req.tool_name.trim());
        let summary = if d.summary.trim().is_empty() {
            d.req.tool_name.trim()
        } else {
            d.summary
        };
        let pending = storage::approvals::insert_pending(
            w.conn(),
            &NewApproval {
                project_id: agent.project_id,
                agent_id: agent.id,
                task_id: None,
                action_type: &action,
                action_summary: summary,
                risk: RiskLevel::Red,
                justification: "",
                rollback_plan: None,
                estimated_cost: None,
                expires_at: now + chrono::Duration::minutes(self.rules.approval_expiry_minutes as i64),
                tool: Some(ToolCallCard {
                    name: d.req.tool_name.trim(),
                    input: &d.req.input,
                    input_hash: d.hash,
                    cwd: d.req.cwd.as_deref(),
                    rule: d.rule,
                    client: d.req.client,
                }),
            },
            now,
        )
        .await?;
        w.audit(
            Some(agent.project_id),
            "approval.requested",
            "approval",
            pending.id,
            json!({ "code": pending.code(), "actionType": action, "risk": RiskLevel::Red, "tool": d.req.tool_name.trim(),
                    "inputHash": d.hash, "rule": d.rule, "client": d.req.client }),
        )
        .await?;
        let notice = Notice::ApprovalRequested {
            approval_id: pending.id,
            code: pending.code(),
            agent: agent.name.clone(),
            task_number: task.as_ref().map(|t| t.number),
            action_type: action.clone(),
            summary: summary.to_string(),
            risk: RiskLevel::Red,
            reasons: vec![Said::from(d.verdict.decider.msg())],
            justification: String::new(),
            rollback_plan: None,
            estimated_cost: None,
            expires_at: pending.expires_at,
            tool: Some(Box::new(ToolCard {
                client: d.req.client,
                tool: d.req.tool_name.trim().to_string(),
                text: summary.to_string(),
                cwd: d.req.cwd.clone(),
                rule: d.rule.to_string(),
                task: task.as_ref().map(|t| format!("#{} {}", t.number, t.title)),
                grant: ToolPolicy::suggest_grant(&d.call)
                    .filter(|rule| grantable(rule).is_ok())
                    .map(|rule| rule.to_string()),
                has_task: task.is_some(),
            })),
        };
        w.post(agent.project_id, Target::Approvals, &notice).await?;
        w.commit().await?;
        Ok(pending)
    }

    /// The live grant, if any, that covers this RED call of the agent.
    async fn covering_grant(&self, agent: &Agent, policy: &ToolPolicy, call: &ToolCall<'_>) -> AppResult<Option<ToolGrant>> {
        let grants = {
            let mut conn = self.pool.acquire().await?;
            storage::tool_grants::live_for_agent(&mut conn, agent.project_id, agent.id, agent.role, agent.current_task_id, self.now())
                .await?
        };
        if grants.is_empty() {
            return Ok(None);
        }
        // A grant whose rule no longer parses (the syntax changed) covers nothing.
        let rules: Vec<ToolRule> = grants.iter().filter_map(|g| ToolRule::parse(&g.rule).ok()).collect();
        let Some(used) = policy.granted(call, &rules) else {
            return Ok(None);
        };
        Ok(grants.into_iter().find(|g| g.rule == used.as_str()))
    }

    /// Records the decision (the call's row, the audit event, and that the approval's
    /// decision was given) in one transaction, and says it to the caller.
    async fn record(
        &self,
        actor: &Actor,
        d: &Deciding<'_>,
        decision: ToolDecision,
        decided_by: &str,
        reason: &str,
        approval: Option<&Approval>,
    ) -> AppResult<ToolAnswer> {
        self.record_as(actor, d, decision, decided_by, reason, approval, None).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_as(
        &self,
        actor: &Actor,
        d: &Deciding<'_>,
        decision: ToolDecision,
        decided_by: &str,
        reason: &str,
        approval: Option<&Approval>,
        grant: Option<&ToolGrant>,
    ) -> AppResult<ToolAnswer> {
        let (recorded, answer) = recorded(actor, d, decision, decided_by, reason, approval, grant);
        match approval {
            // A human's decision is rare: recorded on its own.
            Some(_) => self.write_decisions(std::slice::from_ref(&recorded)).await?,
            // Policy's and grants' decisions are many: recorded in batches.
            None => self.record_batched(recorded).await?,
        }
        Ok(answer)
    }

    /// Records a decision in the next batch, and returns once it is committed (a call is never
    /// answered with a decision that is not recorded). A batch that fails as a whole (a
    /// database blip) answers `None`, and the decision is written alone, with its own error.
    async fn record_batched(&self, recorded: Recorded) -> AppResult<()> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut log = self.decisions.state.lock().expect("decision log");
            log.queued.push((recorded.clone(), tx));
            !std::mem::replace(&mut log.writing, true)
        };
        if start {
            tokio::spawn(self.clone().write_batches());
        }
        match rx.await {
            Ok(true) => Ok(()),
            _ => self.write_decisions(std::slice::from_ref(&recorded)).await,
        }
    }

    /// Writes the queued decisions batch by batch until none is left.
    async fn write_batches(self) {
        loop {
            let batch: Vec<(Recorded, oneshot::Sender<bool>)> = {
                let mut log = self.decisions.state.lock().expect("decision log");
                if log.queued.is_empty() {
                    log.writing = false;
                    return;
                }
                let n = log.queued.len().min(DECISION_BATCH);
                log.queued.drain(..n).collect()
            };
            let rows: Vec<Recorded> = batch.iter().map(|(r, _)| r.clone()).collect();
            let written = self.write_decisions(&rows).await;
            if let Err(e) = &written {
                tracing::warn!(error = %e, decisions = rows.len(), "a batch of tool-call decisions failed; each is written alone");
            }
            for (_, tx) in batch {
                let _ = tx.send(written.is_ok());
            }
        }
    }

    /// Writes decisions in one transaction: each call's row, its audit event (as the agent that
    /// asked), the approval whose decision it was given, the grant's use.
    async fn write_decisions(&self, decisions: &[Recorded]) -> AppResult<()> {
        let Some(first) = decisions.first() else { return Ok(()) };
        let mut w = Work::begin(self, &first.actor).await?;
        let now = w.now;
        for r in decisions {
            w.switch_actor(r.actor.clone());
            storage::tool_calls::insert(w.conn(), &r.row, now).await?;
            if let Some(approval) = r.answered {
                storage::approvals::mark_answered(w.conn(), approval, now).await?;
            }
            if let Some(grant) = r.row.grant_id {
                storage::tool_grants::record_use(w.conn(), grant, now).await?;
            }
            if !r.used_questions.is_empty() {
                storage::questions::mark_used(w.conn(), &r.used_questions, now).await?;
            }
            w.audit(
                Some(r.row.project_id),
                &format!("tool_call.{}", r.row.decision),
                "tool_call",
                r.row.id,
                r.audit.clone(),
            )
            .await?;
        }
        w.commit().await?;
        Ok(())
    }
}

/// A decision as it is written (the call's row and audit event) and as it is answered.
#[allow(clippy::too_many_arguments)]
fn recorded(
    actor: &Actor,
    d: &Deciding<'_>,
    decision: ToolDecision,
    decided_by: &str,
    reason: &str,
    approval: Option<&Approval>,
    grant: Option<&ToolGrant>,
) -> (Recorded, ToolAnswer) {
    let latency_ms = i32::try_from(d.started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let row = NewToolCall {
        id: Uuid::new_v4(),
        project_id: d.agent.project_id,
        agent_id: d.agent.id,
        task_id: d.agent.current_task_id,
        client: d.req.client,
        session_id: d.req.session_id.clone(),
        cwd: d.req.cwd.clone(),
        tool_name: d.req.tool_name.trim().to_string(),
        input_hash: d.hash.to_string(),
        summary: d.summary.to_string(),
        risk: d.verdict.risk,
        rule: d.rule.to_string(),
        decision,
        decided_by: decided_by.to_string(),
        reason: Some(cut(reason, 4000)),
        approval_id: approval.map(|a| a.id),
        grant_id: grant.map(|g| g.id),
        latency_ms,
    };
    let audit = json!({
        "tool": row.tool_name, "inputHash": row.input_hash, "risk": row.risk, "rule": row.rule,
        "decision": decision, "decidedBy": decided_by, "latencyMs": latency_ms, "client": row.client,
        "sessionId": row.session_id, "approval": approval.map(Approval::code), "grant": grant.map(ToolGrant::code),
    });
    let recorded = Recorded {
        actor: actor.clone(),
        row,
        audit,
        answered: approval.filter(|a| !a.status.is_open()).map(|a| a.id),
        used_questions: Vec::new(),
    };
    let answer = ToolAnswer {
        decision,
        reason: reason.to_string(),
        updated_input: approval
            .filter(|a| decision == ToolDecision::Allowed && a.status == ApprovalStatus::Approved)
            .and_then(|a| a.updated_input.clone()),
        risk: d.verdict.risk,
        rule: d.rule.to_string(),
        approval: approval.map(Approval::code),
    };
    (recorded, answer)
}

/// Most decisions written in one transaction.
const DECISION_BATCH: usize = 500;

/// One decision waiting to be written.
#[derive(Debug, Clone)]
struct Recorded {
    actor: Actor,
    row: NewToolCall,
    audit: Value,
    /// The approval whose decision the call was given (used once).
    answered: Option<Uuid>,
    /// The questions whose answers the call was given (`AskUserQuestion`; used once).
    used_questions: Vec<Uuid>,
}

/// Decisions of policy and grants waiting for their batch: while one batch is written, the
/// decisions made meanwhile gather, and the next transaction writes them all — a commit per
/// batch rather than per call, so fifty sessions' reads cost the database a few commits.
#[derive(Debug, Default)]
pub struct DecisionLog {
    state: Mutex<LogState>,
}

#[derive(Debug, Default)]
struct LogState {
    queued: Vec<(Recorded, oneshot::Sender<bool>)>,
    /// A task is writing batches; it stops when it finds the queue empty.
    writing: bool,
}

fn allowed_reason(d: &Deciding<'_>) -> String {
    format!("Mission Control policy: {} ({})", d.verdict.risk, d.rule)
}

fn stopped(why: &str) -> String {
    format!("Mission Control stopped this agent ({why}): only read-only tools are allowed until a human resumes it")
}

/// What an agent did through its permission layer: its sessions, its tool calls today and the
/// last RED one (`/agent`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolActivity {
    pub sessions: Vec<storage::tool_calls::SessionSummary>,
    pub calls_today: i64,
    pub last_red: Option<crate::model::ToolCall>,
}

impl App {
    /// The agent's sessions (latest five), tool calls since midnight UTC and last RED call.
    pub async fn tool_activity(&self, actor: &Actor, agent_id: Uuid) -> AppResult<ToolActivity> {
        let agent = self.get_agent(actor, agent_id).await?;
        let mut conn = self.pool.acquire().await?;
        let midnight = self.now().date_naive().and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        Ok(ToolActivity {
            sessions: storage::tool_calls::sessions(&mut conn, agent.id, 5).await?,
            calls_today: storage::tool_calls::count_since(&mut conn, agent.id, midnight).await?,
            last_red: storage::tool_calls::last_red(&mut conn, agent.id).await?,
        })
    }

    /// What the tool-call policy says of `tool` with `input` in `cwd` for an agent of `role` in
    /// the project (`/policy Bash …`).
    pub fn tool_policy_check(&self, project_slug: &str, role: AgentRole, tool: &str, input: &Value, cwd: &str) -> ToolVerdict {
        let call = ToolCall { tool, input, cwd };
        self.rules.bridge.policy(project_slug, role).classify(&call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(green: &[&str], red: &[&str]) -> ToolRules {
        ToolRules {
            green: green.iter().map(|r| ToolRule::parse(r).unwrap()).collect(),
            yellow: Vec::new(),
            red: red.iter().map(|r| ToolRule::parse(r).unwrap()).collect(),
        }
    }

    #[test]
    fn a_project_s_rules_come_before_a_role_s_before_the_configuration_s_before_the_shipped() {
        let layers = ToolPolicyLayers {
            projects: HashMap::from([("shop".to_string(), rules(&["Bash(npm run deploy:*)"], &[]))]),
            roles: HashMap::from([(AgentRole::Intern, rules(&[], &["Bash(npm run deploy:*)", "Read(//etc/**)"]))]),
            global: rules(&["Bash(make release:*)"], &[]),
        };
        let bridge = BridgeRules::new(WaitSeconds::new("bridge.max_wait_secs", 540).unwrap(), layers);
        let risk = |slug: &str, role: AgentRole, tool: &str, input: serde_json::Value| {
            let call = ToolCall {
                tool,
                input: &input,
                cwd: "/home/dev/shop",
            };
            bridge.policy(slug, role).classify(&call).risk
        };
        let deploy = || json!({ "command": "npm run deploy" });
        assert_eq!(
            risk("shop", AgentRole::Intern, "Bash", deploy()),
            RiskLevel::Green,
            "the project's layer first"
        );
        assert_eq!(
            risk("other", AgentRole::Intern, "Bash", deploy()),
            RiskLevel::Red,
            "then the role's"
        );
        assert_eq!(
            risk("other", AgentRole::Lead, "Bash", deploy()),
            RiskLevel::Red,
            "unknown to every layer"
        );
        assert_eq!(
            risk("other", AgentRole::Lead, "Bash", json!({ "command": "make release" })),
            RiskLevel::Green
        );
        let read = || json!({ "file_path": "/etc/hosts" });
        assert_eq!(
            risk("other", AgentRole::Intern, "Read", read()),
            RiskLevel::Red,
            "a role's layer raises a shipped level"
        );
        assert_eq!(risk("other", AgentRole::Lead, "Read", read()), RiskLevel::Green);
    }

    #[test]
    fn the_same_call_hashes_the_same_whatever_the_order_of_its_keys() {
        let a = json!({ "command": "ls", "description": "list" });
        let b: serde_json::Value = serde_json::from_str(r#"{"description":"list","command":"ls"}"#).unwrap();
        assert_eq!(input_hash("Bash", &a), input_hash("Bash", &b));
        assert_ne!(input_hash("Bash", &a), input_hash("Read", &a));
        assert_ne!(
            input_hash("Bash", &a),
            input_hash("Bash", &json!({ "command": "ls -a", "description": "list" }))
        );
        assert_eq!(input_hash("Bash", &a).len(), 64);
    }

    #[test]
    fn cut_text_fits_its_column() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut(&"é".repeat(5000), 2000).chars().count(), 2000);
    }

    #[test]
    fn a_tool_s_approval_type_is_a_valid_action_type() {
        for tool in ["Bash", "mcp__github__create_issue", "Tool With Spaces/And!Marks", &"x".repeat(100)] {
            assert!(mc_domain::policy::plausible_action_type(&action_type(tool)), "{tool}");
        }
    }
}
