//! What the bot says, in the chat's language: Telegram HTML built from `locales/<lang>/bot.ftl`.
//! Values from the database are escaped (`i18n::text`); every message fits Telegram's limits.
//! The summary renderers (`status`, `standup`, `burnrate`) are public for the scheduled standup.

use crate::app::chats::ChatContext;
use crate::app::model::{Agent, Alert, Project, Task};
use crate::app::queries::{Timeline, TimelineEntry};
use crate::app::squad::SquadChange;
use crate::app::summary::{ApprovalLine, PolicySummary, ProjectSummary, TaskLine};
use crate::app::AppError;
use crate::domain::*;
use crate::i18n::{num, text, Lang};
use crate::telegram::outbox::render::{alert_body, alert_title};
use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use std::borrow::Cow;
use uuid::Uuid;

/// Items per page of a list.
pub const PAGE_SIZE: i64 = 10;
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

fn clipped(value: &str, max: usize) -> FluentValue<'static> {
    text(&clip(value, max))
}

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

/// A toast's text (plain, at most 200 characters).
pub fn toast(value: &str) -> String {
    clip(value, TOAST_LIMIT)
}

pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn money(usd: Usd) -> FluentValue<'static> {
    plain(&usd.to_string())
}

fn count(n: impl Into<f64>) -> FluentValue<'static> {
    num(n.into())
}

pub fn task_status(lang: Lang, status: TaskStatus) -> String {
    lang.t(&format!("task-status-{}", status.as_str()))
}

pub fn agent_status(lang: Lang, status: AgentStatus) -> String {
    lang.t(&format!("agent-status-{}", status.as_str()))
}

pub fn approval_status(lang: Lang, status: ApprovalStatus) -> String {
    lang.t(&format!("approval-status-{}", status.as_str()))
}

pub fn role(lang: Lang, role: OperatorRole) -> String {
    lang.t(&format!("role-{}", role.as_str()))
}

pub fn role_of(lang: Lang, actor: &Actor) -> String {
    match actor {
        Actor::Operator { role: r, .. } => role(lang, *r),
        _ => "—".into(),
    }
}

fn risk(lang: Lang, risk: RiskLevel) -> String {
    lang.t(&format!("risk-{}", risk.as_str()))
}

/// The names of `ids` among `agents`, in the order of `ids`.
pub fn names_of(ids: &[Uuid], agents: &[Agent]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            agents
                .iter()
                .find(|a| a.id == *id)
                .map_or_else(|| "?".to_string(), |a| a.name.clone())
        })
        .collect()
}

/// "Usage: …" for a command.
pub fn usage(lang: Lang, command: &str) -> String {
    lang.ta("bot-usage", &[("usage", plain(&lang.t(&format!("bot-usage-{command}"))))])
}

