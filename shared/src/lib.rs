//! Espace Famille's shared library: domain records and rules, the ports
//! (store, mail, clock) with their adapters, configuration, the `App` value
//! every route group is built from, and the page layout.

pub mod access;
/// Decimals from literals in tests, without a macro crate: `dec!(3.30)`.
#[cfg(test)]
macro_rules! dec {
    ($s:literal) => {
        rust_decimal::Decimal::from_str_exact(stringify!($s)).unwrap()
    };
}

/// Declares the allocator every binary of the portal runs on: mimalloc
/// (the billing draft of 100,000 children spent a quarter of its time in
/// the system allocator; see BENCHMARKS.md). One line at the top of a
/// binary: `shared::allocator!();`.
#[macro_export]
macro_rules! allocator {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::mimalloc::MiMalloc = $crate::mimalloc::MiMalloc;
    };
}
pub use mimalloc;

pub mod accounts;
pub mod app;
pub mod audit;
pub mod billing;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod dossiers;
pub mod files;
pub mod ids;
pub mod import;
pub mod inscriptions;
pub mod jobs;
pub mod layout;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod outbox;
pub mod payment;
pub mod planning;
pub mod pricing;
pub mod publishing;
pub mod sectors;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod web;

pub use app::App;
