//! The four-step sign-up and the activation link. Each step posts to its own
//! address; what was typed is kept server-side (passwords as a hash only), so
//! the Back button and a reload keep it.

mod views;

use super::login::account_error;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use shared::App;
use shared::accounts::draft::{self, COOKIE as DRAFT_COOKIE, Draft};
use shared::accounts::service::{self, AccountError, LinkOutcome, ReferencesCheck, SignUp};
use shared::accounts::tokens::{new_token, token_hash};
use shared::accounts::validation::{self, FieldErrors, check};
use shared::accounts::{Kind, email_key, password, username_key};
use shared::web::AppError;
use shared::web::auth::{
    ClientAddress, Csrf, CsrfForm, FAMILY_COOKIE, cookie, fresh_visitor, removal,
};
use views::{Typed, step_page};

async fn current_draft(app: &App, jar: &CookieJar) -> Result<(String, Draft), AppError> {
    if let Some(token) = jar.get(DRAFT_COOKIE).map(|c| c.value().to_owned())
        && let Some(d) = draft::load(app.store.as_ref(), &token).await?
    {
        return Ok((token, d));
    }
    Ok((new_token(), Draft::default()))
}

async fn save_and_go(
    app: &App,
    jar: CookieJar,
    token: String,
    d: &Draft,
    step: u8,
) -> Result<Response, AppError> {
    draft::save(app.store.as_ref(), &token, d, app.clock.now()).await?;
    let jar = jar.add(cookie(app, DRAFT_COOKIE, token, false));
    Ok((
        jar,
        Redirect::to(&format!("/compte/inscription?etape={step}")),
    )
        .into_response())
}

fn refused(step: u8, csrf: Csrf, d: &Draft, typed: &Typed, errors: &FieldErrors) -> Response {
    let page = step_page(step, &csrf, d, typed, errors);
    (StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response()
}

#[derive(Debug, Deserialize)]
pub struct StepQuery {
    etape: Option<String>,
}

pub async fn show(
    State(app): State<App>,
    jar: CookieJar,
    csrf: Csrf,
    Query(q): Query<StepQuery>,
) -> Result<Response, AppError> {
    let (_, d) = current_draft(&app, &jar).await?;
    let wanted: u8 = q.etape.as_deref().and_then(|s| s.parse().ok()).unwrap_or(1);
    let step = wanted.clamp(1, d.etape.clamp(1, 4));
    let page = step_page(step, &csrf, &d, &Typed::default(), &FieldErrors::new());
    Ok((csrf, page).into_response())
}

// ------------------------------------------------------------------ step 1

#[derive(Debug, Default, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    courriel_confirmation: String,
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    mot_de_passe_confirmation: String,
}

pub async fn details(
    State(app): State<App>,
    jar: CookieJar,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<DetailsForm>,
) -> Result<Response, AppError> {
    let (token, mut d) = current_draft(&app, &jar).await?;
    let mut errors = FieldErrors::new();
    // What was typed is kept for the page, trimmed, even when refused.
    d.nom = check(&mut errors, "nom", validation::text(&f.nom));
    d.prenom = check(&mut errors, "prenom", validation::text(&f.prenom));
    d.courriel = check(&mut errors, "courriel", validation::email(&f.courriel));
    d.identifiant = check(
        &mut errors,
        "identifiant",
        validation::username(&f.identifiant),
    );
    let keep_typed = |value: &mut String, typed: &str| {
        if value.is_empty() {
            *value = typed
                .trim()
                .chars()
                .take(validation::MAX_LEN)
                .filter(|c| !c.is_control())
                .collect();
        }
    };
    keep_typed(&mut d.nom, &f.nom);
    keep_typed(&mut d.prenom, &f.prenom);
    keep_typed(&mut d.courriel, &f.courriel);
    keep_typed(&mut d.identifiant, &f.identifiant);
    if !errors.contains_key("courriel")
        && let Err(e) = validation::confirmation(
            &f.courriel.to_lowercase(),
            &f.courriel_confirmation.to_lowercase(),
            "adresses",
        )
    {
        errors.insert("courriel_confirmation", e);
    }
    let keep_password = f.mot_de_passe.is_empty()
        && f.mot_de_passe_confirmation.is_empty()
        && !d.mot_de_passe.is_empty();
    let mut new_password = None;
    if !keep_password {
        match validation::new_password(&f.mot_de_passe, &d.identifiant, &d.courriel) {
            Err(e) => {
                errors.insert("mot_de_passe", e);
            }
            Ok(p) => {
                match validation::confirmation(&p, &f.mot_de_passe_confirmation, "mots de passe") {
                    Err(e) => {
                        errors.insert("mot_de_passe_confirmation", e);
                    }
                    Ok(()) => new_password = Some(p),
                }
            }
        }
    }
    let store = app.store.as_ref();
    if !errors.contains_key("identifiant")
        && store.get(&username_key(&d.identifiant)).await?.is_some()
    {
        errors.insert(
            "identifiant",
            "Ce nom d'utilisateur est déjà pris : choisissez-en un autre.".into(),
        );
    }
    if !errors.contains_key("courriel")
        && store
            .get(&email_key(Kind::Family, &d.courriel))
            .await?
            .is_some()
    {
        errors.insert(
            "courriel",
            "Un compte existe déjà avec cette adresse : connectez-vous, ou utilisez « Mot de passe oublié ».".into(),
        );
    }
    if !errors.is_empty() {
        if new_password.is_none() && !keep_password {
            d.mot_de_passe.clear();
        }
        let typed = Typed {
            courriel_confirmation: Some(
                f.courriel_confirmation
                    .trim()
                    .chars()
                    .take(validation::MAX_LEN)
                    .collect(),
            ),
        };
        return Ok(refused(1, csrf, &d, &typed, &errors));
    }
    if let Some(p) = new_password {
        d.mot_de_passe = password::hash_async(p)
            .await
            .ok_or_else(|| AppError::Internal("hachage du mot de passe impossible".into()))?;
    }
    d.etape = d.etape.max(2);
    save_and_go(&app, jar, token, &d, 2).await
}

