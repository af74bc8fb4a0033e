use super::alerts::resolve_in;
use super::guards::{lock_project_then_agent, require_self};
use super::tasks::TransitionSpec;
use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::Approval;
use crate::storage;
use crate::storage::approvals::NewApproval;
use chrono::Duration;
use mc_domain::actor::{least_role_for, role_has};
use mc_domain::i18n::{Msg, Said};
use mc_domain::policy::{decide, plausible_action_type, PolicyDecision};
use mc_domain::*;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct RequestApproval {
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    pub action_type: String,
    pub action_summary: String,
    pub risk_level: Option<RiskLevel>,
    pub justification: String,
    pub rollback_plan: Option<String>,
    pub estimated_cost: Option<Usd>,
    pub expires_in_minutes: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Deny,
}

/// The kind of the pending input a Deny click leaves: the reason the clicker owes.
pub const DENY_REASON: &str = "deny_reason";

/// The deny note of ❌ on a tool call's card (✍️ asks for the words the agent reads instead).
pub const DENIED_WITHOUT_INSTRUCTIONS: &str = "denied without instructions: do not retry this call; ask a human if it is needed";

/// The longest `expiresInMinutes`: a week.
pub const MAX_EXPIRES_IN_MINUTES: u32 = 7 * 24 * 60;

/// What an action type may be, as sent (trimmed, then lowercased), as a regular expression for
/// the API's document.
pub fn action_type_pattern() -> String {
    mc_domain::patterns::trimmed("[A-Za-z0-9_.:\\-]{1,64}")
}

/// A request's fields once checked, for each attempt of its transaction.
#[derive(Clone, Copy)]
struct CheckedRequest<'a> {
    action_type: &'a str,
    summary: &'a Reason,
    justification: &'a Justification,
    rollback: Option<&'a str>,
    minutes: u32,
}

/// A request still waiting for a decision; a decided one says who decided it and when (the
/// first decision wins).
pub(super) fn still_open(approval: &Approval) -> AppResult<()> {
    if approval.status.is_open() {
        return Ok(());
    }
    Err(AppError::AlreadyDecided {
        number: approval.number,
        status: approval.status,
        decided_by: approval.decided_by_name.clone().unwrap_or_else(|| "someone".into()),
        decided_at: approval.decided_at.unwrap_or(approval.created_at),
    })
}

impl App {
    /// A Deny clicked under a request: a deny needs a reason, so the clicker owes one where they
    /// clicked (the denial is `decide_approval` once it is typed). Refused now as the decision
    /// would be: a decided request says who decided it, and only the CAO decides. Returns the
    /// request, to ask for the reason naming it.
    pub async fn ask_deny_reason(&self, actor: &Actor, approval_id: Uuid, asked: super::chats::AskedIn) -> AppResult<Approval> {
        let approval = self.get_approval(actor, approval_id).await?;
        still_open(&approval)?;
        if !matches!(actor, Actor::Operator { role, .. } if role_has(*role, Right::DecideApprovals)) {
            return Err(AppError::forbidden(
                Msg::new("err-only-role-decides").role("needed", least_role_for(Right::DecideApprovals)),
            ));
        }
        self.expect_input(asked, DENY_REASON, Some(approval_id)).await?;
        Ok(approval)
    }

    /// An agent asks to take an action. Policy classifies it and decides: allowed at once,
    /// pending a decision by the CAO, or denied (an agent that is not active).
    pub async fn request_approval(&self, actor: &Actor, input: RequestApproval) -> AppResult<Approval> {
        require_self(actor, input.agent_id)?;
        if !matches!(actor, Actor::Agent { .. }) {
            require(actor, Right::ControlAgents)?;
        }
        let action_type = input.action_type.trim().to_ascii_lowercase();
        if !plausible_action_type(&action_type) {
            return Err(AppError::validation("actionType", Msg::new("err-action-type")));
        }
        let summary = Reason::parse(&input.action_summary).map_err(|e| AppError::validation("actionSummary", e.message))?;
        let justification = Justification::parse(&input.justification)?;
        let rollback = input
            .rollback_plan
            .as_deref()
            .map(RollbackPlan::parse_optional)
            .transpose()?
            .flatten();
        let rollback = rollback.as_ref().map(RollbackPlan::as_str);
        let minutes = input.expires_in_minutes.unwrap_or(self.rules.approval_expiry_minutes);
        if !(1..=MAX_EXPIRES_IN_MINUTES).contains(&minutes) {
            return Err(AppError::validation("expiresInMinutes", Msg::new("err-expires-in-minutes")));
        }
        let checked = CheckedRequest {
            action_type: &action_type,
            summary: &summary,
            justification: &justification,
            rollback,
            minutes,
        };
        super::retry_conflicts(|| self.request_approval_once(actor, &input, &checked)).await
    }

