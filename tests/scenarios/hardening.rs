//! The reproducers of the hardening issue (fuzzing and abuse by hand): each input that hung,
//! exhausted memory or lost data now answers at once with bounded work, or a clear error.
//! Unit-level ones live next to their code: `table::tests` (block decoding), `exec::tests`
//! (grouping on reals); `data_path.rs` has the tampering aliasing and `alloc_bounds.rs` measures
//! what decoding allocates.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::clock::LATEST;
use cmk_playground::engine::errors;
use cmk_playground::engine::sources::{MAX_ROWS_PER_HOUR, SourceConfig};
use cmk_playground::engine::{Engine, Response};
use cmk_playground::protocol::{self, Command, MAX_ADVANCE, advance_step, execute};
use common::*;
use serde_json::{Value, json};

// ---- 1. clock moves -------------------------------------------------------------------------

#[test]
fn an_advance_longer_than_twelve_years_is_refused_with_the_figure_and_changes_nothing() {
    let mut e = Engine::with_seed([1; 32]);
    let before = e.checkpoint();
    let reply = execute(&mut e, &Command::Advance { seconds: u64::MAX });
    let error = reply.error.expect("refused");
    assert!(error.contains("at most 12 years"), "{error}");
    assert_eq!(reply.snapshot.now, reply.started);
    assert!(e.checkpoint() == before, "a refused move changed the state");
}

#[test]
fn the_clock_stops_at_the_end_of_9999_and_empty_slices_pass_in_one_step() {
    let mut e = Engine::with_seed([1; 32]);
    // Nothing is scheduled: twelve years are one step, not 105,000 one-hour slices.
    let total = protocol::advance_total(&e, MAX_ADVANCE).unwrap();
    assert_eq!(advance_step(&mut e, total), MAX_ADVANCE);
    // Near the end of the clock a move stops there.
    e.advance(LATEST);
    assert_eq!(e.now(), LATEST);
    let reply = execute(
        &mut e,
        &Command::Advance {
            seconds: MAX_ADVANCE,
        },
    );
    assert!(reply.error.is_none(), "{:?}", reply.error);
    assert_eq!(reply.snapshot.now, LATEST);
}

#[test]
fn skipping_quiet_slices_gives_the_world_the_slices_give() {
    // A world with events far apart (a weekly rotation policy) and a CMK cluster polling Key
    // Vault: the whole move, taken in steps, equals hour-long moves one by one.
    let world = || {
        let mut env = Env::new();
        env.provisioned();
        env.rotate_every("P7D");
        env
    };
    let (mut whole, mut sliced) = (world(), world());
    let total = 9 * DAY + 1_234;
    execute(&mut whole.e, &Command::Advance { seconds: total });
    let mut left = total;
    while left > 0 {
        let step = left.min(protocol::ADVANCE_SLICE);
        sliced.e.advance(step);
        left -= step;
    }
    assert_eq!(whole.e.snapshot(), sliced.e.snapshot());
    assert_eq!(whole.e.audit_log(), sliced.e.audit_log());
}

// ---- 2. rotation policies over decades ----------------------------------------------------------

#[test]
fn a_weekly_rotation_policy_stops_at_the_version_limit_and_says_so() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    env.rotate_every("P7D");
    // To the end of the clock, twelve years at a time, as the page would.
    while env.e.clock_left() > 0 {
        let reply = execute(
            &mut env.e,
            &Command::Advance {
                seconds: MAX_ADVANCE,
            },
        );
        assert!(reply.error.is_none(), "{:?}", reply.error);
    }
    let snap = env.e.snapshot();
    let key = &snap.vaults[0].keys[0];
    assert_eq!(key.versions.len(), 500, "rotations stop at the limit");
    assert!(
        env.last_alert().contains("500 versions"),
        "{}",
        env.last_alert()
    );
    // The newest versions were never used, so their RSA keys were never generated: a read of
    // the current one generates it (and answers its public key).
    let latest = env.kv("GET", &format!("/keys/{KEY}"), None);
    assert_eq!(latest.status, 200, "{}", latest.body);
    assert!(latest.body["key"]["n"].as_str().unwrap().len() > 300);
    // A person gets the same limit as an error, and nothing changes.
    env.refused(&errors::KEY_VERSIONS_LIMIT, |env| {
        env.kv("POST", &format!("/keys/{KEY}/rotate"), None)
    });
    env.refused(&errors::KEY_VERSIONS_LIMIT, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA" })),
        )
    });
}

// ---- 3. simulated sources -------------------------------------------------------------------

