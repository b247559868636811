//! Sessions: a random 256-bit token in the visitor's cookie, its hash in the
//! store with the session's expiry. A family's session ends after 2 h idle,
//! or 30 days after login with "Se rappeler de moi"; an agent's after 30 min
//! idle. Sessions of an account are listed through GSI1, to end them all.

use super::tokens::{new_token, token_hash};
use super::{Account, Kind, account_key};
use crate::store::{Condition, Item, Key, Query, Store, StoreError, Update, Write};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const FAMILY_IDLE: Duration = Duration::hours(2);
pub const REMEMBER_FOR: Duration = Duration::days(30);
pub const AGENT_IDLE: Duration = Duration::minutes(30);
/// A session's last-seen time is written at most this often.
pub const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub compte: String,
    pub kind: Kind,
    pub se_rappeler: bool,
    pub cree_le: DateTime<Utc>,
    pub vu_le: DateTime<Utc>,
}

/// When a session ends if not seen again.
pub fn expiry(session: &Session) -> DateTime<Utc> {
    match (session.kind, session.se_rappeler) {
        (Kind::Family, true) => session.cree_le + REMEMBER_FOR,
        (Kind::Family, false) => session.vu_le + FAMILY_IDLE,
        (Kind::Agent, _) => session.vu_le + AGENT_IDLE,
    }
}

pub fn key(token: &str) -> Key {
    key_from_hash(&token_hash(token))
}

fn key_from_hash(hash: &str) -> Key {
    Key::new(format!("SESSION#{hash}"), "SESSION")
}

/// Opens a session; returns the token for the cookie.
pub async fn open(
    store: &dyn Store,
    account: &Account,
    remember: bool,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = new_token();
    let session = Session {
        compte: account.id.clone(),
        kind: account.kind,
        se_rappeler: remember && account.kind == Kind::Family,
        cree_le: now,
        vu_le: now,
    };
    let key = key(&token);
    let item = Item::from_record(key.clone(), &session)?
        .with_gsi1(account_key(&account.id).pk, key.pk.clone())
        .expiring_at(expiry(&session).timestamp());
    store.put(item, Condition::NotExists).await?;
    Ok(token)
}

/// The live session of a token of the given kind, and its account; touches
/// the session (sliding idle timeout) at most once a minute.
pub async fn find(
    store: &dyn Store,
    token: &str,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<Option<(Session, Account)>, StoreError> {
    let key = key(token);
    let Some(item) = store.get(&key).await? else {
        return Ok(None);
    };
    let session: Session = item.record()?;
    if session.kind != kind || expiry(&session) <= now {
        return Ok(None);
    }
    let Some(account) = store.get(&account_key(&session.compte)).await? else {
        return Ok(None);
    };
    let account: Account = account.record()?;
    if now - session.vu_le >= TOUCH_EVERY {
        let touched = Session {
            vu_le: now,
            ..session.clone()
        };
        let update = Update {
            expires_at: Some(Some(expiry(&touched).timestamp())),
            ..Update::default()
        }
        .set("vu_le", serde_json::to_value(now).unwrap_or_default());
        // A session ended meanwhile stays ended.
        match store.update(key, update, Condition::Exists).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some((session, account)))
}

/// Ends one session.
pub async fn close(store: &dyn Store, token: &str) -> Result<(), StoreError> {
    store.delete(key(token), Condition::Always).await
}

/// Ends every session of an account, but the one of `keep` (a token).
pub async fn close_all(
    store: &dyn Store,
    account_id: &str,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let keep = keep.map(|t| key(t).pk);
    let sessions = store
        .query_all(Query::gsi1(account_key(account_id).pk).prefix("SESSION#"))
        .await?;
    let doomed: Vec<Write> = sessions
        .into_iter()
        .filter(|s| Some(&s.key.pk) != keep.as_ref())
        .map(|s| Write::Delete {
            key: s.key,
            condition: Condition::Always,
        })
        .collect();
    let count = doomed.len();
    for chunk in doomed.chunks(crate::store::MAX_TRANSACTION_WRITES) {
        store.transact(chunk.to_vec()).await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiries_by_kind() {
        let t = Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap();
        let mut s = Session {
            compte: "a".into(),
            kind: Kind::Family,
            se_rappeler: false,
            cree_le: t,
            vu_le: t + Duration::hours(1),
        };
        assert_eq!(expiry(&s), t + Duration::hours(3));
        s.se_rappeler = true;
        assert_eq!(expiry(&s), t + Duration::days(30));
        s.kind = Kind::Agent;
        assert_eq!(expiry(&s), t + Duration::minutes(90));
    }
}
