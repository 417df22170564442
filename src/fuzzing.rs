//! Fuzz harnesses: raw bytes in, a panic only when an engine invariant breaks.
//!
//! Native only (like the fuzzers and `tests/fuzz_regressions.rs`): nothing here reaches the page.
//!
//! Each `pub fn name(data: &[u8])` is one libFuzzer target (`fuzz/fuzz_targets/<name>.rs`) and
//! one native regression test (`tests/fuzz_regressions.rs` runs every file of
//! `fuzz/seeds/<name>/` and `fuzz/regressions/<name>/` through it). The bytes are decoded here
//! with a small reader (`Input`), so the main crate needs no fuzzing dependency, and every
//! harness is deterministic: fixed seeds ([`Engine::with_seed`]), no clock, no ambient state
//! carried from one input to the next.
//!
//! | target | input | invariants |
//! |---|---|---|
//! | [`handle_requests`] | structure-aware requests, clock moves and Key Vault outages against a provisioned CMK world | no panic; a refused request (400 or more) changes no state; 5xx only from the catalogue; no private JWK member in a key bundle, a header or the snapshot; the snapshot serializes |
//! | [`query_text`] | KQL text for the Query API | no panic; 200 or 4xx, 5xx only from the catalogue |
//! | [`collector_body`] | a Data Collector API body (first byte below 8: a `time-generated-field`) | no panic; an accepted post is readable (`Fuzz_CL \| count` answers 200 with one row per record) and no field of it is lost |
//! | [`command_json`] | a [`Command`] (or a list of them) as JSON | no panic; the reply serializes |
//! | [`decode_block`] | a block's column chunk (its plaintext encoding) | no panic; allocation proportional to the input (when [`TrackingAlloc`] is installed); decode → encode → decode is stable |

#![cfg(not(target_arch = "wasm32"))]

use crate::engine::api_versions::{
    AUTHORIZATION_API, DATA_PLANE_API, KEYVAULT_API, MANAGED_IDENTITY_API,
    OPERATIONAL_INSIGHTS_API, RESOURCES_API,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use crate::engine::clock::{DAY, HOUR, MINUTE};
use crate::engine::columnar::Column;
use crate::engine::sources::SourceConfig;
use crate::engine::storage::access::Outage;
use crate::engine::table;
use crate::engine::world::{SUBSCRIPTIONS, TENANT_ID, USER_OBJECT_ID};
use crate::engine::{Engine, Response, errors, limits};
use crate::protocol::{self, Command};

// ---- the byte reader -------------------------------------------------------------------------

/// Reads choices from the fuzzer's bytes; past the end every read is 0 (the first choice), so
/// any prefix of an input is itself a meaningful input.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        match self.data.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                *b
            }
            None => 0,
        }
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        match n {
            0 => 0,
            1..=256 => self.byte() as usize % n,
            _ => u16::from_le_bytes([self.byte(), self.byte()]) as usize % n,
        }
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    /// True with probability `n`/256.
    fn chance(&mut self, n: u8) -> bool {
        self.byte() < n
    }

    /// Up to `max` raw bytes (a length byte, then the bytes).
    fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self
            .below(max + 1)
            .min(self.data.len() - self.pos.min(self.data.len()));
        let start = self.pos.min(self.data.len());
        self.pos = start + n;
        &self.data[start..start + n]
    }

    /// Up to `max` bytes as text (lossy UTF-8).
    fn text(&mut self, max: usize) -> String {
        String::from_utf8_lossy(self.bytes(max)).into_owned()
    }
}

// ---- allocation tracking ---------------------------------------------------------------------

/// The system allocator, counting what the current thread allocates while [`measure`] runs.
/// Install it with `#[global_allocator]` in a binary (the `decode_block` fuzz target and
/// `tests/fuzz_regressions.rs` do) to turn "allocates no more than its input warrants" into a
/// checked invariant; without it the allocation checks are skipped.
pub struct TrackingAlloc;

static TRACKING_INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    /// Bytes allocated minus bytes freed since [`measure`] started, and the highest it reached.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    TRACKING_INSTALLED.store(true, Ordering::Relaxed);
    let _ = TRACKING.try_with(|on| {
        if on.get() {
            let _ = LIVE.try_with(|live| {
                let now = live.get().saturating_add(delta);
                live.set(now);
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
            });
        }
    });
}

fn signed(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call forwards to `System` with the same arguments; the bookkeeping only touches
// const-initialised thread-locals without destructors (no allocation, no unwinding).
unsafe impl GlobalAlloc for TrackingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(signed(layout.size()));
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(signed(layout.size()));
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-signed(layout.size()));
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(signed(new_size).saturating_sub(signed(layout.size())));
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result with the peak of the bytes it held allocated at once, or
/// `None` when [`TrackingAlloc`] is not the global allocator.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Option<usize>) {
    // Any allocation marks the allocator as installed; make sure one has happened.
    drop(std::hint::black_box(Box::new(0u8)));
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    TRACKING.with(|t| t.set(true));
    let r = f();
    TRACKING.with(|t| t.set(false));
    let peak = PEAK.with(Cell::get).max(0) as usize;
    (
        r,
        TRACKING_INSTALLED.load(Ordering::Relaxed).then_some(peak),
    )
}

// ---- decode_block ----------------------------------------------------------------------------

/// What decoding may hold allocated per input byte, plus a constant. A decoded cell is a 32-byte
/// `Value` and a row a 24-byte `Vec`, and every cell costs at least one input byte, so an honest
/// decoder stays well inside this; one that trusts a count from the input does not.
pub const DECODE_ALLOC_PER_BYTE: usize = 128;
pub const DECODE_ALLOC_SLACK: usize = 64 * 1024;

/// `Column::decode` (a block's column chunk) on arbitrary bytes: never panics, allocates in
/// proportion to its input (the architecture's "never allocates beyond its input"), and what it
/// accepts survives a round trip (cells equal, reals bit for bit; the second encoding stable).
pub fn decode_block(data: &[u8]) {
    let (decoded, peak) = measure(|| Column::decode(data));
    if let Some(peak) = peak {
        let budget = data
            .len()
            .saturating_mul(DECODE_ALLOC_PER_BYTE)
            .saturating_add(DECODE_ALLOC_SLACK);
        assert!(
            peak <= budget,
            "Column::decode held {peak} bytes allocated for a {}-byte input (budget {budget})",
            data.len()
        );
    }
    let Ok(column) = decoded else { return };
    let ty = column.ty().expect("a decoded chunk has a type");
    let cells =
        |c: &Column| -> Vec<Vec<table::Value>> { (0..c.len()).map(|i| vec![c.value(i)]).collect() };
    let rows = cells(&column);
    let (_, encoded) = Column::encode(&rows, 0, ty)
        .expect("a decoded chunk must encode (its cells came from the same type)");
    let again = Column::decode(&encoded).expect("an encoded chunk must decode");
    assert!(
        same_cells(&rows, &cells(&again)),
        "decode(encode(decode(x))) differs from decode(x)"
    );
    assert_eq!(
        Column::encode(&cells(&again), 0, ty).ok().map(|(_, b)| b),
        Some(encoded),
        "encoding is not stable across a round trip"
    );
}

/// Cell equality with reals compared bit for bit (NaN is a value a chunk may hold).
fn same_cells(a: &[Vec<table::Value>], b: &[Vec<table::Value>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter().zip(y).all(|(u, v)| match (u, v) {
                    (table::Value::Real(f), table::Value::Real(g)) => f.to_bits() == g.to_bits(),
                    _ => u == v,
                })
        })
}

// ---- shared fixtures -------------------------------------------------------------------------

const ARM: &str = "https://management.azure.com";
const RG: &str = "fuzz-rg";
const VAULT: &str = "fuzzkv";
const KEY: &str = "fuzz-kek";
const CLUSTER: &str = "fuzzcluster";
const WS_LINKED: &str = "fuzz-linked";
const WS_FREE: &str = "fuzz-free";
const UAI: &str = "fuzz-uai";
const GROUPS_API: &str = "2021-04-01";
const KV_ARM_API: &str = "2023-07-01";
const OI_API: &str = "2021-06-01";
const MI_API: &str = "2023-01-31";
const AUTH_API: &str = "2022-04-01";
const KV_API: &str = "7.4";
const COLLECTOR_API: &str = "2016-04-01";
const JSON_CT: (&str, &str) = ("Content-Type", "application/json");

