//! Published invoices after the campaign: what a family owes, the régie's
//! counter payments (with a receipt number, partial payments allowed), the
//! unpaid invoices due for the Trésor public and their hand-over.

use super::campaigns::{CampaignError, REGIE};
use super::numbering;
use crate::access::{Decider, Granted};
use crate::accounts::validation::FieldErrors;
use crate::app::App;
use crate::domain::invoice::{self, Invoice, Kind, Payment, Status};
use crate::store::{CommitError, Query, Store, StoreError, Transaction, Write};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Debts under this amount are not sent for recovery (CGCT D1611-1).
pub const RECOVERY_THRESHOLD: Decimal = Decimal::from_parts(15, 0, 0, false, 0);

/// What the family home page says: invoices waiting for payment and the
/// total due (credit notes and invoices at the Trésor left out).
pub fn pending(invoices: &[Invoice]) -> (usize, Decimal) {
    let open: Vec<&Invoice> = invoices
        .iter()
        .filter(|i| i.kind == Kind::Facture && i.is_open() && i.transmise_le.is_none())
        .collect();
    (open.len(), open.iter().map(|i| i.due()).sum())
}

/// An amount as typed ("12,50", "12.5", "12 €"): `None` unless a number
/// with at most two decimals.
pub fn parse_amount(raw: &str) -> Option<Decimal> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let d = Decimal::from_str(&cleaned).ok()?;
    (d.scale() <= 2).then_some(d)
}

/// How a family paid at the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Means {
    Especes,
    Cheque,
    Cesu,
}

impl Means {
    pub const ALL: [Means; 3] = [Means::Especes, Means::Cheque, Means::Cesu];

    pub fn id(self) -> &'static str {
        match self {
            Means::Especes => "especes",
            Means::Cheque => "cheque",
            Means::Cesu => "cesu",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Means::Especes => "espèces",
            Means::Cheque => "chèque",
            Means::Cesu => "CESU",
        }
    }
}

/// A counter payment as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    pub montant: String,
    #[serde(default)]
    pub moyen: String,
    #[serde(default)]
    pub version: String,
}

/// Checks a counter payment against the invoice as read.
pub fn check_payment(form: &PaymentForm, inv: &Invoice) -> Result<(Decimal, Means), FieldErrors> {
    let mut errors = FieldErrors::new();
    let means = Means::ALL.into_iter().find(|m| m.id() == form.moyen);
    if means.is_none() {
        errors.insert("moyen", "Choisissez le moyen de paiement.".into());
    }
    let amount = parse_amount(&form.montant);
    match amount {
        None => {
            errors.insert(
                "montant",
                "Indiquez un montant en euros, par exemple 12,50.".into(),
            );
        }
        Some(a) if a <= Decimal::ZERO => {
            errors.insert("montant", "Le montant doit être positif.".into());
        }
        Some(a) if a > inv.due() => {
            errors.insert(
                "montant",
                format!(
                    "Le montant dépasse ce qui reste dû ({}).",
                    crate::pricing::euros(inv.due())
                ),
            );
        }
        _ => {}
    }
    if inv.kind != Kind::Facture || !inv.is_open() {
        errors.insert("montant", "Cette facture n'attend aucun paiement.".into());
    } else if inv.transmise_le.is_some() {
        errors.insert(
            "montant",
            "Facture transmise au Trésor public : le paiement se fait auprès du Trésor.".into(),
        );
    }
    match (amount, means) {
        (Some(a), Some(m)) if errors.is_empty() => Ok((a, m)),
        _ => Err(errors),
    }
}

