//! Delivering one unit: the Bot API calls its notice needs, each through the limiter, then the
//! rows marked delivered (with Telegram's message id) in one transaction. A row whose call
//! failed is rescheduled, failed for good, or released untouched when the dispatcher stops.

use super::destination::{self, Destination, Origin, Thread};
use super::errors::{backoff, classify, Failure};
use super::limiter::Ready;
use super::plan::{Unit, UnitKind};
use super::{Engine, Halt};
use crate::render::text::{split, MESSAGE_LIMIT};
use crate::render::{self, ButtonSpec};
use mc_core::app::delivery::{Queued, SystemTopic, Undelivered, Via, ALERT, APPROVAL, QUESTION};
use mc_core::model::notice::Notice;
use mc_domain::TrafficClass;
use std::future::Future;
use std::time::{Duration, Instant};
use teloxide::payloads::setters::*;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters, ThreadId};
use teloxide::RequestError;
use uuid::Uuid;

mod threads;

/// The question a message shows, to remember (its answer edits it, a reply to it answers it).
fn question_shown(notice: &Notice) -> Option<(&'static str, Uuid)> {
    match notice {
        Notice::QuestionAsked { question_id, .. } | Notice::QuestionPicked { question_id, .. } => Some((QUESTION, *question_id)),
        _ => None,
    }
}

/// How long a worker keeps trying to record what Telegram accepted (see [`Engine::record`]).
const RECORD_PATIENCE: Duration = Duration::from_secs(120);

/// Why a unit stopped before it was done.
pub(super) enum Stop {
    /// A call failed; what that means for the rows.
    Failed(Failure),
    /// The dispatcher is stopping: the rows go back untouched.
    Halted,
    /// A row of a higher traffic class is due in the chat: the rows go back untouched and the
    /// planner sends that first.
    Yielded,
    /// Our own database or core failed: the rows go back and the chat pauses briefly.
    Internal(anyhow::Error),
}

impl From<mc_core::app::AppError> for Stop {
    fn from(e: mc_core::app::AppError) -> Self {
        Stop::Internal(anyhow::anyhow!("{e}"))
    }
}

/// Frees the chat for the planner when the unit ends, however it ends.
struct Busy<'a>(&'a Engine, i64);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        {
            let mut st = self.0.state();
            st.busy.remove(&self.1);
            st.yield_to.remove(&self.1);
        }
        self.0.kick.notify_waiters();
    }
}

/// Ends a limiter ticket when the call ends (or is dropped).
struct Slot<'a>(&'a Engine, Option<super::limiter::Ticket>);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.1.take() {
            self.0.limiter().finish(t, Instant::now());
            self.0.kick.notify_waiters();
        }
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// A keyboard the bot adapter wrote into a `Reply` (rows of buttons, or a whole markup).
fn given_keyboard(value: &serde_json::Value) -> Option<InlineKeyboardMarkup> {
    let markup = if value.is_array() {
        serde_json::json!({ "inline_keyboard": value })
    } else {
        value.clone()
    };
    serde_json::from_value::<InlineKeyboardMarkup>(markup)
        .ok()
        .filter(|m| m.inline_keyboard.iter().any(|r| !r.is_empty()))
}

