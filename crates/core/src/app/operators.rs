//! People: Telegram users linked to operators with a role. (API tokens: `tokens`.)

use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::Operator;
use crate::storage;
use mc_domain::i18n::Msg;
use mc_domain::{Actor, OperatorRole, Right};
use serde_json::json;

impl App {
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

    /// The Telegram users who are operators now: the bot gives their private chats the
    /// cockpit's menu button.
    pub async fn telegram_operator_ids(&self) -> AppResult<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::operators::telegram_user_ids(&mut conn).await?)
    }

    /// Makes the configured admins CAO (idempotent; run at start). One whose role a CAO revoked
    /// stays revoked: returned (and logged) instead of granted again.
    pub async fn ensure_admins(&self, user_ids: &[i64]) -> AppResult<Vec<i64>> {
        let system = Actor::system("config");
        let mut ignored = Vec::new();
        for user_id in user_ids {
            let mut w = Work::begin(self, &system).await?;
            let existing = storage::operators::by_telegram_id(w.conn(), *user_id).await?;
            if existing
                .as_ref()
                .is_some_and(|op| op.role == OperatorRole::Cao && op.revoked_at.is_none())
            {
                continue;
            }
            // A CAO revoked that person's role: the configuration does not give it back behind
            // the CAO's back at the next start. It is reported, and stays revoked.
            if let Some(revoked) = existing.as_ref().and_then(|op| op.revoked_at) {
                tracing::warn!(
                    telegram_user = user_id,
                    revoked_at = %revoked,
                    "telegram.admins names a user whose role was revoked; not granted again (remove them from telegram.admins, or /grant them)"
                );
                ignored.push(*user_id);
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
        Ok(ignored)
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
        // Their private chat opens the cockpit from its menu button.
        if let Some(url) = self.rules.cockpit.url.clone() {
            w.post_to(None, Target::Chat(user_id), &Notice::MenuButton { url: Some(url) })
                .await?;
        }
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
        if self.rules.cockpit.url.is_some() {
            w.post_to(None, Target::Chat(user_id), &Notice::MenuButton { url: None }).await?;
        }
        w.commit().await?;
        Ok(op)
    }
}
