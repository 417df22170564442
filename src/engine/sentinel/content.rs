//! What Microsoft Sentinel keeps outside Log Analytics, sealed in its store: watchlists (and their
//! items, from CSV `rawContent`), scheduled analytics rules that run on the virtual clock against
//! the workspace's logs, and the incidents they create.
//!
//! Every read and write goes through the store's account key, so when Key Vault access is revoked
//! "any operation that uses persistent storage resources such as data ingestion, persistent
//! configuration changes, and incident creation, is prevented": writes and reads are refused, a
//! due rule creates no incident, nothing is deleted. Only offboarding (or deleting the workspace)
//! still works.

use serde_json::{Map, Value, json};

use super::{new_etag, system_data};
use crate::engine::Ctx;
use crate::engine::arm::{ApiResult, body_object, prop};
use crate::engine::clock::{self, Event, MINUTE};
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response};
use crate::engine::journal::Category;
use crate::engine::logs;
use crate::engine::storage::documents::{self, Sealed};
use crate::engine::world::{TENANT_ID, USER_OBJECT_ID, USER_UPN};

/// A document in the store, with what Sentinel keeps in the clear to find it.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub name: String,
    pub etag: String,
    pub created: u64,
    pub updated: u64,
    pub sealed: Sealed,
}

/// A scheduled analytics rule: its sealed definition and the scheduler's view of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub doc: Doc,
    pub enabled: bool,
    /// `queryFrequency`, in seconds.
    pub frequency: u64,
    /// Why the last run failed, said once until a run succeeds again.
    pub failing: Option<String>,
}

/// Rule runs' bounds (Sentinel's scheduled rules: "every 5 minutes" to "once every 14 days").
const MIN_SCHEDULE: u64 = 5 * MINUTE;
const MAX_SCHEDULE: u64 = 14 * clock::DAY;

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(&errors::SENTINEL_BAD_REQUEST).arg("detail", detail.into())
}

fn not_found(kind: &str, name: &str) -> ApiError {
    ApiError::new(&errors::SENTINEL_NOT_FOUND)
        .arg("kind", kind)
        .arg("name", name)
}

/// The store's key must be within reach for anything but deleting Sentinel itself.
fn available(cx: &Ctx, ws: &str) -> Result<String, ApiError> {
    let account = cx.w.sentinel[ws].account.clone();
    documents::reachable(cx, &account).map_err(unavailable)?;
    Ok(account)
}

fn unavailable(why: String) -> ApiError {
    ApiError::new(&errors::SENTINEL_DATA_UNAVAILABLE).arg("reason", why)
}

pub fn route(
    cx: &mut Ctx,
    req: &Request,
    ws: &str,
    ws_id: &str,
    kind: &str,
    rest: &[String],
) -> ApiResult {
    let account = available(cx, ws)?;
    let base = format!("{ws_id}/providers/Microsoft.SecurityInsights");
    match (kind, req.method, rest) {
        ("watchlists", Method::Get, []) => list(cx, &account, ws, Kind::Watchlist),
        ("watchlists", Method::Get, [a]) => get(cx, &account, ws, Kind::Watchlist, a),
        ("watchlists", Method::Put, [a]) => put_watchlist(cx, req, &account, ws, &base, a),
        ("watchlists", Method::Delete, [a]) => delete(cx, ws, ws_id, Kind::Watchlist, a),
        ("watchlists", Method::Get, [a, items]) if items.eq_ignore_ascii_case("watchlistItems") => {
            let key = a.to_ascii_lowercase();
            let Some(sealed) = cx.w.sentinel[ws].items.get(&key).cloned() else {
                return Err(not_found("watchlist", a));
            };
            let value =
                documents::open(cx, &account, &items_doc(&key), &sealed).map_err(unavailable)?;
            Ok(Response::ok(json!({ "value": value })))
        }
        ("alertrules", Method::Get, []) => list(cx, &account, ws, Kind::Rule),
        ("alertrules", Method::Get, [id]) => get(cx, &account, ws, Kind::Rule, id),
        ("alertrules", Method::Put, [id]) => put_rule(cx, req, &account, ws, &base, id),
        ("alertrules", Method::Delete, [id]) => delete(cx, ws, ws_id, Kind::Rule, id),
        ("incidents", Method::Get, []) => list(cx, &account, ws, Kind::Incident),
        ("incidents", Method::Get, [id]) => get(cx, &account, ws, Kind::Incident, id),
        ("incidents", Method::Delete, [id]) => delete(cx, ws, ws_id, Kind::Incident, id),
        _ => Err(crate::engine::arm::method_not_allowed(req)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Watchlist,
    Rule,
    Incident,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Watchlist => "watchlist",
            Kind::Rule => "analytics rule",
            Kind::Incident => "incident",
        }
    }

    fn doc_id(self, key: &str) -> String {
        match self {
            Kind::Watchlist => format!("watchlist/{key}"),
            Kind::Rule => format!("rule/{key}"),
            Kind::Incident => format!("incident/{key}"),
        }
    }
}

