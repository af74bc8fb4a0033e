//! Shared test helpers: the core on a fresh database (from `#[sqlx::test]`) with a manual
//! clock, a seeded squad, and a fingerprint of every table to prove that a refusal changed
//! nothing; builders for the requests and runs tests make; the Telegram world.

pub mod context;
pub mod http;
pub mod telegram;
pub mod world;

use chrono::{TimeZone, Utc};
use mission_control::app::agents::RegisterAgent;
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::approvals::RequestApproval;
use mission_control::app::chats::ChatInfo;
use mission_control::app::projects::CreateProject;
use mission_control::app::runs::{RecordRun, RunOutcome};
use mission_control::app::tasks::{CreateTask, TransitionTask};
use mission_control::app::{App, AppResult, ManualClock, Rules};
use mission_control::domain::*;
use mission_control::model::{Agent, Alert, Approval, Page, Project, Task};
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

/// The core on `pool` as the CLI builds it: the system clock, the default rules.
pub fn core(pool: &PgPool) -> App {
    App::new(
        pool.clone(),
        std::sync::Arc::new(mission_control::app::SystemClock),
        Rules::default(),
    )
}

pub fn app_with(pool: PgPool, rules: Rules) -> (App, ManualClock) {
    context::watch(&pool);
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
    (App::new(pool, Arc::new(clock.clone()), rules), clock)
}

pub async fn squad(pool: PgPool) -> Squad {
    squad_with(pool, Rules::default()).await
}

pub async fn squad_with(pool: PgPool, rules: Rules) -> Squad {
    let (app, clock) = app_with(pool, rules);
    squad_on(app, clock).await
}

