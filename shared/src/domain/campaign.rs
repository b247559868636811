//! A billing campaign of the régie: a month, the activities it bills, its
//! dates, its state and progress; the draft invoices each run makes (one
//! item per family, in a partition of their own per run); the error lines
//! an agent chose to ignore.

use super::invoice::Line;
use crate::store::Key;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The draft is being built (by chunks, in the jobs).
    Calcul,
    /// The draft is complete: the agent reads its journal, fixes, re-runs
    /// or publishes.
    Brouillon,
    /// Final invoices are being numbered and written (by chunks).
    Publication,
    Publiee,
    /// A draft given up (opened by mistake, wrong dates): it blocks no
    /// other campaign and is never published.
    Abandonnee,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Calcul => "calcul en cours",
            Stage::Brouillon => "brouillon",
            Stage::Publication => "publication en cours",
            Stage::Publiee => "publiée",
            Stage::Abandonnee => "abandonnée",
        }
    }

    /// Work is left for the jobs.
    pub fn working(self) -> bool {
        matches!(self, Stage::Calcul | Stage::Publication)
    }
}

/// What the current run (and the publication) did so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The last family billed (the run resumes after it).
    pub curseur: Option<String>,
    pub familles: u32,
    pub ok: u32,
    pub avertissements: u32,
    /// Families whose invoice waits for an agent.
    pub erreurs: u32,
    /// Sum of the drafts' totals.
    pub total: Decimal,
    /// The last family published.
    pub curseur_publication: Option<String>,
    pub publiees: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    /// "2026-11".
    pub mois: String,
    pub activites: Vec<String>,
    pub emise_le: NaiveDate,
    pub echeance: NaiveDate,
    pub prelevement_le: Option<NaiveDate>,
    /// Bills only the differences with what the month's invoices billed.
    pub corrective: bool,
    pub etape: Stage,
    /// The run whose drafts are current.
    pub run: u32,
    pub progression: Progress,
    pub ouverte_par: String,
    pub ouverte_le: DateTime<Utc>,
}

impl Campaign {
    pub fn kind_label(&self) -> &'static str {
        if self.corrective {
            "corrective"
        } else {
            "mensuelle"
        }
    }
}

pub fn partition(id: &str) -> String {
    format!("CAMPAGNE#{id}")
}

pub fn key(id: &str) -> Key {
    Key::new(partition(id), "CAMPAGNE")
}

/// GSI1 partition listing the campaigns, by month.
pub const LIST_PARTITION: &str = "CAMPAGNES";

pub fn list_sort(mois: &str, id: &str) -> String {
    format!("{mois}#{id}")
}

/// The partition of one run's drafts, one item per family (sort key: the
/// dossier number).
pub fn drafts_partition(id: &str, run: u32) -> String {
    format!("CAMPAGNE#{id}#RUN#{run:04}")
}

/// How bad a journal line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Keeps the family's invoice out of the campaign.
    Erreur,
    Avertissement,
    /// An error an agent chose to ignore (the day is not billed).
    Ignoree,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Erreur => "erreur",
            Level::Avertissement => "avertissement",
            Level::Ignoree => "ignorée",
        }
    }
}

/// One journal line: a day of a child at a unit worth an agent's look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalLine {
    pub niveau: Level,
    pub enfant: String,
    pub enfant_nom: String,
    pub activite: String,
    pub unite: String,
    pub jour: NaiveDate,
    pub message: String,
}

impl JournalLine {
    /// What identifies the day, for an ignore decision.
    pub fn day_ref(&self) -> String {
        day_ref(&self.enfant, self.jour, &self.activite, &self.unite)
    }
}

pub fn day_ref(child: &str, day: NaiveDate, activity: &str, unit: &str) -> String {
    format!("{child}#{day}#{activity}#{unit}")
}

/// A credit note the draft deducts: (its number, the amount used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditUse {
    pub avoir: String,
    pub montant: Decimal,
}

/// A family's draft invoice in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub dossier: String,
    pub payeur: String,
    pub adresse: String,
    pub lignes: Vec<Line>,
    pub journal: Vec<JournalLine>,
    /// Lines summed (negative: a credit note).
    pub total: Decimal,
    #[serde(default)]
    pub avoirs: Vec<CreditUse>,
    /// Pays by direct debit (the invoice shows the debit date).
    #[serde(default)]
    pub prelevement: bool,
}

impl Draft {
    pub fn errors(&self) -> usize {
        self.journal
            .iter()
            .filter(|j| j.niveau == Level::Erreur)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.journal
            .iter()
            .filter(|j| j.niveau != Level::Erreur)
            .count()
    }

    /// Whether publishing gives a document: nothing billed, nothing issued;
    /// an invoice a credit note pays whole is issued (paid).
    pub fn issues_document(&self) -> bool {
        !self.lignes.is_empty() && (!self.total.is_zero() || !self.avoirs.is_empty())
    }
}

/// An error line an agent chose to ignore, with the reason (kept for the
/// month: a re-run or a corrective campaign does not ask again; the
/// dossier's audit trail records it too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ignored {
    pub dossier: String,
    pub jour: String,
    /// The campaign it was decided in.
    pub campagne: String,
    pub motif: String,
    pub agent: String,
    pub le: DateTime<Utc>,
}

/// The partition of a month's ignored lines (sort key: dossier#day ref).
pub fn ignored_partition(mois: &str) -> String {
    format!("IGNORE#{mois}")
}

pub fn ignored_key(mois: &str, numero: &str, day_ref: &str) -> Key {
    Key::new(ignored_partition(mois), format!("{numero}#{day_ref}"))
}