fn items_doc(key: &str) -> String {
    format!("watchlist/{key}/items")
}

fn docs(s: &super::Sentinel, kind: Kind) -> Vec<(String, Sealed)> {
    match kind {
        Kind::Watchlist => s
            .watchlists
            .iter()
            .map(|(k, d)| (k.clone(), d.sealed.clone()))
            .collect(),
        Kind::Rule => s
            .rules
            .iter()
            .map(|(k, r)| (k.clone(), r.doc.sealed.clone()))
            .collect(),
        Kind::Incident => s
            .incidents
            .iter()
            .map(|(k, d)| (k.clone(), d.sealed.clone()))
            .collect(),
    }
}

fn list(cx: &mut Ctx, account: &str, ws: &str, kind: Kind) -> ApiResult {
    let mut value = Vec::new();
    for (key, sealed) in docs(&cx.w.sentinel[ws], kind) {
        value.push(documents::open(cx, account, &kind.doc_id(&key), &sealed).map_err(unavailable)?);
    }
    Ok(Response::ok(json!({ "value": value })))
}

fn get(cx: &mut Ctx, account: &str, ws: &str, kind: Kind, name: &str) -> ApiResult {
    let key = name.to_ascii_lowercase();
    let sealed = docs(&cx.w.sentinel[ws], kind)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, s)| s)
        .ok_or_else(|| not_found(kind.label(), name))?;
    let v = documents::open(cx, account, &kind.doc_id(&key), &sealed).map_err(unavailable)?;
    Ok(Response::ok(v))
}

fn delete(cx: &mut Ctx, ws: &str, ws_id: &str, kind: Kind, name: &str) -> ApiResult {
    let key = name.to_ascii_lowercase();
    let s = cx.w.sentinel.get_mut(ws).expect("checked");
    let gone = match kind {
        Kind::Watchlist => {
            s.items.remove(&key);
            s.watchlists.remove(&key).map(|d| d.name)
        }
        Kind::Rule => s.rules.remove(&key).map(|r| r.doc.name),
        Kind::Incident => s.incidents.remove(&key).map(|d| d.name),
    };
    let Some(display) = gone else {
        return Ok(Response::empty(204));
    };
    if kind == Kind::Rule {
        unschedule(cx, ws, &key);
    }
    cx.j.note(
        cx.w.now,
        Category::Resource,
        ws_id,
        format!("Microsoft Sentinel {} {display} deleted", kind.label()),
    );
    Ok(Response::empty(200))
}

fn required_str<'b>(props: &'b Map<String, Value>, field: &str) -> Result<&'b str, ApiError> {
    match props.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(format!("The {field} field is required."))),
    }
}

fn created_by() -> Value {
    json!({ "objectId": USER_OBJECT_ID, "email": USER_UPN, "name": "Avery Admin" })
}

