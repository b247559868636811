//! The messagerie's rules, pure functions: what a message form must hold,
//! the attachments it may carry, and how long a message has waited in
//! working days (the inbox flags it past the service's target).

use crate::accounts::validation::FieldErrors;
use crate::files::{FileKind, MAX_UPLOAD, check_upload};
use crate::settings::{Calendar, Settings};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

pub const MAX_SUBJECT: usize = 150;
pub const MAX_TEXT: usize = 5_000;
pub const MAX_ATTACHMENTS: usize = 3;

/// A new thread's form, as typed (text fields; the files come apart).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WriteForm {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub sujet: String,
    #[serde(default)]
    pub texte: String,
    /// "1": an e-mail confirms the sending.
    #[serde(default)]
    pub confirmation: String,
    /// The invoice it is about (from the invoice's page).
    #[serde(default)]
    pub facture: String,
    /// A dossier (an agent starting a thread).
    #[serde(default)]
    pub dossier: String,
}

/// A new thread, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewThread {
    pub service: String,
    pub theme: String,
    pub sujet: String,
    pub texte: String,
    pub facture: Option<String>,
    pub confirmation: bool,
}

/// A message's text: not empty, at most 5,000 characters (line breaks
/// allowed; kept as typed, shown as text).
pub fn check_text(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("Écrivez votre message.".into());
    }
    let n = v.chars().count();
    if n > MAX_TEXT {
        return Err(format!(
            "Le message dépasse {MAX_TEXT} caractères ({n}) : raccourcissez-le ou joignez un document."
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("Le message contient des caractères non autorisés.".into());
    }
    Ok(v.replace("\r\n", "\n"))
}

/// The themes of a service, in the settings' order.
pub fn themes_of<'a>(s: &'a Settings, service: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    s.themes
        .iter()
        .filter(move |t| t.service == service)
        .map(|t| t.nom.as_str())
}

/// Checks a new thread's form: a service of the settings, one of its
/// themes, a subject, a text; each error next to its field.
pub fn check_new(s: &Settings, form: &WriteForm) -> Result<NewThread, FieldErrors> {
    let mut errors = FieldErrors::new();
    let service = s.services.iter().find(|x| x.id == form.service);
    match service {
        None => {
            errors.insert("service", "Choisissez le service à qui écrire.".into());
        }
        Some(x) if !themes_of(s, &x.id).any(|t| t == form.theme) => {
            errors.insert(
                "theme",
                format!("Choisissez un thème du service « {} ».", x.nom),
            );
        }
        _ => {}
    }
    let sujet = form.sujet.trim();
    if sujet.is_empty() {
        errors.insert("sujet", "Indiquez l'objet de votre message.".into());
    } else if sujet.chars().count() > MAX_SUBJECT {
        errors.insert(
            "sujet",
            format!("L'objet dépasse {MAX_SUBJECT} caractères."),
        );
    } else if sujet.chars().any(char::is_control) {
        errors.insert(
            "sujet",
            "L'objet contient des caractères non autorisés.".into(),
        );
    }
    let texte = check_text(&form.texte).map_err(|e| errors.insert("texte", e));
    let facture = form.facture.trim();
    let facture_ok = facture.len() <= 40
        && facture
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !facture_ok {
        errors.insert("sujet", "Facture inconnue.".into());
    }
    match (service, texte) {
        (Some(x), Ok(texte)) if errors.is_empty() => Ok(NewThread {
            service: x.id.clone(),
            theme: form.theme.clone(),
            sujet: sujet.to_owned(),
            texte,
            facture: (!facture.is_empty()).then(|| facture.to_owned()),
            confirmation: form.confirmation == "1",
        }),
        _ => Err(errors),
    }
}

/// Checks the files sent with a message: at most three, each a PDF, JPEG
/// or PNG of at most 2 MB (by content). The error names the file.
pub fn check_attachments(files: &[Vec<u8>]) -> Result<Vec<FileKind>, String> {
    if files.len() > MAX_ATTACHMENTS {
        return Err(format!(
            "{MAX_ATTACHMENTS} pièces jointes au plus ({} choisies).",
            files.len()
        ));
    }
    files
        .iter()
        .enumerate()
        .map(|(i, bytes)| check_upload(bytes).map_err(|e| format!("Pièce jointe {} : {e}", i + 1)))
        .collect()
}

/// Largest attachment, for the form's hint.
pub fn max_attachment_mb() -> usize {
    MAX_UPLOAD / (1024 * 1024)
}

