//! Messagerie: two families and two services. Bad input refused next to
//! each field with the message kept and nothing stored; a family's thread
//! and attachments never reached by the other family; the other service
//! sees a thread only once forwarded to it; internal notes never reach the
//! family's pages, e-mails or downloads; the unread count after a reply and
//! after reading; the reply e-mail without the message's content; two
//! replies at once both kept, in order.

use crate::agents::agent_of;
use crate::inscriptions::{DEMO, PDF, emilie, martin};
use crate::support::{Browser, Page, TestPortal};
use axum::http::StatusCode;
use shared::accounts::Service;
use shared::messages::{Status, threads};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn threads_of(portal: &TestPortal) -> Vec<shared::messages::Thread> {
    threads::of_dossier(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
}

/// Sends the new-message form with text fields as bytes.
async fn write(
    family: &mut Browser,
    fields: &[(&str, &[u8])],
    files: &[(&str, &str, &[u8])],
) -> Page {
    family.get("/messagerie/nouveau").await;
    family
        .post_files_bytes("/messagerie/nouveau", fields, files)
        .await
}

fn refused(page: &Page, field: &str, message: &str) {
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("id=\"{field}-erreur\"")),
        "{field}: {}",
        page.body
    );
    assert!(page.body.contains(message), "{message}: {}", page.body);
}

/// Every file the files port holds.
fn files_kept(portal: &TestPortal) -> usize {
    let shared::config::FilesConfig::Local { dir } = &portal.app.config.files else {
        panic!("the embedded portal keeps files in a folder");
    };
    std::fs::read_dir(dir.join("messages")).map_or(0, |d| d.count())
}

