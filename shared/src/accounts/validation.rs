//! Field rules for the account forms, as pure functions. Each returns the
//! cleaned value or a French message shown next to the field.

use super::password::is_common_password;
use chrono::{Months, NaiveDate};
use std::collections::BTreeMap;

/// Longest text a field takes.
pub const MAX_LEN: usize = 200;
/// Shortest password.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Field name → message, in a stable order.
pub type FieldErrors = BTreeMap<&'static str, String>;

pub const REQUIRED: &str = "Ce champ est obligatoire.";

/// A required line of text: trimmed, at most 200 characters, no control
/// characters.
pub fn text(value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(REQUIRED.into());
    }
    if v.chars().count() > MAX_LEN {
        return Err(format!("{MAX_LEN} caractères au plus."));
    }
    if v.chars().any(char::is_control) {
        return Err("Ce champ contient des caractères non autorisés.".into());
    }
    Ok(v.to_owned())
}

/// An optional line of text: empty is `None`; otherwise the rules of
/// [`text`] apply (a too long or garbled value is refused, never dropped).
pub fn optional_text(value: &str) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        text(value).map(Some)
    }
}

/// A date typed in a form (`JJ/MM/AAAA`, or `AAAA-MM-JJ` as date inputs
/// send it) within a plausible range, both ends included.
pub fn date_between(
    value: &str,
    earliest: NaiveDate,
    latest: NaiveDate,
    example: &str,
) -> Result<NaiveDate, String> {
    let date = crate::import::parse_date(value)
        .ok_or_else(|| format!("Date invalide : JJ/MM/AAAA, par exemple {example}."))?;
    if date < earliest || date > latest {
        return Err(format!(
            "Date impossible : elle doit être comprise entre le {} et le {}.",
            earliest.format("%d/%m/%Y"),
            latest.format("%d/%m/%Y")
        ));
    }
    Ok(date)
}

/// A child's birth date: not in the future, at most 25 years ago.
pub fn birth_date(value: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let earliest = today
        .checked_sub_months(Months::new(25 * 12))
        .unwrap_or(today);
    date_between(value, earliest, today, "12/05/2018")
}

/// The date of a quotient familial attestation: within the last 10 years,
/// or up to a year ahead (an attestation dated for the next period).
pub fn qf_date(value: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let earliest = today
        .checked_sub_months(Months::new(10 * 12))
        .unwrap_or(today);
    let latest = today.checked_add_months(Months::new(12)).unwrap_or(today);
    date_between(value, earliest, latest, "01/09/2026")
}

/// An e-mail address, lower-cased.
pub fn email(value: &str) -> Result<String, String> {
    let v = text(value)?.to_lowercase();
    let invalid = || "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr).".to_owned();
    let (local, domain) = v.split_once('@').ok_or_else(invalid)?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-'".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2 && labels.iter().all(|l| label_ok(l));
    if local_ok && domain_ok {
        Ok(v)
    } else {
        Err(invalid())
    }
}

/// A username: 3 to 40 letters, digits, dots, hyphens or underscores,
/// lower-cased (unique without regard to case).
pub fn username(value: &str) -> Result<String, String> {
    let v = text(value)?;
    if v.chars().any(char::is_whitespace) {
        return Err("Sans espace : lettres, chiffres, point, tiret ou tiret bas.".into());
    }
    if !(3..=40).contains(&v.chars().count()) {
        return Err("De 3 à 40 caractères.".into());
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
    {
        return Err("Lettres sans accent, chiffres, point, tiret ou tiret bas seulement.".into());
    }
    Ok(v.to_lowercase())
}

/// A new password: at least 12 characters, not a common one, not the
/// username or the e-mail. Not trimmed: spaces count.
pub fn new_password(value: &str, username: &str, email: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(REQUIRED.into());
    }
    let len = value.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(format!(
            "{MIN_PASSWORD_LEN} caractères au moins ({len} saisis)."
        ));
    }
    if len > MAX_LEN {
        return Err(format!("{MAX_LEN} caractères au plus."));
    }
    if value.chars().any(char::is_control) {
        return Err("Le mot de passe contient des caractères non autorisés.".into());
    }
    let lower = value.to_lowercase();
    if (!username.is_empty() && lower.contains(&username.to_lowercase()))
        || (!email.is_empty() && lower == email.to_lowercase())
    {
        return Err("Le mot de passe ne doit pas contenir votre nom d'utilisateur.".into());
    }
    if is_common_password(value, &[username, email]) {
        return Err(
            "Ce mot de passe est trop courant ou trop facile à deviner : choisissez-en un autre."
                .into(),
        );
    }
    Ok(value.to_owned())
}

