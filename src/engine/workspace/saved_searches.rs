//! `…/workspaces/{ws}/savedSearches[/{id}]` (spec stable/2025-02-01/SavedSearches.json): saved
//! queries and functions. Synchronous, 200 only; the list is not paged. Without a `Query`
//! linked storage account they live in the workspace, under a Microsoft-managed key; with one,
//! in a table of that storage account, sealed under its key (the seed: "Customer-managed key for
//! saved queries and log alerts"), so reading them is exactly as possible as that key allows.
//! Linking `Query` moves the workspace's searches into the account, unlinking moves them back
//! ([`move_all`]).
//!
//! Etags: "To override an existing saved search, use `*` or specify the current Etag". Each
//! write gets a new etag in the service's `W/"datetime'…'"` form, from the virtual clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::linked_storage::{self, Store};
use super::{Workspace, live, not_found, workspace_id};
use crate::engine::Ctx;
use crate::engine::arm::{ApiResult, group_scope, id_key, method_not_allowed};
use crate::engine::clock;
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response};
use crate::engine::journal::Category;
use crate::engine::storage_accounts;

/// One saved search, as the service keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

const WHAT: &str = "Saved searches";

/// The table entity id of a workspace's saved search in a storage account.
pub fn doc_id(customer_id: &str, id: &str) -> String {
    format!("{}{}", doc_prefix(customer_id), id.to_ascii_lowercase())
}

pub fn doc_prefix(customer_id: &str) -> String {
    format!("savedsearches/{customer_id}/")
}

pub fn store_of(ws: &Workspace) -> Store {
    match linked_storage::account_for(ws, linked_storage::QUERY) {
        Some(a) => Store::Account(a.to_string()),
        None => Store::Service,
    }
}

/// Every saved search of the workspace, opened from wherever it is kept.
pub fn list(cx: &mut Ctx, key: &str, store: &Store) -> Result<Vec<SavedSearch>, ApiError> {
    let ws = &cx.w.workspaces[key];
    match store {
        Store::Service => Ok(ws.saved_searches.values().cloned().collect()),
        Store::Account(a) => {
            storage_accounts::check_reachable(cx, a, WHAT)?;
            let ids = storage_accounts::document_ids(cx.w, a, &doc_prefix(&ws.customer_id));
            let mut out = Vec::with_capacity(ids.len());
            for doc in ids {
                if let Some(v) = storage_accounts::get_document(cx, a, &doc, WHAT)? {
                    out.push(decode(v, a, cx)?);
                }
            }
            Ok(out)
        }
    }
}

fn decode(v: Value, account: &str, cx: &Ctx) -> Result<SavedSearch, ApiError> {
    // The entities are "service artifacts" (the seed): only the service writes them.
    serde_json::from_value(v).map_err(|e| {
        storage_accounts::unreachable(
            cx.w,
            account,
            WHAT,
            &format!("an entity is not readable: {e}"),
        )
    })
}

fn get(cx: &mut Ctx, key: &str, store: &Store, id: &str) -> Result<Option<SavedSearch>, ApiError> {
    let ws = &cx.w.workspaces[key];
    match store {
        Store::Service => Ok(ws.saved_searches.get(&id.to_ascii_lowercase()).cloned()),
        Store::Account(a) => {
            let doc = doc_id(&ws.customer_id, id);
            match storage_accounts::get_document(cx, a, &doc, WHAT)? {
                Some(v) => decode(v, a, cx).map(Some),
                None => Ok(None),
            }
        }
    }
}

fn put_one(cx: &mut Ctx, key: &str, store: &Store, s: &SavedSearch) -> Result<(), ApiError> {
    match store {
        Store::Service => {
            let ws = cx.w.workspaces.get_mut(key).expect("live");
            ws.saved_searches
                .insert(s.name.to_ascii_lowercase(), s.clone());
            Ok(())
        }
        Store::Account(a) => {
            let doc = doc_id(&cx.w.workspaces[key].customer_id, &s.name);
            let v = serde_json::to_value(s).expect("a saved search serializes");
            storage_accounts::put_document(cx, a, &doc, &v, WHAT)
        }
    }
}

