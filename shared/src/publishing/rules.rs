//! The web team's forms, as pure functions: each field's rule returns the
//! cleaned value or the French message shown next to the field.

use crate::accounts::validation::{self, FieldErrors, REQUIRED};
use crate::files::FileKind;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use unicode_normalization::UnicodeNormalization;

/// Longest title (it is the page's `<h1>` and the feed's entry title).
pub const MAX_TITLE: usize = 150;
/// Longest summary (the home page's and the list's cards).
pub const MAX_SUMMARY: usize = 400;
/// Longest body, in Markdown characters.
pub const MAX_BODY: usize = 30_000;
/// Longest alternative text of an image.
pub const MAX_ALT: usize = 250;
/// Largest image or PDF the web team sends: a phone photo fits, and the
/// form stays under what a Lambda function takes once base64-encoded.
pub const MAX_FILE: usize = 4 * 1024 * 1024;
/// Longest part of a generated address (`/actualites/{slug}/`).
const MAX_SLUG: usize = 70;

/// What the web team chose for an actualité.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Draft,
    Publish,
    Schedule,
}

impl Choice {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "brouillon" => Some(Self::Draft),
            "publier" => Some(Self::Publish),
            "programmer" => Some(Self::Schedule),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "brouillon",
            Self::Publish => "publier",
            Self::Schedule => "programmer",
        }
    }
}

/// An actualité's form as typed.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct NewsForm {
    pub titre: String,
    pub date: String,
    pub resume: String,
    pub corps: String,
    pub image_alt: String,
    pub statut: String,
    /// `AAAA-MM-JJTHH:MM` (a `datetime-local` field), Paris time.
    pub programmee_le: String,
    /// "1" to take the current image off the item.
    pub retirer_image: String,
}

/// An actualité's form, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedNews {
    pub titre: String,
    pub date: NaiveDate,
    pub resume: String,
    pub corps: String,
    /// The image's alternative text, when the item has an image.
    pub image_alt: Option<String>,
    pub choice: Choice,
    /// When a scheduled item goes online.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// A line of text of at most `max` characters.
fn line(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(REQUIRED.into());
    }
    let n = v.chars().count();
    if n > max {
        return Err(format!("{max} caractères au plus (ici {n})."));
    }
    if v.chars().any(char::is_control) {
        return Err("Ce champ contient des caractères non autorisés.".into());
    }
    Ok(v.to_owned())
}

/// A block of Markdown: line breaks and tabs allowed, other control
/// characters not.
fn block(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim().replace("\r\n", "\n");
    if v.is_empty() {
        return Err(REQUIRED.into());
    }
    let n = v.chars().count();
    if n > max {
        return Err(format!("{max} caractères au plus (ici {n})."));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("Ce texte contient des caractères non autorisés.".into());
    }
    Ok(v)
}

/// The date shown on the item (`JJ/MM/AAAA` or `AAAA-MM-JJ`); 31/02 is no date.
pub fn news_date(value: &str) -> Result<NaiveDate, String> {
    if value.trim().is_empty() {
        return Err(REQUIRED.into());
    }
    validation::date_between(
        value,
        NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2100, 12, 31).expect("date"),
        "20/11/2026",
    )
}

/// A publication date and time (`AAAA-MM-JJTHH:MM`, Paris time) that must
/// be to come.
pub fn schedule(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("Indiquez la date et l'heure de publication.".into());
    }
    let local = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%d/%m/%Y %H:%M"))
        .map_err(|_| {
            "Date et heure invalides : JJ/MM/AAAA HH:MM, par exemple 20/11/2026 08:00.".to_owned()
        })?;
    // A time skipped by the change to summer time is no time.
    let at = Paris
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| "Cette heure n'existe pas ce jour-là (changement d'heure).".to_owned())?
        .with_timezone(&Utc);
    if at <= now {
        return Err("Cette date est passée : choisissez une date et une heure à venir.".into());
    }
    Ok(at)
}

