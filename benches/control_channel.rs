//! The control channel under load: how fast a human is answered while the bot is busy. The bot
//! (long polling) and the outbox dispatcher run against the fake Bot API with Telegram's own
//! flood limits (1 msg/s per chat, 20/min per group, 30/s overall), one forum bound to the
//! project. Under each load, rounds of probes a few seconds apart measure:
//!
//! - command → reply: `/status` typed in the forum, to the bot's reply reaching Telegram;
//! - new approval → card: an agent's RED request, to its card in the Approvals topic;
//! - click → answer: ✅ Approve on that card, to `answerCallbackQuery`;
//! - click → card edited: to the card showing the decision.
//!
//! The loads, one after the other: *mirroring* (the forum just bound with `/bind`: a topic and a
//! card for every open task, 28 by default), *alert storm* (alerts raised through the core,
//! 300 by default, all at once), *runaway agent* (one agent's 150 runs and 75 comments on its
//! task within a minute), *quiet* (nothing else queued) for comparison, *failover* (every
//! database connection cut three times while five RED cards go out: from the last cut to the
//! last card and to a command's answer, and cards sent twice), *incident* (in a forum of its own
//! bound a moment before, 20 task topics to mirror: an operator's twelve actions, each as soon
//! as the previous one is answered — approve, deny with a reason, pause the squad and confirm,
//! resume, quarantine and confirm, release, four mistyped commands — each answer's latency and
//! the group calls spent on them) and *strangers* (100 commands from 5 people who are not
//! operators within 20 s, while the CAO's `/status` is probed every 4 s: its latency and the
//! messages the strangers cost).
//!
//!     cargo bench --bench control_channel
//!     BENCH_ROUNDS=10 BENCH_GAP=12 BENCH_TASKS=28 BENCH_ALERTS=300 cargo bench --bench control_channel
//!     BENCH_LOADS=failover BENCH_FAILOVER_ROUNDS=3 BENCH_TASKS=0 cargo bench --bench control_channel
//!     BENCH_LOADS=incident,strangers BENCH_INCIDENT_ROUNDS=3 BENCH_TASKS=0 cargo bench --bench control_channel
//!
//! A round every 30 s by default (`BENCH_GAP`): three calls to the group, within the 6 of
//! Telegram's 20 a minute the machine's traffic leaves free; 6 rounds per load (`BENCH_ROUNDS`).
//!
//! Needs a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); it
//! creates and drops its own database.

mod support;

use anyhow::{bail, Context};
use fake_telegram::{Call, ChatKind, FakeBotApi, FakeConfig, FakeUser};
use mission_control::app::agents::RegisterAgent;
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::approvals::RequestApproval;
use mission_control::app::projects::CreateProject;
use mission_control::app::runs::RecordRun;
use mission_control::app::tasks::{CreateTask, TransitionTask};
use mission_control::app::{App, Rules, SystemClock};
use mission_control::configuration::{TelegramMode, TelegramSettings};
use mission_control::domain::{Actor, AgentRole, AlertSeverity, RunStatus, TaskStatus, TaskType, Usd};
use mission_control::model::Agent;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use mission_control::telegram::{bot, make_bot};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{env_or, percentile, BenchDb};