fn remove_one(cx: &mut Ctx, key: &str, store: &Store, id: &str) -> Result<bool, ApiError> {
    match store {
        Store::Service => {
            let ws = cx.w.workspaces.get_mut(key).expect("live");
            Ok(ws.saved_searches.remove(&id.to_ascii_lowercase()).is_some())
        }
        Store::Account(a) => {
            // Azure Storage refuses every operation on an account whose key is out of reach.
            storage_accounts::check_reachable(cx, a, WHAT)?;
            let doc = doc_id(&cx.w.workspaces[key].customer_id, id);
            Ok(storage_accounts::remove_document(cx.w, a, &doc))
        }
    }
}

/// Moves every saved search of the workspace from one store to another (a `Query` link made,
/// changed or removed). Fails, changing nothing the caller keeps, when either store's key is out
/// of reach. Returns how many moved.
pub fn move_all(cx: &mut Ctx, key: &str, from: &Store, to: &Store) -> Result<usize, ApiError> {
    if from == to {
        return Ok(0);
    }
    if let Store::Account(a) = to {
        storage_accounts::check_reachable(cx, a, WHAT)?;
    }
    let all = list(cx, key, from)?;
    for s in &all {
        remove_one(cx, key, from, &s.name)?;
        put_one(cx, key, to, s)?;
    }
    Ok(all.len())
}

/// What a person calls a store, in the timeline.
pub fn describe(w: &crate::engine::world::World, store: &Store) -> String {
    match store {
        Store::Service => "the workspace, under a Microsoft-managed key".into(),
        Store::Account(a) => format!(
            "a table of {}",
            linked_storage::describe_account(w, a, true)
        ),
    }
}

/// `rest` is `[workspaces, {ws}, savedSearches, ({id})]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let (sub, rg) = group_scope(cx, scope)?;
    let key = id_key(&workspace_id(sub, &rg, &rest[1]));
    let ws = live(cx.w, &key).ok_or_else(|| not_found(&rest[1], &rg))?;
    let store = store_of(ws);
    match (rest.get(3), req.method) {
        (None, Method::Get) => {
            let all = list(cx, &key, &store)?;
            let ws = &cx.w.workspaces[&key];
            let value: Vec<Value> = all.iter().map(|s| s.to_json(ws)).collect();
            Ok(Response::ok(json!({ "value": value })))
        }
        (None, _) => Err(method_not_allowed(req)),
        (Some(id), Method::Get) => match get(cx, &key, &store, id)? {
            Some(s) => Ok(Response::ok(s.to_json(&cx.w.workspaces[&key]))),
            None => Err(missing(&cx.w.workspaces[&key], id)),
        },
        (Some(id), Method::Put) => {
            if store == Store::Service && ws.force_cmk_for_query {
                return Err(
                    ApiError::new(&errors::FORCE_CMK_FOR_QUERY).arg("workspace", ws.name.clone())
                );
            }
            put(cx, req, &key, &store, id)
        }
        (Some(id), Method::Delete) => {
            // Deleting one that is not there answers 200 too (the spec lists only 200).
            if remove_one(cx, &key, &store, id)? {
                let ws = &cx.w.workspaces[&key];
                let (wid, name) = (ws.id.clone(), ws.name.clone());
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

fn put(cx: &mut Ctx, req: &Request, key: &str, store: &Store, id: &str) -> ApiResult {
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
    let existing = get(cx, key, store, id)?;
    if let Some(s) = &existing {
        let given = body["etag"].as_str().unwrap_or("");
        if given != "*" && given != s.etag {
            return Err(ApiError::new(&errors::SAVED_SEARCH_ETAG)
                .arg("id", s.name.clone())
                .arg("etag", s.etag.clone()));
        }
    }
    let ws = cx.w.workspaces.get_mut(key).expect("live");
    ws.etags += 1;
    // The seconds from the clock, the fraction a counter: two writes in one second differ.
    let iso = clock::iso(now).replace(".0000000Z", &format!(".{:07}Z", ws.etags % 10_000_000));
    let etag = format!("W/\"datetime'{}'\"", iso.replace(':', "%3A"));
    let name = existing
        .as_ref()
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
    put_one(cx, key, store, &search)?;
    let ws = &cx.w.workspaces[key];
    let (wid, wname) = (ws.id.clone(), ws.name.clone());
    let out = search.to_json(ws);
    let place = describe(cx.w, store);
    cx.j.note(
        now,
        Category::Resource,
        &wid,
        format!(
            "Saved search {} {} in workspace {wname} (stored in {place})",
            search.name,
            if created { "saved" } else { "updated" }
        ),
    );
    Ok(Response::ok(out))
}
