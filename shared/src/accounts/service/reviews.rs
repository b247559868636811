//! The agents' review of sign-ups: link to a dossier or refuse, with the
//! audit trail and the family told.

use super::*;

/// One line of the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingReview {
    pub account: Account,
    pub waiting_hours: i64,
}

/// Sign-ups without dossier awaiting the town, oldest first.
pub async fn review_queue(app: &App) -> Result<Vec<PendingReview>, StoreError> {
    let now = app.clock.now();
    let items = app.store.query_all(Query::gsi1(REVIEW_PARTITION)).await?;
    items
        .into_iter()
        .map(|item| {
            let account: Account = item.record()?;
            let waiting_hours = (now - account.cree_le).num_hours();
            Ok(PendingReview {
                account,
                waiting_hours,
            })
        })
        .collect()
}

/// What an agent decides about a sign-up without dossier.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewDecision {
    Link { dossier: String },
    Refuse { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("compte introuvable ou déjà traité")]
    NotPending,
    #[error("dossier introuvable")]
    UnknownDossier,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<StoreError> for ReviewError {
    fn from(e: StoreError) -> Self {
        ReviewError::Account(AccountError::Store(e))
    }
}

/// Links a sign-up to a dossier or refuses it; the family is told by e-mail
/// and the decision joins the audit trail of the account (and the dossier).
pub async fn decide_review(
    app: &App,
    agent: &Account,
    account_id: &str,
    decision: ReviewDecision,
) -> Result<Account, ReviewError> {
    let store = app.store.as_ref();
    let Some((mut account, version)) =
        get_record::<Account>(store, &account_key(account_id)).await?
    else {
        return Err(ReviewError::NotPending);
    };
    if account.statut != Status::Review {
        return Err(ReviewError::NotPending);
    }
    let entry = |action: &str, detail: String| crate::audit::Entry {
        agent: agent.id.clone(),
        agent_nom: agent.display_name(),
        le: app.clock.now(),
        action: action.into(),
        detail,
    };
    let mut writes = Vec::new();
    let c = &app.settings.commune;
    let mut notices = match &decision {
        ReviewDecision::Link { dossier: numero } => {
            let numero = DossierNumber::parse(numero)
                .map_err(|_| ReviewError::UnknownDossier)?
                .to_string();
            if crate::dossiers::get(store, &numero).await?.is_none() {
                return Err(ReviewError::UnknownDossier);
            }
            account.statut = Status::Active;
            account.dossier = Some(numero.clone());
            account.dossier_demande = None;
            let e = entry(
                "compte rattaché",
                format!(
                    "compte {} rattaché au dossier {numero}",
                    account.identifiant
                ),
            );
            writes.push(crate::audit::write(&numero, &e)?);
            writes.push(crate::audit::write(&format!("COMPTE#{}", account.id), &e)?);
            let mut notices = dossier_linked_notices(app, &numero, &account).await?;
            notices.push(mails::review_linked(
                c,
                &account.courriel,
                &numero,
                &format!("{}/compte/connexion", app.config.public_url),
            ));
            notices
        }
        ReviewDecision::Refuse { reason } => {
            account.statut = Status::Refused;
            account.motif_refus = Some(reason.clone());
            writes.push(crate::audit::write(
                &format!("COMPTE#{}", account.id),
                &entry("compte refusé", format!("motif : {reason}")),
            )?);
            vec![mails::review_refused(c, &account.courriel, reason)]
        }
    };
    // The family's own message first.
    notices.rotate_right(1);
    let item = account_item(&account, version)?;
    writes.insert(
        0,
        Write::Put {
            item,
            condition: Condition::VersionEquals(version),
        },
    );
    writes.extend(queued(app, notices)?);
    match store.transact(writes).await {
        Ok(()) => Ok(account),
        Err(StoreError::TransactionCancelled { .. }) => Err(ReviewError::NotPending),
        Err(e) => Err(e.into()),
    }
}
