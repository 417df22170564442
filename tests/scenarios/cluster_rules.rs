//! The documented rules on `Microsoft.OperationalInsights/clusters`: create, update, delete and
//! get validations, the key identifier checks, and the asynchronous operations.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

fn body_with(f: impl FnOnce(&mut Value)) -> Value {
    let mut b = Env::cluster_body();
    f(&mut b);
    b
}

/// A resource group and nothing else.
fn empty_env() -> Env {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env
}

/// Vault with a key, a provisioned cluster, and the cluster's access policy granted.
/// Returns (env, first key version, cluster principal).
fn ready() -> (Env, String, String) {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    (env, version, principal)
}

/// Vault with a key and a provisioned cluster, but no access policy for the cluster yet.
fn ungranted() -> (Env, String, String) {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let principal = env.step2_cluster();
    (env, version, principal)
}

fn key_props_for(vault: &str, key: &str, version: &str) -> Value {
    json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": format!("https://{vault}.vault.azure.net"),
        "keyName": key,
        "keyVersion": version
    }}})
}

/// PATCHes the key identifier; the request must fail validation with the seed's message.
#[track_caller]
fn key_update_fails_validation(env: &mut Env, body: Value) -> String {
    let r = env.refused(&errors::KEY_VALIDATION_FAILED, |env| {
        env.cluster_patch(body)
    });
    assert_seed(
        &r,
        &errors::KEY_VALIDATION_FAILED,
        seed::KEY_VALIDATION_FAILED,
    );
    env.last_alert()
}

fn cluster_state(env: &mut Env) -> String {
    env.get_cluster()["properties"]["provisioningState"]
        .as_str()
        .unwrap()
        .to_string()
}

// ---- name ------------------------------------------------------------------------------------

#[test]
fn cluster_name_with_hyphen_is_not_valid() {
    let mut env = empty_env();
    let r = env.refused(&errors::CLUSTER_NAME_INVALID, |env| {
        env.cluster_put("my-cluster", OI, Env::cluster_body())
    });
    assert_seed(
        &r,
        &errors::CLUSTER_NAME_INVALID,
        seed::CLUSTER_NAME_INVALID,
    );
}

#[test]
fn cluster_name_shorter_than_3_or_longer_than_63_is_not_valid() {
    let mut env = empty_env();
    for name in ["ab".to_string(), "a".repeat(64)] {
        let r = env.refused(&errors::CLUSTER_NAME_INVALID, |env| {
            env.cluster_put(&name, OI, Env::cluster_body())
        });
        assert_seed(
            &r,
            &errors::CLUSTER_NAME_INVALID,
            seed::CLUSTER_NAME_INVALID,
        );
    }
    assert_eq!(env.cluster_put("abc", OI, Env::cluster_body()).status, 202);
}

#[test]
fn cluster_name_of_63_letters_and_digits_is_valid() {
    let mut env = empty_env();
    let name = format!("A{}", "b7".repeat(31));
    assert_eq!(name.len(), 63);
    assert_eq!(env.cluster_put(&name, OI, Env::cluster_body()).status, 202);
}

#[test]
fn cluster_name_with_underscore_or_non_ascii_letter_is_not_valid() {
    let mut env = empty_env();
    for name in ["my_cluster", "cl%C3%BCster", "my.cluster"] {
        let r = env.refused(&errors::CLUSTER_NAME_INVALID, |env| {
            env.cluster_put(name, OI, Env::cluster_body())
        });
        assert_seed(
            &r,
            &errors::CLUSTER_NAME_INVALID,
            seed::CLUSTER_NAME_INVALID,
        );
    }
}

// ---- body ------------------------------------------------------------------------------------

#[test]
fn cluster_body_null_empty_or_malformed_is_refused() {
    let mut env = empty_env();
    let url = format!("{ARM}{}?api-version={OI}", Env::cluster_path(CLUSTER));
    for body in [
        None,
        Some(""),
        Some("{}"),
        Some("null"),
        Some("[1]"),
        Some("\"text\""),
    ] {
        let r = env.refused(&errors::CLUSTER_BODY_INVALID, |env| match body {
            None => env.call("PUT", &url, None),
            Some(b) => env.raw("PUT", &url, b),
        });
        assert_seed(
            &r,
            &errors::CLUSTER_BODY_INVALID,
            seed::CLUSTER_BODY_INVALID,
        );
    }
    let r = env.refused(&errors::CLUSTER_BODY_INVALID, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["properties"] = json!("Cluster")),
        )
    });
    assert_seed(
        &r,
        &errors::CLUSTER_BODY_INVALID,
        seed::CLUSTER_BODY_INVALID,
    );
}

/// Text that is not JSON never reaches the provider: ARM's front door refuses it the way its
/// JSON reader does, with the path, line and position (the page shows where to look).
#[test]
fn cluster_body_that_is_not_json_says_where() {
    let mut env = empty_env();
    let url = format!("{ARM}{}?api-version={OI}", Env::cluster_path(CLUSTER));
    let r = env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.raw(
            "PUT",
            &url,
            "{\n  \"location\": \"eastus\",\n  \"sku\": {\n    \"name\":\n  }\n}",
        )
    });
    assert_eq!(
        r.body["error"]["message"],
        "The request content was invalid and could not be deserialized: 'Unexpected character encountered while parsing value: }. Path 'sku.name', line 5, position 3.'."
    );
    let r = env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.raw("PUT", &url, "{\"location\":")
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("Path 'location', line 1, position 12.'."),
        "{}",
        r.body
    );
}

#[test]
fn double_encryption_flag_of_the_wrong_type_is_bad_format() {
    let mut env = empty_env();
    let r = env.refused(&errors::CLUSTER_BODY_INVALID, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["properties"]["isDoubleEncryptionEnabled"] = json!("yes")),
        )
    });
    assert_seed(
        &r,
        &errors::CLUSTER_BODY_INVALID,
        seed::CLUSTER_BODY_INVALID,
    );
}

#[test]
fn cluster_without_location_is_refused() {
    let mut env = empty_env();
    env.refused(&errors::LOCATION_REQUIRED, |env| {
        env.cluster_put(CLUSTER, OI, body_with(|b| b["location"] = Value::Null))
    });
    env.refused(&errors::LOCATION_NOT_AVAILABLE, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["location"] = json!("atlantis")),
        )
    });
}

#[test]
fn associated_workspaces_are_read_only() {
    let mut env = empty_env();
    env.refused(&errors::READ_ONLY_ASSOCIATED_WORKSPACES, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| {
                b["properties"]["associatedWorkspaces"] = json!([{ "workspaceName": "x" }])
            }),
        )
    });
}

