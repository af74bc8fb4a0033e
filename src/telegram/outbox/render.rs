//! Notices as Telegram HTML in the chat's language, with the buttons they carry. Pure: data and a
//! language in, text out (buttons as [`ButtonAction`]s; the dispatcher turns them into tokens).
//! Everything users or agents wrote is escaped; every word comes from `locales/*/notices.ftl`.

use super::text::{truncate, visible_len, MESSAGE_LIMIT};
use crate::app::notice::Notice;
use crate::app::summary::{ProjectSummary, SpendLine};
use crate::charts::{StandupChart, MAX_AGENT_BARS};
use crate::domain::loops::LoopFinding;
use crate::domain::{AgentStatus, AlertSeverity, ApprovalStatus, RiskLevel, RunStatus, TaskStatus, Usd};
use crate::i18n::{html_escape, num, text, Lang, Said};
use crate::telegram::actions::ButtonAction;
use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use uuid::Uuid;

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

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn button(lang: Lang, key: &str, action: ButtonAction) -> ButtonSpec {
    ButtonSpec {
        label: lang.t(key),
        action,
    }
}

pub fn risk_mark(risk: RiskLevel) -> &'static str {
    match risk {
        RiskLevel::Green => "🟢",
        RiskLevel::Yellow => "🟡",
        RiskLevel::Red => "🔴",
    }
}

pub fn severity_mark(severity: AlertSeverity) -> &'static str {
    match severity {
        AlertSeverity::Info => "ℹ️",
        AlertSeverity::Warning => "⚠️",
        AlertSeverity::Critical => "🚨",
    }
}

fn task_status(lang: Lang, s: TaskStatus) -> String {
    lang.t(&format!("notice-status-{}", s.as_str()))
}

fn agent_status(lang: Lang, s: AgentStatus) -> String {
    lang.t(&format!("notice-agent-{}", s.as_str()))
}

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
                ("cost", text(&cost.to_string())),
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
        Notice::Reply { text, .. } | Notice::EditReply { text, .. } => Rendered::plain(text.clone()),
        Notice::Standup {
            summary,
            completed_since_last,
        } => Rendered::plain(standup(summary, *completed_since_last, lang).0),
    }
}

/// The standup: its text (the bot's `/standup` view plus what was completed since the last
/// one) and its chart, both in the chat's language.
pub fn standup(summary: &ProjectSummary, completed_since_last: i64, lang: Lang) -> (String, StandupChart) {
    let mut text = crate::telegram::bot::render::standup(lang, summary);
    text.push_str("\n\n");
    text.push_str(&lang.ta("notice-standup-completed-since", &[("count", num(completed_since_last as f64))]));
    let chart = StandupChart {
        title: lang.ta(
            "notice-standup-chart-title",
            &[
                ("project", FluentValue::from(summary.project.name.clone())),
                ("date", FluentValue::from(summary.at.format("%Y-%m-%d").to_string())),
            ],
        ),
        spend_title: lang.t("notice-standup-chart-spend"),
        tasks_title: lang.t("notice-standup-chart-tasks"),
        // The biggest spenders (the summary's order, as in the text); the others in a note.
        agents: summary
            .spend
            .iter()
            .take(MAX_AGENT_BARS)
            .map(|l| (l.name.clone(), l.today_spend.dollars(), l.daily_cap.dollars()))
            .collect(),
        agents_note: (summary.spend.len() > MAX_AGENT_BARS).then(|| {
            let rest = &summary.spend[MAX_AGENT_BARS..];
            let sum = |f: fn(&SpendLine) -> Usd| rest.iter().map(f).fold(Usd::ZERO, Usd::saturating_add);
            lang.ta(
                "notice-standup-chart-more",
                &[
                    ("count", num(rest.len() as f64)),
                    ("spent", FluentValue::from(sum(|l| l.today_spend).to_string())),
                    ("cap", FluentValue::from(sum(|l| l.daily_cap).to_string())),
                ],
            )
        }),
        statuses: summary
            .tasks_by_status
            .iter()
            .map(|(status, n)| (task_status(lang, *status), (*n).max(0) as u64))
            .collect(),
    };
    (text, chart)
}

