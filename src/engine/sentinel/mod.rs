//! Microsoft Sentinel on a Log Analytics workspace, with or without a customer-managed key (the
//! Sentinel CMK document, the second seed). ARM routes
//! `.../workspaces/{ws}/providers/Microsoft.SecurityInsights/...` here:
//!
//! * `onboardingStates/default`: onboarding, with `customerManagedKey` only when every
//!   prerequisite of the document holds (each missing one refused in its words);
//! * what Sentinel keeps outside Log Analytics ([`content`]): watchlists and their items,
//!   scheduled analytics rules that run on the clock, and the incidents they create, sealed in
//!   Sentinel's own store ([`store`]) whose account key is one more holder of an AEK wrapped by
//!   the cluster's KEK (`storage::Owner::Sentinel`, through the Azure Cosmos DB principal);
//! * the document's unsupported changes: the undefined ones are refused here, for the cluster and
//!   workspace modules to ask (`check_*`), the ineffective ones accepted and said (`note_*`).
//!
//! Sentinel's state is keyed by the workspace (lower-cased id); deleting the workspace, or
//! offboarding, removes it with its store.

pub mod content;

use crate::engine::api_versions::SECURITY_INSIGHTS_API;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::arm::groups;
use super::arm::{
    ApiResult, api_version, body_object, group_scope, id_key, method_not_allowed, prop,
    resource_id, writable_group_scope,
};
use super::clock;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::journal::Category;
use super::keyvault::client::{self, KeyVaultProperties, Periodic};
use super::storage::{self, Owner};
use super::world::{COSMOS_DB_OBJECT_ID, USER_UPN, World};

/// Sentinel on one workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentinel {
    /// Lower-cased workspace id.
    pub workspace: String,
    /// Onboarded with `customerManagedKey: true`.
    pub cmk: bool,
    pub etag: String,
    pub created: u64,
    pub modified: u64,
    /// The store's storage account (its holder is `Owner::Sentinel`).
    pub account: String,
    pub watchlists: BTreeMap<String, content::Doc>,
    /// Each watchlist's items, sealed as one document.
    pub items: BTreeMap<String, storage::documents::Sealed>,
    pub rules: BTreeMap<String, content::Rule>,
    pub incidents: BTreeMap<String, content::Doc>,
    pub incident_number: u64,
    /// Why Sentinel's data stays under a Microsoft-managed key although the cluster has a key.
    pub ineffective: Option<String>,
}

/// `systemData` of a resource created and last changed by the signed-in user.
pub fn system_data(created: u64, modified: u64) -> Value {
    json!({
        "createdBy": USER_UPN,
        "createdByType": "User",
        "createdAt": clock::iso(created),
        "lastModifiedBy": USER_UPN,
        "lastModifiedByType": "User",
        "lastModifiedAt": clock::iso(modified),
    })
}

/// ARM's quoted etag of a fresh version.
pub fn new_etag(cx: &mut Ctx) -> String {
    format!("\"{}\"", cx.w.rng.guid())
}

/// The workspace a Sentinel request is scoped to: `(lower-cased id, canonical id)`.
fn workspace_of(cx: &Ctx, scope: &[String], write: bool) -> Result<(String, String), ApiError> {
    let [s, sub, g, rg, p, ns, t, name] = scope else {
        return Err(
            ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE).arg("namespace", scope.join("/"))
        );
    };
    if !seg_is(Some(p), "providers")
        || !seg_is(Some(ns), "Microsoft.OperationalInsights")
        || !seg_is(Some(t), "workspaces")
    {
        return Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE)
            .arg("namespace", format!("{ns}/{t}")));
    }
    let group = [s.clone(), sub.clone(), g.clone(), rg.clone()];
    let (sub, rg) = if write {
        writable_group_scope(cx, &group)?
    } else {
        group_scope(cx, &group)?
    };
    let id = resource_id(sub, &rg, "Microsoft.OperationalInsights/workspaces", name);
    let key = id_key(&id);
    match cx.w.workspaces.get(&key).filter(|w| w.deleted.is_none()) {
        Some(ws) => Ok((key, ws.id.clone())),
        None => Err(ApiError::new(&errors::RESOURCE_NOT_FOUND)
            .arg("type", "Microsoft.OperationalInsights/workspaces")
            .arg("name", name.as_str())
            .arg("group", rg)),
    }
}

