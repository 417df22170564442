//! Linked storage accounts (`…/workspaces/{ws}/linkedStorageAccounts/{dataSourceType}`) and what
//! they change: the seed's "Customer-managed key for saved queries and log alerts". Saved
//! searches move into the linked account's table and back; new alert queries are kept as blobs
//! there; both are sealed under the account's key, so revoking it makes them unreadable while
//! Log Analytics data under another key stays readable.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

const SA_API: &str = "2025-06-01";
const LS_API: &str = "2020-08-01";
const ALERT_API: &str = "2023-12-01";
const OWNER_ASSIGNMENT: &str = "1f0a7c52-9d3e-4b6a-8c21-5e7d3f9a0b14";
const LA_CONTRIBUTOR: &str = "92aaf0da-9dab-42b6-94a3-d43ce8d16293";
const SA_KEY: &str = "sa-cmk";

fn sa_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/{name}"
    )
}

fn link_path(kind: &str) -> String {
    format!("{}/linkedStorageAccounts/{kind}", Env::workspace_path(WS))
}

fn search_path(id: &str) -> String {
    format!("{}/savedSearches/{id}", Env::workspace_path(WS))
}

fn rule_path(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/scheduledQueryRules/{name}"
    )
}

/// A StorageV2 account in `location`; under `key` (in the fixture vault, through a
/// user-assigned identity granted on it) when given, with table keyType Account.
fn account(env: &mut Env, name: &str, location: &str, key: Option<&str>) {
    let mut body =
        json!({ "location": location, "kind": "StorageV2", "sku": { "name": "Standard_LRS" } });
    if let Some(key) = key {
        let (uid, principal) = env.user_identity(&format!("{name}-id"), location);
        let r = env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
        assert_eq!(r.status, 200, "{r:?}");
        body["identity"] =
            json!({ "type": "UserAssigned", "userAssignedIdentities": { uid.clone(): {} } });
        body["properties"] = json!({ "encryption": {
            "keySource": "Microsoft.Keyvault",
            "keyvaultproperties": { "keyname": key, "keyvaulturi": format!("https://{VAULT}.vault.azure.net") },
            "identity": { "userAssignedIdentity": uid },
            "services": { "table": { "keyType": "Account" }, "queue": { "keyType": "Account" } },
        }});
    }
    let r = env.arm("PUT", &sa_id(name), SA_API, Some(body));
    assert_eq!(r.status, 200, "{r:?}");
}

/// The provisioned world (cluster under `KEY`, `WS` linked) plus a second key `SA_KEY` and a
/// storage account `byos` under it.
fn world() -> Env {
    let mut env = Env::new();
    env.provisioned();
    env.create_key_in(VAULT, SA_KEY);
    account(&mut env, "byos", "eastus", Some(SA_KEY));
    env
}

fn link(env: &mut Env, kind: &str, names: &[&str]) -> cmk_playground::engine::Response {
    let ids: Vec<String> = names.iter().map(|n| sa_id(n)).collect();
    env.arm(
        "PUT",
        &link_path(kind),
        LS_API,
        Some(json!({ "properties": { "storageAccountIds": ids } })),
    )
}

fn save(env: &mut Env, id: &str, query: &str) -> cmk_playground::engine::Response {
    env.arm(
        "PUT",
        &search_path(id),
        LS_API,
        Some(json!({ "properties": { "category": "CMK", "displayName": id, "query": query } })),
    )
}

fn list_searches(env: &mut Env) -> cmk_playground::engine::Response {
    env.arm(
        "GET",
        &format!("{}/savedSearches", Env::workspace_path(WS)),
        LS_API,
        None,
    )
}

fn names(r: &cmk_playground::engine::Response) -> Vec<String> {
    r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn rule_body(check: bool) -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "severity": 3, "enabled": true,
            "evaluationFrequency": "PT5M", "windowSize": "PT10M",
            "scopes": [Env::workspace_path(WS)],
            "criteria": { "allOf": [{
                "query": "Heartbeat // secret: the host list of the payroll servers",
                "timeAggregation": "Count", "operator": "GreaterThan", "threshold": 0,
            }]},
            "checkWorkspaceAlertsStorageConfigured": check,
        }
    })
}

