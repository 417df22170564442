//! `…/workspaces/{ws}/linkedStorageAccounts[/{dataSourceType}]` (LinkedStorageAccounts.json
//! 2025-02-01): the customer's own storage accounts a workspace uses ("Bring Your Own Storage").
//! Synchronous, 200 only; a PUT replaces the whole `storageAccountIds` array.
//!
//! What a link changes (the seed, "Customer-managed key for saved queries and log alerts"):
//! `Query` moves the workspace's saved searches into a table of the account, under the account's
//! key, and unlinking moves them back; `Alerts` keeps new alert queries as blobs there. The
//! document's checks: 'write' on both the workspace and the storage account, and the account in
//! the workspace's region; "You can link a single storage account to workspace for the purpose
//! of saving queries, but is can be used fro both saved-searches and log alerts queries".

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::saved_searches;
use super::{Workspace, live, not_found, workspace_id};
use crate::engine::Ctx;
use crate::engine::alerts;
use crate::engine::arm::authorization::require_user_action;
use crate::engine::arm::{ApiResult, group_scope, id_key, method_not_allowed};
use crate::engine::errors::{self, ApiError};
use crate::engine::http::{Method, Request, Response};
use crate::engine::journal::Category;

pub const QUERY: &str = "Query";
pub const ALERTS: &str = "Alerts";
const CUSTOM_LOGS: &str = "CustomLogs";
/// The `dataSourceType` enum, as the spec spells it.
pub const TYPES: &[&str] = &[CUSTOM_LOGS, "AzureWatson", QUERY, "Ingestion", ALERTS];
/// "up to 5 accounts per workspace for ingestion scale" (the reference); one for Query and Alerts.
const MAX_ACCOUNTS: usize = 5;
const TYPE: &str = "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts";

/// A workspace's links, by data source type (as the spec spells it): the storage accounts' ids
/// as each account spells its own.
pub type LinkedStorage = BTreeMap<&'static str, Vec<String>>;

/// The storage account (lower-cased id) a workspace links for `kind`, if any.
pub fn account_for(ws: &Workspace, kind: &str) -> Option<String> {
    ws.linked_storage
        .get(kind)
        .and_then(|ids| ids.first())
        .map(|id| id_key(id))
}

/// Where a workspace's saved searches or alert queries are kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Store {
    /// By the service (the workspace, Azure Monitor), under a Microsoft-managed key.
    Service,
    /// In a linked storage account (lower-cased id), under the account's key.
    Account(String),
}

/// What a person calls an account as a store, and under which key its tables (`table`) or blobs
/// are.
pub fn describe_account(w: &crate::engine::world::World, account: &str, table: bool) -> String {
    match w.storage_accounts.get(account) {
        Some(a) if a.key.is_some() && (a.table_cmk_capable() || !table) => {
            format!("storage account {}, under its customer-managed key", a.name)
        }
        Some(a) if a.key.is_some() => format!(
            "storage account {}, under a Microsoft-managed key (its tables were created without keyType Account, so the account's customer-managed key never covers them)",
            a.name
        ),
        Some(a) => format!(
            "storage account {}, under a Microsoft-managed key (the account has no customer-managed key)",
            a.name
        ),
        None => format!("storage account {account}, which no longer exists"),
    }
}

fn to_json(ws: &Workspace, kind: &str, ids: &[String]) -> Value {
    json!({
        "id": format!("{}/linkedStorageAccounts/{kind}", ws.id),
        "name": kind,
        "type": TYPE,
        "properties": { "dataSourceType": kind, "storageAccountIds": ids },
    })
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::new(&errors::LINKED_STORAGE_INVALID).arg("detail", detail.into())
}

/// `rest` is `[workspaces, {ws}, linkedStorageAccounts, ({dataSourceType})]`.
pub fn route(cx: &mut Ctx, req: &Request, scope: &[String], rest: &[String]) -> ApiResult {
    let (sub, rg) = group_scope(cx, scope)?;
    let key = id_key(&workspace_id(sub, &rg, &rest[1]));
    let ws = live(cx.w, &key).ok_or_else(|| not_found(&rest[1], &rg))?;
    let Some(given) = rest.get(3) else {
        if req.method != Method::Get {
            return Err(method_not_allowed(req));
        }
        let value: Vec<Value> = ws
            .linked_storage
            .iter()
            .map(|(k, ids)| to_json(ws, k, ids))
            .collect();
        return Ok(Response::ok(json!({ "value": value })));
    };
    let kind = TYPES
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(given))
        .ok_or_else(|| {
            bad(format!(
                "'{given}' is not a data source type: use one of {}.",
                TYPES.join(", ")
            ))
        })?;
    match req.method {
        Method::Get => ws
            .linked_storage
            .get(kind)
            .map(|ids| Response::ok(to_json(ws, kind, ids)))
            .ok_or_else(|| {
                ApiError::new(&errors::RESOURCE_NOT_FOUND)
                    .arg(
                        "type",
                        format!(
                            "Microsoft.OperationalInsights/workspaces/{}/linkedStorageAccounts",
                            ws.name
                        ),
                    )
                    .arg("name", kind)
                    .arg("group", ws.group.clone())
            }),
        Method::Put => put(cx, req, &key, kind),
        Method::Delete => delete(cx, &key, kind),
        _ => Err(method_not_allowed(req)),
    }
}

