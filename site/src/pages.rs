//! The pages of the static site. Each is the shared layout around its own
//! content; the commune's details come from the settings file.

use crate::Built;
use maud::{Markup, html};
use shared::layout::error_page::Status;
use shared::layout::{self, Page};
use shared::settings;

fn page(path: &str, title: &str, main: Markup) -> Built {
    Built {
        path: path.to_owned(),
        // The home page lists the latest news: it announces their feed.
        html: layout::render_with_feed(Page { title, path, main }, path == "/").into_string(),
    }
}

/// Every page of the site but the news.
pub fn all(news: &[crate::news::Item], docs: &[crate::documents::Document]) -> Vec<Built> {
    vec![
        home(news),
        crate::simulation::page(),
        help(),
        accessibility(),
        legal(),
        terms(),
        rules(docs),
        privacy(),
        sitemap(),
        not_found(),
    ]
}

fn home(news: &[crate::news::Item]) -> Built {
    let s = settings::embedded();
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
            h2 { "Actualités" }
            @if news.is_empty() {
                p { "Aucune actualité pour l'instant." }
            } @else {
                ul.cards { @for item in news.iter().take(3) { (crate::news::card(item, 3)) } }
                p { a href="/actualites/" { "Toutes les actualités" } }
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
        @for service in &settings::embedded().services {
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
    let faq: &[(&str, &str)] = &[
        (
            "Je n'ai pas reçu l'e-mail d'activation.",
            "Vérifiez le dossier des courriers indésirables. Depuis la page de connexion, en saisissant votre nom d'utilisateur et votre mot de passe, vous pouvez demander un nouveau lien tant que votre demande a moins de 24 heures ; au-delà, recommencez l'inscription.",
        ),
        (
            "Où trouver mon numéro de dossier ?",
            "Il figure en haut de chacune de vos factures, avec le nom du responsable du dossier. Les trois derniers chiffres demandés sont ceux du numéro de la facture.",
        ),
        (
            "Les deux parents peuvent-ils avoir un compte ?",
            "Oui : chacun crée son compte avec les mêmes références de dossier. Les titulaires déjà rattachés en sont informés par e-mail.",
        ),
        (
            "J'ai oublié mon mot de passe.",
            "Utilisez « Mot de passe oublié ? » sur la page de connexion : un lien valable une heure vous est envoyé.",
        ),
        (
            "Mon compte est verrouillé.",
            "Après cinq mots de passe erronés, le compte est verrouillé pendant 15 minutes. Patientez, ou changez de mot de passe avec « Mot de passe oublié ? ».",
        ),
        (
            "Comment connaître mes tarifs ?",
            "La simulation tarifaire calcule votre quotient familial et le prix de chaque prestation ; les grilles complètes y figurent aussi.",
        ),
    ];
    page(
        "/aide/",
        "Aide",
        html! {
            h2 { "Créer mon compte" }
            ol {
                li { "Ouvrez " a href="/compte/inscription" { "Créer mon compte" } " et indiquez vos nom, prénom, adresse e-mail, un nom d'utilisateur et un mot de passe d'au moins 12 caractères." }
                li { "Saisissez les références de votre dossier famille : numéro de dossier, nom du responsable et les 3 derniers chiffres d'une facture. Sans ces informations, choisissez « continuer sans » : la mairie rattachera votre compte sous 72 heures." }
                li { "Acceptez les conditions d'utilisation et le règlement intérieur, vérifiez le récapitulatif et validez." }
                li { "Suivez le lien reçu par e-mail dans les 24 heures : votre compte est activé et vous êtes connecté." }
            }
            h2 { "Réserver" }
            p { "Les réservations se font jour par jour pour chaque enfant inscrit, dans les délais indiqués pour chaque activité. Une inscription validée par la mairie est nécessaire avant toute réservation." }
            h2 { "Payer" }
            p { "Les factures sont mensuelles. Elles se paient en ligne par carte bancaire, par prélèvement automatique ou auprès de la régie." }
            h2 { "Questions fréquentes" }
            dl {
                @for (q, a) in faq {
                    dt { strong { (q) } }
                    dd { (a) }
                }
            }
            h2 { "Nous contacter" }
            (services())
        },
    )
}

fn privacy() -> Built {
    let c = &settings::embedded().commune;
    page(
        "/donnees-personnelles/",
        "Données personnelles",
        html! {
            p { "La " (c.nom) " traite les données personnelles des familles pour gérer la restauration scolaire et les accueils périscolaires et de loisirs (mission de service public). Seules les données nécessaires au service sont collectées (référentiel de la CNIL pour la restauration scolaire et les accueils périscolaires)." }
            h2 { "Données collectées et usage" }
            ul {
                li { "Responsables du dossier : nom, prénom, adresse, téléphone, adresse e-mail — pour vous joindre et facturer." }
                li { "Quotient familial et sa date — pour appliquer le tarif." }
                li { "Enfants : nom, prénom, date de naissance, école, classe, régime alimentaire (par exemple « sans porc », « sans viande »), existence d'un PAI — pour l'accueil et les repas. Aucune conviction religieuse ni nature de handicap n'est enregistrée." }
                li { "Compte de l'Espace Famille : nom d'utilisateur, adresse e-mail, mot de passe conservé sous forme chiffrée irréversible (argon2id)." }
            }
            h2 { "Durées de conservation" }
            ul {
                li { "Dossier famille : tant que vos enfants fréquentent les services, puis 3 ans." }
                li { "Factures : 10 ans, comme toute pièce comptable." }
                li { "Demande de compte non activée : effacée après 24 heures." }
                li { "Journaux de connexion : 1 an." }
            }
            h2 { "Vos droits" }
            p { "Vous pouvez accéder à vos données, les faire rectifier, demander leur effacement ou la limitation de leur traitement. Le compte web se supprime depuis « Mon compte » ; le dossier à la mairie est conservé tant que la loi l'impose." }
            h2 { "Contact du délégué à la protection des données" }
            p { "Délégué à la protection des données, " (c.nom) ", " (c.adresse) " — " a href={ "mailto:" (c.courriel) } { (c.courriel) } ". En cas de difficulté, vous pouvez adresser une réclamation à la CNIL." }
        },
    )
}

fn accessibility() -> Built {
    let c = &settings::embedded().commune;
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
    let c = &settings::embedded().commune;
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
            p { "Voir la page " a href="/donnees-personnelles/" { "Données personnelles" } "." }
        },
    )
}

