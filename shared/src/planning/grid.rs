//! The planning grid a family sees, as a pure function: a row per child and
//! unit of the activities they are registered to (validated), a cell per day
//! with what it shows and whether it may be changed now, what the period
//! costs (the simulation's pricing code), and which posted changes are
//! allowed — anything else in a form was tampered with.

use super::Change;
use super::rules::{can_change, covers, illness_window_open, slot};
use crate::billing::rules::Tariff;
use crate::calendar::runs_on;
use crate::domain::dossier::Child;
use crate::domain::inscription::{Inscription, Status};
use crate::domain::planning::{Month, State, month_id, unit_ref};
use crate::pricing::line_total;
use crate::settings::{Activity, Category, Settings, Unit};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// No activity that day (weekend, holiday, public holiday, closure).
    Closed,
    /// The activity runs, but the child's registration does not cover it.
    NotRegistered,
    Free,
    Reserved,
    Waiting,
    Sick,
    Justified,
}

impl Shown {
    pub fn label(self) -> &'static str {
        match self {
            Self::Closed => "fermé",
            Self::NotRegistered => "hors inscription",
            Self::Free => "non réservé",
            Self::Reserved => "réservé",
            Self::Waiting => "en liste d'attente",
            Self::Sick => "absence maladie — justificatif attendu",
            Self::Justified => "absence justifiée",
        }
    }

    /// Whether the slot counts as asked (a ticked box).
    pub fn asked(self) -> bool {
        matches!(self, Self::Reserved | Self::Waiting)
    }

    fn billed(self) -> bool {
        matches!(self, Self::Reserved | Self::Sick)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CellView {
    pub day: NaiveDate,
    pub slot: NaiveDate,
    pub shown: Shown,
    /// A box the family may tick or untick now.
    pub editable: bool,
    /// The family may cancel for illness now (this morning).
    pub illness: bool,
}

pub struct Row<'a> {
    pub child: &'a Child,
    pub activity: &'a Activity,
    pub unit: &'a Unit,
    pub cells: Vec<CellView>,
    pub billed: u32,
    /// The unit price for this family and child (rounded to the cent).
    pub price: Decimal,
    pub cost: Decimal,
}

pub struct Grid<'a> {
    pub days: Vec<NaiveDate>,
    pub rows: Vec<Row<'a>>,
    /// Slots on a waiting list in the period.
    pub waiting: usize,
    pub total: Decimal,
}

/// The key of a cell in forms: "child|activity|unit|slot".
pub fn cell_key(child: &str, activity: &str, unit: &str, slot: NaiveDate) -> String {
    format!("{child}|{activity}|{unit}|{slot}")
}

/// A cell key's parts: (child, activity, unit, slot).
pub fn parse_cell_key(key: &str) -> Option<(&str, &str, &str, NaiveDate)> {
    let mut parts = key.splitn(4, '|');
    let child = parts.next()?;
    let activity = parts.next()?;
    let unit = parts.next()?;
    let slot = parts.next()?.parse().ok()?;
    Some((child, activity, unit, slot))
}

/// A family's months, by (child id, month id).
pub type Months = HashMap<(String, String), Month>;

