//! The core's notices as messages: what happened to a task, an agent, a budget or the squad,
//! said in the chat's language (approvals and alerts have files of their own), and what is
//! posted when a chat is bound to a project or a task's activity is folded into one message.

use super::alerts::{alert, alert_resolved};
use super::approvals::{approval_request, decision};
use super::questions::{question_asked, question_closed_alone};
use super::summaries::standup_message;
use super::words::{agent_status, task_status};
use super::Rendered;
use mc_core::model::notice::Notice;
use mc_domain::i18n::{html_escape, num, text, Lang, Said};
use mc_domain::RunStatus;

/// A notice as a new message. `Reply` and `ChatBound` are not rendered here: a reply is already
/// text, and binding is a sequence of calls (see [`bound`]).
pub fn notice(n: &Notice, lang: Lang) -> Rendered {
    match n {
        Notice::ApprovalRequested { .. } => approval_request(n, lang),
        Notice::ApprovalDecided { code, .. } => Rendered::plain(format!(
            "{}\n{}",
            lang.ta("notice-approval-short", &[("code", text(code))]),
            decision(n, lang)
        )),
        Notice::QuestionAsked { .. } => question_asked(n, lang),
        Notice::QuestionClosed { .. } => question_closed_alone(n, lang),
        // Shown only by editing the question's message (the dispatcher renders it with the question).
        Notice::QuestionPicked { .. } => Rendered::default(),
        Notice::AlertRaised { .. } => alert(n, lang),
        Notice::AlertResolved { .. } => Rendered::plain(alert_resolved(None, n, lang)),
        Notice::TaskCreated {
            number,
            title,
            task_type,
            priority,
            created_by,
            ..
        } => Rendered::plain(lang.ta(
            "notice-task-created",
            &[
                ("number", num(*number)),
                ("title", text(title)),
                ("type", text(task_type.as_str())),
                ("priority", num(*priority)),
                ("by", text(created_by)),
            ],
        )),
        Notice::TaskThreadNeeded { number, title, .. } => {
            Rendered::plain(lang.ta("notice-task-thread", &[("number", num(*number)), ("title", text(title))]))
        }
        Notice::TaskTransitioned {
            number,
            title,
            from,
            to,
            actor,
            reason,
            ..
        } => {
            let mut t = lang.ta(
                "notice-task-transitioned",
                &[
                    ("number", num(*number)),
                    ("title", text(title)),
                    ("from", text(&task_status(lang, *from))),
                    ("to", text(&task_status(lang, *to))),
                    ("by", text(actor)),
                ],
            );
            push_reason(&mut t, Some(reason), lang);
            Rendered::plain(t)
        }
        Notice::TaskAssigned {
            number,
            title,
            assignees,
            actor,
            ..
        } => Rendered::plain(if assignees.is_empty() {
            lang.ta(
                "notice-task-unassigned",
                &[("number", num(*number)), ("title", text(title)), ("by", text(actor))],
            )
        } else {
            lang.ta(
                "notice-task-assigned",
                &[
                    ("number", num(*number)),
                    ("title", text(title)),
                    ("assignees", text(&assignees.join(", "))),
                    ("by", text(actor)),
                ],
            )
        }),
        Notice::CommentAdded { number, author, body, .. } => Rendered::plain(lang.ta(
            "notice-comment-added",
            &[("number", num(*number)), ("author", text(author)), ("body", text(body))],
        )),
        Notice::RunRecorded {
            number,
            agent,
            cost,
            mismatch_with,
            status,
            today_spend,
            daily_cap,
            ..
        } => Rendered::plain(lang.ta(
            match status {
                RunStatus::Succeeded => "notice-run-succeeded",
                RunStatus::Failed => "notice-run-failed",
            },
            &[
                ("number", num(*number)),
                ("agent", text(agent)),
                ("cost", text(&super::run_cost(lang, *cost, *mismatch_with))),
                ("today", text(&today_spend.to_string())),
                ("cap", text(&daily_cap.to_string())),
            ],
        )),
        Notice::AgentStatusChanged {
            agent,
            from,
            to,
            actor,
            reason,
            ..
        } => {
            let mut t = lang.ta(
                "notice-agent-status",
                &[
                    ("agent", text(agent)),
                    ("from", text(&agent_status(lang, *from))),
                    ("to", text(&agent_status(lang, *to))),
                    ("by", text(actor)),
                ],
            );
            push_reason(&mut t, reason.as_ref(), lang);
            Rendered::plain(t)
        }
        Notice::BudgetChanged {
            agent,
            daily_cap,
            per_run_cap,
            actor,
            ..
        } => Rendered::plain(lang.ta(
            "notice-budget-changed",
            &[
                ("agent", text(agent)),
                ("daily", text(&daily_cap.to_string())),
                ("run", text(&per_run_cap.to_string())),
                ("by", text(actor)),
            ],
        )),
        Notice::SquadPaused { agents, actor, reason } => {
            let mut t = lang.ta("notice-squad-paused", &[("by", text(actor)), ("count", num(agents.len() as u32))]);
            if !agents.is_empty() {
                t.push('\n');
                t.push_str(&html_escape(&agents.join(", ")));
            }
            push_reason(&mut t, reason.as_ref(), lang);
            Rendered::plain(t)
        }
        Notice::SquadResumed { agents, actor } => {
            let mut t = lang.ta("notice-squad-resumed", &[("by", text(actor)), ("count", num(agents.len() as u32))]);
            if !agents.is_empty() {
                t.push('\n');
                t.push_str(&html_escape(&agents.join(", ")));
            }
            Rendered::plain(t)
        }
        Notice::ChatBound { project, forum, actor, .. } => Rendered::plain(bound(project, actor, *forum, lang)),
        Notice::Reply { text, .. } | Notice::ReplyWithChart { text, .. } | Notice::EditReply { text, .. } => Rendered::plain(text.clone()),
        // Not a message (the dispatcher sets the chat's menu button); named if ever listed.
        Notice::MenuButton { .. } => Rendered::plain(lang.t("bot-open-in-cockpit")),
        Notice::EditInto { notice, footer, .. } => Rendered::plain(format!("{}\n\n{footer}", self::notice(notice, lang).text)),
        Notice::Standup {
            summary,
            completed_since_last,
        } => Rendered::plain(standup_message(summary, *completed_since_last, lang).0),
    }
}

