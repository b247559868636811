//! The rules of a registration, as pure functions: which activities a child
//! may be registered to, which start dates, weekdays and holiday weeks a
//! request may ask, and which supporting documents are still needed.

use crate::calendar::{holiday_weeks, period, runs_on};
use crate::domain::document::Document;
use crate::domain::dossier::Child;
use crate::settings::{Activity, Category, Day, PieceType, Settings};
use chrono::{Datelike, Months, NaiveDate};

/// Form fields of the documents a request asks, in order (an activity asks
/// at most this many; the settings check enforces it).
pub const PIECE_FIELDS: [&str; 4] = ["piece_1", "piece_2", "piece_3", "piece_4"];

/// Age in whole years on `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

/// Whether the child fits the activity: by class level when the child's
/// class is known, by age otherwise (an activity without ages then does not
/// take the child).
pub fn fits(activity: &Activity, child: &Child, today: NaiveDate) -> bool {
    let class = child.classe.trim();
    if !class.is_empty() {
        return activity
            .niveaux
            .iter()
            .any(|n| n.eq_ignore_ascii_case(class));
    }
    if activity.age_min.is_none() && activity.age_max.is_none() {
        return false;
    }
    let age = age_on(child.naissance, today);
    activity.age_min.is_none_or(|m| age >= m) && activity.age_max.is_none_or(|m| age <= m)
}

/// Whether the activity is current or future on `today` (and, for vacances,
/// still has a whole week to offer).
pub fn is_open(activity: &Activity, s: &Settings, today: NaiveDate) -> bool {
    let (_, end) = period(activity, &s.calendrier);
    end >= today
        && (activity.categorie != Category::Vacances
            || !holiday_weeks(activity, &s.calendrier, today).is_empty())
}

/// The activities a child may be registered to on `today`.
pub fn offer<'a>(s: &'a Settings, child: &Child, today: NaiveDate) -> Vec<&'a Activity> {
    s.activites
        .iter()
        .filter(|a| is_open(a, s, today) && fits(a, child, today))
        .collect()
}

/// The kinds of document the activity asks of this child.
pub fn required_pieces<'a>(
    s: &'a Settings,
    activity: &Activity,
    child: &Child,
) -> Vec<&'a PieceType> {
    let extra: &[String] = if child.pai { &activity.pieces_pai } else { &[] };
    activity
        .pieces
        .iter()
        .chain(extra)
        .filter_map(|id| s.piece(id))
        .collect()
}

/// Whether a document stands for its kind on `today`: not found invalid,
/// and sent less than the kind's validity ago.
pub fn is_valid(doc: &Document, piece: &PieceType, today: NaiveDate) -> bool {
    let sent = doc
        .depose_le
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    doc.piece.as_deref() == Some(piece.id.as_str())
        && doc.invalide.is_none()
        && sent
            .checked_add_months(Months::new(piece.validite_mois))
            .is_some_and(|until| today < until)
}

/// The kinds of document still needed: those asked that the dossier does
/// not already hold a valid one of.
pub fn missing_pieces<'a>(
    s: &'a Settings,
    activity: &Activity,
    child: &Child,
    held: &[Document],
    today: NaiveDate,
) -> Vec<&'a PieceType> {
    required_pieces(s, activity, child)
        .into_iter()
        .filter(|p| !held.iter().any(|d| is_valid(d, p, today)))
        .collect()
}

/// What a request asks, once checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub debut: NaiveDate,
    pub jours: Vec<Day>,
    pub semaines: Vec<NaiveDate>,
}

/// Errors by form field ("debut", "jours", "semaines").
pub type Errors = crate::accounts::validation::FieldErrors;

