//! Buttons through the real bot: each click is one use case of the core, so the action, what
//! it answers (the alert it resolves, the confirmation it uses up and closes), their audit
//! events and their notices commit together — one transaction: the rows share their inserting
//! transaction id, `xmin` — and a refused click changes nothing.
//!
//! The buttons are clicked as the fake's users click them, under a message of the chat, with
//! the tokens an alert's or a question's message carries (`App::button`); what the dispatcher
//! delivers is another suite's subject, so none runs here (and outbox rows stay as written).

use crate::common::telegram::{sofie, vic, GROUP};
use crate::common::world::World;
use fake_telegram::FakeUser;
use mission_control::app::tasks::TransitionTask;
use mission_control::domain::*;
use mission_control::model::Alert;
use mission_control::telegram::actions::ButtonAction;
use sqlx::PgPool;
use uuid::Uuid;

/// The shared world with only the bot running (no dispatcher: outbox rows stay as written),
/// and a message in the plain group for buttons to hang under.
struct Clicks {
    w: World,
    message_id: i32,
}

impl std::ops::Deref for Clicks {
    type Target = World;

    fn deref(&self) -> &World {
        &self.w
    }
}

impl Clicks {
    async fn start(pool: PgPool) -> Clicks {
        let mut w = World::build(pool).idle().start().await;
        w.start_bot();
        let message_id = w.tg.user_message(GROUP, &sofie(), "the alert", None);
        Clicks { w, message_id }
    }

    /// `user` clicks a button doing `action`; the toast that answered.
    async fn click(&self, user: &FakeUser, action: ButtonAction) -> String {
        let token = mission_control::telegram::actions::store(&self.s.app, &action, Some(GROUP))
            .await
            .unwrap();
        self.click_token(user, &token).await
    }

    /// `user` clicks the button whose `callback_data` is `token`; the toast that answered.
    async fn click_token(&self, user: &FakeUser, token: &str) -> String {
        let id = self.tg.click(GROUP, user, self.message_id, token);
        self.toast(&id).await
    }

    async fn resolved(&self, alert: &Alert) -> bool {
        self.s.app.get_alert(&self.s.cao, alert.id).await.unwrap().resolved
    }

