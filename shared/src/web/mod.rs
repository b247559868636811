//! What every route group shares on the web side: the error type handlers
//! return, and the layers both hosts wrap routers in (French error pages,
//! request log, body limit, panic guard).

pub mod auth;
pub mod error;
pub mod form;
pub mod layers;
pub mod upload;

pub use error::{AppError, record_id};
pub use form::Form;
pub use layers::with_common_layers;
