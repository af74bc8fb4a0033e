//! The channel during an incident (issue 22), at Telegram's real limits — the fake enforces
//! 1 call a second per chat, 20 a minute per group and 30 a second overall, and the dispatcher
//! paces by the same numbers: in a forum bound a few seconds earlier, with a backlog of task
//! topics to mirror, people's actions are answered at once and cost the group one message each;
//! a human's own task goes before the backlog; strangers cannot jam the channel.

use crate::common;

use common::telegram::*;
use common::world::World;
use common::*;
use fake_telegram::{Call, FakeConfig, FakeUser};
use mission_control::domain::*;
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// An answer to a typed command, at most.
const TYPED: Duration = Duration::from_secs(3);
/// An answer to a click (its toast), at most.
const CLICKED: Duration = Duration::from_secs(1);

/// A world at Telegram's real limits, with `backlog` open tasks and the forum not yet bound.
async fn world_with_backlog(pool: PgPool, backlog: usize) -> World {
    let w = World::build(pool.clone())
        .fake(FakeConfig::default())
        .dispatch(quick())
        .start()
        .await;
    let open = count(&pool, "SELECT count(*) FROM tasks WHERE status NOT IN ('done', 'canceled')").await as usize;
    for n in open..backlog {
        w.s.task(&format!("Backlog task {n}"), TaskType::Docs).await;
    }
    // Nowhere to post yet: their notices are skipped; binding asks for their topics.
    w.settled().await;
    w
}

/// Waits until `open` (a count of undelivered outbox rows) is zero; the mirroring may go on.
async fn delivered(w: &World, open: &'static str) {
    common::eventually(open, WAIT, || async { (count(&w.pool, open).await == 0).then_some(()) }).await;
}

/// `/bind` by the CAO; waits for the bound message (its system topics are made by then).
async fn bind(w: &World) {
    let sent = w.say(&sofie(), "/bind openclaw");
    w.answer_after(FORUM, sent, "is now the ops chat").await;
}

/// The bot's calls to the forum from `since`, but the mirroring of tasks into their topics.
fn group_calls_for_people(w: &World, since: Instant, task_topics: &HashSet<i64>) -> Vec<Call> {
    w.tg.calls()
        .into_iter()
        .filter(|c| c.at >= since && c.params["chat_id"].as_i64() == Some(FORUM))
        .filter(|c| c.method != "createForumTopic" && !c.method.starts_with("get"))
        .filter(|c| {
            let thread = c.params["message_thread_id"].as_i64().or_else(|| {
                let id = c.params["message_id"].as_i64()?;
                w.tg.message(FORUM, id as i32)?.thread_id.map(i64::from)
            });
            !thread.is_some_and(|t| task_topics.contains(&t))
        })
        .collect()
}

async fn task_topics(pool: &PgPool) -> HashSet<i64> {
    sqlx::query_scalar::<_, i32>("SELECT topic_id FROM task_threads WHERE topic_id IS NOT NULL")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(i64::from)
        .collect()
}

/// `user` types `text` in General; the answer containing `needle` comes within `TYPED`.
async fn typed(w: &World, user: &FakeUser, text: &str, needle: &str, latencies: &mut Vec<(String, Duration)>) -> i32 {
    let started = Instant::now();
    let sent = w.say(user, text);
    let answer = w.answer_after(FORUM, sent, needle).await;
    latencies.push((text.to_string(), started.elapsed()));
    answer.message_id
}

/// `user` clicks `button` under `message`; its toast comes within `CLICKED`.
async fn clicked(w: &World, user: &FakeUser, message: i32, button: &str, latencies: &mut Vec<(String, Duration)>) -> String {
    let started = Instant::now();
    let click = w.tg.click_button(FORUM, user, message, button).unwrap();
    let toast = w.toast(&click).await;
    latencies.push((format!("click {button}"), started.elapsed()));
    toast
}

/// Waits until the message `id` reads `needle` (edited).
async fn edited(w: &World, id: i32, needle: &str, latencies: &mut Vec<(String, Duration)>, started: Instant, what: &str) {
    w.tg.wait_until(
        |s| {
            s.message(FORUM, id)
                .and_then(|m| m.text.as_deref())
                .is_some_and(|t| t.contains(needle))
        },
        WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("message {id} never read {needle:?}: {e}"));
    latencies.push((what.to_string(), started.elapsed()));
}

