//! Choosing what to send next. Rows are taken in id order per destination chat: a chat's next
//! unit always starts at its oldest undelivered row, so order within a chat holds, and a chat
//! that waits (for Telegram's limits, a `retry_after` or a backoff) holds back only itself.
//! A chat's rows come class by class ([`TrafficClass`]: answers, then approval requests and
//! critical alerts, then edits, then mirroring), and chats whose next row is of a higher class
//! are planned first. A chat busy with a lower-class unit while a higher-class row is due is
//! asked to yield: its worker stops before its next call and the rows go back.
//!
//! Nothing here may wedge a chat: units claimed by a round that then fails are released and
//! their chats freed, and rows a failed release left `sending` on a chat no worker holds are
//! reclaimed.

use super::limiter::Ready;
use super::Engine;
use crate::render;
use mc_core::app::delivery::{class_of, Queued, Undelivered, ALERT};
use mc_core::model::notice::Notice;
use mc_domain::TrafficClass;
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
    /// A burst of runs and comments of one task: folded into the task's activity message.
    Activity,
}

/// Rows one worker delivers to one chat, oldest first.
#[derive(Debug, Clone)]
pub struct Unit {
    pub chat: i64,
    pub kind: UnitKind,
    /// The class of its first row: how much of the rate windows it may use.
    pub class: TrafficClass,
    pub rows: Vec<Queued>,
}

/// This many runs and comments of one task due together are folded into its activity message.
pub const FOLD_MIN: usize = 3;
/// At most this many rows go into one activity unit.
pub const FOLD_MAX: usize = 60;

