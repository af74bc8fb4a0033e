//! Traffic classes of what the bot sends, and how much of Telegram's windows each may use.
//!
//! The control channel is the product: when an agent misbehaves, the operator's next message
//! and the next approval card must get through at once, however much background mirroring is
//! queued. So every outbox row has a class, the dispatcher delivers a chat's rows class by class
//! (a row never overtakes an earlier row about the same entity), and the lower classes may fill
//! only part of each rate window, which keeps headroom for the upper ones: with 20 calls a
//! minute per group, background mirroring stops at 14 and routine edits at 17, so an answer or an
//! approval card always finds a free slot within about a second.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// Someone who is not an operator is answered at most this often per chat: strangers typing
/// commands in the ops group must not spend its 20 messages a minute.
pub const STRANGER_ANSWER_EVERY: Duration = Duration::minutes(10);

/// Whether a stranger last answered at `last` may be answered again at `now`.
pub fn stranger_may_be_answered(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|at| now - at >= STRANGER_ANSWER_EVERY)
}

/// An operator whose answers for them alone go to their private chat is pointed there in the
/// group at most this often.
pub const POINTER_EVERY: Duration = Duration::minutes(1);

/// The hour a stranger's attempt at `now` is counted in.
pub fn counting_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::hours(1)).unwrap_or(now)
}

/// Lower numbers go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i16)]
pub enum TrafficClass {
    /// Answers to a human: command replies, callback answers, the edit of the message a human
    /// just clicked, deny-reason prompts.
    Human = 1,
    /// New approval requests and new critical alerts.
    Urgent = 2,
    /// Edits of existing cards and messages, alert digests and non-critical alerts, the standup.
    Routine = 3,
    /// Mirroring into task threads: topics, cards, transitions, comments, runs.
    Background = 4,
}

impl TrafficClass {
    pub const ALL: [TrafficClass; 4] = [
        TrafficClass::Human,
        TrafficClass::Urgent,
        TrafficClass::Routine,
        TrafficClass::Background,
    ];

    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// The class stored as `n`; anything unknown is treated as background.
    pub fn from_i16(n: i16) -> Self {
        match n {
            1 => TrafficClass::Human,
            2 => TrafficClass::Urgent,
            3 => TrafficClass::Routine,
            _ => TrafficClass::Background,
        }
    }

    /// How many of a window's `limit` calls this class may occupy: the upper classes all of
    /// it, routine traffic 85 %, background 70 % (14 of a group's 20 a minute, 21 of the
    /// global 30 a second). At least one, so a tiny window still lets every class through.
    pub fn allowance(self, limit: u32) -> u32 {
        let share = match self {
            TrafficClass::Human | TrafficClass::Urgent => return limit.max(1),
            TrafficClass::Routine => 85,
            TrafficClass::Background => 70,
        };
        (limit * share / 100).max(1)
    }

    /// The same while people are at work in the chat (a human was answered there within the
    /// window): the mirroring steps back to a quarter (5 of a group's 20 a minute), so an
    /// incident's dozen answers a minute find their slots at once.
    pub fn allowance_while_humans_act(self, limit: u32) -> u32 {
        match self {
            TrafficClass::Background => (limit / 4).max(1),
            other => other.allowance(limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stranger_is_answered_once_in_ten_minutes() {
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 7, 13, 42, 10).unwrap();
        assert!(stranger_may_be_answered(None, t));
        assert!(!stranger_may_be_answered(Some(t - Duration::minutes(9)), t));
        assert!(stranger_may_be_answered(Some(t - Duration::minutes(10)), t));
        assert_eq!(
            counting_hour(t),
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 7, 13, 0, 0).unwrap()
        );
    }

    #[test]
    fn lower_classes_leave_headroom() {
        assert_eq!(TrafficClass::Background.allowance(20), 14);
        assert_eq!(TrafficClass::Routine.allowance(20), 17);
        assert_eq!(TrafficClass::Urgent.allowance(20), 20);
        assert_eq!(TrafficClass::Background.allowance(30), 21);
        assert_eq!(TrafficClass::Background.allowance(1), 1);
        assert_eq!(TrafficClass::Background.allowance_while_humans_act(20), 5);
        assert_eq!(TrafficClass::Routine.allowance_while_humans_act(20), 17);
        assert_eq!(TrafficClass::Human.allowance_while_humans_act(20), 20);
        assert!(TrafficClass::Human < TrafficClass::Background);
        for c in TrafficClass::ALL {
            assert_eq!(TrafficClass::from_i16(c.as_i16()), c);
        }
    }
}
