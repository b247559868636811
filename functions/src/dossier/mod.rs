//! The `dossier` route group: "Mon dossier" — a summary with the latest
//! démarches, the children, the contact details the family may change, and
//! the documents (sent by the family, published by the town).
//! Every page reads the dossier of the signed-in family's account: no dossier
//! number or child id ever comes from the request.

pub(crate) mod documents;

use crate::routes::Routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::FamilyAccess;
use shared::accounts::validation::{self, FieldErrors};
use shared::domain::dossier::{self, Dossier};
use shared::dossiers::{self, Contacts, UpdateError};
use shared::layout::family_bar;
use shared::layout::forms::{Field, error_summary};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::AppError;
use shared::web::auth::{Csrf, CsrfForm, Family};
use shared::web::upload::UPLOAD_BODY_LIMIT;

/// The group's routes and their table.
pub fn routes() -> Routes {
    Routes::new()
        .route("/dossier", get(summary))
        .route("/dossier/enfants", get(children))
        .route("/dossier/coordonnees", get(contacts).post(contacts_submit))
        .route(
            "/dossier/documents",
            get(documents::list)
                .post(documents::send)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/dossier/documents/{id}", get(documents::download))
}

pub fn router(app: App) -> Router {
    routes().with_state(app)
}

/// The signed-in family whose account is linked to its dossier, with that
/// dossier's number (from the account, never from the request). Without a
/// linked dossier, the rejection is the page that says so (403); without a
/// session, the login page.
pub struct Linked {
    pub family: Family,
    /// The dossier's number, to read it.
    pub numero: String,
    /// The proof that reaches its children, documents and registrations.
    pub access: FamilyAccess,
}

impl FromRequestParts<App> for Linked {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let family = Family::from_request_parts(parts, app).await?;
        match FamilyAccess::of(family.account.clone()) {
            Some(access) => Ok(Linked {
                numero: access.numero().to_string(),
                access,
                family,
            }),
            None => Err(not_linked()),
        }
    }
}

/// The page that says the account is not linked yet.
fn not_linked() -> Response {
    let page = layout::render(Page {
        title: "Mon dossier",
        path: "/dossier",
        main: html! {
            (notice(NoticeKind::Info, "Votre compte n'est pas encore rattaché à un dossier famille : le service Enfance-Éducation s'en charge et vous répondra par e-mail."))
            p { a href="/compte" { "Retour à mon espace famille" } }
        },
    });
    (StatusCode::FORBIDDEN, page).into_response()
}

fn frame(family: &Family, csrf: &Csrf, title: &str, path: &str, main: Markup) -> Markup {
    layout::render(Page {
        title,
        path,
        main: html! {
            (family_bar(&family.account, csrf.field()))
            nav aria-label="Mon dossier" {
                ul.tabs {
                    li { a href="/dossier" aria-current=[(path == "/dossier").then_some("page")] { "Résumé" } }
                    li { a href="/dossier/enfants" aria-current=[(path == "/dossier/enfants").then_some("page")] { "Mes enfants" } }
                    li { a href="/dossier/coordonnees" aria-current=[(path == "/dossier/coordonnees").then_some("page")] { "Mes coordonnées" } }
                    li { a href="/dossier/documents" aria-current=[(path == "/dossier/documents").then_some("page")] { "Mes documents" } }
                }
            }
            (main)
        },
    })
}

async fn load(app: &App, numero: &str) -> Result<(Dossier, u64), AppError> {
    dossiers::load(app.store.as_ref(), numero)
        .await?
        .ok_or_else(|| AppError::Internal(format!("dossier rattaché introuvable : {numero}")))
}

pub(crate) use shared::layout::dates::numeric as date_fr;

