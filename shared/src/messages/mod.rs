//! Messagerie: threads between a family and a service. A thread and its
//! messages live in the family's dossier (`FIL#{id}`, `MSG#{fil}#{ulid}`:
//! the messages of a thread in the order they were written); the thread is
//! also in its service's inbox (GSI1 `MESSAGERIE#{service}#ouverts` or
//! `…#clos`, by the time its oldest unanswered message has waited). A
//! family reaches its threads only through `shared::access`, which never
//! hands it an internal note; an agent reads the threads of its service,
//! and those it forwarded; it decides only on its own service's.

pub mod rules;
pub mod threads;

use crate::store::{Item, Key, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A family's message waits, nobody has taken it.
    Nouveau,
    /// Taken by an agent (named on the thread).
    EnCours,
    Repondu,
    Clos,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Nouveau,
        Status::EnCours,
        Status::Repondu,
        Status::Clos,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Status::Nouveau => "nouveau",
            Status::EnCours => "en_cours",
            Status::Repondu => "repondu",
            Status::Clos => "clos",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Nouveau => "nouveau",
            Status::EnCours => "en cours",
            Status::Repondu => "répondu",
            Status::Clos => "clos",
        }
    }
}

/// A thread between a family and a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub id: String,
    pub dossier: String,
    /// The family's name, for the inbox and its search.
    pub famille: String,
    /// The service that answers it now.
    pub service: String,
    /// Every service it went through (the first one and those it was
    /// forwarded to): they may read it.
    pub services: Vec<String>,
    pub theme: String,
    pub sujet: String,
    /// The invoice it is about, if written from one.
    #[serde(default)]
    pub facture: Option<String>,
    pub statut: Status,
    /// The agent who took it.
    #[serde(default)]
    pub pris_par: Option<String>,
    pub cree_le: DateTime<Utc>,
    pub dernier_le: DateTime<Utc>,
    /// Since when the family's oldest unanswered message waits.
    #[serde(default)]
    pub attente_depuis: Option<DateTime<Utc>>,
    /// Messages of the town the family has not read.
    #[serde(default)]
    pub non_lus: u32,
    /// Started by the town ("document à renvoyer").
    #[serde(default)]
    pub par_la_mairie: bool,
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Author {
    Famille { nom: String },
    Agent { nom: String, service: String },
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    /// The key in the files port.
    pub fichier: String,
    /// "pdf", "jpg", "png".
    pub format: String,
    pub taille: u64,
}

impl Attachment {
    /// "Pièce jointe 1 (PDF, 120 Ko)".
    pub fn label(&self, n: usize) -> String {
        format!(
            "Pièce jointe {n} ({}, {} Ko)",
            self.format.to_uppercase(),
            self.taille.div_ceil(1024)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub fil: String,
    pub auteur: Author,
    /// An internal note of the town: never shown, sent or downloadable to
    /// the family.
    #[serde(default)]
    pub interne: bool,
    pub texte: String,
    #[serde(default)]
    pub pieces: Vec<Attachment>,
    pub le: DateTime<Utc>,
}

/// A thread with its messages, in order (for a family: without the
/// internal notes).
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub thread: Thread,
    pub messages: Vec<Message>,
}

impl Conversation {
    /// An attachment of one of its messages.
    pub fn attachment(&self, id: &str) -> Option<&Attachment> {
        self.messages
            .iter()
            .flat_map(|m| m.pieces.iter())
            .find(|p| p.id == id)
    }
}

pub const THREAD_PREFIX: &str = "FIL#";

pub fn thread_key(dossier: &str, id: &str) -> Key {
    Key::new(
        crate::domain::dossier::partition(dossier),
        format!("{THREAD_PREFIX}{id}"),
    )
}

pub fn messages_prefix(thread: &str) -> String {
    format!("MSG#{thread}#")
}

fn message_key(dossier: &str, m: &Message) -> Key {
    Key::new(
        crate::domain::dossier::partition(dossier),
        format!("{}{}", messages_prefix(&m.fil), m.id),
    )
}

/// A service's inbox: its open threads, or its closed ones.
pub fn inbox_partition(service: &str, closed: bool) -> String {
    format!(
        "MESSAGERIE#{service}#{}",
        if closed { "clos" } else { "ouverts" }
    )
}

pub fn thread_item(t: &Thread) -> Result<Item, StoreError> {
    let since = t.attente_depuis.unwrap_or(t.dernier_le);
    Ok(
        Item::from_record(thread_key(&t.dossier, &t.id), t)?.with_gsi1(
            inbox_partition(&t.service, t.statut == Status::Clos),
            format!("{}#{}", since.format("%Y-%m-%dT%H:%M:%S%.6fZ"), t.id),
        ),
    )
}

pub fn message_item(dossier: &str, m: &Message) -> Result<Item, StoreError> {
    Item::from_record(message_key(dossier, m), m)
}
