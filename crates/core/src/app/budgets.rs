//! Budgets by the month and by the project, beside each agent's daily cap (`app::runs`): an
//! agent's monthly cap, and a project's daily and monthly caps over all its agents. A run that
//! brings a budget to its warning share raises a warning; one that reaches it pauses the agent
//! — or every active agent of the project — and raises a `budget_exceeded` alert whose CAO
//! buttons are "Raise by $N and resume" and "Keep paused". The period's turn (the
//! `budget_reset` job) lifts these pauses with a notice. Only a CAO changes caps.
//!
//! Lock order: a project's budget row before any of its agents (a run locks it before its
//! agent, and pausing the project locks the others after), and alerts last.

use super::agents::{post_status_changed, require_budget_setter};
use super::alerts::raise_service_in;
use super::guards::lock_agent;
use super::work::Work;
use super::{require_project, App, AppError, AppResult};
use crate::model::{Agent, Alert, ProjectBudget};
use crate::storage;
use mc_domain::alerts::{BudgetExceeded, PeriodBudget};
use mc_domain::budget::{check_cap, month_of, BudgetPause};
use mc_domain::i18n::{Msg, Said};
use mc_domain::*;
use serde_json::json;
use uuid::Uuid;

/// What a run's cost did to the period budgets: the alerts raised, and whether the run's agent
/// was paused by one of them.
pub(crate) struct PeriodOutcome {
    pub alerts: Vec<Alert>,
    pub agent_paused: bool,
}

