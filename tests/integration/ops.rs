//! Operations: backup → restore round trip, damaged backups refused, verify-db finding planted
//! corruption, retention (cleanup, archive) and the audit export from the CLI.

use crate::common;

use common::{as_agent, squad, Squad};
use mission_control::app::approvals::Verdict;
use mission_control::app::runs::RecordRun;
use mission_control::domain::*;
use mission_control::storage::maintenance::{backup, verify};
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A fresh, empty database on the same server; dropped by the guard.
struct ScratchDb {
    name: String,
    server: String,
    pool: PgPool,
}

impl ScratchDb {
    async fn create() -> ScratchDb {
        let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
        let (server, _) = base.rsplit_once('/').unwrap();
        let name = format!("mc_ops_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let pool = PgPool::connect(&format!("{server}/{name}")).await.unwrap();
        ScratchDb {
            name,
            server: server.to_string(),
            pool,
        }
    }

    async fn drop_it(self) {
        self.pool.close().await;
        let mut admin = PgConnection::connect(&format!("{}/postgres", self.server)).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

/// Row count and content digest of every application table.
async fn contents(pool: &PgPool) -> BTreeMap<String, String> {
    let mut conn = pool.acquire().await.unwrap();
    let tables = backup::app_tables(&mut conn).await.unwrap();
    let mut out = BTreeMap::new();
    for (name, _) in tables {
        let sql = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {name} t");
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await.unwrap();
        out.insert(name, digest);
    }
    out
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mc-ops-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Work of every kind: tasks through their states, runs, an approval decided, an alert,
/// comments, an archived task.
async fn activity(s: &Squad) {
    let scout = as_agent(&s.scout);
    let task = s
        .started_task("Interview five churned customers", TaskType::CustomerResearch, &s.scout)
        .await;
    s.app.comment_on_task(&scout, task.id, "Two interviews booked", None).await.unwrap();
    for cost in [0.05, 0.07] {
        s.app
            .record_run(
                &scout,
                RecordRun {
                    model: Some("small".into()),
                    tokens: mission_control::domain::costs::ReportedTokens {
                        total: Some(900),
                        ..Default::default()
                    },
                    ..common::run(s.scout.id, Some(task.id), Usd::from_dollars(cost).unwrap())
                },
            )
            .await
            .unwrap();
    }
    let approval = s.ask_about(&s.scout, &task, "Email the interviewees a thank-you").await.unwrap();
    s.app
        .decide_approval(&s.cao, approval.id, Verdict::Approve, Some("fine"))
        .await
        .unwrap();
    let done = s.task("An old finished task", TaskType::Docs).await;
    s.move_task(done.id, TaskStatus::Canceled, "no longer needed").await;
    s.app.pause_squad(&s.operator, s.project.id, Some("drill")).await.unwrap();
    s.app.resume_squad(&s.operator, s.project.id).await.unwrap();
}

#[sqlx::test]
async fn a_backup_restores_into_a_fresh_database_equal_and_clean(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    // Archive the canceled task (the manual clock is months behind the real one).
    let moved = common::core(&pool)
        .archive(chrono::Utc::now() - chrono::Duration::days(90), false)
        .await
        .unwrap();
    assert_eq!(moved.iter().find(|c| c.what == "tasks").unwrap().rows, 1);

    let dir = scratch_dir();
    let report = backup::backup(&pool, &dir, false).await.unwrap();
    assert!(report.path.exists());
    assert!(report.path.file_name().unwrap().to_str().unwrap().ends_with(".mcbackup.gz"));
    assert!(report.manifest.tables.iter().any(|t| t.name == "archive.tasks" && t.rows == 1));
    let latest = dir.join(backup::LATEST);
    assert_eq!(std::fs::read_link(&latest).unwrap(), report.path.file_name().unwrap());
    // The whole database: its owner's alone, in a directory only its owner enters.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&report.path), 0o600, "the backup file");
    assert_eq!(mode(&dir), 0o700, "the backup directory");
    // A directory others could read is made private before a backup goes in.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let second = backup::backup(&pool, &dir, false).await.unwrap();
    assert_eq!((mode(&dir), mode(&second.path)), (0o700, 0o600));

    let target = ScratchDb::create().await;
    let restored = backup::restore(&target.pool, &report.path, false).await.unwrap();
    assert!(!restored.replaced);
    assert_eq!(contents(&target.pool).await, contents(&pool).await, "every table equal");
    let mut conn = target.pool.acquire().await.unwrap();
    let problems = verify::verify(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    // Sequences continue after the restored rows: new audit events get fresh ids.
    let max_before: i64 = sqlx::query_scalar("SELECT max(id) FROM audit_events")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let (app, _) = common::app_with(target.pool.clone(), Default::default());
    let system = Actor::system("test");
    app.create_operator_token(&system, "After restore", OperatorRole::Viewer)
        .await
        .unwrap();
    let max_after: i64 = sqlx::query_scalar("SELECT max(id) FROM audit_events")
        .fetch_one(&target.pool)
        .await
        .unwrap();
    assert!(max_after > max_before);

    // A second restore into a database that holds data is refused without --force…
    let before = contents(&target.pool).await;
    let refused = backup::restore(&target.pool, &report.path, false).await.unwrap_err();
    assert!(format!("{refused:#}").contains("--force"), "{refused:#}");
    assert_eq!(contents(&target.pool).await, before);
    // …and with it replaces everything (here from the runbook's "latest" backup).
    let replaced = backup::restore(&target.pool, &latest, true).await.unwrap();
    assert!(replaced.replaced);
    assert_eq!(contents(&target.pool).await, contents(&pool).await);
    target.drop_it().await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// Archiving a finished task moves its runs out of `runs`; what they cost stays in the
/// month's costs (the roll-up counts archived runs too), and verify-db finds it sound.
#[sqlx::test]
async fn archived_runs_still_count_in_the_months_costs(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    let task = s
        .started_task("Interview five churned customers", TaskType::CustomerResearch, &s.scout)
        .await;
    for cents in [5, 7] {
        s.app
            .record_run(&scout, common::run(s.scout.id, Some(task.id), Usd::from_cents(cents)))
            .await
            .unwrap();
    }
    s.move_task(task.id, TaskStatus::Canceled, "no longer needed").await;
    let month = || s.app.cost_summary(&s.cao, s.project.id, BudgetPeriod::Month, CostGrouping::Agent);
    let before = month().await.unwrap();
    assert_eq!((before.runs, before.total), (2, Usd::from_cents(12)));
    let later = chrono::Utc::now().max(s.app.now()) + chrono::Duration::days(1);
    common::core(&pool).archive(later, false).await.unwrap();
    assert_eq!(common::count(&pool, "SELECT count(*) FROM runs").await, 0);
    assert_eq!(common::count(&pool, "SELECT count(*) FROM archive.runs").await, 2);
    let after = month().await.unwrap();
    assert_eq!((after.runs, after.total), (2, Usd::from_cents(12)), "money spent stays spent");
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![]);
}

/// A backup made before the runs' daily roll-up existed restores with the roll-up made from its
/// runs: the costs summaries read it.
#[sqlx::test]
async fn a_backup_without_the_daily_roll_up_restores_with_it(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    let runs = common::count(&pool, "SELECT count(*) FROM runs").await;
    assert!(runs > 0);
    let rolled_up = common::count(&pool, "SELECT sum(runs)::bigint FROM daily_costs").await;
    assert_eq!(rolled_up, runs, "the triggers keep the roll-up as runs are recorded");
    sqlx::query("DROP TABLE daily_costs CASCADE").execute(&pool).await.unwrap();
    let dir = scratch_dir();
    let report = backup::backup(&pool, &dir, false).await.unwrap();
    assert!(!report.manifest.tables.iter().any(|t| t.name == "public.daily_costs"));

    let target = ScratchDb::create().await;
    backup::restore(&target.pool, &report.path, false).await.unwrap();
    assert_eq!(common::count(&target.pool, "SELECT sum(runs)::bigint FROM daily_costs").await, runs);
    let mut conn = target.pool.acquire().await.unwrap();
    let problems = verify::verify(&mut conn).await.unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    drop(conn);
    target.drop_it().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test]
async fn damaged_backups_are_refused_and_change_nothing(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    let dir = scratch_dir();
    let report = backup::backup(&pool, &dir, false).await.unwrap();
    let good = std::fs::read(&report.path).unwrap();

    let target = ScratchDb::create().await;
    mission_control::storage::migrate(&target.pool).await.unwrap();
    let (app, _) = common::app_with(target.pool.clone(), Default::default());
    app.seed().await.unwrap();
    let before = contents(&target.pool).await;

    let mut damaged: Vec<(&str, Vec<u8>)> = Vec::new();
    damaged.push(("truncated in half", good[..good.len() / 2].to_vec()));
    damaged.push(("last bytes cut", good[..good.len() - 3].to_vec()));
    for at in [good.len() / 3, good.len() / 2, good.len() - 12] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x5a;
        damaged.push(("a flipped byte", flipped));
    }
    damaged.push(("not a backup at all", b"hello".to_vec()));
    for (what, bytes) in damaged {
        let path = dir.join("damaged.mcbackup.gz");
        std::fs::write(&path, &bytes).unwrap();
        let err = backup::restore(&target.pool, &path, true).await.expect_err(what);
        let message = format!("{err:#}");
        assert!(
            message.contains("damaged") || message.contains("truncated") || message.contains("not a Mission Control backup"),
            "{what}: {message}"
        );
        assert_eq!(contents(&target.pool).await, before, "{what}: the target is untouched");
    }
    target.drop_it().await;
    std::fs::remove_dir_all(dir).unwrap();
}

async fn planted(pool: &PgPool, sql: &str) -> Vec<verify::Problem> {
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    // Bypass foreign keys and triggers, as a bad restore or a hand edit could.
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *tx).await.unwrap();
    let problems = verify::verify(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();
    problems
}

/// SQL dropping the tasks' CHECK constraints (live and archived), as a database restored from
/// elsewhere may lack them.
macro_rules! drop_task_checks {
    () => {
        "DO $$ DECLARE c record; BEGIN
           FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
                    WHERE conrelid IN ('public.tasks'::regclass, 'archive.tasks'::regclass) AND contype = 'c' LOOP
             EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.t, c.conname);
           END LOOP; END $$;"
    };
}

#[sqlx::test]
async fn verify_db_finds_each_kind_of_planted_corruption(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    // The canceled task, with its history, into the archive.
    let later = chrono::Utc::now().max(s.app.now()) + chrono::Duration::days(1);
    common::core(&pool).archive(later, false).await.unwrap();
    assert_eq!(common::count(&pool, "SELECT count(*) FROM archive.tasks").await, 1);
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![], "a sound database has no problems");
    drop(conn);

    let cases: &[(&str, &str)] = &[
        ("task_history", "UPDATE tasks SET status = 'done', completed_at = now() WHERE status = 'in_progress'"),
        ("task_history", "UPDATE task_transitions SET from_status = 'review' WHERE id = (SELECT min(id) FROM task_transitions)"),
        ("task_history", "UPDATE task_transitions SET to_status = 'done' WHERE from_status = 'inbox' AND to_status = 'assigned'"),
        ("money", "UPDATE agents SET total_spend_micros = total_spend_micros + 1 WHERE name = 'Scout'"),
        ("money", "UPDATE agents SET today_spend_micros = 99000000 WHERE name = 'Scout'"),
        ("money", "UPDATE tasks SET actual_cost_micros = 1 WHERE actual_cost_micros > 0"),
        ("money", "UPDATE daily_costs SET cost_micros = cost_micros + 1 WHERE agent_id = (SELECT id FROM agents WHERE name = 'Scout')"),
        ("money", "DELETE FROM daily_costs WHERE ctid = (SELECT min(ctid) FROM daily_costs)"),
        // The schema's CHECK guards these; a database restored from elsewhere may lack it.
        (
            "approval_decisions",
            "ALTER TABLE approvals DROP CONSTRAINT approvals_check; UPDATE approvals SET decided_at = NULL WHERE status = 'approved'",
        ),
        (
            "approval_decisions",
            "ALTER TABLE approvals DROP CONSTRAINT approvals_check; UPDATE approvals SET status = 'pending' WHERE status = 'approved'",
        ),
        ("orphan_rows", "DELETE FROM agents WHERE name = 'Nova'"),
        ("orphan_rows", "DELETE FROM tasks WHERE status = 'in_progress'"),
        ("orphan_threads", "INSERT INTO task_threads (task_id, chat_id, topic_id, updated_at) VALUES (gen_random_uuid(), -100, 7, now())"),
        ("orphan_archive", "DELETE FROM archive.tasks"),
        ("orphan_archive", "UPDATE archive.tasks SET project_id = gen_random_uuid()"),
        (
            "task_fields",
            concat!(drop_task_checks!(), "UPDATE tasks SET status = 'blocked', blocked_reason = NULL WHERE status = 'in_progress'"),
        ),
        (
            "task_fields",
            concat!(drop_task_checks!(), "UPDATE tasks SET status = 'done', completed_at = NULL WHERE status = 'in_progress'"),
        ),
        ("task_fields", concat!(drop_task_checks!(), "UPDATE archive.tasks SET completed_at = NULL")),
        ("orphan_outbox", "INSERT INTO outbox (project_id, target, task_id, kind, payload, next_attempt_at, created_at) VALUES ((SELECT id FROM projects LIMIT 1), 'task', gen_random_uuid(), 'task_created', '{}', now(), now())"),
    ];
    for (check, sql) in cases {
        let problems = planted(&pool, sql).await;
        assert!(
            problems.iter().any(|p| p.check == *check && !p.ids.is_empty()),
            "{sql}\nshould be found by {check}, found: {problems:#?}"
        );
    }
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![], "each plant was rolled back");
}

#[sqlx::test]
async fn cleanup_and_archive_say_what_they_would_do_then_do_it(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    sqlx::query("UPDATE outbox SET status = 'delivered', delivered_at = created_at")
        .execute(&pool)
        .await
        .unwrap();
    let outbox: i64 = common::count(&pool, "SELECT count(*) FROM outbox").await;
    assert!(outbox > 0);
    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);