// ---- watchlists ---------------------------------------------------------------------------------

/// Splits one CSV line into fields (double quotes group, `""` escapes a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

fn put_watchlist(
    cx: &mut Ctx,
    req: &Request,
    account: &str,
    ws: &str,
    base: &str,
    alias: &str,
) -> ApiResult {
    let body = body_object(req)?;
    let props = prop(&body, "properties")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| bad("The properties field is required."))?;
    let display = required_str(&props, "displayName")?.to_string();
    let provider = required_str(&props, "provider")?.to_string();
    let source = required_str(&props, "source")?.to_string();
    let search_key = required_str(&props, "itemsSearchKey")?.to_string();
    let skip = props
        .get("numberOfLinesToSkip")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let raw = props
        .get("rawContent")
        .and_then(Value::as_str)
        .unwrap_or("");
    let content_type = props
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("text/csv")
        .to_string();
    if !raw.is_empty() && !content_type.eq_ignore_ascii_case("text/csv") {
        return Err(bad(format!(
            "The content type '{content_type}' is not supported; use text/csv."
        )));
    }
    let mut lines = raw.lines().skip(skip).filter(|l| !l.trim().is_empty());
    let headers = lines.next().map(csv_fields).unwrap_or_default();
    if !raw.is_empty() && !headers.iter().any(|h| h == &search_key) {
        return Err(bad(format!(
            "The itemsSearchKey '{search_key}' is not a column of rawContent (columns: {}).",
            headers.join(", ")
        )));
    }
    let key = alias.to_ascii_lowercase();
    let now = cx.w.now;
    let existing = cx.w.sentinel[ws].watchlists.get(&key).cloned();
    let created = existing.as_ref().map_or(now, |d| d.created);
    let watchlist_id = cx.w.rng.guid();
    let mut items = Vec::new();
    for line in lines {
        let fields = csv_fields(line);
        let kv: Map<String, Value> = headers
            .iter()
            .zip(fields.iter().chain(std::iter::repeat(&String::new())))
            .map(|(h, v)| (h.clone(), json!(v)))
            .collect();
        let item = cx.w.rng.guid();
        items.push(json!({
            "id": format!("{base}/watchlists/{alias}/watchlistItems/{item}"),
            "name": item,
            "type": "Microsoft.SecurityInsights/Watchlists/WatchlistItems",
            "properties": {
                "watchlistItemId": item,
                "watchlistItemType": "watchlist-item",
                "itemsKeyValue": kv,
                "isDeleted": false,
                "tenantId": TENANT_ID,
                "created": clock::iso(now),
                "updated": clock::iso(now),
                "createdBy": created_by(),
                "updatedBy": created_by(),
            },
        }));
    }
    let etag = new_etag(cx);
    let doc = json!({
        "id": format!("{base}/watchlists/{alias}"),
        "name": alias,
        "type": "Microsoft.SecurityInsights/Watchlists",
        "etag": etag,
        "systemData": system_data(created, now),
        "properties": {
            "watchlistId": watchlist_id,
            "displayName": display,
            "provider": provider,
            "source": source,
            "itemsSearchKey": search_key,
            "contentType": content_type,
            "numberOfLinesToSkip": skip,
            "description": props.get("description").cloned().unwrap_or(Value::Null),
            "watchlistAlias": alias,
            "watchlistType": "watchlist",
            "isDeleted": false,
            "labels": props.get("labels").cloned().unwrap_or(json!([])),
            "tenantId": TENANT_ID,
            "created": clock::iso(created),
            "updated": clock::iso(now),
            "createdBy": created_by(),
            "updatedBy": created_by(),
            "uploadStatus": "Complete",
            "watchlistItemsCount": items.len(),
        },
    });
    let sealed =
        documents::seal(cx, account, &Kind::Watchlist.doc_id(&key), &doc).map_err(unavailable)?;
    let sealed_items = documents::seal(cx, account, &items_doc(&key), &Value::Array(items.clone()))
        .map_err(unavailable)?;
    let s = cx.w.sentinel.get_mut(ws).expect("checked");
    s.watchlists.insert(
        key.clone(),
        Doc {
            name: alias.to_string(),
            etag,
            created,
            updated: now,
            sealed,
        },
    );
    s.items.insert(key, sealed_items);
    cx.j.note(
        now,
        Category::Resource,
        &format!("{base}/watchlists/{alias}"),
        format!(
            "Watchlist {alias} ({} items) sealed in Microsoft Sentinel's store",
            items.len()
        ),
    );
    Ok(Response::json(
        if existing.is_some() { 200 } else { 201 },
        doc,
    ))
}

