//! Loop detection (SPEC §2): the four rules, as pure functions of a task's recent activity.

use super::types::{RunStatus, TaskStatus};
use crate::i18n::Msg;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct LoopThresholds {
    /// More than this many comments within `comment_window_minutes` is a loop.
    pub max_comments: u32,
    pub comment_window_minutes: u32,
    /// More than this many review cycles is a loop.
    pub max_review_cycles: u32,
    /// This many failed runs or more among the last `failed_runs_window` is a loop.
    pub failed_runs: u32,
    pub failed_runs_window: u32,
    /// This many transitions or more within `transition_window_minutes`, with one from→to pair
    /// repeated `pair_repeats` times or more, is a back-and-forth loop.
    pub transitions: u32,
    pub transition_window_minutes: u32,
    pub pair_repeats: u32,
}

impl Default for LoopThresholds {
    fn default() -> Self {
        LoopThresholds {
            max_comments: 20,
            comment_window_minutes: 30,
            max_review_cycles: 3,
            failed_runs: 5,
            failed_runs_window: 10,
            transitions: 6,
            transition_window_minutes: 60,
            pair_repeats: 3,
        }
    }
}

/// A task's recent activity, gathered by the caller with the windows of the thresholds.
#[derive(Debug, Clone, Default)]
pub struct TaskActivity {
    pub comments_in_window: u32,
    pub review_cycles: u32,
    /// The most recent runs, newest first, at most `failed_runs_window` of them.
    pub recent_runs: Vec<RunStatus>,
    pub transitions_in_window: Vec<(TaskStatus, TaskStatus)>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum LoopFinding {
    CommentStorm {
        comments: u32,
        minutes: u32,
    },
    ReviewCycles {
        cycles: u32,
    },
    FailedRuns {
        failed: u32,
        of: u32,
    },
    BackAndForth {
        transitions: u32,
        /// The window the transitions were counted in.
        minutes: u32,
        from: TaskStatus,
        to: TaskStatus,
        repeats: u32,
    },
}

impl LoopFinding {
    /// The rule broken, as a sentence (the same words the loop alert uses).
    pub fn message(&self) -> Msg {
        match self {
            Self::CommentStorm { comments, minutes } => Msg::new("alert-loop-comment_storm")
                .count("comments", *comments)
                .count("minutes", *minutes),
            Self::ReviewCycles { cycles } => Msg::new("alert-loop-review_cycles").count("cycles", *cycles),
            Self::FailedRuns { failed, of } => Msg::new("alert-loop-failed_runs").count("failed", *failed).count("of", *of),
            Self::BackAndForth {
                transitions,
                minutes,
                from,
                to,
                repeats,
            } => Msg::new("alert-loop-back_and_forth")
                .count("transitions", *transitions)
                .count("minutes", *minutes)
                .task_status("from", *from)
                .task_status("to", *to)
                .count("repeats", *repeats),
        }
    }

