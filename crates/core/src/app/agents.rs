use super::alerts::{audit_and_post_resolved, raise_service_in, resolve_in};
use super::guards::{lock_agent, require_active_agent};
use super::tokens::{issue_agent_token, refused_tokens};
use super::work::Work;
use super::{require, require_project, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::{Agent, Notification, Task};
use crate::storage;
use crate::storage::agents::{NewAgent, ResetFields};
use crate::storage::alerts::Resolution;
use mc_domain::alerts::ErrorStreak;
use mc_domain::budget::{check_grant, check_reactivation, check_spawn, GrantFacts, GrantRefusal, Reactivation, SpawnFacts, BUDGET_PAUSE};
use mc_domain::i18n::{Msg, Said};
use mc_domain::{Actor, AgentName, AgentRole, AgentStatus, AlertKind, AlertSeverity, Reason, Right, TaskType, Usd};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RegisterAgent {
    pub name: String,
    pub role: AgentRole,
    pub allowed_task_types: Vec<TaskType>,
    pub parent_agent_id: Option<Uuid>,
    pub daily_cap: Option<Usd>,
    /// The seed registers agents without handing out tokens.
    pub issue_token: bool,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub agent: Agent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created: bool,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("agent", &self.agent)
            .field("token", &self.token.as_deref().map(mc_domain::credentials::redacted))
            .field("created", &self.created)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetState {
    pub daily_cap: Usd,
    pub per_run_cap: Usd,
    pub today_spend: Usd,
    pub remaining: Usd,
}

impl BudgetState {
    fn of(agent: &Agent) -> Self {
        BudgetState {
            daily_cap: agent.budgets.daily_cap,
            per_run_cap: agent.budgets.per_run_cap,
            today_spend: agent.today_spend,
            remaining: agent.budgets.daily_cap.saturating_sub(agent.today_spend),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatReport {
    pub agent: Agent,
    pub notifications: Vec<Notification>,
    pub assigned_tasks: Vec<Task>,
    pub budget: BudgetState,
    pub stop: bool,
    pub reason: Option<String>,
}

pub use mc_domain::actor::StatusCommand;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub agent: Agent,
    pub changed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AgentReset {
    pub status: Option<AgentStatus>,
    pub error_streak: Option<i32>,
    pub today_spend: Option<Usd>,
    pub current_task_id: Option<Option<Uuid>>,
}

/// Tells the project's chat that `agent` (as it was) went to status `to`.
pub(crate) async fn post_status_changed(w: &mut Work, agent: &Agent, to: AgentStatus, actor: &str, reason: Option<Said>) -> AppResult<()> {
    let notice = Notice::AgentStatusChanged {
        agent_id: agent.id,
        agent: agent.name.clone(),
        from: agent.status,
        to,
        actor: actor.to_string(),
        reason,
    };
    w.post(agent.project_id, Target::General, &notice).await
}

/// Pauses an agent at its daily cap (cause `budget`), audited and told to the agent; returns it
/// with the reason, for the callers' own notices. Runs and the budget watch both do this.
pub(crate) async fn pause_for_budget(w: &mut Work, agent: &Agent, spent: Usd, cap: Usd) -> AppResult<(Agent, Said)> {
    let reason = Said::from(Msg::new("why-daily-budget-reached").with("spent", spent).with("cap", cap));
    let now = w.now;
    let paused = storage::agents::set_status(w.conn(), agent.id, AgentStatus::Paused, Some(BUDGET_PAUSE), Some(&reason), now).await?;
    w.audit(
        Some(agent.project_id),
        "agent.pause",
        "agent",
        agent.id,
        json!({ "cause": "budget", "todaySpend": spent, "reason": reason.to_string() }),
    )
    .await?;
    w.notify(
        agent.id,
        "status_changed",
        None,
        format!("paused: {reason}"),
        json!({ "to": "paused", "cause": "budget" }),
    )
    .await?;
    Ok((paused, reason))
}

/// The domain's rule for making an agent active again: a budget pause is the CAO's to lift (and
/// only with room under the cap). `today_spend` is the spend once the change is made.
pub(crate) fn may_reactivate(actor: &Actor, agent: &Agent, today_spend: Usd) -> AppResult<()> {
    let facts = Reactivation {
        status: agent.status,
        cause: agent.status_cause.as_deref(),
        today_spend,
        daily_cap: agent.budgets.daily_cap,
        // As last recorded: a month gone by is rolled over (and its pause lifted) by the
        // budget_reset job.
        month_spend: agent.month_spend,
        monthly_cap: agent.monthly_cap,
    };
    check_reactivation(actor, &agent.name, &facts).map_err(|refusal| match refusal {
        mc_domain::budget::ReactivationRefusal::BudgetPauseNeedsCao { .. } => AppError::forbidden(refusal.message()),
        mc_domain::budget::ReactivationRefusal::BudgetExhausted { .. } => AppError::conflict("budget_exhausted", refusal.message()),
    })
}

/// Why the agent must stop, if it must (it is not active): what its answers say.
pub(crate) fn stop_reason(agent: &Agent) -> Option<String> {
    (!agent.status.may_act()).then(|| match &agent.status_reason {
        Some(why) => format!("agent is {}: {why}", agent.status),
        None => format!("agent is {}", agent.status),
    })
}

/// Pause, resume, quarantine, release or restart inside the caller's transaction (rights
/// checked by the caller): the status, its audit event, the agent's notification and the
/// chat's notice. A command that changes nothing (pausing a paused agent) writes nothing.
pub(crate) async fn change_status_in(w: &mut Work, agent_id: Uuid, command: StatusCommand, said: Option<Said>) -> AppResult<StatusChange> {
    let actor = w.actor.clone();
    let now = w.now;
    let agent = lock_agent(w, agent_id).await?;
    use AgentStatus::*;
    let target = match (command, agent.status) {
        (StatusCommand::Pause, Active | Offline) => Some(Paused),
        (StatusCommand::Pause, Paused) => None,
        (StatusCommand::Resume, Paused | Offline) => Some(Active),
        (StatusCommand::Resume, Active) => None,
        (StatusCommand::Quarantine, Quarantined) => None,
        (StatusCommand::Quarantine, _) => Some(Quarantined),
        (StatusCommand::Release, Quarantined) => Some(Active),
        (StatusCommand::Release, Active) => None,
        (StatusCommand::Restart, Active | Paused | Offline) => Some(Active),
        (command, status) => {
            let hint = match status {
                Quarantined => "err-hint-release-first",
                Drained => "err-hint-drained",
                _ => "err-hint-not-quarantined",
            };
            return Err(AppError::conflict(
                "illegal_agent_status",
                Msg::new("err-illegal-agent-status")
                    .word("command", format!("err-command-{command}"))
                    .with("agent", &agent.name)
                    .agent_status("status", status)
                    .word("hint", hint),
            ));
        }
    };
    let Some(to) = target else {
        return Ok(StatusChange { agent, changed: false });
    };
    if to == Active {
        may_reactivate(&actor, &agent, agent.today_spend)?;
    }
    let cause = match to {
        Active => None,
        _ => Some("manual"),
    };
    let mut updated = storage::agents::set_status(w.conn(), agent_id, to, cause, said.as_ref(), now).await?;
    if command == StatusCommand::Restart {
        updated = storage::agents::reset(
            w.conn(),
            agent_id,
            &ResetFields {
                status: None,
                status_reason: None,
                error_streak: Some(0),
                today_spend: None,
                current_task_id: None,
            },
            now,
        )
        .await?;
    }
    let data = json!({ "from": agent.status, "to": to, "command": command.to_string(), "reason": said.as_ref().map(Said::to_string) });
    w.audit(Some(agent.project_id), &format!("agent.{command}"), "agent", agent_id, data.clone())
        .await?;
    let body = match &said {
        Some(r) => format!("{} by {}: {r}", command, actor.name()),
        None => format!("{} by {}", command, actor.name()),
    };
    w.notify(agent_id, "status_changed", None, body, data).await?;
    post_status_changed(w, &agent, to, actor.name(), said).await?;
    Ok(StatusChange {
        agent: updated,
        changed: true,
    })
}

/// Only the CAO sets caps; never an agent.
pub(crate) fn require_budget_setter(actor: &Actor) -> AppResult<()> {
    if let Actor::Agent { .. } = actor {
        return Err(AppError::forbidden(Msg::new("err-agents-cannot-budget")));
    }
    require(actor, Right::SetBudgets)
}

/// Sets a locked agent's caps inside the caller's transaction (rights checked by the caller):
/// the caps, their audit event, the agent's notification and the chat's notice. An agent paused
/// at its cap is resumed when the new cap leaves it room, and its budget alert is resolved.
pub(crate) async fn set_budget_in(w: &mut Work, agent: &Agent, daily: Usd, per_run: Usd) -> AppResult<Agent> {
    let agent_id = agent.id;
    let now = w.now;
    storage::agents::roll_over_spend(w.conn(), agent_id, now.date_naive()).await?;
    let mut updated = storage::agents::set_budgets(w.conn(), agent_id, daily, per_run, now).await?;
    w.audit(
        Some(agent.project_id),
        "agent.budget_set",
        "agent",
        agent_id,
        json!({ "from": { "dailyCap": agent.budgets.daily_cap, "perRunCap": agent.budgets.per_run_cap },
                "to": { "dailyCap": daily, "perRunCap": per_run } }),
    )
    .await?;
    if updated.status == AgentStatus::Paused && updated.status_cause.as_deref() == Some("budget") && updated.today_spend < daily {
        updated = storage::agents::set_status(w.conn(), agent_id, AgentStatus::Active, None, None, now).await?;
        w.audit(
            Some(agent.project_id),
            "agent.resume",
            "agent",
            agent_id,
            json!({ "cause": "budget raised" }),
        )
        .await?;
        let subject = format!("agent:{agent_id}");
        let by = w.actor.name().to_string();
        resolve_in(w, agent.project_id, AlertKind::BudgetExceeded, &subject, &by).await?;
    }
    w.notify(
        agent_id,
        "budget_changed",
        None,
        format!("daily cap {daily}, per-run cap {per_run}"),
        json!({ "dailyCap": daily, "perRunCap": per_run }),
    )
    .await?;
    w.post(
        agent.project_id,
        Target::General,
        &Notice::BudgetChanged {
            agent_id,
            agent: agent.name.clone(),
            daily_cap: daily,
            per_run_cap: per_run,
            actor: w.actor.name().into(),
        },
    )
    .await?;
    Ok(updated)
}

impl App {
    /// Registers an agent, or reuses the one with that name (updating nothing but handing out a
    /// fresh token). An agent can register only sub-agents of itself.
    pub async fn register_agent(&self, actor: &Actor, project_id: Uuid, input: RegisterAgent) -> AppResult<Registration> {
        match actor {
            Actor::Agent { id, name, .. } => {
                if input.parent_agent_id != Some(*id) {
                    return Err(AppError::forbidden(Msg::new("err-own-sub-agents-only").with("agent", name)));
                }
                require_project(actor, project_id)?;
            }
            _ => require(actor, Right::RegisterAgents)?,
        }
        let name = AgentName::parse(&input.name)?;
        let mut w = Work::begin(self, actor).await?;
        if actor.agent_id().is_some() {
            require_active_agent(&mut w).await?;
        }
        let project = storage::projects::lock(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", project_id))?;
        if let Some(agent) = storage::agents::by_name(w.conn(), project_id, name.as_str()).await? {
            // An agent may look up only its own sub-agent, never a sibling or the CAO.
            if let Actor::Agent { id, name: caller, .. } = actor {
                if agent.parent_agent_id != Some(*id) {
                    return Err(AppError::forbidden(
                        Msg::new("err-not-own-sub-agent").with("agent", caller).with("other", &agent.name),
                    ));
                }
            }
            // One identity, one issuer: a token for an existing agent is the CAO's to give (an
            // operator or a parent that got one could act as the agent, and would retire the
            // agent's own token).
            if input.issue_token && require(actor, Right::ManageTokens).is_err() {
                return Err(AppError::forbidden(
                    Msg::new("err-token-only-self-or-cao").with("agent", &agent.name),
                ));
            }
            // A new token retires the agent's older ones: a leaked one stops working, and a
            // runner that re-registers on every start does not pile tokens up.
            let token = match input.issue_token {
                true => {
                    let (token, retired) = issue_agent_token(&mut w, agent.id, agent.name.as_str()).await?;
                    w.audit(
                        Some(project_id),
                        "agent.token_issued",
                        "agent",
                        agent.id,
                        json!({ "name": agent.name, "retired": retired }),
                    )
                    .await?;
                    Some(token)
                }
                false => None,
            };
            w.commit().await?;
            return Ok(Registration {
                agent,
                token,
                created: false,
            });
        }
        let parent = match input.parent_agent_id {
            Some(parent_id) => {
                let parent = storage::agents::by_id(w.conn(), parent_id)
                    .await?
                    .ok_or_else(|| AppError::unknown_in("parentAgentId", "parent agent", parent_id))?;
                if parent.project_id != project_id {
                    return Err(AppError::validation("parentAgentId", Msg::new("err-parent-other-project")));
                }
                let children = storage::agents::count_children(w.conn(), parent_id).await? as usize;
                Some((parent, children))
            }
            None => None,
        };
        let active = storage::agents::count_active(w.conn(), project_id).await? as usize;
        let facts = SpawnFacts {
            parent: parent.as_ref().map(|(p, n)| (p.name.as_str(), p.role, p.depth, *n)),
            active_agents: active,
        };
        let depth = check_spawn(&facts, &self.rules.spawn).map_err(|e| AppError::conflict("spawn_refused", e.message()))?;
        let caps = self.rules.role_caps.for_role(input.role);
        let grant = GrantFacts {
            by_cao: require(actor, Right::SetBudgets).is_ok(),
            role: input.role,
            daily_cap: input.daily_cap,
            role_default: caps.daily,
            parent: parent.as_ref().map(|(p, _)| (p.role, p.budgets.daily_cap)),
        };
        let daily_cap = check_grant(&grant).map_err(|refusal| match refusal {
            GrantRefusal::CapAboveDefault { .. } => AppError::forbidden(refusal.message()),
            _ => AppError::validation(refusal.field(), refusal.message()),
        })?;
        // A squad that is paused stays paused: newcomers join it paused.
        let (status, cause) = if project.squad_paused {
            (AgentStatus::Paused, Some("squad"))
        } else {
            (AgentStatus::Active, None)
        };
        let mut types = input.allowed_task_types.clone();
        types.sort();
        types.dedup();
        let now = w.now;
        let agent = storage::agents::insert(
            w.conn(),
            &NewAgent {
                project_id,
                name: name.as_str(),
                role: input.role,
                parent_agent_id: input.parent_agent_id,
                depth,
                allowed_task_types: &types,
                status,
                status_cause: cause,
                daily_cap,
                per_run_cap: caps.per_run,
            },
            now,
        )
        .await?;
        let token = match input.issue_token {
            true => Some(issue_agent_token(&mut w, agent.id, agent.name.as_str()).await?.0),
            false => None,
        };
        w.audit(
            Some(project_id),
            "agent.registered",
            "agent",
            agent.id,
            json!({ "name": agent.name, "role": agent.role, "allowedTaskTypes": agent.allowed_task_types,
                    "parentAgentId": agent.parent_agent_id, "dailyCap": daily_cap }),
        )
        .await?;
        w.commit().await?;
        Ok(Registration {
            agent,
            token,
            created: true,
        })
    }

    /// An agent says it is alive; it gets its notifications, its tasks, its budget, and
    /// whether it must stop.
    pub async fn heartbeat(&self, actor: &Actor, agent_id: Uuid) -> AppResult<HeartbeatReport> {
        let mut answers = self.heartbeats(&[(actor.clone(), agent_id, None)]).await?;
        answers.pop().expect("one answer per heartbeat")
    }

    /// Heartbeats of several agents, each acting as itself, in one transaction of a few
    /// statements whatever their number: a kill switch wakes every waiting agent at once, and
    /// their reads arrive together (`app::waits`). The answers are in the order asked; an agent
    /// that asks for another's, or no longer exists, gets its own error. When the same agent is
    /// asked for twice, its notifications go to the first answer. An ask made with a token
    /// (a long wait's) whose token no longer works is refused and takes nothing.
    pub(crate) async fn heartbeats(&self, asks: &[(Actor, Uuid, Option<Uuid>)]) -> AppResult<Vec<AppResult<HeartbeatReport>>> {
        let Some((first, _, _)) = asks.first() else {
            return Ok(Vec::new());
        };
        let mut w = Work::begin(self, first).await?;
        let now = w.now;
        let tokens: Vec<Uuid> = asks.iter().filter_map(|(_, _, token)| *token).collect();
        let refused = refused_tokens(w.conn(), &tokens, now).await?;
        let dead = |token: &Option<Uuid>| token.and_then(|t| refused.get(&t));
        let mut actors: HashMap<Uuid, &Actor> = HashMap::new();
        for (actor, agent_id, token) in asks {
            if actor.agent_id() == Some(*agent_id) && dead(token).is_none() {
                actors.entry(*agent_id).or_insert(actor);
            }
        }
        let ids: Vec<Uuid> = actors.keys().copied().collect();
        // Each asks as itself (an agent's token is the agent: its project is its own).
        let mut agents: HashMap<Uuid, Agent> = HashMap::new();
        for beat in storage::agents::record_heartbeats(w.conn(), &ids, now, now.date_naive()).await? {
            let mut agent = beat.agent;
            if beat.status_before == AgentStatus::Offline {
                w.actor = actors[&agent.id].clone();
                agent = storage::agents::set_status(w.conn(), agent.id, AgentStatus::Active, None, None, now).await?;
                w.audit(Some(agent.project_id), "agent.back_online", "agent", agent.id, json!({}))
                    .await?;
            }
            agents.insert(agent.id, agent);
        }
        let live: Vec<Uuid> = agents.keys().copied().collect();
        let subjects: Vec<(Uuid, String)> = live.iter().map(|id| (*id, format!("agent:{id}"))).collect();
        let stale: Vec<Resolution> = subjects
            .iter()
            .map(|(id, subject)| Resolution {
                project_id: agents[id].project_id,
                subject,
                by: &agents[id].name,
            })
            .collect();
        for alert in storage::alerts::resolve_open_many(w.conn(), AlertKind::AgentStale.as_str(), &stale, now).await? {
            if let Some((id, _)) = subjects.iter().find(|(_, subject)| *subject == alert.subject) {
                w.actor = actors[id].clone();
            }
            let by = alert.resolved_by.clone().unwrap_or_default();
            audit_and_post_resolved(&mut w, &alert, &by).await?;
        }
        drop(stale);
        let mut notifications: HashMap<Uuid, Vec<Notification>> = HashMap::new();
        for n in storage::notifications::take_pending(w.conn(), &live, 100, now).await? {
            notifications.entry(n.agent_id).or_default().push(n);
        }
        let tasks = storage::tasks::assigned_to(w.conn(), &live).await?;
        w.commit().await?;
        Ok(asks
            .iter()
            .map(|(actor, agent_id, token)| {
                if actor.agent_id() != Some(*agent_id) {
                    return Err(AppError::forbidden(Msg::new("err-heartbeat-self-only")));
                }
                if let Some(why) = dead(token) {
                    return Err(AppError::Unauthenticated(why.clone()));
                }
                let agent = agents
                    .get(agent_id)
                    .cloned()
                    .ok_or_else(|| AppError::not_found("agent", *agent_id))?;
                let reason = stop_reason(&agent);
                Ok(HeartbeatReport {
                    budget: BudgetState::of(&agent),
                    notifications: notifications.remove(agent_id).unwrap_or_default(),
                    assigned_tasks: tasks.iter().filter(|t| t.assignee_ids.contains(agent_id)).cloned().collect(),
                    stop: reason.is_some(),
                    reason,
                    agent,
                })
            })
            .collect())
    }

    /// Pause, resume, quarantine, release or restart, for the reason the operator typed.
    pub async fn change_agent_status(
        &self,
        actor: &Actor,
        agent_id: Uuid,
        command: StatusCommand,
        reason: Option<&str>,
    ) -> AppResult<StatusChange> {
        let reason = reason.map(Reason::parse_optional).transpose()?.flatten();
        self.change_status(actor, agent_id, command, reason.map(|r| Said::from(r.into_inner())))
            .await
    }

    /// The same, for a reason the code words (a button's), said in each chat's language.
    pub async fn change_agent_status_because(
        &self,
        actor: &Actor,
        agent_id: Uuid,
        command: StatusCommand,
        because: Msg,
    ) -> AppResult<StatusChange> {
        Reason::parse(&because.to_string())?;
        self.change_status(actor, agent_id, command, Some(because.into())).await
    }

    async fn change_status(&self, actor: &Actor, agent_id: Uuid, command: StatusCommand, said: Option<Said>) -> AppResult<StatusChange> {
        require(actor, command.right())?;
        let mut w = Work::begin(self, actor).await?;
        let change = change_status_in(&mut w, agent_id, command, said).await?;
        w.commit().await?;
        Ok(change)
    }

    /// Sets an agent's caps (CAO only; never an agent). An agent paused at its cap is resumed
    /// when the new cap leaves it room, and its budget alert is resolved.
    pub async fn set_budget(&self, actor: &Actor, agent_id: Uuid, daily_cap: Option<Usd>, per_run_cap: Option<Usd>) -> AppResult<Agent> {
        require_budget_setter(actor)?;
        if daily_cap.is_none() && per_run_cap.is_none() {
            return Err(AppError::validation("budgets", Msg::new("err-budgets-nothing-to-change")));
        }
        let mut w = Work::begin(self, actor).await?;
        let agent = lock_agent(&mut w, agent_id).await?;
        let daily = daily_cap.unwrap_or(agent.budgets.daily_cap);
        let per_run = per_run_cap.unwrap_or(agent.budgets.per_run_cap);
        let updated = set_budget_in(&mut w, &agent, daily, per_run).await?;
        w.commit().await?;
        Ok(updated)
    }
    /// The runbook's "reset agent state": status, error streak, today's spend, current task.
    pub async fn reset_agent(&self, actor: &Actor, agent_id: Uuid, reset: AgentReset) -> AppResult<Agent> {
        if let Actor::Agent { .. } = actor {
            return Err(AppError::forbidden(Msg::new("err-agents-cannot-reset")));
        }
        require(actor, Right::ResetAgents)?;
        if reset.error_streak.is_some_and(|s| s < 0) {
            return Err(AppError::validation("errorStreak", Msg::new("err-not-negative")));
        }
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let agent = lock_agent(&mut w, agent_id).await?;
        if let Some(Some(task_id)) = reset.current_task_id {
            let task = storage::tasks::by_id(w.conn(), task_id)
                .await?
                .ok_or_else(|| AppError::unknown_in("currentTaskId", "task", task_id))?;
            if task.project_id != agent.project_id {
                return Err(AppError::validation("currentTaskId", Msg::new("err-task-other-project")));
            }
        }
        if reset.status == Some(AgentStatus::Active) {
            may_reactivate(actor, &agent, reset.today_spend.unwrap_or(agent.today_spend))?;
        }
        let why = Said::from(Msg::new("why-reset"));
        let updated = storage::agents::reset(
            w.conn(),
            agent_id,
            &ResetFields {
                status: reset.status,
                status_reason: Some(why.clone()),
                error_streak: reset.error_streak,
                today_spend: reset.today_spend,
                current_task_id: reset.current_task_id,
            },
            now,
        )
        .await?;
        w.audit(
            Some(agent.project_id),
            "agent.reset",
            "agent",
            agent_id,
            json!({ "status": reset.status, "errorStreak": reset.error_streak, "todaySpend": reset.today_spend,
                    "currentTaskId": reset.current_task_id }),
        )
        .await?;
        if reset.status.is_some_and(|s| s != agent.status) {
            // No notification says so, but a waiting agent must hear of it at once.
            w.wake(agent_id);
            post_status_changed(&mut w, &agent, updated.status, actor.name(), Some(why)).await?;
        }
        w.commit().await?;
        Ok(updated)
    }

    /// Raises the error-streak alert or quarantines automatically; used by run recording.
    pub(crate) async fn check_error_streak(&self, w: &mut Work, agent: &Agent) -> AppResult<Option<Agent>> {
        if agent.error_streak > self.rules.error_streak_quarantine && agent.status != AgentStatus::Quarantined {
            let reason = Said::from(Msg::new("why-error-streak").count("streak", agent.error_streak));
            let now = w.now;
            let updated = storage::agents::set_status(
                w.conn(),
                agent.id,
                AgentStatus::Quarantined,
                Some("error_streak"),
                Some(&reason),
                now,
            )
            .await?;
            w.audit(
                Some(agent.project_id),
                "agent.quarantine",
                "agent",
                agent.id,
                json!({ "cause": "error_streak", "errorStreak": agent.error_streak }),
            )
            .await?;
            w.notify(
                agent.id,
                "status_changed",
                None,
                format!("quarantined automatically: {reason}"),
                json!({ "to": "quarantined" }),
            )
            .await?;
            raise_service_in(
                w,
                agent.project_id,
                AlertSeverity::Critical,
                &format!("agent:{}", agent.id),
                &format!(
                    "{} quarantined automatically after {} failed runs in a row",
                    agent.name, agent.error_streak
                ),
                ErrorStreak {
                    agent_id: agent.id,
                    agent: agent.name.clone(),
                    error_streak: agent.error_streak,
                    quarantined: true,
                },
            )
            .await?;
            return Ok(Some(updated));
        }
        if agent.error_streak > self.rules.error_streak_alert {
            raise_service_in(
                w,
                agent.project_id,
                AlertSeverity::Warning,
                &format!("agent:{}", agent.id),
                &format!("{} has failed {} runs in a row", agent.name, agent.error_streak),
                ErrorStreak {
                    agent_id: agent.id,
                    agent: agent.name.clone(),
                    error_streak: agent.error_streak,
                    quarantined: false,
                },
            )
            .await?;
        }
        Ok(None)
    }
}
