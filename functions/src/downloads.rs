//! A dossier document sent back as an attachment — to its family or to an
//! agent: only a document `shared::access` granted.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use shared::App;
use shared::access::Granted;
use shared::documents::{download_name, read};
use shared::domain::document::Document;
use shared::web::AppError;

pub async fn attachment(app: &App, doc: &Granted<Document>) -> Result<Response, AppError> {
    let Some((bytes, kind)) = read(app, doc)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
    else {
        tracing::error!(document = %doc.id, "fichier d'un document absent du stockage");
        return Err(AppError::NotFound);
    };
    as_attachment(bytes, kind.content_type(), &download_name(doc))
}

/// Bytes sent as a file to save (never shown in the page, never cached):
/// documents, invoices' PDFs, CSV exports.
pub fn as_attachment(
    bytes: impl IntoResponse,
    content_type: &'static str,
    filename: &str,
) -> Result<Response, AppError> {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
