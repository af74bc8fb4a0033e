//! Every `curl` of the operations runbook (`shared/seed/000_139df6f060a108ad.txt`), sent as curl
//! sends it (JSON with a form content type) plus an auth header, against the real server on
//! port 0, with each effect checked in the database.

use crate::common;

use common::http::{spawn_app, TestApi};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn agent_id(api: &TestApi, name: &str) -> String {
    let list = api.get("/api/agents?limit=200").await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("agent {name} listed"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn db_agent(pool: &PgPool, id: &str) -> (String, i64, i32, i64, Option<uuid::Uuid>) {
    sqlx::query_as(
        "SELECT status::text, daily_cap_micros, error_streak, today_spend_micros, current_task_id FROM agents WHERE id = $1::uuid",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn db_task_status(pool: &PgPool, id: &str) -> String {
    sqlx::query_scalar("SELECT status::text FROM tasks WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An agent that claims a task, starts it, asks for a RED action and spends up to its cap:
/// the "Budget exceeded" incident the runbook opens with.
async fn budget_incident(api: &TestApi) -> (String, String, String, String) {
    let reg = api
        .post(
            "/api/agents/register",
            r#"{"name": "Spender", "role": "intern", "allowedTaskTypes": ["customer_research"]}"#,
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.body);
    let agent = reg.body["agent"]["id"].as_str().unwrap().to_string();
    let token = reg.body["token"].as_str().unwrap().to_string();
    let as_agent = |method: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let body = body.map(|b| b.to_string());
        async move { api.call(method, &path, Some(&token), body.as_deref()).await }
    };
    let claimed = as_agent(Method::POST, "/api/tasks/claim".into(), None).await;
    assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.body);
    let task = claimed.body["id"].as_str().unwrap().to_string();
    let started = as_agent(
        Method::POST,
        format!("/api/tasks/{task}/transition"),
        Some(json!({"toStatus": "in_progress", "workPlan": ["Read the threads", "Group the reasons", "Write it up"]})),
    )
    .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let approval = as_agent(
        Method::POST,
        "/api/approvals".into(),
        Some(
            json!({"taskId": task, "actionType": "email.send", "actionSummary": "Email 20 churned users a survey",
                    "justification": "Direct answers beat guesses", "estimatedCost": 0.1}),
        ),
    )
    .await;
    assert_eq!(approval.status, StatusCode::CREATED, "{}", approval.body);
    assert_eq!(approval.body["status"], "pending", "a RED action waits for the CAO");
    let approval = approval.body["id"].as_str().unwrap().to_string();
    for _ in 0..8 {
        let run = as_agent(
            Method::POST,
            "/api/runs".into(),
            Some(json!({"taskId": task, "cost": 0.25, "status": "succeeded", "model": "small", "tokens": 1200})),
        )
        .await;
        assert_eq!(run.status, StatusCode::CREATED, "{}", run.body);
    }
    (agent, token, task, approval)
}

#[sqlx::test]
async fn every_runbook_command_works_and_does_what_the_runbook_says(pool: PgPool) {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();

    // Deployment check.
    let health = api.call(Method::GET, "/health", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["services"]["database"], "ok");

    // Agent liveness: the plain list, exactly as the runbook sends it (no query).
    let agents = api.get("/api/agents").await;
    assert_eq!(agents.status, StatusCode::OK, "{}", agents.body);
    let in_db: i64 = sqlx::query_scalar("SELECT count(*) FROM agents a JOIN projects p ON p.id = a.project_id WHERE p.slug = 'openclaw'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(agents.body["total"], in_db);
    let items = agents.body["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, in_db.min(50));
    assert!(items.iter().all(|a| a.get("lastHeartbeat").is_some()), "{}", agents.body);

    // Work in progress, for the shutdown check ("wait for in-progress tasks") further down.
    let scribe_id = agent_id(&api, "Scribe").await;
    let busy = api
        .post(
            "/api/tasks",
            &json!({"title": "Proofread the FAQ", "type": "docs", "assigneeIds": [scribe_id]}).to_string(),
        )
        .await;
    assert_eq!(busy.status, StatusCode::CREATED, "{}", busy.body);
    let busy = busy.body["id"].as_str().unwrap().to_string();
    let started = api
        .post(
            &format!("/api/tasks/{busy}/transition"),
            r#"{"toStatus": "in_progress", "workPlan": ["Read it", "Mark it up", "Fix it"]}"#,
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);

    // Incident 1: Budget exceeded.
    let (spender, spender_token, task, approval) = budget_incident(&api).await;
    assert_eq!(db_task_status(&pool, &task).await, "needs_approval", "the cap holds the task");
    assert_eq!(db_agent(&pool, &spender).await.0, "paused", "the cap pauses the agent");

    let costs = api.get(&format!("/api/costs/agent/{spender}")).await;
    assert_eq!(costs.status, StatusCode::OK, "{}", costs.body);
    assert_eq!(costs.body["todaySpend"], 2.0);
    assert_eq!(costs.body["dailyCap"], 2.0);

    let runs = api.get(&format!("/api/runs?agentId={spender}&limit=10")).await;
    assert_eq!(runs.status, StatusCode::OK);
    assert_eq!(runs.body["total"], 8);
    assert_eq!(runs.body["items"].as_array().unwrap().len(), 8);

    let raised = api
        .patch(&format!("/api/agents/{spender}"), r#"{"budgets": {"dailyCap": 20}}"#)
        .await;
    assert_eq!(raised.status, StatusCode::OK, "{}", raised.body);
    let (status, cap, ..) = db_agent(&pool, &spender).await;
    assert_eq!(cap, 20_000_000);
    assert_eq!(status, "active", "raising the cap resumes an agent the budget paused");

    let quarantined = api.post(&format!("/api/agents/{spender}/quarantine"), "").await;
    assert_eq!(quarantined.status, StatusCode::OK, "{}", quarantined.body);
    assert_eq!(db_agent(&pool, &spender).await.0, "quarantined");

    let approved = api
        .post(
            &format!("/api/approvals/{approval}/approve"),
            r#"{"approver": "operator", "decision": "Approved with increased budget"}"#,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let (status, note, by): (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status::text, decision_note, decided_by_name FROM approvals WHERE id = $1::uuid")
            .bind(&approval)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), note.as_deref(), by.as_deref()),
        ("approved", Some("Approved with increased budget"), Some("admin"))
    );

    // The agent hears about it on its next heartbeat, and is told to stop (quarantined).
    let beat = api
        .call(
            Method::POST,
            &format!("/api/agents/{spender}/heartbeat"),
            Some(&spender_token),
            None,
        )
        .await;
    assert_eq!(beat.status, StatusCode::OK, "{}", beat.body);
    assert_eq!(beat.body["stop"], true);
    assert!(beat.body["reason"].as_str().unwrap().contains("quarantined"), "{}", beat.body);
    assert!(beat.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"].as_str().unwrap().contains("approv")));

    // Incident 2: Loop detected — a blocked task, unblocked, reassigned, canceled.
    let scout = agent_id(&api, "Scout").await;
    let scribe = agent_id(&api, "Scribe").await;
    let created = api
        .post(
            "/api/tasks",
            &json!({"title": "Compare onboarding emails", "type": "customer_research", "assigneeIds": [scout]}).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let looping = created.body["id"].as_str().unwrap().to_string();
    let working = api
        .post(
            &format!("/api/tasks/{looping}/transition"),
            r#"{"toStatus": "in_progress", "workPlan": ["Collect the emails", "Compare them", "Recommend one"]}"#,
        )
        .await;
    assert_eq!(working.status, StatusCode::OK, "{}", working.body);
    let blocked = api
        .post(
            &format!("/api/tasks/{looping}/transition"),
            r#"{"toStatus": "blocked", "actor": "human", "reason": "Loop detected: 6 transitions in an hour"}"#,
        )
        .await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.body);

    let timeline = api.get(&format!("/api/tasks/{looping}/timeline")).await;
    assert_eq!(timeline.status, StatusCode::OK);
    assert!(timeline.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "transition" && e["toStatus"] == "blocked"));

    let unblock = r#"{
    "toStatus": "assigned",
    "actor": "human",
    "reason": "Clarified requirements: use approach X",
    "idempotencyKey": "manual-unblock-123"
  }"#;
    let unblocked = api.post(&format!("/api/tasks/{looping}/transition"), unblock).await;
    assert_eq!(unblocked.status, StatusCode::OK, "{}", unblocked.body);
    assert_eq!(db_task_status(&pool, &looping).await, "assigned");
    let again = api.post(&format!("/api/tasks/{looping}/transition"), unblock).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["replayed"], true, "a repeated key returns the first result");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM task_transitions WHERE idempotency_key = 'manual-unblock-123'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 1);

    let reassigned = api
        .patch(&format!("/api/tasks/{looping}"), &format!(r#"{{"assigneeIds": ["{scribe}"]}}"#))
        .await;
    assert_eq!(reassigned.status, StatusCode::OK, "{}", reassigned.body);
    let assignees: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT agent_id FROM task_assignees WHERE task_id = $1::uuid")
        .bind(&looping)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(assignees, vec![scribe.parse::<uuid::Uuid>().unwrap()]);

    let canceled = api
        .post(
            &format!("/api/tasks/{looping}/transition"),
            r#"{
    "toStatus": "canceled",
    "actor": "human",
    "reason": "Loop unrecoverable, requirements unclear",
    "idempotencyKey": "cancel-loop-123"
  }"#,
        )
        .await;
    assert_eq!(canceled.status, StatusCode::OK, "{}", canceled.body);
    assert_eq!(db_task_status(&pool, &looping).await, "canceled");

    // Incident 3: Agent stuck.
    let agent = api.get(&format!("/api/agents/{scout}")).await;
    assert_eq!(agent.status, StatusCode::OK);
    for field in [
        "id",
        "name",
        "role",
        "status",
        "allowedTaskTypes",
        "budgets",
        "todaySpend",
        "totalSpend",
        "errorStreak",
        "lastHeartbeat",
        "currentTaskId",
    ] {
        assert!(agent.body.get(field).is_some(), "agent has {field}: {}", agent.body);
    }
    let got = api.get(&format!("/api/tasks/{task}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body["number"].as_i64().is_some());
    let recent = api.get(&format!("/api/runs?agentId={spender}&limit=5")).await;
    assert_eq!(recent.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(recent.body["total"], 8);
    sqlx::query("UPDATE agents SET error_streak = 4 WHERE id = $1::uuid")
        .bind(&scout)
        .execute(&pool)
        .await
        .unwrap();
    let restarted = api.post(&format!("/api/agents/{scout}/restart"), "").await;
    assert_eq!(restarted.status, StatusCode::OK, "{}", restarted.body);
    let (status, _, streak, ..) = db_agent(&pool, &scout).await;
    assert_eq!((status.as_str(), streak), ("active", 0));
    let moved = api
        .patch(&format!("/api/tasks/{task}"), &format!(r#"{{"assigneeIds": ["{scout}"]}}"#))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let assignees: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT agent_id FROM task_assignees WHERE task_id = $1::uuid")
        .bind(&task)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        assignees,
        vec![scout.parse::<uuid::Uuid>().unwrap()],
        "the task now belongs to Scout alone"
    );
    let quarantined = api.post(&format!("/api/agents/{scout}/quarantine"), "").await;
    assert_eq!(quarantined.status, StatusCode::OK);
    assert_eq!(db_agent(&pool, &scout).await.0, "quarantined");

    // Emergency: pause the squad, then look at the money.
    let paused = api.post("/api/emergency/pause-squad", "").await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM agents WHERE status = 'active'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(active, 0, "no agent of the project is still active");
    let squad_paused: bool = sqlx::query_scalar("SELECT squad_paused FROM projects WHERE slug = 'openclaw'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(squad_paused);

    let daily = api.get("/api/costs/daily").await;
    assert_eq!(daily.status, StatusCode::OK);
    assert_eq!(daily.body["total"], 2.0);

    let by_today = api.get("/api/agents?sortBy=todaySpend&order=desc").await;
    assert_eq!(by_today.status, StatusCode::OK);
    assert_eq!(by_today.body["items"][0]["name"], "Spender");

    let costly = api.get("/api/runs?sortBy=cost&order=desc&limit=20").await;
    assert_eq!(costly.status, StatusCode::OK);
    let costs: Vec<f64> = costly.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cost"].as_f64().unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");

    // Recovery: reset an agent to a clean slate.
    let reset = api
        .patch(
            &format!("/api/agents/{spender}"),
            r#"{
    "status": "active",
    "errorStreak": 0,
    "todaySpend": 0,
    "currentTaskId": null
  }"#,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let (status, _, streak, spend, current) = db_agent(&pool, &spender).await;
    assert_eq!((status.as_str(), streak, spend, current), ("active", 0, 0, None));

    // Maintenance.
    let alerts = api.get("/api/alerts?resolved=false").await;
    assert_eq!(alerts.status, StatusCode::OK);
    assert!(
        alerts.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "budget_warning"),
        "{}",
        alerts.body
    );
    assert!(alerts.body["items"].as_array().unwrap().iter().all(|a| a["resolved"] == false));
    // Raising the cap settled the budget_exceeded alert.
    let settled = api.get("/api/alerts?resolved=true").await;
    assert!(
        settled.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "budget_exceeded"),
        "{}",
        settled.body
    );

    let by_total = api.get("/api/agents?sortBy=totalSpend&order=desc").await;
    assert_eq!(by_total.body["items"][0]["name"], "Spender");

    let stale = api.get("/api/tasks?status=blocked,needs_approval").await;
    assert_eq!(stale.status, StatusCode::OK);
    let statuses: Vec<&str> = stale.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"needs_approval"), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == "blocked" || *s == "needs_approval"));
    // The approval did not continue the held task: Spender had been quarantined (option b)
    // before the approval (option c), and the decision's audit says so. An approval for an
    // agent free to act moves it back to in_progress (tests/integration/approvals.rs).
    assert_eq!(db_task_status(&pool, &task).await, "needs_approval");
    let decision: Value = sqlx::query_scalar("SELECT data FROM audit_events WHERE action = 'approval.approved' AND entity_id = $1")
        .bind(&approval)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(decision["task"]["continued"], false, "{decision}");
    assert!(decision["task"]["why"].as_str().unwrap().contains("quarantined"), "{decision}");

    let in_progress = api.get("/api/tasks?status=in_progress").await;
    assert_eq!(in_progress.status, StatusCode::OK);
    assert!(in_progress.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "in_progress"));
    let working: Vec<String> = sqlx::query_scalar(
        "SELECT t.id::text FROM tasks t JOIN projects p ON p.id = t.project_id
          WHERE p.slug = 'openclaw' AND t.status = 'in_progress' ORDER BY t.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(working.contains(&busy), "the task started above is still in progress");
    assert_eq!(in_progress.body["total"], working.len() as i64);
    let mut listed: Vec<String> = in_progress.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, working, "exactly the tasks in progress");

    // Appendix: the audit export holds everything done above (the clock says 2026-02-01).
    // It is scoped like every endpoint: the default project, openclaw.
    let export = api.get("/api/audit/export?startDate=2026-02-01&endDate=2026-02-02").await;
    assert_eq!(export.status, StatusCode::OK);
    let in_db: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events e JOIN projects p ON p.id = e.project_id WHERE p.slug = 'openclaw'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(export.body["count"], in_db);
    let everything = api
        .get("/api/audit/export?startDate=2026-02-01&endDate=2026-02-02&allProjects=true")
        .await;
    assert_eq!(everything.status, StatusCode::OK, "{}", everything.body);
    let all_in_db: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(everything.body["count"], all_in_db);
    let actions: Vec<&str> = export.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "squad.paused",
        "agent.quarantine",
        "approval.approved",
        "agent.budget_set",
        "agent.reset",
    ] {
        assert!(actions.iter().any(|a| a == &expected), "{expected} in {actions:?}");
    }
    api.stop().await;
}
