//! A typed client for the part of the REST API an agent uses.
//!
//! The runner is a real client of the server, over HTTP, with nothing but a token: it must
//! behave like any third-party agent would, so it cannot reach into the database or the `app`
//! core. Its structs are therefore its own, small, and lenient (unknown fields are ignored),
//! rather than the server's types: an agent written against the documented JSON keeps working
//! when the server adds fields.
//!
//! Every mutating request carries an `Idempotency-Key`, and the body is serialised once, so
//! the retries this client makes on its own (network errors, 5xx, 429) repeat exactly the same
//! request and the server answers a repeat with the first result instead of acting twice.

use super::Shutdown;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// An error answer of the API: the HTTP status and `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// Reads the API's error envelope; anything else (a proxy's HTML page, say) is kept as the
    /// message, shortened, so the log still says what came back.
    pub fn from_response(status: StatusCode, body: &str) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Detail,
        }
        #[derive(Deserialize)]
        struct Detail {
            code: String,
            message: String,
        }
        match serde_json::from_str::<Envelope>(body) {
            Ok(envelope) => ApiError {
                status: status.as_u16(),
                code: envelope.error.code,
                message: envelope.error.message,
            },
            Err(_) => {
                let text: String = body.trim().chars().take(200).collect();
                ApiError {
                    status: status.as_u16(),
                    code: "unexpected_response".into(),
                    message: if text.is_empty() {
                        status.canonical_reason().unwrap_or("no body").to_string()
                    } else {
                        text
                    },
                }
            }
        }
    }

    /// The request itself was refused (bad token, wrong state, invalid input): repeating it
    /// unchanged will not help. 429 is not one of these.
    pub fn is_refusal(&self) -> bool {
        (400..500).contains(&self.status) && self.status != 429
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot reach the API after {attempts} attempt(s): {message}")]
    Unreachable { attempts: u32, message: String },
    #[error("cannot read the API's answer: {0}")]
    Decode(String),
    #[error("stopped by a shutdown signal")]
    Stopped,
}

impl ClientError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(err) => Some(err),
            _ => None,
        }
    }
}

/// How hard one request is tried within a cycle before the cycle gives up on it.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// The first back-off; it doubles with each retry, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A 429's `Retry-After` is honoured up to this long.
    pub max_retry_after: Duration,
    /// One request's time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

// ---- What the runner reads -------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub status: String,
    #[serde(default)]
    pub allowed_task_types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub agent: Agent,
    pub token: Option<String>,
    #[serde(default)]
    pub created: bool,
}

/// The task states the runner acts on; anything it does not know is `Other` and left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Inbox,
    Assigned,
    InProgress,
    Review,
    NeedsApproval,
    Blocked,
    Done,
    Canceled,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: Uuid,
    pub number: i32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub task_type: String,
    pub status: TaskStatus,
    #[serde(default)]
    pub review_cycles: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub kind: String,
    pub task_id: Option<Uuid>,
    pub body: String,
}

