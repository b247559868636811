//! Sign-up: the references of a dossier (limited, locked, never saying
//! whether a number exists), the pending account, activation and the
//! messages to the dossier's other accounts.

use super::*;

// ------------------------------------------------------------------ dossier

/// Whether the three references match one dossier: its number, the name of
/// one of its responsables (without case or accents), and the last three
/// digits of one of its invoices. Says nothing of which one failed, and does
/// the same reads whether or not the number exists (the answer takes the
/// same time).
pub async fn dossier_matches(
    store: &dyn Store,
    numero: &str,
    responsable: &str,
    invoice_digits: &str,
) -> Result<bool, StoreError> {
    let Ok(numero) = DossierNumber::parse(numero) else {
        return Ok(false);
    };
    let profile = store.get(&dossier::key(&numero)).await?;
    let invoices = store
        .query_all(Query::partition(dossier::partition(&numero)).prefix("FACTURE#"))
        .await?;
    let Some(profile) = profile else {
        return Ok(false);
    };
    let d: Dossier = profile.record()?;
    // Invoice numbers an import brought, before any invoice is billed here.
    let imported: Vec<String> = profile
        .attrs
        .get("factures_connues")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .map(crate::domain::invoice::last_three_digits)
                .collect()
        })
        .unwrap_or_default();
    let wanted = fold(responsable);
    let name_ok = d.responsables.iter().any(|r| {
        let (n, p) = (fold(&r.nom), fold(&r.prenom));
        wanted == n || wanted == format!("{p} {n}") || wanted == format!("{n} {p}")
    });
    let digits = invoice_digits.trim();
    let invoice_ok = imported.iter().any(|d| d == digits)
        || invoices
            .iter()
            .filter_map(|i| i.record::<Invoice>().ok())
            .any(|i| i.last_three_digits() == digits);
    Ok(name_ok && invoice_ok)
}

/// What checking the references typed at sign-up gives.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferencesCheck {
    /// They match this dossier.
    Matched(String),
    NoMatch,
    /// Too many failed attempts for this dossier number, this visitor or
    /// this address: not checked.
    TooManyAttempts,
}

pub(super) fn references_lock_key(numero: &str) -> Key {
    Key::new(format!("VERROU#REFERENCES#{numero}"), "VERROU")
}

/// Checks sign-up references within the limits: per dossier number
/// ([`limits::REFERENCES_DOSSIER`]), per sign-up in progress (`visitor`, a
/// hash of the draft's token) and per client address. An attempt is taken
/// before the check and given back when it matches, so only failures count.
/// A dossier number that reaches its limit is locked for online linking
/// ([`limits::REFERENCES_LOCK_SECONDS`]) and the service that links accounts
/// is told once, when the dossier exists. Unknown numbers count and lock the
/// same way: the answers never say whether a number exists.
pub async fn check_references(
    app: &App,
    numero: &str,
    responsable: &str,
    invoice_digits: &str,
    visitor: &str,
    address: &str,
) -> Result<ReferencesCheck, StoreError> {
    let (store, now) = (app.store.as_ref(), app.clock.now());
    let Ok(numero) = DossierNumber::parse(numero) else {
        return Ok(ReferencesCheck::NoMatch);
    };
    let numero = numero.to_string();
    if store.get(&references_lock_key(&numero)).await?.is_some() {
        return Ok(ReferencesCheck::TooManyAttempts);
    }
    let counted = [
        (&limits::REFERENCES_VISITOR, visitor),
        (&limits::REFERENCES_ADDRESS, address),
        (&limits::REFERENCES_DOSSIER, numero.as_str()),
    ];
    for (limit, subject) in counted {
        if !limits::take(store, limit, subject, now).await? {
            if *limit == limits::REFERENCES_DOSSIER {
                lock_references(app, &numero).await?;
            }
            return Ok(ReferencesCheck::TooManyAttempts);
        }
    }
    if dossier_matches(store, &numero, responsable, invoice_digits).await? {
        for (limit, subject) in counted {
            limits::give_back(store, limit, subject, now).await?;
        }
        return Ok(ReferencesCheck::Matched(numero));
    }
    if limits::reached(store, &limits::REFERENCES_DOSSIER, &numero, now).await? {
        lock_references(app, &numero).await?;
    }
    Ok(ReferencesCheck::NoMatch)
}

