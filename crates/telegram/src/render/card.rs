//! A task's card (the first message of its topic, or its root message in a plain group) and its
//! topic's name. Pure: the task as the database holds it now, agent names and a language in;
//! text and buttons out.

use super::text::{truncate, MESSAGE_LIMIT};
use super::words::{status_mark, task_status};
use super::{ButtonSpec, Rendered};
use crate::actions::ButtonAction;
use mc_core::model::Task;
use mc_domain::i18n::{html_escape, num, text, Lang};
use mc_domain::task_state::allowed_targets;
use mc_domain::TaskStatus;
use std::collections::HashMap;
use uuid::Uuid;

/// Telegram's limit on a topic name.
pub const TOPIC_NAME_LIMIT: usize = 128;

/// `#12 🔨 Title`: number, status mark and title, the title cut (with `…`) so that the name
/// fits 128 characters, counted both as Unicode scalars and as UTF-16 units.
pub fn topic_name(number: i32, status: TaskStatus, title: &str) -> String {
    let head = format!("#{number} {} ", status_mark(status));
    let title: String = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let fits = |s: &str| s.chars().count() <= TOPIC_NAME_LIMIT && s.encode_utf16().count() <= TOPIC_NAME_LIMIT;
    let whole = format!("{head}{title}");
    if fits(&whole) {
        return whole.trim_end().to_string();
    }
    let mut out = head.clone();
    for c in title.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if !fits(&next) {
            break;
        }
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push('…');
    out
}

fn names(ids: &[Uuid], agents: &HashMap<Uuid, String>) -> Vec<String> {
    ids.iter().map(|id| agents.get(id).cloned().unwrap_or_else(|| "?".into())).collect()
}

/// The card: title, type, priority, status, assignees, reviewer, budget against actual cost,
/// blocked reason; buttons to move the task where the state machine allows, to assign it and to
/// cancel it (none once it is done or canceled).
pub fn card(task: &Task, agents: &HashMap<Uuid, String>, lang: Lang) -> Rendered {
    let mut lines = vec![
        format!("{} <b>#{}</b> {}", status_mark(task.status), task.number, html_escape(&task.title)),
        lang.ta(
            "notice-card-kind",
            &[
                ("type", text(task.task_type.as_str())),
                ("priority", num(task.priority)),
                ("level", text(&lang.t(&format!("notice-priority-{}", task.priority.clamp(1, 4))))),
            ],
        ),
        lang.ta("notice-card-status", &[("status", text(&task_status(lang, task.status)))]),
    ];
    let assignees = names(&task.assignee_ids, agents);
    lines.push(if assignees.is_empty() {
        lang.t("notice-card-unassigned")
    } else {
        lang.ta("notice-card-assignees", &[("names", text(&assignees.join(", ")))])
    });
    if let Some(reviewer) = task.reviewer_id {
        lines.push(lang.ta("notice-card-reviewer", &[("name", text(&names(&[reviewer], agents)[0]))]));
    }
    lines.push(match task.budget_allocated {
        Some(budget) => lang.ta(
            "notice-card-budget",
            &[("cost", text(&task.actual_cost.to_string())), ("budget", text(&budget.to_string()))],
        ),
        None => lang.ta("notice-card-cost", &[("cost", text(&task.actual_cost.to_string()))]),
    });
    if let Some(reason) = task.blocked_reason_in(lang).filter(|r| !r.trim().is_empty()) {
        lines.push(lang.ta("notice-card-blocked", &[("reason", text(reason.trim()))]));
    }
    if task.review_cycles > 0 {
        lines.push(lang.ta("notice-card-reviews", &[("count", num(task.review_cycles))]));
    }
    lines.push(lang.ta("notice-card-created", &[("by", text(&task.created_by))]));
    Rendered {
        text: truncate(&lines.join("\n"), MESSAGE_LIMIT),
        buttons: buttons(task, lang),
    }
}

