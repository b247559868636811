//! The content port of the site builder: what the site shows (actualités,
//! documents, their files), read from one of two sources.
//!
//! - [`Folder`]: the content folder (`site/content`, Markdown files with
//!   front matter, `documents.toml` and the PDF files): for the teams who
//!   prefer files, the `site-build` command and the tests;
//! - [`Stored`]: the store and the files port, which the web team edits
//!   from the back-office (`shared::publishing`); seeded from the folder on
//!   its first use.
//!
//! The commune's settings (`commune.toml`) stay a file in both cases.

use crate::{documents, news};
use async_trait::async_trait;
use shared::App;
use shared::files::FileKind;
use shared::publishing::{self, News, NewsImage, Seed, SiteDocument, Status, StoredVariant};
use std::path::{Path, PathBuf};

/// What the site shows: every actualité (drafts marked, left out of the
/// build), the document categories and documents, and the files they
/// name, by site path (`actualites/images/x.png`, `documents/x.pdf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    pub news: Vec<news::Item>,
    pub categories: Vec<String>,
    pub documents: Vec<documents::Document>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// Where the builder reads the content.
#[async_trait]
pub trait ContentSource: Send + Sync {
    async fn load(&self) -> Result<Content, String>;
}

/// The content folder.
#[derive(Debug, Clone)]
pub struct Folder {
    pub dir: PathBuf,
}

impl Folder {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// Reads the folder; a file with a problem stops it, naming the file.
    pub fn read(&self) -> Result<Content, String> {
        let (news, mut files) = news::load(&self.dir.join("actualites"))?;
        let (categories, documents, doc_files) = documents::load(&self.dir.join("documents"))?;
        files.extend(doc_files);
        Ok(Content {
            news,
            categories,
            documents,
            files,
        })
    }

    /// The folder as the store's first content (every item published but
    /// the drafts; the images and PDF files under `site/` in the files port).
    pub fn seed(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Seed, String> {
        let content = self.read()?;
        let file = |path: &str| {
            content
                .files
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| format!("{path} : fichier introuvable"))
        };
        let mut files = Vec::new();
        let mut items = Vec::new();
        for item in &content.news {
            let image = match &item.image {
                None => None,
                Some(image) => {
                    let mut variantes = Vec::new();
                    for (i, v) in image.variants.iter().enumerate() {
                        let bytes = file(v.path.trim_start_matches('/'))?;
                        let kind = match FileKind::detect(&bytes) {
                            Some(k @ (FileKind::Jpeg | FileKind::Png)) => k,
                            _ => return Err(format!("{} : image ni JPEG ni PNG", v.path)),
                        };
                        let cle = format!("site/actualites/{}-{i}.{}", item.slug, kind.extension());
                        variantes.push(StoredVariant {
                            cle: cle.clone(),
                            largeur: v
                                .width
                                .or_else(|| publishing::images::width(&bytes))
                                .unwrap_or(0),
                        });
                        files.push((cle, bytes, kind));
                    }
                    Some(NewsImage {
                        alt: image.alt.clone(),
                        variantes,
                    })
                }
            };
            items.push(News {
                slug: item.slug.clone(),
                titre: item.title.clone(),
                date: item.date,
                resume: item.summary.clone(),
                corps: item.body_markdown.clone(),
                image,
                statut: if item.draft {
                    Status::Brouillon
                } else {
                    Status::Publiee
                },
                modifiee_le: now,
                modifiee_par: "dossier de contenu".into(),
            });
        }
        let mut docs = Vec::new();
        for d in &content.documents {
            let stem = d.file.trim_end_matches(".pdf");
            let fichier = if publishing::rules::is_slug(stem) {
                d.file.clone()
            } else {
                format!("{}.pdf", publishing::rules::slugify(stem))
            };
            let doc = SiteDocument {
                cle: format!("site/documents/{fichier}"),
                fichier,
                titre: d.title.clone(),
                categorie: d.category.clone(),
                date: d.date,
                octets: d.bytes,
                modifie_le: now,
            };
            docs.push((doc, file(&format!("documents/{}", d.file))?));
        }
        Ok(Seed {
            news: items,
            files,
            categories: content.categories,
            documents: docs,
        })
    }
}

#[async_trait]
impl ContentSource for Folder {
    async fn load(&self) -> Result<Content, String> {
        let folder = self.clone();
        tokio::task::spawn_blocking(move || folder.read())
            .await
            .map_err(|e| e.to_string())?
    }
}

/// The store and the files port (what the back-office edits). With
/// `seed_from`, the store is first seeded from that folder if it never was.
#[derive(Clone)]
pub struct Stored {
    pub app: App,
    pub seed_from: Option<PathBuf>,
}

/// An actualité of the store as the site shows it.
pub fn item_of(n: &News) -> news::Item {
    news::Item {
        slug: n.slug.clone(),
        title: n.titre.clone(),
        date: n.date,
        summary: n.resume.clone(),
        image: n.image.as_ref().map(|i| news::Image {
            alt: i.alt.clone(),
            variants: i
                .variantes
                .iter()
                .map(|v| news::ImageFile {
                    path: format!("/actualites/images/{}", v.file_name()),
                    width: (v.largeur > 0).then_some(v.largeur),
                })
                .collect(),
        }),
        body_markdown: n.corps.clone(),
        body_html: news::markdown(&n.corps),
        draft: false,
    }
}

impl Stored {
    async fn file(&self, key: &str) -> Result<Vec<u8>, String> {
        match self.app.files.get(key).await {
            Ok(Some((bytes, _))) => Ok(bytes),
            Ok(None) => Err(format!("fichier du site absent : {key}")),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[async_trait]
impl ContentSource for Stored {
    async fn load(&self) -> Result<Content, String> {
        let app = &self.app;
        if let Some(dir) = &self.seed_from {
            let folder = Folder::new(dir);
            let now = app.clock.now();
            if publishing::seed_once(app, || folder.seed(now)).await? {
                tracing::info!(dossier = %dir.display(), "contenu du site repris du dossier");
            }
        }
        let now = app.clock.now();
        let store = app.store.as_ref();
        let mut content = Content {
            categories: publishing::categories(store)
                .await
                .map_err(|e| e.to_string())?,
            ..Content::default()
        };
        for (n, _) in publishing::all_news(store)
            .await
            .map_err(|e| e.to_string())?
        {
            if !n.online_at(now) {
                continue;
            }
            for v in n.image.iter().flat_map(|i| &i.variantes) {
                let bytes = self.file(&v.cle).await?;
                content
                    .files
                    .push((format!("actualites/images/{}", v.file_name()), bytes));
            }
            content.news.push(item_of(&n));
        }
        for (d, _) in publishing::documents(store)
            .await
            .map_err(|e| e.to_string())?
        {
            let bytes = self.file(&d.cle).await?;
            content
                .files
                .push((format!("documents/{}", d.fichier), bytes));
            content.documents.push(documents::Document {
                file: d.fichier,
                title: d.titre,
                category: d.categorie,
                date: d.date,
                bytes: d.octets,
            });
        }
        news::sort(&mut content.news);
        documents::sort(&mut content.documents);
        Ok(content)
    }
}
