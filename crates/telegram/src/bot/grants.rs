//! The commands of the permission layer: `/edit A12 <command or JSON>` approves a RED tool
//! call with changed arguments; `/grants` lists the standing grants with a revoke button each;
//! `/grant <agent|role|project> <rule> <1h|8h|task|7d>` and `/revoke G3` make and end one.
//! (`/grant <user id> <role>` and `/revoke <user id>` stay the operators' commands.)

use super::codes::{about_approval, actor, approval_of_code};
use super::command::first_word;
use super::request::{Button, CmdError, CmdResult, Req};
use crate::actions::ButtonAction;
use crate::render::plain;
use mc_core::app::grants::{GrantTarget, NewToolGrant, ToolApproval};
use mc_domain::grants::GrantSpan;
use mc_domain::i18n::{text, time};
use mc_domain::AgentRole;

/// Most grants `/grants` lists (each with its button).
const SHOWN: usize = 20;

/// `/edit A12 <new command or JSON arguments>`.
pub(super) async fn edit(req: &Req, args: &str) -> CmdResult {
    let (code, changed) = first_word(args);
    if code.is_empty() || changed.is_empty() {
        return Err(CmdError::Usage);
    }
    let (project, approval) = approval_of_code(req, code).await?;
    let (decided, _) = req
        .app
        .approve_tool_call(actor(req), approval.id, ToolApproval::Edited(changed.to_string()))
        .await
        .map_err(|e| about_approval(req, &project, e))?;
    if req.is_ops_chat_of(project.id) {
        // The card, edited into the decision, says it in this chat.
        return Ok(());
    }
    req.say(req.ta(
        "bot-approval-edited",
        &[("code", text(&decided.code())), ("project", text(&project.name))],
    ))
    .await?;
    Ok(())
}

/// `/grants`: the live grants, newest first, each with a revoke button.
pub(super) async fn list(req: &Req) -> CmdResult {
    let project = req.project()?;
    let grants = req.app.list_grants(actor(req), project.id, true).await?;
    if grants.is_empty() {
        req.say(req.ta("bot-grants-none", &[("project", text(&project.name))])).await?;
        return Ok(());
    }
    let mut agents = std::collections::HashMap::new();
    for id in grants.iter().take(SHOWN).filter_map(|g| g.agent_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = agents.entry(id) {
            slot.insert(req.app.get_agent(actor(req), id).await?.name);
        }
    }
    let mut lines = vec![req.ta("bot-grants-title", &[("project", text(&project.name))])];
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for grant in grants.iter().take(SHOWN) {
        let whom = match (grant.agent_id, grant.role) {
            (Some(id), _) => agents.get(&id).cloned().unwrap_or_else(|| id.to_string()),
            (None, Some(role)) => req.t(&format!("role-{}", role.as_str())),
            (None, None) => req.t("bot-grants-everyone"),
        };
        let scope = match grant.task_id {
            Some(_) => req.t("bot-grants-while-task"),
            None => String::new(),
        };
        lines.push(req.ta(
            "bot-grants-line",
            &[
                ("code", text(&grant.code())),
                ("rule", text(&grant.rule)),
                ("whom", text(&whom)),
                ("task", text(&scope)),
                ("until", plain(&time(grant.expires_at))),
                ("uses", mc_domain::i18n::num(grant.uses)),
                ("by", text(&grant.created_by_name)),
            ],
        ));
        rows.push(vec![(
            req.ta("bot-grants-revoke", &[("code", plain(&grant.code()))]),
            ButtonAction::RevokeGrant { grant_id: grant.id },
        )]);
    }
    if grants.len() > SHOWN {
        lines.push(req.ta("bot-grants-more", &[("n", mc_domain::i18n::num((grants.len() - SHOWN) as u32))]));
    }
    req.say_with(lines.join("\n"), rows).await?;
    Ok(())
}

/// `/grant <agent|intern|specialist|lead|project> <rule> <1h|8h|task|7d>`: the rule may hold
/// spaces (`Bash(npm run test:*)`), so the span is the last word.
pub(super) async fn grant(req: &Req, args: &str) -> CmdResult {
    let (whom, rest) = first_word(args);
    let rest = rest.trim();
    let Some((rule, span)) = rest.rsplit_once(char::is_whitespace) else {
        return Err(CmdError::Usage);
    };
    if whom.is_empty() || rule.trim().is_empty() {
        return Err(CmdError::Usage);
    }
    let project = req.project()?;
    let span = GrantSpan::parse(span).map_err(|e| CmdError::Say(mc_domain::i18n::html_escape(&e.message.render(req.lang))))?;
    let target = if whom.eq_ignore_ascii_case("project") {
        GrantTarget::Project
    } else if let Ok(role) = AgentRole::parse(whom) {
        GrantTarget::Role(role)
    } else {
        let agent = req.app.agent_by_name(actor(req), project.id, whom).await?;
        GrantTarget::Agent(agent.id)
    };
    let grant = req
        .app
        .create_grant(
            actor(req),
            NewToolGrant {
                project_id: project.id,
                target,
                rule: rule.trim().to_string(),
                span,
            },
        )
        .await?;
    req.say(req.ta(
        "bot-grant-made",
        &[
            ("code", text(&grant.code())),
            ("rule", text(&grant.rule)),
            ("whom", text(whom)),
            ("until", plain(&time(grant.expires_at))),
        ],
    ))
    .await?;
    Ok(())
}

/// Whether `word` names a grant (`G3`), not a Telegram user.
pub(super) fn is_grant_code(word: &str) -> bool {
    grant_number(word).is_some()
}

fn grant_number(word: &str) -> Option<i32> {
    let digits = word.strip_prefix('G').or_else(|| word.strip_prefix('g'))?;
    digits.parse::<i32>().ok().filter(|n| *n > 0)
}

/// `/revoke G3`.
pub(super) async fn revoke(req: &Req, code: &str) -> CmdResult {
    let number = grant_number(code).ok_or(CmdError::Usage)?;
    let project = req.project()?;
    let id = req.app.grant_by_number(actor(req), project.id, number).await?;
    let revoked = req.app.revoke_grant(actor(req), id).await?;
    req.say(req.ta(
        "bot-grant-revoked",
        &[("code", text(&revoked.code())), ("rule", text(&revoked.rule))],
    ))
    .await?;
    Ok(())
}
