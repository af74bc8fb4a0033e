//! The one error type of the core. Adapters map it: HTTP to status codes, the bot to replies.

use chrono::{DateTime, Utc};
use mc_domain::i18n::Msg;
use mc_domain::values::Invalid;
use mc_domain::{ApprovalStatus, TaskStatus, TransitionRefusal};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parses but breaks a rule about its value (422).
    #[error("{field}: {message}")]
    Validation { field: &'static str, message: Msg },

    /// Input that cannot be understood at all (400).
    #[error("{0}")]
    BadInput(Msg),

    #[error(
        "{entity}{} not found{}",
        if key.is_empty() { String::new() } else { format!(" {key}") },
        hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    NotFound {
        entity: &'static str,
        key: String,
        hint: Option<Msg>,
        /// The request field that named it, when it is not what the request is about but
        /// something the request refers to (`assigneeIds`, `taskId`): then the request is what
        /// is wrong (409 in HTTP), not the resource asked for (404).
        field: Option<&'static str>,
    },

    #[error("not authenticated: {0}")]
    Unauthenticated(Msg),

    #[error("forbidden: {0}")]
    Forbidden(Msg),

    #[error("cannot move task from {from} to {to}: {reason} (allowed from {from}: {})", list(allowed))]
    IllegalTransition {
        from: TaskStatus,
        to: TaskStatus,
        /// Kept as the rule's own value, so each adapter can put it in its user's language.
        reason: TransitionRefusal,
        allowed: Vec<TaskStatus>,
    },

    #[error("approval A{number} was already {status} by {decided_by} at {}", mc_domain::i18n::time(*decided_at))]
    AlreadyDecided {
        number: i32,
        status: ApprovalStatus,
        decided_by: String,
        decided_at: DateTime<Utc>,
    },

    /// The request conflicts with the current state (409), e.g. a reused idempotency key.
    #[error("{message}")]
    Conflict { code: &'static str, message: Msg },

    /// The caller holds as much as it may at once (open waits): try again after a while (429).
    #[error("{message}")]
    Busy { message: Msg, retry_after_secs: u64 },

    /// The Telegram update was already handled (a redelivery): nothing to do, nothing to say.
    #[error("update {update} was already handled")]
    DuplicateUpdate { update: i64 },

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
            field: None,
        }
    }

    /// Not found, with a hint such as the names that do exist.
    pub fn not_found_hinting(entity: &'static str, key: impl ToString, hint: Msg) -> Self {
        AppError::NotFound {
            entity,
            key: key.to_string(),
            hint: Some(hint),
            field: None,
        }
    }

    /// Something the request's `field` names does not exist.
    pub fn unknown_in(field: &'static str, entity: &'static str, key: impl ToString) -> Self {
        Self::not_found(entity, key).in_field(field)
    }

    /// A not-found about what the request's `field` names (other errors stay as they are).
    pub fn in_field(self, field: &'static str) -> Self {
        match self {
            AppError::NotFound { entity, key, .. } => AppError::NotFound {
                entity,
                key,
                hint: Some(Msg::new("err-hint-in-field").with("field", field)),
                field: Some(field),
            },
            other => other,
        }
    }

    /// Not found, hinting at the names that do exist, or saying `when_none` if there are none.
    pub fn not_found_among(entity: &'static str, key: impl ToString, known: &[String], when_none: &'static str) -> Self {
        let hint = if known.is_empty() {
            Msg::new(when_none)
        } else {
            Msg::new("err-hint-known").with("names", known.join(", "))
        };
        Self::not_found_hinting(entity, key, hint)
    }

    pub fn forbidden(message: Msg) -> Self {
        AppError::Forbidden(message)
    }

    pub fn conflict(code: &'static str, message: Msg) -> Self {
        AppError::Conflict { code, message }
    }

    /// PostgreSQL aborted the transaction for a deadlock (40P01) or a serialization failure
    /// (40001): running the use case again is the cure.
    pub fn is_retryable_conflict(&self) -> bool {
        let AppError::Internal(e) = self else { return false };
        e.downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|db| db.code())
            .is_some_and(|code| code == "40P01" || code == "40001")
    }

    /// A redelivered Telegram update: adapters treat it as done.
    pub fn is_duplicate_update(&self) -> bool {
        matches!(self, AppError::DuplicateUpdate { .. })
    }

    pub fn validation(field: &'static str, message: Msg) -> Self {
        AppError::Validation { field, message }
    }

    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation_failed",
            AppError::BadInput(_) => "bad_request",
            AppError::NotFound { field: Some(_), .. } => "unknown_reference",
            AppError::NotFound { .. } => "not_found",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::IllegalTransition { .. } => "illegal_transition",
            AppError::AlreadyDecided { .. } => "already_decided",
            AppError::Conflict { code, .. } => code,
            AppError::DuplicateUpdate { .. } => "duplicate_update",
            AppError::Busy { .. } => "rate_limited",
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
                Some("23505") => return AppError::conflict("already_exists", Msg::new("err-db-unique").with("constraint", constraint)),
                Some("23514") | Some("22001") => {
                    return AppError::validation("input", Msg::new("err-db-check").with("constraint", constraint));
                }
                Some("23503") => return AppError::BadInput(Msg::new("err-db-foreign-key").with("constraint", constraint)),
                // A NUL (or another character UTF-8 PostgreSQL refuses) that no check caught.
                Some("22021") => return AppError::validation("input", Msg::new("err-db-encoding")),
                _ => {}
            }
        }
        AppError::Internal(anyhow::Error::new(err))
    }
}

pub type AppResult<T> = Result<T, AppError>;