#[test]
fn sources_beyond_what_a_tab_holds_are_refused_with_the_figure() {
    let (mut env, id) = provisioned_workspace();
    let before = env.e.checkpoint();
    let most = SourceConfig {
        linux: 250,
        windows: 250,
        heartbeat: true,
        syslog_per_hour: 36_000,
        security_per_hour: 36_000,
    };
    let reply = execute(
        &mut env.e,
        &Command::ConfigureSources {
            customer_id: id.clone(),
            config: Some(most),
        },
    );
    let error = reply.error.expect("refused");
    assert!(error.contains("18,030,000 rows per hour"), "{error}");
    assert!(error.contains("at most 1,000"), "{error}");
    assert!(env.e.checkpoint() == before);
    // At the limit a five-minute tick is about 80 rows.
    let limit = SourceConfig {
        linux: 5,
        windows: 5,
        heartbeat: true,
        syslog_per_hour: 40,
        security_per_hour: 40,
    };
    assert_eq!(limit.rows_per_hour(), MAX_ROWS_PER_HOUR);
    let reply = execute(
        &mut env.e,
        &Command::ConfigureSources {
            customer_id: id.clone(),
            config: Some(limit),
        },
    );
    assert!(reply.error.is_none(), "{:?}", reply.error);
    env.advance(3600);
    let n: i64 = ["Heartbeat", "Syslog", "SecurityEvent"]
        .iter()
        .map(|t| {
            rows(&query(&mut env.e, &id, &format!("{t} | count")))[0][0]
                .as_i64()
                .unwrap()
        })
        .sum();
    // The agents' rows vary around their rates from tick to tick.
    assert!(
        n > 0 && n as u64 <= MAX_ROWS_PER_HOUR * 11 / 10,
        "{n} rows in an hour"
    );
}

// ---- 4, 6. queries ------------------------------------------------------------------------------

fn with_big_strings(n: usize, bytes: usize) -> (Env, String) {
    let (mut env, id) = provisioned_workspace();
    let big = "x".repeat(bytes);
    let records: Vec<Value> = (0..n)
        .map(|i| json!({ "Big": big, "Flag": i % 2 == 0 }))
        .collect();
    assert_eq!(
        post_logs(&mut env.e, &id, "App", &Value::Array(records)).status,
        200
    );
    (env, id)
}

#[test]
fn thousands_of_repeated_output_names_are_numbered_in_linear_time() {
    let (mut env, id) = with_big_strings(1, 8);
    let items = vec!["Flag_b"; 4_000].join(", ");
    let r = query(
        &mut env.e,
        &id,
        &format!("App_CL | take 1 | project {items}"),
    );
    let cols = columns(&r);
    assert_eq!(cols.len(), 4_000);
    assert_eq!(cols[0].0, "Flag_b");
    assert_eq!(cols[1].0, "Flag_b1");
    assert_eq!(cols[3_999].0, "Flag_b3999");
    let aggs = vec!["count()"; 4_000].join(", ");
    let r = query(&mut env.e, &id, &format!("App_CL | summarize {aggs}"));
    let cols = columns(&r);
    assert_eq!(
        (cols[0].0.as_str(), cols[3_999].0.as_str()),
        ("count_", "count_3999")
    );
}

#[test]
fn a_query_that_builds_gigabytes_is_stopped_as_a_runaway_query() {
    // 20 rows of a 32 KB string.
    let (mut env, id) = with_big_strings(20, 32 * 1024);
    let copies = vec!["Big_s"; 1_600].join(", ");
    env.refused(&errors::QUERY_RUNAWAY, |env| {
        query(
            &mut env.e,
            &id,
            &format!("App_CL | extend s = strcat({copies})"),
        )
    });
    let r = env.refused(&errors::QUERY_RUNAWAY, |env| {
        query(&mut env.e, &id, &format!("App_CL | project {copies}"))
    });
    let m = r.body["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("64000000 bytes") && m.contains("E_RUNAWAY_QUERY"),
        "{m}"
    );
    // Nested: each level within the budget, together far beyond it.
    let inner = vec!["Big_s"; 40].join(", ");
    let nested = vec![format!("strcat({inner})"); 60].join(", ");
    env.refused(&errors::QUERY_RUNAWAY, |env| {
        query(
            &mut env.e,
            &id,
            &format!("App_CL | take 1 | extend s = strcat({nested}) | project strlen(s)"),
        )
    });
    // Within the budget the same operators answer.
    let r = query(
        &mut env.e,
        &id,
        "App_CL | extend s = strcat(Big_s, Big_s) | project n = strlen(s)",
    );
    assert_eq!(rows(&r)[0][0], json!(64 * 1024));
}

