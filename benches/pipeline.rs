//! The data-path benchmark, natively: the same engine code and dataset as www/bench.js (which
//! runs it in the browser), for the wasm/native ratios in BENCHMARKS.md. Prints figures; asserts
//! nothing about speed. Run with `cargo bench --bench pipeline` (or scripts/bench).

use std::time::Instant;

use cmk_playground::engine::Engine;
use cmk_playground::engine::crypto::{self, SymKey};
use serde_json::{Value, json};

const SUB: &str = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
const TENANT: &str = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
const USER: &str = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";
const POSTS: usize = 10;
const RECORDS_PER_POST: usize = 4000;

fn call(e: &mut Engine, method: &str, url: &str, body: Option<Value>) -> Value {
    let text = body.map(|b| b.to_string());
    let r = e.handle(
        method,
        url,
        &[("Content-Type", "application/json")],
        text.as_deref(),
    );
    assert!(r.status < 400, "{method} {url}: {} {}", r.status, r.body);
    r.body
}

/// A CMK cluster with a linked workspace (the same requests as bench.js); returns the customer id.
fn provision(e: &mut Engine) -> String {
    let arm = format!("https://management.azure.com/subscriptions/{SUB}/resourceGroups/bench");
    call(
        e,
        "PUT",
        &format!("{arm}?api-version=2021-04-01"),
        Some(json!({ "location": "eastus" })),
    );
    call(
        e,
        "PUT",
        &format!("{arm}/providers/Microsoft.KeyVault/vaults/benchkv?api-version=2023-07-01"),
        Some(json!({
            "location": "eastus",
            "properties": { "tenantId": TENANT, "sku": { "family": "A", "name": "standard" }, "enableSoftDelete": true, "enablePurgeProtection": true,
                "accessPolicies": [{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": ["create", "get"] } }] }
        })),
    );
    call(
        e,
        "POST",
        "https://benchkv.vault.azure.net/keys/kek/create?api-version=7.4",
        Some(json!({ "kty": "RSA", "key_size": 2048 })),
    );
    let cluster = format!("{arm}/providers/Microsoft.OperationalInsights/clusters/benchcluster");
    call(
        e,
        "PUT",
        &format!("{cluster}?api-version=2021-06-01"),
        Some(
            json!({ "location": "eastus", "identity": { "type": "SystemAssigned" }, "sku": { "name": "CapacityReservation", "capacity": 1000 } }),
        ),
    );
    e.advance(3 * 3600);
    let principal = call(e, "GET", &format!("{cluster}?api-version=2021-06-01"), None)["identity"]
        ["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        e,
        "PUT",
        &format!(
            "{arm}/providers/Microsoft.KeyVault/vaults/benchkv/accessPolicies/add?api-version=2023-07-01"
        ),
        Some(json!({
            "properties": { "accessPolicies": [{ "tenantId": TENANT, "objectId": principal, "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] } }] }
        })),
    );
    call(
        e,
        "PATCH",
        &format!("{cluster}?api-version=2021-06-01"),
        Some(
            json!({ "properties": { "keyVaultProperties": { "keyVaultUri": "https://benchkv.vault.azure.net", "keyName": "kek", "keyVersion": "" } } }),
        ),
    );
    e.advance(3600);
    let ws = format!("{arm}/providers/Microsoft.OperationalInsights/workspaces/bench-ws");
    let customer_id = call(
        e,
        "PUT",
        &format!("{ws}?api-version=2021-06-01"),
        Some(json!({ "location": "eastus" })),
    )["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster_id = cluster.trim_start_matches("https://management.azure.com");
    call(
        e,
        "PUT",
        &format!("{ws}/linkedServices/cluster?api-version=2021-06-01"),
        Some(json!({ "properties": { "writeAccessResourceId": cluster_id } })),
    );
    e.advance(2 * 3600);
    customer_id
}

/// The same records as bench.js (same xorshift generator).
fn dataset() -> Vec<String> {
    let mut x: u32 = 0x9e37_79b9;
    let mut rnd = |n: u32| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x % n
    };
    let levels = ["info", "notice", "warning", "err", "crit"];
    let procs = ["sshd", "CRON", "systemd", "sudo", "kernel", "nginx"];
    (0..POSTS)
        .map(|_| {
            let records: Vec<Value> = (0..RECORDS_PER_POST)
                .map(|_| {
                    let host = format!("vm-web-{:02}", rnd(40));
                    let level = levels[rnd(5) as usize];
                    let process = procs[rnd(6) as usize];
                    let pid = 300 + rnd(30000);
                    let message = format!(
                        "Session {} for user u{} from 10.{}.{}.{} port {}: {}",
                        rnd(100_000),
                        rnd(500),
                        rnd(255),
                        rnd(255),
                        rnd(255),
                        1024 + rnd(60000),
                        "x".repeat((60 + rnd(120)) as usize)
                    );
                    let latency = rnd(5000) as f64 / 10.0;
                    let ok = rnd(10) > 1;
                    json!({ "Host": host, "Level": level, "Process": process, "Pid": pid, "Message": message, "LatencyMs": latency, "Ok": ok })
                })
                .collect();
            Value::Array(records).to_string()
        })
        .collect()
}

fn ingest(e: &mut Engine, customer_id: &str, body: &str) {
    let r = e.handle(
        "POST",
        &format!("https://{customer_id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        &[
            ("Content-Type", "application/json"),
            ("Log-Type", "BenchLog"),
        ],
        Some(body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn query(e: &mut Engine, customer_id: &str, q: &str) -> Value {
    let r = e.handle(
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query"),
        &[("Content-Type", "application/json")],
        Some(&json!({ "query": q }).to_string()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["tables"][0]["rows"].clone()
}

fn mbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

fn main() {
    let posts = dataset();
    let json_bytes: usize = posts.iter().map(String::len).sum();
    let records = POSTS * RECORDS_PER_POST;
    println!(
        "dataset: {records} records, {:.1} MB of JSON in {POSTS} posts",
        json_bytes as f64 / 1e6
    );

    // The plaintexts the pipeline seals: captured through external sealing, sealed here.
    let mut capture = Engine::with_seed([7; 32]);
    let ws = provision(&mut capture);
    capture.set_external_sealing(true);
    let mut service = Vec::new();
    for body in &posts {
        ingest(&mut capture, &ws, body);
        service.extend(
            capture
                .take_seal_jobs(usize::MAX)
                .into_iter()
                .filter(|j| j.aad.first() == Some(&b'{')),
        );
        capture.seal_pending_in_place();
    }
    let plain: usize = service.iter().map(|j| j.plaintext.len()).sum();
    println!(
        "{} column chunks of {:.0} KiB on average, {:.1} MB of block plaintext",
        service.len(),
        plain as f64 / service.len() as f64 / 1024.0,
        plain as f64 / 1e6
    );

    // 1. The pipeline, in place (aes-gcm and chacha20poly1305 crates, AES-NI where available).
    let mut e = Engine::with_seed([7; 32]);
    let ws = provision(&mut e);
    let t = Instant::now();
    for body in &posts {
        ingest(&mut e, &ws, body);
    }
    let pipeline = t.elapsed().as_secs_f64();
    println!(
        "pipeline (ingest + double encryption + hot copy): {:.1} MB/s of block plaintext ({:.1} MB/s of JSON)",
        mbps(plain, pipeline),
        mbps(json_bytes, pipeline)
    );

    // 2. AES-256-GCM alone on the same plaintexts.
    let t = Instant::now();
    for j in &service {
        let key = SymKey::from_bytes(&j.key).unwrap();
        std::hint::black_box(crypto::gcm_seal(
            &key,
            &j.nonce.clone().try_into().unwrap(),
            &j.aad,
            &j.plaintext,
        ));
    }
    let gcm = mbps(plain, t.elapsed().as_secs_f64());
    println!(
        "AES-256-GCM alone, same plaintexts: {gcm:.1} MB/s → pipeline / AES-GCM = {:.2}",
        mbps(plain, pipeline) / gcm
    );

    // 3. The hot queries of issue 14, each against a plain columnar loop over the same rows
    //    (codes for the dictionary columns, one buffer and offsets for the free text).
    let mut levels: Vec<u8> = Vec::new();
    let mut hosts: Vec<u8> = Vec::new();
    let (mut host_names, mut level_names): (Vec<String>, Vec<String>) = Default::default();
    let (mut text, mut ends) = (String::new(), Vec::new());
    for body in &posts {
        let records: Vec<Value> = serde_json::from_str(body).unwrap();
        for r in records {
            let code = |names: &mut Vec<String>, v: &str| {
                names.iter().position(|n| n == v).unwrap_or_else(|| {
                    names.push(v.to_string());
                    names.len() - 1
                }) as u8
            };
            levels.push(code(&mut level_names, r["Level"].as_str().unwrap()));
            hosts.push(code(&mut host_names, r["Host"].as_str().unwrap()));
            text.push_str(r["Message"].as_str().unwrap());
            ends.push(text.len());
        }
    }
    let err = level_names.iter().position(|l| l == "err").unwrap() as u8;
    let best = |f: &mut dyn FnMut() -> Value| {
        f();
        (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    type Loop<'a> = (&'a str, Box<dyn Fn() -> Value + 'a>);
    let loops: [Loop; 3] = [
        (
            r#"BenchLog_CL | where Level_s == "err" | count"#,
            Box::new(|| json!(levels.iter().filter(|&&l| l == err).count())),
        ),
        (
            "BenchLog_CL | summarize count() by Host_s",
            Box::new(|| {
                let mut counts = [0u32; 256];
                hosts.iter().for_each(|&h| counts[h as usize] += 1);
                json!(counts.iter().filter(|&&c| c > 0).count())
            }),
        ),
        (
            r#"BenchLog_CL | where Message_s contains "port 1" | count"#,
            Box::new(|| {
                let mut start = 0;
                let n = ends
                    .iter()
                    .filter(|&&end| {
                        let hit = text[start..end].contains("port 1");
                        start = end;
                        hit
                    })
                    .count();
                json!(n)
            }),
        ),
    ];
    for (q, plain_loop) in loops {
        let engine = best(&mut || query(&mut e, &ws, q));
        let plain = best(&mut || plain_loop());
        println!(
            "hot {q}: engine {:.0} rows/s, plain columnar loop {:.0} rows/s → engine / loop = 1/{:.0}",
            records as f64 / engine,
            records as f64 / plain,
            engine / plain
        );
    }

    // 4. Decrypt + scan: hot cache, then cold through the key chain.
    let q = r#"BenchLog_CL | where Level_s == "err" and Message_s contains "port 1" | summarize count() by Host_s"#;
    query(&mut e, &ws, "BenchLog_CL | count");
    let t = Instant::now();
    let hot = query(&mut e, &ws, q);
    let hot_s = t.elapsed().as_secs_f64();
    e.advance(15 * 86_400);
    query(&mut e, &ws, "BenchLog_CL | count");
    let t = Instant::now();
    let cold = query(&mut e, &ws, q);
    let cold_s = t.elapsed().as_secs_f64();
    assert_eq!(hot, cold, "hot and cold reads disagree");
    println!(
        "decrypt + scan: hot {:.0} rows/s, cold {:.0} rows/s ({:.1} MB/s through the key chain)",
        records as f64 / hot_s,
        records as f64 / cold_s,
        mbps(plain, cold_s)
    );

    // 5. Primitives.
    for (name, size, n) in [
        ("aes-gcm", 262_144, 400),
        ("xchacha20-poly1305", 262_144, 400),
        ("hkdf", 0, 200_000),
    ] {
        crypto::kernel(name, size, 2).unwrap();
        let t = Instant::now();
        std::hint::black_box(crypto::kernel(name, size, n).unwrap());
        let s = t.elapsed().as_secs_f64();
        if name == "hkdf" {
            println!("HKDF-SHA256 data key: {:.2} µs", s * 1e6 / n as f64);
        } else {
            println!("{name}: {:.1} MB/s", mbps(size * n as usize, s));
        }
    }
}
