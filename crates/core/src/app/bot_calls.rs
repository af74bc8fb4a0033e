//! The bot's own Bot API calls (callback answers, `setMyCommands`, `setWebhook`) go to Telegram
//! directly, not through the outbox; they are written to the same call log as the dispatcher's
//! (`telegram_calls`), as calls bound to no chat, so that they count against the bot's global
//! window whichever replica made them: a dispatcher that starts (or takes over) reads that log,
//! and the active one hears each such call of another replica as it is made (a notification on
//! the outbox channel) and counts it in its global window at once.

use super::{App, AppResult};
use crate::storage;
use std::sync::LazyLock;
use uuid::Uuid;

/// This process, as the maker of direct calls: its own calls are already in its limiter.
static THIS_PROCESS: LazyLock<Uuid> = LazyLock::new(Uuid::new_v4);

pub(crate) fn this_process() -> Uuid {
    *THIS_PROCESS
}

impl App {
    /// Records one Bot API call bound to no chat, made now.
    pub async fn record_bot_call(&self) -> AppResult<()> {
        let mut conn = self.pool.acquire().await?;
        storage::telegram_calls::record(&mut conn, storage::telegram_calls::NO_CHAT, Some(this_process())).await?;
        Ok(())
    }
}
