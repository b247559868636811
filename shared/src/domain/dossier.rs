//! A family's dossier at the town: its number (kept as the town gave it), its
//! responsables and its children. Only what the service needs (CNIL NS-058).

use crate::accounts::names::fold;
use crate::store::{Item, Key, StoreError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Responsable {
    pub nom: String,
    pub prenom: String,
    pub courriel: Option<String>,
    pub telephone: Option<String>,
}

/// How the family pays its invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMode {
    /// Direct debit (SEPA mandate).
    Prelevement,
    /// Online by card (PayFiP).
    EnLigne,
    /// At the town's cash desk (cheque, cash, CESU).
    Regie,
}

impl PaymentMode {
    pub const ALL: [PaymentMode; 3] = [Self::Prelevement, Self::EnLigne, Self::Regie];

    /// The value in forms and import files.
    pub fn id(self) -> &'static str {
        match self {
            Self::Prelevement => "prelevement",
            Self::EnLigne => "en_ligne",
            Self::Regie => "regie",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Prelevement => "prélèvement automatique",
            Self::EnLigne => "paiement en ligne",
            Self::Regie => "à la régie (chèque, espèces, CESU)",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == value.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// The town's own number, e.g. "D2026-0142".
    pub numero: String,
    pub responsables: Vec<Responsable>,
    pub adresse: String,
    /// Quotient familial, and the date it was set.
    pub quotient_familial: Option<Decimal>,
    pub qf_date: Option<NaiveDate>,
    #[serde(default)]
    pub mode_paiement: Option<PaymentMode>,
    /// The family lives outside the commune: the grids' non-resident price
    /// applies (absent from dossiers stored before: resident).
    #[serde(default)]
    pub hors_commune: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Child {
    pub id: String,
    pub nom: String,
    pub prenom: String,
    pub naissance: NaiveDate,
    pub ecole: String,
    pub classe: String,
    /// e.g. "sans porc", "sans viande"; no religious label.
    pub regime: Option<String>,
    pub pai: bool,
}

pub fn partition(numero: &str) -> String {
    format!("DOSSIER#{numero}")
}

pub fn key(numero: &str) -> Key {
    Key::new(partition(numero), "PROFIL")
}

pub fn child_key(numero: &str, child_id: &str) -> Key {
    Key::new(partition(numero), format!("ENFANT#{child_id}"))
}

/// GSI1 partition where dossiers are found by a responsable's name.
pub const BY_NAME_PARTITION: &str = "RESPONSABLE";
/// GSI1 partition where dossiers are found by a child's name.
pub const BY_CHILD_PARTITION: &str = "ENFANT";

/// The index item that finds a dossier by one of its children's name.
pub fn child_index_item(numero: &str, child: &Child) -> Item {
    let mut item = Item::new(
        Key::new(partition(numero), format!("INDEX#ENFANT#{}", child.id)),
        Default::default(),
    )
    .with_gsi1(
        BY_CHILD_PARTITION,
        format!("{} {}#{numero}", fold(&child.nom), fold(&child.prenom)),
    );
    item.attrs.insert("numero".into(), numero.into());
    item
}

/// One small index item per responsable, found through GSI1 by the folded
/// name (without case or accents), pointing at the dossier.
pub fn name_index_items(dossier: &Dossier) -> Result<Vec<Item>, StoreError> {
    dossier
        .responsables
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut item = Item::new(
                Key::new(partition(&dossier.numero), format!("INDEX#RESPONSABLE#{i}")),
                Default::default(),
            )
            .with_gsi1(
                BY_NAME_PARTITION,
                format!("{} {}#{}", fold(&r.nom), fold(&r.prenom), dossier.numero),
            );
            item.attrs
                .insert("numero".into(), dossier.numero.clone().into());
            Ok(item)
        })
        .collect()
}

/// One step of the family's démarches, as the dossier's history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demarche {
    pub le: chrono::DateTime<chrono::Utc>,
    pub libelle: String,
    pub statut: String,
}

pub fn demarche_key(numero: &str, at: chrono::DateTime<chrono::Utc>) -> Key {
    Key::new(
        partition(numero),
        format!("DEMARCHE#{}#{}", at.to_rfc3339(), ulid::Ulid::new()),
    )
}

/// A phone number as families type it: digits, spaces, dots, hyphens, a
/// leading +; 10 to 20 characters.
pub fn phone(value: &str) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || " .-".contains(c) || (c == '+' && i == 0));
    if allowed && (10..=15).contains(&digits) && v.len() <= 20 {
        Ok(Some(v.to_owned()))
    } else {
        Err("Numéro de téléphone invalide (exemple : 06 12 34 56 78).".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(phone("06 12 34 56 78"), Ok(Some("06 12 34 56 78".into())));
        assert_eq!(
            phone("+33 6 12 34 56 78"),
            Ok(Some("+33 6 12 34 56 78".into()))
        );
        assert_eq!(phone(""), Ok(None));
        assert!(phone("06 12").is_err());
        assert!(phone("06-12-34-56-7a").is_err());
        assert!(phone("0612345678+").is_err());
    }
}