fn date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Checks the start date and weekdays (or, for vacances, the weeks) a family
/// typed or ticked against the activity's calendar on `today`.
pub fn check_request(
    s: &Settings,
    activity: &Activity,
    today: NaiveDate,
    debut: &str,
    jours: &[String],
    semaines: &[String],
) -> Result<Checked, Errors> {
    let mut errors = Errors::new();
    let cal = &s.calendrier;
    if activity.categorie == Category::Vacances {
        let open = holiday_weeks(activity, cal, today);
        let mut chosen = Vec::new();
        for w in semaines {
            match w.parse::<NaiveDate>() {
                Ok(d) if open.contains(&d) => chosen.push(d),
                _ => {
                    errors.insert(
                        "semaines",
                        "Semaine non proposée pour cette activité : choisissez parmi les semaines de la liste.".into(),
                    );
                }
            }
        }
        chosen.sort();
        chosen.dedup();
        if chosen.is_empty() && errors.is_empty() {
            errors.insert("semaines", "Cochez au moins une semaine.".into());
        }
        return if errors.is_empty() {
            Ok(Checked {
                debut: chosen[0],
                jours: activity.jours.clone(),
                semaines: chosen,
            })
        } else {
            Err(errors)
        };
    }
    let (from, to) = period(activity, cal);
    let earliest = from.max(today);
    // A date field sends AAAA-MM-JJ; typed by hand, JJ/MM/AAAA.
    let parsed = crate::import::parse_date(debut).ok_or(());
    let start = match parsed {
        Err(_) if debut.trim().is_empty() => {
            errors.insert("debut", "Indiquez la date d'entrée souhaitée.".into());
            None
        }
        Err(_) => {
            errors.insert(
                "debut",
                "Date invalide : utilisez le format JJ/MM/AAAA (exemple : 07/09/2026).".into(),
            );
            None
        }
        Ok(d) if d < earliest || d > to => {
            errors.insert(
                "debut",
                format!(
                    "La date d'entrée doit être comprise entre le {} et le {}.",
                    date_fr(earliest),
                    date_fr(to)
                ),
            );
            None
        }
        Ok(d) if !runs_on(activity, cal, d) => {
            errors.insert(
                "debut",
                "L'activité n'a pas lieu ce jour-là (jour sans accueil, jour férié ou vacances) : choisissez un jour où elle a lieu.".into(),
            );
            None
        }
        Ok(d) => Some(d),
    };
    let mut days = Vec::new();
    for j in jours {
        match Day::parse(j) {
            Some(d) if activity.jours.contains(&d) => days.push(d),
            _ => {
                errors.insert(
                    "jours",
                    "Jour non proposé pour cette activité : cochez parmi les jours de la liste."
                        .into(),
                );
            }
        }
    }
    days.sort_by_key(|d| d.weekday().num_days_from_monday());
    days.dedup();
    if days.is_empty() && !errors.contains_key("jours") {
        errors.insert("jours", "Cochez au moins un jour de la semaine.".into());
    }
    match start {
        Some(debut) if errors.is_empty() => Ok(Checked {
            debut,
            jours: days,
            semaines: vec![],
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::Source;
    use crate::settings;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn child(classe: &str, naissance: &str, pai: bool) -> Child {
        Child {
            id: "01J".into(),
            nom: "Lefèvre".into(),
            prenom: "Léa".into(),
            naissance: d(naissance),
            ecole: String::new(),
            classe: classe.into(),
            regime: None,
            pai,
        }
    }

    fn doc(piece: &str, sent: &str, invalide: Option<&str>) -> Document {
        let day = d(sent);
        Document {
            id: "01K".into(),
            libelle: "x".into(),
            piece: Some(piece.into()),
            fichier: "documents/x.pdf".into(),
            format: "pdf".into(),
            taille: 10,
            depose_le: chrono::Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap()),
            source: Source::Famille,
            invalide: invalide.map(Into::into),
        }
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(d("2018-11-26"), d("2026-11-26")), 8);
        assert_eq!(age_on(d("2018-11-27"), d("2026-11-26")), 7);
        assert_eq!(age_on(d("2030-01-01"), d("2026-11-26")), 0);
    }

    #[test]
    fn activities_fit_by_class_then_by_age() {
        let s = settings::embedded();
        let today = d("2026-11-26");
        let holidays = s.activity("vacances").unwrap(); // GS … CM2, 5 to 11
        assert!(fits(holidays, &child("CE1", "2019-03-01", false), today));
        assert!(!fits(holidays, &child("PS", "2023-03-01", false), today));
        assert!(fits(holidays, &child("cm2", "2015-03-01", false), today));
        // Class unknown: the age decides.
        assert!(fits(holidays, &child("", "2019-03-01", false), today));
        assert!(!fits(holidays, &child("", "2022-03-01", false), today));
        assert!(!fits(holidays, &child("", "2013-03-01", false), today));
        // An activity without ages does not take a child without class.
        let canteen = s.activity("restauration").unwrap();
        assert!(!fits(canteen, &child("", "2019-03-01", false), today));
        let names: Vec<&str> = offer(s, &child("PS", "2023-03-01", false), today)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(names, ["restauration", "periscolaire", "mercredis"]);
    }

    #[test]
    fn past_activities_are_not_offered() {
        let s = settings::embedded();
        let canteen = s.activity("restauration").unwrap();
        assert!(is_open(canteen, s, d("2027-07-03")));
        assert!(!is_open(canteen, s, d("2027-07-04")));
        let holidays = s.activity("vacances").unwrap();
        // After the last whole holiday week there is nothing to ask.
        assert!(!is_open(holidays, s, d("2027-04-13")));
    }

    #[test]
    fn documents_are_asked_unless_a_valid_one_is_held() {
        let s = settings::embedded();
        let canteen = s.activity("restauration").unwrap();
        let today = d("2026-11-26");
        let ids = |v: Vec<&PieceType>| v.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        let plain = child("CP", "2020-02-02", false);
        let with_pai = child("CP", "2020-02-02", true);
        assert_eq!(
            ids(missing_pieces(s, canteen, &plain, &[], today)),
            ["attestation-caf"]
        );
        assert_eq!(
            ids(missing_pieces(s, canteen, &with_pai, &[], today)),
            ["attestation-caf", "pai"]
        );
        let held = [doc("attestation-caf", "2026-01-10", None)];
        assert!(missing_pieces(s, canteen, &plain, &held, today).is_empty());
        // Twelve months later it no longer counts.
        assert_eq!(
            ids(missing_pieces(s, canteen, &plain, &held, d("2027-01-10"))),
            ["attestation-caf"]
        );
        // Nor once found invalid, nor a document of another kind.
        let invalid = [doc("attestation-caf", "2026-11-01", Some("illisible"))];
        assert_eq!(
            ids(missing_pieces(s, canteen, &plain, &invalid, today)),
            ["attestation-caf"]
        );
        let other = [doc("assurance", "2026-11-01", None)];
        assert_eq!(
            ids(missing_pieces(s, canteen, &plain, &other, today)),
            ["attestation-caf"]
        );
    }

    #[test]
    fn requests_take_running_days_only() {
        let s = settings::embedded();
        let canteen = s.activity("restauration").unwrap();
        let today = d("2026-11-26");
        let days = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ok = check_request(
            s,
            canteen,
            today,
            "2026-11-30",
            &days(&["jeudi", "lundi"]),
            &[],
        )
        .unwrap();
        assert_eq!(ok.debut, d("2026-11-30"));
        assert_eq!(ok.jours, [Day::Lundi, Day::Jeudi]);
        let err = |debut: &str, jours: &[&str]| {
            check_request(s, canteen, today, debut, &days(jours), &[]).unwrap_err()
        };
        assert!(err("2026-12-02", &["lundi"])["debut"].contains("n'a pas lieu")); // Wednesday
        assert!(err("2026-12-21", &["lundi"])["debut"].contains("n'a pas lieu")); // holidays
        assert!(err("2026-11-20", &["lundi"])["debut"].contains("comprise entre le 26/11/2026"));
        assert!(err("2027-09-06", &["lundi"])["debut"].contains("03/07/2027"));
        assert!(err("31/11/2026", &["lundi"])["debut"].contains("Date invalide"));
        assert!(err("demain", &["lundi"])["debut"].contains("Date invalide"));
        assert_eq!(
            check_request(s, canteen, today, "30/11/2026", &days(&["lundi"]), &[]).map(|c| c.debut),
            Ok(d("2026-11-30"))
        );
        assert!(err("", &["lundi"])["debut"].contains("Indiquez"));
        assert!(err("2026-11-30", &[])["jours"].contains("au moins un jour"));
        assert!(err("2026-11-30", &["mercredi"])["jours"].contains("non proposé"));
        assert!(err("2026-11-30", &["dimanche"])["jours"].contains("non proposé"));
    }

    #[test]
    fn holiday_requests_take_whole_weeks() {
        let s = settings::embedded();
        let holidays = s.activity("vacances").unwrap();
        let today = d("2026-11-26");
        let weeks = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ok = check_request(
            s,
            holidays,
            today,
            "",
            &[],
            &weeks(&["2027-02-15", "2026-12-21"]),
        )
        .unwrap();
        assert_eq!(ok.debut, d("2026-12-21"));
        assert_eq!(ok.semaines, [d("2026-12-21"), d("2027-02-15")]);
        assert_eq!(ok.jours.len(), 5);
        for bad in ["2026-12-22", "2026-10-19", "2027-05-06", "x"] {
            let e = check_request(s, holidays, today, "", &[], &weeks(&[bad])).unwrap_err();
            assert!(e["semaines"].contains("non proposée"), "{bad}");
        }
        let e = check_request(s, holidays, today, "", &[], &[]).unwrap_err();
        assert!(e["semaines"].contains("au moins une semaine"));
    }
}
