//! Registrations: asked by a family with its supporting documents, listed,
//! queued for the service that validates them (oldest first), and decided by
//! an agent — validated, or refused with a reason — with the démarche
//! history, the audit trail and an e-mail to the family.

pub mod rules;

use crate::access::{Decider, Granted};
use crate::app::App;
use crate::documents;
use crate::domain::document::Document;
use crate::domain::dossier;
use crate::domain::dossier::Child;
use crate::domain::inscription::{self, Inscription, Status};
use crate::dossiers::{UpdateError, demarche};
use crate::ids::RecordId;
use crate::store::{CommitError, Condition, Item, Query, Store, StoreError, Transaction, Write};

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The child already has a registration (waiting or validated) to this
    /// activity for this school year.
    #[error("inscription déjà demandée")]
    Duplicate,
    /// The child is no longer in the dossier.
    #[error("enfant introuvable")]
    UnknownChild,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn queued_item(ins: &Inscription, service: &str) -> Result<Item, StoreError> {
    let item = Item::from_record(inscription::key(&ins.numero, &ins.id), ins)?;
    Ok(match ins.statut {
        Status::EnAttente => item.with_gsi1(
            inscription::queue_partition(service),
            inscription::queue_sort(ins),
        ),
        _ => item,
    })
}

fn request_label(ins: &Inscription) -> String {
    format!(
        "Inscription {} — {}",
        crate::text::de(&ins.enfant_nom),
        ins.activite_nom
    )
}

/// Records a request with its new documents (already kept in the files
/// port) and the démarche, in one transaction: the child must still be in
/// the dossier, and no other live request of the child to the activity for
/// the year may exist. The kept files are removed if it fails.
pub async fn create(
    app: &App,
    child: &Granted<Child>,
    ins: &Inscription,
    new_documents: &[Document],
    service: &str,
) -> Result<(), CreateError> {
    // The dossier and the child are the proof's, whatever the record said.
    let ins = &Inscription {
        numero: child.numero().to_string(),
        enfant: child.id.clone(),
        ..ins.clone()
    };
    let numero = &ins.numero;
    let mut tx = Transaction::new();
    tx.add(
        Part::Child,
        Write::Check {
            key: dossier::child_key(numero, &ins.enfant),
            condition: Condition::Exists,
        },
    )
    .add(
        Part::Unique,
        Write::Put {
            item: Item::new(
                inscription::unique_key(numero, &ins.enfant, &ins.activite, &ins.annee),
                [("inscription".to_owned(), ins.id.clone().into())]
                    .into_iter()
                    .collect(),
            ),
            condition: Condition::NotExists,
        },
    )
    .add(
        Part::Other,
        Write::Put {
            item: queued_item(ins, service)?,
            condition: Condition::NotExists,
        },
    )
    .add(
        Part::Other,
        demarche(
            numero,
            ins.demande_le,
            &request_label(ins),
            Status::EnAttente.label(),
        )?,
    );
    for d in new_documents {
        tx.add(Part::Other, documents::write(numero, d)?);
    }
    let result = app.store.commit(tx).await;
    if result.is_err() {
        documents::discard_files(app, new_documents).await;
    }
    match result {
        Ok(()) => Ok(()),
        Err(CommitError::Failed(Part::Child)) => Err(CreateError::UnknownChild),
        Err(CommitError::Failed(Part::Unique)) => Err(CreateError::Duplicate),
        Err(CommitError::Failed(Part::Other)) => Err(StoreError::Corrupt(
            "inscription : un identifiant nouveau existe déjà".into(),
        )
        .into()),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// The writes of a new request, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The child must still be in the dossier.
    Child,
    /// No other live request of the child to the activity this year.
    Unique,
    Other,
}

/// The dossier's registrations, newest first.
pub async fn list(store: &dyn Store, numero: &str) -> Result<Vec<Inscription>, StoreError> {
    let mut all: Vec<Inscription> = store
        .query_all(Query::partition(dossier::partition(numero)).prefix("INSCRIPTION#"))
        .await?
        .iter()
        .map(Item::record)
        .collect::<Result<_, _>>()?;
    all.sort_by_key(|i| std::cmp::Reverse(i.demande_le));
    Ok(all)
}

/// One registration of the dossier, with its version.
pub async fn get(
    store: &dyn Store,
    numero: &str,
    id: &RecordId,
) -> Result<Option<(Inscription, u64)>, StoreError> {
    match store.get(&inscription::key(numero, id.as_str())).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// A service's registrations waiting for a decision, oldest first.
pub async fn queue(store: &dyn Store, service: &str) -> Result<Vec<Inscription>, StoreError> {
    store
        .query_all(Query::gsi1(inscription::queue_partition(service)))
        .await?
        .iter()
        .map(Item::record)
        .collect()
}

/// An agent's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Validate,
    Refuse(String),
}

/// Decides a waiting registration still at `version`, for the service of
/// its activity only: its status, the démarche, the audit entry (and, when
/// refused, the freed slot for a new request and the e-mail to the family)
/// in one transaction. A validation then books the days asked in the
/// planning and tells the family what was booked.
pub async fn decide(
    app: &App,
    decider: &Decider,
    numero: &str,
    id: &RecordId,
    version: u64,
    decision: Decision,
) -> Result<Inscription, UpdateError> {
    let now = app.clock.now();
    let Some((mut ins, current)) = get(app.store.as_ref(), numero, id).await? else {
        return Err(UpdateError::Conflict);
    };
    let service = app
        .settings
        .activity(&ins.activite)
        .map_or("", |a| a.service.as_str());
    decider.covers(service)?;
    let actor = &decider.agent().actor();
    if current != version || ins.statut != Status::EnAttente {
        return Err(UpdateError::Conflict);
    }
    let (statut, motif) = match &decision {
        Decision::Validate => (Status::Validee, None),
        Decision::Refuse(m) => (Status::Refusee, Some(m.clone())),
    };
    ins.statut = statut;
    ins.motif = motif.clone();
    ins.decide_le = Some(now);
    ins.decide_par = Some(actor.name.to_owned());
    let shown = match &motif {
        Some(m) => format!("{} : {m}", statut.label()),
        None => statut.label().to_owned(),
    };
    let mut writes = vec![
        Write::Put {
            // Out of the queue: no GSI1 key once decided.
            item: queued_item(&ins, "")?,
            condition: Condition::VersionEquals(version),
        },
        demarche(numero, now, &request_label(&ins), &shown)?,
        actor.audit(
            numero,
            now,
            &format!("inscription {}", statut.label()),
            format!(
                "{} — {}{}",
                ins.enfant_nom,
                ins.activite_nom,
                motif
                    .as_ref()
                    .map(|m| format!(" : {m}"))
                    .unwrap_or_default()
            ),
        )?,
    ];
    if let Some(reason) = &motif {
        let notice = crate::mail::texts::registration_decided(
            &ins.enfant_nom,
            &ins.activite_nom,
            ins.debut,
            crate::mail::texts::Decided::Refused { reason },
        );
        writes.extend(crate::outbox::queue_for_family(app, numero, &notice).await?);
    }
    if statut == Status::Refusee {
        writes.push(Write::Delete {
            key: inscription::unique_key(numero, &ins.enfant, &ins.activite, &ins.annee),
            condition: Condition::Always,
        });
    }
    match app.store.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::TransactionCancelled { .. }) => return Err(UpdateError::Conflict),
        Err(e) => return Err(e.into()),
    }
    if statut == Status::Validee {
        ins.reservations = Some(book_validated(app, decider, numero, &ins).await?);
    }
    Ok(ins)
}

