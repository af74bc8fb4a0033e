//! Request budgets answered with 429 + Retry-After: per principal — the agent or operator
//! behind the token — (`http.rate_limit_per_minute`), and for failed authentication per client
//! address (`http.auth_failures_per_minute`).

use super::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Keys that have not been seen for a while are dropped once the map grows past this.
const SHRINK_ABOVE: usize = 10_000;

#[derive(Clone)]
pub struct TokenLimiter {
    limiter: Option<Arc<DefaultKeyedRateLimiter<Uuid>>>,
}

impl TokenLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn per_minute(per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))));
        TokenLimiter { limiter }
    }

    /// Counts one request of the principal (the agent or operator a token stands for), so a
    /// new token does not bring a new budget: rotating or holding several tokens changes
    /// nothing. Requests with tokens that do not authenticate are counted by [`AuthThrottle`].
    pub fn check(&self, principal: Uuid) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if limiter.len() > SHRINK_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(&principal).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(wait.as_secs().max(1))
        })
    }
}

/// A client address's failures are counted in windows of this length.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Most client addresses the throttle remembers; past it the least recently failing go.
const MAX_ADDRESSES: usize = 10_000;

/// Failed authentication, throttled per client address (`http.auth_failures_per_minute`):
/// after that many requests with a token that did not authenticate within a minute, the address
/// gets 429 with `Retry-After` for the rest of the minute for tokens that do not work — which
/// costs a guesser's requests no database query ([`mc_core::app::App::token_is_live`] answers
/// from memory). A token that works is never refused because of others' failures: a new agent
/// behind the same NAT or proxy keeps working. IPv6 addresses count by their /64 (one host
/// has many). Kept in memory, per server, bounded.
#[derive(Clone)]
pub struct AuthThrottle {
    inner: Option<Arc<Mutex<Failures>>>,
    per_minute: u32,
}

/// Per client key: when its window started and how many failures it holds.
type Failures = HashMap<IpAddr, (Instant, u32)>;

/// The address a client's failures count under: itself for IPv4, its /64 for IPv6.
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl AuthThrottle {
    /// `per_minute == 0` turns throttling off.
    pub fn per_minute(per_minute: u32) -> Self {
        AuthThrottle {
            inner: (per_minute > 0).then(|| Arc::new(Mutex::new(HashMap::new()))),
            per_minute,
        }
    }

    fn state(&self) -> Option<std::sync::MutexGuard<'_, Failures>> {
        // A poisoned lock only means a panic elsewhere mid-update of counters: keep counting.
        self.inner.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether `addr` is over its failures for this minute: the seconds left, if it is. Its
    /// requests then pass only with a token known to work.
    pub fn over_limit(&self, addr: IpAddr) -> Option<u64> {
        let state = self.state()?;
        let (started, failures) = state.get(&client_key(addr)).copied()?;
        let elapsed = Instant::now().duration_since(started);
        if elapsed >= FAILURE_WINDOW || failures < self.per_minute {
            return None;
        }
        Some((FAILURE_WINDOW - elapsed).as_secs().max(1))
    }

    /// A token from `addr` did not authenticate.
    pub fn failed(&self, addr: IpAddr) {
        let Some(mut state) = self.state() else { return };
        let now = Instant::now();
        if state.len() >= MAX_ADDRESSES {
            state.retain(|_, (started, _)| now.duration_since(*started) < FAILURE_WINDOW);
        }
        if state.len() >= MAX_ADDRESSES {
            // Still full of live windows: forget the oldest half (their counts start again).
            let mut starts: Vec<Instant> = state.values().map(|(started, _)| *started).collect();
            starts.sort();
            let cut = starts[starts.len() / 2];
            state.retain(|_, (started, _)| *started > cut);
        }
        let key = client_key(addr);
        let entry = state.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 == self.per_minute {
            tracing::warn!(client = %key, failures = entry.1, "failed authentication throttled for this address");
        }
    }

    /// Addresses remembered (bounded by [`MAX_ADDRESSES`]).
    pub fn remembered(&self) -> usize {
        self.state().map_or(0, |s| s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_throttled_after_its_failures() {
        let throttle = AuthThrottle::per_minute(3);
        let guesser: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.over_limit(guesser).is_none());
            throttle.failed(guesser);
        }
        assert!(throttle.over_limit(guesser).is_some_and(|s| (1..=60).contains(&s)));
        assert!(throttle.over_limit(other).is_none(), "per address");
        assert!(AuthThrottle::per_minute(0).over_limit(guesser).is_none(), "off");
    }

    #[test]
    fn ipv6_counts_by_its_64_and_the_table_stays_bounded() {
        let throttle = AuthThrottle::per_minute(2);
        throttle.failed("2001:db8:1:2::1".parse().unwrap());
        throttle.failed("2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(throttle.over_limit("2001:db8:1:2::77".parse().unwrap()).is_some(), "one /64");
        assert!(throttle.over_limit("2001:db8:1:3::1".parse().unwrap()).is_none());
        for i in 0..(MAX_ADDRESSES as u32 + 500) {
            throttle.failed(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)));
        }
        assert!(throttle.remembered() <= MAX_ADDRESSES);
    }
}
