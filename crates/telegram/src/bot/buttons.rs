//! Inline button clicks. The `callback_data` is a token; the action behind it is read from the
//! database. Each action is one use case of the core (an alert's in `app::alert_actions`, a
//! confirmation's in `app::confirmations`, a task card's in `app::cards`, an approval's in
//! `app::approvals`), which checks the clicker's rights at click time and writes the change with
//! its audit event and notices in one transaction; what is left here is reading the click and
//! saying the outcome. Every click gets a short toast (`answerCallbackQuery`).

use super::commands::show_page;
use super::request::{CmdError, Req};
use super::threads;
use crate::actions::ButtonAction;
use crate::render::{self, plain};
use mc_core::app::alert_actions::{AgentAction, TaskAction};
use mc_core::app::approvals::Verdict;
use mc_core::app::confirmations::{Closing, OneShot};
use mc_core::app::grants::ToolApproval;
use mc_core::app::questions::Answer;
use mc_core::app::{AppError, AppResult};
use mc_domain::*;
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
        // A toast costs the chat nothing: always shown; the attempt is counted, not audited each.
        req.app
            .stranger_refused(
                &req.acting(),
                req.chat_id,
                req.user_id,
                &format!("button {token}"),
                "not an operator",
            )
            .await?;
        return Ok(Toast::alert(req.t("bot-toast-not-operator")));
    };
    let stored = crate::actions::clicked(&req.app, token).await?;
    let Some((action, stored)) = stored.filter(|(_, s)| s.chat_id.is_none_or(|c| c == req.chat_id)) else {
        return Ok(Toast::alert(req.t("bot-toast-expired")));
    };
    // A one-shot button is claimed by the use case it confirms (`app::confirmations`): of two
    // clicks at once, one acts and the other is told it was used.
    if action.one_shot() && stored.used_at.is_some() {
        return Ok(already_used(req));
    }
    let what = format!("button {}", action.name());
    match act(req, &actor, &action, token).await {
        Ok(toast) => Ok(toast),
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

async fn act(req: &Req, actor: &Actor, action: &ButtonAction, token: &str) -> AppResult<Toast> {
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
        ButtonAction::AnswerQuestion { question_id, option } => {
            let question = app.get_question(actor, *question_id).await?;
            let chosen = question.options.as_ref().and_then(|o| o.get(*option as usize)).cloned();
            let answer = Answer {
                text: None,
                options: Some(chosen.into_iter().collect()),
            };
            let answered = app.answer_question(actor, *question_id, answer).await?;
            Ok(Toast::new(req.ta(
                "bot-toast-answered",
                &[
                    ("code", plain(&answered.code())),
                    ("answer", plain(&answered.answer_line().unwrap_or_default())),
                ],
            )))
        }
        ButtonAction::PickQuestionOption { question_id, option } => {
            let question = app.toggle_question_option(actor, *question_id, usize::from(*option)).await?;
            let code = plain(&question.code());
            Ok(Toast::new(match question.picked.is_empty() {
                true => req.ta("bot-toast-nothing-picked", &[("code", code)]),
                false => req.ta(
                    "bot-toast-picked",
                    &[("code", code), ("picked", plain(&question.picked.join(", ")))],
                ),
            }))
        }
        ButtonAction::SubmitQuestion { question_id } => {
            let answered = app.submit_question_picks(actor, *question_id).await?;
            Ok(Toast::new(req.ta(
                "bot-toast-answered",
                &[
                    ("code", plain(&answered.code())),
                    ("answer", plain(&answered.answer_line().unwrap_or_default())),
                ],
            )))
        }
        ButtonAction::RequestChanges { task_id } => ask_changes(req, actor, *task_id).await,
        ButtonAction::Deny { approval_id } => match ask_deny_reason(req, actor, *approval_id).await {
            Ok(toast) => Ok(toast),
            Err(err) => approval_toast(req, actor, *approval_id, err).await,
        },
        ButtonAction::ApproveFor { approval_id, span } => {
            match app
                .approve_tool_call(actor, *approval_id, ToolApproval::Grant((*span).into()))
                .await
            {
                Ok((decided, grant)) => {
                    let project = app.project_by_id(decided.project_id).await?;
                    let mut toast = req.ta(
                        "bot-toast-approved",
                        &[("code", plain(&decided.code())), ("project", plain(&project.name))],
                    );
                    if let Some(grant) = grant {
                        toast.push_str(" · ");
                        toast.push_str(&req.ta(
                            "bot-toast-granted",
                            &[
                                ("code", plain(&grant.code())),
                                ("rule", plain(&grant.rule)),
                                ("until", plain(&mc_domain::i18n::time(grant.expires_at))),
                            ],
                        ));
                    }
                    Ok(Toast::new(toast))
                }
                Err(err) => approval_toast(req, actor, *approval_id, err).await,
            }
        }
        ButtonAction::DenyNow { approval_id } => {
            let why = mc_core::app::approvals::DENIED_WITHOUT_INSTRUCTIONS;
            match app.decide_approval(actor, *approval_id, Verdict::Deny, Some(why)).await {
                Ok(decided) => Ok(Toast::new(req.ta("bot-toast-denied", &[("code", plain(&decided.code()))]))),
                Err(err) => approval_toast(req, actor, *approval_id, err).await,
            }
        }
        ButtonAction::RevokeGrant { grant_id } => {
            let revoked = app.revoke_grant(actor, *grant_id).await?;
            Ok(Toast::new(req.ta(
                "bot-toast-grant-revoked",
                &[("code", plain(&revoked.code())), ("rule", plain(&revoked.rule))],
            )))
        }
        ButtonAction::ResolveAlert { alert_id } => {
            app.resolve_alert(actor, *alert_id).await?;
            Ok(Toast::new(req.t("bot-toast-alert-resolved")))
        }
        ButtonAction::RaiseCap { alert_id, agent_id, by } => {
            let updated = app.raise_cap_from_alert(actor, *alert_id, *agent_id, *by).await?;
            let key = if updated.status == mc_domain::AgentStatus::Paused {
                "bot-toast-cap-raised-still-paused"
            } else {
                "bot-toast-cap-raised"
            };
            Ok(Toast::new(req.ta(
                key,
                &[
                    ("agent", plain(&updated.name)),
                    ("cap", plain(&updated.budgets.daily_cap.to_string())),
                    ("spent", plain(&updated.today_spend.to_string())),
                ],
            )))
        }
        ButtonAction::KeepPaused { alert_id, agent_id } => {
            let agent = app.keep_paused(actor, *alert_id, *agent_id).await?;
            Ok(Toast::new(req.ta("bot-toast-kept-paused", &[("agent", plain(&agent.name))])))
        }
        ButtonAction::RaiseBudget { alert_id, by } => {
            let raised = app.raise_budget_from_alert(actor, *alert_id, *by).await?;
            if raised.still_reached {
                return Ok(Toast::new(req.ta(
                    "bot-toast-budget-raised-still-reached",
                    &[
                        ("amount", plain(&by.to_string())),
                        ("cap", plain(&raised.cap.to_string())),
                        ("spent", plain(&raised.spent.to_string())),
                    ],
                )));
            }
            let names: Vec<&str> = raised.resumed.iter().map(|a| a.name.as_str()).collect();
            Ok(Toast::new(req.ta(
                "bot-toast-budget-raised",
                &[
                    ("amount", plain(&by.to_string())),
                    ("count", mc_domain::i18n::num(names.len() as f64)),
                    ("agents", plain(&names.join(", "))),
                ],
            )))
        }
        ButtonAction::KeepBudgetPaused { alert_id } => {
            app.resolve_alert(actor, *alert_id).await?;
            Ok(Toast::new(req.t("bot-toast-budget-kept-paused")))
        }
        ButtonAction::QuarantineAgent { alert_id, agent_id } => {
            let change = app
                .agent_status_from_alert(actor, *alert_id, *agent_id, AgentAction::Quarantine)
                .await?;
            Ok(agent_toast(req, &change.agent.name, change.agent.status))
        }
        ButtonAction::RestartAgent { alert_id, agent_id } => {
            let change = app
                .agent_status_from_alert(actor, *alert_id, *agent_id, AgentAction::Restart)
                .await?;
            Ok(agent_toast(req, &change.agent.name, change.agent.status))
        }
        ButtonAction::UnblockTask { alert_id, task_id } => {
            let task = app.task_from_alert(actor, *alert_id, *task_id, TaskAction::Unblock).await?;
            Ok(task_toast(req, task.number, task.status))
        }
        ButtonAction::ReassignTask { alert_id, task_id } => {
            let task = app.task_from_alert(actor, *alert_id, *task_id, TaskAction::Reassign).await?;
            Ok(task_toast(req, task.number, task.status))
        }
        ButtonAction::CancelTask { alert_id, task_id } => {
            let task = app.task_from_alert(actor, *alert_id, *task_id, TaskAction::Cancel).await?;
            Ok(task_toast(req, task.number, task.status))
        }
        ButtonAction::ConfirmPauseSquad { project_id } => {
            let project = app.project_by_id(*project_id).await?;
            let once = one_shot(req, actor, action, token);
            let Some(change) = app.confirm_pause_squad(actor, *project_id, &once).await? else {
                return Ok(already_used(req));
            };
            if !req.sees_general_of(*project_id) {
                req.say(render::squad_change(req.lang, &project.name, &change)).await?;
            }
            Ok(Toast::new(req.t("bot-toast-squad-paused")))
        }
        ButtonAction::ConfirmQuarantine { agent_id, reason } => {
            let once = one_shot(req, actor, action, token);
            let Some(change) = app.confirm_quarantine(actor, *agent_id, reason.as_deref(), &once).await? else {
                return Ok(already_used(req));
            };
            let key = if change.changed { "bot-agent-now" } else { "bot-agent-unchanged" };
            if !(change.changed && req.sees_general_of(change.agent.project_id)) {
                req.say(req.ta(
                    key,
                    &[
                        ("agent", mc_domain::i18n::text(&change.agent.name)),
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
            if !app.dismiss_question(actor, *needs, &one_shot(req, actor, action, token)).await? {
                return Ok(already_used(req));
            }
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

/// A one-shot button clicked, with its question's message as it will read once answered: who
/// confirmed or canceled it and when (its buttons go, through the outbox like every message the
/// bot sends).
fn one_shot(req: &Req, actor: &Actor, action: &ButtonAction, token: &str) -> OneShot {
    let closing = req.clicked.as_ref().map(|(message_id, question)| {
        let key = match action {
            ButtonAction::Dismiss { .. } => "bot-question-canceled",
            _ => "bot-question-confirmed",
        };
        let at = mc_domain::i18n::time(req.app.now());
        let outcome = req.ta(key, &[("by", mc_domain::i18n::text(actor.name())), ("at", plain(&at))]);
        let project_id = req.ctx.project.as_ref().map(|p| p.id);
        Closing {
            project_id,
            chat_id: req.chat_id,
            message_id: *message_id,
            text: format!("{}\n\n{outcome}", mc_domain::i18n::html_escape(question)),
            folds: project_id.is_some_and(|p| req.sees_general_of(p)),
            footer: outcome,
        }
    });
    OneShot {
        token: token.to_string(),
        closing,
    }
}

fn already_used(req: &Req) -> Toast {
    Toast::new(req.t("bot-toast-already-used"))
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

/// Deny needs a reason: the core records that this user owes one here, and the bot asks for it.
async fn ask_deny_reason(req: &Req, actor: &Actor, approval_id: Uuid) -> AppResult<Toast> {
    let approval = req.app.ask_deny_reason(actor, approval_id, req.asked_in()).await?;
    let project = req.app.project_by_id(approval.project_id).await?;
    req.say(req.ta(
        "bot-deny-ask",
        &[
            ("name", mc_domain::i18n::text(&req.user_name)),
            ("code", plain(&approval.code())),
            ("project", mc_domain::i18n::text(&project.name)),
        ],
    ))
    .await?;
    Ok(Toast::new(req.ta(
        "bot-toast-deny-ask",
        &[("code", plain(&approval.code())), ("project", plain(&project.name))],
    )))
}

/// ✍️ Request changes on a task in review: the clicker's next message here is what to change.
async fn ask_changes(req: &Req, actor: &Actor, task_id: Uuid) -> AppResult<Toast> {
    let task = req.app.ask_changes(actor, task_id, req.asked_in()).await?;
    let number = plain(&task.number.to_string());
    req.say(req.ta(
        "bot-changes-ask",
        &[("name", mc_domain::i18n::text(&req.user_name)), ("number", number.clone())],
    ))
    .await?;
    Ok(Toast::new(req.ta("bot-toast-changes-ask", &[("number", number)])))
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
