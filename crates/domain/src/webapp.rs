//! Telegram Mini App sign-in: the `initData` string Telegram hands the cockpit page, checked as
//! Telegram specifies ("Validating data received via the Mini App"). The page posts it; only
//! Telegram (holding the bot token) can have signed it, so a valid one says which Telegram user
//! opened the app, and when (`auth_date`). A stale one is refused so that a copied `initData`
//! does not open sessions forever.
//!
//! The check: every field but `hash`, as `key=value`, sorted by key, joined by `\n` (the
//! data-check-string); secret = HMAC-SHA256(key = "WebAppData", message = bot token); the
//! `hash` field must be hex HMAC-SHA256(key = secret, message = data-check-string), compared in
//! constant time.

use crate::i18n::Msg;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The longest `initData` taken (Telegram's are well under 2 KB; this bounds the work of a
/// forged one).
pub const MAX_INIT_DATA_LEN: usize = 8 * 1024;

/// Every session token begins so; the API tells it from an API token by it.
pub const SESSION_PREFIX: &str = "mcs_";

/// How long a cockpit session lives before it must be renewed (renewed while the app is open).
pub const SESSION_MINUTES: i64 = 15;

/// What a valid `initData` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAppInit {
    /// The Telegram user who opened the app.
    pub user_id: i64,
    /// Their name as Telegram gave it (first and last name), for display only.
    pub user_name: String,
    pub auth_date: DateTime<Utc>,
    /// `start_param` of a `t.me/<bot>/<app>?startapp=…` link: the view to open.
    pub start_param: Option<String>,
}

/// Why an `initData` opens no session. All are "not authenticated": a forgery and a stale
/// copy are told apart only in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebAppRefusal {
    /// Empty, too long, not a query string, or without `hash`, `auth_date` or `user`.
    Malformed(&'static str),
    /// The hash does not match: not signed by Telegram for this bot.
    BadSignature,
    /// Signed more than the allowed age ago (or in the future beyond the allowed skew).
    Stale { auth_date: DateTime<Utc> },
}

impl WebAppRefusal {
    pub fn message(&self) -> Msg {
        match self {
            WebAppRefusal::Malformed(what) => Msg::new("err-webapp-malformed").with("what", what),
            WebAppRefusal::BadSignature => Msg::new("err-webapp-signature"),
            WebAppRefusal::Stale { auth_date } => Msg::new("err-webapp-stale").with("at", crate::i18n::time(*auth_date)),
        }
    }
}

/// How far in the future an `auth_date` may be (clocks differ a little).
const FUTURE_SKEW_SECS: i64 = 60;

