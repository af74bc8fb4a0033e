//! Read models for the operators' overview: the project summary behind `/status`, `/standup`
//! and `/burnrate` (and later the scheduled standup), task lines with their assignees' names,
//! and the policy as it is configured. Reading only: every function checks the reader.
//!
//! The arithmetic (tallies, burn rate, time to cap) is in pure functions at the bottom, unit
//! tested without a database.

use super::{require, require_read, App, AppError, AppResult, PageRequest};
use crate::model::{Agent, Approval, Page};
use crate::storage;
use crate::storage::approvals::ApprovalFilter;
use chrono::{DateTime, Duration, Utc};
use mc_domain::i18n::Msg;
use mc_domain::policy::{check, PolicyCheck};
use mc_domain::*;
use std::collections::HashMap;
use uuid::Uuid;

pub use crate::model::summary::{AgentTally, ApprovalLine, PolicySummary, ProjectSummary, SpendLine, TaskLine};

/// Tools shown by `/policy`: one or more per risk class of the built-in map.
const POLICY_EXAMPLES: &[&str] = &[
    "read",
    "search",
    "write",
    "edit",
    "exec",
    "shell",
    "browser",
    "message",
    "email.send",
    "deploy",
    "payment",
    "secret_access",
];

const OPEN_UNBLOCKED: &[TaskStatus] = &[
    TaskStatus::Inbox,
    TaskStatus::Assigned,
    TaskStatus::InProgress,
    TaskStatus::Review,
    TaskStatus::NeedsApproval,
];

impl App {
    /// The project at a glance (any reader).
    pub async fn project_summary(&self, actor: &Actor, project_id: Uuid) -> AppResult<ProjectSummary> {
        require_read(actor, project_id)?;
        let project = self.project_by_id(project_id).await?;
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        let counts = storage::summary::task_counts(&mut conn, project_id).await?;
        let completed = storage::summary::completed_since(&mut conn, project_id, now - Duration::hours(24), 10).await?;
        let (blocked, _) = storage::summary::task_lines(&mut conn, project_id, Some(&[TaskStatus::Blocked]), 10, 0).await?;
        let (next, _) = storage::summary::task_lines(&mut conn, project_id, Some(OPEN_UNBLOCKED), 3, 0).await?;
        let agents = storage::agents::all_in_project(&mut conn, project_id).await?;
        let last_hour: HashMap<Uuid, Usd> = storage::summary::spend_since(&mut conn, project_id, now - Duration::hours(1))
            .await?
            .into_iter()
            .collect();
        let (approvals, pending_total) = storage::approvals::list(
            &mut conn,
            &ApprovalFilter {
                project_id,
                statuses: Some(vec![ApprovalStatus::Pending, ApprovalStatus::Escalated]),
                agent_id: None,
                limit: 10,
                offset: 0,
            },
        )
        .await?;
        let open_alerts = storage::summary::open_alert_count(&mut conn, project_id).await?;
        let (month_from, month_to) = super::costs::period_bounds(BudgetPeriod::Month, now);
        let month = storage::runs::cost_summary(
            &mut conn,
            &[project_id],
            month_from.date_naive(),
            month_to.date_naive(),
            CostGrouping::Agent,
        )
        .await?;

        let (tally, stale, not_started) = tally_agents(&agents, now, self.rules.stale_after);
        let spend = spend_lines(&agents, &last_hour, now);
        let names: HashMap<Uuid, &str> = agents.iter().map(|a| (a.id, a.name.as_str())).collect();
        Ok(ProjectSummary {
            at: now,
            tasks_by_status: all_statuses(&counts),
            completed,
            blocked,
            next,
            agents: tally,
            stale_agents: stale,
            not_started_agents: not_started,
            spend_today: spend.iter().fold(Usd::ZERO, |sum, s| sum.saturating_add(s.today_spend)),
            caps_today: spend.iter().fold(Usd::ZERO, |sum, s| sum.saturating_add(s.daily_cap)),
            burn_rate: spend.iter().fold(Usd::ZERO, |sum, s| sum.saturating_add(s.last_hour)),
            spend,
            pending_approvals: approvals.iter().map(|a| approval_line(a, &names)).collect(),
            pending_approvals_total: pending_total,
            open_alerts,
            month_spend: month.iter().fold(Usd::ZERO, |sum, l| sum.saturating_add(l.cost)),
            top_spenders_month: month
                .iter()
                .filter(|l| l.cost > Usd::ZERO)
                .take(crate::model::summary::TOP_SPENDERS)
                .map(|l| (l.name.clone(), l.cost))
                .collect(),
            project,
        })
    }

