//! Who acts, and what each kind of actor may do.

use super::i18n::Msg;
use super::types::{ActorKind, OperatorRole};
use super::values::Invalid;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A human: a Telegram user or the holder of an operator API token.
    Operator { id: Uuid, name: String, role: OperatorRole },
    /// An agent, acting only as itself and only in its own project.
    Agent { id: Uuid, project_id: Uuid, name: String },
    /// A scheduled job, the policy engine, or the CLI acting for the installation.
    System { name: String },
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Actor::System { name: name.to_string() }
    }

    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::Operator { .. } => ActorKind::Human,
            Actor::Agent { .. } => ActorKind::Agent,
            Actor::System { .. } => ActorKind::System,
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::Operator { id, .. } | Actor::Agent { id, .. } => Some(*id),
            Actor::System { .. } => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Operator { name, .. } | Actor::Agent { name, .. } | Actor::System { name } => name,
        }
    }

    pub fn agent_id(&self) -> Option<Uuid> {
        match self {
            Actor::Agent { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The agent an operation of the agents' protocol is for (a run, an approval request):
    /// the one named, else the acting agent itself — an agent's token implies its `agentId`; an
    /// operator acting for an agent must name it. Whether the actor may act for the agent named
    /// is the use case's check (an agent only as itself).
    pub fn agent_meant(&self, named: Option<Uuid>) -> Result<Uuid, Invalid> {
        match (named, self) {
            (Some(id), _) => Ok(id),
            (None, Actor::Agent { id, .. }) => Ok(*id),
            (None, _) => Err(Invalid::new("agentId", Msg::new("err-agent-id-required"))),
        }
    }
}

/// The rights an operator role grants. Agents' rights are narrower and depend on what they
/// act upon (their own tasks, their own runs), so use cases check those case by case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, Serialize, serde::Deserialize)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Right {
    Read,
    /// Choosing which project a chat's commands act on (`/switch`): it changes what everyone in
    /// that chat acts on, so a viewer may not.
    SwitchProject,
    ManageTasks,
    Comment,
    /// Answering the questions agents ask: operators do, viewers only read them.
    AnswerQuestions,
    ControlAgents,
    PauseSquad,
    ResolveAlerts,
    RegisterAgents,
    DecideApprovals,
    SetBudgets,
    ReleaseAgents,
    ResetAgents,
    ManageProjects,
    ManageOperators,
    /// Creating, listing and revoking API tokens (and rotating any agent's).
    ManageTokens,
    RunJobs,
}

/// The least role that holds `right`.
pub fn least_role_for(right: Right) -> OperatorRole {
    use Right::*;
    match right {
        Read => OperatorRole::Viewer,
        SwitchProject | ManageTasks | Comment | AnswerQuestions | ControlAgents | PauseSquad | ResolveAlerts | RegisterAgents => {
            OperatorRole::Operator
        }
        // Sofie's authority: decisions, money, un-quarantining, resets, projects, people.
        DecideApprovals | SetBudgets | ReleaseAgents | ResetAgents | ManageProjects | ManageOperators | ManageTokens | RunJobs => {
            OperatorRole::Cao
        }
    }
}

pub fn role_has(role: OperatorRole, right: Right) -> bool {
    role >= least_role_for(right)
}

/// What an operator does to an agent's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum StatusCommand {
    Pause,
    Resume,
    Quarantine,
    Release,
    /// Back to work with a clean error streak (the runbook's "restart agent").
    Restart,
}

impl StatusCommand {
    /// The right the command needs: un-quarantining is the CAO's, the rest any operator's.
    pub fn right(self) -> Right {
        match self {
            StatusCommand::Release => Right::ReleaseAgents,
            _ => Right::ControlAgents,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_increasing_rights() {
        assert!(role_has(OperatorRole::Viewer, Right::Read));
        assert!(!role_has(OperatorRole::Viewer, Right::ManageTasks));
        assert!(role_has(OperatorRole::Operator, Right::PauseSquad));
        assert!(!role_has(OperatorRole::Operator, Right::DecideApprovals));
        assert!(!role_has(OperatorRole::Operator, Right::SetBudgets));
        assert!(!role_has(OperatorRole::Viewer, Right::SwitchProject));
        assert!(role_has(OperatorRole::Operator, Right::SwitchProject));
        assert!(!role_has(OperatorRole::Operator, Right::ManageTokens));
        for right in [Right::DecideApprovals, Right::SetBudgets, Right::ManageOperators, Right::Read] {
            assert!(role_has(OperatorRole::Cao, right));
        }
    }

    #[test]
    fn actor_identity() {
        let agent = Actor::Agent {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            name: "Scout".into(),
        };
        assert_eq!(agent.kind(), ActorKind::Agent);
        assert_eq!(agent.agent_id(), Some(Uuid::nil()));
        assert_eq!(Actor::system("approval_expiry").id(), None);
    }
}
