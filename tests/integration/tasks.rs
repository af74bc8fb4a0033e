use crate::common;

use common::*;
use mc_core::pg::Pg;
use mission_control::app::tasks::{CreateTask, TransitionTask};
use mission_control::app::AppError;
use mission_control::domain::TaskStatus::*;
use mission_control::domain::*;
use sqlx::PgPool;

fn to(status: TaskStatus) -> TransitionTask {
    TransitionTask {
        to: Some(status),
        ..Default::default()
    }
}

#[sqlx::test]
async fn a_task_goes_from_inbox_to_done_with_its_rules(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Competitor pricing table", TaskType::CustomerResearch).await;
    assert_eq!(task.status, Inbox);
    assert!(task.number > 0);

    let task = s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    assert_eq!(task.status, Assigned, "assigning an inbox task moves it to assigned");
    assert_eq!(task.assignee_ids, vec![s.scout.id]);

    let scout = as_agent(&s.scout);
    let err = s.app.transition_task(&scout, task.id, to(InProgress)).await.unwrap_err();
    assert!(matches!(err, AppError::IllegalTransition { .. }), "{err}");
    assert!(err.to_string().contains("work plan"), "{err}");

    let started = s
        .app
        .transition_task(
            &scout,
            task.id,
            TransitionTask {
                work_plan: Some(plan()),
                ..to(InProgress)
            },
        )
        .await
        .unwrap();
    assert_eq!(started.task.status, InProgress);
    assert_eq!(started.task.work_plan.len(), 3);
    assert_eq!(s.agent(s.scout.id).await.current_task_id, Some(task.id));

    let err = s.app.transition_task(&scout, task.id, to(Review)).await.unwrap_err();
    assert!(err.to_string().contains("deliverable"), "{err}");
    s.app
        .transition_task(
            &scout,
            task.id,
            TransitionTask {
                deliverable: Some("https://docs/pricing".into()),
                ..to(Review)
            },
        )
        .await
        .unwrap();

    // Review → in_progress counts a review cycle.
    s.app
        .transition_task(
            &s.operator,
            task.id,
            TransitionTask {
                reason: Some("add EU prices".into()),
                ..to(InProgress)
            },
        )
        .await
        .unwrap();
    s.app.transition_task(&scout, task.id, to(Review)).await.unwrap();
    assert_eq!(s.reload(&task).await.review_cycles, 1);

    // Done is human-only.
    let err = s.app.transition_task(&scout, task.id, to(Done)).await.unwrap_err();
    assert!(err.to_string().contains("only a human operator"), "{err}");
    let done = s.app.transition_task(&s.operator, task.id, to(Done)).await.unwrap();
    assert_eq!(done.task.status, Done);
    assert!(done.task.completed_at.is_some());
    assert_eq!(s.agent(s.scout.id).await.current_task_id, None, "finishing frees the agent");

    let timeline = s.app.task_timeline(&s.viewer, task.id).await.unwrap();
    let transitions: Vec<_> = timeline
        .entries
        .iter()
        .filter_map(|e| match e {
            mission_control::app::queries::TimelineEntry::Transition(t) => Some((t.from_status, t.to_status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        transitions,
        vec![
            (Inbox, Assigned),
            (Assigned, InProgress),
            (InProgress, Review),
            (Review, InProgress),
            (InProgress, Review),
            (Review, Done)
        ]
    );
    // Every transition is audited and announced in the task's thread.
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'task.transitioned'").await,
        6
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE kind = 'task_transitioned' AND target = 'task'"
        )
        .await,
        6
    );
}

#[sqlx::test]
async fn an_illegal_transition_is_refused_with_the_allowed_ones_and_changes_nothing(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Tidy the glossary", TaskType::Docs).await;
    let before = fingerprint(&pool).await;
    let err = s.app.transition_task(&s.operator, task.id, to(Done)).await.unwrap_err();
    match &err {
        AppError::IllegalTransition { from, to, allowed, .. } => {
            assert_eq!((*from, *to), (Inbox, Done));
            assert_eq!(allowed, &vec![Assigned, Canceled]);
        }
        other => panic!("expected an illegal transition, got {other}"),
    }
    assert!(err.to_string().contains("allowed from inbox: assigned, canceled"), "{err}");
    let err = s.app.transition_task(&s.operator, task.id, to(Assigned)).await.unwrap_err();
    assert!(err.to_string().contains("at least one assignee"), "{err}");
    assert_eq!(fingerprint(&pool).await, before);
}

#[sqlx::test]
async fn the_same_idempotency_key_returns_the_first_result(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Shortlist podcast guests", TaskType::Social).await;
    let cancel = || TransitionTask {
        reason: Some("duplicate".into()),
        idempotency_key: Some("cancel-loop-123".into()),
        ..to(Canceled)
    };
    let first = s.app.transition_task(&s.operator, task.id, cancel()).await.unwrap();
    assert!(!first.replayed);
    let before = fingerprint(&pool).await;
    let again = s.app.transition_task(&s.operator, task.id, cancel()).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.transition.id, first.transition.id);
    assert_eq!(fingerprint(&pool).await, before, "a replay writes nothing");

    // The same key for another move is a conflict, not a silent no-op.
    let err = s
        .app
        .transition_task(
            &s.operator,
            task.id,
            TransitionTask {
                idempotency_key: Some("cancel-loop-123".into()),
                ..to(Assigned)
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "idempotency_key_reused");

    let err = s
        .app
        .transition_task(
            &s.operator,
            task.id,
            TransitionTask {
                idempotency_key: Some("has spaces".into()),
                ..to(Assigned)
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppError::Validation {
                field: "idempotencyKey",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(fingerprint(&pool).await, before);
}

#[sqlx::test]
async fn twenty_concurrent_transitions_leave_a_consistent_history(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Race me", TaskType::Content).await;
    let task = s.app.assign_task(&s.operator, task.id, vec![s.scribe.id]).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..20 {
        let app = s.app.clone();
        let actor = s.operator.clone();
        let target = [Inbox, Canceled, InProgress, Assigned][i % 4];
        let id = task.id;
        handles.push(tokio::spawn(async move {
            app.transition_task(
                &actor,
                id,
                TransitionTask {
                    to: Some(target),
                    work_plan: Some(plan()),
                    reason: Some(format!("try {i}").into()),
                    ..Default::default()
                },
            )
            .await
        }));
    }
    let mut succeeded = 0;
    for handle in handles {
        match handle.await.unwrap() {
            Ok(_) => succeeded += 1,
            Err(AppError::IllegalTransition { .. }) | Err(AppError::Validation { .. }) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    let history: Vec<(Pg<TaskStatus>, Pg<TaskStatus>)> =
        sqlx::query_as("SELECT from_status, to_status FROM task_transitions WHERE task_id = $1 ORDER BY id")
            .bind(task.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    let history: Vec<(TaskStatus, TaskStatus)> = history.into_iter().map(|(from, to)| (from.0, to.0)).collect();
    // One transition (inbox → assigned) came from assigning; the rest from the race.
    assert_eq!(history.len(), 1 + succeeded);
    for pair in history.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "each transition starts where the previous ended: {history:?}");
    }
    for (from, to) in &history {
        assert!(
            mission_control::domain::task_state::allowed_targets(*from).contains(to),
            "{from} → {to}"
        );
    }
    let final_status = s.reload(&task).await.status;
    assert_eq!(history.last().unwrap().1, final_status);
}

#[sqlx::test]
async fn agents_move_only_their_own_tasks_and_never_cancel(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Tone of voice guide", TaskType::Docs).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scribe.id]).await.unwrap();
    let before = fingerprint(&pool).await;
    let scout = as_agent(&s.scout);
    let err = s
        .app
        .transition_task(
            &scout,
            task.id,
            TransitionTask {
                work_plan: Some(plan()),
                ..to(InProgress)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let scribe = as_agent(&s.scribe);
    let err = s
        .app
        .transition_task(
            &scribe,
            task.id,
            TransitionTask {
                reason: Some("bored".into()),
                ..to(Canceled)
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only a human operator"), "{err}");
    let err = s
        .app
        .transition_task(
            &s.viewer,
            task.id,
            TransitionTask {
                work_plan: Some(plan()),
                ..to(InProgress)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let err = s.app.assign_task(&scribe, task.id, vec![s.scribe.id]).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert_eq!(fingerprint(&pool).await, before);
}

#[sqlx::test]
async fn claiming_takes_the_best_matching_inbox_task(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let scout = as_agent(&s.scout);
    // The seed has customer_research (priority 2) and seo_research (priority 3) tasks.
    let claimed = s.app.claim_task(&scout, s.project.id, None).await.unwrap();
    assert_eq!(claimed.task_type, TaskType::CustomerResearch);
    assert_eq!(claimed.status, Assigned);
    assert_eq!(claimed.assignee_ids, vec![s.scout.id]);

    let docs = s.task("Docs only", TaskType::Docs).await;
    let before = fingerprint(&pool).await;
    let err = s.app.claim_task(&scout, s.project.id, Some(docs.id)).await.unwrap_err();
    assert!(err.to_string().contains("does not take docs tasks"), "{err}");
    let err = s.app.claim_task(&scout, s.project.id, Some(claimed.id)).await.unwrap_err();
    assert_eq!(err.code(), "not_claimable");
    let err = s.app.claim_task(&s.operator, s.project.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    assert_eq!(fingerprint(&pool).await, before);

    s.app.claim_task(&scout, s.project.id, None).await.unwrap();
    let err = s.app.claim_task(&scout, s.project.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }), "nothing left for Scout: {err}");
}

#[sqlx::test]
async fn comments_reach_the_assignees_and_the_thread(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Newsletter intro", TaskType::Content).await;
    s.app
        .assign_task(&s.operator, task.id, vec![s.scribe.id, s.pixel.id])
        .await
        .unwrap();
    let scribe = as_agent(&s.scribe);
    s.app
        .comment_on_task(&s.operator, task.id, "Keep it under 100 words", None)
        .await
        .unwrap();
    s.app.comment_on_task(&scribe, task.id, "Draft is in the doc", None).await.unwrap();

    let report = s.app.heartbeat(&scribe, s.scribe.id).await.unwrap();
    let bodies: Vec<&str> = report.notifications.iter().map(|n| n.body.as_str()).collect();
    assert!(bodies.iter().any(|b| b.contains("Keep it under 100 words")), "{bodies:?}");
    assert!(
        !bodies.iter().any(|b| b.contains("Draft is in the doc")),
        "no echo of one's own comment"
    );
    assert!(
        s.app.heartbeat(&scribe, s.scribe.id).await.unwrap().notifications.is_empty(),
        "delivered once"
    );
    let pixel = s.app.heartbeat(&as_agent(&s.pixel), s.pixel.id).await.unwrap();
    assert!(pixel.notifications.iter().any(|n| n.body.contains("Draft is in the doc")));

    // From Telegram: stored, but not echoed back to the topic it came from.
    s.app
        .comment_on_task(&s.operator, task.id, "from the topic", Some((-100123, 77)))
        .await
        .unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'comment_added'").await, 2);

    let before = fingerprint(&pool).await;
    for bad in ["", "   ", &"x".repeat(10_001)] {
        let err = s.app.comment_on_task(&s.operator, task.id, bad, None).await.unwrap_err();
        assert!(matches!(err, AppError::Validation { field: "body", .. }), "{err}");
    }
    let err = s.app.comment_on_task(&s.viewer, task.id, "viewers read", None).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    assert_eq!(fingerprint(&pool).await, before);
}

#[sqlx::test]
async fn creating_tasks_validates_everything_first(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let before = fingerprint(&pool).await;
    let base = || CreateTask {
        title: "ok".into(),
        description: String::new(),
        task_type: TaskType::Ops,
        priority: None,
        assignee_ids: vec![],
        reviewer_id: None,
        budget_allocated: None,
    };
    let cases: Vec<(CreateTask, &str)> = vec![
        (
            CreateTask {
                title: "   ".into(),
                ..base()
            },
            "title",
        ),
        (
            CreateTask {
                title: "t".repeat(201),
                ..base()
            },
            "title",
        ),
        (
            CreateTask {
                priority: Some(0),
                ..base()
            },
            "priority",
        ),
        (
            CreateTask {
                priority: Some(5),
                ..base()
            },
            "priority",
        ),
        (
            CreateTask {
                description: "d".repeat(10_001),
                ..base()
            },
            "description",
        ),
        (
            CreateTask {
                assignee_ids: vec![uuid::Uuid::new_v4()],
                ..base()
            },
            "agent",
        ),
    ];
    for (input, expected) in cases {
        let err = s.app.create_task(&s.operator, s.project.id, input).await.unwrap_err();
        assert!(err.to_string().contains(expected), "expected '{expected}' in: {err}");
    }
    let err = s.app.create_task(&as_agent(&s.scout), s.project.id, base()).await.unwrap_err();
    assert!(err.to_string().contains("only leads create tasks"), "{err}");
    assert!(TaskType::parse("poetry").unwrap_err().contains("unknown task type 'poetry'"));
    assert_eq!(fingerprint(&pool).await, before);

    // A lead agent may create tasks in its project, numbered on.
    let a = s.app.create_task(&as_agent(&s.sofie), s.project.id, base()).await.unwrap();
    let b = s.app.create_task(&s.operator, s.project.id, base()).await.unwrap();
    assert_eq!(b.number, a.number + 1);
}

/// Scout has `task` assigned and in progress.
async fn scout_started(s: &Squad, title: &str) -> mission_control::model::Task {
    let task = s.task(title, TaskType::CustomerResearch).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scout.id]).await.unwrap();
    s.app
        .transition_task(
            &as_agent(&s.scout),
            task.id,
            TransitionTask {
                work_plan: Some(plan()),
                ..to(InProgress)
            },
        )
        .await
        .unwrap()
        .task
}

#[sqlx::test]
async fn no_agent_finishes_a_task_not_even_by_way_of_needs_approval(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = scout_started(&s, "Survey ten users").await;
    let scout = as_agent(&s.scout);
    s.app
        .transition_task(
            &scout,
            task.id,
            TransitionTask {
                deliverable: Some("https://docs/survey".into()),
                ..to(Review)
            },
        )
        .await
        .unwrap();
    s.app.transition_task(&scout, task.id, to(NeedsApproval)).await.unwrap();
    let before = fingerprint(&pool).await;
    let err = s.app.transition_task(&scout, task.id, to(Done)).await.unwrap_err();
    assert!(err.to_string().contains("only a human operator may move a task to done"), "{err}");
    assert_eq!(fingerprint(&pool).await, before);
    let done = s.app.transition_task(&s.operator, task.id, to(Done)).await.unwrap();
    assert_eq!(done.task.status, Done);
}

#[sqlx::test]
async fn a_used_key_is_replayed_only_to_whoever_may_move_the_task(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Index the FAQ", TaskType::Docs).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scribe.id]).await.unwrap();
    let start = || TransitionTask {
        work_plan: Some(plan()),
        idempotency_key: Some("start-faq".into()),
        ..to(InProgress)
    };
    let first = s.app.transition_task(&s.operator, task.id, start()).await.unwrap();
    assert!(!first.replayed);
    let before = fingerprint(&pool).await;
    for actor in [s.viewer.clone(), as_agent(&s.scout)] {
        let err = s.app.transition_task(&actor, task.id, start()).await.unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{actor:?}: {err}");
    }
    assert_eq!(fingerprint(&pool).await, before, "nothing handed out, nothing written");
    let again = s.app.transition_task(&as_agent(&s.scribe), task.id, start()).await.unwrap();
    assert!(again.replayed, "the assignee may see it");
    assert_eq!(again.transition.id, first.transition.id);

    // An agent that unassigned itself (to inbox) still gets its own answer back on a retry.
    let other = s.task("Fix the footer", TaskType::Docs).await;
    s.app.assign_task(&s.operator, other.id, vec![s.scribe.id]).await.unwrap();
    let back = || TransitionTask {
        reason: Some("not mine".into()),
        idempotency_key: Some("drop-footer".into()),
        ..to(Inbox)
    };
    let scribe = as_agent(&s.scribe);
    let dropped = s.app.transition_task(&scribe, other.id, back()).await.unwrap();
    assert!(dropped.task.assignee_ids.is_empty());
    let retried = s.app.transition_task(&scribe, other.id, back()).await.unwrap();
    assert!(retried.replayed);
    assert_eq!(retried.transition.id, dropped.transition.id);
    let err = s.app.transition_task(&as_agent(&s.pixel), other.id, back()).await.unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
}

#[sqlx::test]
async fn twenty_concurrent_transitions_with_one_key_happen_once(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = s.task("Once only", TaskType::Content).await;
    s.app.assign_task(&s.operator, task.id, vec![s.scribe.id]).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..20 {
        let app = s.app.clone();
        let actor = if i % 2 == 0 { s.operator.clone() } else { as_agent(&s.scribe) };
        let id = task.id;
        handles.push(tokio::spawn(async move {
            app.transition_task(
                &actor,
                id,
                TransitionTask {
                    to: Some(InProgress),
                    work_plan: Some(plan()),
                    idempotency_key: Some("start-once".into()),
                    ..Default::default()
                },
            )
            .await
        }));
    }
    let mut outcomes = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.unwrap().unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| !o.replayed).count(), 1, "exactly one did it");
    let first = outcomes.iter().find(|o| !o.replayed).unwrap().transition.clone();
    for outcome in &outcomes {
        let t = &outcome.transition;
        assert_eq!(
            (t.id, t.from_status, t.to_status, &t.actor_name, t.created_at),
            (first.id, Assigned, InProgress, &first.actor_name, first.created_at)
        );
        assert_eq!(outcome.task.status, InProgress);
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM task_transitions WHERE idempotency_key = 'start-once'").await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_events WHERE action = 'task.transitioned' AND data->>'to' = 'in_progress'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn a_started_task_cannot_be_left_with_nobody_on_it(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let task = scout_started(&s, "Map the churn reasons").await;
    let before = fingerprint(&pool).await;
    let err = s.app.assign_task(&s.operator, task.id, vec![]).await.unwrap_err();
    assert_eq!(err.code(), "assignee_required", "{err}");
    let message = err.to_string();
    assert!(
        message.contains("is in progress") && message.contains("assign someone else") && message.contains("inbox"),
        "{message}"
    );
    assert_eq!(fingerprint(&pool).await, before);
    // Handing it over is fine, and so is unassigning one that has not started.
    let moved = s.app.assign_task(&s.operator, task.id, vec![s.pixel.id]).await.unwrap();
    assert_eq!((moved.status, moved.assignee_ids.clone()), (InProgress, vec![s.pixel.id]));
    let waiting = s.task("Not started", TaskType::Docs).await;
    s.app.assign_task(&s.operator, waiting.id, vec![s.scribe.id]).await.unwrap();
    let unassigned = s.app.assign_task(&s.operator, waiting.id, vec![]).await.unwrap();
    assert_eq!(unassigned.status, Inbox);
}
