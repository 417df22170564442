//! The documented rules on Log Analytics workspaces and their link to a dedicated cluster
//! (`linkedServices/cluster`).
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

/// A resource group with a provisioned cluster (no key needed for links).
fn with_cluster() -> Env {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_cluster();
    env.advance(3 * HOUR);
    env
}

fn link_path(ws: &str) -> String {
    format!("{}/linkedServices/cluster", Env::workspace_path(ws))
}

fn unlink(env: &mut Env, ws: &str) -> cmk_playground::engine::Response {
    env.arm("DELETE", &link_path(ws), OI, None)
}

fn link_to(env: &mut Env, ws: &str, cluster: &str) -> cmk_playground::engine::Response {
    env.arm("PUT", &link_path(ws), OI, Some(Env::link_body(cluster)))
}

fn workspace(env: &mut Env, ws: &str) -> Value {
    let r = env.arm("GET", &Env::workspace_path(ws), OI, None);
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

fn put_workspace(env: &mut Env, name: &str, body: Value) -> cmk_playground::engine::Response {
    env.arm("PUT", &Env::workspace_path(name), OI, Some(body))
}

fn linked_cluster(env: &mut Env, ws: &str) -> Value {
    workspace(env, ws)["properties"]["features"]["clusterResourceId"].clone()
}

fn associated(env: &mut Env) -> Vec<String> {
    env.get_cluster()["properties"]["associatedWorkspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["workspaceName"].as_str().unwrap().to_string())
        .collect()
}

// ---- workspace resource ----------------------------------------------------------------------

#[test]
fn workspace_name_shorter_than_4_or_longer_than_63_characters_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for name in ["abc".to_string(), "w".repeat(64)] {
        let r = env.refused(&errors::WORKSPACE_NAME_LENGTH, |env| {
            put_workspace(env, &name, json!({ "location": "eastus" }))
        });
        assert_seed(
            &r,
            &errors::WORKSPACE_NAME_LENGTH,
            "The workspace name must be between 4 and 63 characters.",
        );
    }
    assert_eq!(
        put_workspace(&mut env, "abcd", json!({ "location": "eastus" })).status,
        201
    );
    assert_eq!(
        put_workspace(&mut env, &"w".repeat(63), json!({ "location": "eastus" })).status,
        201
    );
}

#[test]
fn workspace_name_with_invalid_characters_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for name in ["my_workspace", "-workspace", "workspace-", "work.space"] {
        let r = env.refused(&errors::WORKSPACE_NAME_INVALID, |env| {
            put_workspace(env, name, json!({ "location": "eastus" }))
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Workspace name must start and end with an alphanumeric character, and may contain only alphanumeric and hyphen characters. Operation Id: '"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        put_workspace(&mut env, "my-workspace-1", json!({ "location": "eastus" })).status,
        201
    );
}

#[test]
fn workspace_retention_must_be_between_30_and_730_days() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for days in [json!(29), json!(731), json!("90")] {
        env.refused(&errors::WORKSPACE_RETENTION_INVALID, |env| {
            put_workspace(
                env,
                WS,
                json!({ "location": "eastus", "properties": { "retentionInDays": days } }),
            )
        });
    }
    let r = put_workspace(
        &mut env,
        WS,
        json!({ "location": "eastus", "properties": { "retentionInDays": 730 } }),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.body["properties"]["retentionInDays"], 730);
}

#[test]
fn workspace_sku_must_be_a_known_sku_and_la_cluster_is_set_by_linking() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for sku in ["LACluster", "Gold", ""] {
        env.refused(&errors::WORKSPACE_SKU_INVALID, |env| {
            put_workspace(
                env,
                WS,
                json!({ "location": "eastus", "properties": { "sku": { "name": sku } } }),
            )
        });
    }
    let r = put_workspace(
        &mut env,
        WS,
        json!({ "location": "eastus", "properties": { "sku": { "name": "pergb2018" } } }),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.body["properties"]["sku"]["name"], "PerGB2018");
}