/// The secret every `initData` of this bot is signed with.
fn secret_key(bot_token: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(b"WebAppData").expect("HMAC takes any key length");
    mac.update(bot_token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The pairs of a query string, percent-decoded (`+` is a space), as the page's
/// `URLSearchParams` would read them.
fn pairs(init_data: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(init_data.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The data-check-string of these pairs: all but `hash`, sorted by key, `key=value` per line.
fn data_check_string(pairs: &[(String, String)]) -> String {
    let mut lines: Vec<String> = pairs.iter().filter(|(k, _)| k != "hash").map(|(k, v)| format!("{k}={v}")).collect();
    lines.sort();
    lines.join("\n")
}

/// Checks `init_data` signed for `bot_token` and no older than `max_age` at `now`.
pub fn validate(init_data: &str, bot_token: &str, now: DateTime<Utc>, max_age: Duration) -> Result<WebAppInit, WebAppRefusal> {
    use WebAppRefusal::*;
    if init_data.is_empty() {
        return Err(Malformed("empty"));
    }
    if init_data.len() > MAX_INIT_DATA_LEN {
        return Err(Malformed("too long"));
    }
    let pairs = pairs(init_data);
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(Malformed("a repeated field"));
    }
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let hash = field("hash").ok_or(Malformed("no hash"))?;
    let hash = hex::decode(hash).map_err(|_| Malformed("a hash that is not hex"))?;
    let mut mac = HmacSha256::new_from_slice(&secret_key(bot_token)).expect("HMAC takes any key length");
    mac.update(data_check_string(&pairs).as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&hash).map_err(|_| BadSignature)?;
    let auth_date = field("auth_date")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or(Malformed("no auth_date"))?;
    if now - auth_date > max_age || auth_date - now > Duration::seconds(FUTURE_SKEW_SECS) {
        return Err(Stale { auth_date });
    }
    #[derive(serde::Deserialize)]
    struct User {
        id: i64,
        #[serde(default)]
        first_name: String,
        #[serde(default)]
        last_name: String,
    }
    let user: User = field("user")
        .and_then(|v| serde_json::from_str(v).ok())
        .ok_or(Malformed("no user"))?;
    let user_name = format!("{} {}", user.first_name, user.last_name).trim().to_string();
    Ok(WebAppInit {
        user_id: user.id,
        user_name,
        auth_date,
        start_param: field("start_param").map(str::to_string),
    })
}

/// Signs `fields` as Telegram would for `bot_token`: the `initData` query string with its
/// `hash`. What the tests and benchmarks give the page in place of Telegram.
pub fn sign(fields: &[(&str, &str)], bot_token: &str) -> String {
    let owned: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut mac = HmacSha256::new_from_slice(&secret_key(bot_token)).expect("HMAC takes any key length");
    mac.update(data_check_string(&owned).as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        query.append_pair(k, v);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
    const USER: &str = r#"{"id":42,"first_name":"Sofie","last_name":"K"}"#;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    /// Computed independently of this module, with Python's standard library:
    ///
    /// ```python
    /// import hmac, hashlib
    /// token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    /// dcs = "auth_date=1700000000\nquery_id=AAE\nuser=" + '{"id":42,"first_name":"Sofie","last_name":"K"}'
    /// secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    /// print(hmac.new(secret, dcs.encode(), hashlib.sha256).hexdigest())
    /// ```
    const VECTOR_HASH: &str = "4fb8883077e7e723b69f439deb49dc6616939ee0f99514389c507a8f0eb2ba0f";

    #[test]
    fn a_vector_computed_elsewhere_is_accepted() {
        let init = format!(
            "query_id=AAE&user={}&auth_date=1700000000&hash={VECTOR_HASH}",
            url::form_urlencoded::byte_serialize(USER.as_bytes()).collect::<String>()
        );
        let ok = validate(&init, TOKEN, at(1_700_000_100), Duration::hours(1)).unwrap();
        assert_eq!(ok.user_id, 42);
        assert_eq!(ok.user_name, "Sofie K");
        assert_eq!(ok.auth_date, at(1_700_000_000));
        assert_eq!(ok.start_param, None);
    }

    #[test]
    fn what_sign_makes_validates_and_keeps_the_start_param() {
        let init = sign(&[("user", USER), ("auth_date", "1700000000"), ("start_param", "task_7")], TOKEN);
        let ok = validate(&init, TOKEN, at(1_700_000_000), Duration::hours(1)).unwrap();
        assert_eq!(ok.start_param.as_deref(), Some("task_7"));
    }

    #[test]
    fn another_bots_token_or_a_changed_field_is_a_forgery() {
        let init = sign(&[("user", USER), ("auth_date", "1700000000")], TOKEN);
        let now = at(1_700_000_000);
        assert_eq!(
            validate(&init, "999:other", now, Duration::hours(1)),
            Err(WebAppRefusal::BadSignature)
        );
        let changed = init.replace("%22id%22%3A42", "%22id%22%3A43");
        assert_ne!(changed, init);
        assert_eq!(validate(&changed, TOKEN, now, Duration::hours(1)), Err(WebAppRefusal::BadSignature));
        let added = format!("{init}&start_param=approval_A1");
        assert_eq!(validate(&added, TOKEN, now, Duration::hours(1)), Err(WebAppRefusal::BadSignature));
    }

    #[test]
    fn an_old_or_future_auth_date_is_stale() {
        let init = sign(&[("user", USER), ("auth_date", "1700000000")], TOKEN);
        assert!(validate(&init, TOKEN, at(1_700_003_600), Duration::hours(1)).is_ok());
        assert_eq!(
            validate(&init, TOKEN, at(1_700_003_601), Duration::hours(1)),
            Err(WebAppRefusal::Stale {
                auth_date: at(1_700_000_000)
            })
        );
        assert!(matches!(
            validate(&init, TOKEN, at(1_699_999_000), Duration::hours(1)),
            Err(WebAppRefusal::Stale { .. })
        ));
    }

    #[test]
    fn malformed_input_is_refused_before_any_trust() {
        let now = at(1_700_000_000);
        let day = Duration::days(1);
        assert_eq!(validate("", TOKEN, now, day), Err(WebAppRefusal::Malformed("empty")));
        assert_eq!(
            validate(&"a".repeat(MAX_INIT_DATA_LEN + 1), TOKEN, now, day),
            Err(WebAppRefusal::Malformed("too long"))
        );
        assert_eq!(
            validate("user=1&auth_date=2", TOKEN, now, day),
            Err(WebAppRefusal::Malformed("no hash"))
        );
        assert_eq!(
            validate("hash=zz", TOKEN, now, day),
            Err(WebAppRefusal::Malformed("a hash that is not hex"))
        );
        assert_eq!(
            validate("hash=aa&hash=bb", TOKEN, now, day),
            Err(WebAppRefusal::Malformed("a repeated field"))
        );
        let no_user = sign(&[("auth_date", "1700000000")], TOKEN);
        assert_eq!(validate(&no_user, TOKEN, now, day), Err(WebAppRefusal::Malformed("no user")));
        let no_date = sign(&[("user", USER)], TOKEN);
        assert_eq!(validate(&no_date, TOKEN, now, day), Err(WebAppRefusal::Malformed("no auth_date")));
    }
}
