//! `mission-control verify-db`: integrity beyond what constraints enforce (and what a restore
//! with triggers off, or a hand edit, could have broken): histories replay through the state
//! machine, money adds up, decisions are complete, nothing points at nothing or at another
//! project's rows.

use crate::pg::Pg;
use anyhow::Context;
use mc_domain::task_state::allowed_targets;
use mc_domain::TaskStatus;
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Which check found it, e.g. `task_history`.
    pub check: &'static str,
    /// The rows involved.
    pub ids: Vec<String>,
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} ({})", self.check, self.detail, self.ids.join(", "))
    }
}

/// Orphan checks: (check name, what, SQL returning (id, detail) rows).
const ORPHANS: &[(&str, &str)] = &[
    (
        "orphan_rows",
        "SELECT a.id::text, 'agent ' || a.name || ' belongs to a missing project' FROM agents a
         WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = a.project_id)",
    ),
    (
        "orphan_rows",
        "SELECT t.id::text, 'task #' || t.number || ' belongs to a missing project' FROM tasks t
         WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = t.project_id)",
    ),
    (
        "orphan_rows",
        "SELECT a.id::text, 'agent ' || a.name || ' works on missing task ' || a.current_task_id FROM agents a
         WHERE a.current_task_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.current_task_id)",
    ),
    (
        "orphan_rows",
        "SELECT ta.task_id::text || '/' || ta.agent_id::text, 'assignment of a missing task or agent' FROM task_assignees ta
         WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = ta.task_id) OR NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = ta.agent_id)",
    ),
    (
        "orphan_rows",
        "SELECT tt.id::text, 'transition of missing task ' || tt.task_id FROM task_transitions tt
         WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = tt.task_id)",
    ),
    (
        "orphan_rows",
        "SELECT c.id::text, 'comment on missing task ' || c.task_id FROM comments c
         WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = c.task_id)",
    ),
    (
        "orphan_rows",
        "SELECT r.id::text, 'run of missing agent ' || r.agent_id FROM runs r
         WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = r.agent_id)",
    ),
    (
        "orphan_rows",
        "SELECT ap.id::text, 'approval A' || ap.number || ' of missing agent ' || ap.agent_id FROM approvals ap
         WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = ap.agent_id)",
    ),
    (
        "orphan_rows",
        "SELECT n.id::text, 'notification for missing agent ' || n.agent_id FROM notifications n
         WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = n.agent_id)",
    ),
    (
        "orphan_threads",
        "SELECT th.task_id::text, 'thread of missing task' FROM task_threads th
         WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = th.task_id)",
    ),
    (
        "orphan_threads",
        "SELECT th.task_id::text, 'thread in unknown chat ' || th.chat_id FROM task_threads th
         WHERE NOT EXISTS (SELECT 1 FROM telegram_chats c WHERE c.chat_id = th.chat_id)",
    ),
    (
        "orphan_threads",
        "SELECT b.project_id::text, 'binding to a missing project or chat' FROM chat_bindings b
         WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = b.project_id)
            OR NOT EXISTS (SELECT 1 FROM telegram_chats c WHERE c.chat_id = b.chat_id)",
    ),
    (
        "orphan_outbox",
        "SELECT o.id::text, 'outbox row for missing task ' || o.task_id FROM outbox o
         WHERE o.task_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = o.task_id)",
    ),
    (
        "orphan_outbox",
        "SELECT o.id::text, 'outbox row for missing project ' || o.project_id FROM outbox o
         WHERE o.project_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = o.project_id)",
    ),
    (
        "orphan_rows",
        "SELECT k.id::text, 'API token of a missing operator or agent' FROM api_tokens k
         WHERE (k.operator_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM operators o WHERE o.id = k.operator_id))
            OR (k.agent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = k.agent_id))",
    ),
    // The archive keeps whole tasks: every archived row belongs to an archived task.
    (
        "orphan_archive",
        "SELECT x.kind || ' ' || x.id, 'archived ' || x.kind || ' of a task missing from archive.tasks: ' || x.task_id FROM (
             SELECT 'assignment' AS kind, agent_id::text AS id, task_id FROM archive.task_assignees
             UNION ALL SELECT 'transition', id::text, task_id FROM archive.task_transitions
             UNION ALL SELECT 'comment', id::text, task_id FROM archive.comments
             UNION ALL SELECT 'document', id::text, task_id FROM archive.documents
             UNION ALL SELECT 'approval', id::text, task_id FROM archive.approvals WHERE task_id IS NOT NULL
             UNION ALL SELECT 'run', id::text, task_id FROM archive.runs WHERE task_id IS NOT NULL
             UNION ALL SELECT 'thread', task_id::text, task_id FROM archive.task_threads
         ) x WHERE NOT EXISTS (SELECT 1 FROM archive.tasks t WHERE t.id = x.task_id)",
    ),
    (
        "orphan_archive",
        "SELECT t.id::text, 'archived task #' || t.number || ' belongs to a missing project' FROM archive.tasks t
         WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = t.project_id)",
    ),
    (
        "orphan_archive",
        "SELECT x.id, 'archived ' || x.kind || ' of missing agent ' || x.agent_id FROM (
             SELECT 'run' AS kind, id::text AS id, agent_id FROM archive.runs
             UNION ALL SELECT 'approval', id::text, agent_id FROM archive.approvals
         ) x WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = x.agent_id)",
    ),
];

