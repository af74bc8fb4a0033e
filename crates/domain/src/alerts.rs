//! The alerts the service raises itself, and what each one carries.
//!
//! An alert's `type` is free text: operators and scripts raise their own (`disk_full`) with any
//! details, and those are shown with their own message. The service's own kinds are an
//! [`AlertKind`], and each has one details type ([`AlertDetails`]): the core builds it where it
//! raises the alert and serializes it once into the alert's `details`; the chat renderer reads it
//! back typed and says it in the reader's language. A field misspelt on one side no longer shows
//! up as an English fallback at run time; it does not compile.
//!
//! The JSON is what `alerts.details` holds and the API shows (camelCase keys, money in dollars,
//! times in RFC 3339), so the types must keep their field names.

use super::loops::LoopFinding;
use super::types::{BudgetPeriod, BudgetScope};
use super::Usd;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr, VariantArray};
use uuid::Uuid;

impl AlertKind {
    /// Every kind, in the order the API lists them.
    pub const ALL: &'static [AlertKind] = <AlertKind as VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The kind of a stored alert type; `None` for one raised by an operator or a script.
    pub fn parse(alert_type: &str) -> Option<AlertKind> {
        alert_type.parse().ok()
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agent silent for longer than the stale threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStale {
    pub agent_id: Uuid,
    pub agent: String,
    /// `None`: it never sent a heartbeat.
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub minutes_silent: Option<i64>,
}

/// A pending approval about to expire without a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalExpiring {
    pub approval_id: Uuid,
    pub code: String,
    pub expires_at: DateTime<Utc>,
    pub agent_id: Uuid,
    pub agent: String,
    pub action: String,
    pub minutes: i64,
}

/// A budget reached: an agent at its daily cap (the first kind, whose stored shape is kept), or
/// an agent or a whole project at a period's cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BudgetExceeded {
    Period(PeriodBudget),
    Daily(DailyBudgetExceeded),
}

/// An agent at its daily cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyBudgetExceeded {
    pub agent_id: Uuid,
    pub agent: String,
    pub today_spend: Usd,
    pub daily_cap: Usd,
    /// The agent's per-run cap then: what its "Raise by $N and resume" leaves room for (alerts
    /// raised before it was recorded have none, and offer the amount decided at the click).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_run_cap: Option<Usd>,
    pub task_id: Option<Uuid>,
}

impl DailyBudgetExceeded {
    /// What its "Raise by $N and resume" offers (see [`crate::budget::daily_raise`]).
    pub fn raise_offered(&self) -> Option<Usd> {
        self.per_run_cap
            .map(|per_run| crate::budget::daily_raise(self.daily_cap, per_run, self.today_spend))
    }
}

/// An agent's monthly budget, or a project's daily or monthly budget, reached (the agents it
/// paused named) or past its warning share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodBudget {
    pub scope: BudgetScope,
    /// The agent's or the project's id.
    pub scope_id: Uuid,
    pub name: String,
    pub period: BudgetPeriod,
    pub spent: Usd,
    pub cap: Usd,
    pub percent: u32,
    /// The agents the budget paused (none for a warning).
    pub paused: Vec<String>,
}

impl PeriodBudget {
    /// What its alert's "Raise by $N and resume" offers (see [`crate::budget::period_raise`]).
    pub fn raise_offered(&self) -> Usd {
        crate::budget::period_raise(self.cap, self.spent)
    }

    /// Where its alert is raised and resolved: one open alert per budget.
    pub fn subject(scope: BudgetScope, scope_id: Uuid, period: BudgetPeriod) -> String {
        format!("budget:{scope}:{scope_id}:{period}")
    }
}

/// An agent's monthly budget, or a project's daily or monthly budget, past its warning share.
pub type PeriodBudgetWarning = PeriodBudget;

/// An agent past the warning share of its daily cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetWarning {
    pub agent_id: Uuid,
    pub agent: String,
    pub task_id: Option<Uuid>,
    pub today_spend: Usd,
    pub daily_cap: Usd,
    pub percent: u32,
}

/// Failed runs in a row: an alert, or a quarantine past the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorStreak {
    pub agent_id: Uuid,
    pub agent: String,
    pub error_streak: i32,
    pub quarantined: bool,
}

/// A task blocked by the loop detector, with the rules it broke and its Loop Summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoopDetected {
    pub task_id: Uuid,
    pub number: i32,
    pub title: String,
    pub findings: Vec<LoopFinding>,
    pub document_id: Uuid,
}

/// One run that cost more than the agent's per-run cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerRunCapExceeded {
    pub agent_id: Uuid,
    pub agent: String,
    pub run_id: Uuid,
    pub task_id: Option<Uuid>,
    pub cost: Usd,
    pub per_run_cap: Usd,
}

