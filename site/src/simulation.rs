//! The tariff simulation page: the complete grids in plain HTML (readable
//! without JavaScript), and a calculator — a small script fed with the same
//! grids, generated from the commune settings at build — that computes the
//! quotient familial by the CAF rule and the price of every unit.

use crate::Built;
use maud::{Markup, PreEscaped, html};
use rust_decimal::Decimal;
use serde::Serialize;
use shared::layout::{self, Page};
use shared::pricing::{self, Grid, HouseholdError, Scale};
use shared::settings::{self, Activity};

pub const PATH: &str = "/simulation/";
/// The calculator's script.
pub const SCRIPT: &str = include_str!("../assets/simulation.js");

pub fn script_path() -> &'static str {
    static P: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| layout::hashed_asset_path("simulation", "js", SCRIPT));
    &P
}

#[derive(Serialize)]
struct Data<'a> {
    limites: Limits,
    messages: Messages,
    unites: Vec<UnitData<'a>>,
}

#[derive(Serialize)]
struct Limits {
    revenu_max: Decimal,
    prestations_max: Decimal,
    enfants_max: u32,
}

#[derive(Serialize)]
struct Messages {
    revenu_negatif: String,
    revenu_absurde: String,
    prestations_negatives: String,
    prestations_absurdes: String,
    enfants: String,
    aeeh: String,
}

#[derive(Serialize)]
struct UnitData<'a> {
    id: String,
    activite: &'a str,
    nom: &'a str,
    tarif: &'a Grid,
}

/// The id of a unit, as the page and the tests name it.
pub fn unit_id(activity: &Activity, unit: &settings::Unit) -> String {
    format!("{}/{}", activity.id, unit.id)
}

/// The calculator's data, as JSON: the grids and the messages of the Rust
/// rules, so that the script and the billing say and compute the same.
pub fn data_json() -> String {
    let s = settings::embedded();
    let data = Data {
        limites: Limits {
            revenu_max: pricing::MAX_INCOME,
            prestations_max: pricing::MAX_BENEFITS,
            enfants_max: pricing::MAX_CHILDREN,
        },
        messages: Messages {
            revenu_negatif: HouseholdError::NegativeIncome.to_string(),
            revenu_absurde: HouseholdError::AbsurdIncome.to_string(),
            prestations_negatives: HouseholdError::NegativeBenefits.to_string(),
            prestations_absurdes: HouseholdError::AbsurdBenefits.to_string(),
            enfants: HouseholdError::TooManyChildren.to_string(),
            aeeh: HouseholdError::MoreAeehThanChildren.to_string(),
        },
        unites: s
            .activites
            .iter()
            .flat_map(|a| {
                a.unites.iter().map(move |u| UnitData {
                    id: unit_id(a, u),
                    activite: &a.nom,
                    nom: &u.nom,
                    tarif: &u.tarif,
                })
            })
            .collect(),
    };
    // Inside a <script> element: no "</" may appear.
    serde_json::to_string(&data)
        .unwrap_or_default()
        .replace("</", "<\\/")
}

pub use shared::pricing::euros;

fn grid_table(grid: &Grid, caption: &str) -> Markup {
    let extras = html! {
        @if let Some(p) = grid.des_3e_enfant { li { "Dès le 3e enfant : " (euros(p)) } }
        @if let Some(p) = grid.hors_commune { li { "Familles hors commune : " (euros(p)) } }
    };
    match &grid.scale {
        Scale::Tranches { tranches } => html! {
            table.data {
                caption { (caption) }
                thead { tr { th scope="col" { "Quotient familial" } th scope="col" { "Prix" } } }
                tbody {
                    @for b in tranches {
                        tr {
                            td {
                                @match b.qf_max {
                                    Some(max) => { "de " (b.qf_min) " à " (max) " €" }
                                    None => { (b.qf_min) " € et plus" }
                                }
                            }
                            td { (euros(b.prix)) }
                        }
                    }
                }
            }
            ul { (extras) }
        },
        Scale::TauxEffort {
            taux,
            minimum,
            maximum,
        } => html! {
            p {
                strong { (caption) } " : " (taux.to_string().replace('.', ",")) " % du quotient familial, au minimum "
                (euros(*minimum)) " et au maximum " (euros(*maximum)) "."
            }
            ul { (extras) }
        },
    }
}