#[test]
fn billing_type_must_be_cluster_or_workspaces() {
    let mut env = empty_env();
    let r = env.refused(&errors::BILLING_TYPE_INVALID, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["properties"]["billingType"] = json!("Free")),
        )
    });
    assert_eq!(
        r.body["error"]["message"],
        "billingType 'Free' is invalid. Set billingType to Cluster or Workspaces."
    );
    let r = env.cluster_put(
        CLUSTER,
        OI,
        body_with(|b| b["properties"]["billingType"] = json!("workspaces")),
    );
    assert_eq!(r.status, 202);
    assert_eq!(env.get_cluster()["properties"]["billingType"], "Workspaces");
}

// ---- SKU and capacity, per api-version era -----------------------------------------------------

#[test]
fn no_sku_is_refused_with_the_seed_wording_in_2020_versions() {
    let mut env = empty_env();
    for version in ["2020-08-01", "2020-10-01"] {
        let r = env.refused(&errors::NO_SKU, |env| {
            env.cluster_put(
                CLUSTER,
                version,
                body_with(|b| {
                    b.as_object_mut().unwrap().remove("sku");
                }),
            )
        });
        assert_seed(&r, &errors::NO_SKU, seed::NO_SKU);
    }
    let r = env.refused(&errors::NO_SKU, |env| {
        env.cluster_put(
            CLUSTER,
            "2020-08-01",
            body_with(|b| b["sku"] = json!("CapacityReservation")),
        )
    });
    assert_seed(&r, &errors::NO_SKU, seed::NO_SKU);
}

#[test]
fn no_sku_names_the_four_2021_tiers_in_2021_06_01() {
    let mut env = empty_env();
    let r = env.refused(&errors::NO_SKU_2021, |env| {
        env.cluster_put(
            CLUSTER,
            "2021-06-01",
            body_with(|b| {
                b.as_object_mut().unwrap().remove("sku");
            }),
        )
    });
    assert_spec(&r, &errors::NO_SKU_2021);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("500, 1000, 2000 or 5000")
    );
}

#[test]
fn no_sku_lists_the_commitment_tiers_from_2022_10_01() {
    let mut env = empty_env();
    for version in ["2022-10-01", "2023-09-01", "2025-02-01"] {
        let r = env.refused(&errors::NO_SKU_TIERS, |env| {
            env.cluster_put(
                CLUSTER,
                version,
                body_with(|b| {
                    b.as_object_mut().unwrap().remove("sku");
                }),
            )
        });
        assert_seed(
            &r,
            &errors::NO_SKU_TIERS,
            "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 100, 200, 300, 400, 500, 1,000, 2,000, 5,000, 10,000, 25,000, or 50,000 GB per day.",
        );
    }
}

#[test]
fn sku_name_other_than_capacity_reservation_is_invalid() {
    let mut env = empty_env();
    let r = env.refused(&errors::SKU_NAME_INVALID, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["sku"] = json!({ "name": "PerGB2018" })),
        )
    });
    assert_seed(&r, &errors::SKU_NAME_INVALID, seed::SKU_NAME_INVALID);
    // The name is compared case-insensitively, as the docs' own samples spell it.
    let r = env.cluster_put(
        CLUSTER,
        OI,
        body_with(|b| b["sku"] = json!({ "name": "capacityreservation", "capacity": 1000 })),
    );
    assert_eq!(r.status, 202, "{r:?}");
}

#[test]
fn capacity_with_a_sku_other_than_capacity_reservation_is_refused() {
    let mut env = empty_env();
    let r = env.refused(&errors::CAPACITY_WITHOUT_SKU, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["sku"] = json!({ "name": "Standalone", "capacity": 1000 })),
        )
    });
    assert_seed(
        &r,
        &errors::CAPACITY_WITHOUT_SKU,
        seed::CAPACITY_WITHOUT_SKU,
    );
}

#[test]
fn missing_capacity_in_the_2020_era_asks_for_1000_or_more() {
    let mut env = empty_env();
    for sku in [
        json!({ "name": "CapacityReservation" }),
        json!({ "name": "CapacityReservation", "capacity": "1000" }),
        json!({ "name": "CapacityReservation", "capacity": -5 }),
    ] {
        let r = env.refused(&errors::MISSING_CAPACITY, |env| {
            env.cluster_put(CLUSTER, "2020-08-01", body_with(|b| b["sku"] = sku))
        });
        assert_seed(&r, &errors::MISSING_CAPACITY, seed::MISSING_CAPACITY);
    }
}

#[test]
fn missing_capacity_in_2021_06_01_lists_its_four_tiers() {
    let mut env = empty_env();
    let r = env.refused(&errors::MISSING_CAPACITY_2021, |env| {
        env.cluster_put(
            CLUSTER,
            "2021-06-01",
            body_with(|b| b["sku"] = json!({ "name": "CapacityReservation" })),
        )
    });
    assert_seed(
        &r,
        &errors::MISSING_CAPACITY_2021,
        "Missing Capacity in SKU. Set Capacity value to 500, 1000, 2000 or 5000 GB/day.",
    );
}

#[test]
fn missing_capacity_from_2022_10_01_lists_the_commitment_tiers() {
    let mut env = empty_env();
    let r = env.refused(&errors::MISSING_CAPACITY_TIERS, |env| {
        env.cluster_put(
            CLUSTER,
            "2022-10-01",
            body_with(|b| b["sku"] = json!({ "name": "CapacityReservation" })),
        )
    });
    assert_seed(
        &r,
        &errors::MISSING_CAPACITY_TIERS,
        "Missing Capacity in SKU. Set Capacity value to 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 25000, 50000 GB per day.",
    );
}

#[test]
fn capacity_in_the_2020_era_must_be_1000_or_more_in_steps_of_100() {
    let mut env = empty_env();
    for capacity in [900, 1050, 100_000] {
        let r = env.refused(&errors::CAPACITY_NOT_IN_RANGE, |env| {
            env.cluster_put(
                CLUSTER,
                "2020-08-01",
                body_with(|b| b["sku"]["capacity"] = json!(capacity)),
            )
        });
        assert_seed(
            &r,
            &errors::CAPACITY_NOT_IN_RANGE,
            seed::CAPACITY_NOT_IN_RANGE,
        );
    }
    let r = env.cluster_put(
        CLUSTER,
        "2020-08-01",
        body_with(|b| b["sku"]["capacity"] = json!(1100)),
    );
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(env.get_cluster()["sku"]["capacity"], 1100);
}

#[test]
fn capacity_in_2021_06_01_must_be_one_of_its_four_tiers() {
    let mut env = empty_env();
    for capacity in [100, 1100, 3000] {
        let r = env.refused(&errors::CAPACITY_NOT_A_TIER, |env| {
            env.cluster_put(
                CLUSTER,
                "2021-06-01",
                body_with(|b| b["sku"]["capacity"] = json!(capacity)),
            )
        });
        assert_eq!(
            r.body["error"]["message"],
            "Capacity in SKU is not in range. Set Capacity value to 500, 1000, 2000, 5000 GB per day."
        );
    }
    let r = env.cluster_put(
        CLUSTER,
        "2021-06-01",
        body_with(|b| b["sku"]["capacity"] = json!(500)),
    );
    assert_eq!(r.status, 202, "{r:?}");
}

