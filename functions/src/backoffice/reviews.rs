//! The review of sign-ups without dossier: the queue (oldest first, over
//! 72 h highlighted), a dossier search, link or refuse with a reason; every
//! decision joins the audit trail.

use super::agent_bar;
use crate::account::login::account_error;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::service::{self, ReviewDecision, ReviewError};
use shared::accounts::validation::{self, FieldErrors};
use shared::accounts::{REVIEW_DELAY, Status};
use shared::layout::dates::moment as paris;
use shared::layout::forms::{Field, error_summary, textarea};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};

/// Account ids are record ids: anything else is a 404 before any look-up.
fn account_id(raw: &str) -> Result<String, AppError> {
    shared::web::record_id(raw).map(|id| id.to_string())
}

pub async fn queue(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
) -> Result<impl IntoResponse, AppError> {
    let pending = service::review_queue(&app).await?;
    let late = REVIEW_DELAY.num_hours();
    let page = layout::render(Page {
        title: "Comptes à rattacher",
        path: "/agents/comptes",
        main: html! {
            (agent_bar(&agent, &csrf))
            @if pending.is_empty() {
                p { "Aucune demande en attente." }
            } @else {
                p { (pending.len()) " demande(s) en attente, la plus ancienne en premier. Le délai promis aux familles est de " (late) " heures." }
                table.data {
                    caption.visually-hidden { "Demandes de compte sans dossier" }
                    thead { tr { th scope="col" { "Demandeur" } th scope="col" { "Adresse e-mail" } th scope="col" { "Demandé le" } th scope="col" { "Attente" } } }
                    tbody {
                        @for p in &pending {
                            tr class=[(p.waiting_hours >= late).then_some("late")] {
                                td { a href={ "/agents/comptes/" (p.account.id) } { (p.account.display_name()) } }
                                td { (p.account.courriel) }
                                td { (paris(p.account.cree_le)) }
                                td {
                                    (p.waiting_hours) " h"
                                    @if p.waiting_hours >= late { " — " strong { "délai dépassé" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    });
    Ok((csrf, page))
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    recherche: Option<String>,
}

/// What the agent typed or was told, shown again on the page.
#[derive(Default)]
struct Shown<'a> {
    search: &'a str,
    errors: FieldErrors,
    reason: &'a str,
    /// Decided meanwhile by someone else.
    already_decided: bool,
}

/// What a request's page shows from the store: the account, the dossiers
/// its search finds, its audit trail.
struct Read {
    account: shared::accounts::Account,
    search: String,
    results: Vec<shared::domain::dossier::Dossier>,
    trail: Vec<shared::audit::Entry>,
}

/// References that matched a dossier which already had an account: the
/// search starts from it, and the agent confirms with the family.
fn requested_dossier(account: &shared::accounts::Account) -> Option<&str> {
    account
        .dossier_demande
        .as_deref()
        .filter(|_| account.statut == Status::Review)
}

/// Reads what the page shows, then renders it.
async fn detail_page(
    app: &App,
    agent: &Agent,
    csrf: &Csrf,
    id: &str,
    shown: &Shown<'_>,
) -> Result<Markup, AppError> {
    let read = read(app, id, shown.search).await?;
    Ok(detail_view(agent, csrf, &read, shown))
}

async fn read(app: &App, id: &str, search: &str) -> Result<Read, AppError> {
    let account = service::account(app.store.as_ref(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if account.kind != shared::accounts::Kind::Family {
        return Err(AppError::NotFound);
    }
    let search = match requested_dossier(&account) {
        Some(numero) if search.trim().is_empty() => numero,
        _ => search,
    };
    let results = if search.trim().is_empty() {
        vec![]
    } else {
        shared::dossiers::search(app.store.as_ref(), search).await?
    };
    let trail = shared::audit::trail(app.store.as_ref(), &format!("COMPTE#{}", account.id)).await?;
    Ok(Read {
        search: search.to_owned(),
        account,
        results,
        trail,
    })
}

/// A request's page: a pure view of what was read and what the agent typed.
fn detail_view(agent: &Agent, csrf: &Csrf, read: &Read, shown: &Shown<'_>) -> Markup {
    let Read {
        account,
        search,
        results,
        trail,
    } = read;
    let (search, errors, reason) = (search.as_str(), &shown.errors, shown.reason);
    let requested = requested_dossier(account);
    layout::render(Page {
        title: &format!("Demande de {}", account.display_name()),
        path: "/agents/comptes",
        main: html! {
            (agent_bar(agent, csrf))
            (error_summary(errors, &[("dossier", "Dossier"), ("motif", "Motif du refus")]))
            p { a href="/agents/comptes" { "← Retour à la liste" } }
            @if shown.already_decided {
                (notice(NoticeKind::Error, "Cette demande vient d'être traitée par ailleurs : votre décision n'a pas été enregistrée. Voici son état actuel."))
            }
            dl.facts {
                dt { "Nom" } dd { (account.display_name()) }
                dt { "Adresse e-mail" } dd { (account.courriel) }
                dt { "Nom d'utilisateur" } dd { (account.identifiant) }
                dt { "Demandé le" } dd { (paris(account.cree_le)) }
                dt { "État" } dd { (match account.statut { Status::Review => "à rattacher", Status::Active => "rattaché", Status::Refused => "refusé", Status::Pending => "non activé" }) }
            }
            @if let Some(numero) = requested {
                (notice(NoticeKind::Info, &format!("Les références saisies correspondent au dossier n° {numero}, qui a déjà un compte rattaché : vérifiez auprès de la famille avant de rattacher ce second compte.")))
            }
            @if account.statut == Status::Review {
                h2 { "Trouver le dossier" }
                form method="get" action={ "/agents/comptes/" (account.id) } {
                    (Field::text("recherche", "Numéro de dossier ou nom du responsable", search).hint("Exemple : D2026-0142 ou Lefèvre").optional().render(&FieldErrors::new()))
                    button type="submit" { "Rechercher" }
                }
                @if !search.trim().is_empty() {
                    @if results.is_empty() {
                        p { "Aucun dossier ne correspond à « " (search) " »." }
                    } @else {
                        table.data {
                            thead { tr { th scope="col" { "Dossier" } th scope="col" { "Responsables" } th scope="col" { "Adresse" } th scope="col" { "Action" } } }
                            tbody {
                                @for d in results {
                                    tr {
                                        td { (d.numero) }
                                        td { @for (i, r) in d.responsables.iter().enumerate() { @if i > 0 { ", " } (r.prenom) " " (r.nom) } }
                                        td { (d.adresse) }
                                        td {
                                            form method="post" action={ "/agents/comptes/" (account.id) "/rattacher" } {
                                                (csrf.field())
                                                input type="hidden" name="dossier" value=(d.numero);
                                                button type="submit" { "Rattacher au dossier " (d.numero) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Refuser la demande" }
                form.stack method="post" action={ "/agents/comptes/" (account.id) "/refuser" } novalidate {
                    (csrf.field())
                    (textarea("motif", "Motif du refus (envoyé à la famille)", reason, errors))
                    button type="submit" { "Refuser" }
                }
            }
            h2 { "Historique" }
            @if trail.is_empty() {
                p { "Aucune décision pour l'instant." }
            } @else {
                ul {
                    @for e in trail {
                        li { (paris(e.le)) " — " (e.agent_nom) " : " (e.action) " (" (e.detail) ")" }
                    }
                }
            }
        },
    })
}

pub async fn detail(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let id = account_id(&raw)?;
    let search: String = q.recherche.unwrap_or_default().chars().take(200).collect();
    let shown = Shown {
        search: &search,
        ..Shown::default()
    };
    let page = detail_page(&app, &agent, &csrf, &id, &shown).await?;
    Ok((csrf, page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    dossier: String,
}

pub async fn link(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<LinkForm>,
) -> Result<Response, AppError> {
    let id = account_id(&raw)?;
    let decision = ReviewDecision::Link {
        dossier: f.dossier.clone(),
    };
    decide(&app, &agent, csrf, &id, decision, &f.dossier).await
}

#[derive(Debug, Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    motif: String,
}

pub async fn refuse(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<RefuseForm>,
) -> Result<Response, AppError> {
    let id = account_id(&raw)?;
    let reason = match validation::text(&f.motif) {
        Ok(r) => r,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("motif", e);
            let typed: String = f
                .motif
                .chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .take(200)
                .collect();
            let shown = Shown {
                errors,
                reason: &typed,
                ..Shown::default()
            };
            let page = detail_page(&app, &agent, &csrf, &id, &shown).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
        }
    };
    decide(
        &app,
        &agent,
        csrf,
        &id,
        ReviewDecision::Refuse { reason },
        "",
    )
    .await
}

async fn decide(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    id: &str,
    decision: ReviewDecision,
    search: &str,
) -> Result<Response, AppError> {
    match service::decide_review(app, &agent.account, id, decision).await {
        Ok(_) => Ok(Redirect::to(&format!("/agents/comptes/{id}")).into_response()),
        Err(ReviewError::UnknownDossier) => {
            let mut errors = FieldErrors::new();
            errors.insert("dossier", "Ce dossier n'existe pas.".into());
            let shown = Shown {
                search,
                errors,
                ..Shown::default()
            };
            let page = detail_page(app, agent, &csrf, id, &shown).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response())
        }
        // Decided meanwhile by another agent: 409, with the decision taken.
        Err(ReviewError::NotPending) => {
            let shown = Shown {
                already_decided: true,
                ..Shown::default()
            };
            let page = detail_page(app, agent, &csrf, id, &shown).await?;
            Ok((StatusCode::CONFLICT, csrf, page).into_response())
        }
        Err(ReviewError::Account(e)) => Err(account_error(e)),
    }
}
