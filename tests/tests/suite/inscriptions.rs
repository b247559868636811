//! Registrations, documents and their validation over HTTP: the family's
//! steps, every bad upload and tampered field refused with nothing stored,
//! another family's ids refused route by route, the agent of the right
//! service deciding, e-mails and the démarche history; once on DynamoDB,
//! S3 and SES (moto).

use crate::agents::agent_of;
use crate::support::{Browser, Page, TestPortal, signed_up_family, signed_up_family_of};
use axum::http::{StatusCode, header};
use shared::accounts::Service;
use shared::domain::document::Source;

pub(crate) const LEA: &str = "01JBDEMO0LEA00000000000000";
pub(crate) const HUGO: &str = "01JBDEMO0HUGO0000000000000";
pub(crate) const DEMO: &str = "D2026-0142";
/// A file of a multipart form: field, file name, bytes.
type Upload<'a> = (&'a str, &'a str, &'a [u8]);

pub(crate) const PDF: &[u8] = b"%PDF-1.4\n% attestation de quotient familial\n";

pub(crate) async fn emilie(portal: &TestPortal) -> Browser {
    signed_up_family(portal, "Émilie", "emilie.l", "emilie@example.org", true).await
}

/// The Martin family of the example import file (dossier D2025-0007).
pub(crate) async fn martin(portal: &TestPortal) -> Browser {
    let parsed =
        shared::import::parse(include_bytes!("../../../import/exemple-dossiers.csv")).unwrap();
    for r in &parsed.records {
        shared::import::write(portal.app.store.as_ref(), r)
            .await
            .unwrap();
    }
    signed_up_family_of(
        portal,
        "Sophie",
        "sophie.m",
        "sophie@example.org",
        Some(["D2025-0007", "Martin", "412"]),
    )
    .await
}

/// Sends step 3 of a request for the canteen from Monday 30 November.
pub(crate) async fn ask(
    b: &mut Browser,
    enfant: &str,
    activite: &str,
    jours: &[&str],
    files: &[(&str, &str, &[u8])],
) -> Page {
    b.get(&format!(
        "/inscriptions/nouvelle?enfant={enfant}&activite={activite}"
    ))
    .await;
    let mut fields = vec![
        ("enfant", enfant),
        ("activite", activite),
        ("debut", "2026-11-30"),
    ];
    fields.extend(jours.iter().map(|j| ("jours", *j)));
    b.post_files("/inscriptions/nouvelle", &fields, files).await
}

pub(crate) async fn registrations(
    portal: &TestPortal,
    numero: &str,
) -> Vec<shared::domain::inscription::Inscription> {
    shared::inscriptions::list(portal.app.store.as_ref(), numero)
        .await
        .unwrap()
}

pub(crate) async fn documents(
    portal: &TestPortal,
    numero: &str,
) -> Vec<shared::domain::document::Document> {
    shared::documents::list(portal.app.store.as_ref(), numero)
        .await
        .unwrap()
}

/// The family registers Léa to the canteen with an attestation.
pub(crate) async fn register_lea(
    portal: &TestPortal,
    b: &mut Browser,
) -> shared::domain::inscription::Inscription {
    let r = ask(
        b,
        LEA,
        "restauration",
        &["lundi", "jeudi"],
        &[("piece_1", "attestation.pdf", PDF)],
    )
    .await;
    assert_eq!(r.location(), "/inscriptions?demande=1", "{}", r.body);
    registrations(portal, DEMO).await.remove(0)
}

