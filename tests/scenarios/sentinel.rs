//! The Microsoft Sentinel CMK document (the second seed), statement by statement: onboarding and
//! its prerequisites, Sentinel's own data under the cluster's key, revocation and restore on the
//! clock, rotation, and the changes the document calls unsupported.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use cmk_playground::engine::world::COSMOS_DB_OBJECT_ID;
use common::*;
use serde_json::{Value, json};

const SI: &str = "2024-09-01";
const COSMOS_APP: &str = "a232010e-820c-4083-83bb-3ace5fc29d0b";
const MINUTE: u64 = 60;

fn si_path(ws: &str, rest: &str) -> String {
    format!(
        "{}/providers/Microsoft.SecurityInsights/{rest}",
        Env::workspace_path(ws)
    )
}

fn register(env: &mut Env, ns: &str) {
    let r = env.arm(
        "POST",
        &format!("/subscriptions/{SUB}/providers/{ns}/register"),
        "2021-04-01",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    env.advance(10 * MINUTE);
}

fn onboard(env: &mut Env, ws: &str, cmk: bool) -> cmk_playground::engine::Response {
    env.arm(
        "PUT",
        &si_path(ws, "onboardingStates/default"),
        SI,
        Some(json!({ "properties": { "customerManagedKey": cmk } })),
    )
}

fn grant_cosmos(env: &mut Env, keys: &[&str]) {
    let r = env.policy(VAULT, "add", COSMOS_DB_OBJECT_ID, keys);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The five Azure Monitor steps (auto-rotation), both providers registered, Cosmos DB granted.
fn ready() -> (Env, String) {
    let mut env = Env::new();
    let (version, _) = env.provisioned();
    register(&mut env, "Microsoft.SecurityInsights");
    register(&mut env, "Microsoft.DocumentDB");
    grant_cosmos(&mut env, &["get", "wrapKey", "unwrapKey"]);
    (env, version)
}

/// Onboarded with CMK.
fn onboarded() -> (Env, String) {
    let (mut env, version) = ready();
    let r = onboard(&mut env, WS, true);
    assert_eq!(r.status, 201, "{}", r.body);
    (env, version)
}

fn watchlist(name: &str) -> Value {
    json!({ "properties": {
        "displayName": name, "provider": "Contoso SOC", "source": "Local file",
        "itemsSearchKey": "Ip", "contentType": "text/csv",
        "rawContent": "Ip,Owner\n10.0.0.4,web\n10.0.0.5,db\n",
    }})
}

fn put_watchlist(env: &mut Env, alias: &str) -> cmk_playground::engine::Response {
    env.arm(
        "PUT",
        &si_path(WS, &format!("watchlists/{alias}")),
        SI,
        Some(watchlist(alias)),
    )
}

fn rule(query: &str) -> Value {
    json!({ "kind": "Scheduled", "properties": {
        "displayName": "Failed payments", "enabled": true, "query": query,
        "queryFrequency": "PT5M", "queryPeriod": "PT1H", "severity": "High",
        "triggerOperator": "GreaterThan", "triggerThreshold": 0,
        "suppressionDuration": "PT5H", "suppressionEnabled": false,
    }})
}

fn put_rule(env: &mut Env, id: &str) -> cmk_playground::engine::Response {
    env.arm(
        "PUT",
        &si_path(WS, &format!("alertRules/{id}")),
        SI,
        Some(rule("App_CL | where Level_s == 'Error'")),
    )
}

fn incidents(env: &mut Env) -> usize {
    let r = env.arm("GET", &si_path(WS, "incidents"), SI, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"].as_array().unwrap().len()
}

fn errors_log(env: &Env) -> Vec<String> {
    env.e.timeline().iter().map(|t| t.text.clone()).collect()
}

// ---- prerequisites ------------------------------------------------------------------------------

#[test]
fn configure_cmk_on_the_dedicated_cluster_and_link_your_workspace_to_that_cluster() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.create_workspace("lonely-ws", "eastus");
    register(&mut env, "Microsoft.SecurityInsights");
    register(&mut env, "Microsoft.DocumentDB");
    grant_cosmos(&mut env, &["get", "wrapKey", "unwrapKey"]);
    env.refused(&errors::SENTINEL_CMK_NEEDS_CLUSTER, |env| {
        onboard(env, "lonely-ws", true)
    });
    // Linked, but the cluster has no key yet.
    env.step5_link(WS);
    env.refused(&errors::SENTINEL_CMK_NEEDS_KEY, |env| {
        onboard(env, WS, true)
    });
    // The key update has been sent but has not completed.
    env.step3_grant(&principal);
    let r = env.arm(
        "PATCH",
        &Env::cluster_path(CLUSTER),
        OI,
        Some(Env::key_props("")),
    );
    assert_eq!(r.status, 202);
    env.refused(&errors::SENTINEL_CMK_NEEDS_KEY, |env| {
        onboard(env, WS, true)
    });
    env.advance(HOUR);
    assert_eq!(onboard(&mut env, WS, true).status, 201);
}

#[test]
fn register_to_the_azure_cosmos_db_resource_provider_before_onboarding_a_cmk_workspace() {
    let mut env = Env::new();
    env.provisioned();
    register(&mut env, "Microsoft.SecurityInsights");
    grant_cosmos(&mut env, &["get", "wrapKey", "unwrapKey"]);
    env.refused(&errors::SENTINEL_CMK_COSMOS_NOT_REGISTERED, |env| {
        onboard(env, WS, true)
    });
    register(&mut env, "Microsoft.DocumentDB");
    assert_eq!(onboard(&mut env, WS, true).status, 201);
}

#[test]
fn add_an_access_policy_that_allows_azure_cosmos_db_to_access_the_key_vault() {
    let mut env = Env::new();
    env.provisioned();
    register(&mut env, "Microsoft.SecurityInsights");
    register(&mut env, "Microsoft.DocumentDB");
    // A person finds the principal's object id through Graph by its app id, as the docs say.
    let r = env.call(
        "GET",
        &format!(
            "https://graph.microsoft.com/v1.0/servicePrincipals?$filter=appId eq '{COSMOS_APP}'"
        ),
        None,
    );
    assert_eq!(r.body["value"][0]["id"], COSMOS_DB_OBJECT_ID);
    env.refused(&errors::SENTINEL_CMK_COSMOS_NO_ACCESS, |env| {
        onboard(env, WS, true)
    });
    grant_cosmos(&mut env, &["get"]);
    let r = env.refused(&errors::SENTINEL_CMK_COSMOS_NO_ACCESS, |env| {
        onboard(env, WS, true)
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wrapKey")
    );
    grant_cosmos(&mut env, &["get", "wrapKey", "unwrapKey"]);
    assert_eq!(onboard(&mut env, WS, true).status, 201);
}

#[test]
fn sentinel_supports_system_assigned_identities_in_cmk_configuration() {
    let (mut env, _) = ready();
    // A user-assigned identity on the cluster refuses onboarding...
    let (ua_id, ua_principal) = env.user_identity("cluster-ua", "eastus");
    env.step3_grant(&ua_principal);
    let r = env.arm(
        "PATCH",
        &Env::cluster_path(CLUSTER),
        OI,
        Some(json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { ua_id: {} } } })),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    env.advance(HOUR);
    env.refused(&errors::SENTINEL_CMK_SYSTEM_ASSIGNED, |env| {
        onboard(env, WS, true)
    });
}

#[test]
fn onboard_the_workspace_via_the_onboarding_api_with_customer_managed_key_true() {
    let (mut env, _) = ready();
    let r = onboard(&mut env, WS, true);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["name"], "default");
    assert_eq!(
        r.body["type"],
        "Microsoft.SecurityInsights/onboardingStates"
    );
    assert_eq!(r.body["properties"]["customerManagedKey"], true);
    assert!(r.body["etag"].as_str().unwrap().starts_with('"'));
    assert_eq!(r.body["systemData"]["createdByType"], "User");
    // GET, LIST, the same PUT again; every api-version of the reference.
    for v in [
        "2021-03-01-preview",
        "2022-06-01-preview",
        "2024-03-01",
        "2024-09-01",
        "2025-09-01",
    ] {
        let got = env.arm("GET", &si_path(WS, "onboardingStates/default"), v, None);
        assert_eq!(got.body, r.body, "{v}");
    }
    let list = env.arm("GET", &si_path(WS, "onboardingStates"), SI, None);
    assert_eq!(list.body["value"][0], r.body);
    assert_eq!(onboard(&mut env, WS, true).status, 200);
    // Only the name default.
    env.refused(&errors::SENTINEL_STATE_NAME, |env| {
        env.arm(
            "PUT",
            &si_path(WS, "onboardingStates/other"),
            SI,
            Some(json!({})),
        )
    });
}

