//! `Microsoft.OperationalInsights/workspaces` and their link to a dedicated cluster
//! (`linkedServices/cluster`).
//!
//! Link lifecycle (`LinkState`): `Unlinked` → `Linking` → `Linked` → `Unlinking` → `Unlinked`.
//! Both transitions are asynchronous; while one runs, another is refused (409). The cluster's
//! `associatedWorkspaces` is derived from these states, never stored twice.

use crate::engine::api_versions::OPERATIONAL_INSIGHTS_API;
use std::collections::{BTreeMap, BTreeSet};

pub mod linked_storage;
pub mod saved_searches;

use serde_json::{Value, json};

use super::Ctx;
use super::arm::lro::{self, AsyncOp, OpKind};
use super::arm::{
    ApiResult, api_version, body_object, group_scope, id_key, location, method_not_allowed, prop,
    resource_id, tags, writable_group_scope,
};
use super::clock;
use super::cluster::ClusterState;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::journal::Category;
use super::limits;
use super::sentinel;
use super::world::World;

#[derive(Clone, Debug, PartialEq)]
pub enum LinkState {
    Unlinked,
    /// Cluster key (lower-cased id) and operation id.
    Linking {
        cluster: String,
        op: String,
    },
    Linked {
        cluster: String,
        since: u64,
    },
    Unlinking {
        cluster: String,
        op: String,
        since: u64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: &'static str,
    pub customer_id: String,
    pub created: u64,
    pub modified: u64,
    pub sku: String,
    pub retention_days: u64,
    pub tags: Value,
    pub link: LinkState,
    /// When each link operation was accepted (the seed's "2 in 30 days" counts these).
    pub link_history: Vec<u64>,
    /// Set while soft-deleted; the workspace comes back, still linked, if re-created in time.
    pub deleted: Option<u64>,
    /// Simulated machines sending logs, and since when.
    pub sources: Option<super::sources::SourceConfig>,
    pub sources_since: u64,
    /// Columns each custom table (`*_CL`) has gained through the Data Collector API, so its
    /// column limit counts earlier posts without decrypting them.
    pub custom_columns: BTreeMap<String, BTreeSet<String>>,
    /// Saved searches kept in the workspace (no `Query` linked storage account), by id in lower
    /// case, and a counter that makes each write's etag new.
    pub saved_searches: saved_searches::SavedSearches,
    pub etags: u64,
    /// `linkedStorageAccounts`, by data source type.
    pub linked_storage: linked_storage::LinkedStorage,
    /// `forceCmkForQuery`: "customer-managed storage mandatory for query management" (saved
    /// searches need a `Query` link, which can't be removed while it is set).
    pub force_cmk_for_query: bool,
    /// The primary and secondary shared keys (64 random bytes each, base64), drawn the first
    /// time someone asks (`sharedKeys`), so worlds that never ask draw nothing.
    pub shared_keys: Option<(String, String)>,
}

impl Workspace {
    /// The cluster the workspace's new data goes to (linked, or unlinking until it completes).
    pub fn cluster(&self) -> Option<&str> {
        match &self.link {
            LinkState::Linked { cluster, .. } | LinkState::Unlinking { cluster, .. } => {
                Some(cluster)
            }
            _ => None,
        }
    }

    pub fn linked_since(&self) -> Option<u64> {
        match &self.link {
            LinkState::Linked { since, .. } | LinkState::Unlinking { since, .. } => Some(*since),
            _ => None,
        }
    }

    fn link_provisioning_state(&self) -> Option<&'static str> {
        match &self.link {
            LinkState::Unlinked => None,
            LinkState::Linking { .. } => Some("ProvisioningAccount"),
            LinkState::Linked { .. } => Some("Succeeded"),
            LinkState::Unlinking { .. } => Some("Deleting"),
        }
    }