/// A confirmation field equal to its original.
pub fn confirmation(original: &str, confirmation: &str, what: &str) -> Result<(), String> {
    if confirmation.is_empty() {
        Err(REQUIRED.into())
    } else if original.trim() != confirmation.trim() {
        Err(format!("Les deux {what} ne correspondent pas."))
    } else {
        Ok(())
    }
}

/// Collects the result of one field's rule into `errors`, returning the
/// cleaned value (or the empty string on error).
pub fn check(
    errors: &mut FieldErrors,
    field: &'static str,
    result: Result<String, String>,
) -> String {
    match result {
        Ok(v) => v,
        Err(message) => {
            errors.entry(field).or_insert(message);
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(text("  Léa  "), Ok("Léa".into()));
        assert_eq!(text("   "), Err(REQUIRED.into()));
        assert!(text(&"a".repeat(201)).is_err());
        assert!(text(&"é".repeat(200)).is_ok());
        assert!(text("a\u{0007}b").is_err());
        assert!(text("a\nb").is_err());
    }

    #[test]
    fn email_rules() {
        assert_eq!(
            email(" Emilie.Lefevre@Example.org "),
            Ok("emilie.lefevre@example.org".into())
        );
        assert!(email("jean-luc.o'neil+ecole@mairie-val.fr").is_ok());
        for bad in [
            "a",
            "a@b",
            "@b.fr",
            "a@.fr",
            "a b@c.fr",
            "a@b..fr",
            "a..b@c.fr",
            "a@-b.fr",
            "a@b.fr@c.fr",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn username_rules() {
        assert_eq!(username("Emilie.L"), Ok("emilie.l".into()));
        assert!(username("emilie l").unwrap_err().contains("Sans espace"));
        assert!(username("ab").is_err());
        assert!(username("émilie").is_err());
        assert!(username(&"a".repeat(41)).is_err());
    }

    #[test]
    fn password_rules() {
        assert!(
            new_password("court", "emilie", "e@x.fr")
                .unwrap_err()
                .contains("12 caractères")
        );
        assert!(
            new_password("azertyuiop123", "emilie", "e@x.fr")
                .unwrap_err()
                .contains("courant")
        );
        assert!(
            new_password("motdepasse1234", "emilie", "e@x.fr")
                .unwrap_err()
                .contains("courant")
        );
        assert!(new_password("emilie.lefevre2026", "emilie.lefevre", "e@x.fr").is_err());
        assert!(new_password("Grenadine-tulipe-42-velo", "emilie", "e@x.fr").is_ok());
        assert!(new_password(&"Grenadine-tulipe-42-velo".repeat(10), "emilie", "e@x.fr").is_err());
    }

    #[test]
    fn confirmations() {
        assert!(confirmation("a@b.fr", "a@b.fr", "adresses").is_ok());
        assert_eq!(confirmation("a@b.fr", "", "adresses"), Err(REQUIRED.into()));
        assert!(
            confirmation("a@b.fr", "a@c.fr", "adresses")
                .unwrap_err()
                .contains("adresses")
        );
    }

    #[test]
    fn dates_outside_a_plausible_range_are_refused() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            birth_date("12/05/2018", today),
            Ok(NaiveDate::from_ymd_opt(2018, 5, 12).unwrap())
        );
        assert_eq!(
            birth_date("2026-11-26", today),
            Ok(today),
            "born today is possible"
        );
        for bad in ["-0001-01-01", "9999-12-31", "27/11/2026", "25/11/2001"] {
            let e = birth_date(bad, today).unwrap_err();
            assert!(e.starts_with("Date impossible"), "{bad}: {e}");
        }
        assert!(
            birth_date("31/02/2020", today)
                .unwrap_err()
                .starts_with("Date invalide")
        );
        assert!(qf_date("01/09/2026", today).is_ok());
        assert!(qf_date("26/11/2027", today).is_ok());
        for bad in ["-0001-01-01", "9999-12-31", "27/11/2027", "01/01/2016"] {
            assert!(qf_date(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn optional_text_refuses_rather_than_drops() {
        assert_eq!(optional_text("  "), Ok(None));
        assert_eq!(optional_text(" sans porc "), Ok(Some("sans porc".into())));
        assert!(optional_text(&"x".repeat(10_000)).is_err());
        assert!(optional_text("a\u{0}b").is_err());
        assert!(optional_text("a\u{1b}b").is_err());
    }
}
