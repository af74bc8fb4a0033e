//! Shell commands taken apart as a shell would read them: every simple command that would run,
//! wherever it sits (lists, pipelines, subshells, `{ }`, `if`/`for`/`while`/`case` bodies,
//! `$(…)`, backticks, `<(…)`, here-documents that expand), with its words unquoted and what
//! it reads from and writes to by redirection.
//!
//! Why a parser and not a split on `;` and `&&`: `git status $(rm -rf ~)` and
//! `echo "a;b"` would fool a split, one way or the other. `brush-parser` is a POSIX/bash
//! parser in pure Rust; what it cannot parse, and what we do not analyse (arithmetic on
//! variables, which bash evaluates recursively and so can run `a[$(cmd)]` hidden in a
//! variable; `${!x}` and `${x@P}`), is an error: the caller makes it RED (fail closed).
//!
//! Limits keep a hostile command from costing us: 64 KiB of text, 16 levels of nesting, and a
//! crude count of brackets and `if`/`case`/`do` before parsing (the parser recurses per level
//! and would overflow a thread's stack on a few hundred).

use brush_parser::ast::{self, CommandPrefixOrSuffixItem, CompoundCommand, IoFileRedirectKind, IoFileRedirectTarget, IoRedirect};
use brush_parser::word::{Parameter, ParameterExpr, WordPiece, WordPieceWithSource};
use brush_parser::{Parser, ParserOptions};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The longest command we parse.
pub(crate) const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// How deep commands may nest: compound commands in compound commands, substitutions in
/// substitutions.
const MAX_DEPTH: usize = 16;
/// How deep brackets and `if`/`case`/`do` may nest in one text before it is parsed.
const MAX_NESTING: usize = 32;

/// One simple command that would run.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Simple {
    /// As written (the parser's rendering: quotes kept, spacing normalized).
    pub text: String,
    /// The command name and its arguments, unquoted; expansions kept as written (`$HOME`).
    pub words: Vec<String>,
    /// Variables assigned for it or by it (`FOO=bar cmd`, `FOO=bar`, `export FOO=bar`).
    pub assignments: Vec<String>,
    /// Files written by redirection (`>`, `>>`, `>|`, `<>`, `&>`, `>& file`).
    pub writes: Vec<Target>,
    /// Files read by redirection (`<`).
    pub reads: Vec<Target>,
    /// What makes it RED whatever the rules say.
    pub problem: Option<Problem>,
}

/// Where a redirection goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    /// A word without expansions (tilde aside): a path we can judge.
    Literal(String),
    /// A word with `$…`, `$(…)` or arithmetic: a path we cannot know.
    Expanded(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// The command name is not a literal word (`$CMD x`, `$(which rm) x`, `r*`, `{rm,-rf}`).
    NameNotLiteral(String),
    /// A function definition: code that runs later, under a name.
    Function(String),
    /// An assignment to a variable that decides which code runs (`PATH`, `LD_PRELOAD`, …).
    Variable(String),
}

/// A parsed command: its simple commands in the order they appear.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Script {
    pub commands: Vec<Simple>,
}

impl Script {
    /// Whether any command changes the directory (`cd`, `pushd`, `popd`): relative paths of
    /// redirections are then not relative to the call's working directory.
    pub fn changes_dir(&self) -> bool {
        self.commands
            .iter()
            .any(|c| c.words.first().is_some_and(|w| matches!(w.as_str(), "cd" | "pushd" | "popd")))
    }
}

/// Takes `text` apart; an error says why it could not be (in English, for the audit).
pub(crate) fn parse(text: &str) -> Result<Script, String> {
    if text.len() > MAX_COMMAND_BYTES {
        return Err(format!("the command is longer than {} KiB", MAX_COMMAND_BYTES / 1024));
    }
    let mut walker = Walker {
        options: ParserOptions::default(),
        out: Vec::new(),
    };
    walker.program(text, 0)?;
    Ok(Script { commands: walker.out })
}

