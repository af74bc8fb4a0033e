//! Webhook mode: Telegram POSTs each update to the HTTP server. The request must carry the
//! configured secret in `X-Telegram-Bot-Api-Secret-Token`; the update goes through the same
//! handler tree as in polling mode, and the answer is 200 only once it was handled, so an update
//! whose handling failed is delivered again (and, if it had acted, recognised by its id).
//! Any number of replicas can serve the webhook behind a load balancer (each checks the secret;
//! an update posted to two of them acts once, by its id); only the elected one registers it.

use super::listener::ALLOWED_UPDATES;
use super::{paced_call, register_commands, schema, BotState};
use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use mc_config::TelegramSettings;
use mc_core::app::App;
use mc_domain::i18n::Lang;
use std::ops::ControlFlow;
use std::sync::Arc;
use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{Me, Update};
use tokio::sync::OnceCell;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
const DEFAULT_PATH: &str = "/telegram/webhook";

struct Hook {
    bot: Bot,
    state: BotState,
    secret: String,
    me: OnceCell<Me>,
    handler: UpdateHandler<anyhow::Error>,
}

/// The path the webhook is served at: the path of `telegram.webhook_url`, or
/// `/telegram/webhook` when that URL has none.
pub fn webhook_path(settings: &TelegramSettings) -> String {
    url::Url::parse(&settings.webhook_url)
        .ok()
        .map(|u| u.path().trim_end_matches('/').to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PATH.to_string())
}

/// The webhook endpoint (POST at [`webhook_path`]), to merge into the HTTP server's router.
pub fn webhook_router(app: App, bot: Bot, settings: TelegramSettings) -> Router {
    let hook = Arc::new(Hook {
        state: BotState::new(app, &settings),
        secret: settings.webhook_secret.clone(),
        bot,
        me: OnceCell::new(),
        handler: schema(),
    });
    Router::new().route(&webhook_path(&settings), post(receive)).with_state(hook)
}

/// Registers the commands and the webhook (with its secret) with Telegram, and returns the
/// router that serves it. For one process; with replicas, every one serves [`webhook_router`]
/// and the elected one calls [`register_webhook`].
pub async fn start_webhook(app: App, bot: Bot, settings: TelegramSettings) -> anyhow::Result<Router> {
    register_webhook(&app, &bot, &settings).await?;
    Ok(webhook_router(app, bot, settings))
}

/// Registers the commands and the webhook (with its secret) with Telegram; both calls are
/// paced and counted in the bot's call log like the dispatcher's.
pub async fn register_webhook(app: &App, bot: &Bot, settings: &TelegramSettings) -> anyhow::Result<()> {
    register_commands(app, bot, Lang::parse(&settings.default_lang).unwrap_or_default()).await;
    super::set_menu_buttons(app, bot).await;
    let url =
        url::Url::parse(&settings.webhook_url).with_context(|| format!("telegram.webhook_url '{}' is not a URL", settings.webhook_url))?;
    let set = || {
        bot.set_webhook(url)
            .secret_token(settings.webhook_secret.clone())
            .allowed_updates(ALLOWED_UPDATES)
            .send()
    };
    paced_call(app, bot, set)
        .await
        .context("registering the Telegram webhook (setWebhook)")?;
    tracing::info!(path = %webhook_path(settings), "telegram: webhook registered");
    Ok(())
}

/// Compares without an early exit, so timing says nothing about the secret.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if hook.secret.is_empty() || !same_secret(given, hook.secret.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => {
            // Not an update: asking Telegram to send it again would not help.
            tracing::warn!(error = %e, "telegram: webhook body is not an update");
            return StatusCode::OK;
        }
    };
    let me = match hook.me.get_or_try_init(|| async { hook.bot.get_me().await }).await {
        Ok(me) => me.clone(),
        Err(e) => {
            tracing::warn!(error = %e, "telegram: getMe failed; the update will come again");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    let deps = dptree::deps![hook.bot.clone(), me, hook.state.clone(), update];
    match hook.handler.dispatch(deps).await {
        ControlFlow::Break(Ok(())) | ControlFlow::Continue(_) => StatusCode::OK,
        ControlFlow::Break(Err(err)) => {
            tracing::error!(error = format!("{err:#}"), "telegram: handling a webhook update failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcdeX", b"0123456789abcdef"));
        assert!(!same_secret(b"short", b"0123456789abcdef"));
        assert!(!same_secret(b"", b"0123456789abcdef"));
    }

    #[test]
    fn the_path_follows_the_public_url() {
        let mut settings = TelegramSettings {
            token: String::new(),
            api_url: String::new(),
            mode: mc_config::TelegramMode::Webhook,
            webhook_url: "https://mc.example.com/hooks/tg/".into(),
            webhook_secret: String::new(),
            admins: vec![],
            default_lang: "en".into(),
            mini_app_name: String::new(),
        };
        assert_eq!(webhook_path(&settings), "/hooks/tg");
        settings.webhook_url = "https://mc.example.com".into();
        assert_eq!(webhook_path(&settings), DEFAULT_PATH);
        settings.webhook_url = String::new();
        assert_eq!(webhook_path(&settings), DEFAULT_PATH);
    }
}
