//! Operations on the database as a whole — backup and restore, integrity checks, retention.
//! They deal in tables, not in the domain, so they live with the rest of the SQL; the CLI
//! reaches them through the core's use cases (`app::database`), which audit what changes data.

pub mod backup;
pub mod retention;
pub mod verify;
