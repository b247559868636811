//! End-to-end tests live in tests/; see tests/suite.rs. The library holds
//! what a benchmark shares with them: the local Lambda Runtime API.

pub mod runtime_api;
