//! An invoice of the town, under its own number. Amounts are decimals in
//! euros, rounded once, on the invoice line.

use crate::store::Key;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unpaid,
    Paid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The town's number, e.g. "F2026-10-000587".
    pub numero: String,
    pub dossier: String,
    pub periode: String,
    pub emise_le: NaiveDate,
    pub echeance: NaiveDate,
    pub montant: Decimal,
    pub statut: Status,
}

impl Invoice {
    /// The last three digits of the number, which a family types at sign-up.
    pub fn last_three_digits(&self) -> String {
        last_three_digits(&self.numero)
    }
}

/// The last three digits of an invoice number.
pub fn last_three_digits(numero: &str) -> String {
    let digits: Vec<char> = numero.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(3)..].iter().collect()
}

pub fn key(dossier: &str, numero: &str) -> Key {
    Key::new(
        super::dossier::partition(dossier),
        format!("FACTURE#{numero}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_three_digits_ignore_separators() {
        let mut inv = Invoice {
            numero: "F2026-10-000587".into(),
            dossier: "D1".into(),
            periode: "octobre 2026".into(),
            emise_le: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            echeance: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            montant: Decimal::new(8640, 2),
            statut: Status::Unpaid,
        };
        assert_eq!(inv.last_three_digits(), "587");
        inv.numero = "7".into();
        assert_eq!(inv.last_three_digits(), "7");
    }
}
