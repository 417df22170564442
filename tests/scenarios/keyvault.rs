//! Key Vault: the vault resource on ARM (names, recoverability settings, access policies) and the
//! keys data plane (versions, lifecycle, wrap/unwrap, authorization, audit).
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::crypto::{b64url, from_b64url};
use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

const OTHER_TENANT: &str = "0f0f0f0f-0000-4000-8000-000000000001";
const SOMEONE: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

fn with_group() -> Env {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env
}

fn vault_with(f: impl FnOnce(&mut Value)) -> Value {
    let mut b = Env::vault_body(true, true);
    f(&mut b);
    b
}

fn policies(env: &mut Env, vault: &str) -> Vec<Value> {
    let r = env.arm("GET", &Env::vault_path(vault), KV_ARM, None);
    assert_eq!(r.status, 200, "{r:?}");
    r.body["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .clone()
}

fn policy_keys(env: &mut Env, vault: &str, object_id: &str) -> Option<Vec<String>> {
    policies(env, vault)
        .into_iter()
        .find(|p| p["objectId"] == object_id)
        .map(|p| {
            p["permissions"]["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect()
        })
}

fn wrap(env: &mut Env, path: &str, alg: &str, plain: &[u8]) -> cmk_playground::engine::Response {
    env.kv(
        "POST",
        path,
        Some(json!({ "alg": alg, "value": b64url(plain) })),
    )
}

// ---- vault resource ----------------------------------------------------------------------------

#[test]
fn vault_name_must_be_3_to_24_letters_digits_and_single_hyphens() {
    let mut env = with_group();
    for name in [
        "ab",
        "abcdefghijklmnopqrstuvwxy",
        "1vault",
        "vault-",
        "va--ult",
        "vault_x",
    ] {
        let r = env.refused(&errors::VAULT_NAME_INVALID, |env| {
            env.put_vault(name, Env::vault_body(true, true))
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("The vault name '{name}' is invalid.")),
            "{}",
            r.body
        );
    }
    for name in ["a-1", "abcdefghijklmnopqrstuvwx"] {
        assert_eq!(
            env.put_vault(name, Env::vault_body(true, true)).status,
            200,
            "{name}"
        );
    }
}

#[test]
fn vault_name_taken_anywhere_already_exists() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(true, true)).status,
        200
    );
    env.group("other-rg", "eastus");
    env.group_in(SUB2, "sec-rg", "eastus");
    for path in [
        format!(
            "/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/{VAULT}"
        ),
        format!(
            "/subscriptions/{SUB2}/resourceGroups/sec-rg/providers/Microsoft.KeyVault/vaults/{VAULT}"
        ),
    ] {
        let r = env.refused(&errors::VAULT_ALREADY_EXISTS, |env| {
            env.arm("PUT", &path, KV_ARM, Some(Env::vault_body(true, true)))
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("The vault name '{VAULT}' is already in use.")),
            "{}",
            r.body
        );
    }
}

#[test]
fn deleted_vault_name_conflicts_until_the_vault_is_recovered() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    assert_eq!(
        env.arm("DELETE", &Env::vault_path(VAULT), KV_ARM, None)
            .status,
        200
    );
    // The data plane host no longer resolves.
    env.refused(&errors::UNKNOWN_HOST, |env| env.kv("GET", "/keys", None));
    let list = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.KeyVault/deletedVaults"),
        KV_ARM,
        None,
    );
    assert_eq!(list.body["value"][0]["name"], VAULT);
    assert_eq!(
        list.body["value"][0]["properties"]["purgeProtectionEnabled"],
        true
    );
    let r = env.refused(&errors::VAULT_DELETED_CONFLICT, |env| {
        env.put_vault(VAULT, Env::vault_body(true, true))
    });
    assert_seed(
        &r,
        &errors::VAULT_DELETED_CONFLICT,
        "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.",
    );
    // Another subscription cannot take the name either.
    env.group_in(SUB2, "sec-rg", "eastus");
    env.refused(&errors::VAULT_ALREADY_EXISTS, |env| {
        env.arm(
            "PUT",
            &format!("/subscriptions/{SUB2}/resourceGroups/sec-rg/providers/Microsoft.KeyVault/vaults/{VAULT}"),
            KV_ARM,
            Some(Env::vault_body(true, true)),
        )
    });
    // A deleted vault comes back where it was: not in another group, not in another region.
    let recover = vault_with(|b| b["properties"]["createMode"] = json!("recover"));
    env.group("other-rg", "eastus");
    env.refused(&errors::VAULT_RECOVER_ELSEWHERE, |env| {
        env.arm(
            "PUT",
            &format!("/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/{VAULT}"),
            KV_ARM,
            Some(recover.clone()),
        )
    });
    let mut westus2 = recover.clone();
    westus2["location"] = json!("westus2");
    env.refused(&errors::VAULT_RECOVER_ELSEWHERE, |env| {
        env.put_vault(VAULT, westus2.clone())
    });
    let r = env.put_vault(VAULT, recover);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        env.kv("GET", &format!("/keys/{KEY}"), None).status,
        200,
        "keys come back"
    );
}

#[test]
fn deleted_vault_without_purge_protection_can_be_purged() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault("purge-kv", Env::vault_body(true, false))
            .status,
        200
    );
    env.create_key_in("purge-kv", KEY);
    env.arm("DELETE", &Env::vault_path("purge-kv"), KV_ARM, None);
    let purge = format!(
        "/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/purge-kv/purge"
    );
    assert_eq!(env.arm("POST", &purge, KV_ARM, None).status, 202);
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm(
            "GET",
            &format!("/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/purge-kv"),
            KV_ARM,
            None,
        )
    });
    assert_eq!(
        env.put_vault("purge-kv", Env::vault_body(true, false))
            .status,
        200
    );
    env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv_at("purge-kv", "GET", &format!("/keys/{KEY}"), KV, None)
    });
}

#[test]
fn deleted_vault_with_purge_protection_cannot_be_purged_and_is_purged_after_retention() {
    let mut env = with_group();
    let body = vault_with(|b| b["properties"]["softDeleteRetentionInDays"] = json!(7));
    assert_eq!(env.put_vault(VAULT, body).status, 200);
    env.arm("DELETE", &Env::vault_path(VAULT), KV_ARM, None);
    let base = format!(
        "/subscriptions/{SUB}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/{VAULT}"
    );
    let r = env.refused(&errors::VAULT_PURGE_PROTECTED, |env| {
        env.arm("POST", &format!("{base}/purge"), KV_ARM, None)
    });
    assert_spec(&r, &errors::VAULT_PURGE_PROTECTED);
    assert!(r.body["error"]["message"].as_str().unwrap().contains(VAULT));
    env.advance(7 * DAY - 1);
    assert_eq!(env.arm("GET", &base, KV_ARM, None).status, 200);
    env.advance(1);
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &base, KV_ARM, None)
    });
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(true, true)).status,
        200
    );
}

#[test]
fn vault_without_soft_delete_is_deleted_for_good() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault("plain-kv", Env::vault_body(false, false))
            .status,
        200
    );
    env.arm("DELETE", &Env::vault_path("plain-kv"), KV_ARM, None);
    assert_eq!(
        env.put_vault("plain-kv", Env::vault_body(false, false))
            .status,
        200
    );
}

