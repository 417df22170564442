//! `…/workspaces/{ws}/savedSearches[/{id}]` (spec stable/2025-02-01/SavedSearches.json): saved
//! queries and functions. Synchronous, 200 only; the list is not paged. Without a `Query`
//! linked storage account they live in the workspace, under a Microsoft-managed key (the
//! seed: "Customer-managed key for saved queries and log alerts").
//!
//! Etags: "To override an existing saved search, use `*` or specify the current Etag". Each
//! write gets a new etag in the service's `W/"datetime'…'"` form, from the virtual clock.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Workspace, live, not_found, workspace_id};
use crate::engine::Ctx;
use crate::engine::arm::{ApiResult, group_scope, id_key, method_not_allowed};
use crate::engine::clock;
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response};
use crate::engine::journal::Category;

/// One saved search, as the service keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedSearch {
    /// The id as the person wrote it (ids compare case-insensitively).
    pub name: String,
    pub category: String,
    pub display_name: String,
    pub query: String,
    pub function_alias: Option<String>,
    pub function_parameters: Option<String>,
    pub version: i64,
    pub tags: Value,
    pub etag: String,
}

/// Where a workspace's saved searches are kept, and under which key.
pub type SavedSearches = BTreeMap<String, SavedSearch>;

impl SavedSearch {
    fn to_json(&self, ws: &Workspace) -> Value {
        let mut props = json!({
            "category": self.category,
            "displayName": self.display_name,
            "query": self.query,
            "version": self.version,
            "tags": self.tags,
        });
        if let Some(a) = &self.function_alias {
            props["functionAlias"] = json!(a);
        }
        if let Some(p) = &self.function_parameters {
            props["functionParameters"] = json!(p);
        }
        json!({
            "id": format!("{}/savedSearches/{}", ws.id, self.name),
            "name": self.name,
            "type": "Microsoft.OperationalInsights/savedSearches",
            "etag": self.etag,
            "properties": props,
        })
    }
}

/// `rest` is `[workspaces, {ws}, savedSearches, ({id})]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let (sub, rg) = group_scope(cx, scope)?;
    let key = id_key(&workspace_id(sub, &rg, &rest[1]));
    let ws = live(cx.w, &key).ok_or_else(|| not_found(&rest[1], &rg))?;
    match (rest.get(3), req.method) {
        (None, Method::Get) => {
            let value: Vec<Value> = ws.saved_searches.values().map(|s| s.to_json(ws)).collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        (None, _) => Err(method_not_allowed(req)),
        (Some(id), Method::Get) => ws
            .saved_searches
            .get(&id.to_ascii_lowercase())
            .map(|s| Response::ok(s.to_json(ws)))
            .ok_or_else(|| missing(ws, id)),
        (Some(id), Method::Put) => put(cx, req, &key, id),
        (Some(id), Method::Delete) => {
            let name = ws.name.clone();
            let ws = cx.w.workspaces.get_mut(&key).expect("live");
            // Deleting one that is not there answers 200 too (the spec lists only 200).
            if ws.saved_searches.remove(&id.to_ascii_lowercase()).is_some() {
                let wid = ws.id.clone();
                cx.j.note(
                    cx.w.now,
                    Category::Resource,
                    &wid,
                    format!("Saved search {id} deleted from workspace {name}"),
                );
            }
            Ok(Response::empty(200))
        }
        (Some(_), _) => Err(method_not_allowed(req)),
    }
}

fn missing(ws: &Workspace, id: &str) -> ApiError {
    ApiError::new(&errors::RESOURCE_NOT_FOUND)
        .arg(
            "type",
            format!(
                "Microsoft.OperationalInsights/workspaces/{}/savedSearches",
                ws.name
            ),
        )
        .arg("name", id)
        .arg("group", ws.group.clone())
}

fn put(cx: &mut Ctx, req: &Request, key: &str, id: &str) -> ApiResult {
    let body = match req.json() {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(detail) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail));
        }
    };
    let props = &body["properties"];
    let required = |field: &str| -> Result<String, ApiError> {
        match props[field].as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
            _ => Err(ApiError::new(&errors::SAVED_SEARCH_PROPERTY_REQUIRED).arg("property", field)),
        }
    };
    let category = required("category")?;
    let display_name = required("displayName")?;
    let query = required("query")?;
    let optional = |field: &str| props[field].as_str().map(str::to_string);
    let version = match &props["version"] {
        Value::Null => 2,
        v => v.as_i64().ok_or_else(|| {
            ApiError::new(&errors::SAVED_SEARCH_PROPERTY_INVALID)
                .arg("property", "version")
                .arg("expected", "an integer")
        })?,
    };
    let tags = match &props["tags"] {
        Value::Null => json!([]),
        Value::Array(a)
            if a.iter()
                .all(|t| t["name"].is_string() && t["value"].is_string()) =>
        {
            json!(a)
        }
        _ => {
            return Err(ApiError::new(&errors::SAVED_SEARCH_PROPERTY_INVALID)
                .arg("property", "tags")
                .arg("expected", "an array of { name, value } strings"));
        }
    };
    let now = cx.w.now;
    let ws = cx.w.workspaces.get_mut(key).expect("live");
    let lower = id.to_ascii_lowercase();
    let existing = ws.saved_searches.get(&lower);
    if let Some(s) = existing {
        let given = body["etag"].as_str().unwrap_or("");
        if given != "*" && given != s.etag {
            return Err(ApiError::new(&errors::SAVED_SEARCH_ETAG)
                .arg("id", s.name.clone())
                .arg("etag", s.etag.clone()));
        }
    }
    ws.etags += 1;
    // The seconds from the clock, the fraction a counter: two writes in one second differ.
    let iso = clock::iso(now).replace(".0000000Z", &format!(".{:07}Z", ws.etags % 10_000_000));
    let etag = format!("W/\"datetime'{}'\"", iso.replace(':', "%3A"));
    let name = existing
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_string());
    let created = existing.is_none();
    let search = SavedSearch {
        name,
        category,
        display_name,
        query,
        function_alias: optional("functionAlias"),
        function_parameters: optional("functionParameters"),
        version,
        tags,
        etag,
    };
    ws.saved_searches.insert(lower, search.clone());
    let (wid, wname) = (ws.id.clone(), ws.name.clone());
    let out = search.to_json(ws);
    cx.j.note(
        now,
        Category::Resource,
        &wid,
        format!(
            "Saved search {} {} in workspace {wname} (stored in the workspace, under a Microsoft-managed key)",
            search.name,
            if created { "saved" } else { "updated" }
        ),
    );
    Ok(Response::ok(out))
}
