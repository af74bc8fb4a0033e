//! The cockpit (the Telegram Mini App at `/app`): signing in with Telegram's signed `initData`
//! over plain HTTP, the live feed over SSE, and the page itself in headless Chromium (Debian's
//! `chromium` driven by its `chromedriver`), given `initData` signed with the test bot token and
//! a stand-in `Telegram.WebApp` injected before the page loads.

use crate::common::eventually;
use crate::common::http::{reply, spawn_app_with, TestApi, ADMIN_TOKEN};
use crate::common::telegram::{fast_fake, EVE, GROUP, OLGA, SOFIE, TOKEN, VIC};
use fake_telegram::FakeBotApi;
use mission_control::app::Clock;
use mission_control::domain::webapp::sign;
use mission_control::domain::{Actor, OperatorRole};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The service with the bot's token (its bot against the fake Bot API), the sample squad, and
/// Sofie (CAO), Olga (operator) and Vic (viewer) linked to their roles.
struct Cockpit {
    api: TestApi,
    _tg: FakeBotApi,
}

async fn cockpit(pool: &PgPool) -> Cockpit {
    cockpit_with(pool, "540").await
}

/// [`cockpit`] with `bridge.max_wait_secs` (how long a RED tool call waits for a human).
async fn cockpit_with(pool: &PgPool, bridge_wait: &str) -> Cockpit {
    let tg = FakeBotApi::start_with(TOKEN, fast_fake()).await.expect("fake Telegram");
    let url = tg.url();
    let api = spawn_app_with(
        pool.clone(),
        [
            ("MC_TELEGRAM__TOKEN", TOKEN),
            ("MC_TELEGRAM__API_URL", url.as_str()),
            ("MC_BRIDGE__MAX_WAIT_SECS", bridge_wait),
        ],
    )
    .await;
    api.app.seed().await.unwrap();
    api.app.ensure_admins(&[SOFIE]).await.unwrap();
    let system = Actor::system("test");
    api.app.grant_role(&system, OLGA, "Olga", OperatorRole::Operator).await.unwrap();
    api.app.grant_role(&system, VIC, "Vic", OperatorRole::Viewer).await.unwrap();
    Cockpit { api, _tg: tg }
}

/// `initData` as Telegram would give it to `user`, signed `age` before the service's clock.
fn init_data(api: &TestApi, user: i64, name: &str, age: chrono::Duration, bot_token: &str, start: Option<&str>) -> String {
    let auth_date = (api.clock.now() - age).timestamp().to_string();
    let user = json!({ "id": user, "first_name": name, "language_code": "en" }).to_string();
    let mut fields = vec![
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
        ("user", user.as_str()),
        ("auth_date", auth_date.as_str()),
    ];
    if let Some(start) = start {
        fields.push(("start_param", start));
    }
    sign(&fields, bot_token)
}

async fn open_session(api: &TestApi, init_data: &str) -> crate::common::http::Reply {
    reply(
        api.client
            .post(format!("{}/api/app/session", api.url))
            .json(&json!({ "initData": init_data })),
    )
    .await
}

async fn session_token(api: &TestApi, user: i64, name: &str) -> String {
    let opened = open_session(api, &init_data(api, user, name, chrono::Duration::minutes(1), TOKEN, None)).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    opened.body["token"].as_str().unwrap().to_string()
}

