//! A customer's own storage accounts (`Microsoft.Storage/storageAccounts`): the account that a
//! workspace links for saved queries and log alert queries (seed, "Customer-managed key for saved
//! queries and log alerts": "you control the storage account and the encryption-at-rest policy
//! either using the same key that you use to encrypt data in Log Analytics cluster, or a
//! different key").
//!
//! PUT (create or update), GET, PATCH, DELETE and the lists by resource group and subscription;
//! `properties.encryption` with `keySource` `Microsoft.Storage` or `Microsoft.Keyvault`,
//! `keyvaultproperties` (`keyname`, `keyvaulturi`, `keyversion`; no version = follow the latest),
//! `encryption.identity.userAssignedIdentity`, and `services.table|queue.keyType` (`Account` only
//! at creation: "the scope of the encryption key cannot be changed after the account is
//! created").
//!
//! Every account holds an AEK in storage (`storage::Owner::Customer`): wrapped by a
//! Microsoft-managed key, or by the customer's key through `keyvault::client` as the account's
//! managed identity. Polling, the cached AEK, revocation within the hour, recovery, rotation and
//! the audit are storage's holder mechanism (`storage/access.rs`), not repeated here.

use crate::engine::api_versions::STORAGE_API;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Ctx;
use super::arm::identity::new_service_principal;
use super::arm::{
    ApiResult, api_version, group_scope, id_key, location, method_not_allowed, prop, resource_id,
    tags, unknown_type, writable_group_scope,
};
use super::clock;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response};
use super::journal::Category;
use super::keyvault::client::{self, KeyVaultProperties};
use super::storage::documents::{self, Sealed};
use super::storage::{self, Owner, block::KeySource};
use super::world::{Principal, TENANT_ID, World};

pub const NAMESPACE: &str = "Microsoft.Storage";
pub const TYPE: &str = "Microsoft.Storage/storageAccounts";
const SKUS: &[&str] = &[
    "Standard_LRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_ZRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
    "Premium_LRS",
    "Premium_ZRS",
];

/// `services.{table,queue}.keyType`: which key encrypts the service's data. Only `Account` ties
/// it to the account's key (and so to a customer-managed key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Account,
    Service,
}

