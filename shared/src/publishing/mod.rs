//! The public site's content as the web team edits it from the back-office:
//! actualités (Markdown, an optional image, draft / published / scheduled)
//! and documents (PDF files in the site's categories), in the store, their
//! files in the files port (under `site/`).
//!
//! Every change is one transaction with its audit line and the content's
//! generation counter (`SITE#ETAT/generation`); a build of the site records
//! the generation it built, so "the site is up to date" is a comparison, and
//! a change made during a build is built right after it ([`rebuild`]): one
//! build at a time (a lease in the store), the latest content wins.
//!
//! What rebuilds the site after a change is the App's [`SiteBuilds`]: the
//! local portal builds at once into its folder; on AWS the table's stream
//! runs the `site` function on the generation's change.

pub mod images;
pub mod rules;

use crate::access::Publisher;
use crate::app::App;
use crate::audit;
use crate::files::{FileError, FileKind};
use crate::store::{CmpOp, Condition, Item, Key, Query, Store, StoreError, Update, Write};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rules::{CheckedNews, Choice};
use serde::{Deserialize, Serialize};

const NEWS_PK: &str = "SITE#ACTU";
const DOCS_PK: &str = "SITE#DOC";
/// The scheduled items by time (`{rfc3339}#{slug}`): what the jobs publish.
const SCHEDULE_PK: &str = "SITE#PROGRAMME";
/// The content's state: the generation counter, the lease of the build,
/// the categories, the seeding mark.
pub const STATE_PK: &str = "SITE#ETAT";
/// The audit trail's subject.
pub const AUDIT_SUBJECT: &str = "SITE";
/// How long a build may hold the lease before another may take it.
const LEASE_SECONDS: i64 = 300;

fn generation_key() -> Key {
    Key::new(STATE_PK, "generation")
}

/// The write every change joins: the content's generation goes up by one.
fn bump() -> Write {
    Write::Update {
        key: generation_key(),
        update: Update::default().add("n", 1),
        condition: Condition::Always,
    }
}

/// Where an actualité stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "etat", rename_all = "snake_case")]
pub enum Status {
    Brouillon,
    Publiee,
    Programmee { le: DateTime<Utc> },
}

/// One stored copy of an image at a width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVariant {
    /// The key in the files port (`site/actualites/{id}-{largeur}.{ext}`).
    pub cle: String,
    pub largeur: u32,
}

impl StoredVariant {
    /// The file's name on the site (`/actualites/images/{name}`).
    pub fn file_name(&self) -> &str {
        self.cle.rsplit('/').next().unwrap_or(&self.cle)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsImage {
    pub alt: String,
    /// The smallest first.
    pub variantes: Vec<StoredVariant>,
}

/// An actualité.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct News {
    pub slug: String,
    pub titre: String,
    pub date: NaiveDate,
    pub resume: String,
    /// The body, in Markdown.
    pub corps: String,
    pub image: Option<NewsImage>,
    pub statut: Status,
    pub modifiee_le: DateTime<Utc>,
    pub modifiee_par: String,
}

impl News {
    /// Whether the item is on the site at `now` (a scheduled item is, once
    /// its time has come, even before the job marks it published).
    pub fn online_at(&self, now: DateTime<Utc>) -> bool {
        match self.statut {
            Status::Publiee => true,
            Status::Programmee { le } => le <= now,
            Status::Brouillon => false,
        }
    }

    pub fn status_label(&self, now: DateTime<Utc>) -> String {
        match &self.statut {
            Status::Brouillon => "Brouillon".into(),
            Status::Publiee => "Publiée".into(),
            Status::Programmee { le } if *le <= now => "Publiée".into(),
            Status::Programmee { le } => format!(
                "Programmée le {}",
                le.with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y à %H:%M")
            ),
        }
    }
}

/// A document of the site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteDocument {
    /// Its file name on the site (`/documents/{fichier}`): kept when the
    /// file is replaced.
    pub fichier: String,
    pub titre: String,
    pub categorie: String,
    pub date: NaiveDate,
    /// The key in the files port.
    pub cle: String,
    pub octets: u64,
    pub modifie_le: DateTime<Utc>,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("introuvable")]
    NotFound,
    /// Someone else changed it since the form was read.
    #[error("modifié entre-temps")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fichiers : {0}")]
    Files(#[from] FileError),
}

