//! Paying: the re-check job over 10,000 open attempts (the local test
//! gateway answering from the same embedded store), and the SEPA file of
//! 20,000 collections. `cargo bench -p shared --bench payment`.

shared::allocator!();

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use shared::App;
use shared::clock::FixedClock;
use shared::config::Config;
use shared::domain::invoice::Invoice;
use shared::payment::attempts::{self, Urls};
use shared::payment::sepa::{self, Collection, Creditor, Mandate, MandateStatus};
use std::sync::Arc;
use std::time::Instant;

const ATTEMPTS: usize = 10_000;
const COLLECTIONS: usize = 20_000;

async fn recheck() {
    let dir = tempfile::tempdir().unwrap();
    let vars: std::collections::HashMap<&str, String> = [
        (
            "EF_SQLITE_PATH",
            dir.path().join("p.db").display().to_string(),
        ),
        (
            "EF_OUTBOX_DIR",
            dir.path().join("outbox").display().to_string(),
        ),
        (
            "EF_FILES_DIR",
            dir.path().join("files").display().to_string(),
        ),
    ]
    .into_iter()
    .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("configuration");
    let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 26, 6, 0, 0).unwrap());
    let app = App::from_config(config, Arc::new(clock.clone()))
        .await
        .expect("app");
    let urls = Urls {
        notification: "http://127.0.0.1:8080/paiement/notification".into(),
        retour: "http://127.0.0.1:8080/paiement/retour".into(),
    };
    let started = Instant::now();
    for i in 0..ATTEMPTS {
        let inv = Invoice {
            numero: format!("F-2026-{i:06}"),
            dossier: format!("B{i:07}"),
            ..shared::demo::long_invoice()
        };
        app.store
            .put(
                shared::domain::invoice::item(&inv).unwrap(),
                shared::store::Condition::NotExists,
            )
            .await
            .unwrap();
        attempts::start(&app, &inv, None, "famille@example.org", &urls)
            .await
            .unwrap();
        // A hundred a second (all within the re-check's window).
        if i % 100 == 99 {
            clock.advance(Duration::seconds(1));
        }
    }
    println!(
        "tentatives : {ATTEMPTS} ouvertes en {:.1} s (aucune réponse encore : P5)",
        started.elapsed().as_secs_f64()
    );
    clock.advance(Duration::minutes(10));
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs(3600);
    let settled = attempts::recheck(&app, deadline).await.unwrap();
    println!(
        "re-vérification : {ATTEMPTS} tentatives en attente interrogées en {:.2} s ({settled} réglées : P5 à moins de 20 minutes, toutes restent en attente)",
        started.elapsed().as_secs_f64()
    );
    clock.advance(Duration::minutes(30));
    let started = Instant::now();
    let settled = attempts::recheck(&app, deadline).await.unwrap();
    println!(
        "re-vérification après 20 minutes : {settled} tentatives expirées en {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

fn sepa_file() {
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let collections: Vec<Collection> = (0..COLLECTIONS)
        .map(|i| Collection {
            mandate: Mandate {
                rum: format!("EF-B{i:07}-20260902071203"),
                dossier: format!("B{i:07}"),
                titulaire: format!("Famille {i}"),
                iban: "FR7630001007941234567890185".into(),
                bic: None,
                signe_le: d("2026-09-02"),
                statut: MandateStatus::Actif,
                fin_le: None,
                fin_motif: None,
                derniere_collecte: (i % 10 != 0).then(|| d("2026-11-05")),
            },
            facture: format!("F-2026-{i:06}"),
            montant: rust_decimal::Decimal::new(2310 + (i as i64 % 9000), 2),
        })
        .collect();
    let creditor = Creditor {
        nom: "Régie centrale de Val-d'Albarine".into(),
        iban: "FR3310071010000000200012345".into(),
        ics: "FR72ZZZ123456".into(),
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let xml = sepa::pain008(
            &creditor,
            "PRLV-2026-12-05",
            at,
            d("2026-12-05"),
            &collections,
        )
        .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        size = xml.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "fichier SEPA : {COLLECTIONS} prélèvements (FRST et RCUR) en {:.0} ms (médiane de 5 ; de {:.0} à {:.0} ms), {size} octets",
        times[2], times[0], times[4]
    );
}

#[tokio::main]
async fn main() {
    sepa_file();
    recheck().await;
}
