//! Who may do what. The only way to reach a family's object or an agent's
//! right is a proof value issued here from a session's account:
//!
//! - [`FamilyAccess`]: an active family account linked to its dossier. It
//!   issues [`Granted`] values for that dossier's children (a planning
//!   month is reached through its child's), documents and registrations,
//!   and nothing else: another family's id is simply not found (404).
//! - [`AgentAccess`]: a signed-in agent, who may read any dossier; it issues
//!   a [`Decider`] for the agent's own service only (another service's
//!   decision is 403).
//!
//! The proofs' fields are private: a handler cannot build one by hand, and
//! every function of `shared` that changes a family's object or decides for
//! a service takes the proof it needs. Invoices and mandates have the same
//! shape, and so do message threads (a family's never holds an internal
//! note).

use crate::accounts::{Account, Kind, Service, Status};
use crate::domain::dossier::Child;
use crate::domain::{document::Document, inscription::Inscription, invoice::Invoice};
use crate::dossiers::Actor;
use crate::ids::{ChildId, DossierNumber, RecordId};
use crate::messages::{Conversation, Thread};
use crate::payment::sepa::Mandate;
use crate::store::{Store, StoreError};

/// Why a proof was not issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Not one of this dossier's objects (or no such object): 404.
    #[error("introuvable")]
    NotFound,
    /// Another service's decision: 403.
    #[error("réservé à un autre service")]
    Forbidden,
}

/// An object of one dossier that the holder of the proof may read or change,
/// with the version it was read at (when it is a stored item).
#[derive(Debug, Clone)]
pub struct Granted<T> {
    numero: DossierNumber,
    value: T,
    version: u64,
}

impl<T> Granted<T> {
    /// The dossier the object belongs to.
    pub fn numero(&self) -> &DossierNumber {
        &self.numero
    }

    pub fn get(&self) -> &T {
        &self.value
    }

    /// The version the object was read at (0 for what is not an item).
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> std::ops::Deref for Granted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Proof that the session's account is an active family account linked to
/// a dossier.
#[derive(Debug, Clone)]
pub struct FamilyAccess {
    account: Account,
    numero: DossierNumber,
}

impl FamilyAccess {
    /// From the account of a family session: `None` unless it is active and
    /// linked to a dossier.
    pub fn of(account: Account) -> Option<Self> {
        if account.kind != Kind::Family || account.statut != Status::Active {
            return None;
        }
        let numero = DossierNumber::parse(account.dossier.as_deref()?).ok()?;
        Some(Self { account, numero })
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The family's own dossier.
    pub fn numero(&self) -> &DossierNumber {
        &self.numero
    }

    fn grant<T>(&self, value: T, version: u64) -> Granted<T> {
        Granted {
            numero: self.numero.clone(),
            value,
            version,
        }
    }

    /// The dossier's children.
    pub async fn children(&self, store: &dyn Store) -> Result<Vec<Child>, StoreError> {
        crate::dossiers::children(store, self.numero.as_str()).await
    }

    /// One of the children read with [`Self::children`], by the id a form
    /// or a path gave (parsed with [`ChildId::parse`]: anything else is not
    /// found).
    pub fn child(&self, children: &[Child], id: &str) -> Result<Granted<Child>, Denied> {
        let id = ChildId::parse(id).ok_or(Denied::NotFound)?;
        children
            .iter()
            .find(|c| c.id == id.as_str())
            .map(|c| self.grant(c.clone(), 0))
            .ok_or(Denied::NotFound)
    }

    /// One of the dossier's documents.
    pub async fn document(
        &self,
        store: &dyn Store,
        id: &RecordId,
    ) -> Result<Result<Granted<Document>, Denied>, StoreError> {
        Ok(crate::documents::get(store, self.numero.as_str(), id)
            .await?
            .map(|(d, v)| self.grant(d, v))
            .ok_or(Denied::NotFound))
    }

    /// The dossier's invoices and credit notes.
    pub async fn invoices(&self, store: &dyn Store) -> Result<Vec<Invoice>, StoreError> {
        crate::billing::campaigns::family_invoices(store, self.numero.as_str()).await
    }

    /// One of the dossier's invoices, by the number a path gave.
    pub async fn invoice(
        &self,
        store: &dyn Store,
        numero: &str,
    ) -> Result<Result<Granted<Invoice>, Denied>, StoreError> {
        let plausible = !numero.is_empty()
            && numero.len() <= 40
            && numero
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plausible {
            return Ok(Err(Denied::NotFound));
        }
        Ok(
            crate::billing::invoices::load(store, self.numero.as_str(), numero)
                .await?
                .map(|(i, v)| self.grant(i, v))
                .ok_or(Denied::NotFound),
        )
    }

    /// The dossier's message threads, the latest activity first.
    pub async fn threads(&self, store: &dyn Store) -> Result<Vec<Thread>, StoreError> {
        crate::messages::threads::of_dossier(store, self.numero.as_str()).await
    }

    /// One of the dossier's threads with its messages — never the town's
    /// internal notes.
    pub async fn conversation(
        &self,
        store: &dyn Store,
        id: &RecordId,
    ) -> Result<Result<Granted<Conversation>, Denied>, StoreError> {
        Ok(
            crate::messages::threads::conversation(store, self.numero.as_str(), id.as_str(), false)
                .await?
                .map(|(c, v)| self.grant(c, v))
                .ok_or(Denied::NotFound),
        )
    }

    /// The dossier's direct-debit mandates, newest first.
    pub async fn mandates(&self, store: &dyn Store) -> Result<Vec<Granted<Mandate>>, StoreError> {
        Ok(
            crate::payment::mandates::of_dossier(store, self.numero.as_str())
                .await?
                .into_iter()
                .map(|(m, v)| self.grant(m, v))
                .collect(),
        )
    }

    /// One of the dossier's registrations.
    pub async fn registration(
        &self,
        store: &dyn Store,
        id: &RecordId,
    ) -> Result<Result<Granted<Inscription>, Denied>, StoreError> {
        Ok(crate::inscriptions::get(store, self.numero.as_str(), id)
            .await?
            .map(|(i, v)| self.grant(i, v))
            .ok_or(Denied::NotFound))
    }
}

/// Proof that the session's account is an active agent of the town.
#[derive(Debug, Clone)]
pub struct AgentAccess {
    account: Account,
    /// "Prénom Nom", for the audit trail.
    name: String,
}

impl AgentAccess {
    /// From the account of an agent session.
    pub fn of(account: Account) -> Option<Self> {
        (account.kind == Kind::Agent && account.statut == Status::Active).then(|| Self {
            name: account.display_name(),
            account,
        })
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Who acts, for the audit trail.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: &self.account.id,
            name: &self.name,
        }
    }

