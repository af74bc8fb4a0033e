//! The commands (names fixed by the spec) and how a message names one. A message is read into
//! a [`Command`] once, here; everything after matches on the enum, so a misspelt name is a
//! compile error rather than a command that silently answers with its usage.

/// Declares the commands: the enum, the list in menu order, and each one's name and message ids.
macro_rules! commands {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// A command of this bot. Each has a description (`bot-cmd-<name>`) and a usage line
        /// (`bot-usage-<name>`) in every language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Command { $($variant),+ }

        /// Every command, in the order `/help` and the command menu list them.
        pub const COMMANDS: &[Command] = &[$(Command::$variant),+];

        impl Command {
            /// The name as typed after `/` (lowercase).
            pub fn as_str(self) -> &'static str {
                match self { $(Command::$variant => $name),+ }
            }

            /// The command a (lowercase) name names, if any.
            pub fn from_name(name: &str) -> Option<Command> {
                match name { $($name => Some(Command::$variant),)+ _ => None }
            }

            /// Its description in the command menu and `/help` (a message id).
            pub fn description_id(self) -> &'static str {
                match self { $(Command::$variant => concat!("bot-cmd-", $name)),+ }
            }

            /// Its usage line (a message id).
            pub fn usage_id(self) -> &'static str {
                match self { $(Command::$variant => concat!("bot-usage-", $name)),+ }
            }
        }
    };
}

commands! {
    Start => "start",
    Help => "help",
    Whoami => "whoami",
    Status => "status",
    Standup => "standup",
    Burnrate => "burnrate",
    Costs => "costs",
    Agents => "agents",
    Agent => "agent",
    Tasks => "tasks",
    Inbox => "inbox",
    Task => "task",
    NewTask => "newtask",
    Assign => "assign",
    Move => "move",
    Approvals => "approvals",
    Approve => "approve",
    Deny => "deny",
    Edit => "edit",
    Changes => "changes",
    Alerts => "alerts",
    Pause => "pause",
    Resume => "resume",
    Quarantine => "quarantine",
    Release => "release",
    Budget => "budget",
    PauseSquad => "pause_squad",
    ResumeSquad => "resume_squad",
    Policy => "policy",
    Projects => "projects",
    Switch => "switch",
    Bind => "bind",
    Grant => "grant",
    Revoke => "revoke",
    Grants => "grants",
    Questions => "questions",
    Tokens => "tokens",
    RevokeToken => "revoke_token",
    Lang => "lang",
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a typed command names: one of ours, or a name we do not know (maybe another bot's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Known(Command),
    /// Lowercase, without `/` and `@bot`.
    Unknown(String),
}

/// A command as typed: what it names and the rest of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed<'a> {
    pub named: Named,
    pub args: &'a str,
    /// `/name@bot` named this bot explicitly.
    pub addressed: bool,
}

/// The command in `text`, if it starts with one meant for this bot (`/cmd` or `/cmd@bot`; a
/// command addressed to another bot is not ours). Names are case-insensitive.
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
    let name = name.to_ascii_lowercase();
    Some(Typed {
        named: match Command::from_name(&name) {
            Some(command) => Named::Known(command),
            None => Named::Unknown(name),
        },
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
        assert_eq!(
            (c.named, c.args, c.addressed),
            (Named::Known(Command::Move), "12 review looks done", false)
        );
        let c = parse("/Status@MC_bot", "mc_bot").unwrap();
        assert_eq!((c.named, c.args, c.addressed), (Named::Known(Command::Status), "", true));
        assert!(parse("/status@other_bot", "mc_bot").is_none(), "another bot's command");
        assert!(parse("hello /status", "mc_bot").is_none());
        assert!(parse("/", "mc_bot").is_none());
        assert_eq!(parse("/PAUSE_squad", "mc_bot").unwrap().named, Named::Known(Command::PauseSquad));
        assert_eq!(parse("/Frobnicate", "mc_bot").unwrap().named, Named::Unknown("frobnicate".into()));
    }

    #[test]
    fn command_names_are_valid_for_telegram_and_name_their_messages() {
        for command in COMMANDS {
            let name = command.as_str();
            assert!(
                name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert_eq!(Command::from_name(name), Some(*command));
            assert_eq!(command.to_string(), name);
            assert_eq!(command.description_id(), format!("bot-cmd-{name}"));
            assert_eq!(command.usage_id(), format!("bot-usage-{name}"));
        }
        assert_eq!(
            COMMANDS.len(),
            39,
            "the spec's list, /tokens and /revoke_token, the permission layer's /edit and /grants, /questions, /changes and /costs"
        );
    }

    #[test]
    fn first_word_splits() {
        assert_eq!(first_word("  12   review  now "), ("12", "review  now"));
        assert_eq!(first_word("Scout"), ("Scout", ""));
        assert_eq!(first_word(""), ("", ""));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever a person types, reading it as a command never panics, and what it names
            /// is lowercase and bounded.
            #[test]
            fn any_text_parses_without_panicking(text in "\\PC{0,200}", bot in "[a-z_]{1,20}") {
                if let Some(typed) = parse(&text, &bot) {
                    if let Named::Unknown(name) = &typed.named {
                        prop_assert!(name.len() <= 32);
                        prop_assert_eq!(name.to_ascii_lowercase(), name.clone());
                    }
                    prop_assert!(text.contains(typed.args));
                }
            }

            /// Every command, however cased and addressed, reads back as itself with its arguments.
            #[test]
            fn every_command_round_trips(i in 0..COMMANDS.len(), upper in any::<bool>(), args in "[a-z0-9 ]{0,40}") {
                let command = COMMANDS[i];
                let name = if upper { command.as_str().to_ascii_uppercase() } else { command.as_str().to_string() };
                let text = format!("/{name}@mc_bot {args}");
                let typed = parse(&text, "mc_bot").expect("a command");
                prop_assert_eq!(typed.named, Named::Known(command));
                prop_assert!(typed.addressed);
                prop_assert_eq!(typed.args.trim(), args.trim());
            }
        }
    }
}