#[test]
fn workspace_location_cannot_change() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    env.refused(&errors::LOCATION_CANNOT_CHANGE, |env| {
        put_workspace(env, WS, json!({ "location": "westeurope" }))
    });
}

#[test]
fn missing_workspace_is_not_found() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &Env::workspace_path("nothere"), OI, None)
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The Resource 'Microsoft.OperationalInsights/workspaces/nothere' under resource group '{RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        )
    );
}

#[test]
fn soft_deleted_workspace_name_is_not_unique_in_another_group() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.group("other-rg", "eastus");
    env.create_workspace(WS, "eastus");
    assert_eq!(
        env.arm("DELETE", &Env::workspace_path(WS), OI, None).status,
        200
    );
    let other = format!(
        "/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.OperationalInsights/workspaces/{WS}"
    );
    let r = env.refused(&errors::WORKSPACE_NAME_NOT_UNIQUE, |env| {
        env.arm("PUT", &other, OI, Some(json!({ "location": "eastus" })))
    });
    assert_seed(
        &r,
        &errors::WORKSPACE_NAME_NOT_UNIQUE,
        &format!("The workspace name '{WS}' is not unique"),
    );
    // After the 14-day soft-delete period the name is free again.
    env.advance(14 * DAY);
    assert_eq!(
        env.arm("PUT", &other, OI, Some(json!({ "location": "eastus" })))
            .status,
        201
    );
}

#[test]
fn forced_workspace_delete_is_permanent() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let first = env.create_workspace(WS, "eastus");
    let r = env.call(
        "DELETE",
        &format!(
            "{ARM}{}?api-version={OI}&force=true",
            Env::workspace_path(WS)
        ),
        None,
    );
    assert_eq!(r.status, 200);
    let again = env.create_workspace(WS, "eastus");
    assert_ne!(
        first["properties"]["customerId"], again["properties"]["customerId"],
        "a purged workspace comes back as a new workspace"
    );
}

// ---- link and unlink -------------------------------------------------------------------------

#[test]
fn link_of_a_missing_workspace_is_not_found() {
    let mut env = with_cluster();
    let r = env.refused(&errors::LINK_WORKSPACE_NOT_FOUND, |env| env.link("nothere"));
    assert_seed(
        &r,
        &errors::LINK_WORKSPACE_NOT_FOUND,
        seed::LINK_WORKSPACE_NOT_FOUND,
    );
    // A soft-deleted workspace is not there either.
    env.create_workspace(WS, "eastus");
    env.arm("DELETE", &Env::workspace_path(WS), OI, None);
    let r = env.refused(&errors::LINK_WORKSPACE_NOT_FOUND, |env| env.link(WS));
    assert_seed(
        &r,
        &errors::LINK_WORKSPACE_NOT_FOUND,
        seed::LINK_WORKSPACE_NOT_FOUND,
    );
}

#[test]
fn unlink_of_a_missing_workspace_is_not_found() {
    let mut env = with_cluster();
    let r = env.refused(&errors::LINK_WORKSPACE_NOT_FOUND, |env| {
        unlink(env, "nothere")
    });
    assert_seed(
        &r,
        &errors::LINK_WORKSPACE_NOT_FOUND,
        seed::LINK_WORKSPACE_NOT_FOUND,
    );
}

#[test]
fn link_to_a_missing_cluster_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let r = env.refused(&errors::LINK_CLUSTER_NOT_FOUND, |env| env.link(WS));
    assert_seed(
        &r,
        &errors::LINK_CLUSTER_NOT_FOUND,
        seed::LINK_CLUSTER_NOT_FOUND,
    );
}

#[test]
fn link_to_a_cluster_being_deleted_is_refused() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert_eq!(
        env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None)
            .status,
        202
    );
    env.create_workspace("second-ws", "eastus");
    let r = env.refused(&errors::LINK_CLUSTER_NOT_FOUND, |env| env.link("second-ws"));
    assert_seed(
        &r,
        &errors::LINK_CLUSTER_NOT_FOUND,
        seed::LINK_CLUSTER_NOT_FOUND,
    );
}

