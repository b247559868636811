//! "Modification avancée", as pure functions of a grid: a typical week (per
//! unit, which weekdays) applied to a range, or one child's planning copied
//! to a sibling for the units both are registered to. Both give the changes
//! to save and, day by day, what cannot be applied and why.

use super::Change;
use super::grid::{Grid, MonthChanges, Row, Shown};
use crate::domain::planning::{month_id, unit_ref};
use crate::settings::{Category, Day};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why a day of the pattern could not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No activity that day.
    Closed,
    /// The child's registration does not cover that day.
    NotRegistered,
    /// Past the booking or cancellation deadline.
    Deadline,
    /// An illness absence: not changed here.
    Absence,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Self::Closed => "pas d'accueil ce jour-là (fermeture, jour férié ou vacances)",
            Self::NotRegistered => "hors de l'inscription de l'enfant",
            Self::Deadline => "date limite de réservation ou d'annulation passée",
            Self::Absence => "absence pour maladie déjà déclarée",
        }
    }
}

/// A day that could not be changed as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub child: String,
    pub unit: String,
    pub day: NaiveDate,
    pub wanted: bool,
    pub reason: Reason,
}

/// What applying a pattern to a grid gives.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub changes: Vec<MonthChanges>,
    pub skipped: Vec<Skipped>,
}

/// Compares what `desired` wants of each cell of `child`'s rows with what
/// is there; `None` leaves a cell alone.
fn plan(
    grid: &Grid,
    child: &str,
    desired: impl Fn(&Row, NaiveDate, NaiveDate) -> Option<bool>,
) -> Plan {
    let mut grouped: BTreeMap<(String, String), Vec<Change>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for row in grid.rows.iter().filter(|r| r.child.id == child) {
        let mut seen_slots = BTreeSet::new();
        for cell in &row.cells {
            let Some(want) = desired(row, cell.day, cell.slot) else {
                continue;
            };
            if want == cell.shown.asked() || !seen_slots.insert(cell.slot) {
                continue;
            }
            let reason = match cell.shown {
                Shown::Closed => Some(Reason::Closed),
                Shown::NotRegistered => Some(Reason::NotRegistered),
                Shown::Sick | Shown::Justified => Some(Reason::Absence),
                _ if !cell.editable => Some(Reason::Deadline),
                _ => None,
            };
            match reason {
                // A closed day is no news; nor is asking nothing on a day
                // out of the registration.
                Some(Reason::Closed) => {}
                Some(Reason::NotRegistered) if !want => {}
                Some(reason) => skipped.push(Skipped {
                    child: row.child.prenom.clone(),
                    unit: row.unit.nom.clone(),
                    day: cell.day,
                    wanted: want,
                    reason,
                }),
                None => grouped
                    .entry((child.to_owned(), month_id(cell.slot)))
                    .or_default()
                    .push(Change {
                        activity: row.activity.id.clone(),
                        unit: row.unit.id.clone(),
                        slot: cell.slot,
                        reserve: want,
                    }),
            }
        }
    }
    Plan {
        changes: grouped
            .into_iter()
            .map(|((child, month), changes)| MonthChanges {
                child,
                month,
                changes,
            })
            .collect(),
        skipped,
    }
}

/// A typical week: for each unit given ("activity/unit" → weekdays), its
/// weekdays reserved and its other days cancelled over the grid's days.
/// Units not given, and holiday activities, are left alone.
pub fn typical_week(grid: &Grid, child: &str, week: &HashMap<String, BTreeSet<Day>>) -> Plan {
    plan(grid, child, |row, day, _| {
        if row.activity.categorie == Category::Vacances {
            return None;
        }
        let days = week.get(&unit_ref(&row.activity.id, &row.unit.id))?;
        Some(Day::of(day.weekday()).is_some_and(|d| days.contains(&d)))
    })
}

/// One child's reservations copied to a sibling over the grid's days, for
/// the units both are registered to: added to the sibling's, or (`replace`)
/// replacing them — reserved where the first child's are, cancelled where
/// not.
pub fn copy_to_sibling(grid: &Grid, from: &str, to: &str, replace: bool) -> Plan {
    let source: HashMap<(String, NaiveDate), bool> = grid
        .rows
        .iter()
        .filter(|r| r.child.id == from)
        .flat_map(|r| {
            let uref = unit_ref(&r.activity.id, &r.unit.id);
            r.cells.iter().map(move |c| {
                (
                    (uref.clone(), c.slot),
                    c.shown == Shown::Reserved || c.shown == Shown::Waiting,
                )
            })
        })
        .collect();
    let units: BTreeSet<String> = source.keys().map(|(u, _)| u.clone()).collect();
    plan(grid, to, |row, _, slot| {
        let uref = unit_ref(&row.activity.id, &row.unit.id);
        if !units.contains(&uref) {
            return None;
        }
        let reserved = source.get(&(uref, slot)).copied().unwrap_or(false);
        (replace || reserved).then_some(reserved)
    })
}

