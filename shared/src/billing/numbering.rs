//! Continuous numbering per régie, series and year ("F-2026-000042"): a
//! counter item whose write joins the transaction of the documents it
//! numbers, on the condition that it still holds the value read. Two
//! publications at once: one commits, the other reads again and takes the
//! next numbers — never the same, never a gap.

use crate::store::{CmpOp, Condition, Key, Store, StoreError, Update, Write};

/// The régie's counter of a series ("F", "A", "R") for a year.
pub fn counter_key(series: &str, year: i32) -> Key {
    Key::new("COMPTEUR#regie", format!("{series}#{year}"))
}

/// Numbers reserved in a transaction: the first, and the counter's write.
pub struct Reserved {
    pub first: u64,
    pub write: Write,
}

/// Reserves `count` numbers of a series: `first..first + count`. The write
/// fails the transaction if another took numbers meanwhile.
pub async fn reserve(
    store: &dyn Store,
    series: &str,
    year: i32,
    count: u64,
) -> Result<Reserved, StoreError> {
    let key = counter_key(series, year);
    let current = match store.get(&key).await? {
        Some(item) => Some(item.attrs.get("n").and_then(|v| v.as_i64()).unwrap_or(0)),
        None => None,
    };
    let condition = match current {
        Some(n) => Condition::Compare {
            attr: "n".into(),
            op: CmpOp::Eq,
            value: n,
        },
        None => Condition::NotExists,
    };
    Ok(Reserved {
        first: current.unwrap_or(0) as u64 + 1,
        write: Write::Update {
            key,
            update: Update::default().add("n", count as i64),
            condition,
        },
    })
}
