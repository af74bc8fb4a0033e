//! The scheduled governance jobs against a real database, with the clock where each test
//! needs it.

use crate::common;

use chrono::Duration;
use common::telegram::{bot, bound_fake};
use common::{as_agent, count, squad, Squad};
use fake_telegram::{ChatKind, FakeBotApi, StoredMessage};
use mission_control::app::approvals::{RequestApproval, Verdict};
use mission_control::app::jobs::Job;
use mission_control::app::tasks::TransitionTask;
use mission_control::app::Rules;
use mission_control::domain::*;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
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

async fn working_task(s: &Squad, title: &str) -> mission_control::model::Task {
    s.started_task(title, TaskType::CustomerResearch, &s.scout).await
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
    let scout_subject = format!("agent:{}", s.scout.id);
    let scout_open = |pool: PgPool, subject: String| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM alerts WHERE type = 'agent_stale' AND subject = $1 AND NOT resolved")
            .bind(subject)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(
        scout_open(pool.clone(), scout_subject.clone()).await,
        0,
        "the heartbeat resolved it"
    );
    s.clock.advance(Duration::minutes(6));
    for _ in 0..3 {
        run(&s, Job::HeartbeatMonitor).await;
        s.clock.advance(Duration::seconds(30));
    }
    let scout_alerts: Vec<(i32, bool)> =
        sqlx::query_as("SELECT occurrences, resolved FROM alerts WHERE type = 'agent_stale' AND subject = $1 ORDER BY created_at")
            .bind(&scout_subject)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(scout_alerts, vec![(1, true), (1, false)], "silence again alerts again, once");
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
            .record_run(&scout, common::failed_run(s.scout.id, Some(failing.id)))
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
        .record_run(&scout, common::failed_run(s.scout.id, Some(failing.id)))
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

const GROUP: i64 = -1061;

/// The fake Bot API with a group bound to the project, and a way to deliver the outbox.
struct Chat {
    tg: FakeBotApi,
    dispatcher: Dispatcher,
}

impl Chat {
    async fn bound(s: &Squad, pool: &PgPool) -> Chat {
        let tg = bound_fake(s, GROUP, ChatKind::Group).await;
        let dispatcher = Dispatcher::new(s.app.clone(), bot(&tg), DispatchOptions::default());
        let chat = Chat { tg, dispatcher };
        chat.deliver(pool).await;
        chat
    }

    /// Delivers every pending row.
    async fn deliver(&self, pool: &PgPool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while count(pool, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").await > 0 {
            assert!(std::time::Instant::now() < deadline, "the outbox is delivered");
            if self.dispatcher.tick().await.unwrap() == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        assert!(self.tg.violations().is_empty(), "{:?}", self.tg.violations());
    }

    fn find(&self, needle: &str) -> Vec<StoredMessage> {
        self.tg
            .bot_messages_in(GROUP, None)
            .into_iter()
            .filter(|m| m.text.as_deref().unwrap_or_default().contains(needle))
            .collect()
    }
}

async fn request(s: &Squad, summary: &str, minutes: u32) -> mission_control::model::Approval {
    s.app
        .request_approval(
            &as_agent(&s.scout),
            RequestApproval {
                agent_id: s.scout.id,
                action_type: "email.send".into(),
                action_summary: summary.into(),
                justification: "We need their reasons".into(),
                expires_in_minutes: Some(minutes),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

async fn approval_status(pool: &PgPool, id: uuid::Uuid) -> String {
    sqlx::query_scalar("SELECT status::text FROM approvals WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The reminder alert of an approval: (resolved, audited as resolved).
async fn reminder(pool: &PgPool, approval: uuid::Uuid) -> Option<(bool, bool)> {
    sqlx::query_as(
        "SELECT a.resolved, EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'alert.resolved' AND e.entity_id = a.id::text)
         FROM alerts a WHERE a.type = 'approval_expiring' AND a.subject = $1",
    )
    .bind(format!("approval:{approval}"))
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn an_approval_expires_exactly_once_after_one_reminder(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let chat = Chat::bound(&s, &pool).await;
    let window = Rules::default().approval_escalate_before_minutes as i64;
    assert!(window >= 15, "the reminder window covers the 15-minute expiry job");
    let approval = request(&s, "Survey 20 churned users", 60).await;
    assert_eq!(approval.status, ApprovalStatus::Pending);
    chat.deliver(&pool).await;
    let posted = chat.find("Survey 20 churned users");
    assert_eq!(posted.len(), 1, "the request is posted");
    let posted = posted[0].clone();

    s.clock.advance(Duration::minutes(60 - window - 1));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded");
    s.clock.advance(Duration::minutes(2));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 1 reminded");
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded", "one reminder");
    assert_eq!(approval_status(&pool, approval.id).await, "escalated");
    assert_eq!(
        reminder(&pool, approval.id).await,
        Some((false, false)),
        "the reminder alert is open"
    );
    chat.deliver(&pool).await;
    assert_eq!(chat.find("expires in").len(), 1, "the reminder reaches the chat");

    s.clock.advance(Duration::minutes(window));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "1 expired, 0 reminded");
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 0 reminded", "expired once");
    assert_eq!(approval_status(&pool, approval.id).await, "expired");
    assert_eq!(
        reminder(&pool, approval.id).await,
        Some((true, true)),
        "expiring resolves the reminder, with its audit event"
    );
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

    // The dispatcher edits the request's own message to say it expired, buttons gone.
    chat.deliver(&pool).await;
    let edited = chat.tg.message(GROUP, posted.message_id).unwrap();
    assert!(edited.edited >= 1, "the request's message is edited");
    let text = edited.text.clone().unwrap_or_default();
    assert!(text.contains("Survey 20 churned users") && text.contains("Expired"), "{text}");
    assert!(edited.buttons().is_empty(), "no buttons on an expired request");
    assert_eq!(chat.find("Survey 20 churned users").len(), 1, "edited, not posted again");
}

#[sqlx::test]
async fn an_escalated_approval_can_still_be_decided_and_its_reminder_closes(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let approval = request(&s, "Post the launch thread", 30).await;
    s.clock.advance(Duration::minutes(15));
    assert_eq!(run(&s, Job::ApprovalExpiry).await, "0 expired, 1 reminded");
    assert_eq!(approval_status(&pool, approval.id).await, "escalated");
    let decided = s.app.decide_approval(&s.cao, approval.id, Verdict::Approve, None).await.unwrap();
    assert_eq!(decided.status, ApprovalStatus::Approved);
    assert_eq!(
        reminder(&pool, approval.id).await,
        Some((true, true)),
        "the decision resolves the reminder, audited"
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'alert_resolved'").await,
        1,
        "the reminder's message is edited to say so"
    );
}

#[sqlx::test]
async fn on_the_fifteen_minute_grid_every_approval_gets_its_reminder(pool: PgPool) {
    let s = squad(pool.clone()).await;
    // One approval expiring at each minute of a quarter hour, the job on :00, :15, :30, :45.
    let mut approvals = Vec::new();
    for minute in 0..15 {
        approvals.push(request(&s, &format!("Survey batch {minute}"), 60).await);
        s.clock.advance(Duration::minutes(1));
    }
    // 10:15 now; the job runs on the grid until every approval expired.
    let mut at = s.app.now();
    for _ in 0..7 {
        s.clock.set(at);
        run(&s, Job::ApprovalExpiry).await;
        at += Duration::minutes(15);
    }
    for approval in &approvals {
        assert_eq!(approval_status(&pool, approval.id).await, "expired", "{}", approval.action_summary);
        let reminded: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'approval.escalated' AND entity_id = $1")
            .bind(approval.id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(reminded, 1, "{} got one reminder before it expired", approval.action_summary);
    }
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

/// Whether the alert of this type and subject was resolved with an alert.resolved audit event.
async fn resolved_with_audit(pool: &PgPool, alert_type: &str, subject: String) -> bool {
    sqlx::query_scalar(
        "SELECT bool_and(a.resolved AND EXISTS (SELECT 1 FROM audit_events e WHERE e.action = 'alert.resolved' AND e.entity_id = a.id::text))
         FROM alerts a WHERE a.type = $1 AND a.subject = $2",
    )
    .bind(alert_type)
    .bind(subject)
    .fetch_one(pool)
    .await
    .unwrap_or(None::<bool>)
    .unwrap_or(false)
}

#[sqlx::test]
async fn every_automatic_alert_resolution_is_audited(pool: PgPool) {
    let s = squad(pool.clone()).await;
    // A heartbeat resolves the stale alert.
    s.clock.advance(Duration::minutes(6));
    run(&s, Job::HeartbeatMonitor).await;
    s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    assert!(resolved_with_audit(&pool, "agent_stale", format!("agent:{}", s.scout.id)).await);

    // Over the cap: paused with a budget_exceeded alert, for Scout and Scribe.
    for agent in [&s.scout, &s.scribe] {
        sqlx::query("UPDATE agents SET today_spend_micros = daily_cap_micros, spend_day = $2 WHERE id = $1")
            .bind(agent.id)
            .bind(s.app.now().date_naive())
            .execute(&pool)
            .await
            .unwrap();
    }
    run(&s, Job::BudgetWatch).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alerts WHERE type = 'budget_exceeded' AND NOT resolved").await,
        2
    );
    // A raised cap resolves Scout's.
    s.app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(5000)), None)
        .await
        .unwrap();
    assert!(resolved_with_audit(&pool, "budget_exceeded", format!("agent:{}", s.scout.id)).await);
    assert!(!resolved_with_audit(&pool, "budget_exceeded", format!("agent:{}", s.scribe.id)).await);
    // A new day resolves Scribe's.
    s.clock.advance(Duration::days(1));
    run(&s, Job::BudgetReset).await;
    assert!(resolved_with_audit(&pool, "budget_exceeded", format!("agent:{}", s.scribe.id)).await);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'alert.resolved'").await,
        count(&pool, "SELECT count(*) FROM alerts WHERE resolved").await,
        "one audit event per resolution"
    );
}

#[sqlx::test]
async fn an_error_streak_set_without_runs_alerts_once_and_quarantines_past_the_limit(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let rules = Rules::default();
    let set_streak = |streak: i32| {
        let pool = pool.clone();
        let id = s.scout.id;
        async move {
            sqlx::query("UPDATE agents SET error_streak = $2 WHERE id = $1")
                .bind(id)
                .bind(streak)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    let alerts = || {
        let pool = pool.clone();
        let subject = format!("agent:{}", s.scout.id);
        async move {
            sqlx::query_as::<_, (i32, String)>(
                "SELECT occurrences, severity::text FROM alerts WHERE type = 'error_streak' AND subject = $1",
            )
            .bind(subject)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    // Keep the agents fresh so the monitor has nothing else to say.
    let beat = || async {
        for agent in [&s.sofie, &s.scout, &s.scribe, &s.pixel] {
            s.app.heartbeat(&as_agent(agent), agent.id).await.unwrap();
        }
    };
    set_streak(rules.error_streak_alert).await;
    beat().await;
    run(&s, Job::HeartbeatMonitor).await;
    assert!(alerts().await.is_empty(), "at the threshold: no alert");
    set_streak(rules.error_streak_alert + 1).await;
    for _ in 0..3 {
        beat().await;
        run(&s, Job::HeartbeatMonitor).await;
    }
    assert_eq!(
        alerts().await,
        vec![(1, "warning".to_string())],
        "above it: one alert, not one per run"
    );
    assert_eq!(s.agent(s.scout.id).await.status, AgentStatus::Active);
    set_streak(rules.error_streak_quarantine + 1).await;
    run(&s, Job::HeartbeatMonitor).await;
    assert_eq!(s.agent(s.scout.id).await.status, AgentStatus::Quarantined);
}

#[sqlx::test]
async fn an_unblocked_loop_is_not_blocked_again_until_new_activity_crosses_a_threshold(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    let t = Rules::default().loops;
    let chatty = working_task(&s, "Chatty task").await;
    for i in 0..=t.max_comments {
        s.app.comment_on_task(&scout, chatty.id, &format!("note {i}"), None).await.unwrap();
    }
    // A lifetime of review cycles past the threshold.
    let reviewed = working_task(&s, "Reviewed too often").await;
    sqlx::query("UPDATE tasks SET review_cycles = $2 WHERE id = $1")
        .bind(reviewed.id)
        .bind(t.max_review_cycles as i32 + 1)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(run(&s, Job::LoopDetector).await, "2 looping tasks blocked");

    // The operator clears them up.
    s.clock.advance(Duration::minutes(1));
    for task in [&chatty, &reviewed] {
        s.move_task(task.id, TaskStatus::InProgress, "requirements clarified").await;
    }
    s.clock.advance(Duration::minutes(1));
    for _ in 0..3 {
        assert_eq!(
            run(&s, Job::LoopDetector).await,
            "0 looping tasks blocked",
            "the findings that blocked them are not found again"
        );
    }
    assert_eq!(s.reload(&chatty).await.status, TaskStatus::InProgress);
    assert_eq!(s.reload(&reviewed).await.status, TaskStatus::InProgress);

    // New activity one below the threshold does not block; past it does.
    for i in 0..t.max_comments {
        s.app.comment_on_task(&scout, chatty.id, &format!("again {i}"), None).await.unwrap();
    }
    assert_eq!(run(&s, Job::LoopDetector).await, "0 looping tasks blocked");
    s.app.comment_on_task(&scout, chatty.id, "one too many", None).await.unwrap();
    assert_eq!(run(&s, Job::LoopDetector).await, "1 looping tasks blocked");
    let chatty = s.reload(&chatty).await;
    assert_eq!(chatty.status, TaskStatus::Blocked);
    assert!(
        chatty.blocked_reason.as_deref().unwrap().contains("21 comments"),
        "{:?}",
        chatty.blocked_reason
    );
}

#[sqlx::test]
async fn runs_left_running_are_closed_as_abandoned_and_cleaned_up(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let now = s.app.now();
    for (job, started, instance) in [
        ("standup", now - Duration::hours(3), "gone:1"),
        ("loop_detector", now - Duration::minutes(5), "alive:2"),
        ("budget_watch", now - Duration::minutes(1), "stopping:3"),
    ] {
        sqlx::query("INSERT INTO job_runs (job, scheduled_for, instance, started_at) VALUES ($1, $2, $3, $2)")
            .bind(job)
            .bind(started)
            .bind(instance)
            .execute(&pool)
            .await
            .unwrap();
    }
    let outcome = |job: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, Option<String>, bool)>(
                "SELECT outcome, detail, finished_at IS NOT NULL FROM job_runs WHERE job = $1",
            )
            .bind(job)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // A scheduler starting closes what a stopped process left behind, not what may still run.
    let settings = mission_control::configuration::Settings::load_from(None, Vec::new()).unwrap();
    let scheduler = mission_control::jobs::Scheduler::start(s.app.clone(), settings.jobs.clone())
        .await
        .unwrap();
    scheduler.shutdown(std::time::Duration::from_secs(5)).await;
    let (status, detail, finished) = outcome("standup").await;
    assert_eq!((status.as_str(), finished), ("failed", true));
    assert!(detail.unwrap().contains("no longer running"));
    assert_eq!(outcome("loop_detector").await.0, "running");
    // The runs of an instance that stops with a job still going.
    assert_eq!(
        s.app
            .abandon_job_runs(Some("stopping:3"), Duration::zero(), "abandoned: still running at shutdown")
            .await
            .unwrap(),
        1
    );
    assert_eq!(outcome("budget_watch").await.0, "failed");
    assert_eq!(outcome("loop_detector").await.0, "running");

    // Cleanup removes runs still running since before its cutoff, and finished ones.
    let cleanup = |cutoff| {
        let app = s.app.clone();
        async move {
            let done = app.cleanup(cutoff, false).await.unwrap();
            let rows = |what: &str| done.iter().find(|c| c.what == what).unwrap().rows;
            (rows("abandoned job runs"), rows("finished job runs"))
        }
    };
    assert_eq!(
        cleanup(now - Duration::minutes(2)).await,
        (1, 0),
        "the run still going since 5 min ago"
    );
    assert_eq!(cleanup(now + Duration::minutes(1)).await, (0, 2), "the two closed as abandoned");
    assert_eq!(count(&pool, "SELECT count(*) FROM job_runs").await, 0);
}

/// The kill switch wakes every waiting agent at once, and their heartbeats are read together
/// (in batches): each still gets its own answer — its stop, its notifications, its tasks —
/// and its stale alert is resolved as its own act; a heartbeat asked for another agent is
/// refused on its own without failing the rest.
#[sqlx::test]
async fn waiting_agents_woken_together_each_get_their_own_answer(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let agents = [&s.sofie, &s.scout, &s.scribe, &s.pixel];
    for agent in agents {
        s.app.heartbeat(&as_agent(agent), agent.id).await.unwrap();
    }
    s.clock.advance(Duration::minutes(6));
    run(&s, Job::HeartbeatMonitor).await;
    let shared = s.task("Shared between Scout and Scribe", TaskType::Docs).await;
    s.app
        .assign_task(&s.operator, shared.id, vec![s.scout.id, s.scribe.id])
        .await
        .unwrap();
    // Read what was told so far: from here on only the pause is news.
    for agent in agents {
        s.app.heartbeat(&as_agent(agent), agent.id).await.unwrap();
    }
    let still_open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM alerts WHERE type = 'agent_stale' AND NOT resolved AND subject = ANY($1)")
            .bind(agents.iter().map(|a| format!("agent:{}", a.id)).collect::<Vec<_>>())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(still_open, 0, "their heartbeats resolved their stale alerts");
    let resolved_by_themselves: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT e.actor_id) FROM audit_events e JOIN alerts a ON a.id::text = e.entity_id
         WHERE e.action = 'alert.resolved' AND a.type = 'agent_stale' AND a.subject = 'agent:' || e.actor_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(resolved_by_themselves, 4, "each stale alert resolved by its own agent");

    let wait = WaitSeconds::new("wait", 30).unwrap();
    let mut waiting = Vec::new();
    for agent in agents {
        let (app, actor, id) = (s.app.clone(), as_agent(agent), agent.id);
        waiting.push(tokio::spawn(async move { app.heartbeat_waiting(&actor, id, wait, None).await }));
    }
    let intruder = {
        let (app, actor, id) = (s.app.clone(), as_agent(&s.scout), s.pixel.id);
        tokio::spawn(async move { app.heartbeat_waiting(&actor, id, wait, None).await })
    };
    while s.app.wakes.waiting_agents() < agents.len() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let err = intruder.await.unwrap().unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
    s.app.pause_squad(&s.cao, s.project.id, Some("kill switch")).await.unwrap();
    for (agent, answer) in agents.iter().zip(waiting) {
        let report = answer.await.unwrap().unwrap();
        assert_eq!(report.agent.id, agent.id);
        assert!(report.stop, "{} told to stop", agent.name);
        assert!(!report.notifications.is_empty(), "{} hears the pause", agent.name);
        assert!(report.notifications.iter().all(|n| n.agent_id == agent.id), "only its own");
        let mine: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT t.id FROM tasks t JOIN task_assignees a ON a.task_id = t.id
             WHERE a.agent_id = $1 AND t.status NOT IN ('done', 'canceled') ORDER BY t.priority, t.number",
        )
        .bind(agent.id)
        .fetch_all(&pool)
        .await
        .unwrap();
        let told: Vec<uuid::Uuid> = report.assigned_tasks.iter().map(|t| t.id).collect();
        assert_eq!(told, mine, "{}'s tasks", agent.name);
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE delivered_at IS NULL AND agent_id = ANY($1)")
        .bind(agents.iter().map(|a| a.id).collect::<Vec<_>>())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "every notification of theirs taken, once");
}

/// A waiting agent whose client hangs up while its heartbeat is being read loses nothing: what
/// the read took for it is undelivered again, for its next heartbeat.
#[sqlx::test]
async fn a_waiter_gone_while_its_heartbeat_is_read_keeps_its_notifications(pool: PgPool) {
    let s = squad(pool.clone()).await;
    s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    let task = s.task("Told while nobody listens", TaskType::CustomerResearch).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    // Hold the agent's row: the batch that reads the waiter's heartbeat waits for it.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE")
        .bind(s.scout.id)
        .execute(&mut *holder)
        .await
        .unwrap();
    let waiting = {
        let (app, actor, id) = (s.app.clone(), as_agent(&s.scout), s.scout.id);
        tokio::spawn(async move { app.heartbeat_waiting(&actor, id, WaitSeconds::new("wait", 30).unwrap(), None).await })
    };
    let blocked = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    while count(&pool, blocked).await == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    waiting.abort();
    let _ = waiting.await;
    holder.commit().await.unwrap();
    // The batch goes on, takes the notification, finds nobody to tell and gives it back.
    while count(&pool, blocked).await > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pending = "SELECT count(*) FROM notifications WHERE delivered_at IS NULL AND kind = 'task_assigned'";
    assert_eq!(count(&pool, pending).await, 1, "the notification was lost");
    let report = s.app.heartbeat(&as_agent(&s.scout), s.scout.id).await.unwrap();
    assert!(report.notifications.iter().any(|n| n.kind == "task_assigned"), "{report:?}");
}
