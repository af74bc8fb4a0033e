use super::work::Work;
use super::{require, require_project, App, AppError, AppResult};
use crate::model::notice::{Notice, Target};
use crate::model::{Agent, Alert};
use crate::storage;
use crate::storage::alerts::NewAlert;
use mc_domain::alerts::{BudgetExceeded, BudgetWarning, DailyBudgetExceeded};
use mc_domain::i18n::Msg;
use mc_domain::{Actor, AlertDetails, AlertKind, AlertSeverity, Right, Usd};
use serde_json::json;
use uuid::Uuid;

/// An agent at its daily cap (raised when a run reaches it and by the budget watch alike).
pub(crate) async fn raise_budget_exceeded(
    w: &mut Work,
    agent: &Agent,
    today_spend: Usd,
    daily_cap: Usd,
    task_id: Option<Uuid>,
) -> AppResult<Alert> {
    raise_service_in(
        w,
        agent.project_id,
        AlertSeverity::Critical,
        &format!("agent:{}", agent.id),
        &format!("{} reached its daily budget: {today_spend} of {daily_cap}", agent.name),
        BudgetExceeded::Daily(DailyBudgetExceeded {
            agent_id: agent.id,
            agent: agent.name.clone(),
            today_spend,
            daily_cap,
            per_run_cap: Some(agent.budgets.per_run_cap),
            task_id,
        }),
    )
    .await
}

/// An agent past the warning share of its daily cap.
pub(crate) async fn raise_budget_warning(
    w: &mut Work,
    agent: &Agent,
    today_spend: Usd,
    daily_cap: Usd,
    task_id: Option<Uuid>,
) -> AppResult<Alert> {
    let percent = today_spend.percent_of(daily_cap);
    raise_service_in(
        w,
        agent.project_id,
        AlertSeverity::Warning,
        &format!("agent:{}", agent.id),
        &format!(
            "{} has spent {percent}% of its daily budget ({today_spend} of {daily_cap})",
            agent.name
        ),
        BudgetWarning {
            agent_id: agent.id,
            agent: agent.name.clone(),
            task_id,
            today_spend,
            daily_cap,
            percent,
        },
    )
    .await
}

#[derive(Debug, Clone)]
pub struct RaiseAlert {
    pub alert_type: String,
    pub severity: AlertSeverity,
    pub subject: String,
    pub message: String,
    pub details: serde_json::Value,
}

/// Raises (or bumps) one of the service's own alerts inside the caller's transaction: its type
/// is the kind of its details, which are serialized here, once (see [`mc_domain::alerts`]).
pub(crate) async fn raise_service_in(
    w: &mut Work,
    project_id: Uuid,
    severity: AlertSeverity,
    subject: &str,
    message: &str,
    details: impl Into<AlertDetails>,
) -> AppResult<Alert> {
    let details = details.into();
    raise_in(
        w,
        project_id,
        details.kind().as_str(),
        severity,
        subject,
        message,
        details.to_json(),
    )
    .await
}

/// Raises (or bumps) an alert inside the caller's transaction, with audit and outbox message.
async fn raise_in(
    w: &mut Work,
    project_id: Uuid,
    alert_type: &str,
    severity: AlertSeverity,
    subject: &str,
    message: &str,
    details: serde_json::Value,
) -> AppResult<Alert> {
    let now = w.now;
    let (alert, new) = storage::alerts::upsert_open(
        w.conn(),
        &NewAlert {
            project_id,
            alert_type,
            severity,
            subject,
            message,
            details: &details,
        },
        now,
    )
    .await?;
    w.audit(
        Some(project_id),
        if new { "alert.raised" } else { "alert.repeated" },
        "alert",
        alert.id,
        json!({ "type": alert_type, "severity": alert.severity, "subject": subject, "occurrences": alert.occurrences }),
    )
    .await?;
    w.post(
        project_id,
        Target::Alerts,
        &Notice::AlertRaised {
            alert_id: alert.id,
            alert_type: alert.alert_type.clone(),
            severity: alert.severity,
            subject: alert.subject.clone(),
            message: alert.message.clone(),
            details: alert.details.clone(),
            occurrences: alert.occurrences,
            repeat: !new,
        },
    )
    .await?;
    Ok(alert)
}

