//! A billing campaign's draft at scale: N children (two per family), each
//! booked and pointed present at two units (the canteen's meal and the
//! morning care) every school day of November 2026, then a campaign for
//! November run to its complete draft by the jobs' chunks, timed, with the
//! run's peak memory (VmHWM of a process that does only the run).
//!
//! `cargo bench -p shared --bench billing` (100,000 children on the
//! embedded store; the generated store is kept in `target/` and reused);
//! `EF_BENCH_CHILDREN=1500 EF_BENCH_STORE=moto EF_TEST_MOTO_URL=… cargo
//! bench -p shared --bench billing` (1,500 children on DynamoDB/moto).

// The portal's binaries run on this allocator; so does the bench.
shared::allocator!();

use chrono::{NaiveDate, TimeZone, Utc};
use shared::App;
use shared::billing::campaigns::{self, Opening};
use shared::billing::facts;
use shared::clock::FixedClock;
use shared::config::Config;
use shared::domain::dossier::{self, Child, Dossier, PaymentMode, Responsable};
use shared::domain::planning::{DayEntry, Presence, State, day_key};
use shared::ids::MonthId;
use shared::store::{Condition, Item, Write};
use std::sync::Arc;
use std::time::Instant;

const UNITS: [(&str, &str); 2] = [("restauration", "repas"), ("periscolaire", "matin")];

fn school_days() -> Vec<NaiveDate> {
    let s = shared::settings::embedded();
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    first
        .iter_days()
        .take(30)
        .filter(|d| {
            let a = s.activity("restauration").unwrap();
            shared::calendar::runs_on(a, &s.calendrier, *d)
        })
        .collect()
}

fn family(i: usize) -> (Dossier, Vec<Child>) {
    let numero = format!("B{i:07}");
    let d = Dossier {
        numero: numero.clone(),
        responsables: vec![Responsable {
            nom: format!("Famille{i}"),
            prenom: "Camille".into(),
            courriel: None,
            telephone: None,
        }],
        adresse: "1 rue de la Gare, 01500 Val-d'Albarine".into(),
        quotient_familial: Some(rust_decimal::Decimal::from(300 + (i % 1500) as i64)),
        qf_date: None,
        mode_paiement: Some(PaymentMode::Prelevement),
        hors_commune: i.is_multiple_of(10),
    };
    let children = (0..2)
        .map(|k| Child {
            id: format!("E{i:07}{k}"),
            nom: format!("Famille{i}"),
            prenom: ["Léa", "Hugo"][k].into(),
            naissance: NaiveDate::from_ymd_opt(2016 + k as i32, 3, 4).unwrap(),
            ecole: "École élémentaire Jean-Jaurès".into(),
            classe: "CE1".into(),
            regime: None,
            pai: i.is_multiple_of(25),
        })
        .collect();
    (d, children)
}

/// The writes of one family: its dossier, children, and every day entry.
fn family_writes(i: usize, days: &[NaiveDate]) -> Vec<Write> {
    let (d, children) = family(i);
    let put = |item: Item| Write::Put {
        item,
        condition: Condition::Always,
    };
    let mut writes = vec![put(Item::from_record(dossier::key(&d.numero), &d).unwrap())];
    let mut billed = facts::Changes::new(&d.numero);
    for c in &children {
        writes.push(put(Item::from_record(
            dossier::child_key(&d.numero, &c.id),
            c,
        )
        .unwrap()));
        for day in days {
            for (activity, unit) in UNITS {
                let mut e = DayEntry::of(&d.numero, c, activity, unit, Some(State::Reserve));
                e.presence = Some(Presence::Present);
                let item =
                    Item::from_record(day_key(*day, activity, unit, &d.numero, &c.id), &e).unwrap();
                writes.push(put(item));
            }
        }
        for (activity, unit) in UNITS {
            let at = facts::Days {
                child: &c.id,
                activity,
                unit,
                days,
            };
            billed.booked("2026-11", &at, State::Reserve).attended(
                "2026-11",
                &at,
                Presence::Present,
            );
        }
    }
    writes.extend(billed.writes());
    writes
}

async fn app_for(vars: &[(&str, String)]) -> App {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("configuration");
    let clock = FixedClock::at(Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap());
    App::from_config(config, Arc::new(clock))
        .await
        .expect("app")
}