/// Builds the grid of `days` for the children (eldest first: their rank
/// prices the third child) at `now`.
#[allow(clippy::too_many_arguments)]
pub fn build<'a>(
    s: &'a Settings,
    children: &'a [Child],
    registrations: &[Inscription],
    months: &Months,
    tariff: Tariff,
    days: Vec<NaiveDate>,
    now: DateTime<Utc>,
) -> Grid<'a> {
    let cal = &s.calendrier;
    let mut rows = Vec::new();
    let mut waiting = 0;
    let mut total = Decimal::ZERO;
    let year = s.school_year();
    for (rank, child) in children.iter().enumerate() {
        for activity in &s.activites {
            let own: Vec<&Inscription> = registrations
                .iter()
                .filter(|i| {
                    i.enfant == child.id
                        && i.activite == activity.id
                        && i.annee == year
                        && i.statut == Status::Validee
                })
                .collect();
            if own.is_empty() {
                continue;
            }
            for unit in &activity.unites {
                let uref = unit_ref(&activity.id, &unit.id);
                let mut billed = 0;
                let mut counted_slots = BTreeSet::new();
                // The days run in order: a row looks its month up once a
                // month, not once a day.
                let mut month_of: Option<((i32, u32), Option<&Month>)> = None;
                let cells: Vec<CellView> = days
                    .iter()
                    .map(|&day| {
                        let slot = slot(activity, day);
                        let ym = (slot.year(), slot.month());
                        let month = match month_of {
                            Some((at, month)) if at == ym => month,
                            _ => {
                                let month = months.get(&(child.id.clone(), month_id(slot)));
                                month_of = Some((ym, month));
                                month
                            }
                        };
                        let stored = month.and_then(|m| m.get(slot, &uref)).map(|c| c.etat);
                        let runs = runs_on(activity, cal, day);
                        let covered = own.iter().any(|i| covers(i, activity, cal, day));
                        let shown = match stored {
                            Some(State::Reserve) if runs => Shown::Reserved,
                            Some(State::Attente) if runs => Shown::Waiting,
                            Some(State::Maladie) => Shown::Sick,
                            Some(State::Justifiee) => Shown::Justified,
                            _ if !runs => Shown::Closed,
                            _ if !covered => Shown::NotRegistered,
                            _ => Shown::Free,
                        };
                        // A holiday week has one box, on its first running day.
                        let first_of_slot = activity.categorie != Category::Vacances
                            || super::days_of_slot(cal, activity, slot).first() == Some(&day);
                        let editable = covered
                            && first_of_slot
                            && matches!(shown, Shown::Free | Shown::Reserved | Shown::Waiting)
                            && can_change(activity.reservation.delai, cal, slot, now);
                        let illness = shown == Shown::Reserved
                            && activity.categorie != Category::Vacances
                            && illness_window_open(&activity.reservation, day, now);
                        if shown.billed() && counted_slots.insert(slot) {
                            billed += 1;
                        }
                        if shown == Shown::Waiting && first_of_slot {
                            waiting += 1;
                        }
                        CellView {
                            day,
                            slot,
                            shown,
                            editable,
                            illness,
                        }
                    })
                    .collect();
                let exact = tariff.price(&unit.tarif, rank as u32 + 1, child.pai);
                let cost = line_total(exact, billed);
                total += cost;
                rows.push(Row {
                    child,
                    activity,
                    unit,
                    cells,
                    billed,
                    price: crate::pricing::to_cents(exact),
                    cost,
                });
            }
        }
    }
    Grid {
        days,
        rows,
        waiting,
        total,
    }
}

/// A change grouped by the month it is kept in.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthChanges {
    pub child: String,
    pub month: String,
    pub changes: Vec<Change>,
}

