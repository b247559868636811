//! The embedded store: one SQLite file (WAL mode), one table shaped like the
//! DynamoDB table. Writes run in an immediate SQLite transaction on the one
//! writer connection, so a condition and the write it guards are atomic, and
//! a multi-write transaction applies all or nothing. Reads run on a small
//! pool of other connections: WAL lets them proceed while a write waits for
//! (or holds) the lock. No call waits longer than [`TIMEOUT`] in all: a write
//! queued behind others counts its queueing time against it.

use super::cursor::Position;
use super::rules::{self, is_live};
use super::{Condition, Index, Item, Key, Page, Query, SortRange, Store, StoreError, Write};
use crate::clock::Clock;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The longest a store call waits for the database (queueing included);
/// past it, the call fails as unavailable (the portal's 503 page).
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept open beside the writer.
const READERS: usize = 8;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many
/// have run.
const MIGRATIONS: &[&str] = &["CREATE TABLE items (
        pk TEXT NOT NULL,
        sk TEXT NOT NULL,
        gsi1pk TEXT,
        gsi1sk TEXT,
        ver INTEGER NOT NULL,
        ttl INTEGER,
        doc TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
    ) WITHOUT ROWID;
    CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
    CREATE INDEX items_ttl ON items (ttl) WHERE ttl IS NOT NULL;"];

pub struct SqliteStore {
    path: PathBuf,
    /// The one writer; an async lock, so that waiting for it has a deadline.
    writer: Arc<tokio::sync::Mutex<Connection>>,
    /// Idle read connections (opened on demand, at most [`READERS`]).
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_slots: Arc<Semaphore>,
    clock: Arc<dyn Clock>,
    /// The embedded counterpart of a DynamoDB stream with a filter: woken
    /// after a commit that created an item whose partition key starts so.
    stream: Option<(String, Arc<tokio::sync::Notify>)>,
}

/// Opens a connection to the database with the settings every connection
/// of the store shares.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(unavailable)?;
    // Room for every statement the adapter builds (a query's SQL depends on
    // its index, range and position), so that none is parsed again.
    conn.set_prepared_statement_cache_capacity(64);
    conn.busy_timeout(TIMEOUT).map_err(unavailable)?;
    // Reads map the file rather than copy its pages through read calls
    // (up to 2 GiB, SQLite's own ceiling).
    conn.pragma_update(None, "mmap_size", 1i64 << 31)
        .map_err(unavailable)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(unavailable)?;
    Ok(conn)
}

fn timed_out(what: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "SQLite : {what} en attente depuis plus de {} s",
        TIMEOUT.as_secs()
    ))
}

impl SqliteStore {
    /// Opens (creating it and its folder on first run) the database file and
    /// brings its schema up to date.
    /// A signal woken after each commit that creates an item whose partition
    /// key starts with `pk_prefix` (the local portal's outbox sender waits on
    /// it, as the `mailer` function waits on the table's stream on AWS).
    pub fn stream(&mut self, pk_prefix: &str) -> Arc<tokio::sync::Notify> {
        let signal = Arc::new(tokio::sync::Notify::new());
        self.stream = Some((pk_prefix.to_owned(), signal.clone()));
        signal
    }

    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("dossier {} : {e}", dir.display())))?;
        }
        let conn = connect(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        migrate(&conn)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Arc::new(tokio::sync::Mutex::new(conn)),
            readers: Arc::new(Mutex::new(Vec::new())),
            reader_slots: Arc::new(Semaphore::new(READERS)),
            clock,
            stream: None,
        })
    }

    /// Deletes expired items for good (reads already leave them out).
    pub async fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.clock.epoch_seconds();
        self.writing(move |conn| {
            conn.execute(
                "DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?1",
                [now],
            )
            .map_err(unavailable)
        })
        .await
    }

    /// Runs a short read (one key, one page of a query) at once on the
    /// caller's thread, when a read connection is idle: with the file
    /// mapped, such a read takes microseconds, less than the hop to the
    /// blocking pool and back (the planning page makes eleven of them;
    /// BENCHMARKS.md). `None` when no connection is idle: then `reading`.
    fn read_now<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let _permit = self.reader_slots.clone().try_acquire_owned().ok()?;
        let conn = self
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()?;
        let out = f(&conn);
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        Some(out)
    }

    /// Runs a read on an idle read connection (a new one when none is idle).
    async fn reading<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = tokio::time::timeout(TIMEOUT, self.reader_slots.clone().acquire_owned())
            .await
            .map_err(|_| timed_out("lecture"))?
            .map_err(|e| StoreError::Unavailable(format!("SQLite : {e}")))?;
        let (idle, path) = (self.readers.clone(), self.path.clone());
        run_blocking(move || {
            let _permit = permit;
            let taken = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match taken {
                Some(conn) => conn,
                None => connect(&path)?,
            };
            let out = f(&conn);
            idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            out
        })
        .await
    }

    /// Runs a write on the writer connection. The time spent waiting for it
    /// counts against the timeout, and SQLite's own lock wait gets only what
    /// is left: four writes queued behind a held lock fail together after
    /// [`TIMEOUT`], not one after another.
    async fn writing<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let deadline = Instant::now() + TIMEOUT;
        let mut conn = tokio::time::timeout_at(deadline, self.writer.clone().lock_owned())
            .await
            .map_err(|_| timed_out("écriture"))?;
        run_blocking(move || {
            let left = deadline.saturating_duration_since(Instant::now());
            conn.busy_timeout(left.max(Duration::from_millis(1)))
                .map_err(unavailable)?;
            f(&mut conn)
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("tâche SQLite interrompue : {e}")))?
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("SQLite : {e}"))
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let applied: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(unavailable)?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Unavailable(format!(
            "base de données en version {applied}, plus récente que ce programme ({})",
            MIGRATIONS.len()
        )));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            n + 1
        ))
        .map_err(unavailable)?;
    }
    Ok(())
}

