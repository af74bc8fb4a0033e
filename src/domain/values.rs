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

fn bounded_text(field: &'static str, input: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, Msg::new("err-empty")));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(Invalid::new(
            field,
            Msg::new("err-too-long").count("max", max_chars as f64).count("got", chars as f64),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(Invalid::new(field, Msg::new("err-control-characters")));
    }
    Ok(trimmed.to_string())
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
                bounded_text($field, input, $max).map(Self)
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
            .map(|b| bounded_text("workPlan", b.trim_start_matches(['-', '*', '•', ' ']), 500))
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
