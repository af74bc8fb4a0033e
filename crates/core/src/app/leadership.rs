//! Who does what among the replicas of `serve` on one database: an [`Election`] for work that
//! one replica at a time must do, and [`Roles`], what this replica holds now and since when.
//!
//! Why an advisory lock on a connection of its own: PostgreSQL releases a session lock the moment
//! the session ends, so a replica that dies (even `kill -9`: its socket closes) frees the role at
//! once, and the database that already is the shared engine needs nothing more (no lease
//! table, no clock agreement). A pooled connection would not do: it outlives the task that took
//! the lock. The holder pings that connection every `check` (half a second), with timeouts on connecting and
//! pinging, so a dead link to the database is noticed and the work stops before another
//! replica could take over; standbys try again every `retry`.

use crate::storage;
use chrono::{DateTime, Utc};
use mc_domain::roles::{self, Role, RoleState, Signs};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strum::VariantArray;

/// The advisory lock key of the poller of a database (ASCII `mcpoller`).
pub const POLLER_LOCK: i64 = 0x6d63_706f_6c6c_6572;

#[derive(Debug, Clone, Copy)]
struct Held {
    state: RoleState,
    since: DateTime<Utc>,
    lost: Option<Instant>,
    conflict: Option<Instant>,
    /// 409s in the current episode (none further apart than [`roles::INCIDENT_MEMORY`]).
    conflicts: u32,
    /// The last sign of life and how often one is expected.
    beat: Option<(Instant, Duration)>,
}

impl Held {
    fn new(state: RoleState) -> Self {
        Held {
            state,
            since: Utc::now(),
            lost: None,
            conflict: None,
            conflicts: 0,
            beat: None,
        }
    }
}

/// What one role of this replica reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleReport {
    pub role: Role,
    pub state: RoleState,
    /// Since when the role is in the state its worker last set (wall clock).
    pub since: DateTime<Utc>,
}

/// The roles of this replica: every role starts [`RoleState::Disabled`] and is set by its worker
/// through a [`RoleHandle`]. Cheap to clone; clones share.
#[derive(Debug, Clone)]
pub struct Roles {
    held: Arc<Mutex<HashMap<Role, Held>>>,
}

impl Default for Roles {
    fn default() -> Self {
        Roles {
            held: Arc::new(Mutex::new(
                Role::VARIANTS.iter().map(|r| (*r, Held::new(RoleState::Disabled))).collect(),
            )),
        }
    }
}

impl Roles {
    pub fn handle(&self, role: Role) -> RoleHandle {
        RoleHandle { roles: self.clone(), role }
    }

    fn with<R>(&self, role: Role, f: impl FnOnce(&mut Held) -> R) -> R {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        f(held.entry(role).or_insert_with(|| Held::new(RoleState::Disabled)))
    }

    /// Every role, in [`Role::VARIANTS`] order, as it is to be reported now.
    pub fn report(&self) -> Vec<RoleReport> {
        let now = Instant::now();
        Role::VARIANTS
            .iter()
            .map(|role| {
                self.with(*role, |h| RoleReport {
                    role: *role,
                    state: roles::reported(
                        h.state,
                        Signs {
                            lost: h.lost.map(|at| now - at),
                            // One 409 happens when the poller changes hands; repeated ones are
                            // another deployment on the same token.
                            conflict: h.conflict.filter(|_| h.conflicts > 1).map(|at| now - at),
                            beat: h.beat.map(|(at, every)| (now - at, every)),
                        },
                    ),
                    since: h.since,
                })
            })
            .collect()
    }

    /// Whether every role reports a healthy state (standing by is healthy).
    pub fn healthy(&self) -> bool {
        self.report().iter().all(|r| r.state.is_healthy())
    }
}

/// What a worker uses to say how its role goes.
#[derive(Debug, Clone)]
pub struct RoleHandle {
    roles: Roles,
    role: Role,
}

