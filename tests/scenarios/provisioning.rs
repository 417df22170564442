//! The seed's five provisioning steps, end to end, through `Engine::handle`.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use common::*;
use serde_json::Value;

#[test]
fn five_provisioning_steps_end_with_a_linked_workspace() {
    let mut env = Env::new();
    let (_version, principal) = env.provisioned();
    let c = env.get_cluster();
    assert_eq!(c["identity"]["type"], "SystemAssigned");
    assert_eq!(c["identity"]["principalId"], principal.as_str());
    assert_eq!(c["properties"]["keyVaultProperties"]["keyName"], KEY);
    assert_eq!(c["properties"]["keyVaultProperties"]["keyVersion"], "");
    let assoc = c["properties"]["associatedWorkspaces"].as_array().unwrap();
    assert_eq!(assoc.len(), 1);
    assert_eq!(assoc[0]["workspaceName"], WS);
    let ws = env.arm("GET", &Env::workspace_path(WS), OI, None);
    assert_eq!(
        ws.body["properties"]["features"]["clusterResourceId"],
        Env::cluster_path(CLUSTER).as_str()
    );
    assert_eq!(ws.body["properties"]["sku"]["name"], "LACluster");
    assert_eq!(assoc[0]["workspaceId"], ws.body["properties"]["customerId"]);
}

#[test]
fn cluster_create_is_asynchronous_with_operation_status() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let r = env.create_cluster();
    assert_eq!(r.body, Value::Null);
    let status_url = r.header("Azure-AsyncOperation").unwrap().to_string();
    let location = r.header("location").unwrap().to_string();
    assert!(
        status_url.contains(
            "/providers/Microsoft.OperationalInsights/locations/eastus/operationStatuses/"
        ),
        "{status_url}"
    );
    assert!(
        location.contains("/clusters/cmkcluster01/operationResults/"),
        "{location}"
    );
    assert!(r.header("Retry-After").is_some());

    let s = env.call("GET", &status_url, None);
    assert_eq!(s.status, 200);
    assert_eq!(s.body["status"], "InProgress");
    assert!(s.body.get("endTime").is_none());
    assert_eq!(
        env.get_cluster()["properties"]["provisioningState"],
        "ProvisioningAccount"
    );
    assert_eq!(env.call("GET", &location, None).status, 202);

    env.advance(90 * 60);
    assert_eq!(
        env.call("GET", &status_url, None).body["status"],
        "InProgress",
        "creation takes longer than 90 minutes"
    );
    env.advance(60 * 60);
    let s = env.call("GET", &status_url, None);
    assert_eq!(s.body["status"], "Succeeded");
    assert!(s.body["endTime"].is_string());
    assert_eq!(
        env.get_cluster()["properties"]["provisioningState"],
        "Succeeded"
    );
    let done = env.call("GET", &location, None);
    assert_eq!(done.status, 200);
    assert_eq!(done.body["name"], CLUSTER);
}

#[test]
fn key_identifier_update_reports_updating_then_succeeded() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    let r = env.arm(
        "PATCH",
        &Env::cluster_path(CLUSTER),
        OI,
        Some(Env::key_props("")),
    );
    assert_eq!(r.status, 202);
    let url = r.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(env.call("GET", &url, None).body["status"], "Updating");
    assert_eq!(
        env.get_cluster()["properties"]["provisioningState"],
        "Updating"
    );
    env.advance(HOUR);
    assert_eq!(env.call("GET", &url, None).body["status"], "Succeeded");
    let snap = env.e.snapshot();
    let c = &snap.clusters[0];
    assert_eq!(c.storage_key.as_ref().unwrap().key_name, KEY);
    assert!(c.key_version_in_use.is_some());
}

#[test]
fn workspace_link_is_asynchronous_and_visible_on_both_sides() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    env.step2_cluster();
    env.create_workspace(WS, "eastus");
    let r = env.link(WS);
    assert_eq!(r.status, 202);
    let url = r.header("Azure-AsyncOperation").unwrap().to_string();
    assert_eq!(env.call("GET", &url, None).body["status"], "InProgress");
    let ws = env.arm("GET", &Env::workspace_path(WS), OI, None);
    assert!(
        ws.body["properties"]["features"]
            .get("clusterResourceId")
            .is_none(),
        "not linked until the operation ends"
    );
    let ls = env.arm(
        "GET",
        &format!("{}/linkedServices/cluster", Env::workspace_path(WS)),
        OI,
        None,
    );
    assert_eq!(
        ls.body["properties"]["provisioningState"],
        "ProvisioningAccount"
    );
    env.advance(2 * HOUR);
    assert_eq!(env.call("GET", &url, None).body["status"], "Succeeded");
    let ls = env.arm(
        "GET",
        &format!("{}/linkedServices/cluster", Env::workspace_path(WS)),
        OI,
        None,
    );
    assert_eq!(ls.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        ls.body["properties"]["writeAccessResourceId"],
        Env::cluster_path(CLUSTER).as_str()
    );
}

#[test]
fn same_seed_same_requests_same_responses() {
    let run = || {
        let mut env = Env::new();
        env.provisioned();
        (env.get_cluster(), env.e.snapshot())
    };
    assert_eq!(run(), run());
}

#[test]
fn every_key_vault_call_is_audited_including_the_clusters() {
    let mut env = Env::new();
    let (_, principal) = env.provisioned();
    let audit = env.e.audit_log();
    assert!(
        audit
            .iter()
            .any(|a| a.operation == "KeyCreate" && a.caller_object_id == USER && a.status == 200)
    );
    assert!(
        audit
            .iter()
            .any(|a| a.operation == "KeyGet" && a.caller_object_id == principal && a.status == 200),
        "the cluster identity's validation read is audited"
    );
}
