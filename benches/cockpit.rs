//! The cockpit's budget: the first load's size, the Board of 500 tasks rendered in headless
//! Chromium, and 200 open live feeds — against `serve` in its own process (so its memory is
//! its own), its bot on the fake Bot API.
//!
//!     cargo bench --bench cockpit
//!     BENCH_TASKS=500 BENCH_FEEDS=200 BENCH_RENDERS=7 cargo bench --bench cockpit
//!
//! For each: the gzipped bytes of the files the page loads; the time from clicking the Board
//! tab to the 500 cards being in the page and painted (the API's three pages of tasks
//! included), p50 and max of several renders; the server's extra resident memory with the
//! feeds open, and the time from an event written through the API to each feed having it.
//! Needs Debian's `chromium` and `chromedriver` and a PostgreSQL at DATABASE_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); it creates and drops its own database.

mod support;

use anyhow::{bail, Context};
use fake_telegram::{FakeBotApi, FakeConfig};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::ClientBuilder;
use futures_util::stream::{self, StreamExt};
use mission_control::domain::webapp::sign;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{env_or, percentile, BenchDb};

const ADMIN: &str = "bench-admin-token-0123456789-abcdefghij";
const BOT_TOKEN: &str = "4242:bench-bot-token";
const CAO: i64 = 1001;

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
    Ok(line.split_whitespace().nth(1).context("VmRSS value")?.parse()?)
}

struct Server {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(db_url: &str, telegram: &str) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(env!("CARGO_BIN_EXE_mission-control"))
            .arg("serve")
            .arg("--seed")
            .env("DATABASE_URL", db_url)
            .env("MC_HTTP__ADDR", format!("127.0.0.1:{port}"))
            .env("MC_HTTP__ADMIN_TOKEN", ADMIN)
            .env("MC_HTTP__RATE_LIMIT_PER_MINUTE", "100000")
            .env("MC_JOBS__ENABLED", "false")
            .env("MC_LOG__LEVEL", "warn")
            .env("MC_TELEGRAM__TOKEN", BOT_TOKEN)
            .env("MC_TELEGRAM__API_URL", telegram)
            .env("MC_TELEGRAM__ADMINS", CAO.to_string())
            .env_remove("TELEGRAM_BOT_TOKEN")
            .stdout(Stdio::null())
            .spawn()
            .context("starting serve")?;
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder().pool_max_idle_per_host(1_000).build()?,
        };
        let started = Instant::now();
        while server.http.get(format!("{}/health", server.url)).send().await.is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("serve did not come up");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    fn stop(mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// `initData` as Telegram would give it to the CAO, signed now.
fn init_data() -> String {
    let now = chrono::Utc::now().timestamp().to_string();
    let user = json!({ "id": CAO, "first_name": "Sofie" }).to_string();
    sign(&[("user", user.as_str()), ("auth_date", now.as_str())], BOT_TOKEN)
}

/// A Chrome DevTools command through chromedriver.
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.0.to_string()))
    }
}

