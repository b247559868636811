//! One-time links (activation, password reset, e-mail change, agent
//! invitation): issued with their message, used once, in one transaction
//! with the change they make.

use super::*;

pub(super) fn link(app: &App, path: &str, token: &str) -> String {
    format!("{}{path}?jeton={token}", app.config.public_url)
}

/// Creates the pending account (username, e-mail and activation link expire
pub(super) fn token_item(
    token: &str,
    account_id: &str,
    usage: TokenUse,
    new_email: Option<String>,
    expires: i64,
) -> Result<Item, StoreError> {
    let record = TokenRecord {
        compte: account_id.to_owned(),
        usage,
        nouveau_courriel: new_email,
        utilise: false,
    };
    Ok(Item::from_record(token_key(token), &record)?.expiring_at(expires))
}

/// Reads a one-time link: the token record if live, unused and of this use.
pub(super) async fn read_token(
    store: &dyn Store,
    token: &str,
    usage: TokenUse,
) -> Result<LinkOutcome<(TokenRecord, u64)>, StoreError> {
    if !crate::accounts::tokens::is_token_shaped(token) {
        return Ok(LinkOutcome::Expired);
    }
    match get_record::<TokenRecord>(store, &token_key(token)).await? {
        Some((record, _)) if record.usage != usage => Ok(LinkOutcome::Expired),
        Some((record, _)) if record.utilise => Ok(LinkOutcome::AlreadyUsed),
        Some((record, version)) => Ok(LinkOutcome::Done((record, version))),
        None => Ok(LinkOutcome::Expired),
    }
}

/// The write that marks a link used, guarded by the version read, so that a
/// link followed twice at once works once.
pub(super) fn use_token(token: &str, version: u64) -> Write {
    Write::Update {
        key: token_key(token),
        update: Update::default().set("utilise", true),
        condition: Condition::VersionEquals(version),
    }
}

/// A live, unused one-time link and the account it belongs to, with the
/// versions read (the writes that use them are guarded by those versions).
pub(super) struct OpenLink {
    pub(super) record: TokenRecord,
    pub(super) token_version: u64,
    pub(super) account: Account,
    pub(super) version: u64,
}

pub(super) async fn open_link(
    store: &dyn Store,
    token: &str,
    usage: TokenUse,
) -> Result<LinkOutcome<OpenLink>, StoreError> {
    let (record, token_version) = match read_token(store, token, usage).await? {
        LinkOutcome::Done(found) => found,
        LinkOutcome::AlreadyUsed => return Ok(LinkOutcome::AlreadyUsed),
        LinkOutcome::Expired => return Ok(LinkOutcome::Expired),
    };
    match get_record::<Account>(store, &account_key(&record.compte)).await? {
        Some((account, version)) => Ok(LinkOutcome::Done(OpenLink {
            record,
            token_version,
            account,
            version,
        })),
        None => Ok(LinkOutcome::Expired),
    }
}

/// An account's item as read at `version`, with its GSI1 key.
pub(super) fn account_item(account: &Account, version: u64) -> Result<Item, StoreError> {
    let mut item = Item::from_record(account_key(&account.id), account)?;
    item.version = version;
    item.gsi1 = account_gsi1(account);
    Ok(item)
}

/// Writes that make an account's item (and the pointers to it) permanent,
/// with its new state.
pub(super) fn persist_account(account: &Account, version: u64) -> Result<Vec<Write>, StoreError> {
    let item = account_item(account, version)?;
    let keep = |key: Key| Write::Update {
        key,
        update: Update {
            expires_at: Some(None),
            ..Update::default()
        },
        condition: Condition::Exists,
    };
    let mut writes = vec![
        Write::Put {
            item,
            condition: Condition::VersionEquals(version),
        },
        keep(email_key(account.kind, &account.courriel)),
    ];
    // Agents sign in with their e-mail: they have no username item.
    if account.kind == Kind::Family {
        writes.push(keep(username_key(&account.identifiant)));
    }
    Ok(writes)
}

