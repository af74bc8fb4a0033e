//! The zero-setup default database: with no database URL configured, `serve` runs on a private
//! PostgreSQL whose data lives in a directory of ours, so a first run needs nothing but
//! PostgreSQL's binaries installed.
//!
//! We drive the installed `initdb`, `pg_ctl` and `postgres` ourselves (nothing is ever
//! downloaded: air-gapped hosts, reproducibility), because two things need control over how
//! they are spawned:
//!
//! - **Root.** PostgreSQL refuses to run as root, and root is the usual newcomer in containers,
//!   CI and cloud shells. As root the server runs as an unprivileged user — the owner of an
//!   existing data directory, else `mission-control` (created as a system user when missing),
//!   else `nobody` — as pgrx's `--runas` and embedded-postgres' `runAsUser` do. When that user
//!   cannot reach the configured directory (a clone under the private `/root`), the data goes
//!   to `/var/lib/mission-control` instead, and the log says so.
//! - **Many processes, one server.** `serve` owns the server for its lifetime; a CLI command
//!   started beside it (`token create`, `backup`, …) joins that running server — it is a real
//!   PostgreSQL, its port is in `postmaster.pid` — instead of being refused. Only a second
//!   server on the same directory is refused. A lock file beside the data directory says who
//!   owns it; the kernel releases it even when the owner is killed.

mod files;
mod secure;

use anyhow::{bail, Context};
use rand::distr::{Alphanumeric, SampleString};
use secure::{Login, APP_ROLE};
use sha2::Digest;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// Overrides where PostgreSQL's binaries are looked for.
const BIN_DIR_VAR: &str = "MC_PG_BIN_DIR";

/// The superuser initdb creates; the URL logs in as it.
const SUPERUSER: &str = "postgres";

/// The system user the server runs as when we are root, created when missing.
pub const SERVICE_USER: &str = "mission-control";

/// Where the data goes as root when the service user cannot reach the configured directory.
const FALLBACK_ROOT: &str = "/var/lib/mission-control";

/// initdb and a cold `pg_ctl start -w` can be slow on a loaded machine; pg_ctl gives up after its
/// own 60 s, so this only catches a command that hangs outright.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a command waits for the owner's server to be ready, or for another command's
/// temporary server to be done with.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
const WAIT_FOR_COMMAND: Duration = Duration::from_secs(300);

/// `pg_ctl -l` appends to the log forever; past this size it is set aside at start.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;

/// A free port is picked before the server binds it, so another process can take it in between.
const START_ATTEMPTS: u32 = 3;

const SERVER_LOG: &str = "start.log";

/// Who wants the database: the service owns the server for its lifetime; a command joins the
/// service's server when one runs, else starts one for its own duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Service,
    Command,
}

impl Purpose {
    fn word(self) -> &'static str {
        match self {
            Purpose::Service => "serve",
            Purpose::Command => "command",
        }
    }
}

/// The embedded database as this process uses it.
pub struct EmbeddedPostgres {
    url: String,
    data_dir: PathBuf,
    /// Some when this process started the server (and stops it); None when it joined the
    /// server of a running `serve`.
    owned: Option<OwnedServer>,
}

impl EmbeddedPostgres {
    /// The database `db` on the private server whose data lives in `data_dir`: started (and
    /// initialized on first use) by us, or, for a command beside a running `serve`, joined.
    /// The database itself is created by the caller's connect when missing.
    pub async fn start(data_dir: &Path, db: &str, purpose: Purpose) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        let configured = std::path::absolute(data_dir).with_context(|| format!("resolving the data directory {}", data_dir.display()))?;
        if configured.parent().is_none() || configured.file_name().is_none() {
            bail!(
                "the embedded PostgreSQL data directory {} must be a directory below another one (database.embedded_data_dir)",
                configured.display()
            );
        }
        let (data_dir, run_as) = place(&configured, &bin_dir).await?;
        let parent = data_dir.parent().expect("checked above").to_path_buf();
        let name = data_dir.file_name().expect("checked above").to_string_lossy().into_owned();
        // Only the parent: the data directory is made with the 0700 mode the server insists on.
        // No other user may write it: our password and lock files live there.
        files::private_parent(&parent)?;
        // Outside the data directory because initdb wants that one empty (or absent).
        let password_file = parent.join(format!("{name}.password"));
        // Who the application logs in as ("<role> <password>"), written once the server is secured.
        let login_file = parent.join(format!("{name}.login"));
        let lock_path = parent.join(format!("{name}.lock"));

