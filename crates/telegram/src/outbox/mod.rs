//! The durable outbox dispatcher: everything the bot sends is first an `outbox` row written in
//! the core's transaction; this delivers it, records Telegram's message id, and never sends a
//! delivered row again.
//!
//! - One active dispatcher per database: it holds a session-level advisory lock on a connection
//!   of its own; other replicas stand by and retry. So per-chat order holds across replicas.
//! - It wakes on `NOTIFY mc_outbox` (sent by the core on commit), on a timer for the next due
//!   row or the next free limiter slot, and polls every few seconds while LISTEN is down.
//! - Each chat is delivered by at most one worker at a time, oldest row first; chats run side
//!   by side, so a throttled or failing chat never holds up the others ([`plan`]).
//! - Rows have a traffic class (`domain::traffic`): answers to a human, then approval requests
//!   and critical alerts, then edits, then the mirroring of tasks. A chat's rows go class by
//!   class, a lower-class unit yields to a higher-class row between two calls, and the limiter
//!   keeps headroom in every window for the upper classes ([`plan`], [`limiter`]).
//! - Runs and comments of one task arriving in a burst are folded into one edited "activity"
//!   message in its thread (the rows and the timeline keep every one of them).
//! - Every call goes through the [`limiter`] (1/s per chat, 20/min per group, 30/s overall);
//!   a 429 holds the chat for `retry_after`; network errors and 5xx back off with jitter (at
//!   most 5 minutes apart) for as long as they last; permanent refusals fail the row with
//!   Telegram's words.
//! - A burst of alerts for one chat becomes digest messages, never dropped lines ([`crate::render::digest`]).
//! - Every task has its own thread (a forum topic, or replies to its card in a plain group), made
//!   and kept up to date here, paced like everything else (`deliver/threads.rs`).
//! - A crash can send the in-flight message twice (rows left `sending` go back to `pending` on
//!   start); nothing is lost. Nothing wedges either: a failed planning round frees what it
//!   claimed, rows a failed release left `sending` are reclaimed while running, and the lock's
//!   connection is made and pinged with a timeout.
//! - The database is reached only through the core's delivery interface (`app::delivery`).

mod deliver;
pub mod destination;
pub mod errors;
pub mod limiter;
mod plan;

use limiter::{Limiter, Limits};
use mc_core::app::delivery::{Delivery, Heard};
use mc_core::app::leadership::{ElectionTiming, Lease, RoleHandle};
use mc_core::app::App;
use mc_domain::i18n::Lang;
use mc_domain::roles::Role;
use mc_domain::TrafficClass;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use teloxide::Bot;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// The advisory lock key of "the" dispatcher of a database (ASCII `mcoutbox`).
pub const LOCK_KEY: i64 = 0x6d63_6f75_7462_6f78;

/// How the dispatcher paces, retries and waits. [`Default`] suits production.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Telegram's flood limits.
    pub limits: Limits,
    /// Failed attempts before a row is `failed`, for failures that are neither transient nor
    /// permanent (a refused edit or topic that could not be mended). Network errors and 5xx
    /// are retried without a cap (they pass; nothing is lost); 429s wait as told; permanent
    /// refusals fail at once.
    pub max_attempts: u32,
    /// First backoff after a failed attempt; doubles each time, up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// This many alert rows due together for a chat go out as a digest.
    pub digest_min: usize,
    /// Rows considered per chat when planning (a digest takes what fits in 4096 characters).
    pub digest_max: usize,
    /// Rows considered per planning round, over all chats.
    pub batch: usize,
    /// Polling interval while LISTEN is down.
    pub poll_interval: Duration,
    /// A safety poll even while LISTEN works.
    pub idle_poll: Duration,
    /// A standby replica retries the lock this often.
    pub standby_retry: Duration,
    /// How often the lock's connection is checked.
    pub lock_check: Duration,
    /// How long making the lock's connection, or a ping of it, may take before the lock counts
    /// as lost (a half-open connection must not keep the dispatcher waiting forever).
    pub lock_timeout: Duration,
    /// On shutdown: how long to go on delivering what is due.
    pub drain_timeout: Duration,
    /// For chats that have no language set.
    pub default_lang: Lang,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            limits: Limits::default(),
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            digest_min: 3,
            digest_max: 200,
            batch: 5000,
            poll_interval: Duration::from_secs(2),
            idle_poll: Duration::from_secs(30),
            standby_retry: Duration::from_secs(2),
            lock_check: Duration::from_millis(500),
            lock_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(5),
            default_lang: Lang::default(),
        }
    }
}

/// What the planner and the workers share about chats and rows.
#[derive(Debug, Default)]
struct ChatState {
    /// Chats with a worker delivering, with the class of its unit.
    busy: HashMap<i64, TrafficClass>,
    /// Chats whose worker should stop before its next call, for a row of this (higher) class.
    yield_to: HashMap<i64, TrafficClass>,
    /// Rows this dispatcher rescheduled, with when they are due (its own monotonic clock, so
    /// retries work whatever the core's clock says).
    row_due: HashMap<i64, Instant>,
}