// ---- scheduled analytics rules --------------------------------------------------------------------

fn duration_field(props: &Map<String, Value>, field: &str) -> Result<u64, ApiError> {
    let text = required_str(props, field)?;
    let secs = clock::parse_duration(text)
        .ok_or_else(|| bad(format!("The {field} '{text}' is not an ISO 8601 duration.")))?;
    if !(MIN_SCHEDULE..=MAX_SCHEDULE).contains(&secs) {
        return Err(bad(format!(
            "The {field} must be between 5 minutes (PT5M) and 14 days (P14D); it is {text}."
        )));
    }
    Ok(secs)
}

fn put_rule(
    cx: &mut Ctx,
    req: &Request,
    account: &str,
    ws: &str,
    base: &str,
    id: &str,
) -> ApiResult {
    let body = body_object(req)?;
    let kind = prop(&body, "kind").and_then(Value::as_str).unwrap_or("");
    if !kind.eq_ignore_ascii_case("Scheduled") {
        return Err(ApiError::new(&errors::SENTINEL_RULE_KIND).arg("kind", kind));
    }
    let props = prop(&body, "properties")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| bad("The properties field is required."))?;
    let display = required_str(&props, "displayName")?.to_string();
    let query = required_str(&props, "query")?.to_string();
    let enabled = props
        .get("enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("The enabled field is required."))?;
    let frequency = duration_field(&props, "queryFrequency")?;
    let period = duration_field(&props, "queryPeriod")?;
    if period < frequency {
        return Err(bad("The queryPeriod must be at least the queryFrequency."));
    }
    let severity = required_str(&props, "severity")?;
    if !["High", "Medium", "Low", "Informational"].contains(&severity) {
        return Err(bad(format!(
            "The severity '{severity}' is not one of High, Medium, Low, Informational."
        )));
    }
    let operator = required_str(&props, "triggerOperator")?;
    if !["GreaterThan", "LessThan", "Equal", "NotEqual"].contains(&operator) {
        return Err(bad(format!(
            "The triggerOperator '{operator}' is not one of GreaterThan, LessThan, Equal, NotEqual."
        )));
    }
    let threshold = props
        .get("triggerThreshold")
        .and_then(Value::as_u64)
        .filter(|t| *t <= 10_000)
        .ok_or_else(|| {
            bad("The triggerThreshold field is required: a whole number from 0 to 10000.")
        })?;
    // Sentinel checks the query before saving the rule.
    if let Err(e) = crate::engine::query::parser::parse(&query) {
        return Err(bad(format!("The query is not valid KQL: {e}")));
    }
    let key = id.to_ascii_lowercase();
    let now = cx.w.now;
    let existing = cx.w.sentinel[ws].rules.get(&key).cloned();
    let created = existing.as_ref().map_or(now, |r| r.doc.created);
    let etag = new_etag(cx);
    let doc = json!({
        "id": format!("{base}/alertRules/{id}"),
        "name": id,
        "type": "Microsoft.SecurityInsights/alertRules",
        "kind": "Scheduled",
        "etag": etag,
        "systemData": system_data(created, now),
        "properties": {
            "displayName": display,
            "description": props.get("description").cloned().unwrap_or(json!("")),
            "enabled": enabled,
            "query": query,
            "queryFrequency": props["queryFrequency"],
            "queryPeriod": props["queryPeriod"],
            "severity": severity,
            "triggerOperator": operator,
            "triggerThreshold": threshold,
            "suppressionDuration": props.get("suppressionDuration").cloned().unwrap_or(json!("PT5H")),
            "suppressionEnabled": props.get("suppressionEnabled").cloned().unwrap_or(json!(false)),
            "tactics": props.get("tactics").cloned().unwrap_or(json!([])),
            "lastModifiedUtc": clock::iso(now),
        },
    });
    let sealed =
        documents::seal(cx, account, &Kind::Rule.doc_id(&key), &doc).map_err(unavailable)?;
    let s = cx.w.sentinel.get_mut(ws).expect("checked");
    s.rules.insert(
        key.clone(),
        Rule {
            doc: Doc {
                name: display.clone(),
                etag,
                created,
                updated: now,
                sealed,
            },
            enabled,
            frequency,
            failing: None,
        },
    );
    unschedule(cx, ws, &key);
    if enabled {
        schedule(cx, ws, &key, now + frequency);
    }
    cx.j.note(
        now,
        Category::Resource,
        &format!("{base}/alertRules/{id}"),
        format!(
            "Analytics rule {display} sealed in Microsoft Sentinel's store{}",
            if enabled {
                format!(": it runs every {}", clock::duration(frequency))
            } else {
                " (disabled)".into()
            }
        ),
    );
    Ok(Response::json(
        if existing.is_some() { 200 } else { 201 },
        doc,
    ))
}

