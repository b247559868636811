//! Identifiers as types, each with one parser that the import, the paths and
//! the forms all use.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A dossier number as the town gave it: letters, digits, `-` and `/`
/// (some towns' software numbers dossiers `D2025/0007`), at most 40
/// characters, kept in capitals. In a URL path it travels percent-encoded
/// ([`DossierNumber::in_path`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "numéro de dossier invalide : lettres, chiffres, « - » et « / » seulement, 40 caractères au plus"
)]
pub struct InvalidDossierNumber;

impl DossierNumber {
    /// The one rule: trimmed and put in capitals; ASCII letters, digits,
    /// `-` and `/`, neither first nor last a separator.
    pub fn parse(raw: &str) -> Result<Self, InvalidDossierNumber> {
        let n = raw.trim().to_uppercase();
        let separator = |c: char| c == '-' || c == '/';
        let ok = !n.is_empty()
            && n.len() <= 40
            && n.chars().all(|c| c.is_ascii_alphanumeric() || separator(c))
            && !n.starts_with(separator)
            && !n.ends_with(separator);
        if ok {
            Ok(Self(n))
        } else {
            Err(InvalidDossierNumber)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as one URL path segment (`D2025/0007` → `D2025%2F0007`).
    pub fn in_path(&self) -> String {
        in_path(&self.0)
    }
}

impl fmt::Display for DossierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for DossierNumber {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DossierNumber {
    type Error = InvalidDossierNumber;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DossierNumber> for String {
    fn from(value: DossierNumber) -> Self {
        value.0
    }
}

/// A stored dossier number as one URL path segment.
pub fn in_path(numero: &str) -> String {
    numero.replace('/', "%2F")
}

/// A month of the planning, `AAAA-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonthId {
    year: i32,
    month: u32,
}

impl MonthId {
    pub fn parse(raw: &str) -> Option<Self> {
        let (y, m) = raw.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Self { year, month })
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn last_day(&self) -> NaiveDate {
        let first = self.first_day();
        first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(first)
    }

    /// "novembre 2026".
    pub fn label(&self) -> String {
        crate::layout::dates::month(self.first_day())
    }

    /// The month a day is in.
    pub fn of(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }
}

impl fmt::Display for MonthId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The id the portal gives a record (a registration, a document, an
/// account, an outbox message): a ULID, in its canonical form. Anything else
/// in a path or a form is a 404 before any read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

impl RecordId {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 26)
            .then(|| raw.parse::<ulid::Ulid>().ok())
            .flatten()
            .map(|u| Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A child's id in a dossier: the import's (`IMPORT-` and a digest), the
/// agents' (a ULID) or the demo's — letters, digits and `-`, at most 64.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChildId(String);

impl ChildId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_dossier_numbers() {
        for ok in ["D2024-0153", "d2025/0007", " 12345 ", "A"] {
            assert!(DossierNumber::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            DossierNumber::parse(" d2025/0007").unwrap().as_str(),
            "D2025/0007"
        );
        for bad in [
            "",
            "/D1",
            "D1/",
            "-D1",
            "D 1",
            "D1;",
            "../x",
            "D1\u{202E}",
            &"9".repeat(41),
        ] {
            assert!(DossierNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_number_with_a_slash_travels_in_one_path_segment() {
        let n = DossierNumber::parse("D2025/0007").unwrap();
        assert_eq!(n.in_path(), "D2025%2F0007");
        let segment = n.in_path();
        let decoded = percent_encoding::percent_decode_str(&segment)
            .decode_utf8()
            .unwrap();
        assert_eq!(DossierNumber::parse(&decoded).unwrap(), n);
    }

    #[test]
    fn record_and_child_ids_have_one_shape_each() {
        let id = ulid::Ulid::new().to_string();
        assert_eq!(RecordId::parse(&id).unwrap().as_str(), id);
        assert_eq!(
            RecordId::parse(&id.to_lowercase()).unwrap().as_str(),
            id,
            "canonical form"
        );
        for bad in ["", "x", "../etc/passwd", &format!("{id}0")] {
            assert!(RecordId::parse(bad).is_none(), "{bad}");
        }
        for ok in [
            "IMPORT-0a1b2c3d4e5f60718293",
            "01JABCDEFGHJKMNPQRSTVWXYZ0",
            "lea-lefevre",
        ] {
            assert!(ChildId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "a|b", "a b", "é", &"a".repeat(65)] {
            assert!(ChildId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn months_parse_and_print_the_same() {
        let m = MonthId::parse("2026-12").unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(
            MonthId::of(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            m
        );
        for bad in ["2026-13", "2026-1", "26-12", "2026/12", "x"] {
            assert!(MonthId::parse(bad).is_none(), "{bad}");
        }
    }
}
