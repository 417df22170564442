//! Log search alert rules, `Microsoft.Insights/scheduledQueryRules` (stable 2023-12-01 and the
//! previews the reference lists): create, read, update, delete, list by resource group and by
//! subscription. `checkWorkspaceAlertsStorageConfigured` "specifies whether to check linked
//! storage and fail creation if the storage was not found"; the response's read-only
//! `isWorkspaceAlertsStorageConfigured` says whether the workspace has an `Alerts` linked storage
//! account (where the alert query would be kept, under that account's key). Until linked
//! storage accounts exist in the playground, no workspace has one.
//!
//! Evaluation on the virtual clock and the fired alerts are `fired_alerts.rs`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Ctx;
use super::arm::{
    ApiResult, api_version, group_scope, id_key, location, method_not_allowed, resource_id,
};
use super::clock;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response};
use super::journal::Category;

/// api-versions accepted by `Microsoft.Insights/scheduledQueryRules`.
pub const API: &[&str] = &[
    "2025-01-01-preview",
    "2024-01-01-preview",
    "2023-12-01",
    "2023-03-15-preview",
];

pub const TYPE: &str = "Microsoft.Insights/scheduledQueryRules";

/// One rule, as ARM keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    pub id: String,
    pub name: String,
    pub location: &'static str,
    pub kind: String,
    pub tags: Value,
    /// The properties as sent (validated), without the read-only ones.
    pub properties: Map<String, Value>,
    pub created_with: String,
    pub created: u64,
    pub modified: u64,
}

/// Every rule, by its id in lower case.
pub type AlertRules = BTreeMap<String, AlertRule>;

impl AlertRule {
    fn to_json(&self, storage_configured: bool) -> Value {
        let mut props = Value::Object(self.properties.clone());
        props["isWorkspaceAlertsStorageConfigured"] = json!(storage_configured);
        props["createdWithApiVersion"] = json!(self.created_with);
        json!({
            "id": self.id,
            "name": self.name,
            "type": TYPE,
            "location": self.location,
            "kind": self.kind,
            "tags": self.tags,
            "properties": props,
            "systemData": {
                "createdAt": clock::iso(self.created),
                "lastModifiedAt": clock::iso(self.modified),
            },
        })
    }
}

/// `rest` starts at `scheduledQueryRules`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let version = api_version(req, API)?;
    match rest {
        [_] => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = crate::engine::arm::list_prefix(cx, scope)?;
            let value: Vec<Value> =
                cx.w.alert_rules
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, r)| r.to_json(storage_configured(cx, r)))
                    .collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        [_, name] => {
            let (sub, rg) = group_scope(cx, scope)?;
            let id = resource_id(sub, &rg, TYPE, name);
            let key = id_key(&id);
            match req.method {
                Method::Put => {
                    let existing = cx.w.alert_rules.get(&key).cloned();
                    put(cx, req, &id, name, &version, existing)
                }
                Method::Patch => {
                    let existing =
                        cx.w.alert_rules
                            .get(&key)
                            .cloned()
                            .ok_or_else(|| missing(name, &rg))?;
                    put(cx, req, &id, name, &version, Some(existing))
                }
                Method::Get => {
                    cx.w.alert_rules
                        .get(&key)
                        .map(|r| Response::ok(r.to_json(storage_configured(cx, r))))
                        .ok_or_else(|| missing(name, &rg))
                }
                Method::Delete => {
                    if let Some(r) = cx.w.alert_rules.remove(&key) {
                        cx.j.note(
                            cx.w.now,
                            Category::Resource,
                            &r.id,
                            format!("Log search alert rule {} deleted", r.name),
                        );
                        Ok(Response::empty(200))
                    } else {
                        Ok(Response::empty(204))
                    }
                }
                _ => Err(method_not_allowed(req)),
            }
        }
        _ => Err(super::arm::unknown_type(req, "Microsoft.Insights", rest)),
    }
}

fn missing(name: &str, rg: &str) -> ApiError {
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg("type", TYPE)
        .arg("name", name)
        .arg("group", rg)
}

/// Whether the rule's workspace has an `Alerts` linked storage account (none can yet).
pub fn storage_configured(_cx: &Ctx, _rule: &AlertRule) -> bool {
    false
}

