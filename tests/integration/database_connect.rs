//! Reaching PostgreSQL the ways operators do: over TLS (`sslmode=require` and stricter, as every
//! managed PostgreSQL asks), and, for a machine without a usable server, the throwaway cluster
//! `scripts/test` starts (`scripts/throwaway-postgres`).

use std::path::Path;
use std::time::Duration;

/// `DATABASE_URL` with `sslmode` set (replacing any the URL had), on a database of this test's
/// own (created by the connect; the server's maintenance database is left alone).
fn with_sslmode(mode: &str) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path("/mc_tls_check");
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept).append_pair("sslmode", mode);
    url.to_string()
}

async fn connect(url: &str) -> anyhow::Result<sqlx::PgPool> {
    mission_control::storage::connect(url, 1, Duration::from_secs(10)).await
}

async fn uses_tls(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Whether the test server speaks TLS at all; when it does not, the TLS tests cannot run and
/// say so (the local server of this project's CI, and the throwaway cluster, have TLS on).
async fn server_has_tls() -> bool {
    let pool = connect(&with_sslmode("disable")).await.unwrap();
    let ssl: String = sqlx::query_scalar("SHOW ssl").fetch_one(&pool).await.unwrap();
    pool.close().await;
    ssl == "on"
}

#[tokio::test]
async fn sslmode_require_connects_over_tls_and_prefer_no_longer_falls_back_to_plain_text() {
    if !server_has_tls().await {
        eprintln!("NOT RUN: the test server (DATABASE_URL) has ssl = off, so TLS cannot be tested against it");
        return;
    }
    // Its own database, fresh each run: one a change of an unreleased migration left behind
    // ("previously applied but has been modified") would fail the migration below.
    {
        use sqlx::migrate::MigrateDatabase;
        sqlx::Postgres::drop_database(&with_sslmode("disable")).await.unwrap();
    }
    let required = connect(&with_sslmode("require")).await.unwrap();
    assert!(uses_tls(&required).await, "sslmode=require is encrypted");
    // The service's own code path: migrate over TLS.
    mission_control::storage::migrate(&required).await.unwrap();
    required.close().await;

    // The default (prefer) takes TLS when the server offers it.
    let preferred = connect(&with_sslmode("prefer")).await.unwrap();
    assert!(uses_tls(&preferred).await, "sslmode=prefer uses TLS when offered");
    preferred.close().await;

    let plain = connect(&with_sslmode("disable")).await.unwrap();
    assert!(!uses_tls(&plain).await);
    plain.close().await;

    // verify-full checks the certificate: a self-signed test certificate is refused, with an
    // error that says it is about the certificate.
    let err = format!(
        "{:#}",
        connect(&with_sslmode("verify-full"))
            .await
            .expect_err("an unverifiable certificate")
    );
    assert!(
        err.to_lowercase().contains("certificate") || err.to_lowercase().contains("tls"),
        "{err}"
    );
}

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/throwaway-postgres")
}

#[tokio::test]
async fn the_throwaway_cluster_starts_serves_over_tls_and_leaves_nothing() {
    let dir = std::env::temp_dir().join(format!("mc-throwaway-{}", uuid::Uuid::new_v4()));
    let started = std::process::Command::new(script()).arg("start").arg(&dir).output().unwrap();
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    let url = String::from_utf8(started.stdout).unwrap().trim().to_string();
    assert!(url.starts_with("postgres://postgres@127.0.0.1:"), "{url}");

    let pool = connect(&format!("{}/mc_throwaway_check", url.rsplit_once('/').unwrap().0))
        .await
        .unwrap();
    mission_control::storage::migrate(&pool).await.unwrap();
    let uid: String = sqlx::query_scalar("SELECT current_user::text").fetch_one(&pool).await.unwrap();
    assert_eq!(uid, "postgres");
    if std::process::Command::new("openssl").arg("version").output().is_ok() {
        assert!(uses_tls(&pool).await, "TLS on (openssl is installed)");
    } else {
        eprintln!("NOT CHECKED: openssl is not installed, so the throwaway cluster runs without TLS");
    }
    pool.close().await;

    let stopped = std::process::Command::new(script()).arg("stop").arg(&dir).output().unwrap();
    assert!(stopped.status.success(), "{}", String::from_utf8_lossy(&stopped.stderr));
    assert!(!dir.exists(), "the directory is removed");
    assert!(connect(&url).await.is_err(), "the server is gone");
}
