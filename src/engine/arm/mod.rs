//! Azure Resource Manager: `https://management.azure.com/...`.
//!
//! Routing splits the path at its last `providers` segment: what comes before is the scope
//! (subscription, resource group, or a resource for extension resources such as role
//! assignments), what follows is the resource provider namespace and the type/name chain.
//! Checks run in ARM's order: api-version, subscription, resource group, then the provider.

pub mod authorization;
pub mod groups;
pub mod identity;
pub mod lro;

use serde_json::{Map, Value};

use super::errors::{self, ApiError};
use super::http::{Request, Response};
use super::{Ctx, cluster, keyvault, workspace};

pub type ApiResult = Result<Response, ApiError>;

/// api-versions accepted by `Microsoft.Resources` (subscriptions, resource groups, providers).
pub const RESOURCES_API: &[&str] = &[
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-07-01",
    "2022-12-01",
    "2022-09-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-06-01",
    "2020-01-01",
    "2019-10-01",
];
/// api-versions accepted by `Microsoft.KeyVault` (vaults, access policies). 2026-05-15 is the
/// current management SDKs' default (Azure.ResourceManager.KeyVault 1.5.0, 2026-10-15); from
/// [`KEYVAULT_RBAC_DEFAULT_FROM`] a new vault is RBAC unless the body says otherwise.
pub const KEYVAULT_API: &[&str] = &[
    "2026-05-15",
    "2026-02-01",
    "2024-11-01",
    "2024-04-01-preview",
    "2023-07-01",
    "2023-02-01",
    "2022-11-01",
    "2022-07-01",
    "2021-10-01",
    "2021-06-01-preview",
    "2019-09-01",
];
/// "Key Vault ARM API 2026-02-01 creates new vaults with enableRbacAuthorization=true unless set
/// false; existing vaults unchanged" (learn.microsoft.com/azure/key-vault/general/access-control-default).
pub const KEYVAULT_RBAC_DEFAULT_FROM: &str = "2026-02-01";
/// api-versions accepted by `Microsoft.OperationalInsights` (clusters, workspaces, links).
pub const OPERATIONAL_INSIGHTS_API: &[&str] = &[
    "2025-07-01",
    "2025-02-01",
    "2023-09-01",
    "2022-10-01",
    "2021-06-01",
    "2020-10-01",
    "2020-08-01",
    "2020-03-01-preview",
];
/// api-versions accepted by `Microsoft.ManagedIdentity`.
pub const MANAGED_IDENTITY_API: &[&str] = &[
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2018-11-30",
];
/// api-versions accepted by `Microsoft.Authorization` (role assignments and definitions).
pub const AUTHORIZATION_API: &[&str] = &[
    "2022-04-01",
    "2020-10-01-preview",
    "2020-08-01-preview",
    "2020-04-01-preview",
    "2018-09-01-preview",
    "2015-07-01",
];

pub fn route(cx: &mut Ctx, req: &Request) -> ApiResult {
    let segs = &req.segments;
    if let [p, ns, rest @ ..] = segs.as_slice()
        && p.eq_ignore_ascii_case("providers")
        && ns.eq_ignore_ascii_case(super::lockbox::NAMESPACE)
    {
        return super::lockbox::route_tenant(cx, req, rest);
    }
    if !segs
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
    {
        let namespace = segs.get(1).cloned().unwrap_or_default();
        return Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE).arg("namespace", namespace));
    }
    // ARM authorizes every request against the caller's role assignments before the resource
    // provider sees it (in a subscription that exists: otherwise SubscriptionNotFound first).
    if let Some(sub) = segs.get(1)
        && subscription(cx, sub).is_ok()
        && let Some((action, scope)) = authorization::required_action(req)
    {
        authorization::require_user_action(cx, &scope, &action)?;
    }
    let Some(p) = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return groups::route(cx, req);
    };
    let scope = &segs[..p];
    let Some(namespace) = segs.get(p + 1) else {
        return groups::providers(cx, req, scope, None, &[]);
    };
    let rest = &segs[p + 2..];
    if scope.len() == 2 && matches!(rest, [] | [_]) && !is_collection(namespace, rest) {
        return groups::providers(cx, req, scope, Some(namespace), rest);
    }
    // Providers a subscription starts without: ARM refuses their resources until registered.
    if matches!(
        namespace.to_ascii_lowercase().as_str(),
        "microsoft.documentdb" | "microsoft.securityinsights"
    ) && let [s, sub, ..] = scope
        && s.eq_ignore_ascii_case("subscriptions")
        && let Ok(sub) = subscription(cx, sub)
    {
        groups::require_registered(cx, sub, namespace)?;
    }
    match namespace.to_ascii_lowercase().as_str() {
        "microsoft.authorization" => authorization::route(cx, req, scope, rest),
        "microsoft.keyvault" => keyvault::vaults::route(cx, req, scope, rest),
        "microsoft.operationalinsights" => {
            match rest.first().map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("clusters") => cluster::route(cx, req, scope, rest),
                Some("workspaces") => workspace::route(cx, req, scope, rest),
                Some("locations") => lro::route_status(cx, req, scope, rest),
                _ => Err(unknown_type(req, namespace, rest)),
            }
        }
        "microsoft.managedidentity" => identity::route(cx, req, scope, rest),
        "microsoft.securityinsights" => super::sentinel::route(cx, req, scope, rest),
        "microsoft.customerlockbox" => super::lockbox::route(cx, req, scope, rest),
        "microsoft.insights"
            if rest
                .first()
                .is_some_and(|t| t.eq_ignore_ascii_case("scheduledqueryrules")) =>
        {
            super::fired_alerts::route_rules(cx, req, scope, rest)
        }
        "microsoft.alertsmanagement" => super::fired_alerts::route(cx, req, scope, rest),
        "microsoft.storage" => super::storage_accounts::route(cx, req, scope, rest),
        _ => {
            Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE)
                .arg("namespace", namespace.as_str()))
        }
    }
}

