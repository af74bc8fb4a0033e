//! The permission layer for coding agents' tool calls: Claude Code's and Codex's hooks send
//! every call (the tool's name, its JSON input, the working directory) and we say GREEN, YELLOW
//! or RED; RED waits for a person.
//!
//! Why rules in Claude Code's syntax ([`ToolRule`]): people already write them. Layers of rules
//! (a project's, a role's, the configuration's, then the shipped defaults) are consulted in
//! order and the first layer with a matching rule decides, its riskiest matching level winning
//! (as Claude's deny > ask > allow), so configuration can lower a shipped level or raise it.
//!
//! Why some calls are RED whatever the rules say (checked first): a rule speaks of a command's
//! words, and these make the words say less than the call does: a shell we could not parse, an
//! edit or a redirection outside the working directory (or to a path only known when it
//! runs), a secret in the call, a shell or an interpreter given code inline, `sudo`, a variable
//! that chooses which code runs. No grant covers them either.
//!
//! Fail closed: a tool no rule knows, an input of the wrong shape, a command we cannot take
//! apart, is RED.
//!
//! What it does not see, so a sandbox must still stand behind it: paths are judged as text (a
//! symlink inside the working directory may lead out of it); a prefix rule trusts the program
//! with the flags it is given, beyond the few that `programs` knows write files or run code
//! (`sort -o`, `git diff --output`, `rg --pre`); a `cd` to a computed directory is not
//! followed when reads are checked against the credential rules.

mod paths;
mod programs;
mod rules;
mod secrets;
mod shell;
#[cfg(test)]
mod tests;

pub use crate::types::RiskLevel;
pub use paths::judged_cwd;
pub use rules::{ToolRule, ToolRules};
pub use secrets::mask_secrets;

use crate::i18n::Msg;
use rules::{Subject, EDIT_TOOLS, READ_TOOLS};
use serde_json::Value;
use std::fmt;
use std::sync::LazyLock;

/// The name of the shipped defaults' layer.
pub const SHIPPED_LAYER: &str = "shipped";
/// The layer named by the one verdict the shell's grammar gives rather than a rule: a command
/// that runs no program (`FOO=bar`) is GREEN.
pub const BUILT_IN_LAYER: &str = "built-in";
/// The rule named with [`BUILT_IN_LAYER`].
pub const NO_PROGRAM_RULE: &str = "no program (assignments, redirections)";

/// One call of a tool, as the hook sends it.
#[derive(Debug, Clone, Copy)]
pub struct ToolCall<'a> {
    pub tool: &'a str,
    pub input: &'a Value,
    /// The agent's working directory: absolute, or edits are taken as outside it.
    pub cwd: &'a str,
}

/// Longest tool name, session id and working directory a hook may send.
const MAX_TOOL_NAME: usize = 200;
const MAX_SESSION_ID: usize = 256;
const MAX_CWD: usize = 4096;

/// Whether a hook's call is one to decide at all: a tool's name (1–200 characters), an input
/// that is a JSON object, a session id (1–256) and a working directory (at most 4096), none
/// with control characters. Anything else is refused before policy sees it.
pub fn check_hook_call(tool: &str, input: &Value, session: Option<&str>, cwd: Option<&str>) -> Result<(), crate::values::Invalid> {
    use crate::values::Invalid;
    let fits = |text: &str, max: usize| text.chars().count() <= max && !text.chars().any(char::is_control);
    let name = tool.trim();
    if name.is_empty() || !fits(name, MAX_TOOL_NAME) {
        return Err(Invalid::new("tool_name", Msg::new("err-tool-name")));
    }
    if !input.is_object() {
        return Err(Invalid::new("tool_input", Msg::new("err-tool-input-object")));
    }
    if session.is_some_and(|s| s.is_empty() || !fits(s, MAX_SESSION_ID)) {
        return Err(Invalid::new("session_id", Msg::new("err-session-id")));
    }
    if cwd.is_some_and(|c| !fits(c, MAX_CWD)) {
        return Err(Invalid::new("cwd", Msg::new("err-cwd")));
    }
    Ok(())
}