    async fn request_approval_once(&self, actor: &Actor, input: &RequestApproval, checked: &CheckedRequest<'_>) -> AppResult<Approval> {
        let CheckedRequest {
            action_type,
            summary,
            justification,
            rollback,
            minutes,
        } = *checked;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let agent = lock_project_then_agent(&mut w, input.agent_id)
            .await
            .map_err(|e| e.in_field("agentId"))?;
        let task = match input.task_id {
            Some(id) => {
                let task = storage::tasks::by_id(w.conn(), id)
                    .await?
                    .ok_or_else(|| AppError::unknown_in("taskId", "task", id))?;
                if task.project_id != agent.project_id {
                    return Err(AppError::validation("taskId", Msg::new("err-task-other-project")));
                }
                Some(task)
            }
            None => None,
        };
        let texts = [summary.as_str(), justification.as_str(), rollback.unwrap_or("")];
        let classification = self.rules.risk_map.classify(action_type, &texts, input.risk_level);
        let decision = decide(classification.risk, agent.role, agent.status, action_type, &self.rules.auto_approve);
        let pending = storage::approvals::insert_pending(
            w.conn(),
            &NewApproval {
                project_id: agent.project_id,
                agent_id: agent.id,
                task_id: input.task_id,
                action_type,
                action_summary: summary.as_str(),
                risk: classification.risk,
                justification: justification.as_str(),
                rollback_plan: rollback,
                estimated_cost: input.estimated_cost,
                expires_at: now + Duration::minutes(minutes as i64),
                tool: None,
            },
            now,
        )
        .await?;
        w.audit(
            Some(agent.project_id),
            "approval.requested",
            "approval",
            pending.id,
            json!({ "code": pending.code(), "actionType": action_type, "risk": classification.risk, "reasons": classification.reasons.iter().map(Msg::to_string).collect::<Vec<_>>() }),
        )
        .await?;
        let policy = Actor::system("policy");
        let decided_by_policy = match &decision {
            PolicyDecision::Allowed { reason } => Some((ApprovalStatus::Approved, reason)),
            PolicyDecision::Denied { reason } => Some((ApprovalStatus::Denied, reason)),
            PolicyDecision::NeedsApproval => None,
        };
        let approval = match decided_by_policy {
            Some((status, reason)) => {
                let note = reason.to_string();
                let decided = storage::approvals::decide(w.conn(), pending.id, status, &policy, Some(&note), now).await?;
                w.audit(
                    Some(agent.project_id),
                    &format!("approval.{status}"),
                    "approval",
                    decided.id,
                    json!({ "by": "policy", "note": note }),
                )
                .await?;
                decided
            }
            None => {
                let notice = Notice::ApprovalRequested {
                    approval_id: pending.id,
                    code: pending.code(),
                    agent: agent.name.clone(),
                    task_number: task.as_ref().map(|t| t.number),
                    action_type: action_type.to_string(),
                    summary: summary.to_string(),
                    risk: classification.risk,
                    reasons: classification.reasons.iter().cloned().map(Said::from).collect(),
                    justification: pending.justification.clone(),
                    rollback_plan: pending.rollback_plan.clone(),
                    estimated_cost: pending.estimated_cost,
                    expires_at: pending.expires_at,
                    tool: None,
                };
                w.post(agent.project_id, Target::Approvals, &notice).await?;
                pending
            }
        };
        w.commit().await?;
        Ok(approval)
    }

