#![cfg(not(target_arch = "wasm32"))]
//! Key revocation, recovery, transient Key Vault trouble and key rotation as the cluster's storage
//! lives them on the virtual clock: one scenario per statement of the seed documents
//! (`azure-monitor-customer-managed-key.txt`: "Key revocation", "Key rotation", "Behavior with
//! Key Vault availability", "Key Vault access rate"; `sentinel-customer-managed-key.txt`: "Key
//! Encryption Key revocation or deletion", "Customer-managed key rotation"), each named after the
//! statement it checks and asserting its timings from the snapshot's timestamps.

use crate::common;
use cmk_playground::engine::Response;
use cmk_playground::engine::errors;
use cmk_playground::engine::journal::TimelineEntry;
use cmk_playground::engine::storage::TamperTarget;
use cmk_playground::engine::storage::access::Outage;
use cmk_playground::engine::view::{AccessView, AccountView};
use common::*;
use serde_json::{Value, json};

const MINUTE: u64 = 60;
/// The seed's "Key Vault access rate": storage goes back to Key Vault every 6 to 60 seconds.
const POLL_MIN: u64 = 6;
const POLL_MAX: u64 = 60;
/// The audit detail of storage's periodic unwraps.
const PERIODIC: &str = "RSA-OAEP-256 (storage's periodic check)";
const CLUSTER_ASSIGNMENT: &str = "33333333-3333-4333-8333-333333333333";

// ---- requests ---------------------------------------------------------------------------------

fn records(n: usize, tag: &str) -> Value {
    Value::Array((0..n).map(|i| json!({ "Tag": tag, "Seq": i })).collect())
}

/// The sum of storage's periodic unwrap calls in the audit log (folded entries count many).
fn polls(env: &Env) -> u64 {
    env.e
        .audit_log()
        .iter()
        .filter(|a| a.operation == "KeyUnwrap" && a.detail == PERIODIC)
        .map(|a| a.count)
        .sum()
}

