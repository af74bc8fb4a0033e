//! The scheduled jobs and their schedules: which jobs there are (by the names the config, the
//! CLI and the API use) and how a cron expression is read and reasoned about. The scheduler
//! (the `mc-jobs` crate) fires them; the configuration checks its `[jobs]` with the same parser.

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};
use croner::Cron;

/// The scheduled jobs, by the names the config, the CLI and the API use.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::EnumString, strum::IntoStaticStr, strum::VariantArray, utoipa::ToSchema,
)]
#[strum(serialize_all = "snake_case")]
#[schema(rename_all = "snake_case")]
pub enum Job {
    Standup,
    ApprovalExpiry,
    HeartbeatMonitor,
    LoopDetector,
    BudgetWatch,
    BudgetReset,
    OutboxRetention,
    GrantExpiry,
    QuestionExpiry,
}

impl Job {
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The job a person typed (`loop-detector` or `loop_detector`); None when there is none.
    pub fn lookup(input: &str) -> Option<Job> {
        input.trim().replace('-', "_").parse().ok()
    }

    /// Every job's name, for an error that lists them.
    pub fn names() -> String {
        use strum::VariantArray;
        Job::VARIANTS.iter().map(|j| j.name()).collect::<Vec<_>>().join(", ")
    }
}

/// A cron expression with seconds (`sec min hour dom mon dow`); the error names the setting
/// `jobs.<key>`.
pub fn parse_cron(key: &str, expression: &str) -> Result<Cron, String> {
    CronParser::builder().seconds(Seconds::Required).build().parse(expression).map_err(|e| {
        format!("invalid configuration: jobs.{key} must be a cron expression with seconds (sec min hour dom mon dow), got '{expression}': {e}")
    })
}

/// The longest time between two consecutive occurrences of `cron` over a week (so irregular
/// schedules count by their widest gap); None when it fires less than twice in that week.
pub fn longest_gap(cron: &Cron) -> Option<chrono::Duration> {
    use chrono::TimeZone;
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single()?;
    let end = start + chrono::Duration::days(7);
    let mut previous: Option<DateTime<Utc>> = None;
    let mut longest: Option<chrono::Duration> = None;
    for at in cron.iter_after(start).take(50_000) {
        if let Some(before) = previous {
            let gap = at - before;
            longest = Some(longest.map_or(gap, |l| l.max(gap)));
        }
        if at > end {
            break;
        }
        previous = Some(at);
    }
    longest
}

/// Which occurrence a firing belongs to: the latest scheduled time at or before now (with a
/// second of slack for a timer that fires early). Every replica computes the same one.
pub fn occurrence(cron: &Cron, fired_at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    let probe = (fired_at + chrono::Duration::milliseconds(999)).trunc_subsecs(0);
    cron.find_previous_occurrence(&probe, true)
        .map(|at| at.trunc_subsecs(0))
        .unwrap_or(probe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_firing_maps_to_its_occurrence_whether_early_or_late() {
        let cron = parse_cron("heartbeat_monitor", "*/30 * * * * *").unwrap();
        let at = |h, m, s, ms| Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap() + chrono::Duration::milliseconds(ms);
        assert_eq!(occurrence(&cron, at(9, 0, 30, 0)), at(9, 0, 30, 0));
        assert_eq!(occurrence(&cron, at(9, 0, 29, 995)), at(9, 0, 30, 0), "a timer a little early");
        assert_eq!(occurrence(&cron, at(9, 0, 30, 400)), at(9, 0, 30, 0), "a timer a little late");
        let daily = parse_cron("standup", "0 0 9 * * *").unwrap();
        assert_eq!(occurrence(&daily, at(9, 0, 0, 250)), at(9, 0, 0, 0));
    }

    #[test]
    fn the_longest_gap_of_a_schedule() {
        let gap = |e: &str| longest_gap(&parse_cron("approval_expiry", e).unwrap());
        assert_eq!(gap("0 */15 * * * *"), Some(chrono::Duration::minutes(15)));
        assert_eq!(gap("0 0,10 * * * *"), Some(chrono::Duration::minutes(50)));
        assert_eq!(gap("0 0 9 * * *"), Some(chrono::Duration::days(1)));
    }

    #[test]
    fn a_bad_schedule_names_its_key() {
        let err = parse_cron("loop_detector", "every minute").unwrap_err().to_string();
        assert!(err.contains("jobs.loop_detector"), "{err}");
    }
}
