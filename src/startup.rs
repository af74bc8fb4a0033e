//! Builds the running service from settings: database, core, HTTP server. The server takes a
//! listener and a shutdown future, so tests run it in-process on port 0.

use anyhow::Context;
use axum::serve::ListenerExt;
use mc_agent_api::http::connections::Bounded;
use mc_agent_api::http::health::{Health, ServiceStatus};
use mc_agent_api::http::metrics::RequestMetrics;
use mc_agent_api::http::rate_limit::{AuthThrottle, TokenLimiter};
use mc_agent_api::http::{self, HttpState};
use mc_agent_api::mcp;
use mc_config::{Settings, TelegramMode};
use mc_core::app::leadership::{ElectionTiming, RoleHandle, Roles, StopSignal, POLLER_LOCK};
use mc_core::app::{App, Rules, SystemClock};
use mc_domain::i18n::Lang;
use mc_domain::roles::{Role, RoleState};
use mc_embedded_db::{EmbeddedPostgres, Purpose};
use mc_jobs::Scheduler;
use mc_telegram::bot;
use mc_telegram::outbox::{DispatchOptions, Dispatcher};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use teloxide::requests::Requester;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// A database URL for the settings: the configured one, or a private embedded PostgreSQL.
/// `serve` owns the embedded server; a command joins the one a running `serve` owns.
pub async fn database_url(settings: &Settings, purpose: Purpose) -> anyhow::Result<(String, Option<EmbeddedPostgres>)> {
    if !settings.database.url.is_empty() {
        return Ok((settings.database.url.clone(), None));
    }
    tracing::info!(dir = %settings.database.embedded_data_dir.display(), "no database URL configured; using the embedded PostgreSQL");
    let embedded = EmbeddedPostgres::start(&settings.database.embedded_data_dir, "mission_control", purpose)
        .await
        .context("starting the embedded PostgreSQL (set DATABASE_URL to use an existing server instead)")?;
    Ok((embedded.url(), Some(embedded)))
}

/// The core on the database at `url` (created when missing, not migrated), on the system clock.
pub async fn connect(settings: &Settings, url: &str) -> anyhow::Result<App> {
    App::connect(
        url,
        settings.database.max_connections,
        Duration::from_secs(settings.database.acquire_timeout_secs),
        Arc::new(SystemClock),
        Rules::from_settings(settings)?,
    )
    .await
}

pub struct Application {
    pub app: App,
    pub status: Arc<ServiceStatus>,
    settings: Arc<Settings>,
    listener: TcpListener,
}