/// What policy says of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolVerdict {
    pub risk: RiskLevel,
    /// What decided, for the card and the audit: the rule and its layer, or a structural reason.
    pub decider: Decider,
    /// For shell commands: each simple command found (after descending into `$(…)`,
    /// backticks, subshells, pipelines, lists, if/for/while bodies, process substitution) with
    /// its own verdict. Empty for other tools, and for a command that could not be parsed.
    pub parts: Vec<ShellPart>,
}

/// One simple command of a shell call, with its own verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellPart {
    /// As written (quotes kept; secrets not masked: see [`mask_secrets`]).
    pub text: String,
    pub risk: RiskLevel,
    pub decider: Decider,
}

/// What decided a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decider {
    /// A rule matched (or, in the [`BUILT_IN_LAYER`], a command ran no program).
    Rule { rule: String, layer: String },
    /// No rule of any layer matched: RED.
    Unknown { tool: String },
    /// The shell could not be parsed, or the input is missing or not the expected shape: RED.
    Unparseable { error: String },
    /// An edit or an output redirection outside the working directory, or to a path only
    /// known when it runs: RED.
    OutsideCwd { path: String },
    /// The command or the input holds a secret-looking value: RED.
    Secret,
    /// `bash`, `sh -c`, `python -c`, `eval`, `sudo`, a wrapper of one of those, or an
    /// assignment of a variable that chooses which code runs (`PATH=`): RED.
    BareShell { program: String },
}

impl Decider {
    /// The explanation, in any language.
    pub fn msg(&self) -> Msg {
        match self {
            Decider::Rule { rule, layer } => Msg::new("why-tool-rule").with("rule", rule).with("layer", layer),
            Decider::Unknown { tool } => Msg::new("why-tool-unknown").with("tool", tool),
            Decider::Unparseable { error } => Msg::new("why-tool-unparseable").with("error", error),
            Decider::OutsideCwd { path } => Msg::new("why-tool-outside-cwd").with("path", path),
            Decider::Secret => Msg::new("why-tool-secret"),
            Decider::BareShell { program } => Msg::new("why-tool-bare-shell").with("program", program),
        }
    }

    /// Whether it makes a call RED whatever the rules and grants say.
    pub fn is_structural(&self) -> bool {
        !matches!(self, Decider::Rule { .. } | Decider::Unknown { .. })
    }

    fn built_in() -> Decider {
        Decider::Rule {
            rule: NO_PROGRAM_RULE.to_string(),
            layer: BUILT_IN_LAYER.to_string(),
        }
    }
}

impl fmt::Display for Decider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decider::Rule { rule, layer } => write!(f, "{rule} ({layer})"),
            Decider::Unknown { tool } => write!(f, "no rule for {tool}"),
            Decider::Unparseable { error } => write!(f, "unparseable: {error}"),
            Decider::OutsideCwd { path } => write!(f, "outside the working directory: {path}"),
            Decider::Secret => f.write_str("holds a secret"),
            Decider::BareShell { program } => write!(f, "bare shell: {program}"),
        }
    }
}

/// The text that stands for a call: the `command` for Bash; for other tools (and a Bash call
/// without a command string) the input as compact JSON. For cards, hashes and display.
pub fn call_text(call: &ToolCall<'_>) -> String {
    if call.tool == "Bash" {
        if let Some(command) = call.input.get("command").and_then(Value::as_str) {
            return command.to_string();
        }
    }
    serde_json::to_string(call.input).unwrap_or_default()
}

/// Rule layers consulted in order (e.g. "project openclaw", "role intern", "configuration"),
/// then the shipped defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolPolicy {
    layers: Vec<(String, ToolRules)>,
}

/// One simple command of a shell call, judged.
struct Part {
    text: String,
    /// What makes it RED whatever the rules and grants say.
    structural: Option<Decider>,
    /// Its words as rules meet them: as written, then with wrappers (`timeout 60`) looked
    /// through when that changes them.
    candidates: Vec<Vec<String>>,
    /// What the rules say of the program it runs; `None` when it runs none.
    command: Option<(RiskLevel, Decider)>,
    /// What the rules say of the files it touches: writes are at least YELLOW, a read is here
    /// only when a rule makes it RED (`cat .env`).
    files: Vec<(RiskLevel, Decider)>,
}