fn calculator() -> Markup {
    html! {
        // Hidden until the script runs: without it, the grids below say all.
        form #simulateur.stack hidden novalidate {
            div #simulation-erreurs {}
            fieldset {
                legend { "Je connais mon quotient familial" }
                div.field {
                    label for="qf" { "Quotient familial (CAF), en euros" }
                    span.hint #qf-aide { "Il figure sur votre attestation CAF. Laissez vide pour le calculer." }
                    input #qf name="qf" type="text" inputmode="numeric" autocomplete="off" aria-describedby="qf-aide";
                }
            }
            fieldset {
                legend { "Ou je le calcule" }
                div.field {
                    label for="revenu" { "Revenu annuel imposable du foyer, en euros" }
                    span.hint #revenu-aide { "Avant l'abattement de 10 %, tel qu'il figure sur l'avis d'imposition." }
                    input #revenu name="revenu" type="text" inputmode="decimal" autocomplete="off" aria-describedby="revenu-aide";
                }
                div.field {
                    label for="prestations" { "Prestations familiales mensuelles, en euros" }
                    input #prestations name="prestations" type="text" inputmode="decimal" autocomplete="off" value="0";
                }
                fieldset {
                    legend { "Situation" }
                    div.check { input #couple type="radio" name="situation" value="couple" checked; label for="couple" { "En couple" } }
                    div.check { input #seul type="radio" name="situation" value="seul"; label for="seul" { "Parent seul (même nombre de parts, selon la règle de la CAF)" } }
                }
                div.field {
                    label for="enfants" { "Nombre d'enfants à charge" }
                    input #enfants name="enfants" type="number" min="0" max="20" step="1" value="1";
                }
                div.field {
                    label for="aeeh" { "Dont enfants bénéficiant de l'AEEH" }
                    input #aeeh name="aeeh" type="number" min="0" max="20" step="1" value="0";
                }
            }
            button type="submit" { "Calculer" }
        }
        div #resultat aria-live="polite" {}
    }
}

pub fn page() -> Built {
    let s = settings::embedded();
    let main = html! {
        p {
            "Les tarifs des services périscolaires et de la restauration scolaire dépendent du quotient familial (QF) de la famille. "
            "Calculez le vôtre et les prix qui s'y appliquent, ou consultez les grilles complètes ci-dessous."
        }
        noscript { p.notice { "Le calculateur a besoin de JavaScript ; les grilles complètes ci-dessous n'en ont pas besoin." } }
        p.hint { "Le QF est calculé selon la règle de la CAF : (revenu annuel ÷ 12 + prestations mensuelles) ÷ nombre de parts ; 2 parts pour les parents, une demi-part pour chacun des deux premiers enfants, une part pour le troisième, une demi-part par enfant suivant et par enfant bénéficiant de l'AEEH." }
        (calculator())
        h2 { "Grilles tarifaires " (s.calendrier.annee_debut.format("%Y")) "–" (s.calendrier.annee_fin.format("%Y")) }
        @for a in &s.activites {
            h3 { (a.nom) }
            @for u in &a.unites { (grid_table(&u.tarif, &u.nom)) }
        }
        script #grilles type="application/json" { (PreEscaped(data_json())) }
        script src=(script_path()) defer {}
    };
    Built {
        path: PATH.into(),
        html: layout::render(Page {
            title: "Simulation tarifaire",
            path: PATH,
            main,
        })
        .into_string(),
    }
}
