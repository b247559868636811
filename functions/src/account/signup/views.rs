//! The sign-up's pages: pure functions of the draft, what was typed and the
//! errors (no store, no clock).

use maud::{Markup, html};
use shared::accounts::draft::Draft;
use shared::accounts::validation::FieldErrors;
use shared::layout::forms::{Field, checkbox, error_summary, required_note};
use shared::layout::{self, NoticeKind, Page, notice};
use shared::web::auth::Csrf;

pub(super) const TITLES: [&str; 4] = [
    "Mes informations",
    "Mes références dossier",
    "Conditions d'utilisation",
    "Récapitulatif",
];

pub(super) const LABELS: &[(&str, &str)] = &[
    ("nom", "Nom"),
    ("prenom", "Prénom"),
    ("courriel", "Adresse e-mail"),
    ("courriel_confirmation", "Confirmation de l'adresse e-mail"),
    ("identifiant", "Nom d'utilisateur"),
    ("mot_de_passe", "Mot de passe"),
    ("mot_de_passe_confirmation", "Confirmation du mot de passe"),
    ("numero", "Numéro de dossier famille"),
    ("responsable", "Nom du responsable du dossier"),
    ("chiffres", "3 derniers chiffres d'une facture"),
    ("references", "Références du dossier"),
    ("cgu", "Conditions générales d'utilisation"),
    ("reglement", "Règlement intérieur"),
];

pub(super) fn label(field: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(n, _)| *n == field)
        .map_or("", |(_, l)| *l)
}

/// The page of one step, with its errors.
pub(super) fn step_page(
    step: u8,
    csrf: &Csrf,
    d: &Draft,
    typed: &Typed,
    errors: &FieldErrors,
) -> Markup {
    let index = usize::from(step.clamp(1, 4)) - 1;
    let title = format!("Créer mon compte — {}", TITLES[index]);
    let body = match step {
        1 => step_details(d, typed, errors),
        2 => step_references(d, errors),
        3 => step_terms(d, errors),
        _ => step_summary(d),
    };
    layout::render(Page {
        title: &title,
        path: "/compte/inscription",
        main: html! {
            p.steps { "Étape " (step) "/4" }
            (error_summary(errors, LABELS))
            form.stack method="post" action={ "/compte/inscription/etape-" (step) } novalidate {
                (csrf.field())
                (body)
                // The primary action first: the one Enter submits, and the
                // first a phone shows.
                div.actions {
                    @match step {
                        2 => {
                            button type="submit" name="action" value="verifier" { "Vérifier et continuer" }
                        }
                        4 => { button type="submit" name="action" value="valider" { "Valider" } }
                        _ => { button type="submit" name="action" value="continuer" { "Continuer" } }
                    }
                    @if step > 1 {
                        button.button-secondary type="submit" name="action" value="retour" formnovalidate { "Retour" }
                    }
                }
                @if step == 2 {
                    p {
                        button.link-button type="submit" name="action" value="sans" formnovalidate {
                            "Je n'ai pas ces informations, continuer sans"
                        }
                    }
                    p.hint { "Sans ces références, le service Enfance-Éducation rattachera votre compte à votre dossier et vous répondra sous 72 heures." }
                }
            }
            p.links-after-form { "Déjà un compte ? " a href="/compte/connexion" { "Se connecter" } }
        },
    })
}

/// What was typed at step 1 but not kept in the draft (the e-mail's
/// confirmation as typed, when refused).
#[derive(Debug, Default)]
pub(super) struct Typed {
    pub(super) courriel_confirmation: Option<String>,
}

