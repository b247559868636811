//! The store port, in DynamoDB's terms: items under a partition key and a sort
//! key, conditional writes, all-or-nothing transactions of up to 100 writes,
//! an expiry time per item and one secondary index (GSI1).
//!
//! Two adapters implement it: [`sqlite::SqliteStore`] (embedded, local runs and
//! tests) and [`dynamo::DynamoStore`] (AWS). Both run the same conformance
//! suite (`tests/tests/suite/store_conformance.rs`). The rules both must agree
//! on — what a condition means, what an expired item is, how large an item may
//! be, what a valid transaction is — are pure functions in [`rules`].

pub mod cursor;
pub mod dynamo;
pub mod rules;
pub mod sqlite;

use async_trait::async_trait;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

/// Attribute names the store keeps for itself; an item's own attributes may
/// not use them.
pub const RESERVED_ATTRIBUTES: [&str; 6] = ["pk", "sk", "gsi1pk", "gsi1sk", "ver", "ttl"];

/// DynamoDB's item size limit ("400 KB"), applied by both backends. Taken
/// as 400,000 bytes, the stricter reading (and the one DynamoDB emulators
/// apply), so that an item the embedded store takes is never refused on AWS.
pub const MAX_ITEM_BYTES: usize = 400_000;

/// How many queries of a `query_many` run at once on DynamoDB (a billing
/// chunk asks 600: one after another they would take 600 round trips). Four:
/// a server that answers one request at a time (moto, in the tests and the
/// benches) makes the last of them wait for the others, within the SDK's
/// 10 s timeout; with 16, a 300-children bench timed out there.
pub const QUERIES_AT_ONCE: usize = 4;

/// The most items one query page may ask for (both backends).
pub const MAX_QUERY_LIMIT: usize = 1000;

/// DynamoDB's transaction size limit, applied by both backends.
pub const MAX_TRANSACTION_WRITES: usize = 100;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One stored item: its key, an optional GSI1 key, its version (managed by the
/// store: every write stores the next version), an optional expiry (seconds
/// since the Unix epoch) and its own attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub gsi1: Option<Key>,
    /// Version as read. A put stores `version + 1`; an update adds one.
    pub version: u64,
    pub expires_at: Option<i64>,
    pub attrs: Map<String, Value>,
}

impl Item {
    /// A new item (version 0: the first write stores version 1).
    pub fn new(key: Key, attrs: Map<String, Value>) -> Self {
        Self {
            key,
            gsi1: None,
            version: 0,
            expires_at: None,
            attrs,
        }
    }

    /// A new item whose attributes are the fields of a serializable record.
    pub fn from_record<T: Serialize>(key: Key, record: &T) -> Result<Self, StoreError> {
        match serde_json::to_value(record) {
            Ok(Value::Object(attrs)) => Ok(Self::new(key, attrs)),
            Ok(_) => Err(StoreError::InvalidItem(
                "un enregistrement doit être un objet".into(),
            )),
            Err(e) => Err(StoreError::InvalidItem(e.to_string())),
        }
    }

    /// The attributes read back as a record.
    pub fn record<T: DeserializeOwned>(&self) -> Result<T, StoreError> {
        // Read in place (no copy of the attributes).
        T::deserialize(&self.attrs)
            .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", self.key.pk, self.key.sk)))
    }

    pub fn with_gsi1(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi1 = Some(Key::new(pk, sk));
        self
    }

    pub fn expiring_at(mut self, epoch_seconds: i64) -> Self {
        self.expires_at = Some(epoch_seconds);
        self
    }
}

/// Comparison operators for [`Condition::Compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

/// A condition a write depends on. An expired item counts as absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No condition.
    Always,
    /// The item must not exist (or has expired).
    NotExists,
    /// The item must exist (and not have expired).
    Exists,
    /// The item must exist with exactly this version.
    VersionEquals(u64),
    /// The item must exist and its numeric attribute compare so to the value.
    Compare { attr: String, op: CmpOp, value: i64 },
}

