//! The shared vocabulary: the words for statuses, roles, risk levels and severities, one
//! message id each in `locales/*/common.ftl` (the core's errors use the same ids), and the marks
//! (emoji) that stand for them. The bot and the notices both say a status through here, so it
//! reads the same in an answer, a notice and a card.

use mc_core::model::Agent;
use mc_domain::i18n::Lang;
use mc_domain::{Actor, AgentStatus, AlertSeverity, ApprovalStatus, OperatorRole, RiskLevel, TaskStatus};
use uuid::Uuid;

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

pub fn risk(lang: Lang, risk: RiskLevel) -> String {
    lang.t(&format!("risk-{}", risk.as_str()))
}

pub fn severity(lang: Lang, severity: AlertSeverity) -> String {
    lang.t(&format!("severity-{}", severity.as_str()))
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

/// The mark of a risk level, before its word.
pub fn risk_mark(risk: RiskLevel) -> &'static str {
    match risk {
        RiskLevel::Green => "🟢",
        RiskLevel::Yellow => "🟡",
        RiskLevel::Red => "🔴",
    }
}

/// The mark of an alert's severity, before its title.
pub fn severity_mark(severity: AlertSeverity) -> &'static str {
    match severity {
        AlertSeverity::Info => "ℹ️",
        AlertSeverity::Warning => "⚠️",
        AlertSeverity::Critical => "🚨",
    }
}

/// The mark of a task's status in topic names, cards and lists.
pub fn status_mark(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Inbox => "📥",
        TaskStatus::Assigned => "📌",
        TaskStatus::InProgress => "🔨",
        TaskStatus::Review => "🔎",
        TaskStatus::NeedsApproval => "🛂",
        TaskStatus::Blocked => "⛔",
        TaskStatus::Done => "✅",
        TaskStatus::Canceled => "🚫",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn every_word_exists_in_every_language() {
        fn ids<T: VariantArray + Into<&'static str> + Copy>(prefix: &str) -> Vec<String> {
            T::VARIANTS.iter().map(|v| format!("{prefix}-{}", (*v).into())).collect()
        }
        let every = [
            ids::<TaskStatus>("task-status"),
            ids::<AgentStatus>("agent-status"),
            ids::<ApprovalStatus>("approval-status"),
            ids::<OperatorRole>("role"),
            ids::<RiskLevel>("risk"),
            ids::<AlertSeverity>("severity"),
        ];
        for (lang, key) in Lang::ALL.iter().flat_map(|l| every.concat().into_iter().map(move |k| (*l, k))) {
            assert_ne!(lang.t(&key), key, "{} lacks {key}", lang.code());
        }
        assert_eq!(task_status(Lang::Ru, TaskStatus::InProgress), "в работе");
        assert_eq!(severity(Lang::En, AlertSeverity::Critical), "critical");
    }
}
