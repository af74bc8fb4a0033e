//! What a use case acting on an agent checks and locks first: the agent exists in the
//! actor's project, acts only as itself, may act at all (not paused or quarantined), and the one
//! lock order (project, then agent). Agents' and tokens' use cases both start here.

use super::work::Work;
use super::{require_project, AppError, AppResult};
use crate::model::Agent;
use crate::storage;
use mc_domain::i18n::Msg;
use mc_domain::Actor;
use uuid::Uuid;

/// Locks the agent's project and then the agent: the one lock order for use cases that write
/// both (a squad pause locks the project, then its agents; an approval request numbers its
/// approval on the project), so that they cannot deadlock each other.
pub(crate) async fn lock_project_then_agent(w: &mut Work, id: Uuid) -> AppResult<Agent> {
    let project_id = storage::agents::by_id(w.conn(), id)
        .await?
        .ok_or_else(|| AppError::not_found("agent", id))?
        .project_id;
    storage::projects::lock(w.conn(), project_id)
        .await?
        .ok_or_else(|| AppError::not_found("project", project_id))?;
    lock_agent(w, id).await
}

pub(crate) async fn lock_agent(w: &mut Work, id: Uuid) -> AppResult<Agent> {
    let agent = storage::agents::lock(w.conn(), id)
        .await?
        .ok_or_else(|| AppError::not_found("agent", id))?;
    require_project(&w.actor, agent.project_id)?;
    Ok(agent)
}

/// An agent may act only as itself.
pub(crate) fn require_self(actor: &Actor, agent_id: Uuid) -> AppResult<()> {
    match actor {
        Actor::Agent { id, name, .. } if *id != agent_id => Err(AppError::forbidden(Msg::new("err-agent-only-itself").with("agent", name))),
        _ => Ok(()),
    }
}

/// The acting agent must be active to do anything but heartbeat and report costs.
pub(crate) async fn require_active_agent(w: &mut Work) -> AppResult<Option<Agent>> {
    let Some(agent_id) = w.actor.agent_id() else { return Ok(None) };
    let agent = storage::agents::by_id(w.conn(), agent_id)
        .await?
        .ok_or_else(|| AppError::not_found("agent", agent_id))?;
    if !agent.status.may_act() {
        let message = Msg::new("err-agent-may-not-act")
            .with("agent", &agent.name)
            .agent_status("status", agent.status);
        return Err(AppError::forbidden(match agent.status_reason.as_deref() {
            Some(reason) => Msg::new("err-with-reason").nested("message", message).with("reason", reason),
            None => message,
        }));
    }
    Ok(Some(agent))
}
