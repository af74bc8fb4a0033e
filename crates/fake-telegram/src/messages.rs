//! Sending, editing and deleting messages.

use super::render;
use super::request::{parse_text, ApiError, FilePart, Req};
use super::state::{now_unix, Chat, FileInfo, Sender, State, StoredMessage};
use serde_json::{json, Value};

/// Where a message goes: `message_thread_id` (or the replied-to message's thread) must name a live
/// topic in a forum, or an existing message elsewhere.
pub(crate) fn resolve_thread(st: &State, chat: &Chat, thread: Option<i32>, reply_to: Option<i32>) -> Result<Option<i32>, ApiError> {
    let thread = thread.or_else(|| reply_to.and_then(|r| st.message(chat.id, r)).and_then(|m| m.thread_id));
    let Some(t) = thread else { return Ok(None) };
    if chat.is_forum() {
        return match st.topic(chat.id, t) {
            Some(topic) if topic.deleted => Err(ApiError::bad("message thread not found")),
            Some(topic) if topic.closed => Err(ApiError::bad("TOPIC_CLOSED")),
            Some(_) => Ok(Some(t)),
            None => Err(ApiError::bad("message thread not found")),
        };
    }
    match st.message(chat.id, t) {
        Some(m) if !m.deleted => Ok(Some(t)),
        _ => Err(ApiError::bad("message thread not found")),
    }
}

/// `reply_parameters` (or the older `reply_to_message_id`).
fn resolve_reply(st: &State, chat: &Chat, req: &Req) -> Result<Option<i32>, ApiError> {
    let (id, lenient) = match req.get("reply_parameters") {
        Some(rp) => {
            let id = rp.get("message_id").and_then(Value::as_i64).and_then(|v| i32::try_from(v).ok());
            (id, rp.get("allow_sending_without_reply").and_then(Value::as_bool).unwrap_or(false))
        }
        None => (req.i32("reply_to_message_id"), req.flag("allow_sending_without_reply")),
    };
    let Some(id) = id else { return Ok(None) };
    match st.message(chat.id, id) {
        Some(m) if !m.deleted => Ok(Some(id)),
        _ if lenient => Ok(None),
        _ => Err(ApiError::bad("message to be replied not found")),
    }
}

fn new_message(chat: i64, id: i32, thread: Option<i32>, reply_to: Option<i32>, req: &Req) -> StoredMessage {
    StoredMessage {
        chat_id: chat,
        message_id: id,
        thread_id: thread,
        from: Sender::Bot,
        date: now_unix(),
        text: None,
        caption: None,
        raw_text: None,
        parse_mode: req.str("parse_mode").map(str::to_owned),
        entities: Vec::new(),
        reply_markup: req.get("reply_markup").cloned(),
        photo: None,
        document: None,
        edited: 0,
        edit_date: None,
        deleted: false,
        reply_to,
        service: None,
    }
}

pub(crate) fn send_message(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.clone();
    let parsed = parse_text(req, "text")?;
    let reply_to = resolve_reply(st, &chat, req)?;
    let thread = resolve_thread(st, &chat, req.i32("message_thread_id"), reply_to)?;
    let id = st.next_message_id(chat.id);
    let mut msg = new_message(chat.id, id, thread, reply_to, req);
    msg.text = Some(parsed.text);
    msg.raw_text = req.str("text").map(str::to_owned);
    msg.entities = parsed.entities;
    st.insert_message(msg.clone());
    Ok(render::message(st, &msg))
}

