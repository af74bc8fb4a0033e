use crate::common;

use common::*;
use mc_core::pg::Pg;
use mission_control::app::agents::StatusCommand;
use mission_control::app::runs::RecordRun;
use mission_control::app::tasks::TransitionTask;
use mission_control::app::{AppError, Rules};
use mission_control::domain::*;
use sqlx::PgPool;

fn run(agent: &mission_control::model::Agent, task: Option<uuid::Uuid>, cents: i64, status: RunStatus) -> RecordRun {
    RecordRun {
        agent_id: agent.id,
        task_id: task,
        cost: Some(Usd::from_cents(cents)),
        status,
        model: Some("gpt-x".into()),
        tokens: mission_control::domain::costs::ReportedTokens {
            total: Some(1200),
            ..Default::default()
        },
        error: None,
    }
}

#[sqlx::test]
async fn reaching_the_daily_cap_pauses_the_agent_holds_the_task_and_alerts(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.started_task("Find ten forums", TaskType::CustomerResearch, &s.scout).await;
    let scout = as_agent(&s.scout);
    // Intern: $2.00/day, $0.25/run. Seven runs of $0.25 = $1.75, then $0.25 reaches $2.00.
    for _ in 0..7 {
        let outcome = s
            .app
            .record_run(&scout, run(&s.scout, Some(task.id), 25, RunStatus::Succeeded))
            .await
            .unwrap();
        assert!(!outcome.budget_exceeded);
    }
    let outcome = s
        .app
        .record_run(&scout, run(&s.scout, Some(task.id), 25, RunStatus::Succeeded))
        .await
        .unwrap();
    assert!(outcome.budget_exceeded && outcome.task_held);
    assert_eq!(outcome.agent.status, AgentStatus::Paused);
    assert_eq!(outcome.agent.status_cause.as_deref(), Some("budget"));
    assert_eq!(outcome.agent.today_spend, Usd::from_cents(200));
    let task = s.reload(&task).await;
    assert_eq!(task.status, TaskStatus::NeedsApproval);
    assert_eq!(task.actual_cost, Usd::from_cents(200));
    let hold: (Pg<ActorKind>, String) =
        sqlx::query_as("SELECT actor_kind, actor_name FROM task_transitions WHERE task_id = $1 AND to_status = 'needs_approval'")
            .bind(task.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(hold, (Pg(ActorKind::System), "budget".into()), "the hold is the system's act");
    let alerts = s.open_alerts(Some("budget_exceeded")).await;
    assert_eq!(alerts.total, 1);
    assert_eq!(alerts.items[0].severity, AlertSeverity::Critical);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE kind = 'alert_raised' AND target = 'alerts' AND payload->>'alert_type' = 'budget_exceeded'"
        )
        .await,
        1
    );
    // The warning at 80% fired once on the way up.
    assert_eq!(count(&pool, "SELECT count(*) FROM alerts WHERE type = 'budget_warning'").await, 1);

    // The paused agent is told to stop, and cannot resume without a bigger cap.
    let hb = s.app.heartbeat(&scout, s.scout.id).await.unwrap();
    assert!(hb.stop);
    assert_eq!(hb.budget.remaining, Usd::ZERO);
    // An operator may not lift a budget pause at all; the CAO only with room under the cap.
    let err = s
        .app
        .change_agent_status(&s.operator, s.scout.id, StatusCommand::Resume, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
    let err = s
        .app
        .change_agent_status(&s.cao, s.scout.id, StatusCommand::Resume, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "budget_exhausted");
    // Costs still get recorded while paused: money spent is a fact.
    s.app
        .record_run(&scout, run(&s.scout, Some(task.id), 5, RunStatus::Succeeded))
        .await
        .unwrap();
    // Raising the cap resumes the agent and resolves the alert.
    let agent = s
        .app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(500)), None)
        .await
        .unwrap();
    assert_eq!(agent.status, AgentStatus::Active);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alerts WHERE type = 'budget_exceeded' AND NOT resolved").await,
        0
    );
}

