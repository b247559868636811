//! The store conformance suite, written once and run against both backends:
//! the embedded SQLite store and the DynamoDB store on moto.

use crate::support::Backend;
use serde_json::{Map, Value, json};
use shared::clock::Clock;
use shared::store::{
    CmpOp, Condition, Item, Key, MAX_ITEM_BYTES, Query, Store, StoreError, Update, Write,
};
use std::sync::Arc;

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("an object"),
    }
}

fn item(pk: &str, sk: &str, v: Value) -> Item {
    Item::new(Key::new(pk, sk), attrs(v))
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.sk.clone()).collect()
}

/// One attribute of a live item.
async fn attr(store: &dyn Store, pk: &str, sk: &str, name: &str) -> Value {
    let item = store.get(&Key::new(pk, sk)).await.unwrap().expect("item");
    item.attrs[name].clone()
}

async fn put(store: &dyn Store, it: Item) {
    store.put(it, Condition::Always).await.expect("put");
}

/// Generates one test per case and backend.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $case() { super::$case(crate::support::sqlite().await).await } )*
        }
        mod dynamodb {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $case() { super::$case(crate::support::dynamodb().await).await } )*
        }
    };
}

conformance!(
    put_get_round_trip_and_versions,
    conditional_writes_fail_cleanly,
    updates_set_add_remove_and_create,
    transactions_roll_back_and_name_the_failed_write,
    transaction_limits_are_the_same,
    racing_conditional_updates_have_one_winner,
    racing_counter_never_goes_below_zero,
    expired_items_are_absent_everywhere,
    queries_are_ordered_and_ranged,
    pagination_follows_tokens_past_expired_items,
    secondary_index_finds_by_another_key,
    oversized_items_are_refused_the_same_way,
    bad_queries_and_reserved_names_are_refused,
    a_rebuilt_item_put_on_a_version_moves_it,
    a_named_transaction_reports_the_failed_write_by_name,
    many_queries_answer_as_each_alone,
);

async fn many_queries_answer_as_each_alone(b: Backend) {
    let s = b.store.as_ref();
    for (pk, sk) in [
        ("A", "ENFANT#1"),
        ("A", "ENFANT#2"),
        ("A", "PROFIL"),
        ("B", "X"),
    ] {
        put(s, item(pk, sk, json!({"v": format!("{pk}{sk}")}))).await;
    }
    let queries = vec![
        Query::partition("A").prefix("ENFANT#"),
        Query::partition("A").prefix("PROFIL"),
        Query::partition("C"),
        Query::partition("A").limit(1),
        Query::partition("B"),
    ];
    let many = s.query_many(&queries).await.unwrap();
    assert_eq!(many.len(), queries.len());
    for (q, page) in queries.iter().zip(&many) {
        assert_eq!(page, &s.query(q).await.unwrap(), "{q:?}");
    }
    assert_eq!(many[0].items.len(), 2);
    assert!(many[2].items.is_empty());
    assert!(many[3].next.is_some());
    // Many at once (a billing chunk asks 600): the same answers, in the
    // order asked.
    let lots: Vec<Query> = queries.iter().cycle().take(101).cloned().collect();
    let answers = s.query_many(&lots).await.unwrap();
    assert_eq!(answers.len(), lots.len());
    for (i, page) in answers.iter().enumerate() {
        assert_eq!(page, &many[i % queries.len()], "query {i}");
    }
    // A bad query among them refuses them all.
    let bad = vec![Query::partition("A"), Query::partition("A").limit(0)];
    assert!(s.query_many(&bad).await.is_err());
}

async fn put_get_round_trip_and_versions(b: Backend) {
    let s = b.store.as_ref();
    let value = json!({
        "nom": "Lefèvre", "n": 42, "neg": -7, "ok": true, "rien": null,
        "liste": [1, "deux", {"trois": 3}], "carte": {"a": "b", "vide": ""},
        "montant": "86.40"
    });
    assert_eq!(s.get(&Key::new("D#1", "PROFIL")).await.unwrap(), None);
    put(s, item("D#1", "PROFIL", value.clone())).await;
    let got = s
        .get(&Key::new("D#1", "PROFIL"))
        .await
        .unwrap()
        .expect("item");
    assert_eq!(Value::Object(got.attrs.clone()), value);
    assert_eq!(got.version, 1);
    // Writing back what was read stores the next version.
    s.put(got, Condition::VersionEquals(1)).await.unwrap();
    let got = s.get(&Key::new("D#1", "PROFIL")).await.unwrap().unwrap();
    assert_eq!(got.version, 2);
}

