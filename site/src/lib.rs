//! The static public site: pages pre-built with maud into plain files, for
//! S3 + CloudFront, and served by the local portal too. The pages share the
//! layout of the functions (`shared::layout`); the content is read from the
//! content folder the web team edits (`site/content/`).

pub mod content;
pub mod documents;
pub mod news;
mod pages;
pub mod publish;
pub mod sectors;
pub mod simulation;

use anyhow::Context;
use std::path::{Path, PathBuf};

/// One page to write: its URL path and its HTML.
pub struct Built {
    pub path: String,
    pub html: String,
}

/// Any other file of the site made by the build.
pub struct BuiltFile {
    pub path: String,
    pub text: String,
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

/// Builds the whole site into `out` from the content folder of `options`.
pub fn build(out: &Path, options: &Options) -> anyhow::Result<Report> {
    let content = content::Folder::new(&options.content_dir)
        .read()
        .map_err(anyhow::Error::msg)?;
    build_content(out, &content, &options.site_url)
}

/// Builds the whole site into `out` from `content` (published items only).
/// Everything is written into a temporary folder beside it first and
/// swapped in at the end: a failed build leaves the previous output
/// untouched, and a reader never sees a half-built site.
pub fn build_content(
    out: &Path,
    content: &content::Content,
    site_url: &str,
) -> anyhow::Result<Report> {
    // Settings errors name the file and line: stop the build on them.
    shared::settings::parse(shared::settings::SOURCE).map_err(anyhow::Error::msg)?;
    let items: Vec<news::Item> = content.news.iter().filter(|i| !i.draft).cloned().collect();
    let (news_pages, news_files) = news::build(&items, site_url);
    let docs = &content.documents;
    let docs_page = documents::build(&content.categories, docs);
    let mut pages = pages::all(&items, docs);
    pages.extend(news_pages);
    pages.push(docs_page);
    pages.push(sectors::page());
    let mut files = news_files;
    let text = |path: &str, text: &str| BuiltFile {
        path: path.trim_start_matches('/').into(),
        text: text.into(),
    };
    files.push(text(
        shared::layout::stylesheet_path(),
        shared::layout::STYLESHEET,
    ));
    files.push(text(simulation::script_path(), simulation::SCRIPT));
    files.push(text(sectors::script_path(), sectors::SCRIPT));
    files.push(text(
        shared::layout::planning_script_path(),
        shared::layout::PLANNING_SCRIPT,
    ));
    files.push(text(
        shared::layout::publishing_script_path(),
        shared::layout::PUBLISHING_SCRIPT,
    ));
    files.push(text("sitemap.xml", &sitemap(&pages, site_url)));
    files.push(text(
        "robots.txt",
        &format!(
            "User-agent: *\nDisallow: /compte\nDisallow: /dossier\nDisallow: /inscriptions\nDisallow: /planning\nDisallow: /agents\nSitemap: {site_url}/sitemap.xml\n"
        ),
    ));
    // Only the files a published item or document names.
    let named: std::collections::HashSet<String> = items
        .iter()
        .flat_map(|i| i.image.iter().flat_map(|img| &img.variants))
        .map(|v| v.path.trim_start_matches('/').to_owned())
        .chain(docs.iter().map(|d| format!("documents/{}", d.file)))
        .collect();
    let copied: Vec<&(String, Vec<u8>)> = content
        .files
        .iter()
        .filter(|(path, _)| named.contains(path))
        .collect();

    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("site");
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("création de {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{name}.construction-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    let previous = Some(out).filter(|o| o.is_dir());
    let written = write_all(&tmp, previous, &pages, &files, &copied);
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(
        ".{name}.ancien-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    if out.exists() {
        std::fs::rename(out, &old).with_context(|| format!("déplacement de {}", out.display()))?;
    }
    std::fs::rename(&tmp, out).with_context(|| format!("mise en place de {}", out.display()))?;
    // The new site is in place: the old one (thousands of files with many
    // actualités, most of a rebuild's time) goes away after, beside the
    // next requests; what a stop leaves behind, the next build removes.
    let stale_prefix = format!(".{name}.ancien-");
    let stale: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&stale_prefix))
        })
        .map(|e| e.path())
        .collect();
    std::thread::spawn(move || {
        for dir in stale {
            let _ = std::fs::remove_dir_all(dir);
        }
    });
    Ok(Report {
        pages: pages.len(),
        files: files.len() + copied.len(),
    })
}

/// Writes every file into `dir`; a file whose bytes are those of the same
/// file in the `previous` site is hard-linked to it instead (a publication
/// changes a few pages of thousands: the disk writes only those).
fn write_all(
    dir: &Path,
    previous: Option<&Path>,
    pages: &[Built],
    files: &[BuiltFile],
    copied: &[&(String, Vec<u8>)],
) -> anyhow::Result<()> {
    let pages = pages.iter().map(|p| (file_for(&p.path), p.html.as_bytes()));
    let files = files.iter().map(|f| (f.path.clone(), f.text.as_bytes()));
    let copied = copied.iter().map(|(p, b)| (p.clone(), b.as_slice()));
    for (relative, bytes) in pages.chain(files).chain(copied) {
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("création de {}", parent.display()))?;
        }
        let same = previous.map(|p| p.join(&relative)).filter(|old| {
            std::fs::metadata(old).is_ok_and(|m| m.len() == bytes.len() as u64)
                && std::fs::read(old).is_ok_and(|b| b == bytes)
        });
        if let Some(old) = same
            && std::fs::hard_link(&old, &path).is_ok()
        {
            continue;
        }
        std::fs::write(&path, bytes).with_context(|| format!("écriture de {}", path.display()))?;
    }
    Ok(())
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
    fn a_rebuild_writes_what_changed_and_links_the_rest() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let mut content = content::Folder::new(&default_content_dir()).read().unwrap();
        build_content(&out, &content, "https://famille.example.org").unwrap();
        let first = &content.news[0];
        let (changed, kept) = (
            out.join(file_for(&first.path())),
            out.join("aide/index.html"),
        );
        let kept_before = std::fs::read(&kept).unwrap();
        let inode = |p: &Path| std::fs::metadata(p).unwrap().ino();
        let (changed_inode, kept_inode) = (inode(&changed), inode(&kept));
        content.news[0].summary = "Un résumé corrigé.".into();
        content.news[0].body_html = "<p>Texte corrigé.</p>".into();
        build_content(&out, &content, "https://famille.example.org").unwrap();
        assert!(
            std::fs::read_to_string(&changed)
                .unwrap()
                .contains("Texte corrigé.")
        );
        assert_eq!(std::fs::read(&kept).unwrap(), kept_before);
        // The unchanged page is the same file (a hard link), the changed one
        // a new file; the previous site goes away beside the next build.
        assert_eq!(inode(&kept), kept_inode);
        assert_ne!(inode(&changed), changed_inode);
        let listing = || -> Vec<String> {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        build_content(&out, &content, "https://famille.example.org").unwrap();
        for _ in 0..200 {
            if listing() == ["site"] {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(listing(), ["site"], "only the site is left");
        assert_eq!(std::fs::read(&kept).unwrap(), kept_before);
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
