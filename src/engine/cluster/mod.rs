//! `Microsoft.OperationalInsights/clusters`: the Log Analytics dedicated cluster, its managed
//! identity and its key identifier.
//!
//! Lifecycle (`ClusterState`): `Provisioning` → `Succeeded` ⇄ `Updating`, and `Deleting` → gone
//! (the name stays reserved for 14 days). While an operation runs, updates and deletes are
//! refused with the seed's messages. A key or identity change is asynchronous; the requested
//! values show at once (ARM stores the desired state), and the cluster's storage adopts them when
//! the operation succeeds, after validating the key again with its identity.

pub mod rules;

use crate::engine::api_versions::OPERATIONAL_INSIGHTS_API;
use serde_json::{Map, Value, json};

use self::rules::{CapacityEra, IdentityRequest};
use super::arm::identity::new_service_principal;
use super::arm::lro::{self, AsyncOp, OpKind};
use super::arm::{
    ApiResult, api_version, group_scope, id_key, location, method_not_allowed, prop, resource_id,
    tags, writable_group_scope,
};
use super::clock::{self, DAY};
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response, seg_is};
use super::journal::Category;
use super::limits;
use super::world::{Principal, TENANT_ID, World, find_region};
use super::{Ctx, sentinel, storage, workspace};

pub use super::keyvault::client::KeyVaultProperties;

#[derive(Clone, Debug, PartialEq)]
pub enum ClusterIdentity {
    SystemAssigned {
        principal_id: String,
    },
    UserAssigned {
        resource_id: String,
        principal_id: String,
        client_id: String,
    },
    /// Set by the user: access revoked for good ("can't revert it without contacting support").
    None,
}

impl ClusterIdentity {
    pub fn principal_id(&self) -> Option<&str> {
        match self {
            ClusterIdentity::SystemAssigned { principal_id }
            | ClusterIdentity::UserAssigned { principal_id, .. } => Some(principal_id),
            ClusterIdentity::None => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ClusterIdentity::SystemAssigned { .. } => "SystemAssigned",
            ClusterIdentity::UserAssigned { .. } => "UserAssigned",
            ClusterIdentity::None => "None",
        }
    }

    fn to_json(&self) -> Value {
        match self {
            ClusterIdentity::SystemAssigned { principal_id } => {
                json!({ "type": "SystemAssigned", "principalId": principal_id, "tenantId": TENANT_ID })
            }
            ClusterIdentity::UserAssigned {
                resource_id,
                principal_id,
                client_id,
            } => json!({
                "type": "UserAssigned",
                "userAssignedIdentities": { resource_id.clone(): { "principalId": principal_id, "clientId": client_id } },
            }),
            ClusterIdentity::None => json!({ "type": "None" }),
        }
    }
}

/// The cluster's lifecycle; the string is the running operation's id.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterState {
    Provisioning(String),
    Succeeded,
    Updating(String),
    Deleting(String),
}

impl ClusterState {
    pub fn provisioning_state(&self) -> &'static str {
        match self {
            // The seed-era service reported ProvisioningAccount while a cluster was created.
            ClusterState::Provisioning(_) => "ProvisioningAccount",
            ClusterState::Succeeded => "Succeeded",
            ClusterState::Updating(_) => "Updating",
            ClusterState::Deleting(_) => "Deleting",
        }
    }

    pub fn operation(&self) -> Option<&str> {
        match self {
            ClusterState::Provisioning(op)
            | ClusterState::Updating(op)
            | ClusterState::Deleting(op) => Some(op),
            ClusterState::Succeeded => None,
        }
    }
}

/// An accepted key and/or identity change, applied when its operation completes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterChange {
    pub identity: Option<ClusterIdentity>,
    /// `Some(None)` clears the key.
    pub key: Option<Option<KeyVaultProperties>>,
    pub previous_identity: ClusterIdentity,
    pub previous_key: Option<KeyVaultProperties>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: &'static str,
    pub cluster_id: String,
    pub created: u64,
    pub modified: u64,
    pub identity: ClusterIdentity,
    pub capacity: u64,
    pub last_sku_update: u64,
    pub min_capacity: u64,
    pub billing_type: &'static str,
    pub double_encryption: bool,
    pub availability_zones: bool,
    /// The key identifier as ARM shows it (the desired state).
    pub key: Option<KeyVaultProperties>,
    /// The key identifier the cluster's storage has adopted (set when an update succeeds).
    pub storage_key: Option<KeyVaultProperties>,
    pub state: ClusterState,
    pub tags: Value,
}

