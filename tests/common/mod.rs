//! Shared fixture for the engine's scenario tests: a seeded engine, request helpers, and the five
//! provisioning steps of the seed as reusable building blocks.
#![allow(dead_code)]

use cmk_playground::engine::{Engine, Response};
use serde_json::{Value, json};

pub const SUB: &str = "9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31";
pub const SUB2: &str = "5e8a1f4d-7b2c-4d9e-8f3a-6c1b0e7d2a58";
pub const TENANT: &str = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
pub const USER: &str = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";
pub const RG: &str = "cmk-rg";
pub const VAULT: &str = "contoso-cmk-kv";
pub const KEY: &str = "la-cmk";
pub const CLUSTER: &str = "cmkcluster01";
pub const WS: &str = "contoso-ws";
pub const OI: &str = "2021-06-01";
pub const KV_ARM: &str = "2023-07-01";
pub const KV: &str = "7.4";
pub const HOUR: u64 = 3600;
pub const DAY: u64 = 86_400;

pub const ARM: &str = "https://management.azure.com";

pub struct Env {
    pub e: Engine,
}

impl Env {
    pub fn new() -> Self {
        Env {
            e: Engine::with_seed([7u8; 32]),
        }
    }

    pub fn call(&mut self, method: &str, url: &str, body: Option<Value>) -> Response {
        let text = body.map(|b| b.to_string());
        self.e.handle(
            method,
            url,
            &[("Content-Type", "application/json")],
            text.as_deref(),
        )
    }

    pub fn raw(&mut self, method: &str, url: &str, body: &str) -> Response {
        self.e.handle(
            method,
            url,
            &[("Content-Type", "application/json")],
            Some(body),
        )
    }

    /// ARM request on a path below management.azure.com with an api-version.
    pub fn arm(
        &mut self,
        method: &str,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> Response {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.call(
            method,
            &format!("{ARM}{path}{sep}api-version={version}"),
            body,
        )
    }

    /// Key Vault data-plane request on the fixture vault.
    pub fn kv(&mut self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.call(
            method,
            &format!("https://{VAULT}.vault.azure.net{path}?api-version={KV}"),
            body,
        )
    }

    pub fn advance(&mut self, secs: u64) {
        self.e.advance(secs);
    }

    // ---- the five provisioning steps -------------------------------------------------

    pub fn group(&mut self, name: &str, location: &str) {
        let r = self.arm(
            "PUT",
            &format!("/subscriptions/{SUB}/resourcegroups/{name}"),
            "2021-04-01",
            Some(json!({ "location": location })),
        );
        assert!(r.status == 201 || r.status == 200, "{r:?}");
    }

    pub fn vault_body(soft_delete: bool, purge_protection: bool) -> Value {
        let mut props = json!({
            "tenantId": TENANT,
            "sku": { "family": "A", "name": "standard" },
            "accessPolicies": [{
                "tenantId": TENANT,
                "objectId": USER,
                "permissions": { "keys": ["get", "list", "create", "update", "delete", "recover", "purge", "rotate", "wrapKey", "unwrapKey"] }
            }],
        });
        if soft_delete {
            props["enableSoftDelete"] = json!(true);
            props["softDeleteRetentionInDays"] = json!(90);
        }
        if purge_protection {
            props["enablePurgeProtection"] = json!(true);
        }
        json!({ "location": "eastus", "properties": props })
    }

    pub fn vault_path(name: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/{name}"
        )
    }

