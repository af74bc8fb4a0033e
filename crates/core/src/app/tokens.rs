//! API tokens: operators' (`token create`, `POST /api/tokens`, the bootstrap `http.admin_token`)
//! and agents' (issued at registration, rotated). A token is shown once and only its SHA-256 is
//! kept. Tokens can expire, be revoked (by name or id) and be listed without their secret; an
//! agent's new token retires its older ones. Every change is audited; using a token is recorded
//! as `last_used_at` at most once a minute (so authenticating stays a read).

use super::guards::{lock_agent, require_active_agent, require_self};
use super::work::Work;
use super::{require, App, AppError, AppResult, PageRequest};
use crate::model::{Agent, ApiToken, IssuedToken, Operator, Page};
use crate::storage;
use crate::storage::tokens::{NewToken, TokenFilter, TokenRow};
use chrono::{DateTime, Duration, Utc};
use mc_domain::credentials::{self, TokenFacts, TokenKind};
use mc_domain::i18n::Msg;
use mc_domain::{Actor, OperatorRole, Right, TokenRetirement};
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

const OPERATOR_PREFIX: &str = "mco_";
const AGENT_PREFIX: &str = "mca_";
/// How many characters of a generated token are kept to tell it apart (`mco_AbCd`).
const SHOWN_PREFIX: usize = 8;
/// The name of the token `http.admin_token` makes.
pub const BOOTSTRAP_NAME: &str = "bootstrap admin (http.admin_token)";

pub(crate) fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random token: prefix + 40 alphanumerics (~238 bits).
fn generate(prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(&mut rand::rng(), 40))
}

/// The kept beginning of a generated token (ASCII, so slicing by bytes is slicing by characters).
/// A new operator (`operator_name`, `role`) and its token `new`, audited as
/// `operator.token_created` with `audit` added to the event's data. The token's id.
async fn insert_operator_token(
    w: &mut Work,
    operator_name: &str,
    role: OperatorRole,
    new: NewToken<'_>,
    mut audit: serde_json::Value,
) -> AppResult<Uuid> {
    let now = w.now;
    let operator = storage::operators::insert(w.conn(), operator_name, role, None, now).await?;
    let new = NewToken {
        operator_id: Some(operator.id),
        ..new
    };
    let id = storage::tokens::insert(w.conn(), &new, now).await?;
    w.token_created();
    audit["name"] = json!(new.name);
    audit["role"] = json!(role);
    audit["operatorId"] = json!(operator.id);
    w.audit(None, "operator.token_created", "api_token", id, audit).await?;
    Ok(id)
}

fn shown_prefix(token: &str) -> &str {
    token.get(..SHOWN_PREFIX).unwrap_or_default()
}

/// What `token create` and `POST /api/tokens` take.
#[derive(Debug, Clone)]
pub struct CreateToken {
    pub name: String,
    pub role: OperatorRole,
    /// None: it never expires (it can still be revoked).
    pub expires_in: Option<Duration>,
}

/// A token named by its id or by its name (`token revoke <name|id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRef {
    Id(Uuid),
    Name(String),
}

impl TokenRef {
    pub fn parse(input: &str) -> Self {
        let input = input.trim();
        match Uuid::parse_str(input) {
            Ok(id) => TokenRef::Id(id),
            Err(_) => TokenRef::Name(input.to_string()),
        }
    }
}

/// Which tokens to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenQuery {
    pub kind: Option<TokenKind>,
    /// Also agents' tokens retired by a newer one (one per re-registration).
    pub with_rotated: bool,
    pub page: PageRequest,
}

/// An agent's fresh token; its older ones no longer work.
#[derive(Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedToken {
    pub agent: Agent,
    /// The new token: store it now, it is not kept and cannot be shown again.
    pub token: String,
    /// How many older tokens of the agent it retired.
    pub retired: u64,
}

impl std::fmt::Debug for RotatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedToken")
            .field("agent", &self.agent)
            .field("token", &credentials::redacted(&self.token))
            .field("retired", &self.retired)
            .finish()
    }
}

fn facts(row: &TokenRow) -> TokenFacts {
    TokenFacts {
        revoked_at: row.revoked_at,
        retired_as: row.retired_as,
        expires_at: row.expires_at,
        holder_revoked_at: row.operator_revoked_at,
    }
}

fn kind(row: &TokenRow) -> TokenKind {
    match row.operator_id {
        Some(_) => TokenKind::Operator,
        None => TokenKind::Agent,
    }
}

