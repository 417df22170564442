//! Azure Resource Manager plumbing: api-versions per provider, subscriptions, resource groups,
//! request routing, role assignments, user-assigned identities, and Microsoft Graph.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use common::*;
use serde_json::json;

/// One path per simulated provider, with an api-version it accepts and ones it must refuse.
fn provider_paths() -> Vec<(&'static str, String)> {
    vec![
        (
            "Microsoft.Resources",
            format!("/subscriptions/{SUB}/resourcegroups/{RG}"),
        ),
        ("Microsoft.KeyVault", Env::vault_path(VAULT)),
        ("Microsoft.OperationalInsights", Env::cluster_path(CLUSTER)),
        (
            "Microsoft.ManagedIdentity",
            format!(
                "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1"
            ),
        ),
        (
            "Microsoft.Authorization",
            format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"),
        ),
    ]
}

fn resource_group_path(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourcegroups/{name}")
}

// ---- api-versions ------------------------------------------------------------------------------

#[test]
fn arm_request_without_api_version_is_refused_for_every_provider() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for (provider, path) in provider_paths() {
        let r = env.refused(&errors::MISSING_API_VERSION, |env| {
            env.call("GET", &format!("{ARM}{path}"), None)
        });
        assert_seed(
            &r,
            &errors::MISSING_API_VERSION,
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
        let _ = provider;
    }
}

#[test]
fn arm_request_with_unknown_api_version_lists_the_supported_ones() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for (provider, path) in provider_paths() {
        let r = env.refused(&errors::INVALID_API_VERSION, |env| {
            env.arm("GET", &path, "1999-01-01", None)
        });
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(
            msg.starts_with(
                "The api-version '1999-01-01' is invalid. The supported versions are '"
            ),
            "{provider}: {msg}"
        );
    }
}

