//! The cockpit's sessions (the Telegram Mini App at `/app`). The page posts the `initData`
//! Telegram signed; a valid one names a Telegram user, and a session opens for the operator
//! that user is — the same actor, role and rights as in the chat (the bot's
//! [`App::operator_for_telegram`]). The session's token then authenticates the page's calls to
//! the REST API like any operator token, for 15 minutes, renewed while the app is open. Only
//! its SHA-256 is kept, in the database, so every replica accepts it; the operator's role is
//! read on each request, so a revoked operator's session stops at once.

use super::tokens::hash;
use super::work::Work;
use super::{App, AppError, AppResult};
use crate::storage;
use chrono::{DateTime, Duration, Utc};
use mc_domain::i18n::Msg;
use mc_domain::webapp::{self, SESSION_MINUTES, SESSION_PREFIX};
use mc_domain::{Actor, OperatorRole};
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Ended sessions are deleted this long after they ended (as new ones open).
const KEEP_ENDED_HOURS: i64 = 24;

/// Who a session is for, as the page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionOperator {
    pub id: Uuid,
    pub name: String,
    pub role: OperatorRole,
}

/// An opened (or renewed) session. The token is shown here only.
#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSession {
    /// The bearer token for the API: keep it in the page's memory only.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub operator: SessionOperator,
    /// `start_param` of the link the app was opened with (`task_12`, `approval_A3`): the view to open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_param: Option<String>,
}

impl std::fmt::Debug for AppSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSession")
            .field("token", &mc_domain::credentials::redacted(&self.token))
            .field("expires_at", &self.expires_at)
            .field("operator", &self.operator)
            .finish()
    }
}

/// A renewed session's new end.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenewedSession {
    pub expires_at: DateTime<Utc>,
}

impl App {
    /// Opens a session for the Telegram user `init_data` names, if Telegram signed it for
    /// `bot_token` no longer than `max_auth_age` ago (401 otherwise) and that user is an
    /// operator (403 otherwise). Audited as that operator.
    pub async fn open_app_session(&self, init_data: &str, bot_token: &str, max_auth_age: Duration) -> AppResult<AppSession> {
        if bot_token.trim().is_empty() {
            // Without the bot's token anyone could sign: no session at all.
            return Err(AppError::Unauthenticated(Msg::new("err-webapp-disabled")));
        }
        let init = webapp::validate(init_data, bot_token, self.now(), max_auth_age)
            .map_err(|refusal| AppError::Unauthenticated(refusal.message()))?;
        let actor = self
            .operator_for_telegram(init.user_id)
            .await?
            .ok_or_else(|| AppError::forbidden(Msg::new("err-webapp-not-operator")))?;
        let Actor::Operator { id, name, role } = actor.clone() else {
            return Err(AppError::forbidden(Msg::new("err-webapp-not-operator")));
        };
        let token = format!("{SESSION_PREFIX}{}", Alphanumeric.sample_string(&mut rand::rng(), 40));
        let mut w = Work::begin(self, &actor).await?;
        let now = w.now;
        let expires_at = now + Duration::minutes(SESSION_MINUTES);
        storage::app_sessions::delete_ended(w.conn(), now - Duration::hours(KEEP_ENDED_HOURS)).await?;
        let session_id = storage::app_sessions::insert(w.conn(), &hash(&token), id, init.user_id, now, expires_at).await?;
        w.token_created();
        w.audit(
            None,
            "operator.app_session_opened",
            "app_session",
            session_id,
            json!({ "telegramUserId": init.user_id, "expiresAt": expires_at, "startParam": init.start_param }),
        )
        .await?;
        w.commit().await?;
        Ok(AppSession {
            token,
            expires_at,
            operator: SessionOperator { id, name, role },
            start_param: init.start_param,
        })
    }

    /// Gives the session `token` another 15 minutes from now, while it is still live (401
    /// once it ended: the page signs in again with fresh `initData`).
    pub async fn renew_app_session(&self, token: &str) -> AppResult<RenewedSession> {
        let (actor, credential) = self.authenticate_credential(token).await?;
        if !token.starts_with(SESSION_PREFIX) {
            return Err(AppError::Unauthenticated(Msg::new("err-token-unknown")));
        }
        let mut w = Work::begin(self, &actor).await?;
        let now = w.now;
        let expires_at = now + Duration::minutes(SESSION_MINUTES);
        if !storage::app_sessions::extend(w.conn(), credential.token_id, now, expires_at).await? {
            return Err(AppError::Unauthenticated(
                Msg::new("err-token-expired").with("at", mc_domain::i18n::time(now)),
            ));
        }
        w.commit().await?;
        Ok(RenewedSession { expires_at })
    }
}
