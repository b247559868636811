//! Domain records as the store keeps them, and where they are kept.

pub mod dossier;
pub mod invoice;