/// Locks a dossier number for online linking; the first to lock it tells
/// the service that links accounts (when the dossier exists).
pub(super) async fn lock_references(app: &App, numero: &str) -> Result<(), StoreError> {
    let until = app.clock.now().timestamp() + limits::REFERENCES_LOCK_SECONDS;
    let lock = Item::new(references_lock_key(numero), Default::default()).expiring_at(until);
    let mut notices = Vec::new();
    if crate::dossiers::get(app.store.as_ref(), numero)
        .await?
        .is_some()
        && let Some(service) = app.settings.service(Service::Enfance.id())
    {
        notices.push(mails::references_locked(
            &app.settings.commune,
            &service.courriel,
            numero,
            limits::REFERENCES_LOCK_SECONDS / 3600,
        ));
    }
    if create_announced(app, lock, notices).await? {
        tracing::warn!("rattachement en ligne suspendu pour un dossier après trop d'essais");
    }
    Ok(())
}

// ------------------------------------------------------------------ sign-up

/// A validated sign-up, its password already hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignUp {
    pub nom: String,
    pub prenom: String,
    pub courriel: String,
    pub identifiant: String,
    pub mot_de_passe: String,
    /// The dossier whose references matched, or none ("continuer sans").
    pub dossier: Option<String>,
}