    /// The agent's service.
    pub fn service(&self) -> Option<Service> {
        self.account.service
    }

    /// Agents read every dossier: a document of one.
    pub async fn document(
        &self,
        store: &dyn Store,
        numero: &DossierNumber,
        id: &RecordId,
    ) -> Result<Result<Granted<Document>, Denied>, StoreError> {
        Ok(crate::documents::get(store, numero.as_str(), id)
            .await?
            .map(|(value, version)| Granted {
                numero: numero.clone(),
                value,
                version,
            })
            .ok_or(Denied::NotFound))
    }

    /// An invoice of a dossier (the régie's pages).
    pub async fn invoice(
        &self,
        store: &dyn Store,
        numero: &DossierNumber,
        invoice: &str,
    ) -> Result<Result<Granted<Invoice>, Denied>, StoreError> {
        Ok(
            crate::billing::invoices::load(store, numero.as_str(), invoice)
                .await?
                .map(|(value, version)| Granted {
                    numero: numero.clone(),
                    value,
                    version,
                })
                .ok_or(Denied::NotFound),
        )
    }

    /// A child of a dossier (what a validated registration books for it).
    pub async fn child(
        &self,
        store: &dyn Store,
        numero: &DossierNumber,
        id: &str,
    ) -> Result<Result<Granted<Child>, Denied>, StoreError> {
        Ok(crate::dossiers::children(store, numero.as_str())
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .map(|value| Granted {
                numero: numero.clone(),
                value,
                version: 0,
            })
            .ok_or(Denied::NotFound))
    }

    /// A thread of a dossier with every message, internal notes included:
    /// only for an agent of a service it went through (its own, or one
    /// that forwarded it or had it forwarded); another service's is 403.
    pub async fn conversation(
        &self,
        store: &dyn Store,
        numero: &DossierNumber,
        id: &RecordId,
    ) -> Result<Result<Granted<Conversation>, Denied>, StoreError> {
        let Some((value, version)) =
            crate::messages::threads::conversation(store, numero.as_str(), id.as_str(), true)
                .await?
        else {
            return Ok(Err(Denied::NotFound));
        };
        let mine = self
            .account
            .service
            .is_some_and(|s| value.thread.services.iter().any(|x| x == s.id()));
        if !mine {
            return Ok(Err(Denied::Forbidden));
        }
        Ok(Ok(Granted {
            numero: numero.clone(),
            value,
            version,
        }))
    }

    /// A mandate of a dossier (the régie's validation).
    pub async fn mandate(
        &self,
        store: &dyn Store,
        numero: &DossierNumber,
        rum: &str,
    ) -> Result<Result<Granted<Mandate>, Denied>, StoreError> {
        let plausible = !rum.is_empty()
            && rum.len() <= 35
            && rum.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plausible {
            return Ok(Err(Denied::NotFound));
        }
        Ok(crate::payment::mandates::get(store, numero.as_str(), rum)
            .await?
            .map(|(value, version)| Granted {
                numero: numero.clone(),
                value,
                version,
            })
            .ok_or(Denied::NotFound))
    }

