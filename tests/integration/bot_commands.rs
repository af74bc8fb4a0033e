//! Commands through the core: reading and changing, usage and hints for bad arguments,
//! outsiders refused, pages, long replies, languages, API tokens from the chat.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::*;
use mission_control::domain::*;
use mission_control::telegram::bot;
use serde_json::{json, Value};
use sqlx::PgPool;

#[sqlx::test]
async fn bad_arguments_get_usage_and_unknown_names_a_hint(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let before = state_of(&pool).await;
    let cases = [
        ("/move 12", "Usage: /move <number> <status> [reason]"),
        ("/move x review", "Usage: /move"),
        ("/agent", "Usage: /agent <name>"),
        ("/budget Scout lots", "Usage: /budget"),
        ("/deny A1", "Usage: /deny"),
        ("/grant someone cao", "Usage: /grant"),
        ("/newtask docs", "Usage: /newtask"),
        ("/bind", "Usage: /bind"),
        ("/lang", "Usage: /lang"),
        ("/assign 3", "Usage: /assign"),
    ];
    for (command, usage) in cases {
        w.ask(&sofie(), command, usage).await;
    }
    let text = w.ask(&sofie(), "/agent Scoutt", "not found").await.text.unwrap();
    assert!(text.contains("'Scoutt'") && text.contains("known: Scout"), "{text}");
    let text = w.ask(&sofie(), "/task 99", "#99").await.text.unwrap();
    assert!(text.contains("/tasks"), "{text}");
    let text = w.ask(&sofie(), "/tasks finished", "“finished”").await.text.unwrap();
    assert!(text.contains("in_progress"), "{text}");
    let text = w.ask(&sofie(), "/newtask poetry A sonnet", "“poetry”").await.text.unwrap();
    assert!(text.contains("customer_research"), "{text}");
    let text = w.ask(&sofie(), "/switch nowhere", "'nowhere'").await.text.unwrap();
    assert!(text.contains("openclaw"), "{text}");
    w.ask(&sofie(), "/approve A9", "A9 not found").await;
    w.ask(&sofie(), "/frobnicate@mission_control_test_bot", "I don't know /frobnicate")
        .await;
    let sent = w.tg.user_message(SOFIE, &sofie(), "/bind openclaw", None);
    w.answer_after(SOFIE, sent, "works in a group").await;
    assert_eq!(state_of(&pool).await, before, "bad arguments change nothing");
    w.stop().await;
}

