//! The data path: ingestion, the KEK → AEK → DEK → block chain, double encryption, placement,
//! the hot cache, and queries over MMK and CMK data together.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use cmk_playground::engine::storage::TamperTarget;
use cmk_playground::engine::{Engine, Response};
use common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn records(n: usize, tag: &str) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({ "Tag": tag, "Seq": i, "Ok": i % 2 == 0 }))
            .collect(),
    )
}

/// Cluster provisioned, workspace linked, no key identifier yet (data under MMK).
fn linked_without_key() -> (Env, String, String) {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step5_link(WS);
    let id = customer_id(&mut env, WS);
    (env, id, principal)
}

#[test]
fn ingested_rows_come_back_unchanged_through_the_whole_chain() {
    let (mut env, id) = provisioned_workspace();
    let sent = json!([
        { "Message": "disk full on /var", "Level": 3, "Critical": true, "When": "2026-03-02T09:15:00.250Z", "Corr": "1b4e28ba-2fa1-11d2-883f-0016d3cca427" },
        { "Message": "ok", "Level": 1.5, "Critical": false }
    ]);
    assert_eq!(post_logs(&mut env.e, &id, "App", &sent).status, 200);
    let r = query(
        &mut env.e,
        &id,
        "App_CL | project Message_s, Level_d, Critical_b, When_t, Corr_g | order by Level_d desc",
    );
    let cols = columns(&r);
    assert_eq!(cols[0], ("Message_s".into(), "string".into()));
    assert_eq!(cols[1], ("Level_d".into(), "real".into()));
    assert_eq!(cols[2], ("Critical_b".into(), "bool".into()));
    assert_eq!(cols[3], ("When_t".into(), "datetime".into()));
    assert_eq!(cols[4], ("Corr_g".into(), "guid".into()));
    let got = rows(&r);
    assert_eq!(
        got[0],
        json!([
            "disk full on /var",
            3.0,
            true,
            "2026-03-02T09:15:00.2500000Z",
            "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        ])
    );
    assert_eq!(got[1], json!(["ok", 1.5, false, null, null]));
    // The blocks are CMK-protected and double encrypted.
    let snap = env.e.snapshot();
    let b = snap
        .storage
        .blocks
        .iter()
        .find(|b| b.table == "App_CL")
        .unwrap();
    assert!(b.cmk && b.double, "{b:?}");
}

#[test]
fn cmk_applies_only_to_data_ingested_after_the_key_identifier_is_configured() {
    let (mut env, id, principal) = linked_without_key();
    assert_eq!(
        post_logs(&mut env.e, &id, "Before", &records(3, "before")).status,
        200
    );
    env.step3_grant(&principal);
    env.step4_key("");
    assert_eq!(
        post_logs(&mut env.e, &id, "After", &records(2, "after")).status,
        200
    );
    let snap = env.e.snapshot();
    let before = snap
        .storage
        .blocks
        .iter()
        .find(|b| b.table == "Before_CL")
        .unwrap();
    let after = snap
        .storage
        .blocks
        .iter()
        .find(|b| b.table == "After_CL")
        .unwrap();
    assert!(
        !before.cmk,
        "data ingested before the configuration remains encrypted with Microsoft key"
    );
    assert!(after.cmk, "new data is encrypted with the customer's key");
    assert_ne!(
        before.account, after.account,
        "a new storage account with a new AEK takes the CMK data"
    );
    let cmk_account = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.name == after.account)
        .unwrap();
    assert_eq!(cmk_account.protection, "CMK");
    assert_eq!(cmk_account.key.as_ref().unwrap().key_name, KEY);
    // ...and the two are queried together seamlessly.
    assert_eq!(
        rows(&query(&mut env.e, &id, "Before_CL | count"))[0],
        json!([3])
    );
    assert_eq!(
        rows(&query(&mut env.e, &id, "After_CL | count"))[0],
        json!([2])
    );
}

#[test]
fn the_aek_is_wrapped_and_unwrapped_by_key_vault_with_the_cluster_identity() {
    let mut env = Env::new();
    let (_, principal) = env.provisioned();
    let wraps: Vec<_> = env
        .e
        .audit_log()
        .iter()
        .filter(|a| a.operation == "KeyWrap" && a.caller_object_id == principal)
        .collect();
    assert_eq!(
        wraps.len(),
        1,
        "one wrapkey when the key identifier is adopted"
    );
    assert_eq!(wraps[0].status, 200);
    let id = customer_id(&mut env, WS);
    env.advance(3600); // the cached AEK is stale now
    post_logs(&mut env.e, &id, "App", &records(1, "x"));
    assert!(
        env.e.audit_log().iter().any(|a| a.operation == "KeyUnwrap"
            && a.caller_object_id == principal
            && a.status == 200),
        "storage refreshes its AEK through unwrapkey"
    );
}

#[test]
fn after_unlink_new_data_goes_to_shared_storage_under_mmk() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(4, "linked"));
    let r = env.arm(
        "DELETE",
        &format!("{}/linkedServices/cluster", Env::workspace_path(WS)),
        OI,
        None,
    );
    assert_eq!(r.status, 202);
    env.advance(2 * HOUR);
    post_logs(&mut env.e, &id, "App", &records(3, "unlinked"));
    let snap = env.e.snapshot();
    let blocks: Vec<_> = snap
        .storage
        .blocks
        .iter()
        .filter(|b| b.table == "App_CL")
        .collect();
    assert_eq!(blocks.len(), 2);
    let shared = blocks
        .iter()
        .find(|b| !b.cmk)
        .expect("the new block is under MMK");
    let account = snap
        .storage
        .accounts
        .iter()
        .find(|a| a.name == shared.account)
        .unwrap();
    assert!(account.cluster.is_none(), "shared storage, not the cluster");
    assert_eq!(
        rows(&query(
            &mut env.e,
            &id,
            "App_CL | summarize count() by Tag_s | order by Tag_s asc"
        )),
        vec![json!(["linked", 4]), json!(["unlinked", 3])]
    );
}