#[tokio::test]
async fn a_family_writes_the_service_answers_and_no_one_else_reads_it() {
    let portal = TestPortal::sqlite().await;
    let mut emilie = emilie(&portal).await;
    let mut sophie = martin(&portal).await;
    let good: [(&str, &[u8]); 5] = [
        ("service", b"regie"),
        ("theme", "Réclamation sur une facture".as_bytes()),
        ("sujet", b"<b>Erreur</b> sur ma facture"),
        (
            "texte",
            b"<script>alert(1)</script>\nLa cantine du 3 est compt\xc3\xa9e deux fois.",
        ),
        ("confirmation", b"1"),
    ];
    let with = |name: &'static str, value: &'static [u8]| -> Vec<(&'static str, &'static [u8])> {
        good.iter()
            .map(|(k, v)| if *k == name { (*k, value) } else { (*k, *v) })
            .collect()
    };

    // Bad input: next to its field, the message kept, nothing stored.
    let long = "é".repeat(5_001);
    let long_fields: Vec<(&str, &[u8])> = good
        .iter()
        .map(|(k, v)| {
            if *k == "texte" {
                (*k, long.as_bytes())
            } else {
                (*k, *v)
            }
        })
        .collect();
    let page = write(&mut emilie, &long_fields, &[]).await;
    refused(&page, "texte", "dépasse 5000 caractères (5001)");
    assert!(
        page.body
            .contains("value=\"&lt;b&gt;Erreur&lt;/b&gt; sur ma facture\""),
        "kept"
    );
    refused(
        &write(&mut emilie, &with("sujet", b"  "), &[]).await,
        "sujet",
        "Indiquez l'objet",
    );
    refused(
        &write(&mut emilie, &with("texte", b""), &[]).await,
        "texte",
        "Écrivez votre message",
    );
    refused(
        &write(
            &mut emilie,
            &with("theme", "Inscriptions et dossier".as_bytes()),
            &[],
        )
        .await,
        "theme",
        "Choisissez un thème du service « Régie centrale »",
    );
    refused(
        &write(&mut emilie, &with("service", b"police"), &[]).await,
        "service",
        "Choisissez le service",
    );
    let four = [("pieces", "a.pdf", PDF); 4];
    refused(
        &write(&mut emilie, &good, &four).await,
        "pieces",
        "3 pièces jointes au plus",
    );
    let fake = write(
        &mut emilie,
        &good,
        &[("pieces", "facture.pdf", b"Ceci est du texte")],
    )
    .await;
    refused(&fake, "pieces", "Format non accepté");
    assert!(
        fake.body.contains("La cantine du 3 est comptée deux fois."),
        "the message is kept"
    );
    let mut big = PDF.to_vec();
    big.resize(2 * 1024 * 1024 + 1, b'0');
    refused(
        &write(&mut emilie, &good, &[("pieces", "scan.pdf", &big)]).await,
        "pieces",
        "dépasse 2 Mo",
    );
    let page = write(
        &mut emilie,
        &with("texte", b"Bonjour \xff\xfe la r\xe9gie"),
        &[],
    )
    .await;
    refused(&page, "texte", "caractères illisibles");
    assert!(threads_of(&portal).await.is_empty(), "nothing stored");
    assert_eq!(files_kept(&portal), 0, "no file kept");

    // Sent, with a PDF and the confirmation.
    let sent = write(&mut emilie, &good, &[("pieces", "facture.pdf", PDF)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let t = threads_of(&portal).await.remove(0);
    assert_eq!((t.statut, t.service.as_str()), (Status::Nouveau, "regie"));
    let page = emilie.get(&format!("/messagerie/{}", t.id)).await;
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    assert!(!page.body.contains("<script>alert"));
    let piece = page
        .body
        .split(&format!("/messagerie/{}/pieces/", t.id))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        emilie
            .get("/dossier")
            .await
            .body
            .contains("Message à « Régie centrale »")
    );
    let mails = portal.mail_texts_to("emilie@example.org").await;
    let confirmation = mails
        .iter()
        .find(|m| m.contains("est bien envoyé"))
        .expect("confirmation");
    assert!(!confirmation.contains("cantine") && !confirmation.contains("Erreur"));

    // The other family reaches neither the thread nor its file.
    let thread_path = format!("/messagerie/{}", t.id);
    let piece_path = format!("{thread_path}/pieces/{piece}");
    assert_eq!(sophie.get(&thread_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sophie.download(&piece_path).await.0, StatusCode::NOT_FOUND);
    assert!(!sophie.get("/messagerie").await.body.contains("Erreur"));

    // The enfance service does not see the régie's thread.
    let mut enfance = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let mut regie = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    let agent_thread = format!("/agents/messagerie/{DEMO}/{}", t.id);
    assert!(
        !enfance
            .get("/agents/messagerie")
            .await
            .body
            .contains("sur ma facture")
    );
    assert_eq!(
        enfance.get(&agent_thread).await.status,
        StatusCode::FORBIDDEN
    );
    let inbox = regie.get("/agents/messagerie").await;
    assert!(
        inbox.body.contains("sur ma facture")
            && inbox.body.contains("Plus ancien message sans réponse")
    );

    // The régie takes it, writes an internal note with a file, answers
    // with a PNG.
    regie.get(&agent_thread).await;
    let r = regie.post(&format!("{agent_thread}/prendre"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        regie
            .get("/agents/messagerie")
            .await
            .body
            .contains("en cours (Claire Martin)")
    );
    regie.get(&agent_thread).await;
    let note = regie
        .post_files(
            &format!("{agent_thread}/repondre"),
            &[
                ("texte", "Note : vérifier le tarif appliqué"),
                ("interne", "1"),
            ],
            &[("pieces", "tarifs.pdf", PDF)],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER, "{}", note.body);
    regie.get(&agent_thread).await;
    let answer = regie
        .post_files(
            &format!("{agent_thread}/repondre"),
            &[("texte", "Le repas du 3 est retiré de la facture.")],
            &[("pieces", "avoir.png", PNG)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let conv = threads::conversation(portal.app.store.as_ref(), DEMO, &t.id, true)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(conv.messages.len(), 3);
    assert_eq!(conv.thread.statut, Status::Repondu);
    let note_piece = conv.messages[1].pieces[0].id.clone();

    // The family: one unread message; the e-mail says so without content.
    assert!(
        emilie
            .get("/compte")
            .await
            .body
            .contains("1 message(s) non lu(s)")
    );
    portal.deliver_mail().await;
    let mails = portal.mail_texts_to("emilie@example.org").await;
    let told = mails
        .iter()
        .find(|m| m.contains("vous a écrit"))
        .expect("reply mail");
    assert!(told.contains(&thread_path));
    for secret in ["retiré", "tarif", "cantine"] {
        assert!(
            mails.iter().all(|m| !m.contains(secret)),
            "{secret} in a mail"
        );
    }
    let page = emilie.get(&thread_path).await;
    assert!(page.body.contains("Le repas du 3 est retiré"));
    assert!(
        !page.body.contains("vérifier le tarif"),
        "an internal note shown"
    );
    assert!(!page.body.contains(&note_piece));
    assert_eq!(
        emilie
            .download(&format!("{thread_path}/pieces/{note_piece}"))
            .await
            .0,
        StatusCode::NOT_FOUND,
        "an internal note's file"
    );
    let reply_piece = &conv.messages[2].pieces[0].id;
    let (status, _, bytes) = emilie
        .download(&format!("{thread_path}/pieces/{reply_piece}"))
        .await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PNG));
    assert!(!emilie.get("/compte").await.body.contains("non lu"), "read");

    // The family answers; the régie forwards to the enfance service.
    emilie.get(&thread_path).await;
    let r = emilie
        .post_files(&thread_path, &[("texte", "Merci ! Et le goûter ?")], &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(threads_of(&portal).await[0].statut, Status::EnCours);
    regie.get(&agent_thread).await;
    let r = regie
        .post(
            &format!("{agent_thread}/transferer"),
            &[
                ("vers", "enfance"),
                ("note", "question sur le périscolaire"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        enfance
            .get("/agents/messagerie")
            .await
            .body
            .contains("sur ma facture")
    );
    let page = enfance.get(&agent_thread).await;
    assert!(page.body.contains("question sur le périscolaire"));
    // The régie still reads it, no longer answers it.
    let page = regie.get(&agent_thread).await;
    assert!(page.body.contains("transféré à un autre service"));
    let r = regie
        .post_files(&format!("{agent_thread}/repondre"), &[("texte", "x")], &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !emilie.get(&thread_path).await.body.contains("périscolaire"),
        "the forward's note"
    );

    // Two replies at once: both kept, in order, both counted.
    let decider = crate::support::decider(Service::Enfance);
    let access = shared::access::AgentAccess::of(decider.agent().account().clone()).unwrap();
    let numero = shared::ids::DossierNumber::parse(DEMO).unwrap();
    let id = shared::ids::RecordId::parse(&t.id).unwrap();
    let conv = access
        .conversation(portal.app.store.as_ref(), &numero, &id)
        .await
        .unwrap()
        .unwrap();
    let by = || threads::Replier::Agent {
        decider: &decider,
        interne: false,
    };
    let (a, b) = tokio::join!(
        threads::reply(&portal.app, &conv, by(), "Première réponse", vec![]),
        threads::reply(&portal.app, &conv, by(), "Seconde réponse", vec![]),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let after = threads::conversation(portal.app.store.as_ref(), DEMO, &t.id, false)
        .await
        .unwrap()
        .unwrap()
        .0;
    let texts: Vec<&str> = after.messages.iter().map(|m| m.texte.as_str()).collect();
    assert!(texts.contains(&"Première réponse") && texts.contains(&"Seconde réponse"));
    let ids: Vec<&str> = after.messages.iter().map(|m| m.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "in order");
    assert_ne!(a.id, b.id);
    assert_eq!(after.thread.non_lus, 2);
    assert!(
        emilie
            .get("/compte")
            .await
            .body
            .contains("2 message(s) non lu(s)")
    );

    // Closed by the enfance service; a family's reply opens it again.
    enfance.get(&agent_thread).await;
    let r = enfance.post(&format!("{agent_thread}/clore"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(threads_of(&portal).await[0].statut, Status::Clos);
    emilie.get(&thread_path).await;
    emilie
        .post_files(&thread_path, &[("texte", "Une dernière question.")], &[])
        .await;
    assert_eq!(threads_of(&portal).await[0].statut, Status::Nouveau);
}

#[tokio::test]
async fn an_agent_writes_first_and_saves_replies() {
    let portal = TestPortal::sqlite().await;
    let mut emilie = emilie(&portal).await;
    let mut enfance = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    // A saved reply of the service, then a thread started from it.
    enfance.get("/agents/messagerie/reponses").await;
    let r = enfance
        .post(
            "/agents/messagerie/reponses",
            &[
                ("titre", "Attestation CAF"),
                (
                    "texte",
                    "Merci de nous envoyer votre attestation CAF de moins de 3 mois.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    enfance.get("/agents/messagerie/nouveau").await;
    let bad = enfance
        .post_files(
            "/agents/messagerie/nouveau",
            &[
                ("dossier", "D9999-0000"),
                ("theme", "Document demandé"),
                ("sujet", "Attestation"),
                ("texte", "x"),
            ],
            &[],
        )
        .await;
    refused(&bad, "dossier", "Aucun dossier");
    let r = enfance
        .post_files(
            "/agents/messagerie/nouveau",
            &[
                ("dossier", DEMO),
                ("theme", "Document demandé"),
                ("sujet", "Document à renvoyer"),
                ("texte", "Votre attestation est illisible."),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = threads_of(&portal).await.remove(0);
    assert!(t.par_la_mairie);
    assert!(
        emilie
            .get("/compte")
            .await
            .body
            .contains("1 message(s) non lu(s)")
    );
    let saved = threads::saved_replies(portal.app.store.as_ref(), "enfance")
        .await
        .unwrap();
    let page = enfance
        .get(&format!(
            "/agents/messagerie/{DEMO}/{}?modele={}",
            t.id, saved[0].id
        ))
        .await;
    assert!(
        page.body.contains(
            ">Merci de nous envoyer votre attestation CAF de moins de 3 mois.</textarea>"
        )
    );
    // The régie's saved replies are its own.
    assert!(
        threads::saved_replies(portal.app.store.as_ref(), "regie")
            .await
            .unwrap()
            .is_empty()
    );
}