/// The seed of the provisioned world of [`handle_requests`]. Key generation dominates the cost
/// of provisioning and its time depends on where the prime search starts: this seed's key was
/// the quickest of the 256 seeds `[n; 32]` (50 ms natively, against 180 ms on average).
const WORLD_SEED: [u8; 32] = [62; 32];
/// The seed of the cluster-less worlds (no RSA work at all).
const PLAIN_SEED: [u8; 32] = [11; 32];

fn sub() -> &'static str {
    SUBSCRIPTIONS[0].0
}

fn group_path() -> String {
    format!("/subscriptions/{}/resourceGroups/{RG}", sub())
}

fn resource(kind: &str, name: &str) -> String {
    format!("{}/providers/{kind}/{name}", group_path())
}

fn vault_path() -> String {
    resource("Microsoft.KeyVault/vaults", VAULT)
}

fn cluster_path() -> String {
    resource("Microsoft.OperationalInsights/clusters", CLUSTER)
}

fn workspace_path(name: &str) -> String {
    resource("Microsoft.OperationalInsights/workspaces", name)
}

fn arm_url(path: &str, api: &str) -> String {
    format!("{ARM}{path}?api-version={api}")
}

fn kv_url(path: &str) -> String {
    format!("https://{VAULT}.vault.azure.net{path}?api-version={KV_API}")
}

fn collector_url(customer_id: &str) -> String {
    format!("https://{customer_id}.ods.opinsights.azure.com/api/logs?api-version={COLLECTOR_API}")
}

fn query_url(customer_id: &str) -> String {
    format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query")
}

/// A provisioning request that must succeed: the documented steps are part of what is tested.
fn must(e: &mut Engine, method: &str, url: &str, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string());
    let r = e.handle(method, url, &[JSON_CT], text.as_deref());
    assert!(
        r.status < 400,
        "provisioning failed: {method} {url}: {} {}",
        r.status,
        r.body
    );
    r
}

fn vault_body() -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "tenantId": TENANT_ID,
            "sku": { "family": "A", "name": "standard" },
            "enableSoftDelete": true,
            "softDeleteRetentionInDays": 90,
            "enablePurgeProtection": true,
            "accessPolicies": [{
                "tenantId": TENANT_ID,
                "objectId": USER_OBJECT_ID,
                "permissions": { "keys": ["get", "list", "create", "update", "delete", "recover",
                    "purge", "rotate", "wrapKey", "unwrapKey", "getrotationpolicy", "setrotationpolicy"] }
            }],
        }
    })
}

fn workspace_body() -> Value {
    json!({ "location": "eastus", "properties": { "sku": { "name": "PerGB2018" } } })
}

fn cluster_body() -> Value {
    json!({
        "location": "eastus",
        "identity": { "type": "SystemAssigned" },
        "sku": { "name": "CapacityReservation", "capacity": 1000 },
        "properties": { "billingType": "Cluster" }
    })
}

fn key_props(version: &str) -> Value {
    json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": format!("https://{VAULT}.vault.azure.net"),
        "keyName": KEY,
        "keyVersion": version
    }}})
}

fn grant_body(principal: &str) -> Value {
    json!({ "properties": { "accessPolicies": [{
        "tenantId": TENANT_ID, "objectId": principal,
        "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
    }]}})
}

fn sample_records(n: usize) -> String {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "Computer": format!("vm-{:02}", i % 4),
                "Level": if i % 3 == 0 { "error" } else { "info" },
                "Message": format!("fuzz record {i}"),
                "Count": i,
                "Ratio": i as f64 / 7.0,
                "Ok": i % 2 == 0,
                "When": format!("2026-01-0{}T0{}:00:00Z", 1 + i % 9, i % 10),
                "Id": format!("0000000{}-1111-4222-8333-444455556666", i % 10),
                "Tags": { "k": i },
            })
        })
        .collect();
    Value::Array(records).to_string()
}

fn ingest(e: &mut Engine, customer_id: &str, log_type: &str, body: &str) -> Response {
    e.handle(
        "POST",
        &collector_url(customer_id),
        &[JSON_CT, ("Log-Type", log_type)],
        Some(body),
    )
}

/// A resource group and one workspace with no cluster (shared, Microsoft-managed storage), with
/// a little data: two custom tables and a few minutes of the simulated machines' tables. No
/// RSA work, so it costs milliseconds. Returns the workspace's customer id.
fn plain_world(e: &mut Engine) -> String {
    must(
        e,
        "PUT",
        &arm_url(
            &format!("/subscriptions/{}/resourcegroups/{RG}", sub()),
            GROUPS_API,
        ),
        Some(json!({ "location": "eastus" })),
    );
    let r = must(
        e,
        "PUT",
        &arm_url(&workspace_path(WS_FREE), OI_API),
        Some(workspace_body()),
    );
    let cid = r.body["properties"]["customerId"]
        .as_str()
        .expect("a workspace has a customerId")
        .to_string();
    for (log_type, n) in [("FuzzData", 12), ("Other", 3)] {
        let r = ingest(e, &cid, log_type, &sample_records(n));
        assert_eq!(r.status, 200, "provisioning: ingestion failed: {}", r.body);
    }
    let sources = SourceConfig {
        linux: 1,
        windows: 1,
        heartbeat: true,
        syslog_per_hour: 60,
        security_per_hour: 60,
    };
    e.configure_sources(&cid, Some(sources))
        .expect("provisioning: sources");
    e.advance(10 * MINUTE);
    e.configure_sources(&cid, None)
        .expect("provisioning: sources off");
    cid
}

// ---- query_text ------------------------------------------------------------------------------

/// The error code of a response body, in either envelope.
fn error_code_and_message(body: &Value) -> (String, String) {
    let (code, message) = match body.get("error") {
        Some(err) => (&err["code"], &err["message"]),
        None => (&body["Error"], &body["Message"]),
    };
    (
        code.as_str().unwrap_or_default().to_string(),
        message.as_str().unwrap_or_default().to_string(),
    )
}

/// A 5xx answer must be one the catalogue documents (a simulated Key Vault outage, a block that
/// failed authentication), with its exact status, code and message.
fn check_server_error(what: &str, r: &Response) {
    assert!(
        (100..600).contains(&r.status),
        "{what}: status {} is not an HTTP status",
        r.status
    );
    if r.status >= 500 {
        let (code, message) = error_code_and_message(&r.body);
        assert!(
            errors::identify(r.status, &code, &message).is_some(),
            "{what}: undocumented server error {}: {}",
            r.status,
            r.body
        );
    }
}

/// The bytes (lossy UTF-8) as a KQL query through the Query API against a workspace with data.
pub fn query_text(data: &[u8]) {
    let mut e = Engine::with_seed(PLAIN_SEED);
    let cid = plain_world(&mut e);
    let text = String::from_utf8_lossy(data);
    let body = json!({ "query": text }).to_string();
    let r = e.handle("POST", &query_url(&cid), &[JSON_CT], Some(&body));
    check_server_error("query", &r);
    assert!(
        r.status == 200 || r.status >= 400,
        "query: status {} for {text:?}: {}",
        r.status,
        r.body
    );
    if r.status == 200 {
        assert!(
            r.body["tables"][0]["rows"].is_array(),
            "query: a 200 without a result table: {}",
            r.body
        );
    }
}

// ---- collector_body --------------------------------------------------------------------------

/// `time-generated-field` header choices; the first input byte picks one when it is below 8.
const TIME_FIELDS: [Option<&str>; 8] = [
    None,
    Some("When"),
    Some("TimeGenerated"),
    Some("time"),
    Some(""),
    Some("a b"),
    Some("ü"),
    Some("When_t"),
];

/// Columns every Data Collector row has, whatever the record holds.
const STANDARD_COLUMNS: [&str; 5] = [
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "Type",
    "_ResourceId",
];