#[test]
fn capacity_from_2022_10_01_must_be_a_commitment_tier() {
    let mut env = empty_env();
    let r = env.refused(&errors::CAPACITY_NOT_A_TIER, |env| {
        env.cluster_put(
            CLUSTER,
            "2022-10-01",
            body_with(|b| b["sku"]["capacity"] = json!(1100)),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 25000, 50000"),
        "{}",
        r.body
    );
    let r = env.cluster_put(
        CLUSTER,
        "2022-10-01",
        body_with(|b| b["sku"]["capacity"] = json!(100)),
    );
    assert_eq!(r.status, 202, "{r:?}");
    let c = env.arm("GET", &Env::cluster_path(CLUSTER), "2022-10-01", None);
    assert_eq!(
        c.body["properties"]["capacityReservationProperties"]["minCapacity"],
        100
    );
}

#[test]
fn capacity_decrease_is_locked_for_30_days() {
    let mut env = empty_env();
    let r = env.cluster_put(
        CLUSTER,
        OI,
        body_with(|b| b["sku"]["capacity"] = json!(2000)),
    );
    assert_eq!(r.status, 202);
    env.advance(3 * HOUR);
    let lower = json!({ "sku": { "name": "CapacityReservation", "capacity": 1000 } });
    let r = env.refused(&errors::CAPACITY_LOCKED, |env| {
        env.cluster_patch(lower.clone())
    });
    assert_seed(&r, &errors::CAPACITY_LOCKED, seed::CAPACITY_LOCKED);
    // One second before the 30 days since the SKU was set, still locked.
    env.advance(30 * DAY - 3 * HOUR - 1);
    let r = env.refused(&errors::CAPACITY_LOCKED, |env| {
        env.cluster_patch(lower.clone())
    });
    assert_seed(&r, &errors::CAPACITY_LOCKED, seed::CAPACITY_LOCKED);
    env.advance(1);
    let r = env.cluster_patch(lower);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["sku"]["capacity"], 1000);
}

#[test]
fn capacity_increase_is_allowed_and_restarts_the_30_day_lock() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    env.advance(20 * DAY);
    let r =
        env.cluster_patch(json!({ "sku": { "name": "CapacityReservation", "capacity": 2000 } }));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["sku"]["capacity"], 2000);
    // Day 31 after creation, but only 11 days after the increase.
    env.advance(11 * DAY);
    let lower = json!({ "sku": { "name": "CapacityReservation", "capacity": 1000 } });
    env.refused(&errors::CAPACITY_LOCKED, |env| {
        env.cluster_patch(lower.clone())
    });
    env.advance(19 * DAY);
    assert_eq!(env.cluster_patch(lower).status, 200);
}

#[test]
fn capacity_change_through_put_obeys_the_same_lock() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    let r = env.refused(&errors::CAPACITY_LOCKED, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["sku"]["capacity"] = json!(500)),
        )
    });
    assert_seed(&r, &errors::CAPACITY_LOCKED, seed::CAPACITY_LOCKED);
}

// ---- identity --------------------------------------------------------------------------------

#[test]
fn cluster_without_identity_is_refused() {
    let mut env = empty_env();
    let bodies = [
        body_with(|b| {
            b.as_object_mut().unwrap().remove("identity");
        }),
        body_with(|b| b["identity"] = Value::Null),
        body_with(|b| b["identity"] = json!({})),
        body_with(|b| b["identity"] = json!({ "type": "" })),
        body_with(|b| b["identity"] = json!("SystemAssigned")),
    ];
    for body in bodies {
        let r = env.refused(&errors::IDENTITY_NULL, |env| {
            env.cluster_put(CLUSTER, OI, body)
        });
        assert_seed(&r, &errors::IDENTITY_NULL, seed::IDENTITY_NULL);
    }
}

#[test]
fn cluster_created_with_identity_none_is_refused() {
    let mut env = empty_env();
    let r = env.refused(&errors::IDENTITY_NULL, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| b["identity"] = json!({ "type": "None" })),
        )
    });
    assert_seed(&r, &errors::IDENTITY_NULL, seed::IDENTITY_NULL);
}

#[test]
fn identity_type_other_than_system_or_single_user_assigned_is_not_supported() {
    let mut env = empty_env();
    let (a, _) = env.user_identity("ua-one", "eastus");
    let (b, _) = env.user_identity("ua-two", "eastus");
    for identity in [
        json!({ "type": "SystemAssigned,UserAssigned", "userAssignedIdentities": { a.clone(): {} } }),
        json!({ "type": "UserAssigned" }),
        json!({ "type": "UserAssigned", "userAssignedIdentities": { a.clone(): {}, b.clone(): {} } }),
        json!({ "type": "Magic" }),
    ] {
        env.refused(&errors::IDENTITY_TYPE_INVALID, |env| {
            env.cluster_put(CLUSTER, OI, body_with(|b| b["identity"] = identity))
        });
    }
}

#[test]
fn user_assigned_identity_must_exist() {
    let mut env = empty_env();
    let missing = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost"
    );
    let r = env.refused(&errors::USER_IDENTITY_NOT_FOUND, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| {
                b["identity"] = json!({ "type": "UserAssigned", "userAssignedIdentities": { missing.clone(): {} } })
            }),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&missing)
    );
}