/// The changes a posted form asks, from the boxes ticked (`ticked` holds
/// cell keys). A ticked box that is not an editable cell of the grid (a
/// closed or past day, another family's child, a unit the child is not
/// registered to) refuses the whole form: its key is returned.
pub fn changes(grid: &Grid, ticked: &BTreeSet<String>) -> Result<Vec<MonthChanges>, String> {
    let mut editable = BTreeMap::new();
    for row in &grid.rows {
        for cell in row.cells.iter().filter(|c| c.editable) {
            let key = cell_key(&row.child.id, &row.activity.id, &row.unit.id, cell.slot);
            editable.insert(key, (row, cell));
        }
    }
    if let Some(bad) = ticked.iter().find(|k| !editable.contains_key(*k)) {
        return Err(bad.clone());
    }
    let mut grouped: BTreeMap<(String, String), Vec<Change>> = BTreeMap::new();
    for (key, (row, cell)) in &editable {
        let want = ticked.contains(key);
        if want != cell.shown.asked() {
            grouped
                .entry((row.child.id.clone(), month_id(cell.slot)))
                .or_default()
                .push(Change {
                    activity: row.activity.id.clone(),
                    unit: row.unit.id.clone(),
                    slot: cell.slot,
                    reserve: want,
                });
        }
    }
    Ok(grouped
        .into_iter()
        .map(|((child, month), changes)| MonthChanges {
            child,
            month,
            changes,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::planning::Cell;
    use crate::planning::fixtures::registration;
    use crate::planning::rules::{View, columns};
    use crate::settings;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_grid_shows_states_deadlines_and_cost() {
        let s = settings::embedded();
        let children = crate::demo::children();
        let lea = &children[0].id;
        let regs = [registration(
            lea,
            "restauration",
            &["lundi", "mardi", "jeudi", "vendredi"],
            "2026-11-30",
        )];
        let mut m = Month::default();
        let at: DateTime<Utc> = "2026-11-20T10:00:00Z".parse().unwrap();
        for day in ["2026-11-30", "2026-12-03", "2026-12-04"] {
            m.set(
                d(day),
                "restauration/repas",
                Some(Cell {
                    etat: State::Reserve,
                    depuis: at,
                }),
            );
        }
        let months: Months = [
            ((lea.clone(), "2026-11".into()), m.clone()),
            ((lea.clone(), "2026-12".into()), m),
        ]
        .into_iter()
        .collect();
        let (first, last) = View::Semaine.range(d("2026-12-01"));
        // Thursday 26 November, 7:00 UTC: 2 working days before at 10:00.
        let now = "2026-11-26T07:00:00Z".parse().unwrap();
        let grid = build(
            s,
            &children,
            &regs,
            &months,
            crate::billing::rules::Tariff {
                qf: Some(Decimal::new(845, 0)),
                hors_commune: false,
            },
            columns(first, last),
            now,
        );
        assert_eq!(grid.rows.len(), 1);
        let row = &grid.rows[0];
        let shown: Vec<Shown> = row.cells.iter().map(|c| c.shown).collect();
        use Shown::*;
        // Mon 30, Tue 1, Wed 2, Thu 3, Fri 4, Sat 5.
        assert_eq!(shown, [Reserved, Free, Closed, Reserved, Reserved, Closed]);
        let editable: Vec<bool> = row.cells.iter().map(|c| c.editable).collect();
        // Monday's deadline (Thursday 26, 10:00) is still ahead; all open.
        assert_eq!(editable, [true, true, false, true, true, false]);
        // 3 meals at 3.30 € (QF 845).
        assert_eq!((row.billed, row.cost), (3, Decimal::new(990, 2)));
        assert_eq!(grid.total, Decimal::new(990, 2));
        // Without QF: the highest bracket (4.10 €).
        let grid = build(
            s,
            &children,
            &regs,
            &months,
            crate::billing::rules::Tariff::default(),
            columns(first, last),
            now,
        );
        assert_eq!(grid.total, Decimal::new(1230, 2));
        // After Thursday 10:00, Monday is closed to changes.
        let later = "2026-11-26T09:00:00Z".parse().unwrap();
        let grid = build(
            s,
            &children,
            &regs,
            &months,
            crate::billing::rules::Tariff::default(),
            columns(first, last),
            later,
        );
        assert!(!grid.rows[0].cells[0].editable && grid.rows[0].cells[1].editable);
    }

    #[test]
    fn cell_keys_round_trip() {
        let key = cell_key("C1", "restauration", "repas", d("2026-12-03"));
        assert_eq!(
            parse_cell_key(&key),
            Some(("C1", "restauration", "repas", d("2026-12-03")))
        );
        assert_eq!(parse_cell_key("C1|restauration|repas|hier"), None);
        assert_eq!(parse_cell_key("n'importe quoi"), None);
    }

    #[test]
    fn only_editable_cells_may_change() {
        let s = settings::embedded();
        let children = crate::demo::children();
        let lea = &children[0].id;
        let regs = [registration(
            lea,
            "restauration",
            &["lundi", "jeudi"],
            "2026-11-30",
        )];
        let (first, last) = View::Semaine.range(d("2026-12-07"));
        let now = "2026-11-26T07:00:00Z".parse().unwrap();
        let grid = build(
            s,
            &children,
            &regs,
            &Months::new(),
            crate::billing::rules::Tariff::default(),
            columns(first, last),
            now,
        );
        let key = |day: &str| cell_key(lea, "restauration", "repas", d(day));
        let ticked: BTreeSet<String> = [key("2026-12-07"), key("2026-12-10")].into();
        let asked = changes(&grid, &ticked).unwrap();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].month, "2026-12");
        assert_eq!(asked[0].changes.len(), 2);
        // A Tuesday (not registered), a Wednesday (closed), Hugo (not
        // registered), another family's child: refused.
        for bad in [
            key("2026-12-08"),
            key("2026-12-09"),
            cell_key(&children[1].id, "restauration", "repas", d("2026-12-07")),
            cell_key("AUTRE", "restauration", "repas", d("2026-12-07")),
            "n'importe quoi".to_owned(),
        ] {
            let ticked: BTreeSet<String> = [bad.clone()].into();
            assert_eq!(changes(&grid, &ticked), Err(bad));
        }
    }
}
