//! A customer's own storage account (`Microsoft.Storage/storageAccounts`) under a customer-managed
//! key (seed, "Customer-managed key for saved queries and log alerts": "you control the storage
//! account and the encryption-at-rest policy either using the same key that you use to encrypt
//! data in Log Analytics cluster, or a different key"), as one more holder of a wrapped AEK.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use cmk_playground::engine::view::StorageAccountView;
use common::*;
use serde_json::{Value, json};

const API: &str = "2025-06-01";
const MINUTE: u64 = 60;

fn sa_path(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/{name}"
    )
}

fn vault_uri() -> String {
    format!("https://{VAULT}.vault.azure.net")
}

/// A StorageV2 account body; `table`: the table service's keyType, if any.
fn plain(identity: Value, table: Option<&str>) -> Value {
    let mut b = json!({
        "location": "eastus",
        "kind": "StorageV2",
        "sku": { "name": "Standard_LRS" },
        "identity": identity,
    });
    if let Some(t) = table {
        b["properties"] = json!({ "encryption": {
            "keySource": "Microsoft.Storage",
            "services": { "table": { "keyType": t }, "queue": { "keyType": t } }
        }});
    }
    b
}

fn user_assigned(id: &str) -> Value {
    json!({ "type": "UserAssigned", "userAssignedIdentities": { id: {} } })
}

/// `properties.encryption` with the fixture key (`version` empty: follow the latest).
fn cmk(version: &str, identity: Option<&str>, table: &str) -> Value {
    let mut e = json!({
        "keySource": "Microsoft.Keyvault",
        "keyvaultproperties": { "keyname": KEY, "keyvaulturi": vault_uri() },
        "services": { "table": { "keyType": table }, "queue": { "keyType": table } }
    });
    if !version.is_empty() {
        e["keyvaultproperties"]["keyversion"] = json!(version);
    }
    if let Some(i) = identity {
        e["identity"] = json!({ "userAssignedIdentity": i });
    }
    e
}

fn put(env: &mut Env, name: &str, body: Value) -> cmk_playground::engine::Response {
    env.arm("PUT", &sa_path(name), API, Some(body))
}

fn patch(env: &mut Env, name: &str, body: Value) -> cmk_playground::engine::Response {
    env.arm("PATCH", &sa_path(name), API, Some(body))
}

fn view(env: &Env, name: &str) -> StorageAccountView {
    env.e
        .snapshot()
        .storage_accounts
        .into_iter()
        .find(|a| a.name == name)
        .expect("the account is in the snapshot")
}

/// A vault with the fixture key and a user-assigned identity granted get, wrapKey and unwrapKey:
/// (key version, identity id, identity principal).
fn world() -> (Env, String, String, String) {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let (uid, principal) = env.user_identity("sa-cmk-id", "eastus");
    let r = env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    assert_eq!(r.status, 200, "{r:?}");
    (env, version, uid, principal)
}

