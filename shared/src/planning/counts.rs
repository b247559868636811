//! The town's daily lists, as pure functions of a day's entries: per school,
//! the number of meals (with regimes and PAI) and of children per unit —
//! what the kitchen and the staff need each morning — and the same as CSV.

use crate::domain::planning::{DayEntry, State};
use crate::settings::Settings;
use std::collections::BTreeMap;

/// One school's counts for one day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchoolCounts {
    pub ecole: String,
    /// Children expected per unit (activity name — unit name), in the
    /// settings' order.
    pub units: Vec<(String, usize)>,
    pub meals: usize,
    /// Meals per regime ("sans porc" → 3); children without one are not listed.
    pub regimes: BTreeMap<String, usize>,
    /// Meals for children with a PAI.
    pub pai: usize,
}

/// Whether an entry stands for a child expected that day.
pub fn expected(e: &DayEntry) -> bool {
    e.etat == Some(State::Reserve)
}

/// Counts a day's entries per school (schools in name order).
pub fn daily(s: &Settings, entries: &[DayEntry]) -> Vec<SchoolCounts> {
    let mut by_school: BTreeMap<&str, Vec<&DayEntry>> = BTreeMap::new();
    for e in entries.iter().filter(|e| expected(e)) {
        let school = if e.ecole.is_empty() {
            "École non renseignée"
        } else {
            e.ecole.as_str()
        };
        by_school.entry(school).or_default().push(e);
    }
    by_school
        .into_iter()
        .map(|(ecole, list)| {
            let mut counts = SchoolCounts {
                ecole: ecole.to_owned(),
                ..SchoolCounts::default()
            };
            for a in &s.activites {
                for u in &a.unites {
                    let n = list
                        .iter()
                        .filter(|e| e.activite == a.id && e.unite == u.id)
                        .count();
                    if n > 0 {
                        counts.units.push((format!("{} — {}", a.nom, u.nom), n));
                    }
                }
            }
            for e in list.iter().filter(|e| e.activite == "restauration") {
                counts.meals += 1;
                if let Some(r) = e.regime.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    *counts.regimes.entry(r.to_lowercase()).or_default() += 1;
                }
                if e.pai {
                    counts.pai += 1;
                }
            }
            counts
        })
        .collect()
}

/// The counts as CSV (`;`, UTF-8 with BOM, as French spreadsheets open it).
pub fn csv(day: chrono::NaiveDate, counts: &[SchoolCounts]) -> String {
    let mut out = String::from("\u{feff}date;ecole;ligne;nombre\r\n");
    // Quoted; a value a spreadsheet would run as a formula is defused.
    let quote = |v: &str| {
        let safe = if v.starts_with(['=', '+', '-', '@']) {
            format!("'{v}")
        } else {
            v.to_owned()
        };
        format!("\"{}\"", safe.replace('"', "\"\""))
    };
    for c in counts {
        let mut line = |what: &str, n: usize| {
            out.push_str(&format!(
                "{day};{};{};{n}\r\n",
                quote(&c.ecole),
                quote(what)
            ));
        };
        line("Repas", c.meals);
        for (r, n) in &c.regimes {
            line(&format!("Repas {r}"), *n);
        }
        line("Repas PAI", c.pai);
        for (u, n) in &c.units {
            line(u, *n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings;

    fn entry(
        ecole: &str,
        activite: &str,
        unite: &str,
        regime: Option<&str>,
        pai: bool,
        etat: Option<State>,
    ) -> DayEntry {
        DayEntry {
            numero: "D1".into(),
            enfant: "E".into(),
            enfant_nom: "Léa".into(),
            ecole: ecole.into(),
            classe: "CP".into(),
            regime: regime.map(Into::into),
            pai,
            activite: activite.into(),
            unite: unite.into(),
            etat,
            presence: None,
        }
    }

    #[test]
    fn meals_regimes_pai_and_units_per_school() {
        let s = settings::embedded();
        let r = Some(State::Reserve);
        let entries = [
            entry(
                "Jean-Jaurès",
                "restauration",
                "repas",
                Some("sans porc"),
                false,
                r,
            ),
            entry(
                "Jean-Jaurès",
                "restauration",
                "repas",
                Some("Sans porc"),
                true,
                r,
            ),
            entry("Jean-Jaurès", "restauration", "repas", None, false, r),
            entry(
                "Jean-Jaurès",
                "restauration",
                "repas",
                None,
                false,
                Some(State::Maladie),
            ),
            entry("Jean-Jaurès", "periscolaire", "matin", None, false, r),
            entry(
                "Les Allymes",
                "restauration",
                "repas",
                Some("sans viande"),
                false,
                r,
            ),
            entry("Les Allymes", "periscolaire", "soir-18h", None, false, None),
        ];
        let counts = daily(s, &entries);
        assert_eq!(counts.len(), 2);
        let jj = &counts[0];
        assert_eq!((jj.ecole.as_str(), jj.meals, jj.pai), ("Jean-Jaurès", 3, 1));
        assert_eq!(jj.regimes.get("sans porc"), Some(&2));
        assert_eq!(
            jj.units,
            [
                ("Restauration scolaire — Repas".to_owned(), 3),
                (
                    "Accueil périscolaire — Accueil du matin (7 h 30 – 8 h 20)".to_owned(),
                    1
                )
            ]
        );
        // A child present without reservation is not expected.
        assert_eq!(counts[1].units.len(), 1);
        let text = csv("2026-12-03".parse().unwrap(), &counts);
        assert!(text.starts_with("\u{feff}date;ecole;ligne;nombre\r\n"));
        assert!(text.contains("2026-12-03;\"Jean-Jaurès\";\"Repas sans porc\";2\r\n"));
        assert!(text.contains("2026-12-03;\"Les Allymes\";\"Repas\";1\r\n"));
        let odd = daily(
            s,
            &[entry(
                "=HYPERLINK(\"x\")",
                "restauration",
                "repas",
                None,
                false,
                r,
            )],
        );
        assert!(csv("2026-12-03".parse().unwrap(), &odd).contains("\"'=HYPERLINK(\"\"x\"\")\""));
    }
}
