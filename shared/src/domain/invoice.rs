//! An invoice (facture) or credit note (avoir) of the town, under its own
//! number. Amounts are decimals in euros, rounded once, on the line. A
//! published invoice is never edited: only what was paid on it, and its
//! hand-over to the Trésor public, change afterwards.

use crate::store::Key;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unpaid,
    Paid,
}

/// An invoice or a credit note: each has its own numbering series.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Facture,
    Avoir,
}

impl Kind {
    /// The letter of the series: "F-2026-000042", "A-2026-000003".
    pub fn letter(self) -> &'static str {
        match self {
            Kind::Facture => "F",
            Kind::Avoir => "A",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Facture => "Facture",
            Kind::Avoir => "Avoir",
        }
    }
}

/// One line: a child's days at one unit, of one kind, at one price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The child's id (empty for a credit note applied).
    pub enfant: String,
    pub enfant_nom: String,
    pub activite: String,
    pub unite: String,
    /// "Restauration scolaire — Repas".
    pub prestation: String,
    /// "présence", "absence non justifiée", "régularisation", "avoir A-2026-000003"…
    pub nature: String,
    pub dates: Vec<NaiveDate>,
    /// Negative on a reversal line.
    pub quantite: i64,
    pub prix: Decimal,
    pub montant: Decimal,
}

impl Line {
    /// "3/11, 4/11, 6/11".
    pub fn dates_label(&self) -> String {
        use chrono::Datelike;
        self.dates
            .iter()
            .map(|d| format!("{}/{}", d.day(), d.month()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A payment recorded on an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The receipt's number ("R-2026-000007").
    pub recu: String,
    pub le: DateTime<Utc>,
    /// "espèces", "chèque", "CESU", "avoir A-2026-000003"…
    pub moyen: String,
    pub montant: Decimal,
    pub agent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The town's number, e.g. "F-2026-000042".
    pub numero: String,
    pub dossier: String,
    /// "novembre 2026".
    pub periode: String,
    pub emise_le: NaiveDate,
    pub echeance: NaiveDate,
    /// The total (negative lines included; a credit note's is positive:
    /// what the town owes).
    pub montant: Decimal,
    pub statut: Status,
    #[serde(default)]
    pub kind: Kind,
    /// The month billed ("2026-11"); none on an imported invoice.
    #[serde(default)]
    pub mois: Option<String>,
    #[serde(default)]
    pub campagne: Option<String>,
    #[serde(default)]
    pub payeur: String,
    #[serde(default)]
    pub adresse: String,
    #[serde(default)]
    pub lignes: Vec<Line>,
    #[serde(default)]
    pub paiements: Vec<Payment>,
    /// The day of the direct debit, for families paying so.
    #[serde(default)]
    pub prelevement_le: Option<NaiveDate>,
    /// Handed to the Trésor public (titre de recettes): paid there, no
    /// longer online.
    #[serde(default)]
    pub transmise_le: Option<NaiveDate>,
    /// Collected by direct debit in a régie's remise.
    #[serde(default)]
    pub preleve: Option<Debit>,
    /// The debit came back rejected: the invoice is to pay again.
    #[serde(default)]
    pub rejet: Option<Rejection>,
}

/// An invoice's collection in a remise (the SEPA file's line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Debit {
    /// The remise's number ("P-2026-000003").
    pub remise: String,
    /// The collection date asked of the bank.
    pub le: NaiveDate,
    /// The mandate it was collected under.
    pub rum: String,
}

/// A rejected debit, as the agent recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub le: DateTime<Utc>,
    /// "AM04 — provision insuffisante".
    pub motif: String,
    pub agent: String,
}

impl Invoice {
    /// The last three digits of the number, which a family types at sign-up.
    pub fn last_three_digits(&self) -> String {
        last_three_digits(&self.numero)
    }

    /// What was paid (or, on a credit note, used) so far.
    pub fn paid(&self) -> Decimal {
        self.paiements.iter().map(|p| p.montant).sum()
    }

    /// What is left to pay (to use, on a credit note).
    pub fn due(&self) -> Decimal {
        (self.montant - self.paid()).max(Decimal::ZERO)
    }

    pub fn is_open(&self) -> bool {
        self.statut == Status::Unpaid && self.due() > Decimal::ZERO
    }
}

/// The last three digits of an invoice number.
pub fn last_three_digits(numero: &str) -> String {
    let digits: Vec<char> = numero.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(3)..].iter().collect()
}

/// Sort-key prefix of a dossier's invoices and credit notes.
pub const PREFIX: &str = "FACTURE#";

pub fn key(dossier: &str, numero: &str) -> Key {
    Key::new(
        super::dossier::partition(dossier),
        format!("{PREFIX}{numero}"),
    )
}

/// GSI1 partition of the régie's invoices of a year, by due date: what the
/// unpaid list and the Trésor export read.
pub fn regie_partition(year: i32) -> String {
    format!("FACTURES#{year}")
}

pub fn regie_sort(echeance: NaiveDate, numero: &str) -> String {
    format!("{echeance}#{numero}")
}

/// The stored item of an invoice, under its dossier and in the régie's
/// index of the year it falls due (both derive from what never changes).
pub fn item(inv: &Invoice) -> Result<crate::store::Item, crate::store::StoreError> {
    Ok(
        crate::store::Item::from_record(key(&inv.dossier, &inv.numero), inv)?.with_gsi1(
            regie_partition(chrono::Datelike::year(&inv.echeance)),
            regie_sort(inv.echeance, &inv.numero),
        ),
    )
}

/// The series of the régie's receipts (counter payments).
pub const RECEIPTS: &str = "R";

/// The formatted number of the `n`th document of a series ("F", "A", "R").
pub fn number(series: &str, year: i32, n: u64) -> String {
    format!("{series}-{year}-{n:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_three_digits_ignore_separators() {
        assert_eq!(last_three_digits("F2026-10-000587"), "587");
        assert_eq!(last_three_digits("7"), "7");
    }

    #[test]
    fn numbers_are_per_series_and_padded() {
        assert_eq!(number(Kind::Facture.letter(), 2026, 42), "F-2026-000042");
        assert_eq!(number(Kind::Avoir.letter(), 2027, 3), "A-2027-000003");
        assert_eq!(number(RECEIPTS, 2026, 7), "R-2026-000007");
    }
}
