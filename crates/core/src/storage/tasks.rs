use crate::model::{Comment, Document, Task, Transition};
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::i18n::Said;
use mc_domain::{Actor, TaskStatus, TaskType, Usd};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

macro_rules! task_select {
    () => {
        "SELECT t.*, COALESCE((SELECT array_agg(a.agent_id ORDER BY a.assigned_at, a.agent_id)
                               FROM task_assignees a WHERE a.task_id = t.id), '{}') AS assignee_ids,
                (SELECT jsonb_build_object('chatId', th.chat_id, 'topicId', th.topic_id, 'rootMessageId', th.root_message_id)
                 FROM task_threads th WHERE th.task_id = t.id) AS thread
         FROM tasks t"
    };
}

pub struct NewTask<'a> {
    pub project_id: Uuid,
    pub number: i32,
    pub title: &'a str,
    pub description: &'a str,
    pub task_type: TaskType,
    pub priority: i16,
    pub reviewer_id: Option<Uuid>,
    pub budget_allocated: Option<Usd>,
    pub created_by: &'a str,
}

pub async fn insert(conn: &mut PgConnection, t: &NewTask<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO tasks (id, project_id, number, title, description, type, priority, reviewer_id,
                            budget_allocated_micros, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(t.project_id)
    .bind(t.number)
    .bind(t.title)
    .bind(t.description)
    .bind(Pg(t.task_type))
    .bind(t.priority)
    .bind(t.reviewer_id)
    .bind(Pg(t.budget_allocated))
    .bind(t.created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Task>> {
    sqlx::query_as(concat!(task_select!(), " WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Reads the task and locks its row until the transaction ends: every change to a task goes
/// through this, so concurrent changes to one task apply one after the other.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Task>> {
    sqlx::query_as(concat!(task_select!(), " WHERE t.id = $1 FOR UPDATE OF t"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn id_by_number(conn: &mut PgConnection, project_id: Uuid, number: i32) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM tasks WHERE project_id = $1 AND number = $2")
        .bind(project_id)
        .bind(number)
        .fetch_optional(conn)
        .await
}

pub async fn replace_assignees(conn: &mut PgConnection, task_id: Uuid, agent_ids: &[Uuid], now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM task_assignees WHERE task_id = $1 AND NOT (agent_id = ANY($2))")
        .bind(task_id)
        .bind(agent_ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO task_assignees (task_id, agent_id, assigned_at)
         SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING",
    )
    .bind(task_id)
    .bind(agent_ids)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct StatusChange<'a> {
    pub status: TaskStatus,
    pub work_plan: Option<&'a [String]>,
    pub deliverable: Option<&'a str>,
    pub increment_review_cycles: bool,
    /// Some(Some(r)) sets the blocked reason, Some(None) clears it, None leaves it.
    pub blocked_reason: Option<Option<&'a Said>>,
    pub completed: bool,
}

pub async fn apply_status(conn: &mut PgConnection, id: Uuid, c: &StatusChange<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    let blocked_reason_changes = c.blocked_reason.is_some();
    let blocked_reason = c.blocked_reason.flatten();
    sqlx::query(
        "UPDATE tasks SET status = $2,
                work_plan = COALESCE($3, work_plan),
                deliverable = COALESCE($4, deliverable),
                review_cycles = review_cycles + CASE WHEN $5 THEN 1 ELSE 0 END,
                blocked_reason = CASE WHEN $6 THEN $7 ELSE blocked_reason END,
                blocked_reason_said = CASE WHEN $6 THEN $10 ELSE blocked_reason_said END,
                completed_at = CASE WHEN $8 THEN $9 ELSE completed_at END,
                updated_at = $9
         WHERE id = $1",
    )
    .bind(id)
    .bind(Pg(c.status))
    .bind(c.work_plan)
    .bind(c.deliverable)
    .bind(c.increment_review_cycles)
    .bind(blocked_reason_changes)
    .bind(blocked_reason.map(|r| r.to_string()))
    .bind(c.completed)
    .bind(now)
    .bind(blocked_reason.and_then(|r| r.as_msg()).map(sqlx::types::Json))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn touch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE tasks SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn add_cost(conn: &mut PgConnection, id: Uuid, cost: Usd) -> sqlx::Result<()> {
    sqlx::query("UPDATE tasks SET actual_cost_micros = actual_cost_micros + $2 WHERE id = $1")
        .bind(id)
        .bind(Pg(cost))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn transition_by_key(conn: &mut PgConnection, task_id: Uuid, key: &str) -> sqlx::Result<Option<Transition>> {
    sqlx::query_as("SELECT * FROM task_transitions WHERE task_id = $1 AND idempotency_key = $2")
        .bind(task_id)
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub async fn insert_transition(
    conn: &mut PgConnection,
    task_id: Uuid,
    from: TaskStatus,
    to: TaskStatus,
    actor: &Actor,
    reason: &Said,
    key: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Transition> {
    sqlx::query_as(
        "INSERT INTO task_transitions (task_id, from_status, to_status, actor_kind, actor_id, actor_name, reason, idempotency_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
    )
    .bind(task_id)
    .bind(Pg(from))
    .bind(Pg(to))
    .bind(Pg(actor.kind()))
    .bind(actor.id())
    .bind(actor.name())
    .bind(reason.to_string())
    .bind(key)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn transitions(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<Transition>> {
    sqlx::query_as("SELECT * FROM task_transitions WHERE task_id = $1 ORDER BY created_at, id")
        .bind(task_id)
        .fetch_all(conn)
        .await
}

/// The latest transition of the task into `to`.
pub async fn last_transition_into(conn: &mut PgConnection, task_id: Uuid, to: TaskStatus) -> sqlx::Result<Option<Transition>> {
    sqlx::query_as("SELECT * FROM task_transitions WHERE task_id = $1 AND to_status = $2 ORDER BY created_at DESC, id DESC LIMIT 1")
        .bind(task_id)
        .bind(Pg(to))
        .fetch_optional(conn)
        .await
}

/// Whether a person approved `action_type` for the task (policy's own approvals do not count).
pub async fn has_human_approval(conn: &mut PgConnection, task_id: Uuid, action_type: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM approvals WHERE task_id = $1 AND action_type = $2
                          AND status = 'approved' AND decided_by_kind = 'human')",
    )
    .bind(task_id)
    .bind(action_type)
    .fetch_one(conn)
    .await
}

pub async fn insert_comment(
    conn: &mut PgConnection,
    task_id: Uuid,
    author: &Actor,
    body: &str,
    telegram: Option<(i64, i32)>,
    now: DateTime<Utc>,
) -> sqlx::Result<Comment> {
    sqlx::query_as(
        "INSERT INTO comments (id, task_id, author_kind, author_id, author_name, body, telegram_chat_id, telegram_message_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id, task_id, author_kind, author_id, author_name, body, created_at, edited_at",
    )
    .bind(Uuid::new_v4())
    .bind(task_id)
    .bind(Pg(author.kind()))
    .bind(author.id())
    .bind(author.name())
    .bind(body)
    .bind(telegram.map(|t| t.0))
    .bind(telegram.map(|t| t.1))
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn comments(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<Comment>> {
    sqlx::query_as(
        "SELECT id, task_id, author_kind, author_id, author_name, body, created_at, edited_at
         FROM comments WHERE task_id = $1 ORDER BY created_at, id",
    )
    .bind(task_id)
    .fetch_all(conn)
    .await
}

pub async fn documents(conn: &mut PgConnection, task_id: Uuid) -> sqlx::Result<Vec<Document>> {
    sqlx::query_as("SELECT * FROM documents WHERE task_id = $1 ORDER BY created_at, id")
        .bind(task_id)
        .fetch_all(conn)
        .await
}

pub async fn insert_document(
    conn: &mut PgConnection,
    task_id: Uuid,
    kind: &str,
    title: &str,
    body: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Document> {
    sqlx::query_as(
        "INSERT INTO documents (id, task_id, kind, title, body, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(task_id)
    .bind(kind)
    .bind(title)
    .bind(body)
    .bind(created_by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Picks the inbox task an agent should claim: highest priority, then oldest, of the types it
/// takes (all types when `types` is empty); skips rows another claim is holding.
pub async fn lock_claimable(conn: &mut PgConnection, project_id: Uuid, types: &[TaskType]) -> sqlx::Result<Option<Task>> {
    sqlx::query_as(concat!(
        task_select!(),
        " WHERE t.project_id = $1 AND t.status = 'inbox' AND (cardinality($2::task_type[]) = 0 OR t.type = ANY($2))
          ORDER BY t.priority, t.number LIMIT 1 FOR UPDATE OF t SKIP LOCKED"
    ))
    .bind(project_id)
    .bind(Pg(types))
    .fetch_optional(conn)
    .await
}

pub struct TaskFilter {
    pub project_id: Uuid,
    pub statuses: Option<Vec<TaskStatus>>,
    pub task_type: Option<TaskType>,
    pub assignee_id: Option<Uuid>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut PgConnection, f: &TaskFilter) -> sqlx::Result<(Vec<Task>, i64)> {
    fn filters(q: &mut QueryBuilder<Postgres>, f: &TaskFilter) {
        q.push(" WHERE t.project_id = ").push_bind(f.project_id);
        if let Some(statuses) = &f.statuses {
            q.push(" AND t.status = ANY(").push_bind(Pg(statuses.as_slice())).push(")");
        }
        if let Some(task_type) = f.task_type {
            q.push(" AND t.type = ").push_bind(Pg(task_type));
        }
        if let Some(agent) = f.assignee_id {
            q.push(" AND EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.agent_id = ")
                .push_bind(agent)
                .push(")");
        }
    }
    let mut count: QueryBuilder<Postgres> = QueryBuilder::new("SELECT count(*) FROM tasks t");
    filters(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(task_select!());
    filters(&mut q, f);
    q.push(" ORDER BY t.priority, t.number LIMIT ")
        .push_bind(f.limit)
        .push(" OFFSET ")
        .push_bind(f.offset);
    let items = q.build_query_as().fetch_all(conn).await?;
    Ok((items, total))
}

/// Open tasks the agent is assigned to.
/// The open tasks assigned to any of these agents (each once, with all its assignees), by
/// priority and number.
pub async fn assigned_to(conn: &mut PgConnection, agent_ids: &[Uuid]) -> sqlx::Result<Vec<Task>> {
    sqlx::query_as(concat!(
        task_select!(),
        " WHERE t.status NOT IN ('done', 'canceled')
            AND EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.agent_id = ANY($1))
          ORDER BY t.priority, t.number"
    ))
    .bind(agent_ids)
    .fetch_all(conn)
    .await
}

pub async fn exists_with_title(conn: &mut PgConnection, project_id: Uuid, title: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tasks WHERE project_id = $1 AND title = $2)")
        .bind(project_id)
        .bind(title)
        .fetch_one(conn)
        .await
}