/// The words of a rule's `Bash(…)` specifier, unquoted as a command's would be; an error when
/// the text is not one simple command's words.
pub(crate) fn rule_words(text: &str) -> Result<Vec<String>, String> {
    let script = parse(text)?;
    match script.commands.as_slice() {
        [one] if one.assignments.is_empty() && one.writes.is_empty() && one.reads.is_empty() && !one.words.is_empty() => {
            Ok(one.words.clone())
        }
        _ => Err("compound".into()),
    }
}

/// A shell word, taken apart.
#[derive(Debug, Default)]
struct WordInfo {
    /// Unquoted; expansions as written.
    text: String,
    /// Holds `$…`, `$(…)`, backticks or arithmetic.
    expanded: bool,
    /// Holds unquoted glob or brace patterns (`*`, `?`, `[…]`, `{…}`): the shell would expand it.
    pattern: bool,
    /// An unquoted `[` or `{` was seen: a later unquoted `]` or `}` makes a pattern.
    opened: bool,
}

impl WordInfo {
    fn target(self) -> Target {
        if self.expanded {
            Target::Expanded(self.text)
        } else {
            Target::Literal(self.text)
        }
    }
}

struct Walker {
    options: ParserOptions,
    out: Vec<Simple>,
}

impl Walker {
    fn program(&mut self, text: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("commands are nested too deeply".into());
        }
        guard_nesting(text)?;
        let options = &self.options;
        let parsed = catch_unwind(AssertUnwindSafe(|| Parser::new(text.as_bytes(), options).parse_program()))
            .map_err(|_| "the shell parser failed".to_string())?
            .map_err(|e| e.to_string())?;
        for list in &parsed.complete_commands {
            self.list(list, depth)?;
        }
        Ok(())
    }

    fn list(&mut self, list: &ast::CompoundList, depth: usize) -> Result<(), String> {
        for item in &list.0 {
            let and_or = &item.0;
            self.pipeline(&and_or.first, depth)?;
            for next in &and_or.additional {
                let (ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline)) = next;
                self.pipeline(pipeline, depth)?;
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, depth: usize) -> Result<(), String> {
        for command in &pipeline.seq {
            self.command(command, depth)?;
        }
        Ok(())
    }

    fn command(&mut self, command: &ast::Command, depth: usize) -> Result<(), String> {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, depth),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound, depth + 1)?;
                self.redirects_only(redirects.as_ref(), depth)
            }
            ast::Command::Function(function) => {
                self.out.push(Simple {
                    text: function.to_string().trim().to_string(),
                    problem: Some(Problem::Function(function.fname.value.clone())),
                    ..Simple::default()
                });
                Ok(())
            }
            ast::Command::ExtendedTest(test, redirects) => {
                self.test(&test.expr, depth)?;
                self.redirects_only(redirects.as_ref(), depth)
            }
        }
    }

    /// The redirections of a compound command (`{ …; } > out`): a command of their own.
    fn redirects_only(&mut self, redirects: Option<&ast::RedirectList>, depth: usize) -> Result<(), String> {
        let Some(redirects) = redirects else {
            return Ok(());
        };
        let mut part = Simple {
            text: redirects.to_string().trim().to_string(),
            ..Simple::default()
        };
        for redirect in &redirects.0 {
            self.redirect(redirect, &mut part, depth)?;
        }
        self.out.push(part);
        Ok(())
    }

    fn compound(&mut self, compound: &CompoundCommand, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("commands are nested too deeply".into());
        }
        match compound {
            CompoundCommand::Arithmetic(arithmetic) => arithmetic_is_plain(&arithmetic.expr.value),
            CompoundCommand::ArithmeticForClause(clause) => {
                for expr in [&clause.initializer, &clause.condition, &clause.updater].into_iter().flatten() {
                    arithmetic_is_plain(&expr.value)?;
                }
                self.list(&clause.body.list, depth)
            }
            CompoundCommand::BraceGroup(group) => self.list(&group.list, depth),
            CompoundCommand::Subshell(subshell) => self.list(&subshell.list, depth),
            CompoundCommand::ForClause(clause) => {
                if let Some(problem) = variable_problem(&clause.variable_name) {
                    self.out.push(Simple {
                        text: format!("for {} in …", clause.variable_name),
                        problem: Some(problem),
                        ..Simple::default()
                    });
                }
                for value in clause.values.iter().flatten() {
                    self.word(&value.value, depth)?;
                }
                self.list(&clause.body.list, depth)
            }
            CompoundCommand::CaseClause(clause) => {
                self.word(&clause.value.value, depth)?;
                for case in &clause.cases {
                    for pattern in &case.patterns {
                        self.word(&pattern.value, depth)?;
                    }
                    if let Some(list) = &case.cmd {
                        self.list(list, depth)?;
                    }
                }
                Ok(())
            }
            CompoundCommand::IfClause(clause) => {
                self.list(&clause.condition, depth)?;
                self.list(&clause.then, depth)?;
                for otherwise in clause.elses.iter().flatten() {
                    if let Some(condition) = &otherwise.condition {
                        self.list(condition, depth)?;
                    }
                    self.list(&otherwise.body, depth)?;
                }
                Ok(())
            }
            CompoundCommand::WhileClause(clause) | CompoundCommand::UntilClause(clause) => {
                self.list(&clause.0, depth)?;
                self.list(&clause.1.list, depth)
            }
            CompoundCommand::Coprocess(coprocess) => self.command(&coprocess.body, depth + 1),
        }
    }

    /// `[[ … ]]`: its words may hold substitutions; its arithmetic comparisons and `-v a[…]`
    /// evaluate arithmetic.
    fn test(&mut self, expr: &ast::ExtendedTestExpr, depth: usize) -> Result<(), String> {
        use ast::{BinaryPredicate as B, ExtendedTestExpr as E, UnaryPredicate as U};
        if depth > MAX_DEPTH * 4 {
            return Err("the test is nested too deeply".into());
        }
        match expr {
            E::And(left, right) | E::Or(left, right) => {
                self.test(left, depth + 1)?;
                self.test(right, depth + 1)
            }
            E::Not(inner) | E::Parenthesized(inner) => self.test(inner, depth + 1),
            E::UnaryTest(predicate, word) => {
                let info = self.word(&word.value, depth)?;
                if matches!(predicate, U::ShellVariableIsSetAndAssigned | U::ShellVariableIsSetAndNameRef)
                    && (info.expanded || info.text.contains('['))
                {
                    return Err(format!("`-v {}` evaluates arithmetic: not analysed", info.text));
                }
                Ok(())
            }
            E::BinaryTest(predicate, left, right) => {
                let left = self.word(&left.value, depth)?;
                let right = self.word(&right.value, depth)?;
                let arithmetic = matches!(
                    predicate,
                    B::ArithmeticEqualTo
                        | B::ArithmeticNotEqualTo
                        | B::ArithmeticLessThan
                        | B::ArithmeticLessThanOrEqualTo
                        | B::ArithmeticGreaterThan
                        | B::ArithmeticGreaterThanOrEqualTo
                );
                if arithmetic {
                    for side in [&left, &right] {
                        if side.expanded {
                            return Err(format!("arithmetic on {} is not analysed", side.text));
                        }
                        arithmetic_is_plain(&side.text)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, depth: usize) -> Result<(), String> {
        let mut part = Simple {
            text: simple.to_string().trim().to_string(),
            ..Simple::default()
        };
        for item in simple.prefix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, &mut part, depth)?;
        }
        if let Some(name) = &simple.word_or_name {
            let info = self.word(&name.value, depth)?;
            if (info.expanded || info.pattern) && part.problem.is_none() {
                part.problem = Some(Problem::NameNotLiteral(info.text.clone()));
            }
            part.words.push(info.text);
        }
        for item in simple.suffix.iter().flat_map(|s| s.0.iter()) {
            self.item(item, &mut part, depth)?;
        }
        self.out.push(part);
        Ok(())
    }

    fn item(&mut self, item: &CommandPrefixOrSuffixItem, part: &mut Simple, depth: usize) -> Result<(), String> {
        match item {
            CommandPrefixOrSuffixItem::IoRedirect(redirect) => self.redirect(redirect, part, depth),
            CommandPrefixOrSuffixItem::Word(word) => {
                let info = self.word(&word.value, depth)?;
                part.words.push(info.text);
                Ok(())
            }
            CommandPrefixOrSuffixItem::AssignmentWord(assignment, word) => {
                let values: Vec<&ast::Word> = match &assignment.value {
                    ast::AssignmentValue::Scalar(value) => vec![value],
                    ast::AssignmentValue::Array(values) => values.iter().flat_map(|(key, value)| key.iter().chain([value])).collect(),
                };
                let mut texts = Vec::new();
                for value in &values {
                    let info = self.word(&value.value, depth)?;
                    // A value that holds code as text would run where bash evaluates it as
                    // arithmetic (`x='a[$(rm -rf ~)]'; (( x ))`).
                    if !info.expanded && (info.text.contains("$(") || info.text.contains('`')) {
                        return Err(format!("an assignment holds code as text: {}", word.value));
                    }
                    texts.push(info.text);
                }
                let value_text = match &assignment.value {
                    ast::AssignmentValue::Scalar(_) => texts.join(" "),
                    ast::AssignmentValue::Array(_) => format!("({})", texts.join(" ")),
                };
                let name = match &assignment.name {
                    ast::AssignmentName::VariableName(name) | ast::AssignmentName::ArrayElementName(name, _) => name,
                };
                if let ast::AssignmentName::ArrayElementName(_, index) = &assignment.name {
                    arithmetic_is_plain(index)?;
                }
                if let Some(problem) = variable_problem(name) {
                    part.problem.get_or_insert(problem);
                }
                let text = format!("{}{}={}", assignment.name, if assignment.append { "+" } else { "" }, value_text);
                if part.words.is_empty() {
                    part.assignments.push(text);
                } else {
                    // `export FOO=bar`, `declare x=1`: an argument of the command.
                    part.words.push(text);
                }
                Ok(())
            }
            CommandPrefixOrSuffixItem::ProcessSubstitution(kind, subshell) => {
                self.list(&subshell.list, depth + 1)?;
                part.words
                    .push(format!("{kind}({})", subshell.list.to_string().trim().trim_end_matches(';')));
                Ok(())
            }
        }
    }

    fn redirect(&mut self, redirect: &IoRedirect, part: &mut Simple, depth: usize) -> Result<(), String> {
        match redirect {
            IoRedirect::File(_, kind, target) => match target {
                IoFileRedirectTarget::Filename(word) => {
                    let target = self.word(&word.value, depth)?.target();
                    match kind {
                        IoFileRedirectKind::Read | IoFileRedirectKind::DuplicateInput => part.reads.push(target),
                        IoFileRedirectKind::Write
                        | IoFileRedirectKind::Append
                        | IoFileRedirectKind::ReadAndWrite
                        | IoFileRedirectKind::Clobber
                        | IoFileRedirectKind::DuplicateOutput => part.writes.push(target),
                    }
                    Ok(())
                }
                IoFileRedirectTarget::Duplicate(word) => {
                    let info = self.word(&word.value, depth)?;
                    // `>&2` and `2>&1` duplicate a descriptor; `>& file` writes a file.
                    let descriptor = !info.expanded
                        && (info.text == "-"
                            || (!info.text.is_empty() && info.text.trim_end_matches('-').chars().all(|c| c.is_ascii_digit())));
                    if !descriptor {
                        match kind {
                            IoFileRedirectKind::DuplicateInput | IoFileRedirectKind::Read => part.reads.push(info.target()),
                            _ => part.writes.push(info.target()),
                        }
                    }
                    Ok(())
                }
                IoFileRedirectTarget::Fd(_) => Ok(()),
                IoFileRedirectTarget::ProcessSubstitution(_, subshell) => self.list(&subshell.list, depth + 1),
            },
            IoRedirect::HereDocument(_, doc) => {
                if doc.requires_expansion {
                    let body = &doc.doc.value;
                    guard_nesting(body)?;
                    let options = &self.options;
                    let pieces = catch_unwind(AssertUnwindSafe(|| brush_parser::word::parse_heredoc(body, options)))
                        .map_err(|_| "the shell parser failed".to_string())?
                        .map_err(|e| e.to_string())?;
                    let mut info = WordInfo::default();
                    self.pieces(body, &pieces, &mut info, true, depth)?;
                }
                Ok(())
            }
            IoRedirect::HereString(_, word) => self.word(&word.value, depth).map(|_| ()),
            IoRedirect::OutputAndError(word, _) => {
                let target = self.word(&word.value, depth)?.target();
                part.writes.push(target);
                Ok(())
            }
        }
    }

    /// A word unquoted, its substitutions walked.
    fn word(&mut self, raw: &str, depth: usize) -> Result<WordInfo, String> {
        guard_nesting(raw)?;
        let options = &self.options;
        let pieces = catch_unwind(AssertUnwindSafe(|| brush_parser::word::parse(raw, options)))
            .map_err(|_| "the shell parser failed".to_string())?
            .map_err(|e| e.to_string())?;
        let mut info = WordInfo::default();
        self.pieces(raw, &pieces, &mut info, false, depth)?;
        Ok(info)
    }

    fn pieces(&mut self, raw: &str, pieces: &[WordPieceWithSource], info: &mut WordInfo, quoted: bool, depth: usize) -> Result<(), String> {
        for piece in pieces {
            let source = raw.get(piece.start_index..piece.end_index).unwrap_or_default();
            match &piece.piece {
                WordPiece::Text(text) => {
                    if !quoted {
                        for c in text.chars() {
                            match c {
                                '*' | '?' => info.pattern = true,
                                '[' | '{' => info.opened = true,
                                ']' | '}' if info.opened => info.pattern = true,
                                _ => {}
                            }
                        }
                    }
                    info.text.push_str(text);
                }
                WordPiece::SingleQuotedText(text) | WordPiece::AnsiCQuotedText(text) => info.text.push_str(text),
                WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    self.pieces(raw, inner, info, true, depth)?;
                }
                WordPiece::TildeExpansion(_) => info.text.push_str(source),
                WordPiece::EscapeSequence(escape) => {
                    let escaped = escape.strip_prefix('\\').unwrap_or(escape);
                    if escaped == "\n" {
                        // A line continuation.
                    } else if quoted && !matches!(escaped, "$" | "`" | "\"" | "\\") {
                        info.text.push_str(escape);
                    } else {
                        info.text.push_str(escaped);
                    }
                }
                WordPiece::ParameterExpansion(expr) => {
                    info.text.push_str(source);
                    info.expanded = true;
                    self.parameter(expr, depth)?;
                }
                WordPiece::CommandSubstitution(inner) | WordPiece::BackquotedCommandSubstitution(inner) => {
                    info.text.push_str(source);
                    info.expanded = true;
                    self.program(inner, depth + 1)?;
                }
                WordPiece::ArithmeticExpression(expr) => {
                    info.text.push_str(source);
                    info.expanded = true;
                    arithmetic_is_plain(&expr.value)?;
                }
            }
        }
        Ok(())
    }

    /// A parameter expansion: its words (`${x:-$(cmd)}`) are walked; what evaluates arithmetic
    /// or names a variable by a variable is refused.
    fn parameter(&mut self, expr: &ParameterExpr, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("commands are nested too deeply".into());
        }
        let (parameter, indirect, words): (Option<&Parameter>, bool, Vec<&str>) = match expr {
            ParameterExpr::Parameter { parameter, indirect } | ParameterExpr::ParameterLength { parameter, indirect } => {
                (Some(parameter), *indirect, vec![])
            }
            ParameterExpr::UseDefaultValues {
                parameter,
                indirect,
                default_value: word,
                ..
            }
            | ParameterExpr::AssignDefaultValues {
                parameter,
                indirect,
                default_value: word,
                ..
            }
            | ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect,
                error_message: word,
                ..
            }
            | ParameterExpr::UseAlternativeValue {
                parameter,
                indirect,
                alternative_value: word,
                ..
            }
            | ParameterExpr::RemoveSmallestSuffixPattern {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::RemoveLargestSuffixPattern {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::RemoveSmallestPrefixPattern {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::RemoveLargestPrefixPattern {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::UppercaseFirstChar {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::UppercasePattern {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::LowercaseFirstChar {
                parameter,
                indirect,
                pattern: word,
            }
            | ParameterExpr::LowercasePattern {
                parameter,
                indirect,
                pattern: word,
            } => (Some(parameter), *indirect, word.iter().map(String::as_str).collect()),
            ParameterExpr::ReplaceSubstring {
                parameter,
                indirect,
                pattern,
                replacement,
                ..
            } => (
                Some(parameter),
                *indirect,
                [Some(pattern.as_str()), replacement.as_deref()].into_iter().flatten().collect(),
            ),
            ParameterExpr::Substring {
                parameter,
                indirect,
                offset,
                length,
            } => {
                arithmetic_is_plain(&offset.value)?;
                if let Some(length) = length {
                    arithmetic_is_plain(&length.value)?;
                }
                (Some(parameter), *indirect, vec![])
            }
            ParameterExpr::Transform { .. } => return Err("a ${…@…} transformation is not analysed".into()),
            ParameterExpr::VariableNames { .. } | ParameterExpr::MemberKeys { .. } => (None, false, vec![]),
        };
        if indirect {
            return Err("an indirect expansion ${!…} is not analysed".into());
        }
        if let Some(Parameter::NamedWithIndex { index, .. }) = parameter {
            arithmetic_is_plain(index)?;
        }
        for word in words {
            self.word(word, depth + 1)?;
        }
        Ok(())
    }
}

/// Arithmetic we let through: numbers and operators only. Bash evaluates a variable named in
/// arithmetic recursively, array subscripts included, so `(( x ))` runs whatever `$(…)` a
/// value of `x` hides; we cannot see values, so arithmetic that names anything is refused.
fn arithmetic_is_plain(expr: &str) -> Result<(), String> {
    if expr
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-*/%()<>=!&|^~?:,".contains(c))
    {
        Ok(())
    } else {
        Err(format!("arithmetic on variables is not analysed: {}", expr.trim()))
    }
}

/// An assignment to `name` that decides which code runs (see [`super::programs`]).
fn variable_problem(name: &str) -> Option<Problem> {
    super::programs::runs_code(name).then(|| Problem::Variable(name.to_string()))
}

/// A crude, quote-blind count of how deep brackets and `if`/`case`/`do` nest: over
/// [`MAX_NESTING`] the parser is not asked (it recurses per level). Counting inside quotes too
/// only ever refuses more.
fn guard_nesting(text: &str) -> Result<(), String> {
    let mut depth: usize = 0;
    let mut deepest: usize = 0;
    let mut word = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        match word.as_str() {
            "if" | "case" | "do" => depth += 1,
            "fi" | "esac" | "done" => depth = depth.saturating_sub(1),
            _ => {}
        }
        word.clear();
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
        if deepest > MAX_NESTING {
            return Err("commands are nested too deeply".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().commands.into_iter().map(|c| c.words).collect()
    }

    fn w(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect()
    }

    #[test]
    fn lists_pipelines_and_groups_are_taken_apart() {
        assert_eq!(
            words("git status && cargo test || echo 'no luck'; ls | wc -l"),
            w(&[&["git", "status"], &["cargo", "test"], &["echo", "no luck"], &["ls"], &["wc", "-l"]])
        );
        assert_eq!(
            words("(cd sub && make) ; { echo a; echo b; }"),
            w(&[&["cd", "sub"], &["make"], &["echo", "a"], &["echo", "b"]])
        );
        assert_eq!(
            words("if test -f x; then cat x; elif true; then :; else rm x; fi"),
            w(&[&["test", "-f", "x"], &["cat", "x"], &["true"], &[":"], &["rm", "x"]])
        );
        assert_eq!(words("for f in a b; do rm \"$f\"; done"), w(&[&["rm", "$f"]]));
        assert_eq!(
            words("while read l; do echo $l; done < in.txt"),
            w(&[&["read", "l"], &["echo", "$l"], &[]])
        );
        assert_eq!(words("case $x in a) ls;; *) rm y;; esac"), w(&[&["ls"], &["rm", "y"]]));
        assert_eq!(words("time ls -l"), w(&[&["ls", "-l"]]));
        assert_eq!(words("! grep -q x f"), w(&[&["grep", "-q", "x", "f"]]));
        assert_eq!(words("sleep 1 & wait"), w(&[&["sleep", "1"], &["wait"]]));
    }

    #[test]
    fn substitutions_are_walked_into() {
        assert_eq!(words("echo $(rm -rf /)"), w(&[&["rm", "-rf", "/"], &["echo", "$(rm -rf /)"]]));
        assert_eq!(words("echo \"today: `date`\""), w(&[&["date"], &["echo", "today: `date`"]]));
        assert_eq!(
            words("echo `echo \\`whoami\\``"),
            w(&[&["whoami"], &["echo", "`whoami`"], &["echo", "`echo \\`whoami\\``"]])
        );
        assert_eq!(
            words("diff <(ls a) >(cat)"),
            w(&[&["ls", "a"], &["cat"], &["diff", "<(ls a)", ">(cat)"]])
        );
        assert_eq!(words("X=$(id -u) make"), w(&[&["id", "-u"], &["make"]]));
        assert_eq!(words("echo ${x:-$(uname)}"), w(&[&["uname"], &["echo", "${x:-$(uname)}"]]));
        assert_eq!(words("[[ -f $(which cargo) ]]"), w(&[&["which", "cargo"]]));
        assert_eq!(words("cat <<EOF\n$(hostname)\nEOF\n"), w(&[&["hostname"], &["cat"]]));
        assert_eq!(words("cat <<'EOF'\n$(hostname)\nEOF\n"), w(&[&["cat"]]));
        assert_eq!(words("cat <<< \"$(pwd)\""), w(&[&["pwd"], &["cat"]]));
    }

    #[test]
    fn words_are_unquoted() {
        assert_eq!(
            words(r#"git commit -m "fix: the \"bug\"" 'a b'c d\ e"#),
            w(&[&["git", "commit", "-m", "fix: the \"bug\"", "a bc", "d e"]])
        );
        assert_eq!(words("echo \"a\\b\" ~/x"), w(&[&["echo", "a\\b", "~/x"]]));
        assert_eq!(words("ls \\\n -l"), w(&[&["ls", "-l"]]));
    }

    #[test]
    fn redirections_are_kept_apart() {
        let script = parse("cat < in.txt > out.txt 2>&1 2>>err.log &> both >& also 2>/dev/null > \"$OUT\"").unwrap();
        let cat = &script.commands[0];
        assert_eq!(cat.words, vec!["cat"]);
        assert_eq!(cat.reads, vec![Target::Literal("in.txt".into())]);
        assert_eq!(
            cat.writes,
            vec![
                Target::Literal("out.txt".into()),
                Target::Literal("err.log".into()),
                Target::Literal("both".into()),
                Target::Literal("also".into()),
                Target::Literal("/dev/null".into()),
                Target::Expanded("$OUT".into()),
            ]
        );
        let group = parse("{ echo a; } > out.txt").unwrap();
        assert_eq!(group.commands[1].writes, vec![Target::Literal("out.txt".into())]);
        assert_eq!(group.commands[1].text, "> out.txt");
        let assignment = parse("FOO=bar").unwrap();
        assert_eq!(assignment.commands[0].assignments, vec!["FOO=bar"]);
        assert!(assignment.commands[0].words.is_empty());
        assert!(parse("cd x && ls").unwrap().changes_dir());
        assert!(!parse("ls x").unwrap().changes_dir());
    }

    #[test]
    fn what_is_not_analysed_is_an_error_or_a_problem() {
        for text in [
            "echo \"unterminated",
            "$(",
            "echo $((x + 1))",
            "(( i++ ))",
            "for ((i=0; i<3; i++)); do echo; done",
            "echo ${!name}",
            "echo ${x@P}",
            "echo ${a[$i]}",
            "echo ${x:$n}",
            "[[ $x -eq 1 ]]",
            "[[ -v 'a[$(id)]' ]]",
            "x='a[$(rm -rf ~)]'",
            "a[i]=1",
            "if true; then",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(parse("echo $((1 + 2)); (( 3 > 2 )); [[ 1 -lt 2 ]]; echo ${a[0]} ${#x} ${x%.rs}").is_ok());
        let problem = |text: &str| parse(text).unwrap().commands.into_iter().find_map(|c| c.problem);
        assert_eq!(problem("$CMD -rf /"), Some(Problem::NameNotLiteral("$CMD".into())));
        assert_eq!(problem("$(which rm) x"), Some(Problem::NameNotLiteral("$(which rm)".into())));
        assert_eq!(problem("/bin/r? x"), Some(Problem::NameNotLiteral("/bin/r?".into())));
        assert_eq!(problem("{rm,-rf,/}"), Some(Problem::NameNotLiteral("{rm,-rf,/}".into())));
        assert_eq!(problem("f() { rm -rf /; }"), Some(Problem::Function("f".into())));
        assert_eq!(problem("PATH=/tmp ls"), Some(Problem::Variable("PATH".into())));
        assert_eq!(problem("export LD_PRELOAD=/tmp/x.so"), Some(Problem::Variable("LD_PRELOAD".into())));
        assert_eq!(problem("for PATH in /tmp; do ls; done"), Some(Problem::Variable("PATH".into())));
        assert_eq!(problem("'ls' -l"), None);
    }

    #[test]
    fn hostile_sizes_are_refused_without_overflowing() {
        assert!(parse(&"x".repeat(MAX_COMMAND_BYTES + 1)).is_err());
        assert!(parse(&format!("{}true{}", "if true; then ".repeat(200), "; fi".repeat(200))).is_err());
        assert!(parse(&format!("{}true{}", "{ ".repeat(200), "; }".repeat(200))).is_err());
        assert!(parse(&format!("{}true{}", "echo $(".repeat(200), ")".repeat(200))).is_err());
        assert!(parse(&format!("{}true{}", "echo $(".repeat(20), ")".repeat(20))).is_err());
        assert!(parse(&format!("{}true{}", "echo $(".repeat(10), ")".repeat(10))).is_ok());
        assert!(parse(&format!("true{}", " && true".repeat(5000))).is_ok());
    }

    #[test]
    fn rule_words_are_one_simple_command() {
        assert_eq!(rule_words("git commit -m \"a b\"").unwrap(), vec!["git", "commit", "-m", "a b"]);
        assert_eq!(rule_words("[").unwrap(), vec!["["]);
        for bad in ["a && b", "a | b", "a; b", "a > f", "X=1", "echo $(x)", "echo \"x"] {
            assert!(rule_words(bad).is_err(), "{bad}");
        }
    }
}