/// Links between projects, which the schema's composite foreign keys and same-project triggers
/// refuse (but a restore with triggers off, or a hand edit, could still hold), live and
/// archived: (id, what links which projects).
const CROSS_PROJECT: &str = "SELECT x.id, x.what || ' belongs to project ' || x.own || ' but points at ' || x.other || ' of project ' || x.their
     FROM (
         SELECT a.id::text AS id, 'agent ' || a.name AS what, a.project_id AS own, 'parent agent ' || p.name AS other, p.project_id AS their
           FROM agents a JOIN agents p ON p.id = a.parent_agent_id
         UNION ALL SELECT a.id::text, 'agent ' || a.name, a.project_id, 'current task #' || t.number, t.project_id
           FROM agents a JOIN tasks t ON t.id = a.current_task_id
         UNION ALL SELECT t.id::text, 'task #' || t.number, t.project_id, 'reviewer ' || r.name, r.project_id
           FROM tasks t JOIN agents r ON r.id = t.reviewer_id
         UNION ALL SELECT t.id::text, 'archived task #' || t.number, t.project_id, 'reviewer ' || r.name, r.project_id
           FROM archive.tasks t JOIN agents r ON r.id = t.reviewer_id
         UNION ALL SELECT ta.task_id::text || '/' || ta.agent_id::text, 'the assignment to task #' || t.number, t.project_id, 'agent ' || a.name, a.project_id
           FROM task_assignees ta JOIN tasks t ON t.id = ta.task_id JOIN agents a ON a.id = ta.agent_id
         UNION ALL SELECT ta.task_id::text || '/' || ta.agent_id::text, 'the archived assignment to task #' || t.number, t.project_id, 'agent ' || a.name, a.project_id
           FROM archive.task_assignees ta JOIN archive.tasks t ON t.id = ta.task_id JOIN agents a ON a.id = ta.agent_id
         UNION ALL SELECT ap.id::text, 'approval A' || ap.number, ap.project_id, 'agent ' || a.name, a.project_id
           FROM (SELECT id, number, project_id, agent_id FROM approvals UNION ALL SELECT id, number, project_id, agent_id FROM archive.approvals) ap
           JOIN agents a ON a.id = ap.agent_id
         UNION ALL SELECT ap.id::text, 'approval A' || ap.number, ap.project_id, 'task #' || t.number, t.project_id
           FROM approvals ap JOIN tasks t ON t.id = ap.task_id
         UNION ALL SELECT ap.id::text, 'archived approval A' || ap.number, ap.project_id, 'task #' || t.number, t.project_id
           FROM archive.approvals ap JOIN archive.tasks t ON t.id = ap.task_id
         UNION ALL SELECT r.id::text, 'run', r.project_id, 'agent ' || a.name, a.project_id
           FROM (SELECT id, project_id, agent_id FROM runs UNION ALL SELECT id, project_id, agent_id FROM archive.runs) r
           JOIN agents a ON a.id = r.agent_id
         UNION ALL SELECT r.id::text, 'run', r.project_id, 'task #' || t.number, t.project_id
           FROM runs r JOIN tasks t ON t.id = r.task_id
         UNION ALL SELECT r.id::text, 'archived run', r.project_id, 'task #' || t.number, t.project_id
           FROM archive.runs r JOIN archive.tasks t ON t.id = r.task_id
         UNION ALL SELECT n.id::text, 'notification for agent ' || a.name, a.project_id, 'task #' || t.number, t.project_id
           FROM notifications n JOIN agents a ON a.id = n.agent_id JOIN tasks t ON t.id = n.task_id
         UNION ALL SELECT c.id::text, 'comment by agent ' || a.name, a.project_id, 'task #' || t.number, t.project_id
           FROM comments c JOIN agents a ON a.id = c.author_id AND c.author_kind = 'agent' JOIN tasks t ON t.id = c.task_id
         UNION ALL SELECT tt.id::text, 'transition by agent ' || a.name, a.project_id, 'task #' || t.number, t.project_id
           FROM task_transitions tt JOIN agents a ON a.id = tt.actor_id AND tt.actor_kind = 'agent' JOIN tasks t ON t.id = tt.task_id
         UNION ALL SELECT o.id::text, 'outbox row', o.project_id, 'task #' || t.number, t.project_id
           FROM outbox o JOIN tasks t ON t.id = o.task_id
     ) x WHERE x.own IS DISTINCT FROM x.their";