#[test]
fn the_cmk_capability_is_provided_only_to_workspaces_not_already_onboarded_to_sentinel() {
    let (mut env, _) = ready();
    assert_eq!(onboard(&mut env, WS, false).status, 201);
    env.refused(&errors::SENTINEL_ALREADY_ONBOARDED, |env| {
        onboard(env, WS, true)
    });
}

#[test]
fn sentinel_resources_need_an_onboarded_workspace() {
    let (mut env, _) = ready();
    env.refused(&errors::SENTINEL_NOT_ONBOARDED, |env| {
        put_watchlist(env, "vips")
    });
}

// ---- Sentinel's data under the cluster's key ------------------------------------------------------

#[test]
fn data_saved_by_sentinel_in_other_storage_is_encrypted_with_the_clusters_key() {
    let (mut env, version) = onboarded();
    let r = put_watchlist(&mut env, "vips");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["watchlistItemsCount"], 2);
    let items = env.arm(
        "GET",
        &si_path(WS, "watchlists/vips/watchlistItems"),
        SI,
        None,
    );
    assert_eq!(
        items.body["value"][1]["properties"]["itemsKeyValue"]["Owner"],
        "db"
    );
    assert_eq!(put_rule(&mut env, "failed-payments").status, 201);
    // The store's AEK is wrapped by the cluster's key, through the Azure Cosmos DB principal.
    let snap = env.e.snapshot();
    let store = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.sentinel.is_some())
        .expect("the Sentinel store");
    assert_eq!(store.protection, "CMK");
    assert_eq!(store.principal.as_deref(), Some("Azure Cosmos DB"));
    assert_eq!(store.key.as_ref().unwrap().key_version, version);
    assert_eq!(snap.sentinel[0].watchlists, vec!["vips"]);
    assert!(
        env.e
            .audit_log()
            .iter()
            .any(|a| a.caller_name == "Azure Cosmos DB" && a.operation == "KeyWrap"),
        "Cosmos DB's wrapkey is in the Key Vault audit log"
    );
    // Onboarded without CMK, the store is under a Microsoft-managed key.
    let mut plain = Env::new();
    plain.provisioned();
    register(&mut plain, "Microsoft.SecurityInsights");
    assert_eq!(onboard(&mut plain, WS, false).status, 201);
    let snap = plain.e.snapshot();
    assert_eq!(snap.sentinel[0].protection, "MMK");
}

