//! Containment that holds under attack from inside (issue 21): each attack of the security
//! review, tried from outside against the real server as an agent or an operator would, is
//! refused or ends as it should, and changes nothing it should not.

use crate::common;

use common::http::{reply, spawn_app, Reply, TestApi, ADMIN_TOKEN};
use common::{as_agent, fingerprint};
use mission_control::app::approvals::{RequestApproval, Verdict};
use mission_control::app::tasks::TransitionTask;
use mission_control::app::{AppError, Clock, Rules};
use mission_control::domain::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

async fn seeded(pool: &PgPool) -> TestApi {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    api
}

/// A JSON request as a script would send it.
async fn send(api: &TestApi, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    let mut request = api.client.request(method, format!("{}{}", api.url, path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    reply(request).await
}

fn refused(reply: &Reply, status: StatusCode, says: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "'{message}' should say '{says}'");
}

/// A working token for the seeded agent `name`, issued by the CAO.
async fn agent_token(api: &TestApi, name: &str) -> (String, String) {
    let reg = send(
        api,
        Method::POST,
        "/api/agents/register",
        ADMIN_TOKEN,
        Some(json!({"name": name, "role": "intern"})),
    )
    .await;
    assert_eq!(reg.status, StatusCode::OK, "{}", reg.body);
    (
        reg.body["agent"]["id"].as_str().unwrap().to_string(),
        reg.body["token"].as_str().expect("the CAO gets the agent's token").to_string(),
    )
}

async fn works(api: &TestApi, token: &str) -> bool {
    send(api, Method::GET, "/api/agents", token, None).await.status == StatusCode::OK
}

#[sqlx::test]
async fn a_sub_agent_gets_no_more_than_its_parent(pool: PgPool) {
    let api = seeded(&pool).await;
    // Pixel: a specialist with $5 a day.
    let (pixel, pixel_token) = agent_token(&api, "Pixel").await;
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let before = fingerprint(&pool).await;
    let attack = json!({"name": "Pixel-Jr", "role": "lead", "dailyCap": 1_000_000, "parentAgentId": pixel});
    let lead = send(&api, Method::POST, "/api/agents/register", &pixel_token, Some(attack)).await;
    refused(
        &lead,
        StatusCode::UNPROCESSABLE_ENTITY,
        "role (lead) cannot be above its parent's (specialist)",
    );
    assert_eq!(lead.body["error"]["details"]["field"], "role", "{}", lead.body);
    let rich = json!({"name": "Pixel-Jr", "role": "specialist", "dailyCap": 1_000_000, "parentAgentId": pixel});
    let rich = send(&api, Method::POST, "/api/agents/register", &pixel_token, Some(rich)).await;
    refused(&rich, StatusCode::UNPROCESSABLE_ENTITY, "cannot be above its parent's ($5.00)");
    // An operator cannot give more than the role's default either: that is the CAO's.
    let generous = json!({"name": "Big-Spender", "role": "intern", "dailyCap": 50});
    let generous = send(&api, Method::POST, "/api/agents/register", &operator, Some(generous)).await;
    refused(&generous, StatusCode::FORBIDDEN, "only a CAO gives a daily cap");
    assert_eq!(fingerprint(&pool).await, before, "the refusals changed nothing");

    // What the parent may give: an intern with the smaller of the default and its own cap.
    let child = json!({"name": "Pixel-Jr", "role": "intern", "parentAgentId": pixel});
    let child = send(&api, Method::POST, "/api/agents/register", &pixel_token, Some(child)).await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    assert_eq!(child.body["agent"]["budgets"]["dailyCap"], json!(2.0));
    let child_token = child.body["token"].as_str().expect("the creator gets the new agent's token");
    // Registering the child again hands out no token: not to the parent.
    let again = json!({"name": "Pixel-Jr", "role": "intern", "parentAgentId": pixel});
    let before = fingerprint(&pool).await;
    let again = send(&api, Method::POST, "/api/agents/register", &pixel_token, Some(again)).await;
    refused(&again, StatusCode::FORBIDDEN, "issued only to the agent itself or by a CAO");
    assert_eq!(fingerprint(&pool).await, before);
    assert!(works(&api, child_token).await, "the child's token stays valid");
    // The CAO gives more than a default, and is audited doing so.
    let cao = json!({"name": "Trusted", "role": "intern", "dailyCap": 50});
    let cao = send(&api, Method::POST, "/api/agents/register", ADMIN_TOKEN, Some(cao)).await;
    assert_eq!(cao.status, StatusCode::CREATED, "{}", cao.body);
    assert_eq!(cao.body["agent"]["budgets"]["dailyCap"], json!(50.0));
}

#[sqlx::test]
async fn an_operator_cannot_take_an_agents_identity(pool: PgPool) {
    let api = seeded(&pool).await;
    let (_, scout_token) = agent_token(&api, "Scout").await;
    let operator = api.token("Olga", OperatorRole::Operator).await;
    let before = fingerprint(&pool).await;
    let taken = send(
        &api,
        Method::POST,
        "/api/agents/register",
        &operator,
        Some(json!({"name": "Scout", "role": "intern"})),
    )
    .await;
    refused(&taken, StatusCode::FORBIDDEN, "issued only to the agent itself or by a CAO");
    assert!(taken.body.get("token").is_none());
    assert_eq!(fingerprint(&pool).await, before, "no token issued, none retired");
    assert!(works(&api, &scout_token).await, "Scout's own token stays valid");
    // Registering a new name stays an operator's right, token and all.
    let fresh = send(
        &api,
        Method::POST,
        "/api/agents/register",
        &operator,
        Some(json!({"name": "Newcomer", "role": "intern"})),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
    assert!(fresh.body["token"].is_string());
}

/// An approval the policy gave, or a person's approval of another action, does not let a
/// gated task be done: only a person's decision on its `task.done` request does.
#[sqlx::test]
async fn the_done_gate_counts_only_a_persons_decision_on_the_task(pool: PgPool) {
    let rules = Rules {
        done_requires_approval: vec![TaskType::Docs],
        ..Rules::default()
    };
    let s = common::squad_with(pool.clone(), rules).await;
    let scribe = as_agent(&s.scribe);
    let task = s.started_task("Write the FAQ", TaskType::Docs, &s.scribe).await;
    let review = TransitionTask {
        to: Some(TaskStatus::Review),
        deliverable: Some("https://docs/faq".into()),
        ..Default::default()
    };
    s.app.transition_task(&scribe, task.id, review).await.unwrap();
    let done = || TransitionTask {
        to: Some(TaskStatus::Done),
        ..Default::default()
    };
    let gated = |e: AppError| assert!(e.to_string().contains("task.done approval"), "{e}");

    // A GREEN action the policy approved at once, for this very task.
    let read = RequestApproval {
        task_id: Some(task.id),
        ..common::request(&s.scribe, "file.read", "Read the old FAQ")
    };
    let auto = s.app.request_approval(&scribe, read).await.unwrap();
    assert_eq!(auto.status, ApprovalStatus::Approved);
    gated(s.app.transition_task(&s.cao, task.id, done()).await.unwrap_err());
    // A person's approval of another action for the task.
    let mail = s.ask_about(&s.scribe, &task, "Mail the FAQ to support").await.unwrap();
    s.app.decide_approval(&s.cao, mail.id, Verdict::Approve, None).await.unwrap();
    gated(s.app.transition_task(&s.cao, task.id, done()).await.unwrap_err());
    // The dedicated request, filed by an operator for the agent, is RED and waits for a person.
    let finish = RequestApproval {
        task_id: Some(task.id),
        ..common::request(&s.scribe, "task.done", "The FAQ is finished")
    };
    let asked = s.app.request_approval(&s.operator, finish).await.unwrap();
    assert_eq!((asked.status, asked.risk), (ApprovalStatus::Pending, RiskLevel::Red));
    gated(s.app.transition_task(&s.cao, task.id, done()).await.unwrap_err());
    s.app.decide_approval(&s.cao, asked.id, Verdict::Approve, None).await.unwrap();
    let moved = s.app.transition_task(&s.cao, task.id, done()).await.unwrap();
    assert_eq!(moved.task.status, TaskStatus::Done);
}

/// An action type nobody classified is RED and waits for a person; a claimed GREEN does not
/// lower it; what policy knows comes from configuration.
#[sqlx::test]
async fn an_unknown_action_type_waits_for_a_person(pool: PgPool) {
    let api = seeded(&pool).await;
    let (_, pixel_token) = agent_token(&api, "Pixel").await;
    let wire =
        json!({"actionType": "wire.transfer", "actionSummary": "Pay the vendor", "justification": "Invoice due", "riskLevel": "green"});
    let asked = send(&api, Method::POST, "/api/approvals", &pixel_token, Some(wire)).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    assert_eq!(asked.body["status"], "pending", "{}", asked.body);
    assert_eq!(asked.body["riskLevel"], "red");
    // Known YELLOW work is still allowed for a specialist at once.
    let edit = json!({"actionType": "file.edit", "actionSummary": "Fix a typo", "justification": "Typo"});
    let edited = send(&api, Method::POST, "/api/approvals", &pixel_token, Some(edit)).await;
    assert_eq!(edited.body["status"], "approved", "{}", edited.body);
    api.stop().await;

    // A deployment that lists the type knows it.
    let api = common::http::spawn_app_with(pool.clone(), [("MC_POLICY__YELLOW", "write,edit,transfer")]).await;
    let (_, pixel_token) = agent_token(&api, "Pixel").await;
    let wire = json!({"actionType": "wire.transfer", "actionSummary": "Pay the vendor", "justification": "Invoice due"});
    let asked = send(&api, Method::POST, "/api/approvals", &pixel_token, Some(wire)).await;
    assert_eq!(
        (asked.body["status"].as_str(), asked.body["riskLevel"].as_str()),
        (Some("approved"), Some("yellow")),
        "{}",
        asked.body
    );
}

/// A leaked token holding a long wait: the CAO rotates the agent's token and the wait ends at
/// once with 401, having taken nothing; what it would have taken reaches the agent's new token.
#[sqlx::test]
async fn rotating_a_token_ends_the_waits_opened_with_it(pool: PgPool) {
    let api = seeded(&pool).await;
    let (scout, leaked) = agent_token(&api, "Scout").await;
    let stolen = {
        let api_url = api.url.clone();
        let client = api.client.clone();
        let path = format!("{api_url}/api/agents/{scout}/heartbeat?wait=600");
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            (reply(client.post(path).bearer_auth(leaked)).await, started)
        })
    };
    // The wait is open once the agent has a subscriber.
    common::eventually("the stolen wait is open", std::time::Duration::from_secs(30), || async {
        (api.app.wakes.waiting_agents() > 0).then_some(())
    })
    .await;
    let rotated = send(&api, Method::POST, &format!("/api/agents/{scout}/rotate-token"), ADMIN_TOKEN, None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let fresh = rotated.body["token"].as_str().unwrap().to_string();
    // Told something right after: the stolen wait must not take it.
    let paused = send(
        &api,
        Method::POST,
        &format!("/api/agents/{scout}/pause"),
        ADMIN_TOKEN,
        Some(json!({"reason": "token leaked"})),
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let (ended, started) = tokio::time::timeout(std::time::Duration::from_secs(60), stolen)
        .await
        .expect("the stolen wait ended")
        .unwrap();
    refused(&ended, StatusCode::UNAUTHORIZED, "replaced by a newer one");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "ended at the rotation: {:?}",
        started.elapsed()
    );
    let beat = send(&api, Method::POST, &format!("/api/agents/{scout}/heartbeat"), &fresh, None).await;
    assert_eq!(beat.status, StatusCode::OK, "{}", beat.body);
    let kinds: Vec<&str> = beat.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"status_changed"), "the pause reached the real agent: {kinds:?}");
}