    pub fn to_json(&self, w: &World) -> Value {
        let mut features = json!({ "enableLogAccessUsingOnlyResourcePermissions": true, "legacy": 0, "searchVersion": 1 });
        if let Some(c) = self.cluster().and_then(|k| w.clusters.get(k)) {
            features["clusterResourceId"] = json!(c.id);
        }
        json!({
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.OperationalInsights/workspaces",
            "location": self.location,
            "tags": self.tags,
            "properties": {
                "customerId": self.customer_id,
                "provisioningState": "Succeeded",
                "sku": { "name": self.sku },
                "retentionInDays": self.retention_days,
                "features": features,
                "workspaceCapping": { "dailyQuotaGb": -1.0 },
                "publicNetworkAccessForIngestion": "Enabled",
                "publicNetworkAccessForQuery": "Enabled",
                "forceCmkForQuery": self.force_cmk_for_query,
                "createdDate": clock::iso(self.created),
                "modifiedDate": clock::iso(self.modified),
            },
        })
    }
}

/// The linked-service resource of a workspace's cluster link.
pub fn linked_service_json(ws: &Workspace) -> Value {
    let cluster = match &ws.link {
        LinkState::Linking { cluster, .. }
        | LinkState::Linked { cluster, .. }
        | LinkState::Unlinking { cluster, .. } => cluster.clone(),
        LinkState::Unlinked => String::new(),
    };
    json!({
        "id": format!("{}/linkedServices/cluster", ws.id),
        "name": format!("{}/cluster", ws.name),
        "type": "Microsoft.OperationalInsights/workspaces/linkedServices",
        "properties": {
            "writeAccessResourceId": cluster_display_id(&cluster),
            "provisioningState": ws.link_provisioning_state().unwrap_or("Succeeded"),
        },
    })
}

/// Rebuilds `/subscriptions/.../clusters/{name}` casing from a lower-cased key.
fn cluster_display_id(key: &str) -> String {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [
            "",
            "subscriptions",
            sub,
            "resourcegroups",
            rg,
            "providers",
            _,
            _,
            name,
        ] => resource_id(sub, rg, "Microsoft.OperationalInsights/clusters", name),
        _ => key.to_string(),
    }
}

/// Live workspaces whose data goes to a cluster (linked, or unlinking until it completes).
pub fn linked_to<'w>(w: &'w World, cluster: &'w str) -> impl Iterator<Item = &'w Workspace> {
    w.workspaces
        .values()
        .filter(move |ws| ws.deleted.is_none() && ws.cluster() == Some(cluster))
}

/// Workspaces in any link state with a cluster, including links still in flight.
pub fn attached_to<'w>(w: &'w World, cluster: &'w str) -> impl Iterator<Item = &'w Workspace> {
    w.workspaces.values().filter(move |ws| match &ws.link {
        LinkState::Linking { cluster: c, .. }
        | LinkState::Linked { cluster: c, .. }
        | LinkState::Unlinking { cluster: c, .. } => c == cluster && ws.deleted.is_none(),
        LinkState::Unlinked => false,
    })
}

fn workspace_id(sub: &str, rg: &str, name: &str) -> String {
    resource_id(sub, rg, "Microsoft.OperationalInsights/workspaces", name)
}