/// An update of some attributes of an item, created if absent (as DynamoDB's
/// `UpdateItem` does, unless a condition says otherwise).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    /// Attributes set to a value.
    pub set: Vec<(String, Value)>,
    /// Numeric attributes incremented (or decremented) by a value; an absent
    /// attribute counts as 0.
    pub add: Vec<(String, i64)>,
    /// Attributes removed.
    pub remove: Vec<String>,
    /// A new expiry: `Some(None)` removes it.
    pub expires_at: Option<Option<i64>>,
    /// A new GSI1 key (`None`: the item keeps the one it has).
    pub gsi1: Option<Key>,
}

impl Update {
    /// Puts the item under this GSI1 key.
    pub fn with_gsi1(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi1 = Some(Key::new(pk, sk));
        self
    }

    pub fn set(mut self, attr: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.push((attr.into(), value.into()));
        self
    }

    pub fn add(mut self, attr: impl Into<String>, delta: i64) -> Self {
        self.add.push((attr.into(), delta));
        self
    }

    pub fn remove(mut self, attr: impl Into<String>) -> Self {
        self.remove.push(attr.into());
        self
    }
}

/// One write, alone or in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        condition: Condition,
    },
    Update {
        key: Key,
        update: Update,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; fails the transaction if the condition does not hold.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    /// A whole item put back on the version it was read at (0: an item
    /// that must not exist yet): the write fails if another came first.
    pub fn put_at(mut item: Item, version: u64) -> Self {
        item.version = version;
        Write::Put {
            item,
            condition: if version == 0 {
                Condition::NotExists
            } else {
                Condition::VersionEquals(version)
            },
        }
    }

    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Update { key, .. } | Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> &Condition {
        match self {
            Write::Put { condition, .. }
            | Write::Update { condition, .. }
            | Write::Delete { condition, .. }
            | Write::Check { condition, .. } => condition,
        }
    }
}

/// Which key a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The table's own (pk, sk).
    Table,
    /// The secondary index (gsi1pk, gsi1sk).
    Gsi1,
}

/// Which sort keys of a partition a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortRange {
    All,
    Prefix(String),
    /// Inclusive on both ends, as DynamoDB's `BETWEEN`.
    Between(String, String),
}

/// A query of one partition, in sort-key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub range: SortRange,
    /// Newest first when the sort keys are time-sortable.
    pub descending: bool,
    /// At most this many items in the page (1 to 1000).
    pub limit: usize,
    /// The `next` token of the previous page.
    pub after: Option<String>,
}

impl Query {
    pub fn partition(partition: impl Into<String>) -> Self {
        Self {
            index: Index::Table,
            partition: partition.into(),
            range: SortRange::All,
            descending: false,
            limit: 100,
            after: None,
        }
    }

    pub fn gsi1(partition: impl Into<String>) -> Self {
        Self {
            index: Index::Gsi1,
            ..Self::partition(partition)
        }
    }

    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.range = SortRange::Prefix(prefix.into());
        self
    }

    pub fn between(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.range = SortRange::Between(from.into(), to.into());
        self
    }

    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, token: Option<String>) -> Self {
        self.after = token;
        self
    }
}

/// One page of a query: the items, and a token for the next page when there
/// are more.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
}

/// What can go wrong with the store. The messages are French: they may reach
/// an operator's terminal; the web layer never shows them to a family.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    /// A single write's condition did not hold.
    #[error("la condition d'écriture n'est pas remplie")]
    ConditionFailed,
    /// A transaction was cancelled: `index` is the first write whose condition
    /// did not hold (its position in the transaction).
    #[error("transaction annulée : la condition de l'écriture n° {index} n'est pas remplie")]
    TransactionCancelled { index: usize },
    /// Two concurrent transactions touched the same item; retrying may succeed.
    #[error("transaction en conflit avec une autre, à réessayer")]
    TransactionConflict,
    #[error("élément trop volumineux : {size} octets pour {max} au plus", max = MAX_ITEM_BYTES)]
    ItemTooLarge { size: usize },
    #[error("transaction invalide : {0}")]
    InvalidTransaction(String),
    #[error("élément invalide : {0}")]
    InvalidItem(String),
    #[error("requête invalide : {0}")]
    InvalidQuery(String),
    #[error("élément illisible : {0}")]
    Corrupt(String),
    /// The backend could not be reached or failed: the portal answers 503.
    #[error("stockage indisponible : {0}")]
    Unavailable(String),
}