#[test]
fn scheduled_analytics_rules_run_on_the_clock_and_create_incidents() {
    let (mut env, _) = onboarded();
    assert_eq!(put_rule(&mut env, "failed-payments").status, 201);
    let id = customer_id(&mut env, WS);
    post_logs(
        &mut env.e,
        &id,
        "App",
        &json!([{ "Level": "Error", "Message": "card declined" }]),
    );
    env.advance(6 * MINUTE);
    assert_eq!(incidents(&mut env), 1);
    let r = env.arm("GET", &si_path(WS, "incidents"), SI, None);
    let incident = &r.body["value"][0]["properties"];
    assert_eq!(incident["title"], "Failed payments");
    assert_eq!(incident["severity"], "High");
    assert_eq!(incident["incidentNumber"], 1);
}

// ---- revocation -------------------------------------------------------------------------------------

#[test]
fn within_one_hour_of_revocation_sentinel_behaves_as_if_the_data_is_no_longer_available() {
    let (mut env, version) = onboarded();
    assert_eq!(put_watchlist(&mut env, "vips").status, 201);
    assert_eq!(put_rule(&mut env, "failed-payments").status, 201);
    let id = customer_id(&mut env, WS);
    env.set_enabled(&version, false);
    // Within the hour: ingestion fails, configuration changes and reads are refused, no incident.
    env.advance(HOUR);
    env.refused(&errors::SENTINEL_DATA_UNAVAILABLE, |env| {
        put_watchlist(env, "more")
    });
    env.refused(&errors::SENTINEL_DATA_UNAVAILABLE, |env| {
        env.arm("GET", &si_path(WS, "watchlists/vips"), SI, None)
    });
    env.refused(&errors::SENTINEL_DATA_UNAVAILABLE, |env| {
        env.arm("DELETE", &si_path(WS, "watchlists/vips"), SI, None)
    });
    post_logs(&mut env.e, &id, "App", &json!([{ "Level": "Error" }]));
    env.advance(30 * MINUTE);
    let snap = env.e.snapshot();
    assert_eq!(snap.sentinel[0].access.state, "revoked");
    assert_eq!(snap.sentinel[0].incidents, 0, "no incident while revoked");
    // Previously stored data isn't deleted.
    assert_eq!(snap.sentinel[0].watchlists, vec!["vips"]);
    assert!(errors_log(&env).iter().any(|t| t.contains("did not run")));
}