impl RoleHandle {
    /// A handle reporting to nowhere visible (for workers run outside `serve`, e.g. in tests).
    pub fn detached(role: Role) -> Self {
        Roles::default().handle(role)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The state its worker last set.
    pub fn state(&self) -> RoleState {
        self.roles.with(self.role, |h| h.state)
    }

    pub fn set(&self, state: RoleState) {
        self.roles.with(self.role, |h| {
            if h.state != state {
                h.state = state;
                h.since = Utc::now();
            }
            if state == RoleState::Active {
                h.lost = None;
            }
        });
    }

    pub fn active(&self) {
        self.set(RoleState::Active);
    }

    pub fn standby(&self) {
        self.set(RoleState::Standby);
    }

    /// The lock was lost: standing by, reported as lost for a while.
    pub fn lost(&self) {
        self.set(RoleState::Standby);
        self.roles.with(self.role, |h| h.lost = Some(Instant::now()));
    }

    /// Telegram answered 409 Conflict. Returns how many it did in this episode (409s no
    /// further apart than [`roles::INCIDENT_MEMORY`]): one is a hand-over between replicas (the
    /// old poller's last call and the new one's first), more is another deployment polling the
    /// same token, reported from the second on.
    pub fn conflict(&self) -> u32 {
        let now = Instant::now();
        self.roles.with(self.role, |h| {
            if h.conflict.is_none_or(|at| now - at >= roles::INCIDENT_MEMORY) {
                h.conflicts = 0;
            }
            h.conflict = Some(now);
            h.conflicts += 1;
            h.conflicts
        })
    }

    /// A sign of life of a worker expected to give one at least every `every`.
    pub fn beat(&self, every: Duration) {
        self.roles.with(self.role, |h| h.beat = Some((Instant::now(), every)));
    }
}

/// The first pause of [`Election::reacquire`] after a failed attempt.
const EAGER_FIRST: Duration = Duration::from_millis(50);
/// The longest pause of [`Election::reacquire`] while it is eager, and for how long it is.
const EAGER_MAX: Duration = Duration::from_millis(500);
const EAGER_FOR: Duration = Duration::from_secs(30);

/// How long an elected role whose work failed waits before it tries again.
const AFTER_FAILURE: Duration = Duration::from_secs(10);

/// How an [`Election`] waits and checks.
#[derive(Debug, Clone, Copy)]
pub struct ElectionTiming {
    /// A standby tries to take the lock this often.
    pub retry: Duration,
    /// The holder checks its lock's connection this often.
    pub check: Duration,
    /// Connecting for the lock, and each check, fail after this long.
    pub timeout: Duration,
}

impl Default for ElectionTiming {
    fn default() -> Self {
        ElectionTiming {
            retry: Duration::from_secs(1),
            // Two pings a second: a lost lock connection (a blip) is noticed within half a second.
            check: Duration::from_millis(500),
            timeout: Duration::from_secs(3),
        }
    }
}

/// One role elected among the replicas on a database. See the module documentation.
#[derive(Debug, Clone)]
pub struct Election {
    connect: PgConnectOptions,
    key: i64,
    handle: RoleHandle,
    timing: ElectionTiming,
}

/// The lock, held while this value lives (dropping it closes the connection without a word;
/// the server frees the lock when it notices).
#[derive(Debug)]
pub struct Lease {
    conn: PgConnection,
    timing: ElectionTiming,
}

impl Lease {
    /// Resolves when the lock's connection fails or stops answering: the lock is then gone, or
    /// soon will be.
    pub async fn lost(&mut self) -> anyhow::Error {
        let mut check = tokio::time::interval(self.timing.check);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        check.tick().await;
        loop {
            check.tick().await;
            if let Err(e) = ping_lock(&mut self.conn, self.timing.timeout).await {
                return e;
            }
        }
    }

    /// Gives the lock back at once.
    pub async fn release(self) {
        let _ = tokio::time::timeout(self.timing.timeout, self.conn.close()).await;
    }
}

/// One attempt at the session advisory lock `key` on a connection of its own (not the pool's:
/// a pooled connection would keep the lock after the task that took it crashed). The connection
/// when the lock was free; every step gives up after `timeout`. Shared by every elected role
/// (the outbox dispatcher's lock too).
pub(crate) async fn try_lock(connect: &PgConnectOptions, key: i64, timeout: Duration) -> anyhow::Result<Option<PgConnection>> {
    let mut conn = tokio::time::timeout(timeout, PgConnection::connect_with(connect))
        .await
        .map_err(|_| anyhow::anyhow!("connecting took longer than {timeout:?}"))??;
    let locked = tokio::time::timeout(timeout, storage::try_advisory_lock(&mut conn, key))
        .await
        .map_err(|_| anyhow::anyhow!("the lock query took longer than {timeout:?}"))??;
    Ok(locked.then_some(conn))
}

/// Whether a lock's connection still answers within `timeout` (else the lock is gone or soon
/// will be).
pub(crate) async fn ping_lock(conn: &mut PgConnection, timeout: Duration) -> anyhow::Result<()> {
    match tokio::time::timeout(timeout, storage::ping(conn)).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(anyhow::anyhow!("the lock's connection did not answer within {timeout:?}")),
    }
}

