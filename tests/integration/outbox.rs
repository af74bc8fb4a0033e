//! The outbox dispatcher against a real PostgreSQL and the fake Bot API: routing to topics,
//! buttons that resolve, edits, skips, faults (429, 5xx, dropped and slow connections), a crash
//! mid-burst, LISTEN wake-ups, long texts, lost topics, a standby replica and a burst of alerts.
//! Every test ends with no 429 from the fake's flood limits and no invalid call.

use crate::common;

use common::telegram::{quick as fast, scaled_dispatch as scaled, sofie, text, FORUM, GROUP};
use common::world::World;
use common::*;
use fake_telegram::{ChatKind, StoredMessage};
use mission_control::app::approvals::{RequestApproval, Verdict};
use mission_control::domain::*;
use mission_control::telegram::actions::ButtonAction;
use mission_control::telegram::outbox::DispatchOptions;
use mission_control::telegram::render::text::visible_len;
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};
use teloxide::prelude::*;
use teloxide::RequestError;

/// The squad and the fake (its group a plain "group"), nothing running yet.
async fn world(pool: PgPool) -> World {
    World::build(pool).idle().group(ChatKind::Group).start().await
}

/// The same with Telegram's limits scaled down 100-fold.
async fn scaled_world(pool: PgPool) -> World {
    World::build(pool).idle().group(ChatKind::Group).scaled().start().await
}

