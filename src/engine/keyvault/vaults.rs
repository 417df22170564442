//! `Microsoft.KeyVault/vaults` on ARM: create, read, update, delete (soft), recover, and
//! `accessPolicies/{add|replace|remove}`.
//!
//! Seed rule: soft delete and purge protection "aren't enabled by default", so a vault created
//! without them is not recoverable and cannot protect a cluster's data. Both are one-way: once on,
//! they cannot be turned off.

use crate::engine::api_versions::KEYVAULT_API;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::access::{CERTIFICATE_PERMISSIONS, KEY_PERMISSIONS, SECRET_PERMISSIONS, canonical};
use super::{AccessPolicy, DeletedVault, Vault};
use crate::engine::Ctx;
use crate::engine::arm::{
    ApiResult, api_version, body_object, group_scope, id_key, is_guid, json_kind, location,
    method_not_allowed, prop, resource_id, subscription_scope, tags, writable_group_scope,
};
use crate::engine::clock::{DAY, Event};
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response, seg_is};
use crate::engine::journal::Category;

const MAX_POLICIES: usize = 1024;

impl Vault {
    pub fn to_json(&self) -> Value {
        let mut props = json!({
            "sku": { "family": "A", "name": self.sku },
            "tenantId": self.tenant_id,
            "accessPolicies": self.access_policies.iter().map(AccessPolicy::to_json).collect::<Vec<_>>(),
            "enabledForDeployment": false,
            "enabledForDiskEncryption": false,
            "enabledForTemplateDeployment": false,
            "enableSoftDelete": self.soft_delete,
            "softDeleteRetentionInDays": self.retention_days,
            "enableRbacAuthorization": self.rbac,
            "vaultUri": format!("{}/", self.base_url()),
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
        });
        if self.purge_protection {
            props["enablePurgeProtection"] = json!(true);
        }
        json!({
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.KeyVault/vaults",
            "location": self.location,
            "tags": self.tags,
            "properties": props,
        })
    }
}

/// `.../providers/Microsoft.KeyVault/...`
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, KEYVAULT_API)?;
    match rest {
        [t] if seg_is(Some(t), "vaults") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = if scope.len() == 2 {
                let sub = subscription_scope(cx, scope)?;
                format!("/subscriptions/{sub}/").to_ascii_lowercase()
            } else {
                let (sub, rg) = group_scope(cx, scope)?;
                format!("{}/", crate::engine::arm::groups::group_key(sub, &rg))
            };
            let value: Vec<Value> =
                cx.w.vaults
                    .values()
                    .filter(|v| id_key(&v.id).starts_with(&prefix))
                    .map(Vault::to_json)
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [t] if seg_is(Some(t), "deletedvaults") => {
            let sub = subscription_scope(cx, scope)?;
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let value: Vec<Value> =
                cx.w.deleted_vaults
                    .values()
                    .filter(|d| d.vault.subscription == sub)
                    .map(deleted_json)
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [l, _loc, t, name, rest @ ..]
            if seg_is(Some(l), "locations") && seg_is(Some(t), "deletedvaults") =>
        {
            let sub = subscription_scope(cx, scope)?;
            let key = name.to_ascii_lowercase();
            let found =
                cx.w.deleted_vaults
                    .get(&key)
                    .filter(|d| d.vault.subscription == sub)
                    .cloned();
            let not_found = || {
                ApiError::new(&errors::RESOURCE_NOT_FOUND)
                    .arg("type", "Microsoft.KeyVault/deletedVaults")
                    .arg("name", name.as_str())
                    .arg("group", "")
            };
            match (req.method, rest) {
                (Method::Get, []) => found
                    .map(|d| Response::ok(deleted_json(&d)))
                    .ok_or_else(not_found),
                (Method::Post, [p]) if seg_is(Some(p), "purge") => {
                    let d = found.ok_or_else(not_found)?;
                    if d.vault.purge_protection {
                        return Err(ApiError::new(&errors::VAULT_PURGE_PROTECTED)
                            .arg("vault", d.vault.name.clone())
                            .arg("date", crate::engine::clock::human(d.purge_at)));
                    }
                    purge_vault(cx, &key);
                    Ok(Response::empty(202))
                }
                _ => Err(method_not_allowed(req)),
            }
        }
        [t, name] if seg_is(Some(t), "vaults") => match req.method {
            Method::Put => put(cx, req, scope, name, false),
            Method::Patch => put(cx, req, scope, name, true),
            Method::Get => {
                let (sub, rg) = group_scope(cx, scope)?;
                find(cx, sub, &rg, name).map(|v| Response::ok(v.to_json()))
            }
            Method::Delete => {
                let (sub, rg) = group_scope(cx, scope)?;
                if find(cx, sub, &rg, name).is_ok() {
                    remove(cx, &name.to_ascii_lowercase());
                    Ok(Response::empty(200))
                } else {
                    Ok(Response::empty(204))
                }
            }
            _ => Err(method_not_allowed(req)),
        },
        [t, name, ap, kind] if seg_is(Some(t), "vaults") && seg_is(Some(ap), "accesspolicies") => {
            if req.method != Method::Put {
                return Err(method_not_allowed(req));
            }
            update_policies(cx, req, scope, name, kind)
        }
        _ => Err(crate::engine::arm::unknown_type(
            req,
            "Microsoft.KeyVault",
            rest,
        )),
    }
}