impl Part {
    fn verdict(&self) -> (RiskLevel, Decider) {
        if let Some(structural) = &self.structural {
            return (RiskLevel::Red, structural.clone());
        }
        let mut best: Option<&(RiskLevel, Decider)> = None;
        for judged in self.command.iter().chain(&self.files) {
            if best.is_none_or(|(risk, _)| judged.0 > *risk) {
                best = Some(judged);
            }
        }
        best.cloned().unwrap_or((RiskLevel::Green, Decider::built_in()))
    }

    /// Whether a grant may let it through: nothing structural, and no file it touches is RED.
    fn grantable(&self) -> bool {
        self.structural.is_none() && self.files.iter().all(|(risk, _)| *risk < RiskLevel::Red)
    }

    fn words(&self) -> Vec<&[String]> {
        self.candidates.iter().map(Vec::as_slice).collect()
    }
}

fn red(decider: Decider) -> ToolVerdict {
    ToolVerdict {
        risk: RiskLevel::Red,
        decider,
        parts: Vec::new(),
    }
}

fn unparseable(error: impl Into<String>) -> ToolVerdict {
    red(Decider::Unparseable { error: error.into() })
}

impl ToolPolicy {
    /// `layers` in the order they are consulted; the shipped defaults are appended last, named
    /// [`SHIPPED_LAYER`].
    pub fn new(mut layers: Vec<(String, ToolRules)>) -> ToolPolicy {
        layers.push((SHIPPED_LAYER.to_string(), ToolRules::shipped()));
        ToolPolicy { layers }
    }

    /// The shipped defaults alone.
    pub fn shipped() -> ToolPolicy {
        ToolPolicy::new(Vec::new())
    }

    /// The layers in the order they are consulted, the shipped one last.
    pub fn layers(&self) -> &[(String, ToolRules)] {
        &self.layers
    }

    pub fn classify(&self, call: &ToolCall<'_>) -> ToolVerdict {
        if call.tool == "Bash" {
            return self.classify_bash(call);
        }
        let subject = match subject(call) {
            Ok(subject) => subject,
            Err(error) => return unparseable(error),
        };
        if let Some(structural) = structural(call) {
            return red(structural);
        }
        let (risk, decider) = self.decide(|rule| rule.matches(&subject)).unwrap_or_else(|| {
            (
                RiskLevel::Red,
                Decider::Unknown {
                    tool: call.tool.to_string(),
                },
            )
        });
        ToolVerdict {
            risk,
            decider,
            parts: Vec::new(),
        }
    }

    /// Whether `grants` (rules a person allowed for a while) cover this call, so it goes without
    /// a person: the grant that covered (for a compound command, the first one used).
    ///
    /// A grant covers a call of another tool than Bash when it matches it and the call is not
    /// RED whatever the rules (an edit outside the working directory, a secret). A shell call is
    /// covered when it parses, no part of it is RED whatever the rules or touches a RED file,
    /// and every RED part is matched by a grant: `git push origin main && rm -rf /` is not
    /// covered by `Bash(git push:*)`. A grant of all of Bash, or of a shell or an interpreter
    /// (`Bash(bash:*)`, `Bash(python -c:*)`), never covers anything.
    pub fn granted(&self, call: &ToolCall<'_>, grants: &[ToolRule]) -> Option<ToolRule> {
        if call.tool != "Bash" {
            let subject = subject(call).ok()?;
            if structural(call).is_some() {
                return None;
            }
            return grants.iter().find(|grant| grant.matches(&subject)).cloned();
        }
        let command = call.input.get("command")?.as_str()?;
        let parts = self.analyse(command, call.cwd).ok()?;
        if parts.is_empty() || secret_outside_parts(command, &parts) {
            return None;
        }
        let usable: Vec<&ToolRule> = grants.iter().filter(|grant| shell_grant_usable(grant)).collect();
        let mut used: Option<&ToolRule> = None;
        let mut matched: Option<&ToolRule> = None;
        for part in &parts {
            if !part.grantable() {
                return None;
            }
            let words = part.words();
            let grant = usable.iter().find(|grant| grant.matches_command(&words)).copied();
            if part.verdict().0 == RiskLevel::Red {
                used = used.or(Some(grant?));
            } else {
                matched = matched.or(grant);
            }
        }
        used.or(matched).cloned()
    }

