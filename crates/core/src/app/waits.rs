//! Calls that wait for news: the long-poll heartbeat, and waiting for an approval's decision or
//! a question's answer.
//!
//! They add no rule and write nothing of their own (but for handing back what a caller that
//! went away was not told): each reads through the ordinary use case
//! (`heartbeat`, `get_approval`), and between two reads sleeps on the agent's wake-up channel
//! (`app::wake`) holding no database connection. A commit that concerns the agent (a pause, a
//! decision, a notification) wakes it, and the next read has the news; so a waiting call
//! answers as soon as the change is committed, and a kill switch reaches every waiting agent
//! at once. What counts as news, and how long a call may wait, is `domain::waits`.
//!
//! A kill switch wakes every waiting agent in the same instant, and a thousand heartbeat
//! transactions one after the other would tell the last agent seconds late. So the waiting
//! heartbeat's reads go through a queue ([`HeartbeatQueue`]): while one batch is being read,
//! the reads asked for meanwhile gather, and the next batch reads them all in one transaction
//! (`App::heartbeats`) — a few statements, however many agents.

use super::agents::{stop_reason, HeartbeatReport};
use super::approvals::RequestApproval;
use super::tokens::Credential;
use super::{App, AppError, AppResult};
use crate::model::Approval;
use crate::storage;
use mc_domain::i18n::Msg;
use mc_domain::waits::{heartbeat_is_news, refresh_every};
use mc_domain::{Actor, WaitSeconds};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;
use uuid::Uuid;

/// An approval as the API shows it, and whether the agent that asked must stop: a wait for a
/// decision also ends when the agent is paused or quarantined meanwhile.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalAnswer {
    #[serde(flatten)]
    pub approval: Approval,
    pub stop: bool,
    pub reason: Option<String>,
}

/// Most heartbeats read in one transaction.
const BATCH: usize = 500;

/// Heartbeats waiting callers asked for and no batch has read yet.
#[derive(Debug, Default)]
pub struct HeartbeatQueue {
    state: Mutex<QueueState>,
}

/// Where a queued heartbeat's answer goes: `None` when its batch failed as a whole.
type Answer = oneshot::Sender<Option<AppResult<HeartbeatReport>>>;

#[derive(Debug, Default)]
struct QueueState {
    asks: Vec<(Actor, Uuid, Option<Uuid>, Answer)>,
    /// A task is reading batches; it stops when it finds the queue empty.
    reading: bool,
}

