//! The static public site: pages pre-built with maud into plain files, for
//! S3 + CloudFront, and served by the local portal too. The pages share the
//! layout of the functions (`shared::layout`).

mod pages;
pub mod simulation;

use anyhow::Context;
use std::path::Path;

/// One page to write: its URL path and its HTML.
pub struct Built {
    pub path: &'static str,
    pub html: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub pages: usize,
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

/// Builds the whole site into `out` (created if needed; files overwritten).
pub fn build(out: &Path) -> anyhow::Result<Report> {
    // Settings errors name the file and line: stop the build on them.
    shared::settings::parse(shared::settings::SOURCE).map_err(anyhow::Error::msg)?;
    let pages = pages::all();
    for page in &pages {
        write(out, &file_for(page.path), page.html.as_bytes())?;
    }
    write(
        out,
        shared::layout::stylesheet_path().trim_start_matches('/'),
        shared::layout::STYLESHEET.as_bytes(),
    )?;
    write(
        out,
        simulation::script_path().trim_start_matches('/'),
        simulation::SCRIPT.as_bytes(),
    )?;
    Ok(Report { pages: pages.len() })
}

fn write(out: &Path, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = out.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("création de {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("écriture de {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_files() {
        assert_eq!(file_for("/"), "index.html");
        assert_eq!(file_for("/aide/"), "aide/index.html");
        assert_eq!(file_for("/404.html"), "404.html");
    }

    #[test]
    fn build_writes_every_page_and_internal_links_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let report = build(dir.path()).unwrap();
        assert_eq!(report.pages, pages::all().len());
        assert!(dir.path().join("index.html").exists());
        let css = shared::layout::stylesheet_path();
        assert!(css.starts_with("/assets/portail.") && css.ends_with(".css"));
        assert!(dir.path().join(css.trim_start_matches('/')).exists());
        // Every internal link of the site points at a built page or a route
        // the functions serve.
        let dynamic = [
            "/compte/connexion",
            "/compte/inscription",
            "/compte/mot-de-passe-oublie",
        ];
        for page in pages::all() {
            for href in page
                .html
                .split("href=\"")
                .skip(1)
                .filter_map(|s| s.split('"').next())
            {
                if !href.starts_with('/') || href.starts_with("//") {
                    continue;
                }
                let path = href.split('#').next().unwrap_or(href);
                let exists = dir.path().join(file_for(path)).exists() || dynamic.contains(&path);
                assert!(exists, "{} links to missing {href}", page.path);
            }
        }
    }
}