#[test]
fn cluster_with_user_assigned_identity_is_created() {
    let mut env = empty_env();
    let (id, principal) = env.user_identity("cluster-ua", "eastus");
    let r = env.cluster_put(
        CLUSTER,
        OI,
        body_with(|b| {
            b["identity"] =
                json!({ "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } })
        }),
    );
    assert_eq!(r.status, 202, "{r:?}");
    let c = env.get_cluster();
    assert_eq!(c["identity"]["type"], "UserAssigned");
    assert_eq!(
        c["identity"]["userAssignedIdentities"][id.as_str()]["principalId"],
        principal.as_str()
    );
}

#[test]
fn key_vault_properties_on_create_with_system_assigned_identity_are_refused() {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let r = env.refused(&errors::KEY_PROPS_ON_CREATE, |env| {
        env.cluster_put(
            CLUSTER,
            OI,
            body_with(|b| {
                b["properties"]["keyVaultProperties"] =
                    Env::key_props(&version)["properties"]["keyVaultProperties"].clone()
            }),
        )
    });
    assert_seed(&r, &errors::KEY_PROPS_ON_CREATE, seed::KEY_PROPS_ON_CREATE);
}

#[test]
fn key_vault_properties_on_create_with_user_assigned_identity_are_allowed() {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let (id, principal) = env.user_identity("cluster-ua", "eastus");
    let body = body_with(|b| {
        b["identity"] =
            json!({ "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } });
        b["properties"]["keyVaultProperties"] =
            Env::key_props(&version)["properties"]["keyVaultProperties"].clone();
    });
    // Before the identity is granted, the key cannot be validated.
    let r = env.refused(&errors::KEY_VALIDATION_FAILED, |env| {
        env.cluster_put(CLUSTER, OI, body.clone())
    });
    assert_seed(
        &r,
        &errors::KEY_VALIDATION_FAILED,
        seed::KEY_VALIDATION_FAILED,
    );
    let r = env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    assert_eq!(r.status, 200);
    let r = env.cluster_put(CLUSTER, OI, body);
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(3 * HOUR);
    let snap = env.e.snapshot();
    assert_eq!(snap.clusters[0].provisioning_state, "Succeeded");
    assert_eq!(
        snap.clusters[0].key_version_in_use.as_deref(),
        Some(version.as_str())
    );
}

#[test]
fn identity_and_key_in_one_update_are_refused() {
    let (mut env, version, _) = ready();
    let (id, ua_principal) = env.user_identity("cluster-ua", "eastus");
    env.policy(
        VAULT,
        "add",
        &ua_principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let mut both = Env::key_props(&version);
    both["identity"] =
        json!({ "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } });
    let r = env.refused(&errors::IDENTITY_AND_KEY_TOGETHER, |env| {
        env.cluster_patch(both)
    });
    assert_seed(
        &r,
        &errors::IDENTITY_AND_KEY_TOGETHER,
        seed::IDENTITY_AND_KEY_TOGETHER,
    );
    // Two consecutive operations do it.
    let r = env.cluster_patch(json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } } }));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    let r = env.cluster_patch(Env::key_props(&version));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(env.get_cluster()["identity"]["type"], "UserAssigned");
    assert_eq!(
        env.e.snapshot().clusters[0]
            .storage_key
            .as_ref()
            .unwrap()
            .key_name,
        KEY
    );
}

/// The seed says only that an update "should not include both"; the 2026 docs allow an unchanged
/// SystemAssigned identity next to the key details, and the engine follows them. The identity is
/// not regenerated.
#[test]
fn unchanged_system_assigned_identity_may_come_with_the_key() {
    let (mut env, version, principal) = ready();
    let mut body = Env::key_props(&version);
    body["identity"] = json!({ "type": "SystemAssigned" });
    let r = env.cluster_patch(body);
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(
        env.get_cluster()["identity"]["principalId"],
        principal.as_str()
    );
}

/// The same exception for a user-assigned identity, sent back the way GET shows it (ARM ids are
/// case-insensitive): no identity change, so it may come with the key and starts no update.
#[test]
fn unchanged_user_assigned_identity_may_come_with_the_key_in_any_case() {
    let (mut env, version, _) = ready();
    let (id, ua_principal) = env.user_identity("cluster-ua", "eastus");
    env.policy(
        VAULT,
        "add",
        &ua_principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let r = env.cluster_patch(json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } } }));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    let shouted = id.to_ascii_uppercase();
    let r = env.cluster_patch(json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { shouted.clone(): {} } } }));
    assert_eq!(r.status, 200, "nothing to change: {r:?}");
    let mut body = Env::key_props(&version);
    body["identity"] = json!({ "type": "UserAssigned", "userAssignedIdentities": { shouted: {} } });
    let r = env.cluster_patch(body);
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(
        env.e.snapshot().clusters[0].principal_id.as_deref(),
        Some(ua_principal.as_str())
    );
}

/// Switching identity on a cluster that has a key needs the new identity to reach the key, or the
/// switch would quietly revoke access; the documented path is clear the key, switch, grant, set
/// the key again.
#[test]
fn a_new_identity_on_a_cluster_with_a_key_must_have_access_to_the_key() {
    let (mut env, _, _) = ready();
    env.step4_key("");
    let (id, ua_principal) = env.user_identity("cluster-ua", "eastus");
    let switch = json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { id.clone(): {} } } });
    let r = env.refused(&errors::KEY_VALIDATION_FAILED, |env| {
        env.cluster_patch(switch.clone())
    });
    assert_seed(
        &r,
        &errors::KEY_VALIDATION_FAILED,
        seed::KEY_VALIDATION_FAILED,
    );
    env.policy(
        VAULT,
        "add",
        &ua_principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let r = env.cluster_patch(switch);
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(env.e.snapshot().clusters[0].access.state, "accessible");
    // Back to system-assigned: a new identity that cannot have been granted anything yet.
    env.refused(&errors::KEY_VALIDATION_FAILED, |env| {
        env.cluster_patch(json!({ "identity": { "type": "SystemAssigned" } }))
    });
}

#[test]
fn identity_none_is_irreversible() {
    let (mut env, _, principal) = ready();
    let r = env.cluster_patch(json!({ "identity": { "type": "None" } }));
    assert_eq!(r.status, 202, "{r:?}");
    assert!(env.timeline_has("can't be reverted without contacting support"));
    env.advance(HOUR);
    assert_eq!(env.get_cluster()["identity"]["type"], "None");
    assert!(env.e.snapshot().clusters[0].principal_id.is_none());
    let graph = env.call(
        "GET",
        &format!("https://graph.microsoft.com/v1.0/servicePrincipals/{principal}"),
        None,
    );
    assert_eq!(graph.status, 404, "the system identity is retired");
    env.refused(&errors::IDENTITY_NONE_IRREVERSIBLE, |env| {
        env.cluster_patch(json!({ "identity": { "type": "SystemAssigned" } }))
    });
    let (id, _) = env.user_identity("cluster-ua", "eastus");
    env.refused(&errors::IDENTITY_NONE_IRREVERSIBLE, |env| {
        env.cluster_patch(
            json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { id: {} } } }),
        )
    });
}

#[test]
fn cluster_with_identity_none_cannot_validate_a_key() {
    let (mut env, version, _) = ready();
    env.cluster_patch(json!({ "identity": { "type": "None" } }));
    env.advance(HOUR);
    let why = key_update_fails_validation(&mut env, Env::key_props(&version));
    assert!(why.contains("no managed identity"), "{why}");
}

// ---- key identifier --------------------------------------------------------------------------

