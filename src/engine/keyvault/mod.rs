//! Azure Key Vault: vaults (ARM control plane, [`vaults`]), keys and their versions (data plane,
//! [`keys`]), and who may do what ([`access`]).
//!
//! Invariant: a key version's private material ([`RsaKey`]) never leaves this module's types; the
//! rest of the engine gets public JWK fields and the results of wrap/unwrap, through the same
//! authorization checks and audit log as a REST caller.

pub mod access;
pub mod client;
pub mod keys;
pub mod rotation;
pub mod vaults;

use serde_json::{Value, json};

use super::crypto::RsaKey;
use super::errors::{self, ApiError};
use super::limits::MAX_KEY_VERSIONS;

/// One access-policy entry: the permissions of one principal, by category.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessPolicy {
    pub tenant_id: String,
    pub object_id: String,
    pub application_id: Option<String>,
    /// Canonical permission names (`get`, `wrapKey`, `all`, ...).
    pub keys: Vec<String>,
    pub secrets: Vec<String>,
    pub certificates: Vec<String>,
}

impl AccessPolicy {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "tenantId": self.tenant_id,
            "objectId": self.object_id,
            "permissions": { "keys": self.keys, "secrets": self.secrets, "certificates": self.certificates },
        });
        if let Some(app) = &self.application_id {
            v["applicationId"] = json!(app);
        }
        v
    }
}

/// Whether a URL segment has the shape of a key version: 32 hex digits.
pub fn is_key_version(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// One version of a key.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyVersion {
    /// 32 lower-case hex digits.
    pub version: String,
    /// `RSA` or `RSA-HSM`.
    pub kty: String,
    pub key_ops: Vec<String>,
    pub enabled: bool,
    pub nbf: Option<u64>,
    pub exp: Option<u64>,
    pub created: u64,
    pub updated: u64,
    pub tags: Value,
    pub material: RsaKey,
}

impl KeyVersion {
    pub fn allows(&self, op: &str) -> bool {
        self.key_ops.iter().any(|o| o == op)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    /// Oldest first; the last is the current version.
    pub versions: Vec<KeyVersion>,
    /// Set through `PUT /keys/{name}/rotationpolicy`; `None` until then.
    pub rotation_policy: Option<rotation::RotationPolicy>,
}

impl Key {
    pub fn latest(&self) -> &KeyVersion {
        // A key is created with its first version and versions are never removed one by one.
        self.versions
            .last()
            .expect("a key has at least one version")
    }

    /// Refuses a new version once the key has as many as the playground keeps
    /// ([`MAX_KEY_VERSIONS`]); the one place that rule lives.
    pub fn room_for_version(&self) -> Result<(), ApiError> {
        if self.versions.len() < MAX_KEY_VERSIONS {
            return Ok(());
        }
        Err(ApiError::new(&errors::KEY_VERSIONS_LIMIT)
            .arg("name", self.name.clone())
            .arg("limit", MAX_KEY_VERSIONS.to_string()))
    }

    pub fn version(&self, v: &str) -> Option<&KeyVersion> {
        self.versions
            .iter()
            .find(|k| k.version.eq_ignore_ascii_case(v))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeletedKey {
    pub key: Key,
    pub deleted: u64,
    pub purge_at: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vault {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: &'static str,
    pub tenant_id: String,
    /// `standard` or `premium`.
    pub sku: String,
    pub access_policies: Vec<AccessPolicy>,
    pub soft_delete: bool,
    pub retention_days: u32,
    pub purge_protection: bool,
    pub rbac: bool,
    pub created: u64,
    pub tags: Value,
    /// Live keys by lower-cased name.
    pub keys: std::collections::BTreeMap<String, Key>,
    /// Soft-deleted keys by lower-cased name.
    pub deleted_keys: std::collections::BTreeMap<String, DeletedKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeletedVault {
    pub vault: Vault,
    pub deleted: u64,
    pub purge_at: u64,
}

impl Vault {
    /// `https://{name}.vault.azure.net` (no trailing slash: the form key ids are built on).
    pub fn base_url(&self) -> String {
        format!("https://{}.vault.azure.net", self.name.to_ascii_lowercase())
    }

    /// What Key Vault reports as the keys' `recoveryLevel` for this vault's settings.
    pub fn recovery_level(&self) -> &'static str {
        match (
            self.soft_delete,
            self.purge_protection,
            self.retention_days == 90,
        ) {
            (false, _, _) => "Purgeable",
            (true, false, true) => "Recoverable+Purgeable",
            (true, false, false) => "CustomizedRecoverable+Purgeable",
            (true, true, true) => "Recoverable",
            (true, true, false) => "CustomizedRecoverable",
        }
    }

    /// The seed's "recoverable" vault: soft delete and purge protection both on.
    pub fn is_recoverable(&self) -> bool {
        self.soft_delete && self.purge_protection
    }

    pub fn kid(&self, name: &str, version: &str) -> String {
        format!("{}/keys/{}/{}", self.base_url(), name, version)
    }

    /// ARM-style id of a key, the scope RBAC evaluates for key operations.
    pub fn key_resource_id(&self, name: &str) -> String {
        format!("{}/keys/{}", self.id, name)
    }

    pub fn key_attributes(&self, v: &KeyVersion) -> Value {
        let mut a = json!({
            "enabled": v.enabled,
            "created": v.created,
            "updated": v.updated,
            "recoveryLevel": self.recovery_level(),
            "exportable": false,
        });
        if self.soft_delete {
            a["recoverableDays"] = json!(self.retention_days);
        }
        if let Some(nbf) = v.nbf {
            a["nbf"] = json!(nbf);
        }
        if let Some(exp) = v.exp {
            a["exp"] = json!(exp);
        }
        a
    }

    /// The public KeyBundle of one version (no private material, by construction).
    pub fn key_bundle(&self, key: &Key, v: &KeyVersion) -> Value {
        json!({
            "key": {
                "kid": self.kid(&key.name, &v.version),
                "kty": v.kty,
                "key_ops": v.key_ops,
                "n": v.material.n(),
                "e": v.material.e(),
            },
            "attributes": self.key_attributes(v),
            "tags": v.tags,
        })
    }

    pub fn deleted_bundle(&self, d: &DeletedKey) -> Value {
        let mut b = self.key_bundle(&d.key, d.key.latest());
        if self.soft_delete {
            b["recoveryId"] = json!(format!("{}/deletedkeys/{}", self.base_url(), d.key.name));
            b["scheduledPurgeDate"] = json!(d.purge_at);
        }
        b["deletedDate"] = json!(d.deleted);
        b
    }
}
