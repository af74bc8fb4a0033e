use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status_code: Option<i16>,
    pub content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
}

/// Claims the key for a new request; false when it was already taken.
pub async fn claim(conn: &mut PgConnection, owner: &str, key: &str, request_hash: &[u8], now: DateTime<Utc>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (owner, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (owner, key) DO NOTHING",
    )
    .bind(owner)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn get(conn: &mut PgConnection, owner: &str, key: &str) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as("SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys WHERE owner = $1 AND key = $2")
        .bind(owner)
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub async fn complete(
    conn: &mut PgConnection,
    owner: &str,
    key: &str,
    status_code: u16,
    content_type: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5, completed_at = $6
         WHERE owner = $1 AND key = $2",
    )
    .bind(owner)
    .bind(key)
    .bind(status_code as i16)
    .bind(content_type)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn release(conn: &mut PgConnection, owner: &str, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND status_code IS NULL")
        .bind(owner)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
