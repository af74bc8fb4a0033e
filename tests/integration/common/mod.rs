//! Shared test helpers: the core on a fresh database (from `#[sqlx::test]`) with a manual
//! clock, a seeded squad, and a fingerprint of every table to prove that a refusal changed
//! nothing.
#![allow(dead_code)]

pub mod http;

use chrono::{TimeZone, Utc};
use mission_control::app::agents::RegisterAgent;
use mission_control::app::model::{Agent, Project, Task};
use mission_control::app::tasks::CreateTask;
use mission_control::app::{App, ManualClock, Rules};
use mission_control::domain::*;
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

pub struct Squad {
    pub app: App,
    pub clock: ManualClock,
    pub project: Project,
    pub cao: Actor,
    pub operator: Actor,
    pub viewer: Actor,
    pub sofie: Agent,
    pub scout: Agent,
    pub scribe: Agent,
    pub pixel: Agent,
}

pub fn app_with(pool: PgPool, rules: Rules) -> (App, ManualClock) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
    (App::new(pool, Arc::new(clock.clone()), rules), clock)
}

pub async fn squad(pool: PgPool) -> Squad {
    squad_with(pool, Rules::default()).await
}

pub async fn squad_with(pool: PgPool, rules: Rules) -> Squad {
    let (app, clock) = app_with(pool, rules);
    app.seed().await.expect("seed");
    let project = app.project_by_slug("openclaw").await.unwrap();
    let cli = Actor::system("test");
    let (cao, _) = app.create_operator_token(&cli, "Sofie (human)", OperatorRole::Cao).await.unwrap();
    let (op, _) = app.create_operator_token(&cli, "Olga", OperatorRole::Operator).await.unwrap();
    let (viewer, _) = app.create_operator_token(&cli, "Vic", OperatorRole::Viewer).await.unwrap();
    let by_name = |name: &'static str| {
        let app = app.clone();
        let pid = project.id;
        async move { app.agent_by_name(&Actor::system("test"), pid, name).await.unwrap() }
    };
    Squad {
        cao: Actor::Operator {
            id: cao.id,
            name: cao.name,
            role: cao.role,
        },
        operator: Actor::Operator {
            id: op.id,
            name: op.name,
            role: op.role,
        },
        viewer: Actor::Operator {
            id: viewer.id,
            name: viewer.name,
            role: viewer.role,
        },
        sofie: by_name("Sofie").await,
        scout: by_name("Scout").await,
        scribe: by_name("Scribe").await,
        pixel: by_name("Pixel").await,
        app,
        clock,
        project,
    }
}

pub fn as_agent(agent: &Agent) -> Actor {
    Actor::Agent {
        id: agent.id,
        project_id: agent.project_id,
        name: agent.name.clone(),
    }
}

impl Squad {
    pub async fn task(&self, title: &str, task_type: TaskType) -> Task {
        self.app
            .create_task(
                &self.operator,
                self.project.id,
                CreateTask {
                    title: title.into(),
                    description: String::new(),
                    task_type,
                    priority: None,
                    assignee_ids: vec![],
                    reviewer_id: None,
                    budget_allocated: None,
                },
            )
            .await
            .unwrap()
    }

    /// A task assigned to `agent` and started by it (with a 3-bullet plan): in progress.
    pub async fn started_task(&self, title: &str, task_type: TaskType, agent: &Agent) -> Task {
        let task = self.task(title, task_type).await;
        self.app.assign_task(&self.operator, task.id, vec![agent.id]).await.unwrap();
        self.app
            .transition_task(
                &as_agent(agent),
                task.id,
                mission_control::app::tasks::TransitionTask {
                    to: Some(TaskStatus::InProgress),
                    work_plan: Some(plan()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .task
    }

    pub async fn agent(&self, id: Uuid) -> Agent {
        self.app.get_agent(&self.cao, id).await.unwrap()
    }

    pub async fn reload(&self, task: &Task) -> Task {
        self.app.get_task(&self.cao, task.id).await.unwrap()
    }

    pub async fn register(&self, name: &str, role: AgentRole, types: &[TaskType]) -> Agent {
        self.app
            .register_agent(
                &self.operator,
                self.project.id,
                RegisterAgent {
                    name: name.into(),
                    role,
                    allowed_task_types: types.to_vec(),
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: false,
                },
            )
            .await
            .unwrap()
            .agent
    }
}

/// A free failed run ("timeout") by `agent_id`, on `task_id` if given.
pub fn failed_run(agent_id: Uuid, task_id: Option<Uuid>) -> mission_control::app::runs::RecordRun {
    mission_control::app::runs::RecordRun {
        agent_id,
        task_id,
        cost: mission_control::domain::Usd::ZERO,
        status: mission_control::domain::RunStatus::Failed,
        model: None,
        tokens: None,
        error: Some("timeout".into()),
    }
}

pub fn plan() -> Vec<String> {
    vec!["Read the brief".into(), "Draft it".into(), "Check it".into()]
}

const TABLES: &[&str] = &[
    "projects",
    "operators",
    "agents",
    "tasks",
    "task_assignees",
    "task_transitions",
    "comments",
    "documents",
    "approvals",
    "runs",
    "alerts",
    "notifications",
    "audit_events",
    "api_tokens",
    "activities",
    "outbox",
];

/// A digest of every row of every table: equal fingerprints mean nothing changed.
pub async fn fingerprint(pool: &PgPool) -> String {
    let mut parts = Vec::new();
    for table in TABLES {
        // A token's `last_used_at` is bookkeeping (a refused request was still made with it).
        let rows = match *table {
            "api_tokens" => "(SELECT id, token_hash, prefix, name, operator_id, agent_id, created_at, expires_at, revoked_at, retired_as FROM api_tokens)",
            other => other,
        };
        let sql = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {rows} t");
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap();
        parts.push(format!("{table}={digest}"));
    }
    parts.join("\n")
}

pub async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