fn buttons(task: &Task, lang: Lang) -> Vec<Vec<ButtonSpec>> {
    if task.status.is_terminal() {
        return Vec::new();
    }
    let moves: Vec<ButtonSpec> = allowed_targets(task.status)
        .iter()
        .copied()
        // Cancel has its own button; assigning goes through Assign while nobody is assigned.
        .filter(|to| *to != TaskStatus::Canceled && !(*to == TaskStatus::Assigned && task.assignee_ids.is_empty()))
        .map(|to| match (task.status, to) {
            // Back from review is a request for changes, with the reviewer's words for the agent.
            (TaskStatus::Review, TaskStatus::InProgress) => ButtonSpec {
                label: lang.t("notice-button-request-changes"),
                action: ButtonAction::RequestChanges { task_id: task.id },
            },
            _ => ButtonSpec {
                label: lang.ta("notice-button-move", &[("status", text(&task_status(lang, to)))]),
                action: ButtonAction::MoveTask { task_id: task.id, to },
            },
        })
        .collect();
    let mut rows: Vec<Vec<ButtonSpec>> = moves.chunks(3).map(<[ButtonSpec]>::to_vec).collect();
    rows.push(vec![
        ButtonSpec {
            label: lang.t("notice-button-assign"),
            action: ButtonAction::AssignTask { task_id: task.id },
        },
        ButtonSpec {
            label: lang.t("notice-button-cancel-task"),
            action: ButtonAction::MoveTask {
                task_id: task.id,
                to: TaskStatus::Canceled,
            },
        },
    ]);
    rows
}