/// Dollars, as the API sends them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub daily_cap: f64,
    #[serde(default)]
    pub per_run_cap: f64,
    pub today_spend: f64,
    pub remaining: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub agent: Agent,
    #[serde(default)]
    pub notifications: Vec<Notification>,
    #[serde(default)]
    pub assigned_tasks: Vec<Task>,
    pub budget: Budget,
    pub stop: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionOutcome {
    pub task: Task,
    /// The key had been used: nothing moved, this is the first result.
    #[serde(default)]
    pub replayed: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: Uuid,
    pub cost: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub run: Run,
    /// The run reached the daily cap: the server paused the agent.
    #[serde(default)]
    pub budget_exceeded: bool,
    /// The server moved the task to needs_approval because of the budget.
    #[serde(default)]
    pub task_held: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: Uuid,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    Transition {
        id: i64,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Timeline {
    pub entries: Vec<TimelineEntry>,
}

impl Timeline {
    /// The id of the task's latest transition (0 when it has none): it names "the state the
    /// task is in now", which is what the runner's idempotency keys are anchored to.
    pub fn latest_transition(&self) -> i64 {
        self.entries
            .iter()
            .filter_map(|e| match e {
                TimelineEntry::Transition { id } => Some(*id),
                TimelineEntry::Other => None,
            })
            .max()
            .unwrap_or(0)
    }
}

// ---- What the runner sends -------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub allowed_task_types: &'a [String],
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionRequest {
    pub to_status: TaskStatus,
    pub actor: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_plan: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliverable: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub task_id: Uuid,
    pub cost: f64,
    pub status: &'static str,
    pub model: &'static str,
    pub tokens: i64,
}

#[derive(Serialize)]
struct CommentRequest<'a> {
    body: &'a str,
}

// ---- The client ------------------------------------------------------------------------------

/// One identity (a bearer token) talking to one server about one project.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    project: String,
    token: String,
    retry: RetryPolicy,
    shutdown: Shutdown,
}

impl std::fmt::Debug for ApiClient {
    // The token stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(base_url: &str, project: &str, token: &str, retry: RetryPolicy, shutdown: Shutdown) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("mission-control-runner/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable {
                attempts: 0,
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(ApiClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            project: project.to_string(),
            token: token.to_string(),
            retry,
            shutdown,
        })
    }

    /// The same server and project, acting as someone else (the agent, after registering).
    pub fn with_token(&self, token: &str) -> Self {
        ApiClient {
            token: token.to_string(),
            ..self.clone()
        }
    }

    /// Registers (or re-registers: an existing name is reused) the agent; needs an operator
    /// token, and returns a fresh agent token.
    pub async fn register(&self, request: &RegisterRequest<'_>, key: &str) -> Result<Registration, ClientError> {
        self.send(Method::POST, "/api/agents/register", Some(request), Some(key)).await
    }

    pub async fn heartbeat(&self, agent_id: Uuid, key: &str) -> Result<Heartbeat, ClientError> {
        self.heartbeat_waiting(agent_id, Duration::ZERO, key).await
    }

    /// The long-poll heartbeat (`?wait=`): the server answers when there is news for the agent
    /// (a notification, `stop` changing) or after `wait` (whole seconds, at most 600).
    pub async fn heartbeat_waiting(&self, agent_id: Uuid, wait: Duration, key: &str) -> Result<Heartbeat, ClientError> {
        let path = match wait.as_secs() {
            0 => format!("/api/agents/{agent_id}/heartbeat"),
            secs => format!("/api/agents/{agent_id}/heartbeat?wait={secs}"),
        };
        self.send_waiting::<(), _>(Method::POST, &path, None, Some(key), wait).await
    }

    /// The best inbox task of the agent's types, now assigned to it; `None` when the inbox
    /// has nothing for it (the API's 404).
    pub async fn claim_next(&self, key: &str) -> Result<Option<Task>, ClientError> {
        match self.send::<(), _>(Method::POST, "/api/tasks/claim", None, Some(key)).await {
            Ok(task) => Ok(Some(task)),
            Err(ClientError::Api(err)) if err.status == 404 => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Moves a task; the key is kept with the transition itself, so a repeat is a no-op.
    pub async fn transition(&self, task_id: Uuid, request: &TransitionRequest, key: &str) -> Result<TransitionOutcome, ClientError> {
        self.send(Method::POST, &format!("/api/tasks/{task_id}/transition"), Some(request), Some(key))
            .await
    }

    pub async fn report_run(&self, report: &RunReport, key: &str) -> Result<RunOutcome, ClientError> {
        self.send(Method::POST, "/api/runs", Some(report), Some(key)).await
    }

    pub async fn comment(&self, task_id: Uuid, body: &str, key: &str) -> Result<Comment, ClientError> {
        self.send(
            Method::POST,
            &format!("/api/tasks/{task_id}/comments"),
            Some(&CommentRequest { body }),
            Some(key),
        )
        .await
    }

    pub async fn timeline(&self, task_id: Uuid) -> Result<Timeline, ClientError> {
        self.send::<(), _>(Method::GET, &format!("/api/tasks/{task_id}/timeline"), None, None)
            .await
    }

    /// One request, retried within the policy: network errors, 5xx and a busy idempotency key
    /// back off exponentially; 429 waits as long as `Retry-After` says. Any other answer is
    /// final. A shutdown signal cuts a back-off short.
    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ClientError> {
        self.send_waiting(method, path, body, idempotency_key, Duration::ZERO).await
    }

    /// `send`, for a request the server may hold for up to `wait`: its time limit is that much
    /// longer.
    async fn send_waiting<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
        wait: Duration,
    ) -> Result<T, ClientError> {
        let url = format!("{}{}", self.base, path);
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ClientError::Decode(format!("cannot encode the request: {e}")))?;
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.token)
                .header("x-project", &self.project)
                .timeout(self.retry.timeout + wait);
            if let Some(key) = idempotency_key {
                request = request.header("idempotency-key", key);
            }
            if let Some(body) = &body {
                request = request.header(CONTENT_TYPE, "application/json").body(body.clone());
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match response.text().await {
                        Ok(text) if status.is_success() => {
                            return serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{method} {path}: {e}")));
                        }
                        Ok(text) => {
                            let err = ApiError::from_response(status, &text);
                            let retryable = status.is_server_error()
                                || status == StatusCode::TOO_MANY_REQUESTS
                                || (status == StatusCode::CONFLICT && err.code == "idempotency_in_progress");
                            if !retryable || attempt >= attempts {
                                return Err(err.into());
                            }
                            let delay = match (status, retry_after) {
                                (StatusCode::TOO_MANY_REQUESTS, Some(wait)) => wait.min(self.retry.max_retry_after),
                                _ => self.retry.backoff(attempt),
                            };
                            (err.to_string(), delay)
                        }
                        Err(e) => (format!("reading the answer: {e}"), self.retry.backoff(attempt)),
                    }
                }
                Err(e) => (with_causes(&e), self.retry.backoff(attempt)),
            };
            let (message, delay) = failure;
            if attempt >= attempts {
                return Err(ClientError::Unreachable { attempts, message });
            }
            tracing::warn!(%method, path, attempt, retry_in_ms = delay.as_millis() as u64, error = %message, "request failed; retrying");
            if !self.shutdown.sleep(delay).await {
                return Err(ClientError::Stopped);
            }
        }
    }
}

