//! Direct debit (prélèvement SEPA): the IBAN as a family types it, the
//! mandate form's rules, the mandate's reference (RUM) and sequence type,
//! and the `pain.008.001.02` file of a collection (one payment block per
//! sequence type, exact counts and sums), written by the `sepa` crate. Pure
//! functions.

use crate::accounts::validation::FieldErrors;
use crate::domain::invoice::{Invoice, Kind};
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
    /// The mandate's text accepted ("1", the checkbox's value).
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
    if form.accepte != "1" {
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
    /// Why it ended ("remplacé par le mandat …", "arrêté par la famille",
    /// "refusé par la régie : …").
    #[serde(default)]
    pub fin_motif: Option<String>,
    /// The last collection made under it (none: the next is its first).
    #[serde(default)]
    pub derniere_collecte: Option<NaiveDate>,
}

impl MandateStatus {
    pub fn label(self) -> &'static str {
        match self {
            MandateStatus::AValider => "en attente de validation par la régie",
            MandateStatus::Actif => "actif",
            MandateStatus::Termine => "terminé",
        }
    }

    /// Its GSI1 partition's suffix.
    pub fn id(self) -> &'static str {
        match self {
            MandateStatus::AValider => "a_valider",
            MandateStatus::Actif => "actif",
            MandateStatus::Termine => "termine",
        }
    }
}

/// The day an invoice will be debited: a published invoice with something
/// due, not at the Trésor, not collected yet nor rejected, given a debit day
/// by its campaign, of a family whose mandate is active. `None`: the family
/// pays it another way (online, at the régie).
pub fn debit_date(inv: &Invoice, active_mandate: bool) -> Option<NaiveDate> {
    (active_mandate && collectable(inv))
        .then_some(inv.prelevement_le)
        .flatten()
}

/// Whether an invoice may go into a remise (its mandate aside).
fn collectable(inv: &Invoice) -> bool {
    inv.kind == Kind::Facture
        && inv.is_open()
        && inv.transmise_le.is_none()
        && inv.preleve.is_none()
        && inv.rejet.is_none()
        && inv.prelevement_le.is_some()
}

/// Whether a remise for `date` collects this invoice: collectable, with a
/// debit day on or before that date.
pub fn due_by(inv: &Invoice, date: NaiveDate) -> bool {
    collectable(inv) && inv.prelevement_le.is_some_and(|d| d <= date)
}

/// The collection date of a remise, as typed: a date after today (the bank
/// needs the file at least one business day before).
pub fn check_collection_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    match crate::import::parse_date(raw.trim()) {
        None => Err("Indiquez une date, par exemple 05/01/2027.".into()),
        Some(d) if d <= today => Err(
            "La date de prélèvement doit être postérieure à aujourd'hui : la banque reçoit le fichier au moins un jour ouvré avant.".into(),
        ),
        Some(d) => Ok(d),
    }
}

/// Why a bank returned a debit (the SEPA reason codes a régie meets).
pub const REJECTION_REASONS: &[(&str, &str)] = &[
    ("AM04", "provision insuffisante"),
    ("AC04", "compte clôturé"),
    ("AC01", "IBAN erroné"),
    ("MD01", "pas de mandat valide"),
    ("MS02", "opposition du débiteur"),
    ("MD06", "remboursement demandé par le débiteur"),
    ("MS03", "autre motif de la banque"),
];

/// The label of a reason code ("AM04 — provision insuffisante").
pub fn rejection_label(code: &str) -> Option<String> {
    REJECTION_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(c, l)| format!("{c} — {l}"))
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
            accepte: "1".into(),
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
    fn an_invoice_is_debited_once_under_an_active_mandate() {
        let day = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        let mut inv = crate::demo::invoice();
        inv.prelevement_le = Some(day);
        assert_eq!(debit_date(&inv, true), Some(day));
        assert_eq!(debit_date(&inv, false), None);
        assert!(due_by(&inv, day));
        assert!(!due_by(&inv, day.pred_opt().unwrap()));
        let no_day = Invoice {
            prelevement_le: None,
            ..inv.clone()
        };
        assert_eq!(debit_date(&no_day, true), None);
        let collected = Invoice {
            preleve: Some(crate::domain::invoice::Debit {
                remise: "P-2027-000001".into(),
                le: day,
                rum: "EF-X".into(),
            }),
            ..inv.clone()
        };
        assert_eq!(debit_date(&collected, true), None);
        assert!(!due_by(&collected, day));
        let rejected = Invoice {
            rejet: Some(crate::domain::invoice::Rejection {
                le: chrono::Utc::now(),
                motif: "AM04 — provision insuffisante".into(),
                agent: "Luc Bernard".into(),
            }),
            ..inv.clone()
        };
        assert!(!due_by(&rejected, day));
        let sent = Invoice {
            transmise_le: Some(day),
            ..inv
        };
        assert_eq!(debit_date(&sent, true), None);
        assert_eq!(
            rejection_label("AM04").as_deref(),
            Some("AM04 — provision insuffisante")
        );
        assert_eq!(rejection_label("XX99"), None);
    }

    #[test]
    fn a_collection_date_comes_after_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            check_collection_date("05/12/2026", today),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap())
        );
        assert!(check_collection_date("2026-12-01", today).is_err());
        assert!(check_collection_date("demain", today).is_err());
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
