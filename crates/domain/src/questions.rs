//! Questions agents ask humans: what a question may be (text, 2–8 short options, one or several
//! to choose) and what counts as an answer to it. Kept here, not in the adapters, so REST, MCP,
//! a Telegram button and a reply to the message are held to the same rules — the first answer
//! that passes them wins, anything else is refused before it changes anything.

use crate::i18n::Msg;
use crate::values::{optional_text, required_text, Invalid};

/// The longest question.
pub const MAX_QUESTION_CHARS: usize = 1_000;
/// The fewest and most options a question with options offers.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 8;
/// The longest option: it is a button's label.
pub const MAX_OPTION_CHARS: usize = 64;
/// The longest free-text answer.
pub const MAX_ANSWER_CHARS: usize = 4_000;

/// A question as it may be asked: its text trimmed, its options (if any) trimmed and distinct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub question: String,
    pub options: Option<Vec<String>>,
    pub multi_select: bool,
}

impl Asked {
    pub fn parse(question: &str, options: Option<&[String]>, multi_select: bool) -> Result<Asked, Invalid> {
        let question = required_text("question", question, MAX_QUESTION_CHARS)?;
        let options = options.map(parse_options).transpose()?;
        if multi_select && options.is_none() {
            return Err(Invalid::new("multiSelect", Msg::new("err-question-multi-without-options")));
        }
        Ok(Asked {
            question,
            options,
            multi_select,
        })
    }
}

fn parse_options(given: &[String]) -> Result<Vec<String>, Invalid> {
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&given.len()) {
        return Err(Invalid::new(
            "options",
            Msg::new("err-question-option-count")
                .count("min", MIN_OPTIONS as f64)
                .count("max", MAX_OPTIONS as f64)
                .count("got", given.len() as f64),
        ));
    }
    let mut options: Vec<String> = Vec::with_capacity(given.len());
    for option in given {
        let option = required_text("options", option, MAX_OPTION_CHARS)?;
        if options.iter().any(|o| o.to_lowercase() == option.to_lowercase()) {
            return Err(Invalid::new(
                "options",
                Msg::new("err-question-option-twice").with("option", &option),
            ));
        }
        options.push(option);
    }
    Ok(options)
}

/// An answer once checked against its question: free text, the chosen options, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub text: Option<String>,
    pub options: Option<Vec<String>>,
}

/// Checks an answer against what was asked: chosen options must be the question's own (in its
/// spelling, matched without regard to case), exactly one unless several may be chosen; a
/// question without options takes text; something must be given.
pub fn parse_answer(
    options: Option<&[String]>,
    multi_select: bool,
    text: Option<&str>,
    chosen: Option<&[String]>,
) -> Result<Given, Invalid> {
    let text = text.map(|t| optional_text("text", t, MAX_ANSWER_CHARS)).transpose()?.flatten();
    let chosen = match chosen.filter(|c| !c.is_empty()) {
        None => None,
        Some(chosen) => {
            let Some(offered) = options else {
                return Err(Invalid::new("options", Msg::new("err-answer-no-options")));
            };
            let mut picked: Vec<String> = Vec::with_capacity(chosen.len());
            for c in chosen {
                let Some(found) = offered.iter().find(|o| o.to_lowercase() == c.trim().to_lowercase()) else {
                    return Err(Invalid::new(
                        "options",
                        Msg::new("err-answer-unknown-option")
                            .with("option", c.trim())
                            .with("options", offered.join(", ")),
                    ));
                };
                if !picked.contains(found) {
                    picked.push(found.clone());
                }
            }
            if !multi_select && picked.len() != 1 {
                return Err(Invalid::new("options", Msg::new("err-answer-one-option")));
            }
            // In the question's order, whatever order they were given in.
            picked.sort_by_key(|p| offered.iter().position(|o| o == p));
            Some(picked)
        }
    };
    if text.is_none() && chosen.is_none() {
        return Err(Invalid::new("text", Msg::new("err-answer-empty")));
    }
    Ok(Given { text, options: chosen })
}

/// A reply in the chat to a question with options: the options it names — the one option, or
/// for a multi-select question options separated by commas — when it names nothing else; None
/// when it is free text (kept as the answer's text).
pub fn reply_choice(options: Option<&[String]>, multi_select: bool, reply: &str) -> Option<Vec<String>> {
    let offered = options?;
    let find = |part: &str| offered.iter().find(|o| o.to_lowercase() == part.trim().to_lowercase()).cloned();
    if let Some(one) = find(reply) {
        return Some(vec![one]);
    }
    if !multi_select {
        return None;
    }
    reply.split(',').map(find).collect::<Option<Vec<String>>>()
}

