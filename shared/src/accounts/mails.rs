//! The account messages, in French, as text and HTML built from the same
//! paragraphs.

use crate::mail::Mail;
use crate::settings;
use maud::html;

/// A message of paragraphs, with an optional button-like link.
pub fn compose(to: &str, subject: &str, paragraphs: &[String], link: Option<(&str, &str)>) -> Mail {
    let c = &settings::get().commune;
    let signature = format!("{} — {}", c.portail, c.nom);
    let mut text = String::from("Bonjour,\n\n");
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    if let Some((label, url)) = link {
        text.push_str(&format!("{label} : {url}\n\n"));
    }
    text.push_str(&format!(
        "{signature}\nCe message est envoyé automatiquement ; pour nous écrire : {}.\n",
        c.courriel
    ));
    let html = html! {
        p { "Bonjour," }
        @for p in paragraphs { p { (p) } }
        @if let Some((label, url)) = link {
            p { a href=(url) { (label) } }
            p { "Si le lien ne s'ouvre pas, copiez cette adresse dans votre navigateur : " (url) }
        }
        p { (signature) br; "Ce message est envoyé automatiquement ; pour nous écrire : " (c.courriel) "." }
    }
    .into_string();
    Mail {
        to: to.to_owned(),
        subject: format!("{} — {subject}", c.portail),
        text,
        html: format!("<!DOCTYPE html><html lang=\"fr\"><body>{html}</body></html>"),
        attachments: vec![],
    }
}

pub fn activation(to: &str, url: &str, without_dossier: bool) -> Mail {
    let mut paragraphs = vec![
        "Vous avez demandé la création d'un compte sur l'Espace Famille. Pour l'activer, suivez le lien ci-dessous dans les 24 heures ; passé ce délai, il faudra recommencer votre inscription.".to_owned(),
    ];
    if without_dossier {
        paragraphs.push("Vous n'avez pas indiqué les références de votre dossier : après l'activation, le service Enfance-Éducation rattachera votre compte à votre dossier et vous répondra sous 72 heures.".into());
    }
    paragraphs.push("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : aucun compte ne sera créé.".into());
    compose(
        to,
        "activez votre compte",
        &paragraphs,
        Some(("Activer mon compte", url)),
    )
}

pub fn dossier_linked_notice(to: &str, numero: &str, new_account_name: &str) -> Mail {
    compose(
        to,
        "un compte a été rattaché à votre dossier",
        &[
            format!("Un nouveau compte, au nom de {new_account_name}, vient d'être rattaché à votre dossier famille n° {numero}. Il a accès aux mêmes informations que le vôtre."),
            "Si vous ne connaissez pas cette personne, contactez sans attendre le service Enfance-Éducation.".into(),
        ],
        None,
    )
}

/// To the accounts of a dossier: someone else gave its references and waits
/// for the town to confirm.
pub fn dossier_access_requested(to: &str, numero: &str, new_account_name: &str) -> Mail {
    compose(
        to,
        "demande d'accès à votre dossier",
        &[
            format!("Un nouveau compte, au nom de {new_account_name}, a donné les références de votre dossier famille n° {numero}. Il n'y a pas encore accès : le service Enfance-Éducation vérifiera la demande avant de le rattacher."),
            "Si vous ne connaissez pas cette personne, contactez sans attendre le service Enfance-Éducation.".into(),
        ],
        None,
    )
}

/// To the service that links accounts: a dossier's references were tried
/// too often; online linking of that dossier is suspended for a while.
pub fn references_locked(to: &str, numero: &str, hours: i64) -> Mail {
    compose(
        to,
        "rattachement en ligne suspendu pour un dossier",
        &[
            format!("Les références du dossier famille n° {numero} ont été saisies sans succès trop de fois en une heure à l'étape 2 de l'inscription. Par sécurité, ce dossier ne peut plus être rattaché en ligne pendant {hours} heures."),
            "Si la famille vous contacte, elle peut s'inscrire sans ses références : vous rattacherez son compte depuis « Comptes à rattacher » après vérification.".into(),
        ],
        None,
    )
}

pub fn password_reset(to: &str, url: &str) -> Mail {
    compose(
        to,
        "réinitialisation de votre mot de passe",
        &[
            "Vous avez demandé à changer le mot de passe de votre compte. Suivez le lien ci-dessous dans l'heure qui vient ; il ne sert qu'une fois.".into(),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.".into(),
        ],
        Some(("Choisir un nouveau mot de passe", url)),
    )
}

pub fn email_change_confirm(to: &str, url: &str) -> Mail {
    compose(
        to,
        "confirmez votre nouvelle adresse",
        &["Pour que cette adresse devienne celle de votre compte, suivez le lien ci-dessous dans les 24 heures.".into()],
        Some(("Confirmer cette adresse", url)),
    )
}

pub fn email_change_notice(to: &str, new_address: &str) -> Mail {
    compose(
        to,
        "changement d'adresse demandé",
        &[
            format!("Un changement de l'adresse e-mail de votre compte vers {new_address} a été demandé. Il ne prendra effet qu'une fois la nouvelle adresse confirmée."),
            "Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe et contactez la mairie.".into(),
        ],
        None,
    )
}

pub fn review_linked(to: &str, numero: &str, url: &str) -> Mail {
    compose(
        to,
        "votre compte est rattaché à votre dossier",
        &[format!(
            "Le service Enfance-Éducation a rattaché votre compte à votre dossier famille n° {numero}. Vous pouvez maintenant réserver, consulter vos factures et écrire aux services."
        )],
        Some(("Me connecter", url)),
    )
}

pub fn review_refused(to: &str, reason: &str) -> Mail {
    let c = &settings::get().commune;
    compose(
        to,
        "votre demande de compte",
        &[
            "Le service Enfance-Éducation n'a pas pu rattacher votre compte à un dossier famille."
                .into(),
            format!("Motif : {reason}"),
            format!(
                "Pour toute question, contactez la mairie : {}, {}.",
                c.telephone, c.courriel
            ),
        ],
        None,
    )
}
