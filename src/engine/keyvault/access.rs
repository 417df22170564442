//! Who may do what to a vault's keys, and the audit log every data-plane call lands in.
//!
//! Access-policy vaults check the caller's policy entry for the operation's permission; RBAC
//! vaults (`enableRbacAuthorization`) ignore access policies and check role assignments for the
//! operation's data action. Both refusals use Key Vault's own 403 envelope and wording.

use super::Vault;
use crate::engine::Ctx;
use crate::engine::arm::authorization::has_data_action;
use crate::engine::errors::{self, ApiError};
use crate::engine::journal::AuditEntry;
use crate::engine::world::{Principal, TENANT_ID};

/// A key permission: its access-policy name and its RBAC data action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPerm {
    Get,
    List,
    Create,
    Update,
    Delete,
    Recover,
    Purge,
    WrapKey,
    UnwrapKey,
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Rotate,
    GetRotationPolicy,
    SetRotationPolicy,
}

impl KeyPerm {
    /// The name used in access policies and in Key Vault's AccessDenied message.
    pub fn name(self) -> &'static str {
        match self {
            KeyPerm::Get => "get",
            KeyPerm::List => "list",
            KeyPerm::Create => "create",
            KeyPerm::Update => "update",
            KeyPerm::Delete => "delete",
            KeyPerm::Recover => "recover",
            KeyPerm::Purge => "purge",
            KeyPerm::WrapKey => "wrapKey",
            KeyPerm::UnwrapKey => "unwrapKey",
            KeyPerm::Encrypt => "encrypt",
            KeyPerm::Decrypt => "decrypt",
            KeyPerm::Sign => "sign",
            KeyPerm::Verify => "verify",
            KeyPerm::Rotate => "rotate",
            KeyPerm::GetRotationPolicy => "getrotationpolicy",
            KeyPerm::SetRotationPolicy => "setrotationpolicy",
        }
    }

    /// The RBAC data action the operation needs.
    pub fn data_action(self) -> &'static str {
        match self {
            KeyPerm::Get | KeyPerm::List => "Microsoft.KeyVault/vaults/keys/read",
            KeyPerm::Create => "Microsoft.KeyVault/vaults/keys/create/action",
            KeyPerm::Update => "Microsoft.KeyVault/vaults/keys/update/action",
            KeyPerm::Delete => "Microsoft.KeyVault/vaults/keys/delete",
            KeyPerm::Recover => "Microsoft.KeyVault/vaults/deletedKeys/recover/action",
            KeyPerm::Purge => "Microsoft.KeyVault/vaults/deletedKeys/delete",
            KeyPerm::WrapKey => "Microsoft.KeyVault/vaults/keys/wrap/action",
            KeyPerm::UnwrapKey => "Microsoft.KeyVault/vaults/keys/unwrap/action",
            KeyPerm::Encrypt => "Microsoft.KeyVault/vaults/keys/encrypt/action",
            KeyPerm::Decrypt => "Microsoft.KeyVault/vaults/keys/decrypt/action",
            KeyPerm::Sign => "Microsoft.KeyVault/vaults/keys/sign/action",
            KeyPerm::Verify => "Microsoft.KeyVault/vaults/keys/verify/action",
            KeyPerm::Rotate => "Microsoft.KeyVault/vaults/keys/rotate/action",
            KeyPerm::GetRotationPolicy => "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
            KeyPerm::SetRotationPolicy => "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
        }
    }
}

/// Every key permission an access policy may name, in Key Vault's canonical spelling.
pub const KEY_PERMISSIONS: [&str; 21] = [
    "all",
    "backup",
    "create",
    "decrypt",
    "delete",
    "encrypt",
    "get",
    "getrotationpolicy",
    "import",
    "list",
    "purge",
    "recover",
    "release",
    "restore",
    "rotate",
    "setrotationpolicy",
    "sign",
    "unwrapKey",
    "update",
    "verify",
    "wrapKey",
];
pub const SECRET_PERMISSIONS: [&str; 9] = [
    "all", "backup", "delete", "get", "list", "purge", "recover", "restore", "set",
];
/// CertificatePermissions of keyvault.json (Microsoft's create-vault example grants `update`).
pub const CERTIFICATE_PERMISSIONS: [&str; 17] = [
    "all",
    "backup",
    "create",
    "delete",
    "deleteissuers",
    "get",
    "getissuers",
    "import",
    "list",
    "listissuers",
    "managecontacts",
    "manageissuers",
    "purge",
    "recover",
    "restore",
    "setissuers",
    "update",
];

