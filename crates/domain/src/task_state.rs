//! The task state machine of SPEC §2: the one implementation every entry point uses.

use super::types::TaskStatus::{self, *};

/// Who is asking for a transition, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    Agent,
    Human,
    System,
}

/// The transitions the table allows out of `from`.
pub fn allowed_targets(from: TaskStatus) -> &'static [TaskStatus] {
    match from {
        Inbox => &[Assigned, Canceled],
        Assigned => &[Inbox, InProgress, Canceled],
        InProgress => &[Review, NeedsApproval, Blocked, Canceled],
        Review => &[InProgress, NeedsApproval, Blocked, Done, Canceled],
        NeedsApproval => &[Inbox, Assigned, InProgress, Review, Blocked, Done, Canceled],
        Blocked => &[Assigned, InProgress, NeedsApproval, Canceled],
        Done | Canceled => &[],
    }
}

/// What a person gives with a move made from a task's card, asked for before the move: a
/// reason to block or cancel, a work plan to start (when the task has none that fits), a
/// deliverable for review (when it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveInput {
    BlockReason,
    CancelReason,
    WorkPlan,
    Deliverable,
}

impl MoveInput {
    pub const ALL: [MoveInput; 4] = [
        MoveInput::BlockReason,
        MoveInput::CancelReason,
        MoveInput::WorkPlan,
        MoveInput::Deliverable,
    ];

    /// Its name, as a pending input's kind.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveInput::BlockReason => "block_reason",
            MoveInput::CancelReason => "cancel_reason",
            MoveInput::WorkPlan => "work_plan",
            MoveInput::Deliverable => "deliverable",
        }
    }

    pub fn parse(kind: &str) -> Option<MoveInput> {
        MoveInput::ALL.into_iter().find(|input| input.as_str() == kind)
    }

    /// The move it is given for.
    pub fn target(self) -> TaskStatus {
        match self {
            MoveInput::BlockReason => Blocked,
            MoveInput::CancelReason => Canceled,
            MoveInput::WorkPlan => InProgress,
            MoveInput::Deliverable => Review,
        }
    }
}

/// What must be asked for before moving a task from `from` to `to`, given what it has; nothing
/// for a move the table does not allow (its refusal says why).
pub fn input_needed(from: TaskStatus, to: TaskStatus, work_plan_bullets: usize, has_deliverable: bool) -> Option<MoveInput> {
    use super::values::WorkPlan;
    if !allowed_targets(from).contains(&to) {
        return None;
    }
    match to {
        Blocked => Some(MoveInput::BlockReason),
        Canceled => Some(MoveInput::CancelReason),
        InProgress if !(WorkPlan::MIN_BULLETS..=WorkPlan::MAX_BULLETS).contains(&work_plan_bullets) => Some(MoveInput::WorkPlan),
        Review if !has_deliverable => Some(MoveInput::Deliverable),
        _ => None,
    }
}

/// Everything the rules look at besides the two statuses. Values describe the task as it
/// would be after the transition (e.g. a work plan supplied with the transition counts).
#[derive(Debug, Clone, Copy)]
pub struct TransitionFacts {
    pub mover: Mover,
    pub assignee_count: usize,
    pub work_plan_bullets: usize,
    pub has_deliverable: bool,
    pub has_reason: bool,
    /// The move is the budget hold of SPEC §2 ("only the system ... for budget reasons").
    pub budget_hold: bool,
    /// Policy gates `done` behind an approval, and no approved approval exists for the task.
    pub done_needs_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefusal {
    #[error("task is {from}, a terminal status: nothing can move it")]
    Terminal { from: TaskStatus },
    #[error("{from} → {to} is not a transition of the task state machine")]
    NotInTable { from: TaskStatus, to: TaskStatus },
    #[error("moving to assigned needs at least one assignee")]
    NeedsAssignee,
    #[error("moving to in_progress needs a work plan of 3 to 6 bullets (it has {bullets})")]
    NeedsWorkPlan { bullets: usize },
    #[error("moving to review needs a deliverable")]
    NeedsDeliverable,
    #[error("only a human operator may move a task to {to}")]
    HumanOnly { to: TaskStatus },
    #[error("only the system moves a task to needs_approval for budget reasons")]
    BudgetHoldIsSystemOnly,
    #[error("moving to blocked needs a reason")]
    NeedsReason,
    #[error("policy requires a task.done approval for this task, decided by a person, before it can be done")]
    DoneNeedsApproval,
}

/// What a legal transition does besides changing the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransitionEffects {
    pub increments_review_cycles: bool,
    pub completes: bool,
    pub clears_blocked_reason: bool,
    pub sets_blocked_reason: bool,
}