fn revoke_sa_key(env: &mut Env) {
    let principal = env
        .e
        .snapshot()
        .identities
        .iter()
        .find(|i| i.name == "byos-id")
        .map(|i| i.principal_id.clone())
        .expect("the account's identity");
    let r = env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    assert_eq!(r.status, 200, "{r:?}");
    env.advance(2 * HOUR);
}

// ---- the link resource ---------------------------------------------------------------------

#[test]
fn linked_storage_accounts_are_put_read_listed_and_deleted_synchronously_with_200() {
    let mut env = world();
    let r = link(&mut env, "query", &["byos"]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["name"], "Query",
        "the data source type as the spec spells it"
    );
    assert_eq!(
        r.body["type"],
        "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts"
    );
    assert_eq!(r.body["properties"]["dataSourceType"], "Query");
    assert_eq!(
        r.body["properties"]["storageAccountIds"],
        json!([sa_id("byos")])
    );
    let r = env.arm("GET", &link_path("Query"), LS_API, None);
    assert_eq!(r.status, 200);
    let r = env.arm(
        "GET",
        &format!("{}/linkedStorageAccounts", Env::workspace_path(WS)),
        LS_API,
        None,
    );
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        env.arm("DELETE", &link_path("Query"), LS_API, None).status,
        200
    );
    let r = env.arm("GET", &link_path("Query"), LS_API, None);
    assert_code(&r, 404, "ResourceNotFound");
}

#[test]
fn a_put_replaces_the_whole_array() {
    let mut env = world();
    account(&mut env, "byos2", "eastus", None);
    assert_eq!(link(&mut env, "Ingestion", &["byos", "byos2"]).status, 200);
    let r = link(&mut env, "Ingestion", &["byos2"]);
    assert_eq!(
        r.body["properties"]["storageAccountIds"],
        json!([sa_id("byos2")])
    );
}

#[test]
fn you_need_write_permissions_to_both_your_workspace_and_storage_account() {
    let mut env = world();
    let r = env.arm(
        "DELETE",
        &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/{OWNER_ASSIGNMENT}"),
        "2022-04-01",
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    // Reader: no 'write' on the workspace.
    let scope = format!("/subscriptions/{SUB}");
    assert_eq!(
        env.as_runbook(|env| env.assign_role(
            &scope,
            READER,
            USER,
            "66666666-6666-4666-8666-666666666661"
        ))
        .status,
        201
    );
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        link(env, "Query", &["byos"])
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.OperationalInsights/workspaces/linkedStorageAccounts/write")
    );
    // Log Analytics Contributor: 'write' on the workspace, not on the storage account.
    assert_eq!(
        env.as_runbook(|env| env.assign_role(
            &scope,
            LA_CONTRIBUTOR,
            USER,
            "66666666-6666-4666-8666-666666666662"
        ))
        .status,
        201
    );
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        link(env, "Query", &["byos"])
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Storage/storageAccounts/write")
    );
}