pub(super) fn step_details(d: &Draft, typed: &Typed, errors: &FieldErrors) -> Markup {
    let confirmation = typed
        .courriel_confirmation
        .as_deref()
        .unwrap_or(&d.courriel);
    let rule = "12 caractères au moins ; pas un mot de passe courant ni votre nom d'utilisateur.";
    let rule_kept = "12 caractères au moins ; pas un mot de passe courant ni votre nom d'utilisateur. Laissez vide pour garder celui déjà saisi.";
    html! {
        (required_note())
        (Field::text("nom", label("nom"), &d.nom).autocomplete("family-name").render(errors))
        (Field::text("prenom", label("prenom"), &d.prenom).autocomplete("given-name").render(errors))
        (Field::text("courriel", label("courriel"), &d.courriel).kind("email").autocomplete("email").render(errors))
        (Field::text("courriel_confirmation", label("courriel_confirmation"), confirmation).kind("email").autocomplete("email").render(errors))
        (Field::text("identifiant", label("identifiant"), &d.identifiant).autocomplete("username")
            .hint("De 3 à 40 caractères, sans espace : lettres sans accent, chiffres, point, tiret ou tiret bas.").render(errors))
        (Field::text("mot_de_passe", label("mot_de_passe"), "").kind("password").autocomplete("new-password")
            .hint(if d.mot_de_passe.is_empty() { rule } else { rule_kept }).render(errors))
        (Field::text("mot_de_passe_confirmation", label("mot_de_passe_confirmation"), "").kind("password").autocomplete("new-password").render(errors))
    }
}

pub(super) fn step_references(d: &Draft, errors: &FieldErrors) -> Markup {
    html! {
        p { "Ces références figurent sur vos factures. Elles permettent de rattacher votre compte à votre dossier famille." }
        (required_note())
        (Field::text("numero", label("numero"), &d.numero).hint("Exemple : D2026-0142").render(errors))
        (Field::text("responsable", label("responsable"), &d.responsable).autocomplete("family-name").render(errors))
        (Field::text("chiffres", label("chiffres"), &d.chiffres).hint("Les 3 derniers chiffres du numéro d'une de vos factures, par exemple 587.").render(errors))
    }
}

pub(super) fn step_terms(d: &Draft, errors: &FieldErrors) -> Markup {
    html! {
        p { "Pour utiliser l'Espace Famille, vous devez accepter ses conditions d'utilisation et le règlement intérieur des services périscolaires et de restauration." }
        (checkbox("cgu", html! {
            "J'ai lu et j'accepte les "
            a href="/conditions-generales/" { "conditions générales d'utilisation" }
        }, d.cgu, errors))
        (checkbox("reglement", html! {
            "J'ai lu et j'accepte le "
            a href="/reglement-interieur/" { "règlement intérieur" }
        }, d.reglement, errors))
    }
}

pub(super) fn step_summary(d: &Draft) -> Markup {
    html! {
        p { "Vérifiez vos informations avant de valider. Un lien d'activation vous sera envoyé par e-mail." }
        dl.facts {
            dt { "Nom" } dd { (d.nom) }
            dt { "Prénom" } dd { (d.prenom) }
            dt { "Adresse e-mail" } dd { (d.courriel) }
            dt { "Nom d'utilisateur" } dd { (d.identifiant) }
            dt { "Dossier famille" }
            dd {
                @match &d.dossier {
                    Some(n) => { "n° " (n) }
                    None => { "non renseigné : la mairie rattachera votre compte (réponse sous 72 heures)" }
                }
            }
            dt { "Conditions" } dd { "acceptées" }
        }
    }
}

// ------------------------------------------------------------------ state

/// After step 4: the request is recorded, the activation e-mail is on its way.
pub fn sent_page(email: &str, with_dossier: bool) -> Markup {
    layout::render(Page {
        title: "Vérifiez votre messagerie",
        path: "/compte/inscription",
        main: html! {
            (notice(NoticeKind::Success, "Votre demande de compte est enregistrée."))
            p { "Un e-mail vient d'être envoyé à " strong { (email) } ". Suivez le lien qu'il contient dans les 24 heures pour activer votre compte ; passé ce délai, il faudra recommencer votre inscription." }
            @if !with_dossier {
                p { "Vous n'avez pas indiqué les références de votre dossier : le service Enfance-Éducation rattachera votre compte à votre dossier. La réponse vous parviendra sous 72 heures." }
            }
            p { "Rien reçu ? Vérifiez le dossier des indésirables. Depuis la page de connexion, vous pourrez demander un nouveau lien." }
        },
    })
}

/// The page of a one-time link that cannot be used.
pub fn link_page(title: &str, text: &str, (href, label): (&str, &str)) -> Markup {
    layout::render(Page {
        title,
        path: "/compte/lien",
        main: html! {
            (notice(NoticeKind::Error, text))
            p { a.button href=(href) { (label) } }
        },
    })
}