/// A deleted cluster's reserved name.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterTombstone {
    pub subscription: String,
    pub name: String,
    pub deleted: u64,
}

impl ClusterTombstone {
    pub fn released(&self) -> u64 {
        self.deleted + limits::CLUSTER_NAME_RESERVATION
    }
}

impl Cluster {
    pub fn to_json(&self, w: &World) -> Value {
        let associated: Vec<Value> = workspace::linked_to(w, &id_key(&self.id))
            .map(|ws| {
                json!({
                    "workspaceId": ws.customer_id,
                    "workspaceName": ws.name,
                    "resourceId": ws.id,
                    "associateDate": clock::iso(ws.linked_since().unwrap_or(ws.created)),
                })
            })
            .collect();
        let mut props = json!({
            "clusterId": self.cluster_id,
            "provisioningState": self.state.provisioning_state(),
            "isDoubleEncryptionEnabled": self.double_encryption,
            "isAvailabilityZonesEnabled": self.availability_zones,
            "billingType": self.billing_type,
            "createdDate": clock::iso(self.created),
            "lastModifiedDate": clock::iso(self.modified),
            "associatedWorkspaces": associated,
            "capacityReservationProperties": {
                "lastSkuUpdate": clock::iso(self.last_sku_update),
                "minCapacity": self.min_capacity,
            },
        });
        if let Some(k) = &self.key {
            props["keyVaultProperties"] = k.to_json();
        }
        json!({
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.OperationalInsights/clusters",
            "location": self.location,
            "tags": self.tags,
            "identity": self.identity.to_json(),
            "sku": { "name": "CapacityReservation", "capacity": self.capacity },
            "properties": props,
        })
    }

    /// The principal the cluster's storage authenticates to Key Vault with.
    /// Still being created: its storage does not exist yet.
    pub fn is_provisioning(&self) -> bool {
        matches!(self.state, ClusterState::Provisioning(_))
    }

    /// The key identifier the cluster's storage uses, once no update is running (Sentinel's
    /// "a dedicated cluster on which CMK is enabled").
    pub fn ready_key(&self) -> Option<&KeyVaultProperties> {
        match self.state {
            ClusterState::Succeeded => self.storage_key.as_ref(),
            _ => None,
        }
    }

    pub fn principal(&self, w: &World) -> Option<Principal> {
        self.identity
            .principal_id()
            .and_then(|p| w.directory.get(p).cloned())
    }
}

fn cluster_id(sub: &str, rg: &str, name: &str) -> String {
    resource_id(sub, rg, "Microsoft.OperationalInsights/clusters", name)
}

/// `.../providers/Microsoft.OperationalInsights/clusters[/{name}[/operationResults/{id}]]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let version = api_version(req, OPERATIONAL_INSIGHTS_API)?;
    match rest {
        [_] => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = crate::engine::arm::list_prefix(cx, scope)?;
            let value: Vec<Value> =
                cx.w.clusters
                    .values()
                    .filter(|c| id_key(&c.id).starts_with(&prefix))
                    .map(|c| c.to_json(cx.w))
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [_, name] => match req.method {
            Method::Put => put(cx, req, scope, name, &version),
            Method::Patch => patch(cx, req, scope, name, &version),
            Method::Get => {
                let (sub, rg) = group_scope(cx, scope)?;
                let c =
                    cx.w.clusters
                        .get(&id_key(&cluster_id(sub, &rg, name)))
                        .ok_or_else(not_found)?;
                Ok(Response::ok(c.to_json(cx.w)))
            }
            Method::Delete => delete(cx, req, scope, name, &version),
            _ => Err(method_not_allowed(req)),
        },
        [_, _, r, id] if seg_is(Some(r), "operationresults") => {
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

fn not_found() -> ApiError {
    ApiError::new(&errors::CLUSTER_NOT_FOUND)
}

/// The cluster body, or the seed's "null or in bad format" error. Text that is not JSON at all
/// never reaches the provider: ARM's front door refuses it, with line and position.
fn cluster_body(req: &Request) -> Result<Map<String, Value>, ApiError> {
    match req.json() {
        Ok(Some(Value::Object(m))) if !m.is_empty() => Ok(m),
        Err(detail) => Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail)),
        _ => Err(ApiError::new(&errors::CLUSTER_BODY_INVALID)),
    }
}