#[test]
fn resources_api_accepts_2021_04_01_and_2022_12_01() {
    let mut env = Env::new();
    for v in ["2021-04-01", "2022-12-01"] {
        let r = env.arm(
            "PUT",
            &resource_group_path(RG),
            v,
            Some(json!({ "location": "eastus" })),
        );
        assert!(r.status == 200 || r.status == 201, "{v}: {r:?}");
        assert_eq!(
            env.arm("GET", &resource_group_path(RG), v, None).status,
            200
        );
        assert_eq!(env.arm("GET", "/subscriptions", v, None).status, 200);
    }
    let r = env.refused(&errors::INVALID_API_VERSION, |env| {
        env.arm("GET", "/subscriptions", "2023-07-01-preview", None)
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("2021-04-01") && msg.contains("2022-12-01"),
        "{msg}"
    );
}

#[test]
fn key_vault_api_accepts_2022_07_01_2023_07_01_and_2024_11_01() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for v in ["2022-07-01", "2023-07-01", "2024-11-01"] {
        let r = env.arm(
            "PUT",
            &Env::vault_path(VAULT),
            v,
            Some(Env::vault_body(true, true)),
        );
        assert_eq!(r.status, 200, "{v}: {r:?}");
    }
    let r = env.refused(&errors::INVALID_API_VERSION, |env| {
        env.arm("GET", &Env::vault_path(VAULT), "2021-04-01", None)
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    for v in ["2022-07-01", "2023-07-01", "2024-11-01"] {
        assert!(msg.contains(v), "{msg}");
    }
}

#[test]
fn operational_insights_api_accepts_its_five_stable_versions() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let versions = [
        "2020-08-01",
        "2021-06-01",
        "2022-10-01",
        "2023-09-01",
        "2025-02-01",
    ];
    for v in versions {
        let r = env.arm(
            "PUT",
            &Env::workspace_path(WS),
            v,
            Some(json!({ "location": "eastus" })),
        );
        assert!(r.status == 200 || r.status == 201, "{v}: {r:?}");
        assert_eq!(
            env.arm("GET", &Env::workspace_path(WS), v, None).status,
            200
        );
    }
    let r = env.refused(&errors::INVALID_API_VERSION, |env| {
        env.arm("GET", &Env::workspace_path(WS), "2015-11-01-preview", None)
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    for v in versions {
        assert!(msg.contains(v), "{msg}");
    }
}

#[test]
fn api_version_is_compared_case_insensitively() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.arm("GET", &resource_group_path(RG), "2020-03-01-PREVIEW", None);
    assert_spec(&r, &errors::INVALID_API_VERSION);
    let r = env.arm(
        "PUT",
        &Env::workspace_path(WS),
        "2020-03-01-PREVIEW",
        Some(json!({ "location": "eastus" })),
    );
    assert_eq!(r.status, 201, "{r:?}");
}

// ---- subscriptions -------------------------------------------------------------------------------

#[test]
fn subscriptions_are_listed() {
    let mut env = Env::new();
    let r = env.arm("GET", "/subscriptions", "2022-12-01", None);
    assert_eq!(r.status, 200);
    let ids: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [SUB, SUB2]);
    assert_eq!(r.body["value"][0]["tenantId"], TENANT);
    assert_eq!(r.body["value"][0]["state"], "Enabled");
    let one = env.arm("GET", &format!("/subscriptions/{SUB2}"), "2022-12-01", None);
    assert_eq!(one.body["displayName"], "Contoso Security");
}

#[test]
fn malformed_subscription_id_is_invalid() {
    let mut env = Env::new();
    let r = env.refused(&errors::INVALID_SUBSCRIPTION_ID, |env| {
        env.arm(
            "GET",
            "/subscriptions/contoso-prod/resourcegroups",
            "2021-04-01",
            None,
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_SUBSCRIPTION_ID,
        "The provided subscription identifier 'contoso-prod' is malformed or invalid.",
    );
}

#[test]
fn unknown_subscription_is_not_found() {
    let mut env = Env::new();
    let ghost = "00000000-1111-4222-8333-444444444444";
    for path in [
        format!("/subscriptions/{ghost}"),
        format!("/subscriptions/{ghost}/resourcegroups/{RG}"),
    ] {
        let r = env.refused(&errors::SUBSCRIPTION_NOT_FOUND, |env| {
            env.arm("GET", &path, "2021-04-01", None)
        });
        assert_seed(
            &r,
            &errors::SUBSCRIPTION_NOT_FOUND,
            &format!("The subscription '{ghost}' could not be found."),
        );
    }
}

// ---- resource groups -----------------------------------------------------------------------------

#[test]
fn resource_group_is_created_read_listed_and_updated() {
    let mut env = Env::new();
    let r = env.arm(
        "PUT",
        &resource_group_path(RG),
        "2021-04-01",
        Some(json!({ "location": "East US", "tags": { "env": "test" } })),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["location"], "eastus");
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let again = env.arm(
        "PUT",
        &resource_group_path(RG),
        "2021-04-01",
        Some(json!({ "location": "eastus", "tags": { "env": "prod" } })),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.body["tags"]["env"], "prod");
    let get = env.arm("GET", &resource_group_path("CMK-RG"), "2021-04-01", None);
    assert_eq!(get.status, 200, "group names are case-insensitive");
    assert_eq!(get.body["name"], RG);
    let list = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/resourcegroups"),
        "2021-04-01",
        None,
    );
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[test]
fn resource_group_delete_is_asynchronous_and_takes_its_resources() {
    let mut env = Env::new();
    env.provisioned();
    let r = env.arm("DELETE", &resource_group_path(RG), "2021-04-01", None);
    assert_eq!(r.status, 202, "{r:?}");
    let location = r.header("Location").unwrap().to_string();
    assert!(
        location.contains(&format!("/subscriptions/{SUB}/operationresults/")),
        "{location}"
    );
    // The SDKs poll the Location each 202 answers with (azure-mgmt-resource's
    // begin_delete().result()): it must stay routable.
    let polled = env.call("GET", &location, None);
    assert_eq!(polled.status, 202);
    let location = polled.header("Location").unwrap().to_string();
    assert!(
        location.contains(&format!("/subscriptions/{SUB}/operationresults/")),
        "{location}"
    );
    assert_eq!(env.call("GET", &location, None).status, 202);
    let g = env.arm("GET", &resource_group_path(RG), "2021-04-01", None);
    assert_eq!(g.body["properties"]["provisioningState"], "Deleting");
    env.advance(10 * 60);
    assert_eq!(env.call("GET", &location, None).status, 204);
    env.refused(&errors::RESOURCE_GROUP_NOT_FOUND, |env| {
        env.arm("GET", &resource_group_path(RG), "2021-04-01", None)
    });
    let snap = env.e.snapshot();
    assert!(snap.clusters.is_empty() && snap.workspaces.is_empty() && snap.vaults.is_empty());
    // The vault was soft-deleted, and the cluster's name is reserved.
    let deleted = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.KeyVault/deletedVaults"),
        KV_ARM,
        None,
    );
    assert_eq!(deleted.body["value"][0]["name"], VAULT);
    env.group(RG, "eastus");
    env.refused(&errors::CLUSTER_NAME_RESERVED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
}

#[test]
fn resource_group_location_cannot_change() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::INVALID_RESOURCE_GROUP_LOCATION, |env| {
        env.arm(
            "PUT",
            &resource_group_path(RG),
            "2021-04-01",
            Some(json!({ "location": "westeurope" })),
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_RESOURCE_GROUP_LOCATION,
        "Invalid resource group location 'westeurope'. The Resource group already exists in location 'eastus'.",
    );
}

#[test]
fn resource_group_being_deleted_refuses_writes() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    assert_eq!(
        env.arm("DELETE", &resource_group_path(RG), "2021-04-01", None)
            .status,
        202
    );
    let r = env.refused(&errors::RESOURCE_GROUP_BEING_DELETED, |env| {
        env.arm(
            "PUT",
            &resource_group_path(RG),
            "2021-04-01",
            Some(json!({ "location": "eastus" })),
        )
    });
    assert_seed(
        &r,
        &errors::RESOURCE_GROUP_BEING_DELETED,
        &format!(
            "The resource group '{RG}' is in deprovisioning state and cannot perform this operation."
        ),
    );
    env.refused(&errors::RESOURCE_GROUP_BEING_DELETED, |env| {
        env.put_vault(VAULT, Env::vault_body(true, true))
    });
    env.refused(&errors::RESOURCE_GROUP_BEING_DELETED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    env.refused(&errors::RESOURCE_GROUP_BEING_DELETED, |env| {
        env.arm(
            "PUT",
            &Env::workspace_path(WS),
            OI,
            Some(json!({ "location": "eastus" })),
        )
    });
}

#[test]
fn resources_in_a_missing_group_are_not_found() {
    let mut env = Env::new();
    for (path, version) in [
        (Env::vault_path(VAULT), KV_ARM),
        (Env::cluster_path(CLUSTER), OI),
        (Env::workspace_path(WS), OI),
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua1"
            ),
            "2023-01-31",
        ),
    ] {
        let r = env.refused(&errors::RESOURCE_GROUP_NOT_FOUND, |env| {
            env.arm("GET", &path, version, None)
        });
        assert_seed(
            &r,
            &errors::RESOURCE_GROUP_NOT_FOUND,
            &format!("Resource group '{RG}' could not be found."),
        );
        env.refused(&errors::RESOURCE_GROUP_NOT_FOUND, |env| {
            env.arm("PUT", &path, version, Some(json!({ "location": "eastus" })))
        });
    }
    env.refused(&errors::RESOURCE_GROUP_NOT_FOUND, |env| {
        env.arm("DELETE", &resource_group_path(RG), "2021-04-01", None)
    });
}

#[test]
fn resource_group_name_with_invalid_characters_is_refused() {
    let mut env = Env::new();
    for (raw, chars) in [("rg!", "!"), ("my%20rg", " "), ("rg.", ".")] {
        let r = env.refused(&errors::RESOURCE_GROUP_NAME_INVALID, |env| {
            env.arm(
                "PUT",
                &resource_group_path(raw),
                "2021-04-01",
                Some(json!({ "location": "eastus" })),
            )
        });
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!("has these invalid characters: '{chars}'")),
            "{msg}"
        );
    }
    let long = "r".repeat(91);
    env.refused(&errors::RESOURCE_GROUP_NAME_INVALID, |env| {
        env.arm(
            "PUT",
            &resource_group_path(&long),
            "2021-04-01",
            Some(json!({ "location": "eastus" })),
        )
    });
    let r = env.arm(
        "PUT",
        &resource_group_path("My_RG-(1).x"),
        "2021-04-01",
        Some(json!({ "location": "eastus" })),
    );
    assert_eq!(r.status, 201, "{r:?}");
}