fn approval_request(n: &Notice, lang: Lang) -> Rendered {
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
    } = n
    else {
        return Rendered::default();
    };
    let mut title = lang.ta("notice-approval-title", &[("code", text(code)), ("agent", text(agent))]);
    if let Some(number) = task_number {
        title.push_str(" · ");
        title.push_str(&lang.ta("notice-approval-task", &[("number", num(*number))]));
    }
    let mut risk_line = lang.ta(
        "notice-approval-risk",
        &[
            ("mark", text(risk_mark(*risk))),
            ("risk", text(&lang.t(&format!("notice-risk-{}", risk.as_str())))),
        ],
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
    details.push(lang.ta("notice-approval-expires", &[("at", text(&when(*expires_at)))]));
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

/// "Reason: …" on a line of its own, in the reader's language when the system gave it.
fn push_reason(t: &mut String, reason: Option<&Said>, lang: Lang) {
    let Some(reason) = reason.map(|r| r.render(lang)).filter(|r| !r.trim().is_empty()) else {
        return;
    };
    t.push('\n');
    t.push_str(&lang.ta("notice-reason", &[("reason", text(reason.trim()))]));
}

/// The decision line of an `ApprovalDecided`.
fn decision(n: &Notice, lang: Lang) -> String {
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
    let mut line = lang.ta(key, &[("by", text(decided_by)), ("at", text(&when(*decided_at)))]);
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
    let room = MESSAGE_LIMIT.saturating_sub(visible_len(&decision) + 2);
    format!("{}\n\n{}", truncate(&head, room), decision)
}

/// What an alert is about: `agent:<uuid>` or `task:<uuid>`.
fn subject_id(subject: &str, prefix: &str) -> Option<Uuid> {
    subject.strip_prefix(prefix).and_then(|s| Uuid::parse_str(s.trim()).ok())
}

/// The buttons for an alert's likely actions, by its type.
pub fn alert_buttons(alert_id: Uuid, alert_type: &str, subject: &str, lang: Lang) -> Vec<Vec<ButtonSpec>> {
    let agent = subject_id(subject, "agent:");
    let task = subject_id(subject, "task:");
    let resolve = button(lang, "notice-button-resolve", ButtonAction::ResolveAlert { alert_id });
    let alert = Some(alert_id);
    match (alert_type, agent, task) {
        ("budget_exceeded", Some(agent_id), _) => vec![
            vec![
                button(lang, "notice-button-raise-cap", ButtonAction::RaiseCap { alert_id, agent_id }),
                button(lang, "notice-button-keep-paused", ButtonAction::KeepPaused { alert_id, agent_id }),
            ],
            vec![
                button(
                    lang,
                    "notice-button-quarantine",
                    ButtonAction::QuarantineAgent { alert_id: alert, agent_id },
                ),
                resolve,
            ],
        ],
        ("loop_detected", _, Some(task_id)) => vec![
            vec![
                button(
                    lang,
                    "notice-button-unblock",
                    ButtonAction::UnblockTask { alert_id: alert, task_id },
                ),
                button(
                    lang,
                    "notice-button-reassign",
                    ButtonAction::ReassignTask { alert_id: alert, task_id },
                ),
            ],
            vec![
                button(
                    lang,
                    "notice-button-cancel-task",
                    ButtonAction::CancelTask { alert_id: alert, task_id },
                ),
                resolve,
            ],
        ],
        ("agent_stale" | "error_streak", Some(agent_id), _) => vec![
            vec![
                button(
                    lang,
                    "notice-button-restart",
                    ButtonAction::RestartAgent { alert_id: alert, agent_id },
                ),
                button(
                    lang,
                    "notice-button-quarantine",
                    ButtonAction::QuarantineAgent { alert_id: alert, agent_id },
                ),
            ],
            vec![resolve],
        ],
        _ => vec![vec![resolve]],
    }
}

/// An alert type's name in the chat's language (`alert-type-<type>`), or the type itself for
/// one raised by an operator or a script. HTML.
pub fn alert_title(alert_type: &str, lang: Lang) -> String {
    let key = format!("alert-type-{alert_type}");
    match lang.t(&key) {
        t if t == key => html_escape(alert_type),
        t => t,
    }
}

/// An alert's text in the chat's language, rendered from its details (`alert-body-<type>`);
/// the stored message for a type without a translation or details that lack an argument. HTML.
pub fn alert_body(alert_type: &str, details: &serde_json::Value, message: &str, lang: Lang) -> String {
    localized_body(alert_type, &Details(details), lang).unwrap_or_else(|| html_escape(message))
}

/// The arguments of an alert, read from its details; `None` when one is missing.
struct Details<'a>(&'a serde_json::Value);

