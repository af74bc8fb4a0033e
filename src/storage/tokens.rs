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