/// An account under the fixture key through the user-assigned identity.
fn cmk_account(env: &mut Env, uid: &str, name: &str, version: &str) {
    let mut body = plain(user_assigned(uid), None);
    body["properties"] = json!({ "encryption": cmk(version, Some(uid), "Account") });
    let r = put(env, name, body);
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn create_without_cmk_uses_microsoft_managed_keys() {
    let (mut env, ..) = world();
    let r = put(
        &mut env,
        "plainsa",
        plain(json!({ "type": "SystemAssigned" }), None),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let enc = &r.body["properties"]["encryption"];
    assert_eq!(enc["keySource"], "Microsoft.Storage");
    assert_eq!(enc["services"]["table"]["keyType"], "Service");
    assert!(enc.get("keyvaultproperties").is_none());
    assert_eq!(r.body["kind"], "StorageV2");
    assert!(r.body["identity"]["principalId"].is_string());
    let got = env.arm("GET", &sa_path("plainsa"), API, None);
    assert_eq!(got.body, r.body);
    for scope in [
        format!("/subscriptions/{SUB}/resourceGroups/{RG}"),
        format!("/subscriptions/{SUB}"),
    ] {
        let list = env.arm(
            "GET",
            &format!("{scope}/providers/Microsoft.Storage/storageAccounts"),
            API,
            None,
        );
        assert_eq!(list.status, 200, "{list:?}");
        assert_eq!(list.body["value"][0]["name"], "plainsa");
    }
    let v = view(&env, "plainsa");
    assert_eq!(v.key_source, "Microsoft.Storage");
    assert_eq!(v.access.state, "accessible");
    assert!(!v.table_cmk_capable && !v.table_cmk);
}

#[test]
fn create_with_cmk_wraps_the_account_key_with_the_customer_key() {
    let (mut env, version, uid, _) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    let r = env.arm("GET", &sa_path("cmksa"), API, None);
    let enc = &r.body["properties"]["encryption"];
    assert_eq!(enc["keySource"], "Microsoft.Keyvault");
    assert_eq!(enc["keyvaultproperties"]["keyversion"], "");
    assert_eq!(
        enc["keyvaultproperties"]["currentVersionedKeyIdentifier"],
        format!("{}/keys/{KEY}/{version}", vault_uri())
    );
    assert_eq!(enc["identity"]["userAssignedIdentity"], uid);
    assert_eq!(enc["services"]["table"]["keyType"], "Account");
    let v = view(&env, "cmksa");
    assert_eq!(v.current_key_version.as_deref(), Some(version.as_str()));
    assert!(v.table_cmk_capable && v.table_cmk);
    assert_eq!(v.principal.as_deref(), Some("sa-cmk-id"));
    // The wrap was a real wrapkey by the account's identity, in the vault's audit log.
    assert!(
        env.e
            .snapshot()
            .audit
            .iter()
            .any(|a| a.operation == "KeyWrap" && a.caller_name == "sa-cmk-id"),
        "the identity's wrapkey is audited"
    );
}

#[test]
fn the_identity_is_needed_to_set_a_customer_managed_key() {
    let (mut env, _, uid, _) = world();
    // At creation, only a user-assigned identity can have been granted the key.
    let mut body = plain(json!({ "type": "SystemAssigned" }), None);
    body["properties"] = json!({ "encryption": cmk("", None, "Account") });
    env.refused(&errors::STORAGE_CMK_IDENTITY_REQUIRED, |env| {
        put(env, "noidsa", body)
    });
    // The encryption identity must be one of the account's identities.
    let (other, _) = env.user_identity("other-id", "eastus");
    let mut body = plain(user_assigned(&uid), None);
    body["properties"] = json!({ "encryption": cmk("", Some(&other), "Account") });
    env.refused(&errors::STORAGE_CMK_IDENTITY_REQUIRED, |env| {
        put(env, "noidsa", body)
    });
    // Later, an account without any identity can't take the key.
    assert_eq!(
        put(&mut env, "noidsa", plain(json!({ "type": "None" }), None)).status,
        200
    );
    env.refused(&errors::STORAGE_CMK_IDENTITY_REQUIRED, |env| {
        patch(
            env,
            "noidsa",
            json!({ "properties": { "encryption": cmk("", None, "Service") } }),
        )
    });
}

#[test]
fn the_key_is_validated_with_the_account_identity() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let (uid, principal) = env.user_identity("sa-cmk-id", "eastus");
    let mut body = plain(user_assigned(&uid), None);
    body["properties"] = json!({ "encryption": cmk("", Some(&uid), "Account") });
    // Not granted: Key Vault refuses the identity; nothing is created.
    let r = env.refused(&errors::STORAGE_KEY_VALIDATION_FAILED, |env| {
        put(env, "cmksa", body.clone())
    });
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains("403"),
        "{r:?}"
    );
    // get and wrapKey are not enough: unwrapKey too.
    env.policy(VAULT, "add", &principal, &["get", "wrapKey"]);
    env.refused(&errors::STORAGE_KEY_VALIDATION_FAILED, |env| {
        put(env, "cmksa", body.clone())
    });
    env.policy(VAULT, "add", &principal, &["unwrapKey"]);
    // A key that does not exist, and a vault that does not exist.
    let mut missing = body.clone();
    missing["properties"]["encryption"]["keyvaultproperties"]["keyname"] = json!("nokey");
    env.refused(&errors::STORAGE_KEY_VALIDATION_FAILED, |env| {
        put(env, "cmksa", missing)
    });
    let mut novault = body.clone();
    novault["properties"]["encryption"]["keyvaultproperties"]["keyvaulturi"] =
        json!("https://novault-xyz.vault.azure.net");
    env.refused(&errors::STORAGE_KEY_VALIDATION_FAILED, |env| {
        put(env, "cmksa", novault)
    });
    assert_eq!(put(&mut env, "cmksa", body).status, 200);
}

#[test]
fn a_system_assigned_identity_takes_the_key_after_creation() {
    let (mut env, version, _, _) = world();
    let r = put(
        &mut env,
        "syssa",
        plain(json!({ "type": "SystemAssigned" }), Some("Account")),
    );
    let principal = r.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let set = json!({ "properties": { "encryption": cmk(&version, None, "Account") } });
    env.refused(&errors::STORAGE_KEY_VALIDATION_FAILED, |env| {
        patch(env, "syssa", set.clone())
    });
    env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    let r = patch(&mut env, "syssa", set);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["properties"]["encryption"]["keySource"],
        "Microsoft.Keyvault"
    );
    assert!(view(&env, "syssa").table_cmk);
}