/// Working days after `from` up to `to` (Monday to Friday, public
/// holidays not counted): a message of Friday evening has waited one
/// working day on Monday evening.
pub fn working_days_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> u32 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| crate::calendar::is_working_day(cal, *d))
        .count() as u32
}

/// Whether a message waiting since `since` is over the service's target.
pub fn overdue(cal: &Calendar, since: NaiveDate, today: NaiveDate, target: u32) -> bool {
    working_days_between(cal, since, today) > target
}

/// How long a message has waited: "12 min", "5 h", "3 j".
pub fn age_label(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = now - since;
    if d.num_hours() < 1 {
        format!("{} min", d.num_minutes().max(0))
    } else if d.num_hours() < 48 {
        format!("{} h", d.num_hours())
    } else {
        format!("{} j", d.num_days())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        crate::settings::parse(crate::settings::SOURCE).unwrap()
    }

    fn form(service: &str, theme: &str, sujet: &str, texte: &str) -> WriteForm {
        WriteForm {
            service: service.into(),
            theme: theme.into(),
            sujet: sujet.into(),
            texte: texte.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_thread_needs_a_service_its_theme_a_subject_and_a_text() {
        let s = settings();
        let ok = check_new(
            &s,
            &form(
                "regie",
                "Réclamation sur une facture",
                " Erreur ",
                "Bonjour\r\nmerci",
            ),
        )
        .unwrap();
        assert_eq!(
            (ok.sujet.as_str(), ok.texte.as_str()),
            ("Erreur", "Bonjour\nmerci")
        );
        // A theme of another service, a tampered service.
        let e = check_new(&s, &form("regie", "Inscriptions et dossier", "a", "b")).unwrap_err();
        assert!(e.contains_key("theme"));
        let e = check_new(&s, &form("police", "Inscriptions et dossier", "a", "b")).unwrap_err();
        assert!(e.contains_key("service"));
        // Empty, too long; HTML is text like any other.
        let e = check_new(&s, &form("regie", "Factures et paiements", "", " ")).unwrap_err();
        assert_eq!(e.keys().copied().collect::<Vec<_>>(), ["sujet", "texte"]);
        let long = "é".repeat(MAX_TEXT + 1);
        let e = check_new(&s, &form("regie", "Factures et paiements", "a", &long)).unwrap_err();
        assert!(e["texte"].contains("5001"), "{e:?}");
        assert!(
            check_new(
                &s,
                &form("regie", "Factures et paiements", "a", &long[..MAX_TEXT * 2])
            )
            .is_ok()
        );
        let html = "<script>alert(1)</script>";
        assert_eq!(
            check_new(&s, &form("regie", "Factures et paiements", html, html))
                .unwrap()
                .texte,
            html
        );
    }

    #[test]
    fn attachments_are_at_most_three_and_each_a_real_file() {
        let pdf = b"%PDF-1.4 x".to_vec();
        assert_eq!(
            check_attachments(std::slice::from_ref(&pdf)).unwrap(),
            [FileKind::Pdf]
        );
        assert!(
            check_attachments(&vec![pdf.clone(); 4])
                .unwrap_err()
                .contains("3 pièces")
        );
        let fake = b"hello, I am text".to_vec();
        assert!(
            check_attachments(&[pdf.clone(), fake])
                .unwrap_err()
                .starts_with("Pièce jointe 2")
        );
        let mut big = pdf;
        big.resize(MAX_UPLOAD + 1, b'0');
        assert!(check_attachments(&[big]).unwrap_err().contains("2 Mo"));
    }

    #[test]
    fn waiting_is_counted_in_working_days() {
        let s = settings();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // Friday 6 → Monday 9 November 2026: one working day.
        assert_eq!(
            working_days_between(&s.calendrier, d(2026, 11, 6), d(2026, 11, 9)),
            1
        );
        // Tuesday 10 → Thursday 12: 11 November is a holiday.
        assert_eq!(
            working_days_between(&s.calendrier, d(2026, 11, 10), d(2026, 11, 12)),
            1
        );
        assert!(!overdue(&s.calendrier, d(2026, 11, 6), d(2026, 11, 10), 2));
        assert!(overdue(&s.calendrier, d(2026, 11, 6), d(2026, 11, 12), 2));
        let at = |h| DateTime::parse_from_rfc3339(h).unwrap().to_utc();
        assert_eq!(
            age_label(at("2026-11-26T07:00:00Z"), at("2026-11-26T07:12:00Z")),
            "12 min"
        );
        assert_eq!(
            age_label(at("2026-11-23T07:00:00Z"), at("2026-11-26T07:12:00Z")),
            "3 j"
        );
    }
}