#[test]
fn data_ingested_to_a_workspace_linked_before_provisioning_finished_is_dropped() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    env.create_cluster();
    env.create_workspace(WS, "eastus");
    assert_eq!(
        env.link(WS).status,
        202,
        "linking before provisioning finishes is accepted"
    );
    env.advance(95 * 60); // the link completes; the cluster is still provisioning
    let ws = env.arm("GET", &Env::workspace_path(WS), OI, None);
    assert!(ws.body["properties"]["features"]["clusterResourceId"].is_string());
    assert_eq!(
        env.get_cluster()["properties"]["provisioningState"],
        "ProvisioningAccount"
    );
    let id = customer_id(&mut env, WS);
    assert_eq!(
        post_logs(&mut env.e, &id, "Early", &records(5, "early")).status,
        200,
        "the API accepts the data"
    );
    env.advance(HOUR);
    assert_eq!(
        env.get_cluster()["properties"]["provisioningState"],
        "Succeeded"
    );
    post_logs(&mut env.e, &id, "Early", &records(2, "late"));
    let snap = env.e.snapshot();
    assert_eq!(
        snap.storage
            .drops
            .iter()
            .map(|d| (d.table.as_str(), d.rows))
            .collect::<Vec<_>>(),
        vec![("Early_CL", 5)]
    );
    assert!(
        snap.timeline
            .iter()
            .any(|t| t.alert && t.text.contains("dropped and not recoverable"))
    );
    assert_eq!(
        rows(&query(&mut env.e, &id, "Early_CL | distinct Tag_s")),
        vec![json!(["late"])],
        "dropped data is not recoverable"
    );
}

#[test]
fn every_block_is_double_encrypted_on_a_double_encryption_cluster_only() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(2, "x"));
    assert!(env.e.snapshot().storage.blocks.iter().all(|b| b.double));
    // An unlinked workspace in shared storage: single (service) layer.
    env.create_workspace("other-ws", "eastus");
    let other = customer_id(&mut env, "other-ws");
    post_logs(&mut env.e, &other, "App", &records(2, "y"));
    let b = env
        .e
        .snapshot()
        .storage
        .blocks
        .into_iter()
        .find(|b| b.workspace == "other-ws")
        .unwrap();
    assert!(!b.double && !b.cmk);
}