/// Books a validated registration's days in its child's planning, keeps
/// what was booked on it, and tells the family (the validation is already
/// recorded: a booking that fails leaves the family to book, and says so).
async fn book_validated(
    app: &App,
    decider: &Decider,
    numero: &str,
    ins: &Inscription,
) -> Result<String, UpdateError> {
    let store = app.store.as_ref();
    let dossier = crate::ids::DossierNumber::parse(numero).map_err(|_| UpdateError::Conflict)?;
    let booked = match decider.agent().child(store, &dossier, &ins.enfant).await? {
        Ok(child) => match crate::planning::booking::book_registration(app, &child, ins).await {
            Ok(b) => b.summary(),
            Err(e) => {
                tracing::warn!(error = %e, "réservation des jours de l'inscription");
                "Les jours n'ont pas pu être réservés : réservez-les dans le planning.".to_owned()
            }
        },
        Err(_) => "Réservez les jours dans le planning.".to_owned(),
    };
    store
        .write(Write::Update {
            key: inscription::key(numero, &ins.id),
            update: crate::store::Update::default().set("reservations", booked.clone()),
            condition: Condition::Exists,
        })
        .await?;
    let notice = crate::mail::texts::registration_decided(
        &ins.enfant_nom,
        &ins.activite_nom,
        ins.debut,
        crate::mail::texts::Decided::Validated { booked: &booked },
    );
    let mails = crate::outbox::queue_for_family(app, numero, &notice).await?;
    if !mails.is_empty() {
        store.transact(mails).await?;
    }
    Ok(booked)
}
