//! Accounts over HTTP: the sign-up wizard, activation, login and its
//! protections, passwords, "Mon compte", sessions and CSRF. Each test runs the
//! whole portal on the embedded store with a fixed clock; one runs the family
//! flow on DynamoDB and SES (moto).

use crate::support::{Browser, Page, TestPortal};
use axum::http::StatusCode;
use chrono::Duration;
use shared::accounts::Kind;
use shared::accounts::service;

const PASSWORD: &str = "Grenadine-tulipe-42-velo";
const NEW_PASSWORD: &str = "Marmotte-cerise-17-kayak";

struct Person<'a> {
    username: &'a str,
    email: &'a str,
}

const EMILIE: Person = Person {
    username: "emilie.l",
    email: "emilie@example.org",
};

fn details(p: &Person<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("nom", "Lefèvre".into()),
        ("prenom", "Émilie".into()),
        ("courriel", p.email.into()),
        ("courriel_confirmation", p.email.into()),
        ("identifiant", p.username.into()),
        ("mot_de_passe", PASSWORD.into()),
        ("mot_de_passe_confirmation", PASSWORD.into()),
    ]
}

fn fields<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Steps 1 to 3 (with the demo dossier's references, or without); stops on
/// the summary page.
async fn up_to_summary(b: &mut Browser, p: &Person<'_>, with_dossier: bool) -> Page {
    b.get("/compte/inscription").await;
    let r = b
        .post("/compte/inscription/etape-1", &fields(&details(p)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let step2 = b.follow(r).await;
    assert!(step2.body.contains("Étape 2/4"));
    let r = if with_dossier {
        b.post(
            "/compte/inscription/etape-2",
            &[
                ("action", "verifier"),
                ("numero", "d2026-0142"),
                ("responsable", "LEFEVRE"),
                ("chiffres", "587"),
            ],
        )
        .await
    } else {
        b.post("/compte/inscription/etape-2", &[("action", "sans")])
            .await
    };
    let step3 = b.follow(r).await;
    assert!(step3.body.contains("Étape 3/4"), "{}", step3.body);
    let r = b
        .post(
            "/compte/inscription/etape-3",
            &[("cgu", "1"), ("reglement", "1")],
        )
        .await;
    let summary = b.follow(r).await;
    assert!(summary.body.contains("Étape 4/4"));
    summary
}

/// The whole sign-up; returns the activation path from the mail.
async fn sign_up(
    portal: &TestPortal,
    b: &mut Browser,
    p: &Person<'_>,
    with_dossier: bool,
) -> String {
    up_to_summary(b, p, with_dossier).await;
    let done = b
        .post("/compte/inscription/etape-4", &[("action", "valider")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Vérifiez votre messagerie"));
    portal.last_link(p.email, "/compte/activation").await
}

async fn login(b: &mut Browser, who: &str, password: &str, remember: bool) -> Page {
    b.get("/compte/connexion").await;
    let mut f = vec![("identifiant", who), ("mot_de_passe", password)];
    if remember {
        f.push(("se_rappeler", "1"));
    }
    b.post("/compte/connexion", &f).await
}

async fn family_flow(portal: TestPortal) {
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    // Activation signs the family in.
    let r = b.get(&activation).await;
    assert_eq!(r.location(), "/compte?bienvenue=1");
    let home = b.follow(r).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Votre compte est activé"));
    assert!(home.body.contains("D2026-0142"));
    assert!(home.body.contains("Émilie Lefèvre"));
    // The link works once.
    assert_eq!(b.get(&activation).await.status, StatusCode::GONE);
    // Log out, log in with the e-mail.
    let r = b.post("/compte/deconnexion", &[]).await;
    assert_eq!(r.location(), "/compte/connexion?message=deconnecte");
    assert!(!b.cookies.contains_key("ef_session"));
    assert!(b.get("/compte").await.status.is_redirection());
    let r = login(&mut b, EMILIE.email, PASSWORD, false).await;
    assert_eq!(r.location(), "/compte");
    // Forgotten password → reset → log in with the new one.
    b.get("/compte/mot-de-passe-oublie").await;
    let sent = b
        .post("/compte/mot-de-passe-oublie", &[("courriel", EMILIE.email)])
        .await;
    assert!(sent.body.contains("Si cette adresse correspond"));
    let reset = portal
        .last_link(EMILIE.email, "/compte/nouveau-mot-de-passe")
        .await;
    let form = b.get(&reset).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.input_value("jeton").unwrap();
    let r = b
        .post(
            "/compte/nouveau-mot-de-passe",
            &[
                ("jeton", &token),
                ("mot_de_passe", NEW_PASSWORD),
                ("mot_de_passe_confirmation", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/compte/connexion?message=mot-de-passe-change"
    );
    // Every session ended with the reset.
    assert!(b.get("/compte").await.status.is_redirection());
    assert_eq!(
        login(&mut b, EMILIE.username, PASSWORD, false).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&mut b, EMILIE.username, NEW_PASSWORD, false)
            .await
            .location(),
        "/compte"
    );
}

#[tokio::test]
async fn family_flow_on_the_embedded_store() {
    family_flow(TestPortal::sqlite().await).await;
}

#[tokio::test]
async fn family_flow_on_dynamodb_and_ses() {
    family_flow(TestPortal::aws().await).await;
}

#[tokio::test]
async fn step_one_refuses_bad_input_field_by_field_and_stores_nothing() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    b.get("/compte/inscription").await;
    let empty = b.post("/compte/inscription/etape-1", &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["nom", "prenom", "courriel", "identifiant", "mot_de_passe"] {
        assert!(
            empty.body.contains(&format!("id=\"{field}-erreur\"")),
            "{field}"
        );
    }
    assert!(empty.body.contains("role=\"alert\""));
    let long = "x".repeat(201);
    let bad = b
        .post(
            "/compte/inscription/etape-1",
            &[
                ("nom", &long),
                ("prenom", "Lé\u{7}a"),
                ("courriel", "pas-une-adresse"),
                ("courriel_confirmation", "autre"),
                ("identifiant", "emilie l"),
                ("mot_de_passe", "azertyuiop123"),
                ("mot_de_passe_confirmation", "azertyuiop123"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("200 caractères au plus"));
    assert!(bad.body.contains("caractères non autorisés"));
    assert!(bad.body.contains("Adresse e-mail invalide"));
    assert!(bad.body.contains("Sans espace"));
    assert!(bad.body.contains("trop courant"));
    // Typed values are kept, passwords are not.
    assert_eq!(bad.input_value("identifiant").as_deref(), Some("emilie l"));
    assert_eq!(
        bad.input_value("courriel").as_deref(),
        Some("pas-une-adresse")
    );
    assert_eq!(bad.input_value("mot_de_passe"), None);
    let mismatch = b
        .post(
            "/compte/inscription/etape-1",
            &[
                ("nom", "Lefèvre"),
                ("prenom", "Émilie"),
                ("courriel", "a@example.org"),
                ("courriel_confirmation", "b@example.org"),
                ("identifiant", "emilie"),
                ("mot_de_passe", PASSWORD),
                ("mot_de_passe_confirmation", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(
        mismatch
            .body
            .contains("Les deux adresses ne correspondent pas")
    );
    assert!(
        mismatch
            .body
            .contains("Les deux mots de passe ne correspondent pas")
    );
    // Nothing was stored: step 2 is not reachable.
    let step = b.get("/compte/inscription?etape=2").await;
    assert!(step.body.contains("Étape 1/4"));
    assert!(portal.mails_to("a@example.org").await.is_empty());
}

#[tokio::test]
async fn back_keeps_what_was_typed_and_wrong_references_say_so() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    b.get("/compte/inscription").await;
    let r = b
        .post("/compte/inscription/etape-1", &fields(&details(&EMILIE)))
        .await;
    b.follow(r).await;
    let wrong = b
        .post(
            "/compte/inscription/etape-2",
            &[
                ("action", "verifier"),
                ("numero", "D2026-0142"),
                ("responsable", "Lefèvre"),
                ("chiffres", "588"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("ne correspondent à aucun dossier"));
    assert_eq!(wrong.input_value("chiffres").as_deref(), Some("588"));
    // Back to step 1: the details are there, the password is not shown but kept.
    let r = b
        .post(
            "/compte/inscription/etape-2",
            &[("action", "retour"), ("numero", "D2026-0142")],
        )
        .await;
    let step1 = b.follow(r).await;
    assert!(step1.body.contains("Étape 1/4"));
    assert_eq!(
        step1.input_value("identifiant").as_deref(),
        Some("emilie.l")
    );
    assert_eq!(step1.input_value("prenom").as_deref(), Some("Émilie"));
    assert!(step1.body.contains("Laissez vide pour garder"));
    let mut again = details(&EMILIE);
    again.retain(|(k, _)| !k.starts_with("mot_de_passe"));
    let r = b.post("/compte/inscription/etape-1", &fields(&again)).await;
    let step2 = b.follow(r).await;
    assert_eq!(step2.input_value("numero").as_deref(), Some("D2026-0142"));
    // Terms are both required.
    let r = b
        .post("/compte/inscription/etape-2", &[("action", "sans")])
        .await;
    b.follow(r).await;
    let terms = b.post("/compte/inscription/etape-3", &[("cgu", "1")]).await;
    assert_eq!(terms.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(terms.body.contains("id=\"reglement-erreur\""));
}

#[tokio::test]
async fn without_dossier_the_account_waits_for_review() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let summary = up_to_summary(&mut b, &EMILIE, false).await;
    assert!(summary.body.contains("72 heures"));
    b.post("/compte/inscription/etape-4", &[("action", "valider")])
        .await;
    let activation = portal.last_link(EMILIE.email, "/compte/activation").await;
    let home = {
        let r = b.get(&activation).await;
        b.follow(r).await
    };
    assert!(home.body.contains("attend d'être rattaché"));
    let queue = service::review_queue(&portal.app).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].account.identifiant, "emilie.l");
}

#[tokio::test]
async fn two_sign_ups_racing_for_one_username_one_wins() {
    let portal = TestPortal::sqlite().await;
    let mut a = portal.browser();
    let mut b = portal.browser();
    up_to_summary(&mut a, &EMILIE, true).await;
    up_to_summary(
        &mut b,
        &Person {
            username: "emilie.l",
            email: "autre@example.org",
        },
        true,
    )
    .await;
    let (ra, rb) = tokio::join!(
        a.post("/compte/inscription/etape-4", &[("action", "valider")]),
        b.post("/compte/inscription/etape-4", &[("action", "valider")]),
    );
    let oks = [&ra, &rb]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(oks, 1, "{} / {}", ra.status, rb.status);
    let loser = if ra.status == StatusCode::OK {
        &rb
    } else {
        &ra
    };
    assert_eq!(loser.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(loser.body.contains("vient d'être pris"));
}

#[tokio::test]
async fn activation_after_24_hours_is_expired_and_frees_the_username() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    // Before activation, login says so and offers to resend.
    let r = login(&mut b, EMILIE.username, PASSWORD, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("pas encore activé"));
    let r = b
        .post(
            "/compte/activation/renvoyer",
            &[("identifiant", EMILIE.username)],
        )
        .await;
    assert_eq!(r.location(), "/compte/connexion?message=lien-envoye");
    assert_eq!(portal.mails_to(EMILIE.email).await.len(), 2);

    portal.clock.advance(Duration::hours(24));
    let expired = b.get(&activation).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(
        expired
            .body
            .contains("Lien expiré : recommencez votre inscription")
    );
    // The username and e-mail are free again.
    let mut c = portal.browser();
    sign_up(&portal, &mut c, &EMILIE, true).await;
}

#[tokio::test]
async fn five_failures_lock_the_account_for_15_minutes() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    b.get(&activation).await;
    let mut other = portal.browser();
    // Unknown user and wrong password: the same answer.
    let unknown = login(&mut other, "personne", PASSWORD, false).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for _ in 0..4 {
        let r = login(&mut other, EMILIE.username, "mauvais-mot-de-passe", false).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Identifiant ou mot de passe incorrect."));
    }
    let fifth = login(&mut other, EMILIE.username, "mauvais-mot-de-passe", false).await;
    assert_eq!(fifth.status, StatusCode::LOCKED);
    assert!(fifth.body.contains("verrouillé pendant 15 minutes"));
    // Even the right password waits.
    assert_eq!(
        login(&mut other, EMILIE.username, PASSWORD, false)
            .await
            .status,
        StatusCode::LOCKED
    );
    portal.clock.advance(Duration::minutes(15));
    assert_eq!(
        login(&mut other, EMILIE.username, PASSWORD, false)
            .await
            .location(),
        "/compte"
    );
}

#[tokio::test]
async fn failures_from_one_address_are_throttled() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    for i in 0..20 {
        let r = login(&mut b, &format!("inconnu{i}"), PASSWORD, false).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login(&mut b, "inconnu", PASSWORD, false).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not concerned.
    let mut elsewhere = b.elsewhere("198.51.100.4:40000");
    assert_eq!(
        login(&mut elsewhere, "inconnu", PASSWORD, false)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    portal.clock.advance(Duration::minutes(30));
    assert_eq!(
        login(&mut b, "inconnu", PASSWORD, false).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_rotate_at_login_and_end_when_idle() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    b.get(&activation).await;
    let first = b.cookies["ef_session"].clone();
    assert!(!b.persistent["ef_session"]);
    login(&mut b, EMILIE.username, PASSWORD, true).await;
    let second = b.cookies["ef_session"].clone();
    assert_ne!(first, second);
    assert!(b.persistent["ef_session"], "remember me sets Max-Age");
    // The old token no longer opens anything.
    let mut thief = portal.browser();
    thief.cookies.insert("ef_session".into(), first);
    assert!(thief.get("/compte").await.status.is_redirection());
    // Without "remember me", 2 hours idle end the session.
    let mut c = portal.browser();
    login(&mut c, EMILIE.username, PASSWORD, false).await;
    assert_eq!(c.get("/compte").await.status, StatusCode::OK);
    portal.clock.advance(Duration::minutes(119));
    assert_eq!(c.get("/compte").await.status, StatusCode::OK);
    portal.clock.advance(Duration::minutes(119));
    assert_eq!(c.get("/compte").await.status, StatusCode::OK, "sliding");
    portal.clock.advance(Duration::minutes(121));
    let gone = c.get("/compte").await;
    assert_eq!(gone.location(), "/compte/connexion?retour=%2Fcompte");
    // The remembered session lasts 30 days.
    assert_eq!(b.get("/compte").await.status, StatusCode::OK);
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_are_refused() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    b.get("/compte/connexion").await;
    let none = b
        .post_raw(
            "/compte/connexion",
            &[("identifiant", "x"), ("mot_de_passe", "y")],
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    assert!(none.body.contains("Formulaire expiré"));
    let wrong = b
        .post_raw(
            "/compte/connexion",
            &[
                ("_csrf", "faux"),
                ("identifiant", "x"),
                ("mot_de_passe", "y"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // Another visitor's token does not fit this visitor's cookie.
    let mut other = portal.browser();
    let page = other.get("/compte/connexion").await;
    let foreign = page.input_value("_csrf").unwrap();
    let r = b
        .post_raw(
            "/compte/connexion",
            &[
                ("_csrf", &foreign),
                ("identifiant", "x"),
                ("mot_de_passe", "y"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was counted as a failed login.
    let item = portal
        .app
        .store
        .query_all(shared::store::Query::partition("LIMITE#203.0.113.7"))
        .await
        .unwrap();
    assert!(item.is_empty());
}

#[tokio::test]
async fn family_pages_need_a_family_session() {
    let portal = TestPortal::sqlite().await;
    let mut anonymous = portal.browser();
    for path in ["/compte", "/compte/mon-compte"] {
        let r = anonymous.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.location().starts_with("/compte/connexion?retour="));
    }
    let r = anonymous.post("/compte/deconnexion", &[]).await;
    assert!(r.status.is_redirection());
    // A forged cookie is no session.
    anonymous
        .cookies
        .insert("ef_session".into(), "x".repeat(43));
    assert!(anonymous.get("/compte").await.status.is_redirection());
}

#[tokio::test]
async fn mon_compte_changes_password_email_and_deletes() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    b.get(&activation).await;
    let mut other_device = portal.browser();
    login(&mut other_device, EMILIE.username, PASSWORD, false).await;
    let page = b.get("/compte/mon-compte").await;
    assert!(page.body.contains("D2026-0142"));
    // Wrong current password.
    let r = b
        .post(
            "/compte/mon-compte/mot-de-passe",
            &[
                ("actuel", "faux"),
                ("mot_de_passe", NEW_PASSWORD),
                ("mot_de_passe_confirmation", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mot de passe actuel incorrect"));
    let r = b
        .post(
            "/compte/mon-compte/mot-de-passe",
            &[
                ("actuel", PASSWORD),
                ("mot_de_passe", NEW_PASSWORD),
                ("mot_de_passe_confirmation", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/compte/mon-compte?message=mot-de-passe-change"
    );
    assert_eq!(
        b.get("/compte").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert!(
        other_device.get("/compte").await.status.is_redirection(),
        "the others end"
    );
    // E-mail change: a link to the new address, a notice to the old one.
    b.get("/compte/mon-compte").await;
    let r = b
        .post(
            "/compte/mon-compte/courriel",
            &[
                ("nouveau_courriel", "nouvelle@example.org"),
                ("nouveau_courriel_confirmation", "nouvelle@example.org"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/compte/mon-compte?message=courriel-envoye");
    let notices = portal.mails_to(EMILIE.email).await;
    assert!(notices.last().unwrap().contains("nouvelle@example.org"));
    let confirm = portal
        .last_link("nouvelle@example.org", "/compte/courriel/confirmer")
        .await;
    assert_eq!(
        b.get(&confirm).await.location(),
        "/compte/connexion?message=courriel-change"
    );
    let mut c = portal.browser();
    assert_eq!(
        login(&mut c, "nouvelle@example.org", NEW_PASSWORD, false)
            .await
            .location(),
        "/compte"
    );
    assert_eq!(
        login(&mut c, EMILIE.email, NEW_PASSWORD, false)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Deletion needs the box ticked and the password.
    b.get("/compte/mon-compte").await;
    let r = b
        .post(
            "/compte/mon-compte/supprimer",
            &[("suppression_mot_de_passe", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            "/compte/mon-compte/supprimer",
            &[
                ("suppression_confirmee", "1"),
                ("suppression_mot_de_passe", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location(), "/compte/connexion?message=compte-supprime");
    assert_eq!(
        login(&mut c, EMILIE.username, NEW_PASSWORD, false)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The dossier stays, and the username is free.
    assert!(
        shared::dossiers::get(portal.app.store.as_ref(), "D2026-0142")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        service::find_for_login(portal.app.store.as_ref(), Kind::Family, EMILIE.username)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn reset_links_are_single_use_expire_and_say_nothing_of_unknown_addresses() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    b.get(&activation).await;
    b.get("/compte/mot-de-passe-oublie").await;
    let unknown = b
        .post(
            "/compte/mot-de-passe-oublie",
            &[("courriel", "inconnu@example.org")],
        )
        .await;
    let known = b
        .post("/compte/mot-de-passe-oublie", &[("courriel", EMILIE.email)])
        .await;
    assert_eq!(unknown.status, known.status);
    assert!(unknown.body.contains("Si cette adresse correspond"));
    assert!(portal.mails_to("inconnu@example.org").await.is_empty());
    let bad = b
        .post(
            "/compte/mot-de-passe-oublie",
            &[("courriel", "pas une adresse")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let link = portal
        .last_link(EMILIE.email, "/compte/nouveau-mot-de-passe")
        .await;
    let token = link.split("jeton=").nth(1).unwrap().to_owned();
    let reset = |b: &mut Browser| {
        let token = token.clone();
        let mut b2 = b.elsewhere("203.0.113.7:50001");
        async move {
            b2.get("/compte/mot-de-passe-oublie").await;
            b2.post(
                "/compte/nouveau-mot-de-passe",
                &[
                    ("jeton", &token),
                    ("mot_de_passe", NEW_PASSWORD),
                    ("mot_de_passe_confirmation", NEW_PASSWORD),
                ],
            )
            .await
        }
    };
    assert!(reset(&mut b).await.status.is_redirection());
    let again = reset(&mut b).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("déjà servi"));
    // A new link expires after 1 hour.
    b.post("/compte/mot-de-passe-oublie", &[("courriel", EMILIE.email)])
        .await;
    let link = portal
        .last_link(EMILIE.email, "/compte/nouveau-mot-de-passe")
        .await;
    portal.clock.advance(Duration::minutes(61));
    let expired = b.get(&link).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("expiré"));
    assert_eq!(
        b.get("/compte/nouveau-mot-de-passe?jeton=n'importe-quoi")
            .await
            .status,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn a_second_account_on_a_dossier_tells_the_first() {
    let portal = TestPortal::sqlite().await;
    let mut a = portal.browser();
    let link = sign_up(&portal, &mut a, &EMILIE, true).await;
    a.get(&link).await;
    let mut b = portal.browser();
    let parent2 = Person {
        username: "marc.l",
        email: "marc@example.org",
    };
    let link = sign_up(&portal, &mut b, &parent2, true).await;
    b.get(&link).await;
    // A second account on a dossier waits for the town, whose holders are
    // told (security issue: references alone no longer open a dossier).
    let told = portal.mail_texts_to(EMILIE.email).await;
    assert!(
        told.last().unwrap().contains("a donné les références"),
        "{:?}",
        told.last()
    );
}

#[tokio::test]
async fn login_and_account_forms_refuse_bad_input_with_422() {
    let portal = TestPortal::sqlite().await;
    let mut b = portal.browser();
    b.get("/compte/connexion").await;
    let empty = b
        .post(
            "/compte/connexion",
            &[("identifiant", " "), ("mot_de_passe", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("id=\"identifiant-erreur\""));
    assert!(empty.body.contains("id=\"mot_de_passe-erreur\""));
    let long = "x".repeat(500);
    let r = b
        .post(
            "/compte/connexion",
            &[("identifiant", &long), ("mot_de_passe", "y")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let activation = sign_up(&portal, &mut b, &EMILIE, true).await;
    b.get(&activation).await;
    b.get("/compte/mon-compte").await;
    let r = b
        .post(
            "/compte/mon-compte/courriel",
            &[
                ("nouveau_courriel", "pas-une-adresse"),
                ("nouveau_courriel_confirmation", "pas-une-adresse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Adresse e-mail invalide"));
    assert_eq!(
        r.input_value("nouveau_courriel").as_deref(),
        Some("pas-une-adresse")
    );
    let r = b
        .post(
            "/compte/mon-compte/mot-de-passe",
            &[
                ("actuel", PASSWORD),
                ("mot_de_passe", "court"),
                ("mot_de_passe_confirmation", "court"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("12 caractères au moins"));
    // A wrong step number or a garbage link never gives a 500.
    assert_eq!(
        b.get("/compte/inscription?etape=99").await.status,
        StatusCode::OK
    );
    assert_eq!(
        b.get("/compte/inscription?etape=abc").await.status,
        StatusCode::OK
    );
    assert_eq!(
        b.get("/compte/activation?jeton=%00%ff").await.status,
        StatusCode::GONE
    );
    assert_eq!(b.get("/compte/activation").await.status, StatusCode::GONE);
}
