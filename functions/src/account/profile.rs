//! "Mon compte": change the password, change the e-mail address (confirmed by
//! a link sent to the new one), see the linked dossier, delete the account.

use super::login::account_error;
use super::password::new_password_hash;
use super::signup::{LinkQuery, link_page};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::service::{self, AccountError, LinkOutcome};
use shared::accounts::validation::{self, FieldErrors, REQUIRED, check};
use shared::accounts::{Account, password, sessions};
use shared::domain::dossier::Dossier;
use shared::layout::family_bar;
use shared::layout::forms::{Field, checkbox, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm, FAMILY_COOKIE, Family, removal};

const LABELS: &[(&str, &str)] = &[
    ("actuel", "Mot de passe actuel"),
    ("mot_de_passe", "Nouveau mot de passe"),
    (
        "mot_de_passe_confirmation",
        "Confirmation du nouveau mot de passe",
    ),
    ("nouveau_courriel", "Nouvelle adresse e-mail"),
    (
        "nouveau_courriel_confirmation",
        "Confirmation de la nouvelle adresse",
    ),
    ("suppression_confirmee", "Confirmation de la suppression"),
    ("suppression_mot_de_passe", "Mot de passe"),
];

fn label(field: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(n, _)| *n == field)
        .map_or("", |(_, l)| *l)
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfileQuery {
    message: Option<String>,
}

struct View<'a> {
    account: &'a Account,
    dossier: Option<Dossier>,
    errors: FieldErrors,
    new_email: String,
    message: Option<Markup>,
}

fn profile_page(csrf: &Csrf, v: &View) -> Markup {
    let a = v.account;
    let e = &v.errors;
    layout::render(Page {
        title: "Mon compte",
        path: "/compte/mon-compte",
        main: html! {
            (family_bar(a, csrf.field()))
            @if let Some(m) = &v.message { (m) }
            (error_summary(e, LABELS))
            h2 { "Mes informations" }
            dl.facts {
                dt { "Nom" } dd { (a.display_name()) }
                dt { "Nom d'utilisateur" } dd { (a.identifiant) }
                dt { "Adresse e-mail" } dd { (a.courriel) }
            }
            h2 { "Mon dossier famille" }
            @match &v.dossier {
                Some(d) => {
                    dl.facts {
                        dt { "Numéro" } dd { (d.numero) }
                        dt { "Responsables" }
                        dd { @for (i, r) in d.responsables.iter().enumerate() { @if i > 0 { ", " } (r.prenom) " " (r.nom) } }
                        dt { "Adresse" } dd { (d.adresse) }
                    }
                    p.hint { "Un changement d'adresse, de composition familiale ou de quotient familial se signale à la mairie." }
                }
                None => { p { "Aucun dossier n'est encore rattaché à ce compte." } }
            }
            h2 #changer-mot-de-passe { "Changer de mot de passe" }
            form.stack method="post" action="/compte/mon-compte/mot-de-passe" novalidate {
                (csrf.field())
                (required_note())
                (Field::text("actuel", label("actuel"), "").kind("password").autocomplete("current-password").render(e))
                (Field::text("mot_de_passe", label("mot_de_passe"), "").kind("password").autocomplete("new-password")
                    .hint("12 caractères au moins ; pas un mot de passe courant ni votre nom d'utilisateur.").render(e))
                (Field::text("mot_de_passe_confirmation", label("mot_de_passe_confirmation"), "").kind("password").autocomplete("new-password").render(e))
                button type="submit" { "Changer de mot de passe" }
            }
            h2 #changer-courriel { "Changer d'adresse e-mail" }
            form.stack method="post" action="/compte/mon-compte/courriel" novalidate {
                (csrf.field())
                p.hint { "Un lien de confirmation sera envoyé à la nouvelle adresse ; l'ancienne en sera informée." }
                (Field::text("nouveau_courriel", label("nouveau_courriel"), &v.new_email).kind("email").autocomplete("email").render(e))
                (Field::text("nouveau_courriel_confirmation", label("nouveau_courriel_confirmation"), &v.new_email).kind("email").autocomplete("email").render(e))
                button type="submit" { "Changer d'adresse" }
            }
            h2 #supprimer { "Supprimer mon compte" }
            form.stack method="post" action="/compte/mon-compte/supprimer" novalidate {
                (csrf.field())
                p { "La suppression efface votre accès à l'Espace Famille. Votre dossier à la mairie, vos inscriptions et vos factures sont conservés." }
                (checkbox("suppression_confirmee", html! { "Je confirme vouloir supprimer mon compte" }, false, e))
                (Field::text("suppression_mot_de_passe", label("suppression_mot_de_passe"), "").kind("password").autocomplete("current-password").render(e))
                button type="submit" { "Supprimer mon compte" }
            }
        },
    })
}

async fn view<'a>(app: &App, account: &'a Account) -> Result<View<'a>, AppError> {
    let dossier = match &account.dossier {
        Some(n) => shared::dossiers::get(app.store.as_ref(), n).await?,
        None => None,
    };
    Ok(View {
        account,
        dossier,
        errors: FieldErrors::new(),
        new_email: String::new(),
        message: None,
    })
}

fn message(code: Option<&str>) -> Option<Markup> {
    let text = match code? {
        "mot-de-passe-change" => {
            "Votre mot de passe a été changé. Vos autres sessions ont été fermées."
        }
        "courriel-envoye" => {
            "Un lien de confirmation a été envoyé à votre nouvelle adresse : suivez-le dans les 24 heures."
        }
        _ => return None,
    };
    Some(notice(NoticeKind::Success, text))
}

