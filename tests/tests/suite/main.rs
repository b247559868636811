//! The end-to-end suite, one test binary (each binary links the AWS SDK):
//! the store conformance cases on both backends, the SES transport against
//! moto, the outbox, and the HTTP behaviour of the portal.
//!
//! Tests that need moto read its address from `EF_TEST_MOTO_URL`, which
//! `tests/run.sh` sets after starting it. Without it they fail with a message
//! that says so: they never pass silently.

mod access;
mod accounts;
mod agents;
mod billing;
mod dossier;
mod files;
mod http;
mod import;
mod inscriptions;
mod lambda;
mod messages;
mod outbox;
mod pages;
mod payment;
mod planning;
mod publishing;
mod security;
mod ses;
mod store_conformance;
mod support;
