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

// ---- catalogue assertions ------------------------------------------------------------------

use cmk_playground::engine::Checkpoint;
use cmk_playground::engine::errors::{ErrorSpec, Surface};

/// The literal pieces of a catalogue template, split at its `{placeholder}` holes.
pub fn template_literals(template: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j)
                if j > 0
                    && after[..j]
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c == b'_') =>
            {
                out.last_mut().unwrap().push_str(&rest[..i]);
                out.push(String::new());
                rest = &after[j + 1..];
            }
            _ => {
                out.last_mut().unwrap().push_str(&rest[..=i]);
                rest = after;
            }
        }
    }
    out.last_mut().unwrap().push_str(rest);
    out
}

/// Whether `message` is `template` with each placeholder replaced by some text.
pub fn template_matches(template: &str, message: &str) -> bool {
    let lits = template_literals(template);
    if lits.len() == 1 {
        return message == lits[0];
    }
    let (first, last) = (&lits[0], &lits[lits.len() - 1]);
    if !message.starts_with(first.as_str()) {
        return false;
    }
    let mut pos = first.len();
    for mid in &lits[1..lits.len() - 1] {
        match message[pos..].find(mid.as_str()) {
            Some(i) => pos += i + mid.len(),
            None => return false,
        }
    }
    message.len() >= pos + last.len() && message.ends_with(last.as_str())
}

/// Asserts that a response is the catalogue error `spec`: status, code, inner code or target, and
/// a message made of the template's fixed parts.
#[track_caller]
pub fn assert_spec(r: &Response, spec: &ErrorSpec) {
    assert_eq!(
        r.status, spec.status,
        "{}: status; body: {}",
        spec.name, r.body
    );
    // The HTTP Data Collector API answers {"Error": code, "Message": text}.
    if spec.surface == Surface::Ingestion {
        assert_eq!(
            r.body["Error"], spec.code,
            "{}: Error; body: {}",
            spec.name, r.body
        );
        let message = r.body["Message"].as_str().unwrap_or_default();
        assert!(
            template_matches(spec.message.get(), message),
            "{}: Message {message:?}",
            spec.name
        );
        return;
    }
    // Entra ID's token endpoint answers {"error": code, "error_description": "text\r\nTrace ID…"}.
    if spec.surface == Surface::Entra {
        assert_eq!(
            r.body["error"], spec.code,
            "{}: error; body: {}",
            spec.name, r.body
        );
        let text = r.body["error_description"].as_str().unwrap_or_default();
        let message = text.split("\r\n").next().unwrap_or_default();
        assert!(
            template_matches(spec.message.get(), message),
            "{}: error_description {message:?}",
            spec.name
        );
        return;
    }
    let err = &r.body["error"];
    assert_eq!(
        err["code"], spec.code,
        "{}: code; body: {}",
        spec.name, r.body
    );
    match (spec.surface, spec.inner) {
        (Surface::KeyVault, Some(inner)) => assert_eq!(
            err["innererror"]["code"], inner,
            "{}: innererror; body: {}",
            spec.name, r.body
        ),
        (Surface::KeyVault, None) => assert!(
            err.get("innererror").is_none(),
            "{}: no innererror expected; body: {}",
            spec.name,
            r.body
        ),
        (Surface::Arm | Surface::Playground, Some(target)) => assert_eq!(
            err["target"], target,
            "{}: target; body: {}",
            spec.name, r.body
        ),
        (Surface::Query, Some(inner)) => assert_eq!(
            err["innererror"]["code"], inner,
            "{}: innererror; body: {}",
            spec.name, r.body
        ),
        _ => {}
    }
    let message = err["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: message missing; body: {}", spec.name, r.body));
    assert!(
        template_matches(spec.message.get(), message),
        "{}: message does not match the template\n template: {}\n message:  {}",
        spec.name,
        spec.message,
        message
    );
}

/// [`assert_spec`] plus the exact text, copied from the seed document (or another source), so the
/// test checks the catalogue independently.
#[track_caller]
pub fn assert_seed(r: &Response, spec: &ErrorSpec, text: &str) {
    assert_spec(r, spec);
    assert_eq!(
        r.body["error"]["message"], text,
        "{}: exact text; body: {}",
        spec.name, r.body
    );
}