    /// Tasks with their assignees' names, by priority (any reader).
    pub async fn task_lines(
        &self,
        actor: &Actor,
        project_id: Uuid,
        statuses: Option<Vec<TaskStatus>>,
        page: PageRequest,
    ) -> AppResult<Page<TaskLine>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::summary::task_lines(&mut conn, project_id, statuses.as_deref(), page.limit, page.offset).await?;
        Ok(Page { items, total })
    }

    /// Pending approvals with the requesting agents' names, newest first (any reader).
    pub async fn approval_lines(&self, actor: &Actor, project_id: Uuid, page: PageRequest) -> AppResult<Page<ApprovalLine>> {
        let approvals = self
            .list_approvals(
                actor,
                project_id,
                Some(vec![ApprovalStatus::Pending, ApprovalStatus::Escalated]),
                page,
            )
            .await?;
        let mut conn = self.pool.acquire().await?;
        let agents = storage::agents::all_in_project(&mut conn, project_id).await?;
        let names: HashMap<Uuid, &str> = agents.iter().map(|a| (a.id, a.name.as_str())).collect();
        Ok(Page {
            items: approvals.items.iter().map(|a| approval_line(a, &names)).collect(),
            total: approvals.total,
        })
    }

    /// What policy says of one action type, for `role` or every role (any operator).
    pub fn policy_check(&self, actor: &Actor, action_type: &str, role: Option<AgentRole>) -> AppResult<PolicyCheck> {
        require(actor, Right::Read)?;
        if !mc_domain::policy::plausible_action_type(&action_type.trim().to_ascii_lowercase()) {
            return Err(AppError::validation("actionType", Msg::new("err-action-type")));
        }
        Ok(check(&self.rules.risk_map, &self.rules.auto_approve, action_type, role))
    }

    /// The tool-call rules in force for an agent of `role` in project `slug`, layer by layer in
    /// the order they are consulted (project, role, configuration, shipped; any operator).
    pub fn tool_rules_in_force(&self, actor: &Actor, slug: &str, role: AgentRole) -> AppResult<Vec<ToolRuleLayer>> {
        require(actor, Right::Read)?;
        let policy = self.rules.bridge.policy(slug, role);
        let list = |rules: &[mc_domain::tools::ToolRule]| rules.iter().map(ToString::to_string).collect();
        Ok(policy
            .layers()
            .iter()
            .map(|(name, rules)| ToolRuleLayer {
                name: name.clone(),
                green: list(&rules.green),
                yellow: list(&rules.yellow),
                red: list(&rules.red),
            })
            .collect())
    }

    /// The risk policy as configured (any operator).
    pub async fn policy_summary(&self, actor: &Actor) -> AppResult<PolicySummary> {
        require(actor, Right::Read)?;
        let rules = &self.rules;
        let tools = POLICY_EXAMPLES
            .iter()
            .map(|tool| {
                let c = rules.risk_map.classify(tool, &[], None);
                (tool.to_string(), c.risk, c.reasons)
            })
            .collect();
        let mut overrides: Vec<(String, RiskLevel)> = rules.risk_map.overrides.iter().map(|(k, v)| (k.clone(), *v)).collect();
        overrides.sort();
        Ok(PolicySummary {
            tools,
            overrides,
            auto_approve: rules.auto_approve.clone(),
            done_requires_approval: rules.done_requires_approval.clone(),
            approval_expiry_minutes: rules.approval_expiry_minutes,
            error_streak_alert: rules.error_streak_alert,
            error_streak_quarantine: rules.error_streak_quarantine,
            stale_after_minutes: rules.stale_after.num_minutes(),
            budget_warning_percent: rules.budget_warning_percent,
        })
    }
}

