//! The scheduled governance jobs against a real database, with the clock where each test
//! needs it.

use crate::common;

use chrono::Duration;
use common::{as_agent, count, plan, squad, Squad};
use mission_control::app::approvals::RequestApproval;
use mission_control::app::jobs::Job;
use mission_control::app::runs::RecordRun;
use mission_control::app::tasks::TransitionTask;
use mission_control::app::Rules;
use mission_control::domain::*;
use sqlx::PgPool;

async fn run(s: &Squad, job: Job) -> String {
    let at = s.app.now() + Duration::microseconds(rand_micros());
    s.app
        .run_job(&Actor::system("test"), job, at, "test", 30)
        .await
        .unwrap()
        .expect("claimed")
        .detail
        .unwrap_or_default()
}

/// Distinct occurrences for repeated runs at one manual time.
fn rand_micros() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    static NEXT: AtomicI64 = AtomicI64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn working_task(s: &Squad, title: &str) -> mission_control::app::model::Task {
    let task = s.task(title, TaskType::CustomerResearch).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    s.app
        .transition_task(
            &as_agent(&s.scout),
            task.id,
            TransitionTask {
                to: Some(TaskStatus::InProgress),
                work_plan: Some(plan()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    task
}

#[sqlx::test]
async fn a_stale_agent_is_alerted_once_across_ten_monitor_runs(pool: PgPool) {
    let s = squad(pool.clone()).await;
    s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    s.clock.advance(Duration::minutes(4));
    run(&s, Job::HeartbeatMonitor).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alerts WHERE type = 'agent_stale'").await,
        0,
        "4 min is not stale"
    );
    s.clock.advance(Duration::minutes(2));
    for _ in 0..10 {
        run(&s, Job::HeartbeatMonitor).await;
        s.clock.advance(Duration::seconds(30));
    }
    // Every seeded agent is silent; Scout's alert is raised once and never bumped.
    let scout_alerts: Vec<(i32, bool)> =
        sqlx::query_as("SELECT occurrences, resolved FROM alerts WHERE type = 'agent_stale' AND subject = $1")
            .bind(format!("agent:{}", s.scout.id))
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(scout_alerts, vec![(1, false)]);
    let raised: i64 = count(
        &pool,
        "SELECT count(*) FROM outbox WHERE kind = 'alert_raised' AND payload->>'alert_type' = 'agent_stale'",
    )
    .await;
    assert_eq!(
        raised,
        count(&pool, "SELECT count(*) FROM agents WHERE stale_since IS NOT NULL").await,
        "one message per stale agent"
    );
    // A heartbeat clears it; silence again alerts again.
    s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    let open: i64 = count(
        &pool,
        "SELECT count(*) FROM alerts WHERE type = 'agent_stale' AND NOT resolved AND subject LIKE 'agent:%'",
    )
    .await;
    let total: i64 = count(&pool, "SELECT count(*) FROM agents WHERE stale_since IS NOT NULL").await;
    assert_eq!(open, total);
}

#[sqlx::test]
async fn each_loop_rule_triggers_at_its_threshold_and_not_below(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    let t = Rules::default().loops;

    // Comments: more than max_comments in the window.
    let chatty = working_task(&s, "Chatty task").await;
    for i in 0..t.max_comments {
        s.app.comment_on_task(&scout, chatty.id, &format!("note {i}"), None).await.unwrap();
    }
    // Failed runs: failed_runs among the last window.
    let failing = working_task(&s, "Failing task").await;
    for _ in 0..t.failed_runs - 1 {
        s.app
            .record_run(
                &scout,
                RecordRun {
                    agent_id: s.scout.id,
                    task_id: Some(failing.id),
                    cost: Usd::ZERO,
                    status: RunStatus::Failed,
                    model: None,
                    tokens: None,
                    error: Some("timeout".into()),
                },
            )
            .await
            .unwrap();
        // Keep the error streak from quarantining Scout mid-test.
        sqlx::query("UPDATE agents SET error_streak = 0 WHERE id = $1")
            .bind(s.scout.id)
            .execute(&pool)
            .await
            .unwrap();
    }
    // Back and forth: in_progress ↔ blocked, transitions and pair repeats below the threshold.
    let bouncing = working_task(&s, "Bouncing task").await;
    let bounce = |to: TaskStatus| TransitionTask {
        to: Some(to),
        reason: Some("waiting on access".into()),
        ..Default::default()
    };
    // working_task made 2 transitions (inbox→assigned→in_progress); 4 bounces make 6, with
    // each pair repeated twice: one below the pair threshold.
    for _ in 0..2 {
        s.app
            .transition_task(&s.operator, bouncing.id, bounce(TaskStatus::Blocked))
            .await
            .unwrap();
        s.app
            .transition_task(&s.operator, bouncing.id, bounce(TaskStatus::InProgress))
            .await
            .unwrap();
    }

    let detail = run(&s, Job::LoopDetector).await;
    assert_eq!(detail, "0 looping tasks blocked", "every rule one below its threshold");

    // One more of each crosses the thresholds.
    s.app.comment_on_task(&scout, chatty.id, "one too many", None).await.unwrap();
    s.app
        .record_run(
            &scout,
            RecordRun {
                agent_id: s.scout.id,
                task_id: Some(failing.id),
                cost: Usd::ZERO,
                status: RunStatus::Failed,
                model: None,
                tokens: None,
                error: Some("timeout".into()),
            },
        )
        .await
        .unwrap();
    s.app
        .transition_task(&s.operator, bouncing.id, bounce(TaskStatus::Blocked))
        .await
        .unwrap();
    s.app
        .transition_task(&s.operator, bouncing.id, bounce(TaskStatus::InProgress))
        .await
        .unwrap();
    assert_eq!(t.pair_repeats, 3);
    let detail = run(&s, Job::LoopDetector).await;
    assert_eq!(detail, "3 looping tasks blocked");
    for task in [&chatty, &failing, &bouncing] {
        let task = s.reload(task).await;
        assert_eq!(task.status, TaskStatus::Blocked, "{}", task.title);
        assert!(task.blocked_reason.as_deref().unwrap().starts_with("Loop detected"));
        let docs: i64 = sqlx::query_scalar("SELECT count(*) FROM documents WHERE task_id = $1 AND kind = 'loop_summary'")
            .bind(task.id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(docs, 1, "a Loop Summary is attached");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM alerts WHERE type = 'loop_detected'").await, 3);
    // Blocked tasks are not looked at again.
    assert_eq!(run(&s, Job::LoopDetector).await, "0 looping tasks blocked");
}

#[sqlx::test]
async fn the_review_cycle_rule_triggers_past_its_threshold(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let t = Rules::default().loops;
    let task = working_task(&s, "Reviewed too often").await;
    sqlx::query("UPDATE tasks SET review_cycles = $2 WHERE id = $1")
        .bind(task.id)
        .bind(t.max_review_cycles as i32)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(run(&s, Job::LoopDetector).await, "0 looping tasks blocked");
    sqlx::query("UPDATE tasks SET review_cycles = review_cycles + 1 WHERE id = $1")
        .bind(task.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(run(&s, Job::LoopDetector).await, "1 looping tasks blocked");
}

#[sqlx::test]
async fn a_budget_at_eighty_percent_alerts_once_and_a_new_day_resumes(pool: PgPool) {
    let s = squad(pool.clone()).await;
    // Scout: $2.00 a day. Spend $1.60 (80%) without going through record_run's own warning.
    sqlx::query("UPDATE agents SET today_spend_micros = 1600000, spend_day = $2 WHERE id = $1")
        .bind(s.scout.id)
        .bind(s.app.now().date_naive())
        .execute(&pool)
        .await
        .unwrap();
    for _ in 0..5 {
        run(&s, Job::BudgetWatch).await;
    }
    let warnings: Vec<i32> = sqlx::query_scalar("SELECT occurrences FROM alerts WHERE type = 'budget_warning'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(warnings, vec![1], "one warning, not one per run");

    // A cap lowered under today's spend pauses the agent.
    s.app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(150)), None)
        .await
        .unwrap();
    run(&s, Job::BudgetWatch).await;
    let scout = s.agent(s.scout.id).await;
    assert_eq!((scout.status, scout.status_cause.as_deref()), (AgentStatus::Paused, Some("budget")));

    // Midnight UTC: spend resets, the budget pause lifts, the budget alerts resolve.
    s.clock.advance(Duration::days(1));
    run(&s, Job::BudgetReset).await;
    let scout = s.agent(s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Active);
    assert_eq!(scout.today_spend, Usd::ZERO);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM alerts WHERE type IN ('budget_warning', 'budget_exceeded') AND NOT resolved"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn an_approval_expires_exactly_once_after_one_reminder(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let approval = s
        .app
        .request_approval(
            &as_agent(&s.scout),
            RequestApproval {
                agent_id: s.scout.id,
                action_type: "email.send".into(),
                action_summary: "Survey 20 churned users".into(),
                justification: "We need their reasons".into(),
                expires_in_minutes: Some(60),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(approval.status, ApprovalStatus::Pending);
    s.clock.advance(Duration::minutes(45));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded");
    s.clock.advance(Duration::minutes(6));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 1 reminded");
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded", "one reminder");
    s.clock.advance(Duration::minutes(10));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "1 expired, 0 reminded");
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded", "expired once");
    let status: String = sqlx::query_scalar("SELECT status::text FROM approvals WHERE id = $1")
        .bind(approval.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "expired");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE kind = 'approval_decided' AND payload->>'status' = 'expired'"
        )
        .await,
        1,
        "one message edit is queued"
    );
    let notified: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE agent_id = $1 AND kind = 'approval_decided'")
        .bind(s.scout.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(notified, 1, "the requesting agent is told");
}

#[sqlx::test]
async fn two_schedulers_on_one_database_run_an_occurrence_once(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let (other, _) = common::app_with(pool.clone(), Rules::default());
    let at = s.app.now();
    let system = Actor::system("scheduler");
    let (a, b) = tokio::join!(
        s.app.run_job(&system, Job::HeartbeatMonitor, at, "replica-a", 30),
        other.run_job(&system, Job::HeartbeatMonitor, at, "replica-b", 30),
    );
    let ran: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(ran.len(), 1, "exactly one replica ran it");
    assert_eq!(ran[0].outcome, "succeeded");
    assert!(ran[0].finished_at.is_some());
    assert_eq!(count(&pool, "SELECT count(*) FROM job_runs").await, 1);
}

#[sqlx::test]
async fn jobs_run_now_from_the_api_for_the_cao_only(pool: PgPool) {
    let api = common::http::spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let refused = api
        .call(reqwest::Method::POST, "/api/jobs/loop_detector/run", Some(&operator), None)
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM job_runs").await, 0);
    let ran = api.post("/api/jobs/loop_detector/run", "").await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_eq!(ran.body["job"], "loop_detector");
    assert_eq!(ran.body["outcome"], "succeeded");
    let unknown = api.post("/api/jobs/make_coffee/run", "").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body["error"]["message"].as_str().unwrap().contains("heartbeat_monitor"));
}