fn deleted_json(d: &DeletedVault) -> Value {
    json!({
        "id": format!("/subscriptions/{}/providers/Microsoft.KeyVault/locations/{}/deletedVaults/{}", d.vault.subscription, d.vault.location, d.vault.name),
        "name": d.vault.name,
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": d.vault.id,
            "location": d.vault.location,
            "deletionDate": crate::engine::clock::iso(d.deleted),
            "scheduledPurgeDate": crate::engine::clock::iso(d.purge_at),
            "purgeProtectionEnabled": d.vault.purge_protection,
        },
    })
}

fn vault_id(sub: &str, rg: &str, name: &str) -> String {
    resource_id(sub, rg, "Microsoft.KeyVault/vaults", name)
}

fn find<'c>(cx: &'c Ctx, sub: &str, rg: &str, name: &str) -> Result<&'c Vault, ApiError> {
    let id = vault_id(sub, rg, name);
    cx.w.vaults
        .get(&name.to_ascii_lowercase())
        .filter(|v| id_key(&v.id) == id_key(&id))
        .ok_or_else(|| {
            ApiError::new(&errors::RESOURCE_NOT_FOUND)
                .arg("type", "Microsoft.KeyVault/vaults")
                .arg("name", name)
                .arg("group", rg)
        })
}

/// Vault names: 3-24 characters of letters, digits and hyphens; start with a letter, end with a
/// letter or digit, no consecutive hyphens.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=24).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && !name.contains("--")
}

fn bad_content(detail: impl Into<String>) -> ApiError {
    ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail)
}

fn bool_prop(props: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match prop(props, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(bad_content(format!(
            "Unexpected {} value for a boolean. Path 'properties.{name}'.",
            json_kind(v)
        ))),
    }
}

