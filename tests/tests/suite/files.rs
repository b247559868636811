//! The files port, written once and run on a local folder and on S3 (moto).

use crate::support::moto_bucket;
use shared::files::{FileError, FileKind, Files, generated_key, local::LocalFiles, s3::S3Files};
use std::sync::Arc;

struct Backend {
    files: Arc<dyn Files>,
    _dir: Option<tempfile::TempDir>,
}

fn local() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    Backend {
        files: Arc::new(LocalFiles::new(dir.path().join("files"))),
        _dir: Some(dir),
    }
}

async fn s3() -> Backend {
    let (client, bucket) = moto_bucket().await;
    Backend {
        files: Arc::new(S3Files::new(client, bucket)),
        _dir: None,
    }
}

async fn round_trip_and_delete(b: Backend) {
    let f = b.files.as_ref();
    let pdf = b"%PDF-1.4 attestation CAF".to_vec();
    let key = generated_key("dossiers/D2026-0142", FileKind::Pdf);
    assert_eq!(f.get(&key).await.unwrap(), None);
    f.put(&key, pdf.clone(), FileKind::Pdf).await.unwrap();
    assert_eq!(f.get(&key).await.unwrap(), Some((pdf, FileKind::Pdf)));
    let png = b"\x89PNG\r\n\x1a\nimage".to_vec();
    let other = generated_key("dossiers/D2026-0142", FileKind::Png);
    f.put(&other, png.clone(), FileKind::Png).await.unwrap();
    assert_eq!(
        f.get(&other).await.unwrap().map(|(_, k)| k),
        Some(FileKind::Png)
    );
    f.delete(&key).await.unwrap();
    assert_eq!(f.get(&key).await.unwrap(), None);
    f.delete(&key).await.unwrap();
    assert!(f.get(&other).await.unwrap().is_some());
}

async fn keys_are_checked(b: Backend) {
    let f = b.files.as_ref();
    for bad in ["../../etc/passwd", "/abs", "a//b", "a b.pdf"] {
        assert!(
            matches!(f.get(bad).await, Err(FileError::InvalidKey(_))),
            "{bad}"
        );
        assert!(matches!(
            f.put(bad, b"%PDF-".to_vec(), FileKind::Pdf).await,
            Err(FileError::InvalidKey(_))
        ));
    }
}

macro_rules! files_conformance {
    ($($case:ident),*) => {
        mod local_folder {
            $( #[tokio::test] async fn $case() { super::$case(super::local()).await } )*
        }
        mod s3_bucket {
            $( #[tokio::test] async fn $case() { super::$case(super::s3().await).await } )*
        }
    };
}

files_conformance!(round_trip_and_delete, keys_are_checked);
