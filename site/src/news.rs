//! Actualités: one Markdown file per item under `content/actualites/`, with
//! TOML front matter between `+++` lines:
//!
//! ```text
//! +++
//! titre = "Inscriptions aux mercredis"
//! date = 2026-11-20
//! resume = "Les inscriptions pour la période de janvier à mars sont ouvertes."
//! image = "images/mercredis.jpg"        # optional, in content/actualites/
//! image_alt = "Enfants jouant au centre de loisirs"   # required with image
//! brouillon = false                     # optional: true keeps it unpublished
//! +++
//! Le texte, en Markdown.
//! ```
//!
//! The build makes a list (newest first, 10 a page), a page per item and an
//! Atom feed; a file with a problem stops the build, naming it.

use crate::{Built, BuiltFile};
use chrono::NaiveDate;
use maud::{Markup, PreEscaped, html};
use pulldown_cmark::{Event, Options, Parser, html::push_html};
use serde::Deserialize;
use shared::layout::{self, Page};
use std::path::{Path, PathBuf};

pub const PER_PAGE: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    titre: String,
    date: toml::value::Datetime,
    resume: String,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    image_alt: Option<String>,
    #[serde(default)]
    brouillon: bool,
}

/// One published item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub slug: String,
    pub title: String,
    pub date: NaiveDate,
    pub summary: String,
    pub image: Option<Image>,
    /// The body as written, in Markdown.
    pub body_markdown: String,
    pub body_html: String,
    pub draft: bool,
}

/// An item's image: its text for those who do not see it, and its copies
/// (the smallest first; the largest is the `src`, all of them the `srcset`).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub alt: String,
    pub variants: Vec<ImageFile>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageFile {
    /// Its address on the site (`/actualites/images/…`).
    pub path: String,
    /// Its width in pixels, when known.
    pub width: Option<u32>,
}

impl Item {
    pub fn path(&self) -> String {
        format!("/actualites/{}/", self.slug)
    }
}

