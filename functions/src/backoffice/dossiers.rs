//! The agents' dossiers: search by dossier number, family name or child
//! name; view and edit a dossier (responsables, address, QF and its date);
//! add a child. Every change joins the dossier's audit trail.

use super::agent_bar;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use shared::App;
use shared::settings::Settings;

use shared::accounts::validation::{self, FieldErrors};
use shared::domain::dossier::{self, Child, Dossier, PaymentMode, Responsable};
use shared::dossiers::{self, Actor, UpdateError};
use shared::ids::{DossierNumber, in_path};
use shared::import::child_id;
use shared::layout::forms::{Field, error_summary};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::planning::rules::paris_date;
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use std::str::FromStr;

/// A dossier number from the path: the town's characters only, else 404.
/// The dossier number of a path (decoded by the router): one rule with the
/// import and the forms, [`DossierNumber::parse`]; anything else is a 404.
pub(super) fn dossier_number(raw: &str) -> Result<DossierNumber, AppError> {
    DossierNumber::parse(raw).map_err(|_| AppError::NotFound)
}

/// The same, as the text the store's keys are made of.
pub(super) fn numero(raw: &str) -> Result<String, AppError> {
    dossier_number(raw).map(|n| n.to_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    recherche: Option<String>,
}

pub async fn search(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<SearchQuery>,
) -> Result<impl IntoResponse, AppError> {
    let text: String = q.recherche.unwrap_or_default().chars().take(200).collect();
    let found = shared::dossiers::search(app.store.as_ref(), &text).await?;
    let page = layout::render(Page {
        title: "Dossiers",
        path: "/agents/dossiers",
        main: html! {
            (agent_bar(&agent, &csrf))
            form method="get" action="/agents/dossiers" role="search" {
                (Field::text("recherche", "Numéro de dossier, nom du responsable ou de l'enfant", &text)
                    .hint("Exemples : D2026-0142, Lefèvre, Lefèvre Léa").optional().render(&FieldErrors::new()))
                button type="submit" { "Rechercher" }
            }
            @if !text.trim().is_empty() {
                @if found.is_empty() {
                    p { "Aucun dossier ne correspond à « " (text) " »." }
                } @else {
                    table.data {
                        caption.visually-hidden { "Dossiers trouvés" }
                        thead { tr { th scope="col" { "Dossier" } th scope="col" { "Responsables" } th scope="col" { "Adresse" } } }
                        tbody {
                            @for d in &found {
                                tr {
                                    td { a href={ "/agents/dossiers/" (in_path(&d.numero)) } { (d.numero) } }
                                    td { @for (i, r) in d.responsables.iter().enumerate() { @if i > 0 { ", " } (r.prenom) " " (r.nom) } }
                                    td { (d.adresse) }
                                }
                            }
                        }
                    }
                }
            }
        },
    });
    Ok((csrf, page))
}

/// The edit form's fields, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    r1_nom: String,
    #[serde(default)]
    r1_prenom: String,
    #[serde(default)]
    r1_courriel: String,
    #[serde(default)]
    r1_telephone: String,
    #[serde(default)]
    r2_nom: String,
    #[serde(default)]
    r2_prenom: String,
    #[serde(default)]
    r2_courriel: String,
    #[serde(default)]
    r2_telephone: String,
    #[serde(default)]
    adresse: String,
    #[serde(default)]
    qf: String,
    #[serde(default)]
    qf_date: String,
    #[serde(default)]
    mode_paiement: String,
    /// "1" when ticked.
    #[serde(default)]
    hors_commune: Option<String>,
}