impl Application {
    /// Builds the service on the core (its database migrated by the caller) and a bound
    /// listener.
    pub async fn build(settings: &Settings, app: App, listener: TcpListener) -> anyhow::Result<Self> {
        app.ensure_admins(&settings.telegram.admins)
            .await
            .context("registering the configured Telegram admins")?;
        app.ensure_bootstrap_token(&settings.http.admin_token)
            .await
            .context("registering the bootstrap API token (http.admin_token)")?;
        let telegram = if settings.telegram_enabled() {
            Health::Degraded
        } else {
            Health::Disabled
        };
        let status = Arc::new(ServiceStatus::new(telegram, Roles::default()));
        Ok(Application {
            app,
            status,
            settings: Arc::new(settings.clone()),
            listener,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves: the API, the Telegram bot and the outbox dispatcher
    /// when a token is configured (each elected among the replicas on the database: this one
    /// stands by while another holds the role; see `app::leadership`), and the scheduled jobs
    /// when `jobs.enabled`. Then, in order:
    /// stops taking updates and requests, finishes the ones in flight and the running jobs,
    /// drains the outbox for a bounded time, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let settings = self.settings.clone();
        let metrics = RequestMetrics::new();
        let connections = metrics.connections();
        let state = HttpState {
            app: self.app.clone(),
            status: self.status.clone(),
            limiter: TokenLimiter::per_minute(settings.http.rate_limit_per_minute),
            auth_throttle: AuthThrottle::per_minute(settings.http.auth_failures_per_minute),
            trusted_proxies: Arc::new(settings.trusted_proxies()?),
            metrics,
            body_limit: settings.http.body_limit_bytes,
            settings: settings.clone(),
        };
        let (stop, stopping) = watch::channel(false);
        let stopped = move || {
            let mut stopping = stopping.clone();
            async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            }
        };
        // The agents' MCP server; its streams end at shutdown (they would hold up the drain).
        let mcp_streams = CancellationToken::new();
        let mut router = http::router(state.clone()).merge(mcp::router(state, mcp_streams.clone()));
        let mut background = Vec::new();
        // Wake-ups of waiting agents (long-poll heartbeats, MCP waits), from every replica's commits.
        let (app, until) = (self.app.clone(), stopped());
        background.push((
            "agent wake-ups",
            tokio::spawn(async move {
                app.listen_for_wakes(until).await;
                Ok(())
            }),
        ));
        if settings.telegram_enabled() {
            let telegram = settings.telegram.clone();
            let bot = mc_telegram::make_bot(&telegram)?;
            match tokio::time::timeout(Duration::from_secs(10), bot.get_me()).await {
                Ok(Ok(me)) => {
                    tracing::info!(bot = %me.username(), "connected to the Telegram Bot API");
                    self.status.set_telegram(Health::Ok);
                }
                Ok(Err(err)) => tracing::error!(error = %err, "the Telegram Bot API refused the token; the bot keeps retrying"),
                Err(_) => tracing::error!("the Telegram Bot API did not answer; the bot keeps retrying"),
            }
            let options = DispatchOptions {
                default_lang: Lang::parse(&telegram.default_lang).unwrap_or_default(),
                ..DispatchOptions::default()
            };
            let role = self.status.roles.handle(Role::Dispatcher);
            let dispatcher = Dispatcher::new(self.app.clone(), bot.clone(), options).reporting_to(role.clone());
            background.push(("outbox dispatcher", watched(role, stop.subscribe(), dispatcher.run(stopped()))));
            // One poller per database: the replica holding the poller lock polls (or, in
            // webhook mode, registers the webhook); the others stand by.
            let poller = self.status.roles.handle(Role::Poller);
            let election = self.app.election(POLLER_LOCK, poller.clone(), ElectionTiming::default());
            let (app, status) = (self.app.clone(), self.status.clone());
            match telegram.mode {
                TelegramMode::Polling => {
                    let work = move |until| {
                        let (app, bot, telegram, poller, status) =
                            (app.clone(), bot.clone(), telegram.clone(), poller.clone(), status.clone());
                        async move {
                            let result = bot::run_polling(app, bot, telegram, poller, until).await;
                            if result.is_err() {
                                status.set_telegram(Health::Degraded);
                            }
                            result
                        }
                    };
                    background.push(("telegram poller", tokio::spawn(election.run(stopped(), work))));
                }
                TelegramMode::Webhook => {
                    url::Url::parse(&telegram.webhook_url)
                        .with_context(|| format!("telegram.webhook_url '{}' is not a URL", telegram.webhook_url))?;
                    // Every replica takes webhook posts; the elected one registers the webhook.
                    router = router.merge(bot::webhook_router(self.app.clone(), bot.clone(), telegram.clone()));
                    let work = move |until: StopSignal| {
                        let (app, bot, telegram) = (app.clone(), bot.clone(), telegram.clone());
                        async move {
                            bot::register_webhook(&app, &bot, &telegram).await?;
                            until.await;
                            Ok(())
                        }
                    };
                    background.push(("telegram webhook registration", tokio::spawn(election.run(stopped(), work))));
                }
            }
        }
        // The scheduler stops as soon as the signal arrives (no job starts while HTTP drains);
        // its running jobs are waited for after that.
        let scheduler = if settings.jobs.enabled {
            let role = self.status.roles.handle(Role::Scheduler);
            let scheduler = Scheduler::start_reporting(self.app.clone(), settings.jobs.clone(), role).await?;
            let until = stopped();
            Some(tokio::spawn(async move {
                until.await;
                scheduler.shutdown(Duration::from_secs(30)).await;
            }))
        } else {
            None
        };
        let wakes = self.app.wakes.clone();
        let listener = Bounded::new(self.listener, settings.http.max_connections, connections);
        // With the peer's address in each request: failed authentication is throttled by it
        // (`tap_io` does nothing but give axum's ConnectInfo the listener's address type).
        let served = axum::serve(
            listener.tap_io(|_| {}),
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: no new requests, updates or jobs");
            let _ = stop.send(true);
            // Waiting calls answer now with what they have; MCP streams close.
            wakes.close();
            mcp_streams.cancel();
        })
        .await
        .context("serving HTTP");
        if let Some(scheduler) = scheduler {
            if let Err(err) = scheduler.await {
                tracing::error!(error = %err, "the job scheduler's shutdown panicked");
            }
        }
        for (name, handle) in background {
            match handle.await {
                Ok(Ok(())) => tracing::info!("{name} stopped"),
                Ok(Err(err)) => tracing::error!(error = %err, "{name} failed"),
                Err(err) => tracing::error!(error = %err, "{name} panicked"),
            }
        }
        served
    }
}