/// Reads one file; the error names the file and what is wrong.
pub fn parse(file: &Path, text: &str) -> Result<Item, String> {
    let name = file.display();
    let fail = |what: String| format!("{name} : {what}");
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(|| {
            fail("en-tête absent : le fichier doit commencer par une ligne +++".into())
        })?;
    let end = rest
        .find("\n+++")
        .ok_or_else(|| fail("en-tête non fermé : une ligne +++ doit le terminer".into()))?;
    let (front, body) = (&rest[..end], &rest[end + 4..]);
    let fm: FrontMatter =
        toml::from_str(front).map_err(|e| fail(format!("en-tête invalide : {}", e.message())))?;
    let date = match (fm.date.date, fm.date.time) {
        (Some(d), None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
    .ok_or_else(|| {
        fail(format!(
            "date invalide « {} » : AAAA-MM-JJ attendu",
            fm.date
        ))
    })?;
    if fm.titre.trim().is_empty() {
        return Err(fail("titre vide".into()));
    }
    if fm.resume.trim().is_empty() {
        return Err(fail("résumé vide".into()));
    }
    let image = match (fm.image, fm.image_alt) {
        (None, _) => None,
        (Some(_), None) => return Err(fail("image sans texte alternatif (image_alt)".into())),
        (Some(_), Some(alt)) if alt.trim().is_empty() => {
            return Err(fail("image sans texte alternatif (image_alt vide)".into()));
        }
        (Some(src), Some(alt)) => {
            if src.contains("..") || src.starts_with('/') {
                return Err(fail(format!("chemin d'image invalide « {src} »")));
            }
            Some(Image {
                alt,
                variants: vec![ImageFile {
                    path: format!("/actualites/{src}"),
                    width: None,
                }],
            })
        }
    };
    let slug = file
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        .ok_or_else(|| fail("nom de fichier invalide : minuscules, chiffres et tirets seulement (ex. 2026-11-20-mercredis.md)".into()))?
        .to_owned();
    Ok(Item {
        slug,
        title: fm.titre,
        date,
        summary: fm.resume,
        image,
        body_markdown: body.trim().to_owned(),
        body_html: markdown(body),
        draft: fm.brouillon,
    })
}

/// Markdown to HTML; raw HTML in the file is shown as text, not trusted.
pub fn markdown(text: &str) -> String {
    let parser =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| {
            match e {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                // The item's title is the page's h1: a # heading in the file becomes h2.
                Event::Start(pulldown_cmark::Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => Event::Start(pulldown_cmark::Tag::Heading {
                    level: demote(level),
                    id,
                    classes,
                    attrs,
                }),
                Event::End(pulldown_cmark::TagEnd::Heading(level)) => {
                    Event::End(pulldown_cmark::TagEnd::Heading(demote(level)))
                }
                // A link or an image may only lead to the web, a mail
                // address, a phone number or the site itself.
                Event::Start(pulldown_cmark::Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(pulldown_cmark::Tag::Link {
                    link_type,
                    dest_url: safe_url(dest_url),
                    title,
                    id,
                }),
                Event::Start(pulldown_cmark::Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(pulldown_cmark::Tag::Image {
                    link_type,
                    dest_url: safe_url(dest_url),
                    title,
                    id,
                }),
                other => other,
            }
        });
    let mut out = String::new();
    push_html(&mut out, parser);
    out
}

/// A link's address if it is one of the web (`http`, `https`), a mail
/// address, a phone number or an address of the site; else `#` (a
/// `javascript:` or `data:` link in the Markdown leads nowhere).
fn safe_url(url: pulldown_cmark::CowStr<'_>) -> pulldown_cmark::CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        None | Some("http" | "https" | "mailto" | "tel") => url,
        Some(_) => "#".into(),
    }
}

fn demote(level: pulldown_cmark::HeadingLevel) -> pulldown_cmark::HeadingLevel {
    match level {
        pulldown_cmark::HeadingLevel::H1 => pulldown_cmark::HeadingLevel::H2,
        other => other,
    }
}

/// The site file of an image the folder names (`/actualites/images/x.png`
/// is `images/x.png` of the folder).
pub fn folder_file(image: &ImageFile) -> &str {
    image.path.trim_start_matches("/actualites/")
}

/// A site file: its path on the site (no leading `/`) and its bytes.
pub type SiteFile = (String, Vec<u8>);

/// Every item of a folder, newest first, drafts included (marked); the
/// images they name must exist: with the images' files, by site path.
pub fn load(dir: &Path) -> Result<(Vec<Item>, Vec<SiteFile>), String> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(format!("{} : {e}", dir.display())),
    };
    files.sort();
    let mut items = Vec::new();
    let mut images = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{} : {e}", f.display()))?;
        let item = parse(&f, &text)?;
        for image in item.image.iter().flat_map(|i| &i.variants) {
            let src = folder_file(image);
            let bytes = std::fs::read(dir.join(src))
                .map_err(|_| format!("{} : image introuvable « {src} »", f.display()))?;
            images.push((image.path.trim_start_matches('/').to_owned(), bytes));
        }
        items.push(item);
    }
    sort(&mut items);
    Ok((items, images))
}

/// Newest first; the same date by address.
pub fn sort(items: &mut [Item]) {
    items.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.slug.cmp(&b.slug)));
}

fn date_fr(d: NaiveDate) -> String {
    shared::layout::dates::long(d)
}

/// The short form of an item, in lists (`h2`) and on the home page (`h3`,
/// under its "Actualités" heading).
pub fn card(item: &Item, heading_level: u8) -> Markup {
    let title = html! { a href=(item.path()) { (item.title) } };
    html! {
        li {
            @if heading_level == 2 { h2 { (title) } } @else { h3 { (title) } }
            p.hint { time datetime=(item.date.to_string()) { (date_fr(item.date)) } }
            p { (item.summary) }
        }
    }
}

