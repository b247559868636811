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

/// The local portal's whole service: every route group, the static site
/// from `site_dir` (from memory) for every other path, and the common layers.
pub fn local_portal(app: App, site_dir: &Path) -> Router {
    let site = StaticSite::new(site_dir);
    let router = all_routes(app).fallback(move |request: Request| {
        let site = site.clone();
        async move { site.serve(request).await }
    });
    shared::web::with_common_layers(router)
}
