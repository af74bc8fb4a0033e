//! The paged lists of the bot: agents, tasks, approvals and alerts (ten a page, with a footer
//! when there are more), and the short lists of projects and tokens.

use super::alerts::{alert_body, alert_title};
use super::words::{agent_status, risk, role, severity_mark, task_status};
use super::{clip, clipped, count, money, plain, push_lines};
use chrono::{DateTime, Utc};
use mc_core::model::summary::{ApprovalLine, TaskLine};
use mc_core::model::{Agent, Alert, ApiToken, Project};
use mc_domain::credentials::TokenState;
use mc_domain::i18n::{text, time, Lang};
use mc_domain::TaskStatus;
use uuid::Uuid;

/// Items per page of a list.
pub const PAGE_SIZE: i64 = 10;

pub fn projects(lang: Lang, projects: &[Project], current: Option<Uuid>, bound: Option<Uuid>) -> String {
    let mut out = lang.t("bot-projects-title");
    for p in projects {
        out.push('\n');
        let mut marks = Vec::new();
        if Some(p.id) == current {
            marks.push(lang.t("bot-projects-current"));
        }
        if Some(p.id) == bound {
            marks.push(lang.t("bot-projects-bound"));
        }
        if p.squad_paused {
            marks.push(lang.t("bot-projects-paused"));
        }
        out.push_str(&lang.ta(
            "bot-projects-line",
            &[
                ("name", clipped(&p.name, 100)),
                ("slug", text(&p.slug)),
                ("marks", text(&marks.join(", "))),
            ],
        ));
    }
    if projects.is_empty() {
        out.push('\n');
        out.push_str(&lang.t("bot-list-empty"));
    }
    out
}

/// A task in a list: number, priority, title, status, assignees.
pub(super) fn task_line(lang: Lang, t: &TaskLine) -> String {
    let assignees = if t.assignees.is_empty() {
        lang.t("bot-task-unassigned")
    } else {
        t.assignees.join(", ")
    };
    lang.ta(
        "bot-task-line",
        &[
            ("number", plain(&t.number.to_string())),
            ("priority", plain(&t.priority.to_string())),
            ("title", clipped(&t.title, 80)),
            ("status", plain(&task_status(lang, t.status))),
            ("assignees", text(&assignees)),
        ],
    )
}

/// A pending approval in a list: code, agent, action, risk, summary, expiry.
pub(super) fn approval_line(lang: Lang, a: &ApprovalLine) -> String {
    lang.ta(
        "bot-approval-line",
        &[
            ("code", text(&a.code)),
            ("agent", text(&a.agent)),
            ("action", clipped(&a.action_type, 64)),
            ("risk", plain(&risk(lang, a.risk))),
            ("summary", clipped(&a.summary, 120)),
            ("expires", plain(&time(a.expires_at))),
        ],
    )
}

fn page_footer(lang: Lang, page: u32, total: i64) -> String {
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    lang.ta(
        "bot-page-footer",
        &[
            ("page", count(page + 1)),
            ("pages", count(pages as f64)),
            ("total", count(total as f64)),
        ],
    )
}

fn page(lang: Lang, title: String, lines: Vec<String>, page_no: u32, total: i64) -> String {
    let mut out = title;
    push_lines(&mut out, lines, lang, "bot-list-empty");
    if total > PAGE_SIZE {
        out.push_str("\n\n");
        out.push_str(&page_footer(lang, page_no, total));
    }
    out
}

pub fn agents_page(lang: Lang, project: &str, agents: &[Agent], page_no: u32, total: i64) -> String {
    let lines = agents
        .iter()
        .map(|a| {
            lang.ta(
                "bot-agent-line",
                &[
                    ("name", text(&a.name)),
                    ("role", plain(a.role.as_str())),
                    ("status", plain(&agent_status(lang, a.status))),
                    ("spent", money(a.today_spend)),
                    ("cap", money(a.budgets.daily_cap)),
                ],
            )
        })
        .collect();
    page(
        lang,
        lang.ta(
            "bot-agents-title",
            &[("project", clipped(project, 100)), ("count", count(total as f64))],
        ),
        lines,
        page_no,
        total,
    )
}