#[test]
fn tampering_with_any_byte_of_a_block_or_its_header_fails_authentication() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(2, "t"));
    let block = env.e.snapshot().storage.blocks[0].id;
    let clean = env.e.inspect_block(block).unwrap();
    assert!(clean.check.is_ok(), "{:?}", clean.check);
    for target in [TamperTarget::Sealed, TamperTarget::Header] {
        let len = if target == TamperTarget::Sealed {
            clean.sealed_bytes
        } else {
            clean.header_bytes
        };
        for offset in 0..len {
            env.e.tamper(block, target, offset).unwrap();
            let i = env.e.inspect_block(block).unwrap();
            assert!(i.check.is_err(), "{target:?} byte {offset} went unnoticed");
            env.e.tamper(block, target, offset).unwrap(); // undo
        }
    }
    assert!(
        env.e.inspect_block(block).unwrap().check.is_ok(),
        "undoing every flip restores the block"
    );
    assert!(!env.e.snapshot().storage.blocks[0].tampered);
    assert!(env.e.inspect_block(block).unwrap().flips.is_empty());
    // A tampered block makes the query fail; it never returns altered data.
    env.e.tamper(block, TamperTarget::Sealed, 3).unwrap();
    env.refused(&errors::QUERY_DATA_CORRUPTED, |env| {
        query(&mut env.e, &id, "App_CL | count")
    });
    // The engine remembers the flip, so the page can mark the block and offer the undo.
    assert!(env.e.snapshot().storage.blocks[0].tampered);
    assert_eq!(
        env.e.inspect_block(block).unwrap().flips,
        vec![(TamperTarget::Sealed, 3)]
    );
    env.e.tamper(block, TamperTarget::Sealed, 3).unwrap();
    assert!(!env.e.snapshot().storage.blocks[0].tampered);
}

#[test]
fn offsets_past_the_end_name_the_same_byte_so_flipping_it_twice_is_an_undo() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(2, "t"));
    post_logs(&mut env.e, &id, "Other", &records(2, "t"));
    let blocks = env.block_ids();
    let (block, sibling) = (blocks[0], blocks[1]);
    let len = env.e.inspect_block(block).unwrap().sealed_bytes;
    env.e.tamper(block, TamperTarget::Sealed, 5).unwrap();
    env.e.tamper(block, TamperTarget::Sealed, 5 + len).unwrap();
    let i = env.e.inspect_block(block).unwrap();
    assert!(i.check.is_ok(), "{:?}", i.check);
    assert!(i.flips.is_empty(), "{:?}", i.flips);
    assert!(!env.e.snapshot().storage.blocks[0].tampered);
    // The wrapped AEK is the account's: a flip through one block, undone through another.
    env.e.tamper(block, TamperTarget::WrappedAek, 7).unwrap();
    let tampered: Vec<bool> = env
        .e
        .snapshot()
        .storage
        .blocks
        .iter()
        .map(|b| b.tampered)
        .collect();
    assert_eq!(
        tampered,
        vec![true, true],
        "both blocks sit behind the flipped AEK"
    );
    env.e
        .tamper(sibling, TamperTarget::WrappedAek, 7 + 256)
        .unwrap();
    assert!(env.e.snapshot().storage.blocks.iter().all(|b| !b.tampered));
    assert!(env.e.inspect_block(block).unwrap().check.is_ok());
}

#[test]
fn tampering_with_the_wrapped_aek_fails_authentication() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(2, "t"));
    let block = env.e.snapshot().storage.blocks[0].id;
    // Every byte of the RSA-OAEP-256 wrapped AEK (a 2048-bit key wraps to 256 bytes).
    for offset in 0..256 {
        env.e
            .tamper(block, TamperTarget::WrappedAek, offset)
            .unwrap();
        let check = env.e.inspect_block(block).unwrap().check;
        assert!(
            check.as_ref().is_err_and(|e| e.contains("out of reach")),
            "offset {offset}: {check:?}"
        );
        env.e
            .tamper(block, TamperTarget::WrappedAek, offset)
            .unwrap();
    }
    assert!(env.e.inspect_block(block).unwrap().check.is_ok());
}

#[test]
fn no_two_blocks_share_a_key_and_nonce() {
    let (mut env, id) = provisioned_workspace();
    env.e
        .configure_sources(&id, Some(Default::default()))
        .unwrap();
    env.advance(6 * HOUR);
    let blocks = env.block_ids();
    assert!(blocks.len() > 30, "{} blocks", blocks.len());
    let (mut service, mut infra) = (BTreeSet::new(), BTreeSet::new());
    // Every column chunk is its own message at each layer: no key and nonce pair twice.
    for b in blocks {
        let h = env.e.inspect_block(b).unwrap().header;
        let chunks = h["columns"].as_array().unwrap();
        assert!(chunks.len() > 1, "a chunk per column");
        for c in chunks {
            assert!(service.insert((
                h["service"]["key"].as_str().unwrap().to_string(),
                c["nonce"].as_str().unwrap().to_string()
            )));
            assert!(infra.insert((
                h["infrastructure"]["key"].as_str().unwrap().to_string(),
                c["infra_nonce"].as_str().unwrap().to_string()
            )));
        }
    }
}