/// with it after 24 h) and sends the activation message.
pub async fn register(app: &App, signup: SignUp) -> Result<Account, AccountError> {
    let now = app.clock.now();
    let expires = (now + ACTIVATION_TTL).timestamp();
    let account = Account {
        mot_de_passe: signup.mot_de_passe,
        dossier: signup.dossier,
        ..Account::new(
            Kind::Family,
            (&signup.prenom, &signup.nom),
            &signup.courriel,
            &signup.identifiant,
            now,
        )
    };
    let token = new_token();
    let mail = mails::activation(
        &app.settings.commune,
        &account.courriel,
        &link(app, "/compte/activation", &token),
        account.dossier.is_none(),
    );
    let pointer = |key: Key| -> Result<Item, StoreError> {
        let mut item = Item::new(key, Default::default()).expiring_at(expires);
        item.attrs.insert("compte".into(), json!(account.id));
        Ok(item)
    };
    let mut tx = Transaction::new();
    tx.add(
        Part::Account,
        new(Item::from_record(account_key(&account.id), &account)?.expiring_at(expires)),
    )
    .add(
        Part::Username,
        new(pointer(username_key(&account.identifiant))?),
    )
    .add(
        Part::Email,
        new(pointer(email_key(Kind::Family, &account.courriel))?),
    )
    .add(
        Part::Token,
        new(token_item(
            &token,
            &account.id,
            TokenUse::Activation,
            None,
            expires,
        )?),
    )
    .extend(Part::Mail, queued(app, vec![mail])?);
    match app.store.commit(tx).await {
        Ok(()) => Ok(account),
        Err(CommitError::Failed(Part::Username)) => Err(AccountError::UsernameTaken),
        Err(CommitError::Failed(Part::Email)) => Err(AccountError::EmailTaken),
        Err(CommitError::Failed(part)) => {
            Err(StoreError::Corrupt(format!("création du compte : {part:?} existe déjà")).into())
        }
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// Follows an activation link: activates the account (for review when it has
/// no dossier) and tells the accounts already linked to its dossier.
pub async fn activate(app: &App, token: &str) -> Result<LinkOutcome<Account>, AccountError> {
    let OpenLink {
        token_version,
        mut account,
        version,
        ..
    } = open_or_return!(open_link(app.store.as_ref(), token, TokenUse::Activation).await?);
    if account.statut != Status::Pending {
        return Ok(LinkOutcome::AlreadyUsed);
    }
    // A dossier that already has an account: the town confirms the second
    // one (its holders are told), rather than references alone opening it.
    let already_linked = match &account.dossier {
        Some(numero) => !linked_accounts(app.store.as_ref(), numero)
            .await?
            .is_empty(),
        None => false,
    };
    if already_linked {
        account.dossier_demande = account.dossier.take();
    }
    account.statut = if account.dossier.is_some() {
        Status::Active
    } else {
        Status::Review
    };
    let mut notices = match &account.dossier {
        Some(numero) => dossier_linked_notices(app, numero, &account).await?,
        None => vec![],
    };
    if let Some(numero) = &account.dossier_demande {
        for other in linked_accounts(app.store.as_ref(), numero).await? {
            notices.push(mails::dossier_access_requested(
                &app.settings.commune,
                &other.courriel,
                numero,
                &account.display_name(),
            ));
        }
    }
    if !save_using_link(app, &account, version, token, token_version, notices).await? {
        return Ok(LinkOutcome::AlreadyUsed);
    }
    Ok(LinkOutcome::Done(account))
}

/// The active accounts linked to a dossier (the family's e-mail addresses).
pub async fn linked_accounts(store: &dyn Store, numero: &str) -> Result<Vec<Account>, StoreError> {
    let mut accounts = Vec::new();
    for item in store
        .query_all(Query::gsi1(dossier::partition(numero)).prefix("COMPTE#"))
        .await?
    {
        let account: Account = item.record()?;
        if account.statut == Status::Active {
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// The messages telling every other account linked to a dossier that one
/// more was linked.
pub(super) async fn dossier_linked_notices(
    app: &App,
    numero: &str,
    newcomer: &Account,
) -> Result<Vec<Mail>, StoreError> {
    Ok(linked_accounts(app.store.as_ref(), numero)
        .await?
        .iter()
        .filter(|other| other.id != newcomer.id)
        .map(|other| {
            mails::dossier_linked_notice(
                &app.settings.commune,
                &other.courriel,
                numero,
                &newcomer.display_name(),
            )
        })
        .collect())
}

/// Whether one more link e-mail may be sent for what the visitor typed (an
/// address or a username), from this client address: at most
/// [`limits::MAIL_PER_ACCOUNT`] per subject and [`limits::MAIL_PER_ADDRESS`]
/// per client address. Counted whether or not an account matches, so the
/// answer (always the same page) says nothing either way.
pub(super) async fn may_send_link(
    app: &App,
    typed: &str,
    address: &str,
) -> Result<bool, StoreError> {
    let (store, now) = (app.store.as_ref(), app.clock.now());
    let subject = typed.trim().to_lowercase();
    Ok(
        limits::take(store, &limits::MAIL_PER_ADDRESS, address, now).await?
            && limits::take(store, &limits::MAIL_PER_ACCOUNT, &subject, now).await?,
    )
}

/// Sends a new activation link to the pending account a username or e-mail
/// names (valid until the account itself expires), within the limits; says
/// nothing either way.
pub async fn resend_activation(
    app: &App,
    identifier: &str,
    address: &str,
) -> Result<(), AccountError> {
    if !may_send_link(app, identifier, address).await? {
        return Ok(());
    }
    let Some(account) = find_for_login(app.store.as_ref(), Kind::Family, identifier).await? else {
        return Ok(());
    };
    if account.statut != Status::Pending {
        return Ok(());
    }
    let Some(item) = app.store.get(&account_key(&account.id)).await? else {
        return Ok(());
    };
    let expires = item
        .expires_at
        .unwrap_or_else(|| (app.clock.now() + ACTIVATION_TTL).timestamp());
    let token = new_token();
    let mail = mails::activation(
        &app.settings.commune,
        &account.courriel,
        &link(app, "/compte/activation", &token),
        account.dossier.is_none(),
    );
    let item = token_item(&token, &account.id, TokenUse::Activation, None, expires)?;
    create_announced(app, item, vec![mail]).await?;
    Ok(())
}
