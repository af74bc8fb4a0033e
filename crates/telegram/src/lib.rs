//! The Telegram adapter: the bot that reads updates and calls the core (`bot`), the
//! dispatcher that delivers the outbox (`outbox`), and what both say (`render`). Both talk to the Bot API at
//! `telegram.api_url`, which tests point at the fake (the `fake-telegram` crate in
//! `crates/fake-telegram`, a dev-dependency).

pub mod actions;
pub mod bot;
pub mod charts;
pub mod outbox;
pub mod render;

use anyhow::Context;
use mc_config::TelegramSettings;
use teloxide::Bot;

/// A Bot API client for the configured token and base URL.
pub fn make_bot(settings: &TelegramSettings) -> anyhow::Result<Bot> {
    let url = url::Url::parse(settings.api_url.trim_end_matches('/'))
        .with_context(|| format!("telegram.api_url '{}' is not a URL", settings.api_url))?;
    Ok(Bot::new(settings.token.clone()).set_api_url(url))
}
