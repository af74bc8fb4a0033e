//! Inline button clicks. The `callback_data` is a token; the action behind it is read from the
//! database, and the clicker's rights are the core's to check now, at click time. Every click
//! gets a short toast (`answerCallbackQuery`).

use super::commands::show_page;
use super::request::{CmdError, Req};
use super::threads;
use crate::app::agents::StatusCommand;
use crate::app::approvals::Verdict;
use crate::app::tasks::TransitionTask;
use crate::app::{AppError, AppResult};
use crate::domain::actor::role_has;
use crate::domain::*;
use crate::i18n::Msg;
use crate::telegram::actions::ButtonAction;
use crate::telegram::render::{self, plain};
use uuid::Uuid;

/// The answer to a click: a toast, or a dialog when `alert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Toast {
    pub text: String,
    pub alert: bool,
}

impl Toast {
    pub fn new(text: String) -> Self {
        Toast { text, alert: false }
    }

    pub fn alert(text: String) -> Self {
        Toast { text, alert: true }
    }

    fn none() -> Self {
        Toast::new(String::new())
    }
}

/// Handles a click on the button whose token is `token`.
pub(crate) async fn click(req: &Req, token: &str) -> AppResult<Toast> {
    let Some(actor) = req.actor.clone() else {
        req.app
            .audit_refusal(&req.acting(), req.chat_id, &format!("button {token}"), "not an operator")
            .await?;
        return Ok(Toast::alert(req.t("bot-toast-not-operator")));
    };
    let stored = req.app.button_action(token).await?;
    let Some((action, stored)) = stored.filter(|(_, s)| s.chat_id.is_none_or(|c| c == req.chat_id)) else {
        return Ok(Toast::alert(req.t("bot-toast-expired")));
    };
    // A one-shot button is claimed before it acts: of two clicks at once, one acts and the
    // other is told it was used. A claim whose action did not happen is given back.
    if action.one_shot() && (stored.used_at.is_some() || !req.app.use_callback(token).await?) {
        return Ok(Toast::new(req.t("bot-toast-already-used")));
    }
    let what = format!("button {}", action.name());
    let acted = act(req, &actor, &action).await;
    if acted.is_err() && action.one_shot() {
        req.app.release_callback(token).await?;
    }
    match acted {
        Ok(toast) => {
            if action.one_shot() {
                close_question(req, &actor, &action).await?;
            }
            Ok(toast)
        }
        Err(err) if err.is_duplicate_update() => Err(err),
        Err(AppError::Forbidden(why)) => {
            req.app.audit_refusal(&actor, req.chat_id, &what, &why.to_string()).await?;
            Ok(Toast::alert(
                req.ta("bot-toast-forbidden", &[("reason", plain(&why.render(req.lang)))]),
            ))
        }
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(err) => Ok(Toast::alert(render::error_toast(req.lang, &err))),
    }
}