pub fn check_transition(from: TaskStatus, to: TaskStatus, facts: &TransitionFacts) -> Result<TransitionEffects, TransitionRefusal> {
    if from.is_terminal() {
        return Err(TransitionRefusal::Terminal { from });
    }
    if !allowed_targets(from).contains(&to) {
        return Err(TransitionRefusal::NotInTable { from, to });
    }
    // Finishing and canceling are an operator's call, whichever way the task got there (an
    // agent could otherwise go review → needs_approval → done). No system path ends in done.
    let human_only = to == Canceled || to == Done;
    if human_only && facts.mover != Mover::Human {
        return Err(TransitionRefusal::HumanOnly { to });
    }
    if facts.budget_hold && (to != NeedsApproval || facts.mover != Mover::System) {
        return Err(TransitionRefusal::BudgetHoldIsSystemOnly);
    }
    if to == Assigned && facts.assignee_count == 0 {
        return Err(TransitionRefusal::NeedsAssignee);
    }
    let plan_ok = (3..=6).contains(&facts.work_plan_bullets);
    // Only the first start demands the plan by rule; the database also insists that any task in
    // progress has one, so every way into in_progress checks it.
    if to == InProgress && !plan_ok {
        return Err(TransitionRefusal::NeedsWorkPlan {
            bullets: facts.work_plan_bullets,
        });
    }
    if to == Review && !facts.has_deliverable {
        return Err(TransitionRefusal::NeedsDeliverable);
    }
    if to == Blocked && !facts.has_reason {
        return Err(TransitionRefusal::NeedsReason);
    }
    if to == Done && facts.done_needs_approval {
        return Err(TransitionRefusal::DoneNeedsApproval);
    }
    Ok(TransitionEffects {
        increments_review_cycles: from == Review && to == InProgress,
        completes: to.is_terminal(),
        clears_blocked_reason: from == Blocked,
        sets_blocked_reason: to == Blocked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_asks_first_for_what_a_move_needs() {
        assert_eq!(input_needed(InProgress, Blocked, 3, false), Some(MoveInput::BlockReason));
        assert_eq!(input_needed(Review, Canceled, 3, true), Some(MoveInput::CancelReason));
        assert_eq!(input_needed(Assigned, InProgress, 0, false), Some(MoveInput::WorkPlan));
        assert_eq!(input_needed(Assigned, InProgress, 4, false), None, "the plan it has fits");
        assert_eq!(input_needed(InProgress, Review, 4, false), Some(MoveInput::Deliverable));
        assert_eq!(input_needed(InProgress, Review, 4, true), None);
        assert_eq!(input_needed(Done, Blocked, 4, true), None, "refused by the table, not asked");
        for input in MoveInput::ALL {
            assert_eq!(MoveInput::parse(input.as_str()), Some(input));
        }
        assert_eq!(MoveInput::parse("deny_reason"), None);
    }
    use strum::VariantArray;

    /// SPEC §2's table, transcribed independently of `allowed_targets`: rows are `from`,
    /// columns in the order inbox, assigned, in_progress, review, needs_approval, blocked, done, canceled.
    const TABLE: [(TaskStatus, [u8; 8]); 8] = [
        (Inbox, [0, 1, 0, 0, 0, 0, 0, 1]),
        (Assigned, [1, 0, 1, 0, 0, 0, 0, 1]),
        (InProgress, [0, 0, 0, 1, 1, 1, 0, 1]),
        (Review, [0, 0, 1, 0, 1, 1, 1, 1]),
        (NeedsApproval, [1, 1, 1, 1, 0, 1, 1, 1]),
        (Blocked, [0, 1, 1, 0, 1, 0, 0, 1]),
        (Done, [0; 8]),
        (Canceled, [0; 8]),
    ];
    const COLUMNS: [TaskStatus; 8] = [Inbox, Assigned, InProgress, Review, NeedsApproval, Blocked, Done, Canceled];

    fn permissive() -> TransitionFacts {
        TransitionFacts {
            mover: Mover::Human,
            assignee_count: 1,
            work_plan_bullets: 3,
            has_deliverable: true,
            has_reason: true,
            budget_hold: false,
            done_needs_approval: false,
        }
    }

    #[test]
    fn every_pair_matches_the_spec_table() {
        assert_eq!(TaskStatus::VARIANTS.len(), COLUMNS.len());
        for (from, row) in TABLE {
            for (to, allowed) in COLUMNS.iter().zip(row) {
                let result = check_transition(from, *to, &permissive());
                assert_eq!(result.is_ok(), allowed == 1, "{from} → {to}: {result:?}");
                assert_eq!(allowed_targets(from).contains(to), allowed == 1, "{from} → {to}");
                if allowed == 0 {
                    let expected = if from.is_terminal() {
                        TransitionRefusal::Terminal { from }
                    } else {
                        TransitionRefusal::NotInTable { from, to: *to }
                    };
                    assert_eq!(result.unwrap_err(), expected);
                }
            }
        }
    }

    #[test]
    fn assigned_needs_an_assignee() {
        for from in [Inbox, NeedsApproval, Blocked] {
            let facts = TransitionFacts {
                assignee_count: 0,
                ..permissive()
            };
            assert_eq!(check_transition(from, Assigned, &facts), Err(TransitionRefusal::NeedsAssignee));
        }
    }

    #[test]
    fn starting_needs_three_to_six_bullets() {
        for bullets in [0, 2, 7] {
            let facts = TransitionFacts {
                work_plan_bullets: bullets,
                mover: Mover::Agent,
                ..permissive()
            };
            assert_eq!(
                check_transition(Assigned, InProgress, &facts),
                Err(TransitionRefusal::NeedsWorkPlan { bullets })
            );
        }
        for bullets in 3..=6 {
            let facts = TransitionFacts {
                work_plan_bullets: bullets,
                mover: Mover::Agent,
                ..permissive()
            };
            assert!(check_transition(Assigned, InProgress, &facts).is_ok());
        }
    }

    #[test]
    fn review_needs_a_deliverable() {
        let facts = TransitionFacts {
            has_deliverable: false,
            mover: Mover::Agent,
            ..permissive()
        };
        assert_eq!(
            check_transition(InProgress, Review, &facts),
            Err(TransitionRefusal::NeedsDeliverable)
        );
    }

    #[test]
    fn going_back_from_review_counts_a_cycle() {
        let effects = check_transition(Review, InProgress, &permissive()).unwrap();
        assert!(effects.increments_review_cycles);
        assert!(
            !check_transition(Blocked, InProgress, &permissive())
                .unwrap()
                .increments_review_cycles
        );
    }

    #[test]
    fn every_done_and_every_cancel_are_human_only() {
        for mover in [Mover::Agent, Mover::System] {
            let facts = TransitionFacts { mover, ..permissive() };
            for from in TaskStatus::VARIANTS.iter().filter(|f| allowed_targets(**f).contains(&Done)) {
                assert_eq!(
                    check_transition(*from, Done, &facts),
                    Err(TransitionRefusal::HumanOnly { to: Done }),
                    "{from}"
                );
            }
            // The detour an agent could take: review → needs_approval is its to make, done is not.
            assert!(check_transition(Review, NeedsApproval, &facts).is_ok());
            assert_eq!(
                check_transition(NeedsApproval, Done, &facts),
                Err(TransitionRefusal::HumanOnly { to: Done })
            );
            for from in [Inbox, Assigned, InProgress, Review, NeedsApproval, Blocked] {
                assert_eq!(
                    check_transition(from, Canceled, &facts),
                    Err(TransitionRefusal::HumanOnly { to: Canceled }),
                    "{from}"
                );
            }
        }
        assert!(check_transition(Review, Done, &permissive()).unwrap().completes);
        assert!(check_transition(NeedsApproval, Done, &permissive()).unwrap().completes);
    }

    #[test]
    fn only_the_system_holds_a_task_for_budget() {
        for mover in [Mover::Agent, Mover::Human] {
            let facts = TransitionFacts {
                mover,
                budget_hold: true,
                ..permissive()
            };
            assert_eq!(
                check_transition(InProgress, NeedsApproval, &facts),
                Err(TransitionRefusal::BudgetHoldIsSystemOnly)
            );
        }
        let system = TransitionFacts {
            mover: Mover::System,
            budget_hold: true,
            ..permissive()
        };
        assert!(check_transition(InProgress, NeedsApproval, &system).is_ok());
    }

    #[test]
    fn blocked_needs_a_reason_and_unblocking_clears_it() {
        let facts = TransitionFacts {
            has_reason: false,
            ..permissive()
        };
        assert_eq!(check_transition(InProgress, Blocked, &facts), Err(TransitionRefusal::NeedsReason));
        assert!(check_transition(InProgress, Blocked, &permissive()).unwrap().sets_blocked_reason);
        assert!(check_transition(Blocked, Assigned, &permissive()).unwrap().clears_blocked_reason);
    }

    #[test]
    fn done_can_be_gated_by_policy() {
        let facts = TransitionFacts {
            done_needs_approval: true,
            ..permissive()
        };
        assert_eq!(check_transition(Review, Done, &facts), Err(TransitionRefusal::DoneNeedsApproval));
    }
}
