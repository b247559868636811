//! The family's dossier as its pages read and change it: profile, children,
//! history of démarches, contact details. Every function takes the dossier
//! number of the signed-in family's session, never one from the request.

use crate::domain::dossier::{self, Child, Demarche, Dossier};
use crate::store::{Condition, Item, Query, Store, StoreError, Write};
use chrono::{DateTime, Utc};

/// The dossier and the version read.
pub async fn load(store: &dyn Store, numero: &str) -> Result<Option<(Dossier, u64)>, StoreError> {
    match store.get(&dossier::key(numero)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// The dossier's children, eldest first.
pub async fn children(store: &dyn Store, numero: &str) -> Result<Vec<Child>, StoreError> {
    let mut children: Vec<Child> = store
        .query_all(Query::partition(dossier::partition(numero)).prefix("ENFANT#"))
        .await?
        .iter()
        .map(Item::record)
        .collect::<Result<_, _>>()?;
    children.sort_by_key(|c| c.naissance);
    Ok(children)
}

/// The latest démarches, newest first.
pub async fn demarches(
    store: &dyn Store,
    numero: &str,
    limit: usize,
) -> Result<Vec<Demarche>, StoreError> {
    store
        .query(
            &Query::partition(dossier::partition(numero))
                .prefix("DEMARCHE#")
                .descending()
                .limit(limit),
        )
        .await?
        .items
        .iter()
        .map(Item::record)
        .collect()
}

/// New contact details of the responsables, in their order.
#[derive(Debug, Clone, PartialEq)]
pub struct Contacts {
    pub telephone: Option<String>,
    pub courriel: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UpdateError {
    /// Someone changed the dossier since it was read.
    #[error("le dossier a changé entre-temps")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes the responsables' phone and e-mail (nothing else), if the dossier
/// is still at `version`, and records the démarche — in one transaction.
pub async fn update_contacts(
    store: &dyn Store,
    numero: &str,
    version: u64,
    contacts: &[Contacts],
    now: DateTime<Utc>,
) -> Result<Dossier, UpdateError> {
    let Some((mut d, current)) = load(store, numero).await? else {
        return Err(UpdateError::Conflict);
    };
    if current != version {
        return Err(UpdateError::Conflict);
    }
    for (r, c) in d.responsables.iter_mut().zip(contacts) {
        r.telephone = c.telephone.clone();
        r.courriel = c.courriel.clone();
    }
    let mut profile = store
        .get(&dossier::key(numero))
        .await?
        .ok_or(UpdateError::Conflict)?;
    // Keep the attributes the form does not show (e.g. imported invoices).
    let fresh = Item::from_record(dossier::key(numero), &d)?;
    profile.attrs.extend(fresh.attrs);
    let history = Demarche {
        le: now,
        libelle: "Coordonnées modifiées en ligne".into(),
        statut: "enregistrée".into(),
    };
    let writes = vec![
        Write::Put {
            item: profile,
            condition: Condition::VersionEquals(version),
        },
        Write::Put {
            item: Item::from_record(dossier::demarche_key(numero, now), &history)?,
            condition: Condition::NotExists,
        },
    ];
    match store.transact(writes).await {
        Ok(()) => Ok(d),
        Err(StoreError::TransactionCancelled { .. }) => Err(UpdateError::Conflict),
        Err(e) => Err(e.into()),
    }
}