#[test]
fn key_identifier_with_bad_format_is_refused() {
    let (mut env, version, _) = ready();
    let uri = format!("https://{VAULT}.vault.azure.net");
    for kvp in [
        json!("https://contoso-cmk-kv.vault.azure.net/keys/la-cmk"),
        json!({ "keyVaultUri": "https://contoso.example.com", "keyName": KEY, "keyVersion": "" }),
        json!({ "keyVaultUri": format!("http://{VAULT}.vault.azure.net"), "keyName": KEY }),
        json!({ "keyVaultUri": format!("{uri}/keys/{KEY}"), "keyName": KEY }),
        json!({ "keyName": KEY, "keyVersion": version }),
        json!({ "keyVaultUri": uri, "keyName": "la_cmk" }),
        json!({ "keyVaultUri": uri, "keyName": "" , "keyVersion": version }),
        json!({ "keyVaultUri": uri, "keyName": KEY, "keyVersion": "v1" }),
        json!({ "keyVaultUri": uri, "keyName": KEY, "keyVersion": 5 }),
        json!({ "keyVaultUri": uri, "keyName": KEY, "keyRsaSize": "big" }),
    ] {
        let r = env.refused(&errors::KEY_PROPS_BAD_FORMAT, |env| {
            env.cluster_patch(json!({ "properties": { "keyVaultProperties": kvp } }))
        });
        assert_seed(
            &r,
            &errors::KEY_PROPS_BAD_FORMAT,
            seed::KEY_PROPS_BAD_FORMAT,
        );
    }
    // A trailing slash and any casing of the vault URI are fine.
    let r = env.cluster_patch(json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": "https://Contoso-CMK-KV.vault.azure.net/", "keyName": KEY, "keyVersion": version
    }}}));
    assert_eq!(r.status, 202, "{r:?}");
}

#[test]
fn key_validation_fails_when_the_vault_does_not_exist() {
    let (mut env, _, _) = ready();
    let why = key_update_fails_validation(&mut env, key_props_for("nosuchvault", KEY, ""));
    assert!(why.contains("'nosuchvault' does not exist"), "{why}");
}

#[test]
fn key_validation_fails_when_the_key_does_not_exist() {
    let (mut env, _, _) = ready();
    let why = key_update_fails_validation(&mut env, key_props_for(VAULT, "other-key", ""));
    assert!(why.contains("404 KeyNotFound"), "{why}");
}

#[test]
fn key_validation_fails_when_the_key_version_does_not_exist() {
    let (mut env, _, _) = ready();
    let why = key_update_fails_validation(
        &mut env,
        key_props_for(VAULT, KEY, "0123456789abcdef0123456789abcdef"),
    );
    assert!(why.contains("404 KeyNotFound"), "{why}");
}

#[test]
fn key_validation_fails_when_the_key_is_disabled() {
    let (mut env, version, _) = ready();
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{version}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(r.status, 200);
    let why = key_update_fails_validation(&mut env, Env::key_props(&version));
    assert!(why.contains("is disabled"), "{why}");
    // Auto-rotation resolves to the same (disabled) latest version.
    let why = key_update_fails_validation(&mut env, Env::key_props(""));
    assert!(why.contains("is disabled"), "{why}");
}

#[test]
fn key_validation_fails_when_the_key_has_expired() {
    let (mut env, version, _) = ready();
    let exp = env.e.now() + DAY;
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{version}"),
        Some(json!({ "attributes": { "exp": exp } })),
    );
    assert_eq!(r.status, 200);
    assert_eq!(env.cluster_patch(Env::key_props(&version)).status, 202);
    env.advance(HOUR);
    env.advance(DAY);
    let why = key_update_fails_validation(&mut env, Env::key_props(""));
    assert!(why.contains("has expired"), "{why}");
}

#[test]
fn key_validation_fails_without_get_permission() {
    let (mut env, version, principal) = ungranted();
    env.policy(VAULT, "add", &principal, &["wrapKey", "unwrapKey"]);
    let why = key_update_fails_validation(&mut env, Env::key_props(&version));
    assert!(why.contains("403 Forbidden"), "{why}");
    assert!(why.contains("does not have keys get permission"), "{why}");
}

#[test]
fn key_validation_fails_without_wrap_key_permission() {
    let (mut env, version, principal) = ungranted();
    env.policy(VAULT, "add", &principal, &["get", "unwrapKey"]);
    let why = key_update_fails_validation(&mut env, Env::key_props(&version));
    assert!(
        why.contains("no wrapKey permission (access policy)"),
        "{why}"
    );
}

#[test]
fn key_validation_fails_without_unwrap_key_permission() {
    let (mut env, version, principal) = ungranted();
    env.policy(VAULT, "add", &principal, &["get", "wrapKey"]);
    let why = key_update_fails_validation(&mut env, Env::key_props(&version));
    assert!(
        why.contains("no unwrapKey permission (access policy)"),
        "{why}"
    );
}

#[test]
fn key_validation_fails_when_the_key_does_not_allow_wrapping() {
    let (mut env, _, _) = ready();
    let r = env.kv(
        "POST",
        "/keys/sign-only/create",
        Some(json!({ "kty": "RSA", "key_ops": ["sign", "verify"] })),
    );
    assert_eq!(r.status, 200);
    let why = key_update_fails_validation(&mut env, key_props_for(VAULT, "sign-only", ""));
    assert!(
        why.contains("does not allow the wrapKey operation"),
        "{why}"
    );
}

#[test]
fn key_validation_on_rbac_vault_fails_without_a_role_assignment() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.rbac_vault("rbac-kv");
    let principal = env.step2_cluster();
    // An access policy means nothing on an RBAC vault.
    env.policy(
        "rbac-kv",
        "add",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let why = key_update_fails_validation(&mut env, key_props_for("rbac-kv", KEY, ""));
    assert!(why.contains("Caller is not authorized"), "{why}");
    // Reader is a control-plane role: still no data actions.
    env.assign_role(
        &Env::vault_path("rbac-kv"),
        READER,
        &principal,
        "22222222-2222-4222-8222-222222222222",
    );
    key_update_fails_validation(&mut env, key_props_for("rbac-kv", KEY, ""));
}

#[test]
fn key_validation_on_rbac_vault_succeeds_with_crypto_service_encryption_user() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.rbac_vault("rbac-kv");
    let principal = env.step2_cluster();
    let r = env.assign_role(
        &Env::vault_path("rbac-kv"),
        CRYPTO_SERVICE_ENCRYPTION_USER,
        &principal,
        "33333333-3333-4333-8333-333333333333",
    );
    assert_eq!(r.status, 201, "{r:?}");
    let r = env.cluster_patch(key_props_for("rbac-kv", KEY, ""));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(cluster_state(&mut env), "Succeeded");
    assert_eq!(
        env.e.snapshot().clusters[0]
            .storage_key
            .as_ref()
            .unwrap()
            .vault,
        "rbac-kv"
    );
}