/// An invoice of any dossier, for the régie (with its version).
pub async fn load(
    store: &dyn Store,
    numero_dossier: &str,
    numero: &str,
) -> Result<Option<(Invoice, u64)>, StoreError> {
    match store.get(&invoice::key(numero_dossier, numero)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// The write that stores an invoice changed after publication (payments,
/// hand-over only), on the version read.
pub(super) fn invoice_write(inv: &Invoice, version: u64) -> Result<Write, StoreError> {
    Ok(Write::put_at(invoice::item(inv)?, version))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Invoice,
    Counter,
    Other,
}

/// A payment on an invoice as read at `version`: the invoice with it (paid
/// when nothing is left due) and its receipt's number, reserved.
pub(crate) struct PaymentWrites {
    pub recu: String,
    pub after: Invoice,
    /// The invoice, on the condition that it is still at `version`.
    pub invoice: Write,
    /// The receipts' counter, on the condition that it holds the value read.
    pub counter: Write,
}

pub(crate) async fn payment_writes(
    store: &dyn Store,
    inv: &Invoice,
    version: u64,
    amount: Decimal,
    means: &str,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PaymentWrites, StoreError> {
    let year = crate::planning::rules::paris_date(now).year();
    let reserved = numbering::reserve(store, invoice::RECEIPTS, year, 1).await?;
    let recu = invoice::number(invoice::RECEIPTS, year, reserved.first);
    let mut after = inv.clone();
    after.paiements.push(Payment {
        recu: recu.clone(),
        le: now,
        moyen: means.into(),
        montant: amount,
        agent: by.into(),
    });
    if after.due().is_zero() {
        after.statut = Status::Paid;
    }
    Ok(PaymentWrites {
        recu,
        invoice: invoice_write(&after, version)?,
        after,
        counter: reserved.write,
    })
}

/// Records a counter payment decided on the invoice as read at `version`,
/// with the next receipt number, in one transaction (with the audit line).
/// `Ok(None)` when the invoice changed meanwhile.
pub async fn record_payment(
    app: &App,
    decider: &Decider,
    inv: &Granted<Invoice>,
    amount: Decimal,
    means: Means,
) -> Result<Option<String>, CampaignError> {
    decider.covers(REGIE)?;
    let store = app.store.as_ref();
    let now = app.clock.now();
    for _ in 0..10 {
        let paid = payment_writes(
            store,
            inv.get(),
            inv.version(),
            amount,
            means.label(),
            &decider.agent().account().display_name(),
            now,
        )
        .await?;
        let (recu, after) = (paid.recu, paid.after);
        let mut tx = Transaction::new();
        tx.add(Part::Invoice, paid.invoice)
            .add(Part::Counter, paid.counter)
            .add(
                Part::Other,
                decider.agent().actor().audit(
                    &after.dossier,
                    now,
                    "paiement",
                    format!(
                        "{} : {} en {} (reçu {recu})",
                        after.numero,
                        crate::pricing::euros(amount),
                        means.label()
                    ),
                )?,
            );
        match store.commit(tx).await {
            Ok(()) => return Ok(Some(recu)),
            Err(CommitError::Failed(Part::Invoice)) => return Ok(None),
            Err(CommitError::Failed(_) | CommitError::Store(StoreError::TransactionConflict)) => {}
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(CampaignError::Conflict)
}

/// The unpaid invoices past their due date of at least 15 €, not yet
/// handed over (the titre de recettes list), oldest due first.
pub async fn for_recovery(store: &dyn Store, today: NaiveDate) -> Result<Vec<Invoice>, StoreError> {
    let mut out = Vec::new();
    for year in [today.year() - 1, today.year()] {
        let items = store
            .query_all(
                Query::gsi1(invoice::regie_partition(year))
                    .between("0", format!("{}#", today.pred_opt().unwrap_or(today))),
            )
            .await?;
        for item in items {
            let inv: Invoice = item.record()?;
            if inv.kind == Kind::Facture
                && inv.is_open()
                && inv.transmise_le.is_none()
                && inv.echeance < today
                && inv.due() >= RECOVERY_THRESHOLD
            {
                out.push(inv);
            }
        }
    }
    Ok(out)
}

/// The recovery list as CSV (semicolons, as spreadsheets in France read
/// it) for the titre de recettes.
pub fn recovery_csv(invoices: &[Invoice]) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![]);
    let _ = w.write_record([
        "facture",
        "dossier",
        "redevable",
        "adresse",
        "periode",
        "emise_le",
        "echeance",
        "montant",
        "deja_paye",
        "reste_du",
    ]);
    for i in invoices {
        let _ = w.write_record([
            i.numero.as_str(),
            &i.dossier,
            &i.payeur,
            &i.adresse,
            &i.periode,
            &i.emise_le.to_string(),
            &i.echeance.to_string(),
            &i.montant.to_string().replace('.', ","),
            &i.paid().to_string().replace('.', ","),
            &i.due().to_string().replace('.', ","),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Marks the listed invoices "transmise au Trésor public" (each read now,
/// still unpaid and past due; the audit trail of each dossier records it).
/// Returns how many were marked.
pub async fn transmit(
    app: &App,
    decider: &Decider,
    today: NaiveDate,
) -> Result<usize, CampaignError> {
    decider.covers(REGIE)?;
    let store = app.store.as_ref();
    let now = app.clock.now();
    let mut marked = 0;
    for inv in for_recovery(store, today).await? {
        let Some((mut current, version)) = load(store, &inv.dossier, &inv.numero).await? else {
            continue;
        };
        if current.transmise_le.is_some() || !current.is_open() {
            continue;
        }
        current.transmise_le = Some(today);
        let mut tx = Transaction::new();
        tx.add(Part::Invoice, invoice_write(&current, version)?)
            .add(
                Part::Other,
                decider.agent().actor().audit(
                    &current.dossier,
                    now,
                    "facturation",
                    format!(
                        "{} transmise au Trésor public ({} restant dus)",
                        current.numero,
                        crate::pricing::euros(current.due())
                    ),
                )?,
            );
        match store.commit(tx).await {
            Ok(()) => marked += 1,
            Err(CommitError::Failed(_)) => {}
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(montant: Decimal) -> Invoice {
        let mut i = crate::demo::invoice();
        i.montant = montant;
        i
    }

    #[test]
    fn amounts_are_read_as_typed_in_france() {
        assert_eq!(parse_amount("12,50"), Some(dec!(12.50)));
        assert_eq!(parse_amount(" 12.5 € "), Some(dec!(12.5)));
        assert_eq!(parse_amount("1 200"), Some(dec!(1200)));
        assert_eq!(parse_amount("12,505"), None);
        assert_eq!(parse_amount("douze"), None);
    }

    #[test]
    fn a_counter_payment_is_positive_and_at_most_what_is_due() {
        let inv = invoice(dec!(40));
        let form = |m: &str, moyen: &str| PaymentForm {
            montant: m.into(),
            moyen: moyen.into(),
            version: "1".into(),
        };
        assert_eq!(
            check_payment(&form("15", "cheque"), &inv),
            Ok((dec!(15), Means::Cheque))
        );
        assert!(
            check_payment(&form("40,01", "cheque"), &inv)
                .unwrap_err()
                .contains_key("montant")
        );
        assert!(
            check_payment(&form("-5", "especes"), &inv)
                .unwrap_err()
                .contains_key("montant")
        );
        assert!(
            check_payment(&form("0", "especes"), &inv)
                .unwrap_err()
                .contains_key("montant")
        );
        assert!(
            check_payment(&form("5", "bitcoin"), &inv)
                .unwrap_err()
                .contains_key("moyen")
        );
        let mut sent = invoice(dec!(40));
        sent.transmise_le = NaiveDate::from_ymd_opt(2026, 12, 20);
        assert!(check_payment(&form("5", "cesu"), &sent).is_err());
    }

    #[test]
    fn the_home_page_counts_open_invoices_only() {
        let mut paid = invoice(dec!(10));
        paid.statut = Status::Paid;
        let mut avoir = invoice(dec!(5));
        avoir.kind = Kind::Avoir;
        let open = invoice(dec!(86.40));
        assert_eq!(pending(&[paid, avoir, open]), (1, dec!(86.40)));
    }
}