    let before = common::fingerprint(&pool).await;
    let would = common::core(&pool).cleanup(cutoff, true).await.unwrap();
    assert_eq!(
        would.iter().find(|c| c.what == "delivered outbox messages").unwrap().rows,
        outbox as u64
    );
    let would_archive = common::core(&pool).archive(cutoff, true).await.unwrap();
    assert_eq!(would_archive.iter().find(|c| c.what == "tasks").unwrap().rows, 1);
    assert_eq!(common::fingerprint(&pool).await, before, "a dry run changes nothing");

    let done = common::core(&pool).cleanup(cutoff, false).await.unwrap();
    assert_eq!(done, would);
    assert_eq!(common::count(&pool, "SELECT count(*) FROM outbox").await, 0);
    let archived = common::core(&pool).archive(cutoff, false).await.unwrap();
    assert_eq!(archived, would_archive);
    assert_eq!(common::count(&pool, "SELECT count(*) FROM archive.tasks").await, 1);
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE status IN ('done', 'canceled')").await,
        0
    );
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(verify::verify(&mut conn).await.unwrap(), vec![], "archived history still verifies");
    // Nothing left to do the second time.
    let again = common::core(&pool).archive(cutoff, false).await.unwrap();
    assert!(again.iter().all(|c| c.rows == 0));
    // Each run that changed data is audited as the system acting for `cli` (dry runs are not).
    let audited = common::count(
        &pool,
        "SELECT count(*) FROM audit_events WHERE actor_kind = 'system' AND actor_name = 'cli'
           AND action IN ('maintenance.cleanup', 'maintenance.archive')",
    )
    .await;
    assert_eq!(audited, 3, "one cleanup and two archives");
}

