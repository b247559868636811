//! The validation queue: the registrations waiting for the agent's service,
//! oldest first; a registration with the child, the days asked and the
//! documents (viewable, refusable); validate, or refuse with a reason. Only
//! the service named by the activity decides.

use super::agent_bar;
use super::documents::{self as agent_documents};
use super::dossiers::numero;
use crate::dossier::date_fr;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::{Decider, Denied};
use shared::accounts::validation::{self, FieldErrors};
use shared::documents;
use shared::domain::document::Document;
use shared::domain::inscription::{Inscription, Status};
use shared::dossiers::{self, UpdateError};
use shared::ids::in_path;
use shared::inscriptions::{self, Decision};
use shared::layout::dates::moment as paris;
use shared::layout::forms::{error_summary, textarea};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use shared::web::record_id;

pub fn href(i: &Inscription) -> String {
    format!("/agents/inscriptions/{}/{}", in_path(&i.numero), i.id)
}

/// The agent's right to decide this registration (its activity's service).
fn decider(app: &App, agent: &Agent, i: &Inscription) -> Result<Decider, Denied> {
    let service = app
        .settings
        .activity(&i.activite)
        .map_or("", |a| a.service.as_str());
    agent.access.decider(service)
}

/// A dossier's registrations, for the agents' dossier page.
pub fn dossier_list(list: &[Inscription]) -> Markup {
    html! {
        h2 { "Inscriptions" }
        @if list.is_empty() { p { "Aucune inscription." } }
        @else {
            ul {
                @for i in list {
                    li { a href=(href(i)) { (i.enfant_nom) " — " (i.activite_nom) } " : " (i.statut.label()) }
                }
            }
        }
    }
}

pub async fn queue(State(app): State<App>, agent: Agent, csrf: Csrf) -> Result<Response, AppError> {
    let waiting = match agent.account.service {
        Some(s) => inscriptions::queue(app.store.as_ref(), s.id()).await?,
        None => vec![],
    };
    let page = layout::render(Page {
        title: "Inscriptions à valider",
        path: "/agents/inscriptions",
        main: html! {
            (agent_bar(&agent, &csrf))
            @if waiting.is_empty() {
                p { "Aucune inscription en attente pour votre service." }
            } @else {
                p { (waiting.len()) " inscription(s) en attente, la plus ancienne en premier." }
                table.data {
                    caption.visually-hidden { "Inscriptions en attente" }
                    thead { tr {
                        th scope="col" { "Demandée le" } th scope="col" { "Enfant" } th scope="col" { "Activité" }
                        th scope="col" { "Dossier" } th scope="col" { "À partir du" }
                    } }
                    tbody {
                        @for i in &waiting {
                            tr {
                                td { (paris(i.demande_le)) }
                                td { a href=(href(i)) { (i.enfant_nom) } }
                                td { (i.activite_nom) }
                                td { (i.numero) }
                                td { (date_fr(i.debut)) }
                            }
                        }
                    }
                }
            }
        },
    });
    Ok((csrf, page).into_response())
}

struct View<'a> {
    motif: &'a str,
    errors: FieldErrors,
    message: Option<&'a str>,
}

/// What a registration's page shows beside the registration: its child (as
/// the dossier has it now), the dossier's documents, and whether the agent
/// decides it.
struct Shown {
    child: Option<shared::domain::dossier::Child>,
    docs: Vec<Document>,
    own: bool,
}

async fn read(app: &App, agent: &Agent, ins: &Inscription) -> Result<Shown, AppError> {
    let store = app.store.as_ref();
    let children = dossiers::children(store, &ins.numero).await?;
    Ok(Shown {
        child: children.into_iter().find(|c| c.id == ins.enfant),
        docs: documents::list(store, &ins.numero).await?,
        own: decider(app, agent, ins).is_ok(),
    })
}

/// Reads what the page shows, then renders it.
async fn page(
    app: &App,
    agent: &Agent,
    csrf: &Csrf,
    ins: &Inscription,
    version: u64,
    view: View<'_>,
) -> Result<Markup, AppError> {
    let shown = read(app, agent, ins).await?;
    Ok(render(
        &app.settings,
        agent,
        csrf,
        ins,
        version,
        &shown,
        view,
    ))
}

