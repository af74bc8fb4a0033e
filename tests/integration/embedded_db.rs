//! The embedded PostgreSQL: a server that keeps its data across restarts, survives a killed
//! predecessor, runs as an unprivileged user when we are root, and is shared by the CLI
//! commands started beside a running `serve` (only a second `serve` is refused).
//!
//! `scripts/test` runs this module twice as root: once as root (the server runs as
//! `mission-control`), once as user `nobody` (the path of every non-root user).

use mission_control::embedded_db::{EmbeddedPostgres, Purpose};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn uid_of(status_path: &str) -> Option<u32> {
    let status = std::fs::read_to_string(status_path).ok()?;
    status
        .lines()
        .find(|line| line.starts_with("Uid:"))?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

fn running_as_root() -> bool {
    uid_of("/proc/self/status") == Some(0)
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mc-embedded-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Processes whose command line mentions `data_dir` (postgres is started with `-D <dir>`).
/// Waits up to five seconds for the last process of the server on `data_dir` to be gone (a
/// server's processes end a moment after `pg_ctl stop` has seen its pid file go); the ones
/// left then.
async fn left_running(data_dir: &Path) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = processes_using(data_dir);
        if left.is_empty() || std::time::Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

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

async fn start(data_dir: &Path, purpose: Purpose) -> EmbeddedPostgres {
    EmbeddedPostgres::start(data_dir, "mission_control", purpose).await.unwrap()
}

/// The database is created by the caller's connect (storage::connect), as `serve` does.
async fn connect(url: &str) -> sqlx::PgPool {
    mission_control::storage::connect(url, 2, Duration::from_secs(10)).await.unwrap()
}

/// The application's role is no superuser, and can still load a backup (restore sets
/// `session_replication_role`).
async fn assert_not_superuser(pool: &sqlx::PgPool) {
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(!superuser, "the application logs in as a role that is not a superuser");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
}

/// The superuser's URL, from its password file (only this test and the start use it).
fn superuser_url(dir: &Path, app_url: &str) -> String {
    let password = std::fs::read_to_string(dir.join("postgres.password")).unwrap();
    let port = app_url.rsplit(':').next().unwrap().split('/').next().unwrap();
    format!("postgresql://postgres:{}@127.0.0.1:{port}/mission_control", password.trim())
}

/// Every login rule takes SCRAM-SHA-256; the password and login files are private.
fn assert_secured(dir: &Path, data_dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let hba = std::fs::read_to_string(data_dir.join("pg_hba.conf")).unwrap();
    let rules: Vec<&str> = hba
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(!rules.is_empty());
    for rule in rules {
        assert!(rule.contains("scram-sha-256"), "{rule}");
    }
    for file in ["postgres.password", "postgres.login", "postgres.lock"] {
        let mode = std::fs::metadata(dir.join(file)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}");
    }
}

#[tokio::test]
async fn keeps_data_across_restarts_recovers_from_a_crash_and_is_shared_with_commands() {
    let dir = scratch_dir();
    let data_dir = dir.join("postgres");

    // First start initializes.
    let server = start(&data_dir, Purpose::Service).await;
    let url = server.url();
    assert!(
        url.starts_with("postgresql://mission_control:") && url.ends_with("/mission_control"),
        "the application's own role: {url}"
    );
    assert!(!server.is_joined());
    let pool = connect(&url).await;
    sqlx::query("CREATE TABLE kept (id int)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO kept VALUES (1)").execute(&pool).await.unwrap();
    assert_not_superuser(&pool).await;
    pool.close().await;
    assert_secured(&dir, &data_dir);

    // As root the server is not ours: it runs as an unprivileged user, who owns the data.
    let pid = postmaster_pid(&data_dir).expect("postmaster.pid while running");
    let server_uid = uid_of(&format!("/proc/{pid}/status")).expect("the server's uid");
    assert_ne!(server_uid, 0, "PostgreSQL never runs as root");
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(&data_dir).unwrap().uid(),
            server_uid,
            "the server's user owns its data"
        );
    }
    if running_as_root() {
        assert_eq!(server.runs_as(), Some("mission-control"));
    } else {
        assert_eq!(server.runs_as(), None);
        assert_eq!(Some(server_uid), uid_of("/proc/self/status"));
    }

    // A second service on the same directory is refused, and leaves the first one running.
    let err = format!(
        "{:#}",
        EmbeddedPostgres::start(&data_dir, "mission_control", Purpose::Service)
            .await
            .err()
            .unwrap()
    );
    assert!(
        err.contains("in use by another Mission Control process (mission-control serve, pid"),
        "{err}"
    );
    assert_eq!(count_rows(&url).await, 1);

    // A command joins the running server; when it is done, the server goes on.
    let joined = start(&data_dir, Purpose::Command).await;
    assert!(joined.is_joined());
    assert_eq!(joined.url(), url);
    assert_eq!(count_rows(&joined.url()).await, 1);
    joined.stop().await.unwrap();
    assert_eq!(postmaster_pid(&data_dir), Some(pid), "a joined command leaves the server alone");
    assert_eq!(count_rows(&url).await, 1);

    server.stop().await.unwrap();
    assert!(!data_dir.join("postmaster.pid").exists(), "stopped");
    let left = left_running(&data_dir).await;
    assert!(left.is_empty(), "no server left: {left:?}");

    // With no service running, a command starts a server of its own and stops it after.
    let own = start(&data_dir, Purpose::Command).await;
    assert!(!own.is_joined());
    assert_eq!(count_rows(&own.url()).await, 1);
    own.stop().await.unwrap();
    let left = left_running(&data_dir).await;
    assert!(left.is_empty(), "the command's server is stopped: {left:?}");

    // A restart reuses the data directory and its password.
    let server = start(&data_dir, Purpose::Service).await;
    assert_eq!(count_rows(&server.url()).await, 1);

    // A data directory of an older version: the database and its tables are the superuser's,
    // logins take cleartext passwords. The next start hands them over and takes SCRAM only.
    let superuser = superuser_url(&dir, &server.url());
    let admin = sqlx::PgPool::connect(&superuser).await.unwrap();
    for sql in [
        "ALTER DATABASE mission_control OWNER TO postgres",
        "ALTER TABLE kept OWNER TO postgres",
        "CREATE TABLE legacy (id serial PRIMARY KEY, note text)",
        "CREATE TYPE legacy_mood AS ENUM ('calm', 'busy')",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await.unwrap();
    }
    admin.close().await;
    let hba = data_dir.join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).unwrap().replace("scram-sha-256", "password");
    std::fs::write(&hba, old).unwrap();
    server.stop().await.unwrap();
    let server = start(&data_dir, Purpose::Service).await;
    let pool = connect(&server.url()).await;
    sqlx::query("INSERT INTO kept VALUES (2)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO legacy (note) VALUES ('mine now')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ALTER TYPE legacy_mood ADD VALUE 'tired'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM kept WHERE id = 2").execute(&pool).await.unwrap();
    assert_not_superuser(&pool).await;
    pool.close().await;
    assert_secured(&dir, &data_dir);

    // A crash: the server dies without cleaning up, leaving a stale postmaster.pid.
    let pid = postmaster_pid(&data_dir).expect("postmaster.pid while running");
    let killed = Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
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

    let server = start(&data_dir, Purpose::Service).await;
    assert_eq!(count_rows(&server.url()).await, 1);
    server.stop().await.unwrap();
    let left = left_running(&data_dir).await;
    assert!(left.is_empty(), "no server left: {left:?}");

    std::fs::remove_dir_all(&dir).unwrap();
}

