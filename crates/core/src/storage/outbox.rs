use crate::model::notice::{Notice, Target};
use chrono::{DateTime, Utc};
use mc_domain::TrafficClass;
use sqlx::PgConnection;
use uuid::Uuid;

/// The channel `serve`'s dispatcher LISTENs on.
pub const CHANNEL: &str = "mc_outbox";

/// Kinds of rows delivered after everything else of their chat and class (the threads binding a
/// forum asks for every open task).
pub const BULK: &[&str] = &["task_thread_needed"];

pub async fn insert(
    conn: &mut PgConnection,
    project_id: Option<Uuid>,
    target: Target,
    notice: &Notice,
    class: TrafficClass,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let (task_id, chat_id) = match target {
        Target::Task(id) => (Some(id), None),
        Target::Chat(chat) => (None, Some(chat)),
        Target::Approvals | Target::Alerts => (related_task(conn, notice).await?, None),
        _ => (None, None),
    };
    let payload = serde_json::to_value(notice).expect("notices serialize");
    sqlx::query_scalar(
        "INSERT INTO outbox (project_id, target, task_id, chat_id, kind, payload, next_attempt_at, created_at, class)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
    )
    .bind(project_id)
    .bind(target.as_str())
    .bind(task_id)
    .bind(chat_id)
    .bind(notice.kind())
    .bind(payload)
    .bind(now)
    .bind(class.as_i16())
    .fetch_one(conn)
    .await
}

/// The task an approval or alert is about (the approval's task; an alert whose subject is
/// `task:<id>`, or whose details name the task it held, like `budget_exceeded`). Such a row keeps
/// its target (the Approvals or Alerts topic) and carries the task, so that the dispatcher also
/// shows it in the task's thread.
async fn related_task(conn: &mut PgConnection, notice: &Notice) -> sqlx::Result<Option<Uuid>> {
    match notice {
        Notice::ApprovalRequested { approval_id, .. } | Notice::ApprovalDecided { approval_id, .. } => {
            sqlx::query_scalar("SELECT task_id FROM approvals WHERE id = $1 AND task_id IS NOT NULL")
                .bind(approval_id)
                .fetch_optional(conn)
                .await
        }
        Notice::AlertRaised { alert_id, .. } | Notice::AlertResolved { alert_id, .. } => {
            sqlx::query_scalar(
                "SELECT t.id FROM alerts a
                 JOIN tasks t ON t.project_id = a.project_id AND t.id::text = coalesce(
                     CASE WHEN a.subject ~* '^task:[0-9a-f-]{36}$' THEN lower(substr(a.subject, 6)) END,
                     CASE WHEN a.details->>'taskId' ~* '^[0-9a-f-]{36}$' THEN lower(a.details->>'taskId') END)
                 WHERE a.id = $1",
            )
            .bind(alert_id)
            .fetch_optional(conn)
            .await
        }
        _ => Ok(None),
    }
}

pub async fn notify_dispatcher(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_notify($1, '')").bind(CHANNEL).execute(conn).await?;
    Ok(())
}

// ---- the dispatcher's side (src/telegram/outbox) ----

/// An undelivered row with where it goes now, as the dispatcher plans it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Queued {
    pub id: i64,
    pub project_id: Option<Uuid>,
    pub target: String,
    pub task_id: Option<Uuid>,
    pub chat_id: Option<i64>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub parts_sent: i32,
    pub telegram_message_id: Option<i32>,
    /// The chat it goes to: the explicit chat, else the project's bound chat (where the task
    /// threads are too); `None` when there is none (the row is skipped).
    pub dest_chat_id: Option<i64>,
    /// Milliseconds until it is due (zero or less: due now).
    pub wait_ms: i64,
    /// Its traffic class as delivered: its own, or that of an earlier undelivered row about the
    /// same entity (approval, alert, task) in the same chat when that is lower, so that a row
    /// never overtakes what it edits.
    pub class: i16,
}

/// The undelivered rows, at most `per_chat` per destination chat and `limit` in all, by traffic
/// class and then in id order (bulk thread creation, `BULK`, after the rest of its class), so
/// that an answer or an approval request never waits behind mirroring. "Due" compares with the
/// later of the database's clock and the core's (`app_now`), so rows written by a core whose
/// clock lags (tests) are not held back.
pub async fn queued(conn: &mut PgConnection, app_now: DateTime<Utc>, per_chat: i64, limit: i64) -> sqlx::Result<Vec<Queued>> {
    sqlx::query_as(
        "SELECT * FROM (
             SELECT e.*, row_number() OVER (PARTITION BY e.dest_chat_id ORDER BY e.class, e.kind = ANY($4), e.id) AS rn FROM (
                 SELECT r.*, max(r.own_class) OVER (PARTITION BY r.dest_chat_id, r.entity ORDER BY r.id) AS class FROM (
                     SELECT o.id, o.project_id, o.target, o.task_id, o.chat_id, o.kind, o.payload, o.status, o.attempts,
                            o.parts_sent, o.telegram_message_id, o.class AS own_class,
                            coalesce(o.payload->>'approval_id', o.payload->>'alert_id', o.task_id::text, o.id::text) AS entity,
                            CASE o.target WHEN 'chat' THEN o.chat_id ELSE b.chat_id END AS dest_chat_id,
                            (extract(epoch FROM o.next_attempt_at - greatest(now(), $1)) * 1000)::bigint AS wait_ms
                     FROM outbox o
                     LEFT JOIN chat_bindings b ON b.project_id = o.project_id
                     WHERE o.status IN ('pending', 'sending')
                 ) r
             ) e
         ) w
         WHERE w.rn <= $2
         ORDER BY w.class, w.kind = ANY($4), w.id
         LIMIT $3",
    )
    .bind(app_now)
    .bind(per_chat)
    .bind(limit)
    .bind(BULK)
    .fetch_all(conn)
    .await
}