const COLUMNS: &str = "pk, sk, gsi1pk, gsi1sk, ver, ttl, doc";

fn read_row(row: &Row) -> rusqlite::Result<(Item, String)> {
    let gsi1pk: Option<String> = row.get(2)?;
    let gsi1sk: Option<String> = row.get(3)?;
    let ver: i64 = row.get(4)?;
    let item = Item {
        key: Key::new(row.get::<_, String>(0)?, row.get::<_, String>(1)?),
        gsi1: gsi1pk.zip(gsi1sk).map(|(pk, sk)| Key::new(pk, sk)),
        version: u64::try_from(ver).unwrap_or_default(),
        expires_at: row.get(5)?,
        attrs: Default::default(),
    };
    Ok((item, row.get(6)?))
}

fn with_doc((mut item, doc): (Item, String)) -> Result<Item, StoreError> {
    item.attrs = serde_json::from_str(&doc)
        .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", item.key.pk, item.key.sk)))?;
    Ok(item)
}

fn get_live(conn: &Connection, key: &Key, now: i64) -> Result<Option<Item>, StoreError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2"
        ))
        .and_then(|mut st| st.query_row(params![key.pk, key.sk], read_row).optional())
        .map_err(unavailable)?;
    match row {
        Some(row) if is_live(row.0.expires_at, now) => with_doc(row).map(Some),
        _ => Ok(None),
    }
}

fn store_item(conn: &Connection, item: &Item, version: u64) -> Result<(), StoreError> {
    let doc =
        serde_json::to_string(&item.attrs).map_err(|e| StoreError::InvalidItem(e.to_string()))?;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut st| {
        st.execute(params![
            item.key.pk,
            item.key.sk,
            item.gsi1.as_ref().map(|g| &g.pk),
            item.gsi1.as_ref().map(|g| &g.sk),
            i64::try_from(version).unwrap_or(i64::MAX),
            item.expires_at,
            doc
        ])
    })
    .map_err(unavailable)?;
    Ok(())
}

fn delete_item(conn: &Connection, key: &Key) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut st| st.execute(params![key.pk, key.sk]))
        .map_err(unavailable)?;
    Ok(())
}

/// Applies writes inside the caller's SQLite transaction; the error names the
/// first write whose condition failed.
fn apply_writes(conn: &Connection, writes: &[Write], now: i64) -> Result<(), StoreError> {
    for (index, write) in writes.iter().enumerate() {
        let current = get_live(conn, write.key(), now)?;
        if !rules::condition_holds(write.condition(), current.as_ref()) {
            return Err(StoreError::TransactionCancelled { index });
        }
        match write {
            Write::Put { item, condition } => {
                store_item(conn, item, rules::put_version(item, condition))?
            }
            Write::Update { key, update, .. } => {
                let next = rules::apply_update(current.as_ref(), key, update)?;
                rules::validate_item(&next)?;
                store_item(conn, &next, current.map_or(0, |c| c.version) + 1)?;
            }
            Write::Delete { key, .. } => delete_item(conn, key)?,
            Write::Check { .. } => {}
        }
    }
    Ok(())
}

/// The upper bound of the keys that start with `prefix`, in byte order (which
/// UTF-8 shares with code point order): the prefix with its last character
/// incremented.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A bound of a sort key: its value, and whether it is inclusive.
type Bound = (String, bool);

