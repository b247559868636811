//! The town's agents: accounts created by an operator, without password.

use super::*;

// ------------------------------------------------------------------ agents

/// Creates an agent account without password; returns the one-time link to
/// set it.
pub async fn create_agent(
    app: &App,
    nom: &str,
    prenom: &str,
    email: &str,
    service: Service,
) -> Result<String, AccountError> {
    let now = app.clock.now();
    let agent = Account {
        statut: Status::Active,
        service: Some(service),
        ..Account::new(Kind::Agent, (prenom, nom), email, email, now)
    };
    let token = new_token();
    let mut pointer = Item::new(email_key(Kind::Agent, email), Default::default());
    pointer.attrs.insert("compte".into(), json!(agent.id));
    let expires = (now + AGENT_INVITE_TTL).timestamp();
    let mut tx = Transaction::new();
    tx.add(
        Part::Account,
        new(Item::from_record(account_key(&agent.id), &agent)?),
    )
    .add(Part::Email, new(pointer))
    .add(
        Part::Token,
        new(token_item(
            &token,
            &agent.id,
            TokenUse::AgentInvite,
            None,
            expires,
        )?),
    );
    match app.store.commit(tx).await {
        Ok(()) => Ok(link(app, "/agents/mot-de-passe", &token)),
        Err(CommitError::Failed(Part::Email)) => Err(AccountError::EmailTaken),
        Err(CommitError::Failed(part)) => {
            Err(StoreError::Corrupt(format!("création de l'agent : {part:?} existe déjà")).into())
        }
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}
