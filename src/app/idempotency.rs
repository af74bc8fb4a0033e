//! Replaying the first answer to a retried request. Adapters call `begin` before handling a
//! request that carries an idempotency key and `finish` (or `abandon`) after.

use super::{App, AppError, AppResult};
use crate::domain::{Actor, IdempotencyKey};
use crate::i18n::Msg;
use crate::storage;
use sha2::{Digest, Sha256};

/// A claimed key; hand it back to `finish` or `abandon`.
#[derive(Debug, Clone)]
pub struct Claim {
    owner: String,
    key: String,
}

#[derive(Debug)]
pub enum Start {
    /// First time: handle the request, then `finish`.
    New(Claim),
    /// Done before: send this again.
    Replay {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
}

fn owner_of(actor: &Actor) -> String {
    match actor.id() {
        Some(id) => format!("{}:{id}", actor.kind()),
        None => format!("system:{}", actor.name()),
    }
}

impl App {
    pub async fn begin_idempotent(&self, actor: &Actor, key: &str, request: &[&[u8]]) -> AppResult<Start> {
        let key = IdempotencyKey::parse(key)?;
        let owner = owner_of(actor);
        let mut hasher = Sha256::new();
        for part in request {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let hash = hasher.finalize().to_vec();
        let mut conn = self.pool.acquire().await?;
        if storage::idempotency::claim(&mut conn, &owner, key.as_str(), &hash, self.now()).await? {
            return Ok(Start::New(Claim {
                owner,
                key: key.as_str().to_string(),
            }));
        }
        let stored = storage::idempotency::get(&mut conn, &owner, key.as_str())
            .await?
            .ok_or_else(|| AppError::conflict("idempotency_in_progress", Msg::new("err-idempotency-just-handled")))?;
        if stored.request_hash != hash {
            return Err(AppError::validation(
                "idempotencyKey",
                Msg::new("err-idempotency-different-request"),
            ));
        }
        match stored.status_code {
            None => Err(AppError::conflict(
                "idempotency_in_progress",
                Msg::new("err-idempotency-in-progress"),
            )),
            Some(status) => Ok(Start::Replay {
                status: status as u16,
                content_type: stored.content_type,
                body: stored.response_body.unwrap_or_default(),
            }),
        }
    }

    pub async fn finish_idempotent(&self, claim: Claim, status: u16, content_type: Option<&str>, body: &[u8]) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        storage::idempotency::complete(&mut conn, &claim.owner, &claim.key, status, content_type, body, self.now()).await?;
        Ok(())
    }

    /// The request failed in a way worth retrying (a server error): free the key.
    pub async fn abandon_idempotent(&self, claim: Claim) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        storage::idempotency::release(&mut conn, &claim.owner, &claim.key).await?;
        Ok(())
    }
}
