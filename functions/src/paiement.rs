//! Paying online (`/factures/{facture}/payer`, `/paiement/…`): the family
//! starts a payment from its invoice and leaves for the gateway's page; the
//! gateway's notification (server to server) and the browser's return each
//! ask the gateway for the result through `shared::payment::attempts`, as
//! the re-check job does — none of them is trusted, and a payment is
//! recorded once whichever comes first. The test gateway's page
//! (`/paiement/test`, only when no PayFiP client is configured) plays
//! PayFiP's part, with switches that drop or repeat the notification and
//! the return.

use crate::dossier::Linked;
use crate::routes::Routes;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use shared::App;
use shared::layout::{self, NoticeKind, Page, notice};
use shared::payment::attempts::{self, Attempt, SettleError, StartError, State as AttemptState};
use shared::payment::gateway;
use shared::pricing::euros;
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm};
use std::collections::HashMap;

pub fn routes() -> Routes {
    Routes::new()
        .route("/factures/{facture}/payer", post(start))
        .route("/paiement/notification", post(notification))
        .route("/paiement/retour", get(back))
        .route("/paiement/test", get(test_page).post(test_decide))
        .merge(crate::prelevement::routes())
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

fn urls(app: &App) -> attempts::Urls {
    attempts::Urls {
        notification: format!("{}/paiement/notification", app.config.public_url),
        retour: format!("{}/paiement/retour", app.config.public_url),
    }
}

/// "Payer" on an invoice: the attempt, then the gateway's page.
pub async fn start(
    State(app): State<App>,
    linked: Linked,
    Path(numero): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let store = app.store.as_ref();
    let inv = linked.access.invoice(store, &numero).await??;
    let debit = crate::factures::debit_date(store, &linked, &inv).await?;
    let mel = linked.family.account.courriel.clone();
    match attempts::start(&app, inv.get(), debit, &mel, &urls(&app)).await {
        Ok(page) => Ok(Redirect::to(&page).into_response()),
        Err(StartError::Refused(why)) => Ok(message(
            StatusCode::CONFLICT,
            "Paiement impossible",
            NoticeKind::Error,
            &why.to_string(),
            &numero,
        )),
        Err(StartError::Gateway(e)) => {
            tracing::warn!(error = %e, "création du paiement");
            Ok(message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Paiement indisponible",
                NoticeKind::Error,
                "Le service de paiement en ligne ne répond pas. Rien n'a été payé : réessayez dans quelques minutes.",
                &numero,
            ))
        }
        Err(StartError::Store(e)) => Err(e.into()),
    }
}

/// A short page about a payment, with the way back to the invoice.
fn message(
    status: StatusCode,
    title: &str,
    kind: NoticeKind,
    text: &str,
    facture: &str,
) -> Response {
    let page = layout::render(Page {
        title,
        path: "/factures",
        main: html! {
            (notice(kind, text))
            p { a href={ "/factures/" (facture) } { "← Revenir à la facture " (facture) } }
        },
    });
    (status, page).into_response()
}

/// The operation id of a notification or a return (PayFiP spells it
/// `idOp` or `idop`).
fn operation_id(fields: &HashMap<String, String>) -> Option<&str> {
    fields
        .get("idOp")
        .or_else(|| fields.get("idop"))
        .map(|s| s.trim())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The gateway's notification: its content is not trusted, only its id,
/// which makes the portal ask the gateway.
pub async fn notification(State(app): State<App>, body: Bytes) -> Response {
    let fields: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return (StatusCode::BAD_REQUEST, "corps illisible").into_response(),
    };
    let Some(idop) = operation_id(&fields) else {
        return (StatusCode::BAD_REQUEST, "idOp absent").into_response();
    };
    match attempts::settle(&app, idop).await {
        Ok(_) => (StatusCode::OK, "OK").into_response(),
        Err(SettleError::Unknown) => (StatusCode::NOT_FOUND, "opération inconnue").into_response(),
        // The gateway or the store unavailable: the re-check will settle it.
        Err(e) => {
            tracing::warn!(error = %e, "notification de paiement");
            (StatusCode::SERVICE_UNAVAILABLE, "réessayer").into_response()
        }
    }
}

/// What the return page says of an attempt.
pub fn outcome_notice(a: Option<&Attempt>) -> (NoticeKind, String) {
    match a {
        Some(a) if a.etat == AttemptState::Payee => (
            NoticeKind::Success,
            format!(
                "Paiement de {} enregistré pour la facture {} : reçu n° {}. Un courriel de confirmation vous est envoyé.",
                euros(a.montant),
                a.facture,
                a.recu.as_deref().unwrap_or("")
            ),
        ),
        Some(a) if a.etat == AttemptState::Refusee => (
            NoticeKind::Error,
            format!("Le paiement de la facture {} a été refusé : rien n'a été prélevé. Vous pouvez réessayer ou régler autrement.", a.facture),
        ),
        Some(a) if a.etat == AttemptState::Expiree => (
            NoticeKind::Info,
            format!("Le paiement de la facture {} n'a pas abouti : rien n'a été prélevé.", a.facture),
        ),
        _ => (
            NoticeKind::Info,
            "Paiement en cours de vérification : le résultat s'affichera sur votre facture dans quelques minutes, même si vous fermez cette page.".into(),
        ),
    }
}