fn rotate(env: &mut Env) -> String {
    let r = env.kv("POST", &format!("/keys/{KEY}/rotate"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    version_of(&r.body["key"]["kid"])
}

/// The newest timeline entry containing `text`.
#[track_caller]
fn last_entry(env: &Env, text: &str) -> TimelineEntry {
    env.e
        .timeline()
        .iter()
        .rev()
        .find(|t| t.text.contains(text))
        .unwrap_or_else(|| panic!("no timeline entry with {text:?}"))
        .clone()
}

// ---- the fixture ------------------------------------------------------------------------------

/// A provisioned cluster (auto-rotation) with a linked workspace.
struct Fx {
    env: Env,
    version: String,
    principal: String,
    id: String,
}

/// The ways the seed documents to revoke access.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lever {
    /// "disabling your key" (the version storage uses).
    DisableVersion,
    /// Deleting the key (soft delete; the Sentinel seed: "either by deleting it").
    DeleteKey,
    /// "deleting access policy in your Key Vault".
    RemoveAccessPolicy,
    /// The RBAC equivalent: removing the cluster identity's role assignment.
    RemoveRoleAssignment,
    /// "Setting the cluster's identity type to None".
    IdentityNone,
}

impl Fx {
    /// A provisioned environment with the workspace's customer id looked up.
    fn ready(mut env: Env, version: String, principal: String) -> Fx {
        let id = customer_id(&mut env, WS);
        Fx {
            env,
            version,
            principal,
            id,
        }
    }

    /// The five provisioning steps with an access-policy vault.
    fn new() -> Fx {
        let mut env = Env::new();
        let (version, principal) = env.provisioned();
        Fx::ready(env, version, principal)
    }

    /// The same with an RBAC vault: the user is Key Vault Crypto Officer, the cluster identity Key
    /// Vault Crypto Service Encryption User.
    fn rbac() -> Fx {
        let mut env = Env::new();
        env.group(RG, "eastus");
        let version = env.rbac_vault(VAULT);
        let principal = env.step2_cluster();
        let r = env.assign_role(
            &Env::vault_path(VAULT),
            CRYPTO_SERVICE_ENCRYPTION_USER,
            &principal,
            CLUSTER_ASSIGNMENT,
        );
        assert_eq!(r.status, 201, "{r:?}");
        env.step4_key("");
        env.step5_link(WS);
        Fx::ready(env, version, principal)
    }

    /// Provisioned like [`Fx::new`], but the vault's soft-delete retention is `days`.
    fn with_retention(days: u32) -> Fx {
        let mut env = Env::new();
        env.group(RG, "eastus");
        let mut body = Env::vault_body(true, true);
        body["properties"]["softDeleteRetentionInDays"] = json!(days);
        assert_eq!(env.put_vault(VAULT, body).status, 200);
        let version = env.create_key_in(VAULT, KEY);
        let principal = env.step2_cluster();
        env.step3_grant(&principal);
        env.step4_key("");
        env.step5_link(WS);
        Fx::ready(env, version, principal)
    }

    /// Provisioned with the key version pinned (`keyVersion` set).
    fn pinned() -> Fx {
        let mut env = Env::new();
        let version = env.step1_vault_and_key();
        let principal = env.step2_cluster();
        env.step3_grant(&principal);
        env.step4_key(&version);
        env.step5_link(WS);
        Fx::ready(env, version, principal)
    }

    fn now(&self) -> u64 {
        self.env.e.now()
    }

    fn advance(&mut self, s: u64) {
        self.env.advance(s);
    }

    #[track_caller]
    fn ingest(&mut self, log_type: &str, n: usize, tag: &str) {
        let r = post_logs(&mut self.env.e, &self.id, log_type, &records(n, tag));
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// `(tag, rows)` of a table, by tag.
    #[track_caller]
    fn tags(&mut self, table: &str) -> Vec<(String, i64)> {
        let r = query(
            &mut self.env.e,
            &self.id,
            &format!("{table} | summarize count() by Tag_s | order by Tag_s asc"),
        );
        rows(&r)
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_i64().unwrap()))
            .collect()
    }

    /// A query that must fail because the data is out of reach; it changes nothing.
    #[track_caller]
    fn query_refused(&mut self, table: &str) -> Response {
        let id = self.id.clone();
        let r = self.env.refused(&errors::QUERY_DATA_UNAVAILABLE, |env| {
            query(&mut env.e, &id, &format!("{table} | count"))
        });
        assert!(r.body.get("tables").is_none(), "{}", r.body);
        r
    }

    fn access(&self) -> AccessView {
        self.env.e.snapshot().clusters[0].access.clone()
    }

    fn ws_access(&self) -> AccessView {
        self.env.e.snapshot().workspaces[0].access.clone()
    }

    /// The cluster's CMK storage account that receives new data.
    fn account(&self) -> AccountView {
        self.env
            .e
            .snapshot()
            .storage
            .accounts
            .into_iter()
            .find(|a| a.protection == "CMK" && a.writable && a.cluster.is_some())
            .expect("a writable CMK account")
    }

    fn dropped(&self, table: &str) -> u64 {
        self.env
            .e
            .snapshot()
            .storage
            .drops
            .iter()
            .filter(|d| d.workspace == WS && d.table == table)
            .map(|d| d.rows)
            .sum()
    }

    fn pull(&mut self, lever: Lever) {
        let env = &mut self.env;
        match lever {
            Lever::DisableVersion => env.set_enabled(&self.version, false),
            Lever::DeleteKey => {
                let r = env.kv("DELETE", &format!("/keys/{KEY}"), None);
                assert_eq!(r.status, 200, "{}", r.body);
            }
            Lever::RemoveAccessPolicy => {
                let r = env.policy(
                    VAULT,
                    "remove",
                    &self.principal,
                    &["get", "wrapKey", "unwrapKey"],
                );
                assert_eq!(r.status, 200, "{}", r.body);
                let snap = env.e.snapshot();
                assert!(
                    snap.vaults[0]
                        .access_policies
                        .iter()
                        .all(|p| p.object_id != self.principal),
                    "the cluster's access policy is gone"
                );
            }
            Lever::RemoveRoleAssignment => {
                let r = env.arm(
                    "DELETE",
                    &format!(
                        "{}/providers/Microsoft.Authorization/roleAssignments/{CLUSTER_ASSIGNMENT}",
                        Env::vault_path(VAULT)
                    ),
                    "2022-04-01",
                    None,
                );
                assert_eq!(r.status, 200, "{}", r.body);
            }
            Lever::IdentityNone => {
                let r = env.cluster_patch(json!({ "identity": { "type": "None" } }));
                assert_eq!(r.status, 202, "{}", r.body);
            }
        }
    }

    fn restore(&mut self, lever: Lever) {
        let env = &mut self.env;
        match lever {
            Lever::DisableVersion => env.set_enabled(&self.version, true),
            Lever::DeleteKey => {
                let r = env.kv("POST", &format!("/deletedkeys/{KEY}/recover"), None);
                assert_eq!(r.status, 200, "{}", r.body);
            }
            Lever::RemoveAccessPolicy => env.step3_grant(&self.principal),
            Lever::RemoveRoleAssignment => {
                let r = env.assign_role(
                    &Env::vault_path(VAULT),
                    CRYPTO_SERVICE_ENCRYPTION_USER,
                    &self.principal,
                    CLUSTER_ASSIGNMENT,
                );
                assert_eq!(r.status, 201, "{}", r.body);
            }
            Lever::IdentityNone => panic!("identity None cannot be reverted"),
        }
    }

    /// Advances one second at a time until the cluster's access state is `state`; returns when.
    #[track_caller]
    fn step_until(&mut self, state: &str, limit: u64) -> u64 {
        let start = self.now();
        while self.access().state != state {
            assert!(
                self.now() - start < limit,
                "not {state} within {limit} s: {:?}",
                self.access()
            );
            self.advance(1);
        }
        self.now()
    }

    /// The seed's revocation, from the moment `lever` is pulled: still served from the cache
    /// at first, `revoking` at the first refused poll (at most 60 s later), `revoked` within the
    /// hour; then queries fail, new data is dropped and counted per workspace and table, the hot
    /// cache is deleted, and the stored blocks stay. Returns the time the lever was pulled.
    fn revoked_within_an_hour(&mut self, lever: Lever) -> u64 {
        self.ingest("App", 5, "before");
        assert_eq!(self.tags("App_CL"), vec![("before".into(), 5)]);
        assert_eq!(self.account().hot_blocks, 1);

        let t0 = self.now();
        self.pull(lever);
        // Nothing changes before storage's next poll: the cached AEK serves.
        assert_eq!(self.access().state, "accessible");
        self.ingest("App", 3, "cached");
        assert_eq!(
            self.tags("App_CL"),
            vec![("before".into(), 5), ("cached".into(), 3)]
        );

        // "Between 6 to 60 seconds": the first refused poll comes within a minute.
        self.advance(POLL_MAX);
        let revoking = self.access();
        assert_eq!(revoking.state, "revoking", "{revoking:?}");
        let since = revoking.since.unwrap();
        let until = revoking.until.unwrap();
        assert!(since > t0 && since <= t0 + POLL_MAX, "{revoking:?} t0={t0}");
        assert!(
            until > since && until - since <= HOUR,
            "revocation takes effect within the hour: {revoking:?}"
        );
        assert!(revoking.reason.is_some());
        // Still served from the cache while the change propagates.
        assert_eq!(self.tags("App_CL").len(), 2);
        assert_eq!(self.dropped("App_CL"), 0);

        // "Within an hour or sooner".
        self.advance(t0 + HOUR - self.now());
        let revoked = self.access();
        assert_eq!(revoked.state, "revoked", "{revoked:?}");
        let at = revoked.since.unwrap();
        assert!(at >= until && at <= t0 + HOUR, "{revoked:?} t0={t0}");
        assert_eq!(self.ws_access().state, "revoked");
        assert!(self.env.timeline_has("is unavailable"));

        // "Data becomes inaccessible and queries on these workspaces fail".
        let r = self.query_refused("App_CL");
        assert!(
            !r.body.to_string().contains("before"),
            "no plaintext in the refusal: {}",
            r.body
        );
        // "Any new data ingested ... gets dropped and won't be recoverable", per table.
        self.ingest("App", 4, "lost");
        self.ingest("Other", 2, "lost");
        assert_eq!(self.dropped("App_CL"), 4);
        assert_eq!(self.dropped("Other_CL"), 2);
        assert_eq!(self.env.e.snapshot().workspaces[0].dropped_rows, 6);
        // "Ingested data in last 14 days is also kept in hot-cache ... This gets deleted".
        let account = self.account();
        assert_eq!(account.hot_blocks, 0, "{account:?}");
        assert!(!account.cached, "the cached AEK is dropped");
        // "Previously ingested data remains in storage".
        assert_eq!(account.blocks, 2, "{account:?}");
        assert_eq!(account.rows, 8);
        assert_eq!(self.env.e.snapshot().storage.total_blocks, 2);
        self.advance(DAY);
        assert_eq!(self.access().state, "revoked");
        assert_eq!(self.env.e.snapshot().storage.total_blocks, 2);
        t0
    }

    /// "Once accessed, data ingestion and query are resumed within 30 minutes": after `lever` is
    /// reversed, storage stays revoked until its next poll, recovers, and serves again at most 30
    /// minutes after the restore. Data dropped meanwhile stays lost.
    fn resumed_within_30_minutes(&mut self, lever: Lever) {
        let t1 = self.now();
        self.restore(lever);
        assert_eq!(self.access().state, "revoked", "until the next poll");
        self.query_refused("App_CL");

        self.advance(POLL_MAX);
        let recovering = self.access();
        assert_eq!(recovering.state, "recovering", "{recovering:?}");
        let since = recovering.since.unwrap();
        assert!(
            since > t1 && since <= t1 + POLL_MAX,
            "{recovering:?} t1={t1}"
        );
        assert!(recovering.until.unwrap() <= t1 + 30 * MINUTE);
        // Not yet serving: queries still fail and new data is still dropped.
        self.query_refused("App_CL");
        self.ingest("App", 1, "recovering");
        assert_eq!(self.dropped("App_CL"), 5);

        let back = self.step_until("accessible", 30 * MINUTE);
        assert!(back <= t1 + 30 * MINUTE, "resumed {} s after", back - t1);
        let note = last_entry(&self.env, "available again");
        assert!(note.time > t1 && note.time <= t1 + 30 * MINUTE, "{note:?}");
        assert_eq!(self.ws_access().state, "accessible");

        // Old data readable again; what was dropped stays lost.
        assert_eq!(
            self.tags("App_CL"),
            vec![("before".into(), 5), ("cached".into(), 3)]
        );
        // The dropped table never got a block: it does not exist for queries.
        let r = query(&mut self.env.e, &self.id, "Other_CL | count");
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(!r.body.to_string().contains("lost"), "{}", r.body);
        // (The reload of the hot cache is checked on its own, see
        // `the_hot_cache_of_the_last_14_days_is_reloaded_when_access_resumes`.)
        // Ingestion resumed.
        self.ingest("App", 2, "after");
        assert_eq!(
            self.tags("App_CL"),
            vec![
                ("after".into(), 2),
                ("before".into(), 5),
                ("cached".into(), 3)
            ]
        );
        assert_eq!(self.dropped("App_CL"), 5, "no new drops");
    }
}

// ---- Key Vault access rate ----------------------------------------------------------------------

