//! The JSON shapes the fake answers with, as the Bot API documents them and as teloxide reads them.

use super::state::{Chat, ChatKind, FakeUser, FileInfo, MemberStatus, Sender, State, StoredMessage, Topic};
use serde_json::{json, Map, Value};

pub fn user(u: &FakeUser) -> Value {
    let mut v = json!({"id": u.id, "is_bot": false, "first_name": u.first_name});
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    if let Some(code) = &u.language_code {
        v["language_code"] = json!(code);
    }
    v
}

pub fn bot_user(s: &State) -> Value {
    json!({"id": s.bot_id, "is_bot": true, "first_name": s.cfg.bot_first_name, "username": s.cfg.bot_username})
}

/// `getMe`'s answer: the bot's `User` with the bot-only fields.
pub fn me(s: &State) -> Value {
    let mut v = bot_user(s);
    v["can_join_groups"] = json!(true);
    v["can_read_all_group_messages"] = json!(false);
    v["supports_inline_queries"] = json!(false);
    v["can_connect_to_business"] = json!(false);
    v["has_main_web_app"] = json!(false);
    v
}

fn sender(s: &State, from: Sender) -> Value {
    match from {
        Sender::Bot => bot_user(s),
        Sender::User(id) => match s.users.get(&id) {
            Some(u) => user(u),
            None => json!({"id": id, "is_bot": false, "first_name": format!("User {id}")}),
        },
    }
}

pub fn chat(c: &Chat) -> Value {
    let mut v = match c.kind {
        ChatKind::Private => json!({"id": c.id, "type": "private", "first_name": c.title}),
        ChatKind::Group => json!({"id": c.id, "type": "group", "title": c.title}),
        ChatKind::Supergroup { forum } => {
            let mut v = json!({"id": c.id, "type": "supergroup", "title": c.title});
            if forum {
                v["is_forum"] = json!(true);
            }
            v
        }
        ChatKind::Channel => json!({"id": c.id, "type": "channel", "title": c.title}),
    };
    if let Some(name) = &c.username {
        v["username"] = json!(name);
    }
    v
}