pub fn help(lang: Lang) -> String {
    let mut out = lang.t("bot-help-title");
    for name in super::COMMANDS {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-help-line",
            &[
                ("usage", plain(&lang.t(&format!("bot-usage-{name}")))),
                ("description", text(&lang.t(&format!("bot-cmd-{name}")))),
            ],
        ));
    }
    out
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
        AppError::AlreadyDecided {
            number,
            status,
            decided_by,
            decided_at,
        } => lang.ta(
            "bot-error-already-decided",
            &[
                ("code", plain(&format!("A{number}"))),
                ("status", plain(&approval_status(lang, *status))),
                ("by", clipped(decided_by, 100)),
                ("at", plain(&time(*decided_at))),
            ],
        ),
        AppError::Conflict { message, .. } => lang.ta("bot-error-conflict", &[("message", clipped(&message.render(lang), 500))]),
        AppError::DuplicateUpdate { update } => lang.ta(
            "bot-error-conflict",
            &[(
                "message",
                clipped(
                    &crate::i18n::Msg::new("err-duplicate-update").with("update", *update).render(lang),
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
        AppError::AlreadyDecided {
            number,
            status,
            decided_by,
            decided_at,
        } => lang.ta(
            "bot-toast-already-decided",
            &[
                ("code", plain(&format!("A{number}"))),
                ("status", plain(&approval_status(lang, *status))),
                ("by", plain(decided_by)),
                ("at", plain(&time(*decided_at))),
            ],
        ),
        AppError::Internal(_) => lang.t("bot-toast-failed"),
        other => strip_tags(&error(lang, other)),
    };
    toast(&text)
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

pub fn whoami(lang: Lang, actor: &Actor, user_id: i64, ctx: &ChatContext) -> String {
    let project = ctx.project.as_ref().map_or("—".to_string(), |p| format!("{} ({})", p.name, p.slug));
    let bound = match (&ctx.binding, &ctx.project) {
        (Some(b), Some(p)) if b.project_id == p.id => lang.t("bot-whoami-bound-here"),
        (Some(_), _) => lang.t("bot-whoami-bound-other"),
        (None, _) => lang.t("bot-whoami-unbound"),
    };
    lang.ta(
        "bot-whoami",
        &[
            ("name", text(actor.name())),
            ("role", plain(&role_of(lang, actor))),
            ("id", plain(&user_id.to_string())),
            ("project", text(&project)),
            ("bound", plain(&bound)),
            ("lang", plain(lang.code())),
        ],
    )
}

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

fn status_counts(lang: Lang, s: &ProjectSummary, with_zeros: bool) -> String {
    let parts: Vec<String> = s
        .tasks_by_status
        .iter()
        .filter(|(_, n)| with_zeros || *n > 0)
        .map(|(status, n)| format!("{} {n}", task_status(lang, *status)))
        .collect();
    if parts.is_empty() {
        lang.t("bot-summary-no-tasks")
    } else {
        parts.join(" · ")
    }
}

fn agent_counts(lang: Lang, s: &ProjectSummary) -> String {
    let a = &s.agents;
    lang.ta(
        "bot-summary-agents",
        &[
            ("active", count(a.active)),
            ("paused", count(a.paused)),
            ("quarantined", count(a.quarantined)),
            ("offline", count(a.offline)),
            ("stale", count(a.stale)),
        ],
    )
}

fn task_line(lang: Lang, t: &TaskLine) -> String {
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

fn approval_line(lang: Lang, a: &ApprovalLine) -> String {
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

/// `/status`: the project in a few lines.
pub fn status(lang: Lang, s: &ProjectSummary) -> String {
    let mut out = lang.ta("bot-status-title", &[("project", clipped(&s.project.name, 100))]);
    if s.project.squad_paused {
        out.push('\n');
        out.push_str(&lang.t("bot-summary-squad-paused"));
    }
    out.push('\n');
    out.push_str(&lang.ta("bot-summary-tasks", &[("counts", plain(&status_counts(lang, s, false)))]));
    out.push('\n');
    out.push_str(&agent_counts(lang, s));
    out.push('\n');
    out.push_str(&lang.ta(
        "bot-summary-spend",
        &[
            ("spent", money(s.spend_today)),
            ("caps", money(s.caps_today)),
            ("rate", money(s.burn_rate)),
        ],
    ));
    out.push('\n');
    out.push_str(&lang.ta(
        "bot-summary-pending",
        &[
            ("approvals", count(s.pending_approvals_total as f64)),
            ("alerts", count(s.open_alerts as f64)),
        ],
    ));
    out
}

/// `/standup` (and the daily standup): tasks per status, completed, blocked and why, agents,
/// spend per agent against budgets, pending approvals, the next three tasks.
pub fn standup(lang: Lang, s: &ProjectSummary) -> String {
    let mut out = lang.ta(
        "bot-standup-title",
        &[
            ("project", clipped(&s.project.name, 100)),
            ("date", plain(&s.at.format("%Y-%m-%d").to_string())),
        ],
    );
    if s.project.squad_paused {
        out.push('\n');
        out.push_str(&lang.t("bot-summary-squad-paused"));
    }
    out.push_str("\n\n");
    out.push_str(&lang.ta("bot-summary-tasks", &[("counts", plain(&status_counts(lang, s, true)))]));

    let section = |out: &mut String, title: &str, lines: Vec<String>| {
        out.push_str("\n\n");
        out.push_str(&lang.t(title));
        if lines.is_empty() {
            out.push('\n');
            out.push_str(&lang.t("bot-list-none"));
        }
        for line in lines {
            out.push('\n');
            out.push_str(&line);
        }
    };
    section(
        &mut out,
        "bot-standup-completed",
        s.completed.iter().map(|t| task_line(lang, t)).collect(),
    );
    section(
        &mut out,
        "bot-standup-blocked",
        s.blocked
            .iter()
            .map(|t| {
                lang.ta(
                    "bot-standup-blocked-line",
                    &[
                        ("number", plain(&t.number.to_string())),
                        ("title", clipped(&t.title, 80)),
                        ("reason", clipped(&t.blocked_reason_in(lang).unwrap_or_else(|| "—".into()), 200)),
                    ],
                )
            })
            .collect(),
    );
    let mut agents = vec![agent_counts(lang, s)];
    if !s.stale_agents.is_empty() {
        agents.push(lang.ta("bot-standup-stale", &[("agents", text(&s.stale_agents.join(", ")))]));
    }
    section(&mut out, "bot-standup-agents", agents);
    // The biggest spenders only (a squad of a thousand would fill pages), each with its rate.
    const SPEND_LINES: usize = 10;
    let mut spend: Vec<String> = s
        .spend
        .iter()
        .take(SPEND_LINES)
        .map(|l| {
            lang.ta(
                "bot-standup-spend-line",
                &[
                    ("agent", text(&l.name)),
                    ("spent", money(l.today_spend)),
                    ("cap", money(l.daily_cap)),
                    ("percent", plain(&l.percent_of_cap.to_string())),
                    ("rate", money(l.last_hour)),
                    ("status", plain(&agent_status(lang, l.status))),
                ],
            )
        })
        .collect();
    if s.spend.len() > SPEND_LINES {
        spend.push(lang.ta("bot-standup-spend-more", &[("count", count((s.spend.len() - SPEND_LINES) as f64))]));
    }
    spend.push(lang.ta(
        "bot-summary-spend",
        &[
            ("spent", money(s.spend_today)),
            ("caps", money(s.caps_today)),
            ("rate", money(s.burn_rate)),
        ],
    ));
    section(&mut out, "bot-standup-spend", spend);
    let mut approvals: Vec<String> = s.pending_approvals.iter().map(|a| approval_line(lang, a)).collect();
    if s.pending_approvals_total > s.pending_approvals.len() as i64 {
        approvals.push(lang.ta(
            "bot-list-more",
            &[(
                "count",
                count((s.pending_approvals_total - s.pending_approvals.len() as i64) as f64),
            )],
        ));
    }
    section(&mut out, "bot-standup-approvals", approvals);
    section(&mut out, "bot-standup-next", s.next.iter().map(|t| task_line(lang, t)).collect());
    out
}

/// `/burnrate`: spend per agent against its cap, the last hour's rate and when the cap is hit.
pub fn burnrate(lang: Lang, s: &ProjectSummary) -> String {
    let mut out = lang.ta("bot-burnrate-title", &[("project", clipped(&s.project.name, 100))]);
    out.push('\n');
    out.push_str(&lang.ta(
        "bot-summary-spend",
        &[
            ("spent", money(s.spend_today)),
            ("caps", money(s.caps_today)),
            ("rate", money(s.burn_rate)),
        ],
    ));
    out.push('\n');
    for l in &s.spend {
        out.push('\n');
        let eta = match l.hours_to_cap {
            Some(h) => lang.ta("bot-burnrate-eta", &[("hours", plain(&format!("{h:.1}")))]),
            None => lang.t("bot-burnrate-idle"),
        };
        out.push_str(&lang.ta(
            "bot-burnrate-line",
            &[
                ("agent", text(&l.name)),
                ("spent", money(l.today_spend)),
                ("cap", money(l.daily_cap)),
                ("percent", plain(&l.percent_of_cap.to_string())),
                ("rate", money(l.last_hour)),
                ("eta", plain(&eta)),
            ],
        ));
    }
    if s.spend.is_empty() {
        out.push('\n');
        out.push_str(&lang.t("bot-list-none"));
    }
    out
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
    if lines.is_empty() {
        out.push('\n');
        out.push_str(&lang.t("bot-list-empty"));
    }
    for line in lines {
        out.push('\n');
        out.push_str(&line);
    }
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
                    ("severity", plain(&lang.t(&format!("bot-severity-{}", a.severity.as_str())))),
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

pub fn agent(lang: Lang, a: &Agent, current: Option<&Task>, now: DateTime<Utc>, stale_after: chrono::Duration) -> String {
    let today = if a.spend_day == now.date_naive() {
        a.today_spend
    } else {
        Usd::ZERO
    };
    let heartbeat = match a.last_heartbeat {
        Some(at) => lang.ta(
            "bot-agent-heartbeat",
            &[("at", plain(&time(at))), ("minutes", count((now - at).num_minutes().max(0) as f64))],
        ),
        None => lang.t("bot-agent-no-heartbeat"),
    };
    let mut out = lang.ta(
        "bot-agent-card",
        &[
            ("name", text(&a.name)),
            ("role", plain(a.role.as_str())),
            ("status", plain(&agent_status(lang, a.status))),
            (
                "types",
                text(&if a.allowed_task_types.is_empty() {
                    lang.t("bot-agent-any-type")
                } else {
                    a.allowed_task_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                }),
            ),
            ("spent", money(today)),
            ("cap", money(a.budgets.daily_cap)),
            ("perrun", money(a.budgets.per_run_cap)),
            ("total", money(a.total_spend)),
            ("heartbeat", plain(&heartbeat)),
            ("errors", count(a.error_streak)),
        ],
    );
    if let Some(reason) = a.status_reason_in(lang) {
        out.push('\n');
        out.push_str(&lang.ta("bot-agent-reason", &[("reason", clipped(&reason, 300))]));
    }
    if crate::app::summary::is_stale(a, now, stale_after) {
        out.push('\n');
        out.push_str(&lang.t("bot-agent-stale"));
    }
    if let Some(task) = current {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-agent-current",
            &[("number", plain(&task.number.to_string())), ("title", clipped(&task.title, 80))],
        ));
    }
    out
}

pub fn task(lang: Lang, timeline: &Timeline, agents: &[Agent]) -> String {
    let t = &timeline.task;
    let assignees = names_of(&t.assignee_ids, agents);
    let mut out = lang.ta(
        "bot-task-card",
        &[
            ("number", plain(&t.number.to_string())),
            ("title", clipped(&t.title, 200)),
            ("status", plain(&task_status(lang, t.status))),
            ("type", plain(t.task_type.as_str())),
            ("priority", plain(&t.priority.to_string())),
            (
                "assignees",
                text(&if assignees.is_empty() {
                    lang.t("bot-task-unassigned")
                } else {
                    assignees.join(", ")
                }),
            ),
            ("cost", money(t.actual_cost)),
            ("cycles", count(t.review_cycles)),
        ],
    );
    if let Some(reason) = t.blocked_reason_in(lang) {
        out.push('\n');
        out.push_str(&lang.ta("bot-task-blocked", &[("reason", clipped(&reason, 300))]));
    }
    if !t.description.trim().is_empty() {
        out.push_str("\n\n");
        out.push_str(&crate::i18n::html_escape(&clip(&t.description.replace('\n', " "), 800)));
    }
    if !t.work_plan.is_empty() {
        out.push_str("\n\n");
        out.push_str(&lang.t("bot-task-plan"));
        for bullet in &t.work_plan {
            out.push_str("\n• ");
            out.push_str(&crate::i18n::html_escape(&clip(bullet, 150)));
        }
    }
    let recent: Vec<String> = timeline
        .entries
        .iter()
        .rev()
        .filter_map(|e| timeline_line(lang, e))
        .take(5)
        .collect();
    if !recent.is_empty() {
        out.push_str("\n\n");
        out.push_str(&lang.t("bot-task-recent"));
        for line in recent.into_iter().rev() {
            out.push('\n');
            out.push_str(&line);
        }
    }
    out
}

fn timeline_line(lang: Lang, entry: &TimelineEntry) -> Option<String> {
    Some(match entry {
        TimelineEntry::Transition(t) => lang.ta(
            "bot-timeline-transition",
            &[
                ("at", plain(&time(t.created_at))),
                ("from", plain(&task_status(lang, t.from_status))),
                ("to", plain(&task_status(lang, t.to_status))),
                ("by", text(&t.actor_name)),
            ],
        ),
        TimelineEntry::Comment(c) => lang.ta(
            "bot-timeline-comment",
            &[
                ("at", plain(&time(c.created_at))),
                ("by", text(&c.author_name)),
                ("body", clipped(&c.body.replace('\n', " "), 150)),
            ],
        ),
        TimelineEntry::Approval(a) => lang.ta(
            "bot-timeline-approval",
            &[
                ("at", plain(&time(a.created_at))),
                ("code", plain(&a.code())),
                ("action", clipped(&a.action_type, 64)),
                ("status", plain(&approval_status(lang, a.status))),
            ],
        ),
        TimelineEntry::Run(r) => lang.ta(
            "bot-timeline-run",
            &[
                ("at", plain(&time(r.created_at))),
                ("cost", money(r.cost)),
                ("status", plain(r.status.as_str())),
            ],
        ),
        TimelineEntry::Document(_) => return None,
    })
}

pub fn squad_change(lang: Lang, project: &str, change: &SquadChange) -> String {
    let key = if change.squad_paused {
        "bot-squad-paused"
    } else {
        "bot-squad-resumed"
    };
    let agents = if change.agents.is_empty() {
        lang.t("bot-list-none")
    } else {
        crate::i18n::html_escape(&change.agents.join(", "))
    };
    lang.ta(
        key,
        &[
            ("project", clipped(project, 100)),
            ("count", count(change.agents.len() as f64)),
            ("agents", plain(&clip(&agents, 1500))),
        ],
    )
}

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
            crate::i18n::html_escape(&clip(&items.join(", "), 600))
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

/// `/tokens`: each token's name, whose it is, where it stands and when it was used; never a
/// token itself.
pub fn tokens(lang: Lang, tokens: &[crate::app::model::ApiToken], total: i64) -> String {
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
            (crate::domain::credentials::TokenState::Live, _, Some(at)) => {
                lang.ta("bot-token-state-live-until", &[("at", plain(&time(at)))])
            }
            (crate::domain::credentials::TokenState::Expired, _, Some(at)) => {
                lang.ta("bot-token-state-expired-at", &[("at", plain(&time(at)))])
            }
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
    fn clipping_counts_characters() {
        assert_eq!(clip("Привет, мир", 6), "Приве…");
        assert_eq!(clip("ok", 6), "ok");
        assert!(toast(&"x".repeat(500)).chars().count() <= 200);
    }

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

    #[test]
    fn usage_and_help_exist_in_every_language() {
        for lang in Lang::ALL {
            for name in super::super::COMMANDS {
                for key in [format!("bot-usage-{name}"), format!("bot-cmd-{name}")] {
                    assert_ne!(lang.t(&key), key, "{} lacks {key}", lang.code());
                }
                let description = lang.t(&format!("bot-cmd-{name}"));
                assert!((1..=256).contains(&description.chars().count()), "{name}: {description}");
            }
            assert!(help(*lang).encode_utf16().count() < 4096);
            for status in <TaskStatus as strum::VariantArray>::VARIANTS {
                let key = format!("task-status-{}", status.as_str());
                assert_ne!(lang.t(&key), key);
            }
            for status in <AgentStatus as strum::VariantArray>::VARIANTS {
                let key = format!("agent-status-{}", status.as_str());
                assert_ne!(lang.t(&key), key);
            }
            for status in <ApprovalStatus as strum::VariantArray>::VARIANTS {
                let key = format!("approval-status-{}", status.as_str());
                assert_ne!(lang.t(&key), key);
            }
            for r in <OperatorRole as strum::VariantArray>::VARIANTS {
                assert_ne!(role(*lang, *r), format!("role-{}", r.as_str()));
            }
            for r in <RiskLevel as strum::VariantArray>::VARIANTS {
                assert_ne!(risk(*lang, *r), format!("risk-{}", r.as_str()));
            }
            for s in <AlertSeverity as strum::VariantArray>::VARIANTS {
                let key = format!("bot-severity-{}", s.as_str());
                assert_ne!(lang.t(&key), key);
            }
        }
    }

    fn keys(lang: Lang) -> std::collections::BTreeSet<String> {
        let path = format!("{}/locales/{}/bot.ftl", env!("CARGO_MANIFEST_DIR"), lang.code());
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_string()))
            .filter(|key| key.starts_with("bot-"))
            .collect()
    }

    #[test]
    fn every_key_the_code_names_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/telegram/bot");
        let known: Vec<_> = Lang::ALL.iter().map(|l| (*l, keys(*l))).collect();
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in source.split('"').skip(1).step_by(2) {
                let is_key = piece.starts_with("bot-") && piece.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if is_key && !piece.ends_with('-') {
                    for (lang, keys) in &known {
                        if !keys.contains(piece) {
                            missing.push(format!("{}:{piece}", lang.code()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:?}");
    }

    #[test]
    fn russian_plurals() {
        let footer = |n: i64| page_footer(Lang::Ru, 0, n);
        assert!(footer(21).contains("21 элемент"), "{}", footer(21));
        assert!(footer(22).contains("22 элемента"), "{}", footer(22));
        assert!(footer(25).contains("25 элементов"), "{}", footer(25));
        assert!(page_footer(Lang::En, 0, 1).contains("1 item"));
    }
}
