//! The project at a glance: `/status`, `/standup` and `/burnrate`, and the scheduled standup
//! (the `/standup` text with what was completed since the last one, and its chart).

use super::lists::{approval_line, task_line};
use super::words::{agent_status, task_status};
use super::{clipped, count, money, plain, push_lines};
use crate::charts::{StandupChart, MAX_AGENT_BARS};
use fluent_templates::fluent_bundle::FluentValue;
use mc_core::model::summary::{ProjectSummary, SpendLine};
use mc_domain::i18n::{date, num, text, Lang};
use mc_domain::Usd;

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

/// Today's spend of the project against the sum of its caps, and the last hour's rate.
fn spend_total(lang: Lang, s: &ProjectSummary) -> String {
    lang.ta(
        "bot-summary-spend",
        &[
            ("spent", money(s.spend_today)),
            ("caps", money(s.caps_today)),
            ("rate", money(s.burn_rate)),
        ],
    )
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
    out.push_str(&spend_total(lang, s));
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
        &[("project", clipped(&s.project.name, 100)), ("date", plain(&date(s.at)))],
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
        push_lines(out, lines, lang, "bot-list-none");
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
    if !s.not_started_agents.is_empty() {
        agents.push(lang.ta("bot-standup-not-started", &[("agents", text(&s.not_started_agents.join(", ")))]));
    }
    section(&mut out, "bot-standup-agents", agents);
    // The biggest spenders only (a squad of a thousand would fill pages), each with its rate:
    // as many as the chart draws, so that the text's "…and N more" is the chart's.
    const SPEND_LINES: usize = MAX_AGENT_BARS;
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
    spend.push(spend_total(lang, s));
    spend.push(month_line(lang, s));
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

/// The month to date and its biggest spenders.
fn month_line(lang: Lang, s: &ProjectSummary) -> String {
    let top: Vec<String> = s
        .top_spenders_month
        .iter()
        .map(|(name, cost)| format!("{} {cost}", mc_domain::i18n::html_escape(name)))
        .collect();
    let top = if top.is_empty() { lang.t("word-nobody") } else { top.join(", ") };
    lang.ta("bot-standup-month", &[("spent", money(s.month_spend)), ("top", plain(&top))])
}

/// `/burnrate`: spend per agent against its cap, the last hour's rate and when the cap is hit.
pub fn burnrate(lang: Lang, s: &ProjectSummary) -> String {
    let mut out = lang.ta("bot-burnrate-title", &[("project", clipped(&s.project.name, 100))]);
    out.push('\n');
    out.push_str(&spend_total(lang, s));
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

/// The scheduled standup: its text (the `/standup` view plus what was completed since the last
/// one) and its chart, both in the chat's language.
pub fn standup_message(summary: &ProjectSummary, completed_since_last: i64, lang: Lang) -> (String, StandupChart) {
    let mut text = standup(lang, summary);
    // With nothing completed in the last 24 hours the section says so; nothing since the last
    // standup is then not said a second time.
    if completed_since_last > 0 || !summary.completed.is_empty() {
        text.push_str("\n\n");
        text.push_str(&lang.ta("notice-standup-completed-since", &[("count", num(completed_since_last as f64))]));
    }
    let chart = StandupChart {
        title: lang.ta(
            "notice-standup-chart-title",
            &[
                ("project", FluentValue::from(summary.project.name.clone())),
                ("date", FluentValue::from(date(summary.at))),
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

/// The caption of the standup's chart.
pub fn standup_caption(summary: &ProjectSummary, lang: Lang) -> String {
    lang.ta(
        "notice-standup-caption",
        &[("project", text(&summary.project.name)), ("date", text(&date(summary.at)))],
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::at;
    use super::*;
    use mc_domain::{AgentStatus, TaskStatus};
    use uuid::Uuid;

    #[test]
    fn a_standup_of_a_thousand_agents_charts_the_top_spenders_and_notes_the_rest() {
        use mc_core::app::summary::{AgentTally, SpendLine};
        use mc_core::model::Project;
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
            not_started_agents: vec![],
            spend_today: spend.iter().map(|l| l.today_spend).fold(Usd::ZERO, Usd::saturating_add),
            caps_today: Usd::from_cents(2000 * 1000),
            spend,
            burn_rate: Usd::ZERO,
            pending_approvals: vec![],
            pending_approvals_total: 0,
            open_alerts: 0,
            month_spend: Usd::from_cents(12_345),
            top_spenders_month: vec![("agent-0000".into(), Usd::from_cents(5_000))],
        };
        let (text, chart) = standup_message(&summary, 2, Lang::En);
        assert!(text.contains("agent-0000") && !text.contains("agent-0999"), "{text}");
        // The text and the chart leave out the same agents.
        assert!(text.contains("…and 988 more agents"), "{text}");
        assert!(text.contains("agent-0011") && !text.contains("agent-0012:"), "{text}");
        assert!(text.contains("Month to date: $123.45 · top spenders: agent-0000 $50.00"), "{text}");
        let drawn = crate::charts::agent_bars(&chart);
        assert_eq!(drawn.len(), MAX_AGENT_BARS);
        let names: Vec<&str> = drawn.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(names[..3], ["agent-0000", "agent-0001", "agent-0002"], "the same order as the text");
        // The 988 left out: $9.88 down to $0.01, $4885.66 in all, of $19,760 of caps.
        assert_eq!(
            chart.agents_note.as_deref(),
            Some("…and 988 more agents: $4885.66 of $19760.00 today")
        );
        let (_, ru) = standup_message(&summary, 2, Lang::Ru);
        assert_eq!(
            ru.agents_note.as_deref(),
            Some("…и ещё 988 агентов: $4885.66 из $19760.00 за сегодня")
        );
        let png = crate::charts::standup_png(&chart).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // A squad that fits has no note.
        let mut small = summary.clone();
        small.spend.truncate(MAX_AGENT_BARS);
        assert_eq!(standup_message(&small, 0, Lang::En).1.agents_note, None);

        // Nothing completed is said once; agents never heard from are not started, not stale.
        small.not_started_agents = vec!["Pixel".into()];
        let (text, _) = standup_message(&small, 0, Lang::En);
        assert!(!text.contains("Nothing was completed"), "{text}");
        assert!(text.contains("Not started (no heartbeat yet): Pixel"), "{text}");
        assert!(!text.contains("Stale:"), "{text}");
        assert!(standup_message(&small, 1, Lang::En)
            .0
            .contains("1 task completed since the last standup"));
    }
}