impl KeyType {
    fn as_str(self) -> &'static str {
        match self {
            KeyType::Account => "Account",
            KeyType::Service => "Service",
        }
    }

    fn parse(v: &Value, service: &str) -> Result<KeyType, ApiError> {
        match v.as_str() {
            Some(s) if s.eq_ignore_ascii_case("Account") => Ok(KeyType::Account),
            Some(s) if s.eq_ignore_ascii_case("Service") => Ok(KeyType::Service),
            _ => Err(bad(format!(
                "encryption.services.{service}.keyType must be 'Account' or 'Service', not {v}"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StorageAccountResource {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: &'static str,
    pub kind: String,
    pub sku: String,
    /// The system-assigned identity's principal id, if the account has one.
    pub system_principal: Option<String>,
    /// User-assigned identities (resource ids as created).
    pub user_identities: Vec<String>,
    /// `encryption.identity.userAssignedIdentity`: the identity the account reaches Key Vault
    /// with; `None` means the system-assigned identity.
    pub encryption_identity: Option<String>,
    /// `Some` when `keySource` is `Microsoft.Keyvault`; an empty version follows the latest.
    pub key: Option<KeyVaultProperties>,
    pub table_key_type: KeyType,
    pub queue_key_type: KeyType,
    /// The account's AEK holder in storage (`Owner::Customer`).
    pub holder: String,
    pub created: u64,
    pub tags: Value,
    /// What linked workspaces keep here, sealed under the account's AEK: saved searches in a
    /// table (`savedsearches/{customerId}/{id}`), alert queries as blobs (`alerts/{rule id}`).
    pub documents: BTreeMap<String, Sealed>,
}

impl StorageAccountResource {
    /// The identity the account authenticates to Key Vault with, or why it has none.
    pub fn principal(&self, w: &World) -> Result<Principal, String> {
        let object_id = match &self.encryption_identity {
            Some(uid) => w
                .identities
                .get(&id_key(uid))
                .map(|u| u.principal_id.clone())
                .ok_or_else(|| format!("the user-assigned identity {uid} no longer exists"))?,
            None => self.system_principal.clone().ok_or_else(|| {
                "the storage account has no system-assigned identity and names no user-assigned identity in encryption.identity".to_string()
            })?,
        };
        w.directory
            .get(&object_id)
            .cloned()
            .ok_or_else(|| format!("the principal {object_id} no longer exists"))
    }

    /// Whether its tables can be under a customer-managed key at all (`keyType` `Account`, set
    /// at creation).
    pub fn table_cmk_capable(&self) -> bool {
        self.table_key_type == KeyType::Account
    }

    pub fn to_json(&self, w: &World) -> Value {
        let holder = w.storage.accounts.get(&self.holder);
        let identity = {
            let kind = match (
                self.system_principal.is_some(),
                !self.user_identities.is_empty(),
            ) {
                (true, true) => "SystemAssigned,UserAssigned",
                (true, false) => "SystemAssigned",
                (false, true) => "UserAssigned",
                (false, false) => "None",
            };
            let mut i = json!({ "type": kind });
            if let Some(p) = &self.system_principal {
                i["principalId"] = json!(p);
                i["tenantId"] = json!(TENANT_ID);
            }
            if !self.user_identities.is_empty() {
                let m: Map<String, Value> =
                    self.user_identities
                        .iter()
                        .map(|u| {
                            let v = w.identities.get(&id_key(u)).map_or(json!({}), |x| {
                            json!({ "principalId": x.principal_id, "clientId": x.client_id })
                        });
                            (u.clone(), v)
                        })
                        .collect();
                i["userAssignedIdentities"] = Value::Object(m);
            }
            i
        };
        let service = |t: KeyType| json!({ "enabled": true, "keyType": t.as_str() });
        let mut encryption = json!({
            "keySource": if self.key.is_some() { "Microsoft.Keyvault" } else { "Microsoft.Storage" },
            "requireInfrastructureEncryption": false,
            "services": {
                "blob": service(KeyType::Account),
                "file": service(KeyType::Account),
                "table": service(self.table_key_type),
                "queue": service(self.queue_key_type),
            },
        });
        if let Some(k) = &self.key {
            let mut kvp = json!({
                "keyname": k.key_name,
                "keyvaulturi": k.vault_uri,
                "keyversion": k.key_version,
            });
            if let Some(a) = holder
                && let KeySource::Cmk {
                    vault_uri,
                    key_name,
                    key_version,
                } = &a.protector
            {
                kvp["currentVersionedKeyIdentifier"] = json!(format!(
                    "{}/keys/{key_name}/{key_version}",
                    vault_uri.trim_end_matches('/')
                ));
                kvp["lastKeyRotationTimestamp"] = json!(clock::iso(a.wrapped_at));
            }
            encryption["keyvaultproperties"] = kvp;
            if let Some(u) = &self.encryption_identity {
                encryption["identity"] = json!({ "userAssignedIdentity": u });
            }
        }
        json!({
            "id": self.id,
            "name": self.name,
            "type": TYPE,
            "location": self.location,
            "kind": self.kind,
            "sku": { "name": self.sku, "tier": if self.sku.starts_with("Premium") { "Premium" } else { "Standard" } },
            "identity": identity,
            "tags": self.tags,
            "properties": {
                "provisioningState": "Succeeded",
                "creationTime": clock::iso(self.created),
                "primaryLocation": self.location,
                "statusOfPrimary": "available",
                "encryption": encryption,
                "primaryEndpoints": {
                    "blob": format!("https://{}.blob.core.windows.net/", self.name),
                    "table": format!("https://{}.table.core.windows.net/", self.name),
                    "queue": format!("https://{}.queue.core.windows.net/", self.name),
                },
            },
        })
    }
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(&errors::STORAGE_BAD_REQUEST).arg("detail", detail)
}

fn not_found(group: &str, name: &str) -> ApiError {
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", TYPE)
        .arg("name", name)
        .arg("group", group)
}

/// `.../providers/Microsoft.Storage/storageAccounts[/{name}]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    if !rest
        .first()
        .is_some_and(|t| t.eq_ignore_ascii_case("storageAccounts"))
    {
        return Err(unknown_type(req, NAMESPACE, rest));
    }
    api_version(req, STORAGE_API)?;
    match rest {
        [_] => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = crate::engine::arm::list_prefix(cx, scope)?;
            let value: Vec<Value> =
                cx.w.storage_accounts
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, a)| a.to_json(cx.w))
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [_, name] => match req.method {
            Method::Put => put(cx, req, scope, name),
            Method::Patch => {
                let (sub, rg) = writable_group_scope(cx, scope)?;
                let key = id_key(&resource_id(sub, &rg, TYPE, name));
                if !cx.w.storage_accounts.contains_key(&key) {
                    return Err(not_found(&rg, name));
                }
                let body = body(req)?;
                update(cx, &key, &body)
            }
            Method::Get => {
                let (sub, rg) = group_scope(cx, scope)?;
                let a =
                    cx.w.storage_accounts
                        .get(&id_key(&resource_id(sub, &rg, TYPE, name)))
                        .ok_or_else(|| not_found(&rg, name))?;
                Ok(Response::ok(a.to_json(cx.w)))
            }
            Method::Delete => delete(cx, scope, name),
            _ => Err(method_not_allowed(req)),
        },
        _ => Err(unknown_type(req, NAMESPACE, rest)),
    }
}

fn body(req: &Request) -> Result<Map<String, Value>, ApiError> {
    match req.json() {
        Ok(Some(Value::Object(m))) => Ok(m),
        Err(detail) => Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail)),
        _ => Err(bad("the request body must be a JSON object")),
    }
}

