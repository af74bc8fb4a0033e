//! A question an agent asks, as the chat shows it (who asks what, one button per option or
//! "reply to answer", until when), and the same message once answered, expired or withdrawn —
//! edited in place so the chat keeps one message per question, ending in its answer and who
//! gave it.

use super::plain;
use super::text::with_tail;
use super::{button_labelled, ButtonSpec, Rendered};
use crate::actions::ButtonAction;
use mc_core::model::notice::Notice;
use mc_core::model::Question;
use mc_domain::i18n::{html_escape, num, text, time, Lang};
use mc_domain::QuestionStatus;
use uuid::Uuid;

/// A question: who asks, about which task, the question, and how to answer it.
pub(super) fn question_asked(n: &Notice, lang: Lang) -> Rendered {
    question_picked(n, &[], lang)
}

/// A question with `picked` of its options ticked (a multi-select question's message as the
/// chat's clicks left it).
pub fn question_picked(n: &Notice, picked: &[String], lang: Lang) -> Rendered {
    let Notice::QuestionAsked {
        question_id,
        code,
        agent,
        task_number,
        question,
        options,
        multi_select,
        expires_at,
    } = n
    else {
        return Rendered::default();
    };
    let mut title = lang.ta("notice-question-title", &[("code", text(code)), ("agent", text(agent))]);
    if let Some(number) = task_number {
        title = format!("{title} · {}", lang.ta("notice-question-task", &[("number", num(*number))]));
    }
    let mut lines = vec![title, text_of(question)];
    let buttons = question_buttons(*question_id, options.as_deref(), *multi_select, picked, lang);
    match options {
        Some(_) if *multi_select => {
            lines.push(lang.t("notice-question-multi"));
            if !picked.is_empty() {
                lines.push(lang.ta("notice-question-picked", &[("picked", text(&picked.join(", ")))]));
            }
        }
        Some(_) => {}
        None => lines.push(lang.t("notice-question-reply")),
    }
    lines.push(lang.ta("notice-question-expires", &[("at", text(&time(*expires_at)))]));
    Rendered {
        text: lines.join("\n"),
        buttons,
    }
}

/// A button per option: a single-choice question is answered by one click; a multi-select
/// one's options are ticked (☑️) and unticked one click at a time, then ✔️ Done answers.
fn question_buttons(
    question_id: Uuid,
    options: Option<&[String]>,
    multi_select: bool,
    picked: &[String],
    lang: Lang,
) -> Vec<Vec<ButtonSpec>> {
    let Some(options) = options else { return Vec::new() };
    let mut rows: Vec<Vec<ButtonSpec>> = options
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let option = i as u8;
            vec![match multi_select {
                false => button_labelled(label, ButtonAction::AnswerQuestion { question_id, option }),
                true => {
                    let mark = if picked.contains(label) { "☑️" } else { "⬜" };
                    button_labelled(&format!("{mark} {label}"), ButtonAction::PickQuestionOption { question_id, option })
                }
            }]
        })
        .collect();
    if multi_select {
        rows.push(vec![ButtonSpec {
            label: lang.t("notice-button-question-done"),
            action: ButtonAction::SubmitQuestion { question_id },
        }]);
    }
    rows
}

fn text_of(question: &str) -> String {
    html_escape(question)
}

/// How a question closed: answered (what, by whom), expired, withdrawn.
fn closing(n: &Notice, lang: Lang) -> String {
    let Notice::QuestionClosed {
        status, by, answer, at, ..
    } = n
    else {
        return String::new();
    };
    let at = text(&time(*at));
    match status {
        QuestionStatus::Answered | QuestionStatus::Pending => lang.ta(
            "notice-question-answered",
            &[("by", text(by)), ("at", at), ("answer", text(answer.as_deref().unwrap_or("")))],
        ),
        QuestionStatus::Expired => lang.ta("notice-question-expired", &[("at", at)]),
        QuestionStatus::Canceled => lang.ta("notice-question-canceled", &[("by", text(by)), ("at", at)]),
    }
}

/// The closing as a message of its own (when the question's message is unknown).
pub(super) fn question_closed_alone(n: &Notice, lang: Lang) -> Rendered {
    let Notice::QuestionClosed { code, agent, question, .. } = n else {
        return Rendered::default();
    };
    let head = lang.ta(
        "notice-question-short",
        &[
            ("code", text(code)),
            ("agent", text(agent)),
            ("question", text(&super::clip(question, 300))),
        ],
    );
    Rendered::plain(format!("{head}\n{}", closing(n, lang)))
}

/// The question's message once closed: the question as it was shown (when known), without its
/// buttons, then how it closed. Cut to one message's length.
pub fn question_closed(asked: Option<&Notice>, closed: &Notice, lang: Lang) -> String {
    match asked {
        Some(a @ Notice::QuestionAsked { .. }) => with_tail(&question_asked(a, lang).text, "\n\n", &closing(closed, lang)),
        _ => question_closed_alone(closed, lang).text,
    }
}

