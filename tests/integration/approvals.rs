use crate::common;

use common::*;
use mc_core::pg::Pg;
use mission_control::app::approvals::{RequestApproval, Verdict};
use mission_control::app::AppError;
use mission_control::domain::*;
use sqlx::PgPool;

#[sqlx::test]
async fn policy_decides_by_risk_and_role(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    let pixel = as_agent(&s.pixel);
    let green = s
        .app
        .request_approval(&scout, request(&s.scout, "web_search", "search for forums"))
        .await
        .unwrap();
    assert_eq!((green.risk, green.status), (RiskLevel::Green, ApprovalStatus::Approved));
    assert_eq!(green.decided_by_name.as_deref(), Some("policy"));

    let yellow_intern = s
        .app
        .request_approval(&scout, request(&s.scout, "file.write", "save notes"))
        .await
        .unwrap();
    assert_eq!(
        (yellow_intern.risk, yellow_intern.status),
        (RiskLevel::Yellow, ApprovalStatus::Pending)
    );
    let yellow_specialist = s
        .app
        .request_approval(&pixel, request(&s.pixel, "file.write", "save notes"))
        .await
        .unwrap();
    assert_eq!(yellow_specialist.status, ApprovalStatus::Approved);

    let red = s
        .app
        .request_approval(&pixel, request(&s.pixel, "email.send", "mail 500 customers"))
        .await
        .unwrap();
    assert_eq!((red.risk, red.status), (RiskLevel::Red, ApprovalStatus::Pending));
    let secret = s
        .app
        .request_approval(&pixel, request(&s.pixel, "file.write", "write API_KEY=abc to .env"))
        .await
        .unwrap();
    assert_eq!((secret.risk, secret.status), (RiskLevel::Red, ApprovalStatus::Pending));
    // Claiming a lower risk does not lower it.
    let claimed = s
        .app
        .request_approval(
            &pixel,
            RequestApproval {
                risk_level: Some(RiskLevel::Green),
                ..request(&s.pixel, "deploy", "ship it")
            },
        )
        .await
        .unwrap();
    assert_eq!(claimed.risk, RiskLevel::Red);
    assert_eq!(claimed.number, red.number + 2);

    // Pending requests are posted to the Approvals topic; policy decisions are not.
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE kind = 'approval_requested' AND target = 'approvals'"
        )
        .await,
        4
    );

    // A paused agent is denied everything, and the denial is recorded.
    s.app
        .change_agent_status(&s.operator, s.scout.id, mission_control::app::agents::StatusCommand::Pause, None)
        .await
        .unwrap();
    let denied = s
        .app
        .request_approval(&scout, request(&s.scout, "read", "read a page"))
        .await
        .unwrap();
    assert_eq!(denied.status, ApprovalStatus::Denied);
    assert_eq!(denied.decision_note.as_deref(), Some("the agent is paused"));
}

#[sqlx::test]
async fn only_the_cao_decides_and_no_agent_approves_its_own_request(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let pixel = as_agent(&s.pixel);
    let red = s
        .app
        .request_approval(&pixel, request(&s.pixel, "payment", "buy a domain"))
        .await
        .unwrap();
    let before = fingerprint(&pool).await;
    for actor in [pixel.clone(), as_agent(&s.sofie), s.operator.clone(), s.viewer.clone()] {
        let err = s
            .app
            .decide_approval(&actor, red.id, Verdict::Approve, Some("ok"))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{actor:?}: {err}");
    }
    let err = s.app.decide_approval(&s.cao, red.id, Verdict::Deny, None).await.unwrap_err();
    assert!(err.to_string().contains("a deny needs a reason"), "{err}");
    let err = s.app.decide_approval(&s.cao, red.id, Verdict::Deny, Some("   ")).await.unwrap_err();
    assert!(matches!(err, AppError::Validation { .. }));
    let err = s
        .app
        .request_approval(&pixel, request(&s.scout, "read", "as someone else"))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    for (action, summary) in [("", "x"), ("Has Spaces", "x"), ("read", ""), ("read", &"s".repeat(2001))] {
        let err = s
            .app
            .request_approval(&pixel, request(&s.pixel, action, summary))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Validation { .. }), "{action}/{summary}: {err}");
    }
    assert_eq!(fingerprint(&pool).await, before);

    let denied = s
        .app
        .decide_approval(&s.cao, red.id, Verdict::Deny, Some("use the company card"))
        .await
        .unwrap();
    assert_eq!(denied.status, ApprovalStatus::Denied);
    assert_eq!(denied.decision_note.as_deref(), Some("use the company card"));
    let hb = s.app.heartbeat(&pixel, s.pixel.id).await.unwrap();
    let note = hb
        .notifications
        .iter()
        .find(|n| n.kind == "approval_decided")
        .expect("the agent hears of it");
    assert!(note.body.contains("denied by Sofie (human): use the company card"), "{}", note.body);
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'approval_decided'").await, 1);
}