#[test]
fn resource_group_needs_a_known_location() {
    let mut env = Env::new();
    let r = env.refused(&errors::LOCATION_REQUIRED, |env| {
        env.arm(
            "PUT",
            &resource_group_path(RG),
            "2021-04-01",
            Some(json!({})),
        )
    });
    assert_seed(
        &r,
        &errors::LOCATION_REQUIRED,
        "The location property is required for this definition.",
    );
    env.refused(&errors::LOCATION_REQUIRED, |env| {
        env.arm("PUT", &resource_group_path(RG), "2021-04-01", None)
    });
    let r = env.refused(&errors::LOCATION_NOT_AVAILABLE, |env| {
        env.arm(
            "PUT",
            &resource_group_path(RG),
            "2021-04-01",
            Some(json!({ "location": "atlantis" })),
        )
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "The provided location 'atlantis' is not available for resource type 'resourceGroups'."
        ),
        "{msg}"
    );
    assert!(
        msg.contains("East US") && msg.contains("West Central US"),
        "{msg}"
    );
}

#[test]
fn malformed_json_body_is_invalid_request_content() {
    let mut env = Env::new();
    let url = format!("{ARM}{}?api-version=2021-04-01", resource_group_path(RG));
    for body in [
        "{\"location\": ",
        "[\"eastus\"]",
        "{\"location\": \"eastus\", \"tags\": [1]}",
    ] {
        let r = env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
            env.raw("PUT", &url, body)
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("The request content was invalid and could not be deserialized: '"),
            "{}",
            r.body
        );
    }
}

