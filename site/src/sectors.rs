//! "École de secteur": which school takes a street. Without JavaScript, an
//! alphabetical index of the streets; with it, a search box that tolerates
//! accents and case (the same folding as the Rust rule).

use crate::Built;
use maud::{PreEscaped, html};
use serde::Serialize;
use shared::accounts::names::fold;
use shared::layout::{self, Page};
use shared::sectors::numbers_fr;
use shared::settings;

pub const SCRIPT: &str = include_str!("../assets/secteur.js");

pub fn script_path() -> &'static str {
    static P: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| layout::hashed_asset_path("secteur", "js", SCRIPT));
    &P
}

#[derive(Serialize)]
struct Row<'a> {
    rue: &'a str,
    de: Option<u32>,
    a: Option<u32>,
    cote: Option<&'static str>,
    numeros: String,
    ecole: &'a str,
}

fn rows() -> Vec<Row<'static>> {
    let mut rows: Vec<Row> = settings::embedded()
        .secteurs
        .iter()
        .flat_map(|s| {
            s.rues.iter().map(move |r| Row {
                rue: &r.nom,
                de: r.de,
                a: r.a,
                cote: r.cote.map(|c| match c {
                    settings::StreetSide::Pairs => "pairs",
                    settings::StreetSide::Impairs => "impairs",
                }),
                numeros: numbers_fr(r),
                ecole: &s.ecole,
            })
        })
        .collect();
    rows.sort_by(|x, y| {
        fold(x.rue)
            .cmp(&fold(y.rue))
            .then(x.de.cmp(&y.de))
            .then(x.ecole.cmp(y.ecole))
    });
    rows
}

pub fn page() -> Built {
    let rows = rows();
    let data = serde_json::to_string(&rows)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let main = html! {
        p { "L'école de secteur dépend de l'adresse de la famille. Une dérogation se demande au service Enfance-Éducation." }
        form #recherche-secteur.stack hidden role="search" {
            div.field {
                label for="rue" { "Nom de la rue" }
                span.hint #rue-aide { "Par exemple : emile zola, avenue de la gare. Les accents et majuscules sont facultatifs." }
                input #rue name="rue" type="text" autocomplete="address-line1" aria-describedby="rue-aide";
            }
            div.field {
                label for="numero" { "Numéro (facultatif)" }
                input #numero name="numero" type="text" inputmode="numeric" autocomplete="off";
            }
        }
        div #resultat-secteur aria-live="polite" {}
        h2 { "Index des rues" }
        table.data {
            caption.visually-hidden { "Rues de la commune et leur école de secteur" }
            thead { tr { th scope="col" { "Rue" } th scope="col" { "Numéros" } th scope="col" { "École" } } }
            tbody {
                @for r in &rows {
                    tr { td { (r.rue) } td { (r.numeros) } td { (r.ecole) } }
                }
            }
        }
        script #rues type="application/json" { (PreEscaped(data)) }
        script src=(script_path()) defer {}
    };
    Built {
        path: "/ecole-de-secteur/".into(),
        html: layout::render(Page {
            title: "École de secteur",
            path: "/ecole-de-secteur/",
            main,
        })
        .into_string(),
    }
}
