//! The schema's own guards: no row of one project points at a task or agent of another one
//! (composite foreign keys, same-project triggers), tasks and agents never change project, and
//! the paths that delete a task (archive) keep working. Plus the task's thread reference as
//! the API shows it.

use crate::common;

use common::http::spawn_app;
use common::{squad, Squad};
use mission_control::domain::*;
use mission_control::storage::maintenance::verify;
use reqwest::StatusCode;
use sqlx::{Connection, PgPool};
use uuid::Uuid;

/// A second project with an agent and a task of its own.
struct Other {
    project: Uuid,
    agent: Uuid,
    task: Uuid,
}

async fn other_project(s: &Squad) -> Other {
    let project = s.new_project("sitegpt", "SiteGPT").await;
    let agent = s.register_in(project.id, "Outsider", AgentRole::Specialist, &[]).await;
    let task = s
        .app
        .create_task(
            &s.operator,
            project.id,
            mission_control::app::tasks::CreateTask {
                title: "Their task".into(),
                description: String::new(),
                task_type: TaskType::Docs,
                priority: None,
                assignee_ids: vec![],
                reviewer_id: None,
                budget_allocated: None,
            },
        )
        .await
        .unwrap();
    Other {
        project: project.id,
        agent: agent.id,
        task: task.id,
    }
}

/// Runs `sql` in a transaction that is always rolled back; the error's SQLSTATE and constraint.
async fn attempt(pool: &PgPool, sql: &str) -> Result<(), (String, String, String)> {
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *tx).await;
    tx.rollback().await.unwrap();
    match result {
        Ok(_) => Ok(()),
        Err(err) => {
            let db = err.as_database_error().unwrap_or_else(|| panic!("{sql}: {err}"));
            Err((
                db.code().unwrap_or_default().to_string(),
                db.constraint().unwrap_or_default().to_string(),
                db.message().to_string(),
            ))
        }
    }
}

