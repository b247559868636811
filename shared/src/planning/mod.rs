//! The planning: day-by-day reservations of the children registered to an
//! activity, with deadlines, capacity and waiting lists.
//!
//! A save changes one child's month in one transaction: the month item
//! (whose version guards against a lost update), the day entries the
//! town's lists read, and the place counters — a counter's condition
//! (`pris < places`) refuses the last place twice, and the refused slot goes
//! to the waiting list instead. A freed place goes to the first on the
//! waiting list, who is told by e-mail.

pub mod advanced;
pub mod booking;
pub mod counts;
#[cfg(test)]
mod fixtures;
pub mod grid;
pub mod rules;

use crate::access::Granted;
use crate::app::App;
use crate::billing::facts::Changes as Facts;
use crate::calendar::runs_on;
use crate::domain::dossier::Child;
use crate::domain::planning::{
    Cell, DayEntry, Month, State, day_key, month_id, month_key, places_key, unit_ref, waiting_key,
    waiting_partition,
};
use crate::settings::{Activity, Calendar, Category, Settings, Unit};
use crate::store::{
    CmpOp, CommitError, Condition, Item, Query, Store, StoreError, Transaction, Update, Write,
};
use chrono::{Duration, NaiveDate};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A slot whose place a cancellation freed: (activity, unit, slot).
type Freed = (String, String, NaiveDate);

/// Most writes in one transaction (DynamoDB's limit).
const MAX_WRITES: usize = 100;
/// How many times a save retries after meeting a concurrent transaction.
const MAX_CONFLICT_ROUNDS: usize = 25;

/// Waits before retrying a transaction that met another: a random delay
/// that grows with the rounds, so that racing sessions spread out.
async fn back_off(round: usize) {
    use rand::Rng;
    let ceiling = 5u64 << round.min(6);
    let ms = rand::rng().random_range(1..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// A child's month and the version read (0 when nothing was ever saved).
pub async fn load_month(
    store: &dyn Store,
    numero: &str,
    child: &str,
    month: &str,
) -> Result<(Month, u64), StoreError> {
    match store.get(&month_key(numero, child, month)).await? {
        Some(item) => Ok((item.record()?, item.version)),
        None => Ok((Month::default(), 0)),
    }
}

/// The months of several children of a dossier, read in one store call (a
/// query a child over the months' range): each (child, month) asked for,
/// with its version, a month never saved being empty at version 0.
pub async fn load_months(
    store: &dyn Store,
    numero: &str,
    children: &[&str],
    months: &BTreeSet<String>,
) -> Result<HashMap<(String, String), (Month, u64)>, StoreError> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(HashMap::new());
    };
    let queries: Vec<Query> = children
        .iter()
        .map(|child| {
            let (from, to) = (
                month_key(numero, child, first),
                month_key(numero, child, last),
            );
            Query::partition(from.pk).between(from.sk, to.sk)
        })
        .collect();
    let pages = store.query_many(&queries).await?;
    let mut found = HashMap::new();
    for ((child, query), mut page) in children.iter().zip(&queries).zip(pages) {
        loop {
            for item in &page.items {
                // The range holds only this child's months (its bounds share
                // "PLANNING#<child>#"); those between the wanted ones are left.
                let month = item.key.sk.rsplit('#').next().unwrap_or_default();
                if months.contains(month) {
                    found.insert(
                        (child.to_string(), month.to_owned()),
                        (item.record()?, item.version),
                    );
                }
            }
            let Some(next) = page.next.take() else { break };
            page = store.query(&query.clone().after(Some(next))).await?;
        }
        for month in months {
            found
                .entry((child.to_string(), month.clone()))
                .or_insert_with(|| (Month::default(), 0));
        }
    }
    Ok(found)
}

/// One slot the family ticked or unticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub activity: String,
    pub unit: String,
    pub slot: NaiveDate,
    pub reserve: bool,
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reserved,
    /// No place left: on the waiting list.
    Waiting,
    Cancelled,
    LeftWaitingList,
    Unchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The month changed since the family's page was read.
    #[error("le planning a changé entre-temps")]
    Conflict,
    #[error("trop de changements en une fois")]
    TooMany,
    /// An activity or unit that does not exist.
    #[error("unité inconnue")]
    UnknownUnit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The days a slot stands for: the day, or the running days of a holiday week.
