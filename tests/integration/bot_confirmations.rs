//! Commands that ask to confirm (pause the squad, quarantine, pause and resume an agent): who
//! may answer, what the answered question says, one act for concurrent clicks.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::*;
use fake_telegram::ChatKind;
use mission_control::domain::*;
use sqlx::PgPool;
use uuid::Uuid;

#[sqlx::test]
async fn pause_squad_asks_to_confirm_and_pauses_only_this_project(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    w.bind_forum().await;
    // Another project with an active agent.
    let _cli = Actor::system("test");
    let other = w.s.new_project("side", "Side").await;
    let rover = w.s.register_in(other.id, "Rover", AgentRole::Intern, &[]).await;

    // A viewer cannot: refused, audited, no confirmation offered.
    let before = state_of(&pool).await;
    let refusal = w.ask(&vic(), "/pause_squad", "can't do that").await;
    assert!(refusal.buttons().is_empty());
    assert!(
        refusal
            .text
            .as_deref()
            .unwrap()
            .contains("your role is viewer, and it needs operator"),
        "{:?}",
        refusal.text
    );
    assert_eq!(state_of(&pool).await, before);
    assert!(refusals(&pool).await.iter().any(|r| r["attempt"] == "/pause_squad"));

    // An operator is asked to confirm; nothing happens before the click.
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    assert!(question.text.as_deref().unwrap().contains("agents"), "{:?}", question.text);
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "⏸ Pause the squad").unwrap();
    assert!(w.toast(&click).await.contains("Squad paused"));
    let agents = w.s.app.list_agents(&w.s.cao, w.s.project.id, Default::default()).await.unwrap();
    assert!(agents.items.len() >= 4);
    for agent in &agents.items {
        assert_ne!(agent.status, AgentStatus::Active, "{} still active", agent.name);
    }
    assert!(w.s.app.project_by_id(w.s.project.id).await.unwrap().squad_paused);
    let rover = w.s.app.get_agent(&w.s.cao, rover.id).await.unwrap();
    assert_eq!(rover.status, AgentStatus::Active, "the other project is untouched");
    // The question becomes the core's notice of what it did: one message for the whole
    // action, not a question and then a notice.
    w.tg.wait_until(
        |s| {
            s.message(FORUM, question.message_id).is_some_and(|m| {
                m.buttons().is_empty()
                    && m.text
                        .as_deref()
                        .is_some_and(|t| t.contains("Squad paused") && t.contains("Confirmed by Olga"))
            })
        },
        WAIT,
    )
    .await
    .unwrap();
    w.settled().await;
    let after: Vec<String> = w.general_texts(FORUM).into_iter().filter(|t| t.contains("Squad paused")).collect();
    assert_eq!(after.len(), 1, "no second message: {after:#?}");

    // The confirmation is one-shot.
    let data = question
        .buttons()
        .into_iter()
        .find(|b| b.text == "⏸ Pause the squad")
        .unwrap()
        .callback_data
        .unwrap();
    let again = w.tg.click(FORUM, &olga(), question.message_id, &data);
    assert!(w.toast(&again).await.contains("Already done"));

    w.ask(&olga(), "/resume_squad", "Squad resumed").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    let tg = w.stop().await;
    let said_paused = texts(&tg, FORUM, None)
        .iter()
        .filter(|t| t.contains("Squad paused") || t.contains("paused:"))
        .count();
    assert_eq!(said_paused, 1, "{:#?}", texts(&tg, FORUM, None));
}

#[sqlx::test]
async fn quarantine_scout_confirms_and_is_audited(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let question = w
        .ask(&olga(), "/quarantine Scout runaway costs", "Quarantine Scout?")
        .await
        .message_id;
    let click = w.tg.click_button(FORUM, &olga(), question, "🚫 Quarantine Scout").unwrap();
    assert!(w.toast(&click).await.contains("Scout is quarantined"));
    w.answer_after(FORUM, question, "Scout is now quarantined").await;
    let scout = w.s.agent(w.s.scout.id).await;
    assert_eq!(scout.status, AgentStatus::Quarantined);
    assert_eq!(scout.status_reason.as_deref(), Some("runaway costs"));
    let audited: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT actor_name, data->>'reason' FROM audit_events WHERE action = 'agent.quarantine' AND entity_id = $1")
            .bind(scout.id.to_string())
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audited, vec![("Olga".to_string(), Some("runaway costs".to_string()))]);
    // Cancel on another confirmation changes nothing.
    let question = w.ask(&olga(), "/quarantine Scribe", "Quarantine Scribe?").await.message_id;
    let click = w.tg.click_button(FORUM, &olga(), question, "Cancel").unwrap();
    assert_eq!(w.toast(&click).await, "Canceled");
    assert_eq!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Active);
    // Only a CAO releases.
    w.ask(&olga(), "/release Scout", "can't do that").await;
    w.ask(&sofie(), "/release Scout", "Scout is now active").await;
    w.stop().await;
}