fn valid_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `identity`: (system-assigned, user-assigned resource ids).
fn parse_identity(cx: &Ctx, v: &Value) -> Result<(bool, Vec<String>), ApiError> {
    let Value::Object(m) = v else {
        return Err(bad("identity must be an object"));
    };
    let kind = prop(m, "type").and_then(Value::as_str).unwrap_or("");
    let parts: Vec<String> = kind
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect();
    let (system, user) = match parts.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["none"] => (false, false),
        ["systemassigned"] => (true, false),
        ["userassigned"] => (false, true),
        ["systemassigned", "userassigned"] => (true, true),
        _ => {
            return Err(bad(format!(
                "identity.type must be None, SystemAssigned, UserAssigned or 'SystemAssigned,UserAssigned', not '{kind}'"
            )));
        }
    };
    let mut users = Vec::new();
    if user {
        let Some(Value::Object(ids)) = prop(m, "userAssignedIdentities") else {
            return Err(bad(
                "identity.userAssignedIdentities must name the user-assigned identities",
            ));
        };
        for id in ids.keys() {
            let ua = cx.w.identities.get(&id_key(id)).ok_or_else(|| {
                ApiError::new(&errors::USER_IDENTITY_NOT_FOUND).arg("id", id.as_str())
            })?;
            users.push(ua.id.clone());
        }
        if users.is_empty() {
            return Err(bad(
                "identity.userAssignedIdentities must name the user-assigned identities",
            ));
        }
    }
    Ok((system, users))
}

/// `keyvaultproperties` (lower-case names; camelCase accepted too).
fn parse_key(v: Option<&Value>) -> Result<KeyVaultProperties, ApiError> {
    let Some(Value::Object(m)) = v else {
        return Err(bad(
            "keySource Microsoft.Keyvault needs encryption.keyvaultproperties with keyname and keyvaulturi",
        ));
    };
    let text = |n: &str| prop(m, n).and_then(Value::as_str).unwrap_or("").trim();
    let (name, uri, version) = (text("keyname"), text("keyvaulturi"), text("keyversion"));
    if name.is_empty() || uri.is_empty() {
        return Err(bad(
            "encryption.keyvaultproperties needs keyname and keyvaulturi",
        ));
    }
    if client::vault_name_of(uri).is_none() {
        return Err(bad(format!(
            "keyvaulturi '{uri}' is not a Key Vault URI (https://{{vault}}.vault.azure.net)"
        )));
    }
    Ok(KeyVaultProperties {
        vault_uri: uri.trim_end_matches('/').to_string(),
        key_name: name.to_string(),
        key_version: version.to_string(),
        key_rsa_size: None,
    })
}

/// What `properties.encryption` asks for.
struct EncryptionRequest {
    /// `Some(None)`: Microsoft.Storage; `Some(Some(k))`: Microsoft.Keyvault with `k`.
    key: Option<Option<KeyVaultProperties>>,
    identity: Option<String>,
    table: Option<KeyType>,
    queue: Option<KeyType>,
}