#[test]
fn key_in_a_vault_without_soft_delete_is_not_recoverable() {
    let (mut env, _, principal) = ready();
    assert_eq!(
        env.put_vault("plain-kv", Env::vault_body(false, false))
            .status,
        200
    );
    env.create_key_in("plain-kv", KEY);
    env.policy(
        "plain-kv",
        "add",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let r = env.refused(&errors::KEY_NOT_RECOVERABLE, |env| {
        env.cluster_patch(key_props_for("plain-kv", KEY, ""))
    });
    assert_seed(&r, &errors::KEY_NOT_RECOVERABLE, seed::KEY_NOT_RECOVERABLE);
    assert!(
        env.last_alert().contains("soft delete off"),
        "{}",
        env.last_alert()
    );
}

#[test]
fn key_in_a_vault_without_purge_protection_is_not_recoverable() {
    let (mut env, _, principal) = ready();
    assert_eq!(
        env.put_vault("soft-kv", Env::vault_body(true, false))
            .status,
        200
    );
    env.create_key_in("soft-kv", KEY);
    env.policy(
        "soft-kv",
        "add",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let r = env.refused(&errors::KEY_NOT_RECOVERABLE, |env| {
        env.cluster_patch(key_props_for("soft-kv", KEY, ""))
    });
    assert_seed(&r, &errors::KEY_NOT_RECOVERABLE, seed::KEY_NOT_RECOVERABLE);
    assert!(
        env.last_alert().contains("purge protection off"),
        "{}",
        env.last_alert()
    );
    // Turning purge protection on makes the same key acceptable.
    let r = env.arm(
        "PATCH",
        &Env::vault_path("soft-kv"),
        KV_ARM,
        Some(json!({ "properties": { "enablePurgeProtection": true } })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        env.cluster_patch(key_props_for("soft-kv", KEY, "")).status,
        202
    );
}

#[test]
fn key_in_a_vault_of_another_region_is_refused() {
    let (mut env, _, principal) = ready();
    let mut body = Env::vault_body(true, true);
    body["location"] = json!("westus2");
    assert_eq!(env.put_vault("west-kv", body).status, 200);
    env.create_key_in("west-kv", KEY);
    env.policy(
        "west-kv",
        "add",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    let r = env.refused(&errors::KEY_REGION_MISMATCH, |env| {
        env.cluster_patch(key_props_for("west-kv", KEY, ""))
    });
    assert_eq!(
        r.body["error"]["message"],
        "Key Vault 'west-kv' is in region 'westus2' but the cluster is in 'eastus'. Your Azure Key Vault, cluster and linked Log Analytics workspaces must be in the same region."
    );
}

#[test]
fn key_in_a_vault_of_another_tenant_fails_validation() {
    let (mut env, _, principal) = ready();
    let other = "0f0f0f0f-0000-4000-8000-000000000001";
    let mut body = Env::vault_body(true, true);
    body["properties"]["tenantId"] = json!(other);
    body["properties"]["accessPolicies"] = json!([{
        "tenantId": other, "objectId": principal,
        "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
    }]);
    assert_eq!(env.put_vault("foreign-kv", body).status, 200);
    let why = key_update_fails_validation(&mut env, key_props_for("foreign-kv", KEY, ""));
    assert!(why.contains("401 Unauthorized"), "{why}");
    assert!(why.contains("AKV10032"), "{why}");
}

#[test]
fn empty_key_version_means_auto_rotation() {
    let (mut env, v1, _) = ready();
    env.step4_key("");
    let c = env.get_cluster();
    assert_eq!(c["properties"]["keyVaultProperties"]["keyVersion"], "");
    assert_eq!(
        env.e.snapshot().clusters[0].key_version_in_use.as_deref(),
        Some(v1.as_str())
    );
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    assert_eq!(r.status, 200);
    let v2 = version_of(&r.body["key"]["kid"]);
    assert_ne!(v1, v2);
    assert_eq!(
        env.e.snapshot().clusters[0].key_version_in_use.as_deref(),
        Some(v2.as_str()),
        "storage follows the latest version"
    );
}

#[test]
fn omitted_key_version_means_auto_rotation() {
    let (mut env, v1, _) = ready();
    let r = env.cluster_patch(json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": format!("https://{VAULT}.vault.azure.net"), "keyName": KEY
    }}}));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert_eq!(
        env.get_cluster()["properties"]["keyVaultProperties"]["keyVersion"],
        ""
    );
    assert_eq!(
        env.e.snapshot().clusters[0].key_version_in_use.as_deref(),
        Some(v1.as_str())
    );
}

#[test]
fn explicit_key_version_stays_in_use_after_rotation() {
    let (mut env, v1, _) = ready();
    env.step4_key(&v1);
    assert_eq!(
        env.get_cluster()["properties"]["keyVaultProperties"]["keyVersion"],
        v1.as_str()
    );
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    assert_eq!(r.status, 200);
    assert_eq!(
        env.e.snapshot().clusters[0].key_version_in_use.as_deref(),
        Some(v1.as_str()),
        "a pinned version needs an explicit update"
    );
}

#[test]
fn clearing_the_key_identifier_returns_to_microsoft_managed_keys() {
    let (mut env, _, _) = ready();
    env.step4_key("");
    let r = env.cluster_patch(json!({ "properties": { "keyVaultProperties": {
        "keyVaultUri": "", "keyName": "", "keyVersion": ""
    }}}));
    assert_eq!(r.status, 202, "{r:?}");
    env.advance(HOUR);
    assert!(
        env.get_cluster()["properties"]
            .get("keyVaultProperties")
            .is_none()
    );
    assert!(env.e.snapshot().clusters[0].storage_key.is_none());
}

// ---- double encryption -------------------------------------------------------------------------

#[test]
fn double_encryption_is_enabled_by_default() {
    let mut env = empty_env();
    env.create_cluster();
    assert_eq!(
        env.get_cluster()["properties"]["isDoubleEncryptionEnabled"],
        true
    );
}

#[test]
fn double_encryption_is_not_supported_in_west_central_us_and_brazil_southeast() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    for (region, display) in [
        ("westcentralus", "West Central US"),
        ("brazilsoutheast", "Brazil Southeast"),
    ] {
        let r = env.refused(&errors::DOUBLE_ENCRYPTION_UNSUPPORTED, |env| {
            env.cluster_put(CLUSTER, OI, body_with(|b| b["location"] = json!(region)))
        });
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(
            msg.ends_with(seed::DOUBLE_ENCRYPTION_UNSUPPORTED_TAIL),
            "{msg}"
        );
        assert_eq!(
            msg,
            format!("{display}{}", seed::DOUBLE_ENCRYPTION_UNSUPPORTED_TAIL)
        );
        let name = format!("cl{region}");
        let r = env.cluster_put(
            &name,
            OI,
            body_with(|b| {
                b["location"] = json!(region);
                b["properties"]["isDoubleEncryptionEnabled"] = json!(false);
            }),
        );
        assert_eq!(r.status, 202, "{r:?}");
        let c = env.arm("GET", &Env::cluster_path(&name), OI, None);
        assert_eq!(c.body["properties"]["isDoubleEncryptionEnabled"], false);
    }
}

#[test]
fn double_encryption_cannot_be_changed_after_creation() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    let r = env.refused(&errors::DOUBLE_ENCRYPTION_IMMUTABLE, |env| {
        env.cluster_patch(json!({ "properties": { "isDoubleEncryptionEnabled": false } }))
    });
    assert_seed(
        &r,
        &errors::DOUBLE_ENCRYPTION_IMMUTABLE,
        seed::DOUBLE_ENCRYPTION_IMMUTABLE,
    );
    let r = env.cluster_patch(json!({ "properties": { "isDoubleEncryptionEnabled": true } }));
    assert_eq!(r.status, 200, "sending the current value is not a change");
}

