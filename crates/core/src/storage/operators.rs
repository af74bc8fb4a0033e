use crate::model::Operator;
use crate::pg::Pg;
use chrono::{DateTime, Utc};
use mc_domain::OperatorRole;
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn insert(
    conn: &mut PgConnection,
    name: &str,
    role: OperatorRole,
    telegram_user_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<Operator> {
    sqlx::query_as(
        "INSERT INTO operators (id, name, role, telegram_user_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(Pg(role))
    .bind(telegram_user_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Operator>> {
    sqlx::query_as("SELECT * FROM operators WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn by_telegram_id(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<Option<Operator>> {
    sqlx::query_as("SELECT * FROM operators WHERE telegram_user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Links a Telegram user with a role, creating the operator or restoring a revoked one.
pub async fn upsert_telegram(
    conn: &mut PgConnection,
    user_id: i64,
    name: &str,
    role: OperatorRole,
    now: DateTime<Utc>,
) -> sqlx::Result<Operator> {
    sqlx::query_as(
        "INSERT INTO operators (id, name, role, telegram_user_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (telegram_user_id) DO UPDATE SET role = EXCLUDED.role, revoked_at = NULL, updated_at = EXCLUDED.updated_at
         RETURNING *",
    )
    .bind(Uuid::new_v4())
    .bind(name)
    .bind(Pg(role))
    .bind(user_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn revoke(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Operator> {
    sqlx::query_as("UPDATE operators SET revoked_at = $2, updated_at = $2 WHERE id = $1 RETURNING *")
        .bind(id)
        .bind(now)
        .fetch_one(conn)
        .await
}

/// The Telegram users who are operators now (not revoked).
pub async fn telegram_user_ids(conn: &mut PgConnection) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT telegram_user_id FROM operators WHERE telegram_user_id IS NOT NULL AND revoked_at IS NULL ORDER BY telegram_user_id",
    )
    .fetch_all(conn)
    .await
}
