//! The commands: each parses its arguments, calls one use case of the core, and renders the
//! answer. Rights are the core's to check; the few checks here only spare a viewer a
//! confirmation button they could not use.

use super::codes::{about_approval, actor, approval_of_code, say_moved, task_number};
use super::command::{first_word, Command};
use super::request::{Button, CmdError, CmdResult, Req};
use crate::actions::{ButtonAction, ListKind, TaskFilter};
use crate::render::{self, plain, PAGE_SIZE};
use mc_core::app::queries::AgentQuery;
use mc_core::app::tasks::{CreateTask, TransitionTask};
use mc_core::app::tokens::{TokenQuery, TokenRef};
use mc_core::app::{AppResult, PageRequest};
use mc_domain::actor::{least_role_for, role_has};
use mc_domain::i18n::text;
use mc_domain::i18n::Msg;
use mc_domain::*;
use uuid::Uuid;

/// Statuses `/tasks` shows without a filter.
const OPEN: &[TaskStatus] = &[
    TaskStatus::Inbox,
    TaskStatus::Assigned,
    TaskStatus::InProgress,
    TaskStatus::Review,
    TaskStatus::NeedsApproval,
    TaskStatus::Blocked,
];

/// Runs `command` for the sender; outsiders are refused (and audited) whatever they ask.
pub(crate) async fn run(req: &Req, command: Command, args: &str) -> AppResult<()> {
    if req.actor.is_none() {
        return req.refuse(&format!("/{command}"), &Msg::new("err-not-operator")).await;
    }
    match dispatch(req, command, args).await {
        Ok(()) => Ok(()),
        Err(err) => req.report(command, err).await,
    }
}

async fn dispatch(req: &Req, command: Command, args: &str) -> CmdResult {
    use mc_core::app::agents::StatusCommand;
    match command {
        Command::Start => start(req).await,
        Command::Help => Ok(req.say(super::help(req.lang)).await?),
        Command::Whoami => whoami(req).await,
        Command::Bind => bind(req, args).await,
        Command::Projects => projects(req).await,
        Command::Switch => switch(req, args).await,
        Command::Status | Command::Standup | Command::Burnrate => summary(req, command).await,
        Command::Costs => costs(req, args).await,
        Command::Agents => show_page(req, ListKind::Agents, 0, None).await,
        Command::Agent => agent(req, args).await,
        Command::Tasks => tasks(req, args).await,
        Command::Inbox => show_page(req, ListKind::Tasks, 0, TaskFilter::of(vec![TaskStatus::Inbox])).await,
        Command::Task => task(req, args).await,
        Command::NewTask => new_task(req, args).await,
        Command::Assign => assign(req, args).await,
        Command::Move => move_task(req, args).await,
        Command::Approvals => show_page(req, ListKind::Approvals, 0, None).await,
        Command::Approve => approve(req, args).await,
        Command::Deny => deny(req, args).await,
        Command::Edit => super::grants::edit(req, args).await,
        Command::Changes => super::reviews::changes(req, args).await,
        Command::Alerts => show_page(req, ListKind::Alerts, 0, None).await,
        Command::Pause => agent_status(req, args, StatusCommand::Pause).await,
        Command::Resume => agent_status(req, args, StatusCommand::Resume).await,
        Command::Release => agent_status(req, args, StatusCommand::Release).await,
        Command::Quarantine => quarantine(req, args).await,
        Command::Budget => budget(req, args).await,
        Command::PauseSquad => pause_squad(req).await,
        Command::ResumeSquad => resume_squad(req).await,
        Command::Policy => policy(req, args).await,
        Command::Grant => grant(req, args).await,
        Command::Revoke => revoke(req, args).await,
        Command::Grants => super::grants::list(req).await,
        Command::Questions => super::questions::list(req).await,
        Command::Tokens => tokens(req).await,
        Command::RevokeToken => revoke_token(req, args).await,
        Command::Lang => lang(req, args).await,
    }
}

