//! `/health`: whether the database answers, whether the bot reached Telegram, and which roles
//! this replica holds (poller, dispatcher, scheduler) and since when. A standby is healthy;
//! a role whose worker stopped, lost its lock, or is refused by Telegram makes it degraded.

use super::HttpState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mc_core::app::leadership::Roles;
use mc_domain::roles::RoleState;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// What the parts of `serve` other than the database report about themselves.
#[derive(Debug, Default)]
pub struct ServiceStatus {
    telegram: AtomicU8,
    /// What each worker says about its role (set by the workers themselves).
    pub roles: Roles,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Health {
    Disabled = 0,
    Ok = 1,
    Degraded = 2,
}

impl Health {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Health::Ok,
            2 => Health::Degraded,
            _ => Health::Disabled,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Health::Disabled => "disabled",
            Health::Ok => "ok",
            Health::Degraded => "degraded",
        }
    }
}

impl ServiceStatus {
    pub fn new(telegram: Health, roles: Roles) -> Self {
        ServiceStatus {
            telegram: AtomicU8::new(telegram as u8),
            roles,
        }
    }

    pub fn set_telegram(&self, health: Health) {
        self.telegram.store(health as u8, Ordering::Relaxed);
    }

    pub fn telegram(&self) -> Health {
        Health::from_u8(self.telegram.load(Ordering::Relaxed))
    }

    /// The background workers: degraded when a role reports trouble, disabled when none runs.
    pub fn workers(&self) -> Health {
        let report = self.roles.report();
        if report.iter().any(|r| !r.state.is_healthy()) {
            Health::Degraded
        } else if report.iter().all(|r| r.state == RoleState::Disabled) {
            Health::Disabled
        } else {
            Health::Ok
        }
    }
}

/// `GET /health`: 200 when the database answers, 503 when it does not. Needs no token.
#[utoipa::path(get, path = "/health", operation_id = "getHealth", tag = "operations", security(()),
    responses((status = 200, description = "The database answers (`status` says whether every part is well; `roles` what this replica holds)"), (status = 503, description = "The database is down")))]
pub async fn health(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    let database_ok = state.app.database_answers(Duration::from_secs(2)).await;
    let workers = state.status.workers();
    let status = if database_ok && workers != Health::Degraded {
        "ok"
    } else {
        "degraded"
    };
    let roles: serde_json::Map<String, Value> = state
        .status
        .roles
        .report()
        .into_iter()
        .map(|r| (r.role.as_str().to_string(), json!({"state": r.state, "since": r.since})))
        .collect();
    let body = json!({
        "status": status,
        "timestamp": state.app.now().timestamp_millis(),
        "services": {
            "api": "ok",
            "database": if database_ok { "ok" } else { "down" },
            "telegram": state.status.telegram().as_str(),
            "workers": workers.as_str(),
        },
        "roles": roles,
        "instance": mc_core::app::jobs::instance_name(),
    });
    let code = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}