/// The rule's queries (`criteria.allOf[].query`), the one way evaluation reads them: with an
/// `Alerts` link they are kept in the linked storage account, so reading them can fail.
pub fn rule_queries(_cx: &mut Ctx, rule: &AlertRule) -> Result<Vec<String>, ApiError> {
    Ok(rule
        .properties
        .get("criteria")
        .and_then(|c| c.get("allOf"))
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .filter_map(|c| c["query"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(&errors::ALERT_RULE_INVALID).arg("detail", detail.into())
}

/// PUT (or PATCH onto `existing`): validated as a whole before anything changes.
fn put(
    cx: &mut Ctx,
    req: &Request,
    id: &str,
    name: &str,
    version: &str,
    existing: Option<AlertRule>,
) -> ApiResult {
    let body = match req.json() {
        Ok(Some(Value::Object(m))) => m,
        Ok(_) => return Err(bad("The request body must be a JSON object.")),
        Err(detail) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail));
        }
    };
    // PATCH merges the sent properties into the rule's; PUT replaces them.
    let mut props = match (&existing, req.method) {
        (Some(r), Method::Patch) => r.properties.clone(),
        _ => Map::new(),
    };
    if let Some(p) = body.get("properties") {
        let Value::Object(p) = p else {
            return Err(bad("properties must be an object."));
        };
        for (k, v) in p {
            if !matches!(
                k.as_str(),
                "isWorkspaceAlertsStorageConfigured" | "createdWithApiVersion"
            ) {
                props.insert(k.clone(), v.clone());
            }
        }
    }
    let region = match &existing {
        Some(r) if req.method == Method::Patch => {
            super::world::find_region(r.location).expect("a rule's region exists")
        }
        _ => location(&body, TYPE)?,
    };
    let scopes: Vec<String> = props
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if scopes.is_empty() {
        return Err(bad(
            "properties.scopes must name the resource the rule queries (a Log Analytics workspace).",
        ));
    }
    let workspace = scopes
        .iter()
        .find_map(|s| {
            cx.w.workspaces
                .get(&id_key(s))
                .filter(|w| w.deleted.is_none())
        })
        .ok_or_else(|| {
            bad(format!(
                "The scope '{}' is not a Log Analytics workspace that exists.",
                scopes[0]
            ))
        })?;
    let ws_name = workspace.name.clone();
    let query = props["criteria"]["allOf"][0]["query"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if query.trim().is_empty() {
        return Err(bad("properties.criteria.allOf[0].query is required."));
    }
    if let Err(e) = super::query::parser::parse(&query) {
        return Err(bad(format!("The query is not valid: {e}")));
    }
    for field in ["evaluationFrequency", "windowSize"] {
        match props.get(field).and_then(Value::as_str) {
            Some(d) if clock::parse_duration(d).is_some_and(|s| s > 0) => {}
            Some(d) => {
                return Err(bad(format!(
                    "properties.{field} '{d}' is not an ISO 8601 duration."
                )));
            }
            None => return Err(bad(format!("properties.{field} is required."))),
        }
    }
    match props.get("severity").map(Value::as_i64) {
        None | Some(Some(0..=4)) => {}
        _ => return Err(bad("properties.severity must be 0, 1, 2, 3 or 4.")),
    }
    let check = props
        .get("checkWorkspaceAlertsStorageConfigured")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let now = cx.w.now;
    let candidate = AlertRule {
        id: id.to_string(),
        name: existing
            .as_ref()
            .map_or_else(|| name.to_string(), |r| r.name.clone()),
        location: region.name,
        kind: body
            .get("kind")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| existing.as_ref().map(|r| r.kind.clone()))
            .unwrap_or_else(|| "LogAlert".into()),
        tags: body
            .get("tags")
            .cloned()
            .or_else(|| existing.as_ref().map(|r| r.tags.clone()))
            .unwrap_or_else(|| json!({})),
        properties: props,
        created_with: existing
            .as_ref()
            .map_or_else(|| version.to_string(), |r| r.created_with.clone()),
        created: existing.as_ref().map_or(now, |r| r.created),
        modified: now,
    };
    if check && !storage_configured(cx, &candidate) {
        return Err(ApiError::new(&errors::ALERTS_STORAGE_NOT_CONFIGURED).arg("workspace", ws_name));
    }
    let created = existing.is_none();
    cx.j.note(
        now,
        Category::Resource,
        id,
        format!(
            "Log search alert rule {} {} on workspace {ws_name} (its query is kept by Azure Monitor under a Microsoft-managed key: no Alerts linked storage account)",
            candidate.name,
            if created { "created" } else { "updated" }
        ),
    );
    let out = candidate.to_json(false);
    cx.w.alert_rules.insert(id_key(id), candidate);
    Ok(Response::json(if created { 201 } else { 200 }, out))
}
