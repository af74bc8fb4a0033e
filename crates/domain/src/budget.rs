//! Budgets and spawn limits: role defaults, what a run's cost does to an agent.

use super::actor::Actor;
use super::money::Usd;
use super::types::{AgentRole, AgentStatus, BudgetPeriod, BudgetScope, OperatorRole};
use chrono::{Datelike, NaiveDate};

/// Daily and per-run caps for one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub daily: Usd,
    pub per_run: Usd,
}

/// Role defaults, configurable; SPEC §2's numbers are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleCaps {
    pub lead: Caps,
    pub specialist: Caps,
    pub intern: Caps,
}

impl Default for RoleCaps {
    fn default() -> Self {
        RoleCaps {
            lead: Caps {
                daily: Usd::from_cents(1200),
                per_run: Usd::from_cents(150),
            },
            specialist: Caps {
                daily: Usd::from_cents(500),
                per_run: Usd::from_cents(75),
            },
            intern: Caps {
                daily: Usd::from_cents(200),
                per_run: Usd::from_cents(25),
            },
        }
    }
}

impl RoleCaps {
    pub fn for_role(&self, role: AgentRole) -> Caps {
        match role {
            AgentRole::Lead => self.lead,
            AgentRole::Specialist => self.specialist,
            AgentRole::Intern => self.intern,
        }
    }
}

/// What recording one run's cost means for the agent's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendOutcome {
    pub today_spend: Usd,
    pub over_per_run_cap: bool,
    /// Today's spend reached the daily cap with this run: pause the agent, hold its task.
    pub reached_daily_cap: bool,
    /// Today's spend crossed the warning percentage with this run (and not the cap).
    pub crossed_warning: bool,
}

pub fn evaluate_run(today_before: Usd, cost: Usd, caps: Caps, warning_percent: u32) -> SpendOutcome {
    let today_spend = today_before.saturating_add(cost);
    let reached_daily_cap = today_spend >= caps.daily && cost > Usd::ZERO;
    let was_warned = today_before.percent_of(caps.daily) >= warning_percent;
    let crossed_warning = !reached_daily_cap && !was_warned && today_spend.percent_of(caps.daily) >= warning_percent;
    SpendOutcome {
        today_spend,
        over_per_run_cap: cost > caps.per_run,
        reached_daily_cap,
        crossed_warning,
    }
}

/// Limits on sub-agents: interns cannot spawn, at most 3 children per parent, depth 2,
/// 30 active agents per project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnLimits {
    pub max_children: usize,
    pub max_depth: i32,
    pub max_active_agents: usize,
}

impl Default for SpawnLimits {
    fn default() -> Self {
        SpawnLimits {
            max_children: 3,
            max_depth: 2,
            max_active_agents: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnRefusal {
    InternParent,
    TooManyChildren { parent: String, children: usize, max: usize },
    TooDeep { max: i32 },
    ProjectFull { active: usize, max: usize },
}

impl SpawnRefusal {
    pub fn message(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            SpawnRefusal::InternParent => Msg::new("err-spawn-intern"),
            SpawnRefusal::TooManyChildren { parent, children, max } => Msg::new("err-spawn-too-many-children")
                .with("parent", parent)
                .count("children", *children as f64)
                .count("max", *max as f64),
            SpawnRefusal::TooDeep { max } => Msg::new("err-spawn-too-deep").count("max", *max),
            SpawnRefusal::ProjectFull { active, max } => Msg::new("err-spawn-project-full")
                .count("active", *active as f64)
                .count("max", *max as f64),
        }
    }
}

impl std::fmt::Display for SpawnRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

/// What a new agent asks to be given, and by whom.
#[derive(Debug, Clone, Copy)]
pub struct GrantFacts {
    /// The registration is the CAO's (only a CAO gives more than a role's default cap).
    pub by_cao: bool,
    pub role: AgentRole,
    /// The cap asked for; none: the role's default (and no more than the parent's).
    pub daily_cap: Option<Usd>,
    /// The role's default daily cap.
    pub role_default: Usd,
    /// The parent's role and its own daily cap, for a sub-agent.
    pub parent: Option<(AgentRole, Usd)>,
}

/// Why a new agent cannot have what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefusal {
    /// A sub-agent's role above its parent's.
    RoleAboveParent { role: AgentRole, parent_role: AgentRole },
    /// A sub-agent's cap above its parent's own.
    CapAboveParent { cap: Usd, parent_cap: Usd },
    /// A cap above the role's default, asked by someone who is not a CAO.
    CapAboveDefault { cap: Usd, role: AgentRole, default: Usd },
}

impl GrantRefusal {
    pub fn message(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            GrantRefusal::RoleAboveParent { role, parent_role } => Msg::new("err-grant-role-above-parent")
                .with("role", role)
                .with("parent", parent_role),
            GrantRefusal::CapAboveParent { cap, parent_cap } => {
                Msg::new("err-grant-cap-above-parent").with("cap", cap).with("parent", parent_cap)
            }
            GrantRefusal::CapAboveDefault { cap, role, default } => Msg::new("err-grant-cap-above-default")
                .with("cap", cap)
                .with("role", role)
                .with("default", default),
        }
    }

