//! The pages of the static site. Each is the shared layout around its own
//! content; the commune's details come from the settings file.

use crate::Built;
use maud::{Markup, html};
use shared::layout::error_page::Status;
use shared::layout::{self, Page};
use shared::settings;

fn page(path: &'static str, title: &str, main: Markup) -> Built {
    Built {
        path,
        html: layout::render(Page { title, path, main }).into_string(),
    }
}

/// Every page of the site.
pub fn all() -> Vec<Built> {
    vec![
        home(),
        crate::simulation::page(),
        help(),
        accessibility(),
        legal(),
        terms(),
        rules(),
        sitemap(),
        not_found(),
    ]
}

fn home() -> Built {
    let s = settings::get();
    page(
        "/",
        &format!("Bienvenue sur l'{}", s.commune.portail),
        html! {
            p.lead {
                "Avec l'" (s.commune.portail) " de la " (s.commune.nom)
                ", gérez depuis chez vous et à toute heure la vie scolaire et périscolaire de vos enfants."
            }
            ul.cards {
                li {
                    h2 { "Réserver" }
                    p { "Réservez ou annulez les repas au restaurant scolaire et les accueils du matin, du soir, du mercredi et des vacances." }
                }
                li {
                    h2 { "Inscrire" }
                    p { "Inscrivez vos enfants aux activités et déposez les justificatifs demandés." }
                }
                li {
                    h2 { "Payer" }
                    p { "Consultez vos factures et payez-les en ligne, ou optez pour le prélèvement automatique." }
                }
                li {
                    h2 { "Échanger" }
                    p { "Écrivez aux services de la mairie et retrouvez leurs réponses." }
                }
            }
            p {
                a.button href="/compte/connexion" { "Accéder à mon espace famille" }
            }
            p {
                "Première visite ? "
                a href="/compte/inscription" { "Créez votre compte" }
                " avec votre numéro de dossier, ou sans : le service Enfance-Éducation étudiera votre demande."
            }
            p { a href="/simulation/" { "Estimer mes tarifs selon mon quotient familial" } }
            h2 { "Les activités proposées" }
            ul {
                @for a in &s.activites { li { (a.nom) } }
            }
            h2 { "Accessibilité" }
            p {
                "Ce site est "
                strong { "non conforme" }
                " au référentiel général d'amélioration de l'accessibilité (RGAA) : son audit n'a pas encore été réalisé. "
                a href="/accessibilite/" { "Lire la déclaration d'accessibilité" }
                "."
            }
        },
    )
}

fn services() -> Markup {
    html! {
        @for service in &settings::get().services {
            h3 { (service.nom) }
            dl.facts {
                dt { "Téléphone" } dd { (service.telephone) }
                dt { "Courriel" } dd { a href={ "mailto:" (service.courriel) } { (service.courriel) } }
                dt { "Accueil" } dd { (service.horaires) }
            }
        }
    }
}

fn help() -> Built {
    page(
        "/aide/",
        "Aide",
        html! {
            h2 { "Créer mon compte" }
            p {
                "Pour créer votre compte, munissez-vous de votre numéro de dossier famille, du nom du responsable "
                "et des trois derniers chiffres d'une de vos factures. Sans ces informations, vous pouvez "
                "continuer : votre demande sera étudiée par la mairie sous 72 heures."
            }
            h2 { "Nous contacter" }
            (services())
        },
    )
}

fn accessibility() -> Built {
    let c = &settings::get().commune;
    page(
        "/accessibilite/",
        "Déclaration d'accessibilité",
        html! {
            p {
                "La " (c.nom) " s'engage à rendre ses sites internet accessibles conformément à l'article 47 "
                "de la loi n° 2005-102 du 11 février 2005. Cette déclaration s'applique à l'" (c.portail) "."
            }
            h2 { "État de conformité" }
            p {
                "L'" (c.portail) " est " strong { "non conforme" } " avec le RGAA 4.1 : aucun audit de conformité n'a encore été réalisé. "
                "Il est conçu et testé pour le niveau AA (structure, contrastes, navigation au clavier, formulaires étiquetés) "
                "et un audit est prévu."
            }
            h2 { "Retour d'information et contact" }
            p {
                "Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez la mairie pour être orienté "
                "vers une alternative accessible ou obtenir le contenu sous une autre forme : "
                a href={ "mailto:" (c.courriel) } { (c.courriel) } ", " (c.telephone) ", " (c.adresse) "."
            }
            h2 { "Voies de recours" }
            p {
                "Si vous avez signalé un défaut d'accessibilité qui vous empêche d'accéder à un contenu ou à un service "
                "et que vous n'avez pas obtenu de réponse satisfaisante, vous pouvez saisir le Défenseur des droits : "
                "par son formulaire de contact en ligne, par un de ses délégués dans votre région, ou par courrier "
                "(gratuit, sans affranchissement) : Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07."
            }
        },
    )
}

