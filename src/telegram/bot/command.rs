//! The command names (fixed by the spec) and how a message names one.

/// Every command, in the order `/help` and the command menu list them. Each has a description
/// (`bot-cmd-<name>`) and a usage line (`bot-usage-<name>`) in every language.
pub const COMMANDS: &[&str] = &[
    "start",
    "help",
    "whoami",
    "status",
    "standup",
    "burnrate",
    "agents",
    "agent",
    "tasks",
    "inbox",
    "task",
    "newtask",
    "assign",
    "move",
    "approvals",
    "approve",
    "deny",
    "alerts",
    "pause",
    "resume",
    "quarantine",
    "release",
    "budget",
    "pause_squad",
    "resume_squad",
    "policy",
    "projects",
    "switch",
    "bind",
    "grant",
    "revoke",
    "tokens",
    "revoke_token",
    "lang",
];

/// A command as typed: its name (lowercase, without `/` and `@bot`) and the rest of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed<'a> {
    pub name: String,
    pub args: &'a str,
    /// `/name@bot` named this bot explicitly.
    pub addressed: bool,
}

impl Typed<'_> {
    pub fn known(&self) -> bool {
        COMMANDS.contains(&self.name.as_str())
    }
}

/// The command in `text`, if it starts with one meant for this bot (`/cmd` or `/cmd@bot`; a
/// command addressed to another bot is not ours).
pub fn parse<'a>(text: &'a str, bot_username: &str) -> Option<Typed<'a>> {
    let text = text.trim_start();
    let rest = text.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (word, args) = rest.split_at(end);
    let (name, addressed) = match word.split_once('@') {
        Some((name, bot)) if bot.eq_ignore_ascii_case(bot_username) => (name, true),
        Some(_) => return None,
        None => (word, false),
    };
    if name.is_empty() || name.len() > 32 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(Typed {
        name: name.to_ascii_lowercase(),
        args: args.trim(),
        addressed,
    })
}

/// Splits off the first word of `args`.
pub fn first_word(args: &str) -> (&str, &str) {
    let args = args.trim();
    match args.find(char::is_whitespace) {
        Some(i) => (&args[..i], args[i..].trim()),
        None => (args, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_the_bot_name() {
        let c = parse("/move 12 review looks done", "mc_bot").unwrap();
        assert_eq!((c.name.as_str(), c.args, c.addressed), ("move", "12 review looks done", false));
        let c = parse("/Status@MC_bot", "mc_bot").unwrap();
        assert_eq!((c.name.as_str(), c.args, c.addressed), ("status", "", true));
        assert!(parse("/status@other_bot", "mc_bot").is_none(), "another bot's command");
        assert!(parse("hello /status", "mc_bot").is_none());
        assert!(parse("/", "mc_bot").is_none());
        assert!(parse("/pause_squad", "mc_bot").unwrap().known());
        assert!(!parse("/frobnicate", "mc_bot").unwrap().known());
    }

    #[test]
    fn command_names_are_valid_for_telegram() {
        for name in COMMANDS {
            assert!(
                name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
        assert_eq!(COMMANDS.len(), 34, "the spec's list, and /tokens and /revoke_token");
    }

    #[test]
    fn first_word_splits() {
        assert_eq!(first_word("  12   review  now "), ("12", "review  now"));
        assert_eq!(first_word("Scout"), ("Scout", ""));
        assert_eq!(first_word(""), ("", ""));
    }
}