/// `.../workspaces/{ws}/providers/Microsoft.SecurityInsights/{type}[/{name}[/...]]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, SECURITY_INSIGHTS_API)?;
    let write = matches!(
        req.method,
        Method::Put | Method::Delete | Method::Post | Method::Patch
    );
    let (ws, ws_id) = workspace_of(cx, scope, write)?;
    let kind = rest
        .first()
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    if kind == "onboardingstates" {
        return onboarding(cx, req, &ws, &ws_id, &rest[1..]);
    }
    if !["watchlists", "alertrules", "incidents"].contains(&kind.as_str()) {
        return Err(super::arm::unknown_type(
            req,
            "Microsoft.SecurityInsights",
            rest,
        ));
    }
    if !cx.w.sentinel.contains_key(&ws) {
        return Err(ApiError::new(&errors::SENTINEL_NOT_ONBOARDED)
            .arg("workspace", cx.w.workspaces[&ws].name.clone()));
    }
    content::route(cx, req, &ws, &ws_id, &kind, &rest[1..])
}

// ---- onboarding ----------------------------------------------------------------------------------

fn state_json(s: &Sentinel, ws_id: &str) -> Value {
    json!({
        "id": format!("{ws_id}/providers/Microsoft.SecurityInsights/onboardingStates/default"),
        "name": "default",
        "type": "Microsoft.SecurityInsights/onboardingStates",
        "etag": s.etag,
        "systemData": system_data(s.created, s.modified),
        "properties": { "customerManagedKey": s.cmk },
    })
}

fn onboarding(cx: &mut Ctx, req: &Request, ws: &str, ws_id: &str, rest: &[String]) -> ApiResult {
    match (req.method, rest) {
        (Method::Get, []) => {
            let value: Vec<Value> =
                cx.w.sentinel
                    .get(ws)
                    .map(|s| state_json(s, ws_id))
                    .into_iter()
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        (_, [name]) if !name.eq_ignore_ascii_case("default") => {
            Err(ApiError::new(&errors::SENTINEL_STATE_NAME).arg("name", name.as_str()))
        }
        (Method::Get, [_]) => match cx.w.sentinel.get(ws) {
            Some(s) => Ok(Response::ok(state_json(s, ws_id))),
            None => Err(ApiError::new(&errors::SENTINEL_NOT_FOUND)
                .arg("kind", "onboarding state")
                .arg("name", "default")),
        },
        (Method::Put, [_]) => onboard(cx, req, ws, ws_id),
        (Method::Delete, [_]) => {
            if !cx.w.sentinel.contains_key(ws) {
                return Ok(Response::empty(204));
            }
            offboard(cx, ws, "offboarded");
            Ok(Response::empty(200))
        }
        _ => Err(method_not_allowed(req)),
    }
}

/// `PUT .../onboardingStates/default` with `{"properties":{"customerManagedKey":…}}`.
fn onboard(cx: &mut Ctx, req: &Request, ws: &str, ws_id: &str) -> ApiResult {
    let body = body_object(req)?;
    let cmk = match prop(&body, "properties").map(|p| p.get("customerManagedKey")) {
        None | Some(None) | Some(Some(Value::Null)) => false,
        Some(Some(Value::Bool(b))) => *b,
        Some(Some(_)) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
                "detail",
                "Error converting value to type 'System.Boolean'. Path 'properties.customerManagedKey'.",
            ));
        }
    };
    let name = cx.w.workspaces[ws].name.clone();
    if let Some(s) = cx.w.sentinel.get(ws) {
        return match (s.cmk, cmk) {
            (true, false) => Err(ApiError::new(&errors::SENTINEL_CMK_DISABLE)),
            (false, true) => {
                Err(ApiError::new(&errors::SENTINEL_ALREADY_ONBOARDED).arg("workspace", name))
            }
            _ => Ok(Response::ok(state_json(s, ws_id))),
        };
    }
    let key = if cmk {
        Some(cmk_prerequisites(cx, ws)?)
    } else {
        None
    };
    let owner = Owner::Sentinel {
        workspace: ws.to_string(),
    };
    let account = match &key {
        Some((kvp, version)) => {
            storage::new_holder_account(cx, owner, Some((kvp, version.clone()))).map_err(|why| {
                ApiError::new(&errors::SENTINEL_CMK_COSMOS_NO_ACCESS).arg("detail", why)
            })?
        }
        None => storage::new_holder_account(cx, owner, None).expect("MMK protection cannot fail"),
    };
    let now = cx.w.now;
    let etag = new_etag(cx);
    let cluster_key = cx.w.workspaces[ws]
        .cluster()
        .and_then(|c| cx.w.clusters.get(c))
        .and_then(|c| c.storage_key.clone());
    let ineffective = match (cmk, cluster_key) {
        (false, Some(_)) => Some(INEFFECTIVE_ONBOARDED.to_string()),
        _ => None,
    };
    let s = Sentinel {
        workspace: ws.to_string(),
        cmk,
        etag,
        created: now,
        modified: now,
        account: account.clone(),
        watchlists: BTreeMap::new(),
        items: BTreeMap::new(),
        rules: BTreeMap::new(),
        incidents: BTreeMap::new(),
        incident_number: 0,
        ineffective: ineffective.clone(),
    };
    let out = state_json(&s, ws_id);
    cx.w.sentinel.insert(ws.to_string(), s);
    let text = match (cmk, &ineffective) {
        (true, _) => format!(
            "Workspace {name} onboarded to Microsoft Sentinel with a customer-managed key: Sentinel's own data (watchlists, analytics rules, incidents) is sealed in its store {account}, whose AEK the cluster's key wraps through the Azure Cosmos DB principal"
        ),
        (false, Some(why)) => format!(
            "Workspace {name} onboarded to Microsoft Sentinel without a customer-managed key: {why}"
        ),
        (false, None) => format!(
            "Workspace {name} onboarded to Microsoft Sentinel: its own data is sealed in its store {account} under a Microsoft-managed key"
        ),
    };
    cx.j.note(now, Category::Resource, ws_id, text);
    Ok(Response::json(201, out))
}

