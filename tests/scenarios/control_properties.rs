#![cfg(not(target_arch = "wasm32"))]
//! Properties of the customer's controls over a provisioned cluster, over random sequences of
//! key actions (disable / enable the version in use, rotate, delete, recover), access-policy
//! removal and grant for the cluster identity, identity None (rarely), simulated Key Vault
//! outages, ingestion, queries and clock advances:
//!
//! * while storage is revoked (or still recovering), no API returns plaintext of CMK-protected
//!   data: queries fail with 403 and no ingested record tag appears in any response;
//! * ingestion is stored exactly when storage can reach its key (accessible or revoking) and
//!   dropped (counted) otherwise; stored blocks disappear only at retention;
//! * whenever Key Vault has refused the cluster (key or permission gone, vault reachable) for an
//!   hour, storage is revoked; whenever it has answered for 30 minutes, storage is accessible;
//! * after every lever is reversed and the outage is over, 30 minutes later every retained block is
//!   readable: a query returns exactly the rows stored while accessible and not past retention;
//! * a refused request (status 400 or more) changes nothing.

use crate::common;
use cmk_playground::engine::Response;
use cmk_playground::engine::errors;
use cmk_playground::engine::storage::access::Outage;
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Every ingested record carries a tag starting with this marker, so any plaintext leak is visible
/// in a response body.
const MARK: &str = "SECRET-";
/// The workspace default retention.
const RETENTION: u64 = 30 * DAY;
/// "Within an hour or sooner" and "within 30 minutes".
const REVOKE_WITHIN: u64 = HOUR;
const RESUME_WITHIN: u64 = 30 * 60;
/// The fixture vault's soft-delete retention.
const KEY_RETENTION: u64 = 90 * DAY;

#[derive(Clone, Debug)]
enum Action {
    /// Disable the key version storage uses now.
    DisableInUse,
    /// Enable the key version storage uses now.
    EnableInUse,
    Rotate,
    DeleteKey,
    RecoverKey,
    PolicyRemove,
    PolicyAdd,
    /// Set the cluster identity to None (irreversible).
    IdentityNone,
    OutageOn(Outage),
    OutageOff,
    Ingest(usize),
    Query,
    Advance(u64),
}

fn outage() -> impl Strategy<Value = Outage> {
    prop_oneof![
        Just(Outage::Timeout),
        Just(Outage::ConnectionFailure),
        Just(Outage::Dns)
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (1usize..20).prop_map(Action::Ingest),
        4 => Just(Action::Query),
        3 => (1u64..=120).prop_map(Action::Advance),
        4 => (120u64..=HOUR).prop_map(Action::Advance),
        3 => (HOUR..=2 * DAY).prop_map(Action::Advance),
        1 => (5 * DAY..=20 * DAY).prop_map(Action::Advance),
        1 => (28 * DAY..=35 * DAY).prop_map(Action::Advance),
        2 => Just(Action::DisableInUse),
        2 => Just(Action::EnableInUse),
        1 => Just(Action::Rotate),
        1 => Just(Action::DeleteKey),
        1 => Just(Action::RecoverKey),
        2 => Just(Action::PolicyRemove),
        2 => Just(Action::PolicyAdd),
        1 => outage().prop_map(Action::OutageOn),
        4 => Just(Action::OutageOff),
    ]
}

/// A sequence, with identity None inserted at some position in about one case in eight.
fn case() -> impl Strategy<Value = Vec<Action>> {
    (
        prop::collection::vec(action(), 8..32),
        prop::option::weighted(0.125, any::<prop::sample::Index>()),
    )
        .prop_map(|(mut actions, none)| {
            if let Some(i) = none {
                let at = i.index(actions.len() + 1);
                actions.insert(at, Action::IdentityNone);
            }
            actions
        })
}

/// One batch of ingested rows, as the model sees it.
#[derive(Clone, Debug)]
struct Batch {
    tag: String,
    rows: usize,
    at: u64,
}