/// A refusal decided here (before the core), audited like the core's.
async fn refuse_right(req: &Req, command: Command, right: Right) -> CmdResult {
    let Actor::Operator { role, .. } = actor(req) else {
        req.refuse(&format!("/{command}"), &Msg::new("err-not-operator")).await?;
        return Ok(());
    };
    let needed = least_role_for(right);
    let why = Msg::new("err-role-cannot-do-that").role("role", *role).role("needed", needed);
    let shown = req.ta(
        "bot-refusal-role",
        &[
            ("role", plain(&req.t(&format!("role-{}", role.as_str())))),
            ("needed", plain(&req.t(&format!("role-{}", needed.as_str())))),
        ],
    );
    req.refuse_saying(&format!("/{command}"), &why, shown).await?;
    Ok(())
}

fn may(req: &Req, right: Right) -> bool {
    matches!(req.actor, Some(Actor::Operator { role, .. }) if role_has(role, right))
}

fn bad_value(req: &Req, value: &str, choices: &[&str]) -> CmdError {
    CmdError::Say(req.ta("bot-bad-value", &[("value", text(value)), ("choices", text(&choices.join(", ")))]))
}

fn parse_status(req: &Req, word: &str) -> Result<TaskStatus, CmdError> {
    use strum::VariantArray;
    TaskStatus::parse(word).map_err(|_| bad_value(req, word, &TaskStatus::VARIANTS.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
}

async fn start(req: &Req) -> CmdResult {
    let project = req.ctx.project.as_ref().map(|p| p.name.as_str()).unwrap_or("—");
    req.say(req.ta(
        "bot-start",
        &[
            ("name", text(actor(req).name())),
            ("role", plain(&render::role_of(req.lang, actor(req)))),
            ("project", text(project)),
        ],
    ))
    .await?;
    Ok(())
}

async fn whoami(req: &Req) -> CmdResult {
    req.say(render::whoami(req.lang, actor(req), req.user_id, &req.ctx)).await?;
    Ok(())
}

async fn bind(req: &Req, args: &str) -> CmdResult {
    let (slug, _) = first_word(args);
    if slug.is_empty() {
        return Err(CmdError::Usage);
    }
    if req.is_private() {
        return Err(CmdError::Say(req.t("bot-bind-group-only")));
    }
    let info = mc_core::app::chats::ChatInfo {
        chat_id: req.chat_id,
        title: req.ctx.chat.title.clone(),
        is_forum: req.ctx.chat.is_forum,
    };
    // The core's ChatBound notice confirms it in this chat (and creates the forum topics).
    req.app.bind_chat(actor(req), &info, slug).await?;
    Ok(())
}

async fn projects(req: &Req) -> CmdResult {
    let projects = req.app.list_projects(actor(req)).await?;
    let current = req.ctx.project.as_ref().map(|p| p.id);
    let bound = req.ctx.binding.as_ref().map(|b| b.project_id);
    req.say(render::projects(req.lang, &projects, current, bound)).await?;
    Ok(())
}

async fn switch(req: &Req, args: &str) -> CmdResult {
    let (slug, _) = first_word(args);
    if slug.is_empty() {
        return Err(CmdError::Usage);
    }
    let project = req.app.switch_project(actor(req), req.chat_id, slug).await?;
    req.say(req.ta("bot-switched", &[("project", text(&project.name)), ("slug", text(&project.slug))]))
        .await?;
    Ok(())
}

async fn summary(req: &Req, which: Command) -> CmdResult {
    let project = req.project()?;
    let summary = req.app.project_summary(actor(req), project.id).await?;
    let html = match which {
        Command::Standup => render::standup(req.lang, &summary),
        Command::Burnrate => render::burnrate(req.lang, &summary),
        _ => render::status(req.lang, &summary),
    };
    req.say(html).await?;
    Ok(())
}

/// `/costs [today|month]`: by agent and by model, with a chart.
async fn costs(req: &Req, args: &str) -> CmdResult {
    let period = match first_word(args).0.to_lowercase().as_str() {
        "" | "today" | "day" => BudgetPeriod::Day,
        "month" => BudgetPeriod::Month,
        _ => return Err(CmdError::Usage),
    };
    let project = req.project()?;
    let (by_agent, by_model) = req.app.cost_summaries(actor(req), project.id, period).await?;
    let (html, chart) = render::costs::costs(req.lang, &project.name, &by_agent, &by_model);
    req.say_with_chart(html, chart).await?;
    Ok(())
}

async fn agent(req: &Req, args: &str) -> CmdResult {
    let (name, _) = first_word(args);
    if name.is_empty() {
        return Err(CmdError::Usage);
    }
    let project = req.project()?;
    let agent = req.app.agent_by_name(actor(req), project.id, name).await?;
    let current = match agent.current_task_id {
        Some(id) => Some(req.app.get_task(actor(req), id).await?),
        None => None,
    };
    let activity = req.app.tool_activity(actor(req), agent.id).await?;
    let mut card = render::agent(req.lang, &agent, current.as_ref(), req.app.now(), req.app.rules.stale_after);
    card.push_str(&render::tool_activity(req.lang, &activity));
    req.say(card).await?;
    Ok(())
}

async fn tasks(req: &Req, args: &str) -> CmdResult {
    let mut statuses = Vec::new();
    for word in args.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        statuses.push(parse_status(req, word)?);
    }
    show_page(req, ListKind::Tasks, 0, TaskFilter::of(statuses)).await
}

async fn task(req: &Req, args: &str) -> CmdResult {
    let (word, _) = first_word(args);
    let number = task_number(word)?;
    let project = req.project()?;
    let task = req.app.task_by_number(actor(req), project.id, number).await?;
    let timeline = req.app.task_timeline(actor(req), task.id).await?;
    let agents = req
        .app
        .list_agents(
            actor(req),
            project.id,
            AgentQuery {
                page: PageRequest {
                    limit: PageRequest::MAX_LIMIT,
                    offset: 0,
                },
                ..Default::default()
            },
        )
        .await?;
    req.say(render::task(req.lang, &timeline, &agents.items)).await?;
    Ok(())
}

async fn new_task(req: &Req, args: &str) -> CmdResult {
    let (kind, title) = first_word(args);
    if kind.is_empty() || title.is_empty() {
        return Err(CmdError::Usage);
    }
    let task_type = TaskType::parse(kind).map_err(|_| {
        use strum::VariantArray;
        bad_value(req, kind, &TaskType::VARIANTS.iter().map(|t| t.as_str()).collect::<Vec<_>>())
    })?;
    let project = req.project()?;
    let task = req
        .app
        .create_task(
            actor(req),
            project.id,
            CreateTask {
                title: title.to_string(),
                description: String::new(),
                task_type,
                priority: None,
                assignee_ids: Vec::new(),
                reviewer_id: None,
                budget_allocated: None,
            },
        )
        .await?;
    req.say(req.ta(
        "bot-task-created",
        &[("number", plain(&task.number.to_string())), ("title", text(&task.title))],
    ))
    .await?;
    Ok(())
}

async fn assign(req: &Req, args: &str) -> CmdResult {
    let (word, names) = first_word(args);
    let number = task_number(word)?;
    let names: Vec<&str> = names.split([',', ' ']).map(str::trim).filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        return Err(CmdError::Usage);
    }
    let project = req.project()?;
    let task = req.app.task_by_number(actor(req), project.id, number).await?;
    let mut agents = Vec::with_capacity(names.len());
    for name in &names {
        agents.push(req.app.agent_by_name(actor(req), project.id, name).await?);
    }
    let task = req
        .app
        .assign_task(actor(req), task.id, agents.iter().map(|a| a.id).collect())
        .await?;
    let assigned = render::names_of(&task.assignee_ids, &agents);
    req.say(req.ta(
        "bot-task-assigned",
        &[
            ("number", plain(&task.number.to_string())),
            ("agents", text(&assigned.join(", "))),
            ("status", plain(&render::task_status(req.lang, task.status))),
        ],
    ))
    .await?;
    Ok(())
}

