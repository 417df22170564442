//! The Log Analytics Query API's other ways in, as azure-monitor-query's `LogsQueryClient` sends
//! them: `$batch` (`query_batch`: several queries in one POST, each answered as it would be
//! alone) and a workspace's resource id in the path (`query_resource`).

use crate::common;
use cmk_playground::engine::Response;
use cmk_playground::engine::errors;
use common::*;
use serde_json::{Value, json};

const BATCH: &str = "https://api.loganalytics.io/v1/$batch";

fn batch(env: &mut Env, requests: Value) -> Response {
    env.e.handle(
        "POST",
        BATCH,
        &[("Content-Type", "application/json")],
        Some(&json!({ "requests": requests }).to_string()),
    )
}

fn item(id: &str, workspace: &str, q: &str) -> Value {
    json!({
        "id": id,
        "headers": { "Content-Type": "application/json" },
        "body": { "query": q, "timespan": "P1D" },
        "method": "POST",
        "path": "/query",
        "workspace": workspace,
    })
}

/// Each answer of a batch is the status and body the query alone gets, under the request's id,
/// in the order of the requests; failures (syntax, unknown table, unknown workspace) are answers
/// inside a 200, not a failed batch.
#[test]
fn a_batch_answers_each_query_as_it_would_be_answered_alone() {
    let (mut env, id) = provisioned_workspace();
    let records = json!([{ "Step": "batch", "N": 1 }, { "Step": "batch", "N": 2 }]);
    assert_eq!(post_logs(&mut env.e, &id, "Runbook", &records).status, 200);
    env.advance(60);
    let queries = [
        ("a", id.as_str(), "Runbook_CL | count"),
        ("b", id.as_str(), "Heartbeat | take 5"),
        ("c", id.as_str(), "Runbook_CL | where"),
        ("d", id.as_str(), "NoSuchTable_CL | take 1"),
        (
            "e",
            "00000000-0000-4000-8000-000000000000",
            "Runbook_CL | count",
        ),
    ];
    let r = batch(
        &mut env,
        Value::Array(queries.iter().map(|(i, w, q)| item(i, w, q)).collect()),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let answers = r.body["responses"].as_array().unwrap().clone();
    assert_eq!(answers.len(), queries.len());
    for ((i, w, q), answer) in queries.iter().zip(&answers) {
        let alone = env.e.handle(
            "POST",
            &format!("https://api.loganalytics.io/v1/workspaces/{w}/query"),
            &[("Content-Type", "application/json")],
            Some(&json!({ "query": q, "timespan": "P1D" }).to_string()),
        );
        assert_eq!(answer["id"], json!(i));
        assert_eq!(answer["status"], json!(alone.status), "{q}: {answer}");
        assert_eq!(answer["body"], alone.body, "{q}");
    }
    assert_eq!(answers[0]["body"]["tables"][0]["rows"], json!([[2]]));
    assert_eq!(answers[1]["body"]["tables"][0]["rows"], json!([]));
    assert_eq!(answers[2]["status"], json!(400));
    assert_eq!(
        answers[3]["body"]["error"]["code"],
        json!("BadArgumentError")
    );
    assert_eq!(answers[4]["status"], json!(404));
}

/// A query of a batch that cannot read its data (the key revoked) fails inside the batch as it
/// fails alone: 403 CustomerManagedKeyUnavailable.
#[test]
fn a_batch_query_of_a_revoked_workspace_fails_inside_the_batch() {
    let (mut env, id) = provisioned_workspace();
    let records = json!([{ "Step": "batch" }]);
    assert_eq!(post_logs(&mut env.e, &id, "Runbook", &records).status, 200);
    env.advance(60);
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(r.status, 200, "{r:?}");
    env.advance(2 * HOUR);
    let r = batch(&mut env, json!([item("1", &id, "Runbook_CL | count")]));
    assert_eq!(r.status, 200, "{r:?}");
    let answer = &r.body["responses"][0];
    assert_eq!(answer["status"], json!(403), "{answer}");
    assert_eq!(
        answer["body"]["error"]["innererror"]["code"],
        json!("CustomerManagedKeyUnavailable")
    );
}

/// A batch that is not a list of requests is refused whole and changes nothing; `$batch` is
/// POST only.
#[test]
fn a_batch_without_requests_is_refused() {
    let (mut env, _) = provisioned_workspace();
    env.refused(&errors::QUERY_BAD_ARGUMENT, |env| {
        env.e.handle("POST", BATCH, &[], Some(r#"{"queries": []}"#))
    });
    env.refused(&errors::QUERY_BAD_ARGUMENT, |env| {
        env.e.handle("POST", BATCH, &[], Some("not json"))
    });
    env.refused(&errors::QUERY_PATH_NOT_FOUND, |env| {
        env.e.handle("GET", BATCH, &[], None)
    });
}

/// Each query of a batch is authorized on its own workspace: a caller who may read one workspace
/// and not another gets the first's rows and the second's 403 in the same batch.
#[test]
fn a_batch_authorizes_each_query_on_its_own_workspace() {
    use cmk_playground::engine::world::{RUNBOOK_APP_ID, RUNBOOK_APP_SECRET};
    let (mut env, id) = provisioned_workspace();
    // A workspace in the second subscription, where the runbook's application holds no role.
    env.group_in(SUB2, "other-rg", "eastus");
    let path = format!(
        "/subscriptions/{SUB2}/resourceGroups/other-rg/providers/Microsoft.OperationalInsights/workspaces/other-ws"
    );
    let r = env.arm("PUT", &path, OI, Some(json!({ "location": "eastus" })));
    assert!(r.status < 300, "{}", r.body);
    let other = r.body["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string();
    env.e.set_implicit_sign_in(false);
    let r = env.e.handle(
        "POST",
        &format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&format!(
            "grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret={}&scope=https%3A%2F%2Fapi.loganalytics.io%2F.default",
            RUNBOOK_APP_SECRET.replace('~', "%7E")
        )),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let auth = format!("Bearer {}", r.body["access_token"].as_str().unwrap());
    let body = json!({ "requests": [
        item("mine", &id, "Heartbeat | take 1"),
        item("theirs", &other, "Heartbeat | take 1"),
    ]});
    let r = env.e.handle(
        "POST",
        BATCH,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["responses"][0]["status"], json!(200), "{}", r.body);
    let theirs = &r.body["responses"][1];
    assert_eq!(
        theirs["status"],
        json!(errors::QUERY_INSUFFICIENT_ACCESS.status),
        "{theirs}"
    );
    assert_eq!(
        theirs["body"]["error"]["code"],
        json!(errors::QUERY_INSUFFICIENT_ACCESS.code)
    );
}

/// A workspace's resource id in place of `workspaces/{customerId}` (azure-monitor-query's
/// `query_resource`) is the same query of the same workspace; an unknown resource is the Query
/// API's 404.
#[test]
fn a_query_by_the_workspaces_resource_id_is_the_same_query() {
    let (mut env, id) = provisioned_workspace();
    let records = json!([{ "Step": "resource" }, { "Step": "resource" }]);
    assert_eq!(post_logs(&mut env.e, &id, "Runbook", &records).status, 200);
    env.advance(60);
    let by_id = query(&mut env.e, &id, "Runbook_CL | count");
    let resource = format!(
        "https://api.loganalytics.io/v1/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{WS}/query"
    );
    let body = json!({ "query": "Runbook_CL | count" }).to_string();
    let r = env.e.handle(
        "POST",
        &resource,
        &[("Content-Type", "application/json")],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, by_id.body);
    assert_eq!(rows(&r), vec![json!([2])]);
    env.refused(&errors::QUERY_PATH_NOT_FOUND, |env| {
        let other = resource.replace(WS, "no-such-workspace");
        env.e.handle(
            "POST",
            &other,
            &[("Content-Type", "application/json")],
            Some(&body),
        )
    });
}

#[test]
fn kql_outside_the_playgrounds_subset_fails_the_whole_query_naming_the_construct() {
    let (mut env, id) = provisioned_workspace();
    let r = env.refused(&errors::QUERY_UNSUPPORTED, |env| {
        query(
            &mut env.e,
            &id,
            "Heartbeat | summarize count() by bin(TimeGenerated, 1h) | render scatterchart",
        )
    });
    let inner = &r.body["error"]["innererror"];
    assert_eq!(inner["code"], "PlaygroundUnsupported");
    assert_eq!(inner["token"], "scatterchart");
    assert!(
        inner["message"]
            .as_str()
            .unwrap()
            .starts_with("The playground's KQL subset does not support the 'scatterchart' visualization (line 1, position 65), so the query was not run."),
        "{}",
        r.body
    );
}