pub(crate) fn view(row: TokenRow, now: DateTime<Utc>) -> ApiToken {
    ApiToken {
        kind: kind(&row),
        state: credentials::state(&facts(&row), now),
        id: row.id,
        name: row.name,
        role: row.operator_role,
        operator_id: row.operator_id,
        agent_id: row.agent_id,
        agent_project: row.agent_project_slug,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

/// The token a request was made with, as a long wait needs it: the wait ends when the token
/// stops working (revoked, rotated, its holder revoked) and never outlives its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credential {
    pub token_id: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
}

/// How often, at most, the memory of valid tokens is read again when a token it does not hold
/// turns up from a throttled address.
const LIVE_TOKENS_REREAD: std::time::Duration = std::time::Duration::from_secs(1);

/// Why each of these tokens no longer authenticates at `now` (an unknown id: gone).
pub(crate) async fn refused_tokens(conn: &mut sqlx::PgConnection, ids: &[Uuid], now: DateTime<Utc>) -> AppResult<HashMap<Uuid, Msg>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = storage::tokens::by_ids(conn, ids).await?;
    let mut refused: HashMap<Uuid, Msg> = ids.iter().map(|id| (*id, Msg::new("err-token-unknown"))).collect();
    // Not an API token: perhaps a cockpit session.
    let others: Vec<Uuid> = ids.iter().filter(|id| !rows.iter().any(|r| r.id == **id)).copied().collect();
    if !others.is_empty() {
        for session in storage::app_sessions::by_ids(conn, &others).await? {
            match session_check(&session, now) {
                Ok(()) => {
                    refused.remove(&session.id);
                }
                Err(message) => {
                    refused.insert(session.id, message);
                }
            }
        }
    }
    for row in rows {
        match credentials::check(&facts(&row), now) {
            Ok(()) => {
                refused.remove(&row.id);
            }
            Err(refusal) => {
                refused.insert(row.id, refusal.message());
            }
        }
    }
    Ok(refused)
}

/// Why a cockpit session no longer works at `now`, if it does not.
fn session_check(row: &storage::app_sessions::SessionRow, now: DateTime<Utc>) -> Result<(), Msg> {
    if let Some(at) = row.operator_revoked_at {
        return Err(Msg::new("err-token-revoked").with("at", mc_domain::i18n::time(at)));
    }
    if row.expires_at <= now {
        return Err(Msg::new("err-token-expired").with("at", mc_domain::i18n::time(row.expires_at)));
    }
    Ok(())
}

/// Creates a token for an agent inside the caller's transaction and retires the agent's older
/// ones; returns the plaintext and how many it retired. The agent's open waits are woken: those
/// opened with a retired token end with 401.
pub(crate) async fn issue_agent_token(w: &mut Work, agent_id: Uuid, name: &str) -> AppResult<(String, u64)> {
    let token = generate(AGENT_PREFIX);
    let now = w.now;
    let hashed = hash(&token);
    let id = storage::tokens::insert(
        w.conn(),
        &NewToken {
            hash: &hashed,
            prefix: shown_prefix(&token),
            name,
            operator_id: None,
            agent_id: Some(agent_id),
            expires_at: None,
        },
        now,
    )
    .await?;
    w.token_created();
    let retired = storage::tokens::rotate_agent(w.conn(), agent_id, id, now).await?;
    if retired > 0 {
        w.wake(agent_id);
    }
    Ok((token, retired))
}

impl App {
    /// Creates an operator with an API token (CAO, or the CLI); the token is returned once.
    /// A name is unique among the tokens not revoked, so `token revoke <name>` names one.
    pub async fn create_token(&self, actor: &Actor, input: CreateToken) -> AppResult<IssuedToken> {
        require(actor, Right::ManageTokens)?;
        let name = mc_domain::ProjectName::parse(&input.name).map_err(|e| AppError::validation("name", e.message))?;
        if let Some(lifetime) = input.expires_in {
            if lifetime <= Duration::zero() || lifetime > Duration::days(credentials::MAX_LIFETIME_DAYS) {
                return Err(AppError::validation(
                    "expiresIn",
                    Msg::new("err-token-lifetime").with("input", lifetime.to_string()),
                ));
            }
        }
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        if storage::tokens::operator_name_taken(w.conn(), name.as_str()).await? {
            return Err(AppError::conflict(
                "token_name_taken",
                Msg::new("err-token-name-taken").with("name", name.as_str()),
            ));
        }
        let token = generate(OPERATOR_PREFIX);
        let expires_at = input.expires_in.map(|d| now + d);
        let new = NewToken {
            hash: &hash(&token),
            prefix: shown_prefix(&token),
            name: name.as_str(),
            operator_id: None,
            agent_id: None,
            expires_at,
        };
        let id = insert_operator_token(&mut w, name.as_str(), input.role, new, json!({ "expiresAt": expires_at })).await?;
        let row = storage::tokens::by_id(w.conn(), id)
            .await?
            .ok_or_else(|| AppError::not_found("token", id))?;
        w.commit().await?;
        Ok(IssuedToken {
            token,
            info: view(row, now),
        })
    }

