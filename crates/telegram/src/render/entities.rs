//! One thing in detail: who you are (`/whoami`), an agent's card (`/agent`), a task with its
//! recent timeline (`/task`), and what a squad pause or resume did.

use super::words::{agent_status, approval_status, names_of, role_of, task_status};
use super::{clip, clipped, count, money, plain};
use chrono::{DateTime, Utc};
use mc_core::app::bridge::ToolActivity;
use mc_core::app::chats::ChatContext;
use mc_core::app::queries::{Timeline, TimelineEntry};
use mc_core::app::squad::SquadChange;
use mc_core::model::{Agent, Task};
use mc_domain::i18n::{html_escape, text, time, Lang};
use mc_domain::{Actor, Usd};

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
    if mc_core::app::summary::is_stale(a, now, stale_after) {
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

/// Under an agent's card: its Claude Code / Codex sessions, tool calls today, the last RED one.
pub fn tool_activity(lang: Lang, a: &ToolActivity) -> String {
    if a.sessions.is_empty() && a.calls_today == 0 && a.last_red.is_none() {
        return String::new();
    }
    let mut out = String::from("\n");
    out.push_str(&lang.ta("bot-agent-tool-calls", &[("n", count(a.calls_today as f64))]));
    for s in &a.sessions {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-agent-session",
            &[
                ("client", plain(s.client.as_str())),
                ("id", text(&clip(&s.session_id, 12))),
                ("cwd", text(s.cwd.as_deref().unwrap_or("—"))),
                ("calls", count(s.calls as f64)),
                ("at", plain(&time(s.last_at))),
            ],
        ));
    }
    if let Some(red) = &a.last_red {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-agent-last-red",
            &[
                ("tool", text(&red.tool_name)),
                ("summary", clipped(&red.summary, 120)),
                ("decision", plain(red.decision.as_str())),
                ("by", text(&red.decided_by)),
                ("at", plain(&time(red.created_at))),
            ],
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
        out.push_str(&html_escape(&clip(&t.description.replace('\n', " "), 800)));
    }
    if !t.work_plan.is_empty() {
        out.push_str("\n\n");
        out.push_str(&lang.t("bot-task-plan"));
        for bullet in &t.work_plan {
            out.push_str("\n• ");
            out.push_str(&html_escape(&clip(bullet, 150)));
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
                (
                    "cost",
                    plain(&super::run_cost(lang, r.cost, r.priced_cost.filter(|_| r.cost_mismatch))),
                ),
                ("status", plain(r.status.as_str())),
            ],
        ),
        TimelineEntry::ToolCall(c) => lang.ta(
            "bot-timeline-tool-call",
            &[
                ("at", plain(&time(c.created_at))),
                ("risk", plain(super::words::risk_mark(c.risk))),
                ("tool", text(&c.tool_name)),
                ("summary", clipped(&c.summary.replace('\n', " "), 100)),
                ("decision", plain(c.decision.as_str())),
            ],
        ),
        TimelineEntry::Question(q) => lang.ta(
            match q.answer_line() {
                Some(_) => "bot-timeline-question-answered",
                None => "bot-timeline-question",
            },
            &[
                ("at", plain(&time(q.created_at))),
                ("code", plain(&q.code())),
                ("by", text(&q.answered_by_name.clone().unwrap_or_default())),
                ("question", clipped(&q.question.replace('\n', " "), 100)),
                ("status", plain(&lang.t(&format!("question-status-{}", q.status)))),
                ("answer", clipped(&q.answer_line().unwrap_or_default(), 100)),
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
        html_escape(&change.agents.join(", "))
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