/// A stop signal handed to the work of an elected role.
pub type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Election {
    pub fn new(pool: &PgPool, key: i64, handle: RoleHandle, timing: ElectionTiming) -> Self {
        Election {
            connect: (*pool.connect_options()).clone(),
            key,
            handle,
            timing,
        }
    }

    /// Waits until this replica holds the lock (standing by meanwhile); `None` on shutdown.
    pub async fn acquire<S: Future<Output = ()>>(&self, shutdown: &mut Pin<&mut S>) -> Option<Lease> {
        self.acquire_after(shutdown, self.timing.retry).await
    }

    /// The same, right after this replica lost the lock (its connection died: a database
    /// blip, a failover): it tries again at once, then after 50, 100, 200… ms, at most every
    /// half second for the first half minute, then at the regular `retry`: the only replica is
    /// back within moments of the database accepting connections (a standby elsewhere that
    /// takes the lock first is as good).
    pub async fn reacquire<S: Future<Output = ()>>(&self, shutdown: &mut Pin<&mut S>) -> Option<Lease> {
        self.acquire_after(shutdown, EAGER_FIRST).await
    }

    async fn acquire_after<S: Future<Output = ()>>(&self, shutdown: &mut Pin<&mut S>, first_wait: Duration) -> Option<Lease> {
        let role = self.handle.role();
        let mut announced = false;
        let mut wait = first_wait.min(self.timing.retry);
        // Only a reacquire is eager; a standby asks at the regular pace.
        let eager_until = Instant::now() + if wait < self.timing.retry { EAGER_FOR } else { Duration::ZERO };
        loop {
            match try_lock(&self.connect, self.key, self.timing.timeout).await {
                Ok(Some(conn)) => {
                    tracing::info!(%role, "this replica is the active {role}");
                    self.handle.active();
                    return Some(Lease { conn, timing: self.timing });
                }
                Ok(None) => {
                    if !announced {
                        tracing::info!(%role, "another replica is the active {role}; standing by");
                        announced = true;
                    }
                    self.handle.standby();
                }
                Err(e) => {
                    tracing::warn!(%role, error = %e, "cannot reach the database for the {role} lock");
                    self.handle.standby();
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.as_mut() => return None,
            }
            let cap = match Instant::now() < eager_until {
                true => EAGER_MAX.min(self.timing.retry),
                false => self.timing.retry,
            };
            wait = (wait * 2).min(cap);
        }
    }

    /// Runs `work` whenever this replica holds the lock, until `shutdown`. The work gets a stop
    /// signal that fires on shutdown and when the lock is lost; it must return soon after. When
    /// the work ends by itself the lock is given back and taken again after `retry` (an error
    /// is logged and reported as [`RoleState::Stopped`] meanwhile).
    pub async fn run<W, F>(self, shutdown: impl Future<Output = ()> + Send, mut work: W) -> anyhow::Result<()>
    where
        W: FnMut(StopSignal) -> F,
        F: Future<Output = anyhow::Result<()>>,
    {
        let role = self.handle.role();
        tokio::pin!(shutdown);
        let mut lost = false;
        loop {
            let acquired = match lost {
                true => self.reacquire(&mut shutdown).await,
                false => self.acquire(&mut shutdown).await,
            };
            lost = false;
            let Some(mut lease) = acquired else {
                self.handle.set(RoleState::Disabled);
                return Ok(());
            };
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let signal: StopSignal = Box::pin(async move {
                let mut stopped = stopped;
                let _ = stopped.wait_for(|s| *s).await;
            });
            let running = work(signal);
            tokio::pin!(running);
            tokio::select! {
                ended = &mut running => {
                    lease.release().await;
                    match ended {
                        Ok(()) => self.handle.standby(),
                        Err(e) => {
                            tracing::error!(%role, error = format!("{e:#}"), "the {role} stopped; trying again");
                            self.handle.set(RoleState::Stopped);
                        }
                    }
                }
                _ = shutdown.as_mut() => {
                    let _ = stop.send(true);
                    let ended = running.await;
                    lease.release().await;
                    self.handle.set(RoleState::Disabled);
                    return ended;
                }
                e = lease.lost() => {
                    tracing::warn!(%role, error = %e, "the {role} lost its lock; stopping and standing by");
                    let _ = stop.send(true);
                    self.handle.lost();
                    if let Err(e) = running.await {
                        tracing::warn!(%role, error = format!("{e:#}"), "the {role} ended with an error");
                    }
                    drop(lease);
                    lost = true;
                    continue;
                }
            }
            // After a failure, give the cause (Telegram down, a refused token) time to pass.
            let pause = if self.handle.state() == RoleState::Stopped {
                AFTER_FAILURE
            } else {
                self.timing.retry
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.as_mut() => {
                    self.handle.set(RoleState::Disabled);
                    return Ok(());
                }
            }
        }
    }
}
