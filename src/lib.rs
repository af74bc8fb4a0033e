//! Mission Control: the control plane for a squad of AI agents, operated from Telegram.
//!
//! - `domain`: pure rules (state machine, policy, budgets, loops, rights), no I/O.
//! - `model`: the rows and notices the core and storage share (below both).
//! - `app`: the use cases, one transaction each: change + audit + notifications + outbox.
//! - `storage`: all the SQL: what the use cases run, and whole-database maintenance
//!   (`storage::maintenance`: backup, restore, verify-db, retention).
//! - `http`, `mcp` (the agents' MCP server), `telegram` (bot and outbox dispatcher), `jobs`
//!   (scheduler), `runner`: adapters and clients over `app`.
//! - `charts`, `i18n`: rendering.
//! - `configuration`, `telemetry`, `startup`: wiring.
//!
//! The fake Bot API that tests and benchmarks run the bot against is not part of this crate: it
//! is the workspace's `fake-telegram` crate (`crates/fake-telegram`), a dev-dependency only.

pub mod app;
pub mod charts;
pub mod configuration;
pub mod domain;
pub mod embedded_db;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod mcp;
pub mod model;
pub mod runner;
pub mod startup;
pub mod storage;
pub mod telegram;
pub mod telemetry;
