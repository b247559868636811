//! Login: password check, lockout per account, throttle per address, the
//! session that rotates.

use super::*;

// ------------------------------------------------------------------ login

/// What a login attempt gives.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginOutcome {
    /// Signed in: the new session's token.
    SignedIn { token: String, account: Account },
    /// Wrong identifier or password (the same answer for both).
    Refused,
    /// Too many failures on this account.
    Locked { minutes: i64 },
    /// Too many failures from this address.
    Throttled,
    /// Right password, but the account awaits its activation.
    NotActivated(Account),
}

/// Counts one failure on an account, locking it at the fifth.
pub(super) async fn record_account_failure(
    store: &dyn Store,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let Some((account, version)) = get_record::<Account>(store, &account_key(id)).await? else {
            return Ok(());
        };
        let (failures, lock) = lockout::after_failure(account.echecs, now);
        let mut update = Update::default().set("echecs", failures);
        if let Some(until) = lock {
            update = update.set("verrouille_jusqua", json!(until));
        }
        match store
            .update(account_key(id), update, Condition::VersionEquals(version))
            .await
        {
            Err(StoreError::ConditionFailed) => continue,
            other => return other,
        }
    }
    Ok(())
}

/// Checks a password; on success opens a session, ending the one of
/// `previous` (the session token the visitor had, if any): the token rotates.
pub async fn login(
    app: &App,
    kind: Kind,
    identifier: &str,
    password: &str,
    remember: bool,
    address: &str,
    previous: Option<&str>,
) -> Result<LoginOutcome, AccountError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    if limits::reached(store, &limits::LOGIN_ADDRESS, address, now).await? {
        return Ok(LoginOutcome::Throttled);
    }
    let found = find_for_login(store, kind, identifier).await?;
    if let Some(minutes) = found
        .as_ref()
        .and_then(|a| lockout::minutes_left(a.verrouille_jusqua, now))
    {
        return Ok(LoginOutcome::Locked { minutes });
    }
    let phc = found
        .as_ref()
        .map(|a| a.mot_de_passe.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| crate::accounts::password::decoy_hash().to_owned());
    let ok = crate::accounts::password::verify_async(phc, password.to_owned()).await;
    let Some(account) = found.filter(|_| ok) else {
        limits::record(store, &limits::LOGIN_ADDRESS, address, now).await?;
        if let Some(account) = find_for_login(store, kind, identifier).await? {
            record_account_failure(store, &account.id, now).await?;
            let reloaded = self::account(store, &account.id).await?;
            if let Some(minutes) =
                reloaded.and_then(|a| lockout::minutes_left(a.verrouille_jusqua, now))
            {
                return Ok(LoginOutcome::Locked { minutes });
            }
        }
        return Ok(LoginOutcome::Refused);
    };
    if account.statut == Status::Pending {
        return Ok(LoginOutcome::NotActivated(account));
    }
    if account.echecs > 0 || account.verrouille_jusqua.is_some() {
        let update = Update::default()
            .set("echecs", 0)
            .remove("verrouille_jusqua");
        store
            .update(account_key(&account.id), update, Condition::Exists)
            .await?;
    }
    if let Some(previous) = previous {
        sessions::close(store, previous).await?;
    }
    let token = sessions::open(store, &account, remember, now).await?;
    Ok(LoginOutcome::SignedIn { token, account })
}