#[sqlx::test]
async fn over_the_per_run_cap_alerts_once_per_subject_and_counts_repeats(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    s.app
        .record_run(&scout, run(&s.scout, None, 30, RunStatus::Succeeded))
        .await
        .unwrap();
    s.app
        .record_run(&scout, run(&s.scout, None, 40, RunStatus::Succeeded))
        .await
        .unwrap();
    let alerts = s.open_alerts(Some("per_run_cap_exceeded")).await;
    assert_eq!(alerts.total, 1, "one open alert per subject");
    assert_eq!(alerts.items[0].occurrences, 2);
    let repeats: Vec<bool> = sqlx::query_scalar(
        "SELECT (payload->>'repeat')::bool FROM outbox WHERE payload->>'alert_type' = 'per_run_cap_exceeded' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(repeats, vec![false, true], "a repeat edits rather than posts again");
}

#[sqlx::test]
async fn error_streaks_alert_then_quarantine(pool: PgPool) {
    let s = squad_with(
        pool.clone(),
        Rules {
            error_streak_alert: 3,
            error_streak_quarantine: 5,
            ..Rules::default()
        },
    )
    .await;
    let scout = as_agent(&s.scout);
    for i in 1..=6 {
        let outcome = s.app.record_run(&scout, run(&s.scout, None, 1, RunStatus::Failed)).await.unwrap();
        assert_eq!(outcome.agent.error_streak, i);
        let expected = if i > 5 { AgentStatus::Quarantined } else { AgentStatus::Active };
        assert_eq!(outcome.agent.status, expected, "after {i} failures");
    }
    let alert = s.open_alerts(Some("error_streak")).await;
    assert_eq!(alert.total, 1);
    assert_eq!(alert.items[0].severity, AlertSeverity::Critical);
    assert_eq!(alert.items[0].occurrences, 3, "raised at 4, bumped at 5 and at 6");
    // A success resets the streak.
    s.app
        .change_agent_status(&s.cao, s.scout.id, StatusCommand::Release, None)
        .await
        .unwrap();
    let ok = s
        .app
        .record_run(&scout, run(&s.scout, None, 1, RunStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(ok.agent.error_streak, 0);
}

#[sqlx::test]
async fn spend_resets_on_a_new_utc_day(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    s.app
        .record_run(&scout, run(&s.scout, None, 20, RunStatus::Succeeded))
        .await
        .unwrap();
    s.clock.advance(chrono::Duration::days(1));
    let outcome = s
        .app
        .record_run(&scout, run(&s.scout, None, 20, RunStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(outcome.agent.today_spend, Usd::from_cents(20));
    assert_eq!(outcome.agent.total_spend, Usd::from_cents(40));
}

#[sqlx::test]
async fn runs_are_reported_only_for_oneself(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let before = fingerprint(&pool).await;
    let err = s
        .app
        .record_run(&as_agent(&s.scribe), run(&s.scout, None, 1, RunStatus::Succeeded))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let err = s
        .app
        .record_run(&s.viewer, run(&s.scout, None, 1, RunStatus::Succeeded))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let err = s
        .app
        .record_run(
            &s.operator,
            RecordRun {
                tokens: mission_control::domain::costs::ReportedTokens {
                    total: Some(-1),
                    ..Default::default()
                },
                ..run(&s.scout, None, 1, RunStatus::Succeeded)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation { field: "tokens", .. }));
    let err = s
        .app
        .record_run(&s.operator, run(&s.scout, Some(uuid::Uuid::new_v4()), 1, RunStatus::Succeeded))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound { field: Some("taskId"), .. }), "{err:?}");
    assert_eq!(fingerprint(&pool).await, before);
}

#[sqlx::test]
async fn a_run_counts_only_against_the_agents_own_task(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.started_task("Find ten forums", TaskType::CustomerResearch, &s.scout).await;
    // Scribe (an intern, $2.00/day) one cent short of its cap: the run that would reach it
    // names Scout's task, which must neither be charged nor held.
    sqlx::query("UPDATE agents SET today_spend_micros = 1990000, spend_day = $2 WHERE id = $1")
        .bind(s.scribe.id)
        .bind(s.app.now().date_naive())
        .execute(&pool)
        .await
        .unwrap();
    let before = fingerprint(&pool).await;
    let err = s
        .app
        .record_run(&as_agent(&s.scribe), run(&s.scribe, Some(task.id), 25, RunStatus::Succeeded))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert!(err.to_string().contains("neither an assignee nor the reviewer"), "{err}");
    let err = s
        .app
        .record_run(&s.operator, run(&s.scribe, Some(task.id), 25, RunStatus::Succeeded))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "reported for it or by it: {err}");
    assert_eq!(fingerprint(&pool).await, before);
    assert_eq!(s.reload(&task).await.status, TaskStatus::InProgress);

    // The reviewer's runs count against the task it reviews.
    let reviewed = s
        .app
        .create_task(
            &s.operator,
            s.project.id,
            mission_control::app::tasks::CreateTask {
                title: "Reviewed by Scribe".into(),
                description: String::new(),
                task_type: TaskType::Docs,
                priority: None,
                assignee_ids: vec![s.scout.id],
                reviewer_id: Some(s.scribe.id),
                budget_allocated: None,
            },
        )
        .await
        .unwrap();
    s.app
        .record_run(&as_agent(&s.scribe), run(&s.scribe, Some(reviewed.id), 1, RunStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(s.reload(&reviewed).await.actual_cost, Usd::from_cents(1));
}

#[sqlx::test]
async fn per_run_and_warning_alerts_name_the_task(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.started_task("Find ten forums", TaskType::CustomerResearch, &s.scout).await;
    let scout = as_agent(&s.scout);
    // $0.30 is over the $0.25 per-run cap; $1.50 more crosses 80% of $2.00.
    let outcome = s
        .app
        .record_run(&scout, run(&s.scout, Some(task.id), 30, RunStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(outcome.alerts[0].alert_type, "per_run_cap_exceeded");
    s.app
        .record_run(&scout, run(&s.scout, Some(task.id), 140, RunStatus::Succeeded))
        .await
        .unwrap();
    for kind in ["per_run_cap_exceeded", "budget_warning"] {
        let task_ids: Vec<Option<String>> = sqlx::query_scalar("SELECT details->>'taskId' FROM alerts WHERE type = $1")
            .bind(kind)
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(task_ids, vec![Some(task.id.to_string())], "{kind}");
    }
}

#[sqlx::test]
async fn runs_and_transitions_on_one_agent_and_task_never_deadlock(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.started_task("Find ten forums", TaskType::CustomerResearch, &s.scout).await;
    s.app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(10_000)), Some(Usd::from_cents(100)))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for round in 0..3 {
        for i in 0..20 {
            let app = s.app.clone();
            let (scout, operator, agent) = (as_agent(&s.scout), s.operator.clone(), s.scout.clone());
            let id = task.id;
            handles.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    app.record_run(&scout, run(&agent, Some(id), 1, RunStatus::Succeeded))
                        .await
                        .map(|_| true)
                } else {
                    // Moves that write the agent's row (current task) or its notifications.
                    let target = if (i / 2 + round) % 2 == 0 {
                        TaskStatus::Blocked
                    } else {
                        TaskStatus::InProgress
                    };
                    let actor = if i % 4 == 1 { scout } else { operator };
                    app.transition_task(
                        &actor,
                        id,
                        TransitionTask {
                            to: Some(target),
                            reason: Some(format!("round {round} move {i}").into()),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|_| false)
                }
            }));
        }
    }
    let mut runs = 0;
    for handle in handles {
        match handle.await.unwrap() {
            Ok(true) => runs += 1,
            Ok(false) => {}
            Err(AppError::IllegalTransition { .. }) => {}
            Err(other) => panic!("only domain refusals are expected, got: {other}"),
        }
    }
    assert_eq!(runs, 30, "every run is recorded");
    assert_eq!(s.reload(&task).await.actual_cost, Usd::from_cents(30));
    assert_eq!(s.agent(s.scout.id).await.today_spend, Usd::from_cents(30));
}