/// Judges a run's `cost` against the agent's monthly cap and its project's caps; `agent` is the
/// run's agent as it was before the run (rolled over, locked), `updated` as it is now, and
/// `project` the project's budget as it was before the run (locked), if it has one.
pub(crate) async fn after_run(
    w: &mut Work,
    warning_percent: u32,
    agent: &Agent,
    updated: &mut Agent,
    cost: Usd,
    project: Option<&ProjectBudget>,
) -> AppResult<PeriodOutcome> {
    let mut out = PeriodOutcome {
        alerts: Vec::new(),
        agent_paused: false,
    };
    let today = w.now.date_naive();
    let month = month_of(today);
    if let Some(cap) = agent.monthly_cap {
        let check = check_cap(agent.month_spend, cost, cap, warning_percent);
        let mut budget = PeriodBudget {
            scope: BudgetScope::Agent,
            scope_id: agent.id,
            name: agent.name.clone(),
            period: BudgetPeriod::Month,
            spent: check.spent,
            cap,
            percent: check.spent.percent_of(cap),
            paused: Vec::new(),
        };
        if check.reached {
            if updated.status == AgentStatus::Active {
                *updated = pause_for(w, updated, BudgetPause::AgentMonth, check.spent, cap).await?;
                budget.paused.push(agent.name.clone());
                out.agent_paused = true;
            }
            out.alerts.push(raise(w, agent.project_id, budget, true).await?);
        } else if check.crossed_warning && agent.budget_warned_month != Some(month) {
            storage::agents::mark_month_warned(w.conn(), agent.id, month).await?;
            out.alerts.push(raise(w, agent.project_id, budget, false).await?);
        }
    }
    let Some(project) = project else { return Ok(out) };
    storage::project_budgets::add_spend(w.conn(), project.project_id, cost).await?;
    let name = storage::projects::by_id(w.conn(), project.project_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    for period in [BudgetPeriod::Day, BudgetPeriod::Month] {
        let (Some(cap), before) = project.of(period) else { continue };
        let check = check_cap(before, cost, cap, warning_percent);
        let mut budget = PeriodBudget {
            scope: BudgetScope::Project,
            scope_id: project.project_id,
            name: name.clone(),
            period,
            spent: check.spent,
            cap,
            percent: check.spent.percent_of(cap),
            paused: Vec::new(),
        };
        if check.reached {
            let pause = BudgetPause::of(BudgetScope::Project, period);
            for other in storage::agents::lock_active_in(w.conn(), project.project_id).await? {
                let other = if other.id == updated.id { updated.clone() } else { other };
                if other.status != AgentStatus::Active {
                    continue;
                }
                let paused = pause_for(w, &other, pause, check.spent, cap).await?;
                budget.paused.push(paused.name.clone());
                if paused.id == updated.id {
                    *updated = paused;
                    out.agent_paused = true;
                }
            }
            out.alerts.push(raise(w, project.project_id, budget, true).await?);
        } else if check.crossed_warning {
            let (warned, mark) = match period {
                BudgetPeriod::Day => (project.warned_day == Some(today), (Some(today), None)),
                BudgetPeriod::Month => (project.warned_month == Some(month), (None, Some(month))),
            };
            if !warned {
                storage::project_budgets::mark_warned(w.conn(), project.project_id, mark.0, mark.1).await?;
                out.alerts.push(raise(w, project.project_id, budget, false).await?);
            }
        }
    }
    Ok(out)
}

/// Raises the budget's `budget_exceeded` (critical) or `period_budget_warning` alert.
async fn raise(w: &mut Work, project_id: Uuid, budget: PeriodBudget, exceeded: bool) -> AppResult<Alert> {
    let subject = PeriodBudget::subject(budget.scope, budget.scope_id, budget.period);
    let message = format!(
        "{} {} ({}): {} of {} this {}{}",
        budget.scope,
        budget.name,
        if exceeded { "budget reached" } else { "budget warning" },
        budget.spent,
        budget.cap,
        budget.period,
        if budget.paused.is_empty() {
            String::new()
        } else {
            format!("; paused {}", budget.paused.join(", "))
        }
    );
    if exceeded {
        raise_service_in(
            w,
            project_id,
            AlertSeverity::Critical,
            &subject,
            &message,
            BudgetExceeded::Period(budget),
        )
        .await
    } else {
        raise_service_in(w, project_id, AlertSeverity::Warning, &subject, &message, budget).await
    }
}

/// The reason a budget pause gives.
fn pause_reason(pause: BudgetPause, spent: Usd, cap: Usd) -> Msg {
    let key = match pause {
        BudgetPause::AgentDay => "why-daily-budget-reached",
        BudgetPause::AgentMonth => "why-monthly-budget-reached",
        BudgetPause::ProjectDay => "why-project-daily-budget-reached",
        BudgetPause::ProjectMonth => "why-project-monthly-budget-reached",
    };
    Msg::new(key).with("spent", spent).with("cap", cap)
}

/// Pauses a locked, active agent for a period budget: audited, told to the agent and the chat.
async fn pause_for(w: &mut Work, agent: &Agent, pause: BudgetPause, spent: Usd, cap: Usd) -> AppResult<Agent> {
    let reason = Said::from(pause_reason(pause, spent, cap));
    let now = w.now;
    let paused = storage::agents::set_status(w.conn(), agent.id, AgentStatus::Paused, Some(pause.as_str()), Some(&reason), now).await?;
    w.audit(
        Some(agent.project_id),
        "agent.pause",
        "agent",
        agent.id,
        json!({ "cause": pause.as_str(), "spent": spent, "cap": cap, "reason": reason.to_string() }),
    )
    .await?;
    w.notify(
        agent.id,
        "status_changed",
        None,
        format!("paused: {reason}"),
        json!({ "to": "paused", "cause": pause.as_str() }),
    )
    .await?;
    post_status_changed(w, agent, AgentStatus::Paused, "budget", Some(reason)).await?;
    Ok(paused)
}

/// Resumes a locked agent paused for a budget: audited, told to the agent and the chat (a
/// period's turn, a raised period budget, the budget day's turn).
pub(super) async fn resume(w: &mut Work, agent: &Agent, why: Msg) -> AppResult<Agent> {
    let now = w.now;
    let resumed = storage::agents::set_status(w.conn(), agent.id, AgentStatus::Active, None, None, now).await?;
    w.audit(
        Some(agent.project_id),
        "agent.resume",
        "agent",
        agent.id,
        json!({ "cause": agent.status_cause, "why": why.to_string() }),
    )
    .await?;
    w.notify(
        agent.id,
        "status_changed",
        None,
        format!("resumed: {why}"),
        json!({ "to": "active" }),
    )
    .await?;
    let by = w.actor.name().to_string();
    post_status_changed(w, agent, AgentStatus::Active, &by, Some(why.into())).await?;
    Ok(resumed)
}

/// A project's caps as the API and the bot show them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBudgetView {
    pub project_id: Uuid,
    pub daily_cap: Option<Usd>,
    pub monthly_cap: Option<Usd>,
    pub today_spend: Usd,
    pub month_spend: Usd,
}

/// What a period budget alert's raise did.
#[derive(Debug, Clone)]
pub struct RaisedBudget {
    /// The agents it resumed.
    pub resumed: Vec<Agent>,
    /// The budget's cap now, and what was spent in its period.
    pub cap: Usd,
    pub spent: Usd,
    /// The cap is still at or under the spend: nobody resumed and the alert stays open.
    pub still_reached: bool,
}

