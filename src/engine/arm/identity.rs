//! Managed identities: user-assigned identities (`Microsoft.ManagedIdentity`) and the service
//! principals that back every managed identity in the directory.

use crate::engine::api_versions::MANAGED_IDENTITY_API;
use serde_json::{Value, json};

use super::{
    ApiResult, api_version, body_object, group_scope, id_key, method_not_allowed, resource_id,
    tags, writable_group_scope,
};
use crate::engine::Ctx;
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response, seg_is};
use crate::engine::journal::Category;
use crate::engine::world::{Principal, PrincipalKind, TENANT_ID};

#[derive(Clone, Debug, PartialEq)]
pub struct UserIdentity {
    pub id: String,
    pub name: String,
    pub location: &'static str,
    pub principal_id: String,
    pub client_id: String,
    pub tags: Value,
}

impl UserIdentity {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "location": self.location,
            "tags": self.tags,
            "properties": { "tenantId": TENANT_ID, "principalId": self.principal_id, "clientId": self.client_id },
        })
    }
}

/// Registers a managed identity's service principal; returns (principalId, clientId).
pub fn new_service_principal(
    cx: &mut Ctx,
    display_name: &str,
    resource_id: &str,
) -> (String, String) {
    let principal_id = cx.w.rng.guid();
    let client_id = cx.w.rng.guid();
    cx.w.directory.add(Principal {
        object_id: principal_id.clone(),
        app_id: client_id.clone(),
        display_name: display_name.to_string(),
        kind: PrincipalKind::ManagedIdentity(resource_id.to_string()),
    });
    (principal_id, client_id)
}

fn valid_name(name: &str) -> bool {
    let len = name.chars().count();
    (3..=128).contains(&len)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities[/{name}]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    api_version(req, MANAGED_IDENTITY_API)?;
    match rest {
        [t] if seg_is(Some(t), "userassignedidentities") => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = format!("{}/", id_key(&format!("/{}", scope.join("/"))));
            if scope.len() == 2 {
                super::subscription_scope(cx, scope)?;
            } else {
                group_scope(cx, scope)?;
            }
            let value: Vec<Value> =
                cx.w.identities
                    .values()
                    .filter(|i| id_key(&i.id).starts_with(&prefix))
                    .map(UserIdentity::to_json)
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [t, name] if seg_is(Some(t), "userassignedidentities") => match req.method {
            Method::Put => put(cx, req, scope, name),
            Method::Get => {
                let (sub, rg) = group_scope(cx, scope)?;
                let id = resource_id(
                    sub,
                    &rg,
                    "Microsoft.ManagedIdentity/userAssignedIdentities",
                    name,
                );
                cx.w.identities
                    .get(&id_key(&id))
                    .map(|i| Response::ok(i.to_json()))
                    .ok_or_else(|| not_found(name, &rg))
            }
            Method::Delete => {
                let (sub, rg) = group_scope(cx, scope)?;
                let id = resource_id(
                    sub,
                    &rg,
                    "Microsoft.ManagedIdentity/userAssignedIdentities",
                    name,
                );
                if cx.w.identities.contains_key(&id_key(&id)) {
                    remove(cx, &id_key(&id));
                    Ok(Response::empty(200))
                } else {
                    Ok(Response::empty(204))
                }
            }
            _ => Err(method_not_allowed(req)),
        },
        _ => Err(super::unknown_type(req, "Microsoft.ManagedIdentity", rest)),
    }
}

fn not_found(name: &str, rg: &str) -> ApiError {
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", "Microsoft.ManagedIdentity/userAssignedIdentities")
        .arg("name", name)
        .arg("group", rg)
}

fn put(cx: &mut Ctx, req: &Request, scope: &[String], name: &str) -> ApiResult {
    let (sub, rg) = writable_group_scope(cx, scope)?;
    if !valid_name(name) {
        return Err(ApiError::new(&errors::IDENTITY_NAME_INVALID).arg("name", name));
    }
    let body = body_object(req)?;
    let region = super::location(&body, "Microsoft.ManagedIdentity/userAssignedIdentities")?;
    let tags = tags(&body)?;
    let id = resource_id(
        sub,
        &rg,
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        name,
    );
    if let Some(existing) = cx.w.identities.get_mut(&id_key(&id)) {
        if existing.location != region.name {
            return Err(ApiError::new(&errors::LOCATION_CANNOT_CHANGE)
                .arg("name", existing.name.clone())
                .arg("location", existing.location));
        }
        if let Some(t) = tags {
            existing.tags = t;
        }
        return Ok(Response::ok(existing.to_json()));
    }
    let (principal_id, client_id) = new_service_principal(cx, name, &id);
    let identity = UserIdentity {
        id: id.clone(),
        name: name.to_string(),
        location: region.name,
        principal_id,
        client_id,
        tags: tags.unwrap_or_else(|| json!({})),
    };
    let body = identity.to_json();
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &id,
        format!(
            "User-assigned identity {name} created (principal {})",
            identity.principal_id
        ),
    );
    cx.w.identities.insert(id_key(&id), identity);
    Ok(Response::json(201, body))
}

/// Deletes an identity and its service principal. Access policies and role assignments naming it
/// stay behind, as they do in Azure, pointing at an object that no longer exists.
pub fn remove(cx: &mut Ctx, key: &str) {
    if let Some(i) = cx.w.identities.remove(key) {
        cx.w.directory.remove(&i.principal_id);
        cx.j.note(
            cx.w.now,
            Category::Resource,
            &i.id,
            format!("User-assigned identity {} deleted", i.name),
        );
    }
}
