//! The billing projection: per family and billed month, one item holding
//! what each of its days booked and what attendance recorded. Every write
//! that changes a day entry's booking or attendance changes its fact in the
//! same transaction, so a campaign reads one item per family instead of
//! every day entry of the month (3.4 million for 100,000 children).
//!
//! A fact is two top-level attributes of the item, set or removed by an
//! update without reading it first: `e#{child}#{day}#{activity}#{unit}`
//! (the booking's state) and `p#…` (the attendance mark). Two writers of
//! the same family's month never overwrite each other's facts.

use crate::domain::planning::{Presence, State};
use crate::store::{Condition, Item, Key, Update, Write};
use chrono::NaiveDate;
use serde_json::Value;
use std::collections::BTreeMap;

/// One child's day at one unit, as billing reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub day: NaiveDate,
    pub enfant: String,
    pub activite: String,
    pub unite: String,
    /// `None`: present without a booking.
    pub etat: Option<State>,
    pub presence: Option<Presence>,
}

/// The partition of a billed month's projection items (sort key: the
/// dossier's number, so a campaign resumes after the last family billed).
pub fn partition(month: &str) -> String {
    format!("FACTURER#{month}")
}

pub fn key(month: &str, numero: &str) -> Key {
    Key::new(partition(month), numero)
}

const BOOKING: &str = "e#";
const ATTENDANCE: &str = "p#";

fn day_ref(child: &str, day: NaiveDate, activity: &str, unit: &str) -> String {
    format!("{child}#{day}#{activity}#{unit}")
}

/// The fact changes of one transaction, merged into one update per billed
/// month (a transaction may not write an item twice).
#[derive(Debug, Default)]
pub struct Changes {
    numero: String,
    by_month: BTreeMap<String, Update>,
}

/// One child's days at one unit (the days of a slot).
pub struct Days<'a> {
    pub child: &'a str,
    pub activity: &'a str,
    pub unit: &'a str,
    pub days: &'a [NaiveDate],
}

impl Changes {
    pub fn new(numero: &str) -> Self {
        Self {
            numero: numero.to_owned(),
            by_month: BTreeMap::new(),
        }
    }

    fn edit(&mut self, month: &str, at: &Days, f: impl Fn(Update, String) -> Update) {
        let update = self.by_month.entry(month.to_owned()).or_default();
        for day in at.days {
            let r = day_ref(at.child, *day, at.activity, at.unit);
            *update = f(std::mem::take(update), r);
        }
    }

    /// The days are booked in this state (their attendance is kept).
    pub fn booked(&mut self, month: &str, at: &Days, state: State) -> &mut Self {
        let value = state_value(state);
        self.edit(month, at, |u, r| {
            u.set(format!("{BOOKING}{r}"), value.clone())
        });
        self
    }

    /// The days are no longer booked (cancelled in time): no fact left.
    pub fn cancelled(&mut self, month: &str, at: &Days) -> &mut Self {
        self.edit(month, at, |u, r| {
            u.remove(format!("{BOOKING}{r}"))
                .remove(format!("{ATTENDANCE}{r}"))
        });
        self
    }

    /// Attendance recorded on the days.
    pub fn attended(&mut self, month: &str, at: &Days, presence: Presence) -> &mut Self {
        let value = serde_json::to_value(presence).unwrap_or_default();
        self.edit(month, at, |u, r| {
            u.set(format!("{ATTENDANCE}{r}"), value.clone())
        });
        self
    }

    /// One update per billed month touched.
    pub fn writes(self) -> Vec<Write> {
        self.by_month
            .into_iter()
            .map(|(month, update)| Write::Update {
                key: key(&month, &self.numero),
                update,
                condition: Condition::Always,
            })
            .collect()
    }
}

fn state_value(state: State) -> Value {
    serde_json::to_value(state).unwrap_or_default()
}

