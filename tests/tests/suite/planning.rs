//! The planning's store operations, on SQLite and on DynamoDB (moto): many
//! families racing for the last places (exactly as many reservations as
//! places, the rest waiting), the waiting list served in order of arrival
//! with an e-mail, and the lost-update guard of a child's month.

use crate::support::{TestPortal, decider, granted, signed_up_family};
use chrono::{Duration, NaiveDate};
use shared::domain::dossier::Child;
use shared::domain::planning::{State, places_key, unit_ref, waiting_partition};
use shared::planning::{self, Change, Outcome, SaveError};
use shared::store::Query;

const PLACES: usize = 24; // mercredis / demi-journee in the settings

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn child(id: &str) -> Child {
    Child {
        id: id.into(),
        nom: "Famille".into(),
        prenom: id.into(),
        naissance: d("2019-01-01"),
        ecole: "École élémentaire Jean-Jaurès".into(),
        classe: "CP".into(),
        regime: None,
        pai: false,
    }
}

fn half_day(slot: &str, reserve: bool) -> Change {
    Change {
        activity: "mercredis".into(),
        unit: "demi-journee".into(),
        slot: d(slot),
        reserve,
    }
}

async fn taken(portal: &TestPortal, slot: &str) -> i64 {
    let item = portal
        .app
        .store
        .get(&places_key("mercredis", "demi-journee", d(slot)))
        .await
        .unwrap()
        .unwrap();
    item.attrs["pris"].as_i64().unwrap()
}

async fn waiting(portal: &TestPortal, slot: &str) -> Vec<String> {
    portal
        .app
        .store
        .query_all(Query::partition(waiting_partition(
            "mercredis",
            "demi-journee",
            d(slot),
        )))
        .await
        .unwrap()
        .iter()
        .map(|i| i.attrs["enfant"].as_str().unwrap().to_owned())
        .collect()
}