const TOKEN: &str = "778:bench-control-channel";
const CAO: i64 = 1001;
const FORUM: i64 = -1_000_777;
/// Between two rounds of probes (`BENCH_GAP` seconds). A round makes three calls to the group
/// (the reply, the card, the card's edit) and Telegram allows a group 20 a minute, of which the
/// machine's traffic may fill 14: a round every 30 s is the 6 a minute kept for people.
fn round_gap() -> Duration {
    Duration::from_secs(env_or("BENCH_GAP", 30))
}
/// The storm's alerts, raised by monitoring scripts.
const ALERT_TYPES: &[&str] = &[
    "deploy_failed",
    "disk_full",
    "queue_backlog",
    "cert_expiring",
    "latency_high",
    "error_rate",
    "sync_lag",
];
/// How long one probe may take before it counts as lost.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// `/bind <slug>` typed by the CAO in `chat`; the Approvals topic once the binding has it.
async fn bind(app: &App, tg: &FakeBotApi, cao: &FakeUser, chat: i64, slug: &str, project_id: uuid::Uuid) -> anyhow::Result<i32> {
    let bound_at = Instant::now();
    tg.user_message(chat, cao, &format!("/bind {slug}"), None);
    loop {
        if let Some(topic) = app.binding_for_project(project_id).await?.and_then(|b| b.approvals_topic_id) {
            return Ok(topic);
        }
        if bound_at.elapsed() > Duration::from_secs(60) {
            bail!("{chat} was not bound to {slug} within a minute");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An unassigned ops task titled `title`, for a backlog.
fn ops_task(title: String) -> CreateTask {
    CreateTask {
        title,
        description: String::new(),
        task_type: TaskType::Ops,
        priority: None,
        assignee_ids: Vec::new(),
        reviewer_id: None,
        budget_allocated: None,
    }
}

fn as_agent(agent: &Agent) -> Actor {
    Actor::Agent {
        id: agent.id,
        project_id: agent.project_id,
        name: agent.name.clone(),
    }
}

/// Latencies of one kind of probe under one load, in milliseconds.
#[derive(Default)]
struct Series {
    ms: Vec<f64>,
    lost: usize,
}

impl Series {
    fn add(&mut self, from: Instant, to: Option<Instant>) {
        match to {
            Some(to) => self.ms.push(to.saturating_duration_since(from).as_secs_f64() * 1000.0),
            None => self.lost += 1,
        }
    }

    fn cell(&mut self) -> String {
        self.ms.sort_by(f64::total_cmp);
        let lost = if self.lost > 0 {
            format!(" ({} lost)", self.lost)
        } else {
            String::new()
        };
        format!("{:.0} / {:.0}{lost}", percentile(&self.ms, 0.5), percentile(&self.ms, 0.99))
    }
}

#[derive(Default)]
struct Load {
    name: String,
    rounds: usize,
    command: Series,
    card: Series,
    answer: Series,
    edited: Series,
    /// Outbox rows still queued when the probes ended: the load was still on.
    queued_at_end: i64,
}

/// The failover load's figures.
#[derive(Default)]
struct Failover {
    rounds: usize,
    /// From the end of the last cut to the last of the round's five cards.
    card: Series,
    /// From the end of the last cut to the reply to a `/status` typed then.
    command: Series,
    /// Cards Telegram got more than once.
    duplicates: usize,
}

/// The incident load's figures.
#[derive(Default)]
struct Incident {
    rounds: usize,
    /// A typed command to its answer (or to the question edited into its result).
    typed: Series,
    /// A click to its toast.
    clicked: Series,
    /// Group calls spent on the twelve actions, per round.
    group_calls: Vec<usize>,
}

/// The strangers load's figures.
#[derive(Default)]
struct Strangers {
    /// The CAO's `/status` to its answer while strangers type.
    status: Series,
    /// Messages the bot sent the group for the strangers.
    answered: usize,
    commands: usize,
}

struct Bench {
    app: App,
    tg: FakeBotApi,
    pool: sqlx::PgPool,
    sofie: FakeUser,
    scribe: Agent,
    approvals_topic: i32,
}

/// The first call to `method` at or after `since` matching `pick`, waiting for it.
async fn first_call(tg: &FakeBotApi, method: &str, since: Instant, pick: impl Fn(&Call) -> bool) -> Option<Instant> {
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        if let Some(call) = tg.calls_to(method).into_iter().find(|c| c.ok() && c.at >= since && pick(c)) {
            return Some(call.at);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The first send or edit to `chat` at or after `since` whose text contains `needle`.
async fn answered_in(tg: &FakeBotApi, chat: i64, since: Instant, needle: &str) -> Option<Instant> {
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        let found = tg
            .calls()
            .into_iter()
            .filter(|c| c.ok() && c.at >= since && matches!(c.method.as_str(), "sendMessage" | "editMessageText"))
            .filter(|c| c.param("chat_id") == Some(&json!(chat)))
            .find(|c| c.param("text").and_then(|t| t.as_str()).is_some_and(|t| t.contains(needle)));
        if let Some(call) = found {
            return Some(call.at);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The newest bot message in `chat`/`thread` containing `needle`, waiting for it.
async fn bot_message(tg: &FakeBotApi, chat: i64, thread: Option<i32>, needle: &str) -> anyhow::Result<fake_telegram::StoredMessage> {
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        let found = tg
            .bot_messages_in(chat, thread)
            .into_iter()
            .rev()
            .find(|m| m.text.as_deref().is_some_and(|t| t.contains(needle)));
        if let Some(m) = found {
            return Ok(m);
        }
        if Instant::now() >= deadline {
            bail!("no bot message with {needle:?} in {chat}/{thread:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

impl Bench {
    async fn queued(&self) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// One round: `/status`, a new RED approval, and a click on its card.
    async fn probe(&self, load: &mut Load, round: usize) -> anyhow::Result<()> {
        let tg = &self.tg;
        let asked = Instant::now();
        tg.user_message(FORUM, &self.sofie, "/status", None);
        let replied = first_call(tg, "sendMessage", asked, |c| {
            c.param("chat_id") == Some(&json!(FORUM)) && c.param("text").and_then(|t| t.as_str()).is_some_and(|t| t.contains("— status"))
        });

        let summary = format!("{} probe {round}: send the launch email", load.name);
        let requested = Instant::now();
        self.ask_red(&summary).await?;
        let carded = first_call(tg, "sendMessage", requested, |c| {
            c.param("message_thread_id") == Some(&json!(self.approvals_topic))
                && c.param("text").and_then(|t| t.as_str()).is_some_and(|t| t.contains(&summary))
        });
        let (replied, carded) = tokio::join!(replied, carded);
        load.command.add(asked, replied);
        load.card.add(requested, carded);
        if carded.is_none() {
            load.answer.lost += 1;
            load.edited.lost += 1;
            return Ok(());
        }
        let card = tg
            .bot_messages_in(FORUM, Some(self.approvals_topic))
            .into_iter()
            .rev()
            .find(|m| m.text.as_deref().is_some_and(|t| t.contains(&summary)))
            .context("the card reached the chat")?;
        let approve = card
            .buttons()
            .into_iter()
            .find(|b| b.text.contains("Approve"))
            .and_then(|b| b.callback_data)
            .context("an Approve button on the card")?;
        let clicked = Instant::now();
        let click = tg.click(FORUM, &self.sofie, card.message_id, &approve);
        let answered = first_call(tg, "answerCallbackQuery", clicked, |c| {
            c.param("callback_query_id") == Some(&json!(click))
        });
        let edited = first_call(tg, "editMessageText", clicked, |c| {
            c.param("chat_id") == Some(&json!(FORUM)) && c.param("message_id") == Some(&json!(card.message_id))
        });
        let (answered, edited) = tokio::join!(answered, edited);
        load.answer.add(clicked, answered);
        load.edited.add(clicked, edited);
        Ok(())
    }

    /// Runs `rounds` rounds of probes while `during` (the load) goes on beside them.
    async fn measure(
        &self,
        name: &str,
        rounds: usize,
        during: impl std::future::Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<Load> {
        let mut load = Load {
            name: name.to_string(),
            rounds,
            ..Default::default()
        };
        let probes = async {
            for round in 0..rounds {
                let started = Instant::now();
                self.probe(&mut load, round).await?;
                tokio::time::sleep(round_gap().saturating_sub(started.elapsed())).await;
            }
            anyhow::Ok(())
        };
        let (probed, loaded) = tokio::join!(probes, during);
        probed?;
        loaded?;
        load.queued_at_end = self.queued().await?;
        println!(
            "{name}: commands {:?} ms, cards {:?} ms, answers {:?} ms, edits {:?} ms",
            load.command.ms, load.card.ms, load.answer.ms, load.edited.ms
        );
        Ok(load)
    }

    /// Failover: `rounds` rounds in which every database connection is cut three times (each cut
    /// flapping for 0.9 s: ended, and ended again as soon as one is made) while five RED
    /// approvals are requested (2, 2, 1 before the cuts). From the end of the last cut: the last
    /// of the five cards in the Approvals topic, and a `/status` typed then answered; and how
    /// many cards Telegram got twice.
    async fn failover(&self, rounds: usize) -> anyhow::Result<Failover> {
        let mut f = Failover {
            rounds,
            ..Default::default()
        };
        for round in 0..rounds {
            let started = Instant::now();
            let mut summaries = Vec::new();
            for (cut, asks) in [2, 2, 1].into_iter().enumerate() {
                for i in 0..asks {
                    let summary = format!("failover {round}.{cut}.{i}: send the incident email");
                    // The pool's connections die with each cut: asking may need a retry.
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while self.ask_red(&summary).await.is_err() {
                        if Instant::now() > deadline {
                            bail!("could not ask for an approval after a cut");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    summaries.push(summary);
                }
                let storm = Instant::now();
                while storm.elapsed() < Duration::from_millis(900) {
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                          WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    )
                    .execute(&self.pool)
                    .await;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            let back = Instant::now();
            self.tg.user_message(FORUM, &self.sofie, "/status", None);
            let replied = first_call(&self.tg, "sendMessage", back, |c| {
                c.param("chat_id") == Some(&json!(FORUM))
                    && c.param("text").and_then(|t| t.as_str()).is_some_and(|t| t.contains("— status"))
            });
            let cards = async {
                let deadline = Instant::now() + PROBE_TIMEOUT;
                loop {
                    let shown = self.tg.bot_messages_in(FORUM, Some(self.approvals_topic));
                    let all = summaries
                        .iter()
                        .all(|s| shown.iter().any(|m| m.text.as_deref().is_some_and(|t| t.contains(s.as_str()))));
                    if all {
                        return Some(Instant::now());
                    }
                    if Instant::now() > deadline {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            };
            let (replied, carded) = tokio::join!(replied, cards);
            f.command.add(back, replied);
            f.card.add(back, carded);
            self.drained(Duration::from_secs(120)).await?;
            let shown = self.tg.bot_messages_in(FORUM, Some(self.approvals_topic));
            for s in &summaries {
                let copies = shown
                    .iter()
                    .filter(|m| m.text.as_deref().is_some_and(|t| t.contains(s.as_str())))
                    .count();
                f.duplicates += copies.saturating_sub(1);
            }
            tokio::time::sleep(round_gap().saturating_sub(started.elapsed())).await;
        }
        println!("failover: cards {:?} ms, commands {:?} ms", f.card.ms, f.command.ms);
        Ok(f)
    }

    /// A click on `button` under `message` in `chat`, to its toast.
    async fn click(&self, chat: i64, message: &fake_telegram::StoredMessage, button: &str, series: &mut Series) -> anyhow::Result<()> {
        let data = message
            .buttons()
            .into_iter()
            .find(|b| b.text.contains(button))
            .and_then(|b| b.callback_data)
            .with_context(|| format!("a {button} button"))?;
        let clicked = Instant::now();
        let id = self.tg.click(chat, &self.sofie, message.message_id, &data);
        let toast = first_call(&self.tg, "answerCallbackQuery", clicked, |c| {
            c.param("callback_query_id") == Some(&json!(id))
        })
        .await;
        series.add(clicked, toast);
        Ok(())
    }

    /// `text` typed in `chat` (General or `thread`), to the answer containing `needle`.
    async fn typed(&self, chat: i64, thread: Option<i32>, text: &str, needle: &str, series: &mut Series) {
        let asked = Instant::now();
        self.tg.user_message(chat, &self.sofie, text, thread);
        series.add(asked, answered_in(&self.tg, chat, asked, needle).await);
    }

    /// Incident: per round, a project of its own with `tasks` open tasks and two agents, its
    /// forum bound by `/bind` a moment before; then the twelve actions, each as soon as the
    /// previous one is answered.
    async fn incident(&self, rounds: usize, tasks: usize, cao: &Actor) -> anyhow::Result<Incident> {
        let mut f = Incident {
            rounds,
            ..Default::default()
        };
        for round in 0..rounds {
            let slug = format!("incident-{round}");
            let project = self
                .app
                .create_project(
                    cao,
                    CreateProject {
                        slug: slug.clone(),
                        name: format!("Incident {round}"),
                        description: String::new(),
                    },
                )
                .await?;
            let mut agents = Vec::new();
            for name in ["Nova", "Rigel"] {
                let registered = self
                    .app
                    .register_agent(
                        cao,
                        project.id,
                        RegisterAgent {
                            name: name.into(),
                            role: AgentRole::Specialist,
                            allowed_task_types: vec![TaskType::Ops],
                            parent_agent_id: None,
                            daily_cap: None,
                            issue_token: false,
                        },
                    )
                    .await?;
                agents.push(registered.agent);
            }
            for i in 0..tasks {
                self.app
                    .create_task(cao, project.id, ops_task(format!("Incident backlog {i:02}")))
                    .await?;
            }
            // Nothing is bound yet: those notices are skipped.
            self.drained(Duration::from_secs(60)).await?;
            let chat = -1_000_900 - round as i64;
            self.tg
                .add_chat(chat, ChatKind::Supergroup { forum: true }, &format!("Incident {round}"));
            let topic = bind(&self.app, &self.tg, &self.sofie, chat, &slug, project.id).await?;
            let mut cards = Vec::new();
            for (i, what) in ["refund every order of the last hour", "email every customer an apology"]
                .iter()
                .enumerate()
            {
                let summary = format!("incident {round}.{i}: {what}");
                self.app
                    .request_approval(
                        &as_agent(&agents[0]),
                        RequestApproval {
                            agent_id: agents[0].id,
                            action_type: "email.send".into(),
                            action_summary: summary.clone(),
                            justification: "benchmark incident".into(),
                            expires_in_minutes: Some(600),
                            ..Default::default()
                        },
                    )
                    .await?;
                cards.push(summary);
            }
            let card1 = bot_message(&self.tg, chat, Some(topic), &cards[0]).await?;
            let card2 = bot_message(&self.tg, chat, Some(topic), &cards[1]).await?;

            let start = Instant::now();
            let (typed, clicked) = (&mut f.typed, &mut f.clicked);
            self.click(chat, &card1, "Approve", clicked).await?;
            self.click(chat, &card2, "Deny", clicked).await?;
            let asked = Instant::now();
            typed.add(asked, answered_in(&self.tg, chat, asked, "why deny").await);
            let reason = Instant::now();
            self.tg
                .user_message(chat, &self.sofie, "Refunds need finance's sign-off", Some(topic));
            typed.add(reason, answered_in(&self.tg, chat, reason, "finance").await);
            self.typed(chat, None, "/pause_squad", "Pause the whole squad", typed).await;
            let question = bot_message(&self.tg, chat, None, "Pause the whole squad").await?;
            self.click(chat, &question, "Pause the squad", clicked).await?;
            self.typed(chat, None, "/resume_squad", "Squad resumed", typed).await;
            // The calls carry HTML: the name is bold in the question.
            self.typed(chat, None, "/quarantine Nova runaway refunds", "Quarantine <b>Nova</b>?", typed)
                .await;
            let question = bot_message(&self.tg, chat, None, "Quarantine Nova?").await?;
            self.click(chat, &question, "Quarantine Nova", clicked).await?;
            self.typed(chat, None, "/release Nova", "Nova", typed).await;
            for mistyped in ["/assign", "/approve", "/move", "/budget"] {
                self.typed(chat, None, mistyped, "e.g.", typed).await;
            }
            // Let the last answers land, then count what the people's actions cost the group.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let task_topics: Vec<i32> = sqlx::query_scalar(
                "SELECT th.topic_id FROM task_threads th JOIN tasks t ON t.id = th.task_id
                  WHERE t.project_id = $1 AND th.topic_id IS NOT NULL",
            )
            .bind(project.id)
            .fetch_all(&self.pool)
            .await?;
            let spent = self
                .tg
                .calls()
                .into_iter()
                .filter(|c| c.ok() && c.at >= start && c.param("chat_id") == Some(&json!(chat)))
                .filter(|c| c.method != "createForumTopic")
                .filter(|c| {
                    let thread = c.param("message_thread_id").and_then(|t| t.as_i64()).or_else(|| {
                        let id = c.param("message_id")?.as_i64()?;
                        self.tg.message(chat, id as i32)?.thread_id.map(i64::from)
                    });
                    !thread.is_some_and(|t| task_topics.contains(&(t as i32)))
                })
                .count();
            f.group_calls.push(spent);
            self.drained(Duration::from_secs(900)).await?;
        }
        println!(
            "incident: typed {:?} ms, clicks {:?} ms, group calls {:?}",
            f.typed.ms, f.clicked.ms, f.group_calls
        );
        Ok(f)
    }

    /// Strangers: 100 commands from 5 people who are not operators within 20 s in the bound
    /// forum, the CAO's `/status` every 4 s meanwhile.
    async fn strangers(&self) -> anyhow::Result<Strangers> {
        let mut f = Strangers::default();
        let people: Vec<FakeUser> = (0..5).map(|i| FakeUser::new(3001 + i, &format!("Stranger {i}"))).collect();
        let typed = ["/status", "/pause_squad", "/approve A1", "/agents", "/quarantine Scout"];
        let start = Instant::now();
        for n in 0..100 {
            self.tg.user_message(FORUM, &people[n % 5], typed[n / 5 % 5], None);
            f.commands += 1;
            if n % 20 == 10 {
                let asked = Instant::now();
                self.tg.user_message(FORUM, &self.sofie, "/status", None);
                f.status.add(asked, answered_in(&self.tg, FORUM, asked, "— status").await);
            }
            let next = Duration::from_millis(200 * (n as u64 + 1));
            tokio::time::sleep(next.saturating_sub(start.elapsed())).await;
        }
        self.drained(Duration::from_secs(120)).await?;
        f.answered = self
            .tg
            .calls_to("sendMessage")
            .into_iter()
            .filter(|c| c.ok() && c.at >= start && c.param("chat_id") == Some(&json!(FORUM)))
            .filter(|c| {
                c.param("text")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.contains("not an operator"))
            })
            .count();
        println!(
            "strangers: CAO /status {:?} ms, {} messages for the strangers",
            f.status.ms, f.answered
        );
        Ok(f)
    }

    /// Scribe asks to send an email (RED: it waits for a person).
    async fn ask_red(&self, summary: &str) -> mission_control::app::AppResult<()> {
        self.app
            .request_approval(
                &as_agent(&self.scribe),
                RequestApproval {
                    agent_id: self.scribe.id,
                    action_type: "email.send".into(),
                    action_summary: summary.to_string(),
                    justification: "benchmark probe".into(),
                    expires_in_minutes: Some(600),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
    }

    /// Waits until the outbox has nothing left to deliver.
    async fn drained(&self, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while self.queued().await? > 0 {
            if started.elapsed() > within {
                bail!("the outbox still has {} rows after {within:?}", self.queued().await?);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(started.elapsed())
    }
}

/// A one-row Markdown table: its header, the separator (the first column left-aligned, the
/// figures right-aligned) and the row.
fn table(header: &str, row: &str) {
    let columns = header.matches('|').count() - 1;
    println!();
    println!("{header}");
    println!("|---|{}", "---:|".repeat(columns - 1));
    println!("{row}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = env_or("BENCH_ROUNDS", 6);
    let failover_rounds: usize = env_or("BENCH_FAILOVER_ROUNDS", 3);
    let incident_rounds: usize = env_or("BENCH_INCIDENT_ROUNDS", 3);
    // Which loads to run (the forum is bound in any case): all by default.
    let only: String = env_or(
        "BENCH_LOADS",
        "mirroring,storm,runaway,quiet,failover,incident,strangers".to_string(),
    );
    let runs = |load: &str| only.split(',').any(|l| l.trim() == load);
    let open_tasks: i64 = env_or("BENCH_TASKS", 28);
    let alerts: usize = env_or("BENCH_ALERTS", 300);
    let db = BenchDb::create("control", 20).await?;
    let pool = db.pool.clone();
    let app = App::new(pool.clone(), Arc::new(SystemClock), Rules::default());
    app.seed().await?;
    app.ensure_admins(&[CAO]).await?;
    let project = app.project_by_slug("openclaw").await?;
    let system = Actor::system("bench");
    let operator = app.operator_for_telegram(CAO).await?.context("the CAO operator")?;
    let scout = app.agent_by_name(&system, project.id, "Scout").await?;
    let scribe = app.agent_by_name(&system, project.id, "Scribe").await?;

    // Open tasks for the forum to mirror, and the runaway agent's task.
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE status NOT IN ('done', 'canceled')")
        .fetch_one(&pool)
        .await?;
    for i in open..open_tasks - 1 {
        app.create_task(&operator, project.id, ops_task(format!("Backlog item {i:02}")))
            .await?;
    }
    let runaway = app
        .create_task(
            &operator,
            project.id,
            CreateTask {
                title: "Competitor pricing sweep".into(),
                description: String::new(),
                task_type: TaskType::CustomerResearch,
                priority: None,
                assignee_ids: vec![scout.id],
                reviewer_id: None,
                budget_allocated: None,
            },
        )
        .await?;
    app.transition_task(
        &as_agent(&scout),
        runaway.id,
        TransitionTask {
            to: Some(TaskStatus::InProgress),
            work_plan: Some(vec![
                "list the competitors".into(),
                "sweep their pricing pages".into(),
                "tabulate the plans".into(),
            ]),
            ..Default::default()
        },
    )
    .await?;

    let tg = FakeBotApi::start_with(TOKEN, FakeConfig::default()).await?;
    tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
    let sofie = FakeUser::new(CAO, "Sofie").with_username("sofie").with_language("en");
    let settings = TelegramSettings {
        token: TOKEN.into(),
        api_url: tg.url(),
        mode: TelegramMode::Polling,
        webhook_url: String::new(),
        webhook_secret: String::new(),
        admins: vec![CAO],
        default_lang: "en".into(),
        mini_app_name: String::new(),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let dispatcher =
        tokio::spawn(Dispatcher::new(app.clone(), make_bot(&settings)?, DispatchOptions::default()).run(until_stopped(stopped.clone())));
    let bot_task = tokio::spawn(bot::run_polling_with(
        app.clone(),
        make_bot(&settings)?,
        settings,
        Duration::from_secs(1),
        until_stopped(stopped.clone()),
    ));
    tg.wait_until(|s| !s.calls_to("getUpdates").is_empty(), Duration::from_secs(10))
        .await?;

    let mut bench = Bench {
        app: app.clone(),
        tg,
        pool: pool.clone(),
        sofie,
        scribe,
        approvals_topic: 0,
    };
    // The seed's notices had no chat: the dispatcher skips them.
    bench.drained(Duration::from_secs(30)).await?;

    println!(
        "control channel under load: {rounds} rounds of probes per load, {:?} apart",
        round_gap()
    );
    let mut loads = Vec::new();

    // Mirroring: the forum is bound now; every open task gets a topic and a card.
    let bound_at = Instant::now();
    bench.approvals_topic = bind(&app, &bench.tg, &bench.sofie, FORUM, "openclaw", project.id).await?;
    if runs("mirroring") {
        loads.push(bench.measure("mirroring", rounds, async { Ok(()) }).await?);
    }
    let topics = bench.tg.topics(FORUM).len();
    bench.drained(Duration::from_secs(900)).await?;
    println!(
        "mirroring: {topics} topics when the probes ended; everything delivered {:.0} s after /bind",
        bound_at.elapsed().as_secs_f64()
    );

    // Alert storm: all raised at once, then probed.
    let storm_started = Instant::now();
    for i in 0..if runs("storm") { alerts } else { 0 } {
        app.raise_alert(
            &operator,
            project.id,
            RaiseAlert {
                alert_type: ALERT_TYPES[i % ALERT_TYPES.len()].into(),
                severity: if i % 5 == 0 {
                    AlertSeverity::Critical
                } else {
                    AlertSeverity::Warning
                },
                subject: format!("service:{i}"),
                message: format!("Synthetic alert {i}"),
                details: json!({}),
            },
        )
        .await?;
    }
    let raised_in = storm_started.elapsed();
    if runs("storm") {
        loads.push(bench.measure("alert storm", rounds, async { Ok(()) }).await?);
        bench.drained(Duration::from_secs(900)).await?;
        println!(
            "alert storm: {alerts} alerts raised in {:.1} s; the chat was clear {:.0} s after the first",
            raised_in.as_secs_f64(),
            storm_started.elapsed().as_secs_f64()
        );
    }

    // Runaway agent: 150 runs and 75 comments within a minute on one task, probed meanwhile.
    let flood = {
        let app = app.clone();
        let scout = scout.clone();
        async move {
            let started = Instant::now();
            let (mut refused, mut done) = (0, 0);
            for i in 0..225u32 {
                let result = if i % 3 == 2 {
                    app.comment_on_task(&as_agent(&scout), runaway.id, &format!("Still sweeping, page {i}"), None)
                        .await
                        .map(|_| ())
                } else {
                    app.record_run(
                        &as_agent(&scout),
                        RecordRun {
                            agent_id: scout.id,
                            task_id: Some(runaway.id),
                            cost: Some(Usd::ZERO),
                            status: RunStatus::Succeeded,
                            model: None,
                            tokens: mission_control::domain::costs::ReportedTokens {
                                total: Some(1200),
                                ..Default::default()
                            },
                            error: None,
                        },
                    )
                    .await
                    .map(|_| ())
                };
                match result {
                    Ok(()) => done += 1,
                    Err(_) => refused += 1,
                }
                let next = Duration::from_millis(60_000 * (u64::from(i) + 1) / 225);
                tokio::time::sleep(next.saturating_sub(started.elapsed())).await;
            }
            println!(
                "runaway agent: {done} runs and comments recorded, {refused} refused, in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            anyhow::Ok(())
        }
    };
    if runs("runaway") {
        loads.push(bench.measure("runaway agent", rounds, flood).await?);
        bench.drained(Duration::from_secs(900)).await?;
    }
    if runs("quiet") {
        loads.push(bench.measure("quiet", rounds, async { Ok(()) }).await?);
    }
    let mut failover = match runs("failover") {
        true => Some(bench.failover(failover_rounds).await?),
        false => None,
    };
    let mut incident = match runs("incident") {
        true => Some(bench.incident(incident_rounds, 20, &operator).await?),
        false => None,
    };
    let mut strangers = match runs("strangers") {
        true => Some(bench.strangers().await?),
        false => None,
    };

    println!();
    println!(
        "| load | rounds | command → reply p50 / p99 ms | new approval → card | click → answer | click → card edited | queued at end |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for l in &mut loads {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            l.name,
            l.rounds,
            l.command.cell(),
            l.card.cell(),
            l.answer.cell(),
            l.edited.cell(),
            l.queued_at_end
        );
    }
    if let Some(f) = failover.as_mut() {
        let row = format!(
            "| 3 cuts, 0.9 s each | {} | {} | {} | {} |",
            f.rounds,
            f.card.cell(),
            f.command.cell(),
            f.duplicates
        );
        table(
            "| failover | rounds | cuts → last of 5 cards p50 / p99 ms | cuts → command answered | cards sent twice |",
            &row,
        );
    }
    if let Some(i) = incident.as_mut() {
        let row = format!(
            "| approve, deny + reason, pause + confirm, resume, quarantine + confirm, release, 4 mistyped | {} | {} | {} | {:?} |",
            i.rounds,
            i.typed.cell(),
            i.clicked.cell(),
            i.group_calls
        );
        table("| incident (12 actions, 20 topics to mirror) | rounds | typed → answered p50 / p99 ms | click → toast p50 / p99 ms | group calls for the 12 actions |", &row);
    }
    if let Some(st) = strangers.as_mut() {
        let row = format!("| 5 people, 20 s | {} | {} | {} |", st.commands, st.status.cell(), st.answered);
        table(
            "| strangers | commands | CAO /status meanwhile p50 / p99 ms | messages for the strangers |",
            &row,
        );
    }
    println!();
    println!(
        "429s: {}; Bot API violations: {}",
        bench.tg.rate_limited(),
        bench.tg.violations().len()
    );

    let _ = stop.send(true);
    dispatcher.await??;
    bot_task.await??;
    bench.tg.shutdown().await;
    db.drop().await?;
    Ok(())
}
