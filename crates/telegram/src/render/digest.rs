//! A burst of alerts for one chat as digest messages: as many alerts as fit in one message,
//! grouped by type and severity, never a dropped line (the dispatcher sends the rest next).

use super::alerts::{alert_body, alert_title};
use super::text::{truncate, visible_len, MESSAGE_LIMIT};
use super::words::{severity as severity_word, severity_mark};
use fluent_templates::fluent_bundle::FluentValue;
use mc_core::model::notice::Notice;
use mc_domain::i18n::{num, text, Lang};
use mc_domain::AlertSeverity;

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
                ("severity", text(&severity_word(lang, severity))),
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::alert_notice;
    use super::super::text::visible_len;
    use super::*;

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
}
