//! Everything Mission Control says in Telegram, in the chat's language: Telegram HTML built
//! from `locales/<lang>/*.ftl`, with the buttons a message carries (as [`ButtonAction`]s; the
//! dispatcher turns them into callback tokens). One renderer for both adapters: the bot's
//! answers to commands and buttons and the outbox's notices, cards and digests show a status, a
//! time, a risk or an alert in the same words, and neither adapter imports the other.
//!
//! Pure: data and a language in, text out; no I/O, no decisions. Every value a user, an agent
//! or the database gave is escaped (`i18n::text`), and every message fits Telegram's limits
//! ([`text`]). By subject:
//!
//! - [`words`]: the shared vocabulary (status words, roles, risk, severity and their marks);
//! - [`text`]: Telegram's length limit for HTML (counting, cutting, splitting);
//! - [`errors`]: the core's errors and refusals, as messages and as toasts;
//! - [`summaries`]: `/status`, `/standup` (and the scheduled standup with its chart), `/burnrate`;
//! - [`lists`]: the paged lists (agents, tasks, approvals, alerts, projects, tokens);
//! - [`entities`]: one agent, one task, who you are, a squad change;
//! - [`policy`]: the risk policy;
//! - [`notices`]: the core's notices as messages, and what is posted when a chat is bound;
//! - [`approvals`]: an approval request with its buttons, and the same once decided;
//! - [`questions`]: an agent's question with a button per option, and the same once answered;
//! - [`alerts`]: an alert with its buttons, its title and text from its typed details;
//! - [`digest`]: a burst of alerts as one message;
//! - [`card`]: a task's card and topic name in a forum.

pub mod alerts;
pub mod approvals;
pub mod card;
pub mod costs;
pub mod digest;
pub mod entities;
pub mod errors;
pub mod lists;
pub mod notices;
pub mod policy;
pub mod questions;
pub mod summaries;
pub mod text;
pub mod words;

pub use alerts::{alert, alert_body, alert_buttons, alert_resolved, alert_title};
pub use approvals::approval_decided;
pub use digest::{digest, digestible};
pub use entities::{agent, squad_change, task, tool_activity, whoami};
pub use errors::{error, error_toast, refusal, usage};
pub use lists::{agents_page, alerts_page, approvals_page, projects, tasks_page, tokens, PAGE_SIZE};
pub use notices::{activity, bound, notice, system_topic_name};
pub use policy::{policy, policy_check, tool_check};
pub use questions::{question_closed, question_picked};
pub use summaries::{burnrate, standup, standup_caption, standup_message, status};
pub use words::{
    agent_status, approval_status, names_of, risk, risk_mark, role, role_of, severity, severity_mark, status_mark, task_status,
};

use crate::actions::ButtonAction;
use fluent_templates::fluent_bundle::FluentValue;
use mc_domain::i18n::{num, text, Lang};
use mc_domain::Usd;
use std::borrow::Cow;

/// `answerCallbackQuery` text: 0-200 characters.
const TOAST_LIMIT: usize = 200;

/// A text argument used as is: already HTML, or for a plain-text toast.
pub fn plain(value: &str) -> FluentValue<'static> {
    FluentValue::String(Cow::Owned(value.to_string()))
}

/// `value` cut to `max` characters, with an ellipsis when cut.
pub fn clip(value: &str, max: usize) -> String {
    let value = value.trim();
    if value.chars().count() <= max {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A text argument cut to `max` characters, escaped.
fn clipped(value: &str, max: usize) -> FluentValue<'static> {
    text(&clip(value, max))
}

/// HTML as plain text (for a toast).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `lines` after `out`, each on a line of its own, or the message `empty` when there are none.
fn push_lines(out: &mut String, lines: Vec<String>, lang: Lang, empty: &str) {
    if lines.is_empty() {
        out.push('\n');
        out.push_str(&lang.t(empty));
    }
    for line in lines {
        out.push('\n');
        out.push_str(&line);
    }
}

/// A toast's text (plain, at most 200 characters).
pub fn toast(value: &str) -> String {
    clip(value, TOAST_LIMIT)
}

/// Dollars, as everywhere in the chat: `$2.16`.
fn money(usd: Usd) -> FluentValue<'static> {
    plain(&usd.to_string())
}

/// A run's cost as shown: "unpriced" when unknown (never $0), and the price table's figure
/// beside a reported cost that differs from it by more than 5 %.
pub fn run_cost(lang: Lang, cost: Option<Usd>, mismatch_with: Option<Usd>) -> String {
    match (cost, mismatch_with) {
        (None, _) => lang.t("cost-unpriced"),
        (Some(cost), None) => cost.to_string(),
        (Some(cost), Some(priced)) => lang.ta(
            "cost-mismatch",
            &[("cost", plain(&cost.to_string())), ("priced", plain(&priced.to_string()))],
        ),
    }
}

/// A number that selects plural forms.
fn count(n: impl Into<f64>) -> FluentValue<'static> {
    num(n.into())
}

/// An inline button before it has a callback token.
#[derive(Debug, Clone, PartialEq)]
pub struct ButtonSpec {
    pub label: String,
    pub action: ButtonAction,
}

/// A message to post: HTML text and rows of buttons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    pub text: String,
    pub buttons: Vec<Vec<ButtonSpec>>,
}

impl Rendered {
    fn plain(text: String) -> Self {
        Rendered { text, buttons: Vec::new() }
    }
}

/// A button labelled with the message `key`.
fn button(lang: Lang, key: &str, action: ButtonAction) -> ButtonSpec {
    button_labelled(&lang.t(key), action)
}

/// A button whose label is given (an agent's option), not a message of the locales.
fn button_labelled(label: &str, action: ButtonAction) -> ButtonSpec {
    ButtonSpec {
        label: label.to_string(),
        action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("Привет, мир", 6), "Приве…");
        assert_eq!(clip("ok", 6), "ok");
        assert!(toast(&"x".repeat(500)).chars().count() <= 200);
    }
}

/// Notices to render in the tests of this module's files.
#[cfg(test)]
mod fixtures {
    use chrono::{DateTime, TimeZone, Utc};
    use mc_core::model::notice::Notice;
    use mc_domain::{AlertSeverity, RiskLevel, Usd};
    use uuid::Uuid;

    pub fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 0).unwrap()
    }

    pub fn request() -> Notice {
        Notice::ApprovalRequested {
            approval_id: Uuid::nil(),
            code: "A7".into(),
            agent: "Scout".into(),
            task_number: Some(12),
            action_type: "deploy.prod".into(),
            summary: "Ship <script> & co".into(),
            risk: RiskLevel::Red,
            reasons: vec!["production".into()],
            justification: "Customers wait".into(),
            rollback_plan: Some("Revert the tag".into()),
            estimated_cost: Some(Usd::from_cents(250)),
            expires_at: at(),
            tool: None,
        }
    }

    pub fn alert_notice(i: usize, severity: AlertSeverity, alert_type: &str, subject: String) -> Notice {
        Notice::AlertRaised {
            alert_id: Uuid::from_u128(i as u128),
            alert_type: alert_type.into(),
            severity,
            subject,
            message: format!("Alert number {i:04} <b>"),
            details: serde_json::Value::Null,
            occurrences: 1,
            repeat: false,
        }
    }
}
