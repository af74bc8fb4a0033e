//! Task threads end to end (issue 5): the HTTP API and the core on a fresh database, the real
//! outbox dispatcher and the bot (long polling) against the fake Bot API, with Telegram's limits
//! scaled down on both sides alike (so every test also proves that nothing provokes a 429).
//! Every test ends with no 429, no invalid call and no unknown parameter.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::{alert, as_agent, count, request};
use fake_telegram::{FakeBotApi, StoredMessage};
use mission_control::app::alerts::RaiseAlert;
use mission_control::app::approvals::RequestApproval;
use mission_control::app::queries::TimelineEntry;
use mission_control::app::tasks::TransitionTask;
use mission_control::domain::*;
use mission_control::model::{Alert, Task};
use mission_control::telegram::render::card::topic_name;
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The HTTP API, the fake and the bot and dispatcher running against them, with Telegram's
/// limits scaled down on both sides alike.
async fn world(pool: PgPool) -> World {
    World::build(pool).http().scaled().start().await
}

/// Olga raises a loop alert about `task` (`comments` comments in 10 minutes).
async fn loop_alert(w: &World, task: &Task, comments: u32) -> Alert {
    let message = format!("Task is looping: {comments} comments in 10 minutes");
    let raise = RaiseAlert {
        details: json!({ "taskId": task.id }),
        ..alert("loop_detected", AlertSeverity::Warning, format!("task:{}", task.id), &message)
    };
    w.s.app.raise_alert(&w.actor(OLGA).await, w.s.project.id, raise).await.unwrap()
}

