//! The rules both store backends share, as pure functions: expiry, what a
//! condition means, item size as DynamoDB counts it, and what a valid item,
//! update, transaction or query is. The embedded store evaluates conditions
//! and updates with these; the DynamoDB store runs the same checks before it
//! sends anything, so both refuse the same inputs with the same error.

use super::{
    CmpOp, Condition, Item, Key, MAX_ITEM_BYTES, MAX_QUERY_LIMIT, MAX_TRANSACTION_WRITES, Query,
    RESERVED_ATTRIBUTES, StoreError, Update, Write,
};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Whether an item with this expiry is still there at `now` (epoch seconds).
/// An item expires at the second its expiry names.
pub fn is_live(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_none_or(|at| at > now)
}

/// Whether a condition holds, given the live item under the key (`None` when
/// absent or expired).
pub fn condition_holds(condition: &Condition, current: Option<&Item>) -> bool {
    match (condition, current) {
        (Condition::Always, _) => true,
        (Condition::NotExists, current) => current.is_none(),
        (Condition::Exists, current) => current.is_some(),
        (Condition::VersionEquals(v), Some(item)) => item.version == *v,
        (Condition::Compare { attr, op, value }, Some(item)) => item
            .attrs
            .get(attr)
            .and_then(Value::as_i64)
            .is_some_and(|actual| compare(actual, *op, *value)),
        (Condition::VersionEquals(_) | Condition::Compare { .. }, None) => false,
    }
}

/// The version a put stores. A put guarded by the version it was read at
/// stores the next one, whatever version the item value carries (an item
/// rebuilt from a record carries 0): a decision written back then moves the
/// version, and a second decision taken on the same reading fails.
pub fn put_version(item: &Item, condition: &Condition) -> u64 {
    match condition {
        Condition::VersionEquals(v) => v + 1,
        _ => item.version + 1,
    }
}

fn compare(actual: i64, op: CmpOp, value: i64) -> bool {
    match op {
        CmpOp::Lt => actual < value,
        CmpOp::Le => actual <= value,
        CmpOp::Eq => actual == value,
        CmpOp::Ne => actual != value,
        CmpOp::Ge => actual >= value,
        CmpOp::Gt => actual > value,
    }
}

/// The item an update leaves, from the live item under the key (or none).
pub fn apply_update(
    current: Option<&Item>,
    key: &Key,
    update: &Update,
) -> Result<Item, StoreError> {
    let mut item = match current {
        Some(item) => item.clone(),
        None => Item::new(key.clone(), Map::new()),
    };
    for (attr, value) in &update.set {
        item.attrs.insert(attr.clone(), value.clone());
    }
    for (attr, delta) in &update.add {
        let before = match item.attrs.get(attr) {
            None => 0,
            Some(v) => v.as_i64().ok_or_else(|| {
                StoreError::InvalidItem(format!("l'attribut « {attr} » n'est pas un entier"))
            })?,
        };
        let after = before.checked_add(*delta).ok_or_else(|| {
            StoreError::InvalidItem(format!("l'attribut « {attr} » dépasserait la capacité"))
        })?;
        item.attrs.insert(attr.clone(), Value::from(after));
    }
    for attr in &update.remove {
        item.attrs.remove(attr);
    }
    if let Some(expires_at) = update.expires_at {
        item.expires_at = expires_at;
    }
    if let Some(gsi1) = &update.gsi1 {
        item.gsi1 = Some(gsi1.clone());
    }
    Ok(item)
}

/// The size of an item as DynamoDB counts it: attribute names plus values,
/// the store's own attributes included.
pub fn item_size(item: &Item) -> usize {
    let mut size = key_size("pk", &item.key.pk) + key_size("sk", &item.key.sk);
    if let Some(g) = &item.gsi1 {
        size += key_size("gsi1pk", &g.pk) + key_size("gsi1sk", &g.sk);
    }
    size += "ver".len() + number_size(&(item.version + 1).to_string());
    if let Some(ttl) = item.expires_at {
        size += "ttl".len() + number_size(&ttl.to_string());
    }
    size + attrs_size(&item.attrs)
}

