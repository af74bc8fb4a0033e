use super::agents::pause_for_budget;
use super::alerts::{raise_budget_exceeded, raise_budget_warning, raise_service_in};
use super::budgets;
use super::guards::{lock_agent, require_self};
use super::tasks::{lock_task, TransitionSpec};
use super::work::Work;
use super::{require, require_project, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::{Agent, Alert, Run};
use crate::storage;
use crate::storage::runs::NewRun;
use mc_domain::alerts::PerRunCapExceeded;
use mc_domain::budget::evaluate_run;
use mc_domain::costs::{self, ReportedTokens};
use mc_domain::i18n::Msg;
use mc_domain::task_state::allowed_targets;
use mc_domain::*;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RecordRun {
    pub agent_id: Uuid,
    pub task_id: Option<Uuid>,
    /// What the agent says the run cost; without it the cost is priced from the price table.
    pub cost: Option<Usd>,
    pub status: RunStatus,
    pub model: Option<String>,
    pub tokens: ReportedTokens,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub run: Run,
    pub agent: Agent,
    /// The agent reached a cap with this run (its daily or monthly one, or its project's) and
    /// was paused.
    pub budget_exceeded: bool,
    /// The task was moved to needs_approval because of the budget.
    pub task_held: bool,
    pub alerts: Vec<Alert>,
}

impl App {
    /// Records a run and its cost. Cost is a fact: it is recorded even for a paused agent. A run
    /// without a cost is priced from the price table by its model and tokens; a reported cost
    /// is kept with the table's price beside it (a difference over 5 % flagged); a model the
    /// table does not know, with no cost, is recorded as unpriced (its cost unknown, adding
    /// nothing to spend). The caps are enforced here: over the per-run cap raises an alert;
    /// reaching the daily cap pauses the agent, holds its task in needs_approval and raises
    /// budget_exceeded.
    pub async fn record_run(&self, actor: &Actor, input: RecordRun) -> AppResult<RunOutcome> {
        require_self(actor, input.agent_id)?;
        if !matches!(actor, Actor::Agent { .. }) {
            require(actor, Right::ControlAgents)?;
        }
        let mut w = Work::begin(self, actor).await?;
        let outcome = self.record_run_in(&mut w, input).await?;
        w.commit().await?;
        Ok(outcome)
    }

    /// [`App::record_run`] inside the caller's transaction (the OTLP ingest records its runs
    /// with the rest of an export); the caller has checked the actor.
    pub(crate) async fn record_run_in(&self, w: &mut Work, input: RecordRun) -> AppResult<RunOutcome> {
        let actor = &w.actor.clone();
        let model = input.model.as_deref().map(ModelName::parse_optional).transpose()?.flatten();
        let model = model.as_ref().map(ModelName::as_str);
        let tokens = input.tokens.check()?;
        let settled = match (input.cost, model, tokens.usage) {
            (None, None, _) | (None, _, None) => return Err(AppError::validation("cost", Msg::new("err-run-cost-missing"))),
            (reported, model, usage) => {
                let priced = model.zip(usage).and_then(|(m, u)| self.rules.prices.price(m, &u));
                costs::settle(reported, priced)
            }
        };
        let cost = settled.spend();
        let error = input.error.as_deref().map(RunError::parse_optional).transpose()?.flatten();
        let now = w.now;
        // Lock order, as everywhere: the task before the agent (a transition locks its task and
        // then writes its assignees' rows). The task a budget hold would take is the run's, or
        // else the agent's current one, read here before the agent is locked.
        let peek = storage::agents::by_id(w.conn(), input.agent_id)
            .await?
            .ok_or_else(|| AppError::unknown_in("agentId", "agent", input.agent_id))?;
        require_project(actor, peek.project_id)?;
        let task = match input.task_id {
            Some(id) => {
                let task = lock_task(w, id).await.map_err(|e| e.in_field("taskId"))?;
                if task.project_id != peek.project_id {
                    return Err(AppError::validation("taskId", Msg::new("err-task-other-project")));
                }
                if !task.assignee_ids.contains(&peek.id) && task.reviewer_id != Some(peek.id) {
                    return Err(AppError::forbidden(
                        Msg::new("err-run-not-own-task").with("agent", &peek.name).with("task", task.number),
                    ));
                }
                Some(task)
            }
            None => None,
        };
        let mut current = match (&task, peek.current_task_id) {
            (None, Some(id)) => storage::tasks::lock(w.conn(), id).await?,
            _ => None,
        };
        // The project's budget before the agent (see `app::budgets`: its row, then its agents).
        let project_budget = storage::project_budgets::lock(w.conn(), peek.project_id, now.date_naive()).await?;
        let agent = lock_agent(w, input.agent_id).await?;
        if task.is_none() && agent.current_task_id != current.as_ref().map(|t| t.id) {
            // The current task changed between the read and the lock (a transition committed in
            // between): take the new one, the only lock here out of the usual order.
            current = match agent.current_task_id {
                Some(id) => storage::tasks::lock(w.conn(), id).await?,
                None => None,
            };
        }
        storage::agents::roll_over_spend(w.conn(), agent.id, now.date_naive()).await?;
        let before = storage::agents::by_id(w.conn(), agent.id).await?.expect("locked agent exists");
        let run = storage::runs::insert(
            w.conn(),
            &NewRun {
                project_id: agent.project_id,
                agent_id: agent.id,
                task_id: input.task_id,
                cost: settled,
                status: input.status,
                model,
                tokens,
                error: error.as_ref().map(RunError::as_str),
            },
            now,
        )
        .await?;
        let mut updated = storage::agents::add_spend(w.conn(), agent.id, cost, input.status == RunStatus::Failed, now).await?;
        if let Some(task) = &task {
            storage::tasks::add_cost(w.conn(), task.id, cost).await?;
        }
        w.audit(
            Some(agent.project_id),
            "run.recorded",
            "run",
            run.id,
            json!({
                "agentId": agent.id, "taskId": input.task_id, "cost": settled.cost, "costSource": settled.source,
                "pricedCost": settled.priced, "costMismatch": settled.mismatch, "status": input.status, "model": model,
                "tokens": tokens.total, "inputTokens": tokens.usage.map(|u| u.input), "outputTokens": tokens.usage.map(|u| u.output),
                "cacheReadTokens": tokens.usage.map(|u| u.cache_read), "cacheWriteTokens": tokens.usage.map(|u| u.cache_write),
                "reasoningTokens": tokens.usage.map(|u| u.reasoning),
            }),
        )
        .await?;
        if let Some(task) = &task {
            w.post(
                agent.project_id,
                Target::Task(task.id),
                &Notice::RunRecorded {
                    task_id: task.id,
                    number: task.number,
                    agent: agent.name.clone(),
                    cost: settled.cost,
                    mismatch_with: settled.priced.filter(|_| settled.mismatch),
                    status: input.status,
                    today_spend: updated.today_spend,
                    daily_cap: updated.budgets.daily_cap,
                },
            )
            .await?;
        }

        let caps = mc_domain::budget::Caps {
            daily: before.budgets.daily_cap,
            per_run: before.budgets.per_run_cap,
        };
        let spend = evaluate_run(before.today_spend, cost, caps, self.rules.budget_warning_percent);
        let subject = format!("agent:{}", agent.id);
        let mut alerts = Vec::new();
        if spend.over_per_run_cap {
            let alert = raise_service_in(
                w,
                agent.project_id,
                AlertSeverity::Warning,
                &subject,
                &format!("{} spent {} in one run (per-run cap {})", agent.name, cost, caps.per_run),
                PerRunCapExceeded {
                    agent_id: agent.id,
                    agent: agent.name.clone(),
                    run_id: run.id,
                    task_id: input.task_id,
                    cost,
                    per_run_cap: caps.per_run,
                },
            )
            .await?;
            alerts.push(alert);
        }
        let mut task_held = false;
        if spend.reached_daily_cap {
            if updated.status == AgentStatus::Active {
                (updated, _) = pause_for_budget(w, &agent, spend.today_spend, caps.daily).await?;
            }
            let held = task.as_ref().or(current.as_ref());
            let held_task_id = held.map(|t| t.id);
            if let Some(held) = held {
                if allowed_targets(held.status).contains(&TaskStatus::NeedsApproval) {
                    let system = Actor::system("budget");
                    let spec = TransitionSpec {
                        budget_hold: true,
                        ..TransitionSpec::because(
                            TaskStatus::NeedsApproval,
                            Msg::new("why-agent-reached-budget").with("agent", &agent.name),
                        )
                    };
                    // The hold is the system's act, whoever reported the run.
                    let reporter = w.switch_actor(system);
                    self.apply_transition(w, held, spec).await?;
                    w.switch_actor(reporter);
                    task_held = true;
                }
            }
            let alert = raise_budget_exceeded(w, &agent, spend.today_spend, caps.daily, held_task_id).await?;
            alerts.push(alert);
        } else if spend.crossed_warning && before.budget_warned_day != Some(now.date_naive()) {
            storage::agents::mark_budget_warned(w.conn(), agent.id, now.date_naive()).await?;
            let alert = raise_budget_warning(w, &agent, spend.today_spend, caps.daily, input.task_id).await?;
            alerts.push(alert);
        }
        // The agent's month and its project's day and month.
        let periods = budgets::after_run(
            w,
            self.rules.budget_warning_percent,
            &before,
            &mut updated,
            cost,
            project_budget.as_ref(),
        )
        .await?;
        alerts.extend(periods.alerts);
        if let Some(quarantined) = self.check_error_streak(w, &updated).await? {
            updated = quarantined;
        }
        Ok(RunOutcome {
            run,
            agent: updated,
            budget_exceeded: spend.reached_daily_cap || periods.agent_paused,
            task_held,
            alerts,
        })
    }
}