impl EditForm {
    fn from_dossier(d: &Dossier, version: u64) -> Self {
        let r = |i: usize| d.responsables.get(i);
        let s = |v: Option<&String>| v.cloned().unwrap_or_default();
        Self {
            version: version.to_string(),
            r1_nom: s(r(0).map(|x| &x.nom)),
            r1_prenom: s(r(0).map(|x| &x.prenom)),
            r1_courriel: s(r(0).and_then(|x| x.courriel.as_ref())),
            r1_telephone: s(r(0).and_then(|x| x.telephone.as_ref())),
            r2_nom: s(r(1).map(|x| &x.nom)),
            r2_prenom: s(r(1).map(|x| &x.prenom)),
            r2_courriel: s(r(1).and_then(|x| x.courriel.as_ref())),
            r2_telephone: s(r(1).and_then(|x| x.telephone.as_ref())),
            adresse: d.adresse.clone(),
            qf: d
                .quotient_familial
                .map(|q| q.to_string())
                .unwrap_or_default(),
            qf_date: d
                .qf_date
                .map(|q| q.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            mode_paiement: d
                .mode_paiement
                .map(|m| m.id().to_owned())
                .unwrap_or_default(),
            hors_commune: d.hors_commune.then(|| "1".to_owned()),
        }
    }

    /// The dossier the form describes, or the errors next to its fields.
    fn to_dossier(&self, numero: &str, today: NaiveDate) -> Result<Dossier, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut responsable =
            |n: u8, nom: &str, prenom: &str, courriel: &str, tel: &str, required: bool| {
                let f = |x: &str| -> &'static str {
                    match (n, x) {
                        (1, "nom") => "r1_nom",
                        (1, "prenom") => "r1_prenom",
                        (1, "courriel") => "r1_courriel",
                        (1, _) => "r1_telephone",
                        (_, "nom") => "r2_nom",
                        (_, "prenom") => "r2_prenom",
                        (_, "courriel") => "r2_courriel",
                        _ => "r2_telephone",
                    }
                };
                if !required && nom.trim().is_empty() && prenom.trim().is_empty() {
                    return None;
                }
                let nom = validation::check(&mut e, f("nom"), validation::text(nom));
                let prenom = validation::check(&mut e, f("prenom"), validation::text(prenom));
                let courriel = if courriel.trim().is_empty() {
                    None
                } else {
                    Some(validation::check(
                        &mut e,
                        f("courriel"),
                        validation::email(courriel),
                    ))
                };
                let telephone = dossier::phone(tel).unwrap_or_else(|m| {
                    e.insert(f("tel"), m);
                    None
                });
                Some(Responsable {
                    nom,
                    prenom,
                    courriel,
                    telephone,
                })
            };
        let mut responsables: Vec<Responsable> = Vec::new();
        responsables.extend(responsable(
            1,
            &self.r1_nom,
            &self.r1_prenom,
            &self.r1_courriel,
            &self.r1_telephone,
            true,
        ));
        responsables.extend(responsable(
            2,
            &self.r2_nom,
            &self.r2_prenom,
            &self.r2_courriel,
            &self.r2_telephone,
            false,
        ));
        let adresse = validation::check(&mut e, "adresse", validation::text(&self.adresse));
        let qf = match self.qf.trim() {
            "" => None,
            v => match Decimal::from_str(&v.replace(',', ".")) {
                Ok(q) if !q.is_sign_negative() && q < Decimal::from(100_000) => Some(q),
                _ => {
                    e.insert(
                        "qf",
                        "Quotient familial invalide : un nombre positif, par exemple 845.".into(),
                    );
                    None
                }
            },
        };
        let qf_date = match self.qf_date.trim() {
            "" => None,
            v => validation::qf_date(v, today)
                .map_err(|m| e.insert("qf_date", m))
                .ok(),
        };
        let mode_paiement = match self.mode_paiement.trim() {
            "" => None,
            v => PaymentMode::parse(v).or_else(|| {
                e.insert(
                    "mode_paiement",
                    "Mode de paiement inconnu : choisissez dans la liste.".into(),
                );
                None
            }),
        };
        if e.is_empty() {
            Ok(Dossier {
                numero: numero.to_owned(),
                responsables,
                adresse,
                quotient_familial: qf,
                qf_date,
                mode_paiement,
                hors_commune: self.hors_commune.is_some(),
            })
        } else {
            Err(e)
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChildForm {
    #[serde(default, rename = "enfant_nom")]
    nom: String,
    #[serde(default, rename = "enfant_prenom")]
    prenom: String,
    #[serde(default, rename = "enfant_naissance")]
    naissance: String,
    #[serde(default)]
    ecole: String,
    #[serde(default)]
    classe: String,
    #[serde(default)]
    regime: String,
    pai: Option<String>,
}

const EDIT_LABELS: &[(&str, &str)] = &[
    ("r1_nom", "Nom du responsable 1"),
    ("r1_prenom", "Prénom du responsable 1"),
    ("r1_courriel", "Adresse e-mail du responsable 1"),
    ("r1_telephone", "Téléphone du responsable 1"),
    ("r2_nom", "Nom du responsable 2"),
    ("r2_prenom", "Prénom du responsable 2"),
    ("r2_courriel", "Adresse e-mail du responsable 2"),
    ("r2_telephone", "Téléphone du responsable 2"),
    ("adresse", "Adresse"),
    ("qf", "Quotient familial"),
    ("qf_date", "Date du quotient familial"),
    ("mode_paiement", "Mode de paiement"),
    ("enfant_nom", "Nom de l'enfant"),
    ("enfant_prenom", "Prénom de l'enfant"),
    ("enfant_naissance", "Date de naissance"),
    ("ecole", "École"),
    ("classe", "Classe"),
    ("regime", "Régime alimentaire"),
];

fn label(name: &str) -> &'static str {
    EDIT_LABELS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, l)| *l)
}