/// The days a validated registration asks, to reserve (nothing cancelled):
/// its weekdays, or its holiday weeks, on the rows of its activity's
/// single unit. An activity of several units (périscolaire: matin, soir…)
/// is left to the family, which chooses its units in the planning.
pub fn registration_days(grid: &Grid, ins: &crate::domain::inscription::Inscription) -> Plan {
    let weekdays: BTreeSet<Day> = ins.jours.iter().filter_map(|d| Day::parse(d)).collect();
    let weeks: BTreeSet<NaiveDate> = ins.semaines.iter().copied().collect();
    plan(grid, &ins.enfant, |row, day, slot| {
        if row.activity.id != ins.activite || row.activity.unites.len() != 1 || day < ins.debut {
            return None;
        }
        let asked = if row.activity.categorie == Category::Vacances {
            weeks.contains(&slot)
        } else {
            Day::of(day.weekday()).is_some_and(|d| weekdays.contains(&d))
        };
        asked.then_some(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::inscription::Inscription;
    use crate::domain::planning::{Cell, Month, State};
    use crate::planning::grid::{Months, build};
    use crate::planning::rules::columns;
    use crate::settings;
    use chrono::{DateTime, Utc};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn registration(child: &str, activity: &str, jours: &[&str]) -> Inscription {
        crate::planning::fixtures::registration(child, activity, jours, "2026-11-30")
    }

    #[test]
    fn a_typical_week_over_two_weeks_reports_what_it_cannot_do() {
        let s = settings::embedded();
        let children = crate::demo::children();
        let lea = &children[0].id;
        let regs = [registration(
            lea,
            "restauration",
            &["lundi", "mardi", "jeudi"],
        )];
        // Thursday 26 November 9:30 UTC: Monday 30 (deadline Thursday 10:00
        // Paris) is closed; the rest is open.
        let now: DateTime<Utc> = "2026-11-26T09:30:00Z".parse().unwrap();
        let grid = build(
            s,
            &children,
            &regs,
            &Months::new(),
            crate::billing::rules::Tariff::default(),
            columns(d("2026-11-30"), d("2026-12-11")),
            now,
        );
        let week: HashMap<String, BTreeSet<Day>> = [(
            "restauration/repas".to_owned(),
            [Day::Lundi, Day::Jeudi, Day::Vendredi].into(),
        )]
        .into();
        let plan = typical_week(&grid, lea, &week);
        let reserved: Vec<NaiveDate> = plan
            .changes
            .iter()
            .flat_map(|m| m.changes.iter().map(|c| c.slot))
            .collect();
        // Mondays and Thursdays open; Fridays are not in the registration.
        assert_eq!(
            reserved,
            [d("2026-12-03"), d("2026-12-07"), d("2026-12-10")]
        );
        let why: Vec<(NaiveDate, Reason)> =
            plan.skipped.iter().map(|s| (s.day, s.reason)).collect();
        assert_eq!(
            why,
            [
                (d("2026-11-30"), Reason::Deadline),
                (d("2026-12-04"), Reason::NotRegistered),
                (d("2026-12-11"), Reason::NotRegistered),
            ]
        );
    }

    #[test]
    fn copying_to_a_sibling_takes_shared_units_only() {
        let s = settings::embedded();
        let children = crate::demo::children();
        let (lea, hugo) = (&children[0].id, &children[1].id);
        let regs = [
            registration(
                lea,
                "restauration",
                &["lundi", "mardi", "jeudi", "vendredi"],
            ),
            registration(lea, "periscolaire", &["lundi"]),
            registration(hugo, "restauration", &["lundi", "mardi", "jeudi"]),
        ];
        let at: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        let mut m = Month::default();
        for day in ["2026-12-07", "2026-12-11"] {
            m.set(
                d(day),
                "restauration/repas",
                Some(Cell {
                    etat: State::Reserve,
                    depuis: at,
                }),
            );
        }
        m.set(
            d("2026-12-07"),
            "periscolaire/matin",
            Some(Cell {
                etat: State::Reserve,
                depuis: at,
            }),
        );
        let mut hugo_month = Month::default();
        hugo_month.set(
            d("2026-12-08"),
            "restauration/repas",
            Some(Cell {
                etat: State::Reserve,
                depuis: at,
            }),
        );
        let months: Months = [
            ((lea.clone(), "2026-12".to_owned()), m),
            ((hugo.clone(), "2026-12".to_owned()), hugo_month),
        ]
        .into();
        let now: DateTime<Utc> = "2026-11-26T07:00:00Z".parse().unwrap();
        let grid = build(
            s,
            &children,
            &regs,
            &months,
            crate::billing::rules::Tariff::default(),
            columns(d("2026-12-07"), d("2026-12-11")),
            now,
        );
        let changes_of = |plan: &Plan| -> Vec<(NaiveDate, bool)> {
            plan.changes
                .iter()
                .flat_map(|m| m.changes.iter().map(|c| (c.slot, c.reserve)))
                .collect()
        };
        // Added: Monday reserved, Hugo's Tuesday kept.
        assert_eq!(
            changes_of(&copy_to_sibling(&grid, lea, hugo, false)),
            [(d("2026-12-07"), true)]
        );
        let plan = copy_to_sibling(&grid, lea, hugo, true);
        // Replaced: Monday reserved, Tuesday cancelled (Léa has none);
        // Friday is out of Hugo's registration; périscolaire is not Hugo's.
        assert_eq!(
            changes_of(&plan),
            [(d("2026-12-07"), true), (d("2026-12-08"), false)]
        );
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(
            (plan.skipped[0].day, plan.skipped[0].reason),
            (d("2026-12-11"), Reason::NotRegistered)
        );
        assert!(plan.changes.iter().all(|m| m.child == *hugo));
    }
}
