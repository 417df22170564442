//! The bridge the official Azure SDKs talk to (`tests/sdk/`, `scripts/sdk-conformance`): one
//! engine, JSON lines on stdin, one JSON line answered on stdout for each.
//!
//! * A request `{"method", "url", "headers": [[name, value], ...], "body": string | null}` goes
//!   to [`Engine::handle`] unchanged and is answered `{"status", "headers": [[name, value], ...],
//!   "body": string}` (the engine's JSON body as text; `""` when it has none).
//! * `{"advance": seconds}` moves the virtual clock ([`Engine::advance`]) and answers
//!   `{"now": unix_seconds}`; `{"advance": 0}` only reads the clock.
//! * `{"world": null}` answers what a runbook is given to sign in with: the tenant, the first
//!   subscription (and the other one, where the runbook has no role), the runbook's service principal (its application id and secret), from
//!   [`cmk_playground::engine::world`], so a client never copies them.
//!
//! Implicit sign-in is off ([`Engine::set_implicit_sign_in`]): a request is answered as the
//! principal its token names, and one without a token is refused as Azure refuses it. Clients get
//! their tokens from the engine's Microsoft Entra token endpoint, like any other request.
//!
//! Time and the SDKs' polling: the engine's clock moves only when it is told to, and an SDK
//! polling a long-running operation waits before each poll. azure-core does every such wait
//! through its transport (`HttpTransport.sleep(seconds)`: the `Retry-After` of the last answer,
//! or the client's polling interval when there is none, and the retry policy's back-off), so the
//! suite's transport sends each sleep here as `{"advance": seconds}` instead of sleeping: the
//! simulation waits exactly as long as the SDK would have waited, in virtual time, and the SDK
//! waits no wall-clock time at all. Nothing else moves the clock; requests never do.
//!
//! Usage: `cargo run --example sdk_bridge [-- SEED_HEX]` (32 bytes as 64 hex digits; a fixed
//! seed by default, so a run can be repeated exactly).

use std::io::{BufRead, BufWriter, Write};

use cmk_playground::engine::Engine;
use cmk_playground::engine::world::{RUNBOOK_APP_ID, RUNBOOK_APP_SECRET, SUBSCRIPTIONS, TENANT_ID};
use serde_json::{Value, json};

/// The seed when none is given: the suite's runs are deterministic.
const DEFAULT_SEED: [u8; 32] = [0x5d; 32];

fn seed_from(arg: Option<String>) -> Result<[u8; 32], String> {
    let Some(hex) = arg else {
        return Ok(DEFAULT_SEED);
    };
    let bytes: Result<Vec<u8>, _> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect();
    bytes
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| format!("the seed must be 64 hex digits, not {hex:?}"))
}

/// Answers one line; `Err` for a line that is neither a request nor a control.
fn answer(engine: &mut Engine, line: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(s) = v.get("advance") {
        let seconds = s
            .as_u64()
            .ok_or("advance takes a whole number of seconds")?;
        engine.advance(seconds);
        return Ok(json!({ "now": engine.now() }));
    }
    if v.get("world").is_some() {
        return Ok(json!({
            "tenant_id": TENANT_ID,
            "subscription": SUBSCRIPTIONS[0].0,
            "other_subscription": SUBSCRIPTIONS[1].0,
            "runbook_app_id": RUNBOOK_APP_ID,
            "runbook_app_secret": RUNBOOK_APP_SECRET,
        }));
    }
    let method = v["method"].as_str().ok_or("a request needs a method")?;
    let url = v["url"].as_str().ok_or("a request needs a url")?;
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for h in v["headers"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        match (h[0].as_str(), h[1].as_str()) {
            (Some(k), Some(val)) => headers.push((k, val)),
            _ => return Err("headers are [name, value] pairs of strings".into()),
        }
    }
    let body = v["body"].as_str();
    let r = engine.handle(method, url, &headers, body);
    let body = if r.body.is_null() {
        String::new()
    } else {
        r.body.to_string()
    };
    Ok(json!({ "status": r.status, "headers": r.headers, "body": body }))
}

fn main() {
    let seed = match seed_from(std::env::args().nth(1)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sdk_bridge: {e}");
            std::process::exit(2);
        }
    };
    let mut engine = Engine::with_seed(seed);
    engine.set_implicit_sign_in(false);
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let reply = answer(&mut engine, &line).unwrap_or_else(|e| json!({ "error": e }));
        if writeln!(out, "{reply}").and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