/// A decision rebuilds its item from a record (version 0) and writes it back
/// guarded by the version it read: the version must move, so that a second
/// decision taken on the same reading fails (the probe's double validation).
async fn a_rebuilt_item_put_on_a_version_moves_it(b: Backend) {
    let s = b.store.as_ref();
    let key = Key::new("D#1", "INSCRIPTION#1");
    put(
        s,
        item("D#1", "INSCRIPTION#1", json!({"statut": "en_attente"})),
    )
    .await;
    let read = s.get(&key).await.unwrap().unwrap().version;
    let decided = item("D#1", "INSCRIPTION#1", json!({"statut": "validee"}));
    s.transact(vec![Write::Put {
        item: decided.clone(),
        condition: Condition::VersionEquals(read),
    }])
    .await
    .unwrap();
    assert_eq!(s.get(&key).await.unwrap().unwrap().version, read + 1);
    let refused = item("D#1", "INSCRIPTION#1", json!({"statut": "refusee"}));
    assert_eq!(
        s.put(refused, Condition::VersionEquals(read)).await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        attr(s, "D#1", "INSCRIPTION#1", "statut").await,
        json!("validee")
    );
}

/// Whatever the order of the writes, a failed condition comes back as the
/// name its write was given.
async fn a_named_transaction_reports_the_failed_write_by_name(b: Backend) {
    use shared::store::{CommitError, Transaction};
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Part {
        Account,
        Username,
    }
    let s = b.store.as_ref();
    put(s, item("U#lea", "UNIQUE", json!({}))).await;
    let new = |pk: &str| Write::Put {
        item: item(pk, "UNIQUE", json!({})),
        condition: Condition::NotExists,
    };
    for username_first in [false, true] {
        let mut tx = Transaction::new();
        if username_first {
            tx.add(Part::Username, new("U#lea"))
                .add(Part::Account, new("C#1"));
        } else {
            tx.add(Part::Account, new("C#1"))
                .add(Part::Username, new("U#lea"));
        }
        assert_eq!(s.commit(tx).await, Err(CommitError::Failed(Part::Username)));
    }
    assert_eq!(s.get(&Key::new("C#1", "UNIQUE")).await.unwrap(), None);
    let mut tx = Transaction::new();
    tx.add(Part::Account, new("C#1"))
        .add(Part::Username, new("U#marc"));
    assert_eq!(s.commit(tx).await, Ok(()));
}

async fn conditional_writes_fail_cleanly(b: Backend) {
    let s = b.store.as_ref();
    let key = Key::new("U#lea", "COMPTE");
    s.put(
        item("U#lea", "COMPTE", json!({"v": 1})),
        Condition::NotExists,
    )
    .await
    .unwrap();
    assert_eq!(
        s.put(
            item("U#lea", "COMPTE", json!({"v": 2})),
            Condition::NotExists
        )
        .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        s.put(item("U#absent", "COMPTE", json!({})), Condition::Exists)
            .await,
        Err(StoreError::ConditionFailed)
    );
    assert_eq!(
        s.update(
            key.clone(),
            Update::default().set("v", 3),
            Condition::VersionEquals(7)
        )
        .await,
        Err(StoreError::ConditionFailed)
    );
    let cmp = |op, value| Condition::Compare {
        attr: "v".into(),
        op,
        value,
    };
    assert_eq!(
        s.delete(key.clone(), cmp(CmpOp::Gt, 1)).await,
        Err(StoreError::ConditionFailed)
    );
    // Nothing changed by the failed writes.
    let got = s.get(&key).await.unwrap().unwrap();
    assert_eq!(got.attrs["v"], json!(1));
    assert_eq!(got.version, 1);
    s.delete(key.clone(), cmp(CmpOp::Eq, 1)).await.unwrap();
    assert_eq!(s.get(&key).await.unwrap(), None);
    assert_eq!(
        s.write(Write::Check {
            key,
            condition: Condition::Exists
        })
        .await,
        Err(StoreError::ConditionFailed)
    );
}

async fn updates_set_add_remove_and_create(b: Backend) {
    let s = b.store.as_ref();
    let key = Key::new("A#cantine", "PLACES#2026-12-01");
    // An update creates the item when absent.
    s.update(
        key.clone(),
        Update::default()
            .set("libelle", "Cantine")
            .add("places", 30),
        Condition::NotExists,
    )
    .await
    .unwrap();
    s.update(
        key.clone(),
        Update::default()
            .add("places", -1)
            .set("note", "x")
            .remove("libelle"),
        Condition::VersionEquals(1),
    )
    .await
    .unwrap();
    let got = s.get(&key).await.unwrap().unwrap();
    assert_eq!(Value::Object(got.attrs), json!({"places": 29, "note": "x"}));
    assert_eq!(got.version, 2);
    assert!(matches!(
        s.update(key, Update::default().add("note", 1), Condition::Always)
            .await,
        Err(StoreError::InvalidItem(_))
    ));
}

