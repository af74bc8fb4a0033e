//! Telegram's 4096-character limit for HTML text. Telegram counts the text after parsing (tags
//! removed, entities decoded) in UTF-16 code units; a long text is cut at line boundaries into
//! several messages, closing the tags open at a cut and opening them again in the next part.

/// Telegram's limit for a message's text.
pub const MESSAGE_LIMIT: usize = 4096;

/// One piece of HTML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom<'a> {
    Open {
        name: &'a str,
        tag: &'a str,
    },
    Close {
        name: &'a str,
        tag: &'a str,
    },
    /// Text (an entity such as `&amp;` is one piece counting as one unit).
    Text {
        text: &'a str,
        units: usize,
    },
    Newline,
}

impl Atom<'_> {
    fn units(&self) -> usize {
        match self {
            Atom::Text { units, .. } => *units,
            Atom::Newline => 1,
            _ => 0,
        }
    }

    fn text(&self) -> &str {
        match self {
            Atom::Open { tag, .. } | Atom::Close { tag, .. } => tag,
            Atom::Text { text, .. } => text,
            Atom::Newline => "\n",
        }
    }
}

fn tag_name(tag: &str) -> &str {
    let inner = tag.trim_start_matches('<').trim_start_matches('/');
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(inner.len());
    &inner[..end]
}

fn atoms(html: &str) -> Vec<Atom<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let (atom, len) = match c {
            '<' => {
                let len = rest.find('>').map_or(rest.len(), |i| i + 1);
                let tag = &rest[..len];
                let name = tag_name(tag);
                if tag.starts_with("</") {
                    (Atom::Close { name, tag }, len)
                } else {
                    (Atom::Open { name, tag }, len)
                }
            }
            '&' => {
                let len = rest
                    .find(';')
                    .filter(|i| *i <= 10 && rest[1..*i].chars().all(|c| c.is_ascii_alphanumeric() || c == '#'))
                    .map_or(1, |i| i + 1);
                (
                    Atom::Text {
                        text: &rest[..len],
                        units: 1,
                    },
                    len,
                )
            }
            '\n' => (Atom::Newline, 1),
            c => (
                Atom::Text {
                    text: &rest[..c.len_utf8()],
                    units: c.len_utf16(),
                },
                c.len_utf8(),
            ),
        };
        out.push(atom);
        rest = &rest[len..];
    }
    out
}

/// The length Telegram counts for HTML text: tags left out, entities as one character, in
/// UTF-16 code units.
pub fn visible_len(html: &str) -> usize {
    atoms(html).iter().map(Atom::units).sum()
}

/// Cuts HTML text into parts of at most `limit` visible units, at line ends where possible, each
/// part well-formed (tags open at a cut are closed there and reopened after it).
pub fn split(html: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let atoms = atoms(html);
    let mut parts = Vec::new();
    let mut start = 0;
    let mut open_at_start: Vec<Atom> = Vec::new();
    let mut stack = open_at_start.clone();
    let mut units = 0;
    let mut last_line_end: Option<(usize, Vec<Atom>)> = None;
    let mut i = 0;
    while i < atoms.len() {
        let atom = atoms[i];
        if units + atom.units() > limit && i > start {
            let (cut, open_at_cut) = match last_line_end.take() {
                Some((at, open)) if at > start => (at, open),
                _ => (i, stack.clone()),
            };
            parts.push(part(&open_at_start, &atoms[start..cut], &open_at_cut));
            start = cut;
            open_at_start = open_at_cut;
            stack = open_at_start.clone();
            units = 0;
            i = start;
            continue;
        }
        match atom {
            Atom::Open { .. } => stack.push(atom),
            Atom::Close { name, .. } => {
                if let Some(pos) = stack.iter().rposition(|a| matches!(a, Atom::Open { name: n, .. } if *n == name)) {
                    stack.truncate(pos);
                }
            }
            _ => {}
        }
        units += atom.units();
        i += 1;
        if atom == Atom::Newline {
            last_line_end = Some((i, stack.clone()));
        }
    }
    if start < atoms.len() || parts.is_empty() {
        parts.push(part(&open_at_start, &atoms[start..], &stack));
    }
    parts.retain(|p| !p.trim().is_empty());
    if parts.is_empty() {
        parts.push(html.to_string());
    }
    parts
}

