//! Risk classification of the actions agents want to take, and what policy decides about them.

use super::types::{AgentRole, AgentStatus, RiskLevel};
use crate::i18n::Msg;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Words that make an action RED wherever they appear in its type (`email.send`,
/// `secret_access`): these are built in, and configuration cannot lower them but by naming a
/// whole type in `policy.risk_overrides`.
const RED_WORDS: &[&str] = &[
    "message",
    "email",
    "send",
    "post",
    "publish",
    "deploy",
    "payment",
    "pay",
    "purchase",
    "refund",
    "secret",
    "credential",
    "credentials",
    "delete",
    "drop",
];

/// `policy.green` when configuration says nothing.
pub const DEFAULT_GREEN: &[&str] = &["read", "search", "list", "get", "view", "summarize"];
/// `policy.yellow` when configuration says nothing.
pub const DEFAULT_YELLOW: &[&str] = &["write", "edit", "exec", "shell", "browser", "create", "update", "spawn"];

/// The action type whose approval, decided by a person, lets a task gated by
/// `policy.done_requires_approval` be done. Always RED: no policy decides it.
pub const DONE_ACTION: &str = "task.done";

/// What policy knows about action types. Anything it does not know is RED (fail closed).
///
/// An action type is split into words on `.`, `_`, `:`, `-` and `/`; an entry of `green` or
/// `yellow` names a word (`read`) or a whole type (`file.read`). The riskiest known word wins,
/// so `email.read` is RED; a type none of whose words policy knows is RED; the project's
/// `overrides` name whole types and are consulted first.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskMap {
    pub green: Vec<String>,
    pub yellow: Vec<String>,
    pub overrides: HashMap<String, RiskLevel>,
}

impl Default for RiskMap {
    fn default() -> Self {
        RiskMap {
            green: DEFAULT_GREEN.iter().map(|w| w.to_string()).collect(),
            yellow: DEFAULT_YELLOW.iter().map(|w| w.to_string()).collect(),
            overrides: HashMap::new(),
        }
    }
}

impl RiskMap {
    /// The level policy gives a word or a whole type, if it knows it.
    fn known(&self, entry: &str) -> Option<RiskLevel> {
        if RED_WORDS.contains(&entry) {
            return Some(RiskLevel::Red);
        }
        if self.yellow.iter().any(|w| w == entry) {
            return Some(RiskLevel::Yellow);
        }
        self.green.iter().any(|w| w == entry).then_some(RiskLevel::Green)
    }

