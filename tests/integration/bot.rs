//! The bot end to end: a fake Telegram (`fake_telegram`), the real outbox dispatcher, the bot
//! with long polling (or the webhook), and the core on a fresh database. Users type commands and
//! press buttons in the fake; the tests look at what the fake shows and what the core holds.

use crate::common;

use common::{as_agent, squad, Squad};
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser, StoredMessage};
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::approvals::RequestApproval;
use mission_control::app::model::Approval;
use mission_control::app::runs::RecordRun;
use mission_control::app::{App, Rules};
use mission_control::configuration::{TelegramMode, TelegramSettings};
use mission_control::domain::*;
use mission_control::telegram::bot;
use mission_control::telegram::make_bot;
use mission_control::telegram::outbox::limiter::Limits;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

const TOKEN: &str = "4242:bot-test-token";
const FORUM: i64 = -100_500;
const GROUP: i64 = -100_600;
const SOFIE: i64 = 1001; // in telegram.admins: CAO
const OLGA: i64 = 1002; // operator
const VIC: i64 = 1003; // viewer
const EVE: i64 = 1666; // nobody
const WAIT: Duration = Duration::from_secs(15);

fn sofie() -> FakeUser {
    FakeUser::new(SOFIE, "Sofie").with_language("en")
}
fn olga() -> FakeUser {
    FakeUser::new(OLGA, "Olga")
}
fn vic() -> FakeUser {
    FakeUser::new(VIC, "Vic")
}
fn eve() -> FakeUser {
    FakeUser::new(EVE, "Eve")
}

/// Telegram's limits would make these tests wait; the limit tests live with the dispatcher.
fn fast_fake() -> FakeConfig {
    FakeConfig {
        per_chat_interval: Duration::from_millis(1),
        per_chat_burst: 10_000,
        group_per_minute: 100_000,
        global_per_second: 100_000,
        ..FakeConfig::default()
    }
}

fn fast_dispatch() -> DispatchOptions {
    DispatchOptions {
        limits: Limits {
            per_chat_interval: Duration::from_millis(1),
            group_per_minute: 100_000,
            global_per_second: 100_000,
            margin: Duration::ZERO,
        },
        poll_interval: Duration::from_millis(200),
        ..DispatchOptions::default()
    }
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

/// The squad, the fake, and the bot and dispatcher running against them.
struct World {
    s: Squad,
    tg: FakeBotApi,
    dispatch: DispatchOptions,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

async fn people(app: &App) {
    app.ensure_admins(&[SOFIE]).await.unwrap();
    let system = Actor::system("test");
    app.grant_role(&system, OLGA, "Olga", OperatorRole::Operator).await.unwrap();
    app.grant_role(&system, VIC, "Vic", OperatorRole::Viewer).await.unwrap();
}

async fn world(pool: PgPool) -> World {
    world_with(pool, fast_fake(), fast_dispatch()).await
}

async fn world_with(pool: PgPool, fake: FakeConfig, dispatch: DispatchOptions) -> World {
    let s = squad(pool).await;
    people(&s.app).await;
    let tg = FakeBotApi::start_with(TOKEN, fake).await.unwrap();
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
    tg.add_chat(GROUP, ChatKind::Supergroup { forum: false }, "Side group");
    let mut w = World {
        s,
        tg,
        dispatch,
        stops: Vec::new(),
        tasks: Vec::new(),
    };
    w.start_dispatcher();
    w.start_bot();
    w
}

impl World {
    fn start_dispatcher(&mut self) {
        let bot = make_bot(&settings(&self.tg)).unwrap();
        let dispatcher = Dispatcher::new(self.s.app.clone(), bot, self.dispatch.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        self.stops.push(stop);
        self.tasks.push(tokio::spawn(dispatcher.run(async move {
            let _ = stopped.await;
        })));
    }

    fn start_bot(&mut self) {
        let settings = settings(&self.tg);
        let bot = make_bot(&settings).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        self.stops.push(stop);
        self.tasks.push(tokio::spawn(bot::run_polling_with(
            self.s.app.clone(),
            bot,
            settings,
            Duration::from_secs(1),
            async move {
                let _ = stopped.await;
            },
        )));
    }

    /// Stops the bot and the dispatcher gracefully; both must return Ok.
    async fn stop(mut self) -> (Squad, FakeBotApi) {
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
        assert!(
            self.tg.unanswered_callbacks().is_empty(),
            "unanswered: {:?}",
            self.tg.unanswered_callbacks()
        );
        (self.s, self.tg)
    }

    fn say(&self, user: &FakeUser, text: &str) -> i32 {
        self.tg.user_message(FORUM, user, text, None)
    }

    /// Waits for a bot message in `chat` containing `needle` and returns the newest such.
    async fn bot_says_in(&self, chat: i64, needle: &str) -> StoredMessage {
        let found = |m: &StoredMessage| m.text.as_deref().is_some_and(|t| t.contains(needle));
        self.tg
            .wait_until(|s| s.bot_messages_in(chat, None).iter().any(found), WAIT)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no bot message with {needle:?} in {chat}: {e}\nmessages: {:#?}",
                    texts(&self.tg, chat)
                )
            });
        self.tg.bot_messages_in(chat, None).into_iter().rev().find(found).unwrap()
    }

    async fn bot_says(&self, needle: &str) -> StoredMessage {
        self.bot_says_in(FORUM, needle).await
    }

    /// Waits for a bot message in `chat` after message `after` containing `needle`.
    async fn answer_after(&self, chat: i64, after: i32, needle: &str) -> StoredMessage {
        let found = |m: &StoredMessage| m.message_id > after && m.text.as_deref().is_some_and(|t| t.contains(needle));
        self.tg
            .wait_until(|s| s.bot_messages_in(chat, None).iter().any(found), WAIT)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no bot message with {needle:?} after {after} in {chat}: {e}\nmessages: {:#?}",
                    texts(&self.tg, chat)
                )
            });
        self.tg.bot_messages_in(chat, None).into_iter().find(found).unwrap()
    }

    /// `user` sends `text` in the forum's general topic; waits for the answer containing `needle`.
    async fn ask(&self, user: &FakeUser, text: &str, needle: &str) -> StoredMessage {
        let sent = self.say(user, text);
        self.answer_after(FORUM, sent, needle).await
    }

    /// The toast that answered callback query `id`.
    async fn toast(&self, id: &str) -> String {
        let answered =
            |c: &fake_telegram::Call| c.method == "answerCallbackQuery" && c.params["callback_query_id"].as_str() == Some(id) && c.ok();
        self.tg
            .wait_until(|s| s.calls().iter().any(answered), WAIT)
            .await
            .unwrap_or_else(|e| panic!("callback {id} not answered: {e}"));
        let call = self.tg.calls().into_iter().find(answered).unwrap();
        call.params["text"].as_str().unwrap_or_default().to_string()
    }

    async fn bind_forum(&self) -> mission_control::storage::chats::Binding {
        self.say(&sofie(), "/bind openclaw");
        let project = self.s.project.id;
        let app = self.s.app.clone();
        let mut binding = None;
        for _ in 0..100 {
            binding = app
                .binding_for_project(project)
                .await
                .unwrap()
                .filter(|b| b.approvals_topic_id.is_some() && b.alerts_topic_id.is_some() && b.standup_topic_id.is_some());
            if binding.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        binding.expect("the forum's topics were created")
    }

    async fn approval(&self, id: Uuid) -> Approval {
        self.s.app.get_approval(&self.s.cao, id).await.unwrap()
    }

    async fn red_request(&self, summary: &str) -> Approval {
        let approval = self
            .s
            .app
            .request_approval(
                &as_agent(&self.s.scout),
                RequestApproval {
                    agent_id: self.s.scout.id,
                    action_type: "email.send".into(),
                    action_summary: summary.into(),
                    justification: "the customer asked for it".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(approval.status, ApprovalStatus::Pending);
        approval
    }
}

fn texts(tg: &FakeBotApi, chat: i64) -> Vec<String> {
    tg.messages_in(chat, None).into_iter().filter_map(|m| m.text).collect()
}

/// Every row of the tables a use case changes; audit events and outbox rows (a refusal writes
/// both) are left out.
async fn state_of(pool: &PgPool) -> String {
    let mut parts = Vec::new();
    for table in [
        "projects",
        "operators",
        "agents",
        "tasks",
        "task_assignees",
        "task_transitions",
        "comments",
        "approvals",
        "runs",
        "alerts",
        "notifications",
        "api_tokens",
        "chat_bindings",
    ] {
        let sql = format!("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t");
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap();
        parts.push(format!("{table}={digest}"));
    }
    parts.join("\n")
}

async fn refusals(pool: &PgPool) -> Vec<Value> {
    sqlx::query_scalar("SELECT data FROM audit_events WHERE action = 'telegram.refused' ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn an_admin_binds_a_forum_and_approvals_are_decided_with_buttons(pool: PgPool) {
    let w = world(pool.clone()).await;
    let binding = w.bind_forum().await;
    let names: Vec<String> = w.tg.topics(FORUM).into_iter().map(|t| t.name).collect();
    assert!(names.len() >= 3, "system topics: {names:?}");

    // An agent's RED request shows up in the Approvals topic with buttons.
    let approval = w.red_request("send the launch email to 3,000 customers").await;
    let approvals_topic = binding.approvals_topic_id.unwrap();
    w.tg.wait_until(
        |s| {
            s.bot_messages_in(FORUM, Some(approvals_topic))
                .iter()
                .any(|m| !m.buttons().is_empty())
        },
        WAIT,
    )
    .await
    .unwrap();
    let card =
        w.tg.bot_messages_in(FORUM, Some(approvals_topic))
            .into_iter()
            .find(|m| !m.buttons().is_empty())
            .unwrap();
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.text).collect();
    assert!(
        labels.iter().any(|l| l.contains("Approve")) && labels.iter().any(|l| l.contains("Deny")),
        "{labels:?}"
    );
    for button in card.buttons() {
        assert!(button.callback_data.unwrap().len() <= 64);
    }
    let approve = labels.iter().find(|l| l.contains("Approve")).unwrap().clone();

    // An outsider's click is refused, audited, and changes nothing.
    let before = state_of(&pool).await;
    let click = w.tg.click_button(FORUM, &eve(), card.message_id, &approve).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("only Mission Control operators"), "{toast}");
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Pending);
    assert_eq!(state_of(&pool).await, before);
    let refused = refusals(&pool).await;
    assert!(
        refused.iter().any(|r| r["attempt"].as_str().unwrap_or_default().contains("button")),
        "{refused:?}"
    );

    // An operator is not the CAO: refused too.
    let click = w.tg.click_button(FORUM, &olga(), card.message_id, &approve).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Pending);

    // The CAO's click approves it.
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, &approve).unwrap();
    assert!(w.toast(&click).await.contains("A1 approved"));
    let decided = w.approval(approval.id).await;
    assert_eq!(decided.status, ApprovalStatus::Approved);
    assert_eq!(decided.decided_by_name.as_deref(), Some("tg:1001"));

    // The dispatcher edits the card: who decided, no buttons.
    w.tg.wait_until(
        |s| {
            s.message(FORUM, card.message_id)
                .is_some_and(|m| m.buttons().is_empty() && m.edited > 0)
        },
        WAIT,
    )
    .await
    .unwrap();
    let edited = w.tg.message(FORUM, card.message_id).unwrap();
    assert!(edited.text.unwrap().contains("tg:1001"));

    // A second click (the old button, e.g. on another device) is told who decided.
    let data = card
        .buttons()
        .into_iter()
        .find(|b| b.text == approve)
        .unwrap()
        .callback_data
        .unwrap();
    let click = w.tg.click(FORUM, &sofie(), card.message_id, &data);
    let toast = w.toast(&click).await;
    assert!(toast.contains("already approved by tg:1001"), "{toast}");
    w.stop().await;
}

