//! One harness for Telegram scenarios: the seeded squad (on its own, or behind the real HTTP
//! server), the fake Bot API with a forum and a plain group, Sofie, Olga and Vic linked to their
//! roles, and the outbox dispatcher and the bot (long polling) running against them.
//!
//! `World::new(pool)` starts it all with fast limits; `World::build(pool)` chooses: `.scaled()`
//! limits, `.http()`, `.idle()` (nothing runs: the test starts dispatchers itself), `.bound(..)`.
//! Before anything runs, the seed's notices (written while no chat was bound) are skipped, so
//! that they never reach the chat bound next. `stop()` ends with no 429, no invalid call, no
//! unknown parameter and no unanswered click.

use super::http::{spawn_app, TestApi};
use super::telegram::*;
use super::{count, squad, squad_on, Squad};
use fake_telegram::{ChatKind, FakeBotApi, FakeConfig, FakeUser, StoredMessage, Topic};
use mission_control::app::agents::HeartbeatReport;
use mission_control::app::runs::RecordRun;
use mission_control::app::tasks::CreateTask;
use mission_control::app::App;
use mission_control::configuration::TelegramSettings;
use mission_control::domain::*;
use mission_control::model::{Agent, Alert, Approval, Task};
use mission_control::storage::telegram_messages::TaskThread;
use mission_control::telegram::actions::ButtonAction;
use mission_control::telegram::bot;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use sqlx::PgPool;
use std::future::Future;
use std::time::{Duration, Instant};
use teloxide::Bot;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub struct World {
    pub s: Squad,
    pub tg: FakeBotApi,
    pub pool: PgPool,
    http: Option<TestApi>,
    dispatch: DispatchOptions,
    running: Vec<Running>,
}

/// What a world is made of before it starts.
pub struct Blueprint {
    pool: PgPool,
    fake: FakeConfig,
    dispatch: DispatchOptions,
    http: bool,
    run: bool,
    group: ChatKind,
    bound: Option<(i64, bool)>,
}

/// A dispatcher or a bot running in a task of its own.
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<anyhow::Result<()>>,
}

/// The ids of a bound forum's system topics (the Standup topic's is not needed).
pub struct ForumTopics {
    pub approvals: i32,
    pub alerts: i32,
}

impl Running {
    /// Runs `run` until `stop` (or its end).
    pub fn spawn<F>(run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Running
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        Running {
            stop: Some(stop),
            handle: tokio::spawn(run(stopped)),
        }
    }

    fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    async fn join(self) {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("stops in time")
            .expect("no panic")
            .expect("stops cleanly");
    }

    /// Stops gracefully; it must return Ok.
    pub async fn stop(mut self) {
        self.signal();
        self.join().await;
    }

    /// A crash: the task is gone between any two instructions.
    pub fn abort(self) {
        self.handle.abort();
    }
}

impl Blueprint {
    pub fn fake(mut self, fake: FakeConfig) -> Self {
        self.fake = fake;
        self
    }

    pub fn dispatch(mut self, dispatch: DispatchOptions) -> Self {
        self.dispatch = dispatch;
        self
    }

    /// Telegram's limits scaled down 100-fold, for the fake and the dispatcher alike.
    pub fn scaled(self) -> Self {
        self.fake(scaled_fake()).dispatch(scaled_dispatch())
    }

    /// The core behind the real HTTP server (`World::api`).
    pub fn http(mut self) -> Self {
        self.http = true;
        self
    }

    /// Neither the dispatcher nor the bot runs: the test starts what it needs.
    pub fn idle(mut self) -> Self {
        self.run = false;
        self
    }

    /// What kind of chat `GROUP` is (a supergroup without topics unless said).
    pub fn group(mut self, kind: ChatKind) -> Self {
        self.group = kind;
        self
    }

    /// The project bound to `chat` by the core (not by `/bind`) before anything runs.
    pub fn bound(mut self, chat: i64, is_forum: bool) -> Self {
        self.bound = Some((chat, is_forum));
        self
    }