#[test]
fn missing_resource_is_not_found() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &Env::vault_path("nokv"), KV_ARM, None)
    });
    assert_seed(
        &r,
        &errors::RESOURCE_NOT_FOUND,
        &format!(
            "The Resource 'Microsoft.KeyVault/vaults/nokv' under resource group '{RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    );
    assert_eq!(
        env.arm("DELETE", &Env::vault_path("nokv"), KV_ARM, None)
            .status,
        204
    );
}

// ---- routing -----------------------------------------------------------------------------------

#[test]
fn unknown_host_is_refused() {
    let mut env = Env::new();
    for url in [
        "https://example.com/subscriptions?api-version=2021-04-01",
        "https://nosuchvault.vault.azure.net/keys?api-version=7.4",
        "https://login.microsoftonline.net/common/oauth2/token",
    ] {
        let r = env.refused(&errors::UNKNOWN_HOST, |env| env.call("GET", url, None));
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("No such host is known (")
        );
    }
}

#[test]
fn malformed_url_is_refused() {
    let mut env = Env::new();
    for url in [
        "/subscriptions?api-version=2021-04-01",
        "management.azure.com/subscriptions",
        "ftp://management.azure.com/",
        "https://",
        "https://bad host/x",
        "",
    ] {
        let r = env.refused(&errors::INVALID_URL, |env| env.call("GET", url, None));
        assert_seed(
            &r,
            &errors::INVALID_URL,
            &format!("The URL '{url}' is not an absolute https URL."),
        );
    }
}

#[test]
fn unsupported_method_is_not_allowed() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::METHOD_NOT_ALLOWED, |env| {
        env.arm("POST", "/subscriptions", "2021-04-01", None)
    });
    assert_seed(
        &r,
        &errors::METHOD_NOT_ALLOWED,
        "The HTTP method 'POST' is not supported on the resource '/subscriptions'.",
    );
    for (method, path, version) in [
        ("PATCH", resource_group_path(RG), "2021-04-01"),
        ("POST", Env::cluster_path(CLUSTER), OI),
        (
            "PUT",
            format!("/subscriptions/{SUB}/providers/Microsoft.OperationalInsights/clusters"),
            OI,
        ),
        ("TRACE", Env::vault_path(VAULT), KV_ARM),
    ] {
        env.refused(&errors::METHOD_NOT_ALLOWED, |env| {
            env.arm(method, &path, version, None)
        });
    }
}

