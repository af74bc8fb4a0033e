//! What some programs do that their rule cannot tell: run a shell or inline code (so the rule
//! that allows them would allow anything), wrap another command, write a file through a flag,
//! or take which code runs from a variable.
//!
//! Why these lists: a rule such as `Bash(timeout:*)` or `Bash(xargs:*)` reads as harmless and
//! is not once the wrapped word is `sh`; `GIT_EXTERNAL_DIFF=… git diff` runs any program under
//! a GREEN `git diff`. A call that hides code this way goes to a person, whatever the rules.
//! The lists are best effort; what they miss still meets the rules, and an unknown program is
//! RED there.

/// Shells: whatever they run, we cannot see it.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "rbash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "pdksh",
    "yash",
    "fish",
    "csh",
    "tcsh",
    "ash",
    "busybox",
    "pwsh",
    "powershell",
    "nu",
    "xonsh",
    "elvish",
];

/// Programs that run a string as code, source a file, or run as another user.
const ALWAYS: &[&str] = &[
    "eval", "exec", "source", ".", "trap", "sudo", "su", "doas", "pkexec", "runuser", "sg", "newgrp", "watch", "script", "irb",
];

/// Programs that run the command given in their arguments; a shell named anywhere among those
/// arguments is a bare shell (`xargs sh -c`, `env bash`, `find . -exec sh -c …`).
const WRAPPERS: &[&str] = &[
    "xargs",
    "env",
    "nohup",
    "timeout",
    "nice",
    "ionice",
    "chrt",
    "taskset",
    "time",
    "command",
    "builtin",
    "stdbuf",
    "setsid",
    "flock",
    "unbuffer",
    "strace",
    "ltrace",
    "nsenter",
    "unshare",
    "chroot",
    "find",
    "fd",
    "fdfind",
    "parallel",
    "sem",
    "entr",
    "caffeinate",
    "systemd-run",
    "npx",
    "bunx",
    "uvx",
    "pipx",
];

/// The program name without its directory: `/usr/bin/sudo` is `sudo`.
pub(crate) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The program that makes `words` a bare shell (a shell, inline code, another user), as the
/// card names it; `None` for an ordinary command.
pub(crate) fn bare_shell(words: &[String]) -> Option<String> {
    let first = words.first()?;
    let name = basename(first);
    if let Some(found) = runs_code_itself(name, &words[1..]) {
        return Some(found);
    }
    // `command -v x` looks a name up; it runs nothing.
    let lookup = name == "command" && words.get(1).is_some_and(|w| w == "-v" || w == "-V");
    if WRAPPERS.contains(&name) && !lookup {
        for (i, word) in words.iter().enumerate().skip(1) {
            // `.` among arguments is a directory (`find . -exec …`), not `source`.
            if word == "." {
                continue;
            }
            if let Some(found) = runs_code_itself(basename(word), &words[i + 1..]) {
                return Some(found);
            }
            // `env PATH=/tmp/x make`: the variable decides what runs.
            if name == "env" {
                if let Some((variable, _)) = word.split_once('=') {
                    if runs_code(variable) {
                        return Some(format!("env {variable}="));
                    }
                }
            }
        }
        if name == "env" && words.iter().skip(1).any(|w| w.starts_with("-S") || w.starts_with("--split-string")) {
            return Some("env -S".into());
        }
        if name == "flock" && words.iter().skip(1).any(|w| w == "-c" || w == "--command") {
            return Some("flock -c".into());
        }
    }
    None
}

/// `name` run with `args`: a shell, a code-running program, or an interpreter given code inline.
fn runs_code_itself(name: &str, args: &[String]) -> Option<String> {
    if SHELLS.contains(&name) || ALWAYS.contains(&name) {
        return Some(name.to_string());
    }
    // Options that name a program to run: `rg --pre`, `sort --compress-program`.
    for (program, option) in [("rg", "--pre"), ("sort", "--compress-program")] {
        if name == program && args.iter().any(|a| a == option || a.starts_with(&format!("{option}="))) {
            return Some(format!("{program} {option}"));
        }
    }
    inline_code(name, args)
}

/// The interpreters we know, by family.
#[derive(Clone, Copy, PartialEq)]
enum Interpreter {
    Python,
    Node,
    Perl,
    Ruby,
    Php,
    Lua,
    Deno,
    EvalFlag,
}