fn list_page(items: &[Item], page: usize, pages: usize) -> Built {
    let path = if page == 1 {
        "/actualites/".to_owned()
    } else {
        format!("/actualites/page/{page}/")
    };
    let title = if page == 1 {
        "Actualités".to_owned()
    } else {
        format!("Actualités — page {page} sur {pages}")
    };
    let main = html! {
        p { a href="/actualites/atom.xml" { "S'abonner aux actualités (flux Atom)" } }
        @if items.is_empty() {
            p { "Aucune actualité pour l'instant." }
        } @else {
            ul.cards { @for i in items { (card(i, 2)) } }
        }
        @if pages > 1 {
            nav aria-label="Pages des actualités" {
                ul.footer-links {
                    @if page > 1 {
                        li { a href=(if page == 2 { "/actualites/".to_owned() } else { format!("/actualites/page/{}/", page - 1) }) rel="prev" { "Page précédente" } }
                    }
                    li { "Page " (page) " sur " (pages) }
                    @if page < pages {
                        li { a href={ "/actualites/page/" (page + 1) "/" } rel="next" { "Page suivante" } }
                    }
                }
            }
        }
    };
    Built {
        path,
        html: layout::render_with_feed(
            Page {
                title: &title,
                path: "/actualites/",
                main,
            },
            true,
        )
        .into_string(),
    }
}

/// An item's article under its title: the same on the site and in the
/// back-office's preview.
pub fn article(item: &Item) -> Markup {
    html! {
        p.hint { "Publié le " time datetime=(item.date.to_string()) { (date_fr(item.date)) } }
        @if let Some(image) = &item.image {
            (picture(image))
        }
        p.lead { (item.summary) }
        (PreEscaped(&item.body_html))
    }
}

/// The image: the largest copy as `src`, every copy of known width in the
/// `srcset`, at most the content column's width.
fn picture(image: &Image) -> Markup {
    let src = image.variants.last().map_or("", |v| v.path.as_str());
    let srcset: Vec<String> = image
        .variants
        .iter()
        .filter_map(|v| v.width.map(|w| format!("{} {w}w", v.path)))
        .collect();
    let srcset = (srcset.len() > 1).then(|| srcset.join(", "));
    html! {
        img.news-image src=(src) srcset=[srcset.as_ref()]
            sizes=[srcset.as_ref().map(|_| "(max-width: 60rem) 100vw, 60rem")] alt=(image.alt);
    }
}

