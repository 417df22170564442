//! The native scenario, rule and property tests, as modules of one test binary: every separate
//! file under `tests/` is a binary of its own that links the whole crate with its debug info, and
//! nineteen of them took about a minute of a cold `cargo test` to compile and link, where one
//! takes seconds; one binary also runs all of their tests in parallel, not file after file.
//!
//! A new test file goes here with a `mod` line below. Tests that need a process of their own (a
//! global allocator, as in `tests/alloc_bounds.rs` and `tests/fuzz_regressions.rs`) stay
//! separate files in `tests/`, as do the browser tests (`tests/web_*.rs`). To run one file's
//! tests: `cargo test --test scenarios arm::`.
#![cfg(not(target_arch = "wasm32"))]

// Shared with any standalone test file in `tests/` that declares `mod common;`.
#[path = "../common/mod.rs"]
mod common;

mod arm;
mod az_console;
mod catalogue;
mod cluster_rules;
mod control_properties;
mod data_path;
mod hardening;
mod identity;
mod ingestion;
mod keyvault;
mod linked_storage;
mod lockbox;
mod log_alerts;
mod open_jobs;
mod properties;
mod providers_graph;
mod provisioning;
mod pwsh_console;
mod query_api;
mod query_render;
mod revocation;
mod rotation;
mod saved_searches;
mod sentinel;
mod storage_accounts;
mod workspace_rules;
