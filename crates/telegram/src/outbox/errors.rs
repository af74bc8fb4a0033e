//! What a failed Bot API call means for the row: wait as told, retry later, give up, or take
//! another way (post instead of edit, General instead of a lost topic).

use std::time::Duration;
use teloxide::{ApiError, RequestError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429: Telegram's pacing. The row and its chat wait this long; not a failed attempt.
    RetryAfter(Duration),
    /// Network trouble, 5xx, an unreadable answer: retried with backoff.
    Transient(String),
    /// Telegram refuses this call for good (chat not found, bot kicked, bad request).
    Permanent(String),
    /// An edit with nothing new: the message already shows it, which is success.
    NotModified,
    /// The message to edit is gone: post a fresh one.
    EditTargetGone(String),
    /// The topic is gone or closed (`message thread not found`, `TOPIC_CLOSED`); `deleted`
    /// tells which.
    TopicGone { deleted: bool, description: String },
    /// The group became a supergroup with this id: its binding and queue move there, and the
    /// row is sent again to the new chat.
    Migrated(i64),
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::RetryAfter(d) => format!("Too Many Requests: retry after {}", d.as_secs()),
            Failure::Transient(d) | Failure::Permanent(d) | Failure::EditTargetGone(d) => d.clone(),
            Failure::NotModified => "message is not modified".into(),
            Failure::TopicGone { description, .. } => description.clone(),
            Failure::Migrated(to) => format!("the group became supergroup {to}"),
        }
    }
}

/// Telegram's descriptions of refusals; anything else unknown (`Internal Server Error`,
/// `Bad Gateway`, …) is a server-side failure worth retrying.
const PERMANENT_PREFIXES: [&str; 5] = [
    "Bad Request",
    "Forbidden",
    "Conflict",
    "Unauthorized: bot",
    "Request Entity Too Large",
];

pub fn classify(e: &RequestError) -> Failure {
    match e {
        RequestError::RetryAfter(secs) => Failure::RetryAfter(secs.duration().max(Duration::from_secs(1))),
        RequestError::MigrateToChatId(id) => Failure::Migrated(id.0),
        RequestError::Network(e) => Failure::Transient(format!("network: {e}")),
        RequestError::InvalidJson { source, .. } => Failure::Transient(format!("unreadable answer: {source}")),
        RequestError::Io(e) => Failure::Transient(format!("I/O: {e}")),
        RequestError::Api(api) => classify_api(api),
    }
}

fn classify_api(api: &ApiError) -> Failure {
    match api {
        ApiError::MessageNotModified => Failure::NotModified,
        ApiError::MessageToEditNotFound | ApiError::MessageIdInvalid | ApiError::MessageCantBeEdited => {
            Failure::EditTargetGone(api.to_string())
        }
        // A wrong token is a configuration error that an operator fixes: keep the messages.
        ApiError::InvalidToken => Failure::Transient(api.to_string()),
        ApiError::Unknown(description) => {
            let lower = description.to_ascii_lowercase();
            if lower.contains("message thread not found") || lower.contains("topic_deleted") || lower.contains("topic_id_invalid") {
                Failure::TopicGone {
                    deleted: true,
                    description: description.clone(),
                }
            } else if lower.contains("topic_closed") {
                Failure::TopicGone {
                    deleted: false,
                    description: description.clone(),
                }
            } else if PERMANENT_PREFIXES.iter().any(|p| description.starts_with(p)) {
                Failure::Permanent(description.clone())
            } else {
                Failure::Transient(description.clone())
            }
        }
        other => Failure::Permanent(other.to_string()),
    }
}

/// Exponential backoff with jitter: `base · 2^(attempt-1)`, at most `max`, then ±20%.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20)).min(max);
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    exp.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn classifies_what_teloxide_reports() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(7))),
            Failure::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(classify(&RequestError::Api(ApiError::MessageNotModified)), Failure::NotModified);
        assert!(matches!(
            classify(&RequestError::Api(ApiError::MessageToEditNotFound)),
            Failure::EditTargetGone(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Bad Request: message thread not found".into()
            ))),
            Failure::TopicGone { deleted: true, .. }
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Request: TOPIC_CLOSED".into()))),
            Failure::TopicGone { deleted: false, .. }
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Internal Server Error".into()))),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::ChatNotFound)),
            Failure::Permanent(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::BotKickedFromSupergroup)),
            Failure::Permanent(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown("Forbidden: bot is not a member".into()))),
            Failure::Permanent(_)
        ));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for _ in 0..50 {
            let first = backoff(1, base, max);
            assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
            let fourth = backoff(4, base, max);
            assert!(fourth >= Duration::from_millis(6400) && fourth <= Duration::from_millis(9600));
            assert!(backoff(30, base, max) <= Duration::from_secs(72));
        }
    }
}