#[test]
fn unknown_namespace_or_resource_type_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::INVALID_RESOURCE_NAMESPACE, |env| {
        env.arm(
            "GET",
            &format!(
                "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Web/sites/site1"
            ),
            "2023-01-01",
            None,
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_RESOURCE_NAMESPACE,
        "The resource namespace 'Microsoft.Web' is invalid.",
    );
    env.refused(&errors::INVALID_RESOURCE_NAMESPACE, |env| {
        env.arm("GET", "/tenants", "2022-12-01", None)
    });
    let r = env.refused(&errors::INVALID_RESOURCE_TYPE, |env| {
        env.arm(
            "GET",
            &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/queryPacks/qp1"),
            OI,
            None,
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_RESOURCE_TYPE,
        &format!(
            "The resource type 'queryPacks' could not be found in the namespace 'Microsoft.OperationalInsights' for api version '{OI}'."
        ),
    );
    env.refused(&errors::INVALID_RESOURCE_TYPE, |env| {
        env.arm(
            "GET",
            &format!("{}/secrets/s1", Env::vault_path(VAULT)),
            KV_ARM,
            None,
        )
    });
    // A child type is named whole: `workspaces/dataExports`, not `workspaces`.
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let r = env.refused(&errors::INVALID_RESOURCE_TYPE, |env| {
        env.arm(
            "GET",
            &format!("{}/dataExports/e1", Env::workspace_path(WS)),
            OI,
            None,
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_RESOURCE_TYPE,
        &format!(
            "The resource type 'workspaces/dataExports' could not be found in the namespace 'Microsoft.OperationalInsights' for api version '{OI}'."
        ),
    );
}

#[test]
fn resource_providers_are_listed_and_registered() {
    let mut env = Env::new();
    let base = format!("/subscriptions/{SUB}/providers");
    let list = env.arm("GET", &base, "2021-04-01", None);
    assert_eq!(list.status, 200);
    let state = |env: &mut Env, ns: &str| {
        env.arm("GET", &format!("{base}/{ns}"), "2021-04-01", None)
            .body["registrationState"]
            .clone()
    };
    assert_eq!(
        state(&mut env, "Microsoft.OperationalInsights"),
        "Registered"
    );
    assert_eq!(state(&mut env, "Microsoft.DocumentDB"), "NotRegistered");
    let r = env.arm(
        "POST",
        &format!("{base}/Microsoft.DocumentDB/register"),
        "2021-04-01",
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(state(&mut env, "microsoft.documentdb"), "Registering");
    env.advance(5 * 60);
    assert_eq!(state(&mut env, "microsoft.documentdb"), "Registered");
    env.refused(&errors::INVALID_RESOURCE_NAMESPACE, |env| {
        env.arm("GET", &format!("{base}/Microsoft.Nope"), "2021-04-01", None)
    });
}

// ---- role assignments ---------------------------------------------------------------------------

const RA1: &str = "6a0e1c53-0000-4000-8000-000000000001";
const RA2: &str = "6a0e1c53-0000-4000-8000-000000000002";

fn group_scope() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}")
}

#[test]
fn role_assignment_is_created_read_listed_and_deleted() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA1);
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["properties"]["principalType"], "User");
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{RA1}",
        group_scope()
    );
    assert_eq!(env.arm("GET", &path, "2022-04-01", None).status, 200);
    // A PUT of the same assignment is idempotent.
    assert_eq!(
        env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA1)
            .status,
        200
    );
    let list = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"),
        "2022-04-01",
        None,
    );
    // The new one, and the assignments the subscription starts with: the user's Owner, Sam's Log
    // Analytics Reader and the runbook application's Owner.
    let roles: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["properties"]["roleDefinitionId"].as_str().unwrap())
        .collect();
    assert_eq!(roles.len(), 4, "{}", list.body);
    assert!(roles.iter().any(|r| r.ends_with(CRYPTO_OFFICER)));
    assert!(
        roles
            .iter()
            .any(|r| r.ends_with("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"))
    );
    assert_eq!(env.arm("DELETE", &path, "2022-04-01", None).status, 200);
    assert_eq!(env.arm("DELETE", &path, "2022-04-01", None).status, 204);
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &path, "2022-04-01", None)
    });
}

#[test]
fn role_assignment_that_already_exists_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA1);
    let r = env.refused(&errors::ROLE_ASSIGNMENT_EXISTS, |env| {
        env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA2)
    });
    assert_seed(
        &r,
        &errors::ROLE_ASSIGNMENT_EXISTS,
        &format!(
            "The role assignment already exists.\nThe ID of the existing role assignment is {}.",
            RA1.replace('-', "")
        ),
    );
}