fn properties(body: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    match prop(body, "properties") {
        None => Ok(Map::new()),
        Some(Value::Object(p)) => Ok(p.clone()),
        Some(_) => Err(ApiError::new(&errors::CLUSTER_BODY_INVALID)),
    }
}

fn put(cx: &mut Ctx, req: &Request, scope: &[String], name: &str, version: &str) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let id = cluster_id(sub, &rg, name);
    if let Some(existing) = cx.w.clusters.get(&id_key(&id)) {
        // PUT on an existing cluster is an update, with the create list's wording for conflicts.
        match &existing.state {
            ClusterState::Deleting(_) => {
                return Err(ApiError::new(&errors::CLUSTER_DELETING_IN_PROGRESS));
            }
            s if s.operation().is_some() => {
                return Err(ApiError::new(&errors::CLUSTER_OPERATION_NOT_SUCCEEDED));
            }
            _ => {}
        }
        let body = cluster_body(req)?;
        let region = location(&body, "Microsoft.OperationalInsights/clusters")?;
        if region.name != existing.location {
            return Err(ApiError::new(&errors::LOCATION_CANNOT_CHANGE)
                .arg("name", existing.name.clone())
                .arg("location", existing.location));
        }
        return update(cx, req, &id_key(&id), body, version);
    }
    rules::cluster_name(name)?;
    let body = cluster_body(req)?;
    let region = location(&body, "Microsoft.OperationalInsights/clusters")?;
    let props = properties(&body)?;
    let capacity = match prop(&body, "sku") {
        None => return Err(CapacityEra::of(version).no_sku()),
        Some(s) => rules::sku(s, version)?,
    };
    let identity = match rules::identity(&body)? {
        None | Some(IdentityRequest::None) => return Err(ApiError::new(&errors::IDENTITY_NULL)),
        Some(i) => i,
    };
    let key = match prop(&props, "keyVaultProperties") {
        None => None,
        Some(v) => rules::key_properties(v)?,
    };
    if key.is_some() && identity == IdentityRequest::SystemAssigned {
        return Err(ApiError::new(&errors::KEY_PROPS_ON_CREATE));
    }
    if prop(&props, "associatedWorkspaces").is_some() {
        return Err(ApiError::new(&errors::READ_ONLY_ASSOCIATED_WORKSPACES));
    }
    let billing_type = match prop(&props, "billingType") {
        None => "Cluster",
        Some(v) => rules::billing_type(v)?,
    };
    let double_encryption = match prop(&props, "isDoubleEncryptionEnabled") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::new(&errors::CLUSTER_BODY_INVALID)),
    };
    if double_encryption && !region.double_encryption {
        return Err(
            ApiError::new(&errors::DOUBLE_ENCRYPTION_UNSUPPORTED).arg("region", region.display)
        );
    }
    let availability_zones = match prop(&props, "isAvailabilityZonesEnabled") {
        None => region.availability_zones,
        Some(Value::Bool(b)) => *b && region.availability_zones,
        Some(_) => return Err(ApiError::new(&errors::CLUSTER_BODY_INVALID)),
    };
    let tags = tags(&body)?;
    let now = cx.w.now;
    let lname = name.to_ascii_lowercase();
    cx.w.cluster_tombstones.retain(|t| t.released() > now);
    if let Some(t) =
        cx.w.cluster_tombstones
            .iter()
            .find(|t| t.subscription == sub && t.name == lname)
    {
        return Err(ApiError::new(&errors::CLUSTER_NAME_RESERVED)
            .arg("name", name)
            .arg("deleted", clock::human(t.deleted))
            .arg("released", clock::human(t.released())));
    }
    let in_region =
        cx.w.clusters
            .values()
            .filter(|c| c.subscription == sub && c.location == region.name)
            .count();
    if in_region >= limits::MAX_CLUSTERS_PER_REGION {
        return Err(ApiError::new(&errors::CLUSTER_LIMIT_REACHED)
            .arg("subscription", sub)
            .arg("count", in_region.to_string())
            .arg("region", region.name));
    }

    // A user-assigned identity may come with its key: validate it now, as the service does.
    let resolved_identity = match &identity {
        IdentityRequest::UserAssigned(id) => rules::user_identity(cx, id)?,
        _ => ClusterIdentity::None,
    };
    if let Some(k) = &key {
        let principal = resolved_identity
            .principal_id()
            .and_then(|p| cx.w.directory.get(p).cloned());
        rules::validate_key(cx, &id, region.name, principal.as_ref(), k)?;
    }

    let identity = match identity {
        IdentityRequest::SystemAssigned => {
            let (principal_id, _) = new_service_principal(cx, name, &id);
            ClusterIdentity::SystemAssigned { principal_id }
        }
        _ => resolved_identity,
    };
    let delay =
        cx.w.rng
            .between(limits::CLUSTER_CREATE.0, limits::CLUSTER_CREATE.1);
    let op = lro::start(
        cx,
        OpKind::ClusterCreate {
            cluster: id_key(&id),
        },
        sub,
        region.name,
        &id,
        version,
        delay,
    );
    let cluster = Cluster {
        id: id.clone(),
        name: name.to_string(),
        subscription: sub.to_string(),
        group: rg,
        location: region.name,
        cluster_id: cx.w.rng.guid(),
        created: now,
        modified: now,
        identity,
        capacity,
        last_sku_update: now,
        min_capacity: CapacityEra::of(version).min_capacity(),
        billing_type,
        double_encryption,
        availability_zones,
        key,
        storage_key: None,
        state: ClusterState::Provisioning(op.clone()),
        tags: tags.unwrap_or_else(|| json!({})),
    };
    let who = cluster.identity.principal_id().unwrap_or("").to_string();
    cx.j.note(
        now,
        Category::Resource,
        &id,
        format!(
            "Cluster {name} provisioning in {} ({capacity} GB/day, double encryption {}); identity {} principal {who}",
            region.display,
            if double_encryption { "on" } else { "off" },
            cluster.identity.kind()
        ),
    );
    cx.w.clusters.insert(id_key(&id), cluster);
    Ok(lro::accepted(cx, &op))
}