async fn act(req: &Req, actor: &Actor, action: &ButtonAction) -> AppResult<Toast> {
    let app = &req.app;
    match action {
        ButtonAction::Approve { approval_id } => match app.decide_approval(actor, *approval_id, Verdict::Approve, None).await {
            Ok(decided) => {
                let project = app.project_by_id(decided.project_id).await?;
                Ok(Toast::new(req.ta(
                    "bot-toast-approved",
                    &[("code", plain(&decided.code())), ("project", plain(&project.name))],
                )))
            }
            Err(err) => approval_toast(req, actor, *approval_id, err).await,
        },
        ButtonAction::Deny { approval_id } => match ask_deny_reason(req, actor, *approval_id).await {
            Ok(toast) => Ok(toast),
            Err(err) => approval_toast(req, actor, *approval_id, err).await,
        },
        ButtonAction::ResolveAlert { alert_id } => {
            app.resolve_alert(actor, *alert_id).await?;
            Ok(Toast::new(req.t("bot-toast-alert-resolved")))
        }
        ButtonAction::RaiseCap { alert_id, agent_id } => {
            let agent = app.get_agent(actor, *agent_id).await?;
            let spent = if agent.spend_day == app.now().date_naive() {
                agent.today_spend
            } else {
                Usd::ZERO
            };
            let cap = raised_cap(agent.budgets.daily_cap, agent.budgets.per_run_cap, spent);
            let updated = app.set_budget(actor, *agent_id, Some(cap), None).await?;
            resolve_quietly(req, actor, Some(*alert_id)).await?;
            Ok(Toast::new(req.ta(
                "bot-toast-cap-raised",
                &[("agent", plain(&updated.name)), ("cap", plain(&cap.to_string()))],
            )))
        }
        ButtonAction::KeepPaused { alert_id, agent_id } => {
            let agent = app.get_agent(actor, *agent_id).await?;
            app.resolve_alert(actor, *alert_id).await?;
            Ok(Toast::new(req.ta("bot-toast-kept-paused", &[("agent", plain(&agent.name))])))
        }
        ButtonAction::QuarantineAgent { alert_id, agent_id } => {
            let change = app
                .change_agent_status_because(actor, *agent_id, StatusCommand::Quarantine, Msg::new("why-quarantined-from-alert"))
                .await?;
            resolve_quietly(req, actor, *alert_id).await?;
            Ok(agent_toast(req, &change.agent.name, change.agent.status))
        }
        ButtonAction::RestartAgent { alert_id, agent_id } => {
            let change = app.change_agent_status(actor, *agent_id, StatusCommand::Restart, None).await?;
            resolve_quietly(req, actor, *alert_id).await?;
            Ok(agent_toast(req, &change.agent.name, change.agent.status))
        }
        ButtonAction::UnblockTask { alert_id, task_id } => {
            let outcome = move_task(
                req,
                actor,
                *task_id,
                TaskStatus::Assigned,
                Msg::new("why-unblocked-from-loop-alert"),
            )
            .await?;
            resolve_quietly(req, actor, *alert_id).await?;
            Ok(task_toast(req, outcome.task.number, outcome.task.status))
        }
        ButtonAction::ReassignTask { alert_id, task_id } => {
            // Back to the pool (out of blocked, unassigned, to inbox): one use case, one commit.
            let task = app
                .return_task_to_pool(actor, *task_id, Msg::new("why-reassign-after-loop"))
                .await?;
            resolve_quietly(req, actor, *alert_id).await?;
            Ok(task_toast(req, task.number, task.status))
        }
        ButtonAction::CancelTask { alert_id, task_id } => {
            let outcome = move_task(req, actor, *task_id, TaskStatus::Canceled, Msg::new("why-canceled-from-loop-alert")).await?;
            resolve_quietly(req, actor, *alert_id).await?;
            Ok(task_toast(req, outcome.task.number, outcome.task.status))
        }
        ButtonAction::ConfirmPauseSquad { project_id } => {
            let project = app.project_by_id(*project_id).await?;
            let change = app.pause_squad(actor, *project_id, None).await?;
            if !req.sees_general_of(*project_id) {
                req.say(render::squad_change(req.lang, &project.name, &change)).await?;
            }
            Ok(Toast::new(req.t("bot-toast-squad-paused")))
        }
        ButtonAction::ConfirmQuarantine { agent_id, reason } => {
            let change = app
                .change_agent_status(actor, *agent_id, StatusCommand::Quarantine, reason.as_deref())
                .await?;
            let key = if change.changed { "bot-agent-now" } else { "bot-agent-unchanged" };
            if !(change.changed && req.sees_general_of(change.agent.project_id)) {
                req.say(req.ta(
                    key,
                    &[
                        ("agent", crate::i18n::text(&change.agent.name)),
                        ("status", plain(&render::agent_status(req.lang, change.agent.status))),
                    ],
                ))
                .await?;
            }
            Ok(agent_toast(req, &change.agent.name, change.agent.status))
        }
        ButtonAction::MoveTask { task_id, to } => Ok(Toast::new(threads::move_button(req, actor, *task_id, *to).await?)),
        ButtonAction::AssignTask { task_id } => Ok(Toast::new(threads::assign_button(req, actor, *task_id).await?)),
        ButtonAction::AssignTaskTo { task_id, agent_id } => Ok(Toast::new(threads::assign_to(req, actor, *task_id, *agent_id).await?)),
        ButtonAction::Dismiss { needs } => {
            // Only someone who could answer the question may dismiss it.
            crate::app::check_right(actor, *needs)?;
            Ok(Toast::new(req.t("bot-toast-dismissed")))
        }
        ButtonAction::Page { list, page, filter } => match show_page(req, *list, *page, filter.clone()).await {
            Ok(()) => Ok(Toast::none()),
            Err(CmdError::App(err)) => Err(err),
            Err(CmdError::NoProject) => Ok(Toast::alert(req.t("bot-no-project"))),
            Err(_) => Ok(Toast::alert(req.t("bot-toast-expired"))),
        },
    }
}

/// A confirmation once answered: its message says who confirmed or canceled it and when, and
/// its buttons go (through the outbox, like every message the bot sends).
async fn close_question(req: &Req, actor: &Actor, action: &ButtonAction) -> AppResult<()> {
    let Some((message_id, question)) = &req.clicked else {
        return Ok(());
    };
    let key = match action {
        ButtonAction::Dismiss { .. } => "bot-question-canceled",
        _ => "bot-question-confirmed",
    };
    let at = req.app.now().format("%Y-%m-%d %H:%M UTC").to_string();
    let outcome = req.ta(key, &[("by", crate::i18n::text(actor.name())), ("at", plain(&at))]);
    let text = format!("{}\n\n{outcome}", crate::i18n::html_escape(question));
    let project_id = req.ctx.project.as_ref().map(|p| p.id);
    req.app.edit_reply(actor, project_id, req.chat_id, *message_id, text).await
}