        let lock = match acquire_lock(&lock_path, &data_dir, purpose).await? {
            Acquired::Owner(lock) => lock,
            Acquired::ServiceRunning { pid } => {
                let port = wait_until_ready(&data_dir, pid).await?;
                let (role, password) = wait_for_login(&login_file, &data_dir, pid).await?;
                tracing::info!(pid, port, dir = %data_dir.display(), "using the embedded PostgreSQL of the running service");
                return Ok(EmbeddedPostgres {
                    url: url(&role, &password, port, db),
                    data_dir,
                    owned: None,
                });
            }
        };

        let password = match files::read_private(&password_file)? {
            Some(password) => password,
            None if data_dir.join("PG_VERSION").exists() => bail!(
                "the embedded PostgreSQL data directory {} exists but its password file {} is missing or empty; restore the \
                 file, or delete the data directory to start over with an empty database",
                data_dir.display(),
                password_file.display()
            ),
            None => {
                // Alphanumeric, so it goes into the URL unescaped.
                let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
                files::write_private(&password_file, &password)
                    .with_context(|| format!("writing the embedded PostgreSQL password {}", password_file.display()))?;
                password
            }
        };
        // The application's own password, kept across restarts.
        let app_password = match files::read_private(&login_file)?.as_deref().and_then(|l| l.split_once(' ')) {
            Some((APP_ROLE, password)) => password.to_string(),
            _ => Alphanumeric.sample_string(&mut rand::rng(), 32),
        };
        let cluster = Cluster {
            bin_dir,
            data_dir: data_dir.clone(),
            run_as,
        };
        if let Some(user) = &cluster.run_as {
            tracing::info!(
                user = %user.name,
                uid = user.uid,
                dir = %data_dir.display(),
                "running as root: the embedded PostgreSQL runs as user {} (PostgreSQL refuses root)",
                user.name
            );
        }
        cluster.prepare(&password).await?;
        set_aside_large_log(&data_dir.join(SERVER_LOG))?;
        if let Some(pid) = running_postmaster(&data_dir).await {
            // We hold the lock, so no live Mission Control owns this server: it was left behind
            // by one that was killed. It runs with an old port we no longer know; restart it.
            tracing::warn!(pid, dir = %data_dir.display(), "stopping a PostgreSQL server left running by a previous run");
            cluster
                .stop()
                .await
                .with_context(|| format!("stopping the PostgreSQL server (pid {pid}) left running on {}", data_dir.display()))?;
        }
        let port = cluster.start().await?;
        // From here a failure stops the server again (OwnedServer's drop).
        let owned = OwnedServer {
            cluster,
            running: true,
            _lock: lock,
        };
        let login = secure::secure(port, SUPERUSER, &password, &app_password, db, &data_dir)
            .await
            .with_context(|| format!("securing the embedded PostgreSQL on {}", data_dir.display()))?;
        let (role, role_password) = match login {
            Login::AppRole => (APP_ROLE, app_password.as_str()),
            Login::Superuser => (SUPERUSER, password.as_str()),
        };
        files::write_private(&login_file, &format!("{role} {role_password}"))
            .with_context(|| format!("writing the embedded PostgreSQL login {}", login_file.display()))?;
        tracing::info!(port, role, dir = %data_dir.display(), "embedded PostgreSQL is running");
        Ok(EmbeddedPostgres {
            url: url(role, role_password, port, db),
            data_dir,
            owned: Some(owned),
        })
    }

    /// postgres:// URL of the database (with user, password and port).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// True when this process joined the server of a running `serve` rather than starting one.
    pub fn is_joined(&self) -> bool {
        self.owned.is_none()
    }

    /// The user the server runs as when it is not this process's own (we are root).
    pub fn runs_as(&self) -> Option<&str> {
        self.owned.as_ref()?.cluster.run_as.as_ref().map(|u| u.name.as_str())
    }

    /// Stops the server when this process started it; a joined server is left to its owner.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(owned) = self.owned.as_mut() {
            owned
                .cluster
                .stop()
                .await
                .with_context(|| format!("stopping the embedded PostgreSQL on {}", self.data_dir.display()))?;
            owned.running = false;
        }
        Ok(())
    }
}

