//! The Lambda binaries themselves, run as Lambda runs them: each compiled
//! function (`functions/src/bin/*.rs`) is a child process polling a local
//! Runtime API (`e2e::runtime_api`), with the variables Lambda and the SAM
//! template set, on DynamoDB, SES and S3 served by moto. HTTP requests reach
//! them as API Gateway HTTP API events (payload 2.0, built from AWS's
//! documented example), routed by the template's own paths; the `mailer`
//! and `site` get a DynamoDB stream record and `jobs` an EventBridge
//! scheduled event.
//!
//! Dates here follow the real clock (the processes read it), so nothing
//! below depends on the day the suite runs.

use crate::agents::agent_of;
use crate::inscriptions::{DEMO, LEA, PDF};
use crate::support::{FAMILY_PASSWORD, TestPortal, moto_url, ses_messages_to, signed_up_family};
use axum::http::StatusCode;
use e2e::runtime_api::{
    Function, Gateway, HttpRequest, Outcome, api_gateway, binary, http_event, scheduled_event,
    stream_event, template_routes,
};
use serde_json::{Value, json};
use shared::accounts::Service;
use shared::clock::FixedClock;
use shared::config::{FilesConfig, StoreConfig};

const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// Every function of the template, HTTP or not.
const FUNCTIONS: [&str; 11] = [
    "account",
    "backoffice",
    "dossier",
    "factures",
    "inscriptions",
    "jobs",
    "mailer",
    "messagerie",
    "paiement",
    "planning",
    "site",
];