/// One layer of the tool-call policy, as the cockpit's Policy view shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolRuleLayer {
    pub name: String,
    pub green: Vec<String>,
    pub yellow: Vec<String>,
    pub red: Vec<String>,
}

fn approval_line(a: &Approval, names: &HashMap<Uuid, &str>) -> ApprovalLine {
    ApprovalLine {
        id: a.id,
        code: a.code(),
        agent: names.get(&a.agent_id).map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
        action_type: a.action_type.clone(),
        summary: a.action_summary.clone(),
        risk: a.risk,
        expires_at: a.expires_at,
    }
}

// ---- pure composition ----

/// Every task status in board order with its count (zero when absent).
pub fn all_statuses(counts: &[(TaskStatus, i64)]) -> Vec<(TaskStatus, i64)> {
    use strum::VariantArray;
    TaskStatus::VARIANTS
        .iter()
        .map(|s| (*s, counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n)))
        .collect()
}

/// Whether an active agent's heartbeat is late (or never came).
pub fn is_stale(agent: &Agent, now: DateTime<Utc>, stale_after: Duration) -> bool {
    agent.status == AgentStatus::Active && agent.last_heartbeat.is_none_or(|beat| now - beat > stale_after)
}

/// Agents per status, the names of the stale ones, and of those not started (active, never a
/// heartbeat: an agent registered but not yet running is not "stale").
pub fn tally_agents(agents: &[Agent], now: DateTime<Utc>, stale_after: Duration) -> (AgentTally, Vec<String>, Vec<String>) {
    let mut tally = AgentTally::default();
    let mut stale = Vec::new();
    let mut not_started = Vec::new();
    for agent in agents {
        match agent.status {
            AgentStatus::Active => tally.active += 1,
            AgentStatus::Paused => tally.paused += 1,
            AgentStatus::Quarantined => tally.quarantined += 1,
            AgentStatus::Offline => tally.offline += 1,
            AgentStatus::Drained => tally.drained += 1,
        }
        if agent.status == AgentStatus::Active && agent.last_heartbeat.is_none() {
            tally.not_started += 1;
            not_started.push(agent.name.clone());
        } else if is_stale(agent, now, stale_after) {
            tally.stale += 1;
            stale.push(agent.name.clone());
        }
    }
    (tally, stale, not_started)
}

/// Hours until `remaining` dollars are spent at `per_hour`; none when nothing is burning.
pub fn hours_to_cap(remaining: Usd, per_hour: Usd) -> Option<f64> {
    (per_hour > Usd::ZERO).then(|| remaining.micros() as f64 / per_hour.micros() as f64)
}

