//! Facturation, the régie's side (`/agents/facturation`): campaigns (open,
//! follow, read the journal, ignore an error line with a reason, run again,
//! publish), the unpaid invoices for the Trésor public (CSV, hand-over),
//! an invoice of a dossier with its counter payments. Deciding takes the
//! régie's `Decider`; reading is open to every agent.

use super::agent_bar;
use crate::factures::{invoice_lines, lines_table, pdf_response, scrolling};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Months, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::{Decider, Granted};
use shared::accounts::validation::FieldErrors;
use shared::billing::campaigns::{self, CampaignError, OpenForm, REGIE};
use shared::billing::invoices::{self, Means, PaymentForm};
use shared::domain::campaign::{Campaign, Draft, Level, Stage};
use shared::domain::invoice::Invoice;
use shared::ids::{DossierNumber, MonthId, in_path};
use shared::layout::forms::{Field, error_summary};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::planning::rules::paris_date;
use shared::pricing::euros;
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use std::time::{Duration, Instant};

/// How long a request drives a campaign before leaving the rest to the
/// jobs (the page follows the progress).
const IN_REQUEST: Duration = Duration::from_secs(2);
/// Draft invoices shown per page of a campaign.
const DRAFTS_PER_PAGE: usize = 50;

fn regie(agent: &Agent) -> Result<Decider, AppError> {
    Ok(agent.access.decider(REGIE)?)
}

/// Drives a campaign's work for a moment (small towns finish here).
async fn drive(app: &App) {
    if let Err(e) = campaigns::advance(app, Instant::now() + IN_REQUEST).await {
        tracing::error!(error = %e, "facturation : étape interrompue, reprise par les travaux périodiques");
    }
}

const OPEN_LABELS: &[(&str, &str)] = &[
    ("mois", "Mois facturé"),
    ("activites", "Activités"),
    ("emise_le", "Date d'émission"),
    ("echeance", "Date d'échéance"),
    ("prelevement_le", "Date de prélèvement"),
];

/// The months a campaign may bill: the twelve before this one.
fn billable_months(today: NaiveDate) -> Vec<MonthId> {
    let first = today.with_day(1).unwrap_or(today);
    (1..=12)
        .filter_map(|n| first.checked_sub_months(Months::new(n)))
        .map(MonthId::of)
        .collect()
}

