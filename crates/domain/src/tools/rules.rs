//! Rules in Claude Code's permission-rule syntax, and the levels they sit at.
//!
//! Why Claude's syntax: the people who configure Mission Control already write it in
//! `.claude/settings.json`; a rule copied from there means here what it means there.
//!
//! - `Tool` is every call of the tool; `mcp__server` every tool of an MCP server; a trailing
//!   `*` a prefix (`mcp__github__*`).
//! - `Bash(npm run test:*)` is a prefix of whole words (`npm run test`, `npm run test -- x`, not
//!   `npm run testx`); `Bash(git status)` exactly those words; a `*` elsewhere
//!   (`Bash(git * main)`) a glob over the command's words joined by single spaces. A Bash rule
//!   meets each simple command of a compound one on its own (see `shell`).
//! - `Read(…)`, `Edit(…)` and the other file tools' specifiers are gitignore-style patterns:
//!   `//abs/**` from the root, `~/x` under any home (`/home/*/x` or `/root/x`), `/x` and `./x`
//!   anchored at the call's working directory, `x` (no `/`) at any depth under it. A pattern
//!   also covers what is inside a directory it names. `Read(…)` also meets the other tools that
//!   read files (`Glob`, `Grep`, `LS`, `NotebookRead`) and `Edit(…)` the ones that write
//!   (`Write`, `MultiEdit`, `NotebookEdit`), as in Claude Code.
//! - `WebFetch(domain:example.com)` is the host or any subdomain of it.
//!
//! A malformed rule is refused with a reason rather than read as something else: a rule that
//! silently matched nothing could leave a call at a lower level than meant.

use super::paths;
use crate::i18n::Msg;
use crate::values::Invalid;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;
use std::fmt;
use std::sync::LazyLock;

/// The longest rule we accept.
const MAX_RULE_CHARS: usize = 2_000;

/// Tools whose calls read the file or directory at their path.
pub(crate) const READ_TOOLS: &[&str] = &["Read", "NotebookRead", "Glob", "Grep", "LS"];
/// Tools whose calls write the file at their path.
pub(crate) const EDIT_TOOLS: &[&str] = &["Edit", "Write", "MultiEdit", "NotebookEdit"];
/// Tools whose path names a directory they look into.
pub(crate) const DIRECTORY_TOOLS: &[&str] = &["Glob", "Grep", "LS"];

/// One rule in Claude Code syntax: `Read`, `Bash(npm run test:*)`, `Bash(git status)`,
/// `Edit(src/**)`, `Read(//etc/**)`, `mcp__github__*`, `mcp__github` (all tools of that server),
/// `WebFetch(domain:example.com)`. See the module's docs for what each form matches.
///
/// Two rules are equal when they are written the same (after trimming).
#[derive(Debug, Clone)]
pub struct ToolRule {
    text: String,
    tool: String,
    spec: Spec,
}

#[derive(Debug, Clone)]
enum Spec {
    /// `Tool`: every call.
    Any,
    Bash(BashSpec),
    Path(PathSpec),
    /// `WebFetch(domain:…)`, lowercased.
    Domain(String),
}

#[derive(Debug, Clone)]
enum BashSpec {
    Exact(Vec<String>),
    Prefix(Vec<String>),
    Glob(Regex),
}

#[derive(Debug, Clone)]
struct PathSpec {
    /// Matched against the path relative to the working directory (else the absolute path).
    relative: bool,
    globs: GlobSet,
}

/// What a call is about, as path and domain rules see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject<'a> {
    pub tool: &'a str,
    /// The file or directory, absolute and normalized.
    pub path: Option<String>,
    /// The call's working directory, when usable (see [`paths::working_dir`]).
    pub cwd: Option<String>,
    /// The URL's host, lowercased.
    pub host: Option<String>,
}

impl ToolRule {
    pub fn parse(text: &str) -> Result<ToolRule, Invalid> {
        parse(text).map_err(|msg| Invalid::new("rule", msg))
    }

    /// The rule as written, trimmed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The tool (or tool pattern) the rule is about: `Bash`, `mcp__github__*`.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// Whether the rule has a specifier (`Bash(…)`) rather than naming a whole tool.
    pub fn has_specifier(&self) -> bool {
        !matches!(self.spec, Spec::Any)
    }

