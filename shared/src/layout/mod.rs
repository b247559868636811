//! The page layout shared by the static site and the functions: the commune's
//! header and navigation, a skip link, landmarks, the footer links, and the
//! commune's own stylesheet (the State's DSFR is reserved to State services).

pub mod dates;
pub mod error_page;
pub mod forms;

use crate::settings;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The stylesheet, served at [`stylesheet_path`] by the static site.
pub const STYLESHEET: &str = include_str!("../../assets/portail.css");

/// An asset's path with a hash of its content in the name, so that it can be
/// cached for a year and still change with the next build.
pub fn hashed_asset_path(stem: &str, extension: &str, content: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    format!("/assets/{stem}.{hex}.{extension}")
}

/// Where the stylesheet is served, its name holding a hash of its content.
pub fn stylesheet_path() -> &'static str {
    static PATH: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hashed_asset_path("portail", "css", STYLESHEET));
    &PATH
}

/// The planning page's script (a warning before leaving unsaved changes).
pub const PLANNING_SCRIPT: &str = include_str!("../../assets/planning.js");

/// Where the planning script is served, by the static site.
pub fn planning_script_path() -> &'static str {
    static PATH: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hashed_asset_path("planning", "js", PLANNING_SCRIPT));
    &PATH
}

/// The web team's news form script: the live preview while typing, and a
/// too large image said next to its field before it is sent.
pub const PUBLISHING_SCRIPT: &str = include_str!("../../assets/publication.js");

/// Where the publishing script is served, by the static site.
pub fn publishing_script_path() -> &'static str {
    static PATH: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hashed_asset_path("publication", "js", PUBLISHING_SCRIPT));
    &PATH
}

/// One entry of the main navigation.
struct NavLink {
    href: &'static str,
    label: &'static str,
}

const fn link(href: &'static str, label: &'static str) -> NavLink {
    NavLink { href, label }
}

/// The public site's menu: the sections a visitor looks for.
const PUBLIC_NAV: &[NavLink] = &[
    link("/", "Accueil"),
    link("/actualites/", "Actualités"),
    link("/documents/", "Documents"),
    link("/simulation/", "Simulation"),
    link("/ecole-de-secteur/", "École de secteur"),
    link("/aide/", "Aide"),
    link("/compte", "Mon espace famille"),
];

/// A signed-in family's menu, in the guide's words and order.
const FAMILY_NAV: &[NavLink] = &[
    link("/compte", "Accueil"),
    link("/dossier", "Dossier"),
    link("/inscriptions", "Inscriptions"),
    link("/planning", "Planning"),
    link("/factures", "Facturation"),
    link("/messagerie", "Messagerie"),
    link("/simulation/", "Simulations"),
    link("/actualites/", "Actualités"),
];

/// An agent's menu.
const AGENT_NAV: &[NavLink] = &[
    link("/agents", "Accueil"),
    link("/agents/dossiers", "Dossiers"),
    link("/agents/inscriptions", "Inscriptions"),
    link("/agents/pointage", "Pointage"),
    link("/agents/facturation", "Facturation"),
    link("/agents/messagerie", "Messagerie"),
];

/// The web team's menu.
const WEB_NAV: &[NavLink] = &[
    link("/agents", "Accueil"),
    link("/agents/site/actualites", "Actualités"),
    link("/agents/site/documents", "Documents"),
    link("/agents/site/journal", "Journal"),
];

/// The menu of a page, from its path: the family's pages, the agents'
/// pages (their login pages aside), or the public site.
fn menu_of(path: &str) -> &'static [NavLink] {
    const FAMILY: &[&str] = &[
        "/dossier",
        "/inscriptions",
        "/planning",
        "/factures",
        "/paiement",
        "/messagerie",
        "/compte/mon-compte",
    ];
    let agents_public = ["/agents/connexion", "/agents/mot-de-passe"];
    if path == "/compte" || FAMILY.iter().any(|p| path.starts_with(p)) {
        FAMILY_NAV
    } else if path.starts_with("/agents/site") {
        WEB_NAV
    } else if path.starts_with("/agents") && !agents_public.iter().any(|p| path.starts_with(p)) {
        AGENT_NAV
    } else {
        PUBLIC_NAV
    }
}