/// A role assignment's scope must exist: a typo in the vault's name is ARM's 404, not a grant
/// that silently applies to nothing. Vaults, their keys, clusters, workspaces and identities are
/// valid scopes once they exist.
#[test]
fn role_assignment_at_a_resource_that_does_not_exist_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let typo = format!(
        "{}/providers/Microsoft.KeyVault/vaults/no-such-vault",
        group_scope()
    );
    let r = env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.assign_role(&typo, CRYPTO_SERVICE_ENCRYPTION_USER, USER, RA1)
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The Resource 'Microsoft.KeyVault/vaults/no-such-vault' under resource group '{RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        )
    );
    let mut body = Env::vault_body(true, true);
    body["properties"]["enableRbacAuthorization"] = json!(true);
    assert_eq!(env.put_vault(VAULT, body).status, 200);
    let vault = Env::vault_path(VAULT);
    let r = env.assign_role(&vault, CRYPTO_OFFICER, USER, RA1);
    assert_eq!(r.status, 201, "{r:?}");
    env.create_key_in(VAULT, KEY);
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.assign_role(
            &format!("{vault}/keys/nope"),
            CRYPTO_SERVICE_ENCRYPTION_USER,
            USER,
            RA2,
        )
    });
    let r = env.assign_role(
        &format!("{vault}/keys/{KEY}"),
        CRYPTO_SERVICE_ENCRYPTION_USER,
        USER,
        RA2,
    );
    assert_eq!(r.status, 201, "{r:?}");
}

#[test]
fn role_assignment_for_an_unknown_principal_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let ghost = "99999999-9999-4999-8999-999999999999";
    let r = env.refused(&errors::PRINCIPAL_NOT_FOUND, |env| {
        env.assign_role(&group_scope(), CRYPTO_OFFICER, ghost, RA1)
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "Principal {} does not exist in the directory {TENANT}.",
            ghost.replace('-', "")
        )),
        "{msg}"
    );
}

#[test]
fn role_assignment_with_an_invalid_role_definition_is_refused() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::INVALID_ROLE_DEFINITION_ID, |env| {
        env.arm(
            "PUT",
            &format!("{}/providers/Microsoft.Authorization/roleAssignments/{RA1}", group_scope()),
            "2022-04-01",
            Some(json!({ "properties": { "roleDefinitionId": "Key Vault Crypto Officer", "principalId": USER } })),
        )
    });
    assert_seed(
        &r,
        &errors::INVALID_ROLE_DEFINITION_ID,
        "The role definition ID 'Key Vault Crypto Officer' is not valid.",
    );
    let unknown = "12345678-1234-4234-8234-123456789012";
    let r = env.refused(&errors::ROLE_DEFINITION_NOT_FOUND, |env| {
        env.assign_role(&group_scope(), unknown, USER, RA1)
    });
    assert_seed(
        &r,
        &errors::ROLE_DEFINITION_NOT_FOUND,
        &format!("The specified role definition with ID '{unknown}' does not exist."),
    );
    env.refused(&errors::ROLE_DEFINITION_NOT_FOUND, |env| {
        env.arm(
            "GET",
            &format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{unknown}"
            ),
            "2022-04-01",
            None,
        )
    });
    let def = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_SERVICE_ENCRYPTION_USER}"),
        "2022-04-01",
        None,
    );
    assert_eq!(
        def.body["properties"]["roleName"],
        "Key Vault Crypto Service Encryption User"
    );
    env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.arm(
            "PUT",
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{RA1}",
                group_scope()
            ),
            "2022-04-01",
            Some(json!({ "roleDefinitionId": CRYPTO_OFFICER })),
        )
    });
}

#[test]
fn role_assignment_update_is_not_permitted() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA1);
    let r = env.refused(&errors::ROLE_ASSIGNMENT_UPDATE_NOT_PERMITTED, |env| {
        env.assign_role(&group_scope(), READER, USER, RA1)
    });
    assert_seed(
        &r,
        &errors::ROLE_ASSIGNMENT_UPDATE_NOT_PERMITTED,
        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
    );
}

#[test]
fn role_assignment_name_must_be_a_guid() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let r = env.refused(&errors::INVALID_ROLE_ASSIGNMENT_ID, |env| {
        env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, "my-assignment")
    });
    assert_seed(
        &r,
        &errors::INVALID_ROLE_ASSIGNMENT_ID,
        "The role assignment ID 'my-assignment' is not valid. The role assignment ID must be a GUID.",
    );
}