/// Every prerequisite of a CMK onboarding, in the document's order; the cluster's key identifier
/// and the key version it designates now.
fn cmk_prerequisites(cx: &Ctx, ws: &str) -> Result<(KeyVaultProperties, String), ApiError> {
    let w = &*cx.w;
    let workspace = &w.workspaces[ws];
    let cluster = match &workspace.link {
        super::workspace::LinkState::Linked { cluster, .. } => w.clusters.get(cluster),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::new(&errors::SENTINEL_CMK_NEEDS_CLUSTER).arg("workspace", workspace.name.clone())
    })?;
    let kvp = cluster.ready_key().ok_or_else(|| {
        ApiError::new(&errors::SENTINEL_CMK_NEEDS_KEY).arg("cluster", cluster.name.clone())
    })?;
    if cluster.identity.kind() != "SystemAssigned" {
        return Err(ApiError::new(&errors::SENTINEL_CMK_SYSTEM_ASSIGNED)
            .arg("cluster", cluster.name.clone())
            .arg("identity", cluster.identity.kind()));
    }
    if !groups::is_registered(cx, &cluster.subscription, "Microsoft.DocumentDB") {
        return Err(ApiError::new(&errors::SENTINEL_CMK_COSMOS_NOT_REGISTERED));
    }
    let cosmos = w
        .directory
        .get(COSMOS_DB_OBJECT_ID)
        .cloned()
        .expect("a first-party principal");
    let vault = kvp.vault();
    let no_access = |detail: String| {
        ApiError::new(&errors::SENTINEL_CMK_COSMOS_NO_ACCESS).arg("detail", detail)
    };
    if !client::reachable(cx, &vault) {
        return Err(no_access(format!(
            "Key Vault {} is not reachable",
            kvp.vault_uri
        )));
    }
    client::check_grant(cx, &vault, &cosmos, &kvp.key_name).map_err(|e| no_access(e.message()))?;
    let (version, _) = client::designated_version(cx, kvp)
        .ok_or_else(|| no_access(format!("key {} has no usable version", kvp.key_name)))?;
    for call in [Periodic::Unwrap, Periodic::Rewrap] {
        client::check(cx, call, &vault, &cosmos, &kvp.key_name, &version)
            .map_err(|e| no_access(e.message()))?;
    }
    Ok((kvp.clone(), version))
}

/// Sentinel leaves the workspace (offboarding, or the workspace deleted), with its store.
pub fn offboard(cx: &mut Ctx, ws: &str, why: &str) {
    let Some(s) = cx.w.sentinel.remove(ws) else {
        return;
    };
    content::unschedule_all(cx, ws);
    storage::remove_account(cx, &s.account);
    let (id, name) =
        cx.w.workspaces
            .get(ws)
            .map_or((ws.to_string(), ws.to_string()), |w| {
                (w.id.clone(), w.name.clone())
            });
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &id,
        format!("Microsoft Sentinel {why} from workspace {name}: its store {} and everything sealed in it deleted", s.account),
    );
}

// ---- the document's unsupported changes -----------------------------------------------------------