/// `.../providers/Microsoft.OperationalInsights/workspaces[/{name}[/linkedServices[/{name}]]]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let version = api_version(req, OPERATIONAL_INSIGHTS_API)?;
    match rest {
        [_] => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = crate::engine::arm::list_prefix(cx, scope)?;
            let value: Vec<Value> =
                cx.w.workspaces
                    .values()
                    .filter(|ws| ws.deleted.is_none() && id_key(&ws.id).starts_with(&prefix))
                    .map(|ws| ws.to_json(cx.w))
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [_, name] => match req.method {
            Method::Put => put(cx, req, scope, name, false),
            Method::Patch => put(cx, req, scope, name, true),
            Method::Get => {
                let (sub, rg) = group_scope(cx, scope)?;
                let ws = live(cx.w, &workspace_id(sub, &rg, name))
                    .ok_or_else(|| not_found(name, &rg))?;
                Ok(Response::ok(ws.to_json(cx.w)))
            }
            Method::Delete => {
                let (sub, rg) = group_scope(cx, scope)?;
                let key = id_key(&workspace_id(sub, &rg, name));
                if live(cx.w, &key).is_none() {
                    return Ok(Response::empty(204));
                }
                if req
                    .query("force")
                    .is_some_and(|f| f.eq_ignore_ascii_case("true"))
                {
                    purge(cx, &key);
                } else {
                    soft_delete(cx, &key);
                }
                Ok(Response::empty(200))
            }
            _ => Err(method_not_allowed(req)),
        },
        [_, _, ls] if seg_is(Some(ls), "linkedservices") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let ws = link_workspace(cx, scope, &rest[1])?;
            let value: Vec<Value> = match ws.link {
                LinkState::Unlinked => Vec::new(),
                _ => vec![linked_service_json(ws)],
            };
            Ok(Response::ok(json!({ "value": value })))
        }
        [_, _, ls, link] if seg_is(Some(ls), "linkedservices") => match req.method {
            Method::Put => link_put(cx, req, scope, &rest[1], link, &version),
            Method::Get => {
                let ws = link_workspace(cx, scope, &rest[1])?;
                if !link.eq_ignore_ascii_case("cluster") || ws.link == LinkState::Unlinked {
                    return Err(ApiError::new(&errors::RESOURCE_NOT_FOUND)
                        .arg(
                            "type",
                            format!(
                                "Microsoft.OperationalInsights/workspaces/{}/linkedServices",
                                ws.name
                            ),
                        )
                        .arg("name", link.as_str())
                        .arg("group", ws.group.clone()));
                }
                Ok(Response::ok(linked_service_json(ws)))
            }
            Method::Delete => unlink(cx, scope, &rest[1], link, &version),
            _ => Err(method_not_allowed(req)),
        },
        [_, _, k] if seg_is(Some(k), "sharedkeys") || seg_is(Some(k), "regeneratesharedkey") => {
            if req.method != Method::Post {
                return Err(method_not_allowed(req));
            }
            shared_keys(cx, scope, &rest[1], seg_is(Some(k), "regeneratesharedkey"))
        }
        [_, _, ls] | [_, _, ls, _] if seg_is(Some(ls), "linkedstorageaccounts") => {
            linked_storage::route(cx, req, scope, rest)
        }
        [_, _, ss] | [_, _, ss, _] if seg_is(Some(ss), "savedsearches") => {
            saved_searches::route(cx, req, scope, rest)
        }
        [_, _, r, id] if seg_is(Some(r), "operationresults") => {
            let sub = group_scope(cx, scope)?.0;
            lro::results(cx, req, sub, id)
        }
        [_, _, ls, _, r, id]
            if seg_is(Some(ls), "linkedservices") && seg_is(Some(r), "operationresults") =>
        {
            let sub = group_scope(cx, scope)?.0;
            lro::results(cx, req, sub, id)
        }
        _ => Err(super::arm::unknown_type(
            req,
            "Microsoft.OperationalInsights",
            rest,
        )),
    }
}

/// `POST …/sharedKeys` (SharedKeys_GetSharedKeys) and `POST …/regenerateSharedKey`
/// (SharedKeys_Regenerate): the keys that sign HTTP Data Collector API posts.
fn shared_keys(cx: &mut Ctx, scope: &[String], name: &str, regenerate: bool) -> ApiResult {
    let (sub, rg) = group_scope(cx, scope)?;
    let key = id_key(&workspace_id(sub, &rg, name));
    if live(cx.w, &key).is_none() {
        return Err(not_found(name, &rg));
    }
    let mut draw = || crate::engine::crypto::b64(&cx.w.rng.bytes::<64>());
    let fresh =
        (regenerate || cx.w.workspaces[&key].shared_keys.is_none()).then(|| (draw(), draw()));
    let ws = cx.w.workspaces.get_mut(&key).expect("live");
    if let Some(k) = fresh {
        ws.shared_keys = Some(k);
        if regenerate {
            let (wid, wname) = (ws.id.clone(), ws.name.clone());
            cx.j.note(
                cx.w.now,
                Category::Resource,
                &wid,
                format!("Shared keys of workspace {wname} regenerated"),
            );
        }
    }
    let (primary, secondary) = cx.w.workspaces[&key]
        .shared_keys
        .clone()
        .expect("set above");
    Ok(Response::ok(json!({
        "primarySharedKey": primary,
        "secondarySharedKey": secondary,
    })))
}

fn live<'w>(w: &'w World, id: &str) -> Option<&'w Workspace> {
    w.workspaces
        .get(&id_key(id))
        .filter(|ws| ws.deleted.is_none())
}

fn not_found(name: &str, rg: &str) -> ApiError {
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", "Microsoft.OperationalInsights/workspaces")
        .arg("name", name)
        .arg("group", rg)
}