fn url(role: &str, password: &str, port: u16, db: &str) -> String {
    format!("postgresql://{role}:{password}@127.0.0.1:{port}/{db}")
}

/// The running service's login for the application, once it has secured its server (a command
/// that joins a `serve` still starting waits for it).
async fn wait_for_login(login_file: &Path, data_dir: &Path, service_pid: u32) -> anyhow::Result<(String, String)> {
    let deadline = std::time::Instant::now() + JOIN_TIMEOUT;
    loop {
        if let Some(login) = files::read_private(login_file)? {
            if let Some((role, password)) = login.split_once(' ') {
                return Ok((role.to_string(), password.to_string()));
            }
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "mission-control serve (pid {service_pid}) runs the embedded PostgreSQL on {} but its login file {} did not \
                 appear within {} s (run this command as the user that runs serve)",
                data_dir.display(),
                login_file.display(),
                JOIN_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct OwnedServer {
    cluster: Cluster,
    running: bool,
    // Dropped after the server is stopped (fields drop in order after Drop::drop), so no other
    // process takes the directory over while our server still runs.
    _lock: File,
}

impl Drop for OwnedServer {
    /// A start that fails later (migrations, a bad setting) must not leave the server running.
    fn drop(&mut self) {
        if self.running {
            let mut command = self.cluster.pg_ctl_stop();
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
            if let Err(err) = command.status() {
                tracing::error!(error = %err, dir = %self.cluster.data_dir.display(), "stopping the embedded PostgreSQL");
            }
        }
    }
}

/// An unprivileged user to run the server as.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// Where the data goes and as whom the server runs: as a normal user, where configured and as
/// ourselves; as root, as an unprivileged user, in the configured directory when that user can
/// reach it, else in a directory of ours under /var/lib.
async fn place(configured: &Path, bin_dir: &Path) -> anyhow::Result<(PathBuf, Option<RunAs>)> {
    if !is_root() {
        return Ok((configured.to_path_buf(), None));
    }
    let user = run_as_for(configured).await?;
    if reachable(configured, &user, bin_dir).await {
        return Ok((configured.to_path_buf(), Some(user)));
    }
    let digest = sha2::Sha256::digest(configured.to_string_lossy().as_bytes());
    let fallback = Path::new(FALLBACK_ROOT).join(format!("postgres-{}", &hex::encode(digest)[..12]));
    tracing::warn!(
        configured = %configured.display(),
        used = %fallback.display(),
        user = %user.name,
        "user {} cannot reach the configured embedded data directory (a parent directory is private to root); \
         the data is kept in {} instead",
        user.name,
        fallback.display()
    );
    let user = run_as_for(&fallback).await?;
    if !reachable(&fallback, &user, bin_dir).await {
        bail!(
            "user {} cannot reach {} nor {}; set database.embedded_data_dir (MC_DATABASE__EMBEDDED_DATA_DIR) to a directory \
             it can reach, or DATABASE_URL to use an existing server",
            user.name,
            configured.display(),
            fallback.display()
        );
    }
    Ok((fallback, Some(user)))
}

/// An existing data directory keeps its owner; otherwise the service user, created when
/// missing, else `nobody`.
async fn run_as_for(data_dir: &Path) -> anyhow::Result<RunAs> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(meta) = fs::metadata(data_dir) {
        if meta.uid() != 0 {
            return user_by_uid(meta.uid()).with_context(|| {
                format!(
                    "the embedded data directory {} belongs to uid {}, which has no user entry",
                    data_dir.display(),
                    meta.uid()
                )
            });
        }
    }
    if let Some(user) = user_by_name(SERVICE_USER) {
        return Ok(user);
    }
    match create_service_user().await {
        Ok(()) => {
            if let Some(user) = user_by_name(SERVICE_USER) {
                tracing::info!(
                    user = SERVICE_USER,
                    uid = user.uid,
                    "created the system user for the embedded PostgreSQL"
                );
                return Ok(user);
            }
        }
        Err(err) => tracing::warn!(error = %format!("{err:#}"), "could not create the system user {SERVICE_USER}; using nobody"),
    }
    user_by_name("nobody").context(
        "running as root, the embedded PostgreSQL needs an unprivileged user, and neither mission-control nor nobody \
         exists; create one (useradd --system mission-control), or set DATABASE_URL to use an existing server",
    )
}

/// `useradd` (Debian, RHEL), else busybox's `adduser` (Alpine).
async fn create_service_user() -> anyhow::Result<()> {
    let attempts: [(&str, &[&str]); 2] = [
        (
            "useradd",
            &[
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "Mission Control embedded PostgreSQL",
                SERVICE_USER,
            ],
        ),
        (
            "adduser",
            &["-S", "-D", "-H", "-h", "/nonexistent", "-s", "/sbin/nologin", SERVICE_USER],
        ),
    ];
    let mut failures = Vec::new();
    for (program, args) in attempts {
        match Command::new(program).args(args).output().await {
            Ok(output) if output.status.success() => return Ok(()),
            Ok(output) => failures.push(format!("{program}: {}", String::from_utf8_lossy(&output.stderr).trim())),
            Err(err) => failures.push(format!("{program}: {err}")),
        }
    }
    bail!("{}", failures.join("; "))
}

/// Whether `user` can get to `dir`: its nearest existing ancestor must be enterable (what we
/// create below it is world-searchable). Tested for real, by starting `pg_ctl --version` there
/// as that user, rather than by reading mode bits (ACLs, groups).
async fn reachable(dir: &Path, user: &RunAs, bin_dir: &Path) -> bool {
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"));
    let mut command = Command::new(bin_dir.join("pg_ctl"));
    command
        .arg("--version")
        .current_dir(existing)
        .uid(user.uid)
        .gid(user.gid)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    matches!(command.status().await, Ok(status) if status.success())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn user_by_name(name: &str) -> Option<RunAs> {
    let name = std::ffi::CString::new(name).ok()?;
    lookup_user(|pwd, buf, result| {
        // SAFETY: every pointer is valid for the call; buf's length is passed.
        unsafe { libc::getpwnam_r(name.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
}

fn user_by_uid(uid: u32) -> Option<RunAs> {
    lookup_user(|pwd, buf, result| {
        // SAFETY: as above.
        unsafe { libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), result) }
    })
}

/// The passwd entry the lookup finds, through the system's NSS (not only /etc/passwd).
fn lookup_user(call: impl Fn(*mut libc::passwd, &mut [libc::c_char], *mut *mut libc::passwd) -> libc::c_int) -> Option<RunAs> {
    let mut buf = vec![0 as libc::c_char; 4096];
    loop {
        // SAFETY: passwd is plain data; zeroed is a valid (empty) value for it.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = call(&mut pwd, &mut buf, &mut result);
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points into buf, NUL-terminated.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }.to_string_lossy().into_owned();
        return Some(RunAs {
            name,
            uid: pwd.pw_uid,
            gid: pwd.pw_gid,
        });
    }
}

/// The installed server binaries on one data directory, run as `run_as` when we are root.
struct Cluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    run_as: Option<RunAs>,
}

impl Cluster {
    fn std_command(&self, program: &str) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(self.bin_dir.join(program));
        // A working directory every user can enter (ours may be private to root), and no
        // database of the caller's environment leaking in.
        command
            .current_dir("/")
            .env_remove("PGDATABASE")
            .env_remove("PGDATA")
            .stdin(std::process::Stdio::null());
        if let Some(user) = &self.run_as {
            // std drops root's supplementary groups when it changes the uid.
            command.uid(user.uid).gid(user.gid);
        }
        command
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::from(self.std_command(program));
        command.kill_on_drop(true);
        command
    }

    /// Initializes the data directory on first use; as root, makes it the server user's.
    async fn prepare(&self, password: &str) -> anyhow::Result<()> {
        if self.data_dir.join("PG_VERSION").exists() {
            return Ok(());
        }
        create_private_dir(&self.data_dir)?;
        // initdb reads the password from a file the server's user can read; ours (beside the
        // data directory) may be root's, so it gets a copy that is removed at once.
        let scratch = std::env::temp_dir().join(format!("mc-initdb-{}", Alphanumeric.sample_string(&mut rand::rng(), 12)));
        create_private_dir(&scratch)?;
        let pwfile = scratch.join("pw");
        files::write_private(&pwfile, password)?;
        if let Some(user) = &self.run_as {
            for path in [&self.data_dir, &scratch, &pwfile] {
                std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
                    .with_context(|| format!("giving {} to user {}", path.display(), user.name))?;
            }
        }
        let mut initdb = self.command("initdb");
        initdb
            .arg("--pgdata")
            .arg(&self.data_dir)
            .args(["--username", SUPERUSER, "--auth", "scram-sha-256", "--encoding", "UTF8"])
            .arg("--pwfile")
            .arg(&pwfile);
        let outcome = run(initdb, "initdb").await;
        let _ = fs::remove_dir_all(&scratch);
        outcome.with_context(|| format!("initializing the PostgreSQL data directory {} (initdb)", self.data_dir.display()))?;
        Ok(())
    }

    /// Starts the server on a free port; returns the port.
    async fn start(&self) -> anyhow::Result<u16> {
        let log_path = self.data_dir.join(SERVER_LOG);
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            let log_start = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
            let mut pg_ctl = self.command("pg_ctl");
            pg_ctl
                .args(["start", "--wait", "--timeout", "60", "--pgdata"])
                .arg(&self.data_dir)
                .arg("--log")
                .arg(&log_path)
                .arg("-o")
                .arg(server_options(port));
            match run(pg_ctl, "pg_ctl start").await {
                Ok(()) => return Ok(port),
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
                            self.data_dir.display(),
                            log_path.display(),
                            last_lines(&log, 20)
                        )
                    });
                }
            }
        }
    }

    fn pg_ctl_stop(&self) -> std::process::Command {
        let mut pg_ctl = self.std_command("pg_ctl");
        pg_ctl.args(["stop", "--wait", "--mode", "fast", "--pgdata"]).arg(&self.data_dir);
        pg_ctl
    }

    async fn stop(&self) -> anyhow::Result<()> {
        if running_postmaster(&self.data_dir).await.is_none() {
            return Ok(());
        }
        let mut pg_ctl = Command::from(self.pg_ctl_stop());
        pg_ctl.kill_on_drop(true);
        run(pg_ctl, "pg_ctl stop").await
    }
}

