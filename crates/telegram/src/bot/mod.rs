//! The bot: reads Telegram updates and calls the core. Nothing here decides anything; each
//! command and button is a thin call into [`mc_core::app::App`], whose answer is rendered in the
//! chat's language (`telegram::render`) and sent through the outbox (`App::reply`), like everything else
//! the bot says. Only `answerCallbackQuery` is called directly, because it must answer the
//! click at once.
//!
//! - [`run_polling`]: long polling (the default), with teloxide's dispatcher and a listener that
//!   confirms an update to Telegram only after it was handled (`listener`);
//! - [`webhook_router`]: webhook mode, served by the HTTP server of every replica, checking
//!   `X-Telegram-Bot-Api-Secret-Token`; [`register_webhook`] registers it with Telegram (done
//!   by the elected replica only), [`start_webhook`] does both;
//! - every update is handled through `App::for_update`, so a redelivered update acts once;
//! - in a task's thread, operators' messages become task comments and their edits follow
//!   (`threads`), and the card's buttons move and assign the task.

mod buttons;
mod codes;
mod command;
mod commands;
mod grants;
mod handlers;
pub mod listener;
mod questions;
mod request;
mod reviews;
mod threads;
mod webhook;

pub use command::{Command, COMMANDS};
pub use webhook::{register_webhook, start_webhook, webhook_path, webhook_router, SECRET_HEADER};

use crate::render;
use listener::{DurablePolling, Handling, InFlight};
use mc_config::TelegramSettings;
use mc_core::app::leadership::RoleHandle;
use mc_core::app::App;
use mc_domain::i18n::Lang;
use mc_domain::roles::Role;
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

/// After the second 409 Conflict in a row (another deployment polls the same token), each
/// further `getUpdates` waits this long on top of the listener's own backoff.
const CONFLICT_BACKOFF: Duration = Duration::from_secs(30);

/// Runs the bot with long polling until `shutdown` resolves, then finishes the updates in
/// hand and returns. Registers the command list first. Reports a 409 storm (another process
/// polling the same token) through `poller`. Only the elected poller runs this (see `startup`).
pub async fn run_polling(
    app: App,
    bot: Bot,
    settings: TelegramSettings,
    poller: RoleHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_polling_reporting(app, bot, settings, POLL_TIMEOUT, poller, shutdown).await
}

/// [`run_polling`] with a chosen long-polling timeout (tests and benchmarks use short ones).
pub async fn run_polling_with(
    app: App,
    bot: Bot,
    settings: TelegramSettings,
    poll_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let poller = RoleHandle::detached(Role::Poller);
    run_polling_reporting(app, bot, settings, poll_timeout, poller, shutdown).await
}

