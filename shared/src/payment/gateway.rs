//! The payment port: create an operation, ask for its result. Two
//! adapters: PayFiP's web service ([`PayFip`], over HTTPS) and the local
//! test gateway ([`TestGateway`]), which plays PayFiP's part for the demo and
//! the tests — its operations live in the store, and its page (in the
//! `paiement` routes) decides them as a payer would.

use super::payfip::{self, Creation, Detail, Fault};
use crate::store::{Condition, Item, Key, Store, StoreError, Update, Write};
use async_trait::async_trait;
use std::sync::Arc;

/// What went wrong reaching the gateway (the attempt stays as it was: the
/// re-check asks again).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("service de paiement injoignable : {0}")]
    Unreachable(String),
    #[error(transparent)]
    Unreadable(#[from] payfip::Unreadable),
    /// A technical fault, or a functional one other than P5/P1.
    #[error("service de paiement en erreur : {} {}", .0.code, .0.libelle)]
    Fault(Fault),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of an operation as the gateway tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Finished(Box<Detail>),
    /// P5.
    Unfinished,
    /// P1.
    Unknown,
}

#[async_trait]
pub trait Gateway: Send + Sync {
    /// Creates the operation; its id (`idOp`).
    async fn create(&self, c: &Creation) -> Result<String, GatewayError>;
    /// The operation's result, the only one to trust.
    async fn detail(&self, idop: &str) -> Result<Reply, GatewayError>;
    /// Where the browser goes to pay.
    fn payment_page(&self, idop: &str) -> String;
}

/// A fault's meaning for a detail request.
pub fn reply_of(answer: Result<Detail, Fault>) -> Result<Reply, GatewayError> {
    match answer {
        Ok(d) => Ok(Reply::Finished(Box::new(d))),
        Err(f) if f.kind == payfip::FaultKind::Fonctionnelle && f.code == "P5" => {
            Ok(Reply::Unfinished)
        }
        Err(f) if f.kind == payfip::FaultKind::Fonctionnelle && f.code == "P1" => {
            Ok(Reply::Unknown)
        }
        Err(f) => Err(GatewayError::Fault(f)),
    }
}

/// PayFiP's SOAP service.
pub struct PayFip {
    pub client: reqwest::Client,
    /// The service's address ([`payfip::SERVICE_URL`]; a local server in
    /// the tests).
    pub url: String,
}

impl PayFip {
    async fn call(&self, body: String) -> Result<String, GatewayError> {
        let answer = self
            .client
            .post(&self.url)
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", "\"\"")
            .body(body)
            .send()
            .await
            .map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        // A SOAP fault comes with status 500: its body is the answer.
        answer
            .text()
            .await
            .map_err(|e| GatewayError::Unreachable(e.to_string()))
    }
}

#[async_trait]
impl Gateway for PayFip {
    async fn create(&self, c: &Creation) -> Result<String, GatewayError> {
        let request =
            payfip::create_request(c).map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        payfip::parse_create(&self.call(request).await?)?.map_err(GatewayError::Fault)
    }

    async fn detail(&self, idop: &str) -> Result<Reply, GatewayError> {
        reply_of(payfip::parse_detail(
            &self.call(payfip::detail_request(idop)).await?,
        )?)
    }

    fn payment_page(&self, idop: &str) -> String {
        payfip::payment_page(idop)
    }
}

/// The local test gateway: operations kept in the store under
/// `PASSERELLE#<idOp>`, decided on its page.
pub struct TestGateway {
    pub store: Arc<dyn Store>,
    /// The page that plays PayFiP's payment page (`/paiement/test`).
    pub page: String,
}

fn operation_key(idop: &str) -> Key {
    Key::new(format!("PASSERELLE#{idop}"), "OPERATION")
}

/// A decision taken on the test gateway's page: `P`, `R` or `A`.
pub async fn decide(store: &dyn Store, idop: &str, result: &str) -> Result<bool, StoreError> {
    let write = Write::Update {
        key: operation_key(idop),
        update: Update::default().set("resultrans", result),
        condition: Condition::Exists,
    };
    match store.write(write).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// An operation of the test gateway, as its page shows it.
pub async fn operation(store: &dyn Store, idop: &str) -> Result<Option<Creation>, StoreError> {
    let Some(item) = store.get(&operation_key(idop)).await? else {
        return Ok(None);
    };
    let s = |k: &str| {
        item.attrs
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Some(Creation {
        numcli: s("numcli"),
        exer: s("exer").parse().unwrap_or_default(),
        refdet: s("refdet"),
        objet: s("objet"),
        montant: s("montant").parse().unwrap_or_default(),
        mel: s("mel"),
        urlnotif: s("urlnotif"),
        urlredirect: s("urlredirect"),
        saisie: payfip::Mode::Test,
    }))
}

#[async_trait]
impl Gateway for TestGateway {
    async fn create(&self, c: &Creation) -> Result<String, GatewayError> {
        payfip::check(c).map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        let idop = ulid::Ulid::new().to_string().to_lowercase();
        let attrs = c
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
            .collect();
        self.store
            .put(Item::new(operation_key(&idop), attrs), Condition::NotExists)
            .await?;
        Ok(idop)
    }

    async fn detail(&self, idop: &str) -> Result<Reply, GatewayError> {
        let Some(item) = self.store.get(&operation_key(idop)).await? else {
            return Ok(Reply::Unknown);
        };
        let Some(result) = item.attrs.get("resultrans").and_then(|v| v.as_str()) else {
            return Ok(Reply::Unfinished);
        };
        let c = operation(self.store.as_ref(), idop)
            .await?
            .ok_or(GatewayError::Store(StoreError::Corrupt(idop.into())))?;
        Ok(Reply::Finished(Box::new(Detail {
            idop: idop.to_owned(),
            refdet: c.refdet,
            numcli: c.numcli,
            montant: c.montant,
            resultrans: result.to_owned(),
            dattrans: String::new(),
            heurtrans: String::new(),
            numauto: if result == "P" {
                "TEST".into()
            } else {
                String::new()
            },
            mel: c.mel,
            exer: c.exer.to_string(),
            saisie: "T".into(),
        })))
    }

    fn payment_page(&self, idop: &str) -> String {
        format!("{}?idop={idop}", self.page)
    }
}
