//! The same-morning illness cancellation and its medical certificate: a
//! reserved day becomes "absence maladie — justificatif attendu" before the
//! activity's illness time; a certificate (same file rules as inscriptions)
//! makes it "justifiée", not billed.

use super::link;
use crate::dossier::Linked;
use crate::dossier_documents::file_field;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use shared::App;
use shared::access::{FamilyAccess, Granted};
use shared::accounts::validation::FieldErrors;
use shared::documents::{self, NewDocument, StoreFileError};
use shared::domain::document::Source;
use shared::domain::dossier::Child;
use shared::layout::family_bar;
use shared::layout::forms::{error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, dates, notice};
use shared::planning::grid::parse_cell_key;
use shared::planning::rules::View;
use shared::planning::{self, DayRef, IllnessError};
use shared::settings::{Activity, Unit};
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm, Family};
use shared::web::upload::CsrfMultipart;

/// A cell of the signed-in family: its child, activity, unit and day;
/// anything else (another dossier's child, an unknown unit) is a 404.
async fn target<'a>(
    app: &'a App,
    access: &FamilyAccess,
    key: &str,
) -> Result<(Granted<Child>, &'a Activity, &'a Unit, chrono::NaiveDate), AppError> {
    let (child, activity, unit, day) = parse_cell_key(key).ok_or(AppError::NotFound)?;
    let children = access.children(app.store.as_ref()).await?;
    let child = access.child(&children, child)?;
    let a = app
        .settings
        .as_ref()
        .activity(activity)
        .ok_or(AppError::NotFound)?;
    let u = a.unit(unit).ok_or(AppError::NotFound)?;
    Ok((child, a, u, day))
}

fn back(day: chrono::NaiveDate) -> String {
    link(View::Semaine, day, false)
}

#[derive(Debug, Default, Deserialize)]
pub struct CellForm {
    #[serde(default)]
    cellule: String,
}

fn closed_page(family: &Family, csrf: &Csrf, day: chrono::NaiveDate, text: &str) -> Response {
    let page = layout::render(Page {
        title: "Planning : changement impossible",
        path: "/planning",
        main: html! {
            (family_bar(&family.account, csrf.field()))
            (notice(NoticeKind::Error, text))
            p { a href=(back(day)) { "Retour au planning" } }
        },
    });
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn declare(
    State(app): State<App>,
    Linked { family, access, .. }: Linked,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<CellForm>,
) -> Result<Response, AppError> {
    let (child, activity, unit, day) = target(&app, &access, &f.cellule).await?;
    let at = DayRef {
        child: &child,
        activity,
        unit,
        day,
    };
    match planning::declare_illness(&app, &at).await {
        Ok(()) => Ok(Redirect::to(&format!("{}&maladie=1", back(day))).into_response()),
        Err(IllnessError::Closed) => Ok(closed_page(
            &family,
            &csrf,
            day,
            "L'annulation pour maladie n'est possible que le jour même, avant l'heure limite, pour un jour réservé.",
        )),
        Err(IllnessError::Store(e)) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CertificateQuery {
    #[serde(default)]
    cellule: String,
}

fn certificate_page(
    family: &Family,
    csrf: &Csrf,
    key: &str,
    child: &Child,
    unit: &Unit,
    day: chrono::NaiveDate,
    errors: &FieldErrors,
) -> maud::Markup {
    layout::render(Page {
        title: "Envoyer un certificat médical",
        path: "/planning",
        main: html! {
            (family_bar(&family.account, csrf.field()))
            (error_summary(errors, &[("fichier", "Certificat médical")]))
            dl.facts {
                dt { "Enfant" } dd { (child.prenom) " " (child.nom) }
                dt { "Jour" } dd { (dates::with_weekday(day)) }
                dt { "Unité" } dd { (unit.nom) }
            }
            p { "Avec le certificat, l'absence devient « justifiée » et n'est pas facturée." }
            (required_note())
            form.stack method="post" action="/planning/justificatif" enctype="multipart/form-data" novalidate {
                (csrf.field())
                input type="hidden" name="cellule" value=(key);
                (file_field("fichier", "Certificat médical", errors))
                button type="submit" { "Envoyer le certificat" }
            }
            p { a href=(back(day)) { "Retour au planning" } }
        },
    })
}

pub async fn certificate_form(
    State(app): State<App>,
    Linked { family, access, .. }: Linked,
    csrf: Csrf,
    Query(q): Query<CertificateQuery>,
) -> Result<Response, AppError> {
    let (child, _, unit, day) = target(&app, &access, &q.cellule).await?;
    let page = certificate_page(
        &family,
        &csrf,
        &q.cellule,
        &child,
        unit,
        day,
        &FieldErrors::new(),
    );
    Ok((csrf, page).into_response())
}

pub async fn certificate(
    State(app): State<App>,
    Linked { family, access, .. }: Linked,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let form: CellForm = upload.form()?;
    let (child, activity, unit, day) = target(&app, &access, &form.cellule).await?;
    let mut errors = FieldErrors::new();
    let refused = |errors: &FieldErrors| {
        let page = certificate_page(&family, &csrf, &form.cellule, &child, unit, day, errors);
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let Some(bytes) = upload.take_file("fichier") else {
        errors.insert("fichier", "Choisissez le certificat à envoyer.".into());
        return Ok(refused(&errors));
    };
    let libelle = format!(
        "Certificat médical — {}, {}",
        child.prenom,
        dates::numeric(day)
    );
    let what = NewDocument {
        libelle: &libelle,
        piece: Some("certificat-medical"),
        source: Source::Famille,
    };
    let doc = match documents::keep_file(&app, bytes, what, app.clock.now()).await {
        Ok(doc) => doc,
        Err(StoreFileError::Refused(e)) => {
            errors.insert("fichier", e.to_string());
            return Ok(refused(&errors));
        }
        Err(StoreFileError::Files(e)) => return Err(AppError::Unavailable(e.to_string())),
    };
    let at = DayRef {
        child: &child,
        activity,
        unit,
        day,
    };
    match planning::justify(&app, &at, &doc).await {
        Ok(()) => Ok(Redirect::to(&format!("{}&justifiee=1", back(day))).into_response()),
        Err(IllnessError::Closed) => Ok(closed_page(
            &family,
            &csrf,
            day,
            "Ce jour n'est pas une absence pour maladie en attente de certificat.",
        )),
        Err(IllnessError::Store(e)) => Err(e.into()),
    }
}
