//! Domain records as the store keeps them, and where they are kept.

pub mod campaign;
pub mod document;
pub mod dossier;
pub mod inscription;
pub mod invoice;
pub mod planning;