async fn sessions(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM app_sessions")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn signed_init_data_opens_a_session_as_that_operator_and_nothing_else_does(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let now = api.clock.now();

    // Sofie, signed a minute ago: a session with her role, ending in 15 minutes.
    let opened = open_session(
        &api,
        &init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), TOKEN, Some("task_3")),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    assert_eq!(opened.body["operator"]["role"], "cao");
    assert_eq!(opened.body["startParam"], "task_3");
    let expires: chrono::DateTime<chrono::Utc> = opened.body["expiresAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, now + chrono::Duration::minutes(15));
    let token = opened.body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("mcs_"), "{token}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM app_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash is kept");
    let (action, actor): (String, String) =
        sqlx::query_as("SELECT action, actor_name FROM audit_events WHERE action = 'operator.app_session_opened'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((action.as_str(), actor.as_str()), ("operator.app_session_opened", "tg:1001"));

    // The token is the bearer of the ordinary API, as Sofie.
    let tasks = api.call(reqwest::Method::GET, "/api/tasks", Some(&token), None).await;
    assert_eq!(tasks.status, StatusCode::OK, "{}", tasks.body);

    // Forged (another bot's key, or a changed field), stale, malformed: 401; an outsider: 403.
    let refused = [
        (
            init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), "4242:another-bots-token", None),
            StatusCode::UNAUTHORIZED,
        ),
        (
            init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), TOKEN, None).replace("%22id%22%3A1001", "%22id%22%3A1002"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(61), TOKEN, None),
            StatusCode::UNAUTHORIZED,
        ),
        ("user=%7B%22id%22%3A1001%7D&auth_date=1".to_string(), StatusCode::UNAUTHORIZED),
        (
            init_data(&api, EVE, "Eve", chrono::Duration::minutes(1), TOKEN, None),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (data, status) in refused {
        let answer = open_session(&api, &data).await;
        assert_eq!(answer.status, status, "{data}: {}", answer.body);
        assert!(!answer.body["error"]["message"].as_str().unwrap().is_empty());
    }
    let stale = open_session(&api, &init_data(&api, SOFIE, "Sofie", chrono::Duration::hours(2), TOKEN, None)).await;
    assert!(
        stale.body["error"]["message"].as_str().unwrap().contains("too long ago"),
        "{}",
        stale.body
    );
    assert_eq!(sessions(&pool).await, 1, "no refused initData opened a session");

    // Renewed while live; refused once it ended.
    api.clock.advance(chrono::Duration::minutes(10));
    let renewed = api.call(reqwest::Method::POST, "/api/app/session/renew", Some(&token), None).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let until: chrono::DateTime<chrono::Utc> = renewed.body["expiresAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(until, now + chrono::Duration::minutes(25));
    api.clock.advance(chrono::Duration::minutes(16));
    let ended = api.call(reqwest::Method::GET, "/api/tasks", Some(&token), None).await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.body);
    let late = api.call(reqwest::Method::POST, "/api/app/session/renew", Some(&token), None).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED, "{}", late.body);
}

