//! The documented checks on cluster requests, one function per rule, each returning the seed's
//! error. Parsing of request fragments lives here too, so a malformed body and an invalid value
//! are refused by the same code whichever handler received them.

use serde_json::{Map, Value};

use super::{ClusterIdentity, KeyVaultProperties};
use crate::engine::Ctx;
use crate::engine::arm::{id_key, prop};
use crate::engine::errors::{self, ApiError};
use crate::engine::journal::Category;
use crate::engine::keyvault::access::{KeyPerm, permitted};
use crate::engine::keyvault::keys;
use crate::engine::world::Principal;

/// Seed: "Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63."
pub fn cluster_name(name: &str) -> Result<(), ApiError> {
    let ok = (3..=63).contains(&name.len()) && name.bytes().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(&errors::CLUSTER_NAME_INVALID))
    }
}

/// Capacity rules changed with the api-version: the seed's era (1000 GB/day and up in steps of
/// 100), 2021-06-01's four tiers, and the commitment tiers from 2022-10-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityEra {
    Seed,
    Tiers2021,
    Tiers,
}

const TIERS_2021: [u64; 4] = [500, 1000, 2000, 5000];
const TIERS: [u64; 11] = [
    100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 25000, 50000,
];
/// The seed era's self-serve ceiling ("the max allowed capacity" shown in the portal).
const SEED_MAX: u64 = 5000;

impl CapacityEra {
    pub fn of(api_version: &str) -> CapacityEra {
        match api_version {
            v if v < "2021-06-01" => CapacityEra::Seed,
            "2021-06-01" => CapacityEra::Tiers2021,
            _ => CapacityEra::Tiers,
        }
    }

    pub fn min_capacity(self) -> u64 {
        match self {
            CapacityEra::Seed => 1000,
            CapacityEra::Tiers2021 => 500,
            CapacityEra::Tiers => 100,
        }
    }

    fn check(self, capacity: u64, version: &str) -> Result<(), ApiError> {
        let tiers = |t: &[u64]| t.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
        match self {
            CapacityEra::Seed if (1000..=SEED_MAX).contains(&capacity) && capacity % 100 == 0 => {
                Ok(())
            }
            CapacityEra::Seed => Err(ApiError::new(&errors::CAPACITY_NOT_IN_RANGE)),
            CapacityEra::Tiers2021 if TIERS_2021.contains(&capacity) => Ok(()),
            CapacityEra::Tiers2021 => Err(ApiError::new(&errors::CAPACITY_NOT_A_TIER)
                .arg("tiers", tiers(&TIERS_2021))
                .arg("version", version)),
            CapacityEra::Tiers if TIERS.contains(&capacity) => Ok(()),
            CapacityEra::Tiers => Err(ApiError::new(&errors::CAPACITY_NOT_A_TIER)
                .arg("tiers", tiers(&TIERS))
                .arg("version", version)),
        }
    }

    fn missing_capacity(self) -> ApiError {
        ApiError::new(match self {
            CapacityEra::Seed => &errors::MISSING_CAPACITY,
            CapacityEra::Tiers2021 => &errors::MISSING_CAPACITY_2021,
            CapacityEra::Tiers => &errors::MISSING_CAPACITY_TIERS,
        })
    }

    pub fn no_sku(self) -> ApiError {
        ApiError::new(match self {
            CapacityEra::Seed => &errors::NO_SKU,
            CapacityEra::Tiers2021 => &errors::NO_SKU_2021,
            CapacityEra::Tiers => &errors::NO_SKU_TIERS,
        })
    }
}

/// The `sku` object: name must be capacityReservation (any case), capacity valid for the era.
pub fn sku(v: &Value, api_version: &str) -> Result<u64, ApiError> {
    let era = CapacityEra::of(api_version);
    let Value::Object(sku) = v else {
        return Err(era.no_sku());
    };
    let name = prop(sku, "name").and_then(Value::as_str).unwrap_or("");
    let capacity = prop(sku, "capacity");
    if !name.eq_ignore_ascii_case("CapacityReservation") {
        return Err(ApiError::new(if capacity.is_some() {
            &errors::CAPACITY_WITHOUT_SKU
        } else {
            &errors::SKU_NAME_INVALID
        }));
    }
    let capacity = match capacity {
        None => return Err(era.missing_capacity()),
        Some(c) => c.as_u64().ok_or_else(|| era.missing_capacity())?,
    };
    era.check(capacity, api_version)?;
    Ok(capacity)
}

/// Seed: capacity decreases are refused for 30 days after the last SKU update.
pub fn capacity_change(
    current: u64,
    requested: u64,
    last_update: u64,
    now: u64,
) -> Result<(), ApiError> {
    if requested < current && now < last_update + crate::engine::limits::CAPACITY_LOCK {
        return Err(ApiError::new(&errors::CAPACITY_LOCKED));
    }
    Ok(())
}