fn patch(cx: &mut Ctx, req: &Request, scope: &[String], name: &str, version: &str) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    let key = id_key(&cluster_id(sub, &rg, name));
    let c = cx.w.clusters.get(&key).ok_or_else(not_found)?;
    match &c.state {
        ClusterState::Deleting(_) => return Err(ApiError::new(&errors::CLUSTER_DELETING)),
        s if s.operation().is_some() => {
            return Err(ApiError::new(&errors::CLUSTER_OPERATION_IN_PROGRESS));
        }
        _ => {}
    }
    let body = cluster_body(req)?;
    update(cx, req, &key, body, version)
}

/// The update part shared by PATCH and PUT-on-existing.
fn update(
    cx: &mut Ctx,
    _req: &Request,
    key: &str,
    body: Map<String, Value>,
    version: &str,
) -> ApiResult {
    let c = cx.w.clusters[key].clone();
    let props = properties(&body)?;
    if prop(&props, "associatedWorkspaces").is_some() {
        return Err(ApiError::new(&errors::READ_ONLY_ASSOCIATED_WORKSPACES));
    }
    if let Some(v) = prop(&props, "isDoubleEncryptionEnabled") {
        if v.as_bool() != Some(c.double_encryption) {
            return Err(ApiError::new(&errors::DOUBLE_ENCRYPTION_IMMUTABLE));
        }
    }
    if let Some(v) = prop(&props, "isAvailabilityZonesEnabled") {
        if v.as_bool() != Some(c.availability_zones) {
            return Err(ApiError::new(&errors::AVAILABILITY_ZONES_IMMUTABLE));
        }
    }
    let capacity = match prop(&body, "sku") {
        None => None,
        Some(s) => {
            let cap = rules::sku(s, version)?;
            rules::capacity_change(c.capacity, cap, c.last_sku_update, cx.w.now)?;
            Some(cap)
        }
    };
    let billing = match prop(&props, "billingType") {
        None => None,
        Some(v) => Some(rules::billing_type(v)?),
    };
    let tags = tags(&body)?;
    let identity_req = rules::identity(&body)?;
    let identity_change = identity_req.filter(|r| !rules::identity_unchanged(&c.identity, r));
    let key_change = match prop(&props, "keyVaultProperties") {
        None => None,
        Some(v) => {
            let k = rules::key_properties(v)?;
            (k != c.key).then_some(k)
        }
    };
    if identity_change.is_some() && key_change.is_some() {
        return Err(ApiError::new(&errors::IDENTITY_AND_KEY_TOGETHER));
    }
    if identity_change.is_some() && c.identity == ClusterIdentity::None {
        return Err(ApiError::new(&errors::IDENTITY_NONE_IRREVERSIBLE));
    }
    // The Sentinel document's unsupported changes on a cluster with Sentinel CMK workspaces.
    if let Some(r) = &identity_change {
        sentinel::check_cluster_change(cx.w, key, sentinel::ClusterChange::Identity(r.kind()))?;
    }
    match &key_change {
        Some(None) => sentinel::check_cluster_change(cx.w, key, sentinel::ClusterChange::ClearKey)?,
        Some(Some(k)) => {
            sentinel::check_cluster_change(cx.w, key, sentinel::ClusterChange::Key(k))?
        }
        None => {}
    }
    if let Some(Some(k)) = &key_change {
        let principal = c.principal(cx.w);
        rules::validate_key(cx, &c.id, c.location, principal.as_ref(), k)?;
    }
    let new_identity = match identity_change {
        None => None,
        Some(IdentityRequest::SystemAssigned) => {
            let (principal_id, _) = new_service_principal(cx, &c.name, &c.id);
            Some(ClusterIdentity::SystemAssigned { principal_id })
        }
        Some(IdentityRequest::UserAssigned(id)) => Some(rules::user_identity(cx, &id)?),
        Some(IdentityRequest::None) => Some(ClusterIdentity::None),
    };
    // A new identity on a cluster with a key must be able to use that key, or the update would
    // quietly revoke access (the docs: clear the key first, switch, grant, set the key again).
    // Identity None is the documented revocation lever and stays allowed.
    if let (
        Some(i @ ClusterIdentity::SystemAssigned { .. } | i @ ClusterIdentity::UserAssigned { .. }),
        Some(k),
    ) = (&new_identity, &c.key)
    {
        let principal = i
            .principal_id()
            .and_then(|p| cx.w.directory.get(p).cloned());
        rules::validate_key(cx, &c.id, c.location, principal.as_ref(), k)?;
    }

    let now = cx.w.now;
    let cluster = cx.w.clusters.get_mut(key).expect("exists");
    if let Some(cap) = capacity {
        if cap != cluster.capacity {
            cluster.capacity = cap;
            cluster.last_sku_update = now;
        }
    }
    if let Some(b) = billing {
        cluster.billing_type = b;
    }
    if let Some(t) = tags {
        cluster.tags = t;
    }
    cluster.modified = now;
    if new_identity.is_none() && key_change.is_none() {
        return Ok(Response::ok(cx.w.clusters[key].to_json(cx.w)));
    }
    let change = ClusterChange {
        identity: new_identity.clone(),
        key: key_change.clone(),
        previous_identity: cluster.identity.clone(),
        previous_key: cluster.key.clone(),
    };
    if let Some(i) = &new_identity {
        cluster.identity = i.clone();
    }
    if let Some(k) = &key_change {
        cluster.key = k.clone();
    }
    let (id, location, sub) = (
        cluster.id.clone(),
        cluster.location,
        cluster.subscription.clone(),
    );
    let range = if key_change.is_some() {
        limits::CLUSTER_KEY_UPDATE
    } else {
        limits::CLUSTER_IDENTITY_UPDATE
    };
    let delay = cx.w.rng.between(range.0, range.1);
    let what = match (&key_change, &new_identity) {
        (Some(Some(k)), _) => format!(
            "Key identifier update to {}/keys/{} ({})",
            k.vault_uri,
            k.key_name,
            if k.auto_rotation() {
                "auto-rotation: latest version".to_string()
            } else {
                format!("pinned version {}", k.key_version)
            }
        ),
        (Some(None), _) => "Key identifier cleared".to_string(),
        (None, Some(i)) => format!("Identity change to {}", i.kind()),
        (None, None) => unreachable!("checked above"),
    };
    let op = lro::start(
        cx,
        OpKind::ClusterUpdate {
            cluster: key.to_string(),
            change: Box::new(change),
        },
        &sub,
        location,
        &id,
        version,
        delay,
    );
    cx.w.clusters.get_mut(key).expect("exists").state = ClusterState::Updating(op.clone());
    cx.j.note(now, Category::Resource, &id, what);
    if new_identity == Some(ClusterIdentity::None) {
        cx.j.alert(
            now,
            Category::Data,
            &id,
            "Identity set to None: access to your data will be revoked, and this can't be reverted without contacting support",
        );
    }
    Ok(lro::accepted(cx, &op))
}