#[test]
fn link_while_a_link_is_in_process_is_refused() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    assert_eq!(env.link(WS).status, 202);
    let r = env.refused(&errors::LINK_IN_PROCESS, |env| env.link(WS));
    assert_seed(&r, &errors::LINK_IN_PROCESS, seed::LINK_IN_PROCESS);
}

#[test]
fn unlink_while_a_link_is_in_process_is_refused() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    assert_eq!(env.link(WS).status, 202);
    let r = env.refused(&errors::LINK_IN_PROCESS, |env| unlink(env, WS));
    assert_seed(&r, &errors::LINK_IN_PROCESS, seed::LINK_IN_PROCESS);
}

#[test]
fn link_and_unlink_while_an_unlink_is_in_process_are_refused() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert_eq!(unlink(&mut env, WS).status, 202);
    let r = env.refused(&errors::LINK_IN_PROCESS, |env| env.link(WS));
    assert_seed(&r, &errors::LINK_IN_PROCESS, seed::LINK_IN_PROCESS);
    let r = env.refused(&errors::LINK_IN_PROCESS, |env| unlink(env, WS));
    assert_seed(&r, &errors::LINK_IN_PROCESS, seed::LINK_IN_PROCESS);
}

#[test]
fn workspace_linked_to_another_cluster_cannot_be_linked() {
    let mut env = with_cluster();
    assert_eq!(
        env.cluster_put("othercluster", OI, Env::cluster_body())
            .status,
        202
    );
    env.advance(3 * HOUR);
    env.step5_link(WS);
    let r = env.refused(&errors::LINK_OTHER_CLUSTER, |env| {
        link_to(env, WS, "othercluster")
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "Workspace '{WS}' is linked to another cluster ('{}'). Workspace link to cluster will fail if it is linked to another cluster; unlink it first.",
            Env::cluster_path(CLUSTER)
        )
    );
    // Linking again to the same cluster is a no-op.
    let r = env.link(WS);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
}

#[test]
fn workspace_in_another_region_cannot_be_linked() {
    let mut env = with_cluster();
    env.create_workspace(WS, "westeurope");
    let r = env.refused(&errors::LINK_REGION_MISMATCH, |env| env.link(WS));
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "Workspace '{WS}' is in region 'westeurope' but the cluster is in 'eastus'. Your Azure Key Vault, cluster and linked Log Analytics workspaces must be in the same region."
        )
    );
}

#[test]
fn workspace_in_another_subscription_of_the_same_region_can_be_linked() {
    let mut env = with_cluster();
    env.group_in(SUB2, "sec-rg", "eastus");
    let path = format!(
        "/subscriptions/{SUB2}/resourceGroups/sec-rg/providers/Microsoft.OperationalInsights/workspaces/{WS}"
    );
    assert_eq!(
        env.arm("PUT", &path, OI, Some(json!({ "location": "eastus" })))
            .status,
        201
    );
    let r = env.arm(
        "PUT",
        &format!("{path}/linkedServices/cluster"),
        OI,
        Some(Env::link_body(CLUSTER)),
    );
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(2 * HOUR);
    assert_eq!(associated(&mut env), vec![WS.to_string()]);
}

#[test]
fn link_third_time_in_30_days_is_refused() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert_eq!(unlink(&mut env, WS).status, 202);
    env.advance(HOUR);
    assert_eq!(env.link(WS).status, 202);
    env.advance(2 * HOUR);
    assert_eq!(unlink(&mut env, WS).status, 202);
    env.advance(HOUR);
    let r = env.refused(&errors::LINK_OPERATIONS_LIMIT, |env| env.link(WS));
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("The number of workspace link operations on particular workspace is limited to 2 in a period of 30 days."),
        "{msg}"
    );
    assert!(
        msg.contains("2026-03-02 11:00:00 UTC and 2026-03-02 14:00:00 UTC"),
        "{msg}"
    );
    assert!(
        msg.ends_with("the next link is possible on 2026-04-01 11:00:00 UTC."),
        "{msg}"
    );
    assert_eq!(env.e.snapshot().workspaces[0].links_in_30_days, 2);
}