    /// Whether the rule's tool pattern names `tool`.
    pub(crate) fn names_tool(&self, tool: &str) -> bool {
        if let Some(prefix) = self.tool.strip_suffix('*') {
            return tool.starts_with(prefix);
        }
        if self.tool == tool {
            return true;
        }
        // `mcp__server`: every tool of the server.
        let server = self.tool.strip_prefix("mcp__").is_some_and(|s| !s.is_empty() && !s.contains("__"));
        server && tool.strip_prefix(self.tool.as_str()).is_some_and(|rest| rest.starts_with("__"))
    }

    /// Whether the rule matches a call of a tool other than Bash.
    pub(crate) fn matches(&self, subject: &Subject<'_>) -> bool {
        match &self.spec {
            Spec::Any => self.names_tool(subject.tool),
            Spec::Bash(_) => false,
            Spec::Domain(domain) => {
                subject.tool == "WebFetch"
                    && subject
                        .host
                        .as_deref()
                        .is_some_and(|host| host == domain || host.strip_suffix(domain.as_str()).is_some_and(|sub| sub.ends_with('.')))
            }
            Spec::Path(spec) => {
                let family = subject.tool == self.tool
                    || (self.tool == "Read" && READ_TOOLS.contains(&subject.tool))
                    || (self.tool == "Edit" && EDIT_TOOLS.contains(&subject.tool));
                family
                    && subject.path.as_deref().is_some_and(|path| {
                        spec.matches(path, subject.cwd.as_deref())
                            // A search of a directory reads what is inside it.
                            || (DIRECTORY_TOOLS.contains(&subject.tool)
                                && spec.matches(&format!("{path}/\u{1}"), subject.cwd.as_deref()))
                    })
            }
        }
    }

    /// Whether the rule matches a simple shell command, given as the word lists it may be read
    /// as (as written, and with wrappers such as `timeout 60` looked through).
    pub(crate) fn matches_command(&self, candidates: &[&[String]]) -> bool {
        if !self.names_tool("Bash") {
            return false;
        }
        match &self.spec {
            Spec::Any => true,
            Spec::Bash(spec) => candidates.iter().any(|words| spec.matches(words)),
            Spec::Path(_) | Spec::Domain(_) => false,
        }
    }

    /// The words a Bash rule begins with, when it is `Bash(…)` and they are known (`None` for a
    /// glob that begins with `*`).
    pub(crate) fn bash_words(&self) -> Option<Vec<String>> {
        match &self.spec {
            Spec::Bash(BashSpec::Exact(words) | BashSpec::Prefix(words)) => Some(words.clone()),
            Spec::Bash(BashSpec::Glob(_)) => {
                let inner = self.text.strip_prefix("Bash(")?.strip_suffix(')')?;
                let first: String = inner.chars().take_while(|c| !c.is_whitespace() && *c != ':').collect();
                (!first.is_empty() && !first.contains('*')).then(|| vec![first])
            }
            _ => None,
        }
    }
}

impl BashSpec {
    fn matches(&self, words: &[String]) -> bool {
        match self {
            BashSpec::Exact(rule) => words == rule.as_slice(),
            BashSpec::Prefix(rule) => words.len() >= rule.len() && words[..rule.len()] == rule[..],
            BashSpec::Glob(regex) => regex.is_match(&words.join(" ")),
        }
    }
}

impl PathSpec {
    fn matches(&self, path: &str, cwd: Option<&str>) -> bool {
        if self.relative {
            cwd.and_then(|cwd| paths::relative(path, cwd))
                .is_some_and(|rel| self.globs.is_match(rel))
        } else {
            self.globs.is_match(path)
        }
    }
}

impl PartialEq for ToolRule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for ToolRule {}

impl std::hash::Hash for ToolRule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for ToolRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for ToolRule {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ToolRule::parse(text)
    }
}

impl serde::Serialize for ToolRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for ToolRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ToolRule::parse(&text).map_err(|e| serde::de::Error::custom(format!("'{text}': {}", e.message)))
    }
}

