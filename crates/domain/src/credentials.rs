//! API tokens: what kind a token is, whether it still works, how long a new one lives, and how
//! often its use is recorded. The tokens themselves are never kept: only their SHA-256.

use super::types::TokenRetirement;
use super::values::Invalid;
use crate::i18n::{time, Msg};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Whose a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display, strum::IntoStaticStr, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TokenKind {
    /// An operator's: acts with the operator's role.
    Operator,
    /// An agent's: acts only as that agent, in its project.
    Agent,
}

/// Where a token stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::Display, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TokenState {
    Live,
    Expired,
    /// Revoked by someone (or its operator's role was taken away).
    Revoked,
    /// Retired by a newer token of the same agent (re-registration or rotation), or the
    /// bootstrap token replaced by another `http.admin_token`.
    Rotated,
}

/// What the database says about a presented token.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts {
    pub revoked_at: Option<DateTime<Utc>>,
    pub retired_as: Option<TokenRetirement>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When its operator lost their role (`/revoke`), for operator tokens.
    pub holder_revoked_at: Option<DateTime<Utc>>,
}

/// Why a token that exists does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Revoked { at: DateTime<Utc> },
    Rotated { at: DateTime<Utc> },
    Expired { at: DateTime<Utc> },
}

impl TokenRefusal {
    /// Said to the client in the 401 (errors.ftl).
    pub fn message(self) -> Msg {
        match self {
            TokenRefusal::Revoked { at } => Msg::new("err-token-revoked").with("at", time(at)),
            TokenRefusal::Rotated { at } => Msg::new("err-token-rotated").with("at", time(at)),
            TokenRefusal::Expired { at } => Msg::new("err-token-expired").with("at", time(at)),
        }
    }
}

/// The state of a token at `now`.
pub fn state(facts: &TokenFacts, now: DateTime<Utc>) -> TokenState {
    match check(facts, now) {
        Ok(()) => TokenState::Live,
        Err(TokenRefusal::Expired { .. }) => TokenState::Expired,
        Err(TokenRefusal::Revoked { .. }) => TokenState::Revoked,
        Err(TokenRefusal::Rotated { .. }) => TokenState::Rotated,
    }
}

/// Whether a token authenticates at `now`: not revoked or retired, its operator not revoked,
/// and not past its expiry (an expiry is exclusive: at `expires_at` it no longer works).
pub fn check(facts: &TokenFacts, now: DateTime<Utc>) -> Result<(), TokenRefusal> {
    if let Some(at) = facts.revoked_at {
        return Err(match facts.retired_as {
            Some(TokenRetirement::Rotated) | Some(TokenRetirement::Replaced) => TokenRefusal::Rotated { at },
            Some(TokenRetirement::Revoked) | None => TokenRefusal::Revoked { at },
        });
    }
    if let Some(at) = facts.holder_revoked_at {
        return Err(TokenRefusal::Revoked { at });
    }
    match facts.expires_at {
        Some(at) if at <= now => Err(TokenRefusal::Expired { at }),
        _ => Ok(()),
    }
}

/// How a secret shows in `Debug` output (logs, panics): whether there is one, never what.
pub fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        "(none)"
    } else {
        "<redacted>"
    }
}

/// A connection URL with its password replaced, for `Debug` output.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => redacted(url).to_string(),
    }
}

/// `last_used_at` is written at most this often per token, so authenticating stays a read.
pub const LAST_USED_RESOLUTION: Duration = Duration::seconds(60);

/// Whether a use at `now` should be recorded.
pub fn needs_touch(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|last| now - last >= LAST_USED_RESOLUTION)
}

/// The longest lifetime a token may be given (ten years); no expiry at all is also allowed.
pub const MAX_LIFETIME_DAYS: i64 = 3650;

/// A token lifetime as typed: a whole number and a unit, `m` (minutes), `h`, `d` or `w`, e.g.
/// `30d`, `12h`, `90m`; between a minute and ten years.
pub fn parse_lifetime(input: &str) -> Result<Duration, Invalid> {
    let raw = input.trim();
    let invalid = || Invalid::new("expiresIn", Msg::new("err-token-lifetime").with("input", raw));
    let split = raw.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
    let (number, unit) = raw.split_at(split);
    let n: i64 = number.parse().map_err(|_| invalid())?;
    let minutes_per = match unit.trim().to_ascii_lowercase().as_str() {
        "m" | "min" | "minutes" => 1,
        "h" | "hours" => 60,
        "d" | "days" => 60 * 24,
        "w" | "weeks" => 60 * 24 * 7,
        _ => return Err(invalid()),
    };
    let minutes = n.checked_mul(minutes_per).ok_or_else(invalid)?;
    if !(1..=MAX_LIFETIME_DAYS * 24 * 60).contains(&minutes) {
        return Err(invalid());
    }
    Ok(Duration::minutes(minutes))
}

/// A token as typed: printable ASCII without spaces, at most 200 characters. Anything else is
/// refused before it reaches the database (and never sliced by bytes).
pub fn plausible_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 200 && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Shortest `http.admin_token`, and fewest different characters in it.
pub const ADMIN_TOKEN_MIN_LEN: usize = 32;
const ADMIN_TOKEN_MIN_DISTINCT: usize = 10;