fn delete(cx: &mut Ctx, _req: &Request, scope: &[String], name: &str, version: &str) -> ApiResult {
    let (sub, rg) = group_scope(cx, scope)?;
    let key = id_key(&cluster_id(sub, &rg, name));
    let Some(c) = cx.w.clusters.get(&key).cloned() else {
        return Ok(Response::empty(204));
    };
    match &c.state {
        ClusterState::Deleting(op) => return Ok(lro::accepted(cx, op)),
        s if s.operation().is_some() => {
            return Err(ApiError::new(&errors::CLUSTER_DELETE_WHILE_PROVISIONING));
        }
        _ => {}
    }
    // Deleting the cluster unlinks its workspaces: not for Sentinel CMK workspaces.
    sentinel::check_cluster_change(cx.w, &key, sentinel::ClusterChange::Delete)?;
    if workspace::attached_to(cx.w, &key).next().is_none() {
        remove(cx, &key);
        return Ok(Response::empty(200));
    }
    let delay =
        cx.w.rng
            .between(limits::CLUSTER_DELETE.0, limits::CLUSTER_DELETE.1);
    let op = lro::start(
        cx,
        OpKind::ClusterDelete {
            cluster: key.clone(),
        },
        sub,
        c.location,
        &c.id,
        version,
        delay,
    );
    cx.w.clusters.get_mut(&key).expect("exists").state = ClusterState::Deleting(op.clone());
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &c.id,
        format!("Cluster {name} deleting: linked workspaces will be unlinked"),
    );
    Ok(lro::accepted(cx, &op))
}

