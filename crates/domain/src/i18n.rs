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

/// A sentence for a person, kept as a message id and its arguments rather than as text, so each
/// adapter says it in its reader's language: the API in English, the bot in the chat's. Core
/// errors carry these; `Display` is the English text.
///
/// It serializes (`{"key", "args"}`), so a notice or a history row written now can be said in
/// a language chosen later.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Msg {
    key: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<(Cow<'static, str>, Arg)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// Shown as is (names, slugs, numbers that are labels such as a task's `#12`).
    Text(String),
    /// A count: it selects plural forms.
    Count(f64),
    /// Another message id (a status or role word), said in the same language.
    Word(String),
    /// A nested sentence, said in the same language.
    Msg(Box<Msg>),
    /// Several sentences, said in the same language and joined with "; ".
    List(Vec<Msg>),
}

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Msg {
            key: Cow::Borrowed(key),
            args: Vec::new(),
        }
    }

    /// A text argument.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((Cow::Borrowed(name), Arg::Text(value.to_string())));
        self
    }

    /// A count argument (plural forms).
    pub fn count(mut self, name: &'static str, value: impl Into<f64>) -> Self {
        self.args.push((Cow::Borrowed(name), Arg::Count(value.into())));
        self
    }

    /// An argument that is itself a message id, e.g. `task-status-in_progress`.
    pub fn word(mut self, name: &'static str, key: impl Into<String>) -> Self {
        self.args.push((Cow::Borrowed(name), Arg::Word(key.into())));
        self
    }

    /// An argument that is itself a sentence.
    pub fn nested(mut self, name: &'static str, msg: Msg) -> Self {
        self.args.push((Cow::Borrowed(name), Arg::Msg(Box::new(msg))));
        self
    }

    pub fn task_status(self, name: &'static str, status: crate::TaskStatus) -> Self {
        self.word(name, format!("task-status-{}", status.as_str()))
    }

    pub fn agent_status(self, name: &'static str, status: crate::AgentStatus) -> Self {
        self.word(name, format!("agent-status-{}", status.as_str()))
    }

    pub fn role(self, name: &'static str, role: crate::OperatorRole) -> Self {
        self.word(name, format!("role-{}", role.as_str()))
    }

    /// An argument that is a list of sentences.
    pub fn list(mut self, name: &'static str, msgs: Vec<Msg>) -> Self {
        self.args.push((Cow::Borrowed(name), Arg::List(msgs)));
        self
    }

    /// Plain text (no markup) in `lang`; adapters escape it for their medium.
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, FluentValue<'static>)> = self
            .args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(s) => FluentValue::String(Cow::Owned(s.clone())),
                    Arg::Count(n) => FluentValue::from(*n),
                    Arg::Word(key) => FluentValue::String(Cow::Owned(lang.t(key))),
                    Arg::Msg(msg) => FluentValue::String(Cow::Owned(msg.render(lang))),
                    Arg::List(msgs) => {
                        let said: Vec<String> = msgs.iter().map(|m| m.render(lang)).collect();
                        FluentValue::String(Cow::Owned(said.join("; ")))
                    }
                };
                (name.as_ref(), value)
            })
            .collect();
        lang.ta(&self.key, &args)
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// A reason as notices carry it: what a person typed (said as typed) or what the system said
/// (said in the reader's language). Rows written before reasons were messages hold plain
/// strings, which still read as `Typed`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Said {
    Msg(Msg),
    Typed(String),
}

impl Said {
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Said::Msg(msg) => msg.render(lang),
            Said::Typed(text) => text.clone(),
        }
    }

    /// The message, when the system said it (what the `*_said` columns keep).
    pub fn as_msg(&self) -> Option<&Msg> {
        match self {
            Said::Msg(msg) => Some(msg),
            Said::Typed(_) => None,
        }
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Said::Msg(msg) => msg.fmt(f),
            Said::Typed(text) => f.write_str(text),
        }
    }
}

impl From<Msg> for Said {
    fn from(msg: Msg) -> Self {
        Said::Msg(msg)
    }
}

impl From<String> for Said {
    fn from(text: String) -> Self {
        Said::Typed(text)
    }
}