/// Resolves the open alert of this type and subject, if any, inside the caller's transaction:
/// the alert.resolved audit event and the outbox message (the chat message is edited) go with
/// it. `resolved_by` is who or what resolved it, as recorded and shown.
pub(crate) async fn resolve_in(
    w: &mut Work,
    project_id: Uuid,
    kind: AlertKind,
    subject: &str,
    resolved_by: &str,
) -> AppResult<Option<Alert>> {
    let now = w.now;
    let Some(alert) = storage::alerts::resolve_open(w.conn(), project_id, kind.as_str(), subject, resolved_by, now).await? else {
        return Ok(None);
    };
    audit_and_post_resolved(w, &alert, resolved_by).await?;
    Ok(Some(alert))
}

pub(crate) async fn audit_and_post_resolved(w: &mut Work, alert: &Alert, resolved_by: &str) -> AppResult<()> {
    w.audit(
        Some(alert.project_id),
        "alert.resolved",
        "alert",
        alert.id,
        json!({ "type": alert.alert_type, "subject": alert.subject, "by": resolved_by }),
    )
    .await?;
    w.post(
        alert.project_id,
        Target::Alerts,
        &Notice::AlertResolved {
            alert_id: alert.id,
            alert_type: alert.alert_type.clone(),
            message: alert.message.clone(),
            details: alert.details.clone(),
            resolved_by: resolved_by.into(),
        },
    )
    .await
}

fn valid_alert_type(t: &str) -> bool {
    !t.is_empty() && t.len() <= 40 && t.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

impl App {
    /// Raises an alert from outside the core's own rules (an operator, a job, a script).
    pub async fn raise_alert(&self, actor: &Actor, project_id: Uuid, input: RaiseAlert) -> AppResult<Alert> {
        match actor {
            Actor::Agent { .. } => require_project(actor, project_id)?,
            _ => require(actor, Right::ResolveAlerts)?,
        }
        if !valid_alert_type(&input.alert_type) {
            return Err(AppError::validation("type", Msg::new("err-alert-type")));
        }
        let subject = input.subject.trim();
        if subject.is_empty() || subject.len() > 200 {
            return Err(AppError::validation(
                "subject",
                Msg::new("err-chars-between").count("min", 1).count("max", 200),
            ));
        }
        let message = input.message.trim();
        if message.is_empty() || message.chars().count() > 4000 {
            return Err(AppError::validation(
                "message",
                Msg::new("err-chars-between").count("min", 1).count("max", 4000),
            ));
        }
        let mut w = Work::begin(self, actor).await?;
        storage::projects::by_id(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", project_id))?;
        let alert = raise_in(
            &mut w,
            project_id,
            &input.alert_type,
            input.severity,
            subject,
            message,
            input.details,
        )
        .await?;
        w.commit().await?;
        Ok(alert)
    }

    pub async fn resolve_alert(&self, actor: &Actor, alert_id: Uuid) -> AppResult<Alert> {
        require(actor, Right::ResolveAlerts)?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let alert = storage::alerts::lock(w.conn(), alert_id)
            .await?
            .ok_or_else(|| AppError::not_found("alert", alert_id))?;
        if alert.resolved {
            return Err(AppError::conflict(
                "already_resolved",
                match alert.resolved_by.as_deref() {
                    Some(by) => Msg::new("err-alert-already-resolved-by").with("by", by),
                    None => Msg::new("err-alert-already-resolved"),
                },
            ));
        }
        let resolved = storage::alerts::resolve(w.conn(), alert_id, actor.name(), now).await?;
        audit_and_post_resolved(&mut w, &resolved, actor.name()).await?;
        w.commit().await?;
        Ok(resolved)
    }
}
