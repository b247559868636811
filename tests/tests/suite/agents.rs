//! The agents' side over HTTP: the operator's invitation link, agent login
//! with its own cookie and idle timeout, and the review of sign-ups without
//! dossier (queue, search, link, refuse, audit trail, e-mails).

use crate::support::{Browser, FAMILY_PASSWORD, TestPortal, signed_up_family};
use axum::http::StatusCode;
use chrono::Duration;
use shared::accounts::Service;
use shared::accounts::service;

const AGENT_PASSWORD: &str = "Fougere-horloge-93-piano";

/// An agent invited as `portal agent add` does, who set a password and
/// signed in.
async fn signed_in_agent(portal: &TestPortal) -> Browser {
    agent_of(portal, "claire.martin@ville.example.org", Service::Enfance).await
}

/// An agent of a given service, invited, with its password set, signed in.
pub async fn agent_of(portal: &TestPortal, email: &str, of: Service) -> Browser {
    let link = service::create_agent(&portal.app, "Martin", "Claire", email, of)
        .await
        .unwrap();
    let path = link.trim_start_matches("http://famille.test").to_owned();
    let mut b = portal.browser();
    let form = b.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.input_value("jeton").unwrap();
    let r = b
        .post(
            "/agents/mot-de-passe",
            &[
                ("jeton", &token),
                ("mot_de_passe", AGENT_PASSWORD),
                ("mot_de_passe_confirmation", AGENT_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/agents/connexion?message=mot-de-passe-change"
    );
    // The invitation works once.
    assert_eq!(b.get(&path).await.status, StatusCode::GONE);
    b.get("/agents/connexion").await;
    let r = b
        .post(
            "/agents/connexion",
            &[("identifiant", email), ("mot_de_passe", AGENT_PASSWORD)],
        )
        .await;
    assert_eq!(r.location(), "/agents");
    assert!(b.cookies.contains_key("ef_agent"));
    b
}

/// A family account awaiting review ("continuer sans"), activated.
async fn family_without_dossier(portal: &TestPortal, username: &str, email: &str) -> Browser {
    signed_up_family(portal, "Marc", username, email, false).await
}

fn account_path(page: &str, name: &str) -> String {
    let at = page
        .find(name)
        .unwrap_or_else(|| panic!("{name} not in queue"));
    let href = page[..at].rfind("href=\"").unwrap() + 6;
    page[href..href + page[href..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn agents_review_sign_ups_without_dossier() {
    let portal = TestPortal::sqlite().await;
    let mut marc = family_without_dossier(&portal, "marc.l", "marc@example.org").await;
    portal.clock.advance(Duration::hours(73));
    family_without_dossier(&portal, "zoe.l", "zoe@example.org").await;
    let mut agent = signed_in_agent(&portal).await;

    let queue = agent.get("/agents/comptes").await;
    assert_eq!(queue.status, StatusCode::OK);
    let (marc_at, zoe_at) = (
        queue.body.find("marc@example.org").unwrap(),
        queue.body.find("zoe@example.org").unwrap(),
    );
    assert!(marc_at < zoe_at, "oldest first");
    assert_eq!(
        queue.body.matches("délai dépassé").count(),
        1,
        "only the one over 72 h"
    );

    let marc_page = account_path(&queue.body, "Marc Lefèvre");
    let found = agent.get(&format!("{marc_page}?recherche=lefevre")).await;
    assert!(
        found.body.contains("Rattacher au dossier D2026-0142"),
        "{}",
        found.body
    );
    let by_number = agent
        .get(&format!("{marc_page}?recherche=d2026-0142"))
        .await;
    assert!(by_number.body.contains("Rattacher au dossier D2026-0142"));
    let unknown = agent
        .post(&format!("{marc_page}/rattacher"), &[("dossier", "D0000")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = agent
        .post(
            &format!("{marc_page}/rattacher"),
            &[("dossier", "D2026-0142")],
        )
        .await;
    assert_eq!(r.location(), marc_page);
    let decided = agent.follow(r).await;
    assert!(decided.body.contains("compte rattaché"));
    assert!(decided.body.contains("Claire Martin"));
    assert!(
        portal
            .mails_to("marc@example.org")
            .await
            .last()
            .unwrap()
            .contains("D2026-0142")
    );
    // The family now sees its dossier (its session ended while it waited).
    marc.get("/compte/connexion").await;
    let r = marc
        .post(
            "/compte/connexion",
            &[("identifiant", "marc.l"), ("mot_de_passe", FAMILY_PASSWORD)],
        )
        .await;
    assert!(marc.follow(r).await.body.contains("D2026-0142"));
    // The dossier's audit trail has it too.
    let trail = shared::audit::trail(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].agent_nom, "Claire Martin");

    // Refusal needs a reason, which the family receives.
    let queue = agent.get("/agents/comptes").await;
    assert!(!queue.body.contains("marc@example.org"));
    let zoe_page = account_path(&queue.body, "Marc Lefèvre");
    agent.get(&zoe_page).await;
    let empty = agent
        .post(&format!("{zoe_page}/refuser"), &[("motif", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"motif-erreur\""));
    let r = agent
        .post(
            &format!("{zoe_page}/refuser"),
            &[("motif", "Aucun enfant inscrit dans nos écoles.")],
        )
        .await;
    assert!(r.status.is_redirection());
    let mail = portal.mails_to("zoe@example.org").await;
    assert!(mail.last().unwrap().contains("Motif"));
    assert!(
        agent
            .get("/agents/comptes")
            .await
            .body
            .contains("Aucune demande en attente")
    );
    // Deciding twice changes nothing: 409 with the decision taken.
    let again = agent
        .post(
            &format!("{zoe_page}/rattacher"),
            &[("dossier", "D2026-0142")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("vient d'être traitée par ailleurs"));
    let zoe = service::find_for_login(
        portal.app.store.as_ref(),
        shared::accounts::Kind::Family,
        "zoe.l",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(zoe.statut, shared::accounts::Status::Refused);
}

#[tokio::test]
async fn each_side_keeps_to_its_own_pages() {
    let portal = TestPortal::sqlite().await;
    let mut family = family_without_dossier(&portal, "marc.l", "marc@example.org").await;
    let mut agent = signed_in_agent(&portal).await;
    for path in ["/agents", "/agents/comptes"] {
        let r = family.get(path).await;
        assert!(r.location().starts_with("/agents/connexion"), "{path}");
    }
    let r = agent.get("/compte").await;
    assert!(r.location().starts_with("/compte/connexion"));
    // A family's password does not open the agents' side either.
    let mut b = portal.browser();
    b.get("/agents/connexion").await;
    let r = b
        .post(
            "/agents/connexion",
            &[
                ("identifiant", "marc@example.org"),
                ("mot_de_passe", FAMILY_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Path parameters are checked before any look-up.
    assert_eq!(
        agent.get("/agents/comptes/pas-un-id").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        agent
            .get("/agents/comptes/01ARZ3NDEKTSV4RRFFQ69G5FAV")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn agent_sessions_end_after_30_minutes_idle() {
    let portal = TestPortal::sqlite().await;
    let mut agent = signed_in_agent(&portal).await;
    portal.clock.advance(Duration::minutes(29));
    assert_eq!(agent.get("/agents").await.status, StatusCode::OK);
    portal.clock.advance(Duration::minutes(31));
    assert!(
        agent
            .get("/agents")
            .await
            .location()
            .starts_with("/agents/connexion")
    );
}

#[tokio::test]
async fn agents_find_edit_dossiers_and_add_children_with_an_audit_trail() {
    let portal = TestPortal::sqlite().await;
    let mut agent = signed_in_agent(&portal).await;
    for query in ["d2026-0142", "LEFEVRE", "lefèvre hugo", "Lefevre Lea"] {
        let found = agent
            .get(&format!(
                "/agents/dossiers?recherche={}",
                query.replace(' ', "+")
            ))
            .await;
        assert!(
            found.body.contains("href=\"/agents/dossiers/D2026-0142\""),
            "{query}"
        );
    }
    assert!(
        agent
            .get("/agents/dossiers?recherche=inconnu")
            .await
            .body
            .contains("Aucun dossier")
    );
    let page = agent.get("/agents/dossiers/D2026-0142").await;
    assert_eq!(page.status, StatusCode::OK);
    let version = page.input_value("version").unwrap();
    let form = |adresse: &str, qf: &str, date: &str, nom: &str| -> Vec<(String, String)> {
        let mode = if nom.is_empty() { "carte" } else { "en_ligne" };
        [
            ("version", version.as_str()),
            ("mode_paiement", mode),
            ("r1_nom", nom),
            ("r1_prenom", "Émilie"),
            ("r1_courriel", "emilie.lefevre@example.org"),
            ("adresse", adresse),
            ("qf", qf),
            ("qf_date", date),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    // Bad input: errors next to the fields, nothing stored.
    let bad = form("", "abc", "31/02/2026", "");
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = agent.post("/agents/dossiers/D2026-0142", &refs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["r1_nom", "adresse", "qf", "qf_date", "mode_paiement"] {
        assert!(
            r.body.contains(&format!("id=\"{field}-erreur\"")),
            "{field}"
        );
    }
    let good = form(
        "5 rue Neuve, 01500 Val-d'Albarine",
        "900",
        "01/11/2026",
        "Lefèvre",
    );
    let mut refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    refs.push(("hors_commune", "1"));
    let r = agent.post("/agents/dossiers/D2026-0142", &refs).await;
    assert_eq!(r.location(), "/agents/dossiers/D2026-0142?fait=dossier");
    let after = agent.follow(r).await;
    assert!(after.body.contains("Dossier enregistré"));
    assert!(after.body.contains("quotient familial : 845 € → 900 €"));
    assert!(after.body.contains("résidence : commune → hors commune"));
    let stored = shared::dossiers::get(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.hors_commune);
    assert!(
        after
            .body
            .contains("mode de paiement : prélèvement automatique → paiement en ligne")
    );
    assert!(after.body.contains("Claire Martin"));
    // The same (now stale) form again is refused.
    let stale = agent.post("/agents/dossiers/D2026-0142", &refs).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    // Add a child; the same child twice is refused; a bad date too.
    let child = [
        ("enfant_nom", "Lefèvre"),
        ("enfant_prenom", "Zoé"),
        ("enfant_naissance", "03/03/2023"),
        ("classe", "PS"),
    ];
    let r = agent
        .post("/agents/dossiers/D2026-0142/enfants", &child)
        .await;
    assert_eq!(r.location(), "/agents/dossiers/D2026-0142?fait=enfant");
    assert!(
        agent
            .follow(r)
            .await
            .body
            .contains("Zoé Lefèvre, né(e) le 03/03/2023")
    );
    let twice = agent
        .post("/agents/dossiers/D2026-0142/enfants", &child)
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.body.contains("déjà dans le dossier"));
    let bad_date = agent
        .post(
            "/agents/dossiers/D2026-0142/enfants",
            &[
                ("enfant_nom", "X"),
                ("enfant_prenom", "Y"),
                ("enfant_naissance", "hier"),
            ],
        )
        .await;
    assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
    let trail = shared::audit::trail(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap();
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[0].action, "enfant ajouté");
    // Unknown or malformed numbers are 404; families are sent to the agents' login.
    assert_eq!(
        agent.get("/agents/dossiers/D0000").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        agent.get("/agents/dossiers/D2026%2F..%2Fx").await.status,
        StatusCode::NOT_FOUND
    );
    let mut family = family_without_dossier(&portal, "marc.l", "marc@example.org").await;
    assert!(
        family
            .get("/agents/dossiers/D2026-0142")
            .await
            .location()
            .starts_with("/agents/connexion")
    );
    let r = family
        .post("/agents/dossiers/D2026-0142/enfants", &child)
        .await;
    assert!(r.location().starts_with("/agents/connexion"));
}