#[test]
fn a_flipped_byte_fails_the_reads_of_its_column_and_only_those() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(40, "t"));
    let block = env.e.snapshot().storage.blocks[0].id;
    let chunks = env.e.inspect_block(block).unwrap().chunks;
    let names: Vec<&str> = chunks.iter().map(|c| c.column.as_str()).collect();
    assert!(
        names.contains(&"Tag_s") && names.contains(&"Seq_d"),
        "{names:?}"
    );
    let tag = chunks.iter().find(|c| c.column == "Tag_s").unwrap();
    assert_eq!(tag.encoding, "dictionary", "one distinct value in 40 rows");
    assert_eq!(
        chunks
            .iter()
            .find(|c| c.column == "Seq_d")
            .unwrap()
            .encoding,
        "plain"
    );
    // The chunks' ciphertexts follow one another and fill the block.
    assert_eq!(chunks[0].start, 0);
    for w in chunks.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    let sealed = env.e.inspect_block(block).unwrap().sealed_bytes;
    assert_eq!(chunks.last().unwrap().end, sealed);
    env.e
        .tamper(block, TamperTarget::Sealed, tag.start + 2)
        .unwrap();
    env.refused(&errors::QUERY_DATA_CORRUPTED, |env| {
        query(&mut env.e, &id, "App_CL | where Tag_s == 't' | count")
    });
    // A query that reads other columns decrypts only their chunks, which still authenticate.
    let r = query(&mut env.e, &id, "App_CL | summarize max(Seq_d)");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tables"][0]["rows"][0][0], json!(39.0));
    let i = env.e.inspect_block(block).unwrap();
    assert!(i.check.is_err());
    for c in &i.chunks {
        assert_eq!(c.check.is_err(), c.column == "Tag_s", "{c:?}");
        assert_eq!(c.last_read, c.column == "Seq_d", "{c:?}");
    }
    env.e
        .tamper(block, TamperTarget::Sealed, tag.start + 2)
        .unwrap();
    assert!(env.e.inspect_block(block).unwrap().check.is_ok());
}

#[test]
fn the_hot_cache_holds_the_last_14_days_and_ages_out() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(3, "h"));
    let snap = env.e.snapshot();
    assert!(
        snap.storage.blocks[0].hot,
        "freshly ingested data is in the hot cache"
    );
    env.advance(13 * DAY);
    assert_eq!(env.e.snapshot().storage.hot_blocks, 1);
    env.advance(2 * DAY);
    assert_eq!(
        env.e.snapshot().storage.hot_blocks,
        0,
        "it ages out after 14 days"
    );
    assert_eq!(
        rows(&query(&mut env.e, &id, "App_CL | count"))[0],
        json!([3]),
        "and the data is read from storage"
    );
}

#[test]
fn a_query_that_needs_an_unreachable_key_fails_instead_of_returning_stale_plaintext() {
    let mut env = Env::new();
    let (version, _) = env.provisioned();
    let id = customer_id(&mut env, WS);
    post_logs(&mut env.e, &id, "App", &records(3, "secret"));
    assert_eq!(
        rows(&query(&mut env.e, &id, "App_CL | count"))[0],
        json!([3])
    );
    let r = env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{version}"),
        Some(json!({ "attributes": { "enabled": false } })),
    );
    assert_eq!(r.status, 200);
    // Storage honours the change within an hour.
    env.advance(3600);
    let r = env.refused(&errors::QUERY_DATA_UNAVAILABLE, |env| {
        query(&mut env.e, &id, "App_CL | count")
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not allowed on a disabled key"),
        "{}",
        r.body
    );
    assert!(r.body.get("tables").is_none());
}