/// `/subscriptions/{s}/providers/{ns}/{type}` lists a type; `/providers/{ns}/register` is an action.
fn is_collection(namespace: &str, rest: &[String]) -> bool {
    let known = [
        ("microsoft.operationalinsights", "clusters"),
        ("microsoft.operationalinsights", "workspaces"),
        ("microsoft.keyvault", "vaults"),
        ("microsoft.keyvault", "deletedvaults"),
        ("microsoft.managedidentity", "userassignedidentities"),
        ("microsoft.authorization", "roleassignments"),
        ("microsoft.authorization", "roledefinitions"),
        ("microsoft.customerlockbox", "requests"),
        ("microsoft.insights", "scheduledqueryrules"),
        ("microsoft.alertsmanagement", "alerts"),
        ("microsoft.storage", "storageaccounts"),
    ];
    rest.first().is_some_and(|t| {
        known.contains(&(
            namespace.to_ascii_lowercase().as_str(),
            t.to_ascii_lowercase().as_str(),
        ))
    })
}

pub fn unknown_type(req: &Request, namespace: &str, rest: &[String]) -> ApiError {
    // The type is every other segment (type/name/type/name/…): `workspaces/foo`, not `workspaces`.
    let kind: Vec<&str> = rest.iter().step_by(2).map(String::as_str).collect();
    ApiError::new(&errors::INVALID_RESOURCE_TYPE)
        .arg("type", kind.join("/"))
        .arg("namespace", namespace)
        .arg("version", req.api_version().unwrap_or(""))
}

pub fn method_not_allowed(req: &Request) -> ApiError {
    ApiError::new(&errors::METHOD_NOT_ALLOWED)
        .arg("method", req.method_text.to_ascii_uppercase())
        .arg("path", req.path())
}

/// The request's api-version, if it is one of `supported` (ARM compares case-insensitively).
pub fn api_version(req: &Request, supported: &[&str]) -> Result<String, ApiError> {
    let v = req
        .api_version()
        .ok_or_else(|| ApiError::new(&errors::MISSING_API_VERSION))?;
    match supported.iter().find(|s| s.eq_ignore_ascii_case(v.trim())) {
        Some(s) => Ok(s.to_string()),
        None => Err(ApiError::new(&errors::INVALID_API_VERSION)
            .arg("version", v)
            .arg("supported", supported.join(","))),
    }
}

pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The canonical subscription id, if it exists.
pub fn subscription(cx: &Ctx, id: &str) -> Result<&'static str, ApiError> {
    if !is_guid(id) {
        return Err(ApiError::new(&errors::INVALID_SUBSCRIPTION_ID).arg("subscription", id));
    }
    cx.w.subscription(id)
        .map(|(s, _)| s)
        .ok_or_else(|| ApiError::new(&errors::SUBSCRIPTION_NOT_FOUND).arg("subscription", id))
}

/// `(subscription, resource group)` of a `/subscriptions/{s}/resourceGroups/{rg}` scope, after
/// checking both exist. The resource group's canonical name is returned.
pub fn group_scope(cx: &Ctx, scope: &[String]) -> Result<(&'static str, String), ApiError> {
    match scope {
        [s, sub, g, rg]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourcegroups") =>
        {
            let sub = subscription(cx, sub)?;
            let group =
                cx.w.groups
                    .get(&groups::group_key(sub, rg))
                    .ok_or_else(|| {
                        ApiError::new(&errors::RESOURCE_GROUP_NOT_FOUND).arg("group", rg.as_str())
                    })?;
            Ok((sub, group.name.clone()))
        }
        _ => {
            Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE)
                .arg("namespace", scope.join("/")))
        }
    }
}