    /// The audit events written about `entities` after event `after`: their actions, and how
    /// many transactions wrote them.
    async fn audited_since(&self, after: i64, entities: &[Uuid]) -> (Vec<String>, i64) {
        let ids: Vec<String> = entities.iter().map(Uuid::to_string).collect();
        sqlx::query_as(
            "SELECT coalesce(array_agg(action ORDER BY id), '{}'), count(DISTINCT xmin::text)
             FROM audit_events WHERE id > $1 AND entity_id = ANY($2)",
        )
        .bind(after)
        .bind(&ids)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    async fn last_audit_id(&self) -> i64 {
        crate::common::count(&self.pool, "SELECT coalesce(max(id), 0) FROM audit_events").await
    }

    async fn stop(self) {
        self.w.stop().await;
    }
}

#[sqlx::test]
async fn raising_a_cap_from_its_alert_resolves_the_alert_in_the_same_transaction(pool: PgPool) {
    let w = Clicks::start(pool).await;
    let scout = w.s.scout.clone();
    // An agent still active (so the new cap does not resolve the alert by resuming it): only
    // the click's own use case resolves it.
    let alert = w.raise("budget_exceeded", format!("agent:{}", scout.id), "for the buttons").await;
    // Raised by hand, without a daily budget's details: the amount is decided at the click.
    let raise = ButtonAction::RaiseCap {
        alert_id: alert.id,
        agent_id: scout.id,
        by: None,
    };

    // A viewer's click is refused and changes nothing: neither the cap nor the alert.
    let after = w.last_audit_id().await;
    let toast = w.click(&vic(), raise.clone()).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert!(!w.resolved(&alert).await);
    assert_eq!(w.s.agent(scout.id).await.budgets.daily_cap, scout.budgets.daily_cap);
    assert_eq!(w.audited_since(after, &[scout.id, alert.id]).await, (vec![], 0));

    let toast = w.click(&sofie(), raise).await;
    let raised = w.s.agent(scout.id).await.budgets.daily_cap;
    assert!(raised > scout.budgets.daily_cap, "{raised}");
    assert!(toast.contains(&format!("daily cap raised to {raised}")), "{toast}");
    assert!(w.resolved(&alert).await, "the alert is resolved with the raise");
    // One event each, written by one transaction: the raise and the resolution commit together.
    let expected = (vec!["agent.budget_set".to_string(), "alert.resolved".into()], 1);
    assert_eq!(w.audited_since(after, &[scout.id, alert.id]).await, expected);
    w.stop().await;
}

#[sqlx::test]
async fn a_loop_alerts_buttons_move_the_task_and_resolve_the_alert_together(pool: PgPool) {
    let w = Clicks::start(pool).await;
    for to in [TaskStatus::Assigned, TaskStatus::Canceled] {
        let task = w.s.started_task(&format!("Looping until {to}"), TaskType::Docs, &w.s.scribe).await;
        let block = TransitionTask {
            to: Some(TaskStatus::Blocked),
            reason: Some("waiting for legal".into()),
            ..Default::default()
        };
        w.s.app.transition_task(&w.s.operator, task.id, block).await.unwrap();
        let alert = w.raise("loop_detected", format!("task:{}", task.id), "for the buttons").await;
        let (alert_id, task_id) = (Some(alert.id), task.id);
        let action = match to {
            TaskStatus::Assigned => ButtonAction::UnblockTask { alert_id, task_id },
            _ => ButtonAction::CancelTask { alert_id, task_id },
        };
        let after = w.last_audit_id().await;
        let toast = w.click(&sofie(), action).await;
        assert!(toast.contains(&format!("#{} is", task.number)), "{to}: {toast}");
        assert_eq!(w.s.reload(&task).await.status, to);
        assert!(w.resolved(&alert).await, "{to}");
        let expected = (vec!["task.transitioned".to_string(), "alert.resolved".into()], 1);
        assert_eq!(w.audited_since(after, &[task.id, alert.id]).await, expected, "{to}");
    }
    w.stop().await;
}

#[sqlx::test]
async fn a_confirmation_is_claimed_acted_on_and_closed_in_one_transaction(pool: PgPool) {
    let w = Clicks::start(pool).await;
    let project_id = w.s.project.id;
    let token = mission_control::telegram::actions::store(&w.s.app, &ButtonAction::ConfirmPauseSquad { project_id }, Some(GROUP))
        .await
        .unwrap();
    let used = || async {
        sqlx::query_scalar::<_, bool>("SELECT used_at IS NOT NULL FROM callback_actions WHERE token = $1")
            .bind(&token)
            .fetch_one(&w.pool)
            .await
            .unwrap()
    };

    // A viewer may not confirm: the button stays unused, for someone who may.
    let toast = w.click_token(&vic(), &token).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert!(!used().await);

    assert_eq!(w.click_token(&sofie(), &token).await, "⏸ Squad paused");
    assert!(used().await);
    assert_eq!(w.click_token(&sofie(), &token).await, "Already done.", "one-shot");
    // The claim, the pause (its audit event and notice) and the question's edit: one transaction.
    let (rows, transactions): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT x) FROM (
             SELECT xmin::text AS x FROM callback_actions WHERE token = $1
             UNION ALL SELECT xmin::text FROM audit_events WHERE action = 'squad.paused'
             UNION ALL SELECT xmin::text FROM outbox WHERE kind IN ('squad_paused', 'edit_reply')
         ) written",
    )
    .bind(&token)
    .fetch_one(&w.pool)
    .await
    .unwrap();
    assert_eq!((rows, transactions), (4, 1));
    w.stop().await;
}
