//! The real HTTP server on port 0 over a test's own database, and a small client for it.

use chrono::{TimeZone, Utc};
use mission_control::app::{App, ManualClock, Rules, SystemClock};
use mission_control::configuration::Settings;
use mission_control::domain::{Actor, OperatorRole};
use mission_control::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::net::TcpListener;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789-abcdefghij";

pub struct TestApi {
    pub url: String,
    pub client: reqwest::Client,
    pub app: App,
    pub clock: ManualClock,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

pub async fn spawn_app(pool: PgPool) -> TestApi {
    spawn_app_with(pool, []).await
}

/// `env` overrides settings as `MC_<SECTION>__<KEY>` variables would.
pub async fn spawn_app_with<const N: usize>(pool: PgPool, env: [(&str, &str); N]) -> TestApi {
    super::context::watch(&pool);
    // Jobs run when a test runs them, not on the wall clock.
    let mut vars: Vec<(String, String)> = vec![
        ("MC_HTTP__ADMIN_TOKEN".into(), ADMIN_TOKEN.into()),
        ("MC_JOBS__ENABLED".into(), "false".into()),
    ];
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::load_from(None, vars).expect("settings");
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App::new(pool, Arc::new(clock.clone()), Rules::from_settings(&settings).expect("rules"));
    let application = Application::build(&settings, app, listener).await.expect("build the app");
    let url = format!("http://{}", application.local_addr().unwrap());
    let app = application.app.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(application.run(async move {
        let _ = stopped.await;
    }));
    TestApi {
        url,
        client: reqwest::Client::new(),
        app,
        clock,
        stop: Some(stop),
        handle: Some(handle),
    }
}

/// Sends `request` and reads the reply: its body as JSON, or as a JSON string when it is not.
pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body, headers }
}

impl TestApi {
    /// Sends like the runbook's curl: a JSON body with curl's default form content type.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&str>) -> Reply {
        let mut request = self.client.request(method, format!("{}{}", self.url, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_string());
        }
        reply(request).await
    }

    /// `/metrics` as text (open, no token).
    pub async fn metrics(&self) -> String {
        let reply = self.client.get(format!("{}/metrics", self.url)).send().await.unwrap();
        assert!(reply.status().is_success(), "{}", reply.status());
        reply.text().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Some(ADMIN_TOKEN), None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.call(Method::POST, path, Some(ADMIN_TOKEN), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &str) -> Reply {
        self.call(Method::PATCH, path, Some(ADMIN_TOKEN), Some(body)).await
    }

    /// A fresh operator token with `role`.
    pub async fn token(&self, name: &str, role: OperatorRole) -> String {
        self.app
            .create_operator_token(&Actor::system("test"), name, role)
            .await
            .expect("token")
            .1
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }
}

/// The service built from `settings` on the wall clock (jobs, Telegram and all, as `serve`
/// would run it), on port 0 until stopped.
pub struct Served {
    pub url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    pub async fn start(settings: &Settings, pool: &PgPool) -> Served {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::new(pool.clone(), Arc::new(SystemClock), Rules::from_settings(settings).expect("rules"));
        let application = Application::build(settings, app, listener).await.unwrap();
        let url = format!("http://{}", application.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(application.run(async move {
            let _ = stopped.await;
        }));
        Served { url, stop, handle }
    }

    /// Stops it; it must end without error.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.handle.await.unwrap().unwrap();
    }
}

// ---- helpers of the API tests ----

/// How many rows `table` holds.
pub async fn rows_in(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A JSON error answer with `status` and error `code`, and a message.
pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"]["code"], code, "{}", reply.body);
    assert!(!reply.body["error"]["message"].as_str().unwrap().is_empty());
}

/// The API on the sample workspace (`seed`).
pub async fn seeded(pool: &PgPool) -> TestApi {
    let api = spawn_app(pool.clone()).await;
    api.app.seed().await.unwrap();
    api
}

/// A working token for the seeded agent `name` (the CAO registers it again and gets one).
pub async fn agent_token(api: &TestApi, name: &str) -> String {
    let reg = reply(
        api.client
            .post(format!("{}/api/agents/register", api.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"name": name, "role": "specialist"})),
    )
    .await;
    assert_eq!(reg.status, StatusCode::OK, "{}", reg.body);
    reg.body["token"].as_str().expect("the CAO gets the agent's token").to_string()
}

/// The seeded agent Scout's id.
pub async fn scout_id(api: &TestApi) -> String {
    let list = api.get("/api/agents?limit=200").await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Scout")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}
