//! People and credentials: operator API tokens, agent tokens, Telegram users with roles.

use super::model::Operator;
use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::domain::{Actor, OperatorRole, Right};
use crate::i18n::Msg;
use crate::storage;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const OPERATOR_PREFIX: &str = "mco_";
const AGENT_PREFIX: &str = "mca_";

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random token: prefix + 40 alphanumerics (~238 bits).
fn generate(prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(&mut rand::rng(), 40))
}

/// Creates a token for an agent inside the caller's transaction; returns the plaintext.
pub(crate) async fn issue_agent_token(w: &mut Work, agent_id: Uuid, name: &str) -> AppResult<String> {
    let token = generate(AGENT_PREFIX);
    let now = w.now;
    storage::tokens::insert(w.conn(), &hash(&token), &token[..8], name, None, Some(agent_id), now).await?;
    Ok(token)
}

impl App {
    /// Creates an operator with an API token; the token is returned once and stored hashed.
    pub async fn create_operator_token(&self, actor: &Actor, name: &str, role: OperatorRole) -> AppResult<(Operator, String)> {
        require(actor, Right::ManageOperators)?;
        let name = crate::domain::ProjectName::parse(name).map_err(|e| AppError::validation("name", e.message))?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let operator = storage::operators::insert(w.conn(), name.as_str(), role, None, now).await?;
        let token = generate(OPERATOR_PREFIX);
        storage::tokens::insert(w.conn(), &hash(&token), &token[..8], name.as_str(), Some(operator.id), None, now).await?;
        w.audit(
            None,
            "operator.token_created",
            "operator",
            operator.id,
            json!({ "name": name, "role": role }),
        )
        .await?;
        w.commit().await?;
        Ok((operator, token))
    }

    /// Whether anyone can use the API yet: a live operator token exists (the bootstrap token
    /// of `http.admin_token` included). `serve` says how to make the first one when not.
    pub async fn has_operator_tokens(&self) -> AppResult<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::tokens::any_live_operator_token(&mut conn).await?)
    }

    /// The actor a bearer token stands for.
    pub async fn authenticate(&self, token: &str) -> AppResult<Actor> {
        let invalid = || AppError::Unauthenticated(Msg::new("err-token-unknown"));
        if token.is_empty() || token.len() > 200 {
            return Err(invalid());
        }
        let mut conn = self.pool.acquire().await?;
        let holder = storage::tokens::holder(&mut conn, &hash(token)).await?.ok_or_else(invalid)?;
        match holder {
            storage::tokens::Holder {
                operator_id: Some(id),
                operator_name: Some(name),
                operator_role: Some(role),
                ..
            } => Ok(Actor::Operator { id, name, role }),
            storage::tokens::Holder {
                agent_id: Some(id),
                agent_project_id: Some(project_id),
                agent_name: Some(name),
                ..
            } => Ok(Actor::Agent { id, project_id, name }),
            _ => Err(invalid()),
        }
    }

    /// Makes `http.admin_token` a live CAO token (and revokes the one it replaced); an empty
    /// setting revokes it. Run at start.
    pub async fn ensure_bootstrap_token(&self, token: &str) -> AppResult<()> {
        const NAME: &str = "bootstrap admin (http.admin_token)";
        let token = token.trim();
        let system = Actor::system("config");
        let mut w = Work::begin(self, &system).await?;
        let now = w.now;
        if token.is_empty() {
            if storage::tokens::revoke_named_except(w.conn(), NAME, None, now).await? > 0 {
                w.audit(None, "operator.token_revoked", "api_token", NAME, json!({ "source": "config" }))
                    .await?;
                w.commit().await?;
            }
            return Ok(());
        }
        if token.len() < 16 || token.len() > 200 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AppError::validation("http.admin_token", Msg::new("err-admin-token")));
        }
        let hashed = hash(token);
        if storage::tokens::holder(w.conn(), &hashed).await?.is_some() {
            return Ok(());
        }
        storage::tokens::revoke_named_except(w.conn(), NAME, Some(&hashed), now).await?;
        let operator = storage::operators::insert(w.conn(), "admin", OperatorRole::Cao, None, now).await?;
        storage::tokens::insert(w.conn(), &hashed, &token[..4], NAME, Some(operator.id), None, now).await?;
        w.audit(
            None,
            "operator.token_created",
            "operator",
            operator.id,
            json!({ "name": NAME, "role": "cao", "source": "config" }),
        )
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// The operator a Telegram user is, if linked and not revoked.
    pub async fn operator_for_telegram(&self, user_id: i64) -> AppResult<Option<Actor>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::operators::by_telegram_id(&mut conn, user_id)
            .await?
            .filter(|op| op.revoked_at.is_none())
            .map(|op| Actor::Operator {
                id: op.id,
                name: op.name,
                role: op.role,
            }))
    }

    /// Makes the configured admins CAO (idempotent; run at start).
    pub async fn ensure_admins(&self, user_ids: &[i64]) -> AppResult<()> {
        let system = Actor::system("config");
        for user_id in user_ids {
            let mut w = Work::begin(self, &system).await?;
            let existing = storage::operators::by_telegram_id(w.conn(), *user_id).await?;
            if existing
                .as_ref()
                .is_some_and(|op| op.role == OperatorRole::Cao && op.revoked_at.is_none())
            {
                continue;
            }
            let now = w.now;
            let name = existing.map(|op| op.name).unwrap_or_else(|| format!("tg:{user_id}"));
            let op = storage::operators::upsert_telegram(w.conn(), *user_id, &name, OperatorRole::Cao, now).await?;
            w.audit(
                None,
                "operator.granted",
                "operator",
                op.id,
                json!({ "telegramUserId": user_id, "role": "cao", "source": "config" }),
            )
            .await?;
            w.commit().await?;
        }
        Ok(())
    }

    /// Links a Telegram user with a role (`/grant`).
    pub async fn grant_role(&self, actor: &Actor, user_id: i64, display_name: &str, role: OperatorRole) -> AppResult<Operator> {
        require(actor, Right::ManageOperators)?;
        if user_id <= 0 {
            return Err(AppError::validation("userId", Msg::new("err-telegram-user-id")));
        }
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let name = if display_name.trim().is_empty() {
            format!("tg:{user_id}")
        } else {
            display_name.trim().chars().take(100).collect()
        };
        let op = storage::operators::upsert_telegram(w.conn(), user_id, &name, role, now).await?;
        w.audit(
            None,
            "operator.granted",
            "operator",
            op.id,
            json!({ "telegramUserId": user_id, "role": role }),
        )
        .await?;
        w.commit().await?;
        Ok(op)
    }

    /// Removes a Telegram user's rights (`/revoke`). A CAO cannot revoke themself, so a chat
    /// is never left without its last CAO by accident.
    pub async fn revoke_role(&self, actor: &Actor, user_id: i64) -> AppResult<Operator> {
        require(actor, Right::ManageOperators)?;
        let mut w = Work::begin(self, actor).await?;
        let op = storage::operators::by_telegram_id(w.conn(), user_id)
            .await?
            .filter(|op| op.revoked_at.is_none())
            .ok_or_else(|| AppError::not_found("operator with Telegram id", user_id))?;
        if actor.id() == Some(op.id) {
            return Err(AppError::conflict("self_revoke", Msg::new("err-self-revoke")));
        }
        let now = w.now;
        let op = storage::operators::revoke(w.conn(), op.id, now).await?;
        w.audit(None, "operator.revoked", "operator", op.id, json!({ "telegramUserId": user_id }))
            .await?;
        w.commit().await?;
        Ok(op)
    }
}
