//! Alerts in the chat's language, end to end: the core raises them (budgets, the heartbeat
//! monitor, error streaks, an operator's own type), the dispatcher renders them from their
//! details for the fake Telegram, and `/lang` (through the bot) picks the language.

use crate::common;

use common::{as_agent, squad, Squad};
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser};
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::chats::ChatInfo;
use mission_control::app::runs::RecordRun;
use mission_control::configuration::{TelegramMode, TelegramSettings};
use mission_control::domain::*;
use mission_control::telegram::bot;
use mission_control::telegram::make_bot;
use mission_control::telegram::outbox::limiter::Limits;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

const TOKEN: &str = "4343:alert-texts-token";
const GROUP: i64 = -100_700;
const SOFIE: i64 = 2001; // in telegram.admins: CAO
const WAIT: Duration = Duration::from_secs(15);

fn sofie() -> FakeUser {
    FakeUser::new(SOFIE, "Sofie").with_language("en")
}

fn settings(tg: &FakeBotApi) -> TelegramSettings {
    TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        mode: TelegramMode::Polling,
        webhook_url: String::new(),
        webhook_secret: String::new(),
        admins: vec![SOFIE],
        default_lang: "en".into(),
    }
}

struct World {
    s: Squad,
    tg: FakeBotApi,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

/// The squad with its chat bound, the bot and the dispatcher running against the fake.
async fn world(pool: PgPool) -> World {
    let s = squad(pool).await;
    s.app.ensure_admins(&[SOFIE]).await.unwrap();
    let tg = FakeBotApi::start_with(
        TOKEN,
        FakeConfig {
            per_chat_interval: Duration::from_millis(1),
            per_chat_burst: 10_000,
            group_per_minute: 100_000,
            global_per_second: 100_000,
            ..FakeConfig::default()
        },
    )
    .await
    .unwrap();
    tg.add_chat(GROUP, ChatKind::Supergroup { forum: false }, "OpenClaw ops");
    s.app
        .bind_chat(
            &s.cao,
            &ChatInfo {
                chat_id: GROUP,
                title: Some("OpenClaw ops".into()),
                is_forum: false,
            },
            "openclaw",
        )
        .await
        .unwrap();
    let mut w = World {
        s,
        tg,
        stops: Vec::new(),
        tasks: Vec::new(),
    };
    let options = DispatchOptions {
        limits: Limits {
            per_chat_interval: Duration::from_millis(1),
            group_per_minute: 100_000,
            global_per_second: 100_000,
            margin: Duration::ZERO,
        },
        poll_interval: Duration::from_millis(200),
        ..DispatchOptions::default()
    };
    let dispatcher = Dispatcher::new(w.s.app.clone(), make_bot(&settings(&w.tg)).unwrap(), options);
    let stopped = w.stopper();
    w.tasks.push(tokio::spawn(dispatcher.run(async move {
        let _ = stopped.await;
    })));
    let (app, settings) = (w.s.app.clone(), settings(&w.tg));
    let bot = make_bot(&settings).unwrap();
    let stopped = w.stopper();
    w.tasks.push(tokio::spawn(bot::run_polling_with(
        app,
        bot,
        settings,
        Duration::from_secs(1),
        async move {
            let _ = stopped.await;
        },
    )));
    w
}

impl World {
    fn stopper(&mut self) -> oneshot::Receiver<()> {
        let (stop, stopped) = oneshot::channel::<()>();
        self.stops.push(stop);
        stopped
    }

    async fn stop(mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
        for task in self.tasks.drain(..) {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("stops in time")
                .expect("no panic")
                .expect("stops cleanly");
        }
        assert!(self.tg.violations().is_empty(), "Bot API violations: {:#?}", self.tg.violations());
    }

    fn texts(&self) -> Vec<String> {
        self.tg.bot_messages_in(GROUP, None).into_iter().filter_map(|m| m.text).collect()
    }

    /// Waits for a bot message containing every one of `needles`; returns its text.
    async fn shows(&self, needles: &[&str]) -> String {
        let found = |t: &str| needles.iter().all(|n| t.contains(n));
        self.tg
            .wait_until(
                |s| s.bot_messages_in(GROUP, None).iter().any(|m| m.text.as_deref().is_some_and(found)),
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("no message with {needles:?}: {e}\nmessages: {:#?}", self.texts()));
        self.texts().into_iter().rev().find(|t| found(t)).unwrap()
    }

    /// `/lang <code>` through the bot, answered in the new language.
    async fn lang(&self, code: &str, answer: &str) {
        self.tg.user_message(GROUP, &sofie(), &format!("/lang {code}"), None);
        self.shows(&[answer]).await;
    }

    async fn run(&self, agent_id: Uuid, cents: i64, status: RunStatus) {
        let agent = self.s.agent(agent_id).await;
        self.s
            .app
            .record_run(
                &as_agent(&agent),
                RecordRun {
                    agent_id,
                    task_id: None,
                    cost: Usd::from_cents(cents),
                    status,
                    model: None,
                    tokens: None,
                    error: (status == RunStatus::Failed).then(|| "boom".to_string()),
                },
            )
            .await
            .unwrap();
    }

