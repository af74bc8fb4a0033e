//! This process's memory of the tokens that work, so that a flood of guesses from a throttled
//! address costs the database at most one read a second while a valid token still passes
//! (`App::token_is_live`). Its own module: the unit of work tells it when a token was created,
//! and the token use cases read it, without either depending on the other.

use std::collections::HashSet;

/// The hashes of the tokens that work, as last read (a token created since, here or on
/// another replica, is found by the next read, at most a second later), and when.
#[derive(Debug, Default)]
pub struct LiveTokens {
    pub(super) state: std::sync::Mutex<(HashSet<Vec<u8>>, Option<std::time::Instant>)>,
}

impl LiveTokens {
    /// A token was created here: the next one not held is looked up at once.
    pub(crate) fn forget(&self) {
        self.state.lock().expect("live tokens").1 = None;
    }
}