/// Parses `accessPolicies`: every entry needs GUID tenantId/objectId and known permission names.
pub fn parse_policies(v: &Value) -> Result<Vec<AccessPolicy>, ApiError> {
    let Value::Array(items) = v else {
        return Err(ApiError::new(&errors::ACCESS_POLICIES_INVALID));
    };
    if items.len() > MAX_POLICIES {
        return Err(ApiError::new(&errors::ACCESS_POLICY_LIMIT));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(p) = item else {
            return Err(ApiError::new(&errors::ACCESS_POLICIES_INVALID));
        };
        let field = |name: &str, label: &'static str| -> Result<String, ApiError> {
            let v = prop(p, name).and_then(Value::as_str).unwrap_or("");
            if is_guid(v) {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(ApiError::new(&errors::ACCESS_POLICY_FIELD_INVALID)
                    .arg("index", i.to_string())
                    .arg("field", label)
                    .arg("value", v))
            }
        };
        let tenant_id = field("tenantId", "TenantId")?;
        let object_id = field("objectId", "ObjectId")?;
        let application_id = match prop(p, "applicationId") {
            None => None,
            Some(_) => Some(field("applicationId", "ApplicationId")?),
        };
        let perms = match prop(p, "permissions") {
            Some(Value::Object(m)) => m.clone(),
            None => Map::new(),
            Some(_) => return Err(ApiError::new(&errors::ACCESS_POLICIES_INVALID)),
        };
        let list = |name: &str, known: &[&'static str]| -> Result<Vec<String>, ApiError> {
            match prop(&perms, name) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .and_then(|s| canonical(known, s))
                            .map(str::to_string)
                            .ok_or_else(|| ApiError::new(&errors::ACCESS_POLICIES_INVALID))
                    })
                    .collect(),
                Some(_) => Err(ApiError::new(&errors::ACCESS_POLICIES_INVALID)),
            }
        };
        out.push(AccessPolicy {
            tenant_id,
            object_id,
            application_id,
            keys: dedup(list("keys", &KEY_PERMISSIONS)?),
            secrets: dedup(list("secrets", &SECRET_PERMISSIONS)?),
            certificates: dedup(list("certificates", &CERTIFICATE_PERMISSIONS)?),
        });
    }
    Ok(out)
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|x| {
        let fresh = !seen.contains(x);
        seen.push(x.clone());
        fresh
    });
    v
}