/// Tools whose specifier is a path pattern.
const PATH_TOOLS: &[&str] = &[
    "Read",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Glob",
    "Grep",
    "LS",
];

fn parse(text: &str) -> Result<ToolRule, Msg> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Msg::new("err-tool-rule-empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_RULE_CHARS {
        return Err(Msg::new("err-too-long")
            .count("max", MAX_RULE_CHARS as f64)
            .count("got", chars as f64));
    }
    if text.chars().any(char::is_control) {
        return Err(Msg::new("err-control-characters"));
    }
    let (tool, spec) = match text.split_once('(') {
        None if text.contains(')') => return Err(Msg::new("err-tool-rule-parentheses").with("rule", text)),
        None => (text, None),
        Some((tool, rest)) => match rest.strip_suffix(')') {
            Some(spec) => (tool, Some(spec.trim())),
            None => return Err(Msg::new("err-tool-rule-parentheses").with("rule", text)),
        },
    };
    let valid_name = !tool.is_empty()
        && tool
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*'))
        && tool.starts_with(|c: char| c.is_ascii_alphabetic() || c == '*');
    if !valid_name {
        return Err(Msg::new("err-tool-rule-tool-name").with("tool", tool));
    }
    if tool.trim_end_matches('*').contains('*') || tool.ends_with("**") {
        return Err(Msg::new("err-tool-rule-star").with("tool", tool));
    }
    let Some(spec) = spec else {
        return Ok(ToolRule {
            text: text.to_string(),
            tool: tool.to_string(),
            spec: Spec::Any,
        });
    };
    if spec.is_empty() {
        return Err(Msg::new("err-tool-rule-empty-spec").with("tool", tool));
    }
    let parsed = if tool == "Bash" {
        Spec::Bash(bash_spec(spec)?)
    } else if PATH_TOOLS.contains(&tool) {
        Spec::Path(path_spec(spec)?)
    } else if tool == "WebFetch" {
        Spec::Domain(domain_spec(spec)?)
    } else {
        return Err(Msg::new("err-tool-rule-no-spec").with("tool", tool));
    };
    Ok(ToolRule {
        text: format!("{tool}({spec})"),
        tool: tool.to_string(),
        spec: parsed,
    })
}

fn bash_spec(spec: &str) -> Result<BashSpec, Msg> {
    if !balanced(spec) {
        return Err(Msg::new("err-tool-rule-parentheses").with("rule", format!("Bash({spec})")));
    }
    let (body, prefix) = match spec.strip_suffix(":*") {
        Some(body) => (body.trim(), true),
        None => (spec, false),
    };
    if body.is_empty() {
        return Err(Msg::new("err-tool-rule-empty-spec").with("tool", "Bash"));
    }
    if body.contains('*') {
        // A glob over the words joined by single spaces: `*` is any text, spaces included.
        let normalized = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let pattern = normalized.split('*').map(regex::escape).collect::<Vec<_>>().join(".*");
        let pattern = format!("^{pattern}{}$", if prefix { "(?: .*)?" } else { "" });
        let regex = Regex::new(&pattern).map_err(|e| Msg::new("err-tool-rule-glob").with("error", e))?;
        return Ok(BashSpec::Glob(regex));
    }
    let words = super::shell::rule_words(body).map_err(|error| {
        if error == "compound" {
            Msg::new("err-tool-rule-compound").with("spec", spec)
        } else {
            Msg::new("err-tool-rule-shell").with("spec", spec).with("error", error)
        }
    })?;
    Ok(if prefix { BashSpec::Prefix(words) } else { BashSpec::Exact(words) })
}

/// Parentheses balance outside quotes (a quoted `")"` is a word).
fn balanced(spec: &str) -> bool {
    let mut depth: i64 = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in spec.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (Some('"'), '"') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            (None, _) => {}
        }
    }
    depth == 0
}

