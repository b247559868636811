//! A child's planning as the store keeps it: one item per child and month
//! (the family's view, with the version that guards against lost updates),
//! one small item per day and unit reserved (what the town's daily lists and
//! attendance read), a place counter per unit and slot for activities with
//! a capacity, and the waiting list in order of arrival.

use super::dossier::{Child, partition};
use crate::store::Key;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state of one slot (a day, or a holiday week) of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Reserve,
    /// On the waiting list.
    Attente,
    /// Cancelled the same morning for illness; a certificate is expected.
    Maladie,
    /// Illness absence with its certificate: not billed.
    Justifiee,
}

/// One slot of the month item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub etat: State,
    /// Since when the slot is in this state's line: when the family asked
    /// (a place on the waiting list: its order), when the place was booked
    /// (reserved, and the illness states after it: the month it is billed
    /// with follows from it).
    pub depuis: DateTime<Utc>,
}

/// A unit as the planning names it: "activity/unit".
pub fn unit_ref(activity: &str, unit: &str) -> String {
    format!("{activity}/{unit}")
}

/// A child's month: slot date → unit ref → cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Month {
    #[serde(default)]
    pub cellules: BTreeMap<NaiveDate, BTreeMap<String, Cell>>,
}

impl Month {
    pub fn get(&self, slot: NaiveDate, unit: &str) -> Option<Cell> {
        self.cellules.get(&slot).and_then(|u| u.get(unit)).copied()
    }

    pub fn set(&mut self, slot: NaiveDate, unit: &str, cell: Option<Cell>) {
        match cell {
            Some(c) => {
                self.cellules
                    .entry(slot)
                    .or_default()
                    .insert(unit.to_owned(), c);
            }
            None => {
                if let Some(units) = self.cellules.get_mut(&slot) {
                    units.remove(unit);
                    if units.is_empty() {
                        self.cellules.remove(&slot);
                    }
                }
            }
        }
    }
}

/// "2026-12": the month a slot is kept in (as [`crate::ids::MonthId`] prints it).
pub fn month_id(slot: NaiveDate) -> String {
    crate::ids::MonthId::of(slot).to_string()
}

pub fn month_key(numero: &str, child: &str, month: &str) -> Key {
    Key::new(partition(numero), format!("PLANNING#{child}#{month}"))
}

/// Attendance, as an agent records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    Absent,
    AbsenceJustifiee,
}

/// One child expected (or present) one day at one unit: what the kitchen's
/// counts and the agents' attendance lists read, all in one partition per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayEntry {
    pub numero: String,
    pub enfant: String,
    pub enfant_nom: String,
    pub ecole: String,
    pub classe: String,
    pub regime: Option<String>,
    pub pai: bool,
    pub activite: String,
    pub unite: String,
    /// `None` for a child present without reservation.
    pub etat: Option<State>,
    #[serde(default)]
    pub presence: Option<Presence>,
}

impl DayEntry {
    pub fn of(
        numero: &str,
        child: &Child,
        activity: &str,
        unit: &str,
        etat: Option<State>,
    ) -> Self {
        Self {
            numero: numero.to_owned(),
            enfant: child.id.clone(),
            enfant_nom: format!("{} {}", child.prenom, child.nom),
            ecole: child.ecole.clone(),
            classe: child.classe.clone(),
            regime: child.regime.clone(),
            pai: child.pai,
            activite: activity.to_owned(),
            unite: unit.to_owned(),
            etat,
            presence: None,
        }
    }
}

pub fn day_partition(day: NaiveDate) -> String {
    format!("JOUR#{day}")
}

pub fn day_key(day: NaiveDate, activity: &str, unit: &str, numero: &str, child: &str) -> Key {
    Key::new(
        day_partition(day),
        format!("{activity}#{unit}#{numero}#{child}"),
    )
}

/// The place counter of a unit's slot (attribute `pris`).
pub fn places_key(activity: &str, unit: &str, slot: NaiveDate) -> Key {
    Key::new(format!("PLACES#{activity}#{unit}"), slot.to_string())
}

pub fn waiting_partition(activity: &str, unit: &str, slot: NaiveDate) -> String {
    format!("ATTENTE#{activity}#{unit}#{slot}")
}

/// A place on the waiting list, ordered by the time of the request.
pub fn waiting_key(
    activity: &str,
    unit: &str,
    slot: NaiveDate,
    at: DateTime<Utc>,
    numero: &str,
    child: &str,
) -> Key {
    Key::new(
        waiting_partition(activity, unit, slot),
        format!("{}#{numero}#{child}", at.format("%Y-%m-%dT%H:%M:%S%.9fZ")),
    )
}
