//! The transactional outbox: an e-mail is an item written in the same
//! transaction as the change it announces ([`queue`]); a sender delivers it
//! afterwards ([`deliver`]). So a change is never announced without being
//! made, nor made without its message waiting to leave, whatever the mail
//! service does meanwhile.
//!
//! Delivery is at most once per attempt and idempotent by message id: a
//! sender first *claims* the message (one conditional write on the version
//! it read, which moves its next attempt past a lease), then sends it under
//! `Message-ID: <id@…>`, then marks it sent. Two senders racing on one
//! message: one claim succeeds, the other sender skips it. A failure is
//! retried with back-off ([`retry_delay`]); after the last attempt the
//! message is *undelivered* and listed for operators, who may send it again.
//!
//! Who runs the sender: locally, a background task of the portal woken by
//! the embedded store when an outbox item is written; on AWS, the `mailer`
//! function on the table's stream (new outbox items only). Retries are due
//! work for the scheduled jobs ([`crate::jobs`]) on both.
//!
//! A message's body may hold a one-time link: it is erased once sent (the
//! recipient, subject and dates stay, for the record, until the item expires).

use crate::app::App;
use crate::mail::{Mail, MailError};
use crate::store::{Condition, Item, Key, Query, Store, StoreError, Write};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// GSI1 partition of the messages waiting for an attempt, sorted by when
/// the next attempt is due.
const DUE: &str = "OUTBOX#A_ENVOYER";
/// GSI1 partition of the messages that could not be delivered.
const UNDELIVERED: &str = "OUTBOX#NON_DISTRIBUE";
/// How long a claim holds a message: past it, another sender may take it
/// again (a sender that stopped mid-way).
const LEASE: Duration = Duration::minutes(2);
/// How long a delivered message's record is kept.
const KEEP_SENT: Duration = Duration::days(30);

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting for its next attempt.
    AEnvoyer,
    Envoye,
    /// Every attempt failed: an operator decides.
    NonDistribue,
    /// Sent again by an operator, as a new message.
    Renvoye,
}

/// One message of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub courriel: Mail,
    pub etat: State,
    /// Attempts made so far.
    pub tentatives: u32,
    /// When the next attempt is due (or, claimed, when the claim lapses).
    pub prochain_essai: DateTime<Utc>,
    pub cree_le: DateTime<Utc>,
    #[serde(default)]
    pub envoye_le: Option<DateTime<Utc>>,
    /// Why the last attempt failed (the transport's words; never the body).
    #[serde(default)]
    pub derniere_erreur: Option<String>,
}

impl Message {
    fn key(id: &str) -> Key {
        Key::new(format!("OUTBOX#{id}"), "OUTBOX")
    }

    /// The item, indexed by what the message waits for.
    fn item(&self, version: u64, now: DateTime<Utc>) -> Result<Item, StoreError> {
        let mut item = Item::from_record(Self::key(&self.id), self)?;
        item.version = version;
        match self.etat {
            State::AEnvoyer => {
                item.gsi1 = Some(Key::new(
                    DUE,
                    format!("{:012}#{}", self.prochain_essai.timestamp(), self.id),
                ))
            }
            State::NonDistribue => {
                item.gsi1 = Some(Key::new(
                    UNDELIVERED,
                    format!("{}#{}", self.cree_le.to_rfc3339(), self.id),
                ))
            }
            State::Envoye | State::Renvoye => item.expires_at = Some((now + KEEP_SENT).timestamp()),
        }
        Ok(item)
    }
}

/// The write that puts a message in the outbox: add it to the transaction
/// of the change the message announces.
pub fn queue(mail: Mail, now: DateTime<Utc>) -> Result<Write, StoreError> {
    let message = Message {
        id: ulid::Ulid::new().to_string(),
        courriel: mail,
        etat: State::AEnvoyer,
        tentatives: 0,
        prochain_essai: now,
        cree_le: now,
        envoye_le: None,
        derniere_erreur: None,
    };
    Ok(Write::Put {
        item: message.item(0, now)?,
        condition: Condition::NotExists,
    })
}

/// The writes that queue a notice to every active account of a dossier,
/// for the transaction of the change it announces.
pub async fn queue_for_family(
    app: &App,
    numero: &str,
    notice: &crate::mail::texts::FamilyNotice,
) -> Result<Vec<Write>, StoreError> {
    let accounts = crate::accounts::service::linked_accounts(app.store.as_ref(), numero).await?;
    queue_to(app, &accounts, notice)
}

