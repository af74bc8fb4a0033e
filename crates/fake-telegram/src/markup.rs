//! Text as Telegram reads it: `parse_mode` (HTML, MarkdownV2) turned into plain text plus entities,
//! refusing what Telegram refuses ("can't parse entities"), and `bot_command` entities for user text.
//! Offsets and lengths are in UTF-16 code units, as in the Bot API.

use serde_json::{json, Value};

/// Plain text and its entities.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub text: String,
    pub entities: Vec<Value>,
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Applies `parse_mode`; `Err` holds the full error description.
pub fn parse(text: &str, parse_mode: Option<&str>) -> Result<Parsed, String> {
    let r = match parse_mode {
        Some("HTML") => parse_html(text),
        Some("MarkdownV2") => parse_markdown_v2(text),
        Some("Markdown") | None => Ok(Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        }),
        Some(other) => return Err(format!("Bad Request: unsupported parse_mode \"{other}\"")),
    };
    r.map_err(|e| format!("Bad Request: can't parse entities: {e}"))
}

/// `bot_command` entities for a user's text: `/cmd` or `/cmd@bot` at the start of the text.
pub fn command_entities(text: &str) -> Vec<Value> {
    if !text.starts_with('/') {
        return Vec::new();
    }
    let cmd: String = text.chars().take_while(|c| !c.is_whitespace()).collect();
    if cmd.len() < 2 {
        return Vec::new();
    }
    vec![json!({"type": "bot_command", "offset": 0, "length": utf16_len(&cmd)})]
}

struct Open {
    tag: String,
    start: usize,
    byte: usize,
    attr: Option<String>,
}

fn parse_html(src: &str) -> Result<Parsed, String> {
    let mut out = String::new();
    let mut entities = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i..].chars().next().unwrap_or('\0');
        match c {
            '<' => {
                let Some(rel_end) = src[i..].find('>') else {
                    return Err(format!("Unclosed start tag at byte offset {i}"));
                };
                let inner = &src[i + 1..i + rel_end];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    let Some(open) = stack.pop() else {
                        return Err(format!("Unexpected end tag at byte offset {i}"));
                    };
                    if !name.is_empty() && name != open.tag {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{}>\", found \"</{name}>\"",
                            open.tag
                        ));
                    }
                    if let Some(e) = html_entity(&open, utf16_len(&out) - open.start) {
                        entities.push(e);
                    }
                } else {
                    let name: String = inner
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect::<String>()
                        .to_ascii_lowercase();
                    let attrs = &inner[name.len()..];
                    const TAGS: [&str; 16] = [
                        "b",
                        "strong",
                        "i",
                        "em",
                        "u",
                        "ins",
                        "s",
                        "strike",
                        "del",
                        "span",
                        "tg-spoiler",
                        "a",
                        "tg-emoji",
                        "code",
                        "pre",
                        "blockquote",
                    ];
                    if !TAGS.contains(&name.as_str()) {
                        return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                    }
                    let attr = attribute(attrs);
                    if name == "span" && attr.as_deref() != Some("tg-spoiler") {
                        return Err(format!("Tag \"span\" must have class \"tg-spoiler\" at byte offset {i}"));
                    }
                    stack.push(Open {
                        tag: name,
                        start: utf16_len(&out),
                        byte: i,
                        attr,
                    });
                }
                i += rel_end + 1;
            }
            '&' => {
                let rest = &src[i..];
                let decoded = rest
                    .find(';')
                    .filter(|n| *n <= 10)
                    .and_then(|n| decode_entity(&rest[1..n]).map(|ch| (ch, n)));
                match decoded {
                    Some((ch, n)) => {
                        out.push(ch);
                        i += n + 1;
                    }
                    None => {
                        out.push('&');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\" at byte offset {}",
            open.tag, open.byte
        ));
    }
    Ok(Parsed { text: out, entities })
}

fn attribute(attrs: &str) -> Option<String> {
    let eq = attrs.find('=')?;
    let v = attrs[eq + 1..].trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.split('"').next())
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.split('\'').next()))
        .unwrap_or(v);
    Some(v.replace("&amp;", "&"))
}

fn html_entity(open: &Open, len: usize) -> Option<Value> {
    let kind = match open.tag.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "span" | "tg-spoiler" => "spoiler",
        "code" => "code",
        "pre" => "pre",
        "blockquote" => "blockquote",
        "a" => {
            let url = open.attr.clone().unwrap_or_default();
            return Some(json!({"type": "text_link", "offset": open.start, "length": len, "url": url}));
        }
        "tg-emoji" => {
            return Some(
                json!({"type": "custom_emoji", "offset": open.start, "length": len, "custom_emoji_id": open.attr.clone().unwrap_or_default()}),
            )
        }
        _ => return None,
    };
    (len > 0).then(|| json!({"type": kind, "offset": open.start, "length": len}))
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

fn md_kind(marker: &str) -> &'static str {
    match marker {
        "*" => "bold",
        "_" => "italic",
        "__" => "underline",
        "~" => "strikethrough",
        "||" => "spoiler",
        "`" => "code",
        "```" => "pre",
        _ => "text_link",
    }
}

