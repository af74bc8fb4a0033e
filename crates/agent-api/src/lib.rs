//! The agents' protocol: the REST API (`http`, with its OpenAPI document) and the MCP server
//! (`mcp`), two encodings over the same core use cases, sharing authentication, rate limits,
//! idempotency and metrics.

pub mod http;
pub mod mcp;
pub mod protocol;
