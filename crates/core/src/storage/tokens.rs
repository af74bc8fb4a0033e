//! API tokens, by the SHA-256 of the token: the token itself is never stored.

use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::{AgentRole, OperatorRole, TokenRetirement};
use sqlx::PgConnection;
use uuid::Uuid;

pub struct NewToken<'a> {
    pub hash: &'a [u8],
    /// The first characters of a generated token (`mco_AbCd`), to tell tokens apart; empty for
    /// a token someone chose (the bootstrap admin token), of which nothing is kept.
    pub prefix: &'a str,
    pub name: &'a str,
    pub operator_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut PgConnection, t: &NewToken<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (id, token_hash, prefix, name, operator_id, agent_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(t.hash)
    .bind(t.prefix)
    .bind(t.name)
    .bind(t.operator_id)
    .bind(t.agent_id)
    .bind(now)
    .bind(t.expires_at)
    .fetch_one(conn)
    .await
}

/// A token with its holder, as listed and as checked on each request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Pg<Option<TokenRetirement>>")]
    pub retired_as: Option<TokenRetirement>,
    pub operator_id: Option<Uuid>,
    pub operator_name: Option<String>,
    #[sqlx(try_from = "Pg<Option<OperatorRole>>")]
    pub operator_role: Option<OperatorRole>,
    pub operator_revoked_at: Option<DateTime<Utc>>,
    pub agent_id: Option<Uuid>,
    pub agent_name: Option<String>,
    #[sqlx(try_from = "Pg<Option<AgentRole>>")]
    pub agent_role: Option<AgentRole>,
    pub agent_project_id: Option<Uuid>,
    pub agent_project_slug: Option<String>,
}

const SELECT_ROW: &str = "SELECT t.id, t.name, t.prefix, t.created_at, t.last_used_at, t.expires_at, t.revoked_at, t.retired_as,
        o.id AS operator_id, o.name AS operator_name, o.role AS operator_role, o.revoked_at AS operator_revoked_at,
        a.id AS agent_id, a.name AS agent_name, a.role AS agent_role, a.project_id AS agent_project_id,
        p.slug AS agent_project_slug
 FROM api_tokens t
 LEFT JOIN operators o ON o.id = t.operator_id
 LEFT JOIN agents a ON a.id = t.agent_id
 LEFT JOIN projects p ON p.id = a.project_id";

/// The token with this hash, live or not (the caller tells a revoked or expired token from an
/// unknown one). One indexed query: it runs on every API request.
pub async fn by_hash(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_ROW} WHERE t.token_hash = $1")))
        .bind(hash)
        .fetch_optional(conn)
        .await
}

/// The hashes of every token that works at `now` (the throttle's memory of valid tokens).
pub async fn live_hashes(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar(
        "SELECT t.token_hash FROM api_tokens t LEFT JOIN operators o ON o.id = t.operator_id
          WHERE t.revoked_at IS NULL AND o.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1)",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// The tokens with these ids, live or not (a long wait checks the one it was opened with).
pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_ROW} WHERE t.id = ANY($1)")))
        .bind(ids)
        .fetch_all(conn)
        .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_ROW} WHERE t.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Locks a token's row for a change.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM api_tokens WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Which tokens a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenFilter {
    /// Only operator tokens (`Some(true)`) or only agent tokens (`Some(false)`).
    pub operators: Option<bool>,
    /// Also the agent tokens a newer token retired (there is one per re-registration).
    pub with_rotated: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Tokens, newest first, and how many match.
pub async fn list(conn: &mut PgConnection, f: &TokenFilter) -> sqlx::Result<(Vec<TokenRow>, i64)> {
    const WHERE: &str = " WHERE ($1::bool IS NULL OR (t.operator_id IS NOT NULL) = $1)
          AND ($2 OR t.retired_as IS DISTINCT FROM 'rotated')";
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM api_tokens t{WHERE}")))
        .bind(f.operators)
        .bind(f.with_rotated)
        .fetch_one(&mut *conn)
        .await?;
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_ROW}{WHERE} ORDER BY t.created_at DESC, t.id LIMIT $3 OFFSET $4"
    )))
    .bind(f.operators)
    .bind(f.with_rotated)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(conn)
    .await?;
    Ok((items, total))
}

/// The ids of the tokens not yet revoked or retired that carry this name (case-insensitive).
pub async fn unretired_named(conn: &mut PgConnection, name: &str) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM api_tokens WHERE lower(name) = lower($1) AND revoked_at IS NULL ORDER BY created_at")
        .bind(name)
        .fetch_all(conn)
        .await
}

/// The names of the tokens not yet revoked or retired (for a not-found hint), operators' first.
pub async fn unretired_names(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT name FROM api_tokens WHERE revoked_at IS NULL
         GROUP BY name ORDER BY bool_or(operator_id IS NOT NULL) DESC, name LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Whether an operator token of this name works or may work again (not revoked; expired ones
/// count until revoked, so that `token revoke <name>` stays unambiguous).
pub async fn operator_name_taken(conn: &mut PgConnection, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE lower(name) = lower($1) AND operator_id IS NOT NULL AND revoked_at IS NULL)",
    )
    .bind(name)
    .fetch_one(conn)
    .await
}

/// Retires one token; false when it already was.
pub async fn retire(conn: &mut PgConnection, id: Uuid, why: TokenRetirement, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $2, retired_as = $3 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .bind(Pg(why))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Retires every live token of an agent but `keep` (a newer one); returns how many.
pub async fn rotate_agent(conn: &mut PgConnection, agent_id: Uuid, keep: Uuid, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3, retired_as = 'rotated'
         WHERE agent_id = $1 AND id <> $2 AND revoked_at IS NULL",
    )
    .bind(agent_id)
    .bind(keep)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records a use, at most once per `resolution`: a no-op when a use was recorded more recently
/// (by this request's twin, or another replica).
pub async fn touch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>, resolution: chrono::Duration) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)")
        .bind(id)
        .bind(now)
        .bind(now - resolution)
        .execute(conn)
        .await?;
    Ok(())
}

/// Retires the live tokens with this name except the one with `keep_hash` (the bootstrap token
/// replaced by another); returns how many.
pub async fn replace_named_except(conn: &mut PgConnection, name: &str, keep_hash: Option<&[u8]>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3, retired_as = 'replaced'
         WHERE name = $1 AND revoked_at IS NULL AND ($2::bytea IS NULL OR token_hash <> $2)",
    )
    .bind(name)
    .bind(keep_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Whether any operator API token works at `now` (agents' tokens do not count).
pub async fn any_live_operator_token(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens t JOIN operators o ON o.id = t.operator_id
                        WHERE t.revoked_at IS NULL AND o.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $1))",
    )
    .bind(now)
    .fetch_one(conn)
    .await
}