    /// The right to publish the site's actualités and documents: the web
    /// team's (the `communication` service) only; any other agent is 403.
    pub fn publisher(&self) -> Result<Publisher, Denied> {
        match self.account.service {
            Some(Service::Communication) => Ok(Publisher {
                agent: self.clone(),
            }),
            _ => Err(Denied::Forbidden),
        }
    }

    /// The right to decide for a service (its id in the settings): only the
    /// agent's own.
    pub fn decider(&self, service: &str) -> Result<Decider, Denied> {
        match self.account.service {
            Some(s) if s.id() == service => Ok(Decider {
                agent: self.clone(),
                service: s,
            }),
            _ => Err(Denied::Forbidden),
        }
    }
}

/// Proof that an agent of the web team publishes the site's content
/// (`shared::publishing` takes it for every change).
#[derive(Debug, Clone)]
pub struct Publisher {
    agent: AgentAccess,
}

impl Publisher {
    pub fn agent(&self) -> &AgentAccess {
        &self.agent
    }
}

/// Proof that an agent decides for a service (registrations, attendance).
#[derive(Debug, Clone)]
pub struct Decider {
    agent: AgentAccess,
    service: Service,
}

impl Decider {
    pub fn service(&self) -> Service {
        self.service
    }

    pub fn agent(&self) -> &AgentAccess {
        &self.agent
    }

    /// Whether this decider decides for a service (by its id): the check
    /// each deciding function makes on the object it reads.
    pub fn covers(&self, service: &str) -> Result<(), Denied> {
        if self.service.id() == service {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn account(
        kind: Kind,
        statut: Status,
        dossier: Option<&str>,
        service: Option<Service>,
    ) -> Account {
        Account {
            statut,
            dossier: dossier.map(str::to_owned),
            service,
            ..Account::new(
                kind,
                ("Claire", "Martin"),
                "c@example.org",
                "claire",
                Utc::now(),
            )
        }
    }

    #[test]
    fn only_an_active_linked_family_gets_family_access() {
        assert!(
            FamilyAccess::of(account(
                Kind::Family,
                Status::Active,
                Some("D2024-0153"),
                None
            ))
            .is_some()
        );
        assert!(
            FamilyAccess::of(account(
                Kind::Family,
                Status::Review,
                Some("D2024-0153"),
                None
            ))
            .is_none()
        );
        assert!(FamilyAccess::of(account(Kind::Family, Status::Active, None, None)).is_none());
        assert!(
            FamilyAccess::of(account(
                Kind::Agent,
                Status::Active,
                Some("D2024-0153"),
                None
            ))
            .is_none()
        );
    }

    #[test]
    fn a_family_is_granted_its_own_children_only() {
        let access = FamilyAccess::of(account(
            Kind::Family,
            Status::Active,
            Some("D2024-0153"),
            None,
        ))
        .unwrap();
        let child = Child {
            id: "01J0000000000000000000000A".into(),
            nom: "Nguyen".into(),
            prenom: "Minh".into(),
            naissance: chrono::NaiveDate::from_ymd_opt(2016, 3, 4).unwrap(),
            ecole: "Jean-Macé".into(),
            classe: "CM2".into(),
            regime: None,
            pai: false,
        };
        let granted = access
            .child(std::slice::from_ref(&child), &child.id)
            .unwrap();
        assert_eq!(granted.numero().as_str(), "D2024-0153");
        assert_eq!(
            access
                .child(&[child], "01J0000000000000000000000B")
                .unwrap_err(),
            Denied::NotFound
        );
    }

    #[test]
    fn an_agent_decides_for_its_own_service_only() {
        let agent = AgentAccess::of(account(
            Kind::Agent,
            Status::Active,
            None,
            Some(Service::Enfance),
        ))
        .unwrap();
        let decider = agent.decider(Service::Enfance.id()).unwrap();
        assert!(decider.covers(Service::Enfance.id()).is_ok());
        assert_eq!(decider.covers(Service::Regie.id()), Err(Denied::Forbidden));
        assert_eq!(
            agent.decider(Service::Regie.id()).unwrap_err(),
            Denied::Forbidden
        );
        assert_eq!(agent.publisher().unwrap_err(), Denied::Forbidden);
        let web = AgentAccess::of(account(
            Kind::Agent,
            Status::Active,
            None,
            Some(Service::Communication),
        ))
        .unwrap();
        assert!(web.publisher().is_ok());
        assert!(web.decider(Service::Enfance.id()).is_err());
        let nobody = AgentAccess::of(account(Kind::Agent, Status::Active, None, None)).unwrap();
        assert!(nobody.publisher().is_err());
        assert!(nobody.decider(Service::Enfance.id()).is_err());
        assert!(AgentAccess::of(account(Kind::Family, Status::Active, None, None)).is_none());
    }
}