/// Runs a background worker, reporting its role [`RoleState::Stopped`] when it ends (or
/// panics) while the service is not stopping: a worker that died is not a standby.
fn watched(
    role: RoleHandle,
    stopping: watch::Receiver<bool>,
    worker: impl Future<Output = anyhow::Result<()>> + Send + 'static,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::spawn(async move {
        let ended = tokio::spawn(worker).await;
        if !*stopping.borrow() {
            tracing::error!(role = %role.role(), "a background worker ended while the service runs");
            role.set(RoleState::Stopped);
        }
        ended.unwrap_or_else(|e| Err(anyhow::anyhow!("panicked: {e}")))
    })
}

/// `mission-control serve`.
pub async fn serve(settings: Settings, seed: bool) -> anyhow::Result<()> {
    let (url, embedded) = database_url(&settings, Purpose::Service).await?;
    let app = connect(&settings, &url).await?;
    app.migrate().await?;
    let addr = settings.http_addr()?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the HTTP address {addr} (http.addr)"))?;
    let application = Application::build(&settings, app.clone(), listener).await?;
    if seed {
        let report = application.app.seed().await.context("seeding the sample workspace")?;
        tracing::info!(?report, "seeded");
    }
    tracing::info!(addr = %application.local_addr()?, telegram = settings.telegram_enabled(), "mission control is serving");
    if !application.app.has_operator_tokens().await? {
        // Printed, not only logged: the one thing a newcomer must do next.
        eprintln!(
            "No API token exists yet. Create a CAO token (printed once) with:\n    {}",
            token_create_command()
        );
    }
    application.run(shutdown_signal()).await?;
    tracing::info!("shutting down");
    app.close().await;
    if let Some(embedded) = embedded {
        embedded.stop().await?;
    }
    Ok(())
}

/// The exact command that creates a CAO token for this installation: through cargo when this
/// process was started by `cargo run` (same profile), else this binary as it was invoked.
fn token_create_command() -> String {
    const ARGS: &str = "token create --name me --role cao";
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some() && std::env::var_os("CARGO").is_some() {
        let release = if cfg!(debug_assertions) { "" } else { " --release" };
        return format!("cargo run{release} -q -- {ARGS}");
    }
    let program = std::env::args().next().unwrap_or_else(|| "mission-control".to_string());
    let program = if program.contains('/') {
        program
    } else {
        "mission-control".to_string()
    };
    format!("{program} {ARGS}")
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
