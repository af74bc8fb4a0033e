//! The end-to-end suite, as one test binary: every module talks to a real PostgreSQL (a fresh
//! database per test), the real HTTP server on port 0 and the fake Bot API server.
//! One binary rather than one per file keeps the build small and the link count at one.

mod common;

mod agent_runner;
mod agents;
mod alert_texts;
mod api_access;
mod api_contract;
mod api_conventions;
mod api_input;
mod api_runbook;
mod approvals;
mod bot_alerts;
mod bot_approvals;
mod bot_commands;
mod bot_confirmations;
mod bot_updates;
mod bridge;
mod budgets;
mod buttons;
mod cockpit;
mod containment;
mod costs;
mod database_connect;
mod embedded_db;
mod incident;
mod jobs;
mod mcp;
mod openapi;
mod ops;
mod otlp;
mod outbox;
mod period_budgets;
mod questions;
mod replicas;
mod schema;
mod security;
mod serve;
mod shutdown;
mod standup;
mod tasks;
mod threads;
mod webhook;