/// "The frequency that Azure Monitor Storage accesses Key Vault for wrap and unwrap operations is
/// between 6 to 60 seconds": every poll, seen one second at a time, and in bulk over six hours.
#[test]
fn key_vault_access_rate_storage_polls_key_vault_every_6_to_60_seconds() {
    let mut fx = Fx::new();
    // Second by second: each poll shows up in the (folded) audit log as one more call.
    let mut times = Vec::new();
    let mut seen = polls(&fx.env);
    let start = fx.now();
    while fx.now() < start + 30 * MINUTE {
        fx.advance(1);
        let n = polls(&fx.env);
        assert!(n <= seen + 1, "one poll per second at most");
        if n > seen {
            times.push(fx.now());
        }
        seen = n;
    }
    assert!(
        times.len() as u64 >= 30 * MINUTE / POLL_MAX - 1,
        "{times:?}"
    );
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (POLL_MIN..=POLL_MAX).contains(&gap),
            "{gap} s between polls at {} and {}",
            w[0],
            w[1]
        );
    }
    assert!(times[0] - start <= POLL_MAX);
    // In bulk (the steady polls are accounted for up to the advance's horizon): the same rate.
    let before = polls(&fx.env);
    fx.advance(6 * HOUR);
    let n = polls(&fx.env) - before;
    assert!(
        (6 * HOUR / POLL_MAX - 1..=6 * HOUR / POLL_MIN + 1).contains(&n),
        "{n} polls in 6 hours"
    );
    // Each folded entry stays within its hour and is a success with the version in use.
    let v = fx.version.clone();
    for a in fx.env.e.audit_log().iter().filter(|a| a.detail == PERIODIC) {
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.version.as_deref(), Some(v.as_str()));
        assert_eq!(a.caller_object_id, fx.principal);
        assert!(a.count >= 1 && a.last >= a.time, "{a:?}");
    }
}

/// The poll after a permission change comes within 60 seconds: the first refused poll (the
/// `revoking` state's `since`, and its audit entry) is at most a minute after the change.
#[test]
fn key_vault_access_rate_the_first_refused_poll_comes_within_60_seconds_of_the_change() {
    let mut fx = Fx::new();
    fx.advance(HOUR);
    let t0 = fx.now();
    fx.env.set_enabled(&fx.version.clone(), false);
    let at = fx.step_until("revoking", POLL_MAX + 1);
    assert!(at > t0 && at <= t0 + POLL_MAX, "{} s", at - t0);
    assert_eq!(fx.access().since, Some(at));
    let refused = fx
        .env
        .e
        .audit_log()
        .iter()
        .find(|a| a.detail == PERIODIC && a.status != 200)
        .expect("the refused poll is audited")
        .clone();
    assert_eq!(refused.time, at);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.result, "KeyDisabled");
    assert_eq!(refused.caller_object_id, fx.principal);
}

/// An audit log records calls that happened: after any advance, no entry (folded or not) ends in
/// the future.
#[test]

fn the_audit_log_never_records_a_poll_in_the_future() {
    let mut fx = Fx::new();
    for i in 0..48 {
        fx.advance(HOUR + i * 7);
        let now = fx.now();
        for a in fx.env.e.audit_log() {
            assert!(
                a.time <= now && a.last <= now,
                "audit entry ends {} s in the future: {a:?}",
                a.last.saturating_sub(now)
            );
        }
    }
}

/// Key Vault cannot unwrap with a disabled version, so its audit log cannot show storage doing it:
/// no successful unwrap with the version ends after the moment it was disabled (Sentinel's advice
/// to watch the audit log for "activity that uses the previous version" relies on it).
#[test]

fn the_audit_log_never_shows_a_successful_unwrap_after_the_version_was_disabled() {
    let mut fx = Fx::new();
    let v = fx.version.clone();
    // Stop the clock right after an advance whose bulk-accounted polls run past it (the common
    // case), then disable the version.
    for i in 0..48 {
        fx.advance(HOUR + i * 7);
        let now = fx.now();
        if fx.env.e.audit_log().iter().any(|a| a.last > now) {
            break;
        }
    }
    let t0 = fx.now();
    fx.env.set_enabled(&v, false);
    fx.advance(HOUR);
    for a in fx.env.e.audit_log().iter().filter(|a| {
        a.operation == "KeyUnwrap" && a.status == 200 && a.version.as_deref() == Some(v.as_str())
    }) {
        assert!(
            a.last <= t0,
            "a successful unwrap with a disabled version, {} s after it was disabled: {a:?}",
            a.last - t0
        );
    }
    let last_use = fx.env.e.snapshot().vaults[0].keys[0].versions[0].last_use;
    assert!(
        last_use.unwrap() <= t0,
        "VersionView.last_use {last_use:?} after {t0}"
    );
}

// ---- Key revocation: "within an hour or sooner"; "resumed within 30 minutes" ----------------------

/// "The recommended way to revoke access to your data is by disabling your key": the version in
/// use is disabled, storage honours it within the hour; enabled again, service resumes within 30
/// minutes.
#[test]
fn disabling_the_key_is_respected_within_an_hour_and_enabling_it_resumes_within_30_minutes() {
    let mut fx = Fx::new();
    fx.revoked_within_an_hour(Lever::DisableVersion);
    let r = fx.query_refused("App_CL");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{}",
        r.body
    );
    fx.resumed_within_30_minutes(Lever::DisableVersion);
}

/// The Sentinel seed: "If a user revokes the key encryption key ... by deleting it ... within one
/// hour"; the Key Vault soft delete keeps it recoverable, and recovering it restores access
/// ("If access is restored after revocation, ... restores access to the data within an hour";
/// the Azure Monitor seed says within 30 minutes).
#[test]
fn deleting_the_key_is_respected_within_an_hour_and_recovering_it_resumes_within_30_minutes() {
    let mut fx = Fx::new();
    fx.revoked_within_an_hour(Lever::DeleteKey);
    assert!(
        fx.access().reason.unwrap().contains(KEY),
        "{:?}",
        fx.access()
    );
    fx.resumed_within_30_minutes(Lever::DeleteKey);
}

/// "... or deleting access policy in your Key Vault".
#[test]
fn deleting_the_access_policy_is_respected_within_an_hour_and_granting_it_again_resumes_within_30_minutes()
 {
    let mut fx = Fx::new();
    fx.revoked_within_an_hour(Lever::RemoveAccessPolicy);
    // The user's own access is untouched: the vault answers the user, not the cluster.
    assert_eq!(fx.env.kv("GET", &format!("/keys/{KEY}"), None).status, 200);
    fx.resumed_within_30_minutes(Lever::RemoveAccessPolicy);
}

/// The same on a vault with Azure RBAC: removing the cluster identity's role assignment is a
/// change in key permissions.
#[test]
fn removing_the_role_assignment_on_an_rbac_vault_is_respected_within_an_hour_and_assigning_it_again_resumes_within_30_minutes()
 {
    let mut fx = Fx::rbac();
    fx.revoked_within_an_hour(Lever::RemoveRoleAssignment);
    fx.resumed_within_30_minutes(Lever::RemoveRoleAssignment);
}