    /// Runs of 24¢ until the agent (an intern, $2 a day) is paused by its budget.
    async fn overspend(&self, agent_id: Uuid) {
        for _ in 0..9 {
            self.run(agent_id, 24, RunStatus::Succeeded).await;
        }
        assert_eq!(self.s.agent(agent_id).await.status, AgentStatus::Paused);
    }
}

#[sqlx::test]
async fn alerts_speak_the_chats_language_and_custom_ones_keep_their_message(pool: PgPool) {
    let w = world(pool).await;
    let (scout, pixel, scribe) = (w.s.scout.id, w.s.pixel.id, w.s.scribe.id);
    let nova = w.s.app.agent_by_name(&w.s.cao, w.s.project.id, "Nova").await.unwrap().id;

    w.lang("ru", "говорит по-русски").await;
    // The budget: first the warning at 80%, then the cap, both with the real numbers.
    w.overspend(scout).await;
    let exceeded = w
        .shows(&["Бюджет исчерпан", "Scout исчерпал(а) дневной бюджет: $2.16 из $2.00"])
        .await;
    assert!(!exceeded.contains("budget_exceeded") && !exceeded.contains("reached"), "{exceeded}");
    w.shows(&["Бюджет на исходе", "Scout потратил(а) 84% дневного бюджета ($1.68 из $2.00)"])
        .await;
    // The heartbeat monitor: Pixel was heard from 7 minutes ago, the others never.
    w.s.app.heartbeat(&as_agent(&w.s.pixel), pixel).await.unwrap();
    w.s.clock.advance(chrono::Duration::minutes(7));
    w.s.app.job_heartbeat_monitor().await.unwrap();
    w.shows(&["Агент молчит", "Pixel не отвечает: нет сигнала 7 минут"]).await;
    w.shows(&["Scribe не отвечает: ни одного сигнала"]).await;
    // An operator's own alert type has no translation: its message, as written.
    w.s.app
        .raise_alert(
            &w.s.cao,
            w.s.project.id,
            RaiseAlert {
                alert_type: "disk_full".into(),
                severity: AlertSeverity::Critical,
                subject: "runner-2".into(),
                message: "Disk 95% full on runner-2".into(),
                details: json!({ "agent": "Scout", "todaySpend": 1.0 }),
            },
        )
        .await
        .unwrap();
    w.shows(&["disk_full", "Disk 95% full on runner-2"]).await;
    // /alerts lists them in the same words (only the list has all of them in one message).
    w.tg.user_message(GROUP, &sofie(), "/alerts", None);
    let list = w
        .shows(&[
            "Бюджет исчерпан",
            "Scout исчерпал(а) дневной бюджет",
            "Агент молчит",
            "Disk 95% full",
        ])
        .await;
    assert!(!list.contains("budget_exceeded") && !list.contains("agent_stale"), "{list}");

    // The same chat in English: English alerts.
    w.lang("en", "speaks English").await;
    w.overspend(nova).await;
    w.shows(&["Budget exceeded", "Nova reached its daily budget: $2.16 of $2.00"]).await;
    for _ in 0..4 {
        w.run(scribe, 0, RunStatus::Failed).await;
    }
    w.shows(&["Error streak", "Scribe has failed 4 runs in a row"]).await;

    // The stored message stays English for the API and the audit.
    let alerts =
        w.s.app
            .list_alerts(
                &w.s.cao,
                w.s.project.id,
                Some(false),
                Some("budget_exceeded".into()),
                None,
                Default::default(),
            )
            .await
            .unwrap();
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
    w.lang("ru", "говорит по-русски").await;
    let (scout, pixel) = (w.s.scout.clone(), w.s.pixel.clone());
    let task = w.s.started_task("Map the churn reasons", TaskType::CustomerResearch, &pixel).await;
    for _ in 0..5 {
        let run = common::failed_run(pixel.id, Some(task.id));
        w.s.app.record_run(&as_agent(&pixel), run).await.unwrap();
    }
    w.s.app.job_loop_detector().await.unwrap();
    let looped = "Обнаружен цикл: 5 неудачных запусков из последних 5";
    w.shows(&["Причина: ", looped]).await;
    let blocked = w.s.reload(&task).await;
    assert_eq!(
        blocked.blocked_reason.as_deref(),
        Some("Loop detected: 5 failed runs among the last 5")
    );
    w.tg.user_message(GROUP, &sofie(), &format!("/task {}", task.number), None);
    w.shows(&["Заблокирована: ", looped]).await;
    // The loop alert's Unblock button moves it for a reason the bot words, said in Russian.
    w.shows(&["Задача зациклилась"]).await;
    let alert =
        w.tg.bot_messages_in(GROUP, None)
            .into_iter()
            .find(|m| m.text.as_deref().is_some_and(|t| t.contains("Задача зациклилась")))
            .unwrap();
    w.tg.click_button(GROUP, &sofie(), alert.message_id, "▶️ Разблокировать").unwrap();
    w.shows(&["Причина: разблокирована из тревоги о цикле"]).await;
    assert_eq!(w.s.reload(&task).await.status, TaskStatus::Assigned);

    // A budget pause, then an error-streak quarantine, each said on the agent's card.
    w.overspend(scout.id).await;
    w.tg.user_message(GROUP, &sofie(), "/agent Scout", None);
    w.shows(&["Причина: исчерпан дневной бюджет ($2.16 из $2.00)"]).await;
    for _ in 0..6 {
        w.run(w.s.scribe.id, 0, RunStatus::Failed).await;
    }
    assert_eq!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Quarantined);
    w.tg.user_message(GROUP, &sofie(), "/agent Scribe", None);
    w.shows(&["Причина: 6 ошибок подряд"]).await;
    assert_eq!(w.s.agent(w.s.scribe.id).await.status_reason.as_deref(), Some("error streak of 6"));

    // A squad paused with no reason given: the agents' cards say why, and a typed reason
    // given later is shown as typed (no stale system wording left behind).
    w.s.app.pause_squad(&w.s.cao, w.s.project.id, None).await.unwrap();
    w.tg.user_message(GROUP, &sofie(), "/agent Nova", None);
    w.shows(&["Nova", "Причина: команда на паузе"]).await;
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
