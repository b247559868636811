//! The `App` value every route group is built from: the ports, the clock and
//! the configuration. Built once per process (per Lambda container), never
//! per request.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError, FilesConfig, MailConfig, StoreConfig};
use crate::files::{Files, local::LocalFiles, s3::S3Files};
use crate::mail::{Mailer, folder::MailFolder, ses::Ses};
use crate::settings::Settings;
use crate::store::{Store, StoreError, dynamo::DynamoStore, sqlite::SqliteStore};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub mail: Arc<dyn Mailer>,
    pub files: Arc<dyn Files>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// The commune's settings (school year, activities, tariffs, services),
    /// read once per process.
    pub settings: Arc<Settings>,
    /// Woken when a message is queued in the outbox, on the embedded store
    /// (its sender runs in the local portal); `None` on DynamoDB, where the
    /// table's stream triggers the `mailer` function.
    pub outbox_signal: Option<Arc<tokio::sync::Notify>>,
    /// The payment gateway: PayFiP, or the local test gateway.
    pub payments: Arc<dyn crate::payment::gateway::Gateway>,
    /// What rebuilds the public site after the web team's change: the
    /// local portal's builder, or nothing on AWS (the table's stream runs
    /// the `site` function).
    pub site_builds: Arc<dyn crate::publishing::SiteBuilds>,
    /// The key of the CSRF tokens, shared through the store; read at first
    /// use, so that a store down at start-up gives 503 pages, not a crash.
    secret: Arc<tokio::sync::OnceCell<Vec<u8>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("ouverture du stockage impossible : {0}")]
    Store(#[from] StoreError),
}

impl App {
    /// From the process environment.
    pub async fn from_env() -> Result<Self, StartError> {
        Self::from_config(Config::from_env()?, Arc::new(SystemClock)).await
    }

    /// From the process environment, on AWS services only (the Lambda
    /// functions): the embedded store, the mail folder and the local files
    /// are refused, and their code is not in the binary (SQLite alone is
    /// about 1 MB of it).
    pub async fn on_aws_from_env() -> Result<Self, StartError> {
        Self::build::<false>(Config::from_env()?, Arc::new(SystemClock)).await
    }

    /// From a configuration: AWS clients are made here, once, with timeouts.
    pub async fn from_config(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        Self::build::<true>(config, clock).await
    }

    /// `LOCAL`: whether the local backends may be chosen.
    async fn build<const LOCAL: bool>(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let local_only = |var: &'static str| -> StartError {
            StartError::Config(ConfigError {
                var,
                reason: "un service AWS est attendu sur Lambda (dynamodb, ses, s3)".into(),
            })
        };
        let aws = if config.uses_aws() {
            Some(aws_sdk_config(&config.aws_region).await)
        } else {
            None
        };
        let mut outbox_signal = None;
        let store: Arc<dyn Store> = match (&config.store, &aws) {
            (StoreConfig::Sqlite { .. }, _) if !LOCAL => return Err(local_only("EF_STORE")),
            (StoreConfig::Sqlite { path }, _) => {
                let mut store = SqliteStore::open(path, clock.clone())?;
                outbox_signal = Some(store.stream("OUTBOX#"));
                Arc::new(store)
            }
            (StoreConfig::Dynamo { table, endpoint }, Some(aws)) => {
                let mut builder = aws_sdk_dynamodb::config::Builder::from(aws);
                if let Some(url) = endpoint {
                    builder = builder.endpoint_url(url);
                }
                let client = aws_sdk_dynamodb::Client::from_conf(builder.build());
                Arc::new(DynamoStore::new(client, table, clock.clone()))
            }
            (StoreConfig::Dynamo { .. }, None) => unreachable!("uses_aws covers DynamoDB"),
        };
        let mail: Arc<dyn Mailer> = match (&config.mail, &aws) {
            (MailConfig::Folder { .. }, _) if !LOCAL => return Err(local_only("EF_MAIL")),
            (MailConfig::Folder { dir }, _) => Arc::new(MailFolder::new(dir, &config.mail_from)),
            (MailConfig::Ses { endpoint }, Some(aws)) => {
                let mut builder = aws_sdk_ses::config::Builder::from(aws);
                if let Some(url) = endpoint {
                    builder = builder.endpoint_url(url);
                }
                Arc::new(Ses::new(
                    aws_sdk_ses::Client::from_conf(builder.build()),
                    &config.mail_from,
                ))
            }
            (MailConfig::Ses { .. }, None) => unreachable!("uses_aws covers SES"),
        };
        let files: Arc<dyn Files> = match (&config.files, &aws) {
            (FilesConfig::Local { .. }, _) if !LOCAL => return Err(local_only("EF_FILES")),
            (FilesConfig::Local { dir }, _) => Arc::new(LocalFiles::new(dir)),
            (FilesConfig::S3 { bucket, endpoint }, Some(aws)) => {
                let mut builder = aws_sdk_s3::config::Builder::from(aws);
                if let Some(url) = endpoint {
                    // Local S3-compatible servers take the bucket in the path.
                    builder = builder.endpoint_url(url).force_path_style(true);
                }
                Arc::new(S3Files::new(
                    aws_sdk_s3::Client::from_conf(builder.build()),
                    bucket,
                ))
            }
            (FilesConfig::S3 { .. }, None) => unreachable!("uses_aws covers S3"),
        };
        let payments: Arc<dyn crate::payment::gateway::Gateway> = match &config.payment.payfip_url {
            Some(url) => Arc::new(crate::payment::gateway::PayFip {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| StoreError::Unavailable(format!("client HTTP : {e}")))?,
                url: url.clone(),
            }),
            None => Arc::new(crate::payment::gateway::TestGateway {
                store: store.clone(),
                page: format!("{}/paiement/test", config.public_url),
            }),
        };
        Ok(Self {
            store,
            mail,
            files,
            clock,
            payments,
            config: Arc::new(config),
            settings: Arc::new(crate::settings::embedded().clone()),
            outbox_signal,
            site_builds: Arc::new(crate::publishing::OnStream),
            secret: Arc::default(),
        })
    }

    /// The same App, its site rebuilt after a change by `builds`.
    pub fn with_site_builds(mut self, builds: Arc<dyn crate::publishing::SiteBuilds>) -> Self {
        self.site_builds = builds;
        self
    }

    /// The CSRF key (read or made once per process).
    pub async fn secret(&self) -> Result<&[u8], StoreError> {
        self.secret
            .get_or_try_init(|| {
                crate::accounts::service::load_or_create_secret(self.store.as_ref())
            })
            .await
            .map(Vec::as_slice)
    }
}

/// The AWS SDK configuration shared by every client: the region from the
/// configuration (so the SDK never asks instance metadata for it), and
/// timeouts so that an unreachable service fails fast with a 503.
pub async fn aws_sdk_config(region: &str) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(10))
        .build();
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https)
        .region(aws_config::Region::new(region.to_owned()))
        .timeout_config(timeouts)
        .load()
        .await
}
