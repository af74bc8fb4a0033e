//! What an alert's buttons do. Each is one use case: the action (raise the agent's cap,
//! quarantine or restart it, unblock, reassign or cancel the task) and the resolution of the
//! alert it came with commit together — change, audit events, agents' notifications and the
//! chat's notices in one transaction — so a click never leaves the action done and its alert
//! open, nor a half-done action behind a resolved alert. An alert that is already resolved (by
//! someone else, or by the action itself: a raised cap resolves the budget alert) or gone is no
//! reason to refuse the action asked for.

use super::agents::{change_status_in, require_budget_setter, set_budget_in, StatusChange, StatusCommand};
use super::alerts::audit_and_post_resolved;
use super::guards::lock_agent;
use super::tasks::{require_pool_returner, TransitionSpec};
use super::work::Work;
use super::{require, App, AppResult};
use crate::model::{Agent, Task};
use crate::storage;
use mc_domain::budget::{raised_cap, spent_today, BUDGET_PAUSE};
use mc_domain::i18n::{Msg, Said};
use mc_domain::{Actor, AgentStatus, Reason, Right, TaskStatus, Usd};
use uuid::Uuid;

/// What an alert offers to do with its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentAction {
    Quarantine,
    Restart,
}

/// What a loop alert offers to do with its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskAction {
    Unblock,
    Reassign,
    Cancel,
}

/// Resolves the alert a button came with inside the use case's transaction, after the action
/// (whose refusal, if any, is the one to tell); one already resolved, or gone, is left as it is.
pub(crate) async fn resolve_quietly(w: &mut Work, alert_id: Option<Uuid>) -> AppResult<()> {
    let Some(alert_id) = alert_id else { return Ok(()) };
    // Never refused here in practice: whoever may take an alert's action may resolve it.
    require(&w.actor, Right::ResolveAlerts)?;
    let Some(alert) = storage::alerts::lock(w.conn(), alert_id).await? else {
        return Ok(());
    };
    if alert.resolved {
        return Ok(());
    }
    let (by, now) = (w.actor.name().to_string(), w.now);
    let resolved = storage::alerts::resolve(w.conn(), alert_id, &by, now).await?;
    audit_and_post_resolved(w, &resolved, &by).await
}

impl App {
    /// A daily budget alert's "Raise by $N and resume": the agent's daily cap goes up by `by`
    /// (what the button said), which resumes an agent paused at its cap if it is now above
    /// today's spend; the alert is resolved with it. Without an amount (a button from before
    /// they named one) it goes up by half, and above what the agent spent today plus one run
    /// (`domain::budget::raised_cap`). A raise that leaves the agent at or under today's spend
    /// keeps it paused and the alert open. Returns the agent with its new cap.
    pub async fn raise_cap_from_alert(&self, actor: &Actor, alert_id: Uuid, agent_id: Uuid, by: Option<Usd>) -> AppResult<Agent> {
        require_budget_setter(actor)?;
        let mut w = Work::begin(self, actor).await?;
        let agent = lock_agent(&mut w, agent_id).await?;
        let spent = spent_today(agent.spend_day, agent.today_spend, w.now.date_naive());
        let cap = match by {
            Some(by) => agent.budgets.daily_cap.saturating_add(by),
            None => raised_cap(agent.budgets.daily_cap, agent.budgets.per_run_cap, spent),
        };
        let updated = set_budget_in(&mut w, &agent, cap, agent.budgets.per_run_cap).await?;
        // Still held at its cap (more was spent since the alert): the alert stays open.
        let held = updated.status == AgentStatus::Paused && updated.status_cause.as_deref() == Some(BUDGET_PAUSE);
        if !held {
            resolve_quietly(&mut w, Some(alert_id)).await?;
        }
        w.commit().await?;
        Ok(updated)
    }

    /// A budget alert's "keep paused": nothing changes but the alert, resolved (an alert
    /// already resolved is said so). Returns the agent the alert is about.
    pub async fn keep_paused(&self, actor: &Actor, alert_id: Uuid, agent_id: Uuid) -> AppResult<Agent> {
        let agent = self.get_agent(actor, agent_id).await?;
        self.resolve_alert(actor, alert_id).await?;
        Ok(agent)
    }

    /// An alert's "quarantine" or "restart": the agent's status changes (see
    /// `change_agent_status`), and the alert is resolved.
    pub async fn agent_status_from_alert(
        &self,
        actor: &Actor,
        alert_id: Option<Uuid>,
        agent_id: Uuid,
        action: AgentAction,
    ) -> AppResult<StatusChange> {
        let (command, because) = match action {
            AgentAction::Quarantine => (StatusCommand::Quarantine, Some(Msg::new("why-quarantined-from-alert"))),
            AgentAction::Restart => (StatusCommand::Restart, None),
        };
        require(actor, command.right())?;
        if let Some(because) = &because {
            Reason::parse(&because.to_string())?;
        }
        let mut w = Work::begin(self, actor).await?;
        let change = change_status_in(&mut w, agent_id, command, because.map(Said::from)).await?;
        resolve_quietly(&mut w, alert_id).await?;
        w.commit().await?;
        Ok(change)
    }

    /// A loop alert's "unblock" (to assigned), "reassign" (back to the pool, see
    /// `return_task_to_pool`) or "cancel", each for the reason it words, and the alert is
    /// resolved. Returns the task as it is now.
    pub async fn task_from_alert(&self, actor: &Actor, alert_id: Option<Uuid>, task_id: Uuid, action: TaskAction) -> AppResult<Task> {
        if action == TaskAction::Reassign {
            require_pool_returner(actor)?;
        }
        let mut w = Work::begin(self, actor).await?;
        let task = match action {
            TaskAction::Unblock => {
                let because = Msg::new("why-unblocked-from-loop-alert");
                let spec = TransitionSpec::because(TaskStatus::Assigned, because);
                self.transition_in(&mut w, task_id, spec).await?.task
            }
            TaskAction::Cancel => {
                let because = Msg::new("why-canceled-from-loop-alert");
                let spec = TransitionSpec::because(TaskStatus::Canceled, because);
                self.transition_in(&mut w, task_id, spec).await?.task
            }
            TaskAction::Reassign => self.return_to_pool_in(&mut w, task_id, Msg::new("why-reassign-after-loop")).await?,
        };
        resolve_quietly(&mut w, alert_id).await?;
        w.commit().await?;
        Ok(task)
    }
}
