//! Facturation, the family's side (`/factures`): the invoices to pay with
//! the total due, then those paid and the credit notes; an invoice as the
//! guide shows it (child, prestation, dates, quantity, unit price, amount,
//! total, already paid, due date, how to pay); its PDF. Only the signed-in
//! family's own invoices: `shared::access` reads them from its dossier.

use crate::dossier::Linked;
use crate::routes::Routes;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use maud::{Markup, html};
use rust_decimal::Decimal;
use shared::App;
use shared::billing::{invoices, pdf};
use shared::domain::invoice::{Invoice, Kind, Line};
use shared::layout::family_bar;
use shared::layout::{self, NoticeKind, Page, notice};
use shared::payment::{mandates, sepa};
use shared::pricing::{euros, to_cents};
use shared::settings::Settings;
use shared::web::AppError;
use shared::web::auth::Csrf;

pub fn routes() -> Routes {
    Routes::new()
        .route("/factures", get(list))
        .route("/factures/{facture}", get(detail))
        .route("/factures/{facture}/pdf", get(download))
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

/// The list's three parts.
pub struct Lists<'a> {
    pub to_pay: Vec<&'a Invoice>,
    pub settled: Vec<&'a Invoice>,
    pub credits: Vec<&'a Invoice>,
}

/// Sorts a family's documents into the list's parts, newest first.
pub fn lists(all: &[Invoice]) -> Lists<'_> {
    let mut sorted: Vec<&Invoice> = all.iter().collect();
    sorted.sort_by(|a, b| b.emise_le.cmp(&a.emise_le).then(b.numero.cmp(&a.numero)));
    let (credits, invoices): (Vec<&Invoice>, Vec<&Invoice>) =
        sorted.into_iter().partition(|i| i.kind == Kind::Avoir);
    let (to_pay, settled) = invoices.into_iter().partition(|i| i.is_open());
    Lists {
        to_pay,
        settled,
        credits,
    }
}

fn status(i: &Invoice, debit: Option<NaiveDate>) -> Markup {
    html! {
        @if let Some(d) = debit {
            strong { "Sera prélevée le " (d.format("%d/%m/%Y")) }
        } @else if i.transmise_le.is_some() && i.is_open() {
            strong { "Transmise au Trésor public" }
        } @else if i.is_open() {
            strong { "À payer avant le " (i.echeance.format("%d/%m/%Y")) }
        } @else if i.kind == Kind::Avoir {
            "Entièrement déduit"
        } @else if let Some(d) = &i.preleve {
            "Payée par prélèvement le " (d.le.format("%d/%m/%Y"))
        } @else {
            "Payée"
        }
    }
}

