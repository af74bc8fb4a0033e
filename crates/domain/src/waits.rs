//! Waiting for news: how long an agent may wait in one call, and what ends a wait early.
//!
//! An agent that has nothing to do waits inside a call (`heartbeat?wait=`, the MCP tools'
//! `waitSeconds`) instead of polling: the call answers the moment there is news, so a pause
//! reaches it at once and a decision is seen as soon as it is committed. These are the rules
//! of such a wait; the core does the waiting (`app::waits`).

use super::values::Invalid;
use crate::i18n::Msg;
use std::time::Duration;

/// How long one call may wait, in seconds. Long enough that an idle agent makes a few calls an
/// hour, short enough that proxies and clients with ten-minute timeouts keep the call open.
pub const MAX_WAIT_SECS: u64 = 600;

/// A wait of 0 to [`MAX_WAIT_SECS`] seconds; 0 answers at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WaitSeconds(u64);

impl WaitSeconds {
    pub const NONE: WaitSeconds = WaitSeconds(0);

    /// `field` names the parameter in the error: `wait` on the REST API, `waitSeconds` in MCP.
    pub fn new(field: &'static str, seconds: u64) -> Result<Self, Invalid> {
        if seconds > MAX_WAIT_SECS {
            return Err(Invalid::new(
                field,
                Msg::new("err-between").with("min", 0).with("max", MAX_WAIT_SECS as i64),
            ));
        }
        Ok(WaitSeconds(seconds))
    }

    /// Absent means no wait.
    pub fn optional(field: &'static str, seconds: Option<u64>) -> Result<Self, Invalid> {
        seconds.map_or(Ok(Self::NONE), |s| Self::new(field, s))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn secs(self) -> u64 {
        self.0
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(self.0)
    }
}

/// Whether a heartbeat read during a wait is news, and so ends it: a notification (every
/// pause, quarantine, resume, assignment, comment and decision leaves one for the agent), or a
/// change of `stop` since the wait began. A stop the agent was already told about is not news,
/// so a paused agent can wait for its resume without being answered again and again.
pub fn heartbeat_is_news(stop_at_start: bool, stop_now: bool, notifications: usize) -> bool {
    notifications > 0 || stop_now != stop_at_start
}

/// How often a waiting heartbeat records itself again, so that a long wait never looks like a
/// stale agent (`stale_after` of silence raises an alert): twice per stale period, at least
/// every second.
pub fn refresh_every(stale_after: Duration) -> Duration {
    (stale_after / 2).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded() {
        assert_eq!(WaitSeconds::new("wait", 600).unwrap().secs(), 600);
        assert!(WaitSeconds::new("wait", 0).unwrap().is_zero());
        let err = WaitSeconds::new("waitSeconds", 601).unwrap_err();
        assert_eq!(err.field, "waitSeconds");
        assert!(err.to_string().contains("600"), "{err}");
        assert_eq!(WaitSeconds::optional("wait", None).unwrap(), WaitSeconds::NONE);
    }

    #[test]
    fn news_is_a_notification_or_a_change_of_stop() {
        assert!(!heartbeat_is_news(false, false, 0));
        assert!(!heartbeat_is_news(true, true, 0), "a known stop is not news");
        assert!(heartbeat_is_news(false, true, 0), "paused during the wait");
        assert!(heartbeat_is_news(true, false, 0), "resumed during the wait");
        assert!(heartbeat_is_news(true, true, 1));
    }

    #[test]
    fn a_wait_refreshes_the_heartbeat_before_it_goes_stale() {
        assert_eq!(refresh_every(Duration::from_secs(300)), Duration::from_secs(150));
        assert_eq!(refresh_every(Duration::from_millis(10)), Duration::from_secs(1));
    }
}