/// The registration's page: a pure view.
fn render(
    s: &Settings,
    agent: &Agent,
    csrf: &Csrf,
    ins: &Inscription,
    version: u64,
    shown: &Shown,
    view: View<'_>,
) -> Markup {
    let Shown { child, docs, own } = shown;
    let (child, own) = (child.as_ref(), *own);
    let sent: Vec<&Document> = docs
        .iter()
        .filter(|d| ins.documents.contains(&d.id))
        .collect();
    let others: Vec<&Document> = docs
        .iter()
        .filter(|d| !ins.documents.contains(&d.id) && d.piece.is_some())
        .collect();
    layout::render(Page {
        title: &format!("Inscription de {} — {}", ins.enfant_nom, ins.activite_nom),
        path: "/agents/inscriptions",
        main: html! {
            (agent_bar(agent, csrf))
            @if let Some(m) = view.message { (notice(NoticeKind::Success, m)) }
            (error_summary(&view.errors, &[("motif", "Motif du refus"), ("decision", "Décision")]))
            p { a href="/agents/inscriptions" { "← Inscriptions à valider" } }
            dl.facts {
                dt { "Dossier" } dd { a href={ "/agents/dossiers/" (in_path(&ins.numero)) } { (ins.numero) } }
                dt { "Enfant" } dd {
                    (ins.enfant_nom)
                    @if let Some(c) = child {
                        ", né(e) le " (date_fr(c.naissance))
                        @if !c.classe.is_empty() { " — " (c.classe) }
                        @if !c.ecole.is_empty() { " — " (c.ecole) }
                        @if c.pai { " — PAI" }
                    }
                }
                dt { "Activité" } dd { (ins.activite_nom) }
                dt { "À partir du" } dd { (date_fr(ins.debut)) }
                dt { "Jours" } dd { (ins.days_label()) }
                dt { "Demandée le" } dd { (paris(ins.demande_le)) }
                dt { "État" } dd {
                    strong { (ins.statut.label()) }
                    @if let Some(m) = &ins.motif { " : " (m) }
                    @if let (Some(by), Some(at)) = (&ins.decide_par, ins.decide_le) { " (par " (by) ", le " (paris(at)) ")" }
                }
            }
            h2 { "Pièces jointes à la demande" }
            @if sent.is_empty() { p { "Aucune : le dossier détenait déjà les pièces valides, ou l'activité n'en demande pas." } }
            @else { (agent_documents::table(s, agent, &ins.numero, &sent, "Pièces jointes à la demande")) }
            @if !others.is_empty() {
                h2 { "Autres pièces du dossier" }
                (agent_documents::table(s, agent, &ins.numero, &others, "Autres pièces du dossier"))
            }
            @if ins.statut == Status::EnAttente {
                @if own {
                    h2 { "Décision" }
                    form method="post" action={ (href(ins)) "/decision" } {
                        (csrf.field())
                        input type="hidden" name="version" value=(version);
                        input type="hidden" name="decision" value="valider";
                        button type="submit" { "Valider l'inscription" }
                    }
                    form.stack method="post" action={ (href(ins)) "/decision" } novalidate {
                        (csrf.field())
                        input type="hidden" name="version" value=(version);
                        input type="hidden" name="decision" value="refuser";
                        (textarea("motif", "Motif du refus (envoyé à la famille)", view.motif, &view.errors))
                        button type="submit" { "Refuser l'inscription" }
                    }
                } @else {
                    (notice(NoticeKind::Info, "Cette inscription relève d'un autre service : vous pouvez la consulter, pas la décider."))
                }
            }
        },
    })
}

async fn load(app: &App, raw: &str, id: &str) -> Result<(Inscription, u64), AppError> {
    let numero = numero(raw)?;
    inscriptions::get(app.store.as_ref(), &numero, &record_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

pub async fn detail(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((raw, id)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (ins, version) = load(&app, &raw, &id).await?;
    let message = q
        .fait
        .is_some()
        .then_some("Décision enregistrée ; la famille est prévenue par e-mail.");
    let view = View {
        motif: "",
        errors: FieldErrors::new(),
        message,
    };
    let markup = page(&app, &agent, &csrf, &ins, version, view).await?;
    Ok((csrf, markup).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
}

pub async fn decide(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((raw, id)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> Result<Response, AppError> {
    let (ins, current) = load(&app, &raw, &id).await?;
    let decider = decider(&app, &agent, &ins)?;
    let mut errors = FieldErrors::new();
    let decision = match f.decision.as_str() {
        "valider" => Some(Decision::Validate),
        "refuser" => {
            let motif = validation::check(&mut errors, "motif", validation::text(&f.motif));
            errors.is_empty().then_some(Decision::Refuse(motif))
        }
        _ => {
            errors.insert("decision", "Décision inconnue : validez ou refusez.".into());
            None
        }
    };
    let Some(decision) = decision else {
        let view = View {
            motif: &f.motif,
            errors,
            message: None,
        };
        let markup = page(&app, &agent, &csrf, &ins, current, view).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response());
    };
    let version = f.version.parse().unwrap_or(u64::MAX);
    match inscriptions::decide(
        &app,
        &decider,
        &ins.numero,
        &record_id(&ins.id)?,
        version,
        decision,
    )
    .await
    {
        Ok(done) => Ok(Redirect::to(&format!("{}?fait=1", href(&done))).into_response()),
        Err(UpdateError::Conflict) => {
            let (now, v) = load(&app, &raw, &id).await?;
            errors.insert("decision", "Cette inscription a changé entre-temps (décidée par un autre agent ?) : voici son état actuel.".into());
            let view = View {
                motif: &f.motif,
                errors,
                message: None,
            };
            let markup = page(&app, &agent, &csrf, &now, v, view).await?;
            Ok((StatusCode::CONFLICT, csrf, markup).into_response())
        }
        Err(UpdateError::Denied(d)) => Err(d.into()),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}
