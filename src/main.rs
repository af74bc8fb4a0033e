use anyhow::Context;
use clap::{Parser, Subcommand};
use mission_control::app::{App, Rules, SystemClock};
use mission_control::configuration::Settings;
use mission_control::domain::{Actor, OperatorRole};
use mission_control::{startup, storage, telemetry};
use std::path::PathBuf;
use std::sync::Arc;

/// Mission Control: run a squad of AI agents from Telegram.
#[derive(Debug, Parser)]
#[command(name = "mission-control", version, about)]
struct Cli {
    /// A configuration file layered over config/default.toml.
    #[arg(long, global = true, env = "MC_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: REST API, /health, the Telegram bot and the scheduled jobs.
    Serve {
        /// Create the sample workspace first (idempotent), as `seed` does.
        #[arg(long)]
        seed: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Create the sample workspace (project OpenClaw, Sofie and her squad, sample tasks).
    Seed,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Exit 0 when the service at http.addr answers /health with 200 (for container checks).
    Healthcheck {
        /// The base URL to check; defaults to the configured http.addr on 127.0.0.1.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an operator with an API token; the token is printed once.
    Create {
        /// Who the token is for (shown in the audit log).
        #[arg(long)]
        name: String,
        /// viewer, operator or cao.
        #[arg(long, value_parser = parse_role)]
        role: OperatorRole,
    },
}

fn parse_role(input: &str) -> Result<OperatorRole, String> {
    OperatorRole::parse(input)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    telemetry::init(settings.log.format, &settings.log.level);
    match cli.command {
        Command::Serve { seed } => startup::serve(settings, seed).await,
        Command::Migrate => {
            let (app, embedded) = connect_app(&settings).await?;
            println!("migrations applied");
            finish(app, embedded).await
        }
        Command::Seed => {
            let (app, embedded) = connect_app(&settings).await?;
            let report = app.seed().await.context("seeding")?;
            println!(
                "seeded project openclaw: project {}, {} agents created, {} tasks created",
                if report.project_created { "created" } else { "already there" },
                report.agents_created,
                report.tasks_created
            );
            finish(app, embedded).await
        }
        Command::Token {
            command: TokenCommand::Create { name, role },
        } => {
            let (app, embedded) = connect_app(&settings).await?;
            let (operator, token) = app.create_operator_token(&Actor::system("cli"), &name, role).await?;
            println!("{token}");
            eprintln!(
                "created {} token for operator '{}' ({}); it is shown only this once",
                role, operator.name, operator.id
            );
            finish(app, embedded).await
        }
        Command::Healthcheck { url } => healthcheck(&settings, url).await,
    }
}

/// Connects and migrates, so every command works on a fresh database.
async fn connect_app(settings: &Settings) -> anyhow::Result<(App, Option<mission_control::embedded_db::EmbeddedPostgres>)> {
    let (url, embedded) = startup::database_url(settings).await?;
    let pool = startup::connect(settings, &url).await?;
    storage::migrate(&pool).await?;
    Ok((App::new(pool, Arc::new(SystemClock), Rules::from_settings(settings)?), embedded))
}

async fn finish(app: App, embedded: Option<mission_control::embedded_db::EmbeddedPostgres>) -> anyhow::Result<()> {
    app.pool.close().await;
    if let Some(embedded) = embedded {
        embedded.stop().await?;
    }
    Ok(())
}

/// A minimal HTTP/1.1 GET, so container images need no curl.
async fn healthcheck(settings: &Settings, url: Option<String>) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = match url {
        Some(url) => url.trim_start_matches("http://").trim_end_matches('/').to_string(),
        None => format!("127.0.0.1:{}", settings.http_addr()?.port()),
    };
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream
            .write_all(format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(std::time::Duration::from_secs(5), check)
        .await
        .context("health check timed out")??;
    let status_line = response.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) == Some("200") {
        println!("healthy");
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {status_line}")
    }
}
