//! Validated values: each newtype can only be built through `parse`, so a value that exists is
//! valid. Errors name the field and say what was expected.

use crate::i18n::Msg;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: Msg,
}

impl Invalid {
    pub fn new(field: &'static str, message: Msg) -> Self {
        Invalid { field, message }
    }
}

/// Tab and line breaks are the only control characters text may hold.
fn forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\t' | '\r')
}

/// Free text: at most `max_chars` characters as sent, no control character but tab and line
/// breaks, and something besides whitespace; kept trimmed.
pub fn required_text(field: &'static str, input: &str, max_chars: usize) -> Result<String, Invalid> {
    optional_text(field, input, max_chars)?.ok_or_else(|| Invalid::new(field, Msg::new("err-empty")))
}

/// Free text that may be left out: as [`required_text`], but blank means none.
pub fn optional_text(field: &'static str, input: &str, max_chars: usize) -> Result<Option<String>, Invalid> {
    if input.chars().any(forbidden_control) {
        return Err(Invalid::new(field, Msg::new("err-control-characters")));
    }
    let chars = input.chars().count();
    if chars > max_chars {
        return Err(Invalid::new(
            field,
            Msg::new("err-too-long").count("max", max_chars as f64).count("got", chars as f64),
        ));
    }
    let trimmed = input.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// Regular expressions of exactly the inputs the parsers here accept, for the API's document.
/// They are ECMA-262 as JSON Schema reads them and mean the same to Rust's `regex` (the tests
/// hold them against the parsers) and to Python's `re`. Lengths are separate (`maxLength`
/// counts characters as the parsers do).
pub mod patterns {
    /// Unicode White_Space: what `str::trim` removes.
    const WHITESPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    /// The control characters text may not hold (all but tab and line breaks).
    const FORBIDDEN_CONTROL: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f";
    /// Control characters and whitespace: what text needs something besides.
    const BLANK: &str = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

    /// [`super::required_text`] and the text newtypes (`TaskTitle`, `Reason`, …).
    pub fn text() -> String {
        format!("^[^{FORBIDDEN_CONTROL}]*[^{BLANK}][^{FORBIDDEN_CONTROL}]*$")
    }

    /// [`super::optional_text`], and the newtypes' `parse_optional`.
    pub fn optional_text() -> String {
        format!("^[^{FORBIDDEN_CONTROL}]*$")
    }

    /// A bullet of a work plan: text once its leading `-`, `*`, `•` and spaces are gone.
    pub fn work_plan_bullet() -> String {
        // After the bullet marks: a character that is not blank (and not a mark, which would
        // have gone too), or whitespace the marks stop at followed by something not blank.
        let not_mark_or_blank = format!(r"[^{BLANK}\-*•]");
        let whitespace_but_space = r"[\t\n\r\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
        format!("^[\\-*• ]*(?:{not_mark_or_blank}|{whitespace_but_space}[^{FORBIDDEN_CONTROL}]*[^{BLANK}])[^{FORBIDDEN_CONTROL}]*$")
    }

    /// [`super::AgentName`], with the whitespace `parse` trims.
    pub fn agent_name() -> String {
        format!("^[{WHITESPACE}]*[A-Za-z0-9][A-Za-z0-9_.\\-]{{0,39}}[{WHITESPACE}]*$")
    }

    /// [`super::ProjectSlug`], with the whitespace `parse` trims.
    pub fn project_slug() -> String {
        format!("^[{WHITESPACE}]*[a-z0-9][a-z0-9\\-]{{0,39}}[{WHITESPACE}]*$")
    }

    /// [`super::IdempotencyKey`].
    pub const IDEMPOTENCY_KEY: &str = r"^[A-Za-z0-9._:\-]{1,128}$";

    /// A token `trim` would leave as it is, between the whitespace it removes.
    pub fn trimmed(inner: &str) -> String {
        format!("^[{WHITESPACE}]*(?:{inner})[{WHITESPACE}]*$")
    }
}

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, Invalid> {
                required_text($field, input, $max).map(Self)
            }

            /// Blank means none.
            pub fn parse_optional(input: &str) -> Result<Option<Self>, Invalid> {
                optional_text($field, input, $max).map(|text| text.map(Self))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(TaskTitle, "title", 200);
text_newtype!(CommentBody, "body", 10_000);
text_newtype!(ProjectName, "name", 100);
text_newtype!(
    /// A free-text explanation: a transition reason, a decision note, a quarantine reason.
    Reason, "reason", 2_000
);
text_newtype!(Deliverable, "deliverable", 20_000);
text_newtype!(
    /// What a task is about, beyond its title (may be blank).
    TaskDescription, "description", 10_000
);
text_newtype!(ProjectDescription, "description", 2_000);
text_newtype!(
    /// Why an agent needs an approval.
    Justification, "justification", 4_000
);
text_newtype!(RollbackPlan, "rollbackPlan", 4_000);
text_newtype!(
    /// The model a run used, e.g. `claude-sonnet-4`.
    ModelName, "model", 100
);
text_newtype!(
    /// What went wrong in a failed run.
    RunError, "error", 4_000
);

/// An agent's name: what operators type after `/agent`, so no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct AgentName(String);

impl AgentName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim();
        let valid_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if name.is_empty() || name.len() > 40 || !valid_chars || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new("name", Msg::new("err-agent-name").with("name", name)));
        }
        Ok(AgentName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A project's slug, as used in `/bind <slug>`, `X-Project` and URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let slug = input.trim();
        let valid = !slug.is_empty()
            && slug.len() <= 40
            && slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(Invalid::new("slug", Msg::new("err-project-slug").with("slug", slug)));
        }
        Ok(ProjectSlug(slug.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key that makes a retried mutation a no-op.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let valid = !input.is_empty()
            && input.len() <= 128
            && input
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
        if !valid {
            return Err(Invalid::new("idempotencyKey", Msg::new("err-idempotency-key")));
        }
        Ok(IdempotencyKey(input.to_string()))
    }

    /// A fresh key for callers that do not retry (the bot, jobs).
    pub fn generate() -> Self {
        IdempotencyKey(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A work plan: 3 to 6 bullets, each a non-empty line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WorkPlan(Vec<String>);

impl WorkPlan {
    pub const MIN_BULLETS: usize = 3;
    pub const MAX_BULLETS: usize = 6;

    pub const MAX_BULLET_CHARS: usize = 500;

    pub fn parse(bullets: &[String]) -> Result<Self, Invalid> {
        if !(Self::MIN_BULLETS..=Self::MAX_BULLETS).contains(&bullets.len()) {
            return Err(Invalid::new(
                "workPlan",
                Msg::new("err-work-plan-bullets")
                    .count("min", Self::MIN_BULLETS as f64)
                    .count("max", Self::MAX_BULLETS as f64)
                    .count("got", bullets.len() as f64),
            ));
        }
        let cleaned = bullets
            .iter()
            .map(|b| {
                // The length counts the bullet as sent, marks included.
                optional_text("workPlan", b, Self::MAX_BULLET_CHARS)?;
                required_text("workPlan", b.trim_start_matches(['-', '*', '•', ' ']), Self::MAX_BULLET_CHARS)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WorkPlan(cleaned))
    }

    pub fn bullets(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            TaskTitle::parse("  Write the launch post ").unwrap().as_str(),
            "Write the launch post"
        );
        assert_eq!(TaskTitle::parse("   ").unwrap_err().message.to_string(), "must not be empty");
        let long = "x".repeat(201);
        assert!(TaskTitle::parse(&long).unwrap_err().message.to_string().contains("at most 200"));
        assert!(CommentBody::parse("bell\u{7}").is_err());
        assert!(CommentBody::parse("two\nlines").is_ok());
    }

    #[test]
    fn agent_names_and_slugs() {
        assert!(AgentName::parse("Scout").is_ok());
        assert!(AgentName::parse("scout-2.b").is_ok());
        assert!(AgentName::parse("Bad Name").is_err());
        assert!(AgentName::parse("-x").is_err());
        assert!(ProjectSlug::parse("openclaw").is_ok());
        assert!(ProjectSlug::parse("OpenClaw").is_err());
        assert!(ProjectSlug::parse("").is_err());
    }

    #[test]
    fn idempotency_keys() {
        assert!(IdempotencyKey::parse("manual-unblock-123").is_ok());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
    }

    /// Characters where the rules change: controls, every kind of whitespace, bullet marks,
    /// name and slug characters, and some beyond ASCII.
    fn probe_chars() -> Vec<char> {
        let mut chars: Vec<char> = (0u32..0x300).filter_map(char::from_u32).collect();
        chars.extend([
            '\u{1680}', '\u{2000}', '\u{200a}', '\u{200b}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}',
        ]);
        chars.extend(['\u{3000}', '\u{feff}', '•', 'é', 'ж', '中', '😀']);
        chars
    }

    /// Short inputs built around each probe character.
    fn probes() -> Vec<String> {
        let mut inputs = vec![String::new(), " ".into(), "a".into(), "- a".into(), "-".into(), "- •*".into()];
        for c in probe_chars() {
            for shape in ["{c}", "a{c}", "{c}a", "a{c}b", "{c}{c}", "-{c}", "- {c}", "{c}-", "{c}- a", " {c} "] {
                inputs.push(shape.replace("{c}", &c.to_string()));
            }
        }
        inputs
    }

    fn agrees(pattern: &str, accepts: impl Fn(&str) -> bool) {
        let regex = regex::Regex::new(pattern).unwrap();
        for input in probes() {
            assert_eq!(regex.is_match(&input), accepts(&input), "{pattern} on {input:?}");
        }
    }

    #[test]
    fn the_patterns_accept_exactly_what_the_parsers_accept() {
        agrees(&patterns::text(), |s| TaskTitle::parse(s).is_ok());
        agrees(&patterns::text(), |s| required_text("x", s, 100).is_ok());
        agrees(&patterns::optional_text(), |s| Reason::parse_optional(s).is_ok());
        agrees(&patterns::agent_name(), |s| AgentName::parse(s).is_ok());
        agrees(&patterns::project_slug(), |s| ProjectSlug::parse(s).is_ok());
        agrees(patterns::IDEMPOTENCY_KEY, |s| IdempotencyKey::parse(s).is_ok());
        agrees(&patterns::work_plan_bullet(), |s| {
            WorkPlan::parse(&[s.to_string(), "b".into(), "c".into()]).is_ok()
        });
        // Lengths: names and slugs in the pattern, text in maxLength (characters as sent).
        let name = regex::Regex::new(&patterns::agent_name()).unwrap();
        assert!(name.is_match(&"n".repeat(40)) && AgentName::parse(&"n".repeat(40)).is_ok());
        assert!(!name.is_match(&"n".repeat(41)) && AgentName::parse(&"n".repeat(41)).is_err());
        let slug = regex::Regex::new(&patterns::project_slug()).unwrap();
        assert!(slug.is_match(&"s".repeat(40)) && !slug.is_match(&"s".repeat(41)));
        assert!(ProjectSlug::parse(&"s".repeat(41)).is_err());
        assert!(TaskTitle::parse(&format!(" {}", "t".repeat(199))).is_ok());
        assert!(TaskTitle::parse(&format!(" {}", "t".repeat(200))).is_err(), "counted as sent");
        assert!(WorkPlan::parse(&[format!("- {}", "w".repeat(498)), "b".into(), "c".into()]).is_ok());
        assert!(WorkPlan::parse(&[format!("- {}", "w".repeat(499)), "b".into(), "c".into()]).is_err());
    }

    #[test]
    fn work_plans_need_three_to_six_bullets() {
        let plan = |n: usize| (0..n).map(|i| format!("- step {i}")).collect::<Vec<_>>();
        assert!(WorkPlan::parse(&plan(2)).unwrap_err().message.to_string().contains("got 2"));
        assert_eq!(WorkPlan::parse(&plan(3)).unwrap().bullets()[0], "step 0");
        assert!(WorkPlan::parse(&plan(6)).is_ok());
        assert!(WorkPlan::parse(&plan(7)).is_err());
        assert!(WorkPlan::parse(&["a".into(), "".into(), "c".into()]).is_err());
    }
}