async fn move_task(req: &Req, args: &str) -> CmdResult {
    let (word, rest) = first_word(args);
    let number = task_number(word)?;
    let (status, reason) = first_word(rest);
    if status.is_empty() {
        return Err(CmdError::Usage);
    }
    let to = parse_status(req, status)?;
    let project = req.project()?;
    let task = req.app.task_by_number(actor(req), project.id, number).await?;
    let outcome = req
        .app
        .transition_task(
            actor(req),
            task.id,
            TransitionTask {
                to: Some(to),
                reason: (!reason.is_empty()).then(|| reason.into()),
                ..Default::default()
            },
        )
        .await?;
    say_moved(req, &outcome).await
}

async fn approve(req: &Req, args: &str) -> CmdResult {
    let (code, _) = first_word(args);
    if code.is_empty() {
        return Err(CmdError::Usage);
    }
    let (project, approval) = approval_of_code(req, code).await?;
    let decided = req
        .app
        .decide_approval(actor(req), approval.id, mc_core::app::approvals::Verdict::Approve, None)
        .await
        .map_err(|e| about_approval(req, &project, e))?;
    req.say(req.ta(
        "bot-approval-approved",
        &[("code", text(&decided.code())), ("project", text(&project.name))],
    ))
    .await?;
    Ok(())
}

