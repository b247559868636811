//! The town's daily work from the planning: attendance (pointage) per
//! activity, school and day — the expected children marked présent, absent
//! or absence justifiée, and a child present without reservation — by the
//! activity's service; and the day's counts per school (meals with regimes
//! and PAI, children per unit), printable and as CSV.

use super::agent_bar;
use super::dossiers::numero as dossier_number;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::domain::planning::{DayEntry, Presence};
use shared::dossiers;
use shared::layout::{self, NoticeKind, Page, dates, notice};
use shared::planning;
use shared::planning::counts;
use shared::planning::rules::paris_date;
use shared::settings::{Activity, Settings};
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use shared::web::form::first;
use std::collections::BTreeSet;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    activite: Option<String>,
    ecole: Option<String>,
    jour: Option<String>,
    enregistre: Option<String>,
}

fn day_of(app: &App, raw: Option<&str>) -> NaiveDate {
    raw.and_then(shared::import::parse_date)
        .unwrap_or_else(|| paris_date(app.clock.now()))
}

fn activity_of<'a>(s: &'a Settings, raw: Option<&str>) -> Result<&'a Activity, AppError> {
    match raw {
        None | Some("") => s.activites.first().ok_or(AppError::NotFound),
        Some(id) => s.activity(id).ok_or(AppError::NotFound),
    }
}

fn presence_id(p: Presence) -> &'static str {
    match p {
        Presence::Present => "present",
        Presence::Absent => "absent",
        Presence::AbsenceJustifiee => "justifiee",
    }
}

fn presence_of(v: &str) -> Option<Presence> {
    [
        Presence::Present,
        Presence::Absent,
        Presence::AbsenceJustifiee,
    ]
    .into_iter()
    .find(|p| presence_id(*p) == v)
}

/// The field of one row: "p|unit|dossier|child".
fn row_key(e: &DayEntry) -> String {
    format!("p|{}|{}|{}", e.unite, e.numero, e.enfant)
}

fn decides(agent: &Agent, activity: &Activity) -> bool {
    agent.access.decider(&activity.service).is_ok()
}

/// The field that carries the version a row was read at: "v|unit|dossier|child".
fn version_key(e: &DayEntry) -> String {
    format!("v{}", &row_key(e)[1..])
}

/// The rows of the attendance list, each with the version it was read at,
/// and the schools of the activity that day.
async fn rows(
    app: &App,
    activity: &Activity,
    school: &str,
    day: NaiveDate,
) -> Result<(Vec<(DayEntry, u64)>, BTreeSet<String>), AppError> {
    let all = planning::day_entries_read(app.store.as_ref(), day).await?;
    let schools: BTreeSet<String> = all
        .iter()
        .filter(|(e, _)| e.activite == activity.id)
        .map(|(e, _)| e.ecole.clone())
        .collect();
    let mut list: Vec<(DayEntry, u64)> = all
        .into_iter()
        .filter(|(e, _)| e.activite == activity.id && (school.is_empty() || e.ecole == school))
        .filter(|(e, _)| counts::expected(e) || e.etat.is_none())
        .collect();
    list.sort_by(|(a, _), (b, _)| (&a.unite, &a.enfant_nom).cmp(&(&b.unite, &b.enfant_nom)));
    Ok((list, schools))
}

pub async fn list(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let activity = activity_of(&app.settings, q.activite.as_deref())?;
    let day = day_of(&app, q.jour.as_deref());
    let school: String = q.ecole.unwrap_or_default().chars().take(200).collect();
    let saved = q
        .enregistre
        .is_some()
        .then(|| notice(NoticeKind::Success, "Pointage enregistré."));
    let page = current_list(&app, &agent, &csrf, activity, &school, day, saved).await?;
    Ok((csrf, page).into_response())
}

/// Reads the day's rows as they are now, then renders the list.
async fn current_list(
    app: &App,
    agent: &Agent,
    csrf: &Csrf,
    activity: &Activity,
    school: &str,
    day: NaiveDate,
    message: Option<Markup>,
) -> Result<Markup, AppError> {
    let (list, schools) = rows(app, activity, school, day).await?;
    Ok(list_page(
        agent,
        csrf,
        activity,
        school,
        day,
        &list,
        &schools,
        message,
        &app.settings,
    ))
}

