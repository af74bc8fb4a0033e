//! Wake-ups for agents waiting inside a call (a long-poll heartbeat, an MCP tool waiting for a
//! decision), so that a pause or a decision reaches them the moment it commits; and for the
//! cockpit's live feeds, when audit events were written.
//!
//! The wake-up comes from the commit: a use case that leaves an agent a notification (every
//! pause, quarantine, resume, assignment, comment and approval decision does) names the agent
//! to its `Work`, which sends `NOTIFY` in the same transaction (`storage::wake`). PostgreSQL
//! delivers it only if the transaction commits, and to every replica. One listener task per
//! process ([`listen`]) turns each notification into a tick of that agent's in-process
//! channel here; waiters subscribe to the channels of the agents they wait for.
//!
//! A waiter holds no database connection while it waits: it subscribes, reads through the
//! normal use case, then sleeps on its channel (with a timeout) and reads again when woken.
//! Subscribing before reading means no wake-up is lost between the read and the sleep.
//! While the listener is down (a database blip), waiters poll every
//! [`POLL_WHILE_DEAF`] instead, and every waiter is woken when it comes back, since
//! notifications may have been missed meanwhile.

use crate::storage;
use sqlx::PgPool;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

/// How often a waiter re-reads while no listener hears the database's notifications.
pub const POLL_WHILE_DEAF: Duration = Duration::from_secs(1);

/// Who a wake-up was for, as [`Wakes::watch_all`] tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    Agent(Uuid),
    /// Everyone (after a reconnection, at shutdown), or more wake-ups than a watcher kept up with.
    All,
}

/// The in-process side: one channel per agent somebody is waiting for.
#[derive(Debug)]
pub struct Wakes {
    channels: Mutex<HashMap<Uuid, watch::Sender<u64>>>,
    /// Every wake-up, for watchers of all agents (the MCP sessions' credentials); they do not
    /// count as waiters.
    all: broadcast::Sender<Woken>,
    /// Ticks when audit events were written (the cockpit's live feeds read then).
    audit: watch::Sender<u64>,
    /// A listener currently hears the database's notifications.
    listening: AtomicBool,
    /// The service is shutting down: waits end now with the answer they have.
    closed: AtomicBool,
}

impl Default for Wakes {
    fn default() -> Self {
        Wakes {
            channels: Mutex::default(),
            all: broadcast::channel(1024).0,
            audit: watch::channel(0).0,
            listening: AtomicBool::default(),
            closed: AtomicBool::default(),
        }
    }
}

impl Wakes {
    /// Every wake-up from now on; a watcher that falls behind hears [`Woken::All`] instead.
    pub fn watch_all(&self) -> broadcast::Receiver<Woken> {
        self.all.subscribe()
    }

    /// Ticks from now on each time audit events were written (and at every [`Wakes::wake_all`]).
    /// Subscribe, then read, then wait.
    pub fn watch_audit(&self) -> watch::Receiver<u64> {
        self.audit.subscribe()
    }

    /// Audit events were written: the live feeds read.
    pub fn audit_written(&self) {
        self.audit.send_modify(|tick| *tick = tick.wrapping_add(1));
    }

    /// Waits for wake-ups of `agent` from now on. Subscribe, then read, then wait.
    pub fn subscribe(self: &Arc<Self>, agent: Uuid) -> Subscription {
        let mut channels = self.channels.lock().expect("wake channels");
        let rx = channels.entry(agent).or_insert_with(|| watch::channel(0).0).subscribe();
        Subscription {
            rx,
            agent,
            wakes: self.clone(),
        }
    }

    /// Wakes everyone waiting for `agent`.
    pub fn wake(&self, agent: Uuid) {
        let _ = self.all.send(Woken::Agent(agent));
        if let Some(tx) = self.channels.lock().expect("wake channels").get(&agent) {
            tx.send_modify(|tick| *tick = tick.wrapping_add(1));
        }
    }

    /// Wakes every waiter: after a reconnection (notifications may have been missed), when the
    /// listener goes deaf (so they start polling), and at shutdown.
    pub fn wake_all(&self) {
        let _ = self.all.send(Woken::All);
        self.audit_written();
        for tx in self.channels.lock().expect("wake channels").values() {
            tx.send_modify(|tick| *tick = tick.wrapping_add(1));
        }
    }

    /// Agents someone is waiting for (the metrics and the benchmark read it).
    pub fn waiting_agents(&self) -> usize {
        self.channels.lock().expect("wake channels").len()
    }

    /// How many calls wait for `agent` right now.
    pub fn subscribers(&self, agent: Uuid) -> usize {
        self.channels
            .lock()
            .expect("wake channels")
            .get(&agent)
            .map_or(0, |tx| tx.receiver_count())
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
    }

