//! Log search alert rules, `Microsoft.Insights/scheduledQueryRules` (stable 2023-12-01 and the
//! previews the reference lists): create, read, update, delete, list by resource group and by
//! subscription. `checkWorkspaceAlertsStorageConfigured` "specifies whether to check linked
//! storage and fail creation if the storage was not found"; the response's read-only
//! `isWorkspaceAlertsStorageConfigured` says whether the workspace has an `Alerts` linked storage
//! account. With one, a rule created or updated keeps its queries as a blob in that account,
//! sealed under the account's key ("After the configuration, any new alert query will be saved
//! in your storage"), and reading the rule is exactly as possible as that key allows; rules
//! written before the link keep their queries in Azure Monitor. Every reader of a rule's queries
//! goes through [`rule_queries`].

use super::api_versions::SCHEDULED_QUERY_RULES_API;

use serde_json::{Map, Value, json};

use super::Ctx;
use super::arm::{
    ApiResult, api_version, group_scope, id_key, location, method_not_allowed, resource_id,
};
use super::clock;
use super::errors::{self, ApiError};
use super::http::{Method, Request, Response};
use super::journal::Category;
use super::storage_accounts;
use super::workspace::linked_storage::{self, ALERTS, Store};
use super::world::World;

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
    /// The storage account (lower-cased id) keeping the rule's queries, when they were written
    /// under an `Alerts` link: `properties` then holds the criteria without their queries.
    pub query_store: Option<String>,
}

/// Every rule, by its id in lower case (a persistent map: see `World`).
pub type AlertRules = imbl::OrdMap<String, AlertRule>;

impl AlertRule {
    /// The workspace (lower-cased id) the rule queries: the first scope that is one.
    pub fn workspace(&self, w: &World) -> Option<String> {
        self.properties
            .get("scopes")
            .and_then(Value::as_array)?
            .iter()
            .filter_map(Value::as_str)
            .map(id_key)
            .find(|k| w.workspaces.contains_key(k))
    }

    fn doc_id(&self) -> String {
        format!("alerts/{}", id_key(&self.id))
    }