/// `at_once`: the 30 requests race (on SQLite); moto's transactions are not
/// atomic under concurrent requests (a cancelled transaction was seen
/// leaving some of its writes), so there they follow one another — the real
/// DynamoDB service is atomic, and the same code path runs.
async fn capacity_and_waiting_list(portal: TestPortal, at_once: bool) {
    // 30 families for 24 places.
    let slot = "2026-12-09";
    let mut tasks = Vec::new();
    let mut outcomes = Vec::new();
    for i in 0..30 {
        let app = portal.app.clone();
        let task = tokio::spawn(async move {
            let c = child(&format!("RACE{i:02}"));
            planning::save(
                &app,
                &granted(&format!("D-R{i:02}"), &c),
                "2026-12",
                0,
                &[half_day(slot, true)],
            )
            .await
            .unwrap()
        });
        if at_once {
            tasks.push(task);
        } else {
            outcomes.extend(task.await.unwrap());
        }
    }
    for t in tasks {
        outcomes.extend(t.await.unwrap());
    }
    let reserved = outcomes.iter().filter(|o| **o == Outcome::Reserved).count();
    let waited = outcomes.iter().filter(|o| **o == Outcome::Waiting).count();
    assert_eq!((reserved, waited), (PLACES, 30 - PLACES));
    assert_eq!(taken(&portal, slot).await, PLACES as i64);
    assert_eq!(waiting(&portal, slot).await.len(), 30 - PLACES);

    // Order of arrival: fill another Wednesday, then three wait, one second
    // apart, with ids that sort the other way round.
    let slot = "2026-12-16";
    for i in 0..PLACES {
        let c = child(&format!("FULL{i:02}"));
        let o = planning::save(
            &portal.app,
            &granted(&format!("D-F{i:02}"), &c),
            "2026-12",
            0,
            &[half_day(slot, true)],
        )
        .await
        .unwrap();
        assert_eq!(o, [Outcome::Reserved]);
    }
    let lea = shared::demo::children().remove(0);
    let waiters = [
        ("D2026-0142", lea.clone()),
        ("D-W2", child("W-B")),
        ("D-W3", child("W-A")),
    ];
    for (numero, c) in &waiters {
        portal.clock.advance(Duration::seconds(1));
        let o = planning::save(
            &portal.app,
            &granted(numero, c),
            "2026-12",
            0,
            &[half_day(slot, true)],
        )
        .await
        .unwrap();
        assert_eq!(o, [Outcome::Waiting]);
    }
    assert_eq!(
        waiting(&portal, slot).await,
        [lea.id.as_str(), "W-B", "W-A"]
    );
    // A family cancels: the first waiting (Léa) gets the place and an e-mail.
    let (_, v) = planning::load_month(portal.app.store.as_ref(), "D-F00", "FULL00", "2026-12")
        .await
        .unwrap();
    let o = planning::save(
        &portal.app,
        &granted("D-F00", &child("FULL00")),
        "2026-12",
        v,
        &[half_day(slot, false)],
    )
    .await
    .unwrap();
    assert_eq!(o, [Outcome::Cancelled]);
    assert_eq!(waiting(&portal, slot).await, ["W-B", "W-A"]);
    assert_eq!(taken(&portal, slot).await, PLACES as i64);
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
        .await
        .unwrap();
    let uref = unit_ref("mercredis", "demi-journee");
    assert_eq!(m.get(d(slot), &uref).map(|c| c.etat), Some(State::Reserve));
    let mails = portal.mail_texts_to("emilie@example.org").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Une place s'est libérée : Léa Lefèvre")),
        "{mails:?}"
    );
    // Leaving the waiting list frees the turn for the next one.
    let (_, v) = planning::load_month(portal.app.store.as_ref(), "D-W2", "W-B", "2026-12")
        .await
        .unwrap();
    let o = planning::save(
        &portal.app,
        &granted("D-W2", &child("W-B")),
        "2026-12",
        v,
        &[half_day(slot, false)],
    )
    .await
    .unwrap();
    assert_eq!(o, [Outcome::LeftWaitingList]);
    let (_, v) = planning::load_month(portal.app.store.as_ref(), "D-F01", "FULL01", "2026-12")
        .await
        .unwrap();
    planning::save(
        &portal.app,
        &granted("D-F01", &child("FULL01")),
        "2026-12",
        v,
        &[half_day(slot, false)],
    )
    .await
    .unwrap();
    assert!(waiting(&portal, slot).await.is_empty());
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D-W3", "W-A", "2026-12")
        .await
        .unwrap();
    assert_eq!(m.get(d(slot), &uref).map(|c| c.etat), Some(State::Reserve));

    // A stale month is refused: nothing lost silently.
    let c = child("STALE");
    planning::save(
        &portal.app,
        &granted("D-S", &c),
        "2026-12",
        0,
        &[half_day("2026-12-02", true)],
    )
    .await
    .unwrap();
    let again = planning::save(
        &portal.app,
        &granted("D-S", &c),
        "2026-12",
        0,
        &[half_day("2026-12-02", false)],
    )
    .await;
    assert!(matches!(again, Err(SaveError::Conflict)));
    crate::billing::assert_facts_agree(&portal, &["2026-12"]).await;
}

#[tokio::test]
async fn capacity_and_waiting_list_on_sqlite() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    capacity_and_waiting_list(portal, true).await;
}

#[tokio::test]
async fn capacity_and_waiting_list_on_dynamodb() {
    let portal = TestPortal::aws().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    capacity_and_waiting_list(portal, false).await;
}

/// A registration asked and validated through the shared operations.
pub(crate) async fn validated(
    portal: &TestPortal,
    child: &Child,
    activity: &str,
    jours: &[&str],
    debut: &str,
) -> String {
    use shared::domain::inscription::{Inscription, Status};
    let a = shared::settings::embedded().activity(activity).unwrap();
    let ins = Inscription {
        id: ulid::Ulid::new().to_string(),
        numero: "D2026-0142".into(),
        enfant: child.id.clone(),
        enfant_nom: format!("{} {}", child.prenom, child.nom),
        activite: activity.into(),
        activite_nom: a.nom.clone(),
        annee: shared::settings::embedded().school_year(),
        debut: d(debut),
        jours: jours.iter().map(|j| j.to_string()).collect(),
        semaines: vec![],
        documents: vec![],
        statut: Status::EnAttente,
        motif: None,
        demande_le: portal.app.clock.now(),
        decide_le: None,
        decide_par: None,
        reservations: None,
    };
    shared::inscriptions::create(
        &portal.app,
        &granted("D2026-0142", child),
        &ins,
        &[],
        &a.service,
    )
    .await
    .unwrap();
    // Decided a second later: the démarches keep their order on the page.
    portal.clock.advance(Duration::seconds(1));
    shared::inscriptions::decide(
        &portal.app,
        &decider(shared::accounts::Service::Enfance),
        "D2026-0142",
        &shared::ids::RecordId::parse(&ins.id).unwrap(),
        1,
        shared::inscriptions::Decision::Validate,
    )
    .await
    .unwrap();
    ins.id
}

