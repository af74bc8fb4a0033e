//! Standing grants and the tool-call decisions that make them: ⏱ 1 h and 📌 this task on a
//! RED tool call's card approve it and grant the agent the call's command prefix
//! (`ToolPolicy::suggest_grant`); a CAO grants a rule to an agent, a role or the project with
//! `/grant` or the API; `/edit` approves with changed arguments. Every grant, use (in
//! `app::bridge`) and revocation is audited; a revocation applies to the next call.

use super::approvals::still_open;
use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::{Agent, Approval, ToolGrant};
use crate::storage;
use crate::storage::tool_grants::NewGrant;
use mc_domain::grants::{grantable, GrantSpan};
use mc_domain::i18n::{Msg, Said};
use mc_domain::tools::{ToolCall, ToolPolicy, ToolRule};
use mc_domain::{Actor, AgentRole, ApprovalStatus, GrantScope, Right, ToolClient};
use serde_json::{json, Value};
use uuid::Uuid;

/// How a person approves a RED tool call.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolApproval {
    /// This call only.
    Once,
    /// This call, and the agent's calls of the same command prefix for this long.
    Grant(GrantSpan),
    /// This call with the arguments changed: a JSON object, or for a shell tool the new
    /// command line.
    Edited(String),
}

/// Whom a CAO's grant covers.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantTarget {
    Agent(Uuid),
    Role(AgentRole),
    Project,
}

#[derive(Debug, Clone)]
pub struct NewToolGrant {
    pub project_id: Uuid,
    pub target: GrantTarget,
    /// In Claude Code's syntax, e.g. `Bash(git push:*)`.
    pub rule: String,
    pub span: GrantSpan,
}

impl App {
    /// Approves a RED tool call's request: once, with a standing grant for its command prefix,
    /// or with changed arguments. CAO only; the first decision wins.
    pub async fn approve_tool_call(&self, actor: &Actor, approval_id: Uuid, how: ToolApproval) -> AppResult<(Approval, Option<ToolGrant>)> {
        if let Actor::Agent { name, .. } = actor {
            return Err(AppError::forbidden(Msg::new("err-agent-cannot-decide").with("agent", name)));
        }
        require(actor, Right::DecideApprovals)?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let approval = storage::approvals::lock(w.conn(), approval_id)
            .await?
            .ok_or_else(|| AppError::not_found("approval", approval_id))?;
        still_open(&approval)?;
        let (Some(tool), Some(input)) = (approval.tool_name.clone(), approval.tool_input.clone()) else {
            return Err(AppError::validation(
                "approval",
                Msg::new("err-grant-not-tool-call").with("code", approval.code()),
            ));
        };
        let agent = storage::agents::by_id(w.conn(), approval.agent_id)
            .await?
            .ok_or_else(|| AppError::not_found("agent", approval.agent_id))?;
        let cwd = approval.tool_cwd.clone().unwrap_or_default();
        let mut grant = None;
        let mut note = None;
        match &how {
            ToolApproval::Once => {}
            ToolApproval::Grant(span) => {
                let call = ToolCall {
                    tool: &tool,
                    input: &input,
                    cwd: &cwd,
                };
                let rule = ToolPolicy::suggest_grant(&call)
                    .filter(|rule| grantable(rule).is_ok())
                    .ok_or_else(|| {
                        AppError::validation("approval", Msg::new("err-grant-nothing-to-grant").with("code", approval.code()))
                    })?;
                let task_id = match span {
                    GrantSpan::Task => Some(
                        agent
                            .current_task_id
                            .ok_or_else(|| AppError::validation("for", Msg::new("err-grant-no-task").with("agent", &agent.name)))?,
                    ),
                    GrantSpan::For(_) => None,
                };
                let granting = Granting {
                    project_id: agent.project_id,
                    agent: Some(&agent),
                    role: None,
                    rule: &rule,
                    span: *span,
                    task_id,
                    approval_id: Some(approval.id),
                };
                let made = grant_in(&mut w, granting).await?;
                note = Some(format!(
                    "approved with grant {} ({}) until {}",
                    made.code(),
                    made.rule,
                    mc_domain::i18n::time(made.expires_at)
                ));
                grant = Some(made);
            }
            ToolApproval::Edited(text) => {
                let changed = edited_input(&tool, &input, text)?;
                storage::approvals::set_updated_input(w.conn(), approval.id, &changed).await?;
                note = Some(format!("approved with changed arguments: {}", summary(&changed)));
                if approval.tool_client == Some(ToolClient::Codex) {
                    // Codex cannot take changed arguments: it is told to run the changed
                    // command, and that call finds this approval of it waiting.
                    preapprove(&mut w, &approval, &changed).await?;
                }
                w.audit(
                    Some(approval.project_id),
                    "approval.edited",
                    "approval",
                    approval.id,
                    json!({ "code": approval.code(), "from": input, "to": changed }),
                )
                .await?;
            }
        }
        let decided = storage::approvals::decide(w.conn(), approval.id, ApprovalStatus::Approved, actor, note.as_deref(), now).await?;
        let said = decided.decision_note.clone().map(Said::from);
        self.after_decision(&mut w, &decided, None, said).await?;
        w.commit().await?;
        Ok((decided, grant))
    }