fn key_size(name: &str, value: &str) -> usize {
    name.len() + value.len()
}

fn attrs_size(attrs: &Map<String, Value>) -> usize {
    attrs.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::Number(n) => number_size(&n.to_string()),
        Value::String(s) => s.len(),
        Value::Array(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::Object(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

/// DynamoDB: about one byte per two significant digits, plus one.
fn number_size(digits: &str) -> usize {
    let significant = digits.chars().filter(char::is_ascii_digit).count();
    significant.div_ceil(2) + 1
}

/// Checks an item before it is written: keys present, no reserved attribute
/// among its own, within the size limit.
pub fn validate_item(item: &Item) -> Result<(), StoreError> {
    validate_key(&item.key)?;
    if let Some(g) = &item.gsi1
        && (g.pk.is_empty() || g.sk.is_empty())
    {
        return Err(StoreError::InvalidItem("clé GSI1 vide".into()));
    }
    validate_attr_names(item.attrs.keys())?;
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::ItemTooLarge { size });
    }
    Ok(())
}

pub fn validate_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidItem(
            "clé de partition ou de tri vide".into(),
        ));
    }
    Ok(())
}

fn validate_attr_names<'a>(names: impl IntoIterator<Item = &'a String>) -> Result<(), StoreError> {
    for name in names {
        if name.is_empty() || RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            return Err(StoreError::InvalidItem(format!(
                "nom d'attribut réservé ou vide : « {name} »"
            )));
        }
    }
    Ok(())
}

fn validate_condition(condition: &Condition) -> Result<(), StoreError> {
    if let Condition::Compare { attr, .. } = condition {
        validate_attr_names([attr])?;
    }
    Ok(())
}

/// Checks an update: attribute names, nothing set and removed at once, and
/// the values it sets within the size limit (the item it leaves is checked
/// again where the backend can see it).
pub fn validate_update(key: &Key, update: &Update) -> Result<(), StoreError> {
    validate_key(key)?;
    let names: Vec<&String> = update
        .set
        .iter()
        .map(|(k, _)| k)
        .chain(update.add.iter().map(|(k, _)| k))
        .chain(update.remove.iter())
        .collect();
    validate_attr_names(names.iter().copied())?;
    let distinct: HashSet<&String> = names.iter().copied().collect();
    if distinct.len() != names.len() {
        return Err(StoreError::InvalidItem(
            "un attribut apparaît deux fois dans la mise à jour".into(),
        ));
    }
    if let Some(g) = &update.gsi1 {
        validate_key(g)?;
    }
    let size = key_size("pk", &key.pk)
        + key_size("sk", &key.sk)
        + update
            .set
            .iter()
            .map(|(k, v)| k.len() + value_size(v))
            .sum::<usize>();
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::ItemTooLarge { size });
    }
    Ok(())
}

/// Checks one write.
pub fn validate_write(write: &Write) -> Result<(), StoreError> {
    validate_condition(write.condition())?;
    match write {
        Write::Put { item, .. } => validate_item(item),
        Write::Update { key, update, .. } => validate_update(key, update),
        Write::Delete { key, .. } | Write::Check { key, .. } => validate_key(key),
    }
}

/// Checks a transaction: 1 to 100 writes, each valid, on distinct items.
pub fn validate_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::InvalidTransaction(format!(
            "{} écritures pour 1 à {MAX_TRANSACTION_WRITES}",
            writes.len()
        )));
    }
    let mut keys = HashSet::new();
    for write in writes {
        validate_write(write)?;
        if !keys.insert(write.key()) {
            return Err(StoreError::InvalidTransaction(format!(
                "deux écritures sur le même élément {}/{}",
                write.key().pk,
                write.key().sk
            )));
        }
    }
    Ok(())
}

