//! The daily standup: its numbers match the data, it is posted once a day at the project's
//! time (once across replicas), and it reaches the Standup topic as a chart (a valid PNG) and
//! a text through the real dispatcher and the fake Bot API.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::telegram::{bot, bound_fake};
use common::*;
use fake_telegram::ChatKind;
use mission_control::app::agents::StatusCommand;
use mission_control::app::jobs::Job;
use mission_control::app::tasks::TransitionTask;
use mission_control::app::Rules;
use mission_control::domain::*;
use mission_control::telegram::outbox::{DispatchOptions, Dispatcher};
use serde_json::Value;
use sqlx::PgPool;

async fn standup_activities(pool: &PgPool) -> Vec<Value> {
    sqlx::query_scalar("SELECT data FROM activities WHERE kind = 'standup' ORDER BY created_at")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Some work: one task done, one blocked, one in progress with spend, one approval pending.
async fn a_day_of_work(s: &Squad) {
    let scout = as_agent(&s.scout);
    let done = s.task("Ship the FAQ", TaskType::Docs).await;
    s.app.assign_task(&s.operator, done.id, vec![s.scribe.id]).await.unwrap();
    for (to, plan_, deliverable) in [
        (TaskStatus::InProgress, Some(plan()), None),
        (TaskStatus::Review, None, Some("faq.md".to_string())),
        (TaskStatus::Done, None, None),
    ] {
        s.app
            .transition_task(
                &s.operator,
                done.id,
                TransitionTask {
                    to: Some(to),
                    work_plan: plan_,
                    deliverable,
                    reason: Some("ok".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let working = s
        .started_task("Interview churned users", TaskType::CustomerResearch, &s.scout)
        .await;
    s.app
        .record_run(&scout, run(s.scout.id, Some(working.id), Usd::from_cents(120)))
        .await
        .unwrap();
    s.move_task(working.id, TaskStatus::Blocked, "waiting for CRM access").await;
    // One approval pending.
    s.app
        .request_approval(&scout, request(&s.scout, "email.send", "Email the churned users"))
        .await
        .unwrap();
    // Everyone but Atlas heartbeats (Atlas never started: not stale); Pixel is paused, Nova quarantined.
    for name in ["Sofie", "Scout", "Scribe", "Nova", "Pixel", "Forge", "Echo"] {
        let agent = s.app.agent_by_name(&Actor::system("test"), s.project.id, name).await.unwrap();
        s.app.heartbeat(&as_agent(&agent), agent.id).await.unwrap();
    }
    s.app
        .change_agent_status(&s.operator, s.pixel.id, StatusCommand::Pause, Some("on leave"))
        .await
        .unwrap();
    let nova = s.app.agent_by_name(&Actor::system("test"), s.project.id, "Nova").await.unwrap();
    s.app
        .change_agent_status(&s.operator, nova.id, StatusCommand::Quarantine, Some("runaway"))
        .await
        .unwrap();
}

#[sqlx::test]
async fn the_standup_numbers_match_the_data(pool: PgPool) {
    let s = squad(pool.clone()).await;
    a_day_of_work(&s).await;
    let run = s
        .app
        .run_job(&Actor::system("cli"), Job::Standup, Utc::now(), "test", 30)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.detail.as_deref(), Some("standup posted for openclaw"));
    let data = standup_activities(&pool).await;
    assert_eq!(data.len(), 1);
    let summary = &data[0]["summary"];

    let by_status: Vec<(String, i64)> = sqlx::query_as("SELECT status::text, count(*) FROM tasks GROUP BY 1 ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    let reported: std::collections::BTreeMap<String, i64> = summary["tasksByStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_i64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(reported, by_status.into_iter().collect(), "tasks per status");
    assert_eq!(
        data[0]["completedSinceLast"], 1,
        "one task done since (no earlier standup: the last 24 h)"
    );
    assert_eq!(summary["completed"][0]["title"], "Ship the FAQ");
    assert_eq!(summary["blocked"][0]["blockedReason"], "waiting for CRM access");
    let scout_spend = summary["spend"].as_array().unwrap().iter().find(|l| l["name"] == "Scout").unwrap();
    assert_eq!(scout_spend["todaySpend"], 1.2);
    assert_eq!(scout_spend["dailyCap"], 2.0);
    assert_eq!(scout_spend["percentOfCap"], 60);
    assert_eq!(summary["agents"]["active"], 6, "8 seeded, one paused, one quarantined");
    assert_eq!(summary["agents"]["paused"], 1);
    assert_eq!(summary["agents"]["quarantined"], 1);
    assert_eq!(summary["agents"]["stale"], 0, "never a heartbeat is not started, not stale");
    assert_eq!(summary["agents"]["notStarted"], 1);
    assert_eq!(summary["notStartedAgents"], serde_json::json!(["Atlas"]));
    // Scout's $1.20 run was within the last hour: that is the squad's burn rate.
    assert_eq!(scout_spend["lastHour"], 1.2);
    assert_eq!(summary["burnRate"], 1.2);
    assert_eq!(summary["pendingApprovalsTotal"], 1, "one approval pending");
    assert_eq!(summary["pendingApprovals"][0]["summary"], "Email the churned users");
    assert_eq!(summary["pendingApprovals"][0]["agent"], "Scout");
    assert_eq!(summary["next"].as_array().unwrap().len(), 3, "the top three next actions");
    let priorities: Vec<i64> = summary["next"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["priority"].as_i64().unwrap())
        .collect();
    assert!(priorities.windows(2).all(|w| w[0] <= w[1]), "by priority: {priorities:?}");
    // Posted to the Standup topic through the outbox.
    assert_eq!(
        count(&pool, "SELECT count(*) FROM outbox WHERE kind = 'standup' AND target = 'standup'").await,
        1
    );
}

#[sqlx::test]
async fn posted_once_a_day_at_the_project_time_once_across_replicas(pool: PgPool) {
    let s = squad(pool.clone()).await;
    let (replica, replica_clock) = app_with(pool.clone(), Rules::default());
    let scheduler = Actor::system("standup");
    let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap();
    s.clock.set(at(8, 55));
    replica_clock.set(at(8, 55));
    s.app.run_job(&scheduler, Job::Standup, at(8, 55), "a", 30).await.unwrap();
    assert!(standup_activities(&pool).await.is_empty(), "not before 09:00");

    s.clock.set(at(9, 0));
    replica_clock.set(at(9, 0));
    // Two replicas, each firing its own timer for the same occurrence, and a late second one.
    let (a, b) = tokio::join!(
        s.app.run_job(&scheduler, Job::Standup, at(9, 0), "a", 30),
        replica.run_job(&scheduler, Job::Standup, at(9, 0), "b", 30),
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().flatten().count(),
        1,
        "one replica claims the occurrence"
    );
    s.clock.set(at(9, 5));
    replica.run_job(&scheduler, Job::Standup, at(9, 5), "b", 30).await.unwrap();
    assert_eq!(standup_activities(&pool).await.len(), 1, "one standup a day");

    // The next day, again once.
    s.clock.set(at(9, 5) + Duration::days(1));
    s.app
        .run_job(&scheduler, Job::Standup, at(9, 5) + Duration::days(1), "a", 30)
        .await
        .unwrap();
    assert_eq!(standup_activities(&pool).await.len(), 2);

    // A project in Berlin posts at 09:00 Berlin time (08:00 UTC in March).
    sqlx::query("UPDATE projects SET standup_timezone = 'Europe/Berlin'")
        .execute(&pool)
        .await
        .unwrap();
    let third = at(8, 0) + Duration::days(2);
    s.clock.set(third);
    s.app.run_job(&scheduler, Job::Standup, third, "a", 30).await.unwrap();
    assert_eq!(standup_activities(&pool).await.len(), 3);
}

#[sqlx::test]
async fn the_standup_reaches_the_standup_topic_with_a_png_chart(pool: PgPool) {
    let s = squad(pool.clone()).await;
    a_day_of_work(&s).await;
    const FORUM: i64 = -1009;
    let tg = bound_fake(&s, FORUM, ChatKind::Supergroup { forum: true }).await;
    let dispatcher = Dispatcher::new(s.app.clone(), bot(&tg), DispatchOptions::default());
    s.app
        .run_job(&Actor::system("cli"), Job::Standup, Utc::now(), "test", 30)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The open tasks' topics (queued by the bind, paced after the rest) do not matter here.
    while count(
        &pool,
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') AND kind <> 'task_thread_needed'",
    )
    .await
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "the outbox drains");
        dispatcher.tick().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let topic = tg
        .topics(FORUM)
        .into_iter()
        .find(|t| t.name.contains("Standup"))
        .expect("a Standup topic");
    let messages = tg.bot_messages_in(FORUM, Some(topic.thread_id));
    let photo = messages
        .iter()
        .find_map(|m| m.photo.as_ref())
        .expect("a chart in the Standup topic");
    assert_eq!(&photo.bytes[..8], b"\x89PNG\r\n\x1a\n", "a valid PNG");
    assert!(photo.width >= 600 && photo.height >= 400);
    let text = messages
        .iter()
        .filter_map(|m| m.text.as_deref())
        .find(|t| t.contains("FAQ"))
        .expect("the standup text");
    assert!(text.contains("CRM access"), "{text}");
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
    assert_eq!(tg.rate_limited(), 0);
}

#[sqlx::test]
async fn a_project_standup_time_and_zone_are_set_on_create_and_by_patch(pool: PgPool) {
    use reqwest::{Method, StatusCode};
    let api = common::http::spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    let assert_error = |reply: &common::http::Reply, status: StatusCode, code: &str| {
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.body["error"]["code"], code, "{}", reply.body);
    };
    let created = api
        .post(
            "/api/projects",
            r#"{"slug":"berlin","name":"Berlin","standupTime":"08:30","standupTimezone":"Europe/Berlin"}"#,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["standupTime"], "08:30:00");
    assert_eq!(created.body["standupTimezone"], "Europe/Berlin");
    let defaults = api.post("/api/projects", r#"{"slug":"plain","name":"Plain"}"#).await;
    assert_eq!(defaults.body["standupTime"], "09:00:00");
    assert_eq!(defaults.body["standupTimezone"], "UTC");

    // Bad input is a 422 naming the field, and creates or changes nothing.
    let before = fingerprint(&pool).await;
    for (body, field) in [
        (
            r#"{"slug":"mars","name":"Mars","standupTimezone":"Mars/Olympus"}"#,
            "standupTimezone",
        ),
        (r#"{"slug":"mars","name":"Mars","standupTime":"25:00"}"#, "standupTime"),
    ] {
        let refused = api.post("/api/projects", body).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            refused.body["error"]["message"].as_str().unwrap().contains(field),
            "{}",
            refused.body
        );
    }
    for (body, field) in [
        (r#"{"standupTimezone":"Mars/Olympus"}"#, "standupTimezone"),
        (r#"{"standupTimezone":"europe/berlin"}"#, "Europe/Berlin"),
        (r#"{"standupTime":"9am"}"#, "standupTime"),
        (r#"{"standupTime":"9:00"}"#, "standupTime"),
        (r#"{}"#, "standupTime"),
    ] {
        let refused = api.patch("/api/projects/openclaw", body).await;
        assert_error(&refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            refused.body["error"]["message"].as_str().unwrap().contains(field),
            "{}",
            refused.body
        );
    }
    assert_eq!(fingerprint(&pool).await, before, "refusals change nothing");

    let patched = api
        .patch(
            "/api/projects/openclaw",
            r#"{"standupTime":"17:45","standupTimezone":"America/New_York"}"#,
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["standupTime"], "17:45:00");
    assert_eq!(patched.body["standupTimezone"], "America/New_York");
    let zone_only = api.patch("/api/projects/openclaw", r#"{"standupTimezone":"Asia/Tokyo"}"#).await;
    assert_eq!(zone_only.body["standupTime"], "17:45:00", "the time is kept");
    assert_eq!(zone_only.body["standupTimezone"], "Asia/Tokyo");
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_events WHERE action = 'project.standup_set'")
            .fetch_one(&pool)
            .await
            .unwrap(),
        2
    );
    let unknown = api.patch("/api/projects/atlantis", r#"{"standupTime":"10:00"}"#).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let forbidden = api
        .call(
            Method::PATCH,
            "/api/projects/openclaw",
            Some(&operator),
            Some(r#"{"standupTime":"10:00"}"#),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let spec = api.get("/api/openapi.json").await;
    assert!(spec.body["paths"]["/api/projects/{slug}"]["patch"].is_object(), "documented");
}

#[sqlx::test]
async fn a_big_squad_standup_shows_the_top_spenders_with_their_rate_and_counts_the_rest(pool: PgPool) {
    use mission_control::app::summary::SpendLine;
    use mission_control::i18n::Lang;
    use mission_control::telegram::render;
    let s = squad(pool.clone()).await;
    let mut summary = s.app.project_summary(&s.cao, s.project.id).await.unwrap();
    summary.spend = (0..1000)
        .map(|i| SpendLine {
            agent_id: uuid::Uuid::new_v4(),
            name: format!("Worker{i:04}"),
            status: AgentStatus::Active,
            today_spend: Usd::from_cents(100_000 - i),
            daily_cap: Usd::from_cents(200_000),
            percent_of_cap: 50,
            last_hour: Usd::from_cents(250 + i),
            hours_to_cap: Some(4.0),
        })
        .collect();
    let en = render::standup(Lang::En, &summary);
    let shown: Vec<&str> = en.lines().filter(|l| l.starts_with("Worker")).collect();
    assert_eq!(shown.len(), 12, "as many as the chart draws: {en}");
    assert!(
        shown[0].starts_with("Worker0000") && shown[11].starts_with("Worker0011"),
        "highest spend first"
    );
    assert!(shown[0].contains("$2.50/h"), "each with its burn rate: {}", shown[0]);
    assert!(en.contains("…and 988 more agents"), "the chart's count too: {en}");
    assert!(en.chars().count() < 4096, "one Telegram message: {} chars", en.chars().count());
    let ru = render::standup(Lang::Ru, &summary);
    assert!(ru.contains("…и ещё 988 агентов"), "{ru}");
    summary.spend.truncate(13);
    assert!(render::standup(Lang::Ru, &summary).contains("…и ещё 1 агент\n"), "Russian plurals");
    assert!(render::standup(Lang::En, &summary).contains("…and 1 more agent"));
    summary.spend.truncate(12);
    assert!(
        !render::standup(Lang::En, &summary).contains("more agent"),
        "all shown: no remainder line"
    );
}