pub fn days_of_slot(cal: &Calendar, activity: &Activity, slot: NaiveDate) -> Vec<NaiveDate> {
    match activity.categorie {
        Category::Vacances => (0..5)
            .map(|i| slot + Duration::days(i))
            .filter(|d| runs_on(activity, cal, *d))
            .collect(),
        _ => vec![slot],
    }
}

fn find_unit<'a>(
    s: &'a Settings,
    activity: &str,
    unit: &str,
) -> Result<(&'a Activity, &'a Unit), SaveError> {
    let a = s.activity(activity).ok_or(SaveError::UnknownUnit)?;
    let u = a.unit(unit).ok_or(SaveError::UnknownUnit)?;
    Ok((a, u))
}

/// The month a slot booked at `since` is billed with (the projection item
/// its facts live in).
fn billed_in(activity: &Activity, slot: NaiveDate, since: chrono::DateTime<chrono::Utc>) -> String {
    crate::billing::rules::billed_month(activity, slot, rules::paris_date(since)).to_string()
}

/// The writes that put a child on a slot's day entries (attendance kept).
fn day_entry_writes(
    cal: &Calendar,
    entry: &DayEntry,
    activity: &Activity,
    slot: NaiveDate,
) -> Result<Vec<Write>, StoreError> {
    let entry = DayEntry {
        etat: Some(State::Reserve),
        presence: None,
        ..entry.clone()
    };
    let serde_json::Value::Object(attrs) =
        serde_json::to_value(&entry).map_err(|e| StoreError::InvalidItem(e.to_string()))?
    else {
        return Err(StoreError::InvalidItem("entrée du jour".into()));
    };
    let mut update = Update::default();
    for (k, v) in attrs {
        if k != "presence" {
            update = update.set(k, v);
        }
    }
    Ok(days_of_slot(cal, activity, slot)
        .into_iter()
        .map(|d| {
            let (a, u, n, c) = (&entry.activite, &entry.unite, &entry.numero, &entry.enfant);
            Write::Update {
                key: day_key(d, a, u, n, c),
                update: update.clone(),
                condition: Condition::Always,
            }
        })
        .collect())
}

fn day_entry_deletes(
    cal: &Calendar,
    numero: &str,
    child: &str,
    activity: &Activity,
    unit: &Unit,
    slot: NaiveDate,
) -> Vec<Write> {
    days_of_slot(cal, activity, slot)
        .into_iter()
        .map(|d| Write::Delete {
            key: day_key(d, &activity.id, &unit.id, numero, child),
            condition: Condition::Always,
        })
        .collect()
}

/// A child's days at a unit, as the billing facts name them.
fn slot_days<'a>(
    child: &'a str,
    activity: &'a Activity,
    unit: &'a Unit,
    days: &'a [NaiveDate],
) -> crate::billing::facts::Days<'a> {
    crate::billing::facts::Days {
        child,
        activity: &activity.id,
        unit: &unit.id,
        days,
    }
}

fn take_place(activity: &Activity, unit: &Unit, slot: NaiveDate, places: u32) -> Write {
    Write::Update {
        key: places_key(&activity.id, &unit.id, slot),
        update: Update::default().add("pris", 1),
        condition: Condition::Compare {
            attr: "pris".into(),
            op: CmpOp::Lt,
            value: i64::from(places),
        },
    }
}