pub fn billing_type(v: &Value) -> Result<&'static str, ApiError> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("cluster") => Ok("Cluster"),
        Some("workspaces") => Ok("Workspaces"),
        _ => Err(ApiError::new(&errors::BILLING_TYPE_INVALID)
            .arg("value", v.as_str().unwrap_or(&v.to_string()))),
    }
}

/// What a request asks the cluster's identity to be.
#[derive(Clone, Debug, PartialEq)]
pub enum IdentityRequest {
    SystemAssigned,
    /// Resource id of a user-assigned identity, as written in the request.
    UserAssigned(String),
    None,
}

impl IdentityRequest {
    /// The identity `type` asked for.
    pub fn kind(&self) -> &'static str {
        match self {
            IdentityRequest::SystemAssigned => "SystemAssigned",
            IdentityRequest::UserAssigned(_) => "UserAssigned",
            IdentityRequest::None => "None",
        }
    }
}

/// Parses `identity` (its shape only; see [`user_identity`] for the reference). `Ok(None)` when
/// the body has no identity at all.
pub fn identity(body: &Map<String, Value>) -> Result<Option<IdentityRequest>, ApiError> {
    let Some(raw) = body
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("identity"))
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let Value::Object(id) = raw else {
        return Err(ApiError::new(&errors::IDENTITY_NULL));
    };
    let ty = prop(id, "type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    match ty.to_ascii_lowercase().as_str() {
        "" => Err(ApiError::new(&errors::IDENTITY_NULL)),
        "systemassigned" => Ok(Some(IdentityRequest::SystemAssigned)),
        "none" => Ok(Some(IdentityRequest::None)),
        "userassigned" => {
            let ids = match prop(id, "userAssignedIdentities") {
                Some(Value::Object(m)) if m.len() == 1 => {
                    m.keys().next().cloned().unwrap_or_default()
                }
                _ => return Err(ApiError::new(&errors::IDENTITY_TYPE_INVALID).arg("type", ty)),
            };
            Ok(Some(IdentityRequest::UserAssigned(ids)))
        }
        _ => Err(ApiError::new(&errors::IDENTITY_TYPE_INVALID).arg("type", ty)),
    }
}

/// Resolves a user-assigned identity reference to the identity it names.
pub fn user_identity(cx: &Ctx, id: &str) -> Result<ClusterIdentity, ApiError> {
    let ua =
        cx.w.identities
            .get(&id_key(id))
            .ok_or_else(|| ApiError::new(&errors::USER_IDENTITY_NOT_FOUND).arg("id", id))?;
    Ok(ClusterIdentity::UserAssigned {
        resource_id: ua.id.clone(),
        principal_id: ua.principal_id.clone(),
        client_id: ua.client_id.clone(),
    })
}

/// True when the request would leave the identity as it is (the 2026 docs allow sending an
/// unchanged identity together with key details).
pub fn identity_unchanged(current: &ClusterIdentity, req: &IdentityRequest) -> bool {
    match (current, req) {
        (ClusterIdentity::SystemAssigned { .. }, IdentityRequest::SystemAssigned) => true,
        (ClusterIdentity::UserAssigned { resource_id, .. }, IdentityRequest::UserAssigned(r)) => {
            id_key(resource_id) == id_key(r)
        }
        (ClusterIdentity::None, IdentityRequest::None) => true,
        _ => false,
    }
}

/// Parses `keyVaultProperties`. `Ok(None)` means "clear the key" (all fields empty, the documented
/// way to switch identity type); any other malformation is the seed's "bad format" error.
pub fn key_properties(v: &Value) -> Result<Option<KeyVaultProperties>, ApiError> {
    let bad = || ApiError::new(&errors::KEY_PROPS_BAD_FORMAT);
    let Value::Object(p) = v else {
        return Err(bad());
    };
    let field = |name: &str| -> Result<String, ApiError> {
        match prop(p, name) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.trim().to_string()),
            Some(_) => Err(bad()),
        }
    };
    let (uri, name, version) = (
        field("keyVaultUri")?,
        field("keyName")?,
        field("keyVersion")?,
    );
    if uri.is_empty() && name.is_empty() && version.is_empty() {
        return Ok(None);
    }
    let vault = vault_name_of(&uri).ok_or_else(bad)?;
    let name_ok = (1..=127).contains(&name.len())
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    let version_ok = version.is_empty() || crate::engine::keyvault::is_key_version(&version);
    if !name_ok || !version_ok {
        return Err(bad());
    }
    let key_rsa_size = match prop(p, "keyRsaSize") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(bad)?),
    };
    Ok(Some(KeyVaultProperties {
        vault_uri: format!("https://{vault}.vault.azure.net"),
        key_name: name,
        key_version: version.to_ascii_lowercase(),
        key_rsa_size,
    }))
}

