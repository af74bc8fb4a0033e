//! Telegram's flood limits, kept on the sending side so that the dispatcher never provokes a 429:
//! at most one call a second per chat, 20 a minute per group, 30 a second overall — for every
//! method that acts on a chat (sends, edits, topic calls), not only sends.
//!
//! A call occupies its windows from the moment it starts until a window's span after it ends:
//! Telegram counts a call when it arrives, which is between our start and our end, so counting
//! from the end can only be early on our side, never late. A call in flight blocks its chat and
//! counts in every window until it ends. Pure: time is passed in, so tests drive it.
//!
//! Every call has a traffic class ([`TrafficClass`]); a class may fill only its allowance of
//! each window (background mirroring 14 of a group's 20 a minute and 21 of the global 30 a
//! second, routine edits 17 and 25), so an answer to a human or an approval card always finds a
//! free slot. Calls bound to no chat (callback answers) are answers: they take the full global
//! window and never wait behind sends.

use mc_domain::TrafficClass;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The numbers; [`Default`] is Telegram's published limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Between two calls to the same chat.
    pub per_chat_interval: Duration,
    /// Calls to one group or supergroup (chat id < 0) in any minute.
    pub group_per_minute: u32,
    /// Calls overall in any second.
    pub global_per_second: u32,
    /// Added to the group and global windows, for clock jitter between us and Telegram.
    pub margin: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_chat_interval: Duration::from_secs(1),
            group_per_minute: 20,
            global_per_second: 30,
            margin: Duration::from_millis(50),
        }
    }
}

/// One call in a window: in flight (`done: None`) or ended at an instant.
/// How far apart the database's record of a call and this limiter's may be and still be one
/// call (calls to one chat are a second apart).
const SAME_CALL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    ticket: u64,
    done: Option<Instant>,
}

/// A call that was let through; hand it back to [`Limiter::finish`] when the call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub id: u64,
    pub chat: i64,
}

/// When a call to a chat may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    Now,
    At(Instant),
    /// When a call in flight ends (its end decides the time).
    AfterInFlight,
}

const MINUTE: Duration = Duration::from_secs(60);
const SECOND: Duration = Duration::from_secs(1);
/// The chat of a ticket for a call bound to no chat (no chat has id 0).
pub(crate) const NO_CHAT: i64 = 0;

/// A limiter shared by everything in the process that calls the Bot API as one bot.
pub type SharedLimiter = Arc<Mutex<Limiter>>;

/// The limiters per bot (token and API base), so that the dispatcher and the bot's own calls
/// (callback answers, command registration) count in the same global window.
static SHARED: LazyLock<Mutex<HashMap<String, SharedLimiter>>> = LazyLock::new(Default::default);

fn bot_key(bot: &teloxide::Bot) -> String {
    format!("{}@{}", bot.token(), bot.api_url())
}

/// The dispatcher's limiter for `bot`: the one the process already has for it when its limits
/// are these, else a new one (which the bot's direct calls then share).
pub fn shared_for(bot: &teloxide::Bot, limits: &Limits) -> SharedLimiter {
    let mut all = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    let key = bot_key(bot);
    if let Some(existing) = all.get(&key) {
        if existing.lock().unwrap_or_else(|p| p.into_inner()).limits() == limits {
            return existing.clone();
        }
    }
    let limiter = Arc::new(Mutex::new(Limiter::new(limits.clone())));
    all.insert(key, limiter.clone());
    limiter
}

/// The limiter `bot`'s direct calls go through: the dispatcher's, or (with no dispatcher in
/// this process yet) one with Telegram's limits.
pub fn for_bot(bot: &teloxide::Bot) -> SharedLimiter {
    let mut all = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    all.entry(bot_key(bot))
        .or_insert_with(|| Arc::new(Mutex::new(Limiter::new(Limits::default()))))
        .clone()
}