#[test]
fn soft_delete_and_purge_protection_are_off_by_default() {
    let mut env = with_group();
    let r = env.put_vault(VAULT, Env::vault_body(false, false));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["enableSoftDelete"], false);
    assert!(r.body["properties"].get("enablePurgeProtection").is_none());
    assert!(!env.e.snapshot().vaults[0].recoverable);
}

#[test]
fn purge_protection_cannot_be_set_to_false() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(true, true)).status,
        200
    );
    let r = env.refused(&errors::PURGE_PROTECTION_IRREVERSIBLE, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["enablePurgeProtection"] = json!(false)),
        )
    });
    assert_seed(
        &r,
        &errors::PURGE_PROTECTION_IRREVERSIBLE,
        "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.",
    );
    // Refused on creation too: the service accepts only true.
    env.refused(&errors::PURGE_PROTECTION_IRREVERSIBLE, |env| {
        env.put_vault(
            "new-kv",
            vault_with(|b| b["properties"]["enablePurgeProtection"] = json!(false)),
        )
    });
    // Omitting it keeps it on.
    let r = env.put_vault(
        VAULT,
        vault_with(|b| {
            b["properties"]
                .as_object_mut()
                .unwrap()
                .remove("enablePurgeProtection");
        }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["enablePurgeProtection"], true);
}

#[test]
fn purge_protection_needs_soft_delete() {
    let mut env = with_group();
    env.refused(&errors::PURGE_PROTECTION_NEEDS_SOFT_DELETE, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["enableSoftDelete"] = json!(false)),
        )
    });
}

#[test]
fn soft_delete_cannot_be_turned_off() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(false, false)).status,
        200
    );
    let r = env.arm(
        "PATCH",
        &Env::vault_path(VAULT),
        KV_ARM,
        Some(json!({ "properties": { "enableSoftDelete": true } })),
    );
    assert_eq!(r.status, 200, "soft delete can be turned on later");
    let r = env.refused(&errors::SOFT_DELETE_IRREVERSIBLE, |env| {
        env.arm(
            "PATCH",
            &Env::vault_path(VAULT),
            KV_ARM,
            Some(json!({ "properties": { "enableSoftDelete": false } })),
        )
    });
    assert_seed(
        &r,
        &errors::SOFT_DELETE_IRREVERSIBLE,
        "The property \"enableSoftDelete\" can be set to false only for creating new vault. Enabling the 'soft delete' functionality is an irreversible action.",
    );
}

#[test]
fn soft_delete_retention_must_be_between_7_and_90_days() {
    let mut env = with_group();
    for days in [json!(6), json!(91), json!("30"), json!(-1)] {
        let r = env.refused(&errors::RETENTION_OUT_OF_RANGE, |env| {
            env.put_vault(
                VAULT,
                vault_with(|b| b["properties"]["softDeleteRetentionInDays"] = days),
            )
        });
        assert_seed(
            &r,
            &errors::RETENTION_OUT_OF_RANGE,
            "The property \"softDeleteRetentionInDays\" must be between 7 and 90.",
        );
    }
    for (name, days) in [("seven-kv", 7), ("ninety-kv", 90)] {
        let r = env.put_vault(
            name,
            vault_with(|b| b["properties"]["softDeleteRetentionInDays"] = json!(days)),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.body["properties"]["softDeleteRetentionInDays"], days);
    }
}

#[test]
fn soft_delete_retention_cannot_change() {
    let mut env = with_group();
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(true, true)).status,
        200
    );
    let r = env.refused(&errors::RETENTION_IMMUTABLE, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["softDeleteRetentionInDays"] = json!(30)),
        )
    });
    assert_seed(
        &r,
        &errors::RETENTION_IMMUTABLE,
        "The property \"softDeleteRetentionInDays\" cannot be changed once soft delete is enabled on the vault.",
    );
}

#[test]
fn vault_without_tenant_id_sku_access_policies_or_properties_is_refused() {
    let mut env = with_group();
    for (field, text) in [
        ("tenantId", "The parameter tenantId is not specified."),
        ("sku", "The parameter sku is not specified."),
        (
            "accessPolicies",
            "The parameter accessPolicies is not specified.",
        ),
    ] {
        let r = env.refused(&errors::VAULT_PARAMETER_MISSING, |env| {
            env.put_vault(
                VAULT,
                vault_with(|b| {
                    b["properties"].as_object_mut().unwrap().remove(field);
                }),
            )
        });
        assert_seed(&r, &errors::VAULT_PARAMETER_MISSING, text);
    }
    let r = env.refused(&errors::VAULT_PARAMETER_MISSING, |env| {
        env.put_vault(VAULT, json!({ "location": "eastus" }))
    });
    assert_seed(
        &r,
        &errors::VAULT_PARAMETER_MISSING,
        "The parameter properties is not specified.",
    );
    // An RBAC vault needs no access policies.
    let r = env.put_vault(
        VAULT,
        vault_with(|b| {
            b["properties"]
                .as_object_mut()
                .unwrap()
                .remove("accessPolicies");
            b["properties"]["enableRbacAuthorization"] = json!(true);
        }),
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn vault_tenant_id_and_flags_must_have_the_right_types() {
    let mut env = with_group();
    let r = env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["tenantId"] = json!("contoso")),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Path 'properties.tenantId'")
    );
    env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["enableSoftDelete"] = json!("yes")),
        )
    });
    env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.put_vault(VAULT, vault_with(|b| b["properties"] = json!([])))
    });
}

/// A data-plane body that is not JSON: Key Vault's BadParameter, saying where the reader stopped.
#[test]
fn key_body_that_is_not_json_says_where() {
    let mut env = with_group();
    env.put_vault(VAULT, vault_with(|_| {}));
    let url = format!("https://{VAULT}.vault.azure.net/keys/k1/create?api-version={KV}");
    let r = env.refused(&errors::KV_BODY_NOT_JSON, |env| {
        env.raw(
            "POST",
            &url,
            "{\n  \"kty\": \"RSA\"\n  \"key_size\": 2048\n}",
        )
    });
    assert_eq!(
        r.body["error"]["message"],
        "The request body is not valid JSON: After parsing a value an unexpected character was encountered: \". Path 'kty', line 3, position 3."
    );
}

#[test]
fn vault_sku_must_be_standard_or_premium() {
    let mut env = with_group();
    for sku in [json!({ "family": "A", "name": "basic" }), json!("premium")] {
        env.refused(&errors::VAULT_SKU_INVALID, |env| {
            env.put_vault(VAULT, vault_with(|b| b["properties"]["sku"] = sku))
        });
    }
    let r = env.put_vault(
        VAULT,
        vault_with(|b| b["properties"]["sku"]["name"] = json!("Premium")),
    );
    assert_eq!(r.body["properties"]["sku"]["name"], "premium");
}