/// Whether a menu entry is the page's section: a home entry only for
/// itself, any other for the pages under it (payments are Facturation's).
fn is_current(href: &str, path: &str) -> bool {
    match href {
        "/" => path == "/" || path == "/index.html",
        "/compte" | "/agents" => path == href,
        "/factures" => path.starts_with("/factures") || path.starts_with("/paiement"),
        _ => path.starts_with(href),
    }
}

fn menu_items(menu: &[NavLink], path: &str) -> Markup {
    html! {
        @for link in menu {
            li {
                @if is_current(link.href, path) {
                    a href=(link.href) aria-current="page" { (link.label) }
                } @else {
                    a href=(link.href) { (link.label) }
                }
            }
        }
    }
}

/// The footer links RGAA and the law ask for on every page.
const FOOTER: &[NavLink] = &[
    NavLink {
        href: "/accessibilite/",
        label: "Accessibilité : non conforme",
    },
    NavLink {
        href: "/mentions-legales/",
        label: "Mentions légales",
    },
    NavLink {
        href: "/aide/",
        label: "Aide",
    },
    NavLink {
        href: "/plan-du-site/",
        label: "Plan du site",
    },
];

/// What a page says about itself to the layout.
pub struct Page<'a> {
    /// The page's own title, first in `<title>` and the `<h1>`.
    pub title: &'a str,
    /// The path of the page, to mark the current navigation entry.
    pub path: &'a str,
    /// The main content, below the `<h1>`.
    pub main: Markup,
}

/// The document title: page, portal, commune — unique and meaningful (RGAA 8.6).
pub fn document_title(title: &str) -> String {
    let c = &settings::embedded().commune;
    format!("{title} — {} — {}", c.portail, c.nom)
}

/// The news feed's address, announced in the `<head>` of the pages that
/// list the news (feed readers given the site's address find it there).
pub const NEWS_FEED: &str = "/actualites/atom.xml";

/// A whole HTML document.
pub fn render(page: Page) -> Markup {
    render_with_feed(page, false)
}