    /// Approves or denies a pending request. CAO only; the first decision wins and later ones
    /// are told who decided; a deny needs a reason.
    pub async fn decide_approval(&self, actor: &Actor, approval_id: Uuid, verdict: Verdict, note: Option<&str>) -> AppResult<Approval> {
        if let Actor::Agent { name, .. } = actor {
            return Err(AppError::forbidden(Msg::new("err-agent-cannot-decide").with("agent", name)));
        }
        require(actor, Right::DecideApprovals)?;
        let note = note.map(Reason::parse_optional).transpose()?.flatten();
        if verdict == Verdict::Deny && note.is_none() {
            return Err(AppError::validation("reason", Msg::new("err-deny-needs-reason")));
        }
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let approval = storage::approvals::lock(w.conn(), approval_id)
            .await?
            .ok_or_else(|| AppError::not_found("approval", approval_id))?;
        still_open(&approval)?;
        if approval.expires_at <= now {
            return Err(AppError::conflict(
                "approval_expired",
                Msg::new("err-approval-expired")
                    .with("code", approval.code())
                    .with("at", mc_domain::i18n::time(approval.expires_at)),
            ));
        }
        let status = match verdict {
            Verdict::Approve => ApprovalStatus::Approved,
            Verdict::Deny => ApprovalStatus::Denied,
        };
        let decided = storage::approvals::decide(w.conn(), approval_id, status, actor, note.as_ref().map(|n| n.as_str()), now).await?;
        let continuation = match verdict {
            Verdict::Approve => self.continue_held_task(&mut w, &decided).await?,
            Verdict::Deny => None,
        };
        let note = decided.decision_note.clone().map(Said::from);
        self.after_decision(&mut w, &decided, continuation, note).await?;
        w.commit().await?;
        Ok(decided)
    }

    /// The runbook's "approve task to continue": an approved request whose task waits in
    /// needs_approval moves the task back (as the system) to where it was before the hold,
    /// provided the requesting agent may act again. Says what happened, for the audit.
    async fn continue_held_task(&self, w: &mut Work, approval: &Approval) -> AppResult<Option<serde_json::Value>> {
        let Some(task_id) = approval.task_id else { return Ok(None) };
        // Lock order: the approval (locked by the caller), the task, then agents' rows.
        let Some(task) = storage::tasks::lock(w.conn(), task_id).await? else {
            return Ok(None);
        };
        if task.status != TaskStatus::NeedsApproval {
            return Ok(None);
        }
        let left = |why: String| Some(json!({ "taskId": task.id, "number": task.number, "continued": false, "why": why }));
        let Some(hold) = storage::tasks::last_transition_into(w.conn(), task.id, TaskStatus::NeedsApproval).await? else {
            return Ok(left("no move into needs_approval is recorded".into()));
        };
        let back = hold.from_status;
        let agent = storage::agents::by_id(w.conn(), approval.agent_id)
            .await?
            .ok_or_else(|| AppError::not_found("agent", approval.agent_id))?;
        if !agent.status.may_act() {
            return Ok(left(format!(
                "task #{} stays needs_approval: {} is {}{}; move it back to {back} once the agent may act",
                task.number,
                agent.name,
                agent.status,
                agent.status_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            )));
        }
        let reason = Msg::new("why-approval-approved")
            .with("code", approval.code())
            .task_status("to", back);
        let decider = w.switch_actor(Actor::system(&format!("approval {}", approval.code())));
        let moved = self.apply_transition(w, &task, TransitionSpec::because(back, reason)).await;
        w.switch_actor(decider);
        match moved {
            Ok(_) => Ok(Some(
                json!({ "taskId": task.id, "number": task.number, "continued": true, "to": back }),
            )),
            // Refused before anything was written (e.g. nobody is assigned any more).
            Err(AppError::IllegalTransition { reason, .. }) => Ok(left(format!(
                "task #{} stays needs_approval: it cannot go back to {back}: {reason}",
                task.number
            ))),
            Err(other) => Err(other),
        }
    }

