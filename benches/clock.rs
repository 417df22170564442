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
        "{label}: {:.3e} virtual s per real s ({} virtual s in {} advances of {} s: {:.1} ms, slowest advance {:.2} ms; {} Key Vault polls held, {} audit entries, {} timeline entries)",
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
    line("  30 days, 1-day advances", &r.month);
    if let Some(y) = &r.year {
        line("  next 335 days, 1-day advances", y);
    }
    if let Some(h) = &r.hourly {
        line("  1 day, 1-hour advances", h);
    }
    if let Some(m) = &r.by_minute {
        line("  1 day, 1-minute advances", m);
    }
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
    let healthy = fleet::run_scenario(&spec, Scenario::Healthy, &mut clock)
        .unwrap_or_else(|e| panic!("healthy fleet: {e}"));
    report(&healthy);
    let degraded = fleet::run_scenario(&spec, Scenario::Degraded, &mut clock)
        .unwrap_or_else(|e| panic!("degraded fleet: {e}"));
    report(&degraded);
    println!(
        "ratio degraded / healthy (30 days, 1-day advances): {:.2}; setup {:.2}",
        degraded.month.rate / healthy.month.rate,
        degraded.setup_ms / healthy.setup_ms
    );
}
