//! An approval request as the CAO sees it (who asks for what, how risky and why, until when,
//! with Approve and Deny), and the same message once decided.

use super::text::with_tail;
use super::words::{risk as risk_word, risk_mark};
use super::{button, Rendered};
use crate::actions::{ButtonAction, GrantButton};
use mc_core::model::notice::{Notice, ToolCard};
use mc_domain::i18n::{html_escape, num, text, time, Lang};
use mc_domain::{ApprovalStatus, ToolClient};

/// An approval request: who asks for what, how risky and why, until when; Approve and Deny.
pub(super) fn approval_request(n: &Notice, lang: Lang) -> Rendered {
    let Notice::ApprovalRequested {
        approval_id,
        code,
        agent,
        task_number,
        action_type,
        summary,
        risk,
        reasons,
        justification,
        rollback_plan,
        estimated_cost,
        expires_at,
        tool,
    } = n
    else {
        return Rendered::default();
    };
    if let Some(card) = tool {
        return tool_call(n, card, lang);
    }
    let mut title = lang.ta("notice-approval-title", &[("code", text(code)), ("agent", text(agent))]);
    if let Some(number) = task_number {
        title.push_str(" · ");
        title.push_str(&lang.ta("notice-approval-task", &[("number", num(*number))]));
    }
    let mut risk_line = lang.ta(
        "notice-approval-risk",
        &[("mark", text(risk_mark(*risk))), ("risk", text(&risk_word(lang, *risk)))],
    );
    if !reasons.is_empty() {
        risk_line.push_str(" — ");
        risk_line.push_str(&lang.ta(
            "notice-approval-reasons",
            &[(
                "reasons",
                text(&reasons.iter().map(|r| r.render(lang)).collect::<Vec<_>>().join("; ")),
            )],
        ));
    }
    let mut lines = vec![
        title,
        risk_line,
        lang.ta(
            "notice-approval-action",
            &[("action", text(action_type)), ("summary", text(summary))],
        ),
    ];
    let mut details = Vec::new();
    if !justification.trim().is_empty() {
        details.push(lang.ta("notice-approval-justification", &[("text", text(justification.trim()))]));
    }
    if let Some(plan) = rollback_plan.as_deref().filter(|p| !p.trim().is_empty()) {
        details.push(lang.ta("notice-approval-rollback", &[("text", text(plan.trim()))]));
    }
    if let Some(cost) = estimated_cost {
        details.push(lang.ta("notice-approval-cost", &[("cost", text(&cost.to_string()))]));
    }
    details.push(lang.ta("notice-approval-expires", &[("at", text(&time(*expires_at)))]));
    lines.push(String::new());
    lines.extend(details);
    Rendered {
        text: lines.join("\n"),
        buttons: vec![vec![
            button(lang, "notice-button-approve", ButtonAction::Approve { approval_id: *approval_id }),
            button(lang, "notice-button-deny", ButtonAction::Deny { approval_id: *approval_id }),
        ]],
    }
}

/// A RED tool call of Claude Code or Codex: who wants to run what, where, for which task,
/// and the rule that made it RED; the command as code. Approve and Deny.
fn tool_call(n: &Notice, card: &ToolCard, lang: Lang) -> Rendered {
    let Notice::ApprovalRequested {
        approval_id,
        code,
        agent,
        expires_at,
        ..
    } = n
    else {
        return Rendered::default();
    };
    let client = match card.client {
        ToolClient::ClaudeCode => "Claude Code",
        ToolClient::Codex => "Codex",
        ToolClient::Mcp => "Claude Code (MCP)",
    };
    let mut lines = vec![
        lang.ta("notice-approval-title", &[("code", text(code)), ("agent", text(agent))]),
        lang.ta("notice-tool-call", &[("client", text(client)), ("tool", text(&card.tool))]),
        format!("<pre>{}</pre>", html_escape(&card.text)),
    ];
    if let Some(cwd) = card.cwd.as_deref().filter(|c| !c.is_empty()) {
        lines.push(lang.ta("notice-tool-cwd", &[("cwd", text(cwd))]));
    }
    if let Some(task) = &card.task {
        lines.push(lang.ta("notice-tool-task", &[("task", text(task))]));
    }
    lines.push(lang.ta("notice-tool-rule", &[("rule", text(&card.rule))]));
    if let Some(grant) = &card.grant {
        lines.push(lang.ta("notice-tool-grant", &[("rule", text(grant))]));
    }
    lines.push(lang.ta("notice-approval-expires", &[("at", text(&time(*expires_at)))]));
    let approval_id = *approval_id;
    let mut approve = vec![button(lang, "notice-button-once", ButtonAction::Approve { approval_id })];
    if card.grant.is_some() {
        approve.push(button(
            lang,
            "notice-button-hour",
            ButtonAction::ApproveFor {
                approval_id,
                span: GrantButton::Hour,
            },
        ));
        if card.has_task {
            approve.push(button(
                lang,
                "notice-button-this-task",
                ButtonAction::ApproveFor {
                    approval_id,
                    span: GrantButton::Task,
                },
            ));
        }
    }
    Rendered {
        text: lines.join("\n"),
        buttons: vec![
            approve,
            vec![
                button(lang, "notice-button-deny-now", ButtonAction::DenyNow { approval_id }),
                button(lang, "notice-button-deny-instructions", ButtonAction::Deny { approval_id }),
            ],
        ],
    }
}