fn part(reopen: &[Atom], body: &[Atom], open_at_end: &[Atom]) -> String {
    let mut s: String = reopen.iter().map(Atom::text).collect();
    let mut body = body;
    while let Some((Atom::Newline, rest)) = body.split_last() {
        body = rest;
    }
    s.extend(body.iter().map(Atom::text));
    for open in open_at_end.iter().rev() {
        if let Atom::Open { name, .. } = open {
            s.push_str("</");
            s.push_str(name);
            s.push('>');
        }
    }
    s
}

/// Cuts `html` to at most `limit` visible units, ending with "…" when it had to cut.
pub fn truncate(html: &str, limit: usize) -> String {
    if visible_len(html) <= limit {
        return html.to_string();
    }
    let mut first = split(html, limit.saturating_sub(1).max(1)).into_iter().next().unwrap_or_default();
    first.push('…');
    first
}

/// `head`, cut to leave room, then `sep` and the whole of `tail`: one message whose end must
/// show (who decided, who resolved) even when what comes before it is long.
pub fn with_tail(head: &str, sep: &str, tail: &str) -> String {
    let room = MESSAGE_LIMIT.saturating_sub(visible_len(tail) + visible_len(sep));
    format!("{}{sep}{tail}", truncate(head, room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_telegram_shows_in_utf16() {
        assert_eq!(visible_len("<b>ab</b> &amp; c"), 6);
        assert_eq!(visible_len("🚨"), 2);
        assert_eq!(visible_len("é\n<a href=\"x\">y</a>"), 3);
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("hello\nworld", 4096), vec!["hello\nworld".to_string()]);
    }

    #[test]
    fn cuts_at_line_ends_and_keeps_every_line() {
        let lines: Vec<String> = (0..500).map(|i| format!("line {i:04} with some words")).collect();
        let text = lines.join("\n");
        let parts = split(&text, 4096);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(visible_len(p) <= 4096, "{}", visible_len(p));
            assert!(!p.starts_with('\n') && !p.ends_with('\n'));
        }
        let joined: Vec<String> = parts.iter().flat_map(|p| p.lines().map(str::to_string)).collect();
        assert_eq!(joined, lines);
    }

    #[test]
    fn tags_open_at_a_cut_are_closed_and_reopened() {
        let text = format!("<b>{}\n{}</b>\nend", "a".repeat(10), "b".repeat(10));
        let parts = split(&text, 15);
        assert_eq!(parts[0], format!("<b>{}</b>", "a".repeat(10)));
        assert_eq!(parts[1], format!("<b>{}</b>\nend", "b".repeat(10)));
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_inside_without_breaking_entities() {
        let text = "&amp;".repeat(30);
        let parts = split(&text, 8);
        assert_eq!(parts.len(), 4);
        assert!(parts.iter().all(|p| p.len() % 5 == 0 && visible_len(p) <= 8));
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("short", 10), "short");
        let t = truncate(&"x".repeat(20), 10);
        assert_eq!(visible_len(&t), 10);
        assert!(t.ends_with('…'));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any text cuts into parts within the limit, in order, losing nothing but white
            /// space (the breaks it was cut at, and parts that would be blank: Telegram refuses
            /// an empty message).
            #[test]
            fn plain_text_splits_within_the_limit_and_loses_nothing(text in "[a-zA-Zа-я0-9 .,\n]{0,600}", limit in 1usize..120) {
                let html = mc_domain::i18n::html_escape(&text);
                let parts = split(&html, limit);
                prop_assert!(!parts.is_empty());
                for part in &parts {
                    prop_assert!(visible_len(part) <= limit, "{} > {limit}: {part:?}", visible_len(part));
                }
                let kept: String = parts.concat().chars().filter(|c| !c.is_whitespace()).collect();
                let all: String = html.chars().filter(|c| !c.is_whitespace()).collect();
                prop_assert_eq!(kept, all);
            }

            /// Marked-up text never panics and every part is well formed (tags balanced).
            #[test]
            fn marked_up_text_splits_into_balanced_parts(words in prop::collection::vec(("[a-z ]{1,12}", 0u8..4), 0..40), limit in 4usize..80) {
                let html: String = words
                    .iter()
                    .map(|(w, tag)| match tag {
                        0 => format!("<b>{w}</b>"),
                        1 => format!("<i>{w}</i>\n"),
                        2 => format!("<code>{w}</code>"),
                        _ => w.clone(),
                    })
                    .collect();
                for part in split(&html, limit) {
                    for tag in ["b", "i", "code"] {
                        prop_assert_eq!(part.matches(&format!("<{tag}>")).count(), part.matches(&format!("</{tag}>")).count(), "{}", part);
                    }
                }
            }
        }
    }
}