/// A click on an approval that cannot be decided (already decided, expired): the toast says so
/// naming the approval's project. Other failures (a refusal, a redelivery) go on as they are.
async fn approval_toast(req: &Req, actor: &Actor, approval_id: Uuid, err: AppError) -> AppResult<Toast> {
    if !matches!(
        err,
        AppError::AlreadyDecided { .. }
            | AppError::Conflict {
                code: "approval_expired",
                ..
            }
    ) {
        return Err(err);
    }
    let approval = req.app.get_approval(actor, approval_id).await?;
    let project = req.app.project_by_id(approval.project_id).await?;
    Ok(Toast::alert(req.ta(
        "bot-toast-approval-about",
        &[
            ("project", plain(&project.name)),
            ("message", plain(&render::error_toast(req.lang, &err))),
        ],
    )))
}

/// Deny needs a reason: remember that this user owes one here, and ask for it.
async fn ask_deny_reason(req: &Req, actor: &Actor, approval_id: Uuid) -> AppResult<Toast> {
    let approval = req.app.get_approval(actor, approval_id).await?;
    if !approval.status.is_open() {
        return Err(AppError::AlreadyDecided {
            number: approval.number,
            status: approval.status,
            decided_by: approval.decided_by_name.clone().unwrap_or_else(|| "someone".into()),
            decided_at: approval.decided_at.unwrap_or(approval.created_at),
        });
    }
    if !matches!(actor, Actor::Operator { role, .. } if role_has(*role, Right::DecideApprovals)) {
        return Err(AppError::forbidden(
            Msg::new("err-only-role-decides").role("needed", crate::domain::actor::least_role_for(Right::DecideApprovals)),
        ));
    }
    req.app
        .expect_input(req.chat_id, req.user_id, req.thread, "deny_reason", Some(approval_id))
        .await?;
    let project = req.app.project_by_id(approval.project_id).await?;
    req.say(req.ta(
        "bot-deny-ask",
        &[
            ("name", crate::i18n::text(&req.user_name)),
            ("code", plain(&approval.code())),
            ("project", crate::i18n::text(&project.name)),
        ],
    ))
    .await?;
    Ok(Toast::new(req.ta(
        "bot-toast-deny-ask",
        &[("code", plain(&approval.code())), ("project", plain(&project.name))],
    )))
}

async fn move_task(
    req: &Req,
    actor: &Actor,
    task_id: Uuid,
    to: TaskStatus,
    because: Msg,
) -> AppResult<crate::app::tasks::TransitionOutcome> {
    req.app
        .transition_task(
            actor,
            task_id,
            TransitionTask {
                to: Some(to),
                reason: Some(because.into()),
                ..Default::default()
            },
        )
        .await
}

/// Resolves the alert a button came with; one already resolved is fine.
async fn resolve_quietly(req: &Req, actor: &Actor, alert_id: Option<Uuid>) -> AppResult<()> {
    let Some(alert_id) = alert_id else { return Ok(()) };
    match req.app.resolve_alert(actor, alert_id).await {
        Ok(_) => Ok(()),
        Err(err) if err.code() == "already_resolved" || err.code() == "not_found" => Ok(()),
        Err(err) => Err(err),
    }
}

/// The "raise cap" button: by half (at least $1), and in any case to above what the agent spent
/// today plus one more run, so that an agent paused for its budget really resumes.
pub fn raised_cap(cap: Usd, per_run_cap: Usd, spent_today: Usd) -> Usd {
    let half = Usd::from_micros(cap.micros() / 2);
    let by_half = cap.saturating_add(half.max(Usd::from_cents(100)));
    by_half.max(spent_today.saturating_add(per_run_cap.max(Usd::from_cents(1))))
}

fn agent_toast(req: &Req, agent: &str, status: AgentStatus) -> Toast {
    Toast::new(req.ta(
        "bot-toast-agent-status",
        &[("agent", plain(agent)), ("status", plain(&render::agent_status(req.lang, status)))],
    ))
}

fn task_toast(req: &Req, number: i32, status: TaskStatus) -> Toast {
    Toast::new(req.ta(
        "bot-toast-task-status",
        &[
            ("number", plain(&number.to_string())),
            ("status", plain(&render::task_status(req.lang, status))),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_rise_by_half_at_least_a_dollar() {
        let run = Usd::from_cents(50);
        assert_eq!(raised_cap(Usd::from_cents(1000), run, Usd::from_cents(1010)), Usd::from_cents(1500));
        assert_eq!(raised_cap(Usd::from_cents(200), run, Usd::from_cents(216)), Usd::from_cents(300));
        assert_eq!(raised_cap(Usd::from_cents(100), run, Usd::ZERO), Usd::from_cents(200));
    }

    #[test]
    fn a_raised_cap_leaves_room_above_what_was_spent_today() {
        // $2 cap, $5 already spent (one run went far over): $3 would keep the agent paused.
        let cap = raised_cap(Usd::from_cents(200), Usd::from_cents(50), Usd::from_cents(500));
        assert_eq!(cap, Usd::from_cents(550));
        let cap = raised_cap(Usd::from_cents(200), Usd::from_cents(150), Usd::from_cents(500));
        assert_eq!(cap, Usd::from_cents(650));
    }
}
