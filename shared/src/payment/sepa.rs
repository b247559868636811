//! Direct debit (prélèvement SEPA): the IBAN as a family types it, the
//! mandate form's rules, the mandate's reference (RUM) and sequence type,
//! and the `pain.008.001.02` file of a collection (one payment block per
//! sequence type, exact counts and sums), written by the `sepa` crate. Pure
//! functions.

use crate::accounts::validation::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use iban::IbanLike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The countries of the SEPA scheme (EEA, Switzerland, the United Kingdom,
/// Monaco, San Marino, Andorra, Vatican City, and the French overseas
/// territories that have their own code).
pub const SEPA_COUNTRIES: &[&str] = &[
    "AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR",
    "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO",
    "SE", "SI", "SK", "SM", "VA", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("Indiquez l'IBAN du compte à prélever.")]
    Empty,
    #[error("Cet IBAN est trop long : 34 caractères au plus (hors espaces).")]
    TooLong,
    #[error(
        "Cet IBAN n'est pas valide : vérifiez chaque caractère (lettres et chiffres, longueur du pays, clé de contrôle)."
    )]
    Invalid,
    #[error("Ce compte est tenu hors de la zone SEPA ({0}) : le prélèvement n'est pas possible.")]
    NotSepa(String),
}

/// An IBAN as typed (spaces and lower case accepted) in its electronic
/// form, checked: country length, mod 97, SEPA country.
pub fn normalize_iban(raw: &str) -> Result<String, IbanError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact.is_empty() {
        return Err(IbanError::Empty);
    }
    if compact.chars().count() > 34 {
        return Err(IbanError::TooLong);
    }
    let parsed: iban::Iban = compact.parse().map_err(|_| IbanError::Invalid)?;
    let country = parsed.country_code().to_owned();
    if !SEPA_COUNTRIES.contains(&country.as_str()) {
        return Err(IbanError::NotSepa(country));
    }
    Ok(parsed.electronic_str().to_owned())
}

/// An IBAN shown to its family: only the country, the key and the last
/// four characters ("FR76 •••• … 0185").
pub fn masked(iban: &str) -> String {
    let head: String = iban.chars().take(4).collect();
    let tail: String = iban
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head} •••• … {tail}")
}

/// The mandate form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MandateForm {
    #[serde(default)]
    pub titulaire: String,
    #[serde(default)]
    pub iban: String,
    #[serde(default)]
    pub bic: String,
    /// The mandate's text accepted ("oui").
    #[serde(default)]
    pub accepte: String,
}

/// What a mandate form gives once checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MandateInput {
    pub titulaire: String,
    pub iban: String,
    pub bic: Option<String>,
}

