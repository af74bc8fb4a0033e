//! Claude Code's `AskUserQuestion` tool, governed through the hook bridge: the questions the
//! model asks its user become questions in the squad's chat, and the answers go back as the
//! tool's input expects them.
//!
//! The contract (`AskUserQuestionInput` in `@anthropic-ai/claude-agent-sdk`'s sdk-tools.d.ts):
//! `questions` holds one to four `{question, header, options: [{label, description, preview?}],
//! multiSelect}`; the permission layer answers by allowing the call with its input plus
//! `answers: {<question text>: <answer>}` — several chosen labels comma-separated — and
//! optional per-question `annotations: {<question text>: {notes}}`. The answers are keyed by the
//! question's own text, so two questions of one call may not share it.

use crate::i18n::Msg;
use crate::questions::{Asked, MAX_QUESTION_CHARS};
use crate::values::Invalid;
use serde_json::{Map, Value};

/// The tool's name in Claude Code.
pub const ASK_USER_QUESTION: &str = "AskUserQuestion";

/// Most questions one call asks (the tool's own bound).
pub const MAX_TOOL_QUESTIONS: usize = 4;

/// One question of a call: the text its answer is keyed by, and the question as the chat shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolQuestion {
    pub key: String,
    pub asked: Asked,
}

/// The questions of an `AskUserQuestion` call's input, each checked as any question is (the
/// chat shows the header, the question and each option's description; its buttons are the
/// labels). Anything else in the input is left as it is.
pub fn parse(input: &Value) -> Result<Vec<ToolQuestion>, Invalid> {
    let bad = |why: &str| Invalid::new("questions", Msg::new("err-tool-question").with("error", why));
    let list = input
        .get("questions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("`questions` must be a list"))?;
    if list.is_empty() || list.len() > MAX_TOOL_QUESTIONS {
        return Err(bad("one to four questions"));
    }
    let mut out: Vec<ToolQuestion> = Vec::with_capacity(list.len());
    for item in list {
        let key = item
            .get("question")
            .and_then(Value::as_str)
            .filter(|q| !q.trim().is_empty())
            .ok_or_else(|| bad("each question needs its `question` text"))?;
        if out.iter().any(|q| q.key == key) {
            return Err(bad("two questions with the same text (answers are keyed by it)"));
        }
        let header = item.get("header").and_then(Value::as_str).map(str::trim).unwrap_or("");
        let multi_select = match item.get("multiSelect") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("`multiSelect` must be true or false")),
        };
        let given = item
            .get("options")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("each question needs its `options`"))?;
        let mut labels = Vec::with_capacity(given.len());
        let mut described = Vec::with_capacity(given.len());
        for option in given {
            let label = option
                .get("label")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("each option needs its `label`"))?;
            labels.push(label.to_string());
            let description = option.get("description").and_then(Value::as_str).map(str::trim).unwrap_or("");
            described.push((label.trim(), description));
        }
        let shown = shown_text(header, key.trim(), &described);
        let asked = Asked::parse(&shown, Some(&labels), multi_select)?;
        out.push(ToolQuestion {
            key: key.to_string(),
            asked,
        });
    }
    Ok(out)
}

/// The question as the chat shows it: `header: question`, then each option with its
/// description, the descriptions shortened to fit a question's length.
fn shown_text(header: &str, question: &str, options: &[(&str, &str)]) -> String {
    let head = match header {
        "" => question.to_string(),
        header => format!("{header}: {question}"),
    };
    let with = |limit: usize| {
        let mut text = head.clone();
        for (label, description) in options.iter().filter(|(_, d)| !d.is_empty()) {
            let description: String = match description.chars().count() > limit {
                true => description.chars().take(limit.saturating_sub(1)).chain(['…']).collect(),
                false => description.to_string(),
            };
            text.push_str(&format!("\n• {label} — {description}"));
        }
        text
    };
    // Descriptions as long as the question's length allows; none when even short ones do not fit.
    for limit in [400, 200, 100, 50, 20] {
        let text = with(limit);
        if text.chars().count() <= MAX_QUESTION_CHARS {
            return text;
        }
    }
    head
}

/// One question's answer as the tool reads it: the chosen labels (comma-separated), or the
/// words a person wrote; words given with chosen labels are the question's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAnswerText {
    pub answer: String,
    pub notes: Option<String>,
}

impl ToolAnswerText {
    pub fn of(options: Option<&[String]>, text: Option<&str>) -> Self {
        match options.filter(|o| !o.is_empty()) {
            Some(chosen) => ToolAnswerText {
                answer: chosen.join(", "),
                notes: text.map(str::to_string),
            },
            None => ToolAnswerText {
                answer: text.unwrap_or_default().to_string(),
                notes: None,
            },
        }
    }
}

