//! Customer Lockbox for Microsoft Azure as Azure Monitor applies it (seed, "Customer Lockbox
//! (preview)"; next-features §2): the tenant opt-in, requests at subscription scope, who may
//! decide, the lifecycle on the clock, and the support engineer's reads through storage.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use cmk_playground::engine::view::LockboxRequestView;
use common::*;
use serde_json::{Value, json};

const V1: &str = "2018-02-28-preview";
const V2: &str = "2018-10-11-preview";
const MINUTE: u64 = 60;
const APPROVER: &str = "4dae6930-7baf-46f5-909e-0383bc931c46";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// The signed-in user's Owner assignment on `SUB`, as the world starts.
const OWNER_ASSIGNMENT: &str = "1f0a7c52-9d3e-4b6a-8c21-5e7d3f9a0b14";

fn tenant(rest: &str) -> String {
    format!("/providers/Microsoft.CustomerLockbox/{rest}")
}

fn requests(rest: &str) -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.CustomerLockbox/requests{rest}")
}

fn enable(env: &mut Env) {
    let r = env.arm("POST", &tenant("enableLockbox"), V1, None);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A provisioned world (CMK cluster, linked workspace) with Lockbox enabled.
fn world() -> Env {
    let mut env = Env::new();
    env.provisioned();
    enable(&mut env);
    env
}

/// The support engineer asks for the fixture workspace; returns the request id.
#[track_caller]
fn ask(env: &mut Env) -> String {
    let r = env.e.support_access_request(&Env::workspace_path(WS));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["status"], "Pending");
    r.body["properties"]["requestId"]
        .as_str()
        .unwrap()
        .to_string()
}

fn approve(env: &mut Env, id: &str, version: &str) -> cmk_playground::engine::Response {
    env.arm(
        "POST",
        &requests(&format!("/{id}/updateApproval")),
        version,
        Some(json!({ "status": "Approve", "reason": "Case 42: read the Heartbeat table" })),
    )
}

fn status(env: &mut Env, id: &str, version: &str) -> Value {
    let r = env.arm("GET", &requests(&format!("/{id}")), version, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["properties"]["status"].clone()
}

fn view(env: &Env, id: &str) -> LockboxRequestView {
    env.e
        .snapshot()
        .lockbox
        .requests
        .into_iter()
        .find(|r| r.request_id == id)
        .expect("the request is in the snapshot")
}

fn statuses(r: &cmk_playground::engine::Response) -> Vec<String> {
    r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["properties"]["status"].as_str().unwrap().to_string())
        .collect()
}

