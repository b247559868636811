//! Files in a local folder (local runs and tests).

use super::{FileError, FileKind, Files, checked};
use async_trait::async_trait;
use std::path::PathBuf;

pub struct LocalFiles {
    dir: PathBuf,
}

impl LocalFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

fn io(e: std::io::Error) -> FileError {
    FileError::Unavailable(e.to_string())
}

#[async_trait]
impl Files for LocalFiles {
    async fn put(&self, key: &str, bytes: Vec<u8>, _kind: FileKind) -> Result<(), FileError> {
        let path = self.dir.join(checked(key)?);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        tokio::fs::write(path, bytes).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, FileKind)>, FileError> {
        match tokio::fs::read(self.dir.join(checked(key)?)).await {
            Ok(bytes) => Ok(FileKind::detect(&bytes).map(|k| (bytes, k))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), FileError> {
        match tokio::fs::remove_file(self.dir.join(checked(key)?)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}