#[sqlx::test]
async fn the_database_refuses_every_kind_of_cross_project_link(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let other = other_project(&s).await;
    let task = s.task("Our task", TaskType::Docs).await;
    let (p, t, scout, sofie, scribe) = (s.project.id, task.id, s.scout.id, s.sofie.id, s.scribe.id);
    let (op, ot, oa) = (other.project, other.task, other.agent);
    let before = common::fingerprint(&pool).await;

    // (constraint that refuses it, SQL with `{x}`, x of this project (accepted), x of the other one)
    let cases: Vec<(&str, String, Uuid, Uuid)> = vec![
        (
            "task_assignees_same_project",
            format!("INSERT INTO task_assignees (task_id, agent_id, assigned_at) VALUES ('{t}', '{{x}}', now())"),
            scout,
            oa,
        ),
        (
            "task_assignees_same_project",
            format!(
                "INSERT INTO task_assignees (task_id, agent_id, assigned_at) VALUES ('{t}', '{scout}', now());
                 UPDATE task_assignees SET agent_id = '{{x}}' WHERE task_id = '{t}'"
            ),
            sofie,
            oa,
        ),
        ("tasks_reviewer_same_project_fkey", format!("UPDATE tasks SET reviewer_id = '{{x}}' WHERE id = '{t}'"), sofie, oa),
        (
            "approvals_agent_same_project_fkey",
            format!(
                "INSERT INTO approvals (id, project_id, number, agent_id, action_type, action_summary, risk, justification, status, expires_at, created_at)
                 VALUES (gen_random_uuid(), '{p}', 999, '{{x}}', 'email.send', 'Send it', 'yellow', '', 'pending', now() + interval '1 day', now())"
            ),
            scout,
            oa,
        ),
        (
            "approvals_task_same_project_fkey",
            format!(
                "INSERT INTO approvals (id, project_id, number, agent_id, task_id, action_type, action_summary, risk, justification, status, expires_at, created_at)
                 VALUES (gen_random_uuid(), '{p}', 999, '{scout}', '{{x}}', 'email.send', 'Send it', 'yellow', '', 'pending', now() + interval '1 day', now())"
            ),
            t,
            ot,
        ),
        (
            "runs_agent_same_project_fkey",
            format!(
                "INSERT INTO runs (id, project_id, agent_id, cost_micros, status, created_at)
                 VALUES (gen_random_uuid(), '{p}', '{{x}}', 0, 'succeeded', now())"
            ),
            scout,
            oa,
        ),
        (
            "runs_task_same_project_fkey",
            format!(
                "INSERT INTO runs (id, project_id, agent_id, task_id, cost_micros, status, created_at)
                 VALUES (gen_random_uuid(), '{p}', '{scout}', '{{x}}', 0, 'succeeded', now())"
            ),
            t,
            ot,
        ),
        (
            "agents_current_task_same_project_fkey",
            format!("UPDATE agents SET current_task_id = '{{x}}' WHERE id = '{scout}'"),
            t,
            ot,
        ),
        (
            "agents_parent_same_project_fkey",
            format!("UPDATE agents SET parent_agent_id = '{{x}}', depth = 1 WHERE id = '{scribe}'"),
            sofie,
            oa,
        ),
        (
            "notifications_same_project",
            format!(
                "INSERT INTO notifications (id, agent_id, kind, task_id, body, created_at)
                 VALUES (gen_random_uuid(), '{{x}}', 'task_assigned', '{t}', 'yours', now())"
            ),
            scout,
            oa,
        ),
        (
            "notifications_same_project",
            format!(
                "INSERT INTO notifications (id, agent_id, kind, task_id, body, created_at)
                 VALUES (gen_random_uuid(), '{scout}', 'task_assigned', '{{x}}', 'yours', now())"
            ),
            t,
            ot,
        ),
        (
            "comments_same_project",
            format!(
                "INSERT INTO comments (id, task_id, author_kind, author_id, author_name, body, created_at)
                 VALUES (gen_random_uuid(), '{t}', 'agent', '{{x}}', 'someone', 'Hello', now())"
            ),
            scout,
            oa,
        ),
        (
            "task_transitions_same_project",
            format!(
                "INSERT INTO task_transitions (task_id, from_status, to_status, actor_kind, actor_id, actor_name, idempotency_key, created_at)
                 VALUES ('{t}', 'inbox', 'assigned', 'agent', '{{x}}', 'someone', 'planted-1', now())"
            ),
            scout,
            oa,
        ),
        (
            "outbox_task_same_project_fkey",
            format!(
                "INSERT INTO outbox (project_id, target, task_id, kind, payload, next_attempt_at, created_at)
                 VALUES ('{p}', 'task', '{{x}}', 'task_created', '{{}}', now(), now())"
            ),
            t,
            ot,
        ),
        // Moving a task or an agent would carry its links into the other project.
        ("tasks_project_fixed", format!("UPDATE tasks SET project_id = '{{x}}' WHERE id = '{t}'"), p, op),
        ("agents_project_fixed", format!("UPDATE agents SET project_id = '{{x}}' WHERE id = '{scout}'"), p, op),
        (
            "approvals_agent_same_project_fkey",
            format!(
                "INSERT INTO approvals (id, project_id, number, agent_id, action_type, action_summary, risk, justification, status, expires_at, created_at)
                 VALUES ('00000000-0000-4000-8000-0000000000a1', '{p}', 999, '{scout}', 'email.send', 'Send it', 'yellow', '', 'pending', now() + interval '1 day', now());
                 UPDATE approvals SET project_id = '{{x}}', number = 998 WHERE id = '00000000-0000-4000-8000-0000000000a1'"
            ),
            p,
            op,
        ),
    ];
    for (constraint, template, ours, theirs) in &cases {
        let same = template.replace("{x}", &ours.to_string());
        attempt(&pool, &same)
            .await
            .unwrap_or_else(|e| panic!("within one project this is fine:\n{same}\n{e:?}"));
        let cross = template.replace("{x}", &theirs.to_string());
        let (code, refused_by, message) = attempt(&pool, &cross)
            .await
            .expect_err(&format!("a link into another project must be refused:\n{cross}"));
        assert_eq!(&refused_by, constraint, "{cross}\n{message}");
        assert!(["23503", "23514"].contains(&code.as_str()), "{code}: {message}");
    }
    // A message about a task names the task's project.
    let (code, refused_by, _) = attempt(
        &pool,
        &format!(
            "INSERT INTO outbox (project_id, target, task_id, kind, payload, next_attempt_at, created_at)
             VALUES (NULL, 'task', '{t}', 'task_created', '{{}}', now(), now())"
        ),
    )
    .await
    .unwrap_err();
    assert_eq!((code.as_str(), refused_by.as_str()), ("23514", "outbox_task_has_project"));
    assert_eq!(common::fingerprint(&pool).await, before, "every attempt was rolled back");

    // The core says which rule, not a 500, if it ever lets one through.
    let err = s.app.assign_task(&s.operator, task.id, vec![other.agent]).await.unwrap_err();
    assert!(matches!(err, mission_control::app::AppError::Validation { .. }), "{err}");
    assert_eq!(common::fingerprint(&pool).await, before);
}