#[test]
fn if_access_is_restored_sentinel_restores_access_to_the_data_within_an_hour() {
    let (mut env, version) = onboarded();
    assert_eq!(put_watchlist(&mut env, "vips").status, 201);
    env.set_enabled(&version, false);
    env.advance(HOUR);
    assert_eq!(env.e.snapshot().sentinel[0].access.state, "revoked");
    env.set_enabled(&version, true);
    env.advance(HOUR);
    assert_eq!(env.e.snapshot().sentinel[0].access.state, "accessible");
    let r = env.arm("GET", &si_path(WS, "watchlists/vips"), SI, None);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn the_only_operation_possible_after_the_key_is_revoked_is_deletion() {
    let (mut env, version) = onboarded();
    env.set_enabled(&version, false);
    env.advance(HOUR);
    let r = env.arm("DELETE", &si_path(WS, "onboardingStates/default"), SI, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(env.e.snapshot().sentinel.is_empty());
    assert!(
        env.e
            .snapshot()
            .storage
            .accounts
            .iter()
            .all(|a| a.sentinel.is_none())
    );
}

#[test]
fn revoking_access_by_removing_the_key_or_the_identity_from_the_cluster_isnt_supported() {
    let (mut env, _) = onboarded();
    let clear = json!({ "properties": { "keyVaultProperties": { "keyVaultUri": "", "keyName": "", "keyVersion": "" } } });
    env.refused(&errors::SENTINEL_CLUSTER_KEY_REMOVAL, |env| {
        env.arm("PATCH", &Env::cluster_path(CLUSTER), OI, Some(clear))
    });
    env.refused(&errors::SENTINEL_CLUSTER_KEY_REMOVAL, |env| {
        env.arm(
            "PATCH",
            &Env::cluster_path(CLUSTER),
            OI,
            Some(json!({ "identity": { "type": "None" } })),
        )
    });
}

// ---- unsupported changes ----------------------------------------------------------------------------

#[test]
fn disabling_cmk_on_a_workspace_already_onboarded_to_sentinel_is_not_supported() {
    let (mut env, _) = onboarded();
    env.refused(&errors::SENTINEL_CMK_DISABLE, |env| onboard(env, WS, false));
}

#[test]
fn unlinking_a_sentinel_cmk_workspace_from_its_cluster_is_not_supported() {
    let (mut env, _) = onboarded();
    env.refused(&errors::SENTINEL_UNLINK, |env| {
        env.arm(
            "DELETE",
            &format!("{}/linkedServices/cluster", Env::workspace_path(WS)),
            OI,
            None,
        )
    });
    env.refused(&errors::SENTINEL_UNLINK, |env| {
        env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None)
    });
}

#[test]
fn changing_the_key_to_another_key_isnt_supported_change_it_by_rotating() {
    let (mut env, _) = onboarded();
    env.create_key_in(VAULT, "other-key");
    let other = json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": format!("https://{VAULT}.vault.azure.net"), "keyName": "other-key", "keyVersion": ""
    }}});
    env.refused(&errors::SENTINEL_KEY_REPLACEMENT, |env| {
        env.arm("PATCH", &Env::cluster_path(CLUSTER), OI, Some(other))
    });
}

