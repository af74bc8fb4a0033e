//! The zero-setup default database: with no database URL configured, `serve` runs on a private
//! PostgreSQL whose data lives in a directory of ours, so a first run needs nothing but
//! PostgreSQL's binaries installed.
//!
//! `postgresql_embedded` drives initdb/pg_ctl. It can download PostgreSQL, which must never
//! happen here (air-gapped hosts, reproducibility): the crate is built without any repository
//! feature, and the installation directory is "trusted", which makes it skip its install step and
//! run `<installation_dir>/bin/*` as found.

use anyhow::{bail, Context};
use postgresql_embedded::{PostgreSQL, Settings, VersionReq};
use rand::distr::{Alphanumeric, SampleString};
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Overrides where PostgreSQL's binaries are looked for.
const BIN_DIR_VAR: &str = "MC_PG_BIN_DIR";

/// initdb and a cold `pg_ctl start -w` can be slow on a loaded machine; pg_ctl gives up after its
/// own 60 s, so this only catches a command that hangs outright.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// `pg_ctl -l` appends to the log forever; past this size it is set aside at start.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;

/// A free port is picked before the server binds it, so another process can take it in between.
const START_ATTEMPTS: u32 = 3;

const SERVER_LOG: &str = "start.log";

pub struct EmbeddedPostgres {
    // Declared before `_lock` so that, when dropped without `stop`, the server is stopped
    // (postgresql_embedded's Drop runs `pg_ctl stop`) before the data directory is unlocked.
    server: PostgreSQL,
    url: String,
    /// Held for our lifetime so a second Mission Control on the same data directory fails
    /// instead of stopping our server; the kernel releases it even when we are killed.
    _lock: File,
}

impl EmbeddedPostgres {
    /// Starts (initializing on first use) a private server whose data lives in `data_dir`, and makes sure database `db` exists.
    pub async fn start(data_dir: &Path, db: &str) -> anyhow::Result<Self> {
        refuse_root()?;
        let bin_dir = find_bin_dir()?;
        let installation_dir = bin_dir
            .parent()
            .with_context(|| format!("PostgreSQL bin directory {} has no parent", bin_dir.display()))?
            .to_path_buf();

        let data_dir = std::path::absolute(data_dir).with_context(|| format!("resolving the data directory {}", data_dir.display()))?;
        let (parent, name) = match (data_dir.parent(), data_dir.file_name()) {
            (Some(parent), Some(name)) => (parent.to_path_buf(), name.to_string_lossy().into_owned()),
            _ => bail!(
                "the embedded PostgreSQL data directory {} must be a directory below another one (database.embedded_data_dir)",
                data_dir.display()
            ),
        };
        // Only the parent: initdb creates the data directory itself, with the 0700 mode the
        // server insists on.
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let lock = lock_data_dir(&parent.join(format!("{name}.lock")), &data_dir)?;
        // Outside the data directory because initdb wants that one empty (or absent).
        let password_file = parent.join(format!("{name}.password"));
        let password = password(&password_file, &data_dir)?;
        set_aside_large_log(&data_dir.join(SERVER_LOG))?;

        let settings = |port: u16| Settings {
            releases_url: String::new(),
            version: VersionReq::STAR,
            installation_dir: installation_dir.clone(),
            password_file: password_file.clone(),
            data_dir: data_dir.clone(),
            host: "127.0.0.1".to_string(),
            port,
            username: postgresql_embedded::BOOTSTRAP_SUPERUSER.to_string(),
            password: password.clone(),
            temporary: false,
            timeout: Some(COMMAND_TIMEOUT),
            configuration: server_configuration(),
            trust_installation_dir: true,
            socket_dir: None,
        };

        // ManuallyDrop until our own server is up: postgresql_embedded's Drop stops whatever
        // server postmaster.pid names, and before then that is not ours to stop.
        let mut server = ManuallyDrop::new(PostgreSQL::new(settings(0)));
        server
            .setup()
            .await
            .with_context(|| format!("initializing the PostgreSQL data directory {} (initdb)", data_dir.display()))?;
        if let Some(pid) = running_postmaster(&data_dir).await {
            // We hold the lock, so no live Mission Control owns this server: it was left behind
            // by one that was killed. It runs with an old port we no longer know; restart it.
            tracing::warn!(pid, dir = %data_dir.display(), "stopping a PostgreSQL server left running by a previous run");
            server
                .stop()
                .await
                .with_context(|| format!("stopping the PostgreSQL server (pid {pid}) left running on {}", data_dir.display()))?;
        }

        let log_path = data_dir.join(SERVER_LOG);
        let mut attempt = 1;
        let server = loop {
            let port = free_port()?;
            let mut server = ManuallyDrop::new(PostgreSQL::new(settings(port)));
            let log_start = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
            match server.start().await {
                Ok(()) => break ManuallyDrop::into_inner(server),
                Err(err) => {
                    let log = read_from(&log_path, log_start);
                    if attempt < START_ATTEMPTS && (log.contains("could not bind") || log.contains("already in use")) {
                        tracing::warn!(port, "port taken before the embedded PostgreSQL could bind it; retrying");
                        attempt += 1;
                        continue;
                    }
                    return Err(err).with_context(|| {
                        format!(
                            "starting PostgreSQL on {} (server log {}):\n{}",
                            data_dir.display(),
                            log_path.display(),
                            last_lines(&log, 20)
                        )
                    });
                }
            }
        };

        // From here on `server` stops itself when an error drops it.
        if !server
            .database_exists(db)
            .await
            .with_context(|| format!("checking whether database {db} exists"))?
        {
            server
                .create_database(db)
                .await
                .with_context(|| format!("creating database {db}"))?;
        }
        let url = server.settings().url(db);
        tracing::info!(port = server.settings().port, dir = %data_dir.display(), "embedded PostgreSQL is running");
        Ok(EmbeddedPostgres { server, url, _lock: lock })
    }