impl Batch {
    /// Retention runs at each day boundary (the daily upkeep) and purges blocks whose newest row
    /// is at least the retention old.
    fn retained(&self, now: u64) -> bool {
        (self.at + RETENTION).div_ceil(DAY) * DAY > now
    }
}

struct Runner {
    env: Env,
    id: String,
    principal: String,
    /// Batches stored (ingested while storage could reach its key).
    stored: Vec<Batch>,
    /// Rows dropped, as the model counts them.
    dropped: u64,
    /// Versions the sequence disabled and did not enable again.
    disabled: BTreeSet<String>,
    /// When the key was deleted (soft delete), if it is deleted.
    deleted_at: Option<u64>,
    policy_removed: bool,
    outage: bool,
    identity_none: Option<u64>,
    /// Whether Key Vault would answer storage now (`Some(true)`), refuse it (`Some(false)`), or is
    /// unreachable (`None`), and since when.
    verdict: (Option<bool>, u64),
    seq: usize,
}

fn post_prop(env: &mut Env, customer_id: &str, records: &Value) -> Response {
    post_logs(&mut env.e, customer_id, "Prop", records)
}

fn query_prop(env: &mut Env, customer_id: &str) -> Response {
    query(
        &mut env.e,
        customer_id,
        "Prop_CL | summarize count() by Tag_s",
    )
}

impl Runner {
    fn new() -> Runner {
        let mut env = Env::new();
        let (_, principal) = env.provisioned();
        let id =
            env.arm("GET", &Env::workspace_path(WS), OI, None).body["properties"]["customerId"]
                .as_str()
                .unwrap()
                .to_string();
        let now = env.e.now();
        Runner {
            env,
            id,
            principal,
            stored: Vec::new(),
            dropped: 0,
            disabled: BTreeSet::new(),
            deleted_at: None,
            policy_removed: false,
            outage: false,
            identity_none: None,
            verdict: (Some(true), now),
            seq: 0,
        }
    }

    fn now(&self) -> u64 {
        self.env.e.now()
    }

    fn key_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// A deleted key is purged at its scheduled date (the fixture vault keeps deleted keys 90
    /// days).
    fn purged(&self) -> bool {
        self.deleted_at
            .is_some_and(|t| self.now() >= t + KEY_RETENTION)
    }

    /// Identity None or a purged key: nothing can be restored. Storage is revoked for good
    /// within the hour (for a purged key, within the hour after the vault is reachable: an outage
    /// keeps the cache serving), and queries never answer.
    fn irreversible(&mut self) -> Result<(), TestCaseError> {
        let wait = (self.verdict.1 + REVOKE_WITHIN)
            .saturating_sub(self.now())
            .max(RESUME_WITHIN);
        self.run(&Action::Advance(wait))?;
        prop_assert_eq!(self.state(), "revoked");
        self.check_query()?;
        self.ingest(2)?;
        self.check_query()
    }

    /// The workspace's access state.
    fn state(&self) -> String {
        self.env.e.snapshot().workspaces[0].access.state.clone()
    }

    /// The key version the cluster's writable CMK account uses now.
    fn in_use(&self) -> String {
        self.env
            .e
            .snapshot()
            .storage
            .accounts
            .iter()
            .find(|a| a.protection == "CMK" && a.writable)
            .and_then(|a| a.key.as_ref())
            .map(|k| k.key_version.clone())
            .expect("a CMK account")
    }

    /// What Key Vault would answer storage's `unwrapkey` now, decided from the snapshot alone.
    fn oracle(&self) -> Option<bool> {
        let snap = self.env.e.snapshot();
        let vault = &snap.vaults[0];
        // Without an identity storage cannot even ask; an outage changes nothing then.
        if snap.clusters[0].principal_id.is_none() {
            return Some(false);
        }
        if vault.outage.is_some() {
            return None;
        }
        let version = self.in_use();
        let key_ok = vault.keys.iter().any(|k| {
            k.name == KEY
                && k.deleted.is_none()
                && k.versions.iter().any(|v| v.version == version && v.enabled)
        });
        let policy_ok = vault.access_policies.iter().any(|p| {
            p.object_id == self.principal
                && p.keys.iter().any(|k| k.eq_ignore_ascii_case("unwrapKey"))
        });
        let identity_ok = snap.clusters[0].principal_id.as_deref() == Some(self.principal.as_str());
        Some(key_ok && policy_ok && identity_ok)
    }