/// The store port.
#[async_trait]
pub trait Store: Send + Sync {
    /// The item under this key, unless absent or expired.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// One page of a partition, in sort-key order, expired items left out.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// The first page of each query, in order: many small reads in one call
    /// (the embedded store answers them in one go; DynamoDB
    /// [`QUERIES_AT_ONCE`] at a time).
    async fn query_many(&self, queries: &[Query]) -> Result<Vec<Page>, StoreError> {
        use futures_util::{StreamExt, TryStreamExt};
        // Each query starts when the stream polls it.
        let reads: Vec<_> = queries.iter().map(|q| self.query(q)).collect();
        futures_util::stream::iter(reads)
            .buffered(QUERIES_AT_ONCE)
            .try_collect()
            .await
    }

    /// One conditional write.
    async fn write(&self, write: Write) -> Result<(), StoreError>;

    /// Up to [`MAX_TRANSACTION_WRITES`] writes on distinct items that all apply
    /// or none does.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Whether the backend answers (for health checks and start-up).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The writes of one transaction, each with a name the caller chooses (a
/// small enum of its own): a failed condition is reported by the name of
/// its write, so reordering the writes never changes what a failure means.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction<N> {
    writes: Vec<Write>,
    names: Vec<N>,
}

impl<N> Default for Transaction<N> {
    fn default() -> Self {
        Self {
            writes: Vec::new(),
            names: Vec::new(),
        }
    }
}

impl<N: Clone> Transaction<N> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one write under a name.
    pub fn add(&mut self, name: N, write: Write) -> &mut Self {
        self.writes.push(write);
        self.names.push(name);
        self
    }

    /// Adds writes under one name.
    pub fn extend(&mut self, name: N, writes: impl IntoIterator<Item = Write>) -> &mut Self {
        for w in writes {
            self.add(name.clone(), w);
        }
        self
    }

    /// Adds another transaction's writes, after these.
    pub fn append(&mut self, other: Transaction<N>) -> &mut Self {
        self.writes.extend(other.writes);
        self.names.extend(other.names);
        self
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// Why a named transaction did not apply.
#[derive(Debug, PartialEq)]
pub enum CommitError<N> {
    /// The condition of the write of this name did not hold.
    Failed(N),
    /// Anything else (a conflict to retry, an unavailable store…).
    Store(StoreError),
}

impl<N> From<StoreError> for CommitError<N> {
    fn from(e: StoreError) -> Self {
        CommitError::Store(e)
    }
}

/// Shorthands over the port.
impl dyn Store + '_ {
    /// Applies a named transaction; a failed condition comes back as the
    /// name of its write.
    pub async fn commit<N: Clone + Send>(
        &self,
        transaction: Transaction<N>,
    ) -> Result<(), CommitError<N>> {
        let Transaction { writes, names } = transaction;
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::TransactionCancelled { index }) => match names.get(index) {
                Some(name) => Err(CommitError::Failed(name.clone())),
                None => Err(CommitError::Store(StoreError::TransactionCancelled {
                    index,
                })),
            },
            Err(e) => Err(CommitError::Store(e)),
        }
    }

    pub async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.write(Write::Put { item, condition }).await
    }

    pub async fn update(
        &self,
        key: Key,
        update: Update,
        condition: Condition,
    ) -> Result<(), StoreError> {
        self.write(Write::Update {
            key,
            update,
            condition,
        })
        .await
    }

    pub async fn delete(&self, key: Key, condition: Condition) -> Result<(), StoreError> {
        self.write(Write::Delete { key, condition }).await
    }

    /// Whether the store takes a write: a heartbeat item, rewritten at each
    /// health check and expiring a day later (a store that answers reads
    /// but refuses writes is not healthy).
    pub async fn check_writable(&self, now_epoch: i64) -> Result<(), StoreError> {
        let mut item =
            Item::new(Key::new("META", "SANTE"), Map::new()).expiring_at(now_epoch + 86_400);
        item.attrs.insert("le".into(), Value::from(now_epoch));
        self.put(item, Condition::Always).await
    }

    /// Every item of a query, following the pages.
    pub async fn query_all(&self, mut query: Query) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        loop {
            let page = self.query(&query).await?;
            items.extend(page.items);
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(items),
            }
        }
    }
}
