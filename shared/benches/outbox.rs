//! How long an e-mail waits in the outbox locally: the local portal's
//! worker (`shared::jobs::run_locally`) on the embedded store and the
//! `.eml` folder transport, as `cargo run` runs them. Each round commits a
//! message as a change would (one transaction), then waits until the sender
//! has marked it sent; the wait is `envoye_le - cree_le`, both from the
//! system clock. 200 messages, one at a time, then 200 queued at once.
//!
//! `cargo bench -p shared --bench outbox`

use shared::App;
use shared::clock::SystemClock;
use shared::config::Config;
use shared::mail::Mail;
use shared::outbox::{self, Message, State};
use shared::store::Key;
use std::sync::Arc;
use std::time::Duration;

fn mail(i: usize) -> Mail {
    Mail {
        to: format!("famille{i}@example.org"),
        subject: "Espace Famille — activez votre compte".into(),
        text: "Bonjour,\n\nActiver mon compte : https://famille.example.org/compte/activation?jeton=x\n".into(),
        html: "<p>Bonjour,</p>".into(),
        attachments: vec![],
    }
}

async fn message(app: &App, id: &str) -> Message {
    app.store
        .get(&Key::new(format!("OUTBOX#{id}"), "OUTBOX"))
        .await
        .unwrap()
        .expect("message")
        .record()
        .unwrap()
}

async fn sent_wait_ms(app: &App, id: &str) -> f64 {
    loop {
        let m = message(app, id).await;
        if m.etat == State::Envoye {
            let waited = m.envoye_le.unwrap() - m.cree_le;
            return waited.num_microseconds().unwrap() as f64 / 1000.0;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn report(label: &str, mut waits: Vec<f64>) {
    waits.sort_by(f64::total_cmp);
    let at = |q: f64| waits[((waits.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label} : p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms ({} messages)",
        at(0.5),
        at(0.9),
        waits[waits.len() - 1],
        waits.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let vars: std::collections::HashMap<String, String> = [
        ("EF_SQLITE_PATH", dir.path().join("bench.db")),
        ("EF_OUTBOX_DIR", dir.path().join("outbox")),
        ("EF_FILES_DIR", dir.path().join("files")),
        ("EF_SITE_DIR", dir.path().join("site")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.display().to_string()))
    .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("configuration");
    let app = App::from_config(config, Arc::new(SystemClock))
        .await
        .expect("app");
    tokio::spawn(shared::jobs::run_locally(
        app.clone(),
        shared::jobs::LOCAL_INTERVAL,
    ));
    let queue = |i: usize| {
        let write = outbox::queue(mail(i), app.clock.now()).unwrap();
        let id = outbox::id_of(&write.key().pk).unwrap().to_owned();
        (write, id)
    };
    let mut one_at_a_time = Vec::new();
    for i in 0..200 {
        let (write, id) = queue(i);
        app.store.transact(vec![write]).await.unwrap();
        one_at_a_time.push(sent_wait_ms(&app, &id).await);
    }
    report("un message à la fois", one_at_a_time);
    let mut ids = Vec::new();
    for i in 0..200 {
        let (write, id) = queue(i);
        app.store.transact(vec![write]).await.unwrap();
        ids.push(id);
    }
    let mut burst = Vec::new();
    for id in &ids {
        burst.push(sent_wait_ms(&app, id).await);
    }
    report("200 messages d'un coup", burst);
}
