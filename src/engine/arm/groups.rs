//! Subscriptions, resource groups and resource-provider registration.

use serde_json::{Value, json};

use super::lro::{self, OpKind};
use super::{ApiResult, api_version, body_object, id_key, method_not_allowed, subscription, tags};
use crate::engine::clock::{self, Event};
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response, seg_is};
use crate::engine::journal::Category;
use crate::engine::limits;
use crate::engine::world::{SUBSCRIPTIONS, TENANT_ID, World};
use crate::engine::{Ctx, cluster, keyvault, workspace};

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceGroup {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub location: &'static str,
    pub tags: Value,
    /// Set while a DELETE is in flight: the group refuses writes (ResourceGroupBeingDeleted).
    pub deleting: bool,
}

impl ResourceGroup {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
            "tags": self.tags,
            "properties": { "provisioningState": if self.deleting { "Deleting" } else { "Succeeded" } },
        })
    }
}

pub fn group_key(sub: &str, rg: &str) -> String {
    id_key(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
}

/// Resource providers the playground knows, and whether a new subscription has them registered.
const PROVIDERS: [(&str, bool); 8] = [
    ("Microsoft.OperationalInsights", true),
    ("Microsoft.KeyVault", true),
    ("Microsoft.ManagedIdentity", true),
    ("Microsoft.Authorization", true),
    ("Microsoft.Resources", true),
    ("Microsoft.Insights", true),
    ("Microsoft.DocumentDB", false),
    ("Microsoft.SecurityInsights", false),
];

/// `/subscriptions[...]` paths without a provider segment.
pub fn route(cx: &mut Ctx, req: &Request) -> ApiResult {
    let segs = &req.segments;
    api_version(req, super::RESOURCES_API)?;
    match segs.len() {
        1 => match req.method {
            Method::Get => {
                // The subscriptions the caller holds any role in, as ARM lists them.
                let value: Vec<Value> = SUBSCRIPTIONS
                    .iter()
                    .filter(|(id, _)| {
                        super::authorization::caller_may(
                            cx,
                            &format!("/subscriptions/{id}"),
                            "Microsoft.Resources/subscriptions/read",
                        )
                    })
                    .map(|(id, name)| subscription_json(id, name))
                    .collect();
                let count = value.len();
                Ok(Response::ok(json!({
                    "value": value,
                    "count": { "type": "Total", "value": count },
                })))
            }
            _ => Err(method_not_allowed(req)),
        },
        2 => {
            let sub = subscription(cx, &segs[1])?;
            match req.method {
                Method::Get => {
                    let name = cx.w.subscription(sub).map(|(_, n)| n).unwrap_or_default();
                    Ok(Response::ok(subscription_json(sub, name)))
                }
                _ => Err(method_not_allowed(req)),
            }
        }
        3 if seg_is(segs.get(2), "resourcegroups") => {
            let sub = subscription(cx, &segs[1])?;
            match req.method {
                Method::Get => {
                    let value: Vec<Value> =
                        cx.w.groups
                            .values()
                            .filter(|g| g.subscription == sub)
                            .map(ResourceGroup::to_json)
                            .collect();
                    Ok(Response::ok(json!({ "value": value })))
                }
                _ => Err(method_not_allowed(req)),
            }
        }
        4 if seg_is(segs.get(2), "resourcegroups") => {
            let sub = subscription(cx, &segs[1])?;
            let name = &segs[3];
            match req.method {
                Method::Put => put_group(cx, req, sub, name),
                Method::Get | Method::Head => {
                    let g = cx.w.groups.get(&group_key(sub, name)).ok_or_else(|| {
                        ApiError::new(&errors::RESOURCE_GROUP_NOT_FOUND).arg("group", name.as_str())
                    })?;
                    Ok(Response::ok(g.to_json()))
                }
                Method::Delete => delete_group(cx, req, sub, name),
                _ => Err(method_not_allowed(req)),
            }
        }
        4 if seg_is(segs.get(2), "operationresults") => {
            let sub = subscription(cx, &segs[1])?;
            lro::results(cx, req, sub, &segs[3])
        }
        _ => Err(ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE).arg("namespace", req.path())),
    }
}

fn subscription_json(id: &str, name: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{id}"),
        "authorizationSource": "RoleBased",
        "subscriptionId": id,
        "tenantId": TENANT_ID,
        "displayName": name,
        "state": "Enabled",
        "subscriptionPolicies": { "locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off" },
    })
}

fn valid_group_name(name: &str) -> Result<(), String> {
    let bad: String = name
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')')))
        .collect();
    if !bad.is_empty() {
        return Err(bad);
    }
    if name.is_empty() || name.chars().count() > 90 || name.ends_with('.') {
        return Err(if name.ends_with('.') {
            ".".into()
        } else {
            String::new()
        });
    }
    Ok(())
}