/// The workspace a link request names, or the seed's link-specific 404.
fn link_workspace<'c>(
    cx: &'c Ctx,
    scope: &[String],
    name: &str,
) -> Result<&'c Workspace, ApiError> {
    let (sub, rg) = group_scope(cx, scope)?;
    live(cx.w, &workspace_id(sub, &rg, name))
        .ok_or_else(|| ApiError::new(&errors::LINK_WORKSPACE_NOT_FOUND))
}

const SKUS: [&str; 7] = [
    "PerGB2018",
    "CapacityReservation",
    "Free",
    "Standard",
    "Premium",
    "PerNode",
    "Standalone",
];

/// Workspace names: 4-63 characters, letters, digits and hyphens, alphanumeric at both ends.
fn check_name(cx: &mut Ctx, name: &str) -> Result<(), ApiError> {
    if !(4..=63).contains(&name.len()) {
        return Err(ApiError::new(&errors::WORKSPACE_NAME_LENGTH));
    }
    let b = name.as_bytes();
    let ok = b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(&errors::WORKSPACE_NAME_INVALID).arg("operation", cx.w.rng.hex(16)))
    }
}

/// PUT creates or updates; PATCH (`patch`) updates an existing workspace with what the body
/// names, its location optional.
fn put(cx: &mut Ctx, req: &Request, scope: &[String], name: &str, patch: bool) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    check_name(cx, name)?;
    let body = body_object(req)?;
    let existing_region = live(cx.w, &workspace_id(sub, &rg, name))
        .map(|ws| ws.location)
        .and_then(crate::engine::world::find_region);
    let region = match (patch, existing_region) {
        (true, None) => return Err(not_found(name, &rg)),
        (true, Some(r)) if prop(&body, "location").is_none() => r,
        _ => location(&body, "Microsoft.OperationalInsights/workspaces")?,
    };
    let tags = tags(&body)?;
    let props = match prop(&body, "properties") {
        Some(Value::Object(p)) => p.clone(),
        _ => Default::default(),
    };
    let sku = match prop(&props, "sku")
        .and_then(|s| s.as_object())
        .and_then(|s| prop(s, "name"))
    {
        None => None,
        Some(v) => {
            let s = v.as_str().unwrap_or("");
            Some(
                SKUS.iter()
                    .find(|k| k.eq_ignore_ascii_case(s))
                    .map(|k| k.to_string())
                    .ok_or_else(|| ApiError::new(&errors::WORKSPACE_SKU_INVALID).arg("value", s))?,
            )
        }
    };
    let retention = match prop(&props, "retentionInDays") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(d) if (30..=730).contains(&d) => Some(d),
            _ => return Err(ApiError::new(&errors::WORKSPACE_RETENTION_INVALID)),
        },
    };
    let force_cmk = match prop(&props, "forceCmkForQuery") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg(
                "detail",
                format!("Error converting value {v} to type 'System.Nullable`1[System.Boolean]'. Path 'properties.forceCmkForQuery'."),
            ));
        }
    };
    let id = workspace_id(sub, &rg, name);
    let key = id_key(&id);
    let now = cx.w.now;
    let lname = name.to_ascii_lowercase();
    // Soft-deleted workspaces past their 14 days are gone for good; one still within them keeps
    // its name reserved. One pass over the workspaces (a PUT is O(workspaces) once, not twice).
    let mut expired: Vec<String> = Vec::new();
    let mut reserved = false;
    for (k, ws) in cx.w.workspaces.iter() {
        let Some(d) = ws.deleted else { continue };
        if d + limits::WORKSPACE_SOFT_DELETE <= now {
            expired.push(k.clone());
        } else if ws.subscription == sub
            && ws.name.to_ascii_lowercase() == lname
            && id_key(&ws.id) != key
        {
            reserved = true;
        }
    }
    for k in expired {
        cx.w.workspaces.remove(&k);
    }
    if reserved {
        return Err(ApiError::new(&errors::WORKSPACE_NAME_NOT_UNIQUE).arg("name", name));
    }
    if let Some(ws) = cx.w.workspaces.get_mut(&key) {
        if ws.location != region.name {
            return Err(ApiError::new(&errors::LOCATION_CANNOT_CHANGE)
                .arg("name", ws.name.clone())
                .arg("location", ws.location));
        }
        if let Some(s) = &sku {
            if ws.cluster().is_some() && !s.eq_ignore_ascii_case(&ws.sku) {
                return Err(ApiError::new(&errors::WORKSPACE_SKU_LINKED));
            }
            if ws.cluster().is_none() {
                ws.sku = s.clone();
            }
        }
        if let Some(r) = retention {
            ws.retention_days = r;
        }
        if let Some(f) = force_cmk {
            ws.force_cmk_for_query = f;
        }
        if let Some(t) = tags {
            ws.tags = t;
        }
        ws.modified = now;
        let recovered = ws.deleted.take().is_some();
        let (wid, wname) = (ws.id.clone(), ws.name.clone());
        if recovered {
            cx.j.note(
                now,
                Category::Resource,
                &wid,
                format!("Workspace {wname} recovered from soft delete (links kept)"),
            );
        }
        let body = cx.w.workspaces[&key].to_json(cx.w);
        return Ok(Response::ok(body));
    }
    let ws = Workspace {
        id: id.clone(),
        name: name.to_string(),
        subscription: sub.to_string(),
        group: rg,
        location: region.name,
        customer_id: cx.w.rng.guid(),
        created: now,
        modified: now,
        sku: sku.unwrap_or_else(|| "PerGB2018".into()),
        retention_days: retention.unwrap_or(30),
        tags: tags.unwrap_or_else(|| json!({})),
        link: LinkState::Unlinked,
        link_history: Vec::new(),
        deleted: None,
        sources: None,
        sources_since: 0,
        custom_columns: BTreeMap::new(),
        saved_searches: BTreeMap::new(),
        etags: 0,
        linked_storage: BTreeMap::new(),
        force_cmk_for_query: force_cmk.unwrap_or(false),
        shared_keys: None,
    };
    cx.j.note(
        now,
        Category::Resource,
        &id,
        format!(
            "Workspace {name} created in {} (workspace id {})",
            region.display, ws.customer_id
        ),
    );
    let body = ws.to_json(cx.w);
    cx.w.workspaces.insert(key, ws);
    Ok(Response::json(201, body))
}