/// What a transition's message adds in the task's thread: the work plan when work starts, the
/// deliverable when it goes to review.
pub fn transition_details(task: &Task, from: TaskStatus, to: TaskStatus, lang: Lang) -> Option<String> {
    match to {
        TaskStatus::InProgress if !task.work_plan.is_empty() && from != TaskStatus::Review => {
            let mut lines = vec![lang.t("notice-task-plan")];
            lines.extend(task.work_plan.iter().map(|b| format!("• {}", html_escape(b.trim()))));
            Some(lines.join("\n"))
        }
        TaskStatus::Review => task
            .deliverable
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| lang.ta("notice-task-deliverable", &[("text", text(d.trim()))])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use mc_domain::{TaskType, Usd};

    fn task(status: TaskStatus) -> Task {
        Task {
            id: Uuid::from_u128(1),
            project_id: Uuid::from_u128(2),
            number: 12,
            title: "Write <the> launch post".into(),
            description: String::new(),
            task_type: TaskType::Content,
            priority: 2,
            status,
            assignee_ids: vec![Uuid::from_u128(7)],
            reviewer_id: Some(Uuid::from_u128(8)),
            work_plan: vec!["Outline".into(), "Draft".into(), "Edit".into()],
            deliverable: Some("https://docs/launch".into()),
            review_cycles: 0,
            budget_allocated: Some(Usd::from_cents(500)),
            actual_cost: Usd::from_cents(120),
            blocked_reason: None,
            blocked_reason_said: None,
            created_by: "Olga".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            completed_at: None,
            thread: None,
        }
    }

    fn agents() -> HashMap<Uuid, String> {
        HashMap::from([(Uuid::from_u128(7), "Scribe".into()), (Uuid::from_u128(8), "Sofie".into())])
    }

    #[test]
    fn topic_names_carry_number_mark_and_title_within_128() {
        assert_eq!(
            topic_name(12, TaskStatus::InProgress, "Write  the\nlaunch post"),
            "#12 🔨 Write the launch post"
        );
        assert_eq!(topic_name(3, TaskStatus::Done, "x"), "#3 ✅ x");
        for title in [
            "a".repeat(500),
            "ж".repeat(300),
            "🚀".repeat(200),
            format!("{} end", "word ".repeat(40)),
        ] {
            for status in [TaskStatus::Inbox, TaskStatus::Blocked, TaskStatus::Canceled] {
                let name = topic_name(123_456, status, &title);
                assert!(name.chars().count() <= 128, "{name}");
                assert!(name.encode_utf16().count() <= 128, "{name}");
                assert!(name.starts_with(&format!("#123456 {}", status_mark(status))), "{name}");
                assert!(name.ends_with('…'), "{name}");
            }
        }
    }

    #[test]
    fn the_card_shows_the_task_and_offers_the_allowed_moves() {
        let r = card(&task(TaskStatus::InProgress), &agents(), Lang::En);
        for part in [
            "🔨 <b>#12</b> Write &lt;the&gt; launch post",
            "content",
            "P2",
            "in progress",
            "Scribe",
            "Sofie",
            "$1.20",
            "$5.00",
            "Olga",
        ] {
            assert!(r.text.contains(part), "{part} missing in {}", r.text);
        }
        let actions: Vec<ButtonAction> = r.buttons.concat().into_iter().map(|b| b.action).collect();
        let id = Uuid::from_u128(1);
        assert_eq!(
            actions,
            vec![
                ButtonAction::MoveTask {
                    task_id: id,
                    to: TaskStatus::Review
                },
                ButtonAction::MoveTask {
                    task_id: id,
                    to: TaskStatus::NeedsApproval
                },
                ButtonAction::MoveTask {
                    task_id: id,
                    to: TaskStatus::Blocked
                },
                ButtonAction::AssignTask { task_id: id },
                ButtonAction::MoveTask {
                    task_id: id,
                    to: TaskStatus::Canceled
                },
            ]
        );
        let mut blocked = task(TaskStatus::Blocked);
        blocked.blocked_reason = Some("waiting for <legal>".into());
        let ru = card(&blocked, &agents(), Lang::Ru);
        assert!(
            ru.text.contains("waiting for &lt;legal&gt;") && ru.text.contains("заблокирована"),
            "{}",
            ru.text
        );
        // Back from review is a request for changes (the reviewer's words go to the agent).
        let review: Vec<ButtonAction> = card(&task(TaskStatus::Review), &agents(), Lang::En)
            .buttons
            .concat()
            .into_iter()
            .map(|b| b.action)
            .collect();
        assert!(review.contains(&ButtonAction::RequestChanges { task_id: id }), "{review:?}");
        assert!(!review.contains(&ButtonAction::MoveTask {
            task_id: id,
            to: TaskStatus::InProgress
        }));
        // Nothing to press on a finished task.
        assert!(card(&task(TaskStatus::Done), &agents(), Lang::En).buttons.is_empty());
        // Nobody assigned: no move to assigned, Assign instead.
        let mut inbox = task(TaskStatus::Inbox);
        inbox.assignee_ids.clear();
        let r = card(&inbox, &agents(), Lang::En);
        assert!(r.text.contains("nobody"), "{}", r.text);
        let actions: Vec<ButtonAction> = r.buttons.concat().into_iter().map(|b| b.action).collect();
        assert_eq!(
            actions,
            vec![
                ButtonAction::AssignTask { task_id: id },
                ButtonAction::MoveTask {
                    task_id: id,
                    to: TaskStatus::Canceled
                }
            ]
        );
    }

    #[test]
    fn transitions_show_the_plan_and_the_deliverable() {
        let t = task(TaskStatus::InProgress);
        let plan = transition_details(&t, TaskStatus::Assigned, TaskStatus::InProgress, Lang::En).unwrap();
        assert!(plan.contains("• Outline") && plan.contains("• Edit"), "{plan}");
        let deliverable = transition_details(&t, TaskStatus::InProgress, TaskStatus::Review, Lang::En).unwrap();
        assert!(deliverable.contains("https://docs/launch"), "{deliverable}");
        assert!(transition_details(&t, TaskStatus::Review, TaskStatus::InProgress, Lang::En).is_none());
        assert!(transition_details(&t, TaskStatus::Review, TaskStatus::Done, Lang::En).is_none());
    }
}
