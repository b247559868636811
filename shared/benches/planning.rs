//! Server time of the planning's heavy operations (`bench/planning.sh` runs
//! it, with moto for the DynamoDB figures):
//! - saving a full month for two children (restauration + morning care on
//!   every school day: about 40 cells), p50 and p99 over 40 saves, each one
//!   a whole month booked or cancelled;
//! - the daily counts of 1,500 children (reading the day's entries and
//!   counting them per school).
//!
//! `cargo bench -p shared --bench planning` (SQLite only), or with
//! `EF_BENCH_MOTO_URL=http://127.0.0.1:PORT` for the month saves on
//! DynamoDB (moto) too.

use chrono::{NaiveDate, TimeZone, Utc};
use shared::App;
use shared::clock::FixedClock;
use shared::config::Config;
use shared::domain::dossier::Child;
use shared::planning::{self, Change};
use std::sync::Arc;
use std::time::Instant;

/// What a signed-in family of `numero` is granted for one of its children.
fn granted(numero: &str, child: &Child) -> shared::access::Granted<Child> {
    use shared::accounts::{Account, Kind, Status};
    let account = Account {
        statut: Status::Active,
        dossier: Some(numero.into()),
        ..Account::new(
            Kind::Family,
            ("Essai", "Banc"),
            "banc@example.org",
            "banc",
            Utc::now(),
        )
    };
    shared::access::FamilyAccess::of(account)
        .expect("family")
        .child(std::slice::from_ref(child), &child.id)
        .expect("child")
}

fn child(id: &str, ecole: &str) -> Child {
    Child {
        id: id.into(),
        nom: "Banc".into(),
        prenom: id.into(),
        naissance: "2018-05-12".parse().unwrap(),
        ecole: ecole.into(),
        classe: "CE2".into(),
        regime: id.len().is_multiple_of(3).then(|| "sans porc".to_owned()),
        pai: id.len().is_multiple_of(7),
    }
}

/// Every school day of January 2027 for the canteen and the morning care.
fn month_changes(reserve: bool) -> Vec<Change> {
    let s = shared::settings::embedded();
    let canteen = s.activity("restauration").unwrap();
    let first: NaiveDate = "2027-01-01".parse().unwrap();
    first
        .iter_days()
        .take(31)
        .filter(|d| shared::calendar::runs_on(canteen, &s.calendrier, *d))
        .flat_map(|d| {
            [("restauration", "repas"), ("periscolaire", "matin")].map(|(a, u)| Change {
                activity: a.into(),
                unit: u.into(),
                slot: d,
                reserve,
            })
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn app(vars: &[(&str, String)], dir: &std::path::Path) -> App {
    let mut all: std::collections::HashMap<String, String> = [
        ("EF_SQLITE_PATH", dir.join("bench.db").display().to_string()),
        ("EF_OUTBOX_DIR", dir.join("outbox").display().to_string()),
        ("EF_FILES_DIR", dir.join("files").display().to_string()),
        ("EF_SITE_DIR", dir.join("site").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let config = Config::from_lookup(|k| all.get(k).cloned()).expect("configuration");
    let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap());
    App::from_config(config, Arc::new(clock))
        .await
        .expect("app")
}

async fn month_saves(app: &App, label: &str) {
    let kids = [
        child("BANC1", "École élémentaire Jean-Jaurès"),
        child("BANC22", "École élémentaire Jean-Jaurès"),
    ];
    let mut times = Vec::new();
    let mut versions = [0u64, 0u64];
    for round in 0..40u32 {
        let changes = month_changes(round.is_multiple_of(2));
        let start = Instant::now();
        for (i, c) in kids.iter().enumerate() {
            planning::save(
                app,
                &granted("D-BENCH", c),
                "2027-01",
                versions[i],
                &changes,
            )
            .await
            .expect("save");
            versions[i] += 1;
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: a month for two children ({} cells): p50 {:.1} ms, p99 {:.1} ms over {} saves",
        month_changes(true).len() * 2,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.len()
    );
}

async fn daily_counts(app: &App, label: &str) {
    let day: NaiveDate = "2027-01-05".parse().unwrap();
    let schools = [
        "École élémentaire Jean-Jaurès",
        "École élémentaire Les Allymes",
        "École maternelle Les Tilleuls",
    ];
    for i in 0..1500 {
        let c = child(&format!("K{i:04}"), schools[i % 3]);
        let mut changes = vec![Change {
            activity: "restauration".into(),
            unit: "repas".into(),
            slot: day,
            reserve: true,
        }];
        if i.is_multiple_of(2) {
            changes.push(Change {
                activity: "periscolaire".into(),
                unit: "matin".into(),
                slot: day,
                reserve: true,
            });
        }
        planning::save(
            app,
            &granted(&format!("D-K{i:04}"), &c),
            "2027-01",
            0,
            &changes,
        )
        .await
        .expect("seed");
    }
    let mut times = Vec::new();
    let mut meals = 0;
    for _ in 0..10 {
        let start = Instant::now();
        let entries = planning::day_entries(app.store.as_ref(), day)
            .await
            .expect("entries");
        let counts = shared::planning::counts::daily(shared::settings::embedded(), &entries);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        meals = counts.iter().map(|c| c.meals).sum::<usize>();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: daily counts of 1,500 children ({meals} meals, 2,250 entries): p50 {:.1} ms, max {:.1} ms over {} runs",
        percentile(&times, 0.5),
        times[times.len() - 1],
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = app(&[], dir.path()).await;
    month_saves(&sqlite, "SQLite").await;
    daily_counts(&sqlite, "SQLite").await;
    if let Ok(url) = std::env::var("EF_BENCH_MOTO_URL") {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-3"))
            .endpoint_url(&url)
            .load()
            .await;
        let table = format!("bench{}", ulid::Ulid::new()).to_lowercase();
        shared::store::dynamo::DynamoStore::create_table(
            &aws_sdk_dynamodb::Client::new(&sdk),
            &table,
        )
        .await
        .expect("table on moto");
        let moto = app(
            &[
                ("EF_STORE", "dynamodb".into()),
                ("EF_DYNAMODB_TABLE", table),
                ("EF_DYNAMODB_ENDPOINT", url),
            ],
            dir.path(),
        )
        .await;
        month_saves(&moto, "DynamoDB (moto)").await;
        // Seeding 1,500 children on moto exceeds the SDK's 10 s timeout as
        // its tables grow: the counts are measured on SQLite only.
    }
}