fn link_put(
    cx: &mut Ctx,
    req: &Request,
    scope: &[String],
    ws_name: &str,
    link: &str,
    version: &str,
) -> ApiResult {
    writable_group_scope(cx, scope)?;
    let ws = link_workspace(cx, scope, ws_name)?.clone();
    if !link.eq_ignore_ascii_case("cluster") {
        return Err(ApiError::new(&errors::LINKED_SERVICE_NAME_INVALID).arg("name", link));
    }
    let body = body_object(req).map_err(|_| ApiError::new(&errors::LINKED_SERVICE_BODY_INVALID))?;
    let target = match prop(&body, "properties")
        .and_then(Value::as_object)
        .and_then(|p| prop(p, "writeAccessResourceId"))
    {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(ApiError::new(&errors::LINKED_SERVICE_BODY_INVALID)),
    };
    let cluster_key = id_key(&target);
    let cluster = match cx.w.clusters.get(&cluster_key) {
        Some(c) if !matches!(c.state, ClusterState::Deleting(_)) => c.clone(),
        _ => return Err(ApiError::new(&errors::LINK_CLUSTER_NOT_FOUND)),
    };
    // Seed: "You need to have 'write' permissions to both your workspace and cluster to perform
    // this operation, which include Microsoft.OperationalInsights/workspaces/write and
    // Microsoft.OperationalInsights/clusters/write."
    crate::engine::arm::authorization::require_user_action(
        cx,
        &ws.id,
        "Microsoft.OperationalInsights/workspaces/write",
    )?;
    crate::engine::arm::authorization::require_user_action(
        cx,
        &cluster.id,
        "Microsoft.OperationalInsights/clusters/write",
    )?;
    match &ws.link {
        LinkState::Linking { .. } | LinkState::Unlinking { .. } => {
            return Err(ApiError::new(&errors::LINK_IN_PROCESS));
        }
        LinkState::Linked { cluster: c, .. } if *c == cluster_key => {
            return Ok(Response::ok(linked_service_json(&ws)));
        }
        LinkState::Linked { cluster: c, .. } => {
            return Err(ApiError::new(&errors::LINK_OTHER_CLUSTER)
                .arg("workspace", ws.name.clone())
                .arg("cluster", cluster_display_id(c)));
        }
        LinkState::Unlinked => {}
    }
    if ws.location != cluster.location {
        return Err(ApiError::new(&errors::LINK_REGION_MISMATCH)
            .arg("workspace", ws.name.clone())
            .arg("workspace_region", ws.location)
            .arg("cluster_region", cluster.location));
    }
    if attached_to(cx.w, &cluster_key).count() >= limits::MAX_WORKSPACES_PER_CLUSTER {
        return Err(ApiError::new(&errors::LINK_CLUSTER_FULL).arg("cluster", cluster.name.clone()));
    }
    let now = cx.w.now;
    let recent: Vec<u64> = ws
        .link_history
        .iter()
        .copied()
        .filter(|t| *t + limits::LINK_WINDOW > now)
        .collect();
    if recent.len() >= limits::LINKS_PER_WINDOW {
        return Err(ApiError::new(&errors::LINK_OPERATIONS_LIMIT)
            .arg("workspace", ws.name.clone())
            .arg(
                "dates",
                recent
                    .iter()
                    .map(|t| clock::human(*t))
                    .collect::<Vec<_>>()
                    .join(" and "),
            )
            .arg("next", clock::human(recent[0] + limits::LINK_WINDOW)));
    }
    let delay =
        cx.w.rng
            .between(limits::WORKSPACE_LINK.0, limits::WORKSPACE_LINK.1);
    let key = id_key(&ws.id);
    let op = lro::start(
        cx,
        OpKind::WorkspaceLink {
            workspace: key.clone(),
            cluster: cluster_key.clone(),
        },
        &ws.subscription,
        ws.location,
        &format!("{}/linkedServices/cluster", ws.id),
        version,
        delay,
    );
    let w = cx.w.workspaces.get_mut(&key).expect("exists");
    w.link = LinkState::Linking {
        cluster: cluster_key,
        op: op.clone(),
    };
    w.link_history.push(now);
    cx.j.note(
        now,
        Category::Resource,
        &ws.id,
        format!("Workspace {} linking to cluster {}", ws.name, cluster.name),
    );
    if matches!(cluster.state, ClusterState::Provisioning(_)) {
        cx.j.alert(
            now,
            Category::Data,
            &ws.id,
            format!(
                "Workspace {} is being linked before cluster {} finished provisioning: data ingested before provisioning completes will be dropped and won't be recoverable",
                ws.name, cluster.name
            ),
        );
    }
    Ok(lro::accepted(cx, &op))
}

