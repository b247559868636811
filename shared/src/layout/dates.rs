//! Dates as French pages write them.

use chrono::{Datelike, NaiveDate};
use std::fmt;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const WEEKDAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "26 novembre 2026".
pub fn long(d: NaiveDate) -> String {
    Long(d).to_string()
}

/// "jeudi 26 novembre 2026".
pub fn with_weekday(d: NaiveDate) -> String {
    WithWeekday(d).to_string()
}

/// [`long`] written where it goes (a page renders it without a `String`).
pub struct Long(pub NaiveDate);

impl fmt::Display for Long {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{} {} {}",
            d.day(),
            MONTHS[d.month0() as usize],
            d.year()
        )
    }
}

/// [`with_weekday`] written where it goes.
pub struct WithWeekday(pub NaiveDate);

impl fmt::Display for WithWeekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", weekday(self.0), Long(self.0))
    }
}

/// [`short`] written where it goes.
pub struct Short(pub NaiveDate);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}. {}", &weekday(self.0)[..3], self.0.day())
    }
}

/// "jeudi".
pub fn weekday(d: NaiveDate) -> &'static str {
    WEEKDAYS[d.weekday().num_days_from_monday() as usize]
}

/// "novembre 2026".
pub fn month(d: NaiveDate) -> String {
    format!("{} {}", MONTHS[d.month0() as usize], d.year())
}

/// "26/11/2026".
pub fn numeric(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "26/11/2026 à 08:00": an instant, in Paris.
pub fn moment(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

/// "jeu. 26": a grid's column heading.
pub fn short(d: NaiveDate) -> String {
    Short(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_forms() {
        let d: NaiveDate = "2026-11-26".parse().unwrap();
        assert_eq!(long(d), "26 novembre 2026");
        assert_eq!(with_weekday(d), "jeudi 26 novembre 2026");
        assert_eq!(month(d), "novembre 2026");
        assert_eq!(numeric(d), "26/11/2026");
        assert_eq!(short(d), "jeu. 26");
        let w: NaiveDate = "2026-12-02".parse().unwrap();
        assert_eq!(short(w), "mer. 2");
    }
}
