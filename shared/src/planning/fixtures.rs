//! Records the planning's unit tests share.

use crate::domain::inscription::{Inscription, Status};

/// A validated registration of `child` to `activity` on `jours` from `debut`.
pub fn registration(child: &str, activity: &str, jours: &[&str], debut: &str) -> Inscription {
    Inscription {
        id: format!("{child}{activity}"),
        numero: "D1".into(),
        enfant: child.into(),
        enfant_nom: child.into(),
        activite: activity.into(),
        activite_nom: activity.into(),
        annee: "2026-2027".into(),
        debut: debut.parse().unwrap(),
        jours: jours.iter().map(|j| j.to_string()).collect(),
        semaines: vec![],
        documents: vec![],
        statut: Status::Validee,
        motif: None,
        demande_le: "2026-11-01T10:00:00Z".parse().unwrap(),
        decide_le: None,
        decide_par: None,
        reservations: None,
    }
}
