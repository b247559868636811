//! The error a handler returns: rendered as a French page with its status.
//! Causes go to the log, never to the page.

use crate::layout::error_page::{render_error, render_error_with};
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("introuvable")]
    NotFound,
    #[error("requête invalide")]
    BadRequest,
    #[error("accès refusé")]
    Forbidden,
    /// A POST without the right CSRF token.
    #[error("jeton CSRF absent ou invalide")]
    CsrfRejected,
    #[error("trop de requêtes")]
    TooManyRequests,
    /// The store or another backend does not answer: 503.
    #[error("indisponible : {0}")]
    Unavailable(String),
    /// A fault of ours: 500, logged with its cause.
    #[error("erreur interne : {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// A record id of a path or a form ([`crate::ids::RecordId::parse`]); any
/// other value is a 404 before any read.
impl From<crate::billing::campaigns::CampaignError> for AppError {
    fn from(e: crate::billing::campaigns::CampaignError) -> Self {
        use crate::billing::campaigns::CampaignError;
        match e {
            CampaignError::NotFound => AppError::NotFound,
            // The campaign moved on since the page was read.
            CampaignError::Conflict => AppError::BadRequest,
            CampaignError::Denied(d) => d.into(),
            CampaignError::Store(s) => s.into(),
        }
    }
}

pub fn record_id(raw: &str) -> Result<crate::ids::RecordId, AppError> {
    crate::ids::RecordId::parse(raw).ok_or(AppError::NotFound)
}

impl From<crate::access::Denied> for AppError {
    fn from(e: crate::access::Denied) -> Self {
        match e {
            crate::access::Denied::NotFound => AppError::NotFound,
            crate::access::Denied::Forbidden => AppError::Forbidden,
        }
    }
}

impl From<crate::dossiers::UpdateError> for AppError {
    fn from(e: crate::dossiers::UpdateError) -> Self {
        match e {
            crate::dossiers::UpdateError::Denied(d) => d.into(),
            crate::dossiers::UpdateError::Store(e) => e.into(),
            crate::dossiers::UpdateError::Conflict => {
                AppError::Internal("changement concurrent non traité".into())
            }
        }
    }
}

impl From<crate::payment::mandates::MandateError> for AppError {
    fn from(e: crate::payment::mandates::MandateError) -> Self {
        use crate::payment::mandates::MandateError;
        match e {
            MandateError::Denied(d) => d.into(),
            MandateError::Store(s) => s.into(),
            // Decided by another click, changed in another tab.
            MandateError::Conflict => AppError::BadRequest,
        }
    }
}

impl From<crate::payment::debits::DebitError> for AppError {
    fn from(e: crate::payment::debits::DebitError) -> Self {
        use crate::payment::debits::DebitError;
        match e {
            DebitError::Denied(d) => d.into(),
            DebitError::Store(s) => s.into(),
            DebitError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Unavailable(cause) => tracing::error!(%cause, "service indisponible"),
            AppError::Internal(cause) => tracing::error!(%cause, "erreur interne"),
            _ => {}
        }
        let status = self.status();
        let page = match &self {
            AppError::CsrfRejected => {
                tracing::warn!("formulaire refusé : jeton CSRF absent ou invalide");
                render_error_with(
                    status,
                    "Formulaire expiré",
                    "Ce formulaire a expiré ou ne vient pas de ce site. Revenez à la page précédente, rechargez-la puis recommencez.",
                )
            }
            _ => render_error(status, ""),
        };
        let mut response = (status, page).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        }
        response
    }
}