impl From<PublishError> for crate::web::AppError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::NotFound => Self::NotFound,
            PublishError::Conflict => Self::BadRequest,
            PublishError::Store(s) => s.into(),
            PublishError::Files(f) => Self::Unavailable(f.to_string()),
        }
    }
}

fn entry(publisher: &Publisher, now: DateTime<Utc>, action: &str, detail: String) -> audit::Entry {
    let actor = publisher.agent().actor();
    audit::Entry {
        agent: actor.id.to_owned(),
        agent_nom: actor.name.to_owned(),
        le: now,
        action: action.to_owned(),
        detail,
    }
}

fn news_key(slug: &str) -> Key {
    Key::new(NEWS_PK, slug)
}

fn schedule_key(at: DateTime<Utc>, slug: &str) -> Key {
    Key::new(SCHEDULE_PK, format!("{}#{slug}", at.to_rfc3339()))
}

fn schedule_writes(before: Option<&Status>, after: &Status, slug: &str) -> Vec<Write> {
    let mut writes = Vec::new();
    if before == Some(after) {
        return writes;
    }
    if let Some(Status::Programmee { le }) = before {
        writes.push(Write::Delete {
            key: schedule_key(*le, slug),
            condition: Condition::Always,
        });
    }
    if let Status::Programmee { le } = after {
        writes.push(Write::Put {
            item: Item::new(schedule_key(*le, slug), serde_json::Map::new()),
            condition: Condition::Always,
        });
    }
    writes
}

/// Every actualité, newest date first, with its version.
pub async fn all_news(store: &dyn Store) -> Result<Vec<(News, u64)>, StoreError> {
    let mut items: Vec<(News, u64)> = all_versioned(store, NEWS_PK).await?;
    items.sort_by(|(a, _), (b, _)| b.date.cmp(&a.date).then_with(|| b.slug.cmp(&a.slug)));
    Ok(items)
}

/// One actualité by its address.
pub async fn news(store: &dyn Store, slug: &str) -> Result<Option<(News, u64)>, StoreError> {
    if !rules::is_slug(slug) {
        return Ok(None);
    }
    versioned(store, &news_key(slug)).await
}

/// Every record of a partition, with its version.
async fn all_versioned<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    pk: &str,
) -> Result<Vec<(T, u64)>, StoreError> {
    store
        .query_all(Query::partition(pk).limit(1000))
        .await?
        .iter()
        .map(|i| Ok((i.record::<T>()?, i.version)))
        .collect()
}

/// A record and its version, if there is one.
async fn versioned<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &Key,
) -> Result<Option<(T, u64)>, StoreError> {
    match store.get(key).await? {
        Some(i) => Ok(Some((i.record()?, i.version))),
        None => Ok(None),
    }
}

/// An image the web team sent: checked (JPEG or PNG, at most 4 MB),
/// resized to the site's widths and kept in the files port at once, so
/// that a form shown again (a preview, a field to correct) keeps it
/// ([`kept_image`] reads it back). The outer error is the files port's;
/// the inner one the message for the field.
pub async fn keep_image(
    app: &App,
    bytes: &[u8],
) -> Result<Result<Vec<StoredVariant>, String>, FileError> {
    let checked = rules::image(bytes)
        .and_then(|kind| images::variants(bytes, kind).map(|variants| (kind, variants)));
    let (kind, variants) = match checked {
        Ok(v) => v,
        Err(message) => return Ok(Err(message)),
    };
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let mut kept = Vec::new();
    for v in variants {
        let cle = format!("site/actualites/{id}-{}.{}", v.width, kind.extension());
        app.files.put(&cle, v.bytes, kind).await?;
        kept.push(StoredVariant {
            cle,
            largeur: v.width,
        });
    }
    Ok(Ok(kept))
}

/// The form's note of a kept image (`{id}-{largeur}.{ext}`, comma-separated).
pub fn kept_note(variants: &[StoredVariant]) -> String {
    variants
        .iter()
        .map(StoredVariant::file_name)
        .collect::<Vec<_>>()
        .join(",")
}