// ------------------------------------------------------------------ step 2

#[derive(Debug, Default, Deserialize)]
pub struct ReferencesForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    numero: String,
    #[serde(default)]
    responsable: String,
    #[serde(default)]
    chiffres: String,
}

pub async fn references(
    State(app): State<App>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<ReferencesForm>,
) -> Result<Response, AppError> {
    let (token, mut d) = current_draft(&app, &jar).await?;
    if d.etape < 2 {
        return Ok(Redirect::to("/compte/inscription?etape=1").into_response());
    }
    let clip = |s: &str| -> String {
        s.trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(validation::MAX_LEN)
            .collect()
    };
    d.numero = clip(&f.numero);
    d.responsable = clip(&f.responsable);
    d.chiffres = clip(&f.chiffres);
    match f.action.as_str() {
        "retour" => return save_and_go(&app, jar, token, &d, 1).await,
        "sans" => {
            d.dossier = None;
            d.sans_dossier = true;
            d.etape = d.etape.max(3);
            return save_and_go(&app, jar, token, &d, 3).await;
        }
        _ => {}
    }
    let mut errors = FieldErrors::new();
    check(&mut errors, "numero", validation::text(&f.numero));
    check(&mut errors, "responsable", validation::text(&f.responsable));
    let digits = check(&mut errors, "chiffres", validation::text(&f.chiffres));
    let three_digits = digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit());
    if !errors.contains_key("chiffres") && !three_digits {
        errors.insert(
            "chiffres",
            "Trois chiffres sont attendus, par exemple 587.".into(),
        );
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let mut matched = None;
    if errors.is_empty() {
        let visitor = token_hash(&token);
        match service::check_references(
            &app,
            &d.numero,
            &d.responsable,
            &digits,
            &visitor,
            &address,
        )
        .await?
        {
            ReferencesCheck::Matched(numero) => matched = Some(numero),
            ReferencesCheck::NoMatch => {
                errors.insert(
                    "references",
                    "Ces références ne correspondent à aucun dossier. Vérifiez-les sur une facture, ou continuez sans.".into(),
                );
            }
            ReferencesCheck::TooManyAttempts => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.insert(
                    "references",
                    "Trop d'essais de références : pour protéger les dossiers, la vérification en ligne est suspendue. Continuez sans ces informations : le service Enfance-Éducation rattachera votre compte.".into(),
                );
            }
        }
    }
    let Some(numero) = matched.filter(|_| errors.is_empty()) else {
        d.dossier = None;
        let page = step_page(2, &csrf, &d, &Typed::default(), &errors);
        return Ok((status, csrf, page).into_response());
    };
    d.dossier = Some(numero);
    d.sans_dossier = false;
    d.etape = d.etape.max(3);
    save_and_go(&app, jar, token, &d, 3).await
}

// ------------------------------------------------------------------ step 3

#[derive(Debug, Default, Deserialize)]
pub struct TermsForm {
    #[serde(default)]
    action: String,
    cgu: Option<String>,
    reglement: Option<String>,
}

