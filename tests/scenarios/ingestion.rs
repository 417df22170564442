//! The ingestion series (`Snapshot::storage.ingestion`): rows stored and dropped per virtual hour
//! per workspace, and what ingestion met, through a revocation and its recovery.

use crate::common;
use common::*;
use serde_json::json;

#[test]
fn a_revocation_shows_as_hours_of_dropped_rows_marked_key_unusable() {
    let mut env = Env::new();
    let (version, _) = env.provisioned();
    let id = customer_id(&mut env, WS);
    let send = |env: &mut Env, n: usize| {
        let records: Vec<_> = (0..n).map(|i| json!({ "N": i })).collect();
        assert_eq!(
            post_logs(&mut env.e, &id, "App", &json!(records)).status,
            200
        );
    };
    send(&mut env, 3);
    env.advance(3600);
    send(&mut env, 2);
    // Disabling the version in use: storage honours it within the hour.
    env.set_enabled(&version, false);
    env.advance(2 * 3600);
    send(&mut env, 4);
    env.advance(60);
    send(&mut env, 1);
    // Enabled again: ingestion resumes within 30 minutes.
    env.set_enabled(&version, true);
    env.advance(3600);
    send(&mut env, 6);

    let snap = env.e.snapshot();
    let series = snap
        .storage
        .ingestion
        .iter()
        .find(|s| s.customer_id == id)
        .expect("the workspace's series");
    assert_eq!(series.workspace, WS);
    let b = &series.buckets;
    let counts: Vec<(u64, u64, u64, bool)> = b
        .iter()
        .map(|b| (b.ingested, b.stored, b.dropped, b.key_unusable))
        .collect();
    assert_eq!(
        counts,
        [
            (3, 3, 0, false),
            (2, 2, 0, false),
            (5, 0, 5, true),
            (6, 6, 0, false)
        ]
    );
    assert!(
        b.windows(2)
            .all(|w| w[0].start < w[1].start && w[0].start % 3600 == 0)
    );
    let (reason, rows) = &b[2].reasons[0];
    assert_eq!(*rows, 5);
    assert!(reason.starts_with("storage is unavailable"), "{reason}");
    // The drop counters the page already showed agree with the series.
    let dropped: u64 = snap.storage.drops.iter().map(|d| d.rows).sum();
    assert_eq!(dropped, 5);
}

/// A Key Vault outage: storage carries on with its cached key, so rows are stored, and the hours
/// are marked as having met an unreachable Key Vault.
#[test]
fn a_key_vault_outage_marks_the_hours_it_met_while_rows_are_still_stored() {
    use cmk_playground::engine::storage::access::Outage;
    let (mut env, id) = provisioned_workspace();
    let send = |env: &mut Env| {
        assert_eq!(
            post_logs(&mut env.e, &id, "App", &json!([{ "N": 1 }])).status,
            200
        );
    };
    send(&mut env);
    env.advance(3600);
    env.e
        .set_key_vault_outage(VAULT, Some(Outage::Timeout))
        .unwrap();
    send(&mut env);
    env.advance(3600);
    env.e.set_key_vault_outage(VAULT, None).unwrap();
    env.advance(3600);
    send(&mut env);
    let snap = env.e.snapshot();
    let b = &snap.storage.ingestion[0].buckets;
    let marks: Vec<(u64, bool)> = b.iter().map(|b| (b.stored, b.vault_unreachable)).collect();
    assert_eq!(marks, [(1, false), (1, true), (1, false)]);
}
