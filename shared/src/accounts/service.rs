//! Account operations on the store: sign-up, activation, login, passwords,
//! e-mail change, deletion, agents and the town's review. Each change that
//! touches several items is one transaction; uniqueness of usernames and
//! e-mails rests on conditional writes, so it holds under races.

use super::lockout;
use super::names::fold;
use super::sessions;
use super::tokens::{new_token, token_hash};
use super::{
    ACTIVATION_TTL, AGENT_INVITE_TTL, Account, EMAIL_CHANGE_TTL, Kind, RESET_TTL, REVIEW_PARTITION,
    Service, Status, account_gsi1, account_key, email_key, username_key,
};
use crate::app::App;
use crate::domain::dossier::{self, Dossier};
use crate::domain::invoice::Invoice;
use crate::ids::DossierNumber;
use crate::limits;
use crate::mail::{Mail, MailError, texts as mails};
use crate::outbox;
use crate::store::{
    CommitError, Condition, Item, Key, Query, Store, StoreError, Transaction, Update, Write,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("nom d'utilisateur déjà pris")]
    UsernameTaken,
    #[error("adresse e-mail déjà utilisée")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// What a one-time link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    Activation,
    Reset,
    EmailChange,
    AgentInvite,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TokenRecord {
    compte: String,
    usage: TokenUse,
    #[serde(default)]
    nouveau_courriel: Option<String>,
    #[serde(default)]
    utilise: bool,
}

/// The writes of the account transactions, by name (a failed condition is
/// recognised by its write's name, never by its position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Account,
    Username,
    Email,
    OldEmail,
    Token,
    /// A message announcing the change (the outbox).
    Mail,
}

/// The outbox writes of messages announcing a change, for its transaction.
fn queued(app: &App, mails: Vec<Mail>) -> Result<Vec<Write>, StoreError> {
    let now = app.clock.now();
    mails.into_iter().map(|m| outbox::queue(m, now)).collect()
}

/// Creates an item that must not exist yet and queues the messages that
/// announce it, in one transaction; `false` when the item existed.
async fn create_announced(app: &App, item: Item, mails: Vec<Mail>) -> Result<bool, StoreError> {
    let mut tx = Transaction::new();
    tx.add(Part::Token, new(item))
        .extend(Part::Mail, queued(app, mails)?);
    match app.store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(_)) => Ok(false),
        Err(CommitError::Store(e)) => Err(e),
    }
}

/// A write that creates an item that must not exist yet.
fn new(item: Item) -> Write {
    Write::Put {
        item,
        condition: Condition::NotExists,
    }
}

fn token_key(token: &str) -> Key {
    Key::new(format!("JETON#{}", token_hash(token)), "JETON")
}

/// What following a one-time link found.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkOutcome<T> {
    Done(T),
    AlreadyUsed,
    /// Expired, or never issued.
    Expired,
}

// ------------------------------------------------------------------ secret

/// The key of the CSRF tokens: made once, at the first start, and kept in
/// the store so that every Lambda container and the local portal share it.
pub async fn load_or_create_secret(store: &dyn Store) -> Result<Vec<u8>, StoreError> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let key = Key::new("META", "SECRET");
    let candidate = Item::new(key.clone(), Default::default());
    let mut candidate = candidate;
    candidate.attrs.insert("valeur".into(), json!(new_token()));
    match store.put(candidate, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e),
    }
    let item = store
        .get(&key)
        .await?
        .ok_or_else(|| StoreError::Corrupt("secret absent".into()))?;
    let value = item.attrs["valeur"].as_str().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|e| StoreError::Corrupt(format!("secret : {e}")))
}

// ------------------------------------------------------------------ look-ups