fn path_spec(spec: &str) -> Result<PathSpec, Msg> {
    let (relative, patterns): (bool, Vec<String>) = if let Some(rest) = spec.strip_prefix("//") {
        (false, vec![format!("/{rest}")])
    } else if spec == "~" || spec.starts_with("~/") {
        let rest = &spec[1..];
        (false, vec![format!("/home/*{rest}"), format!("/root{rest}")])
    } else if let Some(rest) = spec.strip_prefix("./").or_else(|| spec.strip_prefix('/')) {
        (true, vec![rest.to_string()])
    } else if spec.trim_end_matches('/').contains('/') {
        (true, vec![spec.to_string()])
    } else {
        (true, vec![format!("**/{spec}")])
    };
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let pattern = pattern.trim_end_matches('/');
        let pattern = if pattern.is_empty() {
            if relative {
                "**"
            } else {
                "/**"
            }
        } else {
            pattern
        };
        // The pattern, and what is inside a directory it names.
        for glob in [pattern.to_string(), format!("{pattern}/**")] {
            let glob = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| Msg::new("err-tool-rule-glob").with("error", e.kind()))?;
            set.add(glob);
        }
    }
    let globs = set.build().map_err(|e| Msg::new("err-tool-rule-glob").with("error", e.kind()))?;
    Ok(PathSpec { relative, globs })
}

fn domain_spec(spec: &str) -> Result<String, Msg> {
    let invalid = || Msg::new("err-tool-rule-domain").with("spec", spec);
    let domain = spec.strip_prefix("domain:").ok_or_else(invalid)?.trim();
    let domain = domain.strip_prefix("*.").unwrap_or(domain).to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(domain)
    } else {
        Err(invalid())
    }
}

/// Rules of one configuration layer, by level.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolRules {
    pub green: Vec<ToolRule>,
    pub yellow: Vec<ToolRule>,
    pub red: Vec<ToolRule>,
}

/// The shipped GREEN rules: tools that only read or plan, and shell commands that only read.
/// Not `find` (`-exec`, `-delete`) nor `sed` (`-i`).
const SHIPPED_GREEN: &[&str] = &[
    "Read",
    "Glob",
    "Grep",
    "LS",
    "NotebookRead",
    "TodoWrite",
    "Task",
    "Agent",
    "ExitPlanMode",
    "BashOutput",
    "Bash(ls:*)",
    "Bash(pwd)",
    "Bash(cat:*)",
    "Bash(head:*)",
    "Bash(tail:*)",
    "Bash(wc:*)",
    "Bash(grep:*)",
    "Bash(rg:*)",
    "Bash(echo:*)",
    "Bash(which:*)",
    "Bash(whoami)",
    "Bash(date)",
    "Bash(tree:*)",
    "Bash(stat:*)",
    "Bash(du:*)",
    "Bash(df:*)",
    "Bash(sort:*)",
    "Bash(uniq:*)",
    "Bash(cut:*)",
    "Bash(tr:*)",
    "Bash(jq:*)",
    "Bash(diff:*)",
    "Bash(git status:*)",
    "Bash(git diff:*)",
    "Bash(git log:*)",
    "Bash(git show:*)",
    "Bash(git branch)",
    "Bash(git branch --list:*)",
    "Bash(git rev-parse:*)",
    "Bash(true)",
    "Bash(cd:*)",
    "Bash(test:*)",
    "Bash([:*)",
];

/// The shipped YELLOW rules: edits (inside the working directory: outside is RED whatever the
/// rules), tests, builds, and staging and committing.
const SHIPPED_YELLOW: &[&str] = &[
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "Bash(npm test:*)",
    "Bash(npm run test:*)",
    "Bash(npm run lint:*)",
    "Bash(npx jest:*)",
    "Bash(cargo test:*)",
    "Bash(cargo check:*)",
    "Bash(cargo clippy:*)",
    "Bash(cargo fmt:*)",
    "Bash(cargo build:*)",
    "Bash(pytest:*)",
    "Bash(python -m pytest:*)",
    "Bash(python3 -m pytest:*)",
    "Bash(go test:*)",
    "Bash(go build:*)",
    "Bash(go vet:*)",
    "Bash(make test:*)",
    "Bash(git add:*)",
    "Bash(git commit:*)",
    "Bash(mkdir:*)",
    "Bash(touch:*)",
];