/// The binary: `MC_TEST_BINARY` (a copy a non-root user can reach) or the one cargo built.
fn binary() -> String {
    std::env::var("MC_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mission-control").to_string())
}

/// The binary in `dir` on the embedded database (no DATABASE_URL), on its own HTTP port.
fn mission_control(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MC_DATABASE__URL")
        .env_remove("MC_HTTP__ADMIN_TOKEN")
        .env_remove("TELEGRAM_BOT_TOKEN")
        .env("MC_HTTP__ADDR", format!("127.0.0.1:{port}"))
        .env("MC_LOG__LEVEL", "warn")
        .env("MC_JOBS__ENABLED", "false");
    command
}

async fn wait_healthy(base: &str, serve: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(response) = reqwest::get(format!("{base}/health")).await {
            if response.status() == 200 {
                return;
            }
        }
        if let Some(status) = serve.try_wait().unwrap() {
            panic!("serve exited early with {status}");
        }
        assert!(Instant::now() < deadline, "serve did not answer /health in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn terminate(serve: &mut std::process::Child) -> std::process::ExitStatus {
    let sent = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = serve.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn agents_status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/agents"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The README's quick start, as a newcomer runs it (as root too): `serve --seed` with no
/// database configured, `token create` beside it, the token reads the API; SIGTERM exits 0
/// and leaves no PostgreSQL behind; a second start keeps the data and the token.
#[tokio::test]
async fn the_quick_start_works_with_commands_beside_a_running_serve() {
    let dir = scratch_dir();
    let port = crate::common::free_port();
    let base = format!("http://127.0.0.1:{port}");

    let mut serve = mission_control(&dir, port)
        .args(["serve", "--seed"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_healthy(&base, &mut serve).await;

    let created = mission_control(&dir, port)
        .args(["token", "create", "--name", "me", "--role", "cao"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("mco_"), "{token}");
    assert_eq!(agents_status(&base, &token).await, 200);

    // Other commands work beside it too.
    let verified = mission_control(&dir, port).arg("verify-db").output().unwrap();
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    // A second serve on the same directory is refused, saying why; the first goes on.
    let second = mission_control(&dir, crate::common::free_port()).arg("serve").output().unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("in use by another Mission Control process (mission-control serve"),
        "{said}"
    );
    assert_eq!(agents_status(&base, &token).await, 200);

    let status = terminate(&mut serve);
    let mut stderr = String::new();
    std::io::Read::read_to_string(serve.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "serve exited with {status}: {stderr}");
    assert!(
        stderr.contains("No API token exists yet") && stderr.contains("token create --name me --role cao"),
        "the first start says how to get a token: {stderr}"
    );
    // The default data directory below the working directory (a scratch directory under
    // /tmp, which the service user can reach when we are root).
    let used = dir.join(".mission-control/postgres");
    assert!(used.join("PG_VERSION").exists(), "{stderr}");
    let left = left_running(&used).await;
    assert!(left.is_empty(), "no PostgreSQL left after SIGTERM: {left:?}");

    // The second start keeps the data and the token, and does not repeat the hint.
    let mut serve = mission_control(&dir, port)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_healthy(&base, &mut serve).await;
    assert_eq!(agents_status(&base, &token).await, 200);
    let agents: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/agents"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(agents["total"], 8, "the seeded squad is still there");
    let status = terminate(&mut serve);
    let mut stderr = String::new();
    std::io::Read::read_to_string(serve.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("No API token exists yet"), "{stderr}");
    let left = left_running(&used).await;
    assert!(left.is_empty(), "no PostgreSQL left after SIGTERM: {left:?}");

    std::fs::remove_dir_all(&dir).unwrap();
}