    pub async fn start(self) -> World {
        let (s, http) = if self.http {
            let api = spawn_app(self.pool.clone()).await;
            (squad_on(api.app.clone(), api.clock.clone()).await, Some(api))
        } else {
            (squad(self.pool.clone()).await, None)
        };
        s.app.ensure_admins(&[SOFIE]).await.unwrap();
        let system = Actor::system("test");
        s.app.grant_role(&system, OLGA, "Olga", OperatorRole::Operator).await.unwrap();
        s.app.grant_role(&system, VIC, "Vic", OperatorRole::Viewer).await.unwrap();
        let tg = FakeBotApi::start_with(TOKEN, self.fake).await.expect("fake Telegram");
        tg.add_chat(FORUM, ChatKind::Supergroup { forum: true }, "OpenClaw ops");
        tg.add_chat(GROUP, self.group, "OpenClaw plain");
        let mut w = World {
            s,
            tg,
            pool: self.pool,
            http,
            dispatch: self.dispatch,
            running: Vec::new(),
        };
        let skipped = w.dispatcher(quick()).tick().await.unwrap();
        assert_eq!(skipped as i64, count(&w.pool, "SELECT count(*) FROM outbox").await);
        if let Some((chat, is_forum)) = self.bound {
            w.s.bind(chat, is_forum).await;
        }
        if self.run {
            w.start_dispatcher();
            w.start_bot();
        }
        w
    }
}

impl World {
    pub fn build(pool: PgPool) -> Blueprint {
        Blueprint {
            pool,
            fake: fast_fake(),
            dispatch: fast_dispatch(),
            http: false,
            run: true,
            group: ChatKind::Supergroup { forum: false },
            bound: None,
        }
    }

    /// The squad, the fake, the bot and the dispatcher, with fast limits.
    pub async fn new(pool: PgPool) -> World {
        Self::build(pool).start().await
    }

    pub fn app(&self) -> &App {
        &self.s.app
    }

    /// The HTTP API of a world built with `.http()`.
    pub fn api(&self) -> &TestApi {
        self.http.as_ref().expect("a world built with .http()")
    }

    pub fn settings(&self) -> TelegramSettings {
        settings(&self.tg)
    }

    pub fn bot(&self) -> Bot {
        bot(&self.tg)
    }

    pub fn dispatcher(&self, options: DispatchOptions) -> Dispatcher {
        Dispatcher::new(self.s.app.clone(), self.bot(), options)
    }

    /// A dispatcher with `options`, running until stopped.
    pub fn start(&self, options: DispatchOptions) -> Running {
        let dispatcher = self.dispatcher(options);
        Running::spawn(|stopped| {
            dispatcher.run(async move {
                let _ = stopped.await;
            })
        })
    }

    /// The world's dispatcher, stopped with the world.
    pub fn start_dispatcher(&mut self) {
        let running = self.start(self.dispatch.clone());
        self.running.push(running);
    }

    /// The bot on long polling, stopped with the world.
    pub fn start_bot(&mut self) {
        let (app, settings) = (self.s.app.clone(), self.settings());
        let bot = bot(&self.tg);
        self.running.push(Running::spawn(|stopped| {
            bot::run_polling_with(app, bot, settings, Duration::from_secs(1), async move {
                let _ = stopped.await;
            })
        }));
    }

    /// Stops the bot and the dispatcher gracefully (both must return Ok), then the HTTP
    /// server; checks that nothing hit a limit, broke a rule or left a click unanswered.
    pub async fn stop(mut self) -> FakeBotApi {
        for running in &mut self.running {
            running.signal();
        }
        for running in self.running.drain(..) {
            running.join().await;
        }
        self.assert_clean();
        assert!(
            self.tg.unanswered_callbacks().is_empty(),
            "unanswered: {:?}",
            self.tg.unanswered_callbacks()
        );
        if let Some(api) = self.http.take() {
            api.stop().await;
        }
        self.tg
    }

