//! The HTTP side: `/bot<token>/<method>` with JSON, form-urlencoded, multipart or query parameters,
//! checked against the official list, injected faults, the flood limits and injected failures, then run.

use super::faults::{ConnHandle, Fault};
use super::methods;
use super::request::{self, ApiError, FilePart, Req};
use super::schema;
use super::state::{Call, Encoding, State, Upload};
use super::updates::{self, Poll};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::Notify;

/// What the server task and the test-side handle share.
pub(crate) struct Shared {
    pub token: String,
    pub state: Mutex<State>,
    /// Woken on every change (for `wait_until`).
    pub changed: Notify,
    /// Woken when updates arrive, a newer poll starts, or the server closes (for `getUpdates`).
    pub updates: Notify,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn notify_all(&self) {
        self.changed.notify_waiters();
        self.updates.notify_waiters();
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(handle))
        .fallback(fallback)
        .with_state(shared)
}

/// A call as it arrived.
struct Incoming {
    method: String,
    params: Map<String, Value>,
    files: HashMap<String, FilePart>,
    uploads: Vec<Upload>,
    encoding: Encoding,
}

async fn fallback(axum::extract::State(shared): axum::extract::State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let err = ApiError::new(404, "Not Found");
    let mut st = shared.lock();
    let call = record(&path, Map::new(), Encoding::Empty, Vec::new(), &Err(err.clone()));
    st.calls.push(Call { violation: true, ..call });
    drop(st);
    shared.changed.notify_waiters();
    reply(Err(err))
}

async fn handle(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
) -> Response {
    let token_ok = bot.strip_prefix("bot").is_some_and(|t| t == shared.token);
    let incoming = read(&method, req).await;
    let (result, call) = match incoming {
        Err(description) => {
            let err = ApiError::bad(&description);
            let call = record(&method, Map::new(), Encoding::Empty, Vec::new(), &Err(err.clone()));
            (Err(err), Call { violation: true, ..call })
        }
        Ok(_) if !token_ok => {
            let err = ApiError::new(401, "Unauthorized");
            let call = record(&method, Map::new(), Encoding::Empty, Vec::new(), &Err(err.clone()));
            (Err(err), Call { violation: true, ..call })
        }
        Ok(inc) => process(&shared, inc, &conn).await,
    };
    shared.lock().calls.push(call);
    shared.changed.notify_waiters();
    reply(result)
}

fn record(method: &str, params: Map<String, Value>, encoding: Encoding, uploads: Vec<Upload>, result: &Result<Value, ApiError>) -> Call {
    let (status, description) = match result {
        Ok(_) => (200, None),
        Err(e) => (e.status, Some(e.description.clone())),
    };
    Call {
        method: method.to_owned(),
        params: Value::Object(params),
        at: Instant::now(),
        encoding,
        uploads,
        status,
        description,
        violation: false,
        rate_limited: false,
        injected: false,
        delayed: None,
        dropped: false,
        unknown_params: Vec::new(),
    }
}

fn reply(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(v) => Json(json!({"ok": true, "result": v})).into_response(),
        Err(e) => {
            let mut body = json!({"ok": false, "error_code": e.status, "description": e.description});
            if let Some(r) = e.retry_after {
                body["parameters"] = json!({"retry_after": r});
            }
            if let Some(to) = e.migrate_to_chat_id {
                body["parameters"] = json!({"migrate_to_chat_id": to});
            }
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(body)).into_response()
        }
    }
}

/// Reads the parameters whatever their encoding; text values are typed per the method's schema.
async fn read(method: &str, req: Request) -> Result<Incoming, String> {
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut text: Vec<(String, String)> = query.clone();
    let mut json_params = Map::new();
    let mut files = HashMap::new();
    let mut uploads = Vec::new();
    let mut encoding = if query.is_empty() { Encoding::Empty } else { Encoding::Query };
    if content_type.starts_with("multipart/form-data") {
        encoding = Encoding::Multipart;
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|e| format!("can't parse multipart body: {e}"))?;
        while let Some(field) = form.next_field().await.map_err(|e| format!("can't parse multipart body: {e}"))? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| format!("can't read multipart field {name}: {e}"))?;
            if file_name.is_some() {
                uploads.push(Upload {
                    part: name.clone(),
                    file_name: file_name.clone(),
                    content_type: part_type.clone(),
                    size: bytes.len(),
                });
                files.insert(
                    name,
                    FilePart {
                        file_name,
                        content_type: part_type,
                        bytes: bytes.to_vec(),
                    },
                );
            } else {
                text.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    } else {
        let body = Bytes::from_request(req, &()).await.map_err(|e| format!("can't read body: {e}"))?;
        if content_type.starts_with("application/x-www-form-urlencoded") {
            encoding = Encoding::FormUrlEncoded;
            text.extend(url::form_urlencoded::parse(&body).into_owned());
        } else if !body.iter().all(u8::is_ascii_whitespace) {
            encoding = Encoding::Json;
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => json_params = m,
                Ok(_) => return Err("JSON body must be an object".to_owned()),
                Err(e) => return Err(format!("can't parse JSON body: {e}")),
            }
        }
    }
    let canonical = schema::schema()
        .method(method)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| method.to_owned());
    let mut params = schema::normalise_text_params(&canonical, text);
    params.extend(json_params);
    params.retain(|_, v| !v.is_null());
    Ok(Incoming {
        method: method.to_owned(),
        params,
        files,
        uploads,
        encoding,
    })
}