/// The writes that queue a notice to these accounts (read by the caller).
pub fn queue_to(
    app: &App,
    accounts: &[crate::accounts::Account],
    notice: &crate::mail::texts::FamilyNotice,
) -> Result<Vec<Write>, StoreError> {
    let now = app.clock.now();
    accounts
        .iter()
        .map(|account| {
            let mail = notice.to(
                &app.settings.commune,
                &account.courriel,
                &app.config.public_url,
            );
            queue(mail, now)
        })
        .collect()
}

/// The outbox id of a stored item's key, if it is an outbox item.
pub fn id_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("OUTBOX#")
        .filter(|id| ulid::Ulid::from_string(id).is_ok())
}

/// Attempts made before a message is declared undelivered.
pub const MAX_ATTEMPTS: u32 = 6;

/// How long to wait after a failed attempt (`attempts` made so far), or
/// `None` when it was the last: 1 min, 5 min, 15 min, 1 h, 4 h — a little
/// over 5 h in all, enough for a mail service's incident.
pub fn retry_delay(attempts: u32) -> Option<Duration> {
    match attempts {
        0 | 1 => Some(Duration::minutes(1)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(15)),
        4 => Some(Duration::hours(1)),
        5 => Some(Duration::hours(4)),
        _ => None,
    }
}

/// Whether a mail error will not heal by waiting (a malformed address).
fn is_permanent(e: &MailError) -> bool {
    matches!(e, MailError::Address(_) | MailError::Build(_))
}

/// What one delivery attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent,
    /// Already sent, claimed by another sender, or not due yet: nothing done.
    Skipped,
    /// Failed; the next attempt is due then.
    Retrying(DateTime<Utc>),
    /// Failed for the last time: listed for operators.
    Undelivered,
}