/// Null, or an empty string: Kusto has no null strings, so a string column reads `""` in the
/// rows that have no value for it.
fn is_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// The bytes as the body of a Data Collector API post (`Log-Type: Fuzz`); a first byte below 8
/// (never the start of JSON text) picks a `time-generated-field` header and is not part of the
/// body. An accepted post must then be readable, every field of it: `Fuzz_CL | count` answers
/// 200 with one row per record, and each record's row holds as many values as the record has
/// non-empty fields (a field silently lost, e.g. to another field's column, is a failure).
pub fn collector_body(data: &[u8]) {
    let (time_field, body) = match data.first() {
        Some(&b) if b < 8 => (TIME_FIELDS[b as usize], &data[1..]),
        _ => (None, data),
    };
    let body = String::from_utf8_lossy(body);
    let mut e = Engine::with_seed(PLAIN_SEED);
    let cid = plain_world(&mut e);
    let mut headers = vec![JSON_CT, ("Log-Type", "Fuzz")];
    if let Some(f) = time_field {
        headers.push(("time-generated-field", f));
    }
    let r = e.handle("POST", &collector_url(&cid), &headers, Some(&body));
    check_server_error("ingestion", &r);
    if r.status != 200 {
        return;
    }
    // What was accepted, as the API reads it: an object, or an array of objects.
    let records: Vec<serde_json::Map<String, Value>> = match serde_json::from_str(&body) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| match i {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect(),
        Ok(Value::Object(m)) => vec![m],
        _ => panic!("ingestion accepted a body that is not a JSON object or array: {body:?}"),
    };
    if records.is_empty() {
        // Nothing to store: no table to query.
        return;
    }
    let query = |e: &mut Engine, q: &str| {
        let text = json!({ "query": q }).to_string();
        let a = e.handle("POST", &query_url(&cid), &[JSON_CT], Some(&text));
        assert_eq!(
            a.status, 200,
            "an accepted post is not readable: `{q}` answered {} {}",
            a.status, a.body
        );
        a.body["tables"][0].clone()
    };
    let count = query(&mut e, "Fuzz_CL | count");
    assert_eq!(
        count["rows"][0][0].as_u64(),
        Some(records.len() as u64),
        "`Fuzz_CL | count` after posting {} records: {count}",
        records.len()
    );
    let table = query(&mut e, "Fuzz_CL");
    let columns: Vec<&str> = table["columns"]
        .as_array()
        .map(|c| c.iter().map(|c| c["name"].as_str().unwrap_or("")).collect())
        .unwrap_or_default();
    let mut stored: Vec<usize> = table["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    columns
                        .iter()
                        .zip(row.as_array().into_iter().flatten())
                        .filter(|(c, v)| !STANDARD_COLUMNS.contains(c) && !is_empty(v))
                        .count()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut sent: Vec<usize> = records
        .iter()
        .map(|r| r.values().filter(|v| !is_empty(v)).count())
        .collect();
    stored.sort_unstable();
    sent.sort_unstable();
    assert_eq!(
        stored, sent,
        "fields of an accepted post were lost: values per row stored {stored:?}, sent {sent:?}; columns {columns:?}"
    );
}

// ---- command_json ----------------------------------------------------------------------------

/// The bytes (lossy UTF-8) as a protocol [`Command`], or a JSON list of up to 16 of them, run
/// with [`protocol::execute`] on a world with a vault (no key), a cluster-less workspace and
/// stored blocks. No panic, and every reply serializes (it crosses `postMessage`).
pub fn command_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let commands = match serde_json::from_str::<Command>(&text) {
        Ok(c) => vec![c],
        Err(_) => match serde_json::from_str::<Vec<Command>>(&text) {
            Ok(list) => list.into_iter().take(16).collect(),
            Err(_) => return,
        },
    };
    let mut e = Engine::with_seed(PLAIN_SEED);
    plain_world(&mut e);
    must(
        &mut e,
        "PUT",
        &arm_url(&vault_path(), KV_ARM_API),
        Some(vault_body()),
    );
    for cmd in &commands {
        // A reset without a seed draws one from the platform; keep the run repeatable.
        let fixed;
        let cmd = match cmd {
            Command::Reset { seed: None } => {
                fixed = Command::Reset {
                    seed: Some(PLAIN_SEED),
                };
                &fixed
            }
            c => c,
        };
        let reply = protocol::execute(&mut e, cmd);
        if let Some(r) = &reply.response {
            check_server_error("command", r);
        }
        serde_json::to_string(&reply).expect("a reply must serialize");
    }
}

// ---- handle_requests -------------------------------------------------------------------------

/// The provisioned world of [`handle_requests`]: a recoverable vault with an RSA-2048 key, a
/// cluster whose system-assigned identity has get/wrapKey/unwrapKey, the key identifier set
/// (empty `keyVersion`), one linked and one unlinked workspace with data, and a user-assigned
/// identity, with the clock advanced until every operation completed.
struct Fixture {
    e: Engine,
    principal: String,
    linked: String,
    free: String,
    /// Values learnt from responses, reused in later requests.
    versions: Vec<String>,
    operations: Vec<String>,
    wrapped: Vec<String>,
    assignments: Vec<String>,
    /// Key creations and rotations sent so far (see [`MAX_KEY_GENERATIONS`]).
    key_generations: usize,
    /// `CMK_FUZZ_TRACE` set: say what each step does (on stderr), to read a saved input.
    trace: bool,
}

impl Fixture {
    fn provision() -> Fixture {
        let mut engine = Engine::with_seed(WORLD_SEED);
        let e = &mut engine;
        must(
            e,
            "PUT",
            &arm_url(
                &format!("/subscriptions/{}/resourcegroups/{RG}", sub()),
                GROUPS_API,
            ),
            Some(json!({ "location": "eastus" })),
        );
        must(
            e,
            "PUT",
            &arm_url(&vault_path(), KV_ARM_API),
            Some(vault_body()),
        );
        let r = must(
            e,
            "POST",
            &kv_url(&format!("/keys/{KEY}/create")),
            Some(json!({ "kty": "RSA", "key_size": 2048 })),
        );
        let version = kid_version(&r.body["key"]["kid"]).expect("a created key has a kid");
        must(
            e,
            "PUT",
            &arm_url(&cluster_path(), OI_API),
            Some(cluster_body()),
        );
        e.advance(limits::CLUSTER_CREATE.1 + MINUTE);
        let r = must(e, "GET", &arm_url(&cluster_path(), OI_API), None);
        let principal = r.body["identity"]["principalId"]
            .as_str()
            .expect("a cluster has a principalId")
            .to_string();
        must(
            e,
            "PUT",
            &arm_url(&format!("{}/accessPolicies/add", vault_path()), KV_ARM_API),
            Some(grant_body(&principal)),
        );
        must(
            e,
            "PATCH",
            &arm_url(&cluster_path(), OI_API),
            Some(key_props("")),
        );
        e.advance(limits::CLUSTER_KEY_UPDATE.1 + MINUTE);
        let mut ids = Vec::new();
        for ws in [WS_LINKED, WS_FREE] {
            let r = must(
                e,
                "PUT",
                &arm_url(&workspace_path(ws), OI_API),
                Some(workspace_body()),
            );
            ids.push(
                r.body["properties"]["customerId"]
                    .as_str()
                    .expect("a workspace has a customerId")
                    .to_string(),
            );
        }
        must(
            e,
            "PUT",
            &arm_url(
                &format!("{}/linkedServices/cluster", workspace_path(WS_LINKED)),
                OI_API,
            ),
            Some(json!({ "properties": { "writeAccessResourceId": cluster_path() } })),
        );
        must(
            e,
            "PUT",
            &arm_url(
                &resource("Microsoft.ManagedIdentity/userAssignedIdentities", UAI),
                MI_API,
            ),
            Some(json!({ "location": "eastus" })),
        );
        e.advance(limits::WORKSPACE_LINK.1 + MINUTE);
        let r = must(e, "GET", &arm_url(&cluster_path(), OI_API), None);
        assert_eq!(
            r.body["properties"]["provisioningState"], "Succeeded",
            "provisioning: {}",
            r.body
        );
        for cid in &ids {
            let r = ingest(e, cid, "FuzzData", &sample_records(6));
            assert_eq!(r.status, 200, "provisioning: ingestion failed: {}", r.body);
        }
        let (linked, free) = (ids[0].clone(), ids[1].clone());
        Fixture {
            e: engine,
            principal,
            linked,
            free,
            versions: vec![version],
            operations: Vec::new(),
            wrapped: Vec::new(),
            assignments: Vec::new(),
            key_generations: 0,
            trace: std::env::var_os("CMK_FUZZ_TRACE").is_some(),
        }
    }