    /// A CAO's grant: `rule` for an agent, a role or the project, for `span`.
    pub async fn create_grant(&self, actor: &Actor, input: NewToolGrant) -> AppResult<ToolGrant> {
        require(actor, Right::DecideApprovals)?;
        if matches!(actor, Actor::Agent { .. }) {
            return Err(AppError::forbidden(Msg::new("err-agent-cannot-decide").with("agent", actor.name())));
        }
        let rule = ToolRule::parse(&input.rule)?;
        grantable(&rule)?;
        let mut w = Work::begin(self, actor).await?;
        storage::projects::lock(w.conn(), input.project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", input.project_id))?;
        let (agent, role) = match &input.target {
            GrantTarget::Agent(id) => {
                let agent = storage::agents::by_id(w.conn(), *id)
                    .await?
                    .filter(|a| a.project_id == input.project_id)
                    .ok_or_else(|| AppError::unknown_in("agentId", "agent", *id))?;
                (Some(agent), None)
            }
            GrantTarget::Role(role) => (None, Some(*role)),
            GrantTarget::Project => (None, None),
        };
        let task_id = match (input.span, &agent) {
            (GrantSpan::Task, Some(agent)) => Some(
                agent
                    .current_task_id
                    .ok_or_else(|| AppError::validation("for", Msg::new("err-grant-no-task").with("agent", &agent.name)))?,
            ),
            (GrantSpan::Task, None) => return Err(AppError::validation("for", Msg::new("err-grant-target"))),
            _ => None,
        };
        let grant = grant_in(
            &mut w,
            Granting {
                project_id: input.project_id,
                agent: agent.as_ref(),
                role,
                rule: &rule,
                span: input.span,
                task_id,
                approval_id: None,
            },
        )
        .await?;
        w.commit().await?;
        Ok(grant)
    }

    /// The project's grants, newest first (the live ones, or all).
    pub async fn list_grants(&self, actor: &Actor, project_id: Uuid, live_only: bool) -> AppResult<Vec<ToolGrant>> {
        super::require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        Ok(storage::tool_grants::list(&mut conn, project_id, live_only, self.now(), 200).await?)
    }

    /// The grant with code `G<number>` in the project.
    pub async fn grant_by_number(&self, actor: &Actor, project_id: Uuid, number: i32) -> AppResult<Uuid> {
        super::require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        storage::tool_grants::id_by_number(&mut conn, project_id, number)
            .await?
            .ok_or_else(|| AppError::not_found("grant", format!("G{number}")))
    }

    /// Records the grants whose time is up as expired, each with its audit event, in one
    /// transaction (the expiry job). Covering had already stopped at `expires_at`.
    pub async fn expire_grants(&self) -> AppResult<Vec<ToolGrant>> {
        let mut w = Work::begin(self, &Actor::system("grant_expiry")).await?;
        let now = w.now;
        let lapsed = storage::tool_grants::mark_lapsed(w.conn(), now).await?;
        for grant in &lapsed {
            w.audit(
                Some(grant.project_id),
                "grant.expired",
                "tool_grant",
                grant.id,
                json!({ "code": grant.code(), "rule": grant.rule, "uses": grant.uses, "expiresAt": grant.expires_at }),
            )
            .await?;
        }
        w.commit().await?;
        Ok(lapsed)
    }

    /// Revokes a grant: the next call it would have covered asks again. CAO only.
    pub async fn revoke_grant(&self, actor: &Actor, grant_id: Uuid) -> AppResult<ToolGrant> {
        require(actor, Right::DecideApprovals)?;
        if matches!(actor, Actor::Agent { .. }) {
            return Err(AppError::forbidden(Msg::new("err-agent-cannot-decide").with("agent", actor.name())));
        }
        let mut w = Work::begin(self, actor).await?;
        let grant = storage::tool_grants::lock(w.conn(), grant_id)
            .await?
            .ok_or_else(|| AppError::not_found("grant", grant_id))?;
        if let Some(by) = &grant.revoked_by_name {
            return Err(AppError::conflict(
                "grant_revoked",
                Msg::new("err-grant-revoked").with("code", grant.code()).with("by", by),
            ));
        }
        let by = w.actor.name().to_string();
        let now = w.now;
        let revoked = storage::tool_grants::revoke(w.conn(), grant.id, &by, now).await?;
        w.audit(
            Some(revoked.project_id),
            "grant.revoked",
            "tool_grant",
            revoked.id,
            json!({ "code": revoked.code(), "rule": revoked.rule, "uses": revoked.uses }),
        )
        .await?;
        w.commit().await?;
        Ok(revoked)
    }
}

/// A grant to make: to `agent`, to every agent of `role`, or (neither) to the project.
struct Granting<'a> {
    project_id: Uuid,
    agent: Option<&'a Agent>,
    role: Option<AgentRole>,
    rule: &'a ToolRule,
    span: GrantSpan,
    task_id: Option<Uuid>,
    approval_id: Option<Uuid>,
}

