//! Alerts in the chat's language, end to end: the core raises them (budgets, the heartbeat
//! monitor, error streaks, an operator's own type), the dispatcher renders them from their
//! details for the fake Telegram, and `/lang` (through the bot) picks the language.

use crate::common;

use common::telegram::{sofie, GROUP};
use common::world::World;
use common::{alert, as_agent};
use mission_control::app::alerts::RaiseAlert;
use mission_control::domain::*;
use serde_json::json;
use sqlx::PgPool;

/// The squad with the group bound, the bot and the dispatcher running against the fake.
async fn world(pool: PgPool) -> World {
    World::build(pool).bound(GROUP, false).start().await
}

#[sqlx::test]
async fn alerts_speak_the_chats_language_and_custom_ones_keep_their_message(pool: PgPool) {
    let w = world(pool).await;
    let (scout, pixel, scribe) = (w.s.scout.id, w.s.pixel.id, w.s.scribe.id);
    let nova = w.s.app.agent_by_name(&w.s.cao, w.s.project.id, "Nova").await.unwrap().id;

    w.lang(GROUP, "ru", "говорит по-русски").await;
    // The budget: first the warning at 80%, then the cap, both with the real numbers.
    w.overspend(scout).await;
    let exceeded = w
        .shows(GROUP, &["Бюджет исчерпан", "Scout исчерпал(а) дневной бюджет: $2.16 из $2.00"])
        .await;
    assert!(!exceeded.contains("budget_exceeded") && !exceeded.contains("reached"), "{exceeded}");
    w.shows(
        GROUP,
        &["Бюджет на исходе", "Scout потратил(а) 84% дневного бюджета ($1.68 из $2.00)"],
    )
    .await;
    // The heartbeat monitor: Pixel was heard from 7 minutes ago, the others never.
    w.s.app.heartbeat(&as_agent(&w.s.pixel), pixel).await.unwrap();
    w.s.clock.advance(chrono::Duration::minutes(7));
    w.s.app.job_heartbeat_monitor().await.unwrap();
    w.shows(GROUP, &["Агент молчит", "Pixel не отвечает: нет сигнала 7 минут"]).await;
    w.shows(GROUP, &["Scribe не отвечает: ни одного сигнала"]).await;
    // An operator's own alert type has no translation: its message, as written.
    w.s.app
        .raise_alert(
            &w.s.cao,
            w.s.project.id,
            RaiseAlert {
                details: json!({ "agent": "Scout", "todaySpend": 1.0 }),
                ..alert("disk_full", AlertSeverity::Critical, "runner-2".into(), "Disk 95% full on runner-2")
            },
        )
        .await
        .unwrap();
    w.shows(GROUP, &["disk_full", "Disk 95% full on runner-2"]).await;
    // /alerts lists them in the same words (only the list has all of them in one message).
    w.tg.user_message(GROUP, &sofie(), "/alerts", None);
    let list = w
        .shows(
            GROUP,
            &[
                "Бюджет исчерпан",
                "Scout исчерпал(а) дневной бюджет",
                "Агент молчит",
                "Disk 95% full",
            ],
        )
        .await;
    assert!(!list.contains("budget_exceeded") && !list.contains("agent_stale"), "{list}");

    // The same chat in English: English alerts.
    w.lang(GROUP, "en", "speaks English").await;
    w.overspend(nova).await;
    w.shows(GROUP, &["Budget exceeded", "Nova reached its daily budget: $2.16 of $2.00"])
        .await;
    for _ in 0..4 {
        w.run(scribe, 0, RunStatus::Failed).await;
    }
    w.shows(GROUP, &["Error streak", "Scribe has failed 4 runs in a row"]).await;

    // The stored message stays English for the API and the audit.
    let alerts = w.s.open_alerts(Some("budget_exceeded")).await;
    assert!(
        alerts
            .items
            .iter()
            .any(|a| a.message == "Scout reached its daily budget: $2.16 of $2.00"),
        "{:?}",
        alerts.items.iter().map(|a| &a.message).collect::<Vec<_>>()
    );
    w.stop().await;
}