#[test]
fn vault_location_cannot_change_and_patch_needs_an_existing_vault() {
    let mut env = with_group();
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm(
            "PATCH",
            &Env::vault_path(VAULT),
            KV_ARM,
            Some(json!({ "tags": {} })),
        )
    });
    assert_eq!(
        env.put_vault(VAULT, Env::vault_body(true, true)).status,
        200
    );
    env.refused(&errors::LOCATION_CANNOT_CHANGE, |env| {
        env.put_vault(VAULT, vault_with(|b| b["location"] = json!("westus2")))
    });
}

#[test]
fn malformed_access_policies_are_refused() {
    let mut env = with_group();
    for policies in [
        json!("everyone"),
        json!([5]),
        json!([{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": ["fly"] } }]),
        json!([{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": "get" } }]),
        json!([{ "tenantId": TENANT, "objectId": USER, "permissions": "all" }]),
    ] {
        let r = env.refused(&errors::ACCESS_POLICIES_INVALID, |env| {
            env.put_vault(
                VAULT,
                vault_with(|b| b["properties"]["accessPolicies"] = policies),
            )
        });
        assert_seed(
            &r,
            &errors::ACCESS_POLICIES_INVALID,
            "An invalid value was provided for 'accessPolicies'.",
        );
    }
    for (policy, text) in [
        (
            json!({ "tenantId": TENANT, "objectId": "not-a-guid", "permissions": { "keys": ["get"] } }),
            "Invalid value found at accessPolicies[1].ObjectId: not-a-guid",
        ),
        (
            json!({ "objectId": USER, "permissions": { "keys": ["get"] } }),
            "Invalid value found at accessPolicies[1].TenantId: ",
        ),
        (
            json!({ "tenantId": TENANT, "objectId": USER, "applicationId": "app", "permissions": {} }),
            "Invalid value found at accessPolicies[1].ApplicationId: app",
        ),
    ] {
        let r = env.refused(&errors::ACCESS_POLICY_FIELD_INVALID, |env| {
            env.put_vault(
                VAULT,
                vault_with(|b| {
                    b["properties"]["accessPolicies"]
                        .as_array_mut()
                        .unwrap()
                        .push(policy)
                }),
            )
        });
        assert_seed(&r, &errors::ACCESS_POLICY_FIELD_INVALID, text);
    }
}

#[test]
fn more_than_1024_access_policies_are_refused() {
    let mut env = with_group();
    let entry = |i: usize| json!({ "tenantId": TENANT, "objectId": format!("00000000-0000-4000-8000-{i:012}"), "permissions": { "keys": ["get"] } });
    let many: Vec<Value> = (0..1025).map(entry).collect();
    env.refused(&errors::ACCESS_POLICY_LIMIT, |env| {
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["accessPolicies"] = json!(many)),
        )
    });
    let most: Vec<Value> = (0..1024).map(entry).collect();
    assert_eq!(
        env.put_vault(
            VAULT,
            vault_with(|b| b["properties"]["accessPolicies"] = json!(most))
        )
        .status,
        200
    );
    // One more through accessPolicies/add goes over the limit.
    let r = env.refused(&errors::ACCESS_POLICY_LIMIT, |env| {
        env.policy(VAULT, "add", SOMEONE, &["get"])
    });
    assert_seed(
        &r,
        &errors::ACCESS_POLICY_LIMIT,
        "The number of access policies exceeds the maximum of 1024.",
    );
}

#[test]
fn access_policy_operation_must_be_add_replace_or_remove() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    let r = env.refused(&errors::ACCESS_POLICY_OPERATION_INVALID, |env| {
        env.policy(VAULT, "merge", SOMEONE, &["get"])
    });
    assert_seed(
        &r,
        &errors::ACCESS_POLICY_OPERATION_INVALID,
        "The access policy operation 'merge' is invalid. Use add, replace or remove.",
    );
    env.refused(&errors::VAULT_PARAMETER_MISSING, |env| {
        env.arm(
            "PUT",
            &format!("{}/accessPolicies/add", Env::vault_path(VAULT)),
            KV_ARM,
            Some(json!({ "properties": {} })),
        )
    });
}

#[test]
fn access_policies_add_merges_replace_overwrites_and_remove_subtracts() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    assert_eq!(env.policy(VAULT, "add", SOMEONE, &["get"]).status, 200);
    assert_eq!(
        env.policy(VAULT, "add", SOMEONE, &["WRAPKEY", "get"])
            .status,
        200
    );
    assert_eq!(
        policy_keys(&mut env, VAULT, SOMEONE).unwrap(),
        ["get", "wrapKey"]
    );
    assert_eq!(
        env.policy(VAULT, "replace", SOMEONE, &["unwrapKey", "list"])
            .status,
        200
    );
    assert_eq!(
        policy_keys(&mut env, VAULT, SOMEONE).unwrap(),
        ["unwrapKey", "list"]
    );
    assert_eq!(env.policy(VAULT, "remove", SOMEONE, &["list"]).status, 200);
    assert_eq!(
        policy_keys(&mut env, VAULT, SOMEONE).unwrap(),
        ["unwrapKey"]
    );
    assert_eq!(
        env.policy(VAULT, "remove", SOMEONE, &["unwrapKey"]).status,
        200
    );
    assert_eq!(
        policy_keys(&mut env, VAULT, SOMEONE),
        None,
        "an empty entry is dropped"
    );
    // Naming the principal without permissions removes its entry.
    env.policy(VAULT, "add", SOMEONE, &["get", "list"]);
    env.policy(VAULT, "remove", SOMEONE, &[]);
    assert_eq!(policy_keys(&mut env, VAULT, SOMEONE), None);
    // The user's own entry is untouched throughout.
    assert_eq!(policies(&mut env, VAULT).len(), 1);
    assert!(
        policy_keys(&mut env, VAULT, USER)
            .unwrap()
            .contains(&"create".to_string())
    );
}

// ---- data plane: requests ----------------------------------------------------------------------

#[test]
fn data_plane_requires_an_api_version() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    let r = env.refused(&errors::KV_MISSING_API_VERSION, |env| {
        env.call(
            "GET",
            &format!("https://{VAULT}.vault.azure.net/keys"),
            None,
        )
    });
    assert_seed(
        &r,
        &errors::KV_MISSING_API_VERSION,
        "The api-version query parameter (?api-version=) is required for all requests.",
    );
}

#[test]
fn data_plane_accepts_its_api_versions_and_refuses_others() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for v in [
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "2025-06-01",
        "2025-07-01",
        "2026-04-01",
    ] {
        let r = env.kv_at(VAULT, "GET", "/keys", v, None);
        assert_eq!(r.status, 200, "{v}: {r:?}");
    }
    for v in ["7.0", "2016-10-01", "latest"] {
        let r = env.refused(&errors::KV_BAD_API_VERSION, |env| {
            env.kv_at(VAULT, "GET", "/keys", v, None)
        });
        assert_seed(
            &r,
            &errors::KV_BAD_API_VERSION,
            &format!(
                "The specified version ({v}) is not recognized. Consider using the latest supported version (2026-04-01)."
            ),
        );
    }
}

