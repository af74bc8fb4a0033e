//! The core's errors in the chat's language: a refused command as a message, a refused click as
//! a toast, and why the state machine refused a move.

use super::words::{approval_status, task_status};
use super::{clipped, count, plain, strip_tags, toast};
use mc_core::app::AppError;
use mc_domain::i18n::{text, time, Lang};
use mc_domain::TransitionRefusal;

/// "Usage: …" for a command.
pub fn usage(lang: Lang, usage_id: &str) -> String {
    lang.ta("bot-usage", &[("usage", plain(&lang.t(usage_id)))])
}

/// A core error in words (HTML).
pub fn error(lang: Lang, err: &AppError) -> String {
    match err {
        AppError::Validation { field, message } => lang.ta(
            "bot-error-invalid",
            &[("field", text(field)), ("message", clipped(&message.render(lang), 500))],
        ),
        AppError::BadInput(message) => lang.ta("bot-error-bad-input", &[("message", clipped(&message.render(lang), 500))]),
        AppError::NotFound { entity, key, hint, .. } => {
            let entity = ("entity", plain(&entity_name(lang, entity)));
            let key = ("key", clipped(key, 100));
            match hint {
                Some(hint) => lang.ta(
                    "bot-error-not-found-hint",
                    &[entity, key, ("hint", clipped(&hint.render(lang), 500))],
                ),
                None => lang.ta("bot-error-not-found", &[entity, key]),
            }
        }
        AppError::Unauthenticated(why) | AppError::Forbidden(why) => {
            lang.ta("bot-error-forbidden", &[("reason", clipped(&why.render(lang), 500))])
        }
        AppError::IllegalTransition { from, to, reason, allowed } => lang.ta(
            "bot-error-illegal-transition",
            &[
                ("from", plain(&task_status(lang, *from))),
                ("to", plain(&task_status(lang, *to))),
                ("reason", plain(&refusal(lang, reason))),
                (
                    "allowed",
                    plain(&if allowed.is_empty() {
                        "—".to_string()
                    } else {
                        allowed.iter().map(|s| task_status(lang, *s)).collect::<Vec<_>>().join(", ")
                    }),
                ),
            ],
        ),
        AppError::AlreadyDecided { .. } => already_decided(lang, err, false),
        AppError::Conflict { message, .. } | AppError::Busy { message, .. } => {
            lang.ta("bot-error-conflict", &[("message", clipped(&message.render(lang), 500))])
        }
        AppError::DuplicateUpdate { update } => lang.ta(
            "bot-error-conflict",
            &[(
                "message",
                clipped(
                    &mc_domain::i18n::Msg::new("err-duplicate-update")
                        .with("update", *update)
                        .render(lang),
                    500,
                ),
            )],
        ),
        AppError::Internal(_) => lang.t("bot-error-internal"),
    }
}

/// Why the state machine refused a move, in the chat's language.
pub fn refusal(lang: Lang, refusal: &TransitionRefusal) -> String {
    use TransitionRefusal as R;
    match refusal {
        R::Terminal { from } => lang.ta("bot-refusal-terminal", &[("from", plain(&task_status(lang, *from)))]),
        R::NotInTable { from, to } => lang.ta(
            "bot-refusal-not-in-table",
            &[("from", plain(&task_status(lang, *from))), ("to", plain(&task_status(lang, *to)))],
        ),
        R::NeedsAssignee => lang.t("bot-refusal-needs-assignee"),
        R::NeedsWorkPlan { bullets } => lang.ta("bot-refusal-needs-work-plan", &[("bullets", count(*bullets as f64))]),
        R::NeedsDeliverable => lang.t("bot-refusal-needs-deliverable"),
        R::HumanOnly { to } => lang.ta("bot-refusal-human-only", &[("to", plain(&task_status(lang, *to)))]),
        R::BudgetHoldIsSystemOnly => lang.t("bot-refusal-budget-hold"),
        R::NeedsReason => lang.t("bot-refusal-needs-reason"),
        R::DoneNeedsApproval => lang.t("bot-refusal-done-needs-approval"),
    }
}

/// A core error as a toast (plain text, short).
pub fn error_toast(lang: Lang, err: &AppError) -> String {
    let text = match err {
        AppError::AlreadyDecided { .. } => already_decided(lang, err, true),
        AppError::Internal(_) => lang.t("bot-toast-failed"),
        other => strip_tags(&error(lang, other)),
    };
    toast(&text)
}

/// "A7 was already approved by Ann at …", as a message or (`toast`) as plain text.
fn already_decided(lang: Lang, err: &AppError, toast: bool) -> String {
    let AppError::AlreadyDecided {
        number,
        status,
        decided_by,
        decided_at,
    } = err
    else {
        return String::new();
    };
    let (key, by) = if toast {
        ("bot-toast-already-decided", plain(decided_by))
    } else {
        ("bot-error-already-decided", clipped(decided_by, 100))
    };
    lang.ta(
        key,
        &[
            ("code", plain(&format!("A{number}"))),
            ("status", plain(&approval_status(lang, *status))),
            ("by", by),
            ("at", plain(&time(*decided_at))),
        ],
    )
}

fn entity_name(lang: Lang, entity: &str) -> String {
    let key = format!("bot-entity-{}", entity.split_whitespace().next().unwrap_or(entity));
    let name = lang.t(&key);
    if name == key {
        entity.to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mc_domain::TaskStatus;

    #[test]
    fn every_transition_refusal_is_worded_in_every_language() {
        use TaskStatus::*;
        let refusals = [
            TransitionRefusal::Terminal { from: Done },
            TransitionRefusal::NotInTable { from: Inbox, to: Review },
            TransitionRefusal::NeedsAssignee,
            TransitionRefusal::NeedsWorkPlan { bullets: 2 },
            TransitionRefusal::NeedsDeliverable,
            TransitionRefusal::HumanOnly { to: Done },
            TransitionRefusal::BudgetHoldIsSystemOnly,
            TransitionRefusal::NeedsReason,
            TransitionRefusal::DoneNeedsApproval,
        ];
        for r in &refusals {
            let (en, ru) = (refusal(Lang::En, r), refusal(Lang::Ru, r));
            // A missing message shows its key (written in two pieces so that the test of
            // every key the code names does not take this for one).
            let key_prefix = concat!("bot", "-refusal");
            assert!(!en.starts_with(key_prefix) && !ru.starts_with(key_prefix), "{r:?}: {en} / {ru}");
            assert_ne!(en, ru, "{r:?} is not translated");
        }
        assert_eq!(
            refusal(Lang::Ru, &TransitionRefusal::NeedsWorkPlan { bullets: 2 }),
            "для начала работы нужен план из 3–6 пунктов (сейчас 2 пункта)"
        );
        assert!(refusal(Lang::Ru, &TransitionRefusal::HumanOnly { to: Done }).contains(&task_status(Lang::Ru, Done)));
        let err = AppError::IllegalTransition {
            from: Inbox,
            to: Review,
            reason: TransitionRefusal::NotInTable { from: Inbox, to: Review },
            allowed: vec![Assigned, Canceled],
        };
        let ru = error(Lang::Ru, &err);
        assert!(ru.contains(&task_status(Lang::Ru, Assigned)) && !ru.contains("assigned"), "{ru}");
    }
}
