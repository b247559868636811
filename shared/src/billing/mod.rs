//! Facturation: what the planning and the pointage turn into, month by
//! month. [`rules`] holds the pure rules (what a day costs, how days make
//! lines); the campaigns, invoices and their PDFs build on them.

pub mod campaigns;
pub mod draft;
pub mod facts;
pub mod invoices;
pub mod numbering;
pub mod pdf;
pub mod rules;