#[test]
fn the_storage_account_must_be_in_the_same_region_as_the_workspace() {
    let mut env = world();
    account(&mut env, "westsa", "westus2", None);
    let r = env.refused(&errors::LINKED_STORAGE_REGION, |env| {
        link(env, "Query", &["westsa"])
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Make sure to create your Storage Account in the same region")
    );
}

#[test]
fn a_single_storage_account_for_query_which_can_serve_alerts_too() {
    let mut env = world();
    account(&mut env, "byos2", "eastus", None);
    env.refused(&errors::LINKED_STORAGE_INVALID, |env| {
        link(env, "Query", &["byos", "byos2"])
    });
    assert_eq!(link(&mut env, "Query", &["byos"]).status, 200);
    assert_eq!(link(&mut env, "Alerts", &["byos"]).status, 200);
    let v = env.e.snapshot();
    let a = v
        .storage_accounts
        .iter()
        .find(|a| a.name == "byos")
        .unwrap();
    assert_eq!(a.protects.len(), 2, "{:?}", a.protects);
}

#[test]
fn links_name_existing_accounts_and_known_types_and_custom_logs_are_retired() {
    let mut env = world();
    env.refused(&errors::LINKED_STORAGE_ACCOUNT_NOT_FOUND, |env| {
        link(env, "Query", &["nosuch"])
    });
    env.refused(&errors::LINKED_STORAGE_INVALID, |env| {
        link(env, "Blobs", &["byos"])
    });
    env.refused(&errors::LINKED_STORAGE_INVALID, |env| {
        env.arm(
            "PUT",
            &link_path("Query"),
            LS_API,
            Some(json!({ "properties": { "storageAccountIds": [] } })),
        )
    });
    env.refused(&errors::LINKED_STORAGE_CUSTOM_LOGS_RETIRED, |env| {
        link(env, "CustomLogs", &["byos"])
    });
}

// ---- saved searches ------------------------------------------------------------------------

#[test]
fn linking_query_removes_existing_saved_searches_from_the_workspace_into_the_account_and_unlinking_brings_them_back()
 {
    let mut env = world();
    assert_eq!(save(&mut env, "before", "Heartbeat | take 1").status, 200);
    let r = link(&mut env, "Query", &["byos"]);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(env.timeline_has("1 moved out of the workspace"));
    let v = env.e.snapshot();
    let ws = v.workspaces.iter().find(|w| w.name == WS).unwrap();
    assert_eq!(ws.saved_searches.len(), 1);
    assert_eq!(ws.saved_searches[0].stored_in, "byos");
    assert_eq!(ws.saved_searches[0].protection, "CMK");
    assert_eq!(
        ws.saved_searches[0].query, "",
        "sealed in the account: the view can't read it"
    );
    // Still readable through the API, from the account's table.
    let r = env.arm("GET", &search_path("before"), LS_API, None);
    assert_eq!(r.body["properties"]["query"], "Heartbeat | take 1");
    assert_eq!(
        env.arm("DELETE", &link_path("Query"), LS_API, None).status,
        200
    );
    let v = env.e.snapshot();
    let ws = v.workspaces.iter().find(|w| w.name == WS).unwrap();
    assert_eq!(
        (
            ws.saved_searches[0].stored_in.as_str(),
            ws.saved_searches[0].protection.as_str()
        ),
        ("workspace", "MMK")
    );
    assert_eq!(
        v.storage_accounts
            .iter()
            .find(|a| a.name == "byos")
            .unwrap()
            .saved_searches,
        0
    );
}

#[test]
fn after_the_configuration_any_new_saved_search_query_will_be_saved_in_your_storage() {
    let mut env = world();
    link(&mut env, "Query", &["byos"]);
    assert_eq!(save(&mut env, "after", "Heartbeat").status, 200);
    assert!(env.timeline_has(
        "(stored in a table of storage account byos, under its customer-managed key)"
    ));
    let v = env.e.snapshot();
    assert_eq!(
        v.storage_accounts
            .iter()
            .find(|a| a.name == "byos")
            .unwrap()
            .saved_searches,
        1
    );
    assert_eq!(names(&list_searches(&mut env)), vec!["after"]);
    // The etag rule holds for searches in the account too.
    env.refused(&errors::SAVED_SEARCH_ETAG, |env| {
        save(env, "after", "Heartbeat | take 2")
    });
}

#[test]
fn saved_searches_in_storage_are_read_through_the_account_key_in_key_vault() {
    let mut env = world();
    link(&mut env, "Query", &["byos"]);
    save(&mut env, "q1", "Heartbeat");
    let audit = env.e.snapshot().audit;
    assert!(
        audit
            .iter()
            .any(|a| a.operation.contains("rap")
                && a.key.as_deref().is_some_and(|k| k.contains(SA_KEY))),
        "the account's AEK is wrapped with the account's key"
    );
}

#[test]
fn revoking_the_account_key_makes_saved_searches_unreadable_and_restoring_access_brings_them_back()
{
    let mut env = world();
    link(&mut env, "Query", &["byos"]);
    save(&mut env, "q1", "Heartbeat");
    revoke_sa_key(&mut env);
    let r = list_searches(&mut env);
    assert_spec(&r, &errors::STORAGE_KEY_UNAVAILABLE);
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"]["code"], "KeyVaultEncryptionKeyNotFound");
    env.refused(&errors::STORAGE_KEY_UNAVAILABLE, |env| {
        save(env, "q2", "Heartbeat")
    });
    // Unlinking needs the searches, so it fails and changes nothing.
    env.refused(&errors::STORAGE_KEY_UNAVAILABLE, |env| {
        env.arm("DELETE", &link_path("Query"), LS_API, None)
    });
    let principal = env
        .e
        .snapshot()
        .identities
        .iter()
        .find(|i| i.name == "byos-id")
        .unwrap()
        .principal_id
        .clone();
    env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    env.advance(2 * HOUR);
    assert_eq!(names(&list_searches(&mut env)), vec!["q1"]);
}

#[test]
fn log_analytics_data_is_unaffected_when_only_the_storage_account_key_is_revoked() {
    let mut env = world();
    let cid = customer_id(&mut env, WS);
    let r = post_logs(&mut env.e, &cid, "Probe", &json!([{ "n": 1 }]));
    assert_eq!(r.status, 200, "{r:?}");
    link(&mut env, "Query", &["byos"]);
    save(&mut env, "q1", "Probe_CL");
    revoke_sa_key(&mut env);
    assert_eq!(list_searches(&mut env).status, 403);
    let r = query(&mut env.e, &cid, "Probe_CL | count");
    assert_eq!(r.status, 200, "the cluster's key is another key: {r:?}");
}

// ---- alert queries -------------------------------------------------------------------------

#[test]
fn after_the_configuration_any_new_alert_query_will_be_saved_in_your_storage() {
    let mut env = world();
    let before = env.arm(
        "PUT",
        &rule_path("before"),
        ALERT_API,
        Some(rule_body(false)),
    );
    assert_eq!(before.status, 201, "{before:?}");
    env.refused(&errors::ALERTS_STORAGE_NOT_CONFIGURED, |env| {
        env.arm(
            "PUT",
            &rule_path("checked"),
            ALERT_API,
            Some(rule_body(true)),
        )
    });
    assert_eq!(link(&mut env, "Alerts", &["byos"]).status, 200);
    let r = env.arm(
        "PUT",
        &rule_path("checked"),
        ALERT_API,
        Some(rule_body(true)),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        r.body["properties"]["isWorkspaceAlertsStorageConfigured"],
        true
    );
    let v = env.e.snapshot();
    let stored: Vec<(&str, &str, &str)> = v
        .alert_rules
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.query_stored_in.as_str(),
                r.protection.as_str(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            ("before", "Azure Monitor", "MMK"),
            ("checked", "byos", "CMK")
        ]
    );
    assert_eq!(
        v.storage_accounts
            .iter()
            .find(|a| a.name == "byos")
            .unwrap()
            .alert_queries,
        1
    );
    // The rule reads back whole, its query opened from the blob.
    let r = env.arm("GET", &rule_path("checked"), ALERT_API, None);
    assert_eq!(
        r.body["properties"]["criteria"]["allOf"][0]["query"],
        rule_body(true)["properties"]["criteria"]["allOf"][0]["query"]
    );
}

