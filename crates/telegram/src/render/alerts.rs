//! An alert as posted to the alerts topic: its severity, its title and text in the chat's
//! language (rendered from the typed details of the service's own kinds, see
//! [`mc_domain::alerts`]; the stored message for other types), how often it was seen, and
//! the buttons for its likely actions; and the same message once resolved.

use super::text::with_tail;
use super::words::{severity as severity_word, severity_mark};
use super::{button, money, ButtonSpec, Rendered};
use crate::actions::ButtonAction;
use fluent_templates::fluent_bundle::FluentValue;
use mc_core::model::notice::Notice;
use mc_domain::alerts::{BudgetExceeded, PeriodBudget};
use mc_domain::i18n::{html_escape, num, text, Lang};
use mc_domain::{AlertDetails, AlertKind, AlertSeverity};
use uuid::Uuid;

/// What an alert is about: `agent:<uuid>` or `task:<uuid>`.
fn subject_id(subject: &str, prefix: &str) -> Option<Uuid> {
    subject.strip_prefix(prefix).and_then(|s| Uuid::parse_str(s.trim()).ok())
}

/// The buttons for an alert's likely actions, by its kind (only Resolve for other types); a
/// monthly or a project's budget offers to raise it by the amount its details make.
pub fn alert_buttons(alert_id: Uuid, alert_type: &str, subject: &str, details: &serde_json::Value, lang: Lang) -> Vec<Vec<ButtonSpec>> {
    use ButtonAction as A;
    let b = |key: &str, action: ButtonAction| button(lang, key, action);
    let agent = subject_id(subject, "agent:");
    let task = subject_id(subject, "task:");
    let resolve = b("notice-button-resolve", A::ResolveAlert { alert_id });
    let alert = Some(alert_id);
    let kind = AlertKind::parse(alert_type);
    let raise_by = |by: mc_domain::Usd, action: ButtonAction| ButtonSpec {
        label: lang.ta("notice-button-raise-by", &[("amount", money(by))]),
        action,
    };
    let daily_raise = match kind.and_then(|k| AlertDetails::from_json(k, details)) {
        Some(AlertDetails::BudgetExceeded(BudgetExceeded::Period(budget))) => {
            let by = budget.raise_offered();
            return vec![vec![
                raise_by(by, A::RaiseBudget { alert_id, by }),
                b("notice-button-keep-paused", A::KeepBudgetPaused { alert_id }),
            ]];
        }
        Some(AlertDetails::BudgetExceeded(BudgetExceeded::Daily(daily))) => daily.raise_offered(),
        _ => None,
    };
    match (kind, agent, task) {
        (Some(AlertKind::BudgetExceeded), Some(agent_id), _) => vec![
            vec![
                match daily_raise {
                    Some(by) => raise_by(
                        by,
                        A::RaiseCap {
                            alert_id,
                            agent_id,
                            by: Some(by),
                        },
                    ),
                    None => b(
                        "notice-button-raise-cap",
                        A::RaiseCap {
                            alert_id,
                            agent_id,
                            by: None,
                        },
                    ),
                },
                b("notice-button-keep-paused", A::KeepPaused { alert_id, agent_id }),
            ],
            vec![
                b("notice-button-quarantine", A::QuarantineAgent { alert_id: alert, agent_id }),
                resolve,
            ],
        ],
        (Some(AlertKind::LoopDetected), _, Some(task_id)) => vec![
            vec![
                b("notice-button-unblock", A::UnblockTask { alert_id: alert, task_id }),
                b("notice-button-reassign", A::ReassignTask { alert_id: alert, task_id }),
            ],
            vec![b("notice-button-cancel-task", A::CancelTask { alert_id: alert, task_id }), resolve],
        ],
        (Some(AlertKind::AgentStale | AlertKind::ErrorStreak), Some(agent_id), _) => vec![
            vec![
                b("notice-button-restart", A::RestartAgent { alert_id: alert, agent_id }),
                b("notice-button-quarantine", A::QuarantineAgent { alert_id: alert, agent_id }),
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

/// An alert's text in the chat's language, rendered from its typed details
/// (`alert-body-<type>`); the stored message for a type the service does not raise or details
/// of another shape. HTML.
pub fn alert_body(alert_type: &str, details: &serde_json::Value, message: &str, lang: Lang) -> String {
    AlertKind::parse(alert_type)
        .and_then(|kind| AlertDetails::from_json(kind, details))
        .and_then(|details| localized_body(&details, lang))
        .unwrap_or_else(|| html_escape(message))
}

/// What a period budget's alert says: whose budget, which period, spent of cap, who paused.
fn period_args(d: &PeriodBudget, lang: Lang) -> Vec<(&'static str, FluentValue<'static>)> {
    vec![
        ("scope", text(d.scope.as_str())),
        ("name", text(&d.name)),
        ("period", text(d.period.as_str())),
        ("spend", money(d.spent)),
        ("cap", money(d.cap)),
        ("percent", num(d.percent)),
        ("count", num(d.paused.len() as f64)),
        (
            "paused",
            text(&if d.paused.is_empty() {
                lang.t("word-nobody")
            } else {
                d.paused.join(", ")
            }),
        ),
    ]
}

fn localized_body(details: &AlertDetails, lang: Lang) -> Option<String> {
    use AlertDetails as D;
    let (key, args): (&str, Vec<(&str, FluentValue<'static>)>) = match details {
        D::BudgetExceeded(BudgetExceeded::Daily(d)) => (
            "alert-body-budget_exceeded",
            vec![
                ("agent", text(&d.agent)),
                ("spend", money(d.today_spend)),
                ("cap", money(d.daily_cap)),
            ],
        ),
        D::BudgetExceeded(BudgetExceeded::Period(d)) => ("alert-body-budget_exceeded-period", period_args(d, lang)),
        D::PeriodBudgetWarning(d) => ("alert-body-period_budget_warning", period_args(d, lang)),
        D::BudgetWarning(d) => (
            "alert-body-budget_warning",
            vec![
                ("agent", text(&d.agent)),
                ("percent", num(d.percent)),
                ("spend", money(d.today_spend)),
                ("cap", money(d.daily_cap)),
            ],
        ),
        D::PerRunCapExceeded(d) => (
            "alert-body-per_run_cap_exceeded",
            vec![("agent", text(&d.agent)), ("cost", money(d.cost)), ("cap", money(d.per_run_cap))],
        ),
        D::ApprovalExpiring(d) => (
            "alert-body-approval_expiring",
            vec![
                ("code", text(&d.code)),
                ("action", text(&d.action)),
                ("agent", text(&d.agent)),
                ("minutes", num(d.minutes as f64)),
            ],
        ),
        D::AgentStale(d) => match d.minutes_silent {
            None => ("alert-body-agent_stale-never", vec![("agent", text(&d.agent))]),
            Some(minutes) => (
                "alert-body-agent_stale",
                vec![("agent", text(&d.agent)), ("minutes", num(minutes as f64))],
            ),
        },
        D::ErrorStreak(d) => (
            if d.quarantined {
                "alert-body-error_streak-quarantined"
            } else {
                "alert-body-error_streak"
            },
            vec![("agent", text(&d.agent)), ("count", num(d.error_streak))],
        ),
        D::LoopDetected(d) => {
            if d.findings.is_empty() {
                return None;
            }
            // Each rule broken is a message of its own, in the reader's language.
            let reasons: Vec<String> = d.findings.iter().map(|f| html_escape(&f.message().render(lang))).collect();
            (
                "alert-body-loop_detected",
                vec![
                    ("number", num(d.number)),
                    ("title", text(&d.title)),
                    // Already HTML.
                    ("reasons", FluentValue::from(reasons.join("; "))),
                ],
            )
        }
    };
    Some(lang.ta(key, &args))
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
            ("severity", text(&severity_word(lang, severity))),
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
        buttons: alert_buttons(*alert_id, alert_type, subject, details, lang),
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
    with_tail(&head, "\n", &lang.ta("notice-alert-resolved", &[("by", text(resolved_by))]))
}

#[cfg(test)]
mod tests {
    use super::super::digest::digest;
    use super::super::fixtures::{alert_notice, at};
    use super::*;
    use mc_domain::{TaskStatus, Usd};

    #[test]
    fn alert_buttons_follow_the_alert_type() {
        let agent = Uuid::from_u128(7);
        let task = Uuid::from_u128(9);
        let names = |t: &str, s: String| -> Vec<&'static str> {
            alert_buttons(Uuid::nil(), t, &s, &serde_json::Value::Null, Lang::En)
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
        let path = format!("{}/../domain/locales/{}/notices.ftl", env!("CARGO_MANIFEST_DIR"), lang.code());
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.to_string()))
            .filter(|k| !k.is_empty() && !k.starts_with([' ', '#', '.']))
            .collect()
    }

    #[test]
    fn every_alert_kind_the_service_raises_has_a_name_and_a_text_in_every_language() {
        for lang in Lang::ALL {
            let keys = ftl_keys(*lang);
            for kind in AlertKind::ALL {
                for key in [format!("alert-type-{kind}"), format!("alert-body-{kind}")] {
                    assert!(keys.contains(&key), "{key} missing in locales/{}/notices.ftl", lang.code());
                }
            }
        }
    }

    /// Details as the service's raise sites write them, one per kind.
    fn sample(kind: AlertKind) -> AlertDetails {
        use mc_domain::alerts::*;
        use mc_domain::loops::LoopFinding;
        let id = Uuid::from_u128(7);
        match kind {
            AlertKind::BudgetExceeded => BudgetExceeded::Daily(DailyBudgetExceeded {
                agent_id: id,
                agent: "Scout".into(),
                today_spend: Usd::from_cents(216),
                daily_cap: Usd::from_cents(200),
                per_run_cap: Some(Usd::from_cents(50)),
                task_id: None,
            })
            .into(),
            AlertKind::PeriodBudgetWarning => PeriodBudget {
                scope: mc_domain::BudgetScope::Project,
                scope_id: id,
                name: "Launch".into(),
                period: mc_domain::BudgetPeriod::Month,
                spent: Usd::from_cents(8_000),
                cap: Usd::from_cents(10_000),
                percent: 80,
                paused: Vec::new(),
            }
            .into(),
            AlertKind::BudgetWarning => BudgetWarning {
                agent_id: id,
                agent: "Scout".into(),
                task_id: Some(id),
                today_spend: Usd::from_cents(160),
                daily_cap: Usd::from_cents(200),
                percent: 80,
            }
            .into(),
            AlertKind::PerRunCapExceeded => PerRunCapExceeded {
                agent_id: id,
                agent: "Scout".into(),
                run_id: id,
                task_id: None,
                cost: Usd::from_cents(150),
                per_run_cap: Usd::from_cents(100),
            }
            .into(),
            AlertKind::ApprovalExpiring => ApprovalExpiring {
                approval_id: id,
                code: "A7".into(),
                expires_at: at(),
                agent_id: id,
                agent: "Scout".into(),
                action: "email.send".into(),
                minutes: 3,
            }
            .into(),
            AlertKind::AgentStale => AgentStale {
                agent_id: id,
                agent: "Scout".into(),
                last_heartbeat: Some(at()),
                minutes_silent: Some(21),
            }
            .into(),
            AlertKind::ErrorStreak => ErrorStreak {
                agent_id: id,
                agent: "Scout".into(),
                error_streak: 4,
                quarantined: false,
            }
            .into(),
            AlertKind::LoopDetected => LoopDetected {
                task_id: id,
                number: 12,
                title: "Ship <it>".into(),
                findings: vec![
                    LoopFinding::CommentStorm { comments: 21, minutes: 30 },
                    LoopFinding::BackAndForth {
                        transitions: 6,
                        minutes: 60,
                        from: TaskStatus::InProgress,
                        to: TaskStatus::Review,
                        repeats: 3,
                    },
                ],
                document_id: id,
            }
            .into(),
        }
    }

    fn service_details(kind: AlertKind) -> serde_json::Value {
        sample(kind).to_json()
    }

    #[test]
    fn service_alerts_are_rendered_from_their_details_in_the_chats_language() {
        for kind in AlertKind::ALL.iter().copied() {
            let (t, details) = (kind.as_str(), service_details(kind));
            for lang in Lang::ALL {
                let body = alert_body(t, &details, "STORED", *lang);
                assert!(!body.contains("STORED") && !body.contains('{'), "{t} in {}: {body}", lang.code());
                assert_ne!(alert_title(t, *lang), t, "{t} has a name");
            }
        }
        let en = |kind: AlertKind| alert_body(kind.as_str(), &service_details(kind), "", Lang::En);
        let ru = |kind: AlertKind| alert_body(kind.as_str(), &service_details(kind), "", Lang::Ru);
        assert_eq!(en(AlertKind::BudgetExceeded), "Scout reached its daily budget: $2.16 of $2.00");
        assert_eq!(ru(AlertKind::BudgetExceeded), "Scout исчерпал(а) дневной бюджет: $2.16 из $2.00");
        assert_eq!(
            ru(AlertKind::BudgetWarning),
            "Scout потратил(а) 80% дневного бюджета ($1.60 из $2.00)"
        );
        assert_eq!(
            en(AlertKind::ApprovalExpiring),
            "A7 (email.send by Scout) expires in 3 minutes without a decision"
        );
        assert_eq!(
            ru(AlertKind::ApprovalExpiring),
            "A7 (email.send, Scout) истекает через 3 минуты без решения"
        );
        assert_eq!(en(AlertKind::AgentStale), "Scout is stale: no heartbeat for 21 minutes");
        assert_eq!(ru(AlertKind::AgentStale), "Scout не отвечает: нет сигнала 21 минуту");
        assert_eq!(ru(AlertKind::ErrorStreak), "У Scout 4 неудачных запуска подряд");
        assert_eq!(
            en(AlertKind::LoopDetected),
            "Task #12 \"Ship &lt;it&gt;\" is looping: 21 comments in 30 minutes; \
             6 transitions in 60 minutes, in progress → review 3 times"
        );
        assert_eq!(
            ru(AlertKind::LoopDetected),
            "Задача #12 «Ship &lt;it&gt;» зациклилась: 21 комментарий за 30 минут; \
             6 переходов за 60 минут, в работе → на проверке 3 раза"
        );
        let never = mc_domain::alerts::AgentStale {
            agent_id: Uuid::nil(),
            agent: "Pixel".into(),
            last_heartbeat: None,
            minutes_silent: None,
        };
        assert_eq!(
            alert_body("agent_stale", &AlertDetails::from(never).to_json(), "", Lang::En),
            "Pixel is stale: it never sent a heartbeat"
        );
        let quarantined = mc_domain::alerts::ErrorStreak {
            agent_id: Uuid::nil(),
            agent: "Pixel".into(),
            error_streak: 1,
            quarantined: true,
        };
        assert_eq!(
            alert_body("error_streak", &AlertDetails::from(quarantined).to_json(), "", Lang::En),
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
            *details = service_details(AlertKind::BudgetExceeded);
        }
        let (ru, _) = digest(&[&n], Lang::Ru);
        assert!(
            ru.contains("<b>Бюджет исчерпан</b>") && ru.contains("Scout исчерпал(а) дневной бюджет: $2.16 из $2.00 ×1"),
            "{ru}"
        );
    }
}