/// The canonical spelling of a permission, if `name` is one of `known` (case-insensitive).
pub fn canonical(known: &[&'static str], name: &str) -> Option<&'static str> {
    known.iter().copied().find(|k| k.eq_ignore_ascii_case(name))
}

/// Whether `caller` may perform `perm` on key `key` (or the vault's key collection).
pub fn permitted(
    cx: &Ctx,
    vault: &Vault,
    caller: &Principal,
    perm: KeyPerm,
    key: Option<&str>,
) -> bool {
    if vault.rbac {
        let resource = key
            .map(|k| vault.key_resource_id(k))
            .unwrap_or_else(|| vault.id.clone());
        has_data_action(cx, &caller.object_id, &resource, perm.data_action())
    } else {
        vault.access_policies.iter().any(|p| {
            p.tenant_id.eq_ignore_ascii_case(&vault.tenant_id)
                && p.object_id.eq_ignore_ascii_case(&caller.object_id)
                && p.keys
                    .iter()
                    .any(|k| k == "all" || k.eq_ignore_ascii_case(perm.name()))
        })
    }
}

/// The refusal Key Vault answers when [`permitted`] is false.
pub fn refusal(vault: &Vault, caller: &Principal, perm: KeyPerm, key: Option<&str>) -> ApiError {
    if vault.rbac {
        let resource = key
            .map(|k| vault.key_resource_id(k))
            .unwrap_or_else(|| vault.id.clone());
        ApiError::new(&errors::KV_FORBIDDEN_BY_RBAC)
            .arg("caller", caller.caller_string())
            .arg("action", perm.data_action())
            .arg("resource", resource.to_ascii_lowercase())
            .arg("vault", vault.name.clone())
            .arg("location", vault.location)
    } else {
        ApiError::new(&errors::KV_ACCESS_DENIED)
            .arg("caller", caller.caller_string())
            .arg("permission", perm.name())
            .arg("vault", vault.name.clone())
            .arg("location", vault.location)
    }
}

/// Tenant check (the caller's token must come from the vault's tenant), then [`permitted`].
pub fn authorize(
    cx: &Ctx,
    vault: &Vault,
    caller: &Principal,
    perm: KeyPerm,
    key: Option<&str>,
) -> Result<(), ApiError> {
    if !vault.tenant_id.eq_ignore_ascii_case(TENANT_ID) {
        return Err(ApiError::new(&errors::KV_WRONG_TENANT)
            .arg("expected", vault.tenant_id.clone())
            .arg("found", TENANT_ID));
    }
    if permitted(cx, vault, caller, perm, key) {
        Ok(())
    } else {
        Err(refusal(vault, caller, perm, key))
    }
}

/// Appends one call to the audit log.
pub struct Audit<'a> {
    pub vault: &'a str,
    pub operation: &'a str,
    pub caller: &'a Principal,
    pub key: Option<&'a str>,
    pub version: Option<&'a str>,
    pub detail: String,
}

impl Audit<'_> {
    pub fn record(self, cx: &mut Ctx, outcome: Result<u16, &ApiError>) {
        let entry = self.entry(cx.w.now, outcome);
        cx.j.audit.push(entry);
    }

    /// Records a periodic call, folded into an identical entry (same caller, key, version and
    /// result) from the last hour, so that a month of polling every 6-60 seconds stays readable.
    /// The folded entry keeps the first and last time: the last use of a key version stays visible.
    pub fn record_periodic(
        self,
        cx: &mut Ctx,
        outcome: Result<u16, &ApiError>,
        (first, last, count): (u64, u64, u64),
    ) {
        let mut entry = self.entry(first, outcome);
        (entry.last, entry.count) = (last, count);
        let same = |a: &AuditEntry| {
            a.time + FOLD_WINDOW > first
                && a.operation == entry.operation
                && a.caller_object_id == entry.caller_object_id
                && a.vault == entry.vault
                && a.key == entry.key
                && a.version == entry.version
                && a.result == entry.result
                && a.detail == entry.detail
        };
        let recent = cx.j.audit.len().saturating_sub(FOLD_LOOKBACK);
        match cx.j.audit[recent..].iter_mut().rev().find(|a| same(a)) {
            Some(a) => {
                a.count += count;
                a.last = a.last.max(last);
            }
            None => cx.j.audit.push(entry),
        }
    }

    fn entry(self, now: u64, outcome: Result<u16, &ApiError>) -> AuditEntry {
        let (status, result) = match outcome {
            Ok(s) => (s, "Success".to_string()),
            Err(e) => (
                e.spec.status,
                e.spec.inner.unwrap_or(e.spec.code).to_string(),
            ),
        };
        AuditEntry {
            time: now,
            vault: self.vault.to_string(),
            operation: self.operation.to_string(),
            caller_object_id: self.caller.object_id.clone(),
            caller_name: self.caller.display_name.clone(),
            key: self.key.map(str::to_string),
            version: self.version.map(str::to_string),
            status,
            result,
            detail: self.detail,
            count: 1,
            last: now,
        }
    }
}

/// Periodic calls fold into one audit entry per hour...
const FOLD_WINDOW: u64 = super::super::clock::HOUR;
/// ...looking this many entries back (other accounts' polls interleave).
const FOLD_LOOKBACK: usize = 64;
