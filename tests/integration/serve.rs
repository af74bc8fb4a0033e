//! The real service on port 0: /health, and the CLI commands the README promises.

use crate::common;

use common::database_url;
use common::http::Served;
use mission_control::configuration::Settings;
use sqlx::PgPool;
use std::process::Command;

#[sqlx::test]
async fn health_reports_ok_and_503_when_the_database_is_gone(pool: PgPool) {
    let served = Served::start(&Settings::load_from(None, []).unwrap(), &pool).await;
    let url = served.url.clone();
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

    served.stop().await;
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

#[sqlx::test]
async fn tokens_are_created_listed_and_revoked_from_the_cli(pool: PgPool) {
    let url = database_url(&pool).await;
    let text = |out: &std::process::Output| {
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let created = cli(
        &url,
        &[
            "token",
            "create",
            "--name",
            "ops-script",
            "--role",
            "operator",
            "--expires-in",
            "30d",
        ],
    );
    let (token, stderr) = text(&created);
    assert!(created.status.success(), "{stderr}");
    let token = token.trim().to_string();
    assert!(stderr.contains("expires 20"), "{stderr}");
    let (_, viewer_err) = text(&cli(&url, &["token", "create", "--name", "reader", "--role", "viewer"]));
    assert!(viewer_err.contains("does not expire"), "{viewer_err}");

    let taken = cli(&url, &["token", "create", "--name", "ops-script", "--role", "viewer"]);
    assert!(!taken.status.success());
    assert!(text(&taken).1.contains("is not revoked"), "{}", text(&taken).1);
    let forever = cli(
        &url,
        &["token", "create", "--name", "x", "--role", "viewer", "--expires-in", "forever"],
    );
    assert!(!forever.status.success());
    assert!(text(&forever).1.contains("is not a lifetime"), "{}", text(&forever).1);

    let listed = cli(&url, &["token", "list"]);
    let (table, stderr) = text(&listed);
    assert!(listed.status.success(), "{stderr}");
    assert!(table.starts_with("NAME"), "{table}");
    for column in ["KIND", "ROLE", "STATE", "CREATED", "LAST USED", "EXPIRES", "REVOKED", "ID"] {
        assert!(table.contains(column), "{column}: {table}");
    }
    let line = table.lines().find(|l| l.starts_with("ops-script")).expect("listed");
    assert!(line.contains("operator") && line.contains("live"), "{line}");
    assert!(
        !table.contains(&token) && !table.contains(&token[..12]),
        "never the secret: {table}"
    );

    let revoked = cli(&url, &["token", "revoke", "ops-script"]);
    assert!(revoked.status.success(), "{}", text(&revoked).1);
    assert!(text(&revoked).0.contains("revoked operator token 'ops-script'"));
    let table = text(&cli(&url, &["token", "list"])).0;
    let line = table.lines().find(|l| l.starts_with("ops-script")).expect("still listed");
    assert!(line.contains("revoked"), "{line}");
    let again = cli(&url, &["token", "revoke", "ops-script"]);
    assert!(!again.status.success());
    assert!(text(&again).1.contains("not found"), "{}", text(&again).1);
    // By id too.
    let id = table
        .lines()
        .find(|l| l.starts_with("reader"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_string();
    assert!(cli(&url, &["token", "revoke", &id]).status.success());
    let revoked: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(revoked, 2);
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

/// `mission-control healthcheck`, run as the image's HEALTHCHECK runs it, against the real
/// server: any http URL (a path or none), the default from the configuration, and clear errors.
#[sqlx::test]
async fn healthcheck_gets_any_url_and_says_why_it_fails(pool: PgPool) {
    let served = Served::start(&Settings::load_from(None, []).unwrap(), &pool).await;
    let url = served.url.clone();
    let port = url.rsplit_once(':').unwrap().1.to_string();
    let check = |args: Vec<String>, env: Vec<(&'static str, String)>| {
        tokio::task::spawn_blocking(move || {
            let out = Command::new(env!("CARGO_BIN_EXE_mission-control"))
                .arg("healthcheck")
                .args(&args)
                .envs(env)
                .env("MC_LOG__LEVEL", "warn")
                .output()
                .expect("the binary runs");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            (out.status.success(), text)
        })
    };
    let url_arg = |u: String| vec!["--url".to_string(), u];

    for healthy in [url.clone(), format!("{url}/"), format!("{url}/health"), format!("127.0.0.1:{port}")] {
        let (ok, text) = check(url_arg(healthy.clone()), vec![]).await.unwrap();
        assert!(ok && text.contains("healthy"), "{healthy}: {text}");
    }
    // No --url: 127.0.0.1 on the configured port.
    let (ok, text) = check(vec![], vec![("MC_HTTP__ADDR", format!("0.0.0.0:{port}"))]).await.unwrap();
    assert!(ok, "default URL: {text}");

    // A path is checked as given: the API wants a token, so that is not healthy.
    let (ok, text) = check(url_arg(format!("{url}/api/agents")), vec![]).await.unwrap();
    assert!(!ok);
    assert!(text.contains(&format!("unhealthy: GET {url}/api/agents answered 401")), "{text}");

    // https is spoken (this server has no TLS, so the handshake fails and says where).
    let (ok, text) = check(url_arg(format!("https://127.0.0.1:{port}")), vec![]).await.unwrap();
    assert!(!ok);
    assert!(text.contains(&format!("GET https://127.0.0.1:{port}/health")), "{text}");

    for (bad, why) in [("ftp://127.0.0.1/", "not http or https"), ("http://", "is not a URL")] {
        let (ok, text) = check(url_arg(bad.to_string()), vec![]).await.unwrap();
        assert!(!ok);
        assert!(
            text.contains(&format!("healthcheck --url '{bad}'")) && text.contains(why),
            "{bad}: {text}"
        );
    }

    // The database gone: /health answers 503, and that is unhealthy.
    pool.close().await;
    let (ok, text) = check(url_arg(url.clone()), vec![]).await.unwrap();
    assert!(!ok);
    assert!(text.contains("answered 503"), "{text}");

    served.stop().await;
    // Nothing listens any more: the error names the URL and the cause.
    let (ok, text) = check(url_arg(url.clone()), vec![]).await.unwrap();
    assert!(!ok);
    assert!(
        text.contains(&format!("GET {url}/health")) && text.to_lowercase().contains("connect"),
        "{text}"
    );
}
