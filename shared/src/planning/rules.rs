//! The rules of the planning, as pure functions of the settings and the
//! clock: until when a day may be booked or cancelled (four kinds of
//! deadline, computed in Europe/Paris whatever the daylight-saving time),
//! the same-morning illness window, which days a validated registration
//! covers, how holiday weeks are booked (one slot per week), and the days a
//! view shows.

use crate::calendar::{is_working_day, monday_of, runs_on};
use crate::domain::inscription::{Inscription, Status};
use crate::settings::{Activity, Booking, Calendar, Category, Day, Deadline};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;

/// A local time in Paris as an instant: the earlier one when the clock goes
/// back, the first one after the gap when it goes forward.
pub fn at_paris(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match Paris.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        chrono::LocalResult::None => {
            // In the spring gap (02:00–03:00 does not exist): the instant the
            // clock jumps to 03:00.
            (1..=180)
                .map(|m| naive + Duration::minutes(m))
                .find_map(|later| Paris.from_local_datetime(&later).earliest())
                .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
        }
    }
}

/// Today's date in Paris.
pub fn paris_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Paris).date_naive()
}

/// The instant from which `day` (for holidays, its week) may no longer be
/// booked or cancelled.
pub fn deadline(rule: Deadline, cal: &Calendar, day: NaiveDate) -> DateTime<Utc> {
    match rule {
        Deadline::Veille { heure } => at_paris(day - Duration::days(1), heure),
        Deadline::JoursOuvres { jours, heure } => {
            let mut d = day;
            let mut counted = 0;
            while counted < jours.max(1) {
                d -= Duration::days(1);
                if is_working_day(cal, d) {
                    counted += 1;
                }
            }
            at_paris(d, heure)
        }
        Deadline::Semaine { jour, heure } => {
            let previous_monday = monday_of(day) - Duration::days(7);
            let offset = i64::from(jour.weekday().num_days_from_monday());
            at_paris(previous_monday + Duration::days(offset), heure)
        }
        Deadline::JoursFrancs { jours } => at_paris(
            monday_of(day) - Duration::days(i64::from(jours)),
            NaiveTime::MIN,
        ),
    }
}

/// Whether `day` may still be booked or cancelled at `now`.
pub fn can_change(rule: Deadline, cal: &Calendar, day: NaiveDate, now: DateTime<Utc>) -> bool {
    now < deadline(rule, cal, day)
}

/// Whether a family may still cancel `day` for illness at `now`: the same
/// day, before the activity's illness time.
pub fn illness_window_open(booking: &Booking, day: NaiveDate, now: DateTime<Utc>) -> bool {
    booking
        .maladie
        .is_some_and(|until| paris_date(now) == day && now < at_paris(day, until))
}

/// The slot a day is booked in: the day itself, or for holidays the week
/// (its Monday) — holiday weeks are booked whole.
pub fn slot(activity: &Activity, day: NaiveDate) -> NaiveDate {
    match activity.categorie {
        Category::Vacances => monday_of(day),
        _ => day,
    }
}

/// Whether a validated registration covers `day`: on or after its start,
/// one of its weekdays (or, for holidays, one of its weeks), a day the
/// activity runs.
pub fn covers(ins: &Inscription, activity: &Activity, cal: &Calendar, day: NaiveDate) -> bool {
    let asked = match activity.categorie {
        Category::Vacances => ins.semaines.contains(&monday_of(day)),
        _ => Day::of(day.weekday()).is_some_and(|d| ins.jours.iter().any(|j| j == d.id())),
    };
    ins.statut == Status::Validee
        && ins.activite == activity.id
        && day >= ins.debut
        && asked
        && runs_on(activity, cal, day)
}

/// What a planning page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Mois,
    Quinzaine,
    Semaine,
}