type Args = Vec<(&'static str, FluentValue<'static>)>;

impl Details<'_> {
    fn text(&self, field: &str) -> Option<FluentValue<'static>> {
        self.0.get(field)?.as_str().map(text)
    }

    fn num(&self, field: &str) -> Option<FluentValue<'static>> {
        self.0.get(field)?.as_f64().map(num)
    }

    /// Dollars, shown as everywhere else in the chat.
    fn money(&self, field: &str) -> Option<FluentValue<'static>> {
        let usd = Usd::from_dollars(self.0.get(field)?.as_f64()?).ok()?;
        Some(text(&usd.to_string()))
    }

    fn is_null(&self, field: &str) -> bool {
        self.0.get(field).is_some_and(serde_json::Value::is_null)
    }
}

fn localized_body(alert_type: &str, d: &Details, lang: Lang) -> Option<String> {
    let (key, args): (&str, Args) = match alert_type {
        "budget_exceeded" => (
            "alert-body-budget_exceeded",
            vec![
                ("agent", d.text("agent")?),
                ("spend", d.money("todaySpend")?),
                ("cap", d.money("dailyCap")?),
            ],
        ),
        "budget_warning" => (
            "alert-body-budget_warning",
            vec![
                ("agent", d.text("agent")?),
                ("percent", d.num("percent")?),
                ("spend", d.money("todaySpend")?),
                ("cap", d.money("dailyCap")?),
            ],
        ),
        "per_run_cap_exceeded" => (
            "alert-body-per_run_cap_exceeded",
            vec![
                ("agent", d.text("agent")?),
                ("cost", d.money("cost")?),
                ("cap", d.money("perRunCap")?),
            ],
        ),
        "approval_expiring" => (
            "alert-body-approval_expiring",
            vec![
                ("code", d.text("code")?),
                ("action", d.text("action")?),
                ("agent", d.text("agent")?),
                ("minutes", d.num("minutes")?),
            ],
        ),
        "agent_stale" if d.is_null("minutesSilent") => ("alert-body-agent_stale-never", vec![("agent", d.text("agent")?)]),
        "agent_stale" => (
            "alert-body-agent_stale",
            vec![("agent", d.text("agent")?), ("minutes", d.num("minutesSilent")?)],
        ),
        "error_streak" => (
            if d.0.get("quarantined")?.as_bool()? {
                "alert-body-error_streak-quarantined"
            } else {
                "alert-body-error_streak"
            },
            vec![("agent", d.text("agent")?), ("count", d.num("errorStreak")?)],
        ),
        "loop_detected" => {
            let findings = d.0.get("findings")?.as_array()?;
            let reasons = findings.iter().map(|f| loop_reason(f, lang)).collect::<Option<Vec<String>>>()?;
            if reasons.is_empty() {
                return None;
            }
            (
                "alert-body-loop_detected",
                vec![
                    ("number", d.num("number")?),
                    ("title", d.text("title")?),
                    // Already HTML: each reason is a message of its own.
                    ("reasons", FluentValue::from(reasons.join("; "))),
                ],
            )
        }
        _ => return None,
    };
    Some(lang.ta(key, &args))
}

