//! The DynamoDB store: one table with `pk`/`sk`, the secondary index `GSI1`
//! (`gsi1pk`/`gsi1sk`), the item version in `ver` and the expiry in `ttl`
//! (the table's TTL attribute). An item's own attributes sit beside them,
//! converted with serde_dynamo.
//!
//! DynamoDB deletes expired items lazily (up to days later), so every read
//! leaves out items whose `ttl` has passed, and every condition treats them
//! as absent.

use super::cursor::Position;
use super::rules::{self, is_live};
use super::{
    CmpOp, Condition, Index, Item, Key, Page, Query, SortRange, Store, StoreError, Update, Write,
};
use crate::clock::Clock;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update as DynUpdate,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

type Attrs = HashMap<String, AttributeValue>;

pub const GSI1: &str = "GSI1";

pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    /// Creates the table as `infra/template.yaml` declares it (on-demand,
    /// pk/sk, GSI1, TTL on `ttl`): for tests and local DynamoDB-compatible
    /// servers; on AWS the template creates it.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::InvalidQuery(e.to_string()))
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|e| StoreError::InvalidQuery(e.to_string()))
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key("gsi1pk", KeyType::Hash)?)
            .key_schema(key("gsi1sk", KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::InvalidQuery(e.to_string()))?;
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk")?)
            .attribute_definitions(attr("sk")?)
            .attribute_definitions(attr("gsi1pk")?)
            .attribute_definitions(attr("gsi1sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .global_secondary_indexes(gsi)
            .send()
            .await
            .map_err(sdk_error)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("ttl")
                    .enabled(true)
                    .build()
                    .map_err(|e| StoreError::InvalidQuery(e.to_string()))?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// The raw item under a key, expired or not.
    async fn get_raw(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_attrs).transpose()
    }

    /// Deletes the item under `key` if it is there but expired (DynamoDB has
    /// not swept it yet), so that an update can start from nothing, as it
    /// would on the embedded store. Tells whether it did.
    async fn purge_if_expired(&self, key: &Key) -> Result<bool, StoreError> {
        let now = self.clock.epoch_seconds();
        match self.get_raw(key).await? {
            Some(item) if !is_live(item.expires_at, now) => {
                let result = self
                    .client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression("#ttl <= :now")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":now", num(now))
                    .send()
                    .await;
                match result.map_err(sdk_error) {
                    Ok(_) | Err(StoreError::ConditionFailed) => Ok(true),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(false),
        }
    }

    fn transact_item(&self, write: &Write, now: i64) -> Result<TransactWriteItem, StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::InvalidItem(e.to_string());
        let mut expr = Expr::default();
        let item = match write {
            Write::Put { item, condition } => {
                let cond = expr.condition(condition, now);
                TransactWriteItem::builder().put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_attrs(item, rules::put_version(item, condition))?))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(built)?,
                )
            }
            Write::Update {
                key,
                update,
                condition,
            } => {
                let (update_expr, cond) = expr.update(update, condition, now);
                TransactWriteItem::builder().update(
                    DynUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .update_expression(update_expr)
                        .condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(built)?,
                )
            }
            Write::Delete { key, condition } => {
                let cond = expr.condition(condition, now);
                TransactWriteItem::builder().delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(built)?,
                )
            }
            Write::Check { key, condition } => {
                // A check without condition still needs an expression.
                let cond = expr
                    .condition(condition, now)
                    .unwrap_or_else(|| "attribute_exists(#pk) OR attribute_not_exists(#pk)".into());
                expr.name("#pk", "pk");
                TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(key)))
                        .condition_expression(cond)
                        .set_expression_attribute_names(expr.names())
                        .set_expression_attribute_values(expr.values())
                        .build()
                        .map_err(built)?,
                )
            }
        };
        Ok(item.build())
    }

    async fn send_single(&self, write: &Write, now: i64) -> Result<(), StoreError> {
        // A single write goes through the same builder as a transaction item,
        // then is sent with the matching single-item call.
        let item = self.transact_item(write, now)?;
        let result = if let Some(p) = item.put {
            self.client
                .put_item()
                .table_name(p.table_name)
                .set_item(Some(p.item))
                .set_condition_expression(p.condition_expression)
                .set_expression_attribute_names(p.expression_attribute_names)
                .set_expression_attribute_values(p.expression_attribute_values)
                .send()
                .await
                .map(drop)
                .map_err(sdk_error)
        } else if let Some(u) = item.update {
            self.client
                .update_item()
                .table_name(u.table_name)
                .set_key(Some(u.key))
                .update_expression(u.update_expression)
                .set_condition_expression(u.condition_expression)
                .set_expression_attribute_names(u.expression_attribute_names)
                .set_expression_attribute_values(u.expression_attribute_values)
                .send()
                .await
                .map(drop)
                .map_err(sdk_error)
        } else if let Some(d) = item.delete {
            self.client
                .delete_item()
                .table_name(d.table_name)
                .set_key(Some(d.key))
                .set_condition_expression(d.condition_expression)
                .set_expression_attribute_names(d.expression_attribute_names)
                .set_expression_attribute_values(d.expression_attribute_values)
                .send()
                .await
                .map(drop)
                .map_err(sdk_error)
        } else {
            // A lone check is a transaction of one.
            return self
                .send_transaction(vec![item])
                .await
                .map_err(|e| match e {
                    StoreError::TransactionCancelled { .. } => StoreError::ConditionFailed,
                    other => other,
                });
        };
        result.map_err(|e| size_error(e, write))
    }

    async fn send_transaction(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
                if let SdkError::ServiceError(service) = &e
                    && let TransactWriteItemsError::TransactionCanceledException(c) = service.err()
                {
                    return cancellation(c.cancellation_reasons());
                }
                sdk_error(e)
            })
    }
}