/// The operator's incident: approve a RED card, deny another with a reason, pause the squad
/// (confirm), resume, quarantine Scout (confirm), release him, then four mistyped commands —
/// each as soon as the previous one is answered, while twenty task topics wait to be mirrored.
#[sqlx::test]
async fn an_incidents_twelve_actions_are_answered_at_once_for_a_message_each(pool: PgPool) {
    let w = world_with_backlog(pool.clone(), 20).await;
    bind(&w).await;
    let first = w.red_request("send the apology email to every customer").await;
    let second = w.red_request("refund every order of the last hour").await;
    let approvals =
        w.s.app
            .binding_for_project(w.s.project.id)
            .await
            .unwrap()
            .unwrap()
            .approvals_topic_id
            .unwrap();
    let card_of = |code: String| {
        let w = &w;
        async move {
            w.tg.wait_until(
                |s| {
                    s.bot_messages_in(FORUM, Some(approvals))
                        .iter()
                        .any(|m| text(m).contains(&code) && !m.buttons().is_empty())
                },
                WAIT,
            )
            .await
            .unwrap();
            w.tg.bot_messages_in(FORUM, Some(approvals))
                .into_iter()
                .find(|m| text(m).contains(&code) && !m.buttons().is_empty())
                .unwrap()
        }
    };
    let (card1, card2) = (card_of(first.code()).await, card_of(second.code()).await);
    let backlog_before = task_topics(&pool).await.len();
    assert!(
        backlog_before < 20,
        "the backlog is still being mirrored ({backlog_before} of 20 topics)"
    );

    let start = Instant::now();
    let mut took = Vec::new();
    // 1. Approve the first card: a toast, and the card edited.
    let toast = clicked(&w, &sofie(), card1.message_id, "✅ Approve", &mut took).await;
    assert!(toast.contains("approved") || toast.contains("Approved"), "{toast}");
    // 2. Deny the second with a reason: asked, then the card edited with it.
    let deny = card2.buttons().into_iter().find(|b| b.text.contains("Deny")).unwrap().text;
    clicked(&w, &sofie(), card2.message_id, &deny, &mut took).await;
    let asked_at = Instant::now();
    w.says(FORUM, Some(approvals), "why deny").await;
    took.push(("deny asks why".into(), asked_at.elapsed()));
    let reason_at = Instant::now();
    w.tg.user_message(FORUM, &sofie(), "Refunds need finance's sign-off", Some(approvals));
    edited(&w, card2.message_id, "finance", &mut took, reason_at, "deny reason").await;
    // 3. Pause the squad, confirmed: the question becomes the notice.
    let question = typed(&w, &olga(), "/pause_squad", "Pause the whole squad", &mut took).await;
    let confirm_at = Instant::now();
    clicked(&w, &olga(), question, "⏸ Pause the squad", &mut took).await;
    edited(&w, question, "Squad paused", &mut took, confirm_at, "pause confirmed").await;
    // 4. Resume.
    typed(&w, &olga(), "/resume_squad", "Squad resumed", &mut took).await;
    // 5. Quarantine Scout, confirmed.
    let question = typed(&w, &olga(), "/quarantine Scout runaway refunds", "Quarantine Scout?", &mut took).await;
    let confirm_at = Instant::now();
    clicked(&w, &olga(), question, "🚫 Quarantine Scout", &mut took).await;
    edited(&w, question, "quarantined", &mut took, confirm_at, "quarantine confirmed").await;
    // 6. Release him.
    typed(&w, &sofie(), "/release Scout", "Scout", &mut took).await;
    // 7–10. Four mistyped commands: each a usage line.
    for mistyped in ["/assign", "/approve", "/move", "/budget"] {
        typed(&w, &olga(), mistyped, "e.g.", &mut took).await;
    }
    let spent = start.elapsed();

    for (what, latency) in &took {
        let limit = if what.starts_with("click") { CLICKED } else { TYPED };
        assert!(
            *latency <= limit,
            "{what} answered after {latency:?} (at most {limit:?}); all: {took:#?}"
        );
    }
    let calls = group_calls_for_people(&w, start, &task_topics(&pool).await);
    let methods: Vec<String> = calls.iter().map(|c| c.method.clone()).collect();
    assert!(
        calls.len() <= 15,
        "{} group calls for twelve actions in {spent:?}: {methods:?}",
        calls.len()
    );
    assert!(w.tg.rate_limited() == 0, "Telegram never said 429");
    assert_eq!(w.s.agent(w.s.scout.id).await.status, AgentStatus::Active);
    // The machines go on with the backlog in the room the people leave.
    let during = task_topics(&pool).await.len();
    common::eventually("the backlog goes on", Duration::from_secs(90), || async {
        (task_topics(&pool).await.len() > during).then_some(())
    })
    .await;
    w.stop().await;
}