/// `sendPhoto` / `sendDocument`: the file comes as `attach://<part>`, as a part named like the
/// parameter, as a file id the fake handed out, or as a URL.
pub(crate) fn send_media(st: &mut State, req: &Req, field: &str) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.clone();
    let mut file = resolve_file(st, req, field)?;
    if field == "photo" {
        if !file.bytes.is_empty() {
            let (w, h) = image_size(&file.bytes).ok_or_else(|| ApiError::bad("IMAGE_PROCESS_FAILED"))?;
            file.width = w;
            file.height = h;
        }
        if file.size > 10 * 1024 * 1024 {
            return Err(ApiError::bad("file is too big"));
        }
    } else if file.size > 50 * 1024 * 1024 {
        return Err(ApiError::new(413, "Request Entity Too Large"));
    }
    let caption = match req.get("caption") {
        Some(_) => Some(parse_text(req, "caption")?),
        None => None,
    };
    let reply_to = resolve_reply(st, &chat, req)?;
    let thread = resolve_thread(st, &chat, req.i32("message_thread_id"), reply_to)?;
    st.files.insert(file.file_id.clone(), file.clone());
    let id = st.next_message_id(chat.id);
    let mut msg = new_message(chat.id, id, thread, reply_to, req);
    if let Some(c) = caption {
        msg.caption = Some(c.text);
        msg.raw_text = req.str("caption").map(str::to_owned);
        msg.entities = c.entities;
    }
    if field == "photo" {
        msg.photo = Some(file);
    } else {
        msg.document = Some(file);
    }
    st.insert_message(msg.clone());
    Ok(render::message(st, &msg))
}

fn resolve_file(st: &mut State, req: &Req, field: &str) -> Result<FileInfo, ApiError> {
    let part: Option<&FilePart> = match req.str(field) {
        Some(v) if v.starts_with("attach://") => Some(
            req.files
                .get(&v["attach://".len()..])
                .ok_or_else(|| ApiError::bad(&format!("file attach://{} not found", &v[9..])))?,
        ),
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
            let (file_id, file_unique_id) = st.new_file_id();
            return Ok(FileInfo {
                file_id,
                file_unique_id,
                file_name: None,
                mime_type: None,
                size: 0,
                bytes: Vec::new(),
                width: 320,
                height: 320,
            });
        }
        Some(v) => {
            return st
                .files
                .get(v)
                .cloned()
                .ok_or_else(|| ApiError::bad("wrong file identifier/HTTP URL specified"))
        }
        None => req.files.get(field),
    };
    let part = part.ok_or_else(|| ApiError::bad(&format!("{field} is required")))?;
    if part.bytes.is_empty() {
        return Err(ApiError::bad("file must be non-empty"));
    }
    let (file_id, file_unique_id) = st.new_file_id();
    Ok(FileInfo {
        file_id,
        file_unique_id,
        file_name: part.file_name.clone().filter(|n| !n.is_empty()),
        mime_type: Some(part.content_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned())),
        size: part.bytes.len(),
        bytes: part.bytes.clone(),
        width: 0,
        height: 0,
    })
}

/// Width and height of a PNG, JPEG, GIF or WebP; `None` when the bytes are no image Telegram reads.
fn image_size(b: &[u8]) -> Option<(u32, u32)> {
    let be32 = |i: usize| b.get(i..i + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some((be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF8") && b.len() >= 10 {
        return Some((
            u32::from(u16::from_le_bytes([b[6], b[7]])),
            u32::from(u16::from_le_bytes([b[8], b[9]])),
        ));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return Some((0, 0));
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        // Walk the JPEG segments to a start-of-frame marker.
        let mut i = 2;
        while i + 9 < b.len() {
            if b[i] != 0xFF {
                return None;
            }
            let marker = b[i + 1];
            let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
                let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
                return Some((u32::from(w), u32::from(h)));
            }
            i += 2 + len;
        }
        return Some((0, 0));
    }
    None
}

/// The message an edit or delete names (`inline_message_id` edits are not tracked).
fn target<'s>(st: &'s mut State, req: &Req, missing: &str) -> Result<&'s mut StoredMessage, ApiError> {
    let chat = req.chat(st)?.id;
    let id = req
        .i32("message_id")
        .ok_or_else(|| ApiError::bad("message identifier is not specified"))?;
    match st.message_mut(chat, id) {
        Some(m) if !m.deleted => Ok(m),
        _ => Err(ApiError::bad(missing)),
    }
}

const NOT_MODIFIED: &str =
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