/// Creates a slot's place counter at 0 if it does not exist yet.
async fn ensure_counter(
    store: &dyn Store,
    activity: &str,
    unit: &str,
    slot: NaiveDate,
) -> Result<(), StoreError> {
    let item = Item::new(
        places_key(activity, unit, slot),
        [("pris".to_owned(), 0.into())].into_iter().collect(),
    );
    match store.put(item, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether someone already waits for a slot (a newcomer then waits too).
async fn has_waiting(
    store: &dyn Store,
    activity: &str,
    unit: &str,
    slot: NaiveDate,
) -> Result<bool, StoreError> {
    let page = store
        .query(&Query::partition(waiting_partition(activity, unit, slot)).limit(1))
        .await?;
    Ok(!page.items.is_empty())
}

fn month_write(
    numero: &str,
    child: &str,
    month: &str,
    m: &Month,
    version: u64,
) -> Result<Write, StoreError> {
    Ok(Write::put_at(
        Item::from_record(month_key(numero, child, month), m)?,
        version,
    ))
}

/// The writes of the planning's transactions, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The child's month, guarded by its version.
    Month,
    /// The place counter taken by the change of this index.
    Place(usize),
    /// The waiting-list entry a promotion takes.
    Waiting,
    /// An attendance mark's day entry, guarded by the version read.
    Entry,
    Other,
}

/// Applies a family's changes to one of its children's month, if it is
/// still at `version`. Every change must be in `month` (the slots' month).
pub async fn save(
    app: &App,
    child: &Granted<Child>,
    month: &str,
    version: u64,
    changes: &[Change],
) -> Result<Vec<Outcome>, SaveError> {
    let numero = child.numero().as_str();
    let child = child.get();
    let store = app.store.as_ref();
    let cal = &app.settings.calendrier;
    let (stored, current) = load_month(store, numero, &child.id, month).await?;
    if current != version {
        return Err(SaveError::Conflict);
    }
    let now = app.clock.now();
    // Slots found full (or with people already waiting): they wait.
    let mut full: HashSet<usize> = HashSet::new();
    for (i, ch) in changes.iter().enumerate() {
        let (a, u) = find_unit(&app.settings, &ch.activity, &ch.unit)?;
        if ch.reserve
            && u.places.is_some()
            && stored.get(ch.slot, &unit_ref(&a.id, &u.id)).is_none()
        {
            ensure_counter(store, &a.id, &u.id, ch.slot).await?;
            if has_waiting(store, &a.id, &u.id, ch.slot).await? {
                full.insert(i);
            }
        }
    }
    // Each round either succeeds, finds one more slot full, or met another
    // transaction on the same items (DynamoDB's TransactionConflict) and
    // waits a little before trying again.
    let mut attempts: Vec<(Month, Vec<Outcome>, Vec<Freed>)> = Vec::new();
    for round in 0..changes.len() + MAX_CONFLICT_ROUNDS {
        let mut m = stored.clone();
        let mut tx: Transaction<Part> = Transaction::new();
        let mut outcomes = Vec::new();
        let mut freed = Vec::new();
        let mut facts = Facts::new(numero);
        for (i, ch) in changes.iter().enumerate() {
            let (a, u) = find_unit(&app.settings, &ch.activity, &ch.unit)?;
            let uref = unit_ref(&a.id, &u.id);
            let cell = m.get(ch.slot, &uref);
            let outcome = match (cell.map(|c| c.etat), ch.reserve) {
                (None, true) => match u.places {
                    Some(_) if full.contains(&i) => {
                        m.set(
                            ch.slot,
                            &uref,
                            Some(Cell {
                                etat: State::Attente,
                                depuis: now,
                            }),
                        );
                        let entry = DayEntry::of(numero, child, &a.id, &u.id, Some(State::Attente));
                        let mut item = Item::from_record(
                            waiting_key(&a.id, &u.id, ch.slot, now, numero, &child.id),
                            &entry,
                        )?;
                        item.attrs.insert("mois".into(), month.into());
                        tx.add(
                            Part::Other,
                            Write::Put {
                                item,
                                condition: Condition::Always,
                            },
                        );
                        Outcome::Waiting
                    }
                    places => {
                        m.set(
                            ch.slot,
                            &uref,
                            Some(Cell {
                                etat: State::Reserve,
                                depuis: now,
                            }),
                        );
                        if let Some(p) = places {
                            tx.add(Part::Place(i), take_place(a, u, ch.slot, p));
                        }
                        let entry = DayEntry::of(numero, child, &a.id, &u.id, Some(State::Reserve));
                        tx.extend(Part::Other, day_entry_writes(cal, &entry, a, ch.slot)?);
                        let days = days_of_slot(cal, a, ch.slot);
                        facts.booked(
                            &billed_in(a, ch.slot, now),
                            &slot_days(&child.id, a, u, &days),
                            State::Reserve,
                        );
                        Outcome::Reserved
                    }
                },
                (Some(State::Reserve), false) => {
                    m.set(ch.slot, &uref, None);
                    tx.extend(
                        Part::Other,
                        day_entry_deletes(cal, numero, &child.id, a, u, ch.slot),
                    );
                    let days = days_of_slot(cal, a, ch.slot);
                    let since = cell.map_or(now, |c| c.depuis);
                    facts.cancelled(
                        &billed_in(a, ch.slot, since),
                        &slot_days(&child.id, a, u, &days),
                    );
                    if u.places.is_some() {
                        tx.add(
                            Part::Other,
                            Write::Update {
                                key: places_key(&a.id, &u.id, ch.slot),
                                update: Update::default().add("pris", -1),
                                condition: Condition::Always,
                            },
                        );
                        freed.push((a.id.clone(), u.id.clone(), ch.slot));
                    }
                    Outcome::Cancelled
                }
                (Some(State::Attente), false) => {
                    m.set(ch.slot, &uref, None);
                    let since = cell.map_or(now, |c| c.depuis);
                    tx.add(
                        Part::Other,
                        Write::Delete {
                            key: waiting_key(&a.id, &u.id, ch.slot, since, numero, &child.id),
                            condition: Condition::Always,
                        },
                    );
                    Outcome::LeftWaitingList
                }
                _ => Outcome::Unchanged,
            };
            outcomes.push(outcome);
        }
        tx.extend(Part::Other, facts.writes());
        if tx.is_empty() {
            return Ok(outcomes);
        }
        if tx.len() + 1 > MAX_WRITES {
            return Err(SaveError::TooMany);
        }
        // The month first: when it changed meanwhile, that is the answer.
        let mut all = Transaction::new();
        all.add(
            Part::Month,
            month_write(numero, &child.id, month, &m, version)?,
        )
        .append(tx);
        attempts.push((m, outcomes.clone(), freed.clone()));
        match store.commit(all).await {
            Ok(()) => {
                for (a, u, slot) in freed {
                    promote(app, &a, &u, slot).await?;
                }
                return Ok(outcomes);
            }
            Err(CommitError::Failed(Part::Month)) => {
                // Either another session saved this month, or one of our own
                // attempts was applied and its answer lost (the SDK retried
                // it, or reported it failed): only the latter leaves one of
                // our months there.
                let (now_stored, now_version) = load_month(store, numero, &child.id, month).await?;
                if now_version == version + 1
                    && let Some((_, outcomes, freed)) = attempts
                        .into_iter()
                        .find(|(tried, _, _)| *tried == now_stored)
                {
                    for (a, u, slot) in freed {
                        promote(app, &a, &u, slot).await?;
                    }
                    return Ok(outcomes);
                }
                return Err(SaveError::Conflict);
            }
            Err(CommitError::Failed(Part::Place(change))) => {
                full.insert(change);
            }
            Err(CommitError::Failed(_)) => return Err(SaveError::Conflict),
            Err(CommitError::Store(StoreError::TransactionConflict)) => {
                back_off(round).await;
            }
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(SaveError::Conflict)
}

/// Gives a freed place of a slot to the first on its waiting list, if a
/// place is free: their month, day entries, the counter and the list change
/// in one transaction with the e-mail that tells the family. Returns who got it.
pub async fn promote(
    app: &App,
    activity: &str,
    unit: &str,
    slot: NaiveDate,
) -> Result<Option<DayEntry>, StoreError> {
    let Ok((a, u)) = find_unit(&app.settings, activity, unit) else {
        return Ok(None);
    };
    let Some(places) = u.places else {
        return Ok(None);
    };
    let store = app.store.as_ref();
    let cal = &app.settings.calendrier;
    for round in 0..MAX_CONFLICT_ROUNDS {
        let page = store
            .query(&Query::partition(waiting_partition(activity, unit, slot)).limit(1))
            .await?;
        let Some(first) = page.items.into_iter().next() else {
            return Ok(None);
        };
        let entry: DayEntry = first.record()?;
        let month = month_id(slot);
        let (mut m, version) = load_month(store, &entry.numero, &entry.enfant, &month).await?;
        let uref = unit_ref(activity, unit);
        if m.get(slot, &uref).is_none_or(|c| c.etat != State::Attente) {
            // A leftover (the family left the list meanwhile): drop it.
            store
                .write(Write::Delete {
                    key: first.key,
                    condition: Condition::Always,
                })
                .await?;
            continue;
        }
        // Booked now: the month it is billed with follows from that.
        let now = app.clock.now();
        m.set(
            slot,
            &uref,
            Some(Cell {
                etat: State::Reserve,
                depuis: now,
            }),
        );
        let days = days_of_slot(cal, a, slot);
        let mut facts = Facts::new(&entry.numero);
        facts.booked(
            &billed_in(a, slot, now),
            &slot_days(&entry.enfant, a, u, &days),
            State::Reserve,
        );
        let mut tx = Transaction::new();
        tx.add(
            Part::Waiting,
            Write::Delete {
                key: first.key.clone(),
                condition: Condition::Exists,
            },
        )
        .add(
            Part::Month,
            month_write(&entry.numero, &entry.enfant, &month, &m, version)?,
        )
        .add(Part::Place(0), take_place(a, u, slot, places))
        .extend(Part::Other, day_entry_writes(cal, &entry, a, slot)?)
        .extend(Part::Other, facts.writes());
        let when = match a.categorie {
            Category::Vacances => format!("la semaine du {}", slot.format("%d/%m/%Y")),
            _ => format!("le {}", slot.format("%d/%m/%Y")),
        };
        let notice = crate::mail::texts::place_freed(entry.enfant_nom.trim(), &u.nom, &when);
        tx.extend(
            Part::Other,
            crate::outbox::queue_for_family(app, &entry.numero, &notice).await?,
        );
        match store.commit(tx).await {
            Ok(()) => return Ok(Some(entry)),
            // No place left after all: the first stays waiting.
            Err(CommitError::Failed(Part::Place(_))) => return Ok(None),
            Err(CommitError::Failed(_) | CommitError::Store(StoreError::TransactionConflict)) => {
                back_off(round).await;
            }
            Err(CommitError::Store(e)) => return Err(e),
        }
    }
    Ok(None)
}

#[derive(Debug, thiserror::Error)]
pub enum IllnessError {
    /// Not (or no longer) possible: past the illness time, not reserved, or
    /// not an illness absence to justify.
    #[error("plus possible pour ce jour")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One child's day at one unit.
pub struct DayRef<'a> {
    /// One of the family's children (the dossier comes with it).
    pub child: &'a Granted<Child>,
    pub activity: &'a Activity,
    pub unit: &'a Unit,
    pub day: NaiveDate,
}

/// Rewrites one cell of a child's month, and the day entry with it, in one
/// transaction guarded by the month's version (retried if another save came
/// first); `extra` writes join it. `from` is the state the cell must have.
async fn change_cell(
    app: &App,
    at: &DayRef<'_>,
    from: State,
    to: State,
    extra: Vec<Write>,
) -> Result<(), IllnessError> {
    let (numero, child) = (at.child.numero().as_str(), at.child.id.as_str());
    let DayRef {
        activity,
        unit,
        day,
        ..
    } = *at;
    let store = app.store.as_ref();
    let month = month_id(day);
    let uref = unit_ref(&activity.id, &unit.id);
    for round in 0..MAX_CONFLICT_ROUNDS {
        let (mut m, version) = load_month(store, numero, child, &month).await?;
        let Some(cell) = m.get(day, &uref).filter(|c| c.etat == from) else {
            return Err(IllnessError::Closed);
        };
        m.set(
            day,
            &uref,
            Some(Cell {
                etat: to,
                depuis: cell.depuis,
            }),
        );
        let mut facts = Facts::new(numero);
        facts.booked(
            &billed_in(activity, rules::slot(activity, day), cell.depuis),
            &slot_days(child, activity, unit, &[day]),
            to,
        );
        let mut writes = vec![
            month_write(numero, child, &month, &m, version)?,
            Write::Update {
                key: day_key(day, &activity.id, &unit.id, numero, child),
                update: Update::default().set("etat", serde_json::to_value(to).unwrap_or_default()),
                condition: Condition::Exists,
            },
        ];
        writes.extend(facts.writes());
        if from == State::Reserve && unit.places.is_some() {
            writes.push(Write::Update {
                key: places_key(&activity.id, &unit.id, day),
                update: Update::default().add("pris", -1),
                condition: Condition::Always,
            });
        }
        writes.extend(extra.iter().cloned());
        match store.transact(writes).await {
            Ok(()) => {
                if from == State::Reserve && unit.places.is_some() {
                    promote(app, &activity.id, &unit.id, day).await?;
                }
                return Ok(());
            }
            Err(StoreError::TransactionCancelled { .. } | StoreError::TransactionConflict) => {
                back_off(round).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(IllnessError::Closed)
}

/// The same morning, before the activity's illness time: a reserved day
/// becomes "absence maladie — justificatif attendu", and its place (if the
/// unit has a capacity) goes to the first waiting.
pub async fn declare_illness(app: &App, at: &DayRef<'_>) -> Result<(), IllnessError> {
    let numero = at.child.numero().as_str();
    let DayRef {
        activity,
        unit,
        day,
        ..
    } = *at;
    if activity.categorie == Category::Vacances
        || !rules::illness_window_open(&activity.reservation, day, app.clock.now())
    {
        return Err(IllnessError::Closed);
    }
    let step = crate::dossiers::demarche(
        numero,
        app.clock.now(),
        &format!(
            "Absence maladie du {} ({})",
            day.format("%d/%m/%Y"),
            unit.nom
        ),
        "justificatif attendu",
    )?;
    change_cell(app, at, State::Reserve, State::Maladie, vec![step]).await
}

/// A medical certificate for an illness absence: the day becomes
/// "justifiée" (not billed) and the certificate joins the dossier's
/// documents, in one transaction.
pub async fn justify(
    app: &App,
    at: &DayRef<'_>,
    certificate: &crate::domain::document::Document,
) -> Result<(), IllnessError> {
    let numero = at.child.numero().as_str();
    let DayRef { unit, day, .. } = *at;
    let extra = vec![
        crate::documents::write(numero, certificate)?,
        crate::dossiers::demarche(
            numero,
            certificate.depose_le,
            &format!(
                "Certificat médical pour le {} ({})",
                day.format("%d/%m/%Y"),
                unit.nom
            ),
            "absence justifiée",
        )?,
    ];
    let result = change_cell(app, at, State::Maladie, State::Justifiee, extra).await;
    if result.is_err() {
        crate::documents::discard_files(app, std::slice::from_ref(certificate)).await;
    }
    result
}

/// A day's entries: every child expected (or recorded present) that day.
pub async fn day_entries(store: &dyn Store, day: NaiveDate) -> Result<Vec<DayEntry>, StoreError> {
    Ok(day_entries_read(store, day)
        .await?
        .into_iter()
        .map(|(entry, _)| entry)
        .collect())
}

/// A day's entries with the version each was read at (what an attendance
/// mark is decided on).
pub async fn day_entries_read(
    store: &dyn Store,
    day: NaiveDate,
) -> Result<Vec<(DayEntry, u64)>, StoreError> {
    store
        .query_all(Query::partition(crate::domain::planning::day_partition(
            day,
        )))
        .await?
        .iter()
        .map(|item| Ok((item.record()?, item.version)))
        .collect()
}

/// An agent's attendance mark for one child's day at one unit, decided on
/// the entry as read at `read` (`None`: no entry yet, a child present
/// without reservation). The audit trail of the dossier records it, in the
/// same transaction. `false` when the entry changed since it was read: two
/// marks decided on the same reading, one is recorded.
pub async fn record_presence(
    app: &App,
    decider: &crate::access::Decider,
    day: NaiveDate,
    entry: &DayEntry,
    read: Option<u64>,
    presence: crate::domain::planning::Presence,
) -> Result<bool, crate::dossiers::UpdateError> {
    let service = app
        .settings
        .activity(&entry.activite)
        .map_or("", |a| a.service.as_str());
    decider.covers(service)?;
    let (store, now) = (app.store.as_ref(), app.clock.now());
    let actor = &decider.agent().actor();
    let key = day_key(
        day,
        &entry.activite,
        &entry.unite,
        &entry.numero,
        &entry.enfant,
    );
    let value =
        serde_json::to_value(presence).map_err(|e| StoreError::InvalidItem(e.to_string()))?;
    let condition = match read {
        Some(version) => Condition::VersionEquals(version),
        None => Condition::NotExists,
    };
    let Some(activity) = app.settings.activity(&entry.activite) else {
        return Err(
            StoreError::InvalidItem(format!("activité {} inconnue", entry.activite)).into(),
        );
    };
    let slot = rules::slot(activity, day);
    let write = if entry.etat.is_none() {
        // Present without reservation: the whole entry.
        let mut item = Item::from_record(key, entry)?;
        item.attrs.insert("presence".into(), value);
        Write::Put { item, condition }
    } else {
        Write::Update {
            key,
            update: Update::default().set("presence", value),
            condition,
        }
    };
    // The fact goes where the booking's is: the month it is billed with,
    // from when it was booked (now, for a day without booking).
    let booked_at = match entry.etat {
        None => None,
        Some(_) => load_month(store, &entry.numero, &entry.enfant, &month_id(slot))
            .await?
            .0
            .get(slot, &unit_ref(&entry.activite, &entry.unite))
            .map(|c| c.depuis),
    };
    let mut facts = Facts::new(&entry.numero);
    facts.attended(
        &billed_in(activity, slot, booked_at.unwrap_or(now)),
        &crate::billing::facts::Days {
            child: &entry.enfant,
            activity: &entry.activite,
            unit: &entry.unite,
            days: &[day],
        },
        presence,
    );
    let label = match presence {
        crate::domain::planning::Presence::Present => "présent",
        crate::domain::planning::Presence::Absent => "absent",
        crate::domain::planning::Presence::AbsenceJustifiee => "absence justifiée",
    };
    let detail = format!(
        "{} le {} ({}) : {label}{}",
        entry.enfant_nom,
        day.format("%d/%m/%Y"),
        entry.unite,
        if entry.etat.is_none() {
            ", sans réservation"
        } else {
            ""
        }
    );
    let mut tx = Transaction::new();
    tx.add(Part::Entry, write)
        .add(
            Part::Other,
            actor.audit(&entry.numero, now, "pointage", detail)?,
        )
        .extend(Part::Other, facts.writes());
    for round in 0..MAX_CONFLICT_ROUNDS {
        match store.commit(tx.clone()).await {
            Ok(()) => return Ok(true),
            Err(CommitError::Failed(Part::Entry)) => return Ok(false),
            Err(CommitError::Failed(_)) => {
                return Err(StoreError::Corrupt(
                    "pointage : une entrée d'historique existe déjà".into(),
                )
                .into());
            }
            // The family's planning saved at the same moment (the same
            // projection item): try again.
            Err(CommitError::Store(StoreError::TransactionConflict)) => back_off(round).await,
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
    }
    Err(StoreError::TransactionConflict.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::store::sqlite::SqliteStore;
    use std::sync::Arc;

    async fn put_month(store: &dyn Store, child: &str, month: &str, times: usize) {
        let item = Item::from_record(month_key("D1", child, month), &Month::default()).unwrap();
        for version in 0..times as u64 {
            store
                .write(Write::put_at(item.clone(), version))
                .await
                .unwrap();
        }
    }

    /// The months of several children in one call: each child's own (a
    /// child whose id starts with another's is not mixed in), only the
    /// months asked for, unsaved months empty at version 0, and a range of
    /// more months than a page reads to its end.
    #[tokio::test]
    async fn months_of_several_children_in_one_call() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("p.db"), Arc::new(SystemClock)).unwrap();
        put_month(&store, "A", "2026-12", 1).await;
        put_month(&store, "A", "2027-01", 2).await;
        put_month(&store, "A", "2027-02", 3).await;
        put_month(&store, "AB", "2027-01", 4).await;
        let wanted: BTreeSet<String> = ["2026-11", "2027-01"].map(String::from).into();
        let found = load_months(&store, "D1", &["A", "AB"], &wanted)
            .await
            .unwrap();
        let version = |child: &str, month: &str| found[&(child.to_owned(), month.to_owned())].1;
        assert_eq!(found.len(), 4);
        assert_eq!(version("A", "2026-11"), 0);
        assert_eq!(version("A", "2027-01"), 2);
        assert_eq!(version("AB", "2026-11"), 0);
        assert_eq!(version("AB", "2027-01"), 4);

        for year in 2020..2031 {
            for m in 1..=12 {
                put_month(&store, "C", &format!("{year}-{m:02}"), 1).await;
            }
        }
        let wanted: BTreeSet<String> = ["2020-01", "2030-12"].map(String::from).into();
        let found = load_months(&store, "D1", &["C"], &wanted).await.unwrap();
        assert_eq!(found.len(), 2);
        assert!(found.values().all(|(_, version)| *version == 1));
    }
}