    /// No 429 from the flood limits, no invalid call, no parameter Telegram does not know.
    pub fn assert_clean(&self) {
        assert_eq!(
            self.tg.rate_limited(),
            0,
            "429s: {:#?}",
            self.tg.calls().iter().filter(|c| c.rate_limited).collect::<Vec<_>>()
        );
        assert!(self.tg.violations().is_empty(), "violations: {:#?}", self.tg.violations());
        assert!(
            self.tg.unknown_params().is_empty(),
            "unknown parameters: {:?}",
            self.tg.unknown_params()
        );
    }

    // ---- what users do and what the chat shows ----

    /// `user` writes `text` in the forum's General.
    pub fn say(&self, user: &FakeUser, text: &str) -> i32 {
        self.tg.user_message(FORUM, user, text, None)
    }

    /// `user` sends `text` in the forum's General; waits for the answer containing `needle`.
    pub async fn ask(&self, user: &FakeUser, text: &str, needle: &str) -> StoredMessage {
        let sent = self.say(user, text);
        self.answer_after(FORUM, sent, needle).await
    }

    /// Waits until a bot message in `chat` (in `thread`, or anywhere) is `found`; returns all
    /// such, oldest first. `what` says what was awaited if none comes.
    async fn wait_for(&self, chat: i64, thread: Option<i32>, what: &str, found: impl Fn(&StoredMessage) -> bool) -> Vec<StoredMessage> {
        self.tg
            .wait_until(|s| s.bot_messages_in(chat, thread).iter().any(&found), WAIT)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no bot message {what} in {chat}/{thread:?}: {e}\nmessages: {:#?}",
                    texts(&self.tg, chat, thread)
                )
            });
        self.tg.bot_messages_in(chat, thread).into_iter().filter(found).collect()
    }

    /// Waits for a bot message containing `needle` in `chat` (in `thread`, or anywhere) and
    /// returns the newest such.
    pub async fn says(&self, chat: i64, thread: Option<i32>, needle: &str) -> StoredMessage {
        let mut found = self
            .wait_for(chat, thread, &format!("with {needle:?}"), |m| text(m).contains(needle))
            .await;
        found.pop().unwrap()
    }

    /// A bot message in the forum containing `needle`.
    pub async fn bot_says(&self, needle: &str) -> StoredMessage {
        self.says(FORUM, None, needle).await
    }

    /// Waits for the first bot message with buttons in `chat` (in `thread`, or anywhere).
    pub async fn card(&self, chat: i64, thread: Option<i32>) -> StoredMessage {
        let found = self.wait_for(chat, thread, "with buttons", |m| !m.buttons().is_empty()).await;
        found.into_iter().next().unwrap()
    }

    /// Waits for a bot message in `chat` containing every one of `needles`; returns its text.
    pub async fn shows(&self, chat: i64, needles: &[&str]) -> String {
        let what = format!("with {needles:?}");
        let mut found = self
            .wait_for(chat, None, &what, |m| needles.iter().all(|n| text(m).contains(n)))
            .await;
        found.pop().unwrap().text.unwrap()
    }

    /// Waits for a bot message in `chat` after message `after` containing `needle`.
    pub async fn answer_after(&self, chat: i64, after: i32, needle: &str) -> StoredMessage {
        let what = format!("with {needle:?} after {after}");
        let found = self
            .wait_for(chat, None, &what, |m| m.message_id > after && text(m).contains(needle))
            .await;
        found.into_iter().next().unwrap()
    }

    /// The toast that answered callback query `id`.
    pub async fn toast(&self, id: &str) -> String {
        let answered =
            |c: &fake_telegram::Call| c.method == "answerCallbackQuery" && c.params["callback_query_id"].as_str() == Some(id) && c.ok();
        self.tg
            .wait_until(|s| s.calls().iter().any(answered), WAIT)
            .await
            .unwrap_or_else(|e| panic!("callback {id} not answered: {e}"));
        let call = self.tg.calls().into_iter().find(answered).unwrap();
        call.params["text"].as_str().unwrap_or_default().to_string()
    }

    /// `/lang <code>` by Sofie in `chat`, answered in the new language.
    pub async fn lang(&self, chat: i64, code: &str, answer: &str) {
        self.tg.user_message(chat, &sofie(), &format!("/lang {code}"), None);
        self.shows(chat, &[answer]).await;
    }

    /// Waits until `chat` has at least `n` messages of the bot.
    pub async fn wait_messages(&self, chat: i64, n: usize, timeout: Duration) {
        self.tg
            .wait_until(|st| st.bot_messages_in(chat, None).len() >= n, timeout)
            .await
            .unwrap();
    }

    /// The bot's messages in General.
    pub fn general(&self, chat: i64) -> Vec<StoredMessage> {
        self.tg
            .bot_messages_in(chat, None)
            .into_iter()
            .filter(|m| m.thread_id.is_none())
            .collect()
    }

    /// The texts of the bot's messages in General.
    pub fn general_texts(&self, chat: i64) -> Vec<String> {
        self.general(chat).into_iter().filter_map(|m| m.text).collect()
    }

    /// The messages of a forum topic (the bot's and the users'), oldest first.
    pub fn in_topic(&self, topic: i32) -> Vec<StoredMessage> {
        self.tg.messages_in(FORUM, Some(topic))
    }

    pub fn topic(&self, chat: i64, thread: i32) -> Topic {
        self.tg.with_state(|s| s.topic(chat, thread).cloned()).expect("the topic exists")
    }

    /// The id of the topic named `name`.
    pub fn topic_named(&self, chat: i64, name: &str) -> i32 {
        self.tg
            .topics(chat)
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no topic {name}"))
            .thread_id
    }

    pub async fn action(&self, token: &str) -> ButtonAction {
        mission_control::telegram::actions::clicked(&self.s.app, token)
            .await
            .unwrap()
            .expect("the token is known")
            .0
    }

    /// What the buttons under `m` do.
    pub async fn actions(&self, m: &StoredMessage) -> Vec<ButtonAction> {
        let mut out = Vec::new();
        for b in m.buttons() {
            out.push(self.action(&b.callback_data.expect("callback button")).await);
        }
        out
    }

    // ---- the project's chat and the outbox ----

    pub async fn bind(&self, chat: i64, is_forum: bool) {
        self.s.bind(chat, is_forum).await;
    }

    /// Binds the forum (the CAO's `/bind`) and waits until it has its system topics and every
    /// open task its topic with its card, and the outbox is delivered.
    pub async fn bind_forum(&self) -> ForumTopics {
        self.say(&sofie(), "/bind openclaw");
        let deadline = Instant::now() + Duration::from_secs(180);
        let topics = loop {
            let open = count(&self.pool, "SELECT count(*) FROM tasks WHERE status NOT IN ('done', 'canceled')").await;
            let threads = count(
                &self.pool,
                "SELECT count(*) FROM task_threads WHERE topic_id IS NOT NULL AND card_message_id IS NOT NULL",
            )
            .await;
            let bound = self.s.app.binding_for_project(self.s.project.id).await.unwrap();
            let topics = bound.and_then(|b| {
                b.standup_topic_id?;
                Some(ForumTopics {
                    approvals: b.approvals_topic_id?,
                    alerts: b.alerts_topic_id?,
                })
            });
            if let Some(topics) = topics.filter(|_| threads == open) {
                break topics;
            }
            assert!(Instant::now() < deadline, "{threads} of {open} task topics after three minutes");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        self.settled().await;
        topics
    }

    /// Waits until no outbox row is pending or in flight.
    pub async fn settled(&self) {
        self.settled_within(WAIT).await
    }

    pub async fn settled_within(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let open = count(&self.pool, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").await;
            if open == 0 {
                return;
            }
            if Instant::now() >= deadline {
                let left: Vec<(i64, String, String, i16, i32, Option<String>)> = sqlx::query_as(
                    "SELECT id, kind, status, class, attempts, last_error FROM outbox
                     WHERE status IN ('pending', 'sending') ORDER BY id LIMIT 10",
                )
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
                panic!("{open} outbox rows still undelivered after {timeout:?}: {left:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn thread(&self, task: Uuid) -> Option<TaskThread> {
        let mut conn = self.pool.acquire().await.unwrap();
        mission_control::storage::telegram_messages::task_thread(&mut conn, task)
            .await
            .unwrap()
    }

    /// Waits until the task has a thread with its card, and returns it.
    pub async fn wait_thread(&self, task: Uuid) -> TaskThread {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(t) = self.thread(task).await.filter(|t| t.card_message_id.is_some()) {
                return t;
            }
            assert!(Instant::now() < deadline, "task {task} got no thread");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // ---- the core ----

    /// The operator linked to Telegram user `user`.
    pub async fn actor(&self, user: i64) -> Actor {
        self.s.app.operator_for_telegram(user).await.unwrap().expect("a linked operator")
    }

    pub async fn agent(&self, name: &str) -> Agent {
        self.s
            .app
            .agent_by_name(&Actor::system("test"), self.s.project.id, name)
            .await
            .unwrap()
    }

    pub async fn task(&self, id: Uuid) -> Task {
        self.s.app.get_task(&Actor::system("test"), id).await.unwrap()
    }

    /// A task created by Olga (from Telegram) with a $5 budget.
    pub async fn new_task(&self, title: &str, task_type: TaskType) -> Task {
        self.s
            .app
            .create_task(
                &self.actor(OLGA).await,
                self.s.project.id,
                CreateTask {
                    title: title.into(),
                    description: String::new(),
                    task_type,
                    priority: None,
                    assignee_ids: Vec::new(),
                    reviewer_id: None,
                    budget_allocated: Some(Usd::from_cents(500)),
                },
            )
            .await
            .unwrap()
    }

    /// A task created by Olga and assigned by her to `agent` (as it was created).
    pub async fn assigned_task(&self, title: &str, task_type: TaskType, agent: &Agent) -> Task {
        let task = self.new_task(title, task_type).await;
        let olga = self.actor(OLGA).await;
        self.s.app.assign_task(&olga, task.id, vec![agent.id]).await.unwrap();
        task
    }

    pub async fn heartbeat(&self, agent: &Agent) -> HeartbeatReport {
        self.s.app.heartbeat(&super::as_agent(agent), agent.id).await.unwrap()
    }

    pub async fn approval(&self, id: Uuid) -> Approval {
        self.s.app.get_approval(&self.s.cao, id).await.unwrap()
    }

    /// Scout asks for a RED action (an email); pending.
    pub async fn red_request(&self, summary: &str) -> Approval {
        let approval = self.s.ask(&self.s.scout, summary).await.unwrap();
        assert_eq!(approval.status, ApprovalStatus::Pending);
        approval
    }

    /// An alert raised by the CAO, as the watchers would.
    pub async fn raise(&self, alert_type: &str, subject: String, message: &str) -> Alert {
        self.s.raise(alert_type, AlertSeverity::Warning, subject, message).await
    }

    /// A run of `agent_id` costing `cents` (a failed one says "boom").
    pub async fn run(&self, agent_id: Uuid, cents: i64, status: RunStatus) {
        let agent = self.s.agent(agent_id).await;
        let run = RecordRun {
            status,
            error: (status == RunStatus::Failed).then(|| "boom".to_string()),
            ..super::run(agent_id, None, Usd::from_cents(cents))
        };
        self.s.record(&agent, run).await.unwrap();
    }

    /// Runs of 24¢ until the agent (an intern, $2 a day) is paused by its budget.
    pub async fn overspend(&self, agent_id: Uuid) {
        for _ in 0..9 {
            self.run(agent_id, 24, RunStatus::Succeeded).await;
        }
        assert_eq!(self.s.agent(agent_id).await.status, AgentStatus::Paused);
    }
}
