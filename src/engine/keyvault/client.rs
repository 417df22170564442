//! The narrow Key Vault client the services use: everything a service holding a key wrapped by a
//! Key Vault key (a cluster's storage, Microsoft Sentinel's store) may ask of Key Vault, as the
//! real services do over REST with their identity's token: is the vault reachable, would this
//! call be allowed, wrap, unwrap, and the audit of calls repeated on the clock. The key
//! identifier they hold ([`KeyVaultProperties`]) lives here too. Services never read vault state
//! directly; every call goes through the same authorization and audit as a person's.

use serde_json::{Value, json};

use super::access::{KeyPerm, authorize};
pub use super::keys::Periodic;
use super::keys::{self};
use crate::engine::Ctx;
use crate::engine::errors::ApiError;
use crate::engine::world::Principal;

/// `keyVaultProperties`: which key in which vault. An empty `key_version` means "always the latest
/// version" (the seed's auto-rotation mode).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyVaultProperties {
    /// `https://{vault}.vault.azure.net`.
    pub vault_uri: String,
    pub key_name: String,
    pub key_version: String,
    pub key_rsa_size: Option<u64>,
}

impl KeyVaultProperties {
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "keyVaultUri": self.vault_uri, "keyName": self.key_name, "keyVersion": self.key_version });
        if let Some(s) = self.key_rsa_size {
            v["keyRsaSize"] = json!(s);
        }
        v
    }

    /// The vault's name (lower-cased).
    pub fn vault(&self) -> String {
        vault_name_of(&self.vault_uri).unwrap_or_default()
    }

    pub fn auto_rotation(&self) -> bool {
        self.key_version.is_empty()
    }

    /// Whether both name the same key (vault and key name), whatever the version: Sentinel's
    /// "another key (with another URI)" is a different key; a new version is a rotation.
    pub fn same_key(&self, other: &KeyVaultProperties) -> bool {
        self.vault() == other.vault() && self.key_name.eq_ignore_ascii_case(&other.key_name)
    }
}

/// `https://{vault}.vault.azure.net[/]` → `{vault}` (lower-cased).
pub fn vault_name_of(uri: &str) -> Option<String> {
    let lower = uri.trim().trim_end_matches('/').to_ascii_lowercase();
    let host = lower.strip_prefix("https://")?;
    let name = host.strip_suffix(".vault.azure.net")?;
    let ok = (3..=24).contains(&name.len())
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    ok.then(|| name.to_string())
}

/// Whether the vault's name resolves (a deleted vault's does not).
pub fn reachable(cx: &Ctx, vault: &str) -> bool {
    cx.w.vaults.contains_key(vault)
}

/// Whether a repeated call as `caller` would succeed now, decided without the RSA work.
pub fn check(
    cx: &Ctx,
    call: Periodic,
    vault: &str,
    caller: &Principal,
    key: &str,
    version: &str,
) -> Result<(), ApiError> {
    keys::check(cx, call, vault, caller, key, version)
}

/// Whether `caller` holds each of `get`, `wrapKey` and `unwrapKey` on the key (the grant a
/// service needs), the first refusal otherwise, in Key Vault's words.
pub fn check_grant(cx: &Ctx, vault: &str, caller: &Principal, key: &str) -> Result<(), ApiError> {
    let v = &cx.w.vaults[vault];
    for perm in [KeyPerm::Get, KeyPerm::WrapKey, KeyPerm::UnwrapKey] {
        authorize(cx, v, caller, perm, Some(key))?;
    }
    Ok(())
}

/// `wrapkey` (RSA-OAEP-256) as `caller`: the key id used and the wrapped bytes. Audited.
pub fn wrap(
    cx: &mut Ctx,
    vault: &str,
    caller: &Principal,
    key: &str,
    version: &str,
    plain: &[u8],
) -> Result<(String, Vec<u8>), ApiError> {
    keys::wrap_as(cx, vault, caller, key, version, plain)
}

/// `unwrapkey` (RSA-OAEP-256) as `caller`. Audited.
pub fn unwrap(
    cx: &mut Ctx,
    vault: &str,
    caller: &Principal,
    key: &str,
    version: &str,
    wrapped: &[u8],
) -> Result<(String, Vec<u8>), ApiError> {
    keys::unwrap_as(cx, vault, caller, key, version, wrapped)
}

/// Audits calls repeated on the clock (`span`: first, last, how many), folded per hour.
#[allow(clippy::too_many_arguments)]
pub fn audit(
    cx: &mut Ctx,
    call: Periodic,
    vault: &str,
    caller: &Principal,
    key: &str,
    version: &str,
    outcome: Result<(), &ApiError>,
    span: (u64, u64, u64),
) {
    keys::audit_polls(cx, call, vault, caller, key, version, outcome, span)
}

/// The version a key identifier designates now (the newest for auto-rotation) and whether it is
/// enabled; `None` when the vault, key or pinned version is gone.
pub fn designated_version(cx: &Ctx, kvp: &KeyVaultProperties) -> Option<(String, bool)> {
    let key =
        cx.w.vaults
            .get(&kvp.vault())?
            .keys
            .get(&kvp.key_name.to_ascii_lowercase())?;
    let v = if kvp.auto_rotation() {
        key.latest()
    } else {
        key.versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(&kvp.key_version))?
    };
    Some((v.version.clone(), v.enabled))
}
