//! The static public site: pages pre-built with maud into plain files, for
//! S3 + CloudFront, and served by the local portal too. The pages share the
//! layout of the functions (`shared::layout`); the content is read from the
//! content folder the web team edits (`site/content/`).

pub mod documents;
pub mod news;
mod pages;
pub mod sectors;
pub mod simulation;

use anyhow::Context;
use std::path::{Path, PathBuf};

/// One page to write: its URL path and its HTML.
pub struct Built {
    pub path: String,
    pub html: String,
}

/// Any other file of the site.
pub enum BuiltFile {
    Text { path: String, text: String },
    Copy { from: PathBuf, path: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub pages: usize,
    pub files: usize,
}

/// What a build reads.
#[derive(Debug, Clone)]
pub struct Options {
    /// The content folder (news, documents).
    pub content_dir: PathBuf,
    /// The site's public address, for the feed and the sitemap (no trailing slash).
    pub site_url: String,
}

/// The content folder: `EF_CONTENT_DIR`, or `site/content` of this checkout.
pub fn default_content_dir() -> PathBuf {
    std::env::var_os("EF_CONTENT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
}

/// Where a URL path is written: `/` → `index.html`, `/aide/` →
/// `aide/index.html`, `/404.html` → `404.html`.
pub fn file_for(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_owned()
    }
}

/// Builds the whole site into `out`. Everything is written into a temporary
/// folder beside it first and swapped in at the end: a failed build leaves
/// the previous output untouched.
pub fn build(out: &Path, options: &Options) -> anyhow::Result<Report> {
    // Settings errors name the file and line: stop the build on them.
    shared::settings::parse(shared::settings::SOURCE).map_err(anyhow::Error::msg)?;
    let items = news::load(&options.content_dir.join("actualites")).map_err(anyhow::Error::msg)?;
    let (news_pages, news_files) = news::build(&items, &options.content_dir, &options.site_url);
    let docs_dir = options.content_dir.join("documents");
    let (categories, docs) = documents::load(&docs_dir).map_err(anyhow::Error::msg)?;
    let (docs_page, docs_files) = documents::build(&categories, &docs, &docs_dir);
    let mut pages = pages::all(&items, &docs);
    pages.extend(news_pages);
    pages.push(docs_page);
    pages.push(sectors::page());
    let mut files = news_files;
    files.extend(docs_files);
    files.push(BuiltFile::Text {
        path: shared::layout::stylesheet_path()
            .trim_start_matches('/')
            .into(),
        text: shared::layout::STYLESHEET.into(),
    });
    files.push(BuiltFile::Text {
        path: simulation::script_path().trim_start_matches('/').into(),
        text: simulation::SCRIPT.into(),
    });
    files.push(BuiltFile::Text {
        path: sectors::script_path().trim_start_matches('/').into(),
        text: sectors::SCRIPT.into(),
    });
    files.push(BuiltFile::Text {
        path: shared::layout::planning_script_path()
            .trim_start_matches('/')
            .into(),
        text: shared::layout::PLANNING_SCRIPT.into(),
    });
    files.push(BuiltFile::Text {
        path: "sitemap.xml".into(),
        text: sitemap(&pages, &options.site_url),
    });
    files.push(BuiltFile::Text {
        path: "robots.txt".into(),
        text: format!(
            "User-agent: *\nDisallow: /compte\nDisallow: /dossier\nDisallow: /inscriptions\nDisallow: /planning\nDisallow: /agents\nSitemap: {}/sitemap.xml\n",
            options.site_url
        ),
    });

    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("site");
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("création de {}", parent.display()))?;
    let tmp = parent.join(format!(".{name}.construction-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = write_all(&tmp, &pages, &files);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.ancien-{}", std::process::id()));
    if out.exists() {
        std::fs::rename(out, &old).with_context(|| format!("déplacement de {}", out.display()))?;
    }
    std::fs::rename(&tmp, out).with_context(|| format!("mise en place de {}", out.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(Report {
        pages: pages.len(),
        files: files.len(),
    })
}

fn write_all(dir: &Path, pages: &[Built], files: &[BuiltFile]) -> anyhow::Result<()> {
    for page in pages {
        write(dir, &file_for(&page.path), page.html.as_bytes())?;
    }
    for f in files {
        match f {
            BuiltFile::Text { path, text } => write(dir, path, text.as_bytes())?,
            BuiltFile::Copy { from, path } => {
                let bytes = std::fs::read(from)
                    .with_context(|| format!("lecture de {}", from.display()))?;
                write(dir, path, &bytes)?;
            }
        }
    }
    Ok(())
}

fn write(out: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = out.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("écriture de {}", path.display()))
}

/// The sitemap of every page but the 404.
fn sitemap(pages: &[Built], site_url: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in pages.iter().filter(|p| p.path != "/404.html") {
        out.push_str(&format!("<url><loc>{site_url}{}</loc></url>\n", p.path));
    }
    out.push_str("</urlset>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            content_dir: default_content_dir(),
            site_url: "https://famille.example.org".into(),
        }
    }