#[test]
fn link_window_slides_after_30_days() {
    let mut env = with_cluster();
    let first = env.e.now();
    env.step5_link(WS);
    unlink(&mut env, WS);
    env.advance(HOUR);
    env.advance(5 * DAY);
    assert_eq!(env.link(WS).status, 202);
    env.advance(2 * HOUR);
    unlink(&mut env, WS);
    env.advance(HOUR);
    // One second before the first link leaves the 30-day window: still refused.
    let until = first + 30 * DAY - 1;
    env.advance(until - env.e.now());
    env.refused(&errors::LINK_OPERATIONS_LIMIT, |env| env.link(WS));
    env.advance(1);
    assert_eq!(
        env.link(WS).status,
        202,
        "the first link has left the window"
    );
    env.advance(2 * HOUR);
    unlink(&mut env, WS);
    env.advance(HOUR);
    // The second and third links are within 30 days of each other.
    env.refused(&errors::LINK_OPERATIONS_LIMIT, |env| env.link(WS));
}

#[test]
fn linking_before_cluster_provisioning_completes_is_accepted_with_a_warning() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_cluster();
    env.create_workspace(WS, "eastus");
    let r = env.link(WS);
    assert_eq!(r.status, 202, "{r:?}");
    let warning = env.e.timeline().iter().rev().find(|t| t.alert).unwrap();
    assert!(warning.text.contains("before cluster"), "{}", warning.text);
    assert!(
        warning
            .text
            .contains("will be dropped and won't be recoverable"),
        "{}",
        warning.text
    );
    env.advance(3 * HOUR);
    assert_eq!(
        linked_cluster(&mut env, WS),
        Env::cluster_path(CLUSTER).as_str()
    );
}

#[test]
fn linking_after_provisioning_leaves_no_warning() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert!(!env.timeline_has("before cluster"));
}

#[test]
fn unlink_removes_the_cluster_from_the_workspace() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert_eq!(associated(&mut env), vec![WS.to_string()]);
    let r = unlink(&mut env, WS);
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(env.op_status(&r)["status"], "Deleting");
    let ls = env.arm("GET", &link_path(WS), OI, None);
    assert_eq!(ls.body["properties"]["provisioningState"], "Deleting");
    env.advance(HOUR);
    assert_eq!(env.op_status(&r)["status"], "Succeeded");
    let ws = workspace(&mut env, WS);
    assert!(
        ws["properties"]["features"]
            .get("clusterResourceId")
            .is_none(),
        "{ws}"
    );
    assert_eq!(ws["properties"]["sku"]["name"], "PerGB2018");
    assert!(associated(&mut env).is_empty());
    let list = env.arm(
        "GET",
        &format!("{}/linkedServices", Env::workspace_path(WS)),
        OI,
        None,
    );
    assert_eq!(list.body["value"], json!([]));
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &link_path(WS), OI, None)
    });
    // Unlinking an unlinked workspace has nothing to do.
    assert_eq!(unlink(&mut env, WS).status, 204);
}

#[test]
fn cluster_delete_unlinks_its_workspaces() {
    let mut env = with_cluster();
    env.step5_link(WS);
    env.step5_link("second-ws");
    assert_eq!(associated(&mut env).len(), 2);
    let r = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(r.status, 202);
    env.advance(HOUR);
    for ws in [WS, "second-ws"] {
        let body = workspace(&mut env, ws);
        assert!(
            body["properties"]["features"]
                .get("clusterResourceId")
                .is_none(),
            "{body}"
        );
        assert_eq!(body["properties"]["sku"]["name"], "PerGB2018");
    }
    assert!(env.timeline_has("unlinked because its cluster was deleted"));
}

