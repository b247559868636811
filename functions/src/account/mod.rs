//! The `account` route group: sign-up, activation, login, passwords, the
//! family's home and "Mon compte".

pub mod home;
pub mod login;
pub mod password;
mod profile;
pub mod signup;

use crate::routes::Routes;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use shared::App;
use shared::web::AppError;

/// The group's routes and their table.
pub fn routes() -> Routes {
    Routes::new()
        .route("/compte/inscription", get(signup::show))
        .route("/compte/inscription/etape-1", post(signup::details))
        .route("/compte/inscription/etape-2", post(signup::references))
        .route("/compte/inscription/etape-3", post(signup::terms))
        .route("/compte/inscription/etape-4", post(signup::confirm))
        .route("/compte/activation", get(signup::activate))
        .route(
            "/compte/activation/renvoyer",
            post(login::resend_activation),
        )
        .route("/compte/connexion", get(login::show).post(login::submit))
        .route("/compte/deconnexion", post(login::logout))
        .route(
            "/compte/mot-de-passe-oublie",
            get(password::forgotten).post(password::forgotten_submit),
        )
        .route(
            "/compte/nouveau-mot-de-passe",
            get(password::reset).post(password::reset_submit),
        )
        .route("/compte", get(home::show))
        .route("/compte/mon-compte", get(profile::show))
        .route(
            "/compte/mon-compte/mot-de-passe",
            post(profile::change_password),
        )
        .route("/compte/mon-compte/courriel", post(profile::change_email))
        .route("/compte/courriel/confirmer", get(profile::confirm_email))
        .route("/compte/mon-compte/supprimer", post(profile::delete))
        .route("/sante", get(health))
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

/// For load balancers and operators: 200 when the store answers and takes
/// a write, else 503.
async fn health(State(app): State<App>) -> Result<(StatusCode, &'static str), AppError> {
    app.store.ping().await?;
    app.store.check_writable(app.clock.epoch_seconds()).await?;
    Ok((StatusCode::OK, "ok"))
}