#[sqlx::test]
async fn a_deny_asks_for_a_reason_and_stores_it(pool: PgPool) {
    let w = world(pool).await;
    let binding = w.bind_forum().await;
    let topic = binding.approvals_topic_id.unwrap();
    let approval = w.red_request("post the pricing page to production").await;
    w.tg.wait_until(
        |s| s.bot_messages_in(FORUM, Some(topic)).iter().any(|m| !m.buttons().is_empty()),
        WAIT,
    )
    .await
    .unwrap();
    let card =
        w.tg.bot_messages_in(FORUM, Some(topic))
            .into_iter()
            .find(|m| !m.buttons().is_empty())
            .unwrap();
    let deny = card.buttons().into_iter().find(|b| b.text.contains("Deny")).unwrap().text;
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, &deny).unwrap();
    assert!(w.toast(&click).await.contains("reason"));
    let ask = w.bot_says("why deny").await;
    assert_eq!(ask.thread_id, Some(topic), "asked in the topic of the card");
    assert_eq!(
        w.approval(approval.id).await.status,
        ApprovalStatus::Pending,
        "not denied without a reason"
    );

    // Someone else talking in between is not the reason.
    w.tg.user_message(FORUM, &olga(), "hm, are we sure?", Some(topic));
    w.tg.user_message(FORUM, &sofie(), "Not before the legal review", Some(topic));
    w.bot_says("denied").await;
    let denied = w.approval(approval.id).await;
    assert_eq!(denied.status, ApprovalStatus::Denied);
    assert_eq!(denied.decision_note.as_deref(), Some("Not before the legal review"));
    w.tg.wait_until(|s| s.message(FORUM, card.message_id).is_some_and(|m| m.buttons().is_empty()), WAIT)
        .await
        .unwrap();
    w.stop().await;
}