/// A link to a message of a supergroup (`-100…` chats; others have no public links), in its
/// topic when it has one.
pub fn message_link(chat_id: i64, topic: Option<i32>, message_id: i32) -> Option<String> {
    let internal = chat_id.checked_neg()?.checked_sub(1_000_000_000_000).filter(|id| *id > 0)?;
    Some(match topic {
        Some(topic) => format!("https://t.me/c/{internal}/{topic}/{message_id}"),
        None => format!("https://t.me/c/{internal}/{message_id}"),
    })
}

/// One open question in `/questions`: its code (a link to its message when known), who asks,
/// the question, until when.
pub fn list_line(lang: Lang, question: &Question, agent: &str, link: Option<&str>) -> String {
    let code = match link {
        Some(link) => format!("<a href=\"{}\">{}</a>", html_escape(link), html_escape(&question.code())),
        None => format!("<b>{}</b>", html_escape(&question.code())),
    };
    lang.ta(
        "bot-questions-line",
        &[
            ("code", plain(&code)),
            ("agent", text(agent)),
            ("question", text(&super::clip(&question.question.replace('\n', " "), 150))),
            ("until", text(&time(question.expires_at))),
        ],
    )
}

/// `/questions`: the open questions of `project`, or that there are none.
pub fn list(lang: Lang, project: &str, lines: Vec<String>) -> String {
    if lines.is_empty() {
        return lang.ta("bot-questions-none", &[("project", text(project))]);
    }
    let mut out = lang.ta(
        "bot-questions-title",
        &[("project", text(project)), ("count", num(lines.len() as u32))],
    );
    for line in lines {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn asked(options: Option<Vec<String>>, multi_select: bool) -> Notice {
        Notice::QuestionAsked {
            question_id: Uuid::nil(),
            code: "Q3".into(),
            agent: "Scout".into(),
            task_number: Some(12),
            question: "Which <colour>?".into(),
            options,
            multi_select,
            expires_at: chrono::Utc.with_ymd_and_hms(2026, 12, 7, 20, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_question_shows_a_button_per_option_or_asks_for_a_reply() {
        let r = question_asked(&asked(Some(vec!["Red".into(), "Blue".into(), "Green".into()]), false), Lang::En);
        assert!(
            r.text.starts_with("❓ <b>Scout</b> asks · Q3 · task #12\nWhich &lt;colour&gt;?"),
            "{}",
            r.text
        );
        let labels: Vec<&str> = r.buttons.iter().flatten().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["Red", "Blue", "Green"]);
        let free = question_asked(&asked(None, false), Lang::Ru);
        assert!(free.buttons.is_empty());
        assert!(free.text.contains("Ответьте на это сообщение"), "{}", free.text);
        let multi = question_asked(&asked(Some(vec!["A".into(), "B".into()]), true), Lang::En);
        let labels: Vec<&str> = multi.buttons.iter().flatten().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["⬜ A", "⬜ B", "✔️ Done"]);
        assert!(multi.text.contains("Several may be chosen"), "{}", multi.text);
        let ticked = question_picked(&asked(Some(vec!["A".into(), "B".into()]), true), &["B".into()], Lang::En);
        let labels: Vec<&str> = ticked.buttons.iter().flatten().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["⬜ A", "☑️ B", "✔️ Done"]);
        assert!(ticked.text.contains("Ticked so far: B"), "{}", ticked.text);
    }

    #[test]
    fn a_closed_question_says_how_and_by_whom() {
        let closed = Notice::QuestionClosed {
            question_id: Uuid::nil(),
            code: "Q3".into(),
            agent: "Scout".into(),
            question: "Which colour?".into(),
            status: QuestionStatus::Answered,
            by: "Sofie".into(),
            answer: Some("Blue".into()),
            at: chrono::Utc.with_ymd_and_hms(2026, 12, 7, 19, 0, 0).unwrap(),
        };
        let text = question_closed(Some(&asked(None, false)), &closed, Lang::En);
        assert!(
            text.contains("Which &lt;colour&gt;?") && text.ends_with("✅ Answered by Sofie · 2026-12-07 19:00 UTC: <b>Blue</b>"),
            "{text}"
        );
        assert!(question_closed(None, &closed, Lang::Ru).contains("Ответил(а) Sofie"));
    }

    #[test]
    fn links_point_into_supergroups_and_their_topics() {
        assert_eq!(
            message_link(-1001234567890, Some(7), 42).as_deref(),
            Some("https://t.me/c/1234567890/7/42")
        );
        assert_eq!(
            message_link(-1001234567890, None, 42).as_deref(),
            Some("https://t.me/c/1234567890/42")
        );
        assert_eq!(message_link(-4242, None, 42), None);
        assert_eq!(message_link(4242, None, 42), None);
    }
}