impl Engine {
    /// Delivers a unit; returns how many rows it finished (delivered, failed or skipped).
    pub(super) async fn execute(&self, unit: Unit, halt: &Halt) -> usize {
        let _busy = Busy(self, unit.chat);
        match self.deliver(&unit, halt).await {
            Ok(done) => done,
            Err(Stop::Failed(Failure::Migrated(to))) => {
                tracing::warn!(
                    from = unit.chat,
                    to,
                    "outbox: the group became a supergroup; moving its binding and queue"
                );
                if let Err(e) = self.delivery.chat_migrated(unit.chat, to).await {
                    tracing::warn!(error = %e, chat = unit.chat, "outbox: moving a migrated chat");
                    self.limiter().hold(unit.chat, Instant::now() + Duration::from_secs(2));
                }
                let ids: Vec<i64> = unit.rows.iter().map(|r| r.id).collect();
                if let Err(e) = self.delivery.release(&ids).await {
                    tracing::warn!(error = %e, chat = unit.chat, "outbox: releasing rows; they are reclaimed later");
                }
                0
            }
            Err(Stop::Failed(failure)) => match self.after_failure(&unit, failure).await {
                Ok(done) => done,
                Err(e) => {
                    tracing::error!(error = %e, chat = unit.chat, "outbox: recording a failed delivery");
                    0
                }
            },
            Err(stop) => {
                if let Stop::Internal(e) = &stop {
                    tracing::warn!(error = %e, chat = unit.chat, "outbox: delivery interrupted");
                    // A moment for the database to come back, not a pause the chat notices.
                    self.limiter().hold(unit.chat, Instant::now() + Duration::from_millis(250));
                }
                let ids: Vec<i64> = unit.rows.iter().map(|r| r.id).collect();
                // Should this fail too, the planner reclaims the rows (no worker holds the chat).
                if let Err(e) = self.delivery.release(&ids).await {
                    tracing::warn!(error = %e, chat = unit.chat, "outbox: releasing rows; they are reclaimed later");
                }
                0
            }
        }
    }

    async fn deliver(&self, unit: &Unit, halt: &Halt) -> Result<usize, Stop> {
        let head = &unit.rows[0];
        let notices: Vec<Notice> = match unit.rows.iter().map(|r| serde_json::from_value(r.payload.clone())).collect() {
            Ok(n) => n,
            Err(e) => return Err(Stop::Failed(Failure::Permanent(format!("unreadable notice: {e}")))),
        };
        let dest = destination::resolve(&self.delivery, head, notices.first(), self.opts.default_lang).await?;
        let Some(mut dest) = dest else {
            for row in &unit.rows {
                self.delivery
                    .undelivered(row.id, Undelivered::Skipped, "nowhere to post: no bound chat", false)
                    .await?;
            }
            return Ok(unit.rows.len());
        };
        match unit.kind {
            UnitKind::Digest => self.digest(unit, &notices, &mut dest, halt).await,
            UnitKind::Coalesced => {
                let last = notices.last().expect("a unit has rows");
                self.alert_repeat(unit, last, &mut dest, halt).await
            }
            UnitKind::Activity => self.activity(unit, &notices, &mut dest, halt).await,
            UnitKind::Single => self.single(head, &notices[0], &mut dest, halt).await,
        }
    }