pub async fn terms(
    State(app): State<App>,
    jar: CookieJar,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<TermsForm>,
) -> Result<Response, AppError> {
    let (token, mut d) = current_draft(&app, &jar).await?;
    if d.etape < 3 || !d.references_settled() {
        return Ok(Redirect::to("/compte/inscription?etape=2").into_response());
    }
    d.cgu = f.cgu.is_some();
    d.reglement = f.reglement.is_some();
    if f.action == "retour" {
        return save_and_go(&app, jar, token, &d, 2).await;
    }
    let mut errors = FieldErrors::new();
    if !d.cgu {
        errors.insert(
            "cgu",
            "Acceptez les conditions générales d'utilisation pour continuer.".into(),
        );
    }
    if !d.reglement {
        errors.insert(
            "reglement",
            "Acceptez le règlement intérieur pour continuer.".into(),
        );
    }
    if !errors.is_empty() {
        return Ok(refused(3, csrf, &d, &Typed::default(), &errors));
    }
    d.etape = 4;
    save_and_go(&app, jar, token, &d, 4).await
}

// ------------------------------------------------------------------ step 4

#[derive(Debug, Default, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    action: String,
}

pub async fn confirm(
    State(app): State<App>,
    jar: CookieJar,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<ConfirmForm>,
) -> Result<Response, AppError> {
    let (token, mut d) = current_draft(&app, &jar).await?;
    if d.etape < 4 || !d.cgu || !d.reglement || !d.references_settled() || d.mot_de_passe.is_empty()
    {
        return Ok(Redirect::to("/compte/inscription?etape=1").into_response());
    }
    if f.action == "retour" {
        return save_and_go(&app, jar, token, &d, 3).await;
    }
    let signup = SignUp {
        nom: d.nom.clone(),
        prenom: d.prenom.clone(),
        courriel: d.courriel.clone(),
        identifiant: d.identifiant.clone(),
        mot_de_passe: d.mot_de_passe.clone(),
        dossier: d.dossier.clone(),
    };
    let taken = |field: &'static str, message: &str| {
        let mut errors = FieldErrors::new();
        errors.insert(field, message.to_owned());
        errors
    };
    let account = match service::register(&app, signup).await {
        Ok(a) => a,
        Err(AccountError::UsernameTaken) => {
            d.etape = 1;
            draft::save(app.store.as_ref(), &token, &d, app.clock.now()).await?;
            let errors = taken(
                "identifiant",
                "Ce nom d'utilisateur vient d'être pris : choisissez-en un autre.",
            );
            return Ok(refused(1, csrf, &d, &Typed::default(), &errors));
        }
        Err(AccountError::EmailTaken) => {
            d.etape = 1;
            draft::save(app.store.as_ref(), &token, &d, app.clock.now()).await?;
            let errors = taken("courriel", "Un compte existe déjà avec cette adresse.");
            return Ok(refused(1, csrf, &d, &Typed::default(), &errors));
        }
        Err(e) => return Err(account_error(e)),
    };
    draft::discard(app.store.as_ref(), &token).await?;
    let page = views::sent_page(&account.courriel, account.dossier.is_some());
    Ok((jar.remove(removal(DRAFT_COOKIE)), page).into_response())
}

// ------------------------------------------------------------------ activation

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    pub jeton: Option<String>,
}

pub async fn activate(
    State(app): State<App>,
    jar: CookieJar,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let token = q.jeton.unwrap_or_default();
    match service::activate(&app, &token)
        .await
        .map_err(account_error)?
    {
        LinkOutcome::Done(account) => {
            let session = shared::accounts::sessions::open(
                app.store.as_ref(),
                &account,
                false,
                app.clock.now(),
            )
            .await?;
            let jar = jar
                .add(cookie(&app, FAMILY_COOKIE, session, false))
                .add(fresh_visitor(&app));
            Ok((jar, Redirect::to("/compte?bienvenue=1")).into_response())
        }
        LinkOutcome::AlreadyUsed => Ok(link_page(
            "Lien déjà utilisé",
            "Ce lien d'activation a déjà servi : votre compte est actif. Connectez-vous avec votre nom d'utilisateur et votre mot de passe.",
            ("/compte/connexion", "Se connecter"),
        )),
        LinkOutcome::Expired => Ok(link_page(
            "Lien expiré",
            "Lien expiré : recommencez votre inscription. Un lien d'activation est valable 24 heures ; passé ce délai, la demande de compte est effacée.",
            ("/compte/inscription", "Recommencer mon inscription"),
        )),
    }
}

/// The page of a one-time link that cannot be used (410 Gone).
pub fn link_page(title: &str, text: &str, link: (&str, &str)) -> Response {
    (StatusCode::GONE, views::link_page(title, text, link)).into_response()
}