    /// Ends every wait now (the service is stopping: a wait must not hold up the shutdown).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake_all();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// How long a waiter may sleep before it must look again by itself: all of `left` while
    /// the listener hears the database, else the polling interval.
    pub fn slice(&self, left: Duration) -> Duration {
        if self.is_listening() {
            left
        } else {
            left.min(POLL_WHILE_DEAF)
        }
    }
}

/// One waiter's interest in one agent's wake-ups; dropping it unsubscribes.
pub struct Subscription {
    rx: watch::Receiver<u64>,
    agent: Uuid,
    wakes: Arc<Wakes>,
}

impl Subscription {
    /// Resolves at the next wake-up after the last one seen (or at once if one came since the
    /// subscription or the previous call), or after `timeout`; `true` when woken.
    pub async fn woken_within(&mut self, timeout: Duration) -> bool {
        matches!(tokio::time::timeout(timeout, self.rx.changed()).await, Ok(Ok(())))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = self.wakes.channels.lock().expect("wake channels");
        // This receiver is still alive here: the channel goes when it is the last one.
        if channels.get(&self.agent).is_some_and(|tx| tx.receiver_count() <= 1) {
            channels.remove(&self.agent);
        }
    }
}

/// The process's listener: LISTENs on the wake channel over a connection of its own and
/// ticks the agents' channels, reconnecting after a database blip, until `stop` resolves.
pub async fn listen(pool: PgPool, wakes: Arc<Wakes>, stop: impl Future<Output = ()>) {
    tokio::select! {
        _ = stop => {}
        _ = listen_forever(pool, wakes.clone()) => {}
    }
    wakes.set_listening(false);
}

async fn listen_forever(pool: PgPool, wakes: Arc<Wakes>) {
    const RETRY: Duration = Duration::from_secs(1);
    loop {
        match storage::wake::listen(&pool).await {
            Ok(mut listener) => {
                wakes.set_listening(true);
                // Whatever was committed while nobody listened is read again by every waiter.
                wakes.wake_all();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) if notification.channel() == storage::wake::AUDIT_CHANNEL => wakes.audit_written(),
                        Ok(Some(notification)) => {
                            for agent in storage::wake::agents_in(notification.payload()) {
                                wakes.wake(agent);
                            }
                        }
                        // Reconnected: notifications may have been missed meanwhile.
                        Ok(None) => wakes.wake_all(),
                        Err(e) => {
                            tracing::warn!(error = %e, "agent wake-ups: LISTEN failed; waiters poll meanwhile");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "agent wake-ups: cannot LISTEN; waiters poll meanwhile"),
        }
        wakes.set_listening(false);
        wakes.wake_all();
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_reaches_the_agents_waiters_only() {
        let wakes = Arc::new(Wakes::default());
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut first = wakes.subscribe(a);
        let mut second = wakes.subscribe(a);
        let mut other = wakes.subscribe(b);
        wakes.wake(a);
        assert!(first.woken_within(Duration::from_millis(10)).await);
        assert!(second.woken_within(Duration::from_millis(10)).await);
        assert!(!other.woken_within(Duration::from_millis(10)).await);
        assert!(!first.woken_within(Duration::from_millis(10)).await, "seen once");
    }

    #[tokio::test]
    async fn a_wake_between_subscribing_and_waiting_is_not_lost() {
        let wakes = Arc::new(Wakes::default());
        let agent = Uuid::new_v4();
        let mut sub = wakes.subscribe(agent);
        wakes.wake(agent);
        assert!(sub.woken_within(Duration::ZERO).await);
    }

    #[tokio::test]
    async fn channels_go_with_their_last_waiter() {
        let wakes = Arc::new(Wakes::default());
        let agent = Uuid::new_v4();
        let first = wakes.subscribe(agent);
        let second = wakes.subscribe(agent);
        assert_eq!(wakes.waiting_agents(), 1);
        drop(first);
        assert_eq!(wakes.waiting_agents(), 1);
        drop(second);
        assert_eq!(wakes.waiting_agents(), 0);
        wakes.wake(agent);
    }

    #[tokio::test]
    async fn closing_wakes_everyone_and_deaf_waiters_poll() {
        let wakes = Arc::new(Wakes::default());
        let mut sub = wakes.subscribe(Uuid::new_v4());
        assert_eq!(wakes.slice(Duration::from_secs(30)), POLL_WHILE_DEAF);
        wakes.set_listening(true);
        assert_eq!(wakes.slice(Duration::from_secs(30)), Duration::from_secs(30));
        wakes.close();
        assert!(wakes.is_closed());
        assert!(sub.woken_within(Duration::ZERO).await);
    }
}