    /// [`App::create_token`] without an expiry, answering the operator it made.
    pub async fn create_operator_token(&self, actor: &Actor, name: &str, role: OperatorRole) -> AppResult<(Operator, String)> {
        let issued = self
            .create_token(
                actor,
                CreateToken {
                    name: name.to_string(),
                    role,
                    expires_in: None,
                },
            )
            .await?;
        let operator_id = issued.info.operator_id.expect("an operator token");
        let mut conn = self.pool.acquire().await?;
        let operator = storage::operators::by_id(&mut conn, operator_id)
            .await?
            .ok_or_else(|| AppError::not_found("operator", operator_id))?;
        Ok((operator, issued.token))
    }

    /// The tokens, newest first, without their secrets (CAO).
    pub async fn list_tokens(&self, actor: &Actor, query: TokenQuery) -> AppResult<Page<ApiToken>> {
        require(actor, Right::ManageTokens)?;
        let mut conn = self.pool.acquire().await?;
        let (rows, total) = storage::tokens::list(
            &mut conn,
            &TokenFilter {
                operators: query.kind.map(|k| k == TokenKind::Operator),
                with_rotated: query.with_rotated,
                limit: query.page.limit,
                offset: query.page.offset,
            },
        )
        .await?;
        let now = self.now();
        Ok(Page {
            items: rows.into_iter().map(|row| view(row, now)).collect(),
            total,
        })
    }

    /// Revokes a token at once, by id or by name (CAO, or the CLI). A name that several tokens
    /// still carry (an operator's and an agent's) is refused with their ids.
    pub async fn revoke_token(&self, actor: &Actor, which: &TokenRef) -> AppResult<ApiToken> {
        require(actor, Right::ManageTokens)?;
        let id = match which {
            TokenRef::Id(id) => *id,
            TokenRef::Name(name) => {
                let mut conn = self.pool.acquire().await?;
                let ids = storage::tokens::unretired_named(&mut conn, name).await?;
                match ids.as_slice() {
                    [id] => *id,
                    [] => {
                        let known = storage::tokens::unretired_names(&mut conn, 20).await?;
                        return Err(AppError::not_found_among("token", name, &known, "err-hint-no-tokens"));
                    }
                    many => {
                        let ids: Vec<String> = many.iter().map(Uuid::to_string).collect();
                        return Err(AppError::conflict(
                            "ambiguous_token_name",
                            Msg::new("err-token-name-ambiguous")
                                .with("name", name)
                                .count("count", many.len() as f64)
                                .with("ids", ids.join(", ")),
                        ));
                    }
                }
            }
        };
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        if !storage::tokens::lock(w.conn(), id).await? {
            return Err(AppError::not_found("token", id));
        }
        let before = storage::tokens::by_id(w.conn(), id)
            .await?
            .ok_or_else(|| AppError::not_found("token", id))?;
        if let Some(at) = before.revoked_at {
            return Err(AppError::conflict(
                "already_revoked",
                Msg::new("err-token-already-revoked")
                    .with("name", &before.name)
                    .with("at", mc_domain::i18n::time(at)),
            ));
        }
        storage::tokens::retire(w.conn(), id, TokenRetirement::Revoked, now).await?;
        // Waits opened with the token end now (401), not when they time out.
        if let Some(agent_id) = before.agent_id {
            w.wake(agent_id);
        }
        let (action, project_id) = match kind(&before) {
            TokenKind::Operator => ("operator.token_revoked", None),
            TokenKind::Agent => ("agent.token_revoked", before.agent_project_id),
        };
        w.audit(
            project_id,
            action,
            "api_token",
            id,
            json!({ "name": before.name, "kind": kind(&before), "role": before.operator_role, "agentId": before.agent_id }),
        )
        .await?;
        let after = storage::tokens::by_id(w.conn(), id)
            .await?
            .ok_or_else(|| AppError::not_found("token", id))?;
        w.commit().await?;
        Ok(view(after, now))
    }