/// Checks an actualité's form. `has_image`: whether the item will have an
/// image (a new one sent, or the current one kept).
pub fn check_news(
    form: &NewsForm,
    has_image: bool,
    now: DateTime<Utc>,
) -> Result<CheckedNews, FieldErrors> {
    let mut errors = FieldErrors::new();
    let titre = validation::check(&mut errors, "titre", line(&form.titre, MAX_TITLE));
    let date = news_date(&form.date)
        .map_err(|e| errors.insert("date", e))
        .ok();
    let resume = validation::check(&mut errors, "resume", line(&form.resume, MAX_SUMMARY));
    let corps = validation::check(&mut errors, "corps", block(&form.corps, MAX_BODY));
    let image_alt = if has_image {
        let alt = validation::check(
            &mut errors,
            "image_alt",
            line(&form.image_alt, MAX_ALT).map_err(|e| {
                if e == REQUIRED {
                    "Décrivez l'image pour les personnes qui ne la voient pas (texte alternatif)."
                        .into()
                } else {
                    e
                }
            }),
        );
        Some(alt)
    } else {
        None
    };
    let choice = Choice::parse(&form.statut);
    if choice.is_none() {
        errors.insert(
            "statut",
            "Choisissez : brouillon, publier maintenant ou programmer.".into(),
        );
    }
    let scheduled_at = match choice {
        Some(Choice::Schedule) => schedule(&form.programmee_le, now)
            .map_err(|e| errors.insert("programmee_le", e))
            .ok(),
        _ => None,
    };
    match (date, choice, errors.is_empty()) {
        (Some(date), Some(choice), true) => Ok(CheckedNews {
            titre,
            date,
            resume,
            corps,
            image_alt,
            choice,
            scheduled_at,
        }),
        _ => Err(errors),
    }
}

/// A document's title.
pub fn document_title(value: &str) -> Result<String, String> {
    line(value, MAX_TITLE)
}

/// A document's category: one of the site's list.
pub fn category(value: &str, categories: &[String]) -> Result<String, String> {
    categories
        .iter()
        .find(|c| c.as_str() == value)
        .cloned()
        .ok_or_else(|| format!("Choisissez une catégorie : {}.", categories.join(", ")))
}

fn file_size(bytes: &[u8], what: &str) -> Result<(), String> {
    if bytes.is_empty() {
        return Err(format!("Le fichier est vide : choisissez {what}."));
    }
    if bytes.len() > MAX_FILE {
        return Err(format!(
            "Le fichier dépasse 4 Mo ({} Ko) : réduisez-le avant de l'envoyer.",
            bytes.len().div_ceil(1024)
        ));
    }
    Ok(())
}

/// An image sent by the web team: at most 4 MB, JPEG or PNG by content
/// (a GIF, or a text file named `.jpg`, is refused).
pub fn image(bytes: &[u8]) -> Result<FileKind, String> {
    file_size(bytes, "une image JPEG ou PNG")?;
    match FileKind::detect(bytes) {
        Some(kind @ (FileKind::Jpeg | FileKind::Png)) => Ok(kind),
        _ => Err("Format non accepté : une image JPEG ou PNG est attendue.".into()),
    }
}

/// A document sent by the web team: at most 4 MB, a PDF by content.
pub fn pdf(bytes: &[u8]) -> Result<(), String> {
    file_size(bytes, "un fichier PDF")?;
    match FileKind::detect(bytes) {
        Some(FileKind::Pdf) => Ok(()),
        _ => Err("Ce fichier n'est pas un PDF : seuls les documents PDF sont publiés.".into()),
    }
}

/// An address part made of a title: accents dropped, lower case, words
/// joined by `-`, at most 70 characters cut at a word.
pub fn slugify(text: &str) -> String {
    let ligatures = text.replace(['œ', 'Œ'], "oe").replace(['æ', 'Æ'], "ae");
    let folded: String = ligatures
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    let mut slug = String::new();
    for word in folded.split('-').filter(|w| !w.is_empty()) {
        if !slug.is_empty() && slug.len() + 1 + word.len() > MAX_SLUG {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word[..word.len().min(MAX_SLUG)]);
    }
    if slug.is_empty() {
        "sans-titre".into()
    } else {
        slug
    }
}

/// The address of a new actualité: its date and its title
/// (`2026-11-20-inscriptions-aux-mercredis`); `n` > 1 for the n-th of the
/// same name.
pub fn news_slug(date: NaiveDate, title: &str, n: u32) -> String {
    let base = format!("{date}-{}", slugify(title));
    if n > 1 { format!("{base}-{n}") } else { base }
}

