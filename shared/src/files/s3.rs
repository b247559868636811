//! Files in a private S3 bucket.

use super::{FileError, FileKind, Files, checked};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;

pub struct S3Files {
    client: Client,
    bucket: String,
}

impl S3Files {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

fn unavailable<E: ProvideErrorMetadata + std::fmt::Debug>(e: E) -> FileError {
    FileError::Unavailable(format!(
        "S3 : {} {}",
        e.code().unwrap_or("erreur"),
        e.message().unwrap_or_default()
    ))
}

#[async_trait]
impl Files for S3Files {
    async fn put(&self, key: &str, bytes: Vec<u8>, kind: FileKind) -> Result<(), FileError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .content_type(kind.content_type())
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, FileKind)>, FileError> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| FileError::Unavailable(e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(FileKind::detect(&bytes).map(|k| (bytes, k)))
    }

    async fn delete(&self, key: &str) -> Result<(), FileError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(checked(key)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