    /// The request field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            GrantRefusal::RoleAboveParent { .. } => "role",
            _ => "dailyCap",
        }
    }
}

/// The daily cap a new agent gets. A sub-agent gets no more than its parent: its role at most
/// the parent's, its cap at most the parent's own (and, unless asked otherwise, the smaller of
/// that and the role's default). Only a CAO gives any agent a cap above its role's default.
pub fn check_grant(facts: &GrantFacts) -> Result<Usd, GrantRefusal> {
    if let Some((parent_role, _)) = facts.parent {
        if facts.role.rank() > parent_role.rank() {
            return Err(GrantRefusal::RoleAboveParent {
                role: facts.role,
                parent_role,
            });
        }
    }
    let default = match facts.parent {
        Some((_, parent_cap)) => facts.role_default.min(parent_cap),
        None => facts.role_default,
    };
    let cap = facts.daily_cap.unwrap_or(default);
    if let Some((_, parent_cap)) = facts.parent {
        if cap > parent_cap {
            return Err(GrantRefusal::CapAboveParent { cap, parent_cap });
        }
    }
    if cap > facts.role_default && !facts.by_cao {
        return Err(GrantRefusal::CapAboveDefault {
            cap,
            role: facts.role,
            default: facts.role_default,
        });
    }
    Ok(cap)
}

pub struct SpawnFacts<'a> {
    pub parent: Option<(&'a str, AgentRole, i32, usize)>,
    pub active_agents: usize,
}

/// Returns the new agent's depth.
pub fn check_spawn(facts: &SpawnFacts<'_>, limits: &SpawnLimits) -> Result<i32, SpawnRefusal> {
    if facts.active_agents >= limits.max_active_agents {
        return Err(SpawnRefusal::ProjectFull {
            active: facts.active_agents,
            max: limits.max_active_agents,
        });
    }
    let Some((name, role, depth, children)) = facts.parent else {
        return Ok(0);
    };
    if role == AgentRole::Intern {
        return Err(SpawnRefusal::InternParent);
    }
    if children >= limits.max_children {
        return Err(SpawnRefusal::TooManyChildren {
            parent: name.to_string(),
            children,
            max: limits.max_children,
        });
    }
    if depth + 1 > limits.max_depth {
        return Err(SpawnRefusal::TooDeep { max: limits.max_depth });
    }
    Ok(depth + 1)
}

/// What an agent has spent today: its recorded spend, if that was recorded today (`spend_day`);
/// nothing yet on a day it has not run (the stored spend is a previous day's until rolled over).
pub fn spent_today(spend_day: NaiveDate, recorded_spend: Usd, today: NaiveDate) -> Usd {
    if spend_day == today {
        recorded_spend
    } else {
        Usd::ZERO
    }
}

/// The daily cap a budget alert's "Raise by $N and resume" offers: up by half (at least $1),
/// and in any case above what the agent spent today plus one more run, so that an agent paused
/// for its budget really resumes.
pub fn raised_cap(cap: Usd, per_run_cap: Usd, spent_today: Usd) -> Usd {
    let half = Usd::from_micros(cap.micros() / 2);
    let by_half = cap.saturating_add(half.max(Usd::from_cents(100)));
    by_half.max(spent_today.saturating_add(per_run_cap.max(Usd::from_cents(1))))
}

/// The "$N" of a daily budget alert's "Raise by $N and resume": from the cap to
/// [`raised_cap`].
pub fn daily_raise(cap: Usd, per_run_cap: Usd, spent_today: Usd) -> Usd {
    raised_cap(cap, per_run_cap, spent_today).saturating_sub(cap)
}