const INEFFECTIVE_ONBOARDED: &str = "Sentinel's own data stays under the Microsoft-managed key. The document lists enabling CMK on a workspace that's already onboarded to Microsoft Sentinel, enabling CMK on a cluster that contains Sentinel-onboarded workspaces, and linking a Sentinel-onboarded non-CMK workspace to a CMK-enabled cluster as not supported because they are ineffective: \"Microsoft Sentinel data continues is encrypted only by the Microsoft-managed key, and not by the CMK\"";

/// Names of the workspaces on `cluster` onboarded to Sentinel with CMK.
pub fn cmk_workspaces_on(w: &World, cluster: &str) -> Vec<String> {
    w.sentinel
        .values()
        .filter(|s| s.cmk)
        .filter_map(|s| w.workspaces.get(&s.workspace))
        .filter(|ws| ws.cluster() == Some(cluster))
        .map(|ws| ws.name.clone())
        .collect()
}

/// A change to a cluster, as the Sentinel rules see it.
pub enum ClusterChange<'a> {
    /// The key identifier cleared.
    ClearKey,
    /// A key identifier set (a new version of the same key is a rotation).
    Key(&'a KeyVaultProperties),
    /// The identity changed to this type.
    Identity(&'a str),
    /// The cluster deleted (its workspaces unlinked).
    Delete,
}

/// Refuses what the document calls undefined or unsupported on a cluster that holds Sentinel CMK
/// workspaces; anything else passes.
pub fn check_cluster_change(
    w: &World,
    cluster: &str,
    change: ClusterChange,
) -> Result<(), ApiError> {
    let names = cmk_workspaces_on(w, cluster);
    if names.is_empty() {
        return Ok(());
    }
    let list = names.join(", ");
    let current = w.clusters.get(cluster).and_then(|c| c.storage_key.as_ref());
    match change {
        ClusterChange::ClearKey => {
            Err(ApiError::new(&errors::SENTINEL_CLUSTER_KEY_REMOVAL).arg("workspaces", list))
        }
        ClusterChange::Identity("None") => {
            Err(ApiError::new(&errors::SENTINEL_CLUSTER_KEY_REMOVAL).arg("workspaces", list))
        }
        ClusterChange::Identity(kind) if kind != "SystemAssigned" => {
            Err(ApiError::new(&errors::SENTINEL_CMK_SYSTEM_ASSIGNED)
                .arg("cluster", w.clusters[cluster].name.clone())
                .arg("identity", kind.to_string()))
        }
        ClusterChange::Key(k) if current.is_some_and(|c| !c.same_key(k)) => {
            Err(ApiError::new(&errors::SENTINEL_KEY_REPLACEMENT).arg("workspaces", list))
        }
        ClusterChange::Delete => {
            Err(ApiError::new(&errors::SENTINEL_UNLINK).arg("workspace", list))
        }
        _ => Ok(()),
    }
}

/// Refuses unlinking a Sentinel CMK workspace from its cluster.
pub fn check_unlink(w: &World, ws: &str) -> Result<(), ApiError> {
    match w.sentinel.get(ws) {
        Some(s) if s.cmk => {
            Err(ApiError::new(&errors::SENTINEL_UNLINK)
                .arg("workspace", w.workspaces[ws].name.clone()))
        }
        _ => Ok(()),
    }
}

/// A Sentinel-onboarded non-CMK workspace was linked to a cluster with a key, or a cluster with
/// such workspaces adopted a key: accepted, ineffective, and said.
pub fn note_ineffective(cx: &mut Ctx, cluster: &str) {
    let now = cx.w.now;
    if cx
        .w
        .clusters
        .get(cluster)
        .and_then(|c| c.storage_key.as_ref())
        .is_none()
    {
        return;
    }
    let affected: Vec<String> = cx
        .w
        .sentinel
        .values()
        .filter(|s| !s.cmk && s.ineffective.is_none())
        .filter(|s| cx.w.workspaces.get(&s.workspace).and_then(|w| w.cluster()) == Some(cluster))
        .map(|s| s.workspace.clone())
        .collect();
    for ws in affected {
        let (id, name) = (
            cx.w.workspaces[&ws].id.clone(),
            cx.w.workspaces[&ws].name.clone(),
        );
        if let Some(s) = cx.w.sentinel.get_mut(&ws) {
            s.ineffective = Some(INEFFECTIVE_ONBOARDED.to_string());
        }
        cx.j.alert(
            now,
            Category::Data,
            &id,
            format!("Workspace {name} is onboarded to Microsoft Sentinel without CMK and its cluster now has a key: its logs get the cluster's key, but {INEFFECTIVE_ONBOARDED}"),
        );
    }
}
