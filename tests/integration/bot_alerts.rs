//! Alerts in the chat and the actions under them: budget alerts (raise the cap, keep paused,
//! quarantine), loop and stale alerts, and `/alerts` listing each with its own buttons.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::*;
use fake_telegram::StoredMessage;
use mission_control::domain::*;
use sqlx::PgPool;

#[sqlx::test]
async fn budget_alerts_carry_their_actions(pool: PgPool) {
    let w = World::new(pool).await;
    let binding = w.bind_forum().await;
    // Scout (an intern, $2/day) runs over its cap: paused, alert with buttons.
    for _ in 0..9 {
        let _ = w.s.record(&w.s.scout, run(w.s.scout.id, None, Usd::from_cents(24))).await;
    }
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
    let topic = binding.alerts;
    // Half again of its $2 cap clears the $2.16 spent and a run: the button says by how much.
    let has_raise = |m: &StoredMessage| m.buttons().iter().any(|b| b.text == "💵 Raise by $1.00 and resume");
    w.tg.wait_until(|s| s.bot_messages_in(FORUM, Some(topic)).iter().any(has_raise), WAIT)
        .await
        .unwrap();
    let alert = w.tg.bot_messages_in(FORUM, Some(topic)).into_iter().find(has_raise).unwrap();
    let raise = "💵 Raise by $1.00 and resume";
    // An operator may not raise budgets; the CAO may.
    let click = w.tg.click_button(FORUM, &olga(), alert.message_id, raise).unwrap();
    assert!(w.toast(&click).await.starts_with("Not allowed"));
    let click = w.tg.click_button(FORUM, &sofie(), alert.message_id, raise).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("daily cap raised to $3.00"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(300));
    assert_eq!(scout.status, AgentStatus::Active, "resumed with room under the new cap");
    let open = w.s.open_alerts(Some("budget_exceeded")).await;
    assert_eq!(open.total, 0, "the alert is resolved");

    // Any open alert lists in /alerts with a resolve button.
    w.s.app
        .raise_alert(
            &w.s.operator,
            w.s.project.id,
            common::alert(
                "disk_full",
                AlertSeverity::Warning,
                "runner-1".into(),
                "the runner's disk is 95% full",
            ),
        )
        .await
        .unwrap();
    let open_before = w.s.open_alerts(None).await;
    let list = w
        .ask(&olga(), "/alerts", &format!("Open alerts of OpenClaw ({})", open_before.total))
        .await;
    let line = list
        .text
        .as_deref()
        .unwrap()
        .lines()
        .find(|l| l.contains("disk_full"))
        .unwrap()
        .to_string();
    let n = line.split('.').next().unwrap();
    let click = w.tg.click_button(FORUM, &olga(), list.message_id, &format!("✓ {n}")).unwrap();
    assert_eq!(w.toast(&click).await, "Alert resolved");
    let open = w.s.open_alerts(None).await;
    assert_eq!(open.total, open_before.total - 1);
    assert!(open.items.iter().all(|a| a.alert_type != "disk_full"));
    w.stop().await;
}

impl World {
    /// The alert message containing `needle` in the Alerts topic, with its buttons.
    async fn alert_card(&self, topic: i32, needle: &str, label: &str) -> StoredMessage {
        let found =
            |m: &StoredMessage| m.buttons().iter().any(|b| b.text == label) && m.text.as_deref().is_some_and(|t| t.contains(needle));
        self.tg
            .wait_until(|s| s.bot_messages_in(FORUM, Some(topic)).iter().any(found), WAIT)
            .await
            .unwrap_or_else(|e| panic!("no alert {needle:?}: {e}\n{:#?}", texts(&self.tg, FORUM, None)));
        self.tg.bot_messages_in(FORUM, Some(topic)).into_iter().find(found).unwrap()
    }

    /// Clicks `label` under the alert and waits for its toast; then the alert is resolved and
    /// its message edited to say so, without buttons.
    async fn click_alert(&self, alert: &mission_control::model::Alert, card: &StoredMessage, label: &str) -> String {
        let click = self.tg.click_button(FORUM, &olga(), card.message_id, label).unwrap();
        let toast = self.toast(&click).await;
        let resolved = self.s.app.get_alert(&self.s.cao, alert.id).await.unwrap();
        assert!(resolved.resolved, "{label}: the alert is resolved ({toast})");
        self.tg
            .wait_until(
                |s| {
                    s.message(FORUM, card.message_id)
                        .is_some_and(|m| m.buttons().is_empty() && m.text.as_deref().is_some_and(|t| t.contains("Resolved by")))
                },
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("{label}: the alert message was not edited: {e}"));
        toast
    }
}

