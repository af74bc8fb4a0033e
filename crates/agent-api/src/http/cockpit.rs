//! The cockpit's own routes (the Telegram Mini App at `/app`, see [`super::assets`]): signing
//! in with Telegram's `initData`, renewing the session, and the live feed. Everything else the
//! page does goes through the ordinary REST routes with the session's token as its bearer, so
//! the cockpit can do exactly what its operator can do in the chat, audited as them.
//!
//! The live feed is Server-Sent Events (`text/event-stream`): `EventSource` cannot set
//! headers, so it takes the session token as `?access_token=` as well; it resumes after the
//! `Last-Event-ID` header (or `?lastEventId=`). It is left out of the OpenAPI document, which
//! describes JSON answers only.

use super::error::{ApiError, ApiResult, BadRequest, Conflict, Forbidden, PayloadTooLarge, Unauthorized, Unprocessable};
use super::extract::{requested_project, Caller, Held, JsonBody};
use super::HttpState;
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream};
use mc_core::app::app_sessions::{AppSession, RenewedSession};
use mc_core::app::feed::FeedCursor;
use mc_domain::Actor;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// What the page posts to sign in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenSession {
    /// `Telegram.WebApp.initData`, exactly as Telegram gave it to the page.
    pub init_data: String,
}

/// Signs in from Telegram: the `initData` Telegram signed for this bot (no older than
/// `app.max_auth_age_secs`) opens a 15-minute session for the operator that Telegram user is;
/// its token is the bearer of the page's API calls. Forged or stale `initData`: 401; a Telegram
/// user who is not an operator: 403.
#[utoipa::path(post, path = "/api/app/session", operation_id = "openAppSession", tag = "cockpit", security(()),
    request_body = OpenSession,
    responses((status = 201, body = AppSession), BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, Unprocessable))]
pub async fn open(State(ctx): State<HttpState>, JsonBody(body): JsonBody<OpenSession>) -> ApiResult<(StatusCode, Json<AppSession>)> {
    let max_age = chrono::Duration::seconds(ctx.settings.app.max_auth_age_secs as i64);
    let session = ctx
        .app
        .open_app_session(&body.init_data, &ctx.settings.telegram.token, max_age)
        .await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// Another 15 minutes for the session whose token is the bearer (while it is still live).
#[utoipa::path(post, path = "/api/app/session/renew", operation_id = "renewAppSession", tag = "cockpit",
    responses((status = 200, body = RenewedSession)))]
pub async fn renew(_caller: Caller, State(ctx): State<HttpState>, headers: HeaderMap) -> ApiResult<Json<RenewedSession>> {
    // `Caller` authenticated it (throttled and rate limited like every API call).
    let token = bearer(&headers).ok_or_else(|| ApiError::unauthenticated("send the session's token: Authorization: Bearer <token>"))?;
    Ok(Json(ctx.app.renew_app_session(token).await?))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

/// How often a feed reads the database for new events while it cannot rely on being told:
/// the listener is down (a database blip), or events wait behind a hole in the ids.
const FEED_POLL: Duration = Duration::from_millis(500);
/// How long a feed that is told of new events waits without one before it reads anyway.
const FEED_IDLE: Duration = Duration::from_secs(10);
/// Every this many reads, a feed checks that its session still works (ends it when not).
const FEED_RECHECK_EVERY: u32 = 20;

/// `GET /api/app/events`: the squad's events (the audit log) as they are written, as SSE
/// (`event: audit`, `id:` the event's id, `data:` the event as JSON); the project of `X-Project`
/// or `?project=`, or every project's with `?project=*`. Ends when the session stops working.
pub async fn events(
    State(ctx): State<HttpState>,
    mut parts: Parts,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // The token of `?access_token=` is authenticated as the header's would be (the same
    // throttle of failures and rate limit).
    if !parts.headers.contains_key(AUTHORIZATION) {
        let token = query_param(&parts, "access_token")
            .ok_or_else(|| ApiError::unauthenticated("send the session's token: ?access_token=<token> or Authorization: Bearer <token>"))?;
        let header = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ApiError::unauthenticated("the access_token parameter is not a token"))?;
        parts.headers.insert(AUTHORIZATION, header);
    }
    let Caller(actor) = Caller::from_request_parts(&mut parts, &ctx).await?;
    let Held(credential) = Held::from_request_parts(&mut parts, &ctx).await?;
    let project_id = match requested_project(&parts)?.as_deref() {
        Some("*") => None,
        Some(slug) => Some(ctx.app.project_by_slug(slug).await?.id),
        None => Some(ctx.app.project_by_slug(super::extract::DEFAULT_PROJECT).await?.id),
    };
    let resume = parts
        .headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query_param(&parts, "lastEventId"));
    let resume = match resume.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::validation(format!("Last-Event-ID must be an event id (a whole number), not '{raw}'")))?,
        ),
    };
    // Told of new events from before the first read on: none is missed between a read and the wait.
    let written = ctx.app.wakes.watch_audit();
    let cursor = ctx.app.open_feed(&actor, resume).await?;
    let feed = Feed {
        written,
        ctx,
        actor,
        token_id: credential.token_id,
        project_id,
        cursor,
        reads: 0,
        pending: Vec::new().into_iter(),
        ended: false,
    };
    let stream = stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One client's feed: a cursor and the batch being sent (at most one read's worth). It reads
/// when told that audit events were written (LISTEN, through `App::wakes`), polling only
/// while that cannot be relied on.
struct Feed {
    written: tokio::sync::watch::Receiver<u64>,
    ctx: HttpState,
    actor: Actor,
    token_id: Uuid,
    project_id: Option<Uuid>,
    cursor: FeedCursor,
    reads: u32,
    pending: std::vec::IntoIter<mc_core::model::AuditEvent>,
    ended: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        loop {
            // The service is shutting down: the feed ends (the page reconnects to another replica).
            if self.ended || self.ctx.app.wakes.is_closed() {
                return None;
            }
            if let Some(event) = self.pending.next() {
                return Some(
                    Event::default()
                        .id(event.id.to_string())
                        .event("audit")
                        .json_data(&event)
                        .unwrap_or_else(|_| Event::default().comment("unserialisable event")),
                );
            }
            self.reads += 1;
            if self.reads.is_multiple_of(FEED_RECHECK_EVERY) {
                match self.ctx.app.refused_credentials(&[self.token_id]).await {
                    Ok(refused) if refused.is_empty() => {}
                    _ => {
                        self.ended = true;
                        return Some(Event::default().event("end").data("the session ended: sign in again"));
                    }
                }
            }
            match self.ctx.app.feed_next(&self.actor, &mut self.cursor, self.project_id).await {
                Ok(events) if !events.is_empty() => self.pending = events.into_iter(),
                Ok(_) => {
                    let wait = if self.cursor.waiting_on_hole() {
                        FEED_POLL
                    } else if self.ctx.app.wakes.is_listening() {
                        FEED_IDLE
                    } else {
                        FEED_POLL
                    };
                    let _ = tokio::time::timeout(wait, self.written.changed()).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "live feed: cannot read the events; trying again");
                    tokio::time::sleep(FEED_POLL * 4).await;
                }
            }
        }
    }
}
