//! Account operations on the store, by topic: [`signup`], [`login`] and
//! sessions, one-time [`links`] (passwords, e-mail change), [`agents`] and
//! the town's [`reviews`]. Each change that touches several items is one
//! transaction with the messages that announce it; uniqueness of usernames
//! and e-mails rests on conditional writes, so it holds under races. The
//! helpers they share are here.

use super::lockout;
use super::names::fold;
use super::sessions;
use super::tokens::{new_token, token_hash};
use super::{
    ACTIVATION_TTL, AGENT_INVITE_TTL, Account, EMAIL_CHANGE_TTL, Kind, RESET_TTL, REVIEW_PARTITION,
    Service, Status, account_gsi1, account_key, email_key, username_key,
};
use crate::app::App;
use crate::domain::dossier::{self, Dossier};
use crate::domain::invoice::Invoice;
use crate::ids::DossierNumber;
use crate::limits;
use crate::mail::{Mail, MailError, texts as mails};
use crate::outbox;
use crate::store::{
    CommitError, Condition, Item, Key, Query, Store, StoreError, Transaction, Update, Write,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("nom d'utilisateur déjà pris")]
    UsernameTaken,
    #[error("adresse e-mail déjà utilisée")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// What a one-time link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    Activation,
    Reset,
    EmailChange,
    AgentInvite,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TokenRecord {
    compte: String,
    usage: TokenUse,
    #[serde(default)]
    nouveau_courriel: Option<String>,
    #[serde(default)]
    utilise: bool,
}

/// The writes of the account transactions, by name (a failed condition is
/// recognised by its write's name, never by its position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Account,
    Username,
    Email,
    OldEmail,
    Token,
    /// The item [`create_announced`] creates (a link, a lock).
    Created,
    /// A message announcing the change (the outbox).
    Mail,
}

/// The outbox writes of messages announcing a change, for its transaction.
fn queued(app: &App, mails: Vec<Mail>) -> Result<Vec<Write>, StoreError> {
    let now = app.clock.now();
    mails.into_iter().map(|m| outbox::queue(m, now)).collect()
}

/// Creates an item that must not exist yet and queues the messages that
/// announce it, in one transaction; `false` when the item existed.
async fn create_announced(app: &App, item: Item, mails: Vec<Mail>) -> Result<bool, StoreError> {
    let mut tx = Transaction::new();
    tx.add(Part::Created, new(item))
        .extend(Part::Mail, queued(app, mails)?);
    match app.store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(_)) => Ok(false),
        Err(CommitError::Store(e)) => Err(e),
    }
}

/// A write that creates an item that must not exist yet.
fn new(item: Item) -> Write {
    Write::Put {
        item,
        condition: Condition::NotExists,
    }
}

fn token_key(token: &str) -> Key {
    Key::new(format!("JETON#{}", token_hash(token)), "JETON")
}

/// What following a one-time link found.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkOutcome<T> {
    Done(T),
    AlreadyUsed,
    /// Expired, or never issued.
    Expired,
}

/// Unwraps an open link, or returns what the link was.
macro_rules! open_or_return {
    ($outcome:expr) => {
        match $outcome {
            LinkOutcome::Done(link) => link,
            LinkOutcome::AlreadyUsed => return Ok(LinkOutcome::AlreadyUsed),
            LinkOutcome::Expired => return Ok(LinkOutcome::Expired),
        }
    };
}

mod agents;
mod links;
mod login;
mod reviews;
mod signup;

pub use agents::*;
pub use links::*;
pub use login::*;
pub use reviews::*;
pub use signup::*;

// ------------------------------------------------------------------ secret

/// The key of the CSRF tokens: made once, at the first start, and kept in
/// the store so that every Lambda container and the local portal share it.
pub async fn load_or_create_secret(store: &dyn Store) -> Result<Vec<u8>, StoreError> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let key = Key::new("META", "SECRET");
    let candidate = Item::new(key.clone(), Default::default());
    let mut candidate = candidate;
    candidate.attrs.insert("valeur".into(), json!(new_token()));
    match store.put(candidate, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e),
    }
    let item = store
        .get(&key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("secret absent".into()))?;
    let value = item.attrs["valeur"].as_str().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|e| StoreError::Corrupt(format!("secret : {e}")))
}

// ------------------------------------------------------------------ look-ups

async fn get_record<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &Key,
) -> Result<Option<(T, u64)>, StoreError> {
    match store.get(key).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

pub async fn account(store: &dyn Store, id: &str) -> Result<Option<Account>, StoreError> {
    Ok(get_record(store, &account_key(id)).await?.map(|(a, _)| a))
}

async fn account_via(store: &dyn Store, key: &Key) -> Result<Option<Account>, StoreError> {
    let Some(item) = store.get(key).await? else {
        return Ok(None);
    };
    let id = item.attrs["compte"].as_str().unwrap_or_default().to_owned();
    account(store, &id).await
}

/// The account a login identifier names: a username or an e-mail address.
pub async fn find_for_login(
    store: &dyn Store,
    kind: Kind,
    identifier: &str,
) -> Result<Option<Account>, StoreError> {
    let id = identifier.trim().to_lowercase();
    if id.is_empty() || id.len() > 200 {
        return Ok(None);
    }
    let found = if id.contains('@') || kind == Kind::Agent {
        account_via(store, &email_key(kind, &id)).await?
    } else {
        account_via(store, &username_key(&id)).await?
    };
    Ok(found.filter(|a| a.kind == kind))
}

// ------------------------------------------------------------------ deletion

/// Deletes a web account, its username, e-mail and sessions; the town's
/// dossier stays.
pub async fn delete_account(app: &App, account: &Account) -> Result<(), AccountError> {
    let store = app.store.as_ref();
    sessions::close_all(store, &account.id, None).await?;
    let delete = |key: Key| Write::Delete {
        key,
        condition: Condition::Always,
    };
    store
        .transact(vec![
            delete(account_key(&account.id)),
            delete(username_key(&account.identifiant)),
            delete(email_key(account.kind, &account.courriel)),
        ])
        .await?;
    Ok(())
}