pub fn tasks_page(lang: Lang, project: &str, tasks: &[TaskLine], statuses: &[TaskStatus], open: bool, page_no: u32, total: i64) -> String {
    let filter = if open {
        lang.t("bot-tasks-open")
    } else {
        statuses.iter().map(|s| task_status(lang, *s)).collect::<Vec<_>>().join(", ")
    };
    page(
        lang,
        lang.ta(
            "bot-tasks-title",
            &[
                ("project", clipped(project, 100)),
                ("filter", plain(&filter)),
                ("count", count(total as f64)),
            ],
        ),
        tasks.iter().map(|t| task_line(lang, t)).collect(),
        page_no,
        total,
    )
}

pub fn approvals_page(lang: Lang, project: &str, approvals: &[ApprovalLine], page_no: u32, total: i64) -> String {
    page(
        lang,
        lang.ta(
            "bot-approvals-title",
            &[("project", clipped(project, 100)), ("count", count(total as f64))],
        ),
        approvals.iter().map(|a| approval_line(lang, a)).collect(),
        page_no,
        total,
    )
}

pub fn alerts_page(lang: Lang, project: &str, alerts: &[Alert], page_no: u32, total: i64) -> String {
    let first = i64::from(page_no) * PAGE_SIZE;
    let lines = alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            lang.ta(
                "bot-alert-line",
                &[
                    ("n", plain(&(first + i as i64 + 1).to_string())),
                    ("severity", plain(severity_mark(a.severity))),
                    // Both already HTML: the title and text of the alert's type in this
                    // language, or its stored message for a type without one.
                    ("type", plain(&alert_title(&a.alert_type, lang))),
                    (
                        "message",
                        plain(&alert_body(&a.alert_type, &a.details, &clip(&a.message, 200), lang)),
                    ),
                    ("times", count(a.occurrences)),
                    ("since", plain(&time(a.created_at))),
                ],
            )
        })
        .collect();
    page(
        lang,
        lang.ta(
            "bot-alerts-title",
            &[("project", clipped(project, 100)), ("count", count(total as f64))],
        ),
        lines,
        page_no,
        total,
    )
}

/// `/tokens`: each token's name, whose it is, where it stands and when it was used; never a
/// token itself.
pub fn tokens(lang: Lang, tokens: &[ApiToken], total: i64) -> String {
    let mut out = lang.ta("bot-tokens-title", &[("count", count(total as f64))]);
    if tokens.is_empty() {
        out.push('\n');
        out.push_str(&lang.t("bot-list-empty"));
    }
    let when = |at: Option<DateTime<Utc>>| at.map_or_else(|| lang.t("bot-token-never"), time);
    for t in tokens {
        let holder = match (t.role, &t.agent_project) {
            (Some(r), _) => role(lang, r),
            (None, Some(project)) => lang.ta("bot-token-agent-of", &[("project", text(project))]),
            (None, None) => "—".into(),
        };
        let state = match (t.state, t.revoked_at, t.expires_at) {
            (TokenState::Live, _, Some(at)) => lang.ta("bot-token-state-live-until", &[("at", plain(&time(at)))]),
            (TokenState::Expired, _, Some(at)) => lang.ta("bot-token-state-expired-at", &[("at", plain(&time(at)))]),
            (state, Some(at), _) => lang.ta(&format!("bot-token-state-{state}-at"), &[("at", plain(&time(at)))]),
            (state, None, _) => lang.t(&format!("bot-token-state-{state}")),
        };
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-token-line",
            &[
                ("name", clipped(&t.name, 100)),
                ("kind", plain(&lang.t(&format!("bot-token-kind-{}", t.kind)))),
                ("holder", plain(&holder)),
                ("state", plain(&state)),
                ("created", plain(&time(t.created_at))),
                ("used", plain(&when(t.last_used_at))),
            ],
        ));
    }
    let more = total - tokens.len() as i64;
    if more > 0 {
        out.push('\n');
        out.push_str(&lang.ta("bot-list-more", &[("count", count(more as f64))]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        let footer = |n: i64| page_footer(Lang::Ru, 0, n);
        assert!(footer(21).contains("21 элемент"), "{}", footer(21));
        assert!(footer(22).contains("22 элемента"), "{}", footer(22));
        assert!(footer(25).contains("25 элементов"), "{}", footer(25));
        assert!(page_footer(Lang::En, 0, 1).contains("1 item"));
    }
}
