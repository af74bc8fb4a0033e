//! The read side: what operators, agents and the bot look at. Every read checks the reader.

use super::{require_read, App, AppError, AppResult, PageRequest};
use crate::model::*;
use crate::storage;
use crate::storage::agents::AgentFilter;
pub use crate::storage::agents::AgentSort;
use crate::storage::alerts::AlertFilter;
use crate::storage::approvals::ApprovalFilter;
use crate::storage::runs::{AgentSpend, DailySpend, RunFilter};
use crate::storage::tasks::TaskFilter;
use chrono::{DateTime, NaiveDate, Utc};
use mc_domain::i18n::Msg;
use mc_domain::*;
use serde::Serialize;
use uuid::Uuid;

/// Where an approval code was typed: the chat, the message it replies to, whether inside a
/// forum topic, and the chat's projects (bound; current, as `/switch` left it).
#[derive(Debug, Clone, Copy)]
pub struct CodeTypedAt {
    pub chat_id: i64,
    pub replied_to: Option<i32>,
    pub in_topic: bool,
    pub bound: Option<Uuid>,
    pub current: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct AgentQuery {
    pub status: Option<Vec<AgentStatus>>,
    pub role: Option<AgentRole>,
    pub sort: Option<AgentSort>,
    pub descending: bool,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub statuses: Option<Vec<TaskStatus>>,
    pub task_type: Option<TaskType>,
    pub assignee_id: Option<Uuid>,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    pub agent_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub by_cost: bool,
    pub descending: bool,
    pub page: PageRequest,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    Transition(Transition),
    Comment(Comment),
    Run(Run),
    Approval(Approval),
    Document(Document),
    /// A tool call of the assignee's Claude Code or Codex while on the task (not the GREEN ones).
    ToolCall(crate::model::ToolCall),
    /// A question an agent asked about the task, and its answer once given.
    Question(crate::model::Question),
}

impl TimelineEntry {
    fn at(&self) -> DateTime<Utc> {
        match self {
            TimelineEntry::Transition(t) => t.created_at,
            TimelineEntry::Comment(c) => c.created_at,
            TimelineEntry::Run(r) => r.created_at,
            TimelineEntry::Approval(a) => a.created_at,
            TimelineEntry::Document(d) => d.created_at,
            TimelineEntry::ToolCall(c) => c.created_at,
            TimelineEntry::Question(q) => q.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub task: Task,
    pub entries: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCosts {
    pub agent_id: Uuid,
    pub name: String,
    pub daily_cap: Usd,
    pub per_run_cap: Usd,
    pub today_spend: Usd,
    pub total_spend: Usd,
    pub remaining_today: Usd,
    pub status: AgentStatus,
    /// The last 30 UTC days with any run.
    pub by_day: Vec<DailySpend>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyCosts {
    pub date: NaiveDate,
    pub total: Usd,
    pub daily_caps_total: Usd,
    pub by_agent: Vec<AgentSpend>,
}

impl App {
    pub async fn get_agent(&self, actor: &Actor, id: Uuid) -> AppResult<Agent> {
        let mut conn = self.pool.acquire().await?;
        let agent = storage::agents::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("agent", id))?;
        require_read(actor, agent.project_id)?;
        Ok(agent)
    }

    /// An agent by name (case-insensitive), with similar names as a hint when there is none.
    pub async fn agent_by_name(&self, actor: &Actor, project_id: Uuid, name: &str) -> AppResult<Agent> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        if let Some(agent) = storage::agents::by_name(&mut conn, project_id, name.trim()).await? {
            return Ok(agent);
        }
        let known = storage::agents::similar_names(&mut conn, project_id, name.trim()).await?;
        Err(AppError::not_found_among(
            "agent",
            format!("'{}'", name.trim()),
            &known,
            "err-hint-no-agents",
        ))
    }

    pub async fn list_agents(&self, actor: &Actor, project_id: Uuid, q: AgentQuery) -> AppResult<Page<Agent>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::agents::list(
            &mut conn,
            &AgentFilter {
                project_id,
                status: q.status,
                role: q.role,
                sort: q.sort.unwrap_or(AgentSort::Name),
                descending: q.descending,
                limit: q.page.limit,
                offset: q.page.offset,
            },
        )
        .await?;
        Ok(Page { items, total })
    }

    pub async fn get_task(&self, actor: &Actor, id: Uuid) -> AppResult<Task> {
        let mut conn = self.pool.acquire().await?;
        let task = storage::tasks::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("task", id))?;
        require_read(actor, task.project_id)?;
        Ok(task)
    }