struct View<'a> {
    form: EditForm,
    child: ChildForm,
    errors: FieldErrors,
    message: Option<&'a str>,
}

/// What the dossier page shows beside its forms, read from the store.
struct Shown {
    children: Vec<shared::domain::dossier::Child>,
    trail: Vec<shared::audit::Entry>,
    docs: Vec<shared::domain::document::Document>,
    registrations: Vec<shared::domain::inscription::Inscription>,
    invoices: Vec<shared::domain::invoice::Invoice>,
    threads: Vec<shared::messages::Thread>,
}

async fn read(app: &App, numero: &str) -> Result<Shown, AppError> {
    let store = app.store.as_ref();
    Ok(Shown {
        children: dossiers::children(store, numero).await?,
        trail: shared::audit::trail(store, numero).await?,
        docs: shared::documents::list(store, numero).await?,
        registrations: shared::inscriptions::list(store, numero).await?,
        invoices: shared::billing::campaigns::family_invoices(store, numero).await?,
        threads: shared::messages::threads::of_dossier(store, numero).await?,
    })
}

/// The dossier page: a pure view of what was read and what the agent typed.
fn page(
    s: &Settings,
    agent: &Agent,
    csrf: &Csrf,
    numero: &str,
    shown: &Shown,
    view: View<'_>,
) -> Markup {
    let Shown {
        children,
        trail,
        docs,
        registrations,
        invoices,
        threads,
    } = shown;
    let (f, c, e) = (&view.form, &view.child, &view.errors);
    let field = |name: &'static str, value: &str| {
        Field::text(name, label(name), value).optional().render(e)
    };
    layout::render(Page {
        title: &format!("Dossier {numero}"),
        path: "/agents/dossiers",
        main: html! {
            (agent_bar(agent, csrf))
            @if let Some(m) = view.message { (notice(NoticeKind::Success, m)) }
            (error_summary(e, EDIT_LABELS))
            p { a href="/agents/dossiers" { "← Recherche de dossiers" } }
            h2 { "Enfants" }
            @if children.is_empty() { p { "Aucun enfant." } }
            ul {
                @for ch in children {
                    li { (ch.prenom) " " (ch.nom) ", né(e) le " (ch.naissance.format("%d/%m/%Y")) " — " (ch.ecole) " " (ch.classe)
                        @if let Some(r) = &ch.regime { " — " (r) } @if ch.pai { " — PAI" } }
                }
            }
            (super::inscriptions::dossier_list(registrations))
            (super::documents::section(s, agent, csrf, numero, docs, &FieldErrors::new(), ""))
            (super::billing::dossier_list(numero, invoices))
            (super::messages::dossier_list(agent, numero, threads))
            h2 { "Modifier le dossier" }
            form.stack method="post" action={ "/agents/dossiers/" (in_path(numero)) } novalidate {
                (csrf.field())
                input type="hidden" name="version" value=(f.version);
                fieldset {
                    legend { "Responsable 1" }
                    (Field::text("r1_nom", label("r1_nom"), &f.r1_nom).render(e))
                    (Field::text("r1_prenom", label("r1_prenom"), &f.r1_prenom).render(e))
                    (field("r1_courriel", &f.r1_courriel))
                    (field("r1_telephone", &f.r1_telephone))
                }
                fieldset {
                    legend { "Responsable 2 (facultatif)" }
                    (field("r2_nom", &f.r2_nom))
                    (field("r2_prenom", &f.r2_prenom))
                    (field("r2_courriel", &f.r2_courriel))
                    (field("r2_telephone", &f.r2_telephone))
                }
                (Field::text("adresse", label("adresse"), &f.adresse).render(e))
                (field("qf", &f.qf))
                (Field::text("qf_date", label("qf_date"), &f.qf_date).hint("JJ/MM/AAAA").optional().render(e))
                div.field {
                    label for="mode_paiement" { (label("mode_paiement")) }
                    select #mode_paiement name="mode_paiement"
                        aria-invalid=[e.get("mode_paiement").map(|_| "true")]
                        aria-describedby=[e.get("mode_paiement").map(|_| "mode_paiement-erreur")] {
                        option value="" { "non renseigné" }
                        @for m in PaymentMode::ALL {
                            option value=(m.id()) selected[f.mode_paiement == m.id()] { (m.label()) }
                        }
                    }
                    @if let Some(m) = e.get("mode_paiement") { span.error #mode_paiement-erreur { "Erreur : " (m) } }
                }
                div.check { input #hors_commune type="checkbox" name="hors_commune" value="1" checked[f.hors_commune.is_some()]; label for="hors_commune" { "Famille domiciliée hors de la commune (tarif hors commune)" } }
                button type="submit" { "Enregistrer le dossier" }
            }
            h2 { "Ajouter un enfant" }
            form.stack method="post" action={ "/agents/dossiers/" (in_path(numero)) "/enfants" } novalidate {
                (csrf.field())
                (Field::text("enfant_nom", label("enfant_nom"), &c.nom).render(e))
                (Field::text("enfant_prenom", label("enfant_prenom"), &c.prenom).render(e))
                (Field::text("enfant_naissance", label("enfant_naissance"), &c.naissance).hint("JJ/MM/AAAA").render(e))
                (Field::text("ecole", label("ecole"), &c.ecole).optional().render(e))
                (Field::text("classe", label("classe"), &c.classe).optional().render(e))
                (Field::text("regime", label("regime"), &c.regime).hint("Par exemple « sans porc ».").optional().render(e))
                div.check { input #enfant_pai type="checkbox" name="pai" value="1" checked[c.pai.is_some()]; label for="enfant_pai" { "PAI (projet d'accueil individualisé)" } }
                button type="submit" { "Ajouter l'enfant" }
            }
            h2 { "Historique des actions des agents" }
            @if trail.is_empty() { p { "Aucune action enregistrée." } }
            ul {
                @for t in trail {
                    li { (shared::layout::dates::moment(t.le)) " — " (t.agent_nom) " : " (t.action) " (" (t.detail) ")" }
                }
            }
        },
    })
}

/// The dossier page again, with its errors, under a 4xx status.
async fn refused(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    numero: &str,
    status: StatusCode,
    view: View<'_>,
) -> Result<Response, AppError> {
    let shown = read(app, numero).await?;
    let markup = page(&app.settings, agent, &csrf, numero, &shown, view);
    Ok((status, csrf, markup).into_response())
}

pub(super) async fn existing(app: &App, raw: &str) -> Result<(String, Dossier, u64), AppError> {
    let numero = numero(raw)?;
    let (d, v) = dossiers::load(app.store.as_ref(), &numero)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((numero, d, v))
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

pub async fn view(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let (numero, d, version) = existing(&app, &raw).await?;
    let message = match q.fait.as_deref() {
        Some("dossier") => Some("Dossier enregistré."),
        Some("enfant") => Some("Enfant ajouté."),
        Some("document") => Some("Document publié : la famille le trouve dans « Mes documents »."),
        _ => None,
    };
    let view = View {
        form: EditForm::from_dossier(&d, version),
        child: ChildForm::default(),
        errors: FieldErrors::new(),
        message,
    };
    let shown = read(&app, &numero).await?;
    let markup = page(&app.settings, &agent, &csrf, &numero, &shown, view);
    Ok((csrf, markup).into_response())
}

pub async fn edit(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Result<Response, AppError> {
    let (numero, current, current_version) = existing(&app, &raw).await?;
    let after = match f.to_dossier(&numero, paris_date(app.clock.now())) {
        Ok(d) => d,
        Err(errors) => {
            let view = View {
                form: f,
                child: ChildForm::default(),
                errors,
                message: None,
            };
            return refused(
                &app,
                &agent,
                csrf,
                &numero,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
            .await;
        }
    };
    let version = f.version.parse().unwrap_or(u64::MAX);
    let actor = Actor {
        id: &agent.account.id,
        name: &agent.account.display_name(),
    };
    match dossiers::agent_update(
        app.store.as_ref(),
        &numero,
        version,
        after,
        &actor,
        app.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/agents/dossiers/{}?fait=dossier",
            in_path(&numero)
        ))
        .into_response()),
        Err(UpdateError::Conflict) => {
            let mut errors = FieldErrors::new();
            errors.insert("r1_nom", "Le dossier a été modifié entre-temps : voici son état actuel, refaites vos changements.".into());
            let view = View {
                form: EditForm::from_dossier(&current, current_version),
                child: ChildForm::default(),
                errors,
                message: None,
            };
            refused(&app, &agent, csrf, &numero, StatusCode::CONFLICT, view).await
        }
        Err(UpdateError::Denied(d)) => Err(d.into()),
        Err(UpdateError::Store(e)) => Err(e.into()),
    }
}

pub async fn add_child(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(raw): Path<String>,
    CsrfForm(c): CsrfForm<ChildForm>,
) -> Result<Response, AppError> {
    let (numero, d, version) = existing(&app, &raw).await?;
    let mut errors = FieldErrors::new();
    let nom = validation::check(&mut errors, "enfant_nom", validation::text(&c.nom));
    let prenom = validation::check(&mut errors, "enfant_prenom", validation::text(&c.prenom));
    let birth = validation::birth_date(&c.naissance, paris_date(app.clock.now()))
        .map_err(|m| errors.insert("enfant_naissance", m))
        .ok();
    let mut optional = |field: &'static str, v: &str| -> Option<String> {
        validation::optional_text(v)
            .map_err(|m| errors.insert(field, m))
            .ok()
            .flatten()
    };
    let ecole = optional("ecole", &c.ecole);
    let classe = optional("classe", &c.classe);
    let regime = optional("regime", &c.regime);
    let existing_children = dossiers::children(app.store.as_ref(), &numero).await?;
    let child = birth.map(|naissance| Child {
        id: child_id(&numero, &prenom, naissance),
        nom: nom.clone(),
        prenom: prenom.clone(),
        naissance,
        ecole: ecole.unwrap_or_default(),
        classe: classe.unwrap_or_default(),
        regime,
        pai: c.pai.is_some(),
    });
    if let Some(ch) = &child
        && existing_children.iter().any(|o| o.id == ch.id)
    {
        errors.insert(
            "enfant_prenom",
            "Cet enfant (même prénom et date de naissance) est déjà dans le dossier.".into(),
        );
    }
    match child {
        Some(ch) if errors.is_empty() => {
            let actor = Actor {
                id: &agent.account.id,
                name: &agent.account.display_name(),
            };
            dossiers::add_child(app.store.as_ref(), &numero, &ch, &actor, app.clock.now()).await?;
            Ok(Redirect::to(&format!(
                "/agents/dossiers/{}?fait=enfant",
                in_path(&numero)
            ))
            .into_response())
        }
        _ => {
            let view = View {
                form: EditForm::from_dossier(&d, version),
                child: c,
                errors,
                message: None,
            };
            refused(
                &app,
                &agent,
                csrf,
                &numero,
                StatusCode::UNPROCESSABLE_ENTITY,
                view,
            )
            .await
        }
    }
}