impl ProjectBudgetView {
    fn of(project_id: Uuid, budget: Option<&ProjectBudget>, today: chrono::NaiveDate) -> Self {
        let today_spend = budget.filter(|b| b.spend_day == today).map_or(Usd::ZERO, |b| b.today_spend);
        let month_spend = budget
            .filter(|b| b.spend_month == month_of(today))
            .map_or(Usd::ZERO, |b| b.month_spend);
        ProjectBudgetView {
            project_id,
            daily_cap: budget.and_then(|b| b.daily_cap),
            monthly_cap: budget.and_then(|b| b.monthly_cap),
            today_spend,
            month_spend,
        }
    }
}

impl App {
    /// Sets an agent's caps in one go: daily and per-run (`None` keeps each), and monthly
    /// (`Some(Some)` sets, `Some(None)` clears, `None` keeps). A cap raised above its spend
    /// resumes an agent that cap paused. Only a CAO.
    pub async fn set_agent_caps(
        &self,
        actor: &Actor,
        agent_id: Uuid,
        daily: Option<Usd>,
        per_run: Option<Usd>,
        monthly: Option<Option<Usd>>,
    ) -> AppResult<Agent> {
        require_budget_setter(actor)?;
        if daily.is_none() && per_run.is_none() && monthly.is_none() {
            return Err(AppError::validation("budgets", Msg::new("err-budgets-nothing-to-change")));
        }
        let mut w = Work::begin(self, actor).await?;
        let agent = lock_agent(&mut w, agent_id).await?;
        require_project(actor, agent.project_id)?;
        let mut updated = agent.clone();
        if daily.is_some() || per_run.is_some() {
            let daily = daily.unwrap_or(agent.budgets.daily_cap);
            let per_run = per_run.unwrap_or(agent.budgets.per_run_cap);
            updated = super::agents::set_budget_in(&mut w, &agent, daily, per_run).await?;
        }
        if let Some(cap) = monthly {
            updated = set_monthly_cap_in(&mut w, &updated, cap).await?;
        }
        w.commit().await?;
        Ok(updated)
    }

