//! The `backoffice` route group: the town's agents. Login with its own
//! cookie (30 min idle), the first password from the operator's link, the
//! review of sign-ups without dossier, dossiers and their documents, and the
//! validation of registrations.

mod attendance;
mod billing;
mod debits;
mod documents;
mod dossiers;
mod inscriptions;
mod mail;
mod messages;
mod reviews;
mod site;

use crate::account::login::{self, LoginForm, LoginQuery, Side};
use crate::account::password::{self, ResetForm, ResetSide};
use crate::account::signup::LinkQuery;
use crate::routes::Routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use maud::html;
use shared::App;
use shared::accounts::Kind;
use shared::accounts::service::TokenUse;
use shared::layout::{self, Page, account_bar};
use shared::web::AppError;
use shared::web::auth::{AGENT_COOKIE, Agent, ClientAddress, Csrf, CsrfForm};
use shared::web::upload::UPLOAD_BODY_LIMIT;

/// The body limit of the web team's forms: larger than their files' own
/// limit (4 MB), so that a 20 MB photo reaches the handler and is refused
/// next to its field (the agent is signed in before the body is read). On
/// AWS, API Gateway's own limit (10 MB) answers first; the form's script
/// says it before sending.
const SITE_BODY_LIMIT: usize = 24 * 1024 * 1024;

pub const AGENT_SIDE: Side = Side {
    kind: Kind::Agent,
    title: "Connexion des agents",
    action: "/agents/connexion",
    cookie: AGENT_COOKIE,
    home: "/agents",
    logged_out: "/agents/connexion?message=deconnecte",
    identifier_label: "Adresse e-mail professionnelle",
};

const AGENT_PASSWORD: ResetSide = ResetSide {
    usage: TokenUse::AgentInvite,
    action: "/agents/mot-de-passe",
    title: "Choisir mon mot de passe d'agent",
    done: "/agents/connexion?message=mot-de-passe-change",
    new_link: ("/agents/connexion", "Connexion des agents"),
};