    /// postgres:// URL of database `db` (with user/password/port).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.server
            .stop()
            .await
            .with_context(|| format!("stopping the embedded PostgreSQL on {}", self.server.settings().data_dir.display()))?;
        Ok(())
    }
}

/// Passed on every start (as `-c`), so they also apply to data directories made by older versions.
fn server_configuration() -> HashMap<String, String> {
    HashMap::from([
        // postgresql_embedded starts the server with `-F` (fsync off), meant for throwaway
        // databases; this one keeps the user's data, and a later `-c` wins.
        ("fsync".to_string(), "on".to_string()),
        // Private: loopback only.
        ("listen_addresses".to_string(), "127.0.0.1".to_string()),
        // Distribution builds put sockets in /var/run/postgresql, writable only by the
        // `postgres` group; we connect over TCP, and pg_ctl -w watches postmaster.pid instead.
        ("unix_socket_directories".to_string(), String::new()),
    ])
}

/// initdb refuses to run as root; failing up front says what to do instead.
fn refuse_root() -> anyhow::Result<()> {
    if effective_uid() == Some(0) {
        bail!(
            "the embedded PostgreSQL cannot run as root (initdb refuses); set \
             DATABASE_URL=postgres://postgres@127.0.0.1:5432/mission_control to use an existing server, \
             or run as a non-root user"
        );
    }
    Ok(())
}

/// None when it cannot be told; initdb then gives its own error.
fn effective_uid() -> Option<u32> {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        // "Uid:\treal\teffective\tsaved\tfs"
        let line = status.lines().find(|line| line.starts_with("Uid:"))?;
        return line.split_whitespace().nth(2)?.parse().ok();
    }
    let output = std::process::Command::new("id").arg("-u").output().ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// The bin directory of the newest installed PostgreSQL, or `MC_PG_BIN_DIR`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_VAR).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        // postgresql_embedded runs `<installation_dir>/bin/*`, so the directory must be named bin.
        for candidate in [dir.clone(), dir.join("bin")] {
            if candidate.file_name().is_some_and(|n| n == "bin") && has_server_binaries(&candidate) {
                return Ok(candidate);
            }
        }
        bail!(
            "{BIN_DIR_VAR}={} is not the bin directory of a PostgreSQL installation (a directory named bin holding initdb, \
             pg_ctl and postgres); fix or unset it, or set DATABASE_URL to use an existing server",
            dir.display()
        );
    }

    // (parent, directory name prefix): the version follows the prefix, the binaries are in bin.
    const VERSIONED: [(&str, &str); 4] = [
        ("/usr/lib/postgresql", ""),          // Debian, Ubuntu
        ("/usr", "pgsql-"),                   // PGDG RPMs
        ("/opt/homebrew/opt", "postgresql@"), // Homebrew on Apple silicon
        ("/usr/local/opt", "postgresql@"),    // Homebrew on Intel
    ];
    let mut found: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    for (parent, prefix) in VERSIONED {
        let Ok(entries) = fs::read_dir(parent) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix(prefix).and_then(parse_version) else {
                continue;
            };
            let bin = entry.path().join("bin");
            if has_server_binaries(&bin) {
                found.push((version, bin));
            }
        }
    }
    if let Some((_, bin)) = found.into_iter().max_by(|a, b| a.0.cmp(&b.0)) {
        return Ok(bin);
    }
    // Unversioned installs (Fedora, Arch, source builds) put the binaries on PATH.
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.file_name().is_some_and(|n| n == "bin") && has_server_binaries(dir));
    if let Some(bin) = on_path {
        return Ok(bin);
    }

    let searched: Vec<String> = VERSIONED.iter().map(|(parent, prefix)| format!("{parent}/{prefix}*/bin")).collect();
    bail!(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found for the embedded database; searched {} and \
         the directories on PATH. Install PostgreSQL (e.g. `apt-get install postgresql`), point {BIN_DIR_VAR} at its bin \
         directory, or set DATABASE_URL to use an existing server",
        searched.join(", ")
    )
}

fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|name| dir.join(name).is_file())
}

/// "15", "9.6", "16.2" → comparable numbers; anything else is not a version directory.
fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

// File::try_lock is Rust 1.89; Cargo.toml still says 1.80, but postgresql_embedded 0.20 already
// needs 1.94, so that is the real floor.
#[allow(clippy::incompatible_msrv)]
fn lock_data_dir(lock_path: &Path, data_dir: &Path) -> anyhow::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .with_context(|| format!("opening the lock file {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "the embedded PostgreSQL data directory {} is in use by another Mission Control process; stop it, or give this one \
             another database.embedded_data_dir",
            data_dir.display()
        ),
        Err(fs::TryLockError::Error(err)) => Err(err).with_context(|| format!("locking {}", lock_path.display())),
    }
}

/// The superuser password: made once, then read back on every start, since the data directory
/// only accepts the password it was initialized with.
fn password(password_file: &Path, data_dir: &Path) -> anyhow::Result<String> {
    match fs::read_to_string(password_file) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_string()),
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading the embedded PostgreSQL password {}", password_file.display())),
    }
    if data_dir.join("PG_VERSION").exists() {
        bail!(
            "the embedded PostgreSQL data directory {} exists but its password file {} is missing or empty; restore the \
             file, or delete the data directory to start over with an empty database",
            data_dir.display(),
            password_file.display()
        );
    }
    // Alphanumeric, so it goes into the URL unescaped.
    let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
    write_private(password_file, &password)
        .with_context(|| format!("writing the embedded PostgreSQL password {}", password_file.display()))?;
    Ok(password)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// The pid of a live server on `data_dir`, judged from postmaster.pid. A stale file (the server
/// was killed) is None: the server removes that itself on start. Where /proc is missing this
/// is always None, and a live leftover server makes start fail with a log naming it.
async fn running_postmaster(data_dir: &Path) -> Option<u32> {
    let pid_file = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let pid: u32 = pid_file.lines().next()?.trim().parse().ok()?;
    // A killed server stays a zombie until its parent (init, as pg_ctl detaches it) reaps it,
    // and until then both pg_ctl and the server take it for alive; that takes seconds in some
    // containers.
    for _ in 0..100 {
        match process_state(pid)? {
            ('Z' | 'X', _) => tokio::time::sleep(Duration::from_millis(100)).await,
            // The name, not just liveness: the pid may have been reused by an unrelated process.
            (_, name) => return matches!(name.as_str(), "postgres" | "postmaster").then_some(pid),
        }
    }
    None
}

/// (state, command name) from /proc/<pid>/stat; None when there is no such process.
fn process_state(pid: u32) -> Option<(char, String)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "<pid> (<name>) <state> ...", where the name may itself contain ") ".
    let (head, tail) = stat.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_string();
    Some((tail.chars().next()?, name))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free port for the embedded PostgreSQL")?;
    Ok(listener.local_addr().context("reading the free port")?.port())
}

fn set_aside_large_log(log_path: &Path) -> anyhow::Result<()> {
    if fs::metadata(log_path).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let old = log_path.with_extension("log.old");
        fs::rename(log_path, &old).with_context(|| format!("moving {} to {}", log_path.display(), old.display()))?;
    }
    Ok(())
}

/// What the server logged since `offset`, for errors; empty when unreadable.
fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(offset)).is_ok() {
            let mut bytes = Vec::new();
            let _ = file.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    text
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        assert!(parse_version("15").unwrap() > parse_version("9.6").unwrap());
        assert!(parse_version("16.2").unwrap() > parse_version("16").unwrap());
        assert_eq!(parse_version("main"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
        assert_eq!(last_lines("", 5), "");
    }
}
