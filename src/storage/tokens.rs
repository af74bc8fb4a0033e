use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    hash: &[u8],
    prefix: &str,
    name: &str,
    operator_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (id, token_hash, prefix, name, operator_id, agent_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(hash)
    .bind(prefix)
    .bind(name)
    .bind(operator_id)
    .bind(agent_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct TokenOwner {
    pub token_id: Uuid,
    pub operator_id: Option<Uuid>,
    pub agent_id: Option<Uuid>,
}

/// The live token with this hash: not revoked, and its operator not revoked either.
pub async fn find_live(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as(
        "SELECT t.id AS token_id, t.operator_id, t.agent_id FROM api_tokens t
         LEFT JOIN operators o ON o.id = t.operator_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND o.revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Who a live token belongs to, in one query (it runs on every API request).
#[derive(Debug, sqlx::FromRow)]
pub struct Holder {
    pub operator_id: Option<Uuid>,
    pub operator_name: Option<String>,
    pub operator_role: Option<crate::domain::OperatorRole>,
    pub agent_id: Option<Uuid>,
    pub agent_project_id: Option<Uuid>,
    pub agent_name: Option<String>,
}

pub async fn holder(conn: &mut PgConnection, hash: &[u8]) -> sqlx::Result<Option<Holder>> {
    sqlx::query_as(
        "SELECT o.id AS operator_id, o.name AS operator_name, o.role AS operator_role,
                a.id AS agent_id, a.project_id AS agent_project_id, a.name AS agent_name
         FROM api_tokens t
         LEFT JOIN operators o ON o.id = t.operator_id
         LEFT JOIN agents a ON a.id = t.agent_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND o.revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Revokes the live tokens with this name except the one with `keep_hash`; returns how many.
pub async fn revoke_named_except(conn: &mut PgConnection, name: &str, keep_hash: Option<&[u8]>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3
         WHERE name = $1 AND revoked_at IS NULL AND ($2::bytea IS NULL OR token_hash <> $2)",
    )
    .bind(name)
    .bind(keep_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Whether any live operator API token exists (agents' tokens do not count).
pub async fn any_live_operator_token(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM api_tokens t JOIN operators o ON o.id = t.operator_id
                        WHERE t.revoked_at IS NULL AND o.revoked_at IS NULL)",
    )
    .fetch_one(conn)
    .await
}
