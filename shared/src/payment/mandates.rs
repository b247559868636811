//! A dossier's SEPA mandates, stored under the dossier (`MANDAT#{rum}`) and
//! indexed by status for the régie (GSI1 `MANDATS#{status}`). The family
//! signs (the mandate waits for the régie), changes its account (a new
//! mandate; the old one keeps being used until the new one is validated,
//! then ends) or stops; the régie validates or refuses. Each decision is
//! one transaction conditional on the versions read — the mandate, the
//! others it ends, the dossier's payment mode — with the audit line: two
//! clicks decide once.

use super::sepa::{Mandate, MandateInput, MandateStatus, rum};
use crate::access::{Decider, FamilyAccess, Granted};
use crate::app::App;
use crate::billing::campaigns::REGIE;
use crate::domain::dossier::{self, PaymentMode};
use crate::dossiers::Actor;
use crate::store::{CommitError, Item, Key, Query, Store, StoreError, Transaction, Write};
use std::collections::HashMap;

/// Sort-key prefix of a dossier's mandates.
pub const PREFIX: &str = "MANDAT#";

pub fn key(numero: &str, rum: &str) -> Key {
    Key::new(dossier::partition(numero), format!("{PREFIX}{rum}"))
}

fn status_partition(s: MandateStatus) -> String {
    format!("MANDATS#{}", s.id())
}

fn item(m: &Mandate) -> Result<Item, StoreError> {
    Ok(Item::from_record(key(&m.dossier, &m.rum), m)?.with_gsi1(
        status_partition(m.statut),
        format!("{}#{}#{}", m.signe_le, m.dossier, m.rum),
    ))
}