/// Today's spend against the cap per agent, highest spend first. Spend recorded on an earlier
/// UTC day counts as zero today.
pub fn spend_lines(agents: &[Agent], last_hour: &HashMap<Uuid, Usd>, now: DateTime<Utc>) -> Vec<SpendLine> {
    let today = now.date_naive();
    let mut lines: Vec<SpendLine> = agents
        .iter()
        .filter(|a| a.status != AgentStatus::Drained)
        .map(|a| {
            let spent = mc_domain::budget::spent_today(a.spend_day, a.today_spend, today);
            let rate = last_hour.get(&a.id).copied().unwrap_or(Usd::ZERO);
            SpendLine {
                agent_id: a.id,
                name: a.name.clone(),
                status: a.status,
                today_spend: spent,
                daily_cap: a.budgets.daily_cap,
                percent_of_cap: spent.percent_of(a.budgets.daily_cap),
                last_hour: rate,
                hours_to_cap: hours_to_cap(a.budgets.daily_cap.saturating_sub(spent), rate),
            }
        })
        .collect();
    lines.sort_by(|a, b| b.today_spend.cmp(&a.today_spend).then_with(|| a.name.cmp(&b.name)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Budgets;
    use chrono::TimeZone;

    fn agent(name: &str, status: AgentStatus, beat_minutes_ago: Option<i64>, spent_cents: i64, cap_cents: i64) -> Agent {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        Agent {
            id: Uuid::new_v4(),
            project_id: Uuid::nil(),
            name: name.into(),
            role: AgentRole::Intern,
            parent_agent_id: None,
            depth: 0,
            allowed_task_types: vec![],
            status,
            status_cause: None,
            status_reason: None,
            status_reason_said: None,
            last_heartbeat: beat_minutes_ago.map(|m| now - Duration::minutes(m)),
            stale_since: None,
            error_streak: 0,
            current_task_id: None,
            budgets: Budgets {
                daily_cap: Usd::from_cents(cap_cents),
                per_run_cap: Usd::from_cents(25),
            },
            today_spend: Usd::from_cents(spent_cents),
            total_spend: Usd::from_cents(spent_cents),
            spend_day: now.date_naive(),
            budget_warned_day: None,
            monthly_cap: None,
            month_spend: Usd::from_cents(spent_cents),
            spend_month: mc_domain::budget::month_of(now.date_naive()),
            budget_warned_month: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
    }

    #[test]
    fn tallies_count_statuses_and_late_heartbeats() {
        let agents = vec![
            agent("Scout", AgentStatus::Active, Some(2), 0, 200),
            agent("Scribe", AgentStatus::Active, Some(30), 0, 200),
            agent("Pixel", AgentStatus::Active, None, 0, 200),
            agent("Sofie", AgentStatus::Paused, Some(60), 0, 2500),
            agent("Bolt", AgentStatus::Quarantined, None, 0, 500),
        ];
        let (tally, stale, not_started) = tally_agents(&agents, now(), Duration::minutes(5));
        assert_eq!(
            tally,
            AgentTally {
                active: 3,
                paused: 1,
                quarantined: 1,
                offline: 0,
                drained: 0,
                stale: 1,
                not_started: 1,
            }
        );
        assert_eq!(stale, vec!["Scribe"], "only active agents go stale, once they have started");
        assert_eq!(not_started, vec!["Pixel"], "never a heartbeat: not started, not stale");
    }

    #[test]
    fn spend_lines_rank_by_spend_and_project_the_cap() {
        let scout = agent("Scout", AgentStatus::Active, Some(1), 150, 200);
        let scribe = agent("Scribe", AgentStatus::Active, Some(1), 20, 200);
        let mut yesterday = agent("Old", AgentStatus::Active, Some(1), 500, 500);
        yesterday.spend_day = now().date_naive() - chrono::Days::new(1);
        let rates = HashMap::from([(scout.id, Usd::from_cents(25))]);
        let lines = spend_lines(&[scribe.clone(), scout.clone(), yesterday], &rates, now());
        assert_eq!(
            lines.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["Scout", "Scribe", "Old"]
        );
        assert_eq!(lines[0].percent_of_cap, 75);
        assert_eq!(lines[0].hours_to_cap, Some(2.0), "$0.50 left at $0.25/h");
        assert_eq!(lines[1].hours_to_cap, None, "not burning");
        assert_eq!(lines[2].today_spend, Usd::ZERO, "yesterday's spend is not today's");
    }

    #[test]
    fn every_status_is_listed_in_board_order() {
        let all = all_statuses(&[(TaskStatus::Done, 4), (TaskStatus::Inbox, 2)]);
        assert_eq!(all.len(), 8);
        assert_eq!(all[0], (TaskStatus::Inbox, 2));
        assert_eq!(all[1], (TaskStatus::Assigned, 0));
        assert!(all.contains(&(TaskStatus::Done, 4)));
    }

    #[test]
    fn hours_to_cap_needs_a_rate() {
        assert_eq!(hours_to_cap(Usd::from_cents(300), Usd::from_cents(100)), Some(3.0));
        assert_eq!(hours_to_cap(Usd::from_cents(300), Usd::ZERO), None);
    }
}