/// The campaigns page: the list and the opening form (kept as typed when
/// refused).
pub fn campaigns_page(
    s: &Settings,
    bar: Markup,
    csrf: Markup,
    list: &[Campaign],
    form: &OpenForm,
    errors: &FieldErrors,
    today: NaiveDate,
) -> Markup {
    layout::render(Page {
        title: "Facturation",
        path: "/agents/facturation",
        main: html! {
            (bar)
            p {
                a href="/agents" { "← Espace agents" } " · " a href="/agents/facturation/impayes" { "Impayés à transmettre au Trésor public" }
                " · " a href="/agents/facturation/mandats" { "Mandats de prélèvement" }
                " · " a href="/agents/facturation/prelevements" { "Remises de prélèvement" }
            }
            h2 { "Campagnes" }
            @if list.is_empty() { p { "Aucune campagne pour le moment." } } @else {
                (scrolling("Campagnes de facturation", html! {
                    table.data {
                        caption { "Campagnes de facturation" }
                        thead { tr { th scope="col" { "Mois" } th scope="col" { "Type" } th scope="col" { "Étape" } th scope="col" { "Familles" } th scope="col" { "En erreur" } th scope="col" { "Total" } } }
                        tbody {
                            @for c in list {
                                tr {
                                    td { a href={ "/agents/facturation/" (c.id) } { (campaigns::period_label(&c.mois)) } }
                                    td { (c.kind_label()) }
                                    td { (c.etape.label()) }
                                    td.num { (c.progression.familles) }
                                    td.num { (c.progression.erreurs) }
                                    td.num { (euros(c.progression.total)) }
                                }
                            }
                        }
                    }
                }))
            }
            h2 #ouvrir { "Ouvrir une campagne" }
            (error_summary(errors, OPEN_LABELS))
            form.stack method="post" action="/agents/facturation" novalidate {
                (csrf)
                div.field {
                    label for="mois" { "Mois facturé" }
                    select #mois name="mois" aria-invalid=[errors.get("mois").map(|_| "true")] aria-describedby=[errors.get("mois").map(|_| "mois-erreur")] {
                        @for m in billable_months(today) {
                            option value=(m) selected[form.mois == m.to_string()] { (m.label()) }
                        }
                    }
                    @if let Some(m) = errors.get("mois") { span.error #mois-erreur { "Erreur : " (m) } }
                }
                fieldset aria-describedby=[errors.get("activites").map(|_| "activites-erreur")] {
                    legend { "Activités" }
                    @for a in &s.activites {
                        div.check {
                            input id={ "act-" (a.id) } type="checkbox" name="activites" value=(a.id) checked[form.activites.contains(&a.id)];
                            label for={ "act-" (a.id) } { (a.nom) }
                        }
                    }
                    @if let Some(m) = errors.get("activites") { span.error #activites-erreur { "Erreur : " (m) } }
                }
                (Field::text("emise_le", "Date d'émission", &form.emise_le).kind("date").render(errors))
                (Field::text("echeance", "Date d'échéance", &form.echeance).kind("date").render(errors))
                (Field::text("prelevement_le", "Date de prélèvement (familles en prélèvement)", &form.prelevement_le).kind("date").optional().render(errors))
                div.check {
                    input #corrective type="checkbox" name="corrective" value="1" checked[form.corrective.is_some()];
                    label for="corrective" { "Campagne corrective (un mois déjà facturé : seules les différences)" }
                }
                button type="submit" { "Ouvrir et calculer le brouillon" }
            }
        },
    })
}

fn today(app: &App) -> NaiveDate {
    paris_date(app.clock.now())
}

pub async fn list(State(app): State<App>, agent: Agent, csrf: Csrf) -> Result<Response, AppError> {
    let all = campaigns::list(app.store.as_ref()).await?;
    let t = today(&app);
    let form = OpenForm {
        mois: billable_months(t)
            .first()
            .map(|m| m.to_string())
            .unwrap_or_default(),
        activites: app
            .settings
            .activites
            .iter()
            .map(|a| a.id.clone())
            .collect(),
        emise_le: t.to_string(),
        echeance: (t + chrono::Duration::days(30)).to_string(),
        ..OpenForm::default()
    };
    let markup = campaigns_page(
        &app.settings,
        agent_bar(&agent, &csrf),
        csrf.field(),
        &all,
        &form,
        &FieldErrors::new(),
        t,
    );
    Ok((csrf, markup).into_response())
}

pub async fn open(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    use shared::web::form::{every, first};
    let text = |name: &str| first(&pairs, name).unwrap_or_default().to_owned();
    let form = OpenForm {
        mois: text("mois"),
        activites: every(&pairs, "activites").map(str::to_owned).collect(),
        emise_le: text("emise_le"),
        echeance: text("echeance"),
        prelevement_le: text("prelevement_le"),
        corrective: first(&pairs, "corrective").map(str::to_owned),
    };
    let all = campaigns::list(app.store.as_ref()).await?;
    let t = today(&app);
    match campaigns::check_opening(&app.settings, &form, t, &all) {
        Ok(opening) => {
            let c = campaigns::open(&app, &decider, opening).await?;
            drive(&app).await;
            Ok(Redirect::to(&format!("/agents/facturation/{}", c.id)).into_response())
        }
        Err(errors) => {
            let markup = campaigns_page(
                &app.settings,
                agent_bar(&agent, &csrf),
                csrf.field(),
                &all,
                &form,
                &errors,
                t,
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
        }
    }
}

/// What the campaign page shows.
pub struct CampaignView<'a> {
    pub campaign: &'a Campaign,
    pub version: u64,
    pub journal: &'a [Draft],
    /// A page of the draft invoices, and whether more follow.
    pub drafts: &'a [Draft],
    pub more: bool,
    pub csrf: Markup,
    pub ignore_errors: &'a FieldErrors,
    /// The line whose ignore form was refused, and the reason typed.
    pub ignore_kept: Option<(&'a str, &'a str)>,
}

/// Journal lines of one level and message, each with its family's draft.
type Group<'a> = Vec<(&'a Draft, &'a shared::domain::campaign::JournalLine)>;

/// Journal lines grouped by level and message (errors first).
fn grouped(journal: &[Draft]) -> std::collections::BTreeMap<(Level, String), Group<'_>> {
    let mut groups: std::collections::BTreeMap<(Level, String), Group<'_>> = Default::default();
    for d in journal {
        for j in &d.journal {
            groups
                .entry((j.niveau, j.message.clone()))
                .or_default()
                .push((d, j));
        }
    }
    groups
}

