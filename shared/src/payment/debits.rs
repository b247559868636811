//! The régie's direct-debit remises. For a collection date, the invoices to
//! collect are those given a debit day on or before it by their campaign,
//! still due, of a dossier whose mandate is active. Recording a remise
//! numbers it ("P-2026-000003", continuous), then marks each invoice paid
//! "par prélèvement" in one transaction with the remise's line (the
//! mandate, the account, the amount, first or recurring) and the
//! mandate's last collection — an invoice changed meanwhile (paid at the
//! counter) is left out, never collected twice. The `pain.008.001.02` file
//! is written from the remise's lines, the same bytes each time it is
//! downloaded. A rejected debit, recorded by an agent with its reason,
//! cancels the debit's payment on the invoice, which is to pay again, and
//! tells the family.

use super::mandates;
use super::sepa::{self, Collection, Creditor, Mandate, MandateStatus};
use crate::access::{Decider, Granted};
use crate::app::App;
use crate::billing::campaigns::REGIE;
use crate::billing::numbering;
use crate::domain::invoice::{self, Debit, Invoice, Payment, Rejection, Status};
use crate::store::{
    CommitError, Condition, Item, Key, Query, Store, StoreError, Transaction, Write,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The numbering series of the remises.
pub const SERIES: &str = "P";
/// How a debit's payment is named on the invoice.
pub const MEANS: &str = "prélèvement";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemiseState {
    /// Invoices being marked (a remise interrupted is finished by the next).
    EnCours,
    Prete,
}

/// A remise: its number, its collection date and its totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remise {
    pub numero: String,
    pub date: NaiveDate,
    pub cree_le: DateTime<Utc>,
    pub agent: String,
    pub etat: RemiseState,
    #[serde(default)]
    pub nombre: usize,
    #[serde(default)]
    pub total: Decimal,
    /// First collections of their mandate (FRST).
    #[serde(default)]
    pub premiers: usize,
    #[serde(default)]
    pub total_premiers: Decimal,
}

/// One invoice collected: what the SEPA file says of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub facture: String,
    pub dossier: String,
    pub montant: Decimal,
    pub rum: String,
    pub titulaire: String,
    pub iban: String,
    #[serde(default)]
    pub bic: Option<String>,
    pub signe_le: NaiveDate,
    /// The mandate's first collection (FRST).
    pub premier: bool,
}

fn partition(numero: &str) -> String {
    format!("REMISE#{numero}")
}

fn header_key(numero: &str) -> Key {
    Key::new(partition(numero), "ENTETE")
}

const LIST: &str = "REMISES";

fn header_item(r: &Remise) -> Result<Item, StoreError> {
    Ok(Item::from_record(header_key(&r.numero), r)?.with_gsi1(LIST, r.numero.clone()))
}

fn line_item(remise: &str, l: &Line) -> Result<Item, StoreError> {
    Item::from_record(
        Key::new(partition(remise), format!("LIGNE#{}", l.facture)),
        l,
    )
}

