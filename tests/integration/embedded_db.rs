//! The embedded PostgreSQL: refused as root (initdb would be), and, as any other user, a server
//! that keeps its data across restarts, survives a killed predecessor and is not shared.

use mission_control::embedded_db::EmbeddedPostgres;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("Uid:"))
        .and_then(|line| line.split_whitespace().nth(2))
        == Some("0")
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mc-embedded-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Processes whose command line mentions `data_dir` (postgres is started with `-D <dir>`).
fn processes_using(data_dir: &Path) -> Vec<String> {
    let needle = data_dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&needle))
        .collect()
}

fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

async fn count_rows(url: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let count = sqlx::query_scalar("SELECT count(*) FROM kept").fetch_one(&pool).await.unwrap();
    pool.close().await;
    count
}

#[tokio::test]
async fn as_root_start_fails_with_advice_and_starts_nothing() {
    if !running_as_root() {
        eprintln!("skipped: not running as root");
        return;
    }
    let dir = scratch_dir();
    let data_dir = dir.join("postgres");
    let err = match EmbeddedPostgres::start(&data_dir, "mission_control").await {
        Ok(server) => {
            server.stop().await.unwrap();
            panic!("started as root");
        }
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains("cannot run as root (initdb refuses)"), "{err}");
    assert!(
        err.contains("DATABASE_URL=postgres://postgres@127.0.0.1:5432/mission_control"),
        "{err}"
    );
    assert!(err.contains("non-root user"), "{err}");
    assert!(!data_dir.exists(), "nothing initialized");
    assert!(processes_using(&data_dir).is_empty(), "no server running");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn keeps_data_across_restarts_recovers_from_a_crash_and_is_not_shared() {
    if running_as_root() {
        eprintln!("skipped: running as root (initdb refuses root; run this test as an unprivileged user)");
        return;
    }
    let dir = scratch_dir();
    let data_dir = dir.join("postgres");

    // First start initializes.
    let server = EmbeddedPostgres::start(&data_dir, "mission_control").await.unwrap();
    let url = server.url();
    assert!(
        url.starts_with("postgresql://postgres:") && url.ends_with("/mission_control"),
        "{url}"
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE kept (id int)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO kept VALUES (1)").execute(&pool).await.unwrap();
    pool.close().await;

    // A second process on the same directory is refused, and leaves the first one running.
    let err = format!("{:#}", EmbeddedPostgres::start(&data_dir, "mission_control").await.err().unwrap());
    assert!(err.contains("in use by another Mission Control"), "{err}");
    assert_eq!(count_rows(&url).await, 1);

    server.stop().await.unwrap();
    assert!(!data_dir.join("postmaster.pid").exists(), "stopped");
    assert!(processes_using(&data_dir).is_empty(), "no server left");

    // A restart reuses the data directory and its password.
    let server = EmbeddedPostgres::start(&data_dir, "mission_control").await.unwrap();
    assert_eq!(count_rows(&server.url()).await, 1);

    // A crash: the server dies without cleaning up, leaving a stale postmaster.pid.
    let pid = postmaster_pid(&data_dir).expect("postmaster.pid while running");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(data_dir.join("postmaster.pid").exists(), "the crash leaves postmaster.pid behind");
    // Dropping the dead server's handle releases the directory lock, as the kernel would for a
    // killed Mission Control; its `pg_ctl stop` finds no server and does nothing.
    drop(server);

    let server = EmbeddedPostgres::start(&data_dir, "mission_control").await.unwrap();
    assert_eq!(count_rows(&server.url()).await, 1);
    server.stop().await.unwrap();
    assert!(processes_using(&data_dir).is_empty(), "no server left");

    std::fs::remove_dir_all(&dir).unwrap();
}