#[test]
fn the_table_key_type_is_set_only_at_creation() {
    let (mut env, _, uid, _) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    env.refused(&errors::STORAGE_KEY_TYPE_IMMUTABLE, |env| {
        patch(
            env,
            "cmksa",
            json!({ "properties": { "encryption": {
                "keySource": "Microsoft.Keyvault",
                "keyvaultproperties": { "keyname": KEY, "keyvaulturi": vault_uri() },
                "services": { "table": { "keyType": "Service" } }
            }}}),
        )
    });
    // Sending the same keyType again is no change.
    let same = json!({ "properties": { "encryption": cmk("", Some(&uid), "Account") } });
    assert_eq!(patch(&mut env, "cmksa", same).status, 200);
}

#[test]
fn a_table_without_key_type_account_can_never_be_under_cmk() {
    let (mut env, _, uid, _) = world();
    let mut body = plain(user_assigned(&uid), None);
    body["properties"] = json!({ "encryption": cmk("", Some(&uid), "Service") });
    assert_eq!(put(&mut env, "svcsa", body).status, 200);
    let v = view(&env, "svcsa");
    assert_eq!(v.key_source, "Microsoft.Keyvault");
    assert_eq!(v.table_key_type, "Service");
    assert!(!v.table_cmk_capable && !v.table_cmk);
    let r = env.refused(&errors::STORAGE_KEY_TYPE_IMMUTABLE, |env| {
        patch(
            env,
            "svcsa",
            json!({ "properties": { "encryption": cmk("", Some(&uid), "Account") } }),
        )
    });
    assert!(r.body["error"]["message"].as_str().unwrap().contains(
        "the scope of the encryption key cannot be changed after the account is created"
    ));
    assert!(env.timeline_has("tables stay under a service-managed key"));
}

#[test]
fn revoking_the_identity_revokes_access_within_the_hour() {
    let (mut env, _, uid, principal) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    env.advance(5 * MINUTE);
    assert_eq!(view(&env, "cmksa").access.state, "accessible");
    let r = env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    assert_eq!(r.status, 200, "{r:?}");
    env.advance(2 * MINUTE);
    assert_eq!(view(&env, "cmksa").access.state, "revoking");
    env.advance(HOUR);
    let v = view(&env, "cmksa");
    assert_eq!(v.access.state, "revoked", "{v:?}");
    assert!(
        env.timeline_has("Storage account cmksa ("),
        "the holder names the account"
    );
}

#[test]
fn restoring_access_recovers_the_account() {
    let (mut env, _, uid, principal) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    env.advance(2 * HOUR);
    assert_eq!(view(&env, "cmksa").access.state, "revoked");
    env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    env.advance(2 * MINUTE);
    assert_eq!(view(&env, "cmksa").access.state, "recovering");
    env.advance(HOUR);
    assert_eq!(view(&env, "cmksa").access.state, "accessible");
    assert!(env.timeline_has("available again"));
}

fn new_version(env: &mut Env) -> String {
    let r = env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_size": 2048 })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    version_of(&r.body["key"]["kid"])
}

#[test]
fn rotation_follows_the_latest_version_when_keyversion_is_absent() {
    let (mut env, first, uid, _) = world();
    cmk_account(&mut env, &uid, "autosa", "");
    cmk_account(&mut env, &uid, "pinnedsa", &first);
    let second = new_version(&mut env);
    env.advance(5 * MINUTE);
    assert_eq!(
        view(&env, "autosa").current_key_version.as_deref(),
        Some(second.as_str())
    );
    let r = env.arm("GET", &sa_path("autosa"), API, None);
    assert_eq!(
        r.body["properties"]["encryption"]["keyvaultproperties"]["currentVersionedKeyIdentifier"],
        format!("{}/keys/{KEY}/{second}", vault_uri())
    );
    // A pinned version stays.
    assert_eq!(
        view(&env, "pinnedsa").current_key_version.as_deref(),
        Some(first.as_str())
    );
    // Moving the pin is a key change, validated and rewrapped at once.
    let r = patch(
        &mut env,
        "pinnedsa",
        json!({ "properties": { "encryption": cmk(&second, Some(&uid), "Account") } }),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        view(&env, "pinnedsa").current_key_version.as_deref(),
        Some(second.as_str())
    );
}

