//! Approval codes (`A7`) and which project's approval a typed code means.
//!
//! Codes are numbered per project, so `A1` exists in every project that ever had an approval.
//! A code typed in Telegram means the approval of the project **whose card the person was
//! looking at**, never merely the project the chat was last `/switch`ed to:
//!
//! 1. a command that replies to an approval's card means that card's project;
//! 2. in a project's ops chat, a command typed inside a forum topic (the Approvals topic, a
//!    task's topic: they all belong to that project) means the bound project;
//! 3. in a project's ops chat whose commands were `/switch`ed to another project, a code typed
//!    outside the topics could mean either (the cards there are the bound project's, the lists
//!    the other's): it decides nothing, and the person is told to reply to the card, use its
//!    buttons or `/switch` back;
//! 4. otherwise, the chat's project (bound, or chosen with `/switch` in a private chat).

use super::values::Invalid;
use crate::i18n::Msg;
use uuid::Uuid;

/// An approval's number as typed: `A7`, `a7`, `#7` or `7`.
pub fn parse_code(input: &str) -> Result<i32, Invalid> {
    let digits = input.trim().trim_start_matches(['A', 'a', '#']);
    digits
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Invalid::new("code", Msg::new("err-approval-code").with("input", input.trim())))
}

/// Where a code was typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeContext {
    /// The project of the approval card the command replies to, if it replies to one.
    pub card: Option<Uuid>,
    /// The project this chat is the ops chat of.
    pub bound: Option<Uuid>,
    /// The project this chat's commands act on (chosen with `/switch`, else the bound one).
    pub current: Option<Uuid>,
    /// Typed inside a forum topic (not General) of this chat.
    pub in_topic: bool,
}

/// Which project's approval a code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeScope {
    Project(Uuid),
    /// An ops chat switched to another project, outside any topic: it could be either.
    Ambiguous {
        bound: Uuid,
        current: Uuid,
    },
    /// The chat has no project at all.
    NoProject,
}

pub fn scope_of_code(ctx: &CodeContext) -> CodeScope {
    if let Some(card) = ctx.card {
        return CodeScope::Project(card);
    }
    match (ctx.bound, ctx.current) {
        (Some(bound), _) if ctx.in_topic => CodeScope::Project(bound),
        (Some(bound), Some(current)) if bound != current => CodeScope::Ambiguous { bound, current },
        (Some(bound), _) => CodeScope::Project(bound),
        (None, Some(current)) => CodeScope::Project(current),
        (None, None) => CodeScope::NoProject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENCLAW: Uuid = Uuid::from_u128(1);
    const SIDE: Uuid = Uuid::from_u128(2);

    #[test]
    fn codes_parse_with_or_without_their_letter() {
        for code in ["A7", "a7", "#7", " 7 "] {
            assert_eq!(parse_code(code).unwrap(), 7, "{code}");
        }
        for bad in ["", "A", "Ax", "A0", "A-1", "B7"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_switched_ops_chat_never_decides_the_other_projects_approval_by_accident() {
        let switched = CodeContext {
            bound: Some(OPENCLAW),
            current: Some(SIDE),
            ..Default::default()
        };
        assert_eq!(
            scope_of_code(&switched),
            CodeScope::Ambiguous {
                bound: OPENCLAW,
                current: SIDE
            }
        );
        // Typed in a topic of the ops chat (where the bound project's cards are).
        let in_topic = CodeContext {
            in_topic: true,
            ..switched
        };
        assert_eq!(scope_of_code(&in_topic), CodeScope::Project(OPENCLAW));
        // A reply to a card means the card's project, wherever it is typed.
        let reply = CodeContext {
            card: Some(SIDE),
            ..in_topic
        };
        assert_eq!(scope_of_code(&reply), CodeScope::Project(SIDE));
    }

    #[test]
    fn otherwise_the_chats_project() {
        let bound = CodeContext {
            bound: Some(OPENCLAW),
            current: Some(OPENCLAW),
            ..Default::default()
        };
        assert_eq!(scope_of_code(&bound), CodeScope::Project(OPENCLAW));
        let private = CodeContext {
            current: Some(SIDE),
            ..Default::default()
        };
        assert_eq!(scope_of_code(&private), CodeScope::Project(SIDE));
        assert_eq!(scope_of_code(&CodeContext::default()), CodeScope::NoProject);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_input_is_a_code_or_a_clear_refusal(input in "\\PC{0,40}") {
                match parse_code(&input) {
                    Ok(n) => prop_assert!(n > 0),
                    Err(e) => prop_assert!(!e.message.to_string().is_empty()),
                }
            }

            #[test]
            fn codes_round_trip(n in 1..i32::MAX, prefix in prop::sample::select(vec!["A", "a", "#", ""]), pad in " {0,3}") {
                prop_assert_eq!(parse_code(&format!("{pad}{prefix}{n}{pad}")).unwrap(), n);
            }
        }
    }
}