/// The decision line of an `ApprovalDecided`.
pub(super) fn decision(n: &Notice, lang: Lang) -> String {
    let Notice::ApprovalDecided {
        status,
        decided_by,
        note,
        decided_at,
        ..
    } = n
    else {
        return String::new();
    };
    let key = match status {
        ApprovalStatus::Approved | ApprovalStatus::Pending => "notice-approval-approved",
        ApprovalStatus::Denied => "notice-approval-denied",
        ApprovalStatus::Expired => "notice-approval-expired",
        ApprovalStatus::Canceled => "notice-approval-canceled",
        ApprovalStatus::Escalated => "notice-approval-escalated",
    };
    let mut line = lang.ta(key, &[("by", text(decided_by)), ("at", text(&time(*decided_at)))]);
    if let Some(note) = note.as_ref().map(|n| n.render(lang)).filter(|n| !n.trim().is_empty()) {
        line.push('\n');
        line.push_str(&lang.ta("notice-approval-note", &[("note", text(note.trim()))]));
    }
    line
}

/// The approval's message once decided: the request as it was shown (when known), then who
/// decided and when. An edit cannot span messages, so it is cut to one message's length.
pub fn approval_decided(request: Option<&Notice>, decided: &Notice, lang: Lang) -> String {
    let decision = decision(decided, lang);
    let head = match (request, decided) {
        (Some(r @ Notice::ApprovalRequested { .. }), _) => approval_request(r, lang).text,
        (_, Notice::ApprovalDecided { code, .. }) => lang.ta("notice-approval-short", &[("code", text(code))]),
        _ => String::new(),
    };
    with_tail(&head, "\n\n", &decision)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{at, request};
    use super::super::notice;
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_tool_call_card_shows_the_command_as_code_where_and_why() {
        let mut n = request();
        if let Notice::ApprovalRequested { tool, .. } = &mut n {
            *tool = Some(Box::new(ToolCard {
                client: ToolClient::ClaudeCode,
                tool: "Bash".into(),
                text: "git push origin main && echo '<done>'".into(),
                cwd: Some("/home/dev/shop".into()),
                rule: "no rule names it".into(),
                task: Some("#12 Launch <page>".into()),
                grant: Some("Bash(git push:*)".into()),
                has_task: true,
            }));
        }
        for lang in [Lang::En, Lang::Ru] {
            let r = notice(&n, lang);
            for part in [
                "A7",
                "Scout",
                "Claude Code",
                "<b>Bash</b>",
                "<pre>git push origin main &amp;&amp; echo '&lt;done&gt;'</pre>",
                "/home/dev/shop",
                "#12 Launch &lt;page&gt;",
                "no rule names it",
            ] {
                assert!(r.text.contains(part), "{part} missing in {}", r.text);
            }
            let actions: Vec<ButtonAction> = r.buttons.concat().into_iter().map(|b| b.action).collect();
            let id = Uuid::nil();
            assert_eq!(
                actions,
                [
                    ButtonAction::Approve { approval_id: id },
                    ButtonAction::ApproveFor {
                        approval_id: id,
                        span: GrantButton::Hour
                    },
                    ButtonAction::ApproveFor {
                        approval_id: id,
                        span: GrantButton::Task
                    },
                    ButtonAction::DenyNow { approval_id: id },
                    ButtonAction::Deny { approval_id: id },
                ]
            );
            assert!(r.text.contains("Bash(git push:*)"), "{}", r.text);
        }
    }

    #[test]
    fn approval_requests_show_everything_escaped_with_two_buttons() {
        let r = notice(&request(), Lang::En);
        for part in [
            "A7",
            "Scout",
            "task #12",
            "🔴",
            "red",
            "production",
            "Ship &lt;script&gt; &amp; co",
            "Customers wait",
            "Revert the tag",
            "$2.50",
            "2026-03-02 10:30 UTC",
        ] {
            assert!(r.text.contains(part), "{part} missing in {}", r.text);
        }
        assert!(!r.text.contains("<script>"));
        let actions: Vec<_> = r.buttons.concat().into_iter().map(|b| b.action).collect();
        assert_eq!(
            actions,
            vec![
                ButtonAction::Approve { approval_id: Uuid::nil() },
                ButtonAction::Deny { approval_id: Uuid::nil() }
            ]
        );
        let ru = notice(&request(), Lang::Ru);
        assert!(
            ru.text.contains("Согласование") && ru.text.contains("Риск: <b>красный</b>"),
            "{}",
            ru.text
        );
        assert_eq!(ru.buttons[0][0].label, "✅ Одобрить");
    }

    #[test]
    fn a_decided_approval_keeps_the_request_and_says_who_and_when() {
        let decided = Notice::ApprovalDecided {
            approval_id: Uuid::nil(),
            code: "A7".into(),
            status: ApprovalStatus::Denied,
            decided_by: "Ann <admin>".into(),
            note: Some("not today".into()),
            decided_at: at(),
        };
        let t = approval_decided(Some(&request()), &decided, Lang::En);
        assert!(t.contains("Ship &lt;script&gt;") && t.contains("❌ Denied by Ann &lt;admin&gt; · 2026-03-02 10:30 UTC"));
        assert!(t.contains("not today"));
        let short = approval_decided(None, &decided, Lang::En);
        assert!(short.starts_with("🛂 Approval <b>A7</b>"), "{short}");
    }
}