/// A multi-select question's picks after one click on its option `index`: added when it was not
/// picked, taken away when it was, kept in the question's order. Only a multi-select question
/// is answered this way (one click answers a single-choice question).
pub fn toggle_pick(options: Option<&[String]>, multi_select: bool, picked: &[String], index: usize) -> Result<Vec<String>, Invalid> {
    let Some(offered) = options.filter(|_| multi_select) else {
        return Err(Invalid::new("options", Msg::new("err-question-not-multi")));
    };
    let Some(clicked) = offered.get(index) else {
        return Err(Invalid::new(
            "options",
            Msg::new("err-answer-unknown-option")
                .with("option", (index + 1).to_string())
                .with("options", offered.join(", ")),
        ));
    };
    let now_picked = !picked.contains(clicked);
    Ok(offered
        .iter()
        .filter(|o| if *o == clicked { now_picked } else { picked.contains(o) })
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_question_is_text_with_two_to_eight_short_distinct_options() {
        let asked = Asked::parse("  Which colour?  ", Some(&opts(&[" red ", "blue", "green"])), false).unwrap();
        assert_eq!(asked.question, "Which colour?");
        assert_eq!(asked.options, Some(opts(&["red", "blue", "green"])));
        assert!(Asked::parse("Anything to add?", None, false).unwrap().options.is_none());
        let field = |r: Result<Asked, Invalid>| r.unwrap_err().field;
        assert_eq!(field(Asked::parse("  ", None, false)), "question");
        assert_eq!(field(Asked::parse(&"q".repeat(1001), None, false)), "question");
        assert!(Asked::parse(&"q".repeat(1000), None, false).is_ok());
        assert_eq!(field(Asked::parse("q", Some(&opts(&["one"])), false)), "options");
        assert_eq!(
            field(Asked::parse(
                "q",
                Some(&opts(&["1", "2", "3", "4", "5", "6", "7", "8", "9"])),
                false
            )),
            "options"
        );
        assert!(Asked::parse("q", Some(&opts(&["1", "2", "3", "4", "5", "6", "7", "8"])), false).is_ok());
        assert_eq!(field(Asked::parse("q", Some(&opts(&["a", &"x".repeat(65)])), false)), "options");
        assert!(Asked::parse("q", Some(&opts(&["a", &"x".repeat(64)])), false).is_ok());
        assert_eq!(field(Asked::parse("q", Some(&opts(&["a", " "])), false)), "options");
        assert_eq!(field(Asked::parse("q", Some(&opts(&["Yes", "yes"])), false)), "options");
        assert_eq!(field(Asked::parse("q", None, true)), "multiSelect");
    }

    #[test]
    fn an_answer_is_one_of_the_options_or_several_where_allowed_or_text() {
        let offered = opts(&["Red", "Blue", "Green"]);
        let one = parse_answer(Some(&offered), false, None, Some(&opts(&["blue"]))).unwrap();
        assert_eq!(one.options, Some(opts(&["Blue"])));
        let field = |r: Result<Given, Invalid>| r.unwrap_err().field;
        assert_eq!(
            field(parse_answer(Some(&offered), false, None, Some(&opts(&["Red", "Blue"])))),
            "options"
        );
        let several = parse_answer(Some(&offered), true, None, Some(&opts(&["Green", "Red", "red"]))).unwrap();
        assert_eq!(several.options, Some(opts(&["Red", "Green"])));
        assert_eq!(
            field(parse_answer(Some(&offered), false, None, Some(&opts(&["Purple"])))),
            "options"
        );
        assert_eq!(field(parse_answer(None, false, None, Some(&opts(&["Red"])))), "options");
        assert_eq!(field(parse_answer(None, false, Some("  "), None)), "text");
        assert_eq!(field(parse_answer(Some(&offered), false, None, Some(&[]))), "text");
        let text = parse_answer(None, false, Some(" ship it "), None).unwrap();
        assert_eq!(text.text.as_deref(), Some("ship it"));
        assert_eq!(field(parse_answer(None, false, Some(&"x".repeat(4001)), None)), "text");
    }

    #[test]
    fn a_click_toggles_one_option_of_a_multi_select_question() {
        let offered = opts(&["Red", "Blue", "Green"]);
        let picked = toggle_pick(Some(&offered), true, &[], 2).unwrap();
        assert_eq!(picked, opts(&["Green"]));
        let picked = toggle_pick(Some(&offered), true, &picked, 0).unwrap();
        assert_eq!(picked, opts(&["Red", "Green"]), "in the question's order");
        assert_eq!(toggle_pick(Some(&offered), true, &picked, 2).unwrap(), opts(&["Red"]));
        assert_eq!(toggle_pick(Some(&offered), true, &picked, 3).unwrap_err().field, "options");
        assert_eq!(toggle_pick(Some(&offered), false, &[], 0).unwrap_err().field, "options");
        assert_eq!(toggle_pick(None, false, &[], 0).unwrap_err().field, "options");
    }

    #[test]
    fn a_reply_naming_options_chooses_them_and_anything_else_is_text() {
        let offered = opts(&["Red", "Blue", "Green, light"]);
        assert_eq!(reply_choice(Some(&offered), false, " blue "), Some(opts(&["Blue"])));
        assert_eq!(reply_choice(Some(&offered), false, "Red, Blue"), None);
        assert_eq!(reply_choice(Some(&offered), true, "red, blue"), Some(opts(&["Red", "Blue"])));
        assert_eq!(reply_choice(Some(&offered), true, "Green, light"), Some(opts(&["Green, light"])));
        assert_eq!(reply_choice(Some(&offered), true, "red and blue"), None);
        assert_eq!(reply_choice(None, false, "Red"), None);
    }
}
