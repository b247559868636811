//! The commune's settings: one TOML file in the site content
//! (`site/content/commune.toml`), embedded at build time so that the static
//! site and the functions always read the same values. [`parse`] checks it
//! and names the line of any problem.

mod check;

use crate::pricing::Grid;
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::LazyLock;

/// The settings file, as built into this binary.
pub const SOURCE: &str = include_str!("../../../site/content/commune.toml");
/// The settings file's path, in error messages.
pub const PATH: &str = "site/content/commune.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub commune: Commune,
    pub calendrier: Calendar,
    pub services: Vec<Service>,
    pub themes: Vec<Theme>,
    pub activites: Vec<Activity>,
    /// The supporting documents activities may ask for.
    #[serde(default)]
    pub pieces: Vec<PieceType>,
    pub secteurs: Vec<Sector>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    #[serde(deserialize_with = "toml_date::one")]
    pub annee_debut: NaiveDate,
    #[serde(deserialize_with = "toml_date::one")]
    pub annee_fin: NaiveDate,
    #[serde(deserialize_with = "toml_date::many")]
    pub jours_feries: Vec<NaiveDate>,
    pub vacances: Vec<Period>,
    /// Days the services are closed besides holidays (e.g. a staff day).
    #[serde(default)]
    pub fermetures: Vec<Period>,
}

/// TOML's own dates (`2026-09-01`, unquoted) read as calendar dates.
mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, de::Error};

    fn convert<E: Error>(d: toml::value::Datetime) -> Result<NaiveDate, E> {
        match (d.date, d.time) {
            (Some(date), None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(|| E::custom(format!("date invalide : {date}"))),
            _ => Err(E::custom(format!(
                "une date seule est attendue (AAAA-MM-JJ), pas « {d} »"
            ))),
        }
    }

    pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        convert(toml::value::Datetime::deserialize(d)?)
    }

    pub fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        convert(toml::value::Datetime::deserialize(d)?).map(Some)
    }

    pub fn many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
        Vec::<toml::value::Datetime>::deserialize(d)?
            .into_iter()
            .map(convert)
            .collect()
    }
}

/// A time of day written "HH:MM" (Europe/Paris).
mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, de::Error};

    pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(&s, "%H:%M")
            .map_err(|_| D::Error::custom(format!("heure invalide « {s} » : HH:MM attendu")))
    }

    pub fn opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        one(d).map(Some)
    }
}

/// Until when a day may be booked or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Deadline {
    /// The day before, at this time.
    Veille {
        #[serde(deserialize_with = "hhmm::one")]
        heure: chrono::NaiveTime,
    },
    /// N working days before (weekends and public holidays not counted), at
    /// this time.
    JoursOuvres {
        jours: u32,
        #[serde(deserialize_with = "hhmm::one")]
        heure: chrono::NaiveTime,
    },
    /// The whole next week, before this weekday at this time.
    Semaine {
        jour: Day,
        #[serde(deserialize_with = "hhmm::one")]
        heure: chrono::NaiveTime,
    },
    /// Holiday weeks: until N clear days before the week's Monday.
    JoursFrancs { jours: u32 },
}

/// An activity's booking rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    pub delai: Deadline,
    /// Until when, the same morning, a family may cancel for illness.
    #[serde(default, deserialize_with = "hhmm::opt")]
    pub maladie: Option<chrono::NaiveTime>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub nom: String,
    #[serde(deserialize_with = "toml_date::one")]
    pub debut: NaiveDate,
    #[serde(deserialize_with = "toml_date::one")]
    pub fin: NaiveDate,
}

/// A theme of the messages families write to a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub nom: String,
    pub service: String,
    #[serde(default)]
    pub activite: Option<String>,
}

/// One priced unit of an activity (a meal, the evening care until 18 h…).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: String,
    pub nom: String,
    pub tarif: Grid,
    /// Places per day; none for the canteen (which may not refuse a child).
    #[serde(default)]
    pub places: Option<u32>,
}

/// A school's sector: the streets (or parts of them) it takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub ecole: String,
    pub rues: Vec<Street>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreetSide {
    Pairs,
    Impairs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Street {
    pub nom: String,
    #[serde(default)]
    pub de: Option<u32>,
    #[serde(default)]
    pub a: Option<u32>,
    #[serde(default)]
    pub cote: Option<StreetSide>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    /// "Ville de …", as written in titles.
    pub nom: String,
    pub nom_court: String,
    /// The portal's name, e.g. "Espace Famille".
    pub portail: String,
    pub adresse: String,
    pub telephone: String,
    pub courriel: String,
    pub site_web: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub nom: String,
    pub courriel: String,
    pub telephone: String,
    pub horaires: String,
    /// The régie's account, credited by direct debits (the SEPA file's
    /// creditor account).
    #[serde(default)]
    pub iban: Option<String>,
    /// Identifiant créancier SEPA (ICS) of the régie.
    #[serde(default)]
    pub ics: Option<String>,
    /// The service's answer target for messages, in working days: a
    /// message waiting longer is flagged in its inbox.
    #[serde(default = "default_answer_days")]
    pub delai_reponse_jours: u32,
}

fn default_answer_days() -> u32 {
    2
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Restauration,
    Periscolaire,
    Mercredis,
    Vacances,
}

impl Category {
    /// The theme families choose first, as the guide names them.
    pub fn label(self) -> &'static str {
        match self {
            Self::Restauration => "Restauration scolaire",
            Self::Periscolaire => "Accueils périscolaires",
            Self::Mercredis => "Mercredis",
            Self::Vacances => "Vacances",
        }
    }
}

