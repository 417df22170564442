//! The clock benchmark, natively: virtual time advanced per second of real time with five
//! dedicated clusters and 1,000 linked workspaces (`cmk_playground::fleet`), healthy and with one
//! cluster revoked and one vault unreachable. The same code runs in the browser through the
//! `clockBenchmark` export (www/bench.js). Prints figures; asserts nothing about speed. Run with
//! `cargo bench --bench clock` (or scripts/bench). `CLOCK_WORKSPACES=n` changes the workspaces
//! per cluster (200 by default).

use std::time::Instant;

use cmk_playground::fleet::{self, AdvanceReport, FleetSpec, Scenario, ScenarioReport};

fn line(label: &str, r: &AdvanceReport) {
    println!(
        "{label}: {:.3e} virtual s per real s ({} virtual s in {} advances of {} s: {:.1} ms, slowest advance {:.2} ms; {} Key Vault polls accounted for, {} audit entries, {} timeline entries)",
        r.rate,
        r.virtual_seconds,
        r.chunks,
        r.chunk_seconds,
        r.elapsed_ms,
        r.slowest_chunk_ms,
        r.polls,
        r.audit_entries,
        r.timeline_entries
    );
}

fn report(r: &ScenarioReport) {
    println!(
        "{:?}: setup {:.0} ms ({} clusters, {} linked workspaces, {} requests, {:.1} virtual hours)",
        r.scenario,
        r.setup_ms,
        r.clusters,
        r.workspaces,
        r.setup_requests,
        r.setup_virtual_seconds as f64 / 3600.0
    );
    for p in &r.setup_phases {
        println!(
            "  setup: {:<45} {:>7.0} ms, {:>5} requests, {:>6} virtual s",
            p.name, p.ms, p.requests, p.virtual_seconds
        );
    }
    if let Some(o) = &r.overheads {
        println!(
            "  per call: GET /subscriptions {:.3} ms with the fleet ({:.3} ms on an empty engine); snapshot {:.2} ms, as JSON {:.2} ms ({} KB)",
            o.request_ms,
            o.empty_request_ms,
            o.snapshot_ms,
            o.snapshot_json_ms,
            o.snapshot_json_bytes / 1000
        );
    }
    line("  days 1-30 (with data), 1-day advances", &r.month);
    line("  days 31-365, 1-day advances", &r.year);
    line("  30 days in 1-hour advances", &r.hourly);
    line("  1 day in 1-minute advances", &r.by_minute);
    let states: Vec<String> = r
        .accounts
        .iter()
        .map(|a| {
            format!(
                "{} {} {}{}",
                a.cluster,
                a.protection,
                a.access,
                if a.transient {
                    " (Key Vault unreachable)"
                } else {
                    ""
                }
            )
        })
        .collect();
    println!("  storage at the end: {}", states.join(", "));
}

fn main() {
    let per_cluster = std::env::var("CLOCK_WORKSPACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let spec = FleetSpec::sized(per_cluster);
    let origin = Instant::now();
    let mut clock = move || origin.elapsed().as_secs_f64() * 1000.0;
    // A warm-up run, as in the browser (where it lets V8 tier the hot wasm code up).
    fleet::run_scenario(&FleetSpec::sized(10), Scenario::Healthy, &mut clock)
        .unwrap_or_else(|e| panic!("warm-up: {e}"));
    let healthy = fleet::run_scenario(&spec, Scenario::Healthy, &mut clock)
        .unwrap_or_else(|e| panic!("healthy fleet: {e}"));
    report(&healthy);
    let degraded = fleet::run_scenario(&spec, Scenario::Degraded, &mut clock)
        .unwrap_or_else(|e| panic!("degraded fleet: {e}"));
    report(&degraded);
    let ratio = |f: fn(&ScenarioReport) -> &AdvanceReport| f(&degraded).rate / f(&healthy).rate;
    println!(
        "ratio degraded / healthy: days 1-30 {:.2}, days 31-365 {:.2}, 1-hour advances {:.2}, 1-minute advances {:.2}; setup {:.2}",
        ratio(|r| &r.month),
        ratio(|r| &r.year),
        ratio(|r| &r.hourly),
        ratio(|r| &r.by_minute),
        degraded.setup_ms / healthy.setup_ms
    );
}