async fn transactions_roll_back_and_name_the_failed_write(b: Backend) {
    let s = b.store.as_ref();
    put(s, item("T", "existing", json!({"n": 1}))).await;
    let writes = vec![
        Write::Put {
            item: item("T", "new-1", json!({})),
            condition: Condition::NotExists,
        },
        Write::Update {
            key: Key::new("T", "existing"),
            update: Update::default().add("n", 1),
            condition: Condition::Exists,
        },
        Write::Put {
            item: item("T", "existing-2", json!({})),
            condition: Condition::Exists,
        },
    ];
    assert_eq!(
        s.transact(writes.clone()).await,
        Err(StoreError::TransactionCancelled { index: 2 })
    );
    assert_eq!(s.get(&Key::new("T", "new-1")).await.unwrap(), None);
    assert_eq!(attr(s, "T", "existing", "n").await, json!(1));
    // The same transaction applies once its condition holds.
    put(s, item("T", "existing-2", json!({}))).await;
    s.transact(writes).await.unwrap();
    assert!(s.get(&Key::new("T", "new-1")).await.unwrap().is_some());
    assert_eq!(attr(s, "T", "existing", "n").await, json!(2));
    // A check can guard a write on another item.
    let guarded = vec![
        Write::Check {
            key: Key::new("T", "absent"),
            condition: Condition::Exists,
        },
        Write::Delete {
            key: Key::new("T", "new-1"),
            condition: Condition::Always,
        },
    ];
    assert_eq!(
        s.transact(guarded).await,
        Err(StoreError::TransactionCancelled { index: 0 })
    );
    assert!(s.get(&Key::new("T", "new-1")).await.unwrap().is_some());
}

async fn transaction_limits_are_the_same(b: Backend) {
    let s = b.store.as_ref();
    let puts = |n: usize| -> Vec<Write> {
        (0..n)
            .map(|i| Write::Put {
                item: item("L", &format!("{i:03}"), json!({"i": i})),
                condition: Condition::NotExists,
            })
            .collect()
    };
    assert!(matches!(
        s.transact(puts(101)).await,
        Err(StoreError::InvalidTransaction(_))
    ));
    s.transact(puts(100)).await.unwrap();
    assert_eq!(s.query_all(Query::partition("L")).await.unwrap().len(), 100);
    let twice = vec![
        Write::Delete {
            key: Key::new("L", "000"),
            condition: Condition::Always,
        },
        Write::Delete {
            key: Key::new("L", "000"),
            condition: Condition::Always,
        },
    ];
    assert!(matches!(
        s.transact(twice).await,
        Err(StoreError::InvalidTransaction(_))
    ));
}