    /// Remembers key versions, operation URLs and wrapped values from a successful response.
    fn learn(&mut self, r: &Response) {
        if r.status >= 400 {
            return;
        }
        for name in ["Azure-AsyncOperation", "Location"] {
            if let Some(u) = r.header(name) {
                if self.operations.len() < 16 && !self.operations.iter().any(|o| o == u) {
                    self.operations.push(u.to_string());
                }
            }
        }
        let mut kids = vec![&r.body["key"]["kid"], &r.body["kid"]];
        if let Some(items) = r.body["value"].as_array() {
            kids.extend(items.iter().map(|i| &i["kid"]));
        }
        for kid in kids {
            if let Some(v) = kid_version(kid) {
                if self.versions.len() < 16 && !self.versions.contains(&v) {
                    self.versions.push(v);
                }
            }
        }
        if let Some(v) = r.body["value"].as_str() {
            if self.wrapped.len() < 8 {
                self.wrapped.push(v.to_string());
            }
        }
    }
}

/// The version at the end of a `kid` URL.
fn kid_version(kid: &Value) -> Option<String> {
    let kid = kid.as_str()?;
    let (_, rest) = kid.split_once("/keys/")?;
    let mut parts = rest.split('/');
    parts.next()?;
    parts.next().filter(|v| !v.is_empty()).map(str::to_string)
}

/// Which api-version list a URL answers to.
#[derive(Clone, Copy)]
enum Api {
    Resources,
    KeyVaultArm,
    OperationalInsights,
    ManagedIdentity,
    Authorization,
    KeyVault,
    SecurityInsights,
    Collector,
    Storage,
    Insights,
    /// Graph and the Query API take none.
    None,
}

impl Api {
    fn versions(self) -> &'static [&'static str] {
        match self {
            Api::Resources => RESOURCES_API,
            Api::KeyVaultArm => KEYVAULT_API,
            Api::OperationalInsights => OPERATIONAL_INSIGHTS_API,
            Api::ManagedIdentity => MANAGED_IDENTITY_API,
            Api::Authorization => AUTHORIZATION_API,
            Api::KeyVault => DATA_PLANE_API,
            Api::SecurityInsights => crate::engine::api_versions::SECURITY_INSIGHTS_API,
            Api::Collector => &[COLLECTOR_API],
            Api::Storage => crate::engine::api_versions::STORAGE_API,
            Api::Insights => crate::engine::api_versions::SCHEDULED_QUERY_RULES_API,
            Api::None => &[],
        }
    }

    /// The version the fixture itself uses (the first choice).
    fn usual(self) -> &'static str {
        match self {
            Api::Resources => GROUPS_API,
            Api::KeyVaultArm => KV_ARM_API,
            Api::OperationalInsights => OI_API,
            Api::ManagedIdentity => MI_API,
            Api::Authorization => AUTH_API,
            Api::KeyVault => KV_API,
            Api::SecurityInsights => "2024-09-01",
            Api::Collector => COLLECTOR_API,
            Api::Storage => "2025-06-01",
            Api::Insights => "2023-12-01",
            Api::None => "",
        }
    }
}

/// One endpoint of the fixture's world: a URL without its query string, the api-version family,
/// the methods it answers and bodies it accepts (before mutation).
struct Endpoint {
    url: String,
    api: Api,
    methods: &'static [&'static str],
    bodies: Vec<Value>,
}

const ROLE_CRYPTO_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
const GUIDS: [&str; 3] = [
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "00000000-0000-0000-0000-000000000000",
];

fn rotation_policy(after: &str, notify: &str, expiry: &str) -> Value {
    json!({
        "lifetimeActions": [
            { "trigger": { "timeAfterCreate": after }, "action": { "type": "Rotate" } },
            { "trigger": { "timeBeforeExpiry": notify }, "action": { "type": "Notify" } }
        ],
        "attributes": { "expiryTime": expiry }
    })
}

