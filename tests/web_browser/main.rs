//! The browser tests (wasm32 only, in headless Chromium through wasm-bindgen-test-runner), as
//! modules of one test binary: each binary is a debug wasm file of the whole crate that the runner
//! must process and load into a fresh browser, which took about 15 s per binary before a test ran.
//! All of them share one page, one test at a time: each test mounts on a fresh root
//! (`web_common::root`).
//!
//! Run with `cargo test --target wasm32-unknown-unknown --test 'web_*'` (README, "Development");
//! a new browser test file goes here with a `mod` line below.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "../web_common/mod.rs"]
mod web_common;

mod web_charts;
mod web_data_path;
mod web_drills;
mod web_engine;
mod web_session;
mod web_walkthrough;
