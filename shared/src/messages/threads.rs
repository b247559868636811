//! Threads stored and changed. Each change is one transaction conditional
//! on the thread's version (a reply, a take, a forward, a close): two
//! agents taking a thread at once, one gets it; two replies at once are
//! both kept, in order (the one that lost the race reads the thread again
//! and goes after). E-mails say that a message waits and link to the
//! thread; they never carry a message's content.

use super::rules::NewThread;
use super::{
    Attachment, Author, Conversation, Message, Status, THREAD_PREFIX, Thread, message_item,
    messages_prefix, thread_item, thread_key,
};
use crate::access::{Decider, FamilyAccess, Granted};
use crate::app::App;
use crate::files::{FileError, check_upload, generated_key};
use crate::store::{
    CommitError, Condition, Item, Key, Query, Store, StoreError, Transaction, Update, Write,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ThreadError {
    /// The thread changed too many times meanwhile.
    #[error("le fil a changé entre-temps")]
    Conflict,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Keeps a message's files (already checked by
/// [`super::rules::check_attachments`]) under generated names.
pub async fn keep_attachments(
    app: &App,
    files: Vec<Vec<u8>>,
) -> Result<Vec<Attachment>, ThreadError> {
    let mut kept = Vec::new();
    for bytes in files {
        let Ok(kind) = check_upload(&bytes) else {
            continue;
        };
        let fichier = generated_key("messages", kind);
        let taille = bytes.len() as u64;
        if let Err(e) = app.files.put(&fichier, bytes, kind).await {
            discard(app, &kept).await;
            return Err(e.into());
        }
        kept.push(Attachment {
            id: ulid::Ulid::new().to_string(),
            fichier,
            format: kind.extension().to_owned(),
            taille,
        });
    }
    Ok(kept)
}

/// Removes files kept for a message that was not written (best effort).
pub async fn discard(app: &App, pieces: &[Attachment]) {
    for p in pieces {
        if let Err(e) = app.files.delete(&p.fichier).await {
            tracing::warn!(error = %e, "pièce jointe orpheline non supprimée");
        }
    }
}

/// A dossier's threads, the latest activity first.
pub async fn of_dossier(store: &dyn Store, dossier: &str) -> Result<Vec<Thread>, StoreError> {
    let mut out: Vec<Thread> = store
        .query_all(
            Query::partition(crate::domain::dossier::partition(dossier)).prefix(THREAD_PREFIX),
        )
        .await?
        .iter()
        .map(Item::record)
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|t| std::cmp::Reverse(t.dernier_le));
    Ok(out)
}

/// The town's messages a family has not read, over its threads.
pub fn unread(threads: &[Thread]) -> u32 {
    threads.iter().map(|t| t.non_lus).sum()
}

async fn thread(
    store: &dyn Store,
    dossier: &str,
    id: &str,
) -> Result<Option<(Thread, u64)>, StoreError> {
    match store.get(&thread_key(dossier, id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// A thread with its messages in order (`notes`: with the internal ones),
/// and the thread's version.
pub async fn conversation(
    store: &dyn Store,
    dossier: &str,
    id: &str,
    notes: bool,
) -> Result<Option<(Conversation, u64)>, StoreError> {
    let Some((thread, version)) = thread(store, dossier, id).await? else {
        return Ok(None);
    };
    let messages = store
        .query_all(
            Query::partition(crate::domain::dossier::partition(dossier))
                .prefix(messages_prefix(id)),
        )
        .await?
        .iter()
        .map(Item::record::<Message>)
        .filter(|m| m.as_ref().map_or(true, |m| notes || !m.interne))
        .collect::<Result<_, _>>()?;
    Ok(Some((Conversation { thread, messages }, version)))
}

/// A service's open threads, or its closed ones (newest first, at most
/// `limit`).
pub async fn inbox(
    store: &dyn Store,
    service: &str,
    closed: bool,
    limit: usize,
) -> Result<Vec<Thread>, StoreError> {
    let query = Query::gsi1(super::inbox_partition(service, closed));
    let items = if closed {
        store.query(&query.descending().limit(limit)).await?.items
    } else {
        store.query_all(query).await?
    };
    items.iter().map(Item::record).collect()
}

/// Whether a thread matches an inbox search: its dossier, its family's
/// name or its subject (case and accents ignored).
pub fn matches(t: &Thread, q: &str) -> bool {
    let fold = crate::accounts::names::fold;
    let q = fold(q.trim());
    q.is_empty()
        || [&t.dossier, &t.famille, &t.sujet]
            .iter()
            .any(|f| fold(f).contains(&q))
}

fn message(
    fil: &str,
    auteur: Author,
    interne: bool,
    texte: &str,
    pieces: Vec<Attachment>,
    now: DateTime<Utc>,
) -> Message {
    Message {
        id: ulid::Ulid::new().to_string(),
        fil: fil.to_owned(),
        auteur,
        interne,
        texte: texte.to_owned(),
        pieces,
        le: now,
    }
}

/// What opens a thread.
pub struct Opening<'a> {
    pub dossier: &'a str,
    pub service: &'a str,
    pub theme: &'a str,
    pub sujet: &'a str,
    pub texte: &'a str,
    pub facture: Option<&'a str>,
    pub auteur: Author,
    pub pieces: Vec<Attachment>,
}

/// The name of a dossier's family, for the inbox.
async fn family_name(store: &dyn Store, dossier: &str) -> Result<String, StoreError> {
    Ok(crate::dossiers::get(store, dossier)
        .await?
        .and_then(|d| {
            d.responsables
                .first()
                .map(|r| format!("{} {}", r.nom, r.prenom))
        })
        .unwrap_or_default())
}

/// A new thread and its first message, and their writes (for the
/// transaction of what opens it).
pub async fn opening_writes(
    app: &App,
    o: Opening<'_>,
) -> Result<(Thread, Message, Vec<Write>), StoreError> {
    let now = app.clock.now();
    let by_town = matches!(o.auteur, Author::Agent { .. });
    let id = ulid::Ulid::new().to_string();
    let thread = Thread {
        id: id.clone(),
        dossier: o.dossier.to_owned(),
        famille: family_name(app.store.as_ref(), o.dossier).await?,
        service: o.service.to_owned(),
        services: vec![o.service.to_owned()],
        theme: o.theme.to_owned(),
        sujet: o.sujet.to_owned(),
        facture: o.facture.map(str::to_owned),
        statut: if by_town {
            Status::Repondu
        } else {
            Status::Nouveau
        },
        pris_par: None,
        cree_le: now,
        dernier_le: now,
        attente_depuis: (!by_town).then_some(now),
        non_lus: u32::from(by_town),
        par_la_mairie: by_town,
    };
    let first = message(&id, o.auteur, false, o.texte, o.pieces, now);
    let writes = vec![
        Write::put_at(thread_item(&thread)?, 0),
        Write::Put {
            item: message_item(o.dossier, &first)?,
            condition: Condition::NotExists,
        },
    ];
    Ok((thread, first, writes))
}

/// The page of a thread, for a family.
pub fn family_path(id: &str) -> String {
    format!("/messagerie/{id}")
}

fn service_name(app: &App, id: &str) -> String {
    app.settings
        .service(id)
        .map_or_else(|| id.to_owned(), |s| s.nom.clone())
}

/// A family writes to a service: the thread, its first message, the
/// démarche in "Mon dossier", and (if asked) the e-mail that confirms it
/// to the writer — one transaction.
pub async fn start_by_family(
    app: &App,
    family: &FamilyAccess,
    new: &NewThread,
    pieces: Vec<Attachment>,
) -> Result<Thread, ThreadError> {
    let numero = family.numero().as_str();
    let (thread, _, mut writes) = opening_writes(
        app,
        Opening {
            dossier: numero,
            service: &new.service,
            theme: &new.theme,
            sujet: &new.sujet,
            texte: &new.texte,
            facture: new.facture.as_deref(),
            auteur: Author::Famille {
                nom: family.account().display_name(),
            },
            pieces,
        },
    )
    .await?;
    let service = service_name(app, &new.service);
    writes.push(crate::dossiers::demarche(
        numero,
        thread.cree_le,
        &format!("Message à « {service} » : {}", new.sujet),
        "envoyé",
    )?);
    if new.confirmation {
        let notice = crate::mail::texts::message_sent(&service, &family_path(&thread.id));
        writes.push(crate::outbox::queue(
            notice.to(
                &app.settings.commune,
                &family.account().courriel,
                &app.config.public_url,
            ),
            thread.cree_le,
        )?);
    }
    app.store.transact(writes).await?;
    Ok(thread)
}

/// An agent starts a thread with a family ("document à renvoyer"): the
/// family is told by e-mail that a message waits.
pub async fn start_by_agent(
    app: &App,
    decider: &Decider,
    dossier: &str,
    theme: &str,
    sujet: &str,
    texte: &str,
    pieces: Vec<Attachment>,
) -> Result<Thread, ThreadError> {
    let (thread, mut writes) =
        agent_opening(app, decider, dossier, theme, sujet, texte, pieces).await?;
    writes.push(decider.agent().actor().audit(
        dossier,
        thread.cree_le,
        "messagerie",
        format!("message envoyé à la famille : {sujet}"),
    )?);
    app.store.transact(writes).await?;
    Ok(thread)
}

/// The writes of a thread an agent opens, with the family's notice.
pub async fn agent_opening(
    app: &App,
    decider: &Decider,
    dossier: &str,
    theme: &str,
    sujet: &str,
    texte: &str,
    pieces: Vec<Attachment>,
) -> Result<(Thread, Vec<Write>), ThreadError> {
    let service = decider.service().id();
    let (thread, _, mut writes) = opening_writes(
        app,
        Opening {
            dossier,
            service,
            theme,
            sujet,
            texte,
            facture: None,
            auteur: Author::Agent {
                nom: decider.agent().account().display_name(),
                service: service.to_owned(),
            },
            pieces,
        },
    )
    .await?;
    let notice =
        crate::mail::texts::message_waiting(&service_name(app, service), &family_path(&thread.id));
    writes.extend(crate::outbox::queue_for_family(app, dossier, &notice).await?);
    Ok((thread, writes))
}

/// Who replies in a thread.
pub enum Replier<'a> {
    Family(&'a FamilyAccess),
    /// An agent of the thread's service; `interne`: a note the family never
    /// sees.
    Agent {
        decider: &'a Decider,
        interne: bool,
    },
}

/// A reply in a thread (read again at each try): the family's waits for
/// the agent who took the thread (or for the service, if nobody did or it
/// was closed); an agent's answers it, counts as unread for
/// the family and tells it by e-mail; a note changes nothing the family
/// sees. Both replies of a race are kept, in order.
pub async fn reply(
    app: &App,
    conv: &Granted<Conversation>,
    by: Replier<'_>,
    texte: &str,
    pieces: Vec<Attachment>,
) -> Result<Message, ThreadError> {
    let store = app.store.as_ref();
    let dossier = conv.thread.dossier.clone();
    let now = app.clock.now();
    let (auteur, interne) = match &by {
        Replier::Family(f) => (
            Author::Famille {
                nom: f.account().display_name(),
            },
            false,
        ),
        Replier::Agent { decider, interne } => {
            decider.covers(&conv.thread.service)?;
            (
                Author::Agent {
                    nom: decider.agent().account().display_name(),
                    service: decider.service().id().to_owned(),
                },
                *interne,
            )
        }
    };
    let msg = message(&conv.thread.id, auteur, interne, texte, pieces, now);
    for _ in 0..10 {
        let Some((mut t, version)) = thread(store, &dossier, &conv.thread.id).await? else {
            return Err(crate::access::Denied::NotFound.into());
        };
        let mut tx = Transaction::new();
        tx.add(
            false,
            Write::Put {
                item: message_item(&dossier, &msg)?,
                condition: Condition::NotExists,
            },
        );
        match &by {
            Replier::Agent { interne: true, .. } => {}
            Replier::Family(_) => {
                t.dernier_le = now;
                // Back to the agent who took it, unless it was closed.
                if t.statut == Status::Clos {
                    t.pris_par = None;
                }
                t.statut = if t.pris_par.is_some() {
                    Status::EnCours
                } else {
                    Status::Nouveau
                };
                t.attente_depuis = t.attente_depuis.or(Some(now));
                tx.add(true, Write::put_at(thread_item(&t)?, version));
            }
            Replier::Agent { decider, .. } => {
                t.dernier_le = now;
                t.statut = Status::Repondu;
                t.attente_depuis = None;
                t.non_lus += 1;
                t.pris_par = Some(decider.agent().account().display_name());
                tx.add(true, Write::put_at(thread_item(&t)?, version));
                let notice = crate::mail::texts::message_waiting(
                    &service_name(app, &t.service),
                    &family_path(&t.id),
                );
                tx.extend(
                    false,
                    crate::outbox::queue_for_family(app, &dossier, &notice).await?,
                );
            }
        }
        match store.commit(tx).await {
            Ok(()) => return Ok(msg),
            Err(
                CommitError::Failed(true) | CommitError::Store(StoreError::TransactionConflict),
            ) => {}
            Err(CommitError::Failed(false)) => return Err(StoreError::ConditionFailed.into()),
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(ThreadError::Conflict)
}

/// A change of the thread as read (take, close, forward): one conditional
/// write with the audit line. `Ok(false)`: it changed meanwhile.
async fn change(
    app: &App,
    decider: &Decider,
    conv: &Granted<Conversation>,
    after: Thread,
    note: Option<Message>,
    audit: String,
) -> Result<bool, ThreadError> {
    decider.covers(&conv.thread.service)?;
    let mut tx = Transaction::new();
    tx.add(true, Write::put_at(thread_item(&after)?, conv.version()))
        .add(
            false,
            decider
                .agent()
                .actor()
                .audit(&after.dossier, app.clock.now(), "messagerie", audit)?,
        );
    if let Some(n) = note {
        tx.add(
            false,
            Write::Put {
                item: message_item(&after.dossier, &n)?,
                condition: Condition::NotExists,
            },
        );
    }
    match app.store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(true) | CommitError::Store(StoreError::TransactionConflict)) => {
            Ok(false)
        }
        Err(CommitError::Failed(false)) => Err(StoreError::ConditionFailed.into()),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// An agent takes a thread (its name shows in the inbox).
pub async fn take(
    app: &App,
    decider: &Decider,
    conv: &Granted<Conversation>,
) -> Result<bool, ThreadError> {
    let mut t = conv.thread.clone();
    let name = decider.agent().account().display_name();
    t.pris_par = Some(name.clone());
    if t.statut == Status::Nouveau {
        t.statut = Status::EnCours;
    }
    change(
        app,
        decider,
        conv,
        t,
        None,
        format!("fil « {} » pris par {name}", conv.thread.sujet),
    )
    .await
}

/// An agent closes a thread (a family's reply opens it again).
pub async fn close(
    app: &App,
    decider: &Decider,
    conv: &Granted<Conversation>,
) -> Result<bool, ThreadError> {
    let mut t = conv.thread.clone();
    t.statut = Status::Clos;
    t.attente_depuis = None;
    change(
        app,
        decider,
        conv,
        t,
        None,
        format!("fil « {} » clos", conv.thread.sujet),
    )
    .await
}

/// An agent forwards a thread to another service, with a note for it (an
/// internal note of the thread).
pub async fn forward(
    app: &App,
    decider: &Decider,
    conv: &Granted<Conversation>,
    to: &str,
    note: &str,
) -> Result<bool, ThreadError> {
    let mut t = conv.thread.clone();
    let from = service_name(app, &t.service);
    let dest = service_name(app, to);
    t.service = to.to_owned();
    if !t.services.iter().any(|s| s == to) {
        t.services.push(to.to_owned());
    }
    t.pris_par = None;
    if t.statut != Status::Clos {
        t.statut = Status::Nouveau;
    }
    let now = app.clock.now();
    let text = if note.is_empty() {
        format!("Transféré de « {from} » à « {dest} ».")
    } else {
        format!("Transféré de « {from} » à « {dest} » : {note}")
    };
    let n = message(
        &t.id,
        Author::Agent {
            nom: decider.agent().account().display_name(),
            service: decider.service().id().to_owned(),
        },
        true,
        &text,
        vec![],
        now,
    );
    let audit = format!("fil « {} » transféré à {dest}", t.sujet);
    change(app, decider, conv, t, Some(n), audit).await
}

/// The family has read its thread: nothing unread, unless a reply came in
/// since the page was read (the write is conditional on that version).
pub async fn mark_read(store: &dyn Store, conv: &Granted<Conversation>) -> Result<(), StoreError> {
    if conv.thread.non_lus == 0 {
        return Ok(());
    }
    let result = store
        .write(Write::Update {
            key: thread_key(&conv.thread.dossier, &conv.thread.id),
            update: Update::default().set("non_lus", 0),
            condition: Condition::VersionEquals(conv.version()),
        })
        .await;
    match result {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A service's saved reply ("réponse enregistrée") for frequent answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedReply {
    pub id: String,
    pub titre: String,
    pub texte: String,
}

fn saved_key(service: &str, id: &str) -> Key {
    Key::new(format!("REPONSES#{service}"), id)
}

/// A service's saved replies, oldest first.
pub async fn saved_replies(
    store: &dyn Store,
    service: &str,
) -> Result<Vec<SavedReply>, StoreError> {
    store
        .query_all(Query::partition(format!("REPONSES#{service}")))
        .await?
        .iter()
        .map(Item::record)
        .collect()
}

pub async fn save_reply(
    app: &App,
    decider: &Decider,
    titre: &str,
    texte: &str,
) -> Result<SavedReply, StoreError> {
    let r = SavedReply {
        id: ulid::Ulid::new().to_string(),
        titre: titre.to_owned(),
        texte: texte.to_owned(),
    };
    app.store
        .put(
            Item::from_record(saved_key(decider.service().id(), &r.id), &r)?,
            Condition::NotExists,
        )
        .await?;
    Ok(r)
}

pub async fn delete_reply(app: &App, decider: &Decider, id: &str) -> Result<(), StoreError> {
    app.store
        .write(Write::Delete {
            key: saved_key(decider.service().id(), id),
            condition: Condition::Always,
        })
        .await
}
