//! The form extractor every POST handler uses. Unlike axum's, it refuses a
//! body whose fields are not valid UTF-8 (axum's replaces the bytes with
//! U+FFFD and goes on), so a malformed form gets a French 400 page and is
//! never stored half-garbled.

use super::AppError;
use crate::text::without_bidi_controls;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode;
use serde::de::DeserializeOwned;

pub struct Form<T>(pub T);

/// Whether every name and value of an `application/x-www-form-urlencoded`
/// body decodes to valid UTF-8.
pub fn is_valid_utf8_form(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        let plus_as_space: Vec<u8> = pair
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_decode(&plus_as_space).decode_utf8().is_ok()
    })
}

/// The body of a form POST: an `application/x-www-form-urlencoded` body
/// (415 otherwise) within the body limit (413), valid UTF-8 (400).
pub async fn form_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, Response> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    // The body limit's own rejection (413) passes through as it is.
    let body = Bytes::from_request(req, state)
        .await
        .map_err(IntoResponse::into_response)?;
    if !is_valid_utf8_form(&body) {
        return Err(AppError::BadRequest.into_response());
    }
    Ok(body)
}

/// Reads a checked body into a record (unknown fields are ignored), without
/// the bidirectional controls of any field ([`crate::text`]).
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest)?;
    let has_bidi = |s: &str| s.chars().any(crate::text::is_bidi_control);
    if !pairs.iter().any(|(k, v)| has_bidi(k) || has_bidi(v)) {
        return serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest);
    }
    let cleaned: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            (
                without_bidi_controls(k).into_owned(),
                without_bidi_controls(v).into_owned(),
            )
        })
        .collect();
    let encoded = serde_urlencoded::to_string(&cleaned).map_err(|_| AppError::BadRequest)?;
    serde_urlencoded::from_str(&encoded).map_err(|_| AppError::BadRequest)
}

/// The first value of a field, in a form read as name–value pairs.
pub fn first<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeated field (checkboxes), in order.
pub fn every<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = form_body(req, state).await?;
        parse_form(&body)
            .map(Form)
            .map_err(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_check_decodes_percent_escapes_and_plus() {
        assert!(is_valid_utf8_form(b"nom=L%C3%A9a+Dupr%C3%A9&x="));
        assert!(is_valid_utf8_form(b""));
        assert!(!is_valid_utf8_form(b"nom=%FF%FE"));
        assert!(!is_valid_utf8_form(b"nom=\xff"));
        assert!(!is_valid_utf8_form(b"%C3=ok"));
    }
}