#[test]
fn data_plane_paths_and_methods_outside_keys_are_refused() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for path in ["/secrets/db-password", "/certificates", "/keys/a/b/c/d"] {
        env.refused(&errors::KV_NOT_FOUND_PATH, |env| env.kv("GET", path, None));
    }
    let r = env.refused(&errors::KV_METHOD_NOT_ALLOWED, |env| {
        env.kv("PUT", "/keys", None)
    });
    assert_seed(
        &r,
        &errors::KV_METHOD_NOT_ALLOWED,
        "The HTTP method 'PUT' is not supported on '/keys'.",
    );
    env.refused(&errors::KV_METHOD_NOT_ALLOWED, |env| {
        env.kv("GET", &format!("/keys/{KEY}/create"), None)
    });
    env.refused(&errors::KV_METHOD_NOT_ALLOWED, |env| {
        env.kv("GET", &format!("/keys/{KEY}/wrapkey"), None)
    });
}

#[test]
fn key_name_with_invalid_characters_is_refused() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for (raw, name) in [
        ("bad_name", "bad_name"),
        ("bad%20name", "bad name"),
        ("k%C3%A9y", "kéy"),
    ] {
        let r = env.refused(&errors::KEY_NAME_INVALID, |env| {
            env.kv(
                "POST",
                &format!("/keys/{raw}/create"),
                Some(json!({ "kty": "RSA" })),
            )
        });
        assert_seed(
            &r,
            &errors::KEY_NAME_INVALID,
            &format!("The request URI contains an invalid name: {name}"),
        );
    }
}

#[test]
fn key_size_must_be_2048_3072_or_4096() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for size in [1024, 2047, 8192] {
        let r = env.refused(&errors::KEY_SIZE_UNSUPPORTED, |env| {
            env.kv(
                "POST",
                &format!("/keys/{KEY}/create"),
                Some(json!({ "kty": "RSA", "key_size": size })),
            )
        });
        assert_seed(
            &r,
            &errors::KEY_SIZE_UNSUPPORTED,
            &format!("Unsupported key size ({size}). Supported sizes are [2048, 3072, 4096]"),
        );
    }
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA", "key_size": "2048" })),
        )
    });
}

#[test]
fn key_type_must_be_rsa() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for kty in ["EC", "EC-HSM", "oct", "oct-HSM"] {
        let r = env.refused(&errors::KEY_TYPE_UNSUPPORTED, |env| {
            env.kv(
                "POST",
                &format!("/keys/{KEY}/create"),
                Some(json!({ "kty": kty })),
            )
        });
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .ends_with(&format!("Got kty '{kty}'."))
        );
    }
    for body in [json!({ "kty": "rsa-ish" }), json!({}), json!({ "kty": 3 })] {
        let r = env.refused(&errors::KV_PROPERTY_INVALID, |env| {
            env.kv("POST", &format!("/keys/{KEY}/create"), Some(body))
        });
        assert_seed(
            &r,
            &errors::KV_PROPERTY_INVALID,
            "Property kty has invalid value\r\n",
        );
    }
    env.refused(&errors::KV_BODY_NOT_JSON, |env| {
        env.raw(
            "POST",
            &format!("https://{VAULT}.vault.azure.net/keys/{KEY}/create?api-version={KV}"),
            "{kty",
        )
    });
}

#[test]
fn rsa_hsm_keys_need_a_premium_vault() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    let r = env.refused(&errors::KEY_HSM_NEEDS_PREMIUM, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA-HSM" })),
        )
    });
    assert_seed(
        &r,
        &errors::KEY_HSM_NEEDS_PREMIUM,
        &format!(
            "HSM-protected keys (kty 'RSA-HSM') require a premium vault; vault '{VAULT}' is standard."
        ),
    );
    env.put_vault(
        "premium-kv",
        vault_with(|b| b["properties"]["sku"]["name"] = json!("premium")),
    );
    let r = env.kv_at(
        "premium-kv",
        "POST",
        &format!("/keys/{KEY}/create"),
        KV,
        Some(json!({ "kty": "RSA-HSM" })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["key"]["kty"], "RSA-HSM");
}

#[test]
fn key_created_with_key_ops_keeps_exactly_those() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA", "key_ops": ["fly"] })),
        )
    });
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_ops": ["wrapKey", "unwrapkey", "wrapKey"], "tags": { "team": "logs" } })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["key"]["key_ops"], json!(["wrapKey", "unwrapKey"]));
    assert_eq!(r.body["tags"]["team"], "logs");
    let kid = r.body["key"]["kid"].as_str().unwrap();
    let version = version_of(&r.body["key"]["kid"]);
    assert_eq!(
        kid,
        format!("https://{VAULT}.vault.azure.net/keys/{KEY}/{version}")
    );
    assert_eq!(version.len(), 32);
    assert!(version.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        from_b64url(r.body["key"]["n"].as_str().unwrap())
            .unwrap()
            .len(),
        256
    );
    assert_eq!(r.body["key"]["e"], "AQAB");
    assert_eq!(r.body["attributes"]["recoveryLevel"], "Recoverable");
    assert_eq!(r.body["attributes"]["recoverableDays"], 90);
    // Default key_ops: every RSA operation.
    let r = env.kv(
        "POST",
        "/keys/default-ops/create",
        Some(json!({ "kty": "RSA" })),
    );
    assert_eq!(
        r.body["key"]["key_ops"],
        json!([
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey"
        ])
    );
}

#[test]
fn creating_an_existing_key_adds_a_version_and_versions_are_listed() {
    let mut env = Env::new();
    let v1 = env.step1_vault_and_key();
    let v2 = env.create_key_in(VAULT, KEY);
    assert_ne!(v1, v2);
    let list = env.kv("GET", &format!("/keys/{KEY}/versions"), None);
    assert_eq!(list.status, 200);
    let kids: Vec<String> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| version_of(&i["kid"]))
        .collect();
    assert_eq!(kids, [v1.clone(), v2.clone()]);
    assert_eq!(
        version_of(&env.kv("GET", &format!("/keys/{KEY}"), None).body["key"]["kid"]),
        v2
    );
    assert_eq!(
        version_of(&env.kv("GET", &format!("/keys/{KEY}/{v1}"), None).body["key"]["kid"]),
        v1
    );
    let all = env.kv("GET", "/keys", None);
    assert_eq!(
        all.body["value"][0]["kid"],
        format!("https://{VAULT}.vault.azure.net/keys/{KEY}")
    );
}

#[test]
fn missing_key_or_version_is_not_found() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let r = env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("GET", "/keys/nokey", None)
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A key with (name/id) nokey was not found in this key vault.")
    );
    let missing = "0123456789abcdef0123456789abcdef";
    let r = env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/keys/{KEY}/{missing}"), None)
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{KEY}/{missing}"))
    );
    env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("GET", "/keys/nokey/versions", None)
    });
    env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("POST", "/keys/nokey/rotate", None)
    });
    env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("DELETE", "/keys/nokey", None)
    });
}

#[test]
fn key_version_can_be_disabled_and_enabled() {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{v}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["attributes"]["enabled"], false);
    assert_eq!(
        env.kv("GET", &format!("/keys/{KEY}"), None).body["attributes"]["enabled"],
        false
    );
    assert!(env.last_alert().contains("disabled"));
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}"),
        Some(json!({ "attributes": { "enabled": true } })),
    );
    assert_eq!(r.body["attributes"]["enabled"], true);
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        env.kv(
            "PATCH",
            &format!("/keys/{KEY}/{v}"),
            Some(json!({ "attributes": { "enabled": "no" } })),
        )
    });
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        env.kv(
            "PATCH",
            &format!("/keys/{KEY}/{v}"),
            Some(json!({ "tags": { "n": 1 } })),
        )
    });
}