fn endpoint(fx: &Fixture, inp: &mut Input) -> Endpoint {
    let version = inp.pick(&fx.versions).clone();
    let cid = if inp.chance(160) {
        fx.linked.clone()
    } else {
        fx.free.clone()
    };
    let guid = *inp.pick(&GUIDS);
    let kv = |path: &str| format!("https://{VAULT}.vault.azure.net{path}");
    let arm = |path: &str| format!("{ARM}{path}");
    let ws = if inp.chance(128) { WS_LINKED } else { WS_FREE };
    let ep =
        |url: String, api: Api, methods: &'static [&'static str], bodies: Vec<Value>| Endpoint {
            url,
            api,
            methods,
            bodies,
        };
    const GET: &[&str] = &["GET"];
    const CRUD: &[&str] = &["PUT", "GET", "PATCH", "DELETE"];
    const POST: &[&str] = &["POST"];
    match inp.below(40) {
        0 => ep(arm("/subscriptions"), Api::Resources, GET, vec![]),
        1 => ep(
            arm(&format!("/subscriptions/{}", sub())),
            Api::Resources,
            GET,
            vec![],
        ),
        2 => ep(
            arm(&format!("/subscriptions/{}/resourcegroups", sub())),
            Api::Resources,
            GET,
            vec![],
        ),
        3 => ep(
            arm(&format!(
                "/subscriptions/{}/resourcegroups/{}",
                inp.pick(&[sub(), SUBSCRIPTIONS[1].0]),
                inp.pick(&[RG, "other-rg", "fuzz-RG"])
            )),
            Api::Resources,
            &["PUT", "GET", "HEAD", "DELETE", "PATCH"],
            vec![
                json!({ "location": "eastus" }),
                json!({ "location": "westeurope" }),
            ],
        ),
        4 => ep(
            arm(&format!(
                "/subscriptions/{}/providers/{}",
                sub(),
                inp.pick(&[
                    "",
                    "Microsoft.OperationalInsights",
                    "Microsoft.DocumentDB",
                    "Microsoft.SecurityInsights"
                ])
            )),
            Api::Resources,
            GET,
            vec![],
        ),
        5 => ep(
            arm(&format!(
                "/subscriptions/{}/providers/{}/register",
                sub(),
                inp.pick(&["Microsoft.DocumentDB", "Microsoft.KeyVault", "Nope.Nope"])
            )),
            Api::Resources,
            POST,
            vec![],
        ),
        6 => ep(
            arm(&format!(
                "/subscriptions/{}/providers/Microsoft.OperationalInsights/{}",
                sub(),
                inp.pick(&["clusters", "workspaces"])
            )),
            Api::OperationalInsights,
            GET,
            vec![],
        ),
        7 => ep(
            arm(&format!(
                "{}/providers/Microsoft.OperationalInsights/clusters",
                group_path()
            )),
            Api::OperationalInsights,
            GET,
            vec![],
        ),
        8..=10 => ep(
            arm(&if inp.chance(200) {
                cluster_path()
            } else {
                resource("Microsoft.OperationalInsights/clusters", "fuzzcluster2")
            }),
            Api::OperationalInsights,
            CRUD,
            vec![
                key_props(""),
                key_props(&version),
                cluster_body(),
                json!({ "identity": { "type": "None" } }),
                json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": {
                    resource("Microsoft.ManagedIdentity/userAssignedIdentities", UAI): {} } } }),
                json!({ "sku": { "name": "CapacityReservation", "capacity": 2000 } }),
                json!({ "location": "eastus", "identity": { "type": "SystemAssigned" },
                    "sku": { "name": "CapacityReservation", "capacity": 500 },
                    "properties": { "isDoubleEncryptionEnabled": false,
                        "keyVaultProperties": key_props(&version)["properties"]["keyVaultProperties"].clone() } }),
            ],
        ),
        11 => ep(
            arm(&format!("{}/operationresults/{guid}", cluster_path())),
            Api::OperationalInsights,
            GET,
            vec![],
        ),
        12 => ep(
            arm(&format!(
                "{}/providers/Microsoft.OperationalInsights/workspaces",
                group_path()
            )),
            Api::OperationalInsights,
            GET,
            vec![],
        ),
        13 | 14 => ep(
            arm(&workspace_path(ws)),
            Api::OperationalInsights,
            CRUD,
            vec![
                workspace_body(),
                json!({ "location": "westus2", "properties": { "retentionInDays": 30 } }),
                json!({ "properties": { "sku": { "name": "CapacityReservation" } } }),
            ],
        ),
        15 => ep(
            arm(&format!("{}/linkedServices", workspace_path(ws))),
            Api::OperationalInsights,
            GET,
            vec![],
        ),
        16..=18 => ep(
            arm(&format!("{}/linkedServices/cluster", workspace_path(ws))),
            Api::OperationalInsights,
            &["PUT", "GET", "DELETE"],
            vec![
                json!({ "properties": { "writeAccessResourceId": cluster_path() } }),
                json!({ "properties": { "resourceId": cluster_path() } }),
            ],
        ),
        19 => ep(
            arm(&vault_path()),
            Api::KeyVaultArm,
            CRUD,
            vec![
                vault_body(),
                json!({ "properties": { "enableRbacAuthorization": true } }),
                json!({ "properties": { "enablePurgeProtection": false } }),
            ],
        ),
        20 | 21 => ep(
            arm(&format!(
                "{}/accessPolicies/{}",
                vault_path(),
                inp.pick(&["add", "replace", "remove"])
            )),
            Api::KeyVaultArm,
            &["PUT"],
            vec![
                grant_body(&fx.principal),
                json!({ "properties": { "accessPolicies": [{ "tenantId": TENANT_ID,
                    "objectId": fx.principal, "permissions": { "keys": ["get"] } }] } }),
            ],
        ),
        22 => ep(
            arm(&format!(
                "/subscriptions/{}/providers/Microsoft.KeyVault/{}",
                sub(),
                inp.pick(&[
                    "vaults",
                    "deletedVaults",
                    "locations/eastus/deletedVaults/fuzzkv",
                    "locations/eastus/deletedVaults/fuzzkv/purge"
                ])
            )),
            Api::KeyVaultArm,
            &["GET", "POST"],
            vec![],
        ),
        23 => ep(
            arm(&resource(
                "Microsoft.ManagedIdentity/userAssignedIdentities",
                UAI,
            )),
            Api::ManagedIdentity,
            &["PUT", "GET", "DELETE"],
            vec![json!({ "location": "eastus" })],
        ),
        24 | 25 => {
            let scope = match inp.below(3) {
                0 => vault_path(),
                1 => group_path(),
                _ => format!("/subscriptions/{}", sub()),
            };
            let name = if fx.assignments.is_empty() || inp.chance(128) {
                guid.to_string()
            } else {
                inp.pick(&fx.assignments).clone()
            };
            let tail = if inp.chance(64) {
                String::new()
            } else {
                format!("/{name}")
            };
            ep(
                arm(&format!(
                    "{scope}/providers/Microsoft.Authorization/roleAssignments{tail}"
                )),
                Api::Authorization,
                &["PUT", "GET", "DELETE"],
                vec![json!({ "properties": {
                    "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_CRYPTO_USER}", sub()),
                    "principalId": fx.principal,
                    "principalType": "ServicePrincipal"
                } })],
            )
        }
        26 => ep(
            arm(&format!(
                "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions{}",
                sub(),
                inp.pick(&["", "/e147488a-f6f5-4113-8e2d-b22465e65bf6", "/nope"])
            )),
            Api::Authorization,
            GET,
            vec![],
        ),
        27 => {
            let url = if fx.operations.is_empty() {
                arm(&format!(
                    "/subscriptions/{}/providers/Microsoft.OperationalInsights/locations/eastus/operationStatuses/{guid}",
                    sub()
                ))
            } else {
                // Operation URLs come with their api-version; keep it.
                let u = inp.pick(&fx.operations).clone();
                return ep(u, Api::None, GET, vec![]);
            };
            ep(url, Api::OperationalInsights, GET, vec![])
        }
        28 => ep(kv("/keys"), Api::KeyVault, GET, vec![]),
        29 | 30 => ep(
            kv(&format!(
                "/keys/{}/{}",
                inp.pick(&[KEY, "other-key"]),
                inp.pick(&["", version.as_str()])
            )),
            Api::KeyVault,
            &["GET", "PATCH", "DELETE"],
            vec![
                json!({ "attributes": { "enabled": false } }),
                json!({ "attributes": { "enabled": true } }),
                json!({ "key_ops": ["wrapKey", "unwrapKey"] }),
                json!({ "key_ops": ["encrypt"], "tags": { "a": "b" } }),
                json!({ "attributes": { "exp": 1_900_000_000, "nbf": 1_700_000_000 } }),
            ],
        ),
        31 => ep(
            kv(&format!("/keys/{}/versions", inp.pick(&[KEY, "other-key"]))),
            Api::KeyVault,
            GET,
            vec![],
        ),
        32 => ep(
            kv(&format!(
                "/keys/{}/{}",
                inp.pick(&[KEY, "other-key"]),
                inp.pick(&["create", "rotate"])
            )),
            Api::KeyVault,
            POST,
            vec![
                json!({ "kty": "RSA", "key_size": 2048 }),
                json!({ "kty": "RSA-HSM", "key_ops": ["wrapKey"] }),
                json!({ "kty": "EC", "crv": "P-256" }),
                json!({ "kty": "RSA", "key_size": 1024 }),
            ],
        ),
        33 => ep(
            kv(&format!("/keys/{KEY}/rotationpolicy")),
            Api::KeyVault,
            &["GET", "PUT"],
            vec![
                rotation_policy("P30D", "P30D", "P90D"),
                rotation_policy("P7D", "P10D", "P28D"),
                rotation_policy("P1D", "P30D", "P1Y"),
            ],
        ),
        34..=36 => {
            // The key operations a key's `key_ops` advertise, unwrap the most (it reuses what
            // earlier wraps answered).
            let op = match inp.below(8) {
                0 | 1 => "wrapkey",
                2 => "encrypt",
                3 => "decrypt",
                4 => "sign",
                5 => "verify",
                _ => "unwrapkey",
            };
            let path = if inp.chance(128) {
                format!("/keys/{KEY}/{op}")
            } else {
                format!("/keys/{KEY}/{version}/{op}")
            };
            let value = if op == "unwrapkey" && !fx.wrapped.is_empty() {
                inp.pick(&fx.wrapped).clone()
            } else {
                crate::engine::crypto::b64url(inp.bytes(48))
            };
            let body = if op == "sign" || op == "verify" {
                let alg = *inp.pick(&["RS256", "RS384", "RS512", "PS256", "PS512", "ES256"]);
                let digest = crate::engine::crypto::b64url(inp.bytes(64));
                json!({ "alg": alg, "value": value, "digest": digest })
            } else {
                let alg = *inp.pick(&["RSA-OAEP-256", "RSA-OAEP", "RSA1_5", "A256KW"]);
                json!({ "alg": alg, "value": value })
            };
            ep(kv(&path), Api::KeyVault, POST, vec![body])
        }
        37 => ep(
            kv(inp.pick::<&str>(&[
                "/deletedkeys",
                "/deletedkeys/fuzz-kek",
                "/deletedkeys/fuzz-kek/recover",
            ])),
            Api::KeyVault,
            &["GET", "POST", "DELETE"],
            vec![],
        ),
        38 => {
            let records: Value =
                serde_json::from_str(&sample_records(1 + inp.below(3))).unwrap_or(Value::Null);
            ep(
                format!("https://{cid}.ods.opinsights.azure.com/api/logs"),
                Api::Collector,
                POST,
                vec![records, json!({ "Message": "one" })],
            )
        }
        39 if inp.chance(128) => {
            // Microsoft Sentinel: registration, the Cosmos DB grant, onboarding and its content.
            let si = format!(
                "/subscriptions/{}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{ws}/providers/Microsoft.SecurityInsights",
                sub()
            );
            match inp.below(6) {
                0 => ep(
                    arm(&format!(
                        "/subscriptions/{}/providers/{}/register",
                        sub(),
                        inp.pick(&["Microsoft.SecurityInsights", "Microsoft.DocumentDB"])
                    )),
                    Api::Resources,
                    POST,
                    vec![],
                ),
                1 => ep(
                    arm(&format!("{}/accessPolicies/add", vault_path())),
                    Api::KeyVaultArm,
                    &["PUT"],
                    vec![
                        json!({ "properties": { "accessPolicies": [{ "tenantId": crate::engine::world::TENANT_ID,
                        "objectId": crate::engine::world::COSMOS_DB_OBJECT_ID,
                        "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] } }] } }),
                    ],
                ),
                2 => ep(
                    arm(&format!(
                        "{si}/onboardingStates/{}",
                        inp.pick(&["default", "other"])
                    )),
                    Api::SecurityInsights,
                    &["PUT", "GET", "DELETE"],
                    vec![
                        json!({ "properties": { "customerManagedKey": true } }),
                        json!({ "properties": { "customerManagedKey": false } }),
                    ],
                ),
                3 => ep(
                    arm(&format!("{si}/watchlists/vips")),
                    Api::SecurityInsights,
                    &["PUT", "GET", "DELETE"],
                    vec![
                        json!({ "properties": { "displayName": "VIPs", "provider": "p", "source": "Local file",
                        "itemsSearchKey": "Ip", "rawContent": "Ip,Owner\n10.0.0.1,\"a, b\"\n" } }),
                    ],
                ),
                4 => ep(
                    arm(&format!("{si}/alertRules/r1")),
                    Api::SecurityInsights,
                    &["PUT", "GET", "DELETE"],
                    vec![
                        json!({ "kind": "Scheduled", "properties": { "displayName": "r", "enabled": true,
                        "query": "FuzzData_CL | count", "queryFrequency": "PT5M", "queryPeriod": "PT1H",
                        "severity": "High", "triggerOperator": "GreaterThan", "triggerThreshold": 0 } }),
                    ],
                ),
                _ => ep(
                    arm(&format!(
                        "{si}/{}",
                        inp.pick(&[
                            "incidents",
                            "watchlists/vips/watchlistItems",
                            "onboardingStates"
                        ])
                    )),
                    Api::SecurityInsights,
                    GET,
                    vec![],
                ),
            }
        }
        _ if inp.chance(64) => {
            // Bring your own storage: a storage account, the workspace's links to it, saved
            // searches and log search alert rules kept there.
            let sa = resource(
                "Microsoft.Storage/storageAccounts",
                inp.pick::<&str>(&["fuzzsa", "fuzzsa2"]),
            );
            match inp.below(4) {
                0 => ep(
                    arm(&sa),
                    Api::Storage,
                    CRUD,
                    vec![
                        json!({ "location": "eastus", "kind": "StorageV2", "sku": { "name": "Standard_LRS" },
                            "properties": { "encryption": { "keySource": "Microsoft.Storage",
                                "services": { "table": { "keyType": "Account" } } } } }),
                        json!({ "location": "westus2", "kind": "StorageV2", "sku": { "name": "Standard_LRS" } }),
                        json!({ "properties": { "encryption": { "keySource": "Microsoft.Keyvault",
                            "keyvaultproperties": { "keyname": KEY, "keyvaulturi": format!("https://{VAULT}.vault.azure.net") } } } }),
                    ],
                ),
                1 => ep(
                    arm(&format!(
                        "{}/linkedStorageAccounts{}",
                        workspace_path(ws),
                        inp.pick(&["", "/Query", "/Alerts", "/CustomLogs", "/ingestion", "/x"])
                    )),
                    Api::OperationalInsights,
                    &["PUT", "GET", "DELETE"],
                    vec![json!({ "properties": { "storageAccountIds": [sa] } })],
                ),
                2 => ep(
                    arm(&format!(
                        "{}/savedSearches{}",
                        workspace_path(ws),
                        inp.pick(&["", "/q1", "/Q1"])
                    )),
                    Api::OperationalInsights,
                    &["PUT", "GET", "DELETE"],
                    vec![
                        json!({ "etag": "*", "properties": { "category": "c", "displayName": "d",
                        "query": "FuzzData_CL | count" } }),
                    ],
                ),
                _ => ep(
                    arm(&resource("Microsoft.Insights/scheduledQueryRules", "r1")),
                    Api::Insights,
                    CRUD,
                    vec![json!({ "location": "eastus", "properties": {
                        "severity": 2, "enabled": true, "evaluationFrequency": "PT5M", "windowSize": "PT10M",
                        "scopes": [workspace_path(ws)], "checkWorkspaceAlertsStorageConfigured": true,
                        "criteria": { "allOf": [{ "query": "FuzzData_CL | count", "timeAggregation": "Count",
                            "operator": "GreaterThan", "threshold": 0 }] } } })],
                ),
            }
        }
        _ => match inp.below(5) {
            0 => ep(
                format!(
                    "https://graph.microsoft.com/v1.0/{}",
                    inp.pick(&["me", "servicePrincipals/x"])
                ),
                Api::None,
                GET,
                vec![],
            ),
            1 => ep(
                format!(
                    "https://graph.microsoft.com/v1.0/servicePrincipals/{}",
                    fx.principal
                ),
                Api::None,
                GET,
                vec![],
            ),
            2 => ep("https://example.com/".into(), Api::None, GET, vec![]),
            3 => ep(
                "https://api.loganalytics.io/v1/$batch".into(),
                Api::None,
                POST,
                vec![json!({ "requests": [
                    { "id": "1", "method": "POST", "path": "/query", "workspace": cid, "body": { "query": "FuzzData_CL | count" } },
                    { "id": "2", "method": "POST", "path": "/query", "workspace": cid, "body": { "query": "FuzzData_CL | where" } },
                ] })],
            ),
            _ => ep(
                query_url(&cid),
                Api::None,
                &["POST", "GET"],
                vec![
                    json!({ "query": "FuzzData_CL | count" }),
                    json!({ "query": "FuzzData_CL | where Count_d > 2 | project Message_s", "timespan": "P1D" }),
                    json!({ "query": "Heartbeat | take 1" }),
                ],
            ),
        },
    }
}

/// Replacement segments for URL mutation.
const SEGMENTS: [&str; 16] = [
    "",
    "..",
    "%20",
    "%2F",
    "%",
    "%zz",
    "x",
    "keys",
    "providers",
    "subscriptions",
    "resourceGroups",
    "ü",
    "FUZZKV",
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "a%2Fb",
    "linkedServices",
];

fn mutate_url(url: &str, inp: &mut Input) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    let mut host = host.to_string();
    for _ in 0..1 + inp.below(2) {
        match inp.below(9) {
            0 if !segs.is_empty() => {
                let i = inp.below(segs.len());
                segs[i] = inp.pick(&SEGMENTS).to_string();
            }
            1 if !segs.is_empty() => {
                let i = inp.below(segs.len());
                segs.remove(i);
            }
            2 => segs.push(inp.pick(&SEGMENTS).to_string()),
            3 => segs = segs.iter().map(|s| s.to_ascii_uppercase()).collect(),
            4 if !segs.is_empty() => {
                let i = inp.below(segs.len());
                segs[i] = inp.text(24).replace(['/', '?', '#'], "");
            }
            5 => {
                host = inp
                    .pick(&[
                        "MANAGEMENT.azure.com",
                        "management.azure.com:443",
                        "fuzzkv.vault.azure.net",
                        "other.vault.azure.net",
                        "api.loganalytics.io",
                        "x.ods.opinsights.azure.com",
                        "",
                        "bad host",
                    ])
                    .to_string()
            }
            6 if !segs.is_empty() => {
                let i = inp.below(segs.len());
                segs.insert(i, String::new());
            }
            7 => return inp.text(64),
            _ => {}
        }
    }
    let scheme = if inp.chance(16) { "http" } else { scheme };
    format!("{scheme}://{host}/{}", segs.join("/"))
}

fn query_string(api: Api, inp: &mut Input) -> String {
    let mut params: Vec<String> = Vec::new();
    let versions = api.versions();
    match inp.below(16) {
        _ if versions.is_empty() => {}
        0..=7 => params.push(format!("api-version={}", api.usual())),
        8..=10 => params.push(format!("api-version={}", inp.pick(versions))),
        11 => {}
        12 => params.push("api-version=".into()),
        13 => params.push(format!(
            "api-version={}",
            inp.pick(&[
                "2099-01-01",
                "7.0",
                "2021-06-01-PREVIEW",
                "%32021-06-01",
                "2016-04-01"
            ])
        )),
        14 => params.push(format!("API-VERSION={}", api.usual())),
        _ => params.push(format!(
            "api-version={}",
            inp.text(12).replace(['&', '#'], "")
        )),
    }
    if inp.chance(24) {
        params.push(
            inp.pick(&[
                "api-version=2099-01-01",
                "$filter=x",
                "query=FuzzData_CL",
                "timespan=PT1H",
                "foo",
                "=",
            ])
            .to_string(),
        );
    }
    if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    }
}

/// Values a mutation puts into a JSON body.
fn fragment(fx: &Fixture, inp: &mut Input) -> Value {
    match inp.below(48) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(false),
        3 => json!(0),
        4 => json!(-1),
        5 => json!(1),
        6 => json!(7),
        7 => json!(2048),
        8 => json!(3072),
        9 => json!(100),
        10 => json!(500),
        11 => json!(1000),
        12 => json!(1e300),
        13 => json!(-1.5),
        14 => json!(u64::MAX),
        15 => json!(i64::MIN),
        16 => json!(""),
        17 => json!(" "),
        18 => json!("RSA"),
        19 => json!("RSA-HSM"),
        20 => json!("P7D"),
        21 => json!("P28D"),
        22 => json!("PT1H"),
        23 => json!("P1Y"),
        24 => json!("PT0S"),
        25 => json!("Rotate"),
        26 => json!("Notify"),
        27 => json!("SystemAssigned"),
        28 => json!("UserAssigned"),
        29 => json!("None"),
        30 => json!(inp.pick(&["eastus", "westus2", "westcentralus", "chinanorth3", "mars"])),
        31 => json!(inp.pick(&["CapacityReservation", "PerGB2018", "Free"])),
        32 => json!(TENANT_ID),
        33 => json!(USER_OBJECT_ID),
        34 => json!(fx.principal),
        35 => json!(inp.pick(&fx.versions)),
        36 => json!(format!(
            "https://{VAULT}.vault.azure.net/keys/{KEY}/{}",
            inp.pick(&fx.versions)
        )),
        37 => json!(format!("https://{VAULT}.vault.azure.net")),
        38 => json!(cluster_path()),
        39 => json!(workspace_path(WS_FREE)),
        40 => json!(inp.pick(&["RSA-OAEP-256", "RSA-OAEP", "RSA1_5"])),
        41 => json!("2030-01-01T00:00:00Z"),
        42 => json!("a".repeat(4000)),
        43 => json!([]),
        44 => json!({}),
        45 => json!(["get", "wrapKey", "unwrapKey", "all"]),
        46 => json!(crate::engine::crypto::b64url(inp.bytes(40))),
        _ => json!(inp.text(32)),
    }
}

