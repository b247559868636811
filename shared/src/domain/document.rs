//! A document of a dossier: a supporting document the family sent, or a
//! file the town published for it. The file itself is in the files port,
//! under a generated name; this record says what it is and whose it is.

use super::dossier::partition;
use crate::store::Key;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Sent by the family (with a registration, or from "Mes documents").
    Famille,
    /// Published by the town for this family.
    Mairie,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    /// What it is, in words ("Attestation de quotient familial…").
    pub libelle: String,
    /// The kind of supporting document, when it is one.
    pub piece: Option<String>,
    /// The key in the files port.
    pub fichier: String,
    /// "pdf", "jpg" or "png", from the content.
    pub format: String,
    pub taille: u64,
    pub depose_le: DateTime<Utc>,
    pub source: Source,
    /// Set when an agent found it invalid: the reason given to the family.
    #[serde(default)]
    pub invalide: Option<String>,
}

pub fn key(numero: &str, id: &str) -> Key {
    Key::new(partition(numero), format!("DOCUMENT#{id}"))
}