impl Env {
    /// Runs a request that must be refused with `spec`, and checks that it changed nothing.
    #[track_caller]
    pub fn refused(&mut self, spec: &ErrorSpec, f: impl FnOnce(&mut Env) -> Response) -> Response {
        let before: Checkpoint = self.e.checkpoint();
        let r = f(self);
        assert_spec(&r, spec);
        assert!(
            self.e.checkpoint() == before,
            "{}: a refused request changed the state",
            spec.name
        );
        r
    }

    pub fn group_in(&mut self, sub: &str, name: &str, location: &str) {
        let r = self.arm(
            "PUT",
            &format!("/subscriptions/{sub}/resourcegroups/{name}"),
            "2021-04-01",
            Some(json!({ "location": location })),
        );
        assert!(r.status == 201 || r.status == 200, "{r:?}");
    }

    /// PUT a vault in the fixture group.
    pub fn put_vault(&mut self, name: &str, body: Value) -> Response {
        self.arm("PUT", &Self::vault_path(name), KV_ARM, Some(body))
    }

    /// Key Vault data-plane request on any vault, with an explicit api-version.
    pub fn kv_at(
        &mut self,
        vault: &str,
        method: &str,
        path: &str,
        version: &str,
        body: Option<Value>,
    ) -> Response {
        self.call(
            method,
            &format!("https://{vault}.vault.azure.net{path}?api-version={version}"),
            body,
        )
    }

    /// Creates an RSA 2048 key in `vault`; returns its version.
    pub fn create_key_in(&mut self, vault: &str, name: &str) -> String {
        let r = self.kv_at(
            vault,
            "POST",
            &format!("/keys/{name}/create"),
            KV,
            Some(json!({ "kty": "RSA", "key_size": 2048 })),
        );
        assert_eq!(r.status, 200, "{r:?}");
        version_of(&r.body["key"]["kid"])
    }

    /// Access policy `add` on a fixture-group vault.
    pub fn policy(&mut self, vault: &str, kind: &str, object_id: &str, keys: &[&str]) -> Response {
        let body = json!({ "properties": { "accessPolicies": [{
            "tenantId": TENANT, "objectId": object_id,
            "permissions": { "keys": keys }
        }]}});
        self.arm(
            "PUT",
            &format!("{}/accessPolicies/{kind}", Self::vault_path(vault)),
            KV_ARM,
            Some(body),
        )
    }

    pub fn cluster_put(&mut self, name: &str, version: &str, body: Value) -> Response {
        self.arm("PUT", &Self::cluster_path(name), version, Some(body))
    }

    pub fn cluster_patch(&mut self, body: Value) -> Response {
        self.arm("PATCH", &Self::cluster_path(CLUSTER), OI, Some(body))
    }

    /// Follows a 202's Azure-AsyncOperation URL.
    pub fn op_status(&mut self, accepted: &Response) -> Value {
        let url = accepted
            .header("Azure-AsyncOperation")
            .expect("Azure-AsyncOperation header")
            .to_string();
        let r = self.call("GET", &url, None);
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// A role assignment of `role` (a built-in role GUID) to `principal` at `scope`.
    /// Runs `f` signed in as the runbook's service principal (Owner of `SUB`), then signs the
    /// user back in: how a test changes roles after taking the user's own away.
    pub fn as_runbook<T>(&mut self, f: impl FnOnce(&mut Env) -> T) -> T {
        use cmk_playground::engine::world::RUNBOOK_APP_ID;
        assert_eq!(self.e.sign_in(RUNBOOK_APP_ID).status, 200);
        let out = f(self);
        assert_eq!(self.e.sign_in(USER).status, 200);
        out
    }

    pub fn assign_role(
        &mut self,
        scope: &str,
        role: &str,
        principal: &str,
        name: &str,
    ) -> Response {
        self.arm(
            "PUT",
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            "2022-04-01",
            Some(json!({ "properties": {
                "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"),
                "principalId": principal,
            }})),
        )
    }

    /// An RBAC vault in the fixture group with a key `KEY` created by the user as Key Vault
    /// Crypto Officer; returns the key's version.
    pub fn rbac_vault(&mut self, name: &str) -> String {
        let mut body = Env::vault_body(true, true);
        body["properties"]["enableRbacAuthorization"] = json!(true);
        body["properties"]
            .as_object_mut()
            .unwrap()
            .remove("accessPolicies");
        assert_eq!(self.put_vault(name, body).status, 200);
        let r = self.assign_role(
            &Env::vault_path(name),
            CRYPTO_OFFICER,
            USER,
            "11111111-1111-4111-8111-111111111111",
        );
        assert_eq!(r.status, 201, "{r:?}");
        self.create_key_in(name, KEY)
    }

