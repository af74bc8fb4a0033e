//! Who holds which MCP session, so that a session is as contained as a REST call.
//!
//! rmcp keeps the sessions (its `LocalSessionManager`); this registry remembers, for each one,
//! the agent that opened it and the token it was opened with, because three rules need that:
//!
//! - **A bounded number per agent** (`limits.max_mcp_sessions_per_agent`): a leaked token cannot
//!   open sessions without end; past the bound `initialize` is answered 429 with `Retry-After`.
//! - **A session is its agent's**: a request naming another agent's session is refused.
//! - **Revocation reaches open sessions**: when the token a session was opened with stops
//!   working (revoked, rotated, its agent revoked) or expires, the session is closed within a
//!   second — its open streams end, and its id is no longer accepted. The watcher hears the
//!   same wake-ups the waits do (a revocation wakes the agent, on every replica), polls once a
//!   second while the database's notifications are not heard, and sleeps until the next expiry.

use mc_core::app::tokens::Credential;
use mc_core::app::wake::Woken;
use mc_core::app::App;
use prometheus::IntGauge;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::session::{SessionId, SessionManager};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A session's wait that the revocation also ended answers first (its 401), then the session
/// closes.
const CLOSE_AFTER: Duration = Duration::from_millis(200);

/// How often credentials are checked while the database's notifications are not heard.
const POLL_WHILE_DEAF: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Opened {
    agent_id: Uuid,
    credential: Option<Credential>,
}

#[derive(Debug, Default)]
struct State {
    open: HashMap<SessionId, Opened>,
    /// `initialize` requests in flight per agent: they count against the bound until answered.
    opening: HashMap<Uuid, usize>,
}

/// The registry (one per server).
pub struct Sessions {
    manager: Arc<LocalSessionManager>,
    state: Mutex<State>,
    max_per_agent: usize,
    /// `mc_mcp_sessions`, kept as the registry changes.
    gauge: IntGauge,
}

/// Why a request may not go on.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The agent holds `max` sessions already.
    TooMany { max: usize },
    /// The session belongs to another agent.
    NotYours,
}

/// A place for one session being opened; dropped unused, it is given back.
pub struct Opening {
    sessions: Arc<Sessions>,
    agent_id: Uuid,
    credential: Option<Credential>,
}

impl Opening {
    /// The session the `initialize` answer named (none: it was refused, nothing opened).
    pub fn opened(self, id: Option<SessionId>) {
        if let Some(id) = id {
            let opened = Opened {
                agent_id: self.agent_id,
                credential: self.credential,
            };
            let mut state = self.sessions.state.lock().expect("mcp sessions");
            state.open.insert(id, opened);
            self.sessions.gauge.set(state.open.len() as i64);
        }
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        let mut state = self.sessions.state.lock().expect("mcp sessions");
        if let Some(n) = state.opening.get_mut(&self.agent_id) {
            *n -= 1;
            if *n == 0 {
                state.opening.remove(&self.agent_id);
            }
        }
    }
}

impl Sessions {
    pub fn new(manager: Arc<LocalSessionManager>, max_per_agent: usize, gauge: IntGauge) -> Arc<Self> {
        Arc::new(Sessions {
            manager,
            state: Mutex::default(),
            max_per_agent,
            gauge,
        })
    }

    /// Forgets the sessions rmcp no longer has (deleted by their client, or idle too long).
    async fn prune(&self) {
        let live = self.manager.sessions.read().await;
        let mut state = self.state.lock().expect("mcp sessions");
        state.open.retain(|id, _| live.contains_key(id));
        self.gauge.set(state.open.len() as i64);
    }

    /// A place for a new session of `agent_id`, if it holds fewer than the bound.
    pub async fn open(self: &Arc<Self>, agent_id: Uuid, credential: Option<Credential>) -> Result<Opening, Refusal> {
        self.prune().await;
        let mut state = self.state.lock().expect("mcp sessions");
        let held = state.open.values().filter(|o| o.agent_id == agent_id).count();
        let opening = state.opening.entry(agent_id).or_insert(0);
        if held + *opening >= self.max_per_agent {
            return Err(Refusal::TooMany { max: self.max_per_agent });
        }
        *opening += 1;
        Ok(Opening {
            sessions: self.clone(),
            agent_id,
            credential,
        })
    }

