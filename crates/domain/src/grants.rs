//! Standing grants: a human's "allow this for an hour", "for this task", or (a CAO's `/grant`)
//! for a role or the whole project, for at most a week. How long one lasts, and which rules
//! may be granted at all: never a whole tool that runs anything (`Bash`), never a shell or an
//! interpreter given code (`Bash(bash:*)`, `Bash(python -c:*)`) — those would grant everything.

use crate::i18n::Msg;
use crate::tools::{ungrantable, ToolRule, Ungrantable};
use crate::values::Invalid;
use chrono::{DateTime, Duration, Utc};

/// The longest a grant lasts.
pub const MAX_GRANT_DAYS: i64 = 7;

/// How long a grant lasts: a time, or while the agent works on a task (and at most a week).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSpan {
    For(Duration),
    Task,
}

impl GrantSpan {
    pub const HOUR: GrantSpan = GrantSpan::For(Duration::hours(1));

    /// `1h`, `8h`, `90m`, `7d`, `task`.
    pub fn parse(text: &str) -> Result<GrantSpan, Invalid> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("task") {
            return Ok(GrantSpan::Task);
        }
        let bad = || Invalid::new("for", Msg::new("err-grant-span").with("given", text).with("days", MAX_GRANT_DAYS));
        let std = humantime::parse_duration(text).map_err(|_| bad())?;
        let span = Duration::from_std(std).map_err(|_| bad())?;
        if span < Duration::minutes(1) || span > Duration::days(MAX_GRANT_DAYS) {
            return Err(bad());
        }
        Ok(GrantSpan::For(span))
    }

    /// When a grant made at `now` ends (a task's grant too ends after a week at most).
    pub fn expires_at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            GrantSpan::For(span) => now + span,
            GrantSpan::Task => now + Duration::days(MAX_GRANT_DAYS),
        }
    }
}

/// Whether `rule` may be granted: not a whole tool that runs anything, not a shell or an
/// interpreter handed code (the tool-call policy's own judgement: `tools::ungrantable`).
pub fn grantable(rule: &ToolRule) -> Result<(), Invalid> {
    match ungrantable(rule) {
        None => Ok(()),
        Some(Ungrantable::WholeShell) => Err(Invalid::new("rule", Msg::new("err-grant-whole-shell").with("rule", rule.as_str()))),
        Some(Ungrantable::Shell { program }) => Err(Invalid::new(
            "rule",
            Msg::new("err-grant-shell")
                .with("rule", rule.as_str())
                .with("program", program.as_str()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_an_hour_to_a_week_or_the_task() {
        assert_eq!(GrantSpan::parse("1h").unwrap(), GrantSpan::HOUR);
        assert_eq!(GrantSpan::parse("8h").unwrap(), GrantSpan::For(Duration::hours(8)));
        assert_eq!(GrantSpan::parse("7d").unwrap(), GrantSpan::For(Duration::days(7)));
        assert_eq!(GrantSpan::parse(" Task ").unwrap(), GrantSpan::Task);
        for bad in ["8d", "0s", "30s", "forever", "", "-1h"] {
            let err = GrantSpan::parse(bad).unwrap_err();
            assert_eq!(err.field, "for", "{bad}");
        }
        let now = Utc::now();
        assert_eq!(GrantSpan::Task.expires_at(now), now + Duration::days(7));
    }

    #[test]
    fn a_shell_or_a_whole_runner_is_never_granted() {
        let rule = |t: &str| ToolRule::parse(t).unwrap();
        for ok in [
            "Bash(git push:*)",
            "Bash(npm run deploy:staging)",
            "Bash(python -m pytest:*)",
            "WebFetch(domain:example.com)",
            "mcp__github__create_issue",
            "Edit(src/**)",
        ] {
            assert!(grantable(&rule(ok)).is_ok(), "{ok}");
        }
        for never in [
            "Bash",
            "Bash(*)",
            "Bash(bash:*)",
            "Bash(sh -c:*)",
            "Bash(python -c:*)",
            "Bash(python:*)",
            "Bash(node -e:*)",
            "Bash(/bin/zsh:*)",
            "Bash(sudo rm:*)",
            "Bash(env:*)",
        ] {
            if let Ok(parsed) = ToolRule::parse(never) {
                assert!(grantable(&parsed).is_err(), "{never}");
            }
        }
        // Nor does such a grant, made anyway, cover anything run through it.
        let input = serde_json::json!({ "command": "env rm -rf /home/dev/shop" });
        let call = crate::tools::ToolCall {
            tool: "Bash",
            input: &input,
            cwd: "/home/dev/shop",
        };
        assert_eq!(crate::tools::ToolPolicy::shipped().granted(&call, &[rule("Bash(env:*)")]), None);
    }
}
