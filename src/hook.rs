//! `mission-control hook claude-code|codex`: the command hook Claude Code and Codex run before
//! a tool call. It forwards the hook input (stdin) to Mission Control with the agent's token
//! and prints the answer. It fails closed: anything but a decision from the service — no
//! token, the service down or slow, an error answer, an answer that is not a hook output —
//! exits 2 with the reason on stderr, which both agents take as "blocked". (Claude Code's own
//! `http` hook type fails open on errors and timeouts; that is why this command exists.)

use std::io::Read;
use std::time::Duration;

/// Whose hook input this is, and so which endpoint decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookAgent {
    ClaudeCode,
    Codex,
}

impl HookAgent {
    fn path(self) -> &'static str {
        match self {
            HookAgent::ClaudeCode => "/api/hooks/claude-code",
            HookAgent::Codex => "/api/hooks/codex",
        }
    }
}

/// The service when neither `--url` nor `MC_URL` says otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3000";
/// Largest hook input read from stdin (a Write of a big file is the largest there is).
const MAX_INPUT: u64 = 8 * 1024 * 1024;
/// How long to wait for the decision: under the 600 s both agents give a command hook, so
/// that the agent hears our reason rather than its own timeout.
const TIMEOUT: Duration = Duration::from_secs(590);

/// The exit code that blocks the tool call, for both agents.
pub const BLOCKED: u8 = 2;

/// Runs the hook; the process's exit code: 0 with the decision on stdout, [`BLOCKED`] with
/// the reason on stderr.
pub async fn run(agent: HookAgent, url: Option<String>) -> u8 {
    match decide(agent, url).await {
        Ok(answer) => {
            println!("{answer}");
            0
        }
        Err(reason) => {
            eprintln!("Mission Control blocked this tool call: {reason}");
            BLOCKED
        }
    }
}

async fn decide(agent: HookAgent, url: Option<String>) -> Result<String, String> {
    let token = std::env::var("MC_AGENT_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or("MC_AGENT_TOKEN is not set: give the hook the agent's token")?;
    let base = url
        .or_else(|| std::env::var("MC_URL").ok())
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let endpoint = reqwest::Url::parse(&format!("{base}{}", agent.path())).map_err(|e| format!("'{base}' is not a URL: {e}"))?;
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut input)
        .map_err(|e| format!("reading the hook input: {e}"))?;
    if input.len() as u64 > MAX_INPUT {
        return Err(format!("the hook input is larger than {MAX_INPUT} bytes"));
    }
    serde_json::from_slice::<serde_json::Value>(&input).map_err(|e| format!("the hook input is not JSON: {e}"))?;
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    let response = client
        .post(endpoint.clone())
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(input)
        .send()
        .await
        .map_err(|e| format!("Mission Control at {base} cannot be reached: {e}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading Mission Control's answer: {e}"))?;
    if !status.is_success() {
        let said = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .or_else(|| v.get("message"))
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| body.chars().take(500).collect());
        return Err(format!("Mission Control answered {status}: {said}"));
    }
    let answer: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("Mission Control's answer is not JSON: {e}"))?;
    if answer.get("hookSpecificOutput").is_none() {
        return Err("Mission Control's answer is not a hook output".to_string());
    }
    Ok(answer.to_string())
}