#[sqlx::test]
async fn budget_alerts_keep_paused_or_quarantine_from_their_buttons(pool: PgPool) {
    let w = World::new(pool).await;
    let topic = w.bind_forum().await.alerts;
    w.overspend(w.s.scout.id).await;
    let alert = w.s.open_alerts(Some("budget_exceeded")).await.items.remove(0);
    let card = w.alert_card(topic, "Scout", "⏸ Keep paused").await;
    let toast = w.click_alert(&alert, &card, "⏸ Keep paused").await;
    assert!(toast.contains("Scout stays paused"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Paused);
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(200), "the cap is unchanged");

    let alert = w
        .raise(
            "budget_exceeded",
            format!("agent:{}", w.s.pixel.id),
            "Pixel went over its daily cap",
        )
        .await;
    let card = w.alert_card(topic, "Pixel went over", "🚫 Quarantine").await;
    let toast = w.click_alert(&alert, &card, "🚫 Quarantine").await;
    assert!(toast.contains("Pixel is quarantined"), "{toast}");
    assert_eq!(w.s.agent(w.s.pixel.id).await.status, AgentStatus::Quarantined);
    w.stop().await;
}

/// A daily budget's raise names its amount: half again of the cap, and in any case above what
/// was spent plus a run; a raise that no longer clears the spend keeps the agent paused and the
/// alert open.
#[sqlx::test]
async fn raise_cap_names_its_amount_and_leaves_room_above_what_was_spent_today(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let topic = w.bind_forum().await.alerts;
    let set_spend = |micros: i64| {
        let pool = pool.clone();
        let scout = w.s.scout.id;
        async move {
            sqlx::query("UPDATE agents SET today_spend_micros = $2 WHERE id = $1")
                .bind(scout)
                .bind(micros)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    // Scout ($2 a day, 25¢ a run) is at $4.76 (a cap lowered under its spend), and one more
    // run takes it to $5: half again of the $2 cap would not do.
    set_spend(4_760_000).await;
    w.run(w.s.scout.id, 24, RunStatus::Succeeded).await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
    let label = "💵 Raise by $3.25 and resume";
    let card = w.alert_card(topic, "Scout", label).await;
    // Spent since (a run in flight when it was paused): the raise no longer clears it.
    set_spend(6_000_000).await;
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, label).unwrap();
    let toast = w.toast(&click).await;
    assert!(
        toast.contains("daily cap raised to $5.25, still paused: it has spent $6.00 today"),
        "{toast}"
    );
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!((scout.budgets.daily_cap, scout.status), (Usd::from_cents(525), AgentStatus::Paused));
    assert_eq!(w.s.open_alerts(Some("budget_exceeded")).await.total, 1, "the alert stays open");
    // Its buttons are still there: the same amount again clears it.
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, label).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("daily cap raised to $8.50"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Active, "resumed: the new cap is above today's spend");
    assert_eq!(w.s.open_alerts(Some("budget_exceeded")).await.total, 0);
    w.tg.wait_until(|s| s.message(FORUM, card.message_id).is_some_and(|m| m.buttons().is_empty()), WAIT)
        .await
        .unwrap();
    w.stop().await;
}

