//! "Mon espace famille": the page after login.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::html;
use serde::Deserialize;
use shared::App;
use shared::accounts::Status;
use shared::layout::family_bar;
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::AppError;
use shared::web::auth::{Csrf, Family};

#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    bienvenue: Option<String>,
}

pub async fn show(
    State(app): State<App>,
    family: Family,
    csrf: Csrf,
    Query(q): Query<HomeQuery>,
) -> Result<impl IntoResponse, AppError> {
    let a = &family.account;
    let dossier = match &a.dossier {
        Some(n) if a.statut == Status::Active => {
            shared::dossiers::get(app.store.as_ref(), n).await?
        }
        _ => None,
    };
    let (pending, unread, requests) = match shared::access::FamilyAccess::of(a.clone()) {
        Some(access) if dossier.is_some() => {
            let store = app.store.as_ref();
            let requests = shared::inscriptions::list(store, access.numero().as_str())
                .await?
                .iter()
                .filter(|i| i.statut == shared::domain::inscription::Status::EnAttente)
                .count();
            (
                shared::billing::invoices::pending(&access.invoices(store).await?),
                shared::messages::threads::unread(&access.threads(store).await?),
                requests,
            )
        }
        _ => ((0, rust_decimal::Decimal::ZERO), 0, 0),
    };
    let page = layout::render(Page {
        title: "Mon espace famille",
        path: "/compte",
        main: html! {
            (family_bar(a, csrf.field()))
            @if q.bienvenue.is_some() {
                (notice(NoticeKind::Success, "Votre compte est activé. Bienvenue !"))
            }
            @match a.statut {
                Status::Review => {
                    (notice(NoticeKind::Info, "Votre compte attend d'être rattaché à votre dossier famille par le service Enfance-Éducation. La réponse vous parviendra par e-mail sous 72 heures."))
                }
                Status::Refused => {
                    div.notice.notice-error role="alert" {
                        p { "Le service Enfance-Éducation n'a pas pu rattacher votre compte à un dossier famille." }
                        @if let Some(reason) = &a.motif_refus { p { "Motif : " (reason) } }
                        p { "Contactez la mairie pour en savoir plus." }
                    }
                }
                _ => {}
            }
            @if pending.0 > 0 {
                div.notice.notice-info {
                    p {
                        strong { "Régie : " (pending.0) " facture(s) en attente(s)" }
                        " — " (shared::pricing::euros(pending.1)) " à régler. "
                        a href="/factures" { "Voir mes factures" }
                    }
                }
            }
            @if unread > 0 {
                div.notice.notice-info {
                    p {
                        strong { "Messagerie : " (unread) " message(s) non lu(s)" }
                        " — " a href="/messagerie" { "Lire mes messages" }
                    }
                }
            }
            @if requests > 0 {
                div.notice.notice-info {
                    p {
                        strong { "Inscriptions : " (requests) " demande(s) en attente de validation" }
                        " — " a href="/inscriptions" { "Voir toutes mes inscriptions" }
                    }
                }
            }
            dl.facts {
                dt { "Famille" } dd { (a.display_name()) }
                @if let Some(d) = &dossier {
                    dt { "Dossier famille" } dd { "n° " (d.numero) }
                }
            }
            h2 { "Mes rubriques" }
            ul.cards {
                @if dossier.is_some() {
                    li {
                        h3 { a href="/dossier" { "Mon dossier" } }
                        p { "Mes démarches, mes enfants, mes coordonnées, mes documents." }
                    }
                    li {
                        h3 { a href="/inscriptions" { "Inscriptions" } }
                        p { "Les activités de mes enfants ; inscrire un enfant à une nouvelle activité." }
                        p { a href="/inscriptions" { "Voir toutes mes inscriptions" } }
                    }
                    li {
                        h3 { a href="/planning" { "Planning" } }
                        p { "Réserver ou annuler les jours de cantine, de périscolaire, de mercredi et de vacances ; le coût du mois." }
                    }
                    li {
                        h3 { a href="/factures" { "Factures" } }
                        p { "Mes factures à payer et réglées, mes avoirs ; télécharger une facture." }
                    }
                    li {
                        h3 { a href="/messagerie" { "Messagerie" } }
                        p { "Écrire à la régie ou au service Enfance-Éducation, lire leurs réponses." }
                    }
                }
                li {
                    h3 { a href="/compte/mon-compte" { "Mon compte" } }
                    p { "Mot de passe, adresse e-mail, dossier rattaché, suppression du compte." }
                }
            }
        },
    });
    Ok((csrf, page))
}
