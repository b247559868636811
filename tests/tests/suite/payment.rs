//! Paying online, on both stores, with the local test gateway (and PayFiP's
//! adapter against a local SOAP server): the race that loses payments
//! elsewhere — notification, return and re-check of one operation at once,
//! repeated — records one payment, one receipt and one e-mail; a lost
//! notification and a lost return are settled by the re-check alone; each
//! result code; a second attempt within 20 minutes refused.

use crate::support::{TestPortal, signed_up_family};
use chrono::Duration;
use shared::domain::invoice::{self, Invoice, Status};
use shared::payment::attempts::{self, State, Urls};
use shared::payment::gateway;
use shared::payment::payfip::samples as gateway_samples;
use shared::payment::rules::Refusal;
use shared::store::Condition;

const MAIL: &str = "emilie@example.org";

/// A published invoice of the signed-up family, stored as billing does.
async fn invoice(portal: &TestPortal, numero: &str) -> Invoice {
    let inv = Invoice {
        numero: numero.into(),
        dossier: "D2026-0142".into(),
        ..shared::demo::long_invoice()
    };
    portal
        .app
        .store
        .put(invoice::item(&inv).unwrap(), Condition::NotExists)
        .await
        .unwrap();
    inv
}

async fn stored(portal: &TestPortal, inv: &Invoice) -> Invoice {
    portal
        .app
        .store
        .get(&invoice::key(&inv.dossier, &inv.numero))
        .await
        .unwrap()
        .unwrap()
        .record()
        .unwrap()
}

fn later() -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(30)
}

fn urls() -> Urls {
    Urls {
        notification: "http://127.0.0.1:8080/paiement/notification".into(),
        retour: "http://127.0.0.1:8080/paiement/retour".into(),
    }
}

/// Starts paying; the operation id from the payment page's address.
async fn pay(portal: &TestPortal, inv: &Invoice) -> String {
    let page = attempts::start(&portal.app, inv, None, MAIL, &urls())
        .await
        .unwrap();
    page.rsplit_once("idop=").unwrap().1.to_owned()
}

async fn receipts(portal: &TestPortal, to: &str) -> usize {
    portal
        .mail_texts_to(to)
        .await
        .iter()
        .filter(|m| m.contains("Votre paiement de"))
        .count()
}