#[sqlx::test]
async fn pause_squad_asks_to_confirm_and_pauses_only_this_project(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.bind_forum().await;
    // Another project with an active agent.
    let cli = Actor::system("test");
    let other =
        w.s.app
            .create_project(
                &cli,
                mission_control::app::projects::CreateProject {
                    slug: "side".into(),
                    name: "Side".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
    let rover =
        w.s.app
            .register_agent(
                &w.s.operator,
                other.id,
                mission_control::app::agents::RegisterAgent {
                    name: "Rover".into(),
                    role: AgentRole::Intern,
                    allowed_task_types: vec![],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: false,
                },
            )
            .await
            .unwrap()
            .agent;

    // A viewer cannot: refused, audited, no confirmation offered.
    let before = state_of(&pool).await;
    let refusal = w.ask(&vic(), "/pause_squad", "can't do that").await;
    assert!(refusal.buttons().is_empty());
    assert!(
        refusal
            .text
            .as_deref()
            .unwrap()
            .contains("your role is viewer, and it needs operator"),
        "{:?}",
        refusal.text
    );
    assert_eq!(state_of(&pool).await, before);
    assert!(refusals(&pool).await.iter().any(|r| r["attempt"] == "/pause_squad"));

    // An operator is asked to confirm; nothing happens before the click.
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    assert!(question.text.as_deref().unwrap().contains("agents"), "{:?}", question.text);
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "⏸ Pause the squad").unwrap();
    assert!(w.toast(&click).await.contains("Squad paused"));
    let agents = w.s.app.list_agents(&w.s.cao, w.s.project.id, Default::default()).await.unwrap();
    assert!(agents.items.len() >= 4);
    for agent in &agents.items {
        assert_ne!(agent.status, AgentStatus::Active, "{} still active", agent.name);
    }
    assert!(w.s.app.project_by_id(w.s.project.id).await.unwrap().squad_paused);
    let rover = w.s.app.get_agent(&w.s.cao, rover.id).await.unwrap();
    assert_eq!(rover.status, AgentStatus::Active, "the other project is untouched");
    // The core's notice says it in the chat (and the bot does not say it twice).
    w.answer_after(FORUM, question.message_id, "Squad paused").await;

    // The confirmation is one-shot.
    let data = question
        .buttons()
        .into_iter()
        .find(|b| b.text == "⏸ Pause the squad")
        .unwrap()
        .callback_data
        .unwrap();
    let again = w.tg.click(FORUM, &olga(), question.message_id, &data);
    assert!(w.toast(&again).await.contains("Already done"));

    w.ask(&olga(), "/resume_squad", "Squad resumed").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    let (_, tg) = w.stop().await;
    let said_paused = texts(&tg, FORUM)
        .iter()
        .filter(|t| t.contains("Squad paused") || t.contains("paused:"))
        .count();
    assert_eq!(said_paused, 1, "{:#?}", texts(&tg, FORUM));
}

#[sqlx::test]
async fn quarantine_scout_confirms_and_is_audited(pool: PgPool) {
    let w = world(pool.clone()).await;
    let question = w
        .ask(&olga(), "/quarantine Scout runaway costs", "Quarantine Scout?")
        .await
        .message_id;
    let click = w.tg.click_button(FORUM, &olga(), question, "🚫 Quarantine Scout").unwrap();
    assert!(w.toast(&click).await.contains("Scout is quarantined"));
    w.answer_after(FORUM, question, "Scout is now quarantined").await;
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Quarantined);
    assert_eq!(scout.status_reason.as_deref(), Some("runaway costs"));
    let audited: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT actor_name, data->>'reason' FROM audit_events WHERE action = 'agent.quarantine' AND entity_id = $1")
            .bind(scout.id.to_string())
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audited, vec![("Olga".to_string(), Some("runaway costs".to_string()))]);
    // Cancel on another confirmation changes nothing.
    let question = w.ask(&olga(), "/quarantine Scribe", "Quarantine Scribe?").await.message_id;
    let click = w.tg.click_button(FORUM, &olga(), question, "Cancel").unwrap();
    assert_eq!(w.toast(&click).await, "Canceled");
    assert_eq!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Active);
    // Only a CAO releases.
    w.ask(&olga(), "/release Scout", "can't do that").await;
    w.ask(&sofie(), "/release Scout", "Scout is now active").await;
    w.stop().await;
}

#[sqlx::test]
async fn bad_arguments_get_usage_and_unknown_names_a_hint(pool: PgPool) {
    let w = world(pool.clone()).await;
    let before = state_of(&pool).await;
    let cases = [
        ("/move 12", "Usage: /move <number> <status> [reason]"),
        ("/move x review", "Usage: /move"),
        ("/agent", "Usage: /agent <name>"),
        ("/budget Scout lots", "Usage: /budget"),
        ("/deny A1", "Usage: /deny"),
        ("/grant someone cao", "Usage: /grant"),
        ("/newtask docs", "Usage: /newtask"),
        ("/bind", "Usage: /bind"),
        ("/lang", "Usage: /lang"),
        ("/assign 3", "Usage: /assign"),
    ];
    for (command, usage) in cases {
        w.ask(&sofie(), command, usage).await;
    }
    let text = w.ask(&sofie(), "/agent Scoutt", "not found").await.text.unwrap();
    assert!(text.contains("'Scoutt'") && text.contains("known: Scout"), "{text}");
    let text = w.ask(&sofie(), "/task 99", "#99").await.text.unwrap();
    assert!(text.contains("/tasks"), "{text}");
    let text = w.ask(&sofie(), "/tasks finished", "“finished”").await.text.unwrap();
    assert!(text.contains("in_progress"), "{text}");
    let text = w.ask(&sofie(), "/newtask poetry A sonnet", "“poetry”").await.text.unwrap();
    assert!(text.contains("customer_research"), "{text}");
    let text = w.ask(&sofie(), "/switch nowhere", "'nowhere'").await.text.unwrap();
    assert!(text.contains("openclaw"), "{text}");
    w.ask(&sofie(), "/approve A9", "A9 not found").await;
    w.ask(&sofie(), "/frobnicate@mission_control_test_bot", "I don't know /frobnicate")
        .await;
    let sent = w.tg.user_message(SOFIE, &sofie(), "/bind openclaw", None);
    w.answer_after(SOFIE, sent, "works in a group").await;
    assert_eq!(state_of(&pool).await, before, "bad arguments change nothing");
    w.stop().await;
}