/// Board renders in Chromium: milliseconds from the click to `tasks` cards painted.
async fn board_renders(server: &Server, tasks: usize, renders: usize) -> anyhow::Result<Vec<f64>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut driver = tokio::process::Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("chromedriver (apt-get install chromium chromium-driver)")?;
    let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=414,900"] },
    }))?;
    let started = Instant::now();
    let client = loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(e) if started.elapsed() > Duration::from_secs(30) => bail!("chromedriver: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let stand_in = format!(
        "window.Telegram = {{ WebApp: {{ initData: {}, themeParams: {{}}, ready() {{}}, expand() {{}},
            BackButton: {{ show() {{}}, hide() {{}}, onClick() {{}} }}, HapticFeedback: {{ notificationOccurred() {{}}, impactOccurred() {{}} }} }} }};",
        serde_json::to_string(&init_data())?
    );
    client
        .issue_cmd(Cdp(
            json!({ "cmd": "Page.addScriptToEvaluateOnNewDocument", "params": { "source": stand_in } }),
        ))
        .await?;
    client.goto(&format!("{}/app", server.url)).await?;
    let signed_in = Instant::now();
    while client.execute("return document.body.dataset.view || null", vec![]).await? != json!("today") {
        if signed_in.elapsed() > Duration::from_secs(30) {
            bail!("the cockpit did not open Today");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut times = Vec::new();
    for _ in 0..renders {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const t0 = performance.now();
             document.querySelector('#tabs [data-view=board]').click();
             (function poll() {{
               if (document.querySelectorAll('.card').length >= {tasks}) requestAnimationFrame(() => done(performance.now() - t0));
               else setTimeout(poll, 2);
             }})();"
        );
        let ms = client.execute_async(&script, vec![]).await?;
        times.push(ms.as_f64().context("a time")?);
        client
            .execute("document.querySelector('#tabs [data-view=today]').click()", vec![])
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let _ = client.close().await;
    let _ = driver.kill().await;
    Ok(times)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let tasks: usize = env_or("BENCH_TASKS", 500);
    let feeds: usize = env_or("BENCH_FEEDS", 200);
    let renders: usize = env_or("BENCH_RENDERS", 7);
    let db = BenchDb::create("cockpit", 4).await?;
    let tg = FakeBotApi::start_with(BOT_TOKEN, FakeConfig::default()).await?;
    let server = Server::start(&db.url, &tg.url()).await?;

    // The first load, as a browser asking for gzip gets it.
    let mut first_load = 0;
    for file in ["/app", "/app/app.js", "/app/api.js", "/app/views.js", "/app/style.css"] {
        let response = server
            .http
            .get(format!("{}{file}", server.url))
            .header("accept-encoding", "gzip")
            .send()
            .await?;
        first_load += response.bytes().await?.len();
    }
    println!("first load: {:.1} KB gzipped (budget 150 KB)", first_load as f64 / 1024.0);

    // The board.
    stream::iter(0..tasks)
        .map(|i| {
            server.post(
                "/api/tasks",
                ADMIN,
                json!({ "title": format!("Bench task {i}: a title of ordinary length"), "description": "", "type": "docs", "assigneeIds": [] }),
            )
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut times = board_renders(&server, tasks, renders).await?;
    times.sort_by(f64::total_cmp);
    println!(
        "board of {tasks} tasks: p50 {:.0} ms, max {:.0} ms over {renders} renders (budget 1 s)",
        percentile(&times, 0.5),
        times.last().copied().unwrap_or(f64::NAN)
    );

    // The live feeds.
    let session = server.post("/api/app/session", "", json!({ "initData": init_data() })).await?;
    let token = session["token"].as_str().context("a session token")?.to_string();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_kib(server.child.id())?;
    let mut streams = Vec::new();
    for _ in 0..feeds {
        let response = server
            .http
            .get(format!("{}/api/app/events?access_token={token}", server.url))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "feed: {}", response.status());
        streams.push(response);
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let open = rss_kib(server.child.id())?;
    let written = Instant::now();
    server
        .post(
            "/api/tasks",
            ADMIN,
            json!({ "title": "Seen by every feed", "description": "", "type": "docs", "assigneeIds": [] }),
        )
        .await?;
    let arrivals: Vec<anyhow::Result<f64>> = stream::iter(streams)
        .map(|mut response| async move {
            let mut seen = String::new();
            loop {
                let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
                    .await
                    .context("no event within 30 s")??
                    .context("the feed ended")?;
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains("Seen by every feed") {
                    return Ok(written.elapsed().as_secs_f64() * 1000.0);
                }
            }
        })
        .buffer_unordered(feeds)
        .collect()
        .await;
    let mut arrivals = arrivals.into_iter().collect::<anyhow::Result<Vec<f64>>>()?;
    arrivals.sort_by(f64::total_cmp);
    println!(
        "{feeds} live feeds: server memory +{:.1} MiB ({:.0} KiB a feed; budget 50 MB); an event reached them all: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        (open.saturating_sub(before)) as f64 / 1024.0,
        open.saturating_sub(before) as f64 / feeds as f64,
        percentile(&arrivals, 0.5),
        percentile(&arrivals, 0.99),
        arrivals.last().copied().unwrap_or(f64::NAN)
    );

    server.stop();
    db.drop().await?;
    Ok(())
}