#[test]
fn cluster_delete_cancels_a_link_in_flight() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    let link = env.link(WS);
    assert_eq!(link.status, 202);
    let del = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(del.status, 202, "a link in flight counts as attached");
    env.advance(2 * HOUR);
    assert_eq!(env.op_status(&link)["status"], "Canceled");
    assert!(linked_cluster(&mut env, WS).is_null());
}

#[test]
fn deleted_workspace_recovered_within_14_days_is_still_linked() {
    let mut env = with_cluster();
    env.step5_link(WS);
    assert_eq!(
        env.arm("DELETE", &Env::workspace_path(WS), OI, None).status,
        200
    );
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &Env::workspace_path(WS), OI, None)
    });
    assert!(
        associated(&mut env).is_empty(),
        "a deleted workspace is not associated"
    );
    env.advance(10 * DAY);
    let r = put_workspace(&mut env, WS, json!({ "location": "eastus" }));
    assert_eq!(r.status, 200, "recovered, not created: {r:?}");
    assert_eq!(
        linked_cluster(&mut env, WS),
        Env::cluster_path(CLUSTER).as_str()
    );
    assert_eq!(associated(&mut env), vec![WS.to_string()]);
}

#[test]
fn workspace_sku_cannot_change_while_linked() {
    let mut env = with_cluster();
    env.step5_link(WS);
    let r = env.refused(&errors::WORKSPACE_SKU_LINKED, |env| {
        put_workspace(
            env,
            WS,
            json!({ "location": "eastus", "properties": { "sku": { "name": "PerGB2018" } } }),
        )
    });
    assert_seed(
        &r,
        &errors::WORKSPACE_SKU_LINKED,
        "sku.name can not be changed while workspace is linked to cluster",
    );
    // Without a sku, or with the current one, the PUT goes through.
    assert_eq!(
        put_workspace(&mut env, WS, json!({ "location": "eastus" })).status,
        200
    );
    // LACluster is set by linking, never by a client.
    env.refused(&errors::WORKSPACE_SKU_INVALID, |env| {
        put_workspace(
            env,
            WS,
            json!({ "location": "eastus", "properties": { "sku": { "name": "LACluster" } } }),
        )
    });
}

#[test]
fn linked_service_other_than_cluster_is_refused() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    let path = format!("{}/linkedServices/automation", Env::workspace_path(WS));
    env.refused(&errors::LINKED_SERVICE_NAME_INVALID, |env| {
        env.arm("PUT", &path, OI, Some(Env::link_body(CLUSTER)))
    });
    env.refused(&errors::LINKED_SERVICE_NAME_INVALID, |env| {
        env.arm("DELETE", &path, OI, None)
    });
    // The name is case-insensitive, as in the docs' example.
    let r = env.arm(
        "PUT",
        &format!("{}/linkedServices/Cluster", Env::workspace_path(WS)),
        OI,
        Some(Env::link_body(CLUSTER)),
    );
    assert_eq!(r.status, 202, "{r:?}");
}

#[test]
fn link_without_write_access_resource_id_is_refused() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    for body in [
        json!({}),
        json!({ "properties": {} }),
        json!({ "properties": { "writeAccessResourceId": "" } }),
        json!({ "properties": { "writeAccessResourceId": 7 } }),
        json!({ "properties": { "resourceId": Env::cluster_path(CLUSTER) } }),
    ] {
        env.refused(&errors::LINKED_SERVICE_BODY_INVALID, |env| {
            env.arm("PUT", &link_path(WS), OI, Some(body))
        });
    }
    env.refused(&errors::LINKED_SERVICE_BODY_INVALID, |env| {
        env.raw(
            "PUT",
            &format!("{ARM}{}?api-version={OI}", link_path(WS)),
            "{\"properties\":",
        )
    });
}