/// Like [`group_scope`], for requests that write: a group being deleted refuses them.
pub fn writable_group_scope(
    cx: &Ctx,
    scope: &[String],
) -> Result<(&'static str, String), ApiError> {
    let (sub, rg) = group_scope(cx, scope)?;
    if cx.w.groups[&groups::group_key(sub, &rg)].deleting {
        return Err(ApiError::new(&errors::RESOURCE_GROUP_BEING_DELETED).arg("group", rg));
    }
    Ok((sub, rg))
}

/// The subscription of a `/subscriptions/{s}` scope.
pub fn subscription_scope(cx: &Ctx, scope: &[String]) -> Result<&'static str, ApiError> {
    match scope {
        [s, sub] if s.eq_ignore_ascii_case("subscriptions") => subscription(cx, sub),
        _ => {
            Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE)
                .arg("namespace", scope.join("/")))
        }
    }
}

/// ARM resource id in its canonical casing.
pub fn resource_id(sub: &str, rg: &str, provider_type: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_type}/{name}")
}

/// Map key for resource ids: ARM ids compare case-insensitively.
/// The id prefix (lower case, with its trailing `/`) of what a list request covers: a whole
/// subscription (`/subscriptions/{s}/providers/…`) or one resource group; also checks the scope.
pub fn list_prefix(cx: &Ctx, scope: &[String]) -> Result<String, ApiError> {
    if scope.len() == 2 {
        Ok(format!("/subscriptions/{}/", subscription_scope(cx, scope)?).to_ascii_lowercase())
    } else {
        let (sub, rg) = group_scope(cx, scope)?;
        Ok(format!(
            "{}/",
            id_key(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
        ))
    }
}

pub fn id_key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// The request body as a JSON object: generic ARM wording for malformed JSON.
pub fn body_object(req: &Request) -> Result<Map<String, Value>, ApiError> {
    match req.json() {
        Ok(Some(Value::Object(m))) => Ok(m),
        Ok(Some(other)) => Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
            "detail",
            format!(
                "Unexpected JSON token {}. Path '', line 1, position 1.",
                json_kind(&other)
            ),
        )),
        Ok(None) => Ok(Map::new()),
        Err(e) => Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", e)),
    }
}

pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Case-insensitive lookup of a JSON property (ARM's deserializers ignore case).
pub fn prop<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name)
        .or_else(|| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// ARM's tag limits ("Each resource, resource group, and subscription can have a maximum of 50
/// tag name-value pairs"; "The tag name has a limit of 512 characters and the tag value has a
/// limit of 256 characters", tag-resources.md).
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_NAME: usize = 512;
pub const MAX_TAG_VALUE: usize = 256;

/// `tags` of a request body: an object of string values within ARM's limits, or ARM's error.
pub fn tags(obj: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    match prop(obj, "tags") {
        None => Ok(None),
        Some(Value::Object(m)) if m.values().all(Value::is_string) => {
            if m.len() > MAX_TAGS {
                return Err(
                    ApiError::new(&errors::ARM_TOO_MANY_TAGS).arg("count", m.len().to_string())
                );
            }
            if let Some(e) = tag_limits(m) {
                return Err(e);
            }
            Ok(Some(Value::Object(m.clone())))
        }
        Some(_) => Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
            "detail",
            "Tags must be an object of string values. Path 'tags'.",
        )),
    }
}

/// The first tag whose name or value is longer than ARM allows.
fn tag_limits(m: &Map<String, Value>) -> Option<ApiError> {
    m.iter().find_map(|(name, value)| {
        let length = name.chars().count();
        if length > MAX_TAG_NAME {
            let head: String = name.chars().take(40).collect();
            return Some(
                ApiError::new(&errors::ARM_TAG_NAME_TOO_LONG)
                    .arg("head", head)
                    .arg("length", length.to_string()),
            );
        }
        let length = value.as_str().map_or(0, |v| v.chars().count());
        (length > MAX_TAG_VALUE).then(|| {
            ApiError::new(&errors::ARM_TAG_VALUE_TOO_LONG)
                .arg("name", name.chars().take(40).collect::<String>())
                .arg("length", length.to_string())
        })
    })
}

/// The requested `location`, resolved against the region catalogue.
pub fn location(
    obj: &Map<String, Value>,
    resource_type: &str,
) -> Result<&'static super::world::Region, ApiError> {
    let loc = prop(obj, "location").and_then(Value::as_str).unwrap_or("");
    if loc.trim().is_empty() {
        return Err(ApiError::new(&errors::LOCATION_REQUIRED));
    }
    super::world::find_region(loc).ok_or_else(|| {
        ApiError::new(&errors::LOCATION_NOT_AVAILABLE)
            .arg("location", loc)
            .arg("type", resource_type)
            .arg("regions", super::world::region_list())
    })
}