#[sqlx::test]
async fn a_bound_forum_gets_its_topics_and_every_notice_its_place(pool: PgPool) {
    let w = scaled_world(pool).await;
    w.bind(FORUM, true).await;
    let run = w.start(scaled());
    // The system topics, and one for each of the 8 open tasks of the seed.
    w.tg.wait_until(
        |st| st.topics(FORUM).len() == 3 + 8 && !st.bot_messages_in(FORUM, None).is_empty(),
        Duration::from_secs(15),
    )
    .await
    .unwrap();
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    assert_eq!(binding.approvals_topic_id, Some(w.topic_named(FORUM, "Approvals")));
    assert_eq!(binding.alerts_topic_id, Some(w.topic_named(FORUM, "Alerts")));
    assert_eq!(binding.standup_topic_id, Some(w.topic_named(FORUM, "Standup")));
    let general = w.general(FORUM);
    assert_eq!(general.len(), 1);
    assert!(text(&general[0]).contains("ops chat of openclaw"), "{}", text(&general[0]));

    let approval = w.s.ask(&w.s.pixel, "mail 500 customers <now>").await.unwrap();
    assert_eq!(approval.status, ApprovalStatus::Pending);
    let alert =
        w.s.raise(
            "budget_exceeded",
            AlertSeverity::Critical,
            format!("agent:{}", w.s.scout.id),
            "Scout is over its cap",
        )
        .await;
    let task = w.s.task("Write the launch post", TaskType::Content).await;
    w.settled_within(Duration::from_secs(20)).await;

    let approvals = w.tg.bot_messages_in(FORUM, Some(w.topic_named(FORUM, "Approvals")));
    assert_eq!(approvals.len(), 1);
    assert!(text(&approvals[0]).contains(&approval.code()));
    assert!(approvals[0].raw_text.as_deref().unwrap().contains("mail 500 customers &lt;now&gt;"));
    assert_eq!(approvals[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        w.actions(&approvals[0]).await,
        vec![
            ButtonAction::Approve { approval_id: approval.id },
            ButtonAction::Deny { approval_id: approval.id }
        ]
    );
    let alerts = w.tg.bot_messages_in(FORUM, Some(w.topic_named(FORUM, "Alerts")));
    assert_eq!(alerts.len(), 1);
    assert!(text(&alerts[0]).contains("Scout is over its cap"));
    let actions = w.actions(&alerts[0]).await;
    assert_eq!(
        actions[0],
        ButtonAction::RaiseCap {
            alert_id: alert.id,
            agent_id: w.s.scout.id,
            by: None
        }
    );
    assert_eq!(actions.len(), 4);
    // A task has its own topic, its card first.
    assert_eq!(w.general(FORUM).len(), 1);
    let topic = w.topic_named(FORUM, &format!("#{} 📥 Write the launch post", task.number));
    let in_topic = w.tg.bot_messages_in(FORUM, Some(topic));
    assert_eq!(in_topic.len(), 1);
    assert!(text(&in_topic[0]).contains("Write the launch post"), "{}", text(&in_topic[0]));
    // Message ids are recorded on the rows.
    let undelivered = count(
        &w.pool,
        "SELECT count(*) FROM outbox WHERE status <> 'skipped' AND (telegram_message_id IS NULL OR status <> 'delivered')",
    )
    .await;
    assert_eq!(undelivered, 0);
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_decided_approval_edits_its_request_and_drops_the_buttons(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(fast());
    let approval = w.s.ask(&w.s.pixel, "mail the list").await.unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    let before = w.tg.bot_messages_in(GROUP, None);
    assert_eq!(before.len(), 2, "bound + request");
    let request = before[1].clone();
    assert_eq!(request.buttons().len(), 2);

    w.s.app
        .decide_approval(&w.s.cao, approval.id, Verdict::Approve, None)
        .await
        .unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    let after = w.tg.message(GROUP, request.message_id).unwrap();
    assert!(after.edited >= 1);
    assert!(after.buttons().is_empty(), "buttons removed");
    assert!(
        text(&after).contains("mail the list") && text(&after).contains("Approved by Sofie (human)"),
        "{}",
        text(&after)
    );
    assert_eq!(w.tg.bot_messages_in(GROUP, None).len(), 2, "edited, not posted");
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_repeated_alert_edits_its_message_and_resolving_closes_it(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(fast());
    let subject = format!("agent:{}", w.s.scout.id);
    let alert =
        w.s.raise("agent_stale", AlertSeverity::Warning, subject.clone(), "Scout is silent")
            .await;
    w.settled_within(Duration::from_secs(10)).await;
    let posted = w.tg.bot_messages_in(GROUP, None)[1].clone();
    assert_eq!(posted.buttons().len(), 3);

    w.s.raise("agent_stale", AlertSeverity::Warning, subject.clone(), "Scout is silent")
        .await;
    w.s.raise("agent_stale", AlertSeverity::Warning, subject, "Scout is silent").await;
    w.settled_within(Duration::from_secs(10)).await;
    let edited = w.tg.message(GROUP, posted.message_id).unwrap();
    assert!(text(&edited).contains("Seen 3 times"), "{}", text(&edited));
    assert_eq!(edited.buttons().len(), 3, "the keyboard stays on edits");
    assert_eq!(
        w.action(edited.buttons()[0].callback_data.as_deref().unwrap()).await,
        ButtonAction::RestartAgent {
            alert_id: Some(alert.id),
            agent_id: w.s.scout.id
        }
    );
    assert_eq!(w.tg.bot_messages_in(GROUP, None).len(), 2, "repeats edit, they do not post");

    w.s.app.resolve_alert(&w.s.operator, alert.id).await.unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    let resolved = w.tg.message(GROUP, posted.message_id).unwrap();
    assert!(text(&resolved).contains("Resolved by Olga"), "{}", text(&resolved));
    assert!(resolved.buttons().is_empty());
    assert_eq!(w.tg.bot_messages_in(GROUP, None).len(), 2);
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_project_without_a_chat_skips_its_rows(pool: PgPool) {
    let w = world(pool).await;
    w.s.raise("custom", AlertSeverity::Info, "nothing".into(), "nobody listens").await;
    let done = w.dispatcher(fast()).tick().await.unwrap();
    assert_eq!(done, 1);
    let (status, error): (String, Option<String>) = sqlx::query_as("SELECT status, last_error FROM outbox")
        .fetch_one(&w.pool)
        .await
        .unwrap();
    assert_eq!(status, "skipped");
    assert!(error.unwrap().contains("no bound chat"));
    assert!(w.tg.calls().is_empty());
    // Nothing left to do: a second tick finds nothing.
    assert_eq!(w.dispatcher(fast()).tick().await.unwrap(), 0);
}

/// Task numbers of the "created" lines in the chat, in the order they arrived.
fn created_numbers(msgs: &[StoredMessage], titles: &[String]) -> Vec<usize> {
    msgs.iter()
        .filter_map(|m| titles.iter().position(|t| text(m).contains(t.as_str())))
        .collect()
}

/// Every title arrived, first arrivals in order, and at most `dups` arrived twice.
fn assert_all_in_order(arrived: &[usize], n: usize, dups: usize) {
    let mut firsts = Vec::new();
    for i in arrived {
        if !firsts.contains(i) {
            firsts.push(*i);
        }
    }
    assert_eq!(firsts, (0..n).collect::<Vec<_>>(), "arrived: {arrived:?}");
    assert!(arrived.len() <= n + dups, "too many duplicates: {arrived:?}");
}

#[sqlx::test]
async fn with_429s_5xx_and_dropped_connections_every_message_arrives_in_order(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(fast());
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;

    // Lost requests, a lost answer (the message arrived: the one duplicate allowed), a slow one.
    w.tg.drop_next("sendMessage", 1);
    w.tg.drop_reply_next("sendMessage", 1);
    w.tg.delay_next("sendMessage", Duration::from_millis(400), 1);
    let mut titles = Vec::new();
    for i in 0..4 {
        titles.push(format!("Fault task {i:02}"));
        w.s.task(&titles[i], TaskType::Ops).await;
    }
    w.settled_within(Duration::from_secs(20)).await;
    // Telegram's pacing and a server error (teloxide waits 10 s before reading any 5xx).
    w.tg.fail_next("sendMessage", 429, 2);
    w.tg.fail_next("sendMessage", 502, 1);
    for i in 4..8 {
        titles.push(format!("Fault task {i:02}"));
        w.s.task(&titles[i], TaskType::Ops).await;
    }
    w.settled_within(Duration::from_secs(40)).await;

    let msgs = w.tg.bot_messages_in(GROUP, None);
    let arrived = created_numbers(&msgs, &titles);
    assert_all_in_order(&arrived, titles.len(), 1);
    let calls = w.tg.calls_to("sendMessage");
    assert_eq!(calls.iter().filter(|c| c.dropped).count(), 2);
    assert_eq!(calls.iter().filter(|c| c.delayed.is_some()).count(), 1);
    assert_eq!(calls.iter().filter(|c| c.injected).count(), 3);
    let failed = count(&w.pool, "SELECT count(*) FROM outbox WHERE status NOT IN ('delivered', 'skipped')").await;
    assert_eq!(failed, 0);
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_crash_mid_burst_loses_nothing(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let first = w.start(fast());
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    let titles: Vec<String> = (0..8).map(|i| format!("Burst task {i:02}")).collect();
    for t in &titles {
        w.s.task(t, TaskType::Ops).await;
    }
    w.wait_messages(GROUP, 4, Duration::from_secs(10)).await;
    // The next send is slow: the crash comes while it is in flight.
    w.tg.delay_next("sendMessage", Duration::from_secs(2), 1);
    // The slow send has arrived (its fault is used): the crash comes while it is in flight.
    eventually("the slow send is in flight", Duration::from_secs(10), || async {
        (w.tg.faults_left("sendMessage") == 0).then_some(())
    })
    .await;
    first.abort();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_flight = count(&w.pool, "SELECT count(*) FROM outbox WHERE status = 'sending'").await;
    assert!(in_flight <= 1, "{in_flight} rows in flight");
    eprintln!("DIAG in flight at the crash: {in_flight}");

    let second = w.start(fast());
    w.settled_within(Duration::from_secs(30)).await;
    let arrived = created_numbers(&w.tg.bot_messages_in(GROUP, None), &titles);
    assert_all_in_order(&arrived, titles.len(), 1);
    second.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn notify_wakes_the_dispatcher_without_a_timer(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(DispatchOptions {
        idle_poll: Duration::from_secs(120),
        poll_interval: Duration::from_secs(120),
        lock_check: Duration::from_secs(120),
        ..fast()
    });
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    // Let the per-chat interval pass, so only the notification can wake it.
    let last =
        w.tg.calls()
            .iter()
            .filter(|c| c.params["chat_id"].as_i64() == Some(GROUP))
            .map(|c| c.at)
            .max()
            .unwrap();
    tokio::time::sleep_until((last + Duration::from_millis(1100)).into()).await;
    let started = Instant::now();
    w.s.task("Wake up", TaskType::Ops).await;
    w.wait_messages(GROUP, 2, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_millis(1000), "took {:?}", started.elapsed());
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn long_text_is_split_at_lines_with_buttons_on_the_last_part(pool: PgPool) {
    let w = world(pool).await;
    let lines: Vec<String> = (0..400)
        .map(|i| format!("<b>{i:04}</b> a line of the answer, Ünïcödé 🚀"))
        .collect();
    let keyboard = json!([[{"text": "Next", "callback_data": "page-2-token"}]]);
    w.s.app
        .reply(&w.s.cao, None, GROUP, None, lines.join("\n"), Some(keyboard))
        .await
        .unwrap();
    let dispatcher = w.dispatcher(fast());
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while done == 0 && Instant::now() < deadline {
        done = dispatcher.tick().await.unwrap();
    }
    assert_eq!(done, 1);
    let msgs = w.tg.bot_messages_in(GROUP, None);
    assert!(msgs.len() >= 3, "{} parts", msgs.len());
    let mut seen = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let raw = m.raw_text.as_deref().unwrap();
        assert!(visible_len(raw) <= 4096);
        assert_eq!(m.buttons().is_empty(), i + 1 < msgs.len(), "buttons only on the last part");
        seen.extend(raw.lines().map(str::to_string));
    }
    assert_eq!(seen, lines);
    let parts: i32 = sqlx::query_scalar("SELECT parts_sent FROM outbox WHERE kind = 'reply'")
        .fetch_one(&w.pool)
        .await
        .unwrap();
    assert_eq!(parts as usize, msgs.len());
    w.assert_clean();
}

#[sqlx::test]
async fn a_deleted_topic_sends_to_general_and_is_forgotten(pool: PgPool) {
    let w = scaled_world(pool).await;
    w.bind(FORUM, true).await;
    let run = w.start(scaled());
    w.settled_within(Duration::from_secs(15)).await;
    let alerts = w.topic_named(FORUM, "Alerts");
    assert!(w.tg.delete_topic(FORUM, alerts));
    w.s.raise("custom", AlertSeverity::Info, "thing".into(), "Where does this go?")
        .await;
    w.settled_within(Duration::from_secs(10)).await;
    let general = w.general(FORUM);
    assert!(text(general.last().unwrap()).contains("Where does this go?"));
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    assert_eq!(binding.alerts_topic_id, None);
    assert!(binding.approvals_topic_id.is_some());
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_standby_replica_takes_over_when_the_active_one_stops(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let active = w.start(fast());
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    let standby = w.start(fast());
    tokio::time::sleep(Duration::from_millis(300)).await;
    active.stop().await;
    w.s.task("After the handover", TaskType::Ops).await;
    w.wait_messages(GROUP, 2, Duration::from_secs(10)).await;
    w.settled_within(Duration::from_secs(5)).await;
    assert_eq!(w.tg.bot_messages_in(GROUP, None).len(), 2);
    standby.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_burst_of_alerts_becomes_digests_and_none_is_missing(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(fast());
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    let mut messages = Vec::new();
    for i in 0..120 {
        let msg = format!("Storm alert {i:03} for <agent>");
        let severity = if i % 5 == 0 {
            AlertSeverity::Critical
        } else {
            AlertSeverity::Warning
        };
        w.s.raise("error_streak", severity, format!("agent:{}", uuid::Uuid::new_v4()), &msg)
            .await;
        messages.push(msg);
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    w.settled_within(Duration::from_secs(30)).await;
    let msgs = w.tg.bot_messages_in(GROUP, None);
    let all: String = msgs.iter().map(text).collect::<Vec<_>>().join("\n");
    for m in &messages {
        assert!(all.contains(m.as_str()), "{m} never reached the chat");
    }
    assert!(msgs.len() < 20, "{} messages for 120 alerts", msgs.len());
    eprintln!("DIAG burst: {} messages", msgs.len());
    let digests = count(&w.pool, "SELECT count(*) FROM outbox WHERE delivery = 'digest'").await;
    assert!(digests > 100, "{digests} rows delivered in digests");
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn the_fake_delays_and_drops_connections_on_demand(pool: PgPool) {
    let w = world(pool).await;
    let bot = w.bot();
    w.tg.drop_next("sendMessage", 1);
    let lost = bot.send_message(ChatId(GROUP), "lost").await.unwrap_err();
    assert!(matches!(lost, RequestError::Network(_)), "{lost:?}");
    assert!(w.tg.bot_messages_in(GROUP, None).is_empty());

    w.tg.drop_reply_next("sendMessage", 1);
    let unanswered = bot.send_message(ChatId(GROUP), "arrived unanswered").await.unwrap_err();
    assert!(matches!(unanswered, RequestError::Network(_)), "{unanswered:?}");
    assert_eq!(w.tg.bot_messages_in(GROUP, None).len(), 1);

    w.tg.delay_next("sendMessage", Duration::from_millis(300), 1);
    let started = Instant::now();
    bot.send_message(ChatId(GROUP), "slow").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    bot.send_message(ChatId(GROUP), "fast").await.unwrap();

    let calls = w.tg.calls_to("sendMessage");
    assert_eq!(
        calls.iter().map(|c| (c.dropped, c.delayed.is_some())).collect::<Vec<_>>(),
        [(true, false), (true, false), (false, true), (false, false)]
    );
    assert_eq!(calls[0].status, 0);
    assert_eq!(calls[1].status, 200);
    let _ = &w.s;
    w.assert_clean();
}

/// The backend of a LISTEN connection on the test's database, if there is one.
async fn listeners(pool: &PgPool) -> Option<i32> {
    let pids: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'")
            .fetch_all(pool)
            .await
            .unwrap();
    pids.first().copied()
}

#[sqlx::test]
async fn a_lost_listen_connection_is_replaced_and_nothing_waits_for_the_timer(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(DispatchOptions {
        idle_poll: Duration::from_secs(120),
        lock_check: Duration::from_secs(120),
        ..fast()
    });
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    // The listener connects beside the first deliveries: wait for it, not for a moment.
    let first = eventually("the dispatcher LISTENs on its own connection", Duration::from_secs(30), || {
        listeners(&w.pool)
    })
    .await;
    let killed: i64 = sqlx::query_scalar("SELECT count(*) FROM (SELECT pg_terminate_backend($1)) t")
        .bind(first)
        .fetch_one(&w.pool)
        .await
        .unwrap();
    assert_eq!(killed, 1);
    // Replaced by a new connection, not by the two-minute timers.
    let second = eventually("a new LISTEN connection", Duration::from_secs(30), || async {
        listeners(&w.pool).await.filter(|pid| *pid != first)
    })
    .await;
    assert_ne!(second, first);
    let started = Instant::now();
    w.s.task("Still heard", TaskType::Ops).await;
    w.wait_messages(GROUP, 2, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    run.stop().await;
    w.assert_clean();
}

#[sqlx::test]
async fn a_permanent_refusal_fails_its_row_and_others_go_on(pool: PgPool) {
    let w = world(pool).await;
    const GONE: i64 = -999;
    w.s.app
        .reply(&w.s.cao, None, GONE, None, "into the void".into(), None)
        .await
        .unwrap();
    w.s.app.reply(&w.s.cao, None, GROUP, None, "hello".into(), None).await.unwrap();
    let run = w.start(fast());
    w.settled_within(Duration::from_secs(10)).await;
    let (status, error): (String, Option<String>) = sqlx::query_as("SELECT status, last_error FROM outbox WHERE chat_id = $1")
        .bind(GONE)
        .fetch_one(&w.pool)
        .await
        .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("chat not found"));
    assert_eq!(text(&w.tg.bot_messages_in(GROUP, None)[0]), "hello");
    run.stop().await;
    w.assert_clean();
}

/// Network trouble for longer than any attempt cap: the row waits it out and arrives (nothing
/// is lost to transient failures; only permanent refusals fail a row).
#[sqlx::test]
async fn transient_failures_are_retried_until_telegram_recovers(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(DispatchOptions {
        max_attempts: 3,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        ..fast()
    });
    w.wait_messages(GROUP, 1, Duration::from_secs(5)).await;
    w.tg.drop_next("sendMessage", 9);
    w.s.task("Survives the outage", TaskType::Ops).await;
    w.settled_within(Duration::from_secs(30)).await;
    let msgs = w.tg.bot_messages_in(GROUP, None);
    assert!(msgs.iter().any(|m| text(m).contains("Survives the outage")), "the message arrived");
    let dropped = w.tg.calls_to("sendMessage").iter().filter(|c| c.dropped).count();
    assert_eq!(dropped, 9);
    let failed = count(&w.pool, "SELECT count(*) FROM outbox WHERE status = 'failed'").await;
    assert_eq!(failed, 0);
    run.stop().await;
    w.assert_clean();
}

// ---- the control channel stays live (issue 13) ----

/// An approval request of `agent`, as the agent.
async fn ask(
    w: &World,
    agent: &mission_control::model::Agent,
    summary: &str,
) -> mission_control::app::AppResult<mission_control::model::Approval> {
    w.s.app
        .request_approval(
            &as_agent(agent),
            RequestApproval {
                risk_level: Some(RiskLevel::Red),
                ..request(agent, "email.send", summary)
            },
        )
        .await
}

/// Rows a failed release left `sending` (the database was gone at that moment) are taken back
/// by the running dispatcher: no restart needed.
#[sqlx::test]
async fn rows_left_sending_by_a_failed_release_are_reclaimed_without_a_restart(pool: PgPool) {
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    let run = w.start(fast());
    w.settled_within(Duration::from_secs(10)).await;
    w.s.app.reply(&w.s.cao, None, GROUP, None, "stuck once".into(), None).await.unwrap();
    sqlx::query("UPDATE outbox SET status = 'sending' WHERE status = 'pending'")
        .execute(&w.pool)
        .await
        .unwrap();
    w.s.app
        .reply(&w.s.cao, None, GROUP, None, "and after it".into(), None)
        .await
        .unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    let texts: Vec<String> = w.general(GROUP).iter().map(|m| text(m).to_string()).collect();
    let stuck = texts.iter().position(|t| t == "stuck once").expect("the reclaimed row arrived");
    let after = texts.iter().position(|t| t == "and after it").expect("the next row arrived");
    assert!(stuck < after, "{texts:?}");
    run.stop().await;
    w.assert_clean();
}

/// Every connection of the service cut three times while approval cards are being delivered:
/// all of them arrive, with no restart.
#[sqlx::test]
async fn terminated_database_connections_during_delivery_leave_nothing_stuck(pool: PgPool) {
    let w = scaled_world(pool).await;
    w.bind(FORUM, true).await;
    let run = w.start(scaled());
    let mut asked = 0;
    for round in 0..3 {
        for i in 0..5 {
            ask(&w, &w.s.pixel, &format!("cut {round}.{i}")).await.unwrap();
            asked += 1;
        }
        tokio::time::sleep(Duration::from_millis(30 * round as u64)).await;
        let killed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
        )
        .fetch_one(&w.pool)
        .await
        .unwrap();
        assert!(killed > 0);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Commands are still answered.
    let mut replied = false;
    for _ in 0..20 {
        if w.s.app.reply(&w.s.cao, None, GROUP, None, "still here".into(), None).await.is_ok() {
            replied = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(replied);
    w.settled_within(Duration::from_secs(30)).await;
    let approvals = w.topic_named(FORUM, "Approvals");
    let cards = w.tg.bot_messages_in(FORUM, Some(approvals));
    for round in 0..3 {
        for i in 0..5 {
            let needle = format!("cut {round}.{i}");
            assert!(cards.iter().any(|m| text(m).contains(&needle)), "{needle} never arrived");
        }
    }
    assert!(cards.len() >= asked);
    assert!(w.general(GROUP).iter().any(|m| text(m) == "still here"));
    let failed = count(&w.pool, "SELECT count(*) FROM outbox WHERE status = 'failed'").await;
    assert_eq!(failed, 0);
    run.stop().await;
}

/// A group upgraded to a supergroup: the first send after the upgrade is refused with
/// `migrate_to_chat_id`, and the binding and undelivered messages move to the new chat, which
/// gets them; the service message that follows changes nothing more.
#[sqlx::test]
async fn a_group_migrated_to_a_supergroup_takes_its_binding_and_queue_along(pool: PgPool) {
    const SUPER: i64 = -1_000_000_777;
    let w = world(pool).await;
    w.bind(GROUP, false).await;
    w.dispatcher(fast()).tick().await.unwrap();
    let run = w.start(fast());
    w.s.app
        .reply(&w.s.cao, None, GROUP, None, "before the upgrade".into(), None)
        .await
        .unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    assert!(w.tg.bot_messages_in(GROUP, None).iter().any(|m| text(m) == "before the upgrade"));
    w.tg.migrate_chat(GROUP, SUPER);
    w.s.app
        .reply(&w.s.cao, None, GROUP, None, "queued for the group".into(), None)
        .await
        .unwrap();
    ask(&w, &w.s.pixel, "after the upgrade").await.unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    let binding = w.s.app.binding_for_project(w.s.project.id).await.unwrap().unwrap();
    assert_eq!(binding.chat_id, SUPER);
    let texts: Vec<String> = w.tg.bot_messages_in(SUPER, None).iter().map(|m| text(m).to_string()).collect();
    assert!(texts.iter().any(|t| t == "queued for the group"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("after the upgrade")), "{texts:?}");
    let refused = w.tg.calls().iter().filter(|c| c.status == 400).count();
    assert_eq!(refused, 1, "one refused send taught the dispatcher the new chat");
    // The service message about the same upgrade arrives later: nothing more changes.
    w.s.app.chat_migrated(&Actor::system("telegram"), GROUP, SUPER).await.unwrap();
    let audited = count(&w.pool, "SELECT count(*) FROM audit_events WHERE action = 'chat.migrated'").await;
    assert_eq!(audited, 1);
    run.stop().await;
    w.assert_clean();
}

/// A squad pause (project, then agents) racing approval requests (which number the approval on
/// the project): one lock order, so no deadlock and no 500.
#[sqlx::test]
async fn a_squad_pause_racing_approval_requests_never_fails(pool: PgPool) {
    let w = world(pool).await;
    for round in 0..5 {
        let agents = [&w.s.pixel, &w.s.scout, &w.s.scribe, &w.s.sofie];
        let summary = format!("race {round}");
        let requests = futures_util::future::join_all(agents.iter().map(|a| ask(&w, a, &summary)));
        let pause = async { w.s.app.pause_squad(&w.s.cao, w.s.project.id, Some("race")).await };
        let (requests, paused) = tokio::join!(requests, pause);
        paused.expect("the pause never fails");
        for r in requests {
            if let Err(e) = r {
                assert!(!matches!(e, mission_control::app::AppError::Internal(_)), "a 500: {e:#}");
            }
        }
        w.s.app.resume_squad(&w.s.cao, w.s.project.id).await.unwrap();
    }
}

/// With the bot mirroring many open tasks into a forum, a command's reply and a new RED
/// approval card go before the remaining mirroring.
#[sqlx::test]
async fn a_reply_and_a_red_card_overtake_thread_mirroring(pool: PgPool) {
    let w = scaled_world(pool).await;
    for i in 0..20 {
        w.s.task(&format!("Backlog {i:02}"), TaskType::Ops).await;
    }
    w.dispatcher(fast()).tick().await.unwrap();
    w.bind(FORUM, true).await;
    let run = w.start(scaled());
    w.tg.wait_until(|st| st.topics(FORUM).len() >= 3 + 4, Duration::from_secs(15))
        .await
        .unwrap();
    w.s.app
        .reply(&w.s.cao, None, FORUM, None, "status: all fine".into(), None)
        .await
        .unwrap();
    ask(&w, &w.s.pixel, "red while mirroring").await.unwrap();
    let asked_at = Instant::now();
    w.tg.wait_until(
        |st| {
            st.bot_messages_in(FORUM, None)
                .iter()
                .any(|m| m.text.as_deref().is_some_and(|t| t.contains("red while mirroring")))
        },
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let waited = asked_at.elapsed();
    let topics_then = w.tg.topics(FORUM).len();
    w.settled_within(Duration::from_secs(60)).await;
    let total = w.tg.topics(FORUM).len();
    assert_eq!(total, 3 + 28);
    assert!(topics_then < total, "the card waited for all {total} topics");
    // Order: the reply and the card came before the last topic's card.
    let all = w.tg.bot_messages_in(FORUM, None);
    let at = |needle: &str| {
        all.iter()
            .position(|m| text(m).contains(needle))
            .unwrap_or_else(|| panic!("no {needle}"))
    };
    let last_card = all
        .iter()
        .rposition(|m| m.thread_id.is_some() && text(m).contains("Backlog"))
        .unwrap();
    assert!(at("status: all fine") < last_card);
    assert!(at("red while mirroring") < last_card);
    eprintln!("DIAG red card after {waited:?}, {topics_then} of {total} topics made");
    run.stop().await;
    w.assert_clean();
}

/// A runaway agent's 150 runs and 75 comments on one task fold into the task thread's activity
/// messages (none lost from the database), and another agent's approval card still arrives.
#[sqlx::test]
async fn a_runaway_task_is_folded_and_another_agents_card_still_arrives(pool: PgPool) {
    let w = scaled_world(pool).await;
    w.bind(FORUM, true).await;
    let run = w.start(scaled());
    w.settled_within(Duration::from_secs(20)).await;
    let task = w.s.task("Runaway", TaskType::Ops).await;
    let scout = w.s.scout.clone();
    w.s.app.assign_task(&w.s.cao, task.id, vec![scout.id]).await.unwrap();
    w.settled_within(Duration::from_secs(10)).await;
    for i in 0..150 {
        let _ = w.s.record(&scout, common::run(scout.id, Some(task.id), Usd::ZERO)).await;
        if i % 2 == 0 {
            let _ =
                w.s.app
                    .comment_on_task(&as_agent(&scout), task.id, &format!("step {i}"), None)
                    .await;
        }
    }
    let asked_at = Instant::now();
    ask(&w, &w.s.pixel, "unrelated and urgent").await.unwrap();
    let approvals = w.topic_named(FORUM, "Approvals");
    w.tg.wait_until(
        |st| {
            st.bot_messages_in(FORUM, Some(approvals))
                .iter()
                .any(|m| m.text.as_deref().is_some_and(|t| t.contains("unrelated and urgent")))
        },
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    eprintln!("DIAG card after a runaway flood: {:?}", asked_at.elapsed());
    w.settled_within(Duration::from_secs(60)).await;
    let folded = count(&w.pool, "SELECT count(*) FROM outbox WHERE delivery = 'activity'").await;
    let rows = count(
        &w.pool,
        "SELECT count(*) FROM outbox WHERE kind IN ('run_recorded', 'comment_added') AND task_id IS NOT NULL",
    )
    .await;
    assert!(rows >= 200, "{rows} rows");
    // Rows that reached the dispatcher one or two at a time while the flood began go alone;
    // the burst folds.
    assert!(folded * 10 >= rows * 7, "{folded} of {rows} folded");
    let thread: i32 = sqlx::query_scalar("SELECT topic_id FROM task_threads WHERE task_id = $1")
        .bind(task.id)
        .fetch_one(&w.pool)
        .await
        .unwrap();
    let in_topic = w.tg.bot_messages_in(FORUM, Some(thread));
    assert!(in_topic.len() < 80, "{} messages in the runaway topic", in_topic.len());
    eprintln!(
        "DIAG {folded} of {rows} rows folded; {} messages in the runaway topic",
        in_topic.len()
    );
    let shown: String = in_topic.iter().map(|m| text(m).to_string()).collect::<Vec<_>>().join("\n");
    assert!(
        shown.contains("step 0") && shown.contains("step 148"),
        "the topic shows the comments"
    );
    run.stop().await;
    w.assert_clean();
}

/// The throwaway cluster script, for a PostgreSQL this test may restart.
fn throwaway(command: &str, dir: &std::path::Path) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/throwaway-postgres");
    let out = std::process::Command::new(script).arg(command).arg(dir).output().unwrap();
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A world on a PostgreSQL of its own that the test may stop and restart (a throwaway cluster
/// in `dir`), with Telegram's own limits and the plain group bound.
async fn world_on_a_throwaway_cluster() -> (std::path::PathBuf, PgPool, World) {
    let dir = std::env::temp_dir().join(format!("mc-throwaway-{}", uuid::Uuid::new_v4()));
    let server = throwaway("start", &dir);
    let url = format!("{}/mc_faults", server.rsplit_once('/').unwrap().0);
    let pool = mission_control::storage::connect(&url, 10, Duration::from_secs(10)).await.unwrap();
    mission_control::storage::migrate(&pool).await.unwrap();
    let w = World::build(pool.clone())
        .fake(fake_telegram::FakeConfig::default())
        .dispatch(fast())
        .start()
        .await;
    w.bind(GROUP, false).await;
    (dir, pool, w)
}

/// PostgreSQL restarted under the running service (bot, dispatcher, listeners, locks): every
/// approval card arrives, those asked before the restart and after it, and a command typed
/// afterwards is answered, without restarting the service.
#[tokio::test]
async fn restarting_postgresql_during_delivery_leaves_nothing_stuck() {
    // Telegram's own pace (a message a second in the group): the cards are still being
    // delivered when the server goes down.
    let (dir, pool, w) = world_on_a_throwaway_cluster().await;
    for i in 0..5 {
        w.red_request(&format!("before the restart {i}")).await;
    }
    w.wait_messages(GROUP, 2, Duration::from_secs(20)).await;
    let shown = w.tg.bot_messages_in(GROUP, None).len();
    assert!(shown < 6, "the restart comes mid-delivery ({shown} messages shown)");
    let restart = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || throwaway("restart", &dir))
    };
    restart.await.unwrap();
    for i in 0..5 {
        let summary = format!("after the restart {i}");
        let deadline = Instant::now() + Duration::from_secs(30);
        // The pool's connections died with the server: the first calls may fail.
        while w.s.ask(&w.s.scout, &summary).await.is_err() {
            assert!(Instant::now() < deadline, "the service never reached the database again");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    w.ask(&sofie(), "/whoami", "Telegram id").await;
    w.settled_within(Duration::from_secs(60)).await;
    let cards: Vec<String> = w.general_texts(GROUP);
    for when in ["before", "after"] {
        for i in 0..5 {
            let needle = format!("{when} the restart {i}");
            assert!(cards.iter().any(|t| t.contains(&needle)), "{needle} never arrived: {cards:#?}");
        }
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox WHERE status = 'failed'").await, 0);
    w.stop().await;
    pool.close().await;
    throwaway("stop", &dir);
}

/// A card Telegram accepted while PostgreSQL was down (its answer came back to a dispatcher
/// that could not record it) is recorded once the server is back, never sent again; every
/// card is out within 5 s of the server accepting connections, and a command typed then is
/// answered within 3 s (issue 29).
#[tokio::test]
async fn a_card_accepted_while_postgresql_was_down_is_sent_once() {
    let (dir, pool, w) = world_on_a_throwaway_cluster().await;
    w.settled_within(Duration::from_secs(30)).await;
    let shown = w.tg.bot_messages_in(GROUP, None).len();
    // Telegram holds its answer to the first card until the server is down.
    w.tg.delay_next("sendMessage", Duration::from_millis(1500), 1);
    let markers: Vec<String> = (0..5).map(|i| format!("card {i} across the restart")).collect();
    for marker in &markers {
        w.red_request(marker).await;
    }
    eventually("the first card reached Telegram", Duration::from_secs(30), || async {
        (w.tg.faults_left("sendMessage") == 0).then_some(())
    })
    .await;
    let down = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || throwaway("down", &dir))
    };
    down.await.unwrap();
    // Telegram has taken the card and answered a dispatcher that cannot write it down.
    w.tg.wait_until(|st| st.bot_messages_in(GROUP, None).len() > shown, Duration::from_secs(30))
        .await
        .expect("Telegram accepted the first card");
    let up = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || throwaway("restart", &dir))
    };
    up.await.unwrap();
    let accepting = Instant::now();
    w.tg.wait_until(
        |st| {
            let texts: Vec<String> = st.bot_messages_in(GROUP, None).iter().filter_map(|m| m.text.clone()).collect();
            markers.iter().all(|m| texts.iter().any(|t| t.contains(m.as_str())))
        },
        Duration::from_secs(60),
    )
    .await
    .expect("every card arrives");
    let took = accepting.elapsed();
    let typed = Instant::now();
    w.ask(&sofie(), "/whoami", "Telegram id").await;
    let answered = typed.elapsed();
    w.settled_within(Duration::from_secs(60)).await;
    let texts = w.general_texts(GROUP);
    for marker in &markers {
        assert_eq!(
            texts.iter().filter(|t| t.contains(marker.as_str())).count(),
            1,
            "{marker}: exactly one card"
        );
    }
    assert!(
        took < Duration::from_secs(5),
        "every card within 5 s of the server accepting connections: {took:?}"
    );
    assert!(answered < Duration::from_secs(3), "the command within 3 s: {answered:?}");
    w.stop().await;
    pool.close().await;
    throwaway("stop", &dir);
}
