//! Budgets by the month and by the project: a project's monthly cap warns at 80 % and, reached,
//! pauses every active agent of the project with a `budget_exceeded` alert whose CAO buttons
//! are "Raise by $N and resume" and "Keep paused" — clicked in the real chat through the fake
//! Bot API; an agent's monthly cap pauses it; the month's turn (`budget_reset`) lifts monthly
//! pauses. Only a CAO changes caps.

use crate::common;

use chrono::{TimeZone, Utc};
use common::telegram::*;
use common::world::World;
use common::*;
use fake_telegram::StoredMessage;
use mission_control::app::agents::StatusCommand;
use mission_control::domain::schedule::Job;
use mission_control::domain::*;
use sqlx::PgPool;
use uuid::Uuid;

/// The project's agents' statuses and causes, by name.
async fn statuses(pool: &PgPool, project: Uuid) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT name, status::text, status_cause FROM agents WHERE project_id = $1 ORDER BY name")
        .bind(project)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_projects_monthly_cap_pauses_every_agent_and_raise_and_resume_resumes_them(pool: PgPool) {
    let w = World::new(pool.clone()).await;
    let binding = w.bind_forum().await;
    let project = w.s.project.id;
    // Only a CAO sets caps.
    let refused =
        w.s.app
            .set_project_budget(&w.s.operator, project, None, Some(Some(Usd::from_cents(100))))
            .await
            .unwrap_err();
    assert!(
        refused.to_string().contains("CAO") || refused.to_string().contains("allowed"),
        "{refused}"
    );
    let set =
        w.s.app
            .set_project_budget(&w.s.cao, project, None, Some(Some(Usd::from_cents(100))))
            .await
            .unwrap();
    assert_eq!((set.monthly_cap, set.month_spend), (Some(Usd::from_cents(100)), Usd::ZERO));
    let active_before: Vec<String> = statuses(&pool, project)
        .await
        .into_iter()
        .filter(|(_, status, _)| status == "active")
        .map(|(name, ..)| name)
        .collect();
    assert!(active_before.len() >= 3, "{active_before:?}");

    // 80 cents of a dollar: one warning (not one per run).
    for _ in 0..4 {
        w.s.record(&w.s.scout, run(w.s.scout.id, None, Usd::from_cents(20))).await.unwrap();
    }
    let warnings = count(&pool, "SELECT count(*) FROM alerts WHERE type = 'period_budget_warning'").await;
    assert_eq!(warnings, 1);
    assert!(statuses(&pool, project).await.iter().all(|(_, s, _)| s != "paused"));

    // A dollar: every active agent of the project is paused, the run's agent told to stop.
    let outcome = w.s.record(&w.s.scout, run(w.s.scout.id, None, Usd::from_cents(20))).await.unwrap();
    assert!(outcome.budget_exceeded);
    for (name, status, cause) in statuses(&pool, project).await {
        if active_before.contains(&name) {
            assert_eq!(
                (status.as_str(), cause.as_deref()),
                ("paused", Some("project_budget_month")),
                "{name}"
            );
        }
    }
    let alert = outcome
        .alerts
        .iter()
        .find(|a| a.alert_type == "budget_exceeded")
        .expect("the alert");
    assert_eq!(alert.details["scope"], "project");
    assert_eq!(alert.details["paused"].as_array().unwrap().len(), active_before.len());

    // The alert in the chat, with its two buttons.
    let raise = "💵 Raise by $1.00 and resume";
    let has_raise = |m: &StoredMessage| m.buttons().iter().any(|b| b.text == raise);
    w.tg.wait_until(|s| s.bot_messages_in(FORUM, Some(binding.alerts)).iter().any(has_raise), WAIT)
        .await
        .unwrap();
    let message =
        w.tg.bot_messages_in(FORUM, Some(binding.alerts))
            .into_iter()
            .find(has_raise)
            .unwrap();
    let text = message.text.clone().unwrap_or_default();
    assert!(
        text.contains("Project OpenClaw reached its monthly budget: $1.00 of $1.00"),
        "{text}"
    );
    let buttons: Vec<String> = message.buttons().into_iter().map(|b| b.text).collect();
    assert_eq!(buttons, [raise, "⏸ Keep paused"]);

    // An operator may not raise it; the CAO's click raises the cap and resumes them all.
    let click = w.tg.click_button(FORUM, &olga(), message.message_id, raise).unwrap();
    assert!(w.toast(&click).await.starts_with("Not allowed"));
    assert!(statuses(&pool, project).await.iter().any(|(_, s, _)| s == "paused"));
    // A dollar more was spent since (runs in flight when they were paused): a dollar more of
    // cap does not clear it, nobody resumes and the alert stays open with its buttons.
    sqlx::query("UPDATE project_budgets SET month_spend_micros = 2000000 WHERE project_id = $1")
        .bind(project)
        .execute(&pool)
        .await
        .unwrap();
    let click = w.tg.click_button(FORUM, &sofie(), message.message_id, raise).unwrap();
    let toast = w.toast(&click).await;
    assert!(
        toast.starts_with("Budget raised by $1.00 to $2.00, still not above what was spent ($2.00)"),
        "{toast}"
    );
    assert!(statuses(&pool, project).await.iter().any(|(_, s, _)| s == "paused"));
    assert_eq!(w.s.open_alerts(Some("budget_exceeded")).await.total, 1, "still open");
    let click = w.tg.click_button(FORUM, &sofie(), message.message_id, raise).unwrap();
    let toast = w.toast(&click).await;
    assert!(toast.starts_with("Budget raised by $1.00; resumed"), "{toast}");
    for (name, status, cause) in statuses(&pool, project).await {
        if active_before.contains(&name) {
            assert_eq!((status.as_str(), cause), ("active", None), "{name}");
        }
    }
    let budget = w.s.app.project_budget(&w.s.cao, project).await.unwrap();
    assert_eq!(
        (budget.monthly_cap, budget.month_spend),
        (Some(Usd::from_cents(300)), Usd::from_cents(200))
    );
    assert_eq!(w.s.open_alerts(Some("budget_exceeded")).await.total, 0, "resolved with the raise");
    // The chat is told why they resumed.
    w.says(FORUM, None, "the budget was raised").await;
    w.stop().await;
}