    /// The rule an "allow this for an hour" button would grant for this call, judged by the
    /// shipped defaults alone; see [`ToolPolicy::suggest`].
    pub fn suggest_grant(call: &ToolCall<'_>) -> Option<ToolRule> {
        static SHIPPED: LazyLock<ToolPolicy> = LazyLock::new(ToolPolicy::shipped);
        SHIPPED.suggest(call)
    }

    /// The rule an "allow this for an hour" button would grant for this call under this policy:
    ///
    /// - Bash: for its one part, or its one RED part: the program and its subcommand when the
    ///   second word is a plain subcommand (`Bash(git push:*)`), `Bash(npm run X:*)` for
    ///   `npm`/`pnpm`/`yarn run X`, else the part's exact words (`Bash(rm -rf build)`);
    /// - WebFetch: `WebFetch(domain:<host>)`;
    /// - an edit: `Edit(./<path relative to the working directory>)`, that path alone;
    /// - a read: `Read(//<absolute path>)`, that path alone (a grant of all reads would let
    ///   the credentials through too);
    /// - other tools (MCP's among them): the tool's name.
    ///
    /// `None` when nothing may be granted: a part RED whatever the rules (a bare shell, a
    /// secret, outside the working directory), a command that does not parse, more than one
    /// RED part. A suggestion always covers the call it was made for.
    pub fn suggest(&self, call: &ToolCall<'_>) -> Option<ToolRule> {
        let rule = match call.tool {
            "Bash" => self.suggest_shell(call)?,
            "WebFetch" => format!("WebFetch(domain:{})", subject(call).ok()?.host?),
            tool if EDIT_TOOLS.contains(&tool) => {
                let subject = subject(call).ok()?;
                let path = subject.path?;
                let relative = paths::relative(&path, subject.cwd.as_deref()?).filter(|r| !r.is_empty())?;
                format!("Edit(./{})", escape_glob(relative))
            }
            tool if READ_TOOLS.contains(&tool) => format!("Read(/{})", escape_glob(&subject(call).ok()?.path?)),
            tool => tool.to_string(),
        };
        ToolRule::parse(&rule)
            .ok()
            .filter(|rule| self.granted(call, std::slice::from_ref(rule)).is_some())
    }

    fn suggest_shell(&self, call: &ToolCall<'_>) -> Option<String> {
        let command = call.input.get("command")?.as_str()?;
        let parts = self.analyse(command, call.cwd).ok()?;
        if parts.iter().any(|part| !part.grantable()) {
            return None;
        }
        let verdicts: Vec<(RiskLevel, &Part)> = parts.iter().map(|part| (part.verdict().0, part)).collect();
        let red: Vec<&Part> = verdicts
            .iter()
            .filter(|(risk, _)| *risk == RiskLevel::Red)
            .map(|(_, part)| *part)
            .collect();
        let part = match red.as_slice() {
            [one] => *one,
            [] => {
                let top = verdicts.iter().map(|(risk, _)| *risk).max()?;
                verdicts.iter().find(|(risk, _)| *risk == top)?.1
            }
            _ => return None,
        };
        let words = part.candidates.last()?;
        Some(format!("Bash({})", shell_suggestion(words)?))
    }

    /// The first layer with a rule `matches` accepts decides: its riskiest matching level.
    fn decide(&self, matches: impl Fn(&ToolRule) -> bool) -> Option<(RiskLevel, Decider)> {
        for (layer, rules) in &self.layers {
            for (risk, level) in [
                (RiskLevel::Red, &rules.red),
                (RiskLevel::Yellow, &rules.yellow),
                (RiskLevel::Green, &rules.green),
            ] {
                if let Some(rule) = level.iter().find(|rule| matches(rule)) {
                    let decider = Decider::Rule {
                        rule: rule.as_str().to_string(),
                        layer: layer.clone(),
                    };
                    return Some((risk, decider));
                }
            }
        }
        None
    }