/// The browser's return: the same question to the gateway; while the
/// result is unknown, "en cours de vérification", never an error.
pub async fn back(
    State(app): State<App>,
    Query(fields): Query<HashMap<String, String>>,
) -> Response {
    let attempt = match operation_id(&fields) {
        Some(idop) => match attempts::settle(&app, idop).await {
            Ok(a) => Some(a),
            Err(SettleError::Unknown) => None,
            Err(e) => {
                tracing::warn!(error = %e, "retour de paiement");
                attempts::by_operation(app.store.as_ref(), idop)
                    .await
                    .ok()
                    .flatten()
                    .map(|(a, _)| a)
            }
        },
        None => None,
    };
    let (kind, text) = outcome_notice(attempt.as_ref());
    let page = layout::render(Page {
        title: "Résultat du paiement",
        path: "/factures",
        main: html! {
            (notice(kind, &text))
            p { a href="/factures" { "← Mes factures" } }
        },
    });
    page.into_response()
}

/// The test gateway's page, as PayFiP's: the operation and three buttons.
pub fn test_gateway_page(
    idop: &str,
    op: &shared::payment::payfip::Creation,
    csrf: Markup,
) -> Markup {
    layout::render(Page {
        title: "Passerelle de paiement de test",
        path: "/paiement/test",
        main: html! {
            (notice(NoticeKind::Info, "Passerelle de test : elle joue le rôle de PayFiP pour la démonstration. Aucune carte n'est débitée."))
            dl.facts {
                dt { "Objet" } dd { (op.objet) }
                dt { "Référence" } dd { (op.refdet) }
                dt { "Montant" } dd { (euros(rust_decimal::Decimal::new(op.montant, 2))) }
            }
            form method="post" action="/paiement/test" {
                (csrf)
                input type="hidden" name="idop" value=(idop);
                fieldset {
                    legend { "Ce que la passerelle fait ensuite" }
                    p { input #sans-notif type="checkbox" name="sans_notification" value="1"; " " label for="sans-notif" { "Ne pas envoyer la notification" } }
                    p { input #sans-retour type="checkbox" name="sans_retour" value="1"; " " label for="sans-retour" { "Ne pas revenir sur le portail (onglet fermé)" } }
                    p { input #deux-fois type="checkbox" name="deux_fois" value="1"; " " label for="deux-fois" { "Envoyer la notification deux fois" } }
                }
                p.actions {
                    button.button name="resultat" value="P" { "Payer" }
                    " " button.button-secondary name="resultat" value="R" { "Refuser" }
                    " " button.button-secondary name="resultat" value="A" { "Abandonner" }
                }
            }
        },
    })
}

fn test_gateway_only(app: &App) -> Result<(), AppError> {
    if app.config.payment.payfip_url.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub async fn test_page(
    State(app): State<App>,
    csrf: Csrf,
    Query(fields): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    test_gateway_only(&app)?;
    let idop = operation_id(&fields).ok_or(AppError::NotFound)?;
    let op = gateway::operation(app.store.as_ref(), idop)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = test_gateway_page(idop, &op, csrf.field());
    Ok((csrf, page).into_response())
}

/// The test gateway decides, notifies (or not, or twice) and sends the
/// browser back (or not).
pub async fn test_decide(
    State(app): State<App>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    test_gateway_only(&app)?;
    let idop = operation_id(&fields).ok_or(AppError::NotFound)?.to_owned();
    let result = match fields.get("resultat").map(String::as_str) {
        Some(r @ ("P" | "R" | "A")) => r,
        _ => return Err(AppError::BadRequest),
    };
    let store = app.store.as_ref();
    let op = gateway::operation(store, &idop)
        .await?
        .ok_or(AppError::NotFound)?;
    gateway::decide(store, &idop, result).await?;
    let times = match (
        fields.contains_key("sans_notification"),
        fields.contains_key("deux_fois"),
    ) {
        (true, _) => 0,
        (false, true) => 2,
        (false, false) => 1,
    };
    for _ in 0..times {
        // Server to server, as PayFiP: a form POST to the notification
        // address it was given.
        let sent = reqwest::Client::new()
            .post(&op.urlnotif)
            .form(&[("idOp", idop.as_str())])
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "passerelle de test : notification");
        }
    }
    if fields.contains_key("sans_retour") {
        let page = layout::render(Page {
            title: "Paiement terminé",
            path: "/paiement/test",
            main: html! {
                (notice(NoticeKind::Info, "La passerelle ne vous renvoie pas sur le portail : vous pouvez fermer cet onglet. Le paiement sera vérifié par le portail."))
            },
        });
        return Ok(page.into_response());
    }
    Ok(Redirect::to(&format!("{}?idop={idop}", op.urlredirect)).into_response())
}