async fn read(store: &dyn Store, id: &str) -> Result<Option<(Message, u64)>, StoreError> {
    match store.get(&Message::key(id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Stores a message's new state if it is still at `version`; `false` when
/// another sender changed it meanwhile.
async fn save(app: &App, message: &Message, version: u64) -> Result<bool, StoreError> {
    match app
        .store
        .put(
            message.item(version, app.clock.now())?,
            Condition::VersionEquals(version),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// One delivery attempt of a message, if it is due: claim, send, record.
pub async fn deliver(app: &App, id: &str) -> Result<Delivery, StoreError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    let Some((mut message, version)) = read(store, id).await? else {
        return Ok(Delivery::Skipped);
    };
    if message.etat != State::AEnvoyer || message.prochain_essai > now {
        return Ok(Delivery::Skipped);
    }
    message.tentatives += 1;
    message.prochain_essai = now + LEASE;
    if !save(app, &message, version).await? {
        return Ok(Delivery::Skipped);
    }
    let claimed = version + 1;
    let sent = app.mail.send(&message.id, &message.courriel).await;
    let outcome = match sent {
        Ok(_) => {
            let sent_at = app.clock.now();
            tracing::info!(
                message = %message.id,
                attente_ms = (sent_at - message.cree_le).num_milliseconds(),
                "courriel remis"
            );
            message.etat = State::Envoye;
            message.envoye_le = Some(sent_at);
            message.derniere_erreur = None;
            message.courriel.text.clear();
            message.courriel.html.clear();
            message.courriel.attachments.clear();
            Delivery::Sent
        }
        Err(e) => {
            tracing::warn!(message = %message.id, tentative = message.tentatives, error = %e, "courriel non remis");
            message.derniere_erreur = Some(e.to_string());
            match retry_delay(message.tentatives).filter(|_| !is_permanent(&e)) {
                Some(wait) => {
                    message.prochain_essai = app.clock.now() + wait;
                    Delivery::Retrying(message.prochain_essai)
                }
                None => {
                    message.etat = State::NonDistribue;
                    tracing::error!(message = %message.id, "courriel non distribué après la dernière tentative");
                    Delivery::Undelivered
                }
            }
        }
    };
    if !save(app, &message, claimed).await? {
        // The claim lapsed and another sender took the message: its record
        // wins; this attempt is only logged.
        tracing::warn!(message = %message.id, "issue d'un envoi non enregistrée : le message a été repris");
    }
    Ok(outcome)
}

/// What a run over the due messages did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    pub sent: usize,
    pub retrying: usize,
    pub undelivered: usize,
    /// Stopped at the deadline with messages still due.
    pub more: bool,
}

/// Delivers the messages due now, oldest due first, until none is left or
/// the deadline passes (a run is bounded in time).
pub async fn deliver_due(app: &App, deadline: std::time::Instant) -> Result<Run, StoreError> {
    let mut run = Run::default();
    loop {
        let now = app.clock.now().timestamp();
        let page = app
            .store
            .query(
                &Query::gsi1(DUE)
                    .between("0", format!("{now:012}~"))
                    .limit(25),
            )
            .await?;
        if page.items.is_empty() {
            return Ok(run);
        }
        let mut progressed = false;
        for item in page.items {
            if std::time::Instant::now() >= deadline {
                run.more = true;
                return Ok(run);
            }
            let Some(id) = id_of(&item.key.pk) else {
                continue;
            };
            match deliver(app, id).await? {
                Delivery::Sent => run.sent += 1,
                Delivery::Retrying(_) => run.retrying += 1,
                Delivery::Undelivered => run.undelivered += 1,
                Delivery::Skipped => continue,
            }
            progressed = true;
        }
        if !progressed {
            return Ok(run);
        }
    }
}

/// The messages that could not be delivered, newest first.
pub async fn undelivered(store: &dyn Store) -> Result<Vec<Message>, StoreError> {
    store
        .query_all(Query::gsi1(UNDELIVERED).descending())
        .await?
        .iter()
        .map(Item::record)
        .collect()
}

/// The messages still waiting for an attempt.
pub async fn waiting(store: &dyn Store) -> Result<usize, StoreError> {
    Ok(store.query_all(Query::gsi1(DUE)).await?.len())
}

/// Sends an undelivered message again, as a new message (so the stream
/// sees it), and records who did it; `false` when it was not undelivered
/// anymore (sent again by someone else meanwhile).
pub async fn resend(
    app: &App,
    id: &str,
    agent: &crate::accounts::Account,
) -> Result<bool, StoreError> {
    let store = app.store.as_ref();
    let Some((mut message, version)) = read(store, id).await? else {
        return Ok(false);
    };
    if message.etat != State::NonDistribue {
        return Ok(false);
    }
    let now = app.clock.now();
    let again = queue(message.courriel.clone(), now)?;
    message.etat = State::Renvoye;
    let entry = crate::audit::Entry {
        agent: agent.id.clone(),
        agent_nom: agent.display_name(),
        le: now,
        action: "courriel renvoyé".into(),
        detail: format!("message {} (« {} »)", message.id, message.courriel.subject),
    };
    let writes = vec![
        Write::Put {
            item: message.item(version, now)?,
            condition: Condition::VersionEquals(version),
        },
        again,
        crate::audit::write("OUTBOX", &entry)?,
    ];
    match store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCancelled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        let waits: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(
            waits,
            vec![
                Some(Duration::minutes(1)),
                Some(Duration::minutes(5)),
                Some(Duration::minutes(15)),
                Some(Duration::hours(1)),
                Some(Duration::hours(4)),
                None
            ]
        );
    }

    #[test]
    fn only_outbox_keys_name_a_message() {
        let id = ulid::Ulid::new().to_string();
        assert_eq!(id_of(&format!("OUTBOX#{id}")), Some(id.as_str()));
        assert_eq!(id_of("OUTBOX#../x"), None);
        assert_eq!(id_of("DOSSIER#D1"), None);
    }

    #[test]
    fn a_queued_message_is_due_at_once_and_new() {
        let now = Utc::now();
        let mail = Mail {
            to: "a@example.org".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            attachments: vec![],
        };
        let Write::Put { item, condition } = queue(mail, now).unwrap() else {
            panic!("a put");
        };
        assert_eq!(condition, Condition::NotExists);
        let gsi1 = item.gsi1.unwrap();
        assert_eq!(gsi1.pk, DUE);
        assert!(gsi1.sk.starts_with(&format!("{:012}#", now.timestamp())));
        assert!(id_of(&item.key.pk).is_some());
    }
}