fn parse_markdown_v2(src: &str) -> Result<Parsed, String> {
    let mut out = String::new();
    let mut entities = Vec::new();
    let mut stack: Vec<(String, usize, usize)> = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut k = 0;
    let at = |k: usize| chars.get(k).map(|(_, c)| *c);
    while k < chars.len() {
        let (byte, c) = chars[k];
        let in_code = stack.last().is_some_and(|(m, _, _)| m == "`" || m == "```");
        if c == '\\' {
            match at(k + 1) {
                Some(next) => {
                    out.push(next);
                    k += 2;
                }
                None => {
                    return Err(format!(
                        "Character '\\' is reserved and must be escaped with the preceding '\\' at byte offset {byte}"
                    ))
                }
            }
            continue;
        }
        if in_code && c != '`' {
            out.push(c);
            k += 1;
            continue;
        }
        let marker: Option<String> = match c {
            '*' | '~' => Some(c.to_string()),
            '_' if at(k + 1) == Some('_') => Some("__".into()),
            '_' => Some("_".into()),
            '|' if at(k + 1) == Some('|') => Some("||".into()),
            '`' if at(k + 1) == Some('`') && at(k + 2) == Some('`') => Some("```".into()),
            '`' => Some("`".into()),
            _ => None,
        };
        if let Some(marker) = marker {
            k += marker.chars().count();
            let start = utf16_len(&out);
            if stack.last().is_some_and(|(m, _, _)| *m == marker) {
                let (_, s, _) = stack.pop().unwrap_or_default();
                if start > s {
                    entities.push(json!({"type": md_kind(&marker), "offset": s, "length": start - s}));
                }
            } else {
                if marker == "```" {
                    // The language name runs to the end of the line.
                    while at(k).is_some_and(|c| c != '\n') {
                        k += 1;
                    }
                    k += 1;
                }
                stack.push((marker, utf16_len(&out), byte));
            }
            continue;
        }
        match c {
            '[' => {
                stack.push(("[".into(), utf16_len(&out), byte));
                k += 1;
            }
            '!' if at(k + 1) == Some('[') => {
                stack.push(("[".into(), utf16_len(&out), byte));
                k += 2;
            }
            ']' if stack.last().is_some_and(|(m, _, _)| m == "[") => {
                let (_, s, _) = stack.pop().unwrap_or_default();
                if at(k + 1) != Some('(') {
                    return Err(format!(
                        "Character ']' is reserved and must be escaped with the preceding '\\' at byte offset {byte}"
                    ));
                }
                let mut url = String::new();
                k += 2;
                loop {
                    match at(k) {
                        None => return Err(format!("Can't find end of a URL at byte offset {byte}")),
                        Some(')') => break,
                        Some('\\') => {
                            if let Some(n) = at(k + 1) {
                                url.push(n);
                            }
                            k += 2;
                        }
                        Some(ch) => {
                            url.push(ch);
                            k += 1;
                        }
                    }
                }
                k += 1;
                entities.push(json!({"type": "text_link", "offset": s, "length": utf16_len(&out) - s, "url": url}));
            }
            '>' if byte == 0 || src.as_bytes()[byte - 1] == b'\n' => {
                // Blockquote marker at the start of a line.
                k += 1;
            }
            ']' | '(' | ')' | '>' | '#' | '+' | '-' | '=' | '|' | '{' | '}' | '.' | '!' => {
                return Err(format!("Character '{c}' is reserved and must be escaped with the preceding '\\'"));
            }
            _ => {
                out.push(c);
                k += 1;
            }
        }
    }
    if let Some((marker, _, byte)) = stack.pop() {
        let name = match md_kind(&marker) {
            "text_link" => "TextUrl",
            "bold" => "Bold",
            "italic" => "Italic",
            "underline" => "Underline",
            "strikethrough" => "Strikethrough",
            "spoiler" => "Spoiler",
            "code" => "Code",
            _ => "Pre",
        };
        return Err(format!("Can't find end of {name} entity at byte offset {byte}"));
    }
    Ok(Parsed { text: out, entities })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_parsed_and_checked() {
        let p = parse(
            "<b>Task</b> 5 &lt; 6 &amp; <a href=\"https://x.y/?a=1&amp;b=2\">link</a> R&D",
            Some("HTML"),
        )
        .unwrap();
        assert_eq!(p.text, "Task 5 < 6 & link R&D");
        assert_eq!(p.entities[0], json!({"type": "bold", "offset": 0, "length": 4}));
        assert_eq!(p.entities[1]["url"], "https://x.y/?a=1&b=2");
        for bad in ["a < b", "<br>", "<b>open", "<b><i>x</b></i>", "x</b>"] {
            let e = parse(bad, Some("HTML")).unwrap_err();
            assert!(e.starts_with("Bad Request: can't parse entities: "), "{bad}: {e}");
        }
    }

    #[test]
    fn markdown_v2_is_parsed_and_checked() {
        let p = parse("*bold* _it_ __u__ `a.b` [x](https://e.com/a\\)b) 1\\.5", Some("MarkdownV2")).unwrap();
        assert_eq!(p.text, "bold it u a.b x 1.5");
        assert_eq!(p.entities.len(), 5);
        let e = parse("Done.", Some("MarkdownV2")).unwrap_err();
        assert_eq!(
            e,
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
        );
        assert!(parse("*open", Some("MarkdownV2")).is_err());
        assert!(parse("```rust\nlet x = 1.0;\n```", Some("MarkdownV2")).is_ok());
        assert!(parse("> quoted\nnext", Some("MarkdownV2")).is_ok());
    }

    #[test]
    fn plain_and_legacy_markdown_pass_through() {
        assert_eq!(parse("a < b. *x", None).unwrap().text, "a < b. *x");
        assert_eq!(parse("a < b", Some("Markdown")).unwrap().text, "a < b");
        assert!(parse("x", Some("html")).is_err());
    }

    #[test]
    fn commands_get_entities() {
        assert_eq!(
            command_entities("/status@bot now"),
            vec![json!({"type": "bot_command", "offset": 0, "length": 11})]
        );
        assert!(command_entities("hello /x").is_empty());
        assert!(command_entities("/").is_empty());
    }

    #[test]
    fn lengths_are_utf16() {
        assert_eq!(utf16_len("a😀"), 3);
    }
}