/// Removes a cluster at once: unlinks its workspaces, reserves its name for 14 days, and retires
/// its system-assigned identity.
pub fn remove(cx: &mut Ctx, key: &str) {
    let Some(c) = cx.w.clusters.remove(key) else {
        return;
    };
    if let Some(op) = c.state.operation() {
        if !matches!(
            cx.w.operations.get(op).map(|o| &o.kind),
            Some(OpKind::ClusterDelete { .. })
        ) {
            lro::cancel(cx, op);
        }
    }
    workspace::detach_all(cx, key);
    storage::remove_cluster(cx, key);
    if let ClusterIdentity::SystemAssigned { principal_id } = &c.identity {
        cx.w.directory.remove(principal_id);
    }
    let now = cx.w.now;
    cx.w.cluster_tombstones.push(ClusterTombstone {
        subscription: c.subscription.clone(),
        name: c.name.to_ascii_lowercase(),
        deleted: now,
    });
    cx.j.note(
        now,
        Category::Resource,
        &c.id,
        format!(
            "Cluster {} deleted; its name is reserved until {}",
            c.name,
            clock::human(now + limits::CLUSTER_NAME_RESERVATION)
        ),
    );
}

/// A cluster operation's scheduled end.
pub fn complete(cx: &mut Ctx, op: &AsyncOp) {
    match &op.kind {
        OpKind::ClusterCreate { cluster } => {
            let Some(c) = cx.w.clusters.get_mut(cluster) else {
                return lro::finish(cx, &op.id, Ok(()));
            };
            c.state = ClusterState::Succeeded;
            c.modified = cx.w.now;
            let text = format!(
                "Cluster {} provisioned: ready for the key identifier and workspace links",
                c.name
            );
            let (id, key) = (c.id.clone(), c.key.clone());
            cx.j.note(cx.w.now, Category::Resource, &id, text);
            // A user-assigned identity may bring its key at creation: storage starts with it.
            let outcome = match key {
                None => {
                    storage::provision_cluster(cx, cluster);
                    Ok(())
                }
                Some(k) => adopt(cx, cluster, &k).inspect_err(|_| {
                    storage::provision_cluster(cx, cluster);
                    if let Some(c) = cx.w.clusters.get_mut(cluster) {
                        c.key = None;
                    }
                }),
            };
            lro::finish(cx, &op.id, outcome);
        }
        OpKind::ClusterUpdate { cluster, change } => {
            let outcome = finish_update(cx, cluster, change);
            if let Some(c) = cx.w.clusters.get_mut(cluster) {
                c.state = ClusterState::Succeeded;
                c.modified = cx.w.now;
            }
            lro::finish(cx, &op.id, outcome);
        }
        OpKind::ClusterDelete { cluster } => {
            remove(cx, cluster);
            lro::finish(cx, &op.id, Ok(()));
        }
        _ => {}
    }
}

