//! Telegram's flood limits, as the fake enforces them.
//!
//! - per chat: a token bucket of `per_chat_burst` tokens refilled one per `per_chat_interval`
//!   (about one message a second, with a small burst tolerated);
//! - per group or supergroup (chat id < 0): at most `group_per_minute` in any 60 s window;
//! - overall: at most `global_per_second` in any 1 s window.
//!
//! A call over a limit is refused with the number of seconds to wait (`retry_after`); a refused call
//! consumes nothing.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The limits; [`Default`] matches Telegram's published numbers.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Refill interval of a chat's bucket: one call per this interval in the long run.
    pub per_chat_interval: Duration,
    /// How many calls a chat may make back to back before the interval applies.
    pub per_chat_burst: u32,
    /// Calls per 60 s window in one group or supergroup (chat id < 0).
    pub group_per_minute: u32,
    /// Calls per 1 s window over all chats.
    pub global_per_second: u32,
    /// When false nothing is rate limited (the calls are still recorded).
    pub enforce_limits: bool,
    /// The bot's username as `getMe` reports it.
    pub bot_username: String,
    /// The bot's first name as `getMe` reports it.
    pub bot_first_name: String,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            per_chat_interval: Duration::from_secs(1),
            per_chat_burst: 3,
            group_per_minute: 20,
            global_per_second: 30,
            enforce_limits: true,
            bot_username: "mission_control_test_bot".to_owned(),
            bot_first_name: "Mission Control".to_owned(),
        }
    }
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    PerChat,
    Group,
    Global,
}

/// A refusal: which limit, and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub kind: LimitKind,
    pub wait: Duration,
}

impl Limited {
    /// Whole seconds, at least one, as Telegram's `retry_after`.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0);
        secs.max(1)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limiter's state; time is passed in so that tests can drive it.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: HashMap<i64, Bucket>,
    groups: HashMap<i64, VecDeque<Instant>>,
    global: VecDeque<Instant>,
}

const MINUTE: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);

impl Limiter {
    /// Admits one call for `chat` (None for calls bound to no chat, which count only globally),
    /// or says which limit it breaks.
    pub fn admit(&mut self, cfg: &FakeConfig, chat: Option<i64>, now: Instant) -> Result<(), Limited> {
        prune(&mut self.global, now, SECOND);
        if self.global.len() >= cfg.global_per_second as usize {
            let wait = SECOND.saturating_sub(now.saturating_duration_since(self.global[0]));
            return Err(Limited {
                kind: LimitKind::Global,
                wait,
            });
        }
        let mut bucket = None;
        if let Some(chat) = chat {
            let b = self.refilled(cfg, chat, now);
            if b.tokens < 1.0 {
                let wait = cfg.per_chat_interval.mul_f64(1.0 - b.tokens);
                return Err(Limited {
                    kind: LimitKind::PerChat,
                    wait,
                });
            }
            bucket = Some(b);
            if chat < 0 {
                let window = self.groups.entry(chat).or_default();
                prune(window, now, MINUTE);
                if window.len() >= cfg.group_per_minute as usize {
                    let wait = MINUTE.saturating_sub(now.saturating_duration_since(window[0]));
                    return Err(Limited {
                        kind: LimitKind::Group,
                        wait,
                    });
                }
            }
        }
        self.global.push_back(now);
        if let (Some(chat), Some(mut b)) = (chat, bucket) {
            b.tokens -= 1.0;
            self.buckets.insert(chat, b);
            if chat < 0 {
                self.groups.entry(chat).or_default().push_back(now);
            }
        }
        Ok(())
    }

    fn refilled(&self, cfg: &FakeConfig, chat: i64, now: Instant) -> Bucket {
        let cap = f64::from(cfg.per_chat_burst.max(1));
        match self.buckets.get(&chat) {
            None => Bucket { tokens: cap, at: now },
            Some(b) => {
                let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
                let per = cfg.per_chat_interval.as_secs_f64();
                let gained = if per > 0.0 { elapsed / per } else { cap };
                Bucket {
                    tokens: (b.tokens + gained).min(cap),
                    at: now,
                }
            }
        }
    }
}