    fn classify_bash(&self, call: &ToolCall<'_>) -> ToolVerdict {
        let Some(command) = call.input.get("command").and_then(Value::as_str) else {
            return unparseable("the Bash call has no command string");
        };
        let parts = match self.analyse(command, call.cwd) {
            Ok(parts) => parts,
            Err(error) => return unparseable(format!("shell: {error}")),
        };
        let parts: Vec<ShellPart> = parts
            .iter()
            .map(|part| {
                let (risk, decider) = part.verdict();
                ShellPart {
                    text: part.text.clone(),
                    risk,
                    decider,
                }
            })
            .collect();
        let Some(top) = parts.iter().map(|part| part.risk).max() else {
            return unparseable("the command runs nothing");
        };
        let mut verdict = ToolVerdict {
            risk: top,
            decider: parts
                .iter()
                .find(|part| part.risk == top)
                .map_or_else(Decider::built_in, |part| part.decider.clone()),
            parts,
        };
        // A secret where no part holds it (a comment, say).
        if secrets::contains_secret(command) && !verdict.parts.iter().any(|part| part.decider == Decider::Secret) {
            verdict.risk = RiskLevel::Red;
            verdict.decider = Decider::Secret;
        }
        verdict
    }

    /// The simple commands of a shell call, each judged.
    fn analyse(&self, command: &str, cwd: &str) -> Result<Vec<Part>, String> {
        let script = shell::parse(command)?;
        let changes_dir = script.changes_dir();
        let directories = directories(&script, cwd);
        Ok(script
            .commands
            .iter()
            .map(|simple| self.part(simple, cwd, changes_dir, &directories))
            .collect())
    }

    fn part(&self, simple: &shell::Simple, cwd: &str, changes_dir: bool, directories: &[String]) -> Part {
        let mut structural = match &simple.problem {
            Some(shell::Problem::NameNotLiteral(name)) => Some(Decider::Unparseable {
                error: format!("the command name is not a literal word: {name}"),
            }),
            Some(shell::Problem::Function(name)) => Some(Decider::Unparseable {
                error: format!("defines a function ({name}), which is not analysed"),
            }),
            Some(shell::Problem::Variable(name)) => Some(Decider::BareShell {
                program: format!("{name}="),
            }),
            None => None,
        };
        if structural.is_none() {
            structural = programs::bare_shell(&simple.words).map(|program| Decider::BareShell { program });
        }
        if structural.is_none() && programs::evaluates_arithmetic(&simple.words) {
            structural = Some(Decider::Unparseable {
                error: format!("`{}` evaluates arithmetic, which is not analysed", simple.text),
            });
        }
        let unwrapped = programs::unwrap(&simple.words);
        let mut files = Vec::new();
        let flag_writes = programs::flag_writes(unwrapped).into_iter().map(shell::Target::Literal);
        for target in simple.writes.iter().cloned().chain(flag_writes) {
            match self.write(&target, cwd, changes_dir) {
                Ok(Some(judged)) => files.push(judged),
                Ok(None) => {}
                Err(decider) => {
                    structural.get_or_insert(decider);
                }
            }
        }
        let reads = simple.reads.iter().filter_map(|target| match target {
            shell::Target::Literal(path) => Some(path.as_str()),
            shell::Target::Expanded(_) => None,
        });
        for path in reads.chain(path_arguments(&simple.words)) {
            let read: Vec<String> = if paths::is_relative(path) {
                directories.iter().map(|directory| paths::join(directory, path)).collect()
            } else {
                vec![paths::join("/", path)]
            };
            if let Some(judged) = read.into_iter().find_map(|path| self.sensitive_read(path, cwd)) {
                files.push(judged);
            }
        }
        if structural.is_none() && secrets::contains_secret(&simple.text) {
            structural = Some(Decider::Secret);
        }
        let mut candidates = vec![simple.words.clone()];
        if unwrapped.len() != simple.words.len() {
            candidates.push(unwrapped.to_vec());
        }
        let command = (!simple.words.is_empty()).then(|| {
            let words: Vec<&[String]> = candidates.iter().map(Vec::as_slice).collect();
            self.decide(|rule| rule.matches_command(&words))
                .unwrap_or_else(|| (RiskLevel::Red, Decider::Unknown { tool: "Bash".to_string() }))
        });
        Part {
            text: simple.text.clone(),
            structural,
            candidates,
            command,
            files,
        }
    }