    /// Step 1: a recoverable vault with an RSA key. Returns the key's first version.
    pub fn step1_vault_and_key(&mut self) -> String {
        self.group(RG, "eastus");
        let r = self.arm(
            "PUT",
            &Self::vault_path(VAULT),
            KV_ARM,
            Some(Self::vault_body(true, true)),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let r = self.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA", "key_size": 2048 })),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.body["key"]["kid"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    }

    pub fn cluster_path(name: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/clusters/{name}"
        )
    }

    pub fn cluster_body() -> Value {
        json!({
            "location": "eastus",
            "identity": { "type": "SystemAssigned" },
            "sku": { "name": "CapacityReservation", "capacity": 1000 },
            "properties": { "billingType": "Cluster" }
        })
    }

    /// Step 2 (request only): PUT the cluster; returns the 202 response.
    pub fn create_cluster(&mut self) -> Response {
        let r = self.arm(
            "PUT",
            &Self::cluster_path(CLUSTER),
            OI,
            Some(Self::cluster_body()),
        );
        assert_eq!(r.status, 202, "{r:?}");
        r
    }

    pub fn get_cluster(&mut self) -> Value {
        let r = self.arm("GET", &Self::cluster_path(CLUSTER), OI, None);
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// Step 2 complete: created and provisioned (fast-forward past the two hours).
    pub fn step2_cluster(&mut self) -> String {
        self.create_cluster();
        self.advance(3 * HOUR);
        let c = self.get_cluster();
        assert_eq!(c["properties"]["provisioningState"], "Succeeded");
        c["identity"]["principalId"].as_str().unwrap().to_string()
    }

    /// Step 3: access policy for the cluster identity: get, wrapKey, unwrapKey.
    pub fn step3_grant(&mut self, principal: &str) {
        let body = json!({ "properties": { "accessPolicies": [{
            "tenantId": TENANT, "objectId": principal,
            "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
        }]}});
        let r = self.arm(
            "PUT",
            &format!("{}/accessPolicies/add", Self::vault_path(VAULT)),
            KV_ARM,
            Some(body),
        );
        assert_eq!(r.status, 200, "{r:?}");
    }

    pub fn key_props(version: &str) -> Value {
        json!({ "properties": { "keyVaultProperties": {
            "keyVaultUri": format!("https://{VAULT}.vault.azure.net"),
            "keyName": KEY,
            "keyVersion": version
        }}})
    }

    /// Step 4: PATCH the key identifier and wait for the update.
    pub fn step4_key(&mut self, version: &str) {
        let r = self.arm(
            "PATCH",
            &Self::cluster_path(CLUSTER),
            OI,
            Some(Self::key_props(version)),
        );
        assert_eq!(r.status, 202, "{r:?}");
        self.advance(HOUR);
        assert_eq!(
            self.get_cluster()["properties"]["provisioningState"],
            "Succeeded"
        );
    }

    pub fn workspace_path(name: &str) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{name}"
        )
    }

    pub fn create_workspace(&mut self, name: &str, location: &str) -> Value {
        let r = self.arm(
            "PUT",
            &Self::workspace_path(name),
            OI,
            Some(json!({ "location": location, "properties": { "sku": { "name": "PerGB2018" } } })),
        );
        assert!(r.status == 201 || r.status == 200, "{r:?}");
        r.body
    }

    pub fn link_body(cluster: &str) -> Value {
        json!({ "properties": { "writeAccessResourceId": Self::cluster_path(cluster) } })
    }

    pub fn link(&mut self, ws: &str) -> Response {
        self.arm(
            "PUT",
            &format!("{}/linkedServices/cluster", Self::workspace_path(ws)),
            OI,
            Some(Self::link_body(CLUSTER)),
        )
    }

    /// Step 5: a workspace linked (and the link completed).
    pub fn step5_link(&mut self, ws: &str) {
        self.create_workspace(ws, "eastus");
        let r = self.link(ws);
        assert_eq!(r.status, 202, "{r:?}");
        self.advance(2 * HOUR);
    }

    /// All five steps; returns (key version, cluster principal id).
    pub fn provisioned(&mut self) -> (String, String) {
        let version = self.step1_vault_and_key();
        let principal = self.step2_cluster();
        self.step3_grant(&principal);
        self.step4_key("");
        self.step5_link(WS);
        (version, principal)
    }
}

/// Asserts an ARM/Key Vault error: status, code and the exact message.
#[track_caller]
pub fn assert_error(r: &Response, status: u16, code: &str, message: &str) {
    assert_eq!(r.status, status, "status; body: {}", r.body);
    assert_eq!(r.body["error"]["code"], code, "code; body: {}", r.body);
    assert_eq!(
        r.body["error"]["message"], message,
        "message; body: {}",
        r.body
    );
}

/// Asserts only status and code (for messages with generated parts).
#[track_caller]
pub fn assert_code(r: &Response, status: u16, code: &str) {
    assert_eq!(r.status, status, "status; body: {}", r.body);
    assert_eq!(r.body["error"]["code"], code, "code; body: {}", r.body);
}