fn store_for(kind: &str, account: Option<String>) -> Store {
    match account {
        Some(a) if kind == QUERY || kind == ALERTS => Store::Account(a),
        _ => Store::Service,
    }
}

fn put(cx: &mut Ctx, req: &Request, key: &str, kind: &'static str) -> ApiResult {
    let body = match req.json() {
        Ok(Some(v)) => v,
        Ok(None) => Value::Null,
        Err(detail) => {
            return Err(ApiError::new(&errors::INVALID_REQUEST_CONTENT).arg("detail", detail));
        }
    };
    let ids: Vec<String> = match &body["properties"]["storageAccountIds"] {
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => {
            return Err(bad(
                "properties.storageAccountIds must be a non-empty array of storage account resource ids.",
            ));
        }
    };
    let ws = &cx.w.workspaces[key];
    let (wid, wname, wloc) = (ws.id.clone(), ws.name.clone(), ws.location);
    if kind == CUSTOM_LOGS {
        return Err(ApiError::new(&errors::LINKED_STORAGE_CUSTOM_LOGS_RETIRED));
    }
    let max = if kind == QUERY || kind == ALERTS {
        1
    } else {
        MAX_ACCOUNTS
    };
    if ids.len() > max {
        return Err(bad(if max == 1 {
            format!(
                "A workspace links a single storage account for {kind}: \"You can link a single storage account to workspace for the purpose of saving queries, but is can be used fro both saved-searches and log alerts queries\"."
            )
        } else {
            format!("A workspace links at most {max} storage accounts for {kind}.")
        }));
    }
    // ARM authorizes before the provider looks further: 'write' on the workspace first.
    require_user_action(cx, &wid, "Microsoft.OperationalInsights/workspaces/write")?;
    let mut canonical = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some(a) = cx.w.storage_accounts.get(&id_key(id)) else {
            return Err(
                ApiError::new(&errors::LINKED_STORAGE_ACCOUNT_NOT_FOUND).arg("id", id.clone())
            );
        };
        let (aid, aname, aloc) = (a.id.clone(), a.name.clone(), a.location);
        require_user_action(cx, &aid, "Microsoft.Storage/storageAccounts/write")?;
        if aloc != wloc {
            return Err(ApiError::new(&errors::LINKED_STORAGE_REGION)
                .arg("account", aname)
                .arg("account_region", aloc)
                .arg("workspace", wname.clone())
                .arg("workspace_region", wloc));
        }
        if !canonical.contains(&aid) {
            canonical.push(aid);
        }
    }
    let ws = &cx.w.workspaces[key];
    let from = store_for(kind, account_for(ws, kind));
    let to = store_for(kind, canonical.first().map(|id| id_key(id)));
    let moved = match kind {
        QUERY => saved_searches::move_all(cx, key, &from, &to)?,
        ALERTS => alerts::move_queries(cx, key, &from, &to)?,
        _ => 0,
    };
    let ws = cx.w.workspaces.get_mut(key).expect("live");
    let created = ws.linked_storage.insert(kind, canonical.clone()).is_none();
    let out = to_json(ws, kind, &canonical);
    let what = match kind {
        QUERY => format!(
            ": saved searches and functions are kept in {} from now on{}",
            saved_searches::describe(cx.w, &to),
            if moved > 0 {
                format!(" ({moved} moved out of the workspace)")
            } else {
                String::new()
            }
        ),
        ALERTS => format!(
            ": new alert queries are kept as blobs in {}{}",
            alerts::describe_store(cx.w, &to),
            if moved > 0 {
                format!(" ({moved} rules' queries moved there)")
            } else {
                String::new()
            }
        ),
        _ => String::new(),
    };
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &wid,
        format!(
            "Linked storage account{} for {kind} {} on workspace {wname}{what}",
            if canonical.len() == 1 { "" } else { "s" },
            if created { "set" } else { "replaced" },
        ),
    );
    Ok(Response::ok(out))
}

fn delete(cx: &mut Ctx, key: &str, kind: &'static str) -> ApiResult {
    let ws = &cx.w.workspaces[key];
    let (wid, wname) = (ws.id.clone(), ws.name.clone());
    require_user_action(cx, &wid, "Microsoft.OperationalInsights/workspaces/write")?;
    let Some(account) = ws.linked_storage.get(kind).map(|_| account_for(ws, kind)) else {
        return Ok(Response::empty(200));
    };
    if kind == QUERY && ws.force_cmk_for_query {
        return Err(ApiError::new(&errors::FORCE_CMK_FOR_QUERY).arg("workspace", wname));
    }
    let from = store_for(kind, account);
    let moved = match kind {
        QUERY => saved_searches::move_all(cx, key, &from, &Store::Service)?,
        ALERTS => alerts::move_queries(cx, key, &from, &Store::Service)?,
        _ => 0,
    };
    cx.w.workspaces
        .get_mut(key)
        .expect("live")
        .linked_storage
        .remove(kind);
    cx.j.note(
        cx.w.now,
        Category::Resource,
        &wid,
        format!(
            "Linked storage for {kind} removed from workspace {wname}{}",
            match kind {
                QUERY => format!(
                    ": {moved} saved searches moved back into the workspace, under a Microsoft-managed key"
                ),
                ALERTS => format!(
                    ": {moved} rules' queries moved back to Azure Monitor, under a Microsoft-managed key"
                ),
                _ => String::new(),
            }
        ),
    );
    Ok(Response::empty(200))
}