    /// A file a command writes: `Ok(None)` for `/dev/null` and the like, `Err` when it is
    /// outside the working directory or not known until it runs, else what the rules say of
    /// a `Write` there (at least YELLOW).
    fn write(&self, target: &shell::Target, cwd: &str, changes_dir: bool) -> Result<Option<(RiskLevel, Decider)>, Decider> {
        let path = match target {
            shell::Target::Expanded(raw) => return Err(Decider::OutsideCwd { path: raw.clone() }),
            shell::Target::Literal(path) => path,
        };
        if paths::HARMLESS_WRITES.contains(&path.as_str()) {
            return Ok(None);
        }
        let outside = || Decider::OutsideCwd { path: path.clone() };
        // After a `cd`, a relative path is relative to a directory we cannot be sure of.
        let relative = !path.starts_with(['/', '~', '$']);
        if (changes_dir && relative) || !paths::inside(path, cwd) {
            return Err(outside());
        }
        let subject = Subject {
            tool: "Write",
            path: paths::resolve(path, cwd),
            cwd: paths::working_dir(cwd),
            host: None,
        };
        let (risk, decider) = self
            .decide(|rule| rule.matches(&subject))
            .unwrap_or_else(|| (RiskLevel::Red, Decider::Unknown { tool: "Write".to_string() }));
        Ok(Some((risk.max(RiskLevel::Yellow), decider)))
    }

    /// A file a command reads (`path` absolute), when a rule makes reading it RED
    /// (`cat ~/.ssh/id_rsa` is as RED as `Read` of it).
    fn sensitive_read(&self, path: String, cwd: &str) -> Option<(RiskLevel, Decider)> {
        let subject = Subject {
            tool: "Read",
            path: Some(path),
            cwd: paths::working_dir(cwd),
            host: None,
        };
        match self.decide(|rule| rule.matches(&subject)) {
            Some((RiskLevel::Red, decider @ Decider::Rule { .. })) => Some((RiskLevel::Red, decider)),
            _ => None,
        }
    }
}

/// The directories a command's relative paths may be read from: the working directory, and
/// wherever its `cd`s and `pushd`s to a literal directory lead (from each directory before
/// them, at most 16). A `cd` to a computed directory (`cd "$(…)"`) is not followed.
fn directories(script: &shell::Script, cwd: &str) -> Vec<String> {
    const MAX_DIRECTORIES: usize = 16;
    let mut directories: Vec<String> = paths::working_dir(cwd).into_iter().collect();
    for simple in &script.commands {
        let Some((first, args)) = simple.words.split_first() else {
            continue;
        };
        if !matches!(first.as_str(), "cd" | "pushd") {
            continue;
        }
        let target = args.iter().find(|a| !a.starts_with('-') || *a == "-").map_or("~", String::as_str);
        if target == "-" {
            continue;
        }
        let reached: Vec<String> = directories.iter().map(|directory| paths::join(directory, target)).collect();
        for directory in reached {
            if directories.len() < MAX_DIRECTORIES && !directories.contains(&directory) {
                directories.push(directory);
            }
        }
    }
    directories
}

/// The arguments of a command that may name files: those that are not options, and the values
/// of `--option=value`.
fn path_arguments(words: &[String]) -> impl Iterator<Item = &str> {
    words.iter().skip(1).filter_map(|word| {
        let path = match word.strip_prefix('-') {
            Some(_) => word.split_once('=')?.1,
            None => word.as_str(),
        };
        (!path.is_empty()).then_some(path)
    })
}

/// Whether a secret appears in a shell command outside every part that would have said so.
fn secret_outside_parts(command: &str, parts: &[Part]) -> bool {
    secrets::contains_secret(command) && !parts.iter().any(|part| part.structural == Some(Decider::Secret))
}

/// Whether a grant may cover shell commands: `Bash(…)` with words, and those words are not a
/// shell or an interpreter given code.
fn shell_grant_usable(grant: &ToolRule) -> bool {
    grant.tool() == "Bash" && ungrantable(grant).is_none()
}

