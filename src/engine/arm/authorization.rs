//! `Microsoft.Authorization`: built-in role definitions, role assignments at any scope, and the
//! evaluation of Key Vault data actions for RBAC vaults.

use serde_json::{Value, json};

use super::{
    AUTHORIZATION_API, ApiResult, api_version, body_object, id_key, is_guid, method_not_allowed,
    prop,
};
use crate::engine::Ctx;
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response, seg_is};
use crate::engine::journal::Category;
use crate::engine::world::TENANT_ID;

/// A built-in role: its id and the data actions it grants (`*` is a wildcard segment suffix).
pub struct RoleDefinition {
    pub id: &'static str,
    pub name: &'static str,
    pub actions: &'static [&'static str],
    pub data_actions: &'static [&'static str],
}

pub const OWNER_ROLE: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

pub static ROLES: [RoleDefinition; 11] = [
    RoleDefinition {
        id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        name: "Owner",
        actions: &["*"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
        name: "Contributor",
        actions: &["*"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        name: "Reader",
        actions: &["*/read"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "92aaf0da-9dab-42b6-94a3-d43ce8d16293",
        name: "Log Analytics Contributor",
        actions: &["*/read", "Microsoft.OperationalInsights/*"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        name: "User Access Administrator",
        actions: &["*/read", "Microsoft.Authorization/*"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        name: "Key Vault Administrator",
        actions: &["Microsoft.KeyVault/*/read"],
        data_actions: &["Microsoft.KeyVault/vaults/*"],
    },
    RoleDefinition {
        id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        name: "Key Vault Crypto Officer",
        actions: &["Microsoft.KeyVault/*/read"],
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/*",
            "Microsoft.KeyVault/vaults/keyrotationpolicies/*",
            "Microsoft.KeyVault/vaults/deletedKeys/*",
        ],
    },
    RoleDefinition {
        id: "12338af0-0e69-4776-bea7-57ae8d297424",
        name: "Key Vault Crypto User",
        actions: &[],
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/update/action",
            "Microsoft.KeyVault/vaults/keys/backup/action",
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
            "Microsoft.KeyVault/vaults/keys/sign/action",
            "Microsoft.KeyVault/vaults/keys/verify/action",
        ],
    },
    RoleDefinition {
        id: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        name: "Key Vault Crypto Service Encryption User",
        actions: &["Microsoft.EventGrid/eventSubscriptions/*"],
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
    },
    RoleDefinition {
        id: "21090545-7ca7-4776-b22c-e363652d74d2",
        name: "Key Vault Reader",
        actions: &["Microsoft.KeyVault/*/read"],
        data_actions: &[
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
    // customer-lockbox-overview.md; the built-in roles tables call it preview.
    RoleDefinition {
        id: "4dae6930-7baf-46f5-909e-0383bc931c46",
        name: "Azure Customer Lockbox Approver for Subscription",
        actions: &[
            "Microsoft.CustomerLockbox/requests/UpdateApproval/action",
            "Microsoft.CustomerLockbox/requests/read",
            "Microsoft.Resources/subscriptions/read",
            "Microsoft.Authorization/*/read",
        ],
        data_actions: &[],
    },
];

pub fn role_by_id(id: &str) -> Option<&'static RoleDefinition> {
    ROLES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoleAssignment {
    /// The assignment's name (a GUID).
    pub name: String,
    pub scope: String,
    pub role: &'static str,
    pub principal_id: String,
    pub principal_type: String,
    pub created: u64,
}

impl RoleAssignment {
    pub fn id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            self.scope, self.name
        )
    }

    fn role_definition_id(&self, sub: &str) -> String {
        format!(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}",
            self.role
        )
    }

    fn to_json(&self) -> Value {
        let sub = self.scope.split('/').nth(2).unwrap_or_default();
        json!({
            "id": self.id(),
            "name": self.name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": self.role_definition_id(sub),
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope,
                "createdOn": crate::engine::clock::iso(self.created),
            },
        })
    }
}

/// Whether an action pattern (with `*` wildcards) covers an action, case-insensitively.
fn covers(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    match p.split_once('*') {
        None => p == a,
        Some((head, tail)) => a.starts_with(head) && a[head.len()..].ends_with(tail),
    }
}

/// True when `scope` is `resource` itself or one of its ancestors.
fn scope_covers(scope: &str, resource: &str) -> bool {
    let (s, r) = (id_key(scope), id_key(resource));
    r == s || r.starts_with(&format!("{s}/"))
}

/// Whether `principal` holds a role assignment granting `data_action` on `resource_id`.
pub fn has_data_action(cx: &Ctx, principal: &str, resource_id: &str, data_action: &str) -> bool {
    cx.w.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && scope_covers(&a.scope, resource_id)
            && role_by_id(a.role)
                .is_some_and(|r| r.data_actions.iter().any(|p| covers(p, data_action)))
    })
}

/// Whether `principal` holds a role assignment granting the control-plane `action` on `scope`
/// (an assignment at the scope or one of its ancestors).
pub fn has_action(cx: &Ctx, principal: &str, scope: &str, action: &str) -> bool {
    cx.w.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && scope_covers(&a.scope, scope)
            && role_by_id(a.role).is_some_and(|r| r.actions.iter().any(|p| covers(p, action)))
    })
}

