//! Messagerie, the family's side (`/messagerie`, the `messagerie`
//! function): its threads newest first, the unread ones marked; writing to
//! a service (service, theme, subject, message, up to three attachments,
//! an e-mail confirmation); a thread with every message in order (never
//! the town's internal notes), its attachments, the reply form. Threads are
//! reached through the family's `shared::access` proof only.

use crate::dossier::Linked;
use crate::routes::Routes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::Granted;
use shared::accounts::validation::FieldErrors;
use shared::layout::family_bar;
use shared::layout::forms::{self, Field, checkbox, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::messages::rules::{self, WriteForm};
use shared::messages::threads::{self, Replier};
use shared::messages::{Author, Conversation, Message, Status, Thread};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::Csrf;
use shared::web::error::record_id;
use shared::web::upload::{CsrfMultipart, UPLOAD_BODY_LIMIT, Upload};

pub fn router(app: App) -> axum::Router {
    routes().with_state(app)
}

pub fn routes() -> Routes {
    Routes::new()
        .route("/messagerie", get(list))
        .route(
            "/messagerie/nouveau",
            get(new_form)
                .post(send)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/messagerie/{fil}",
            get(show)
                .post(answer)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/messagerie/{fil}/pieces/{piece}", get(download))
}

fn bar(linked: &Linked, csrf: &Csrf) -> Markup {
    family_bar(&linked.family.account, csrf.field())
}

fn service_name<'a>(s: &'a Settings, id: &'a str) -> &'a str {
    s.service(id).map_or(id, |x| x.nom.as_str())
}

/// Where a thread stands, for the family.
fn family_status(t: &Thread) -> Markup {
    html! {
        @if t.non_lus > 0 {
            strong.badge { "Non lu (" (t.non_lus) ")" }
        } @else {
            @match t.statut {
                Status::Clos => "Clos",
                Status::Repondu => "Répondu",
                Status::Nouveau | Status::EnCours => "En attente de réponse",
            }
        }
    }
}

/// The list of threads.
pub fn list_page(s: &Settings, bar: Markup, list: &[Thread], sent: bool) -> Markup {
    let unread = threads::unread(list);
    layout::render(Page {
        title: "Messagerie",
        path: "/messagerie",
        main: html! {
            (bar)
            p { a href="/compte" { "← Mon espace famille" } }
            @if sent { (notice(NoticeKind::Success, "Message envoyé : le service vous répondra ici.")) }
            p { a.button href="/messagerie/nouveau" { "Écrire un message" } }
            @if unread > 0 { p { strong { (unread) " message(s) non lu(s)" } } }
            @if list.is_empty() {
                p { "Aucun message pour le moment." }
            } @else {
                ul.threads {
                    @for t in list {
                        li.unread[t.non_lus > 0] {
                            a href={ "/messagerie/" (t.id) } { (t.sujet) }
                            br;
                            small { (service_name(s, &t.service)) " · " (t.theme) " · " (layout::dates::moment(t.dernier_le)) }
                            " — " (family_status(t))
                        }
                    }
                }
            }
        },
    })
}

pub async fn list(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    Query(q): Query<SentQuery>,
) -> Result<Response, AppError> {
    let all = linked.access.threads(app.store.as_ref()).await?;
    let markup = list_page(&app.settings, bar(&linked, &csrf), &all, q.envoye.is_some());
    Ok((csrf, markup).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    envoye: Option<String>,
    facture: Option<String>,
}

const LABELS: &[(&str, &str)] = &[
    ("service", "Service"),
    ("theme", "Thème"),
    ("sujet", "Objet"),
    ("texte", "Message"),
    ("pieces", "Pièces jointes"),
];

/// The message's text area (5,000 characters).
pub fn text_area(name: &'static str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    let hint = format!("{} caractères au plus.", rules::MAX_TEXT);
    forms::text_area(name, label, value, Some(&hint), (8, None), errors)
}

/// Up to three files in one field.
pub fn files_field(errors: &FieldErrors) -> Markup {
    let error = errors.get("pieces");
    let described = match error {
        Some(_) => "pieces-aide pieces-erreur",
        None => "pieces-aide",
    };
    html! {
        div.field {
            label for="pieces" { "Pièces jointes (facultatif)" }
            span.hint #pieces-aide { (rules::MAX_ATTACHMENTS) " fichiers au plus, PDF, JPEG ou PNG, " (rules::max_attachment_mb()) " Mo chacun et 4 Mo en tout." }
            input #pieces name="pieces" type="file" multiple accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                aria-describedby=(described) aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error { span.error #pieces-erreur { "Erreur : " (e) } }
        }
    }
}

/// The writing form (kept as typed when refused).
pub fn write_page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    form: &WriteForm,
    errors: &FieldErrors,
) -> Markup {
    layout::render(Page {
        title: "Écrire un message",
        path: "/messagerie",
        main: html! {
            (bar)
            p { a href="/messagerie" { "← Messagerie" } }
            (error_summary(errors, LABELS))
            form.stack method="post" action="/messagerie/nouveau" enctype="multipart/form-data" novalidate {
                (csrf)
                (required_note())
                input type="hidden" name="facture" value=(form.facture);
                @if !form.facture.is_empty() { p { "À propos de la facture " strong { (form.facture) } "." } }
                div.field {
                    label for="service" { "Service" " " span.required aria-hidden="true" { "*" } }
                    select #service name="service" required aria-invalid=[errors.get("service").map(|_| "true")] aria-describedby=[errors.get("service").map(|_| "service-erreur")] {
                        option value="" { "Choisissez" }
                        @for x in &s.services {
                            option value=(x.id) selected[form.service == x.id] { (x.nom) }
                        }
                    }
                    @if let Some(e) = errors.get("service") { span.error #service-erreur { "Erreur : " (e) } }
                }
                div.field {
                    label for="theme" { "Thème" " " span.required aria-hidden="true" { "*" } }
                    select #theme name="theme" required aria-invalid=[errors.get("theme").map(|_| "true")] aria-describedby=[errors.get("theme").map(|_| "theme-erreur")] {
                        option value="" { "Choisissez" }
                        @for x in &s.services {
                            optgroup label=(x.nom) {
                                @for t in rules::themes_of(s, &x.id) {
                                    option value=(t) selected[form.theme == t && form.service == x.id] { (t) }
                                }
                            }
                        }
                    }
                    @if let Some(e) = errors.get("theme") { span.error #theme-erreur { "Erreur : " (e) } }
                }
                (Field::text("sujet", "Objet", &form.sujet).hint(&format!("{} caractères au plus.", rules::MAX_SUBJECT)).render(errors))
                (text_area("texte", "Message", &form.texte, errors))
                (files_field(errors))
                (checkbox("confirmation", html! { "Recevoir une confirmation par e-mail" }, form.confirmation == "1", &FieldErrors::new()))
                button type="submit" { "Envoyer le message" }
            }
        },
    })
}

pub async fn new_form(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    Query(q): Query<SentQuery>,
) -> Result<Response, AppError> {
    // From an invoice's page: the régie, about that invoice (the family's
    // own only).
    let mut form = WriteForm::default();
    if let Some(numero) = q.facture
        && let Ok(inv) = linked.access.invoice(app.store.as_ref(), &numero).await?
    {
        form.service = shared::billing::campaigns::REGIE.into();
        form.theme = "Réclamation sur une facture".into();
        form.sujet = format!("Facture {}", inv.numero);
        form.facture = inv.numero.clone();
    }
    let markup = write_page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &form,
        &FieldErrors::new(),
    );
    Ok((csrf, markup).into_response())
}

/// The files of a message form, and the errors of its text fields that
/// were not valid UTF-8.
pub fn message_files(upload: &mut Upload, errors: &mut FieldErrors) -> Vec<Vec<u8>> {
    for name in upload.invalid_text() {
        let field = match name.as_str() {
            "sujet" => "sujet",
            _ => "texte",
        };
        errors.insert(
            field,
            "Ce texte contient des caractères illisibles : retapez-le.".into(),
        );
    }
    let files = upload.take_files("pieces");
    if let Err(e) = rules::check_attachments(&files) {
        errors.insert("pieces", e);
    }
    files
}

pub async fn send(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let form: WriteForm = upload.form_lossy();
    let mut errors = match rules::check_new(&app.settings, &form) {
        Ok(_) => FieldErrors::new(),
        Err(e) => e,
    };
    let files = message_files(&mut upload, &mut errors);
    let store = app.store.as_ref();
    if let (Ok(new), true) = (rules::check_new(&app.settings, &form), errors.is_empty()) {
        // The invoice must be the family's own.
        let about = match &new.facture {
            Some(n) => linked.access.invoice(store, n).await?.is_ok(),
            None => true,
        };
        if about {
            let pieces = threads::keep_attachments(&app, files)
                .await
                .map_err(unavailable)?;
            match threads::start_by_family(&app, &linked.access, &new, pieces.clone()).await {
                Ok(_) => return Ok(Redirect::to("/messagerie?envoye=1").into_response()),
                Err(e) => {
                    threads::discard(&app, &pieces).await;
                    return Err(unavailable(e));
                }
            }
        }
        errors.insert("sujet", "Facture inconnue.".into());
    }
    let markup = write_page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &form,
        &errors,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
}

pub fn unavailable(e: threads::ThreadError) -> AppError {
    match e {
        threads::ThreadError::Denied(d) => d.into(),
        threads::ThreadError::Store(s) => s.into(),
        other => AppError::Unavailable(other.to_string()),
    }
}

/// Who wrote a message, as the family reads it.
fn family_author(s: &Settings, m: &Message) -> String {
    match &m.auteur {
        Author::Famille { nom } => format!("Vous ({nom})"),
        Author::Agent { service, .. } => service_name(s, service).to_owned(),
    }
}

/// One message of a thread; `download`: the address of an attachment.
pub fn message_view(m: &Message, author: &str, download: &dyn Fn(&str) -> String) -> Markup {
    html! {
        article.message.note[m.interne] aria-label={ "Message du " (layout::dates::moment(m.le)) } {
            p.message-meta {
                strong { (author) } " — " (layout::dates::moment(m.le))
                @if m.interne { " — " strong { "note interne, jamais vue par la famille" } }
            }
            p.message-text { (m.texte) }
            @if !m.pieces.is_empty() {
                ul {
                    @for (i, p) in m.pieces.iter().enumerate() {
                        li { a href=(download(&p.id)) download { (p.label(i + 1)) } }
                    }
                }
            }
        }
    }
}

/// A thread, for the family: every message in order, the reply form.
pub fn thread_page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    conv: &Conversation,
    texte: &str,
    errors: &FieldErrors,
) -> Markup {
    let t = &conv.thread;
    let download = |piece: &str| format!("/messagerie/{}/pieces/{piece}", t.id);
    layout::render(Page {
        title: &t.sujet,
        path: "/messagerie",
        main: html! {
            (bar)
            p { a href="/messagerie" { "← Messagerie" } }
            dl.facts {
                dt { "Service" } dd { (service_name(s, &t.service)) }
                dt { "Thème" } dd { (t.theme) }
                @if let Some(f) = &t.facture { dt { "Facture" } dd { a href={ "/factures/" (f) } { (f) } } }
                dt { "État" } dd { (family_status(t)) }
            }
            @for m in &conv.messages {
                (message_view(m, &family_author(s, m), &download))
            }
            h2 { "Répondre" }
            (error_summary(errors, LABELS))
            form.stack method="post" action={ "/messagerie/" (t.id) } enctype="multipart/form-data" novalidate {
                (csrf)
                (text_area("texte", "Message", texte, errors))
                (files_field(errors))
                button type="submit" { "Envoyer la réponse" }
            }
        },
    })
}