#[test]
fn role_assignment_scope_must_exist() {
    let mut env = Env::new();
    env.refused(&errors::RESOURCE_GROUP_NOT_FOUND, |env| {
        env.assign_role(&group_scope(), CRYPTO_OFFICER, USER, RA1)
    });
}

// ---- user-assigned identities -------------------------------------------------------------------

fn identity_path(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
}

#[test]
fn user_assigned_identity_is_created_read_listed_and_deleted() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let (id, principal) = env.user_identity("cmk-identity", "eastus");
    assert_eq!(id, identity_path("cmk-identity"));
    let get = env.arm("GET", &identity_path("cmk-identity"), "2023-01-31", None);
    assert_eq!(get.body["properties"]["principalId"], principal.as_str());
    assert_eq!(get.body["properties"]["tenantId"], TENANT);
    let sp = env.call(
        "GET",
        &format!("https://graph.microsoft.com/v1.0/servicePrincipals/{principal}"),
        None,
    );
    assert_eq!(sp.status, 200);
    assert_eq!(sp.body["servicePrincipalType"], "ManagedIdentity");
    let list = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"),
        "2023-01-31",
        None,
    );
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        env.arm("DELETE", &identity_path("cmk-identity"), "2023-01-31", None)
            .status,
        200
    );
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &identity_path("cmk-identity"), "2023-01-31", None)
    });
    env.refused(&errors::GRAPH_NOT_FOUND, |env| {
        env.call(
            "GET",
            &format!("https://graph.microsoft.com/v1.0/servicePrincipals/{principal}"),
            None,
        )
    });
}

#[test]
fn user_assigned_identity_name_rules() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for name in ["ab", "-identity", "id.entity"] {
        let r = env.refused(&errors::IDENTITY_NAME_INVALID, |env| {
            env.arm(
                "PUT",
                &identity_path(name),
                "2023-01-31",
                Some(json!({ "location": "eastus" })),
            )
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Resource name '{name}' is invalid."))
        );
    }
}

#[test]
fn user_assigned_identity_location_cannot_change() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.user_identity("cmk-identity", "eastus");
    let r = env.refused(&errors::LOCATION_CANNOT_CHANGE, |env| {
        env.arm(
            "PUT",
            &identity_path("cmk-identity"),
            "2023-01-31",
            Some(json!({ "location": "westus2" })),
        )
    });
    assert_seed(
        &r,
        &errors::LOCATION_CANNOT_CHANGE,
        "The location of 'cmk-identity' is 'eastus' and cannot be changed. Moving a resource to another region isn’t supported.",
    );
}

// ---- Microsoft Graph ----------------------------------------------------------------------------

#[test]
fn graph_me_returns_the_signed_in_user() {
    let mut env = Env::new();
    let r = env.call("GET", "https://graph.microsoft.com/v1.0/me", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], USER);
    assert_eq!(r.body["userPrincipalName"], "avery@contoso.onmicrosoft.com");
}

#[test]
fn graph_paths_other_than_me_and_service_principals_are_not_found() {
    let mut env = Env::new();
    for (method, url) in [
        ("GET", "https://graph.microsoft.com/v1.0/users"),
        ("GET", "https://graph.microsoft.com/beta/me"),
        ("POST", "https://graph.microsoft.com/v1.0/me"),
        (
            "GET",
            &format!("https://graph.microsoft.com/v1.0/servicePrincipals/{USER}"),
        ),
    ] {
        let r = env.refused(&errors::GRAPH_NOT_FOUND, |env| env.call(method, url, None));
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Resource '/"),
            "{}",
            r.body
        );
    }
}

// ---- the virtual clock ----------------------------------------------------------------------------

#[test]
fn clock_stops_at_the_end_of_year_9999_and_requests_still_work() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.e.advance(u64::MAX);
    assert_eq!(env.e.now(), 253_402_300_799);
    env.e.advance(u64::MAX);
    assert_eq!(env.e.now(), 253_402_300_799, "the clock does not wrap");
    let r = env.cluster_put(CLUSTER, OI, Env::cluster_body());
    assert_eq!(r.status, 202, "{r:?}");
    env.create_workspace(WS, "eastus");
    assert_eq!(env.link(WS).status, 202);
    let c = env.get_cluster();
    assert_eq!(
        c["properties"]["createdDate"],
        "9999-12-31T23:59:59.0000000Z"
    );
    env.e.advance(DAY);
    let _ = env.e.snapshot();
}