/// The group's routes and their table.
pub fn routes() -> Routes {
    Routes::new()
        .route("/agents", get(home))
        .route("/agents/connexion", get(login_show).post(login_submit))
        .route("/agents/deconnexion", post(logout))
        .route(
            "/agents/mot-de-passe",
            get(set_password).post(set_password_submit),
        )
        .route("/agents/dossiers", get(dossiers::search))
        .route(
            "/agents/dossiers/{numero}",
            get(dossiers::view).post(dossiers::edit),
        )
        .route(
            "/agents/dossiers/{numero}/enfants",
            post(dossiers::add_child),
        )
        .route(
            "/agents/dossiers/{numero}/documents",
            post(documents::publish).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/agents/dossiers/{numero}/documents/{id}",
            get(documents::download),
        )
        .route(
            "/agents/dossiers/{numero}/documents/{id}/invalider",
            get(documents::refuse_form).post(documents::refuse),
        )
        .route("/agents/inscriptions", get(inscriptions::queue))
        .route(
            "/agents/inscriptions/{numero}/{id}",
            get(inscriptions::detail),
        )
        .route(
            "/agents/inscriptions/{numero}/{id}/decision",
            post(inscriptions::decide),
        )
        .route(
            "/agents/pointage",
            get(attendance::list).post(attendance::save),
        )
        .route(
            "/agents/pointage/sans-reservation",
            post(attendance::walk_in),
        )
        .route("/agents/effectifs", get(attendance::counts_page))
        .route("/agents/effectifs.csv", get(attendance::counts_csv))
        .route("/agents/comptes", get(reviews::queue))
        .route("/agents/comptes/{id}", get(reviews::detail))
        .route("/agents/comptes/{id}/rattacher", post(reviews::link))
        .route("/agents/comptes/{id}/refuser", post(reviews::refuse))
        .route(
            "/agents/facturation",
            get(billing::list).post(billing::open),
        )
        .route("/agents/facturation/impayes", get(billing::unpaid))
        .route("/agents/facturation/impayes.csv", get(billing::unpaid_csv))
        .route(
            "/agents/facturation/impayes/transmettre",
            post(billing::transmit),
        )
        .route("/agents/facturation/mandats", get(debits::mandates))
        .route(
            "/agents/facturation/mandats/{numero}/{rum}",
            post(debits::decide),
        )
        .route(
            "/agents/facturation/prelevements",
            get(debits::remises).post(debits::record),
        )
        .route(
            "/agents/facturation/prelevements/{remise}",
            get(debits::download),
        )
        .route("/agents/facturation/{id}", get(billing::view))
        .route("/agents/facturation/{id}/relancer", post(billing::rerun))
        .route("/agents/facturation/{id}/publier", post(billing::publish))
        .route(
            "/agents/facturation/{id}/abandonner",
            post(billing::abandon),
        )
        .route_with_ids(
            "/agents/facturation/{id}/ignorer",
            &["dossier"],
            post(billing::ignore),
        )
        .route(
            "/agents/dossiers/{numero}/factures/{facture}",
            get(billing::invoice),
        )
        .route(
            "/agents/dossiers/{numero}/factures/{facture}/pdf",
            get(billing::invoice_pdf),
        )
        .route(
            "/agents/dossiers/{numero}/factures/{facture}/paiement",
            post(billing::pay),
        )
        .route(
            "/agents/dossiers/{numero}/factures/{facture}/rejet",
            post(debits::reject),
        )
        .route("/agents/messagerie", get(messages::inbox))
        .route(
            "/agents/messagerie/nouveau",
            get(messages::start_form)
                .post(messages::start)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/agents/messagerie/reponses",
            get(messages::saved).post(messages::add_saved),
        )
        .route(
            "/agents/messagerie/reponses/{id}/supprimer",
            post(messages::delete_saved),
        )
        .route("/agents/messagerie/{numero}/{fil}", get(messages::thread))
        .route(
            "/agents/messagerie/{numero}/{fil}/repondre",
            post(messages::reply).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/agents/messagerie/{numero}/{fil}/prendre",
            post(messages::take),
        )
        .route(
            "/agents/messagerie/{numero}/{fil}/transferer",
            post(messages::forward),
        )
        .route(
            "/agents/messagerie/{numero}/{fil}/clore",
            post(messages::close),
        )
        .route(
            "/agents/messagerie/{numero}/{fil}/pieces/{piece}",
            get(messages::download),
        )
        .route("/agents/site/actualites", get(site::news_list))
        .route(
            "/agents/site/actualites/nouvelle",
            get(site::news_new)
                .post(site::news_create)
                .layer(DefaultBodyLimit::max(SITE_BODY_LIMIT)),
        )
        .route("/agents/site/actualites/apercu", post(site::news_preview))
        .route(
            "/agents/site/actualites/{slug}",
            get(site::news_edit)
                .post(site::news_update)
                .layer(DefaultBodyLimit::max(SITE_BODY_LIMIT)),
        )
        .route(
            "/agents/site/actualites/{slug}/depublier",
            post(site::news_unpublish),
        )
        .route("/agents/site/images/{image}", get(site::image))
        .route(
            "/agents/site/documents",
            get(site::documents)
                .post(site::document_add)
                .layer(DefaultBodyLimit::max(SITE_BODY_LIMIT)),
        )
        .route(
            "/agents/site/documents/{fichier}/remplacer",
            post(site::document_replace).layer(DefaultBodyLimit::max(SITE_BODY_LIMIT)),
        )
        .route(
            "/agents/site/documents/{fichier}/supprimer",
            post(site::document_remove),
        )
        .route("/agents/site/journal", get(site::journal))
        .route("/agents/courriels", get(mail::list))
        .route("/agents/courriels/{id}/renvoyer", post(mail::resend))
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

async fn login_show(app: State<App>, csrf: Csrf, q: Query<LoginQuery>) -> impl IntoResponse {
    login::show_for(&AGENT_SIDE, app, csrf, q)
}

async fn login_submit(
    app: State<App>,
    address: ClientAddress,
    jar: CookieJar,
    csrf: Csrf,
    form: CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    login::submit_for(&AGENT_SIDE, app, address, jar, csrf, form).await
}

async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    agent: Agent,
    CsrfForm(_): CsrfForm<login::Empty>,
) -> Result<impl IntoResponse, AppError> {
    login::end_session(&app, &AGENT_SIDE, jar, &agent.session).await
}