/// verify-db finds what a restore with triggers off (or a hand edit) could bring back.
#[sqlx::test]
async fn verify_db_reports_cross_project_links(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let other = other_project(&s).await;
    let task = s.task("Our task", TaskType::Docs).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![]);
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE task_assignees SET agent_id = $1 WHERE task_id = $2")
        .bind(other.agent)
        .bind(task.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE tasks SET reviewer_id = $1 WHERE id = $2")
        .bind(other.agent)
        .bind(task.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let problems = verify::verify(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    let cross: Vec<&verify::Problem> = problems.iter().filter(|p| p.check == "cross_project").collect();
    assert_eq!(cross.len(), 2, "{problems:#?}");
    assert!(
        cross
            .iter()
            .any(|p| p.detail.contains("assignment") && p.detail.contains("Outsider")),
        "{cross:#?}"
    );
    assert!(cross.iter().any(|p| p.detail.contains("reviewer Outsider")), "{cross:#?}");
}

/// Deleting a task (as archive does) clears the links to it but keeps the rows' projects:
/// the composite keys set only the task column to NULL.
#[sqlx::test]
async fn removing_a_task_clears_only_the_task_side_of_composite_links(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let old = s.task("An old finished task", TaskType::Docs).await;
    s.move_task(old.id, TaskStatus::Canceled, "no longer needed").await;
    // Scout still points at it (e.g. a heartbeat that raced the cancel).
    sqlx::query("UPDATE agents SET current_task_id = $1 WHERE id = $2")
        .bind(old.id)
        .bind(s.scout.id)
        .execute(&pool)
        .await
        .unwrap();
    let later = chrono::Utc::now().max(s.app.now()) + chrono::Duration::days(1);
    let moved = common::core(&pool).archive(later, false).await.unwrap();
    assert_eq!(moved.iter().find(|c| c.what == "tasks").unwrap().rows, 1);
    let scout = s.agent(s.scout.id).await;
    assert_eq!(scout.current_task_id, None);
    assert_eq!(scout.project_id, s.project.id);

    // A run of a task deleted by hand keeps its project and agent.
    let gone = s.task("Deleted by hand", TaskType::Docs).await;
    sqlx::query(
        "INSERT INTO runs (id, project_id, agent_id, task_id, cost_micros, status, created_at)
         VALUES (gen_random_uuid(), $1, $2, $3, 0, 'succeeded', now())",
    )
    .bind(s.project.id)
    .bind(s.scout.id)
    .bind(gone.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM tasks WHERE id = $1")
        .bind(gone.id)
        .execute(&pool)
        .await
        .unwrap();
    let (project, task): (Uuid, Option<Uuid>) = sqlx::query_as("SELECT project_id, task_id FROM runs WHERE agent_id = $1")
        .bind(s.scout.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((project, task), (s.project.id, None));
}

/// GET /api/tasks/{id} (and the list) carry the task's thread: null until there is one, then
/// the chat with the forum topic or the root message.
#[sqlx::test]
async fn the_api_shows_the_task_thread(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let created = api.post("/api/tasks", r#"{"title":"Write the FAQ","type":"docs"}"#).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    assert!(created.body["thread"].is_null(), "{}", created.body);
    let read = api.get(&format!("/api/tasks/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.as_object().unwrap().contains_key("thread"), "{}", read.body);
    assert!(read.body["thread"].is_null(), "{}", read.body);

    let mut conn = pool.acquire().await.unwrap();
    let now = chrono::Utc::now();
    mission_control::storage::threads::set_root(&mut conn, id, -1001234567890, 42, now)
        .await
        .unwrap();
    let read = api.get(&format!("/api/tasks/{id}")).await;
    assert_eq!(
        read.body["thread"],
        serde_json::json!({ "chatId": -1001234567890i64, "topicId": null, "rootMessageId": 42 }),
        "{}",
        read.body
    );
    mission_control::storage::threads::set_topic(&mut conn, id, -1001234567890, 77, "#1 Write the FAQ", now)
        .await
        .unwrap();
    drop(conn);
    let read = api.get(&format!("/api/tasks/{id}")).await;
    assert_eq!(
        read.body["thread"],
        serde_json::json!({ "chatId": -1001234567890i64, "topicId": 77, "rootMessageId": null })
    );
    let list = api.get("/api/tasks?limit=200").await;
    let listed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.to_string())
        .unwrap();
    assert_eq!(listed["thread"]["topicId"], 77, "{listed}");

    // The OpenAPI document describes it.
    let doc = api.get("/api/openapi.json").await;
    let schemas = &doc.body["components"]["schemas"];
    assert!(schemas["Task"]["properties"]["thread"].is_object(), "{}", schemas["Task"]);
    for field in ["chatId", "topicId", "rootMessageId"] {
        assert!(schemas["ThreadRef"]["properties"][field].is_object(), "{}", schemas["ThreadRef"]);
    }
    api.stop().await;
}

/// Every migration but the one described, later ones too: data written then by today's code is
/// what the left-out migration meets on a live database.
async fn migrate_all_but(pool: &PgPool, description: &str) {
    let left_out = mission_control::storage::MIGRATOR
        .iter()
        .find(|m| m.description == description)
        .expect("the migration")
        .version;
    let dir = std::env::temp_dir().join(format!("mc-migrations-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version != left_out {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap().run(pool).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A database with data under the other migrations takes this one: task messages queued
/// without a project get the task's, and what was sound stays sound.
#[sqlx::test(migrations = false)]
async fn a_live_database_with_data_takes_the_migration(pool: PgPool) {
    migrate_all_but(&pool, "same project links").await;

    let s = squad(pool.clone()).await;
    let scout = common::as_agent(&s.scout);
    let task = s
        .started_task("Interview five churned customers", TaskType::CustomerResearch, &s.scout)
        .await;
    s.app.comment_on_task(&scout, task.id, "Two interviews booked", None).await.unwrap();
    s.app
        .record_run(&scout, common::run(s.scout.id, Some(task.id), Usd::from_dollars(0.05).unwrap()))
        .await
        .unwrap();
    let queued: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (project_id, target, task_id, kind, payload, next_attempt_at, created_at)
         VALUES (NULL, 'task', $1, 'task_created', '{}', now(), now()) RETURNING id",
    )
    .bind(task.id)
    .fetch_one(&pool)
    .await
    .unwrap();

    mission_control::storage::migrate(&pool).await.unwrap();
    let project: Option<Uuid> = sqlx::query_scalar("SELECT project_id FROM outbox WHERE id = $1")
        .bind(queued)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(project, Some(s.project.id));
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![]);
    drop(conn);
    // The new rules hold from here on.
    let other = other_project(&s).await;
    let (_, refused_by, _) = attempt(
        &pool,
        &format!("UPDATE tasks SET reviewer_id = '{}' WHERE id = '{}'", other.agent, task.id),
    )
    .await
    .unwrap_err();
    assert_eq!(refused_by, "tasks_reviewer_same_project_fkey");
}

/// A database with runs takes the daily roll-up: it starts as their sum, and the runs recorded
/// after it are added as they are written.
#[sqlx::test(migrations = false)]
async fn a_live_database_with_runs_takes_the_daily_roll_up(pool: PgPool) {
    migrate_all_but(&pool, "daily costs").await;
    let s = squad(pool.clone()).await;
    let scout = common::as_agent(&s.scout);
    for cents in [5, 7] {
        s.app
            .record_run(&scout, common::run(s.scout.id, None, Usd::from_cents(cents)))
            .await
            .unwrap();
    }
    mission_control::storage::migrate(&pool).await.unwrap();
    let rolled: (i64, i64) = sqlx::query_as("SELECT sum(runs)::bigint, sum(cost_micros)::bigint FROM daily_costs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rolled, (2, 120_000));
    s.app
        .record_run(&scout, common::run(s.scout.id, None, Usd::from_cents(1)))
        .await
        .unwrap();
    let month = s
        .app
        .cost_summary(&s.cao, s.project.id, BudgetPeriod::Month, CostGrouping::Agent)
        .await
        .unwrap();
    assert_eq!((month.runs, month.total), (3, Usd::from_cents(13)));
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![]);
}