#[test]
fn alert_queries_in_storage_are_unreadable_while_the_account_key_is_revoked() {
    let mut env = world();
    link(&mut env, "Alerts", &["byos"]);
    env.arm("PUT", &rule_path("r1"), ALERT_API, Some(rule_body(true)));
    revoke_sa_key(&mut env);
    env.refused(&errors::STORAGE_KEY_UNAVAILABLE, |env| {
        env.arm("GET", &rule_path("r1"), ALERT_API, None)
    });
    // Deleting the rule needs no key: the blob goes by name.
    assert_eq!(
        env.arm("DELETE", &rule_path("r1"), ALERT_API, None).status,
        200
    );
    assert_eq!(
        env.e
            .snapshot()
            .storage_accounts
            .iter()
            .find(|a| a.name == "byos")
            .unwrap()
            .alert_queries,
        0
    );
}

#[test]
fn unlinking_alerts_moves_the_queries_back_to_azure_monitor() {
    let mut env = world();
    link(&mut env, "Alerts", &["byos"]);
    env.arm("PUT", &rule_path("r1"), ALERT_API, Some(rule_body(true)));
    assert_eq!(
        env.arm("DELETE", &link_path("Alerts"), LS_API, None).status,
        200
    );
    let v = env.e.snapshot();
    assert_eq!(v.alert_rules[0].query_stored_in, "Azure Monitor");
    let r = env.arm("GET", &rule_path("r1"), ALERT_API, None);
    assert_eq!(
        r.body["properties"]["isWorkspaceAlertsStorageConfigured"],
        false
    );
    assert!(
        r.body["properties"]["criteria"]["allOf"][0]["query"]
            .as_str()
            .unwrap()
            .starts_with("Heartbeat")
    );
}