/// Runs a PostgreSQL tool to completion; its own error output on failure.
async fn run(mut command: Command, what: &str) -> anyhow::Result<()> {
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    let output = tokio::time::timeout(COMMAND_TIMEOUT, command.output())
        .await
        .with_context(|| format!("{what} did not finish within {} s", COMMAND_TIMEOUT.as_secs()))?
        .with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Passed on every start, so they also apply to data directories made by older versions.
fn server_options(port: u16) -> String {
    [
        format!("-p {port}"),
        // Private: loopback only.
        "-c listen_addresses=127.0.0.1".to_string(),
        // Distribution builds put sockets in /var/run/postgresql, writable only by the
        // `postgres` group; we connect over TCP, and pg_ctl --wait watches postmaster.pid.
        "-c unix_socket_directories=''".to_string(),
        // It keeps the user's data.
        "-c fsync=on".to_string(),
    ]
    .join(" ")
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err).with_context(|| format!("creating {}", dir.display())),
    }
}

enum Acquired {
    /// We hold the lock: the server is ours to start and stop.
    Owner(File),
    /// A running `serve` holds it: join its server.
    ServiceRunning { pid: u32 },
}

/// Takes the lock beside the data directory, whose content says who holds it
/// ("<pid> serve|command"); or says whose server to join.
async fn acquire_lock(lock_path: &Path, data_dir: &Path, purpose: Purpose) -> anyhow::Result<Acquired> {
    let mut file = files::open_lock(lock_path)?;
    let waited_since = std::time::Instant::now();
    let mut said_waiting = false;
    loop {
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                writeln!(file, "{} {}", std::process::id(), purpose.word())
                    .with_context(|| format!("writing the lock file {}", lock_path.display()))?;
                return Ok(Acquired::Owner(file));
            }
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(err)) => return Err(err).with_context(|| format!("locking {}", lock_path.display())),
        }
        let holder = fs::read_to_string(lock_path).unwrap_or_default();
        let mut words = holder.split_whitespace();
        let pid: Option<u32> = words.next().and_then(|p| p.parse().ok());
        let holder_purpose = words.next();
        match (purpose, holder_purpose, pid) {
            (Purpose::Service, _, _) => bail!(
                "the embedded PostgreSQL data directory {} is in use by another Mission Control process ({}); one \
                 `serve` per data directory: stop it, or give this one another database.embedded_data_dir",
                data_dir.display(),
                match (pid, holder_purpose) {
                    (Some(pid), Some(what)) => format!("mission-control {what}, pid {pid}"),
                    _ => "starting".to_string(),
                }
            ),
            (Purpose::Command, Some("serve"), Some(pid)) => return Ok(Acquired::ServiceRunning { pid }),
            // Another command's temporary server, or a holder still writing its line: that
            // server stops when its command ends, so wait for it rather than join it.
            (Purpose::Command, _, _) => {
                if waited_since.elapsed() > WAIT_FOR_COMMAND {
                    bail!(
                        "the embedded PostgreSQL data directory {} stayed in use by another Mission Control command for {} s",
                        data_dir.display(),
                        WAIT_FOR_COMMAND.as_secs()
                    );
                }
                if !said_waiting && waited_since.elapsed() > Duration::from_millis(500) {
                    eprintln!(
                        "waiting for another mission-control command{} to finish with the embedded database {}",
                        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                        data_dir.display()
                    );
                    said_waiting = true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The port of the running service's server, once postmaster.pid says it is ready.
async fn wait_until_ready(data_dir: &Path, service_pid: u32) -> anyhow::Result<u16> {
    let deadline = std::time::Instant::now() + JOIN_TIMEOUT;
    let pid_file = data_dir.join("postmaster.pid");
    loop {
        match fs::read_to_string(&pid_file) {
            Ok(text) => {
                // Lines: pid, data dir, start time, port, socket dir, listen address, shared
                // memory key, status.
                let lines: Vec<&str> = text.lines().collect();
                if lines.get(7).map(|s| s.trim()) == Some("ready") {
                    let port = lines
                        .get(3)
                        .and_then(|p| p.trim().parse().ok())
                        .with_context(|| format!("reading the port of the embedded PostgreSQL from {}", pid_file.display()))?;
                    return Ok(port);
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err).with_context(|| {
                    format!(
                        "reading {} to join the running service's embedded PostgreSQL (run this command as the user that runs serve)",
                        pid_file.display()
                    )
                })
            }
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "mission-control serve (pid {service_pid}) holds the embedded database {} but its PostgreSQL was not ready within {} s",
                data_dir.display(),
                JOIN_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bin directory of the newest installed PostgreSQL, or `MC_PG_BIN_DIR`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_DIR_VAR).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        for candidate in [dir.clone(), dir.join("bin")] {
            if has_server_binaries(&candidate) {
                return Ok(candidate);
            }
        }
        bail!(
            "{BIN_DIR_VAR}={} is not the bin directory of a PostgreSQL installation (a directory holding initdb, pg_ctl and \
             postgres); fix or unset it, or set DATABASE_URL to use an existing server",
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
        .find(|dir| has_server_binaries(dir));
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

    #[test]
    fn users_are_found_by_name_and_uid() {
        let root = user_by_uid(0).expect("uid 0 has an entry");
        assert_eq!(root.name, "root");
        assert_eq!(user_by_name("root").map(|u| u.uid), Some(0));
        assert!(user_by_name("no-such-user-mission-control-test").is_none());
    }
}