fn put_group(cx: &mut Ctx, req: &Request, sub: &str, name: &str) -> ApiResult {
    if let Err(chars) = valid_group_name(name) {
        return Err(ApiError::new(&errors::RESOURCE_GROUP_NAME_INVALID)
            .arg("group", name)
            .arg("chars", chars));
    }
    let body = body_object(req)?;
    let region = super::location(&body, "resourceGroups")?;
    let tags = tags(&body)?;
    let key = group_key(sub, name);
    if let Some(existing) = cx.w.groups.get_mut(&key) {
        if existing.deleting {
            return Err(ApiError::new(&errors::RESOURCE_GROUP_BEING_DELETED)
                .arg("group", existing.name.clone()));
        }
        if existing.location != region.name {
            return Err(ApiError::new(&errors::INVALID_RESOURCE_GROUP_LOCATION)
                .arg("requested", region.name)
                .arg("existing", existing.location));
        }
        if let Some(t) = tags {
            existing.tags = t;
        }
        return Ok(Response::ok(existing.to_json()));
    }
    let g = ResourceGroup {
        id: format!("/subscriptions/{sub}/resourceGroups/{name}"),
        name: name.to_string(),
        subscription: sub.to_string(),
        location: region.name,
        tags: tags.unwrap_or_else(|| json!({})),
        deleting: false,
    };
    let body = g.to_json();
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &g.id,
        format!("Resource group {name} created in {}", region.display),
    );
    cx.w.groups.insert(key, g);
    Ok(Response::json(201, body))
}

fn delete_group(cx: &mut Ctx, req: &Request, sub: &str, name: &str) -> ApiResult {
    let key = group_key(sub, name);
    let Some(g) = cx.w.groups.get_mut(&key) else {
        return Err(ApiError::new(&errors::RESOURCE_GROUP_NOT_FOUND).arg("group", name));
    };
    g.deleting = true;
    let id = g.id.clone();
    let version = req.api_version().unwrap_or("2021-04-01").to_string();
    let delay = cx.w.rng.between(clock::MINUTE, 3 * clock::MINUTE);
    let op = lro::start(
        cx,
        OpKind::GroupDelete { group: key },
        sub,
        "global",
        &id,
        &version,
        delay,
    );
    let location = cx.w.operations[&op.to_ascii_lowercase()].result_url();
    Ok(Response::empty(202)
        .with_header("Location", location)
        .with_header("Retry-After", "15"))
}

/// The resource group's deletion finishes: everything inside it goes, each kind the way its own
/// DELETE would (vaults soft-deleted, clusters tombstoned, workspaces soft-deleted).
pub fn finish_delete(cx: &mut Ctx, key: &str) {
    let Some(g) = cx.w.groups.get(key).cloned() else {
        return;
    };
    let prefix = format!("{key}/");
    let inside = |id: &str| id_key(id).starts_with(&prefix);
    let cluster_ids: Vec<String> =
        cx.w.clusters
            .values()
            .filter(|c| inside(&c.id))
            .map(|c| id_key(&c.id))
            .collect();
    for id in cluster_ids {
        cluster::remove(cx, &id);
    }
    let ws_ids: Vec<String> =
        cx.w.workspaces
            .values()
            .filter(|w| inside(&w.id))
            .map(|w| id_key(&w.id))
            .collect();
    for id in ws_ids {
        workspace::soft_delete(cx, &id);
    }
    let vault_names: Vec<String> =
        cx.w.vaults
            .values()
            .filter(|v| inside(&v.id))
            .map(|v| v.name.to_ascii_lowercase())
            .collect();
    for name in vault_names {
        keyvault::vaults::remove(cx, &name);
    }
    let identity_ids: Vec<String> =
        cx.w.identities
            .values()
            .filter(|i| inside(&i.id))
            .map(|i| id_key(&i.id))
            .collect();
    for id in identity_ids {
        super::identity::remove(cx, &id);
    }
    cx.w.role_assignments
        .retain(|a| !(id_key(&a.scope) == key || id_key(&a.scope).starts_with(&prefix)));
    cx.w.groups.remove(key);
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &g.id,
        format!("Resource group {} deleted with everything in it", g.name),
    );
}

/// A provider's registration state in a subscription, in ARM's words (`Registered`,
/// `Registering`, `Unregistering`, `NotRegistered`). `World::registrations` holds the lower-cased
/// state of every provider a request has registered or unregistered; others have their default.
pub fn registration_state(w: &World, sub: &str, namespace: &str) -> &'static str {
    let default = PROVIDERS
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(namespace))
        .is_some_and(|(_, d)| *d);
    match w
        .registrations
        .get(&registration_key(sub, namespace))
        .map(String::as_str)
    {
        Some("registered") => "Registered",
        Some("registering") => "Registering",
        Some("unregistering") => "Unregistering",
        Some(_) => "NotRegistered",
        None if default => "Registered",
        None => "NotRegistered",
    }
}

/// The providers a new subscription does not have registered (the page shows their state).
pub fn optional_providers() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().filter(|(_, d)| !d).map(|(p, _)| *p)
}

fn registration_key(sub: &str, namespace: &str) -> String {
    format!("{sub}/{namespace}").to_ascii_lowercase()
}

