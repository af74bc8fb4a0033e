//! Approvals from the chat: RED requests as cards with buttons in the Approvals topic, a deny
//! that asks for its reason, codes typed in a chat that switched projects or in reply to a card.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::*;
use mission_control::domain::*;
use mission_control::model::Approval;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

#[sqlx::test]
async fn an_admin_binds_a_forum_and_approvals_are_decided_with_buttons(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let binding = w.bind_forum().await;
    let names: Vec<String> = w.tg.topics(FORUM).into_iter().map(|t| t.name).collect();
    assert!(names.len() >= 3, "system topics: {names:?}");

    // An agent's RED request shows up in the Approvals topic with buttons.
    let approval = w.red_request("send the launch email to 3,000 customers").await;
    let approvals_topic = binding.approvals;
    let card = w.card(FORUM, Some(approvals_topic)).await;
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.text).collect();
    assert!(
        labels.iter().any(|l| l.contains("Approve")) && labels.iter().any(|l| l.contains("Deny")),
        "{labels:?}"
    );
    for button in card.buttons() {
        assert!(button.callback_data.unwrap().len() <= 64);
    }
    let approve = labels.iter().find(|l| l.contains("Approve")).unwrap().clone();

    // An outsider's click is refused, audited, and changes nothing.
    let before = state_of(&pool).await;
    let click = w.tg.click_button(FORUM, &eve(), card.message_id, &approve).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.contains("only Mission Control operators"), "{toast}");
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Pending);
    assert_eq!(state_of(&pool).await, before);
    let refused = refusals(&pool).await;
    assert!(
        refused.iter().any(|r| r["attempt"].as_str().unwrap_or_default().contains("button")),
        "{refused:?}"
    );

    // An operator is not the CAO: refused too.
    let click = w.tg.click_button(FORUM, &olga(), card.message_id, &approve).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Pending);

    // The CAO's click approves it.
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, &approve).unwrap();
    assert!(w.toast(&click).await.contains("A1 approved"));
    let decided = w.approval(approval.id).await;
    assert_eq!(decided.status, ApprovalStatus::Approved);
    assert_eq!(decided.decided_by_name.as_deref(), Some("tg:1001"));

    // The dispatcher edits the card: who decided, no buttons.
    w.tg.wait_until(
        |s| {
            s.message(FORUM, card.message_id)
                .is_some_and(|m| m.buttons().is_empty() && m.edited > 0)
        },
        WAIT,
    )
    .await
    .unwrap();
    let edited = w.tg.message(FORUM, card.message_id).unwrap();
    assert!(edited.text.unwrap().contains("tg:1001"));

    // A second click (the old button, e.g. on another device) is told who decided.
    let data = card
        .buttons()
        .into_iter()
        .find(|b| b.text == approve)
        .unwrap()
        .callback_data
        .unwrap();
    let click = w.tg.click(FORUM, &sofie(), card.message_id, &data);
    let toast = w.toast(&click).await;
    assert!(toast.contains("already approved by tg:1001"), "{toast}");
    w.stop().await;
}

#[sqlx::test]
async fn a_deny_asks_for_a_reason_and_stores_it(pool: PgPool) {
    let w = World::new(pool).await;
    let binding = w.bind_forum().await;
    let topic = binding.approvals;
    let approval = w.red_request("post the pricing page to production").await;
    let card = w.card(FORUM, Some(topic)).await;
    let deny = card.buttons().into_iter().find(|b| b.text.contains("Deny")).unwrap().text;
    let click = w.tg.click_button(FORUM, &sofie(), card.message_id, &deny).unwrap();
    assert!(w.toast(&click).await.contains("reason"));
    let ask = w.bot_says("why deny").await;
    assert_eq!(ask.thread_id, Some(topic), "asked in the topic of the card");
    assert_eq!(
        w.approval(approval.id).await.status,
        ApprovalStatus::Pending,
        "not denied without a reason"
    );

    // Someone else talking in between is not the reason.
    w.tg.user_message(FORUM, &olga(), "hm, are we sure?", Some(topic));
    w.tg.user_message(FORUM, &sofie(), "Not before the legal review", Some(topic));
    // The card, edited into the decision with its reason, is the answer: no second message.
    w.tg.wait_until(
        |s| {
            s.message(FORUM, card.message_id)
                .is_some_and(|m| m.buttons().is_empty() && m.text.as_deref().is_some_and(|t| t.contains("Not before the legal review")))
        },
        WAIT,
    )
    .await
    .unwrap();
    let denied = w.approval(approval.id).await;
    assert_eq!(denied.status, ApprovalStatus::Denied);
    assert_eq!(denied.decision_note.as_deref(), Some("Not before the legal review"));
    w.settled().await;
    assert!(
        !texts(&w.tg, FORUM, Some(topic)).iter().any(|t| t.contains("denied (project")),
        "{:#?}",
        texts(&w.tg, FORUM, Some(topic))
    );
    w.stop().await;
}