async fn get_record<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &Key,
) -> Result<Option<(T, u64)>, StoreError> {
    match store.get(key).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

pub async fn account(store: &dyn Store, id: &str) -> Result<Option<Account>, StoreError> {
    Ok(get_record(store, &account_key(id)).await?.map(|(a, _)| a))
}

async fn account_via(store: &dyn Store, key: &Key) -> Result<Option<Account>, StoreError> {
    let Some(item) = store.get(key).await? else {
        return Ok(None);
    };
    let id = item.attrs["compte"].as_str().unwrap_or_default().to_owned();
    account(store, &id).await
}

/// The account a login identifier names: a username or an e-mail address.
pub async fn find_for_login(
    store: &dyn Store,
    kind: Kind,
    identifier: &str,
) -> Result<Option<Account>, StoreError> {
    let id = identifier.trim().to_lowercase();
    if id.is_empty() || id.len() > 200 {
        return Ok(None);
    }
    let found = if id.contains('@') || kind == Kind::Agent {
        account_via(store, &email_key(kind, &id)).await?
    } else {
        account_via(store, &username_key(&id)).await?
    };
    Ok(found.filter(|a| a.kind == kind))
}

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

fn references_lock_key(numero: &str) -> Key {
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
async fn lock_references(app: &App, numero: &str) -> Result<(), StoreError> {
    let until = app.clock.now().timestamp() + limits::REFERENCES_LOCK_SECONDS;
    let lock = Item::new(references_lock_key(numero), Default::default()).expiring_at(until);
    let mut notices = Vec::new();
    if dossier(app.store.as_ref(), numero).await?.is_some()
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

pub async fn dossier(store: &dyn Store, numero: &str) -> Result<Option<Dossier>, StoreError> {
    Ok(get_record(store, &dossier::key(numero))
        .await?
        .map(|(d, _)| d))
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

fn link(app: &App, path: &str, token: &str) -> String {
    format!("{}{path}?jeton={token}", app.config.public_url)
}

/// Creates the pending account (username, e-mail and activation link expire
/// with it after 24 h) and sends the activation message.
pub async fn register(app: &App, signup: SignUp) -> Result<Account, AccountError> {
    let now = app.clock.now();
    let expires = (now + ACTIVATION_TTL).timestamp();
    let account = Account {
        id: ulid::Ulid::new().to_string(),
        kind: Kind::Family,
        nom: signup.nom,
        prenom: signup.prenom,
        courriel: signup.courriel,
        identifiant: signup.identifiant,
        mot_de_passe: signup.mot_de_passe,
        statut: Status::Pending,
        dossier: signup.dossier,
        cree_le: now,
        echecs: 0,
        verrouille_jusqua: None,
        service: None,
        motif_refus: None,
        dossier_demande: None,
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

fn token_item(
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
async fn read_token(
    store: &dyn Store,
    token: &str,
    usage: TokenUse,
) -> Result<LinkOutcome<(TokenRecord, u64)>, StoreError> {
    if !super::tokens::is_token_shaped(token) {
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
fn use_token(token: &str, version: u64) -> Write {
    Write::Update {
        key: token_key(token),
        update: Update::default().set("utilise", true),
        condition: Condition::VersionEquals(version),
    }
}

/// A live, unused one-time link and the account it belongs to, with the
/// versions read (the writes that use them are guarded by those versions).
struct OpenLink {
    record: TokenRecord,
    token_version: u64,
    account: Account,
    version: u64,
}

async fn open_link(
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

/// Unwraps an open link, or returns what the link was.
macro_rules! open_or_return {
    ($outcome:expr) => {
        match $outcome {
            LinkOutcome::Done(link) => link,
            LinkOutcome::AlreadyUsed => return Ok(LinkOutcome::AlreadyUsed),
            LinkOutcome::Expired => return Ok(LinkOutcome::Expired),
        }
    };
}

/// An account's item as read at `version`, with its GSI1 key.
fn account_item(account: &Account, version: u64) -> Result<Item, StoreError> {
    let mut item = Item::from_record(account_key(&account.id), account)?;
    item.version = version;
    item.gsi1 = account_gsi1(account);
    Ok(item)
}

/// Writes that make an account's item (and the pointers to it) permanent,
/// with its new state.
fn persist_account(account: &Account, version: u64) -> Result<Vec<Write>, StoreError> {
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
async fn save_using_link(
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
async fn dossier_linked_notices(
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
async fn may_send_link(app: &App, typed: &str, address: &str) -> Result<bool, StoreError> {
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
async fn record_account_failure(
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
        .unwrap_or_else(|| super::password::decoy_hash().to_owned());
    let ok = super::password::verify_async(phc, password.to_owned()).await;
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

// ------------------------------------------------------------------ deletion

/// Deletes a web account, its username, e-mail and sessions; the town's
/// dossier stays.
pub async fn delete_account(app: &App, account: &Account) -> Result<(), AccountError> {
    let store = app.store.as_ref();
    sessions::close_all(store, &account.id, None).await?;
    let delete = |key: Key| Write::Delete {
        key,
        condition: Condition::Always,
    };
    store
        .transact(vec![
            delete(account_key(&account.id)),
            delete(username_key(&account.identifiant)),
            delete(email_key(account.kind, &account.courriel)),
        ])
        .await?;
    Ok(())
}

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
        id: ulid::Ulid::new().to_string(),
        kind: Kind::Agent,
        nom: nom.into(),
        prenom: prenom.into(),
        courriel: email.into(),
        identifiant: email.into(),
        mot_de_passe: String::new(),
        statut: Status::Active,
        dossier: None,
        cree_le: now,
        echecs: 0,
        verrouille_jusqua: None,
        service: Some(service),
        motif_refus: None,
        dossier_demande: None,
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
            if self::dossier(store, &numero).await?.is_none() {
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

/// Dossiers whose number, responsable's name or child's name matches a
/// search (agents' pages). Numbers are matched exactly; names through GSI1,
/// by the start of "nom prénom" without case or accents.
pub async fn search_dossiers(store: &dyn Store, query: &str) -> Result<Vec<Dossier>, StoreError> {
    let q = query.trim();
    if q.is_empty() || q.len() > 200 {
        return Ok(vec![]);
    }
    if let Ok(numero) = DossierNumber::parse(q)
        && let Some(d) = dossier(store, &numero).await?
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
            && let Some(d) = dossier(store, numero).await?
        {
            found.push(d);
        }
    }
    Ok(found)
}