#[test]
fn link_operation_has_status_and_result_urls() {
    let mut env = with_cluster();
    env.create_workspace(WS, "eastus");
    let r = env.link(WS);
    assert_eq!(r.status, 202);
    let location = r.header("Location").unwrap().to_string();
    assert!(
        location.contains("/linkedServices/cluster/operationResults/"),
        "{location}"
    );
    assert_eq!(env.call("GET", &location, None).status, 202);
    env.advance(2 * HOUR);
    let done = env.call("GET", &location, None);
    assert_eq!(done.status, 200);
    assert_eq!(
        done.body["properties"]["writeAccessResourceId"],
        Env::cluster_path(CLUSTER).as_str()
    );
    let ws = workspace(&mut env, WS);
    assert_eq!(ws["properties"]["sku"]["name"], "LACluster");
    let assoc = &env.get_cluster()["properties"]["associatedWorkspaces"][0];
    assert_eq!(assoc["workspaceId"], ws["properties"]["customerId"]);
    assert_eq!(assoc["resourceId"], ws["id"]);
}

#[test]
fn link_to_a_full_cluster_is_refused() {
    let mut env = with_cluster();
    // 1000 links; each is refused or accepted on its own, links in flight count.
    for i in 0..1000 {
        let name = format!("ws-{i:04}");
        env.create_workspace(&name, "eastus");
        let r = env.link(&name);
        assert_eq!(r.status, 202, "{name}: {r:?}");
    }
    env.create_workspace("ws-extra", "eastus");
    let r = env.refused(&errors::LINK_CLUSTER_FULL, |env| env.link("ws-extra"));
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The maximum number of workspaces that can be linked to a cluster is 1000. Cluster '{CLUSTER}' already has 1000 linked workspaces."
        )
    );
}

/// `PATCH …/workspaces/{ws}` (Workspaces_Update) changes what the body names and nothing else;
/// a workspace that doesn't exist is not found.
#[test]
fn a_workspace_is_updated_with_patch() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let r = env.arm(
        "PATCH",
        &Env::workspace_path(WS),
        "2025-02-01",
        Some(json!({ "properties": { "retentionInDays": 90 }, "tags": { "team": "ops" } })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["properties"]["retentionInDays"], 90);
    assert_eq!(r.body["tags"]["team"], "ops");
    assert_eq!(r.body["location"], "eastus");
    let r = env.arm(
        "PATCH",
        &Env::workspace_path("nosuch-ws"),
        "2025-02-01",
        Some(json!({})),
    );
    assert_code(&r, 404, "ResourceNotFound");
}

/// `POST …/sharedKeys` answers the workspace's two shared keys (64 bytes each, base64), the same
/// until `POST …/regenerateSharedKey` replaces them; other methods are not allowed.
#[test]
fn a_workspace_has_shared_keys_that_can_be_regenerated() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let keys = |env: &mut Env, action: &str| {
        let r = env.arm(
            "POST",
            &format!("{}/{action}", Env::workspace_path(WS)),
            "2020-08-01",
            None,
        );
        assert_eq!(r.status, 200, "{r:?}");
        (
            r.body["primarySharedKey"].as_str().unwrap().to_string(),
            r.body["secondarySharedKey"].as_str().unwrap().to_string(),
        )
    };
    let first = keys(&mut env, "sharedKeys");
    assert_eq!(first.0.len(), 88, "64 bytes in base64: {}", first.0);
    assert_ne!(first.0, first.1);
    assert_eq!(keys(&mut env, "sharedKeys"), first);
    let regenerated = keys(&mut env, "regenerateSharedKey");
    assert_ne!(regenerated, first);
    assert_eq!(keys(&mut env, "sharedKeys"), regenerated);
    let r = env.arm(
        "GET",
        &format!("{}/sharedKeys", Env::workspace_path(WS)),
        "2020-08-01",
        None,
    );
    assert_eq!(r.status, 405, "{r:?}");
}
