use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::storage;
use mc_domain::i18n::{Msg, Said};
use mc_domain::{Actor, Reason, Right};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SquadChange {
    pub project_id: Uuid,
    pub squad_paused: bool,
    /// The agents whose status this changed.
    pub agents: Vec<String>,
}

/// Pauses the squad inside the caller's transaction (rights checked by the caller): the
/// project's flag, its active agents, their notifications, the audit event and the chat's
/// notice. Lock order: the project, then its agents (see `guards::lock_project_then_agent`).
pub(crate) async fn pause_squad_in(w: &mut Work, project_id: Uuid, reason: Option<&Reason>) -> AppResult<SquadChange> {
    let now = w.now;
    storage::projects::lock(w.conn(), project_id)
        .await?
        .ok_or_else(|| AppError::not_found("project", project_id))?;
    storage::projects::set_squad_paused(w.conn(), project_id, true, now).await?;
    let said = match &reason {
        Some(typed) => Said::from(typed.as_str()),
        None => Said::from(Msg::new("why-squad-paused")),
    };
    let reason_text = said.to_string();
    let paused = storage::agents::pause_all_active(w.conn(), project_id, "squad", &said, now).await?;
    let names: Vec<String> = paused.iter().map(|a| a.name.clone()).collect();
    let ids: Vec<Uuid> = paused.iter().map(|a| a.id).collect();
    w.notify_each(
        &ids,
        "status_changed",
        format!("squad paused by {}: {reason_text}", w.actor.name()),
        json!({ "to": "paused", "cause": "squad" }),
    )
    .await?;
    w.audit(
        Some(project_id),
        "squad.paused",
        "project",
        project_id,
        json!({ "agents": names, "reason": reason }),
    )
    .await?;
    w.post(
        project_id,
        Target::General,
        &Notice::SquadPaused {
            agents: names.clone(),
            actor: w.actor.name().into(),
            reason: reason.map(|r| Said::from(r.clone().into_inner())),
        },
    )
    .await?;
    Ok(SquadChange {
        project_id,
        squad_paused: true,
        agents: names,
    })
}

impl App {
    /// Pauses every active agent of the project (and only that project). Agents that were
    /// already paused, quarantined or offline keep their status and cause.
    pub async fn pause_squad(&self, actor: &Actor, project_id: Uuid, reason: Option<&str>) -> AppResult<SquadChange> {
        require(actor, Right::PauseSquad)?;
        let reason = reason.map(Reason::parse_optional).transpose()?.flatten();
        super::retry_conflicts(|| self.pause_squad_once(actor, project_id, reason.as_ref())).await
    }

    async fn pause_squad_once(&self, actor: &Actor, project_id: Uuid, reason: Option<&Reason>) -> AppResult<SquadChange> {
        let mut w = Work::begin(self, actor).await?;
        let change = pause_squad_in(&mut w, project_id, reason).await?;
        w.commit().await?;
        Ok(change)
    }

    /// Resumes the agents the squad pause paused; agents paused for their budget or by hand
    /// stay paused.
    pub async fn resume_squad(&self, actor: &Actor, project_id: Uuid) -> AppResult<SquadChange> {
        require(actor, Right::PauseSquad)?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        storage::projects::lock(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", project_id))?;
        storage::projects::set_squad_paused(w.conn(), project_id, false, now).await?;
        let resumed = storage::agents::resume_paused_by(w.conn(), project_id, "squad", now).await?;
        let names: Vec<String> = resumed.iter().map(|a| a.name.clone()).collect();
        let ids: Vec<Uuid> = resumed.iter().map(|a| a.id).collect();
        w.notify_each(
            &ids,
            "status_changed",
            format!("squad resumed by {}", actor.name()),
            json!({ "to": "active" }),
        )
        .await?;
        w.audit(Some(project_id), "squad.resumed", "project", project_id, json!({ "agents": names }))
            .await?;
        w.post(
            project_id,
            Target::General,
            &Notice::SquadResumed {
                agents: names.clone(),
                actor: actor.name().into(),
            },
        )
        .await?;
        w.commit().await?;
        Ok(SquadChange {
            project_id,
            squad_paused: false,
            agents: names,
        })
    }
}
