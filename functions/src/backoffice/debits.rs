//! Prélèvement automatique, the régie's side: the mandates to validate
//! (`/agents/facturation/mandats`), the remises of a collection date with
//! their `pain.008` file (`/agents/facturation/prelevements`), and a
//! rejected debit recorded on an invoice. Bank details are the régie's
//! business only: every page here takes the régie's `Decider`, reading
//! included.

use super::agent_bar;
use crate::factures::scrolling;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::{Decider, Granted};
use shared::accounts::validation::FieldErrors;
use shared::billing::campaigns::REGIE;
use shared::domain::invoice::Invoice;
use shared::ids::{DossierNumber, in_path};
use shared::layout::forms::{Field, error_summary};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::payment::debits::{self, DebitError, Plan, Remise};
use shared::payment::mandates::{self, Decision};
use shared::payment::sepa::{self, Mandate, MandateStatus};
use shared::pricing::euros;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};

fn regie(agent: &Agent) -> Result<Decider, AppError> {
    Ok(agent.access.decider(REGIE)?)
}

const MANDATES: &str = "/agents/facturation/mandats";
const REMISES: &str = "/agents/facturation/prelevements";

fn mandate_row(m: &Mandate) -> Markup {
    html! {
        td { a href={ "/agents/dossiers/" (in_path(&m.dossier)) } { (m.dossier) } }
        td { (m.titulaire) }
        td.nowrap { (sepa::masked(&m.iban)) }
        td { (m.rum) }
        td { (m.signe_le.format("%d/%m/%Y")) }
    }
}

fn mandate_head() -> Markup {
    html! {
        th scope="col" { "Dossier" } th scope="col" { "Titulaire" } th scope="col" { "Compte" }
        th scope="col" { "RUM" } th scope="col" { "Signé le" }
    }
}