/// Writes the families: by transactions of 100 on the embedded store,
/// one by one on moto (whose transactions slow down as the table grows).
async fn populate(app: &App, families: usize, one_by_one: bool) {
    let days = school_days();
    let started = Instant::now();
    let mut batch = Vec::new();
    for i in 0..families {
        batch.extend(family_writes(i, &days));
        if one_by_one {
            for w in batch.drain(..) {
                app.store.write(w).await.unwrap();
            }
        }
        while batch.len() >= 100 {
            let rest = batch.split_off(100);
            app.store
                .transact(std::mem::replace(&mut batch, rest))
                .await
                .unwrap();
        }
    }
    if !batch.is_empty() {
        app.store.transact(batch).await.unwrap();
    }
    println!(
        "données : {families} familles, {} enfants, {} jours d'école × 2 unités, écrites en {:.1} s",
        families * 2,
        days.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Opens the campaign for November and runs it to its complete draft.
async fn run(app: &App) {
    let regie = {
        use shared::accounts::{Account, Kind, Service, Status};
        let mut a = Account::new(
            Kind::Agent,
            ("Martin", "Claire"),
            "regie@example.org",
            "regie",
            Utc::now(),
        );
        a.statut = Status::Active;
        a.service = Some(Service::Regie);
        shared::access::AgentAccess::of(a)
            .unwrap()
            .decider("regie")
            .unwrap()
    };
    // Opened as the form would (a re-run of the bench opens one more).
    let opening = Opening {
        mois: MonthId::parse("2026-11").unwrap(),
        activites: vec!["periscolaire".into(), "restauration".into()],
        emise_le: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
        echeance: NaiveDate::from_ymd_opt(2027, 1, 5).unwrap(),
        prelevement_le: None,
        corrective: false,
    };
    let c = campaigns::open(app, &regie, opening).await.unwrap();
    let started = Instant::now();
    let mut chunks = 0;
    while campaigns::run_chunk(app, &c.id).await.unwrap() {
        chunks += 1;
    }
    let elapsed = started.elapsed();
    let (c, _) = campaigns::load(app.store.as_ref(), &c.id)
        .await
        .unwrap()
        .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .to_owned();
    println!(
        "brouillon : {} familles, total {} €, {} erreurs, {} étapes, en {:.2} s ; mémoire maximale du processus : {}",
        c.progression.familles,
        c.progression.total,
        c.progression.erreurs,
        chunks + 1,
        elapsed.as_secs_f64(),
        peak.trim_start_matches("VmHWM:").trim()
    );
}

/// One invoice's PDF (40 lines, 3 pages): time to render, size.
fn pdf() {
    let inv = shared::demo::long_invoice();
    let s = shared::settings::embedded();
    let first = shared::billing::pdf::render(s, &inv).unwrap();
    let rounds = 50;
    let started = Instant::now();
    for _ in 0..rounds {
        shared::billing::pdf::render(s, &inv).unwrap();
    }
    println!(
        "PDF : {:.1} ms par facture de 40 lignes (moyenne sur {rounds}), {} octets",
        started.elapsed().as_secs_f64() * 1000.0 / rounds as f64,
        first.len()
    );
}

#[tokio::main]
async fn main() {
    if std::env::var("EF_BENCH_PHASE").as_deref() != Ok("run") {
        pdf();
    }
    let children: usize = std::env::var("EF_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let families = children / 2;
    let dir = tempfile::tempdir().unwrap();
    let common = |db: String| {
        vec![
            ("EF_SQLITE_PATH", db),
            (
                "EF_OUTBOX_DIR",
                dir.path().join("outbox").display().to_string(),
            ),
            (
                "EF_FILES_DIR",
                dir.path().join("files").display().to_string(),
            ),
            ("EF_SITE_DIR", dir.path().join("site").display().to_string()),
        ]
    };
    if std::env::var("EF_BENCH_STORE").as_deref() == Ok("moto") {
        let endpoint = std::env::var("EF_TEST_MOTO_URL").expect("EF_TEST_MOTO_URL");
        let table = format!("bench{}", ulid::Ulid::new()).to_lowercase();
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .load()
            .await;
        shared::store::dynamo::DynamoStore::create_table(
            &aws_sdk_dynamodb::Client::new(&sdk),
            &table,
        )
        .await
        .unwrap();
        let mut vars = common(dir.path().join("unused.db").display().to_string());
        vars.extend([
            ("EF_STORE", "dynamodb".to_owned()),
            ("EF_DYNAMODB_TABLE", table),
            ("EF_DYNAMODB_ENDPOINT", endpoint),
        ]);
        let app = app_for(&vars).await;
        populate(&app, families, true).await;
        run(&app).await;
        return;
    }
    let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/bench-billing-{children}.db"));
    let app = app_for(&common(db.display().to_string())).await;
    if std::env::var("EF_BENCH_PHASE").as_deref() == Ok("run") {
        run(&app).await;
        return;
    }
    if app
        .store
        .get(&dossier::key("B0000000"))
        .await
        .unwrap()
        .is_none()
    {
        populate(&app, families, false).await;
    }
    drop(app);
    // The run in a process of its own: its peak memory is the run's.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("EF_BENCH_PHASE", "run")
        .env("EF_BENCH_CHILDREN", children.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}