/// A project "side" with its own agent Rover, asking for its own A1.
async fn side_with_a_request(w: &World) -> (mission_control::model::Project, Approval) {
    let side = w.s.new_project("side", "Side Quest").await;
    let rover = w.s.register_in(side.id, "Rover", AgentRole::Intern, &[]).await;
    let approval = w.s.ask(&rover, "email the side project's list").await.unwrap();
    (side, approval)
}

#[sqlx::test]
async fn an_approval_code_typed_after_a_switch_never_decides_another_projects_request(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let binding = w.bind_forum().await;
    let topic = binding.approvals;
    let ours = w.red_request("send the launch email").await;
    let (_side, theirs) = side_with_a_request(&w).await;
    assert_eq!(
        (ours.code(), theirs.code()),
        ("A1".to_string(), "A1".to_string()),
        "the same code in both"
    );

    // A viewer may not switch what everyone in the chat acts on.
    let before = state_of(&pool).await;
    let refused = w.ask(&vic(), "/switch side", "can't do that").await.text.unwrap();
    assert!(refused.contains("it needs operator"), "{refused}");
    assert_eq!(state_of(&pool).await, before);
    let current: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(current, Some(w.s.project.id));
    w.ask(&olga(), "/switch side", "Side Quest").await;

    // Outside the topics of the switched ops chat, A1 could mean either: neither is decided.
    for command in ["/approve A1", "/deny A1 not now"] {
        let answer = w.ask(&sofie(), command, "could mean either").await.text.unwrap();
        assert!(answer.contains("OpenClaw") && answer.contains("Side Quest"), "{answer}");
        assert_eq!(w.approval(ours.id).await.status, ApprovalStatus::Pending);
        assert_eq!(w.approval(theirs.id).await.status, ApprovalStatus::Pending);
    }

    // In the Approvals topic, where OpenClaw's card is, A1 is OpenClaw's; the reply says so.
    let sent = w.tg.user_message(FORUM, &sofie(), "/approve A1", Some(topic));
    let answer = w.answer_after(FORUM, sent, "A1 approved").await.text.unwrap();
    assert!(answer.contains("project OpenClaw"), "{answer}");
    assert_eq!(w.approval(ours.id).await.status, ApprovalStatus::Approved);
    assert_eq!(
        w.approval(theirs.id).await.status,
        ApprovalStatus::Pending,
        "the other project's A1 is untouched"
    );
    // A second try there is told, naming the project, that it was decided.
    let sent = w.tg.user_message(FORUM, &sofie(), "/approve A1", Some(topic));
    let again = w.answer_after(FORUM, sent, "already").await.text.unwrap();
    assert!(again.starts_with("Project OpenClaw"), "{again}");
    w.stop().await;
}

#[sqlx::test]
async fn a_code_replying_to_an_approval_card_means_that_cards_project(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let ours = w.red_request("send the launch email").await;
    let side = w.s.new_project("side", "Side Quest").await;
    // A plain group as the ops chat of "side": its approval cards are posted in the chat itself.
    w.tg.user_message(GROUP, &sofie(), "/bind side", None);
    let mut bound = None;
    for _ in 0..100 {
        bound = w.s.app.binding_for_project(side.id).await.unwrap();
        if bound.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(bound.is_some(), "bound");
    let rover = w.s.register_in(side.id, "Rover", AgentRole::Intern, &[]).await;
    let theirs = w.s.ask(&rover, "email the side project's list").await.unwrap();
    assert_eq!((ours.code(), theirs.code()), ("A1".to_string(), "A1".to_string()));
    let card = w.card(GROUP, None).await;
    let sent = w.tg.user_message(GROUP, &olga(), "/switch openclaw", None);
    w.answer_after(GROUP, sent, "OpenClaw").await;

    // Without a card, the switched ops chat could mean either A1.
    let sent = w.tg.user_message(GROUP, &sofie(), "/approve A1", None);
    w.answer_after(GROUP, sent, "could mean either").await;
    // Replying to Side Quest's card means Side Quest's A1.
    let sent = w.tg.user_reply(GROUP, &sofie(), card.message_id, "/approve A1");
    let answer = w.answer_after(GROUP, sent, "A1 approved").await.text.unwrap();
    assert!(answer.contains("project Side Quest"), "{answer}");
    assert_eq!(w.approval(theirs.id).await.status, ApprovalStatus::Approved);
    assert_eq!(
        w.approval(ours.id).await.status,
        ApprovalStatus::Pending,
        "OpenClaw's A1 is untouched"
    );
    w.stop().await;
}
