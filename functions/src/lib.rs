//! Espace Famille's route groups: each is an `axum::Router` built from an
//! [`App`]. A Lambda binary serves one group; the local portal serves them all.

pub mod account;

use axum::Router;
use shared::App;

/// Every route group, merged (the local portal).
pub fn all_routes(app: App) -> Router {
    Router::new().merge(account::router(app))
}