async fn deny(req: &Req, args: &str) -> CmdResult {
    let (code, reason) = first_word(args);
    if code.is_empty() || reason.is_empty() {
        return Err(CmdError::Usage);
    }
    let (project, approval) = approval_of_code(req, code).await?;
    decide_deny(req, approval.id, &project, reason, false).await
}

/// Denies with `reason`; says so unless `card_tells` (the reason answers a Deny click on the
/// card, and the card — edited into the decision — lives in this chat: one message is enough).
async fn decide_deny(req: &Req, approval_id: Uuid, project: &mc_core::model::Project, reason: &str, card_tells: bool) -> CmdResult {
    let decided = req
        .app
        .decide_approval(actor(req), approval_id, mc_core::app::approvals::Verdict::Deny, Some(reason))
        .await
        .map_err(|e| about_approval(req, project, e))?;
    if card_tells && req.is_ops_chat_of(project.id) {
        return Ok(());
    }
    req.say(req.ta(
        "bot-approval-denied",
        &[
            ("code", text(&decided.code())),
            ("project", text(&project.name)),
            ("reason", text(decided.decision_note.as_deref().unwrap_or(reason))),
        ],
    ))
    .await?;
    Ok(())
}

/// The reason a user sent after clicking Deny.
pub(crate) async fn deny_with_reason(req: &Req, approval_id: Uuid, reason: &str) -> AppResult<()> {
    if req.actor.is_none() {
        return req.refuse("deny", &Msg::new("err-not-operator")).await;
    }
    let denied = async {
        let approval = req.app.get_approval(actor(req), approval_id).await?;
        let project = req.app.project_by_id(approval.project_id).await?;
        decide_deny(req, approval_id, &project, reason, true).await
    };
    match denied.await {
        Ok(()) => Ok(()),
        Err(err) => req.report(Command::Deny, err).await,
    }
}

async fn agent_status(req: &Req, args: &str, command: mc_core::app::agents::StatusCommand) -> CmdResult {
    let (name, reason) = first_word(args);
    if name.is_empty() {
        return Err(CmdError::Usage);
    }
    let project = req.project()?;
    let agent = req.app.agent_by_name(actor(req), project.id, name).await?;
    let change = req
        .app
        .change_agent_status(actor(req), agent.id, command, (!reason.is_empty()).then_some(reason))
        .await?;
    if change.changed && req.sees_general_of(project.id) {
        return Ok(()); // the core's notice says it here
    }
    let key = if change.changed { "bot-agent-now" } else { "bot-agent-unchanged" };
    req.say(req.ta(
        key,
        &[
            ("agent", text(&change.agent.name)),
            ("status", plain(&render::agent_status(req.lang, change.agent.status))),
        ],
    ))
    .await?;
    Ok(())
}