fn foldable(row: &Queued) -> bool {
    row.target == "task" && matches!(row.kind.as_str(), "run_recorded" | "comment_added")
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
    /// Plans a round. Whatever goes wrong, no chat stays marked busy without a worker and no
    /// row stays claimed by a unit that will not run.
    pub(super) async fn plan(&self, now: Instant) -> anyhow::Result<Plan> {
        let mut plan = Plan::default();
        match self.plan_into(&mut plan, now).await {
            Ok(()) => Ok(plan),
            Err(e) => {
                self.abandon(&plan.units).await;
                Err(e)
            }
        }
    }

    /// Units that will not run: their chats freed and their rows put back (or, should that fail
    /// too, reclaimed by a later round).
    pub(super) async fn abandon(&self, units: &[Unit]) {
        if units.is_empty() {
            return;
        }
        {
            let mut st = self.state();
            for unit in units {
                st.busy.remove(&unit.chat);
                st.yield_to.remove(&unit.chat);
            }
        }
        let ids: Vec<i64> = units.iter().flat_map(|u| u.rows.iter().map(|r| r.id)).collect();
        if let Err(e) = self.delivery.release(&ids).await {
            tracing::warn!(error = %e, "outbox: releasing abandoned rows; they are reclaimed later");
        }
        self.kick.notify_waiters();
    }

    async fn plan_into(&self, plan: &mut Plan, now: Instant) -> anyhow::Result<()> {
        let rows = self.delivery.queued(self.opts.digest_max, self.opts.batch).await?;
        let complete = rows.len() < self.opts.batch.max(1);
        let mut chats: BTreeMap<i64, Vec<Queued>> = BTreeMap::new();
        for row in rows {
            match row.dest_chat_id {
                Some(chat) => chats.entry(chat).or_default().push(row),
                None => {
                    self.delivery
                        .undelivered(
                            row.id,
                            Undelivered::Skipped,
                            "nowhere to post: the project has no bound chat (/bind it in a group)",
                            false,
                        )
                        .await?;
                    plan.skipped += 1;
                }
            }
        }
        // Chats by the class of their next row, then by its age: answers first, then the
        // longest waiting.
        let mut order: Vec<(i16, i64, i64)> = chats.iter().map(|(chat, rows)| (rows[0].class, rows[0].id, *chat)).collect();
        order.sort_unstable();
        let busy = self.busy_chats();
        if complete {
            let present: HashSet<i64> = chats.values().flatten().map(|r| r.id).collect();
            self.state().row_due.retain(|id, _| present.contains(id));
        }
        for (_, _, chat) in order {
            let mut rows = chats.remove(&chat).unwrap_or_default();
            let due_in = |row: &Queued| -> Option<Duration> {
                let memory = self.state().row_due.get(&row.id).copied();
                match memory {
                    Some(at) if at > now => Some(at - now),
                    Some(_) => None,
                    None if row.wait_ms > 0 => Some(Duration::from_millis(row.wait_ms as u64)),
                    None => None,
                }
            };
            if let Some(running) = busy.get(&chat) {
                // A higher class is due behind a lower-class unit: that unit yields.
                let head = class_of(&rows[0]);
                if head < *running && due_in(&rows[0]).is_none() {
                    self.state().yield_to.insert(chat, head);
                    self.kick.notify_waiters();
                }
                continue;
            }
            // No worker holds this chat, so rows still `sending` were left by a release that
            // failed: they are pending again.
            let stale: Vec<i64> = rows.iter().filter(|r| r.status == "sending").map(|r| r.id).collect();
            if !stale.is_empty() {
                tracing::warn!(chat, rows = stale.len(), "outbox: reclaiming rows left in flight");
                self.delivery.reclaim(&stale).await?;
                rows.iter_mut().for_each(|r| r.status = "pending".into());
            }
            if let Some(wait) = due_in(&rows[0]) {
                plan.wake(now + wait);
                continue;
            }
            let class = class_of(&rows[0]);
            let ready = self.limiter().ready(chat, class, now);
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
            let due: Vec<Queued> = rows.into_iter().take_while(|r| due_in(r).is_none()).collect();
            let unit = self.unit_for(chat, due).await?;
            let ids: Vec<i64> = unit.rows.iter().map(|r| r.id).collect();
            let claimed = self.delivery.claim(&ids).await?;
            if claimed.len() != ids.len() {
                self.delivery.release(&claimed).await?;
                continue;
            }
            {
                let mut st = self.state();
                st.busy.insert(chat, unit.class);
                st.yield_to.remove(&chat);
                for id in &ids {
                    st.row_due.remove(id);
                }
            }
            plan.units.push(unit);
        }
        Ok(())
    }

    /// What to deliver from a chat's due rows (oldest first, at least one).
    async fn unit_for(&self, chat: i64, due: Vec<Queued>) -> anyhow::Result<Unit> {
        let class = class_of(&due[0]);
        // A burst of runs and comments of one task: one activity message, not one each.
        if foldable(&due[0]) {
            let task = due[0].task_id;
            let run = due
                .iter()
                .take_while(|r| foldable(r) && r.task_id == task && class_of(r) == class)
                .take(FOLD_MAX)
                .count();
            if run >= FOLD_MIN {
                return Ok(Unit {
                    chat,
                    kind: UnitKind::Activity,
                    class,
                    rows: due.into_iter().take(run).collect(),
                });
            }
        }
        let notices: Vec<Option<Notice>> = due.iter().map(parse).collect();
        let repeats: Vec<Uuid> = notices.iter().filter_map(repeat_of).collect();
        let known: HashSet<Uuid> = if repeats.is_empty() {
            HashSet::new()
        } else {
            self.delivery.known_messages(ALERT, &repeats, chat).await?.into_iter().collect()
        };
        // A burst of alerts: new ones, resolutions, and repeats that have no message to edit.
        // An alert about a task goes alone: it is also shown in the task's thread.
        let run = due
            .iter()
            .zip(&notices)
            .take_while(|(row, n)| {
                class_of(row) == class
                    && row.task_id.is_none()
                    && n.as_ref().is_some_and(render::digestible)
                    && repeat_of(n).is_none_or(|a| !known.contains(&a))
            })
            .count();
        if run >= self.opts.digest_min.max(2) {
            let rows = due.into_iter().take(run).collect();
            return Ok(Unit {
                chat,
                kind: UnitKind::Digest,
                class,
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
                class,
                rows,
            });
        }
        Ok(Unit {
            chat,
            kind: UnitKind::Single,
            class,
            rows: due.into_iter().take(1).collect(),
        })
    }
}

impl Plan {
    fn wake(&mut self, at: Instant) {
        self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
    }
}