#[test]
fn external_sealing_gives_the_same_bytes_as_sealing_in_place() {
    let run = |external: bool| {
        let mut env = Env::new();
        env.e.set_external_sealing(external);
        env.provisioned();
        let id = customer_id(&mut env, WS);
        post_logs(
            &mut env.e,
            &id,
            "Big",
            &records(
                2000,
                "a fairly long tag so that blocks exceed the in-place threshold",
            ),
        );
        if external {
            let jobs = env.e.take_seal_jobs(usize::MAX);
            assert!(!jobs.is_empty(), "large blocks wait for the host");
            for j in jobs {
                // What the page's SubtleCrypto does: AES-256-GCM, ciphertext then tag.
                let key = cmk_playground::engine::crypto::SymKey::from_bytes(&j.key).unwrap();
                let sealed = cmk_playground::engine::crypto::gcm_seal(
                    &key,
                    &j.nonce.clone().try_into().unwrap(),
                    &j.aad,
                    &j.plaintext,
                );
                env.e.complete_seal(j.id, &sealed).unwrap();
            }
            assert_eq!(env.e.pending_seal_jobs(), 0);
        }
        let ids: Vec<u64> = env
            .e
            .snapshot()
            .storage
            .blocks
            .iter()
            .map(|b| b.id)
            .collect();
        let prefixes: Vec<String> = ids
            .iter()
            .map(|b| env.e.inspect_block(*b).unwrap().ciphertext_prefix)
            .collect();
        let count = rows(&query(&mut env.e, &id, "Big_CL | count"))[0].clone();
        (prefixes, count)
    };
    assert_eq!(run(false), run(true));
}

#[test]
fn simulated_sources_send_heartbeat_syslog_and_security_events() {
    let (mut env, id) = provisioned_workspace();
    env.e
        .configure_sources(&id, Some(Default::default()))
        .unwrap();
    env.advance(HOUR);
    let hb = rows(&query(
        &mut env.e,
        &id,
        "Heartbeat | summarize count() by Computer | order by Computer asc",
    ));
    assert_eq!(hb.len(), 4);
    assert!(hb.iter().all(|r| r[1].as_i64().unwrap() >= 55), "{hb:?}");
    let failed = rows(&query(
        &mut env.e,
        &id,
        "SecurityEvent | where EventID == 4625 | count",
    ));
    assert!(failed[0][0].as_i64().unwrap() > 0);
    let ssh = rows(&query(
        &mut env.e,
        &id,
        "Syslog | where ProcessName == \"sshd\" and SyslogMessage has \"Failed\" | take 1",
    ));
    assert_eq!(ssh.len(), 1);
    env.e.configure_sources(&id, None).unwrap();
    let before = env.e.snapshot().storage.total_rows;
    env.advance(HOUR);
    assert_eq!(
        env.e.snapshot().storage.total_rows,
        before,
        "switched off: no more data"
    );
}

#[test]
fn retention_purges_old_blocks() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(3, "old"));
    env.advance(29 * DAY);
    assert_eq!(env.e.snapshot().storage.total_blocks, 1);
    env.advance(2 * DAY);
    assert_eq!(
        env.e.snapshot().storage.total_blocks,
        0,
        "30 days of retention by default"
    );
    assert!(
        env.e
            .timeline()
            .iter()
            .any(|t| t.text.contains("Retention reached"))
    );
}

#[test]
fn a_deleted_cluster_takes_its_data_with_it() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(3, "gone"));
    let r = env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(r.status, 202);
    env.advance(HOUR);
    let snap = env.e.snapshot();
    assert!(snap.storage.accounts.iter().all(|a| a.cluster.is_none()));
    assert_eq!(snap.storage.total_blocks, 0);
}

// ---- the HTTP Data Collector API's answers -------------------------------------------------

fn collector(
    e: &mut Engine,
    host_id: &str,
    version: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let v = version
        .map(|v| format!("?api-version={v}"))
        .unwrap_or_default();
    e.handle(
        "POST",
        &format!("https://{host_id}.ods.opinsights.azure.com/api/logs{v}"),
        headers,
        Some(body),
    )
}

