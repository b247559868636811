//! The dossier import on both store backends: the example file, re-import
//! without duplicates, and sign-up references from imported invoice numbers.

use crate::support::Backend;
use shared::accounts::service::dossier_matches;
use shared::domain::dossier;
use shared::import::{self, Outcome};
use shared::store::Query;

const EXAMPLE: &[u8] = include_bytes!("../../../import/exemple-dossiers.csv");

async fn count(b: &Backend, numero: &str, prefix: &str) -> usize {
    b.store
        .query_all(Query::partition(dossier::partition(numero)).prefix(prefix))
        .await
        .unwrap()
        .len()
}

async fn import_twice_without_duplicates(b: Backend) {
    let parsed = import::parse(EXAMPLE).unwrap();
    assert_eq!(parsed.records.len(), 4);
    assert!(parsed.rejected.is_empty());
    for r in &parsed.records {
        assert_eq!(
            import::write(b.store.as_ref(), r).await.unwrap(),
            Outcome::Created
        );
    }
    assert_eq!(count(&b, "D2025-0007", "ENFANT#").await, 2);
    assert_eq!(count(&b, "D2025-0007", "INDEX#RESPONSABLE#").await, 2);
    // The same file again updates in place.
    let latin1 = encoding_rs::WINDOWS_1252
        .encode(std::str::from_utf8(EXAMPLE).unwrap())
        .0;
    let again = import::parse(&latin1).unwrap();
    assert_eq!(again.encoding, import::Encoding::Latin1);
    assert_eq!(again.records, parsed.records, "Latin-1 reads the same");
    for r in &again.records {
        assert_eq!(
            import::write(b.store.as_ref(), r).await.unwrap(),
            Outcome::Updated
        );
    }
    assert_eq!(count(&b, "D2025-0007", "ENFANT#").await, 2);
    assert_eq!(count(&b, "D2024-0153", "ENFANT#").await, 1);
    // An imported family can sign up with its references.
    let s = b.store.as_ref();
    assert!(
        dossier_matches(s, "D2025-0007", "MARTIN", "412")
            .await
            .unwrap()
    );
    assert!(
        dossier_matches(s, "d2025-0007", "karim martin", "455")
            .await
            .unwrap()
    );
    assert!(
        !dossier_matches(s, "D2025-0007", "Martin", "501")
            .await
            .unwrap()
    );
    assert!(
        !dossier_matches(s, "D2023-0088", "Rousseau", "000")
            .await
            .unwrap()
    );
}

mod sqlite {
    #[tokio::test]
    async fn import_twice_without_duplicates() {
        super::import_twice_without_duplicates(crate::support::sqlite().await).await
    }
}

mod dynamodb {
    #[tokio::test]
    async fn import_twice_without_duplicates() {
        super::import_twice_without_duplicates(crate::support::dynamodb().await).await
    }
}