/// "Setting the cluster's identity type to None also revokes access to your data, but ... you
/// can't revert it without contacting support."
#[test]
fn identity_none_revokes_within_an_hour_and_cannot_be_reverted() {
    let mut fx = Fx::new();
    let t0 = fx.revoked_within_an_hour(Lever::IdentityNone);
    assert_eq!(fx.env.get_cluster()["identity"]["type"], "None");
    // Days later, and whatever the vault says, it stays revoked.
    fx.env.step3_grant(&fx.principal.clone());
    fx.advance(3 * DAY);
    let a = fx.access();
    assert_eq!(a.state, "revoked", "{a:?}");
    assert!(a.since.unwrap() <= t0 + HOUR);
    fx.query_refused("App_CL");
    fx.ingest("App", 1, "later");
    assert_eq!(fx.dropped("App_CL"), 5);
    // Without an identity, storage's calls never reach the vault: nothing after the first minute.
    let principal = fx.principal.clone();
    assert!(
        fx.env
            .e
            .audit_log()
            .iter()
            .all(|a| a.caller_object_id != principal || a.last <= t0 + POLL_MAX),
        "no Key Vault call by the retired identity"
    );
    // Neither a system-assigned nor a user-assigned identity can be set again.
    fx.env.refused(&errors::IDENTITY_NONE_IRREVERSIBLE, |env| {
        env.cluster_patch(json!({ "identity": { "type": "SystemAssigned" } }))
    });
    let (ua, _) = fx.env.user_identity("cluster-ua", "eastus");
    fx.env.refused(&errors::IDENTITY_NONE_IRREVERSIBLE, |env| {
        env.cluster_patch(
            json!({ "identity": { "type": "UserAssigned", "userAssignedIdentities": { ua: {} } } }),
        )
    });
    // Saying None again is no change.
    let r = fx
        .env
        .cluster_patch(json!({ "identity": { "type": "None" } }));
    assert_eq!(r.status, 200, "{}", r.body);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
}

/// "Inaccessible data is governed by the data-retention policy and will be purged when retention is
/// reached" (and the Sentinel seed: "Previously stored data isn't deleted but remains
/// inaccessible").
#[test]
fn inaccessible_data_is_governed_by_the_data_retention_policy_and_purged_when_retention_is_reached()
{
    let mut fx = Fx::new();
    let t0 = fx.revoked_within_an_hour(Lever::DisableVersion);
    // Stored 30 days of retention (the workspace default) after ingestion: blocks ingested at
    // t0 or just before, purged at the first daily upkeep past t0 + 30 days.
    fx.advance(t0 + 29 * DAY - fx.now());
    assert_eq!(fx.access().state, "revoked");
    assert_eq!(
        fx.env.e.snapshot().storage.total_blocks,
        2,
        "kept until retention"
    );
    assert!(!fx.env.timeline_has("Retention reached"));
    fx.advance(2 * DAY + 1);
    let snap = fx.env.e.snapshot();
    assert_eq!(snap.storage.total_blocks, 0, "purged while inaccessible");
    assert_eq!(
        fx.access().state,
        "revoked",
        "retention does not restore access"
    );
    let purge = fx
        .env
        .e
        .timeline()
        .iter()
        .find(|t| t.text.contains("Retention reached"))
        .unwrap()
        .clone();
    assert!(purge.text.contains("2 blocks (8 rows)"), "{}", purge.text);
    assert!(purge.time >= t0 + 30 * DAY - MINUTE && purge.time <= t0 + 31 * DAY);
    // The drops stay counted.
    assert_eq!(fx.dropped("App_CL"), 4);
    // Restoring access now gives back an empty table, not the purged rows.
    fx.restore(Lever::DisableVersion);
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    let r = query(&mut fx.env.e, &fx.id, "App_CL | count");
    assert_eq!(r.status, 400, "no block of App_CL is left: {}", r.body);
}