#[sqlx::test]
async fn outsiders_are_refused_politely_and_nothing_changes(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let before = state_of(&pool).await;
    let reply = w.ask(&eve(), "/pause_squad", "not an operator").await;
    assert!(reply.text.unwrap().contains("/grant 1666 viewer"), "tells them their id");
    // The rest within ten minutes are counted, not answered: a stranger cannot spend the
    // group's 20 messages a minute.
    for command in ["/quarantine Scout", "/grant 1666 cao", "/status", "/bind openclaw"] {
        w.say(&eve(), command);
    }
    let attempts = || async {
        let n: Option<i64> = sqlx::query_scalar("SELECT sum(attempts)::bigint FROM telegram_strangers WHERE user_id = 1666")
            .fetch_one(&pool)
            .await
            .unwrap();
        n.unwrap_or(0)
    };
    eventually("the five attempts are counted", WAIT, || async {
        (attempts().await == 5).then_some(())
    })
    .await;
    w.settled().await;
    let told = texts(&w.tg, FORUM, None).iter().filter(|t| t.contains("not an operator")).count();
    assert_eq!(told, 1, "answered once in ten minutes");
    assert_eq!(state_of(&pool).await, before);
    // Audited once for the hour (the first attempt); the hour's count is kept beside it.
    let attempts: Vec<String> = refusals(&pool)
        .await
        .iter()
        .map(|r| r["attempt"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(attempts, ["/pause_squad"]);
    let (count, last): (i32, String) = sqlx::query_as("SELECT attempts, last_attempt FROM telegram_strangers WHERE user_id = 1666")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((count, last.as_str()), (5, "/bind"));
    let actors: Vec<String> = sqlx::query_scalar("SELECT actor_name FROM audit_events WHERE action = 'telegram.refused'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(actors.iter().all(|a| a.contains("1666")), "{actors:?}");
    // Ten minutes on, they are told again.
    w.s.clock.advance(chrono::Duration::minutes(10));
    let later = w.say(&eve(), "/status");
    w.answer_after(FORUM, later, "not an operator").await;
    // A revoked operator is an outsider again.
    w.ask(&sofie(), "/revoke 1003", "no longer has a role").await;
    w.ask(&vic(), "/status", "not an operator").await;
    w.ask(&sofie(), "/grant 1003 operator", "is now operator").await;
    w.ask(&vic(), "/status", "— status").await;
    w.stop().await;
}

#[sqlx::test]
async fn commands_read_and_change_through_the_core(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    w.bind_forum().await;
    let created = w
        .ask(&olga(), "/newtask docs Write the onboarding guide", "Created task")
        .await
        .text
        .unwrap();
    let number: i32 = created.split('#').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    w.ask(
        &olga(),
        &format!("/assign {number} Scribe"),
        &format!("#{number} is assigned to Scribe"),
    )
    .await;
    w.ask(
        &olga(),
        &format!("/move {number} inbox back to the pool"),
        &format!("#{number}: assigned → inbox"),
    )
    .await;
    let refused = w.ask(&olga(), &format!("/move {number} done"), "can't go from").await.text.unwrap();
    assert!(refused.contains("inbox") && refused.contains("canceled"), "{refused}");
    // The move's notice (which names the task too) is out before the card is asked for.
    w.settled().await;
    let card = w
        .ask(&olga(), &format!("/task {number}"), "Write the onboarding guide")
        .await
        .text
        .unwrap();
    assert!(card.contains("Recently"), "{card}");
    w.ask(&olga(), "/inbox", "Tasks of OpenClaw — inbox").await;

    // Budgets: CAO only; in the ops chat the core's notice is the answer.
    w.ask(&olga(), "/budget Scout 3.50", "can't do that").await;
    w.ask(&sofie(), "/budget Scout 3.50", "$3.50").await;
    assert_eq!(w.s.agent(w.s.scout.id).await.budgets.daily_cap, Usd::from_cents(350));

    // Approvals by code.
    let approval = w.red_request("email the partner list").await;
    w.ask(&olga(), "/approvals", "A1 Scout: email.send").await;
    w.ask(&sofie(), "/approve a1", "A1 approved").await;
    assert_eq!(w.approval(approval.id).await.status, ApprovalStatus::Approved);
    w.ask(&sofie(), "/deny A1 too late", "A1 was already approved by tg:1001").await;

    // Summaries and lists.
    let status = w.ask(&vic(), "/status", "OpenClaw — status").await.text.unwrap();
    assert!(status.contains("Agents:") && status.contains("Spend today"), "{status}");
    let standup = w.ask(&vic(), "/standup", "Standup — OpenClaw").await.text.unwrap();
    for part in ["Completed", "Blocked", "Agents", "Spend today", "Pending approvals", "Next up"] {
        assert!(standup.contains(part), "{part} in {standup}");
    }
    assert!(w
        .ask(&vic(), "/burnrate", "Burn rate — OpenClaw")
        .await
        .text
        .unwrap()
        .contains("Scout"));
    let policy = w.ask(&vic(), "/policy", "Risk policy").await.text.unwrap();
    assert!(policy.contains("email.send") && policy.contains("read"), "{policy}");
    assert!(w.ask(&vic(), "/whoami", "Telegram id").await.text.unwrap().contains("viewer"));
    w.ask(&vic(), "/projects", "openclaw").await;
    assert!(w
        .ask(&vic(), "/help", "Mission Control commands")
        .await
        .text
        .unwrap()
        .contains("/pause_squad"));
    w.ask(&vic(), "/start", "Hello, Vic").await;
    w.ask(&vic(), "/agents", "Agents of OpenClaw").await;
    w.ask(&vic(), "/agent Scout", "Heartbeat").await;
    w.ask(&vic(), "/alerts", "Open alerts").await;
    w.ask(&vic(), "/tasks", "Tasks of OpenClaw — open").await;
    w.stop().await;
}

#[sqlx::test]
async fn long_lists_paginate_with_buttons(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    for i in 0..23 {
        w.s.task(&format!("Backlog item {i:02}"), TaskType::Docs).await;
    }
    let inbox = common::count(&pool, "SELECT count(*) FROM tasks WHERE status = 'inbox'").await;
    let pages = (inbox + 9) / 10;
    assert!(pages >= 3);
    let mut page = w.ask(&vic(), "/tasks inbox", &format!("Page 1 of {pages} · {inbox} items")).await;
    assert_eq!(page.buttons().len(), 1, "only Next on the first page");
    let mut seen = std::collections::BTreeSet::new();
    for n in 2..=pages {
        seen.extend(
            page.text
                .as_deref()
                .unwrap()
                .lines()
                .filter(|l| l.starts_with('#'))
                .map(str::to_owned),
        );
        let click = w.tg.click_button(FORUM, &vic(), page.message_id, "Next »").unwrap();
        assert_eq!(w.toast(&click).await, "", "a page click needs no toast");
        page = w.answer_after(FORUM, page.message_id, &format!("Page {n} of {pages}")).await;
        let labels: Vec<String> = page.buttons().into_iter().map(|b| b.text).collect();
        if n < pages {
            assert_eq!(labels, ["« Previous", "Next »"]);
        } else {
            assert_eq!(labels, ["« Previous"]);
        }
    }
    seen.extend(
        page.text
            .as_deref()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_owned),
    );
    assert_eq!(seen.len() as i64, inbox, "every task on exactly one page");
    assert!(seen.iter().any(|l| l.contains("Backlog item 22")));
    w.stop().await;
}

#[sqlx::test]
async fn languages_are_per_chat_and_commands_are_registered_per_language(pool: PgPool) {
    let w = World::new(pool).await;
    w.tg.wait_until(|s| s.my_commands("ru").is_some() && s.my_commands("").is_some(), WAIT)
        .await
        .unwrap();
    let en = w.tg.my_commands("").unwrap();
    let ru = w.tg.my_commands("ru").unwrap();
    assert_eq!(en.as_array().unwrap().len(), bot::COMMANDS.len());
    assert_eq!(ru.as_array().unwrap().len(), bot::COMMANDS.len());
    let describe = |v: &Value, name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|c| c["command"] == name)
            .map(|c| c["description"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(describe(&en, "pause_squad"), "Pause every agent of the project");
    assert_eq!(describe(&ru, "pause_squad"), "Приостановить всех агентов проекта");

    w.ask(&sofie(), "/lang ru", "говорит по-русски").await;
    let status = w.ask(&sofie(), "/status", "состояние").await.text.unwrap();
    assert!(status.contains("Агенты: активны"), "{status}");
    w.ask(&sofie(), "/move 1", "Использование: /move").await;
    // The core's own details and hints are said in the chat's language too.
    let hint = w.ask(&sofie(), "/agent Nobody", "не найден").await.text.unwrap();
    assert!(hint.contains("не найден(а) (есть: Nova, "), "{hint}");
    let quarantine = mission_control::app::agents::StatusCommand::Quarantine;
    w.s.app.change_agent_status(&w.s.cao, w.s.pixel.id, quarantine, None).await.unwrap();
    let refused = w.ask(&sofie(), "/resume Pixel", "Сейчас это невозможно").await.text.unwrap();
    let detail = "нельзя возобновить Pixel, пока он в карантине: сначала выпустите его из карантина";
    assert!(refused.contains(detail), "{refused}");
    // The other chat still speaks English.
    let sent = w.tg.user_message(GROUP, &sofie(), "/status", None);
    w.answer_after(GROUP, sent, "— status").await;
    w.ask(&sofie(), "/lang xx", "«xx»").await;
    w.ask(&sofie(), "/lang en", "speaks English").await;
    w.stop().await;
}

#[sqlx::test]
async fn a_reply_longer_than_a_message_arrives_whole_in_several(pool: PgPool) {
    let w = World::new(pool).await;
    let cli = Actor::system("test");
    let mut slugs = Vec::new();
    for i in 0..50 {
        let slug = format!("long-project-{i:02}");
        w.s.app
            .create_project(
                &cli,
                mission_control::app::projects::CreateProject {
                    slug: slug.clone(),
                    name: format!("A project with a rather long name to fill the lines, number {i:02}"),
                    description: String::new(),
                },
            )
            .await
            .unwrap();
        slugs.push(slug);
    }
    let sent = w.say(&vic(), "/projects");
    let first = w.answer_after(FORUM, sent, "Projects").await;
    w.answer_after(FORUM, first.message_id, "long-project-49").await;
    let parts: Vec<String> =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .filter(|m| m.message_id >= first.message_id)
            .filter_map(|m| m.text)
            .collect();
    assert!(parts.len() >= 2, "split into several messages: {}", parts.len());
    let all = parts.join("\n");
    assert!(all.encode_utf16().count() > 4096);
    for slug in &slugs {
        assert!(all.contains(slug.as_str()), "{slug} is missing");
    }
    assert!(parts.iter().all(|p| !p.ends_with('…')), "nothing was cut");
    w.stop().await;
}

/// A toast given without the click's context (here: a click under a message Telegram no longer
/// gives the bot) speaks the chat's language, not the default.
#[sqlx::test]
async fn a_toast_out_of_context_speaks_the_chats_language(pool: PgPool) {
    let w = World::new(pool).await;
    w.ask(&sofie(), "/lang ru", "говорит по-русски").await;
    w.tg.push_raw_update(json!({
        "callback_query": {
            "id": "raw-click-1",
            "from": {"id": OLGA, "is_bot": false, "first_name": "Olga"},
            "chat_instance": "42",
            "data": "sometoken1",
            "message": {
                "chat": {"id": FORUM, "type": "supergroup", "title": "OpenClaw ops", "is_forum": true},
                "message_id": 1,
                "date": 0
            }
        }
    }));
    let answered =
        |c: &fake_telegram::Call| c.method == "answerCallbackQuery" && c.params["callback_query_id"].as_str() == Some("raw-click-1");
    w.tg.wait_until(|s| s.calls().iter().any(answered), WAIT).await.unwrap();
    let call = w.tg.calls().into_iter().find(answered).unwrap();
    assert_eq!(call.params["text"].as_str(), Some("Эта кнопка больше не действует."));
    w.stop().await;
}

#[sqlx::test]
async fn a_cao_lists_and_revokes_api_tokens_from_the_chat(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let (_, secret) =
        w.s.app
            .create_operator_token(&Actor::system("cli"), "ops-script", OperatorRole::Operator)
            .await
            .unwrap();
    w.s.app.authenticate(&secret).await.unwrap();

    // Not in a group: names, owners and prefixes are the CAO's to see.
    let group = w.ask(&sofie(), "/tokens", "only in a private chat").await.text.unwrap();
    assert!(!group.contains("ops-script"), "{group}");
    let world = &w;
    let private = |user: &fake_telegram::FakeUser, chat: i64, needle: &'static str| {
        let sent = world.tg.user_message(chat, user, "/tokens", None);
        async move { world.answer_after(chat, sent, needle).await.text.unwrap() }
    };
    let listed = private(&sofie(), SOFIE, "API tokens").await;
    for name in ["ops-script", "Olga", "Vic", "Sofie (human)"] {
        assert!(listed.contains(name), "{name}: {listed}");
    }
    assert!(!listed.contains(&secret) && !listed.contains(&secret[..12]), "{listed}");
    let refused = private(&olga(), OLGA, "can't do that").await;
    assert!(refused.contains("needs CAO"), "{refused}");
    w.ask(&olga(), "/revoke_token ops-script", "can't do that").await;
    w.s.app.authenticate(&secret).await.unwrap();

    w.ask(&sofie(), "/revoke_token ops-script", "is revoked").await;
    let err = w.s.app.authenticate(&secret).await.unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
    // What concerns only Sofie goes to her private chat (she has one), with a pointer here.
    w.ask(&sofie(), "/revoke_token ops-script", "answered you in our private chat")
        .await;
    w.says(SOFIE, None, "not found").await;
    w.say(&sofie(), "/revoke_token");
    w.says(SOFIE, None, "Usage: /revoke_token").await;
    w.ask(&sofie(), "/lang ru", "по-русски").await;
    let lang = w.tg.user_message(SOFIE, &sofie(), "/lang ru", None);
    w.answer_after(SOFIE, lang, "по-русски").await;
    let listed = private(&sofie(), SOFIE, "API-токены").await;
    assert!(listed.contains("отозван"), "{listed}");
    w.stop().await;
}