fn unlink(cx: &mut Ctx, scope: &[String], ws_name: &str, link: &str, version: &str) -> ApiResult {
    writable_group_scope(cx, scope)?;
    let ws = link_workspace(cx, scope, ws_name)?.clone();
    if !link.eq_ignore_ascii_case("cluster") {
        return Err(ApiError::new(&errors::LINKED_SERVICE_NAME_INVALID).arg("name", link));
    }
    let (cluster, since) = match &ws.link {
        LinkState::Linking { .. } | LinkState::Unlinking { .. } => {
            return Err(ApiError::new(&errors::LINK_IN_PROCESS));
        }
        LinkState::Unlinked => return Ok(Response::empty(204)),
        LinkState::Linked { cluster, since } => (cluster.clone(), *since),
    };
    sentinel::check_unlink(cx.w, &id_key(&ws.id))?;
    let delay =
        cx.w.rng
            .between(limits::WORKSPACE_UNLINK.0, limits::WORKSPACE_UNLINK.1);
    let key = id_key(&ws.id);
    let op = lro::start(
        cx,
        OpKind::WorkspaceUnlink {
            workspace: key.clone(),
            cluster: cluster.clone(),
        },
        &ws.subscription,
        ws.location,
        &format!("{}/linkedServices/cluster", ws.id),
        version,
        delay,
    );
    cx.w.workspaces.get_mut(&key).expect("exists").link = LinkState::Unlinking {
        cluster,
        op: op.clone(),
        since,
    };
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &ws.id,
        format!("Workspace {} unlinking from its cluster", ws.name),
    );
    Ok(lro::accepted(cx, &op))
}