/// ARM's 403 for the signed-in user lacking `action` over `scope`.
pub fn user_forbidden(cx: &Ctx, action: &str, scope: &str) -> ApiError {
    ApiError::new(&errors::AUTHORIZATION_FAILED)
        .arg("client", crate::engine::world::USER_UPN)
        .arg("oid", cx.w.directory.user().object_id.clone())
        .arg("action", action)
        .arg("scope", scope)
}

/// The signed-in user may perform `action` over `scope`, or ARM's 403.
pub fn require_user_action(cx: &Ctx, scope: &str, action: &str) -> Result<(), ApiError> {
    if has_action(cx, &cx.w.directory.user().object_id, scope, action) {
        Ok(())
    } else {
        Err(user_forbidden(cx, action, scope))
    }
}

/// Whether `principal` holds `role` assigned at exactly `scope` or one of its ancestors.
pub fn has_role_at(cx: &Ctx, principal: &str, scope: &str, role: &str) -> bool {
    cx.w.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && a.role.eq_ignore_ascii_case(role)
            && scope_covers(&a.scope, scope)
    })
}

/// The signed-in user's Owner assignments on both subscriptions, as the world starts: real
/// assignments, so that removing one (and adding another role) changes what ARM allows.
pub fn initial_assignments(now: u64) -> Vec<RoleAssignment> {
    const NAMES: [&str; 2] = [
        "1f0a7c52-9d3e-4b6a-8c21-5e7d3f9a0b14",
        "2e1b8d63-0e4f-4c7b-9d32-6f8e4a0b1c25",
    ];
    crate::engine::world::SUBSCRIPTIONS
        .iter()
        .zip(NAMES)
        .map(|((sub, _), name)| RoleAssignment {
            name: name.to_string(),
            scope: format!("/subscriptions/{sub}"),
            role: ROLES[0].id,
            principal_id: crate::engine::world::USER_OBJECT_ID.to_string(),
            principal_type: "User".into(),
            created: now,
        })
        .collect()
}