#[sqlx::test]
async fn outsiders_are_refused_politely_and_nothing_changes(pool: PgPool) {
    let w = world(pool.clone()).await;
    let before = state_of(&pool).await;
    for command in ["/pause_squad", "/quarantine Scout", "/grant 1666 cao", "/status", "/bind openclaw"] {
        let reply = w.ask(&eve(), command, "not an operator").await;
        assert!(reply.text.unwrap().contains("/grant 1666 viewer"), "tells them their id");
    }
    assert_eq!(state_of(&pool).await, before);
    let attempts: Vec<String> = refusals(&pool)
        .await
        .iter()
        .map(|r| r["attempt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(attempts, ["/pause_squad", "/quarantine", "/grant", "/status", "/bind"]);
    let actors: Vec<String> = sqlx::query_scalar("SELECT actor_name FROM audit_events WHERE action = 'telegram.refused'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(actors.iter().all(|a| a.contains("1666")), "{actors:?}");
    // A revoked operator is an outsider again.
    w.ask(&sofie(), "/revoke 1003", "no longer has a role").await;
    w.ask(&vic(), "/status", "not an operator").await;
    w.ask(&sofie(), "/grant 1003 operator", "is now operator").await;
    w.ask(&vic(), "/status", "— status").await;
    w.stop().await;
}

#[sqlx::test]
async fn commands_read_and_change_through_the_core(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.bind_forum().await;
    let created = w
        .ask(&olga(), "/newtask docs Write the onboarding guide", "Created task")
        .await
        .text
        .unwrap();
    let number: i32 = created.split('#').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    w.ask(
        &olga(),
        &format!("/assign {number} Scribe"),
        &format!("#{number} is assigned to Scribe"),
    )
    .await;
    w.ask(
        &olga(),
        &format!("/move {number} inbox back to the pool"),
        &format!("#{number}: assigned → inbox"),
    )
    .await;
    let refused = w.ask(&olga(), &format!("/move {number} done"), "can't go from").await.text.unwrap();
    assert!(refused.contains("inbox") && refused.contains("canceled"), "{refused}");
    let card = w
        .ask(&olga(), &format!("/task {number}"), "Write the onboarding guide")
        .await
        .text
        .unwrap();
    assert!(card.contains("Recently"), "{card}");
    w.ask(&olga(), "/inbox", "Tasks of OpenClaw — inbox").await;

    // Budgets: CAO only; in the ops chat the core's notice is the answer.
    w.ask(&olga(), "/budget Scout 3.50", "can't do that").await;
    w.ask(&sofie(), "/budget Scout 3.50", "$3.50").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.budgets.daily_cap, Usd::from_cents(350));

    // Approvals by code.
    let approval = w.red_request("email the partner list").await;
    w.ask(&olga(), "/approvals", "A1 Scout: email.send").await;
    w.ask(&sofie(), "/approve a1", "A1 approved").await;
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Approved);
    w.ask(&sofie(), "/deny A1 too late", "A1 was already approved by tg:1001").await;

    // Summaries and lists.
    let status = w.ask(&vic(), "/status", "OpenClaw — status").await.text.unwrap();
    assert!(status.contains("Agents:") && status.contains("Spend today"), "{status}");
    let standup = w.ask(&vic(), "/standup", "Standup — OpenClaw").await.text.unwrap();
    for part in ["Completed", "Blocked", "Agents", "Spend today", "Pending approvals", "Next up"] {
        assert!(standup.contains(part), "{part} in {standup}");
    }
    assert!(w
        .ask(&vic(), "/burnrate", "Burn rate — OpenClaw")
        .await
        .text
        .unwrap()
        .contains("Scout"));
    let policy = w.ask(&vic(), "/policy", "Risk policy").await.text.unwrap();
    assert!(policy.contains("email.send") && policy.contains("read"), "{policy}");
    assert!(w.ask(&vic(), "/whoami", "Telegram id").await.text.unwrap().contains("viewer"));
    w.ask(&vic(), "/projects", "openclaw").await;
    assert!(w
        .ask(&vic(), "/help", "Mission Control commands")
        .await
        .text
        .unwrap()
        .contains("/pause_squad"));
    w.ask(&vic(), "/start", "Hello, Vic").await;
    w.ask(&vic(), "/agents", "Agents of OpenClaw").await;
    w.ask(&vic(), "/agent Scout", "Heartbeat").await;
    w.ask(&vic(), "/alerts", "Open alerts").await;
    w.ask(&vic(), "/tasks", "Tasks of OpenClaw — open").await;
    w.stop().await;
}

#[sqlx::test]
async fn long_lists_paginate_with_buttons(pool: PgPool) {
    let w = world(pool.clone()).await;
    for i in 0..23 {
        w.s.task(&format!("Backlog item {i:02}"), TaskType::Docs).await;
    }
    let inbox = common::count(&pool, "SELECT count(*) FROM tasks WHERE status = 'inbox'").await;
    let pages = (inbox + 9) / 10;
    assert!(pages >= 3);
    let mut page = w.ask(&vic(), "/tasks inbox", &format!("Page 1 of {pages} · {inbox} items")).await;
    assert_eq!(page.buttons().len(), 1, "only Next on the first page");
    let mut seen = std::collections::BTreeSet::new();
    for n in 2..=pages {
        seen.extend(
            page.text
                .as_deref()
                .unwrap()
                .lines()
                .filter(|l| l.starts_with('#'))
                .map(str::to_owned),
        );
        let click = w.tg.click_button(FORUM, &vic(), page.message_id, "Next »").unwrap();
        assert_eq!(w.toast(&click).await, "", "a page click needs no toast");
        page = w.answer_after(FORUM, page.message_id, &format!("Page {n} of {pages}")).await;
        let labels: Vec<String> = page.buttons().into_iter().map(|b| b.text).collect();
        if n < pages {
            assert_eq!(labels, ["« Previous", "Next »"]);
        } else {
            assert_eq!(labels, ["« Previous"]);
        }
    }
    seen.extend(
        page.text
            .as_deref()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_owned),
    );
    assert_eq!(seen.len() as i64, inbox, "every task on exactly one page");
    assert!(seen.iter().any(|l| l.contains("Backlog item 22")));
    w.stop().await;
}

#[sqlx::test]
async fn budget_alerts_carry_their_actions(pool: PgPool) {
    let w = world(pool).await;
    let binding = w.bind_forum().await;
    // Scout (an intern, $2/day) runs over its cap: paused, alert with buttons.
    for _ in 0..9 {
        let _ =
            w.s.app
                .record_run(
                    &as_agent(&w.s.scout),
                    RecordRun {
                        agent_id: w.s.scout.id,
                        task_id: None,
                        cost: Usd::from_cents(24),
                        status: RunStatus::Succeeded,
                        model: None,
                        tokens: None,
                        error: None,
                    },
                )
                .await;
    }
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
    let topic = binding.alerts_topic_id.unwrap();
    let has_raise = |m: &StoredMessage| m.buttons().iter().any(|b| b.text.contains("Raise cap"));
    w.tg.wait_until(|s| s.bot_messages_in(FORUM, Some(topic)).iter().any(has_raise), WAIT)
        .await
        .unwrap();
    let alert = w.tg.bot_messages_in(FORUM, Some(topic)).into_iter().find(has_raise).unwrap();
    let raise = alert.buttons().into_iter().find(|b| b.text.contains("Raise cap")).unwrap().text;
    // An operator may not raise budgets; the CAO may.
    let click = w.tg.click_button(FORUM, &olga(), alert.message_id, &raise).unwrap();
    assert!(w.toast(&click).await.starts_with("Not allowed"));
    let click = w.tg.click_button(FORUM, &sofie(), alert.message_id, &raise).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("daily cap raised to $3.00"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(300));
    assert_eq!(scout.status, AgentStatus::Active, "resumed with room under the new cap");
    let open =
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
    assert_eq!(open.total, 0, "the alert is resolved");

    // Any open alert lists in /alerts with a resolve button.
    w.s.app
        .raise_alert(
            &w.s.operator,
            w.s.project.id,
            RaiseAlert {
                alert_type: "disk_full".into(),
                severity: AlertSeverity::Warning,
                subject: "runner-1".into(),
                message: "the runner's disk is 95% full".into(),
                details: json!({}),
            },
        )
        .await
        .unwrap();
    let open_before =
        w.s.app
            .list_alerts(&w.s.cao, w.s.project.id, Some(false), None, None, Default::default())
            .await
            .unwrap();
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
    let open =
        w.s.app
            .list_alerts(&w.s.cao, w.s.project.id, Some(false), None, None, Default::default())
            .await
            .unwrap();
    assert_eq!(open.total, open_before.total - 1);
    assert!(open.items.iter().all(|a| a.alert_type != "disk_full"));
    w.stop().await;
}

#[sqlx::test]
async fn languages_are_per_chat_and_commands_are_registered_per_language(pool: PgPool) {
    let w = world(pool).await;
    w.tg.wait_until(|s| s.my_commands("ru").is_some() && s.my_commands("").is_some(), WAIT)
        .await
        .unwrap();
    let en = w.tg.my_commands("").unwrap();
    let ru = w.tg.my_commands("ru").unwrap();
    assert_eq!(en.as_array().unwrap().len(), bot::COMMANDS.len());
    assert_eq!(ru.as_array().unwrap().len(), bot::COMMANDS.len());
    let describe = |v: &Value, name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["command"] == name)
            .map(|c| c["description"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(describe(&en, "pause_squad"), "Pause every agent of the project");
    assert_eq!(describe(&ru, "pause_squad"), "Приостановить всех агентов проекта");

    w.ask(&sofie(), "/lang ru", "говорит по-русски").await;
    let status = w.ask(&sofie(), "/status", "состояние").await.text.unwrap();
    assert!(status.contains("Агенты: активны"), "{status}");
    w.ask(&sofie(), "/move 1", "Использование: /move").await;
    // The core's own details and hints are said in the chat's language too.
    let hint = w.ask(&sofie(), "/agent Nobody", "не найден").await.text.unwrap();
    assert!(hint.contains("не найден(а) (есть: Nova, "), "{hint}");
    let quarantine = mission_control::app::agents::StatusCommand::Quarantine;
    w.s.app.change_agent_status(&w.s.cao, w.s.pixel.id, quarantine, None).await.unwrap();
    let refused = w.ask(&sofie(), "/resume Pixel", "Сейчас это невозможно").await.text.unwrap();
    let detail = "нельзя возобновить Pixel, пока он в карантине: сначала выпустите его из карантина";
    assert!(refused.contains(detail), "{refused}");
    // The other chat still speaks English.
    let sent = w.tg.user_message(GROUP, &sofie(), "/status", None);
    w.answer_after(GROUP, sent, "— status").await;
    w.ask(&sofie(), "/lang xx", "«xx»").await;
    w.ask(&sofie(), "/lang en", "speaks English").await;
    w.stop().await;
}

#[sqlx::test]
async fn a_duplicated_update_acts_once(pool: PgPool) {
    let w = world(pool.clone()).await;
    let sent = w.say(&olga(), "/newtask docs Exactly once");
    assert!(w.tg.duplicate_last_update().is_some());
    w.answer_after(FORUM, sent, "Created task").await;
    // The redelivery was consumed (nothing pending) and acted not.
    w.tg.wait_until(|s| s.pending_updates() == 0, WAIT).await.unwrap();
    w.ask(&olga(), "/whoami", "Telegram id").await;
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'Exactly once'").await,
        1
    );
    let replies = texts(&w.tg, FORUM).iter().filter(|t| t.contains("Created task")).count();
    assert_eq!(replies, 1);

    // A duplicated click acts once as well and is answered.
    let question = w.ask(&olga(), "/quarantine Pixel", "Quarantine Pixel?").await.message_id;
    let id = w.tg.click_button(FORUM, &olga(), question, "🚫 Quarantine Pixel").unwrap();
    w.tg.duplicate_last_update();
    assert!(w.toast(&id).await.contains("Pixel is quarantined"));
    w.tg.wait_until(|s| s.pending_updates() == 0, WAIT).await.unwrap();
    w.ask(&olga(), "/whoami", "Telegram id").await;
    let quarantines = common::count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'agent.quarantine'").await;
    assert_eq!(quarantines, 1);
    let said = texts(&w.tg, FORUM)
        .iter()
        .filter(|t| t.contains("Pixel is now quarantined"))
        .count();
    assert_eq!(said, 1);
    w.stop().await;
}

