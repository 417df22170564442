#![cfg(not(target_arch = "wasm32"))]
//! Every input saved for the fuzzers runs through its harness in plain `cargo test`: the seeds
//! (`fuzz/seeds/<target>/`) and every crash a fuzzer ever found (`fuzz/regressions/<target>/`).
//! The harnesses are `cmk_playground::fuzzing`'s; `scripts/fuzz` runs the same functions under
//! libFuzzer.
//!
//! Each input runs in a child process (this test binary, filtered to `run_one_input`) with a
//! time limit, so an input that aborts the process (a failed allocation) or hangs fails with its
//! own report instead of taking the whole test binary down. To see what a `handle_requests`
//! input does, run it with `CMK_FUZZ_TRACE=1` (the report says how).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cmk_playground::fuzzing;

/// Counts allocations, so `decode_block` can hold decoding to the size of its input.
#[global_allocator]
static ALLOC: fuzzing::TrackingAlloc = fuzzing::TrackingAlloc;

/// Per input, in the dev profile, on a busy two-core machine (the slowest seeds take seconds).
const TIME_LIMIT: Duration = Duration::from_secs(120);
const TARGET_VAR: &str = "CMK_FUZZ_TARGET";
const INPUT_VAR: &str = "CMK_FUZZ_INPUT";

fn harness(target: &str) -> fn(&[u8]) {
    match target {
        "handle_requests" => fuzzing::handle_requests,
        "query_text" => fuzzing::query_text,
        "collector_body" => fuzzing::collector_body,
        "command_json" => fuzzing::command_json,
        "decode_block" => fuzzing::decode_block,
        other => panic!("no fuzz harness named {other}"),
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted, without dot-files (`.gitkeep`).
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    out.sort();
    out
}

/// The child's side: runs one input when the parent named it, and nothing otherwise.
#[test]
fn run_one_input() {
    let (Ok(target), Ok(path)) = (std::env::var(TARGET_VAR), std::env::var(INPUT_VAR)) else {
        return;
    };
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    harness(&target)(&data);
}

/// Runs one input in a child process; `Err` with what went wrong and the end of its output.
fn run_in_child(target: &str, input: &Path, n: usize) -> Result<(), String> {
    let log_path = std::env::temp_dir().join(format!(
        "cmk-fuzz-regression-{}-{target}-{n}.log",
        std::process::id()
    ));
    let log = std::fs::File::create(&log_path).map_err(|e| format!("{e}"))?;
    let err = log.try_clone().map_err(|e| format!("{e}"))?;
    let mut child = Command::new(std::env::current_exe().map_err(|e| format!("{e}"))?)
        .args([
            "--exact",
            "run_one_input",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(TARGET_VAR, target)
        .env("RUST_BACKTRACE", "0")
        .env(INPUT_VAR, input)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    let start = Instant::now();
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break Ok(()),
            Ok(Some(status)) => break Err(format!("failed ({status})")),
            Ok(None) if start.elapsed() > TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("still running after {} s", TIME_LIMIT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("cannot wait for the child: {e}")),
        }
    };
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    outcome.map_err(|what| {
        let lines: Vec<&str> = output
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("running 1 test"))
            .collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n    ");
        format!("{what}\n    {tail}")
    })
}

fn run_all(target: &str) {
    let seeds = files("seeds", target);
    assert!(
        !seeds.is_empty(),
        "fuzz/seeds/{target}/ has no inputs: the smoke runs start from them"
    );
    let inputs: Vec<PathBuf> = seeds
        .into_iter()
        .chain(files("regressions", target))
        .collect();
    let mut failures = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        if let Err(why) = run_in_child(target, input, n) {
            let shown = input
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(input);
            failures.push(format!("{}: {why}", shown.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} saved {target} inputs fail:\n\n{}\n\nRerun one with \
         `CMK_FUZZ_TARGET={target} CMK_FUZZ_INPUT=<file> cargo test --test fuzz_regressions \
         -- --exact run_one_input --nocapture` (add CMK_FUZZ_TRACE=1 to see each request of a \
         handle_requests input), or under libFuzzer with `cargo +nightly fuzz run --sanitizer \
         none {target} <file>` in fuzz/'s parent.",
        failures.len(),
        inputs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn handle_requests_inputs() {
    run_all("handle_requests");
}

#[test]
fn query_text_inputs() {
    run_all("query_text");
}

#[test]
fn collector_body_inputs() {
    run_all("collector_body");
}

#[test]
fn command_json_inputs() {
    run_all("command_json");
}

#[test]
fn decode_block_inputs() {
    run_all("decode_block");
}

/// The allocation check of `decode_block` is live in this binary: `measure` sees allocations.
#[test]
fn allocation_tracking_sees_what_a_closure_allocates() {
    let (v, peak) = fuzzing::measure(|| Vec::<u8>::with_capacity(1 << 20));
    drop(v);
    assert!(peak.is_some_and(|p| p >= 1 << 20), "peak {peak:?}");
    let budget = 11 * fuzzing::DECODE_ALLOC_PER_BYTE + fuzzing::DECODE_ALLOC_SLACK;
    // What an 11-byte ten-million-rows input once made the earlier row decoder reserve (24 B a
    // row).
    assert!(10_000_000 * 24 > budget);
}