    /// Classifies an action by its type and by what its text says. `claimed` is the agent's
    /// own estimate: it can raise the risk but never lower it.
    pub fn classify(&self, action_type: &str, texts: &[&str], claimed: Option<RiskLevel>) -> Classification {
        let action = action_type.trim().to_ascii_lowercase();
        let mut reasons = Vec::new();
        let mut risk = if action == DONE_ACTION {
            reasons.push(Msg::new("why-done-action").with("action", &action));
            RiskLevel::Red
        } else if let Some(risk) = self.overrides.get(&action) {
            reasons.push(Msg::new("why-policy-maps").with("action", &action).word("risk", risk_word(*risk)));
            *risk
        } else {
            let whole = self
                .known(&action)
                .filter(|_| action.contains(SEPARATORS))
                .map(|r| (action.as_str(), r));
            let known: Vec<(&str, RiskLevel)> = whole
                .into_iter()
                .chain(action.split(SEPARATORS).filter_map(|word| self.known(word).map(|r| (word, r))))
                .collect();
            match known.iter().max_by_key(|(_, risk)| *risk) {
                Some((word, risk)) => {
                    reasons.push(Msg::new("why-word-risk").with("word", word).word("risk", risk_word(*risk)));
                    *risk
                }
                None => {
                    reasons.push(Msg::new("why-unknown-tool").with("action", &action));
                    RiskLevel::Red
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
}

const SEPARATORS: [char; 5] = ['.', '_', ':', '-', '/'];

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

/// Whether `action` (trimmed and lowercased) is an action type at all: 1–64 of `a-z 0-9 _ . : -`.
pub fn plausible_action_type(action: &str) -> bool {
    !action.is_empty()
        && action.len() <= 64
        && action
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | '-'))
}

/// What policy says of an action type: its level, the rules that decided it, and what that
/// means for an agent of each role (`policy check`, `/policy <type>`).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyCheck {
    pub action: String,
    pub risk: RiskLevel,
    pub reasons: Vec<Msg>,
    pub decisions: Vec<(AgentRole, PolicyDecision)>,
}

/// Checks `action_type` for `role` (every role when none), for an active agent.
pub fn check(map: &RiskMap, auto_approved_red: &[String], action_type: &str, role: Option<AgentRole>) -> PolicyCheck {
    let action = action_type.trim().to_ascii_lowercase();
    let c = map.classify(&action, &[], None);
    let roles: Vec<AgentRole> = match role {
        Some(role) => vec![role],
        None => vec![AgentRole::Intern, AgentRole::Specialist, AgentRole::Lead],
    };
    let decisions = roles
        .into_iter()
        .map(|role| (role, decide(c.risk, role, AgentStatus::Active, &action, auto_approved_red)))
        .collect();
    PolicyCheck {
        action,
        risk: c.risk,
        reasons: c.reasons,
        decisions,
    }
}

impl PolicyDecision {
    /// In a word: allowed, needs approval, denied.
    pub fn outcome_id(&self) -> &'static str {
        match self {
            PolicyDecision::Allowed { .. } => "policy-allowed",
            PolicyDecision::NeedsApproval => "policy-needs-approval",
            PolicyDecision::Denied { .. } => "policy-denied",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(action: &str, texts: &[&str]) -> RiskLevel {
        RiskMap::default().classify(action, texts, None).risk
    }

    fn with_overrides(overrides: HashMap<String, RiskLevel>) -> RiskMap {
        RiskMap {
            overrides,
            ..RiskMap::default()
        }
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
        assert_eq!(risk("email.read", &[]), RiskLevel::Red, "the riskiest known word wins");
    }

    #[test]
    fn what_policy_does_not_know_is_red() {
        assert_eq!(risk("frobnicate", &[]), RiskLevel::Red);
        assert_eq!(risk("wire.transfer", &[]), RiskLevel::Red);
        // A claim can raise, never lower: a claimed GREEN for an unknown type stays RED.
        assert_eq!(
            RiskMap::default().classify("wire.transfer", &[], Some(RiskLevel::Green)).risk,
            RiskLevel::Red
        );
        // The dedicated done approval is RED whatever the configuration says.
        let lenient = RiskMap {
            green: vec!["task".into(), "done".into(), "task.done".into()],
            ..with_overrides(HashMap::from([(DONE_ACTION.to_string(), RiskLevel::Green)]))
        };
        assert_eq!(lenient.classify(DONE_ACTION, &[], None).risk, RiskLevel::Red);
        // Configuration lists what is known, as words or as whole types.
        let configured = RiskMap {
            green: vec!["ledger.lookup".into()],
            yellow: vec!["transfer".into()],
            overrides: HashMap::new(),
        };
        assert_eq!(configured.classify("ledger.lookup", &[], None).risk, RiskLevel::Green);
        assert_eq!(configured.classify("wire.transfer", &[], None).risk, RiskLevel::Yellow);
        assert_eq!(
            configured.classify("read", &[], None).risk,
            RiskLevel::Red,
            "only what is listed is known"
        );
    }

    fn risk_claimed(action: &str, claimed: RiskLevel) -> RiskLevel {
        RiskMap::default().classify(action, &[], Some(claimed)).risk
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
        let c = RiskMap::default().classify("shell", &["deploy to prod"], None);
        assert!(c.reasons.iter().any(|r| r.to_string().contains("production")), "{:?}", c.reasons);
    }

    #[test]
    fn project_overrides_and_claims_only_raise_or_replace_the_map() {
        let overrides = HashMap::from([("social.post".to_string(), RiskLevel::Yellow)]);
        assert_eq!(with_overrides(overrides).classify("social.post", &[], None).risk, RiskLevel::Yellow);
        assert_eq!(risk_claimed("read", RiskLevel::Red), RiskLevel::Red);
        assert_eq!(risk_claimed("deploy", RiskLevel::Green), RiskLevel::Red);
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
