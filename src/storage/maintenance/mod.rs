//! Operations on the database as a whole — backup and restore, integrity checks, retention.
//! The CLI runs these directly (not through the use cases): they deal in tables, not in the
//! domain, so they live with the rest of the SQL.

pub mod backup;
pub mod retention;
pub mod verify;
