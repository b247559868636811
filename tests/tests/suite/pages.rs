//! Snapshots of the main pages (their `<main>` element), as a family, an
//! agent and a visitor see them on the demo data at the tests' fixed time:
//! a change of wording or markup is a reviewed diff (`cargo insta review`),
//! not a broken `contains`. Ids, CSRF tokens and link tokens are redacted.

use crate::agents::agent_of;
use crate::inscriptions::emilie;
use crate::support::{Browser, TestPortal};
use shared::accounts::Service;

/// The `<main>` element of a page, one tag per line for readable diffs.
fn main_of(body: &str) -> String {
    let start = body.find("<main").expect("a <main> element");
    let end = body.rfind("</main>").expect("</main>") + "</main>".len();
    body[start..end].replace("><", ">\n<")
}

async fn snapshot(b: &mut Browser, name: &str, path: &str) {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{path}");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", "[ULID]");
    settings.add_filter(
        r#"name="_csrf" value="[^"]*""#,
        r#"name="_csrf" value="[CSRF]""#,
    );
    settings.add_filter(r"jeton=[A-Za-z0-9_-]+", "jeton=[JETON]");
    settings.set_snapshot_suffix(name);
    settings.set_description(path);
    settings.bind(|| insta::assert_snapshot!(main_of(&page.body)));
}

#[tokio::test]
async fn the_main_pages_read_as_reviewed() {
    let portal = TestPortal::sqlite().await;
    let mut visitor = portal.browser();
    for (name, path) in [
        ("connexion", "/compte/connexion"),
        ("inscription_etape_1", "/compte/inscription"),
        ("mot_de_passe_oublie", "/compte/mot-de-passe-oublie"),
        ("agents_connexion", "/agents/connexion"),
    ] {
        snapshot(&mut visitor, name, path).await;
    }
    let mut family = emilie(&portal).await;
    // Léa registered to the canteen, so the planning shows a grid.
    let lea = shared::demo::children().remove(0);
    crate::planning::validated(
        &portal,
        &lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-30",
    )
    .await;
    for (name, path) in [
        ("famille_accueil", "/compte"),
        ("mon_compte", "/compte/mon-compte"),
        ("dossier", "/dossier"),
        ("dossier_enfants", "/dossier/enfants"),
        ("dossier_coordonnees", "/dossier/coordonnees"),
        ("dossier_documents", "/dossier/documents"),
        ("inscriptions", "/inscriptions"),
        ("planning_semaine", "/planning?vue=semaine&date=2026-11-30"),
        ("planning_mois", "/planning?vue=mois&date=2026-12-01"),
        ("factures", "/factures"),
        ("facture", "/factures/F2026-10-000587"),
        ("prelevement", "/paiement/prelevement"),
        ("messagerie", "/messagerie"),
        (
            "messagerie_ecrire",
            "/messagerie/nouveau?facture=F2026-10-000587",
        ),
    ] {
        snapshot(&mut family, name, path).await;
    }
    let mut agent = agent_of(&portal, "claire.martin@ville.example.org", Service::Enfance).await;
    for (name, path) in [
        ("agents_accueil", "/agents"),
        ("agents_dossier", "/agents/dossiers/D2026-0142"),
        ("agents_inscriptions", "/agents/inscriptions"),
        ("agents_comptes", "/agents/comptes"),
        ("agents_courriels", "/agents/courriels"),
        (
            "agents_pointage",
            "/agents/pointage?activite=restauration&jour=2026-11-30",
        ),
        ("agents_effectifs", "/agents/effectifs?jour=2026-11-30"),
        ("agents_facturation", "/agents/facturation"),
        (
            "agents_facture",
            "/agents/dossiers/D2026-0142/factures/F2026-10-000587",
        ),
        ("agents_impayes", "/agents/facturation/impayes"),
        ("agents_messagerie", "/agents/messagerie"),
        (
            "agents_messagerie_ecrire",
            "/agents/messagerie/nouveau?dossier=D2026-0142",
        ),
    ] {
        snapshot(&mut agent, name, path).await;
    }
    // Bank details: the régie's pages only.
    let mut regie = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    for (name, path) in [
        ("agents_mandats", "/agents/facturation/mandats"),
        (
            "agents_remises",
            "/agents/facturation/prelevements?date=2026-12-05",
        ),
    ] {
        assert_eq!(
            agent.get(path).await.status,
            axum::http::StatusCode::FORBIDDEN
        );
        snapshot(&mut regie, name, path).await;
    }
    // The web team's pages.
    let mut web = agent_of(
        &portal,
        "communication@ville.example.org",
        Service::Communication,
    )
    .await;
    for (name, path) in [
        ("agents_site_accueil", "/agents"),
        ("agents_site_actualites", "/agents/site/actualites"),
        (
            "agents_site_actualite",
            "/agents/site/actualites/2026-11-23-greve-jeudi",
        ),
        ("agents_site_documents", "/agents/site/documents"),
    ] {
        snapshot(&mut web, name, path).await;
    }
}