#[test]
fn data_collector_api_errors_use_its_own_envelope() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    let ok = [("Content-Type", "application/json"), ("Log-Type", "App")];
    let v = Some("2016-04-01");
    env.refused(&errors::INGEST_MISSING_API_VERSION, |env| {
        collector(&mut env.e, &id, None, &ok, "[]")
    });
    env.refused(&errors::INGEST_INVALID_API_VERSION, |env| {
        collector(&mut env.e, &id, Some("2020-01-01"), &ok, "[]")
    });
    env.refused(&errors::INGEST_INVALID_CUSTOMER_ID, |env| {
        collector(
            &mut env.e,
            "00000000-0000-0000-0000-000000000000",
            v,
            &ok,
            "[]",
        )
    });
    env.refused(&errors::INGEST_MISSING_CONTENT_TYPE, |env| {
        collector(&mut env.e, &id, v, &[("Log-Type", "App")], "[]")
    });
    env.refused(&errors::INGEST_UNSUPPORTED_CONTENT_TYPE, |env| {
        collector(
            &mut env.e,
            &id,
            v,
            &[("Content-Type", "text/plain"), ("Log-Type", "App")],
            "[]",
        )
    });
    env.refused(&errors::INGEST_MISSING_LOG_TYPE, |env| {
        collector(
            &mut env.e,
            &id,
            v,
            &[("Content-Type", "application/json")],
            "[]",
        )
    });
    env.refused(&errors::INGEST_INVALID_LOG_TYPE, |env| {
        collector(
            &mut env.e,
            &id,
            v,
            &[("Content-Type", "application/json"), ("Log-Type", "My-Log")],
            "[]",
        )
    });
    env.refused(&errors::INGEST_INVALID_DATA_FORMAT, |env| {
        collector(&mut env.e, &id, v, &ok, "[{\"a\": 1,}]")
    });
    env.refused(&errors::INGEST_INVALID_DATA_FORMAT, |env| {
        collector(&mut env.e, &id, v, &ok, "[1, 2]")
    });
    env.refused(&errors::INGEST_NOT_FOUND, |env| {
        env.e.handle(
            "GET",
            &format!("https://{id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
            &ok,
            None,
        )
    });
    assert_eq!(
        collector(
            &mut env.e,
            &id,
            Some("2016-04-01"),
            &ok,
            "{\"single\": \"record\"}"
        )
        .status,
        200
    );
}

#[test]
fn time_generated_field_sets_the_record_time() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    let r = env.e.handle(
        "POST",
        &format!("https://{id}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        &[
            ("Content-Type", "application/json"),
            ("Log-Type", "T"),
            ("time-generated-field", "Stamp"),
        ],
        Some(r#"[{"Stamp": "2026-03-01T10:00:00Z"}, {"Stamp": "not a date"}]"#),
    );
    assert_eq!(r.status, 200);
    let got = rows(&query(
        &mut env.e,
        &id,
        "T_CL | project TimeGenerated | order by TimeGenerated asc",
    ));
    assert_eq!(
        got,
        vec![
            json!(["2026-03-01T10:00:00.0000000Z"]),
            json!(["2026-03-02T08:00:00.0000000Z"])
        ],
        "an unusable field falls back to the ingestion time"
    );
}

/// One record with `n` numeric fields named `{prefix}{i}`.
fn wide_record(prefix: &str, n: usize) -> Value {
    Value::Object((0..n).map(|i| (format!("{prefix}{i}"), json!(1))).collect())
}

#[test]
fn a_post_is_refused_when_a_field_name_or_the_tables_columns_exceed_the_limits() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    // Once these were stored, their block could no longer be decoded: the table failed for good.
    let long = json!([{ "a".repeat(70_000): 1 }]);
    let r = env.refused(&errors::INGEST_INVALID_DATA_FORMAT, |env| {
        post_logs(&mut env.e, &id, "Long", &long)
    });
    assert!(
        r.body["Message"]
            .as_str()
            .unwrap()
            .contains("70000 characters")
    );
    env.refused(&errors::INGEST_INVALID_DATA_FORMAT, |env| {
        post_logs(&mut env.e, &id, "Wide", &wide_record("k", 65_540))
    });
    // TenantId, SourceSystem, TimeGenerated and Type count too: 496 fields fill the table.
    assert_eq!(
        post_logs(&mut env.e, &id, "Mix", &wide_record("k", 496)).status,
        200
    );
    assert_eq!(
        post_logs(&mut env.e, &id, "Mix", &wide_record("k", 496)).status,
        200
    );
    let r = env.refused(&errors::INGEST_INVALID_DATA_FORMAT, |env| {
        post_logs(&mut env.e, &id, "Mix", &json!([{ "extra": 1 }]))
    });
    assert!(r.body["Message"].as_str().unwrap().contains("500 columns"));
    assert_eq!(
        rows(&query(&mut env.e, &id, "Mix_CL | count"))[0],
        json!([2])
    );
}

// ---- the query API's answers ---------------------------------------------------------------