/// A wait never outlives its token: one opened for ten minutes with a token that expires in two
/// seconds ends then, with 401.
#[sqlx::test]
async fn a_wait_ends_when_its_token_expires(pool: PgPool) {
    let api = seeded(&pool).await;
    let (scout, token) = agent_token(&api, "Scout").await;
    let soon = api.clock.now() + chrono::Duration::seconds(2);
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE agent_id = $2::uuid AND revoked_at IS NULL")
        .bind(soon)
        .bind(&scout)
        .execute(&pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let path = format!("/api/agents/{scout}/heartbeat?wait=600");
    let waiting = send(&api, Method::POST, &path, &token, None);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(60), waiting)
        .await
        .expect("the wait ended with its token");
    refused(&ended, StatusCode::UNAUTHORIZED, "expired");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}

/// One agent holds at most `limits.max_waits_per_agent` waits; past them 429 with Retry-After,
/// and a wait that ends gives its place back.
#[sqlx::test]
async fn an_agent_holds_a_bounded_number_of_waits(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_LIMITS__MAX_WAITS_PER_AGENT", "2")]).await;
    api.app.seed().await.unwrap();
    let (scout, token) = agent_token(&api, "Scout").await;
    let path = format!("{}/api/agents/{scout}/heartbeat?wait=600", api.url);
    let mut waits = Vec::new();
    for _ in 0..2 {
        let request = api.client.post(&path).bearer_auth(&token);
        waits.push(tokio::spawn(async move { reply(request).await }));
    }
    common::eventually("two waits open", std::time::Duration::from_secs(30), || async {
        (api.app.wakes.subscribers(uuid::Uuid::parse_str(&scout).unwrap()) >= 2).then_some(())
    })
    .await;
    let path = format!("/api/agents/{scout}/heartbeat?wait=600");
    let third = send(&api, Method::POST, &path, &token, None);
    let third = tokio::time::timeout(std::time::Duration::from_secs(30), third)
        .await
        .expect("refused at once, not kept waiting");
    refused(&third, StatusCode::TOO_MANY_REQUESTS, "already has 2 waits open");
    assert_eq!(third.headers["retry-after"], "1");
    // A heartbeat that does not wait is always answered.
    let now = send(&api, Method::POST, &format!("/api/agents/{scout}/heartbeat"), &token, None).await;
    assert_eq!(now.status, StatusCode::OK, "{}", now.body);
    // News ends both waits; their places are free again.
    let paused = send(
        &api,
        Method::POST,
        &format!("/api/agents/{scout}/pause"),
        ADMIN_TOKEN,
        Some(json!({})),
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    for wait in waits {
        assert_eq!(wait.await.unwrap().status, StatusCode::OK);
    }
    let again = api
        .client
        .post(format!("{}/api/agents/{scout}/heartbeat?wait=1", api.url))
        .bearer_auth(&token);
    assert_eq!(reply(again).await.status, StatusCode::OK);
}

/// The rate limit belongs to the agent, not to its token: a rotation does not bring a fresh
/// budget.
#[sqlx::test]
async fn the_rate_limit_follows_the_agent_across_rotations(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_HTTP__RATE_LIMIT_PER_MINUTE", "6")]).await;
    api.app.seed().await.unwrap();
    let (scout, token) = agent_token(&api, "Scout").await;
    let mut limited = false;
    for _ in 0..6 {
        limited |= send(&api, Method::GET, "/api/agents", &token, None).await.status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(!limited, "six requests a minute are allowed");
    let rotated = send(&api, Method::POST, &format!("/api/agents/{scout}/rotate-token"), ADMIN_TOKEN, None).await;
    let fresh = rotated.body["token"].as_str().unwrap();
    let after = send(&api, Method::GET, "/api/agents", fresh, None).await;
    refused(&after, StatusCode::TOO_MANY_REQUESTS, "retry after");
}

/// Thirty bad tokens from one address: a new agent registered behind the same address (a NAT,
/// a proxy) still gets in with its token; the guesses keep getting 429.
#[sqlx::test]
async fn others_failures_never_lock_out_a_valid_token(pool: PgPool) {
    let api = seeded(&pool).await;
    for _ in 0..40 {
        let guess = format!("mca_{}", uuid::Uuid::new_v4().simple());
        send(&api, Method::GET, "/api/agents", &guess, None).await;
    }
    let guess = send(&api, Method::GET, "/api/agents", "mca_still-guessing-here", None).await;
    assert_eq!(guess.status, StatusCode::TOO_MANY_REQUESTS);
    let created = send(
        &api,
        Method::POST,
        "/api/agents/register",
        ADMIN_TOKEN,
        Some(json!({"name": "Newbie", "role": "intern"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"].as_str().unwrap();
    assert!(works(&api, token).await, "a new agent's first request");
}

/// `policy check` and `/policy <type>` say the level and the rule that decided it.
#[test]
fn the_cli_says_what_policy_does_with_an_action_type() {
    let check = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .arg("policy")
            .arg("check")
            .args(args)
            .env("MC_LOG__LEVEL", "warn")
            .env("MC_POLICY__YELLOW", "write,edit,transfer")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, said, _) = check(&["frobnicate"]);
    assert!(ok);
    assert!(said.starts_with("frobnicate: RED\n"), "{said}");
    assert!(said.contains("policy does not know 'frobnicate'"), "{said}");
    assert!(said.contains("specialist: needs a person's approval"), "{said}");
    let (_, said, _) = check(&["wire.transfer", "--role", "specialist"]);
    assert!(said.starts_with("wire.transfer: YELLOW\n"), "configured: {said}");
    assert!(
        said.contains("'transfer' actions are yellow") && said.contains("specialist: allowed"),
        "{said}"
    );
    assert!(!said.contains("intern:"), "only the role asked for: {said}");
    let (ok, _, err) = check(&["two words"]);
    assert!(!ok && err.contains("is not an action type"), "{err}");
}

#[sqlx::test]
async fn the_bot_says_what_policy_does_with_an_action_type(pool: PgPool) {
    let w = common::world::World::new(pool).await;
    let said = w.ask(&common::telegram::sofie(), "/policy wire.transfer", "wire.transfer").await;
    let text = common::telegram::text(&said);
    assert!(text.contains("red") && text.contains("policy does not know"), "{text}");
    assert!(text.contains("intern: needs a person's approval"), "{text}");
    w.stop().await;
}

/// `/metrics` behind `http.metrics_token`, and a scrape flood costs the database one read a
/// second: scrapes are served from the squad's last read until it is a second old.
#[sqlx::test]
async fn metrics_can_be_closed_and_a_scrape_flood_does_not_load_the_database(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_HTTP__METRICS_TOKEN", "scrape-secret-123")]).await;
    api.app.seed().await.unwrap();
    let url = format!("{}/metrics", api.url);
    let open = api.client.get(&url).send().await.unwrap();
    assert_eq!(open.status(), StatusCode::UNAUTHORIZED);
    let wrong = api.client.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let scrape = || async {
        let reply = api.client.get(&url).bearer_auth("scrape-secret-123").send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        reply.text().await.unwrap()
    };
    let reads = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("mc_metrics_squad_reads_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no read count in {text}"))
    };
    let first = scrape().await;
    assert!(first.contains(r#"mc_agents{project="openclaw",status="active"} 8"#), "{first}");
    let before = reads(&first);
    // Fifty scrapes at once: the squad is read once a second at most, not fifty times.
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all((0..50).map(|_| scrape())).await;
    let took = started.elapsed().as_secs();
    let after = answers.iter().map(|a| reads(a)).max().unwrap();
    assert!(after - before <= took + 2, "{} reads for 50 scrapes in {took} s", after - before);
    // A change shows within a second or so.
    sqlx::query("UPDATE agents SET status = 'paused', status_cause = 'manual' WHERE name = 'Scout'")
        .execute(&pool)
        .await
        .unwrap();
    let fresh = common::eventually("the next read", std::time::Duration::from_secs(10), || async {
        Some(scrape().await).filter(|t| t.contains(r#"mc_agents{project="openclaw",status="active"} 7"#))
    })
    .await;
    assert!(fresh.contains(r#"mc_agents{project="openclaw",status="paused"} 1"#), "{fresh}");
}

/// A CAO revokes a configured admin: the next start does not give the role back behind the
/// CAO's back; it says so instead.
#[sqlx::test]
async fn a_revoked_config_admin_stays_revoked_at_the_next_start(pool: PgPool) {
    let s = common::squad(pool.clone()).await;
    const ADMIN: i64 = 4040;
    assert!(s.app.ensure_admins(&[ADMIN]).await.unwrap().is_empty());
    assert!(s.app.operator_for_telegram(ADMIN).await.unwrap().is_some());
    s.app.revoke_role(&s.cao, ADMIN).await.unwrap();
    let ignored = s.app.ensure_admins(&[ADMIN]).await.unwrap();
    assert_eq!(ignored, [ADMIN], "reported");
    assert!(s.app.operator_for_telegram(ADMIN).await.unwrap().is_none(), "still revoked");
}

/// Behind a trusted proxy, the client is the address the proxy saw (`X-Forwarded-For`): one
/// guesser's failures throttle that guesser, not everyone behind the proxy; from an untrusted
/// peer the header is ignored, so a guesser cannot spread its failures over forged addresses.
#[sqlx::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_alone(pool: PgPool) {
    let api = common::http::spawn_app_with(
        pool.clone(),
        [
            ("MC_HTTP__TRUSTED_PROXIES", "127.0.0.0/8"),
            ("MC_HTTP__AUTH_FAILURES_PER_MINUTE", "3"),
        ],
    )
    .await;
    api.app.seed().await.unwrap();
    let guess = |from: &'static str| {
        let request = api
            .client
            .get(format!("{}/api/agents", api.url))
            .bearer_auth(format!("mca_{}", uuid::Uuid::new_v4().simple()))
            .header("x-forwarded-for", format!("203.0.113.250, {from}"));
        async move { reply(request).await.status }
    };
    for _ in 0..3 {
        assert_eq!(guess("198.51.100.7").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        guess("198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS,
        "that client is throttled"
    );
    assert_eq!(
        guess("198.51.100.8").await,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy is not"
    );
    api.stop().await;

    // Without trusting the peer, the header changes nothing: all are one client.
    let api = common::http::spawn_app_with(pool.clone(), [("MC_HTTP__AUTH_FAILURES_PER_MINUTE", "3")]).await;
    for i in 0..4 {
        let request = api
            .client
            .get(format!("{}/api/agents", api.url))
            .bearer_auth(format!("mca_{}", uuid::Uuid::new_v4().simple()))
            .header("x-forwarded-for", format!("198.51.100.{i}"));
        let status = reply(request).await.status;
        let expected = if i < 3 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "request {i}");
    }
}

/// An HTTP/1.1 keep-alive connection that has been served once (so the server accepted it)
/// and stays open.
async fn held_connection(url: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed a kept-alive connection");
        seen.extend_from_slice(&buf[..n]);
    }
    stream
}

/// A client opening connections without end cannot take the server's file descriptors: past
/// `http.max_connections` a new connection waits until one closes, then is served.
#[sqlx::test]
async fn connections_past_the_bound_wait_until_one_closes(pool: PgPool) {
    let api = common::http::spawn_app_with(pool.clone(), [("MC_HTTP__MAX_CONNECTIONS", "3")]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(held_connection(&api.url).await);
    }
    let waiting = {
        let url = format!("{}/health", api.url);
        tokio::spawn(async move { reqwest::Client::new().get(url).send().await.map(|r| r.status()) })
    };
    // Not served while three connections are open (a negative can only be checked for a while).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a fourth connection was served past the bound of three");
    drop(held.pop());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    drop(held);
    let metrics = common::eventually("the metrics are served", std::time::Duration::from_secs(30), || async {
        let text = api.metrics().await;
        text.contains("mc_http_connections").then_some(text)
    })
    .await;
    let open: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mc_http_connections "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&open), "{open} open connections counted");
    api.stop().await;
}