async fn quarantine(req: &Req, args: &str) -> CmdResult {
    let (name, reason) = first_word(args);
    if name.is_empty() {
        return Err(CmdError::Usage);
    }
    if !may(req, Right::ControlAgents) {
        return refuse_right(req, Command::Quarantine, Right::ControlAgents).await;
    }
    let project = req.project()?;
    let agent = req.app.agent_by_name(actor(req), project.id, name).await?;
    let reason = (!reason.is_empty()).then(|| reason.chars().take(500).collect::<String>());
    let question = req.ta(
        "bot-confirm-quarantine",
        &[("agent", text(&agent.name)), ("reason", text(reason.as_deref().unwrap_or("—")))],
    );
    let rows: Vec<Vec<Button>> = vec![vec![
        (
            req.ta("bot-button-quarantine", &[("agent", plain(&agent.name))]),
            ButtonAction::ConfirmQuarantine {
                agent_id: agent.id,
                reason,
            },
        ),
        (
            req.t("bot-button-cancel"),
            ButtonAction::Dismiss {
                needs: Right::ControlAgents,
            },
        ),
    ]];
    req.say_with(question, rows).await?;
    Ok(())
}

async fn budget(req: &Req, args: &str) -> CmdResult {
    let (name, rest) = first_word(args);
    let (amount, _) = first_word(rest);
    if name.is_empty() || amount.is_empty() {
        return Err(CmdError::Usage);
    }
    let cap = Usd::parse(amount).map_err(|_| CmdError::Usage)?;
    let project = req.project()?;
    let agent = req.app.agent_by_name(actor(req), project.id, name).await?;
    let updated = req.app.set_budget(actor(req), agent.id, Some(cap), None).await?;
    if req.sees_general_of(project.id) {
        return Ok(()); // the core's notice says it here
    }
    req.say(req.ta(
        "bot-budget-set",
        &[
            ("agent", text(&updated.name)),
            ("daily", plain(&updated.budgets.daily_cap.to_string())),
            ("perrun", plain(&updated.budgets.per_run_cap.to_string())),
            ("status", plain(&render::agent_status(req.lang, updated.status))),
        ],
    ))
    .await?;
    Ok(())
}

async fn pause_squad(req: &Req) -> CmdResult {
    if !may(req, Right::PauseSquad) {
        return refuse_right(req, Command::PauseSquad, Right::PauseSquad).await;
    }
    let project = req.project()?;
    let active = req
        .app
        .list_agents(
            actor(req),
            project.id,
            AgentQuery {
                status: Some(vec![AgentStatus::Active]),
                page: PageRequest { limit: 1, offset: 0 },
                ..Default::default()
            },
        )
        .await?;
    let question = req.ta(
        "bot-confirm-pause-squad",
        &[
            ("project", text(&project.name)),
            (
                "agents",
                plain(&req.ta("n-agents", &[("count", mc_domain::i18n::num(active.total as f64))])),
            ),
        ],
    );
    let rows: Vec<Vec<Button>> = vec![vec![
        (
            req.t("bot-button-pause-squad"),
            ButtonAction::ConfirmPauseSquad { project_id: project.id },
        ),
        (req.t("bot-button-cancel"), ButtonAction::Dismiss { needs: Right::PauseSquad }),
    ]];
    req.say_with(question, rows).await?;
    Ok(())
}

async fn resume_squad(req: &Req) -> CmdResult {
    let project = req.project()?;
    let change = req.app.resume_squad(actor(req), project.id).await?;
    if req.sees_general_of(project.id) {
        return Ok(()); // the core's notice says it here
    }
    req.say(render::squad_change(req.lang, &project.name, &change)).await?;
    Ok(())
}

/// `/policy`: the whole policy; `/policy <actionType> [role]`: what it says of one type.
async fn policy(req: &Req, args: &str) -> CmdResult {
    let (action, rest) = first_word(args);
    if action.is_empty() {
        let policy = req.app.policy_summary(actor(req)).await?;
        req.say(render::policy(req.lang, &policy)).await?;
        return Ok(());
    }
    // A tool of Claude Code or Codex (`Bash`, `Edit`, `mcp__github__…`): the rest is the
    // command, or the JSON input.
    if action.starts_with(|c: char| c.is_ascii_uppercase()) || action.starts_with("mcp__") {
        let project = req.project()?;
        let input = if rest.trim_start().starts_with('{') {
            serde_json::from_str::<serde_json::Value>(rest)
                .ok()
                .filter(serde_json::Value::is_object)
                .ok_or(CmdError::Usage)?
        } else {
            serde_json::json!({ "command": rest })
        };
        let verdict = req.app.tool_policy_check(&project.slug, AgentRole::Specialist, action, &input, "");
        req.say(render::tool_check(req.lang, action, &verdict)).await?;
        return Ok(());
    }
    let (role, _) = first_word(rest);
    let role = match role {
        "" => None,
        role => Some(AgentRole::parse(role).map_err(|_| bad_value(req, role, &["intern", "specialist", "lead"]))?),
    };
    let check = req.app.policy_check(actor(req), action, role)?;
    req.say(render::policy_check(req.lang, &check)).await?;
    Ok(())
}

