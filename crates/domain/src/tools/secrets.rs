//! Secret-looking values in tools' calls: found to make a call RED, and masked to show it.
//!
//! Why values and not words: `policy`'s action classifier reddens any text that says
//! `password`; a shell command that greps for the word is not a leak. What must not pass
//! without a person is a command that carries a credential itself (it lands in the agent's
//! transcript, our audit, a process list): a token of a known shape, a private key, or the
//! value given to a `…TOKEN=`, `…PASSWORD=`, `--token` or `https://user:pass@`.
//!
//! One list serves both uses, so what makes a call RED is exactly what the card hides.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// What replaces a secret on a card.
pub const MASK: &str = "•••";

/// Name components that make an assignment's or a key's value a secret: `GITHUB_TOKEN`,
/// `db_password`, `AWS_SECRET_ACCESS_KEY`, `api-key`.
const SECRET_NAME: &str =
    r"(?:[A-Za-z0-9]+[_-])*(?:API[_-]?KEY|KEY|TOKEN|PASSWORD|PASSWD|PASSPHRASE|SECRET|CREDENTIALS?|AUTH)(?:[_-][A-Za-z0-9]+)*";

/// A value: quoted, or a run of characters a shell word would hold.
const VALUE: &str = r#"("[^"]*"|'[^']*'|[^\s;&|'"]+)"#;

struct Pattern {
    regex: Regex,
    /// The group that holds the secret; 0 is the whole match.
    group: usize,
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let whole = [
        // A private key, to its end or the end of the text.
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z ]*PRIVATE KEY-----|\z)",
        // OpenAI / Anthropic style keys.
        r"\bsk-[A-Za-z0-9_-]{16,}",
        // GitHub tokens.
        r"\bgh[pousr]_[A-Za-z0-9]{20,}",
        r"\bgithub_pat_[A-Za-z0-9_]{20,}",
        // AWS access key ids.
        r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        // Slack tokens.
        r"\bxox[abposr]-[A-Za-z0-9-]{8,}",
        // Google API keys.
        r"\bAIza[0-9A-Za-z_-]{35}",
    ];
    let valued = [
        // `Authorization: Bearer …`
        r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})".to_string(),
        // `GITHUB_TOKEN=…`, `password=…` (shell assignments, query strings, .env lines).
        format!(r"(?i)\b{SECRET_NAME}={VALUE}"),
        // `"token": "…"` (JSON, YAML).
        format!(r#"(?i)["']?\b{SECRET_NAME}["']?\s*:\s*("[^"]*"|'[^']*')"#),
        // `--password …`, `--token=…`.
        format!(r"(?i)--(?:[a-z0-9]+-)*(?:password|passwd|passphrase|token|secret|api-?key)(?:=|\s+){VALUE}"),
        // `https://user:password@host`.
        r"://[^/\s:@]+:([^/\s@]+)@".to_string(),
    ];
    whole
        .iter()
        .map(|r| (r.to_string(), 0))
        .chain(valued.into_iter().map(|r| (r, 1)))
        .filter_map(|(r, group)| Regex::new(&r).ok().map(|regex| Pattern { regex, group }))
        .collect()
});

/// A value that is not itself a secret though it stands where one would: too short to be one,
/// or a reference to a variable that holds it (`TOKEN=$GITHUB_TOKEN`, `--token "${T}"`).
fn not_a_secret(value: &str) -> bool {
    let bare = value.trim_matches(['"', '\'']);
    if bare.chars().count() < 4 {
        return true;
    }
    let reference = bare
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| bare.strip_prefix('$'));
    reference.is_some_and(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// Whether `text` holds a secret-looking value.
pub(crate) fn contains_secret(text: &str) -> bool {
    PATTERNS.iter().any(|p| {
        p.regex
            .captures_iter(text)
            .any(|c| c.get(p.group).is_some_and(|m| p.group == 0 || !not_a_secret(m.as_str())))
    })
}

/// `text` with every secret-looking value replaced by `•••`, for showing a command or a tool's
/// input on a card: tokens of known shapes (`sk-…`, `ghp_…`, `AKIA…`, `xox…-`), `Bearer …`,
/// private keys, and the values of `KEY=`/`TOKEN=`/`PASSWORD=`/`SECRET=` assignments, of
/// `--password`/`--token` flags and of a URL's password.
pub fn mask_secrets(text: &str) -> String {
    let mut masked = text.to_string();
    for pattern in PATTERNS.iter() {
        masked = pattern
            .regex
            .replace_all(&masked, |c: &Captures<'_>| {
                let Some(whole) = c.get(0) else {
                    return String::new();
                };
                match c.get(pattern.group) {
                    Some(_) if pattern.group == 0 => MASK.to_string(),
                    Some(secret) if !not_a_secret(secret.as_str()) => {
                        let (start, end) = (secret.start() - whole.start(), secret.end() - whole.start());
                        let whole = whole.as_str();
                        format!("{}{MASK}{}", &whole[..start], &whole[end..])
                    }
                    _ => whole.as_str().to_string(),
                }
            })
            .into_owned();
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_known_shapes_are_secrets() {
        for text in [
            "curl -H 'Authorization: Bearer abcdefgh12345678' https://api",
            "export OPENAI=sk-proj-abcdefghijklmnopqrstu",
            "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x",
            "aws configure set aws_access_key_id AKIAABCDEFGHIJKLMNOP",
            "curl -d token=xoxb-12345678-abcdef https://slack.com",
            "echo '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----' > k",
            "GITHUB_TOKEN=abc123def gh pr list",
            "mysql --password=hunter22 db",
            "psql --password hunter22",
            "curl https://admin:hunter22@example.com/",
            r#"{"api_key": "abcd1234"}"#,
        ] {
            assert!(contains_secret(text), "{text}");
        }
    }

    #[test]
    fn words_and_references_are_not_secrets() {
        for text in [
            "grep -r password src/",
            "cat secrets.md",
            "GH_TOKEN=$GH_TOKEN gh pr list",
            "deploy --token \"${DEPLOY_TOKEN}\"",
            "cargo test -- --test-threads=1",
            "grep -r \"password=\" .",
            "git log --author=someone",
            "echo $((1+2))",
            r#"{"max_tokens": 5}"#,
            "KEY=ab",
        ] {
            assert!(!contains_secret(text), "{text}");
        }
    }

    #[test]
    fn masking_keeps_the_names_and_hides_the_values() {
        assert_eq!(mask_secrets("GITHUB_TOKEN=abc123def gh pr list"), "GITHUB_TOKEN=••• gh pr list");
        assert_eq!(mask_secrets("mysql --password=hunter22 db"), "mysql --password=••• db");
        assert_eq!(mask_secrets("psql --password 'hunter 22' x"), "psql --password ••• x");
        assert_eq!(
            mask_secrets("curl -H 'Authorization: Bearer abcdefgh12345678' https://api"),
            "curl -H 'Authorization: Bearer •••' https://api"
        );
        assert_eq!(mask_secrets("key sk-abcdefghijklmnopqrstuvwx here"), "key ••• here");
        assert_eq!(
            mask_secrets("curl https://admin:hunter22@example.com/"),
            "curl https://admin:•••@example.com/"
        );
        assert_eq!(
            mask_secrets("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nb"),
            "a\n•••\nb"
        );
        assert_eq!(mask_secrets(r#"{"password":"hunter22"}"#), r#"{"password":•••}"#);
        assert_eq!(mask_secrets("GH_TOKEN=$GH_TOKEN gh"), "GH_TOKEN=$GH_TOKEN gh");
        assert_eq!(mask_secrets("ls -la"), "ls -la");
    }
}