/// Saves an account's new state and marks the link used, in one transaction;
/// `false` when the link was used (or the account changed) meanwhile.
pub(super) async fn save_using_link(
    app: &App,
    account: &Account,
    version: u64,
    token: &str,
    token_version: u64,
    mails: Vec<Mail>,
) -> Result<bool, StoreError> {
    let mut writes = persist_account(account, version)?;
    writes.push(use_token(token, token_version));
    writes.extend(queued(app, mails)?);
    match app.store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCancelled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------------ passwords

/// Sends a reset link if the address is a family account's, within the
/// limits; says nothing either way.
pub async fn request_reset(app: &App, email: &str, address: &str) -> Result<(), AccountError> {
    if !may_send_link(app, email, address).await? {
        return Ok(());
    }
    let Some(account) = account_via(app.store.as_ref(), &email_key(Kind::Family, email)).await?
    else {
        return Ok(());
    };
    if account.statut == Status::Pending {
        return Ok(());
    }
    let token = new_token();
    let expires = (app.clock.now() + RESET_TTL).timestamp();
    let mail = mails::password_reset(
        &app.settings.commune,
        &account.courriel,
        &link(app, "/compte/nouveau-mot-de-passe", &token),
    );
    let item = token_item(&token, &account.id, TokenUse::Reset, None, expires)?;
    create_announced(app, item, vec![mail]).await?;
    Ok(())
}

/// Whether a reset (or agent invitation) link is still usable, without using
/// it: the account it sets a password for (whose username and e-mail the
/// new password must not contain).
pub async fn check_link(
    app: &App,
    token: &str,
    usage: TokenUse,
) -> Result<LinkOutcome<Account>, StoreError> {
    Ok(match open_link(app.store.as_ref(), token, usage).await? {
        LinkOutcome::Done(link) => LinkOutcome::Done(link.account),
        LinkOutcome::AlreadyUsed => LinkOutcome::AlreadyUsed,
        LinkOutcome::Expired => LinkOutcome::Expired,
    })
}

/// Uses a reset (or agent invitation) link: sets the new password, lifts a
/// lock, and ends every session of the account.
pub async fn reset_password(
    app: &App,
    token: &str,
    usage: TokenUse,
    new_hash: String,
) -> Result<LinkOutcome<Account>, AccountError> {
    let OpenLink {
        token_version,
        mut account,
        version,
        ..
    } = open_or_return!(open_link(app.store.as_ref(), token, usage).await?);
    account.mot_de_passe = new_hash;
    account.echecs = 0;
    account.verrouille_jusqua = None;
    if !save_using_link(app, &account, version, token, token_version, vec![]).await? {
        return Ok(LinkOutcome::AlreadyUsed);
    }
    sessions::close_all(app.store.as_ref(), &account.id, None).await?;
    Ok(LinkOutcome::Done(account))
}

/// Changes the password of a signed-in account; its other sessions end.
pub async fn change_password(
    app: &App,
    account_id: &str,
    new_hash: String,
    current_session: &str,
) -> Result<(), AccountError> {
    app.store
        .update(
            account_key(account_id),
            Update::default().set("mot_de_passe", new_hash),
            Condition::Exists,
        )
        .await?;
    sessions::close_all(app.store.as_ref(), account_id, Some(current_session)).await?;
    Ok(())
}

// ------------------------------------------------------------------ e-mail

/// Sends a confirmation link to the new address and tells the old one.
pub async fn request_email_change(
    app: &App,
    account: &Account,
    new_email: &str,
) -> Result<(), AccountError> {
    if app
        .store
        .get(&email_key(account.kind, new_email))
        .await?
        .is_some()
    {
        return Err(AccountError::EmailTaken);
    }
    let token = new_token();
    let expires = (app.clock.now() + EMAIL_CHANGE_TTL).timestamp();
    let c = &app.settings.commune;
    let notices = vec![
        mails::email_change_confirm(
            c,
            new_email,
            &link(app, "/compte/courriel/confirmer", &token),
        ),
        mails::email_change_notice(c, &account.courriel, new_email),
    ];
    let item = token_item(
        &token,
        &account.id,
        TokenUse::EmailChange,
        Some(new_email.into()),
        expires,
    )?;
    create_announced(app, item, notices).await?;
    Ok(())
}

/// Follows an e-mail change link: the new address replaces the old one, if
/// nobody took it meanwhile.
pub async fn confirm_email_change(
    app: &App,
    token: &str,
) -> Result<LinkOutcome<Account>, AccountError> {
    let OpenLink {
        record,
        token_version,
        mut account,
        version,
    } = open_or_return!(open_link(app.store.as_ref(), token, TokenUse::EmailChange).await?);
    let Some(new_email) = record.nouveau_courriel else {
        return Ok(LinkOutcome::Expired);
    };
    let old = std::mem::replace(&mut account.courriel, new_email.clone());
    let item = account_item(&account, version)?;
    let mut pointer = Item::new(email_key(account.kind, &new_email), Default::default());
    pointer.attrs.insert("compte".into(), json!(account.id));
    let mut tx = Transaction::new();
    tx.add(
        Part::Account,
        Write::Put {
            item,
            condition: Condition::VersionEquals(version),
        },
    )
    .add(
        Part::Email,
        Write::Put {
            item: pointer,
            condition: Condition::NotExists,
        },
    )
    .add(
        Part::OldEmail,
        Write::Delete {
            key: email_key(account.kind, &old),
            condition: Condition::Always,
        },
    )
    .add(Part::Token, use_token(token, token_version));
    match app.store.commit(tx).await {
        Ok(()) => Ok(LinkOutcome::Done(account)),
        Err(CommitError::Failed(Part::Email)) => Err(AccountError::EmailTaken),
        Err(CommitError::Failed(_)) => Ok(LinkOutcome::AlreadyUsed),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}