/// A one-way "stop before the next call" signal for workers.
#[derive(Debug, Default)]
struct Halt {
    set: AtomicBool,
    notify: Notify,
}

impl Halt {
    fn set(&self) {
        self.set.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}

#[derive(Debug)]
struct Engine {
    /// For the buttons' callback tokens.
    app: App,
    /// Everything the dispatcher reads and writes in the database.
    delivery: Delivery,
    bot: Bot,
    opts: DispatchOptions,
    /// Shared with the bot's own calls to the same Bot API (see [`limiter::paced`]).
    limiter: limiter::SharedLimiter,
    state: Mutex<ChatState>,
    /// Something changed: a NOTIFY, a call or a worker ended.
    kick: Notify,
    /// Whether LISTEN currently works (else the loop polls).
    listening: AtomicBool,
    /// The task cards as last shown: task → (message id, what it showed), so that an edit that
    /// would change nothing is not made (forgotten on restart: then one edit too many).
    cards: Mutex<HashMap<uuid::Uuid, (i32, u64)>>,
    /// The bot's username (`getMe`, asked once), for the cards' cockpit links; None when the
    /// Mini App is not configured or Telegram did not say.
    username: tokio::sync::OnceCell<Option<String>>,
}

impl Engine {
    fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn state(&self) -> MutexGuard<'_, ChatState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cards(&self) -> MutexGuard<'_, HashMap<uuid::Uuid, (i32, u64)>> {
        self.cards.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn busy_chats(&self) -> HashMap<i64, TrafficClass> {
        self.state().busy.clone()
    }
}

/// Delivers the outbox to Telegram. See the module documentation.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    engine: Arc<Engine>,
    /// Where it says whether it is the active dispatcher (`/health`, `/metrics`).
    role: RoleHandle,
}

/// Why serving stopped.
enum Served {
    Shutdown,
    LockLost,
}

impl Dispatcher {
    pub fn new(app: App, bot: Bot, options: DispatchOptions) -> Self {
        Dispatcher {
            engine: Arc::new(Engine {
                limiter: limiter::shared_for(&bot, &options.limits),
                delivery: app.delivery(),
                app,
                bot,
                opts: options,
                state: Mutex::new(ChatState::default()),
                kick: Notify::new(),
                listening: AtomicBool::new(false),
                cards: Mutex::new(HashMap::new()),
                username: tokio::sync::OnceCell::new(),
            }),
            role: RoleHandle::detached(Role::Dispatcher),
        }
    }

    /// Reports whether it is active or standing by through `role`.
    pub fn reporting_to(mut self, role: RoleHandle) -> Self {
        self.role = role;
        self
    }

    /// Delivers what is due now, as far as Telegram's limits allow at this moment (one unit per
    /// ready chat: a message, an edit, a digest), and waits for it. Returns the rows finished
    /// (delivered, failed or skipped). For tests and one-off use: it does not take the lock.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let plan = self.engine.plan(Instant::now()).await?;
        let halt = Arc::new(Halt::default());
        let mut workers = JoinSet::new();
        for unit in plan.units {
            let engine = self.engine.clone();
            let halt = halt.clone();
            workers.spawn(async move { engine.execute(unit, &halt).await });
        }
        let mut done = plan.skipped;
        while let Some(finished) = workers.join_next().await {
            done += finished?;
        }
        Ok(done)
    }

