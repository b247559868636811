//! The continuation token of a query: the position of the last item returned,
//! opaque to callers (base64url of a small JSON object), the same format on
//! both backends.

use super::{Index, Item, StoreError};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// Where a page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub pk: String,
    pub sk: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gsi1pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gsi1sk: Option<String>,
}

impl Position {
    /// The position of an item read through `index`.
    pub fn of(item: &Item, index: Index) -> Self {
        let gsi1 = match index {
            Index::Table => None,
            Index::Gsi1 => item.gsi1.as_ref(),
        };
        Self {
            pk: item.key.pk.clone(),
            sk: item.key.sk.clone(),
            gsi1pk: gsi1.map(|g| g.pk.clone()),
            gsi1sk: gsi1.map(|g| g.sk.clone()),
        }
    }

    pub fn encode(&self) -> String {
        // Serializing a struct of strings cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a token; one that does not belong to this query is refused.
    pub fn decode(token: &str, index: Index) -> Result<Self, StoreError> {
        let bad = || StoreError::InvalidQuery("jeton de pagination invalide".into());
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let position: Position = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let has_gsi1 = position.gsi1pk.is_some() && position.gsi1sk.is_some();
        if has_gsi1 != (index == Index::Gsi1) {
            return Err(bad());
        }
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Key;

    #[test]
    fn round_trip_and_rejects_garbage() {
        let item = Item::new(Key::new("P", "S#1"), Default::default()).with_gsi1("G", "g");
        for index in [Index::Table, Index::Gsi1] {
            let p = Position::of(&item, index);
            assert_eq!(Position::decode(&p.encode(), index).unwrap(), p);
        }
        let table_token = Position::of(&item, Index::Table).encode();
        assert!(Position::decode(&table_token, Index::Gsi1).is_err());
        assert!(Position::decode("%%%", Index::Table).is_err());
        assert!(Position::decode("e30", Index::Table).is_err());
    }
}
