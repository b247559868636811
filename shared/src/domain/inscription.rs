//! A child's registration to an activity for the school year, as the family
//! asked it and as the town decided it.

use super::dossier::partition;
use crate::store::Key;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    EnAttente,
    Validee,
    Refusee,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Self::EnAttente => "en attente",
            Self::Validee => "validée",
            Self::Refusee => "refusée",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inscription {
    pub id: String,
    pub numero: String,
    pub enfant: String,
    /// The child's first and last name when asked (for lists).
    pub enfant_nom: String,
    pub activite: String,
    pub activite_nom: String,
    /// The school year it counts for, e.g. "2026-2027".
    pub annee: String,
    /// The desired start date.
    pub debut: NaiveDate,
    /// The weekdays asked ("lundi"…); for vacances, the whole week.
    pub jours: Vec<String>,
    /// For vacances: the Mondays of the weeks asked.
    #[serde(default)]
    pub semaines: Vec<NaiveDate>,
    /// The documents sent with it (ids in the dossier).
    #[serde(default)]
    pub documents: Vec<String>,
    pub statut: Status,
    #[serde(default)]
    pub motif: Option<String>,
    pub demande_le: DateTime<Utc>,
    #[serde(default)]
    pub decide_le: Option<DateTime<Utc>>,
    #[serde(default)]
    pub decide_par: Option<String>,
    /// What was booked in the planning when it was validated.
    #[serde(default)]
    pub reservations: Option<String>,
}

impl Inscription {
    /// "lundi, jeudi", or "semaine du 21/12/2026, …" for holiday weeks.
    pub fn days_label(&self) -> String {
        if self.semaines.is_empty() {
            self.jours.join(", ")
        } else {
            self.semaines
                .iter()
                .map(|w| format!("semaine du {}", w.format("%d/%m/%Y")))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

pub fn key(numero: &str, id: &str) -> Key {
    Key::new(partition(numero), format!("INSCRIPTION#{id}"))
}

/// The item that makes a second registration of the same child to the same
/// activity for the same year impossible (a refused one frees it).
pub fn unique_key(numero: &str, enfant: &str, activite: &str, annee: &str) -> Key {
    Key::new(
        partition(numero),
        format!("UNIQUE#INSCRIPTION#{enfant}#{activite}#{annee}"),
    )
}

/// GSI1 partition of a service's registrations waiting for a decision,
/// oldest first.
pub fn queue_partition(service: &str) -> String {
    format!("INSCRIPTIONS#{service}")
}

pub fn queue_sort(i: &Inscription) -> String {
    format!("{}#{}#{}", i.demande_le.to_rfc3339(), i.numero, i.id)
}