    /// Whether `agent_id` may use session `id` (an id nobody registered is rmcp's to refuse).
    pub fn may_use(&self, id: &str, agent_id: Uuid) -> Result<(), Refusal> {
        match self.state.lock().expect("mcp sessions").open.get(id) {
            Some(opened) if opened.agent_id != agent_id => Err(Refusal::NotYours),
            _ => Ok(()),
        }
    }

    /// Open sessions of `agent_id`, as last seen.
    pub async fn held_by(&self, agent_id: Uuid) -> usize {
        self.prune().await;
        let state = self.state.lock().expect("mcp sessions");
        state.open.values().filter(|o| o.agent_id == agent_id).count()
    }

    /// Open sessions, as last seen (the metrics read it).
    pub fn count(&self) -> usize {
        self.state.lock().expect("mcp sessions").open.len()
    }

    /// Closes the sessions whose token no longer works, from now until `stop`.
    pub async fn watch(self: Arc<Self>, app: App, stop: CancellationToken) {
        let mut woken = app.wakes.watch_all();
        loop {
            let next_expiry = self.next_expiry(&app);
            let sleep = match app.wakes.is_listening() {
                true => next_expiry.unwrap_or(Duration::from_secs(3600)),
                false => next_expiry.map_or(POLL_WHILE_DEAF, |e| e.min(POLL_WHILE_DEAF)),
            };
            let which = tokio::select! {
                _ = stop.cancelled() => return,
                heard = woken.recv() => match heard {
                    Ok(woken) => woken,
                    Err(RecvError::Lagged(_)) => Woken::All,
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(sleep) => Woken::All,
            };
            self.close_refused(&app, which).await;
        }
    }

    /// How long until the first token of an open session expires.
    fn next_expiry(&self, app: &App) -> Option<Duration> {
        let now = app.now();
        let state = self.state.lock().expect("mcp sessions");
        state
            .open
            .values()
            .filter_map(|o| o.credential?.expires_at)
            .min()
            // Not sooner than a tenth of a second: an expired token is refused by the first check.
            .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO).max(Duration::from_millis(100)))
    }

    /// Checks the tokens of the sessions `which` concerns and closes those that stopped working.
    async fn close_refused(&self, app: &App, which: Woken) {
        self.prune().await;
        let checked: Vec<(SessionId, Uuid)> = {
            let state = self.state.lock().expect("mcp sessions");
            state
                .open
                .iter()
                .filter(|(_, o)| which == Woken::All || which == Woken::Agent(o.agent_id))
                .filter_map(|(id, o)| Some((id.clone(), o.credential?.token_id)))
                .collect()
        };
        if checked.is_empty() {
            return;
        }
        let mut ids: Vec<Uuid> = checked.iter().map(|(_, token)| *token).collect();
        ids.sort();
        ids.dedup();
        let refused = match app.refused_credentials(&ids).await {
            Ok(refused) => refused,
            Err(e) => {
                // Checked again at the next wake-up or poll; each request is still checked.
                tracing::warn!(error = %e, "mcp sessions: cannot check their tokens now");
                return;
            }
        };
        let closing: Vec<SessionId> = checked
            .into_iter()
            .filter(|(_, token)| refused.contains(token))
            .map(|(id, _)| id)
            .collect();
        if closing.is_empty() {
            return;
        }
        {
            let mut state = self.state.lock().expect("mcp sessions");
            for id in &closing {
                state.open.remove(id);
            }
            self.gauge.set(state.open.len() as i64);
        }
        let manager = self.manager.clone();
        tokio::spawn(async move {
            tokio::time::sleep(CLOSE_AFTER).await;
            for id in closing {
                if let Err(e) = manager.close_session(&id).await {
                    tracing::warn!(session = %id, error = %e, "mcp sessions: closing a session whose token stopped working");
                } else {
                    tracing::info!(session = %id, "mcp session closed: the token it was opened with no longer works");
                }
            }
        });
    }
}