    pub async fn task_by_number(&self, actor: &Actor, project_id: Uuid, number: i32) -> AppResult<Task> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let id = storage::tasks::id_by_number(&mut conn, project_id, number)
            .await?
            .ok_or_else(|| AppError::not_found_hinting("task", format!("#{number}"), Msg::new("err-hint-see-tasks")))?;
        storage::tasks::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("task", id))
    }

    pub async fn list_tasks(&self, actor: &Actor, project_id: Uuid, q: TaskQuery) -> AppResult<Page<Task>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::tasks::list(
            &mut conn,
            &TaskFilter {
                project_id,
                statuses: q.statuses,
                task_type: q.task_type,
                assignee_id: q.assignee_id,
                limit: q.page.limit,
                offset: q.page.offset,
            },
        )
        .await?;
        Ok(Page { items, total })
    }

    /// Everything that happened to a task, oldest first.
    pub async fn task_timeline(&self, actor: &Actor, task_id: Uuid) -> AppResult<Timeline> {
        let task = self.get_task(actor, task_id).await?;
        let mut conn = self.pool.acquire().await?;
        let mut entries: Vec<TimelineEntry> = Vec::new();
        entries.extend(
            storage::tasks::transitions(&mut conn, task_id)
                .await?
                .into_iter()
                .map(TimelineEntry::Transition),
        );
        entries.extend(
            storage::tasks::comments(&mut conn, task_id)
                .await?
                .into_iter()
                .map(TimelineEntry::Comment),
        );
        entries.extend(
            storage::tasks::documents(&mut conn, task_id)
                .await?
                .into_iter()
                .map(TimelineEntry::Document),
        );
        // An agent sees its own approvals only, as `get_approval` lets it read only those.
        let own = actor.agent_id();
        entries.extend(
            storage::approvals::for_task(&mut conn, task_id)
                .await?
                .into_iter()
                .filter(|approval| own.is_none_or(|agent| approval.agent_id == agent))
                .map(TimelineEntry::Approval),
        );
        let (runs, _) = storage::runs::list(
            &mut conn,
            &RunFilter {
                project_id: task.project_id,
                agent_id: None,
                task_id: Some(task_id),
                by_cost: false,
                descending: false,
                limit: 1000,
                offset: 0,
            },
        )
        .await?;
        entries.extend(runs.into_iter().map(TimelineEntry::Run));
        entries.extend(
            storage::tool_calls::for_task(&mut conn, task_id)
                .await?
                .into_iter()
                .filter(|call| own.is_none_or(|agent| call.agent_id == agent))
                .map(TimelineEntry::ToolCall),
        );
        entries.extend(
            storage::questions::for_task(&mut conn, task_id)
                .await?
                .into_iter()
                .filter(|question| own.is_none_or(|agent| question.agent_id == agent))
                .map(TimelineEntry::Question),
        );
        entries.sort_by_key(|e| e.at());
        Ok(Timeline { task, entries })
    }

    pub async fn get_approval(&self, actor: &Actor, id: Uuid) -> AppResult<Approval> {
        let mut conn = self.pool.acquire().await?;
        let approval = storage::approvals::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("approval", id))?;
        require_read(actor, approval.project_id)?;
        if let Actor::Agent { id: agent_id, .. } = actor {
            if approval.agent_id != *agent_id {
                return Err(AppError::forbidden(Msg::new("err-own-approvals-only")));
            }
        }
        Ok(approval)
    }

    /// An approval by its code (`A7`, `a7` or `7`) in a project.
    pub async fn approval_by_code(&self, actor: &Actor, project_id: Uuid, code: &str) -> AppResult<Approval> {
        let number = approval_code::parse_code(code)?;
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let id = storage::approvals::id_by_number(&mut conn, project_id, number)
            .await?
            .ok_or_else(|| AppError::not_found_hinting("approval", format!("A{number}"), Msg::new("err-hint-see-approvals")))?;
        drop(conn);
        self.get_approval(actor, id).await
    }

    /// The project whose approval a code typed in a Telegram chat means: the project whose
    /// card it came from, never merely the project the chat was last switched to
    /// (`domain::approval_code`). A code that could mean two projects' approvals means neither:
    /// refused, naming both.
    pub async fn project_for_approval_code(&self, at: &CodeTypedAt) -> AppResult<Project> {
        let card = match at.replied_to {
            Some(message_id) => {
                let mut conn = self.pool.acquire().await?;
                storage::approvals::project_of_card(&mut conn, at.chat_id, message_id).await?
            }
            None => None,
        };
        let context = approval_code::CodeContext {
            card,
            bound: at.bound,
            current: at.current,
            in_topic: at.in_topic,
        };
        match approval_code::scope_of_code(&context) {
            approval_code::CodeScope::Project(project_id) => self.project_by_id(project_id).await,
            approval_code::CodeScope::Ambiguous { bound, current } => {
                let bound = self.project_by_id(bound).await?;
                let current = self.project_by_id(current).await?;
                Err(AppError::conflict(
                    "approval_code_ambiguous",
                    Msg::new("err-approval-code-ambiguous")
                        .with("bound", bound.name)
                        .with("current", current.name),
                ))
            }
            approval_code::CodeScope::NoProject => Err(AppError::not_found("project", "")),
        }
    }

    pub async fn list_approvals(
        &self,
        actor: &Actor,
        project_id: Uuid,
        statuses: Option<Vec<ApprovalStatus>>,
        page: PageRequest,
    ) -> AppResult<Page<Approval>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::approvals::list(
            &mut conn,
            &ApprovalFilter {
                project_id,
                statuses,
                agent_id: actor.agent_id(),
                limit: page.limit,
                offset: page.offset,
            },
        )
        .await?;
        Ok(Page { items, total })
    }

    pub async fn list_alerts(
        &self,
        actor: &Actor,
        project_id: Uuid,
        resolved: Option<bool>,
        alert_type: Option<String>,
        severity: Option<AlertSeverity>,
        page: PageRequest,
    ) -> AppResult<Page<Alert>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::alerts::list(
            &mut conn,
            &AlertFilter {
                project_id,
                resolved,
                alert_type,
                severity,
                limit: page.limit,
                offset: page.offset,
            },
        )
        .await?;
        Ok(Page { items, total })
    }

    pub async fn get_alert(&self, actor: &Actor, id: Uuid) -> AppResult<Alert> {
        let mut conn = self.pool.acquire().await?;
        let alert = storage::alerts::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("alert", id))?;
        require_read(actor, alert.project_id)?;
        Ok(alert)
    }

    pub async fn list_runs(&self, actor: &Actor, project_id: Uuid, q: RunQuery) -> AppResult<Page<Run>> {
        require_read(actor, project_id)?;
        let mut conn = self.pool.acquire().await?;
        let (items, total) = storage::runs::list(
            &mut conn,
            &RunFilter {
                project_id,
                agent_id: q.agent_id,
                task_id: q.task_id,
                by_cost: q.by_cost,
                descending: q.descending,
                limit: q.page.limit,
                offset: q.page.offset,
            },
        )
        .await?;
        Ok(Page { items, total })
    }

    pub async fn agent_costs(&self, actor: &Actor, agent_id: Uuid) -> AppResult<AgentCosts> {
        let agent = self.get_agent(actor, agent_id).await?;
        let today = self.now().date_naive();
        let today_spend = mc_domain::budget::spent_today(agent.spend_day, agent.today_spend, today);
        let mut conn = self.pool.acquire().await?;
        let by_day = storage::runs::daily_spend(&mut conn, agent.project_id, Some(agent_id), today - chrono::Days::new(29), today).await?;
        Ok(AgentCosts {
            agent_id,
            name: agent.name,
            daily_cap: agent.budgets.daily_cap,
            per_run_cap: agent.budgets.per_run_cap,
            today_spend,
            total_spend: agent.total_spend,
            remaining_today: agent.budgets.daily_cap.saturating_sub(today_spend),
            status: agent.status,
            by_day,
        })
    }

    /// The project's spend on one UTC day (today by default), per agent.
    pub async fn daily_costs(&self, actor: &Actor, project_id: Uuid, date: Option<NaiveDate>) -> AppResult<DailyCosts> {
        require_read(actor, project_id)?;
        let date = date.unwrap_or_else(|| self.now().date_naive());
        let mut conn = self.pool.acquire().await?;
        let by_agent = storage::runs::spend_by_agent(&mut conn, project_id, date).await?;
        let total = by_agent.iter().fold(Usd::ZERO, |sum, a| sum.saturating_add(a.cost));
        let agents = storage::agents::all_in_project(&mut conn, project_id).await?;
        let daily_caps_total = agents.iter().fold(Usd::ZERO, |sum, a| sum.saturating_add(a.budgets.daily_cap));
        Ok(DailyCosts {
            date,
            total,
            daily_caps_total,
            by_agent,
        })
    }

    /// Audit events in [from, to) for a project (or all projects for operators).
    pub async fn audit_events(
        &self,
        actor: &Actor,
        project_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> AppResult<Vec<AuditEvent>> {
        if matches!(actor, Actor::Agent { .. }) {
            return Err(AppError::forbidden(Msg::new("err-agents-cannot-export")));
        }
        super::require(actor, Right::Read)?;
        if to <= from {
            return Err(AppError::validation("endDate", Msg::new("err-end-before-start")));
        }
        let mut conn = self.pool.acquire().await?;
        Ok(storage::audit::between(&mut conn, project_id, from, to, limit).await?)
    }
}

