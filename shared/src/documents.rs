//! A dossier's documents: stored (file in the files port, record in the
//! store), listed, read back for download by the owner or an agent, and
//! found invalid by an agent — which tells the family to send a new one.

use crate::app::App;
use crate::domain::document::{self, Document, Source};
use crate::dossiers::{Actor, UpdateError, demarche};
use crate::files::{FileError, FileKind, UploadError, check_upload, generated_key};
use crate::ids::RecordId;
use crate::store::{Condition, Item, Query, Store, StoreError, Write};
use chrono::{DateTime, Utc};

/// Why an upload could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum StoreFileError {
    /// The family's or agent's file is refused (the message is for them).
    #[error(transparent)]
    Refused(#[from] UploadError),
    #[error(transparent)]
    Files(#[from] FileError),
}

/// What an upload is, before it is kept.
pub struct NewDocument<'a> {
    pub libelle: &'a str,
    pub piece: Option<&'a str>,
    pub source: Source,
}

/// Checks an upload (type by content, size) and keeps its bytes under a
/// generated name; the record returned is still to be written, in the
/// transaction of what it comes with.
pub async fn keep_file(
    app: &App,
    bytes: Vec<u8>,
    what: NewDocument<'_>,
    now: DateTime<Utc>,
) -> Result<Document, StoreFileError> {
    let kind = check_upload(&bytes)?;
    let fichier = generated_key("documents", kind);
    let taille = bytes.len() as u64;
    app.files.put(&fichier, bytes, kind).await?;
    Ok(Document {
        id: ulid::Ulid::new().to_string(),
        libelle: what.libelle.to_owned(),
        piece: what.piece.map(str::to_owned),
        fichier,
        format: kind.extension().to_owned(),
        taille,
        depose_le: now,
        source: what.source,
        invalide: None,
    })
}

/// Removes files kept for a write that did not happen (best effort: an
/// orphan file is harmless, it is never listed).
pub async fn discard_files(app: &App, docs: &[Document]) {
    for d in docs {
        if let Err(e) = app.files.delete(&d.fichier).await {
            tracing::warn!(error = %e, "fichier orphelin non supprimé");
        }
    }
}

/// The write of a new document record.
pub fn write(numero: &str, doc: &Document) -> Result<Write, StoreError> {
    Ok(Write::Put {
        item: Item::from_record(document::key(numero, &doc.id), doc)?,
        condition: Condition::NotExists,
    })
}

/// Adds a document on its own (from "Mes documents", or published by an
/// agent), with the démarche or the audit entry that records it.
pub async fn add(
    app: &App,
    numero: &str,
    doc: &Document,
    actor: Option<&Actor<'_>>,
) -> Result<(), StoreError> {
    let record = match actor {
        Some(a) => a.audit(
            numero,
            doc.depose_le,
            "document publié",
            doc.libelle.clone(),
        )?,
        None => demarche(
            numero,
            doc.depose_le,
            &format!("Document envoyé : {}", doc.libelle),
            "reçu",
        )?,
    };
    let result = app
        .store
        .transact(vec![
            Write::Check {
                key: crate::domain::dossier::key(numero),
                condition: Condition::Exists,
            },
            write(numero, doc)?,
            record,
        ])
        .await;
    if result.is_err() {
        discard_files(app, std::slice::from_ref(doc)).await;
    }
    result
}

/// The dossier's documents, newest first.
pub async fn list(store: &dyn Store, numero: &str) -> Result<Vec<Document>, StoreError> {
    let mut docs: Vec<Document> = store
        .query_all(Query::partition(crate::domain::dossier::partition(numero)).prefix("DOCUMENT#"))
        .await?
        .iter()
        .map(Item::record)
        .collect::<Result<_, _>>()?;
    docs.sort_by_key(|d| std::cmp::Reverse(d.depose_le));
    Ok(docs)
}

