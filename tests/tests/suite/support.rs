//! What the tests share: moto's address, AWS clients pointed at it, and a
//! fresh store of either backend on a fixed clock.

use aws_sdk_dynamodb::config::Credentials;
use chrono::{TimeZone, Utc};
use shared::clock::{Clock, FixedClock};
use shared::store::Store;
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;
use std::sync::Arc;

/// moto's address, or a failure that says how to get one.
pub fn moto_url() -> String {
    std::env::var("EF_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "ce test a besoin de moto_server (DynamoDB et SES) : lancez `tests/run.sh`, \
             ou démarrez `moto_server -H 127.0.0.1 -p 5000` et exportez EF_TEST_MOTO_URL=http://127.0.0.1:5000"
        )
    })
}

/// SDK settings for moto: fixed test credentials, a region, short timeouts.
pub async fn aws_config() -> aws_config::SdkConfig {
    let base = shared::app::aws_sdk_config("eu-west-3").await;
    base.into_builder()
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "tests"),
        ))
        .endpoint_url(moto_url())
        .build()
}

/// A store under test, with the clock it reads and what keeps it alive.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub clock: FixedClock,
    _dir: Option<tempfile::TempDir>,
}

pub fn start_clock() -> FixedClock {
    FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap())
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = start_clock();
    let store = SqliteStore::open(
        &dir.path().join("portal.db"),
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )
    .expect("open SQLite");
    Backend {
        store: Arc::new(store),
        clock,
        _dir: Some(dir),
    }
}

pub async fn dynamodb() -> Backend {
    let client = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = format!("t{}", ulid::Ulid::new()).to_lowercase();
    DynamoStore::create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("création de la table sur moto ({}) : {e}", moto_url()));
    let clock = start_clock();
    Backend {
        store: Arc::new(DynamoStore::new(client, table, Arc::new(clock.clone()))),
        clock,
        _dir: None,
    }
}