/// The call's input with the answers added (`answers`, and `annotations` where a person added
/// words to chosen options), in the order of `questions`.
pub fn answered_input(input: &Value, questions: &[ToolQuestion], answers: &[ToolAnswerText]) -> Value {
    let mut out = input.as_object().cloned().unwrap_or_default();
    let mut given = Map::new();
    let mut notes = Map::new();
    for (question, answer) in questions.iter().zip(answers) {
        given.insert(question.key.clone(), Value::String(answer.answer.clone()));
        if let Some(n) = &answer.notes {
            notes.insert(question.key.clone(), serde_json::json!({ "notes": n }));
        }
    }
    out.insert("answers".into(), Value::Object(given));
    if !notes.is_empty() {
        out.insert("annotations".into(), Value::Object(notes));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> Value {
        json!({
            "questions": [
                {
                    "question": "Which library should we use for date formatting?",
                    "header": "Library",
                    "options": [
                        {"label": "chrono", "description": "The usual choice; time zones through chrono-tz."},
                        {"label": "time", "description": "Smaller, const-friendly."}
                    ],
                    "multiSelect": false
                },
                {
                    "question": "Which features do you want to enable?",
                    "header": "Features",
                    "options": [
                        {"label": "serde", "description": ""},
                        {"label": "clock", "description": "Reads the system clock."},
                        {"label": "wasm", "description": "For the browser build.", "preview": "[features]"}
                    ],
                    "multiSelect": true
                }
            ],
            "metadata": {"source": "plan"}
        })
    }

    #[test]
    fn the_questions_of_a_call_are_asked_as_questions() {
        let asked = parse(&input()).unwrap();
        assert_eq!(asked.len(), 2);
        assert_eq!(asked[0].key, "Which library should we use for date formatting?");
        assert_eq!(
            asked[0].asked.question,
            "Library: Which library should we use for date formatting?\n• chrono — The usual choice; time zones through chrono-tz.\n• time — Smaller, const-friendly."
        );
        assert_eq!(
            asked[0].asked.options.as_deref(),
            Some(&["chrono".to_string(), "time".to_string()][..])
        );
        assert!(!asked[0].asked.multi_select && asked[1].asked.multi_select);
        assert!(!asked[1].asked.question.contains("serde —"), "{}", asked[1].asked.question);
    }

    #[test]
    fn a_malformed_call_is_refused_with_what_is_wrong() {
        let field = |v: Value| parse(&v).unwrap_err();
        assert_eq!(field(json!({})).field, "questions");
        assert_eq!(field(json!({"questions": []})).field, "questions");
        let mut five = input();
        let q = five["questions"][0].clone();
        five["questions"] = json!([q.clone(), q.clone(), q.clone(), q.clone(), q]);
        assert_eq!(field(five).field, "questions");
        let mut twice = input();
        twice["questions"][1]["question"] = twice["questions"][0]["question"].clone();
        assert_eq!(field(twice).field, "questions");
        let mut one_option = input();
        one_option["questions"][0]["options"] = json!([{"label": "only", "description": ""}]);
        assert_eq!(field(one_option).field, "options");
        let mut no_label = input();
        no_label["questions"][0]["options"][0] = json!({"description": "x"});
        assert_eq!(field(no_label).field, "questions");
        let mut not_bool = input();
        not_bool["questions"][0]["multiSelect"] = json!("yes");
        assert_eq!(field(not_bool).field, "questions");
    }

    #[test]
    fn long_descriptions_are_shortened_to_fit_a_question() {
        let mut long = input();
        long["questions"][0]["options"][0]["description"] = json!("d".repeat(900));
        let asked = parse(&long).unwrap();
        let text = &asked[0].asked.question;
        assert!(text.chars().count() <= MAX_QUESTION_CHARS, "{}", text.len());
        assert!(text.contains("• chrono — ddd") && text.contains('…'), "{text}");
    }

    #[test]
    fn answers_go_back_keyed_by_the_question_text_with_the_input_kept() {
        let questions = parse(&input()).unwrap();
        let answers = [
            ToolAnswerText::of(Some(&["chrono".to_string()]), None),
            ToolAnswerText::of(Some(&["serde".to_string(), "wasm".to_string()]), Some("wasm only for the demo")),
        ];
        let out = answered_input(&input(), &questions, &answers);
        assert_eq!(out["questions"], input()["questions"]);
        assert_eq!(out["metadata"], json!({"source": "plan"}));
        assert_eq!(
            out["answers"],
            json!({
                "Which library should we use for date formatting?": "chrono",
                "Which features do you want to enable?": "serde, wasm"
            })
        );
        assert_eq!(
            out["annotations"],
            json!({"Which features do you want to enable?": {"notes": "wasm only for the demo"}})
        );
        let words = ToolAnswerText::of(None, Some("neither: use jiff"));
        assert_eq!(words.answer, "neither: use jiff");
        assert!(answered_input(&input(), &questions[..1], &[words]).get("annotations").is_none());
    }
}