async fn family_conversation(
    app: &App,
    linked: &Linked,
    id: &str,
) -> Result<Granted<Conversation>, AppError> {
    Ok(linked
        .access
        .conversation(app.store.as_ref(), &record_id(id)?)
        .await??)
}

/// A thread; reading it marks the town's messages read.
pub async fn show(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let conv = family_conversation(&app, &linked, &id).await?;
    threads::mark_read(app.store.as_ref(), &conv).await?;
    let markup = thread_page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &conv,
        "",
        &FieldErrors::new(),
    );
    Ok((csrf, markup).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub texte: String,
}

/// The family replies in its thread.
pub async fn answer(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    Path(id): Path<String>,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let conv = family_conversation(&app, &linked, &id).await?;
    let form: ReplyForm = upload.form_lossy();
    let by = Replier::Family(&linked.access);
    let Some(errors) = send_reply(&app, &conv, by, &form.texte, &mut upload).await? else {
        return Ok(Redirect::to(&format!("/messagerie/{}", conv.thread.id)).into_response());
    };
    let markup = thread_page(
        &app.settings,
        bar(&linked, &csrf),
        csrf.field(),
        &conv,
        &form.texte,
        &errors,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
}

/// A reply as posted (its text, its files) checked and, if right, sent in
/// the thread (the files kept, removed again if the reply fails): `None`
/// when sent, else the errors to show next to the fields.
pub async fn send_reply(
    app: &App,
    conv: &Granted<Conversation>,
    by: Replier<'_>,
    texte: &str,
    upload: &mut Upload,
) -> Result<Option<FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let texte = rules::check_text(texte).map_err(|e| errors.insert("texte", e));
    let files = message_files(upload, &mut errors);
    let (Ok(texte), true) = (texte, errors.is_empty()) else {
        return Ok(Some(errors));
    };
    let pieces = threads::keep_attachments(app, files)
        .await
        .map_err(unavailable)?;
    if let Err(e) = threads::reply(app, conv, by, &texte, pieces.clone()).await {
        threads::discard(app, &pieces).await;
        return Err(unavailable(e));
    }
    Ok(None)
}

/// An attachment of the family's own thread (never of an internal note:
/// the family's conversation does not hold them).
pub async fn download(
    State(app): State<App>,
    linked: Linked,
    Path((id, piece)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let conv = family_conversation(&app, &linked, &id).await?;
    attachment(&app, &conv, &piece).await
}

/// An attachment of a conversation, as a download.
pub async fn attachment(app: &App, conv: &Conversation, piece: &str) -> Result<Response, AppError> {
    let p = conv.attachment(piece).ok_or(AppError::NotFound)?;
    let (bytes, kind) = app
        .files
        .get(&p.fichier)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .ok_or(AppError::NotFound)?;
    crate::downloads::as_attachment(
        bytes,
        kind.content_type(),
        &format!(
            "piece-jointe-{}.{}",
            &p.id[p.id.len().saturating_sub(6)..].to_lowercase(),
            p.format
        ),
    )
}