#[test]
fn a_result_over_64_000_000_bytes_is_cut_and_says_so() {
    // 2,100 rows of 32 KB: 68.8 MB, over the Query API's 64,000,000 bytes.
    let (mut env, id) = provisioned_workspace();
    let big = "y".repeat(32 * 1024);
    for _ in 0..3 {
        let records: Vec<Value> = (0..700).map(|_| json!({ "Big": big })).collect();
        assert_eq!(
            post_logs(&mut env.e, &id, "App", &Value::Array(records)).status,
            200
        );
    }
    let r = query(&mut env.e, &id, "App_CL | project Big_s");
    let kept = rows(&r).len();
    assert!(
        kept < 2_100 && kept * 32 * 1024 <= 64_000_000,
        "{kept} rows"
    );
    assert_eq!(r.body["error"]["code"], "PartialError");
    let detail = &r.body["error"]["details"][0];
    assert_eq!(
        detail["innererror"]["message"],
        "Query result set has exceeded the internal data size limit 64000000 (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)"
    );
}

// ---- 7. property names -----------------------------------------------------------------------

#[test]
fn property_names_that_would_share_a_column_are_refused_instead_of_losing_values() {
    let (mut env, id) = provisioned_workspace();
    let sent = json!([{ "a b": "first", "a_b": "second", "a-b": "third", "ü": "u-umlaut", "é": "e-acute" }]);
    let r = env.refused(&errors::INGEST_PROPERTY_NAMES_COLLIDE, |env| {
        post_logs(&mut env.e, &id, "App", &sent)
    });
    let m = r.body["Message"].as_str().unwrap();
    assert!(
        m.contains("'a b', 'a-b', 'a_b'") && m.contains("column a_b_s"),
        "{m}"
    );
    // Letters of any script are letters: nothing collides, nothing is lost.
    let sent = json!([{ "a b": "first", "ü": "u-umlaut", "é": "e-acute" }]);
    assert_eq!(post_logs(&mut env.e, &id, "App", &sent).status, 200);
    let r = query(&mut env.e, &id, "App_CL | project a_b_s, ['ü_s'], ['é_s']");
    assert_eq!(rows(&r), vec![json!(["first", "u-umlaut", "e-acute"])]);
}

// ---- 9. no key material in debug output ------------------------------------------------------

#[test]
fn a_checkpoint_printed_by_a_failing_assertion_shows_no_private_key() {
    let mut env = Env::new();
    env.step1_vault_and_key();
    let text = format!("{:?}", env.e.checkpoint());
    assert!(text.contains("RsaKey(2048 bits, …)"), "the key is named");
    for secret in ["RsaPrivateKey", "primes", "precomputed"] {
        assert!(!text.contains(secret), "{secret} printed");
    }
}

// ---- 11. ARM tags -------------------------------------------------------------------------------

fn put_group(env: &mut Env, tags: Value) -> Response {
    env.arm(
        "PUT",
        &format!("/subscriptions/{SUB}/resourcegroups/tagged"),
        "2021-04-01",
        Some(json!({ "location": "eastus", "tags": tags })),
    )
}

#[test]
fn tags_beyond_arms_limits_are_refused() {
    let mut env = Env::new();
    let tags = |n: usize, name: usize, value: usize| {
        Value::Object(
            (0..n)
                .map(|i| (format!("{i:0>name$}"), json!("v".repeat(value))))
                .collect(),
        )
    };
    assert_eq!(put_group(&mut env, tags(50, 512, 256)).status, 201);
    env.refused(&errors::ARM_TOO_MANY_TAGS, |env| {
        put_group(env, tags(51, 3, 1))
    });
    env.refused(&errors::ARM_TAG_NAME_TOO_LONG, |env| {
        put_group(env, tags(1, 513, 1))
    });
    env.refused(&errors::ARM_TAG_VALUE_TOO_LONG, |env| {
        put_group(env, tags(1, 3, 257))
    });
    // The 20 MB of tags that made every later GET slow.
    env.refused(&errors::ARM_TAG_VALUE_TOO_LONG, |env| {
        put_group(env, tags(20, 3, 1_000_000))
    });
    env.step1_vault_and_key();
    env.refused(&errors::KV_TAGS_LIMIT, |env| {
        env.kv(
            "POST",
            &format!("/keys/{KEY}/create"),
            Some(json!({ "kty": "RSA", "tags": tags(51, 3, 1) })),
        )
    });
}
