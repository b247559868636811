//! The transactional outbox: a message is written with the change it
//! announces or not at all; the sender retries while SES refuses and sends
//! once when it answers; two senders racing on one message send one e-mail;
//! after the last attempt the message is listed for agents, who send it
//! again.

use crate::agents::agent_of;
use crate::support::TestPortal;
use async_trait::async_trait;
use chrono::Duration;
use shared::accounts::service::{self, SignUp};
use shared::outbox::{self, Delivery};
use shared::store::{Item, Key, Page, Query, Store, StoreError, Write};
use std::sync::Arc;

fn signup(email: &str, username: &str) -> SignUp {
    SignUp {
        nom: "Durand".into(),
        prenom: "Alice".into(),
        courriel: email.into(),
        identifiant: username.into(),
        mot_de_passe: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g"
            .into(),
        dossier: None,
    }
}

/// The embedded store, failing any write of an outbox item: the store
/// "fails between the change and the mail".
struct FailsOnMail(Arc<dyn Store>);

fn touches_outbox(writes: &[Write]) -> bool {
    writes.iter().any(|w| w.key().pk.starts_with("OUTBOX#"))
}

#[async_trait]
impl Store for FailsOnMail {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.0.query(query).await
    }
    async fn write(&self, write: Write) -> Result<(), StoreError> {
        if touches_outbox(std::slice::from_ref(&write)) {
            return Err(StoreError::Unavailable("panne simulée".into()));
        }
        self.0.write(write).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if touches_outbox(&writes) {
            return Err(StoreError::Unavailable("panne simulée".into()));
        }
        self.0.transact(writes).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.0.ping().await
    }
}

#[tokio::test]
async fn a_change_and_its_message_are_written_together_or_not_at_all() {
    let portal = TestPortal::sqlite().await;
    let mut app = portal.app.clone();
    app.store = Arc::new(FailsOnMail(portal.app.store.clone()));
    let failed = service::register(&app, signup("alice@example.org", "alice.durand")).await;
    assert!(failed.is_err(), "the store failed: the sign-up must fail");
    // Nothing of the change was written: the username is still free.
    assert!(
        service::find_for_login(
            portal.app.store.as_ref(),
            shared::accounts::Kind::Family,
            "alice.durand"
        )
        .await
        .unwrap()
        .is_none()
    );
    assert_eq!(outbox::waiting(portal.app.store.as_ref()).await.unwrap(), 0);
    // And with the store whole, both are.
    service::register(&portal.app, signup("alice@example.org", "alice.durand"))
        .await
        .unwrap();
    assert_eq!(outbox::waiting(portal.app.store.as_ref()).await.unwrap(), 1);
    assert_eq!(portal.mails_to("alice@example.org").await.len(), 1);
    assert_eq!(outbox::waiting(portal.app.store.as_ref()).await.unwrap(), 0);
}

/// The portal on moto with its sender withdrawn from SES (every message
/// refused), and a sign-up made meanwhile: its address.
async fn signed_up_while_ses_refuses() -> (TestPortal, String) {
    let portal = TestPortal::aws().await;
    portal.set_sender_verified(false).await;
    let to = format!("famille-{}@example.org", ulid::Ulid::new()).to_lowercase();
    let username = format!("u{}", ulid::Ulid::new()).to_lowercase();
    service::register(&portal.app, signup(&to, &username))
        .await
        .expect("sign-up does not depend on SES");
    (portal, to)
}

#[tokio::test]
async fn sign_up_succeeds_while_ses_refuses_and_the_mail_leaves_once_it_answers() {
    let (portal, to) = signed_up_while_ses_refuses().await;
    let first = portal.deliver_mail().await;
    assert_eq!((first.sent, first.retrying), (0, 1), "{first:?}");
    assert_eq!(outbox::waiting(portal.app.store.as_ref()).await.unwrap(), 1);
    // Not due again before its back-off.
    assert_eq!(portal.deliver_mail().await, outbox::Run::default());
    portal.set_sender_verified(true).await;
    portal.clock.advance(Duration::minutes(1));
    let second = portal.deliver_mail().await;
    assert_eq!(second.sent, 1, "{second:?}");
    let mails = portal.mails_to(&to).await;
    assert_eq!(mails.len(), 1, "sent once");
    assert!(mails[0].contains("/compte/activation?jeton="));
    assert_eq!(outbox::waiting(portal.app.store.as_ref()).await.unwrap(), 0);
}

#[tokio::test]
async fn two_senders_racing_on_one_message_send_one_email() {
    for portal in [TestPortal::sqlite().await, TestPortal::aws().await] {
        let to = format!("famille-{}@example.org", ulid::Ulid::new()).to_lowercase();
        let now = portal.app.clock.now();
        let write = outbox::queue(
            shared::mail::texts::password_reset(&portal.app.settings.commune, &to, "http://x/y"),
            now,
        )
        .unwrap();
        let id = outbox::id_of(&write.key().pk).unwrap().to_owned();
        portal.app.store.transact(vec![write]).await.unwrap();
        let (a, b) = tokio::join!(
            outbox::deliver(&portal.app, &id),
            outbox::deliver(&portal.app, &id)
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        assert_eq!(
            outcomes.iter().filter(|o| **o == Delivery::Sent).count(),
            1,
            "{outcomes:?}"
        );
        assert!(outcomes.contains(&Delivery::Skipped));
        assert_eq!(portal.mails_to(&to).await.len(), 1);
        // Delivered again later: nothing happens.
        assert_eq!(
            outbox::deliver(&portal.app, &id).await.unwrap(),
            Delivery::Skipped
        );
    }
}

#[tokio::test]
async fn undelivered_mail_is_listed_for_agents_and_sent_again() {
    let (portal, to) = signed_up_while_ses_refuses().await;
    let mut last = outbox::Run::default();
    for _ in 0..outbox::MAX_ATTEMPTS {
        last = portal.deliver_mail().await;
        portal.clock.advance(Duration::hours(4));
    }
    assert_eq!(last.undelivered, 1, "{last:?}");
    let undelivered = outbox::undelivered(portal.app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(undelivered.len(), 1);
    assert!(
        undelivered[0]
            .derniere_erreur
            .as_deref()
            .unwrap_or_default()
            .contains("MessageRejected"),
        "{undelivered:?}"
    );

    let mut agent = agent_of(
        &portal,
        "claire.martin@ville.example.org",
        shared::accounts::Service::Enfance,
    )
    .await;
    let page = agent.get("/agents/courriels").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&to), "{}", page.body);
    assert!(page.body.contains("MessageRejected"));
    portal.set_sender_verified(true).await;
    let action = format!("/agents/courriels/{}/renvoyer", undelivered[0].id);
    let sent = agent.post(&action, &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    // Sent again once: a second click finds nothing to resend.
    let again = agent.post(&action, &[]).await;
    assert_eq!(again.status, 404);
    assert_eq!(portal.mails_to(&to).await.len(), 1);
    assert!(
        outbox::undelivered(portal.app.store.as_ref())
            .await
            .unwrap()
            .is_empty()
    );
    let page = agent.get("/agents/courriels").await;
    assert!(page.body.contains("Aucun courriel non distribué"));
}
