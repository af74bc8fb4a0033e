//! The domain: pure rules, no I/O. Everything here is unit-tested in place.

pub mod actor;
pub mod alerts;
pub mod approval_code;
pub mod budget;
pub mod costs;
pub mod credentials;
pub mod grants;
pub mod i18n;
pub mod loops;
pub mod money;
pub mod policy;
pub mod questions;
pub mod roles;
pub mod schedule;
pub mod standup;
pub mod task_state;
pub mod tool_questions;
pub mod tools;
pub mod traffic;
pub mod types;
pub mod values;
pub mod waits;
pub mod webapp;

pub use actor::{Actor, Right};
pub use alerts::{AlertDetails, AlertKind};
pub use money::Usd;
pub use task_state::TransitionRefusal;
pub use traffic::TrafficClass;
pub use types::*;
pub use values::*;
pub use waits::WaitSeconds;