#[test]
fn switching_back_to_microsoft_managed_keys_stops_checking_key_vault() {
    let (mut env, _, uid, principal) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    let r = patch(
        &mut env,
        "cmksa",
        json!({ "properties": { "encryption": { "keySource": "Microsoft.Storage" } } }),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["properties"]["encryption"]["keySource"],
        "Microsoft.Storage"
    );
    // Key Vault no longer matters to the account.
    env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    env.advance(2 * HOUR);
    let v = view(&env, "cmksa");
    assert_eq!(
        (v.key_source.as_str(), v.access.state.as_str()),
        ("Microsoft.Storage", "accessible")
    );
    // Back under the key: validated again, and checked on the clock again.
    env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    let back = json!({ "properties": { "encryption": cmk("", Some(&uid), "Account") } });
    assert_eq!(patch(&mut env, "cmksa", back).status, 200);
    env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    env.advance(2 * HOUR);
    assert_eq!(view(&env, "cmksa").access.state, "revoked");
}

#[test]
fn deleting_the_identity_revokes_access_and_says_why() {
    let (mut env, _, uid, _) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    let r = env.arm("DELETE", &uid, "2023-01-31", None);
    assert!(r.status == 200 || r.status == 204, "{r:?}");
    env.advance(2 * HOUR);
    let v = view(&env, "cmksa");
    assert_eq!(v.access.state, "revoked");
    let reason = v.access.reason.unwrap_or_default();
    assert!(reason.contains("no longer exists"), "{reason}");
}

#[test]
fn refused_requests_change_nothing() {
    let (mut env, ..) = world();
    env.refused(&errors::STORAGE_ACCOUNT_NAME_INVALID, |env| {
        put(env, "Bad_Name", plain(json!({ "type": "None" }), None))
    });
    env.refused(&errors::STORAGE_BAD_REQUEST, |env| {
        let mut b = plain(json!({ "type": "None" }), None);
        b["kind"] = json!("Storage");
        put(env, "oldkind", b)
    });
    env.refused(&errors::STORAGE_BAD_REQUEST, |env| {
        let mut b = plain(json!({ "type": "None" }), None);
        b["properties"] = json!({ "encryption": { "keySource": "Microsoft.Other" } });
        put(env, "badsource", b)
    });
    env.refused(&errors::USER_IDENTITY_NOT_FOUND, |env| {
        let missing = format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nobody");
        put(env, "noua", plain(user_assigned(&missing), None))
    });
    assert_eq!(
        put(&mut env, "taken", plain(json!({ "type": "None" }), None)).status,
        200
    );
    env.group("other-rg", "eastus");
    env.refused(&errors::STORAGE_ACCOUNT_ALREADY_TAKEN, |env| {
        env.arm(
            "PUT",
            &format!("/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/taken"),
            API,
            Some(plain(json!({ "type": "None" }), None)),
        )
    });
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &sa_path("nosuchsa"), API, None)
    });
}

#[test]
fn deleting_the_account_deletes_its_key_holder() {
    let (mut env, _, uid, _) = world();
    cmk_account(&mut env, &uid, "cmksa", "");
    let holder = view(&env, "cmksa").holder;
    assert!(
        env.e
            .snapshot()
            .storage
            .accounts
            .iter()
            .any(|a| a.name == holder)
    );
    let r = env.arm("DELETE", &sa_path("cmksa"), API, None);
    assert_eq!(r.status, 200, "{r:?}");
    let snap = env.e.snapshot();
    assert!(snap.storage_accounts.is_empty());
    assert!(!snap.storage.accounts.iter().any(|a| a.name == holder));
    assert_eq!(env.arm("DELETE", &sa_path("cmksa"), API, None).status, 204);
    env.advance(HOUR);
}

#[test]
fn the_cluster_key_can_protect_the_account_through_its_own_identity() {
    // The seed: "either using the same key that you use to encrypt data in Log Analytics
    // cluster, or a different key". Each holder reaches the key with its own identity.
    let mut env = Env::new();
    env.provisioned();
    let (uid, principal) = env.user_identity("sa-cmk-id", "eastus");
    env.policy(VAULT, "add", &principal, &["get", "wrapKey", "unwrapKey"]);
    cmk_account(&mut env, &uid, "samekeysa", "");
    env.advance(5 * MINUTE);
    env.policy(
        VAULT,
        "remove",
        &principal,
        &["get", "wrapKey", "unwrapKey"],
    );
    env.advance(2 * HOUR);
    let snap = env.e.snapshot();
    let v = view(&env, "samekeysa");
    assert_eq!(v.access.state, "revoked");
    let cluster = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.cluster.is_some() && a.writable)
        .expect("the cluster's account");
    assert_eq!(cluster.key.as_ref().map(|k| k.key_name.as_str()), Some(KEY));
    assert_eq!(cluster.access.state, "accessible");
}