fn parse_encryption(v: &Value) -> Result<EncryptionRequest, ApiError> {
    let Value::Object(m) = v else {
        return Err(bad("properties.encryption must be an object"));
    };
    let key = match prop(m, "keySource").map(|s| s.as_str().unwrap_or("")) {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("Microsoft.Storage") => Some(None),
        Some(s) if s.eq_ignore_ascii_case("Microsoft.Keyvault") => {
            Some(Some(parse_key(prop(m, "keyvaultproperties"))?))
        }
        Some(s) => {
            return Err(bad(format!(
                "encryption.keySource must be Microsoft.Storage or Microsoft.Keyvault, not '{s}'"
            )));
        }
    };
    let identity = match prop(m, "identity") {
        None => None,
        Some(Value::Object(i)) => prop(i, "userAssignedIdentity")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string),
        Some(_) => return Err(bad("encryption.identity must be an object")),
    };
    let service = |n: &str| -> Result<Option<KeyType>, ApiError> {
        let Some(Value::Object(services)) = prop(m, "services") else {
            return Ok(None);
        };
        match prop(services, n) {
            Some(Value::Object(s)) => prop(s, "keyType").map(|t| KeyType::parse(t, n)).transpose(),
            _ => Ok(None),
        }
    };
    Ok(EncryptionRequest {
        key,
        identity,
        table: service("table")?,
        queue: service("queue")?,
    })
}

fn put(cx: &mut Ctx, req: &Request, scope: &[String], name: &str) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let id = resource_id(sub, &rg, TYPE, name);
    let key = id_key(&id);
    let body = body(req)?;
    if let Some(existing) = cx.w.storage_accounts.get(&key) {
        let region = location(&body, TYPE)?;
        if region.name != existing.location {
            return Err(bad(format!(
                "the location of storage account {name} is {} and can't be changed",
                existing.location
            )));
        }
        return update(cx, &key, &body);
    }
    if !valid_name(name) {
        return Err(ApiError::new(&errors::STORAGE_ACCOUNT_NAME_INVALID).arg("name", name));
    }
    // Storage account names are a global DNS namespace (`{name}.blob.core.windows.net`).
    if cx.w.storage_accounts.values().any(|a| a.name == name) {
        return Err(ApiError::new(&errors::STORAGE_ACCOUNT_ALREADY_TAKEN).arg("name", name));
    }
    let region = location(&body, TYPE)?;
    let kind = prop(&body, "kind").and_then(Value::as_str).unwrap_or("");
    if !kind.eq_ignore_ascii_case("StorageV2") {
        return Err(bad(format!(
            "kind must be StorageV2 (general-purpose v2, the kind a workspace can link), not '{kind}'"
        )));
    }
    let sku = sku(&body)?.ok_or_else(|| bad("sku.name is required"))?;
    let (system, users) = match prop(&body, "identity") {
        None => (false, Vec::new()),
        Some(v) => parse_identity(cx, v)?,
    };
    let props = match prop(&body, "properties") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad("properties must be an object")),
    };
    let enc = match prop(&props, "encryption") {
        None => None,
        Some(v) => Some(parse_encryption(v)?),
    };
    let (cmk, enc_identity, table, queue) = match &enc {
        None => (None, None, KeyType::Service, KeyType::Service),
        Some(e) => (
            e.key.clone().flatten(),
            e.identity.clone(),
            e.table.unwrap_or(KeyType::Service),
            e.queue.unwrap_or(KeyType::Service),
        ),
    };
    let enc_identity = enc_identity
        .map(|u| resolve_encryption_identity(&users, &u))
        .transpose()?;
    if cmk.is_some() && enc_identity.is_none() {
        // The system-assigned identity does not exist until the account does, so nobody can have
        // granted it the key yet.
        return Err(ApiError::new(&errors::STORAGE_CMK_IDENTITY_REQUIRED).arg(
            "detail",
            "when the account is created with keySource Microsoft.Keyvault, encryption.identity.userAssignedIdentity must name one of its user-assigned identities (a system-assigned identity exists only once the account does, so it can be granted the key only afterwards)",
        ));
    }
    let tags = tags(&body)?.unwrap_or_else(|| json!({}));
    let now = cx.w.now;
    let system_principal = system.then(|| new_service_principal(cx, name, &id).0);
    cx.w.storage_accounts.insert(
        key.clone(),
        StorageAccountResource {
            id: id.clone(),
            name: name.to_string(),
            subscription: sub.to_string(),
            group: rg,
            location: region.name,
            kind: "StorageV2".into(),
            sku,
            system_principal,
            user_identities: users,
            encryption_identity: enc_identity,
            key: None,
            table_key_type: table,
            queue_key_type: queue,
            holder: String::new(),
            created: now,
            tags,
            documents: BTreeMap::new(),
        },
    );
    let holder = storage::new_holder_account(
        cx,
        Owner::Customer {
            account: key.clone(),
        },
        None,
    )
    .map_err(bad)?;
    cx.w.storage_accounts
        .get_mut(&key)
        .expect("inserted")
        .holder = holder;
    cx.j.note(
        now,
        Category::Resource,
        &id,
        format!(
            "Storage account {name} created in {} (table keyType {}{})",
            region.display,
            table.as_str(),
            if table == KeyType::Account {
                ""
            } else {
                ": its tables can never be under a customer-managed key"
            }
        ),
    );
    if let Some(k) = cmk {
        set_cmk(cx, &key, k)?;
    }
    Ok(Response::ok(cx.w.storage_accounts[&key].to_json(cx.w)))
}