/// A query's SQL and arguments.
fn query_sql(q: &Query, now: i64) -> Result<(String, Vec<rusqlite::types::Value>), StoreError> {
    let (part_col, sort_cols): (&str, &[&str]) = match q.index {
        Index::Table => ("pk", &["sk"]),
        Index::Gsi1 => ("gsi1pk", &["gsi1sk", "pk", "sk"]),
    };
    let sort_col = sort_cols[0];
    let mut sql =
        format!("SELECT {COLUMNS} FROM items WHERE {part_col} = ? AND (ttl IS NULL OR ttl > ?)");
    let mut args: Vec<rusqlite::types::Value> = vec![q.partition.clone().into(), now.into()];
    // The sort key's bounds.
    let (mut low, mut high): (Option<Bound>, Option<Bound>) = match &q.range {
        SortRange::All => (None, None),
        SortRange::Prefix(prefix) => (
            Some((prefix.clone(), true)),
            prefix_end(prefix).map(|end| (end, false)),
        ),
        SortRange::Between(from, to) => (Some((from.clone(), true)), Some((to.clone(), true))),
    };
    let position = match &q.after {
        Some(token) => {
            let p = Position::decode(token, q.index)?;
            let values = match q.index {
                Index::Table => vec![p.sk],
                Index::Gsi1 => vec![p.gsi1sk.unwrap_or_default(), p.pk, p.sk],
            };
            // A page resumes at its position: that bound, narrowed in Rust,
            // is the one SQLite seeks to (given two lower bounds it may seek
            // to the range's start and scan every item read before).
            let at = &values[0];
            if q.descending && high.as_ref().is_none_or(|(b, _)| at < b) {
                high = Some((at.clone(), true));
            } else if !q.descending && low.as_ref().is_none_or(|(b, _)| at > b) {
                low = Some((at.clone(), true));
            }
            Some(values)
        }
        None => None,
    };
    for (bound, op) in [(low, [">", ">="]), (high, ["<", "<="])] {
        if let Some((value, inclusive)) = bound {
            sql.push_str(&format!(" AND {sort_col} {} ?", op[usize::from(inclusive)]));
            args.push(value.into());
        }
    }
    if let Some(values) = position {
        let op = if q.descending { "<" } else { ">" };
        sql.push_str(&format!(
            " AND ({}) {op} ({})",
            sort_cols.join(", "),
            vec!["?"; sort_cols.len()].join(", ")
        ));
        args.extend(values.into_iter().map(rusqlite::types::Value::from));
    }
    let dir = if q.descending { "DESC" } else { "ASC" };
    let order: Vec<String> = sort_cols.iter().map(|c| format!("{c} {dir}")).collect();
    // The limit is written in the statement, not bound: SQLite prepares a
    // statement whose LIMIT is a parameter again at each new binding (its
    // planner reads the value), which took a quarter of a planning page's
    // time. A few limits are in use, each its own cached statement.
    sql.push_str(&format!(
        " ORDER BY {} LIMIT {}",
        order.join(", "),
        q.limit + 1
    ));
    Ok((sql, args))
}

fn run_query(conn: &Connection, q: &Query, now: i64) -> Result<Page, StoreError> {
    let (sql, args) = query_sql(q, now)?;
    let mut st = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = st
        .query_map(params_from_iter(args), read_row)
        .map_err(unavailable)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(unavailable)?;
    let mut items = rows
        .into_iter()
        .map(with_doc)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > q.limit {
        items.truncate(q.limit);
        items
            .last()
            .map(|last| Position::of(last, q.index).encode())
    } else {
        None
    };
    Ok(Page { items, next })
}