fn terms() -> Built {
    let c = &settings::embedded().commune;
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

/// The règlement intérieur page, with the document itself when published.
fn rules(docs: &[crate::documents::Document]) -> Built {
    let pdf = docs.iter().find(|d| d.category == "Règlements");
    let c = &settings::embedded().commune;
    page(
        "/reglement-interieur/",
        "Règlement intérieur",
        html! {
            @if let Some(d) = pdf {
                p { a href={ "/documents/" (d.file) } download { "Télécharger : " (d.title) " (PDF, " (crate::documents::size_fr(d.bytes)) ")" } }
            }
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
                li { a href="/actualites/" { "Actualités" } }
                li { a href="/simulation/" { "Simulation tarifaire" } }
                li { a href="/documents/" { "Documents" } }
                li { a href="/ecole-de-secteur/" { "École de secteur" } }
                li { a href="/aide/" { "Aide" } }
                li { a href="/conditions-generales/" { "Conditions générales d'utilisation" } }
                li { a href="/reglement-interieur/" { "Règlement intérieur" } }
                li { a href="/accessibilite/" { "Déclaration d'accessibilité" } }
                li { a href="/mentions-legales/" { "Mentions légales" } }
                li { a href="/donnees-personnelles/" { "Données personnelles" } }
            }
        },
    )
}

/// The page CloudFront shows for a missing file (the local portal renders the
/// same page for its 404 answers).
fn not_found() -> Built {
    Built {
        path: "/404.html".into(),
        html: shared::layout::error_page::render_error(Status::NOT_FOUND, "/404.html")
            .into_string(),
    }
}