const FIELDS: [&str; 40] = [
    "location",
    "properties",
    "identity",
    "type",
    "userAssignedIdentities",
    "sku",
    "name",
    "capacity",
    "keyVaultProperties",
    "keyVaultUri",
    "keyName",
    "keyVersion",
    "keyRsaSize",
    "billingType",
    "isDoubleEncryptionEnabled",
    "writeAccessResourceId",
    "enableSoftDelete",
    "softDeleteRetentionInDays",
    "enablePurgeProtection",
    "enableRbacAuthorization",
    "accessPolicies",
    "tenantId",
    "objectId",
    "permissions",
    "keys",
    "kty",
    "key_size",
    "key_ops",
    "attributes",
    "enabled",
    "exp",
    "tags",
    "alg",
    "value",
    "lifetimeActions",
    "trigger",
    "timeAfterCreate",
    "expiryTime",
    "principalId",
    "query",
];

/// One structural change somewhere in `v`: replace a node, drop or add a member.
fn mutate_json(v: &mut Value, fx: &Fixture, inp: &mut Input, depth: usize) {
    let descend = depth < 6 && inp.chance(150);
    match v {
        Value::Object(m) if descend && !m.is_empty() => {
            let i = inp.below(m.len());
            if let Some((_, child)) = m.iter_mut().nth(i) {
                mutate_json(child, fx, inp, depth + 1);
            }
        }
        Value::Array(a) if descend && !a.is_empty() => {
            let i = inp.below(a.len());
            mutate_json(&mut a[i], fx, inp, depth + 1);
        }
        Value::Object(m) => match inp.below(3) {
            0 if !m.is_empty() => {
                let i = inp.below(m.len());
                if let Some(k) = m.keys().nth(i).cloned() {
                    m.remove(&k);
                }
            }
            1 => {
                let k = inp.pick(&FIELDS).to_string();
                m.insert(k, fragment(fx, inp));
            }
            _ => *v = fragment(fx, inp),
        },
        Value::Array(a) => match inp.below(3) {
            0 if !a.is_empty() => {
                let i = inp.below(a.len());
                a.remove(i);
            }
            1 => a.push(fragment(fx, inp)),
            _ => *v = fragment(fx, inp),
        },
        _ => *v = fragment(fx, inp),
    }
}