/// A task of Scribe's, in progress and then blocked.
async fn blocked_task(w: &World, title: &str) -> mission_control::model::Task {
    let task = w.s.task(title, TaskType::Docs).await;
    w.s.app.assign_task(&w.s.operator, task.id, vec![w.s.scribe.id]).await.unwrap();
    for (to, reason) in [(TaskStatus::InProgress, None), (TaskStatus::Blocked, Some("waiting for legal"))] {
        w.s.app
            .transition_task(
                &w.s.operator,
                task.id,
                mission_control::app::tasks::TransitionTask {
                    to: Some(to),
                    reason: reason.map(Into::into),
                    work_plan: Some(common::plan()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    w.s.reload(&task).await
}

#[sqlx::test]
async fn loop_and_stale_alerts_act_from_their_buttons(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let topic = w.bind_forum().await.alerts;

    // Loop alerts: unblock, reassign, cancel.
    let one = blocked_task(&w, "Loop one").await;
    let alert = w.raise("loop_detected", format!("task:{}", one.id), "Task one is looping").await;
    let card = w.alert_card(topic, "Task one is looping", "▶️ Unblock").await;
    w.click_alert(&alert, &card, "▶️ Unblock").await;
    let one = w.s.reload(&one).await;
    assert_eq!(one.status, TaskStatus::Assigned);
    assert_eq!(one.assignee_ids, vec![w.s.scribe.id]);

    let two = blocked_task(&w, "Loop two").await;
    let alert = w.raise("loop_detected", format!("task:{}", two.id), "Task two is looping").await;
    let card = w.alert_card(topic, "Task two is looping", "🔁 Reassign").await;
    let toast = w.click_alert(&alert, &card, "🔁 Reassign").await;
    assert!(toast.contains(&format!("#{} is inbox", two.number)), "{toast}");
    let two = w.s.reload(&two).await;
    assert_eq!(two.status, TaskStatus::Inbox);
    assert!(two.assignee_ids.is_empty());
    // Out of blocked and back to the pool in one commit: one audit transaction, both moves.
    let moves: Vec<(String, String)> =
        sqlx::query_as("SELECT from_status::text, to_status::text FROM task_transitions WHERE task_id = $1 ORDER BY created_at, id")
            .bind(two.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        moves[moves.len() - 2..].to_vec(),
        vec![("blocked".into(), "assigned".into()), ("assigned".into(), "inbox".into())]
    );

    let three = blocked_task(&w, "Loop three").await;
    let alert = w
        .raise("loop_detected", format!("task:{}", three.id), "Task three is looping")
        .await;
    let card = w.alert_card(topic, "Task three is looping", "✖️ Cancel task").await;
    w.click_alert(&alert, &card, "✖️ Cancel task").await;
    assert_eq!(w.s.reload(&three).await.status, TaskStatus::Canceled);

    // Stale agents: restart, quarantine.
    w.s.app
        .change_agent_status(
            &w.s.operator,
            w.s.scribe.id,
            mission_control::app::agents::StatusCommand::Pause,
            None,
        )
        .await
        .unwrap();
    sqlx::query("UPDATE agents SET error_streak = 4 WHERE id = $1")
        .bind(w.s.scribe.id)
        .execute(&pool)
        .await
        .unwrap();
    let alert = w
        .raise("agent_stale", format!("agent:{}", w.s.scribe.id), "Scribe has gone quiet")
        .await;
    let card = w.alert_card(topic, "Scribe has gone quiet", "🔄 Restart").await;
    w.click_alert(&alert, &card, "🔄 Restart").await;
    let scribe = w.s.agent(w.s.scribe.id).await;
    assert_eq!(scribe.status, AgentStatus::Active);
    assert_eq!(scribe.error_streak, 0);

    let alert = w
        .raise("agent_stale", format!("agent:{}", w.s.pixel.id), "Pixel has gone quiet")
        .await;
    let card = w.alert_card(topic, "Pixel has gone quiet", "🚫 Quarantine").await;
    w.click_alert(&alert, &card, "🚫 Quarantine").await;
    assert_eq!(w.s.agent(w.s.pixel.id).await.status, AgentStatus::Quarantined);
    w.stop().await;
}

/// /alerts lists each open alert with the actions its own message carries, numbered as listed,
/// so an alert folded into a digest can still be acted on: Keep paused from the list resolves
/// the budget alert and its message in the Alerts topic follows.
#[sqlx::test]
async fn alerts_listed_by_command_carry_their_own_actions(pool: PgPool) {
    let w = World::new(pool).await;
    let topic = w.bind_forum().await.alerts;
    w.overspend(w.s.scout.id).await;
    let task = w.s.task("Summarize the survey", TaskType::CustomerResearch).await;
    w.raise("loop_detected", format!("task:{}", task.id), "Task is looping: 8 comments")
        .await;
    w.raise("agent_stale", format!("agent:{}", w.s.pixel.id), "Pixel has been silent for 40 min")
        .await;
    w.raise("disk_full", "runner-1".into(), "the runner's disk is 95% full").await;
    let card = w.alert_card(topic, "Scout", "⏸ Keep paused").await;
    let open = w.s.open_alerts(None).await;
    let list = w
        .ask(&olga(), "/alerts", &format!("Open alerts of OpenClaw ({})", open.total))
        .await;
    let number_of = |needle: &str| -> String {
        let line = list
            .text
            .as_deref()
            .unwrap()
            .lines()
            .find(|l| l.contains(needle))
            .unwrap()
            .to_string();
        line.split('.').next().unwrap().trim().to_string()
    };
    let labels: Vec<String> = list.buttons().into_iter().map(|b| b.text).collect();
    let has = |label: String| assert!(labels.contains(&label), "{label} missing: {labels:?}");
    let budget = number_of("Budget exceeded");
    for action in ["💵 Raise by $1.00 and resume", "⏸ Keep paused", "🚫 Quarantine"] {
        has(format!("{budget} · {action}"));
    }
    has(format!("✓ {budget}"));
    let looping = number_of("Loop detected");
    for action in ["▶️ Unblock", "🔁 Reassign"] {
        has(format!("{looping} · {action}"));
    }
    let stale = number_of("Agent silent");
    for action in ["🔄 Restart", "🚫 Quarantine"] {
        has(format!("{stale} · {action}"));
    }
    let disk = number_of("disk_full");
    has(format!("✓ {disk}"));
    assert!(!labels.iter().any(|l| l.starts_with(&format!("{disk} · "))), "{labels:?}");

    // Keep paused, from the list.
    let click =
        w.tg.click_button(FORUM, &olga(), list.message_id, &format!("{budget} · ⏸ Keep paused"))
            .unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("Scout stays paused"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Paused);
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(200), "the cap is unchanged");
    let still_open = w.s.open_alerts(None).await;
    assert_eq!(still_open.total, open.total - 1);
    assert!(still_open.items.iter().all(|a| a.alert_type != "budget_exceeded"));
    w.tg.wait_until(
        |s| {
            s.message(FORUM, card.message_id)
                .is_some_and(|m| m.buttons().is_empty() && m.text.as_deref().is_some_and(|t| t.contains("Resolved by")))
        },
        WAIT,
    )
    .await
    .unwrap();
    w.stop().await;
}