/// "Reason: …" on a line of its own, in the reader's language when the system gave it.
fn push_reason(t: &mut String, reason: Option<&Said>, lang: Lang) {
    let Some(reason) = reason.map(|r| r.render(lang)).filter(|r| !r.trim().is_empty()) else {
        return;
    };
    t.push('\n');
    t.push_str(&lang.ta("notice-reason", &[("reason", text(reason.trim()))]));
}

/// A system topic's name (at most 128 characters, as Telegram allows).
pub fn system_topic_name(which: &str, lang: Lang) -> String {
    lang.t(&format!("notice-topic-{which}")).chars().take(128).collect()
}

/// The message posted when a chat is bound to a project.
pub fn bound(project: &str, actor: &str, forum: bool, lang: Lang) -> String {
    let mut t = lang.ta("notice-bound", &[("project", text(project)), ("by", text(actor))]);
    if forum {
        t.push('\n');
        t.push_str(&lang.t("notice-bound-forum"));
    }
    t
}

/// A task's activity message: a header and the folded runs and comments, oldest first.
pub fn activity(number: i32, lines: &[String], lang: Lang) -> String {
    let header = lang.ta(
        "notice-task-activity",
        &[("number", num(number)), ("count", num(lines.len() as u32))],
    );
    let mut text = header;
    for line in lines {
        text.push('\n');
        text.push_str(line);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use mc_domain::TaskStatus;
    use uuid::Uuid;

    #[test]
    fn task_and_squad_lines_are_localized() {
        let moved = Notice::TaskTransitioned {
            task_id: Uuid::nil(),
            number: 3,
            title: "Write <docs>".into(),
            from: TaskStatus::InProgress,
            to: TaskStatus::Blocked,
            actor: "Scout".into(),
            reason: "waiting".into(),
        };
        assert_eq!(
            notice(&moved, Lang::En).text,
            "🔀 <b>#3</b> Write &lt;docs&gt;: in progress → <b>blocked</b> · Scout\nReason: waiting"
        );
        assert!(notice(&moved, Lang::Ru).text.contains("в работе → <b>заблокирована</b>"));
        let paused = Notice::SquadPaused {
            agents: vec!["A".into(), "B".into(), "C".into(), "D".into(), "E".into()],
            actor: "Ann".into(),
            reason: None,
        };
        assert!(notice(&paused, Lang::En).text.contains("5 agents stopped"));
        assert!(notice(&paused, Lang::Ru).text.contains("остановлено 5 агентов"));
        assert_eq!(system_topic_name("alerts", Lang::Ru), "Оповещения");
        assert!(bound("openclaw", "Ann", true, Lang::En).contains("own topics"));
    }
}
