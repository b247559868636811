//! What an outside probe of the portal found, one test per finding: each
//! failed on the code before its fix.

use crate::agents::agent_of;
use crate::inscriptions::{DEMO, HUGO, PDF, ask, documents, emilie, register_lea, registrations};
use crate::support::{Browser, FAMILY_PASSWORD, Page, TestPortal, granted, signed_up_family};
use axum::http::{StatusCode, header};
use chrono::Duration;
use shared::accounts::Service;
use shared::domain::inscription::Status as InscriptionStatus;
use std::time::Instant;

/// The service that links accounts, as the demo settings name it.
const ENFANCE_MAILBOX: &str = "enfance@val-albarine.fr";

/// A visitor from `address` who filled in step 1 of the sign-up and stands
/// at step 2 (the dossier references).
async fn at_step_two(portal: &TestPortal, address: &str) -> Browser {
    let mut b = portal.browser().elsewhere(address);
    b.get("/compte/inscription").await;
    let id = ulid::Ulid::new().to_string().to_lowercase();
    let email = format!("{id}@example.org");
    let r = b
        .post(
            "/compte/inscription/etape-1",
            &[
                ("nom", "Martin"),
                ("prenom", "Paul"),
                ("courriel", &email),
                ("courriel_confirmation", &email),
                ("identifiant", &format!("u{}", &id[..20])),
                ("mot_de_passe", FAMILY_PASSWORD),
                ("mot_de_passe_confirmation", FAMILY_PASSWORD),
            ],
        )
        .await;
    b.follow(r).await;
    b
}

async fn try_references(b: &mut Browser, numero: &str, responsable: &str, digits: &str) -> Page {
    b.post(
        "/compte/inscription/etape-2",
        &[
            ("action", "verifier"),
            ("numero", numero),
            ("responsable", responsable),
            ("chiffres", digits),
        ],
    )
    .await
}

// ------------------------------------------------------------------ high 1

#[tokio::test]
async fn dossier_references_cannot_be_guessed() {
    let portal = TestPortal::sqlite().await;
    // Five wrong guesses on a known dossier and surname...
    let mut guesser = at_step_two(&portal, "198.51.100.1:4000").await;
    for digits in ["000", "001", "002", "003", "004"] {
        let r = try_references(&mut guesser, DEMO, "Lefèvre", digits).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{digits}");
        assert!(r.body.contains("ne correspondent à aucun dossier"));
    }
    // ...and the right ones are no longer checked, from anywhere.
    let r = try_references(&mut guesser, DEMO, "Lefèvre", "587").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Trop d'essais"));
    let mut other = at_step_two(&portal, "198.51.100.2:4000").await;
    let r = try_references(&mut other, DEMO, "Lefèvre", "587").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The town is told, once, without the guesses.
    let told = portal.mail_texts_to(ENFANCE_MAILBOX).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].contains("ne peut plus être rattaché en ligne") && told[0].contains(DEMO));

    // An unknown number is answered the same way, and no one is told.
    let mut unknown = at_step_two(&portal, "198.51.100.3:4000").await;
    for digits in ["000", "001", "002", "003", "004"] {
        let r = try_references(&mut unknown, "D2026-9999", "Lefèvre", digits).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("ne correspondent à aucun dossier"));
    }
    let r = try_references(&mut unknown, "D2026-9999", "Lefèvre", "005").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(portal.mail_texts_to(ENFANCE_MAILBOX).await.len(), 1);

    // One visitor cannot walk through dossier numbers either: 5 per sign-up...
    let mut walker = at_step_two(&portal, "198.51.100.4:4000").await;
    for n in 0..5 {
        let r = try_references(&mut walker, &format!("D2026-01{n:02}"), "Martin", "111").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = try_references(&mut walker, "D2026-0199", "Martin", "111").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // ...and 10 per address, whatever the cookies.
    let mut failures = 0;
    for n in 0..3 {
        let mut fresh = at_step_two(&portal, "198.51.100.5:4000").await;
        for m in 0..5 {
            let r = try_references(&mut fresh, &format!("D2026-02{n}{m}"), "Martin", "111").await;
            if r.status == StatusCode::UNPROCESSABLE_ENTITY {
                failures += 1;
            } else {
                assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            }
        }
    }
    assert_eq!(failures, 10);

    // The dossier can be linked online again a day later.
    portal.clock.advance(Duration::hours(25));
    let mut family = at_step_two(&portal, "198.51.100.6:4000").await;
    let r = try_references(&mut family, DEMO, "Lefèvre", "587").await;
    assert_eq!(r.location(), "/compte/inscription?etape=3");
}