#[tokio::test]
async fn a_family_registers_a_child_and_the_town_validates() {
    let portal = TestPortal::sqlite().await;
    let mut b = emilie(&portal).await;
    assert!(
        b.get("/compte")
            .await
            .body
            .contains("href=\"/inscriptions\"")
    );
    assert!(
        b.get("/inscriptions")
            .await
            .body
            .contains("Aucune inscription")
    );
    // The steps: the child, then only the activities that fit.
    let step1 = b.get("/inscriptions/nouvelle").await;
    assert!(step1.body.contains(LEA) && step1.body.contains(HUGO));
    let lea = b.get(&format!("/inscriptions/nouvelle?enfant={LEA}")).await;
    for a in ["restauration", "periscolaire", "mercredis", "vacances"] {
        assert!(lea.body.contains(&format!("value=\"{a}\"")), "{a}");
    }
    let hugo = b
        .get(&format!("/inscriptions/nouvelle?enfant={HUGO}"))
        .await;
    assert!(hugo.body.contains("value=\"mercredis\"") && !hugo.body.contains("value=\"vacances\""));
    let step3 = b
        .get(&format!(
            "/inscriptions/nouvelle?enfant={LEA}&activite=restauration"
        ))
        .await;
    assert!(step3.body.contains("Attestation de quotient familial"));
    assert!(step3.body.contains("name=\"piece_1\"") && step3.body.contains("value=\"lundi\""));
    assert!(!step3.body.contains("value=\"mercredi\""));

    // Every bad upload: a message next to the field, the form kept, nothing stored.
    let big = [PDF, &vec![b'0'; 2 * 1024 * 1024]].concat();
    let cases: [(&[Upload], &str); 5] = [
        (&[], "Joignez ce document"),
        (&[("piece_1", "attestation.pdf", &big)], "dépasse 2 Mo"),
        (
            &[("piece_1", "attestation.pdf", b"")],
            "Le fichier est vide",
        ),
        (
            &[("piece_1", "photo.gif", b"GIF89a....")],
            "Format non accepté",
        ),
        (
            &[(
                "piece_1",
                "attestation.pdf",
                b"Bonjour, voici mon attestation",
            )],
            "Format non accepté",
        ),
    ];
    for (files, message) in cases {
        let r = ask(&mut b, LEA, "restauration", &["lundi"], files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains("id=\"piece_1-erreur\""), "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
        assert_eq!(r.input_value("debut").as_deref(), Some("2026-11-30"));
        assert!(r.body.contains("value=\"lundi\" checked"));
    }
    assert!(registrations(&portal, DEMO).await.is_empty());
    assert!(documents(&portal, DEMO).await.is_empty());

    let ins = register_lea(&portal, &mut b).await;
    assert_eq!(ins.jours, ["lundi", "jeudi"]);
    let list = b.get("/inscriptions?demande=1").await;
    assert!(
        list.body
            .contains("La mairie doit la valider avant toute réservation")
    );
    assert!(list.body.contains("en attente"));
    assert_eq!(documents(&portal, DEMO).await.len(), 1);
    // The same child, activity and year again: refused.
    let again = ask(&mut b, LEA, "restauration", &["mardi"], &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("déjà une demande"));
    assert_eq!(registrations(&portal, DEMO).await.len(), 1);
    // Step 2 shows it as asked, not offered; step 3 says so at once, once.
    let step2 = b.get(&format!("/inscriptions/nouvelle?enfant={LEA}")).await;
    assert!(
        step2
            .body
            .contains("Restauration scolaire — déjà demandée (en attente)"),
        "{}",
        step2.body
    );
    assert!(step2.body.contains("value=\"restauration\" disabled"));
    let step3 = b
        .get(&format!(
            "/inscriptions/nouvelle?enfant={LEA}&activite=restauration"
        ))
        .await;
    assert_eq!(step3.status, StatusCode::CONFLICT);
    assert_eq!(step3.body.matches("déjà une demande").count(), 1);
    // The attestation is held now: Hugo's request (PAI) asks only the PAI.
    let hugo = b
        .get(&format!(
            "/inscriptions/nouvelle?enfant={HUGO}&activite=restauration"
        ))
        .await;
    assert!(hugo.body.contains("déjà transmise"));
    assert!(hugo.body.contains("name=\"piece_1\"") && !hugo.body.contains("name=\"piece_2\""));
    assert!(hugo.body.contains("Projet d'accueil individualisé"));

    // An agent of another service sees nothing to decide and may not decide.
    let mut regie = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    assert!(
        regie
            .get("/agents/inscriptions")
            .await
            .body
            .contains("Aucune inscription en attente")
    );
    let detail = format!("/agents/inscriptions/{DEMO}/{}", ins.id);
    let seen = regie.get(&detail).await;
    assert!(seen.body.contains("relève d'un autre service"));
    let r = regie
        .post(
            &format!("{detail}/decision"),
            &[("version", "1"), ("decision", "valider")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The right service: queue, documents, decision.
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let queue = agent.get("/agents/inscriptions").await;
    assert!(queue.body.contains(&detail) && queue.body.contains("Léa Lefèvre"));
    let page = agent.get(&detail).await;
    let doc = &documents(&portal, DEMO).await[0];
    let doc_path = format!("/agents/dossiers/{DEMO}/documents/{}", doc.id);
    assert!(page.body.contains(&doc_path));
    let (status, headers, bytes) = agent.download(&doc_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PDF);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Attestation-de-quotient-familial")
    );
    let version = page.input_value("version").unwrap();
    let r = agent
        .post(
            &format!("{detail}/decision"),
            &[
                ("version", &version),
                ("decision", "refuser"),
                ("motif", " "),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"motif-erreur\""));
    let r = agent
        .post(
            &format!("{detail}/decision"),
            &[("version", &version), ("decision", "valider")],
        )
        .await;
    assert_eq!(r.location(), format!("{detail}?fait=1"));
    assert!(agent.follow(r).await.body.contains("validée"));
    // A second decision on the stale form: refused, nothing changes.
    let r = agent
        .post(
            &format!("{detail}/decision"),
            &[
                ("version", &version),
                ("decision", "refuser"),
                ("motif", "complet"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        agent
            .get("/agents/inscriptions")
            .await
            .body
            .contains("Aucune inscription en attente")
    );

    // The family sees it, has the e-mail, and the démarche history shows it.
    assert!(b.get("/inscriptions").await.body.contains("validée"));
    let mails = portal.mail_texts_to("emilie@example.org").await;
    assert!(
        mails
            .last()
            .unwrap()
            .contains("La mairie a validé l'inscription de Léa Lefèvre")
    );
    let summary = b.get("/dossier").await;
    assert!(
        summary
            .body
            .contains("Inscription de Léa Lefèvre — Restauration scolaire")
    );
    assert!(summary.body.contains("validée") && summary.body.contains("en attente"));
    // The audit trail names the agent.
    let trail = shared::audit::trail(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "inscription validée"));
}

#[tokio::test]
async fn a_refused_registration_says_why_and_may_be_asked_again() {
    let portal = TestPortal::sqlite().await;
    let mut b = emilie(&portal).await;
    let ins = register_lea(&portal, &mut b).await;
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let detail = format!("/agents/inscriptions/{DEMO}/{}", ins.id);
    let version = agent.get(&detail).await.input_value("version").unwrap();
    let r = agent
        .post(
            &format!("{detail}/decision"),
            &[
                ("version", &version),
                ("decision", "refuser"),
                ("motif", "Dossier incomplet"),
            ],
        )
        .await;
    assert!(r.status.is_redirection());
    let list = b.get("/inscriptions").await;
    assert!(list.body.contains("refusée") && list.body.contains("Dossier incomplet"));
    assert!(
        portal
            .mail_texts_to("emilie@example.org")
            .await
            .last()
            .unwrap()
            .contains("Dossier incomplet")
    );
    // Refused frees the slot: a new request goes through.
    let r = ask(&mut b, LEA, "restauration", &["mardi"], &[]).await;
    assert_eq!(r.location(), "/inscriptions?demande=1", "{}", r.body);
}

#[tokio::test]
async fn tampered_fields_and_other_families_ids_are_refused() {
    let portal = TestPortal::sqlite().await;
    let mut a = emilie(&portal).await;
    let ins = register_lea(&portal, &mut a).await;
    let doc = documents(&portal, DEMO).await.remove(0);
    let mut b = martin(&portal).await;
    assert!(b.get("/dossier").await.body.contains("D2025-0007"));

    // B with A's child, document and registration ids.
    assert_eq!(
        b.get(&format!("/inscriptions/nouvelle?enfant={LEA}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = ask(
        &mut b,
        LEA,
        "restauration",
        &["lundi"],
        &[("piece_1", "a.pdf", PDF)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("pas dans votre dossier"));
    assert!(registrations(&portal, "D2025-0007").await.is_empty());
    assert!(documents(&portal, "D2025-0007").await.is_empty());
    for path in [
        format!("/dossier/documents/{}", doc.id),
        "/dossier/documents/..%2F..%2Fetc".to_owned(),
        "/dossier/documents/pas-un-identifiant".to_owned(),
    ] {
        let (status, _, bytes) = b.download(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_ne!(bytes, PDF);
    }
    assert!(!b.get("/inscriptions").await.body.contains("Léa"));
    // A family on the agents' routes: to the agents' login.
    for path in [
        "/agents/inscriptions".to_owned(),
        format!("/agents/inscriptions/{DEMO}/{}", ins.id),
        format!("/agents/dossiers/{DEMO}/documents/{}", doc.id),
        format!("/agents/dossiers/{DEMO}/documents/{}/invalider", doc.id),
    ] {
        assert!(
            b.get(&path)
                .await
                .location()
                .starts_with("/agents/connexion"),
            "{path}"
        );
    }
    let r = b
        .post(
            &format!("/agents/inscriptions/{DEMO}/{}/decision", ins.id),
            &[("version", "1"), ("decision", "valider")],
        )
        .await;
    assert!(r.location().starts_with("/agents/connexion"));
    assert_eq!(
        registrations(&portal, DEMO).await[0].statut,
        shared::domain::inscription::Status::EnAttente
    );

    // A's own form, tampered: unknown or unfitting activity, days not offered,
    // a date out of range — refused, nothing stored.
    for (enfant, activite, message) in [
        (LEA, "piscine", "n'existe pas"),
        (HUGO, "vacances", "ne correspond pas"),
        ("", "restauration", "pas dans votre dossier"),
    ] {
        let r = ask(&mut a, enfant, activite, &["lundi"], &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{activite}");
        assert!(r.body.contains(message), "{message}");
    }
    let r = ask(
        &mut a,
        HUGO,
        "restauration",
        &["dimanche"],
        &[("piece_1", "pai.pdf", PDF)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"jours-erreur\""));
    a.get(&format!(
        "/inscriptions/nouvelle?enfant={HUGO}&activite=restauration"
    ))
    .await;
    let r = a
        .post_files(
            "/inscriptions/nouvelle",
            &[
                ("enfant", HUGO),
                ("activite", "restauration"),
                ("debut", "2026-09-07"),
                ("jours", "lundi"),
            ],
            &[("piece_1", "pai.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("comprise entre le 26/11/2026"));
    assert_eq!(registrations(&portal, DEMO).await.len(), 1);
    assert_eq!(documents(&portal, DEMO).await.len(), 1);
    // Without the CSRF token, as a urlencoded form, or over the body limit.
    let r = a
        .post_multipart_raw("/inscriptions/nouvelle", &[("enfant", HUGO)], &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = a.post("/inscriptions/nouvelle", &[("enfant", HUGO)]).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = vec![b'%'; 5 * 1024 * 1024];
    let r = a
        .post_files(
            "/inscriptions/nouvelle",
            &[("enfant", HUGO)],
            &[("piece_1", "a.pdf", &huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("lang=\"fr\""));
    // Agents: unknown ids are 404s.
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    for path in [
        format!("/agents/inscriptions/{DEMO}/{}", ulid::Ulid::new()),
        format!("/agents/inscriptions/{DEMO}/x"),
        format!("/agents/inscriptions/D2025-0007/{}", ins.id),
        format!("/agents/dossiers/D2025-0007/documents/{}", doc.id),
    ] {
        assert_eq!(
            agent.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn documents_are_sent_published_downloaded_and_refused() {
    let portal = TestPortal::sqlite().await;
    let mut b = emilie(&portal).await;
    let page = b.get("/dossier/documents").await;
    assert!(page.body.contains("Aucun document") || page.body.contains("aucun document"));
    for (fields, files, field) in [
        (
            vec![("piece", "")],
            vec![("fichier", "a.pdf", PDF)],
            "piece",
        ),
        (
            vec![("piece", "inconnue")],
            vec![("fichier", "a.pdf", PDF)],
            "piece",
        ),
        (
            vec![("piece", "autre"), ("description", "")],
            vec![("fichier", "a.pdf", PDF)],
            "description",
        ),
        (vec![("piece", "assurance")], vec![], "fichier"),
        (
            vec![("piece", "assurance")],
            vec![("fichier", "a.pdf", b"<html>".as_slice())],
            "fichier",
        ),
    ] {
        let r = b.post_files("/dossier/documents", &fields, &files).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(
            r.body.contains(&format!("id=\"{field}-erreur\"")),
            "{fields:?}"
        );
    }
    assert!(documents(&portal, DEMO).await.is_empty());
    let r = b
        .post_files(
            "/dossier/documents",
            &[("piece", "attestation-caf")],
            &[("fichier", "scan.jpg", b"\xFF\xD8\xFF\xE0 jpeg")],
        )
        .await;
    assert_eq!(r.location(), "/dossier/documents?envoye=1");
    let sent = documents(&portal, DEMO).await.remove(0);
    assert_eq!(
        (sent.format.as_str(), sent.source),
        ("jpg", Source::Famille)
    );
    assert!(b.follow(r).await.body.contains("Reçu"));

    // The town publishes a file for the family.
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    agent.get(&format!("/agents/dossiers/{DEMO}")).await;
    let r = agent
        .post_files(
            &format!("/agents/dossiers/{DEMO}/documents"),
            &[("libelle", "")],
            &[("fichier", "x.png", b"\x89PNG\r\n\x1a\n..")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"libelle-erreur\""));
    let r = agent
        .post_files(
            &format!("/agents/dossiers/{DEMO}/documents"),
            &[("libelle", "Attestation de paiement 2026")],
            &[("fichier", "x.png", b"\x89PNG\r\n\x1a\n..")],
        )
        .await;
    assert!(r.location().ends_with("?fait=document#documents"));
    let published = documents(&portal, DEMO)
        .await
        .into_iter()
        .find(|d| d.source == Source::Mairie)
        .unwrap();
    let mine = b.get("/dossier/documents").await;
    assert!(mine.body.contains("Attestation de paiement 2026"));
    let (status, headers, bytes) = b
        .download(&format!("/dossier/documents/{}", published.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"\x89PNG\r\n\x1a\n..");
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"Attestation-de-paiement-2026.png\""
    );
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");

    // Found invalid: only by a service that checks it, with a reason.
    let refuse = format!("/agents/dossiers/{DEMO}/documents/{}/invalider", sent.id);
    let mut regie = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    assert_eq!(regie.get(&refuse).await.status, StatusCode::FORBIDDEN);
    agent.get(&refuse).await;
    let r = agent
        .post(&refuse, &[("motif", ""), ("retour", "/agents")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = agent
        .post(
            &refuse,
            &[
                ("motif", "Document illisible"),
                ("retour", "//ailleurs.example"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/agents/dossiers/{DEMO}#documents"));
    let mine = b.get("/dossier/documents").await;
    assert!(mine.body.contains("À renvoyer") && mine.body.contains("Document illisible"));
    assert!(
        portal
            .mail_texts_to("emilie@example.org")
            .await
            .last()
            .unwrap()
            .contains("Document illisible")
    );
    assert!(b.get("/dossier").await.body.contains("Document à renvoyer"));
    // The refusal is a thread of the service, where the family answers.
    let thread = shared::messages::threads::of_dossier(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
        .remove(0);
    assert!(thread.par_la_mairie && thread.sujet.starts_with("Document à renvoyer"));
    assert_eq!((thread.service.as_str(), thread.non_lus), ("enfance", 1));
    let page = b.get(&format!("/messagerie/{}", thread.id)).await;
    assert!(page.body.contains("Document illisible"), "{}", page.body);
    // An invalid attestation does not count: a request asks for it again.
    let step3 = b
        .get(&format!(
            "/inscriptions/nouvelle?enfant={LEA}&activite=restauration"
        ))
        .await;
    assert!(step3.body.contains("name=\"piece_1\""));
}

#[tokio::test]
async fn registration_and_validation_on_dynamodb_s3_and_ses() {
    let portal = TestPortal::aws().await;
    let mut b = emilie(&portal).await;
    let ins = register_lea(&portal, &mut b).await;
    let doc = documents(&portal, DEMO).await.remove(0);
    let (status, _, bytes) = b.download(&format!("/dossier/documents/{}", doc.id)).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    let mut agent = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let detail = format!("/agents/inscriptions/{DEMO}/{}", ins.id);
    assert!(
        agent
            .get("/agents/inscriptions")
            .await
            .body
            .contains(&detail)
    );
    let version = agent.get(&detail).await.input_value("version").unwrap();
    let r = agent
        .post(
            &format!("{detail}/decision"),
            &[("version", &version), ("decision", "valider")],
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert!(b.get("/inscriptions").await.body.contains("validée"));
    assert!(
        portal
            .mail_texts_to("emilie@example.org")
            .await
            .iter()
            .any(|m| m.contains("La mairie a validé l'inscription de Léa Lefèvre"))
    );
    let again = ask(&mut b, LEA, "restauration", &["mardi"], &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}