    /// Audit, the agent's notification and the chat update that follow any decision.
    /// `task` says what the decision did to the request's task, if anything.
    /// `note` is the decision's note as the chat shows it (the stored one is its English text).
    pub(super) async fn after_decision(
        &self,
        w: &mut Work,
        decided: &Approval,
        task: Option<serde_json::Value>,
        note: Option<Said>,
    ) -> AppResult<()> {
        let by = decided.decided_by_name.clone().unwrap_or_default();
        w.audit(
            Some(decided.project_id),
            &format!("approval.{}", decided.status),
            "approval",
            decided.id,
            json!({ "code": decided.code(), "by": by, "note": decided.decision_note, "task": task }),
        )
        .await?;
        // Its reminder, if one went out, is answered.
        resolve_in(
            w,
            decided.project_id,
            AlertKind::ApprovalExpiring,
            &format!("approval:{}", decided.id),
            &by,
        )
        .await?;
        w.notify(
            decided.agent_id,
            "approval_decided",
            decided.task_id,
            format!(
                "{} ({}) was {} by {}{}",
                decided.code(),
                decided.action_type,
                decided.status,
                by,
                decided.decision_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
            json!({ "approvalId": decided.id, "status": decided.status, "note": decided.decision_note }),
        )
        .await?;
        // A tool call denied with instructions: the instructions reach the agent as changes
        // requested, for the agent that is no longer waiting for the call's answer (its next
        // heartbeat reads them; a waiting call is also told them in its answer).
        let instructions = match (&note, decided.status) {
            (Some(Said::Typed(text)), ApprovalStatus::Denied) if text != DENIED_WITHOUT_INSTRUCTIONS => Some(text),
            _ => None,
        };
        if let (Some(tool), Some(text)) = (&decided.tool_name, instructions) {
            w.notify(
                decided.agent_id,
                super::reviews::CHANGES_REQUESTED,
                decided.task_id,
                format!("{by} denied {} ({tool}) and asks instead: {text}", decided.code()),
                json!({ "approvalId": decided.id, "code": decided.code(), "tool": tool, "text": text, "by": by }),
            )
            .await?;
        }
        w.post(
            decided.project_id,
            Target::Approvals,
            &Notice::ApprovalDecided {
                approval_id: decided.id,
                code: decided.code(),
                status: decided.status,
                decided_by: by,
                note,
                decided_at: decided.decided_at.unwrap_or(w.now),
            },
        )
        .await?;
        Ok(())
    }

    /// Expires open approvals past their expiry (deny on timeout), each in its own transaction:
    /// one that fails (a bad row, a lock timeout) is logged and left for the next run, and does
    /// not keep the others from expiring. Returns those expired.
    pub async fn expire_approvals(&self) -> AppResult<Vec<Approval>> {
        let due = {
            let mut conn = self.pool.acquire().await?;
            storage::approvals::expired_ids(&mut conn, self.now()).await?
        };
        Ok(super::each_alone(due, "expiring an approval", |id| self.expire_approval(id)).await)
    }

    /// Expires one approval if it is still open and past its expiry (a decision may have come
    /// first: the row is locked and checked again).
    async fn expire_approval(&self, id: Uuid) -> AppResult<Option<Approval>> {
        let system = Actor::system("approval_expiry");
        let mut w = Work::begin(self, &system).await?;
        let now = w.now;
        let Some(approval) = storage::approvals::lock(w.conn(), id).await? else {
            return Ok(None);
        };
        if !approval.status.is_open() || approval.expires_at > now {
            return Ok(None);
        }
        let note = Msg::new("why-expired-undecided");
        let decided = storage::approvals::decide(
            w.conn(),
            approval.id,
            ApprovalStatus::Expired,
            &system,
            Some(&note.to_string()),
            now,
        )
        .await?;
        self.after_decision(&mut w, &decided, None, Some(note.into())).await?;
        w.commit().await?;
        Ok(Some(decided))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_type_pattern_accepts_exactly_what_requests_may_name() {
        let pattern = regex::Regex::new(&action_type_pattern()).unwrap();
        let accepts = |input: &str| plausible_action_type(&input.trim().to_ascii_lowercase());
        let mut inputs: Vec<String> = (0u32..0x250).filter_map(char::from_u32).map(|c| format!("email{c}send")).collect();
        inputs.extend((0u32..0x250).filter_map(char::from_u32).map(|c| format!("{c}deploy")));
        inputs.extend(["", " ", "Deploy.Production", " email.send\n", "a b"].map(String::from));
        inputs.extend([64, 65].map(|n| "x".repeat(n)));
        for input in &inputs {
            assert_eq!(pattern.is_match(input), accepts(input), "{input:?}");
        }
    }
}