/// The reasons the system gives — a loop that blocked a task, a budget that paused an agent, an
/// error streak, a squad paused without a word — reach a Russian chat in Russian: in the
/// notices, on the task and on the agent. The API keeps the English text.
#[sqlx::test]
async fn system_reasons_speak_the_chats_language(pool: PgPool) {
    let w = world(pool).await;
    w.lang(GROUP, "ru", "говорит по-русски").await;
    let (scout, pixel) = (w.s.scout.clone(), w.s.pixel.clone());
    let task = w.s.started_task("Map the churn reasons", TaskType::CustomerResearch, &pixel).await;
    for _ in 0..5 {
        let run = common::failed_run(pixel.id, Some(task.id));
        w.s.app.record_run(&as_agent(&pixel), run).await.unwrap();
    }
    w.s.app.job_loop_detector().await.unwrap();
    let looped = "Обнаружен цикл: 5 неудачных запусков из последних 5";
    w.shows(GROUP, &["Причина: ", looped]).await;
    let blocked = w.s.reload(&task).await;
    assert_eq!(
        blocked.blocked_reason.as_deref(),
        Some("Loop detected: 5 failed runs among the last 5")
    );
    w.tg.user_message(GROUP, &sofie(), &format!("/task {}", task.number), None);
    w.shows(GROUP, &["Заблокирована: ", looped]).await;
    // The loop alert's Unblock button moves it for a reason the bot words, said in Russian.
    w.shows(GROUP, &["Задача зациклилась"]).await;
    let alert =
        w.tg.bot_messages_in(GROUP, None)
            .into_iter()
            .find(|m| m.text.as_deref().is_some_and(|t| t.contains("Задача зациклилась")))
            .unwrap();
    w.tg.click_button(GROUP, &sofie(), alert.message_id, "▶️ Разблокировать").unwrap();
    w.shows(GROUP, &["Причина: разблокирована из тревоги о цикле"]).await;
    assert_eq!(w.s.reload(&task).await.status, TaskStatus::Assigned);

    // A budget pause, then an error-streak quarantine, each said on the agent's card.
    w.overspend(scout.id).await;
    w.tg.user_message(GROUP, &sofie(), "/agent Scout", None);
    w.shows(GROUP, &["Причина: исчерпан дневной бюджет ($2.16 из $2.00)"]).await;
    for _ in 0..6 {
        w.run(w.s.scribe.id, 0, RunStatus::Failed).await;
    }
    assert_eq!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Quarantined);
    w.tg.user_message(GROUP, &sofie(), "/agent Scribe", None);
    w.shows(GROUP, &["Причина: 6 ошибок подряд"]).await;
    assert_eq!(w.s.agent(w.s.scribe.id).await.status_reason.as_deref(), Some("error streak of 6"));

    // A squad paused with no reason given: the agents' cards say why, and a typed reason
    // given later is shown as typed (no stale system wording left behind).
    w.s.app.pause_squad(&w.s.cao, w.s.project.id, None).await.unwrap();
    w.tg.user_message(GROUP, &sofie(), "/agent Nova", None);
    w.shows(GROUP, &["Nova", "Причина: команда на паузе"]).await;
    w.s.app.resume_squad(&w.s.cao, w.s.project.id).await.unwrap();
    let nova = w.s.app.agent_by_name(&w.s.cao, w.s.project.id, "Nova").await.unwrap();
    w.s.app
        .change_agent_status(&w.s.cao, nova.id, mission_control::app::agents::StatusCommand::Pause, Some("кофе"))
        .await
        .unwrap();
    let nova = w.s.agent(nova.id).await;
    assert_eq!(
        (nova.status_reason.as_deref(), nova.status_reason_said.as_ref()),
        (Some("кофе"), None)
    );
    w.stop().await;
}