/// One rule a looping task broke (a `LoopFinding` as stored in the alert's details), as HTML.
fn loop_reason(finding: &serde_json::Value, lang: Lang) -> Option<String> {
    let finding: LoopFinding = serde_json::from_value(finding.clone()).ok()?;
    Some(html_escape(&finding.message().render(lang)))
}

fn alert_text(
    alert_type: &str,
    severity: AlertSeverity,
    message: &str,
    details: &serde_json::Value,
    occurrences: i32,
    lang: Lang,
) -> String {
    let mut t = lang.ta(
        "notice-alert-title",
        &[
            ("mark", text(severity_mark(severity))),
            // Already HTML.
            ("type", FluentValue::from(alert_title(alert_type, lang))),
            ("severity", text(&lang.t(&format!("notice-severity-{}", severity.as_str())))),
        ],
    );
    t.push('\n');
    t.push_str(&alert_body(alert_type, details, message, lang));
    if occurrences > 1 {
        t.push('\n');
        t.push_str(&lang.ta("notice-alert-seen", &[("count", num(occurrences))]));
    }
    t
}

/// An alert with its action buttons (also the text of a repeat's edit, with the new count).
pub fn alert(n: &Notice, lang: Lang) -> Rendered {
    let Notice::AlertRaised {
        alert_id,
        alert_type,
        severity,
        subject,
        message,
        details,
        occurrences,
        ..
    } = n
    else {
        return Rendered::default();
    };
    Rendered {
        text: alert_text(alert_type, *severity, message, details, *occurrences, lang),
        buttons: alert_buttons(*alert_id, alert_type, subject, lang),
    }
}

/// The alert's message once resolved: the alert as last shown (when known), then who resolved
/// it; no buttons.
pub fn alert_resolved(raised: Option<&Notice>, resolved: &Notice, lang: Lang) -> String {
    let Notice::AlertResolved {
        alert_type,
        message,
        details,
        resolved_by,
        ..
    } = resolved
    else {
        return String::new();
    };
    let head = match raised {
        Some(Notice::AlertRaised {
            alert_type,
            severity,
            message,
            details,
            occurrences,
            ..
        }) => alert_text(alert_type, *severity, message, details, *occurrences, lang),
        _ => format!(
            "<b>{}</b>\n{}",
            alert_title(alert_type, lang),
            alert_body(alert_type, details, message, lang)
        ),
    };
    let tail = lang.ta("notice-alert-resolved", &[("by", text(resolved_by))]);
    let room = MESSAGE_LIMIT.saturating_sub(visible_len(&tail) + 1);
    format!("{}\n{}", truncate(&head, room), tail)
}

/// Whether a notice can be a line in a digest of alerts.
pub fn digestible(n: &Notice) -> bool {
    matches!(n, Notice::AlertRaised { .. } | Notice::AlertResolved { .. })
}

