//! Forgotten password: an address → a one-time link valid 1 hour → a new
//! password; every session of the account ends.

use super::login::account_error;
use super::signup::{LinkQuery, link_page};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::password;
use shared::accounts::service::{self, LinkOutcome, TokenUse};
use shared::accounts::validation::{self, FieldErrors, check};
use shared::layout::forms::{Field, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::AppError;
use shared::web::auth::{ClientAddress, Csrf, CsrfForm};

fn forgotten_page(csrf: &Csrf, email: &str, errors: &FieldErrors, sent: bool) -> Markup {
    layout::render(Page {
        title: "Mot de passe oublié",
        path: "/compte/mot-de-passe-oublie",
        main: html! {
            @if sent {
                (notice(NoticeKind::Success, "Si cette adresse correspond à un compte, un e-mail vient de lui être envoyé avec un lien valable 1 heure."))
            }
            (error_summary(errors, &[("courriel", "Adresse e-mail")]))
            p { "Indiquez l'adresse e-mail de votre compte : vous recevrez un lien pour choisir un nouveau mot de passe." }
            form.stack method="post" action="/compte/mot-de-passe-oublie" novalidate {
                (csrf.field())
                (required_note())
                (Field::text("courriel", "Adresse e-mail", email).kind("email").autocomplete("email").render(errors))
                button type="submit" { "Envoyer" }
            }
            p.links-after-form { a href="/compte/connexion" { "Retour à la connexion" } }
        },
    })
}

pub async fn forgotten(csrf: Csrf) -> impl IntoResponse {
    let page = forgotten_page(&csrf, "", &FieldErrors::new(), false);
    (csrf, page)
}

#[derive(Debug, Deserialize)]
pub struct ForgottenForm {
    #[serde(default)]
    courriel: String,
}

pub async fn forgotten_submit(
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<ForgottenForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let email = check(&mut errors, "courriel", validation::email(&f.courriel));
    if !errors.is_empty() {
        let typed: String = f
            .courriel
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let page = forgotten_page(&csrf, &typed, &errors, false);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    }
    service::request_reset(&app, &email, &address)
        .await
        .map_err(account_error)?;
    // The same answer whether or not the address is known.
    let page = forgotten_page(&csrf, "", &FieldErrors::new(), true);
    Ok((csrf, page).into_response())
}

/// A page where a one-time link sets a password: the family's reset, or an
/// agent's first password.
pub struct ResetSide {
    pub usage: TokenUse,
    pub action: &'static str,
    pub title: &'static str,
    pub done: &'static str,
    pub new_link: (&'static str, &'static str),
}

pub const FAMILY_RESET: ResetSide = ResetSide {
    usage: TokenUse::Reset,
    action: "/compte/nouveau-mot-de-passe",
    title: "Choisir un nouveau mot de passe",
    done: "/compte/connexion?message=mot-de-passe-change",
    new_link: ("/compte/mot-de-passe-oublie", "Demander un nouveau lien"),
};

fn reset_page(side: &ResetSide, csrf: &Csrf, token: &str, errors: &FieldErrors) -> Markup {
    layout::render(Page {
        title: side.title,
        path: side.action,
        main: html! {
            (error_summary(errors, &[("mot_de_passe", "Nouveau mot de passe"), ("mot_de_passe_confirmation", "Confirmation du mot de passe")]))
            form.stack method="post" action=(side.action) novalidate {
                (csrf.field())
                input type="hidden" name="jeton" value=(token);
                (required_note())
                (Field::text("mot_de_passe", "Nouveau mot de passe", "").kind("password").autocomplete("new-password")
                    .hint("12 caractères au moins ; pas un mot de passe courant ni votre nom d'utilisateur.").render(errors))
                (Field::text("mot_de_passe_confirmation", "Confirmation du mot de passe", "").kind("password").autocomplete("new-password").render(errors))
                button type="submit" { "Enregistrer le mot de passe" }
            }
        },
    })
}

fn unusable(side: &ResetSide, outcome: &LinkOutcome<impl Sized>) -> Option<Response> {
    match outcome {
        LinkOutcome::Done(_) => None,
        LinkOutcome::AlreadyUsed => Some(link_page(
            "Lien déjà utilisé",
            "Ce lien a déjà servi. Pour changer à nouveau de mot de passe, demandez un nouveau lien.",
            side.new_link,
        )),
        LinkOutcome::Expired => Some(link_page(
            "Lien expiré",
            "Ce lien a expiré. Demandez-en un nouveau.",
            side.new_link,
        )),
    }
}

pub async fn reset(app: State<App>, csrf: Csrf, q: Query<LinkQuery>) -> Result<Response, AppError> {
    reset_for(&FAMILY_RESET, app, csrf, q).await
}

pub async fn reset_for(
    side: &ResetSide,
    State(app): State<App>,
    csrf: Csrf,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let token = q.jeton.unwrap_or_default();
    let outcome = service::check_link(&app, &token, side.usage).await?;
    if let Some(r) = unusable(side, &outcome) {
        return Ok(r);
    }
    let page = reset_page(side, &csrf, &token, &FieldErrors::new());
    Ok((csrf, page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_confirmation: String,
}

/// Checks a new password and its confirmation; hashes it.
pub async fn new_password_hash(
    password: &str,
    confirmation: &str,
    username: &str,
    email: &str,
    errors: &mut FieldErrors,
) -> Result<Option<String>, AppError> {
    let p = match validation::new_password(password, username, email) {
        Ok(p) => p,
        Err(e) => {
            errors.insert("mot_de_passe", e);
            return Ok(None);
        }
    };
    if let Err(e) = validation::confirmation(&p, confirmation, "mots de passe") {
        errors.insert("mot_de_passe_confirmation", e);
        return Ok(None);
    }
    password::hash_async(p)
        .await
        .map(Some)
        .ok_or_else(|| AppError::Internal("hachage du mot de passe impossible".into()))
}

pub async fn reset_submit(
    app: State<App>,
    csrf: Csrf,
    form: CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    reset_submit_for(&FAMILY_RESET, app, csrf, form).await
}

pub async fn reset_submit_for(
    side: &ResetSide,
    State(app): State<App>,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let account = match service::check_link(&app, &f.jeton, side.usage).await? {
        LinkOutcome::Done(account) => account,
        other => {
            return Ok(unusable(side, &other).unwrap_or_else(|| AppError::NotFound.into_response()));
        }
    };
    // The same rule as at sign-up and in "Mon compte".
    let mut errors = FieldErrors::new();
    let Some(hash) = new_password_hash(
        &f.mot_de_passe,
        &f.mot_de_passe_confirmation,
        &account.identifiant,
        &account.courriel,
        &mut errors,
    )
    .await?
    else {
        let page = reset_page(side, &csrf, &f.jeton, &errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    };
    let outcome = service::reset_password(&app, &f.jeton, side.usage, hash)
        .await
        .map_err(account_error)?;
    if let Some(r) = unusable(side, &outcome) {
        return Ok(r);
    }
    Ok(Redirect::to(side.done).into_response())
}