/// Several queries in one read transaction: their pages are of one moment,
/// and SQLite takes and releases its file locks once, not once a query.
fn run_queries(conn: &Connection, queries: &[Query], now: i64) -> Result<Vec<Page>, StoreError> {
    let read = conn.unchecked_transaction().map_err(unavailable)?;
    let pages = queries
        .iter()
        .map(|q| run_query(&read, q, now))
        .collect::<Result<Vec<_>, _>>()?;
    read.commit().map_err(unavailable)?;
    Ok(pages)
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        rules::validate_key(key)?;
        let now = self.clock.epoch_seconds();
        if let Some(out) = self.read_now(|conn| get_live(conn, key, now)) {
            return out;
        }
        let key = key.clone();
        self.reading(move |conn| get_live(conn, &key, now)).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        rules::validate_query(query)?;
        let now = self.clock.epoch_seconds();
        if let Some(out) = self.read_now(|conn| run_query(conn, query, now)) {
            return out;
        }
        let query = query.clone();
        self.reading(move |conn| run_query(conn, &query, now)).await
    }

    async fn query_many(&self, queries: &[Query]) -> Result<Vec<Page>, StoreError> {
        for q in queries {
            rules::validate_query(q)?;
        }
        let now = self.clock.epoch_seconds();
        // No more items than one query may ask for: a short read, at once
        // on the caller's thread as `query` runs (a page's few months).
        let items: usize = queries.iter().map(|q| q.limit).sum();
        if items <= super::MAX_QUERY_LIMIT
            && let Some(out) = self.read_now(|conn| run_queries(conn, queries, now))
        {
            return out;
        }
        let queries = queries.to_vec();
        self.reading(move |conn| run_queries(conn, &queries, now))
            .await
    }

    async fn write(&self, write: Write) -> Result<(), StoreError> {
        match self.transact(vec![write]).await {
            Err(StoreError::TransactionCancelled { .. }) => Err(StoreError::ConditionFailed),
            other => other,
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        rules::validate_transaction(&writes)?;
        let now = self.clock.epoch_seconds();
        let created = self.stream.as_ref().and_then(|(prefix, signal)| {
            writes
                .iter()
                .any(|w| {
                    matches!(w, Write::Put { item, condition: Condition::NotExists } if item.key.pk.starts_with(prefix.as_str()))
                })
                .then(|| signal.clone())
        });
        self.writing(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            apply_writes(&tx, &writes, now)?;
            tx.commit().map_err(unavailable)
        })
        .await?;
        if let Some(signal) = created {
            signal.notify_one();
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.reading(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(unavailable)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page that resumes deep in a partition seeks to its position: the
    /// statement's steps stay a page's worth, not the items before it
    /// (pagination was quadratic when SQLite sought to the range's start).
    #[test]
    fn a_resumed_page_seeks_to_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        let path = dir.path().join("p.db");
        drop(SqliteStore::open(&path, clock).unwrap());
        let conn = connect(&path).unwrap();
        for i in 0..3000 {
            let mut item = Item::new(Key::new("P", format!("S#{i:05}")), Default::default());
            item.gsi1 = Some(Key::new("G", format!("S#{i:05}")));
            store_item(&conn, &item, 1).unwrap();
        }
        // 2,900 items before the position read forwards, 2,900 after it
        // read backwards.
        let last = |index, descending| {
            let sk = if descending { "S#00100" } else { "S#02900" };
            let mut item = Item::new(Key::new("P", sk), Default::default());
            item.gsi1 = Some(Key::new("G", sk));
            Position::of(&item, index).encode()
        };
        for query in [
            Query::partition("P").prefix("S#"),
            Query::partition("P").between("S#", "S#99999"),
            Query::gsi1("G").between("S#", "S#99999"),
            Query::gsi1("G").prefix("S").descending(),
        ] {
            let position = last(query.index, query.descending);
            let query = query.after(Some(position)).limit(10);
            let (sql, args) = query_sql(&query, 0).unwrap();
            let mut st = conn.prepare(&sql).unwrap();
            let read = st
                .query_map(params_from_iter(args), read_row)
                .unwrap()
                .count();
            assert_eq!(read, 11);
            let steps = st.get_status(rusqlite::StatementStatus::VmStep);
            assert!(steps < 1000, "{query:?}: {steps} steps");
        }
    }

    #[test]
    fn cached_statements_are_not_prepared_again_for_new_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portal.db");
        drop(SqliteStore::open(&path, Arc::new(crate::clock::SystemClock)).unwrap());
        let conn = connect(&path).unwrap();
        for i in 0..50 {
            let mut item = Item::new(Key::new("P", format!("S#{i:05}")), Default::default());
            item.gsi1 = Some(Key::new("G", format!("S#{i:05}")));
            store_item(&conn, &item, 1).unwrap();
        }
        for query in [
            Query::partition("P").prefix("S#"),
            Query::gsi1("G").prefix("S#").descending(),
        ] {
            let (sql, _) = query_sql(&query, 0).unwrap();
            for now in 1..20 {
                run_query(&conn, &query, now).unwrap();
            }
            let st = conn.prepare_cached(&sql).unwrap();
            let again = st.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(again, 0, "{sql}");
        }
        for now in 1..20 {
            get_live(&conn, &Key::new("P", format!("S#{now:05}")), now).unwrap();
        }
        let st = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2"
            ))
            .unwrap();
        assert_eq!(st.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn prefix_end_increments_the_last_character() {
        assert_eq!(prefix_end("ENFANT#").as_deref(), Some("ENFANT$"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn schema_version_is_recorded_and_reopening_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/portal.db");
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        drop(SqliteStore::open(&path, clock.clone()).unwrap());
        let conn = Connection::open(&path).unwrap();
        let v: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len());
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(conn);
        SqliteStore::open(&path, clock).unwrap();
    }
}
