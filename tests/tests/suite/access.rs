//! The access matrix, generated from the portal's route table
//! (`functions::all_route_groups`): every route that takes an id is tried
//! by a second family with the first family's ids (GET, and POST with the
//! second family's valid CSRF token); every `/agents` route by a family;
//! every decision by an agent of the other service. All are refused, and
//! nothing in the store changes. A route added with an id is in the matrix
//! the day it is added: the test fails until it knows a value for the id,
//! and fails if the route lets the intruder through.

use crate::agents::agent_of;
use crate::inscriptions::{emilie, martin};
use crate::support::{Browser, Page, TestPortal, granted};
use axum::http::StatusCode;
use shared::accounts::Service;
use shared::config::StoreConfig;
use shared::planning::grid::cell_key;

const DEMO: &str = "D2026-0142";

/// The first family's objects, by the name of the id that reaches them.
struct Ids {
    child: String,
    child_name: String,
    document: String,
    registration: String,
    account: String,
    message: String,
    campaign: String,
    thread: String,
    piece: String,
}

impl Ids {
    /// The value of an id of a route: path ids by their route, form ids by
    /// their name. Panics on an id it does not know: add it here.
    fn value(&self, path: &str, id: &str) -> String {
        match id {
            "numero" | "dossier" => DEMO.into(),
            "facture" => shared::demo::invoice().numero,
            "rum" => shared::demo::mandate().rum,
            "fil" => self.thread.clone(),
            "piece" => self.piece.clone(),
            "id" if path.starts_with("/agents/messagerie/reponses/") => {
                ulid::Ulid::new().to_string()
            }
            "remise" => "P-2026-000001".into(),
            // The web team's pages: the site's own content, no family's.
            "slug" => "2026-11-23-greve-jeudi".into(),
            "fichier" => "menus-decembre-2026.pdf".into(),
            "image" => "01jc0000000000000000000000-480.png".into(),
            "id" if path.starts_with("/agents/facturation/") => self.campaign.clone(),
            "enfant" | "de" | "vers" => self.child.clone(),
            "c" | "cellule" => cell_key(
                &self.child,
                "restauration",
                "repas",
                chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            ),
            "id" if path.contains("/documents/") => self.document.clone(),
            "id" if path.starts_with("/agents/inscriptions/") => self.registration.clone(),
            "id" if path.starts_with("/agents/comptes/") => self.account.clone(),
            "id" if path.starts_with("/agents/courriels/") => self.message.clone(),
            other => panic!(
                "la route {path} prend l'identifiant « {other} » : donnez-lui une valeur de la première famille dans tests/tests/suite/access.rs"
            ),
        }
    }

    /// The route's path with the first family's ids, and its form.
    fn request(&self, route: &functions::routes::Route) -> (String, Vec<(String, String)>) {
        let mut path = route.path.to_owned();
        for id in route.path_ids() {
            path = path.replace(&format!("{{{id}}}"), &self.value(route.path, id));
        }
        let form = route
            .form_ids
            .iter()
            .map(|id| (id.to_string(), self.value(route.path, id)))
            .collect();
        (path, form)
    }
}

/// Every item of the store but sessions and rate counters (what a refused
/// request may touch), as text.
fn store_state(portal: &TestPortal) -> Vec<String> {
    let StoreConfig::Sqlite { path } = &portal.app.config.store else {
        panic!("the matrix runs on the embedded store");
    };
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT pk || ' ' || sk || ' v' || ver || ' ' || doc FROM items
             WHERE pk NOT LIKE 'SESSION#%' AND pk NOT LIKE 'LIMITE#%' ORDER BY pk, sk",
        )
        .unwrap();
    statement
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// GET, then POST with the actor's own valid CSRF token.
async fn both(actor: &mut Browser, path: &str, form: &[(String, String)]) -> [Page; 2] {
    let query = serde_urlencoded::to_string(form).unwrap();
    let get = actor
        .get(&if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        })
        .await;
    // A page of the actor's own carries its CSRF token.
    actor.get("/compte").await;
    actor.get("/agents").await;
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let post = actor.post(path, &fields).await;
    [get, post]
}

