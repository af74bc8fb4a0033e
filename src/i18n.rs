//! Languages and translated text. Every user-facing string lives in `locales/<lang>/*.ftl`
//! (Fluent, with plural rules); Rust code only names messages and passes arguments.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Telegram shows Unicode isolation marks as stray characters.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// `en`, `ru`, and Telegram's `language_code`s such as `en-US` or `ru-RU`.
    pub fn parse(input: &str) -> Option<Lang> {
        let code = input.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        Lang::ALL.iter().copied().find(|l| l.code() == primary)
    }

    fn id(self) -> LanguageIdentifier {
        self.code().parse().expect("valid language identifier")
    }

    /// The message `key`; a missing key shows itself rather than failing.
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(&self.id(), key).unwrap_or_else(|| key.to_string())
    }

    /// The message `key` with arguments, e.g. `lang.ta("agents-count", &[("count", 3.into())])`.
    pub fn ta(self, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> =
            args.iter().map(|(k, v)| (Cow::Owned(k.to_string()), v.clone())).collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_string())
    }
}

/// A text argument, escaped for Telegram's HTML parse mode.
pub fn text(value: &str) -> FluentValue<'static> {
    FluentValue::String(Cow::Owned(html_escape(value)))
}

/// A number argument (selects plural forms).
pub fn num(value: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::from(value.into())
}

pub fn html_escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((key, _)) = line.split_once(" =") {
                    if !key.starts_with([' ', '#', '.']) && !key.is_empty() {
                        keys.insert(key.trim().to_string());
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn every_language_has_every_message() {
        let english = keys("en");
        assert!(!english.is_empty());
        for lang in Lang::ALL {
            let theirs = keys(lang.code());
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn plural_rules_follow_the_language() {
        assert_eq!(Lang::En.ta("n-agents", &[("count", num(1))]), "1 agent");
        assert_eq!(Lang::En.ta("n-agents", &[("count", num(5))]), "5 agents");
        assert_eq!(Lang::Ru.ta("n-agents", &[("count", num(1))]), "1 агент");
        assert_eq!(Lang::Ru.ta("n-agents", &[("count", num(3))]), "3 агента");
        assert_eq!(Lang::Ru.ta("n-agents", &[("count", num(5))]), "5 агентов");
        assert_eq!(Lang::Ru.ta("n-agents", &[("count", num(21))]), "21 агент");
    }

    #[test]
    fn languages_parse_from_telegram_codes() {
        assert_eq!(Lang::parse("ru-RU"), Some(Lang::Ru));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("xx"), None);
    }

    #[test]
    fn arguments_are_escaped_for_html() {
        assert_eq!(html_escape("<b>&"), "&lt;b&gt;&amp;");
    }
}
