//! "Modification avancée": a typical week applied to a period, or one
//! child's planning copied to a sibling; both keep to the deadlines and the
//! capacity, and answer day by day what could not be done and why.

use super::{Loaded, load, save_group};
use crate::dossier::Linked;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::{FamilyAccess, Granted};
use shared::accounts::validation::FieldErrors;
use shared::domain::dossier::Child;
use shared::domain::planning::unit_ref;
use shared::layout::family_bar;
use shared::layout::forms::{error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, dates, notice};
use shared::planning::advanced::{self, Plan};
use shared::planning::grid::{self, Grid};
use shared::planning::rules::{columns, paris_date};
use shared::planning::{Outcome, SaveError};
use shared::settings::{Category, Day, Settings};
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm, Family};
use shared::web::form::{every, first};
use std::collections::{BTreeSet, HashMap};

/// Longest period one operation covers.
const MAX_DAYS: i64 = 190;

fn frame(family: &Family, csrf: &Csrf, title: &str, main: Markup) -> Markup {
    layout::render(Page {
        title,
        path: "/planning",
        main: html! {
            (family_bar(&family.account, csrf.field()))
            p { a href="/planning" { "← Retour au planning" } }
            (main)
        },
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AdvancedQuery {
    enfant: Option<String>,
}

/// What the forms hold, as typed.
#[derive(Debug, Default)]
struct Typed {
    du: String,
    au: String,
    ticked: BTreeSet<String>,
    de: String,
    vers: String,
}

fn date_field(name: &'static str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    let error = errors.get(name);
    html! {
        div.field {
            label for=(name) { (label) " " span.required aria-hidden="true" { "*" } }
            input id=(name) name=(name) type="date" value=(value) required
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{name}-erreur"))];
            @if let Some(e) = error { span.error id={ (name) "-erreur" } { "Erreur : " (e) } }
        }
    }
}

fn forms(
    s: &Settings,
    data: &Loaded,
    child: &Child,
    csrf: &Csrf,
    typed: &Typed,
    errors: &FieldErrors,
) -> Markup {
    let registered = |c: &Child| validated_this_year(s, data, c);
    let units: Vec<(&shared::settings::Activity, &shared::settings::Unit)> = s
        .activites
        .iter()
        .filter(|a| a.categorie != Category::Vacances)
        .filter(|a| {
            data.registrations.iter().any(|i| {
                i.enfant == child.id
                    && i.activite == a.id
                    && i.statut == shared::domain::inscription::Status::Validee
            })
        })
        .flat_map(|a| a.unites.iter().map(move |u| (a, u)))
        .collect();
    let siblings: Vec<&Child> = data.children.iter().filter(|c| registered(c)).collect();
    html! {
        (error_summary(errors, &[("du", "Du"), ("au", "Au"), ("s", "Semaine type"), ("vers", "Vers"), ("copie_du", "Du (copie)"), ("copie_au", "Au (copie)")]))
        @if siblings.len() > 1 {
            nav.views aria-label="Enfant" {
                @for c in &siblings {
                    a href={ "/planning/avancee?enfant=" (c.id) } aria-current=[(c.id == child.id).then_some("page")] { (c.prenom) }
                }
            }
        }
        h2 { "Semaine type de " (child.prenom) }
        p { "Cochez, pour chaque unité, les jours de la semaine à réserver : sur la période, ces jours sont réservés et les autres annulés. Les unités sans jour coché ne changent pas. Les dates limites et les places restent respectées. Un aperçu montre chaque jour avant d'enregistrer." }
        (required_note())
        form.stack method="post" action="/planning/semaine-type" novalidate {
            (csrf.field())
            input type="hidden" name="enfant" value=(child.id);
            (date_field("du", "Du", &typed.du, errors))
            (date_field("au", "Au", &typed.au, errors))
            @for (a, u) in &units {
                fieldset {
                    legend { (u.nom) }
                    @for day in Day::ALL.iter().filter(|d| a.jours.contains(d)) {
                        @let value = format!("{}|{}", unit_ref(&a.id, &u.id), day.id());
                        @let id = format!("s-{}-{}-{}", a.id, u.id, day.id());
                        div.check {
                            input type="checkbox" id=(id) name="s" value=(value) checked[typed.ticked.contains(&value)];
                            label for=(id) { (day.id()) }
                        }
                    }
                }
            }
            @if let Some(e) = errors.get("s") { p.error #s { "Erreur : " (e) } }
            button type="submit" { "Voir l'aperçu de la semaine type" }
        }
        @if siblings.len() > 1 {
            h2 { "Copier un planning vers un frère ou une sœur" }
            p { "Pour les unités où les deux enfants sont inscrits, les jours du premier sont ajoutés à ceux du second sur la période — ou les remplacent. Un aperçu montre chaque jour avant d'enregistrer." }
            form.stack method="post" action="/planning/copie" novalidate {
                (csrf.field())
                div.field {
                    label for="de" { "Copier le planning de" }
                    select #de name="de" { @for c in &siblings { option value=(c.id) selected[typed.de == c.id || (typed.de.is_empty() && c.id == child.id)] { (c.prenom) } } }
                }
                div.field {
                    label for="vers" { "Vers" }
                    select #vers name="vers" aria-invalid=[errors.get("vers").map(|_| "true")] aria-describedby=[errors.get("vers").map(|_| "vers-erreur")] {
                        @for c in &siblings { option value=(c.id) selected[typed.vers == c.id || (typed.vers.is_empty() && siblings.iter().find(|o| o.id != child.id).is_some_and(|o| o.id == c.id))] { (c.prenom) } }
                    }
                    @if let Some(e) = errors.get("vers") { span.error #vers-erreur { "Erreur : " (e) } }
                }
                (date_field("copie_du", "Du", &typed.du, errors))
                (date_field("copie_au", "Au", &typed.au, errors))
                fieldset {
                    legend { "Les jours du second enfant" }
                    div.check { input #mode-ajouter type="radio" name="mode" value="ajouter" checked; label for="mode-ajouter" { "Ajouter les jours copiés aux siens" } }
                    div.check { input #mode-remplacer type="radio" name="mode" value="remplacer"; label for="mode-remplacer" { "Remplacer ses jours par les jours copiés" } }
                }
                button type="submit" { "Voir l'aperçu de la copie" }
            }
        }
    }
}

/// Whether a child has a validated registration this school year.
fn validated_this_year(s: &Settings, data: &Loaded, c: &Child) -> bool {
    let year = s.school_year();
    data.registrations.iter().any(|i| {
        i.enfant == c.id
            && i.annee == year
            && i.statut == shared::domain::inscription::Status::Validee
    })
}

/// The family's child named by the form (or, without one, the first) among
/// those with a validated registration this school year.
fn first_registered(
    s: &Settings,
    access: &FamilyAccess,
    data: &Loaded,
    wanted: Option<&str>,
) -> Option<Granted<Child>> {
    let registered = |c: &Child| validated_this_year(s, data, c);
    let id = match wanted {
        Some(id) => id,
        None => &data.children.iter().find(|c| registered(c))?.id,
    };
    access
        .child(&data.children, id)
        .ok()
        .filter(|c| registered(c))
}

pub async fn show(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    Query(q): Query<AdvancedQuery>,
) -> Result<Response, AppError> {
    let data = load(&app, &numero, &[]).await?;
    let Some(child) = first_registered(&app.settings, &access, &data, q.enfant.as_deref()) else {
        if q.enfant.is_some() {
            return Err(AppError::NotFound);
        }
        let page = frame(
            &family,
            &csrf,
            "Modifications avancées du planning",
            html! {
                p { "Aucune inscription validée : rien à planifier pour l'instant." }
            },
        );
        return Ok((csrf, page).into_response());
    };
    let today = paris_date(app.clock.now());
    // By default, until the end of next month (never past the year).
    let next_month_end = shared::ids::MonthId::of(
        shared::ids::MonthId::of(today).last_day() + chrono::Duration::days(1),
    )
    .last_day()
    .min(app.settings.as_ref().calendrier.annee_fin);
    let typed = Typed {
        du: today.to_string(),
        au: next_month_end.to_string(),
        ..Typed::default()
    };
    let main = forms(
        &app.settings,
        &data,
        &child,
        &csrf,
        &typed,
        &FieldErrors::new(),
    );
    let page = frame(&family, &csrf, "Modifications avancées du planning", main);
    Ok((csrf, page).into_response())
}

/// The period asked: valid dates, in order, within the school year and
/// at most [`MAX_DAYS`] long.
fn period(
    s: &Settings,
    du: &str,
    au: &str,
    errors: &mut FieldErrors,
) -> Option<(NaiveDate, NaiveDate)> {
    let cal = &s.calendrier;
    let parse = |v: &str| shared::import::parse_date(v);
    let (from, to) = (parse(du), parse(au));
    if from.is_none() {
        errors.insert("du", "Date invalide (JJ/MM/AAAA).".into());
    }
    if to.is_none() {
        errors.insert("au", "Date invalide (JJ/MM/AAAA).".into());
    }
    let (from, to) = (from?, to?);
    if to < from {
        errors.insert("au", "La fin de la période est avant son début.".into());
    } else if from < cal.annee_debut || to > cal.annee_fin {
        errors.insert(
            "du",
            format!(
                "La période doit rester dans l'année scolaire (du {} au {}).",
                dates::numeric(cal.annee_debut),
                dates::numeric(cal.annee_fin)
            ),
        );
    } else if (to - from).num_days() >= MAX_DAYS {
        errors.insert("au", format!("{MAX_DAYS} jours au plus en une fois."));
    }
    errors.is_empty().then_some((from, to))
}

/// "Léa, Repas" for a change of a plan.
fn who(s: &Settings, data: &Loaded, child: &str, change: &shared::planning::Change) -> String {
    let prenom = data
        .children
        .iter()
        .find(|c| c.id == child)
        .map_or("", |c| c.prenom.as_str());
    let unit = s
        .activity(&change.activity)
        .and_then(|a| a.unites.iter().find(|u| u.id == change.unit))
        .map_or(change.unit.as_str(), |u| u.nom.as_str());
    format!("{prenom}, {unit}")
}

/// The days a plan leaves out, and why (closed days are no news).
fn skipped_table(plan: &Plan) -> Markup {
    html! {
        @if !plan.skipped.is_empty() {
            table.data.stacked {
                caption { "Jours non modifiés, et pourquoi" }
                thead { tr { th scope="col" { "Jour" } th scope="col" { "Enfant" } th scope="col" { "Unité" } th scope="col" { "Demande" } th scope="col" { "Raison" } } }
                tbody {
                    @for s in &plan.skipped {
                        tr {
                            td data-label="Jour" { (dates::with_weekday(s.day)) }
                            td data-label="Enfant" { (s.child) }
                            td data-label="Unité" { (s.unit) }
                            td data-label="Demande" { (if s.wanted { "réserver" } else { "annuler" }) }
                            td data-label="Raison" { (s.reason.label()) }
                        }
                    }
                }
            }
        }
    }
}

/// What a plan would do, day by day, before anything is saved.
fn preview(s: &Settings, data: &Loaded, plan: &Plan, title: &str, confirm: Markup) -> Markup {
    let mut lines: Vec<(NaiveDate, String, bool)> = plan
        .changes
        .iter()
        .flat_map(|g| {
            g.changes
                .iter()
                .map(|c| (c.slot, who(s, data, &g.child, c), c.reserve))
        })
        .collect();
    lines.sort();
    html! {
        h2 { (title) " — aperçu" }
        (notice(NoticeKind::Info, "Rien n'est encore enregistré : vérifiez les jours ci-dessous, puis confirmez."))
        @if lines.is_empty() {
            p { "Rien à changer : le planning est déjà ainsi." }
        } @else {
            ul {
                @for (day, label, reserve) in &lines {
                    li { (dates::with_weekday(*day)) " — " (label) " : " strong { @if *reserve { "à réserver" } @else { "à annuler" } } }
                }
            }
        }
        (skipped_table(plan))
        @if !lines.is_empty() { (confirm) }
        p { a href="/planning/avancee" { "Modifier la demande" } }
    }
}

/// Saves a plan month by month (each month read just before) and the page
/// that tells, day by day, what was done and what was not.
async fn apply(
    app: &App,
    access: &FamilyAccess,
    data: &Loaded,
    plan: Plan,
    title: &str,
) -> Result<Markup, AppError> {
    let s = app.settings.as_ref();
    let mut done: Vec<(NaiveDate, String, &'static str)> = Vec::new();
    let mut failed = Vec::new();
    for group in &plan.changes {
        let version = data
            .versions
            .get(&(group.child.clone(), group.month.clone()))
            .copied()
            .unwrap_or(0);
        match save_group(app, access, &data.children, group, version).await {
            Ok(outcomes) => {
                for (o, change) in outcomes.iter().zip(&group.changes) {
                    let label = match o {
                        Outcome::Reserved => "réservé",
                        Outcome::Waiting => "en liste d'attente (plus de place)",
                        Outcome::Cancelled | Outcome::LeftWaitingList => "annulé",
                        Outcome::Unchanged => continue,
                    };
                    done.push((change.slot, who(s, data, &group.child, change), label));
                }
            }
            Err(SaveError::Conflict | SaveError::TooMany) => failed.push(group.month.clone()),
            Err(SaveError::UnknownUnit) => return Err(AppError::BadRequest),
            Err(SaveError::Store(e)) => return Err(e.into()),
        }
    }
    done.sort();
    let count = |label: &str| done.iter().filter(|(_, _, l)| *l == label).count();
    Ok(html! {
        h2 { (title) }
        @if done.is_empty() && plan.skipped.is_empty() && failed.is_empty() {
            p { "Rien à changer : le planning était déjà ainsi." }
        }
        @if !done.is_empty() {
            p { (count("réservé")) " jour(s) réservé(s), " (count("annulé")) " jour(s) annulé(s)"
                @if count("en liste d'attente (plus de place)") > 0 { ", " (count("en liste d'attente (plus de place)")) " en liste d'attente" } "." }
            ul {
                @for (day, label, what) in &done {
                    li { (dates::with_weekday(*day)) " — " (label) " : " strong { (what) } }
                }
            }
        }
        @for month in &failed {
            (notice(NoticeKind::Error, &format!("Le mois {month} n'a pas été modifié : trop de changements ou planning modifié pendant l'opération. Relancez sur une période plus courte.")))
        }
        (skipped_table(&plan))
        p { a href="/planning" { "Voir le planning" } }
    })
}

fn build_grid<'a>(app: &'a App, data: &'a Loaded, from: NaiveDate, to: NaiveDate) -> Grid<'a> {
    grid::build(
        app.settings.as_ref(),
        &data.children,
        &data.registrations,
        &data.months,
        data.tariff,
        columns(from, to),
        app.clock.now(),
    )
}

/// A checked operation, ready to run: the forms again (422) if the period
/// or a field is wrong, else the plan applied and its report.
struct Request<'a> {
    family: &'a Family,
    access: &'a FamilyAccess,
    data: &'a Loaded,
    form_child: &'a Child,
    typed: &'a Typed,
    errors: &'a FieldErrors,
    range: Option<(NaiveDate, NaiveDate)>,
    done: &'static str,
    /// The form as posted (sent again by "Confirmer") and where it goes.
    fields: &'a [(String, String)],
    action: &'static str,
}

async fn run(
    app: &App,
    csrf: Csrf,
    r: Request<'_>,
    plan: impl FnOnce(&Grid) -> Plan,
    title: impl FnOnce(NaiveDate, NaiveDate) -> String,
) -> Result<Response, AppError> {
    let Some((from, to)) = r.range.filter(|_| r.errors.is_empty()) else {
        let main = forms(
            &app.settings,
            r.data,
            r.form_child,
            &csrf,
            r.typed,
            r.errors,
        );
        let page = frame(r.family, &csrf, "Modifications avancées du planning", main);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let grid = build_grid(app, r.data, from, to);
    let plan = plan(&grid);
    let title = title(from, to);
    if first(r.fields, "confirmer") != Some("1") {
        let confirm = html! {
            form method="post" action=(r.action) {
                (csrf.field())
                @for (k, v) in r.fields.iter().filter(|(k, _)| k != "_csrf" && k != "confirmer") {
                    input type="hidden" name=(k) value=(v);
                }
                input type="hidden" name="confirmer" value="1";
                button type="submit" { "Confirmer ces changements" }
            }
        };
        let main = preview(&app.settings, r.data, &plan, &title, confirm);
        let page = frame(r.family, &csrf, "Modifications avancées : aperçu", main);
        return Ok((csrf, page).into_response());
    }
    let report = apply(app, r.access, r.data, plan, &title).await?;
    let page = frame(r.family, &csrf, r.done, report);
    Ok((csrf, page).into_response())
}

pub async fn typical_week(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| first(&fields, name).unwrap_or("");
    let typed = Typed {
        du: field("du").chars().take(20).collect(),
        au: field("au").chars().take(20).collect(),
        ticked: every(&fields, "s").map(str::to_owned).take(200).collect(),
        ..Typed::default()
    };
    let mut errors = FieldErrors::new();
    let range = period(&app.settings, &typed.du, &typed.au, &mut errors);
    let days = range.map(|(f, t)| columns(f, t)).unwrap_or_default();
    let data = load(&app, &numero, &days).await?;
    let child = first_registered(&app.settings, &access, &data, Some(field("enfant")))
        .ok_or(AppError::NotFound)?;
    let mut week: HashMap<String, BTreeSet<Day>> = HashMap::new();
    for v in &typed.ticked {
        let parsed = v
            .rsplit_once('|')
            .and_then(|(unit, day)| Some((unit, Day::parse(day)?)));
        match parsed {
            Some((unit, day)) => {
                week.entry(unit.to_owned()).or_default().insert(day);
            }
            None => {
                errors.insert("s", "Jour inconnu dans la semaine type.".into());
            }
        }
    }
    if week.is_empty() && !errors.contains_key("s") {
        errors.insert("s", "Cochez au moins un jour pour une unité.".into());
    }
    let request = Request {
        family: &family,
        access: &access,
        data: &data,
        form_child: &child,
        typed: &typed,
        errors: &errors,
        range,
        done: "Semaine type appliquée",
        fields: &fields,
        action: "/planning/semaine-type",
    };
    run(
        &app,
        csrf,
        request,
        |grid| advanced::typical_week(grid, &child.id, &week),
        |from, to| {
            format!(
                "Semaine type de {} du {} au {}",
                child.prenom,
                dates::long(from),
                dates::long(to)
            )
        },
    )
    .await
}

pub async fn copy(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |name: &str| first(&fields, name).unwrap_or("");
    let typed = Typed {
        du: field("copie_du").chars().take(20).collect(),
        au: field("copie_au").chars().take(20).collect(),
        de: field("de").chars().take(60).collect(),
        vers: field("vers").chars().take(60).collect(),
        ..Typed::default()
    };
    let mut errors = FieldErrors::new();
    let range = period(&app.settings, &typed.du, &typed.au, &mut errors);
    // The copy form's own date fields carry its errors.
    for (from, to) in [("du", "copie_du"), ("au", "copie_au")] {
        if let Some(e) = errors.remove(from) {
            errors.insert(to, e);
        }
    }
    let days = range.map(|(f, t)| columns(f, t)).unwrap_or_default();
    let data = load(&app, &numero, &days).await?;
    let from_child = first_registered(&app.settings, &access, &data, Some(&typed.de))
        .ok_or(AppError::NotFound)?;
    let to_child = first_registered(&app.settings, &access, &data, Some(&typed.vers))
        .ok_or(AppError::NotFound)?;
    let replace = field("mode") == "remplacer";
    if from_child.id == to_child.id {
        errors.insert(
            "vers",
            "Choisissez un autre enfant que celui dont le planning est copié.".into(),
        );
    }
    let request = Request {
        family: &family,
        access: &access,
        data: &data,
        form_child: &from_child,
        typed: &typed,
        errors: &errors,
        range,
        done: "Planning copié",
        fields: &fields,
        action: "/planning/copie",
    };
    run(
        &app,
        csrf,
        request,
        |grid| advanced::copy_to_sibling(grid, &from_child.id, &to_child.id, replace),
        |from, to| {
            format!(
                "Planning de {} copié vers {} du {} au {}",
                from_child.prenom,
                to_child.prenom,
                dates::long(from),
                dates::long(to)
            )
        },
    )
    .await
}