#[test]
fn key_rotation_creates_a_new_version_with_the_same_operations() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_ops": ["wrapKey", "unwrapKey"] })),
    );
    let v1 = version_of(&r.body["key"]["kid"]);
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    assert_eq!(r.status, 200, "{r:?}");
    let v2 = version_of(&r.body["key"]["kid"]);
    assert_ne!(v1, v2);
    assert_eq!(r.body["key"]["key_ops"], json!(["wrapKey", "unwrapKey"]));
    assert_ne!(
        r.body["key"]["n"],
        env.kv("GET", &format!("/keys/{KEY}/{v1}"), None).body["key"]["n"]
    );
    // The old version stays enabled.
    assert_eq!(
        env.kv("GET", &format!("/keys/{KEY}/{v1}"), None).body["attributes"]["enabled"],
        true
    );
}

#[test]
fn deleted_key_can_be_read_and_recovered() {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    let now = env.e.now();
    let r = env.kv("DELETE", &format!("/keys/{KEY}"), None);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["recoveryId"],
        format!("https://{VAULT}.vault.azure.net/deletedkeys/{KEY}")
    );
    assert_eq!(r.body["deletedDate"], now);
    assert_eq!(r.body["scheduledPurgeDate"], now + 90 * DAY);
    env.refused(&errors::KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/keys/{KEY}"), None)
    });
    let d = env.kv("GET", &format!("/deletedkeys/{KEY}"), None);
    assert_eq!(d.status, 200);
    assert_eq!(version_of(&d.body["key"]["kid"]), v);
    assert_eq!(
        env.kv("GET", "/deletedkeys", None).body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = env.kv("POST", &format!("/deletedkeys/{KEY}/recover"), None);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        version_of(&env.kv("GET", &format!("/keys/{KEY}"), None).body["key"]["kid"]),
        v
    );
    env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/deletedkeys/{KEY}"), None)
    });
    // The recovered key is no longer scheduled for purge.
    env.advance(91 * DAY);
    assert_eq!(env.kv("GET", &format!("/keys/{KEY}"), None).status, 200);
}

#[test]
fn missing_deleted_key_is_not_found() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    for (method, path) in [
        ("GET", "/deletedkeys/nokey"),
        ("POST", "/deletedkeys/nokey/recover"),
        ("DELETE", "/deletedkeys/nokey"),
    ] {
        let r = env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
            env.kv(method, path, None)
        });
        assert_seed(
            &r,
            &errors::DELETED_KEY_NOT_FOUND,
            "Deleted Key not found: nokey",
        );
    }
}

#[test]
fn deleted_key_name_cannot_be_reused_until_purged() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    env.kv("DELETE", &format!("/keys/{KEY}"), None);
    let r = env.refused(&errors::KEY_DELETED_BUT_RECOVERABLE, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA" })),
        )
    });
    assert_seed(
        &r,
        &errors::KEY_DELETED_BUT_RECOVERABLE,
        &format!(
            "Key {KEY} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged."
        ),
    );
}

#[test]
fn purge_is_forbidden_when_purge_protection_is_on() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    env.kv("DELETE", &format!("/keys/{KEY}"), None);
    let r = env.refused(&errors::KEY_PURGE_PROTECTED, |env| {
        env.kv("DELETE", &format!("/deletedkeys/{KEY}"), None)
    });
    assert_seed(
        &r,
        &errors::KEY_PURGE_PROTECTED,
        &format!(
            "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed. Vault: {VAULT};location=eastus"
        ),
    );
}

#[test]
fn deleted_key_can_be_purged_without_purge_protection() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, false));
    env.create_key_in(VAULT, KEY);
    env.kv("DELETE", &format!("/keys/{KEY}"), None);
    let r = env.kv("DELETE", &format!("/deletedkeys/{KEY}"), None);
    assert_eq!(r.status, 204, "{r:?}");
    env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/deletedkeys/{KEY}"), None)
    });
    assert!(env.timeline_has("purged"));
}

#[test]
fn deleted_key_is_purged_automatically_after_retention() {
    let mut env = with_group();
    env.put_vault(
        VAULT,
        vault_with(|b| b["properties"]["softDeleteRetentionInDays"] = json!(7)),
    );
    env.create_key_in(VAULT, KEY);
    let r = env.kv("DELETE", &format!("/keys/{KEY}"), None);
    assert_eq!(
        r.body["attributes"]["recoveryLevel"],
        "CustomizedRecoverable"
    );
    assert_eq!(r.body["attributes"]["recoverableDays"], 7);
    env.advance(7 * DAY - 1);
    assert_eq!(
        env.kv("GET", &format!("/deletedkeys/{KEY}"), None).status,
        200
    );
    env.advance(1);
    env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/deletedkeys/{KEY}"), None)
    });
    // The name is free again.
    env.create_key_in(VAULT, KEY);
}

#[test]
fn key_deleted_in_a_vault_without_soft_delete_is_gone_at_once() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(false, false));
    env.create_key_in(VAULT, KEY);
    let r = env.kv("DELETE", &format!("/keys/{KEY}"), None);
    assert_eq!(r.status, 200);
    assert!(r.body.get("recoveryId").is_none());
    assert_eq!(r.body["attributes"]["recoveryLevel"], "Purgeable");
    env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
        env.kv("GET", &format!("/deletedkeys/{KEY}"), None)
    });
}

// ---- data plane: wrap and unwrap ---------------------------------------------------------------

#[test]
fn wrap_and_unwrap_round_trip_with_rsa_oaep_256_rsa_oaep_and_rsa1_5() {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    let aek: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    for alg in ["RSA-OAEP-256", "RSA-OAEP", "RSA1_5"] {
        let w = wrap(&mut env, &format!("/keys/{KEY}/wrapkey"), alg, &aek);
        assert_eq!(w.status, 200, "{alg}: {w:?}");
        assert_eq!(
            w.body["kid"],
            format!("https://{VAULT}.vault.azure.net/keys/{KEY}/{v}")
        );
        let wrapped = w.body["value"].as_str().unwrap().to_string();
        assert_eq!(from_b64url(&wrapped).unwrap().len(), 256);
        assert_ne!(from_b64url(&wrapped).unwrap()[..32], aek[..]);
        let u = env.kv(
            "POST",
            &format!("/keys/{KEY}/{v}/unwrapkey"),
            Some(json!({ "alg": alg, "value": wrapped })),
        );
        assert_eq!(u.status, 200, "{alg}: {u:?}");
        assert_eq!(
            from_b64url(u.body["value"].as_str().unwrap()).unwrap(),
            aek,
            "{alg}"
        );
    }
}