    async fn single(&self, row: &Queued, notice: &Notice, dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        // A task's rows go to its thread; an approval or alert about a task is copied there too.
        if row.target == "task" {
            return self.task_row(row, notice, dest, halt).await;
        }
        if row.task_id.is_some() {
            self.task_copy(row, notice, dest, halt).await?;
        }
        let lang = dest.lang;
        match notice {
            Notice::ApprovalRequested { approval_id, code, .. } => {
                let r = render::notice(notice, lang);
                let link = self.cockpit_link(&format!("approval_{code}"), lang).await;
                let kb = self.keyboard_linked(&r.buttons, dest.chat_id, link).await?;
                let id = self.send(dest, &r.text, kb, Some(row), halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, Some((APPROVAL, *approval_id)))
                    .await?;
            }
            Notice::ApprovalDecided { approval_id, .. } => {
                let request = self.latest(approval_id, "approval_requested").await?;
                let text = render::approval_decided(request.as_ref(), notice, lang);
                self.edit_or_post(row, dest, APPROVAL, *approval_id, &text, None, halt).await?;
            }
            Notice::QuestionAsked { .. } | Notice::QuestionClosed { .. } | Notice::QuestionPicked { .. } => {
                let (id, via) = self.question_message(row, notice, dest, halt).await?;
                self.delivered(&[row.id], dest, Some(id), via, question_shown(notice)).await?;
            }
            Notice::AlertRaised { alert_id, .. } => {
                let r = render::alert(notice, lang);
                let kb = self.keyboard(&r.buttons, dest.chat_id).await?;
                let id = self.send(dest, &r.text, kb, Some(row), halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, Some((ALERT, *alert_id)))
                    .await?;
            }
            Notice::AlertResolved { alert_id, .. } => {
                let raised = self.latest(alert_id, "alert_raised").await?;
                let text = render::alert_resolved(raised.as_ref(), notice, lang);
                self.edit_or_post(row, dest, ALERT, *alert_id, &text, None, halt).await?;
            }
            Notice::ChatBound { project, forum, actor, .. } => {
                if *forum && dest.forum {
                    self.create_system_topics(row, dest, halt).await?;
                }
                dest.thread = Thread::General;
                let id = self
                    .send(dest, &render::bound(project, actor, dest.forum, lang), None, Some(row), halt)
                    .await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
            }
            Notice::Standup {
                summary,
                completed_since_last,
            } => {
                let (text, chart) = render::standup_message(summary, *completed_since_last, lang);
                let png = tokio::task::spawn_blocking(move || crate::charts::standup_png(&chart))
                    .await
                    .map_err(|e| Stop::Failed(Failure::Permanent(format!("drawing the chart: {e}"))))?
                    .map_err(|e| Stop::Failed(Failure::Permanent(format!("{e:#}"))))?;
                let caption = render::standup_caption(summary, lang);
                // A retry after a crash between the two may repeat the picture, never lose the text.
                if row.parts_sent == 0 {
                    let photo = self.send_photo(dest, png, &caption, halt).await?;
                    self.record("a sent photo", || self.delivery.part_sent(row.id, 1, photo)).await?;
                }
                let id = self.send(dest, &text, None, None, halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
            }
            Notice::MenuButton { url } => {
                let button = match url.as_deref().map(url::Url::parse) {
                    Some(Ok(url)) => teloxide::types::MenuButton::WebApp {
                        text: "Cockpit".into(),
                        web_app: teloxide::types::WebAppInfo { url },
                    },
                    Some(Err(e)) => return Err(Stop::Failed(Failure::Permanent(format!("the cockpit's URL: {e}")))),
                    None => teloxide::types::MenuButton::Default,
                };
                let chat = dest.chat_id;
                self.call(chat, halt, || {
                    self.bot.set_chat_menu_button().chat_id(ChatId(chat)).menu_button(button).send()
                })
                .await?;
                self.delivered(&[row.id], dest, None, Via::Message, None).await?;
            }
            Notice::ReplyWithChart { text, chart, .. } => {
                let caption = chart.title.clone();
                let chart = chart.clone();
                let png = tokio::task::spawn_blocking(move || crate::charts::bars_png(&chart))
                    .await
                    .map_err(|e| Stop::Failed(Failure::Permanent(format!("drawing the chart: {e}"))))?
                    .map_err(|e| Stop::Failed(Failure::Permanent(format!("{e:#}"))))?;
                // As the standup: a retry after a crash between the two may repeat the picture,
                // never lose the text.
                if row.parts_sent == 0 {
                    let photo = self.send_photo(dest, png, &caption, halt).await?;
                    self.record("a sent photo", || self.delivery.part_sent(row.id, 1, photo)).await?;
                }
                let id = self.send(dest, text, None, Some(row), halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
            }
            Notice::Reply { text, keyboard, .. } => {
                let kb = keyboard.as_ref().and_then(given_keyboard);
                let id = self.send(dest, text, kb, Some(row), halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
            }
            Notice::EditInto {
                message_id, notice: inner, ..
            } => {
                let text = render::notice(notice, lang).text;
                if self.edit(dest.chat_id, *message_id, &text, None, halt).await? {
                    self.delivered(&[row.id], dest, Some(*message_id), Via::Edit, None).await?;
                } else {
                    // The question is gone: the event is still told, as its own message.
                    let text = render::notice(inner, lang).text;
                    let id = self.send(dest, &text, None, Some(row), halt).await?;
                    self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
                }
            }
            Notice::EditReply { message_id, text } => {
                if self.edit(dest.chat_id, *message_id, text, None, halt).await? {
                    self.delivered(&[row.id], dest, Some(*message_id), Via::Edit, None).await?;
                } else {
                    // The message is gone: nothing left to edit, and nothing to post instead.
                    self.delivery
                        .undelivered(row.id, Undelivered::Skipped, "the message to edit is gone", false)
                        .await?;
                }
            }
            _ => {
                let r = render::notice(notice, lang);
                let id = self.send(dest, &r.text, None, Some(row), halt).await?;
                self.delivered(&[row.id], dest, Some(id), Via::Message, None).await?;
            }
        }
        Ok(1)
    }

    /// A burst of alerts as one message; the rows that did not fit go back for the next one.
    async fn digest(&self, unit: &Unit, notices: &[Notice], dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        let refs: Vec<&Notice> = notices.iter().collect();
        let (text, n) = render::digest(&refs, dest.lang);
        let n = n.max(1).min(unit.rows.len());
        let (taken, rest) = unit.rows.split_at(n);
        if !rest.is_empty() {
            let ids: Vec<i64> = rest.iter().map(|r| r.id).collect();
            self.delivery.release(&ids).await?;
        }
        let id = self.send(dest, &text, None, None, halt).await?;
        let ids: Vec<i64> = taken.iter().map(|r| r.id).collect();
        self.delivered(&ids, dest, Some(id), Via::Digest, None).await?;
        Ok(n)
    }

    /// Repeats of an alert: its message is edited to the latest count (buttons kept).
    async fn alert_repeat(&self, unit: &Unit, latest: &Notice, dest: &mut Destination, halt: &Halt) -> Result<usize, Stop> {
        let Notice::AlertRaised { alert_id, .. } = latest else {
            return Err(Stop::Failed(Failure::Permanent("not an alert".into())));
        };
        let r = render::alert(latest, dest.lang);
        let kb = self.keyboard(&r.buttons, dest.chat_id).await?;
        let (last, earlier) = unit.rows.split_last().expect("a unit has rows");
        if last.task_id.is_some() {
            self.task_copy(last, latest, dest, halt).await?;
        }
        let known = self.delivery.message_of(ALERT, *alert_id, dest.chat_id).await?;
        let edited = match &known {
            Some(m) => self.edit(dest.chat_id, m.message_id, &r.text, kb.clone(), halt).await?,
            None => false,
        };
        let (id, via) = match (edited, known) {
            (true, Some(m)) => (m.message_id, Via::Edit),
            (false, Some(_)) => {
                self.delivery.forget_message(ALERT, *alert_id, dest.chat_id).await?;
                (self.send(dest, &r.text, kb, Some(last), halt).await?, Via::Message)
            }
            (_, None) => (self.send(dest, &r.text, kb, Some(last), halt).await?, Via::Message),
        };
        let earlier: Vec<i64> = earlier.iter().map(|r| r.id).collect();
        if !earlier.is_empty() {
            self.delivered(&earlier, dest, Some(id), Via::Coalesced, None).await?;
        }
        self.delivered(&[last.id], dest, Some(id), via, Some((ALERT, *alert_id))).await?;
        Ok(unit.rows.len())
    }

    /// Edits the entity's message in the chat; posts the text instead when the message is
    /// unknown or gone.
    #[allow(clippy::too_many_arguments)]
    async fn edit_or_post(
        &self,
        row: &Queued,
        dest: &mut Destination,
        kind: &'static str,
        entity: Uuid,
        text: &str,
        kb: Option<InlineKeyboardMarkup>,
        halt: &Halt,
    ) -> Result<(), Stop> {
        let known = self.delivery.message_of(kind, entity, dest.chat_id).await?;
        if let Some(m) = &known {
            if self.edit(dest.chat_id, m.message_id, text, kb.clone(), halt).await? {
                return self.delivered(&[row.id], dest, Some(m.message_id), Via::Edit, None).await;
            }
            self.delivery.forget_message(kind, entity, dest.chat_id).await?;
        }
        let id = self.send(dest, text, kb, Some(row), halt).await?;
        self.delivered(&[row.id], dest, Some(id), Via::Message, None).await
    }

    /// In a forum: the Approvals, Alerts and Standup topics the binding lacks, each stored as
    /// soon as it exists (so a retry does not create it twice).
    async fn create_system_topics(&self, row: &Queued, dest: &Destination, halt: &Halt) -> Result<(), Stop> {
        let Some(project_id) = row.project_id else { return Ok(()) };
        let binding = self.delivery.binding(project_id).await?;
        let Some(binding) = binding.filter(|b| b.chat_id == dest.chat_id) else {
            return Ok(());
        };
        for which in SystemTopic::ALL {
            if which.in_binding(&binding).is_some() {
                continue;
            }
            let which_name = which.as_str();
            let name = render::system_topic_name(which_name, dest.lang);
            let bot = self.bot.clone();
            let chat = dest.chat_id;
            match self
                .call(chat, halt, move || bot.create_forum_topic(ChatId(chat), name).send())
                .await
            {
                Ok(topic) => {
                    let id = topic.thread_id.0 .0;
                    self.record("a system topic", || self.delivery.set_system_topic(project_id, which, id))
                        .await?;
                }
                // The chat is no forum after all (or the bot may not manage topics): the binding
                // works without topics, so say so and go on.
                Err(Stop::Failed(Failure::Permanent(why))) => {
                    tracing::warn!(chat, which = which_name, error = %why, "could not create a system topic");
                    return Ok(());
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// A question's message: asked, it is posted with a button per option; closed, its
    /// message is edited to say how, without the buttons (posted anew when it is gone).
    pub(super) async fn question_message(
        &self,
        row: &Queued,
        notice: &Notice,
        dest: &mut Destination,
        halt: &Halt,
    ) -> Result<(i32, Via), Stop> {
        if let Notice::QuestionClosed { question_id, .. } = notice {
            let asked = self.latest(question_id, "question_asked").await?;
            let text = render::question_closed(asked.as_ref(), notice, dest.lang);
            if let Some(m) = self.delivery.message_of(QUESTION, *question_id, dest.chat_id).await? {
                if self.edit(dest.chat_id, m.message_id, &text, None, halt).await? {
                    return Ok((m.message_id, Via::Edit));
                }
            }
            return Ok((self.send(dest, &text, None, Some(row), halt).await?, Via::Message));
        }
        if let Notice::QuestionPicked { question_id, picked } = notice {
            // The question's message, its buttons ticked as the clicks left them; posted again
            // (to be answered there) if it is gone.
            let Some(asked) = self.latest(question_id, "question_asked").await? else {
                return Err(Stop::Failed(Failure::Permanent("the question's message is unknown".into())));
            };
            let r = render::question_picked(&asked, picked, dest.lang);
            let kb = self.keyboard(&r.buttons, dest.chat_id).await?;
            if let Some(m) = self.delivery.message_of(QUESTION, *question_id, dest.chat_id).await? {
                if self.edit(dest.chat_id, m.message_id, &r.text, kb.clone(), halt).await? {
                    return Ok((m.message_id, Via::Edit));
                }
            }
            return Ok((self.send(dest, &r.text, kb, Some(row), halt).await?, Via::Message));
        }
        let r = render::notice(notice, dest.lang);
        let kb = self.keyboard(&r.buttons, dest.chat_id).await?;
        Ok((self.send(dest, &r.text, kb, Some(row), halt).await?, Via::Message))
    }

    async fn latest(&self, entity: &Uuid, kind: &str) -> Result<Option<Notice>, Stop> {
        let payload = self.delivery.latest_payload(kind, *entity).await?;
        Ok(payload.and_then(|p| serde_json::from_value(p).ok()))
    }

    /// Buttons with their callback tokens stored (each button carries only its token).
    async fn keyboard(&self, rows: &[Vec<ButtonSpec>], chat: i64) -> Result<Option<InlineKeyboardMarkup>, Stop> {
        self.keyboard_linked(rows, chat, None).await
    }

    /// The "Open in cockpit" link of a card (`start`: `task_12`, `approval_A3`): a `t.me` link
    /// to the Mini App, which works in groups too (web-app buttons only in private chats).
    /// None when `telegram.mini_app_name` is not set.
    pub(super) async fn cockpit_link(&self, start: &str, lang: mc_domain::i18n::Lang) -> Option<(String, url::Url)> {
        self.app.rules.cockpit.mini_app_name.as_ref()?;
        let username = self
            .username
            .get_or_init(|| async {
                match crate::outbox::limiter::paced(&self.bot, || self.bot.get_me().send()).await {
                    Ok(me) => me.username.clone(),
                    Err(e) => {
                        tracing::warn!(error = %e, "telegram: getMe failed; cards carry no cockpit link");
                        None
                    }
                }
            })
            .await
            .as_deref()?;
        let link = self.app.rules.cockpit.link(username, start)?;
        Some((lang.t("bot-open-in-cockpit"), url::Url::parse(&link).ok()?))
    }

    /// [`Self::keyboard`] with a last row holding the cockpit link, when there is one.
    pub(super) async fn keyboard_linked(
        &self,
        rows: &[Vec<ButtonSpec>],
        chat: i64,
        link: Option<(String, url::Url)>,
    ) -> Result<Option<InlineKeyboardMarkup>, Stop> {
        if rows.iter().all(Vec::is_empty) && link.is_none() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for row in rows {
            let mut buttons = Vec::new();
            for b in row {
                let token = crate::actions::store(&self.app, &b.action, Some(chat)).await?;
                buttons.push(InlineKeyboardButton::callback(b.label.clone(), token));
            }
            out.push(buttons);
        }
        if let Some((label, url)) = link {
            out.retain(|row| !row.is_empty());
            out.push(vec![InlineKeyboardButton::url(label, url)]);
        }
        Ok(Some(InlineKeyboardMarkup::new(out)))
    }

    /// Marks rows delivered and remembers the entity's message, together.
    async fn delivered(
        &self,
        ids: &[i64],
        dest: &Destination,
        message_id: Option<i32>,
        via: Via,
        entity: Option<(&str, Uuid)>,
    ) -> Result<(), Stop> {
        let topic = match dest.thread {
            Thread::Topic(t) => Some(t),
            _ => None,
        };
        self.record("a delivery", || {
            self.delivery.delivered(ids, dest.chat_id, message_id, via, entity, topic)
        })
        .await
    }

    /// Records what Telegram has already done (a message sent, a topic made). Sending it again
    /// would show it twice, so a record that fails — a database blip after Telegram accepted
    /// the call — is retried on a fresh connection until the database is back (up to
    /// [`RECORD_PATIENCE`]), not given up for a resend.
    pub(super) async fn record<T, F, Fut>(&self, what: &str, mut write: F) -> Result<T, Stop>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = mc_core::app::AppResult<T>>,
    {
        let started = Instant::now();
        let mut wait = Duration::from_millis(50);
        loop {
            match write().await {
                Ok(done) => return Ok(done),
                Err(e) if started.elapsed() < RECORD_PATIENCE => {
                    tracing::warn!(error = %e, "outbox: recording {what} Telegram accepted failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(1));
                }
                Err(e) => return Err(Stop::Internal(anyhow::anyhow!("recording {what} Telegram accepted: {e}"))),
            }
        }
    }

    /// Sends text, cut into parts when it is too long (buttons on the last part). With a row,
    /// progress is saved after each part so that a restart resumes at the next one. Returns the
    /// id of the last part.
    async fn send(
        &self,
        dest: &mut Destination,
        text: &str,
        kb: Option<InlineKeyboardMarkup>,
        row: Option<&Queued>,
        halt: &Halt,
    ) -> Result<i32, Stop> {
        let parts = split(text, MESSAGE_LIMIT);
        let total = parts.len();
        let mut last = None;
        let mut first = 0;
        if let Some(row) = row.filter(|_| total > 1) {
            first = (row.parts_sent.max(0) as usize).min(total);
            last = row.telegram_message_id.filter(|_| first > 0);
            if last.is_none() {
                first = 0;
            }
        }
        for (i, part) in parts.iter().enumerate().skip(first) {
            let markup = if i + 1 == total { kb.clone() } else { None };
            let id = self.send_one(dest, part, markup, halt).await?;
            if let Some(row) = row.filter(|_| total > 1) {
                self.record("a sent part", || self.delivery.part_sent(row.id, (i + 1) as i32, id))
                    .await?;
            }
            last = Some(id);
        }
        last.ok_or_else(|| Stop::Failed(Failure::Permanent("nothing to send".into())))
    }

    /// One sendMessage; a lost topic is dealt with (a task's is reopened or made again) and
    /// otherwise the message goes to General instead.
    async fn send_one(&self, dest: &mut Destination, text: &str, kb: Option<InlineKeyboardMarkup>, halt: &Halt) -> Result<i32, Stop> {
        self.send_into_thread(dest, halt, |bot, chat, thread| {
            let mut req = bot
                .send_message(ChatId(chat), text.to_string())
                .parse_mode(ParseMode::Html)
                .link_preview_options(no_preview());
            match thread {
                Thread::General => {}
                Thread::Topic(t) => req = req.message_thread_id(ThreadId(MessageId(t))),
                Thread::ReplyTo(m) => req = req.reply_parameters(ReplyParameters::new(MessageId(m)).allow_sending_without_reply()),
            }
            if let Some(markup) = kb.clone() {
                req = req.reply_markup(markup);
            }
            req.send()
        })
        .await
    }

    /// sendPhoto of an in-memory PNG with a caption, into the destination's thread.
    async fn send_photo(&self, dest: &mut Destination, png: Vec<u8>, caption: &str, halt: &Halt) -> Result<i32, Stop> {
        self.send_into_thread(dest, halt, |bot, chat, thread| {
            let mut req = bot
                .send_photo(
                    ChatId(chat),
                    teloxide::types::InputFile::memory(png.clone()).file_name("standup.png"),
                )
                .caption(caption.to_string())
                .parse_mode(ParseMode::Html);
            match thread {
                Thread::General => {}
                Thread::Topic(t) => req = req.message_thread_id(ThreadId(MessageId(t))),
                Thread::ReplyTo(m) => req = req.reply_parameters(ReplyParameters::new(MessageId(m)).allow_sending_without_reply()),
            }
            req.send()
        })
        .await
    }

    /// One send (built by `request` for the chat and thread), paced; a lost topic is dealt with
    /// — a task's topic recreated, else the message goes to General — and the send tried again.
    async fn send_into_thread<F, Fut>(&self, dest: &mut Destination, halt: &Halt, request: F) -> Result<i32, Stop>
    where
        F: Fn(Bot, i64, Thread) -> Fut,
        Fut: Future<Output = Result<Message, RequestError>>,
    {
        let mut mended = 0;
        loop {
            let (chat, thread) = (dest.chat_id, dest.thread);
            let bot = self.bot.clone();
            let sent = self.call(chat, halt, || request(bot, chat, thread)).await;
            match sent {
                Ok(msg) => return Ok(msg.id.0),
                Err(Stop::Failed(Failure::TopicGone { deleted, .. })) if thread != Thread::General => {
                    if let Origin::Task(task_id) = dest.origin {
                        mended += 1;
                        if mended <= 2 && self.task_topic_lost(task_id, dest, deleted, halt).await? {
                            continue;
                        }
                    }
                    destination::thread_lost(&self.delivery, dest, deleted).await?;
                    dest.thread = Thread::General;
                    if dest.origin != Origin::Given {
                        dest.origin = Origin::Given;
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// editMessageText; `Ok(false)` when the message is gone (the caller posts instead). The
    /// keyboard is sent again when it stays: an edit without one removes it.
    async fn edit(&self, chat: i64, message_id: i32, text: &str, kb: Option<InlineKeyboardMarkup>, halt: &Halt) -> Result<bool, Stop> {
        let bot = self.bot.clone();
        let text = render_edit_text(text);
        let edited = self
            .call(chat, halt, move || {
                let mut req = bot
                    .edit_message_text(ChatId(chat), MessageId(message_id), text)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview());
                if let Some(kb) = kb {
                    req = req.reply_markup(kb);
                }
                req.send()
            })
            .await;
        match edited {
            Ok(_) | Err(Stop::Failed(Failure::NotModified)) => Ok(true),
            Err(Stop::Failed(Failure::EditTargetGone(_))) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One Bot API call to `chat`, when the limiter lets it go. A 429 holds the chat for
    /// `retry_after`.
    async fn call<T, F, Fut>(&self, chat: i64, halt: &Halt, request: F) -> Result<T, Stop>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let ticket = self.acquire(chat, halt).await?;
        let slot = Slot(self, Some(ticket));
        let result = request().await;
        drop(slot);
        // Kept in the database too, so a dispatcher that takes over after a restart counts it.
        if let Err(e) = self.delivery.record_call(chat).await {
            tracing::warn!(error = %e, "outbox: recording a Bot API call");
        }
        result.map_err(|e| {
            let failure = classify(&e);
            if let Failure::RetryAfter(wait) = &failure {
                self.limiter().hold(chat, Instant::now() + *wait);
            }
            Stop::Failed(failure)
        })
    }

    /// A slot for a call to `chat` in the class of the unit delivering to it; gives up when the
    /// dispatcher halts or when a higher class is due in the chat (the unit yields).
    async fn acquire(&self, chat: i64, halt: &Halt) -> Result<super::limiter::Ticket, Stop> {
        loop {
            if halt.is_set() {
                return Err(Stop::Halted);
            }
            let kicked = self.kick.notified();
            tokio::pin!(kicked);
            kicked.as_mut().enable();
            let class = {
                let st = self.state();
                let class = st.busy.get(&chat).copied().unwrap_or(TrafficClass::Human);
                if st.yield_to.get(&chat).is_some_and(|wanted| *wanted < class) {
                    return Err(Stop::Yielded);
                }
                class
            };
            let tried = self.limiter().try_acquire(chat, class, Instant::now());
            let wait = match tried {
                Ok(ticket) => return Ok(ticket),
                Err(Ready::At(t)) => t.saturating_duration_since(Instant::now()),
                Err(_) => Duration::from_millis(250),
            };
            // Woken by any kick too: a higher class may have become due.
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = &mut kicked => {}
                _ = halt.wait() => {}
            }
        }
    }

    /// After a failed call: wait as Telegram says (429), back off (transient), or give up.
    async fn after_failure(&self, unit: &Unit, failure: Failure) -> anyhow::Result<usize> {
        let now = Instant::now();
        let description = failure.describe();
        let mut finished = 0;
        match failure {
            Failure::RetryAfter(wait) => {
                tracing::info!(chat = unit.chat, wait_s = wait.as_secs(), "outbox: Telegram asked to wait");
                self.limiter().hold(unit.chat, now + wait);
                for row in &unit.rows {
                    self.delivery.reschedule(row.id, wait, &description, false).await?;
                    self.state().row_due.insert(row.id, now + wait);
                }
            }
            Failure::Permanent(_) => {
                tracing::warn!(chat = unit.chat, error = %description, rows = unit.rows.len(), "outbox: Telegram refused; giving up");
                for row in &unit.rows {
                    self.delivery.undelivered(row.id, Undelivered::Failed, &description, true).await?;
                    finished += 1;
                }
            }
            other => {
                // Network trouble and 5xx pass: they are retried for as long as they last (the
                // backoff is capped), so nothing is lost. Only odd failures count to a cap.
                let transient = matches!(other, Failure::Transient(_));
                for row in &unit.rows {
                    let attempt = row.attempts.max(0) as u32 + 1;
                    if !transient && attempt >= self.opts.max_attempts {
                        tracing::warn!(chat = unit.chat, row = row.id, error = %description, "outbox: giving up after {attempt} attempts");
                        self.delivery.undelivered(row.id, Undelivered::Failed, &description, true).await?;
                        finished += 1;
                    } else {
                        let wait = backoff(attempt, self.opts.backoff_base, self.opts.backoff_max);
                        tracing::info!(chat = unit.chat, row = row.id, attempt, wait_ms = wait.as_millis() as u64, error = %description, "outbox: retrying later");
                        self.delivery.reschedule(row.id, wait, &description, true).await?;
                        self.state().row_due.insert(row.id, now + wait);
                    }
                }
            }
        }
        Ok(finished)
    }
}

/// An edit must fit one message: longer text is cut (the request's details go first).
fn render_edit_text(text: &str) -> String {
    render::text::truncate(text, MESSAGE_LIMIT)
}