impl App {
    /// The heartbeat, read in the next batch. A batch that fails as a whole (a database blip)
    /// answers `None`, and the caller reads alone, getting its own error if there is one.
    async fn heartbeat_batched(&self, actor: &Actor, agent_id: Uuid, token: Option<Uuid>) -> AppResult<HeartbeatReport> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut queue = self.beats.state.lock().expect("heartbeat queue");
            queue.asks.push((actor.clone(), agent_id, token, tx));
            !std::mem::replace(&mut queue.reading, true)
        };
        if start {
            tokio::spawn(self.clone().read_heartbeats());
        }
        match rx.await {
            Ok(Some(answer)) => answer,
            _ => {
                let mut answers = Box::pin(self.heartbeats(&[(actor.clone(), agent_id, token)])).await?;
                answers.pop().expect("one answer per heartbeat")
            }
        }
    }

    /// Reads the queued heartbeats batch by batch until none is left.
    async fn read_heartbeats(self) {
        loop {
            let batch: Vec<_> = {
                let mut queue = self.beats.state.lock().expect("heartbeat queue");
                if queue.asks.is_empty() {
                    queue.reading = false;
                    return;
                }
                // A caller that went away (its client hung up) is not read for.
                queue.asks.retain(|(_, _, _, tx)| !tx.is_closed());
                let n = queue.asks.len().min(BATCH);
                queue.asks.drain(..n).collect()
            };
            if batch.is_empty() {
                continue;
            }
            let asks: Vec<(Actor, Uuid, Option<Uuid>)> = batch.iter().map(|(actor, id, token, _)| (actor.clone(), *id, *token)).collect();
            match self.heartbeats(&asks).await {
                Ok(answers) => {
                    let mut unheard = Vec::new();
                    for ((_, _, _, tx), answer) in batch.into_iter().zip(answers) {
                        if let Err(Some(Ok(report))) = tx.send(Some(answer)) {
                            unheard.extend(report.notifications.iter().map(|n| n.id));
                        }
                    }
                    if let Err(e) = self.give_back_notifications(&unheard).await {
                        tracing::warn!(error = %e, "heartbeat notifications of callers that went away stay taken");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, agents = asks.len(), "a batch of heartbeats failed; each reads alone");
                    for (_, _, _, tx) in batch {
                        let _ = tx.send(None);
                    }
                }
            }
        }
    }

    /// Notifications taken for callers that went away while their batch was read: undelivered
    /// again, for the agent's next heartbeat.
    async fn give_back_notifications(&self, ids: &[Uuid]) -> AppResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        Ok(storage::notifications::give_back(&mut conn, ids).await?)
    }

    /// The heartbeat, waiting up to `wait` for news (a notification, or `stop` changing) when
    /// there is none. Each read records a heartbeat, and a long wait records one at least every
    /// half stale period, so a waiting agent never looks stale. `held`, the token the call was
    /// made with, bounds the wait: revoked or rotated meanwhile, the wait ends with 401 at the
    /// wake-up the change sends, having taken nothing; it never outlives the token's expiry.
    pub async fn heartbeat_waiting(
        &self,
        actor: &Actor,
        agent_id: Uuid,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<HeartbeatReport> {
        let token = held.map(|c| c.token_id);
        if wait.is_zero() {
            return Box::pin(self.heartbeat_batched(actor, agent_id, token)).await;
        }
        let _slot = self.wait_slot(actor, agent_id)?;
        let (deadline, expires) = self.wait_deadline(wait, held.as_ref());
        let refresh = refresh_every(self.rules.stale_after.to_std().unwrap_or(Duration::from_secs(300)));
        let mut woken = self.wakes.subscribe(agent_id);
        // The reads are boxed: a waiting call keeps only its small state for the whole wait,
        // not room for a use case's future.
        let mut report = Box::pin(self.heartbeat_batched(actor, agent_id, token)).await?;
        if !report.notifications.is_empty() {
            return Ok(report);
        }
        let stop_at_start = report.stop;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() && expires {
                return Err(expired());
            }
            if left.is_zero() || self.wakes.is_closed() {
                return Ok(report);
            }
            woken.woken_within(self.wakes.slice(left).min(refresh)).await;
            report = Box::pin(self.heartbeat_batched(actor, agent_id, token)).await?;
            if heartbeat_is_news(stop_at_start, report.stop, report.notifications.len()) {
                return Ok(report);
            }
        }
    }

    /// When a wait of `wait` made with `held` must end, and whether that is the token's expiry.
    fn wait_deadline(&self, wait: WaitSeconds, held: Option<&Credential>) -> (Instant, bool) {
        let asked = Instant::now() + wait.duration();
        let Some(at) = held.and_then(|c| c.expires_at) else {
            return (asked, false);
        };
        let left = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        let expiry = Instant::now() + left;
        if expiry <= asked {
            (expiry, true)
        } else {
            (asked, false)
        }
    }

    /// One of the agent's open waits, held while it waits: at most
    /// `rules.max_waits_per_agent` at once (a leaked token cannot pile waits up).
    fn wait_slot(&self, actor: &Actor, agent_id: Uuid) -> AppResult<WaitSlot> {
        let max = self.rules.max_waits_per_agent;
        let mut open = self.waiting.lock().expect("wait slots");
        let held = open.entry(agent_id).or_insert(0);
        if *held >= max {
            return Err(AppError::Busy {
                message: Msg::new("err-too-many-waits").with("agent", actor.name()).count("max", max as f64),
                retry_after_secs: 1,
            });
        }
        *held += 1;
        Ok(WaitSlot {
            slots: self.waiting.clone(),
            agent_id,
        })
    }

    /// Asks for an approval, then waits up to `wait` for its decision when policy left it to a
    /// person.
    pub async fn request_approval_waiting(
        &self,
        actor: &Actor,
        input: RequestApproval,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<ApprovalAnswer> {
        let approval = self.request_approval(actor, input).await?;
        self.wait_for_decision(actor, approval, wait, held).await
    }

    /// An approval, waiting up to `wait` for its decision while it is open.
    pub async fn await_approval(
        &self,
        actor: &Actor,
        approval_id: Uuid,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<ApprovalAnswer> {
        let approval = self.get_approval(actor, approval_id).await?;
        self.wait_for_decision(actor, approval, wait, held).await
    }

    /// Ends at the decision (by a person, a button, a command, the API or expiry: each wakes
    /// the requesting agent), when that agent is told to stop, or after `wait`.
    pub(super) async fn wait_for_decision(
        &self,
        actor: &Actor,
        approval: Approval,
        wait: WaitSeconds,
        held: Option<Credential>,
    ) -> AppResult<ApprovalAnswer> {
        let (id, agent_id) = (approval.id, approval.agent_id);
        let watched = Watched { agent_id, wait, held };
        let (approval, reason) = self
            .wait_while_open(actor, watched, approval, |a| a.status.is_open(), || self.get_approval(actor, id))
            .await?;
        Ok(ApprovalAnswer {
            approval,
            stop: reason.is_some(),
            reason,
        })
    }

    /// Waits on what an agent is waiting for — an approval's decision, a question's answer —
    /// while `open` says it is still open: re-reads it with `read` after each wake-up of the
    /// agent, and ends when it closes, when the agent is told to stop meanwhile, or after the
    /// wait. Returns it as last read, and why the agent must stop (if it must).
    pub(super) async fn wait_while_open<T, F, Fut>(
        &self,
        actor: &Actor,
        watched: Watched,
        first: T,
        open: impl Fn(&T) -> bool,
        read: F,
    ) -> AppResult<(T, Option<String>)>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = AppResult<T>>,
    {
        let Watched { agent_id, wait, held } = watched;
        let (deadline, expires) = self.wait_deadline(wait, held.as_ref());
        let _slot = match wait.is_zero() || !open(&first) {
            true => None,
            false => Some(self.wait_slot(actor, agent_id)?),
        };
        let mut woken = (!wait.is_zero() && open(&first)).then(|| self.wakes.subscribe(agent_id));
        // Read again once subscribed: nothing committed from here on goes unheard.
        let mut current = match woken {
            Some(_) => Box::pin(read()).await?,
            None => first,
        };
        let mut reason = stop_reason(&Box::pin(self.get_agent(actor, agent_id)).await?);
        let stopped_at_start = reason.is_some();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if woken.is_some() && open(&current) {
                if left.is_zero() && expires {
                    return Err(expired());
                }
                if let Some(why) = Box::pin(self.credential_refusal(held.as_ref())).await? {
                    return Err(AppError::Unauthenticated(why));
                }
            }
            let stopped_meanwhile = reason.is_some() && !stopped_at_start;
            let Some(sub) = woken
                .as_mut()
                .filter(|_| open(&current) && !stopped_meanwhile && !left.is_zero() && !self.wakes.is_closed())
            else {
                return Ok((current, reason));
            };
            sub.woken_within(self.wakes.slice(left)).await;
            current = Box::pin(read()).await?;
            reason = stop_reason(&Box::pin(self.get_agent(actor, agent_id)).await?);
        }
    }
}

/// Whose wake-ups a wait listens to, for how long, and the token it was made with (which
/// bounds it).
pub(super) struct Watched {
    pub agent_id: Uuid,
    pub wait: WaitSeconds,
    pub held: Option<Credential>,
}

/// A wait's end at its token's expiry.
fn expired() -> AppError {
    AppError::Unauthenticated(Msg::new("err-wait-token-expired"))
}

/// An open wait of an agent; given back when the wait ends, however it ends.
#[derive(Debug)]
struct WaitSlot {
    slots: Arc<Mutex<HashMap<Uuid, usize>>>,
    agent_id: Uuid,
}

impl Drop for WaitSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock().expect("wait slots");
        if let Some(held) = open.get_mut(&self.agent_id) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.agent_id);
            }
        }
    }
}
