//! Failed logins: an account locks for 15 minutes after 5 failures in a row
//! (one address may fail 20 times in 15 minutes: [`crate::limits::LOGIN_ADDRESS`]).

use chrono::{DateTime, Duration, Utc};

pub const MAX_FAILURES: u32 = 5;
pub const LOCK_DURATION: Duration = Duration::minutes(15);

/// The account's state after one more failure: the new failure count, and
/// the lock's end when this failure locks it.
pub fn after_failure(failures: u32, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
    let failures = failures + 1;
    if failures >= MAX_FAILURES {
        (0, Some(now + LOCK_DURATION))
    } else {
        (failures, None)
    }
}

/// Whole minutes left of a lock (at least 1), or `None` when not locked.
pub fn minutes_left(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    let until = locked_until?;
    (until > now).then(|| ((until - now).num_seconds() + 59) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fifth_failure_locks_for_fifteen_minutes() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap();
        let mut failures = 0;
        for _ in 0..4 {
            let (f, lock) = after_failure(failures, now);
            assert_eq!(lock, None);
            failures = f;
        }
        let (f, lock) = after_failure(failures, now);
        assert_eq!((f, lock), (0, Some(now + Duration::minutes(15))));
        assert_eq!(minutes_left(lock, now), Some(15));
        assert_eq!(
            minutes_left(lock, now + Duration::seconds(14 * 60 + 1)),
            Some(1)
        );
        assert_eq!(minutes_left(lock, now + Duration::minutes(15)), None);
        assert_eq!(minutes_left(None, now), None);
    }
}