fn interpreter(name: &str) -> Option<Interpreter> {
    let versioned = |family: &str| {
        name.strip_prefix(family)
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    if versioned("python") || versioned("pypy") {
        return Some(Interpreter::Python);
    }
    match name {
        "node" | "nodejs" | "bun" => Some(Interpreter::Node),
        "perl" => Some(Interpreter::Perl),
        "ruby" => Some(Interpreter::Ruby),
        "php" => Some(Interpreter::Php),
        "lua" | "luajit" => Some(Interpreter::Lua),
        "deno" => Some(Interpreter::Deno),
        "Rscript" | "osascript" | "tclsh" | "wish" => Some(Interpreter::EvalFlag),
        _ => None,
    }
}

/// When an interpreter named `name` given `args` runs code that is not in a file (`-c`, `-e`,
/// `-` for standard input, or no script at all: a prompt), what the card names: the interpreter
/// and the flag.
fn inline_code(name: &str, args: &[String]) -> Option<String> {
    let kind = interpreter(name)?;
    let inline = |arg: &str| Some(format!("{name} {arg}"));
    if kind == Interpreter::Deno {
        return match args.first() {
            None => Some(name.to_string()),
            Some(a) if a == "eval" || a == "repl" => inline(a),
            Some(_) => None,
        };
    }
    let mut args = args.iter().take(64);
    while let Some(arg) = args.next() {
        if arg == "-" {
            return inline(arg);
        }
        if arg == "--" {
            return args.next().is_none().then(|| name.to_string());
        }
        let Some(flags) = arg.strip_prefix('-') else {
            // The script.
            return None;
        };
        match kind {
            Interpreter::Python => {
                if let Some(long) = flags.strip_prefix('-') {
                    if long == "command" {
                        return inline(arg);
                    }
                    continue;
                }
                // Flags cluster (`-Bc`); `-W`, `-X` and `-Q` take a value, joined or next.
                for (at, c) in flags.char_indices() {
                    match c {
                        'c' => return inline(arg),
                        // A module (`python -m pytest`): its code is in files.
                        'm' => return None,
                        'W' | 'X' | 'Q' => {
                            if at + 1 == flags.len() {
                                args.next();
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
            Interpreter::Node => {
                let flag = flags.split('=').next().unwrap_or(flags);
                if matches!(flag, "e" | "p" | "-eval" | "-print" | "pe" | "i" | "-interactive") {
                    return inline(arg);
                }
                if matches!(flag, "r" | "-require" | "-import" | "-loader" | "-experimental-loader") && !flags.contains('=') {
                    args.next();
                }
            }
            Interpreter::Perl | Interpreter::Ruby => {
                if flags.starts_with('-') {
                    continue;
                }
                // The flags that take a value (the rest of the cluster): perl's `-I`, `-M`, …;
                // ruby's `-I`, `-r`, `-C`, `-E` (an encoding, not code), ….
                let valued = if kind == Interpreter::Perl { "IMmxdDl0C" } else { "IrCEFKTWx" };
                let code = if kind == Interpreter::Perl { "eE" } else { "e" };
                for c in flags.chars() {
                    if code.contains(c) {
                        return inline(arg);
                    }
                    if valued.contains(c) {
                        break;
                    }
                }
            }
            Interpreter::Php => {
                if flags.starts_with('r') || flags.starts_with('a') || flags == "-run" {
                    return inline(arg);
                }
            }
            Interpreter::Lua | Interpreter::EvalFlag => {
                if flags.starts_with('e') || flags.starts_with('i') {
                    return inline(arg);
                }
            }
            Interpreter::Deno => {}
        }
    }
    // No script: code from standard input or a prompt.
    Some(name.to_string())
}

/// Programs that run another program named after them (`env X=1 cmd`, `timeout 60 cmd`,
/// `xargs cmd`): a rule naming only the wrapper would cover whatever follows it.
pub(crate) fn is_wrapper(program: &str) -> bool {
    matches!(
        basename(program),
        "nohup"
            | "time"
            | "nice"
            | "timeout"
            | "env"
            | "command"
            | "builtin"
            | "xargs"
            | "stdbuf"
            | "setsid"
            | "chrt"
            | "ionice"
            | "taskset"
    )
}

/// Commands that `words` stand for when a wrapper only changes how they run (`timeout 60 cargo
/// test` is `cargo test`), so rules can match what runs. Wrappers whose options we do not
/// know are left as they are (and then a rule must name them).
pub(crate) fn unwrap(words: &[String]) -> &[String] {
    let mut words = words;
    for _ in 0..8 {
        let Some(first) = words.first() else {
            break;
        };
        let arg = |i: usize| words.get(i).map(String::as_str);
        let skip = match first.as_str() {
            "nohup" => 1,
            "time" => 1 + words[1..].iter().take_while(|w| *w == "-p").count(),
            "nice" => match arg(1) {
                Some("-n") if arg(2).is_some_and(is_number) => 3,
                Some(a) if a.strip_prefix('-').is_some_and(is_number) || a.starts_with("--adjustment=") => 2,
                _ => 1,
            },
            "timeout" => {
                let mut i = 1;
                while let Some(a) = arg(i) {
                    match a {
                        "--preserve-status" | "--foreground" | "-v" | "--verbose" => i += 1,
                        "-k" | "-s" | "--kill-after" | "--signal" => i += 2,
                        a if a.starts_with("--kill-after=") || a.starts_with("--signal=") => i += 1,
                        _ => break,
                    }
                }
                if arg(i).is_some_and(is_duration) {
                    i + 1
                } else {
                    0
                }
            }
            "env" => {
                let assignments = words[1..].iter().take_while(|w| is_assignment(w)).count();
                if words.get(1 + assignments).is_some_and(|w| w.starts_with('-')) {
                    0
                } else {
                    1 + assignments
                }
            }
            // `command -v x` looks a name up; it runs nothing.
            "command" if !arg(1).is_some_and(|a| a.starts_with('-')) => 1,
            _ => 0,
        };
        if skip == 0 || skip >= words.len() {
            break;
        }
        words = &words[skip..];
    }
    words
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

fn is_duration(text: &str) -> bool {
    let number = text.trim_end_matches(['s', 'm', 'h', 'd']);
    !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether a variable decides which code runs: the search path, the dynamic loader, the
/// shell's start-up and prompt hooks, pagers and editors, interpreters' option and library
/// paths, git's and cargo's program hooks. Assigning one makes the command a bare shell.
pub(crate) fn runs_code(variable: &str) -> bool {
    const NAMES: &[&str] = &[
        "PATH",
        "BASH_ENV",
        "ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "HOME",
        "ZDOTDIR",
        "PAGER",
        "MANPAGER",
        "SYSTEMD_PAGER",
        "EDITOR",
        "VISUAL",
        "BROWSER",
        "SSH_ASKPASS",
        "SUDO_ASKPASS",
        "LESSOPEN",
        "LESSCLOSE",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PYTHONINSPECT",
        "NODE_OPTIONS",
        "NODE_PATH",
        "PERL5OPT",
        "PERL5LIB",
        "PERLLIB",
        "RUBYOPT",
        "RUBYLIB",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "RUSTC",
        "RUSTDOC",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CC",
        "CXX",
        "LD",
        "GOFLAGS",
        "XDG_CONFIG_HOME",
        "MAKEFLAGS",
        "MAKESHELL",
        "SHELL",
        "TAR_OPTIONS",
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
    ];
    const PREFIXES: &[&str] = &["LD_", "DYLD_", "GIT_", "CARGO_", "npm_config_", "NPM_CONFIG_"];
    const SUFFIXES: &[&str] = &["_RUNNER", "_WRAPPER", "_PAGER", "_EDITOR", "_ASKPASS", "_COMMAND"];
    NAMES.contains(&variable) || PREFIXES.iter().any(|p| variable.starts_with(p)) || SUFFIXES.iter().any(|s| variable.ends_with(s))
}

/// Whether `test` or `[` is asked whether an array element is set (`[ -v 'a[$(id)]' ]`): the
/// subscript is evaluated as arithmetic, which can run code (see `shell`).
pub(crate) fn evaluates_arithmetic(words: &[String]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    matches!(basename(first), "test" | "[")
        && words
            .windows(2)
            .any(|pair| matches!(pair[0].as_str(), "-v" | "-R") && pair[1].contains('['))
}

/// Files that a command of the shipped GREEN list writes through a flag rather than a
/// redirection (`sort -o out`, `git diff --output=out`, `tree -o out`, `uniq in out`): they are
/// judged as redirections are.
pub(crate) fn flag_writes(words: &[String]) -> Vec<String> {
    let Some(first) = words.first() else {
        return Vec::new();
    };
    let args = &words[1..];
    match basename(first) {
        "sort" | "tree" => values_of(args, Some("-o"), "--output"),
        "git" => values_of(args, None, "--output"),
        "uniq" => {
            let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with('-') || *a == "-").collect();
            positional.get(1).map(|output| vec![(*output).clone()]).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// The values given to a flag: `-o x`, `-ox`, `--output x`, `--output=x`.
fn values_of(args: &[String], short: Option<&str>, long: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if Some(arg) == short || arg == long {
            if let Some(value) = args.get(i + 1) {
                out.push(value.clone());
            }
            i += 1;
        } else if let Some(value) = arg.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            out.push(value.to_string());
        } else if let Some(value) = short.filter(|_| !arg.starts_with("--")).and_then(|s| arg.strip_prefix(s)) {
            if !value.is_empty() {
                out.push(value.to_string());
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn shells_interpreters_and_other_users_are_bare() {
        for (command, program) in [
            ("bash", "bash"),
            ("bash script.sh", "bash"),
            ("/bin/sh -c ls", "sh"),
            ("eval ls", "eval"),
            ("exec ls", "exec"),
            (". ./env.sh", "."),
            ("source x", "source"),
            ("sudo rm -rf /", "sudo"),
            ("su -c ls", "su"),
            ("doas ls", "doas"),
            ("python -c print(1)", "python -c"),
            ("python3", "python3"),
            ("python3.12 -", "python3.12 -"),
            ("python -Bc x", "python -Bc"),
            ("node -e x", "node -e"),
            ("node --eval=x", "node --eval=x"),
            ("node", "node"),
            ("perl -pe s/a/b/", "perl -pe"),
            ("perl -I/usr/share/perl5 -e x", "perl -e"),
            ("python -Xfrozen_modules=off -c x", "python -c"),
            ("irb", "irb"),
            ("ruby -e x", "ruby -e"),
            ("php -r x", "php -r"),
            ("deno eval x", "deno eval"),
            ("env bash -c x", "bash"),
            ("xargs sh -c x", "sh"),
            ("xargs -0 -I{} sh -c x", "sh"),
            ("timeout 5 python3 -c x", "python3 -c"),
            ("nice -n 5 sudo ls", "sudo"),
            ("find . -exec sh -c x ;", "sh"),
            ("command bash", "bash"),
            ("builtin eval x", "eval"),
            ("env PATH=/tmp make", "env PATH="),
            ("env -S x", "env -S"),
            ("rg --pre ./x pattern", "rg --pre"),
            ("sort --compress-program=./x big.txt", "sort --compress-program"),
            ("watch ls", "watch"),
        ] {
            assert_eq!(bare_shell(&words(command)).as_deref(), Some(program), "{command}");
        }
        for command in [
            "python script.py",
            "python -m pytest -x",
            "node app.js",
            "perl x.pl",
            "xargs rm",
            "timeout 5 cargo test",
            "env FOO=1 make",
            "ls",
            "rg x",
            "deno run x.ts",
            "find . -name x",
            "perl -I/usr/share/perl5 x.pl",
            "ruby -Eutf-8 x.rb",
            "command -v python3",
        ] {
            assert_eq!(bare_shell(&words(command)), None, "{command}");
        }
    }

    #[test]
    fn wrappers_that_only_change_how_a_command_runs_are_looked_through() {
        for (command, inner) in [
            ("timeout 60 cargo test", "cargo test"),
            ("timeout -k 5 --preserve-status 1m npm test", "npm test"),
            ("nohup nice -n 10 make test", "make test"),
            ("nice -5 ls", "ls"),
            ("env A=1 B=2 cargo build", "cargo build"),
            ("command ls", "ls"),
            ("time -p ls", "ls"),
            ("command -v ls", "command -v ls"),
            ("env -i ls", "env -i ls"),
            ("timeout --weird 5 ls", "timeout --weird 5 ls"),
            ("nohup", "nohup"),
            ("xargs ls", "xargs ls"),
        ] {
            assert_eq!(unwrap(&words(command)).join(" "), inner, "{command}");
        }
    }

    #[test]
    fn variables_that_choose_code_are_known() {
        for name in [
            "PATH",
            "LD_PRELOAD",
            "GIT_EXTERNAL_DIFF",
            "GIT_SSH_COMMAND",
            "PAGER",
            "CARGO_TARGET_X_RUNNER",
            "RUSTC_WRAPPER",
            "npm_config_script_shell",
            "BASH_ENV",
        ] {
            assert!(runs_code(name), "{name}");
        }
        for name in ["FOO", "RUST_LOG", "NODE_ENV", "DEBUG", "LANG"] {
            assert!(!runs_code(name), "{name}");
        }
    }

    #[test]
    fn flags_that_write_files_are_found() {
        assert_eq!(flag_writes(&words("sort -o out.txt in.txt")), vec!["out.txt"]);
        assert_eq!(flag_writes(&words("sort -oout.txt in.txt")), vec!["out.txt"]);
        assert_eq!(flag_writes(&words("sort --output=/etc/x in")), vec!["/etc/x"]);
        assert_eq!(flag_writes(&words("git diff --output /tmp/x")), vec!["/tmp/x"]);
        assert_eq!(flag_writes(&words("tree -o listing.txt")), vec!["listing.txt"]);
        assert_eq!(flag_writes(&words("uniq -c in.txt out.txt")), vec!["out.txt"]);
        assert!(flag_writes(&words("uniq in.txt")).is_empty());
        assert!(flag_writes(&words("sort in.txt")).is_empty());
        assert!(flag_writes(&words("git log --oneline")).is_empty());
    }
}
