//! The audit trail: every agent action, kept under what it concerns (a
//! dossier number, or `COMPTE#id`), newest first when read.

use crate::store::{Condition, Item, Key, Query, Store, StoreError, Write};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One agent action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub agent: String,
    pub agent_nom: String,
    pub le: DateTime<Utc>,
    pub action: String,
    pub detail: String,
}

/// The write that records an entry (to join the action's transaction).
pub fn write(subject: &str, entry: &Entry) -> Result<Write, StoreError> {
    let key = Key::new(
        format!("AUDIT#{subject}"),
        format!("{}#{}", entry.le.to_rfc3339(), ulid::Ulid::new()),
    );
    Ok(Write::Put {
        item: Item::from_record(key, entry)?,
        condition: Condition::NotExists,
    })
}

/// The trail of a subject, newest first.
pub async fn trail(store: &dyn Store, subject: &str) -> Result<Vec<Entry>, StoreError> {
    store
        .query_all(Query::partition(format!("AUDIT#{subject}")).descending())
        .await?
        .iter()
        .map(Item::record)
        .collect()
}
