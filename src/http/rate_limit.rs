//! A per-token request budget (`http.rate_limit_per_minute`), answered with 429 + Retry-After.

use super::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;
use std::sync::Arc;

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
