//! Confirmations: a destructive command (pause the squad, quarantine an agent) asks first,
//! with a one-shot button to confirm and one to dismiss. A click is one use case: the button is
//! claimed in the transaction that acts — of two clicks at once, one acts and the other finds
//! it used; an action refused or failed leaves it unclaimed, with nothing to give back — and
//! the question's message is edited, in the same transaction, to say who answered it and when.
//! Asked where the project's general notices land, the question's message becomes the notice of
//! what it did (one message in the chat for the whole action, not a question and a notice).

use super::agents::{change_status_in, StatusChange, StatusCommand};
use super::squad::{pause_squad_in, SquadChange};
use super::work::{Fold, Work};
use super::{require, retry_conflicts, App, AppResult};
use crate::model::notice::{Notice, Target};
use crate::storage;
use mc_domain::i18n::Said;
use mc_domain::{Actor, Reason, Right};
use uuid::Uuid;

/// The one-shot button clicked, and the question's new text once answered (none when the
/// question's message is out of reach).
#[derive(Debug, Clone)]
pub struct OneShot {
    pub token: String,
    pub closing: Option<Closing>,
}

/// The answered question's message, as it will read (who answered, and when).
#[derive(Debug, Clone)]
pub struct Closing {
    pub project_id: Option<Uuid>,
    pub chat_id: i64,
    pub message_id: i32,
    /// The question and who answered it.
    pub text: String,
    /// Who answered it, alone.
    pub footer: String,
    /// The question was asked where the project's general notices land: the notice of what it
    /// did becomes the question's message, not a second message.
    pub folds: bool,
}

/// Claims the button inside the use case and closes its question; false (nothing written)
/// when it was used already.
async fn claim_in(w: &mut Work, once: &OneShot) -> AppResult<bool> {
    let now = w.now;
    if !storage::chats::use_callback(w.conn(), &once.token, now).await? {
        return Ok(false);
    }
    match &once.closing {
        Some(closing) if closing.folds && closing.project_id.is_some() => w.fold_into(Fold {
            project_id: closing.project_id.expect("checked"),
            chat_id: closing.chat_id,
            message_id: closing.message_id,
            footer: closing.footer.clone(),
            otherwise: closing.text.clone(),
        }),
        Some(closing) => {
            let edit = Notice::EditReply {
                message_id: closing.message_id,
                text: closing.text.clone(),
            };
            w.post_to(closing.project_id, Target::Chat(closing.chat_id), &edit).await?;
        }
        None => {}
    }
    Ok(true)
}

impl App {
    /// "Pause the squad" confirmed (see `pause_squad`). None: the button was used already.
    pub async fn confirm_pause_squad(&self, actor: &Actor, project_id: Uuid, once: &OneShot) -> AppResult<Option<SquadChange>> {
        require(actor, Right::PauseSquad)?;
        retry_conflicts(|| async {
            let mut w = Work::begin(self, actor).await?;
            if !claim_in(&mut w, once).await? {
                return Ok(None);
            }
            let change = pause_squad_in(&mut w, project_id, None).await?;
            w.commit().await?;
            Ok(Some(change))
        })
        .await
    }

    /// "Quarantine the agent" confirmed, for the reason typed with the command (see
    /// `change_agent_status`). None: the button was used already.
    pub async fn confirm_quarantine(
        &self,
        actor: &Actor,
        agent_id: Uuid,
        reason: Option<&str>,
        once: &OneShot,
    ) -> AppResult<Option<StatusChange>> {
        let command = StatusCommand::Quarantine;
        require(actor, command.right())?;
        let reason = reason.map(Reason::parse_optional).transpose()?.flatten();
        let mut w = Work::begin(self, actor).await?;
        if !claim_in(&mut w, once).await? {
            return Ok(None);
        }
        let said = reason.map(|r| Said::from(r.into_inner()));
        let change = change_status_in(&mut w, agent_id, command, said).await?;
        w.commit().await?;
        Ok(Some(change))
    }

    /// A question dismissed: only someone holding the right it `needs` may (a viewer cannot
    /// cancel the CAO's question); nothing changes but the question. False: the button was used
    /// already.
    pub async fn dismiss_question(&self, actor: &Actor, needs: Right, once: &OneShot) -> AppResult<bool> {
        require(actor, needs)?;
        let mut w = Work::begin(self, actor).await?;
        if !claim_in(&mut w, once).await? {
            return Ok(false);
        }
        w.commit().await?;
        Ok(true)
    }
}