/// Whether a path part is an address we could have made.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 100
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap()
    }

    fn form() -> NewsForm {
        NewsForm {
            titre: "Inscriptions aux mercredis".into(),
            date: "2026-11-26".into(),
            resume: "Les inscriptions sont ouvertes.".into(),
            corps: "Texte **gras**.\r\nLigne.".into(),
            statut: "publier".into(),
            ..NewsForm::default()
        }
    }

    #[test]
    fn a_good_form() {
        let c = check_news(&form(), false, now()).unwrap();
        assert_eq!(c.titre, "Inscriptions aux mercredis");
        assert_eq!(c.date, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert_eq!(c.corps, "Texte **gras**.\nLigne.");
        assert_eq!(c.choice, Choice::Publish);
        assert_eq!(c.image_alt, None);
    }

    #[test]
    fn bad_fields_each_get_their_message() {
        let long = NewsForm {
            titre: "a".repeat(500),
            date: "31/02/2026".into(),
            resume: String::new(),
            statut: "n'importe".into(),
            ..form()
        };
        let e = check_news(&long, true, now()).unwrap_err();
        assert!(
            e["titre"].contains("150 caractères au plus (ici 500)"),
            "{e:?}"
        );
        assert!(e["date"].starts_with("Date invalide"), "{e:?}");
        assert_eq!(e["resume"], REQUIRED);
        assert!(e["image_alt"].contains("texte alternatif"), "{e:?}");
        assert!(e.contains_key("statut"));
        assert!(!e.contains_key("corps"));
    }

    #[test]
    fn scheduling_needs_a_time_to_come() {
        let past = NewsForm {
            statut: "programmer".into(),
            programmee_le: "2026-11-26T07:59".into(),
            ..form()
        };
        // 07:59 in Paris is 06:59 UTC: past.
        let e = check_news(&past, false, now()).unwrap_err();
        assert!(e["programmee_le"].contains("passée"), "{e:?}");
        let future = NewsForm {
            programmee_le: "2026-11-26T08:01".into(),
            ..past.clone()
        };
        let c = check_news(&future, false, now()).unwrap();
        assert_eq!(
            c.scheduled_at,
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 7, 1, 0).unwrap())
        );
        let missing = NewsForm {
            programmee_le: String::new(),
            ..past.clone()
        };
        assert!(
            check_news(&missing, false, now()).unwrap_err()["programmee_le"].contains("Indiquez")
        );
        // 29 March 2026, 02:30 does not exist in Paris.
        assert!(
            schedule("2027-03-28T02:30", now())
                .unwrap_err()
                .contains("n'existe pas")
        );
        assert!(schedule("demain", now()).unwrap_err().contains("invalides"));
        assert!(schedule("27/11/2026 08:00", now()).is_ok());
    }

    #[test]
    fn files_are_known_by_their_content() {
        assert_eq!(image(b"\x89PNG\r\n\x1a\nxxxx"), Ok(FileKind::Png));
        assert!(image(b"GIF89a....").unwrap_err().contains("JPEG ou PNG"));
        assert!(image(b"Bonjour").unwrap_err().contains("JPEG ou PNG"));
        assert!(image(b"%PDF-1.4").unwrap_err().contains("JPEG ou PNG"));
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0; 20 * 1024 * 1024]].concat();
        assert!(image(&big).unwrap_err().contains("dépasse 4 Mo (20481 Ko)"));
        assert!(image(b"").unwrap_err().contains("vide"));
        assert_eq!(pdf(b"%PDF-1.7"), Ok(()));
        assert!(pdf(b"<html>").unwrap_err().contains("pas un PDF"));
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Fête de l'école : œuvres & jeux !"),
            "fete-de-l-ecole-oeuvres-jeux"
        );
        assert_eq!(slugify("   "), "sans-titre");
        assert_eq!(slugify("Ça été"), "ca-ete");
        let long = slugify(&"mot ".repeat(100));
        assert!(long.len() <= 70 && !long.ends_with('-'), "{long}");
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(news_slug(d, "Grève", 1), "2026-11-20-greve");
        assert_eq!(news_slug(d, "Grève", 2), "2026-11-20-greve-2");
        assert!(is_slug("2026-11-20-greve"));
        for bad in ["", "../x", "A", "a b", "-a", "é"] {
            assert!(!is_slug(bad), "{bad}");
        }
        assert_eq!(category("Menus", &["Menus".into()]), Ok("Menus".to_owned()));
        assert!(category("Piscine", &["Menus".into()]).is_err());
    }
}
