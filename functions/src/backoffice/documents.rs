//! Agents and a dossier's documents: the list on the dossier page, download,
//! publishing a file for the family, and finding a family's document invalid
//! (with a reason sent to the family) — by a service that checks that kind
//! of document.

use super::agent_bar;
use super::dossiers::{dossier_number, existing, numero};
use crate::dossier_documents::{download_link, file_field};
use crate::downloads::attachment;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::validation::{self, FieldErrors};
use shared::documents::{self, NewDocument, StoreFileError};
use shared::domain::document::{Document, Source};
use shared::dossiers::{Actor, UpdateError};
use shared::ids::in_path;
use shared::layout::forms::{Field, error_summary, textarea};
use shared::layout::{self, Page, size_fr};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm, safe_return};
use shared::web::record_id;
use shared::web::upload::CsrfMultipart;

pub fn href(numero: &str, doc: &Document) -> String {
    format!("/agents/dossiers/{}/documents/{}", in_path(numero), doc.id)
}

/// Whether this agent's service may find this document invalid.
pub fn may_refuse(s: &Settings, agent: &Agent, doc: &Document) -> bool {
    let Some(service) = agent.account.service else {
        return false;
    };
    match &doc.piece {
        Some(p) => s.services_checking(p).contains(&service.id()),
        None => true,
    }
}

