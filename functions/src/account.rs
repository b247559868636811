//! The `account` route group: sign-up, activation, login, passwords (filled
//! by the accounts issue). For now: the login page and the health check.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use maud::{Markup, html};
use shared::App;
use shared::layout::{self, Page};
use shared::web::AppError;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/compte/connexion", get(login_page))
        .route("/sante", get(health))
        .with_state(app)
}

async fn login_page() -> Markup {
    let c = &shared::settings::get().commune;
    layout::render(Page {
        title: "Connexion à mon espace famille",
        path: "/compte/connexion",
        main: html! {
            p { "Connectez-vous pour réserver les repas et les accueils, payer vos factures et écrire aux services de la " (c.nom) "." }
            form.stack method="post" action="/compte/connexion" novalidate {
                div.field {
                    label for="identifiant" { "Nom d'utilisateur ou adresse e-mail" }
                    input #identifiant type="text" name="identifiant" autocomplete="username" required autocapitalize="none" spellcheck="false";
                }
                div.field {
                    label for="mot_de_passe" { "Mot de passe" }
                    input #mot_de_passe type="password" name="mot_de_passe" autocomplete="current-password" required;
                }
                div.check {
                    input #se_rappeler type="checkbox" name="se_rappeler" value="1";
                    label for="se_rappeler" { "Se rappeler de moi (30 jours sur cet appareil)" }
                }
                button type="submit" { "Se connecter" }
            }
            ul.links-after-form {
                li { a href="/compte/mot-de-passe-oublie" { "Mot de passe oublié ?" } }
                li { a href="/compte/inscription" { "Première connexion : créer mon compte" } }
            }
        },
    })
}

/// For load balancers and operators: 200 when the store answers, else 503.
async fn health(State(app): State<App>) -> Result<(StatusCode, &'static str), AppError> {
    app.store.ping().await?;
    Ok((StatusCode::OK, "ok"))
}