/// PUT (create or replace) and PATCH (partial update) of a vault.
fn put(cx: &mut Ctx, req: &Request, scope: &[String], name: &str, patch: bool) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let body = body_object(req)?;
    let id = vault_id(sub, &rg, name);
    let key = name.to_ascii_lowercase();
    let existing =
        cx.w.vaults
            .get(&key)
            .filter(|v| id_key(&v.id) == id_key(&id))
            .cloned();
    if patch && existing.is_none() {
        return Err(find(cx, sub, &rg, name)
            .err()
            .unwrap_or_else(|| ApiError::new(&errors::RESOURCE_NOT_FOUND)));
    }
    if existing.is_none() {
        if !valid_name(name) {
            return Err(ApiError::new(&errors::VAULT_NAME_INVALID).arg("name", name));
        }
        if cx.w.vaults.contains_key(&key) {
            return Err(ApiError::new(&errors::VAULT_ALREADY_EXISTS).arg("name", name));
        }
        if let Some(d) = cx.w.deleted_vaults.get(&key) {
            let recovering = body_props(&body)
                .and_then(|p| {
                    prop(&p, "createMode")
                        .and_then(Value::as_str)
                        .map(|m| m.eq_ignore_ascii_case("recover"))
                })
                .unwrap_or(false);
            if d.vault.subscription != sub {
                return Err(ApiError::new(&errors::VAULT_ALREADY_EXISTS).arg("name", name));
            }
            if !recovering {
                return Err(ApiError::new(&errors::VAULT_DELETED_CONFLICT));
            }
            let asked = location(&body, "Microsoft.KeyVault/vaults")?;
            if !d.vault.group.eq_ignore_ascii_case(&rg) || asked.name != d.vault.location {
                return Err(ApiError::new(&errors::VAULT_RECOVER_ELSEWHERE)
                    .arg("name", &d.vault.name)
                    .arg("group", &d.vault.group)
                    .arg("location", d.vault.location));
            }
            return recover_vault(cx, &key);
        }
    }
    let region = match &existing {
        Some(v) if patch => crate::engine::world::find_region(v.location)
            .expect("stored regions are in the catalogue"),
        _ => location(&body, "Microsoft.KeyVault/vaults")?,
    };
    if let Some(v) = &existing {
        if v.location != region.name {
            return Err(ApiError::new(&errors::LOCATION_CANNOT_CHANGE)
                .arg("name", v.name.clone())
                .arg("location", v.location));
        }
    }
    let tags = tags(&body)?;
    let props = match prop(&body, "properties") {
        Some(Value::Object(p)) => p.clone(),
        None if patch => Map::new(),
        None => {
            return Err(
                ApiError::new(&errors::VAULT_PARAMETER_MISSING).arg("parameter", "properties")
            );
        }
        Some(v) => {
            return Err(bad_content(format!(
                "Unexpected {} for properties. Path 'properties'.",
                json_kind(v)
            )));
        }
    };

    let tenant_id = match prop(&props, "tenantId").and_then(Value::as_str) {
        Some(t) if is_guid(t) => t.to_ascii_lowercase(),
        Some(t) => {
            return Err(bad_content(format!(
                "Error converting value \"{t}\" to type 'System.Guid'. Path 'properties.tenantId'."
            )));
        }
        None => match &existing {
            Some(v) => v.tenant_id.clone(),
            None => {
                return Err(
                    ApiError::new(&errors::VAULT_PARAMETER_MISSING).arg("parameter", "tenantId")
                );
            }
        },
    };
    let sku = match prop(&props, "sku") {
        Some(Value::Object(s)) => {
            let n = prop(s, "name").and_then(Value::as_str).unwrap_or("");
            match n.to_ascii_lowercase().as_str() {
                "standard" | "premium" => n.to_ascii_lowercase(),
                _ => return Err(ApiError::new(&errors::VAULT_SKU_INVALID).arg("value", n)),
            }
        }
        Some(_) => return Err(ApiError::new(&errors::VAULT_SKU_INVALID).arg("value", "")),
        None => match &existing {
            Some(v) => v.sku.clone(),
            None => {
                return Err(ApiError::new(&errors::VAULT_PARAMETER_MISSING).arg("parameter", "sku"));
            }
        },
    };
    // A new vault's default flipped with api-version 2026-02-01; existing vaults keep theirs.
    let rbac_default = req
        .query("api-version")
        .is_some_and(|v| v >= crate::engine::arm::KEYVAULT_RBAC_DEFAULT_FROM);
    let rbac = bool_prop(&props, "enableRbacAuthorization")?
        .or(existing.as_ref().map(|v| v.rbac))
        .unwrap_or(rbac_default);
    let policies = match prop(&props, "accessPolicies") {
        Some(p) => parse_policies(p)?,
        None => match &existing {
            Some(v) => v.access_policies.clone(),
            None if rbac => Vec::new(),
            None => {
                return Err(ApiError::new(&errors::VAULT_PARAMETER_MISSING)
                    .arg("parameter", "accessPolicies"));
            }
        },
    };

    // Seed: soft delete and purge protection are off unless asked for; once on, never off.
    let was_soft = existing.as_ref().is_some_and(|v| v.soft_delete);
    let was_protected = existing.as_ref().is_some_and(|v| v.purge_protection);
    let soft_delete = match bool_prop(&props, "enableSoftDelete")? {
        Some(false) if was_soft => return Err(ApiError::new(&errors::SOFT_DELETE_IRREVERSIBLE)),
        Some(b) => b,
        None => was_soft,
    };
    let purge_protection = match bool_prop(&props, "enablePurgeProtection")? {
        Some(false) => return Err(ApiError::new(&errors::PURGE_PROTECTION_IRREVERSIBLE)),
        Some(true) => true,
        None => was_protected,
    };
    if purge_protection && !soft_delete {
        return Err(ApiError::new(&errors::PURGE_PROTECTION_NEEDS_SOFT_DELETE));
    }
    let retention_days = match prop(&props, "softDeleteRetentionInDays") {
        None => existing.as_ref().map(|v| v.retention_days).unwrap_or(90),
        Some(v) => match v.as_u64() {
            Some(d) if (7..=90).contains(&d) => d as u32,
            _ => return Err(ApiError::new(&errors::RETENTION_OUT_OF_RANGE)),
        },
    };
    if let Some(v) = &existing {
        if v.soft_delete && v.retention_days != retention_days {
            return Err(ApiError::new(&errors::RETENTION_IMMUTABLE));
        }
    }

    let now = cx.w.now;
    let created = existing.is_none();
    let mut vault = existing.unwrap_or_else(|| Vault {
        id: id.clone(),
        name: name.to_string(),
        subscription: sub.to_string(),
        group: rg.clone(),
        location: region.name,
        tenant_id: tenant_id.clone(),
        sku: sku.clone(),
        access_policies: Vec::new(),
        soft_delete: false,
        retention_days: 90,
        purge_protection: false,
        rbac: false,
        created: now,
        tags: json!({}),
        keys: BTreeMap::new(),
        deleted_keys: BTreeMap::new(),
    });
    let changes = describe_changes(&vault, soft_delete, purge_protection, rbac, created);
    vault.tenant_id = tenant_id;
    vault.sku = sku;
    vault.rbac = rbac;
    vault.access_policies = policies;
    vault.soft_delete = soft_delete;
    vault.purge_protection = purge_protection;
    vault.retention_days = retention_days;
    if let Some(t) = tags {
        vault.tags = t;
    }
    let body = vault.to_json();
    if created {
        cx.j.note(
            now,
            Category::Resource,
            &vault.id,
            format!("Key Vault {name} created in {}{changes}", region.display),
        );
    } else if !changes.is_empty() {
        cx.j.note(
            now,
            Category::Resource,
            &vault.id,
            format!("Key Vault {name} updated{changes}"),
        );
    }
    cx.w.vaults.insert(key, vault);
    Ok(Response::ok(body))
}