/// The documents table of an agent's page.
pub fn table(
    s: &Settings,
    agent: &Agent,
    numero: &str,
    docs: &[&Document],
    caption: &str,
) -> Markup {
    html! {
        table.data {
            caption { (caption) }
            thead { tr {
                th scope="col" { "Document" } th scope="col" { "Déposé le" } th scope="col" { "Par" }
                th scope="col" { "État" } th scope="col" { "Actions" }
            } }
            tbody {
                @for d in docs {
                    tr {
                        td { (d.libelle) }
                        td { (d.depose_le.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y")) }
                        td { (match d.source { Source::Famille => "la famille", Source::Mairie => "la mairie" }) }
                        td { @match &d.invalide { Some(m) => { "refusé : " (m) } None => { "valide" } } }
                        td {
                            (download_link(&href(numero, d), d))
                            @if d.source == Source::Famille && d.invalide.is_none() && may_refuse(s, agent, d) {
                                " — " a href={ (href(numero, d)) "/invalider" } { "Refuser" span.visually-hidden { " " (d.libelle) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The dossier page's documents section: the list and the publish form.
pub fn section(
    s: &Settings,
    agent: &Agent,
    csrf: &Csrf,
    numero: &str,
    docs: &[Document],
    errors: &FieldErrors,
    libelle: &str,
) -> Markup {
    let all: Vec<&Document> = docs.iter().collect();
    html! {
        h2 #documents { "Documents" }
        @if docs.is_empty() { p { "Aucun document." } }
        @else { (table(s, agent, numero, &all, "Documents du dossier")) }
        h3 { "Publier un document pour la famille" }
        form.stack method="post" action={ "/agents/dossiers/" (in_path(numero)) "/documents" } enctype="multipart/form-data" novalidate {
            (csrf.field())
            (Field::text("libelle", "Intitulé (visible par la famille)", libelle).hint("Exemple : Attestation de paiement 2026").render(errors))
            (file_field("fichier", "Fichier", errors))
            button type="submit" { "Publier" }
        }
    }
}

pub async fn download(
    State(app): State<App>,
    agent: Agent,
    Path((raw, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let numero = dossier_number(&raw)?;
    let doc = agent
        .access
        .document(app.store.as_ref(), &numero, &record_id(&id)?)
        .await??;
    attachment(&app, &doc).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    libelle: String,
}

pub async fn publish(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let (numero, _, _) = existing(&app, &raw).await?;
    let form: PublishForm = upload.form()?;
    let mut errors = FieldErrors::new();
    let libelle = validation::check(&mut errors, "libelle", validation::text(&form.libelle));
    let bytes = upload.take_file("fichier");
    if bytes.is_none() {
        errors.insert("fichier", "Choisissez le fichier à publier.".into());
    }
    if let (Some(bytes), true) = (bytes, errors.is_empty()) {
        let what = NewDocument {
            libelle: &libelle,
            piece: None,
            source: Source::Mairie,
        };
        match documents::keep_file(&app, bytes, what, app.clock.now()).await {
            Ok(doc) => {
                let name = agent.account.display_name();
                let actor = Actor {
                    id: &agent.account.id,
                    name: &name,
                };
                documents::add(&app, &numero, &doc, Some(&actor)).await?;
                return Ok(Redirect::to(&format!(
                    "/agents/dossiers/{}?fait=document#documents",
                    in_path(&numero)
                ))
                .into_response());
            }
            Err(StoreFileError::Refused(e)) => {
                errors.insert("fichier", e.to_string());
            }
            Err(StoreFileError::Files(e)) => return Err(AppError::Unavailable(e.to_string())),
        }
    }
    let docs = documents::list(app.store.as_ref(), &numero).await?;
    let page = layout::render(Page {
        title: &format!("Publier un document — dossier {numero}"),
        path: "/agents/dossiers",
        main: html! {
            (agent_bar(&agent, &csrf))
            (error_summary(&errors, &[("libelle", "Intitulé"), ("fichier", "Fichier")]))
            p { a href={ "/agents/dossiers/" (in_path(&numero)) } { "← Dossier " (numero) } }
            (section(&app.settings, &agent, &csrf, &numero, &docs, &errors, &form.libelle))
        },
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    motif: String,
    #[serde(default)]
    retour: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BackQuery {
    retour: Option<String>,
}

fn refuse_page(
    agent: &Agent,
    csrf: &Csrf,
    numero: &str,
    doc: &Document,
    motif: &str,
    back: &str,
    errors: &FieldErrors,
) -> Markup {
    layout::render(Page {
        title: &format!("Refuser un document — dossier {numero}"),
        path: "/agents/dossiers",
        main: html! {
            (agent_bar(agent, csrf))
            (error_summary(errors, &[("motif", "Motif")]))
            p { a href=(back) { "← Retour" } }
            dl.facts {
                dt { "Dossier" } dd { (numero) }
                dt { "Document" } dd { (doc.libelle) " (" (doc.format.to_uppercase()) ", " (size_fr(doc.taille)) ") — " (download_link(&href(numero, doc), doc)) }
            }
            p { "La famille recevra un e-mail avec ce motif et devra envoyer un nouveau document." }
            form.stack method="post" action={ (href(numero, doc)) "/invalider" } novalidate {
                (csrf.field())
                input type="hidden" name="retour" value=(back);
                (textarea("motif", "Motif du refus (envoyé à la famille)", motif, errors))
                button type="submit" { "Refuser le document" }
            }
        },
    })
}

async fn refusable(
    app: &App,
    agent: &Agent,
    raw: &str,
    id: &str,
) -> Result<(String, Document), AppError> {
    let numero = numero(raw)?;
    let (doc, _) = documents::get(app.store.as_ref(), &numero, &record_id(id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_refuse(&app.settings, agent, &doc) {
        return Err(AppError::Forbidden);
    }
    Ok((numero, doc))
}

pub async fn refuse_form(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((raw, id)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<BackQuery>,
) -> Result<Response, AppError> {
    let (numero, doc) = refusable(&app, &agent, &raw, &id).await?;
    let back = safe_return(
        q.retour.as_deref(),
        &format!("/agents/dossiers/{}#documents", in_path(&numero)),
    );
    let page = refuse_page(&agent, &csrf, &numero, &doc, "", &back, &FieldErrors::new());
    Ok((csrf, page).into_response())
}

pub async fn refuse(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((raw, id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<RefuseForm>,
) -> Result<Response, AppError> {
    let (numero, doc) = refusable(&app, &agent, &raw, &id).await?;
    let back = safe_return(
        Some(&f.retour),
        &format!("/agents/dossiers/{}#documents", in_path(&numero)),
    );
    let mut errors = FieldErrors::new();
    let motif = validation::check(&mut errors, "motif", validation::text(&f.motif));
    if !errors.is_empty() {
        let page = refuse_page(&agent, &csrf, &numero, &doc, &f.motif, &back, &errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    }
    let name = agent.account.display_name();
    let actor = Actor {
        id: &agent.account.id,
        name: &name,
    };
    // The family answers in a thread of the agent's service.
    let service = agent.access.service().map_or("enfance", |s| s.id());
    let refused = documents::Refusal {
        motif: &motif,
        actor: &actor,
        service,
    };
    match documents::invalidate(&app, &numero, &record_id(&doc.id)?, &refused).await {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(UpdateError::Conflict) => {
            errors.insert("motif", "Ce document a déjà été refusé entre-temps.".into());
            let page = refuse_page(&agent, &csrf, &numero, &doc, &f.motif, &back, &errors);
            Ok((StatusCode::CONFLICT, csrf, page).into_response())
        }
        Err(UpdateError::Denied(d)) => Err(d.into()),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}
