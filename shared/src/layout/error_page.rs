//! The French error pages, for every 4xx and 5xx the portal answers.

use super::{Page, render};
pub use axum::http::StatusCode as Status;
use axum::http::StatusCode;
use maud::{Markup, html};

/// The title and explanation of an error status.
pub fn wording(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 | 422 => (
            "Requête invalide",
            "Les informations envoyées n'ont pas pu être lues. Revenez à la page précédente et réessayez.",
        ),
        401 | 403 => (
            "Accès refusé",
            "Vous n'avez pas accès à cette page. Connectez-vous avec le compte qui y a droit.",
        ),
        404 => (
            "Page introuvable",
            "La page demandée n'existe pas ou a été déplacée. Vérifiez l'adresse ou repartez de l'accueil.",
        ),
        405 => (
            "Méthode non autorisée",
            "Cette adresse ne s'utilise pas de cette façon. Repartez de la page précédente.",
        ),
        408 => (
            "Délai dépassé",
            "La requête a pris trop de temps. Réessayez.",
        ),
        413 => (
            "Envoi trop volumineux",
            "Les données envoyées dépassent la taille autorisée (1 Mo, ou 2 Mo par pièce jointe).",
        ),
        415 => (
            "Format non pris en charge",
            "Le format des données envoyées n'est pas accepté par cette page.",
        ),
        429 => (
            "Trop de tentatives",
            "Trop de demandes en peu de temps. Patientez quelques minutes puis réessayez.",
        ),
        503 => (
            "Service momentanément indisponible",
            "Le service est momentanément indisponible. Réessayez dans quelques minutes ; si le problème persiste, contactez la mairie.",
        ),
        s if s >= 500 => (
            "Erreur du service",
            "Une erreur est survenue de notre côté. Réessayez dans quelques minutes ; si le problème persiste, contactez la mairie.",
        ),
        _ => ("Requête refusée", "Cette demande ne peut pas aboutir."),
    }
}

/// The whole error page for a status.
pub fn render_error(status: StatusCode, path: &str) -> Markup {
    let (title, text) = wording(status);
    render_error_page(status, title, text, path)
}

/// An error page with its own title and explanation.
pub fn render_error_with(status: StatusCode, title: &str, text: &str) -> Markup {
    render_error_page(status, title, text, "")
}

fn render_error_page(status: StatusCode, title: &str, text: &str, path: &str) -> Markup {
    let c = &crate::settings::embedded().commune;
    render(Page {
        title,
        path,
        main: html! {
            p { (text) }
            p { "Code de l'erreur : " (status.as_u16()) "." }
            p { a href="/" { "Retour à l'accueil" } }
            p { "Besoin d'aide ? Téléphone : " (c.telephone) "." }
        },
    })
}