fn body(ep: &Endpoint, fx: &Fixture, inp: &mut Input) -> Option<String> {
    let template = || ep.bodies.first().cloned().unwrap_or_else(|| json!({}));
    match inp.below(12) {
        0 => None,
        1 => Some(inp.text(200)),
        2 => {
            let text = template().to_string();
            let cut = inp.below(text.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            Some(text[..cut].to_string())
        }
        _ => {
            let mut v = if ep.bodies.is_empty() {
                template()
            } else {
                inp.pick(&ep.bodies).clone()
            };
            for _ in 0..inp.below(4) {
                mutate_json(&mut v, fx, inp, 0);
            }
            Some(v.to_string())
        }
    }
}

fn headers(ep: &Endpoint, inp: &mut Input) -> Vec<(String, String)> {
    let mut h = Vec::new();
    match inp.below(10) {
        0 => {}
        1 => h.push(("Content-Type".into(), "text/plain".into())),
        2 => h.push((
            "content-type".into(),
            "APPLICATION/JSON; charset=utf-8".into(),
        )),
        _ => h.push(("Content-Type".into(), "application/json".into())),
    }
    if matches!(ep.api, Api::Collector) {
        match inp.below(8) {
            0 => {}
            1 => h.push(("Log-Type".into(), "bad-type!".into())),
            2 => h.push(("Log-Type".into(), "A".repeat(101))),
            3 => h.push(("Log-Type".into(), "Heartbeat".into())),
            _ => h.push(("Log-Type".into(), "FuzzData".into())),
        }
        if inp.chance(64) {
            h.push((
                "time-generated-field".into(),
                inp.pick(&["When", "When_t", "Message", ""]).to_string(),
            ));
        }
        if inp.chance(32) {
            h.push(("x-ms-AzureResourceId".into(), workspace_path(WS_FREE)));
        }
    }
    // Credentials that never verify: every surface's refusal path (and no panic on any token).
    if inp.chance(12) {
        let token = match inp.below(5) {
            0 => format!("Bearer {}", inp.text(40)),
            1 => format!(
                "Bearer {}.{}.{}",
                crate::engine::crypto::b64url(inp.text(16).as_bytes()),
                crate::engine::crypto::b64url(inp.text(48).as_bytes()),
                inp.text(20)
            ),
            2 => format!(
                "Bearer eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
                crate::engine::crypto::b64url(
                    json!({ "iss": inp.text(10), "aud": inp.text(10), "exp": inp.below(u32::MAX as usize), "oid": inp.text(8) })
                        .to_string()
                        .as_bytes()
                )
            ),
            3 => format!("SharedKey {}:{}", inp.text(36), inp.text(44)),
            _ => inp.text(24),
        };
        h.push(("Authorization".into(), token));
    }
    if inp.chance(16) {
        h.push((inp.text(12), inp.text(24)));
    }
    h
}

const METHODS: [&str; 10] = [
    "GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "get", " put ", "OPTIONS", "",
];

const PRIVATE_JWK: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/// No private JWK member in a key bundle (`key`, and the `key` of listed items).
fn check_key_bundles(what: &str, body: &Value) {
    let mut jwks = vec![&body["key"]];
    if let Some(items) = body["value"].as_array() {
        jwks.extend(items.iter().map(|i| &i["key"]));
    }
    for jwk in jwks {
        if let Some(m) = jwk.as_object() {
            for f in PRIVATE_JWK {
                assert!(
                    !m.contains_key(f),
                    "{what}: a key bundle carries the private JWK member {f:?}"
                );
            }
        }
    }
}

/// No object anywhere in `v` that looks like a JWK (`kty` with `n` or `kid`) carries a private
/// member.
fn check_no_private_jwk(what: &str, v: &Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("kty") && (m.contains_key("n") || m.contains_key("kid")) {
                for f in PRIVATE_JWK {
                    assert!(
                        !m.contains_key(f),
                        "{what}: a JWK carries the private member {f:?}"
                    );
                }
            }
            m.values().for_each(|c| check_no_private_jwk(what, c));
        }
        Value::Array(a) => a.iter().for_each(|c| check_no_private_jwk(what, c)),
        _ => {}
    }
}

