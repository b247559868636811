//! "Mes documents": what the town published for the family and what the
//! family sent (with its state: accepted, or to send again and why), a form
//! to send one, and downloads — only of this dossier's documents.

use super::{Linked, frame};
use crate::downloads::attachment;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::validation::{self, FieldErrors};
use shared::documents::{self, NewDocument, StoreFileError};
use shared::domain::document::{Document, Source};
use shared::layout::forms::{error_summary, required_note};
use shared::layout::{NoticeKind, notice, size_fr};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Csrf, Family};
use shared::web::record_id;
use shared::web::upload::CsrfMultipart;

const LABELS: &[(&str, &str)] = &[
    ("piece", "Type de document"),
    ("description", "Description du document"),
    ("fichier", "Fichier"),
];

/// The value of the "other document" choice.
const OTHER: &str = "autre";

#[derive(Debug, Default, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    piece: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    envoye: Option<String>,
}

fn paris_date(doc: &Document) -> String {
    doc.depose_le
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

/// The link that downloads a document, with its format and size (RGAA 6.1).
pub fn download_link(href: &str, doc: &Document) -> Markup {
    html! {
        a href=(href) download {
            "Télécharger" span.visually-hidden { " " (doc.libelle) }
            " (" (doc.format.to_uppercase()) ", " (size_fr(doc.taille)) ")"
        }
    }
}

fn table(docs: &[&Document], caption: &str, with_state: bool) -> Markup {
    html! {
        table.data {
            caption { (caption) }
            thead { tr {
                th scope="col" { "Document" } th scope="col" { "Date" }
                @if with_state { th scope="col" { "État" } }
                th scope="col" { "Fichier" }
            } }
            tbody {
                @for d in docs {
                    tr {
                        td { (d.libelle) }
                        td { (paris_date(d)) }
                        @if with_state {
                            td {
                                @match &d.invalide {
                                    Some(m) => { strong { "À renvoyer" } " : " (m) }
                                    None => { "Reçu" }
                                }
                            }
                        }
                        td { (download_link(&format!("/dossier/documents/{}", d.id), d)) }
                    }
                }
            }
        }
    }
}

fn page(
    s: &Settings,
    family: &Family,
    csrf: &Csrf,
    docs: &[Document],
    form: &SendForm,
    errors: &FieldErrors,
    sent: bool,
) -> Markup {
    let town: Vec<&Document> = docs.iter().filter(|d| d.source == Source::Mairie).collect();
    let ours: Vec<&Document> = docs
        .iter()
        .filter(|d| d.source == Source::Famille)
        .collect();
    let to_resend = ours.iter().filter(|d| d.invalide.is_some()).count();
    let error = |name: &str| errors.get(name);
    let main = html! {
        @if sent { (notice(NoticeKind::Success, "Votre document est envoyé : la mairie le vérifiera.")) }
        @if to_resend > 0 {
            (notice(NoticeKind::Info, &format!("{to_resend} document(s) à renvoyer : la mairie n'a pas pu les accepter (voir le motif ci-dessous).")))
        }
        (error_summary(errors, LABELS))
        h2 { "Documents de la mairie" }
        @if town.is_empty() { p { "La mairie n'a publié aucun document pour votre famille." } }
        @else { (table(&town, "Documents publiés par la mairie pour votre famille", false)) }
        h2 { "Documents envoyés" }
        @if ours.is_empty() { p { "Vous n'avez envoyé aucun document." } }
        @else { (table(&ours, "Documents que vous avez envoyés", true)) }
        h2 { "Envoyer un document" }
        (required_note())
        form.stack method="post" action="/dossier/documents" enctype="multipart/form-data" novalidate {
            (csrf.field())
            div.field {
                label for="piece" { "Type de document " span.required aria-hidden="true" { "*" } }
                select #piece name="piece" required aria-invalid=[error("piece").map(|_| "true")]
                    aria-describedby=[error("piece").map(|_| "piece-erreur")] {
                    option value="" { "Choisissez…" }
                    @for p in &s.pieces { option value=(p.id) selected[form.piece == p.id] { (p.nom) } }
                    option value=(OTHER) selected[form.piece == OTHER] { "Autre document" }
                }
                @if let Some(e) = error("piece") { span.error id="piece-erreur" { "Erreur : " (e) } }
            }
            div.field {
                label for="description" { "Description du document (pour « Autre document »)" }
                input #description name="description" type="text" value=(form.description) maxlength="200"
                    aria-invalid=[error("description").map(|_| "true")]
                    aria-describedby=[error("description").map(|_| "description-erreur")];
                @if let Some(e) = error("description") { span.error id="description-erreur" { "Erreur : " (e) } }
            }
            (file_field("fichier", "Fichier", errors))
            button type="submit" { "Envoyer le document" }
        }
    };
    frame(family, csrf, "Mes documents", "/dossier/documents", main)
}

/// A required file input: its rule as a hint, its error next to it.
pub fn file_field(name: &str, label: &str, errors: &FieldErrors) -> Markup {
    shared::layout::forms::file_input(
        name,
        label,
        "PDF, JPEG ou PNG, 2 Mo au plus.",
        ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png",
        true,
        errors,
    )
}

pub async fn list(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
    Query(q): Query<SentQuery>,
) -> Result<Response, AppError> {
    let docs = documents::list(app.store.as_ref(), &numero).await?;
    let markup = page(
        &app.settings,
        &family,
        &csrf,
        &docs,
        &SendForm::default(),
        &FieldErrors::new(),
        q.envoye.is_some(),
    );
    Ok((csrf, markup).into_response())
}

pub async fn send(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let form: SendForm = upload.form()?;
    let s = app.settings.as_ref();
    let mut errors = FieldErrors::new();
    let (piece, libelle) = match form.piece.as_str() {
        "" => {
            errors.insert("piece", "Choisissez le type de document.".into());
            (None, String::new())
        }
        OTHER => (
            None,
            validation::check(
                &mut errors,
                "description",
                validation::text(&form.description),
            ),
        ),
        id => match s.piece(id) {
            Some(p) => (Some(p.id.as_str()), p.nom.clone()),
            None => {
                errors.insert(
                    "piece",
                    "Type de document inconnu : choisissez dans la liste.".into(),
                );
                (None, String::new())
            }
        },
    };
    let bytes = upload.take_file("fichier");
    if bytes.is_none() {
        errors.insert("fichier", "Choisissez le fichier à envoyer.".into());
    }
    let kept = match bytes {
        Some(bytes) if errors.is_empty() => {
            let what = NewDocument {
                libelle: &libelle,
                piece,
                source: Source::Famille,
            };
            match documents::keep_file(&app, bytes, what, app.clock.now()).await {
                Ok(doc) => Some(doc),
                Err(StoreFileError::Refused(e)) => {
                    errors.insert("fichier", e.to_string());
                    None
                }
                Err(StoreFileError::Files(e)) => return Err(AppError::Unavailable(e.to_string())),
            }
        }
        _ => None,
    };
    match kept {
        Some(doc) if errors.is_empty() => {
            documents::add(&app, &numero, &doc, None).await?;
            Ok(Redirect::to("/dossier/documents?envoye=1").into_response())
        }
        _ => {
            let docs = documents::list(app.store.as_ref(), &numero).await?;
            let markup = page(&app.settings, &family, &csrf, &docs, &form, &errors, false);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
        }
    }
}

pub async fn download(
    State(app): State<App>,
    Linked { access, .. }: Linked,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    // Granted from the signed-in family's dossier only: another family's
    // id is simply not found.
    let doc = access
        .document(app.store.as_ref(), &record_id(&id)?)
        .await??;
    attachment(&app, &doc).await
}
