//! Field rules for the account forms, as pure functions. Each returns the
//! cleaned value or a French message shown next to the field.

use super::password::is_common_password;
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
}