/// A link or unlink operation's scheduled end.
pub fn complete(cx: &mut Ctx, op: &AsyncOp) {
    let now = cx.w.now;
    match &op.kind {
        OpKind::WorkspaceLink { workspace, cluster } => {
            let cluster_alive = cx.w.clusters.contains_key(cluster);
            let Some(ws) = cx.w.workspaces.get_mut(workspace) else {
                lro::finish(cx, &op.id, Ok(()));
                return;
            };
            if !cluster_alive {
                ws.link = LinkState::Unlinked;
                lro::finish(
                    cx,
                    &op.id,
                    Err(ApiError::new(&errors::LINK_CLUSTER_NOT_FOUND)),
                );
                return;
            }
            ws.link = LinkState::Linked {
                cluster: cluster.clone(),
                since: now,
            };
            ws.sku = "LACluster".into();
            let (id, name) = (ws.id.clone(), ws.name.clone());
            let cname = cx.w.clusters[cluster].name.clone();
            cx.j.note(
                now,
                Category::Resource,
                &id,
                format!("Workspace {name} linked to cluster {cname}: new data goes to the cluster"),
            );
            sentinel::note_ineffective(cx, cluster);
            lro::finish(cx, &op.id, Ok(()));
        }
        OpKind::WorkspaceUnlink { workspace, .. } => {
            if let Some(ws) = cx.w.workspaces.get_mut(workspace) {
                ws.link = LinkState::Unlinked;
                ws.sku = "PerGB2018".into();
                let (id, name) = (ws.id.clone(), ws.name.clone());
                cx.j.note(
                    now,
                    Category::Resource,
                    &id,
                    format!("Workspace {name} unlinked: new data goes to shared storage under Microsoft-managed keys"),
                );
            }
            lro::finish(cx, &op.id, Ok(()));
        }
        _ => {}
    }
}

/// A cluster is going away: every workspace attached to it is unlinked, links in flight fail.
pub fn detach_all(cx: &mut Ctx, cluster: &str) {
    let keys: Vec<String> =
        cx.w.workspaces
            .iter()
            .filter(|(_, ws)| match &ws.link {
                LinkState::Linking { cluster: c, .. }
                | LinkState::Linked { cluster: c, .. }
                | LinkState::Unlinking { cluster: c, .. } => c == cluster,
                LinkState::Unlinked => false,
            })
            .map(|(k, _)| k.clone())
            .collect();
    for k in keys {
        let ws = cx.w.workspaces.get_mut(&k).expect("listed above");
        let in_flight = match &ws.link {
            LinkState::Linking { op, .. } | LinkState::Unlinking { op, .. } => Some(op.clone()),
            _ => None,
        };
        ws.link = LinkState::Unlinked;
        ws.sku = "PerGB2018".into();
        let (id, name) = (ws.id.clone(), ws.name.clone());
        if let Some(op) = in_flight {
            lro::cancel(cx, &op);
        }
        cx.j.note(
            cx.w.now,
            Category::Resource,
            &id,
            format!("Workspace {name} unlinked because its cluster was deleted"),
        );
    }
}

/// Soft delete: the workspace disappears but can be recovered by re-creating it within 14 days.
pub fn soft_delete(cx: &mut Ctx, key: &str) {
    // "The only operation possible after the encryption key is revoked or deleted is account
    // deletion": Sentinel goes with its workspace.
    sentinel::offboard(cx, key, "removed with its workspace");
    let now = cx.w.now;
    let Some(ws) = cx.w.workspaces.get_mut(key) else {
        return;
    };
    ws.deleted = Some(now);
    let in_flight = match &ws.link {
        LinkState::Linking { op, .. } => Some(op.clone()),
        _ => None,
    };
    if in_flight.is_some() {
        ws.link = LinkState::Unlinked;
    }
    let (id, name) = (ws.id.clone(), ws.name.clone());
    if let Some(op) = in_flight {
        lro::cancel(cx, &op);
    }
    cx.j.note(
        now,
        Category::Resource,
        &id,
        format!(
            "Workspace {name} deleted (recoverable until {})",
            clock::human(now + limits::WORKSPACE_SOFT_DELETE)
        ),
    );
}

fn purge(cx: &mut Ctx, key: &str) {
    soft_delete(cx, key);
    if let Some(ws) = cx.w.workspaces.remove(key) {
        cx.j.alert(
            cx.w.now,
            Category::Resource,
            &ws.id,
            format!("Workspace {} permanently deleted (force)", ws.name),
        );
    }
}
