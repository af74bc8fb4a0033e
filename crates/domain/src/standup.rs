//! When a project's standup is due: once a day, at its own time in its own time zone.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// The project's local date and whether the standup is due at `now`: the local time has
/// reached `at` and no standup was posted yet on that local date.
pub fn due(now: DateTime<Utc>, tz: Tz, at: NaiveTime, last_posted: Option<DateTime<Utc>>) -> (NaiveDate, bool) {
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    let posted_today = last_posted.is_some_and(|p| p.with_timezone(&tz).date_naive() == today);
    (today, local.time() >= at && !posted_today)
}

/// A time zone name from the project (`UTC`, `Europe/Berlin`); unknown names fall back to UTC.
pub fn zone(name: &str) -> Tz {
    name.trim().parse().unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    #[test]
    fn due_once_a_day_at_the_local_time() {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert!(!due(utc(8, 59), Tz::UTC, nine, None).1, "not before its time");
        assert!(due(utc(9, 0), Tz::UTC, nine, None).1);
        assert!(!due(utc(9, 15), Tz::UTC, nine, Some(utc(9, 0))).1, "once a day");
        let yesterday = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        assert!(due(utc(9, 15), Tz::UTC, nine, Some(yesterday)).1);
    }

    #[test]
    fn the_project_time_zone_decides() {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let berlin = zone("Europe/Berlin");
        // 08:00 UTC is 09:00 in Berlin in March (UTC+1).
        assert!(due(utc(8, 0), berlin, nine, None).1);
        assert!(!due(utc(7, 59), berlin, nine, None).1);
        let tokyo = zone("Asia/Tokyo");
        // 09:00 in Tokyo is 00:00 UTC: by 08:00 UTC it is long due, on the Tokyo date.
        let (date, is_due) = due(utc(8, 0), tokyo, nine, None);
        assert!(is_due);
        assert_eq!(date.to_string(), "2026-03-02");
        assert_eq!(zone("Mars/Olympus"), Tz::UTC);
    }
}
