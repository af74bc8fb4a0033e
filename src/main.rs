use anyhow::Context;
use clap::{Parser, Subcommand};
use mission_control::app::database::check_backup;
use mission_control::app::tokens::{CreateToken, TokenQuery, TokenRef};
use mission_control::app::{App, PageRequest, Rules};
use mission_control::configuration::Settings;
use mission_control::domain::policy::PolicyDecision;
use mission_control::domain::tools::ToolCall;
use mission_control::domain::{Actor, AgentRole, OperatorRole, TaskType};
use mission_control::embedded_db::{EmbeddedPostgres, Purpose};
use mission_control::model::ApiToken;
use mission_control::runner::{self, CycleOutcome, Runner, RunnerConfig, Shutdown};
use mission_control::{startup, telemetry};
use std::io::IsTerminal;

mod hook;
use std::path::PathBuf;

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
    /// Agents: the reference agent runner.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// A consistent, compressed, checksummed backup of all data (one snapshot).
    Backup {
        /// Where to write it; the file is named by the time.
        #[arg(long, default_value = "backups")]
        out: PathBuf,
    },
    /// Restore a backup into an empty database (or replace everything with --force).
    Restore {
        #[arg(long)]
        backup: PathBuf,
        /// Replace a database that holds data (in one transaction).
        #[arg(long)]
        force: bool,
    },
    /// Check integrity beyond constraints; exits non-zero when anything is wrong.
    VerifyDb,
    /// Delete delivered messages, read notifications, old job runs and dedupe records.
    Cleanup {
        /// e.g. 30d
        #[arg(long, value_parser = parse_age)]
        older_than: chrono::Duration,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Move done and canceled tasks with their history into the archive tables.
    Archive {
        /// e.g. 90d
        #[arg(long, value_parser = parse_age)]
        older_than: chrono::Duration,
        #[arg(long)]
        dry_run: bool,
    },
    /// Scheduled jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The risk policy as configured.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The command hook for Claude Code and Codex: reads the hook input on stdin, asks
    /// Mission Control (with the agent's token from MC_AGENT_TOKEN), prints the decision.
    /// Fails closed: exits 2 with the reason on stderr when no decision can be had.
    Hook {
        /// Whose hook input stdin holds.
        #[arg(value_enum)]
        agent: hook::HookAgent,
        /// The service's base URL (default: $MC_URL, else http://127.0.0.1:3000).
        #[arg(long)]
        url: Option<String>,
    },
    /// Exit 0 when the service answers its health URL with 200 (for container checks).
    Healthcheck {
        /// The URL to GET, http or https; one without a path means its /health. Defaults to
        /// http://127.0.0.1:<the port of http.addr>/health.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Run one job now: standup (posts every project's standup at once), approval_expiry,
    /// heartbeat_monitor, loop_detector, budget_watch,
    /// budget_reset, outbox_retention.
    Run { job: String },
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// The level policy gives an action type, the rule that decided it, and what that means
    /// for an agent of each role (or of --role).
    Check {
        /// e.g. email.send, file.read, wire.transfer (or --tool for a tool call)
        #[arg(required_unless_present = "tool", conflicts_with = "tool")]
        action_type: Option<String>,
        /// intern, specialist or lead
        #[arg(long, value_parser = parse_agent_role)]
        role: Option<AgentRole>,
        /// A tool call of Claude Code or Codex instead: the tool's name, e.g. Bash, Edit, WebFetch.
        #[arg(long)]
        tool: Option<String>,
        /// The tool's input as JSON, e.g. '{"command":"git push origin main"}'.
        #[arg(long, requires = "tool", default_value = "{}")]
        input: String,
        /// The directory the call runs in (edits and redirections outside it are RED).
        #[arg(long, requires = "tool", default_value = "")]
        cwd: String,
        /// The project (slug) whose configured rules apply.
        #[arg(long, requires = "tool", default_value = "openclaw")]
        project: String,
    },
}

fn parse_agent_role(input: &str) -> Result<AgentRole, String> {
    AgentRole::parse(input)
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Events in a date range, as GET /api/audit/export gives them.
    Export {
        /// YYYY-MM-DD (from midnight UTC) or an RFC 3339 time.
        #[arg(long)]
        from: String,
        /// YYYY-MM-DD (through the end of that day) or an RFC 3339 time (exclusive).
        #[arg(long)]
        to: String,
        /// json, jsonl or csv.
        #[arg(long, default_value = "json")]
        format: String,
        /// The project (slug), as the API's X-Project or ?project= (default: openclaw).
        #[arg(long, conflicts_with = "all_projects")]
        project: Option<String>,
        /// Every project and the installation's own events (tokens, projects), as the API's
        /// ?allProjects=true.
        #[arg(long)]
        all_projects: bool,
        /// Write to a file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn parse_age(input: &str) -> Result<chrono::Duration, String> {
    mission_control::app::database::parse_age(input).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an operator with an API token; the token is printed once (only its hash is kept).
    Create {
        /// Who the token is for (unique among tokens not revoked; shown in the audit log).
        #[arg(long)]
        name: String,
        /// viewer, operator or cao.
        #[arg(long, value_parser = parse_role)]
        role: OperatorRole,
        /// How long it works, e.g. 30d, 12h, 90m, 2w (default: until revoked).
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<chrono::Duration>,
    },
    /// List the tokens: name, kind, role, state, created, last used, expiry, revocation and id
    /// (never a token itself).
    List {
        /// Also the agent tokens a newer token retired.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a token at once, by name or id.
    Revoke {
        /// The token's name (as `token list` shows it) or its id.
        token: String,
    },
}

fn parse_lifetime(input: &str) -> Result<chrono::Duration, String> {
    mission_control::domain::credentials::parse_lifetime(input).map_err(|e| e.message.to_string())
}

#[derive(Debug, Subcommand)]
enum AgentCommand {
    /// Run the reference agent: it registers through the REST API, then every interval
    /// heartbeats (obeying pause and quarantine) and takes one step of work: claim an inbox
    /// task of its types, start it with a work plan, or report a run and submit it for review.
    Run(AgentRunArgs),
}

#[derive(Debug, clap::Args)]
struct AgentRunArgs {
    /// The agent's name; an existing agent of that name is reused.
    #[arg(long)]
    name: String,
    /// The role a new agent gets.
    #[arg(long, default_value = "intern", value_parser = ["intern", "specialist", "lead"])]
    role: String,
    /// Comma-separated task types a new agent takes (default: any), e.g. customer_research,seo_research.
    #[arg(long, value_delimiter = ',', value_parser = parse_task_type)]
    types: Vec<String>,
    /// Time between cycles, e.g. 30s, 15m, 1h.
    #[arg(long, default_value = "15m", value_parser = runner::parse_interval)]
    interval: std::time::Duration,
    /// Run one cycle and exit (non-zero when registration fails).
    #[arg(long)]
    once: bool,
    /// The Mission Control server.
    #[arg(long, env = "MC_API_URL", default_value = "http://localhost:3000")]
    api_url: String,
    /// An operator token (role operator or cao) to register the agent with; without one, the
    /// configured http.admin_token (MC_HTTP__ADMIN_TOKEN or the config file).
    #[arg(long, env = "MC_API_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The project (slug) the agent works in.
    #[arg(long, default_value = "openclaw")]
    project: String,
    /// Dollars reported for each simulated run.
    #[arg(long, default_value_t = 0.05, value_parser = parse_cost)]
    cost: f64,
}

fn parse_task_type(input: &str) -> Result<String, String> {
    TaskType::parse(input.trim()).map(|t| t.to_string())
}

fn parse_cost(input: &str) -> Result<f64, String> {
    match input.trim().parse::<f64>() {
        Ok(cost) if cost.is_finite() && cost >= 0.0 => Ok(cost),
        _ => Err(format!("'{input}' is not a cost in dollars like 0.05")),
    }
}

fn parse_role(input: &str) -> Result<OperatorRole, String> {
    OperatorRole::parse(input)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The hook needs no configuration and writes nothing but its answer to stdout: whatever
    // fails, it exits 2 (blocked), never 1 (which the agents would take as "go ahead").
    if let Command::Hook { agent, url } = cli.command {
        return std::process::ExitCode::from(hook::run(agent, url).await);
    }
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
            command: TokenCommand::Create { name, role, expires_in },
        } => {
            let (app, embedded) = connect_app(&settings).await?;
            let input = CreateToken { name, role, expires_in };
            let issued = app.create_token(&Actor::system("cli"), input).await?;
            println!("{}", issued.token);
            let expiry = match issued.info.expires_at {
                Some(at) => format!("expires {}", mission_control::i18n::time(at)),
                None => "does not expire".to_string(),
            };
            eprintln!(
                "created {} token '{}' ({}; {expiry}); it is shown only this once",
                role, issued.info.name, issued.info.id
            );
            finish(app, embedded).await
        }
        Command::Token {
            command: TokenCommand::List { all },
        } => {
            let (app, embedded) = connect_app(&settings).await?;
            let mut tokens = Vec::new();
            loop {
                let page = PageRequest {
                    limit: PageRequest::MAX_LIMIT,
                    offset: tokens.len() as i64,
                };
                let query = TokenQuery {
                    kind: None,
                    with_rotated: all,
                    page,
                };
                let listed = app.list_tokens(&Actor::system("cli"), query).await?;
                let done = listed.items.is_empty() || tokens.len() as i64 + listed.items.len() as i64 >= listed.total;
                tokens.extend(listed.items);
                if done {
                    break;
                }
            }
            print!("{}", token_table(&tokens));
            finish(app, embedded).await
        }
        Command::Token {
            command: TokenCommand::Revoke { token },
        } => {
            let (app, embedded) = connect_app(&settings).await?;
            let revoked = app.revoke_token(&Actor::system("cli"), &TokenRef::parse(&token)).await?;
            println!("revoked {} token '{}' ({})", revoked.kind, revoked.name, revoked.id);
            finish(app, embedded).await
        }
        Command::Healthcheck { url } => healthcheck(&settings, url).await,
        // Run by `main` before the configuration is read; the same here, should it come by.
        Command::Hook { agent, url } => std::process::exit(hook::run(agent, url).await.into()),
        Command::Policy {
            command:
                PolicyCommand::Check {
                    action_type: None,
                    role,
                    tool: Some(tool),
                    input,
                    cwd,
                    project,
                },
        } => {
            let rules = Rules::from_settings(&settings)?;
            let input: serde_json::Value = serde_json::from_str(&input).context("--input must be the tool's input as JSON")?;
            anyhow::ensure!(input.is_object(), "--input must be a JSON object, e.g. '{{\"command\":\"ls\"}}'");
            let role = role.unwrap_or(AgentRole::Specialist);
            let call = ToolCall {
                tool: tool.trim(),
                input: &input,
                cwd: &cwd,
            };
            let verdict = rules.bridge.policy(&project, role).classify(&call);
            println!("{tool}: {} (for a {role} of {project})", verdict.risk.as_str().to_uppercase());
            println!("  decided by {}", verdict.decider);
            for part in &verdict.parts {
                println!("  {:<6} {}  ({})", part.risk.as_str().to_uppercase(), part.text, part.decider);
            }
            Ok(())
        }
        Command::Policy {
            command: PolicyCommand::Check { action_type, role, .. },
        } => {
            let rules = Rules::from_settings(&settings)?;
            let action_type = action_type.unwrap_or_default();
            let action = action_type.trim().to_ascii_lowercase();
            if !mission_control::domain::policy::plausible_action_type(&action) {
                anyhow::bail!("'{action_type}' is not an action type (1-64 letters, digits and . _ : -)");
            }
            let check = mission_control::domain::policy::check(&rules.risk_map, &rules.auto_approve, &action, role);
            println!("{}: {}", check.action, check.risk.as_str().to_uppercase());
            for reason in &check.reasons {
                println!("  because {reason}");
            }
            for (role, decision) in &check.decisions {
                let says = match decision {
                    PolicyDecision::Allowed { reason } => format!("allowed ({reason})"),
                    PolicyDecision::NeedsApproval => "needs a person's approval".to_string(),
                    PolicyDecision::Denied { reason } => format!("denied ({reason})"),
                };
                println!("  {role}: {says}");
            }
            Ok(())
        }
        Command::Backup { out } => {
            let (app, embedded) = connect_app(&settings).await?;
            let report = app.backup(&out, std::io::stderr().is_terminal()).await?;
            for table in &report.manifest.tables {
                eprintln!("  {:<32} {:>9} rows", table.name, table.rows);
            }
            eprintln!(
                "backed up {} tables, {} rows, {} bytes in {:.2}s",
                report.manifest.tables.len(),
                report.manifest.tables.iter().map(|t| t.rows).sum::<u64>(),
                report.file_bytes,
                report.seconds
            );
            println!("{}", report.path.display());
            finish(app, embedded).await
        }
        Command::Restore { backup, force } => {
            // The whole file is checked before the database is connected to or migrated: a
            // damaged file leaves it exactly as it was.
            let checked = check_backup(&backup).await?;
            let (app, embedded) = connect_app_unmigrated(&settings).await?;
            let report = app.restore(checked, force).await?;
            eprintln!(
                "restored {} tables, {} rows from {} ({}) in {:.2}s",
                report.manifest.tables.len(),
                report.manifest.tables.iter().map(|t| t.rows).sum::<u64>(),
                backup.display(),
                if report.replaced {
                    "replacing the previous data"
                } else {
                    "into an empty database"
                },
                report.seconds
            );
            finish(app, embedded).await
        }
        Command::VerifyDb => {
            let (app, embedded) = connect_app(&settings).await?;
            let problems = app.verify().await?;
            finish(app, embedded).await?;
            if problems.is_empty() {
                println!("verify-db: no problems found");
                return Ok(());
            }
            for problem in &problems {
                println!("{problem}");
            }
            anyhow::bail!("verify-db found {} problem(s)", problems.len())
        }
        Command::Cleanup { older_than, dry_run } => {
            let (app, embedded) = connect_app(&settings).await?;
            let cutoff = app.now() - older_than;
            let counts = app.cleanup(cutoff, dry_run).await?;
            let verb = if dry_run { "would delete" } else { "deleted" };
            for count in counts {
                println!("{verb} {:>8} {}", count.rows, count.what);
            }
            finish(app, embedded).await
        }
        Command::Archive { older_than, dry_run } => {
            let (app, embedded) = connect_app(&settings).await?;
            let cutoff = app.now() - older_than;
            let counts = app.archive(cutoff, dry_run).await?;
            let verb = if dry_run { "would archive" } else { "archived" };
            for count in counts {
                println!("{verb} {:>8} {}", count.rows, count.what);
            }
            finish(app, embedded).await
        }
        Command::Jobs {
            command: JobsCommand::Run { job },
        } => {
            let job = mission_control::app::jobs::parse_job(&job)?;
            let (app, embedded) = connect_app(&settings).await?;
            let run = app
                .run_job(
                    &Actor::system("cli"),
                    job,
                    app.now(),
                    &mission_control::app::jobs::instance_name(),
                    settings.jobs.outbox_retention_days,
                )
                .await?;
            match run {
                Some(run) => println!("{}: {}", job, run.detail.unwrap_or_default()),
                None => println!("{job}: this occurrence is already running elsewhere"),
            }
            finish(app, embedded).await
        }
        Command::Audit {
            command:
                AuditCommand::Export {
                    from,
                    to,
                    format,
                    project,
                    all_projects,
                    out,
                },
        } => {
            use mission_control::app::audit::{render, AuditRange, ExportFormat};
            let range = AuditRange::parse(&from, &to)?;
            let format = ExportFormat::parse(&format)?;
            let (app, embedded) = connect_app(&settings).await?;
            let project_id = match all_projects {
                true => None,
                false => {
                    let slug = project.as_deref().unwrap_or(mission_control::http::extract::DEFAULT_PROJECT);
                    Some(app.project_by_slug(slug).await?.id)
                }
            };
            let events = app
                .audit_events(&Actor::system("cli"), project_id, range.from, range.to, i64::MAX)
                .await?;
            let body = render(range, &events, format)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &body).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("{} events written to {}", events.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&body)?;
                }
            }
            finish(app, embedded).await
        }
        Command::Agent {
            command: AgentCommand::Run(args),
        } => agent_run(args, &settings).await,
    }
}