pub fn campaign_page(s: &Settings, bar: Markup, v: &CampaignView) -> Markup {
    let c = v.campaign;
    let p = &c.progression;
    let title = format!(
        "Campagne {} de {}",
        c.kind_label(),
        campaigns::period_label(&c.mois)
    );
    let activities: Vec<&str> = c
        .activites
        .iter()
        .map(|a| s.activity(a).map_or(a.as_str(), |x| x.nom.as_str()))
        .collect();
    layout::render(Page {
        title: &title,
        path: "/agents/facturation",
        main: html! {
            (bar)
            p { a href="/agents/facturation" { "← Campagnes" } }
            @if c.etape.working() {
                div.notice.notice-info role="status" {
                    p { strong { (c.etape.label()) } " : " (p.familles) " famille(s) traitées" @if c.etape == Stage::Publication { ", " (p.publiees) " facture(s) publiées" } ". "
                        a href={ "/agents/facturation/" (c.id) } { "Actualiser" } }
                }
            }
            dl.facts {
                dt { "Activités" } dd { (activities.join(", ")) }
                dt { "Émission" } dd { (c.emise_le.format("%d/%m/%Y")) }
                dt { "Échéance" } dd { (c.echeance.format("%d/%m/%Y")) }
                @if let Some(d) = c.prelevement_le { dt { "Prélèvement" } dd { (d.format("%d/%m/%Y")) } }
                dt { "Étape" } dd { (c.etape.label()) " (calcul n° " (c.run) ")" }
                dt { "Familles" } dd { (p.familles) " : " (p.ok) " sans remarque, " (p.avertissements) " avec avertissement, " strong { (p.erreurs) " en erreur" } }
                dt { "Total du brouillon" } dd { (euros(p.total)) }
                @if c.etape == Stage::Publiee || c.etape == Stage::Publication { dt { "Publiées" } dd { (p.publiees) " facture(s) et avoir(s)" } }
            }
            @if c.etape == Stage::Brouillon {
                div.actions {
                    form method="post" action={ "/agents/facturation/" (c.id) "/relancer" } {
                        (v.csrf) input type="hidden" name="version" value=(v.version);
                        button type="submit" { "Relancer le calcul" }
                    }
                    form method="post" action={ "/agents/facturation/" (c.id) "/abandonner" } {
                        (v.csrf) input type="hidden" name="version" value=(v.version);
                        button.button-secondary type="submit" { "Abandonner ce brouillon" }
                    }
                    @if p.erreurs == 0 {
                        form method="post" action={ "/agents/facturation/" (c.id) "/publier" } {
                            (v.csrf) input type="hidden" name="version" value=(v.version);
                            button type="submit" { "Publier les factures" }
                        }
                    } @else {
                        p { "Publication possible quand aucune famille n'est en erreur : pointez les jours manquants (ou ignorez-les avec un motif), puis relancez le calcul." }
                    }
                }
            }
            h2 { "Journal" }
            @if v.journal.is_empty() { p { "Aucune erreur ni avertissement." } }
            @for ((level, message), lines) in grouped(v.journal) {
                h3 { (level.label()) " : " (message) " (" (lines.len()) ")" }
                ul.cards {
                    @for (d, j) in lines {
                        @let day_ref = j.day_ref();
                        li {
                            p { strong { (j.enfant_nom) } " — dossier " a href={ "/agents/dossiers/" (in_path(&d.dossier)) } { (d.dossier) } }
                            p { (j.jour.format("%d/%m/%Y")) ", " (s.activity(&j.activite).map_or(j.activite.as_str(), |a| a.nom.as_str())) " (" (j.unite) ")" }
                            @if level == Level::Erreur {
                                p { a href={ "/agents/pointage?jour=" (j.jour) "&activite=" (j.activite) } { "Pointer ce jour" } }
                                @if c.etape == Stage::Brouillon {
                                    @let id = format!("motif-{}-{}", d.dossier.replace('/', "-"), day_ref.replace('#', "-"));
                                    @let kept = v.ignore_kept.filter(|(r, _)| *r == format!("{}#{}", d.dossier, day_ref));
                                    form.stack method="post" action={ "/agents/facturation/" (c.id) "/ignorer" } novalidate {
                                        (v.csrf)
                                        input type="hidden" name="dossier" value=(d.dossier);
                                        input type="hidden" name="jour" value=(day_ref);
                                        div.field {
                                            label for=(id) { "Motif pour ignorer cette ligne" }
                                            input id=(id) name="motif" type="text" maxlength="300" value=[kept.map(|k| k.1)]
                                                aria-invalid=[kept.and(v.ignore_errors.get("motif")).map(|_| "true")]
                                                aria-describedby=[kept.and(v.ignore_errors.get("motif")).map(|_| format!("{id}-erreur"))];
                                            @if let Some(m) = kept.and(v.ignore_errors.get("motif")) { span.error id={ (id) "-erreur" } { "Erreur : " (m) } }
                                        }
                                        button type="submit" { "Ignorer la ligne" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Factures du brouillon" }
            @if v.drafts.is_empty() { p { "Aucune facture dans ce brouillon." } }
            @for d in v.drafts {
                details {
                    summary { "Dossier " (d.dossier) " — " (d.payeur) " — " (euros(d.total)) @if d.errors() > 0 { " — en erreur" } }
                    (lines_table(&format!("Brouillon du dossier {}", d.dossier), &d.lignes, &[("Total", d.total, true)]))
                }
            }
            @if v.more {
                @if let Some(last) = v.drafts.last() {
                    p { a href={ "/agents/facturation/" (c.id) "?apres=" (in_path(&last.dossier)) } { "Familles suivantes →" } }
                }
            }
        },
    })
}

async fn campaign(app: &App, raw: &str) -> Result<(Campaign, u64), AppError> {
    let id = shared::web::record_id(raw)?;
    campaigns::load(app.store.as_ref(), id.as_str())
        .await?
        .ok_or(AppError::NotFound)
}

/// How the campaign page is asked for: its status, a refused ignore form
/// (its errors, the line and the reason typed), the page of drafts.
struct Asked<'a> {
    status: StatusCode,
    errors: &'a FieldErrors,
    kept: Option<(&'a str, &'a str)>,
    after: Option<&'a str>,
}

async fn show_campaign(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    raw: &str,
    asked: Asked<'_>,
) -> Result<Response, AppError> {
    let Asked {
        status,
        errors,
        kept,
        after,
    } = asked;
    let (c, version) = campaign(app, raw).await?;
    let journal = campaigns::journal(app.store.as_ref(), &c).await?;
    let after = after.and_then(|a| DossierNumber::parse(a).ok());
    let (drafts, more) = campaigns::drafts(
        app.store.as_ref(),
        &c,
        after.as_ref().map(|n| n.as_str()),
        DRAFTS_PER_PAGE,
    )
    .await?;
    let markup = campaign_page(
        &app.settings,
        agent_bar(agent, &csrf),
        &CampaignView {
            campaign: &c,
            version,
            journal: &journal,
            drafts: &drafts,
            more,
            csrf: csrf.field(),
            ignore_errors: errors,
            ignore_kept: kept,
        },
    );
    let mut response = (status, csrf, markup).into_response();
    if c.etape.working() {
        // The page follows the job's progress.
        response
            .headers_mut()
            .insert("refresh", HeaderValue::from_static("3"));
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    apres: Option<String>,
}

pub async fn view(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (errors, after) = (FieldErrors::new(), q.apres.as_deref());
    let asked = Asked {
        status: StatusCode::OK,
        errors: &errors,
        kept: None,
        after,
    };
    show_campaign(&app, &agent, csrf, &id, asked).await
}

#[derive(Debug, Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: String,
}

/// A step the régie asks of a campaign.
#[derive(Clone, Copy)]
enum Step {
    Rerun,
    Publish,
    Abandon,
}

/// Takes a step decided on the campaign as the page showed it; a second
/// click finds the campaign moved on, and the page shows where it is.
async fn take_step(
    app: &App,
    agent: &Agent,
    raw: &str,
    version: &str,
    step: Step,
) -> Result<Response, AppError> {
    let decider = regie(agent)?;
    let id = shared::web::record_id(raw)?;
    let version = version.parse().unwrap_or(u64::MAX);
    let taken = match step {
        Step::Rerun => campaigns::rerun(app, &decider, id.as_str(), version).await,
        Step::Publish => campaigns::publish(app, &decider, id.as_str(), version).await,
        Step::Abandon => campaigns::abandon(app, &decider, id.as_str(), version).await,
    };
    match taken {
        Ok(_) => drive(app).await,
        Err(CampaignError::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/agents/facturation/{id}")).into_response())
}

pub async fn rerun(
    State(app): State<App>,
    agent: Agent,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    take_step(&app, &agent, &id, &f.version, Step::Rerun).await
}

pub async fn publish(
    State(app): State<App>,
    agent: Agent,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    take_step(&app, &agent, &id, &f.version, Step::Publish).await
}

pub async fn abandon(
    State(app): State<App>,
    agent: Agent,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    take_step(&app, &agent, &id, &f.version, Step::Abandon).await
}

#[derive(Debug, Deserialize)]
pub struct IgnoreForm {
    #[serde(default)]
    dossier: String,
    #[serde(default)]
    jour: String,
    #[serde(default)]
    motif: String,
}

pub async fn ignore(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<IgnoreForm>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let (c, _) = campaign(&app, &raw).await?;
    let numero = DossierNumber::parse(&f.dossier).map_err(|_| AppError::NotFound)?;
    let draft = campaigns::draft_of(app.store.as_ref(), &c, numero.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let line = draft
        .journal
        .iter()
        .find(|j| j.niveau == Level::Erreur && j.day_ref() == f.jour)
        .ok_or(AppError::NotFound)?;
    let reason = match shared::accounts::validation::text(&f.motif) {
        Ok(r) => r,
        Err(m) => {
            let mut errors = FieldErrors::new();
            errors.insert("motif", m);
            let kept = format!("{}#{}", numero.as_str(), f.jour);
            let asked = Asked {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                errors: &errors,
                kept: Some((&kept, &f.motif)),
                after: None,
            };
            return show_campaign(&app, &agent, csrf, &raw, asked).await;
        }
    };
    campaigns::ignore(&app, &decider, &c, line, numero.as_str(), &reason).await?;
    Ok(Redirect::to(&format!("/agents/facturation/{}", c.id)).into_response())
}

/// The unpaid list for the Trésor public.
pub fn unpaid_page(bar: Markup, csrf: Markup, list: &[Invoice], marked: Option<usize>) -> Markup {
    let total: rust_decimal::Decimal = list.iter().map(|i| i.due()).sum();
    layout::render(Page {
        title: "Impayés à transmettre au Trésor public",
        path: "/agents/facturation",
        main: html! {
            (bar)
            p { a href="/agents/facturation" { "← Campagnes" } }
            @if let Some(n) = marked { (notice(NoticeKind::Success, &format!("{n} facture(s) marquée(s) « transmise au Trésor public »."))) }
            p { "Factures échues et non réglées d'au moins " (euros(invoices::RECOVERY_THRESHOLD)) " (en dessous, la dette n'est pas mise en recouvrement, CGCT art. D1611-1) : " (list.len()) " facture(s), " (euros(total)) "." }
            @if !list.is_empty() {
                p { a href="/agents/facturation/impayes.csv" download { "Télécharger la liste (CSV, pour le titre de recettes)" } }
                (scrolling("Factures impayées", html! {
                    table.data {
                        caption { "Factures impayées" }
                        thead { tr { th scope="col" { "Facture" } th scope="col" { "Dossier" } th scope="col" { "Redevable" } th scope="col" { "Échéance" } th scope="col" { "Reste dû" } } }
                        tbody {
                            @for i in list {
                                tr {
                                    td { a href={ "/agents/dossiers/" (in_path(&i.dossier)) "/factures/" (i.numero) } { (i.numero) } }
                                    td { (i.dossier) }
                                    td { (i.payeur) }
                                    td { (i.echeance.format("%d/%m/%Y")) }
                                    td.num { (euros(i.due())) }
                                }
                            }
                        }
                    }
                }))
                form method="post" action="/agents/facturation/impayes/transmettre" {
                    (csrf)
                    button type="submit" { "Marquer ces factures « transmise au Trésor public »" }
                }
            }
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct MarkedQuery {
    transmises: Option<usize>,
}

pub async fn unpaid(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<MarkedQuery>,
) -> Result<Response, AppError> {
    let list = invoices::for_recovery(app.store.as_ref(), today(&app)).await?;
    let markup = unpaid_page(agent_bar(&agent, &csrf), csrf.field(), &list, q.transmises);
    Ok((csrf, markup).into_response())
}

pub async fn unpaid_csv(State(app): State<App>, _agent: Agent) -> Result<Response, AppError> {
    let list = invoices::for_recovery(app.store.as_ref(), today(&app)).await?;
    let csv = invoices::recovery_csv(&list);
    crate::downloads::as_attachment(csv, "text/csv; charset=utf-8", "impayes.csv")
}

pub async fn transmit(
    State(app): State<App>,
    agent: Agent,
    CsrfForm(_): CsrfForm<crate::account::login::Empty>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let n = invoices::transmit(&app, &decider, today(&app)).await?;
    Ok(Redirect::to(&format!("/agents/facturation/impayes?transmises={n}")).into_response())
}

const PAYMENT_LABELS: &[(&str, &str)] = &[("montant", "Montant"), ("moyen", "Moyen de paiement")];

/// An invoice for the régie: its lines, its payments, the payment form.
pub fn invoice_page(
    bar: Markup,
    csrf: Markup,
    inv: &Granted<Invoice>,
    form: &PaymentForm,
    errors: &FieldErrors,
    receipt: Option<&str>,
) -> Markup {
    let title = format!("{} {}", inv.kind.label(), inv.numero);
    let path = format!(
        "/agents/dossiers/{}/factures/{}",
        in_path(&inv.dossier),
        inv.numero
    );
    layout::render(Page {
        title: &title,
        path: "/agents/facturation",
        main: html! {
            (bar)
            p { a href={ "/agents/dossiers/" (in_path(&inv.dossier)) } { "← Dossier " (inv.dossier) } }
            @if let Some(r) = receipt { (notice(NoticeKind::Success, &format!("Paiement enregistré, reçu n° {r}."))) }
            dl.facts {
                dt { "Redevable" } dd { (inv.payeur) }
                dt { "Période" } dd { (inv.periode) }
                dt { "Échéance" } dd { (inv.echeance.format("%d/%m/%Y")) }
                @if let Some(d) = inv.transmise_le { dt { "Transmise au Trésor public" } dd { (d.format("%d/%m/%Y")) } }
            }
            (invoice_lines(inv))
            p { a href={ (path) "/pdf" } download { "Télécharger le PDF" span.visually-hidden { " de " (inv.numero) } } }
            h2 { "Paiements" }
            @if inv.paiements.is_empty() { p { "Aucun paiement enregistré." } }
            ul {
                @for p in &inv.paiements {
                    li { (p.le.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y")) " — " (euros(p.montant)) " en " (p.moyen) " (reçu " (p.recu) ")" }
                }
            }
            (super::debits::invoice_part(inv, &format!("{path}/rejet"), csrf.clone()))
            @if inv.is_open() && inv.transmise_le.is_none() && inv.kind == shared::domain::invoice::Kind::Facture {
                h2 { "Enregistrer un paiement au guichet" }
                (error_summary(errors, PAYMENT_LABELS))
                form.stack method="post" action={ (path) "/paiement" } novalidate {
                    (csrf)
                    input type="hidden" name="version" value=(inv.version());
                    (Field::text("montant", "Montant", &form.montant).hint(&format!("Reste dû : {}. Un paiement partiel est possible.", euros(inv.due()))).render(errors))
                    fieldset aria-describedby=[errors.get("moyen").map(|_| "moyen-erreur")] {
                        legend { "Moyen de paiement" }
                        @for m in Means::ALL {
                            div.check {
                                input id={ "moyen-" (m.id()) } type="radio" name="moyen" value=(m.id()) checked[form.moyen == m.id()];
                                label for={ "moyen-" (m.id()) } { (m.label()) }
                            }
                        }
                        @if let Some(m) = errors.get("moyen") { span.error #moyen-erreur { "Erreur : " (m) } }
                    }
                    button type="submit" { "Enregistrer le paiement" }
                }
            }
        },
    })
}

async fn agent_invoice(
    app: &App,
    agent: &Agent,
    numero: &str,
    facture: &str,
) -> Result<Granted<Invoice>, AppError> {
    let numero = DossierNumber::parse(numero).map_err(|_| AppError::NotFound)?;
    Ok(agent
        .access
        .invoice(app.store.as_ref(), &numero, facture)
        .await??)
}

#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    recu: Option<String>,
}

pub async fn invoice(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((numero, facture)): Path<(String, String)>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, AppError> {
    let inv = agent_invoice(&app, &agent, &numero, &facture).await?;
    let receipt = q
        .recu
        .filter(|r| inv.paiements.iter().any(|p| &p.recu == r));
    let markup = invoice_page(
        agent_bar(&agent, &csrf),
        csrf.field(),
        &inv,
        &PaymentForm::default(),
        &FieldErrors::new(),
        receipt.as_deref(),
    );
    Ok((csrf, markup).into_response())
}

pub async fn invoice_pdf(
    State(app): State<App>,
    agent: Agent,
    Path((numero, facture)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let inv = agent_invoice(&app, &agent, &numero, &facture).await?;
    pdf_response(&app.settings, &inv)
}

pub async fn pay(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path((numero, facture)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<PaymentForm>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let inv = agent_invoice(&app, &agent, &numero, &facture).await?;
    let refused = |errors: FieldErrors, csrf: Csrf, inv: &Granted<Invoice>| {
        let markup = invoice_page(
            agent_bar(&agent, &csrf),
            csrf.field(),
            inv,
            &form,
            &errors,
            None,
        );
        Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, markup).into_response())
    };
    if form.version != inv.version().to_string() {
        let mut errors = FieldErrors::new();
        errors.insert("montant", "La facture a changé entre-temps (un autre paiement ?) : vérifiez le reste dû et recommencez.".into());
        return refused(errors, csrf, &inv);
    }
    let (amount, means) = match invoices::check_payment(&form, &inv) {
        Ok(ok) => ok,
        Err(errors) => return refused(errors, csrf, &inv),
    };
    match invoices::record_payment(&app, &decider, &inv, amount, means).await? {
        Some(recu) => Ok(Redirect::to(&format!(
            "/agents/dossiers/{}/factures/{}?recu={recu}",
            in_path(&inv.dossier),
            inv.numero
        ))
        .into_response()),
        None => {
            let mut errors = FieldErrors::new();
            errors.insert("montant", "La facture a changé entre-temps (un autre paiement ?) : vérifiez le reste dû et recommencez.".into());
            refused(errors, csrf, &inv)
        }
    }
}

/// The dossier page's list of invoices (links to the régie's page).
pub fn dossier_list(numero: &str, all: &[Invoice]) -> Markup {
    html! {
        h2 { "Factures" }
        @if all.is_empty() { p { "Aucune facture." } }
        ul {
            @for i in all {
                li {
                    a href={ "/agents/dossiers/" (in_path(numero)) "/factures/" (i.numero) } { (i.kind.label()) " " (i.numero) }
                    " — " (i.periode) " — " (euros(i.montant)) ", reste dû " (euros(i.due()))
                    @if i.transmise_le.is_some() { " — transmise au Trésor public" }
                }
            }
        }
    }
}