    /// A user-assigned identity in the fixture group; returns (resource id, principal id).
    pub fn user_identity(&mut self, name: &str, location: &str) -> (String, String) {
        let r = self.arm(
            "PUT",
            &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"),
            "2023-01-31",
            Some(json!({ "location": location })),
        );
        assert_eq!(r.status, 201, "{r:?}");
        (
            r.body["id"].as_str().unwrap().to_string(),
            r.body["properties"]["principalId"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// Whether the timeline has an entry containing `text`.
    pub fn timeline_has(&self, text: &str) -> bool {
        self.e.timeline().iter().any(|t| t.text.contains(text))
    }

    /// The newest timeline alert's text.
    pub fn last_alert(&self) -> String {
        self.e
            .timeline()
            .iter()
            .rev()
            .find(|t| t.alert)
            .map(|t| t.text.clone())
            .unwrap_or_default()
    }
}

/// The version at the end of a `kid`.
pub fn version_of(kid: &Value) -> String {
    kid.as_str()
        .expect("kid")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

/// Built-in role definition ids.
pub const CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
pub const CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// Texts quoted in the seed document (`shared/seeds/azure-monitor-customer-managed-key.txt`),
/// copied byte for byte so the tests check the catalogue independently.
pub mod seed {
    pub const CLUSTER_NAME_INVALID: &str = "Cluster name is not valid. Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63.";
    pub const CLUSTER_BODY_INVALID: &str = "The body of the request is null or in bad format.";
    pub const SKU_NAME_INVALID: &str = "SKU name is invalid. Set SKU name to capacityReservation.";
    pub const CAPACITY_WITHOUT_SKU: &str = "Capacity was provided but SKU is not capacityReservation. Set SKU name to capacityReservation.";
    pub const MISSING_CAPACITY: &str =
        "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB).";
    pub const CAPACITY_NOT_IN_RANGE: &str = "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity which is available under ‘Usage and estimated cost’ in your workspace.";
    pub const CAPACITY_LOCKED: &str =
        "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update.";
    pub const NO_SKU: &str = "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 1000 or higher in steps of 100 (GB).";
    pub const IDENTITY_NULL: &str =
        "Identity is null or empty. Set Identity with systemAssigned type.";
    pub const KEY_PROPS_ON_CREATE: &str =
        "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation.";
    pub const CLUSTER_OPERATION_NOT_SUCCEEDED: &str = "Operation cannot be executed now. Async operation is in a state other than succeeded. Cluster must complete its operation before any update operation is performed.";
    pub const CLUSTER_DELETING_IN_PROGRESS: &str = "Cluster is in deleting state. Async operation is in progress . Cluster must complete its operation before any update operation is performed.";
    pub const KEY_PROPS_BAD_FORMAT: &str =
        "KeyVaultProperties is not empty but has a bad format. See key identifier update.";
    pub const KEY_VALIDATION_FAILED: &str = "Failed to validate key in Key Vault. Could be due to lack of permissions or when key doesn’t exist. Verify that you set key and access policy in Key Vault.";
    pub const KEY_NOT_RECOVERABLE: &str = "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. See Key Vault documentation";
    pub const CLUSTER_OPERATION_IN_PROGRESS: &str =
        "Operation cannot be executed now. Wait for the Async operation to complete and try again.";
    pub const CLUSTER_DELETING: &str =
        "Cluster is in deleting state. Wait for the Async operation to complete and try again.";
    pub const CLUSTER_NOT_FOUND: &str = "Cluster not found, the cluster may have been deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it, or use another name to create a new cluster.";
    pub const CLUSTER_DELETE_WHILE_PROVISIONING: &str = "Can't delete a cluster while in provisioning state. Wait for the Async operation to complete and try again.";
    pub const LINK_WORKSPACE_NOT_FOUND: &str =
        "Workspace not found. The workspace you specified doesn’t exist or was deleted.";
    pub const LINK_IN_PROCESS: &str = "Workspace link or unlink operation in process.";
    pub const LINK_CLUSTER_NOT_FOUND: &str = "Cluster not found, the cluster you specified doesn’t exist or was deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it.";
    pub const IDENTITY_AND_KEY_TOGETHER: &str = "Cluster update should not include both identity and key identifier details in the same operation. If you need to update both, the update should be in two consecutive operations.";
    pub const DOUBLE_ENCRYPTION_IMMUTABLE: &str =
        "Double encryption setting can not be changed after the cluster has been created.";
    /// The seed quotes this message with its region name missing.
    pub const DOUBLE_ENCRYPTION_UNSUPPORTED_TAIL: &str =
        " doesn’t support Double Encryption for clusters.";
    /// Every text above, for the catalogue test.
    pub const ALL: &[&str] = &[
        CLUSTER_NAME_INVALID,
        CLUSTER_BODY_INVALID,
        SKU_NAME_INVALID,
        CAPACITY_WITHOUT_SKU,
        MISSING_CAPACITY,
        CAPACITY_NOT_IN_RANGE,
        CAPACITY_LOCKED,
        NO_SKU,
        IDENTITY_NULL,
        KEY_PROPS_ON_CREATE,
        CLUSTER_OPERATION_NOT_SUCCEEDED,
        CLUSTER_DELETING_IN_PROGRESS,
        KEY_PROPS_BAD_FORMAT,
        KEY_VALIDATION_FAILED,
        KEY_NOT_RECOVERABLE,
        CLUSTER_OPERATION_IN_PROGRESS,
        CLUSTER_DELETING,
        CLUSTER_NOT_FOUND,
        CLUSTER_DELETE_WHILE_PROVISIONING,
        LINK_WORKSPACE_NOT_FOUND,
        LINK_IN_PROCESS,
        LINK_CLUSTER_NOT_FOUND,
        IDENTITY_AND_KEY_TOGETHER,
        DOUBLE_ENCRYPTION_IMMUTABLE,
        DOUBLE_ENCRYPTION_UNSUPPORTED_TAIL,
    ];
}

// ---- logs: the HTTP Data Collector API and the Query API ---------------------------------------

/// The workspace's customer id (its Log Analytics workspace id).
impl Env {
    /// Enables or disables one version of the fixture key.
    #[track_caller]
    pub fn set_enabled(&mut self, version: &str, enabled: bool) {
        let r = self.kv(
            "PATCH",
            &format!("/keys/{KEY}/{version}"),
            Some(json!({ "attributes": { "enabled": enabled } })),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Gives the user the rotation-policy permissions and sets a `timeAfterCreate` policy on the
    /// fixture key.
    #[track_caller]
    pub fn rotate_every(&mut self, after: &str) {
        self.policy(
            VAULT,
            "add",
            USER,
            &["getrotationpolicy", "setrotationpolicy"],
        );
        let r = self.kv(
            "PUT",
            &format!("/keys/{KEY}/rotationpolicy"),
            Some(json!({ "lifetimeActions": [{ "trigger": { "timeAfterCreate": after }, "action": { "type": "Rotate" } }] })),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// The ids of the blocks in the snapshot, oldest first.
    pub fn block_ids(&self) -> Vec<u64> {
        self.e
            .snapshot()
            .storage
            .blocks
            .iter()
            .map(|b| b.id)
            .collect()
    }
}

/// The five provisioning steps (auto-rotation, a linked workspace); returns the workspace's
/// customer id with the environment.
pub fn provisioned_workspace() -> (Env, String) {
    let mut env = Env::new();
    env.provisioned();
    let id = customer_id(&mut env, WS);
    (env, id)
}

pub fn customer_id(env: &mut Env, ws: &str) -> String {
    env.arm("GET", &Env::workspace_path(ws), OI, None).body["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// POSTs records through the HTTP Data Collector API.
pub fn post_logs(e: &mut Engine, customer_id: &str, log_type: &str, records: &Value) -> Response {
    e.handle(
        "POST",
        &format!("https://{customer_id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        &[("Content-Type", "application/json"), ("Log-Type", log_type)],
        Some(&records.to_string()),
    )
}

/// Runs a query through the Log Analytics Query API.
pub fn query(e: &mut Engine, customer_id: &str, q: &str) -> Response {
    e.handle(
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query"),
        &[("Content-Type", "application/json")],
        Some(&json!({ "query": q }).to_string()),
    )
}

/// A query answer's columns as (name, type).
pub fn columns(r: &Response) -> Vec<(String, String)> {
    r.body["tables"][0]["columns"]
        .as_array()
        .expect("a table")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The rows of a successful query's first table.
#[track_caller]
pub fn rows(r: &Response) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["tables"][0]["rows"].as_array().unwrap().clone()
}

/// How many random cases a property test runs: its own default, or `PROPTEST_CASES` when set
/// (the explicit count in a `ProptestConfig` would otherwise hide that variable).
pub fn property_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