/// The cluster's storage adopts an accepted change: the key is validated again with the identity
/// in force now (permissions may have changed while the operation ran).
fn finish_update(cx: &mut Ctx, key: &str, change: &ClusterChange) -> Result<(), ApiError> {
    let Some(c) = cx.w.clusters.get(key).cloned() else {
        return Ok(());
    };
    if let Some(identity) = &change.identity {
        if let ClusterIdentity::SystemAssigned { principal_id } = &change.previous_identity {
            if identity.principal_id() != Some(principal_id) {
                cx.w.directory.remove(principal_id);
            }
        }
        if *identity == ClusterIdentity::None {
            cx.j.alert(
                cx.w.now,
                Category::Data,
                &c.id,
                "Cluster identity is None: its storage can no longer reach Key Vault",
            );
        }
    }
    match &change.key {
        None => Ok(()),
        Some(None) => {
            cx.w.clusters.get_mut(key).expect("exists").storage_key = None;
            // MMK protection cannot fail.
            let _ = storage::adopt_key(cx, key, None);
            cx.j.note(
                cx.w.now,
                Category::KeyVault,
                &c.id,
                "Key identifier cleared: new data is protected by Microsoft-managed keys",
            );
            Ok(())
        }
        Some(Some(k)) => adopt(cx, key, k).inspect_err(|_| {
            cx.w.clusters.get_mut(key).expect("exists").key = change.previous_key.clone();
        }),
    }
}

/// The cluster's storage takes a key identifier: validated with the identity in force now, then
/// the AEK is wrapped with the KEK through Key Vault (see `storage::adopt_key`).
fn adopt(cx: &mut Ctx, key: &str, k: &KeyVaultProperties) -> Result<(), ApiError> {
    let c = cx.w.clusters[key].clone();
    let principal = c.principal(cx.w);
    let version = rules::validate_key(cx, &c.id, c.location, principal.as_ref(), k)?;
    if let Err(why) = storage::adopt_key(cx, key, Some((k, version.clone()))) {
        cx.j.alert(
            cx.w.now,
            Category::KeyVault,
            &c.id,
            format!("Wrapping the account key failed: {why}"),
        );
        return Err(ApiError::new(&errors::KEY_VALIDATION_FAILED));
    }
    cx.w.clusters.get_mut(key).expect("exists").storage_key = Some(k.clone());
    sentinel::note_ineffective(cx, key);
    let text = format!(
        "Cluster storage now protects its account key with {}/keys/{} version {version}{}",
        k.vault_uri,
        k.key_name,
        if k.auto_rotation() {
            " (auto-rotation)"
        } else {
            ""
        }
    );
    cx.j.note(cx.w.now, Category::KeyVault, &c.id, text);
    Ok(())
}

/// Days left before a capacity decrease is allowed (0 when allowed).
pub fn capacity_lock_days_left(c: &Cluster, now: u64) -> u64 {
    (c.last_sku_update + limits::CAPACITY_LOCK)
        .saturating_sub(now)
        .div_ceil(DAY)
}

/// The catalogue region of a cluster (always present: regions are validated on create).
pub fn region(c: &Cluster) -> &'static super::world::Region {
    find_region(c.location).expect("stored regions are in the catalogue")
}
