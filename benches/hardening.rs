//! The hardening issue's reproducers, timed natively: each prints how long it took and the most
//! memory it held at once (a counting allocator). Asserts nothing about speed; the figures go to
//! BENCHMARKS.md. Run with `cargo bench --bench hardening`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use cmk_playground::engine::Engine;
use cmk_playground::engine::columnar::Column;
use cmk_playground::engine::sources::SourceConfig;
use cmk_playground::fleet::{self, ClusterSpec, FleetSpec};
use cmk_playground::protocol::{Command, MAX_ADVANCE, execute};
use serde_json::{Value, json};

struct Peak;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if n >= l.size() {
            let live = LIVE.fetch_add(n - l.size(), Relaxed) + n - l.size();
            PEAK.fetch_max(live, Relaxed);
        } else {
            LIVE.fetch_sub(l.size() - n, Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

/// Runs `f`, printing its time and the peak memory above what was live before it.
fn measure<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let t = Instant::now();
    let r = f();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let peak = (PEAK.load(Relaxed) - base) as f64 / 1e6;
    println!("{what:<78} {ms:>10.2} ms {peak:>9.1} MB");
    r
}

fn handle(e: &mut Engine, method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> u16 {
    e.handle(method, url, headers, Some(body)).status
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

/// One CMK cluster with one linked workspace that has a few logs; returns its customer id.
fn provisioned(e: &mut Engine) -> String {
    let spec = FleetSpec {
        seed: [7; 32],
        clusters: vec![ClusterSpec {
            name: "hardening".into(),
            region: "eastus".into(),
            subscription: 0,
        }],
        workspaces_per_cluster: 1,
        ingesting_per_cluster: 1,
    };
    let mut clock = {
        let t = Instant::now();
        move || t.elapsed().as_secs_f64() * 1e3
    };
    let f = fleet::provision(e, &spec, &mut clock).expect("the fleet provisions");
    f.clusters[0].ingesting[0].clone()
}

fn post(e: &mut Engine, id: &str, records: &Value) -> u16 {
    handle(
        e,
        "POST",
        &format!("https://{id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        &[JSON, ("Log-Type", "App")],
        &records.to_string(),
    )
}

fn query(e: &mut Engine, id: &str, q: &str) -> u16 {
    handle(
        e,
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
        &[JSON],
        &json!({ "query": q }).to_string(),
    )
}

fn main() {
    println!("{:<78} {:>13} {:>12}", "reproducer", "time", "peak");

    // 1. Clock moves.
    let mut empty = Engine::with_seed([1; 32]);
    let r = measure(
        "1  Advance { u64::MAX } through the protocol (refused)",
        || execute(&mut empty, &Command::Advance { seconds: u64::MAX }),
    );
    assert!(r.error.is_some());
    measure(
        "1  Advance { 12 years } through the protocol, empty world",
        || {
            execute(
                &mut empty,
                &Command::Advance {
                    seconds: MAX_ADVANCE,
                },
            )
        },
    );
    let mut e = Engine::with_seed([7; 32]);
    let id = provisioned(&mut e);
    let audit = e.audit_log().len();
    measure(
        "1  Advance { 30 days } through the protocol, one CMK cluster",
        || {
            execute(
                &mut e,
                &Command::Advance {
                    seconds: 30 * 86_400,
                },
            )
        },
    );
    let after_month = e.audit_log().len();
    measure(
        "1  Advance { 12 years } through the protocol, one CMK cluster",
        || {
            execute(
                &mut e,
                &Command::Advance {
                    seconds: MAX_ADVANCE,
                },
            )
        },
    );
    println!(
        "     audit entries: {audit} after provisioning, +{} for 30 days, +{} for 12 years",
        after_month - audit,
        e.audit_log().len() - after_month
    );

    // 2. A weekly rotation policy to the end of the clock (a key no cluster uses).
    let mut k = Engine::with_seed([2; 32]);
    provision_key(&mut k);
    measure(
        "2  P7D rotation policy, 12 years at a time to 9999-12-31",
        || {
            while k.clock_left() > 0 {
                execute(
                    &mut k,
                    &Command::Advance {
                        seconds: MAX_ADVANCE,
                    },
                );
            }
        },
    );
    let snap = k.snapshot();
    println!(
        "     versions kept: {}, snapshot JSON: {} KB",
        snap.vaults[0].keys[0].versions.len(),
        serde_json::to_string(&snap).unwrap().len() / 1024
    );

    // 3. Simulated sources.
    let most = SourceConfig {
        linux: 250,
        windows: 250,
        heartbeat: true,
        syslog_per_hour: 36_000,
        security_per_hour: 36_000,
    };
    let r = measure("3  500 machines at 36,000 rows/h each (refused)", || {
        execute(
            &mut e,
            &Command::ConfigureSources {
                customer_id: id.clone(),
                config: Some(most),
            },
        )
    });
    assert!(r.error.is_some());
    let limit = SourceConfig {
        linux: 5,
        windows: 5,
        heartbeat: true,
        syslog_per_hour: 40,
        security_per_hour: 40,
    };
    execute(
        &mut e,
        &Command::ConfigureSources {
            customer_id: id.clone(),
            config: Some(limit),
        },
    );
    measure(
        "3  sources at the limit (1,000 rows/h): one virtual hour",
        || execute(&mut e, &Command::Advance { seconds: 3600 }),
    );
    let live = LIVE.load(Relaxed);
    execute(
        &mut e,
        &Command::Advance {
            seconds: 86_400 - 3600,
        },
    );
    let kept = LIVE.load(Relaxed).saturating_sub(live) as f64;
    println!(
        "     23 more hours at the limit keep {:.0} MB more ({:.0} bytes per row: the block and its hot-cache copy)",
        kept / 1e6,
        kept / (1_000.0 * 23.0)
    );
    execute(
        &mut e,
        &Command::ConfigureSources {
            customer_id: id.clone(),
            config: None,
        },
    );

    // 4. Repeated output names.
    post(&mut e, &id, &json!([{ "Flag": true, "N": 1 }]));
    for n in [4_000, 8_000] {
        let items = vec!["Flag_b"; n].join(", ");
        measure(&format!("4  project Flag_b × {n}"), || {
            query(&mut e, &id, &format!("App_CL | take 1 | project {items}"))
        });
    }

    // 5. Grouping on reals (every Data Collector number is a real).
    let mut g = Engine::with_seed([7; 32]);
    let gid = provisioned(&mut g);
    for chunk in 0..10 {
        let records: Vec<Value> = (0..10_000)
            .map(|i| json!({ "N": chunk * 10_000 + i }))
            .collect();
        post(&mut g, &gid, &Value::Array(records));
    }
    measure(
        "5  summarize count() by N_d, 100,000 distinct reals",
        || query(&mut g, &gid, "App_CL | summarize count() by N_d | count"),
    );
    measure("5  summarize count() by tolong(N_d), the same rows", || {
        query(
            &mut g,
            &gid,
            "App_CL | summarize count() by n = tolong(N_d) | count",
        )
    });

    // 6. Output amplification: 20 rows of a 32 KB string.
    let big = "x".repeat(32 * 1024);
    let rows: Vec<Value> = (0..20).map(|_| json!({ "Big": big })).collect();
    post(&mut e, &id, &Value::Array(rows));
    let copies = vec!["Big_s"; 1_600].join(", ");
    let s = measure("6  extend s = strcat(Big_s × 1,600) (refused)", || {
        query(
            &mut e,
            &id,
            &format!("App_CL | where isnotempty(Big_s) | extend s = strcat({copies})"),
        )
    });
    assert_eq!(s, 400);
    let s = measure("6  project Big_s × 1,600 (refused)", || {
        query(
            &mut e,
            &id,
            &format!("App_CL | where isnotempty(Big_s) | project {copies}"),
        )
    });
    assert_eq!(s, 400);

    // 7. Property names that would share a column.
    let s = measure(
        "7  post {\"a b\", \"a_b\", \"a-b\", \"ü\", \"é\"} (refused)",
        || {
            post(
                &mut e,
                &id,
                &json!([{ "a b": "first", "a_b": "second", "a-b": "third", "ü": "u-umlaut", "é": "e-acute" }]),
            )
        },
    );
    assert_eq!(s, 400);

    // 8. Decoding corrupt counts (a column chunk: encoding, type, rows, ...).
    for (what, bytes) in [
        (
            "8  decode 8 bytes claiming 65,535 dictionary entries",
            &[2, 8, 1, 0, 0, 0, 0xff, 0xff][..],
        ),
        (
            "8  decode 6 bytes claiming 10,000,000 rows of longs",
            &[1, 6, 0x80, 0x96, 0x98, 0],
        ),
    ] {
        let r = measure(what, || Column::decode(bytes));
        assert!(r.is_err());
    }

    // 11. Tags.
    let tags: serde_json::Map<String, Value> = (0..20)
        .map(|i| (format!("t{i}"), json!("v".repeat(1_000_000))))
        .collect();
    let group = "https://management.azure.com/subscriptions/9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31/resourcegroups/tagged?api-version=2021-04-01";
    let body = json!({ "location": "eastus", "tags": tags }).to_string();
    let s = measure(
        "11 PUT a resource group with 20 MB of tags (refused)",
        || handle(&mut e, "PUT", group, &[JSON], &body),
    );
    assert_eq!(s, 400);
    measure("11 GET a resource group afterwards (x1000)", || {
        for _ in 0..1000 {
            e.handle("GET", group, &[], None);
        }
    });
}

/// A recoverable vault and a key with a weekly rotation policy.
fn provision_key(e: &mut Engine) {
    let sub = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
    let tenant = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
    let user = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";
    let arm = format!("https://management.azure.com/subscriptions/{sub}/resourceGroups/rot");
    let ok = |s: u16| assert!(s < 400, "{s}");
    ok(handle(
        e,
        "PUT",
        &format!("{arm}?api-version=2021-04-01"),
        &[JSON],
        r#"{"location":"eastus"}"#,
    ));
    let vault = json!({
        "location": "eastus",
        "properties": { "tenantId": tenant, "sku": { "family": "A", "name": "standard" }, "enableSoftDelete": true, "enablePurgeProtection": true,
            "accessPolicies": [{ "tenantId": tenant, "objectId": user, "permissions": { "keys": ["create", "get", "setrotationpolicy"] } }] }
    });
    ok(handle(
        e,
        "PUT",
        &format!("{arm}/providers/Microsoft.KeyVault/vaults/rotkv?api-version=2023-07-01"),
        &[JSON],
        &vault.to_string(),
    ));
    ok(handle(
        e,
        "POST",
        "https://rotkv.vault.azure.net/keys/k/create?api-version=7.4",
        &[JSON],
        r#"{"kty":"RSA"}"#,
    ));
    let policy = json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P7D" }, "action": { "type": "Rotate" } }] });
    ok(handle(
        e,
        "PUT",
        "https://rotkv.vault.azure.net/keys/k/rotationpolicy?api-version=7.4",
        &[JSON],
        &policy.to_string(),
    ));
}