/// The family cancels every day the validation booked for a child (through
/// the planning's own save): for tests that start from an empty planning.
pub(crate) async fn cancel_booked(portal: &TestPortal, child: &Child) {
    let store = portal.app.store.as_ref();
    for month in [
        "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06",
        "2027-07",
    ] {
        let (m, version) = planning::load_month(store, "D2026-0142", &child.id, month)
            .await
            .unwrap();
        let changes: Vec<planning::Change> = m
            .cellules
            .iter()
            .flat_map(|(slot, units)| {
                units.keys().map(move |u| {
                    let (activity, unit) = u.split_once('/').unwrap();
                    planning::Change {
                        activity: activity.into(),
                        unit: unit.into(),
                        slot: *slot,
                        reserve: false,
                    }
                })
            })
            .collect();
        if !changes.is_empty() {
            planning::save(
                &portal.app,
                &granted("D2026-0142", child),
                month,
                version,
                &changes,
            )
            .await
            .unwrap();
        }
    }
}

/// Every value of a hidden field (the month versions).
fn all_values(body: &str, name: &str) -> Vec<String> {
    let needle = format!("name=\"{name}\" value=\"");
    body.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &body[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn post_planning(
    b: &mut crate::support::Browser,
    page: &crate::support::Page,
    cells: &[String],
    date: &str,
) -> crate::support::Page {
    let versions = all_values(&page.body, "v");
    let mut fields: Vec<(&str, &str)> = vec![("vue", "semaine"), ("date", date)];
    fields.extend(versions.iter().map(|v| ("v", v.as_str())));
    fields.extend(cells.iter().map(|c| ("c", c.as_str())));
    b.post("/planning", &fields).await
}

#[tokio::test]
async fn the_family_plans_a_week_and_sees_the_cost() {
    let portal = TestPortal::sqlite().await;
    let mut b = signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    assert!(b.get("/compte").await.body.contains("href=\"/planning\""));
    assert!(
        b.get("/planning")
            .await
            .body
            .contains("Aucune inscription validée")
    );
    let children = shared::demo::children();
    let (lea, hugo) = (&children[0], &children[1]);
    validated(
        &portal,
        lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-30",
    )
    .await;
    // The validation booked the days asked; this test starts empty.
    cancel_booked(&portal, lea).await;
    let cell = |c: &Child, day: &str| format!("{}|restauration|repas|{day}", c.id);

    let week = "/planning?vue=semaine&date=2026-11-30";
    let view = b.get(week).await;
    assert!(view.body.contains("Léa — Repas") && !view.body.contains("Hugo — Repas"));
    assert!(view.body.contains("0,00 €"));
    let edit = b.get(&format!("{week}&modifier=1")).await;
    assert!(
        edit.body
            .contains(&format!("value=\"{}\"", cell(lea, "2026-11-30")))
    );
    // Wednesday is closed: no box.
    assert!(
        !edit
            .body
            .contains(&format!("value=\"{}\"", cell(lea, "2026-12-02")))
    );
    // A second window of the same family, opened now.
    let mut other = b.elsewhere("203.0.113.8:40000");
    other.cookies = b.cookies.clone();
    let stale = other.get(&format!("{week}&modifier=1")).await;

    let r = post_planning(
        &mut b,
        &edit,
        &[cell(lea, "2026-11-30"), cell(lea, "2026-12-03")],
        "2026-11-30",
    )
    .await;
    assert_eq!(
        r.location(),
        "/planning?vue=semaine&date=2026-11-30&enregistre=1"
    );
    let saved = b.follow(r).await;
    assert!(saved.body.contains("Planning enregistré"));
    // 2 meals at 3.30 € (QF 845).
    assert!(saved.body.contains("6,60 €"), "{}", saved.body);
    assert!(
        saved
            .body
            .contains("Léa, Repas, lundi 30 novembre 2026 : réservé")
    );
    // The kitchen's day entry exists.
    let day = portal
        .app
        .store
        .query_all(Query::partition("JOUR#2026-11-30"))
        .await
        .unwrap();
    assert_eq!(day.len(), 1);

    // The other window saves on its stale page: refused, current state shown.
    let r = post_planning(&mut other, &stale, &[cell(lea, "2026-12-01")], "2026-11-30").await;
    assert_eq!(r.status, axum::http::StatusCode::CONFLICT);
    assert!(r.body.contains("modifié entre-temps"));
    assert!(
        r.body
            .contains(&format!("value=\"{}\" checked", cell(lea, "2026-11-30")))
    );

    // Tampered boxes: a closed day, a day out of the registration, a child
    // not registered, another family's child, a day past its deadline.
    let edit = b.get(&format!("{week}&modifier=1")).await;
    for bad in [
        cell(lea, "2026-12-02"),
        cell(lea, "2026-12-05"),
        cell(hugo, "2026-11-30"),
        "AUTRE|restauration|repas|2026-11-30".to_owned(),
        cell(lea, "2026-11-27"),
    ] {
        let r = post_planning(
            &mut b,
            &edit,
            &[cell(lea, "2026-11-30"), bad.clone()],
            "2026-11-30",
        )
        .await;
        assert_eq!(
            r.status,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
        assert!(r.body.contains("n'est pas modifiable"), "{bad}");
    }
    // Thousands of fields.
    let many: Vec<String> = (0..3000).map(|i| format!("x{i}")).collect();
    let r = post_planning(&mut b, &edit, &many, "2026-11-30").await;
    assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("trop de champs"));
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
        .await
        .unwrap();
    assert_eq!(m.cellules.len(), 1);

    // After Thursday 26 November 10:00 (2 working days before Monday 30),
    // Monday is locked: its box is gone, its state stays.
    // (A visit at 8:30 keeps the session alive: 2 hours idle end it.)
    portal.clock.set("2026-11-26T08:30:00Z".parse().unwrap());
    b.get("/planning").await;
    portal.clock.set("2026-11-26T09:00:00Z".parse().unwrap());
    let edit = b.get(&format!("{week}&modifier=1")).await;
    assert!(
        !edit
            .body
            .contains(&format!("value=\"{}\"", cell(lea, "2026-11-30")))
    );
    assert!(
        edit.body
            .contains("Léa, Repas, lundi 30 novembre 2026 : réservé")
    );
    // Unticking the rest (Thursday) keeps Monday.
    let r = post_planning(&mut b, &edit, &[], "2026-11-30").await;
    assert!(r.status.is_redirection());
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-11")
        .await
        .unwrap();
    assert_eq!(m.cellules.len(), 1);
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
        .await
        .unwrap();
    assert!(m.cellules.is_empty());

    // Others: anonymous to the login page, a family without dossier told so.
    assert!(
        portal
            .browser()
            .get("/planning")
            .await
            .location()
            .starts_with("/compte/connexion")
    );
    let mut waiting = signed_up_family(&portal, "Marc", "marc.l", "marc@example.org", false).await;
    assert_eq!(
        waiting.get("/planning").await.status,
        axum::http::StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn illness_the_same_morning_then_a_certificate() {
    let portal = TestPortal::sqlite().await;
    let mut b = signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let lea = shared::demo::children().remove(0);
    validated(&portal, &lea, "periscolaire", &["jeudi"], "2026-11-26").await;
    let store = portal.app.store.as_ref();
    let today = "2026-11-26";
    let reserve = |unit: &str| Change {
        activity: "periscolaire".into(),
        unit: unit.into(),
        slot: d(today),
        reserve: true,
    };
    planning::save(
        &portal.app,
        &granted("D2026-0142", &lea),
        "2026-11",
        0,
        &[reserve("matin"), reserve("soir-17h")],
    )
    .await
    .unwrap();
    let key = |unit: &str| format!("{}|periscolaire|{unit}|{today}", lea.id);
    // 8:00 in Paris: before 9:00, the button is there and works.
    let page = b.get("/planning?vue=semaine&date=2026-11-26").await;
    assert!(page.body.contains(&format!("value=\"{}\"", key("matin"))));
    let r = b
        .post("/planning/maladie", &[("cellule", &key("matin"))])
        .await;
    assert_eq!(
        r.location(),
        "/planning?vue=semaine&date=2026-11-26&maladie=1"
    );
    let page = b.follow(r).await;
    assert!(page.body.contains("Absence pour maladie enregistrée"));
    assert!(page.body.contains("absence maladie — justificatif attendu"));
    let (m, version) = planning::load_month(store, "D2026-0142", &lea.id, "2026-11")
        .await
        .unwrap();
    let uref = unit_ref("periscolaire", "matin");
    assert_eq!(m.get(d(today), &uref).map(|c| c.etat), Some(State::Maladie));
    // Twice, or after 9:00, or another family's child: refused.
    let r = b
        .post("/planning/maladie", &[("cellule", &key("matin"))])
        .await;
    assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            "/planning/maladie",
            &[("cellule", &format!("AUTRE|periscolaire|matin|{today}"))],
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::NOT_FOUND);
    portal.clock.set("2026-11-26T08:00:00Z".parse().unwrap());
    let r = b
        .post("/planning/maladie", &[("cellule", &key("soir-17h"))])
        .await;
    assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        planning::load_month(store, "D2026-0142", &lea.id, "2026-11")
            .await
            .unwrap()
            .1,
        version
    );

    // The certificate: wrong file refused, a PDF makes the day "justifiée".
    let path = format!(
        "/planning/justificatif?cellule={}",
        key("matin").replace('|', "%7C")
    );
    let form = b.get(&path).await;
    assert_eq!(form.status, axum::http::StatusCode::OK);
    let r = b
        .post_files(
            "/planning/justificatif",
            &[("cellule", &key("matin"))],
            &[("fichier", "certificat.pdf", b"pas un pdf")],
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"fichier-erreur\""));
    let r = b
        .post_files(
            "/planning/justificatif",
            &[("cellule", &key("matin"))],
            &[("fichier", "certificat.pdf", b"%PDF-1.4 certificat")],
        )
        .await;
    assert_eq!(
        r.location(),
        "/planning?vue=semaine&date=2026-11-26&justifiee=1"
    );
    let (m, _) = planning::load_month(store, "D2026-0142", &lea.id, "2026-11")
        .await
        .unwrap();
    assert_eq!(
        m.get(d(today), &uref).map(|c| c.etat),
        Some(State::Justifiee)
    );
    let docs = shared::documents::list(store, "D2026-0142").await.unwrap();
    assert_eq!(docs[0].piece.as_deref(), Some("certificat-medical"));
    assert!(
        b.get("/dossier")
            .await
            .body
            .contains("Certificat médical pour le 26/11/2026")
    );
    // A second certificate for the same day: refused, nothing kept.
    let r = b
        .post_files(
            "/planning/justificatif",
            &[("cellule", &key("matin"))],
            &[("fichier", "certificat.pdf", b"%PDF-1.4 encore")],
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        shared::documents::list(store, "D2026-0142")
            .await
            .unwrap()
            .len(),
        1
    );
    crate::billing::assert_facts_agree(&portal, &["2026-11"]).await;
}

#[tokio::test]
async fn a_typical_week_and_a_copy_to_the_sibling() {
    let portal = TestPortal::sqlite().await;
    let mut b = signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let children = shared::demo::children();
    let (lea, hugo) = (&children[0], &children[1]);
    validated(
        &portal,
        lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-30",
    )
    .await;
    validated(
        &portal,
        hugo,
        "restauration",
        &["lundi", "jeudi"],
        "2026-11-30",
    )
    .await;
    // The validations booked the days asked; this test starts empty.
    cancel_booked(&portal, lea).await;
    cancel_booked(&portal, hugo).await;
    let page = b.get("/planning/avancee").await;
    assert!(page.body.contains("Semaine type de Léa"));
    assert!(page.body.contains("value=\"restauration/repas|lundi\""));
    let week = |du: &'static str, au: &'static str, days: &[&'static str]| {
        let mut f: Vec<(&str, String)> = vec![
            ("enfant", lea.id.clone()),
            ("du", du.into()),
            ("au", au.into()),
        ];
        f.extend(
            days.iter()
                .map(|d| ("s", format!("restauration/repas|{d}"))),
        );
        f
    };
    // Bad input: reversed dates, nothing ticked, outside the school year, a
    // weekday that does not exist.
    for (f, field) in [
        (week("2026-12-11", "2026-11-30", &["lundi"]), "au-erreur"),
        (week("2026-11-30", "2026-12-11", &[]), "id=\"s\""),
        (week("2026-08-01", "2026-12-11", &["lundi"]), "du-erreur"),
        (week("2026-11-30", "2026-12-11", &["dimanche"]), "id=\"s\""),
    ] {
        let r = post(&mut b, "/planning/semaine-type", f.clone()).await;
        assert_eq!(
            r.status,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "{f:?}"
        );
        assert!(r.body.contains(field), "{field}");
    }
    assert!(
        planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
            .await
            .unwrap()
            .0
            .cellules
            .is_empty()
    );
    // Mondays and Thursdays for two weeks: the preview names each day and
    // saves nothing; confirmed, they are booked.
    let preview = post(
        &mut b,
        "/planning/semaine-type",
        week("2026-11-30", "2026-12-11", &["lundi", "jeudi"]),
    )
    .await;
    assert!(
        preview
            .body
            .contains("lundi 30 novembre 2026 — Léa, Repas : <strong>à réserver</strong>"),
        "{}",
        preview.body
    );
    assert!(
        planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
            .await
            .unwrap()
            .0
            .cellules
            .is_empty(),
        "the preview saved nothing"
    );
    let r = confirmed(
        &mut b,
        "/planning/semaine-type",
        week("2026-11-30", "2026-12-11", &["lundi", "jeudi"]),
    )
    .await;
    assert_eq!(r.status, axum::http::StatusCode::OK);
    assert!(r.body.contains("4 jour(s) réservé(s)"), "{}", r.body);
    assert!(
        r.body
            .contains("jeudi 10 décembre 2026 — Léa, Repas : <strong>réservé</strong>")
    );
    // Copied to Hugo.
    let copy = vec![
        ("de", lea.id.clone()),
        ("vers", hugo.id.clone()),
        ("copie_du", "2026-11-30".to_owned()),
        ("copie_au", "2026-12-11".to_owned()),
    ];
    let r = confirmed(&mut b, "/planning/copie", copy).await;
    assert!(r.body.contains("4 jour(s) réservé(s)"), "{}", r.body);
    let (m, _) = planning::load_month(portal.app.store.as_ref(), "D2026-0142", &hugo.id, "2026-12")
        .await
        .unwrap();
    assert_eq!(m.cellules.len(), 3);
    // Léa every weekday, now: Fridays are hers only; copying to Hugo says
    // which days it could not do (Tuesdays and Fridays are not his).
    let r = confirmed(
        &mut b,
        "/planning/semaine-type",
        week(
            "2026-11-30",
            "2026-12-11",
            &["lundi", "mardi", "jeudi", "vendredi"],
        ),
    )
    .await;
    assert!(r.body.contains("4 jour(s) réservé(s)"), "{}", r.body);
    let copy = vec![
        ("de", lea.id.clone()),
        ("vers", hugo.id.clone()),
        ("copie_du", "2026-11-30".to_owned()),
        ("copie_au", "2026-12-11".to_owned()),
    ];
    let r = post(&mut b, "/planning/copie", copy).await;
    assert!(r.body.contains("hors de l'inscription de l'enfant"));
    assert!(r.body.contains("mardi 1 décembre 2026"));
    // The same child both ways, or a child of another dossier: refused.
    let same = vec![
        ("de", lea.id.clone()),
        ("vers", lea.id.clone()),
        ("copie_du", "2026-11-30".to_owned()),
        ("copie_au", "2026-12-11".to_owned()),
    ];
    assert_eq!(
        post(&mut b, "/planning/copie", same).await.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = vec![
        ("de", "AUTRE".to_owned()),
        ("vers", lea.id.clone()),
        ("copie_du", "2026-11-30".to_owned()),
        ("copie_au", "2026-12-11".to_owned()),
    ];
    assert_eq!(
        post(&mut b, "/planning/copie", other).await.status,
        axum::http::StatusCode::NOT_FOUND
    );
}

/// Posts an advanced operation: its preview first (nothing saved), then
/// its confirmation.
async fn confirmed(
    b: &mut crate::support::Browser,
    path: &str,
    fields: Vec<(&'static str, String)>,
) -> crate::support::Page {
    let preview = post(b, path, fields.clone()).await;
    assert!(
        preview.body.contains("Rien n'est encore enregistré"),
        "{}",
        preview.body
    );
    let mut fields = fields;
    fields.push(("confirmer", "1".to_owned()));
    post(b, path, fields).await
}

/// Posts owned fields.
async fn post(
    b: &mut crate::support::Browser,
    path: &str,
    fields: Vec<(&'static str, String)>,
) -> crate::support::Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &refs).await
}

#[tokio::test]
async fn attendance_and_daily_counts_for_the_town() {
    use shared::accounts::Service;
    let portal = TestPortal::sqlite().await;
    let mut family =
        signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let lea = shared::demo::children().remove(0);
    let day = "2026-11-30";
    planning::save(
        &portal.app,
        &granted("D2026-0142", &lea),
        "2026-11",
        0,
        &[Change {
            activity: "restauration".into(),
            unit: "repas".into(),
            slot: d(day),
            reserve: true,
        }],
    )
    .await
    .unwrap();
    let list = format!("/agents/pointage?activite=restauration&jour={day}");
    assert!(
        family
            .get(&list)
            .await
            .location()
            .starts_with("/agents/connexion")
    );

    let mut agent =
        crate::agents::agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let page = agent.get(&list).await;
    assert!(page.body.contains("Léa Lefèvre") && page.body.contains("sans porc"));
    let field = format!("p|repas|D2026-0142|{}", lea.id);
    // Each row carries the version it was read at.
    let version_field = format!("v|repas|D2026-0142|{}", lea.id);
    let version = page.input_value(&version_field).expect("version field");
    let form = [
        ("activite", "restauration"),
        ("ecole", ""),
        ("jour", day),
        (field.as_str(), "present"),
        (version_field.as_str(), version.as_str()),
    ];
    // Another service may read, not record.
    let mut regie =
        crate::agents::agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    assert!(
        regie
            .get(&list)
            .await
            .body
            .contains("relève d'un autre service")
    );
    assert_eq!(
        regie.post("/agents/pointage", &form).await.status,
        axum::http::StatusCode::FORBIDDEN
    );
    let r = agent.post("/agents/pointage", &form).await;
    assert!(r.location().ends_with("&enregistre=1"), "{}", r.body);
    let entries = planning::day_entries(portal.app.store.as_ref(), d(day))
        .await
        .unwrap();
    assert_eq!(
        entries[0].presence,
        Some(shared::domain::planning::Presence::Present)
    );
    let bad = [
        ("activite", "restauration"),
        ("ecole", ""),
        ("jour", day),
        (field.as_str(), "peut-etre"),
    ];
    assert_eq!(
        agent.post("/agents/pointage", &bad).await.status,
        axum::http::StatusCode::BAD_REQUEST
    );
    // Hugo came without reservation.
    let walk_in = [
        ("activite", "restauration"),
        ("unite", "repas"),
        ("jour", day),
        ("numero", "D2026-0142"),
        ("prenom", "hugo"),
    ];
    let r = agent
        .post("/agents/pointage/sans-reservation", &walk_in)
        .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert!(
        agent
            .get(&list)
            .await
            .body
            .contains("Hugo Lefèvre (sans réservation)")
    );
    let unknown = [
        ("activite", "restauration"),
        ("unite", "repas"),
        ("jour", day),
        ("numero", "D2026-0142"),
        ("prenom", "Zoé"),
    ];
    assert_eq!(
        agent
            .post("/agents/pointage/sans-reservation", &unknown)
            .await
            .status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    );
    let trail = shared::audit::trail(portal.app.store.as_ref(), "D2026-0142")
        .await
        .unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == "pointage").count(), 2);

    // Counts: one meal (sans porc) expected; Hugo was not expected.
    let counts = agent.get(&format!("/agents/effectifs?jour={day}")).await;
    assert!(counts.body.contains("École élémentaire Jean-Jaurès"));
    assert!(counts.body.contains("dont repas sans porc"));
    let (status, headers, bytes) = agent
        .download(&format!("/agents/effectifs.csv?jour={day}"))
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    assert_eq!(
        headers[axum::http::header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("2026-11-30;\"École élémentaire Jean-Jaurès\";\"Repas\";1\r\n"),
        "{text}"
    );
    crate::billing::assert_facts_agree(&portal, &["2026-11"]).await;
}

/// A validated registration books its weekdays from its start (deadlines
/// respected) and says so on the registration and in the e-mail; a holiday
/// week already full puts the child on the waiting list.
#[tokio::test]
async fn a_validated_registration_books_its_days() {
    use shared::domain::planning::{places_key, unit_ref};
    let portal = TestPortal::sqlite().await;
    let mut b = signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let lea = shared::demo::children().remove(0);
    validated(
        &portal,
        &lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-30",
    )
    .await;
    // December: Mondays, Tuesdays, Thursdays and Fridays until the
    // holidays of 19 December — the 11 open days.
    let (december, _) =
        planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2026-12")
            .await
            .unwrap();
    let meals = unit_ref("restauration", "repas");
    let booked: Vec<String> = december
        .cellules
        .iter()
        .filter(|(_, units)| units.contains_key(&meals))
        .map(|(day, _)| day.format("%d").to_string())
        .collect();
    assert_eq!(
        booked,
        [
            "01", "03", "04", "07", "08", "10", "11", "14", "15", "17", "18"
        ]
    );
    let list = b.get("/inscriptions").await;
    assert!(
        list.body.contains("jour(s) réservé(s) du 30/11/2026"),
        "{}",
        list.body
    );
    portal.deliver_mail().await;
    let mails = portal.mail_texts_to("emilie@example.org").await;
    assert!(
        mails.iter().any(|m| m.contains("a validé l'inscription")
            && m.contains("Planning : ")
            && m.contains("réservé(s) du 30/11/2026")),
        "{mails:?}"
    );
    let week = b.get("/planning?vue=semaine&date=2026-11-30").await;
    // Four meals at 3.30 € (QF 845) the week of 30 November.
    assert!(week.body.contains("13,20 €"), "{}", week.body);

    // A holiday week already full: on the waiting list.
    let monday = d("2027-02-08");
    portal
        .app
        .store
        .put(
            shared::store::Item::new(
                places_key("vacances", "semaine", monday),
                [("pris".to_owned(), 60.into())].into_iter().collect(),
            ),
            shared::store::Condition::NotExists,
        )
        .await
        .unwrap();
    let a = shared::settings::embedded().activity("vacances").unwrap();
    let ins = shared::domain::inscription::Inscription {
        id: ulid::Ulid::new().to_string(),
        numero: "D2026-0142".into(),
        enfant: lea.id.clone(),
        enfant_nom: "Léa Lefèvre".into(),
        activite: "vacances".into(),
        activite_nom: a.nom.clone(),
        annee: shared::settings::embedded().school_year(),
        debut: monday,
        jours: vec![],
        semaines: vec![monday],
        documents: vec![],
        statut: shared::domain::inscription::Status::EnAttente,
        motif: None,
        demande_le: portal.app.clock.now(),
        decide_le: None,
        decide_par: None,
        reservations: None,
    };
    shared::inscriptions::create(
        &portal.app,
        &granted("D2026-0142", &lea),
        &ins,
        &[],
        &a.service,
    )
    .await
    .unwrap();
    let decided = shared::inscriptions::decide(
        &portal.app,
        &decider(shared::accounts::Service::Enfance),
        "D2026-0142",
        &shared::ids::RecordId::parse(&ins.id).unwrap(),
        1,
        shared::inscriptions::Decision::Validate,
    )
    .await
    .unwrap();
    let summary = decided.reservations.unwrap();
    assert!(summary.contains("1 en liste d'attente"), "{summary}");
    let (feb, _) =
        planning::load_month(portal.app.store.as_ref(), "D2026-0142", &lea.id, "2027-02")
            .await
            .unwrap();
    assert_eq!(
        feb.get(monday, &unit_ref("vacances", "semaine"))
            .map(|c| c.etat),
        Some(shared::domain::planning::State::Attente)
    );
}

/// "Modifier" on a period none of whose days can still change opens the
/// first period with an open day, and says so.
#[tokio::test]
async fn modifier_opens_the_first_period_open_for_booking() {
    let portal = TestPortal::sqlite().await;
    let mut b = signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let lea = shared::demo::children().remove(0);
    validated(
        &portal,
        &lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-11-02",
    )
    .await;
    // The week of 16 November is past, and the canteen's days of the week
    // of 23 November are past their deadline (2 working days before, at
    // 10 h): "Modifier" opens the week of 30 November.
    let page = b
        .get("/planning?vue=semaine&date=2026-11-16&modifier=1")
        .await;
    assert!(
        page.body
            .contains("première période ouverte aux réservations, à partir du 30 novembre 2026"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("name=\"date\" value=\"2026-11-30\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("{}|restauration|repas|2026-12-03", lea.id))
    );
    // Without "Modifier", the period asked is shown as it is.
    let page = b.get("/planning?vue=semaine&date=2026-11-16").await;
    assert!(!page.body.contains("première période ouverte"));
}
