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

pub(crate) use dossier::documents as dossier_documents;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use shared::App;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::ServeDir;

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
/// from `site_dir` for every other path, and the common layers.
pub fn local_portal(app: App, site_dir: &Path) -> Router {
    let files = ServeDir::new(site_dir);
    let router = all_routes(app).fallback(move |request: Request| {
        let files = files.clone();
        async move {
            // A name longer than a file system takes ("File name too long")
            // names no file of the site: 404, not the file system's 500.
            if request.uri().path().split('/').any(|s| s.len() > MAX_NAME) {
                return StatusCode::NOT_FOUND.into_response();
            }
            match files.oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        }
    });
    shared::web::with_common_layers(router)
}

/// The longest file name of the static site's folder (most file systems).
const MAX_NAME: usize = 255;
