//! The cockpit's live feed: the squad's audit events as they are written, read from the
//! database (so every replica's clients see every replica's events), from an event id on (the
//! SSE `Last-Event-ID`).
//!
//! Event ids come from a sequence, taken when a transaction writes its event, so a later id can
//! commit before an earlier one: a reader that only remembered the highest id it saw would skip
//! the earlier one for good. [`FeedCursor`] therefore stops at a hole in the ids and waits for
//! it to fill, giving up on it (a rolled-back transaction leaves holes for ever) after
//! [`HOLE_PATIENCE`].

use super::{App, AppError, AppResult};
use crate::model::AuditEvent;
use crate::storage;
use mc_domain::i18n::Msg;
use mc_domain::{Actor, Right};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a hole in the ids is waited for before the events after it are sent anyway.
pub const HOLE_PATIENCE: Duration = Duration::from_secs(3);
/// The most events one read answers.
pub const FEED_BATCH: i64 = 200;

/// Where a feed reader is: the last event id it passed on, and since when it has been waiting
/// on a hole after it, if it is.
#[derive(Debug, Clone)]
pub struct FeedCursor {
    pub last_id: i64,
    hole_since: Option<Instant>,
}

impl FeedCursor {
    pub fn after(last_id: i64) -> Self {
        FeedCursor { last_id, hole_since: None }
    }

    /// Events after a hole are held until it fills or [`HOLE_PATIENCE`] runs out: the reader
    /// must read again soon, notified or not.
    pub fn waiting_on_hole(&self) -> bool {
        self.hole_since.is_some()
    }

    /// Of `events` (read after `last_id`, in id order), the ones to send now; the cursor moves
    /// past them. Events after a hole wait for it, until [`HOLE_PATIENCE`] from `now`.
    pub fn take(&mut self, events: Vec<AuditEvent>, now: Instant) -> Vec<AuditEvent> {
        let mut sent = Vec::with_capacity(events.len());
        for event in events {
            if event.id != self.last_id + 1 {
                let since = *self.hole_since.get_or_insert(now);
                if now.duration_since(since) < HOLE_PATIENCE {
                    break;
                }
            }
            self.hole_since = None;
            self.last_id = event.id;
            sent.push(event);
        }
        sent
    }
}

impl App {
    /// Where a new feed starts: after `last_event_id` when the client resumes, else after the
    /// newest event (a fresh feed shows what happens from now on). Operators only.
    pub async fn open_feed(&self, actor: &Actor, last_event_id: Option<i64>) -> AppResult<FeedCursor> {
        if matches!(actor, Actor::Agent { .. }) {
            return Err(AppError::forbidden(Msg::new("err-agents-cannot-watch-feed")));
        }
        super::require(actor, Right::Read)?;
        let start = match last_event_id {
            Some(id) if id >= 0 => id,
            Some(id) => return Err(AppError::validation("Last-Event-ID", Msg::new("err-audit-cursor").with("id", id))),
            None => {
                let mut conn = self.pool.acquire().await?;
                storage::audit::last_id(&mut conn).await?
            }
        };
        Ok(FeedCursor::after(start))
    }

    /// The events to send next on a feed of `project_id` (None: every project's).
    pub async fn feed_next(&self, actor: &Actor, cursor: &mut FeedCursor, project_id: Option<Uuid>) -> AppResult<Vec<AuditEvent>> {
        super::require(actor, Right::Read)?;
        let mut conn = self.pool.acquire().await?;
        let events = storage::audit::after_id(&mut conn, cursor.last_id, FEED_BATCH).await?;
        let mut events = cursor.take(events, Instant::now());
        // A project's events and the installation's own (without a project).
        if let Some(project_id) = project_id {
            events.retain(|e| e.project_id.is_none_or(|p| p == project_id));
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mc_domain::ActorKind;

    fn event(id: i64) -> AuditEvent {
        AuditEvent {
            id,
            project_id: None,
            occurred_at: chrono::Utc::now(),
            actor_kind: ActorKind::System,
            actor_id: None,
            actor_name: "test".into(),
            action: "test.event".into(),
            entity_kind: "test".into(),
            entity_id: id.to_string(),
            data: serde_json::json!({}),
        }
    }

    fn ids(events: &[AuditEvent]) -> Vec<i64> {
        events.iter().map(|e| e.id).collect()
    }

    #[test]
    fn events_after_a_hole_wait_for_it_then_pass() {
        let start = Instant::now();
        let mut cursor = FeedCursor::after(10);
        assert_eq!(ids(&cursor.take(vec![event(11), event(13)], start)), vec![11]);
        assert_eq!(cursor.last_id, 11);
        // 12 commits late: it and 13 go out in order.
        assert_eq!(
            ids(&cursor.take(vec![event(12), event(13)], start + Duration::from_secs(1))),
            vec![12, 13]
        );
        // 14 never commits (rolled back): 15 waits, then passes.
        assert!(cursor.take(vec![event(15)], start + Duration::from_secs(2)).is_empty());
        assert!(cursor.take(vec![event(15)], start + Duration::from_secs(4)).is_empty());
        assert_eq!(ids(&cursor.take(vec![event(15)], start + Duration::from_secs(6))), vec![15]);
        assert_eq!(cursor.last_id, 15);
    }
}
