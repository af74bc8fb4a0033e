//! The sample workspace: project OpenClaw with Sofie and her squad, and a few tasks.
//! Everything goes through the use cases; running it again changes nothing.

use super::agents::RegisterAgent;
use super::projects::CreateProject;
use super::tasks::CreateTask;
use super::{App, AppResult};
use crate::storage;
use mc_domain::{Actor, AgentRole, TaskType, Usd};
use strum::VariantArray;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub project_created: bool,
    pub agents_created: usize,
    pub tasks_created: usize,
}

struct SeedAgent {
    name: &'static str,
    role: AgentRole,
    types: &'static [TaskType],
    daily_cap: Option<Usd>,
}

const AGENTS: &[SeedAgent] = &[
    SeedAgent {
        name: "Sofie",
        role: AgentRole::Lead,
        types: TaskType::VARIANTS,
        daily_cap: Some(Usd::from_cents(2500)),
    },
    SeedAgent {
        name: "Scout",
        role: AgentRole::Intern,
        types: &[TaskType::CustomerResearch, TaskType::SeoResearch],
        daily_cap: None,
    },
    SeedAgent {
        name: "Scribe",
        role: AgentRole::Intern,
        types: &[TaskType::Docs, TaskType::Content],
        daily_cap: None,
    },
    SeedAgent {
        name: "Nova",
        role: AgentRole::Intern,
        types: &[TaskType::Social],
        daily_cap: None,
    },
    SeedAgent {
        name: "Pixel",
        role: AgentRole::Specialist,
        types: &[TaskType::Social, TaskType::Content],
        daily_cap: None,
    },
    SeedAgent {
        name: "Forge",
        role: AgentRole::Specialist,
        types: &[TaskType::Engineering, TaskType::Ops],
        daily_cap: None,
    },
    SeedAgent {
        name: "Echo",
        role: AgentRole::Specialist,
        types: &[TaskType::EmailMarketing, TaskType::Content],
        daily_cap: None,
    },
    SeedAgent {
        name: "Atlas",
        role: AgentRole::Lead,
        types: &[TaskType::Engineering, TaskType::Ops, TaskType::Docs],
        daily_cap: None,
    },
];

const TASKS: &[(&str, TaskType, i16, &str)] = &[
    (
        "Interview notes: why trial users churn in week one",
        TaskType::CustomerResearch,
        2,
        "Summarise the last 20 churned trials' support threads.",
    ),
    (
        "Keyword gap analysis against the top three competitors",
        TaskType::SeoResearch,
        3,
        "List keywords they rank for that we do not.",
    ),
    (
        "Write the getting-started guide for the agent runner",
        TaskType::Docs,
        2,
        "Install, register, first heartbeat, first task.",
    ),
    (
        "Draft the launch blog post",
        TaskType::Content,
        2,
        "800 words, friendly, with one diagram.",
    ),
    (
        "Schedule a week of launch posts",
        TaskType::Social,
        3,
        "Five posts, one per weekday.",
    ),
    (
        "Welcome email sequence for new workspaces",
        TaskType::EmailMarketing,
        3,
        "Three emails over the first week.",
    ),
    (
        "Add retries to the webhook sender",
        TaskType::Engineering,
        1,
        "Exponential backoff, at most 5 attempts.",
    ),
    ("Rotate the staging database credentials", TaskType::Ops, 4, "Quarterly rotation."),
];

impl App {
    pub async fn seed(&self) -> AppResult<SeedReport> {
        let system = Actor::system("seed");
        let mut report = SeedReport::default();
        let existing = {
            let mut conn = self.pool.acquire().await?;
            storage::projects::by_slug(&mut conn, "openclaw").await?
        };
        let project = match existing {
            Some(project) => project,
            None => {
                report.project_created = true;
                self.create_project(
                    &system,
                    CreateProject {
                        slug: "openclaw".into(),
                        name: "OpenClaw".into(),
                        description: "The default workspace".into(),
                    },
                )
                .await?
            }
        };
        for agent in AGENTS {
            let registration = self
                .register_agent(
                    &system,
                    project.id,
                    RegisterAgent {
                        name: agent.name.into(),
                        role: agent.role,
                        allowed_task_types: agent.types.to_vec(),
                        parent_agent_id: None,
                        daily_cap: agent.daily_cap,
                        issue_token: false,
                    },
                )
                .await?;
            report.agents_created += usize::from(registration.created);
        }
        for (title, task_type, priority, description) in TASKS {
            let exists = {
                let mut conn = self.pool.acquire().await?;
                storage::tasks::exists_with_title(&mut conn, project.id, title).await?
            };
            if exists {
                continue;
            }
            self.create_task(
                &system,
                project.id,
                CreateTask {
                    title: (*title).into(),
                    description: (*description).into(),
                    task_type: *task_type,
                    priority: Some(*priority),
                    assignee_ids: Vec::new(),
                    reviewer_id: None,
                    budget_allocated: None,
                },
            )
            .await?;
            report.tasks_created += 1;
        }
        Ok(report)
    }
}
