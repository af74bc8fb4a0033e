//! Replaying the first answer to a retried request. Adapters call `begin` before handling a
//! request that carries an idempotency key and `finish` (or `abandon`) after.

use super::{App, AppError, AppResult};
use crate::storage;
use mc_domain::i18n::Msg;
use mc_domain::{Actor, IdempotencyKey};
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

    /// Stores the answer for replays. An answer that holds a secret (`with_secret`: a token just
    /// issued) is stored without it: secrets are never kept readable, so a replay says the token
    /// was withheld (get a new one: register again with a new key, or rotate).
    pub async fn finish_idempotent(
        &self,
        claim: Claim,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
        with_secret: bool,
    ) -> AppResult<()> {
        let stored = match with_secret {
            true => without_secrets(body),
            false => body.to_vec(),
        };
        let mut conn = self.pool.acquire().await?;
        storage::idempotency::complete(&mut conn, &claim.owner, &claim.key, status, content_type, &stored, self.now()).await?;
        Ok(())
    }

    /// The request failed in a way worth retrying (a server error): free the key.
    pub async fn abandon_idempotent(&self, claim: Claim) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        storage::idempotency::release(&mut conn, &claim.owner, &claim.key).await?;
        Ok(())
    }
}

/// The fields of an answer that hold secrets.
const SECRET_FIELDS: &[&str] = &["token"];

/// An answer as stored for replays: its secret fields removed and `tokenWithheld: true` said
/// instead; anything that is not a JSON object is not kept at all.
pub fn without_secrets(body: &[u8]) -> Vec<u8> {
    let mut value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => serde_json::Value::Object(map),
        _ => return br#"{"tokenWithheld":true}"#.to_vec(),
    };
    if let Some(map) = value.as_object_mut() {
        for field in SECRET_FIELDS {
            map.remove(*field);
        }
        map.insert("tokenWithheld".into(), serde_json::Value::Bool(true));
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_answers_keep_no_secret() {
        let body = br#"{"agent":{"id":"x","name":"Scout"},"token":"mca_secret","created":true}"#;
        let stored = String::from_utf8(without_secrets(body)).unwrap();
        assert!(!stored.contains("mca_secret"), "{stored}");
        assert!(stored.contains(r#""tokenWithheld":true"#) && stored.contains("Scout"), "{stored}");
        assert_eq!(without_secrets(b"mca_secret"), br#"{"tokenWithheld":true}"#.to_vec());
    }
}
