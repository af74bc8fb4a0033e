use super::HttpState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// What the parts of `serve` other than the database report about themselves.
#[derive(Debug, Default)]
pub struct ServiceStatus {
    telegram: AtomicU8,
    workers: AtomicU8,
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
    pub fn new(telegram: Health, workers: Health) -> Self {
        ServiceStatus {
            telegram: AtomicU8::new(telegram as u8),
            workers: AtomicU8::new(workers as u8),
        }
    }

    pub fn set_telegram(&self, health: Health) {
        self.telegram.store(health as u8, Ordering::Relaxed);
    }

    pub fn set_workers(&self, health: Health) {
        self.workers.store(health as u8, Ordering::Relaxed);
    }

    pub fn telegram(&self) -> Health {
        Health::from_u8(self.telegram.load(Ordering::Relaxed))
    }

    pub fn workers(&self) -> Health {
        Health::from_u8(self.workers.load(Ordering::Relaxed))
    }
}

/// `GET /health`: 200 when the database answers, 503 when it does not. Needs no token.
#[utoipa::path(get, path = "/health", operation_id = "getHealth", tag = "operations", security(()),
    responses((status = 200, description = "All is well"), (status = 503, description = "The database is down")))]
pub async fn health(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    let probe = crate::storage::ping(&state.app.pool);
    let database_ok = matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok(())));
    let status = if database_ok { "ok" } else { "degraded" };
    let body = json!({
        "status": status,
        "timestamp": state.app.now().timestamp_millis(),
        "services": {
            "api": "ok",
            "database": if database_ok { "ok" } else { "down" },
            "telegram": state.status.telegram().as_str(),
            "workers": match state.status.workers() { Health::Disabled => "ok", other => other.as_str() },
        }
    });
    let code = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}
