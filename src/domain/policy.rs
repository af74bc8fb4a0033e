//! Risk classification of the actions agents want to take, and what policy decides about them.

use super::types::{AgentRole, AgentStatus, RiskLevel};
use crate::i18n::Msg;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The built-in tool → risk map. Action types are split on `.`, `_`, `:` and `-`, and the
/// riskiest known word wins, so `email.send` is RED and `file.read` is GREEN.
const BUILTIN_RISKS: &[(&str, RiskLevel)] = &[
    ("read", RiskLevel::Green),
    ("search", RiskLevel::Green),
    ("list", RiskLevel::Green),
    ("get", RiskLevel::Green),
    ("view", RiskLevel::Green),
    ("summarize", RiskLevel::Green),
    ("write", RiskLevel::Yellow),
    ("edit", RiskLevel::Yellow),
    ("exec", RiskLevel::Yellow),
    ("shell", RiskLevel::Yellow),
    ("browser", RiskLevel::Yellow),
    ("create", RiskLevel::Yellow),
    ("update", RiskLevel::Yellow),
    ("spawn", RiskLevel::Yellow),
    ("message", RiskLevel::Red),
    ("email", RiskLevel::Red),
    ("send", RiskLevel::Red),
    ("post", RiskLevel::Red),
    ("publish", RiskLevel::Red),
    ("deploy", RiskLevel::Red),
    ("payment", RiskLevel::Red),
    ("pay", RiskLevel::Red),
    ("purchase", RiskLevel::Red),
    ("refund", RiskLevel::Red),
    ("secret", RiskLevel::Red),
    ("credential", RiskLevel::Red),
    ("credentials", RiskLevel::Red),
    ("delete", RiskLevel::Red),
    ("drop", RiskLevel::Red),
];

static SECRET_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(api[_-]?key|secret|passw(or)?d|private[_-]?key|access[_-]?token|bearer\s+[a-z0-9._-]{8,}",
        r"|-----BEGIN [A-Z ]*PRIVATE KEY|\bsk-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abpr]-)"
    ))
    .expect("secret pattern compiles")
});

static PRODUCTION_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(prod|production)\b").expect("production pattern compiles"));

#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub risk: RiskLevel,
    /// Why the risk is what it is, for the approval card.
    pub reasons: Vec<Msg>,
}

fn risk_word(risk: RiskLevel) -> String {
    format!("risk-{}", risk.as_str())
}

/// Classifies an action by its type and by what its text says. `overrides` is the project's own
/// tool → risk map, consulted before the built-in one. `claimed` is the agent's own estimate: it
/// can raise the risk but never lower it.
pub fn classify(action_type: &str, texts: &[&str], overrides: &HashMap<String, RiskLevel>, claimed: Option<RiskLevel>) -> Classification {
    let action = action_type.to_ascii_lowercase();
    let mut reasons = Vec::new();
    let mut risk = if let Some(risk) = overrides.get(&action) {
        reasons.push(Msg::new("why-policy-maps").with("action", &action).word("risk", risk_word(*risk)));
        *risk
    } else {
        let known: Vec<(&str, RiskLevel)> = action
            .split(['.', '_', ':', '-', '/'])
            .filter_map(|word| BUILTIN_RISKS.iter().find(|(w, _)| *w == word).copied())
            .collect();
        match known.iter().max_by_key(|(_, risk)| *risk) {
            Some((word, risk)) => {
                reasons.push(Msg::new("why-word-risk").with("word", word).word("risk", risk_word(*risk)));
                *risk
            }
            None => {
                reasons.push(Msg::new("why-unknown-tool").with("action", &action));
                RiskLevel::Yellow
            }
        }
    };
    let mut escalate = |reason: &'static str| {
        if risk < RiskLevel::Red {
            risk = RiskLevel::Red;
        }
        reasons.push(Msg::new(reason));
    };
    if texts.iter().any(|t| SECRET_PATTERN.is_match(t)) || SECRET_PATTERN.is_match(&action) {
        escalate("why-secrets");
    }
    if texts.iter().any(|t| PRODUCTION_PATTERN.is_match(t)) {
        escalate("why-production");
    }
    if let Some(claimed) = claimed {
        if claimed > risk {
            reasons.push(Msg::new("why-agent-rated").word("risk", risk_word(claimed)));
            risk = claimed;
        }
    }
    Classification { risk, reasons }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyDecision {
    Allowed { reason: Msg },
    NeedsApproval,
    Denied { reason: Msg },
}

