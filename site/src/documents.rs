//! Documents: PDF files in `content/documents/`, described in
//! `content/documents/documents.toml` (title, category from the file's own
//! list, date). The page groups them by category; each link states format
//! and size ("PDF, 240 Ko"), as RGAA asks.

use crate::Built;
use chrono::NaiveDate;
use maud::html;
use serde::Deserialize;
use shared::layout::{self, Page};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    categories: Vec<String>,
    #[serde(default)]
    document: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    fichier: String,
    titre: String,
    categorie: String,
    date: toml::value::Datetime,
}

/// One published document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub file: String,
    pub title: String,
    pub category: String,
    pub date: NaiveDate,
    pub bytes: u64,
}

pub use shared::layout::size_fr;

/// The documents of a folder: the categories in their order, the
/// documents, and their files by site path; every problem names the file.
pub type Loaded = (Vec<String>, Vec<Document>, Vec<(String, Vec<u8>)>);

/// Reads a documents folder ([`Loaded`]).
pub fn load(dir: &Path) -> Result<Loaded, String> {
    let index_path = dir.join("documents.toml");
    let name = index_path.display();
    let text = match std::fs::read_to_string(&index_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![], vec![])),
        Err(e) => return Err(format!("{name} : {e}")),
    };
    let index: Index = toml::from_str(&text).map_err(|e| format!("{name} : {}", e.message()))?;
    let mut docs = Vec::new();
    let mut files = Vec::new();
    for e in index.document {
        let what = format!("{name}, document « {} »", e.fichier);
        if !index.categories.contains(&e.categorie) {
            return Err(format!(
                "{what} : catégorie inconnue « {} » (catégories : {})",
                e.categorie,
                index.categories.join(", ")
            ));
        }
        if e.fichier.contains('/') || e.fichier.contains("..") || !e.fichier.ends_with(".pdf") {
            return Err(format!(
                "{what} : un nom de fichier PDF de ce dossier est attendu"
            ));
        }
        let path = dir.join(&e.fichier);
        let bytes =
            std::fs::read(&path).map_err(|err| format!("{what} : fichier illisible ({err})"))?;
        if !bytes.starts_with(b"%PDF-") {
            return Err(format!("{what} : ce n'est pas un fichier PDF"));
        }
        let date = match (e.date.date, e.date.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        }
        .ok_or_else(|| format!("{what} : date invalide « {} »", e.date))?;
        if e.titre.trim().is_empty() {
            return Err(format!("{what} : titre vide"));
        }
        docs.push(Document {
            file: e.fichier.clone(),
            title: e.titre,
            category: e.categorie,
            date,
            bytes: bytes.len() as u64,
        });
        files.push((format!("documents/{}", e.fichier), bytes));
    }
    sort(&mut docs);
    Ok((index.categories, docs, files))
}

/// Newest first.
pub fn sort(docs: &mut [Document]) {
    docs.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title)));
}

/// The documents page.
pub fn build(categories: &[String], docs: &[Document]) -> Built {
    let main = html! {
        @if docs.is_empty() {
            p { "Aucun document publié pour l'instant." }
        }
        @for category in categories {
            @let in_category: Vec<&Document> = docs.iter().filter(|d| &d.category == category).collect();
            @if !in_category.is_empty() {
                h2 { (category) }
                ul {
                    @for d in in_category {
                        li {
                            a href={ "/documents/" (d.file) } download { (d.title) " (PDF, " (size_fr(d.bytes)) ")" }
                            " — publié le " time datetime=(d.date.to_string()) { (d.date.format("%d/%m/%Y")) }
                        }
                    }
                }
            }
        }
    };
    Built {
        path: "/documents/".into(),
        html: layout::render(Page {
            title: "Documents",
            path: "/documents/",
            main,
        })
        .into_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(index: &str, pdf: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pdf"), pdf).unwrap();
        std::fs::write(dir.path().join("documents.toml"), index).unwrap();
        load(dir.path()).unwrap_err()
    }

    #[test]
    fn bad_documents_name_the_problem() {
        let entry = |cat: &str, file: &str, date: &str| {
            format!(
                "categories = [\"Menus\"]\n[[document]]\nfichier = \"{file}\"\ntitre = \"T\"\ncategorie = \"{cat}\"\ndate = {date}\n"
            )
        };
        assert!(
            broken(&entry("Piscine", "a.pdf", "2026-01-01"), b"%PDF-1.4")
                .contains("catégorie inconnue « Piscine »")
        );
        assert!(
            broken(&entry("Menus", "b.pdf", "2026-01-01"), b"%PDF-1.4")
                .contains("fichier illisible")
        );
        assert!(
            broken(&entry("Menus", "a.pdf", "2026-01-01"), b"GIF89a")
                .contains("pas un fichier PDF")
        );
        assert!(
            broken(&entry("Menus", "../a.pdf", "2026-01-01"), b"%PDF-1.4")
                .contains("nom de fichier PDF")
        );
        assert!(
            broken(&entry("Menus", "a.pdf", "\"hier\""), b"%PDF-1.4").contains("documents.toml")
        );
    }

    #[test]
    fn the_shipped_documents_load() {
        let (cats, docs, files) = load(&crate::default_content_dir().join("documents")).unwrap();
        assert_eq!(files.len(), docs.len());
        assert_eq!(cats.len(), 3);
        assert!(docs.iter().any(|d| d.title.contains("Règlement intérieur")));
    }
}