/// `agents.status_cause` of an agent paused at its daily cap.
pub const BUDGET_PAUSE: &str = "budget";

/// Why an agent is paused for money (`agents.status_cause`): its own daily cap (the first
/// kind, [`BUDGET_PAUSE`]) or monthly cap, or its project's daily or monthly cap. Each is
/// lifted by the CAO, or by the system when its period turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetPause {
    AgentDay,
    AgentMonth,
    ProjectDay,
    ProjectMonth,
}

impl BudgetPause {
    pub const ALL: [BudgetPause; 4] = [
        BudgetPause::AgentDay,
        BudgetPause::AgentMonth,
        BudgetPause::ProjectDay,
        BudgetPause::ProjectMonth,
    ];

    pub fn of(scope: BudgetScope, period: BudgetPeriod) -> BudgetPause {
        match (scope, period) {
            (BudgetScope::Agent, BudgetPeriod::Day) => BudgetPause::AgentDay,
            (BudgetScope::Agent, BudgetPeriod::Month) => BudgetPause::AgentMonth,
            (BudgetScope::Project, BudgetPeriod::Day) => BudgetPause::ProjectDay,
            (BudgetScope::Project, BudgetPeriod::Month) => BudgetPause::ProjectMonth,
        }
    }

    /// The stored cause.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPause::AgentDay => BUDGET_PAUSE,
            BudgetPause::AgentMonth => "budget_month",
            BudgetPause::ProjectDay => "project_budget",
            BudgetPause::ProjectMonth => "project_budget_month",
        }
    }

    /// The budget pause a stored cause names, if it names one.
    pub fn parse(cause: Option<&str>) -> Option<BudgetPause> {
        Self::ALL.into_iter().find(|p| Some(p.as_str()) == cause)
    }

    pub fn period(self) -> BudgetPeriod {
        match self {
            BudgetPause::AgentDay | BudgetPause::ProjectDay => BudgetPeriod::Day,
            BudgetPause::AgentMonth | BudgetPause::ProjectMonth => BudgetPeriod::Month,
        }
    }
}

/// The first day of `day`'s calendar month: what a monthly budget counts from.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

/// What a run's cost does to one cap of a period (an agent's month, a project's day or month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapCheck {
    pub spent: Usd,
    /// The spend reached the cap with this run: pause.
    pub reached: bool,
    /// The spend crossed the warning percentage with this run (and not the cap).
    pub crossed_warning: bool,
}

/// `cost` added to `before` under `cap` (as the daily cap is judged in [`evaluate_run`]).
pub fn check_cap(before: Usd, cost: Usd, cap: Usd, warning_percent: u32) -> CapCheck {
    let spent = before.saturating_add(cost);
    let reached = spent >= cap && cost > Usd::ZERO;
    let was_warned = before.percent_of(cap) >= warning_percent;
    CapCheck {
        spent,
        reached,
        crossed_warning: !reached && !was_warned && spent.percent_of(cap) >= warning_percent,
    }
}

/// What a period budget's "Raise by $N and resume" offers: up by half (at least $1), and in any
/// case to a dollar above what was spent, so that the paused agents really resume.
pub fn period_raise(cap: Usd, spent: Usd) -> Usd {
    let half = Usd::from_micros(cap.micros() / 2).max(Usd::from_cents(100));
    let by_half = cap.saturating_add(half);
    by_half.max(spent.saturating_add(Usd::from_cents(100))).saturating_sub(cap)
}

/// An agent about to be made active again (resumed, restarted, released, reset, back online).
#[derive(Debug, Clone, Copy)]
pub struct Reactivation<'a> {
    pub status: AgentStatus,
    pub cause: Option<&'a str>,
    /// Today's spend as it will be once the change is made (a reset may zero it).
    pub today_spend: Usd,
    pub daily_cap: Usd,
    /// This calendar month's spend and the agent's monthly cap, if it has one.
    pub month_spend: Usd,
    pub monthly_cap: Option<Usd>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactivationRefusal {
    /// A pause for the budget is money: only the CAO (or the system, at the daily reset) lifts it.
    BudgetPauseNeedsCao { agent: String },
    /// Even the CAO first raises the cap: the agent would stop again at its next run.
    BudgetExhausted { agent: String, spent: Usd, cap: Usd },
}