/// Validation, injected faults and failures, limits, behaviour.
async fn process(shared: &Arc<Shared>, inc: Incoming, conn: &ConnHandle) -> (Result<Value, ApiError>, Call) {
    let file_parts: Vec<String> = inc.files.keys().cloned().collect();
    let checked = schema::schema().check(&inc.method, &inc.params, &file_parts);
    let mut call = record(&inc.method, inc.params.clone(), inc.encoding, inc.uploads.clone(), &Ok(Value::Null));
    let checked = match checked {
        Ok(c) => c,
        Err(refusal) => {
            let err = ApiError::new(refusal.status(), refusal.description());
            call.violation = true;
            return finish(call, Err(err));
        }
    };
    call.method = checked.method.clone();
    call.unknown_params = checked.unknown_params;
    let method = checked.method;
    let req = Req {
        method: &method,
        p: &inc.params,
        files: &inc.files,
    };
    let fault = shared.lock().faults.get_mut(&method).and_then(|q| q.pop_front());
    match fault {
        Some(Fault::Delay(wait)) => {
            call.delayed = Some(wait);
            tokio::time::sleep(wait).await;
        }
        Some(Fault::Drop) => {
            call.dropped = true;
            call.status = 0;
            call.description = Some("connection dropped without an answer".to_owned());
            conn.0.kill();
            return (Err(ApiError::new(500, "dropped")), call);
        }
        Some(Fault::DropAfter) => call.dropped = true,
        None => {}
    }
    let (result, call) = process_now(shared, &method, &req, call).await;
    if call.dropped {
        conn.0.kill();
    }
    (result, call)
}

/// Injected failures, limits, behaviour.
async fn process_now(shared: &Arc<Shared>, method: &str, req: &Req<'_>, mut call: Call) -> (Result<Value, ApiError>, Call) {
    let poll = {
        let mut st = shared.lock();
        if let Some(status) = st.failures.get_mut(method).and_then(|q| q.pop_front()) {
            call.injected = true;
            return finish(call, Err(injected(status)));
        }
        if let Err(e) = request::precheck(&st, req) {
            return finish(call, Err(e));
        }
        if st.cfg.enforce_limits {
            if let Some(chat) = request::limited_chat(&st, req) {
                let cfg = st.cfg.clone();
                if let Err(limited) = st.limiter.admit(&cfg, chat, Instant::now()) {
                    st.rate_limited += 1;
                    call.rate_limited = true;
                    return finish(call, Err(ApiError::too_many(limited.retry_after_secs())));
                }
            }
        }
        if method != "getUpdates" {
            let result = methods::run(&mut st, req);
            drop(st);
            shared.notify_all();
            return finish(call, result);
        }
        match updates::begin(&mut st, req) {
            Ok(p) => p,
            Err(e) => return finish(call, Err(e)),
        }
    };
    let result = long_poll(shared, poll).await;
    finish(call, result)
}

fn finish(mut call: Call, result: Result<Value, ApiError>) -> (Result<Value, ApiError>, Call) {
    if let Err(e) = &result {
        call.status = e.status;
        call.description = Some(e.description.clone());
    }
    (result, call)
}

fn injected(status: u16) -> ApiError {
    match status {
        429 => ApiError::too_many(1),
        401 => ApiError::new(401, "Unauthorized"),
        403 => ApiError::new(403, "Forbidden: bot was blocked by the user"),
        400 => ApiError::bad("injected failure"),
        500 => ApiError::new(500, "Internal Server Error"),
        502 => ApiError::new(502, "Bad Gateway"),
        503 => ApiError::new(503, "Service Unavailable"),
        504 => ApiError::new(504, "Gateway Timeout"),
        other => ApiError::new(other, "Injected failure"),
    }
}

/// Waits until updates are there, the timeout passes, a newer `getUpdates` takes over (409, as
/// Telegram answers when two bot instances poll), or the server closes.
async fn long_poll(shared: &Arc<Shared>, poll: Poll) -> Result<Value, ApiError> {
    let deadline = tokio::time::Instant::now() + poll.timeout;
    let generation = {
        let mut st = shared.lock();
        st.poll_generation += 1;
        st.poll_generation
    };
    shared.updates.notify_waiters();
    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            if st.poll_generation != generation {
                return Err(ApiError::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            let batch = updates::take(&mut st, &poll);
            if !batch.is_empty() || st.closed || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}
