//! Mission Control: the control plane for a squad of AI agents, operated from Telegram.
//!
//! - `domain`: pure rules (state machine, policy, budgets, loops, rights), no I/O.
//! - `app`: the use cases, one transaction each: change + audit + notifications + outbox.
//! - `storage`: the SQL the use cases run.
//! - `http`: the axum server, thin handlers over `app`.
//! - `configuration`, `telemetry`, `startup`: wiring.

pub mod app;
pub mod charts;
pub mod configuration;
pub mod domain;
pub mod embedded_db;
pub mod fake_telegram;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod ops;
pub mod runner;
pub mod startup;
pub mod storage;
pub mod telegram;
pub mod telemetry;