/// A projection item's facts, in day-ref order (unknown attributes and
/// values are skipped: they are not facts).
pub fn read(item: &Item) -> Vec<Fact> {
    use serde::Deserialize;
    let mut facts: BTreeMap<&str, Fact> = BTreeMap::new();
    // The attributes come in name order: a day's units follow each other.
    let mut last_day: Option<(&str, NaiveDate)> = None;
    for (name, value) in &item.attrs {
        let (booking, r) = match (name.strip_prefix(BOOKING), name.strip_prefix(ATTENDANCE)) {
            (Some(r), _) => (true, r),
            (_, Some(r)) => (false, r),
            _ => continue,
        };
        let mut parts = r.splitn(4, '#');
        let (Some(child), Some(day), Some(activity), Some(unit)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let day = match last_day {
            Some((text, date)) if text == day => date,
            _ => match day.parse::<NaiveDate>() {
                Ok(date) => {
                    last_day = Some((day, date));
                    date
                }
                Err(_) => continue,
            },
        };
        let fact = facts.entry(r).or_insert_with(|| Fact {
            day,
            enfant: child.to_owned(),
            activite: activity.to_owned(),
            unite: unit.to_owned(),
            etat: None,
            presence: None,
        });
        if booking {
            fact.etat = State::deserialize(value).ok();
        } else {
            fact.presence = Presence::deserialize(value).ok();
        }
    }
    facts.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(item: &mut Item, writes: Vec<Write>) {
        for w in writes {
            let Write::Update { key, update, .. } = w else {
                panic!("an update");
            };
            assert_eq!(key, item.key);
            for (name, value) in update.set {
                item.attrs.insert(name, value);
            }
            for name in update.remove {
                item.attrs.remove(&name);
            }
        }
    }

    #[test]
    fn facts_are_set_and_removed_per_day_and_read_back() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let week = [d("2026-10-19"), d("2026-10-20")];
        let at = |days| Days {
            child: "E1",
            activity: "centre",
            unit: "journee",
            days,
        };
        let mut item = Item::new(key("2026-10", "D1"), Default::default());
        let mut c = Changes::new("D1");
        c.booked("2026-10", &at(&week), State::Reserve).attended(
            "2026-10",
            &at(&week[..1]),
            Presence::Present,
        );
        let writes = c.writes();
        assert_eq!(writes.len(), 1, "one update per month");
        apply(&mut item, writes);
        let facts = read(&item);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].day, week[0]);
        assert_eq!(facts[0].presence, Some(Presence::Present));
        assert_eq!(facts[1].etat, Some(State::Reserve));
        assert_eq!(facts[1].presence, None);
        // Cancelled: nothing left; attendance alone is a day without booking.
        let mut c = Changes::new("D1");
        c.cancelled("2026-10", &at(&week));
        apply(&mut item, c.writes());
        assert!(read(&item).is_empty());
        let mut c = Changes::new("D1");
        c.attended("2026-10", &at(&week[1..]), Presence::Present);
        apply(&mut item, c.writes());
        let facts = read(&item);
        assert_eq!(
            (facts[0].etat, facts[0].presence),
            (None, Some(Presence::Present))
        );
        assert_eq!(
            (facts[0].activite.as_str(), facts[0].unite.as_str()),
            ("centre", "journee")
        );
    }

    #[test]
    fn two_months_are_two_updates() {
        let d = "2026-10-30".parse::<NaiveDate>().unwrap();
        let at = Days {
            child: "E1",
            activity: "cantine",
            unit: "repas",
            days: &[d],
        };
        let mut c = Changes::new("D1");
        c.cancelled("2026-09", &at)
            .booked("2026-10", &at, State::Reserve);
        let keys: Vec<Key> = c
            .writes()
            .into_iter()
            .map(|w| match w {
                Write::Update { key, .. } => key,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(keys, vec![key("2026-09", "D1"), key("2026-10", "D1")]);
    }
}
