//! Prélèvement automatique, the family's side (`/paiement/prelevement`,
//! served by the `paiement` function): the mandate in force and the one
//! waiting for the régie (the account masked), the form that signs a new
//! one — to join direct debit or change the account — with the mandate's
//! text to accept, and the way to stop. Mandates are reached through the
//! family's `shared::access` proof.

use crate::dossier::Linked;
use crate::routes::Routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::Granted;
use shared::accounts::validation::FieldErrors;
use shared::layout::family_bar;
use shared::layout::forms::{Field, checkbox, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::payment::mandates::{self, MandateError};
use shared::payment::sepa::{self, Mandate, MandateForm, MandateStatus};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm};

pub const PATH: &str = "/paiement/prelevement";

pub fn routes() -> Routes {
    Routes::new()
        .route(PATH, get(show).post(sign))
        .route("/paiement/prelevement/arret", post(stop))
}

const LABELS: &[(&str, &str)] = &[
    ("titulaire", "Titulaire du compte"),
    ("iban", "IBAN"),
    ("bic", "BIC"),
    ("accepte", "Acceptation du mandat"),
];

/// The SEPA mandate's text, with the régie as creditor.
fn mandate_text(s: &Settings) -> Markup {
    let regie = s.service(shared::billing::campaigns::REGIE);
    let nom = regie.map_or("la régie", |r| r.nom.as_str());
    let ics = regie.and_then(|r| r.ics.as_deref()).unwrap_or("");
    html! {
        div.notice.notice-info #texte-mandat {
            p { strong { "Mandat de prélèvement SEPA" } }
            p {
                "En signant ce formulaire de mandat, vous autorisez " (nom) " (" (s.commune.nom) ", identifiant créancier SEPA " (ics) ") à envoyer des instructions à votre banque pour débiter votre compte, et votre banque à débiter votre compte conformément aux instructions de " (nom) "."
            }
            p {
                "Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions décrites dans la convention que vous avez passée avec elle. Une demande de remboursement doit être présentée dans les 8 semaines suivant la date de débit de votre compte pour un prélèvement autorisé."
            }
            p { "Chaque facture indique la date de son prélèvement. Vous pouvez changer de compte ou arrêter le prélèvement à tout moment depuis cette page." }
        }
    }
}

fn describe(m: &Mandate) -> Markup {
    html! {
        "compte " span.nowrap { (sepa::masked(&m.iban)) } " (titulaire : " (m.titulaire) ")"
        ", mandat n° " (m.rum) " signé le " (m.signe_le.format("%d/%m/%Y"))
    }
}

/// The page: where the family stands, then the form (kept as typed when
/// refused, the IBAN included: it is the family's own).
pub fn page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    all: &[Granted<Mandate>],
    form: &MandateForm,
    errors: &FieldErrors,
    done: Option<&str>,
) -> Markup {
    let active = mandates::active(all);
    let waiting = all.iter().find(|m| m.statut == MandateStatus::AValider);
    let ended: Vec<&Granted<Mandate>> = all
        .iter()
        .filter(|m| m.statut == MandateStatus::Termine)
        .collect();
    layout::render(Page {
        title: "Prélèvement automatique",
        path: "/factures",
        main: html! {
            (bar)
            p { a href="/factures" { "← Mes factures" } }
            @if let Some(d) = done { (notice(NoticeKind::Success, d)) }
            @if active.is_none() && waiting.is_none() {
                p { "Vous n'avez pas adhéré au prélèvement automatique : vos factures se règlent en ligne ou à la régie." }
            }
            @if let Some(m) = active {
                p { strong { "Prélèvement automatique actif : " } (describe(m)) "." }
            }
            @if let Some(m) = waiting {
                div.notice.notice-info {
                    p { strong { "Mandat en attente de validation par la régie : " } (describe(m)) "." }
                    @if active.is_some() { p { "Le compte actuel reste prélevé jusqu'à la validation du nouveau mandat." } }
                }
            }
            h2 { @if active.is_some() || waiting.is_some() { "Changer de compte bancaire" } @else { "Adhérer au prélèvement automatique" } }
            (error_summary(errors, LABELS))
            (mandate_text(s))
            form.stack method="post" action=(PATH) novalidate {
                (csrf.clone())
                (required_note())
                (Field::text("titulaire", "Titulaire du compte", &form.titulaire).autocomplete("name").hint("Nom et prénom tels qu'ils figurent sur le relevé d'identité bancaire.").render(errors))
                (Field::text("iban", "IBAN", &form.iban).hint("Sur votre RIB : 27 caractères pour un compte français, commençant par FR. Les espaces sont acceptés.").render(errors))
                (Field::text("bic", "BIC", &form.bic).optional().hint("Facultatif : 8 ou 11 caractères.").render(errors))
                (checkbox("accepte", html! { "J'ai lu le mandat de prélèvement SEPA ci-dessus et je l'accepte" }, form.accepte == "1", errors))
                button type="submit" { "Signer le mandat" }
            }
            @if active.is_some() || waiting.is_some() {
                h2 { "Arrêter le prélèvement" }
                p { "Vos prochaines factures seront à régler en ligne ou à la régie. Une facture dont le prélèvement est déjà transmis à la banque sera prélevée." }
                form method="post" action="/paiement/prelevement/arret" {
                    (csrf)
                    button.button-secondary type="submit" { "Arrêter le prélèvement automatique" }
                }
            }
            @if !ended.is_empty() {
                h2 { "Mandats terminés" }
                ul {
                    @for m in ended {
                        li {
                            (describe(m))
                            @if let Some(d) = m.fin_le { " — terminé le " (d.format("%d/%m/%Y")) }
                            @if let Some(why) = &m.fin_motif { " (" (why) ")" }
                        }
                    }
                }
            }
        },
    })
}

fn bar(linked: &Linked, csrf: &Csrf) -> Markup {
    family_bar(&linked.family.account, csrf.field())
}

#[derive(Debug, Deserialize)]
pub struct Done {
    fait: Option<String>,
}

pub async fn show(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, AppError> {
    let all = linked.access.mandates(app.store.as_ref()).await?;
    let done = match q.fait.as_deref() {
        Some("signe") => {
            Some("Mandat signé : la régie le vérifie, vous recevrez un courriel dès sa validation.")
        }
        Some("arrete") => Some("Prélèvement automatique arrêté."),
        _ => None,
    };
    let markup = page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &all,
        &MandateForm::default(),
        &FieldErrors::new(),
        done,
    );
    Ok((csrf, markup).into_response())
}

/// Signs a mandate: refused next to each field (422, nothing stored).
pub async fn sign(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<MandateForm>,
) -> Result<Response, AppError> {
    let errors = match sepa::check_mandate(&form) {
        Ok(input) => match mandates::sign(&app, &linked.access, input).await {
            Ok(_) => return Ok(Redirect::to(&format!("{PATH}?fait=signe")).into_response()),
            Err(MandateError::Conflict) => {
                let mut e = FieldErrors::new();
                e.insert("iban", "Un autre changement est arrivé en même temps : vérifiez la page et signez de nouveau.".into());
                e
            }
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let all = linked.access.mandates(app.store.as_ref()).await?;
    let markup = page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &all,
        &form,
        &errors,
        None,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
}

pub async fn stop(
    State(app): State<App>,
    linked: Linked,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    mandates::stop(&app, &linked.access).await?;
    Ok(Redirect::to(&format!("{PATH}?fait=arrete")).into_response())
}