/// Replaces the user's Owner on `SUB` with `role` (None: no role at all).
fn only_role(env: &mut Env, role: Option<&str>, scope: &str) {
    let r = env.arm(
        "DELETE",
        &format!(
            "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/{OWNER_ASSIGNMENT}"
        ),
        "2022-04-01",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    if let Some(role) = role {
        let r = env.as_runbook(|env| {
            env.assign_role(scope, role, USER, "66666666-6666-4666-8666-666666666666")
        });
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

// ---- the tenant opt-in -------------------------------------------------------------------------

#[test]
fn opt_in_is_read_enabled_and_disabled_for_the_tenant() {
    let mut env = Env::new();
    let opted = |env: &mut Env| {
        let r = env.arm("GET", &tenant(&format!("tenantOptedIn/{TENANT}")), V1, None);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["isOptedIn"].clone()
    };
    assert_eq!(opted(&mut env), json!(false));
    enable(&mut env);
    assert_eq!(opted(&mut env), json!(true));
    assert!(env.timeline_has("Customer Lockbox enabled"));
    assert!(env.e.snapshot().lockbox.opted_in);
    let r = env.arm("POST", &tenant("disableLockbox"), V1, None);
    assert_eq!((r.status, r.body.clone()), (200, Value::Null));
    assert_eq!(opted(&mut env), json!(false));
    // Another tenant's opt-in is not the user's to read.
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        env.arm(
            "GET",
            &tenant("tenantOptedIn/11111111-1111-4111-8111-111111111111"),
            V1,
            None,
        )
    });
    // 2018-10-11-preview has no opt-in operations.
    for op in [format!("tenantOptedIn/{TENANT}"), "enableLockbox".into()] {
        env.refused(&errors::INVALID_RESOURCE_TYPE, |env| {
            env.arm("POST", &tenant(&op), V2, None)
        });
    }
    env.refused(&errors::METHOD_NOT_ALLOWED, |env| {
        env.arm("GET", &tenant("enableLockbox"), V1, None)
    });
}

#[test]
fn operations_are_listed_at_both_api_versions() {
    let mut env = Env::new();
    for v in [V1, V2] {
        let r = env.arm("GET", &tenant("operations"), v, None);
        assert_eq!(r.status, 200, "{}", r.body);
        let names: Vec<&str> = r.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Microsoft.CustomerLockbox/requests/UpdateApproval/action"));
        assert!(names.contains(&"Microsoft.CustomerLockbox/requests/read"));
    }
}

#[test]
fn only_the_two_preview_api_versions_exist() {
    let mut env = Env::new();
    for v in ["2020-01-01", "2021-02-28-preview"] {
        env.refused(&errors::INVALID_API_VERSION, |env| {
            env.arm("GET", &requests(""), v, None)
        });
        env.refused(&errors::INVALID_API_VERSION, |env| {
            env.arm("POST", &tenant("enableLockbox"), v, None)
        });
    }
    env.refused(&errors::MISSING_API_VERSION, |env| {
        env.call("GET", &format!("{ARM}{}", requests("")), None)
    });
    assert!(!env.e.snapshot().lockbox.opted_in);
}

// ---- when a support engineer's access makes a request ------------------------------------------

#[test]
fn a_request_needs_the_tenant_opt_in() {
    let mut env = Env::new();
    env.provisioned();
    env.refused(&errors::LOCKBOX_NOT_ENABLED, |env| {
        env.e.support_access_request(&Env::workspace_path(WS))
    });
    assert!(env.e.snapshot().lockbox.requests.is_empty());
    enable(&mut env);
    let id = ask(&mut env);
    assert!(env.timeline_has("Create Lockbox Request"));
    assert_eq!(view(&env, &id).status, "Pending");
}

#[test]
fn lockbox_applies_only_to_workspaces_linked_to_a_dedicated_cluster() {
    let mut env = world();
    env.create_workspace("shared-ws", "eastus");
    let r = env.refused(&errors::LOCKBOX_NOT_DEDICATED, |env| {
        env.e
            .support_access_request(&Env::workspace_path("shared-ws"))
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("you have this control on data in workspaces linked to your Log Analytics dedicated cluster"),
        "{msg}"
    );
    env.refused(&errors::LOCKBOX_WORKSPACE_NOT_FOUND, |env| {
        env.e
            .support_access_request(&Env::workspace_path("no-such-ws"))
    });
    // The linked one (any casing of its id) makes a request.
    let r = env
        .e
        .support_access_request(&Env::workspace_path(WS).to_ascii_uppercase());
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn lockbox_is_not_available_in_china() {
    let mut env = world();
    env.create_workspace("china-ws", "chinanorth3");
    let r = env.refused(&errors::LOCKBOX_NOT_IN_CHINA, |env| {
        env.e
            .support_access_request(&Env::workspace_path("china-ws"))
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("Lockbox isn't available in China currently."),
        "{msg}"
    );
    assert!(msg.contains("China North 3"), "{msg}");
}

/// The protocol's playground control answers like the engine method and says why it refused.
#[test]
fn the_support_access_control_is_a_protocol_command() {
    use cmk_playground::protocol::{Command, execute};
    let mut env = Env::new();
    env.provisioned();
    let cmd = Command::SupportAccessRequest {
        workspace: Env::workspace_path(WS),
    };
    let reply = execute(&mut env.e, &cmd);
    assert!(
        reply.error.as_deref().unwrap().contains("not enabled"),
        "{:?}",
        reply.error
    );
    enable(&mut env);
    let reply = execute(&mut env.e, &cmd);
    assert_eq!(reply.error, None);
    assert_eq!(reply.response.unwrap().status, 201);
    assert_eq!(reply.snapshot.lockbox.requests.len(), 1);
}

// ---- listing and reading requests --------------------------------------------------------------

#[test]
fn requests_are_listed_with_the_status_filter() {
    let mut env = world();
    let first = ask(&mut env);
    let _second = ask(&mut env);
    assert_eq!(approve(&mut env, &first, V1).status, 200);
    for v in [V1, V2] {
        let all = env.arm("GET", &requests(""), v, None);
        assert_eq!(all.status, 200, "{}", all.body);
        let mut s = statuses(&all);
        s.sort();
        assert_eq!(s, ["Approved", "Pending"]);
        let pending = env.arm(
            "GET",
            &requests("?$filter=properties/status%20eq%20%27Pending%27"),
            v,
            None,
        );
        assert_eq!(statuses(&pending), ["Pending"]);
        let approved = env.arm(
            "GET",
            &requests("?$filter=properties%2Fstatus+eq+'approved'"),
            v,
            None,
        );
        assert_eq!(statuses(&approved), ["Approved"]);
        let denied = env.arm(
            "GET",
            &requests("?$filter=properties/status eq 'Denied'"),
            v,
            None,
        );
        assert_eq!(statuses(&denied), Vec::<String>::new());
    }
    // The other subscription has none.
    let r = env.arm(
        "GET",
        &format!("/subscriptions/{SUB2}/providers/Microsoft.CustomerLockbox/requests"),
        V1,
        None,
    );
    assert_eq!(statuses(&r), Vec::<String>::new());
}

#[test]
fn only_the_status_filter_is_supported() {
    let mut env = world();
    ask(&mut env);
    for filter in [
        "properties/createdDateTime gt '2026-03-01'",
        "properties/status ne 'Pending'",
        "properties/status eq 'Maybe'",
        "properties/status eq Pending",
        "status eq 'Pending'",
        "properties/status eq 'Pending' and properties/status eq 'Denied'",
    ] {
        env.refused(&errors::LOCKBOX_FILTER_NOT_SUPPORTED, |env| {
            env.arm("GET", &requests(&format!("?$filter={filter}")), V1, None)
        });
    }
    // `Completed` is in 2018-02-28-preview's enum only.
    let r = env.arm(
        "GET",
        &requests("?$filter=properties/status eq 'Completed'"),
        V1,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    env.refused(&errors::LOCKBOX_FILTER_NOT_SUPPORTED, |env| {
        env.arm(
            "GET",
            &requests("?$filter=properties/status eq 'Completed'"),
            V2,
            None,
        )
    });
}

#[test]
fn a_request_has_the_specifications_shape_at_both_api_versions() {
    let mut env = world();
    let id = ask(&mut env);
    let one = env.arm("GET", &requests(&format!("/{id}")), V1, None);
    assert_eq!(one.status, 200, "{}", one.body);
    let b = &one.body;
    assert_eq!(b["id"], requests(&format!("/{id}")));
    assert_eq!(b["name"], format!("LockboxRequest_{id}"));
    assert_eq!(b["type"], "requests");
    let p = &b["properties"];
    assert_eq!(p["duration"], "8");
    assert_eq!(p["subscriptionId"], SUB);
    assert_eq!(
        p["resourceIds"],
        Env::workspace_path(WS)
            .trim_start_matches('/')
            .to_ascii_uppercase()
    );
    let created = p["createdDateTime"].as_str().unwrap();
    assert!(created.starts_with("2026-03-0"), "{created}");
    let two = env.arm("GET", &requests(&format!("/{id}")), V2, None);
    assert_eq!(two.body["properties"]["duration"], 8);
    // The resource-group GET is 2018-10-11-preview's.
    let rg = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.CustomerLockbox/requests/{id}"
    );
    let r = env.arm("GET", &rg, V2, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["requestId"], id.as_str());
    env.refused(&errors::INVALID_RESOURCE_TYPE, |env| {
        env.arm("GET", &rg, V1, None)
    });
    // A request of another resource group's workspace is not found under this one.
    env.group("other-rg", "eastus");
    env.refused(&errors::LOCKBOX_REQUEST_NOT_FOUND, |env| {
        env.arm("GET", &rg.replace(RG, "other-rg"), V2, None)
    });
}

// ---- who decides ------------------------------------------------------------------------------

#[test]
fn the_owner_approves() {
    let mut env = world();
    let id = ask(&mut env);
    let r = approve(&mut env, &id, V1);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["status"], "Approved");
    assert!(env.timeline_has("Approve Lockbox Request: Avery Admin approved"));
    let v = view(&env, &id);
    assert_eq!(v.decided_by.as_deref(), Some("Avery Admin"));
    assert_eq!(
        v.reason.as_deref(),
        Some("Case 42: read the Heartbeat table")
    );
    assert_eq!(v.expires, env.e.now() + 8 * HOUR);
}

#[test]
fn the_customer_lockbox_approver_role_approves() {
    let mut env = world();
    let id = ask(&mut env);
    only_role(&mut env, Some(APPROVER), &format!("/subscriptions/{SUB}"));
    let r = approve(&mut env, &id, V2);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status(&mut env, &id, V1), "Approved");
    let roles = env.arm(
        "GET",
        &format!(
            "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{APPROVER}"
        ),
        "2022-04-01",
        None,
    );
    assert_eq!(
        roles.body["properties"]["roleName"],
        "Azure Customer Lockbox Approver for Subscription"
    );
}

#[test]
fn anyone_else_gets_arms_403_authorization_failed() {
    let mut env = world();
    let id = ask(&mut env);
    // A Contributor is not an approver, nor is the approver role on a resource group only.
    only_role(
        &mut env,
        Some(CONTRIBUTOR),
        &format!("/subscriptions/{SUB}"),
    );
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| approve(env, &id, V1));
    assert_error(
        &r,
        403,
        "AuthorizationFailed",
        &format!(
            "The client 'avery@contoso.onmicrosoft.com' with object id '{USER}' does not have authorization to perform action 'Microsoft.CustomerLockbox/requests/UpdateApproval/action' over scope '/subscriptions/{SUB}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    );
    let r = env.as_runbook(|env| {
        env.assign_role(
            &format!("/subscriptions/{SUB}/resourceGroups/{RG}"),
            APPROVER,
            USER,
            "77777777-7777-4777-8777-777777777777",
        )
    });
    assert_eq!(r.status, 201, "{}", r.body);
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        env.arm(
            "PATCH",
            &requests(&format!("/{id}")),
            V2,
            Some(json!({ "decision": "Deny" })),
        )
    });
    // ARM authorizes first: a request that does not exist is still a 403, a bad body too.
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        approve(env, "00000000-0000-4000-8000-000000000000", V1)
    });
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        env.arm(
            "POST",
            &requests(&format!("/{id}/updateApproval")),
            V1,
            Some(json!({ "status": "Maybe" })),
        )
    });
    // Reading needs Microsoft.CustomerLockbox/requests/read: Contributor has it.
    assert_eq!(status(&mut env, &id, V1), "Pending");
    // Without any role at the subscription, not even that.
    let mut env = world();
    let id = ask(&mut env);
    only_role(&mut env, None, "");
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        env.arm("GET", &requests("?$filter=anything"), V1, None)
    });
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        env.arm("GET", &requests(&format!("/{id}")), V1, None)
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'Microsoft.CustomerLockbox/requests/read'"),
        "{}",
        r.body
    );
    // Owner again: the decision goes through.
    let r = env.as_runbook(|env| {
        env.assign_role(
            &format!("/subscriptions/{SUB}"),
            OWNER,
            USER,
            "88888888-8888-4888-8888-888888888888",
        )
    });
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(approve(&mut env, &id, V1).status, 200);
}