async fn the_race(portal: TestPortal) {
    // An address of its own: moto keeps every message it was given.
    let to = format!("emilie.{}@example.org", ulid::Ulid::new()).to_lowercase();
    signed_up_family(&portal, "Émilie", "emilie.l", &to, true).await;
    let store = portal.app.store.clone();
    for round in 0..4 {
        let inv = invoice(&portal, &format!("F-2026-00010{round}")).await;
        let idop = pay(&portal, &inv).await;
        assert!(gateway::decide(store.as_ref(), &idop, "P").await.unwrap());
        // Notification, return and re-check at once (the re-check's window
        // opens 5 minutes after the start).
        portal.clock.advance(Duration::minutes(6));
        let (a, b, c) = tokio::join!(
            attempts::settle(&portal.app, &idop),
            attempts::settle(&portal.app, &idop),
            attempts::recheck(&portal.app, later()),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        c.unwrap();
        assert_eq!((a.etat, b.etat), (State::Payee, State::Payee));
        assert_eq!(a.recu, b.recu, "one receipt");
        let after = stored(&portal, &inv).await;
        assert_eq!(after.paiements.len(), 1, "round {round}: one payment");
        assert_eq!(after.statut, Status::Paid);
        assert_eq!(after.paiements[0].moyen, "carte");
        assert_eq!(after.paiements[0].montant, inv.due());
        // Called again later: nothing more.
        attempts::settle(&portal.app, &idop).await.unwrap();
        assert_eq!(stored(&portal, &inv).await.paiements.len(), 1);
        portal.clock.advance(Duration::minutes(30));
    }
    assert_eq!(receipts(&portal, &to).await, 4, "one e-mail per payment");
}

#[tokio::test]
async fn notification_return_and_recheck_at_once_pay_once_on_sqlite() {
    the_race(TestPortal::sqlite().await).await;
}

#[tokio::test]
async fn notification_return_and_recheck_at_once_pay_once_on_dynamodb() {
    the_race(TestPortal::aws().await).await;
}

#[tokio::test]
async fn each_result_and_the_recheck_alone() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", MAIL, true).await;
    let store = portal.app.store.clone();
    // Neither the notification nor the browser came back: the re-check
    // alone settles the payment, once its window opens.
    let lost = invoice(&portal, "F-2026-000201").await;
    let idop = pay(&portal, &lost).await;
    gateway::decide(store.as_ref(), &idop, "P").await.unwrap();
    assert_eq!(
        attempts::recheck(&portal.app, later()).await.unwrap(),
        0,
        "too early"
    );
    portal.clock.advance(Duration::minutes(5));
    assert_eq!(attempts::recheck(&portal.app, later()).await.unwrap(), 1);
    assert_eq!(stored(&portal, &lost).await.statut, Status::Paid);
    assert_eq!(
        attempts::recheck(&portal.app, later()).await.unwrap(),
        0,
        "settled once"
    );

    // Refused: the invoice stays to pay, and may be paid again at once.
    let inv = invoice(&portal, "F-2026-000202").await;
    let idop = pay(&portal, &inv).await;
    // A second attempt while the first is under way is refused.
    assert!(matches!(
        attempts::start(&portal.app, &inv, None, MAIL, &urls()).await,
        Err(attempts::StartError::Refused(Refusal::UnderWay))
    ));
    gateway::decide(store.as_ref(), &idop, "R").await.unwrap();
    let a = attempts::settle(&portal.app, &idop).await.unwrap();
    assert_eq!(a.etat, State::Refusee);
    assert_eq!(stored(&portal, &inv).await.paiements.len(), 0);

    // Abandoned, or not finished: waiting for 20 minutes, then expired.
    portal.clock.advance(Duration::seconds(1));
    let idop = pay(&portal, &inv).await;
    gateway::decide(store.as_ref(), &idop, "A").await.unwrap();
    portal.clock.advance(Duration::minutes(19));
    assert_eq!(
        attempts::settle(&portal.app, &idop).await.unwrap().etat,
        State::EnCours
    );
    portal.clock.advance(Duration::minutes(2));
    assert_eq!(
        attempts::settle(&portal.app, &idop).await.unwrap().etat,
        State::Expiree
    );
    let idop = pay(&portal, &inv).await;
    portal.clock.advance(Duration::minutes(10));
    assert_eq!(
        attempts::settle(&portal.app, &idop).await.unwrap().etat,
        State::EnCours,
        "P5 under 20 minutes"
    );
    portal.clock.advance(Duration::minutes(11));
    assert_eq!(
        attempts::settle(&portal.app, &idop).await.unwrap().etat,
        State::Expiree,
        "P5 after 20 minutes"
    );

    // Paid by direct debit through PayFiP (V).
    let idop = pay(&portal, &inv).await;
    gateway::decide(store.as_ref(), &idop, "V").await.unwrap();
    let a = attempts::settle(&portal.app, &idop).await.unwrap();
    assert_eq!(a.etat, State::Payee);
    let paid = stored(&portal, &inv).await;
    assert_eq!(paid.paiements[0].moyen, "prélèvement (PayFiP)");
    // Paid: no more attempts.
    assert!(matches!(
        attempts::start(&portal.app, &paid, None, MAIL, &urls()).await,
        Err(attempts::StartError::Refused(Refusal::Paid))
    ));
    // An invoice to be debited is not paid online.
    let other = invoice(&portal, "F-2026-000203").await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    assert!(matches!(
        attempts::start(&portal.app, &other, Some(day), MAIL, &urls()).await,
        Err(attempts::StartError::Refused(Refusal::DirectDebit(d))) if d == day
    ));
    // An operation id nobody created.
    assert!(matches!(
        attempts::settle(&portal.app, "inconnu").await,
        Err(attempts::SettleError::Unknown)
    ));
    assert!(stored(&portal, &other).await.is_open());
}

