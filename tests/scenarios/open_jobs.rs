//! Hot-cache reads opened by the host (the Worker's WebCrypto): the engine hands out the copies a
//! query may read, takes the plaintexts back, and answers exactly as when it opens them itself;
//! access is still checked first, so revocation stops the reads either way.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::Engine;
use cmk_playground::engine::crypto::{SymKey, gcm_open};
use cmk_playground::protocol::{self, Command};
use common::*;
use serde_json::json;

fn nonce(n: &[u8]) -> [u8; 12] {
    n.try_into().expect("a 96-bit nonce")
}

fn query_command(id: &str, q: &str) -> Command {
    Command::Request {
        method: "POST".into(),
        url: format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(json!({ "query": q }).to_string()),
    }
}

/// Opens every job as the Worker does (here with aes-gcm), then runs the command.
fn run_with_jobs(e: &mut Engine, cmd: &Command) -> (usize, protocol::Reply) {
    let Command::Request { url, body, .. } = cmd else {
        unreachable!("a request")
    };
    let jobs = e.open_jobs(url, body.as_deref());
    let n = jobs.len();
    for j in &jobs {
        let key = SymKey::from_bytes(&j.key).expect("a 256-bit key");
        let plain = gcm_open(&key, &nonce(&j.nonce), &j.aad, j.sealed()).expect("the copy opens");
        e.complete_open(j.block, j.column, plain);
    }
    (n, protocol::execute(e, cmd))
}

fn ingested() -> (Env, String) {
    let (mut env, id) = provisioned_workspace();
    let rows: Vec<_> = (0..300)
        .map(|i| json!({ "Level": if i % 3 == 0 { "err" } else { "ok" }, "Seq": i }))
        .collect();
    assert_eq!(post_logs(&mut env.e, &id, "App", &json!(rows)).status, 200);
    assert_eq!(
        post_logs(&mut env.e, &id, "Other", &json!([{ "X": 1 }])).status,
        200
    );
    (env, id)
}

#[test]
fn a_query_opened_by_the_host_answers_as_one_opened_by_the_engine() {
    let (mut a, id) = ingested();
    let (mut b, _) = ingested();
    let q = query_command(&id, "App_CL | where Level_s == 'err' | count");
    let (jobs, with) = run_with_jobs(&mut a.e, &q);
    let without = protocol::execute(&mut b.e, &q);
    assert!(jobs >= 1, "the App_CL copies are offered");
    let (r1, r2) = (with.response.unwrap(), without.response.unwrap());
    assert_eq!(r1.status, 200, "{}", r1.body);
    assert_eq!(r1.body["tables"], r2.body["tables"]);
    assert_eq!(r1.body["tables"][0]["rows"][0][0], json!(100));
    // Only the tables the query names are offered.
    let Command::Request { url, body, .. } = &q else {
        unreachable!()
    };
    let offered = a.e.open_jobs(url, body.as_deref());
    let blocks: std::collections::BTreeSet<u64> = offered.iter().map(|j| j.block).collect();
    let all = a.e.snapshot().storage.hot_blocks;
    assert!(
        blocks.len() < all,
        "{} of {all} hot copies offered",
        blocks.len()
    );
    // ... and of them only the columns it names: one chunk each.
    let columns: Vec<String> = offered
        .iter()
        .map(|j| {
            String::from_utf8_lossy(&j.aad)
                .rsplit('|')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(columns.iter().all(|c| c == "Level_s"), "{columns:?}");
    assert_eq!(offered.len(), blocks.len());
}

#[test]
fn requests_other_than_queries_and_other_workspaces_get_no_jobs() {
    let (mut env, id) = ingested();
    assert!(
        env.e
            .open_jobs(&format!("{ARM}/subscriptions?api-version=2022-12-01"), None)
            .is_empty()
    );
    let other =
        "https://api.loganalytics.io/v1/workspaces/00000000-0000-0000-0000-00000000abcd/query";
    assert!(
        env.e
            .open_jobs(other, Some(r#"{"query":"App_CL | count"}"#))
            .is_empty()
    );
    let _ = id;
}

#[test]
fn a_revoked_key_stops_the_read_even_with_the_plaintext_in_hand() {
    // Two identical worlds; in one the host opened the copies while the key was still usable.
    let world = || {
        let mut env = Env::new();
        let (version, _) = env.provisioned();
        let id = customer_id(&mut env, WS);
        let rows: Vec<_> = (0..30).map(|i| json!({ "Seq": i })).collect();
        assert_eq!(post_logs(&mut env.e, &id, "App", &json!(rows)).status, 200);
        (env, id, version)
    };
    let (mut a, id, version) = world();
    let (mut b, _, _) = world();
    let q = query_command(&id, "App_CL | count");
    let Command::Request { url, body, .. } = &q else {
        unreachable!()
    };
    let opened: Vec<_> =
        a.e.open_jobs(url, body.as_deref())
            .iter()
            .map(|j| {
                let key = SymKey::from_bytes(&j.key).unwrap();
                (
                    j.block,
                    j.column,
                    gcm_open(&key, &nonce(&j.nonce), &j.aad, j.sealed()).unwrap(),
                )
            })
            .collect();
    assert!(!opened.is_empty());
    // The key version is disabled, and storage honours it within the hour.
    for env in [&mut a, &mut b] {
        let r = env.kv(
            "PATCH",
            &format!("/keys/{KEY}/{version}"),
            Some(json!({ "attributes": { "enabled": false } })),
        );
        assert_eq!(r.status, 200);
        env.advance(HOUR);
    }
    for (block, column, plain) in opened {
        a.e.complete_open(block, column, plain);
    }
    let with = protocol::execute(&mut a.e, &q).response.unwrap();
    let without = protocol::execute(&mut b.e, &q).response.unwrap();
    assert!(with.status >= 400, "{}", with.body);
    assert_eq!(with.status, without.status);
    assert_eq!(
        with.body["error"]["message"],
        without.body["error"]["message"]
    );
    assert!(with.body.get("tables").is_none());
    // The unread plaintexts were dropped with the command.
    assert!(a.e.checkpoint() == b.e.checkpoint());
}