#[test]
fn query_api_errors_follow_log_analytics() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    post_logs(&mut env.e, &id, "App", &records(1, "q"));
    let r = env.refused(&errors::QUERY_SYNTAX_ERROR, |env| {
        query(&mut env.e, &id, "App_CL | where")
    });
    assert_eq!(r.body["error"]["code"], "BadArgumentError");
    assert_eq!(r.body["error"]["innererror"]["code"], "SyntaxError");
    assert_eq!(
        r.body["error"]["innererror"]["innererror"]["code"],
        "SYN0002"
    );
    assert!(
        errors::identify(
            400,
            "BadArgumentError",
            r.body["error"]["message"].as_str().unwrap()
        )
        .is_some()
    );
    assert_eq!(errors::QUERY_SYNTAX_ERROR.code, "BadArgumentError");
    let r = env.refused(&errors::QUERY_SEMANTIC_ERROR, |env| {
        query(&mut env.e, &id, "Nope_CL | take 1")
    });
    assert_eq!(r.body["error"]["innererror"]["code"], "SemanticError");
    assert_eq!(
        r.body["error"]["innererror"]["innererror"]["code"],
        "SEM0100"
    );
    assert_eq!(errors::QUERY_SEMANTIC_ERROR.status, 400);
    let r = env.refused(&errors::QUERY_BAD_ARGUMENT, |env| {
        env.e.handle(
            "POST",
            &format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
            &[],
            Some("{}"),
        )
    });
    assert_eq!(
        r.body["error"]["innererror"]["code"],
        "QueryValidationError"
    );
    let r = env.refused(&errors::QUERY_PATH_NOT_FOUND, |env| {
        env.e.handle(
            "POST",
            "https://api.loganalytics.io/v1/workspaces/00000000-0000-0000-0000-000000000000/query",
            &[],
            Some("{\"query\":\"App_CL\"}"),
        )
    });
    assert_eq!(r.body["error"]["code"], "PathNotFoundError");
    let r = env.e.handle("GET", &format!("https://api.loganalytics.io/v1/workspaces/{id}/query?query=App_CL%20%7C%20count&timespan=PT1H"), &[], None);
    assert_eq!(rows(&r)[0], json!([1]));
    env.refused(&errors::QUERY_BAD_ARGUMENT, |env| {
        env.e.handle("GET", &format!("https://api.loganalytics.io/v1/workspaces/{id}/query?query=App_CL&timespan=yesterday"), &[], None)
    });
}

/// A workspace with two rows ingested two hours ago and one now.
fn old_and_new_rows() -> (Env, String) {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    post_logs(&mut env.e, &id, "App", &records(2, "old"));
    env.advance(2 * HOUR);
    post_logs(&mut env.e, &id, "App", &records(1, "new"));
    (env, id)
}

#[test]
fn timespan_limits_the_rows_a_query_sees() {
    let (mut env, id) = old_and_new_rows();
    let r = env.e.handle(
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
        &[],
        Some(&json!({ "query": "App_CL | count", "timespan": "PT1H" }).to_string()),
    );
    assert_eq!(rows(&r)[0], json!([1]));
}

#[test]
fn a_timespan_is_any_iso_8601_duration_or_interval_and_one_out_of_range_is_a_bad_argument() {
    let (mut env, id) = old_and_new_rows();
    let within = |e: &mut Engine, timespan: &str| {
        e.handle(
            "POST",
            &format!("https://api.loganalytics.io/v1/workspaces/{id}/query"),
            &[],
            Some(&json!({ "query": "App_CL | count", "timespan": timespan }).to_string()),
        )
    };
    // A month counts as 30 days.
    assert_eq!(rows(&within(&mut env.e, "P1M"))[0], json!([3]));
    assert_eq!(
        rows(&within(&mut env.e, "2026-03-02T07:00:00Z/PT2H"))[0],
        json!([2])
    );
    assert_eq!(
        rows(&within(&mut env.e, "PT1H/2026-03-02T10:30:00Z"))[0],
        json!([1])
    );
    assert_eq!(rows(&within(&mut env.e, "PT0.5S"))[0], json!([1]));
    for huge in [
        "P9999999999999999999W9999999999999999999D",
        "PT9999999999999999999H9999999999999999999M",
        "P5000000000000000D",
        "P300000000Y/2026-03-02T10:30:00Z",
    ] {
        env.refused(&errors::QUERY_BAD_ARGUMENT, |env| within(&mut env.e, huge));
    }
}