fn sku(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match prop(body, "sku") {
        None => Ok(None),
        Some(Value::Object(s)) => {
            let n = prop(s, "name").and_then(Value::as_str).unwrap_or("");
            SKUS.iter()
                .find(|k| k.eq_ignore_ascii_case(n))
                .map(|k| Some(k.to_string()))
                .ok_or_else(|| {
                    bad(format!(
                        "sku.name must be one of {}, not '{n}'",
                        SKUS.join(", ")
                    ))
                })
        }
        Some(_) => Err(bad("sku must be an object")),
    }
}

/// `encryption.identity.userAssignedIdentity` must be one of the account's identities.
fn resolve_encryption_identity(users: &[String], uid: &str) -> Result<String, ApiError> {
    users
        .iter()
        .find(|u| id_key(u) == id_key(uid))
        .cloned()
        .ok_or_else(|| {
            ApiError::new(&errors::STORAGE_CMK_IDENTITY_REQUIRED).arg(
                "detail",
                format!("encryption.identity.userAssignedIdentity '{uid}' is not one of the account's user-assigned identities (identity.userAssignedIdentities)"),
            )
        })
}

/// PATCH (and PUT on an existing account): sku, identity, tags and encryption; the services'
/// keyType never changes.
fn update(cx: &mut Ctx, key: &str, body: &Map<String, Value>) -> ApiResult {
    let current = cx.w.storage_accounts[key].clone();
    let mut next = current.clone();
    if let Some(s) = sku(body)? {
        next.sku = s;
    }
    if let Some(v) = prop(body, "kind").and_then(Value::as_str)
        && !v.eq_ignore_ascii_case(&current.kind)
    {
        return Err(bad(format!(
            "kind can't be changed from {} to '{v}' here",
            current.kind
        )));
    }
    if let Some(v) = prop(body, "identity") {
        let (system, users) = parse_identity(cx, v)?;
        next.system_principal = if system {
            current.system_principal.clone().or(Some(String::new()))
        } else {
            None
        };
        next.user_identities = users;
    }
    if let Some(t) = tags(body)? {
        next.tags = t;
    }
    let enc =
        match prop(body, "properties").and_then(|p| p.get("encryption").or(p.get("Encryption"))) {
            None => None,
            Some(v) => Some(parse_encryption(v)?),
        };
    let mut cmk = current.key.clone();
    if let Some(e) = &enc {
        for (service, now_type, asked) in [
            ("table", current.table_key_type, e.table),
            ("queue", current.queue_key_type, e.queue),
        ] {
            if let Some(t) = asked
                && t != now_type
            {
                return Err(ApiError::new(&errors::STORAGE_KEY_TYPE_IMMUTABLE)
                    .arg("service", service)
                    .arg("current", now_type.as_str())
                    .arg("requested", t.as_str()));
            }
        }
        if let Some(k) = &e.key {
            cmk = k.clone();
        }
        if let Some(u) = &e.identity {
            next.encryption_identity = Some(resolve_encryption_identity(&next.user_identities, u)?);
        }
    }
    // An encryption identity that is no longer among the account's identities is dropped.
    if let Some(u) = &next.encryption_identity
        && !next.user_identities.iter().any(|x| id_key(x) == id_key(u))
    {
        if cmk.is_some() {
            return Err(resolve_encryption_identity(&next.user_identities, u).unwrap_err());
        }
        next.encryption_identity = None;
    }
    if cmk.is_some() && next.encryption_identity.is_none() && next.system_principal.is_none() {
        return Err(ApiError::new(&errors::STORAGE_CMK_IDENTITY_REQUIRED).arg(
            "detail",
            "the account has no system-assigned identity and encryption.identity.userAssignedIdentity names none of its user-assigned identities",
        ));
    }
    // Everything is valid as far as the request goes: apply it; Key Vault decides the rest.
    if next.system_principal.as_deref() == Some("") {
        next.system_principal = Some(new_service_principal(cx, &current.name, &current.id).0);
    }
    let identity_changed = next.encryption_identity != current.encryption_identity
        || next.system_principal != current.system_principal;
    next.key = current.key.clone();
    cx.w.storage_accounts.insert(key.to_string(), next);
    match cmk {
        None if current.key.is_some() => {
            let holder = current.holder.clone();
            storage::protect_with_mmk(cx, &holder).map_err(|why| {
                ApiError::new(&errors::STORAGE_KEY_VALIDATION_FAILED)
                    .arg(
                        "key",
                        current.key.as_ref().map_or("", |k| k.key_name.as_str()),
                    )
                    .arg(
                        "vault",
                        current.key.as_ref().map_or(String::new(), |k| k.vault()),
                    )
                    .arg("detail", why)
            })?;
            cx.w.storage_accounts.get_mut(key).expect("exists").key = None;
            cx.j.note(
                cx.w.now,
                Category::Resource,
                &current.id,
                format!(
                    "Storage account {} switched to Microsoft-managed keys (keySource Microsoft.Storage)",
                    current.name
                ),
            );
        }
        None => {}
        Some(k) if Some(&k) == current.key.as_ref() && !identity_changed => {}
        Some(k) => set_cmk(cx, key, k)?,
    }
    Ok(Response::ok(cx.w.storage_accounts[key].to_json(cx.w)))
}