#[sqlx::test]
async fn a_session_has_exactly_its_operators_rights_and_ends_with_them(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let vic = session_token(&api, VIC, "Vic").await;
    let olga = session_token(&api, OLGA, "Olga").await;
    let created = api
        .call(
            reqwest::Method::POST,
            "/api/tasks",
            Some(&olga),
            Some(&json!({ "title": "Write the cockpit docs", "description": "", "type": "docs", "assigneeIds": [] }).to_string()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (actor, kind): (String, String) =
        sqlx::query_as("SELECT actor_name, actor_kind::text FROM audit_events WHERE action = 'task.created' ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((actor.as_str(), kind.as_str()), ("Olga", "human"), "audited as the operator");
    let id = created.body["id"].as_str().unwrap();

    // The viewer reads, and may not move a task.
    let read = api.call(reqwest::Method::GET, &format!("/api/tasks/{id}"), Some(&vic), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let moved = api
        .call(
            reqwest::Method::POST,
            &format!("/api/tasks/{id}/transition"),
            Some(&vic),
            Some(r#"{"toStatus":"canceled","reason":"no"}"#),
        )
        .await;
    assert_eq!(moved.status, StatusCode::FORBIDDEN, "{}", moved.body);

    // Revoked in the chat: the session stops at once.
    api.app.revoke_role(&Actor::system("test"), VIC).await.unwrap();
    let after = api.call(reqwest::Method::GET, "/api/tasks", Some(&vic), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.body);
}

/// Reads the SSE stream `response` until an event whose data has `action`; its `id:`.
async fn read_until(response: &mut reqwest::Response, buffer: &mut String, action: &str) -> i64 {
    tokio::time::timeout(WAIT, async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let id = block
                    .lines()
                    .find_map(|l| l.strip_prefix("id:"))
                    .map(|v| v.trim().parse::<i64>().unwrap());
                let data = block.lines().find_map(|l| l.strip_prefix("data:"));
                if let (Some(id), Some(data)) = (id, data) {
                    let event: Value = serde_json::from_str(data.trim()).unwrap();
                    assert_eq!(event["id"], id);
                    if event["action"] == action {
                        return id;
                    }
                }
            }
            let chunk = response.chunk().await.unwrap().expect("the feed ended early");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {action} event on the live feed within {WAIT:?}"))
}

#[sqlx::test]
async fn the_live_feed_streams_what_the_api_does_and_resumes_after_the_last_event_id(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let token = session_token(&api, SOFIE, "Sofie").await;
    let mut feed = api
        .client
        .get(format!("{}/api/app/events?access_token={token}&project=openclaw", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    // Feeds are told when audit events are written (a trigger's NOTIFY, this process's
    // listener), rather than polling.
    eventually("the listener hears the database", WAIT, || async {
        api.app.wakes.is_listening().then_some(())
    })
    .await;
    let mut written = api.app.wakes.watch_audit();
    written.borrow_and_update();
    let created = api
        .post(
            "/api/tasks",
            &json!({ "title": "Seen live", "description": "", "type": "docs", "assigneeIds": [] }).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    tokio::time::timeout(WAIT, written.changed())
        .await
        .expect("the feeds are told of the new event")
        .unwrap();
    let mut buffer = String::new();
    let id = read_until(&mut feed, &mut buffer, "task.created").await;
    drop(feed);

    // Resuming after the event before it gives that event again.
    let mut resumed = api
        .client
        .get(format!("{}/api/app/events?project=openclaw", api.url))
        .bearer_auth(&token)
        .header("Last-Event-ID", (id - 1).to_string())
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    assert_eq!(read_until(&mut resumed, &mut buffer, "task.created").await, id);

    // No token, an agent's or a bad Last-Event-ID: refused.
    let anonymous = api.client.get(format!("{}/api/app/events", api.url)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let agent_token = crate::common::http::agent_token(&api, "Scout").await;
    let agent = api
        .client
        .get(format!("{}/api/app/events?access_token={agent_token}", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(agent.status(), StatusCode::FORBIDDEN);
    let bad = api
        .client
        .get(format!("{}/api/app/events", api.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn the_page_is_served_from_the_binary_with_its_types_and_compressed(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    for (path, content_type) in [
        ("/app", "text/html; charset=utf-8"),
        ("/app/app.js", "text/javascript; charset=utf-8"),
        ("/app/style.css", "text/css; charset=utf-8"),
    ] {
        let answer = api.client.get(format!("{}{path}", api.url)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(answer.headers()["content-type"], content_type, "{path}");
        assert_eq!(answer.headers()["cache-control"], "no-cache");
    }
    let missing = api.client.get(format!("{}/app/nothing.js", api.url)).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// The browser tests: Chromium through chromedriver.
mod browser {
    use super::*;
    use fantoccini::wd::WebDriverCompatibleCommand;
    use fantoccini::{Client, ClientBuilder, Locator};
    use std::process::Stdio;

    const CHROMIUM: &str = "/usr/bin/chromium";
    const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

    /// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
    #[derive(Debug)]
    struct Cdp(&'static str, Value);

    impl WebDriverCompatibleCommand for Cdp {
        fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
            base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
        }

        fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
            (
                axum::http::Method::POST,
                Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
            )
        }
    }

    /// Headless Chromium at a phone's width; its driver ends with it.
    pub struct Browser {
        pub client: Client,
        _driver: tokio::process::Child,
    }

    impl Browser {
        pub async fn start() -> Browser {
            for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
                assert!(
                    std::path::Path::new(path).exists(),
                    "the cockpit's browser tests need Debian's {package} ({path}): apt-get install -y chromium chromium-driver (.ci/run does)"
                );
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let driver = tokio::process::Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("start chromedriver");
            let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=414,900", "--no-first-run", "--no-default-browser-check"],
                },
            }))
            .unwrap();
            let url = format!("http://127.0.0.1:{port}");
            let client = eventually("chromedriver answers and starts Chromium", WAIT, || {
                let (caps, url) = (caps.clone(), url.clone());
                async move {
                    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                        .capabilities(caps)
                        .connect(&url)
                        .await
                        .ok()
                }
            })
            .await;
            Browser { client, _driver: driver }
        }

        /// Opens the cockpit with a stand-in `Telegram.WebApp` giving `init_data`, injected
        /// before any of the page's scripts run.
        pub async fn open(&self, api: &TestApi, init_data: &str) {
            let stand_in = format!(
                "window.Telegram = {{ WebApp: {{
                    initData: {init}, initDataUnsafe: {{}}, platform: 'test', colorScheme: 'dark',
                    themeParams: {{ bg_color: '#17212b', text_color: '#f5f5f5', hint_color: '#708499', link_color: '#6ab3f3',
                                    button_color: '#5288c1', button_text_color: '#ffffff', secondary_bg_color: '#232e3c',
                                    destructive_text_color: '#ec3942' }},
                    expanded: false, calls: [],
                    ready() {{ this.calls.push('ready'); }}, expand() {{ this.expanded = true; }},
                    disableVerticalSwipes() {{ this.calls.push('swipes:off'); }}, enableVerticalSwipes() {{ this.calls.push('swipes:on'); }},
                    BackButton: {{ isVisible: false, show() {{ this.isVisible = true; }}, hide() {{ this.isVisible = false; }},
                                  onClick(f) {{ this.handler = f; }} }},
                    HapticFeedback: {{ notificationOccurred(kind) {{ window.Telegram.WebApp.calls.push('haptic:' + kind); }},
                                      impactOccurred(kind) {{ window.Telegram.WebApp.calls.push('impact:' + kind); }} }},
                }} }};",
                init = serde_json::to_string(init_data).unwrap()
            );
            self.client
                .issue_cmd(Cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": stand_in })))
                .await
                .expect("inject the stand-in Telegram.WebApp");
            self.client.goto(&format!("{}/app", api.url)).await.unwrap();
        }

        /// Waits until `expression` (JavaScript) is truthy; its value.
        pub async fn until(&self, what: &str, expression: &str) -> Value {
            let script = format!("try {{ return ({expression}) || null; }} catch (e) {{ return null; }}");
            let started = std::time::Instant::now();
            loop {
                if let Ok(value) = self.client.execute(&script, vec![]).await {
                    if !value.is_null() {
                        return value;
                    }
                }
                if started.elapsed() > WAIT {
                    // What the page shows, to read the failure without running it again.
                    let page = self.client.execute("return document.body.innerText", vec![]).await;
                    panic!("{what}: not so after {WAIT:?}; the page shows: {page:?}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        pub async fn click(&self, css: &str) {
            self.until(&format!("{css} is there"), &format!("document.querySelector({})", json!(css)))
                .await;
            self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
        }

        /// Chooses `value` in the `<select>` at `css`, as a person (or the keyboard) would.
        pub async fn choose(&self, css: &str, value: &str) {
            self.until(&format!("{css} is there"), &format!("document.querySelector({})", json!(css)))
                .await;
            self.client
                .find(Locator::Css(css))
                .await
                .unwrap()
                .select_by_value(value)
                .await
                .unwrap();
        }

        /// Drags `from` to `to` with a finger (WebDriver touch actions: Chromium's touch events
        /// and the pointer events they make), in small steps as a hand moves.
        pub async fn drag_by_touch(&self, from: &str, to: &str) {
            use fantoccini::actions::{InputSource, PointerAction, TouchActions};
            for css in [from, to] {
                self.until(&format!("{css} is there"), &format!("document.querySelector({})", json!(css)))
                    .await;
            }
            let from = self.client.find(Locator::Css(from)).await.unwrap();
            let to = self.client.find(Locator::Css(to)).await.unwrap();
            let step = Some(Duration::from_millis(150));
            let finger = TouchActions::new("finger".into())
                .then(PointerAction::MoveToElement {
                    element: from,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down { button: 0 })
                .then(PointerAction::MoveBy {
                    duration: step,
                    x: 0.0,
                    y: 12.0,
                })
                .then(PointerAction::MoveToElement {
                    element: to.clone(),
                    duration: step,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::MoveToElement {
                    element: to,
                    duration: step,
                    x: 2.0,
                    y: 2.0,
                })
                .then(PointerAction::Up { button: 0 });
            self.client.perform_actions(finger).await.expect("the touch drag");
        }

        pub async fn close(self) {
            let _ = self.client.close().await;
        }
    }
}

use browser::Browser;
use fantoccini::Locator;

async fn task_status(pool: &PgPool, id: &str) -> String {
    sqlx::query_scalar("SELECT status::text FROM tasks WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Scout asks for a RED deploy with `summary` (pending); its code.
async fn red_request(api: &TestApi, summary: &str) -> String {
    let agent_token = crate::common::http::agent_token(api, "Scout").await;
    let body = json!({ "actionType": "deploy.production", "riskLevel": "red", "actionSummary": summary, "justification": "Signed off" });
    let asked = api
        .call(reqwest::Method::POST, "/api/approvals", Some(&agent_token), Some(&body.to_string()))
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    format!("A{}", asked.body["number"])
}

async fn new_task(api: &TestApi, title: &str, assignees: &[&str]) -> (String, i64) {
    let created = api
        .post(
            "/api/tasks",
            &json!({ "title": title, "description": "", "type": "docs", "assigneeIds": assignees }).to_string(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (
        created.body["id"].as_str().unwrap().to_string(),
        created.body["number"].as_i64().unwrap(),
    )
}

#[sqlx::test]
async fn in_chromium_the_cao_sees_today_moves_cards_approves_and_watches_the_feed(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let agents = api.get("/api/agents?limit=200").await;
    let scribe = agents.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Scribe")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (assigned, assigned_number) = new_task(&api, "Draft the launch post", &[scribe.as_str()]).await;
    let (loose, loose_number) = new_task(&api, "Nobody's task yet", &[]).await;

    // An agent asks for a RED action and waits (MCP request_approval).
    let agent_token = crate::common::http::agent_token(&api, "Scout").await;
    let client = crate::mcp::connect(&api, &agent_token).await.unwrap();
    let waiting = tokio::spawn(async move {
        let args = json!({ "actionType": "deploy.production", "riskLevel": "red", "actionSummary": "Deploy the cockpit to production",
                           "justification": "Signed off", "rollbackPlan": "Redeploy", "waitSeconds": 120 });
        let result = crate::mcp::call(&client, "request_approval", args).await;
        let _ = client.cancel().await;
        result
    });

    let browser = Browser::start().await;
    browser
        .open(&api, &init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), TOKEN, None))
        .await;

    // Today, with the pending approval and Telegram's look.
    browser
        .until(
            "Today shows the pending approval",
            "[...document.querySelectorAll('.approval .summary')].some(e => e.textContent.includes('Deploy the cockpit to production'))",
        )
        .await;
    assert_eq!(browser.until("the view", "document.body.dataset.view").await, "today");
    let theme = browser
        .until(
            "the theme's colours",
            "getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-bg-color')",
        )
        .await;
    assert_eq!(theme.as_str().unwrap().trim(), "#17212b");
    assert_eq!(browser.until("expanded", "window.Telegram.WebApp.expanded").await, true);
    let who = browser
        .until("who is signed in", "document.getElementById('who').textContent")
        .await;
    assert!(who.as_str().unwrap().contains("cao"), "{who}");
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cockpit.png"), png).unwrap();

    // Board: a refused move snaps back and says why.
    browser.click("#tabs [data-view=board]").await;
    let loose_card = format!("[data-number=\"{loose_number}\"]");
    browser.choose(&format!("{loose_card} select.move"), "assigned").await;
    let toast = browser
        .until(
            "the refusal is shown",
            "!document.getElementById('toast').hidden && document.getElementById('toast').textContent",
        )
        .await;
    assert!(toast.as_str().unwrap().contains("assignee"), "{toast}");
    browser
        .until(
            "the card is back in Inbox",
            &format!("document.querySelector('[data-status=inbox] {loose_card}')"),
        )
        .await;
    assert_eq!(task_status(&pool, &loose).await, "inbox");

    // A legal move (with the reason canceling asks for) changes the task in the database.
    let assigned_card = format!("[data-number=\"{assigned_number}\"]");
    browser.choose(&format!("{assigned_card} select.move"), "canceled").await;
    browser
        .until(
            "the reason is asked",
            &format!("document.querySelector('{assigned_card} input.reason')"),
        )
        .await;
    browser
        .client
        .find(Locator::Css(&format!("{assigned_card} input.reason")))
        .await
        .unwrap()
        .send_keys("Merged into the launch plan\n")
        .await
        .unwrap();
    eventually("the move reaches the database", WAIT, || async {
        (task_status(&pool, &assigned).await == "canceled").then_some(())
    })
    .await;
    browser
        .until(
            "the card is in Canceled",
            &format!("document.querySelector('[data-status=canceled] {assigned_card}')"),
        )
        .await;

    // On a phone a finger drags a card by its grip: Assigned → Inbox, in the database too.
    let (dragged, dragged_number) = new_task(&api, "Translate the FAQ", &[scribe.as_str()]).await;
    browser.client.refresh().await.unwrap();
    browser.click("#tabs [data-view=board]").await;
    let dragged_card = format!("[data-number=\"{dragged_number}\"]");
    browser
        .until(
            "the new card is in Assigned",
            &format!("document.querySelector('[data-status=assigned] {dragged_card}')"),
        )
        .await;
    browser
        .drag_by_touch(&format!("{dragged_card} .grip"), "[data-status=inbox] h3")
        .await;
    eventually("the touch drag reaches the database", WAIT, || async {
        (task_status(&pool, &dragged).await == "inbox").then_some(())
    })
    .await;
    browser
        .until(
            "the card is in Inbox, no copy left behind",
            &format!("document.querySelector('[data-status=inbox] {dragged_card}') && !document.querySelector('.ghost')"),
        )
        .await;
    // Telegram's swipe-to-close was held while the finger dragged, and given back.
    let calls = browser.until("Telegram's calls", "window.Telegram.WebApp.calls").await;
    let swipes: Vec<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str().filter(|c| c.starts_with("swipes:")))
        .collect();
    assert_eq!(swipes, ["swipes:off", "swipes:on"], "{calls}");

    // A card opens its task; Telegram's BackButton goes back.
    browser.click(&format!("{assigned_card} .title")).await;
    browser
        .until(
            "the task's timeline",
            "document.body.textContent.includes('Merged into the launch plan')",
        )
        .await;
    assert_eq!(
        browser
            .until("BackButton shown", "window.Telegram.WebApp.BackButton.isVisible")
            .await,
        true
    );

    // Approving in the app ends the agent's wait.
    browser.click("#tabs [data-view=approvals]").await;
    browser.click(".approval button.approve").await;
    let result = tokio::time::timeout(WAIT, waiting).await.expect("the agent's wait ended").unwrap();
    let answer = crate::mcp::ok(&result);
    assert_eq!(answer["status"], "approved", "{answer}");
    assert_eq!(answer["decidedByName"], "tg:1001", "{answer}");
    browser
        .until(
            "a haptic for the decision",
            "window.Telegram.WebApp.calls.includes('haptic:success')",
        )
        .await;

    // The live feed shows an event made through the API.
    browser.click("#tabs [data-view=feed]").await;
    browser
        .until("the feed is live", "document.body.textContent.includes('Live.')")
        .await;
    new_task(&api, "Announced on the feed", &[]).await;
    browser
        .until(
            "the event on the feed",
            "[...document.querySelectorAll('#feed li')].some(li => li.dataset.action === 'task.created' && li.textContent.includes('Announced on the feed'))",
        )
        .await;

    // Agents: spend against the cap; pausing one acts in the database, audited as Sofie.
    browser.click("#tabs [data-view=agents]").await;
    let scribe_item = format!(".item[data-agent-id=\"{scribe}\"]");
    browser
        .until(
            "Scribe with this month's spend",
            &format!("document.querySelector('{scribe_item}') && document.querySelector('{scribe_item}').textContent.includes('month')"),
        )
        .await;
    browser.click(&format!("{scribe_item} button.secondary")).await;
    eventually("Scribe paused", WAIT, || async {
        let status: String = sqlx::query_scalar("SELECT status::text FROM agents WHERE id = $1::uuid")
            .bind(&scribe)
            .fetch_one(&pool)
            .await
            .unwrap();
        (status == "paused").then_some(())
    })
    .await;
    let (actor,): (String,) =
        sqlx::query_as("SELECT actor_name FROM audit_events WHERE action = 'agent.pause' AND entity_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(&scribe)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(actor, "tg:1001");

    // Standup, Costs and Policy show what the API answers.
    browser.click("#tabs [data-view=standup]").await;
    browser
        .until(
            "the standup with its chart",
            "document.querySelectorAll('.chart-row').length > 0 && document.body.textContent.includes('Standup ·')",
        )
        .await;
    browser.click("#tabs [data-view=costs]").await;
    browser
        .until(
            "costs by agent",
            "document.querySelector('.costs-by-agent') && document.querySelector('.costs-by-agent').textContent.includes('Scribe')",
        )
        .await;
    browser.click("#tabs [data-view=policy]").await;
    browser
        .until(
            "the tool rules in force",
            "document.querySelectorAll('.policy-layer').length > 0 && document.body.textContent.includes('Bash')",
        )
        .await;
    browser.close().await;
}

#[sqlx::test]
async fn approving_with_a_grant_or_changed_arguments_is_for_tool_calls_only(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let agent_token = crate::common::http::agent_token(&api, "Scout").await;
    let asked = api
        .call(
            reqwest::Method::POST,
            "/api/approvals",
            Some(&agent_token),
            Some(r#"{"actionType":"deploy.production","riskLevel":"red","actionSummary":"Deploy","justification":"Signed off"}"#),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let id = asked.body["id"].as_str().unwrap();
    let path = format!("/api/approvals/{id}/approve");
    for body in [
        r#"{"grant":"1h","editedInput":"ls"}"#,
        r#"{"grant":"forever"}"#,
        r#"{"grant":"1h","decision":"ok"}"#,
        r#"{"grant":"1h"}"#,
        r#"{"editedInput":"{}"}"#,
    ] {
        let answer = api.post(&path, body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", answer.body);
    }
    let still: String = sqlx::query_scalar("SELECT status::text FROM approvals WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(still, "pending", "a refused decision changes nothing");
}

#[sqlx::test]
async fn in_chromium_forged_or_outsider_init_data_gets_no_session(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let browser = Browser::start().await;
    for init in [
        init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), "1:forged", None),
        init_data(&api, EVE, "Eve", chrono::Duration::minutes(1), TOKEN, None),
    ] {
        browser.open(&api, &init).await;
        let said = browser
            .until(
                "the refusal",
                "document.getElementById('signin-error') && document.getElementById('signin-error').textContent",
            )
            .await;
        assert!(said.as_str().unwrap().starts_with("Cannot sign in"), "{said}");
    }
    assert_eq!(sessions(&pool).await, 0);
    browser.close().await;
}

#[sqlx::test]
async fn operators_get_the_menu_button_and_cards_link_to_the_cockpit(pool: PgPool) {
    let tg = FakeBotApi::start_with(TOKEN, fast_fake()).await.expect("fake Telegram");
    tg.add_chat(GROUP, fake_telegram::ChatKind::Supergroup { forum: false }, "OpenClaw plain");
    // Sofie and Eve have opened the bot (Telegram refuses a private chat it has never seen).
    tg.add_user(&crate::common::telegram::sofie());
    tg.add_user(&crate::common::telegram::eve());
    tg.add_chat(SOFIE, fake_telegram::ChatKind::Private, "Sofie");
    tg.add_chat(EVE, fake_telegram::ChatKind::Private, "Eve");
    let url = tg.url();
    let admins = SOFIE.to_string();
    let api = spawn_app_with(
        pool.clone(),
        [
            ("MC_TELEGRAM__TOKEN", TOKEN),
            ("MC_TELEGRAM__API_URL", url.as_str()),
            ("MC_TELEGRAM__ADMINS", admins.as_str()),
            ("MC_TELEGRAM__MINI_APP_NAME", "cockpit"),
            ("MC_APP__PUBLIC_URL", "https://mc.example.org/"),
        ],
    )
    .await;
    api.app.seed().await.unwrap();

    // The operator's private chat gets the web-app menu button; nobody else's.
    let button = eventually("Sofie's menu button", WAIT, || async { tg.menu_button(Some(SOFIE)) }).await;
    assert_eq!(
        button,
        json!({ "type": "web_app", "text": "Cockpit", "web_app": { "url": "https://mc.example.org/app" } })
    );
    assert_eq!(tg.menu_button(Some(EVE)), None);

    // Granted a role in the chat: the button comes (through the outbox); revoked: it goes.
    tg.add_user(&crate::common::telegram::olga());
    tg.add_chat(OLGA, fake_telegram::ChatKind::Private, "Olga");
    let cao = api.app.operator_for_telegram(SOFIE).await.unwrap().unwrap();
    api.app.grant_role(&cao, OLGA, "Olga", OperatorRole::Operator).await.unwrap();
    let granted = eventually("Olga's menu button", WAIT, || async { tg.menu_button(Some(OLGA)) }).await;
    assert_eq!(granted["type"], "web_app", "{granted}");
    api.app.revoke_role(&cao, OLGA).await.unwrap();
    eventually("Olga's menu button back to the default", WAIT, || async {
        (tg.menu_button(Some(OLGA)) == Some(json!({ "type": "default" }))).then_some(())
    })
    .await;

    // Cards in a group carry the t.me link (web-app buttons are refused in groups).
    let chat = mission_control::app::chats::ChatInfo {
        chat_id: GROUP,
        title: Some("OpenClaw plain".into()),
        is_forum: false,
    };
    api.app.bind_chat(&cao, &chat, "openclaw").await.unwrap();
    let (_, number) = new_task(&api, "Linked from its card", &[]).await;
    let code = red_request(&api, "Deploy from a card").await;
    let bot = fast_fake().bot_username;
    for (what, start) in [
        ("task card", format!("task_{number}")),
        ("approval card", format!("approval_{code}")),
    ] {
        let link = format!("https://t.me/{bot}/cockpit?startapp={start}");
        eventually(&format!("the {what} links to the cockpit"), WAIT, || async {
            tg.messages_in(GROUP, None).into_iter().find(|m| {
                m.reply_markup.as_ref().is_some_and(|markup| {
                    markup["inline_keyboard"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
                        .any(|b| b["url"] == link.as_str() && b["text"] == "Open in cockpit" && b.get("web_app").is_none())
                })
            })
        })
        .await;
    }
    assert!(tg.violations().is_empty(), "{:?}", tg.violations());
    assert!(tg.unknown_params().is_empty(), "{:?}", tg.unknown_params());
}

#[sqlx::test]
async fn in_chromium_a_cockpit_link_opens_its_view(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit(&pool).await;
    let (_, number) = new_task(&api, "Opened from a link", &[]).await;
    let browser = Browser::start().await;
    let start = format!("task_{number}");
    browser
        .open(
            &api,
            &init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), TOKEN, Some(&start)),
        )
        .await;
    browser
        .until(
            "the task opens",
            "document.querySelector('#view h2') && document.querySelector('#view h2').textContent.includes('Opened from a link')",
        )
        .await;
    assert_eq!(browser.until("on the board", "document.body.dataset.view").await, "board");
    // Telegram's BackButton (or Escape) goes back to the board.
    browser
        .client
        .execute("window.Telegram.WebApp.BackButton.handler()", vec![])
        .await
        .unwrap();
    browser.until("the board again", "document.querySelector('.board')").await;

    // An approval card's link opens Approvals at that approval.
    let code = red_request(&api, "Deploy from a link").await;
    browser
        .open(
            &api,
            &init_data(
                &api,
                SOFIE,
                "Sofie",
                chrono::Duration::minutes(1),
                TOKEN,
                Some(&format!("approval_{code}")),
            ),
        )
        .await;
    let focused = browser
        .until(
            "the approval in focus",
            "document.body.dataset.view === 'approvals' && document.activeElement.dataset.approvalCode",
        )
        .await;
    assert_eq!(focused, json!(code));
    browser.close().await;
}

#[sqlx::test]
async fn in_chromium_a_tool_call_is_allowed_for_an_hour_or_approved_with_edited_arguments(pool: PgPool) {
    let Cockpit { api, _tg } = cockpit_with(&pool, "1").await;
    let token = crate::common::http::agent_token(&api, "Scout").await;
    let path = format!(
        "{}/tests/integration/fixtures/hooks/claude-code/pre_tool_use.bash_push.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let push: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let hook = |input: Value| {
        let (client, url, token) = (api.client.clone(), api.url.clone(), token.clone());
        async move { reply(client.post(format!("{url}/api/hooks/claude-code")).bearer_auth(token).json(&input)).await }
    };
    // Nobody decides within the (one-second) wait: the call is denied, its approval stays open.
    let first = hook(push.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let approval: String = sqlx::query_scalar("SELECT id::text FROM approvals WHERE tool_name = 'Bash' AND status = 'pending'")
        .fetch_one(&pool)
        .await
        .unwrap();

    let browser = Browser::start().await;
    browser
        .open(&api, &init_data(&api, SOFIE, "Sofie", chrono::Duration::minutes(1), TOKEN, None))
        .await;
    browser.click("#tabs [data-view=approvals]").await;
    browser.click(&format!("[data-approval-id=\"{approval}\"] button.grant-hour")).await;
    let rule: String = eventually("the hour's grant", WAIT, || async {
        sqlx::query_scalar::<_, String>("SELECT rule FROM tool_grants WHERE revoked_at IS NULL")
            .fetch_optional(&pool)
            .await
            .unwrap()
    })
    .await;
    assert!(rule.starts_with("Bash(git push"), "{rule}");
    let status: String = sqlx::query_scalar("SELECT status::text FROM approvals WHERE id = $1::uuid")
        .bind(&approval)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "approved");

    // Another call, approved with changed arguments through the edit box.
    let other = with_command(push.clone(), "rm -rf dist");
    let second = hook(other).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let approval: String = eventually("the second approval", WAIT, || async {
        sqlx::query_scalar::<_, String>("SELECT id::text FROM approvals WHERE tool_name = 'Bash' AND status = 'pending'")
            .fetch_optional(&pool)
            .await
            .unwrap()
    })
    .await;
    browser.click("#tabs [data-view=today]").await;
    browser.click("#tabs [data-view=approvals]").await;
    let card = format!("[data-approval-id=\"{approval}\"]");
    browser.click(&format!("{card} button.edit")).await;
    browser
        .client
        .execute(
            &format!("const f = document.querySelector('{card} form.edit-input textarea'); f.value = 'rm -rf dist/cache'; return true;"),
            vec![],
        )
        .await
        .unwrap();
    browser.click(&format!("{card} form.edit-input button")).await;
    let note = eventually("approved with the edit", WAIT, || async {
        let (status, note): (String, Option<String>) =
            sqlx::query_as("SELECT status::text, decision_note FROM approvals WHERE id = $1::uuid")
                .bind(&approval)
                .fetch_one(&pool)
                .await
                .unwrap();
        (status == "approved").then_some(note)
    })
    .await
    .unwrap_or_default();
    assert!(note.contains("changed arguments") && note.contains("rm -rf dist/cache"), "{note}");
    browser.close().await;
}

fn with_command(mut input: Value, command: &str) -> Value {
    input["tool_input"]["command"] = json!(command);
    input
}
