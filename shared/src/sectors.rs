//! School sectors: which school(s) take a street and number, from the
//! commune settings. Street names are compared without case, accents or the
//! difference between hyphens and spaces.

use crate::accounts::names::fold;
use crate::settings::{Sector, Street, StreetSide};

/// Whether a street entry takes this number (`None`: any number).
pub fn street_takes(street: &Street, number: Option<u32>) -> bool {
    let Some(n) = number else { return true };
    let side_ok = match street.cote {
        Some(StreetSide::Pairs) => n % 2 == 0,
        Some(StreetSide::Impairs) => n % 2 == 1,
        None => true,
    };
    side_ok && street.de.is_none_or(|de| n >= de) && street.a.is_none_or(|a| n <= a)
}

/// The schools whose sector holds the address; a street matches when its
/// folded name contains the folded query.
pub fn schools_for<'a>(sectors: &'a [Sector], street: &str, number: Option<u32>) -> Vec<&'a str> {
    let query = fold(street);
    if query.is_empty() {
        return vec![];
    }
    let mut schools: Vec<&str> = sectors
        .iter()
        .filter(|s| {
            s.rues
                .iter()
                .any(|r| fold(&r.nom).contains(&query) && street_takes(r, number))
        })
        .map(|s| s.ecole.as_str())
        .collect();
    schools.dedup();
    schools
}

/// How a street entry's numbers read: "tous les numéros", "du 1 au 79",
/// "numéros pairs à partir du 80"…
pub fn numbers_fr(street: &Street) -> String {
    let side = match street.cote {
        Some(StreetSide::Pairs) => "numéros pairs",
        Some(StreetSide::Impairs) => "numéros impairs",
        None => "numéros",
    };
    match (street.de, street.a) {
        (None, None) if street.cote.is_none() => "tous les numéros".into(),
        (None, None) => side.to_owned(),
        (Some(de), None) => format!("{side} à partir du {de}"),
        (None, Some(a)) => format!("{side} jusqu'au {a}"),
        (Some(de), Some(a)) => format!("{side} du {de} au {a}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_sectors() {
        let s = &crate::settings::embedded().secteurs;
        assert_eq!(
            schools_for(s, "avenue de la gare", Some(12)),
            vec![
                "École élémentaire Jean-Jaurès",
                "École maternelle Les Tilleuls"
            ]
        );
        assert_eq!(
            schools_for(s, "AVENUE DE LA GARE", Some(80)),
            vec![
                "École élémentaire Les Allymes",
                "École maternelle Les Tilleuls"
            ]
        );
        assert_eq!(
            schools_for(s, "chemin des ecoliers", Some(7))[0],
            "École élémentaire Jean-Jaurès"
        );
        assert_eq!(
            schools_for(s, "Chemin des Écoliers", Some(8))[0],
            "École élémentaire Les Allymes"
        );
        assert_eq!(schools_for(s, "emile zola", None).len(), 2);
        assert!(schools_for(s, "rue inconnue", None).is_empty());
        assert!(schools_for(s, "  ", None).is_empty());
    }

    #[test]
    fn numbers_read_in_french() {
        let st = |de, a, cote| Street {
            nom: "x".into(),
            de,
            a,
            cote,
        };
        assert_eq!(numbers_fr(&st(None, None, None)), "tous les numéros");
        assert_eq!(
            numbers_fr(&st(Some(1), Some(79), None)),
            "numéros du 1 au 79"
        );
        assert_eq!(
            numbers_fr(&st(Some(80), None, None)),
            "numéros à partir du 80"
        );
        assert_eq!(
            numbers_fr(&st(None, None, Some(StreetSide::Pairs))),
            "numéros pairs"
        );
    }
}
