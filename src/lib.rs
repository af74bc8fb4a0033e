//! Mission Control: the control plane for a squad of AI agents, operated from Telegram.
//!
//! This package is the binary: configuration wiring, startup (`startup`), logging
//! (`telemetry`) and the CLI (`main.rs`). The layers are crates of their own, so the
//! dependency graph is the architecture (README "Architecture"):
//!
//! - `mc-domain` (`domain`, `i18n`): pure rules and value types, the messages people read.
//! - `mc-config` (`configuration`): the settings; each part reads its own section.
//! - `mc-core` (`app`, `model`, `storage`): the use cases, one transaction each, and all the SQL.
//! - adapters over the core, none depending on another: `mc-telegram` (`telegram`, `charts`),
//!   `mc-agent-api` (`http`, `mcp`), `mc-jobs` (`jobs`).
//! - `mc-embedded-db` (`embedded_db`) and `mc-runner` (`runner`): the zero-setup database and
//!   the reference agent.
//!
//! The re-exports below keep one path per layer for the binary, the tests and the benchmarks.
//! The fake Bot API they run the bot against is the `fake-telegram` crate, a dev-dependency.

pub mod startup;
pub mod telemetry;

pub use mc_agent_api::{http, mcp};
pub use mc_config as configuration;
pub use mc_core::{app, model, storage};
pub use mc_domain as domain;
pub use mc_domain::i18n;
pub use mc_embedded_db as embedded_db;
pub use mc_jobs as jobs;
pub use mc_runner as runner;
pub use mc_telegram::{self as telegram, charts};