/// Why a grant of `rule` would allow anything at all, if it would: all of a tool that runs
/// whatever it is given (`Bash`, `Bash(*)`), or a shell or an interpreter handed code
/// (`Bash(bash:*)`, `Bash(python -c:*)`). Such a grant covers nothing ([`ToolPolicy::granted`]),
/// and is refused when it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ungrantable {
    WholeShell,
    Shell { program: String },
}

pub fn ungrantable(rule: &ToolRule) -> Option<Ungrantable> {
    if rule.tool() != "Bash" {
        return None;
    }
    let Some(words) = rule.bash_words().filter(|words| !words.is_empty()) else {
        return Some(Ungrantable::WholeShell);
    };
    if let Some(program) = programs::bare_shell(&words) {
        return Some(Ungrantable::Shell { program });
    }
    // A wrapper's prefix would cover any program run through it.
    programs::is_wrapper(&words[0]).then(|| Ungrantable::Shell {
        program: programs::basename(&words[0]).to_string(),
    })
}

/// What a grant for a command with `words` allows: see [`ToolPolicy::suggest`].
fn shell_suggestion(words: &[String]) -> Option<String> {
    let program = words.first()?;
    let plain =
        |word: &str| !word.is_empty() && !word.starts_with('-') && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let second = words.get(1).map(String::as_str);
    let third = words.get(2);
    if matches!(program.as_str(), "npm" | "pnpm" | "yarn") && second == Some("run") {
        if let Some(script) = third {
            return Some(format!("{program} run {}:*", shell_quote(script)));
        }
    }
    if let Some(subcommand) = second.filter(|word| plain(word)) {
        return Some(format!("{} {subcommand}:*", shell_quote(program)));
    }
    Some(words.iter().map(|word| shell_quote(word)).collect::<Vec<_>>().join(" "))
}

/// A word as a shell reads it back: as is when it is plain, else single-quoted.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c)) && !word.ends_with(':');
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A path with the characters a glob reads specially escaped.
fn escape_glob(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for c in path.chars() {
        if "*?[]{}\\".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// What a call of another tool than Bash is about; an error when its input is not the shape
/// the tool takes.
fn subject<'a>(call: &ToolCall<'a>) -> Result<Subject<'a>, String> {
    let (key, required) = match call.tool {
        "Read" | "Edit" | "Write" | "MultiEdit" => ("file_path", true),
        "NotebookEdit" | "NotebookRead" => ("notebook_path", true),
        "Glob" | "Grep" | "LS" => ("path", false),
        "WebFetch" => ("url", false),
        _ => {
            return Ok(Subject {
                tool: call.tool,
                ..Subject::default()
            })
        }
    };
    let Some(input) = call.input.as_object() else {
        return Err(format!("the {} input is not an object", call.tool));
    };
    let value = match input.get(key) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.as_str()),
        None | Some(Value::Null) if !required => None,
        _ => return Err(format!("the {} call has no {key}", call.tool)),
    };
    let mut subject = Subject {
        tool: call.tool,
        cwd: paths::working_dir(call.cwd),
        ..Subject::default()
    };
    if call.tool == "WebFetch" {
        subject.host = value
            .and_then(|url| url::Url::parse(url).ok())
            .and_then(|url| url.host_str().map(|host| host.trim_end_matches('.').to_ascii_lowercase()));
    } else {
        subject.path = paths::resolve(value.unwrap_or("."), call.cwd);
    }
    Ok(subject)
}

/// What makes a call of another tool than Bash RED whatever the rules (its input's shape
/// aside).
fn structural(call: &ToolCall<'_>) -> Option<Decider> {
    if EDIT_TOOLS.contains(&call.tool) {
        let key = if call.tool == "NotebookEdit" {
            "notebook_path"
        } else {
            "file_path"
        };
        let path = call.input.get(key).and_then(Value::as_str).unwrap_or_default();
        if !paths::inside(path, call.cwd) {
            return Some(Decider::OutsideCwd { path: path.to_string() });
        }
    }
    secrets::contains_secret(&call_text(call)).then_some(Decider::Secret)
}
