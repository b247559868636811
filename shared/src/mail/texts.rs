//! Every message the portal sends, in French: one function per message,
//! each a pure function of what it announces and the commune's details
//! (text and HTML built from the same paragraphs). Snapshot tests below pin
//! each wording; a change of text is a reviewed diff.

use crate::mail::Mail;
use crate::settings::Commune;
use maud::html;

/// A message of paragraphs, with an optional button-like link.
pub fn compose(
    c: &Commune,
    to: &str,
    subject: &str,
    paragraphs: &[String],
    link: Option<(&str, &str)>,
) -> Mail {
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

pub fn activation(c: &Commune, to: &str, url: &str, without_dossier: bool) -> Mail {
    let mut paragraphs = vec![
        "Vous avez demandé la création d'un compte sur l'Espace Famille. Pour l'activer, suivez le lien ci-dessous dans les 24 heures ; passé ce délai, il faudra recommencer votre inscription.".to_owned(),
    ];
    if without_dossier {
        paragraphs.push("Vous n'avez pas indiqué les références de votre dossier : après l'activation, le service Enfance-Éducation rattachera votre compte à votre dossier et vous répondra sous 72 heures.".into());
    }
    paragraphs.push("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : aucun compte ne sera créé.".into());
    compose(
        c,
        to,
        "activez votre compte",
        &paragraphs,
        Some(("Activer mon compte", url)),
    )
}

pub fn dossier_linked_notice(c: &Commune, to: &str, numero: &str, new_account_name: &str) -> Mail {
    compose(
        c,
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
pub fn dossier_access_requested(
    c: &Commune,
    to: &str,
    numero: &str,
    new_account_name: &str,
) -> Mail {
    compose(
        c,
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
pub fn references_locked(c: &Commune, to: &str, numero: &str, hours: i64) -> Mail {
    compose(
        c,
        to,
        "rattachement en ligne suspendu pour un dossier",
        &[
            format!("Les références du dossier famille n° {numero} ont été saisies sans succès trop de fois en une heure à l'étape 2 de l'inscription. Par sécurité, ce dossier ne peut plus être rattaché en ligne pendant {hours} heures."),
            "Si la famille vous contacte, elle peut s'inscrire sans ses références : vous rattacherez son compte depuis « Comptes à rattacher » après vérification.".into(),
        ],
        None,
    )
}

pub fn password_reset(c: &Commune, to: &str, url: &str) -> Mail {
    compose(
        c,
        to,
        "réinitialisation de votre mot de passe",
        &[
            "Vous avez demandé à changer le mot de passe de votre compte. Suivez le lien ci-dessous dans l'heure qui vient ; il ne sert qu'une fois.".into(),
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.".into(),
        ],
        Some(("Choisir un nouveau mot de passe", url)),
    )
}

pub fn email_change_confirm(c: &Commune, to: &str, url: &str) -> Mail {
    compose(
        c,
        to,
        "confirmez votre nouvelle adresse",
        &["Pour que cette adresse devienne celle de votre compte, suivez le lien ci-dessous dans les 24 heures.".into()],
        Some(("Confirmer cette adresse", url)),
    )
}

pub fn email_change_notice(c: &Commune, to: &str, new_address: &str) -> Mail {
    compose(
        c,
        to,
        "changement d'adresse demandé",
        &[
            format!("Un changement de l'adresse e-mail de votre compte vers {new_address} a été demandé. Il ne prendra effet qu'une fois la nouvelle adresse confirmée."),
            "Si vous n'êtes pas à l'origine de cette demande, changez votre mot de passe et contactez la mairie.".into(),
        ],
        None,
    )
}

pub fn review_linked(c: &Commune, to: &str, numero: &str, url: &str) -> Mail {
    compose(
        c,
        to,
        "votre compte est rattaché à votre dossier",
        &[format!(
            "Le service Enfance-Éducation a rattaché votre compte à votre dossier famille n° {numero}. Vous pouvez maintenant réserver, consulter vos factures et écrire aux services."
        )],
        Some(("Me connecter", url)),
    )
}

pub fn review_refused(c: &Commune, to: &str, reason: &str) -> Mail {
    compose(
        c,
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

/// A message to every account of a dossier, with a link to the page that
/// shows what it announces.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyNotice {
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// The portal page the button opens (e.g. `/inscriptions`).
    pub path: String,
}

impl FamilyNotice {
    /// The message to one account, the link made absolute from the portal's
    /// public address.
    pub fn to(&self, c: &Commune, to: &str, public_url: &str) -> Mail {
        let url = format!("{}{}", public_url.trim_end_matches('/'), self.path);
        compose(
            c,
            to,
            &self.subject,
            &self.paragraphs,
            Some(("Ouvrir mon Espace Famille", &url)),
        )
    }
}

pub fn document_refused(label: &str, reason: &str) -> FamilyNotice {
    FamilyNotice {
        subject: "document à renvoyer".into(),
        paragraphs: vec![
            format!("Le document « {label} » de votre dossier n'a pas pu être accepté par la mairie, pour la raison suivante : {reason}"),
            "Merci d'en envoyer un nouveau depuis la rubrique « Mes documents » de votre Espace Famille.".into(),
        ],
        path: "/dossier/documents".into(),
    }
}

/// The decision on a registration: validated, with what was booked in the
/// planning, or refused with its reason.
pub enum Decided<'a> {
    Validated { booked: &'a str },
    Refused { reason: &'a str },
}

/// A registration validated or refused.
pub fn registration_decided(
    child: &str,
    activity: &str,
    from: chrono::NaiveDate,
    decided: Decided<'_>,
) -> FamilyNotice {
    let (subject, paragraphs) = match decided {
        Decided::Validated { booked } => ("inscription validée", vec![
            format!("La mairie a validé l'inscription {} à l'activité « {activity} » à partir du {}.", crate::text::de(child), from.format("%d/%m/%Y")),
            format!("Planning : {booked}"),
        ]),
        Decided::Refused { reason } => ("inscription refusée", vec![
            format!("La mairie n'a pas pu valider l'inscription {} à l'activité « {activity} », pour la raison suivante : {reason}", crate::text::de(child)),
            "Vous pouvez faire une nouvelle demande depuis la rubrique « Inscriptions », ou écrire au service Enfance-Éducation.".to_owned(),
        ]),
    };
    FamilyNotice {
        subject: subject.into(),
        paragraphs,
        path: "/inscriptions".into(),
    }
}

/// A place freed for the first child waiting; `when` says the day or week.
pub fn place_freed(child: &str, unit: &str, when: &str) -> FamilyNotice {
    FamilyNotice {
        subject: "une place s'est libérée".into(),
        paragraphs: vec![format!(
            "Une place s'est libérée : {child} a maintenant une réservation « {unit} » pour {when}. Si vous n'en avez plus besoin, annulez-la depuis le planning avant la date limite."
        )],
        path: "/planning".into(),
    }
}

/// An invoice (or credit note) published: where to read and pay it.
pub fn invoice_published(
    kind: &str,
    numero: &str,
    period: &str,
    amount: &str,
    due: chrono::NaiveDate,
) -> FamilyNotice {
    FamilyNotice {
        subject: format!("{} disponible ({period})", kind.to_lowercase()),
        paragraphs: vec![
            format!("{kind} n° {numero}, période {period} : {amount}, à régler avant le {}.", due.format("%d/%m/%Y")),
            "Le détail, le document PDF et les façons de régler sont dans la rubrique « Factures » de votre Espace Famille.".into(),
        ],
        path: "/factures".into(),
    }
}

/// An online payment recorded: the receipt (no bank details: the amount,
/// the invoice and the receipt's number only).
pub fn payment_received(numero: &str, amount: &str, receipt: &str, means: &str) -> FamilyNotice {
    FamilyNotice {
        subject: format!("paiement reçu, facture {numero}"),
        paragraphs: vec![
            format!("Votre paiement de {amount} par {means} sur la facture n° {numero} est enregistré : reçu n° {receipt}."),
            "La facture et ce qu'il reste à régler sont dans la rubrique « Factures » de votre Espace Famille.".into(),
        ],
        path: "/factures".into(),
    }
}

/// A mandate validated (`reason` is `None`) or refused by the régie (no
/// bank details: the mandate's reference only).
pub fn mandate_decided(rum: &str, reason: Option<&str>) -> FamilyNotice {
    let (subject, paragraphs) = match reason {
        None => ("prélèvement automatique activé", vec![
            format!("La régie a validé votre mandat de prélèvement (référence {rum}). Vos prochaines factures seront prélevées à la date indiquée sur chacune d'elles."),
        ]),
        Some(r) => ("mandat de prélèvement refusé", vec![
            format!("La régie n'a pas pu valider votre mandat de prélèvement (référence {rum}), pour la raison suivante : {r}"),
            "Vos factures restent à régler en ligne ou à la régie ; vous pouvez signer un nouveau mandat depuis la rubrique « Factures ».".into(),
        ]),
    };
    FamilyNotice {
        subject: subject.into(),
        paragraphs,
        path: "/paiement/prelevement".into(),
    }
}

/// A direct debit returned by the bank: the invoice is to pay again.
pub fn debit_rejected(numero: &str, amount: &str) -> FamilyNotice {
    FamilyNotice {
        subject: format!("prélèvement rejeté, facture {numero}"),
        paragraphs: vec![
            format!("Le prélèvement de {amount} pour la facture n° {numero} a été rejeté par votre banque."),
            "Cette facture est de nouveau à régler : en ligne depuis la rubrique « Factures » de votre Espace Famille, ou à la régie. Si votre compte a changé, signez un nouveau mandat.".into(),
        ],
        path: "/factures".into(),
    }
}

/// A family's message sent, confirmed to its writer (no content: the
/// service and the link only).
pub fn message_sent(service: &str, path: &str) -> FamilyNotice {
    FamilyNotice {
        subject: "message envoyé".into(),
        paragraphs: vec![
            format!("Votre message au service « {service} » est bien envoyé."),
            "La réponse arrivera dans la messagerie de votre Espace Famille ; un courriel vous préviendra.".into(),
        ],
        path: path.to_owned(),
    }
}

/// A message of the town waits in the family's messagerie. Mail is not a
/// safe channel for family data: the message itself is only on the portal.
pub fn message_waiting(service: &str, path: &str) -> FamilyNotice {
    FamilyNotice {
        subject: "un message vous attend".into(),
        paragraphs: vec![
            format!(
                "Le service « {service} » vous a écrit dans la messagerie de votre Espace Famille."
            ),
            "Pour le lire et répondre, connectez-vous à votre Espace Famille.".into(),
        ],
        path: path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! One snapshot per message: subject, text and HTML as sent.
    use super::*;

    fn commune() -> Commune {
        crate::settings::parse(crate::settings::SOURCE)
            .unwrap()
            .commune
    }

    fn shown(mail: &Mail) -> String {
        format!(
            "To: {}\nSubject: {}\n\n{}\n---\n{}\n",
            mail.to, mail.subject, mail.text, mail.html
        )
    }

    const TO: &str = "famille@example.org";
    const URL: &str = "https://famille.example.org/compte/activation?jeton=JETON";

    #[test]
    fn every_message_reads_as_reviewed() {
        let c = &commune();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 7).unwrap();
        let public = "https://famille.example.org";
        let all = [
            ("activation", activation(c, TO, URL, false)),
            ("activation_sans_dossier", activation(c, TO, URL, true)),
            (
                "compte_rattache_info",
                dossier_linked_notice(c, TO, "D2024-0153", "Léa Martin"),
            ),
            (
                "demande_acces_dossier",
                dossier_access_requested(c, TO, "D2024-0153", "Léa Martin"),
            ),
            (
                "rattachement_suspendu",
                references_locked(c, TO, "D2024-0153", 24),
            ),
            ("mot_de_passe", password_reset(c, TO, URL)),
            ("courriel_confirmer", email_change_confirm(c, TO, URL)),
            (
                "courriel_changement",
                email_change_notice(c, TO, "nouvelle@example.org"),
            ),
            (
                "revue_rattache",
                review_linked(
                    c,
                    TO,
                    "D2024-0153",
                    "https://famille.example.org/compte/connexion",
                ),
            ),
            ("revue_refuse", review_refused(c, TO, "Dossier inconnu")),
            (
                "document_refuse",
                document_refused("Attestation CAF", "illisible").to(c, TO, public),
            ),
            (
                "inscription_validee",
                registration_decided(
                    "Minh",
                    "Restauration scolaire",
                    day,
                    Decided::Validated {
                        booked: "42 jour(s) réservé(s) du 07/09/2026 au 02/07/2027 ; modifiables dans le planning jusqu'à la date limite de chaque jour.",
                    },
                )
                .to(c, TO, public),
            ),
            (
                "inscription_refusee",
                registration_decided(
                    "Minh",
                    "Restauration scolaire",
                    day,
                    Decided::Refused { reason: "complet" },
                )
                    .to(c, TO, public),
            ),
            (
                "place_liberee",
                place_freed("Minh", "Mercredi matin", "le 07/09/2026").to(c, TO, public),
            ),
            (
                "facture_disponible",
                invoice_published("Facture", "F-2026-000042", "octobre 2026", "23,10 €", day)
                    .to(c, TO, public),
            ),
            (
                "paiement_recu",
                payment_received("F-2026-000042", "23,10 €", "R-2026-000007", "carte")
                    .to(c, TO, public),
            ),
            (
                "mandat_valide",
                mandate_decided("EF-D2026-0142-20261126071203", None).to(c, TO, public),
            ),
            (
                "mandat_refuse",
                mandate_decided("EF-D2026-0142-20261126071203", Some("IBAN illisible"))
                    .to(c, TO, public),
            ),
            (
                "message_envoye",
                message_sent("Régie centrale", "/messagerie/01JD0000000000000000000000")
                    .to(c, TO, public),
            ),
            (
                "message_en_attente",
                message_waiting("Régie centrale", "/messagerie/01JD0000000000000000000000")
                    .to(c, TO, public),
            ),
            (
                "prelevement_rejete",
                debit_rejected("F-2026-000042", "23,10 €").to(c, TO, public),
            ),
        ];
        for (name, mail) in all {
            insta::assert_snapshot!(name, shown(&mail));
        }
    }
}