/// The shipped RED rules, explicit so they win over GREEN and YELLOW ones of the same layer:
/// credentials anywhere on the machine; files whose edit changes what runs next (git's config
/// and hooks, the agent's own settings and hooks, its MCP servers); the network.
const SHIPPED_RED: &[&str] = &[
    "Read(//**/.env)",
    "Read(//**/.env.*)",
    "Read(//**/.ssh/**)",
    "Read(//**/.aws/**)",
    "Read(//**/*.pem)",
    "Read(//**/id_rsa*)",
    "Read(//**/id_ed25519*)",
    "Edit(**/.git/**)",
    "Edit(**/.claude/**)",
    "Edit(**/.mcp.json)",
    "WebFetch",
    "WebSearch",
    "NetworkAccess",
];

static SHIPPED: LazyLock<ToolRules> = LazyLock::new(|| {
    let rules = |texts: &[&str]| texts.iter().filter_map(|t| ToolRule::parse(t).ok()).collect();
    ToolRules {
        green: rules(SHIPPED_GREEN),
        yellow: rules(SHIPPED_YELLOW),
        red: rules(SHIPPED_RED),
    }
});

impl ToolRules {
    /// The defaults Mission Control ships, consulted after every configured layer.
    /// Everything they do not name (`git push`, `rm`, unknown tools, `mcp__*`) is RED.
    pub fn shipped() -> ToolRules {
        SHIPPED.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.green.is_empty() && self.yellow.is_empty() && self.red.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> ToolRule {
        ToolRule::parse(text).unwrap()
    }

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    fn command(rule_text: &str, command: &str) -> bool {
        let words = words(command);
        rule(rule_text).matches_command(&[&words])
    }

    fn file(rule_text: &str, tool: &str, path: &str, cwd: &str) -> bool {
        let subject = Subject {
            tool,
            path: paths::resolve(path, cwd),
            cwd: paths::working_dir(cwd),
            host: None,
        };
        rule(rule_text).matches(&subject)
    }

    fn error_key(text: &str) -> String {
        let err = ToolRule::parse(text).unwrap_err();
        assert_eq!(err.field, "rule");
        serde_json::to_value(&err.message).unwrap()["key"].as_str().unwrap().to_string()
    }

    #[test]
    fn rules_parse_and_keep_their_text() {
        for (text, written, tool) in [
            ("Read", "Read", "Read"),
            ("  Bash(npm run test:*) ", "Bash(npm run test:*)", "Bash"),
            ("Bash( git status )", "Bash(git status)", "Bash"),
            ("Edit(src/**)", "Edit(src/**)", "Edit"),
            ("Read(//etc/**)", "Read(//etc/**)", "Read"),
            ("mcp__github__*", "mcp__github__*", "mcp__github__*"),
            ("mcp__github", "mcp__github", "mcp__github"),
            ("WebFetch(domain:example.com)", "WebFetch(domain:example.com)", "WebFetch"),
            ("Bash(echo \")\")", "Bash(echo \")\")", "Bash"),
            ("Bash([:*)", "Bash([:*)", "Bash"),
            ("Bash(git * main)", "Bash(git * main)", "Bash"),
        ] {
            let parsed = rule(text);
            assert_eq!(parsed.as_str(), written);
            assert_eq!(parsed.to_string(), written);
            assert_eq!(parsed.tool(), tool);
            assert_eq!(written.parse::<ToolRule>().unwrap(), parsed);
        }
        assert!(!rule("Bash").has_specifier());
        assert!(rule("Bash(ls)").has_specifier());
    }

    #[test]
    fn malformed_rules_say_why() {
        for (text, key) in [
            ("", "err-tool-rule-empty"),
            ("   ", "err-tool-rule-empty"),
            ("Bash(ls", "err-tool-rule-parentheses"),
            ("Bash)ls(", "err-tool-rule-parentheses"),
            ("Bashls)", "err-tool-rule-parentheses"),
            ("Bash(ls))", "err-tool-rule-parentheses"),
            ("Bash(echo (x)", "err-tool-rule-parentheses"),
            ("Bash (ls)", "err-tool-rule-tool-name"),
            ("my tool", "err-tool-rule-tool-name"),
            ("(ls)", "err-tool-rule-tool-name"),
            ("mcp__*__x", "err-tool-rule-star"),
            ("Bash()", "err-tool-rule-empty-spec"),
            ("Bash(:*)", "err-tool-rule-empty-spec"),
            ("WebFetch(example.com)", "err-tool-rule-domain"),
            ("WebFetch(domain:)", "err-tool-rule-domain"),
            ("WebFetch(domain:exa mple.com)", "err-tool-rule-domain"),
            ("Task(explore)", "err-tool-rule-no-spec"),
            ("mcp__github__*(x)", "err-tool-rule-no-spec"),
            ("Read(src/[a)", "err-tool-rule-glob"),
            ("Read({a)", "err-tool-rule-glob"),
            ("Bash(a && b)", "err-tool-rule-compound"),
            ("Bash(ls | wc)", "err-tool-rule-compound"),
            ("Bash(echo $(date))", "err-tool-rule-compound"),
            ("Bash(echo \"x)", "err-tool-rule-shell"),
            ("Bash(echo \"x:*)", "err-tool-rule-shell"),
            ("Bash(ls\u{7})", "err-control-characters"),
        ] {
            assert_eq!(error_key(text), key, "{text:?}");
        }
        assert_eq!(error_key(&format!("Bash({})", "x".repeat(3000))), "err-too-long");
    }

    #[test]
    fn tool_names_match_exactly_by_prefix_or_by_server() {
        assert!(rule("Read").names_tool("Read"));
        assert!(!rule("Read").names_tool("ReadX"));
        assert!(rule("mcp__github__*").names_tool("mcp__github__create_issue"));
        assert!(!rule("mcp__github__*").names_tool("mcp__gitlab__x"));
        assert!(rule("mcp__github").names_tool("mcp__github__create_issue"));
        assert!(rule("mcp__github").names_tool("mcp__github"));
        assert!(!rule("mcp__github").names_tool("mcp__github_enterprise__x"));
        assert!(rule("mcp__github__create_issue").names_tool("mcp__github__create_issue"));
        assert!(!rule("mcp__github__create_issue").names_tool("mcp__github__create_issue_comment"));
        assert!(rule("mcp__*").names_tool("mcp__x__y"));
    }

    #[test]
    fn bash_rules_match_prefixes_exact_words_and_globs() {
        assert!(command("Bash(npm run test:*)", "npm run test"));
        assert!(command("Bash(npm run test:*)", "npm run test -- x"));
        assert!(!command("Bash(npm run test:*)", "npm run testx"));
        assert!(!command("Bash(npm run test:*)", "npm run"));
        assert!(command("Bash(git status)", "git status"));
        assert!(!command("Bash(git status)", "git status -s"));
        assert!(command("Bash(git * main)", "git push origin main"));
        assert!(!command("Bash(git * main)", "git push origin main2"));
        assert!(!command("Bash(git * main)", "git main"));
        assert!(command("Bash(git push * main:*)", "git push origin main --force"));
        assert!(command("Bash(git push *:*)", "git push origin"));
        assert!(command("Bash", "rm -rf /"));
        assert!(command("B*", "ls"));
        assert!(!command("Read", "ls"));
        assert!(!command("Bash(ls:*)", "lsof"));
        let quoted = vec!["git".to_string(), "commit".to_string(), "-m".to_string(), "a b".to_string()];
        assert!(rule("Bash(git commit -m 'a b')").matches_command(&[&quoted]));
        assert!(!rule("Bash(git commit -m a b)").matches_command(&[&quoted]));
        assert_eq!(rule("Bash(git push:*)").bash_words(), Some(words("git push")));
        assert_eq!(rule("Bash(git * main)").bash_words(), Some(words("git")));
        assert_eq!(rule("Bash(*)").bash_words(), None);
        assert_eq!(rule("Bash").bash_words(), None);
    }

    #[test]
    fn path_rules_are_gitignore_patterns() {
        let cwd = "/work/p";
        assert!(file("Read(//etc/**)", "Read", "/etc/passwd", cwd));
        assert!(!file("Read(//etc/**)", "Read", "/work/p/etc/x", cwd));
        assert!(file("Edit(src/**)", "Edit", "src/main.rs", cwd));
        assert!(file("Edit(src/**)", "Edit", "/work/p/src/a/b.rs", cwd));
        assert!(!file("Edit(src/**)", "Edit", "lib/src/a.rs", cwd));
        assert!(!file("Edit(src/**)", "Edit", "/other/src/a.rs", cwd));
        assert!(file("Edit(/docs)", "Write", "docs/a.md", cwd));
        assert!(file("Edit(./docs/)", "MultiEdit", "docs/x/a.md", cwd));
        assert!(file("Edit(*.md)", "NotebookEdit", "deep/down/README.md", cwd));
        assert!(!file("Edit(*.md)", "Edit", "/elsewhere/README.md", cwd));
        assert!(file("Edit(./README.md)", "Edit", "README.md", cwd));
        assert!(!file("Edit(./README.md)", "Edit", "sub/README.md", cwd));
        assert!(file("Read(~/.aws/**)", "Read", "/home/alice/.aws/credentials", cwd));
        assert!(file("Read(~/.aws/**)", "Read", "/root/.aws/config", cwd));
        assert!(file("Read(~/.aws/**)", "Read", "~/.aws/config", cwd));
        assert!(!file("Read(~/.aws/**)", "Read", "/home/alice/x/.aws/config", cwd));
        assert!(file("Read(//**/.ssh/**)", "Read", "/home/bob/.ssh/id_rsa", cwd));
        assert!(file("Read(//**/.ssh/**)", "Grep", "/home/bob/.ssh", cwd));
        assert!(!file("Read(//**/.ssh/**)", "Read", "/home/bob/.ssh", cwd));
        assert!(file("Read(//**/.env)", "Read", "../other/.env", cwd));
        assert!(file("Read(src/**)", "Glob", "src", cwd));
        assert!(!file("Write(src/**)", "Edit", "src/a", cwd));
        assert!(file("Write(src/**)", "Write", "src/a", cwd));
        assert!(!file("Edit(src/**)", "Read", "src/a", cwd));
        assert!(!file("Read(src/**)", "Edit", "src/a", cwd));
        assert!(!file("Edit(src/**)", "Edit", "src/a", "relative"));
        assert!(file("Read(src/\\*.rs)", "Read", "src/*.rs", cwd));
        assert!(!file("Read(src/\\*.rs)", "Read", "src/a.rs", cwd));
    }

    #[test]
    fn domain_rules_match_the_host_and_its_subdomains() {
        let web = |rule_text: &str, host: &str| {
            let subject = Subject {
                tool: "WebFetch",
                host: Some(host.to_string()),
                ..Subject::default()
            };
            rule(rule_text).matches(&subject)
        };
        assert!(web("WebFetch(domain:example.com)", "example.com"));
        assert!(web("WebFetch(domain:Example.com)", "docs.example.com"));
        assert!(web("WebFetch(domain:*.example.com)", "a.b.example.com"));
        assert!(!web("WebFetch(domain:example.com)", "badexample.com"));
        assert!(!web("WebFetch(domain:example.com)", "example.com.evil.net"));
        assert!(web("WebFetch", "anything.net"));
    }

    #[test]
    fn the_shipped_rules_all_parse() {
        let shipped = ToolRules::shipped();
        assert_eq!(shipped.green.len(), SHIPPED_GREEN.len());
        assert_eq!(shipped.yellow.len(), SHIPPED_YELLOW.len());
        assert_eq!(shipped.red.len(), SHIPPED_RED.len());
        assert!(!shipped.is_empty());
        assert!(ToolRules::default().is_empty());
    }

    #[test]
    fn rules_read_from_configuration() {
        let rules: ToolRules = serde_json::from_value(serde_json::json!({
            "green": ["Bash(git push:*)"],
            "red": ["mcp__github__*"]
        }))
        .unwrap();
        assert_eq!(rules.green, vec![rule("Bash(git push:*)")]);
        assert!(rules.yellow.is_empty());
        assert_eq!(serde_json::to_value(&rules.red).unwrap(), serde_json::json!(["mcp__github__*"]));
        let bad = serde_json::from_value::<ToolRules>(serde_json::json!({ "green": ["Bash(ls"] })).unwrap_err();
        assert!(bad.to_string().contains("Bash(ls"), "{bad}");
        assert!(serde_json::from_value::<ToolRules>(serde_json::json!({ "gren": [] })).is_err());
    }
}
