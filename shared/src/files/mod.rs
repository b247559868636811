//! The files port: attachments and documents, stored under generated names.
//! Two adapters: a local folder and a private S3 bucket. What a file is comes
//! from its content (magic bytes), never from its name.

pub mod local;
pub mod s3;

use async_trait::async_trait;

/// Largest upload.
pub const MAX_UPLOAD: usize = 2 * 1024 * 1024;

/// The kinds of file the portal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
}

impl FileKind {
    /// The kind of a file from its first bytes.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }
}

/// Why an upload is refused (the message goes next to the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("Le fichier est vide.")]
    Empty,
    #[error(
        "Le fichier dépasse 2 Mo ({0} Ko) : réduisez-le ou scannez-le en plus basse résolution."
    )]
    TooLarge(usize),
    #[error("Format non accepté : seuls les fichiers PDF, JPEG et PNG sont acceptés.")]
    WrongType,
}

/// Checks an upload: not empty, at most 2 MB, a PDF, JPEG or PNG by content.
pub fn check_upload(bytes: &[u8]) -> Result<FileKind, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > MAX_UPLOAD {
        return Err(UploadError::TooLarge(bytes.len().div_ceil(1024)));
    }
    FileKind::detect(bytes).ok_or(UploadError::WrongType)
}

/// A generated storage name: `{folder}/{ULID}.{ext}`; `folder` is ours
/// (e.g. `dossiers/D2026-0142`), never the family's file name.
pub fn generated_key(folder: &str, kind: FileKind) -> String {
    format!("{folder}/{}.{}", ulid::Ulid::new(), kind.extension())
}

/// Whether a key is one we could have generated: letters, digits, `-`, `_`,
/// `.` and `/` between non-empty parts, no `..`.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FileError {
    #[error("nom de fichier invalide : {0}")]
    InvalidKey(String),
    #[error("stockage des fichiers indisponible : {0}")]
    Unavailable(String),
}

/// The files port.
#[async_trait]
pub trait Files: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, kind: FileKind) -> Result<(), FileError>;
    /// The file and its kind (from its content), or `None` if absent.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, FileKind)>, FileError>;
    async fn delete(&self, key: &str) -> Result<(), FileError>;
}

fn checked(key: &str) -> Result<&str, FileError> {
    if is_valid_key(key) {
        Ok(key)
    } else {
        Err(FileError::InvalidKey(key.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_content() {
        assert_eq!(check_upload(b"%PDF-1.7 ..."), Ok(FileKind::Pdf));
        assert_eq!(check_upload(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(FileKind::Jpeg));
        assert_eq!(check_upload(b"\x89PNG\r\n\x1a\n...."), Ok(FileKind::Png));
        // A text file named attestation.pdf is still text.
        assert_eq!(check_upload(b"Bonjour"), Err(UploadError::WrongType));
        assert_eq!(check_upload(b"GIF89a"), Err(UploadError::WrongType));
        assert_eq!(check_upload(b""), Err(UploadError::Empty));
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_UPLOAD]].concat();
        assert!(matches!(check_upload(&big), Err(UploadError::TooLarge(_))));
        let exact = [b"%PDF-".as_slice(), &vec![0u8; MAX_UPLOAD - 5]].concat();
        assert_eq!(check_upload(&exact), Ok(FileKind::Pdf));
    }

    #[test]
    fn keys() {
        let k = generated_key("dossiers/D2026-0142", FileKind::Pdf);
        assert!(is_valid_key(&k) && k.ends_with(".pdf"));
        for bad in ["", "../x", "a/../b", "/abs", "a//b", "a b", "a\\b", "é"] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