fn edited(st: &mut State, chat: i64, id: i32) -> Value {
    let m = st.message_mut(chat, id).map(|m| {
        m.edited += 1;
        m.edit_date = Some(now_unix());
        m.clone()
    });
    m.map(|m| render::message(st, &m)).unwrap_or(Value::Null)
}

/// `editMessageText`. As in Telegram, an edit without `reply_markup` removes the inline keyboard.
pub(crate) fn edit_text(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    if req.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let parsed = parse_text(req, "text")?;
    let markup = req.get("reply_markup").cloned();
    let m = target(st, req, "message to edit not found")?;
    if !m.is_from_bot() {
        return Err(ApiError::bad("message can't be edited"));
    }
    if m.text.is_none() {
        return Err(ApiError::bad("there is no text in the message to edit"));
    }
    if m.text.as_deref() == Some(parsed.text.as_str()) && m.entities == parsed.entities && same_markup(&m.reply_markup, &markup) {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    m.text = Some(parsed.text);
    m.raw_text = req.str("text").map(str::to_owned);
    m.entities = parsed.entities;
    m.reply_markup = markup;
    let (chat, id) = (m.chat_id, m.message_id);
    Ok(edited(st, chat, id))
}

pub(crate) fn edit_caption(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    if req.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let parsed = parse_text(req, "caption")?;
    let markup = req.get("reply_markup").cloned();
    let m = target(st, req, "message to edit not found")?;
    if !m.is_from_bot() {
        return Err(ApiError::bad("message can't be edited"));
    }
    if m.photo.is_none() && m.document.is_none() {
        return Err(ApiError::bad("there is no caption in the message to edit"));
    }
    let caption = Some(parsed.text).filter(|c| !c.is_empty());
    if m.caption == caption && same_markup(&m.reply_markup, &markup) {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    m.caption = caption;
    m.entities = parsed.entities;
    m.reply_markup = markup;
    let (chat, id) = (m.chat_id, m.message_id);
    Ok(edited(st, chat, id))
}

pub(crate) fn edit_markup(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    if req.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let markup = req.get("reply_markup").cloned();
    let m = target(st, req, "message to edit not found")?;
    if !m.is_from_bot() {
        return Err(ApiError::bad("message can't be edited"));
    }
    if same_markup(&m.reply_markup, &markup) {
        return Err(ApiError::bad(NOT_MODIFIED));
    }
    m.reply_markup = markup;
    let (chat, id) = (m.chat_id, m.message_id);
    Ok(edited(st, chat, id))
}

/// An empty inline keyboard and no keyboard are the same thing to Telegram.
fn same_markup(a: &Option<Value>, b: &Option<Value>) -> bool {
    let norm = |v: &Option<Value>| match v {
        Some(m)
            if m.get("inline_keyboard")
                .and_then(Value::as_array)
                .is_some_and(|rows| rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty))) =>
        {
            None
        }
        other => other.clone(),
    };
    norm(a) == norm(b)
}

pub(crate) fn delete(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let m = target(st, req, "message to delete not found")?;
    if m.is_service() && m.thread_id == Some(m.message_id) {
        return Err(ApiError::bad("message can't be deleted"));
    }
    m.deleted = true;
    Ok(json!(true))
}

pub(crate) fn delete_many(st: &mut State, req: &Req) -> Result<Value, ApiError> {
    let chat = req.chat(st)?.id;
    let ids: Vec<i64> = req
        .get("message_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::bad("MESSAGE_IDS_INVALID"));
    }
    for id in ids {
        if let Some(m) = i32::try_from(id).ok().and_then(|id| st.message_mut(chat, id)) {
            m.deleted = true;
        }
    }
    Ok(json!(true))
}

#[cfg(test)]
mod tests {
    use super::image_size;

    #[test]
    fn image_sizes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(image_size(&png), Some((640, 480)));
        assert_eq!(image_size(b"GIF89a\x02\x00\x03\x00"), Some((2, 3)));
        assert_eq!(image_size(b"hello, not an image"), None);
    }
}
