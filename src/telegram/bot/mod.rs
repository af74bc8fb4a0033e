//! The bot: reads Telegram updates and calls the core. Nothing here decides anything; each
//! command and button is a thin call into [`crate::app::App`], whose answer is rendered in the
//! chat's language (`render`) and sent through the outbox (`App::reply`), like everything else
//! the bot says. Only `answerCallbackQuery` is called directly, because it must answer the
//! click at once.
//!
//! - [`run_polling`]: long polling (the default), with teloxide's dispatcher and a listener that
//!   confirms an update to Telegram only after it was handled (`listener`);
//! - [`webhook_router`]: webhook mode, served by the HTTP server, checking
//!   `X-Telegram-Bot-Api-Secret-Token`; [`start_webhook`] also registers the webhook;
//! - every update is handled through `App::for_update`, so a redelivered update acts once;
//! - in a task's thread, operators' messages become task comments and their edits follow
//!   (`threads`), and the card's buttons move and assign the task.

mod buttons;
mod command;
mod commands;
mod handlers;
pub mod listener;
pub mod render;
mod request;
mod threads;
mod webhook;

pub use command::COMMANDS;
pub use webhook::{start_webhook, webhook_path, webhook_router, SECRET_HEADER};

use crate::app::App;
use crate::configuration::TelegramSettings;
use crate::i18n::Lang;
use listener::{DurablePolling, Handling, InFlight};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, Update};

/// What the handlers share: the core and the bot's settings.
#[derive(Debug, Clone)]
pub struct BotState {
    pub app: App,
    /// The language of chats that have not chosen one.
    pub default_lang: Lang,
    pub(crate) in_flight: Arc<InFlight>,
}

impl BotState {
    pub fn new(app: App, settings: &TelegramSettings) -> Self {
        BotState {
            app,
            default_lang: Lang::parse(&settings.default_lang).unwrap_or_default(),
            in_flight: Arc::new(InFlight::default()),
        }
    }
}

/// The handler tree, the same for polling and webhooks. It needs `Bot`, `Me`, `BotState` and the
/// `Update` in its dependencies.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        // Marks the update handled when the tree is done with it (see `listener`).
        .map(|update: Update, state: BotState| -> Handling { state.in_flight.handling(update.id.0) })
        .chain(endpoints())
}

fn endpoints() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(handlers::message))
        .branch(Update::filter_edited_message().endpoint(handlers::edited))
        .branch(Update::filter_callback_query().endpoint(handlers::callback))
}

/// Attempts at an update in polling mode before it is given up (and audited as failed).
const UPDATE_ATTEMPTS: u32 = 4;

/// The handler tree for polling: like [`schema`], but an update whose handling fails is tried
/// again with backoff — as Telegram redelivers a webhook update answered with 500 — and, when
/// it keeps failing, recorded as failed in the audit (and `/metrics`) before it is confirmed.
/// A retry acts once: what an earlier attempt committed makes the update a duplicate.
fn polling_schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .map(|update: Update, state: BotState| -> Handling { state.in_flight.handling(update.id.0) })
        .endpoint(|bot: Bot, me: teloxide::types::Me, state: BotState, update: Update| async move {
            let handler = endpoints();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let deps = dptree::deps![bot.clone(), me.clone(), state.clone(), update.clone()];
                let err = match handler.dispatch(deps).await {
                    std::ops::ControlFlow::Break(Ok(())) | std::ops::ControlFlow::Continue(_) => return Ok(()),
                    std::ops::ControlFlow::Break(Err(err)) => err,
                };
                if attempt >= UPDATE_ATTEMPTS {
                    tracing::error!(update = update.id.0, error = format!("{err:#}"), "telegram: giving up on an update");
                    if let Err(e) = state.app.update_failed(update.id.0 as i64, &format!("{err:#}")).await {
                        tracing::error!(update = update.id.0, error = %e, "telegram: recording a failed update");
                    }
                    return Ok(());
                }
                let wait = Duration::from_millis(250 << attempt);
                tracing::warn!(
                    update = update.id.0,
                    attempt,
                    error = format!("{err:#}"),
                    "telegram: handling an update failed; retrying"
                );
                tokio::time::sleep(wait).await;
            }
        })
}

/// Long-polling timeout of each `getUpdates`.
const POLL_TIMEOUT: Duration = Duration::from_secs(25);

/// Runs the bot with long polling until `shutdown` resolves, then finishes the updates in
/// hand and returns. Registers the command list first.
pub async fn run_polling(
    app: App,
    bot: Bot,
    settings: TelegramSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_polling_with(app, bot, settings, POLL_TIMEOUT, shutdown).await
}

/// [`run_polling`] with a chosen long-polling timeout (tests and benchmarks use short ones).
pub async fn run_polling_with(
    app: App,
    bot: Bot,
    settings: TelegramSettings,
    poll_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = BotState::new(app, &settings);
    register_commands(&bot, state.default_lang).await;
    // Polling and a webhook exclude each other: drop a webhook left by webhook mode.
    match bot.get_webhook_info().await {
        Ok(info) if info.url.is_some() => {
            if let Err(e) = bot.delete_webhook().await {
                tracing::warn!(error = %e, "telegram: could not delete the webhook");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "telegram: getWebhookInfo failed"),
    }
    let listener = DurablePolling::new(bot.clone(), poll_timeout, state.in_flight.clone());
    let mut dispatcher = Dispatcher::builder(bot, polling_schema())
        .dependencies(dptree::deps![state])
        .default_handler(|update: Arc<Update>| async move {
            tracing::trace!(update = update.id.0, "telegram: update ignored");
        })
        .error_handler(Arc::new(|err: anyhow::Error| async move {
            tracing::error!(error = format!("{err:#}"), "telegram: handling an update failed");
        }))
        .build();
    let token = dispatcher.shutdown_token();
    let stopper = tokio::spawn(async move {
        shutdown.await;
        // The token works once dispatching has started.
        loop {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    return;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    tracing::info!("telegram: bot polling");
    let result = dispatcher
        .try_dispatch_with_listener(
            listener,
            Arc::new(|err: teloxide::RequestError| async move {
                tracing::warn!(error = %err, "telegram: getUpdates failed");
            }),
        )
        .await;
    stopper.abort();
    result.map_err(|e| anyhow::anyhow!("telegram: getMe failed, is the token right? ({e})"))?;
    tracing::info!("telegram: bot stopped");
    Ok(())
}

/// The command list for `setMyCommands`, described in `lang`.
pub fn bot_commands(lang: Lang) -> Vec<BotCommand> {
    COMMANDS
        .iter()
        .map(|name| BotCommand::new(*name, lang.t(&format!("bot-cmd-{name}"))))
        .collect()
}

/// Registers the command descriptions: the default language without a language code, and
/// every language for its own code, paced under the global limit. Failures are logged, not fatal.
pub async fn register_commands(bot: &Bot, default_lang: Lang) {
    use crate::telegram::outbox::limiter::paced;
    if let Err(e) = paced(bot, || bot.set_my_commands(bot_commands(default_lang)).send()).await {
        tracing::warn!(error = %e, "telegram: setMyCommands failed");
    }
    for lang in Lang::ALL {
        let register = || bot.set_my_commands(bot_commands(*lang)).language_code(lang.code()).send();
        if let Err(e) = paced(bot, register).await {
            tracing::warn!(error = %e, lang = lang.code(), "telegram: setMyCommands failed");
        }
    }
}