/// Reads DynamoDB's cancellation reasons: the first failed condition wins;
/// a conflict with another transaction is told apart.
fn cancellation(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> StoreError {
    let code =
        |r: &aws_sdk_dynamodb::types::CancellationReason| r.code().unwrap_or("None").to_owned();
    if let Some(index) = reasons
        .iter()
        .position(|r| code(r) == "ConditionalCheckFailed")
    {
        return StoreError::TransactionCancelled { index };
    }
    if reasons.iter().any(|r| code(r) == "TransactionConflict") {
        return StoreError::TransactionConflict;
    }
    let detail: Vec<String> = reasons.iter().map(code).collect();
    StoreError::InvalidTransaction(format!("annulée : {}", detail.join(", ")))
}

/// DynamoDB refuses an update whose result is over 400 KB with a validation
/// error: told the same way as the embedded store tells it.
fn size_error(e: StoreError, write: &Write) -> StoreError {
    match e {
        StoreError::InvalidItem(msg) if msg.contains("size") => StoreError::ItemTooLarge {
            size: match write {
                Write::Put { item, .. } => rules::item_size(item),
                _ => super::MAX_ITEM_BYTES + 1,
            },
        },
        other => other,
    }
}

fn sdk_error<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> StoreError {
    match &e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let message = err.message().unwrap_or_default().to_owned();
            match err.code() {
                Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
                Some("TransactionConflictException") => StoreError::TransactionConflict,
                Some("ValidationException") => StoreError::InvalidItem(message),
                Some("ResourceNotFoundException") => {
                    StoreError::Unavailable(format!("table DynamoDB introuvable : {message}"))
                }
                code => StoreError::Unavailable(format!(
                    "DynamoDB : {} {message}",
                    code.unwrap_or("erreur")
                )),
            }
        }
        other => StoreError::Unavailable(format!("DynamoDB injoignable : {other:?}")),
    }
}

fn num(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([("pk".into(), s(&key.pk)), ("sk".into(), s(&key.sk))])
}

/// The item as DynamoDB stores it after a put, with the version it stores.
fn to_attrs(item: &Item, version: u64) -> Result<Attrs, StoreError> {
    let mut attrs: Attrs =
        serde_dynamo::to_item(&item.attrs).map_err(|e| StoreError::InvalidItem(e.to_string()))?;
    attrs.extend(key_attrs(&item.key));
    if let Some(g) = &item.gsi1 {
        attrs.insert("gsi1pk".into(), s(&g.pk));
        attrs.insert("gsi1sk".into(), s(&g.sk));
    }
    attrs.insert("ver".into(), num(version));
    if let Some(ttl) = item.expires_at {
        attrs.insert("ttl".into(), num(ttl));
    }
    Ok(attrs)
}

fn from_attrs(mut attrs: Attrs) -> Result<Item, StoreError> {
    let mut take_s = |name: &str| match attrs.remove(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    };
    let (pk, sk) = (take_s("pk"), take_s("sk"));
    let gsi1 = take_s("gsi1pk").zip(take_s("gsi1sk"));
    let (Some(pk), Some(sk)) = (pk, sk) else {
        return Err(StoreError::Corrupt("élément sans clé".into()));
    };
    let mut take_n = |name: &str| match attrs.remove(name) {
        Some(AttributeValue::N(v)) => v.parse::<i64>().ok(),
        _ => None,
    };
    let version = take_n("ver")
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0);
    let expires_at = take_n("ttl");
    let values: Map<String, Value> = serde_dynamo::from_item(attrs)
        .map_err(|e| StoreError::Corrupt(format!("{pk}/{sk}: {e}")))?;
    Ok(Item {
        key: Key::new(pk, sk),
        gsi1: gsi1.map(|(p, s)| Key::new(p, s)),
        version,
        expires_at,
        attrs: values,
    })
}