/// Checks a query: a partition, a limit from 1 to 1000.
pub fn validate_query(query: &Query) -> Result<(), StoreError> {
    if query.partition.is_empty() {
        return Err(StoreError::InvalidQuery("partition vide".into()));
    }
    if query.limit == 0 || query.limit > MAX_QUERY_LIMIT {
        return Err(StoreError::InvalidQuery(format!(
            "limite {} hors de 1 à {MAX_QUERY_LIMIT}",
            query.limit
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(attrs: Value) -> Item {
        let Value::Object(attrs) = attrs else {
            panic!("object")
        };
        Item::new(Key::new("P", "S"), attrs)
    }

    #[test]
    fn expiry_is_exclusive_of_the_named_second() {
        assert!(is_live(None, 100));
        assert!(is_live(Some(101), 100));
        assert!(!is_live(Some(100), 100));
        assert!(!is_live(Some(99), 100));
    }

    #[test]
    fn conditions_on_absent_and_present_items() {
        let mut it = item(json!({"places": 3}));
        it.version = 2;
        assert!(condition_holds(&Condition::NotExists, None));
        assert!(!condition_holds(&Condition::NotExists, Some(&it)));
        assert!(condition_holds(&Condition::Exists, Some(&it)));
        assert!(!condition_holds(&Condition::Exists, None));
        assert!(condition_holds(&Condition::VersionEquals(2), Some(&it)));
        assert!(!condition_holds(&Condition::VersionEquals(1), Some(&it)));
        assert!(!condition_holds(&Condition::VersionEquals(0), None));
        let gt = |value| Condition::Compare {
            attr: "places".into(),
            op: CmpOp::Gt,
            value,
        };
        assert!(condition_holds(&gt(2), Some(&it)));
        assert!(!condition_holds(&gt(3), Some(&it)));
        assert!(!condition_holds(&gt(0), None));
        let missing = Condition::Compare {
            attr: "absent".into(),
            op: CmpOp::Ne,
            value: 0,
        };
        assert!(!condition_holds(&missing, Some(&it)));
    }

    #[test]
    fn update_sets_adds_and_removes() {
        let it = item(json!({"places": 3, "nom": "x", "old": true}));
        let key = it.key.clone();
        let up = Update::default()
            .set("nom", "y")
            .add("places", -1)
            .add("new_counter", 5)
            .remove("old");
        let out = apply_update(Some(&it), &key, &up).unwrap();
        assert_eq!(
            Value::Object(out.attrs),
            json!({"places": 2, "nom": "y", "new_counter": 5})
        );
        let bad = Update::default().add("nom", 1);
        assert!(matches!(
            apply_update(Some(&it), &key, &bad),
            Err(StoreError::InvalidItem(_))
        ));
    }

    #[test]
    fn size_counts_names_and_values() {
        let small = item(json!({"a": "bcd"}));
        // pk+P, sk+S, ver+1 digit (2 bytes), a+bcd
        assert_eq!(item_size(&small), 3 + 3 + 3 + 2 + 4);
        let big = item(json!({"blob": "x".repeat(MAX_ITEM_BYTES)}));
        assert!(matches!(
            validate_item(&big),
            Err(StoreError::ItemTooLarge { .. })
        ));
    }

    #[test]
    fn reserved_names_and_duplicate_writes_are_refused() {
        assert!(validate_item(&item(json!({"ttl": 1}))).is_err());
        let w = || Write::Delete {
            key: Key::new("P", "S"),
            condition: Condition::Always,
        };
        assert!(matches!(
            validate_transaction(&[w(), w()]),
            Err(StoreError::InvalidTransaction(_))
        ));
        assert!(validate_transaction(&[]).is_err());
        let many: Vec<Write> = (0..101)
            .map(|i| Write::Delete {
                key: Key::new("P", i.to_string()),
                condition: Condition::Always,
            })
            .collect();
        assert!(validate_transaction(&many).is_err());
        assert!(validate_transaction(&many[..100]).is_ok());
    }

    #[test]
    fn query_limits() {
        assert!(validate_query(&Query::partition("P").limit(0)).is_err());
        assert!(validate_query(&Query::partition("P").limit(1001)).is_err());
        assert!(validate_query(&Query::partition("").limit(1)).is_err());
        assert!(validate_query(&Query::partition("P").limit(1000)).is_ok());
    }
}
