//! The real service on port 0: /health, and the CLI commands the README promises.

use crate::common;

use mission_control::app::SystemClock;
use mission_control::configuration::Settings;
use mission_control::startup::Application;
use sqlx::PgPool;
use std::process::Command;
use std::sync::Arc;
use tokio::net::TcpListener;

async fn spawn(
    pool: PgPool,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let settings = Settings::load_from(None, []).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let application = Application::build(&settings, pool, listener, Arc::new(SystemClock)).await.unwrap();
    let url = format!("http://{}", application.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(application.run(async move {
        let _ = stopped.await;
    }));
    (url, stop, handle)
}

#[sqlx::test]
async fn health_reports_ok_and_503_when_the_database_is_gone(pool: PgPool) {
    let (url, stop, handle) = spawn(pool.clone()).await;
    let response = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["services"]["api"], "ok");
    assert_eq!(body["services"]["database"], "ok");
    assert_eq!(body["services"]["telegram"], "disabled", "no token configured");
    assert_eq!(body["services"]["workers"], "ok");
    assert_eq!(body["roles"]["scheduler"]["state"], "active", "jobs.enabled by default");
    assert_eq!(body["roles"]["poller"]["state"], "disabled", "no token configured");
    assert_eq!(body["roles"]["dispatcher"]["state"], "disabled");
    assert!(body["timestamp"].as_i64().unwrap() > 1_700_000_000_000);

    pool.close().await;
    let response = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["services"]["database"], "down");

    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
}

/// The URL of the test's own database, for the binary.
async fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

fn cli(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mission-control"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("MC_LOG__LEVEL", "warn")
        .output()
        .expect("the binary runs")
}

#[sqlx::test]
async fn seed_twice_changes_nothing_and_tokens_are_printed_once(pool: PgPool) {
    let url = database_url(&pool).await;
    let first = cli(&url, &["seed"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("8 agents created, 8 tasks created"));
    let before = common::fingerprint(&pool).await;
    let second = cli(&url, &["seed"]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already there, 0 agents created, 0 tasks created"));
    assert_eq!(common::fingerprint(&pool).await, before);

    let created = cli(&url, &["token", "create", "--name", "ops-script", "--role", "operator"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("mco_") && token.len() > 40, "{token}");
    let hash_only: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE name = 'ops-script' AND prefix = left($1, 8)")
        .bind(&token)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(hash_only, 1);

    let bad = cli(&url, &["token", "create", "--name", "x", "--role", "emperor"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown operator role 'emperor'"));
}

#[test]
fn a_bad_configuration_value_fails_at_start_naming_the_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_mission-control"))
        .args(["migrate"])
        .env("MC_HTTP__RATE_LIMIT_PER_MINUTE", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rate_limit_per_minute"), "{stderr}");
}
