//! What a failing test says about itself: its database and how far into the test it failed, so
//! that a failure seen once (a loaded CI machine, a race) can be read without rerunning.
//!
//! `#[sqlx::test]` runs each test on a thread of its own (a current-thread runtime), so the
//! test's facts live in a thread-local set when the test first builds the core or the server
//! on its pool; a panic hook, installed once, prints them before the usual panic message. The
//! output is captured with the test's own and shown only when it fails.

use sqlx::PgPool;
use std::cell::RefCell;
use std::sync::Once;
use std::time::{Instant, SystemTime};

struct Context {
    database: String,
    started: Instant,
    wall: SystemTime,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Records the test's database (once per test thread) and makes panics name it.
pub fn watch(pool: &PgPool) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            CONTEXT.with(|c| {
                if let Some(c) = c.borrow().as_ref() {
                    let at = humantime::format_rfc3339_millis(SystemTime::now());
                    let since = humantime::format_rfc3339_millis(c.wall);
                    eprintln!(
                        "test context: database {} · failed {:.2} s into the test (started {since}, failed {at})",
                        c.database,
                        c.started.elapsed().as_secs_f64(),
                    );
                }
            });
            default(info);
        }));
    });
    let database = pool.connect_options().get_database().unwrap_or("(default)").to_string();
    CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        if c.as_ref().is_none_or(|known| known.database != database) {
            *c = Some(Context {
                database,
                started: Instant::now(),
                wall: SystemTime::now(),
            });
        }
    });
}