/// `/grant <user id> <role>` (an operator's role) or `/grant <agent|role|project> <rule> <span>`
/// (a standing grant for tool calls).
async fn grant(req: &Req, args: &str) -> CmdResult {
    let (user, rest) = first_word(args);
    if !user.is_empty() && user.parse::<i64>().is_err() {
        return super::grants::grant(req, args).await;
    }
    let (role, _) = first_word(rest);
    let user_id: i64 = user.parse().ok().filter(|id| *id > 0).ok_or(CmdError::Usage)?;
    if role.is_empty() {
        return Err(CmdError::Usage);
    }
    let role = OperatorRole::parse(role).map_err(|_| bad_value(req, role, &["viewer", "operator", "cao"]))?;
    let op = req.app.grant_role(actor(req), user_id, "", role).await?;
    req.say(req.ta(
        "bot-granted",
        &[
            ("user", plain(&user_id.to_string())),
            ("name", text(&op.name)),
            ("role", plain(&render::role(req.lang, op.role))),
        ],
    ))
    .await?;
    Ok(())
}

/// `/revoke <user id>` (an operator's role) or `/revoke G3` (a standing grant).
async fn revoke(req: &Req, args: &str) -> CmdResult {
    let (user, _) = first_word(args);
    if super::grants::is_grant_code(user) {
        return super::grants::revoke(req, user).await;
    }
    let user_id: i64 = user.parse().ok().filter(|id| *id > 0).ok_or(CmdError::Usage)?;
    let op = req.app.revoke_role(actor(req), user_id).await?;
    req.say(req.ta("bot-revoked", &[("user", plain(&user_id.to_string())), ("name", text(&op.name))]))
        .await?;
    Ok(())
}

async fn tokens(req: &Req) -> CmdResult {
    // Token names, owners and prefixes are for the CAO's eyes, not a group's.
    if !req.is_private() {
        return Err(CmdError::Say(req.t("bot-tokens-private-only")));
    }
    let query = TokenQuery {
        page: PageRequest { limit: 50, offset: 0 },
        ..Default::default()
    };
    let listed = req.app.list_tokens(actor(req), query).await?;
    req.say(render::tokens(req.lang, &listed.items, listed.total)).await?;
    Ok(())
}

async fn revoke_token(req: &Req, args: &str) -> CmdResult {
    let which = args.trim();
    if which.is_empty() {
        return Err(CmdError::Usage);
    }
    let revoked = req.app.revoke_token(actor(req), &TokenRef::parse(which)).await?;
    req.say(req.ta(
        "bot-token-revoked",
        &[
            ("name", text(&revoked.name)),
            ("kind", plain(&req.t(&format!("bot-token-kind-{}", revoked.kind)))),
        ],
    ))
    .await?;
    Ok(())
}

async fn lang(req: &Req, args: &str) -> CmdResult {
    let (code, _) = first_word(args);
    if code.is_empty() {
        return Err(CmdError::Usage);
    }
    if mc_domain::i18n::Lang::parse(code).is_none() {
        let codes: Vec<&str> = mc_domain::i18n::Lang::ALL.iter().map(|l| l.code()).collect();
        return Err(bad_value(req, code, &codes));
    }
    let lang = req.app.set_chat_lang(actor(req), req.chat_id, code).await?;
    req.say(lang.t("bot-lang-set")).await?;
    Ok(())
}