#[sqlx::test]
async fn fifty_concurrent_decisions_leave_exactly_one(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let red = s
        .app
        .request_approval(&as_agent(&s.pixel), request(&s.pixel, "deploy", "release 1.2"))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..50 {
        let app = s.app.clone();
        let cao = s.cao.clone();
        let verdict = if i % 2 == 0 { Verdict::Approve } else { Verdict::Deny };
        handles.push(tokio::spawn(async move {
            app.decide_approval(&cao, red.id, verdict, Some(&format!("click {i}"))).await
        }));
    }
    let (mut won, mut told) = (0, 0);
    for handle in handles {
        match handle.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::AlreadyDecided { decided_by, .. }) => {
                assert_eq!(decided_by, "Sofie (human)");
                told += 1;
            }
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((won, told), (1, 49));
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_events WHERE action IN ('approval.approved', 'approval.denied')"
        )
        .await,
        1
    );
    let err = s.app.decide_approval(&s.cao, red.id, Verdict::Approve, None).await.unwrap_err();
    assert!(err.to_string().contains("was already"), "{err}");
    assert!(err.to_string().contains("by Sofie (human)"), "{err}");
}

#[sqlx::test]
async fn stale_approvals_expire_once(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let short = s
        .app
        .request_approval(
            &as_agent(&s.pixel),
            RequestApproval {
                expires_in_minutes: Some(5),
                ..request(&s.pixel, "deploy", "ship")
            },
        )
        .await
        .unwrap();
    let long = s
        .app
        .request_approval(&as_agent(&s.pixel), request(&s.pixel, "deploy", "ship later"))
        .await
        .unwrap();
    assert!(s.app.expire_approvals().await.unwrap().is_empty());
    s.clock.advance(chrono::Duration::minutes(6));
    let err = s.app.decide_approval(&s.cao, short.id, Verdict::Approve, None).await.unwrap_err();
    assert_eq!(err.code(), "approval_expired");
    let expired = s.app.expire_approvals().await.unwrap();
    assert_eq!(expired.iter().map(|a| a.id).collect::<Vec<_>>(), vec![short.id]);
    assert_eq!(expired[0].status, ApprovalStatus::Expired);
    assert!(s.app.expire_approvals().await.unwrap().is_empty(), "expired exactly once");
    assert_eq!(
        s.app.get_approval(&s.viewer, long.id).await.unwrap().status,
        ApprovalStatus::Pending
    );
}

#[sqlx::test]
async fn approvals_expire_one_by_one_and_a_bad_one_stops_no_other(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let pixel = as_agent(&s.pixel);
    let mut ids = Vec::new();
    for summary in ["ship a", "ship b", "ship c"] {
        let approval = s
            .app
            .request_approval(
                &pixel,
                RequestApproval {
                    expires_in_minutes: Some(5),
                    ..request(&s.pixel, "deploy", summary)
                },
            )
            .await
            .unwrap();
        ids.push(approval.id);
    }
    // The middle one cannot be expired (a row the database refuses to change).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.id = '{}' AND NEW.status = 'expired' THEN RAISE EXCEPTION 'this row is broken'; END IF;
             RETURN NEW;
         END $$",
        ids[1]
    )))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TRIGGER refuse_one BEFORE UPDATE ON approvals FOR EACH ROW EXECUTE FUNCTION refuse_one()")
        .execute(&pool)
        .await
        .unwrap();
    s.clock.advance(chrono::Duration::minutes(6));
    let expired = s.app.expire_approvals().await.unwrap();
    let mut got: Vec<_> = expired.iter().map(|a| a.id).collect();
    got.sort();
    let mut want = vec![ids[0], ids[2]];
    want.sort();
    assert_eq!(got, want, "the two others expired");
    let status = |id| {
        let app = s.app.clone();
        let viewer = s.viewer.clone();
        async move { app.get_approval(&viewer, id).await.unwrap().status }
    };
    assert_eq!(status(ids[1]).await, ApprovalStatus::Pending, "left for the next run");
    assert_eq!(status(ids[2]).await, ApprovalStatus::Expired);
    // Fixed, the next run expires it.
    sqlx::query("DROP TRIGGER refuse_one ON approvals").execute(&pool).await.unwrap();
    let expired = s.app.expire_approvals().await.unwrap();
    assert_eq!(expired.iter().map(|a| a.id).collect::<Vec<_>>(), vec![ids[1]]);
}