    /// A project's budget as it stands.
    pub async fn project_budget(&self, actor: &Actor, project_id: Uuid) -> AppResult<ProjectBudgetView> {
        require_project(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let budget = storage::project_budgets::get(&mut conn, project_id).await?;
        Ok(ProjectBudgetView::of(project_id, budget.as_ref(), self.now().date_naive()))
    }

    /// Sets a project's daily and monthly caps (each: `Some(Some)` sets, `Some(None)` clears,
    /// `None` keeps). A cap raised above its period's spend resumes the agents it paused.
    pub async fn set_project_budget(
        &self,
        actor: &Actor,
        project_id: Uuid,
        daily: Option<Option<Usd>>,
        monthly: Option<Option<Usd>>,
    ) -> AppResult<ProjectBudgetView> {
        require_budget_setter(actor)?;
        require_project(actor, project_id)?;
        if daily.is_none() && monthly.is_none() {
            return Err(AppError::validation("budgets", Msg::new("err-budgets-nothing-to-change")));
        }
        let mut w = Work::begin(self, actor).await?;
        storage::projects::by_id(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::unknown_in("projectId", "project", project_id))?;
        let (view, _) = set_project_caps_in(&mut w, project_id, daily, monthly).await?;
        w.commit().await?;
        Ok(view)
    }

    /// A period budget alert's "Raise by $N and resume": the agent's monthly cap, or the
    /// project's cap of the period, goes up by `by` (what the button said), the agents that
    /// budget paused resume when it is now above the spend, and the alert is resolved — one
    /// transaction. Only a CAO. A raise that leaves the cap at or under what was spent (more
    /// was recorded since the alert) resumes nobody and leaves the alert open, its buttons
    /// still there.
    pub async fn raise_budget_from_alert(&self, actor: &Actor, alert_id: Uuid, by: Usd) -> AppResult<RaisedBudget> {
        require_budget_setter(actor)?;
        let mut w = Work::begin(self, actor).await?;
        let alert = storage::alerts::by_id(w.conn(), alert_id)
            .await?
            .ok_or_else(|| AppError::unknown_in("alertId", "alert", alert_id))?;
        require_project(actor, alert.project_id)?;
        let Some(AlertDetails::BudgetExceeded(BudgetExceeded::Period(budget))) =
            AlertKind::parse(&alert.alert_type).and_then(|kind| AlertDetails::from_json(kind, &alert.details))
        else {
            return Err(AppError::validation("alertId", Msg::new("err-not-a-period-budget-alert")));
        };
        let today = w.now.date_naive();
        let (resumed, cap, spent) = match budget.scope {
            BudgetScope::Agent => {
                let agent = lock_agent(&mut w, budget.scope_id).await?;
                let cap = agent.monthly_cap.unwrap_or(Usd::ZERO).saturating_add(by);
                let updated = set_monthly_cap_in(&mut w, &agent, Some(cap)).await?;
                let spent = updated.month_spend;
                (vec![updated], cap, spent)
            }
            BudgetScope::Project => {
                let project_id = budget.scope_id;
                let current = storage::project_budgets::lock(w.conn(), project_id, today).await?;
                let cap = current
                    .as_ref()
                    .and_then(|b| b.of(budget.period).0)
                    .unwrap_or(Usd::ZERO)
                    .saturating_add(by);
                let (daily, monthly) = match budget.period {
                    BudgetPeriod::Day => (Some(Some(cap)), None),
                    BudgetPeriod::Month => (None, Some(Some(cap))),
                };
                let (view, resumed) = set_project_caps_in(&mut w, project_id, daily, monthly).await?;
                let spent = match budget.period {
                    BudgetPeriod::Day => view.today_spend,
                    BudgetPeriod::Month => view.month_spend,
                };
                (resumed, cap, spent)
            }
        };
        let resumed: Vec<Agent> = resumed.into_iter().filter(|a| a.status == AgentStatus::Active).collect();
        let still_reached = spent >= cap;
        if !still_reached {
            super::alert_actions::resolve_quietly(&mut w, Some(alert_id)).await?;
        }
        w.commit().await?;
        Ok(RaisedBudget {
            resumed,
            cap,
            spent,
            still_reached,
        })
    }

    /// The period's turn for budgets (the `budget_reset` job): a new UTC day lifts the pauses
    /// of projects' daily caps, a new month those of agents' and projects' monthly caps, each
    /// with a notice, when the new period's spend is under the cap. Returns how many agents
    /// resumed.
    pub(crate) async fn period_turn(&self) -> AppResult<u64> {
        let system = Actor::system("budget_reset");
        let today = self.now().date_naive();
        let mut resumed = 0;
        // Agents paused by their own monthly cap.
        let agents = {
            let mut conn = self.pool.acquire().await?;
            storage::jobs::paused_for(&mut conn, BudgetPause::AgentMonth.as_str()).await?
        };
        for id in agents {
            let mut w = Work::begin(self, &system).await?;
            let Some(_) = storage::agents::lock(w.conn(), id).await? else {
                continue;
            };
            storage::agents::roll_over_spend(w.conn(), id, today).await?;
            let agent = storage::agents::by_id(w.conn(), id).await?.expect("locked agent exists");
            let paused = agent.status == AgentStatus::Paused && agent.status_cause.as_deref() == Some(BudgetPause::AgentMonth.as_str());
            if paused && agent.monthly_cap.is_none_or(|cap| agent.month_spend < cap) {
                resume(&mut w, &agent, Msg::new("why-new-budget-month")).await?;
                let subject = PeriodBudget::subject(BudgetScope::Agent, id, BudgetPeriod::Month);
                super::alerts::resolve_in(&mut w, agent.project_id, AlertKind::BudgetExceeded, &subject, system.name()).await?;
                resumed += 1;
            }
            w.commit().await?;
        }
        // Projects' daily and monthly caps.
        let projects = {
            let mut conn = self.pool.acquire().await?;
            storage::project_budgets::all(&mut conn).await?
        };
        for project_id in projects {
            let mut w = Work::begin(self, &system).await?;
            let Some(budget) = storage::project_budgets::lock(w.conn(), project_id, today).await? else {
                continue;
            };
            for period in [BudgetPeriod::Day, BudgetPeriod::Month] {
                let (cap, spent) = budget.of(period);
                if cap.is_some_and(|cap| spent >= cap) {
                    continue;
                }
                let pause = BudgetPause::of(BudgetScope::Project, period);
                let why = match period {
                    BudgetPeriod::Day => "why-new-budget-day",
                    BudgetPeriod::Month => "why-new-budget-month",
                };
                let paused = storage::agents::lock_paused_for(w.conn(), project_id, pause.as_str()).await?;
                for agent in &paused {
                    resume(&mut w, agent, Msg::new(why)).await?;
                    resumed += 1;
                }
                if !paused.is_empty() {
                    let subject = PeriodBudget::subject(BudgetScope::Project, project_id, period);
                    super::alerts::resolve_in(&mut w, project_id, AlertKind::BudgetExceeded, &subject, system.name()).await?;
                }
            }
            w.commit().await?;
        }
        Ok(resumed)
    }
}

/// Sets (or clears) a locked agent's monthly cap inside the caller's transaction, audited; a cap
/// above the month's spend resumes an agent its monthly budget paused.
async fn set_monthly_cap_in(w: &mut Work, agent: &Agent, cap: Option<Usd>) -> AppResult<Agent> {
    let now = w.now;
    storage::agents::roll_over_spend(w.conn(), agent.id, now.date_naive()).await?;
    let mut updated = storage::agents::set_monthly_cap(w.conn(), agent.id, cap, now).await?;
    w.audit(
        Some(agent.project_id),
        "agent.budget_set",
        "agent",
        agent.id,
        json!({ "from": { "monthlyCap": agent.monthly_cap }, "to": { "monthlyCap": cap } }),
    )
    .await?;
    w.notify(
        agent.id,
        "budget_changed",
        None,
        match cap {
            Some(cap) => format!("monthly cap {cap}"),
            None => "no monthly cap".to_string(),
        },
        json!({ "monthlyCap": cap }),
    )
    .await?;
    let paused =
        updated.status == AgentStatus::Paused && BudgetPause::parse(updated.status_cause.as_deref()) == Some(BudgetPause::AgentMonth);
    if paused && cap.is_none_or(|cap| updated.month_spend < cap) {
        updated = resume(w, &updated, Msg::new("why-budget-raised")).await?;
        let subject = PeriodBudget::subject(BudgetScope::Agent, agent.id, BudgetPeriod::Month);
        let by = w.actor.name().to_string();
        super::alerts::resolve_in(w, agent.project_id, AlertKind::BudgetExceeded, &subject, &by).await?;
    }
    Ok(updated)
}

/// Sets a project's caps inside the caller's transaction, audited, and resumes the agents a
/// raised cap no longer holds (their alerts resolved); returns the budget and those agents.
async fn set_project_caps_in(
    w: &mut Work,
    project_id: Uuid,
    daily: Option<Option<Usd>>,
    monthly: Option<Option<Usd>>,
) -> AppResult<(ProjectBudgetView, Vec<Agent>)> {
    let mut resumed = Vec::new();
    let today = w.now.date_naive();
    let before = storage::project_budgets::lock(w.conn(), project_id, today).await?;
    let daily = daily.unwrap_or_else(|| before.as_ref().and_then(|b| b.daily_cap));
    let monthly = monthly.unwrap_or_else(|| before.as_ref().and_then(|b| b.monthly_cap));
    let after = storage::project_budgets::set_caps(w.conn(), project_id, daily, monthly, today).await?;
    w.audit(
        Some(project_id),
        "project.budget_set",
        "project",
        project_id,
        json!({
            "from": { "dailyCap": before.as_ref().and_then(|b| b.daily_cap), "monthlyCap": before.as_ref().and_then(|b| b.monthly_cap) },
            "to": { "dailyCap": daily, "monthlyCap": monthly },
        }),
    )
    .await?;
    for period in [BudgetPeriod::Day, BudgetPeriod::Month] {
        let (cap, spent) = after.as_ref().map_or((None, Usd::ZERO), |b| b.of(period));
        if cap.is_some_and(|cap| spent >= cap) {
            continue;
        }
        let pause = BudgetPause::of(BudgetScope::Project, period);
        let paused = storage::agents::lock_paused_for(w.conn(), project_id, pause.as_str()).await?;
        for agent in &paused {
            resumed.push(resume(w, agent, Msg::new("why-budget-raised")).await?);
        }
        if !paused.is_empty() {
            let subject = PeriodBudget::subject(BudgetScope::Project, project_id, period);
            let by = w.actor.name().to_string();
            super::alerts::resolve_in(w, project_id, AlertKind::BudgetExceeded, &subject, &by).await?;
        }
    }
    Ok((ProjectBudgetView::of(project_id, after.as_ref(), today), resumed))
}
