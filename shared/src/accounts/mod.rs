//! Web accounts of families and agents: records, where they are kept, and
//! the rules around them. The operations are in [`service`]; the pure rules
//! in [`validation`], [`password`], [`tokens`], [`names`] and [`lockout`].

pub mod draft;
pub mod lockout;
pub mod names;
pub mod password;
pub mod service;
pub mod sessions;
pub mod tokens;
pub mod validation;

use crate::store::Key;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a sign-up waits for its activation.
pub const ACTIVATION_TTL: Duration = Duration::hours(24);
/// How long a password reset link is valid.
pub const RESET_TTL: Duration = Duration::hours(1);
/// How long an e-mail change link is valid.
pub const EMAIL_CHANGE_TTL: Duration = Duration::hours(24);
/// How long an agent's set-password link is valid.
pub const AGENT_INVITE_TTL: Duration = Duration::hours(72);
/// When the town promises an answer to a sign-up without dossier.
pub const REVIEW_DELAY: Duration = Duration::hours(72);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Family,
    Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its activation link (the items expire after 24 h).
    Pending,
    /// Activated without dossier: the town reviews it.
    Review,
    /// Usable: a family linked to its dossier, or an agent.
    Active,
    /// Refused by the town, with a reason.
    Refused,
}

/// An agent's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Regie,
    Enfance,
    /// The web team: publishes the site's actualités and documents.
    Communication,
}

impl Service {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "regie" => Some(Self::Regie),
            "enfance" => Some(Self::Enfance),
            "communication" => Some(Self::Communication),
            _ => None,
        }
    }

    /// The service's id in the settings file.
    pub fn id(self) -> &'static str {
        match self {
            Self::Regie => "regie",
            Self::Enfance => "enfance",
            Self::Communication => "communication",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Regie => "Régie",
            Self::Enfance => "Enfance-Éducation",
            Self::Communication => "Communication",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub kind: Kind,
    pub nom: String,
    pub prenom: String,
    pub courriel: String,
    /// The username (lower case); an agent's is its e-mail.
    pub identifiant: String,
    /// argon2id PHC string; empty until an agent sets its password.
    pub mot_de_passe: String,
    pub statut: Status,
    pub dossier: Option<String>,
    pub cree_le: DateTime<Utc>,
    #[serde(default)]
    pub echecs: u32,
    #[serde(default)]
    pub verrouille_jusqua: Option<DateTime<Utc>>,
    #[serde(default)]
    pub service: Option<Service>,
    #[serde(default)]
    pub motif_refus: Option<String>,
    /// A dossier whose references matched at sign-up but that already had
    /// an account: the town confirms before this one is linked to it.
    #[serde(default)]
    pub dossier_demande: Option<String>,
}

impl Account {
    /// A new account of `kind`, created `now` with a fresh id: pending,
    /// without password, dossier, service, failures or lock.
    pub fn new(
        kind: Kind,
        (prenom, nom): (&str, &str),
        courriel: &str,
        identifiant: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: ulid::Ulid::new().to_string(),
            kind,
            nom: nom.to_owned(),
            prenom: prenom.to_owned(),
            courriel: courriel.to_owned(),
            identifiant: identifiant.to_owned(),
            mot_de_passe: String::new(),
            statut: Status::Pending,
            dossier: None,
            cree_le: now,
            echecs: 0,
            verrouille_jusqua: None,
            service: None,
            motif_refus: None,
            dossier_demande: None,
        }
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.prenom, self.nom).trim().to_owned()
    }
}

pub fn account_key(id: &str) -> Key {
    Key::new(format!("COMPTE#{id}"), "PROFIL")
}

pub fn username_key(username: &str) -> Key {
    Key::new(format!("IDENTIFIANT#{username}"), "UNIQUE")
}

pub fn email_key(kind: Kind, email: &str) -> Key {
    // Families and agents have separate address books: a town agent may
    // also be a parent.
    let prefix = match kind {
        Kind::Family => "COURRIEL",
        Kind::Agent => "COURRIEL_AGENT",
    };
    Key::new(format!("{prefix}#{email}"), "UNIQUE")
}

/// GSI1 partition of the accounts awaiting the town's review, oldest first.
pub const REVIEW_PARTITION: &str = "EXAMEN";

/// GSI1 key of an account: its dossier when linked, the review queue when
/// awaiting review.
pub fn account_gsi1(account: &Account) -> Option<Key> {
    match (&account.dossier, account.statut) {
        (Some(numero), _) => Some(Key::new(
            crate::domain::dossier::partition(numero),
            format!("COMPTE#{}", account.id),
        )),
        (None, Status::Review) => Some(Key::new(
            REVIEW_PARTITION,
            format!("{}#{}", account.cree_le.to_rfc3339(), account.id),
        )),
        _ => None,
    }
}