fn prune(window: &mut VecDeque<Instant>, now: Instant, span: Duration) {
    while let Some(front) = window.front() {
        if now.saturating_duration_since(*front) >= span {
            window.pop_front();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn per_chat_burst_then_one_per_interval() {
        let cfg = FakeConfig::default();
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.admit(&cfg, Some(7), t0).unwrap();
        }
        let refused = l.admit(&cfg, Some(7), t0).unwrap_err();
        assert_eq!(refused.kind, LimitKind::PerChat);
        assert_eq!(refused.retry_after_secs(), 1);
        // Another chat is not affected.
        l.admit(&cfg, Some(8), t0).unwrap();
        // Half a token is not enough; a whole one is.
        assert!(l.admit(&cfg, Some(7), t0 + ms(500)).is_err());
        l.admit(&cfg, Some(7), t0 + ms(1000)).unwrap();
        assert!(l.admit(&cfg, Some(7), t0 + ms(1100)).is_err());
        // One a second is sustainable forever.
        for i in 2..30 {
            l.admit(&cfg, Some(7), t0 + ms(1000 * i)).unwrap();
        }
    }

    #[test]
    fn group_window_of_a_minute() {
        let cfg = FakeConfig {
            per_chat_burst: 100,
            per_chat_interval: ms(1),
            ..FakeConfig::default()
        };
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            l.admit(&cfg, Some(-100), t0 + ms(i * 100)).unwrap();
        }
        let refused = l.admit(&cfg, Some(-100), t0 + ms(2500)).unwrap_err();
        assert_eq!(refused.kind, LimitKind::Group);
        assert_eq!(refused.retry_after_secs(), 58); // 60 s after the first, 57.5 s from now
                                                    // Private chats have no per-minute window.
        for i in 0..25 {
            l.admit(&cfg, Some(5), t0 + ms(2600 + i)).unwrap();
        }
        // The window slides.
        l.admit(&cfg, Some(-100), t0 + ms(60_000)).unwrap();
        assert!(l.admit(&cfg, Some(-100), t0 + ms(60_050)).is_err());
        l.admit(&cfg, Some(-100), t0 + ms(60_100)).unwrap();
    }

    #[test]
    fn global_thirty_a_second() {
        let cfg = FakeConfig::default();
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for chat in 0..30 {
            l.admit(&cfg, Some(chat + 1), t0 + ms(chat as u64)).unwrap();
        }
        let refused = l.admit(&cfg, Some(1000), t0 + ms(100)).unwrap_err();
        assert_eq!(refused.kind, LimitKind::Global);
        assert_eq!(refused.retry_after_secs(), 1);
        l.admit(&cfg, Some(1000), t0 + ms(1000)).unwrap();
    }

    #[test]
    fn refused_calls_consume_nothing() {
        let cfg = FakeConfig {
            per_chat_burst: 1,
            ..FakeConfig::default()
        };
        let mut l = Limiter::default();
        let t0 = Instant::now();
        l.admit(&cfg, Some(1), t0).unwrap();
        for i in 1..10 {
            assert!(l.admit(&cfg, Some(1), t0 + ms(i * 10)).is_err());
        }
        l.admit(&cfg, Some(1), t0 + ms(1000)).unwrap();
    }

    #[test]
    fn retry_after_rounds_up() {
        let l = Limited {
            kind: LimitKind::Group,
            wait: ms(1001),
        };
        assert_eq!(l.retry_after_secs(), 2);
        let l = Limited {
            kind: LimitKind::Group,
            wait: Duration::ZERO,
        };
        assert_eq!(l.retry_after_secs(), 1);
    }
}
