//! The sign-up wizard's state between its steps, kept server-side under a
//! random token (the visitor's cookie holds the token) for 2 hours. The
//! password is kept only as its hash.

use super::tokens::token_hash;
use crate::store::{Condition, Item, Key, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const DRAFT_TTL: Duration = Duration::hours(2);
pub const COOKIE: &str = "ef_inscription";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub nom: String,
    pub prenom: String,
    pub courriel: String,
    pub identifiant: String,
    /// argon2id hash of the chosen password.
    pub mot_de_passe: String,
    pub numero: String,
    pub responsable: String,
    pub chiffres: String,
    /// The dossier the references matched.
    pub dossier: Option<String>,
    pub sans_dossier: bool,
    pub cgu: bool,
    pub reglement: bool,
    /// The furthest step the visitor may open.
    pub etape: u8,
}

impl Draft {
    /// Step 2 is settled: references matched, or "continuer sans".
    pub fn references_settled(&self) -> bool {
        self.dossier.is_some() || self.sans_dossier
    }
}

fn key(token: &str) -> Key {
    Key::new(format!("BROUILLON#{}", token_hash(token)), "INSCRIPTION")
}

pub async fn load(store: &dyn Store, token: &str) -> Result<Option<Draft>, StoreError> {
    if !super::tokens::is_token_shaped(token) {
        return Ok(None);
    }
    store
        .get(&key(token))
        .await?
        .map(|i| i.record())
        .transpose()
}

pub async fn save(
    store: &dyn Store,
    token: &str,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let item = Item::from_record(key(token), draft)?.expiring_at((now + DRAFT_TTL).timestamp());
    store.put(item, Condition::Always).await
}

pub async fn discard(store: &dyn Store, token: &str) -> Result<(), StoreError> {
    store.delete(key(token), Condition::Always).await
}
