//! The clock port: every deadline is computed from an injected clock, so tests
//! move time forward instead of sleeping.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Seconds since the Unix epoch (the store's expiry unit).
    fn epoch_seconds(&self) -> i64 {
        self.now().timestamp()
    }

    /// Today's date in the commune's time zone.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Paris).date_naive()
    }
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move (tests, demos).
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(now)))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_advances_and_dates_are_in_paris() {
        // 23:30 UTC on 31 March is already 1 April in Paris (summer time).
        let clock = FixedClock::at(Utc.with_ymd_and_hms(2027, 3, 31, 23, 30, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2027, 4, 1).unwrap());
        let before = clock.epoch_seconds();
        clock.advance(chrono::Duration::hours(24));
        assert_eq!(clock.epoch_seconds() - before, 86_400);
    }
}
