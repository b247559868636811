//! Undelivered mail: the outbox's messages whose every attempt failed, with
//! the reason, and a button to send one again (as a new message; the audit
//! trail records who did it).

use super::agent_bar;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use shared::App;
use shared::layout::dates::moment as paris;
use shared::layout::{self, NoticeKind, Page, notice};
use shared::outbox::{self, Message};
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};

/// What the page shows.
pub struct View<'a> {
    pub bar: Markup,
    pub messages: &'a [Message],
    pub waiting: usize,
    pub csrf_field: Markup,
}

/// The page, from what it shows.
pub fn page(v: &View) -> Markup {
    layout::render(Page {
        title: "Courriels non distribués",
        path: "/agents/courriels",
        main: html! {
            (v.bar)
            p { (v.waiting) " message(s) en attente d'envoi ou de nouvel essai." }
            @if v.messages.is_empty() {
                (notice(NoticeKind::Success, "Aucun courriel non distribué."))
            } @else {
                p { "Ces messages n'ont pas pu être remis après " (outbox::MAX_ATTEMPTS) " essais. Vérifiez l'adresse dans le dossier, puis renvoyez-les." }
                ul.cards {
                    @for m in v.messages {
                        li {
                            h2 { (m.courriel.subject) }
                            dl.facts.wrap-anywhere {
                                dt { "Destinataire" } dd { (m.courriel.to) }
                                dt { "Créé le" } dd { (paris(m.cree_le)) }
                                dt { "Essais" } dd { (m.tentatives) }
                                dt { "Dernier échec" } dd { (m.derniere_erreur.as_deref().unwrap_or("raison inconnue")) }
                            }
                            form method="post" action={ "/agents/courriels/" (m.id) "/renvoyer" } {
                                (v.csrf_field)
                                button type="submit" { "Renvoyer" span.visually-hidden { " le message à " (m.courriel.to) } }
                            }
                        }
                    }
                }
            }
        },
    })
}

pub async fn list(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
) -> Result<impl IntoResponse, AppError> {
    let messages = outbox::undelivered(app.store.as_ref()).await?;
    let waiting = outbox::waiting(app.store.as_ref()).await?;
    let markup = page(&View {
        bar: agent_bar(&agent, &csrf),
        messages: &messages,
        waiting,
        csrf_field: csrf.field(),
    });
    Ok((csrf, markup))
}

pub async fn resend(
    State(app): State<App>,
    agent: Agent,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    let id = shared::web::record_id(&id)?;
    if !outbox::resend(&app, id.as_str(), &agent.account).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/agents/courriels").into_response())
}
