//! `/policy`: which tools are green, yellow or red, the project's overrides and automatic
//! approvals, which task types need an approval to be done, and the limits.

use super::words::risk;
use super::{clip, count, plain};
use mc_core::model::summary::PolicySummary;
use mc_domain::i18n::{html_escape, text, Lang};
use mc_domain::policy::PolicyCheck;
use mc_domain::tools::ToolVerdict;
use mc_domain::RiskLevel;

pub fn policy(lang: Lang, p: &PolicySummary) -> String {
    let mut out = lang.t("bot-policy-title");
    out.push('\n');
    out.push_str(&lang.t("bot-policy-rules"));
    out.push_str("\n\n");
    out.push_str(&lang.t("bot-policy-tools"));
    for level in [RiskLevel::Green, RiskLevel::Yellow, RiskLevel::Red] {
        let tools: Vec<&str> = p.tools.iter().filter(|(_, r, _)| *r == level).map(|(t, _, _)| t.as_str()).collect();
        if !tools.is_empty() {
            out.push('\n');
            out.push_str(&lang.ta(
                "bot-policy-level",
                &[("risk", plain(&risk(lang, level))), ("tools", text(&tools.join(", ")))],
            ));
        }
    }
    let list = |items: Vec<String>| {
        if items.is_empty() {
            lang.t("bot-list-none")
        } else {
            html_escape(&clip(&items.join(", "), 600))
        }
    };
    out.push_str("\n\n");
    out.push_str(&lang.ta(
        "bot-policy-overrides",
        &[(
            "overrides",
            plain(&list(p.overrides.iter().map(|(t, r)| format!("{t} → {}", r.as_str())).collect())),
        )],
    ));
    out.push('\n');
    out.push_str(&lang.ta("bot-policy-auto", &[("actions", plain(&list(p.auto_approve.clone())))]));
    out.push('\n');
    out.push_str(&lang.ta(
        "bot-policy-done",
        &[(
            "types",
            plain(&list(p.done_requires_approval.iter().map(|t| t.as_str().to_string()).collect())),
        )],
    ));
    out.push('\n');
    out.push_str(&lang.ta(
        "bot-policy-limits",
        &[
            ("expiry", count(p.approval_expiry_minutes)),
            ("alert", count(p.error_streak_alert)),
            ("quarantine", count(p.error_streak_quarantine)),
            ("stale", count(p.stale_after_minutes as f64)),
            ("warning", count(p.budget_warning_percent)),
        ],
    ));
    out
}

/// `/policy Bash <command>`: the tool call's level, what decided it, and each part of a
/// compound command with its own.
pub fn tool_check(lang: Lang, tool: &str, v: &ToolVerdict) -> String {
    let mut out = lang.ta(
        "bot-policy-tool-check",
        &[("tool", text(tool)), ("risk", plain(&risk(lang, v.risk)))],
    );
    out.push('\n');
    out.push_str(&lang.ta("bot-policy-because", &[("reason", text(&v.decider.msg().render(lang)))]));
    for part in v.parts.iter().take(12) {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-policy-tool-part",
            &[
                ("risk", plain(&risk(lang, part.risk))),
                ("part", text(&clip(&part.text, 200))),
                ("reason", text(&part.decider.msg().render(lang))),
            ],
        ));
    }
    out
}

/// `/policy <actionType>`: its level, why, and what it means for each role.
pub fn policy_check(lang: Lang, c: &PolicyCheck) -> String {
    let mut out = lang.ta(
        "bot-policy-check",
        &[("action", text(&c.action)), ("risk", plain(&risk(lang, c.risk)))],
    );
    for reason in &c.reasons {
        out.push('\n');
        out.push_str(&lang.ta("bot-policy-because", &[("reason", text(&reason.render(lang)))]));
    }
    for (role, decision) in &c.decisions {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-policy-for-role",
            &[("role", text(role.as_str())), ("outcome", plain(&lang.t(decision.outcome_id())))],
        ));
    }
    out
}
