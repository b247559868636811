//! The `inscriptions` route group: every registration of the family's
//! children with its status, and a new request in the guide's steps — the
//! child, the activity (only current or future ones that fit the child),
//! the start date and weekdays (whole weeks for vacances) with the
//! supporting documents still needed — then the town validates. The child
//! and the activity are always checked again on save: hidden fields are
//! never trusted.

use crate::dossier::{Linked, date_fr};
use crate::dossier_documents::file_field;
use crate::routes::Routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::accounts::validation::FieldErrors;
use shared::calendar::holiday_weeks;
use shared::documents::{self, NewDocument, StoreFileError};
use shared::domain::document::{Document, Source};
use shared::domain::dossier::Child;
use shared::domain::inscription::{Inscription, Status};
use shared::files::check_upload;
use shared::inscriptions::rules::{self, PIECE_FIELDS};
use shared::inscriptions::{self, CreateError};
use shared::layout::family_bar;
use shared::layout::forms::{error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::settings::{Activity, Category, Day, PieceType, Settings};
use shared::web::AppError;
use shared::web::auth::{Csrf, Family};
use shared::web::upload::{CsrfMultipart, UPLOAD_BODY_LIMIT};

/// The group's routes and their table.
pub fn routes() -> Routes {
    Routes::new()
        .route("/inscriptions", get(list))
        .route_with_ids(
            "/inscriptions/nouvelle",
            &["enfant"],
            get(new_request)
                .post(submit)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

fn frame(family: &Family, csrf: &Csrf, title: &str, main: Markup) -> Markup {
    layout::render(Page {
        title,
        path: "/inscriptions",
        main: html! {
            (family_bar(&family.account, csrf.field()))
            (main)
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    demande: Option<String>,
}

async fn list(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let all = inscriptions::list(app.store.as_ref(), &numero).await?;
    let main = html! {
        @if q.demande.is_some() {
            (notice(NoticeKind::Success, "Votre demande d'inscription est enregistrée. La mairie doit la valider avant toute réservation : vous recevrez un e-mail dès qu'elle aura répondu."))
        }
        p { a.button href="/inscriptions/nouvelle" { "Nouvelle inscription" } }
        @if all.is_empty() {
            p { "Aucune inscription pour l'instant." }
        } @else {
            table.data {
                caption { "Toutes mes inscriptions (année " (app.settings.as_ref().school_year()) ")" }
                thead { tr {
                    th scope="col" { "Enfant" } th scope="col" { "Activité" } th scope="col" { "À partir du" }
                    th scope="col" { "Jours" } th scope="col" { "Demandée le" } th scope="col" { "État" }
                } }
                tbody {
                    @for i in &all {
                        tr {
                            td { (i.enfant_nom) }
                            td { (i.activite_nom) }
                            td { (date_fr(i.debut)) }
                            td { (i.days_label()) }
                            td { (i.demande_le.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y")) }
                            td {
                                strong { (i.statut.label()) }
                                @if let Some(m) = &i.motif { " : " (m) }
                                @if let Some(r) = &i.reservations { br; small { (r) " " a href="/planning" { "Voir le planning" } } }
                            }
                        }
                    }
                }
            }
        }
        p.hint { "Une inscription vaut pour l'année scolaire en cours. Toute inscription aux activités du service Enfance vaut acceptation du "
            a href="/documents/" { "règlement intérieur" } "." }
    };
    let page = frame(&family, &csrf, "Mes inscriptions", main);
    Ok((csrf, page).into_response())
}

/// What the request form holds, as typed (kept when it is refused).
#[derive(Debug, Default, Deserialize)]
pub struct StepQuery {
    #[serde(default)]
    enfant: String,
    #[serde(default)]
    activite: String,
}

#[derive(Debug, Default)]
struct Typed {
    debut: String,
    jours: Vec<String>,
    semaines: Vec<String>,
}

fn today(app: &App) -> chrono::NaiveDate {
    app.clock
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

async fn new_request(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    Query(q): Query<StepQuery>,
) -> Result<Response, AppError> {
    let children = access.children(app.store.as_ref()).await?;
    let s = app.settings.as_ref();
    let day = today(&app);
    if q.enfant.is_empty() {
        let page = frame(
            &family,
            &csrf,
            "Nouvelle inscription : l'enfant",
            choose_child(&children),
        );
        return Ok((csrf, page).into_response());
    }
    let granted = access.child(&children, &q.enfant)?;
    let child: &Child = &granted;
    // The child's live requests of the year: not offered again.
    let year = s.school_year();
    let asked: Vec<(String, &'static str)> =
        shared::inscriptions::list(app.store.as_ref(), &numero)
            .await?
            .into_iter()
            .filter(|i| {
                i.enfant == child.id
                    && i.annee == year
                    && i.statut != shared::domain::inscription::Status::Refusee
            })
            .map(|i| (i.activite, i.statut.label()))
            .collect();
    if q.activite.is_empty() {
        let offer = rules::offer(s, child, day);
        let page = frame(
            &family,
            &csrf,
            "Nouvelle inscription : l'activité",
            choose_activity(&app.settings, child, &offer, &asked),
        );
        return Ok((csrf, page).into_response());
    }
    let activity = rules::offer(s, child, day)
        .into_iter()
        .find(|a| a.id == q.activite)
        .ok_or(AppError::NotFound)?;
    // Already asked: said at once, before the date, days and files.
    if asked.iter().any(|(id, _)| *id == activity.id) {
        let page = frame(
            &family,
            &csrf,
            "Nouvelle inscription : l'activité",
            html! {
                (notice(NoticeKind::Error, &duplicate_message(child, activity)))
                p { a href={ "/inscriptions/nouvelle?enfant=" (child.id) } { "Choisir une autre activité" } " · " a href="/inscriptions" { "Voir toutes mes inscriptions" } }
            },
        );
        return Ok((StatusCode::CONFLICT, csrf, page).into_response());
    }
    let held = documents::list(app.store.as_ref(), &numero).await?;
    // The first day the activity runs is offered; the family may change it.
    let typed = Typed {
        debut: shared::calendar::first_running_day(activity, &s.calendrier, day)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        ..Typed::default()
    };
    let page = request_page(
        &app,
        &family,
        &csrf,
        child,
        activity,
        &held,
        &typed,
        &FieldErrors::new(),
    );
    Ok((csrf, page).into_response())
}

fn choose_child(children: &[Child]) -> Markup {
    html! {
        p.steps { "Étape 1/3" }
        @if children.is_empty() {
            p { "Aucun enfant n'est enregistré dans votre dossier : écrivez au service Enfance-Éducation pour en ajouter un." }
        } @else {
            form.stack method="get" action="/inscriptions/nouvelle" {
                fieldset {
                    legend { "Quel enfant voulez-vous inscrire ?" }
                    @for (i, c) in children.iter().enumerate() {
                        div.check {
                            input type="radio" id={ "enfant-" (i) } name="enfant" value=(c.id) required checked[children.len() == 1];
                            label for={ "enfant-" (i) } { (c.prenom) " " (c.nom) @if !c.classe.is_empty() { " (" (c.classe) ")" } }
                        }
                    }
                }
                button type="submit" { "Continuer" }
            }
        }
        p { a href="/inscriptions" { "Retour à mes inscriptions" } }
    }
}

/// `asked`: the activities the child already has a live request for this
/// year, with its state — shown, not offered again.
fn choose_activity(
    s: &Settings,
    child: &Child,
    offer: &[&Activity],
    asked: &[(String, &'static str)],
) -> Markup {
    html! {
        p.steps { "Étape 2/3" }
        p { "Enfant : " strong { (child.prenom) " " (child.nom) } " — " a href="/inscriptions/nouvelle" { "changer" } }
        @if offer.is_empty() {
            p { "Aucune activité en cours ou à venir ne correspond à l'âge ou à la classe de " (child.prenom) "." }
        } @else {
            p { "Seules les activités en cours ou à venir qui correspondent à l'âge ou à la classe de " (child.prenom) " sont proposées." }
            form.stack method="get" action="/inscriptions/nouvelle" {
                input type="hidden" name="enfant" value=(child.id);
                @for category in [Category::Restauration, Category::Periscolaire, Category::Mercredis, Category::Vacances] {
                    @let here: Vec<&&Activity> = offer.iter().filter(|a| a.categorie == category).collect();
                    @if !here.is_empty() {
                        fieldset {
                            legend { (category.label()) }
                            @for a in here {
                                @let (from, to) = shared::calendar::period(a, &s.calendrier);
                                @let held = asked.iter().find(|(id, _)| *id == a.id).map(|(_, state)| *state);
                                div.check {
                                    @if let Some(state) = held {
                                        input type="radio" id={ "activite-" (a.id) } name="activite" value=(a.id) disabled;
                                        label for={ "activite-" (a.id) } { (a.nom) " — déjà demandée (" (state) ")" }
                                    } @else {
                                        input type="radio" id={ "activite-" (a.id) } name="activite" value=(a.id) required;
                                        label for={ "activite-" (a.id) } { (a.nom) " (du " (date_fr(from)) " au " (date_fr(to)) ")" }
                                    }
                                }
                            }
                        }
                    }
                }
                button type="submit" { "Continuer" }
            }
        }
    }
}

fn error_of<'a>(errors: &'a FieldErrors, name: &str) -> Option<&'a String> {
    errors.get(name)
}

#[allow(clippy::too_many_arguments)]
fn request_page(
    app: &App,
    family: &Family,
    csrf: &Csrf,
    child: &Child,
    activity: &Activity,
    held: &[Document],
    typed: &Typed,
    errors: &FieldErrors,
) -> Markup {
    let s = app.settings.as_ref();
    let day = today(app);
    let needed = rules::required_pieces(s, activity, child);
    let missing: Vec<&PieceType> = rules::missing_pieces(s, activity, child, held, day);
    let (from, to) = shared::calendar::period(activity, &s.calendrier);
    let earliest = from.max(day);
    let mut labels: Vec<(&str, &str)> = vec![
        ("debut", "Date d'entrée souhaitée"),
        ("jours", "Jours de la semaine"),
        ("semaines", "Semaines de vacances"),
        ("demande", "Demande"),
    ];
    for (i, p) in missing.iter().enumerate() {
        labels.push((PIECE_FIELDS[i], p.nom.as_str()));
    }
    let is_holidays = activity.categorie == Category::Vacances;
    let main = html! {
        p.steps { "Étape 3/3" }
        (error_summary(errors, &labels))
        @if let Some(e) = error_of(errors, "demande") { (notice(NoticeKind::Error, e)) }
        dl.facts {
            dt { "Enfant" } dd { (child.prenom) " " (child.nom) }
            dt { "Activité" } dd { (activity.nom) " — " a href={ "/inscriptions/nouvelle?enfant=" (child.id) } { "changer" } }
        }
        (required_note())
        form.stack method="post" action="/inscriptions/nouvelle" enctype="multipart/form-data" novalidate {
            (csrf.field())
            input type="hidden" name="enfant" value=(child.id);
            input type="hidden" name="activite" value=(activity.id);
            @if is_holidays {
                fieldset aria-describedby=[error_of(errors, "semaines").map(|_| "semaines-erreur")] {
                    legend #semaines tabindex="-1" { "Semaines de vacances " span.required aria-hidden="true" { "*" } }
                    p.hint { "L'accueil des vacances se réserve à la semaine complète." }
                    @for (i, w) in holiday_weeks(activity, &s.calendrier, day).iter().enumerate() {
                        @let value = w.to_string();
                        @let period = s.calendrier.vacances.iter().find(|p| p.debut <= *w && *w <= p.fin).map_or("", |p| p.nom.as_str());
                        div.check {
                            input type="checkbox" id={ "semaine-" (i) } name="semaines" value=(value) checked[typed.semaines.contains(&value)];
                            label for={ "semaine-" (i) } { "Du lundi " (date_fr(*w)) " au vendredi " (date_fr(*w + chrono::Duration::days(4))) " (" (period) ")" }
                        }
                    }
                    @if let Some(e) = error_of(errors, "semaines") { span.error id="semaines-erreur" { "Erreur : " (e) } }
                }
            } @else {
                div.field {
                    label for="debut" { "Date d'entrée souhaitée " span.required aria-hidden="true" { "*" } }
                    span.hint id="debut-aide" { "Entre le " (date_fr(earliest)) " et le " (date_fr(to)) ", un jour où l'activité a lieu (JJ/MM/AAAA)." }
                    input #debut name="debut" type="date" value=(typed.debut) min=(earliest) max=(to) required
                        aria-describedby={ "debut-aide" @if errors.contains_key("debut") { " debut-erreur" } }
                        aria-invalid=[error_of(errors, "debut").map(|_| "true")];
                    @if let Some(e) = error_of(errors, "debut") { span.error id="debut-erreur" { "Erreur : " (e) } }
                }
                fieldset aria-describedby=[error_of(errors, "jours").map(|_| "jours-erreur")] {
                    legend #jours tabindex="-1" { "Jours de la semaine " span.required aria-hidden="true" { "*" } }
                    @for d in Day::ALL.iter().filter(|d| activity.jours.contains(d)) {
                        div.check {
                            input type="checkbox" id={ "jour-" (d.id()) } name="jours" value=(d.id()) checked[typed.jours.iter().any(|j| j == d.id())];
                            label for={ "jour-" (d.id()) } { (capitalized(d.id())) }
                        }
                    }
                    @if let Some(e) = error_of(errors, "jours") { span.error id="jours-erreur" { "Erreur : " (e) } }
                }
            }
            fieldset {
                legend { "Pièces justificatives" }
                @if needed.is_empty() { p { "Cette activité ne demande aucune pièce." } }
                @for p in &needed {
                    @if !missing.iter().any(|m| m.id == p.id) {
                        p { "✓ " (p.nom) " : déjà transmise et valide, inutile de la renvoyer." }
                    }
                }
                @for (i, p) in missing.iter().enumerate() {
                    (file_field(PIECE_FIELDS[i], &p.nom, errors))
                }
                @if !missing.is_empty() && !errors.is_empty() {
                    p.hint { "Pour votre sécurité, les fichiers ne sont pas conservés quand la demande est refusée : choisissez-les à nouveau." }
                }
            }
            p { "La mairie doit valider votre demande avant toute réservation." }
            button type="submit" { "Enregistrer ma demande" }
        }
    };
    frame(family, csrf, "Nouvelle inscription : dates et pièces", main)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A request whose child or activity is not one the family may ask (a
/// tampered form, or an activity that ended): nothing is stored.
fn refused_request(family: &Family, csrf: Csrf, message: &str) -> Response {
    let main = html! {
        (notice(NoticeKind::Error, message))
        p { a href="/inscriptions/nouvelle" { "Recommencer la demande" } }
    };
    let page = frame(family, &csrf, "Demande d'inscription refusée", main);
    (StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    enfant: String,
    #[serde(default)]
    activite: String,
    #[serde(default)]
    debut: String,
}

async fn submit(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let form: RequestForm = upload.form()?;
    let s = app.settings.as_ref();
    let day = today(&app);
    let children = access.children(app.store.as_ref()).await?;
    let Ok(granted) = access.child(&children, &form.enfant) else {
        return Ok(refused_request(
            &family,
            csrf,
            "Cet enfant n'est pas dans votre dossier : choisissez l'un de vos enfants.",
        ));
    };
    let child: &Child = &granted;
    let Some(activity) = rules::offer(s, child, day)
        .into_iter()
        .find(|a| a.id == form.activite)
    else {
        return Ok(refused_request(
            &family,
            csrf,
            "Cette activité n'existe pas, est terminée ou ne correspond pas à l'âge ou à la classe de l'enfant.",
        ));
    };
    let typed = Typed {
        debut: form.debut.chars().take(20).collect(),
        jours: upload.all("jours"),
        semaines: upload.all("semaines"),
    };
    let held = documents::list(app.store.as_ref(), &numero).await?;
    let request = rules::check_request(
        s,
        activity,
        day,
        &typed.debut,
        &typed.jours,
        &typed.semaines,
    );
    let mut errors = request.as_ref().err().cloned().unwrap_or_default();
    let year = s.school_year();
    let existing = inscriptions::list(app.store.as_ref(), &numero).await?;
    if existing.iter().any(|i| {
        i.enfant == child.id
            && i.activite == activity.id
            && i.annee == year
            && i.statut != Status::Refusee
    }) {
        errors.insert("demande", duplicate_message(child, activity));
    }
    let missing = rules::missing_pieces(s, activity, child, &held, day);
    let mut files = Vec::new();
    for (i, piece) in missing.iter().enumerate() {
        match upload.take_file(PIECE_FIELDS[i]) {
            None => {
                errors.insert(
                    PIECE_FIELDS[i],
                    format!("Joignez ce document : {}.", piece.nom),
                );
            }
            Some(bytes) => match check_upload(&bytes) {
                Ok(_) => files.push((*piece, bytes)),
                Err(e) => {
                    errors.insert(PIECE_FIELDS[i], e.to_string());
                }
            },
        }
    }
    let checked = match request {
        Ok(c) if errors.is_empty() => c,
        _ => {
            let page = request_page(
                &app, &family, &csrf, child, activity, &held, &typed, &errors,
            );
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
        }
    };
    let now = app.clock.now();
    let mut kept: Vec<Document> = Vec::new();
    for (piece, bytes) in files {
        let what = NewDocument {
            libelle: &piece.nom,
            piece: Some(&piece.id),
            source: Source::Famille,
        };
        match documents::keep_file(&app, bytes, what, now).await {
            Ok(doc) => kept.push(doc),
            Err(e) => {
                documents::discard_files(&app, &kept).await;
                return Err(match e {
                    StoreFileError::Files(e) => AppError::Unavailable(e.to_string()),
                    StoreFileError::Refused(e) => AppError::Internal(e.to_string()),
                });
            }
        }
    }
    let ins = Inscription {
        id: ulid::Ulid::new().to_string(),
        numero: numero.clone(),
        enfant: child.id.clone(),
        enfant_nom: format!("{} {}", child.prenom, child.nom),
        activite: activity.id.clone(),
        activite_nom: activity.nom.clone(),
        annee: year,
        debut: checked.debut,
        jours: checked.jours.iter().map(|d| d.id().to_owned()).collect(),
        semaines: checked.semaines,
        documents: kept.iter().map(|d| d.id.clone()).collect(),
        statut: Status::EnAttente,
        motif: None,
        demande_le: now,
        decide_le: None,
        decide_par: None,
        reservations: None,
    };
    match inscriptions::create(&app, &granted, &ins, &kept, &activity.service).await {
        Ok(()) => Ok(Redirect::to("/inscriptions?demande=1").into_response()),
        Err(CreateError::Duplicate) => {
            let mut errors = FieldErrors::new();
            errors.insert("demande", duplicate_message(child, activity));
            let page = request_page(
                &app, &family, &csrf, child, activity, &held, &typed, &errors,
            );
            Ok((StatusCode::CONFLICT, csrf, page).into_response())
        }
        Err(CreateError::UnknownChild) => Ok(refused_request(
            &family,
            csrf,
            "Cet enfant n'est plus dans votre dossier.",
        )),
        Err(CreateError::Store(e)) => Err(e.into()),
    }
}

fn duplicate_message(child: &Child, activity: &Activity) -> String {
    format!(
        "{} a déjà une demande en attente ou validée pour « {} » cette année : une seule inscription par activité et par année.",
        child.prenom, activity.nom
    )
}
