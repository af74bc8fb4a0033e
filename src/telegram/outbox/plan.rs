//! Choosing what to send next. Rows are taken in id order per destination chat: a chat's next
//! unit always starts at its oldest undelivered row, so order within a chat holds, and a chat
//! that waits (for Telegram's limits, a `retry_after` or a backoff) holds back only itself.
//! Background rows (the task threads a bind asks for) come after the rest of their chat.

use super::limiter::Ready;
use super::render;
use super::Engine;
use crate::app::notice::Notice;
use crate::storage;
use crate::storage::outbox::Queued;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How a unit reaches the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// One row, as whatever its notice needs (a message, an edit, topic calls).
    Single,
    /// A burst of alert rows as one message (or as few as the text allows).
    Digest,
    /// Repeats of one alert whose message is known: one edit showing the latest count.
    Coalesced,
}

/// Rows one worker delivers to one chat, oldest first.
#[derive(Debug, Clone)]
pub struct Unit {
    pub chat: i64,
    pub kind: UnitKind,
    pub rows: Vec<Queued>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub units: Vec<Unit>,
    /// Rows that have nowhere to go, marked `skipped`.
    pub skipped: usize,
    /// The earliest moment a waiting chat may go.
    pub wake_at: Option<Instant>,
    /// Some chat is due and waits only for Telegram's limits or a call in flight.
    pub due_waiting: bool,
}

fn parse(row: &Queued) -> Option<Notice> {
    serde_json::from_value(row.payload.clone()).ok()
}

fn repeat_of(n: &Option<Notice>) -> Option<Uuid> {
    match n {
        Some(Notice::AlertRaised {
            alert_id, repeat: true, ..
        }) => Some(*alert_id),
        _ => None,
    }
}

fn resolves(n: &Option<Notice>, alert: Uuid) -> bool {
    matches!(n, Some(Notice::AlertResolved { alert_id, .. }) if *alert_id == alert)
}

impl Engine {
    pub(super) async fn plan(&self, now: Instant) -> anyhow::Result<Plan> {
        let mut conn = self.app.pool.acquire().await?;
        let rows = storage::outbox::queued(
            &mut conn,
            self.app.now(),
            self.opts.digest_max.max(1) as i64,
            self.opts.batch.max(1) as i64,
        )
        .await?;
        let complete = rows.len() < self.opts.batch.max(1);
        let mut plan = Plan::default();
        let mut chats: BTreeMap<i64, Vec<Queued>> = BTreeMap::new();
        for row in rows {
            match row.dest_chat_id {
                Some(chat) => chats.entry(chat).or_default().push(row),
                None => {
                    storage::outbox::finish_undelivered(
                        &mut conn,
                        row.id,
                        "skipped",
                        "nowhere to post: the project has no bound chat (/bind it in a group)",
                        false,
                    )
                    .await?;
                    plan.skipped += 1;
                }
            }
        }
        // Chats in order of their oldest row: the longest waiting go first.
        let mut order: Vec<(i64, i64)> = chats.iter().map(|(chat, rows)| (rows[0].id, *chat)).collect();
        order.sort_unstable();
        let busy = self.busy_chats();
        if complete {
            let present: HashSet<i64> = chats.values().flatten().map(|r| r.id).collect();
            self.state().row_due.retain(|id, _| present.contains(id));
        }
        for (_, chat) in order {
            let rows = chats.remove(&chat).unwrap_or_default();
            if busy.contains(&chat) || rows[0].status != "pending" {
                continue;
            }
            let due_in = |row: &Queued| -> Option<Duration> {
                let memory = self.state().row_due.get(&row.id).copied();
                match memory {
                    Some(at) if at > now => Some(at - now),
                    Some(_) => None,
                    None if row.wait_ms > 0 => Some(Duration::from_millis(row.wait_ms as u64)),
                    None => None,
                }
            };
            if let Some(wait) = due_in(&rows[0]) {
                plan.wake(now + wait);
                continue;
            }
            let ready = self.limiter().ready(chat, now);
            match ready {
                Ready::Now => {}
                Ready::At(t) => {
                    plan.wake(t);
                    plan.due_waiting = true;
                    continue;
                }
                Ready::AfterInFlight => {
                    plan.due_waiting = true;
                    continue;
                }
            }
            let due: Vec<Queued> = rows
                .into_iter()
                .take_while(|r| r.status == "pending" && due_in(r).is_none())
                .collect();
            let unit = self.unit_for(&mut conn, chat, due).await?;
            let ids: Vec<i64> = unit.rows.iter().map(|r| r.id).collect();
            let claimed = storage::outbox::claim(&mut conn, &ids).await?;
            if claimed.len() != ids.len() {
                storage::outbox::release(&mut conn, &claimed).await?;
                continue;
            }
            {
                let mut st = self.state();
                st.busy.insert(chat);
                for id in &ids {
                    st.row_due.remove(id);
                }
            }
            plan.units.push(unit);
        }
        Ok(plan)
    }

    /// What to deliver from a chat's due rows (oldest first, at least one).
    async fn unit_for(&self, conn: &mut sqlx::PgConnection, chat: i64, due: Vec<Queued>) -> anyhow::Result<Unit> {
        let notices: Vec<Option<Notice>> = due.iter().map(parse).collect();
        let repeats: Vec<Uuid> = notices.iter().filter_map(repeat_of).collect();
        let known: HashSet<Uuid> = if repeats.is_empty() {
            HashSet::new()
        } else {
            storage::telegram_messages::known(conn, storage::telegram_messages::ALERT, &repeats, chat)
                .await?
                .into_iter()
                .collect()
        };
        // A burst of alerts: new ones, resolutions, and repeats that have no message to edit.
        // An alert about a task goes alone: it is also shown in the task's thread.
        let run = due
            .iter()
            .zip(&notices)
            .take_while(|(row, n)| {
                row.task_id.is_none() && n.as_ref().is_some_and(render::digestible) && repeat_of(n).is_none_or(|a| !known.contains(&a))
            })
            .count();
        if run >= self.opts.digest_min.max(2) {
            let rows = due.into_iter().take(run).collect();
            return Ok(Unit {
                chat,
                kind: UnitKind::Digest,
                rows,
            });
        }
        if let Some(alert) = repeat_of(&notices[0]).filter(|a| known.contains(a)) {
            // Later repeats of the same alert fold into this edit, up to its resolution.
            let mut rows = Vec::new();
            for (row, n) in due.into_iter().zip(&notices) {
                if resolves(n, alert) {
                    break;
                }
                if repeat_of(n) == Some(alert) {
                    rows.push(row);
                }
            }
            return Ok(Unit {
                chat,
                kind: UnitKind::Coalesced,
                rows,
            });
        }
        Ok(Unit {
            chat,
            kind: UnitKind::Single,
            rows: due.into_iter().take(1).collect(),
        })
    }
}

impl Plan {
    fn wake(&mut self, at: Instant) {
        self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
    }
}