fn fired_alerts(env: &mut Env) -> Vec<Value> {
    let r = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.AlertsManagement/alerts"),
        "2019-05-05-preview",
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    r.body["value"].as_array().unwrap().clone()
}

/// A rule counting `Probe_CL` rows by `Computer_s` every 5 minutes.
fn probe_rule() -> Value {
    let mut b = rule_body(true);
    b["properties"]["windowSize"] = json!("PT5M");
    b["properties"]["criteria"]["allOf"][0] = json!({
        "query": "Probe_CL // the payroll hosts",
        "timeAggregation": "Count", "operator": "GreaterThan", "threshold": 0,
        "dimensions": [{ "name": "Computer_s", "operator": "Include", "values": ["*"] }],
    });
    b
}

#[test]
fn fired_log_alerts_will_not_contain_search_results_or_alert_query_use_dimensions() {
    let mut env = world();
    let cid = customer_id(&mut env, WS);
    link(&mut env, "Alerts", &["byos"]);
    let r = env.arm("PUT", &rule_path("probe"), ALERT_API, Some(probe_rule()));
    assert_eq!(r.status, 201, "{r:?}");
    post_logs(
        &mut env.e,
        &cid,
        "Probe",
        &json!([{ "Computer": "payroll-01" }]),
    );
    env.advance(300);
    let alerts = fired_alerts(&mut env);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let c = &alerts[0]["properties"]["context"]["condition"]["allOf"][0];
    assert!(c.get("searchQuery").is_none(), "no query: {c}");
    assert!(c.get("searchResults").is_none(), "no results: {c}");
    assert_eq!(
        c["dimensions"][0]["value"], "payroll-01",
        "dimensions give the context: {c}"
    );
    // The rule's query is read from the storage account for each evaluation: with its key
    // revoked the rule can't run, and the timeline says why.
    revoke_sa_key(&mut env);
    assert!(env.timeline_has("could not be evaluated"));
}

#[test]
fn force_cmk_for_query_makes_customer_managed_storage_mandatory_for_saved_searches() {
    let mut env = world();
    let ws = env.arm("GET", &Env::workspace_path(WS), OI, None).body;
    assert_eq!(ws["properties"]["forceCmkForQuery"], false);
    let body = json!({ "location": "eastus", "properties": { "forceCmkForQuery": true } });
    let r = env.arm("PUT", &Env::workspace_path(WS), OI, Some(body));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["properties"]["forceCmkForQuery"], true);
    env.refused(&errors::FORCE_CMK_FOR_QUERY, |env| {
        save(env, "q1", "Heartbeat")
    });
    link(&mut env, "Query", &["byos"]);
    assert_eq!(save(&mut env, "q1", "Heartbeat").status, 200);
    env.refused(&errors::FORCE_CMK_FOR_QUERY, |env| {
        env.arm("DELETE", &link_path("Query"), LS_API, None)
    });
}