    fn to_json(&self, storage_configured: bool, queries: &[String]) -> Value {
        let mut props = Value::Object(with_queries(&self.properties, queries));
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
    let version = api_version(req, SCHEDULED_QUERY_RULES_API)?;
    match rest {
        [_] => {
            if req.method != Method::Get {
                return Err(method_not_allowed(req));
            }
            let prefix = crate::engine::arm::list_prefix(cx, scope)?;
            let rules: Vec<AlertRule> =
                cx.w.alert_rules
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, r)| r.clone())
                    .collect();
            let mut value = Vec::with_capacity(rules.len());
            for r in &rules {
                value.push(r.to_json(storage_configured(cx, r), &rule_queries(cx, r)?));
            }
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
                    let r =
                        cx.w.alert_rules
                            .get(&key)
                            .cloned()
                            .ok_or_else(|| missing(name, &rg))?;
                    let queries = rule_queries(cx, &r)?;
                    Ok(Response::ok(
                        r.to_json(storage_configured(cx, &r), &queries),
                    ))
                }
                Method::Delete => {
                    if let Some(r) = cx.w.alert_rules.remove(&key) {
                        // The blob goes by name: deleting it needs no key.
                        if let Some(a) = &r.query_store {
                            storage_accounts::remove_document(cx.w, a, &r.doc_id());
                        }
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

/// Whether the rule's workspace has an `Alerts` linked storage account.
pub fn storage_configured(cx: &Ctx, rule: &AlertRule) -> bool {
    alerts_account(cx.w, rule).is_some()
}

fn alerts_account(w: &World, rule: &AlertRule) -> Option<String> {
    let ws = w.workspaces.get(&rule.workspace(w)?)?;
    linked_storage::account_for(ws, ALERTS)
}

const WHAT: &str = "Alert queries";

/// The queries of each of the rule's criteria, opened from wherever they are kept.
pub fn rule_queries(cx: &mut Ctx, rule: &AlertRule) -> Result<Vec<String>, ApiError> {
    match &rule.query_store {
        None => Ok(criteria(&rule.properties)
            .iter()
            .map(|c| c["query"].as_str().unwrap_or("").to_string())
            .collect()),
        Some(a) => {
            let v =
                storage_accounts::get_document(cx, a, &rule.doc_id(), WHAT)?.ok_or_else(|| {
                    storage_accounts::unreachable(cx.w, a, WHAT, "the rule's blob is missing")
                })?;
            Ok(v.as_array()
                .map(|q| {
                    q.iter()
                        .map(|s| s.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default())
        }
    }
}

fn criteria(props: &Map<String, Value>) -> Vec<Value> {
    props
        .get("criteria")
        .and_then(|c| c.get("allOf"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The properties with each criterion's query put in (`queries` in criteria order).
fn with_queries(props: &Map<String, Value>, queries: &[String]) -> Map<String, Value> {
    let mut p = props.clone();
    if let Some(all) = p
        .get_mut("criteria")
        .and_then(|c| c.get_mut("allOf"))
        .and_then(Value::as_array_mut)
    {
        for (c, q) in all.iter_mut().zip(queries) {
            c["query"] = json!(q);
        }
    }
    p
}

/// The properties without any criterion's query (what Azure Monitor keeps when the queries are
/// in the customer's storage account).
fn without_queries(props: &Map<String, Value>) -> Map<String, Value> {
    let mut p = props.clone();
    if let Some(all) = p
        .get_mut("criteria")
        .and_then(|c| c.get_mut("allOf"))
        .and_then(Value::as_array_mut)
    {
        for c in all.iter_mut() {
            if let Some(o) = c.as_object_mut() {
                o.remove("query");
            }
        }
    }
    p
}

/// Keeps the rule's queries in `to`: a blob sealed under the account's key, or back in Azure
/// Monitor's own copy of the rule.
fn keep_queries(
    cx: &mut Ctx,
    rule: &mut AlertRule,
    queries: &[String],
    to: &Store,
) -> Result<(), ApiError> {
    let doc = rule.doc_id();
    if let Some(old) = rule.query_store.take() {
        storage_accounts::remove_document(cx.w, &old, &doc);
    }
    match to {
        Store::Service => rule.properties = with_queries(&rule.properties, queries),
        Store::Account(a) => {
            storage_accounts::put_document(cx, a, &doc, &json!(queries), WHAT)?;
            rule.properties = without_queries(&rule.properties);
            rule.query_store = Some(a.clone());
        }
    }
    Ok(())
}

/// An `Alerts` link changed on workspace `ws` (lower-cased id): the queries kept in the old
/// account move to the new one, or back to Azure Monitor. Rules whose queries Azure Monitor
/// keeps stay as they are (only new alert queries go to the storage account). Returns how many
/// rules' queries moved.
pub fn move_queries(cx: &mut Ctx, ws: &str, from: &Store, to: &Store) -> Result<usize, ApiError> {
    let Store::Account(from) = from else {
        return Ok(0);
    };
    if from_eq(to, from) {
        return Ok(0);
    }
    if let Store::Account(a) = to {
        storage_accounts::check_reachable(cx, a, WHAT)?;
    }
    let keys: Vec<String> =
        cx.w.alert_rules
            .iter()
            .filter(|(_, r)| {
                r.query_store.as_deref() == Some(from.as_str())
                    && r.workspace(cx.w).as_deref() == Some(ws)
            })
            .map(|(k, _)| k.clone())
            .collect();
    for k in &keys {
        let mut rule = cx.w.alert_rules[k].clone();
        let queries = rule_queries(cx, &rule)?;
        keep_queries(cx, &mut rule, &queries, to)?;
        cx.w.alert_rules.insert(k.clone(), rule);
    }
    Ok(keys.len())
}

fn from_eq(to: &Store, from: &str) -> bool {
    matches!(to, Store::Account(a) if a == from)
}

/// What a person calls a store of alert queries, in the timeline.
pub fn describe_store(w: &World, store: &Store) -> String {
    match store {
        Store::Service => "Azure Monitor, under a Microsoft-managed key".into(),
        Store::Account(a) => linked_storage::describe_account(w, a, false),
    }
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
        (Some(r), Method::Patch) => {
            let queries = rule_queries(cx, r)?;
            with_queries(&r.properties, &queries)
        }
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
        query_store: existing.as_ref().and_then(|r| r.query_store.clone()),
    };
    let mut candidate = candidate;
    let configured = alerts_account(cx.w, &candidate);
    if check && configured.is_none() {
        return Err(ApiError::new(&errors::ALERTS_STORAGE_NOT_CONFIGURED).arg("workspace", ws_name));
    }
    let queries: Vec<String> = criteria(&candidate.properties)
        .iter()
        .map(|c| c["query"].as_str().unwrap_or("").to_string())
        .collect();
    // Each write is a new alert query: kept in the storage account when one is linked.
    let to = configured.clone().map_or(Store::Service, Store::Account);
    keep_queries(cx, &mut candidate, &queries, &to)?;
    let created = existing.is_none();
    cx.j.note(
        now,
        Category::Resource,
        id,
        format!(
            "Log search alert rule {} {} on workspace {ws_name} (its query is kept {}{})",
            candidate.name,
            if created { "created" } else { "updated" },
            match &to {
                Store::Service => "by Azure Monitor, under a Microsoft-managed key",
                Store::Account(_) => "as a blob in ",
            },
            match &to {
                Store::Service => ": no Alerts linked storage account".to_string(),
                Store::Account(a) => linked_storage::describe_account(cx.w, a, false),
            }
        ),
    );
    let out = candidate.to_json(configured.is_some(), &queries);
    cx.w.alert_rules.insert(id_key(id), candidate);
    Ok(Response::json(if created { 201 } else { 200 }, out))
}