/// Numbers for `/metrics`, read at scrape time.
#[derive(Debug, Default)]
pub struct MetricsSnapshot {
    pub agents_by_status: Vec<storage::metrics::Count>,
    pub stale_agents: Vec<storage::metrics::Count>,
    pub tasks_by_status: Vec<storage::metrics::Count>,
    pub spend_today_micros: Vec<storage::metrics::Count>,
    pub pending_approvals: Vec<storage::metrics::Count>,
    pub outbox_depth: Vec<storage::metrics::Count>,
    /// Telegram updates given up on after retries.
    pub failed_updates: i64,
}

impl App {
    /// Installation-wide counts; they carry no secrets, so the scrape endpoint needs no token.
    pub async fn metrics_snapshot(&self) -> AppResult<MetricsSnapshot> {
        let now = self.now();
        let mut conn = self.pool.acquire().await?;
        Ok(MetricsSnapshot {
            agents_by_status: storage::metrics::agents_by_status(&mut conn).await?,
            stale_agents: storage::metrics::stale_agents(&mut conn, now - self.rules.stale_after).await?,
            tasks_by_status: storage::metrics::tasks_by_status(&mut conn).await?,
            spend_today_micros: storage::metrics::spend_today(&mut conn, now.date_naive()).await?,
            pending_approvals: storage::metrics::pending_approvals(&mut conn).await?,
            outbox_depth: storage::metrics::outbox_depth(&mut conn).await?,
            failed_updates: storage::metrics::failed_updates(&mut conn).await?,
        })
    }
}