/// What each status requires of a task (the schema's CHECKs, which a database restored from
/// elsewhere or edited by hand may lack), live and archived.
const TASK_FIELDS: &str = "SELECT t.id::text, 'task #' || t.number || ' is ' || t.status || ' ' || t.problem FROM (
         SELECT id, number, status, CASE
             WHEN status = 'blocked' AND COALESCE(btrim(blocked_reason), '') = '' THEN 'without a reason'
             WHEN status IN ('done', 'canceled') AND completed_at IS NULL THEN 'without completed_at'
             WHEN status NOT IN ('done', 'canceled') AND completed_at IS NOT NULL THEN 'but has completed_at'
             WHEN status = 'review' AND deliverable IS NULL THEN 'without a deliverable'
             WHEN status = 'in_progress' AND COALESCE(cardinality(work_plan), 0) NOT BETWEEN 3 AND 6 THEN 'without a work plan of 3-6 steps'
           END AS problem
         FROM (SELECT id, number, status, blocked_reason, completed_at, deliverable, work_plan FROM tasks
               UNION ALL SELECT id, number, status, blocked_reason, completed_at, deliverable, work_plan FROM archive.tasks) all_tasks
     ) t WHERE t.problem IS NOT NULL";

/// Money and decisions: (check, SQL returning (id, detail)).
const CONSISTENCY: &[(&str, &str)] = &[
    (
        "money",
        "SELECT a.id::text, 'agent ' || a.name || ' has a negative budget or spend' FROM agents a
         WHERE a.daily_cap_micros < 0 OR a.per_run_cap_micros < 0 OR a.today_spend_micros < 0 OR a.total_spend_micros < 0",
    ),
    (
        "money",
        "SELECT a.id::text, 'agent ' || a.name || ' total spend ' || a.total_spend_micros || ' µ$ but its runs add up to ' || COALESCE(r.sum, 0)
         FROM agents a
         LEFT JOIN (SELECT agent_id, sum(cost_micros) AS sum FROM
                      (SELECT agent_id, cost_micros FROM runs UNION ALL SELECT agent_id, cost_micros FROM archive.runs) x
                    GROUP BY agent_id) r ON r.agent_id = a.id
         WHERE a.total_spend_micros <> COALESCE(r.sum, 0)",
    ),
    (
        "money",
        "SELECT a.id::text, 'agent ' || a.name || ' spent ' || a.today_spend_micros || ' µ$ on ' || a.spend_day || ' but its runs that day add up to ' || COALESCE(r.sum, 0)
         FROM agents a
         LEFT JOIN LATERAL (SELECT sum(cost_micros) AS sum
                            FROM (SELECT agent_id, created_at, cost_micros FROM runs
                                  UNION ALL SELECT agent_id, created_at, cost_micros FROM archive.runs) x
                            WHERE agent_id = a.id AND (created_at AT TIME ZONE 'UTC')::date = a.spend_day) r ON true
         WHERE a.today_spend_micros > COALESCE(r.sum, 0)",
    ),
    (
        "money",
        "SELECT t.id::text, 'task #' || t.number || ' cost ' || t.actual_cost_micros || ' µ$ but its runs add up to ' || COALESCE(r.sum, 0)
         FROM tasks t
         LEFT JOIN (SELECT task_id, sum(cost_micros) AS sum FROM runs WHERE task_id IS NOT NULL GROUP BY task_id) r ON r.task_id = t.id
         WHERE t.actual_cost_micros <> COALESCE(r.sum, 0)",
    ),
    (
        "money",
        "SELECT r.id::text, 'run with a negative cost' FROM runs r WHERE r.cost_micros < 0",
    ),
    (
        "money",
        "SELECT COALESCE(d.agent_id, r.agent_id)::text || '/' || COALESCE(d.day, r.day) || '/' || COALESCE(d.model, r.model),
                'the daily roll-up says ' || COALESCE(d.runs, 0) || ' runs costing ' || COALESCE(d.cost_micros, 0)
                || ' µ$ but the runs are ' || COALESCE(r.runs, 0) || ' costing ' || COALESCE(r.cost_micros, 0) || ' µ$'
         FROM daily_costs d
         FULL JOIN (SELECT project_id, (created_at AT TIME ZONE 'UTC')::date AS day, agent_id, COALESCE(model, '') AS model,
                           count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed_runs,
                           count(*) FILTER (WHERE cost_micros IS NULL) AS unpriced_runs,
                           COALESCE(sum(cost_micros), 0) AS cost_micros, COALESCE(sum(tokens), 0) AS tokens
                    FROM (SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM runs
                          UNION ALL SELECT project_id, created_at, agent_id, model, status, cost_micros, tokens FROM archive.runs) x
                    GROUP BY 1, 2, 3, 4) r
           ON r.project_id = d.project_id AND r.day = d.day AND r.agent_id = d.agent_id AND r.model = d.model
         WHERE (d.runs, d.failed_runs, d.unpriced_runs, d.cost_micros, d.tokens)
               IS DISTINCT FROM (r.runs, r.failed_runs, r.unpriced_runs, r.cost_micros, r.tokens)",
    ),
    (
        "approval_decisions",
        "SELECT ap.id::text, 'approval A' || ap.number || ' is ' || ap.status || ' but has no decision recorded' FROM approvals ap
         WHERE ap.status IN ('approved', 'denied', 'expired', 'canceled') AND (ap.decided_at IS NULL OR ap.decided_by_name IS NULL)",
    ),
    (
        "approval_decisions",
        "SELECT ap.id::text, 'approval A' || ap.number || ' is ' || ap.status || ' but records a decision' FROM approvals ap
         WHERE ap.status IN ('pending', 'escalated') AND (ap.decided_at IS NOT NULL OR ap.decided_by_name IS NOT NULL)",
    ),
    (
        "approval_decisions",
        "SELECT ap.id::text, 'approval A' || ap.number || ' was denied without a reason' FROM approvals ap
         WHERE ap.status = 'denied' AND COALESCE(btrim(ap.decision_note), '') = ''",
    ),
];