#[sqlx::test]
async fn an_agents_monthly_cap_pauses_it_and_the_months_turn_lifts_the_pause(pool: PgPool) {
    let s = squad(pool.clone()).await;
    s.clock.set(Utc.with_ymd_and_hms(2026, 3, 31, 22, 0, 0).unwrap());
    // The CAO gives Scout (an intern, $2 a day) a $1 month; nobody else may.
    assert!(s
        .app
        .set_agent_caps(&s.operator, s.scout.id, None, None, Some(Some(Usd::from_cents(100))))
        .await
        .is_err());
    let scout = s
        .app
        .set_agent_caps(&s.cao, s.scout.id, None, None, Some(Some(Usd::from_cents(100))))
        .await
        .unwrap();
    assert_eq!(scout.monthly_cap, Some(Usd::from_cents(100)));
    for _ in 0..4 {
        s.record(&s.scout, run(s.scout.id, None, Usd::from_cents(25))).await.unwrap();
    }
    let scout = s.agent(s.scout.id).await;
    assert_eq!(
        (scout.status, scout.status_cause.as_deref()),
        (AgentStatus::Paused, Some("budget_month"))
    );
    assert_eq!(scout.month_spend, Usd::from_cents(100));
    assert_eq!(s.agent(s.scribe.id).await.status, AgentStatus::Active, "only Scout's month");
    // Not even the CAO resumes it while the month's cap is spent.
    let refused = s
        .app
        .change_agent_status(&s.cao, s.scout.id, StatusCommand::Resume, None)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("$1.00"), "{refused}");

    // The next day of the same month changes nothing; April's first lifts the pause.
    let squad = &s;
    let reset = |at| async move {
        squad.clock.set(at);
        squad
            .app
            .run_job(&Actor::system("test"), Job::BudgetReset, at, "test", 30)
            .await
            .unwrap()
            .expect("claimed");
    };
    reset(Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap()).await;
    assert_eq!(s.agent(s.scout.id).await.status, AgentStatus::Paused);
    reset(Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 5).unwrap()).await;
    let scout = s.agent(s.scout.id).await;
    assert_eq!((scout.status, scout.month_spend), (AgentStatus::Active, Usd::ZERO));
    let notices = count(
        &pool,
        "SELECT count(*) FROM outbox WHERE payload::text LIKE '%why-new-budget-month%'",
    )
    .await;
    assert!(notices >= 1, "the chat is told");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alerts WHERE type = 'budget_exceeded' AND NOT resolved").await,
        0
    );
}

#[sqlx::test]
async fn caps_are_set_over_rest_by_a_cao_only(pool: PgPool) {
    use common::http::{reply, scout_id, seeded};
    use reqwest::{Method, StatusCode};
    let api = seeded(&pool).await;
    let scout = scout_id(&api).await;
    let set = api
        .patch("/api/projects/openclaw", r#"{"budgets":{"dailyCap":20,"monthlyCap":300.5}}"#)
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let budget = api.get("/api/projects/openclaw/budget").await;
    assert_eq!(
        (budget.body["dailyCap"].as_f64(), budget.body["monthlyCap"].as_f64()),
        (Some(20.0), Some(300.5)),
        "{}",
        budget.body
    );
    let cleared = api.patch("/api/projects/openclaw", r#"{"budgets":{"dailyCap":null}}"#).await;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    let budget = api.get("/api/projects/openclaw/budget").await;
    assert_eq!(
        (&budget.body["dailyCap"], budget.body["monthlyCap"].as_f64()),
        (&serde_json::Value::Null, Some(300.5))
    );
    let both = api
        .patch("/api/projects/openclaw", r#"{"budgets":{"dailyCap":1},"standupTime":"09:00"}"#)
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", both.body);

    let monthly = api.patch(&format!("/api/agents/{scout}"), r#"{"budgets":{"monthlyCap":40}}"#).await;
    assert_eq!(monthly.status, StatusCode::OK, "{}", monthly.body);
    assert_eq!(monthly.body["monthlyCap"], 40.0);
    assert_eq!(monthly.body["monthSpend"], 0.0);

    // An operator may not.
    let operator = api.token("olga", OperatorRole::Operator).await;
    let refused = api
        .call(
            Method::PATCH,
            "/api/projects/openclaw",
            Some(&operator),
            Some(r#"{"budgets":{"monthlyCap":1}}"#),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let refused = reply(
        api.client
            .patch(format!("{}/api/agents/{scout}", api.url))
            .bearer_auth(&operator)
            .json(&serde_json::json!({ "budgets": { "monthlyCap": 1 } })),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let budget = api.get("/api/projects/openclaw/budget").await;
    assert_eq!(budget.body["monthlyCap"].as_f64(), Some(300.5), "unchanged");
}