/// `token list`: one line per token, aligned; never the token itself.
fn token_table(tokens: &[ApiToken]) -> String {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
    let mut rows = vec![[
        "NAME".to_string(),
        "KIND".into(),
        "ROLE".into(),
        "STATE".into(),
        "CREATED".into(),
        "LAST USED".into(),
        "EXPIRES".into(),
        "REVOKED".into(),
        "ID".into(),
    ]];
    for t in tokens {
        let role = match (t.role, &t.agent_project) {
            (Some(role), _) => role.to_string(),
            (None, Some(project)) => format!("agent@{project}"),
            (None, None) => "-".into(),
        };
        rows.push([
            t.name.clone(),
            t.kind.to_string(),
            role,
            t.state.to_string(),
            when(Some(t.created_at)),
            when(t.last_used_at),
            when(t.expires_at),
            when(t.revoked_at),
            t.id.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if tokens.is_empty() {
        out.push_str("(no tokens)\n");
    }
    out
}

/// The reference agent runner: a client of the REST API, it needs no database.
async fn agent_run(args: AgentRunArgs, settings: &Settings) -> anyhow::Result<()> {
    let token = runner_token(args.token, settings)?;
    let mut config = RunnerConfig::new(args.api_url, token, args.name);
    config.role = args.role;
    config.task_types = args.types;
    config.interval = args.interval;
    config.project = args.project;
    config.cost = args.cost;
    let runner = Runner::new(config, Shutdown::on_signals())?;
    if !args.once {
        return Ok(runner.run().await?);
    }
    let name = runner.config().name.clone();
    match runner.run_once().await? {
        Some(CycleOutcome::Stopped { reason }) => println!("{name}: stopped ({reason})"),
        Some(CycleOutcome::Claimed { number, .. }) => println!("{name}: claimed #{number}"),
        Some(CycleOutcome::Started { number, .. }) => println!("{name}: started #{number}"),
        Some(CycleOutcome::Submitted { number, .. }) => println!("{name}: submitted #{number} for review"),
        Some(CycleOutcome::BudgetExceeded { number, .. }) => println!("{name}: daily budget reached on #{number}; paused"),
        Some(CycleOutcome::Idle) => println!("{name}: idle"),
        Some(CycleOutcome::Interrupted) => println!("{name}: interrupted"),
        None => println!("{name}: the cycle's step failed (see the log)"),
    }
    Ok(())
}

/// The token `agent run` registers with: --token or MC_API_TOKEN, else the bootstrap admin
/// token of the configuration (the same machine as the server, or its config file).
fn runner_token(given: Option<String>, settings: &Settings) -> anyhow::Result<String> {
    let given = given.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let configured = Some(settings.http.admin_token.trim().to_string()).filter(|t| !t.is_empty());
    given.or(configured).ok_or_else(|| {
        anyhow::anyhow!(
            "no API token to register the agent with: pass --token (or set MC_API_TOKEN) with an operator or cao token \
             from `mission-control token create`, or configure http.admin_token (MC_HTTP__ADMIN_TOKEN or the config file)"
        )
    })
}

/// Connects and migrates, so every command works on a fresh database.
async fn connect_app(settings: &Settings) -> anyhow::Result<(App, Option<EmbeddedPostgres>)> {
    let (app, embedded) = connect_app_unmigrated(settings).await?;
    app.migrate().await?;
    Ok((app, embedded))
}

/// Connects without migrating (restore migrates only once the backup is known to be good).
async fn connect_app_unmigrated(settings: &Settings) -> anyhow::Result<(App, Option<EmbeddedPostgres>)> {
    let (url, embedded) = startup::database_url(settings, Purpose::Command).await?;
    Ok((startup::connect(settings, &url).await?, embedded))
}

async fn finish(app: App, embedded: Option<EmbeddedPostgres>) -> anyhow::Result<()> {
    app.close().await;
    if let Some(embedded) = embedded {
        embedded.stop().await?;
    }
    Ok(())
}

/// GETs the health URL with the binary's own HTTP client, so container images need no curl.
async fn healthcheck(settings: &Settings, url: Option<String>) -> anyhow::Result<()> {
    let url = match url {
        Some(url) => health_url(&url)?,
        None => reqwest::Url::parse(&format!("http://127.0.0.1:{}/health", settings.http_addr()?.port()))?,
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .context("building the HTTP client")?;
    let response = client.get(url.clone()).send().await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        println!("healthy");
        Ok(())
    } else {
        anyhow::bail!("unhealthy: GET {url} answered {status}")
    }
}

/// `healthcheck --url`: an http or https URL (`host:port` alone means http), checked as given
/// when it has a path and at `/health` when it has none.
fn health_url(input: &str) -> anyhow::Result<reqwest::Url> {
    let input = input.trim();
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("http://{input}")
    };
    let bad = |why: &str| {
        anyhow::anyhow!("healthcheck --url '{input}' {why}; expected e.g. http://127.0.0.1:3000 or https://mc.example.com/health")
    };
    let mut url = reqwest::Url::parse(&with_scheme).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(&format!("has the scheme '{}', not http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.path() == "/" {
        url.set_path("/health");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::health_url;

    #[test]
    fn a_health_url_is_any_http_url_with_health_as_the_default_path() {
        for (input, expected) in [
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/health"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/health"),
            ("127.0.0.1:3000", "http://127.0.0.1:3000/health"),
            ("localhost:3000", "http://localhost:3000/health"),
            ("https://mc.example.com", "https://mc.example.com/health"),
            ("https://mc.example.com/mc/health?deep=1", "https://mc.example.com/mc/health?deep=1"),
            ("http://[::1]:3000/ready", "http://[::1]:3000/ready"),
        ] {
            assert_eq!(health_url(input).unwrap().as_str(), expected, "{input}");
        }
        for (input, why) in [
            ("ftp://127.0.0.1:3000", "has the scheme 'ftp', not http or https"),
            ("http://", "is not a URL"),
            ("http://127.0.0.1:99999", "is not a URL"),
            ("", "is not a URL"),
        ] {
            let err = health_url(input).unwrap_err().to_string();
            assert!(err.contains(&format!("'{input}' {why}")), "{input}: {err}");
        }
    }
}