#[test]
fn unwrap_with_the_wrong_algorithm_or_key_version_fails() {
    let mut env = Env::new();
    let v1 = env.step1_vault_and_key();
    let w = wrap(
        &mut env,
        &format!("/keys/{KEY}/wrapkey"),
        "RSA-OAEP-256",
        b"account encryption key",
    );
    let wrapped = w.body["value"].clone();
    let r = env.refused(&errors::UNWRAP_FAILED, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/{v1}/unwrapkey"),
            Some(json!({ "alg": "RSA-OAEP", "value": wrapped })),
        )
    });
    assert_seed(
        &r,
        &errors::UNWRAP_FAILED,
        &format!(
            "The value could not be unwrapped with key version {v1} and algorithm RSA-OAEP: wrong key, wrong algorithm or corrupted data."
        ),
    );
    let v2 = version_of(&env.kv("POST", &format!("/keys/{KEY}/rotate"), None).body["key"]["kid"]);
    env.refused(&errors::UNWRAP_FAILED, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/{v2}/unwrapkey"),
            Some(json!({ "alg": "RSA-OAEP-256", "value": wrapped })),
        )
    });
    // Without a version, unwrap uses the latest one: the wrong key here.
    env.refused(&errors::UNWRAP_FAILED, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/unwrapkey"),
            Some(json!({ "alg": "RSA-OAEP-256", "value": wrapped })),
        )
    });
}

#[test]
fn malformed_wrap_requests_are_refused() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let path = format!("/keys/{KEY}/wrapkey");
    for (body, property) in [
        (json!({ "value": "AAAA" }), "alg"),
        (json!({ "alg": "A256KW", "value": "AAAA" }), "alg"),
        (json!({ "alg": "RSA-OAEP-256" }), "value"),
        (
            json!({ "alg": "RSA-OAEP-256", "value": "not base64!" }),
            "value",
        ),
        (
            json!({ "alg": "RSA-OAEP-256", "value": b64url(&[7u8; 191]) }),
            "value",
        ),
    ] {
        let r = env.refused(&errors::KV_PROPERTY_INVALID, |env| {
            env.kv("POST", &path, Some(body))
        });
        assert_seed(
            &r,
            &errors::KV_PROPERTY_INVALID,
            &format!("Property {property} has invalid value\r\n"),
        );
    }
    // 190 bytes is the most RSA-OAEP-256 carries with a 2048-bit key.
    assert_eq!(
        wrap(&mut env, &path, "RSA-OAEP-256", &[7u8; 190]).status,
        200
    );
}

#[test]
fn wrap_with_a_disabled_key_is_refused() {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{v}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    let r = env.refused(&errors::KEY_DISABLED, |env| {
        wrap(env, &format!("/keys/{KEY}/wrapkey"), "RSA-OAEP-256", b"aek")
    });
    assert_seed(
        &r,
        &errors::KEY_DISABLED,
        "Operation wrapKey is not allowed on a disabled key.",
    );
    let r = env.refused(&errors::KEY_DISABLED, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/{v}/unwrapkey"),
            Some(json!({ "alg": "RSA-OAEP-256", "value": b64url(&[1u8; 256]) })),
        )
    });
    assert_seed(
        &r,
        &errors::KEY_DISABLED,
        "Operation unwrapKey is not allowed on a disabled key.",
    );
}

#[test]
fn wrap_with_a_key_whose_operations_exclude_wrap_key_is_refused() {
    let mut env = with_group();
    env.put_vault(VAULT, Env::vault_body(true, true));
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_ops": ["encrypt", "unwrapKey"] })),
    );
    assert_eq!(r.status, 200);
    let r = env.refused(&errors::KEY_OPERATION_FORBIDDEN, |env| {
        wrap(env, &format!("/keys/{KEY}/wrapkey"), "RSA-OAEP-256", b"aek")
    });
    assert_seed(
        &r,
        &errors::KEY_OPERATION_FORBIDDEN,
        "Operation wrapKey is not permitted on this key.",
    );
    // Allowing the operation afterwards makes it work.
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}"),
        Some(json!({ "key_ops": ["wrapKey", "unwrapKey"] })),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        wrap(
            &mut env,
            &format!("/keys/{KEY}/wrapkey"),
            "RSA-OAEP-256",
            b"aek"
        )
        .status,
        200
    );
}

// ---- data plane: authorization and audit --------------------------------------------------------

