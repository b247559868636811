//! Counters that limit guessable or costly actions per subject (an address,
//! an account, a dossier number, a visitor) over a fixed time window: failed
//! logins per address, failed dossier references at sign-up, reset and
//! activation e-mails. A counter is one store item per subject and window,
//! expiring after the window; taking from it is one conditional write, so
//! concurrent requests never take more than the limit.

use crate::store::{CmpOp, Condition, Item, Key, Store, StoreError, Update};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// A limit: at most `max` per subject in each window of `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Names the counter in the store (`LIMITE#<name>#<subject>`).
    pub name: &'static str,
    pub max: i64,
    pub window_seconds: i64,
}

/// 20 failed logins from one address in 15 minutes.
pub const LOGIN_ADDRESS: Limit = Limit {
    name: "connexion-adresse",
    max: 20,
    window_seconds: 15 * 60,
};

/// 5 failed dossier references per dossier number in an hour; past it, the
/// dossier cannot be linked online for [`REFERENCES_LOCK_SECONDS`].
pub const REFERENCES_DOSSIER: Limit = Limit {
    name: "references-dossier",
    max: 5,
    window_seconds: 3600,
};

/// 10 failed dossier references from one address in an hour.
pub const REFERENCES_ADDRESS: Limit = Limit {
    name: "references-adresse",
    max: 10,
    window_seconds: 3600,
};

/// 5 failed dossier references per sign-up in progress (its draft) in an hour.
pub const REFERENCES_VISITOR: Limit = Limit {
    name: "references-visiteur",
    max: 5,
    window_seconds: 3600,
};

/// How long a dossier stays unlinkable online after too many failures.
pub const REFERENCES_LOCK_SECONDS: i64 = 24 * 3600;

/// 3 reset or activation e-mails per address typed (or account) in an hour.
pub const MAIL_PER_ACCOUNT: Limit = Limit {
    name: "courriel-compte",
    max: 3,
    window_seconds: 3600,
};

/// 10 reset or activation requests from one client address in an hour.
pub const MAIL_PER_ADDRESS: Limit = Limit {
    name: "courriel-adresse",
    max: 10,
    window_seconds: 3600,
};

/// The window `now` falls in.
pub fn window(limit: &Limit, now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(limit.window_seconds)
}

fn key(limit: &Limit, subject: &str, now: DateTime<Utc>) -> Key {
    // Subjects are typed by visitors: bounded, so a key stays a key.
    let subject: String = subject.chars().take(200).collect();
    Key::new(
        format!("LIMITE#{}#{subject}", limit.name),
        window(limit, now).to_string(),
    )
}

fn expiry(limit: &Limit, now: DateTime<Utc>) -> i64 {
    (window(limit, now) + 2) * limit.window_seconds
}

/// How many were counted for the subject in the current window.
pub async fn count(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(store
        .get(&key(limit, subject, now))
        .await?
        .and_then(|i| i.attrs.get("n").and_then(Value::as_i64))
        .unwrap_or(0))
}

/// Whether the subject has reached the limit in the current window.
pub async fn reached(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(count(store, limit, subject, now).await? >= limit.max)
}

/// Counts one more, whatever the count (a failure after the fact).
pub async fn record(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let update = Update {
        expires_at: Some(Some(expiry(limit, now))),
        ..Update::default()
    }
    .add("n", 1);
    store
        .update(key(limit, subject, now), update, Condition::Always)
        .await
}

/// Takes one if the subject is under the limit: `true` when taken. The
/// count and its check are one conditional write, so `max` concurrent
/// requests at most are let through in a window.
pub async fn take(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let key = key(limit, subject, now);
    for _ in 0..4 {
        let under = Condition::Compare {
            attr: "n".into(),
            op: CmpOp::Lt,
            value: limit.max,
        };
        let update = Update {
            expires_at: Some(Some(expiry(limit, now))),
            ..Update::default()
        }
        .add("n", 1);
        match store.update(key.clone(), update, under).await {
            Ok(()) => return Ok(true),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        // Either full, or not there yet: create it with this one taken.
        let mut attrs = Map::new();
        attrs.insert("n".into(), json!(1));
        let first = Item::new(key.clone(), attrs).expiring_at(expiry(limit, now));
        match store.put(first, Condition::NotExists).await {
            Ok(()) => return Ok(true),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        if reached(store, limit, subject, now).await? {
            return Ok(false);
        }
    }
    Ok(false)
}

/// Gives back one taken (an attempt that turned out not to count: a
/// successful reference check).
pub async fn give_back(
    store: &dyn Store,
    limit: &Limit,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let positive = Condition::Compare {
        attr: "n".into(),
        op: CmpOp::Gt,
        value: 0,
    };
    match store
        .update(
            key(limit, subject, now),
            Update::default().add("n", -1),
            positive,
        )
        .await
    {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_fixed_and_expire_after_the_next() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap();
        assert_eq!(
            window(&REFERENCES_DOSSIER, at(7, 0)),
            window(&REFERENCES_DOSSIER, at(7, 59))
        );
        assert_ne!(
            window(&REFERENCES_DOSSIER, at(7, 59)),
            window(&REFERENCES_DOSSIER, at(8, 0))
        );
        assert_eq!(expiry(&REFERENCES_DOSSIER, at(7, 30)), at(9, 0).timestamp());
        let long: String = "x".repeat(500);
        assert_eq!(
            key(&MAIL_PER_ACCOUNT, &long, at(7, 0)).pk.len(),
            "LIMITE#courriel-compte#".len() + 200
        );
    }
}
