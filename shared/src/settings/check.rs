//! What the settings must satisfy beyond their shape: periods that end after
//! they start, QF brackets without gap or overlap, prices that are not
//! negative, references to services and activities that exist, unique ids.
//! Each error names the line of the thing at fault.

use super::{PATH, Settings};
use crate::pricing::{Grid, Scale};
use rust_decimal::Decimal;
use std::collections::HashSet;

/// The line (1-based) of the first occurrence of `needle` in the file.
fn line_of(source: &str, needle: &str) -> usize {
    source
        .lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

fn error(source: &str, needle: &str, message: String) -> String {
    format!("{PATH}, ligne {} : {message}", line_of(source, needle))
}

pub fn check(s: &Settings, source: &str) -> Result<(), String> {
    let cal = &s.calendrier;
    if cal.annee_fin <= cal.annee_debut {
        return Err(error(
            source,
            "annee_fin",
            "l'année scolaire se termine avant de commencer".into(),
        ));
    }
    for p in &cal.vacances {
        if p.fin < p.debut {
            return Err(error(
                source,
                &format!("nom = \"{}\"", p.nom),
                format!("la période « {} » se termine avant de commencer", p.nom),
            ));
        }
    }
    let services: HashSet<&str> = s.services.iter().map(|x| x.id.as_str()).collect();
    for x in &s.services {
        if let Some(iban) = &x.iban
            && let Err(e) = crate::payment::sepa::normalize_iban(iban)
        {
            return Err(error(
                source,
                "iban =",
                format!("service « {} » : {e}", x.id),
            ));
        }
        if let Some(ics) = &x.ics
            && sepa::validate_creditor_id(ics).is_err()
        {
            return Err(error(
                source,
                "ics =",
                format!(
                    "service « {} » : identifiant créancier SEPA (ICS) invalide « {ics} »",
                    x.id
                ),
            ));
        }
    }
    let mut activity_ids = HashSet::new();
    for a in &s.activites {
        let at = format!("id = \"{}\"", a.id);
        if !activity_ids.insert(a.id.as_str()) {
            return Err(error(
                source,
                &at,
                format!("l'activité « {} » est définie deux fois", a.id),
            ));
        }
        if !services.contains(a.service.as_str()) {
            return Err(error(
                source,
                &at,
                format!("activité « {} » : service inconnu « {} »", a.id, a.service),
            ));
        }
        if a.jours.is_empty() {
            return Err(error(
                source,
                &at,
                format!("l'activité « {} » n'a aucun jour de fonctionnement", a.id),
            ));
        }
        if let (Some(d), Some(f)) = (a.debut, a.fin)
            && f < d
        {
            return Err(error(
                source,
                &at,
                format!("l'activité « {} » se termine avant de commencer", a.id),
            ));
        }
        if let (Some(min), Some(max)) = (a.age_min, a.age_max)
            && max < min
        {
            return Err(error(
                source,
                &at,
                format!("activité « {} » : âge maximum inférieur au minimum", a.id),
            ));
        }
        if a.pieces.len() + a.pieces_pai.len() > crate::inscriptions::rules::PIECE_FIELDS.len() {
            return Err(error(
                source,
                &at,
                format!(
                    "activité « {} » : {} pièces au plus",
                    a.id,
                    crate::inscriptions::rules::PIECE_FIELDS.len()
                ),
            ));
        }
        for p in a.pieces.iter().chain(&a.pieces_pai) {
            if !s.pieces.iter().any(|t| &t.id == p) {
                return Err(error(
                    source,
                    &at,
                    format!("activité « {} » : pièce inconnue « {p} »", a.id),
                ));
            }
        }
        if a.unites.is_empty() {
            return Err(error(
                source,
                &at,
                format!("l'activité « {} » n'a aucune unité", a.id),
            ));
        }
        if a.categorie == super::Category::Restauration
            && a.unites.iter().any(|u| u.places.is_some())
        {
            return Err(error(
                source,
                &at,
                format!(
                    "activité « {} » : la restauration scolaire ne peut pas refuser un enfant faute de places (retirez « places »)",
                    a.id
                ),
            ));
        }
        let mut unit_ids = HashSet::new();
        for u in &a.unites {
            let at = format!("id = \"{}\"", u.id);
            if !unit_ids.insert(u.id.as_str()) {
                return Err(error(
                    source,
                    &at,
                    format!("l'unité « {} » est définie deux fois", u.id),
                ));
            }
            check_grid(&u.tarif)
                .map_err(|m| error(source, &at, format!("unité « {} » : {m}", u.id)))?;
        }
    }
    for t in &s.themes {
        let at = format!("nom = \"{}\"", t.nom);
        if !services.contains(t.service.as_str()) {
            return Err(error(
                source,
                &at,
                format!("service inconnu « {} »", t.service),
            ));
        }
        if let Some(a) = &t.activite
            && !activity_ids.contains(a.as_str())
        {
            return Err(error(source, &at, format!("activité inconnue « {a} »")));
        }
    }
    for sector in &s.secteurs {
        for street in &sector.rues {
            if let (Some(de), Some(a)) = (street.de, street.a)
                && a < de
            {
                return Err(error(
                    source,
                    &format!("nom = \"{}\"", street.nom),
                    format!(
                        "« {} » : le numéro de fin est avant celui de début",
                        street.nom
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn non_negative(what: &str, price: Decimal) -> Result<(), String> {
    if price.is_sign_negative() && !price.is_zero() {
        Err(format!("{what} négatif ({price} €)"))
    } else {
        Ok(())
    }
}

/// A grid's own rules: brackets from 0, each starting right after the
/// previous one, the last open-ended; an effort rate with min ≤ max; no
/// negative price.
pub fn check_grid(grid: &Grid) -> Result<(), String> {
    if let Some(p) = grid.hors_commune {
        non_negative("prix hors commune", p)?;
    }
    if let Some(p) = grid.des_3e_enfant {
        non_negative("prix dès le 3e enfant", p)?;
    }
    match &grid.scale {
        Scale::Tranches { tranches } => {
            let first = tranches.first().ok_or("aucune tranche de QF")?;
            if !first.qf_min.is_zero() {
                return Err(format!(
                    "la première tranche commence à {} au lieu de 0",
                    first.qf_min
                ));
            }
            for (i, b) in tranches.iter().enumerate() {
                non_negative("prix", b.prix)?;
                let last = i + 1 == tranches.len();
                match (b.qf_max, last) {
                    (None, false) => {
                        return Err(format!(
                            "la tranche qui commence à {} n'a pas de fin",
                            b.qf_min
                        ));
                    }
                    (Some(max), true) => {
                        return Err(format!(
                            "la dernière tranche doit rester ouverte (elle finit à {max})"
                        ));
                    }
                    (Some(max), false) if max < b.qf_min => {
                        return Err(format!(
                            "la tranche {}–{max} finit avant de commencer",
                            b.qf_min
                        ));
                    }
                    (Some(max), false) => {
                        let next = tranches[i + 1].qf_min;
                        let expected = max + Decimal::ONE;
                        if next < expected {
                            return Err(format!(
                                "tranches de QF qui se chevauchent : {next} après {max}"
                            ));
                        }
                        if next > expected {
                            return Err(format!(
                                "trou entre les tranches de QF : de {max} à {next}"
                            ));
                        }
                    }
                    (None, true) => {}
                }
            }
        }
        Scale::TauxEffort {
            taux,
            minimum,
            maximum,
        } => {
            if *taux <= Decimal::ZERO {
                return Err("le taux d'effort doit être positif".into());
            }
            non_negative("minimum", *minimum)?;
            if maximum < minimum {
                return Err(format!(
                    "le maximum ({maximum} €) est inférieur au minimum ({minimum} €)"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{SOURCE, parse};

    fn broken(from: &str, to: &str) -> String {
        assert!(SOURCE.contains(from), "{from}");
        let err = parse(&SOURCE.replacen(from, to, 1)).unwrap_err();
        assert!(
            err.starts_with("site/content/commune.toml, ligne "),
            "{err}"
        );
        err
    }

    #[test]
    fn overlapping_and_gapped_brackets() {
        let e = broken(
            r#"{ qf_min = "600", qf_max = "999", prix = "3.30" }"#,
            r#"{ qf_min = "590", qf_max = "999", prix = "3.30" }"#,
        );
        assert!(e.contains("se chevauchent"), "{e}");
        assert!(e.contains("unité « repas »"), "{e}");
        let e = broken(
            r#"{ qf_min = "600", qf_max = "999", prix = "3.30" }"#,
            r#"{ qf_min = "650", qf_max = "999", prix = "3.30" }"#,
        );
        assert!(e.contains("trou entre les tranches"), "{e}");
    }

    #[test]
    fn negative_and_non_decimal_prices() {
        let e = broken(r#"prix = "3.30""#, r#"prix = "-3.30""#);
        assert!(e.contains("négatif"), "{e}");
        let e = broken(r#"prix = "3.30""#, r#"prix = "trois""#);
        assert!(e.contains("ligne"), "{e}");
    }

    #[test]
    fn unknown_activity_and_service() {
        let e = broken(r#"activite = "restauration""#, r#"activite = "piscine""#);
        assert!(e.contains("activité inconnue « piscine »"), "{e}");
        let e = broken(r#"service = "regie""#, r#"service = "voirie""#);
        assert!(e.contains("service inconnu"), "{e}");
    }

    #[test]
    fn periods_that_end_before_they_start() {
        let e = broken("fin = 2026-11-01", "fin = 2026-10-01");
        assert!(e.contains("Toussaint"), "{e}");
        let line = SOURCE
            .lines()
            .position(|l| l.contains("Vacances de la Toussaint"))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!("site/content/commune.toml, ligne {line} :")),
            "{e}"
        );
        let e = broken("annee_fin = 2027-07-03", "annee_fin = 2026-07-03");
        assert!(e.contains("année scolaire"), "{e}");
    }

    #[test]
    fn effort_rate_bounds() {
        let e = broken(r#"tarif.maximum = "3.38""#, r#"tarif.maximum = "1.00""#);
        assert!(e.contains("inférieur au minimum"), "{e}");
    }
}
