//! Espace Famille's route groups: each is an `axum::Router` built from an
//! [`App`]. A Lambda binary serves one group; the local portal serves them all.

pub mod account;
pub mod backoffice;
pub mod dossier;
mod downloads;
pub mod factures;
pub mod host;
pub mod inscriptions;
pub mod messagerie;
pub mod paiement;
pub mod planning;
pub mod prelevement;
pub mod routes;
pub mod static_site;

pub(crate) use dossier::documents as dossier_documents;

use axum::Router;
use axum::extract::Request;
use shared::App;
use static_site::StaticSite;
use std::path::Path;
use std::sync::Arc;

/// Every route group's routes, merged: the portal's route table.
pub fn all_route_groups() -> routes::Routes {
    routes::Routes::new()
        .merge(account::routes())
        .merge(backoffice::routes())
        .merge(dossier::routes())
        .merge(factures::routes())
        .merge(inscriptions::routes())
        .merge(messagerie::routes())
        .merge(paiement::routes())
        .merge(planning::routes())
}

/// Every route group, merged (the local portal).
pub fn all_routes(app: App) -> Router {
    all_route_groups().with_state(app)
}

/// The local portal's site builds: the store's content (seeded from the
/// content folder on first use) into `site_dir`, then `site` reads the
/// new files.
pub fn local_builds(app: &App, site_dir: &Path, site: StaticSite) -> site::publish::LocalBuilds {
    site::publish::LocalBuilds {
        out: site_dir.to_owned(),
        site_url: app.config.public_url.clone(),
        seed_from: Some(site::default_content_dir()),
        on_built: Box::new(move || site.reload()),
    }
}

/// The local portal's App and static site: the web team's changes rebuild
/// `site_dir` at once (the builds returned too, for the first build).
pub fn with_local_builds(
    app: App,
    site_dir: &Path,
) -> (App, StaticSite, Arc<site::publish::LocalBuilds>) {
    let site = StaticSite::new(site_dir);
    let builds = Arc::new(local_builds(&app, site_dir, site.clone()));
    (app.with_site_builds(builds.clone()), site, builds)
}

/// The local portal's whole service: every route group, the static site
/// from `site_dir` (from memory) for every other path, and the common
/// layers; the web team's changes rebuild the site at once.
pub fn local_portal(app: App, site_dir: &Path) -> Router {
    let (app, site, _) = with_local_builds(app, site_dir);
    local_portal_with(app, site)
}

/// The same, from an App and a static site made by [`with_local_builds`].
pub fn local_portal_with(app: App, site: StaticSite) -> Router {
    let router = all_routes(app).fallback(move |request: Request| {
        let site = site.clone();
        async move { site.serve(request).await }
    });
    shared::web::with_common_layers(router)
}
