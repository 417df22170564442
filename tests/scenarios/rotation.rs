//! Key Vault rotation policies (`/keys/{name}/rotationpolicy`), rotations on the clock, and the
//! simulated Key Vault outage as REST callers see it.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use cmk_playground::engine::storage::access::Outage;
use common::*;
use serde_json::{Value, json};

fn with_key() -> (Env, String) {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    let r = env.policy(
        VAULT,
        "add",
        USER,
        &["getrotationpolicy", "setrotationpolicy"],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    (env, v)
}

fn set_policy(env: &mut Env, body: Value) -> cmk_playground::engine::Response {
    env.kv("PUT", &format!("/keys/{KEY}/rotationpolicy"), Some(body))
}

fn versions(env: &mut Env) -> Vec<Value> {
    let r = env.kv("GET", &format!("/keys/{KEY}/versions"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"].as_array().unwrap().clone()
}

#[test]
fn a_key_without_a_policy_shows_key_vaults_default_notify_30_days_before_expiry() {
    let (mut env, _) = with_key();
    let r = env.kv("GET", &format!("/keys/{KEY}/rotationpolicy"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["id"],
        json!(format!(
            "https://{VAULT}.vault.azure.net/keys/{KEY}/rotationpolicy"
        ))
    );
    assert_eq!(
        r.body["lifetimeActions"],
        json!([{ "trigger": { "timeBeforeExpiry": "P30D" }, "action": { "type": "Notify" } }])
    );
}

#[test]
fn a_rotation_policy_round_trips_and_rotates_the_key_on_the_clock() {
    let (mut env, first) = with_key();
    let r = set_policy(
        &mut env,
        json!({
            "lifetimeActions": [
                { "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } },
                { "trigger": { "timeBeforeExpiry": "P30D" }, "action": { "type": "Notify" } }
            ],
            "attributes": { "expiryTime": "P90D" }
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["attributes"]["expiryTime"], "P90D");
    assert_eq!(
        r.body["lifetimeActions"][0]["trigger"]["timeAfterCreate"],
        "P30D"
    );
    let got = env.kv("GET", &format!("/keys/{KEY}/rotationpolicy"), None);
    assert_eq!(got.body, r.body);

    env.advance(29 * DAY);
    assert_eq!(versions(&mut env).len(), 1, "not yet due");
    env.advance(DAY);
    let vs = versions(&mut env);
    assert_eq!(vs.len(), 2, "rotated 30 days after the first version");
    let latest = env.kv("GET", &format!("/keys/{KEY}"), None);
    let new = version_of(&latest.body["key"]["kid"]);
    assert_ne!(new, first);
    // expiryTime is stamped on the new version.
    let exp = latest.body["attributes"]["exp"].as_u64().unwrap();
    let created = latest.body["attributes"]["created"].as_u64().unwrap();
    assert_eq!(exp - created, 90 * DAY);
    let audit = env.e.audit_log();
    let rot = audit
        .iter()
        .find(|a| a.operation == "KeyRotate" && a.version.as_deref() == Some(new.as_str()))
        .expect("the policy rotation is audited");
    assert_eq!(rot.detail, "rotation policy");
    assert!(env.timeline_has("rotated by its rotation policy"));
    // And again 30 days after the new version.
    env.advance(30 * DAY);
    assert_eq!(versions(&mut env).len(), 3);
}

#[test]
fn a_manual_rotation_moves_the_policys_next_rotation() {
    let (mut env, _) = with_key();
    set_policy(
        &mut env,
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P10D" }, "action": { "type": "rotate" } }] }),
    );
    env.advance(8 * DAY);
    assert_eq!(
        env.kv("POST", &format!("/keys/{KEY}/rotate"), None).status,
        200
    );
    env.advance(3 * DAY);
    assert_eq!(
        versions(&mut env).len(),
        2,
        "due 10 days after the manual rotation"
    );
    env.advance(7 * DAY);
    assert_eq!(versions(&mut env).len(), 3);
}

#[test]
fn rotation_policies_below_the_documented_minimums_are_refused() {
    let (mut env, _) = with_key();
    let cases = [
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P6D" }, "action": { "type": "Rotate" } }] }),
        json!({ "lifetimeActions": [], "attributes": { "expiryTime": "P27D" } }),
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Notify" } }] }),
        json!({ "lifetimeActions": [
            { "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } },
            { "trigger": { "timeAfterCreate": "P40D" }, "action": { "type": "Rotate" } }
        ] }),
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P90D" }, "action": { "type": "Rotate" } }], "attributes": { "expiryTime": "P90D" } }),
        json!({ "lifetimeActions": [{ "trigger": { "timeBeforeExpiry": "P30D" }, "action": { "type": "Rotate" } }] }),
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "ninety days" }, "action": { "type": "Rotate" } }] }),
        json!({ "lifetimeActions": [{ "trigger": {}, "action": { "type": "Rotate" } }] }),
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Explode" } }] }),
        json!({ "lifetimeActions": "P30D" }),
        // Longer than the calendar: refused, never an overflow.
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "PT18446744073709551615S" }, "action": { "type": "Rotate" } }], "attributes": { "expiryTime": "P90D" } }),
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } }], "attributes": { "expiryTime": "P99999999999D" } }),
    ];
    for body in cases {
        let r = env.refused(&errors::ROTATION_POLICY_INVALID, |env| {
            set_policy(env, body.clone())
        });
        assert!(r.body["error"]["message"].as_str().unwrap().len() > 30);
    }
    // The minimums themselves are accepted.
    let r = set_policy(
        &mut env,
        json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": "P7D" }, "action": { "type": "Rotate" } }], "attributes": { "expiryTime": "P28D" } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn rotation_policy_calls_need_their_own_permissions() {
    let (mut env, _) = with_key();
    env.policy(VAULT, "replace", USER, &["get", "list"]);
    let r = env.kv("GET", &format!("/keys/{KEY}/rotationpolicy"), None);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("getrotationpolicy")
    );
}

#[test]
fn during_a_simulated_outage_rest_calls_to_the_vault_fail_with_503() {
    let (mut env, _) = with_key();
    env.e
        .set_key_vault_outage(VAULT, Some(Outage::Dns))
        .unwrap();
    let r = env.refused(&errors::KV_UNREACHABLE, |env| {
        env.kv("GET", &format!("/keys/{KEY}"), None)
    });
    assert!(r.body.to_string().contains("does not resolve"));
    env.e.set_key_vault_outage(VAULT, None).unwrap();
    assert_eq!(env.kv("GET", &format!("/keys/{KEY}"), None).status, 200);
    assert!(
        env.e
            .set_key_vault_outage("nosuchvault", Some(Outage::Timeout))
            .is_err()
    );
}