/// The bot's first life runs on a runtime of its own, dropped mid-stream like a killed
/// process; a second life must act on every update exactly once.
#[sqlx::test]
async fn a_killed_bot_loses_no_update(pool_options: PgPoolOptions, connect: PgConnectOptions) {
    const N: usize = 40;
    let pool = pool_options
        .clone()
        .max_connections(10)
        .connect_with(connect.clone())
        .await
        .unwrap();
    let s = squad(pool.clone()).await;
    people(&s.app).await;
    let tg = FakeBotApi::start_with(TOKEN, fast_fake()).await.unwrap();
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
    for i in 0..N {
        tg.user_message(FORUM, &olga(), &format!("/newtask docs Crash test {i:02}"), None);
    }
    let created = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(DISTINCT title) FROM tasks WHERE title LIKE 'Crash test%'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    let first_life = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    {
        let settings = settings(&tg);
        let connect = connect.clone();
        let clock = s.clock.clone();
        first_life.spawn(async move {
            let pool = PgPoolOptions::new().max_connections(4).connect_with(connect).await.unwrap();
            let app = App::new(pool, Arc::new(clock), Rules::default());
            let bot = make_bot(&settings).unwrap();
            let _ = bot::run_polling_with(app, bot, settings, Duration::from_secs(1), std::future::pending()).await;
        });
    }
    for _ in 0..300 {
        if created().await >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first_life.shutdown_background();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_kill = created().await;
    assert!((8..N as i64).contains(&at_kill), "killed mid-stream ({at_kill} of {N} done)");

    let settings = settings(&tg);
    let (stop, stopped) = oneshot::channel::<()>();
    let second_life = tokio::spawn(bot::run_polling_with(
        s.app.clone(),
        make_bot(&settings).unwrap(),
        settings,
        Duration::from_secs(1),
        async move {
            let _ = stopped.await;
        },
    ));
    for _ in 0..500 {
        if created().await == N as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    second_life.await.unwrap().unwrap();
    assert_eq!(created().await, N as i64, "every command acted");
    let duplicates: Vec<String> =
        sqlx::query_scalar("SELECT title FROM tasks WHERE title LIKE 'Crash test%' GROUP BY title HAVING count(*) > 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(duplicates.is_empty(), "acted twice: {duplicates:?}");
    assert_eq!(tg.pending_updates(), 0, "every update confirmed after the second life");
}

#[sqlx::test]
async fn the_webhook_checks_its_secret_and_acts_once(pool: PgPool) {
    let s = squad(pool.clone()).await;
    people(&s.app).await;
    let tg = FakeBotApi::start_with(TOKEN, fast_fake()).await.unwrap();
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
    let mut settings = settings(&tg);
    settings.mode = TelegramMode::Webhook;
    settings.webhook_url = "https://mc.example.com/telegram/hook".into();
    settings.webhook_secret = "a-very-secret-webhook-token".into();
    let router = bot::start_webhook(s.app.clone(), make_bot(&settings).unwrap(), settings.clone())
        .await
        .unwrap();
    let registered = tg.calls_to("setWebhook");
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].params["url"], "https://mc.example.com/telegram/hook");
    assert_eq!(registered[0].params["secret_token"], "a-very-secret-webhook-token");
    assert!(tg.my_commands("ru").is_some());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/telegram/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let update = json!({
        "update_id": 777,
        "message": {
            "message_id": 10,
            "date": 1_772_445_600,
            "chat": {"id": FORUM, "type": "supergroup", "title": "OpenClaw ops", "is_forum": true},
            "from": {"id": OLGA, "is_bot": false, "first_name": "Olga"},
            "text": "/newtask docs From the webhook",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
        }
    });
    let client = reqwest::Client::new();
    let post = |secret: Option<&'static str>| {
        let mut req = client.post(&url).json(&update);
        if let Some(secret) = secret {
            req = req.header(bot::SECRET_HEADER, secret);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("wrong-secret-wrong-secret")).await.unwrap().status(), 401);
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'From the webhook'").await,
        0
    );
    assert_eq!(post(Some("a-very-secret-webhook-token")).await.unwrap().status(), 200);
    // Telegram retries (or a second replica receives it again): it acts once.
    assert_eq!(post(Some("a-very-secret-webhook-token")).await.unwrap().status(), 200);
    assert_eq!(
        common::count(&pool, "SELECT count(*) FROM tasks WHERE title = 'From the webhook'").await,
        1
    );
    let replies: Vec<Value> = sqlx::query_scalar("SELECT payload FROM outbox WHERE kind = 'reply' AND chat_id = $1")
        .bind(FORUM)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(replies.len(), 1);
    assert!(replies[0]["text"].as_str().unwrap().contains("Created task"));
    server.abort();
}

/// An alert raised by the CAO, as the watchers would.
async fn raise(w: &World, alert_type: &str, subject: String, message: &str) -> mission_control::app::model::Alert {
    w.s.app
        .raise_alert(
            &w.s.cao,
            w.s.project.id,
            RaiseAlert {
                alert_type: alert_type.into(),
                severity: AlertSeverity::Warning,
                subject,
                message: message.into(),
                details: json!({}),
            },
        )
        .await
        .unwrap()
}

impl World {
    /// The alert message containing `needle` in the Alerts topic, with its buttons.
    async fn alert_card(&self, topic: i32, needle: &str, label: &str) -> StoredMessage {
        let found =
            |m: &StoredMessage| m.buttons().iter().any(|b| b.text == label) && m.text.as_deref().is_some_and(|t| t.contains(needle));
        self.tg
            .wait_until(|s| s.bot_messages_in(FORUM, Some(topic)).iter().any(found), WAIT)
            .await
            .unwrap_or_else(|e| panic!("no alert {needle:?}: {e}\n{:#?}", texts(&self.tg, FORUM)));
        self.tg.bot_messages_in(FORUM, Some(topic)).into_iter().find(found).unwrap()
    }

