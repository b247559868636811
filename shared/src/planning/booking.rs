//! The days a registration asks, booked when it is validated: its weekdays
//! (or its holiday weeks) from its start to the end of the activity's
//! period, through the same save as the family's own (deadlines and places
//! respected, the waiting list where full), month by month.

use super::advanced::registration_days;
use super::grid::{self, Months};
use super::rules::columns;
use super::{Outcome, SaveError, load_month, save};
use crate::access::Granted;
use crate::app::App;
use crate::billing::rules::Tariff;
use crate::domain::dossier::Child;
use crate::domain::inscription::Inscription;
use crate::domain::planning::month_id;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// What was booked for a registration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Booked {
    pub reserved: usize,
    pub waiting: usize,
    /// Months that could not be saved (changed meanwhile): left to book.
    pub failed: Vec<String>,
    /// The activity has several units: the family chooses them.
    pub choose_units: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Booked {
    /// What the registration and the e-mail say of it.
    pub fn summary(&self) -> String {
        if self.choose_units {
            return "Choisissez maintenant les créneaux de chaque jour dans le planning.".into();
        }
        let mut text = match (self.reserved, self.from, self.to) {
            (0, _, _) => {
                "Aucun jour n'a pu être réservé : réservez-les dans le planning.".to_owned()
            }
            (n, Some(from), Some(to)) => format!(
                "{n} jour(s) réservé(s) du {} au {}",
                from.format("%d/%m/%Y"),
                to.format("%d/%m/%Y")
            ),
            (n, _, _) => format!("{n} jour(s) réservé(s)"),
        };
        if self.waiting > 0 {
            text.push_str(&format!(", {} en liste d'attente (complet)", self.waiting));
        }
        if self.reserved > 0 {
            text.push_str(" ; modifiables dans le planning jusqu'à la date limite de chaque jour.");
        }
        if !self.failed.is_empty() {
            text.push_str(&format!(
                " Mois à réserver vous-même : {}.",
                self.failed.join(", ")
            ));
        }
        text
    }
}

/// Books a validated registration's days for its child.
pub async fn book_registration(
    app: &App,
    child: &Granted<Child>,
    ins: &Inscription,
) -> Result<Booked, SaveError> {
    let s = app.settings.as_ref();
    let Some(activity) = s.activity(&ins.activite) else {
        return Ok(Booked::default());
    };
    if activity.unites.len() != 1 {
        return Ok(Booked {
            choose_units: true,
            ..Booked::default()
        });
    }
    let store = app.store.as_ref();
    let numero = child.numero().as_str();
    let today = app.clock.today();
    let (start, end) = crate::calendar::period(activity, &s.calendrier);
    let from = ins.debut.max(today).max(start);
    if from > end {
        return Ok(Booked::default());
    }
    let days = columns(from, end);
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for d in &days {
        wanted.insert(month_id(*d));
        wanted.insert(month_id(crate::calendar::monday_of(*d)));
    }
    let months: Months = super::load_months(store, numero, &[child.id.as_str()], &wanted)
        .await?
        .into_iter()
        .map(|(key, (month, _))| (key, month))
        .collect();
    let registrations = crate::inscriptions::list(store, numero).await?;
    let tariff = crate::dossiers::get(store, numero)
        .await?
        .map(|d| Tariff::of(&d))
        .unwrap_or_default();
    let children = [child.get().clone()];
    let grid = grid::build(
        s,
        &children,
        &registrations,
        &months,
        tariff,
        days,
        app.clock.now(),
    );
    let plan = registration_days(&grid, ins);
    let mut booked = Booked::default();
    for group in &plan.changes {
        let mut done = None;
        for _ in 0..3 {
            let (_, version) = load_month(store, numero, &child.id, &group.month).await?;
            match save(app, child, &group.month, version, &group.changes).await {
                Ok(outcomes) => {
                    done = Some(outcomes);
                    break;
                }
                Err(SaveError::Conflict) => {}
                Err(SaveError::TooMany) => break,
                Err(e) => return Err(e),
            }
        }
        match done {
            Some(outcomes) => {
                for (o, ch) in outcomes.iter().zip(&group.changes) {
                    match o {
                        Outcome::Reserved => booked.reserved += 1,
                        Outcome::Waiting => booked.waiting += 1,
                        _ => continue,
                    }
                    booked.from = Some(booked.from.map_or(ch.slot, |f| f.min(ch.slot)));
                    booked.to = Some(booked.to.map_or(ch.slot, |t| t.max(ch.slot)));
                }
            }
            None => booked.failed.push(group.month.clone()),
        }
    }
    Ok(booked)
}
