//! Log search alert rules (`Microsoft.Insights/scheduledQueryRules`, 2023-12-01 and previews):
//! create, read, update, delete and list, validated before anything changes, and the linked
//! storage check: `checkWorkspaceAlertsStorageConfigured` "Specifies whether to check linked
//! storage and fail creation if the storage was not found".

mod common;

use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

const API: &str = "2023-12-01";

fn rule_path(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/scheduledQueryRules/{name}"
    )
}

fn env() -> Env {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    env
}

fn rule(check: bool) -> Value {
    json!({
        "location": "eastus",
        "kind": "LogAlert",
        "properties": {
            "description": "Errors seen",
            "severity": 2,
            "enabled": true,
            "evaluationFrequency": "PT5M",
            "windowSize": "PT10M",
            "scopes": [Env::workspace_path(WS)],
            "criteria": { "allOf": [{
                "query": "AppEvents_CL | where Level_s == 'Error'",
                "timeAggregation": "Count",
                "operator": "GreaterThan",
                "threshold": 0,
                "failingPeriods": { "numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1 }
            }] },
            "checkWorkspaceAlertsStorageConfigured": check
        }
    })
}

#[test]
fn a_rule_is_created_read_updated_listed_and_deleted() {
    let mut env = env();
    let r = env.arm("PUT", &rule_path("errors"), API, Some(rule(false)));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["type"], "Microsoft.Insights/scheduledQueryRules");
    assert_eq!(
        r.body["properties"]["isWorkspaceAlertsStorageConfigured"],
        false
    );
    assert_eq!(r.body["properties"]["createdWithApiVersion"], API);
    assert_eq!(
        env.arm("PUT", &rule_path("errors"), API, Some(rule(false)))
            .status,
        200
    );
    let patched = env.arm(
        "PATCH",
        &rule_path("errors"),
        API,
        Some(json!({ "properties": { "enabled": false } })),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["properties"]["enabled"], false);
    assert_eq!(
        patched.body["properties"]["windowSize"], "PT10M",
        "PATCH keeps what it does not name"
    );
    for list in [
        format!(
            "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Insights/scheduledQueryRules"
        ),
        format!("/subscriptions/{SUB}/providers/Microsoft.Insights/scheduledQueryRules"),
    ] {
        let l = env.arm("GET", &list, API, None);
        assert_eq!(l.status, 200, "{list}: {}", l.body);
        assert_eq!(l.body["value"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        env.arm("GET", &rule_path("errors"), "2025-01-01-preview", None)
            .status,
        200
    );
    assert_eq!(
        env.arm("DELETE", &rule_path("errors"), API, None).status,
        200
    );
    assert_eq!(
        env.arm("DELETE", &rule_path("errors"), API, None).status,
        204
    );
    env.refused(&errors::RESOURCE_NOT_FOUND, |env| {
        env.arm("GET", &rule_path("errors"), API, None)
    });
}

/// Without an `Alerts` linked storage account, a rule that asks for the check is refused, and
/// nothing is created; without the check it is created and says the storage is not configured.
#[test]
fn check_workspace_alerts_storage_configured_fails_creation_without_an_alerts_link() {
    let mut env = env();
    let r = env.refused(&errors::ALERTS_STORAGE_NOT_CONFIGURED, |env| {
        env.arm("PUT", &rule_path("byos"), API, Some(rule(true)))
    });
    assert!(r.body["error"]["message"].as_str().unwrap().contains(WS));
    let r = env.arm("PUT", &rule_path("byos"), API, Some(rule(false)));
    assert_eq!(
        r.body["properties"]["isWorkspaceAlertsStorageConfigured"],
        false
    );
}

#[test]
fn a_rule_is_validated_before_anything_changes() {
    let mut env = env();
    let cases: Vec<(&str, Value)> = vec![
        ("scopes", json!([])),
        (
            "scopes",
            json!([
                "/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/none"
            ]),
        ),
        ("criteria", json!({ "allOf": [{ "query": "" }] })),
        (
            "criteria",
            json!({ "allOf": [{ "query": "AppEvents_CL | where (" }] }),
        ),
        ("evaluationFrequency", json!("five minutes")),
        ("windowSize", Value::Null),
        ("severity", json!(7)),
    ];
    for (field, value) in cases {
        let mut b = rule(false);
        if value.is_null() {
            b["properties"].as_object_mut().unwrap().remove(field);
        } else {
            b["properties"][field] = value;
        }
        env.refused(&errors::ALERT_RULE_INVALID, |env| {
            env.arm("PUT", &rule_path("bad"), API, Some(b))
        });
    }
    let mut b = rule(false);
    b.as_object_mut().unwrap().remove("location");
    env.refused(&errors::LOCATION_REQUIRED, |env| {
        env.arm("PUT", &rule_path("bad"), API, Some(b))
    });
    env.refused(&errors::INVALID_API_VERSION, |env| {
        env.arm("PUT", &rule_path("bad"), "2018-04-16", Some(rule(false)))
    });
}