#[sqlx::test]
async fn the_cli_runs_the_operations(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    let url = common::database_url(&pool).await;
    let bin = env!("CARGO_BIN_EXE_mission-control");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("DATABASE_URL", &url)
            .env("MC_LOG__LEVEL", "warn")
            .output()
            .unwrap()
    };
    let dir = scratch_dir();
    let out = run(&["backup", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(std::path::Path::new(&path).exists(), "prints the path: {path}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("rows"), "prints a summary");

    let out = run(&["verify-db"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    sqlx::query("UPDATE agents SET total_spend_micros = 1 WHERE name = 'Scout'")
        .execute(&pool)
        .await
        .unwrap();
    let out = run(&["verify-db"]);
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("[money]") && report.contains(&s.scout.id.to_string()), "{report}");

    let out = run(&["cleanup", "--older-than", "30d", "--dry-run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("would delete"));
    let out = run(&["cleanup", "--older-than", "soon"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an age"));

    // The CLI's audit export and the API's give the same events.
    let out = run(&["audit", "export", "--from", "2026-03-01", "--to", "2026-03-03", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = String::from_utf8(out.stdout).unwrap();
    let cli_ids: Vec<i64> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    let api = common::http::spawn_app(pool.clone()).await;
    let reply = api.get("/api/audit/export?startDate=2026-03-01&endDate=2026-03-03").await;
    let api_ids: Vec<i64> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(!cli_ids.is_empty());
    assert_eq!(cli_ids, api_ids);
    // The same for the whole installation (the project scope leaves out, e.g., token events).
    let out = run(&[
        "audit",
        "export",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-03",
        "--format",
        "jsonl",
        "--all-projects",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all_cli: Vec<i64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    let reply = api
        .get("/api/audit/export?startDate=2026-03-01&endDate=2026-03-03&allProjects=true")
        .await;
    let all_api: Vec<i64> = reply.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(all_cli, all_api);
    assert!(all_cli.len() > cli_ids.len(), "installation events are only in the full export");
    std::fs::remove_dir_all(dir).unwrap();
}

#[sqlx::test]
async fn the_cli_restore_checks_the_file_before_it_touches_an_empty_database(pool: PgPool) {
    let s = squad(pool.clone()).await;
    activity(&s).await;
    let dir = scratch_dir();
    let report = backup::backup(&pool, &dir, false).await.unwrap();
    let good = std::fs::read(&report.path).unwrap();
    let damaged = dir.join("damaged.mcbackup.gz");
    let mut flipped = good.clone();
    let at = good.len() / 2;
    flipped[at] ^= 0x5a;
    std::fs::write(&damaged, &flipped).unwrap();

    // An empty database: not even the migrations' table.
    let target = ScratchDb::create().await;
    let url = format!("{}/{}", target.server, target.name);
    let restore = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .args(["restore", "--backup", file.to_str().unwrap()])
            .env("DATABASE_URL", &url)
            .env("MC_LOG__LEVEL", "warn")
            .output()
            .unwrap()
    };
    let tables = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    for file in [damaged.clone(), dir.join("missing.mcbackup.gz")] {
        let out = restore(&file);
        assert!(!out.status.success(), "a bad file is refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("damaged") || stderr.contains("opening"), "{stderr}");
        assert_eq!(tables(target.pool.clone()).await, 0, "nothing is touched: no schema, no tables");
    }
    // The good file restores.
    let out = restore(&report.path);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(contents(&target.pool).await, contents(&pool).await);
    target.drop_it().await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every archived table keeps every column of its hot table, same type, so `archive` loses
/// nothing when a migration adds a column (it copies by name).
#[sqlx::test]
async fn the_archive_has_every_column_of_the_tables_it_holds(pool: PgPool) {
    let missing: Vec<(String, String)> = sqlx::query_as(
        "SELECT h.table_name::text, h.column_name::text || ' ' || h.data_type
         FROM information_schema.columns h
         WHERE h.table_schema = 'public'
           AND h.table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'archive')
           AND NOT EXISTS (SELECT 1 FROM information_schema.columns a
                           WHERE a.table_schema = 'archive' AND a.table_name = h.table_name
                             AND a.column_name = h.column_name AND a.data_type = h.data_type)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(missing, vec![]);
    let archived: i64 = sqlx::query_scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'archive'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(archived >= 8, "{archived}");
}
