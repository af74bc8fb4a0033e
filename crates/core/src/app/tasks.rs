use super::guards::require_active_agent;
use super::work::Work;
use super::{require, require_project, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::{Comment, Task, Transition};
use crate::storage;
use crate::storage::tasks::{NewTask, StatusChange};
use mc_domain::i18n::{Msg, Said};
use mc_domain::policy::DONE_ACTION;
use mc_domain::task_state::{allowed_targets, check_transition, Mover, TransitionFacts};
use mc_domain::*;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct CreateTask {
    pub title: String,
    pub description: String,
    pub task_type: TaskType,
    pub priority: Option<i16>,
    pub assignee_ids: Vec<Uuid>,
    pub reviewer_id: Option<Uuid>,
    pub budget_allocated: Option<Usd>,
}

#[derive(Debug, Clone, Default)]
pub struct TransitionTask {
    pub to: Option<TaskStatus>,
    /// Typed by a person, or worded by the code (a button's), then said in each chat's language.
    pub reason: Option<Said>,
    pub idempotency_key: Option<String>,
    pub work_plan: Option<Vec<String>>,
    pub deliverable: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionOutcome {
    pub task: Task,
    pub transition: Transition,
    /// The idempotency key had been used: nothing changed, this is the first result.
    pub replayed: bool,
}

/// A transition to apply inside a use case's transaction, already validated.
pub(crate) struct TransitionSpec {
    pub to: TaskStatus,
    /// Validated when typed; a message when the code words it.
    pub reason: Option<Said>,
    pub key: IdempotencyKey,
    pub work_plan: Option<WorkPlan>,
    pub deliverable: Option<Deliverable>,
    pub budget_hold: bool,
}

impl TransitionSpec {
    /// A move for a reason the code words (the system's, or a button's), not one a person typed.
    pub fn because(to: TaskStatus, reason: Msg) -> Self {
        TransitionSpec {
            to,
            reason: Some(reason.into()),
            key: IdempotencyKey::generate(),
            work_plan: None,
            deliverable: None,
            budget_hold: false,
        }
    }
}

fn mover(actor: &Actor) -> Mover {
    match actor {
        Actor::Operator { .. } => Mover::Human,
        Actor::Agent { .. } => Mover::Agent,
        Actor::System { .. } => Mover::System,
    }
}

pub(crate) async fn lock_task(w: &mut Work, id: Uuid) -> AppResult<Task> {
    let task = storage::tasks::lock(w.conn(), id)
        .await?
        .ok_or_else(|| AppError::not_found("task", id))?;
    require_project(&w.actor, task.project_id)?;
    Ok(task)
}

impl App {
    /// Applies a checked transition: status, its effects, the history row, audit, notifications
    /// to the assignees and the message in the task's thread.
    pub(crate) async fn apply_transition(&self, w: &mut Work, task: &Task, spec: TransitionSpec) -> AppResult<Transition> {
        let from = task.status;
        let to = spec.to;
        let done_gated = to == TaskStatus::Done
            && self.rules.done_requires_approval.contains(&task.task_type)
            // Only a person's decision on the dedicated request counts: not one policy
            // approved, not another action's approval for the same task.
            && !storage::tasks::has_human_approval(w.conn(), task.id, DONE_ACTION).await?;
        let facts = TransitionFacts {
            mover: mover(&w.actor),
            assignee_count: task.assignee_ids.len(),
            work_plan_bullets: spec.work_plan.as_ref().map_or(task.work_plan.len(), |p| p.bullets().len()),
            has_deliverable: spec.deliverable.is_some() || task.deliverable.is_some(),
            has_reason: spec.reason.is_some(),
            budget_hold: spec.budget_hold,
            done_needs_approval: done_gated,
        };
        let effects = check_transition(from, to, &facts).map_err(|refusal| AppError::IllegalTransition {
            from,
            to,
            reason: refusal,
            allowed: allowed_targets(from).to_vec(),
        })?;
        let said = spec.reason.clone().unwrap_or_else(|| Said::Typed(String::new()));
        let reason = said.to_string();
        let now = w.now;
        let change = StatusChange {
            status: to,
            work_plan: spec.work_plan.as_ref().map(|p| p.bullets()),
            deliverable: spec.deliverable.as_ref().map(|d| d.as_str()),
            increment_review_cycles: effects.increments_review_cycles,
            blocked_reason: if effects.sets_blocked_reason {
                Some(Some(&said))
            } else if effects.clears_blocked_reason {
                Some(None)
            } else {
                None
            },
            completed: effects.completes,
        };
        storage::tasks::apply_status(w.conn(), task.id, &change, now).await?;
        if to == TaskStatus::Inbox {
            // Back in the pool: nobody holds it any more.
            storage::tasks::replace_assignees(w.conn(), task.id, &[], now).await?;
            storage::agents::clear_current_task(w.conn(), task.id).await?;
        } else if to == TaskStatus::InProgress {
            storage::agents::set_current_task(w.conn(), &task.assignee_ids, Some(task.id)).await?;
        } else if effects.completes {
            storage::agents::clear_current_task(w.conn(), task.id).await?;
        }
        let actor = &w.actor.clone();
        let transition = storage::tasks::insert_transition(w.conn(), task.id, from, to, actor, &said, spec.key.as_str(), now).await?;
        w.audit(
            Some(task.project_id),
            "task.transitioned",
            "task",
            task.id,
            json!({ "number": task.number, "from": from, "to": to, "reason": reason, "idempotencyKey": spec.key,
                    "budgetHold": spec.budget_hold }),
        )
        .await?;
        for agent_id in task.assignee_ids.iter().filter(|id| Some(**id) != actor.agent_id()) {
            w.notify(
                *agent_id,
                "task_transitioned",
                Some(task.id),
                format!(
                    "#{} {} → {} by {}{}",
                    task.number,
                    from,
                    to,
                    actor.name(),
                    if reason.is_empty() { String::new() } else { format!(": {reason}") }
                ),
                json!({ "taskId": task.id, "from": from, "to": to }),
            )
            .await?;
        }
        w.post(
            task.project_id,
            Target::Task(task.id),
            &Notice::TaskTransitioned {
                task_id: task.id,
                number: task.number,
                title: task.title.clone(),
                from,
                to,
                actor: actor.name().into(),
                reason: said.clone(),
            },
        )
        .await?;
        Ok(transition)
    }

    pub async fn create_task(&self, actor: &Actor, project_id: Uuid, input: CreateTask) -> AppResult<Task> {
        let title = TaskTitle::parse(&input.title)?;
        let description = TaskDescription::parse_optional(&input.description)?;
        let priority = input.priority.unwrap_or(3);
        if !(1..=4).contains(&priority) {
            return Err(AppError::validation("priority", Msg::new("err-priority").with("got", priority)));
        }
        let mut w = Work::begin(self, actor).await?;
        match actor {
            Actor::Agent { .. } => {
                require_project(actor, project_id)?;
                let agent = require_active_agent(&mut w).await?.expect("agent actor");
                if agent.role != AgentRole::Lead {
                    return Err(AppError::forbidden(
                        Msg::new("err-only-leads-create")
                            .with("agent", &agent.name)
                            .with("role", agent.role),
                    ));
                }
            }
            _ => require(actor, Right::ManageTasks)?,
        }
        storage::projects::by_id(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", project_id))?;
        if let Some(reviewer) = input.reviewer_id {
            self.agent_in_project(&mut w, reviewer, project_id, "reviewerId").await?;
        }
        let number = storage::projects::next_task_number(w.conn(), project_id).await?;
        let now = w.now;
        let id = storage::tasks::insert(
            w.conn(),
            &NewTask {
                project_id,
                number,
                title: title.as_str(),
                description: description.as_ref().map_or("", TaskDescription::as_str),
                task_type: input.task_type,
                priority,
                reviewer_id: input.reviewer_id,
                budget_allocated: input.budget_allocated,
                created_by: actor.name(),
            },
            now,
        )
        .await?;
        w.audit(
            Some(project_id),
            "task.created",
            "task",
            id,
            json!({ "number": number, "title": title, "type": input.task_type, "priority": priority }),
        )
        .await?;
        w.post(
            project_id,
            Target::Task(id),
            &Notice::TaskCreated {
                task_id: id,
                number,
                title: title.to_string(),
                task_type: input.task_type,
                priority,
                status: TaskStatus::Inbox,
                created_by: actor.name().into(),
            },
        )
        .await?;
        if !input.assignee_ids.is_empty() {
            let task = lock_task(&mut w, id).await?;
            self.reassign(&mut w, &task, &input.assignee_ids).await?;
        }
        let task = storage::tasks::by_id(w.conn(), id).await?.expect("task just created");
        w.commit().await?;
        Ok(task)
    }

    async fn agent_in_project(
        &self,
        w: &mut Work,
        agent_id: Uuid,
        project_id: Uuid,
        field: &'static str,
    ) -> AppResult<crate::model::Agent> {
        let agent = storage::agents::by_id(w.conn(), agent_id)
            .await?
            .ok_or_else(|| AppError::unknown_in(field, "agent", agent_id))?;
        if agent.project_id != project_id {
            return Err(AppError::validation(
                field,
                Msg::new("err-agent-other-project").with("agent", &agent.name),
            ));
        }
        Ok(agent)
    }

    /// Replaces the assignees and moves the task between inbox and assigned to match.
    /// The most agents a task may have at once.
    pub const MAX_ASSIGNEES: usize = 10;

    async fn reassign(&self, w: &mut Work, task: &Task, assignee_ids: &[Uuid]) -> AppResult<Vec<String>> {
        let mut ids = assignee_ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.len() > Self::MAX_ASSIGNEES {
            return Err(AppError::validation(
                "assigneeIds",
                Msg::new("err-too-many-assignees").count("max", Self::MAX_ASSIGNEES as f64),
            ));
        }
        // Only inbox and assigned follow the assignees (to assigned needs one, back to inbox
        // when the last goes). Past them, the task would stay in its status with nobody on it.
        if ids.is_empty() && !task.assignee_ids.is_empty() && !matches!(task.status, TaskStatus::Inbox | TaskStatus::Assigned) {
            let to_inbox = if allowed_targets(task.status).contains(&TaskStatus::Inbox) {
                Msg::new("err-hint-move-to-inbox")
            } else {
                Msg::new("err-hint-move-to-inbox-via").task_status("from", task.status)
            };
            return Err(AppError::conflict(
                "assignee_required",
                Msg::new("err-assignee-required")
                    .with("task", task.number)
                    .task_status("status", task.status)
                    .nested("to_inbox", to_inbox),
            ));
        }
        let mut names = Vec::new();
        for id in &ids {
            let agent = self.agent_in_project(w, *id, task.project_id, "assigneeIds").await?;
            if matches!(agent.status, AgentStatus::Quarantined | AgentStatus::Drained) {
                return Err(AppError::conflict(
                    "agent_unavailable",
                    Msg::new("err-agent-unavailable")
                        .with("agent", &agent.name)
                        .agent_status("status", agent.status),
                ));
            }
            names.push(agent.name);
        }
        let now = w.now;
        storage::tasks::replace_assignees(w.conn(), task.id, &ids, now).await?;
        let removed: Vec<Uuid> = task.assignee_ids.iter().filter(|id| !ids.contains(id)).copied().collect();
        if !removed.is_empty() {
            storage::agents::set_current_task(w.conn(), &removed, None).await?;
        }
        let added: Vec<Uuid> = ids.iter().filter(|id| !task.assignee_ids.contains(id)).copied().collect();
        for agent_id in &added {
            w.notify(
                *agent_id,
                "task_assigned",
                Some(task.id),
                format!("#{} {} was assigned to you", task.number, task.title),
                json!({ "taskId": task.id }),
            )
            .await?;
        }
        w.audit(
            Some(task.project_id),
            "task.assigned",
            "task",
            task.id,
            json!({ "number": task.number, "assigneeIds": ids, "assignees": names }),
        )
        .await?;
        w.post(
            task.project_id,
            Target::Task(task.id),
            &Notice::TaskAssigned {
                task_id: task.id,
                number: task.number,
                title: task.title.clone(),
                assignees: names.clone(),
                actor: w.actor.name().into(),
            },
        )
        .await?;
        let updated = storage::tasks::by_id(w.conn(), task.id).await?.expect("locked task exists");
        if task.status == TaskStatus::Inbox && !ids.is_empty() {
            self.apply_transition(
                w,
                &updated,
                TransitionSpec::because(TaskStatus::Assigned, Msg::new("why-assigned-to").with("names", names.join(", "))),
            )
            .await?;
        } else if task.status == TaskStatus::Assigned && ids.is_empty() {
            self.apply_transition(w, &updated, TransitionSpec::because(TaskStatus::Inbox, Msg::new("why-unassigned")))
                .await?;
        }
        Ok(names)
    }

    /// Sets a task's assignees (PATCH `assigneeIds`, `/assign`). Operators only: agents claim.
    pub async fn assign_task(&self, actor: &Actor, task_id: Uuid, assignee_ids: Vec<Uuid>) -> AppResult<Task> {
        if let Actor::Agent { .. } = actor {
            return Err(AppError::forbidden(Msg::new("err-agents-claim")));
        }
        require(actor, Right::ManageTasks)?;
        let mut w = Work::begin(self, actor).await?;
        let task = lock_task(&mut w, task_id).await?;
        if task.status.is_terminal() {
            return Err(AppError::conflict(
                "task_closed",
                Msg::new("err-task-closed")
                    .with("task", task.number)
                    .task_status("status", task.status),
            ));
        }
        self.reassign(&mut w, &task, &assignee_ids).await?;
        let task = storage::tasks::by_id(w.conn(), task_id).await?.expect("locked task exists");
        w.commit().await?;
        Ok(task)
    }

    pub async fn transition_task(&self, actor: &Actor, task_id: Uuid, input: TransitionTask) -> AppResult<TransitionOutcome> {
        let to = input.to.ok_or_else(|| AppError::validation("toStatus", Msg::new("err-required")))?;
        let key = match &input.idempotency_key {
            Some(key) => IdempotencyKey::parse(key)?,
            None => IdempotencyKey::generate(),
        };
        let reason = match input.reason {
            Some(Said::Typed(typed)) => Reason::parse_optional(&typed)?.map(|r| Said::Typed(r.into_inner())),
            worded => worded,
        };
        let work_plan = input.work_plan.as_deref().map(WorkPlan::parse).transpose()?;
        let deliverable = input.deliverable.as_deref().map(Deliverable::parse).transpose()?;

        let mut w = Work::begin(self, actor).await?;
        let outcome = self
            .transition_in(
                &mut w,
                task_id,
                TransitionSpec {
                    to,
                    reason,
                    key,
                    work_plan,
                    deliverable,
                    budget_hold: false,
                },
            )
            .await?;
        w.commit().await?;
        Ok(outcome)
    }

    /// Moves a task inside the caller's transaction, for the actor doing the work: their rights
    /// on the task, a replayed idempotency key, then the checked move with its effects (see
    /// `apply_transition`).
    pub(crate) async fn transition_in(&self, w: &mut Work, task_id: Uuid, spec: TransitionSpec) -> AppResult<TransitionOutcome> {
        let actor = w.actor.clone();
        let (to, key) = (spec.to, spec.key.clone());
        let task = lock_task(w, task_id).await?;
        let first = storage::tasks::transition_by_key(w.conn(), task_id, key.as_str()).await?;
        // Rights before the replay: a used key must not hand the first result to someone who
        // may not move the task (a viewer, an agent that is not on it). An agent retrying its
        // own transition still gets it back after the move took it off the task (e.g. to inbox).
        match &actor {
            Actor::Operator { .. } => require(&actor, Right::ManageTasks)?,
            Actor::Agent { id, name, .. } => {
                require_active_agent(w).await?;
                let own_replay = first
                    .as_ref()
                    .is_some_and(|t| t.actor_kind == ActorKind::Agent && t.actor_id == Some(*id));
                if !own_replay && !task.assignee_ids.contains(id) && task.reviewer_id != Some(*id) {
                    return Err(AppError::forbidden(
                        Msg::new("err-not-on-task").with("agent", name).with("task", task.number),
                    ));
                }
            }
            Actor::System { .. } => {}
        }
        if let Some(first) = first {
            if first.to_status != to {
                return Err(AppError::conflict(
                    "idempotency_key_reused",
                    Msg::new("err-idempotency-key-reused")
                        .with("key", key.as_str())
                        .task_status("from", first.from_status)
                        .task_status("to", first.to_status),
                ));
            }
            return Ok(TransitionOutcome {
                task,
                transition: first,
                replayed: true,
            });
        }
        let transition = self.apply_transition(w, &task, spec).await?;
        let task = storage::tasks::by_id(w.conn(), task_id).await?.expect("locked task exists");
        Ok(TransitionOutcome {
            task,
            transition,
            replayed: false,
        })
    }

    /// An agent takes an inbox task: the given one, or the best match for its types.
    pub async fn claim_task(&self, actor: &Actor, project_id: Uuid, task_id: Option<Uuid>) -> AppResult<Task> {
        let Actor::Agent { id: agent_id, .. } = actor else {
            return Err(AppError::forbidden(Msg::new("err-only-agents-claim")));
        };
        require_project(actor, project_id)?;
        let mut w = Work::begin(self, actor).await?;
        let agent = require_active_agent(&mut w).await?.expect("agent actor");
        let task = match task_id {
            Some(id) => {
                let task = lock_task(&mut w, id).await?;
                if task.status != TaskStatus::Inbox {
                    return Err(AppError::conflict(
                        "not_claimable",
                        Msg::new("err-not-claimable")
                            .with("task", task.number)
                            .task_status("status", task.status),
                    ));
                }
                if !agent.takes(task.task_type) {
                    return Err(AppError::forbidden(
                        Msg::new("err-does-not-take")
                            .with("agent", &agent.name)
                            .with("type", task.task_type),
                    ));
                }
                task
            }
            None => storage::tasks::lock_claimable(w.conn(), project_id, &agent.allowed_task_types)
                .await?
                .ok_or_else(|| {
                    AppError::not_found_hinting(
                        "claimable task",
                        "",
                        Msg::new("err-hint-nothing-to-claim").with("agent", &agent.name),
                    )
                })?,
        };
        let now = w.now;
        storage::tasks::replace_assignees(w.conn(), task.id, &[*agent_id], now).await?;
        w.audit(
            Some(project_id),
            "task.claimed",
            "task",
            task.id,
            json!({ "number": task.number, "agent": agent.name }),
        )
        .await?;
        let claimed = storage::tasks::by_id(w.conn(), task.id).await?.expect("locked task exists");
        self.apply_transition(
            &mut w,
            &claimed,
            TransitionSpec::because(TaskStatus::Assigned, Msg::new("why-claimed-by").with("agent", &agent.name)),
        )
        .await?;
        let task = storage::tasks::by_id(w.conn(), task.id).await?.expect("locked task exists");
        w.commit().await?;
        Ok(task)
    }

    /// Adds a comment. `telegram` is the chat and message it came from, when it came from a
    /// task's topic (then it is not echoed back there).
    pub async fn comment_on_task(&self, actor: &Actor, task_id: Uuid, body: &str, telegram: Option<(i64, i32)>) -> AppResult<Comment> {
        let body = CommentBody::parse(body)?;
        let mut w = Work::begin(self, actor).await?;
        match actor {
            Actor::Agent { .. } => {
                require_active_agent(&mut w).await?;
            }
            _ => require(actor, Right::Comment)?,
        }
        let task = storage::tasks::by_id(w.conn(), task_id)
            .await?
            .ok_or_else(|| AppError::not_found("task", task_id))?;
        require_project(actor, task.project_id)?;
        let now = w.now;
        let comment = storage::tasks::insert_comment(w.conn(), task_id, actor, body.as_str(), telegram, now).await?;
        storage::tasks::touch(w.conn(), task_id, now).await?;
        w.audit(
            Some(task.project_id),
            "comment.created",
            "task",
            task_id,
            json!({ "commentId": comment.id, "number": task.number, "body": body }),
        )
        .await?;
        for agent_id in task.assignee_ids.iter().filter(|id| Some(**id) != actor.agent_id()) {
            w.notify(
                *agent_id,
                "comment",
                Some(task_id),
                format!("{} on #{}: {}", actor.name(), task.number, body),
                json!({ "taskId": task_id, "commentId": comment.id }),
            )
            .await?;
        }
        if telegram.is_none() {
            w.post(
                task.project_id,
                Target::Task(task_id),
                &Notice::CommentAdded {
                    task_id,
                    number: task.number,
                    comment_id: comment.id,
                    author: actor.name().into(),
                    body: body.into_inner(),
                },
            )
            .await?;
        }
        w.commit().await?;
        Ok(comment)
    }
}

/// Operators with the right to manage tasks return tasks to the pool; agents claim, never hand
/// a task back this way.
pub(crate) fn require_pool_returner(actor: &Actor) -> AppResult<()> {
    if let Actor::Agent { .. } = actor {
        return Err(AppError::forbidden(Msg::new("err-agents-claim")));
    }
    require(actor, Right::ManageTasks)
}

impl App {
    /// A loop alert's Reassign: the task goes back to the pool — out of blocked (to assigned)
    /// first if it is blocked, then unassigned (to inbox) — in one transaction, so that a crash
    /// cannot leave it half done.
    pub async fn return_task_to_pool(&self, actor: &Actor, task_id: Uuid, reason: Msg) -> AppResult<Task> {
        require_pool_returner(actor)?;
        let mut w = Work::begin(self, actor).await?;
        let task = self.return_to_pool_in(&mut w, task_id, reason).await?;
        w.commit().await?;
        Ok(task)
    }

    /// The same inside the caller's transaction (rights checked by the caller).
    pub(crate) async fn return_to_pool_in(&self, w: &mut Work, task_id: Uuid, reason: Msg) -> AppResult<Task> {
        let mut task = lock_task(w, task_id).await?;
        if task.status.is_terminal() {
            return Err(AppError::conflict(
                "task_closed",
                Msg::new("err-task-closed")
                    .with("task", task.number)
                    .task_status("status", task.status),
            ));
        }
        if task.status == TaskStatus::Blocked {
            self.apply_transition(w, &task, TransitionSpec::because(TaskStatus::Assigned, reason))
                .await?;
            task = storage::tasks::by_id(w.conn(), task_id).await?.expect("locked task exists");
        }
        self.reassign(w, &task, &[]).await?;
        Ok(storage::tasks::by_id(w.conn(), task_id).await?.expect("locked task exists"))
    }
}
