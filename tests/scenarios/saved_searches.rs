//! Saved searches (`Microsoft.OperationalInsights/workspaces/savedSearches`, SavedSearches.json
//! 2025-02-01): synchronous CRUD with 200 only, an unpaged list, the etag rule, and where they
//! live without a `Query` linked storage account: in the workspace, under a Microsoft-managed key.

use crate::common;

use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

const API: &str = "2020-08-01";

fn env_with_workspace() -> Env {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    env
}

fn path(id: &str) -> String {
    format!("{}/savedSearches/{id}", Env::workspace_path(WS))
}

fn body(query: &str) -> Value {
    json!({ "properties": {
        "category": "CMK rehearsal",
        "displayName": "Errors in the last hour",
        "query": query,
        "functionAlias": "recent_errors",
        "functionParameters": "minutes:int = 60",
        "tags": [{ "name": "team", "value": "ops" }],
    } })
}

#[test]
fn saved_searches_are_created_read_listed_and_deleted_synchronously_with_200() {
    let mut env = env_with_workspace();
    let r = env.arm(
        "PUT",
        &path("errors-1h"),
        API,
        Some(body("AppEvents_CL | where Level_s == 'Error'")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "errors-1h");
    assert_eq!(
        r.body["type"],
        "Microsoft.OperationalInsights/savedSearches"
    );
    assert_eq!(
        r.body["properties"]["version"], 2,
        "the current version is 2"
    );
    assert_eq!(r.body["properties"]["functionAlias"], "recent_errors");
    assert!(
        r.body["etag"]
            .as_str()
            .unwrap()
            .starts_with("W/\"datetime'")
    );
    let got = env.arm("GET", &path("ERRORS-1H"), API, None);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, r.body, "ids compare case-insensitively");
    env.arm("PUT", &path("second"), API, Some(body("Heartbeat | count")));
    let list = env.arm(
        "GET",
        &format!("{}/savedSearches", Env::workspace_path(WS)),
        API,
        None,
    );
    assert_eq!(list.status, 200);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 2);
    assert!(list.body.get("nextLink").is_none(), "the list is not paged");
    assert_eq!(env.arm("DELETE", &path("second"), API, None).status, 200);
    assert_eq!(
        env.arm("DELETE", &path("second"), API, None).status,
        200,
        "200 again"
    );
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &path("second"), API, None)
    });
}

#[test]
fn category_display_name_and_query_are_required() {
    let mut env = env_with_workspace();
    for field in ["category", "displayName", "query"] {
        let mut b = body("Heartbeat");
        b["properties"].as_object_mut().unwrap().remove(field);
        let r = env.refused(&errors::SAVED_SEARCH_PROPERTY_REQUIRED, |env| {
            env.arm("PUT", &path("x"), API, Some(b))
        });
        assert!(r.body["error"]["message"].as_str().unwrap().contains(field));
    }
    let mut b = body("Heartbeat");
    b["properties"]["version"] = json!("two");
    env.refused(&errors::SAVED_SEARCH_PROPERTY_INVALID, |env| {
        env.arm("PUT", &path("x"), API, Some(b))
    });
    env.refused(&errors::INVALID_REQUEST_CONTENT, |env| {
        env.raw(
            "PUT",
            &format!("{ARM}{}?api-version={API}", path("x")),
            "{\"properties\":",
        )
    });
}

/// "To override an existing saved search, use `*` or specify the current Etag."
#[test]
fn to_override_an_existing_saved_search_use_star_or_the_current_etag() {
    let mut env = env_with_workspace();
    let first = env.arm("PUT", &path("q"), API, Some(body("Heartbeat")));
    let etag = first.body["etag"].as_str().unwrap().to_string();
    // Without an etag, or with a stale one: refused, and nothing changes.
    env.refused(&errors::SAVED_SEARCH_ETAG, |env| {
        env.arm("PUT", &path("q"), API, Some(body("Syslog")))
    });
    let mut stale = body("Syslog");
    stale["etag"] = json!("W/\"datetime'2001-01-01T00%3A00%3A00.0000000Z'\"");
    env.refused(&errors::SAVED_SEARCH_ETAG, |env| {
        env.arm("PUT", &path("q"), API, Some(stale))
    });
    // With the current etag: replaced, with a new etag.
    let mut current = body("Syslog");
    current["etag"] = json!(etag);
    let second = env.arm("PUT", &path("q"), API, Some(current));
    assert_eq!(second.status, 200);
    assert_eq!(second.body["properties"]["query"], "Syslog");
    assert_ne!(
        second.body["etag"], first.body["etag"],
        "each write has a new etag"
    );
    // With `*`: replaced whatever the etag.
    let mut star = body("SecurityEvent");
    star["etag"] = json!("*");
    assert_eq!(env.arm("PUT", &path("q"), API, Some(star)).status, 200);
}

/// Without a `Query` linked storage account, saved searches live in the workspace, under a
/// Microsoft-managed key (even when the workspace's logs are under the customer's key).
#[test]
fn without_a_query_link_saved_searches_live_in_the_workspace_under_a_microsoft_managed_key() {
    let mut env = Env::new();
    env.provisioned();
    let ws_path = env.e.snapshot().workspaces[0].id.clone();
    let r = env.arm(
        "PUT",
        &format!("{ws_path}/savedSearches/q"),
        API,
        Some(body("Heartbeat")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let snap = env.e.snapshot();
    let ws = &snap.workspaces[0];
    assert_eq!(
        ws.link_state, "Linked",
        "the workspace's logs are under the cluster's key"
    );
    assert_eq!(ws.saved_searches.len(), 1);
    assert_eq!(ws.saved_searches[0].stored_in, "workspace");
    assert_eq!(ws.saved_searches[0].protection, "MMK");
    assert!(snap.timeline.iter().any(|t| {
        t.text
            .contains("stored in the workspace, under a Microsoft-managed key")
    }));
}

#[test]
fn a_saved_search_of_a_missing_workspace_is_not_found() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("PUT", &path("q"), API, Some(body("Heartbeat")))
    });
}
