//! Forms with files (`multipart/form-data`): the CSRF token checked like any
//! other POST, text fields refused unless valid UTF-8, a bounded number of
//! parts, and files kept as bytes for the files port to check by content.
//! Upload routes take a larger body limit than the rest ([`UPLOAD_BODY_LIMIT`]).

use super::AppError;
use super::auth::{CSRF_FIELD, VISITOR_COOKIE};
use crate::accounts::tokens::csrf_matches;
use crate::app::App;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;

/// Largest body of an upload form: two files of 2 MB and the fields. It
/// stays under what a Lambda function takes once base64-encoded (6 MB).
pub const UPLOAD_BODY_LIMIT: usize = 4_300_000;
/// Most parts a form may have.
const MAX_PARTS: usize = 100;

/// A file part. `chosen` is false when the form was sent without choosing
/// a file (browsers then send an empty part without a name).
#[derive(Debug, Clone)]
pub struct FilePart {
    pub chosen: bool,
    pub bytes: Vec<u8>,
}

/// A checked upload form.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, FilePart)>,
    /// Text fields that were not valid UTF-8 (kept, their bad bytes
    /// replaced, for a form that says so next to the field).
    invalid: Vec<String>,
}

impl Upload {
    /// The text fields read into a record, as a urlencoded form would be;
    /// a field that was not valid UTF-8 is a bad request.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if !self.invalid.is_empty() {
            return Err(AppError::BadRequest);
        }
        self.read()
    }

    /// The text fields read into a record, those that were not valid UTF-8
    /// included (see [`Self::invalid_text`]); a field of the wrong shape
    /// is left to its default.
    pub fn form_lossy<T: DeserializeOwned + Default>(&self) -> T {
        self.read().unwrap_or_default()
    }

    fn read<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        let encoded =
            serde_urlencoded::to_string(&self.fields).map_err(|_| AppError::BadRequest)?;
        serde_urlencoded::from_str(&encoded).map_err(|_| AppError::BadRequest)
    }

    /// The text fields that were not valid UTF-8.
    pub fn invalid_text(&self) -> &[String] {
        &self.invalid
    }

    /// Takes every chosen file of a field (`multiple`) out of the form.
    pub fn take_files(&mut self, name: &str) -> Vec<Vec<u8>> {
        self.files
            .iter_mut()
            .filter(|(k, f)| k == name && f.chosen)
            .map(|(_, f)| std::mem::take(&mut f.bytes))
            .collect()
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        super::form::every(&self.fields, name)
            .map(str::to_owned)
            .collect()
    }

    /// The file sent in a field, if one was chosen.
    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.files
            .iter()
            .find(|(k, f)| k == name && f.chosen)
            .map(|(_, f)| f)
    }

    /// Takes a chosen file's bytes out of the form.
    pub fn take_file(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files
            .iter_mut()
            .find(|(k, f)| k == name && f.chosen)
            .map(|(_, f)| std::mem::take(&mut f.bytes))
    }
}

/// An upload form whose CSRF token was checked; otherwise a French 403 page
/// (415 for another content type, 413 over the limit, 400 if malformed).
pub struct CsrfMultipart(pub Upload);

fn rejected(status: StatusCode) -> Response {
    status.into_response()
}

impl FromRequest<App> for CsrfMultipart {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            return Err(rejected(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let binding = CookieJar::from_headers(req.headers())
            .get(VISITOR_COOKIE)
            .map(|c| c.value().to_owned());
        let mut multipart = Multipart::from_request(req, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut upload = Upload::default();
        let mut parts = 0;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(rejected(e.status())),
            };
            parts += 1;
            if parts > MAX_PARTS {
                return Err(AppError::BadRequest.into_response());
            }
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| rejected(e.status()))?;
            match file_name {
                Some(file_name) => {
                    let chosen = !(file_name.is_empty() && bytes.is_empty());
                    upload.files.push((
                        name,
                        FilePart {
                            chosen,
                            bytes: bytes.to_vec(),
                        },
                    ));
                }
                None => {
                    let value = match String::from_utf8(bytes.to_vec()) {
                        Ok(v) => v,
                        Err(e) => {
                            upload.invalid.push(name.clone());
                            String::from_utf8_lossy(e.as_bytes()).into_owned()
                        }
                    };
                    let value = crate::text::without_bidi_controls(&value).into_owned();
                    upload.fields.push((name, value));
                }
            }
        }
        let submitted = upload
            .fields
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let secret = app
            .secret()
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        match binding {
            Some(b) if csrf_matches(secret, &b, submitted) => Ok(CsrfMultipart(upload)),
            _ => Err(AppError::CsrfRejected.into_response()),
        }
    }
}