#[sqlx::test]
async fn answered_confirmations_say_who_and_lose_their_buttons(pool: PgPool) {
    let w = World::new(pool).await;
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "⏸ Pause the squad").unwrap();
    assert!(w.toast(&click).await.contains("Squad paused"));
    let edited = |id: i32, needle: &'static str| {
        move |s: &fake_telegram::State| {
            s.message(FORUM, id)
                .is_some_and(|m| m.buttons().is_empty() && m.text.as_deref().is_some_and(|t| t.contains(needle)))
        }
    };
    w.tg.wait_until(edited(question.message_id, "Confirmed by Olga"), WAIT)
        .await
        .unwrap();
    let now = w.tg.message(FORUM, question.message_id).unwrap();
    let text = now.text.unwrap();
    assert!(
        text.contains("Pause the whole squad") && text.contains("2026-03-02 10:00 UTC"),
        "{text}"
    );

    let question = w.ask(&olga(), "/quarantine Scribe", "Quarantine Scribe?").await;
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "Cancel").unwrap();
    assert_eq!(w.toast(&click).await, "Canceled");
    w.tg.wait_until(edited(question.message_id, "Canceled by Olga"), WAIT)
        .await
        .unwrap();
    assert_ne!(w.s.agent(w.s.scribe.id).await.status, AgentStatus::Quarantined);

    // A refused confirmation keeps its question open (and its buttons) for someone allowed.
    let question = w.ask(&olga(), "/quarantine Pixel", "Quarantine Pixel?").await;
    let click =
        w.tg.click_button(FORUM, &vic(), question.message_id, "🚫 Quarantine Pixel")
            .unwrap();
    assert!(w.toast(&click).await.starts_with("Not allowed"));
    let click =
        w.tg.click_button(FORUM, &olga(), question.message_id, "🚫 Quarantine Pixel")
            .unwrap();
    assert!(w.toast(&click).await.contains("Pixel is quarantined"));
    w.tg.wait_until(edited(question.message_id, "Confirmed by Olga"), WAIT)
        .await
        .unwrap();
    w.stop().await;
}

/// Two clicks on one confirmation at the same moment (two devices, or two replicas): one acts,
/// the others are told it was done. Clicks in different chats are handled side by side.
#[sqlx::test]
async fn concurrent_clicks_on_a_confirmation_act_once(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let chats: Vec<i64> = (1..=8).map(|i| -200_000 - i).collect();
    let mut under = Vec::new();
    for chat in &chats {
        w.tg.add_chat(*chat, ChatKind::Supergroup { forum: false }, "Another ops group");
        let sent = w.tg.user_message(*chat, &olga(), "/whoami", None);
        under.push(w.answer_after(*chat, sent, "Telegram id").await.message_id);
    }
    // A confirmation whose button works in any chat.
    let token = mission_control::telegram::actions::store(
        &w.s.app,
        &mission_control::telegram::actions::ButtonAction::ConfirmQuarantine {
            agent_id: w.s.pixel.id,
            reason: Some("twice?".into()),
        },
        None,
    )
    .await
    .unwrap();
    let clicks: Vec<String> = chats
        .iter()
        .zip(&under)
        .map(|(chat, m)| w.tg.click(*chat, &olga(), *m, &token))
        .collect();
    let mut toasts = Vec::new();
    for click in &clicks {
        toasts.push(w.toast(click).await);
    }
    let acted = toasts.iter().filter(|t| !t.contains("Already done")).count();
    assert_eq!(acted, 1, "{toasts:?}");
    assert!(toasts.iter().any(|t| t.contains("Pixel is quarantined")), "{toasts:?}");
    assert_eq!(w.s.agent(w.s.pixel.id).await.status, AgentStatus::Quarantined);
    w.stop().await;
}

#[sqlx::test]
async fn only_someone_who_could_answer_a_question_may_dismiss_it(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let question = w.ask(&olga(), "/pause_squad", "Pause the whole squad").await;
    let before = state_of(&pool).await;
    let click = w.tg.click_button(FORUM, &vic(), question.message_id, "Cancel").unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.starts_with("Not allowed"), "{toast}");
    assert_eq!(state_of(&pool).await, before);
    assert!(
        refusals(&pool).await.iter().any(|r| r["attempt"] == "button dismiss"),
        "{:?}",
        refusals(&pool).await
    );
    let still = w.tg.message(FORUM, question.message_id).unwrap();
    assert!(!still.buttons().is_empty(), "the question stays open");
    // The operator who asked can.
    let click = w.tg.click_button(FORUM, &olga(), question.message_id, "Cancel").unwrap();
    assert!(w.toast(&click).await.contains("Canceled"));
    assert!(!w.s.app.project_by_id(w.s.project.id).await.unwrap().squad_paused);
    w.stop().await;
}

#[sqlx::test]
async fn pause_and_resume_an_agent_and_switch_the_chats_project(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    w.ask(&olga(), "/pause Scout", "Scout is now paused").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Paused);
    w.ask(&olga(), "/resume Scout", "Scout is now active").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    w.ask(&olga(), "/pause Nobody", "not found").await;

    let side = w.s.new_project("side", "Side Quest").await;
    w.ask(&olga(), "/switch side", "Side Quest").await;
    let stored: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, Some(side.id));
    // Commands now act on it: Side has no Scout.
    w.ask(&olga(), "/pause Scout", "not found").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    w.ask(&olga(), "/switch nowhere", "nowhere").await;
    let stored: Option<Uuid> = sqlx::query_scalar("SELECT current_project_id FROM telegram_chats WHERE chat_id = $1")
        .bind(FORUM)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, Some(side.id), "a bad slug changes nothing");
    w.stop().await;
}