    /// A fresh token for an agent, retiring its older ones: the agent itself (while it may act)
    /// or a CAO. The answer is the only place the new token is ever shown.
    pub async fn rotate_agent_token(&self, actor: &Actor, agent_id: Uuid) -> AppResult<RotatedToken> {
        match actor {
            Actor::Agent { .. } => require_self(actor, agent_id)?,
            _ => require(actor, Right::ManageTokens)?,
        }
        let mut w = Work::begin(self, actor).await?;
        if actor.agent_id().is_some() {
            require_active_agent(&mut w).await?;
        }
        let agent = lock_agent(&mut w, agent_id).await?;
        let (token, retired) = issue_agent_token(&mut w, agent.id, &agent.name).await?;
        w.audit(
            Some(agent.project_id),
            "agent.token_rotated",
            "agent",
            agent.id,
            json!({ "name": agent.name, "retired": retired }),
        )
        .await?;
        w.commit().await?;
        Ok(RotatedToken { agent, token, retired })
    }

    /// Whether anyone can use the API yet: a live operator token exists (the bootstrap token
    /// of `http.admin_token` included). `serve` says how to make the first one when not.
    pub async fn has_operator_tokens(&self) -> AppResult<bool> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::tokens::any_live_operator_token(&mut conn, self.now()).await?)
    }

    /// The actor a bearer token stands for. An unknown, revoked (or retired by a newer one) and
    /// expired token each get their own refusal. One read per request; the use is recorded at
    /// most once a minute.
    pub async fn authenticate(&self, token: &str) -> AppResult<Actor> {
        Ok(self.authenticate_credential(token).await?.0)
    }

    /// The same, with the token itself (which one, until when), for calls that wait.
    pub async fn authenticate_credential(&self, token: &str) -> AppResult<(Actor, Credential)> {
        let unknown = || AppError::Unauthenticated(Msg::new("err-token-unknown"));
        if !credentials::plausible_token(token) {
            return Err(unknown());
        }
        let mut conn = self.pool.acquire().await?;
        if token.starts_with(mc_domain::webapp::SESSION_PREFIX) {
            return self.authenticate_session(&mut conn, token).await;
        }
        let row = storage::tokens::by_hash(&mut conn, &hash(token)).await?.ok_or_else(unknown)?;
        let now = self.now();
        credentials::check(&facts(&row), now).map_err(|refusal| AppError::Unauthenticated(refusal.message()))?;
        let actor = match (&row.operator_id, &row.agent_id) {
            (Some(id), _) => Actor::Operator {
                id: *id,
                name: row.operator_name.clone().unwrap_or_default(),
                role: row.operator_role.ok_or_else(unknown)?,
            },
            (None, Some(id)) => Actor::Agent {
                id: *id,
                project_id: row.agent_project_id.ok_or_else(unknown)?,
                name: row.agent_name.clone().unwrap_or_default(),
            },
            (None, None) => return Err(unknown()),
        };
        if credentials::needs_touch(row.last_used_at, now) {
            // Bookkeeping, not a change of state: a failure to record it does not refuse the caller.
            if let Err(err) = storage::tokens::touch(&mut conn, row.id, now, credentials::LAST_USED_RESOLUTION).await {
                tracing::warn!(token = %row.id, error = %err, "could not record the token's last use");
            }
        }
        Ok((
            actor,
            Credential {
                token_id: row.id,
                expires_at: row.expires_at,
            },
        ))
    }

    /// A cockpit session's operator (`app_sessions`): live until it expires or its operator
    /// is revoked; the role is the operator's as of now.
    async fn authenticate_session(&self, conn: &mut sqlx::PgConnection, token: &str) -> AppResult<(Actor, Credential)> {
        let row = storage::app_sessions::by_hash(conn, &hash(token))
            .await?
            .ok_or_else(|| AppError::Unauthenticated(Msg::new("err-token-unknown")))?;
        session_check(&row, self.now()).map_err(AppError::Unauthenticated)?;
        Ok((
            Actor::Operator {
                id: row.operator_id,
                name: row.operator_name,
                role: row.operator_role,
            },
            Credential {
                token_id: row.id,
                expires_at: Some(row.expires_at),
            },
        ))
    }

    /// Whether `token` works, from memory: read again at most once a second (at once after a
    /// token was created in this process), so a flood of guesses from a throttled address costs
    /// the database at most one query a second while a valid token still passes. A token
    /// revoked since the last read passes here and is refused by [`App::authenticate`]; a read
    /// that fails says no (fail closed).
    pub async fn token_is_live(&self, token: &str) -> bool {
        let hashed = hash(token);
        {
            let mut state = self.live_tokens.state.lock().expect("live tokens");
            if state.0.contains(&hashed) {
                return true;
            }
            if state.1.is_some_and(|at| at.elapsed() < LIVE_TOKENS_REREAD) {
                return false;
            }
            state.1 = Some(std::time::Instant::now());
        }
        let read = async {
            let mut conn = self.pool.acquire().await?;
            let mut hashes = storage::tokens::live_hashes(&mut conn, self.now()).await?;
            hashes.extend(storage::app_sessions::live_hashes(&mut conn, self.now()).await?);
            Ok::<_, sqlx::Error>(hashes)
        };
        match read.await {
            Ok(hashes) => {
                let live: HashSet<Vec<u8>> = hashes.into_iter().collect();
                let known = live.contains(&hashed);
                self.live_tokens.state.lock().expect("live tokens").0 = live;
                known
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the valid tokens; a throttled address's token is refused");
                false
            }
        }
    }

    /// Why the token a wait was opened with no longer works, if it does not (None: it does).
    pub(crate) async fn credential_refusal(&self, held: Option<&Credential>) -> AppResult<Option<Msg>> {
        let Some(held) = held else { return Ok(None) };
        let mut conn = self.pool.acquire().await?;
        Ok(refused_tokens(&mut conn, &[held.token_id], self.now())
            .await?
            .remove(&held.token_id))
    }

    /// Which of these tokens no longer work (revoked, retired, expired, gone), in one read.
    pub async fn refused_credentials(&self, token_ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
        if token_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut conn = self.pool.acquire().await?;
        Ok(refused_tokens(&mut conn, token_ids, self.now()).await?.into_keys().collect())
    }

    /// Makes `http.admin_token` a live CAO token (and retires the one it replaced); an empty
    /// setting retires it. Run at start. A bootstrap token someone revoked stays revoked: the
    /// configuration must name a new one. Nothing of the token is kept but its hash.
    pub async fn ensure_bootstrap_token(&self, token: &str) -> AppResult<()> {
        let token = token.trim();
        let system = Actor::system("config");
        let mut w = Work::begin(self, &system).await?;
        let now = w.now;
        if token.is_empty() {
            let retired = storage::tokens::replace_named_except(w.conn(), BOOTSTRAP_NAME, None, now).await?;
            if retired > 0 {
                w.audit(
                    None,
                    "operator.token_revoked",
                    "api_token",
                    BOOTSTRAP_NAME,
                    json!({ "source": "config", "retired": retired }),
                )
                .await?;
                w.commit().await?;
            }
            return Ok(());
        }
        if !credentials::strong_admin_token(token) {
            return Err(AppError::validation("http.admin_token", Msg::new("err-admin-token")));
        }
        let hashed = hash(token);
        if let Some(existing) = storage::tokens::by_hash(w.conn(), &hashed).await? {
            if let Some(at) = existing.revoked_at {
                tracing::warn!(
                    revoked_at = %at,
                    "http.admin_token was revoked and stays revoked: configure a new one (or create tokens with `token create`)"
                );
            }
            return Ok(());
        }
        let replaced = storage::tokens::replace_named_except(w.conn(), BOOTSTRAP_NAME, Some(&hashed), now).await?;
        let new = NewToken {
            hash: &hashed,
            prefix: "",
            name: BOOTSTRAP_NAME,
            operator_id: None,
            agent_id: None,
            expires_at: None,
        };
        let audit = json!({ "source": "config", "replaced": replaced });
        insert_operator_token(&mut w, "admin", OperatorRole::Cao, new, audit).await?;
        w.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_ids_or_names() {
        let id = Uuid::new_v4();
        assert_eq!(TokenRef::parse(&format!(" {id} ")), TokenRef::Id(id));
        assert_eq!(TokenRef::parse("ops-script"), TokenRef::Name("ops-script".into()));
    }

    #[test]
    fn generated_tokens_keep_only_a_short_prefix() {
        let token = generate(OPERATOR_PREFIX);
        assert_eq!(token.len(), 44);
        assert_eq!(shown_prefix(&token), &token[..8]);
        assert_eq!(shown_prefix("abc"), "");
    }
}