async fn racing_conditional_updates_have_one_winner(b: Backend) {
    put(
        b.store.as_ref(),
        item("R", "planning", json!({"jours": []})),
    )
    .await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store: Arc<dyn Store> = b.store.clone();
            tokio::spawn(async move {
                store
                    .update(
                        Key::new("R", "planning"),
                        Update::default().set("auteur", i),
                        Condition::VersionEquals(1),
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
    let got = b
        .store
        .get(&Key::new("R", "planning"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.version, 2);
}

async fn racing_counter_never_goes_below_zero(b: Backend) {
    put(b.store.as_ref(), item("R", "places", json!({"libres": 5}))).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store: Arc<dyn Store> = b.store.clone();
            tokio::spawn(async move {
                store
                    .update(
                        Key::new("R", "places"),
                        Update::default().add("libres", -1),
                        Condition::Compare {
                            attr: "libres".into(),
                            op: CmpOp::Gt,
                            value: 0,
                        },
                    )
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 5);
    let got = b
        .store
        .get(&Key::new("R", "places"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.attrs["libres"], json!(0));
}

async fn expired_items_are_absent_everywhere(b: Backend) {
    let s = b.store.as_ref();
    let now = b.clock.now().timestamp();
    let pending = item("E", "compte", json!({"nom": "a"}))
        .with_gsi1("EMAIL#a@example.org", "COMPTE")
        .expiring_at(now + 60);
    put(s, pending).await;
    put(s, item("E", "durable", json!({}))).await;
    let key = Key::new("E", "compte");
    assert!(s.get(&key).await.unwrap().is_some());
    assert_eq!(s.query_all(Query::partition("E")).await.unwrap().len(), 2);

    b.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(s.get(&key).await.unwrap(), None);
    assert_eq!(
        sks(&s.query_all(Query::partition("E")).await.unwrap()),
        vec!["durable"]
    );
    assert!(
        s.query_all(Query::gsi1("EMAIL#a@example.org"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.write(Write::Check {
            key: key.clone(),
            condition: Condition::Exists
        })
        .await,
        Err(StoreError::ConditionFailed)
    );
    // An update of an expired item starts from nothing.
    s.update(
        key.clone(),
        Update::default().set("autre", 1),
        Condition::NotExists,
    )
    .await
    .unwrap();
    let fresh = s.get(&key).await.unwrap().unwrap();
    assert_eq!(Value::Object(fresh.attrs), json!({"autre": 1}));
    assert_eq!(fresh.expires_at, None);
    assert_eq!(fresh.version, 1);
    // The name is free again for a new pending item.
    s.put(
        item("E", "compte", json!({"nom": "b"})).expiring_at(now + 3600),
        Condition::Always,
    )
    .await
    .unwrap();
    s.put(item("E", "compte", json!({})), Condition::NotExists)
        .await
        .unwrap_err();
}

async fn queries_are_ordered_and_ranged(b: Backend) {
    let s = b.store.as_ref();
    for sk in [
        "ENFANT#02",
        "FACTURE#2026-10",
        "ENFANT#01",
        "FACTURE#2026-09",
        "FACTURE#2026-11",
        "PROFIL",
        "ENFANT#10",
        "ÉTAPE#1",
    ] {
        put(s, item("D#9", sk, json!({}))).await;
    }
    put(s, item("D#90", "ENFANT#00", json!({}))).await;
    let all = s.query_all(Query::partition("D#9")).await.unwrap();
    assert_eq!(
        sks(&all),
        vec![
            "ENFANT#01",
            "ENFANT#02",
            "ENFANT#10",
            "FACTURE#2026-09",
            "FACTURE#2026-10",
            "FACTURE#2026-11",
            "PROFIL",
            "ÉTAPE#1"
        ]
    );
    let children = s
        .query_all(Query::partition("D#9").prefix("ENFANT#"))
        .await
        .unwrap();
    assert_eq!(sks(&children), vec!["ENFANT#01", "ENFANT#02", "ENFANT#10"]);
    let newest_first = s
        .query(
            &Query::partition("D#9")
                .prefix("FACTURE#")
                .descending()
                .limit(2),
        )
        .await
        .unwrap();
    assert_eq!(
        sks(&newest_first.items),
        vec!["FACTURE#2026-11", "FACTURE#2026-10"]
    );
    let range = s
        .query_all(Query::partition("D#9").between("FACTURE#2026-09", "FACTURE#2026-10"))
        .await
        .unwrap();
    assert_eq!(sks(&range), vec!["FACTURE#2026-09", "FACTURE#2026-10"]);
    let accents = s
        .query_all(Query::partition("D#9").prefix("É"))
        .await
        .unwrap();
    assert_eq!(sks(&accents), vec!["ÉTAPE#1"]);
}

async fn pagination_follows_tokens_past_expired_items(b: Backend) {
    let s = b.store.as_ref();
    let now = b.clock.now().timestamp();
    for i in 0..30 {
        // Every third item expires: 20 remain.
        let mut it = item("P", &format!("J#{i:02}"), json!({"i": i}));
        if i % 3 == 1 {
            it = it.expiring_at(now + 5);
        }
        put(s, it).await;
    }
    b.clock.advance(chrono::Duration::seconds(5));
    for descending in [false, true] {
        let mut query = Query::partition("P").prefix("J#").limit(7);
        query.descending = descending;
        let mut pages = Vec::new();
        loop {
            let page = s.query(&query).await.unwrap();
            pages.push(sks(&page.items));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![7, 7, 6], "descending={descending}");
        let mut flat: Vec<String> = pages.concat();
        let mut expected: Vec<String> = (0..30)
            .filter(|i| i % 3 != 1)
            .map(|i| format!("J#{i:02}"))
            .collect();
        if descending {
            expected.reverse();
        }
        assert_eq!(flat.len(), 20);
        assert_eq!(std::mem::take(&mut flat), expected);
    }
    // An exact multiple of the limit ends without an empty last page.
    let page = s
        .query(&Query::partition("P").prefix("J#").limit(20))
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.next), (20, None));
}

async fn secondary_index_finds_by_another_key(b: Backend) {
    let s = b.store.as_ref();
    for (i, child) in ["Léa", "Hugo", "Zoé"].iter().enumerate() {
        let it = item(&format!("DOSSIER#{i}"), "PROFIL", json!({"enfant": child}))
            .with_gsi1("ECOLE#jaures", format!("ENFANT#{child}"));
        put(s, it).await;
    }
    put(
        s,
        item("DOSSIER#9", "PROFIL", json!({})).with_gsi1("ECOLE#autre", "ENFANT#X"),
    )
    .await;
    let page1 = s
        .query(&Query::gsi1("ECOLE#jaures").limit(2))
        .await
        .unwrap();
    assert_eq!(page1.items.len(), 2);
    assert_eq!(page1.items[0].attrs["enfant"], json!("Hugo"));
    let page2 = s
        .query(
            &Query::gsi1("ECOLE#jaures")
                .limit(2)
                .after(page1.next.clone()),
        )
        .await
        .unwrap();
    let names: Vec<&Value> = page2.items.iter().map(|i| &i.attrs["enfant"]).collect();
    assert_eq!(names, vec![&json!("Zoé")]);
    assert_eq!(page2.next, None);
    let prefixed = s
        .query_all(Query::gsi1("ECOLE#jaures").prefix("ENFANT#L"))
        .await
        .unwrap();
    assert_eq!(prefixed.len(), 1);
    assert_eq!(prefixed[0].key, Key::new("DOSSIER#0", "PROFIL"));
    // An update may index a new item, or keep an item's index key.
    let indexing = Update::default()
        .with_gsi1("ECOLE#jaures", "ENFANT#Aya")
        .set("enfant", json!("Aya"));
    s.update(
        Key::new("DOSSIER#5", "PROFIL"),
        indexing,
        Condition::NotExists,
    )
    .await
    .unwrap();
    s.update(
        Key::new("DOSSIER#5", "PROFIL"),
        Update::default().set("classe", json!("CP")),
        Condition::Exists,
    )
    .await
    .unwrap();
    let found = s
        .query_all(Query::gsi1("ECOLE#jaures").prefix("ENFANT#A"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attrs["classe"], json!("CP"));
    assert_eq!(found[0].gsi1, Some(Key::new("ECOLE#jaures", "ENFANT#Aya")));
    // A table token is not a GSI token.
    let table_page = s
        .query(&Query::partition("DOSSIER#0").limit(1))
        .await
        .unwrap();
    assert_eq!(table_page.next, None);
}

async fn oversized_items_are_refused_the_same_way(b: Backend) {
    let s = b.store.as_ref();
    let big = "x".repeat(MAX_ITEM_BYTES);
    let err = s
        .put(
            item("B", "gros", json!({ "contenu": big })),
            Condition::Always,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ItemTooLarge { size } if size > MAX_ITEM_BYTES));
    assert_eq!(
        err.to_string().split(':').next(),
        Some("élément trop volumineux ")
    );
    assert_eq!(s.get(&Key::new("B", "gros")).await.unwrap(), None);
    // Just under the limit goes through.
    let fits = "x".repeat(MAX_ITEM_BYTES - 100);
    s.put(
        item("B", "juste", json!({ "contenu": fits })),
        Condition::Always,
    )
    .await
    .unwrap();
    // An update that would take it over is refused too.
    let err = s
        .update(
            Key::new("B", "juste"),
            Update::default().set("plus", "y".repeat(10_000)),
            Condition::Always,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ItemTooLarge { .. }), "{err:?}");
    // In a transaction as well.
    let err = s
        .transact(vec![Write::Put {
            item: item(
                "B",
                "gros",
                json!({ "contenu": "x".repeat(MAX_ITEM_BYTES) }),
            ),
            condition: Condition::Always,
        }])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ItemTooLarge { .. }));
}

async fn bad_queries_and_reserved_names_are_refused(b: Backend) {
    let s = b.store.as_ref();
    assert!(matches!(
        s.query(&Query::partition("P").after(Some("pas-un-jeton".into())))
            .await,
        Err(StoreError::InvalidQuery(_))
    ));
    assert!(matches!(
        s.query(&Query::partition("P").limit(0)).await,
        Err(StoreError::InvalidQuery(_))
    ));
    assert!(matches!(
        s.put(item("P", "x", json!({"ttl": 5})), Condition::Always)
            .await,
        Err(StoreError::InvalidItem(_))
    ));
    assert!(matches!(
        s.get(&Key::new("", "x")).await,
        Err(StoreError::InvalidItem(_))
    ));
}