    /// Clicks `label` under the alert and waits for its toast; then the alert is resolved and
    /// its message edited to say so, without buttons.
    async fn click_alert(&self, alert: &mission_control::app::model::Alert, card: &StoredMessage, label: &str) -> String {
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

/// Scout (an intern, $2/day, 25¢ a run) runs over its cap: paused, with a budget alert.
async fn scout_over_budget(w: &World) {
    for _ in 0..9 {
        let _ =
            w.s.app
                .record_run(
                    &as_agent(&w.s.scout),
                    RecordRun {
                        agent_id: w.s.scout.id,
                        task_id: None,
                        cost: Usd::from_cents(24),
                        status: RunStatus::Succeeded,
                        model: None,
                        tokens: None,
                        error: None,
                    },
                )
                .await;
    }
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
}

#[sqlx::test]
async fn budget_alerts_keep_paused_or_quarantine_from_their_buttons(pool: PgPool) {
    let w = world(pool).await;
    let topic = w.bind_forum().await.alerts_topic_id.unwrap();
    scout_over_budget(&w).await;
    let alert =
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
            .unwrap()
            .items
            .remove(0);
    let card = w.alert_card(topic, "Scout", "⏸ Keep paused").await;
    let toast = w.click_alert(&alert, &card, "⏸ Keep paused").await;
    assert!(toast.contains("Scout stays paused"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Paused);
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(200), "the cap is unchanged");

    let alert = raise(
        &w,
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

#[sqlx::test]
async fn raise_cap_leaves_room_above_what_was_spent_today(pool: PgPool) {
    let w = world(pool.clone()).await;
    let topic = w.bind_forum().await.alerts_topic_id.unwrap();
    scout_over_budget(&w).await;
    // One expensive run took today's spend to $5: half again of the $2 cap would not do.
    sqlx::query("UPDATE agents SET today_spend_micros = 5000000 WHERE id = $1")
        .bind(w.s.scout.id)
        .execute(&pool)
        .await
        .unwrap();
    let card = w.alert_card(topic, "Scout", "💵 Raise cap").await;
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, "💵 Raise cap").unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("daily cap raised to $5.25"), "{toast}");
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.budgets.daily_cap, Usd::from_cents(525));
    assert_eq!(scout.status, AgentStatus::Active, "resumed: the new cap is above today's spend");
    w.tg.wait_until(|s| s.message(FORUM, card.message_id).is_some_and(|m| m.buttons().is_empty()), WAIT)
        .await
        .unwrap();
    w.stop().await;
}

/// A task of Scribe's, in progress and then blocked.
async fn blocked_task(w: &World, title: &str) -> mission_control::app::model::Task {
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
    let w = world(pool.clone()).await;
    let topic = w.bind_forum().await.alerts_topic_id.unwrap();

    // Loop alerts: unblock, reassign, cancel.
    let one = blocked_task(&w, "Loop one").await;
    let alert = raise(&w, "loop_detected", format!("task:{}", one.id), "Task one is looping").await;
    let card = w.alert_card(topic, "Task one is looping", "▶️ Unblock").await;
    w.click_alert(&alert, &card, "▶️ Unblock").await;
    let one = w.s.reload(&one).await;
    assert_eq!(one.status, TaskStatus::Assigned);
    assert_eq!(one.assignee_ids, vec![w.s.scribe.id]);

    let two = blocked_task(&w, "Loop two").await;
    let alert = raise(&w, "loop_detected", format!("task:{}", two.id), "Task two is looping").await;
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
    let alert = raise(&w, "loop_detected", format!("task:{}", three.id), "Task three is looping").await;
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
    let alert = raise(&w, "agent_stale", format!("agent:{}", w.s.scribe.id), "Scribe has gone quiet").await;
    let card = w.alert_card(topic, "Scribe has gone quiet", "🔄 Restart").await;
    w.click_alert(&alert, &card, "🔄 Restart").await;
    let scribe = w.s.agent(w.s.scribe.id).await;
    assert_eq!(scribe.status, AgentStatus::Active);
    assert_eq!(scribe.error_streak, 0);

    let alert = raise(&w, "agent_stale", format!("agent:{}", w.s.pixel.id), "Pixel has gone quiet").await;
    let card = w.alert_card(topic, "Pixel has gone quiet", "🚫 Quarantine").await;
    w.click_alert(&alert, &card, "🚫 Quarantine").await;
    assert_eq!(w.s.agent(w.s.pixel.id).await.status, AgentStatus::Quarantined);
    w.stop().await;
}

#[sqlx::test]
async fn answered_confirmations_say_who_and_lose_their_buttons(pool: PgPool) {
    let w = world(pool).await;
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "⏸ Pause the squad").unwrap();
    assert!(w.toast(&click).await.contains("Squad paused"));
    let edited = |id: i32, needle: &'static str| {
        move |s: &fake_telegram::State| {
            s.message(FORUM, id)
                .is_some_and(|m| m.buttons().is_empty() && m.text.as_deref().is_some_and(|t| t.contains(needle)))
        }
    };
    w.tg.wait_until(edited(question.message_id, "Confirmed by Olga"), WAIT)
        .await
        .unwrap();
    let now = w.tg.message(FORUM, question.message_id).unwrap();
    let text = now.text.unwrap();
    assert!(
        text.contains("Pause the whole squad") && text.contains("2026-03-02 10:00 UTC"),
        "{text}"
    );

    let question = w.ask(&olga(), "/quarantine Scribe", "Quarantine Scribe?").await;
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "Cancel").unwrap();
    assert_eq!(w.toast(&click).await, "Canceled");
    w.tg.wait_until(edited(question.message_id, "Canceled by Olga"), WAIT)
        .await
        .unwrap();
    assert_ne!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Quarantined);

    // A refused confirmation keeps its question open (and its buttons) for someone allowed.
    let question = w.ask(&olga(), "/quarantine Pixel", "Quarantine Pixel?").await;
    let click =
        w.tg.click_button(FORUM, &vic(), question.message_id, "🚫 Quarantine Pixel")
            .unwrap();
    assert!(w.toast(&click).await.starts_with("Not allowed"));
    let click =
        w.tg.click_button(FORUM, &olga(), question.message_id, "🚫 Quarantine Pixel")
            .unwrap();
    assert!(w.toast(&click).await.contains("Pixel is quarantined"));
    w.tg.wait_until(edited(question.message_id, "Confirmed by Olga"), WAIT)
        .await
        .unwrap();
    w.stop().await;
}

/// Two clicks on one confirmation at the same moment (two devices, or two replicas): one acts,
/// the others are told it was done. Clicks in different chats are handled side by side.
#[sqlx::test]
async fn concurrent_clicks_on_a_confirmation_act_once(pool: PgPool) {
    let w = world(pool.clone()).await;
    let chats: Vec<i64> = (1..=8).map(|i| -200_000 - i).collect();
    let mut under = Vec::new();
    for chat in &chats {
        w.tg.add_chat(*chat, ChatKind::Supergroup { forum: false }, "Another ops group");
        let sent = w.tg.user_message(*chat, &olga(), "/whoami", None);
        under.push(w.answer_after(*chat, sent, "Telegram id").await.message_id);
    }
    // A confirmation whose button works in any chat.
    let token =
        w.s.app
            .button(
                &mission_control::telegram::actions::ButtonAction::ConfirmQuarantine {
                    agent_id: w.s.pixel.id,
                    reason: Some("twice?".into()),
                },
                None,
            )
            .await
            .unwrap();
    let clicks: Vec<String> = chats
        .iter()
        .zip(&under)
        .map(|(chat, m)| w.tg.click(*chat, &olga(), *m, &token))
        .collect();
    let mut toasts = Vec::new();
    for click in &clicks {
        toasts.push(w.toast(click).await);
    }
    let acted = toasts.iter().filter(|t| !t.contains("Already done")).count();
    assert_eq!(acted, 1, "{toasts:?}");
    assert!(toasts.iter().any(|t| t.contains("Pixel is quarantined")), "{toasts:?}");
    assert_eq!(w.s.agent(w.s.pixel.id).await.status, AgentStatus::Quarantined);
    w.stop().await;
}

