//! The days an activity runs, from the commune's calendar: school days for
//! périscolaire and restauration, Wednesdays out of holidays for mercredis,
//! holiday weekdays for vacances; public holidays off. Pure functions.

use crate::settings::{Activity, Calendar, Category, Day};
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Whether a date falls in a school holiday period.
pub fn in_holidays(cal: &Calendar, date: NaiveDate) -> bool {
    cal.vacances
        .iter()
        .any(|p| p.debut <= date && date <= p.fin)
}

/// The first and last day an activity may run.
pub fn period(activity: &Activity, cal: &Calendar) -> (NaiveDate, NaiveDate) {
    (
        activity.debut.unwrap_or(cal.annee_debut),
        activity.fin.unwrap_or(cal.annee_fin),
    )
}

/// Whether the activity runs on `date`.
pub fn runs_on(activity: &Activity, cal: &Calendar, date: NaiveDate) -> bool {
    let (from, to) = period(activity, cal);
    let weekday_ok = Day::of(date.weekday()).is_some_and(|d| activity.jours.contains(&d));
    let holidays_ok = match activity.categorie {
        Category::Vacances => in_holidays(cal, date),
        _ => !in_holidays(cal, date),
    };
    from <= date
        && date <= to
        && weekday_ok
        && holidays_ok
        && !cal.jours_feries.contains(&date)
        && !is_closure(cal, date)
}

/// Whether the services are closed that day (besides holidays).
pub fn is_closure(cal: &Calendar, date: NaiveDate) -> bool {
    cal.fermetures
        .iter()
        .any(|p| p.debut <= date && date <= p.fin)
}

/// Whether a date is a working day: Monday to Friday, not a public holiday.
pub fn is_working_day(cal: &Calendar, date: NaiveDate) -> bool {
    date.weekday().num_days_from_monday() < 5 && !cal.jours_feries.contains(&date)
}

/// The Monday of a date's week.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The first day on or after `from` the activity runs, if any.
pub fn first_running_day(
    activity: &Activity,
    cal: &Calendar,
    from: NaiveDate,
) -> Option<NaiveDate> {
    let (_, end) = period(activity, cal);
    from.iter_days()
        .take_while(|d| *d <= end)
        .find(|d| runs_on(activity, cal, *d))
}

/// The Mondays of the whole holiday weeks (Monday to Friday inside one
/// holiday period and the activity's period) starting on or after `from`.
pub fn holiday_weeks(activity: &Activity, cal: &Calendar, from: NaiveDate) -> Vec<NaiveDate> {
    let (start, end) = period(activity, cal);
    let mut weeks = Vec::new();
    for p in &cal.vacances {
        let mut monday = p.debut;
        while monday.weekday() != Weekday::Mon {
            monday += Duration::days(1);
        }
        while monday + Duration::days(4) <= p.fin {
            let friday = monday + Duration::days(4);
            if monday >= from && monday >= start && friday <= end {
                weeks.push(monday);
            }
            monday += Duration::days(7);
        }
    }
    weeks.sort();
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn school_activities_run_on_their_school_days_only() {
        let s = settings::embedded();
        let canteen = s.activity("restauration").unwrap();
        let cal = &s.calendrier;
        assert!(runs_on(canteen, cal, d("2026-11-26"))); // Thursday
        assert!(!runs_on(canteen, cal, d("2026-11-25"))); // Wednesday
        assert!(!runs_on(canteen, cal, d("2026-11-28"))); // Saturday
        assert!(!runs_on(canteen, cal, d("2026-11-11"))); // public holiday
        assert!(!runs_on(canteen, cal, d("2026-12-21"))); // Christmas holidays
        assert!(!runs_on(canteen, cal, d("2026-08-31"))); // before the year
        assert!(!runs_on(canteen, cal, d("2027-07-05"))); // after it
        assert!(!runs_on(canteen, cal, d("2027-01-29"))); // staff day
        assert!(runs_on(canteen, cal, d("2027-01-28")));
        assert_eq!(
            first_running_day(canteen, cal, d("2026-12-19")),
            Some(d("2027-01-04"))
        );
        assert_eq!(first_running_day(canteen, cal, d("2027-07-04")), None);
        let wednesdays = s.activity("mercredis").unwrap();
        assert!(runs_on(wednesdays, cal, d("2026-11-25")));
        assert!(!runs_on(wednesdays, cal, d("2026-12-23"))); // holidays
    }

    #[test]
    fn holiday_activities_run_in_holidays_by_whole_weeks() {
        let s = settings::embedded();
        let holidays = s.activity("vacances").unwrap();
        let cal = &s.calendrier;
        assert!(runs_on(holidays, cal, d("2026-12-21")));
        assert!(!runs_on(holidays, cal, d("2026-12-25"))); // Christmas Day
        assert!(!runs_on(holidays, cal, d("2026-11-26"))); // school day
        let weeks = holiday_weeks(holidays, cal, d("2026-11-26"));
        // Christmas (2), winter (2), spring (2); the Ascension bridge
        // (Thursday to Sunday) is not a whole week, Toussaint is past.
        assert_eq!(
            weeks,
            [
                "2026-12-21",
                "2026-12-28",
                "2027-02-08",
                "2027-02-15",
                "2027-04-05",
                "2027-04-12"
            ]
            .map(d)
        );
        assert_eq!(
            holiday_weeks(holidays, cal, d("2027-04-06")),
            [d("2027-04-12")]
        );
    }
}