#[test]
fn sentinel_supports_the_new_key_version_within_an_hour() {
    let (mut env, old) = onboarded();
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let new = version_of(&r.body["key"]["kid"]);
    env.advance(HOUR);
    let snap = env.e.snapshot();
    let store = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.sentinel.is_some())
        .unwrap();
    assert_eq!(
        store.key.as_ref().unwrap().key_version,
        new,
        "rewrapped with {new}, not {old}"
    );
    // The audit log shows the previous version no longer in use: disable it after that.
    let versions = &snap.vaults[0].keys[0].versions;
    let last = |v: &str| versions.iter().find(|x| x.version == v).unwrap().last_use;
    assert!(last(&new) > last(&old), "{:?} {:?}", last(&new), last(&old));
    env.set_enabled(&old, false);
    env.advance(2 * HOUR);
    assert_eq!(env.e.snapshot().sentinel[0].access.state, "accessible");
}

#[test]
fn after_rotating_a_pinned_key_update_the_cluster_with_the_new_version() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    let first = env.kv("GET", &format!("/keys/{KEY}"), None);
    let old = version_of(&first.body["key"]["kid"]);
    env.step4_key(&old);
    env.step5_link(WS);
    register(&mut env, "Microsoft.SecurityInsights");
    register(&mut env, "Microsoft.DocumentDB");
    grant_cosmos(&mut env, &["get", "wrapKey", "unwrapKey"]);
    assert_eq!(onboard(&mut env, WS, true).status, 201);
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    let new = version_of(&r.body["key"]["kid"]);
    env.advance(HOUR);
    let store_version = |env: &Env| {
        env.e
            .snapshot()
            .storage
            .accounts
            .iter()
            .find(|a| a.sentinel.is_some())
            .unwrap()
            .key
            .clone()
            .unwrap()
            .key_version
    };
    assert_eq!(
        store_version(&env),
        old,
        "pinned: the store keeps the old version"
    );
    env.step4_key(&new);
    env.advance(HOUR);
    assert_eq!(
        store_version(&env),
        new,
        "the cluster's update moves the store too"
    );
}

#[test]
fn linking_a_sentinel_onboarded_non_cmk_workspace_to_a_cmk_cluster_is_ineffective() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    env.step4_key("");
    env.create_workspace(WS, "eastus");
    register(&mut env, "Microsoft.SecurityInsights");
    assert_eq!(onboard(&mut env, WS, false).status, 201);
    let r = env.link(WS);
    assert_eq!(r.status, 202, "accepted");
    env.advance(2 * HOUR);
    let snap = env.e.snapshot();
    assert_eq!(
        snap.sentinel[0].protection, "MMK",
        "Sentinel's data stays under the Microsoft-managed key"
    );
    assert!(snap.sentinel[0].ineffective.is_some());
    assert!(
        env.last_alert().contains("ineffective"),
        "{}",
        env.last_alert()
    );
}