fn schedule(cx: &mut Ctx, ws: &str, rule: &str, at: u64) {
    cx.w.events.schedule(
        at,
        Event::SentinelRule {
            workspace: ws.to_string(),
            rule: rule.to_string(),
        },
    );
}

fn unschedule(cx: &mut Ctx, ws: &str, rule: &str) {
    cx.w.events.retain(
        |e| !matches!(e, Event::SentinelRule { workspace, rule: r } if workspace == ws && r == rule),
    );
}

/// Removes every scheduled run of a workspace's rules (offboarding).
pub fn unschedule_all(cx: &mut Ctx, ws: &str) {
    cx.w.events
        .retain(|e| !matches!(e, Event::SentinelRule { workspace, .. } if workspace == ws));
}

/// A rule's run falls due: read its definition from the store, query the workspace's logs over
/// its period, and create an incident when the result count passes the threshold. A store or a
/// workspace out of reach means no run and no incident, said once until runs succeed again.
pub fn run_rule(cx: &mut Ctx, ws: &str, key: &str) {
    let Some(s) = cx.w.sentinel.get(ws) else {
        return;
    };
    let Some(rule) = s.rules.get(key).cloned() else {
        return;
    };
    let account = s.account.clone();
    let now = cx.w.now;
    schedule(cx, ws, key, now + rule.frequency);
    let outcome = documents::open(cx, &account, &Kind::Rule.doc_id(key), &rule.doc.sealed)
        .map_err(|why| format!("Microsoft Sentinel cannot read the rule ({why})"))
        .and_then(|def| {
            let p = &def["properties"];
            let query = p["query"].as_str().unwrap_or_default().to_string();
            let period = p["queryPeriod"]
                .as_str()
                .and_then(clock::parse_duration)
                .unwrap_or(rule.frequency);
            let customer_id = cx.w.workspaces[ws].customer_id.clone();
            let to = now as i64 * 1000;
            let from = to - period as i64 * 1000;
            let rows = logs::run_for_service(cx, &customer_id, &query, (from, to))
                .map_err(|why| format!("its query failed: {why}"))?;
            Ok((def, rows.rows.len() as u64))
        });
    let ws_id = cx.w.workspaces[ws].id.clone();
    let (def, count) = match outcome {
        Ok(v) => v,
        Err(why) => return rule_failed(cx, ws, key, &ws_id, &rule, why),
    };
    if rule.failing.is_some() {
        if let Some(r) = cx.w.sentinel.get_mut(ws).and_then(|s| s.rules.get_mut(key)) {
            r.failing = None;
        }
        cx.j.note(
            now,
            Category::Data,
            &ws_id,
            format!("Analytics rule {} runs again", rule.doc.name),
        );
    }
    let p = &def["properties"];
    let threshold = p["triggerThreshold"].as_u64().unwrap_or(0);
    let triggered = match p["triggerOperator"].as_str().unwrap_or("GreaterThan") {
        "GreaterThan" => count > threshold,
        "LessThan" => count < threshold,
        "Equal" => count == threshold,
        _ => count != threshold,
    };
    if !triggered {
        return;
    }
    create_incident(cx, ws, &account, &ws_id, &def, count);
}