/// Builds expression strings with their placeholder names and values.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: Attrs,
    counter: usize,
}

const LIVE: &str = "(attribute_not_exists(#ttl) OR #ttl > :now)";

impl Expr {
    fn name(&mut self, placeholder: &str, attr: &str) {
        self.names.insert(placeholder.into(), attr.into());
    }

    fn fresh(&mut self, attr: &str, value: AttributeValue) -> (String, String) {
        self.counter += 1;
        let (n, v) = (format!("#a{}", self.counter), format!(":a{}", self.counter));
        self.names.insert(n.clone(), attr.into());
        self.values.insert(v.clone(), value);
        (n, v)
    }

    fn now(&mut self, now: i64) {
        self.name("#pk", "pk");
        self.name("#ttl", "ttl");
        self.values.insert(":now".into(), num(now));
    }

    /// The condition expression; `None` for [`Condition::Always`].
    fn condition(&mut self, condition: &Condition, now: i64) -> Option<String> {
        let live_and = |this: &mut Self, clause: String| {
            this.now(now);
            format!("attribute_exists(#pk) AND {LIVE} AND {clause}")
        };
        match condition {
            Condition::Always => None,
            Condition::NotExists => {
                self.now(now);
                Some("attribute_not_exists(#pk) OR #ttl <= :now".into())
            }
            Condition::Exists => {
                self.now(now);
                Some(format!("attribute_exists(#pk) AND {LIVE}"))
            }
            Condition::VersionEquals(v) => {
                let (n, val) = self.fresh("ver", num(v));
                Some(live_and(self, format!("{n} = {val}")))
            }
            Condition::Compare { attr, op, value } => {
                let (n, val) = self.fresh(attr, num(value));
                let op = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "<>",
                    CmpOp::Ge => ">=",
                    CmpOp::Gt => ">",
                };
                Some(live_and(self, format!("{n} {op} {val}")))
            }
        }
    }

    /// The update expression and its condition. The condition also requires
    /// the item not to be an expired leftover: the caller purges it and
    /// retries, so an update starts from nothing as on the embedded store.
    fn update(&mut self, update: &Update, condition: &Condition, now: i64) -> (String, String) {
        let mut sets = Vec::new();
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        for (attr, value) in &update.set {
            let av = serde_dynamo::to_attribute_value(value).unwrap_or(AttributeValue::Null(true));
            let (n, v) = self.fresh(attr, av);
            sets.push(format!("{n} = {v}"));
        }
        for (attr, delta) in &update.add {
            let (n, v) = self.fresh(attr, num(delta));
            adds.push(format!("{n} {v}"));
        }
        for attr in &update.remove {
            self.counter += 1;
            let n = format!("#a{}", self.counter);
            self.name(&n, attr);
            removes.push(n);
        }
        if let Some(g) = &update.gsi1 {
            for (attr, value) in [("gsi1pk", &g.pk), ("gsi1sk", &g.sk)] {
                let (n, v) = self.fresh(attr, s(value));
                sets.push(format!("{n} = {v}"));
            }
        }
        let (nver, one) = self.fresh("ver", num(1));
        adds.push(format!("{nver} {one}"));
        match update.expires_at {
            Some(Some(at)) => {
                self.values.insert(":ttlv".into(), num(at));
                sets.push("#ttl = :ttlv".into());
            }
            Some(None) => removes.push("#ttl".into()),
            None => {}
        }
        let mut expr = String::new();
        for (word, parts) in [("SET", sets), ("ADD", adds), ("REMOVE", removes)] {
            if !parts.is_empty() {
                expr.push_str(&format!("{word} {} ", parts.join(", ")));
            }
        }
        let not_leftover =
            "(attribute_not_exists(#pk) OR attribute_not_exists(#ttl) OR #ttl > :now)";
        let cond = match self.condition(condition, now) {
            // Only the top-level OR of NotExists needs parentheses; DynamoDB
            // refuses redundant ones.
            Some(c) if matches!(condition, Condition::NotExists) => {
                format!("({c}) AND {not_leftover}")
            }
            Some(c) => format!("{c} AND {not_leftover}"),
            None => not_leftover.to_owned(),
        };
        self.now(now);
        (expr.trim_end().to_owned(), cond)
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<Attrs> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn start_key(position: Position) -> Attrs {
    let mut attrs = key_attrs(&Key::new(position.pk, position.sk));
    if let (Some(gpk), Some(gsk)) = (position.gsi1pk, position.gsi1sk) {
        attrs.insert("gsi1pk".into(), s(&gpk));
        attrs.insert("gsi1sk".into(), s(&gsk));
    }
    attrs
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        rules::validate_key(key)?;
        let now = self.clock.epoch_seconds();
        Ok(self
            .get_raw(key)
            .await?
            .filter(|item| is_live(item.expires_at, now)))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        rules::validate_query(query)?;
        let now = self.clock.epoch_seconds();
        let (part, sort) = match query.index {
            Index::Table => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        };
        let mut values: Attrs = HashMap::from([(":p".into(), s(&query.partition))]);
        let mut key_expr = "#p = :p".to_owned();
        match &query.range {
            SortRange::All => {}
            SortRange::Prefix(prefix) => {
                key_expr.push_str(" AND begins_with(#s, :a)");
                values.insert(":a".into(), s(prefix));
            }
            SortRange::Between(from, to) => {
                key_expr.push_str(" AND #s BETWEEN :a AND :b");
                values.insert(":a".into(), s(from));
                values.insert(":b".into(), s(to));
            }
        }
        let mut names = HashMap::from([("#p".to_owned(), part.to_owned())]);
        if query.range != SortRange::All {
            names.insert("#s".into(), sort.into());
        }
        let mut start = match &query.after {
            Some(token) => Some(start_key(Position::decode(token, query.index)?)),
            None => None,
        };
        // Ask for one more than the page holds, so that the last page says
        // there is no next one; expired items are left out and asked again.
        let mut items = Vec::new();
        loop {
            let want = query.limit + 1 - items.len();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name((query.index == Index::Gsi1).then(|| GSI1.to_owned()))
                .key_condition_expression(&key_expr)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!query.descending)
                .consistent_read(query.index == Index::Table)
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for raw in out.items.unwrap_or_default() {
                let item = from_attrs(raw)?;
                if is_live(item.expires_at, now) {
                    items.push(item);
                }
            }
            if items.len() > query.limit {
                items.truncate(query.limit);
                let next = items
                    .last()
                    .map(|last| Position::of(last, query.index).encode());
                return Ok(Page { items, next });
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(Page { items, next: None }),
            }
        }
    }

    async fn write(&self, write: Write) -> Result<(), StoreError> {
        rules::validate_write(&write)?;
        let now = self.clock.epoch_seconds();
        match self.send_single(&write, now).await {
            Err(StoreError::ConditionFailed)
                if matches!(write, Write::Update { .. })
                    && self.purge_if_expired(write.key()).await? =>
            {
                self.send_single(&write, now).await
            }
            other => other,
        }
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        rules::validate_transaction(&writes)?;
        let now = self.clock.epoch_seconds();
        // Each pass may find one more expired leftover under an update.
        for _ in 0..=writes.len() {
            let items = writes
                .iter()
                .map(|w| self.transact_item(w, now))
                .collect::<Result<Vec<_>, _>>()?;
            match self.send_transaction(items).await {
                Err(StoreError::TransactionCancelled { index })
                    if matches!(writes[index], Write::Update { .. })
                        && self.purge_if_expired(writes[index].key()).await? => {}
                Err(StoreError::InvalidItem(msg)) if msg.contains("size") => {
                    return Err(StoreError::ItemTooLarge {
                        size: super::MAX_ITEM_BYTES + 1,
                    });
                }
                other => return other,
            }
        }
        Err(StoreError::TransactionConflict)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map(drop)
            .map_err(sdk_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attrs_round_trip_with_reserved_attributes() {
        let Value::Object(attrs) =
            json!({"nom": "Léa", "n": 3, "ok": true, "l": [1, "a"], "m": {"x": null}})
        else {
            unreachable!()
        };
        let mut item = Item::new(Key::new("P", "S"), attrs).with_gsi1("G", "g");
        item.expires_at = Some(1_900_000_000);
        let mut back = from_attrs(to_attrs(&item, 1).unwrap()).unwrap();
        assert_eq!(back.version, 1);
        back.version = 0;
        assert_eq!(back, item);
    }

    #[test]
    fn update_expression_names_every_part() {
        let mut e = Expr::default();
        let up = Update::default().set("a", "x").add("n", 2).remove("r");
        let (expr, cond) = e.update(&up, &Condition::VersionEquals(3), 10);
        assert!(
            expr.starts_with("SET #a1 = :a1 ADD #a2 :a2, #a4 :a4 REMOVE #a3"),
            "{expr}"
        );
        assert!(cond.contains("#a5 = :a5"), "{cond}");
        assert_eq!(e.values[":now"], num(10));
        assert_eq!(e.names["#a4"], "ver");
    }
}