/// A wide table that scrolls within its own region on a phone.
pub fn scrolling(label: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

fn table(caption: &str, rows: &[&Invoice], mandate: bool) -> Markup {
    scrolling(
        caption,
        html! {
            {
                table.data {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { "N°" } th scope="col" { "Période" }
                        th scope="col" { "Montant" } th scope="col" { "Reste dû" } th scope="col" { "État" }
                    } }
                    tbody {
                        @for i in rows {
                            tr {
                                td { a href={ "/factures/" (i.numero) } { (i.kind.label()) " " (i.numero) } }
                                td { (i.periode) }
                                td.num { (euros(i.montant)) }
                                td.num { (euros(i.due())) }
                                td { (status(i, sepa::debit_date(i, mandate))) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The list page; `mandate`: the family's direct-debit mandate is active.
pub fn list_page(bar: Markup, all: &[Invoice], mandate: bool) -> Markup {
    let l = lists(all);
    let (count, due) = invoices::pending(all);
    layout::render(Page {
        title: "Mes factures",
        path: "/factures",
        main: html! {
            (bar)
            p { a href="/compte" { "← Mon espace famille" } }
            @if count == 0 {
                (notice(NoticeKind::Success, "Aucune facture en attente de paiement."))
            } @else {
                div.notice.notice-info {
                    p { strong { "Régie : " (count) " facture(s) en attente(s)" } " — " (euros(due)) " à régler." }
                }
            }
            h2 { "À payer" }
            @if l.to_pay.is_empty() { p { "Rien à payer." } } @else { (table("Factures à payer", &l.to_pay, mandate)) }
            h2 { "Réglées" }
            @if l.settled.is_empty() { p { "Aucune facture réglée pour le moment." } } @else { (table("Factures réglées", &l.settled, mandate)) }
            h2 { "Avoirs" }
            @if l.credits.is_empty() { p { "Aucun avoir." } } @else { (table("Avoirs", &l.credits, mandate)) }
            h2 { "Prélèvement automatique" }
            p {
                @if mandate { "Vos factures sont prélevées automatiquement. " } @else { "Vos factures peuvent être prélevées automatiquement sur votre compte. " }
                a href=(crate::prelevement::PATH) { @if mandate { "Modifier vos coordonnées bancaires ou arrêter le prélèvement" } @else { "Adhérer au prélèvement automatique" } }
            }
        },
    })
}

/// Lines as a table, with totals under them (an invoice, a draft).
pub fn lines_table(caption: &str, lines: &[Line], totals: &[(&str, Decimal, bool)]) -> Markup {
    scrolling(
        caption,
        html! {
            table.data.stacked {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "Enfant" } th scope="col" { "Prestation" } th scope="col" { "Dates" }
                    th scope="col" { "Quantité" } th scope="col" { "Prix unitaire" } th scope="col" { "Montant" }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td data-label="Enfant" { (l.enfant_nom) }
                            td data-label="Prestation" { span { (l.prestation) br; small { (l.nature) @if l.quantite < 0 { " (annulation)" } } } }
                            td data-label="Dates" { (l.dates_label()) }
                            td.num data-label="Quantité" { (l.quantite) }
                            td.num data-label="Prix unitaire" { (euros(to_cents(l.prix))) }
                            td.num data-label="Montant" { (euros(l.montant)) }
                        }
                    }
                }
                tfoot {
                    @for (label, amount, strong) in totals {
                        tr {
                            th scope="row" colspan="5" { (label) }
                            td.num { @if *strong { strong { (euros(*amount)) } } @else { (euros(*amount)) } }
                        }
                    }
                }
            }
        },
    )
}

/// An invoice's lines and totals (the family's page and the régie's).
pub fn invoice_lines(i: &Invoice) -> Markup {
    let credit = i.kind == Kind::Avoir;
    lines_table(
        &format!("Détail de {} {}", i.kind.label().to_lowercase(), i.numero),
        &i.lignes,
        &[
            ("Total", i.montant, true),
            (
                if credit {
                    "Déjà déduit"
                } else {
                    "Déjà payé"
                },
                i.paid(),
                false,
            ),
            (
                if credit {
                    "Reste à déduire"
                } else {
                    "Reste à payer"
                },
                i.due(),
                true,
            ),
        ],
    )
}

/// The "how to pay" part of an invoice page.
fn how_to_pay(s: &Settings, i: &Invoice, online: bool) -> Markup {
    let regie = s.service(shared::billing::campaigns::REGIE);
    let text = pdf::how_to_pay(
        i,
        regie.map_or("régie", |r| r.nom.as_str()),
        regie.map_or("", |r| r.horaires.as_str()),
        online,
    );
    html! {
        h2 { "Comment régler" }
        @if i.transmise_le.is_some() && i.is_open() {
            (notice(NoticeKind::Info, &format!("Cette facture a été transmise au Trésor public le {} : elle ne peut plus être payée ici.", i.transmise_le.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default())))
        }
        p { (text) }
        @if let Some(r) = regie {
            p {
                "Une erreur ? " a href={ "/messagerie/nouveau?facture=" (i.numero) } { "Écrire à la régie" span.visually-hidden { " à propos de la facture " (i.numero) } }
                " — ou " (r.nom) " : " a href={ "mailto:" (r.courriel) } { (r.courriel) } ", " (r.telephone) "."
            }
        }
    }
}

/// Whether the family's direct-debit mandate is active.
pub async fn active_mandate(
    store: &dyn shared::store::Store,
    linked: &Linked,
) -> Result<bool, shared::store::StoreError> {
    Ok(mandates::active(&linked.access.mandates(store).await?).is_some())
}

/// The day this invoice of the family will be debited, if it will.
pub async fn debit_date(
    store: &dyn shared::store::Store,
    linked: &Linked,
    inv: &Invoice,
) -> Result<Option<NaiveDate>, shared::store::StoreError> {
    Ok(sepa::debit_date(inv, active_mandate(store, linked).await?))
}

/// The "Payer en ligne" button, or why the invoice cannot be paid online;
/// `mandate`: the family's mandate is active (else direct debit is offered).
pub fn pay_online(i: &Invoice, mandate: bool, csrf: Markup) -> Markup {
    let debit = sepa::debit_date(i, mandate);
    if !i.is_open() || i.kind == Kind::Avoir || i.transmise_le.is_some() {
        return html! {};
    }
    match shared::payment::rules::may_pay(i, debit, None) {
        Ok(()) => html! {
            h2 { "Payer en ligne" }
            form method="post" action={ "/factures/" (i.numero) "/payer" } {
                (csrf)
                p { "Par carte bancaire, sur le site sécurisé de la DGFiP (PayFiP) : " strong { (euros(i.due())) } "." }
                p { button.button type="submit" { "Payer en ligne" span.visually-hidden { " la facture " (i.numero) } } }
            }
            @if !mandate {
                p { "Pour ne plus y penser : " a href=(crate::prelevement::PATH) { "adhérer au prélèvement automatique" } "." }
            }
        },
        Err(why) => html! { p { strong { (why.to_string()) } } },
    }
}

/// The invoice page; `pay`: [`pay_online`]; `debit`: the day it will be
/// debited, if it will.
pub fn detail_page(
    s: &Settings,
    bar: Markup,
    i: &Invoice,
    pay: Markup,
    debit: Option<NaiveDate>,
) -> Markup {
    let title = format!("{} {}", i.kind.label(), i.numero);
    layout::render(Page {
        title: &title,
        path: "/factures",
        main: html! {
            (bar)
            p { a href="/factures" { "← Mes factures" } }
            dl.facts {
                dt { "Période" } dd { (i.periode) }
                dt { "Émise le" } dd { (i.emise_le.format("%d/%m/%Y")) }
                dt { "À régler avant le" } dd { (i.echeance.format("%d/%m/%Y")) }
                dt { "Dossier" } dd { "n° " (i.dossier) }
                dt { "Montant" } dd { (euros(i.montant)) }
                @if i.is_open() {
                    dt { @if i.kind == Kind::Avoir { "Reste à déduire" } @else { "Reste à payer" } }
                    dd { strong { (euros(i.due())) } }
                }
                dt { "État" } dd { (status(i, debit)) }
            }
            (invoice_lines(i))
            p {
                a href={ "/factures/" (i.numero) "/pdf" } download {
                    "Télécharger la facture" span.visually-hidden { " " (i.numero) } " (PDF)"
                }
            }
            (pay)
            (how_to_pay(s, i, debit.is_none()))
        },
    })
}

fn bar(linked: &Linked, csrf: &Csrf) -> Markup {
    family_bar(&linked.family.account, csrf.field())
}

pub async fn list(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
) -> Result<Response, AppError> {
    let store = app.store.as_ref();
    let all = linked.access.invoices(store).await?;
    let mandate = active_mandate(store, &linked).await?;
    let markup = list_page(bar(&linked, &csrf), &all, mandate);
    Ok((csrf, markup).into_response())
}

pub async fn detail(
    State(app): State<App>,
    linked: Linked,
    csrf: Csrf,
    Path(numero): Path<String>,
) -> Result<Response, AppError> {
    let store = app.store.as_ref();
    let inv = linked.access.invoice(store, &numero).await??;
    let mandate = active_mandate(store, &linked).await?;
    let pay = pay_online(&inv, mandate, csrf.field());
    let debit = sepa::debit_date(&inv, mandate);
    let markup = detail_page(&app.settings, bar(&linked, &csrf), &inv, pay, debit);
    Ok((csrf, markup).into_response())
}

/// The PDF, as an attachment (only the family's own invoices).
pub async fn download(
    State(app): State<App>,
    Linked { access, .. }: Linked,
    Path(numero): Path<String>,
) -> Result<Response, AppError> {
    let inv = access.invoice(app.store.as_ref(), &numero).await??;
    pdf_response(&app.settings, &inv)
}

/// An invoice's PDF as a download (the family's and the régie's).
pub fn pdf_response(s: &Settings, inv: &Invoice) -> Result<Response, AppError> {
    let bytes = pdf::render(s, inv).map_err(|e| AppError::Internal(e.to_string()))?;
    crate::downloads::as_attachment(bytes, "application/pdf", &format!("{}.pdf", inv.numero))
}