/// ARM's provider resource. Microsoft.Resources and Microsoft.Authorization need no registration.
fn provider_json(sub: &str, namespace: &str, state: &str) -> Value {
    let policy = if matches!(namespace, "Microsoft.Resources" | "Microsoft.Authorization") {
        "RegistrationFree"
    } else {
        "RegistrationRequired"
    };
    json!({
        "id": format!("/subscriptions/{sub}/providers/{namespace}"),
        "namespace": namespace,
        "registrationPolicy": policy,
        "registrationState": state,
        "resourceTypes": [],
    })
}

/// `GET /subscriptions/{s}/providers[/{ns}]` and `POST .../providers/{ns}/register|unregister`.
/// Registering (or unregistering) takes a few minutes on the virtual clock: the answer says
/// `Registering` (`Unregistering`) and an [`Event::ProviderRegistration`] finishes it.
pub fn providers(
    cx: &mut Ctx,
    req: &Request,
    scope: &[String],
    namespace: Option<&String>,
    rest: &[String],
) -> ApiResult {
    api_version(req, super::RESOURCES_API)?;
    let sub = super::subscription_scope(cx, scope)?;
    let Some(ns) = namespace else {
        if req.method != Method::Get {
            return Err(method_not_allowed(req));
        }
        let value: Vec<Value> = PROVIDERS
            .iter()
            .map(|(ns, _)| provider_json(sub, ns, registration_state(cx.w, sub, ns)))
            .collect();
        return Ok(Response::ok(json!({ "value": value })));
    };
    let Some(&(canonical, _)) = PROVIDERS.iter().find(|(p, _)| p.eq_ignore_ascii_case(ns)) else {
        return Err(
            ApiError::new(&errors::INVALID_RESOURCE_NAMESPACE).arg("namespace", ns.as_str())
        );
    };
    let current = registration_state(cx.w, sub, canonical);
    match (
        req.method,
        rest.first().map(|s| s.to_ascii_lowercase()).as_deref(),
    ) {
        (Method::Get, None) => Ok(Response::ok(provider_json(sub, canonical, current))),
        (Method::Post, Some(action @ ("register" | "unregister"))) => {
            let (settled, moving) = if action == "register" {
                ("Registered", "Registering")
            } else {
                ("NotRegistered", "Unregistering")
            };
            if current == settled || current == moving {
                return Ok(Response::ok(provider_json(sub, canonical, current)));
            }
            // A registration still under way in the other direction is overtaken by this one.
            let (s, n) = (sub.to_string(), canonical.to_string());
            cx.w.events.retain(|e| {
                !matches!(e, Event::ProviderRegistration { subscription, namespace }
                    if *subscription == s && *namespace == n)
            });
            cx.w.registrations.insert(
                registration_key(sub, canonical),
                moving.to_ascii_lowercase(),
            );
            let (lo, hi) = limits::PROVIDER_REGISTRATION;
            let at = cx.w.now.saturating_add(cx.w.rng.between(lo, hi));
            cx.w.events.schedule(
                at,
                Event::ProviderRegistration {
                    subscription: sub.to_string(),
                    namespace: canonical.to_string(),
                },
            );
            cx.j.note(
                cx.w.now,
                Category::Resource,
                &format!("/subscriptions/{sub}/providers/{canonical}"),
                format!(
                    "{canonical} {moving} in subscription {}",
                    subscription_name(sub)
                ),
            );
            Ok(Response::ok(provider_json(sub, canonical, moving)))
        }
        _ => Err(method_not_allowed(req)),
    }
}

fn subscription_name(sub: &str) -> &'static str {
    SUBSCRIPTIONS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(sub))
        .map_or("?", |(_, name)| *name)
}

/// [`Event::ProviderRegistration`]: a registration (or unregistration) under way completes.
pub fn finish_registration(cx: &mut Ctx, sub: &str, namespace: &str) {
    let done = match registration_state(cx.w, sub, namespace) {
        "Registering" => "Registered",
        "Unregistering" => "NotRegistered",
        _ => return,
    };
    let value = if done == "Registered" {
        "registered"
    } else {
        "unregistered"
    };
    cx.w.registrations
        .insert(registration_key(sub, namespace), value.into());
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &format!("/subscriptions/{sub}/providers/{namespace}"),
        format!(
            "{namespace} {done} in subscription {}",
            subscription_name(sub)
        ),
    );
}

/// Whether a resource provider is registered in a subscription.
pub fn is_registered(cx: &Ctx, sub: &str, namespace: &str) -> bool {
    registration_state(cx.w, sub, namespace) == "Registered"
}

/// ARM's refusal of a request to a provider the subscription is not registered for (while it is
/// still `Registering` too). `namespace` is echoed as the request spelled it, as ARM does.
pub fn require_registered(cx: &Ctx, subscription: &str, namespace: &str) -> Result<(), ApiError> {
    if is_registered(cx, subscription, namespace) {
        return Ok(());
    }
    Err(ApiError::new(&errors::MISSING_SUBSCRIPTION_REGISTRATION).arg("namespace", namespace))
}
