//! Cold start of each Lambda binary against the local Runtime API
//! (`e2e::runtime_api`): the process started as Lambda starts it, then the
//! time to its first `invocation/next` (its init) and to its first
//! response, `RUNS` times each, beside the `hello-lambda` reference built
//! with the same profile. Run by `bench/cold-start.sh`, which builds the
//! binaries and starts moto (`EF_BENCH_MOTO_URL`); a table is made there.
//!
//!   cold-start <binaries folder> <runs> [function…]

use e2e::runtime_api::{Function, HttpRequest, Outcome, scheduled_event, stream_event};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The first event each function gets: a page (a redirect to the login for
/// the signed-in groups), a stream record, a schedule; for `site`, the
/// content's generation changed (it builds and uploads the whole site).
fn first_event(name: &str) -> Value {
    match name {
        "account" => HttpRequest::get("/compte/connexion").event(),
        "backoffice" => HttpRequest::get("/agents/connexion").event(),
        "dossier" => HttpRequest::get("/dossier").event(),
        "factures" => HttpRequest::get("/factures").event(),
        "inscriptions" => HttpRequest::get("/inscriptions").event(),
        "messagerie" => HttpRequest::get("/messagerie").event(),
        "paiement" => HttpRequest::get("/paiement/prelevement").event(),
        "planning" => HttpRequest::get("/planning").event(),
        "mailer" => stream_event("OUTBOX#01JBENCH000000000000000000", "OUTBOX"),
        "jobs" => scheduled_event(),
        "site" => stream_event("SITE#ETAT", "generation"),
        _ => HttpRequest::get("/").event(),
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The template's variables, on a new table and a new site bucket of
/// moto's.
async fn variables() -> Vec<(String, String)> {
    let moto = std::env::var("EF_BENCH_MOTO_URL").expect("EF_BENCH_MOTO_URL (moto)");
    let sdk = shared::app::aws_sdk_config("eu-west-3").await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(&moto)
        .build();
    let table = format!("bench{}", ulid::Ulid::new()).to_lowercase();
    shared::store::dynamo::DynamoStore::create_table(
        &aws_sdk_dynamodb::Client::from_conf(config),
        &table,
    )
    .await
    .expect("table on moto");
    let (_, site_bucket) = e2e::moto_bucket(&sdk, &moto, "site").await;
    [
        ("EF_STORE", "dynamodb"),
        ("EF_DYNAMODB_TABLE", &table),
        ("EF_DYNAMODB_ENDPOINT", &moto),
        ("EF_MAIL", "ses"),
        ("EF_SES_ENDPOINT", &moto),
        ("EF_MAIL_FROM", "Mairie <ne-pas-repondre@ville.example.org>"),
        ("EF_FILES", "s3"),
        ("EF_S3_BUCKET", "fichiers"),
        ("EF_S3_ENDPOINT", &moto),
        ("EF_PUBLIC_URL", "https://famille.example.org"),
        ("EF_SITE_BUCKET", &site_bucket),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).expect("dossier des binaires"));
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    let names: Vec<String> = if args.len() > 3 {
        args[3..].to_vec()
    } else {
        [
            "hello-lambda",
            "account",
            "backoffice",
            "dossier",
            "factures",
            "inscriptions",
            "messagerie",
            "paiement",
            "planning",
            "mailer",
            "jobs",
            "site",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let vars = variables().await;
    println!(
        "| binary | size (bytes) | init median | init max | first response median | first response max |"
    );
    println!("|---|---|---|---|---|---|");
    for name in &names {
        let binary = dir.join(name);
        let size = std::fs::metadata(&binary)
            .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
            .len();
        let (mut init, mut first) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let mut function = Function::start(&binary, name, &vars).await;
            function.api.initialised().await;
            let ready = function.api.first_next().expect("init");
            init.push(ready - function.started);
            match function.invoke(first_event(name)).await {
                Outcome::Response(_) => {}
                other => panic!("{name}: {other:?}\n{}", function.log()),
            }
            first.push(function.started.elapsed());
        }
        let (init_max, first_max) = (*init.iter().max().unwrap(), *first.iter().max().unwrap());
        println!(
            "| `{name}` | {size} | {} ms | {} ms | {} ms | {} ms |",
            ms(median(&mut init)),
            ms(init_max),
            ms(median(&mut first)),
            ms(first_max)
        );
    }
}