fn check_headers(what: &str, r: &Response) {
    for (k, v) in &r.headers {
        for f in PRIVATE_JWK {
            let needle = format!("\"{f}\":");
            assert!(
                !v.contains(&needle),
                "{what}: header {k} carries {needle}: {v}"
            );
        }
    }
}

// RSA key generation is what makes an input slow (natively 0.05-0.4 s for 2048 bits, about 1.3 s
// for 3072 and up to several seconds for 4096), so one input's share of it is bounded to stay
// well inside libFuzzer's per-input timeout (10 s in scripts/fuzz): at most
// MAX_KEY_GENERATIONS creations and rotations, of 2048-bit keys only (a larger `key_size` is not
// sent), and at most MAX_ADVANCE of clock, so a weekly rotation policy rotates a handful of times.

/// Longest total clock move of one input: past the 30-day retention and capacity lock.
const MAX_ADVANCE: u64 = 60 * DAY;
/// Key creations and rotations one input may send; later ones are not sent.
const MAX_KEY_GENERATIONS: usize = 4;
const MAX_KEY_BITS: u64 = 2048;
const MAX_STEPS: usize = 48;
const ADVANCES: [u64; 12] = [
    1,
    30,
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
];

/// Requests, clock moves and Key Vault outages, chosen by the bytes, against a provisioned world:
/// a recoverable vault with an RSA-2048 key, a cluster whose system-assigned identity has get,
/// wrapKey and unwrapKey and whose key identifier is set (empty `keyVersion`), one linked and one
/// unlinked workspace with data, a user-assigned identity, every operation complete. Requests
/// come from a table of the world's real endpoints, with mutated methods, paths, api-versions,
/// headers and JSON bodies, and reuse what earlier answers revealed (key versions, operation
/// URLs, wrapped keys).
pub fn handle_requests(data: &[u8]) {
    let mut fx = Fixture::provision();
    let mut inp = Input::new(data);
    let mut advanced = 0u64;
    let mut steps = 0;
    while !inp.done() && steps < MAX_STEPS {
        steps += 1;
        match inp.below(16) {
            0 | 1 => {
                let s = *inp.pick(&ADVANCES);
                if advanced + s <= MAX_ADVANCE {
                    advanced += s;
                    fx.e.advance(s);
                    if fx.trace {
                        eprintln!("advance {s} s");
                    }
                }
            }
            2 => {
                let before = fx.e.now();
                if fx
                    .e
                    .next_event_at()
                    .is_some_and(|t| t - before + advanced <= MAX_ADVANCE)
                {
                    fx.e.run_to_next_event();
                    advanced += fx.e.now() - before;
                    if fx.trace {
                        eprintln!("run to the next event: +{} s", fx.e.now() - before);
                    }
                }
            }
            3 => {
                let outage = *inp.pick(&[
                    None,
                    Some(Outage::Timeout),
                    Some(Outage::ConnectionFailure),
                    Some(Outage::Dns),
                ]);
                // Refused (and harmless) once the vault is gone with its resource group.
                let _ = fx.e.set_key_vault_outage(VAULT, outage);
                if fx.trace {
                    eprintln!("Key Vault outage: {outage:?}");
                }
            }
            _ => request(&mut fx, &mut inp),
        }
    }
    let snapshot = fx.e.snapshot();
    let json = serde_json::to_value(&snapshot).expect("the snapshot must serialize");
    check_no_private_jwk("snapshot", &json);
}

fn request(fx: &mut Fixture, inp: &mut Input) {
    let ep = endpoint(fx, inp);
    let method = if inp.chance(224) {
        inp.pick(ep.methods).to_string()
    } else {
        inp.pick(&METHODS).to_string()
    };
    let base = if inp.chance(40) {
        mutate_url(&ep.url, inp)
    } else {
        ep.url.clone()
    };
    let url = if matches!(ep.api, Api::None) && base.contains('?') {
        base
    } else {
        format!("{base}{}", query_string(ep.api, inp))
    };
    let headers = headers(&ep, inp);
    let body = if method.trim().eq_ignore_ascii_case("GET") && inp.chance(224) {
        None
    } else {
        body(&ep, fx, inp)
    };
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if path.ends_with("/create") || path.ends_with("/rotate") {
        let bits = body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|b| b.get("key_size").and_then(Value::as_u64));
        if fx.key_generations >= MAX_KEY_GENERATIONS || bits.is_some_and(|b| b > MAX_KEY_BITS) {
            if fx.trace {
                eprintln!("(not sent: over the key generation budget) {method} {url}");
            }
            return;
        }
        fx.key_generations += 1;
    }
    let before = fx.e.checkpoint();
    let r = fx.e.handle(&method, &url, &h, body.as_deref());
    let what = format!("{method} {url}");
    if fx.trace {
        let text = r.body.to_string();
        let cut = (0..=text.len().min(300))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        eprintln!("{what} {body:?}\n  -> {} {}", r.status, &text[..cut]);
    }
    if r.status >= 400 {
        assert!(
            fx.e.checkpoint() == before,
            "{what}: refused with {} but the state changed: {}",
            r.status,
            r.body
        );
    }
    check_server_error(&what, &r);
    check_key_bundles(&what, &r.body);
    check_headers(&what, &r);
    if r.status < 400
        && url.contains("/roleAssignments/")
        && method.trim().eq_ignore_ascii_case("PUT")
    {
        if let Some(name) = url
            .split("/roleAssignments/")
            .nth(1)
            .and_then(|t| t.split('?').next())
        {
            if fx.assignments.len() < 8 {
                fx.assignments.push(name.to_string());
            }
        }
    }
    fx.learn(&r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_is_total() {
        let mut i = Input::new(&[5, 1, 2]);
        assert_eq!(i.below(3), 2);
        assert_eq!(i.bytes(10), &[2]);
        assert!(i.done());
        assert_eq!(i.byte(), 0);
        assert_eq!(i.bytes(10), &[] as &[u8]);
        assert_eq!(i.text(3), "");
    }

    #[test]
    fn key_versions_come_from_kids() {
        assert_eq!(
            kid_version(&json!("https://kv.vault.azure.net/keys/k/abc")),
            Some("abc".into())
        );
        assert_eq!(
            kid_version(&json!("https://kv.vault.azure.net/keys/k")),
            None
        );
    }

    #[test]
    fn empty_inputs_pass_every_harness() {
        decode_block(&[]);
        command_json(&[]);
        collector_body(&[]);
    }
}