async fn run_polling_reporting(
    app: App,
    bot: Bot,
    settings: TelegramSettings,
    poll_timeout: Duration,
    poller: RoleHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = BotState::new(app, &settings);
    register_commands(&state.app, &bot, state.default_lang).await;
    set_menu_buttons(&state.app, &bot).await;
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
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let stopper = tokio::spawn(async move {
        shutdown.await;
        // First end a conflict backoff in the error handler, and let the dispatcher get back
        // to its loop: teloxide misses a shutdown requested while an error handler runs.
        let _ = stop.send(true);
        tokio::time::sleep(Duration::from_millis(200)).await;
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
            Arc::new(move |err: teloxide::RequestError| {
                let (poller, mut stopping) = (poller.clone(), stopping.clone());
                async move {
                    if !matches!(err, teloxide::RequestError::Api(teloxide::ApiError::TerminatedByOtherGetUpdates)) {
                        tracing::warn!(error = %err, "telegram: getUpdates failed");
                        return;
                    }
                    let seen = poller.conflict();
                    if seen < 2 {
                        tracing::info!("telegram: getUpdates ended by another one (the poller changing hands)");
                        return;
                    }
                    if seen == 2 {
                        tracing::warn!(
                            backoff = ?CONFLICT_BACKOFF,
                            "telegram: another process polls this bot's token (409 Conflict: terminated by other \
                             getUpdates request); backing off. Run one deployment per bot token."
                        );
                    }
                    // The dispatcher awaits this before asking for more: it is the backoff.
                    tokio::select! {
                        _ = tokio::time::sleep(CONFLICT_BACKOFF) => {}
                        _ = stopping.wait_for(|s| *s) => {}
                    }
                }
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
        .map(|command| BotCommand::new(command.as_str(), lang.t(command.description_id())))
        .collect()
}

/// `/help`: every command with its usage and description, in `lang`.
pub fn help(lang: Lang) -> String {
    let mut out = lang.t("bot-help-title");
    for command in COMMANDS {
        out.push('\n');
        out.push_str(&lang.ta(
            "bot-help-line",
            &[
                ("usage", render::plain(&lang.t(command.usage_id()))),
                ("description", mc_domain::i18n::text(&lang.t(command.description_id()))),
            ],
        ));
    }
    out
}

/// One Bot API call bound to no chat, made outside the outbox dispatcher: paced by this
/// process's limiter and written to the call log, so that it counts against the bot's window
/// on every replica (see `app::bot_calls`).
pub(crate) async fn paced_call<T, Fut>(app: &App, bot: &Bot, call: impl FnOnce() -> Fut) -> T
where
    Fut: Future<Output = T>,
{
    let out = crate::outbox::limiter::paced(bot, call).await;
    if let Err(e) = app.record_bot_call().await {
        tracing::warn!(error = %e, "telegram: recording a Bot API call");
    }
    out
}

/// Gives every operator's private chat the menu button that opens the cockpit
/// (`setChatMenuButton` with a web app: `app.public_url` + `/app`), when `app.public_url` is
/// set. Web-app buttons work only in private chats (groups get the cards' `t.me` links). Paced
/// under the global limit; a chat Telegram refuses (the user never opened the bot) is logged.
pub async fn set_menu_buttons(app: &App, bot: &Bot) {
    let Some(url) = app.rules.cockpit.url.as_deref() else { return };
    let url = match url::Url::parse(url) {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(error = %e, url, "telegram: the cockpit's URL is not a URL; no menu button");
            return;
        }
    };
    let users = match app.telegram_operator_ids().await {
        Ok(users) => users,
        Err(e) => {
            tracing::warn!(error = %e, "telegram: cannot read the operators; no menu buttons set");
            return;
        }
    };
    for user in users {
        let button = teloxide::types::MenuButton::WebApp {
            text: "Cockpit".into(),
            web_app: teloxide::types::WebAppInfo { url: url.clone() },
        };
        let set = || bot.set_chat_menu_button().chat_id(ChatId(user)).menu_button(button).send();
        if let Err(e) = paced_call(app, bot, set).await {
            tracing::warn!(error = %e, user, "telegram: setChatMenuButton failed");
        }
    }
}

/// Registers the command descriptions: the default language without a language code, and
/// every language for its own code, paced under the global limit. Failures are logged, not fatal.
pub async fn register_commands(app: &App, bot: &Bot, default_lang: Lang) {
    if let Err(e) = paced_call(app, bot, || bot.set_my_commands(bot_commands(default_lang)).send()).await {
        tracing::warn!(error = %e, "telegram: setMyCommands failed");
    }
    for lang in Lang::ALL {
        let register = || bot.set_my_commands(bot_commands(*lang)).language_code(lang.code()).send();
        if let Err(e) = paced_call(app, bot, register).await {
            tracing::warn!(error = %e, lang = lang.code(), "telegram: setMyCommands failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_and_help_exist_in_every_language() {
        for lang in Lang::ALL {
            for command in COMMANDS {
                for key in [command.usage_id(), command.description_id()] {
                    assert_ne!(lang.t(key), key, "{} lacks {key}", lang.code());
                }
                let description = lang.t(command.description_id());
                assert!((1..=256).contains(&description.chars().count()), "{command}: {description}");
            }
            assert!(help(*lang).encode_utf16().count() < 4096);
        }
    }
}