#[test]
fn a_string_field_missing_from_a_record_reads_as_empty_not_null() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    // Within one post, and across posts whose schemas differ.
    assert_eq!(
        post_logs(&mut env.e, &id, "N", &json!([{ "a": "x" }, { "b": 1 }])).status,
        200
    );
    assert_eq!(
        post_logs(&mut env.e, &id, "N", &json!([{ "b": 2 }])).status,
        200
    );
    for q in [
        "N_CL | where a_s != \"x\" | count",
        "N_CL | where a_s == \"\" | count",
        "N_CL | where a_s !contains \"x\" | count",
        "N_CL | where a_s !has \"x\" | count",
        "N_CL | where a_s !in (\"x\") | count",
        "N_CL | where strlen(a_s) == 0 | count",
    ] {
        assert_eq!(rows(&query(&mut env.e, &id, q))[0], json!([2]), "{q}");
    }
    let got = rows(&query(
        &mut env.e,
        &id,
        "N_CL | summarize n = count() by a_s | order by n desc",
    ));
    assert_eq!(got, vec![json!(["", 2]), json!(["x", 1])]);
}

#[test]
fn a_field_is_typed_datetime_exactly_when_a_query_reads_it_as_one() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    let r = post_logs(
        &mut env.e,
        &id,
        "M",
        &json!([{ "w": "1969-12-31T00:00:00Z", "v": "2026-02-31T00:00:00Z" }]),
    );
    assert_eq!(r.status, 200);
    let r = query(&mut env.e, &id, "M_CL | take 1");
    let columns = columns(&r);
    // February has no 31st: the query's datetime() refuses it, so it stays a string.
    assert!(
        columns.contains(&("v_s".into(), "string".into())),
        "{columns:?}"
    );
    assert!(
        columns.contains(&("w_t".into(), "datetime".into())),
        "{columns:?}"
    );
    let got = rows(&query(
        &mut env.e,
        &id,
        "M_CL | where w_t < datetime(1970-01-01) | project w_t, v_s, isnull(todatetime(v_s))",
    ));
    assert_eq!(
        got,
        vec![json!([
            "1969-12-31T00:00:00.0000000Z",
            "2026-02-31T00:00:00Z",
            true
        ])]
    );
}

/// Log Analytics checks a query before it touches storage: a query that names an unknown column
/// fails without unwrapping the account key (no Key Vault call in the audit log), and the same
/// query written correctly then reads through the key chain.
#[test]
fn a_query_that_does_not_compile_never_reaches_key_vault() {
    let (mut env, id) = provisioned_workspace();
    post_logs(&mut env.e, &id, "App", &records(2, "t"));
    let block = env.e.snapshot().storage.blocks[0].id;
    // Flip a bit of the wrapped AEK and back: the cached key is gone, the bytes are intact.
    for _ in 0..2 {
        env.e.tamper(block, TamperTarget::WrappedAek, 9).unwrap();
    }
    let unwraps = |env: &Env| {
        env.e
            .audit_log()
            .iter()
            .filter(|a| a.operation == "KeyUnwrap")
            .count()
    };
    let before = unwraps(&env);
    let r = query(&mut env.e, &id, "App_CL | where NoSuchColumn == 1");
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        unwraps(&env),
        before,
        "no unwrap for a query that cannot run"
    );
    let r = query(&mut env.e, &id, "App_CL | count");
    assert_eq!(rows(&r), vec![json!([2])]);
    assert_eq!(
        unwraps(&env),
        before + 1,
        "a query that runs unwraps the key"
    );
}

/// Log Analytics knows its built-in tables before any data arrives: `Heartbeat | take 5` and
/// Microsoft's own first example, `Usage | take 10`, answer an empty table with the table's
/// columns, not SEM0100 (which stays for names that are no table at all).
#[test]
fn built_in_tables_with_no_data_yet_answer_an_empty_table() {
    let (mut env, id) = provisioned_workspace();
    for (q, column) in [
        ("Heartbeat | take 5", "Computer"),
        ("Usage | take 10", "Quantity"),
        ("SecurityEvent | where EventID == 4625 | count", "Count"),
    ] {
        let r = query(&mut env.e, &id, q);
        assert_eq!(r.status, 200, "{q}: {r:?}");
        assert!(rows(&r).is_empty() || q.ends_with("count"), "{q}: {r:?}");
        assert!(
            columns(&r).iter().any(|(n, _)| n == column),
            "{q}: {:?}",
            columns(&r)
        );
    }
    let r = query(&mut env.e, &id, "Nope_CL | take 1");
    assert_eq!(r.status, 400);
}
