//! The one error type of the core. Adapters map it: HTTP to status codes, the bot to replies.

use crate::domain::values::Invalid;
use crate::domain::{ApprovalStatus, TaskStatus, TransitionRefusal};
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parses but breaks a rule about its value (422).
    #[error("{field}: {message}")]
    Validation { field: &'static str, message: String },

    /// Input that cannot be understood at all (400).
    #[error("{0}")]
    BadInput(String),

    #[error("{entity} {key} not found{}", hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    NotFound {
        entity: &'static str,
        key: String,
        hint: Option<String>,
    },

    #[error("not authenticated: {0}")]
    Unauthenticated(String),

    #[error("forbidden: {0}")]
    Forbidden(String),

    #[error("cannot move task from {from} to {to}: {reason} (allowed from {from}: {})", list(allowed))]
    IllegalTransition {
        from: TaskStatus,
        to: TaskStatus,
        /// Kept as the rule's own value, so each adapter can put it in its user's language.
        reason: TransitionRefusal,
        allowed: Vec<TaskStatus>,
    },

    #[error("approval A{number} was already {status} by {decided_by} at {}", decided_at.format("%Y-%m-%d %H:%M UTC"))]
    AlreadyDecided {
        number: i32,
        status: ApprovalStatus,
        decided_by: String,
        decided_at: DateTime<Utc>,
    },

    /// The request conflicts with the current state (409), e.g. a reused idempotency key.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },

    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn list(allowed: &[TaskStatus]) -> String {
    if allowed.is_empty() {
        "none".into()
    } else {
        allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl AppError {
    pub fn not_found(entity: &'static str, key: impl ToString) -> Self {
        AppError::NotFound {
            entity,
            key: key.to_string(),
            hint: None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field,
            message: message.into(),
        }
    }

    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::BadInput(_) => "bad_request",
            AppError::NotFound { .. } => "not_found",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::IllegalTransition { .. } => "illegal_transition",
            AppError::AlreadyDecided { .. } => "already_decided",
            AppError::Conflict { code, .. } => code,
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::Validation {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

impl From<sqlx::Error> for AppError {
    /// Constraint violations are the database enforcing a rule the core should have caught;
    /// they still become specific client errors, never a 500.
    fn from(err: sqlx::Error) -> Self {
        if let Some(db) = err.as_database_error() {
            let constraint = db.constraint().unwrap_or("").to_string();
            match db.code().as_deref() {
                Some("23505") => return AppError::conflict("already_exists", format!("already exists ({constraint})")),
                Some("23514") | Some("22001") => {
                    return AppError::Validation {
                        field: "input",
                        message: format!("violates {constraint}"),
                    };
                }
                Some("23503") => return AppError::BadInput(format!("refers to something that does not exist ({constraint})")),
                _ => {}
            }
        }
        AppError::Internal(anyhow::Error::new(err))
    }
}

pub type AppResult<T> = Result<T, AppError>;