impl From<&str> for Said {
    fn from(text: &str) -> Self {
        Said::Typed(text.to_string())
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

/// How a day is written everywhere (messages, charts, the API's date filters): `2026-03-02`.
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// How a moment is written in every message, in every language: `2026-03-02 10:30 UTC`.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M UTC";

/// A moment as every message shows it ([`TIME_FORMAT`]).
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format(TIME_FORMAT).to_string()
}

/// A day as every message shows it ([`DATE_FORMAT`]).
pub fn date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format(DATE_FORMAT).to_string()
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

    /// Every `"err-…"`, `"why-…"`, `"bot-…"` and `"notice-…"` message id named anywhere in the code
    /// exists in every language, and so do the ids built from a value (status words, roles, agent
    /// commands).
    #[test]
    fn every_error_message_the_code_names_exists() {
        use crate::actor::StatusCommand;
        use crate::{AgentStatus, ApprovalStatus, OperatorRole, TaskStatus};
        use strum::VariantArray;
        fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut files = Vec::new();
        // Every crate of the service names messages (the fake Bot API is no part of it).
        let workspace = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        sources(&workspace.join("src"), &mut files);
        for entry in std::fs::read_dir(workspace.join("crates")).unwrap() {
            let krate = entry.unwrap().path();
            if !krate.ends_with("fake-telegram") {
                sources(&krate.join("src"), &mut files);
            }
        }
        let mut named: BTreeSet<String> = files
            .iter()
            .flat_map(|source| source.split('"').skip(1).step_by(2))
            .filter(|piece| ["err-", "why-", "bot-", "notice-"].iter().any(|p| piece.starts_with(p)) && !piece.ends_with('-'))
            .filter(|piece| piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .map(str::to_string)
            .collect();
        assert!(named.len() > 50, "the scan found only {named:?}");
        named.extend(StatusCommand::VARIANTS.iter().map(|c| format!("err-command-{c}")));
        named.extend(TaskStatus::VARIANTS.iter().map(|s| format!("task-status-{}", s.as_str())));
        named.extend(AgentStatus::VARIANTS.iter().map(|s| format!("agent-status-{}", s.as_str())));
        named.extend(ApprovalStatus::VARIANTS.iter().map(|s| format!("approval-status-{}", s.as_str())));
        named.extend(OperatorRole::VARIANTS.iter().map(|r| format!("role-{}", r.as_str())));
        named.extend(crate::RiskLevel::VARIANTS.iter().map(|r| format!("risk-{}", r.as_str())));
        for lang in Lang::ALL {
            let known = keys(lang.code());
            let missing: Vec<_> = named.iter().filter(|k| !known.contains(*k)).collect();
            assert!(missing.is_empty(), "{}: missing {missing:?}", lang.code());
        }
    }

    #[test]
    fn core_errors_are_said_in_the_readers_language() {
        let msg = Msg::new("err-task-closed")
            .with("task", 7)
            .task_status("status", crate::TaskStatus::Done);
        assert_eq!(msg.to_string(), "task #7 is done; it can no longer be assigned");
        assert_eq!(msg.render(Lang::Ru), "задача #7 — готова; назначать её уже нельзя");
        let nested = Msg::new("err-with-reason").nested("message", msg).with("reason", "<why>");
        assert_eq!(nested.render(Lang::En), "task #7 is done; it can no longer be assigned (<why>)");
    }

    /// Notices queued before reasons were messages carry plain strings; they still read.
    #[test]
    fn reasons_read_from_old_and_new_rows() {
        let old: Said = serde_json::from_value(serde_json::json!("waiting for legal")).unwrap();
        assert_eq!(old, Said::Typed("waiting for legal".into()));
        let said = Said::from(Msg::new("why-error-streak").count("streak", 6));
        let stored = serde_json::to_value(&said).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({ "key": "why-error-streak", "args": [["streak", { "count": 6.0 }]] })
        );
        let back: Said = serde_json::from_value(stored).unwrap();
        assert_eq!(back.render(Lang::Ru), "6 ошибок подряд");
        assert_eq!(back.to_string(), "error streak of 6");
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

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn escaped_text_has_no_markup_and_unescapes_back(text in "\\PC{0,200}") {
                let escaped = html_escape(&text);
                prop_assert!(!escaped.contains('<') && !escaped.contains('>'));
                let back = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
                prop_assert_eq!(back, text);
            }
        }
    }
}