fn legal() -> Built {
    let c = &settings::get().commune;
    page(
        "/mentions-legales/",
        "Mentions légales",
        html! {
            h2 { "Éditeur" }
            p { (c.nom) ", " (c.adresse) ". Téléphone : " (c.telephone) ". Courriel : " a href={ "mailto:" (c.courriel) } { (c.courriel) } "." }
            p { "Directeur de la publication : le maire de la commune." }
            h2 { "Hébergement" }
            p { "Amazon Web Services EMEA SARL, 38 avenue John F. Kennedy, L-1855 Luxembourg ; données hébergées dans la région AWS de Paris (eu-west-3)." }
            h2 { "Données personnelles" }
            p {
                "Les données de votre dossier sont traitées par la mairie pour la gestion de la restauration scolaire et des accueils "
                "périscolaires et de loisirs. Pour exercer vos droits (accès, rectification, effacement, limitation), écrivez à "
                a href={ "mailto:" (c.courriel) } { (c.courriel) } "."
            }
        },
    )
}

fn terms() -> Built {
    let c = &settings::get().commune;
    page(
        "/conditions-generales/",
        "Conditions générales d'utilisation",
        html! {
            h2 { "Objet" }
            p { "L'" (c.portail) " est le service en ligne de la " (c.nom) " pour les démarches liées à la restauration scolaire et aux accueils périscolaires et de loisirs. Son usage est gratuit et facultatif : les mêmes démarches restent possibles auprès de la mairie." }
            h2 { "Compte" }
            p { "Le compte est personnel. Vous choisissez un mot de passe d'au moins 12 caractères et le gardez secret. Plusieurs comptes peuvent être rattachés à un même dossier famille (par exemple les deux parents) ; chaque titulaire est informé d'un nouveau rattachement." }
            p { "Un compte non activé dans les 24 heures est effacé. Vous pouvez supprimer votre compte à tout moment depuis « Mon compte » ; votre dossier à la mairie est conservé." }
            h2 { "Réservations et paiements" }
            p { "Les réservations, annulations et paiements faits en ligne engagent la famille dans les conditions du règlement intérieur, notamment ses délais." }
            h2 { "Données personnelles" }
            p { "Les données sont traitées par la mairie pour la gestion des services ; voir les " a href="/mentions-legales/" { "mentions légales" } "." }
        },
    )
}

fn rules() -> Built {
    let c = &settings::get().commune;
    page(
        "/reglement-interieur/",
        "Règlement intérieur",
        html! {
            p { "Le règlement intérieur des services de restauration scolaire et des accueils périscolaires et de loisirs de la " (c.nom) " fixe les conditions d'inscription, de réservation, d'annulation, de facturation et de vie collective." }
            h2 { "Inscription" }
            p { "L'inscription est annuelle et préalable à toute réservation ; elle est validée par le service Enfance-Éducation au vu des justificatifs demandés." }
            h2 { "Réservations et annulations" }
            p { "Les réservations et annulations se font sur l'Espace Famille dans les délais affichés pour chaque activité. Une absence pour maladie est justifiée par un certificat médical." }
            h2 { "Facturation" }
            p { "Les présences sont facturées chaque mois selon les tarifs votés par le conseil municipal, en fonction du quotient familial." }
            h2 { "Contact" }
            p { "Service Enfance-Éducation : " (c.telephone) ", " a href={ "mailto:" (c.courriel) } { (c.courriel) } "." }
        },
    )
}

fn sitemap() -> Built {
    page(
        "/plan-du-site/",
        "Plan du site",
        html! {
            ul {
                li { a href="/" { "Accueil" } }
                li { a href="/compte/connexion" { "Connexion à mon espace famille" } }
                li { a href="/compte/inscription" { "Créer mon compte" } }
                li { a href="/simulation/" { "Simulation tarifaire" } }
                li { a href="/aide/" { "Aide" } }
                li { a href="/conditions-generales/" { "Conditions générales d'utilisation" } }
                li { a href="/reglement-interieur/" { "Règlement intérieur" } }
                li { a href="/accessibilite/" { "Déclaration d'accessibilité" } }
                li { a href="/mentions-legales/" { "Mentions légales" } }
            }
        },
    )
}

/// The page CloudFront shows for a missing file (the local portal renders the
/// same page for its 404 answers).
fn not_found() -> Built {
    Built {
        path: "/404.html",
        html: shared::layout::error_page::render_error(Status::NOT_FOUND, "/404.html")
            .into_string(),
    }
}
