//! The `planning` route group: the family's reservations, a grid of a
//! month, a fortnight or a week (a row per child and unit, a cell per day),
//! the cost of the period, the waiting list counts, and a form — boxes for
//! the days still open — that saves the changes child by child and month by
//! month, never silently over another session's changes.

mod advanced;
mod illness;

use crate::dossier::Linked;
use crate::routes::Routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::FamilyAccess;
use shared::billing::rules::Tariff;
use shared::domain::dossier::Child;
use shared::domain::planning::month_id;
use shared::dossiers;
use shared::ids::MonthId;
use shared::layout::dates;
use shared::layout::family_bar;
use shared::layout::{self, NoticeKind, Page, notice};
use shared::planning::grid::{self, Grid, Months, Shown, cell_key};
use shared::planning::rules::{View, columns, paris_date};
use shared::planning::{self, Outcome, SaveError};
use shared::pricing::euros;

use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm, Family};
use shared::web::form::{every, first};
use shared::web::upload::UPLOAD_BODY_LIMIT;
use std::collections::{BTreeSet, HashMap};

/// Most fields a planning form may carry (a month of every unit of three
/// children is far below).
const MAX_FIELDS: usize = 2_000;

/// The group's routes and their table.
pub fn routes() -> Routes {
    Routes::new()
        .route_with_ids("/planning", &["c"], get(show).post(save))
        .route_with_ids("/planning/maladie", &["cellule"], post(illness::declare))
        .route_with_ids("/planning/avancee", &["enfant"], get(advanced::show))
        .route_with_ids(
            "/planning/semaine-type",
            &["enfant"],
            post(advanced::typical_week),
        )
        .route_with_ids("/planning/copie", &["de", "vers"], post(advanced::copy))
        .route_with_ids(
            "/planning/justificatif",
            &["cellule"],
            get(illness::certificate_form)
                .post(illness::certificate)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanningQuery {
    vue: Option<String>,
    date: Option<String>,
    modifier: Option<String>,
    enregistre: Option<String>,
    attente: Option<String>,
    maladie: Option<String>,
    justifiee: Option<String>,
}

/// The view and its anchor from the query; anything malformed falls back to
/// the month of today (a bookmark never breaks).
fn view_of(vue: Option<&str>, date: Option<&str>, today: NaiveDate) -> (View, NaiveDate) {
    let view = vue.and_then(View::parse).unwrap_or(View::Mois);
    let anchor = date
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .filter(|d| (*d - today).num_days().abs() < 800)
        .unwrap_or(today);
    (view, anchor)
}

/// Everything a planning page reads for a dossier and a period.
pub(crate) struct Loaded {
    pub children: Vec<Child>,
    pub months: Months,
    pub versions: HashMap<(String, String), u64>,
    pub registrations: Vec<shared::domain::inscription::Inscription>,
    pub tariff: Tariff,
}

pub(crate) async fn load(app: &App, numero: &str, days: &[NaiveDate]) -> Result<Loaded, AppError> {
    let store = app.store.as_ref();
    let children = dossiers::children(store, numero).await?;
    let registrations = shared::inscriptions::list(store, numero).await?;
    let tariff = dossiers::get(store, numero)
        .await?
        .map(|d| Tariff::of(&d))
        .unwrap_or_default();
    // Every month a shown day's slot is kept in (a holiday week starts on
    // its Monday, maybe in the month before).
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for day in days {
        wanted.insert(month_id(*day));
        wanted.insert(month_id(shared::calendar::monday_of(*day)));
    }
    let ids: Vec<&str> = children.iter().map(|c| c.id.as_str()).collect();
    let mut months = Months::new();
    let mut versions = HashMap::new();
    for (key, (month, version)) in planning::load_months(store, numero, &ids, &wanted).await? {
        versions.insert(key.clone(), version);
        months.insert(key, month);
    }
    Ok(Loaded {
        children,
        months,
        versions,
        registrations,
        tariff,
    })
}

fn period_title(view: View, first: NaiveDate, last: NaiveDate) -> String {
    match view {
        View::Mois => format!("Planning de {}", dates::month(first)),
        _ => format!(
            "Planning du {} au {}",
            dates::long(first),
            dates::long(last)
        ),
    }
}

pub(crate) fn link(view: View, anchor: NaiveDate, edit: bool) -> String {
    format!(
        "/planning?vue={}&date={anchor}{}",
        view.id(),
        if edit { "&modifier=1" } else { "" }
    )
}

struct Screen<'a> {
    view: View,
    anchor: NaiveDate,
    edit: bool,
    grid: &'a Grid<'a>,
    versions: &'a HashMap<(String, String), u64>,
    message: Option<(NoticeKind, String)>,
}

fn cell_markup(row: &grid::Row, cell: &grid::CellView, edit: bool, csrf: &Csrf) -> Markup {
    let class = match cell.shown {
        Shown::Reserved => "reserved",
        Shown::Waiting => "waiting",
        Shown::Sick => "sick",
        Shown::Justified => "justified",
        Shown::Closed => "closed",
        Shown::NotRegistered => "not-registered",
        Shown::Free => "free",
    };
    let code = match cell.shown {
        Shown::Reserved => "R",
        Shown::Waiting => "A",
        Shown::Sick => "M",
        Shown::Justified => "J",
        Shown::Closed => "×",
        Shown::NotRegistered => "–",
        Shown::Free => "·",
    };
    // Written straight into the page (a grid has a hundred cells and more).
    let what = format_args!(
        "{}, {}, {}",
        row.child.prenom,
        row.unit.nom,
        dates::WithWeekday(cell.day)
    );
    let key = cell_key(&row.child.id, &row.activity.id, &row.unit.id, cell.slot);
    // On a phone the row becomes a calendar of six columns (Monday to
    // Saturday): the cell's weekday places it, its date labels it.
    let weekday = chrono::Datelike::weekday(&cell.day).number_from_monday();
    html! {
        td class={ (class) " wd" (weekday) } data-day=(dates::Short(cell.day)) {
            @if edit && cell.editable {
                // The whole cell is the box's target (44 px at least).
                label.cell-box {
                    input type="checkbox" name="c" value=(key) checked[cell.shown.asked()]
                        aria-label={ (what) @if cell.shown == Shown::Waiting { " (en liste d'attente)" } };
                }
            } @else {
                span aria-hidden="true" { (code) }
                span.visually-hidden { (what) " : " (cell.shown.label()) }
                @if !edit && cell.illness {
                    form method="post" action="/planning/maladie" {
                        (csrf.field())
                        input type="hidden" name="cellule" value=(key);
                        button type="submit" { "Maladie" span.visually-hidden { " : déclarer " (what) " absence pour maladie" } }
                    }
                }
                @if !edit && cell.shown == Shown::Sick {
                    a href={ "/planning/justificatif?cellule=" (percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC)) } { "Certificat" span.visually-hidden { " pour " (what) } }
                }
            }
        }
    }
}

