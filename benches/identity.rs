//! What credentials cost, timed natively in one run: a resource group read answered through
//! implicit sign-in against the same read carrying a bearer token (JWT decode, HMAC-SHA256
//! verification, claims), a token from the token endpoint, and a preset world built by a signed-in
//! host (tokens added and refreshed by `protocol::execute`) against the same preset built with
//! implicit sign-in. Asserts nothing about speed; the figures go to BENCHMARKS.md.
//! `cargo bench --bench identity`.

use std::time::Instant;

use cmk_playground::engine::Engine;
use cmk_playground::engine::world::{
    RUNBOOK_APP_ID, RUNBOOK_APP_SECRET, SUBSCRIPTIONS, TENANT_ID, USER_UPN,
};
use cmk_playground::presets::{self, Preset};
use cmk_playground::protocol::{Command, execute};
use cmk_playground::walkthrough::Guide;

const N: u32 = 20_000;

fn per_request(e: &mut Engine, url: &str, headers: &[(&str, &str)]) -> f64 {
    let t = Instant::now();
    for _ in 0..N {
        let r = e.handle("GET", url, headers, None);
        assert_eq!(r.status, 200);
    }
    t.elapsed().as_secs_f64() * 1e6 / N as f64
}

fn preset(sign_in: bool) -> f64 {
    let t = Instant::now();
    let mut e = Engine::with_seed(presets::SEED);
    if sign_in {
        execute(
            &mut e,
            &Command::SignIn {
                who: USER_UPN.into(),
            },
        );
    }
    let preset = Preset::Step(Guide::Monitor, 6);
    let mut snap = execute(&mut e, &Command::Snapshot).snapshot;
    while let Some(cmd) = preset.next(&snap) {
        snap = execute(&mut e, &cmd).snapshot;
    }
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let mut e = Engine::with_seed([5u8; 32]);
    let sub = SUBSCRIPTIONS[0].0;
    let rg = format!(
        "https://management.azure.com/subscriptions/{sub}/resourcegroups/bench?api-version=2021-04-01"
    );
    assert!(
        e.handle("PUT", &rg, &[], Some(r#"{"location":"eastus"}"#))
            .status
            < 300
    );
    let form = format!(
        "grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret={}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
        RUNBOOK_APP_SECRET.replace('~', "%7E")
    );
    let token_url = format!("https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token");
    let t = Instant::now();
    let mut token = String::new();
    for _ in 0..N {
        let r = e.handle("POST", &token_url, &[], Some(&form));
        token = r.body["access_token"].as_str().unwrap().to_string();
    }
    let issue = t.elapsed().as_secs_f64() * 1e6 / N as f64;
    let implicit = per_request(&mut e, &rg, &[]);
    let auth = format!("Bearer {token}");
    e.set_implicit_sign_in(false);
    let bearer = per_request(&mut e, &rg, &[("Authorization", &auth)]);
    println!("resource group GET, implicit sign-in: {implicit:.1} µs");
    println!(
        "resource group GET, bearer token:     {bearer:.1} µs  (×{:.2})",
        bearer / implicit
    );
    println!("token endpoint, client credentials:   {issue:.1} µs");
    let (plain, signed) = (preset(false), preset(true));
    println!("provisioned preset, implicit sign-in: {plain:.0} ms");
    println!(
        "provisioned preset, signed-in host:   {signed:.0} ms  (×{:.2})",
        signed / plain
    );
}