/// Puts the account under `kvp`: the key is validated with the account's identity through Key
/// Vault (get, wrapKey and unwrapKey), then the account's AEK is wrapped with it (a real
/// `wrapkey`) and storage starts checking Key Vault on the clock.
fn set_cmk(cx: &mut Ctx, key: &str, kvp: KeyVaultProperties) -> Result<(), ApiError> {
    let a = cx.w.storage_accounts[key].clone();
    let failed = |detail: String| {
        ApiError::new(&errors::STORAGE_KEY_VALIDATION_FAILED)
            .arg("key", kvp.key_name.clone())
            .arg("vault", kvp.vault())
            .arg("detail", detail)
    };
    let principal = a
        .principal(cx.w)
        .map_err(|why| ApiError::new(&errors::STORAGE_CMK_IDENTITY_REQUIRED).arg("detail", why))?;
    let vault = kvp.vault();
    if !client::reachable(cx, &vault) {
        return Err(failed(format!(
            "Key Vault {} does not exist (no such host)",
            kvp.vault_uri
        )));
    }
    client::check_grant(cx, &vault, &principal, &kvp.key_name).map_err(|e| {
        failed(format!(
            "Key Vault answered {} {} to identity {}: {}",
            e.spec.status,
            e.spec.code,
            principal.object_id,
            e.message()
        ))
    })?;
    let version = match client::designated_version(cx, &kvp) {
        None => {
            return Err(failed(if kvp.key_version.is_empty() {
                format!("key {} does not exist", kvp.key_name)
            } else {
                format!("key {} has no version {}", kvp.key_name, kvp.key_version)
            }));
        }
        Some((v, false)) => {
            return Err(failed(format!(
                "key {} version {v} is disabled",
                kvp.key_name
            )));
        }
        Some((v, true)) => v,
    };
    let was_cmk = cx.w.storage.accounts[&a.holder].protector.is_cmk();
    cx.w.storage_accounts.get_mut(key).expect("exists").key = Some(kvp.clone());
    storage::rewrap(cx, &a.holder, &kvp, &version).map_err(failed)?;
    // A poll still queued from an earlier CMK period carries on (its loop stops only when it
    // finds the account under a Microsoft-managed key): never run two loops for one account.
    let queued =
        cx.w.events.iter().any(
            |(_, e)| matches!(e, clock::Event::KeyVaultPoll { account } if *account == a.holder),
        );
    if !was_cmk && !queued {
        storage::access::start_polling(cx, &a.holder);
    }
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &a.id,
        format!(
            "Storage account {} encrypted with key {} version {version} of {} ({}), through identity {}{}",
            a.name,
            kvp.key_name,
            kvp.vault_uri,
            if kvp.auto_rotation() {
                "no keyversion: follows the latest version"
            } else {
                "pinned version"
            },
            principal.display_name,
            if a.table_cmk_capable() {
                ""
            } else {
                "; its tables stay under a service-managed key (keyType Service, set at creation)"
            }
        ),
    );
    Ok(())
}