/// An image kept by [`keep_image`], from the form's note: only names we
/// make, whose files exist (a forged note finds nothing).
pub async fn kept_image(app: &App, note: &str) -> Result<Option<Vec<StoredVariant>>, FileError> {
    let mut variants = Vec::new();
    for name in note.split(',').filter(|n| !n.is_empty()) {
        let Some((stem, ext)) = name.rsplit_once('.') else {
            return Ok(None);
        };
        let Some((id, width)) = stem.rsplit_once('-') else {
            return Ok(None);
        };
        let ours = id.len() == 26
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            && matches!(ext, "png" | "jpg");
        let (true, Ok(largeur)) = (ours, width.parse::<u32>()) else {
            return Ok(None);
        };
        let cle = format!("site/actualites/{name}");
        if app.files.get(&cle).await?.is_none() {
            return Ok(None);
        }
        variants.push(StoredVariant { cle, largeur });
    }
    Ok((!variants.is_empty()).then_some(variants))
}

async fn forget_files(app: &App, keys: impl IntoIterator<Item = String>) {
    for key in keys {
        if let Err(e) = app.files.delete(&key).await {
            tracing::warn!(error = %e, key, "fichier du site non supprimé");
        }
    }
}

fn status_of(checked: &CheckedNews) -> Status {
    match (checked.choice, checked.scheduled_at) {
        (Choice::Draft, _) => Status::Brouillon,
        (Choice::Schedule, Some(le)) => Status::Programmee { le },
        _ => Status::Publiee,
    }
}

fn action_of(status: &Status) -> &'static str {
    match status {
        Status::Brouillon => "actualité enregistrée en brouillon",
        Status::Publiee => "actualité publiée",
        Status::Programmee { .. } => "actualité programmée",
    }
}