#[sqlx::test]
async fn a_reply_longer_than_a_message_arrives_whole_in_several(pool: PgPool) {
    let w = world(pool).await;
    let cli = Actor::system("test");
    let mut slugs = Vec::new();
    for i in 0..50 {
        let slug = format!("long-project-{i:02}");
        w.s.app
            .create_project(
                &cli,
                mission_control::app::projects::CreateProject {
                    slug: slug.clone(),
                    name: format!("A project with a rather long name to fill the lines, number {i:02}"),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        slugs.push(slug);
    }
    let sent = w.say(&vic(), "/projects");
    let first = w.answer_after(FORUM, sent, "Projects").await;
    w.answer_after(FORUM, first.message_id, "long-project-49").await;
    let parts: Vec<String> =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .filter(|m| m.message_id >= first.message_id)
            .filter_map(|m| m.text)
            .collect();
    assert!(parts.len() >= 2, "split into several messages: {}", parts.len());
    let all = parts.join("\n");
    assert!(all.encode_utf16().count() > 4096);
    for slug in &slugs {
        assert!(all.contains(slug.as_str()), "{slug} is missing");
    }
    assert!(parts.iter().all(|p| !p.ends_with('…')), "nothing was cut");
    w.stop().await;
}

#[sqlx::test]
async fn pause_and_resume_an_agent_and_switch_the_chats_project(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.ask(&olga(), "/pause Scout", "Scout is now paused").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
    w.ask(&olga(), "/resume Scout", "Scout is now active").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    w.ask(&olga(), "/pause Nobody", "not found").await;

    let side =
        w.s.app
            .create_project(
                &Actor::system("test"),
                mission_control::app::projects::CreateProject {
                    slug: "side".into(),
                    name: "Side Quest".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
    w.ask(&olga(), "/switch side", "Side Quest").await;
    let stored: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, Some(side.id));
    // Commands now act on it: Side has no Scout.
    w.ask(&olga(), "/pause Scout", "not found").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    w.ask(&olga(), "/switch nowhere", "nowhere").await;
    let stored: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, Some(side.id), "a bad slug changes nothing");
    w.stop().await;
}

/// Callback answers count against Telegram's global limit (30 a second) like every call, in the
/// same window as the dispatcher's sends: a burst of clicks with the limit scaled down to 5 a
/// second gets every click answered without a single 429.
#[sqlx::test]
async fn callback_answers_are_paced_under_the_global_limit(pool: PgPool) {
    const GLOBAL: u32 = 5;
    let fake = FakeConfig {
        global_per_second: GLOBAL,
        ..fast_fake()
    };
    let mut dispatch = fast_dispatch();
    dispatch.limits.global_per_second = GLOBAL;
    dispatch.limits.margin = Duration::from_millis(20);
    let w = world_with(pool, fake, dispatch).await;
    for i in 0..12 {
        w.s.task(&format!("Paged task {i:02}"), TaskType::Docs).await;
    }
    let list = w.ask(&vic(), "/tasks", "Tasks of OpenClaw").await;
    w.tg.wait_until(|s| s.my_commands("ru").is_some(), WAIT).await.unwrap();
    let started = std::time::Instant::now();
    let clicks: Vec<String> = (0..15)
        .map(|_| w.tg.click_button(FORUM, &vic(), list.message_id, "Next »").unwrap())
        .collect();
    for click in &clicks {
        w.toast(click).await;
    }
    w.tg.wait_until(|s| s.unanswered_callbacks().is_empty(), Duration::from_secs(30))
        .await
        .unwrap();
    // 15 answers (and the pages they show), 5 calls a second: they were spread over seconds.
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(
        w.tg.rate_limited(),
        0,
        "429s: {:#?}",
        w.tg.calls()
            .iter()
            .filter(|c| c.rate_limited)
            .map(|c| c.method.clone())
            .collect::<Vec<_>>()
    );
    w.stop().await;
}

/// A toast given without the click's context (here: a click under a message Telegram no longer
/// gives the bot) speaks the chat's language, not the default.
#[sqlx::test]
async fn a_toast_out_of_context_speaks_the_chats_language(pool: PgPool) {
    let w = world(pool).await;
    w.ask(&sofie(), "/lang ru", "говорит по-русски").await;
    w.tg.push_raw_update(json!({
        "callback_query": {
            "id": "raw-click-1",
            "from": {"id": OLGA, "is_bot": false, "first_name": "Olga"},
            "chat_instance": "42",
            "data": "sometoken1",
            "message": {
                "chat": {"id": FORUM, "type": "supergroup", "title": "OpenClaw ops", "is_forum": true},
                "message_id": 1,
                "date": 0
            }
        }
    }));
    let answered =
        |c: &fake_telegram::Call| c.method == "answerCallbackQuery" && c.params["callback_query_id"].as_str() == Some("raw-click-1");
    w.tg.wait_until(|s| s.calls().iter().any(answered), WAIT).await.unwrap();
    let call = w.tg.calls().into_iter().find(answered).unwrap();
    assert_eq!(call.params["text"].as_str(), Some("Эта кнопка больше не действует."));
    w.stop().await;
}

/// /alerts lists each open alert with the actions its own message carries, numbered as listed,
/// so an alert folded into a digest can still be acted on: Keep paused from the list resolves
/// the budget alert and its message in the Alerts topic follows.
#[sqlx::test]
async fn alerts_listed_by_command_carry_their_own_actions(pool: PgPool) {
    let w = world(pool).await;
    let topic = w.bind_forum().await.alerts_topic_id.unwrap();
    scout_over_budget(&w).await;
    let task = w.s.task("Summarize the survey", TaskType::CustomerResearch).await;
    raise(&w, "loop_detected", format!("task:{}", task.id), "Task is looping: 8 comments").await;
    raise(
        &w,
        "agent_stale",
        format!("agent:{}", w.s.pixel.id),
        "Pixel has been silent for 40 min",
    )
    .await;
    raise(&w, "disk_full", "runner-1".into(), "the runner's disk is 95% full").await;
    let card = w.alert_card(topic, "Scout", "⏸ Keep paused").await;
    let open =
        w.s.app
            .list_alerts(&w.s.cao, w.s.project.id, Some(false), None, None, Default::default())
            .await
            .unwrap();
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
    for action in ["💵 Raise cap", "⏸ Keep paused", "🚫 Quarantine"] {
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
    let still_open =
        w.s.app
            .list_alerts(&w.s.cao, w.s.project.id, Some(false), None, None, Default::default())
            .await
            .unwrap();
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

/// A project "side" with its own agent Rover, asking for its own A1.
async fn side_with_a_request(w: &World) -> (mission_control::app::model::Project, Approval) {
    let side =
        w.s.app
            .create_project(
                &Actor::system("test"),
                mission_control::app::projects::CreateProject {
                    slug: "side".into(),
                    name: "Side Quest".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
    let rover =
        w.s.app
            .register_agent(
                &w.s.operator,
                side.id,
                mission_control::app::agents::RegisterAgent {
                    name: "Rover".into(),
                    role: AgentRole::Intern,
                    allowed_task_types: vec![],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: false,
                },
            )
            .await
            .unwrap()
            .agent;
    let approval =
        w.s.app
            .request_approval(
                &as_agent(&rover),
                RequestApproval {
                    agent_id: rover.id,
                    action_type: "email.send".into(),
                    action_summary: "email the side project's list".into(),
                    justification: "asked for".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    (side, approval)
}

#[sqlx::test]
async fn an_approval_code_typed_after_a_switch_never_decides_another_projects_request(pool: PgPool) {
    let w = world(pool.clone()).await;
    let binding = w.bind_forum().await;
    let topic = binding.approvals_topic_id.unwrap();
    let ours = w.red_request("send the launch email").await;
    let (_side, theirs) = side_with_a_request(&w).await;
    assert_eq!(
        (ours.code(), theirs.code()),
        ("A1".to_string(), "A1".to_string()),
        "the same code in both"
    );

    // A viewer may not switch what everyone in the chat acts on.
    let before = state_of(&pool).await;
    let refused = w.ask(&vic(), "/switch side", "can't do that").await.text.unwrap();
    assert!(refused.contains("it needs operator"), "{refused}");
    assert_eq!(state_of(&pool).await, before);
    let current: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(current, Some(w.s.project.id));
    w.ask(&olga(), "/switch side", "Side Quest").await;

    // Outside the topics of the switched ops chat, A1 could mean either: neither is decided.
    for command in ["/approve A1", "/deny A1 not now"] {
        let answer = w.ask(&sofie(), command, "could mean either").await.text.unwrap();
        assert!(answer.contains("OpenClaw") && answer.contains("Side Quest"), "{answer}");
        assert_eq!(w.approval(ours.id).await.status, ApprovalStatus::Pending);
        assert_eq!(w.approval(theirs.id).await.status, ApprovalStatus::Pending);
    }

    // In the Approvals topic, where OpenClaw's card is, A1 is OpenClaw's; the reply says so.
    let sent = w.tg.user_message(FORUM, &sofie(), "/approve A1", Some(topic));
    let answer = w.answer_after(FORUM, sent, "A1 approved").await.text.unwrap();
    assert!(answer.contains("project OpenClaw"), "{answer}");
    assert_eq!(w.approval(ours.id).await.status, ApprovalStatus::Approved);
    assert_eq!(
        w.approval(theirs.id).await.status,
        ApprovalStatus::Pending,
        "the other project's A1 is untouched"
    );
    // A second try there is told, naming the project, that it was decided.
    let sent = w.tg.user_message(FORUM, &sofie(), "/approve A1", Some(topic));
    let again = w.answer_after(FORUM, sent, "already").await.text.unwrap();
    assert!(again.starts_with("Project OpenClaw"), "{again}");
    w.stop().await;
}

#[sqlx::test]
async fn only_someone_who_could_answer_a_question_may_dismiss_it(pool: PgPool) {
    let w = world(pool.clone()).await;
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    let before = state_of(&pool).await;
    let click = w.tg.click_button(FORUM, &vic(), question.message_id, "Cancel").unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert_eq!(state_of(&pool).await, before);
    assert!(
        refusals(&pool).await.iter().any(|r| r["attempt"] == "button dismiss"),
        "{:?}",
        refusals(&pool).await
    );
    let still = w.tg.message(FORUM, question.message_id).unwrap();
    assert!(!still.buttons().is_empty(), "the question stays open");
    // The operator who asked can.
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "Cancel").unwrap();
    assert!(w.toast(&click).await.contains("Canceled"));
    assert!(!w.s.app.project_by_id(w.s.project.id).await.unwrap().squad_paused);
    w.stop().await;
}

#[sqlx::test]
async fn a_cao_lists_and_revokes_api_tokens_from_the_chat(pool: PgPool) {
    let w = world(pool.clone()).await;
    let (_, secret) =
        w.s.app
            .create_operator_token(&Actor::system("cli"), "ops-script", OperatorRole::Operator)
            .await
            .unwrap();
    w.s.app.authenticate(&secret).await.unwrap();

    let listed = w.ask(&sofie(), "/tokens", "API tokens").await.text.unwrap();
    for name in ["ops-script", "Olga", "Vic", "Sofie (human)"] {
        assert!(listed.contains(name), "{name}: {listed}");
    }
    assert!(!listed.contains(&secret) && !listed.contains(&secret[..12]), "{listed}");
    let refused = w.ask(&olga(), "/tokens", "can't do that").await.text.unwrap();
    assert!(refused.contains("needs CAO"), "{refused}");
    w.ask(&olga(), "/revoke_token ops-script", "can't do that").await;
    w.s.app.authenticate(&secret).await.unwrap();

    w.ask(&sofie(), "/revoke_token ops-script", "is revoked").await;
    let err = w.s.app.authenticate(&secret).await.unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
    w.ask(&sofie(), "/revoke_token ops-script", "not found").await;
    w.ask(&sofie(), "/revoke_token", "Usage: /revoke_token").await;
    w.ask(&sofie(), "/lang ru", "по-русски").await;
    let listed = w.ask(&sofie(), "/tokens", "API-токены").await.text.unwrap();
    assert!(listed.contains("отозван"), "{listed}");
    w.stop().await;
}

#[sqlx::test]
async fn a_code_replying_to_an_approval_card_means_that_cards_project(pool: PgPool) {
    let w = world(pool.clone()).await;
    let ours = w.red_request("send the launch email").await;
    let side =
        w.s.app
            .create_project(
                &Actor::system("test"),
                mission_control::app::projects::CreateProject {
                    slug: "side".into(),
                    name: "Side Quest".into(),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
    // A plain group as the ops chat of "side": its approval cards are posted in the chat itself.
    w.tg.user_message(GROUP, &sofie(), "/bind side", None);
    let mut bound = None;
    for _ in 0..100 {
        bound = w.s.app.binding_for_project(side.id).await.unwrap();
        if bound.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(bound.is_some(), "bound");
    let rover =
        w.s.app
            .register_agent(
                &w.s.operator,
                side.id,
                mission_control::app::agents::RegisterAgent {
                    name: "Rover".into(),
                    role: AgentRole::Intern,
                    allowed_task_types: vec![],
                    parent_agent_id: None,
                    daily_cap: None,
                    issue_token: false,
                },
            )
            .await
            .unwrap()
            .agent;
    let theirs =
        w.s.app
            .request_approval(
                &as_agent(&rover),
                RequestApproval {
                    agent_id: rover.id,
                    action_type: "email.send".into(),
                    action_summary: "email the side project's list".into(),
                    justification: "asked for".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    assert_eq!((ours.code(), theirs.code()), ("A1".to_string(), "A1".to_string()));
    w.tg.wait_until(|s| s.bot_messages_in(GROUP, None).iter().any(|m| !m.buttons().is_empty()), WAIT)
        .await
        .unwrap_or_else(|e| panic!("no approval card in the group: {e}: {:#?}", texts(&w.tg, GROUP)));
    let card =
        w.tg.bot_messages_in(GROUP, None)
            .into_iter()
            .find(|m| !m.buttons().is_empty())
            .unwrap();
    let sent = w.tg.user_message(GROUP, &olga(), "/switch openclaw", None);
    w.answer_after(GROUP, sent, "OpenClaw").await;

    // Without a card, the switched ops chat could mean either A1.
    let sent = w.tg.user_message(GROUP, &sofie(), "/approve A1", None);
    w.answer_after(GROUP, sent, "could mean either").await;
    // Replying to Side Quest's card means Side Quest's A1.
    let sent = w.tg.user_reply(GROUP, &sofie(), card.message_id, "/approve A1");
    let answer = w.answer_after(GROUP, sent, "A1 approved").await.text.unwrap();
    assert!(answer.contains("project Side Quest"), "{answer}");
    assert_eq!(w.approval(theirs.id).await.status, ApprovalStatus::Approved);
    assert_eq!(
        w.approval(ours.id).await.status,
        ApprovalStatus::Pending,
        "OpenClaw's A1 is untouched"
    );
    w.stop().await;
}
