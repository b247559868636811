//! A family's online payment attempts. Starting one takes the invoice's
//! "payment under way" lock (an item that expires after 20 minutes, written
//! only if absent: two clicks, one attempt) and records the attempt before
//! the browser leaves. The notification, the browser's return and the
//! re-check job each call [`settle`]: it asks the gateway, and a final
//! answer is recorded by one transaction conditional on the attempt's
//! version — the attempt's new state, the invoice's payment with its
//! receipt number, the receipt e-mail — so that whatever the order and the
//! number of calls, an operation is paid once.

use super::gateway::{GatewayError, Reply};
use super::payfip::{self, Creation};
use super::rules::{self, Answer, Outcome};
use crate::app::App;
use crate::domain::invoice::{self, Invoice};
use crate::store::{
    CommitError, Condition, Item, Key, Query, Store, StoreError, Transaction, Write,
};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    EnCours,
    Payee,
    Refusee,
    Expiree,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub refdet: String,
    /// The gateway's operation (empty until it is created).
    pub idop: String,
    pub dossier: String,
    pub facture: String,
    pub montant: Decimal,
    pub mel: String,
    pub cree_le: DateTime<Utc>,
    pub etat: State,
    #[serde(default)]
    pub regle_le: Option<DateTime<Utc>>,
    #[serde(default)]
    pub recu: Option<String>,
    #[serde(default)]
    pub moyen: Option<String>,
}

fn attempt_key(refdet: &str) -> Key {
    Key::new(format!("PAIEMENT#{refdet}"), "TENTATIVE")
}

fn operation_key(idop: &str) -> Key {
    Key::new(format!("OPERATION#{idop}"), "TENTATIVE")
}

/// The invoice's lock: present (and not expired) while an attempt is
/// under way.
fn lock_key(dossier: &str, facture: &str) -> Key {
    Key::new(
        crate::domain::dossier::partition(dossier),
        format!("PAIEMENT_EN_COURS#{facture}"),
    )
}

/// GSI1 of the attempts by day started (what the re-check job reads),
/// in order of their start.
fn by_day(day: chrono::NaiveDate) -> String {
    format!("PAIEMENTS#{day}")
}

fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn attempt_item(a: &Attempt) -> Result<Item, StoreError> {
    Ok(Item::from_record(attempt_key(&a.refdet), a)?.with_gsi1(
        by_day(a.cree_le.date_naive()),
        format!("{}#{}", instant(a.cree_le), a.refdet),
    ))
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Refused(#[from] rules::Refusal),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the gateway is told to send the notification and the browser.
pub struct Urls {
    pub notification: String,
    pub retour: String,
}

/// Starts paying an invoice (what is due on it): the attempt is recorded,
/// then the operation created; returns the payment page's address.
/// `debit`: the day it will be debited, if so ([`super::sepa::debit_date`]).
pub async fn start(
    app: &App,
    inv: &Invoice,
    debit: Option<chrono::NaiveDate>,
    mel: &str,
    urls: &Urls,
) -> Result<String, StartError> {
    rules::may_pay(inv, debit, None)?;
    let (store, gateway) = (app.store.as_ref(), app.payments.as_ref());
    let now = app.clock.now();
    let mut attempt = Attempt {
        refdet: rules::refdet(&inv.numero, now),
        idop: String::new(),
        dossier: inv.dossier.clone(),
        facture: inv.numero.clone(),
        montant: inv.due(),
        mel: mel.to_owned(),
        cree_le: now,
        etat: State::EnCours,
        regle_le: None,
        recu: None,
        moyen: None,
    };
    let lock = Item::new(lock_key(&inv.dossier, &inv.numero), Default::default())
        .expiring_at((now + Duration::minutes(rules::WAIT_MINUTES)).timestamp());
    let mut tx = Transaction::new();
    tx.add(
        true,
        Write::Put {
            item: lock,
            condition: Condition::NotExists,
        },
    )
    .add(
        false,
        Write::Put {
            item: attempt_item(&attempt)?,
            condition: Condition::NotExists,
        },
    );
    match store.commit(tx).await {
        Ok(()) => {}
        Err(CommitError::Failed(true)) => return Err(rules::Refusal::UnderWay.into()),
        Err(CommitError::Failed(false)) => {
            return Err(StoreError::ConditionFailed.into());
        }
        Err(CommitError::Store(e)) => return Err(e.into()),
    }
    let creation = Creation {
        numcli: app.config.payment.numcli.clone(),
        exer: chrono::Datelike::year(&crate::planning::rules::paris_date(now)),
        refdet: attempt.refdet.clone(),
        objet: payfip::objet(&format!("Facture {}", inv.numero)),
        montant: crate::pricing::in_cents(attempt.montant),
        mel: mel.to_owned(),
        urlnotif: urls.notification.clone(),
        urlredirect: urls.retour.clone(),
        saisie: app.config.payment.mode,
    };
    let idop = match gateway.create(&creation).await {
        Ok(idop) => idop,
        Err(e) => {
            // Nothing was paid: the family may try again at once.
            let _ = store
                .write(Write::Delete {
                    key: lock_key(&inv.dossier, &inv.numero),
                    condition: Condition::Always,
                })
                .await;
            return Err(e.into());
        }
    };
    attempt.idop = idop.clone();
    let index = Item::new(
        operation_key(&idop),
        [("refdet".to_owned(), attempt.refdet.clone().into())]
            .into_iter()
            .collect(),
    );
    store
        .transact(vec![
            Write::Put {
                item: index,
                condition: Condition::NotExists,
            },
            Write::put_at(attempt_item(&attempt)?, 1),
        ])
        .await?;
    Ok(gateway.payment_page(&idop))
}

/// An attempt as stored, with its version.
pub async fn by_operation(
    store: &dyn Store,
    idop: &str,
) -> Result<Option<(Attempt, u64)>, StoreError> {
    let Some(index) = store.get(&operation_key(idop)).await? else {
        return Ok(None);
    };
    let Some(refdet) = index.attrs.get("refdet").and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    store
        .get(&attempt_key(refdet))
        .await?
        .map(|item| item.record().map(|a| (a, item.version)))
        .transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// No attempt has this operation id.
    #[error("opération inconnue")]
    Unknown,
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the gateway's answer means for the attempt (a finished answer that
/// does not match the attempt — another amount, another reference — settles
/// nothing and is logged for the régie).
fn answer_for(a: &Attempt, reply: &Reply) -> Answer {
    match reply {
        Reply::Finished(d) => {
            if d.refdet != a.refdet || d.montant != crate::pricing::in_cents(a.montant) {
                tracing::warn!(
                    idop = %a.idop,
                    "résultat PayFiP différent de la tentative (référence ou montant) : non enregistré"
                );
                return Answer::Result(String::new());
            }
            Answer::Result(d.resultrans.clone())
        }
        Reply::Unfinished => Answer::Unfinished,
        Reply::Unknown => Answer::Unknown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Attempt,
    Invoice,
    Other,
}

/// Asks the gateway about an operation and records a final answer once.
/// Returns the attempt as it now stands.
pub async fn settle(app: &App, idop: &str) -> Result<Attempt, SettleError> {
    let (store, gateway) = (app.store.as_ref(), app.payments.as_ref());
    for _ in 0..10 {
        let (attempt, version) = by_operation(store, idop)
            .await?
            .ok_or(SettleError::Unknown)?;
        if attempt.etat != State::EnCours {
            return Ok(attempt);
        }
        let now = app.clock.now();
        let reply = gateway.detail(idop).await?;
        let outcome = rules::outcome(&answer_for(&attempt, &reply), now - attempt.cree_le);
        let mut after = Attempt {
            regle_le: Some(now),
            ..attempt.clone()
        };
        let mut tx: Transaction<Part> = Transaction::new();
        after.etat = match outcome {
            Outcome::Waiting => return Ok(attempt),
            Outcome::Refused => State::Refusee,
            Outcome::Expired => State::Expiree,
            Outcome::Paid(means) => {
                let Some(inv_item) = store
                    .get(&invoice::key(&attempt.dossier, &attempt.facture))
                    .await?
                else {
                    return Err(StoreError::Corrupt(format!("facture {}", attempt.facture)).into());
                };
                let inv: Invoice = inv_item.record()?;
                let paid = crate::billing::invoices::payment_writes(
                    store,
                    &inv,
                    inv_item.version,
                    attempt.montant,
                    means.label(),
                    "paiement en ligne",
                    now,
                )
                .await?;
                let notice = crate::mail::texts::payment_received(
                    &inv.numero,
                    &crate::pricing::euros(attempt.montant),
                    &paid.recu,
                    means.label(),
                );
                tx.add(Part::Invoice, paid.invoice)
                    .add(Part::Other, paid.counter)
                    .extend(
                        Part::Other,
                        crate::outbox::queue_for_family(app, &attempt.dossier, &notice).await?,
                    );
                after.recu = Some(paid.recu);
                after.moyen = Some(means.label().to_owned());
                State::Payee
            }
        };
        tx.add(Part::Attempt, Write::put_at(attempt_item(&after)?, version))
            .add(
                Part::Other,
                Write::Delete {
                    key: lock_key(&attempt.dossier, &attempt.facture),
                    condition: Condition::Always,
                },
            );
        match store.commit(tx).await {
            Ok(()) => return Ok(after),
            // Settled by another call meanwhile (read again: the answer),
            // or the invoice or the receipts' counter moved: again.
            Err(CommitError::Failed(_) | CommitError::Store(StoreError::TransactionConflict)) => {}
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(StoreError::TransactionConflict.into())
}

/// The re-check job: every attempt still under way started 5 minutes to 24
/// hours ago is asked about, until `deadline` (the next run goes on).
/// Returns how many were settled.
pub async fn recheck(app: &App, deadline: std::time::Instant) -> Result<usize, StoreError> {
    recheck_from(app, deadline, rules::recheck_min_age()).await
}

/// The re-check of every attempt from `min_age` to 24 hours old: what an
/// operator runs at once (`portal paiements verifier`, `min_age` zero) when
/// a family says it paid and its invoice does not show it yet.
pub async fn recheck_from(
    app: &App,
    deadline: std::time::Instant,
    min_age: Duration,
) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let (from, to) = (
        now - Duration::hours(rules::RECHECK_UNTIL_HOURS),
        now - min_age,
    );
    let mut settled = 0;
    let mut days = vec![from.date_naive()];
    if now.date_naive() != from.date_naive() {
        days.push(now.date_naive());
    }
    for day in days {
        let items = app
            .store
            .query_all(Query::gsi1(by_day(day)).between(instant(from), format!("{}~", instant(to))))
            .await?;
        for item in items {
            if std::time::Instant::now() >= deadline {
                return Ok(settled);
            }
            let a: Attempt = item.record()?;
            if a.etat != State::EnCours
                || a.idop.is_empty()
                || !rules::to_recheck(now - a.cree_le, min_age)
            {
                continue;
            }
            match settle(app, &a.idop).await {
                Ok(after) if after.etat != State::EnCours => settled += 1,
                Ok(_) => {}
                // The gateway down: the next run asks again.
                Err(e) => tracing::warn!(idop = %a.idop, "re-vérification : {e}"),
            }
        }
    }
    Ok(settled)
}