async fn rows(conn: &mut PgConnection, sql: &'static str) -> anyhow::Result<Vec<(String, String)>> {
    sqlx::query_as(sql)
        .fetch_all(conn)
        .await
        .with_context(|| format!("running the check {}", sql.lines().next().unwrap_or("")))
}

/// Replays each task's transitions through the state machine, from inbox to its status.
async fn task_histories(conn: &mut PgConnection, problems: &mut Vec<Problem>) -> anyhow::Result<()> {
    let tasks: Vec<(Uuid, i32, Pg<TaskStatus>)> =
        sqlx::query_as("SELECT id, number, status FROM tasks UNION ALL SELECT id, number, status FROM archive.tasks")
            .fetch_all(&mut *conn)
            .await
            .context("reading tasks")?;
    let transitions: Vec<(i64, Uuid, Pg<TaskStatus>, Pg<TaskStatus>)> = sqlx::query_as(
        "SELECT id, task_id, from_status, to_status FROM task_transitions
         UNION ALL SELECT id, task_id, from_status, to_status FROM archive.task_transitions
         ORDER BY 2, 1",
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading transitions")?;
    let mut by_task: HashMap<Uuid, Vec<(i64, TaskStatus, TaskStatus)>> = HashMap::new();
    for (id, task, from, to) in transitions {
        by_task.entry(task).or_default().push((id, from.0, to.0));
    }
    for (task_id, number, Pg(status)) in tasks {
        let history = by_task.remove(&task_id).unwrap_or_default();
        let mut at = TaskStatus::Inbox;
        for (id, from, to) in &history {
            if *from != at {
                problems.push(Problem {
                    check: "task_history",
                    ids: vec![task_id.to_string(), format!("transition {id}")],
                    detail: format!("task #{number}: transition {id} starts from {from} but the task was {at}"),
                });
            }
            if !allowed_targets(*from).contains(to) {
                problems.push(Problem {
                    check: "task_history",
                    ids: vec![task_id.to_string(), format!("transition {id}")],
                    detail: format!("task #{number}: {from} → {to} is not a transition of the state machine"),
                });
            }
            at = *to;
        }
        if at != status {
            problems.push(Problem {
                check: "task_history",
                ids: vec![task_id.to_string()],
                detail: format!("task #{number} is {status} but its history ends at {at}"),
            });
        }
    }
    Ok(())
}

/// Every problem found, in check order; empty means the database is sound.
pub async fn verify(conn: &mut PgConnection) -> anyhow::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    task_histories(conn, &mut problems).await?;
    let first = [("task_fields", TASK_FIELDS), ("cross_project", CROSS_PROJECT)];
    for (check, sql) in first.iter().chain(CONSISTENCY).chain(ORPHANS) {
        for (id, detail) in rows(conn, sql).await? {
            problems.push(Problem {
                check,
                ids: vec![id],
                detail,
            });
        }
    }
    Ok(problems)
}