/// Checks the form: each error next to its field.
pub fn check_mandate(form: &MandateForm) -> Result<MandateInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let titulaire = form.titulaire.trim();
    if titulaire.is_empty() {
        errors.insert(
            "titulaire",
            "Indiquez le nom du titulaire du compte.".into(),
        );
    } else if titulaire.chars().count() > 70 {
        errors.insert("titulaire", "70 caractères au plus.".into());
    }
    let iban = normalize_iban(&form.iban).map_err(|e| errors.insert("iban", e.to_string()));
    let bic: String = form
        .bic
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let bic_ok = bic.is_empty()
        || ((bic.len() == 8 || bic.len() == 11)
            && bic.bytes().all(|b| b.is_ascii_alphanumeric())
            && bic.bytes().take(6).all(|b| b.is_ascii_alphabetic()));
    if !bic_ok {
        errors.insert(
            "bic",
            "Ce BIC n'est pas valide : 8 ou 11 lettres et chiffres (il est facultatif).".into(),
        );
    }
    if form.accepte != "oui" {
        errors.insert(
            "accepte",
            "Cochez la case pour accepter le mandat de prélèvement.".into(),
        );
    }
    match iban {
        Ok(iban) if errors.is_empty() => Ok(MandateInput {
            titulaire: titulaire.to_owned(),
            iban,
            bic: (!bic.is_empty()).then_some(bic),
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MandateStatus {
    /// Signed by the family, to be checked by the régie.
    AValider,
    Actif,
    /// Replaced by a new account, or stopped.
    Termine,
}

/// A SEPA mandate of a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mandate {
    /// Référence unique du mandat.
    pub rum: String,
    pub dossier: String,
    pub titulaire: String,
    /// Electronic form.
    pub iban: String,
    #[serde(default)]
    pub bic: Option<String>,
    pub signe_le: NaiveDate,
    pub statut: MandateStatus,
    #[serde(default)]
    pub fin_le: Option<NaiveDate>,
    /// The last collection made under it (none: the next is its first).
    #[serde(default)]
    pub derniere_collecte: Option<NaiveDate>,
}

/// A mandate's reference: the dossier and the second it was signed (at
/// most 35 characters, letters, digits and hyphens).
pub fn rum(dossier: &str, at: DateTime<Utc>) -> String {
    let compact: String = dossier
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(16)
        .collect();
    format!("EF-{compact}-{}", at.format("%Y%m%d%H%M%S"))
}

/// The creditor: the régie, with its account and its ICS.
#[derive(Debug, Clone, PartialEq)]
pub struct Creditor {
    pub nom: String,
    pub iban: String,
    /// Identifiant créancier SEPA (13 characters in France).
    pub ics: String,
}

/// One invoice to collect under a mandate.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub mandate: Mandate,
    pub facture: String,
    pub montant: Decimal,
}

impl Collection {
    /// FRST for a mandate's first collection, RCUR after.
    pub fn first(&self) -> bool {
        self.mandate.derniere_collecte.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fichier de prélèvement impossible : {0}")]
pub struct FileError(pub String);

fn iso(d: NaiveDate) -> Result<sepa::IsoDate, FileError> {
    use chrono::Datelike;
    sepa::IsoDate::new(d.year() as u16, d.month() as u8, d.day() as u8)
        .map_err(|e| FileError(e.to_string()))
}

/// The `pain.008.001.02` file of a collection date: one payment block for
/// the first collections (FRST), one for the others (RCUR).
pub fn pain008(
    creditor: &Creditor,
    msg_id: &str,
    created_at: DateTime<Utc>,
    collection_date: NaiveDate,
    collections: &[Collection],
) -> Result<String, FileError> {
    use chrono::Timelike;
    let err = |e: &dyn std::fmt::Display| FileError(e.to_string());
    let creditor_iban = sepa::validate_iban(&creditor.iban).map_err(|e| err(&e))?;
    let ics = sepa::validate_creditor_id(&creditor.ics).map_err(|e| err(&e))?;
    let date = iso(collection_date)?;
    let created = sepa::IsoDateTime::new(
        iso(created_at.date_naive())?,
        created_at.hour() as u8,
        created_at.minute() as u8,
        created_at.second() as u8,
    )
    .map_err(|e| err(&e))?;
    let mut builder = sepa::Pain008Builder::new(creditor.nom.clone(), msg_id)
        .schema(sepa::DirectDebitSchema::IsoV2)
        .created_at(created);
    for (first, sequence, tag) in [
        (true, sepa::SequenceType::Frst, "FRST"),
        (false, sepa::SequenceType::Rcur, "RCUR"),
    ] {
        let mut group =
            sepa::DirectDebitGroup::new(creditor.nom.clone(), &creditor_iban, &ics, date)
                .sequence_type(sequence)
                .payment_info_id(format!("{msg_id}-{tag}"));
        let mut any = false;
        for c in collections.iter().filter(|c| c.first() == first) {
            let debtor = sepa::validate_iban(&c.mandate.iban).map_err(|e| err(&e))?;
            let entry = sepa::DirectDebitEntry::new(
                c.mandate.rum.clone(),
                iso(c.mandate.signe_le)?,
                c.mandate.titulaire.clone(),
                debtor,
                crate::pricing::in_cents(c.montant),
                c.facture
                    .chars()
                    .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
                    .collect::<String>(),
            )
            .with_description(format!("Facture {}", c.facture));
            group = group.add_entry(entry);
            any = true;
        }
        if any {
            builder = builder.add_group(group);
        }
    }
    builder.build().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_as_families_type_them() {
        assert_eq!(
            normalize_iban("fr76 3000 1007 9412 3456 7890 185").unwrap(),
            "FR7630001007941234567890185"
        );
        assert_eq!(
            normalize_iban(" DE89 3704 0044 0532 0130 00 ").unwrap(),
            "DE89370400440532013000"
        );
        assert_eq!(normalize_iban(""), Err(IbanError::Empty));
        // Wrong check digits, wrong length for the country, letters where
        // digits go, far too long, outside SEPA.
        for bad in [
            "FR7730001007941234567890185",
            "FR763000100794123456789018",
            "FR76300010079412345678901AB",
        ] {
            assert_eq!(normalize_iban(bad), Err(IbanError::Invalid), "{bad}");
        }
        assert_eq!(normalize_iban(&"1".repeat(100)), Err(IbanError::TooLong));
        assert_eq!(
            normalize_iban("BR1800360305000010009795493C1"),
            Err(IbanError::NotSepa("BR".into()))
        );
        assert_eq!(masked("FR7630001007941234567890185"), "FR76 •••• … 0185");
    }

    #[test]
    fn the_mandate_form_says_what_is_wrong_next_to_each_field() {
        let good = MandateForm {
            titulaire: " Émilie Lefèvre ".into(),
            iban: "fr76 3000 1007 9412 3456 7890 185".into(),
            bic: "bnpa fr pp".into(),
            accepte: "oui".into(),
        };
        let m = check_mandate(&good).unwrap();
        assert_eq!(m.titulaire, "Émilie Lefèvre");
        assert_eq!(m.bic.as_deref(), Some("BNPAFRPP"));
        let errors = check_mandate(&MandateForm {
            titulaire: String::new(),
            iban: "FR00".into(),
            bic: "12".into(),
            accepte: String::new(),
        })
        .unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            vec!["accepte", "bic", "iban", "titulaire"]
        );
        let no_bic = check_mandate(&MandateForm {
            bic: String::new(),
            ..good
        })
        .unwrap();
        assert_eq!(no_bic.bic, None);
    }

    #[test]
    fn a_rum_is_unique_per_signature_and_short_enough() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:12:03Z")
            .unwrap()
            .to_utc();
        let r = rum("D2026-0142", at);
        assert_eq!(r, "EF-D2026-0142-20261126071203");
        assert!(r.len() <= 35);
    }
}