/// Makes one Bot API call bound to no chat (`answerCallbackQuery`, `setMyCommands`) when the
/// global limit (30 calls a second, shared with the dispatcher) has room for it.
pub async fn paced<T, Fut>(bot: &teloxide::Bot, call: impl FnOnce() -> Fut) -> T
where
    Fut: std::future::Future<Output = T>,
{
    let limiter = for_bot(bot);
    let ticket = loop {
        let tried = limiter
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .try_acquire_global(TrafficClass::Human, Instant::now());
        match tried {
            Ok(ticket) => break ticket,
            Err(Ready::At(t)) => tokio::time::sleep_until(t.into()).await,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    let out = call().await;
    limiter.lock().unwrap_or_else(|p| p.into_inner()).finish(ticket, Instant::now());
    out
}

#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    next_ticket: u64,
    last: HashMap<i64, Slot>,
    groups: HashMap<i64, Vec<Slot>>,
    global: Vec<Slot>,
    holds: HashMap<i64, Instant>,
    /// When each group was last answered a human (a call of the Human class started): for a
    /// window after that, machines use less of it.
    humans: HashMap<i64, Instant>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Limiter {
            limits,
            next_ticket: 1,
            last: HashMap::new(),
            groups: HashMap::new(),
            global: Vec::new(),
            holds: HashMap::new(),
            humans: HashMap::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// When the next call of `class` to `chat` may start.
    pub fn ready(&mut self, chat: i64, class: TrafficClass, now: Instant) -> Ready {
        let span_group = MINUTE + self.limits.margin;
        let span_global = SECOND + self.limits.margin;
        prune(&mut self.global, now, span_global);
        if let Some(window) = self.groups.get_mut(&chat) {
            prune(window, now, span_group);
        }
        if self.holds.get(&chat).is_some_and(|h| *h <= now) {
            self.holds.remove(&chat);
        }
        let mut at = now;
        let mut in_flight = false;
        if let Some(hold) = self.holds.get(&chat) {
            at = at.max(*hold);
        }
        match self.last.get(&chat).map(|s| s.done) {
            Some(None) => in_flight = true,
            Some(Some(done)) => at = at.max(done + self.limits.per_chat_interval),
            None => {}
        }
        let humans_act = self
            .humans
            .get(&chat)
            .is_some_and(|at| now.saturating_duration_since(*at) < span_group);
        let allowance = match humans_act {
            true => class.allowance_while_humans_act(self.limits.group_per_minute),
            false => class.allowance(self.limits.group_per_minute),
        };
        let group = match (chat < 0, self.groups.get(&chat)) {
            (true, Some(window)) => free_at(window, allowance, span_group),
            _ => Free::Now,
        };
        let global = free_at(&self.global, class.allowance(self.limits.global_per_second), span_global);
        for free in [group, global] {
            match free {
                Free::Now => {}
                Free::At(t) => at = at.max(t),
                Free::InFlight => in_flight = true,
            }
        }
        if in_flight {
            Ready::AfterInFlight
        } else if at <= now {
            Ready::Now
        } else {
            Ready::At(at)
        }
    }

    /// Lets a call of `class` to `chat` start now, or says when to ask again.
    pub fn try_acquire(&mut self, chat: i64, class: TrafficClass, now: Instant) -> Result<Ticket, Ready> {
        match self.ready(chat, class, now) {
            Ready::Now => {}
            other => return Err(other),
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let slot = Slot { ticket, done: None };
        self.last.insert(chat, slot);
        if chat < 0 {
            self.groups.entry(chat).or_default().push(slot);
            if class == TrafficClass::Human {
                self.humans.insert(chat, now);
            }
        }
        self.global.push(slot);
        Ok(Ticket { id: ticket, chat })
    }

    /// The call ended (whatever its outcome): its windows run from `now`.
    pub fn finish(&mut self, ticket: Ticket, now: Instant) {
        let end = |s: &mut Slot| {
            if s.ticket == ticket.id {
                s.done = Some(now);
            }
        };
        if let Some(s) = self.last.get_mut(&ticket.chat) {
            end(s);
        }
        if let Some(window) = self.groups.get_mut(&ticket.chat) {
            window.iter_mut().for_each(end);
        }
        self.global.iter_mut().for_each(end);
    }

    /// A call made before this limiter existed (by a previous dispatcher), which Telegram still
    /// counts: ended at `at`.
    pub fn record_past(&mut self, chat: i64, at: Instant) {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let slot = Slot { ticket, done: Some(at) };
        if self.last.get(&chat).is_none_or(|s| s.done.is_some_and(|d| d < at)) {
            self.last.insert(chat, slot);
        }
        if chat < 0 {
            self.groups.entry(chat).or_default().push(slot);
        }
        self.global.push(slot);
    }

    /// The calls the database says were made in the last minute (by a previous dispatcher, or
    /// by this one before it lost its lock), oldest first: those this limiter already counts
    /// (a call to the same window ending within [`SAME_CALL`] of one it knows) are not added
    /// again, so taking the lock back after a blip does not count its own calls twice.
    pub fn record_predecessors(&mut self, calls: &[(i64, Instant)]) {
        let mut matched: std::collections::HashSet<u64> = std::collections::HashSet::new();
        for &(chat, at) in calls {
            let near = |s: &&Slot| !matched.contains(&s.ticket) && s.done.is_some_and(|d| d.max(at) - d.min(at) <= SAME_CALL);
            let known = match chat < 0 {
                true => self.groups.get(&chat).and_then(|g| g.iter().find(near)).map(|s| s.ticket),
                false => self.global.iter().find(near).map(|s| s.ticket),
            };
            match known {
                Some(ticket) => {
                    matched.insert(ticket);
                }
                None => self.record_past(chat, at),
            }
        }
    }

    /// Lets a call bound to no chat (`answerCallbackQuery`, `setMyCommands`) start now, or says
    /// when to ask again: it counts only in the global window. Hand the ticket back to
    /// [`Limiter::finish`].
    pub fn try_acquire_global(&mut self, class: TrafficClass, now: Instant) -> Result<Ticket, Ready> {
        prune(&mut self.global, now, SECOND + self.limits.margin);
        match free_at(
            &self.global,
            class.allowance(self.limits.global_per_second),
            SECOND + self.limits.margin,
        ) {
            Free::Now => {}
            Free::At(t) if t <= now => {}
            Free::At(t) => return Err(Ready::At(t)),
            Free::InFlight => return Err(Ready::AfterInFlight),
        }
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.global.push(Slot { ticket, done: None });
        Ok(Ticket { id: ticket, chat: NO_CHAT })
    }

    /// Telegram said `retry_after`: nothing goes to the chat before `until`.
    pub fn hold(&mut self, chat: i64, until: Instant) {
        let h = self.holds.entry(chat).or_insert(until);
        *h = (*h).max(until);
    }

    /// Calls counted in the chat's group window and the global window (for tests and metrics).
    pub fn counted(&self, chat: i64) -> (usize, usize) {
        (self.groups.get(&chat).map_or(0, Vec::len), self.global.len())
    }
}

/// Drops calls that ended more than `span` ago.
fn prune(window: &mut Vec<Slot>, now: Instant, span: Duration) {
    window.retain(|s| s.done.is_none_or(|d| now < d + span));
}

/// When a window has room for one more call.
enum Free {
    Now,
    /// When enough ended calls have left it.
    At(Instant),
    /// Only calls in flight could free it.
    InFlight,
}

fn free_at(window: &[Slot], limit: u32, span: Duration) -> Free {
    let limit = limit.max(1) as usize;
    if window.len() < limit {
        return Free::Now;
    }
    let must_expire = window.len() - limit + 1;
    let mut ended: Vec<Instant> = window.iter().filter_map(|s| s.done).collect();
    if ended.len() < must_expire {
        return Free::InFlight;
    }
    ended.sort_unstable();
    Free::At(ended[must_expire - 1] + span)
}

#[cfg(test)]
mod tests {
    use super::*;
    const H: TrafficClass = TrafficClass::Human;
    const B: TrafficClass = TrafficClass::Background;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn limits() -> Limits {
        Limits {
            margin: Duration::ZERO,
            ..Limits::default()
        }
    }

    /// A call that starts and ends at `t`.
    fn call(l: &mut Limiter, chat: i64, t: Instant) {
        let ticket = l.try_acquire(chat, H, t).expect("admitted");
        l.finish(ticket, t);
    }

    #[test]
    fn calls_bound_to_no_chat_share_the_global_window() {
        let mut l = Limiter::new(Limits {
            global_per_second: 3,
            ..limits()
        });
        let t0 = Instant::now();
        call(&mut l, -1, t0);
        call(&mut l, -2, t0);
        let answer = l.try_acquire_global(H, t0).expect("the third call of the second");
        assert_eq!(l.try_acquire_global(H, t0), Err(Ready::At(t0 + SECOND)));
        l.finish(answer, t0);
        assert_eq!(l.try_acquire_global(H, t0), Err(Ready::At(t0 + SECOND)));
        // ... and a send waits for it too.
        assert_eq!(l.ready(-3, H, t0 + ms(10)), Ready::At(t0 + SECOND));
        assert!(l.try_acquire_global(H, t0 + SECOND).is_ok());
    }

    #[test]
    fn background_leaves_headroom_in_every_window() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        for i in 0..14 {
            let t = l.try_acquire(-100, B, t0 + ms(i * 1000)).expect("background within its share");
            l.finish(t, t0 + ms(i * 1000));
        }
        // The 15th background call of the minute waits; an answer goes at once.
        assert_eq!(l.ready(-100, B, t0 + ms(15_000)), Ready::At(t0 + ms(60_000)));
        assert_eq!(l.ready(-100, H, t0 + ms(15_000)), Ready::Now);
        // Globally: 21 background calls in a second, then only the upper classes.
        let mut g = Limiter::new(limits());
        for chat in 0..21 {
            let t = g.try_acquire(chat + 1, B, t0).unwrap();
            g.finish(t, t0);
        }
        assert!(g.try_acquire(500, B, t0).is_err());
        assert!(g.try_acquire_global(H, t0).is_ok());
        assert!(g.try_acquire(501, TrafficClass::Urgent, t0).is_ok());
    }

    #[test]
    fn machines_step_back_while_people_act_in_the_group() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        for i in 0..5 {
            let t = l.try_acquire(-100, B, t0 + ms(i * 1000)).unwrap();
            l.finish(t, t0 + ms(i * 1000));
        }
        // Mirroring alone would go on to 14; a human answered in the group stops it at 5, and
        // the rest of the minute is the people's.
        assert_eq!(l.ready(-100, B, t0 + ms(5_000)), Ready::Now);
        call(&mut l, -100, t0 + ms(5_000));
        assert_eq!(
            l.ready(-100, B, t0 + ms(6_000)),
            Ready::At(t0 + ms(61_000)),
            "until two of its calls left the window"
        );
        for i in 0..14 {
            call(&mut l, -100, t0 + ms(6_000 + i * 1000));
        }
        // Another group's mirroring is not held back.
        assert_eq!(l.ready(-200, B, t0 + ms(6_000)), Ready::Now);
        // A minute after the last answer, machines have their usual share again.
        let later = t0 + ms(19_000 + 61_000);
        assert_eq!(l.ready(-100, B, later), Ready::Now);
    }

    #[test]
    fn one_call_per_second_per_chat_counted_from_its_end() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        let ticket = l.try_acquire(7, H, t0).unwrap();
        // In flight: the chat waits for the end, other chats do not.
        assert_eq!(l.try_acquire(7, H, t0 + ms(10)), Err(Ready::AfterInFlight));
        call(&mut l, 8, t0 + ms(10));
        l.finish(ticket, t0 + ms(300));
        assert_eq!(l.ready(7, H, t0 + ms(400)), Ready::At(t0 + ms(1300)));
        assert!(l.try_acquire(7, H, t0 + ms(1299)).is_err());
        call(&mut l, 7, t0 + ms(1300));
    }

    #[test]
    fn twenty_a_minute_per_group_but_not_for_private_chats() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        for i in 0..20 {
            call(&mut l, -100, t0 + ms(i * 1000));
        }
        // The 21st waits until the first leaves the window.
        assert_eq!(l.ready(-100, H, t0 + ms(20_000)), Ready::At(t0 + ms(60_000)));
        call(&mut l, -100, t0 + ms(60_000));
        assert_eq!(l.ready(-100, H, t0 + ms(61_000)), Ready::Now);
        // A private chat has no minute window.
        for i in 0..25 {
            call(&mut l, 5, t0 + ms(100_000 + i * 1000));
        }
        assert_eq!(l.counted(5).0, 0);
    }

    #[test]
    fn thirty_a_second_overall() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        for chat in 0..30 {
            call(&mut l, chat + 1, t0 + ms(chat as u64));
        }
        assert_eq!(l.ready(1000, H, t0 + ms(100)), Ready::At(t0 + ms(1000)));
        call(&mut l, 1000, t0 + ms(1000));
    }

    #[test]
    fn calls_in_flight_count_until_they_end() {
        let mut l = Limiter::new(Limits {
            global_per_second: 2,
            ..limits()
        });
        let t0 = Instant::now();
        let a = l.try_acquire(1, H, t0).unwrap();
        let b = l.try_acquire(2, H, t0).unwrap();
        assert_eq!(l.ready(3, H, t0 + ms(5000)), Ready::AfterInFlight);
        l.finish(a, t0 + ms(5000));
        assert_eq!(l.ready(3, H, t0 + ms(5500)), Ready::At(t0 + ms(6000)));
        l.finish(b, t0 + ms(5600));
        call(&mut l, 3, t0 + ms(6000));
    }

    #[test]
    fn retry_after_holds_only_that_chat() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        l.hold(-5, t0 + ms(30_000));
        assert_eq!(l.ready(-5, H, t0), Ready::At(t0 + ms(30_000)));
        assert_eq!(l.ready(-6, H, t0), Ready::Now);
        // A shorter hold does not shorten a longer one.
        l.hold(-5, t0 + ms(1000));
        assert_eq!(l.ready(-5, H, t0 + ms(2000)), Ready::At(t0 + ms(30_000)));
        call(&mut l, -5, t0 + ms(30_000));
    }

    #[test]
    fn calls_of_a_previous_dispatcher_still_count() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        for i in 0..20 {
            l.record_past(-9, t0 + ms(i * 100));
        }
        assert_eq!(l.ready(-9, H, t0 + ms(5000)), Ready::At(t0 + ms(60_000)));
        assert_eq!(l.ready(-8, H, t0 + ms(5000)), Ready::Now);
    }

    #[test]
    fn taking_the_lock_back_does_not_count_its_own_calls_twice() {
        let mut l = Limiter::new(limits());
        let t0 = Instant::now();
        // Ten calls of its own to a group, then the lock is lost and taken back: the database
        // lists those ten (a few ms off) and five more of a predecessor.
        for i in 0..10 {
            call(&mut l, -9, t0 + ms(i * 1000));
        }
        let mut db: Vec<(i64, Instant)> = (0..10).map(|i| (-9, t0 + ms(i * 1000 + 7))).collect();
        db.extend((0..5).map(|i| (-9, t0 + ms(i * 1000 + 600))));
        db.sort_by_key(|(_, at)| *at);
        for _ in 0..3 {
            l.record_predecessors(&db);
        }
        // Fifteen in the window, not forty: room for five more.
        for i in 0..5 {
            call(&mut l, -9, t0 + ms(10_000 + i * 1000));
        }
        assert!(matches!(l.ready(-9, H, t0 + ms(15_000)), Ready::At(_)), "the twenty-first waits");
    }

    #[test]
    fn the_margin_widens_the_windows() {
        let mut l = Limiter::new(Limits {
            global_per_second: 1,
            margin: ms(50),
            ..Limits::default()
        });
        let t0 = Instant::now();
        call(&mut l, 1, t0);
        assert_eq!(l.ready(2, H, t0 + ms(10)), Ready::At(t0 + ms(1050)));
    }
}
