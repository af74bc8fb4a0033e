//! The roles a replica of `serve` can hold, and when what it reports about them is healthy.
//!
//! Several replicas run on one database as one bot. Some work must be done by exactly one of
//! them at a time (polling Telegram, delivering the outbox): those roles are elected, and the
//! others stand by. Others run everywhere (the scheduler, whose occurrences are claimed in the
//! database). `/health` and `/metrics` show what each replica holds, so an operator sees which
//! one polls and which ones wait. A standby is as healthy as the active one: only a role that
//! broke (its worker stopped, it lost its lock, Telegram refused it) makes a replica degraded.

use serde::Serialize;
use std::time::Duration;
use strum::{Display, IntoStaticStr, VariantArray};

/// A piece of work a replica may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Display, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Takes Telegram's updates (`getUpdates` in polling mode; registering the webhook in
    /// webhook mode). Elected: one per database.
    Poller,
    /// Delivers the outbox. Elected: one per database.
    Dispatcher,
    /// Fires the scheduled jobs. On every replica with `jobs.enabled`.
    Scheduler,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a replica reports about one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Display, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RoleState {
    /// Not configured here (no bot token, `jobs.enabled = false`).
    Disabled,
    /// Waiting for the elected holder to go away.
    Standby,
    /// Doing the work.
    Active,
    /// Lost its lock (the lock's connection failed) lately; standing by again.
    Lost,
    /// Its worker ended while the service was still running.
    Stopped,
    /// Telegram ends this replica's `getUpdates` with 409 Conflict: another deployment polls
    /// the same token. It backs off.
    Conflict,
    /// Active, but has not shown a sign of life for far longer than it should.
    Stalled,
}

impl RoleState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether a replica reporting this is healthy. Standing by is.
    pub fn is_healthy(self) -> bool {
        matches!(self, RoleState::Disabled | RoleState::Standby | RoleState::Active)
    }
}

/// How long a lost lock or a 409 is still reported after it happened.
pub const INCIDENT_MEMORY: Duration = Duration::from_secs(60);

/// What happened to a role lately, as ages (time since), for [`reported`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signs {
    /// Since the lock was last lost.
    pub lost: Option<Duration>,
    /// Since Telegram last answered 409 Conflict.
    pub conflict: Option<Duration>,
    /// Since the last sign of life, with how often one is expected.
    pub beat: Option<(Duration, Duration)>,
}

/// The state to report for a role whose worker last said `state`, given recent `signs`:
/// a standby that lost its lock within [`INCIDENT_MEMORY`] is `Lost`; an active one with a
/// recent 409 is `Conflict`; an active one silent for more than twice its beat plus ten
/// seconds is `Stalled`.
pub fn reported(state: RoleState, signs: Signs) -> RoleState {
    let recent = |age: Option<Duration>| age.is_some_and(|a| a < INCIDENT_MEMORY);
    match state {
        RoleState::Standby if recent(signs.lost) => RoleState::Lost,
        RoleState::Active if recent(signs.conflict) => RoleState::Conflict,
        RoleState::Active if signs.beat.is_some_and(|(age, every)| age > every * 2 + Duration::from_secs(10)) => RoleState::Stalled,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_standby_is_healthy_a_broken_role_is_not() {
        assert!(RoleState::Standby.is_healthy());
        assert!(RoleState::Active.is_healthy());
        assert!(RoleState::Disabled.is_healthy());
        for broken in [RoleState::Lost, RoleState::Stopped, RoleState::Conflict, RoleState::Stalled] {
            assert!(!broken.is_healthy(), "{broken}");
        }
    }

    #[test]
    fn incidents_are_reported_for_a_while() {
        let lost = |age| Signs {
            lost: Some(age),
            ..Default::default()
        };
        assert_eq!(reported(RoleState::Standby, lost(S(5))), RoleState::Lost);
        assert_eq!(reported(RoleState::Standby, lost(S(61))), RoleState::Standby);
        assert_eq!(reported(RoleState::Active, lost(S(5))), RoleState::Active, "holding it again");
        let conflict = Signs {
            conflict: Some(S(3)),
            ..Default::default()
        };
        assert_eq!(reported(RoleState::Active, conflict), RoleState::Conflict);
        assert_eq!(reported(RoleState::Standby, conflict), RoleState::Standby);
    }

    #[test]
    fn a_silent_active_role_is_stalled() {
        let beat = |age, every| Signs {
            beat: Some((S(age), S(every))),
            ..Default::default()
        };
        assert_eq!(reported(RoleState::Active, beat(60, 30)), RoleState::Active);
        assert_eq!(reported(RoleState::Active, beat(71, 30)), RoleState::Stalled);
        assert_eq!(reported(RoleState::Disabled, beat(1000, 30)), RoleState::Disabled);
    }
}