/// Retention is per workspace: a longer retention keeps inaccessible data longer.
#[test]
fn inaccessible_data_follows_the_workspaces_own_retention() {
    let mut fx = Fx::new();
    let r = fx.env.arm(
        "PUT",
        &Env::workspace_path(WS),
        OI,
        Some(json!({ "location": "eastus", "properties": { "retentionInDays": 60 } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let t0 = fx.revoked_within_an_hour(Lever::RemoveAccessPolicy);
    fx.advance(t0 + 45 * DAY - fx.now());
    assert_eq!(fx.env.e.snapshot().storage.total_blocks, 2);
    fx.advance(16 * DAY + 1);
    assert_eq!(fx.env.e.snapshot().storage.total_blocks, 0);
    assert_eq!(fx.access().state, "revoked");
}

/// The Sentinel seed: "The only operation possible after the encryption key is revoked or deleted
/// is account deletion": a revoked cluster can be deleted, and its data goes with it.
#[test]
fn a_revoked_cluster_can_still_be_deleted_and_its_data_goes_with_it() {
    let mut fx = Fx::new();
    fx.revoked_within_an_hour(Lever::DeleteKey);
    let r = fx.env.arm("DELETE", &Env::cluster_path(CLUSTER), OI, None);
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(HOUR);
    let snap = fx.env.e.snapshot();
    assert!(snap.clusters.is_empty());
    assert_eq!(snap.storage.total_blocks, 0);
    assert!(snap.storage.accounts.iter().all(|a| a.cluster.is_none()));
}

/// Revocation does not depend on when it happens: pulled in the middle of a long advance's bulk
/// accounting (a permission change by a request right after `advance(30 days)`), it still takes
/// effect within the hour.
#[test]
fn key_permission_changes_are_respected_within_an_hour_after_a_long_quiet_period() {
    let mut fx = Fx::new();
    fx.ingest("App", 2, "x");
    fx.advance(20 * DAY);
    let t0 = fx.now();
    fx.pull(Lever::RemoveAccessPolicy);
    fx.advance(HOUR);
    let a = fx.access();
    assert_eq!(a.state, "revoked", "{a:?}");
    assert!(a.since.unwrap() <= t0 + HOUR);
    let t1 = fx.now();
    fx.restore(Lever::RemoveAccessPolicy);
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    assert!(
        fx.account().hot_blocks == 0,
        "20-day-old data is not hot any more"
    );
    assert_eq!(fx.tags("App_CL"), vec![("x".into(), 2)]);
    let note = last_entry(&fx.env, "available again");
    assert!(note.time <= t1 + 30 * MINUTE);
}

/// Access restored while the revocation is still propagating (before the hour is over): no
/// interruption at all.
#[test]
fn access_restored_before_the_revocation_takes_effect_causes_no_interruption() {
    let mut fx = Fx::new();
    fx.ingest("App", 2, "x");
    fx.pull(Lever::DisableVersion);
    fx.advance(POLL_MAX);
    assert_eq!(fx.access().state, "revoking");
    fx.restore(Lever::DisableVersion);
    fx.advance(POLL_MAX);
    assert_eq!(fx.access().state, "accessible");
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    assert!(!fx.env.timeline_has("is unavailable"));
    assert_eq!(fx.tags("App_CL"), vec![("x".into(), 2)]);
    assert_eq!(fx.account().hot_blocks, 1);
    assert_eq!(fx.env.e.snapshot().workspaces[0].dropped_rows, 0);
}

/// The hot cache "gets deleted on key revocation"; once access resumes, the last 14 days go back
/// into it (the engine's `reload_hot_cache`, announced in the timeline as "N blocks reloaded").
#[test]

fn the_hot_cache_of_the_last_14_days_is_reloaded_when_access_resumes() {
    let mut fx = Fx::new();
    fx.ingest("App", 3, "recent");
    fx.pull(Lever::DisableVersion);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
    assert_eq!(fx.account().hot_blocks, 0);
    fx.restore(Lever::DisableVersion);
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    let note = last_entry(&fx.env, "available again").text;
    assert!(note.contains("1 blocks reloaded"), "{note}");
    assert_eq!(fx.account().hot_blocks, 1, "the block is hot again");
}

// ---- Behavior with Key Vault availability --------------------------------------------------------

/// "Key Vault connection errors -- Storage handles transient errors (timeouts, connection failures,
/// DNS issues) by allowing keys to stay in cache for the duration of the availablility issue ...
/// The query and ingestion capabilities continue without interruption." Checked after 6 hours and
/// after 3 days of trouble: no drops, queries answer, and no call reaches the vault (nothing in its
/// audit log); back to normal once the trouble ends.
fn transient_trouble_does_not_interrupt_ingestion_or_queries(kind: Outage) {
    let mut fx = Fx::new();
    fx.ingest("App", 5, "before");
    let audit = fx.env.e.audit_log().len();
    let polls_before = polls(&fx.env);
    let t_on = fx.now();
    fx.env.e.set_key_vault_outage(VAULT, Some(kind)).unwrap();
    assert!(fx.env.timeline_has(kind.describe()));

    fx.advance(6 * HOUR);
    let a = fx.access();
    assert_eq!(a.state, "accessible", "{a:?}");
    assert!(a.transient, "the snapshot shows the trouble: {a:?}");
    assert!(fx.account().cached);
    fx.ingest("App", 3, "six-hours");
    assert_eq!(
        fx.tags("App_CL"),
        vec![("before".into(), 5), ("six-hours".into(), 3)]
    );
    // The user's own calls to the vault fail too (503), and change nothing.
    let r = fx.env.refused(&errors::KV_UNREACHABLE, |env| {
        env.kv("GET", &format!("/keys/{KEY}"), None)
    });
    assert!(r.body.to_string().contains(kind.describe()), "{}", r.body);

    fx.advance(3 * DAY - 6 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    assert!(fx.access().transient);
    fx.ingest("App", 2, "three-days");
    fx.ingest("Other", 1, "three-days");
    assert_eq!(
        fx.tags("App_CL"),
        vec![
            ("before".into(), 5),
            ("six-hours".into(), 3),
            ("three-days".into(), 2)
        ]
    );
    assert_eq!(fx.tags("Other_CL"), vec![("three-days".into(), 1)]);
    assert_eq!(fx.env.e.snapshot().workspaces[0].dropped_rows, 0);
    assert!(fx.env.e.snapshot().storage.drops.is_empty());
    assert_eq!(fx.account().hot_blocks, 4, "the hot cache stays");
    // "Calls never reach the vault": no audit entry at all during the trouble.
    let during = &fx.env.e.audit_log()[audit..];
    assert!(during.is_empty(), "audited during the outage: {during:?}");
    assert_eq!(polls(&fx.env), polls_before);
    assert!(!fx.env.timeline_has("refused"));

    // Healthy again: storage goes back to the vault within a minute, as before.
    let t_off = fx.now();
    fx.env.e.set_key_vault_outage(VAULT, None).unwrap();
    fx.advance(POLL_MAX);
    let a = fx.access();
    assert_eq!(a.state, "accessible");
    assert!(!a.transient, "{a:?}");
    assert!(fx.env.timeline_has("reachable again"));
    let back = fx
        .env
        .e
        .audit_log()
        .iter()
        .find(|a| a.time > t_on && a.detail == PERIODIC)
        .expect("storage polls the vault again")
        .clone();
    assert!(
        back.time > t_off && back.time <= t_off + POLL_MAX,
        "{back:?}"
    );
    assert_eq!(back.status, 200);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(fx.env.kv("GET", &format!("/keys/{KEY}"), None).status, 200);
}

#[test]
fn key_vault_timeouts_leave_the_key_in_cache_and_ingestion_and_queries_continue() {
    transient_trouble_does_not_interrupt_ingestion_or_queries(Outage::Timeout);
}

#[test]
fn key_vault_connection_failures_leave_the_key_in_cache_and_ingestion_and_queries_continue() {
    transient_trouble_does_not_interrupt_ingestion_or_queries(Outage::ConnectionFailure);
}

#[test]
fn key_vault_dns_issues_leave_the_key_in_cache_and_ingestion_and_queries_continue() {
    transient_trouble_does_not_interrupt_ingestion_or_queries(Outage::Dns);
}

/// Trouble is not revocation: a key disabled during an outage is only seen once the vault answers
/// again, and from then on it is honoured within the hour.
#[test]
fn a_permission_change_hidden_by_an_outage_is_honoured_within_an_hour_once_the_vault_answers() {
    let mut fx = Fx::new();
    fx.ingest("App", 2, "x");
    // ARM still works during a data-plane outage: remove the access policy.
    fx.env
        .e
        .set_key_vault_outage(VAULT, Some(Outage::Dns))
        .unwrap();
    fx.pull(Lever::RemoveAccessPolicy);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    let t_off = fx.now();
    fx.env.e.set_key_vault_outage(VAULT, None).unwrap();
    fx.advance(HOUR);
    let a = fx.access();
    assert_eq!(a.state, "revoked", "{a:?}");
    assert!(a.since.unwrap() <= t_off + HOUR);
}

/// An outage changes nothing for a revoked account, so its polls are accounted for at once like
/// any steady state, even for a century (a hundred million polls: one at a time they took 67 s in
/// release, accounted at once the whole test takes 0.3 s); recovery still follows within 30
/// minutes of the vault answering with access restored.
#[test]
fn a_revoked_cluster_rides_out_a_long_outage_and_recovers_when_the_vault_answers() {
    let mut fx = Fx::new();
    fx.revoked_within_an_hour(Lever::DisableVersion);
    fx.env
        .e
        .set_key_vault_outage(VAULT, Some(Outage::Timeout))
        .unwrap();
    fx.advance(100 * 365 * DAY);
    assert_eq!(fx.access().state, "revoked");
    fx.env.e.set_key_vault_outage(VAULT, None).unwrap();
    fx.restore(Lever::DisableVersion);
    fx.advance(POLL_MAX);
    assert_eq!(fx.access().state, "recovering");
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    fx.ingest("App", 2, "after");
    assert_eq!(fx.tags("App_CL"), vec![("after".into(), 2)]);
}

// ---- Key rotation ---------------------------------------------------------------------------------

/// "Auto-rotation - when you update your cluster with keyVaultProperties but omit keyVersion ...
/// storage will automatically use the latest versions" (the Sentinel seed: "supports the new key
/// within an hour"), and "All your data remains accessible after the key rotation operation, since
/// data always encrypted with Account Encryption Key (AEK) while AEK is now being encrypted with
/// your new Key Encryption Key (KEK) version".
#[test]
fn auto_rotation_rewraps_the_aek_with_the_latest_version_and_all_data_remains_accessible() {
    let mut fx = Fx::new();
    fx.ingest("App", 4, "v1");
    let before = fx.account();
    assert_eq!(before.key.as_ref().unwrap().key_version, fx.version);
    let t0 = fx.now();
    let v2 = rotate(&mut fx.env);
    assert_ne!(v2, fx.version);
    // Storage picks the new version up at its next poll (well within the hour).
    let mut rewrapped = None;
    while fx.now() < t0 + HOUR {
        fx.advance(1);
        if fx.account().key.unwrap().key_version == v2 {
            rewrapped = Some(fx.now());
            break;
        }
    }
    let at = rewrapped.expect("rewrapped within the hour");
    assert!(at - t0 <= POLL_MAX, "{} s", at - t0);
    let after = fx.account();
    assert_eq!(after.aek_id, before.aek_id, "the same AEK, rewrapped");
    assert_eq!(after.name, before.name, "the same storage account");
    assert_eq!(after.wrapped_at, at);
    let wrap = fx
        .env
        .e
        .audit_log()
        .iter()
        .rev()
        .find(|a| a.operation == "KeyWrap" && a.caller_object_id == fx.principal)
        .unwrap()
        .clone();
    assert_eq!(wrap.version.as_deref(), Some(v2.as_str()));
    assert_eq!((wrap.time, wrap.status), (at, 200));
    assert!(fx.env.timeline_has("blocks are not re-encrypted"));
    // Blocks are not re-encrypted: the old block still names the version it was written under.
    fx.ingest("App", 2, "v2");
    let snap = fx.env.e.snapshot();
    let mut versions: Vec<_> = snap
        .storage
        .blocks
        .iter()
        .map(|b| b.key_version.clone().unwrap())
        .collect();
    versions.sort();
    let mut expected = vec![fx.version.clone(), v2.clone()];
    expected.sort();
    assert_eq!(versions, expected);
    assert_eq!(fx.tags("App_CL"), vec![("v1".into(), 4), ("v2".into(), 2)]);
    // Both blocks decrypt through the chain (not only from the hot cache).
    for b in &snap.storage.blocks {
        let check = fx.env.e.inspect_block(b.id).unwrap().check;
        assert!(check.is_ok(), "{check:?}");
    }
    // After the hot cache has aged out too.
    fx.advance(15 * DAY);
    assert_eq!(fx.account().hot_blocks, 0);
    assert_eq!(fx.tags("App_CL"), vec![("v1".into(), 4), ("v2".into(), 2)]);
    assert_eq!(fx.access().state, "accessible");
}

/// With auto-rotation, a newer version whose `key_ops` leave out `wrapKey` cannot take over: storage
/// keeps the AEK wrapped with the version it has, says so once, and its retries are folded in the
/// audit log. Found by the property test: each retry used to add an audit entry and an alert, so
/// advancing to the end of the clock ran out of memory. Allowing `wrapKey` lets the rotation through.
#[test]
fn a_newer_version_that_refuses_wrapkey_leaves_the_aek_where_it_is_said_once_and_folded() {
    let mut fx = Fx::new();
    fx.ingest("App", 3, "v1");
    let r = fx.env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_size": 2048, "key_ops": ["decrypt", "sign"] })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v2 = version_of(&r.body["key"]["kid"]);
    let t0 = fx.now();
    fx.advance(30 * DAY);
    assert_eq!(fx.account().key.unwrap().key_version, fx.version, "kept");
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(fx.tags("App_CL"), vec![("v1".into(), 3)]);
    let said = "Key Vault refuses to wrap the AEK with";
    let alerts = fx
        .env
        .e
        .timeline()
        .iter()
        .filter(|t| t.text.contains(said))
        .count();
    assert_eq!(alerts, 1, "said once");
    assert!(
        last_entry(&fx.env, said)
            .text
            .contains("Operation wrapKey is not permitted on this key.")
    );
    let retries: Vec<_> = fx
        .env
        .e
        .audit_log()
        .iter()
        .filter(|a| a.operation == "KeyWrap" && a.time >= t0)
        .cloned()
        .collect();
    let count: u64 = retries.iter().map(|a| a.count).sum();
    assert!(
        retries.len() <= 31 * 24,
        "folded: {} entries",
        retries.len()
    );
    assert!(count > 30 * DAY / POLL_MAX, "every check retried: {count}");
    assert!(
        retries
            .iter()
            .all(|a| a.status == 403 && a.version.as_deref() == Some(v2.as_str()))
    );
    // To the end of the clock: stays quick and small.
    let entries = fx.env.e.audit_log().len();
    fx.advance(u64::MAX);
    assert!(fx.env.e.audit_log().len() < entries + 100);

    let mut fx = Fx::new();
    let r = fx.env.kv(
        "POST",
        &format!("/keys/{KEY}/create"),
        Some(json!({ "kty": "RSA", "key_size": 2048, "key_ops": ["decrypt", "sign"] })),
    );
    let v2 = version_of(&r.body["key"]["kid"]);
    fx.advance(HOUR);
    assert_eq!(fx.account().key.unwrap().key_version, fx.version);
    let r = fx.env.kv(
        "PATCH",
        &format!("/keys/{KEY}/{v2}"),
        Some(json!({ "key_ops": ["wrapKey", "unwrapKey"] })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    fx.advance(POLL_MAX);
    assert_eq!(
        fx.account().key.unwrap().key_version,
        v2,
        "rotated once allowed"
    );
    assert_eq!(fx.access().state, "accessible");
}

/// "Explicit key version update ... If you generate new key version in Key Vault but don't update
/// it in the cluster, the Log Analytics cluster storage will keep using your previous key."
#[test]
fn a_pinned_version_keeps_being_used_after_a_new_version_is_generated() {
    let mut fx = Fx::pinned();
    fx.ingest("App", 3, "a");
    let v2 = rotate(&mut fx.env);
    let t0 = fx.now();
    fx.advance(DAY);
    let account = fx.account();
    assert_eq!(account.key.unwrap().key_version, fx.version);
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(fx.tags("App_CL"), vec![("a".into(), 3)]);
    // The audit log shows storage using the pinned version, never the new one.
    let snap = fx.env.e.snapshot();
    let versions = &snap.vaults[0].keys[0].versions;
    let last_use = |v: &str| versions.iter().find(|x| x.version == v).unwrap().last_use;
    assert!(last_use(&fx.version).unwrap() > t0 + DAY - HOUR);
    assert_eq!(last_use(&v2), None);
    assert_eq!(
        snap.clusters[0].key_version_in_use.as_deref(),
        Some(fx.version.as_str())
    );
}

/// "If you disable or delete your old key before updating the new key in the cluster, you will
/// get into key revocation state."
#[test]
fn disabling_the_old_pinned_version_before_updating_the_cluster_gets_into_key_revocation() {
    let mut fx = Fx::pinned();
    fx.ingest("App", 3, "a");
    rotate(&mut fx.env);
    let t0 = fx.now();
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(HOUR);
    let a = fx.access();
    assert_eq!(a.state, "revoked", "{a:?}");
    assert!(a.since.unwrap() <= t0 + HOUR);
    fx.query_refused("App_CL");
    fx.ingest("App", 2, "lost");
    assert_eq!(fx.dropped("App_CL"), 2);
}

/// The same with the whole key deleted (its versions go with it): revocation.
#[test]
fn deleting_the_key_of_a_pinned_version_before_updating_the_cluster_gets_into_key_revocation() {
    let mut fx = Fx::pinned();
    fx.ingest("App", 3, "a");
    rotate(&mut fx.env);
    let t0 = fx.now();
    fx.pull(Lever::DeleteKey);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
    assert!(fx.access().since.unwrap() <= t0 + HOUR);
    fx.query_refused("App_CL");
}

/// Updating `keyVersion` in the cluster first (a key update: asynchronous), then disabling the old
/// version, is the safe order: the AEK is rewrapped with the new version and nothing is revoked;
/// "All your data remains accessible after the key rotation operation".
#[test]
fn updating_the_cluster_to_the_new_version_then_disabling_the_old_one_keeps_all_data_accessible() {
    let mut fx = Fx::pinned();
    fx.ingest("App", 3, "old");
    let before = fx.account();
    let v2 = rotate(&mut fx.env);
    let r = fx.env.cluster_patch(Env::key_props(&v2));
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(HOUR);
    assert_eq!(fx.env.op_status(&r)["status"], "Succeeded");
    assert_eq!(
        fx.env.get_cluster()["properties"]["keyVaultProperties"]["keyVersion"],
        v2.as_str()
    );
    let after = fx.account();
    assert_eq!(after.key.as_ref().unwrap().key_version, v2);
    assert_eq!(after.aek_id, before.aek_id, "rewrapped, not replaced");
    let t0 = fx.now();
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    assert!(
        !fx.env
            .e
            .timeline()
            .iter()
            .any(|t| t.time >= t0 && t.text.contains("refused")),
        "nothing refused"
    );
    fx.ingest("App", 2, "new");
    assert_eq!(
        fx.tags("App_CL"),
        vec![("new".into(), 2), ("old".into(), 3)]
    );
    assert_eq!(fx.env.e.snapshot().workspaces[0].dropped_rows, 0);
}

/// Troubleshooting: "If you update your key version in Key Vault and don't update the new key
/// identifier details in the cluster, the Log Analytics cluster will keep using your previous key
/// and your data will become inaccessible [once the previous key is disabled]. Update new key
/// identifier details in the cluster to resume data ingestion and ability to query data."
/// Ingestion resumes under the new version (a new storage account, since the old AEK cannot be
/// unwrapped to be rewrapped), and queries answer again: 200 with the readable rows and a
/// `PartialError` naming the data still wrapped only by the disabled version, which comes back
/// when that version is enabled again.
#[test]
fn updating_a_revoked_cluster_to_the_new_version_resumes_data_ingestion_and_ability_to_query_data()
{
    let mut fx = Fx::pinned();
    fx.ingest("App", 3, "old");
    let v2 = rotate(&mut fx.env);
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.query_refused("App_CL");
    let r = fx.env.cluster_patch(Env::key_props(&v2));
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(HOUR);
    assert_eq!(fx.env.op_status(&r)["status"], "Succeeded");
    let account = fx.account();
    assert_eq!(account.key.unwrap().key_version, v2);
    assert_eq!(account.access.state, "accessible");
    let dropped = fx.dropped("App_CL");
    fx.ingest("App", 2, "new");
    assert_eq!(fx.dropped("App_CL"), dropped, "ingestion resumed");
    // The badges say that new data is served and older data is not.
    assert_eq!(fx.access().state, "partial");
    assert_eq!(fx.ws_access().state, "partial");
    assert!(fx.env.timeline_has("stays unreadable until"));
    // Queries answer again, and say what they could not read.
    let id = fx.id.clone();
    let r = query(&mut fx.env.e, &id, "App_CL | summarize count() by Tag_s");
    assert_eq!(rows(&r), vec![json!(["new", 2])]);
    assert_eq!(r.body["error"]["code"], "PartialError", "{}", r.body);
    let detail = &r.body["error"]["details"][0];
    assert_eq!(detail["code"], "CustomerManagedKeyUnavailable");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("is not allowed on a disabled key"),
        "{detail}"
    );
    // The old data comes back with its version, and its AEK moves to the new one: only the AEK
    // is rewrapped, so the old version can then be retired for good.
    fx.env.set_enabled(&fx.version.clone(), true);
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(
        fx.tags("App_CL"),
        vec![("new".into(), 2), ("old".into(), 3)]
    );
    let r = query(&mut fx.env.e, &id, "App_CL | count");
    assert!(r.body.get("error").is_none(), "{}", r.body);
    let accounts = fx.env.e.snapshot().storage.accounts;
    let cmk: Vec<_> = accounts.iter().filter(|a| a.protection == "CMK").collect();
    assert_eq!(cmk.len(), 2);
    for a in cmk {
        assert_eq!(a.key.as_ref().unwrap().key_version, v2, "{}", a.name);
    }
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(fx.ws_access().state, "accessible");
    assert_eq!(
        fx.tags("App_CL"),
        vec![("new".into(), 2), ("old".into(), 3)]
    );
}

/// "Storage will always respect changes in key permissions within an hour", even when Key Vault
/// becomes unreachable after the change was seen: the outage does not postpone the revocation.
#[test]
fn a_revocation_already_detected_takes_effect_within_an_hour_even_if_key_vault_becomes_unreachable()
{
    let mut fx = Fx::new();
    fx.ingest("App", 3, "a");
    let changed = fx.now();
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.step_until("revoking", 2 * MINUTE);
    fx.env
        .e
        .set_key_vault_outage(VAULT, Some(Outage::Dns))
        .unwrap();
    fx.step_until("revoked", HOUR);
    assert!(
        fx.now() - changed <= HOUR,
        "revoked after {} s",
        fx.now() - changed
    );
    fx.advance(5 * HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.query_refused("App_CL");
    let before = fx.dropped("App_CL");
    fx.ingest("App", 2, "late");
    assert_eq!(fx.dropped("App_CL"), before + 2);
}

/// "Data ingestion and query are resumed within 30 minutes" of the successful unwrap, and an
/// outage after that unwrap does not hold service back: the AEK is already in the cache.
#[test]
fn a_recovery_already_under_way_resumes_within_30_minutes_even_if_key_vault_becomes_unreachable() {
    let mut fx = Fx::new();
    fx.ingest("App", 3, "a");
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.env.set_enabled(&fx.version.clone(), true);
    fx.step_until("recovering", 2 * MINUTE);
    let unwrapped = fx.now();
    fx.env
        .e
        .set_key_vault_outage(VAULT, Some(Outage::Timeout))
        .unwrap();
    fx.step_until("accessible", 30 * MINUTE);
    assert!(fx.now() - unwrapped <= 30 * MINUTE);
    assert!(
        fx.access().transient,
        "the outage goes on, carried by the cache"
    );
    fx.advance(3 * HOUR);
    let before = fx.dropped("App_CL");
    fx.ingest("App", 2, "b");
    assert_eq!(fx.dropped("App_CL"), before);
    assert_eq!(fx.tags("App_CL"), vec![("a".into(), 3), ("b".into(), 2)]);
}

/// "Queries on these workspaces fail": every query of a revoked workspace, including tables whose
/// data predates the link (Microsoft-managed keys) and tables with no data at all.
#[test]
fn queries_on_a_revoked_workspace_fail_whatever_key_protects_the_table() {
    let mut env = Env::new();
    let version = env.step1_vault_and_key();
    let principal = env.step2_cluster();
    env.step3_grant(&principal);
    env.step4_key("");
    env.create_workspace(WS, "eastus");
    let id = customer_id(&mut env, WS);
    assert_eq!(
        post_logs(&mut env.e, &id, "Old", &records(5, "old")).status,
        200
    );
    assert_eq!(env.link(WS).status, 202);
    env.advance(2 * HOUR);
    let mut fx = Fx::ready(env, version, principal);
    fx.ingest("New", 5, "new");
    assert_eq!(fx.tags("Old_CL"), vec![("old".into(), 5)]);
    fx.env.set_enabled(&fx.version.clone(), false);
    fx.advance(2 * HOUR);
    assert_eq!(fx.ws_access().state, "revoked");
    fx.query_refused("New_CL");
    fx.query_refused("Old_CL");
    fx.query_refused("Nothing_CL");
    fx.env.set_enabled(&fx.version.clone(), true);
    fx.advance(HOUR);
    assert_eq!(fx.tags("Old_CL"), vec![("old".into(), 5)]);
    assert_eq!(fx.tags("New_CL"), vec![("new".into(), 5)]);
}

/// A wrapped AEK that was tampered with never unwraps, whatever Key Vault says: storage revokes
/// within the hour and stays revoked, saying so once, without flapping back to accessible.
#[test]
fn a_tampered_wrapped_aek_revokes_storage_for_good_without_flapping() {
    let mut fx = Fx::new();
    fx.ingest("App", 3, "a");
    let block = fx
        .env
        .e
        .snapshot()
        .storage
        .blocks
        .iter()
        .map(|b| b.id)
        .max()
        .unwrap();
    fx.env.e.tamper(block, TamperTarget::WrappedAek, 5).unwrap();
    let tampered = fx.now();
    // Reads fail from the flip on (the cached AEK is gone), before Key Vault was even asked:
    // the badge says so at once, not "accessible".
    let at_once = fx.access();
    assert_eq!(at_once.state, "damaged");
    assert!(at_once.reason.unwrap().contains("unwrapkey fails"));
    let mut states = vec![at_once.state];
    for _ in 0..(4 * HOUR / 30) {
        fx.advance(30);
        let s = fx.access().state;
        if states.last() != Some(&s) {
            states.push(s);
        }
    }
    assert_eq!(states, ["damaged", "revoking", "revoked"]);
    let revoked = last_entry(&fx.env, "is unavailable: new data");
    assert!(revoked.time - tampered <= HOUR);
    let told = fx
        .env
        .e
        .timeline()
        .iter()
        .filter(|t| t.text.contains("still does not unwrap"))
        .count();
    assert!(told <= 1, "said {told} times");
    // A month more is folded like any steady state.
    let entries = fx.env.e.timeline().len();
    fx.advance(30 * DAY);
    assert_eq!(fx.access().state, "revoked");
    assert!(fx.env.e.timeline().len() - entries < 40);
}

// ---- Sentinel: "Disable the previous version of the key after 24 hours" ---------------------------

/// "Disable the previous version of the key after 24 hours, or after the Azure Key Vault audit logs
/// no longer show any activity that uses the previous version": with auto-rotation, the audit log
/// (and `VersionView.last_use`) shows no use of the previous version after the rewrap, and
/// disabling it 24 hours later leaves the cluster accessible.
#[test]
fn after_rotation_the_audit_log_shows_no_use_of_the_previous_version_and_disabling_it_after_24_hours_is_safe()
 {
    let mut fx = Fx::new();
    fx.ingest("App", 3, "a");
    let v1 = fx.version.clone();
    let v2 = rotate(&mut fx.env);
    fx.advance(POLL_MAX);
    let rewrap = fx.account().wrapped_at;
    assert_eq!(fx.account().key.unwrap().key_version, v2);
    fx.advance(DAY);
    let now = fx.now();
    let uses = |fx: &Fx, v: &str| -> Vec<_> {
        fx.env
            .e
            .audit_log()
            .iter()
            .filter(|a| {
                a.status == 200
                    && matches!(a.operation.as_str(), "KeyWrap" | "KeyUnwrap")
                    && a.version.as_deref() == Some(v)
            })
            .cloned()
            .collect()
    };
    let old = uses(&fx, &v1);
    assert!(!old.is_empty());
    assert!(
        old.iter().all(|a| a.last <= rewrap),
        "previous version used after the rewrap: {old:?}"
    );
    let new = uses(&fx, &v2);
    assert!(new.iter().any(|a| a.last > now - HOUR), "{new:?}");
    let snap = fx.env.e.snapshot();
    let versions = &snap.vaults[0].keys[0].versions;
    let last_use = |v: &str| versions.iter().find(|x| x.version == v).unwrap().last_use;
    assert!(last_use(&v1).unwrap() <= rewrap);
    assert!(last_use(&v2).unwrap() > now - HOUR);

    fx.env.set_enabled(&v1, false);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "accessible");
    fx.ingest("App", 1, "b");
    assert_eq!(fx.tags("App_CL"), vec![("a".into(), 3), ("b".into(), 1)]);
    assert_eq!(fx.env.e.snapshot().workspaces[0].dropped_rows, 0);
}

// ---- Key Vault soft delete and purge ---------------------------------------------------------------

/// Purge protection (required by the cluster: "The Azure Key Vault must be configured as
/// recoverable") blocks the purge of a deleted key, so the key can still be recovered.
#[test]
fn purge_protection_blocks_the_purge_of_a_deleted_key_which_stays_recoverable() {
    let mut fx = Fx::new();
    fx.ingest("App", 2, "x");
    fx.pull(Lever::DeleteKey);
    let r = fx.env.refused(&errors::KEY_PURGE_PROTECTED, |env| {
        env.kv("DELETE", &format!("/deletedkeys/{KEY}"), None)
    });
    assert_eq!(r.status, 403);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.restore(Lever::DeleteKey);
    fx.advance(30 * MINUTE);
    assert_eq!(fx.access().state, "accessible");
    assert_eq!(fx.tags("App_CL"), vec![("x".into(), 2)]);
}

/// A deleted key is purged at its scheduled purge date (here the vault's minimum retention of 7
/// days): the AEK it wrapped can never be unwrapped again, so the data is lost for good, even if a
/// key of the same name is created again.
#[test]
fn a_purged_key_makes_the_data_unreadable_forever() {
    let mut fx = Fx::with_retention(7);
    fx.ingest("App", 2, "x");
    fx.pull(Lever::DeleteKey);
    fx.advance(HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.advance(7 * DAY);
    let alert = last_entry(&fx.env, "can never be decrypted again");
    assert!(alert.alert);
    assert!(alert.text.contains("1 blocks"), "{}", alert.text);
    fx.env.refused(&errors::DELETED_KEY_NOT_FOUND, |env| {
        env.kv("POST", &format!("/deletedkeys/{KEY}/recover"), None)
    });
    // A new key with the same name is other key material: still revoked.
    let v = fx.env.create_key_in(VAULT, KEY);
    assert_ne!(v, fx.version);
    fx.advance(2 * HOUR);
    assert_eq!(fx.access().state, "revoked");
    fx.query_refused("App_CL");
    let block = fx.env.e.snapshot().storage.blocks[0].id;
    let check = fx.env.e.inspect_block(block).unwrap().check;
    assert!(check.is_err(), "{check:?}");
    // Retention removes what can never be read.
    fx.advance(30 * DAY);
    assert_eq!(fx.env.e.snapshot().storage.total_blocks, 0);
}

// ---- a month on the clock ---------------------------------------------------------------------------

/// Two clusters, one revoked and one accessible, for 30 virtual days: each keeps its state, the
/// polls keep their rate, and the audit log stays folded (a few entries per day, not one per
/// poll). The test itself is quick (see the report for timings).
#[test]
fn thirty_days_with_a_revoked_and_an_accessible_cluster() {
    let mut fx = Fx::new();
    // A second cluster with its own workspace, on the same key.
    let c2 = "cmkcluster02";
    let r = fx.env.cluster_put(c2, OI, Env::cluster_body());
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(3 * HOUR);
    let body = fx.env.arm("GET", &Env::cluster_path(c2), OI, None).body;
    let p2 = body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    fx.env.step3_grant(&p2);
    let r = fx.env.arm(
        "PATCH",
        &Env::cluster_path(c2),
        OI,
        Some(Env::key_props("")),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(HOUR);
    fx.env.create_workspace("ws-two", "eastus");
    let r = fx.env.arm(
        "PUT",
        &format!("{}/linkedServices/cluster", Env::workspace_path("ws-two")),
        OI,
        Some(json!({ "properties": { "writeAccessResourceId": Env::cluster_path(c2) } })),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    fx.advance(2 * HOUR);
    let id2 = customer_id(&mut fx.env, "ws-two");
    assert_eq!(
        post_logs(&mut fx.env.e, &id2, "App", &records(3, "two")).status,
        200
    );
    fx.ingest("App", 3, "one");
    // Revoke the first cluster only.
    fx.pull(Lever::RemoveAccessPolicy);
    fx.advance(HOUR);
    let state = |fx: &Fx, name: &str| {
        fx.env
            .e
            .snapshot()
            .clusters
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .access
            .state
            .clone()
    };
    assert_eq!(state(&fx, CLUSTER), "revoked");
    assert_eq!(state(&fx, c2), "accessible");

    let audit = fx.env.e.audit_log().len();
    let before = polls(&fx.env);
    let t0 = fx.now();
    fx.advance(30 * DAY);
    assert_eq!(fx.now(), t0 + 30 * DAY);
    assert_eq!(state(&fx, CLUSTER), "revoked");
    assert_eq!(state(&fx, c2), "accessible");
    // Both accounts poll (a refused poll is audited too) at 6 to 60 seconds.
    let n = polls(&fx.env) - before;
    assert!(
        (2 * 30 * DAY / POLL_MAX..=2 * 30 * DAY / POLL_MIN).contains(&n),
        "{n} polls"
    );
    let added = fx.env.e.audit_log().len() - audit;
    assert!(added <= 2 * 30 * 24, "{added} audit entries for {n} polls");
    // The accessible cluster still answers; the revoked one does not.
    let r = query(&mut fx.env.e, &id2, "App_CL | count");
    assert_eq!(rows(&r)[0], json!([3]));
    fx.query_refused("App_CL");
}