/// A digest of the first alerts of `items` that fit in one message (at least one; an alert too
/// long for a message alone is cut). Returns the text and how many items it lists. Raised
/// alerts are grouped by type and severity in order of first appearance, resolved ones last.
pub fn digest(items: &[&Notice], lang: Lang) -> (String, usize) {
    let items: Vec<&Notice> = items.iter().copied().filter(|n| digestible(n)).collect();
    if items.is_empty() {
        return (String::new(), 0);
    }
    let mut best = (digest_text(&items[..1], lang), 1);
    if visible_len(&best.0) > MESSAGE_LIMIT {
        best.0 = truncate(&best.0, MESSAGE_LIMIT);
        return best;
    }
    // Grow while it fits: a binary search over the prefix length.
    let (mut lo, mut hi) = (1, items.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t = digest_text(&items[..mid], lang);
        if visible_len(&t) <= MESSAGE_LIMIT {
            best = (t, mid);
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    best
}

fn digest_text(items: &[&Notice], lang: Lang) -> String {
    let mut groups: Vec<((String, AlertSeverity), Vec<String>)> = Vec::new();
    let mut resolved = Vec::new();
    for n in items {
        match n {
            Notice::AlertRaised {
                alert_type,
                severity,
                message,
                details,
                occurrences,
                ..
            } => {
                let line = lang.ta(
                    "notice-digest-item",
                    &[
                        // Already HTML.
                        ("message", FluentValue::from(alert_body(alert_type, details, message, lang))),
                        ("count", num(*occurrences)),
                    ],
                );
                let key = (alert_type.clone(), *severity);
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, lines)) => lines.push(line),
                    None => groups.push((key, vec![line])),
                }
            }
            Notice::AlertResolved {
                alert_type,
                message,
                details,
                resolved_by,
                ..
            } => resolved.push(lang.ta(
                "notice-digest-resolved-item",
                &[
                    // Already HTML.
                    ("type", FluentValue::from(alert_title(alert_type, lang))),
                    ("message", FluentValue::from(alert_body(alert_type, details, message, lang))),
                    ("by", text(resolved_by)),
                ],
            )),
            _ => {}
        }
    }
    let mut out = vec![lang.ta("notice-digest-title", &[("count", num(items.len() as u32))])];
    for ((alert_type, severity), lines) in groups {
        out.push(lang.ta(
            "notice-digest-group",
            &[
                ("mark", text(severity_mark(severity))),
                // Already HTML.
                ("type", FluentValue::from(alert_title(&alert_type, lang))),
                ("severity", text(&lang.t(&format!("notice-severity-{}", severity.as_str())))),
            ],
        ));
        out.extend(lines);
    }
    if !resolved.is_empty() {
        out.push(lang.t("notice-digest-resolved"));
        out.extend(resolved);
    }
    out.join("\n")
}

/// The system topics of a forum, by `chat_bindings` column stem.
pub const SYSTEM_TOPICS: [&str; 3] = ["approvals", "alerts", "standup"];

