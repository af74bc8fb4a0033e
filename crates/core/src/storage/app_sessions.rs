//! The cockpit's sessions, by the SHA-256 of the token: the token itself is never stored.

use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::OperatorRole;
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    hash: &[u8],
    operator_id: Uuid,
    telegram_user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO app_sessions (id, token_hash, operator_id, telegram_user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(hash)
    .bind(operator_id)
    .bind(telegram_user_id)
    .bind(now)
    .bind(expires_at)
    .fetch_one(conn)
    .await
}

/// A session with the operator it is bound to, as checked on each request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub operator_id: Uuid,
    pub operator_name: String,
    #[sqlx(try_from = "Pg<OperatorRole>")]
    pub operator_role: OperatorRole,
    pub operator_revoked_at: Option<DateTime<Utc>>,
}

const SELECT_ROW: &str = "SELECT s.id, s.expires_at, o.id AS operator_id, o.name AS operator_name, o.role AS operator_role,
        o.revoked_at AS operator_revoked_at
 FROM app_sessions s JOIN operators o ON o.id = s.operator_id";

/// The session with this hash, live or not.
pub async fn by_hash(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_ROW} WHERE s.token_hash = $1")))
        .bind(hash)
        .fetch_optional(conn)
        .await
}

/// The sessions with these ids, live or not (a long wait checks the one it was opened with).
pub async fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_ROW} WHERE s.id = ANY($1)")))
        .bind(ids)
        .fetch_all(conn)
        .await
}

/// Moves a live session's end to `expires_at`; false when it is no longer live at `now`.
pub async fn extend(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE app_sessions SET expires_at = $3 WHERE id = $1 AND expires_at > $2")
        .bind(id)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the sessions that ended before `before`.
pub async fn delete_ended(conn: &mut PgConnection, before: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM app_sessions WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}

/// The hashes of every session that works at `now` (the throttle's memory of valid tokens).
pub async fn live_hashes(conn: &mut PgConnection, now: DateTime<Utc>) -> sqlx::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar(
        "SELECT s.token_hash FROM app_sessions s JOIN operators o ON o.id = s.operator_id
          WHERE o.revoked_at IS NULL AND s.expires_at > $1",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}