pub use crate::engine::keyvault::client::vault_name_of;

/// The key identifier checks the cluster's storage runs with its managed identity before it
/// accepts a key: vault reachable in the same region and tenant, key readable and enabled (the
/// `get` permission), vault recoverable, and `wrapKey`/`unwrapKey` granted. The Key Vault calls
/// are audited in the vault; the reason for a refusal goes to the timeline, since the seed's
/// message does not say which part failed. Returns the key version the cluster will use.
pub fn validate_key(
    cx: &mut Ctx,
    cluster_id: &str,
    cluster_region: &str,
    principal: Option<&Principal>,
    kvp: &KeyVaultProperties,
) -> Result<String, ApiError> {
    let failed = |cx: &mut Ctx, why: String| {
        cx.j.alert(
            cx.w.now,
            Category::KeyVault,
            cluster_id,
            format!("Key validation failed: {why}"),
        );
        ApiError::new(&errors::KEY_VALIDATION_FAILED)
    };
    let Some(principal) = principal else {
        return Err(failed(
            cx,
            "the cluster has no managed identity to authenticate to Key Vault".into(),
        ));
    };
    let vault_key = vault_name_of(&kvp.vault_uri).unwrap_or_default();
    let Some(vault) = cx.w.vaults.get(&vault_key).cloned() else {
        return Err(failed(
            cx,
            format!(
                "Key Vault '{vault_key}' does not exist (no such host {})",
                kvp.vault_uri
            ),
        ));
    };
    if vault.location != cluster_region {
        return Err(ApiError::new(&errors::KEY_REGION_MISMATCH)
            .arg("vault", vault.name.clone())
            .arg("vault_region", vault.location)
            .arg("cluster_region", cluster_region));
    }
    let (bundle, version) =
        match keys::get_as(cx, &vault_key, principal, &kvp.key_name, &kvp.key_version) {
            Ok(r) => r,
            Err(e) => {
                return Err(failed(
                    cx,
                    format!(
                        "Key Vault answered {} {} to the identity's get: {}",
                        e.spec.status,
                        e.spec.code,
                        e.message()
                    ),
                ));
            }
        };
    if bundle["attributes"]["enabled"] != Value::Bool(true) {
        return Err(failed(
            cx,
            format!("key {} version {version} is disabled", kvp.key_name),
        ));
    }
    if bundle["attributes"]["exp"]
        .as_u64()
        .is_some_and(|exp| exp <= cx.w.now)
    {
        return Err(failed(
            cx,
            format!("key {} version {version} has expired", kvp.key_name),
        ));
    }
    if !vault.is_recoverable() {
        cx.j.alert(
            cx.w.now,
            Category::KeyVault,
            cluster_id,
            format!(
                "Key validation failed: vault {} has soft delete {} and purge protection {}",
                vault.name,
                if vault.soft_delete { "on" } else { "off" },
                if vault.purge_protection { "on" } else { "off" }
            ),
        );
        return Err(ApiError::new(&errors::KEY_NOT_RECOVERABLE));
    }
    for perm in [KeyPerm::WrapKey, KeyPerm::UnwrapKey] {
        if !permitted(cx, &vault, principal, perm, Some(&kvp.key_name)) {
            let how = if vault.rbac {
                "role assignment"
            } else {
                "access policy"
            };
            return Err(failed(
                cx,
                format!(
                    "identity {} has no {} permission ({how}) on vault {}",
                    principal.display_name,
                    perm.name(),
                    vault.name
                ),
            ));
        }
    }
    let ops = bundle["key"]["key_ops"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for op in ["wrapKey", "unwrapKey"] {
        if !ops.iter().any(|o| o == op) {
            return Err(failed(
                cx,
                format!(
                    "key {} does not allow the {op} operation (key_ops)",
                    kvp.key_name
                ),
            ));
        }
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_eras_follow_api_versions() {
        assert_eq!(CapacityEra::of("2020-08-01"), CapacityEra::Seed);
        assert_eq!(CapacityEra::of("2021-06-01"), CapacityEra::Tiers2021);
        assert_eq!(CapacityEra::of("2025-02-01"), CapacityEra::Tiers);
        assert!(CapacityEra::Seed.check(1100, "2020-08-01").is_ok());
        assert!(CapacityEra::Seed.check(1050, "2020-08-01").is_err());
        assert!(CapacityEra::Tiers.check(100, "2022-10-01").is_ok());
        assert!(CapacityEra::Tiers.check(1100, "2022-10-01").is_err());
    }

    #[test]
    fn vault_uris_are_normalised() {
        assert_eq!(
            vault_name_of("https://Contoso-KV.vault.azure.net/").as_deref(),
            Some("contoso-kv")
        );
        assert_eq!(vault_name_of("http://contoso.vault.azure.net"), None);
        assert_eq!(vault_name_of("https://contoso.example.com"), None);
    }
}