fn page(family: &Family, csrf: &Csrf, screen: &Screen) -> Markup {
    let Screen {
        view,
        anchor,
        edit,
        grid,
        ..
    } = *screen;
    let (first, last) = view.range(anchor);
    let (previous, next) = view.neighbours(anchor);
    let title = period_title(view, first, last);
    let table = html! {
        div.table-scroll role="region" aria-labelledby="planning-titre" tabindex="0" {
            table.planning {
                caption #planning-titre { (title) }
                thead {
                    tr {
                        th scope="col" { "Enfant et unité" }
                        @for day in &grid.days {
                            th scope="col" { abbr title=(dates::WithWeekday(*day)) { (dates::Short(*day)) } }
                        }
                    }
                }
                tbody {
                    @for row in &grid.rows {
                        tr {
                            th scope="row" { (row.child.prenom) " — " (row.unit.nom) }
                            @for cell in &row.cells { (cell_markup(row, cell, edit, csrf)) }
                        }
                    }
                }
            }
        }
    };
    let main = html! {
        (family_bar(&family.account, csrf.field()))
        @if let Some((kind, text)) = &screen.message { (notice(*kind, text)) }
        nav.views aria-label="Affichage du planning" {
            @for v in [View::Mois, View::Quinzaine, View::Semaine] {
                a href=(link(v, anchor, edit)) aria-current=[(v == view).then_some("page")] {
                    (match v { View::Mois => "Mois", View::Quinzaine => "Quinzaine", View::Semaine => "Semaine" })
                }
            }
            a href=(link(view, previous, edit)) { "← Période précédente" }
            a href=(link(view, next, edit)) { "Période suivante →" }
        }
        @if grid.rows.is_empty() {
            p { "Aucune inscription validée pour l'instant : le planning s'ouvre quand la mairie a validé une inscription." }
            p { a href="/inscriptions" { "Mes inscriptions" } }
        } @else {
            // The grid first (on a phone, within the first screen); the cost
            // and the rest under it.
            @if edit {
                form method="post" action="/planning" data-planning-form {
                    (csrf.field())
                    input type="hidden" name="vue" value=(view.id());
                    input type="hidden" name="date" value=(anchor);
                    @for ((child, month), version) in screen.versions {
                        input type="hidden" name="v" value={ (child) "|" (month) "|" (version) };
                    }
                    p.hint { "Cochez les jours à réserver, décochez ceux à annuler ; les jours sans case ne sont plus modifiables (date limite passée, fermeture ou hors inscription)." }
                    (table)
                    div.actions {
                        button type="submit" { "Enregistrer" }
                        a href=(link(view, anchor, false)) { "Annuler les changements" }
                    }
                }
            } @else {
                p.actions { a.button href=(link(view, anchor, true)) { "Modifier" } }
                (table)
            }
            p { "Coût estimé de la période : " strong #cout { (euros(grid.total)) } " (selon votre quotient familial ; la facture fait foi)." }
            p { strong { (grid.waiting) " réservation(s) en attente" } " (en liste d'attente faute de place)." }
            p { a href="/planning/avancee" { "Modifications avancées : semaine type, copie vers un frère ou une sœur" } }
            script src=(layout::planning_script_path()) defer {}
            h2 { "Légende" }
            ul.legend {
                li { "R : réservé" } li { "· : non réservé" } li { "A : en liste d'attente" }
                li { "M : absence maladie, justificatif attendu" } li { "J : absence justifiée" }
                li { "× : fermé" } li { "– : hors inscription" }
            }
            h2 { "Coût par enfant et par unité" }
            ul {
                @for row in grid.rows.iter().filter(|r| r.billed > 0) {
                    li { (row.child.prenom) " — " (row.unit.nom) " : " (row.billed) " × " (euros(row.price)) " = " (euros(row.cost)) }
                }
            }
        }
    };
    layout::render(Page {
        title: &title,
        path: "/planning",
        main,
    })
}

async fn show(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
    Query(q): Query<PlanningQuery>,
) -> Result<Response, AppError> {
    let now = app.clock.now();
    let (view, asked) = view_of(q.vue.as_deref(), q.date.as_deref(), paris_date(now));
    let edit = q.modifier.is_some();
    let s = app.settings.as_ref();
    // "Modifier" on a period none of whose days can still change opens
    // the first period that has one (a few periods ahead at most).
    let mut anchor = asked;
    let mut data;
    let mut days;
    let mut tries = 0;
    loop {
        let (first, last) = view.range(anchor);
        days = columns(first, last);
        data = load(&app, &numero, &days).await?;
        let open = grid::build(
            s,
            &data.children,
            &data.registrations,
            &data.months,
            data.tariff,
            days.clone(),
            now,
        )
        .rows
        .iter()
        .any(|r| r.cells.iter().any(|c| c.editable));
        tries += 1;
        if !edit || open || tries > 3 {
            if !open {
                anchor = asked;
                let (first, last) = view.range(anchor);
                days = columns(first, last);
                data = load(&app, &numero, &days).await?;
            }
            break;
        }
        anchor = view.neighbours(anchor).1;
    }
    let grid = grid::build(
        s,
        &data.children,
        &data.registrations,
        &data.months,
        data.tariff,
        days,
        now,
    );
    let moved = (anchor != asked).then(|| {
        (
            NoticeKind::Info,
            format!(
                "Plus aucun jour de la période demandée n'est modifiable (date limite passée) : voici la première période ouverte aux réservations, à partir du {}.",
                dates::long(view.range(anchor).0)
            ),
        )
    });
    let message = q.enregistre.is_some().then(|| {
        let waiting: usize = q.attente.as_deref().and_then(|a| a.parse().ok()).unwrap_or(0);
        let text = if waiting > 0 {
            format!("Planning enregistré. {waiting} jour(s) sans place disponible : en liste d'attente, vous serez prévenu(e) par e-mail si une place se libère.")
        } else {
            "Planning enregistré.".to_owned()
        };
        (NoticeKind::Success, text)
    });
    let message = message
        .or_else(|| q.maladie.is_some().then(|| (NoticeKind::Success, "Absence pour maladie enregistrée. Envoyez le certificat médical (lien « Certificat » dans le planning) pour qu'elle soit justifiée et non facturée.".to_owned())))
        .or_else(|| q.justifiee.is_some().then(|| (NoticeKind::Success, "Certificat reçu : l'absence est justifiée.".to_owned())))
        .or(moved);
    let screen = Screen {
        view,
        anchor,
        edit,
        grid: &grid,
        versions: &data.versions,
        message,
    };
    let markup = page(&family, &csrf, &screen);
    Ok((csrf, markup).into_response())
}

/// Saves one child's month of changes.
pub(crate) async fn save_group(
    app: &App,
    access: &FamilyAccess,
    children: &[Child],
    group: &grid::MonthChanges,
    version: u64,
) -> Result<Vec<Outcome>, SaveError> {
    let child = access
        .child(children, &group.child)
        .map_err(|_| SaveError::UnknownUnit)?;
    planning::save(app, &child, &group.month, version, &group.changes).await
}

async fn save(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let now = app.clock.now();
    let field = |name: &str| first(&fields, name);
    let (view, anchor) = view_of(field("vue"), field("date"), paris_date(now));
    let (first, last) = view.range(anchor);
    let days = columns(first, last);
    let data = load(&app, &numero, &days).await?;
    let s = app.settings.as_ref();
    let grid = grid::build(
        s,
        &data.children,
        &data.registrations,
        &data.months,
        data.tariff,
        days,
        now,
    );
    let refuse = |status: StatusCode, text: String| {
        let screen = Screen {
            view,
            anchor,
            edit: true,
            grid: &grid,
            versions: &data.versions,
            message: Some((NoticeKind::Error, text)),
        };
        (status, page(&family, &csrf, &screen)).into_response()
    };
    if fields.len() > MAX_FIELDS {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Ce formulaire contient trop de champs ({}) : rien n'a été enregistré.",
                fields.len()
            ),
        ));
    }
    let ticked: BTreeSet<String> = every(&fields, "c").map(str::to_owned).collect();
    let asked = match grid::changes(&grid, &ticked) {
        Ok(a) => a,
        Err(_) => {
            return Ok(refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Une des cases envoyées n'est pas modifiable (date limite passée, jour fermé, hors inscription ou enfant d'un autre dossier) : rien n'a été enregistré. Voici votre planning actuel.".into(),
            ));
        }
    };
    let posted_versions: HashMap<(String, String), u64> = every(&fields, "v")
        .filter_map(|v| {
            let mut parts = v.rsplitn(2, '|');
            let version = parts.next()?.parse().ok()?;
            let (child, month) = parts.next()?.split_once('|')?;
            let month = MonthId::parse(month)?;
            Some(((child.to_owned(), month.to_string()), version))
        })
        .collect();
    let mut waiting = 0;
    for group in &asked {
        let key = (group.child.clone(), group.month.clone());
        let version = posted_versions.get(&key).copied().unwrap_or(u64::MAX);
        let child = access.child(&data.children, &group.child)?;
        match save_group(&app, &access, &data.children, group, version).await {
            Ok(outcomes) => waiting += outcomes.iter().filter(|o| **o == Outcome::Waiting).count(),
            Err(SaveError::Conflict) => {
                // Show the current state: reread everything.
                let fresh = load(&app, &numero, &columns(first, last)).await?;
                let grid = grid::build(
                    s,
                    &fresh.children,
                    &fresh.registrations,
                    &fresh.months,
                    fresh.tariff,
                    columns(first, last),
                    now,
                );
                let screen = Screen {
                    view,
                    anchor,
                    edit: true,
                    grid: &grid,
                    versions: &fresh.versions,
                    message: Some((
                        NoticeKind::Error,
                        format!(
                            "Le planning de {} a été modifié entre-temps (dans une autre fenêtre, ou par l'autre responsable) : voici son état actuel. Refaites vos changements puis enregistrez.",
                            child.prenom
                        ),
                    )),
                };
                return Ok((StatusCode::CONFLICT, page(&family, &csrf, &screen)).into_response());
            }
            Err(SaveError::TooMany) => {
                return Ok(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "Trop de changements en une fois pour {} : enregistrez une quinzaine, puis l'autre.",
                        child.prenom
                    ),
                ));
            }
            Err(SaveError::UnknownUnit) => return Err(AppError::BadRequest),
            Err(SaveError::Store(e)) => return Err(e.into()),
        }
    }
    let mut to = format!("{}&enregistre=1", link(view, anchor, false));
    if waiting > 0 {
        to.push_str(&format!("&attente={waiting}"));
    }
    Ok(Redirect::to(&to).into_response())
}