/// `{scope}/providers/Microsoft.Authorization/{roleAssignments|roleDefinitions}[/{name}]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, AUTHORIZATION_API)?;
    check_scope(cx, scope)?;
    let scope_id = format!("/{}", scope.join("/"));
    match rest {
        [t] if seg_is(Some(t), "roleassignments") => match req.method {
            Method::Get => {
                let value: Vec<Value> =
                    cx.w.role_assignments
                        .iter()
                        .filter(|a| {
                            scope_covers(&a.scope, &scope_id) || scope_covers(&scope_id, &a.scope)
                        })
                        .map(RoleAssignment::to_json)
                        .collect();
                Ok(Response::ok(json!({ "value": value })))
            }
            _ => Err(method_not_allowed(req)),
        },
        [t, name] if seg_is(Some(t), "roleassignments") => match req.method {
            Method::Put => put_assignment(cx, req, &scope_id, name),
            Method::Get => find(cx, &scope_id, name)
                .map(|a| Response::ok(a.to_json()))
                .ok_or_else(|| not_found(&scope_id, name)),
            Method::Delete => match cx
                .w
                .role_assignments
                .iter()
                .position(|a| same(a, &scope_id, name))
            {
                Some(i) => {
                    let a = cx.w.role_assignments.remove(i);
                    let role = role_by_id(a.role).map(|r| r.name).unwrap_or("role");
                    cx.j.note(
                        cx.w.now,
                        Category::Resource,
                        &a.scope,
                        format!(
                            "Role assignment removed: {role} for {}",
                            cx.w.directory.display(&a.principal_id)
                        ),
                    );
                    Ok(Response::ok(a.to_json()))
                }
                None => Ok(Response::empty(204)),
            },
            _ => Err(method_not_allowed(req)),
        },
        [t] | [t, _] if seg_is(Some(t), "roledefinitions") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let sub = scope.get(1).cloned().unwrap_or_default();
            let def_json = |r: &RoleDefinition| {
                json!({
                    "id": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", r.id),
                    "name": r.id,
                    "type": "Microsoft.Authorization/roleDefinitions",
                    "properties": {
                        "roleName": r.name,
                        "type": "BuiltInRole",
                        "permissions": [{ "actions": r.actions, "notActions": [], "dataActions": r.data_actions, "notDataActions": [] }],
                    },
                })
            };
            match rest.get(1) {
                None => Ok(Response::ok(
                    json!({ "value": ROLES.iter().map(def_json).collect::<Vec<_>>() }),
                )),
                Some(id) => role_by_id(id)
                    .map(|r| Response::ok(def_json(r)))
                    .ok_or_else(|| {
                        ApiError::new(&errors::ROLE_DEFINITION_NOT_FOUND).arg("id", id.as_str())
                    }),
            }
        }
        _ => Err(super::unknown_type(req, "Microsoft.Authorization", rest)),
    }
}

/// The scope of an assignment must exist: subscription, resource group, or a resource in it.
fn check_scope(cx: &Ctx, scope: &[String]) -> Result<(), ApiError> {
    match scope.len() {
        2 => super::subscription_scope(cx, scope).map(|_| ()),
        4 => super::group_scope(cx, scope).map(|_| ()),
        n if n > 4 => {
            super::group_scope(cx, &scope[..4])?;
            resource_scope(cx, scope)
        }
        _ => {
            Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE)
                .arg("namespace", scope.join("/")))
        }
    }
}

/// A resource scope names a resource that exists: a vault or one of its keys, a cluster, a
/// workspace or a user-assigned identity. Anything else is ARM's 404 for the resource.
fn resource_scope(cx: &Ctx, scope: &[String]) -> Result<(), ApiError> {
    let id = id_key(&format!("/{}", scope.join("/")));
    let is = |other: &str| id_key(other) == id;
    let exists = cx.w.vaults.values().any(|v| {
        is(&v.id)
            || v.keys
                .values()
                .any(|k| is(&format!("{}/keys/{}", v.id, k.name)))
    }) || cx.w.clusters.values().any(|c| is(&c.id))
        || cx
            .w
            .workspaces
            .values()
            .any(|w| w.deleted.is_none() && is(&w.id))
        || cx.w.identities.values().any(|i| is(&i.id));
    if exists {
        return Ok(());
    }
    // ARM names the resource by its path after `providers/`: `Microsoft.KeyVault/vaults/kv`.
    let path = scope.get(5..).unwrap_or_default();
    let (name, parent) = path.split_last().unwrap_or((&scope[3], &[]));
    Err(ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", parent.join("/"))
        .arg("name", name.as_str())
        .arg("group", scope[3].as_str()))
}

