//! Log search alert rules (`Microsoft.Insights/scheduledQueryRules`, 2023-12-01 and previews):
//! create, read, update, delete and list, validated before anything changes, and the linked
//! storage check: `checkWorkspaceAlertsStorageConfigured` "Specifies whether to check linked
//! storage and fail creation if the storage was not found". Rules are evaluated on the virtual
//! clock and fire alerts listed by `Microsoft.AlertsManagement/alerts`; without an `Alerts`
//! link a fired alert carries its query and results (with one, "Fired log alerts will not
//! contains search results or alert query").

use crate::common;

use cmk_playground::engine::clock::iso;
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

// ---- evaluation on the clock and fired alerts ---------------------------------------------------

const AM: &str = "2019-05-05-preview";

fn alerts_path() -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.AlertsManagement/alerts")
}

/// The fired alerts of the subscription, oldest GUID first (as listed).
#[track_caller]
fn fired(env: &mut Env) -> Vec<Value> {
    let r = env.arm("GET", &alerts_path(), AM, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"].as_array().unwrap().clone()
}

fn condition(alert: &Value) -> &Value {
    &alert["properties"]["context"]["condition"]["allOf"][0]
}

/// A rule evaluated every 5 minutes over the last 5 minutes: error rows counted against
/// `threshold`, with `extra` merged into `criteria.allOf[0]`.
fn counting_rule(threshold: u64, extra: Value) -> Value {
    let mut b = rule(false);
    b["properties"]["windowSize"] = json!("PT5M");
    b["properties"]["criteria"]["allOf"][0]["threshold"] = json!(threshold);
    if let Value::Object(m) = extra {
        for (k, v) in m {
            b["properties"]["criteria"]["allOf"][0][k] = v;
        }
    }
    b
}

fn put_rule(env: &mut Env, name: &str, body: Value) {
    let r = env.arm("PUT", &rule_path(name), API, Some(body));
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

/// Posts `n` records to `AppEvents_CL` (columns `Level_s`, `Computer_s`, `Duration_d`).
fn post_events(env: &mut Env, level: &str, computer: &str, durations: &[f64]) {
    let id = customer_id(env, WS);
    let records: Vec<Value> = durations
        .iter()
        .map(|d| json!({ "Level": level, "Computer": computer, "Duration": d }))
        .collect();
    let r = post_logs(&mut env.e, &id, "AppEvents", &json!(records));
    assert_eq!(r.status, 200, "{}", r.body);
}

fn post_errors(env: &mut Env, n: usize) {
    post_events(env, "Error", "web1", &vec![1.0; n]);
}

#[test]
fn rule_evaluates_every_evaluation_frequency_on_the_clock() {
    let mut env = env();
    let t0 = env.e.now();
    post_errors(&mut env, 1);
    put_rule(&mut env, "errors", counting_rule(0, json!({})));
    assert!(env.timeline_has("is evaluated every 5m over the last 5m"));
    // The first evaluation is one frequency after the rule was created.
    env.advance(299);
    assert!(fired(&mut env).is_empty());
    env.advance(1);
    let a = fired(&mut env);
    assert_eq!(a.len(), 1);
    let essentials = &a[0]["properties"]["essentials"];
    assert_eq!(essentials["startDateTime"], iso(t0 + 300));
    // From the next one, 5 minutes later, the row has left the 5-minute window; at a 5-minute
    // frequency the alert resolves once "The alert condition isn't met for three frequency
    // periods".
    env.advance(899);
    assert_eq!(
        fired(&mut env)[0]["properties"]["essentials"]["monitorCondition"],
        "Fired"
    );
    env.advance(1);
    let essentials = &fired(&mut env)[0]["properties"]["essentials"];
    assert_eq!(essentials["monitorCondition"], "Resolved");
    assert_eq!(
        essentials["monitorConditionResolvedDateTime"],
        iso(t0 + 1200)
    );
    // And again 5 minutes after that.
    post_errors(&mut env, 1);
    env.advance(299);
    assert_eq!(fired(&mut env).len(), 1);
    env.advance(1);
    assert_eq!(fired(&mut env).len(), 2);
}

#[test]
fn an_updated_rule_is_rescheduled_one_frequency_after_the_update() {
    let mut env = env();
    post_errors(&mut env, 1);
    put_rule(&mut env, "errors", counting_rule(0, json!({})));
    env.advance(200);
    let mut b = counting_rule(0, json!({}));
    b["properties"]["windowSize"] = json!("PT10M");
    put_rule(&mut env, "errors", b);
    env.advance(299);
    assert!(fired(&mut env).is_empty(), "not at the first schedule");
    env.advance(1);
    assert_eq!(fired(&mut env).len(), 1, "5 minutes after the update");
}

#[test]
fn count_above_threshold_fires_an_alert_listed_by_alerts_management() {
    let mut env = env();
    put_rule(&mut env, "errors", counting_rule(2, json!({})));
    post_errors(&mut env, 2);
    env.advance(300);
    assert!(fired(&mut env).is_empty(), "2 is not greater than 2");
    post_errors(&mut env, 3);
    env.advance(300);
    let a = fired(&mut env);
    assert_eq!(a.len(), 1);
    let alert = &a[0];
    let guid = alert["id"].as_str().unwrap().rsplit('/').next().unwrap();
    assert!(cmk_playground::engine::arm::is_guid(guid), "{guid}");
    assert_eq!(
        alert["id"],
        format!("{}/{guid}", alerts_path()),
        "a subscription-scope resource"
    );
    assert_eq!(alert["name"], "errors");
    assert_eq!(alert["type"], "Microsoft.AlertsManagement/alerts");
    let e = &alert["properties"]["essentials"];
    assert_eq!(e["severity"], "Sev2");
    assert_eq!(e["signalType"], "Log");
    assert_eq!(e["alertState"], "New");
    assert_eq!(e["monitorCondition"], "Fired");
    assert_eq!(e["monitorService"], "Log Alerts V2");
    assert_eq!(
        e["targetResourceType"],
        "microsoft.operationalinsights/workspaces"
    );
    assert_eq!(e["targetResourceName"], WS);
    let ws = env.arm("GET", &Env::workspace_path(WS), OI, None).body["id"].clone();
    assert_eq!(e["targetResource"], ws);
    let rule_id = env.arm("GET", &rule_path("errors"), API, None).body["id"].clone();
    assert_eq!(e["alertRule"], rule_id);
    assert_eq!(e["description"], "Errors seen");
    assert!(e.get("monitorConditionResolvedDateTime").is_none());
    let c = condition(alert);
    assert_eq!(c["metricValue"], 3.0);
    assert_eq!(c["operator"], "GreaterThan");
    assert_eq!(c["threshold"], 2);
    // One alert, by its id, at both api-versions.
    for version in [AM, "2023-07-12-preview"] {
        let one = env.arm("GET", &format!("{}/{guid}", alerts_path()), version, None);
        assert_eq!(one.status, 200, "{}", one.body);
        assert_eq!(&one.body, alert);
    }
    assert!(
        env.last_alert()
            .contains("Log search alert rule errors fired (Sev2)")
    );
    let snap = env.e.snapshot();
    assert_eq!(snap.fired_alerts.len(), 1);
    let v = &snap.fired_alerts[0];
    assert_eq!(v.rule_name, "errors");
    assert_eq!(v.severity, "Sev2");
    assert_eq!(v.monitor_condition, "Fired");
    assert_eq!(v.metric_value, 3.0);
    // Still firing at the next evaluation: the same alert, no second one.
    post_errors(&mut env, 3);
    env.advance(300);
    assert_eq!(fired(&mut env).len(), 1);
    // Other subscriptions have none.
    let other = env.arm(
        "GET",
        &format!("/subscriptions/{SUB2}/providers/Microsoft.AlertsManagement/alerts"),
        AM,
        None,
    );
    assert_eq!(other.body["value"], json!([]));
}

#[test]
fn an_unknown_alert_id_is_not_found() {
    let mut env = env();
    put_rule(&mut env, "errors", counting_rule(0, json!({})));
    post_errors(&mut env, 1);
    env.advance(300);
    assert_eq!(fired(&mut env).len(), 1);
    let r = env.refused(&errors::FIRED_ALERT_NOT_FOUND, |env| {
        env.arm(
            "GET",
            &format!("{}/00000000-0000-4000-8000-000000000000", alerts_path()),
            AM,
            None,
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("00000000-0000-4000-8000-000000000000")
    );
    // An alert of another subscription is not found in this one.
    let id = fired(&mut env)[0]["id"].as_str().unwrap().to_string();
    let other = id.replace(SUB, SUB2);
    env.refused(&errors::FIRED_ALERT_NOT_FOUND, |env| {
        env.arm("GET", &other, AM, None)
    });
    env.refused(&errors::INVALID_API_VERSION, |env| {
        env.arm("GET", &alerts_path(), "2018-05-05", None)
    });
    env.refused(&errors::METHOD_NOT_ALLOWED, |env| {
        env.arm("DELETE", &id, AM, None)
    });
}

#[test]
fn dimensions_split_alerts() {
    let mut env = env();
    let split = |operator: &str, values: Value| {
        counting_rule(
            0,
            json!({ "dimensions": [{ "name": "Computer_s", "operator": operator, "values": values }] }),
        )
    };
    put_rule(&mut env, "every", split("Include", json!(["*"])));
    put_rule(&mut env, "listed", split("Include", json!(["web1", "db1"])));
    put_rule(&mut env, "excluded", split("Exclude", json!(["web1"])));
    post_events(&mut env, "Error", "web1", &[1.0, 1.0]);
    post_events(&mut env, "Error", "web2", &[1.0]);
    post_events(&mut env, "Error", "db1", &[1.0]);
    env.advance(300);
    let snap = env.e.snapshot();
    let of = |rule: &str| -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = snap
            .fired_alerts
            .iter()
            .filter(|a| a.rule_name == rule)
            .map(|a| {
                assert_eq!(a.dimensions.len(), 1);
                assert_eq!(a.dimensions[0].0, "Computer_s");
                (a.dimensions[0].1.clone(), a.metric_value)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let pairs = |p: &[(&str, f64)]| -> Vec<(String, f64)> {
        p.iter().map(|(a, b)| (a.to_string(), *b)).collect()
    };
    assert_eq!(
        of("every"),
        pairs(&[("db1", 1.0), ("web1", 2.0), ("web2", 1.0)])
    );
    assert_eq!(of("listed"), pairs(&[("db1", 1.0), ("web1", 2.0)]));
    assert_eq!(of("excluded"), pairs(&[("db1", 1.0), ("web2", 1.0)]));
    // The API says which combination each alert is for.
    let web1 = fired(&mut env)
        .into_iter()
        .find(|a| a["name"] == "every" && condition(a)["metricValue"] == 2.0)
        .unwrap();
    assert_eq!(
        condition(&web1)["dimensions"],
        json!([{ "name": "Computer_s", "value": "web1" }])
    );
    // Only the combinations that clear resolve.
    for _ in 0..3 {
        post_events(&mut env, "Error", "web2", &[1.0]);
        env.advance(300);
    }
    let snap = env.e.snapshot();
    let every: Vec<(String, String)> = snap
        .fired_alerts
        .iter()
        .filter(|a| a.rule_name == "every")
        .map(|a| (a.dimensions[0].1.clone(), a.monitor_condition.clone()))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(
        every,
        vec![
            ("db1".to_string(), "Resolved".to_string()),
            ("web1".to_string(), "Resolved".to_string()),
            ("web2".to_string(), "Fired".to_string()),
        ]
    );
}

#[test]
fn time_aggregation_measures_the_metric_measure_column() {
    let mut env = env();
    for (name, aggregation, threshold) in [
        ("avg", "Average", 2),
        ("min", "Minimum", 0),
        ("max", "Maximum", 5),
        ("total", "Total", 9),
    ] {
        put_rule(
            &mut env,
            name,
            counting_rule(
                threshold,
                json!({ "timeAggregation": aggregation, "metricMeasureColumn": "Duration_d" }),
            ),
        );
    }
    post_events(&mut env, "Error", "web1", &[1.0, 2.0, 6.0]);
    env.advance(300);
    let snap = env.e.snapshot();
    let value = |rule: &str| {
        snap.fired_alerts
            .iter()
            .find(|a| a.rule_name == rule)
            .map(|a| a.metric_value)
    };
    assert_eq!(value("avg"), Some(3.0));
    assert_eq!(value("min"), Some(1.0));
    assert_eq!(value("max"), Some(6.0));
    assert_eq!(value("total"), None, "9 is not greater than 9");
}

#[test]
fn operators_compare_the_value_with_the_threshold() {
    let mut env = env();
    for operator in [
        "GreaterThan",
        "GreaterThanOrEqual",
        "LessThan",
        "LessThanOrEqual",
        "Equal",
    ] {
        put_rule(
            &mut env,
            operator,
            counting_rule(2, json!({ "operator": operator })),
        );
    }
    post_errors(&mut env, 2);
    env.advance(300);
    let mut names: Vec<String> = env
        .e
        .snapshot()
        .fired_alerts
        .iter()
        .map(|a| a.rule_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["Equal", "GreaterThanOrEqual", "LessThanOrEqual"]);
}

#[test]
fn failing_periods_need_min_failing_periods_of_the_last_evaluations() {
    let mut env = env();
    put_rule(&mut env, "errors", {
        let mut b = counting_rule(
            0,
            json!({ "failingPeriods": { "numberOfEvaluationPeriods": 3, "minFailingPeriodsToAlert": 2 } }),
        );
        // Resolved at the first evaluation that does not meet the condition.
        b["properties"]["ruleResolveConfiguration"] =
            json!({ "autoResolved": true, "timeToResolve": "PT5M" });
        b
    });
    post_errors(&mut env, 1);
    env.advance(300);
    assert!(fired(&mut env).is_empty(), "1 failing period of 2");
    env.advance(300);
    assert!(fired(&mut env).is_empty(), "still 1 of the last 3");
    post_errors(&mut env, 1);
    env.advance(300);
    let a = fired(&mut env);
    assert_eq!(a.len(), 1, "2 of the last 3");
    assert_eq!(
        condition(&a[0])["failingPeriods"],
        json!({ "numberOfEvaluationPeriods": 3, "minFailingPeriodsToAlert": 2 })
    );
    // While two of the last three failed it stays fired; at one of three it resolves.
    post_errors(&mut env, 1);
    env.advance(300);
    env.advance(300);
    assert_eq!(
        fired(&mut env)[0]["properties"]["essentials"]["monitorCondition"],
        "Fired"
    );
    env.advance(300);
    let a = fired(&mut env);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0]["properties"]["essentials"]["monitorCondition"],
        "Resolved"
    );
}

/// Stateful alerts resolve once "The alert condition isn't met for a specific time range":
/// three frequency periods from 5 to 15 minutes, two from 15 minutes to 11 hours, or
/// `ruleResolveConfiguration.timeToResolve`; without auto-resolve they stay fired.
#[test]
fn alert_resolves_when_condition_clears() {
    let mut env = env();
    let t0 = env.e.now();
    let with = |field: &str, value: Value| {
        let mut b = counting_rule(0, json!({}));
        b["properties"][field] = value;
        b
    };
    put_rule(&mut env, "stateful", counting_rule(0, json!({})));
    put_rule(
        &mut env,
        "quick",
        with(
            "ruleResolveConfiguration",
            json!({ "autoResolved": true, "timeToResolve": "PT10M" }),
        ),
    );
    let mut hourly = with("evaluationFrequency", json!("PT1H"));
    hourly["properties"]["windowSize"] = json!("PT1H");
    put_rule(&mut env, "hourly", hourly);
    put_rule(&mut env, "mitigate-off", with("autoMitigate", json!(false)));
    put_rule(
        &mut env,
        "resolve-off",
        with("ruleResolveConfiguration", json!({ "autoResolved": false })),
    );
    post_errors(&mut env, 1);
    let state = |env: &Env, rule: &str| {
        let snap = env.e.snapshot();
        let a = snap
            .fired_alerts
            .iter()
            .find(|a| a.rule_name == rule)
            .unwrap_or_else(|| panic!("no alert of {rule}"))
            .clone();
        (a.monitor_condition, a.resolved)
    };
    env.advance(300);
    assert_eq!(fired(&mut env).len(), 4, "all but the hourly rule");
    env.advance(600);
    assert_eq!(state(&env, "quick"), ("Resolved".into(), Some(t0 + 900)));
    assert_eq!(state(&env, "stateful"), ("Fired".into(), None));
    env.advance(300);
    assert_eq!(
        state(&env, "stateful"),
        ("Resolved".into(), Some(t0 + 1200))
    );
    assert!(env.timeline_has("resolved: its condition is no longer met"));
    env.advance(3 * HOUR);
    assert_eq!(
        state(&env, "hourly"),
        ("Resolved".into(), Some(t0 + 3 * HOUR))
    );
    assert_eq!(state(&env, "mitigate-off"), ("Fired".into(), None));
    assert_eq!(state(&env, "resolve-off"), ("Fired".into(), None));
    // Firing again later is a new alert.
    post_errors(&mut env, 1);
    env.advance(300);
    let stateful = env
        .e
        .snapshot()
        .fired_alerts
        .iter()
        .filter(|a| a.rule_name == "stateful")
        .count();
    assert_eq!(stateful, 2);
}

/// "Alerts are stored for 30 days and are deleted after the 30-day retention period"; "the alert
/// condition is stored until the alert is resolved, to prevent firing another alert".
#[test]
fn fired_alerts_are_deleted_after_30_days_and_a_stateful_condition_outlives_them() {
    let mut env = env();
    post_events(&mut env, "Information", "web1", &[1.0]);
    // No error rows at all: fewer than 1, every hour.
    let mut b = counting_rule(0, json!({ "operator": "LessThan", "threshold": 1 }));
    b["properties"]["evaluationFrequency"] = json!("PT1H");
    b["properties"]["windowSize"] = json!("PT1H");
    put_rule(&mut env, "quiet", b);
    env.advance(HOUR);
    assert_eq!(fired(&mut env).len(), 1);
    env.advance(30 * DAY - HOUR);
    assert_eq!(fired(&mut env).len(), 1, "still within 30 days");
    env.advance(2 * HOUR);
    assert!(fired(&mut env).is_empty(), "deleted after 30 days");
    env.advance(DAY);
    assert!(
        fired(&mut env).is_empty(),
        "the condition is still met and was never resolved: no second alert"
    );
}

#[test]
fn fired_alert_contains_query_and_results_without_byos() {
    let mut env = env();
    put_rule(
        &mut env,
        "errors",
        counting_rule(
            0,
            json!({ "dimensions": [{ "name": "Level_s", "operator": "Include", "values": ["*"] }] }),
        ),
    );
    post_errors(&mut env, 12);
    env.advance(300);
    let a = fired(&mut env);
    let c = condition(&a[0]);
    assert_eq!(c["searchQuery"], "AppEvents_CL | where Level_s == 'Error'");
    assert_eq!(c["metricValue"], 12.0);
    assert_eq!(c["operator"], "GreaterThan");
    assert_eq!(c["threshold"], 0);
    assert_eq!(
        c["dimensions"],
        json!([{ "name": "Level_s", "value": "Error" }])
    );
    let table = &c["searchResults"]["tables"][0];
    let columns: Vec<&str> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(columns.contains(&"Computer_s"), "{columns:?}");
    assert_eq!(
        table["rows"].as_array().unwrap().len(),
        10,
        "a sample of the results"
    );
    assert_eq!(
        a[0]["properties"]["context"]["condition"]["windowSize"],
        "PT5M"
    );
    let snap = env.e.snapshot();
    assert!(snap.fired_alerts[0].has_query && snap.fired_alerts[0].has_results);
    assert_eq!(
        snap.fired_alerts[0].dimensions,
        vec![("Level_s".to_string(), "Error".to_string())]
    );
}

#[test]
fn unreadable_workspace_data_fails_the_evaluation_and_fires_nothing() {
    let mut env = Env::new();
    let (version, _) = env.provisioned();
    post_errors(&mut env, 3);
    env.set_enabled(&version, false);
    env.advance(HOUR);
    let mut b = counting_rule(0, json!({}));
    b["properties"]["windowSize"] = json!("P1D");
    put_rule(&mut env, "errors", b);
    env.advance(300);
    assert!(fired(&mut env).is_empty());
    let why = env.last_alert();
    assert!(
        why.contains("Log search alert rule errors could not be evaluated: its query failed"),
        "{why}"
    );
    assert!(why.contains("No alert fires"), "{why}");
    // Said once while the reason stays the same.
    env.advance(HOUR);
    let said = env
        .e
        .timeline()
        .iter()
        .filter(|t| t.text.contains("could not be evaluated"))
        .count();
    assert_eq!(said, 1);
    assert!(fired(&mut env).is_empty());
    // Access restored: the rule is evaluated again and fires.
    env.set_enabled(&version, true);
    env.advance(HOUR);
    assert!(env.timeline_has("Log search alert rule errors is evaluated again"));
    assert_eq!(fired(&mut env).len(), 1);
}

#[test]
fn disabled_or_deleted_rule_stops_evaluating() {
    let mut env = env();
    put_rule(&mut env, "errors", counting_rule(0, json!({})));
    put_rule(&mut env, "gone", counting_rule(0, json!({})));
    let r = env.arm(
        "PATCH",
        &rule_path("errors"),
        API,
        Some(json!({ "properties": { "enabled": false } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(env.timeline_has("Log search alert rule errors is disabled: it is not evaluated"));
    assert_eq!(env.arm("DELETE", &rule_path("gone"), API, None).status, 200);
    post_errors(&mut env, 1);
    env.advance(HOUR);
    assert!(fired(&mut env).is_empty());
    // Enabled again: evaluated one frequency later.
    post_errors(&mut env, 1);
    let r = env.arm(
        "PATCH",
        &rule_path("errors"),
        API,
        Some(json!({ "properties": { "enabled": true } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    env.advance(300);
    assert_eq!(fired(&mut env).len(), 1);
    // Deleted: no more evaluations, so its alert is never resolved.
    assert_eq!(
        env.arm("DELETE", &rule_path("errors"), API, None).status,
        200
    );
    env.advance(HOUR);
    let snap = env.e.snapshot();
    assert_eq!(snap.fired_alerts.len(), 1);
    assert_eq!(snap.fired_alerts[0].monitor_condition, "Fired");
}
