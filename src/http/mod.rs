//! The HTTP adapter: thin axum handlers over the core. Routes and the OpenAPI document are
//! built from the same list (`utoipa_axum::routes!`), so the document cannot miss a route.

pub mod agents;
pub mod alerts;
pub mod approvals;
pub mod audit;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod projects;
pub mod rate_limit;
pub mod runs;
pub mod tasks;
pub mod tokens;

use crate::app::App;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{middleware, Router};
use std::sync::{Arc, LazyLock};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub status: Arc<health::ServiceStatus>,
    pub limiter: rate_limit::TokenLimiter,
    pub auth_throttle: rate_limit::AuthThrottle,
    pub metrics: metrics::RequestMetrics,
    pub body_limit: usize,
    pub settings: Arc<crate::configuration::Settings>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Mission Control API", description = "Run a squad of AI agents: tasks, approvals, budgets, alerts. \
        Every /api route needs `Authorization: Bearer <token>`; the project is `X-Project` or `?project=` (default `openclaw`)."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(error::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The documented routes, and the document.
fn api() -> (Router<HttpState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::patch))
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
        .routes(routes!(runs::list, runs::record))
        .routes(routes!(runs::agent_costs))
        .routes(routes!(runs::daily))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::get))
        .routes(routes!(alerts::resolve))
        .routes(routes!(audit::export))
        .routes(routes!(jobs::run))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .split_for_parts()
}

/// The OpenAPI document of this server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// This document. Open, like `/health`: it is the schema, not data.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    static DOC: LazyLock<String> = LazyLock::new(|| serde_json::to_string(&openapi()).expect("the document serializes"));
    ([(header::CONTENT_TYPE, "application/json")], DOC.as_str())
}

pub fn router(state: HttpState) -> Router {
    let (routes, _doc) = api();
    routes
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(DefaultBodyLimit::max(state.body_limit))
        // A layer, not a route layer, so that requests to no route are counted too.
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