impl View {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "mois" => Some(Self::Mois),
            "quinzaine" => Some(Self::Quinzaine),
            "semaine" => Some(Self::Semaine),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Mois => "mois",
            Self::Quinzaine => "quinzaine",
            Self::Semaine => "semaine",
        }
    }

    /// The first and last day shown around `anchor`.
    pub fn range(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Self::Mois => {
                let first = anchor.with_day(1).unwrap_or(anchor);
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(first);
                (first, next - Duration::days(1))
            }
            Self::Quinzaine => (monday_of(anchor), monday_of(anchor) + Duration::days(13)),
            Self::Semaine => (monday_of(anchor), monday_of(anchor) + Duration::days(6)),
        }
    }

    /// The anchors of the previous and next pages.
    pub fn neighbours(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (first, last) = self.range(anchor);
        match self {
            Self::Mois => (
                first
                    .checked_sub_months(chrono::Months::new(1))
                    .unwrap_or(first),
                last + Duration::days(1),
            ),
            _ => {
                let span = (last - first).num_days() + 1;
                (first - Duration::days(span), last + Duration::days(1))
            }
        }
    }
}

/// The weekdays (Monday to Saturday) of a range: the columns of the grid.
pub fn columns(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| d.weekday() != chrono::Weekday::Sun)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn the_day_before_at_a_time_across_daylight_saving() {
        let cal = &settings::embedded().calendrier;
        let rule = Deadline::Veille { heure: t("18:00") };
        // Winter time: 18:00 in Paris is 17:00 UTC.
        assert_eq!(
            deadline(rule, cal, d("2026-11-27")),
            utc("2026-11-26T17:00:00Z")
        );
        assert!(can_change(
            rule,
            cal,
            d("2026-11-27"),
            utc("2026-11-26T16:59:59Z")
        ));
        assert!(!can_change(
            rule,
            cal,
            d("2026-11-27"),
            utc("2026-11-26T17:00:00Z")
        ));
        // The day the clocks go forward (28 March 2027): 18:00 is 16:00 UTC.
        assert_eq!(
            deadline(rule, cal, d("2027-03-29")),
            utc("2027-03-28T16:00:00Z")
        );
        // The day they go back (25 October 2026): 18:00 is 17:00 UTC again.
        assert_eq!(
            deadline(rule, cal, d("2026-10-26")),
            utc("2026-10-25T17:00:00Z")
        );
        // A time inside the spring gap counts from 03:00.
        assert_eq!(
            at_paris(d("2027-03-28"), t("02:30")),
            utc("2027-03-28T01:00:00Z")
        );
        // The repeated hour in autumn: the first 02:30.
        assert_eq!(
            at_paris(d("2026-10-25"), t("02:30")),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn working_days_skip_weekends_and_public_holidays() {
        let cal = &settings::embedded().calendrier;
        let rule = Deadline::JoursOuvres {
            jours: 2,
            heure: t("10:00"),
        };
        // Monday 30 November: Friday 27 (1), Thursday 26 (2).
        assert_eq!(
            deadline(rule, cal, d("2026-11-30")),
            utc("2026-11-26T09:00:00Z")
        );
        // Thursday 12 November: Wednesday 11 is a public holiday, so
        // Tuesday 10 (1) and Monday 9 (2).
        assert_eq!(
            deadline(rule, cal, d("2026-11-12")),
            utc("2026-11-09T09:00:00Z")
        );
        // Monday 4 January 2027: Friday 1 January is a public holiday.
        assert_eq!(
            deadline(rule, cal, d("2027-01-04")),
            utc("2026-12-30T09:00:00Z")
        );
    }

    #[test]
    fn a_weekly_cut_off_closes_the_whole_next_week() {
        let cal = &settings::embedded().calendrier;
        let rule = Deadline::Semaine {
            jour: Day::Jeudi,
            heure: t("09:00"),
        };
        for day in ["2026-12-07", "2026-12-09", "2026-12-12"] {
            assert_eq!(
                deadline(rule, cal, d(day)),
                utc("2026-12-03T08:00:00Z"),
                "{day}"
            );
        }
        assert!(can_change(
            rule,
            cal,
            d("2026-12-09"),
            utc("2026-12-03T07:59:59Z")
        ));
        assert!(!can_change(
            rule,
            cal,
            d("2026-12-09"),
            utc("2026-12-03T08:00:00Z")
        ));
    }

    #[test]
    fn holiday_weeks_close_n_clear_days_before_their_monday() {
        let cal = &settings::embedded().calendrier;
        let rule = Deadline::JoursFrancs { jours: 15 };
        // Week of Monday 21 December: the 5th is the last day (15 clear days,
        // 6th to 20th, remain).
        for day in ["2026-12-21", "2026-12-24"] {
            assert_eq!(
                deadline(rule, cal, d(day)),
                utc("2026-12-05T23:00:00Z"),
                "{day}"
            );
        }
        assert!(can_change(
            rule,
            cal,
            d("2026-12-21"),
            utc("2026-12-05T22:59:59Z")
        ));
        assert!(!can_change(
            rule,
            cal,
            d("2026-12-21"),
            utc("2026-12-05T23:00:00Z")
        ));
    }

    #[test]
    fn illness_cancellation_is_open_the_same_morning_only() {
        let s = settings::embedded();
        let booking = &s.activity("restauration").unwrap().reservation;
        let day = d("2026-11-26");
        assert!(illness_window_open(
            booking,
            day,
            utc("2026-11-26T07:59:59Z")
        ));
        assert!(!illness_window_open(
            booking,
            day,
            utc("2026-11-26T08:00:00Z")
        ));
        assert!(!illness_window_open(
            booking,
            day,
            utc("2026-11-25T07:00:00Z")
        ));
        let wednesdays = &s.activity("mercredis").unwrap().reservation;
        assert!(!illness_window_open(
            wednesdays,
            day,
            utc("2026-11-26T07:00:00Z")
        ));
    }

    #[test]
    fn views_and_their_neighbours() {
        assert_eq!(
            View::Mois.range(d("2026-12-15")),
            (d("2026-12-01"), d("2026-12-31"))
        );
        assert_eq!(
            View::Mois.neighbours(d("2026-12-15")),
            (d("2026-11-01"), d("2027-01-01"))
        );
        assert_eq!(
            View::Quinzaine.range(d("2026-12-10")),
            (d("2026-12-07"), d("2026-12-20"))
        );
        assert_eq!(
            View::Semaine.range(d("2026-12-10")),
            (d("2026-12-07"), d("2026-12-13"))
        );
        assert_eq!(
            View::Semaine.neighbours(d("2026-12-10")),
            (d("2026-11-30"), d("2026-12-14"))
        );
        assert_eq!(columns(d("2026-12-07"), d("2026-12-13")).len(), 6);
    }

    #[test]
    fn registrations_cover_their_days_only() {
        let s = settings::embedded();
        let cal = &s.calendrier;
        let canteen = s.activity("restauration").unwrap();
        let mut ins = Inscription {
            id: "x".into(),
            numero: "D1".into(),
            enfant: "E".into(),
            enfant_nom: "Léa".into(),
            activite: "restauration".into(),
            activite_nom: "Restauration scolaire".into(),
            annee: "2026-2027".into(),
            debut: d("2026-11-30"),
            jours: vec!["lundi".into(), "jeudi".into()],
            semaines: vec![],
            documents: vec![],
            statut: Status::Validee,
            motif: None,
            demande_le: utc("2026-11-20T10:00:00Z"),
            decide_le: None,
            decide_par: None,
            reservations: None,
        };
        assert!(covers(&ins, canteen, cal, d("2026-11-30")));
        assert!(covers(&ins, canteen, cal, d("2026-12-03")));
        assert!(!covers(&ins, canteen, cal, d("2026-12-01"))); // Tuesday
        assert!(!covers(&ins, canteen, cal, d("2026-11-26"))); // before the start
        assert!(!covers(&ins, canteen, cal, d("2026-12-21"))); // holidays
        ins.statut = Status::EnAttente;
        assert!(!covers(&ins, canteen, cal, d("2026-11-30")));
        let holidays = s.activity("vacances").unwrap();
        let weeks = Inscription {
            activite: "vacances".into(),
            semaines: vec![d("2026-12-21")],
            jours: vec![],
            debut: d("2026-12-21"),
            statut: Status::Validee,
            ..ins
        };
        assert!(covers(&weeks, holidays, cal, d("2026-12-23")));
        assert!(!covers(&weeks, holidays, cal, d("2026-12-25"))); // Christmas Day
        assert!(!covers(&weeks, holidays, cal, d("2026-12-28")));
        assert_eq!(slot(holidays, d("2026-12-23")), d("2026-12-21"));
        assert_eq!(slot(canteen, d("2026-12-03")), d("2026-12-03"));
    }
}
