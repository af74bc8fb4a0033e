//! Request budgets answered with 429 + Retry-After: per token (`http.rate_limit_per_minute`),
//! and for failed authentication per client address (`http.auth_failures_per_minute`).

use super::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys that have not been seen for a while are dropped once the map grows past this.
const SHRINK_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct TokenLimiter {
    limiter: Option<Arc<DefaultKeyedRateLimiter<[u8; 32]>>>,
}

impl TokenLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn per_minute(per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))));
        TokenLimiter { limiter }
    }

    /// Counts one request for `token` (unknown tokens too, which slows down guessing). Keyed by
    /// the token's hash so the map never holds credentials.
    pub fn check(&self, token: &str) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if limiter.len() > SHRINK_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(wait.as_secs().max(1))
        })
    }
}

/// How long a token that authenticated counts as known: a throttled address still gets its
/// requests with such a token checked (and answered), so a client that works is not slowed.
const KNOWN_GOOD_FOR: Duration = Duration::from_secs(10 * 60);
/// A client address's failures are counted in windows of this length.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Failed authentication, throttled per client address (`http.auth_failures_per_minute`):
/// after that many requests with a token that did not authenticate within a minute, the address
/// gets 429 with `Retry-After` for the rest of the minute — before its token is looked up, so a
/// guesser costs no database query. Tokens that authenticated recently are still checked (a
/// valid client behind the same address keeps working). Kept in memory, per server.
#[derive(Clone)]
pub struct AuthThrottle {
    inner: Option<Arc<Mutex<Throttled>>>,
    per_minute: u32,
}

#[derive(Default)]
struct Throttled {
    /// Per address: when its window started and how many failures it holds.
    failures: HashMap<IpAddr, (Instant, u32)>,
    /// Hashes of tokens that authenticated, with when they last did.
    known_good: HashMap<[u8; 32], Instant>,
}

/// The key of a token in the throttle's memory: its SHA-256, never the token.
pub fn token_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AuthThrottle {
    /// `per_minute == 0` turns throttling off.
    pub fn per_minute(per_minute: u32) -> Self {
        AuthThrottle {
            inner: (per_minute > 0).then(|| Arc::new(Mutex::new(Throttled::default()))),
            per_minute,
        }
    }

    fn state(&self) -> Option<std::sync::MutexGuard<'_, Throttled>> {
        // A poisoned lock only means a panic elsewhere mid-update of counters: keep counting.
        self.inner.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Before a token is checked: 429 when `addr` is over its failures for this minute and the
    /// token is not one that authenticated recently.
    pub fn admit(&self, addr: IpAddr, key: &[u8; 32]) -> Result<(), ApiError> {
        let Some(state) = self.state() else { return Ok(()) };
        let now = Instant::now();
        let Some((started, failures)) = state.failures.get(&addr).copied() else {
            return Ok(());
        };
        let elapsed = now.duration_since(started);
        if elapsed >= FAILURE_WINDOW || failures < self.per_minute {
            return Ok(());
        }
        if state.known_good.get(key).is_some_and(|at| now.duration_since(*at) < KNOWN_GOOD_FOR) {
            return Ok(());
        }
        let wait = (FAILURE_WINDOW - elapsed).as_secs().max(1);
        Err(ApiError::throttled(wait))
    }

    /// A token from `addr` did not authenticate.
    pub fn failed(&self, addr: IpAddr) {
        let Some(mut state) = self.state() else { return };
        let now = Instant::now();
        if state.failures.len() > SHRINK_ABOVE {
            state
                .failures
                .retain(|_, (started, _)| now.duration_since(*started) < FAILURE_WINDOW);
        }
        let entry = state.failures.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 == self.per_minute {
            tracing::warn!(client = %addr, failures = entry.1, "failed authentication throttled for this address");
        }
    }

    /// A token authenticated.
    pub fn succeeded(&self, key: [u8; 32]) {
        let Some(mut state) = self.state() else { return };
        let now = Instant::now();
        if state.known_good.len() > SHRINK_ABOVE {
            state.known_good.retain(|_, at| now.duration_since(*at) < KNOWN_GOOD_FOR);
        }
        state.known_good.insert(key, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_throttled_after_its_failures_but_known_tokens_pass() {
        let throttle = AuthThrottle::per_minute(3);
        let guesser: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let good = token_key("mco_good");
        throttle.succeeded(good);
        for _ in 0..3 {
            assert!(throttle.admit(guesser, &token_key("guess")).is_ok());
            throttle.failed(guesser);
        }
        let refused = throttle.admit(guesser, &token_key("guess")).unwrap_err();
        assert_eq!(refused.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.retry_after_secs.is_some_and(|s| (1..=60).contains(&s)));
        assert!(throttle.admit(guesser, &good).is_ok(), "a token that works still works");
        assert!(throttle.admit(other, &token_key("guess")).is_ok(), "per address");
        assert!(AuthThrottle::per_minute(0).admit(guesser, &token_key("x")).is_ok(), "off");
    }
}