async fn set_password(
    app: State<App>,
    csrf: Csrf,
    q: Query<LinkQuery>,
) -> Result<Response, AppError> {
    password::reset_for(&AGENT_PASSWORD, app, csrf, q).await
}

async fn set_password_submit(
    app: State<App>,
    csrf: Csrf,
    form: CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    password::reset_submit_for(&AGENT_PASSWORD, app, csrf, form).await
}

/// The agents' bar: who is signed in, and the logout button.
pub fn agent_bar(agent: &Agent, csrf: &Csrf) -> maud::Markup {
    account_bar(
        &agent.account.display_name(),
        "/agents",
        "/agents/deconnexion",
        csrf.field(),
    )
}

async fn home(agent: Agent, csrf: Csrf) -> impl IntoResponse {
    let service = agent.account.service.map_or("", |s| s.label());
    let web_team = agent.account.service == Some(shared::accounts::Service::Communication);
    let page = layout::render(Page {
        title: "Espace agents",
        path: "/agents",
        main: html! {
            (agent_bar(&agent, &csrf))
            p { "Service : " (service) }
            @if web_team {
                ul.cards {
                    li {
                        h2 { a href=(site::NEWS) { "Actualités" } }
                        p { "Écrire, publier, programmer ou dépublier les actualités du site, avec leur image ; l'aperçu montre la page telle qu'elle sera." }
                    }
                    li {
                        h2 { a href=(site::DOCS) { "Documents" } }
                        p { "Publier, remplacer ou retirer les documents PDF du site (règlement, menus, formulaires)." }
                    }
                    li {
                        h2 { a href=(site::JOURNAL) { "Journal des publications" } }
                        p { "Qui a changé quoi, et quand ; si le site est à jour." }
                    }
                }
            } @else {
            ul.cards {
                li {
                    h2 { a href="/agents/dossiers" { "Dossiers" } }
                    p { "Rechercher, consulter et modifier un dossier famille ; ajouter un enfant." }
                }
                li {
                    h2 { a href="/agents/inscriptions" { "Inscriptions à valider" } }
                    p { "Demandes d'inscription des familles, la plus ancienne en premier : pièces, validation ou refus motivé." }
                }
                li {
                    h2 { a href="/agents/pointage" { "Pointage" } }
                    p { "Les enfants attendus par activité, école et jour : présent, absent, absence justifiée ; un enfant présent sans réservation." }
                }
                li {
                    h2 { a href="/agents/effectifs" { "Effectifs du jour" } }
                    p { "Repas (régimes, PAI) et enfants par unité pour chaque école ; à imprimer ou en CSV." }
                }
                li {
                    h2 { a href="/agents/comptes" { "Comptes à rattacher" } }
                    p { "Demandes de compte sans références de dossier, à rattacher ou à refuser." }
                }
                li {
                    h2 { a href="/agents/facturation" { "Facturation" } }
                    p { "Campagnes mensuelles et correctives, journal des erreurs, publication ; impayés pour le Trésor public ; paiements au guichet (régie)." }
                }
                li {
                    h2 { a href="/agents/messagerie" { "Messagerie" } }
                    p { "La boîte partagée du service : messages des familles, le plus ancien en attente en premier ; répondre, transférer, clore ; écrire à une famille." }
                }
                li {
                    h2 { a href="/agents/courriels" { "Courriels non distribués" } }
                    p { "Les messages aux familles qui n'ont pas pu être remis, avec la raison ; les renvoyer." }
                }
            }
            }
        },
    });
    (csrf, page)
}