/// The remises, newest first.
pub async fn list(store: &dyn Store) -> Result<Vec<Remise>, StoreError> {
    store
        .query_all(Query::gsi1(LIST).descending())
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

async fn header(store: &dyn Store, numero: &str) -> Result<Option<(Remise, u64)>, StoreError> {
    match store.get(&header_key(numero)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

async fn lines(store: &dyn Store, numero: &str) -> Result<Vec<Line>, StoreError> {
    store
        .query_all(Query::partition(partition(numero)).prefix("LIGNE#"))
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

/// What a remise for a date would collect.
#[derive(Debug, Default)]
pub struct Plan {
    /// The invoices, with their versions and the mandate they go under.
    pub ready: Vec<(Invoice, u64, Mandate)>,
    /// Invoices with a debit day whose dossier has no active mandate (the
    /// régie asks the family for one, or for another payment).
    pub without_mandate: Vec<Invoice>,
}

impl Plan {
    /// (count, sum) of the first collections, then of the recurring ones.
    pub fn totals(&self) -> [(usize, Decimal); 2] {
        let mut out = [(0, Decimal::ZERO); 2];
        for (inv, _, m) in &self.ready {
            let slot = &mut out[usize::from(m.derniere_collecte.is_some())];
            slot.0 += 1;
            slot.1 += inv.due();
        }
        out
    }
}

/// The invoices to collect on `date`.
pub async fn plan(store: &dyn Store, date: NaiveDate) -> Result<Plan, StoreError> {
    let active = mandates::active_by_dossier(store).await?;
    let mut plan = Plan::default();
    // A debit day falls before the due date, at most a year before.
    for year in date.year() - 1..=date.year() + 1 {
        for item in store
            .query_all(Query::gsi1(invoice::regie_partition(year)))
            .await?
        {
            let inv: Invoice = item.record()?;
            if !sepa::due_by(&inv, date) {
                continue;
            }
            match active.get(&inv.dossier) {
                Some(m) => plan.ready.push((inv, item.version, m.clone())),
                None => plan.without_mandate.push(inv),
            }
        }
    }
    Ok(plan)
}

#[derive(Debug, thiserror::Error)]
pub enum DebitError {
    #[error("aucune facture à prélever à cette date")]
    Nothing,
    #[error("remise inconnue")]
    NotFound,
    #[error("l'IBAN et l'identifiant créancier SEPA (ICS) de la régie manquent dans commune.toml")]
    NoCreditor,
    #[error(transparent)]
    File(#[from] sepa::FileError),
    #[error("la remise n'a pas pu être numérotée (trop d'enregistrements simultanés)")]
    Conflict,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Numbers a new remise and records its header, being filled.
async fn open(app: &App, agent: &str, date: NaiveDate) -> Result<Remise, DebitError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    let year = app.clock.today().year();
    for _ in 0..10 {
        let reserved = numbering::reserve(store, SERIES, year, 1).await?;
        let remise = Remise {
            numero: invoice::number(SERIES, year, reserved.first),
            date,
            cree_le: now,
            agent: agent.to_owned(),
            etat: RemiseState::EnCours,
            nombre: 0,
            total: Decimal::ZERO,
            premiers: 0,
            total_premiers: Decimal::ZERO,
        };
        let mut tx = Transaction::new();
        tx.add((), reserved.write)
            .add((), Write::put_at(header_item(&remise)?, 0));
        match store.commit(tx).await {
            Ok(()) => return Ok(remise),
            Err(CommitError::Failed(()))
            | Err(CommitError::Store(StoreError::TransactionConflict)) => {}
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(DebitError::Conflict)
}

/// Collects one invoice in a remise: the invoice paid by direct debit, the
/// remise's line, the mandate's last collection. `Ok(false)`: the invoice
/// changed since it was read (left for another remise).
async fn collect(
    store: &dyn Store,
    remise: &Remise,
    inv: &Invoice,
    version: u64,
    mandate: &Mandate,
) -> Result<bool, StoreError> {
    let amount = inv.due();
    let mut after = inv.clone();
    after.paiements.push(Payment {
        recu: remise.numero.clone(),
        le: remise.cree_le,
        moyen: MEANS.into(),
        montant: amount,
        agent: remise.agent.clone(),
    });
    after.statut = Status::Paid;
    after.preleve = Some(Debit {
        remise: remise.numero.clone(),
        le: remise.date,
        rum: mandate.rum.clone(),
    });
    let line = Line {
        facture: inv.numero.clone(),
        dossier: inv.dossier.clone(),
        montant: amount,
        rum: mandate.rum.clone(),
        titulaire: mandate.titulaire.clone(),
        iban: mandate.iban.clone(),
        bic: mandate.bic.clone(),
        signe_le: mandate.signe_le,
        premier: mandate.derniere_collecte.is_none(),
    };
    let mut tx = Transaction::new();
    tx.add(true, Write::put_at(invoice::item(&after)?, version))
        .add(
            false,
            Write::Put {
                item: line_item(&remise.numero, &line)?,
                condition: Condition::NotExists,
            },
        )
        .add(
            false,
            mandates::collected(&inv.dossier, &mandate.rum, remise.date),
        );
    match store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(_)) => Ok(false),
        Err(CommitError::Store(e)) => Err(e),
    }
}

/// Counts a remise's lines into its header, which becomes ready.
async fn finish(store: &dyn Store, numero: &str) -> Result<Remise, DebitError> {
    let (mut remise, version) = header(store, numero).await?.ok_or(DebitError::NotFound)?;
    if remise.etat == RemiseState::Prete {
        return Ok(remise);
    }
    let lines = lines(store, numero).await?;
    remise.nombre = lines.len();
    remise.total = lines.iter().map(|l| l.montant).sum();
    remise.premiers = lines.iter().filter(|l| l.premier).count();
    remise.total_premiers = lines.iter().filter(|l| l.premier).map(|l| l.montant).sum();
    remise.etat = RemiseState::Prete;
    store
        .write(Write::put_at(header_item(&remise)?, version))
        .await?;
    Ok(remise)
}

/// Records the remise of a collection date (a remise left unfinished is
/// finished first). The régie then downloads its file.
pub async fn record(app: &App, decider: &Decider, date: NaiveDate) -> Result<Remise, DebitError> {
    decider.covers(REGIE)?;
    let store = app.store.as_ref();
    for r in list(store).await? {
        if r.etat == RemiseState::EnCours {
            finish(store, &r.numero).await?;
        }
    }
    let plan = plan(store, date).await?;
    if plan.ready.is_empty() {
        return Err(DebitError::Nothing);
    }
    let agent = decider.agent().account().display_name();
    let remise = open(app, &agent, date).await?;
    let mut collected = 0;
    for (inv, version, mandate) in &plan.ready {
        collected += usize::from(collect(store, &remise, inv, *version, mandate).await?);
    }
    if collected == 0 {
        // Every invoice went into another remise meanwhile (two clicks):
        // nothing to send; the number stays unused.
        store
            .write(Write::Delete {
                key: header_key(&remise.numero),
                condition: Condition::Always,
            })
            .await?;
        return Err(DebitError::Nothing);
    }
    let remise = finish(store, &remise.numero).await?;
    let detail = format!(
        "remise {} du {} : {} prélèvement(s), {}",
        remise.numero,
        date.format("%d/%m/%Y"),
        remise.nombre,
        crate::pricing::euros(remise.total)
    );
    store
        .write(
            decider
                .agent()
                .actor()
                .audit(LIST, app.clock.now(), "prélèvement", detail)?,
        )
        .await?;
    Ok(remise)
}

/// The régie as SEPA creditor, from the settings.
pub fn creditor(s: &crate::settings::Settings) -> Result<Creditor, DebitError> {
    let regie = s.service(REGIE).ok_or(DebitError::NoCreditor)?;
    match (&regie.iban, &regie.ics) {
        (Some(iban), Some(ics)) => Ok(Creditor {
            nom: regie.nom.clone(),
            iban: sepa::normalize_iban(iban).map_err(|_| DebitError::NoCreditor)?,
            ics: ics.clone(),
        }),
        _ => Err(DebitError::NoCreditor),
    }
}

/// A ready remise's `pain.008.001.02` file.
pub async fn file(app: &App, numero: &str) -> Result<(Remise, String), DebitError> {
    let store = app.store.as_ref();
    let (remise, _) = header(store, numero).await?.ok_or(DebitError::NotFound)?;
    if remise.etat != RemiseState::Prete {
        return Err(DebitError::NotFound);
    }
    let creditor = creditor(&app.settings)?;
    let collections: Vec<Collection> = lines(store, numero)
        .await?
        .into_iter()
        .map(|l| Collection {
            mandate: Mandate {
                rum: l.rum,
                dossier: l.dossier,
                titulaire: l.titulaire,
                iban: l.iban,
                bic: l.bic,
                signe_le: l.signe_le,
                statut: MandateStatus::Actif,
                fin_le: None,
                fin_motif: None,
                derniere_collecte: (!l.premier).then_some(remise.date),
            },
            facture: l.facture,
            montant: l.montant,
        })
        .collect();
    let xml = sepa::pain008(
        &creditor,
        &remise.numero,
        remise.cree_le,
        remise.date,
        &collections,
    )?;
    Ok((remise, xml))
}

/// Whether an agent may record a rejection on this invoice: collected by
/// direct debit, not rejected yet.
pub fn may_reject(inv: &Invoice) -> bool {
    inv.preleve.is_some() && inv.rejet.is_none()
}

/// Records a rejected debit (`code`: one of [`sepa::REJECTION_REASONS`])
/// on the invoice as read: the debit's payment is cancelled by a negative
/// one, the invoice is to pay again (online or at the régie), and the
/// family is told. `Ok(false)`: not a debit that can be rejected, or the
/// invoice changed meanwhile.
pub async fn reject(
    app: &App,
    decider: &Decider,
    inv: &Granted<Invoice>,
    code: &str,
) -> Result<bool, DebitError> {
    decider.covers(REGIE)?;
    let (Some(debit), Some(motif)) = (&inv.preleve, sepa::rejection_label(code)) else {
        return Ok(false);
    };
    if !may_reject(inv) {
        return Ok(false);
    }
    let collected: Decimal = inv
        .paiements
        .iter()
        .filter(|p| p.recu == debit.remise && p.moyen == MEANS)
        .map(|p| p.montant)
        .sum();
    let now = app.clock.now();
    let agent = decider.agent().account().display_name();
    let mut after = inv.get().clone();
    after.paiements.push(Payment {
        recu: debit.remise.clone(),
        le: now,
        moyen: format!("rejet de prélèvement ({motif})"),
        montant: -collected,
        agent: agent.clone(),
    });
    after.statut = Status::Unpaid;
    after.rejet = Some(Rejection {
        le: now,
        motif: motif.clone(),
        agent,
    });
    let amount = crate::pricing::euros(collected);
    let notice = crate::mail::texts::debit_rejected(&after.numero, &amount);
    let mut tx = Transaction::new();
    tx.add(true, Write::put_at(invoice::item(&after)?, inv.version()))
        .add(
            false,
            decider.agent().actor().audit(
                &after.dossier,
                now,
                "prélèvement",
                format!(
                    "{} : prélèvement de {amount} rejeté ({motif})",
                    after.numero
                ),
            )?,
        )
        .extend(
            false,
            crate::outbox::queue_for_family(app, &after.dossier, &notice).await?,
        );
    match app.store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(true)) => Ok(false),
        Err(CommitError::Failed(false)) => Err(StoreError::ConditionFailed.into()),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// The régie's view of a collected invoice's debit, for its page.
pub fn describe(inv: &Invoice) -> Option<String> {
    let d = inv.preleve.as_ref()?;
    let mut text = format!(
        "Prélevée le {} (remise {}, mandat {})",
        d.le.format("%d/%m/%Y"),
        d.remise,
        d.rum
    );
    if let Some(r) = &inv.rejet {
        text.push_str(&format!(
            " — rejetée : {}, enregistré le {} par {}",
            r.motif,
            r.le.with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y"),
            r.agent
        ));
    }
    Some(text)
}