/// Creates an actualité; its address is made of its date and title (a
/// number is added when it is taken). Returns the address.
pub async fn create_news(
    app: &App,
    publisher: &Publisher,
    checked: CheckedNews,
    image: Option<Vec<StoredVariant>>,
) -> Result<String, PublishError> {
    let now = app.clock.now();
    let image = match (image, &checked.image_alt) {
        (Some(variantes), Some(alt)) => Some(NewsImage {
            alt: alt.clone(),
            variantes,
        }),
        _ => None,
    };
    let statut = status_of(&checked);
    let actor = publisher.agent().actor().name.to_owned();
    for n in 1..=50 {
        let slug = rules::news_slug(checked.date, &checked.titre, n);
        let news = News {
            slug: slug.clone(),
            titre: checked.titre.clone(),
            date: checked.date,
            resume: checked.resume.clone(),
            corps: checked.corps.clone(),
            image: image.clone(),
            statut: statut.clone(),
            modifiee_le: now,
            modifiee_par: actor.clone(),
        };
        let mut writes = vec![
            Write::Put {
                item: Item::from_record(news_key(&slug), &news)?,
                condition: Condition::NotExists,
            },
            bump(),
            audit::write(
                AUDIT_SUBJECT,
                &entry(
                    publisher,
                    now,
                    action_of(&statut),
                    format!("« {} » ({slug})", news.titre),
                ),
            )?,
        ];
        writes.extend(schedule_writes(None, &statut, &slug));
        match app.store.transact(writes).await {
            Ok(()) => {
                app.site_builds.changed(app).await;
                return Ok(slug);
            }
            // The address is taken: the next number.
            Err(StoreError::TransactionCancelled { index: 0 }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(PublishError::Conflict)
}

/// What an edit does to the image.
pub enum ImageChange {
    Keep,
    Replace(Vec<StoredVariant>),
    Remove,
}

/// Changes an actualité read at `version` (its address stays).
pub async fn update_news(
    app: &App,
    publisher: &Publisher,
    slug: &str,
    version: u64,
    checked: CheckedNews,
    image: ImageChange,
) -> Result<(), PublishError> {
    let now = app.clock.now();
    let (before, _) = news(app.store.as_ref(), slug)
        .await?
        .ok_or(PublishError::NotFound)?;
    let (image, dropped) = match image {
        ImageChange::Keep => (
            before.image.clone().map(|i| NewsImage {
                alt: checked.image_alt.clone().unwrap_or(i.alt),
                variantes: i.variantes,
            }),
            vec![],
        ),
        ImageChange::Remove => (
            None,
            before
                .image
                .clone()
                .map(|i| i.variantes)
                .unwrap_or_default(),
        ),
        ImageChange::Replace(variantes) => (
            Some(NewsImage {
                alt: checked.image_alt.clone().unwrap_or_default(),
                variantes,
            }),
            before
                .image
                .clone()
                .map(|i| i.variantes)
                .unwrap_or_default(),
        ),
    };
    let statut = status_of(&checked);
    let after = News {
        slug: before.slug.clone(),
        titre: checked.titre,
        date: checked.date,
        resume: checked.resume,
        corps: checked.corps,
        image,
        statut: statut.clone(),
        modifiee_le: now,
        modifiee_par: publisher.agent().actor().name.to_owned(),
    };
    let action = if statut == Status::Publiee && before.statut == Status::Publiee {
        "actualité modifiée"
    } else {
        action_of(&statut)
    };
    let mut writes = vec![
        Write::put_at(Item::from_record(news_key(slug), &after)?, version),
        bump(),
        audit::write(
            AUDIT_SUBJECT,
            &entry(
                publisher,
                now,
                action,
                format!("« {} » ({slug})", after.titre),
            ),
        )?,
    ];
    writes.extend(schedule_writes(Some(&before.statut), &statut, slug));
    match app.store.transact(writes).await {
        Ok(()) => {
            forget_files(app, dropped.into_iter().map(|v| v.cle)).await;
            app.site_builds.changed(app).await;
            Ok(())
        }
        // The new image stays kept: the form shown again offers it.
        Err(StoreError::TransactionCancelled { index: 0 }) => Err(PublishError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// Takes an actualité off the site (it becomes a draft again).
pub async fn unpublish(
    app: &App,
    publisher: &Publisher,
    slug: &str,
    version: u64,
) -> Result<(), PublishError> {
    let now = app.clock.now();
    let (mut item, _) = news(app.store.as_ref(), slug)
        .await?
        .ok_or(PublishError::NotFound)?;
    let before = std::mem::replace(&mut item.statut, Status::Brouillon);
    item.modifiee_le = now;
    item.modifiee_par = publisher.agent().actor().name.to_owned();
    let mut writes = vec![
        Write::put_at(Item::from_record(news_key(slug), &item)?, version),
        bump(),
        audit::write(
            AUDIT_SUBJECT,
            &entry(
                publisher,
                now,
                "actualité dépubliée",
                format!("« {} » ({slug})", item.titre),
            ),
        )?,
    ];
    writes.extend(schedule_writes(Some(&before), &Status::Brouillon, slug));
    commit_change(app, writes).await
}

async fn commit_change(app: &App, writes: Vec<Write>) -> Result<(), PublishError> {
    match app.store.transact(writes).await {
        Ok(()) => {
            app.site_builds.changed(app).await;
            Ok(())
        }
        Err(StoreError::TransactionCancelled { index: 0 }) => Err(PublishError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// The jobs' part: every scheduled actualité whose time has come is marked
/// published (once: a conditional write per item), then the site is built.
/// Returns how many.
pub async fn publish_due(app: &App) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let due = app
        .store
        .query_all(
            Query::partition(SCHEDULE_PK)
                .between("0", format!("{}~", now.to_rfc3339()))
                .limit(100),
        )
        .await?;
    let mut published = 0;
    for marker in due {
        let Some((_, slug)) = marker.key.sk.split_once('#') else {
            continue;
        };
        let mut writes = vec![Write::Delete {
            key: marker.key.clone(),
            condition: Condition::Exists,
        }];
        if let Some((mut item, version)) = news(app.store.as_ref(), slug).await?
            && matches!(item.statut, Status::Programmee { le } if le <= now)
        {
            item.statut = Status::Publiee;
            writes.push(Write::put_at(
                Item::from_record(news_key(slug), &item)?,
                version,
            ));
            writes.push(bump());
            writes.push(audit::write(
                AUDIT_SUBJECT,
                &audit::Entry {
                    agent: String::new(),
                    agent_nom: "publication programmée".into(),
                    le: now,
                    action: "actualité publiée".into(),
                    detail: format!("« {} » ({slug})", item.titre),
                },
            )?);
        }
        let changed = writes.len() > 1;
        match app.store.transact(writes).await {
            Ok(()) if changed => published += 1,
            Ok(()) => {}
            // Another run (or an edit) came first: nothing to do.
            Err(StoreError::TransactionCancelled { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if published > 0 {
        app.site_builds.changed(app).await;
    }
    Ok(published)
}

// ------------------------------------------------------------ documents

fn doc_key(fichier: &str) -> Key {
    Key::new(DOCS_PK, fichier)
}

/// The site's document categories, in their order.
pub async fn categories(store: &dyn Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .get(&Key::new(STATE_PK, "categories"))
        .await?
        .and_then(|i| i.attrs.get("liste").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// Every document, newest first, with its version.
pub async fn documents(store: &dyn Store) -> Result<Vec<(SiteDocument, u64)>, StoreError> {
    let mut docs: Vec<(SiteDocument, u64)> = all_versioned(store, DOCS_PK).await?;
    docs.sort_by(|(a, _), (b, _)| b.date.cmp(&a.date).then_with(|| a.titre.cmp(&b.titre)));
    Ok(docs)
}

pub async fn document(
    store: &dyn Store,
    fichier: &str,
) -> Result<Option<(SiteDocument, u64)>, StoreError> {
    let plausible = fichier.strip_suffix(".pdf").is_some_and(rules::is_slug);
    if !plausible {
        return Ok(None);
    }
    versioned(store, &doc_key(fichier)).await
}

/// A new document of the site; its file name is made of its title.
pub async fn add_document(
    app: &App,
    publisher: &Publisher,
    (titre, categorie, date): (String, String, NaiveDate),
    pdf: Vec<u8>,
) -> Result<String, PublishError> {
    let now = app.clock.now();
    let cle = format!(
        "site/documents/{}.pdf",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let octets = pdf.len() as u64;
    app.files.put(&cle, pdf, FileKind::Pdf).await?;
    let base = rules::slugify(&titre);
    for n in 1..=50 {
        let fichier = if n == 1 {
            format!("{base}.pdf")
        } else {
            format!("{base}-{n}.pdf")
        };
        let doc = SiteDocument {
            fichier: fichier.clone(),
            titre: titre.clone(),
            categorie: categorie.clone(),
            date,
            cle: cle.clone(),
            octets,
            modifie_le: now,
        };
        let writes = vec![
            Write::Put {
                item: Item::from_record(doc_key(&fichier), &doc)?,
                condition: Condition::NotExists,
            },
            bump(),
            audit::write(
                AUDIT_SUBJECT,
                &entry(
                    publisher,
                    now,
                    "document publié",
                    format!("« {titre} » (/documents/{fichier})"),
                ),
            )?,
        ];
        match app.store.transact(writes).await {
            Ok(()) => {
                app.site_builds.changed(app).await;
                return Ok(fichier);
            }
            Err(StoreError::TransactionCancelled { index: 0 }) => continue,
            Err(e) => {
                forget_files(app, [cle]).await;
                return Err(e.into());
            }
        }
    }
    Err(PublishError::Conflict)
}

/// A document's new file, at the same address.
pub async fn replace_document(
    app: &App,
    publisher: &Publisher,
    fichier: &str,
    version: u64,
    pdf: Vec<u8>,
) -> Result<(), PublishError> {
    let now = app.clock.now();
    let (mut doc, _) = document(app.store.as_ref(), fichier)
        .await?
        .ok_or(PublishError::NotFound)?;
    let old = std::mem::replace(
        &mut doc.cle,
        format!(
            "site/documents/{}.pdf",
            ulid::Ulid::new().to_string().to_lowercase()
        ),
    );
    doc.octets = pdf.len() as u64;
    doc.modifie_le = now;
    app.files.put(&doc.cle, pdf, FileKind::Pdf).await?;
    let writes = vec![
        Write::put_at(Item::from_record(doc_key(fichier), &doc)?, version),
        bump(),
        audit::write(
            AUDIT_SUBJECT,
            &entry(
                publisher,
                now,
                "document remplacé",
                format!("« {} » (/documents/{fichier})", doc.titre),
            ),
        )?,
    ];
    match commit_change(app, writes).await {
        Ok(()) => {
            forget_files(app, [old]).await;
            Ok(())
        }
        Err(e) => {
            forget_files(app, [doc.cle]).await;
            Err(e)
        }
    }
}

/// Takes a document off the site.
pub async fn remove_document(
    app: &App,
    publisher: &Publisher,
    fichier: &str,
    version: u64,
) -> Result<(), PublishError> {
    let now = app.clock.now();
    let (doc, _) = document(app.store.as_ref(), fichier)
        .await?
        .ok_or(PublishError::NotFound)?;
    let writes = vec![
        Write::Delete {
            key: doc_key(fichier),
            condition: Condition::VersionEquals(version),
        },
        bump(),
        audit::write(
            AUDIT_SUBJECT,
            &entry(
                publisher,
                now,
                "document retiré",
                format!("« {} » (/documents/{fichier})", doc.titre),
            ),
        )?,
    ];
    commit_change(app, writes).await?;
    forget_files(app, [doc.cle]).await;
    Ok(())
}

/// The web team's audit trail, newest first.
pub async fn trail(store: &dyn Store) -> Result<Vec<audit::Entry>, StoreError> {
    audit::trail(store, AUDIT_SUBJECT).await
}

// ------------------------------------------------------------ seeding

/// What the folder holds, to seed the store with on first run.
pub struct Seed {
    pub news: Vec<News>,
    /// Image files of the items: (files key, bytes, kind).
    pub files: Vec<(String, Vec<u8>, FileKind)>,
    pub categories: Vec<String>,
    pub documents: Vec<(SiteDocument, Vec<u8>)>,
}

/// Seeds the store once (a mark in the store says it was): the files first,
/// then the items and the mark; a second call, or a seeding after the web
/// team's first change, does nothing. Returns whether it seeded.
pub async fn seed_once(
    app: &App,
    seed: impl FnOnce() -> Result<Seed, String>,
) -> Result<bool, String> {
    let mark = Key::new(STATE_PK, "amorce");
    let fail = |e: StoreError| e.to_string();
    if app.store.get(&mark).await.map_err(fail)?.is_some() {
        return Ok(false);
    }
    let seed = seed()?;
    for (key, bytes, kind) in seed.files {
        app.files
            .put(&key, bytes, kind)
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut writes = Vec::new();
    for n in &seed.news {
        writes.push(Write::Put {
            item: Item::from_record(news_key(&n.slug), n).map_err(fail)?,
            condition: Condition::NotExists,
        });
    }
    for (doc, bytes) in seed.documents {
        app.files
            .put(&doc.cle, bytes, FileKind::Pdf)
            .await
            .map_err(|e| e.to_string())?;
        writes.push(Write::Put {
            item: Item::from_record(doc_key(&doc.fichier), &doc).map_err(fail)?,
            condition: Condition::NotExists,
        });
    }
    let mut categories = Item::new(Key::new(STATE_PK, "categories"), serde_json::Map::new());
    categories
        .attrs
        .insert("liste".into(), serde_json::json!(seed.categories));
    writes.push(Write::Put {
        item: categories,
        condition: Condition::Always,
    });
    // Items one by one (a folder may hold more than a transaction takes);
    // one already there (a seeding interrupted and run again) is kept.
    for w in writes {
        match app.store.write(w).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let writes = vec![
        Write::Put {
            item: Item::new(mark, serde_json::Map::new()),
            condition: Condition::NotExists,
        },
        bump(),
    ];
    match app.store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCancelled { index: 0 }) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

// ------------------------------------------------------------ builds

/// The last generation built: an item of its own, so that recording a
/// build does not touch the generation's item (whose change on the
/// table's stream starts a build).
fn built_key() -> Key {
    Key::new(STATE_PK, "construite")
}

/// The content's generation: the current one, and the last one built.
pub async fn generations(store: &dyn Store) -> Result<(u64, u64), StoreError> {
    let read = |item: Option<Item>| {
        item.and_then(|i| i.attrs.get("n").and_then(serde_json::Value::as_u64))
            .unwrap_or(0)
    };
    let current = read(store.get(&generation_key()).await?);
    let built = read(store.get(&built_key()).await?);
    Ok((current, built))
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuilt {
    /// The site now shows this generation.
    Built(u64),
    /// Another build holds the lease: it builds this change after its own.
    Busy,
}

/// Builds the site until it shows the latest content: takes the build's
/// lease (one build at a time, across processes), builds the current
/// generation with `build`, records it, and builds again if the content
/// changed meanwhile. `build` must leave the previous site in place until
/// the new one is complete.
pub async fn rebuild<F, Fut>(app: &App, mut build: F) -> Result<Rebuilt, String>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let lease_key = Key::new(STATE_PK, "verrou");
    let mut last = None;
    loop {
        let store = app.store.as_ref();
        let (current, built) = generations(store).await.map_err(|e| e.to_string())?;
        if last.is_some() && current == built {
            return Ok(Rebuilt::Built(current));
        }
        let token = i64::from(rand::random::<u32>());
        let mut lease = Item::new(lease_key.clone(), serde_json::Map::new())
            .expiring_at(app.clock.now().timestamp() + LEASE_SECONDS);
        lease.attrs.insert("jeton".into(), token.into());
        match store.put(lease, Condition::NotExists).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => {
                return Ok(last.map_or(Rebuilt::Busy, Rebuilt::Built));
            }
            Err(e) => return Err(e.to_string()),
        }
        // Read again under the lease: what this build shows.
        let result = match generations(store).await {
            Ok((generation, _)) => build(generation).await.map(|()| generation),
            Err(e) => Err(e.to_string()),
        };
        if let Ok(generation) = result {
            let recorded = store
                .update(
                    built_key(),
                    Update::default().set("n", generation),
                    Condition::Always,
                )
                .await;
            if let Err(e) = recorded {
                tracing::error!(error = %e, "génération construite non enregistrée");
            }
            last = Some(generation);
        }
        // Released only if still ours (an expired lease may have been taken).
        let released = store
            .delete(
                lease_key.clone(),
                Condition::Compare {
                    attr: "jeton".into(),
                    op: CmpOp::Eq,
                    value: token,
                },
            )
            .await;
        match released {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => tracing::warn!(error = %e, "verrou de construction non libéré"),
        }
        result?;
    }
}

/// Removes the build's lease whoever holds it: for a process that knows it
/// is the only builder (the local portal at start-up, after a stop during
/// a build).
pub async fn forget_lease(store: &dyn Store) -> Result<(), StoreError> {
    store
        .delete(Key::new(STATE_PK, "verrou"), Condition::Always)
        .await
}

/// What rebuilds the site after a change: the local portal's builder, or
/// nothing on AWS, where the table's stream runs the `site` function.
#[async_trait]
pub trait SiteBuilds: Send + Sync {
    /// The content changed (the change is committed).
    async fn changed(&self, app: &App);
}

/// On AWS: the `site` function runs on the stream record of the
/// generation's change; the handler has nothing to do.
pub struct OnStream;

#[async_trait]
impl SiteBuilds for OnStream {
    async fn changed(&self, _: &App) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_scheduled_item_is_online_once_its_time_has_come() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 7, 0, 0).unwrap();
        let mut n = News {
            slug: "2026-12-01-x".into(),
            titre: "X".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            resume: "r".into(),
            corps: "c".into(),
            image: None,
            statut: Status::Programmee { le: at },
            modifiee_le: at,
            modifiee_par: "Claire".into(),
        };
        assert!(!n.online_at(at - chrono::Duration::seconds(1)));
        assert!(n.online_at(at));
        assert_eq!(
            n.status_label(at - chrono::Duration::hours(1)),
            "Programmée le 01/12/2026 à 08:00"
        );
        n.statut = Status::Brouillon;
        assert!(!n.online_at(at));
        assert_eq!(
            schedule_writes(
                Some(&Status::Brouillon),
                &Status::Programmee { le: at },
                "s"
            )
            .len(),
            1
        );
        assert!(schedule_writes(Some(&Status::Publiee), &Status::Publiee, "s").is_empty());
        assert_eq!(
            schedule_writes(
                Some(&Status::Programmee { le: at }),
                &Status::Brouillon,
                "s"
            )
            .len(),
            1
        );
    }
}
