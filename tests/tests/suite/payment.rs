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
    let page = attempts::start(&portal.app, inv, false, MAIL, &urls())
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
        attempts::start(&portal.app, &inv, false, MAIL, &urls()).await,
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
        attempts::start(&portal.app, &paid, false, MAIL, &urls()).await,
        Err(attempts::StartError::Refused(Refusal::Paid))
    ));
    // A family on direct debit does not pay online.
    let other = invoice(&portal, "F-2026-000203").await;
    assert!(matches!(
        attempts::start(&portal.app, &other, true, MAIL, &urls()).await,
        Err(attempts::StartError::Refused(Refusal::DirectDebit))
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
    // The demo family pays by direct debit: this one pays its invoices.
    let store = portal.app.store.as_ref();
    let (mut dossier, version) = shared::dossiers::load(store, "D2026-0142")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dossier.mode_paiement,
        Some(shared::domain::dossier::PaymentMode::Prelevement)
    );
    let page = {
        let inv = invoice(&portal, "F-2026-000299").await;
        family.get(&format!("/factures/{}", inv.numero)).await
    };
    assert!(page.body.contains("cette facture sera prélevée"));
    assert!(!page.body.contains("Payer en ligne"));
    dossier.mode_paiement = None;
    store
        .write(shared::store::Write::put_at(
            shared::store::Item::from_record(shared::domain::dossier::key("D2026-0142"), &dossier)
                .unwrap(),
            version,
        ))
        .await
        .unwrap();
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
    let xsd = std::env::var("EF_TEST_PAIN008_XSD").expect(
        "ce test a besoin du schéma pain.008.001.02.xsd : lancez `tests/run.sh` (EF_TEST_PAIN008_XSD)",
    );
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
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prelevements.xml");
    std::fs::write(&file, &xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &xsd])
        .arg(&file)
        .output()
        .expect("xmllint (Debian libxml2-utils)");
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    std::fs::write(
        &file,
        xml.replace("<SeqTp>RCUR</SeqTp>", "<SeqTp>XXXX</SeqTp>"),
    )
    .unwrap();
    let bad = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", &xsd])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