    /// In English, for the audit and the agents' Loop Summary.
    pub fn describe(&self) -> String {
        self.message().to_string()
    }
}

pub fn detect(activity: &TaskActivity, t: &LoopThresholds) -> Vec<LoopFinding> {
    let mut findings = Vec::new();
    if activity.comments_in_window > t.max_comments {
        findings.push(LoopFinding::CommentStorm {
            comments: activity.comments_in_window,
            minutes: t.comment_window_minutes,
        });
    }
    if activity.review_cycles > t.max_review_cycles {
        findings.push(LoopFinding::ReviewCycles {
            cycles: activity.review_cycles,
        });
    }
    let window: Vec<_> = activity.recent_runs.iter().take(t.failed_runs_window as usize).collect();
    let failed = window.iter().filter(|s| ***s == RunStatus::Failed).count() as u32;
    if failed >= t.failed_runs {
        findings.push(LoopFinding::FailedRuns {
            failed,
            of: window.len() as u32,
        });
    }
    let count = activity.transitions_in_window.len() as u32;
    if count >= t.transitions {
        let mut pairs: HashMap<(TaskStatus, TaskStatus), u32> = HashMap::new();
        for pair in &activity.transitions_in_window {
            *pairs.entry(*pair).or_default() += 1;
        }
        // Deterministic choice when two pairs tie: the one that sorts first.
        let top = pairs.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some(((from, to), repeats)) = top.filter(|(_, n)| *n >= t.pair_repeats) {
            findings.push(LoopFinding::BackAndForth {
                transitions: count,
                minutes: t.transition_window_minutes,
                from,
                to,
                repeats,
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use RunStatus::*;
    use TaskStatus::*;

    fn t() -> LoopThresholds {
        LoopThresholds::default()
    }

    #[test]
    fn comment_storm_triggers_above_twenty_not_at() {
        let at = TaskActivity {
            comments_in_window: 20,
            ..Default::default()
        };
        assert!(detect(&at, &t()).is_empty());
        let above = TaskActivity {
            comments_in_window: 21,
            ..Default::default()
        };
        assert_eq!(detect(&above, &t()), vec![LoopFinding::CommentStorm { comments: 21, minutes: 30 }]);
    }

    #[test]
    fn review_cycles_trigger_above_three() {
        assert!(detect(
            &TaskActivity {
                review_cycles: 3,
                ..Default::default()
            },
            &t()
        )
        .is_empty());
        assert_eq!(
            detect(
                &TaskActivity {
                    review_cycles: 4,
                    ..Default::default()
                },
                &t()
            ),
            vec![LoopFinding::ReviewCycles { cycles: 4 }]
        );
    }

    #[test]
    fn five_failed_runs_among_last_ten() {
        let runs = |failed: usize| {
            let mut v = vec![Failed; failed];
            v.extend(vec![Succeeded; 10 - failed]);
            TaskActivity {
                recent_runs: v,
                ..Default::default()
            }
        };
        assert!(detect(&runs(4), &t()).is_empty());
        assert_eq!(detect(&runs(5), &t()), vec![LoopFinding::FailedRuns { failed: 5, of: 10 }]);
        // Failures older than the last ten do not count.
        let mut old = vec![Succeeded; 10];
        old.extend(vec![Failed; 5]);
        assert!(detect(
            &TaskActivity {
                recent_runs: old,
                ..Default::default()
            },
            &t()
        )
        .is_empty());
    }

    #[test]
    fn back_and_forth_needs_six_transitions_and_a_pair_three_times() {
        let bounce = vec![
            (InProgress, Review),
            (Review, InProgress),
            (InProgress, Review),
            (Review, InProgress),
            (InProgress, Review),
            (Review, InProgress),
        ];
        let found = detect(
            &TaskActivity {
                transitions_in_window: bounce.clone(),
                ..Default::default()
            },
            &t(),
        );
        assert_eq!(found.len(), 1);
        assert!(matches!(
            found[0],
            LoopFinding::BackAndForth {
                transitions: 6,
                minutes: 60,
                repeats: 3,
                ..
            }
        ));
        assert_eq!(found[0].describe(), "6 transitions in 60 minutes, in progress → review 3 times");
        // Five transitions: one below the threshold.
        let five = bounce[..5].to_vec();
        assert!(detect(
            &TaskActivity {
                transitions_in_window: five,
                ..Default::default()
            },
            &t()
        )
        .is_empty());
        // Six transitions but no pair three times.
        let varied = vec![
            (Inbox, Assigned),
            (Assigned, InProgress),
            (InProgress, Review),
            (Review, InProgress),
            (InProgress, Blocked),
            (Blocked, InProgress),
        ];
        assert!(detect(
            &TaskActivity {
                transitions_in_window: varied,
                ..Default::default()
            },
            &t()
        )
        .is_empty());
    }
}