/// reqwest's own message ("error sending request") hides the cause ("connection refused").
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_envelope_and_anything_else() {
        let err = ApiError::from_response(
            StatusCode::CONFLICT,
            r#"{"error":{"code":"illegal_transition","message":"inbox → done is not allowed","details":{}}}"#,
        );
        assert_eq!(err.status, 409);
        assert_eq!(err.code, "illegal_transition");
        assert_eq!(err.message, "inbox → done is not allowed");
        assert!(err.is_refusal());

        let err = ApiError::from_response(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!(err.code, "unexpected_response");
        assert_eq!(err.message, "<html>bad gateway</html>");
        assert!(!err.is_refusal());
        assert!(!ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, "").is_refusal());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_millis(500));
        assert_eq!(policy.backoff(2), Duration::from_secs(1));
        assert_eq!(policy.backoff(3), Duration::from_secs(2));
        assert_eq!(policy.backoff(10), Duration::from_secs(8));
    }

    #[test]
    fn the_latest_transition_anchors_the_keys() {
        let timeline: Timeline = serde_json::from_str(
            r#"{"task":{},"entries":[{"kind":"transition","id":3},{"kind":"comment","id":"x"},{"kind":"transition","id":7},{"kind":"run"}]}"#,
        )
        .unwrap();
        assert_eq!(timeline.latest_transition(), 7);
    }
}