/// A POST is refused (4xx, or a redirect to a login); a GET may show the
/// intruder's own page (a route whose ids are its form's), never the first
/// family's objects.
fn refused(page: &Page, post: bool, what: &str, ids: &Ids) {
    assert!(
        !(post && page.status.is_success()),
        "{what}: {} — the intruder was let through",
        page.status
    );
    for shown in [&ids.child_name, &ids.document, &ids.registration] {
        assert!(
            !page.body.contains(shown.as_str()),
            "{what}: the first family's {shown} is shown"
        );
    }
}

/// A campaign of the régie (for the routes that take its id).
async fn billing_campaign(portal: &TestPortal) -> String {
    let form = shared::billing::campaigns::OpenForm {
        mois: "2026-10".into(),
        activites: vec!["restauration".into()],
        emise_le: "2026-11-26".into(),
        echeance: "2026-12-20".into(),
        ..Default::default()
    };
    let s = &portal.app.settings;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let opening = shared::billing::campaigns::check_opening(s, &form, today, &[]).unwrap();
    let regie = crate::support::decider(Service::Regie);
    let c = shared::billing::campaigns::open(&portal.app, &regie, opening)
        .await
        .unwrap();
    crate::billing::run_jobs(portal).await;
    c.id
}

#[tokio::test]
async fn every_route_with_an_id_refuses_everyone_else() {
    let portal = TestPortal::sqlite().await;
    // The first family: Émilie (dossier D2026-0142, Léa), with a document
    // and a registration; the second: the Martins (D2025-0007).
    let mut first = emilie(&portal).await;
    first.get("/dossier/documents").await;
    let sent = first
        .post_files(
            "/dossier/documents",
            &[("piece", "assurance")],
            &[("fichier", "attestation.pdf", crate::inscriptions::PDF)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let lea = shared::demo::children().remove(0);
    let document = shared::documents::list(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
        .remove(0)
        .id;
    let ins = crate::planning::validated(
        &portal,
        &lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-30",
    )
    .await;
    let account = shared::accounts::service::linked_accounts(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
        .remove(0)
        .id;
    // A message of the first family to the enfance service, with a file.
    first.get("/messagerie/nouveau").await;
    let sent = first
        .post_files(
            "/messagerie/nouveau",
            &[
                ("service", "enfance"),
                ("theme", "Inscriptions et dossier"),
                ("sujet", "Question"),
                ("texte", "Bonjour"),
            ],
            &[("pieces", "attestation.pdf", crate::inscriptions::PDF)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let thread = shared::messages::threads::of_dossier(portal.app.store.as_ref(), DEMO)
        .await
        .unwrap()
        .remove(0)
        .id;
    let piece =
        shared::messages::threads::conversation(portal.app.store.as_ref(), DEMO, &thread, true)
            .await
            .unwrap()
            .unwrap()
            .0
            .messages[0]
            .pieces[0]
            .id
            .clone();
    portal.deliver_mail().await;
    let ids = Ids {
        child: lea.id.clone(),
        child_name: "Léa".into(),
        document,
        registration: ins,
        account,
        message: ulid::Ulid::new().to_string(),
        campaign: billing_campaign(&portal).await,
        thread,
        piece,
    };
    let mut second = martin(&portal).await;
    let mut other_service = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    let mut not_regie = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let _ = granted(DEMO, &lea);
    let before = store_state(&portal);

    let table = functions::all_route_groups();
    let routes = table.table();
    let mut tried = 0usize;
    // A second family, with the first family's ids.
    for route in routes.iter().filter(|r| r.takes_ids()) {
        let (path, form) = ids.request(route);
        let [get, post] = both(&mut second, &path, &form).await;
        refused(&get, false, &format!("famille B, GET {}", route.path), &ids);
        refused(
            &post,
            true,
            &format!("famille B, POST {}", route.path),
            &ids,
        );
        tried += 1;
    }
    // A family on every agents' route (but the agents' public pages).
    let public = ["/agents/connexion", "/agents/mot-de-passe"];
    for route in routes
        .iter()
        .filter(|r| r.path.starts_with("/agents") && !public.contains(&r.path))
    {
        let (path, form) = ids.request(route);
        for page in both(&mut first, &path, &form).await {
            // To the agents' login, or no such method on the route.
            let to_login = page.status == StatusCode::SEE_OTHER
                && page.location().starts_with("/agents/connexion");
            assert!(
                to_login || page.status == StatusCode::METHOD_NOT_ALLOWED,
                "famille sur {path} : {} {}",
                page.status,
                page.location()
            );
        }
        tried += 1;
    }
    // An agent of the other service on every decision.
    let decisions: Vec<_> = routes
        .iter()
        .filter(|r| r.path.ends_with("/decision") || r.path.starts_with("/agents/pointage"))
        .collect();
    assert_eq!(decisions.len(), 3, "{decisions:?}");
    for route in decisions {
        let (path, _) = ids.request(route);
        other_service.get("/agents").await;
        let fields = [
            ("decision", "valider"),
            ("version", "1"),
            ("activite", "restauration"),
            ("unite", "repas"),
            ("jour", "2026-11-30"),
            ("ecole", ""),
            ("numero", DEMO),
            ("prenom", "Léa"),
        ];
        let page = other_service.post(&path, &fields).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "régie sur {path}: {}",
            page.body
        );
        tried += 1;
    }
    // An agent of another service on every route of an enfance thread.
    for route in routes
        .iter()
        .filter(|r| r.path.starts_with("/agents/messagerie/{numero}/{fil}"))
    {
        let (path, _) = ids.request(route);
        other_service.get("/agents").await;
        let get = other_service.get(&path).await;
        let fields = [("texte", "x"), ("vers", "regie")];
        let post = if path.ends_with("/repondre") {
            other_service.post_files(&path, &fields, &[]).await
        } else {
            other_service.post(&path, &fields).await
        };
        for page in [get, post] {
            assert!(
                page.status == StatusCode::FORBIDDEN
                    || page.status == StatusCode::METHOD_NOT_ALLOWED,
                "régie sur {path}: {} {}",
                page.status,
                page.body
            );
        }
        tried += 1;
    }
    // An agent of another service on every régie decision.
    let regie_decisions: Vec<_> = routes
        .iter()
        .filter(|r| r.path.starts_with("/agents/facturation") || r.path.ends_with("/paiement"))
        .collect();
    for route in regie_decisions {
        let (path, _) = ids.request(route);
        not_regie.get("/agents").await;
        let fields = [
            ("version", "1"),
            ("mois", "2026-10"),
            ("activites", "restauration"),
            ("emise_le", "2026-11-26"),
            ("echeance", "2026-12-20"),
            ("dossier", DEMO),
            ("jour", "x"),
            ("motif", "essai"),
            ("montant", "1"),
            ("moyen", "especes"),
        ];
        let page = not_regie.post(&path, &fields).await;
        assert!(
            page.status == StatusCode::FORBIDDEN || page.status == StatusCode::METHOD_NOT_ALLOWED,
            "enfance sur {path}: {} {}",
            page.status,
            page.body
        );
        tried += 1;
    }
    assert_eq!(
        store_state(&portal),
        before,
        "a refused request changed the store"
    );
    // The matrix's size, for the record: routes tried × actors.
    println!(
        "matrice d'accès : {tried} couples (route, acteur) sur {} routes",
        routes.len()
    );
    assert!(tried >= 20, "{tried}");
}
