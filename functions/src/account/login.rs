//! Login, logout, and resending the activation link.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::Kind;
use shared::accounts::service::{self, LoginOutcome};
use shared::accounts::validation::{FieldErrors, REQUIRED};
use shared::layout::forms::{Field, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::settings::Commune;
use shared::web::AppError;
use shared::web::auth::{
    ClientAddress, Csrf, CsrfForm, FAMILY_COOKIE, Family, cookie, fresh_visitor, removal,
    safe_return,
};

/// The family's or the agents' login: same form, same protections, its own
/// cookie and pages.
pub struct Side {
    pub kind: Kind,
    pub title: &'static str,
    pub action: &'static str,
    pub cookie: &'static str,
    pub home: &'static str,
    pub logged_out: &'static str,
    pub identifier_label: &'static str,
}

pub const FAMILY_SIDE: Side = Side {
    kind: Kind::Family,
    title: "Connexion à mon espace famille",
    action: "/compte/connexion",
    cookie: FAMILY_COOKIE,
    home: "/compte",
    logged_out: "/compte/connexion?message=deconnecte",
    identifier_label: "Nom d'utilisateur ou adresse e-mail",
};

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    retour: Option<String>,
    message: Option<String>,
}

/// The fixed notices a redirect may ask the login page to show.
fn message_notice(code: Option<&str>) -> Option<Markup> {
    let (kind, text) = match code? {
        "deconnecte" => (NoticeKind::Success, "Vous êtes déconnecté."),
        "mot-de-passe-change" => (
            NoticeKind::Success,
            "Votre mot de passe a été changé : connectez-vous avec le nouveau.",
        ),
        "compte-supprime" => (
            NoticeKind::Success,
            "Votre compte a été supprimé. Votre dossier à la mairie est conservé.",
        ),
        "courriel-change" => (
            NoticeKind::Success,
            "Votre nouvelle adresse e-mail est confirmée.",
        ),
        "lien-envoye" => (
            NoticeKind::Info,
            "Si un compte en attente d'activation correspond, un nouveau lien vient de lui être envoyé.",
        ),
        _ => return None,
    };
    Some(notice(kind, text))
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    se_rappeler: Option<String>,
    #[serde(default)]
    retour: Option<String>,
}

fn login_page(
    c: &Commune,
    side: &Side,
    csrf: &Csrf,
    form: &LoginForm,
    errors: &FieldErrors,
    top: Option<Markup>,
) -> Markup {
    let labels = [
        ("identifiant", side.identifier_label),
        ("mot_de_passe", "Mot de passe"),
    ];
    let family = side.kind == Kind::Family;
    layout::render(Page {
        title: side.title,
        path: side.action,
        main: html! {
            @if let Some(top) = top { (top) }
            (error_summary(errors, &labels))
            @if family {
                p { "Connectez-vous pour réserver les repas et les accueils, payer vos factures et écrire aux services de la " (c.nom) "." }
            } @else {
                p { "Espace réservé aux agents de la " (c.nom) "." }
            }
            form.stack method="post" action=(side.action) novalidate {
                (csrf.field())
                @if let Some(r) = &form.retour { input type="hidden" name="retour" value=(r); }
                (required_note())
                (Field::text("identifiant", side.identifier_label, &form.identifiant).autocomplete("username").render(errors))
                (Field::text("mot_de_passe", "Mot de passe", "").kind("password").autocomplete("current-password").render(errors))
                @if family {
                    div.check {
                        input #se_rappeler type="checkbox" name="se_rappeler" value="1" checked[form.se_rappeler.is_some()];
                        label for="se_rappeler" { "Se rappeler de moi (30 jours sur cet appareil)" }
                    }
                }
                button type="submit" { "Se connecter" }
            }
            @if family {
                ul.links-after-form {
                    li { a href="/compte/mot-de-passe-oublie" { "Mot de passe oublié ?" } }
                    li { "Première connexion ? " a href="/compte/inscription" { "Inscrivez-vous" } }
                }
            }
        },
    })
}

pub async fn show(app: State<App>, csrf: Csrf, q: Query<LoginQuery>) -> impl IntoResponse {
    show_for(&FAMILY_SIDE, app, csrf, q)
}

pub fn show_for(
    side: &Side,
    State(app): State<App>,
    csrf: Csrf,
    Query(q): Query<LoginQuery>,
) -> impl IntoResponse + use<> {
    let form = LoginForm {
        retour: q.retour.clone(),
        ..LoginForm::default()
    };
    let page = login_page(
        &app.settings.commune,
        side,
        &csrf,
        &form,
        &FieldErrors::new(),
        message_notice(q.message.as_deref()),
    );
    (csrf, page)
}