/// PayFiP's adapter against a local server that answers as PayFiP's SOAP
/// service does: the requests it receives have the documented shape.
#[tokio::test]
async fn the_payfip_adapter_speaks_soap() {
    use axum::routing::post;
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/tpa/services/securite",
        post(move |body: String| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(body.clone());
                let xml = if body.contains("creerPaiementSecurise") {
                    gateway_samples::created("op42")
                } else if body.contains("<idOp>op42</idOp>") {
                    gateway_samples::detail("op42", "F2026000042P1", 8640, "P")
                } else if body.contains("<idOp>encours</idOp>") {
                    gateway_samples::fault("FonctionnelleErreur", "P5", "Résultat non disponible")
                } else if body.contains("<idOp>purge</idOp>") {
                    gateway_samples::fault("FonctionnelleErreur", "P1", "IdOp incorrect")
                } else {
                    gateway_samples::fault("TechDysfonctionnementErreur", "T2", "Erreur technique")
                };
                (axum::http::StatusCode::OK, xml)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let payfip = gateway::PayFip {
        client: reqwest::Client::new(),
        url: format!("http://{addr}/tpa/services/securite"),
    };
    use gateway::{Gateway, Reply};
    let creation = shared::payment::payfip::Creation {
        numcli: "012345".into(),
        exer: 2026,
        refdet: "F2026000042P1".into(),
        objet: "Facture F 2026 000042".into(),
        montant: 8640,
        mel: MAIL.into(),
        urlnotif: urls().notification,
        urlredirect: urls().retour,
        saisie: shared::payment::payfip::Mode::Test,
    };
    assert_eq!(payfip.create(&creation).await.unwrap(), "op42");
    let Reply::Finished(d) = payfip.detail("op42").await.unwrap() else {
        panic!("a result");
    };
    assert_eq!((d.resultrans.as_str(), d.montant), ("P", 8640));
    assert_eq!(payfip.detail("encours").await.unwrap(), Reply::Unfinished);
    assert_eq!(payfip.detail("purge").await.unwrap(), Reply::Unknown);
    assert!(matches!(
        payfip.detail("autre").await,
        Err(gateway::GatewayError::Fault(_))
    ));
    let sent = received.lock().unwrap().clone();
    assert!(sent[0].contains("<numcli>012345</numcli>") && sent[0].contains("<saisie>T</saisie>"));
    assert!(sent[1].contains("<pai:recupererDetailPaiementSecurise><arg0><idOp>op42</idOp>"));
    // Nobody listening: unreachable, not a result.
    let gone = gateway::PayFip {
        client: reqwest::Client::new(),
        url: "http://127.0.0.1:9/".into(),
    };
    assert!(matches!(
        gone.detail("op42").await,
        Err(gateway::GatewayError::Unreachable(_))
    ));
}

/// Through the pages: "Payer en ligne", the test gateway with the tab
/// closed before returning (no notification, no return): the invoice is
/// paid after the next run of the jobs. Notifications with no id, an
/// unknown id, a malformed body, and 1,000 for one id.
#[tokio::test]
async fn a_family_pays_and_closes_the_tab() {
    let portal = TestPortal::sqlite().await;
    let mut family = signed_up_family(&portal, "Émilie", "emilie.l", MAIL, true).await;
    // The demo family's mandate is active: an invoice its campaign gave a
    // debit day is debited, not paid online; one without is paid online.
    let store = portal.app.store.as_ref();
    let debited = Invoice {
        prelevement_le: chrono::NaiveDate::from_ymd_opt(2026, 12, 5),
        ..invoice(&portal, "F-2026-000299").await
    };
    store
        .write(shared::store::Write::put_at(
            invoice::item(&debited).unwrap(),
            1,
        ))
        .await
        .unwrap();
    let page = family.get("/factures/F-2026-000299").await;
    assert!(
        page.body.contains("Sera prélevée le 05/12/2026"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Payer en ligne"));
    let refused = family.post("/factures/F-2026-000299/payer", &[]).await;
    assert_eq!(refused.status, axum::http::StatusCode::CONFLICT);
    assert!(refused.body.contains("sera prélevée le 05/12/2026"));
    let inv = invoice(&portal, "F-2026-000300").await;
    let page = family.get("/factures/F-2026-000300").await;
    assert!(page.body.contains("Payer en ligne"), "{}", page.body);
    let r = family.post("/factures/F-2026-000300/payer", &[]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location().to_owned();
    let (path, idop) = location.rsplit_once("?idop=").unwrap();
    assert!(path.ends_with("/paiement/test"), "{location}");
    let idop = idop.to_owned();
    let gateway_page = family.get(&format!("/paiement/test?idop={idop}")).await;
    assert!(gateway_page.body.contains("Passerelle de paiement de test"));
    // A second click while the first attempt is under way.
    family.get("/factures/F-2026-000300").await;
    let again = family.post("/factures/F-2026-000300/payer", &[]).await;
    assert_eq!(again.status, axum::http::StatusCode::CONFLICT);
    assert!(again.body.contains("moins de 20 minutes"));
    family.get(&format!("/paiement/test?idop={idop}")).await;
    let closed = family
        .post(
            "/paiement/test",
            &[
                ("idop", &idop),
                ("resultat", "P"),
                ("sans_notification", "1"),
                ("sans_retour", "1"),
            ],
        )
        .await;
    assert!(closed.body.contains("vous pouvez fermer cet onglet"));
    assert_eq!(stored(&portal, &inv).await.paiements.len(), 0);
    portal.clock.advance(Duration::minutes(5));
    let report = shared::jobs::run(&portal.app, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(report.payments, 1);
    let page = family.get("/factures/F-2026-000300").await;
    assert!(page.body.contains("Payée"), "{}", page.body);
    assert!(!page.body.contains("Payer en ligne"));
    // The notification endpoint: bad input is refused, repeats change
    // nothing.
    let mut gateway = portal.browser();
    assert_eq!(
        gateway.post_raw("/paiement/notification", &[]).await.status,
        axum::http::StatusCode::BAD_REQUEST
    );
    assert_eq!(
        gateway
            .post_raw("/paiement/notification", &[("idOp", "inconnu")])
            .await
            .status,
        axum::http::StatusCode::NOT_FOUND
    );
    assert_eq!(
        gateway
            .post_raw("/paiement/notification", &[("idOp", "<script>")])
            .await
            .status,
        axum::http::StatusCode::BAD_REQUEST
    );
    for i in 0..1000 {
        let field = if i % 2 == 0 { "idOp" } else { "idop" };
        let r = gateway
            .post_raw("/paiement/notification", &[(field, &idop)])
            .await;
        assert_eq!(r.status, axum::http::StatusCode::OK);
    }
    assert_eq!(stored(&portal, &inv).await.paiements.len(), 1);
    // The return page, even late, says what happened.
    let back = gateway.get(&format!("/paiement/retour?idop={idop}")).await;
    assert!(
        back.body
            .contains("enregistré pour la facture F-2026-000300")
    );
    let unknown = gateway.get("/paiement/retour?idop=inconnu").await;
    assert!(unknown.body.contains("en cours de vérification"));
}

/// The direct debit file of a collection date, validated against the
/// official `pain.008.001.02.xsd` by `xmllint`: a FRST block (mandates
/// never collected) and a RCUR block, exact counts and sums at both levels.
#[test]
fn the_sepa_file_follows_the_official_schema() {
    use shared::payment::sepa::{self, Collection, Creditor, Mandate, MandateStatus};
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let mandate = |rum: &str, iban: &str, last: Option<&str>| Mandate {
        rum: rum.into(),
        dossier: "D2026-0142".into(),
        titulaire: "Émilie Lefèvre".into(),
        iban: iban.into(),
        bic: None,
        signe_le: d("2026-09-02"),
        statut: MandateStatus::Actif,
        fin_le: None,
        fin_motif: None,
        derniere_collecte: last.map(d),
    };
    let amounts = ["23.10", "86.40", "0.99", "120.00", "15.55"];
    let collections: Vec<Collection> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| Collection {
            mandate: mandate(
                &format!("EF-D2026-014{i}-20260902071203"),
                if i % 2 == 0 {
                    "FR7630001007941234567890185"
                } else {
                    "DE89370400440532013000"
                },
                (i >= 2).then_some("2026-10-06"),
            ),
            facture: format!("F-2026-00004{i}"),
            montant: a.parse().unwrap(),
        })
        .collect();
    let creditor = Creditor {
        nom: "Régie centrale de Val-d'Albarine".into(),
        iban: "FR3310071010000000200012345".into(),
        ics: "FR72ZZZ123456".into(),
    };
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:12:03Z")
        .unwrap()
        .to_utc();
    let xml = sepa::pain008(
        &creditor,
        "PRLV-2026-12-05",
        at,
        d("2026-12-05"),
        &collections,
    )
    .unwrap();
    schema_valid(&xml);
    // Counts and sums: 5 transactions, 246.04 € in all; FRST 2 (109.50 €),
    // RCUR 3 (136.54 €).
    let values = |tag: &str| -> Vec<String> {
        xml.split(&format!("<{tag}>"))
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values("NbOfTxs"), ["5", "2", "3"]);
    assert_eq!(values("CtrlSum"), ["246.04", "109.50", "136.54"]);
    assert_eq!(values("SeqTp"), ["FRST", "RCUR"]);
    assert!(xml.contains("xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02\""));
    assert!(xml.contains("<Id>FR72ZZZ123456</Id>"));
    // A file the schema refuses is refused by the check too.
    assert!(schema_check(&xml.replace("<SeqTp>RCUR</SeqTp>", "<SeqTp>XXXX</SeqTp>")).is_err());
}

/// How many mandates the demo dossier has, in each status.
async fn mandates_of(portal: &TestPortal) -> Vec<(String, shared::payment::sepa::MandateStatus)> {
    shared::payment::mandates::of_dossier(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap()
        .into_iter()
        .map(|(m, _)| (m.rum, m.statut))
        .collect()
}

/// Direct debit from end to end: the family changes its account (bad
/// input refused next to each field, nothing stored), the régie validates
/// the new mandate (two clicks decide once; the old one ends), an invoice
/// with a debit day says when it will be debited and cannot be paid online,
/// the remise of that date collects it (FRST, then RCUR the next month; the
/// file passes the official XSD), a second remise of the same date
/// collects nothing twice, a rejected debit puts the invoice back to pay
/// and tells the family, and stopping ends the mandate.
#[tokio::test]
async fn direct_debit_from_the_mandate_to_the_rejected_debit() {
    use axum::http::StatusCode;
    use shared::payment::sepa::MandateStatus;
    let portal = TestPortal::sqlite().await;
    let mut family = signed_up_family(&portal, "Émilie", "emilie.l", MAIL, true).await;
    let mut regie = crate::agents::agent_of(
        &portal,
        "regie@ville.example.org",
        shared::accounts::Service::Regie,
    )
    .await;
    let page = family.get("/paiement/prelevement").await;
    assert!(
        page.body.contains("Prélèvement automatique actif"),
        "{}",
        page.body
    );
    assert!(page.body.contains("FR76 •••• … 0185"));
    assert!(
        !page.body.contains("FR7630001007941234567890185"),
        "the IBAN is masked"
    );
    let before = mandates_of(&portal).await;
    assert_eq!(before.len(), 1);

    // Bad input: each error next to its field, 422, the form kept, nothing
    // stored.
    for (iban, accepte, message) in [
        ("FR76 3000 1007 94AB 3456 7890 185", "1", "pas valide"),
        (&"1".repeat(100)[..], "1", "trop long"),
        (
            "BR18 0036 0305 0000 1000 9795 493C 1",
            "1",
            "hors de la zone SEPA",
        ),
        ("FR76 3000 1007 9412 3456 7890 185", "", "Cochez la case"),
    ] {
        let r = family
            .post(
                "/paiement/prelevement",
                &[
                    ("titulaire", "Émilie Lefèvre"),
                    ("iban", iban),
                    ("bic", ""),
                    ("accepte", accepte),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{iban}");
        assert!(r.body.contains(message), "{iban}: {}", r.body);
        assert!(
            r.body.contains("value=\"Émilie Lefèvre\""),
            "the form is kept"
        );
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert_eq!(mandates_of(&portal).await, before, "nothing stored");
    }

    // A new account (spaces and lower case accepted): it waits for the
    // régie, the current one keeps being debited.
    let r = family
        .post(
            "/paiement/prelevement",
            &[
                ("titulaire", "Émilie Lefèvre"),
                ("iban", "de89 3704 0044 0532 0130 00"),
                ("bic", ""),
                ("accepte", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = family.follow(r).await;
    assert!(page.body.contains("en attente de validation"));
    assert!(page.body.contains("Le compte actuel reste prélevé"));
    let dossier_page = family.get("/dossier").await;
    assert!(
        dossier_page
            .body
            .contains("Adhésion au prélèvement automatique")
    );
    let all = shared::payment::mandates::of_dossier(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap();
    let new = all
        .iter()
        .find(|(m, _)| m.statut == MandateStatus::AValider)
        .map(|(m, _)| m.clone())
        .unwrap();
    assert_eq!(new.iban, "DE89370400440532013000");

    // The régie validates; two clicks at once decide once.
    let list = regie.get("/agents/facturation/mandats").await;
    assert!(list.body.contains(&new.rum), "{}", list.body);
    let path = format!("/agents/facturation/mandats/D2026-0142/{}", new.rum);
    let requests = (0..2)
        .map(|_| regie.prepared_post(&path, &[("decision", "valider")]))
        .collect();
    let answers = regie.race(requests).await;
    let locations: Vec<&String> = answers.iter().map(|(_, body)| body).collect();
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::SEE_OTHER),
        "{locations:?}"
    );
    let after = mandates_of(&portal).await;
    assert_eq!(
        after
            .iter()
            .filter(|(_, s)| *s == MandateStatus::Actif)
            .count(),
        1
    );
    assert!(after.contains(&(new.rum.clone(), MandateStatus::Actif)));
    assert!(after.contains(&(before[0].0.clone(), MandateStatus::Termine)));
    portal.deliver_mail().await;
    let told = portal.mail_texts_to(MAIL).await;
    assert_eq!(
        told.iter()
            .filter(|m| m.contains("a validé votre mandat"))
            .count(),
        1,
        "one e-mail"
    );
    assert!(
        told.iter().all(|m| !m.contains("DE89")),
        "no bank details by mail"
    );

    // An invoice with a debit day says when; it is not paid online. One of
    // a dossier without mandate is listed apart.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let with_day = |numero: &str, dossier: &str, on: chrono::NaiveDate| Invoice {
        numero: numero.into(),
        dossier: dossier.into(),
        prelevement_le: Some(on),
        ..shared::demo::long_invoice()
    };
    for inv in [
        with_day("F-2026-000401", "D2026-0142", day),
        with_day("F-2026-000402", "D2026-0999", day),
        with_day("F-2027-000001", "D2026-0142", day + Duration::days(31)),
    ] {
        portal
            .app
            .store
            .put(invoice::item(&inv).unwrap(), Condition::NotExists)
            .await
            .unwrap();
    }
    let page = family.get("/factures/F-2026-000401").await;
    assert!(
        page.body.contains("Sera prélevée le 05/12/2026"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Payer en ligne"));
    let list = family.get("/factures").await;
    assert!(list.body.contains("Sera prélevée le 05/12/2026"));

    // The remise of 5 December: a past date is refused; the plan; record.
    let past = regie
        .get("/agents/facturation/prelevements?date=2026-11-20")
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("postérieure à aujourd'hui"));
    let plan = regie
        .get("/agents/facturation/prelevements?date=2026-12-05")
        .await;
    assert!(
        plan.body.contains("Premiers prélèvements (FRST)"),
        "{}",
        plan.body
    );
    assert!(
        plan.body.contains("F-2026-000402"),
        "without mandate, listed"
    );
    let r = regie
        .post(
            "/agents/facturation/prelevements",
            &[("date", "2026-12-05")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        "/agents/facturation/prelevements?remise=P-2026-000001"
    );
    let collected = stored(&portal, &with_day("F-2026-000401", "D2026-0142", day)).await;
    assert_eq!(collected.statut, Status::Paid);
    assert_eq!(collected.paiements.len(), 1);
    assert_eq!(collected.paiements[0].moyen, "prélèvement");
    assert!(
        stored(&portal, &with_day("F-2026-000402", "D2026-0999", day))
            .await
            .is_open()
    );
    // Again for the same date: nothing to collect twice.
    let again = regie
        .post(
            "/agents/facturation/prelevements",
            &[("date", "2026-12-05")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&portal, &collected).await.paiements.len(), 1);
    let (status, _, first_file) = regie
        .download("/agents/facturation/prelevements/P-2026-000001")
        .await;
    assert_eq!(status, StatusCode::OK);
    let first_file = String::from_utf8(first_file).unwrap();
    schema_valid(&first_file);
    assert!(first_file.contains("<SeqTp>FRST</SeqTp>") && !first_file.contains("RCUR"));
    assert!(first_file.contains("DE89370400440532013000"));
    assert!(first_file.contains(&format!("<CtrlSum>{}</CtrlSum>", collected.montant)));
    // The same bytes at each download.
    let (_, _, again_file) = regie
        .download("/agents/facturation/prelevements/P-2026-000001")
        .await;
    assert_eq!(again_file, first_file.as_bytes());

    // The next month's remise (prepared ahead): recurring.
    let r = regie
        .post(
            "/agents/facturation/prelevements",
            &[("date", "2027-01-05")],
        )
        .await;
    assert_eq!(
        r.location(),
        "/agents/facturation/prelevements?remise=P-2026-000002"
    );
    let (_, _, second) = regie
        .download("/agents/facturation/prelevements/P-2026-000002")
        .await;
    let second = String::from_utf8(second).unwrap();
    schema_valid(&second);
    assert!(second.contains("<SeqTp>RCUR</SeqTp>") && !second.contains("FRST"));

    // The bank rejects the first debit: the invoice is to pay again, the
    // family is told; recorded twice, it changes once.
    let invoice_page = "/agents/dossiers/D2026-0142/factures/F-2026-000401";
    let page = regie.get(invoice_page).await;
    assert!(page.body.contains("Enregistrer le rejet du prélèvement"));
    for _ in 0..2 {
        regie.get(invoice_page).await;
        let r = regie
            .post(&format!("{invoice_page}/rejet"), &[("motif", "AM04")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let rejected = stored(&portal, &collected).await;
    assert!(rejected.is_open());
    assert_eq!(rejected.due(), rejected.montant);
    assert_eq!(
        rejected.paiements.len(),
        2,
        "the debit and its cancellation"
    );
    assert!(rejected.rejet.is_some());
    portal.deliver_mail().await;
    let told = portal.mail_texts_to(MAIL).await;
    assert_eq!(
        told.iter()
            .filter(|m| m.contains("a été rejeté par votre banque"))
            .count(),
        1
    );
    let page = family.get("/factures/F-2026-000401").await;
    assert!(page.body.contains("Payer en ligne"), "{}", page.body);

    // The family stops: every mandate ends, the dossier pays online.
    family.get("/paiement/prelevement").await;
    let r = family.post("/paiement/prelevement/arret", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        mandates_of(&portal)
            .await
            .iter()
            .all(|(_, s)| *s == MandateStatus::Termine)
    );
    let (d, _) = shared::dossiers::load(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        d.mode_paiement,
        Some(shared::domain::dossier::PaymentMode::EnLigne)
    );
}

/// Asserts that a `pain.008.001.02` file passes the official XSD.
fn schema_valid(xml: &str) {
    if let Err(e) = schema_check(xml) {
        panic!("{e}\n{xml}");
    }
}

/// Checks a `pain.008.001.02` file with `xmllint` and the official XSD.
fn schema_check(xml: &str) -> Result<(), String> {
    let xsd = std::env::var("EF_TEST_PAIN008_XSD").expect(
        "ce test a besoin du schéma pain.008.001.02.xsd : lancez `tests/run.sh` (EF_TEST_PAIN008_XSD)",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prelevements.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &xsd])
        .arg(&file)
        .output()
        .expect("xmllint (Debian libxml2-utils)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