    /// Sends a request; a refusal must change nothing, and no response may carry a record tag
    /// unless it is a successful query while storage can reach its key.
    fn send(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Env) -> Response,
    ) -> Result<Response, TestCaseError> {
        let state = self.state();
        let before = self.env.e.checkpoint();
        let r = f(&mut self.env);
        if r.status >= 400 {
            prop_assert!(
                self.env.e.checkpoint() == before,
                "refused {what} changed the state: {} {}",
                r.status,
                r.body
            );
        }
        let text = r.body.to_string();
        if text.contains(MARK) {
            prop_assert!(
                what == "query"
                    && r.status == 200
                    && (state == "accessible" || state == "revoking"),
                "plaintext in a {what} response while {state}: {} {text}",
                r.status
            );
        }
        Ok(r)
    }

    fn kv(
        &mut self,
        what: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Response, TestCaseError> {
        let outage = self.outage;
        let r = self.send(what, |env| env.kv(method, path, body))?;
        if outage {
            prop_assert_eq!(r.status, 503, "{} during an outage: {}", what, r.body);
            prop_assert_eq!(&r.body["error"]["code"], errors::KV_UNREACHABLE.code);
        }
        Ok(r)
    }

    fn set_enabled(&mut self, version: &str, enabled: bool) -> Result<Response, TestCaseError> {
        self.kv(
            "key update",
            "PATCH",
            &format!("/keys/{KEY}/{version}"),
            Some(json!({ "attributes": { "enabled": enabled } })),
        )
    }

    fn policy(&mut self, kind: &str) -> Result<Response, TestCaseError> {
        let principal = self.principal.clone();
        let r = self.send("access policy", |env| {
            env.policy(VAULT, kind, &principal, &["get", "wrapKey", "unwrapKey"])
        })?;
        prop_assert_eq!(r.status, 200, "{}", r.body);
        Ok(r)
    }

    fn retained(&self) -> BTreeMap<String, i64> {
        let now = self.now();
        self.stored
            .iter()
            .filter(|b| b.retained(now))
            .map(|b| (b.tag.clone(), b.rows as i64))
            .collect()
    }

    /// Queries the table and checks the answer against the model.
    fn check_query(&mut self) -> Result<(), TestCaseError> {
        let state = self.state();
        let expected = self.retained();
        let id = self.id.clone();
        let r = self.send("query", |env| query_prop(env, &id))?;
        match state.as_str() {
            // No block of the table is left (none stored, or all past retention).
            "accessible" | "revoking" if expected.is_empty() => {
                prop_assert_eq!(r.status, 400, "{}", r.body);
            }
            "accessible" | "revoking" => {
                prop_assert_eq!(r.status, 200, "query while {}: {}", state, r.body);
                let got: BTreeMap<String, i64> = r.body["tables"][0]["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| {
                        (
                            row[0].as_str().unwrap().to_string(),
                            row[1].as_i64().unwrap(),
                        )
                    })
                    .collect();
                prop_assert_eq!(got, expected);
            }
            // "Queries on these workspaces fail", whether or not the table holds data.
            _ => {
                prop_assert_eq!(r.status, 403, "query while {}: {}", state, r.body);
                prop_assert_eq!(
                    &r.body["error"]["code"],
                    errors::QUERY_DATA_UNAVAILABLE.code
                );
                prop_assert!(r.body.get("tables").is_none());
            }
        }
        Ok(())
    }

    fn ingest(&mut self, n: usize) -> Result<(), TestCaseError> {
        self.seq += 1;
        let tag = format!("{MARK}{:03}", self.seq);
        let state = self.state();
        let blocks = self.env.e.snapshot().storage.total_blocks;
        let records = Value::Array((0..n).map(|i| json!({ "Tag": tag, "Seq": i })).collect());
        let id = self.id.clone();
        let r = self.send("ingest", |env| post_prop(env, &id, &records))?;
        prop_assert_eq!(r.status, 200, "{}", r.body);
        let snap = self.env.e.snapshot();
        match state.as_str() {
            "accessible" | "revoking" => {
                prop_assert_eq!(
                    snap.storage.total_blocks,
                    blocks + 1,
                    "stored while {}",
                    state
                );
                self.stored.push(Batch {
                    tag,
                    rows: n,
                    at: self.now(),
                });
            }
            _ => {
                prop_assert_eq!(snap.storage.total_blocks, blocks, "dropped while {}", state);
                self.dropped += n as u64;
            }
        }
        prop_assert_eq!(snap.workspaces[0].dropped_rows, self.dropped);
        Ok(())
    }

    fn run(&mut self, a: &Action) -> Result<(), TestCaseError> {
        match a {
            Action::DisableInUse | Action::EnableInUse => {
                let enable = matches!(a, Action::EnableInUse);
                let v = self.in_use();
                let r = self.set_enabled(&v, enable)?;
                if r.status == 200 {
                    if enable {
                        self.disabled.remove(&v);
                    } else {
                        self.disabled.insert(v);
                    }
                } else if !self.outage {
                    prop_assert!(self.key_deleted(), "{}", r.body);
                    prop_assert_eq!(r.status, 404);
                }
            }
            Action::Rotate => {
                let r = self.kv("rotate", "POST", &format!("/keys/{KEY}/rotate"), None)?;
                prop_assert!(
                    r.status == 200 || self.outage || self.key_deleted(),
                    "{}",
                    r.body
                );
            }
            Action::DeleteKey => {
                let r = self.kv("delete", "DELETE", &format!("/keys/{KEY}"), None)?;
                if r.status == 200 {
                    self.deleted_at = Some(self.now());
                } else {
                    prop_assert!(self.outage || self.key_deleted(), "{}", r.body);
                }
            }
            Action::RecoverKey => {
                let r = self.kv(
                    "recover",
                    "POST",
                    &format!("/deletedkeys/{KEY}/recover"),
                    None,
                )?;
                if r.status == 200 {
                    prop_assert!(!self.purged());
                    self.deleted_at = None;
                } else {
                    prop_assert!(
                        self.outage || !self.key_deleted() || self.purged(),
                        "{}",
                        r.body
                    );
                }
            }
            Action::PolicyRemove => {
                self.policy("remove")?;
                self.policy_removed = true;
            }
            Action::PolicyAdd => {
                self.policy("add")?;
                self.policy_removed = false;
            }
            Action::IdentityNone => {
                let r = self.send("identity None", |env| {
                    env.cluster_patch(json!({ "identity": { "type": "None" } }))
                })?;
                prop_assert!(r.status == 202 || r.status == 200, "{}", r.body);
                if self.identity_none.is_none() {
                    self.identity_none = Some(self.now());
                }
            }
            Action::OutageOn(kind) => {
                self.env.e.set_key_vault_outage(VAULT, Some(*kind)).unwrap();
                self.outage = true;
            }
            Action::OutageOff => {
                self.env.e.set_key_vault_outage(VAULT, None).unwrap();
                self.outage = false;
            }
            Action::Ingest(n) => self.ingest(*n)?,
            Action::Query => self.check_query()?,
            Action::Advance(s) => self.env.advance(*s),
        }
        self.invariants()
    }

    /// Checked after every action.
    fn invariants(&mut self) -> Result<(), TestCaseError> {
        let now = self.now();
        let snap = self.env.e.snapshot();
        // Blocks go only at retention.
        let retained = self.stored.iter().filter(|b| b.retained(now)).count();
        prop_assert_eq!(snap.storage.total_blocks, retained, "blocks at {}", now);
        prop_assert_eq!(snap.workspaces[0].dropped_rows, self.dropped);
        // The workspace's state is its cluster's.
        let state = snap.workspaces[0].access.state.clone();
        prop_assert_eq!(&snap.clusters[0].access.state, &state);
        // The timing of the seed, from when Key Vault's answer last changed.
        let verdict = self.oracle();
        if verdict != self.verdict.0 {
            self.verdict = (verdict, now);
        }
        let since = now - self.verdict.1;
        match self.verdict.0 {
            Some(false) if since >= REVOKE_WITHIN => prop_assert_eq!(
                &state,
                "revoked",
                "refused for {} s, since {}",
                since,
                self.verdict.1
            ),
            Some(true) if since >= RESUME_WITHIN => prop_assert_eq!(
                &state,
                "accessible",
                "answered for {} s, since {}",
                since,
                self.verdict.1
            ),
            _ => {}
        }
        // The model's levers agree with the oracle.
        if self.verdict.0.is_some() {
            let levers = self.key_deleted()
                || self.policy_removed
                || self.identity_none.is_some()
                || self.disabled.contains(&self.in_use());
            prop_assert_eq!(self.verdict.0, Some(!levers));
        }
        if state == "revoked" || state == "recovering" {
            // Nothing in the page's view either.
            let text = serde_json::to_string(&snap).unwrap();
            prop_assert!(!text.contains(MARK), "a record tag in the snapshot");
        }
        Ok(())
    }

    /// Reverses every lever, ends the outage, waits 30 minutes, and checks that every retained
    /// block is readable and nothing else is.
    fn restore(&mut self) -> Result<(), TestCaseError> {
        self.run(&Action::OutageOff)?;
        if self.purged() {
            // Purged at its scheduled date (the vault's 90-day retention): nothing to recover,
            // and the data it protected can never be decrypted again.
            prop_assert!(
                self.env.timeline_has("can never be decrypted again"),
                "the purge is announced"
            );
            return self.irreversible();
        }
        if self.key_deleted() {
            // The outage is over and the key is not purged, so the recovery must succeed.
            self.run(&Action::RecoverKey)?;
            prop_assert!(!self.key_deleted(), "the deleted key was recovered");
        }
        for v in std::mem::take(&mut self.disabled) {
            let r = self.set_enabled(&v, true)?;
            prop_assert_eq!(r.status, 200, "{}", r.body);
        }
        if self.policy_removed {
            self.run(&Action::PolicyAdd)?;
        }
        self.invariants()?;
        if self.identity_none.is_some() {
            return self.irreversible();
        }
        // Storage's next poll (at most a minute away) sees the restored access; queries answer
        // only once service has resumed.
        self.run(&Action::Advance(60))?;
        let state = self.state();
        prop_assert!(
            state == "accessible" || state == "recovering",
            "a minute after the restore: {}",
            state
        );
        self.check_query()?;
        self.run(&Action::Advance(RESUME_WITHIN - 60))?;
        prop_assert_eq!(self.state(), "accessible");
        self.check_query()?;
        // Every retained block decrypts through the key chain.
        let snap = self.env.e.snapshot();
        for b in &snap.storage.blocks {
            let check = self.env.e.inspect_block(b.id).unwrap().check;
            prop_assert!(check.is_ok(), "block {}: {:?}", b.id, check);
        }
        // And ingestion works again.
        self.ingest(3)?;
        self.check_query()
    }
}

fn check(actions: &[Action]) -> Result<(), TestCaseError> {
    let mut r = Runner::new();
    for a in actions {
        r.run(a)?;
    }
    r.restore()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: common::property_cases(32),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn customer_controls_keep_data_sealed_while_revoked_and_lose_nothing_but_drops_and_retention(
        actions in case()
    ) {
        check(&actions)?;
    }
}