/// One page of a long list, with buttons to the pages around it. Also what a page button shows.
pub(crate) async fn show_page(req: &Req, list: ListKind, page: u32, filter: Option<TaskFilter>) -> CmdResult {
    let project = req.project()?;
    let page_req = PageRequest {
        limit: PAGE_SIZE,
        offset: i64::from(page) * PAGE_SIZE,
    };
    let mut rows: Vec<Vec<Button>> = Vec::new();
    let (html, total) = match list {
        ListKind::Agents => {
            let agents = req
                .app
                .list_agents(
                    actor(req),
                    project.id,
                    AgentQuery {
                        page: page_req,
                        ..Default::default()
                    },
                )
                .await?;
            (
                render::agents_page(req.lang, &project.name, &agents.items, page, agents.total),
                agents.total,
            )
        }
        ListKind::Tasks => {
            let statuses = match &filter {
                Some(f) => f.statuses().to_vec(),
                None => OPEN.to_vec(),
            };
            let lines = req.app.task_lines(actor(req), project.id, Some(statuses.clone()), page_req).await?;
            (
                render::tasks_page(
                    req.lang,
                    &project.name,
                    &lines.items,
                    &statuses,
                    filter.is_none(),
                    page,
                    lines.total,
                ),
                lines.total,
            )
        }
        ListKind::Approvals => {
            let lines = req.app.approval_lines(actor(req), project.id, page_req).await?;
            for line in &lines.items {
                rows.push(vec![
                    (
                        req.ta("bot-button-approve-code", &[("code", plain(&line.code))]),
                        ButtonAction::Approve { approval_id: line.id },
                    ),
                    (
                        req.ta("bot-button-deny-code", &[("code", plain(&line.code))]),
                        ButtonAction::Deny { approval_id: line.id },
                    ),
                ]);
            }
            (
                render::approvals_page(req.lang, &project.name, &lines.items, page, lines.total),
                lines.total,
            )
        }
        ListKind::Alerts => {
            let alerts = req
                .app
                .list_alerts(actor(req), project.id, Some(false), None, None, page_req)
                .await?;
            // Each alert with the actions its own message carries (raise cap, keep paused,
            // unblock, restart, …), numbered as listed: an alert folded into a digest can still
            // be acted on from here. Alerts with nothing but Resolve share rows.
            let first = i64::from(page) * PAGE_SIZE;
            let mut resolves: Vec<Button> = Vec::new();
            for (i, alert) in alerts.items.iter().enumerate() {
                let n = plain(&(first + i as i64 + 1).to_string());
                let actions = render::alert_buttons(alert.id, &alert.alert_type, &alert.subject, &alert.details, req.lang);
                let labelled = |b: render::ButtonSpec| -> Button {
                    let label = match b.action {
                        ButtonAction::ResolveAlert { .. } => req.ta("bot-button-resolve-n", &[("n", n.clone())]),
                        _ => req.ta("bot-button-alert-action-n", &[("n", n.clone()), ("action", plain(&b.label))]),
                    };
                    (label, b.action)
                };
                let only_resolve = actions
                    .iter()
                    .flatten()
                    .all(|b| matches!(b.action, ButtonAction::ResolveAlert { .. }));
                if only_resolve {
                    resolves.extend(actions.into_iter().flatten().map(labelled));
                    continue;
                }
                rows.extend(resolves.chunks(5).map(<[Button]>::to_vec));
                resolves.clear();
                rows.extend(actions.into_iter().map(|row| row.into_iter().map(labelled).collect::<Vec<_>>()));
            }
            rows.extend(resolves.chunks(5).map(<[Button]>::to_vec));
            (
                render::alerts_page(req.lang, &project.name, &alerts.items, page, alerts.total),
                alerts.total,
            )
        }
    };
    let mut nav: Vec<Button> = Vec::new();
    if page > 0 {
        nav.push((
            req.t("bot-page-prev"),
            ButtonAction::Page {
                list,
                page: page - 1,
                filter: filter.clone(),
            },
        ));
    }
    if (i64::from(page) + 1) * PAGE_SIZE < total {
        nav.push((
            req.t("bot-page-next"),
            ButtonAction::Page {
                list,
                page: page + 1,
                filter,
            },
        ));
    }
    // "Nothing to show" concerns only the asker: their private chat when they have one.
    if total == 0 && req.clicked.is_none() {
        req.say_to_asker(html).await?;
        return Ok(());
    }
    rows.push(nav);
    req.say_with(html, rows).await?;
    Ok(())
}