/// A day of the week, as the settings file writes it (ordered Monday first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Lundi,
    Mardi,
    Mercredi,
    Jeudi,
    Vendredi,
    Samedi,
}

impl Day {
    pub const ALL: [Day; 6] = [
        Day::Lundi,
        Day::Mardi,
        Day::Mercredi,
        Day::Jeudi,
        Day::Vendredi,
        Day::Samedi,
    ];

    pub fn weekday(self) -> chrono::Weekday {
        use chrono::Weekday::*;
        match self {
            Self::Lundi => Mon,
            Self::Mardi => Tue,
            Self::Mercredi => Wed,
            Self::Jeudi => Thu,
            Self::Vendredi => Fri,
            Self::Samedi => Sat,
        }
    }

    pub fn of(weekday: chrono::Weekday) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.weekday() == weekday)
    }

    /// The form value and label: "lundi" / "Lundi".
    pub fn id(self) -> &'static str {
        match self {
            Self::Lundi => "lundi",
            Self::Mardi => "mardi",
            Self::Mercredi => "mercredi",
            Self::Jeudi => "jeudi",
            Self::Vendredi => "vendredi",
            Self::Samedi => "samedi",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == value)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub id: String,
    pub nom: String,
    pub categorie: Category,
    /// The service that validates its registrations.
    pub service: String,
    /// When it runs, if not the whole school year.
    #[serde(default, deserialize_with = "toml_date::opt")]
    pub debut: Option<NaiveDate>,
    #[serde(default, deserialize_with = "toml_date::opt")]
    pub fin: Option<NaiveDate>,
    /// The weekdays it runs (school days, Wednesdays, or holiday weekdays).
    pub jours: Vec<Day>,
    /// The class levels it takes (PS … CM2).
    pub niveaux: Vec<String>,
    /// Ages (in whole years on the day of the request) for children whose
    /// class is not known.
    #[serde(default)]
    pub age_min: Option<u32>,
    #[serde(default)]
    pub age_max: Option<u32>,
    /// The supporting documents it asks of every child…
    #[serde(default)]
    pub pieces: Vec<String>,
    /// …and of a child with a PAI.
    #[serde(default)]
    pub pieces_pai: Vec<String>,
    /// Deadlines and the illness window.
    pub reservation: Booking,
    pub unites: Vec<Unit>,
    /// When its days are billed: with the month they fall in (default), or
    /// with the month they were booked in (`"reservation"`: holiday weeks
    /// paid at booking).
    #[serde(default)]
    pub facturation: Billing,
}

/// When an activity's days are invoiced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Billing {
    #[default]
    Mois,
    Reservation,
}

impl Activity {
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.unites.iter().find(|u| u.id == id)
    }
}

/// A kind of supporting document, and how long one stays valid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PieceType {
    pub id: String,
    pub nom: String,
    pub validite_mois: u32,
}

impl Settings {
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activites.iter().find(|a| a.id == id)
    }

    pub fn piece(&self, id: &str) -> Option<&PieceType> {
        self.pieces.iter().find(|p| p.id == id)
    }

    /// The services that check a kind of document: those whose activities
    /// ask for it.
    pub fn services_checking(&self, piece: &str) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .activites
            .iter()
            .filter(|a| a.pieces.iter().chain(&a.pieces_pai).any(|p| p == piece))
            .map(|a| a.service.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The school year's label, e.g. "2026-2027".
    pub fn school_year(&self) -> String {
        use chrono::Datelike;
        format!(
            "{}-{}",
            self.calendrier.annee_debut.year(),
            self.calendrier.annee_fin.year()
        )
    }
}

/// Parses and checks settings; the error names the file, the line and what
/// is wrong.
pub fn parse(source: &str) -> Result<Settings, String> {
    let settings: Settings = toml::from_str(source).map_err(|e| {
        let line = e
            .span()
            .map(|span| source[..span.start.min(source.len())].matches('\n').count() + 1);
        match line {
            Some(l) => format!("{PATH}, ligne {l} : {}", e.message()),
            None => format!("{PATH} : {}", e.message()),
        }
    })?;
    check::check(&settings, source)?;
    Ok(settings)
}

static SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    // Checked by the unit test below and by the site build: a binary with
    // invalid settings is never produced by the test command.
    parse(SOURCE).unwrap_or_else(|e| panic!("{e}"))
});

/// The settings built into this binary. Request handling reads them through
/// `App::settings` (read once per process); this is for what has no `App`:
/// the static site build, the page layout's commune identity (header, title,
/// footer, error pages) and tests.
pub fn embedded() -> &'static Settings {
    &SETTINGS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_parse() {
        let s = parse(SOURCE).unwrap();
        assert!(!s.commune.nom.is_empty());
        assert!(
            s.activites
                .iter()
                .any(|a| a.categorie == Category::Restauration)
        );
    }

    #[test]
    fn type_errors_name_the_line() {
        let broken = SOURCE.replacen("prix = \"1.00\"", "prix = 1.00", 1);
        let err = parse(&broken).unwrap_err();
        // The line of the unit's grid that holds the bad value (serde reads a
        // grid whole, so its first line is the one named).
        let value = SOURCE
            .lines()
            .position(|l| l.contains("prix = \"1.00\""))
            .unwrap()
            + 1;
        let grid = SOURCE
            .lines()
            .position(|l| l.contains("tarif.type"))
            .unwrap()
            + 1;
        let named: Vec<String> = (grid..=value)
            .map(|l| format!("site/content/commune.toml, ligne {l} :"))
            .collect();
        assert!(named.iter().any(|n| err.starts_with(n)), "{err}");
        assert!(err.contains("Decimal"), "{err}");
    }
}