/// The variables the template gives every function (its `Globals`), with
/// the endpoints of moto and this portal's table, bucket and sender.
fn template_variables(portal: &TestPortal) -> Vec<(String, String)> {
    let config = &portal.app.config;
    let StoreConfig::Dynamo { table, .. } = &config.store else {
        panic!("a portal on moto")
    };
    let FilesConfig::S3 { bucket, .. } = &config.files else {
        panic!("a portal on moto")
    };
    [
        ("EF_STORE", "dynamodb".to_owned()),
        ("EF_DYNAMODB_TABLE", table.clone()),
        ("EF_MAIL", "ses".to_owned()),
        ("EF_MAIL_FROM", config.mail_from.clone()),
        ("EF_FILES", "s3".to_owned()),
        ("EF_S3_BUCKET", bucket.clone()),
        ("EF_PUBLIC_URL", config.public_url.clone()),
        ("EF_PAIEMENT", "test".to_owned()),
        ("EF_PAYFIP_NUMCLI", "000000".to_owned()),
        ("EF_PAYFIP_MODE", "T".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        // Not on AWS: the services' addresses on moto.
        ("EF_DYNAMODB_ENDPOINT", moto_url()),
        ("EF_SES_ENDPOINT", moto_url()),
        ("EF_S3_ENDPOINT", moto_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The clock of what the test does in process (invitations, the outbox's
/// sender behind `last_link`): an hour ahead of the functions' real clock,
/// so that a message they just queued is due for it.
fn in_process_clock() -> FixedClock {
    FixedClock::at(chrono::Utc::now() + chrono::Duration::hours(1))
}

/// The portal on moto with every function of the template running as a
/// process; its router is "API Gateway": each template path routed to its
/// function.
struct Deployment {
    portal: TestPortal,
    functions: Vec<(String, Gateway)>,
    /// The site bucket the `site` function publishes to.
    site_bucket: (aws_sdk_s3::Client, String),
}

impl Deployment {
    async fn start() -> Self {
        let mut portal = TestPortal::aws_with_clock(in_process_clock()).await;
        let mut vars = template_variables(&portal);
        // The `site` function's own variables (its bucket and distribution).
        let site_bucket = crate::support::moto_bucket().await;
        let (_, distribution) = crate::publishing::moto_distribution(&site_bucket.1).await;
        vars.extend([
            ("EF_SITE_BUCKET".to_owned(), site_bucket.1.clone()),
            ("EF_CLOUDFRONT_DISTRIBUTION".to_owned(), distribution),
            ("EF_CLOUDFRONT_ENDPOINT".to_owned(), moto_url()),
        ]);
        let mut functions = Vec::new();
        for name in FUNCTIONS {
            let function = Function::start(&binary(name), name, &vars).await;
            functions.push((name.to_owned(), Gateway::new(function)));
        }
        let routes = template_routes(TEMPLATE);
        let mut table = Vec::new();
        for (name, paths) in &routes {
            if let Some((_, gateway)) = functions.iter().find(|(n, _)| n == name) {
                table.extend(paths.iter().map(|p| (p.clone(), gateway.clone())));
            }
        }
        let http: Vec<&str> = routes
            .iter()
            .filter(|(_, paths)| !paths.is_empty())
            .map(|(n, _)| n.as_str())
            .collect();
        for name in FUNCTIONS {
            if !["mailer", "jobs", "site"].contains(&name) {
                assert!(http.contains(&name), "{name} : aucune route dans le modèle");
            }
        }
        portal.router = api_gateway(table);
        Self {
            portal,
            functions,
            site_bucket,
        }
    }

    fn gateway(&self, name: &str) -> &Gateway {
        &self.functions.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// Sends one event to a function.
    async fn invoke(&self, name: &str, event: Value) -> Outcome {
        self.gateway(name)
            .function()
            .lock()
            .await
            .invoke(event)
            .await
    }

    async fn log(&self, name: &str) -> String {
        self.gateway(name).function().lock().await.log()
    }

    async fn still_running(&self, name: &str) -> bool {
        self.gateway(name).function().lock().await.is_running()
    }
}

/// The password reset messages moto's SES holds for an address (nothing
/// delivered by the test itself).
async fn reset_mails(to: &str) -> usize {
    ses_messages_to(to)
        .await
        .iter()
        .filter(|raw| {
            raw.replace("=\r\n", "")
                .contains("/compte/nouveau-mot-de-passe")
        })
        .count()
}

/// The outbox items waiting in the table (their keys).
async fn outbox_keys(portal: &TestPortal) -> Vec<(String, String)> {
    let StoreConfig::Dynamo { table, .. } = &portal.app.config.store else {
        unreachable!()
    };
    let client = aws_sdk_dynamodb::Client::new(&crate::support::aws_config().await);
    let scan = client.scan().table_name(table).send().await.unwrap();
    scan.items()
        .iter()
        .filter_map(|item| {
            let pk = item.get("pk")?.as_s().ok()?;
            let sk = item.get("sk")?.as_s().ok()?;
            (pk.starts_with("OUTBOX#") && sk == "OUTBOX").then(|| (pk.clone(), sk.clone()))
        })
        .collect()
}

#[tokio::test]
async fn every_lambda_binary_serves_a_family_and_an_agent_through_api_gateway_events() {
    let deployment = Deployment::start().await;
    let portal = &deployment.portal;

    // account: a page with a query string, its visitor cookie set through
    // the answer's `cookies`.
    let mut visitor = portal.browser();
    let page = visitor
        .get("/compte/connexion?message=mot-de-passe-change")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Votre mot de passe a été changé"),
        "{}",
        page.body
    );
    assert!(visitor.cookies.contains_key("ef_visiteur"));

    // The 4 steps of sign-up (form posts with cookies and the CSRF field, as
    // base64 bodies), activation from the e-mail, signed in.
    // An address of this run only: moto's SES keeps every run's messages.
    let email = format!("emilie.{}@example.org", ulid::Ulid::new()).to_lowercase();
    let mut b = signed_up_family(portal, "Émilie", "emilie.l", &email, true).await;
    assert!(b.cookies.contains_key("ef_session"));

    // A login answers two cookies (the session and a new visitor): both come
    // back in the answer's `cookies`, none as a header.
    let mut login = portal.browser();
    login.get("/compte/connexion").await;
    let request = login.prepared_post(
        "/compte/connexion",
        &[
            ("identifiant", "emilie.l"),
            ("mot_de_passe", FAMILY_PASSWORD),
        ],
    );
    let answer = deployment
        .invoke("account", http_event(request).await)
        .await
        .response();
    assert_eq!(answer["statusCode"], 303, "{answer}");
    let cookies: Vec<&str> = answer["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("ef_session="))
            && cookies.iter().any(|c| c.starts_with("ef_visiteur=")),
        "{cookies:?}"
    );
    assert!(answer["headers"].get("set-cookie").is_none(), "{answer}");

    // inscriptions: step 3 with a query string; a multipart post whose
    // file is refused next to its field (before the dossier holds one).
    let page = b
        .get(&format!(
            "/inscriptions/nouvelle?enfant={LEA}&activite=restauration"
        ))
        .await;
    assert!(page.body.contains("name=\"piece_1\""), "{}", page.body);
    let r = b
        .post_files(
            "/inscriptions/nouvelle",
            &[
                ("enfant", LEA),
                ("activite", "restauration"),
                ("jours", "lundi"),
            ],
            &[(
                "piece_1",
                "attestation.pdf",
                b"Bonjour, voici mon attestation",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"piece_1-erreur\"") && r.body.contains("Format non accepté"));

    // dossier: a page with a query string; a multipart upload (base64).
    let page = b.get("/dossier/documents?envoye=1").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = b
        .post_files(
            "/dossier/documents",
            &[("piece", "attestation-caf")],
            &[("fichier", "attestation.pdf", PDF)],
        )
        .await;
    assert_eq!(r.location(), "/dossier/documents?envoye=1", "{}", r.body);
    let sent = shared::documents::list(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let (_, _, bytes) = b
        .download(&format!("/dossier/documents/{}", sent[0].id))
        .await;
    assert_eq!(bytes, PDF, "the file went to S3 and back intact");

    // planning: the month view with a query string; an illness declared
    // on a unit that takes none, refused; another dossier's child, unknown.
    let page = b.get("/planning?vue=mois").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let r = b
        .post(
            "/planning/maladie",
            &[(
                "cellule",
                &format!("{LEA}|periscolaire|soir-17h|2026-12-01"),
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = b
        .post(
            "/planning/maladie",
            &[("cellule", "AUTRE|periscolaire|matin|2026-12-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // messagerie: a new thread, multipart with an attachment.
    let page = b.get("/messagerie/nouveau?service=regie").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = b
        .post_files(
            "/messagerie/nouveau",
            &[
                ("service", "regie"),
                ("theme", "Réclamation sur une facture"),
                ("sujet", "Cantine comptée deux fois"),
                ("texte", "Bonjour, la cantine du 3 est comptée deux fois."),
                ("confirmation", "1"),
            ],
            &[("pieces", "facture.pdf", PDF)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let thread = b.follow(r).await;
    assert!(thread.body.contains("Cantine comptée deux fois"));

    // factures and paiement.
    let page = b.get("/factures?annee=2026").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    b.get("/paiement/prelevement?depuis=factures").await;
    let r = b
        .post(
            "/paiement/prelevement",
            &[
                ("titulaire", "Émilie Lefèvre"),
                ("iban", "FR76 3000 1007 94AB 3456 7890 185"),
                ("bic", ""),
                ("accepte", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("pas valide"));

    // backoffice: an agent sets a password and signs in; a page with a
    // query string.
    let mut agent = agent_of(portal, "regie@ville.example.org", Service::Regie).await;
    let inbox = agent.get("/agents/messagerie?etat=ouverts").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert!(inbox.body.contains("Cantine comptée deux fois"));

    // site: the web team publishes an actualité with an image through the
    // backoffice function; the stream record of the content's generation
    // makes the site function build the site and upload it to its bucket.
    let mut web = agent_of(
        portal,
        "communication@ville.example.org",
        Service::Communication,
    )
    .await;
    web.get("/agents/site/actualites/nouvelle").await;
    let photo = crate::publishing::png(1200, 800);
    let r = web
        .post_files(
            "/agents/site/actualites/nouvelle",
            &[
                ("titre", "Portes ouvertes du centre de loisirs"),
                ("date", "2026-11-26"),
                ("resume", "Venez visiter le centre samedi."),
                ("corps", "Samedi **matin**, de 9 h à 12 h."),
                ("image_alt", "La salle de jeux du centre"),
                ("statut", "publier"),
            ],
            &[("image", "salle.png", &photo)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let answer = deployment
        .invoke("site", stream_event("SITE#ETAT", "generation"))
        .await
        .response();
    assert!(answer["envoyes"].as_u64().unwrap() > 20, "{answer}");
    let (s3, bucket) = &deployment.site_bucket;
    let keys = crate::publishing::bucket_keys(s3, bucket).await;
    let page = "actualites/2026-11-26-portes-ouvertes-du-centre-de-loisirs/index.html";
    assert!(keys.iter().any(|k| k == page), "{keys:?}");
    assert!(
        keys.iter()
            .any(|k| k.starts_with("actualites/images/") && k.ends_with("-960.png"))
    );
    // The same record again (a retry): nothing to upload.
    let again = deployment
        .invoke("site", stream_event("SITE#ETAT", "generation"))
        .await
        .response();
    assert_eq!(again["envoyes"], 0, "{again}");

    // mailer: a password reset queues a message; its stream record makes
    // the mailer send it through SES.
    let before = reset_mails(&email).await;
    let mut forgot = portal.browser();
    forgot.get("/compte/mot-de-passe-oublie").await;
    forgot
        .post("/compte/mot-de-passe-oublie", &[("courriel", &email)])
        .await;
    let queued = outbox_keys(portal).await;
    assert!(!queued.is_empty(), "a message waits in the outbox");
    for (pk, sk) in &queued {
        let answer = deployment
            .invoke("mailer", stream_event(pk, sk))
            .await
            .response();
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    }
    assert_eq!(
        reset_mails(&email).await,
        before + 1,
        "the reset e-mail went through SES"
    );
    // The same records again (Lambda retries a batch): nothing sent twice.
    for (pk, sk) in &queued {
        deployment
            .invoke("mailer", stream_event(pk, sk))
            .await
            .response();
    }
    assert_eq!(reset_mails(&email).await, before + 1);

    // jobs: a scheduled event runs the periodic jobs (here, a message left
    // waiting because its stream record never came).
    forgot
        .post("/compte/mot-de-passe-oublie", &[("courriel", &email)])
        .await;
    let answer = deployment
        .invoke("jobs", scheduled_event())
        .await
        .response();
    assert_eq!(answer, Value::Null);
    assert_eq!(reset_mails(&email).await, before + 2);
    assert!(deployment.log("jobs").await.contains("travaux périodiques"));

    // Login throttling counts CloudFront's viewer address: 20 failures from
    // one address, then that address waits, another does not.
    let mut guesser = portal.browser().elsewhere("198.51.100.23:51234");
    guesser.get("/compte/connexion").await;
    for i in 0..20 {
        let r = guesser
            .post(
                "/compte/connexion",
                &[
                    ("identifiant", &format!("inconnu{i}")),
                    ("mot_de_passe", "mauvais"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = guesser
        .post(
            "/compte/connexion",
            &[("identifiant", "someone"), ("mot_de_passe", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let mut neighbour = portal.browser().elsewhere("198.51.100.24:40000");
    neighbour.get("/compte/connexion").await;
    let r = neighbour
        .post(
            "/compte/connexion",
            &[("identifiant", "someone"), ("mot_de_passe", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Nothing went wrong in any function's log.
    for name in FUNCTIONS {
        let log = deployment.log(name).await;
        assert!(
            !log.contains("ERROR") && !log.contains("panicked"),
            "{name}:\n{log}"
        );
        assert!(deployment.still_running(name).await, "{name}");
    }
}

#[tokio::test]
async fn a_bad_event_a_bad_body_or_a_panic_is_answered_and_the_function_goes_on() {
    let deployment = Deployment::start().await;
    let login = HttpRequest::get("/compte/connexion");

    // Not an HTTP API event: an error posted to the runtime API, one line
    // in the log.
    for event in [
        scheduled_event(),
        json!("bonjour"),
        json!({"version": "1.0"}),
    ] {
        match deployment.invoke("account", event.clone()).await {
            Outcome::Error { error_type, body } => {
                assert!(!error_type.is_empty(), "{body}");
                assert!(
                    body["errorMessage"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("pas une requête HTTP API"),
                    "{body}"
                );
            }
            other => panic!("{event}: {other:?}"),
        }
    }
    assert!(
        deployment
            .log("account")
            .await
            .contains("ce n'est pas une requête API Gateway HTTP API")
    );

    // A body marked base64 that is not: a French 400 page.
    let bad = HttpRequest {
        method: "POST",
        body: Some("%%% pas du base64 %%%".into()),
        base64: true,
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        ..HttpRequest::get("/compte/connexion")
    };
    let answer = deployment.invoke("account", bad.event()).await.response();
    assert_eq!(answer["statusCode"], 400, "{answer}");
    assert!(
        answer["body"]
            .as_str()
            .unwrap()
            .contains("Requête illisible")
    );
    assert_eq!(
        answer["headers"]["content-type"],
        "text/html; charset=utf-8"
    );

    // A panic on the request's path (the adapter unwraps the URL it makes
    // of the host header): a French 500 page.
    let broken = HttpRequest {
        headers: vec![("host".into(), "[".into())],
        ..HttpRequest::get("/compte/connexion")
    };
    let answer = deployment
        .invoke("account", broken.event())
        .await
        .response();
    assert_eq!(answer["statusCode"], 500, "{answer}");
    assert!(answer["body"].as_str().unwrap().contains("lang=\"fr\""));

    // The same process still answers.
    for _ in 0..2 {
        let answer = deployment.invoke("account", login.event()).await.response();
        assert_eq!(answer["statusCode"], 200, "{answer}");
    }
    assert!(deployment.still_running("account").await);
}

#[tokio::test]
async fn a_missing_variable_is_reported_as_an_init_error_naming_it() {
    let portal = TestPortal::aws_with_clock(in_process_clock()).await;
    let vars: Vec<(String, String)> = template_variables(&portal)
        .into_iter()
        .filter(|(k, _)| k != "EF_DYNAMODB_TABLE")
        .collect();
    for name in FUNCTIONS {
        let mut function = Function::start(&binary(name), name, &vars).await;
        function.api.initialised().await;
        let (error_type, body) = function
            .api
            .init_error()
            .unwrap_or_else(|| panic!("{name}: no init error; log:\n{}", function.log()));
        assert_eq!(error_type, "Runtime.ConfigError", "{name}");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .contains("EF_DYNAMODB_TABLE"),
            "{name}: {body}"
        );
        assert!(function.api.first_next().is_none(), "{name}");
        assert!(!function.exit().await.success(), "{name}");
        assert!(function.log().contains("EF_DYNAMODB_TABLE"), "{name}");
    }
    // The site function without its bucket names the variable.
    let vars: Vec<(String, String)> = template_variables(&portal);
    let mut function = Function::start(&binary("site"), "site", &vars).await;
    function.api.initialised().await;
    let (error_type, body) = function.api.init_error().expect("init error");
    assert_eq!(error_type, "Runtime.ConfigError");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("EF_SITE_BUCKET"),
        "{body}"
    );
    assert!(!function.exit().await.success());
    // The embedded store (the default when EF_STORE is unset) is refused on
    // Lambda: its code is not even in the binary.
    let vars: Vec<(String, String)> = template_variables(&portal)
        .into_iter()
        .filter(|(k, _)| k != "EF_STORE")
        .collect();
    let mut function = Function::start(&binary("planning"), "planning", &vars).await;
    function.api.initialised().await;
    let (error_type, body) = function.api.init_error().expect("init error");
    assert_eq!(error_type, "Runtime.ConfigError");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("EF_STORE"),
        "{body}"
    );
    assert!(!function.exit().await.success());
}

#[test]
fn an_answer_over_the_payload_limit_becomes_a_french_error_page() {
    let small = json!({"statusCode": 200, "body": "x".repeat(1_000_000), "cookies": []});
    assert_eq!(
        functions::host::within_payload_limit(small.clone(), "/factures"),
        small
    );
    // A file of 4.7 MB, base64 in the answer: 6.3 MB.
    let big = json!({
        "statusCode": 200,
        "body": "QUJD".repeat(1_580_000),
        "isBase64Encoded": true,
        "cookies": []
    });
    let answer = functions::host::within_payload_limit(
        big,
        "/agents/facturation/prelevements/P-2026-000001",
    );
    assert_eq!(answer["statusCode"], 500);
    let page = answer["body"].as_str().unwrap();
    assert!(page.contains("Réponse trop volumineuse") && page.contains("lang=\"fr\""));
    assert!(serde_json::to_vec(&answer).unwrap().len() < functions::host::MAX_PAYLOAD);
}
