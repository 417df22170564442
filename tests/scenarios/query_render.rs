//! `render` through the Query API: the rows are the same with or without it, and the answer
//! carries the visualization only when the request says `Prefer: include-render=true`
//! (learn.microsoft.com/azure/azure-monitor/logs/api/prefer-options).

use crate::common;
use cmk_playground::engine::Response;
use common::*;
use serde_json::{Value, json};

fn query(env: &mut Env, id: &str, q: &str, prefer: Option<&str>) -> Response {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(p) = prefer {
        headers.push(("Prefer", p));
    }
    env.e.handle(
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
        &headers,
        Some(&json!({ "query": q, "timespan": "P1D" }).to_string()),
    )
}

fn with_data() -> (Env, String) {
    let (mut env, id) = provisioned_workspace();
    let records =
        json!([{ "Step": "a", "N": 1 }, { "Step": "b", "N": 2 }, { "Step": "a", "N": 3 }]);
    assert_eq!(post_logs(&mut env.e, &id, "Runbook", &records).status, 200);
    env.advance(60);
    (env, id)
}

const Q: &str = "Runbook_CL | summarize count() by Step_s | sort by Step_s asc";

#[test]
fn render_annotates_the_answer_only_when_the_request_prefers_it() {
    let (mut env, id) = with_data();
    let plain = query(&mut env, &id, Q, None);
    assert_eq!(plain.status, 200, "{plain:?}");
    let rendered = format!("{Q} | render columnchart with (title=\"Steps\", legend=hidden)");
    let without = query(&mut env, &id, &rendered, None);
    assert_eq!(without.status, 200, "{without:?}");
    // Without the preference the answer is exactly the query's without `render`.
    assert_eq!(without.body, plain.body);
    assert!(without.body.get("render").is_none());

    let with = query(&mut env, &id, &rendered, Some("include-render=true"));
    assert_eq!(with.status, 200, "{with:?}");
    assert_eq!(with.body["tables"], plain.body["tables"]);
    assert_eq!(
        with.body["render"],
        json!({
            "visualization": "columnchart",
            "title": "Steps",
            "accumulate": false,
            "isQuerySorted": true,
            "kind": "default",
            "annotation": "",
            "by": null,
            "legend": "hidden",
        })
    );
    // One preference among others; `false` is not asking.
    let among = query(
        &mut env,
        &id,
        &rendered,
        Some("wait=60, include-render=true"),
    );
    assert_eq!(among.body["render"]["visualization"], json!("columnchart"));
    let no = query(&mut env, &id, &rendered, Some("include-render=false"));
    assert!(no.body.get("render").is_none());
    // Asking, with a query that renders nothing: no render property.
    let none = query(&mut env, &id, Q, Some("include-render=true"));
    assert!(none.body.get("render").is_none());
}

/// The documentation's own example form: `render barchart title='…'` without `with (…)`.
#[test]
fn the_documented_example_form_answers_the_documented_shape() {
    let (mut env, id) = with_data();
    let r = query(
        &mut env,
        &id,
        "Runbook_CL | summarize count() by bin(TimeGenerated, 4h) | render barchart title='24H Perf events'",
        Some("include-render=true"),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["render"],
        json!({
            "visualization": "barchart",
            "title": "24H Perf events",
            "accumulate": false,
            "isQuerySorted": false,
            "kind": "default",
            "annotation": "",
            "by": null,
        })
    );
}

#[test]
fn a_batch_item_asks_for_render_in_its_own_headers() {
    let (mut env, id) = with_data();
    let item = |i: &str, prefer: Option<&str>| {
        let mut headers = json!({ "Content-Type": "application/json" });
        if let Some(p) = prefer {
            headers["Prefer"] = json!(p);
        }
        json!({
            "id": i, "headers": headers, "method": "POST", "path": "/query", "workspace": id,
            "body": { "query": format!("{Q} | render piechart"), "timespan": "P1D" },
        })
    };
    let r = env.e.handle(
        "POST",
        "https://api.loganalytics.io/v1/$batch",
        &[("Content-Type", "application/json")],
        Some(
            &json!({ "requests": [item("a", Some("include-render=true")), item("b", None)] })
                .to_string(),
        ),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let answers: &Vec<Value> = r.body["responses"].as_array().unwrap();
    assert_eq!(
        answers[0]["body"]["render"]["visualization"],
        json!("piechart")
    );
    assert!(answers[1]["body"].get("render").is_none());
}

#[test]
fn render_not_last_and_other_visualizations_are_refused_whole() {
    let (mut env, id) = with_data();
    let r = query(
        &mut env,
        &id,
        "Runbook_CL | render timechart | take 1",
        Some("include-render=true"),
    );
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        r.body["error"]["innererror"]["code"],
        json!("SemanticError")
    );
    let r = query(&mut env, &id, "Runbook_CL | render scatterchart", None);
    assert_eq!(r.status, 400, "{r:?}");
    let detail = &r.body["error"]["innererror"];
    assert_eq!(detail["code"], json!("PlaygroundUnsupported"), "{r:?}");
    assert_eq!(detail["token"], json!("scatterchart"));
}
