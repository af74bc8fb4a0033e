//! The domain: pure rules, no I/O. Everything here is unit-tested in place.

pub mod actor;
pub mod budget;
pub mod loops;
pub mod money;
pub mod policy;
pub mod roles;
pub mod standup;
pub mod task_state;
pub mod types;
pub mod values;

pub use actor::{Actor, Right};
pub use money::Usd;
pub use task_state::TransitionRefusal;
pub use types::*;
pub use values::*;
