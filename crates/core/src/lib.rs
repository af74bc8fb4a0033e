//! The application core: the rows it and storage share (`model`), all the SQL (`storage`) and
//! the use cases (`app`), one transaction each: change + audit + notifications + outbox.
//!
//! Adapters (Telegram, the agent protocol over REST and MCP, the scheduler) depend on this
//! crate; it depends on none of them, nor on their libraries (teloxide, axum, rmcp).

pub mod app;
pub mod model;
pub mod pg;
pub mod storage;
