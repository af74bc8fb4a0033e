//! Long polling that never confirms an update before it has been handled.
//!
//! Telegram forgets an update once a `getUpdates` call asks for a later offset. teloxide's own
//! `Polling` asks for the next batch as soon as the previous one is queued to the workers, so a
//! crash while a batch is being handled would lose it. This listener hands out a batch, waits
//! until every update of it was handled (each handling holds a [`Handling`] guard, dropped when
//! the handler tree is done with the update), and only then asks for more. A crash at any point
//! therefore leaves the unhandled updates with Telegram, which delivers them again on restart;
//! the ones already handled are recognised by their id (`processed_updates`) and act once.

use futures_util::stream::{BoxStream, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::requests::Requester;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use teloxide::{Bot, RequestError};
use tokio::sync::Notify;

/// The update kinds the bot handles.
pub const ALLOWED_UPDATES: [AllowedUpdate; 3] = [AllowedUpdate::Message, AllowedUpdate::EditedMessage, AllowedUpdate::CallbackQuery];

/// A handler stuck longer than this no longer holds back the next batch (it is logged).
const MAX_HANDLING: Duration = Duration::from_secs(120);

/// Updates handed to the dispatcher and not yet handled.
#[derive(Debug, Default)]
pub struct InFlight {
    ids: Mutex<HashMap<u32, usize>>,
    idle: Notify,
}

impl InFlight {
    fn start(&self, id: u32) {
        *self.ids.lock().expect("in-flight lock").entry(id).or_default() += 1;
    }

    fn finish(&self, id: u32) {
        let mut ids = self.ids.lock().expect("in-flight lock");
        if let Some(n) = ids.get_mut(&id) {
            *n -= 1;
            if *n == 0 {
                ids.remove(&id);
            }
        }
        if ids.is_empty() {
            self.idle.notify_waiters();
        }
    }

    fn is_idle(&self) -> bool {
        self.ids.lock().expect("in-flight lock").is_empty()
    }

    /// Waits until every update handed out was handled; false after `max`.
    async fn wait_idle(&self, max: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + max;
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_idle() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.is_idle();
            }
        }
    }

    /// A guard marking update `id` handled when dropped.
    pub fn handling(self: &Arc<Self>, id: u32) -> Handling {
        Handling {
            id,
            in_flight: self.clone(),
        }
    }
}

/// Held while an update is being handled (it lives in the handler tree's dependencies).
#[derive(Debug)]
pub struct Handling {
    id: u32,
    in_flight: Arc<InFlight>,
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.in_flight.finish(self.id);
    }
}

/// The listener: `getUpdates` with the configured long-polling timeout.
pub struct DurablePolling {
    bot: Bot,
    timeout: Duration,
    in_flight: Arc<InFlight>,
    token: StopToken,
    flag: Option<StopFlag>,
}

impl DurablePolling {
    pub fn new(bot: Bot, timeout: Duration, in_flight: Arc<InFlight>) -> Self {
        let (token, flag) = mk_stop_token();
        DurablePolling {
            bot,
            timeout,
            in_flight,
            token,
            flag: Some(flag),
        }
    }
}

impl UpdateListener for DurablePolling {
    type Err = RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    /// The bot asks for exactly [`ALLOWED_UPDATES`], whatever the handler tree says.
    fn hint_allowed_updates(&mut self, _hint: &mut dyn Iterator<Item = AllowedUpdate>) {}
}

struct PollState {
    bot: Bot,
    timeout_secs: u32,
    in_flight: Arc<InFlight>,
    flag: StopFlag,
    offset: i32,
    buffer: VecDeque<Update>,
    errors: u32,
}

impl<'a> AsUpdateStream<'a> for DurablePolling {
    type StreamErr = RequestError;
    type Stream = BoxStream<'a, Result<Update, RequestError>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let flag = match self.flag.take() {
            Some(flag) => flag,
            None => {
                // A second run: a fresh stop token (the caller asks for it again).
                let (token, flag) = mk_stop_token();
                self.token = token;
                flag
            }
        };
        let state = PollState {
            bot: self.bot.clone(),
            timeout_secs: self.timeout.as_secs().min(u32::MAX as u64) as u32,
            in_flight: self.in_flight.clone(),
            flag,
            offset: 0,
            buffer: VecDeque::new(),
            errors: 0,
        };
        futures_util::stream::unfold(state, next).boxed()
    }
}

fn backoff(errors: u32) -> Duration {
    Duration::from_secs(1u64 << errors.min(5)).min(Duration::from_secs(30))
}

async fn next(mut s: PollState) -> Option<(Result<Update, RequestError>, PollState)> {
    loop {
        if let Some(update) = s.buffer.pop_front() {
            return Some((Ok(update), s));
        }
        // Everything handed out so far must be handled before the next call confirms it.
        if !s.in_flight.wait_idle(MAX_HANDLING).await {
            tracing::warn!(timeout = ?MAX_HANDLING, "telegram: updates still being handled; polling on");
        }
        if s.flag.is_stopped() {
            if s.offset != 0 {
                // Confirms what was handled, so a restart does not fetch it again.
                let _ = s.bot.get_updates().offset(s.offset).limit(1).timeout(0).await;
            }
            return None;
        }
        let request = s
            .bot
            .get_updates()
            .offset(s.offset)
            .timeout(s.timeout_secs)
            .allowed_updates(ALLOWED_UPDATES);
        let result = tokio::select! {
            result = request => Some(result),
            _ = &mut s.flag => None,
        };
        match result {
            None => continue,
            Some(Ok(updates)) => {
                s.errors = 0;
                for update in &updates {
                    // Updates teloxide cannot parse never reach the handlers.
                    if !matches!(update.kind, UpdateKind::Error(_)) {
                        s.in_flight.start(update.id.0);
                    }
                }
                if let Some(last) = updates.last() {
                    s.offset = last.id.as_offset();
                }
                s.buffer.extend(updates);
            }
            Some(Err(err)) => {
                let delay = match &err {
                    RequestError::RetryAfter(seconds) => seconds.duration(),
                    _ => {
                        s.errors = s.errors.saturating_add(1);
                        backoff(s.errors)
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = &mut s.flag => {}
                }
                return Some((Err(err), s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_every_guard() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.wait_idle(Duration::from_millis(10)).await);
        in_flight.start(1);
        in_flight.start(1);
        in_flight.start(2);
        let first = in_flight.handling(1);
        let second = in_flight.handling(1);
        let third = in_flight.handling(2);
        drop(first);
        drop(third);
        assert!(
            !in_flight.wait_idle(Duration::from_millis(10)).await,
            "a redelivered copy is still in flight"
        );
        let waiter = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move { in_flight.wait_idle(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(second);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(10), Duration::from_secs(30));
    }
}