/// Whether `text` names task `#number` (not `#number0`…).
fn names_task(text: &str, number: i32) -> bool {
    let tag = format!("#{number}");
    text.match_indices(&tag)
        .any(|(at, _)| !text[at + tag.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// The bot's messages in `chat` outside topic `topic` that name task `#number`.
fn mentions_outside(tg: &FakeBotApi, chat: i64, topic: i32, number: i32) -> Vec<StoredMessage> {
    tg.bot_messages_in(chat, None)
        .into_iter()
        .filter(|m| m.thread_id != Some(topic) && names_task(text(m), number))
        .collect()
}

#[sqlx::test]
async fn tasks_created_by_command_and_by_api_get_a_topic_with_their_card(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    // The seeded open tasks got theirs on /bind.
    let seeded = w.tg.topics(FORUM).len();
    assert_eq!(seeded, 3 + 8, "system topics and one per open task");

    // By command.
    w.tg.user_message(FORUM, &olga(), "/newtask docs Write the onboarding guide", None);
    let reply = w.says(FORUM, None, "Created task").await;
    assert_eq!(reply.thread_id, None, "the answer stays where the command was typed");
    let number: i32 = text(&reply).split('#').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let by_command =
        w.s.app
            .task_by_number(&Actor::system("test"), w.s.project.id, number)
            .await
            .unwrap();

    // By API.
    let created = w
        .api()
        .post(
            "/api/tasks",
            r#"{"title": "Ship the pricing page", "type": "content", "priority": 2}"#,
        )
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    let by_api: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();

    for (task_id, title, kind, priority) in [
        (by_command.id, "Write the onboarding guide", "docs", "P3"),
        (by_api, "Ship the pricing page", "content", "P2"),
    ] {
        let thread = w.wait_thread(task_id).await;
        let task = w.task(task_id).await;
        let topic = w.topic(FORUM, thread.topic_id.unwrap());
        assert_eq!(topic.name, format!("#{} 📥 {title}", task.number));
        assert_eq!(thread.topic_name.as_deref(), Some(topic.name.as_str()));
        // The card is the topic's first message.
        let first = &w.in_topic(topic.thread_id)[0];
        assert_eq!(Some(first.message_id), thread.card_message_id);
        assert!(first.is_from_bot());
        for part in [title, kind, priority, "inbox", "nobody yet"] {
            assert!(text(first).contains(part), "{part} missing in the card: {}", text(first));
        }
        assert_eq!(labels(first), ["👤 Assign", "✖️ Cancel task"]);
        // The creation was delivered as the card (the row is marked once the card is stored).
        w.settled().await;
        let delivered: Option<i32> = sqlx::query_scalar(
            "SELECT telegram_message_id FROM outbox WHERE kind = 'task_created' AND task_id = $1 AND status = 'delivered'",
        )
        .bind(task_id)
        .fetch_one(&w.pool)
        .await
        .unwrap();
        assert_eq!(delivered, thread.card_message_id);
    }
    assert_eq!(w.tg.topics(FORUM).len(), seeded + 2);
    // Nothing about the tasks in General but the command's answer and the binding.
    let general = w.general_texts(FORUM);
    assert!(general.iter().all(|t| !t.contains("Ship the pricing page")), "{general:#?}");
    w.stop().await;
}

#[sqlx::test]
async fn comments_transitions_and_decisions_land_in_the_topic_which_follows_the_status(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let scout = w.agent("Scout").await;
    let olga_actor = w.actor(OLGA).await;
    let task = w.new_task("Keyword research for the launch", TaskType::SeoResearch).await;
    let thread = w.wait_thread(task.id).await;
    let topic = thread.topic_id.unwrap();
    let card_id = thread.card_message_id.unwrap();
    let general_before = w.general_texts(FORUM);

    // Assigned: the card and the name follow.
    w.s.app.assign_task(&olga_actor, task.id, vec![scout.id]).await.unwrap();
    w.says(FORUM, Some(topic), "→ Scout").await;
    w.settled().await;
    assert_eq!(
        w.topic(FORUM, topic).name,
        format!("#{} 📌 Keyword research for the launch", task.number)
    );
    let card = w.tg.message(FORUM, card_id).unwrap();
    assert!(
        card.edited >= 1 && text(&card).contains("Scout") && text(&card).contains("assigned"),
        "{}",
        text(&card)
    );

    // The agent comments, starts with a plan, reports a run, delivers.
    let agent = as_agent(&scout);
    w.s.app
        .comment_on_task(&agent, task.id, "Found 40 <candidate> keywords", None)
        .await
        .unwrap();
    w.s.start(&scout, task.id).await;
    w.s.app
        .record_run(&agent, common::run(scout.id, Some(task.id), Usd::from_cents(37)))
        .await
        .unwrap();
    w.s.app
        .transition_task(
            &agent,
            task.id,
            TransitionTask {
                to: Some(TaskStatus::Review),
                deliverable: Some("https://example.com/keywords.csv".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    w.settled().await;
    let said = texts(&w.tg, FORUM, Some(topic)).join("\n---\n");
    for part in [
        "Scout: Found 40 <candidate> keywords",
        "assigned → in progress · Scout",
        "Work plan",
        "• Read the brief",
        "Scout spent $0.37",
        "in progress → review · Scout",
        "Deliverable: https://example.com/keywords.csv",
    ] {
        assert!(said.contains(part), "{part} missing in the topic:\n{said}");
    }
    // Nowhere else: not in General, not in another topic.
    assert_eq!(w.general_texts(FORUM), general_before);
    let elsewhere: Vec<StoredMessage> =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .filter(|m| m.thread_id != Some(topic) && text(m).contains("candidate"))
            .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:#?}");
    let elsewhere = mentions_outside(&w.tg, FORUM, topic, task.number);
    assert!(elsewhere.is_empty(), "#{} mentioned outside its topic: {elsewhere:#?}", task.number);
    // One card, edited in place: never posted again.
    let cards = w.in_topic(topic).into_iter().filter(|m| text(m).contains("Created by")).count();
    assert_eq!(cards, 1);
    let card = w.tg.message(FORUM, card_id).unwrap();
    assert!(
        text(&card).contains("review") && text(&card).contains("$0.37") && text(&card).contains("$5.00"),
        "{}",
        text(&card)
    );
    assert_eq!(
        w.topic(FORUM, topic).name,
        format!("#{} 🔎 Keyword research for the launch", task.number)
    );

    // An approval about the task: in the Approvals topic and, with its buttons, in the task's.
    let approval = w
        .app()
        .request_approval(
            &agent,
            RequestApproval {
                task_id: Some(task.id),
                ..request(&scout, "email.send", "mail the keyword list to the agency")
            },
        )
        .await
        .unwrap();
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    let in_approvals = w.says(FORUM, binding.approvals_topic_id, "mail the keyword list").await;
    let in_task = w.says(FORUM, Some(topic), "mail the keyword list").await;
    assert_eq!(labels(&in_task), ["✅ Approve", "❌ Deny"]);
    // The CAO approves from the task's topic: both messages show it, without buttons.
    let click = w.tg.click_button(FORUM, &sofie(), in_task.message_id, "✅ Approve").unwrap();
    w.tg.wait_until(|s| s.calls().iter().any(|c| c.params["callback_query_id"] == json!(click)), WAIT)
        .await
        .unwrap();
    w.tg.wait_until(
        |s| {
            [in_task.message_id, in_approvals.message_id].iter().all(|id| {
                s.message(FORUM, *id)
                    .is_some_and(|m| m.buttons().is_empty() && text(m).contains("Approved by"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        w.s.app.get_approval(&olga_actor, approval.id).await.unwrap().status,
        ApprovalStatus::Approved
    );

    // Done from the card's button: renamed, no buttons, topic closed.
    w.settled().await;
    let card = w.tg.message(FORUM, card_id).unwrap();
    let click = w.tg.click_button(FORUM, &olga(), card_id, "→ done").unwrap();
    let _ = click;
    w.tg.wait_until(|s| s.topic(FORUM, topic).is_some_and(|t| t.closed), WAIT)
        .await
        .unwrap();
    w.settled().await;
    assert_eq!(w.task(task.id).await.status, TaskStatus::Done);
    let t = w.topic(FORUM, topic);
    assert_eq!(t.name, format!("#{} ✅ Keyword research for the launch", task.number));
    let done_card = w.tg.message(FORUM, card_id).unwrap();
    assert!(done_card.edited > card.edited && done_card.buttons().is_empty(), "{done_card:#?}");
    assert!(w.thread(task.id).await.unwrap().closed);

    // A late word about the finished task still reaches its topic, which is closed again after.
    w.s.app
        .comment_on_task(&agent, task.id, "Archived the raw data too", None)
        .await
        .unwrap();
    w.says(FORUM, Some(topic), "Archived the raw data too").await;
    w.settled().await;
    assert!(w.topic(FORUM, topic).closed);
    // Of all that was said about the task, only the approval's copy (in the Approvals topic) is
    // outside its topic.
    let elsewhere = mentions_outside(&w.tg, FORUM, topic, task.number);
    assert!(
        elsewhere
            .iter()
            .all(|m| m.thread_id == binding.approvals_topic_id && text(m).contains("mail the keyword list")),
        "#{} mentioned outside its topic: {elsewhere:#?}",
        task.number
    );
    assert!(elsewhere.len() <= 1, "{elsewhere:#?}");
    w.stop().await;
}

#[sqlx::test]
async fn an_operators_message_in_the_topic_becomes_a_comment_the_agent_hears(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.bind_forum().await;
    let scout = w.agent("Scout").await;
    let task = w
        .assigned_task("Interview five churned users", TaskType::CustomerResearch, &scout)
        .await;
    let topic = w.wait_thread(task.id).await.topic_id.unwrap();
    w.settled().await;
    let _ = w.heartbeat(&scout).await; // drain what the assignment told it
    let bot_said = w.tg.bot_messages_in(FORUM, Some(topic)).len();

    // Olga writes in the topic: a comment by Olga, heard by Scout, in the timeline, not echoed.
    let sent =
        w.tg.user_message(FORUM, &olga(), "Please start with the enterprise ones", Some(topic));
    let deadline = Instant::now() + WAIT;
    let comment = loop {
        let timeline = w.s.app.task_timeline(&Actor::system("test"), task.id).await.unwrap();
        let found = timeline.entries.into_iter().find_map(|e| match e {
            TimelineEntry::Comment(c) => Some(c),
            _ => None,
        });
        if let Some(c) = found {
            break c;
        }
        assert!(Instant::now() < deadline, "the message never became a comment");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(comment.author_name, "Olga");
    assert_eq!(comment.author_kind, ActorKind::Human);
    assert_eq!(comment.body, "Please start with the enterprise ones");
    let hb = w.heartbeat(&scout).await;
    let heard = hb.notifications.iter().find(|n| n.kind == "comment").expect("Scout hears of it");
    assert!(
        heard.body.contains("Olga") && heard.body.contains("enterprise ones"),
        "{}",
        heard.body
    );
    assert_eq!(heard.task_id, Some(task.id));

    // Her edit in Telegram edits the comment.
    w.tg.edit_user_message(FORUM, sent, "Please start with the enterprise accounts");
    let deadline = Instant::now() + WAIT;
    loop {
        let body: String = sqlx::query_scalar("SELECT body FROM comments WHERE id = $1")
            .bind(comment.id)
            .fetch_one(&pool)
            .await
            .unwrap();
        if body.ends_with("accounts") {
            break;
        }
        assert!(Instant::now() < deadline, "the edit never reached the comment");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(w.heartbeat(&scout).await.notifications.iter().any(|n| n.kind == "comment_edited"));

    // Someone unlinked: a short hint, nothing stored. A viewer: refused, nothing stored.
    w.tg.user_message(FORUM, &eve(), "hello? who is working on this", Some(topic));
    let hint = w.says(FORUM, Some(topic), "Only Mission Control operators").await;
    assert!(text(&hint).contains("1666"), "{}", text(&hint));
    w.tg.user_message(FORUM, &vic(), "looks good to me", Some(topic));
    w.says(FORUM, Some(topic), "the viewer role cannot comment").await;
    // In General (a message, and a reply to a bot message) nothing becomes a comment. As in
    // Telegram, a reply in General carries a `message_thread_id` (its reply thread's root)
    // without `is_topic_message`: it is not in a topic.
    w.tg.user_message(FORUM, &olga(), "General chatter", None);
    let general_msg =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .find(|m| m.thread_id.is_none())
            .unwrap();
    w.tg.user_reply(FORUM, &olga(), general_msg.message_id, "a reply in General");
    w.tg.user_reply(FORUM, &eve(), general_msg.message_id, "an outsider's reply in General");
    // A command given as a reply in General is answered in General.
    let whoami = w.tg.user_reply(FORUM, &olga(), general_msg.message_id, "/whoami");
    let answer = w.says(FORUM, None, "Telegram id").await;
    assert_eq!(answer.thread_id, None, "the answer is in General");
    assert!(answer.message_id > whoami);
    w.settled().await;
    let comments = count(&pool, "SELECT count(*) FROM comments").await;
    assert_eq!(comments, 1, "only Olga's message in the topic became a comment");
    assert!(
        w.general_texts(FORUM).iter().all(|t| !t.contains("Only Mission Control operators")),
        "no task-thread hint in General"
    );
    // Nothing the bot sent went astray: no call was refused for its thread.
    let astray: Vec<_> =
        w.tg.calls()
            .into_iter()
            .filter(|c| c.description.as_deref().is_some_and(|d| d.contains("thread")))
            .collect();
    assert!(astray.is_empty(), "{astray:#?}");
    // Nothing was echoed: the bot said only the hint and the refusal in the topic.
    assert_eq!(w.tg.bot_messages_in(FORUM, Some(topic)).len(), bot_said + 2);
    w.stop().await;
}

#[sqlx::test]
async fn a_topic_deleted_or_closed_in_telegram_comes_back_on_the_next_update(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let scout = w.agent("Scout").await;
    let agent = as_agent(&scout);
    let task = w.assigned_task("Competitor pricing table", TaskType::SeoResearch, &scout).await;
    let old = w.wait_thread(task.id).await;
    w.settled().await;
    let old_topic = old.topic_id.unwrap();
    assert!(w.tg.delete_topic(FORUM, old_topic));

    w.s.app.comment_on_task(&agent, task.id, "Table drafted", None).await.unwrap();
    w.settled().await;
    let new = w.thread(task.id).await.unwrap();
    let new_topic = new.topic_id.unwrap();
    assert_ne!(new_topic, old_topic, "a new topic");
    let topic = w.topic(FORUM, new_topic);
    assert_eq!(topic.name, format!("#{} 📌 Competitor pricing table", task.number));
    assert!(!topic.deleted && !topic.closed);
    let msgs = w.in_topic(new_topic);
    assert_eq!(Some(msgs[0].message_id), new.card_message_id, "the card comes first");
    assert!(text(&msgs[0]).contains("Scout"));
    assert!(text(&msgs[1]).contains("Table drafted"), "the update is not lost");
    assert!(w.general_texts(FORUM).iter().all(|t| !t.contains("Table drafted")));

    // Closed by a human: reopened for the next update.
    assert!(w.tg.close_topic(FORUM, new_topic));
    w.s.app.comment_on_task(&agent, task.id, "Added two more rows", None).await.unwrap();
    w.says(FORUM, Some(new_topic), "Added two more rows").await;
    w.settled().await;
    assert!(!w.topic(FORUM, new_topic).closed);
    assert_eq!(w.thread(task.id).await.unwrap().topic_id, Some(new_topic));
    w.stop().await;
}

#[sqlx::test]
async fn the_cards_buttons_move_and_assign_with_rights_checked_at_click_time(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let task = w.new_task("Draft the FAQ", TaskType::Docs).await;
    let thread = w.wait_thread(task.id).await;
    let (topic, card_id) = (thread.topic_id.unwrap(), thread.card_message_id.unwrap());

    // A viewer may look, not assign.
    let click = w.tg.click_button(FORUM, &vic(), card_id, "👤 Assign").unwrap();
    w.tg.wait_until(
        |s| {
            s.calls().iter().any(|c| {
                c.params["callback_query_id"] == json!(click) && c.params["text"].as_str().is_some_and(|t| t.starts_with("Not allowed"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();

    // Olga: Assign offers the agents that take docs; she picks Scribe.
    w.tg.click_button(FORUM, &olga(), card_id, "👤 Assign").unwrap();
    let choices = w.says(FORUM, Some(topic), "to:").await;
    assert!(labels(&choices).contains(&"Scribe".to_string()), "{:?}", labels(&choices));
    assert!(!labels(&choices).contains(&"Scout".to_string()), "Scout does not take docs");
    w.tg.click_button(FORUM, &olga(), choices.message_id, "Scribe").unwrap();
    w.tg.wait_until(|s| s.message(FORUM, card_id).is_some_and(|m| text(m).contains("Scribe")), WAIT)
        .await
        .unwrap();
    w.settled().await;
    assert_eq!(w.task(task.id).await.status, TaskStatus::Assigned);

    // Start needs a plan: asked for, given as lines in the topic.
    w.tg.click_button(FORUM, &olga(), card_id, "→ in progress").unwrap();
    w.says(FORUM, Some(topic), "send the work plan").await;
    w.tg.user_message(
        FORUM,
        &olga(),
        "- Collect questions\n- Answer them\n- Review with support",
        Some(topic),
    );
    w.says(FORUM, Some(topic), "• Answer them").await;
    assert_eq!(w.task(task.id).await.status, TaskStatus::InProgress);

    // Block needs a reason: asked, given; the card shows it.
    w.settled().await;
    w.tg.click_button(FORUM, &olga(), card_id, "→ blocked").unwrap();
    w.says(FORUM, Some(topic), "why is").await;
    w.tg.user_message(FORUM, &olga(), "waiting for legal", Some(topic));
    w.tg.wait_until(
        |s| {
            s.message(FORUM, card_id)
                .is_some_and(|m| text(m).contains("Blocked: waiting for legal"))
        },
        WAIT,
    )
    .await
    .unwrap();
    let task_now = w.task(task.id).await;
    assert_eq!(task_now.status, TaskStatus::Blocked);
    assert_eq!(task_now.blocked_reason.as_deref(), Some("waiting for legal"));
    // The reason was the answer, not a comment.
    assert_eq!(count(&w.pool, "SELECT count(*) FROM comments").await, 0);
    w.settled().await;
    assert_eq!(w.topic(FORUM, topic).name, format!("#{} ⛔ Draft the FAQ", task.number));
    w.stop().await;
}

#[sqlx::test]
async fn alerts_about_a_task_are_in_its_topic_too(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let task = w.new_task("Rewrite the landing page", TaskType::Content).await;
    let topic = w.wait_thread(task.id).await.topic_id.unwrap();
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    let alert = loop_alert(&w, &task, 7).await;
    let in_alerts = w.says(FORUM, binding.alerts_topic_id, "is looping").await;
    let in_task = w.says(FORUM, Some(topic), "is looping").await;
    assert_eq!(labels(&in_task), labels(&in_alerts));
    assert!(labels(&in_task).iter().any(|l| l.contains("Unblock")), "{:?}", labels(&in_task));
    w.s.app.resolve_alert(&w.actor(OLGA).await, alert.id).await.unwrap();
    w.tg.wait_until(
        |s| {
            [in_alerts.message_id, in_task.message_id].iter().all(|id| {
                s.message(FORUM, *id)
                    .is_some_and(|m| m.buttons().is_empty() && text(m).contains("Resolved by Olga"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();
    w.stop().await;
}

#[sqlx::test]
async fn in_a_plain_group_the_card_is_the_root_and_updates_reply_to_it(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.tg.user_message(GROUP, &sofie(), "/bind openclaw", None);
    w.says(GROUP, None, "ops chat of").await;
    w.settled().await;
    assert_eq!(count(&pool, "SELECT count(*) FROM task_threads").await, 0, "no card flood on /bind");
    let scout = w.agent("Scout").await;
    let task = w.new_task("Survey trial users", TaskType::CustomerResearch).await;
    let thread = w.wait_thread(task.id).await;
    assert_eq!(thread.topic_id, None);
    let root = thread.root_message_id.unwrap();
    assert_eq!(Some(root), thread.card_message_id);
    assert!(text(&w.tg.message(GROUP, root).unwrap()).contains("Survey trial users"));

    w.s.app.assign_task(&w.actor(OLGA).await, task.id, vec![scout.id]).await.unwrap();
    w.s.app
        .comment_on_task(&as_agent(&scout), task.id, "Sent the survey to 50 users", None)
        .await
        .unwrap();
    let said = w.says(GROUP, None, "Sent the survey").await;
    assert_eq!(said.reply_to, Some(root), "updates reply to the card");
    w.settled().await;
    let card = w.tg.message(GROUP, root).unwrap();
    assert!(card.edited >= 1 && text(&card).contains("Scout"), "{}", text(&card));

    // Replies to the card, or to an update of the task, become comments.
    w.tg.user_reply(GROUP, &olga(), root, "Include the churned ones");
    w.tg.user_reply(GROUP, &olga(), said.message_id, "And thank them");
    w.tg.user_message(GROUP, &olga(), "not about any task", None);
    let deadline = Instant::now() + WAIT;
    while count(&pool, "SELECT count(*) FROM comments WHERE author_name = 'Olga'").await < 2 {
        assert!(Instant::now() < deadline, "replies did not become comments");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    w.tg.user_message(GROUP, &olga(), "/whoami", None);
    w.says(GROUP, None, "Telegram id").await;
    assert_eq!(count(&pool, "SELECT count(*) FROM comments WHERE author_name = 'Olga'").await, 2);
    w.stop().await;
}

#[sqlx::test]
async fn binding_a_forum_with_200_open_tasks_creates_200_topics_without_a_429(pool: PgPool) {
    let w = world(pool.clone()).await;
    let open = count(&pool, "SELECT count(*) FROM tasks WHERE status NOT IN ('done', 'canceled')").await;
    for i in open..200 {
        w.new_task(&format!("Backlog item {i:03}"), TaskType::Ops).await;
    }
    // Unbound so far: the creations had nowhere to go.
    w.settled().await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM tasks WHERE status NOT IN ('done', 'canceled')").await,
        200
    );
    let started = Instant::now();
    w.tg.user_message(FORUM, &sofie(), "/bind openclaw", None);
    // While the topics are being made, an approval request is not kept waiting behind them.
    w.tg.wait_until(|s| s.topics(FORUM).len() >= 3 + 20, WAIT).await.unwrap();
    let approvals_topic = w
        .app()
        .binding_for_project(w.s.project.id)
        .await
        .unwrap()
        .and_then(|b| b.approvals_topic_id)
        .unwrap();
    let scout = w.agent("Scout").await;
    w.s.ask(&scout, "an urgent email").await.unwrap();
    w.says(FORUM, Some(approvals_topic), "an urgent email").await;
    let topics_then = w.tg.topics(FORUM).len();
    assert!(topics_then < 3 + 30, "the request waited for {topics_then} topics");
    w.bind_forum().await;
    eprintln!(
        "DIAG 200 task topics in {:?} (the approval came after {topics_then} topics)",
        started.elapsed()
    );
    let topics = w.tg.topics(FORUM);
    assert_eq!(topics.len(), 3 + 200);
    let threads: Vec<(Uuid, i32, i32, String)> =
        sqlx::query_as("SELECT task_id, topic_id, card_message_id, topic_name FROM task_threads ORDER BY topic_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(threads.len(), 200);
    for (task_id, topic_id, card, name) in &threads {
        let task = w.task(*task_id).await;
        assert_eq!(*name, topic_name(task.number, task.status, &task.title));
        assert_eq!(w.topic(FORUM, *topic_id).name, *name);
        let first = &w.in_topic(*topic_id)[0];
        assert_eq!(first.message_id, *card);
        assert!(text(first).contains(&task.title));
    }
    assert_eq!(w.tg.calls_to("createForumTopic").len(), 3 + 200, "each topic made once");
    w.stop().await;
}

/// The card's question is answered in its own topic: what the operator writes meanwhile in
/// another task's topic is a comment there. Cancel asks for a reason, then cancels: the topic
/// closes and the card loses its buttons.
#[sqlx::test]
async fn a_cards_question_is_answered_only_in_its_topic_and_cancel_closes_the_task(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.bind_forum().await;
    let a = w.new_task("Draft the FAQ", TaskType::Docs).await;
    let b = w.new_task("Write the changelog", TaskType::Docs).await;
    let ta = w.wait_thread(a.id).await;
    let tb = w.wait_thread(b.id).await;
    let (topic_a, card_a) = (ta.topic_id.unwrap(), ta.card_message_id.unwrap());
    let topic_b = tb.topic_id.unwrap();
    w.settled().await;

    w.tg.click_button(FORUM, &olga(), card_a, "✖️ Cancel task").unwrap();
    w.says(FORUM, Some(topic_a), "why cancel").await;
    // Olga writes in #B's topic before answering: a comment on #B, not #A's reason.
    w.tg.user_message(FORUM, &olga(), "Add the release date too", Some(topic_b));
    let deadline = Instant::now() + WAIT;
    loop {
        let on_b: Vec<String> = sqlx::query_scalar("SELECT body FROM comments WHERE task_id = $1")
            .bind(b.id)
            .fetch_all(&pool)
            .await
            .unwrap();
        if on_b == ["Add the release date too"] {
            break;
        }
        assert!(Instant::now() < deadline, "no comment on #B: {on_b:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(w.task(a.id).await.status, TaskStatus::Inbox, "#A is untouched");
    assert_eq!(w.task(b.id).await.status, TaskStatus::Inbox);

    // The answer in #A's topic cancels #A with it.
    w.tg.user_message(FORUM, &olga(), "Duplicate of the help centre task", Some(topic_a));
    w.tg.wait_until(|s| s.message(FORUM, card_a).is_some_and(|m| m.buttons().is_empty()), WAIT)
        .await
        .unwrap();
    w.settled().await;
    let a_now = w.task(a.id).await;
    assert_eq!(a_now.status, TaskStatus::Canceled);
    let reason: String = sqlx::query_scalar("SELECT reason FROM task_transitions WHERE task_id = $1 AND to_status = 'canceled'")
        .bind(a.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(reason, "Duplicate of the help centre task");
    assert!(w.topic(FORUM, topic_a).closed, "the topic of a canceled task is closed");
    assert!(!w.topic(FORUM, topic_b).closed);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM comments").await,
        1,
        "the reason was the answer, not a comment"
    );
    w.stop().await;
}

/// In a plain group an approval request or alert about a task replies to the task's card (the
/// root of its thread), buttons and all; it is not posted twice.
#[sqlx::test]
async fn in_a_plain_group_approvals_and_alerts_about_a_task_reply_to_its_card(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.tg.user_message(GROUP, &sofie(), "/bind openclaw", None);
    w.says(GROUP, None, "ops chat of").await;
    let scout = w.agent("Scout").await;
    let task = w.new_task("Email the beta testers", TaskType::CustomerResearch).await;
    let root = w.wait_thread(task.id).await.root_message_id.unwrap();
    w.s.app.assign_task(&w.actor(OLGA).await, task.id, vec![scout.id]).await.unwrap();
    w.s.ask_about(&scout, &task, "email 40 beta testers").await.unwrap();
    loop_alert(&w, &task, 7).await;
    let approval = w.says(GROUP, None, "email 40 beta testers").await;
    let alert = w.says(GROUP, None, "is looping").await;
    w.settled().await;
    for m in [&approval, &alert] {
        assert_eq!(m.reply_to, Some(root), "{:?} replies to the card", m.text);
        assert!(!m.buttons().is_empty());
    }
    let copies = |needle: &str| texts(&w.tg, GROUP, None).iter().filter(|t| t.contains(needle)).count();
    assert_eq!(copies("email 40 beta testers"), 1);
    assert_eq!(copies("is looping"), 1);
    w.stop().await;
}

/// A run that reaches the agent's daily cap on its task: the budget alert, with its three
/// actions, is in the Alerts topic and in the task's topic, and the card shows the hold. The
/// per-run cap alert before it (it names the task) is in the task's topic too.
#[sqlx::test]
async fn budget_alerts_about_a_task_reach_its_topic_with_their_buttons(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let scout = w.agent("Scout").await;
    let agent = as_agent(&scout);
    let task = w.assigned_task("Benchmark the signup funnel", TaskType::SeoResearch, &scout).await;
    w.s.start(&scout, task.id).await;
    let thread = w.wait_thread(task.id).await;
    let (topic, card_id) = (thread.topic_id.unwrap(), thread.card_message_id.unwrap());
    let alerts_topic = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap().alerts_topic_id;
    w.settled().await;
    let run = |cents: i64| common::run(scout.id, Some(task.id), Usd::from_cents(cents));

    // Scout (intern): $0.25 per run, $2.00 a day. $0.30 is over the per-run cap.
    let outcome = w.s.app.record_run(&agent, run(30)).await.unwrap();
    assert_eq!(outcome.alerts[0].alert_type, "per_run_cap_exceeded");
    let per_run_alerts = w.says(FORUM, alerts_topic, "in one run").await;
    let per_run_task = w.says(FORUM, Some(topic), "in one run").await;
    assert_eq!(labels(&per_run_task), labels(&per_run_alerts));
    assert_eq!(labels(&per_run_task), ["✔️ Resolve"]);

    // $1.70 more reaches $2.00: Scout paused, the task held, the alert in both topics.
    let outcome = w.s.app.record_run(&agent, run(170)).await.unwrap();
    assert!(outcome.budget_exceeded && outcome.task_held);
    let in_alerts = w.says(FORUM, alerts_topic, "reached its daily budget").await;
    let in_task = w.says(FORUM, Some(topic), "reached its daily budget").await;
    assert_eq!(labels(&in_task), labels(&in_alerts));
    for action in ["💵 Raise by $1.00 and resume", "⏸ Keep paused", "🚫 Quarantine"] {
        assert!(
            labels(&in_task).iter().any(|l| l == action),
            "{action} missing: {:?}",
            labels(&in_task)
        );
    }
    w.settled().await;
    assert_eq!(w.task(task.id).await.status, TaskStatus::NeedsApproval);
    let card = w.tg.message(FORUM, card_id).unwrap();
    assert!(
        text(&card).contains("needs approval") && text(&card).contains("$2.00"),
        "the card shows the hold and the cost: {}",
        text(&card)
    );
    assert_eq!(
        w.topic(FORUM, topic).name,
        topic_name(task.number, TaskStatus::NeedsApproval, "Benchmark the signup funnel")
    );

    // Keep paused from the task's topic: both copies show the decision, buttons gone.
    let click = w.tg.click_button(FORUM, &olga(), in_task.message_id, "⏸ Keep paused").unwrap();
    w.tg.wait_until(|s| s.calls().iter().any(|c| c.params["callback_query_id"] == json!(click)), WAIT)
        .await
        .unwrap();
    w.tg.wait_until(
        |s| {
            [in_alerts.message_id, in_task.message_id]
                .iter()
                .all(|id| s.message(FORUM, *id).is_some_and(|m| m.buttons().is_empty()))
        },
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(w.agent("Scout").await.status, AgentStatus::Paused);
    // Outside the task's topic, only the alerts' copies in the Alerts topic name the task.
    let elsewhere = mentions_outside(&w.tg, FORUM, topic, task.number);
    assert!(
        elsewhere.iter().all(|m| m.thread_id == alerts_topic),
        "#{} mentioned outside its topic: {elsewhere:#?}",
        task.number
    );
    w.stop().await;
}

/// A long title: the topic's name is cut to Telegram's 128 characters (UTF-16 code units too)
/// when the topic is made and when it is renamed, and the card carries the whole title. A title
/// over the core's limit (300 characters) is refused and makes nothing.
#[sqlx::test]
async fn a_long_title_makes_a_valid_topic_name_on_creation_and_rename(pool: PgPool) {
    let w = world(pool.clone()).await;
    w.bind_forum().await;
    let tasks_before = count(&pool, "SELECT count(*) FROM tasks").await;
    let topics_before = w.tg.topics(FORUM).len();

    let too_long = "Research the market ".repeat(15);
    assert_eq!(too_long.chars().count(), 300);
    let refused = w
        .api()
        .post("/api/tasks", &json!({"title": too_long, "type": "seo_research"}).to_string())
        .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    assert!(refused.body.to_string().contains("title"), "{}", refused.body);
    assert_eq!(count(&pool, "SELECT count(*) FROM tasks").await, tasks_before, "nothing made");

    // The longest title the core takes, with characters outside the BMP (two UTF-16 units each).
    let mut title: String = "🚀 Launch plan ü ".repeat(20).chars().take(199).collect();
    title.push('!');
    assert_eq!(title.chars().count(), 200);
    assert!(title.encode_utf16().count() > 200);
    let created = w
        .api()
        .post("/api/tasks", &json!({"title": title, "type": "seo_research"}).to_string())
        .await;
    assert!(created.status.is_success(), "{}", created.body);
    let task_id: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    let thread = w.wait_thread(task_id).await;
    let topic_id = thread.topic_id.unwrap();
    let task = w.task(task_id).await;
    let name = w.topic(FORUM, topic_id).name;
    assert_eq!(name, topic_name(task.number, TaskStatus::Inbox, &task.title));
    assert!(name.chars().count() <= 128 && name.encode_utf16().count() <= 128, "{name}");
    assert!(
        name.starts_with(&format!("#{} 📥 🚀 Launch plan", task.number)) && name.ends_with('…'),
        "{name}"
    );
    let card = w.tg.message(FORUM, thread.card_message_id.unwrap()).unwrap();
    assert!(text(&card).contains(&task.title), "the card has the whole title: {}", text(&card));

    // A status change renames it, still within the limit.
    let scout = w.agent("Scout").await;
    w.s.app.assign_task(&w.actor(OLGA).await, task_id, vec![scout.id]).await.unwrap();
    w.settled().await;
    let renamed = w.topic(FORUM, topic_id).name;
    assert_eq!(renamed, topic_name(task.number, TaskStatus::Assigned, &task.title));
    assert_ne!(renamed, name);
    assert!(renamed.chars().count() <= 128 && renamed.encode_utf16().count() <= 128, "{renamed}");
    assert_eq!(w.thread(task_id).await.unwrap().topic_name.as_deref(), Some(renamed.as_str()));

    // Every topic call was taken: no TOPIC_NAME_INVALID, no other refusal.
    let topic_calls: Vec<_> =
        w.tg.calls()
            .into_iter()
            .filter(|c| c.method == "createForumTopic" || c.method == "editForumTopic")
            .collect();
    assert!(topic_calls.iter().all(|c| c.ok()), "{topic_calls:#?}");
    assert!(topic_calls
        .iter()
        .any(|c| c.method == "editForumTopic" && c.params["name"] == json!(renamed)));
    assert_eq!(w.tg.topics(FORUM).len(), topics_before + 1);
    w.stop().await;
}

/// A task's topic deleted in Telegram: the recreated topic gets the card first, then the copies
/// of the task's pending approval and open alert (with their buttons), and a later decision or
/// resolution edits them there as well as in the Approvals and Alerts topics.
#[sqlx::test]
async fn a_recreated_topic_shows_the_pending_approvals_and_open_alerts_again(pool: PgPool) {
    let w = world(pool).await;
    w.bind_forum().await;
    let scout = w.agent("Scout").await;
    let agent = as_agent(&scout);
    let task = w.assigned_task("Partner outreach list", TaskType::CustomerResearch, &scout).await;
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    let approval = w
        .app()
        .request_approval(
            &agent,
            RequestApproval {
                task_id: Some(task.id),
                ..request(&scout, "email.send", "email 12 partner leads")
            },
        )
        .await
        .unwrap();
    let alert = loop_alert(&w, &task, 9).await;
    let old_topic = w.wait_thread(task.id).await.topic_id.unwrap();
    let in_approvals = w.says(FORUM, binding.approvals_topic_id, "email 12 partner leads").await;
    let in_alerts = w.says(FORUM, binding.alerts_topic_id, "is looping").await;
    w.says(FORUM, Some(old_topic), "email 12 partner leads").await;
    w.says(FORUM, Some(old_topic), "is looping").await;
    w.settled().await;

    assert!(w.tg.delete_topic(FORUM, old_topic));
    w.s.app.comment_on_task(&agent, task.id, "Leads deduplicated", None).await.unwrap();
    w.says(FORUM, None, "Leads deduplicated").await;
    w.settled().await;
    let new = w.thread(task.id).await.unwrap();
    let new_topic = new.topic_id.unwrap();
    assert_ne!(new_topic, old_topic);
    let msgs = w.in_topic(new_topic);
    let said: Vec<&str> = msgs.iter().map(text).collect();
    assert_eq!(msgs.len(), 4, "card, approval, alert, comment: {said:#?}");
    assert_eq!(Some(msgs[0].message_id), new.card_message_id, "the card comes first");
    assert!(said[1].contains("email 12 partner leads"), "{said:#?}");
    assert_eq!(labels(&msgs[1]), ["✅ Approve", "❌ Deny"]);
    assert!(said[2].contains("is looping"), "{said:#?}");
    assert_eq!(labels(&msgs[2]), labels(&in_alerts));
    assert!(said[3].contains("Leads deduplicated"), "{said:#?}");
    let (approval_copy, alert_copy) = (msgs[1].message_id, msgs[2].message_id);

    // Approved from the new copy: both messages show it.
    let click = w.tg.click_button(FORUM, &sofie(), approval_copy, "✅ Approve").unwrap();
    w.tg.wait_until(|s| s.calls().iter().any(|c| c.params["callback_query_id"] == json!(click)), WAIT)
        .await
        .unwrap();
    w.tg.wait_until(
        |s| {
            [approval_copy, in_approvals.message_id].iter().all(|id| {
                s.message(FORUM, *id)
                    .is_some_and(|m| m.buttons().is_empty() && text(m).contains("Approved by"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        w.s.app.get_approval(&w.actor(OLGA).await, approval.id).await.unwrap().status,
        ApprovalStatus::Approved
    );
    // Resolved elsewhere: the new copy follows too.
    w.s.app.resolve_alert(&w.actor(OLGA).await, alert.id).await.unwrap();
    w.tg.wait_until(
        |s| {
            [alert_copy, in_alerts.message_id].iter().all(|id| {
                s.message(FORUM, *id)
                    .is_some_and(|m| m.buttons().is_empty() && text(m).contains("Resolved by Olga"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();
    w.settled().await;
    // Each was copied once into the new topic: the decisions edited, never re-posted.
    assert_eq!(w.in_topic(new_topic).len(), 4);
    w.stop().await;
}