    /// Runs until `shutdown` resolves: waits for the lock (standing by while another replica
    /// holds it: `app::leadership`, as every elected role), puts rows a crashed dispatcher left
    /// `sending` back, then delivers. On shutdown it goes on delivering what is due for at most
    /// `drain_timeout`, lets calls in flight finish, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        tokio::pin!(shutdown);
        let opts = &self.engine.opts;
        let election = self.engine.delivery.election(
            LOCK_KEY,
            self.role.clone(),
            ElectionTiming {
                retry: opts.standby_retry,
                check: opts.lock_check,
                timeout: opts.lock_timeout,
            },
        );
        let mut lost = false;
        loop {
            // After a loss (a blip, a failover) the lock is taken again at once, not at the
            // next regular attempt: the only replica is back within moments of the database.
            let acquired = match lost {
                true => election.reacquire(&mut shutdown).await,
                false => election.acquire(&mut shutdown).await,
            };
            let Some(lease) = acquired else {
                return Ok(());
            };
            match self.serve(lease, &mut shutdown).await {
                Ok(Served::Shutdown) => return Ok(()),
                Ok(Served::LockLost) => {
                    tracing::warn!("outbox dispatcher lost its lock connection; taking it again");
                    self.role.lost();
                    lost = true;
                }
                // Taking over failed half-way (the database went away again): not a reason to
                // stop delivering for good.
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "outbox dispatcher could not take over; trying again");
                    self.role.lost();
                    lost = true;
                }
            }
        }
    }

    async fn serve<S: Future<Output = ()>>(&self, mut lease: Lease, shutdown: &mut std::pin::Pin<&mut S>) -> anyhow::Result<Served> {
        let engine = &self.engine;
        let opts = &engine.opts;
        {
            let reset = engine.delivery.reclaim_all().await?;
            if reset > 0 {
                tracing::warn!(
                    rows = reset,
                    "outbox: rows left in flight by a previous dispatcher are pending again"
                );
            }
            // What a predecessor called in the last minute still counts at Telegram (what this
            // dispatcher called itself before a blip is counted already, and not twice).
            let recent = engine.delivery.recent_calls(Duration::from_secs(61)).await?;
            let now = Instant::now();
            let mut calls: Vec<(i64, Instant)> = recent
                .into_iter()
                .filter_map(|(chat, age_ms)| now.checked_sub(Duration::from_millis(age_ms.max(0) as u64)).map(|at| (chat, at)))
                .collect();
            calls.sort_by_key(|(_, at)| *at);
            engine.limiter().record_predecessors(&calls);
        }
        // Aborted however serving ends, also when this future is dropped (a crash in tests).
        let listener = AbortOnDrop(tokio::spawn(listen(engine.clone())));
        let halt = Arc::new(Halt::default());
        let mut workers: JoinSet<usize> = JoinSet::new();
        // Resolves when the lock's connection fails or stops answering.
        let mut lost = Box::pin(lease.lost());
        let mut drain_until: Option<tokio::time::Instant> = None;
        let mut outcome = Served::Shutdown;
        let mut last_plan: Option<Instant> = None;
        loop {
            let kicked = engine.kick.notified();
            tokio::pin!(kicked);
            kicked.as_mut().enable();
            // Many NOTIFYs in a burst: plan at most every 20 ms.
            if let Some(at) = last_plan {
                let gap = Duration::from_millis(20).saturating_sub(at.elapsed());
                if !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
            }
            last_plan = Some(Instant::now());
            let plan = match engine.plan(Instant::now()).await {
                Ok(plan) => plan,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: planning failed; retrying");
                    plan::Plan {
                        wake_at: Some(Instant::now() + opts.poll_interval),
                        ..Default::default()
                    }
                }
            };
            let started = plan.units.len();
            for unit in plan.units {
                let engine = engine.clone();
                let halt = halt.clone();
                workers.spawn(async move { engine.execute(unit, &halt).await });
            }
            if drain_until.is_some() && started == 0 && workers.is_empty() && !plan.due_waiting {
                break;
            }
            let idle = if engine.listening.load(Ordering::Acquire) {
                opts.idle_poll
            } else {
                opts.poll_interval
            };
            let wake = plan.wake_at.map_or(Instant::now() + idle, |w| w.min(Instant::now() + idle));
            tokio::select! {
                _ = &mut kicked => {}
                Some(done) = workers.join_next(), if !workers.is_empty() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "outbox worker panicked");
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = shutdown.as_mut(), if drain_until.is_none() => {
                    drain_until = Some(tokio::time::Instant::now() + opts.drain_timeout);
                }
                _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)), if drain_until.is_some() => break,
                e = &mut lost => {
                    tracing::warn!(error = %e, "outbox: the lock's connection failed");
                    outcome = Served::LockLost;
                    break;
                }
            }
        }
        // Workers stop before their next call; calls in flight finish.
        halt.set();
        while let Some(done) = workers.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "outbox worker panicked");
            }
        }
        drop(listener);
        engine.listening.store(false, Ordering::Release);
        drop(lost);
        if matches!(outcome, Served::Shutdown) {
            lease.release().await;
        }
        Ok(outcome)
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// LISTEN on the outbox channel; every notification (and every reconnection, which may have
/// missed some) kicks the planner. While it cannot listen, the planner polls.
async fn listen(engine: Arc<Engine>) {
    loop {
        match engine.delivery.listen().await {
            Ok(mut listener) => {
                engine.listening.store(true, Ordering::Release);
                engine.kick.notify_waiters();
                loop {
                    match listener.next().await {
                        // Another replica answered a click or registered commands: it counts
                        // in this bot's global window.
                        Ok(Heard::CallElsewhere) => {
                            engine.limiter().record_past(limiter::NO_CHAT, Instant::now());
                        }
                        Ok(Heard::Queued) => engine.kick.notify_waiters(),
                        // Reconnected: notifications may have been missed meanwhile.
                        Ok(Heard::Reconnected) => engine.kick.notify_waiters(),
                        Err(e) => {
                            tracing::warn!(error = %e, "outbox: LISTEN failed; polling meanwhile");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "outbox: cannot LISTEN; polling meanwhile"),
        }
        engine.listening.store(false, Ordering::Release);
        engine.kick.notify_waiters();
        tokio::time::sleep(engine.opts.poll_interval).await;
    }
}