/// GREEN: allowed. YELLOW: allowed for specialists and leads, approval for interns.
/// RED: approval by the CAO, unless the project lists the action type as automatable.
/// Agents that are not active are denied everything.
pub fn decide(risk: RiskLevel, role: AgentRole, status: AgentStatus, action_type: &str, auto_approved_red: &[String]) -> PolicyDecision {
    if !status.may_act() {
        return PolicyDecision::Denied {
            reason: Msg::new("why-agent-not-active").agent_status("status", status),
        };
    }
    match risk {
        RiskLevel::Green => PolicyDecision::Allowed {
            reason: Msg::new("why-green-allowed"),
        },
        RiskLevel::Yellow if role != AgentRole::Intern => PolicyDecision::Allowed {
            reason: Msg::new("why-yellow-allowed").with("role", role),
        },
        RiskLevel::Yellow => PolicyDecision::NeedsApproval,
        RiskLevel::Red if auto_approved_red.iter().any(|a| a.eq_ignore_ascii_case(action_type)) => PolicyDecision::Allowed {
            reason: Msg::new("why-automation-approves").with("action", action_type),
        },
        RiskLevel::Red => PolicyDecision::NeedsApproval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(action: &str, texts: &[&str]) -> RiskLevel {
        classify(action, texts, &HashMap::new(), None).risk
    }

    #[test]
    fn tools_map_to_their_risk() {
        assert_eq!(risk("read", &[]), RiskLevel::Green);
        assert_eq!(risk("web_search", &[]), RiskLevel::Green);
        assert_eq!(risk("file.write", &[]), RiskLevel::Yellow);
        assert_eq!(risk("shell", &[]), RiskLevel::Yellow);
        assert_eq!(risk("browser", &[]), RiskLevel::Yellow);
        assert_eq!(risk("email.send", &[]), RiskLevel::Red);
        assert_eq!(risk("deploy", &[]), RiskLevel::Red);
        assert_eq!(risk("payment", &[]), RiskLevel::Red);
        assert_eq!(risk("secret_access", &[]), RiskLevel::Red);
        assert_eq!(risk("frobnicate", &[]), RiskLevel::Yellow, "unknown tools are not green");
    }

    #[test]
    fn secrets_and_production_escalate_to_red() {
        assert_eq!(risk("read", &["cat ~/.aws with AKIAABCDEFGHIJKLMNOP"]), RiskLevel::Red);
        assert_eq!(risk("file.write", &["set API_KEY=abc"]), RiskLevel::Red);
        assert_eq!(risk("shell", &["kubectl apply to production"]), RiskLevel::Red);
        assert_eq!(
            risk("read", &["read the product brief"]),
            RiskLevel::Green,
            "'product' is not 'prod'"
        );
        let c = classify("shell", &["deploy to prod"], &HashMap::new(), None);
        assert!(c.reasons.iter().any(|r| r.to_string().contains("production")), "{:?}", c.reasons);
    }

    #[test]
    fn project_overrides_and_claims_only_raise_or_replace_the_map() {
        let overrides = HashMap::from([("social.post".to_string(), RiskLevel::Yellow)]);
        assert_eq!(classify("social.post", &[], &overrides, None).risk, RiskLevel::Yellow);
        assert_eq!(classify("read", &[], &HashMap::new(), Some(RiskLevel::Red)).risk, RiskLevel::Red);
        assert_eq!(
            classify("deploy", &[], &HashMap::new(), Some(RiskLevel::Green)).risk,
            RiskLevel::Red
        );
    }

    #[test]
    fn decisions_by_risk_role_and_status() {
        use AgentRole::*;
        use PolicyDecision::*;
        let active = AgentStatus::Active;
        assert!(matches!(decide(RiskLevel::Green, Intern, active, "read", &[]), Allowed { .. }));
        assert_eq!(decide(RiskLevel::Yellow, Intern, active, "shell", &[]), NeedsApproval);
        assert!(matches!(
            decide(RiskLevel::Yellow, Specialist, active, "shell", &[]),
            Allowed { .. }
        ));
        assert!(matches!(decide(RiskLevel::Yellow, Lead, active, "shell", &[]), Allowed { .. }));
        for role in [Intern, Specialist, Lead] {
            assert_eq!(decide(RiskLevel::Red, role, active, "deploy", &[]), NeedsApproval);
        }
        let auto = vec!["social.post".to_string()];
        assert!(matches!(
            decide(RiskLevel::Red, Intern, active, "social.post", &auto),
            Allowed { .. }
        ));
        for status in [
            AgentStatus::Paused,
            AgentStatus::Quarantined,
            AgentStatus::Offline,
            AgentStatus::Drained,
        ] {
            assert!(matches!(decide(RiskLevel::Green, Lead, status, "read", &[]), Denied { .. }));
        }
    }
}
