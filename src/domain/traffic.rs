//! Traffic classes of what the bot sends, and how much of Telegram's windows each may use.
//!
//! The control channel is the product: when an agent misbehaves, the operator's next message
//! and the next approval card must get through at once, however much background mirroring is
//! queued. So every outbox row has a class, the dispatcher delivers a chat's rows class by class
//! (a row never overtakes an earlier row about the same entity), and the lower classes may fill
//! only part of each rate window, which keeps headroom for the upper ones: with 20 calls a
//! minute per group, background mirroring stops at 14 and routine edits at 17, so an answer or an
//! approval card always finds a free slot within about a second.

use serde::{Deserialize, Serialize};

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_classes_leave_headroom() {
        assert_eq!(TrafficClass::Background.allowance(20), 14);
        assert_eq!(TrafficClass::Routine.allowance(20), 17);
        assert_eq!(TrafficClass::Urgent.allowance(20), 20);
        assert_eq!(TrafficClass::Background.allowance(30), 21);
        assert_eq!(TrafficClass::Background.allowance(1), 1);
        assert!(TrafficClass::Human < TrafficClass::Background);
        for c in TrafficClass::ALL {
            assert_eq!(TrafficClass::from_i16(c.as_i16()), c);
        }
    }
}