/// The cluster API reference: `isAvailabilityZonesEnabled` cannot be modified after creation.
#[test]
fn availability_zones_cannot_be_changed_after_creation() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    assert_eq!(
        env.get_cluster()["properties"]["isAvailabilityZonesEnabled"],
        true
    );
    env.refused(&errors::AVAILABILITY_ZONES_IMMUTABLE, |env| {
        env.cluster_patch(json!({ "properties": { "isAvailabilityZonesEnabled": false } }))
    });
    let r = env.cluster_patch(json!({ "properties": { "isAvailabilityZonesEnabled": true } }));
    assert_eq!(r.status, 200, "sending the current value is not a change");
}

// ---- limits ----------------------------------------------------------------------------------

#[test]
fn third_cluster_in_a_region_and_subscription_is_refused() {
    let mut env = empty_env();
    assert_eq!(
        env.cluster_put("first01", OI, Env::cluster_body()).status,
        202
    );
    assert_eq!(
        env.cluster_put("second02", OI, Env::cluster_body()).status,
        202
    );
    let r = env.refused(&errors::CLUSTER_LIMIT_REACHED, |env| {
        env.cluster_put("third03", OI, Env::cluster_body())
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The max number of cluster per region and subscription is 2. Subscription '{SUB}' already has 2 clusters in region 'eastus'."
        )
    );
    // Another region, or another subscription, has its own allowance.
    let r = env.cluster_put(
        "third03",
        OI,
        body_with(|b| b["location"] = json!("westus2")),
    );
    assert_eq!(r.status, 202, "{r:?}");
    env.group_in(SUB2, RG, "eastus");
    let r = env.arm(
        "PUT",
        &format!("/subscriptions/{SUB2}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/clusters/other04"),
        OI,
        Some(Env::cluster_body()),
    );
    assert_eq!(r.status, 202, "{r:?}");
}

#[test]
fn deleted_cluster_name_is_reserved_for_14_days() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    let r = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(r.status, 200, "no linked workspaces: deleted at once");
    let r = env.refused(&errors::CLUSTER_NOT_FOUND, |env| {
        env.arm("GET", &Env::cluster_path(CLUSTER), OI, None)
    });
    assert_seed(&r, &errors::CLUSTER_NOT_FOUND, seed::CLUSTER_NOT_FOUND);
    let r = env.refused(&errors::CLUSTER_NAME_RESERVED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("Cluster name '{CLUSTER}' is reserved.")),
        "{msg}"
    );
    assert!(msg.contains("2026-03-02 11:00:00 UTC"), "deleted on: {msg}");
    assert!(
        msg.contains("2026-03-16 11:00:00 UTC"),
        "released on: {msg}"
    );
    env.advance(14 * DAY - 1);
    env.refused(&errors::CLUSTER_NAME_RESERVED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    env.advance(1);
    assert_eq!(
        env.cluster_put(CLUSTER, OI, Env::cluster_body()).status,
        202
    );
}

#[test]
fn get_of_a_missing_cluster_is_not_found() {
    let mut env = empty_env();
    let r = env.refused(&errors::CLUSTER_NOT_FOUND, |env| {
        env.arm("GET", &Env::cluster_path("nothere"), OI, None)
    });
    assert_seed(&r, &errors::CLUSTER_NOT_FOUND, seed::CLUSTER_NOT_FOUND);
    let r = env.refused(&errors::CLUSTER_NOT_FOUND, |env| {
        env.arm(
            "PATCH",
            &Env::cluster_path("nothere"),
            OI,
            Some(json!({ "tags": {} })),
        )
    });
    assert_seed(&r, &errors::CLUSTER_NOT_FOUND, seed::CLUSTER_NOT_FOUND);
    assert_eq!(
        env.arm("DELETE", &Env::cluster_path("nothere"), OI, None)
            .status,
        204
    );
}