#[sqlx::test]
async fn an_agent_sees_only_its_own_approvals_in_a_tasks_timeline(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.started_task("Launch email", TaskType::Content, &s.scribe).await;
    for agent in [&s.scribe, &s.pixel] {
        s.app
            .request_approval(
                &as_agent(agent),
                RequestApproval {
                    task_id: Some(task.id),
                    ..request(agent, "email.send", "send it")
                },
            )
            .await
            .unwrap();
    }
    let approvals_seen_by = |actor: Actor| {
        let app = s.app.clone();
        async move {
            app.task_timeline(&actor, task.id)
                .await
                .unwrap()
                .entries
                .iter()
                .filter_map(|e| match e {
                    mission_control::app::queries::TimelineEntry::Approval(a) => Some(a.agent_id),
                    _ => None,
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(approvals_seen_by(as_agent(&s.scribe)).await, vec![s.scribe.id]);
    assert_eq!(approvals_seen_by(as_agent(&s.pixel)).await, vec![s.pixel.id]);
    assert_eq!(approvals_seen_by(s.viewer.clone()).await.len(), 2, "operators see them all");
}

/// Scout at work on a task, with a pending RED request for it, then held at its daily cap:
/// the runbook's budget incident. Returns the task and the request.
async fn held_at_the_cap(s: &Squad) -> (mission_control::model::Task, mission_control::model::Approval) {
    let scout = as_agent(&s.scout);
    let task = s
        .started_task("Interview churned users", TaskType::CustomerResearch, &s.scout)
        .await;
    let approval = s.ask_about(&s.scout, &task, "email 20 churned users").await.unwrap();
    assert_eq!(approval.status, ApprovalStatus::Pending);
    let outcome = s
        .app
        .record_run(&scout, run(s.scout.id, Some(task.id), Usd::from_cents(200)))
        .await
        .unwrap();
    assert!(outcome.task_held);
    (s.reload(&task).await, approval)
}

async fn decision_audit(pool: &PgPool, approval: uuid::Uuid) -> serde_json::Value {
    sqlx::query_scalar("SELECT data FROM audit_events WHERE entity_id = $1 AND action LIKE 'approval.%' ORDER BY id DESC LIMIT 1")
        .bind(approval.to_string())
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn approving_a_held_task_lets_it_continue_where_it_was(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let (task, approval) = held_at_the_cap(&s).await;
    assert_eq!(task.status, TaskStatus::NeedsApproval);
    // Raise the cap (resumes Scout), then approve: the task goes back to in_progress.
    s.app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(2000)), None)
        .await
        .unwrap();
    s.app
        .decide_approval(&s.cao, approval.id, Verdict::Approve, Some("Approved with increased budget"))
        .await
        .unwrap();
    let task = s.reload(&task).await;
    assert_eq!(task.status, TaskStatus::InProgress);
    let back: (Pg<TaskStatus>, Pg<TaskStatus>, Pg<ActorKind>, String, String) = sqlx::query_as(
        "SELECT from_status, to_status, actor_kind, actor_name, reason FROM task_transitions WHERE task_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(task.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let code = approval.code();
    assert_eq!(
        back,
        (
            Pg(TaskStatus::NeedsApproval),
            Pg(TaskStatus::InProgress),
            Pg(ActorKind::System),
            format!("approval {code}"),
            format!("approval {code} approved: back to in progress")
        )
    );
    assert_eq!(s.agent(s.scout.id).await.current_task_id, Some(task.id));
    let audit = decision_audit(&pool, approval.id).await;
    assert_eq!(audit["task"]["continued"], true, "{audit}");
    assert_eq!(audit["task"]["to"], "in_progress", "{audit}");
}

#[sqlx::test]
async fn an_approved_task_waits_while_its_agent_may_not_act(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let (task, approval) = held_at_the_cap(&s).await;
    // Scout is still paused at its cap: the approval is recorded, the task stays held.
    s.app
        .decide_approval(&s.cao, approval.id, Verdict::Approve, Some("fine"))
        .await
        .unwrap();
    assert_eq!(s.reload(&task).await.status, TaskStatus::NeedsApproval);
    let audit = decision_audit(&pool, approval.id).await;
    assert_eq!(audit["task"]["continued"], false, "{audit}");
    let why = audit["task"]["why"].as_str().unwrap();
    assert!(why.contains("Scout is paused") && why.contains("stays needs_approval"), "{why}");

    // A deny never moves it either, even with Scout free to act again.
    s.app
        .set_budget(&s.cao, s.scout.id, Some(Usd::from_cents(2000)), None)
        .await
        .unwrap();
    let second = s
        .app
        .request_approval(
            &as_agent(&s.scout),
            RequestApproval {
                task_id: Some(task.id),
                ..request(&s.scout, "deploy", "ship the survey")
            },
        )
        .await
        .unwrap();
    s.app
        .decide_approval(&s.cao, second.id, Verdict::Deny, Some("not now"))
        .await
        .unwrap();
    assert_eq!(s.reload(&task).await.status, TaskStatus::NeedsApproval);
}