fn rule_failed(cx: &mut Ctx, ws: &str, key: &str, ws_id: &str, rule: &Rule, why: String) {
    if rule.failing.as_deref() == Some(why.as_str()) {
        return;
    }
    if let Some(r) = cx.w.sentinel.get_mut(ws).and_then(|s| s.rules.get_mut(key)) {
        r.failing = Some(why.clone());
    }
    cx.j.alert(
        cx.w.now,
        Category::Data,
        ws_id,
        format!(
            "Analytics rule {} did not run: {why}. No incident is created until it runs again",
            rule.doc.name
        ),
    );
}

fn create_incident(cx: &mut Ctx, ws: &str, account: &str, ws_id: &str, rule: &Value, count: u64) {
    let now = cx.w.now;
    let id = cx.w.rng.guid();
    let number = cx.w.sentinel[ws].incident_number + 1;
    let etag = new_etag(cx);
    let p = &rule["properties"];
    let title = p["displayName"]
        .as_str()
        .unwrap_or("Analytics rule")
        .to_string();
    let doc = json!({
        "id": format!("{ws_id}/providers/Microsoft.SecurityInsights/incidents/{id}"),
        "name": id,
        "type": "Microsoft.SecurityInsights/Incidents",
        "etag": etag,
        "properties": {
            "title": title,
            "description": p["description"],
            "severity": p["severity"],
            "status": "New",
            "incidentNumber": number,
            "createdTimeUtc": clock::iso(now),
            "lastModifiedTimeUtc": clock::iso(now),
            "firstActivityTimeUtc": clock::iso(now),
            "lastActivityTimeUtc": clock::iso(now),
            "relatedAnalyticRuleIds": [rule["id"]],
            "labels": [],
            "owner": { "objectId": null, "email": null, "assignedTo": null, "userPrincipalName": null },
            "additionalData": {
                "alertsCount": 1,
                "bookmarksCount": 0,
                "commentsCount": 0,
                "alertProductNames": ["Azure Sentinel"],
                "tactics": p["tactics"],
            },
            "providerName": "Azure Sentinel",
            "providerIncidentId": number.to_string(),
        },
    });
    match documents::seal(cx, account, &Kind::Incident.doc_id(&id), &doc) {
        Ok(sealed) => {
            let s = cx.w.sentinel.get_mut(ws).expect("checked");
            s.incident_number = number;
            s.incidents.insert(
                id.clone(),
                Doc {
                    name: title.clone(),
                    etag,
                    created: now,
                    updated: now,
                    sealed,
                },
            );
            cx.j.alert(
                now,
                Category::Data,
                ws_id,
                format!("Incident #{number} created by analytics rule {title} ({count} result(s)), sealed in Microsoft Sentinel's store"),
            );
        }
        Err(why) => cx.j.alert(
            now,
            Category::Data,
            ws_id,
            format!("Analytics rule {title} triggered ({count} result(s)) but no incident is created: Microsoft Sentinel cannot write to its store ({why})"),
        ),
    }
}