fn same(a: &RoleAssignment, scope: &str, name: &str) -> bool {
    a.name.eq_ignore_ascii_case(name) && id_key(&a.scope) == id_key(scope)
}

fn find<'c>(cx: &'c Ctx, scope: &str, name: &str) -> Option<&'c RoleAssignment> {
    cx.w.role_assignments.iter().find(|a| same(a, scope, name))
}

fn not_found(scope: &str, name: &str) -> ApiError {
    let group = scope.split('/').nth(4).unwrap_or_default();
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", "Microsoft.Authorization/roleAssignments")
        .arg("name", name)
        .arg("group", group)
}

fn put_assignment(cx: &mut Ctx, req: &Request, scope: &str, name: &str) -> ApiResult {
    if !is_guid(name) {
        return Err(ApiError::new(&errors::INVALID_ROLE_ASSIGNMENT_ID).arg("id", name));
    }
    let body = body_object(req)?;
    let props = match prop(&body, "properties") {
        Some(Value::Object(p)) => p.clone(),
        _ => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
                "detail",
                "Required property 'properties' not found in JSON. Path '', line 1, position 1.",
            ));
        }
    };
    let role_def = prop(&props, "roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let role_guid = role_def.rsplit('/').next().unwrap_or("");
    if !is_guid(role_guid) {
        return Err(ApiError::new(&errors::INVALID_ROLE_DEFINITION_ID).arg("id", role_def));
    }
    let role = role_by_id(role_guid)
        .ok_or_else(|| ApiError::new(&errors::ROLE_DEFINITION_NOT_FOUND).arg("id", role_guid))?;
    let principal = prop(&props, "principalId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let Some(p) = cx.w.directory.get(&principal).cloned() else {
        return Err(ApiError::new(&errors::PRINCIPAL_NOT_FOUND)
            .arg("principal", principal.replace('-', ""))
            .arg("tenant", TENANT_ID));
    };
    if let Some(existing) = find(cx, scope, name) {
        if existing.principal_id != p.object_id || existing.role != role.id {
            return Err(ApiError::new(&errors::ROLE_ASSIGNMENT_UPDATE_NOT_PERMITTED));
        }
        return Ok(Response::ok(existing.to_json()));
    }
    if let Some(dup) = cx.w.role_assignments.iter().find(|a| {
        id_key(&a.scope) == id_key(scope) && a.principal_id == p.object_id && a.role == role.id
    }) {
        return Err(
            ApiError::new(&errors::ROLE_ASSIGNMENT_EXISTS).arg("id", dup.name.replace('-', ""))
        );
    }
    let principal_type = match &p.kind {
        crate::engine::world::PrincipalKind::User => "User",
        _ => "ServicePrincipal",
    };
    let a = RoleAssignment {
        name: name.to_ascii_lowercase(),
        scope: scope.to_string(),
        role: role.id,
        principal_id: p.object_id.clone(),
        principal_type: principal_type.into(),
        created: cx.w.now,
    };
    cx.j.note(
        cx.w.now,
        Category::Resource,
        scope,
        format!("Role assignment: {} for {}", role.name, p.display_name),
    );
    let body = a.to_json();
    cx.w.role_assignments.push(a);
    Ok(Response::json(201, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_actions() {
        assert!(covers(
            "Microsoft.KeyVault/vaults/*",
            "Microsoft.KeyVault/vaults/keys/wrap/action"
        ));
        assert!(covers(
            "Microsoft.KeyVault/vaults/*/read",
            "microsoft.keyvault/vaults/keys/read"
        ));
        assert!(!covers(
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action"
        ));
    }

    #[test]
    fn scopes_cover_descendants_only() {
        assert!(scope_covers(
            "/subscriptions/a/resourceGroups/rg",
            "/subscriptions/a/resourcegroups/RG/providers/x/y/z"
        ));
        assert!(!scope_covers(
            "/subscriptions/a/resourceGroups/rg",
            "/subscriptions/a/resourceGroups/rg2"
        ));
    }
}