/// The mandates page: those waiting (validate, or refuse with a reason),
/// then those in force.
pub fn mandates_page(
    bar: Markup,
    csrf: Markup,
    waiting: &[Mandate],
    active: &[Mandate],
    done: Option<&str>,
) -> Markup {
    layout::render(Page {
        title: "Mandats de prélèvement",
        path: "/agents/facturation",
        main: html! {
            (bar)
            p { a href="/agents/facturation" { "← Facturation" } " · " a href=(REMISES) { "Remises de prélèvement" } }
            @if let Some(d) = done { (notice(NoticeKind::Success, d)) }
            h2 { "À valider (" (waiting.len()) ")" }
            @if waiting.is_empty() { p { "Aucun mandat en attente." } }
            @for m in waiting {
                section.card aria-labelledby={ "m-" (m.rum) } {
                    h3 id={ "m-" (m.rum) } { "Mandat " (m.rum) }
                    dl.facts {
                        dt { "Dossier" } dd { a href={ "/agents/dossiers/" (in_path(&m.dossier)) } { (m.dossier) } }
                        dt { "Titulaire" } dd { (m.titulaire) }
                        dt { "IBAN" } dd.nowrap { (m.iban) }
                        dt { "BIC" } dd { (m.bic.as_deref().unwrap_or("non indiqué")) }
                        dt { "Signé en ligne le" } dd { (m.signe_le.format("%d/%m/%Y")) }
                    }
                    @let action = format!("{MANDATES}/{}/{}", in_path(&m.dossier), m.rum);
                    form method="post" action=(action) {
                        (csrf.clone())
                        input type="hidden" name="decision" value="valider";
                        button type="submit" { "Valider le mandat" span.visually-hidden { " " (m.rum) } }
                    }
                    form.stack method="post" action=(action) {
                        (csrf.clone())
                        input type="hidden" name="decision" value="refuser";
                        div.field {
                            label for={ "motif-" (m.rum) } { "Motif du refus (lu par la famille)" }
                            input id={ "motif-" (m.rum) } name="motif" type="text" maxlength="300" required;
                        }
                        button.button-secondary type="submit" { "Refuser" span.visually-hidden { " le mandat " (m.rum) } }
                    }
                }
            }
            h2 { "Mandats actifs (" (active.len()) ")" }
            @if !active.is_empty() {
                (scrolling("Mandats actifs", html! {
                    table.data {
                        caption { "Mandats actifs" }
                        thead { tr { (mandate_head()) th scope="col" { "Dernier prélèvement" } } }
                        tbody {
                            @for m in active {
                                tr { (mandate_row(m)) td { (m.derniere_collecte.map_or_else(|| "aucun (le prochain sera le premier)".to_owned(), |d| d.format("%d/%m/%Y").to_string())) } }
                            }
                        }
                    }
                }))
            }
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
    date: Option<String>,
    remise: Option<String>,
}

pub async fn mandates(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    regie(&agent)?;
    let store = app.store.as_ref();
    let waiting = mandates::with_status(store, MandateStatus::AValider).await?;
    let active = mandates::with_status(store, MandateStatus::Actif).await?;
    let done = match q.fait.as_deref() {
        Some("valide") => Some("Mandat validé : la famille est prévenue par courriel."),
        Some("refuse") => Some("Mandat refusé : la famille est prévenue par courriel."),
        Some("deja") => Some("Ce mandat avait déjà été traité."),
        _ => None,
    };
    let markup = mandates_page(
        agent_bar(&agent, &csrf),
        csrf.field(),
        &waiting,
        &active,
        done,
    );
    Ok((csrf, markup).into_response())
}

/// A decision with its reason (a mandate refused, a debit rejected).
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
}

/// Validates or refuses a waiting mandate; a second click finds it decided.
pub async fn decide(
    State(app): State<App>,
    agent: Agent,
    Path((numero, rum)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let numero = DossierNumber::parse(&numero).map_err(|_| AppError::NotFound)?;
    let mandate: Granted<Mandate> = agent
        .access
        .mandate(app.store.as_ref(), &numero, &rum)
        .await??;
    let decision = match (form.decision.as_str(), form.motif.trim()) {
        ("valider", _) => Decision::Validate,
        ("refuser", motif) if !motif.is_empty() && motif.chars().count() <= 300 => {
            Decision::Refuse(motif.to_owned())
        }
        _ => return Err(AppError::BadRequest),
    };
    let label = match decision {
        Decision::Validate => "valide",
        Decision::Refuse(_) => "refuse",
    };
    let fait = if mandates::decide(&app, &decider, &mandate, decision).await? {
        label
    } else {
        "deja"
    };
    Ok(Redirect::to(&format!("{MANDATES}?fait={fait}")).into_response())
}

fn totals_table(caption: &str, rows: &[(&str, usize, rust_decimal::Decimal)]) -> Markup {
    html! {
        table.data {
            caption { (caption) }
            thead { tr { th scope="col" { "Séquence" } th scope="col" { "Prélèvements" } th scope="col" { "Montant" } } }
            tbody {
                @for (label, n, sum) in rows {
                    tr { th scope="row" { (label) } td.num { (n) } td.num { (euros(*sum)) } }
                }
            }
        }
    }
}

/// The remises page: the collection date, what it would collect, the
/// button that records it; the remises made, with their files.
pub fn remises_page(
    bar: Markup,
    csrf: Markup,
    date: &str,
    errors: &FieldErrors,
    plan: Option<(NaiveDate, &Plan)>,
    remises: &[Remise],
    recorded: Option<&str>,
) -> Markup {
    layout::render(Page {
        title: "Remises de prélèvement",
        path: "/agents/facturation",
        main: html! {
            (bar)
            p { a href="/agents/facturation" { "← Facturation" } " · " a href=(MANDATES) { "Mandats" } }
            @if let Some(r) = recorded { (notice(NoticeKind::Success, &format!("Remise {r} enregistrée : téléchargez son fichier ci-dessous et transmettez-le à la banque (ou à la DGFiP)."))) }
            h2 { "Préparer une remise" }
            (error_summary(errors, &[("date", "Date de prélèvement")]))
            form.stack method="get" action=(REMISES) novalidate {
                (Field::text("date", "Date de prélèvement", date).kind("date").hint("La date à laquelle la banque débite les familles : les factures dont la date de prélèvement tombe ce jour-là ou avant.").render(errors))
                button type="submit" { "Voir les factures à prélever" }
            }
            @if let Some((day, plan)) = plan {
                @let [first, recurring] = plan.totals();
                h3 { "Prélèvements du " (day.format("%d/%m/%Y")) }
                @if plan.ready.is_empty() {
                    p { "Aucune facture à prélever à cette date." }
                } @else {
                    (scrolling("Totaux de la remise", totals_table("Totaux de la remise", &[
                        ("Premiers prélèvements (FRST)", first.0, first.1),
                        ("Prélèvements récurrents (RCUR)", recurring.0, recurring.1),
                        ("Total", first.0 + recurring.0, first.1 + recurring.1),
                    ])))
                    form method="post" action=(REMISES) {
                        (csrf)
                        input type="hidden" name="date" value=(day);
                        button type="submit" { "Enregistrer la remise du " (day.format("%d/%m/%Y")) }
                    }
                }
                @if !plan.without_mandate.is_empty() {
                    h3 { "Sans mandat actif (" (plan.without_mandate.len()) ")" }
                    p { "Ces factures ont une date de prélèvement mais leur dossier n'a pas de mandat actif : elles ne sont pas prélevées et restent à payer." }
                    ul {
                        @for i in &plan.without_mandate {
                            li { a href={ "/agents/dossiers/" (in_path(&i.dossier)) "/factures/" (i.numero) } { (i.numero) } " — " (i.payeur) " — " (euros(i.due())) }
                        }
                    }
                }
            }
            h2 { "Remises enregistrées" }
            @if remises.is_empty() { p { "Aucune remise pour le moment." } }
            @if !remises.is_empty() {
                (scrolling("Remises enregistrées", html! {
                    table.data {
                        caption { "Remises enregistrées" }
                        thead { tr { th scope="col" { "Remise" } th scope="col" { "Date de prélèvement" } th scope="col" { "Prélèvements" } th scope="col" { "Montant" } th scope="col" { "Fichier" } } }
                        tbody {
                            @for r in remises {
                                tr {
                                    td { (r.numero) }
                                    td { (r.date.format("%d/%m/%Y")) }
                                    td.num { (r.nombre) " dont " (r.premiers) " premier(s)" }
                                    td.num { (euros(r.total)) }
                                    td {
                                        @if r.etat == debits::RemiseState::Prete {
                                            a href={ (REMISES) "/" (r.numero) } download { "pain.008" span.visually-hidden { " de la remise " (r.numero) } }
                                        } @else { "en cours" }
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

fn today(app: &App) -> NaiveDate {
    app.clock.today()
}

async fn show_remises(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    date: &str,
    errors: FieldErrors,
    recorded: Option<&str>,
) -> Result<Response, AppError> {
    let store = app.store.as_ref();
    let mut errors = errors;
    let day = match date.trim() {
        "" => None,
        raw => match sepa::check_collection_date(raw, today(app)) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.insert("date", e);
                None
            }
        },
    };
    let plan = match day {
        Some(d) if errors.is_empty() => Some((d, debits::plan(store, d).await?)),
        _ => None,
    };
    let remises = debits::list(store).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let markup = remises_page(
        agent_bar(agent, &csrf),
        csrf.field(),
        date,
        &errors,
        plan.as_ref().map(|(d, p)| (*d, p)),
        &remises,
        recorded,
    );
    Ok((status, csrf, markup).into_response())
}

pub async fn remises(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    regie(&agent)?;
    let recorded = q.remise.filter(|r| r.len() <= 20);
    show_remises(
        &app,
        &agent,
        csrf,
        q.date.as_deref().unwrap_or(""),
        FieldErrors::new(),
        recorded.as_deref(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct RemiseForm {
    #[serde(default)]
    date: String,
}

/// Records the remise of a date.
pub async fn record(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<RemiseForm>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let day = match sepa::check_collection_date(&form.date, today(&app)) {
        Ok(d) => d,
        Err(_) => {
            return show_remises(&app, &agent, csrf, &form.date, FieldErrors::new(), None).await;
        }
    };
    match debits::record(&app, &decider, day).await {
        Ok(r) => Ok(Redirect::to(&format!("{REMISES}?remise={}", r.numero)).into_response()),
        Err(DebitError::Nothing) => {
            let mut errors = FieldErrors::new();
            errors.insert(
                "date",
                "Aucune facture à prélever à cette date (déjà prélevées, ou sans mandat actif)."
                    .into(),
            );
            show_remises(&app, &agent, csrf, &form.date, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A remise's `pain.008.001.02` file.
pub async fn download(
    State(app): State<App>,
    agent: Agent,
    Path(numero): Path<String>,
) -> Result<Response, AppError> {
    regie(&agent)?;
    let (remise, xml) = match debits::file(&app, &numero).await {
        Ok(ok) => ok,
        Err(DebitError::NoCreditor | DebitError::File(_)) => {
            let page = layout::render(Page {
                title: "Fichier de prélèvement impossible",
                path: "/agents/facturation",
                main: html! {
                    (notice(NoticeKind::Error, "Le fichier ne peut pas être écrit : l'IBAN et l'identifiant créancier SEPA (ICS) de la régie doivent figurer dans les paramètres (commune.toml, service « regie »)."))
                    p { a href=(REMISES) { "← Remises de prélèvement" } }
                },
            });
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    crate::downloads::as_attachment(
        xml,
        "application/xml; charset=utf-8",
        &format!("{}-{}.xml", remise.numero, remise.date),
    )
}

/// The direct-debit part of the régie's invoice page: the debit, and the
/// form that records its rejection.
pub fn invoice_part(inv: &Invoice, action: &str, csrf: Markup) -> Markup {
    let Some(text) = debits::describe(inv) else {
        return html! {};
    };
    html! {
        h2 { "Prélèvement" }
        p { (text) "." }
        @if debits::may_reject(inv) {
            form.stack method="post" action=(action) {
                (csrf)
                div.field {
                    label for="motif" { "Motif du rejet (relevé de la banque)" }
                    select #motif name="motif" required {
                        @for (code, label) in sepa::REJECTION_REASONS {
                            option value=(code) { (code) " — " (label) }
                        }
                    }
                }
                button type="submit" { "Enregistrer le rejet du prélèvement" }
            }
        }
    }
}

/// Records a rejected debit on an invoice.
pub async fn reject(
    State(app): State<App>,
    agent: Agent,
    Path((numero, facture)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, AppError> {
    let decider = regie(&agent)?;
    let numero = DossierNumber::parse(&numero).map_err(|_| AppError::NotFound)?;
    let inv = agent
        .access
        .invoice(app.store.as_ref(), &numero, &facture)
        .await??;
    if sepa::rejection_label(&form.motif).is_none() {
        return Err(AppError::BadRequest);
    }
    debits::reject(&app, &decider, &inv, &form.motif).await?;
    Ok(Redirect::to(&format!(
        "/agents/dossiers/{}/factures/{}",
        in_path(&inv.dossier),
        inv.numero
    ))
    .into_response())
}