#[test]
fn a_denied_request_gives_no_access() {
    let mut env = world();
    let id = ask(&mut env);
    let r = env.arm(
        "PATCH",
        &requests(&format!("/{id}")),
        V2,
        Some(json!({ "decision": "Deny", "reason": "Not needed for this case" })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["status"], "Denied");
    assert!(env.timeline_has("Deny Lockbox Request"));
    env.refused(&errors::LOCKBOX_REQUEST_NOT_PENDING, |env| {
        approve(env, &id, V1)
    });
    env.advance(5 * DAY);
    let v = view(&env, &id);
    assert_eq!(
        (v.status.as_str(), v.reads, v.refused_reads),
        ("Denied", 0, 0)
    );
    assert!(!env.timeline_has("Lockbox access:"));
    assert!(!env.timeline_has("Lockbox Request Expiry"));
}

// ---- both approval forms ---------------------------------------------------------------------

#[test]
fn both_approval_forms_work_at_both_api_versions() {
    let forms: [(&str, &str, &str); 4] = [
        ("POST", "/updateApproval", "status"),
        ("POST", "/updateApproval", "decision"),
        ("PATCH", "", "decision"),
        ("PATCH", "", "status"),
    ];
    for version in [V1, V2] {
        for (method, tail, field) in forms {
            let mut env = world();
            let id = ask(&mut env);
            let r = env.arm(
                method,
                &requests(&format!("/{id}{tail}")),
                version,
                Some(json!({ field: "approve", "reason": "ok" })),
            );
            assert_eq!(r.status, 200, "{method} {field} {version}: {}", r.body);
            assert_eq!(r.body["properties"]["status"], "Approved");
        }
    }
}

#[test]
fn a_refused_decision_changes_nothing() {
    let mut env = world();
    let id = ask(&mut env);
    for body in [
        json!({ "status": "Maybe" }),
        json!({ "decision": 1 }),
        json!({ "reason": "no decision" }),
    ] {
        env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
            env.arm(
                "POST",
                &requests(&format!("/{id}/updateApproval")),
                V1,
                Some(body),
            )
        });
    }
    env.refused(&errors::LOCKBOX_REQUEST_NOT_FOUND, |env| {
        approve(env, "00000000-0000-4000-8000-000000000000", V1)
    });
    env.refused(&errors::METHOD_NOT_ALLOWED, |env| {
        env.arm("DELETE", &requests(&format!("/{id}")), V1, None)
    });
    assert_eq!(view(&env, &id).status, "Pending");
    assert!(!env.timeline_has("Approve Lockbox Request"));
}