/// `getChat`'s `ChatFullInfo`.
pub fn chat_full(c: &Chat) -> Value {
    let mut v = chat(c);
    v["accepted_gift_types"] =
        json!({"unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false});
    v["max_reaction_count"] = json!(11);
    v["accent_color_id"] = json!(0);
    v
}

fn chat_of(s: &State, id: i64) -> Value {
    match s.chats.get(&id) {
        Some(c) => chat(c),
        None => json!({"id": id, "type": "private", "first_name": "unknown"}),
    }
}

pub fn forum_topic(t: &Topic) -> Value {
    let mut v = json!({"message_thread_id": t.thread_id, "name": t.name, "icon_color": t.icon_color});
    if let Some(e) = &t.icon_custom_emoji_id {
        v["icon_custom_emoji_id"] = json!(e);
    }
    v
}

fn photo(f: &FileInfo) -> Value {
    json!([{
        "file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size,
        "width": f.width, "height": f.height,
    }])
}

fn document(f: &FileInfo) -> Value {
    let mut v = json!({"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size});
    if let Some(n) = &f.file_name {
        v["file_name"] = json!(n);
    }
    if let Some(m) = &f.mime_type {
        v["mime_type"] = json!(m);
    }
    v
}

/// A `Message`. `reply_to_message` is rendered one level deep, as Telegram does.
pub fn message(s: &State, m: &StoredMessage) -> Value {
    message_at_depth(s, m, 0)
}

fn message_at_depth(s: &State, m: &StoredMessage, depth: u8) -> Value {
    let mut v = Map::new();
    v.insert("message_id".into(), json!(m.message_id));
    v.insert("from".into(), sender(s, m.from));
    v.insert("date".into(), json!(m.date));
    v.insert("chat".into(), chat_of(s, m.chat_id));
    let forum = s.chats.get(&m.chat_id).is_some_and(Chat::is_forum);
    let supergroup = s
        .chats
        .get(&m.chat_id)
        .is_some_and(|c| matches!(c.kind, ChatKind::Supergroup { .. }));
    if let Some(t) = m.thread_id {
        v.insert("message_thread_id".into(), json!(t));
        if forum {
            v.insert("is_topic_message".into(), json!(true));
        }
    } else if let Some(root) = m.reply_to.filter(|_| supergroup && m.service.is_none()) {
        // A reply outside any topic (in a forum's General, or in a plain supergroup) belongs to
        // the reply thread of the message it answers, as Telegram says: `message_thread_id` is
        // that thread's root and `is_topic_message` is absent.
        v.insert("message_thread_id".into(), json!(reply_thread_root(s, m.chat_id, root)));
    }
    if let Some(text) = &m.text {
        v.insert("text".into(), json!(text));
        if !m.entities.is_empty() {
            v.insert("entities".into(), json!(m.entities));
        }
    }
    if let Some(p) = &m.photo {
        v.insert("photo".into(), photo(p));
    }
    if let Some(d) = &m.document {
        v.insert("document".into(), document(d));
    }
    if let Some(c) = &m.caption {
        v.insert("caption".into(), json!(c));
        if !m.entities.is_empty() {
            v.insert("caption_entities".into(), json!(m.entities));
        }
    }
    if let Some(Value::Object(service)) = &m.service {
        v.extend(service.clone());
    }
    if let Some(markup) = m.reply_markup.as_ref().filter(|r| r.get("inline_keyboard").is_some()) {
        v.insert("reply_markup".into(), markup.clone());
    }
    if let Some(d) = m.edit_date {
        v.insert("edit_date".into(), json!(d));
    }
    if depth == 0 {
        // In a forum topic, a message that replies to nothing is shown by Telegram as a reply to the
        // topic's creation message.
        let topic_root = match (forum, m.thread_id, &m.service) {
            (true, Some(t), None) if t != m.message_id => Some(t),
            _ => None,
        };
        let reply_to = m.reply_to.or(topic_root);
        if let Some(r) = reply_to.and_then(|id| s.message(m.chat_id, id)).filter(|r| !r.deleted) {
            v.insert("reply_to_message".into(), message_at_depth(s, r, depth + 1));
        }
    }
    Value::Object(v)
}

/// The root of the reply thread that message `id` is in: the first message of its reply chain.
fn reply_thread_root(s: &State, chat: i64, id: i32) -> i32 {
    let mut root = id;
    // Bounded: a chain of replies is finite, but a corrupt state must not hang the fake.
    for _ in 0..1000 {
        match s.message(chat, root).and_then(|m| m.reply_to.filter(|_| m.thread_id.is_none())) {
            Some(parent) if parent != root => root = parent,
            _ => break,
        }
    }
    root
}

pub fn chat_member(s: &State, chat_id: i64, user_id: i64) -> Option<Value> {
    let status = member_status(s, chat_id, user_id)?;
    let u = if user_id == s.bot_id {
        bot_user(s)
    } else {
        sender(s, Sender::User(user_id))
    };
    Some(match status {
        MemberStatus::Creator => json!({"user": u, "status": "creator", "is_anonymous": false}),
        MemberStatus::Administrator => json!({
            "user": u, "status": "administrator", "is_anonymous": false, "can_be_edited": false,
            "can_manage_chat": true, "can_change_info": true, "can_delete_messages": true,
            "can_manage_video_chats": true, "can_invite_users": true, "can_restrict_members": true,
            "can_pin_messages": true, "can_manage_topics": true, "can_promote_members": false,
            "can_post_stories": false, "can_edit_stories": false, "can_delete_stories": false,
        }),
        MemberStatus::Member => json!({"user": u, "status": "member"}),
        MemberStatus::Left => json!({"user": u, "status": "left"}),
        MemberStatus::Kicked => json!({"user": u, "status": "kicked", "until_date": 0}),
    })
}

/// The bot is an administrator of every group and a member of private chats; users are what
/// [`super::FakeBotApi::set_member`] said, or members once the fake has seen them.
pub fn member_status(s: &State, chat_id: i64, user_id: i64) -> Option<MemberStatus> {
    if let Some(st) = s.members.get(&(chat_id, user_id)) {
        return Some(*st);
    }
    if user_id == s.bot_id {
        return Some(if chat_id < 0 {
            MemberStatus::Administrator
        } else {
            MemberStatus::Member
        });
    }
    if chat_id > 0 {
        return (chat_id == user_id).then_some(MemberStatus::Member);
    }
    s.users.contains_key(&user_id).then_some(MemberStatus::Member)
}

pub fn webhook_info(s: &State) -> Value {
    json!({"url": s.webhook.clone().unwrap_or_default(), "has_custom_certificate": false, "pending_update_count": s.updates.len()})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::FakeConfig;
    use teloxide::types as tg;

    fn state() -> State {
        let mut s = State::new("123:abc", FakeConfig::default());
        for (id, kind) in [
            (5, ChatKind::Private),
            (-1, ChatKind::Group),
            (-100, ChatKind::Supergroup { forum: true }),
        ] {
            s.chats.insert(
                id,
                Chat {
                    id,
                    kind,
                    title: "T".into(),
                    username: None,
                },
            );
        }
        s.users.insert(5, FakeUser::new(5, "Ann").with_username("ann").with_language("en"));
        s
    }

    fn msg(chat: i64, id: i32) -> StoredMessage {
        StoredMessage {
            chat_id: chat,
            message_id: id,
            thread_id: None,
            from: Sender::User(5),
            date: 1_700_000_000,
            text: Some("/start now".into()),
            caption: None,
            raw_text: None,
            parse_mode: None,
            entities: vec![json!({"type": "bot_command", "offset": 0, "length": 6})],
            reply_markup: None,
            photo: None,
            document: None,
            edited: 0,
            edit_date: None,
            deleted: false,
            reply_to: None,
            service: None,
        }
    }

    #[test]
    fn shapes_parse_as_teloxide_types() {
        let mut s = state();
        let me: tg::Me = serde_json::from_value(me(&s)).unwrap();
        assert_eq!(me.username(), "mission_control_test_bot");
        assert_eq!(me.id.0, 123);
        for c in s.chats.values() {
            let parsed: tg::Chat = serde_json::from_value(chat(c)).unwrap();
            assert_eq!(parsed.id.0, c.id);
            let _: tg::ChatFullInfo = serde_json::from_value(chat_full(c)).unwrap();
        }
        let topic = Topic {
            chat_id: -100,
            thread_id: 2,
            name: "t".into(),
            icon_color: 7_322_096,
            icon_custom_emoji_id: None,
            closed: false,
            deleted: false,
            edited: 0,
        };
        let _: tg::ForumTopic = serde_json::from_value(forum_topic(&topic)).unwrap();

        let mut service = msg(-100, 2);
        service.text = None;
        service.entities.clear();
        service.thread_id = Some(2);
        service.service = Some(json!({"forum_topic_created": {"name": "t", "icon_color": 7_322_096}}));
        s.insert_message(service);
        let mut m = msg(-100, 3);
        m.thread_id = Some(2);
        m.from = Sender::Bot;
        m.reply_markup = Some(json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}));
        s.insert_message(m.clone());
        let parsed: tg::Message = serde_json::from_value(message(&s, &m)).unwrap();
        assert_eq!(parsed.thread_id.map(|t| t.0 .0), Some(2));
        assert!(parsed.is_topic_message);
        assert!(
            parsed.reply_to_message().is_some(),
            "topic messages reply to the topic's creation message"
        );
        assert!(parsed.reply_markup().is_some());
        assert_eq!(parsed.from.as_ref().map(|u| u.is_bot), Some(true));

        // A reply in General: in the reply thread of the message it answers, not in a topic.
        let general = msg(-100, 4);
        s.insert_message(general.clone());
        let mut reply = msg(-100, 5);
        reply.reply_to = Some(4);
        s.insert_message(reply.clone());
        let mut reply_to_reply = msg(-100, 6);
        reply_to_reply.reply_to = Some(5);
        s.insert_message(reply_to_reply.clone());
        for (m, root) in [(&reply, 4), (&reply_to_reply, 4)] {
            let v = message(&s, m);
            assert_eq!(v["message_thread_id"], json!(root));
            assert!(v.get("is_topic_message").is_none());
            let parsed: tg::Message = serde_json::from_value(v).unwrap();
            assert_eq!(parsed.thread_id.map(|t| t.0 .0), Some(root));
            assert!(!parsed.is_topic_message);
        }
        assert!(message(&s, &general).get("message_thread_id").is_none());

        let user_msg = msg(5, 1);
        let parsed: tg::Message = serde_json::from_value(message(&s, &user_msg)).unwrap();
        assert_eq!(parsed.text(), Some("/start now"));
        assert_eq!(parsed.from.unwrap().username.as_deref(), Some("ann"));

        for status in [
            MemberStatus::Creator,
            MemberStatus::Administrator,
            MemberStatus::Member,
            MemberStatus::Left,
            MemberStatus::Kicked,
        ] {
            s.members.insert((-1, 5), status);
            let _: tg::ChatMember = serde_json::from_value(chat_member(&s, -1, 5).unwrap()).unwrap();
        }
        let bot: tg::ChatMember = serde_json::from_value(chat_member(&s, -100, 123).unwrap()).unwrap();
        assert!(bot.is_administrator());
        let _: tg::WebhookInfo = serde_json::from_value(webhook_info(&s)).unwrap();
    }
}