/// A whole HTML document; `feed`: its `<head>` announces the news feed.
pub fn render_with_feed(page: Page, feed: bool) -> Markup {
    let c = &settings::embedded().commune;
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (document_title(page.title)) }
                link rel="stylesheet" href=(stylesheet_path());
                @if feed {
                    link rel="alternate" type="application/atom+xml" href=(NEWS_FEED)
                        title={ "Actualités — " (c.portail) " — " (c.nom) };
                }
            }
            body {
                a.skip-link href="#contenu" { "Aller au contenu" }
                header.site-header role="banner" {
                    div.wrap {
                        a.brand href="/" {
                            span.brand-commune { (c.nom) }
                            span.brand-portal { (c.portail) }
                        }
                        // Wide screens: the list; phones: a "Menu" button
                        // that opens it, without JavaScript.
                        nav.nav-wide aria-label="Menu principal" {
                            ul.nav { (menu_items(menu_of(page.path), page.path)) }
                        }
                        nav.nav-narrow aria-label="Menu principal" {
                            details.menu {
                                summary { "Menu" }
                                ul.nav { (menu_items(menu_of(page.path), page.path)) }
                            }
                        }
                    }
                }
                main #contenu role="main" tabindex="-1" {
                    div.wrap {
                        h1 { (page.title) }
                        (page.main)
                    }
                }
                footer.site-footer role="contentinfo" {
                    div.wrap {
                        p { strong { (c.nom) } br; (c.adresse) br; "Téléphone : " (c.telephone) }
                        nav aria-label="Pied de page" {
                            ul.footer-links {
                                @for link in FOOTER {
                                    li { a href=(link.href) { (link.label) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A notice box (information, success, error), announced to screen readers
/// when it is an error.
pub fn notice(kind: NoticeKind, text: &str) -> Markup {
    let (class, role) = match kind {
        NoticeKind::Info => ("notice notice-info", None),
        NoticeKind::Success => ("notice notice-success", Some("status")),
        NoticeKind::Error => ("notice notice-error", Some("alert")),
    };
    html! { div class=(class) role=[role] { p { (text) } } }
}

#[derive(Debug, Clone, Copy)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

/// The bar at the top of a signed-in page: who is signed in, the account
/// link, and the logout button (a POST form with its CSRF field).
pub fn account_bar(
    name: &str,
    account_href: &str,
    logout_action: &str,
    csrf_field: Markup,
) -> Markup {
    html! {
        div.account-bar {
            p {
                "Connecté : " strong { (name) } " · "
                a href=(account_href) { "Mon compte" }
            }
            form method="post" action=(logout_action) {
                (csrf_field)
                button.button-secondary type="submit" { "Se déconnecter" }
            }
        }
    }
}

/// The bar of a signed-in family's page, in the guide's words: "Mon
/// compte : <nom d'utilisateur>", and the logout button.
pub fn family_bar(account: &crate::accounts::Account, csrf_field: Markup) -> Markup {
    html! {
        div.account-bar {
            p {
                a href="/compte/mon-compte" { "Mon compte : " (account.identifiant) }
                span.wide-only { " · " (account.display_name()) }
            }
            form method="post" action="/compte/deconnexion" {
                (csrf_field)
                button.button-secondary type="submit" { "Se déconnecter" }
            }
        }
    }
}

/// Raw HTML already escaped or produced by a trusted renderer.
pub fn trusted(html: String) -> Markup {
    PreEscaped(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_has_landmarks_skip_link_and_current_entry() {
        let out = render(Page {
            title: "Connexion",
            path: "/compte/connexion",
            main: html! { p { "x" } },
        })
        .into_string();
        assert!(out.starts_with("<!DOCTYPE html><html lang=\"fr\">"));
        assert!(out.contains("<title>Connexion — Espace Famille — "));
        assert!(out.contains("href=\"#contenu\""));
        assert!(out.contains("<main id=\"contenu\""));
        assert!(
            !out.contains("aria-current"),
            "the login page is no section"
        );
        assert!(out.contains("href=\"/compte\">Mon espace famille"));
        assert!(!out.contains("href=\"/\" aria-current"));
        for link in FOOTER {
            assert!(out.contains(link.href));
        }
    }

    #[test]
    fn signed_in_pages_have_their_menu_with_the_section_marked() {
        let page = |path: &str| {
            render(Page {
                title: "x",
                path,
                main: html! {},
            })
            .into_string()
        };
        let family = page("/paiement/prelevement");
        assert!(family.contains("href=\"/factures\" aria-current=\"page\">Facturation"));
        assert!(family.contains("href=\"/messagerie\">Messagerie"));
        assert!(!family.contains("href=\"/compte\" aria-current"));
        assert!(page("/compte").contains("href=\"/compte\" aria-current=\"page\">Accueil"));
        let agent = page("/agents/messagerie");
        assert!(agent.contains("href=\"/agents/messagerie\" aria-current=\"page\">Messagerie"));
        assert!(page("/agents/connexion").contains(">École de secteur<"));
        assert!(
            page("/actualites/").contains("href=\"/actualites/\" aria-current=\"page\">Actualités")
        );
        // The phone's menu button works without JavaScript.
        assert!(family.contains("<details class=\"menu\"><summary>Menu</summary>"));
    }

    #[test]
    fn error_notices_are_alerts() {
        let out = notice(NoticeKind::Error, "Erreur <b>").into_string();
        assert!(out.contains("role=\"alert\""));
        assert!(out.contains("Erreur &lt;b&gt;"));
    }
}

/// "240 Ko", "1,2 Mo" (rounded up, as a download is never smaller than said).
pub fn size_fr(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} Ko", bytes.div_ceil(1024).max(1))
    } else {
        let tenths = (bytes * 10).div_ceil(1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod size_tests {
    use super::size_fr;

    #[test]
    fn sizes_round_up() {
        assert_eq!(size_fr(1), "1 Ko");
        assert_eq!(size_fr(240 * 1024), "240 Ko");
        assert_eq!(size_fr(240 * 1024 + 1), "241 Ko");
        assert_eq!(size_fr(1024 * 1024 + 1), "1,1 Mo");
    }
}