// ---- the lifecycle on the clock -------------------------------------------------------------

#[test]
fn a_request_without_a_decision_expires_after_four_days() {
    let mut env = world();
    let id = ask(&mut env);
    let created = env.e.now();
    assert_eq!(view(&env, &id).expires, created + 4 * DAY);
    env.advance(4 * DAY - MINUTE);
    assert_eq!(status(&mut env, &id, V1), "Pending");
    env.advance(MINUTE);
    assert_eq!(status(&mut env, &id, V1), "Expired");
    assert_eq!(status(&mut env, &id, V2), "Expired");
    assert!(env.timeline_has("Lockbox Request Expiry"));
    env.refused(&errors::LOCKBOX_REQUEST_NOT_PENDING, |env| {
        approve(env, &id, V1)
    });
    assert_eq!(view(&env, &id).reads, 0);
}

#[test]
fn the_eight_hour_access_window_ends() {
    let mut env = world();
    let id = customer_id(&mut env, WS);
    let r = post_logs(
        &mut env.e,
        &id,
        "App",
        &json!([{ "Tag": "a", "Seq": 1 }, { "Tag": "b", "Seq": 2 }]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    env.advance(10 * MINUTE);
    let req = ask(&mut env);
    assert_eq!(approve(&mut env, &req, V1).status, 200);
    env.advance(8 * HOUR - MINUTE);
    assert_eq!(status(&mut env, &req, V1), "Approved");
    let v = view(&env, &req);
    assert_eq!((v.reads, v.refused_reads), (8, 0));
    assert!(env.timeline_has("Microsoft support read 2 rows from 1 table of"));
    env.advance(MINUTE);
    assert_eq!(status(&mut env, &req, V1), "Completed");
    assert_eq!(status(&mut env, &req, V2), "Expired");
    assert!(env.timeline_has("Lockbox access ends"));
    // No more reads once the window closed.
    env.advance(DAY);
    assert_eq!(view(&env, &req).reads, 8);
    env.refused(&errors::LOCKBOX_REQUEST_NOT_PENDING, |env| {
        approve(env, &req, V1)
    });
}

/// The point of CMK with Lockbox: revoking the key stops the approved engineer too.
#[test]
fn a_revoked_key_stops_the_approved_engineer() {
    let mut env = world();
    let id = customer_id(&mut env, WS);
    let r = post_logs(&mut env.e, &id, "App", &json!([{ "Tag": "a" }]));
    assert_eq!(r.status, 200, "{}", r.body);
    env.advance(10 * MINUTE);
    let req = ask(&mut env);
    assert_eq!(approve(&mut env, &req, V1).status, 200);
    env.advance(10 * MINUTE);
    assert_eq!(view(&env, &req).reads, 1);
    // Disable the key version in use: storage honours it within the hour.
    let kid = env.kv("GET", &format!("/keys/{KEY}"), None).body["key"]["kid"].clone();
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{}", version_of(&kid)),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    env.advance(8 * HOUR);
    let v = view(&env, &req);
    assert!(v.refused_reads >= 5, "{v:?}");
    assert_eq!(v.reads + v.refused_reads, 8, "{v:?}");
    assert!(
        env.last_alert()
            .contains("Microsoft support could not read workspace"),
        "{}",
        env.last_alert()
    );
}

/// The documents are silent on disabling Lockbox with requests in flight: the playground lets
/// them run their course and makes no new ones.
#[test]
fn disabling_lockbox_keeps_requests_already_made_and_makes_no_new_ones() {
    let mut env = world();
    let id = ask(&mut env);
    let r = env.arm("POST", &tenant("disableLockbox"), V1, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(env.timeline_has("Customer Lockbox disabled"));
    env.refused(&errors::LOCKBOX_NOT_ENABLED, |env| {
        env.e.support_access_request(&Env::workspace_path(WS))
    });
    assert_eq!(approve(&mut env, &id, V1).status, 200);
    env.advance(HOUR);
    assert_eq!(view(&env, &id).reads, 1);
}
