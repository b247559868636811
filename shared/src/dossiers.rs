//! The family's dossier as its pages read and change it: profile, children,
//! history of démarches, contact details. Every function takes the dossier
//! number of the signed-in family's session, never one from the request.

use crate::accounts::names::fold;
use crate::domain::dossier::{self, Child, Demarche, Dossier};
use crate::ids::DossierNumber;
use crate::store::{Condition, Item, Query, Store, StoreError, Write};
use chrono::{DateTime, Utc};

/// The dossier and the version read.
pub async fn load(store: &dyn Store, numero: &str) -> Result<Option<(Dossier, u64)>, StoreError> {
    match store.get(&dossier::key(numero)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// The dossier's children, eldest first.
pub async fn children(store: &dyn Store, numero: &str) -> Result<Vec<Child>, StoreError> {
    let mut children: Vec<Child> = store
        .query_all(Query::partition(dossier::partition(numero)).prefix("ENFANT#"))
        .await?
        .iter()
        .map(Item::record)
        .collect::<Result<_, _>>()?;
    eldest_first(&mut children);
    Ok(children)
}

/// Children in the order that ranks them (the third child's price).
pub fn eldest_first(children: &mut [Child]) {
    children.sort_by_key(|c| c.naissance);
}

/// The latest démarches, newest first.
pub async fn demarches(
    store: &dyn Store,
    numero: &str,
    limit: usize,
) -> Result<Vec<Demarche>, StoreError> {
    store
        .query(
            &Query::partition(dossier::partition(numero))
                .prefix("DEMARCHE#")
                .descending()
                .limit(limit),
        )
        .await?
        .items
        .iter()
        .map(Item::record)
        .collect()
}

/// The write that adds a step to the dossier's démarches (to join the
/// transaction of what it records).
pub fn demarche(
    numero: &str,
    now: DateTime<Utc>,
    libelle: &str,
    statut: &str,
) -> Result<Write, StoreError> {
    let step = Demarche {
        le: now,
        libelle: libelle.to_owned(),
        statut: statut.to_owned(),
    };
    Ok(Write::Put {
        item: Item::from_record(dossier::demarche_key(numero, now), &step)?,
        condition: Condition::NotExists,
    })
}

/// New contact details of the responsables, in their order.
#[derive(Debug, Clone, PartialEq)]
pub struct Contacts {
    pub telephone: Option<String>,
    pub courriel: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UpdateError {
    /// Someone changed the dossier since it was read.
    #[error("le dossier a changé entre-temps")]
    Conflict,
    /// Not the caller's to change (another service's decision).
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes the responsables' phone and e-mail (nothing else), if the dossier
/// is still at `version`, and records the démarche — in one transaction.
pub async fn update_contacts(
    store: &dyn Store,
    access: &crate::access::FamilyAccess,
    version: u64,
    contacts: &[Contacts],
    now: DateTime<Utc>,
) -> Result<Dossier, UpdateError> {
    // The family's own dossier only: the number comes from the proof.
    let numero = access.numero().as_str();
    let Some((mut d, current)) = load(store, numero).await? else {
        return Err(UpdateError::Conflict);
    };
    if current != version {
        return Err(UpdateError::Conflict);
    }
    for (r, c) in d.responsables.iter_mut().zip(contacts) {
        r.telephone = c.telephone.clone();
        r.courriel = c.courriel.clone();
    }
    let mut profile = store
        .get(&dossier::key(numero))
        .await?
        .ok_or(UpdateError::Conflict)?;
    // Keep the attributes the form does not show (e.g. imported invoices).
    let fresh = Item::from_record(dossier::key(numero), &d)?;
    profile.attrs.extend(fresh.attrs);
    let writes = vec![
        Write::Put {
            item: profile,
            condition: Condition::VersionEquals(version),
        },
        demarche(numero, now, "Coordonnées modifiées en ligne", "enregistrée")?,
    ];
    match store.transact(writes).await {
        Ok(()) => Ok(d),
        Err(StoreError::TransactionCancelled { .. }) => Err(UpdateError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// Who did something, for the audit trail.
pub struct Actor<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

impl Actor<'_> {
    /// The write that records this agent's action on a dossier.
    pub fn audit(
        &self,
        numero: &str,
        now: DateTime<Utc>,
        action: &str,
        detail: String,
    ) -> Result<Write, StoreError> {
        crate::audit::write(
            numero,
            &crate::audit::Entry {
                agent: self.id.to_owned(),
                agent_nom: self.name.to_owned(),
                le: now,
                action: action.to_owned(),
                detail,
            },
        )
    }
}

fn describe_changes(before: &Dossier, after: &Dossier) -> String {
    let mut changes = Vec::new();
    if before.adresse != after.adresse {
        changes.push(format!(
            "adresse : « {} » → « {} »",
            before.adresse, after.adresse
        ));
    }
    if before.quotient_familial != after.quotient_familial || before.qf_date != after.qf_date {
        let qf = |d: &Dossier| {
            d.quotient_familial
                .map_or_else(|| "aucun".to_owned(), |q| format!("{q} €"))
        };
        changes.push(format!(
            "quotient familial : {} → {}",
            qf(before),
            qf(after)
        ));
    }
    if before.mode_paiement != after.mode_paiement {
        let mode = |d: &Dossier| d.mode_paiement.map_or("aucun", |m| m.label());
        changes.push(format!(
            "mode de paiement : {} → {}",
            mode(before),
            mode(after)
        ));
    }
    if before.hors_commune != after.hors_commune {
        let place = |d: &Dossier| {
            if d.hors_commune {
                "hors commune"
            } else {
                "commune"
            }
        };
        changes.push(format!("résidence : {} → {}", place(before), place(after)));
    }
    if before.responsables != after.responsables {
        changes.push("responsables modifiés".to_owned());
    }
    if changes.is_empty() {
        "aucun changement".to_owned()
    } else {
        changes.join(" ; ")
    }
}

/// An agent's change of a dossier (responsables, address, QF), if it is
/// still at `version`; the name index follows, and the audit trail records
/// what changed — one transaction.
pub async fn agent_update(
    store: &dyn Store,
    numero: &str,
    version: u64,
    after: Dossier,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Dossier, UpdateError> {
    let Some(mut profile) = store.get(&dossier::key(numero)).await? else {
        return Err(UpdateError::Conflict);
    };
    if profile.version != version {
        return Err(UpdateError::Conflict);
    }
    let before: Dossier = profile.record()?;
    let after = Dossier {
        numero: before.numero.clone(),
        ..after
    };
    profile
        .attrs
        .extend(Item::from_record(dossier::key(numero), &after)?.attrs);
    let mut writes = vec![Write::Put {
        item: profile,
        condition: Condition::VersionEquals(version),
    }];
    for item in dossier::name_index_items(&after)? {
        writes.push(Write::Put {
            item,
            condition: Condition::Always,
        });
    }
    for gone in after.responsables.len()..before.responsables.len() {
        writes.push(Write::Delete {
            key: crate::store::Key::new(
                dossier::partition(numero),
                format!("INDEX#RESPONSABLE#{gone}"),
            ),
            condition: Condition::Always,
        });
    }
    writes.push(actor.audit(
        numero,
        now,
        "dossier modifié",
        describe_changes(&before, &after),
    )?);
    match store.transact(writes).await {
        Ok(()) => Ok(after),
        Err(StoreError::TransactionCancelled { .. }) => Err(UpdateError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// An agent adds a child to a dossier (with its index item and the audit
/// entry), in one transaction.
pub async fn add_child(
    store: &dyn Store,
    numero: &str,
    child: &Child,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = format!(
        "{} {}, né(e) le {}",
        child.prenom,
        child.nom,
        child.naissance.format("%d/%m/%Y")
    );
    store
        .transact(vec![
            Write::Check {
                key: dossier::key(numero),
                condition: Condition::Exists,
            },
            Write::Put {
                item: Item::from_record(dossier::child_key(numero, &child.id), child)?,
                condition: Condition::NotExists,
            },
            Write::Put {
                item: dossier::child_index_item(numero, child),
                condition: Condition::Always,
            },
            actor.audit(numero, now, "enfant ajouté", detail)?,
        ])
        .await
}

/// A dossier, if it exists (without its version: [`load`] gives both).
pub async fn get(store: &dyn Store, numero: &str) -> Result<Option<Dossier>, StoreError> {
    Ok(load(store, numero).await?.map(|(d, _)| d))
}

/// Dossiers whose number, responsable's name or child's name matches a
/// search (agents' pages). Numbers are matched exactly; names through GSI1,
/// by the start of "nom prénom" without case or accents.
pub async fn search(store: &dyn Store, query: &str) -> Result<Vec<Dossier>, StoreError> {
    let q = query.trim();
    if q.is_empty() || q.len() > 200 {
        return Ok(vec![]);
    }
    if let Ok(numero) = DossierNumber::parse(q)
        && let Some(d) = get(store, &numero).await?
    {
        return Ok(vec![d]);
    }
    let folded = fold(q);
    let mut hits = Vec::new();
    for partition in [dossier::BY_NAME_PARTITION, dossier::BY_CHILD_PARTITION] {
        let page = store
            .query(&Query::gsi1(partition).prefix(folded.clone()).limit(20))
            .await?;
        hits.extend(page.items);
    }
    let mut found = Vec::new();
    for item in hits {
        if let Some(numero) = item.attrs.get("numero").and_then(|v| v.as_str())
            && !found.iter().any(|f: &Dossier| f.numero == numero)
            && let Some(d) = get(store, numero).await?
        {
            found.push(d);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dossier::Responsable;

    #[test]
    fn changes_are_described_for_the_audit_trail() {
        let d = crate::demo::dossier();
        assert_eq!(describe_changes(&d, &d), "aucun changement");
        let mut e = d.clone();
        e.adresse = "5 rue Neuve".into();
        e.quotient_familial = Some(rust_decimal::Decimal::new(900, 0));
        e.responsables.push(Responsable {
            nom: "Lefèvre".into(),
            prenom: "Marc".into(),
            courriel: None,
            telephone: None,
        });
        let text = describe_changes(&d, &e);
        assert!(text.contains("adresse : « 12 rue des Tilleuls"), "{text}");
        assert!(text.contains("quotient familial : 845 € → 900 €"), "{text}");
        assert!(text.contains("responsables modifiés"), "{text}");
    }
}