#[test]
fn caller_without_an_access_policy_is_denied() {
    let mut env = with_group();
    let body = vault_with(|b| {
        b["properties"]["accessPolicies"] = json!([{
            "tenantId": TENANT, "objectId": SOMEONE, "permissions": { "keys": ["all"] }
        }])
    });
    assert_eq!(env.put_vault("locked-kv", body).status, 200);
    let r = env.refused(&errors::KV_ACCESS_DENIED, |env| {
        env.kv_at("locked-kv", "GET", "/keys", KV, None)
    });
    assert_seed(
        &r,
        &errors::KV_ACCESS_DENIED,
        &format!(
            "The user, group or application 'appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid={USER};numgroups=0;iss=https://sts.windows.net/{TENANT}/' does not have keys list permission on key vault 'locked-kv;location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"
        ),
    );
    // A policy with only `get` still cannot create.
    env.policy("locked-kv", "add", USER, &["get"]);
    let r = env.refused(&errors::KV_ACCESS_DENIED, |env| {
        env.kv_at(
            "locked-kv",
            "POST",
            &format!("/keys/{KEY}/create"),
            KV,
            Some(json!({ "kty": "RSA" })),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not have keys create permission")
    );
}

#[test]
fn rbac_vault_forbids_until_a_crypto_officer_role_is_assigned() {
    let mut env = with_group();
    let body = vault_with(|b| {
        b["properties"]["enableRbacAuthorization"] = json!(true);
    });
    assert_eq!(env.put_vault("rbac-kv", body).status, 200);
    // The access policy in the body is ignored on an RBAC vault.
    let r = env.refused(&errors::KV_FORBIDDEN_BY_RBAC, |env| {
        env.kv_at(
            "rbac-kv",
            "POST",
            &format!("/keys/{KEY}/create"),
            KV,
            Some(json!({ "kty": "RSA" })),
        )
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("Action: 'Microsoft.KeyVault/vaults/keys/create/action'"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "Caller: appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid={USER};"
        )),
        "{msg}"
    );
    assert!(msg.contains("Vault: rbac-kv;location=eastus"), "{msg}");
    let scope = Env::vault_path("rbac-kv");
    assert_eq!(
        env.assign_role(&scope, READER, USER, "44444444-4444-4444-8444-444444444444")
            .status,
        201
    );
    env.refused(&errors::KV_FORBIDDEN_BY_RBAC, |env| {
        env.kv_at("rbac-kv", "GET", "/keys", KV, None)
    });
    assert_eq!(
        env.assign_role(
            &scope,
            CRYPTO_OFFICER,
            USER,
            "55555555-5555-4555-8555-555555555555"
        )
        .status,
        201
    );
    env.create_key_in("rbac-kv", KEY);
    let w = env.kv_at(
        "rbac-kv",
        "POST",
        &format!("/keys/{KEY}/wrapkey"),
        KV,
        Some(json!({ "alg": "RSA-OAEP-256", "value": b64url(b"aek") })),
    );
    assert_eq!(w.status, 200);
    // Removing the assignment takes the access away again.
    let del = env.arm(
        "DELETE",
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/55555555-5555-4555-8555-555555555555"),
        "2022-04-01",
        None,
    );
    assert_eq!(del.status, 200);
    env.refused(&errors::KV_FORBIDDEN_BY_RBAC, |env| {
        env.kv_at("rbac-kv", "GET", &format!("/keys/{KEY}"), KV, None)
    });
}

#[test]
fn vault_of_another_tenant_refuses_the_token() {
    let mut env = with_group();
    let body = vault_with(|b| {
        b["properties"]["tenantId"] = json!(OTHER_TENANT);
        b["properties"]["accessPolicies"][0]["tenantId"] = json!(OTHER_TENANT);
    });
    assert_eq!(env.put_vault("foreign-kv", body).status, 200);
    let r = env.refused(&errors::KV_WRONG_TENANT, |env| {
        env.kv_at("foreign-kv", "GET", "/keys", KV, None)
    });
    assert_seed(
        &r,
        &errors::KV_WRONG_TENANT,
        &format!(
            "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{OTHER_TENANT}/, found https://sts.windows.net/{TENANT}/."
        ),
    );
}

#[test]
fn audit_log_records_successes_and_refusals() {
    let mut env = Env::new();
    let v = env.step1_vault_and_key();
    wrap(
        &mut env,
        &format!("/keys/{KEY}/wrapkey"),
        "RSA-OAEP-256",
        b"aek",
    );
    env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{v}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    wrap(
        &mut env,
        &format!("/keys/{KEY}/{v}/wrapkey"),
        "RSA-OAEP-256",
        b"aek",
    );
    env.kv("GET", "/keys/nokey", None);
    let audit = env.e.audit_log();
    let find = |op: &str, result: &str| {
        audit
            .iter()
            .find(|a| a.operation == op && a.result == result)
            .unwrap_or_else(|| panic!("no {op} {result} in {audit:#?}"))
    };
    let create = find("KeyCreate", "Success");
    assert_eq!(
        (create.status, create.caller_object_id.as_str()),
        (200, USER)
    );
    assert_eq!(create.vault, VAULT);
    assert_eq!(find("KeyWrap", "Success").key.as_deref(), Some(KEY));
    let disabled = find("KeyWrap", "KeyDisabled");
    assert_eq!(disabled.status, 403);
    assert_eq!(disabled.version.as_deref(), Some(v.as_str()));
    assert_eq!(
        find("KeyUpdate", "Success").version.as_deref(),
        Some(v.as_str())
    );
    assert_eq!(find("KeyGet", "KeyNotFound").status, 404);
    // Refusals that stop before the vault do not reach its log.
    let before = env.e.audit_log().len();
    env.call(
        "GET",
        &format!("https://nosuchvault.vault.azure.net/keys?api-version={KV}"),
        None,
    );
    assert_eq!(env.e.audit_log().len(), before);
}

#[test]
fn audit_log_records_access_denied_for_the_caller() {
    let mut env = with_group();
    let body = vault_with(|b| {
        b["properties"]["accessPolicies"] =
            json!([{ "tenantId": TENANT, "objectId": SOMEONE, "permissions": { "keys": ["all"] } }])
    });
    env.put_vault("locked-kv", body);
    env.kv_at(
        "locked-kv",
        "POST",
        &format!("/keys/{KEY}/create"),
        KV,
        Some(json!({ "kty": "RSA" })),
    );
    let last = env.e.audit_log().last().unwrap();
    assert_eq!(last.operation, "KeyCreate");
    assert_eq!(last.result, "AccessDenied");
    assert_eq!(last.status, 403);
    assert_eq!(last.caller_object_id, USER);
}

/// The audit log names a key version only when the URL segment is one (32 hex digits): anything
/// else a caller types is kept in the path, not passed off as a version.
#[test]
fn the_audit_log_records_a_version_only_for_a_real_version_segment() {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let odd = "€€€€€€€€€€aa";
    assert_eq!(odd.len(), 32, "32 bytes, but not a version");
    let r = env.kv("GET", &format!("/keys/{KEY}/{odd}"), None);
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(env.e.audit_log().last().unwrap().version, None);
    let r = env.kv("GET", &format!("/keys/{KEY}/{version}"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        env.e.audit_log().last().unwrap().version.as_deref(),
        Some(version.as_str())
    );
}

/// "Key Vault ARM API 2026-02-01 creates new vaults with enableRbacAuthorization=true unless set
/// false; existing vaults unchanged": the current SDKs' 2026-05-15 too; older versions keep the
/// access-policy default.
#[test]
fn from_api_version_2026_02_01_a_new_vault_defaults_to_rbac() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let mut body = Env::vault_body(true, true);
    body["properties"]
        .as_object_mut()
        .unwrap()
        .remove("accessPolicies");
    for (name, api, rbac) in [
        ("kv-new-2605", "2026-05-15", true),
        ("kv-new-2602", "2026-02-01", true),
        ("kv-old-2411", "2024-11-01", false),
    ] {
        let r = env.arm("PUT", &Env::vault_path(name), api, Some(body.clone()));
        if rbac {
            assert!(r.status < 300, "{api}: {r:?}");
            assert_eq!(
                r.body["properties"]["enableRbacAuthorization"], true,
                "{api}"
            );
        } else {
            // Without RBAC an access-policy vault must list its policies.
            assert_eq!(r.status, 400, "{api}: {r:?}");
        }
    }
    // An existing vault keeps its mode when a newer version updates it.
    let r = env.arm(
        "PUT",
        &Env::vault_path(VAULT),
        "2024-11-01",
        Some(Env::vault_body(true, true)),
    );
    assert!(r.status < 300, "{r:?}");
    let r = env.arm(
        "PATCH",
        &Env::vault_path(VAULT),
        "2026-05-15",
        Some(json!({ "properties": { "enabledForDeployment": false } })),
    );
    assert!(r.status < 300, "{r:?}");
    assert_eq!(r.body["properties"]["enableRbacAuthorization"], false);
}

/// The data plane's GA 2026-04-01, the default of the current azure-keyvault-keys.
#[test]
fn the_data_plane_accepts_2026_04_01() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let r = env.e.handle(
        "GET",
        &format!("https://{VAULT}.vault.azure.net/keys/{KEY}?api-version=2026-04-01"),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
}

/// Microsoft's own create-vault example grants the certificate permission `update`.
#[test]
fn access_policies_accept_every_certificate_permission_of_the_spec() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let mut body = Env::vault_body(true, true);
    body["properties"]["accessPolicies"][0]["permissions"]["certificates"] = json!([
        "get",
        "list",
        "delete",
        "create",
        "import",
        "update",
        "managecontacts",
        "getissuers",
        "listissuers",
        "setissuers",
        "deleteissuers",
        "manageissuers",
        "recover",
        "purge"
    ]);
    let r = env.put_vault(VAULT, body);
    assert!(r.status < 300, "{r:?}");
    assert!(
        r.body["properties"]["accessPolicies"][0]["permissions"]["certificates"]
            .as_array()
            .unwrap()
            .contains(&json!("update"))
    );
}

/// `encrypt` and `decrypt` (the keys advertise them in `key_ops`): the same RSA operations as
/// wrapKey/unwrapKey, under their own access-policy permissions and key operations.
#[test]
fn keys_encrypt_and_decrypt_under_their_own_permissions() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let plain = cmk_playground::engine::crypto::b64url(b"a secret the runbook keeps");
    let body = json!({ "alg": "RSA-OAEP-256", "value": plain });
    // The fixture's policy grants wrapKey/unwrapKey, not encrypt.
    env.refused(&errors::KV_ACCESS_DENIED, |env| {
        env.kv("POST", &format!("/keys/{KEY}/encrypt"), Some(body.clone()))
    });
    let r = env.policy(VAULT, "add", USER, &["encrypt", "decrypt"]);
    assert_eq!(r.status, 200, "{r:?}");
    let r = env.kv("POST", &format!("/keys/{KEY}/encrypt"), Some(body.clone()));
    assert_eq!(r.status, 200, "{r:?}");
    let cipher = r.body["value"].as_str().unwrap().to_string();
    assert_ne!(cipher, plain);
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/decrypt"),
        Some(json!({ "alg": "RSA-OAEP-256", "value": cipher })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["value"], plain);
    // A key whose key_ops leave encrypt out refuses it.
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}"),
        Some(json!({ "key_ops": ["wrapKey", "unwrapKey"] })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    env.refused(&errors::KEY_OPERATION_FORBIDDEN, |env| {
        env.kv("POST", &format!("/keys/{KEY}/encrypt"), Some(body.clone()))
    });
    let audit = env.e.snapshot().audit;
    assert!(audit.iter().any(|a| a.operation == "KeyEncrypt"));
    assert!(audit.iter().any(|a| a.operation == "KeyDecrypt"));
}