async fn summary(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
) -> Result<Response, AppError> {
    let (d, _) = load(&app, &numero).await?;
    let history = dossiers::demarches(app.store.as_ref(), &numero, 5).await?;
    let main = html! {
        dl.facts {
            dt { "Numéro de dossier" } dd { (d.numero) }
            dt { "Responsables" } dd { @for (i, r) in d.responsables.iter().enumerate() { @if i > 0 { ", " } (r.prenom) " " (r.nom) } }
            dt { "Adresse" } dd { (d.adresse) }
            dt { "Quotient familial" }
            dd {
                @match (d.quotient_familial, d.qf_date) {
                    (Some(q), Some(at)) => { (q) " € (au " (date_fr(at)) ")" }
                    (Some(q), None) => { (q) " €" }
                    _ => { "non renseigné : le tarif le plus élevé s'applique" }
                }
            }
            dt { "Mode de paiement" }
            dd { (d.mode_paiement.map_or("non renseigné", |m| m.label())) }
        }
        h2 { "Mes dernières démarches" }
        @if history.is_empty() {
            p { "Aucune démarche pour l'instant." }
        } @else {
            table.data {
                thead { tr { th scope="col" { "Date" } th scope="col" { "Démarche" } th scope="col" { "État" } } }
                tbody {
                    @for (latest, earlier) in grouped(&history) {
                        tr {
                            td { (paris_day(latest.le)) }
                            td { (latest.libelle) }
                            td {
                                (latest.statut)
                                @if !earlier.is_empty() {
                                    details {
                                        summary { "Historique" span.visually-hidden { " : " (latest.libelle) } }
                                        ul {
                                            @for e in earlier { li { (paris_day(e.le)) " : " (e.statut) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let page = frame(&family, &csrf, "Mon dossier", "/dossier", main);
    Ok((csrf, page).into_response())
}

fn paris_day(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

/// One line per démarche (newest first): its latest step, then the earlier
/// ones (its history), newest first.
pub fn grouped(
    history: &[shared::domain::dossier::Demarche],
) -> Vec<(
    &shared::domain::dossier::Demarche,
    Vec<&shared::domain::dossier::Demarche>,
)> {
    let mut out: Vec<(
        &shared::domain::dossier::Demarche,
        Vec<&shared::domain::dossier::Demarche>,
    )> = Vec::new();
    for step in history {
        match out
            .iter_mut()
            .find(|(latest, _)| latest.libelle == step.libelle)
        {
            Some((_, earlier)) => earlier.push(step),
            None => out.push((step, Vec::new())),
        }
    }
    out
}

async fn children(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
) -> Result<Response, AppError> {
    let list = dossiers::children(app.store.as_ref(), &numero).await?;
    let main = html! {
        @if list.is_empty() {
            p { "Aucun enfant n'est enregistré dans votre dossier." }
        }
        @for c in &list {
            h2 { (c.prenom) " " (c.nom) }
            dl.facts {
                dt { "Date de naissance" } dd { (date_fr(c.naissance)) }
                dt { "École" } dd { (if c.ecole.is_empty() { "non renseignée" } else { &c.ecole }) }
                dt { "Classe" } dd { (if c.classe.is_empty() { "non renseignée" } else { &c.classe }) }
                dt { "Régime alimentaire" } dd { (c.regime.as_deref().unwrap_or("aucun")) }
                dt { "PAI" } dd { (if c.pai { "oui" } else { "non" }) }
            }
        }
        p.hint { "Une erreur, un enfant à ajouter ? Écrivez au service Enfance-Éducation." }
    };
    let page = frame(&family, &csrf, "Mes enfants", "/dossier/enfants", main);
    Ok((csrf, page).into_response())
}

fn contacts_page(
    family: &Family,
    csrf: &Csrf,
    d: &Dossier,
    version: u64,
    errors: &FieldErrors,
    done: bool,
) -> Markup {
    let labels: Vec<(String, String)> = (1..=d.responsables.len())
        .flat_map(|i| {
            [
                (
                    format!("telephone_{i}"),
                    format!("Téléphone du responsable {i}"),
                ),
                (
                    format!("courriel_{i}"),
                    format!("Adresse e-mail du responsable {i}"),
                ),
            ]
        })
        .collect();
    let labels_ref: Vec<(&str, &str)> = labels
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let main = html! {
        @if done { (notice(NoticeKind::Success, "Vos coordonnées sont enregistrées.")) }
        (error_summary(errors, &labels_ref))
        p { "Vous pouvez modifier ici vos numéros de téléphone et vos adresses e-mail de contact. Un changement d'adresse, de composition familiale ou de quotient familial se signale par un message au service Enfance-Éducation ou à la mairie, avec un justificatif." }
        form.stack method="post" action="/dossier/coordonnees" novalidate {
            (csrf.field())
            input type="hidden" name="version" value=(version);
            @for (i, r) in d.responsables.iter().enumerate() {
                fieldset {
                    legend { (r.prenom) " " (r.nom) }
                    (Field::text(FIELDS[i].0, &labels[2 * i].1, r.telephone.as_deref().unwrap_or("")).kind("tel").autocomplete("tel").optional().render(errors))
                    (Field::text(FIELDS[i].1, &labels[2 * i + 1].1, r.courriel.as_deref().unwrap_or("")).kind("email").autocomplete("email").optional().render(errors))
                }
            }
            button type="submit" { "Enregistrer" }
        }
    };
    frame(
        family,
        csrf,
        "Mes coordonnées",
        "/dossier/coordonnees",
        main,
    )
}

/// Field names of the first two responsables (a dossier has one or two).
const FIELDS: [(&str, &str); 2] = [("telephone_1", "courriel_1"), ("telephone_2", "courriel_2")];

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    enregistre: Option<String>,
}

async fn contacts(
    State(app): State<App>,
    Linked { family, numero, .. }: Linked,
    csrf: Csrf,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    let (d, version) = load(&app, &numero).await?;
    let page = contacts_page(
        &family,
        &csrf,
        &d,
        version,
        &FieldErrors::new(),
        q.enregistre.is_some(),
    );
    Ok((csrf, page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ContactsForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    telephone_1: String,
    #[serde(default)]
    courriel_1: String,
    #[serde(default)]
    telephone_2: String,
    #[serde(default)]
    courriel_2: String,
}

async fn contacts_submit(
    State(app): State<App>,
    Linked {
        family,
        numero,
        access,
    }: Linked,
    csrf: Csrf,
    CsrfForm(f): CsrfForm<ContactsForm>,
) -> Result<Response, AppError> {
    let (mut d, current) = load(&app, &numero).await?;
    let typed = [
        (&f.telephone_1, &f.courriel_1),
        (&f.telephone_2, &f.courriel_2),
    ];
    let mut errors = FieldErrors::new();
    let mut contacts = Vec::new();
    for (i, r) in d.responsables.iter_mut().enumerate().take(FIELDS.len()) {
        let (tel, mail) = typed[i];
        let telephone = dossier::phone(tel).unwrap_or_else(|e| {
            errors.insert(FIELDS[i].0, e);
            None
        });
        let courriel = if mail.trim().is_empty() {
            None
        } else {
            validation::email(mail).map(Some).unwrap_or_else(|e| {
                errors.insert(FIELDS[i].1, e);
                None
            })
        };
        // What was typed stays in the form when it is refused.
        r.telephone = Some(
            tel.trim()
                .chars()
                .take(200)
                .filter(|c| !c.is_control())
                .collect(),
        );
        r.courriel = Some(
            mail.trim()
                .chars()
                .take(200)
                .filter(|c| !c.is_control())
                .collect(),
        );
        contacts.push(Contacts {
            telephone,
            courriel,
        });
    }
    let version: u64 = f.version.parse().unwrap_or(0);
    if !errors.is_empty() {
        let page = contacts_page(&family, &csrf, &d, current, &errors, false);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, page).into_response());
    }
    match dossiers::update_contacts(
        app.store.as_ref(),
        &access,
        version,
        &contacts,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/dossier/coordonnees?enregistre=1").into_response()),
        Err(UpdateError::Conflict) => {
            let (d, current) = load(&app, &numero).await?;
            let mut errors = FieldErrors::new();
            errors.insert(
                FIELDS[0].0,
                "Votre dossier a été modifié entre-temps (par la mairie ou un autre responsable) : voici ses coordonnées actuelles, vérifiez-les puis enregistrez à nouveau.".into(),
            );
            let page = contacts_page(&family, &csrf, &d, current, &errors, false);
            Ok((StatusCode::CONFLICT, csrf, page).into_response())
        }
        Err(UpdateError::Denied(d)) => Err(d.into()),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::dossier::Demarche;

    #[test]
    fn a_demarche_is_one_line_with_its_history_behind() {
        let at = |h: u32| {
            chrono::DateTime::parse_from_rfc3339(&format!("2026-11-26T{h:02}:00:00Z"))
                .unwrap()
                .to_utc()
        };
        let step = |h, libelle: &str, statut: &str| Demarche {
            le: at(h),
            libelle: libelle.into(),
            statut: statut.into(),
        };
        // Newest first, as stored.
        let history = [
            step(9, "Inscription d'Inès — Restauration scolaire", "validée"),
            step(8, "Message à « Régie centrale » : Facture", "envoyé"),
            step(
                7,
                "Inscription d'Inès — Restauration scolaire",
                "en attente",
            ),
        ];
        let lines = grouped(&history);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0.statut, "validée");
        assert_eq!(lines[0].1.len(), 1);
        assert_eq!(lines[0].1[0].statut, "en attente");
        assert!(lines[1].1.is_empty());
    }
}
