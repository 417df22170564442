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

/// A built-in role as Azure defines it: its id, name, and the actions it grants and excludes
/// (`*` is a wildcard; an action is granted when some `actions` entry covers it and no
/// `not_actions` entry does). Ids and actions are the built-in roles' published definitions
/// (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
pub struct RoleDefinition {
    pub id: &'static str,
    pub name: &'static str,
    pub actions: &'static [&'static str],
    pub not_actions: &'static [&'static str],
    pub data_actions: &'static [&'static str],
}

pub const OWNER_ROLE: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
pub const CONTRIBUTOR_ROLE: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
pub const LOG_ANALYTICS_READER_ROLE: &str = "73c42c96-874c-492b-b04d-ab87d138a893";

/// What Key Vault's control-plane roles may read (Administrator, Crypto Officer, Reader, ...).
const KEY_VAULT_READS: &[&str] = &[
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
];

pub static ROLES: [RoleDefinition; 14] = [
    RoleDefinition {
        id: OWNER_ROLE,
        name: "Owner",
        actions: &["*"],
        not_actions: &[],
        data_actions: &[],
    },
    RoleDefinition {
        id: CONTRIBUTOR_ROLE,
        name: "Contributor",
        actions: &["*"],
        not_actions: &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
        data_actions: &[],
    },
    RoleDefinition {
        id: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        name: "Reader",
        actions: &["*/read"],
        not_actions: &[],
        data_actions: &[],
    },
    RoleDefinition {
        id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        name: "User Access Administrator",
        actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        not_actions: &[],
        data_actions: &[],
    },
    RoleDefinition {
        id: "92aaf0da-9dab-42b6-94a3-d43ce8d16293",
        name: "Log Analytics Contributor",
        actions: &[
            "*/read",
            "Microsoft.ClassicCompute/virtualMachines/extensions/*",
            "Microsoft.ClassicStorage/storageAccounts/listKeys/action",
            "Microsoft.Compute/virtualMachines/extensions/*",
            "Microsoft.HybridCompute/machines/extensions/write",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Insights/diagnosticSettings/*",
            "Microsoft.OperationalInsights/*",
            "Microsoft.OperationsManagement/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourcegroups/deployments/*",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        data_actions: &[],
    },
    RoleDefinition {
        id: LOG_ANALYTICS_READER_ROLE,
        name: "Log Analytics Reader",
        actions: &[
            "*/read",
            "Microsoft.OperationalInsights/workspaces/analytics/query/action",
            "Microsoft.OperationalInsights/workspaces/search/action",
            "Microsoft.Support/*",
        ],
        not_actions: &["Microsoft.OperationalInsights/workspaces/sharedKeys/read"],
        data_actions: &[],
    },
    RoleDefinition {
        id: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        name: "Key Vault Administrator",
        actions: KEY_VAULT_READS,
        not_actions: &[],
        data_actions: &["Microsoft.KeyVault/vaults/*"],
    },
    RoleDefinition {
        id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        name: "Key Vault Crypto Officer",
        actions: KEY_VAULT_READS,
        not_actions: &[],
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
        not_actions: &[],
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
        actions: &[
            "Microsoft.EventGrid/eventSubscriptions/write",
            "Microsoft.EventGrid/eventSubscriptions/read",
            "Microsoft.EventGrid/eventSubscriptions/delete",
        ],
        not_actions: &[],
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
    },
    RoleDefinition {
        id: "21090545-7ca7-4776-b22c-e363652d74d2",
        name: "Key Vault Reader",
        actions: KEY_VAULT_READS,
        not_actions: &[],
        data_actions: &[
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
    RoleDefinition {
        id: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        name: "Storage Table Data Contributor",
        actions: &[
            "Microsoft.Storage/storageAccounts/tableServices/tables/read",
            "Microsoft.Storage/storageAccounts/tableServices/tables/write",
            "Microsoft.Storage/storageAccounts/tableServices/tables/delete",
        ],
        not_actions: &[],
        data_actions: &[
            "Microsoft.Storage/storageAccounts/tableServices/tables/entities/read",
            "Microsoft.Storage/storageAccounts/tableServices/tables/entities/write",
            "Microsoft.Storage/storageAccounts/tableServices/tables/entities/delete",
            "Microsoft.Storage/storageAccounts/tableServices/tables/entities/add/action",
            "Microsoft.Storage/storageAccounts/tableServices/tables/entities/update/action",
        ],
    },
    RoleDefinition {
        id: "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
        name: "Monitoring Reader",
        actions: &[
            "*/read",
            "Microsoft.OperationalInsights/workspaces/search/action",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        data_actions: &[],
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
        not_actions: &[],
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

/// Whether `role` grants the control-plane `action`.
fn grants(role: &RoleDefinition, action: &str) -> bool {
    role.actions.iter().any(|p| covers(p, action))
        && !role.not_actions.iter().any(|p| covers(p, action))
}

/// Whether `principal` holds a role assignment granting the control-plane `action` on `scope`
/// (an assignment at the scope or one of its ancestors).
pub fn has_action(cx: &Ctx, principal: &str, scope: &str, action: &str) -> bool {
    cx.w.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && scope_covers(&a.scope, scope)
            && role_by_id(a.role).is_some_and(|r| grants(r, action))
    })
}

/// Whether the request's caller may perform `action` over `scope`.
pub fn caller_may(cx: &Ctx, scope: &str, action: &str) -> bool {
    has_action(cx, &cx.caller().object_id, scope, action)
}

/// ARM's 403 for the caller lacking `action` over `scope`.
pub fn user_forbidden(cx: &Ctx, action: &str, scope: &str) -> ApiError {
    let caller = cx.caller();
    ApiError::new(&errors::AUTHORIZATION_FAILED)
        .arg("client", crate::engine::entra::client_name(caller))
        .arg("oid", caller.object_id.clone())
        .arg("action", action)
        .arg("scope", scope)
}

/// The caller may perform `action` over `scope`, or ARM's 403.
pub fn require_user_action(cx: &Ctx, scope: &str, action: &str) -> Result<(), ApiError> {
    if caller_may(cx, scope, action) {
        Ok(())
    } else {
        Err(user_forbidden(cx, action, scope))
    }
}

/// The action (and the scope it is checked over) ARM authorizes a request by, derived from its
/// method and path the way ARM does: `{namespace}/{type}[/{child type}]/{read|write|delete}`, or
/// `…/{name}/action` for a POST to a resource action. `None`: nothing to authorize here (the
/// subscription list, which shows only what the caller may see; Customer Lockbox, which
/// authorizes its approvers itself before reading the body).
pub fn required_action(req: &Request) -> Option<(String, String)> {
    let segs = &req.segments;
    let scope = format!("/{}", segs.join("/"));
    let verb = |m: Method| match m {
        Method::Put | Method::Patch => "write",
        Method::Delete => "delete",
        Method::Post => "action",
        _ => "read",
    };
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let resources = "Microsoft.Resources/subscriptions";
    let Some(p) = l.iter().rposition(|s| *s == "providers") else {
        return match l.as_slice() {
            ["subscriptions"] | [] => None,
            ["subscriptions", _] => Some((format!("{resources}/read"), scope)),
            ["subscriptions", _, "resourcegroups"] => {
                Some((format!("{resources}/resourceGroups/read"), scope))
            }
            ["subscriptions", _, "resourcegroups", _, ..] => Some((
                format!("{resources}/resourceGroups/{}", verb(req.method)),
                format!("/{}", segs[..4].join("/")),
            )),
            ["subscriptions", _, t, ..] => Some((format!("{resources}/{t}/read"), scope)),
            _ => None,
        };
    };
    let namespace = segs.get(p + 1)?;
    if namespace.eq_ignore_ascii_case(crate::engine::lockbox::NAMESPACE) {
        return None;
    }
    let rest = &segs[p + 2..];
    if rest.is_empty() {
        return Some((format!("{resources}/providers/read"), scope));
    }
    let types: Vec<&str> = rest.iter().step_by(2).map(String::as_str).collect();
    let action = match (req.method, rest.len() % 2) {
        // `/providers/{ns}/register`, `…/{name}/sharedKeys`: a POST to an action.
        (Method::Post, 1) => "action",
        // A collection: listing it reads.
        (_, 1) => "read",
        (m, _) => verb(m),
    };
    Some((format!("{namespace}/{}/{action}", types.join("/")), scope))
}

/// Whether `principal` holds `role` assigned at exactly `scope` or one of its ancestors.
pub fn has_role_at(cx: &Ctx, principal: &str, scope: &str, role: &str) -> bool {
    cx.w.role_assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && a.role.eq_ignore_ascii_case(role)
            && scope_covers(&a.scope, scope)
    })
}

/// The role assignments the world starts with, real so that removing one (or adding another)
/// changes what ARM allows: Avery Owner of both subscriptions; Sam Log Analytics Reader and the
/// runbook's service principal Owner of the first.
pub fn initial_assignments(now: u64) -> Vec<RoleAssignment> {
    use crate::engine::world::{RUNBOOK_OBJECT_ID, SAM_OBJECT_ID, SUBSCRIPTIONS, USER_OBJECT_ID};
    let (first, second) = (SUBSCRIPTIONS[0].0, SUBSCRIPTIONS[1].0);
    [
        (
            "1f0a7c52-9d3e-4b6a-8c21-5e7d3f9a0b14",
            first,
            OWNER_ROLE,
            USER_OBJECT_ID,
            "User",
        ),
        (
            "2e1b8d63-0e4f-4c7b-9d32-6f8e4a0b1c25",
            second,
            OWNER_ROLE,
            USER_OBJECT_ID,
            "User",
        ),
        (
            "3d2c9e74-1f5a-4d8c-ae43-7a9f5b1c2d36",
            first,
            LOG_ANALYTICS_READER_ROLE,
            SAM_OBJECT_ID,
            "User",
        ),
        (
            "4e3daf85-2a6b-4e9d-bf54-8bad6c2d3e47",
            first,
            OWNER_ROLE,
            RUNBOOK_OBJECT_ID,
            "ServicePrincipal",
        ),
    ]
    .into_iter()
    .map(|(name, sub, role, principal, kind)| RoleAssignment {
        name: name.to_string(),
        scope: format!("/subscriptions/{sub}"),
        role,
        principal_id: principal.to_string(),
        principal_type: kind.into(),
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
                        "permissions": [{ "actions": r.actions, "notActions": r.not_actions, "dataActions": r.data_actions, "notDataActions": [] }],
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