    #[test]
    fn paths_map_to_files() {
        assert_eq!(file_for("/"), "index.html");
        assert_eq!(file_for("/aide/"), "aide/index.html");
        assert_eq!(file_for("/404.html"), "404.html");
    }

    #[test]
    fn build_writes_every_page_and_internal_links_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let report = build(&out, &options()).unwrap();
        assert!(report.pages > 8);
        assert!(out.join("index.html").exists());
        assert!(out.join("sitemap.xml").exists());
        assert!(
            std::fs::read_to_string(out.join("robots.txt"))
                .unwrap()
                .contains("Sitemap: https://famille.example.org/sitemap.xml")
        );
        let css = shared::layout::stylesheet_path();
        assert!(css.starts_with("/assets/portail.") && css.ends_with(".css"));
        assert!(out.join(css.trim_start_matches('/')).exists());
        // Every internal link of the site points at a built file or a route
        // the functions serve.
        let dynamic = [
            "/compte",
            "/compte/connexion",
            "/compte/inscription",
            "/compte/mot-de-passe-oublie",
        ];
        for entry in walk(&out) {
            if entry.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let html = std::fs::read_to_string(&entry).unwrap();
            for href in html
                .split(['"'])
                .filter(|s| s.starts_with('/') && !s.starts_with("//"))
            {
                let path = href.split(['#', '?']).next().unwrap_or(href);
                if path.contains(' ') || path.len() < 2 && path != "/" {
                    continue;
                }
                let exists = out.join(file_for(path)).exists() || dynamic.contains(&path);
                assert!(exists, "{} links to missing {href}", entry.display());
            }
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn news_images_are_copied_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("actualites/images")).unwrap();
        let item = "+++\ntitre = \"Fête\"\ndate = 2026-06-20\nresume = \"Photos.\"\nimage = \"images/fete.png\"\nimage_alt = \"Enfants dansant\"\n+++\nTexte.\n";
        std::fs::write(content.join("actualites/2026-06-20-fete.md"), item).unwrap();
        let options = Options {
            content_dir: content.clone(),
            ..options()
        };
        let out = dir.path().join("site");
        let err = build(&out, &options).unwrap_err().to_string();
        assert!(
            err.contains("image introuvable « images/fete.png »"),
            "{err}"
        );
        std::fs::write(content.join("actualites/images/fete.png"), b"\x89PNG\r\n").unwrap();
        build(&out, &options).unwrap();
        assert!(out.join("actualites/images/fete.png").exists());
        let page =
            std::fs::read_to_string(out.join("actualites/2026-06-20-fete/index.html")).unwrap();
        assert!(
            page.contains("src=\"/actualites/images/fete.png\" alt=\"Enfants dansant\""),
            "{page}"
        );
    }

    #[test]
    fn a_failed_build_leaves_the_previous_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        build(&out, &options()).unwrap();
        let before = std::fs::read_to_string(out.join("index.html")).unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("actualites")).unwrap();
        std::fs::write(
            content.join("actualites/2026-01-01-casse.md"),
            "pas d'en-tête",
        )
        .unwrap();
        let broken = Options {
            content_dir: content,
            ..options()
        };
        let err = build(&out, &broken).unwrap_err().to_string();
        assert!(
            err.contains("2026-01-01-casse.md : en-tête absent"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            before
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(leftovers.len(), 2, "only site/ and content/ remain");
    }
}