/// Rows a crashed dispatcher left `sending` go back to `pending` (the one it was sending may
/// then reach the chat twice, which the issue accepts). Returns how many.
pub async fn reset_sending(conn: &mut PgConnection) -> sqlx::Result<u64> {
    let done = sqlx::query("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Marks rows `sending`; returns the ids that were still `pending`.
pub async fn claim(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("UPDATE outbox SET status = 'sending' WHERE id = ANY($1) AND status = 'pending' RETURNING id")
        .bind(ids)
        .fetch_all(conn)
        .await
}

/// Puts claimed rows back, untouched (shutdown, or rows that did not fit a digest).
pub async fn release(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET status = 'pending' WHERE id = ANY($1) AND status = 'sending'")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Rows delivered to `chat` as (or into) message `message_id`, the way `delivery` says.
pub async fn mark_delivered(
    conn: &mut PgConnection,
    ids: &[i64],
    chat: i64,
    message_id: Option<i32>,
    delivery: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = 'delivered', delivered_at = $5, delivered_chat_id = $2,
             telegram_message_id = coalesce($3, telegram_message_id), delivery = $4
         WHERE id = ANY($1)",
    )
    .bind(ids)
    .bind(chat)
    .bind(message_id)
    .bind(delivery)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Progress through a message sent in several parts, so that a restart resumes after them.
pub async fn part_sent(conn: &mut PgConnection, id: i64, parts_sent: i32, message_id: i32) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET parts_sent = $2, telegram_message_id = $3 WHERE id = $1")
        .bind(id)
        .bind(parts_sent)
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Back to `pending`, due `delay` from now (the database's clock); `count_attempt` for failures
/// (a 429 is Telegram's pacing, not a failure). Returns the attempts so far.
pub async fn reschedule(
    conn: &mut PgConnection,
    id: i64,
    delay: std::time::Duration,
    error: &str,
    count_attempt: bool,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "UPDATE outbox SET status = 'pending', next_attempt_at = now() + make_interval(secs => $2),
             attempts = attempts + $3, last_error = $4
         WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .bind(delay.as_secs_f64())
    .bind(i32::from(count_attempt))
    .bind(error)
    .fetch_one(conn)
    .await
}

/// Gives up on a row (`failed`) or decides it has nowhere to go (`skipped`), saying why.
pub async fn finish_undelivered(conn: &mut PgConnection, id: i64, status: &str, error: &str, count_attempt: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET status = $2, last_error = $3, attempts = attempts + $4 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(i32::from(count_attempt))
        .execute(conn)
        .await?;
    Ok(())
}

/// The payload of the latest `kind` row about an approval or alert (`approval_requested`,
/// `alert_raised`): what its message showed, to re-render it when it is edited.
pub async fn latest_payload(conn: &mut PgConnection, kind: &str, entity_id: Uuid) -> sqlx::Result<Option<serde_json::Value>> {
    sqlx::query_scalar(
        "SELECT payload FROM outbox
         WHERE kind = $1 AND coalesce(payload->>'approval_id', payload->>'alert_id', payload->>'question_id') = $2
         ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(entity_id.to_string())
    .fetch_optional(conn)
    .await
}

/// Forgets a system topic that Telegram no longer has (deleted or closed by a human): the
/// project's messages of that kind go to the chat's General until a topic is set again.
pub async fn clear_system_topic(conn: &mut PgConnection, project_id: Uuid, which: &str, topic_id: i32) -> sqlx::Result<()> {
    let sql = match which {
        "approvals" => "UPDATE chat_bindings SET approvals_topic_id = NULL WHERE project_id = $1 AND approvals_topic_id = $2",
        "alerts" => "UPDATE chat_bindings SET alerts_topic_id = NULL WHERE project_id = $1 AND alerts_topic_id = $2",
        "standup" => "UPDATE chat_bindings SET standup_topic_id = NULL WHERE project_id = $1 AND standup_topic_id = $2",
        _ => return Err(sqlx::Error::Protocol(format!("unknown system topic {which}"))),
    };
    sqlx::query(sql).bind(project_id).bind(topic_id).execute(conn).await?;
    Ok(())
}

/// A group became a supergroup: its undelivered rows addressed to it by id go to the new chat.
pub async fn move_chat(conn: &mut PgConnection, from: i64, to: i64) -> sqlx::Result<u64> {
    let done = sqlx::query("UPDATE outbox SET chat_id = $2 WHERE chat_id = $1 AND status IN ('pending', 'sending')")
        .bind(from)
        .bind(to)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The payloads of the rows delivered into message `message_id` of `chat` as a task's folded
/// activity, oldest first: what the message shows, to edit it with more.
pub async fn folded_into(conn: &mut PgConnection, chat: i64, message_id: i32) -> sqlx::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar(
        "SELECT payload FROM outbox
         WHERE delivered_chat_id = $1 AND telegram_message_id = $2 AND delivery = 'activity' AND status = 'delivered'
         ORDER BY id",
    )
    .bind(chat)
    .bind(message_id)
    .fetch_all(conn)
    .await
}
