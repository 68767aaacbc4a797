//! The portal's clock: Japan's day and the instant, read in one place so
//! that tests (and a demo) can move time forward to see deadlines pass
//! without waiting a year. In production the offset stays zero.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Shared by every clone of the state: advancing it moves every request's
/// "today" at once.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_days: Arc<AtomicI64>,
}

impl Clock {
    /// The instant, moved by the offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::days(self.offset_days.load(Ordering::Relaxed))
    }

    /// The calendar day in Japan (the programme's dates are Japanese days).
    pub fn today(&self) -> NaiveDate {
        ismap_domain::validity::japan_date(self.now())
    }

    /// Moves the clock `days` forward (tests and `--demo` only).
    pub fn advance_days(&self, days: i64) {
        self.offset_days.fetch_add(days, Ordering::Relaxed);
    }

    /// Days the clock runs ahead of the real one.
    pub fn offset_days(&self) -> i64 {
        self.offset_days.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_one_clone_moves_every_clone() {
        let clock = Clock::default();
        let shared = clock.clone();
        let before = clock.today();
        shared.advance_days(400);
        assert_eq!((clock.today() - before).num_days(), 400);
        assert_eq!(clock.offset_days(), 400);
    }
}