/// Makes a grant inside the caller's transaction, audited.
async fn grant_in(w: &mut Work, g: Granting<'_>) -> AppResult<ToolGrant> {
    let scope = match (g.agent, g.role) {
        (Some(_), _) => GrantScope::Agent,
        (None, Some(_)) => GrantScope::Role,
        (None, None) => GrantScope::Project,
    };
    let number = storage::tool_grants::next_number(w.conn(), g.project_id).await?;
    let (now, by) = (w.now, w.actor.clone());
    let grant = storage::tool_grants::insert(
        w.conn(),
        &NewGrant {
            project_id: g.project_id,
            number,
            scope,
            agent_id: g.agent.map(|a| a.id),
            role: g.role.filter(|_| g.agent.is_none()),
            rule: g.rule.as_str(),
            task_id: g.task_id,
            expires_at: g.span.expires_at(now),
            approval_id: g.approval_id,
        },
        &by,
        now,
    )
    .await?;
    w.audit(
        Some(grant.project_id),
        "grant.created",
        "tool_grant",
        grant.id,
        json!({ "code": grant.code(), "scope": grant.scope, "agent": g.agent.map(|a| a.name.as_str()), "role": grant.role,
                "rule": grant.rule, "taskId": grant.task_id, "expiresAt": grant.expires_at, "approvalId": grant.approval_id }),
    )
    .await?;
    Ok(grant)
}

/// The changed arguments: a JSON object as given, or for a shell tool (`Bash`, Codex's
/// `NetworkAccess`) the input with `command` replaced by the text.
fn edited_input(tool: &str, input: &Value, text: &str) -> AppResult<Value> {
    let text = text.trim();
    if text.starts_with('{') {
        let parsed: Value = serde_json::from_str(text)
            .map_err(|e| AppError::validation("input", Msg::new("err-edit-json").with("error", e.to_string())))?;
        return Ok(parsed);
    }
    match input.get("command") {
        Some(Value::String(_)) if !text.is_empty() => {
            let mut changed = input.clone();
            changed["command"] = Value::String(text.to_string());
            Ok(changed)
        }
        _ => Err(AppError::validation(
            "input",
            Msg::new("err-edit-json").with("error", format!("{tool} takes JSON arguments")),
        )),
    }
}

fn summary(input: &Value) -> String {
    match input.get("command").and_then(Value::as_str) {
        Some(command) => command.to_string(),
        None => input.to_string(),
    }
}

/// An approved request for the changed call, so that the agent's call of it is allowed once
/// without a second card.
async fn preapprove(w: &mut Work, approval: &Approval, changed: &Value) -> AppResult<()> {
    let tool = approval.tool_name.as_deref().unwrap_or_default();
    let hash = super::bridge::input_hash(tool, changed);
    let (now, by) = (w.now, w.actor.clone());
    let text = summary(changed);
    let pending = storage::approvals::insert_pending(
        w.conn(),
        &storage::approvals::NewApproval {
            project_id: approval.project_id,
            agent_id: approval.agent_id,
            task_id: None,
            action_type: &approval.action_type,
            action_summary: if text.trim().is_empty() { tool } else { &text },
            risk: approval.risk,
            justification: "",
            rollback_plan: None,
            estimated_cost: None,
            expires_at: approval.expires_at,
            tool: Some(storage::approvals::ToolCallCard {
                name: tool,
                input: changed,
                input_hash: &hash,
                cwd: approval.tool_cwd.as_deref(),
                rule: approval.tool_rule.as_deref().unwrap_or_default(),
                client: approval.tool_client.unwrap_or(ToolClient::Codex),
            }),
        },
        now,
    )
    .await?;
    let note = format!("the changed command of {}", approval.code());
    storage::approvals::decide(w.conn(), pending.id, ApprovalStatus::Approved, &by, Some(&note), now).await?;
    Ok(())
}