fn body_props(body: &Map<String, Value>) -> Option<Map<String, Value>> {
    match prop(body, "properties") {
        Some(Value::Object(p)) => Some(p.clone()),
        _ => None,
    }
}

fn describe_changes(v: &Vault, soft: bool, purge: bool, rbac: bool, created: bool) -> String {
    let mut parts = Vec::new();
    if soft && (created || !v.soft_delete) {
        parts.push("soft delete on");
    }
    if purge && (created || !v.purge_protection) {
        parts.push("purge protection on");
    }
    if rbac != v.rbac || (created && rbac) {
        parts.push(if rbac {
            "RBAC authorization"
        } else {
            "access-policy authorization"
        });
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// `PUT .../vaults/{name}/accessPolicies/{add|replace|remove}`.
fn update_policies(
    cx: &mut Ctx,
    req: &Request,
    scope: &[String],
    name: &str,
    kind: &str,
) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let kind = kind.to_ascii_lowercase();
    if !matches!(kind.as_str(), "add" | "replace" | "remove") {
        return Err(ApiError::new(&errors::ACCESS_POLICY_OPERATION_INVALID).arg("kind", kind));
    }
    let vault_key = find(cx, sub, &rg, name)?.name.to_ascii_lowercase();
    let body = body_object(req)?;
    let submitted = match body_props(&body)
        .as_ref()
        .and_then(|p| prop(p, "accessPolicies"))
    {
        Some(p) => parse_policies(p)?,
        None => {
            return Err(
                ApiError::new(&errors::VAULT_PARAMETER_MISSING).arg("parameter", "accessPolicies")
            );
        }
    };
    let vault = cx.w.vaults.get_mut(&vault_key).expect("found above");
    for p in &submitted {
        let slot = vault.access_policies.iter().position(|e| {
            e.object_id == p.object_id
                && e.tenant_id == p.tenant_id
                && e.application_id == p.application_id
        });
        match (kind.as_str(), slot) {
            ("add", Some(i)) => {
                let e = &mut vault.access_policies[i];
                e.keys = dedup([e.keys.clone(), p.keys.clone()].concat());
                e.secrets = dedup([e.secrets.clone(), p.secrets.clone()].concat());
                e.certificates = dedup([e.certificates.clone(), p.certificates.clone()].concat());
            }
            ("replace", Some(i)) => vault.access_policies[i] = p.clone(),
            ("add" | "replace", None) => vault.access_policies.push(p.clone()),
            ("remove", Some(i)) => {
                let e = &mut vault.access_policies[i];
                e.keys.retain(|k| !p.keys.contains(k));
                e.secrets.retain(|k| !p.secrets.contains(k));
                e.certificates.retain(|k| !p.certificates.contains(k));
                // Key Vault drops an entry whose permissions are all removed, or when the request
                // names the principal without listing permissions.
                let named_only =
                    p.keys.is_empty() && p.secrets.is_empty() && p.certificates.is_empty();
                if named_only
                    || (e.keys.is_empty() && e.secrets.is_empty() && e.certificates.is_empty())
                {
                    vault.access_policies.remove(i);
                }
            }
            _ => {}
        }
    }
    if vault.access_policies.len() > MAX_POLICIES {
        return Err(ApiError::new(&errors::ACCESS_POLICY_LIMIT));
    }
    let (vid, vname) = (vault.id.clone(), vault.name.clone());
    for p in &submitted {
        let who = cx.w.directory.display(&p.object_id);
        cx.j.note(
            cx.w.now,
            Category::Resource,
            &vid,
            format!(
                "Access policy {kind} on {vname} for {who}: keys [{}]",
                p.keys.join(", ")
            ),
        );
    }
    Ok(Response::ok(json!({
        "id": format!("{vid}/accessPolicies/"),
        "name": kind,
        "type": "Microsoft.KeyVault/vaults/accessPolicies",
        "properties": { "accessPolicies": submitted.iter().map(AccessPolicy::to_json).collect::<Vec<_>>() },
    })))
}

/// Deletes a vault: soft-deleted (recoverable until its retention ends) when soft delete is on.
pub fn remove(cx: &mut Ctx, key: &str) {
    let Some(vault) = cx.w.vaults.remove(key) else {
        return;
    };
    let now = cx.w.now;
    if vault.soft_delete {
        let purge_at = now + vault.retention_days as u64 * DAY;
        cx.w.events.schedule(
            purge_at,
            Event::PurgeDeletedVault {
                vault: key.to_string(),
            },
        );
        cx.j.note(
            now,
            Category::Resource,
            &vault.id,
            format!(
                "Key Vault {} deleted (recoverable for {} days)",
                vault.name, vault.retention_days
            ),
        );
        cx.w.deleted_vaults.insert(
            key.to_string(),
            DeletedVault {
                vault,
                deleted: now,
                purge_at,
            },
        );
    } else {
        cx.j.alert(
            now,
            Category::Resource,
            &vault.id,
            format!(
                "Key Vault {} deleted permanently with its keys (no soft delete)",
                vault.name
            ),
        );
    }
}

fn recover_vault(cx: &mut Ctx, key: &str) -> ApiResult {
    let d = cx.w.deleted_vaults.remove(key).expect("caller checked");
    let k = key.to_string();
    cx.w.events
        .retain(|e| *e != Event::PurgeDeletedVault { vault: k.clone() });
    let body = d.vault.to_json();
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &d.vault.id,
        format!("Key Vault {} recovered", d.vault.name),
    );
    cx.w.vaults.insert(key.to_string(), d.vault);
    Ok(Response::ok(body))
}

/// A deleted vault reaches its purge date (or is purged explicitly): its keys are gone for good.
pub fn purge_vault(cx: &mut Ctx, key: &str) {
    if let Some(d) = cx.w.deleted_vaults.remove(key) {
        let k = key.to_string();
        cx.w.events
            .retain(|e| *e != Event::PurgeDeletedVault { vault: k.clone() });
        cx.j.alert(
            cx.w.now,
            Category::Resource,
            &d.vault.id,
            format!("Key Vault {} purged with all its keys", d.vault.name),
        );
        crate::engine::storage::access::key_purged(cx, key, None);
    }
}
