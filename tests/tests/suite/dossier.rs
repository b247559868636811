//! "Mon dossier" over HTTP: only the signed-in family's own dossier, contact
//! details changed with checks, lost updates refused.

use crate::support::{Browser, TestPortal, signed_up_family};
use axum::http::StatusCode;

/// A family signed in on the demo dossier (or without dossier).
async fn family(portal: &TestPortal, username: &str, email: &str, with_dossier: bool) -> Browser {
    signed_up_family(portal, "Émilie", username, email, with_dossier).await
}

#[tokio::test]
async fn the_family_reads_its_own_dossier() {
    let portal = TestPortal::sqlite().await;
    let mut b = family(&portal, "emilie.l", "emilie@example.org", true).await;
    let home = b.get("/compte").await;
    assert!(home.body.contains("href=\"/dossier\""));
    let summary = b.get("/dossier").await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.body.contains("D2026-0142"));
    assert!(summary.body.contains("845 €"));
    assert!(summary.body.contains("prélèvement automatique"));
    let kids = b.get("/dossier/enfants").await;
    assert!(kids.body.contains("Léa Lefèvre") && kids.body.contains("Hugo Lefèvre"));
    assert!(kids.body.contains("sans porc"));
    // Without a session: to the login page; without a linked dossier: said so.
    let mut anonymous = portal.browser();
    assert!(
        anonymous
            .get("/dossier")
            .await
            .location()
            .starts_with("/compte/connexion")
    );
    let mut waiting = family(&portal, "marc.l", "marc@example.org", false).await;
    let r = waiting.get("/dossier/enfants").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("pas encore rattaché"));
    assert!(!r.body.contains("Léa"));
}

#[tokio::test]
async fn contact_details_change_with_checks_and_no_lost_update() {
    let portal = TestPortal::sqlite().await;
    let mut a = family(&portal, "emilie.l", "emilie@example.org", true).await;
    let form = a.get("/dossier/coordonnees").await;
    let version = form.input_value("version").unwrap();
    let bad = a
        .post(
            "/dossier/coordonnees",
            &[
                ("version", &version),
                ("telephone_1", "06 12"),
                ("courriel_1", "pas-une-adresse"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"telephone_1-erreur\""));
    assert!(bad.body.contains("id=\"courriel_1-erreur\""));
    assert_eq!(bad.input_value("telephone_1").as_deref(), Some("06 12"));
    let r = a
        .post(
            "/dossier/coordonnees",
            &[
                ("version", &version),
                ("telephone_1", "07 98 76 54 32"),
                ("courriel_1", "Emilie.Pro@Example.org"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/dossier/coordonnees?enregistre=1");
    let saved = a.follow(r).await;
    assert!(saved.body.contains("Vos coordonnées sont enregistrées"));
    assert_eq!(
        saved.input_value("telephone_1").as_deref(),
        Some("07 98 76 54 32")
    );
    assert_eq!(
        saved.input_value("courriel_1").as_deref(),
        Some("emilie.pro@example.org")
    );
    assert!(
        a.get("/dossier")
            .await
            .body
            .contains("Coordonnées modifiées en ligne")
    );
    // A second parent's form, read before that change, cannot overwrite it.
    let stale = a
        .post(
            "/dossier/coordonnees",
            &[("version", &version), ("telephone_1", "06 00 00 00 00")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("modifié entre-temps"));
    assert_eq!(
        stale.input_value("telephone_1").as_deref(),
        Some("07 98 76 54 32")
    );
    // A tampered version is no better.
    let tampered = a
        .post(
            "/dossier/coordonnees",
            &[("version", "abc"), ("telephone_1", "06 00 00 00 00")],
        )
        .await;
    assert_eq!(tampered.status, StatusCode::CONFLICT);
}
