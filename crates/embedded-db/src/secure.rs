//! Who the embedded server lets in, and how: the application logs in as a role of its own
//! that is not a superuser — it owns its database and nothing else — and every login is
//! SCRAM-SHA-256, never the cleartext `password` or the weak `md5` method. The process that
//! started the server runs this on every start, so data directories made by older versions are
//! brought up to it.
//!
//! The superuser (`postgres`) keeps its own password file and is used for nothing but this.
//! `restore` sets `session_replication_role` (to load rows whatever the order of their foreign
//! keys), which PostgreSQL 15 lets a superuser grant to another role; on an older server the
//! application keeps logging in as the superuser, and the log says so.

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::path::Path;

/// The role the application logs in as.
pub const APP_ROLE: &str = "mission_control";

/// The first server version that can grant a parameter (`GRANT SET ON PARAMETER`).
const GRANTS_PARAMETERS: i32 = 150_000;

/// Who the application is to log in as, once the server is secured.
#[derive(Debug, PartialEq, Eq)]
pub enum Login {
    /// The application's own role.
    AppRole,
    /// The superuser: the server is older than PostgreSQL 15.
    Superuser,
}

/// A password as an SQL literal. Ours are alphanumeric; anything else is refused rather than
/// escaped.
fn literal(password: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        !password.is_empty() && password.chars().all(|c| c.is_ascii_alphanumeric()),
        "an embedded PostgreSQL password file holds something other than letters and digits"
    );
    Ok(format!("'{password}'"))
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn connect(port: u16, superuser: &str, password: &str, db: &str) -> anyhow::Result<PgConnection> {
    PgConnectOptions::new()
        .host("127.0.0.1")
        .port(port)
        .username(superuser)
        .password(password)
        .database(db)
        .connect()
        .await
        .with_context(|| format!("connecting to the embedded PostgreSQL as {superuser} (database {db})"))
}

/// Makes the application's role and database, SCRAM-SHA-256 for every login, and says who the
/// application logs in as.
pub async fn secure(
    port: u16,
    superuser: &str,
    superuser_password: &str,
    app_password: &str,
    db: &str,
    data_dir: &Path,
) -> anyhow::Result<Login> {
    let mut conn = connect(port, superuser, superuser_password, "postgres").await?;
    let exec = |sql: String| sqlx::AssertSqlSafe(sql);
    // Stored as a SCRAM verifier whatever the server's default, so that scram-sha-256 logins work.
    sqlx::query("SET password_encryption = 'scram-sha-256'").execute(&mut conn).await?;
    sqlx::query(exec(format!(
        "ALTER ROLE {} PASSWORD {}",
        ident(superuser),
        literal(superuser_password)?
    )))
    .execute(&mut conn)
    .await?;
    let version: i32 = sqlx::query_scalar::<_, String>("SHOW server_version_num")
        .fetch_one(&mut conn)
        .await?
        .parse()
        .context("reading the embedded PostgreSQL's version")?;
    let login = if version >= GRANTS_PARAMETERS {
        make_app_role(&mut conn, port, superuser, superuser_password, app_password, db).await?;
        Login::AppRole
    } else {
        tracing::warn!(
            version,
            "the embedded PostgreSQL is older than 15: the application logs in as its superuser (a role of its own \
             could not restore backups)"
        );
        Login::Superuser
    };
    if scram_only(&data_dir.join("pg_hba.conf"))? {
        sqlx::query("SELECT pg_reload_conf()").execute(&mut conn).await?;
        tracing::info!("embedded PostgreSQL: logins now use scram-sha-256");
    }
    conn.close().await?;
    Ok(login)
}