fn delete(cx: &mut Ctx, scope: &[String], name: &str) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let key = id_key(&resource_id(sub, &rg, TYPE, name));
    let Some(a) = cx.w.storage_accounts.remove(&key) else {
        return Ok(Response::empty(204));
    };
    storage::remove_account(cx, &a.holder);
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &a.id,
        format!("Storage account {} deleted, its AEK with it", a.name),
    );
    Ok(Response::empty(200))
}

// ---- what linked workspaces keep in an account ---------------------------------------------

/// Why a document of the account can't be reached: the storage service's own answer when the
/// account's key is out of reach (403 `KeyVaultEncryptionKeyNotFound`), or the account is gone.
pub fn unreachable(w: &World, account: &str, what: &str, reason: &str) -> ApiError {
    let name = w
        .storage_accounts
        .get(account)
        .map_or(account, |a| a.name.as_str());
    ApiError::new(&errors::STORAGE_KEY_UNAVAILABLE)
        .arg("what", what)
        .arg("account", name)
        .arg("reason", reason)
}

fn holder(w: &World, account: &str, what: &str) -> Result<String, ApiError> {
    w.storage_accounts
        .get(account)
        .map(|a| a.holder.clone())
        .ok_or_else(|| unreachable(w, account, what, "the storage account no longer exists"))
}

/// Whether the account's key is within reach now (no Key Vault call).
pub fn check_reachable(cx: &Ctx, account: &str, what: &str) -> Result<(), ApiError> {
    let h = holder(cx.w, account, what)?;
    documents::reachable(cx, &h).map_err(|why| unreachable(cx.w, account, what, &why))
}

/// Seals `value` as document `doc` of the account, under its AEK.
pub fn put_document(
    cx: &mut Ctx,
    account: &str,
    doc: &str,
    value: &Value,
    what: &str,
) -> Result<(), ApiError> {
    let h = holder(cx.w, account, what)?;
    let sealed = documents::seal(cx, &h, doc, value)
        .map_err(|why| unreachable(cx.w, account, what, &why))?;
    cx.w.storage_accounts
        .get_mut(account)
        .expect("holder found it")
        .documents
        .insert(doc.to_string(), sealed);
    Ok(())
}

/// Opens document `doc` of the account (`None` if there is none).
pub fn get_document(
    cx: &mut Ctx,
    account: &str,
    doc: &str,
    what: &str,
) -> Result<Option<Value>, ApiError> {
    let h = holder(cx.w, account, what)?;
    let Some(sealed) = cx.w.storage_accounts[account].documents.get(doc).cloned() else {
        check_reachable(cx, account, what)?;
        return Ok(None);
    };
    documents::open(cx, &h, doc, &sealed)
        .map(Some)
        .map_err(|why| unreachable(cx.w, account, what, &why))
}

/// The ids of the account's documents under `prefix` (names only: nothing is opened).
pub fn document_ids(w: &World, account: &str, prefix: &str) -> Vec<String> {
    w.storage_accounts.get(account).map_or_else(Vec::new, |a| {
        a.documents
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect()
    })
}

/// Removes a document without opening it (a blob or entity is deleted by name).
pub fn remove_document(w: &mut World, account: &str, doc: &str) -> bool {
    w.storage_accounts
        .get_mut(account)
        .is_some_and(|a| a.documents.remove(doc).is_some())
}
