//! The HTTP adapter: thin axum handlers over the core.

pub mod health;

use crate::app::App;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: App,
    pub status: Arc<health::ServiceStatus>,
}

pub fn router(state: HttpState) -> Router {
    Router::new().route("/health", get(health::health)).with_state(state)
}
