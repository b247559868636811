//! Messagerie, the town's side (`/agents/messagerie`, in the back-office
//! function): the shared inbox of the agent's service — new, in progress
//! (and by whom), answered, closed; filters by theme and status; the oldest
//! waiting first with its age, flagged past the service's target; search
//! by dossier, name or subject — a thread with its internal notes, and the
//! decisions on it (take, reply with attachments, note, forward, close),
//! a thread started with a family, the service's saved replies. Reading
//! takes the agent's access (its service's threads and those forwarded to
//! or by it); deciding takes the thread's service's `Decider`.

use super::agent_bar;
use crate::messagerie::{
    files_field, message_files, message_view, send_reply, text_area, unavailable,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::{Decider, Granted};
use shared::accounts::validation::FieldErrors;
use shared::ids::{DossierNumber, in_path};
use shared::layout::forms::{Field, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::messages::rules::{self, WriteForm};
use shared::messages::threads::{self, Replier, SavedReply};
use shared::messages::{Author, Conversation, Status, Thread};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use shared::web::error::record_id;
use shared::web::upload::CsrfMultipart;

const INBOX: &str = "/agents/messagerie";

fn service_of(agent: &Agent) -> Result<&'static str, AppError> {
    Ok(agent.access.service().ok_or(AppError::Forbidden)?.id())
}

fn decider(agent: &Agent) -> Result<Decider, AppError> {
    Ok(agent.access.decider(service_of(agent)?)?)
}

fn thread_path(t: &Thread) -> String {
    format!("{INBOX}/{}/{}", in_path(&t.dossier), t.id)
}

fn service_name<'a>(s: &'a Settings, id: &'a str) -> &'a str {
    s.service(id).map_or(id, |x| x.nom.as_str())
}

fn status_text(t: &Thread) -> String {
    match (&t.pris_par, t.statut) {
        (Some(who), Status::EnCours) => format!("en cours ({who})"),
        (_, s) => s.label().to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    statut: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    q: String,
}

/// The inbox of a service: the threads shown, oldest waiting first.
pub fn inbox_page(
    app: &App,
    bar: Markup,
    service: &str,
    q: &InboxQuery,
    shown: &[Thread],
    open: &[Thread],
) -> Markup {
    let s = app.settings.as_ref();
    let now = app.clock.now();
    let today = app.clock.today();
    let target = s.service(service).map_or(2, |x| x.delai_reponse_jours);
    let late = |t: &Thread| {
        t.attente_depuis.is_some_and(|since| {
            rules::overdue(
                &s.calendrier,
                shared::planning::rules::paris_date(since),
                today,
                target,
            )
        })
    };
    let oldest = open.iter().filter_map(|t| t.attente_depuis).min();
    let overdue = open.iter().filter(|t| late(t)).count();
    layout::render(Page {
        title: "Messagerie",
        path: INBOX,
        main: html! {
            (bar)
            p {
                a href="/agents" { "← Espace agents" }
                " · " a href={ (INBOX) "/nouveau" } { "Écrire à une famille" }
                " · " a href={ (INBOX) "/reponses" } { "Réponses enregistrées" }
            }
            h2 { "Boîte du service « " (service_name(s, service)) " »" }
            @match oldest {
                Some(since) => p {
                    "Plus ancien message sans réponse : " strong { (rules::age_label(since, now)) }
                    " (objectif : " (target) " jours ouvrés)"
                    @if overdue > 0 { " — " strong.late { (overdue) " en retard" } }
                    "."
                },
                None => p { "Aucun message en attente de réponse." },
            }
            form.filters method="get" action=(INBOX) {
                div.field {
                    label for="statut" { "État" }
                    select #statut name="statut" {
                        option value="" selected[q.statut.is_empty()] { "Ouverts (nouveaux, en cours, répondus)" }
                        @for st in Status::ALL {
                            option value=(st.id()) selected[q.statut == st.id()] { (st.label()) }
                        }
                    }
                }
                div.field {
                    label for="theme" { "Thème" }
                    select #theme name="theme" {
                        option value="" { "Tous" }
                        @for t in rules::themes_of(s, service) {
                            option value=(t) selected[q.theme == t] { (t) }
                        }
                    }
                }
                (Field::text("q", "Dossier, nom ou objet", &q.q).optional().render(&FieldErrors::new()))
                button type="submit" { "Filtrer" }
            }
            @if shown.is_empty() {
                p { "Aucun fil." }
            } @else {
                (crate::factures::scrolling("Fils de discussion", html! {
                    table.data {
                        caption { "Fils de discussion (" (shown.len()) ")" }
                        thead { tr {
                            th scope="col" { "Objet" } th scope="col" { "Famille" } th scope="col" { "Thème" }
                            th scope="col" { "État" } th scope="col" { "Attente" }
                        } }
                        tbody {
                            @for t in shown {
                                tr {
                                    td { a href=(thread_path(t)) { (t.sujet) } }
                                    td { (t.famille) br; small { (t.dossier) } }
                                    td { (t.theme) }
                                    td { (status_text(t)) }
                                    td {
                                        @if let Some(since) = t.attente_depuis {
                                            (rules::age_label(since, now))
                                            @if late(t) { " " strong.late { "en retard" } }
                                        } @else { "—" }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        },
    })
}

pub async fn inbox(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let service = service_of(&agent)?;
    let store = app.store.as_ref();
    let open = threads::inbox(store, service, false, 0).await?;
    let mut shown: Vec<Thread> = if q.statut == Status::Clos.id() {
        threads::inbox(store, service, true, 200).await?
    } else {
        open.clone()
    };
    shown.retain(|t| {
        (q.statut.is_empty() || t.statut.id() == q.statut)
            && (q.theme.is_empty() || t.theme == q.theme)
            && threads::matches(t, &q.q)
    });
    shown.sort_by_key(|t| (t.attente_depuis.is_none(), t.attente_depuis, t.dernier_le));
    let markup = inbox_page(&app, agent_bar(&agent, &csrf), service, &q, &shown, &open);
    Ok((csrf, markup).into_response())
}

fn agent_author(s: &Settings, a: &Author) -> String {
    match a {
        Author::Famille { nom } => format!("{nom} (famille)"),
        Author::Agent { nom, service } => format!("{nom} — {}", service_name(s, service)),
    }
}

/// A thread for an agent: its messages and notes, what the agent may do.
#[allow(clippy::too_many_arguments)]
pub fn thread_page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    conv: &Conversation,
    mine: bool,
    saved: &[SavedReply],
    texte: &str,
    errors: &FieldErrors,
) -> Markup {
    let t = &conv.thread;
    let base = thread_path(t);
    let download = |piece: &str| format!("{base}/pieces/{piece}");
    layout::render(Page {
        title: &t.sujet,
        path: INBOX,
        main: html! {
            (bar)
            p { a href=(INBOX) { "← Messagerie" } " · " a href={ "/agents/dossiers/" (in_path(&t.dossier)) } { "Dossier " (t.dossier) } }
            dl.facts {
                dt { "Famille" } dd { (t.famille) " (" (t.dossier) ")" }
                dt { "Service" } dd { (service_name(s, &t.service)) }
                dt { "Thème" } dd { (t.theme) }
                dt { "État" } dd { (status_text(t)) }
                @if let Some(f) = &t.facture {
                    dt { "Facture" } dd { a href={ "/agents/dossiers/" (in_path(&t.dossier)) "/factures/" (f) } { (f) } }
                }
            }
            @for m in &conv.messages {
                (message_view(m, &agent_author(s, &m.auteur), &download))
            }
            @if !mine {
                (notice(NoticeKind::Info, "Ce fil a été transféré à un autre service : vous pouvez le lire, ce service y répond."))
            } @else {
                @if t.statut != Status::Clos {
                    form method="post" action={ (base) "/prendre" } {
                        (csrf.clone())
                        button.button-secondary type="submit" { "Prendre ce fil" }
                    }
                }
                h2 #repondre { "Répondre" }
                @if !saved.is_empty() {
                    p { "Réponses enregistrées : "
                        @for (i, r) in saved.iter().enumerate() {
                            @if i > 0 { " · " }
                            a href={ (base) "?modele=" (r.id) "#repondre" } { (r.titre) }
                        }
                    }
                }
                (error_summary(errors, &[("texte", "Message"), ("pieces", "Pièces jointes")]))
                form.stack method="post" action={ (base) "/repondre" } enctype="multipart/form-data" novalidate {
                    (csrf.clone())
                    (text_area("texte", "Message", texte, errors))
                    (files_field(errors))
                    div.check {
                        input #interne name="interne" type="checkbox" value="1";
                        label for="interne" { "Note interne (jamais vue par la famille)" }
                    }
                    button type="submit" { "Envoyer" }
                }
                h2 { "Transférer à un autre service" }
                form.stack method="post" action={ (base) "/transferer" } {
                    (csrf.clone())
                    div.field {
                        label for="vers" { "Service" }
                        select #vers name="vers" {
                            @for x in s.services.iter().filter(|x| x.id != t.service) {
                                option value=(x.id) { (x.nom) }
                            }
                        }
                    }
                    div.field {
                        label for="note" { "Note pour ce service" }
                        input #note name="note" type="text" maxlength="500";
                    }
                    button.button-secondary type="submit" { "Transférer" }
                }
                @if t.statut != Status::Clos {
                    form method="post" action={ (base) "/clore" } {
                        (csrf)
                        button.button-secondary type="submit" { "Clore ce fil" }
                    }
                }
            }
        },
    })
}

async fn agent_conversation(
    app: &App,
    agent: &Agent,
    numero: &str,
    id: &str,
) -> Result<Granted<Conversation>, AppError> {
    let numero = DossierNumber::parse(numero).map_err(|_| AppError::NotFound)?;
    Ok(agent
        .access
        .conversation(app.store.as_ref(), &numero, &record_id(id)?)
        .await??)
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreadQuery {
    modele: Option<String>,
}

async fn show_thread(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    conv: &Conversation,
    texte: &str,
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    let service = service_of(agent)?;
    let saved = threads::saved_replies(app.store.as_ref(), service).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let markup = thread_page(
        &app.settings,
        agent_bar(agent, &csrf),
        csrf.field(),
        conv,
        conv.thread.service == service,
        &saved,
        texte,
        errors,
    );
    Ok((status, csrf, markup).into_response())
}

pub async fn thread(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((numero, id)): Path<(String, String)>,
    Query(q): Query<ThreadQuery>,
) -> Result<Response, AppError> {
    let conv = agent_conversation(&app, &agent, &numero, &id).await?;
    let texte = match q.modele {
        Some(m) => threads::saved_replies(app.store.as_ref(), service_of(&agent)?)
            .await?
            .into_iter()
            .find(|r| r.id == m)
            .map(|r| r.texte)
            .unwrap_or_default(),
        None => String::new(),
    };
    show_thread(&app, &agent, csrf, &conv, &texte, &FieldErrors::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AgentReplyForm {
    #[serde(default)]
    texte: String,
    #[serde(default)]
    interne: String,
}

pub async fn reply(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((numero, id)): Path<(String, String)>,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let decider = decider(&agent)?;
    let conv = agent_conversation(&app, &agent, &numero, &id).await?;
    decider.covers(&conv.thread.service)?;
    let form: AgentReplyForm = upload.form_lossy();
    let by = Replier::Agent {
        decider: &decider,
        interne: form.interne == "1",
    };
    let Some(errors) = send_reply(&app, &conv, by, &form.texte, &mut upload).await? else {
        return Ok(Redirect::to(&thread_path(&conv.thread)).into_response());
    };
    show_thread(&app, &agent, csrf, &conv, &form.texte, &errors).await
}

/// What a button of a thread does.
enum Act {
    Take,
    Close,
}

async fn act(
    app: &App,
    agent: &Agent,
    (numero, id): (String, String),
    act: Act,
) -> Result<Response, AppError> {
    let decider = decider(agent)?;
    let conv = agent_conversation(app, agent, &numero, &id).await?;
    match act {
        Act::Take => threads::take(app, &decider, &conv).await,
        Act::Close => threads::close(app, &decider, &conv).await,
    }
    .map_err(unavailable)?;
    Ok(Redirect::to(&thread_path(&conv.thread)).into_response())
}

pub async fn take(
    State(app): State<App>,
    agent: Agent,
    Path(ids): Path<(String, String)>,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    act(&app, &agent, ids, Act::Take).await
}

pub async fn close(
    State(app): State<App>,
    agent: Agent,
    Path(ids): Path<(String, String)>,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    act(&app, &agent, ids, Act::Close).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ForwardForm {
    #[serde(default)]
    vers: String,
    #[serde(default)]
    note: String,
}

pub async fn forward(
    State(app): State<App>,
    agent: Agent,
    Path((numero, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ForwardForm>,
) -> Result<Response, AppError> {
    let decider = decider(&agent)?;
    let conv = agent_conversation(&app, &agent, &numero, &id).await?;
    let note = form.note.trim();
    let known = app.settings.service(&form.vers).is_some();
    if !known || form.vers == conv.thread.service || note.chars().count() > 500 {
        return Err(AppError::BadRequest);
    }
    threads::forward(&app, &decider, &conv, &form.vers, note)
        .await
        .map_err(unavailable)?;
    Ok(Redirect::to(INBOX).into_response())
}

pub async fn download(
    State(app): State<App>,
    agent: Agent,
    Path((numero, id, piece)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let conv = agent_conversation(&app, &agent, &numero, &id).await?;
    crate::messagerie::attachment(&app, &conv, &piece).await
}

/// Writing to a family: a dossier, a theme of the service, the message.
pub fn start_page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    service: &str,
    form: &WriteForm,
    errors: &FieldErrors,
) -> Markup {
    layout::render(Page {
        title: "Écrire à une famille",
        path: INBOX,
        main: html! {
            (bar)
            p { a href=(INBOX) { "← Messagerie" } }
            (error_summary(errors, &[("dossier", "Dossier"), ("theme", "Thème"), ("sujet", "Objet"), ("texte", "Message"), ("pieces", "Pièces jointes")]))
            form.stack method="post" action={ (INBOX) "/nouveau" } enctype="multipart/form-data" novalidate {
                (csrf)
                (required_note())
                (Field::text("dossier", "Numéro de dossier", &form.dossier).hint("Par exemple D2026-0142.").render(errors))
                div.field {
                    label for="theme" { "Thème" " " span.required aria-hidden="true" { "*" } }
                    select #theme name="theme" required aria-invalid=[errors.get("theme").map(|_| "true")] aria-describedby=[errors.get("theme").map(|_| "theme-erreur")] {
                        @for t in rules::themes_of(s, service) {
                            option value=(t) selected[form.theme == t] { (t) }
                        }
                    }
                    @if let Some(e) = errors.get("theme") { span.error #theme-erreur { "Erreur : " (e) } }
                }
                (Field::text("sujet", "Objet", &form.sujet).render(errors))
                (text_area("texte", "Message", &form.texte, errors))
                (files_field(errors))
                button type="submit" { "Envoyer à la famille" }
            }
        },
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    dossier: Option<String>,
}

pub async fn start_form(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let service = service_of(&agent)?;
    let form = WriteForm {
        dossier: q.dossier.unwrap_or_default(),
        ..Default::default()
    };
    let markup = start_page(
        &app.settings,
        agent_bar(&agent, &csrf),
        csrf.field(),
        service,
        &form,
        &FieldErrors::new(),
    );
    Ok((csrf, markup).into_response())
}

pub async fn start(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let decider = decider(&agent)?;
    let service = decider.service().id();
    let mut form: WriteForm = upload.form_lossy();
    form.service = service.to_owned();
    form.facture.clear();
    let mut errors = rules::check_new(&app.settings, &form)
        .err()
        .unwrap_or_default();
    errors.remove("service");
    let dossier = DossierNumber::parse(form.dossier.trim()).ok();
    let exists = match &dossier {
        Some(d) => shared::dossiers::get(app.store.as_ref(), d.as_str())
            .await?
            .is_some(),
        None => false,
    };
    if !exists {
        errors.insert("dossier", "Aucun dossier sous ce numéro.".into());
    }
    let files = message_files(&mut upload, &mut errors);
    if let (Some(d), true, Ok(new)) = (
        dossier,
        errors.is_empty(),
        rules::check_new(&app.settings, &form),
    ) {
        let pieces = threads::keep_attachments(&app, files)
            .await
            .map_err(unavailable)?;
        match threads::start_by_agent(
            &app,
            &decider,
            d.as_str(),
            &new.theme,
            &new.sujet,
            &new.texte,
            pieces.clone(),
        )
        .await
        {
            Ok(t) => return Ok(Redirect::to(&thread_path(&t)).into_response()),
            Err(e) => {
                threads::discard(&app, &pieces).await;
                return Err(unavailable(e));
            }
        }
    }
    let markup = start_page(
        &app.settings,
        agent_bar(&agent, &csrf),
        csrf.field(),
        service,
        &form,
        &errors,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedForm {
    #[serde(default)]
    titre: String,
    #[serde(default)]
    texte: String,
}

/// The service's saved replies, and the form that adds one.
pub fn saved_page(
    bar: Markup,
    csrf: Markup,
    saved: &[SavedReply],
    form: &SavedForm,
    errors: &FieldErrors,
) -> Markup {
    layout::render(Page {
        title: "Réponses enregistrées",
        path: INBOX,
        main: html! {
            (bar)
            p { a href=(INBOX) { "← Messagerie" } }
            @if saved.is_empty() { p { "Aucune réponse enregistrée." } }
            @for r in saved {
                section.card aria-label=(r.titre) {
                    h2 { (r.titre) }
                    p.message-text { (r.texte) }
                    form method="post" action={ (INBOX) "/reponses/" (r.id) "/supprimer" } {
                        (csrf.clone())
                        button.button-secondary type="submit" { "Supprimer" span.visually-hidden { " « " (r.titre) " »" } }
                    }
                }
            }
            h2 { "Nouvelle réponse enregistrée" }
            (error_summary(errors, &[("titre", "Titre"), ("texte", "Message")]))
            form.stack method="post" action={ (INBOX) "/reponses" } novalidate {
                (csrf)
                (Field::text("titre", "Titre", &form.titre).render(errors))
                (text_area("texte", "Message", &form.texte, errors))
                button type="submit" { "Enregistrer" }
            }
        },
    })
}

pub async fn saved(State(app): State<App>, agent: Agent, csrf: Csrf) -> Result<Response, AppError> {
    let list = threads::saved_replies(app.store.as_ref(), service_of(&agent)?).await?;
    let markup = saved_page(
        agent_bar(&agent, &csrf),
        csrf.field(),
        &list,
        &SavedForm::default(),
        &FieldErrors::new(),
    );
    Ok((csrf, markup).into_response())
}

pub async fn add_saved(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<SavedForm>,
) -> Result<Response, AppError> {
    let decider = decider(&agent)?;
    let mut errors = FieldErrors::new();
    let titre = shared::accounts::validation::check(
        &mut errors,
        "titre",
        shared::accounts::validation::text(&form.titre),
    );
    let texte = rules::check_text(&form.texte).map_err(|e| errors.insert("texte", e));
    if let (Ok(texte), true) = (texte, errors.is_empty()) {
        threads::save_reply(&app, &decider, &titre, &texte).await?;
        return Ok(Redirect::to(&format!("{INBOX}/reponses")).into_response());
    }
    let list = threads::saved_replies(app.store.as_ref(), decider.service().id()).await?;
    let markup = saved_page(
        agent_bar(&agent, &csrf),
        csrf.field(),
        &list,
        &form,
        &errors,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
}

pub async fn delete_saved(
    State(app): State<App>,
    agent: Agent,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    let decider = decider(&agent)?;
    let id = record_id(&id)?;
    threads::delete_reply(&app, &decider, id.as_str()).await?;
    Ok(Redirect::to(&format!("{INBOX}/reponses")).into_response())
}

/// The dossier page's threads: those the agent's service may read, and
/// the way to write to the family.
pub fn dossier_list(agent: &Agent, numero: &str, all: &[Thread]) -> Markup {
    let service = agent.access.service().map(|s| s.id());
    let mine: Vec<&Thread> = all
        .iter()
        .filter(|t| service.is_some_and(|s| t.services.iter().any(|x| x == s)))
        .collect();
    html! {
        h2 { "Messages" }
        @if service.is_some() {
            p { a href={ (INBOX) "/nouveau?dossier=" (numero) } { "Écrire à la famille" } }
        }
        @if mine.is_empty() { p { "Aucun fil de votre service." } }
        ul {
            @for t in mine {
                li { a href=(thread_path(t)) { (t.sujet) } " — " (t.theme) " — " (status_text(t)) }
            }
        }
    }
}