/// A dossier's mandates with their versions, newest first.
pub async fn of_dossier(
    store: &dyn Store,
    numero: &str,
) -> Result<Vec<(Mandate, u64)>, StoreError> {
    let items = store
        .query_all(Query::partition(dossier::partition(numero)).prefix(PREFIX))
        .await?;
    let mut out = items
        .iter()
        .map(|i| Ok((i.record::<Mandate>()?, i.version)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_by(|a, b| b.0.rum.cmp(&a.0.rum));
    Ok(out)
}

/// One mandate of a dossier.
pub async fn get(
    store: &dyn Store,
    numero: &str,
    rum: &str,
) -> Result<Option<(Mandate, u64)>, StoreError> {
    match store.get(&key(numero, rum)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Every mandate in a status, oldest signature first (the régie's lists).
pub async fn with_status(
    store: &dyn Store,
    statut: MandateStatus,
) -> Result<Vec<Mandate>, StoreError> {
    store
        .query_all(Query::gsi1(status_partition(statut)))
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

/// The active mandate of each dossier (what a remise collects under).
pub async fn active_by_dossier(store: &dyn Store) -> Result<HashMap<String, Mandate>, StoreError> {
    Ok(with_status(store, MandateStatus::Actif)
        .await?
        .into_iter()
        .map(|m| (m.dossier.clone(), m))
        .collect())
}

/// The active one among a dossier's mandates.
pub fn active<M: std::ops::Deref<Target = Mandate>>(all: &[M]) -> Option<&Mandate> {
    all.iter()
        .map(|m| &**m)
        .find(|m| m.statut == MandateStatus::Actif)
}

#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    /// Another change came first (a second click, another tab).
    #[error("le mandat a changé entre-temps")]
    Conflict,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A mandate ended today, for `motif`, on the version read.
fn ended(
    m: &Mandate,
    version: u64,
    today: chrono::NaiveDate,
    motif: &str,
) -> Result<Write, StoreError> {
    let mut after = m.clone();
    after.statut = MandateStatus::Termine;
    after.fin_le = Some(today);
    after.fin_motif = Some(motif.to_owned());
    Ok(Write::put_at(item(&after)?, version))
}

/// The dossier with another payment mode, on the version read (`None`
/// when it already has it).
async fn payment_mode(
    store: &dyn Store,
    numero: &str,
    mode: impl Fn(Option<PaymentMode>) -> Option<PaymentMode>,
) -> Result<Option<Write>, StoreError> {
    let Some((mut d, version)) = crate::dossiers::load(store, numero).await? else {
        return Ok(None);
    };
    let wanted = mode(d.mode_paiement);
    if wanted == d.mode_paiement {
        return Ok(None);
    }
    d.mode_paiement = wanted;
    Ok(Some(Write::put_at(
        Item::from_record(dossier::key(numero), &d)?,
        version,
    )))
}

async fn commit(store: &dyn Store, tx: Transaction<()>) -> Result<(), MandateError> {
    match store.commit(tx).await {
        Ok(()) => Ok(()),
        Err(CommitError::Failed(())) | Err(CommitError::Store(StoreError::TransactionConflict)) => {
            Err(MandateError::Conflict)
        }
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// What a family's own change records: the audit line (in its name) and
/// the démarche of "Mon dossier".
fn family_records(
    family: &FamilyAccess,
    now: chrono::DateTime<chrono::Utc>,
    audit: String,
    (demarche, state): (&str, &str),
) -> Result<[Write; 2], StoreError> {
    let numero = family.numero().as_str();
    let (id, name) = (&family.account().id, family.account().display_name());
    Ok([
        Actor { id, name: &name }.audit(numero, now, "prélèvement", audit)?,
        crate::dossiers::demarche(numero, now, demarche, state)?,
    ])
}

/// The family signs a mandate (a first one, or a new account): it waits
/// for the régie; a mandate signed before and still waiting is replaced.
/// The démarche joins "Mon dossier".
pub async fn sign(
    app: &App,
    family: &FamilyAccess,
    input: MandateInput,
) -> Result<Mandate, MandateError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    let today = app.clock.today();
    let numero = family.numero().as_str();
    let mandate = Mandate {
        rum: rum(numero, now),
        dossier: numero.to_owned(),
        titulaire: input.titulaire,
        iban: input.iban,
        bic: input.bic,
        signe_le: today,
        statut: MandateStatus::AValider,
        fin_le: None,
        fin_motif: None,
        derniere_collecte: None,
    };
    let mut tx = Transaction::new();
    tx.add((), Write::put_at(item(&mandate)?, 0));
    for (m, v) in of_dossier(store, numero).await? {
        if m.statut == MandateStatus::AValider {
            let motif = format!("remplacé par le mandat {}", mandate.rum);
            tx.add((), ended(&m, v, today, &motif)?);
        }
    }
    let audit = format!(
        "mandat {} signé en ligne, compte {}",
        mandate.rum,
        super::sepa::masked(&mandate.iban)
    );
    tx.extend(
        (),
        family_records(
            family,
            now,
            audit,
            (
                "Adhésion au prélèvement automatique",
                "en attente de validation par la régie",
            ),
        )?,
    );
    commit(store, tx).await?;
    Ok(mandate)
}

/// The family stops direct debit: its mandates end (the waiting one too),
/// the dossier's payment mode becomes "en ligne". Returns how many ended.
pub async fn stop(app: &App, family: &FamilyAccess) -> Result<usize, MandateError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    let today = app.clock.today();
    let numero = family.numero().as_str();
    let mut tx = Transaction::new();
    let mut n = 0;
    for (m, v) in of_dossier(store, numero).await? {
        if m.statut != MandateStatus::Termine {
            tx.add((), ended(&m, v, today, "arrêté par la famille")?);
            n += 1;
        }
    }
    if n == 0 {
        return Ok(0);
    }
    if let Some(w) = payment_mode(store, numero, |m| match m {
        Some(PaymentMode::Prelevement) => Some(PaymentMode::EnLigne),
        other => other,
    })
    .await?
    {
        tx.add((), w);
    }
    tx.extend(
        (),
        family_records(
            family,
            now,
            "prélèvement automatique arrêté par la famille".into(),
            ("Arrêt du prélèvement automatique", "enregistré"),
        )?,
    );
    commit(store, tx).await?;
    Ok(n)
}

/// What the régie decides on a waiting mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Validate,
    /// Refused, with the reason the family reads.
    Refuse(String),
}

/// The régie validates a waiting mandate (the dossier's other active one
/// ends, the dossier goes on direct debit) or refuses it; the family is
/// told. `Ok(false)`: it was no longer waiting (decided by another click).
pub async fn decide(
    app: &App,
    decider: &Decider,
    mandate: &Granted<Mandate>,
    decision: Decision,
) -> Result<bool, MandateError> {
    decider.covers(REGIE)?;
    if mandate.statut != MandateStatus::AValider {
        return Ok(false);
    }
    let store = app.store.as_ref();
    let now = app.clock.now();
    let today = app.clock.today();
    let numero = mandate.dossier.as_str();
    let mut tx = Transaction::new();
    let (audit, notice) = match &decision {
        Decision::Validate => {
            let mut after = mandate.get().clone();
            after.statut = MandateStatus::Actif;
            tx.add((), Write::put_at(item(&after)?, mandate.version()));
            for (m, v) in of_dossier(store, numero).await? {
                if m.statut == MandateStatus::Actif && m.rum != after.rum {
                    let motif = format!("remplacé par le mandat {}", after.rum);
                    tx.add((), ended(&m, v, today, &motif)?);
                }
            }
            if let Some(w) = payment_mode(store, numero, |_| Some(PaymentMode::Prelevement)).await?
            {
                tx.add((), w);
            }
            (
                format!("mandat {} validé", after.rum),
                crate::mail::texts::mandate_decided(&after.rum, None),
            )
        }
        Decision::Refuse(reason) => {
            let motif = format!("refusé par la régie : {reason}");
            tx.add((), ended(mandate, mandate.version(), today, &motif)?);
            (
                format!("mandat {} refusé : {reason}", mandate.rum),
                crate::mail::texts::mandate_decided(&mandate.rum, Some(reason)),
            )
        }
    };
    tx.add(
        (),
        decider
            .agent()
            .actor()
            .audit(numero, now, "prélèvement", audit)?,
    )
    .extend(
        (),
        crate::outbox::queue_for_family(app, numero, &notice).await?,
    );
    match commit(store, tx).await {
        Ok(()) => Ok(true),
        Err(MandateError::Conflict) => match get(store, numero, &mandate.rum).await? {
            Some((m, _)) if m.statut != MandateStatus::AValider => Ok(false),
            _ => Err(MandateError::Conflict),
        },
        Err(e) => Err(e),
    }
}

/// A collection made under a mandate: the next one is recurring (RCUR).
pub fn collected(numero: &str, rum: &str, on: chrono::NaiveDate) -> Write {
    Write::Update {
        key: key(numero, rum),
        update: crate::store::Update::default().set("derniere_collecte", on.to_string()),
        condition: crate::store::Condition::Exists,
    }
}

/// The demo's active mandate (the demo dossier pays by direct debit).
pub fn demo_item(m: &Mandate) -> Result<Item, StoreError> {
    item(m)
}