#[test]
fn enabling_cmk_on_a_cluster_that_contains_sentinel_onboarded_workspaces_is_ineffective() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    env.step5_link(WS);
    register(&mut env, "Microsoft.SecurityInsights");
    assert_eq!(onboard(&mut env, WS, false).status, 201);
    env.step4_key("");
    let snap = env.e.snapshot();
    assert_eq!(snap.sentinel[0].protection, "MMK");
    assert!(snap.sentinel[0].ineffective.is_some());
}

#[test]
fn deleting_the_workspace_removes_sentinel_with_its_store() {
    let (mut env, _) = onboarded();
    assert_eq!(put_watchlist(&mut env, "vips").status, 201);
    let r = env.arm("DELETE", &Env::workspace_path(WS), OI, None);
    assert_eq!(r.status, 200);
    let snap = env.e.snapshot();
    assert!(snap.sentinel.is_empty());
    assert!(snap.storage.accounts.iter().all(|a| a.sentinel.is_none()));
}

#[test]
fn watchlists_and_rules_are_checked_as_sentinel_checks_them() {
    let (mut env, _) = onboarded();
    let mut bad = watchlist("vips");
    bad["properties"]["itemsSearchKey"] = json!("Nope");
    env.refused(&errors::SENTINEL_BAD_REQUEST, |env| {
        env.arm("PUT", &si_path(WS, "watchlists/vips"), SI, Some(bad))
    });
    let mut fast = rule("App_CL | count");
    fast["properties"]["queryFrequency"] = json!("PT1M");
    env.refused(&errors::SENTINEL_BAD_REQUEST, |env| {
        env.arm("PUT", &si_path(WS, "alertRules/r1"), SI, Some(fast))
    });
    env.refused(&errors::SENTINEL_BAD_REQUEST, |env| {
        env.arm(
            "PUT",
            &si_path(WS, "alertRules/r1"),
            SI,
            Some(rule("App_CL | where (")),
        )
    });
    let mut fusion = rule("App_CL | count");
    fusion["kind"] = json!("Fusion");
    env.refused(&errors::SENTINEL_RULE_KIND, |env| {
        env.arm("PUT", &si_path(WS, "alertRules/r1"), SI, Some(fusion))
    });
    env.refused(&errors::SENTINEL_NOT_FOUND, |env| {
        env.arm("GET", &si_path(WS, "watchlists/none"), SI, None)
    });
}

#[test]
fn workspaces_linked_to_the_same_dedicated_cluster_share_the_same_customer_managed_key() {
    let (mut env, version) = onboarded();
    env.step5_link("second-ws");
    assert_eq!(onboard(&mut env, "second-ws", true).status, 201);
    let snap = env.e.snapshot();
    let stores: Vec<_> = snap
        .storage
        .accounts
        .iter()
        .filter(|a| a.sentinel.is_some())
        .collect();
    assert_eq!(stores.len(), 2, "one store per workspace");
    for s in stores {
        let k = s.key.as_ref().unwrap();
        assert_eq!(
            (k.key_name.as_str(), k.key_version.as_str()),
            (KEY, version.as_str())
        );
    }
}

#[test]
fn revoke_by_deleting_the_access_policy_for_both_the_cluster_and_azure_cosmos_db() {
    let (mut env, _) = onboarded();
    assert_eq!(put_watchlist(&mut env, "vips").status, 201);
    let cluster_principal = env.get_cluster()["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    for principal in [cluster_principal.as_str(), COSMOS_DB_OBJECT_ID] {
        let r = env.policy(VAULT, "remove", principal, &["get", "wrapKey", "unwrapKey"]);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    env.advance(HOUR);
    let snap = env.e.snapshot();
    assert_eq!(snap.sentinel[0].access.state, "revoked");
    let cluster_store = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.sentinel.is_none() && a.protection == "CMK")
        .unwrap();
    assert_eq!(
        cluster_store.access.state, "revoked",
        "ingestion fails as in Azure Monitor"
    );
    env.refused(&errors::SENTINEL_DATA_UNAVAILABLE, |env| {
        put_watchlist(env, "more")
    });
}
