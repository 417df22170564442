//! What one request costs with a fleet in place (issue 14): five dedicated clusters and 1,000 or
//! 5,000 linked workspaces (`cmk_playground::fleet`), provisioned through `Engine::handle`. Prints
//! the time to provision the fleet and the median cost of a cheap request (`GET /subscriptions`),
//! of a GET of one workspace and of a failing request (a PUT with a body that is not JSON, 400),
//! beside the same requests on an empty engine. Asserts nothing about speed. Run with
//! `cargo bench --bench requests`; `REQUESTS_WORKSPACES=200,1000` changes the workspaces per
//! cluster (200 and 1,000 by default).

use std::time::Instant;

use cmk_playground::engine::Engine;
use cmk_playground::engine::world::SUBSCRIPTIONS;
use cmk_playground::fleet::{self, FleetSpec};

const ARM: &str = "https://management.azure.com";

/// Median microseconds per call of `f`: at least 21 calls and 0.5 s, at most 2,001 calls.
fn median_us(mut f: impl FnMut()) -> (f64, usize) {
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 2001 && (times.len() < 21 || start.elapsed().as_secs_f64() < 0.5) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times.len())
}

struct Calls {
    cheap: String,
    workspace: String,
    bad_put: String,
}

fn calls(workspace: &str) -> Calls {
    Calls {
        cheap: format!("{ARM}/subscriptions?api-version=2021-04-01"),
        workspace: format!("{ARM}{workspace}?api-version=2021-06-01"),
        bad_put: format!("{ARM}{workspace}?api-version=2021-06-01"),
    }
}

fn measure(label: &str, e: &mut Engine, c: &Calls) {
    let mut check = |method: &str, url: &str, body: Option<&str>, want: u16| {
        let r = e.handle(method, url, &[("Content-Type", "application/json")], body);
        assert_eq!(r.status, want, "{method} {url}: {}", r.body);
    };
    check("GET", &c.cheap, None, 200);
    check("GET", &c.workspace, None, 200);
    check("PUT", &c.bad_put, Some("{ not json"), 400);
    let (cheap, n1) = median_us(|| {
        std::hint::black_box(e.handle("GET", &c.cheap, &[], None));
    });
    let (ws, n2) = median_us(|| {
        std::hint::black_box(e.handle("GET", &c.workspace, &[], None));
    });
    let (bad, n3) = median_us(|| {
        std::hint::black_box(e.handle(
            "PUT",
            &c.bad_put,
            &[("Content-Type", "application/json")],
            Some("{ not json"),
        ));
    });
    println!(
        "  {label}: GET /subscriptions {cheap:.1} µs ({n1} calls), GET one workspace {ws:.1} µs ({n2} calls), failing PUT (400) {bad:.1} µs ({n3} calls) [medians]"
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("REQUESTS_WORKSPACES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 1000]);
    let origin = Instant::now();
    let mut clock = move || origin.elapsed().as_secs_f64() * 1000.0;

    // The same calls on an empty engine (the workspace created first so its GET answers 200).
    let mut empty = Engine::with_seed([7; 32]);
    let sub = SUBSCRIPTIONS[0].0;
    let ws = format!(
        "/subscriptions/{sub}/resourceGroups/empty/providers/Microsoft.OperationalInsights/workspaces/empty-ws"
    );
    for (url, body) in [
        (
            format!("{ARM}/subscriptions/{sub}/resourcegroups/empty?api-version=2021-04-01"),
            r#"{"location":"eastus"}"#,
        ),
        (
            format!("{ARM}{ws}?api-version=2021-06-01"),
            r#"{"location":"eastus","properties":{"sku":{"name":"PerGB2018"}}}"#,
        ),
    ] {
        let r = empty.handle(
            "PUT",
            &url,
            &[("Content-Type", "application/json")],
            Some(body),
        );
        assert!(r.status < 400, "PUT {url}: {}", r.body);
    }
    println!("empty engine (one workspace):");
    measure("per request", &mut empty, &calls(&ws));

    for per_cluster in sizes {
        let spec = FleetSpec::sized(per_cluster);
        let mut e = Engine::with_seed(spec.seed);
        let t = Instant::now();
        let fleet = fleet::provision(&mut e, &spec, &mut clock)
            .unwrap_or_else(|err| panic!("provisioning: {err}"));
        let setup = t.elapsed().as_secs_f64();
        println!(
            "fleet of {} clusters, {} linked workspaces: provisioned in {setup:.2} s ({} requests, {:.1} virtual hours)",
            fleet.clusters.len(),
            fleet.workspaces,
            fleet.requests,
            fleet.virtual_seconds as f64 / 3600.0
        );
        for p in &fleet.phases {
            println!(
                "  setup: {:<45} {:>9.0} ms, {:>6} requests",
                p.name, p.ms, p.requests
            );
        }
        let first = &fleet.clusters[0];
        let ws = format!(
            "/subscriptions/{}/resourceGroups/cmk-fleet/providers/Microsoft.OperationalInsights/workspaces/{}-ws-0000",
            first.subscription, first.name
        );
        measure("per request", &mut e, &calls(&ws));
    }
}