pub async fn submit(
    app: State<App>,
    address: ClientAddress,
    jar: CookieJar,
    csrf: Csrf,
    form: CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    submit_for(&FAMILY_SIDE, app, address, jar, csrf, form).await
}

pub async fn submit_for(
    side: &Side,
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    if form.identifiant.trim().is_empty() {
        errors.insert("identifiant", REQUIRED.into());
    }
    if form.mot_de_passe.is_empty() {
        errors.insert("mot_de_passe", REQUIRED.into());
    }
    if !errors.is_empty() {
        let page = login_page(&app.settings.commune, side, &csrf, &form, &errors, None);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    }
    let previous = jar.get(side.cookie).map(|c| c.value().to_owned());
    let outcome = service::login(
        &app,
        side.kind,
        &form.identifiant,
        &form.mot_de_passe,
        form.se_rappeler.is_some(),
        &address,
        previous.as_deref(),
    )
    .await
    .map_err(account_error)?;
    let refuse = |status: StatusCode, message: Markup, csrf: Csrf| {
        let page = login_page(
            &app.settings.commune,
            side,
            &csrf,
            &form,
            &FieldErrors::new(),
            Some(message),
        );
        (status, csrf, page).into_response()
    };
    Ok(match outcome {
        LoginOutcome::SignedIn { token, .. } => {
            let remember = side.kind == Kind::Family && form.se_rappeler.is_some();
            let jar = jar
                .add(cookie(&app, side.cookie, token, remember))
                .add(fresh_visitor(&app));
            let to = safe_return(form.retour.as_deref(), side.home);
            (jar, Redirect::to(&to)).into_response()
        }
        LoginOutcome::Refused => refuse(
            StatusCode::UNAUTHORIZED,
            notice(NoticeKind::Error, "Identifiant ou mot de passe incorrect."),
            csrf,
        ),
        LoginOutcome::Locked { minutes } => refuse(
            StatusCode::LOCKED,
            notice(
                NoticeKind::Error,
                &format!(
                    "Après 5 essais infructueux, ce compte est verrouillé pendant 15 minutes : réessayez dans {minutes} minute{}.",
                    if minutes > 1 { "s" } else { "" }
                ),
            ),
            csrf,
        ),
        LoginOutcome::Throttled => refuse(
            StatusCode::TOO_MANY_REQUESTS,
            notice(
                NoticeKind::Error,
                "Trop d'essais infructueux depuis cette connexion : patientez 15 minutes avant de réessayer.",
            ),
            csrf,
        ),
        LoginOutcome::NotActivated(account) => {
            let message = not_activated(&account.identifiant, &csrf);
            refuse(StatusCode::FORBIDDEN, message, csrf)
        }
    })
}

fn not_activated(identifiant: &str, csrf: &Csrf) -> Markup {
    html! {
        div.notice.notice-error role="alert" {
            p { "Votre compte n'est pas encore activé : suivez le lien reçu par e-mail (valable 24 heures)." }
            form method="post" action="/compte/activation/renvoyer" {
                (csrf.field())
                input type="hidden" name="identifiant" value=(identifiant);
                button.link-button type="submit" { "Renvoyer le lien d'activation" }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    identifiant: String,
}

pub async fn resend_activation(
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> Result<Redirect, AppError> {
    service::resend_activation(&app, &form.identifiant, &address)
        .await
        .map_err(account_error)?;
    Ok(Redirect::to("/compte/connexion?message=lien-envoye"))
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    family: Family,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<impl IntoResponse, AppError> {
    end_session(&app, &FAMILY_SIDE, jar, &family.session).await
}

/// Ends a session and removes its cookie.
pub async fn end_session(
    app: &App,
    side: &Side,
    jar: CookieJar,
    session: &str,
) -> Result<impl IntoResponse + use<>, AppError> {
    shared::accounts::sessions::close(app.store.as_ref(), session).await?;
    Ok((
        jar.remove(removal(side.cookie)).add(fresh_visitor(app)),
        Redirect::to(side.logged_out),
    ))
}

/// Account errors as the web sees them: store faults are 503, a mail that
/// could not go is a 503 too (the family retries), the rest internal.
pub fn account_error(e: service::AccountError) -> AppError {
    match e {
        service::AccountError::Store(s) => s.into(),
        service::AccountError::Mail(m) => AppError::Unavailable(format!("courriel : {m}")),
        other => AppError::Internal(other.to_string()),
    }
}