pub async fn show(
    State(app): State<App>,
    family: Family,
    csrf: Csrf,
    Query(q): Query<ProfileQuery>,
) -> Result<Response, AppError> {
    let mut v = view(&app, &family.account).await?;
    v.message = message(q.message.as_deref());
    let page = profile_page(&csrf, &v);
    Ok((csrf, page).into_response())
}

fn refused(csrf: Csrf, v: &View) -> Response {
    let page = profile_page(&csrf, v);
    (StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response()
}

async fn password_ok(account: &Account, candidate: &str) -> bool {
    password::verify_async(account.mot_de_passe.clone(), candidate.to_owned()).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    actuel: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_confirmation: String,
}

pub async fn change_password(
    State(app): State<App>,
    family: Family,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let a = &family.account;
    let mut v = view(&app, a).await?;
    if f.actuel.is_empty() {
        v.errors.insert("actuel", REQUIRED.into());
    } else if !password_ok(a, &f.actuel).await {
        v.errors
            .insert("actuel", "Mot de passe actuel incorrect.".into());
    }
    let hash = new_password_hash(
        &f.mot_de_passe,
        &f.mot_de_passe_confirmation,
        &a.identifiant,
        &a.courriel,
        &mut v.errors,
    )
    .await?;
    match hash {
        Some(hash) if v.errors.is_empty() => {
            service::change_password(&app, &a.id, hash, &family.session)
                .await
                .map_err(account_error)?;
            Ok(Redirect::to("/compte/mon-compte?message=mot-de-passe-change").into_response())
        }
        _ => Ok(refused(csrf, &v)),
    }
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    nouveau_courriel: String,
    #[serde(default)]
    nouveau_courriel_confirmation: String,
}

pub async fn change_email(
    State(app): State<App>,
    family: Family,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> Result<Response, AppError> {
    let a = &family.account;
    let mut v = view(&app, a).await?;
    let email = check(
        &mut v.errors,
        "nouveau_courriel",
        validation::email(&f.nouveau_courriel),
    );
    v.new_email = f
        .nouveau_courriel
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if !v.errors.contains_key("nouveau_courriel") {
        if let Err(e) = validation::confirmation(
            &email,
            &f.nouveau_courriel_confirmation.to_lowercase(),
            "adresses",
        ) {
            v.errors.insert("nouveau_courriel_confirmation", e);
        } else if email == a.courriel {
            v.errors.insert(
                "nouveau_courriel",
                "C'est déjà l'adresse de votre compte.".into(),
            );
        }
    }
    if v.errors.is_empty() {
        match service::request_email_change(&app, a, &email).await {
            Ok(()) => {
                return Ok(
                    Redirect::to("/compte/mon-compte?message=courriel-envoye").into_response()
                );
            }
            Err(AccountError::EmailTaken) => {
                v.errors.insert(
                    "nouveau_courriel",
                    "Cette adresse est déjà celle d'un autre compte.".into(),
                );
            }
            Err(e) => return Err(account_error(e)),
        }
    }
    Ok(refused(csrf, &v))
}

pub async fn confirm_email(
    State(app): State<App>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let token = q.jeton.unwrap_or_default();
    match service::confirm_email_change(&app, &token).await {
        Ok(LinkOutcome::Done(_)) => {
            Ok(Redirect::to("/compte/connexion?message=courriel-change").into_response())
        }
        Ok(LinkOutcome::AlreadyUsed) => Ok(link_page(
            "Lien déjà utilisé",
            "Ce lien a déjà servi : votre adresse est déjà changée.",
            ("/compte/mon-compte", "Mon compte"),
        )),
        Ok(LinkOutcome::Expired) => Ok(link_page(
            "Lien expiré",
            "Ce lien a expiré (24 heures). Demandez à nouveau le changement depuis « Mon compte ».",
            ("/compte/mon-compte", "Mon compte"),
        )),
        Err(AccountError::EmailTaken) => Ok(link_page(
            "Adresse déjà utilisée",
            "Entre-temps, cette adresse est devenue celle d'un autre compte : le changement n'a pas été fait.",
            ("/compte/mon-compte", "Mon compte"),
        )),
        Err(e) => Err(account_error(e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    suppression_confirmee: Option<String>,
    #[serde(default)]
    suppression_mot_de_passe: String,
}

pub async fn delete(
    State(app): State<App>,
    jar: CookieJar,
    family: Family,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Result<Response, AppError> {
    let a = &family.account;
    let mut v = view(&app, a).await?;
    if f.suppression_confirmee.is_none() {
        v.errors.insert(
            "suppression_confirmee",
            "Cochez la case pour confirmer la suppression.".into(),
        );
    }
    if f.suppression_mot_de_passe.is_empty() {
        v.errors.insert("suppression_mot_de_passe", REQUIRED.into());
    } else if !password_ok(a, &f.suppression_mot_de_passe).await {
        v.errors
            .insert("suppression_mot_de_passe", "Mot de passe incorrect.".into());
    }
    if !v.errors.is_empty() {
        return Ok(refused(csrf, &v));
    }
    service::delete_account(&app, a)
        .await
        .map_err(account_error)?;
    sessions::close(app.store.as_ref(), &family.session).await?;
    Ok((
        jar.remove(removal(FAMILY_COOKIE)),
        Redirect::to("/compte/connexion?message=compte-supprime"),
    )
        .into_response())
}