fn item_page(item: &Item) -> Built {
    let path = item.path();
    let main = html! {
        (article(item))
        p { a href="/actualites/" { "Toutes les actualités" } }
    };
    Built {
        path,
        html: layout::render_with_feed(
            Page {
                title: &item.title,
                path: "/actualites/",
                main,
            },
            true,
        )
        .into_string(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The Atom feed of the 20 latest items.
pub fn atom(items: &[Item], site_url: &str) -> String {
    let c = &shared::settings::embedded().commune;
    let updated = items
        .first()
        .map_or_else(|| "1970-01-01".to_owned(), |i| i.date.to_string());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\n\
         <title>{} — actualités</title>\n<id>{site_url}/actualites/</id>\n\
         <link rel=\"self\" href=\"{site_url}/actualites/atom.xml\"/>\n<link href=\"{site_url}/actualites/\"/>\n\
         <updated>{updated}T00:00:00Z</updated>\n<author><name>{}</name></author>\n",
        xml_escape(&c.portail),
        xml_escape(&c.nom)
    );
    for i in items.iter().take(20) {
        out.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{site_url}{}</id>\n<link href=\"{site_url}{}\"/>\n\
             <updated>{}T00:00:00Z</updated>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&i.title),
            i.path(),
            i.path(),
            i.date,
            xml_escape(&i.summary),
            xml_escape(&i.body_html)
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// Every news page of the published items, and their feed.
pub fn build(items: &[Item], site_url: &str) -> (Vec<Built>, Vec<BuiltFile>) {
    let pages = items.len().div_ceil(PER_PAGE).max(1);
    let mut built: Vec<Built> = (1..=pages)
        .map(|p| {
            let chunk = items
                .iter()
                .skip((p - 1) * PER_PAGE)
                .take(PER_PAGE)
                .cloned()
                .collect::<Vec<_>>();
            list_page(&chunk, p, pages)
        })
        .collect();
    built.extend(items.iter().map(item_page));
    let files = vec![BuiltFile {
        path: "actualites/atom.xml".into(),
        text: atom(items, site_url),
    }];
    (built, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Item, String> {
        parse(Path::new("content/actualites/2026-11-20-essai.md"), text)
    }

    const GOOD: &str = "+++\ntitre = \"Essai\"\ndate = 2026-11-20\nresume = \"Court.\"\n+++\n# Titre\n\nTexte <b>gras</b> **vrai**.\n";

    #[test]
    fn a_good_item() {
        let i = p(GOOD).unwrap();
        assert_eq!(i.slug, "2026-11-20-essai");
        assert_eq!(i.date, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert!(i.body_html.contains("<h2>Titre</h2>"), "{}", i.body_html);
        assert!(
            p(&GOOD.replace("# Titre", "## Sous-titre"))
                .unwrap()
                .body_html
                .contains("<h2>Sous-titre</h2>")
        );
        assert!(
            i.body_html.contains("&lt;b&gt;gras&lt;/b&gt;"),
            "raw HTML is text: {}",
            i.body_html
        );
        assert!(i.body_html.contains("<strong>vrai</strong>"));
    }

    #[test]
    fn links_lead_only_to_the_web_mail_phone_or_the_site() {
        let html = markdown(
            "[a](javascript:alert(1)) [b](JavaScript:x) [c](data:text/html,x) [d](https://ville.fr) \
             [e](/simulation/) [f](mailto:mairie@ville.fr) [g](tel:+33474000000) [h](page?x=a:b) ![i](vbscript:x)",
        );
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
        assert!(
            !html.contains("data:") && !html.contains("vbscript:"),
            "{html}"
        );
        for ok in [
            "https://ville.fr",
            "/simulation/",
            "mailto:mairie@ville.fr",
            "tel:+33474000000",
            "page?x=a:b",
        ] {
            assert!(html.contains(&format!("href=\"{ok}\"")), "{ok}: {html}");
        }
        assert_eq!(html.matches("href=\"#\"").count(), 3, "{html}");
    }

    #[test]
    fn bad_items_name_the_file_and_the_problem() {
        let cases = [
            ("pas d'en-tête", "en-tête absent"),
            ("+++\ntitre = \"x\"\n", "en-tête non fermé"),
            (
                "+++\ntitre = \"x\"\nresume = \"y\"\n+++\n",
                "en-tête invalide",
            ),
            (
                "+++\ntitre = \"x\"\ndate = \"hier\"\nresume = \"y\"\n+++\n",
                "en-tête invalide",
            ),
            (
                "+++\ntitre = \"x\"\ndate = 2026-13-01\nresume = \"y\"\n+++\n",
                "en-tête invalide",
            ),
            (
                "+++\ntitre = \"x\"\ndate = 2026-11-20\nresume = \"y\"\nimage = \"a.jpg\"\n+++\n",
                "texte alternatif",
            ),
            (
                "+++\ntitre = \"\"\ndate = 2026-11-20\nresume = \"y\"\n+++\n",
                "titre vide",
            ),
            (
                "+++\ntitre = \"x\"\ndate = 2026-11-20\nresume = \"y\"\ninconnu = 1\n+++\n",
                "en-tête invalide",
            ),
        ];
        for (text, expected) in cases {
            let e = p(text).unwrap_err();
            assert!(
                e.starts_with("content/actualites/2026-11-20-essai.md : "),
                "{e}"
            );
            assert!(e.contains(expected), "{text:?} → {e}");
        }
    }

    #[test]
    fn feed_escapes_and_lists_newest_first() {
        let mut a = p(GOOD).unwrap();
        a.title = "Fête & jeux".into();
        let feed = atom(&[a], "https://famille.example.org");
        assert!(feed.contains("<title>Fête &amp; jeux</title>"));
        assert!(feed.contains("<id>https://famille.example.org/actualites/2026-11-20-essai/</id>"));
    }
}
