//! Operations on the database as a whole — backup and restore, integrity checks, retention.
//! These run from the CLI against the database directly (not through the use cases): they
//! deal in tables, not in the domain.

pub mod backup;
pub mod retention;
pub mod verify;
