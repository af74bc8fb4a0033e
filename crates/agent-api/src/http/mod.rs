//! The HTTP adapter: thin axum handlers over the core. Routes and the OpenAPI document are
//! built from the same list (`utoipa_axum::routes!`), so the document cannot miss a route.

pub mod agents;
pub mod alerts;
pub mod approvals;
pub mod assets;
pub mod audit;
pub mod cockpit;
pub mod connections;
pub mod error;
pub mod extract;
pub mod grants;
pub mod health;
pub mod hooks;
pub mod idempotency;
pub mod input_schemas;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod otlp;
pub mod overview;
pub mod projects;
pub mod questions;
pub mod rate_limit;
pub mod runs;
pub mod tasks;
pub mod tokens;

use axum::extract::DefaultBodyLimit;
use axum::{middleware, Router};
use mc_core::app::App;
use std::sync::Arc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub status: Arc<health::ServiceStatus>,
    pub limiter: rate_limit::TokenLimiter,
    pub auth_throttle: rate_limit::AuthThrottle,
    /// `http.trusted_proxies`, parsed: whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    pub metrics: metrics::RequestMetrics,
    pub body_limit: usize,
    pub settings: Arc<mc_config::Settings>,
}

/// The documented routes, and the document. The hooks take bodies up to `hook_body_limit`
/// (a Claude Code `Write` carries the whole file), the rest `http.body_limit_bytes`.
fn api(hook_body_limit: usize) -> (Router<HttpState>, utoipa::openapi::OpenApi) {
    let hook = |routes: UtoipaMethodRouter<HttpState>| routes.layer(DefaultBodyLimit::max(hook_body_limit));
    let (routes, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::patch))
        .routes(routes!(projects::budget))
        .routes(routes!(runs::summary))
        .routes(routes!(otlp::export))
        .routes(routes!(projects::pause_squad))
        .routes(routes!(projects::resume_squad))
        .routes(routes!(agents::list))
        .routes(routes!(agents::register))
        .routes(routes!(agents::get, agents::patch))
        .routes(routes!(agents::heartbeat))
        .routes(routes!(agents::quarantine))
        .routes(routes!(agents::restart))
        .routes(routes!(agents::pause))
        .routes(routes!(agents::resume))
        .routes(routes!(agents::release))
        .routes(routes!(agents::rotate_token))
        .routes(routes!(tasks::list, tasks::create))
        .routes(routes!(tasks::claim_next))
        .routes(routes!(tasks::get, tasks::patch))
        .routes(routes!(tasks::timeline))
        .routes(routes!(tasks::transition))
        .routes(routes!(tasks::claim))
        .routes(routes!(tasks::comment))
        .routes(routes!(approvals::list, approvals::request))
        .routes(routes!(approvals::get))
        .routes(routes!(approvals::approve))
        .routes(routes!(approvals::deny))
        .routes(routes!(questions::list, questions::ask))
        .routes(routes!(questions::get))
        .routes(routes!(questions::answer))
        .routes(routes!(questions::cancel))
        .routes(routes!(runs::list, runs::record))
        .routes(routes!(runs::agent_costs))
        .routes(routes!(runs::daily))
        .routes(routes!(overview::summary))
        .routes(routes!(overview::policy))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::get))
        .routes(routes!(alerts::resolve))
        .routes(routes!(audit::export))
        .routes(hook(routes!(hooks::claude_code)))
        .routes(hook(routes!(hooks::codex)))
        .routes(routes!(grants::list, grants::create))
        .routes(routes!(grants::revoke))
        .routes(routes!(jobs::run))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(cockpit::open))
        .routes(routes!(cockpit::renew))
        .split_for_parts();
    openapi::ApiConventions.modify(&mut doc);
    input_schemas::CrossFieldRules.modify(&mut doc);
    (routes, doc)
}

pub use openapi::openapi;

pub fn router(state: HttpState) -> Router {
    let (routes, _doc) = api(state.settings.bridge.body_limit_bytes);
    // The cockpit's page and its live feed (SSE), outside the OpenAPI document (not JSON).
    let routes = routes
        .route("/app", axum::routing::get(assets::index))
        .route("/app/{file}", axum::routing::get(assets::file))
        .route("/api/app/events", axum::routing::get(cockpit::events));
    routes
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(DefaultBodyLimit::max(state.body_limit))
        // A layer, not a route layer, so that requests to no route are counted too.
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