async fn make_app_role(
    conn: &mut PgConnection,
    port: u16,
    superuser: &str,
    superuser_password: &str,
    app_password: &str,
    db: &str,
) -> anyhow::Result<()> {
    let exec = |sql: String| sqlx::AssertSqlSafe(sql);
    let role = ident(APP_ROLE);
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(APP_ROLE)
        .fetch_one(&mut *conn)
        .await?;
    let verb = if exists { "ALTER" } else { "CREATE" };
    sqlx::query(exec(format!(
        "{verb} ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {}",
        literal(app_password)?
    )))
    .execute(&mut *conn)
    .await?;
    let owner: Option<String> = sqlx::query_scalar("SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1")
        .bind(db)
        .fetch_optional(&mut *conn)
        .await?;
    match owner.as_deref() {
        None => {
            sqlx::query(exec(format!("CREATE DATABASE {} OWNER {role} ENCODING 'UTF8'", ident(db))))
                .execute(&mut *conn)
                .await?;
        }
        Some(APP_ROLE) => {}
        Some(_) => {
            // A database made by an older version, owned by the superuser: everything in it
            // becomes the application's.
            sqlx::query(exec(format!("ALTER DATABASE {} OWNER TO {role}", ident(db))))
                .execute(&mut *conn)
                .await?;
            let mut inside = connect(port, superuser, superuser_password, db).await?;
            sqlx::query("SELECT set_config('mc.app_role', $1, false)")
                .bind(APP_ROLE)
                .execute(&mut inside)
                .await?;
            sqlx::query(HAND_OVER).execute(&mut inside).await?;
            inside.close().await?;
            tracing::info!(
                db,
                role = APP_ROLE,
                "embedded PostgreSQL: the database now belongs to the application's own role"
            );
        }
    }
    sqlx::query(exec(format!("GRANT SET ON PARAMETER session_replication_role TO {role}")))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Gives every table (with its sequences), standalone sequence, view, type and function of the
/// public schema to the role named by the setting `mc.app_role`.
const HAND_OVER: &str = r#"
DO $$
DECLARE
    app text := current_setting('mc.app_role', true);
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
               AND pg_get_userbyid(c.relowner) <> app LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.name, app);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> app LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, app);
    END LOOP;
    FOR r IN SELECT t.oid::regtype AS name FROM pg_type t
             JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> app LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO %I', r.name, app);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> app LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, app);
    END LOOP;
END
$$
"#;

/// pg_hba.conf's authentication methods.
const METHODS: [&str; 14] = [
    "trust",
    "reject",
    "scram-sha-256",
    "md5",
    "password",
    "gss",
    "sspi",
    "ident",
    "peer",
    "ldap",
    "radius",
    "cert",
    "pam",
    "bsd",
];

/// Rewrites `pg_hba.conf` so that every rule that takes a password takes it as SCRAM-SHA-256;
/// true when it changed (the server must reload it).
fn scram_only(hba: &Path) -> anyhow::Result<bool> {
    let text = super::files::read_no_follow(hba)?.with_context(|| format!("{} is missing", hba.display()))?;
    let mut changed = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let rule = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = rule.split_whitespace().collect();
            // local DATABASE USER METHOD [OPTIONS] | host* DATABASE USER ADDRESS [MASK] METHOD [OPTIONS]:
            // the method is the first known method name from the fourth word on.
            let is_rule = words.first().is_some_and(|kind| *kind == "local" || kind.starts_with("host"));
            let method_at = is_rule
                .then(|| (3..words.len().min(6)).find(|i| METHODS.contains(&words[*i])))
                .flatten();
            match method_at.and_then(|i| words.get(i)) {
                Some(&"password" | &"md5" | &"trust") => {
                    changed = true;
                    let mut words = words.clone();
                    let at = method_at.expect("found above");
                    words[at] = "scram-sha-256";
                    words.join(" ")
                }
                _ => line.to_string(),
            }
        })
        .collect();
    if changed {
        super::files::rewrite_no_follow(hba, &(lines.join("\n") + "\n"))?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_with_a_password_becomes_scram() {
        let dir = std::env::temp_dir().join(format!("mc-hba-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let hba = dir.join("pg_hba.conf");
        std::fs::write(
            &hba,
            "# TYPE DATABASE USER ADDRESS METHOD\nlocal all all password\nhost all all 127.0.0.1/32 md5\n\
             host all all ::1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff trust\nhost all all 10.0.0.0/8 scram-sha-256\n",
        )
        .unwrap();
        assert!(scram_only(&hba).unwrap());
        let text = std::fs::read_to_string(&hba).unwrap();
        assert!(text.starts_with("# TYPE"), "{text}");
        assert!(
            !text.contains("password\n") && !text.contains("md5") && !text.contains("trust"),
            "{text}"
        );
        assert_eq!(text.matches("scram-sha-256").count(), 4, "{text}");
        assert!(!scram_only(&hba).unwrap(), "nothing left to change");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_password_is_a_literal_only_when_plain() {
        assert_eq!(literal("Ab3").unwrap(), "'Ab3'");
        assert!(literal("a'; DROP ROLE x; --").is_err());
        assert!(literal("").is_err());
    }
}
