//! The planning's store operations, on SQLite and on DynamoDB (moto): many
//! families racing for the last places (exactly as many reservations as
//! places, the rest waiting), the waiting list served in order of arrival
//! with an e-mail, and the lost-update guard of a child's month.

use crate::support::{TestPortal, signed_up_family};
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

async fn capacity_and_waiting_list(portal: TestPortal) {
    // 30 families at once for 24 places.
    let slot = "2026-12-09";
    let mut tasks = Vec::new();
    for i in 0..30 {
        let app = portal.app.clone();
        tasks.push(tokio::spawn(async move {
            let c = child(&format!("RACE{i:02}"));
            planning::save(
                &app,
                &format!("D-R{i:02}"),
                &c,
                "2026-12",
                0,
                &[half_day(slot, true)],
            )
            .await
            .unwrap()
        }));
    }
    let mut outcomes = Vec::new();
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
            &format!("D-F{i:02}"),
            &c,
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
            numero,
            c,
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
        "D-F00",
        &child("FULL00"),
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
        "D-W2",
        &child("W-B"),
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
        "D-F01",
        &child("FULL01"),
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
        "D-S",
        &c,
        "2026-12",
        0,
        &[half_day("2026-12-02", true)],
    )
    .await
    .unwrap();
    let again = planning::save(
        &portal.app,
        "D-S",
        &c,
        "2026-12",
        0,
        &[half_day("2026-12-02", false)],
    )
    .await;
    assert!(matches!(again, Err(SaveError::Conflict)));
}

#[tokio::test]
async fn capacity_and_waiting_list_on_sqlite() {
    let portal = TestPortal::sqlite().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    capacity_and_waiting_list(portal).await;
}

#[tokio::test]
async fn capacity_and_waiting_list_on_dynamodb() {
    let portal = TestPortal::aws().await;
    signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    capacity_and_waiting_list(portal).await;
}