#[allow(clippy::too_many_arguments)]
fn list_page(
    agent: &Agent,
    csrf: &Csrf,
    activity: &Activity,
    school: &str,
    day: NaiveDate,
    list: &[(DayEntry, u64)],
    schools: &BTreeSet<String>,
    message: Option<Markup>,
    s: &Settings,
) -> Markup {
    let own = decides(agent, activity);
    layout::render(Page {
        title: "Pointage",
        path: "/agents/pointage",
        main: html! {
            (agent_bar(agent, csrf))
            @if let Some(m) = message { (m) }
            form.stack method="get" action="/agents/pointage" {
                div.field {
                    label for="activite" { "Activité" }
                    select #activite name="activite" { @for a in &s.activites { option value=(a.id) selected[a.id == activity.id] { (a.nom) } } }
                }
                div.field {
                    label for="ecole" { "École (site)" }
                    select #ecole name="ecole" {
                        option value="" { "Toutes" }
                        @for e in schools { option value=(e) selected[e == school] { (e) } }
                    }
                }
                div.field { label for="jour" { "Jour" } input #jour name="jour" type="date" value=(day); }
                button type="submit" { "Afficher" }
            }
            h2 { (activity.nom) " — " (dates::with_weekday(day)) }
            @if list.is_empty() {
                p { "Aucun enfant attendu." }
            } @else if !own {
                (notice(NoticeKind::Info, "Cette activité relève d'un autre service : vous pouvez consulter la liste, pas la pointer."))
                (table(s, list, None))
            } @else {
                form method="post" action="/agents/pointage" {
                    (csrf.field())
                    input type="hidden" name="activite" value=(activity.id);
                    input type="hidden" name="ecole" value=(school);
                    input type="hidden" name="jour" value=(day);
                    (table(s, list, Some(())))
                    button type="submit" { "Enregistrer le pointage" }
                }
            }
            @if own {
                h2 { "Enfant présent sans réservation" }
                form.stack method="post" action="/agents/pointage/sans-reservation" {
                    (csrf.field())
                    input type="hidden" name="activite" value=(activity.id);
                    input type="hidden" name="jour" value=(day);
                    div.field {
                        label for="unite" { "Unité" }
                        select #unite name="unite" { @for u in &activity.unites { option value=(u.id) { (u.nom) } } }
                    }
                    div.field { label for="numero" { "Numéro de dossier" } input #numero name="numero" type="text" required; }
                    div.field { label for="prenom" { "Prénom de l'enfant" } input #prenom name="prenom" type="text" required; }
                    button type="submit" { "Ajouter comme présent" }
                }
            }
        },
    })
}

fn table(s: &Settings, list: &[(DayEntry, u64)], editable: Option<()>) -> Markup {
    let unit_name = |e: &DayEntry| {
        s.activity(&e.activite)
            .and_then(|a| a.unit(&e.unite))
            .map_or(e.unite.clone(), |u| u.nom.clone())
    };
    html! {
        table.data {
            caption { "Enfants attendus" }
            thead { tr {
                th scope="col" { "Enfant" } th scope="col" { "Unité" } th scope="col" { "Classe" }
                th scope="col" { "Régime, PAI" } th scope="col" { "Présence" }
            } }
            tbody {
                @for (e, version) in list {
                    tr {
                        th scope="row" { (e.enfant_nom) @if e.etat.is_none() { " (sans réservation)" } }
                        td { (unit_name(e)) }
                        td { (e.classe) }
                        td { (e.regime.as_deref().unwrap_or("")) @if e.pai { " PAI" } }
                        td {
                            @if editable.is_some() {
                                input type="hidden" name=(version_key(e)) value=(version);
                                fieldset {
                                    legend.visually-hidden { "Présence de " (e.enfant_nom) ", " (unit_name(e)) }
                                    @for (value, label) in [("present", "présent"), ("absent", "absent"), ("justifiee", "absence justifiée")] {
                                        @let id = format!("{}|{value}", row_key(e));
                                        div.check {
                                            input type="radio" id=(id) name=(row_key(e)) value=(value)
                                                checked[e.presence.map(presence_id) == Some(value)];
                                            label for=(id) { (label) }
                                        }
                                    }
                                }
                            } @else {
                                (match e.presence { Some(Presence::Present) => "présent", Some(Presence::Absent) => "absent", Some(Presence::AbsenceJustifiee) => "absence justifiée", None => "non pointé" })
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Records the marks that changed. Each is decided on the version of its
/// row the page showed: a row changed meanwhile (another agent, a family's
/// cancellation) is not recorded, and the page comes back (409) with the
/// current state and the children to check.
pub async fn save(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| first(&fields, name);
    let activity = activity_of(&app.settings, field("activite"))?;
    let decider = agent.access.decider(&activity.service)?;
    let day =
        shared::import::parse_date(field("jour").unwrap_or("")).ok_or(AppError::BadRequest)?;
    let school = field("ecole").unwrap_or("").to_owned();
    let (list, _) = rows(&app, activity, &school, day).await?;
    let mut changed_meanwhile = Vec::new();
    for (e, current) in &list {
        let Some(value) = field(&row_key(e)) else {
            continue;
        };
        let presence = presence_of(value).ok_or(AppError::BadRequest)?;
        if e.presence == Some(presence) {
            continue;
        }
        let read: u64 = field(&version_key(e))
            .and_then(|v| v.parse().ok())
            .ok_or(AppError::BadRequest)?;
        let recorded = read == *current
            && planning::record_presence(&app, &decider, day, e, Some(read), presence).await?;
        if !recorded {
            changed_meanwhile.push(e.enfant_nom.clone());
        }
    }
    if !changed_meanwhile.is_empty() {
        let message = html! {
            div.notice.notice-error role="alert" {
                p { "Le pointage de ces enfants a changé depuis l'affichage de la page ; il n'a pas été enregistré. Vérifiez l'état actuel ci-dessous et enregistrez à nouveau :" }
                ul { @for n in &changed_meanwhile { li { (n) } } }
            }
        };
        let page = current_list(&app, &agent, &csrf, activity, &school, day, Some(message)).await?;
        return Ok((StatusCode::CONFLICT, csrf, page).into_response());
    }
    let back = format!(
        "/agents/pointage?activite={}&ecole={}&jour={day}&enregistre=1",
        activity.id,
        percent_encoding::utf8_percent_encode(&school, percent_encoding::NON_ALPHANUMERIC)
    );
    Ok(Redirect::to(&back).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct WalkInForm {
    #[serde(default)]
    activite: String,
    #[serde(default)]
    unite: String,
    #[serde(default)]
    jour: String,
    #[serde(default)]
    numero: String,
    #[serde(default)]
    prenom: String,
}

pub async fn walk_in(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<WalkInForm>,
) -> Result<Response, AppError> {
    let activity = activity_of(&app.settings, Some(&f.activite))?;
    let decider = agent.access.decider(&activity.service)?;
    let unit = activity.unit(&f.unite).ok_or(AppError::BadRequest)?;
    let day = shared::import::parse_date(&f.jour).ok_or(AppError::BadRequest)?;
    let found = match dossier_number(f.numero.trim()) {
        Ok(n) => dossiers::children(app.store.as_ref(), &n)
            .await?
            .into_iter()
            .find(|c| {
                shared::accounts::names::fold(&c.prenom) == shared::accounts::names::fold(&f.prenom)
            })
            .map(|c| (n, c)),
        Err(_) => None,
    };
    let Some((numero, child)) = found else {
        let page = layout::render(Page {
            title: "Pointage : enfant introuvable",
            path: "/agents/pointage",
            main: html! {
                (agent_bar(&agent, &csrf))
                (notice(NoticeKind::Error, "Aucun enfant de ce prénom dans ce dossier : vérifiez le numéro de dossier et le prénom."))
                p { a href={ "/agents/pointage?activite=" (activity.id) "&jour=" (day) } { "Retour au pointage" } }
            },
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    };
    let entry = DayEntry::of(&numero, &child, &activity.id, &unit.id, None);
    let existing = planning::day_entries_read(app.store.as_ref(), day)
        .await?
        .into_iter()
        .find(|(e, _)| {
            e.numero == numero
                && e.enfant == child.id
                && e.activite == activity.id
                && e.unite == unit.id
        });
    let (target, read) = match existing {
        Some((e, version)) => (e, Some(version)),
        None => (entry, None),
    };
    // Already present: nothing to record. Changed meanwhile: the list shows it.
    if target.presence != Some(Presence::Present) {
        planning::record_presence(&app, &decider, day, &target, read, Presence::Present).await?;
    }
    Ok(Redirect::to(&format!(
        "/agents/pointage?activite={}&jour={day}&enregistre=1",
        activity.id
    ))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CountsQuery {
    jour: Option<String>,
}

pub async fn counts_page(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<CountsQuery>,
) -> Result<Response, AppError> {
    let day = day_of(&app, q.jour.as_deref());
    let entries = planning::day_entries(app.store.as_ref(), day).await?;
    let list = counts::daily(app.settings.as_ref(), &entries);
    let page = layout::render(Page {
        title: "Effectifs du jour",
        path: "/agents/effectifs",
        main: html! {
            (agent_bar(&agent, &csrf))
            form.stack method="get" action="/agents/effectifs" {
                div.field { label for="jour" { "Jour" } input #jour name="jour" type="date" value=(day); }
                button type="submit" { "Afficher" }
            }
            h2 { "Effectifs du " (dates::with_weekday(day)) }
            p { a href={ "/agents/effectifs.csv?jour=" (day) } download { "Télécharger les effectifs (CSV)" } }
            @if list.is_empty() { p { "Aucun enfant attendu ce jour-là." } }
            @for c in &list {
                h3 { (c.ecole) }
                table.data {
                    caption.visually-hidden { "Effectifs de " (c.ecole) }
                    thead { tr { th scope="col" { "Ligne" } th scope="col" { "Nombre" } } }
                    tbody {
                        tr { th scope="row" { "Repas" } td { (c.meals) } }
                        @for (r, n) in &c.regimes { tr { th scope="row" { "dont repas " (r) } td { (n) } } }
                        tr { th scope="row" { "dont enfants avec PAI" } td { (c.pai) } }
                        @for (u, n) in &c.units { tr { th scope="row" { (u) } td { (n) } } }
                    }
                }
            }
        },
    });
    Ok((csrf, page).into_response())
}

pub async fn counts_csv(
    State(app): State<App>,
    _agent: Agent,
    Query(q): Query<CountsQuery>,
) -> Result<Response, AppError> {
    let day = day_of(&app, q.jour.as_deref());
    let entries = planning::day_entries(app.store.as_ref(), day).await?;
    let text = counts::csv(day, &counts::daily(app.settings.as_ref(), &entries));
    let name = format!("effectifs-{day}.csv");
    crate::downloads::as_attachment(text, "text/csv; charset=utf-8", &name)
}