/// `sign` and `verify` over a digest (the keys advertise them in `key_ops`): RS256/384/512 are
/// RSASSA-PKCS1-v1_5 and PS256/384/512 RSASSA-PSS, real signatures that the key's public half
/// (its JWK) verifies, each under its own permission, key_ops entry and audit name.
#[test]
fn keys_sign_and_verify_digests_under_their_own_permissions() {
    use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
    use sha2::{Digest, Sha256, Sha512};

    let mut env = Env::new();
    env.step1_vault_and_key();
    let digest = Sha256::digest(b"a CMK runbook, signed").to_vec();
    let sign = json!({ "alg": "RS256", "value": b64url(&digest) });
    // The fixture's policy grants wrapKey/unwrapKey, not sign.
    env.refused(&errors::KV_ACCESS_DENIED, |env| {
        env.kv("POST", &format!("/keys/{KEY}/sign"), Some(sign.clone()))
    });
    let r = env.policy(VAULT, "add", USER, &["sign", "verify"]);
    assert_eq!(r.status, 200, "{r:?}");
    let jwk = env.kv("GET", &format!("/keys/{KEY}"), None).body["key"].clone();
    let public = RsaPublicKey::new(
        BigUint::from_bytes_be(&from_b64url(jwk["n"].as_str().unwrap()).unwrap()),
        BigUint::from_bytes_be(&from_b64url(jwk["e"].as_str().unwrap()).unwrap()),
    )
    .unwrap();

    let r = env.kv("POST", &format!("/keys/{KEY}/sign"), Some(sign.clone()));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["kid"], jwk["kid"]);
    let rs256 = from_b64url(r.body["value"].as_str().unwrap()).unwrap();
    public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &rs256)
        .expect("an RS256 signature the public key verifies");

    let digest512 = Sha512::digest(b"a CMK runbook, signed").to_vec();
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/sign"),
        Some(json!({ "alg": "PS512", "value": b64url(&digest512) })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let ps512 = from_b64url(r.body["value"].as_str().unwrap()).unwrap();
    public
        .verify(Pss::new::<Sha512>(), &digest512, &ps512)
        .expect("a PS512 signature the public key verifies");

    // verify answers whether the signature holds; a wrong one is `false`, not an error.
    let verify = |env: &mut Env, alg: &str, digest: &[u8], sig: &[u8]| {
        let r = env.kv(
            "POST",
            &format!("/keys/{KEY}/verify"),
            Some(json!({ "alg": alg, "digest": b64url(digest), "value": b64url(sig) })),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.body["value"].clone()
    };
    assert_eq!(verify(&mut env, "RS256", &digest, &rs256), json!(true));
    assert_eq!(verify(&mut env, "PS512", &digest512, &ps512), json!(true));
    let other = Sha256::digest(b"something else").to_vec();
    assert_eq!(verify(&mut env, "RS256", &other, &rs256), json!(false));
    assert_eq!(verify(&mut env, "PS256", &digest, &rs256), json!(false));

    // A digest that is not as long as the algorithm's hash, or an unknown algorithm, is refused.
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        let body = json!({ "alg": "RS512", "value": b64url(&digest) });
        env.kv("POST", &format!("/keys/{KEY}/sign"), Some(body))
    });
    env.refused(&errors::KV_PROPERTY_INVALID, |env| {
        let body = json!({ "alg": "ES256", "value": b64url(&digest) });
        env.kv("POST", &format!("/keys/{KEY}/sign"), Some(body))
    });
    // A key whose key_ops leave sign out refuses it.
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}"),
        Some(json!({ "key_ops": ["wrapKey", "unwrapKey", "verify"] })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    env.refused(&errors::KEY_OPERATION_FORBIDDEN, |env| {
        env.kv("POST", &format!("/keys/{KEY}/sign"), Some(sign.clone()))
    });
    let audit = env.e.snapshot().audit;
    assert!(audit.iter().any(|a| a.operation == "KeySign"));
    assert!(audit.iter().any(|a| a.operation == "KeyVerify"));
}

/// On an RBAC vault sign and verify need the data actions keys/sign/action and
/// keys/verify/action: Key Vault Crypto Officer has them (keys/*), Crypto Service Encryption User
/// (wrap, unwrap, read) does not.
#[test]
fn keys_sign_on_an_rbac_vault_needs_the_sign_data_action() {
    let mut env = with_group();
    env.rbac_vault("rbac-kv");
    let digest = b64url(&[7u8; 32]);
    let sign = json!({ "alg": "PS256", "value": digest });
    let r = env.kv_at(
        "rbac-kv",
        "POST",
        &format!("/keys/{KEY}/sign"),
        KV,
        Some(sign.clone()),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let path = Env::vault_path("rbac-kv");
    let r = env.arm("DELETE", &format!("{path}/providers/Microsoft.Authorization/roleAssignments/11111111-1111-4111-8111-111111111111"), "2022-04-01", None);
    assert_eq!(r.status, 200, "{r:?}");
    let r = env.assign_role(
        &path,
        CRYPTO_SERVICE_ENCRYPTION_USER,
        USER,
        "22222222-2222-4222-8222-222222222222",
    );
    assert_eq!(r.status, 201, "{r:?}");
    env.refused(&errors::KV_FORBIDDEN_BY_RBAC, |env| {
        env.kv_at(
            "rbac-kv",
            "POST",
            &format!("/keys/{KEY}/sign"),
            KV,
            Some(sign.clone()),
        )
    });
}