/// A system topic's name (at most 128 characters, as Telegram allows).
pub fn topic_name(which: &str, lang: Lang) -> String {
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
        &[
            ("number", crate::i18n::num(number)),
            ("count", crate::i18n::num(lines.len() as u32)),
        ],
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
    use crate::domain::Usd;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 0).unwrap()
    }

    fn request() -> Notice {
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
        }
    }

    fn alert_notice(i: usize, severity: AlertSeverity, alert_type: &str, subject: String) -> Notice {
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

    #[test]
    fn approval_requests_show_everything_escaped_with_two_buttons() {
        let r = notice(&request(), Lang::En);
        for part in [
            "A7",
            "Scout",
            "task #12",
            "🔴",
            "high",
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
        assert!(ru.text.contains("Согласование") && ru.text.contains("высокий"), "{}", ru.text);
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

    #[test]
    fn alert_buttons_follow_the_alert_type() {
        let agent = Uuid::from_u128(7);
        let task = Uuid::from_u128(9);
        let names = |t: &str, s: String| -> Vec<&'static str> {
            alert_buttons(Uuid::nil(), t, &s, Lang::En)
                .concat()
                .into_iter()
                .map(|b| b.action.name())
                .collect()
        };
        assert_eq!(
            names("budget_exceeded", format!("agent:{agent}")),
            ["raise_cap", "keep_paused", "quarantine_agent", "resolve_alert"]
        );
        assert_eq!(
            names("loop_detected", format!("task:{task}")),
            ["unblock_task", "reassign_task", "cancel_task", "resolve_alert"]
        );
        assert_eq!(
            names("agent_stale", format!("agent:{agent}")),
            ["restart_agent", "quarantine_agent", "resolve_alert"]
        );
        assert_eq!(
            names("error_streak", format!("agent:{agent}")),
            ["restart_agent", "quarantine_agent", "resolve_alert"]
        );
        assert_eq!(names("budget_warning", format!("agent:{agent}")), ["resolve_alert"]);
        // A subject that names nothing leaves only Resolve.
        assert_eq!(names("budget_exceeded", "project".into()), ["resolve_alert"]);
    }

    #[test]
    fn alerts_show_severity_and_repeats_with_plurals() {
        let mut n = alert_notice(1, AlertSeverity::Critical, "budget_exceeded", "agent:x".into());
        assert!(alert(&n, Lang::En).text.starts_with("🚨 <b>Budget exceeded</b> · critical"));
        if let Notice::AlertRaised { occurrences, .. } = &mut n {
            *occurrences = 3;
        }
        assert!(alert(&n, Lang::En).text.contains("Seen 3 times"));
        assert!(alert(&n, Lang::Ru).text.contains("Сработало 3 раза"));
        let resolved = Notice::AlertResolved {
            alert_id: Uuid::from_u128(1),
            alert_type: "budget_exceeded".into(),
            message: "over".into(),
            details: serde_json::Value::Null,
            resolved_by: "Olga".into(),
        };
        let t = alert_resolved(Some(&n), &resolved, Lang::En);
        assert!(t.contains("Seen 3 times") && t.ends_with("✅ Resolved by Olga"), "{t}");
    }

    fn ftl_keys(lang: Lang) -> Vec<String> {
        let path = format!("{}/locales/{}/notices.ftl", env!("CARGO_MANIFEST_DIR"), lang.code());
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.to_string()))
            .filter(|k| !k.is_empty() && !k.starts_with([' ', '#', '.']))
            .collect()
    }

    #[test]
    fn every_alert_type_the_service_raises_has_a_name_and_a_text_in_every_language() {
        for lang in Lang::ALL {
            let keys = ftl_keys(*lang);
            for t in crate::app::alerts::SERVICE_ALERT_TYPES {
                for key in [format!("alert-type-{t}"), format!("alert-body-{t}")] {
                    assert!(keys.contains(&key), "{key} missing in locales/{}/notices.ftl", lang.code());
                }
            }
        }
    }

    /// Details as the service's raise sites write them, one per type.
    fn service_details(alert_type: &str) -> serde_json::Value {
        use crate::domain::loops::LoopFinding;
        use serde_json::json;
        match alert_type {
            "budget_exceeded" => json!({ "agent": "Scout", "todaySpend": Usd::from_cents(216), "dailyCap": Usd::from_cents(200) }),
            "budget_warning" => {
                json!({ "agent": "Scout", "percent": 80, "todaySpend": Usd::from_cents(160), "dailyCap": Usd::from_cents(200) })
            }
            "per_run_cap_exceeded" => json!({ "agent": "Scout", "cost": Usd::from_cents(150), "perRunCap": Usd::from_cents(100) }),
            "approval_expiring" => json!({ "code": "A7", "action": "email.send", "agent": "Scout", "minutes": 3 }),
            "agent_stale" => json!({ "agent": "Scout", "lastHeartbeat": at(), "minutesSilent": 21 }),
            "error_streak" => json!({ "agent": "Scout", "errorStreak": 4, "quarantined": false }),
            "loop_detected" => json!({
                "number": 12,
                "title": "Ship <it>",
                "findings": [
                    LoopFinding::CommentStorm { comments: 21, minutes: 30 },
                    LoopFinding::BackAndForth {
                        transitions: 6,
                        minutes: 60,
                        from: TaskStatus::InProgress,
                        to: TaskStatus::Review,
                        repeats: 3
                    },
                ],
            }),
            other => panic!("no sample details for {other}"),
        }
    }

    #[test]
    fn service_alerts_are_rendered_from_their_details_in_the_chats_language() {
        for t in crate::app::alerts::SERVICE_ALERT_TYPES {
            let details = service_details(t);
            for lang in Lang::ALL {
                let body = alert_body(t, &details, "STORED", *lang);
                assert!(!body.contains("STORED") && !body.contains('{'), "{t} in {}: {body}", lang.code());
                assert_ne!(alert_title(t, *lang), *t, "{t} has a name");
            }
        }
        let en = |t: &str| alert_body(t, &service_details(t), "", Lang::En);
        let ru = |t: &str| alert_body(t, &service_details(t), "", Lang::Ru);
        assert_eq!(en("budget_exceeded"), "Scout reached its daily budget: $2.16 of $2.00");
        assert_eq!(ru("budget_exceeded"), "Scout исчерпал(а) дневной бюджет: $2.16 из $2.00");
        assert_eq!(ru("budget_warning"), "Scout потратил(а) 80% дневного бюджета ($1.60 из $2.00)");
        assert_eq!(
            en("approval_expiring"),
            "A7 (email.send by Scout) expires in 3 minutes without a decision"
        );
        assert_eq!(
            ru("approval_expiring"),
            "A7 (email.send, Scout) истекает через 3 минуты без решения"
        );
        assert_eq!(en("agent_stale"), "Scout is stale: no heartbeat for 21 minutes");
        assert_eq!(ru("agent_stale"), "Scout не отвечает: нет сигнала 21 минуту");
        assert_eq!(ru("error_streak"), "У Scout 4 неудачных запуска подряд");
        assert_eq!(
            en("loop_detected"),
            "Task #12 \"Ship &lt;it&gt;\" is looping: 21 comments in 30 minutes; \
             6 transitions in 60 minutes, in progress → review 3 times"
        );
        assert_eq!(
            ru("loop_detected"),
            "Задача #12 «Ship &lt;it&gt;» зациклилась: 21 комментарий за 30 минут; \
             6 переходов за 60 минут, в работе → на проверке 3 раза"
        );
        let never = serde_json::json!({ "agent": "Pixel", "lastHeartbeat": null, "minutesSilent": null });
        assert_eq!(
            alert_body("agent_stale", &never, "", Lang::En),
            "Pixel is stale: it never sent a heartbeat"
        );
        let quarantined = serde_json::json!({ "agent": "Pixel", "errorStreak": 1, "quarantined": true });
        assert_eq!(
            alert_body("error_streak", &quarantined, "", Lang::En),
            "Pixel was quarantined automatically after 1 failed run in a row"
        );
    }

    #[test]
    fn other_alerts_and_details_missing_an_argument_show_the_stored_message() {
        let custom = serde_json::json!({ "agent": "Scout" });
        assert_eq!(alert_body("disk_full", &custom, "Disk <95%>", Lang::Ru), "Disk &lt;95%&gt;");
        assert_eq!(alert_title("disk_full", Lang::Ru), "disk_full");
        // An old alert, or one raised by hand with a service type, without the arguments.
        let partial = serde_json::json!({ "agent": "Scout", "todaySpend": 2.0 });
        assert_eq!(alert_body("budget_exceeded", &partial, "over", Lang::Ru), "over");
        assert_eq!(alert_title("budget_exceeded", Lang::Ru), "Бюджет исчерпан");
        let unknown_rule = serde_json::json!({ "number": 1, "title": "x", "findings": [{ "rule": "new_rule" }] });
        assert_eq!(alert_body("loop_detected", &unknown_rule, "looping", Lang::Ru), "looping");
        // A digest line uses the same text.
        let mut n = alert_notice(1, AlertSeverity::Critical, "budget_exceeded", "agent:x".into());
        if let Notice::AlertRaised { details, .. } = &mut n {
            *details = service_details("budget_exceeded");
        }
        let (ru, _) = digest(&[&n], Lang::Ru);
        assert!(
            ru.contains("<b>Бюджет исчерпан</b>") && ru.contains("Scout исчерпал(а) дневной бюджет: $2.16 из $2.00 ×1"),
            "{ru}"
        );
    }

    #[test]
    fn a_standup_of_a_thousand_agents_charts_the_top_spenders_and_notes_the_rest() {
        use crate::app::model::Project;
        use crate::app::summary::{AgentTally, SpendLine};
        let spend: Vec<SpendLine> = (0..1000)
            .map(|i| SpendLine {
                agent_id: Uuid::from_u128(i),
                name: format!("agent-{i:04}"),
                status: AgentStatus::Active,
                // Highest spend first, as the summary orders them: $10.00 down to $0.01.
                today_spend: Usd::from_cents(1000 - i as i64),
                daily_cap: Usd::from_cents(2000),
                percent_of_cap: 0,
                last_hour: Usd::ZERO,
                hours_to_cap: None,
            })
            .collect();
        let summary = ProjectSummary {
            project: Project {
                id: Uuid::nil(),
                slug: "big".into(),
                name: "Big squad".into(),
                description: String::new(),
                squad_paused: false,
                standup_time: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                standup_timezone: "UTC".into(),
                created_at: at(),
            },
            at: at(),
            tasks_by_status: vec![(TaskStatus::Inbox, 3), (TaskStatus::Done, 5)],
            completed: vec![],
            blocked: vec![],
            next: vec![],
            agents: AgentTally::default(),
            stale_agents: vec![],
            spend_today: spend.iter().map(|l| l.today_spend).fold(Usd::ZERO, Usd::saturating_add),
            caps_today: Usd::from_cents(2000 * 1000),
            spend,
            burn_rate: Usd::ZERO,
            pending_approvals: vec![],
            pending_approvals_total: 0,
            open_alerts: 0,
        };
        let (text, chart) = standup(&summary, 2, Lang::En);
        assert!(text.contains("agent-0000") && !text.contains("agent-0999"), "{text}");
        let drawn = crate::charts::agent_bars(&chart);
        assert_eq!(drawn.len(), MAX_AGENT_BARS);
        let names: Vec<&str> = drawn.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(names[..3], ["agent-0000", "agent-0001", "agent-0002"], "the same order as the text");
        // The 988 left out: $9.88 down to $0.01, $4885.66 in all, of $19,760 of caps.
        assert_eq!(
            chart.agents_note.as_deref(),
            Some("…and 988 more agents: $4885.66 of $19760.00 today")
        );
        let (_, ru) = standup(&summary, 2, Lang::Ru);
        assert_eq!(
            ru.agents_note.as_deref(),
            Some("…и ещё 988 агентов: $4885.66 из $19760.00 за сегодня")
        );
        let png = crate::charts::standup_png(&chart).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // A squad that fits has no note.
        let mut small = summary.clone();
        small.spend.truncate(MAX_AGENT_BARS);
        assert_eq!(standup(&small, 0, Lang::En).1.agents_note, None);
    }

    #[test]
    fn a_digest_lists_every_alert_it_takes_within_one_message() {
        let notices: Vec<Notice> = (0..300)
            .map(|i| {
                let sev = if i % 3 == 0 {
                    AlertSeverity::Critical
                } else {
                    AlertSeverity::Warning
                };
                alert_notice(
                    i,
                    sev,
                    if i % 2 == 0 { "error_streak" } else { "agent_stale" },
                    format!("agent:{i}"),
                )
            })
            .collect();
        let refs: Vec<&Notice> = notices.iter().collect();
        let mut start = 0;
        let mut digests = 0;
        while start < refs.len() {
            let (text, n) = digest(&refs[start..], Lang::En);
            assert!(n >= 1 && visible_len(&text) <= MESSAGE_LIMIT);
            for i in start..start + n {
                assert!(text.contains(&format!("Alert number {i:04} &lt;b&gt; ×1")), "alert {i} missing");
            }
            start += n;
            digests += 1;
        }
        assert!(digests >= 2, "300 alerts need more than one message");
        let (ru, _) = digest(&refs[..3], Lang::Ru);
        assert!(ru.starts_with("🚨 3 оповещения сразу"), "{ru}");
    }

    #[test]
    fn an_alert_too_long_for_a_message_is_cut_not_lost() {
        let mut n = alert_notice(1, AlertSeverity::Info, "custom", "x".into());
        if let Notice::AlertRaised { message, .. } = &mut n {
            *message = "y".repeat(4000) + &"z".repeat(200);
        }
        let (t, count) = digest(&[&n], Lang::En);
        assert_eq!(count, 1);
        assert!(visible_len(&t) <= MESSAGE_LIMIT);
    }

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
        assert_eq!(topic_name("alerts", Lang::Ru), "Оповещения");
        assert!(bound("openclaw", "Ann", true, Lang::En).contains("own topics"));
    }
}