/// One document of the dossier, with its version; `None` when the id is not
/// one of this dossier's.
pub async fn get(
    store: &dyn Store,
    numero: &str,
    id: &RecordId,
) -> Result<Option<(Document, u64)>, StoreError> {
    match store.get(&document::key(numero, id.as_str())).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// A document's bytes and kind, to send as an attachment: only a document
/// the session was granted (its family's, or any for an agent).
pub async fn read(
    app: &App,
    doc: &crate::access::Granted<Document>,
) -> Result<Option<(Vec<u8>, FileKind)>, FileError> {
    app.files.get(&doc.fichier).await
}

/// The file name a download is offered under: the label, made safe.
pub fn download_name(doc: &Document) -> String {
    use unicode_normalization::UnicodeNormalization;
    // ASCII only (a header value): accents dropped, the rest a hyphen.
    let stem: String = doc
        .libelle
        .nfd()
        .filter(char::is_ascii)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem: String = stem.chars().take(60).collect();
    format!(
        "{}.{}",
        if stem.is_empty() { "document" } else { &stem },
        doc.format
    )
}

/// Who refuses a document, for what reason, for which service.
pub struct Refusal<'a> {
    pub motif: &'a str,
    pub actor: &'a Actor<'a>,
    /// The agent's service: the thread "document à renvoyer" is its.
    pub service: &'a str,
}

/// An agent finds a document invalid: the reason is kept on it, the
/// démarche history and the audit trail record it, a thread of the agent's
/// service ("Document à renvoyer") tells the family why, where it can
/// answer, and the family is told by e-mail to send a new one.
pub async fn invalidate(
    app: &App,
    numero: &str,
    id: &RecordId,
    refusal: &Refusal<'_>,
) -> Result<Document, UpdateError> {
    let (motif, actor) = (refusal.motif, refusal.actor);
    let now = app.clock.now();
    let Some((mut doc, version)) = get(app.store.as_ref(), numero, id).await? else {
        return Err(UpdateError::Conflict);
    };
    if doc.invalide.is_some() {
        return Err(UpdateError::Conflict);
    }
    doc.invalide = Some(motif.to_owned());
    let notice = crate::mail::texts::document_refused(&doc.libelle, motif);
    let mut writes = vec![
        Write::Put {
            item: Item::from_record(document::key(numero, id.as_str()), &doc)?,
            condition: Condition::VersionEquals(version),
        },
        demarche(
            numero,
            now,
            &format!("Document à renvoyer : {} — {motif}", doc.libelle),
            "à renvoyer",
        )?,
        actor.audit(
            numero,
            now,
            "document refusé",
            format!("{} : {motif}", doc.libelle),
        )?,
    ];
    writes.extend(crate::outbox::queue_for_family(app, numero, &notice).await?);
    let sujet = format!("Document à renvoyer : {}", doc.libelle);
    let texte = format!(
        "Le document « {} » n'a pas pu être accepté, pour la raison suivante : {motif}\n\nMerci d'en envoyer un nouveau depuis la rubrique « Mes documents » de votre dossier. Pour toute question, répondez à ce message.",
        doc.libelle
    );
    let (_, _, thread) = crate::messages::threads::opening_writes(
        app,
        crate::messages::threads::Opening {
            dossier: numero,
            service: refusal.service,
            theme: "Document demandé",
            sujet: &sujet,
            texte: &texte,
            facture: None,
            auteur: crate::messages::Author::Agent {
                nom: actor.name.to_owned(),
                service: refusal.service.to_owned(),
            },
            pieces: vec![],
        },
    )
    .await?;
    writes.extend(thread);
    match app.store.transact(writes).await {
        Ok(()) => Ok(doc),
        Err(StoreError::TransactionCancelled { .. }) => Err(UpdateError::Conflict),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_come_from_the_label() {
        let doc = Document {
            id: "x".into(),
            libelle: "Attestation de quotient familial (CAF ou MSA)".into(),
            piece: None,
            fichier: "documents/x.pdf".into(),
            format: "pdf".into(),
            taille: 1,
            depose_le: Utc::now(),
            source: Source::Famille,
            invalide: None,
        };
        assert_eq!(
            download_name(&doc),
            "Attestation-de-quotient-familial-CAF-ou-MSA.pdf"
        );
        let odd = Document {
            libelle: "\"; /..\\".into(),
            ..doc
        };
        assert_eq!(download_name(&odd), "document.pdf");
        let accents = Document {
            libelle: "Reçu été".into(),
            ..odd
        };
        assert_eq!(download_name(&accents), "Recu-ete.pdf");
    }
}