/// A task created from the chat has its topic before the backlog's, and canceling it from
/// the chat closes the topic at once too.
#[sqlx::test]
async fn a_humans_own_task_gets_its_topic_before_the_backlog(pool: PgPool) {
    let w = world_with_backlog(pool.clone(), 20).await;
    bind(&w).await;
    let asked = Instant::now();
    let created = w.ask(&olga(), "/newtask docs Write the incident report", "Created task").await;
    let number: i32 = text(&created)
        .split('#')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let topic = common::eventually("the new task's topic", WAIT, || async {
        sqlx::query_scalar::<_, Option<i32>>(
            "SELECT th.topic_id FROM task_threads th JOIN tasks t ON t.id = th.task_id WHERE t.number = $1",
        )
        .bind(number)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .flatten()
    })
    .await;
    assert!(asked.elapsed() <= Duration::from_secs(5), "topic after {:?}", asked.elapsed());
    let backlog = task_topics(&pool).await.len() - 1;
    assert!(backlog < 20, "made before the backlog was done ({backlog} of 20)");

    let canceled = Instant::now();
    w.ask(&olga(), &format!("/move {number} canceled duplicate of the postmortem"), "canceled")
        .await;
    w.tg.wait_until(|s| s.topic(FORUM, topic).is_some_and(|t| t.closed), WAIT)
        .await
        .unwrap();
    assert!(
        canceled.elapsed() <= Duration::from_secs(5),
        "closed after {:?}",
        canceled.elapsed()
    );
    w.stop().await;
}

/// A hundred commands from five people who are not operators, in twenty seconds: each is told
/// once, and the CAO's own `/status` meanwhile is answered at once.
#[sqlx::test]
async fn strangers_cannot_jam_the_channel(pool: PgPool) {
    let w = world_with_backlog(pool.clone(), 0).await;
    bind(&w).await;
    let strangers: Vec<FakeUser> = (0..5).map(|i| FakeUser::new(2001 + i, &format!("Stranger {i}"))).collect();
    let typed_by_strangers = ["/status", "/pause_squad", "/approve A1", "/agents", "/quarantine Scout"];
    let start = Instant::now();
    let mut status_took = None;
    for n in 0..100 {
        w.say(&strangers[n % 5], typed_by_strangers[n / 5 % 5]);
        if n == 50 {
            let asked = Instant::now();
            let sent = w.say(&sofie(), "/status");
            w.answer_after(FORUM, sent, "— status").await;
            status_took = Some(asked.elapsed());
        }
        // Their typing pace: a hundred commands in twenty seconds.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status_took = status_took.unwrap();
    assert!(status_took <= TYPED, "the CAO's /status after {status_took:?}");
    common::eventually("every attempt counted", WAIT, || async {
        let n: Option<i64> = sqlx::query_scalar("SELECT sum(attempts)::bigint FROM telegram_strangers")
            .fetch_one(&pool)
            .await
            .unwrap();
        (n == Some(100)).then_some(())
    })
    .await;
    delivered(
        &w,
        "SELECT count(*) FROM outbox WHERE class = 1 AND status IN ('pending', 'sending')",
    )
    .await;
    delivered(
        &w,
        "SELECT count(*) FROM outbox WHERE kind = 'reply' AND status IN ('pending', 'sending')",
    )
    .await;
    let for_strangers =
        w.tg.bot_messages_in(FORUM, None)
            .into_iter()
            .filter(|m| text(m).contains("not an operator"))
            .count();
    assert!(
        for_strangers <= 5,
        "{for_strangers} messages for the strangers in {:?}",
        start.elapsed()
    );
    let audited = count(&pool, "SELECT count(*) FROM audit_events WHERE action = 'telegram.refused'").await;
    assert!(audited <= 10, "{audited} audit rows: counted per stranger and hour, not one each");
    w.stop().await;
}

/// What concerns only the asker — a usage line, "no such agent", an empty list — goes to their private chat
/// when they have one, with one pointer in the group a minute; someone without one is
/// answered in the group.
#[sqlx::test]
async fn answers_for_the_asker_alone_go_to_their_private_chat(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    // Olga has started the bot privately; Vic has not.
    let sent = w.tg.user_message(OLGA, &olga(), "/start", None);
    w.answer_after(OLGA, sent, "Olga").await;
    let before = w.tg.bot_messages_in(FORUM, None).len();
    for mistyped in ["/assign", "/move", "/agent Nobody", "/approvals"] {
        w.say(&olga(), mistyped);
    }
    common::eventually("four answers in private", WAIT, || async {
        let private = w.tg.bot_messages_in(OLGA, None);
        let answers = private.iter().filter(|m| {
            let t = text(m);
            t.contains("e.g.") || t.contains("Nobody") || t.contains("Nothing here")
        });
        (answers.count() == 4).then_some(())
    })
    .await;
    w.settled().await;
    let in_group: Vec<String> = w.tg.bot_messages_in(FORUM, None)[before..]
        .iter()
        .map(|m| text(m).to_string())
        .collect();
    assert_eq!(in_group.len(), 1, "one pointer, not four answers: {in_group:#?}");
    assert!(in_group[0].contains("answered you in our private chat"), "{in_group:#?}");
    // Vic has no private chat: answered here.
    w.ask(&vic(), "/assign", "e.g.").await;
    w.stop().await;
}
