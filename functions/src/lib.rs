//! Espace Famille's route groups: each is an `axum::Router` built from an
//! [`App`]. A Lambda binary serves one group; the local portal serves them all.

pub mod account;
pub mod backoffice;
pub mod dossier;
mod downloads;
pub mod inscriptions;
pub mod planning;

pub(crate) use dossier::documents as dossier_documents;

use axum::Router;
use shared::App;
use std::path::Path;
use tower_http::services::ServeDir;

/// Every route group, merged (the local portal).
pub fn all_routes(app: App) -> Router {
    Router::new()
        .merge(account::router(app.clone()))
        .merge(backoffice::router(app.clone()))
        .merge(dossier::router(app.clone()))
        .merge(inscriptions::router(app.clone()))
        .merge(planning::router(app))
}

/// The local portal's whole service: every route group, the static site
/// from `site_dir` for every other path, and the common layers.
pub fn local_portal(app: App, site_dir: &Path) -> Router {
    let router = all_routes(app).fallback_service(ServeDir::new(site_dir));
    shared::web::with_common_layers(router)
}