#[tokio::test]
async fn guesses_sent_at_once_are_held_to_the_limit() {
    let portal = TestPortal::sqlite().await;
    let mut guessers = Vec::new();
    for n in 0..4 {
        guessers.push(at_step_two(&portal, &format!("198.51.100.{}:4000", 10 + n)).await);
    }
    let mut checked = 0;
    for (n, b) in guessers.iter().enumerate() {
        let requests = (0..5)
            .map(|i| {
                let digits = format!("{}{i}0", n);
                b.prepared_post(
                    "/compte/inscription/etape-2",
                    &[
                        ("action", "verifier"),
                        ("numero", DEMO),
                        ("responsable", "Lefèvre"),
                        ("chiffres", &digits),
                    ],
                )
            })
            .collect();
        for (status, _) in b.race(requests).await {
            match status {
                StatusCode::UNPROCESSABLE_ENTITY => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(checked, 5, "20 guesses at once, 5 checked");
}

#[tokio::test]
async fn a_second_account_on_a_dossier_waits_for_the_town() {
    let portal = TestPortal::sqlite().await;
    let mut first =
        signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    assert!(first.get("/dossier").await.body.contains(DEMO));
    // Someone else with the right references: activated, but not linked.
    let mut second = signed_up_family(&portal, "Marc", "marc.l", "marc@example.org", true).await;
    let page = second.get("/dossier").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains("Léa"));
    let told = portal.mail_texts_to("emilie@example.org").await;
    assert!(
        told.last()
            .unwrap()
            .contains("a donné les références de votre dossier famille n° D2026-0142"),
        "{:?}",
        told.last()
    );
    // The town sees the dossier the references named, and links after checking.
    let mut agent = agent_of(&portal, "claire@ville.example.org", Service::Enfance).await;
    let account = family_account(&portal, "marc.l").await;
    let detail = agent.get(&format!("/agents/comptes/{}", account.id)).await;
    assert!(detail.body.contains("qui a déjà un compte rattaché"));
    assert!(
        detail
            .body
            .contains(&format!("Rattacher au dossier {DEMO}"))
    );
    let r = agent
        .post(
            &format!("/agents/comptes/{}/rattacher", account.id),
            &[("dossier", DEMO)],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert_eq!(second.get("/dossier").await.status, StatusCode::OK);
}

// ------------------------------------------------------------------ high 2

/// The registration's page for the agent, and its version.
async fn decision_form(agent: &mut Browser, id: &str) -> (String, String) {
    let detail = format!("/agents/inscriptions/{DEMO}/{id}");
    let version = agent.get(&detail).await.input_value("version").unwrap();
    (format!("{detail}/decision"), version)
}

async fn family_account(portal: &TestPortal, username: &str) -> shared::accounts::Account {
    shared::accounts::service::find_for_login(
        portal.app.store.as_ref(),
        shared::accounts::Kind::Family,
        username,
    )
    .await
    .unwrap()
    .unwrap()
}

fn count(answers: &[(StatusCode, String)], status: StatusCode) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_decision_is_taken_once() {
    let portal = TestPortal::sqlite().await;
    let mut family = emilie(&portal).await;
    let lea = register_lea(&portal, &mut family).await;
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let mails_before = portal.mails_to("emilie@example.org").await.len();

    // Ten identical "valider" at once: one decision, one e-mail.
    let (action, version) = decision_form(&mut agent, &lea.id).await;
    let same: Vec<_> = (0..10)
        .map(|_| agent.prepared_post(&action, &[("version", &version), ("decision", "valider")]))
        .collect();
    let answers = agent.race(same).await;
    assert_eq!(count(&answers, StatusCode::SEE_OTHER), 1, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), 9);
    let mails = portal.mails_to("emilie@example.org").await;
    assert_eq!(mails.len(), mails_before + 1);

    // "valider" and "refuser" at once: one of them, the slot kept coherent.
    // Hugo has a PAI: its signed plan is the piece asked.
    let r = ask(
        &mut family,
        HUGO,
        "restauration",
        &["lundi"],
        &[("piece_1", "pai.pdf", PDF)],
    )
    .await;
    assert_eq!(r.location(), "/inscriptions?demande=1", "{}", r.body);
    let mails_before = portal.mails_to("emilie@example.org").await.len();
    let hugo = registrations(&portal, DEMO)
        .await
        .into_iter()
        .find(|i| i.enfant == HUGO)
        .unwrap();
    let (action, version) = decision_form(&mut agent, &hugo.id).await;
    let both = vec![
        agent.prepared_post(&action, &[("version", &version), ("decision", "valider")]),
        agent.prepared_post(
            &action,
            &[
                ("version", &version),
                ("decision", "refuser"),
                ("motif", "Complet"),
            ],
        ),
    ];
    let answers = agent.race(both).await;
    assert_eq!(count(&answers, StatusCode::SEE_OTHER), 1, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), 1);
    assert_eq!(
        portal.mails_to("emilie@example.org").await.len(),
        mails_before + 1
    );
    let decided = registrations(&portal, DEMO)
        .await
        .into_iter()
        .find(|i| i.enfant == HUGO)
        .unwrap();
    if decided.statut == InscriptionStatus::Validee {
        // The uniqueness item still stands: no second request.
        let again = ask(&mut family, HUGO, "restauration", &["lundi"], &[]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    } else {
        assert_eq!(decided.statut, InscriptionStatus::Refusee);
    }

    // Ten refusals of one document: one, with one e-mail.
    let doc = documents(&portal, DEMO)
        .await
        .into_iter()
        .find(|d| d.invalide.is_none())
        .unwrap();
    let refuse = format!("/agents/dossiers/{DEMO}/documents/{}/invalider", doc.id);
    agent.get(&refuse).await;
    let before = portal.mails_to("emilie@example.org").await.len();
    let many: Vec<_> = (0..10)
        .map(|_| agent.prepared_post(&refuse, &[("motif", "Illisible"), ("retour", "/agents")]))
        .collect();
    let answers = agent.race(many).await;
    assert_eq!(count(&answers, StatusCode::SEE_OTHER), 1, "{answers:?}");
    assert_eq!(
        portal.mails_to("emilie@example.org").await.len(),
        before + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_review_is_decided_once() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Marc", "marc.l", "marc@example.org", false).await;
    let account = family_account(&portal, "marc.l").await;
    let mut agent = agent_of(&portal, "claire@ville.example.org", Service::Enfance).await;
    agent.get(&format!("/agents/comptes/{}", account.id)).await;
    let both = vec![
        agent.prepared_post(
            &format!("/agents/comptes/{}/rattacher", account.id),
            &[("dossier", DEMO)],
        ),
        agent.prepared_post(
            &format!("/agents/comptes/{}/refuser", account.id),
            &[("motif", "Inconnu")],
        ),
    ];
    let answers = agent.race(both).await;
    assert_eq!(count(&answers, StatusCode::SEE_OTHER), 1, "{answers:?}");
    assert_eq!(count(&answers, StatusCode::CONFLICT), 1);
    assert_eq!(portal.mails_to("marc@example.org").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attendance_mark_is_decided_on_what_was_shown() {
    let portal = TestPortal::sqlite().await;
    emilie(&portal).await;
    let lea = shared::demo::children().remove(0);
    let day = "2026-11-30";
    shared::planning::save(
        &portal.app,
        &granted(DEMO, &lea),
        "2026-11",
        0,
        &[shared::planning::Change {
            activity: "restauration".into(),
            unit: "repas".into(),
            slot: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            reserve: true,
        }],
    )
    .await
    .unwrap();
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let list = format!("/agents/pointage?activite=restauration&jour={day}");
    let page = agent.get(&list).await;
    let lea_id = lea.id.clone();
    let field = format!("p|repas|{DEMO}|{lea_id}");
    let version_field = format!("v|repas|{DEMO}|{lea_id}");
    let version = page.input_value(&version_field).expect("version");
    let mark = |value: &'static str| {
        agent.prepared_post(
            "/agents/pointage",
            &[
                ("activite", "restauration"),
                ("ecole", ""),
                ("jour", day),
                (&field, value),
                (&version_field, &version),
            ],
        )
    };
    let answers = agent.race(vec![mark("present"), mark("absent")]).await;
    assert_eq!(count(&answers, StatusCode::SEE_OTHER), 1, "{answers:?}");
    let (_, refused) = answers
        .iter()
        .find(|(s, _)| *s == StatusCode::CONFLICT)
        .expect("one refused");
    assert!(refused.contains("a changé depuis l'affichage"));
    let trail = shared::audit::trail(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == "pointage").count(), 1);
}

// ------------------------------------------------------------------ medium 3, low 5

#[tokio::test]
async fn returns_after_login_stay_on_the_portal() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    for retour in [
        "/\t/evil.example/",
        "/\\evil.example",
        "//evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/compte\u{1}",
        "/compte\n",
        "/compte\r",
        "/compte\u{7f}",
        "/ /evil.example",
    ] {
        let mut b = portal.browser();
        b.get("/compte/connexion").await;
        let r = b
            .post(
                "/compte/connexion",
                &[
                    ("identifiant", "emilie.l"),
                    ("mot_de_passe", FAMILY_PASSWORD),
                    ("retour", retour),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{retour:?}");
        assert_eq!(r.location(), "/compte", "{retour:?}");
    }
    // A path of the portal is kept, query included.
    let mut b = portal.browser();
    b.get("/compte/connexion?retour=%2Fplanning%3Fvue%3Dsemaine")
        .await;
    let r = b
        .post(
            "/compte/connexion",
            &[
                ("identifiant", "emilie.l"),
                ("mot_de_passe", FAMILY_PASSWORD),
                ("retour", "/planning?vue=semaine"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/planning?vue=semaine");
}

#[tokio::test]
async fn a_document_refusal_ignores_a_foreign_return() {
    let portal = TestPortal::sqlite().await;
    let mut family = emilie(&portal).await;
    register_lea(&portal, &mut family).await;
    let doc = documents(&portal, DEMO).await.remove(0);
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let refuse = format!("/agents/dossiers/{DEMO}/documents/{}/invalider", doc.id);
    let form = agent
        .get(&format!("{refuse}?retour=%2F%09%2Fevil.example%2F"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("evil.example"));
    let r = agent
        .post(
            &refuse,
            &[("motif", "Illisible"), ("retour", "/agents\u{1}")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/agents/dossiers/{DEMO}#documents"));
}

// ------------------------------------------------------------------ medium 4, low 7

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_do_not_wait_behind_a_held_write_lock() {
    let portal = TestPortal::sqlite().await;
    let mut family =
        signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    family.get("/compte").await;
    assert_eq!(portal.browser().get("/sante").await.status, StatusCode::OK);
    let path = match &portal.app.config.store {
        shared::config::StoreConfig::Sqlite { path } => path.clone(),
        other => panic!("{other:?}"),
    };
    // Another process takes SQLite's write lock and keeps it.
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let logins: Vec<_> = (0..4)
        .map(|_| {
            family.prepared_post(
                "/compte/connexion",
                &[
                    ("identifiant", "emilie.l"),
                    ("mot_de_passe", "mauvais-mot-de-passe"),
                ],
            )
        })
        .collect();
    let writer = portal.browser();
    let writes = tokio::spawn(async move {
        let answers = writer.race(logins).await;
        (answers, Instant::now())
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Plain reads are answered at once, while the writes wait.
    let mut reader = portal.browser();
    reader.cookies = family.cookies.clone();
    for path in ["/compte", "/dossier/documents", "/dossier"] {
        let asked = Instant::now();
        let page = reader.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(2),
            "{path} waited {:?} behind the lock",
            asked.elapsed()
        );
    }
    // The health check says the store does not take writes.
    let health = reader.get("/sante").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    // Four writes queued behind the lock fail together at the store
    // timeout (5 s), not one after another (5, 10, 15, 20 s).
    let (answers, done) = writes.await.unwrap();
    assert!(
        answers
            .iter()
            .all(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE),
        "{answers:?}"
    );
    let waited = done - started;
    assert!(
        waited < std::time::Duration::from_secs(8),
        "writes waited {waited:?}"
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(reader.get("/sante").await.status, StatusCode::OK);
}

// ------------------------------------------------------------------ low 6, 8

#[tokio::test]
async fn long_static_names_are_not_found() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    for path in [
        format!("/{}", "a".repeat(256)),
        format!("/actualites/{}/", "b".repeat(300)),
        format!("/{}.css", "c".repeat(1000)),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(b.get("/actualites/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_page_has_a_content_security_policy() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let csp = shared::web::layers::CONTENT_SECURITY_POLICY;
    for path in [
        "/",
        "/simulation/",
        "/compte/connexion",
        "/agents/connexion",
        "/absente",
    ] {
        let page = b.get(path).await;
        assert_eq!(page.headers[header::CONTENT_SECURITY_POLICY], csp, "{path}");
    }
    for directive in [
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive}");
    }
    // CloudFront sends the same policy for the static site.
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/template.yaml"
    ))
    .unwrap();
    assert!(
        template.contains(&format!("ContentSecurityPolicy: \"{csp}\"")),
        "infra/template.yaml must send CONTENT_SECURITY_POLICY"
    );
}

// ------------------------------------------------------------------ low 9

#[tokio::test]
async fn csrf_tokens_change_at_login_and_logout() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let mut b = portal.browser();
    let before = b
        .get("/compte/connexion")
        .await
        .input_value("_csrf")
        .unwrap();
    let r = b
        .post(
            "/compte/connexion",
            &[
                ("identifiant", "emilie.l"),
                ("mot_de_passe", FAMILY_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location(), "/compte");
    // The token seen before login no longer works.
    let stale = b
        .post_raw("/compte/deconnexion", &[("_csrf", before.as_str())])
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    let during = b.get("/compte").await.input_value("_csrf").unwrap();
    assert_ne!(during, before);
    let r = b
        .post_raw("/compte/deconnexion", &[("_csrf", during.as_str())])
        .await;
    assert!(r.status.is_redirection());
    // Nor the one seen while signed in, after logout.
    b.get("/compte/connexion").await;
    let r = b
        .post_raw(
            "/compte/connexion",
            &[
                ("_csrf", during.as_str()),
                ("identifiant", "emilie.l"),
                ("mot_de_passe", FAMILY_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ------------------------------------------------------------------ low 10, 11

#[tokio::test]
async fn a_reset_password_follows_the_sign_up_rule() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let mut b = portal.browser();
    b.get("/compte/mot-de-passe-oublie").await;
    b.post(
        "/compte/mot-de-passe-oublie",
        &[("courriel", "emilie@example.org")],
    )
    .await;
    let link = portal
        .last_link("emilie@example.org", "/compte/nouveau-mot-de-passe")
        .await;
    let token = b.get(&link).await.input_value("jeton").unwrap();
    let with_name = "Emilie.L-grenadine-2026";
    let r = b
        .post(
            "/compte/nouveau-mot-de-passe",
            &[
                ("jeton", token.as_str()),
                ("mot_de_passe", with_name),
                ("mot_de_passe_confirmation", with_name),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("ne doit pas contenir votre nom d'utilisateur")
    );
    // The link still works with an acceptable password.
    let r = b
        .post(
            "/compte/nouveau-mot-de-passe",
            &[
                ("jeton", token.as_str()),
                ("mot_de_passe", "Fougere-horloge-93-piano"),
                ("mot_de_passe_confirmation", "Fougere-horloge-93-piano"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
}

#[tokio::test]
async fn link_e_mails_are_limited_per_address_and_account() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let before = portal.mails_to("emilie@example.org").await.len();
    let mut b = portal.browser();
    b.get("/compte/mot-de-passe-oublie").await;
    let mut pages = Vec::new();
    for _ in 0..15 {
        let r = ask_reset(&mut b).await;
        assert_eq!(r.status, StatusCode::OK);
        pages.push(r.body);
    }
    assert_eq!(
        portal.mails_to("emilie@example.org").await.len(),
        before + 3
    );
    // The same answer whether a message left or not.
    assert!(
        pages
            .windows(2)
            .all(|w| strip_csrf(&w[0]) == strip_csrf(&w[1]))
    );
    // From another address, the account's own limit still holds...
    let mut elsewhere = portal.browser().elsewhere("198.51.100.9:4000");
    elsewhere.get("/compte/mot-de-passe-oublie").await;
    ask_reset(&mut elsewhere).await;
    assert_eq!(
        portal.mails_to("emilie@example.org").await.len(),
        before + 3
    );
    // ...and an hour later one can ask again.
    portal.clock.advance(Duration::minutes(61));
    ask_reset(&mut elsewhere).await;
    assert_eq!(
        portal.mails_to("emilie@example.org").await.len(),
        before + 4
    );

    // The activation link: a pending account, asked 15 times.
    let mut pending = portal.browser().elsewhere("198.51.100.10:4000");
    pending.get("/compte/inscription").await;
    let r = pending
        .post(
            "/compte/inscription/etape-1",
            &[
                ("nom", "Roux"),
                ("prenom", "Inès"),
                ("courriel", "ines@example.org"),
                ("courriel_confirmation", "ines@example.org"),
                ("identifiant", "ines.r"),
                ("mot_de_passe", FAMILY_PASSWORD),
                ("mot_de_passe_confirmation", FAMILY_PASSWORD),
            ],
        )
        .await;
    pending.follow(r).await;
    let r = pending
        .post("/compte/inscription/etape-2", &[("action", "sans")])
        .await;
    pending.follow(r).await;
    let r = pending
        .post(
            "/compte/inscription/etape-3",
            &[("cgu", "1"), ("reglement", "1")],
        )
        .await;
    pending.follow(r).await;
    pending
        .post("/compte/inscription/etape-4", &[("action", "valider")])
        .await;
    assert_eq!(portal.mails_to("ines@example.org").await.len(), 1);
    for _ in 0..15 {
        let r = pending
            .post("/compte/activation/renvoyer", &[("identifiant", "ines.r")])
            .await;
        assert_eq!(r.location(), "/compte/connexion?message=lien-envoye");
    }
    assert_eq!(portal.mails_to("ines@example.org").await.len(), 1 + 3);
}

async fn ask_reset(b: &mut Browser) -> Page {
    b.post(
        "/compte/mot-de-passe-oublie",
        &[("courriel", "emilie@example.org")],
    )
    .await
}

fn strip_csrf(body: &str) -> String {
    body.split("name=\"_csrf\"")
        .next()
        .unwrap_or_default()
        .to_owned()
}

// ------------------------------------------------------------------ low 12, 13, 14

#[tokio::test]
async fn agents_forms_refuse_impossible_dates_and_garbled_fields() {
    let portal = TestPortal::sqlite().await;
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let children = |p: &TestPortal| {
        let store = p.app.store.clone();
        async move {
            shared::dossiers::children(store.as_ref(), DEMO)
                .await
                .unwrap()
                .len()
        }
    };
    let before = children(&portal).await;
    agent.get(&format!("/agents/dossiers/{DEMO}")).await;
    let long = "é".repeat(10_000);
    for (field, value) in [
        ("enfant_naissance", "-0001-01-01"),
        ("enfant_naissance", "9999-12-31"),
        ("enfant_naissance", "27/11/2026"),
        ("ecole", long.as_str()),
        ("ecole", "École\u{0}Jaurès"),
        ("regime", "sans\u{1b}porc"),
        ("classe", "CP\u{7}"),
    ] {
        let mut form = vec![
            ("enfant_nom", "Lefèvre"),
            ("enfant_prenom", "Zoé"),
            ("enfant_naissance", "03/03/2023"),
            ("ecole", "École Jean Jaurès"),
            ("classe", "PS"),
            ("regime", ""),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let r = agent
            .post(&format!("/agents/dossiers/{DEMO}/enfants"), &form)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            r.body.contains(&format!("id=\"{field}-erreur\"")),
            "{field}"
        );
        // The rest of the form is kept.
        assert_eq!(r.input_value("enfant_prenom").as_deref(), Some("Zoé"));
        assert_eq!(children(&portal).await, before, "{field}: nothing stored");
    }
    // The same for the QF date of the dossier.
    let page = agent.get(&format!("/agents/dossiers/{DEMO}")).await;
    let version = page.input_value("version").unwrap();
    for date in ["-0001-01-01", "9999-12-31"] {
        let r = agent
            .post(
                &format!("/agents/dossiers/{DEMO}"),
                &[
                    ("version", version.as_str()),
                    ("r1_nom", "Lefèvre"),
                    ("r1_prenom", "Émilie"),
                    ("adresse", "12 rue des Écoles"),
                    ("qf", "845"),
                    ("qf_date", date),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(r.body.contains("Date impossible"), "{date}");
    }
}

#[tokio::test]
async fn bidirectional_controls_never_reach_the_store() {
    let portal = TestPortal::sqlite().await;
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    agent.get(&format!("/agents/dossiers/{DEMO}")).await;
    let r = agent
        .post(
            &format!("/agents/dossiers/{DEMO}/enfants"),
            &[
                ("enfant_nom", "Lef\u{202E}ervèf"),
                ("enfant_prenom", "\u{2066}Zoé\u{2069}"),
                ("enfant_naissance", "03/03/2023"),
                ("regime", "sans porc\u{200F}"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let zoe = shared::dossiers::children(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.prenom == "Zoé")
        .expect("Zoé, without the isolates");
    assert_eq!(zoe.nom, "Lefervèf");
    assert_eq!(zoe.regime.as_deref(), Some("sans porc"));
    // A family's upload form: the same rule.
    let mut family = emilie(&portal).await;
    family.get("/dossier/documents").await;
    let r = family
        .post_files(
            "/dossier/documents",
            &[
                ("piece", "autre"),
                ("description", "Attestation\u{202E}fdp.exe"),
            ],
            &[("fichier", "a.pdf", PDF)],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let doc = documents(&portal, DEMO).await.remove(0);
    assert!(!doc.libelle.contains('\u{202E}'), "{}", doc.libelle);
    assert!(doc.libelle.contains("Attestationfdp.exe"));
}