/// The seeded squad on `app` (e.g. the one behind the HTTP server).
pub async fn squad_on(app: App, clock: ManualClock) -> Squad {
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
        self.start(agent, task.id).await
    }

    /// `agent` starts `task_id` (with a 3-bullet plan).
    pub async fn start(&self, agent: &Agent, task_id: Uuid) -> Task {
        let start = TransitionTask {
            to: Some(TaskStatus::InProgress),
            work_plan: Some(plan()),
            ..Default::default()
        };
        self.app.transition_task(&as_agent(agent), task_id, start).await.unwrap().task
    }

    pub async fn agent(&self, id: Uuid) -> Agent {
        self.app.get_agent(&self.cao, id).await.unwrap()
    }

    pub async fn reload(&self, task: &Task) -> Task {
        self.app.get_task(&self.cao, task.id).await.unwrap()
    }

    pub async fn register(&self, name: &str, role: AgentRole, types: &[TaskType]) -> Agent {
        self.register_in(self.project.id, name, role, types).await
    }

    pub async fn register_in(&self, project_id: Uuid, name: &str, role: AgentRole, types: &[TaskType]) -> Agent {
        self.app
            .register_agent(
                &self.operator,
                project_id,
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

    /// A project created by the CAO.
    pub async fn new_project(&self, slug: &str, name: &str) -> Project {
        self.app
            .create_project(
                &self.cao,
                CreateProject {
                    slug: slug.into(),
                    name: name.into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap()
    }

    /// The project bound to chat `chat_id` by the CAO.
    pub async fn bind(&self, chat_id: i64, is_forum: bool) {
        let chat = ChatInfo {
            chat_id,
            title: Some("OpenClaw ops".into()),
            is_forum,
        };
        self.app.bind_chat(&self.cao, &chat, "openclaw").await.unwrap();
    }

    /// `agent` asks to send an email (a RED action by the policy).
    pub async fn ask(&self, agent: &Agent, summary: &str) -> AppResult<Approval> {
        self.app
            .request_approval(&as_agent(agent), request(agent, "email.send", summary))
            .await
    }

    /// An alert raised by the CAO.
    pub async fn raise(&self, alert_type: &str, severity: AlertSeverity, subject: String, message: &str) -> Alert {
        self.app
            .raise_alert(&self.cao, self.project.id, alert(alert_type, severity, subject, message))
            .await
            .unwrap()
    }

    /// The operator moves `task_id` to `to`, saying why.
    pub async fn move_task(&self, task_id: Uuid, to: TaskStatus, reason: &str) -> Task {
        let transition = TransitionTask {
            to: Some(to),
            reason: Some(reason.into()),
            ..Default::default()
        };
        self.app.transition_task(&self.operator, task_id, transition).await.unwrap().task
    }

    /// `agent` asks to send an email about `task`.
    pub async fn ask_about(&self, agent: &Agent, task: &Task, summary: &str) -> AppResult<Approval> {
        let input = RequestApproval {
            task_id: Some(task.id),
            ..request(agent, "email.send", summary)
        };
        self.app.request_approval(&as_agent(agent), input).await
    }

    /// The project's open alerts (of `alert_type` if given), as a viewer sees them.
    pub async fn open_alerts(&self, alert_type: Option<&str>) -> Page<Alert> {
        self.app
            .list_alerts(
                &self.viewer,
                self.project.id,
                Some(false),
                alert_type.map(Into::into),
                None,
                Default::default(),
            )
            .await
            .unwrap()
    }

    /// `run`, recorded by `agent` itself.
    pub async fn record(&self, agent: &Agent, run: RecordRun) -> AppResult<RunOutcome> {
        self.app.record_run(&as_agent(agent), run).await
    }
}

/// `agent`'s request for `action`.
pub fn request(agent: &Agent, action: &str, summary: &str) -> RequestApproval {
    RequestApproval {
        agent_id: agent.id,
        action_type: action.into(),
        action_summary: summary.into(),
        justification: "the task needs it".into(),
        ..Default::default()
    }
}

/// An alert with no details.
pub fn alert(alert_type: &str, severity: AlertSeverity, subject: String, message: &str) -> RaiseAlert {
    RaiseAlert {
        alert_type: alert_type.into(),
        severity,
        subject,
        message: message.into(),
        details: serde_json::json!({}),
    }
}

/// A succeeded run of `agent_id` costing `cost`, on `task_id` if given.
pub fn run(agent_id: Uuid, task_id: Option<Uuid>, cost: Usd) -> RecordRun {
    RecordRun {
        agent_id,
        task_id,
        cost: Some(cost),
        status: RunStatus::Succeeded,
        model: None,
        tokens: Default::default(),
        error: None,
    }
}

/// A free failed run ("timeout") by `agent_id`, on `task_id` if given.
pub fn failed_run(agent_id: Uuid, task_id: Option<Uuid>) -> mission_control::app::runs::RecordRun {
    mission_control::app::runs::RecordRun {
        agent_id,
        task_id,
        cost: Some(mission_control::domain::Usd::ZERO),
        status: mission_control::domain::RunStatus::Failed,
        model: None,
        tokens: Default::default(),
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
        parts.push(format!("{table}={}", digest(pool, rows).await));
    }
    parts.join("\n")
}

/// The count and a digest of the rows of `rows` (a table or a subquery).
async fn digest(pool: &PgPool, rows: &str) -> String {
    let sql = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {rows} t");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap()
}

/// The URL of the test's own database (for a child process, `pg_dump`…).
pub async fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Every row of the tables a use case changes; audit events and outbox rows (a refusal writes
/// both) are left out.
pub async fn state_of(pool: &PgPool) -> String {
    let mut parts = Vec::new();
    for table in TABLES
        .iter()
        .filter(|t| !matches!(**t, "audit_events" | "outbox" | "documents" | "activities"))
        .chain(&["chat_bindings"])
    {
        parts.push(format!("{table}={}", digest(pool, table).await));
    }
    parts.join("\n")
}

/// What the bot refused, as audited.
pub async fn refusals(pool: &PgPool) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT data FROM audit_events WHERE action = 'telegram.refused' ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits until `probe` gives a value (polled every 50 ms) and returns it; after `timeout`, fails
/// naming `what`. The one way tests wait for a condition instead of sleeping.
pub async fn eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < timeout, "{what}: not so after {timeout:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