#[test]
fn cluster_location_cannot_change() {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    let r = env.refused(&errors::LOCATION_CANNOT_CHANGE, |env| {
        env.cluster_put(CLUSTER, OI, body_with(|b| b["location"] = json!("westus2")))
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'eastus'")
    );
}

// ---- operations in flight --------------------------------------------------------------------

#[test]
fn update_while_provisioning_is_refused() {
    let mut env = empty_env();
    env.create_cluster();
    let r = env.refused(&errors::CLUSTER_OPERATION_IN_PROGRESS, |env| {
        env.cluster_patch(json!({ "tags": { "a": "b" } }))
    });
    assert_seed(
        &r,
        &errors::CLUSTER_OPERATION_IN_PROGRESS,
        seed::CLUSTER_OPERATION_IN_PROGRESS,
    );
    let r = env.refused(&errors::CLUSTER_OPERATION_NOT_SUCCEEDED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    assert_seed(
        &r,
        &errors::CLUSTER_OPERATION_NOT_SUCCEEDED,
        seed::CLUSTER_OPERATION_NOT_SUCCEEDED,
    );
    env.advance(3 * HOUR);
    assert_eq!(
        env.cluster_patch(json!({ "tags": { "a": "b" } })).status,
        200
    );
}

#[test]
fn update_while_updating_is_refused() {
    let (mut env, version, _) = ready();
    assert_eq!(env.cluster_patch(Env::key_props(&version)).status, 202);
    assert_eq!(cluster_state(&mut env), "Updating");
    let r = env.refused(&errors::CLUSTER_OPERATION_IN_PROGRESS, |env| {
        env.cluster_patch(Env::key_props(""))
    });
    assert_seed(
        &r,
        &errors::CLUSTER_OPERATION_IN_PROGRESS,
        seed::CLUSTER_OPERATION_IN_PROGRESS,
    );
    let r = env.refused(&errors::CLUSTER_OPERATION_NOT_SUCCEEDED, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    assert_seed(
        &r,
        &errors::CLUSTER_OPERATION_NOT_SUCCEEDED,
        seed::CLUSTER_OPERATION_NOT_SUCCEEDED,
    );
}

#[test]
fn delete_while_provisioning_is_refused() {
    let mut env = empty_env();
    env.create_cluster();
    let r = env.refused(&errors::CLUSTER_DELETE_WHILE_PROVISIONING, |env| {
        env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None)
    });
    assert_seed(
        &r,
        &errors::CLUSTER_DELETE_WHILE_PROVISIONING,
        seed::CLUSTER_DELETE_WHILE_PROVISIONING,
    );
}

/// A provisioned cluster with a linked workspace, being deleted. Returns the DELETE's 202.
fn deleting() -> (Env, cmk_playground::engine::Response) {
    let mut env = empty_env();
    env.create_cluster();
    env.advance(3 * HOUR);
    env.step5_link(WS);
    let r = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(r.status, 202, "{r:?}");
    (env, r)
}

#[test]
fn update_while_deleting_is_refused_with_the_patch_wording() {
    let (mut env, _) = deleting();
    assert_eq!(cluster_state(&mut env), "Deleting");
    let r = env.refused(&errors::CLUSTER_DELETING, |env| {
        env.cluster_patch(json!({ "tags": { "a": "b" } }))
    });
    assert_seed(&r, &errors::CLUSTER_DELETING, seed::CLUSTER_DELETING);
}

#[test]
fn update_while_deleting_is_refused_with_the_put_wording() {
    let (mut env, _) = deleting();
    let r = env.refused(&errors::CLUSTER_DELETING_IN_PROGRESS, |env| {
        env.cluster_put(CLUSTER, OI, Env::cluster_body())
    });
    assert_seed(
        &r,
        &errors::CLUSTER_DELETING_IN_PROGRESS,
        seed::CLUSTER_DELETING_IN_PROGRESS,
    );
}

#[test]
fn cluster_delete_with_linked_workspaces_is_asynchronous() {
    let (mut env, r) = deleting();
    let status = env.op_status(&r);
    assert_eq!(status["status"], "Deleting");
    // A second DELETE reports the same operation.
    let again = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(again.status, 202);
    assert_eq!(
        again.header("Azure-AsyncOperation"),
        r.header("Azure-AsyncOperation")
    );
    env.advance(HOUR);
    assert_eq!(env.op_status(&r)["status"], "Succeeded");
    let results = env.call("GET", r.header("Location").unwrap(), None);
    assert_eq!(results.status, 204);
    let gone = env.arm("GET", &Env::cluster_path(CLUSTER), OI, None);
    assert_seed(&gone, &errors::CLUSTER_NOT_FOUND, seed::CLUSTER_NOT_FOUND);
}

#[test]
fn key_update_fails_at_completion_when_access_is_removed_meanwhile() {
    let (mut env, version, principal) = ready();
    let r = env.cluster_patch(Env::key_props(&version));
    assert_eq!(r.status, 202);
    // The desired state shows at once, as ARM stores it.
    assert_eq!(
        env.get_cluster()["properties"]["keyVaultProperties"]["keyName"],
        KEY
    );
    let body = json!({ "properties": { "accessPolicies": [{ "tenantId": TENANT, "objectId": principal }] } });
    let rm = env.arm(
        "PUT",
        &format!("{}/accessPolicies/remove", Env::vault_path(VAULT)),
        KV_ARM,
        Some(body),
    );
    assert_eq!(rm.status, 200, "{rm:?}");
    env.advance(HOUR);
    let status = env.op_status(&r);
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], errors::KEY_VALIDATION_FAILED.code);
    assert_eq!(status["error"]["message"], seed::KEY_VALIDATION_FAILED);
    assert!(status["endTime"].is_string());
    let results = env.call("GET", r.header("Location").unwrap(), None);
    assert_seed(
        &results,
        &errors::KEY_VALIDATION_FAILED,
        seed::KEY_VALIDATION_FAILED,
    );
    let c = env.get_cluster();
    assert_eq!(c["properties"]["provisioningState"], "Succeeded");
    assert!(
        c["properties"].get("keyVaultProperties").is_none(),
        "key reverted: {c}"
    );
    assert!(env.e.snapshot().clusters[0].storage_key.is_none());
}

#[test]
fn failed_key_update_reverts_to_the_previous_key() {
    let (mut env, v1, _) = ready();
    env.step4_key(&v1);
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    let v2 = version_of(&r.body["key"]["kid"]);
    let r = env.cluster_patch(Env::key_props(&v2));
    assert_eq!(r.status, 202);
    let dis = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{v2}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(dis.status, 200);
    env.advance(HOUR);
    assert_eq!(env.op_status(&r)["status"], "Failed");
    assert_eq!(
        env.get_cluster()["properties"]["keyVaultProperties"]["keyVersion"],
        v1.as_str()
    );
    assert_eq!(
        env.e.snapshot().clusters[0].key_version_in_use.as_deref(),
        Some(v1.as_str())
    );
}

#[test]
fn operation_status_and_results_urls_follow_a_key_update() {
    let (mut env, version, _) = ready();
    let r = env.cluster_patch(Env::key_props(&version));
    assert_eq!(r.status, 202);
    assert!(r.header("Retry-After").is_some());
    let status_url = r.header("Azure-AsyncOperation").unwrap().to_string();
    let location = r.header("Location").unwrap().to_string();
    assert!(status_url.starts_with(&format!(
        "{ARM}/subscriptions/{SUB}/providers/Microsoft.OperationalInsights/locations/eastus/operationStatuses/"
    )), "{status_url}");
    assert!(status_url.ends_with(&format!("?api-version={OI}")));
    assert!(
        location.starts_with(&format!(
            "{ARM}{}/operationResults/",
            Env::cluster_path(CLUSTER)
        )),
        "{location}"
    );
    let s = env.op_status(&r);
    assert_eq!(s["status"], "Updating");
    assert_eq!(
        s["name"],
        status_url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    assert_eq!(env.call("GET", &location, None).status, 202);
    env.advance(HOUR);
    assert_eq!(env.op_status(&r)["status"], "Succeeded");
    let done = env.call("GET", &location, None);
    assert_eq!(done.status, 200);
    assert_eq!(
        done.body["properties"]["keyVaultProperties"]["keyName"],
        KEY
    );
}

#[test]
fn unknown_operation_is_not_found() {
    let mut env = empty_env();
    let r = env.create_cluster();
    let url = r.header("Azure-AsyncOperation").unwrap().to_string();
    let r = env.refused(&errors::OPERATION_NOT_FOUND, |env| {
        env.arm(
            "GET",
            &format!("/subscriptions/{SUB}/providers/Microsoft.OperationalInsights/locations/eastus/operationStatuses/00000000-0000-4000-8000-000000000000"),
            OI,
            None,
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("00000000-0000-4000-8000-000000000000")
    );
    // The operation belongs to its subscription.
    let other = url.replace(SUB, SUB2);
    env.refused(&errors::OPERATION_NOT_FOUND, |env| {
        env.call("GET", &other, None)
    });
}

#[test]
fn clusters_are_listed_by_group_and_subscription() {
    let mut env = empty_env();
    env.create_cluster();
    env.group("other-rg", "eastus");
    let r = env.arm(
        "PUT",
        &format!("/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.OperationalInsights/clusters/second02"),
        OI,
        Some(Env::cluster_body()),
    );
    assert_eq!(r.status, 202);
    let by_group = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/clusters"),
        OI,
        None,
    );
    assert_eq!(by_group.body["value"].as_array().unwrap().len(), 1);
    let by_sub = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers/Microsoft.OperationalInsights/clusters"),
        OI,
        None,
    );
    assert_eq!(by_sub.body["value"].as_array().unwrap().len(), 2);
}