impl ReactivationRefusal {
    pub fn message(&self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            ReactivationRefusal::BudgetPauseNeedsCao { agent } => Msg::new("err-budget-pause-cao-only")
                .with("agent", agent)
                .role("needed", OperatorRole::Cao),
            ReactivationRefusal::BudgetExhausted { agent, spent, cap } => Msg::new("err-budget-exhausted")
                .with("agent", agent)
                .with("spent", spent)
                .with("cap", cap),
        }
    }
}

/// Whether `actor` may make the agent active. Every path that does (resume, restart, release,
/// reset, a heartbeat after being offline) asks this first. Pauses for other causes (by hand, the
/// squad's) are the operators' to lift; a pause for the budget only the CAO's (or the system's).
pub fn check_reactivation(actor: &Actor, agent: &str, facts: &Reactivation<'_>) -> Result<(), ReactivationRefusal> {
    let Some(pause) = BudgetPause::parse(facts.cause).filter(|_| facts.status == AgentStatus::Paused) else {
        return Ok(());
    };
    let may_lift = match actor {
        Actor::Operator { role, .. } => *role == OperatorRole::Cao,
        Actor::System { .. } => true,
        Actor::Agent { .. } => false,
    };
    if !may_lift {
        return Err(ReactivationRefusal::BudgetPauseNeedsCao { agent: agent.to_string() });
    }
    // The agent's own exhausted cap stops it again at its next run; a project's cap is
    // raised on the project ("Raise by $N and resume").
    let exhausted = match pause {
        BudgetPause::AgentDay => (facts.today_spend >= facts.daily_cap).then_some((facts.today_spend, facts.daily_cap)),
        BudgetPause::AgentMonth => facts
            .monthly_cap
            .filter(|cap| facts.month_spend >= *cap)
            .map(|cap| (facts.month_spend, cap)),
        BudgetPause::ProjectDay | BudgetPause::ProjectMonth => None,
    };
    if let Some((spent, cap)) = exhausted {
        return Err(ReactivationRefusal::BudgetExhausted {
            agent: agent.to_string(),
            spent,
            cap,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_rise_by_half_at_least_a_dollar() {
        let run = Usd::from_cents(50);
        assert_eq!(raised_cap(Usd::from_cents(1000), run, Usd::from_cents(1010)), Usd::from_cents(1500));
        assert_eq!(raised_cap(Usd::from_cents(200), run, Usd::from_cents(216)), Usd::from_cents(300));
        assert_eq!(raised_cap(Usd::from_cents(100), run, Usd::ZERO), Usd::from_cents(200));
    }

    #[test]
    fn a_raised_cap_leaves_room_above_what_was_spent_today() {
        // $2 cap, $5 already spent (one run went far over): $3 would keep the agent paused.
        let cap = raised_cap(Usd::from_cents(200), Usd::from_cents(50), Usd::from_cents(500));
        assert_eq!(cap, Usd::from_cents(550));
        let cap = raised_cap(Usd::from_cents(200), Usd::from_cents(150), Usd::from_cents(500));
        assert_eq!(cap, Usd::from_cents(650));
        // What the button says is the difference.
        assert_eq!(
            daily_raise(Usd::from_cents(200), Usd::from_cents(150), Usd::from_cents(500)),
            Usd::from_cents(450)
        );
        assert_eq!(
            daily_raise(Usd::from_cents(1000), Usd::from_cents(50), Usd::from_cents(1010)),
            Usd::from_cents(500)
        );
    }

    #[test]
    fn yesterdays_spend_is_not_todays() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let yesterday = today.pred_opt().unwrap();
        assert_eq!(spent_today(today, Usd::from_cents(310), today), Usd::from_cents(310));
        assert_eq!(spent_today(yesterday, Usd::from_cents(310), today), Usd::ZERO);
    }

    fn intern() -> Caps {
        RoleCaps::default().for_role(AgentRole::Intern)
    }

    #[test]
    fn role_defaults_follow_the_spec() {
        let caps = RoleCaps::default();
        assert_eq!(
            caps.for_role(AgentRole::Intern),
            Caps {
                daily: Usd::from_cents(200),
                per_run: Usd::from_cents(25)
            }
        );
        assert_eq!(caps.for_role(AgentRole::Specialist).daily, Usd::from_cents(500));
        assert_eq!(caps.for_role(AgentRole::Lead).per_run, Usd::from_cents(150));
    }

    #[test]
    fn reaching_the_daily_cap_exactly_counts() {
        let outcome = evaluate_run(Usd::from_cents(180), Usd::from_cents(20), intern(), 80);
        assert!(outcome.reached_daily_cap);
        assert!(!outcome.crossed_warning);
        assert!(!evaluate_run(Usd::from_cents(170), Usd::from_cents(20), intern(), 80).reached_daily_cap);
    }

    #[test]
    fn per_run_cap_is_strictly_above() {
        assert!(!evaluate_run(Usd::ZERO, Usd::from_cents(25), intern(), 80).over_per_run_cap);
        assert!(evaluate_run(Usd::ZERO, Usd::from_cents(26), intern(), 80).over_per_run_cap);
    }

    #[test]
    fn warning_fires_once_when_crossing() {
        assert!(evaluate_run(Usd::from_cents(150), Usd::from_cents(10), intern(), 80).crossed_warning);
        assert!(!evaluate_run(Usd::from_cents(100), Usd::from_cents(10), intern(), 80).crossed_warning);
        assert!(
            !evaluate_run(Usd::from_cents(165), Usd::from_cents(10), intern(), 80).crossed_warning,
            "already above"
        );
    }

    #[test]
    fn only_the_cao_lifts_a_budget_pause_and_only_below_the_cap() {
        let op = |role| Actor::Operator {
            id: uuid::Uuid::nil(),
            name: "someone".into(),
            role,
        };
        let paused = Reactivation {
            status: AgentStatus::Paused,
            cause: Some(BUDGET_PAUSE),
            today_spend: Usd::from_cents(150),
            daily_cap: Usd::from_cents(200),
            month_spend: Usd::from_cents(4000),
            monthly_cap: Some(Usd::from_cents(4000)),
        };
        assert_eq!(
            check_reactivation(&op(OperatorRole::Operator), "Scout", &paused),
            Err(ReactivationRefusal::BudgetPauseNeedsCao { agent: "Scout".into() })
        );
        let agent = Actor::Agent {
            id: uuid::Uuid::nil(),
            project_id: uuid::Uuid::nil(),
            name: "Scout".into(),
        };
        assert!(check_reactivation(&agent, "Scout", &paused).is_err());
        assert_eq!(check_reactivation(&op(OperatorRole::Cao), "Scout", &paused), Ok(()));
        assert_eq!(check_reactivation(&Actor::system("budget_reset"), "Scout", &paused), Ok(()));
        let at_cap = Reactivation {
            today_spend: Usd::from_cents(200),
            ..paused
        };
        assert!(matches!(
            check_reactivation(&op(OperatorRole::Cao), "Scout", &at_cap),
            Err(ReactivationRefusal::BudgetExhausted { .. })
        ));
        assert!(
            matches!(
                check_reactivation(&op(OperatorRole::Operator), "Scout", &at_cap),
                Err(ReactivationRefusal::BudgetPauseNeedsCao { .. })
            ),
            "an operator is told who may, not to raise a cap they cannot"
        );
        // Other pauses are the operators' to lift.
        for cause in [None, Some("manual"), Some("squad")] {
            let other = Reactivation { cause, ..at_cap };
            assert_eq!(check_reactivation(&op(OperatorRole::Operator), "Scout", &other), Ok(()));
        }
        let quarantined = Reactivation {
            status: AgentStatus::Quarantined,
            ..at_cap
        };
        assert_eq!(check_reactivation(&op(OperatorRole::Operator), "Scout", &quarantined), Ok(()));
        // A monthly pause is money too, and its own cap counts; a project's is raised on the project.
        let monthly = Reactivation {
            cause: Some("budget_month"),
            ..paused
        };
        assert!(matches!(
            check_reactivation(&op(OperatorRole::Operator), "Scout", &monthly),
            Err(ReactivationRefusal::BudgetPauseNeedsCao { .. })
        ));
        assert!(matches!(
            check_reactivation(&op(OperatorRole::Cao), "Scout", &monthly),
            Err(ReactivationRefusal::BudgetExhausted { .. })
        ));
        let project = Reactivation {
            cause: Some("project_budget_month"),
            ..at_cap
        };
        assert!(check_reactivation(&op(OperatorRole::Operator), "Scout", &project).is_err());
        assert_eq!(check_reactivation(&op(OperatorRole::Cao), "Scout", &project), Ok(()));
    }

    #[test]
    fn period_caps_warn_once_and_stop_at_the_cap() {
        let usd = Usd::from_cents;
        assert_eq!(
            check_cap(usd(7000), usd(1000), usd(10000), 80),
            CapCheck {
                spent: usd(8000),
                reached: false,
                crossed_warning: true
            }
        );
        assert!(!check_cap(usd(8000), usd(100), usd(10000), 80).crossed_warning, "warned already");
        let reached = check_cap(usd(9500), usd(500), usd(10000), 80);
        assert!(reached.reached && !reached.crossed_warning);
        assert!(
            !check_cap(usd(10000), Usd::ZERO, usd(10000), 80).reached,
            "a free run stops nothing"
        );
        assert_eq!(
            month_of(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        for (pause, cause) in [
            (BudgetPause::AgentDay, "budget"),
            (BudgetPause::ProjectMonth, "project_budget_month"),
        ] {
            assert_eq!(BudgetPause::parse(Some(cause)), Some(pause));
        }
        assert_eq!(BudgetPause::parse(Some("manual")), None);
        // Up by half, at least $1, and past what was spent.
        assert_eq!(period_raise(usd(10000), usd(10100)), usd(5000));
        assert_eq!(period_raise(usd(100), usd(150)), usd(150));
        assert_eq!(period_raise(usd(1000), usd(3000)), usd(2100));
    }

    #[test]
    fn spawn_limits() {
        let limits = SpawnLimits::default();
        let ok = SpawnFacts {
            parent: Some(("Sofie", AgentRole::Lead, 0, 2)),
            active_agents: 5,
        };
        assert_eq!(check_spawn(&ok, &limits), Ok(1));
        let intern = SpawnFacts {
            parent: Some(("Scout", AgentRole::Intern, 0, 0)),
            active_agents: 5,
        };
        assert_eq!(check_spawn(&intern, &limits), Err(SpawnRefusal::InternParent));
        let full = SpawnFacts {
            parent: Some(("Sofie", AgentRole::Lead, 0, 3)),
            active_agents: 5,
        };
        assert!(matches!(check_spawn(&full, &limits), Err(SpawnRefusal::TooManyChildren { .. })));
        let deep = SpawnFacts {
            parent: Some(("Sub", AgentRole::Specialist, 2, 0)),
            active_agents: 5,
        };
        assert_eq!(check_spawn(&deep, &limits), Err(SpawnRefusal::TooDeep { max: 2 }));
        let crowded = SpawnFacts {
            parent: None,
            active_agents: 30,
        };
        assert!(matches!(check_spawn(&crowded, &limits), Err(SpawnRefusal::ProjectFull { .. })));
    }

    #[test]
    fn a_sub_agent_gets_no_more_than_its_parent() {
        let usd = Usd::from_cents;
        let facts = |by_cao, role, daily_cap, parent| GrantFacts {
            by_cao,
            role,
            daily_cap,
            role_default: usd(500),
            parent,
        };
        use AgentRole::*;
        // The attack: a $5 specialist registers a lead child with a $1M cap.
        let attack = facts(false, Lead, Some(usd(100_000_000)), Some((Specialist, usd(500))));
        assert!(matches!(check_grant(&attack), Err(GrantRefusal::RoleAboveParent { .. })));
        let rich = facts(false, Specialist, Some(usd(100_000_000)), Some((Specialist, usd(500))));
        assert!(matches!(check_grant(&rich), Err(GrantRefusal::CapAboveParent { .. })));
        // A child gets the smaller of its role's default and its parent's cap.
        assert_eq!(check_grant(&facts(false, Intern, None, Some((Specialist, usd(300))))), Ok(usd(300)));
        assert_eq!(check_grant(&facts(false, Specialist, None, Some((Lead, usd(2_000))))), Ok(usd(500)));
        // Above the role's default: the CAO's alone, and never above the parent.
        let above = facts(false, Specialist, Some(usd(600)), None);
        assert!(matches!(check_grant(&above), Err(GrantRefusal::CapAboveDefault { .. })));
        assert_eq!(check_grant(&facts(true, Specialist, Some(usd(600)), None)), Ok(usd(600)));
        let over_parent = facts(true, Specialist, Some(usd(600)), Some((Lead, usd(550))));
        assert!(matches!(check_grant(&over_parent), Err(GrantRefusal::CapAboveParent { .. })));
        assert_eq!(check_grant(&facts(false, Lead, None, Some((Lead, usd(2_000))))), Ok(usd(500)));
    }
}