/// Whether a chosen bootstrap token is too strong to guess offline from its stored SHA-256
/// (a leaked database or backup): at least 32 characters, of at least 10 different ones —
/// `openssl rand -hex 24` (48 characters) passes, `aaaa…` or `abab…` does not. Generated
/// tokens are 256 random bits and need no such rule.
pub fn strong_admin_token(token: &str) -> bool {
    let distinct: std::collections::HashSet<u8> = token.bytes().collect();
    plausible_token(token) && token.len() >= ADMIN_TOKEN_MIN_LEN && distinct.len() >= ADMIN_TOKEN_MIN_DISTINCT
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_admin_token_must_be_long_and_varied() {
        assert!(strong_admin_token("3f9a1c0b7e2d4a6f8b1c3e5d7f9a0b2c4d6e8f0a1b3c5d7e"));
        assert!(!strong_admin_token("test-admin-token-0123456789"), "27 characters");
        assert!(!strong_admin_token(&"a".repeat(64)), "one character");
        assert!(!strong_admin_token(&"ab12".repeat(16)), "four characters");
        assert!(!strong_admin_token(&format!("{} x", "0123456789abcdef".repeat(2))), "a space");
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn live() -> TokenFacts {
        TokenFacts {
            revoked_at: None,
            retired_as: None,
            expires_at: None,
            holder_revoked_at: None,
        }
    }

    #[test]
    fn a_token_works_until_it_expires_is_revoked_or_rotated() {
        assert_eq!(check(&live(), t(10, 0)), Ok(()));
        let expiring = TokenFacts {
            expires_at: Some(t(11, 0)),
            ..live()
        };
        assert_eq!(check(&expiring, t(10, 59)), Ok(()));
        assert_eq!(check(&expiring, t(11, 0)), Err(TokenRefusal::Expired { at: t(11, 0) }));
        assert_eq!(state(&expiring, t(12, 0)), TokenState::Expired);

        let revoked = TokenFacts {
            revoked_at: Some(t(9, 0)),
            retired_as: Some(TokenRetirement::Revoked),
            ..expiring
        };
        assert_eq!(
            check(&revoked, t(12, 0)),
            Err(TokenRefusal::Revoked { at: t(9, 0) }),
            "revocation wins"
        );
        let rotated = TokenFacts {
            retired_as: Some(TokenRetirement::Rotated),
            ..revoked
        };
        assert_eq!(state(&rotated, t(10, 0)), TokenState::Rotated);
        let holder_gone = TokenFacts {
            holder_revoked_at: Some(t(8, 0)),
            ..live()
        };
        assert_eq!(check(&holder_gone, t(10, 0)), Err(TokenRefusal::Revoked { at: t(8, 0) }));
    }

    #[test]
    fn refusals_say_which_and_when() {
        assert_eq!(
            TokenRefusal::Expired { at: t(11, 0) }.message().to_string(),
            "the token expired at 2026-03-02 11:00 UTC"
        );
        assert!(TokenRefusal::Revoked { at: t(9, 0) }.message().to_string().contains("revoked"));
        assert!(TokenRefusal::Rotated { at: t(9, 0) }.message().to_string().contains("newer"));
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        assert!(needs_touch(None, t(10, 0)));
        let last = Some(t(10, 0));
        assert!(!needs_touch(last, t(10, 0) + Duration::seconds(59)));
        assert!(needs_touch(last, t(10, 1)));
    }

    #[test]
    fn lifetimes_parse_with_units_and_bounds() {
        assert_eq!(parse_lifetime("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_lifetime(" 12h ").unwrap(), Duration::hours(12));
        assert_eq!(parse_lifetime("90m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_lifetime("2w").unwrap(), Duration::weeks(2));
        assert_eq!(parse_lifetime("3650d").unwrap(), Duration::days(3650));
        for bad in ["", "30", "d", "0d", "-1d", "1.5d", "3651d", "30y", "99999999999999999999d"] {
            let err = parse_lifetime(bad).unwrap_err();
            assert_eq!(err.field, "expiresIn", "{bad}");
        }
    }

    #[test]
    fn tokens_are_printable_ascii() {
        assert!(plausible_token("mco_abcDEF123"));
        assert!(!plausible_token(""));
        assert!(!plausible_token("ключ-ключ-ключ-ключ"));
        assert!(!plausible_token("has space"));
        assert!(!plausible_token(&"x".repeat(201)));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_lifetime_parses_or_is_refused(input in "\\PC{0,30}") {
                if let Ok(d) = parse_lifetime(&input) {
                    prop_assert!(d >= Duration::minutes(1) && d <= Duration::days(MAX_LIFETIME_DAYS));
                }
            }

            #[test]
            fn lifetimes_round_trip(days in 1..=MAX_LIFETIME_DAYS, hours in 1i64..=24 * 30) {
                prop_assert_eq!(parse_lifetime(&format!("{days}d")).unwrap(), Duration::days(days));
                prop_assert_eq!(parse_lifetime(&format!(" {hours}h ")).unwrap(), Duration::hours(hours));
            }

            #[test]
            fn redaction_never_shows_the_secret(secret in "[a-zA-Z0-9_.~-]{12,64}") {
                prop_assert!(!redacted(&secret).contains(&secret));
                let shown = redacted_url(&format!("postgres://mc:{secret}@db:5432/mc"));
                let leaked = format!(":{secret}@");
                prop_assert!(!shown.contains(&leaked), "{}", shown);
            }
        }
    }
}