/// [`AlertKind`] and [`AlertDetails`] from one list: each kind is a variant of both, and its
/// details type has the kind's name.
macro_rules! service_alerts {
    ($($kind:ident),+ $(,)?) => {
        /// An alert type the service raises itself (`alerts.type`, snake_case).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
        #[strum(serialize_all = "snake_case")]
        pub enum AlertKind {
            $($kind),+
        }

        /// The details of a service alert, one type per [`AlertKind`].
        #[derive(Debug, Clone, PartialEq)]
        pub enum AlertDetails {
            $($kind($kind)),+
        }

        impl AlertDetails {
            pub fn kind(&self) -> AlertKind {
                match self {
                    $(AlertDetails::$kind(_) => AlertKind::$kind),+
                }
            }

            /// The details as stored and shown by the API.
            pub fn to_json(&self) -> serde_json::Value {
                let json = match self {
                    $(AlertDetails::$kind(d) => serde_json::to_value(d)),+
                };
                json.expect("alert details are plain data")
            }

            /// The details of a stored alert of `kind`; `None` when they lack a field or have
            /// one of another shape (an alert raised by hand with a service type, say).
            pub fn from_json(kind: AlertKind, details: &serde_json::Value) -> Option<AlertDetails> {
                match kind {
                    $(AlertKind::$kind => <$kind>::deserialize(details).ok().map(AlertDetails::$kind)),+
                }
            }
        }

        $(impl From<$kind> for AlertDetails {
            fn from(details: $kind) -> Self {
                AlertDetails::$kind(details)
            }
        })+
    };
}

service_alerts!(
    AgentStale,
    ApprovalExpiring,
    BudgetExceeded,
    BudgetWarning,
    ErrorStreak,
    LoopDetected,
    PerRunCapExceeded,
    PeriodBudgetWarning,
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_their_snake_case_names() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AlertKind::BudgetExceeded.as_str(), "budget_exceeded");
        assert_eq!(AlertKind::parse("per_run_cap_exceeded"), Some(AlertKind::PerRunCapExceeded));
        assert_eq!(AlertKind::parse("disk_full"), None);
        assert_eq!(AlertKind::parse("Budget_Exceeded"), None);
    }

    #[test]
    fn details_keep_the_stored_shape() {
        let agent_id = Uuid::from_u128(1);
        let details = AlertDetails::from(BudgetExceeded::Daily(DailyBudgetExceeded {
            agent_id,
            agent: "Scout".into(),
            today_spend: Usd::from_cents(216),
            daily_cap: Usd::from_cents(200),
            per_run_cap: None,
            task_id: None,
        }));
        let stored = json!({ "agentId": agent_id, "agent": "Scout", "todaySpend": 2.16, "dailyCap": 2.0, "taskId": null });
        assert_eq!(details.to_json(), stored);
        assert_eq!(AlertDetails::from_json(AlertKind::BudgetExceeded, &stored), Some(details));
        // Since the button names its amount, the per-run cap is kept beside the spend.
        let with_run =
            json!({ "agentId": agent_id, "agent": "Scout", "todaySpend": 2.16, "dailyCap": 2.0, "perRunCap": 0.5, "taskId": null });
        let Some(AlertDetails::BudgetExceeded(BudgetExceeded::Daily(daily))) =
            AlertDetails::from_json(AlertKind::BudgetExceeded, &with_run)
        else {
            panic!("a daily budget's details")
        };
        assert_eq!(
            daily.raise_offered(),
            Some(Usd::from_cents(100)),
            "$2 up by half is $3, above $2.16 + $0.50"
        );
        assert_eq!(AlertDetails::from(BudgetExceeded::Daily(daily)).to_json(), with_run);
        // A project's month: the same kind, its own shape.
        let project = AlertDetails::from(BudgetExceeded::Period(PeriodBudget {
            scope: BudgetScope::Project,
            scope_id: agent_id,
            name: "Launch".into(),
            period: BudgetPeriod::Month,
            spent: Usd::from_cents(10_050),
            cap: Usd::from_cents(10_000),
            percent: 100,
            paused: vec!["Scout".into(), "Pixel".into()],
        }));
        let json = project.to_json();
        assert_eq!(
            (&json["scope"], &json["period"], &json["spent"]),
            (&json!("project"), &json!("month"), &json!(100.5))
        );
        assert_eq!(AlertDetails::from_json(AlertKind::BudgetExceeded, &json), Some(project));
        let stale = json!({ "agentId": agent_id, "agent": "Pixel", "lastHeartbeat": null, "minutesSilent": null });
        let Some(AlertDetails::AgentStale(read)) = AlertDetails::from_json(AlertKind::AgentStale, &stale) else {
            panic!("agent_stale details not read");
        };
        assert_eq!((read.last_heartbeat, read.minutes_silent), (None, None));
        assert_eq!(AlertDetails::AgentStale(read).to_json(), stale);
        // Details of another shape are not this kind's.
        assert_eq!(
            AlertDetails::from_json(AlertKind::BudgetExceeded, &json!({ "agent": "Scout" })),
            None
        );
        assert_eq!(AlertDetails::from_json(AlertKind::LoopDetected, &serde_json::Value::Null), None);
    }
}
