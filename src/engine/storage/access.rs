//! A cluster's storage and its Key Vault on the virtual clock: polling, revocation, recovery,
//! transient outages and auto-rotation (the seed's "Key revocation", "Key rotation" and
//! "Behavior with Key Vault availability").
//!
//! Storage goes back to Key Vault to unwrap its account key every 6-60 seconds. Each poll is a
//! scheduled event whose outcome is decided from the vault's state (identity, permissions, key
//! state) without cryptography; the real RSA unwrap runs only when it matters: the first time,
//! after a restore, and when auto-rotation rewraps the key. Polls are audited like any call.
//!
//! ```text
//!   Available ──refused──► Revoking ──(within an hour)──► Revoked ──answered──► Recovering ──(within 30 min)──► Available
//!       ▲                     │ answered again                                                                   │
//!       └─────────────────────┴──────────────────────────────────────────────────────────────────────────────────┘
//! ```
//! Transient trouble (timeouts, connection failures, DNS) does not move the state: the cached
//! account key carries ingestion and queries through it.

use serde::{Deserialize, Serialize};

use super::block::KeySource;
use super::{HOT_CACHE_DAYS, Owner, StorageAccount};
use crate::engine::Ctx;
use crate::engine::clock::{self, DAY, Event, MINUTE};
use crate::engine::errors::ApiError;
use crate::engine::journal::Category;
use crate::engine::keyvault::client::{self, KeyVaultProperties, Periodic, vault_name_of};
use crate::engine::world::Principal;

/// The seed: "between 6 to 60 seconds".
pub const POLL_INTERVAL: (u64, u64) = (6, 60);
/// Permission changes take effect "within an hour or sooner": storage keeps serving from its
/// cached key for this long after the first refused poll.
pub const REVOCATION_DELAY: (u64, u64) = (5 * MINUTE, 55 * MINUTE);
/// "Data ingestion and query are resumed within 30 minutes" of a successful unwrap.
pub const RESUME_DELAY: (u64, u64) = (5 * MINUTE, 25 * MINUTE);

/// Whether a storage account can reach its account key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Access {
    Available,
    /// Key Vault refuses since `since`; storage still serves from its cached key until `until`.
    Revoking {
        since: u64,
        until: u64,
        reason: String,
    },
    /// Unavailable: new data is dropped, queries fail, the hot cache is deleted.
    Revoked {
        since: u64,
        reason: String,
    },
    /// Key Vault answered again at `since`; ingestion and queries resume at `at`.
    Recovering {
        since: u64,
        at: u64,
    },
}

impl Access {
    pub fn label(&self) -> &'static str {
        match self {
            Access::Available => "accessible",
            Access::Revoking { .. } => "revoking",
            Access::Revoked { .. } => "revoked",
            Access::Recovering { .. } => "recovering",
        }
    }

    /// Why storage cannot serve now, if it cannot.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Access::Available | Access::Revoking { .. } => None,
            Access::Revoked { since, reason } => Some(format!(
                "access revoked since {} (Key Vault: {reason})",
                clock::human(*since)
            )),
            Access::Recovering { at, .. } => Some(format!(
                "Key Vault access is restored; ingestion and queries resume by {}",
                clock::human(*at)
            )),
        }
    }
}

/// Simulated Key Vault trouble, switched from the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outage {
    Timeout,
    ConnectionFailure,
    Dns,
}

impl Outage {
    pub fn describe(self) -> &'static str {
        match self {
            Outage::Timeout => "requests time out",
            Outage::ConnectionFailure => "connections fail",
            Outage::Dns => "the name does not resolve (DNS)",
        }
    }
}

/// What a poll found.
enum Outcome {
    Answered,
    Refused(String, Option<ApiError>),
    Transient(Outage),
}

/// The principal the holder authenticates with, and the vault, key and version of a CMK account.
fn target(cx: &Ctx, a: &StorageAccount) -> Option<(Option<Principal>, String, String, String)> {
    let KeySource::Cmk {
        vault_uri,
        key_name,
        key_version,
    } = &a.protector
    else {
        return None;
    };
    let principal = a.owner.principal(cx.w).ok();
    Some((
        principal,
        vault_name_of(vault_uri).unwrap_or_default(),
        key_name.clone(),
        key_version.clone(),
    ))
}

/// Decides a poll from the vault's state, as Key Vault would answer `unwrapkey`.
fn evaluate(cx: &Ctx, a: &StorageAccount) -> Option<(Outcome, Option<Principal>)> {
    let (principal, vault, key, version) = target(cx, a)?;
    // Without an identity there is no token to ask with, reachable vault or not.
    let Some(p) = principal else {
        let why = match &a.owner {
            Owner::Cluster { .. } => {
                "the cluster has no managed identity (identity type None)".into()
            }
            owner => owner.principal(cx.w).err().unwrap_or_default(),
        };
        return Some((Outcome::Refused(why, None), None));
    };
    if let Some(o) = cx.w.storage.outages.get(&vault) {
        return Some((Outcome::Transient(*o), Some(p)));
    }
    if !client::reachable(cx, &vault) {
        return Some((
            Outcome::Refused(format!("Key Vault {vault} no longer exists"), None),
            Some(p),
        ));
    }
    let outcome = match client::check(cx, Periodic::Unwrap, &vault, &p, &key, &version) {
        Ok(()) => Outcome::Answered,
        Err(e) => Outcome::Refused(e.message(), Some(e)),
    };
    Some((outcome, Some(p)))
}

/// Starts the poll loop of a CMK account.
pub fn start_polling(cx: &mut Ctx, account: &str) {
    let delay = cx.w.rng.between(POLL_INTERVAL.0, POLL_INTERVAL.1);
    cx.w.events.schedule(
        cx.w.now + delay,
        Event::KeyVaultPoll {
            account: account.to_string(),
        },
    );
}

/// One poll: ask Key Vault, move the state, schedule the next.
pub fn poll(cx: &mut Ctx, account: &str) {
    let Some(a) = cx.w.storage.accounts.get(account).cloned() else {
        return;
    };
    let Some((outcome, principal)) = evaluate(cx, &a) else {
        return;
    };
    let now = cx.w.now;
    let (vault, key, version) = match &a.protector {
        KeySource::Cmk {
            vault_uri,
            key_name,
            key_version,
        } => (
            vault_name_of(vault_uri).unwrap_or_default(),
            key_name.clone(),
            key_version.clone(),
        ),
        KeySource::Mmk { .. } => return,
    };
    match outcome {
        Outcome::Transient(o) => {
            if !a.transient {
                cx.j.note(
                    now,
                    Category::KeyVault,
                    account,
                    format!("Key Vault {vault} unreachable ({}): storage carries on with its cached AEK", o.describe()),
                );
                set_transient(cx, account, true);
            }
            // An outage does not stop the clock on what storage already knows: a revocation it
            // was told about still takes effect within the hour, and a recovery that already
            // unwrapped the AEK still resumes service on time.
            match &a.access {
                Access::Revoking { until, reason, .. } if now >= *until => {
                    revoke(cx, account, reason)
                }
                Access::Recovering { at, .. } if now >= *at => resume(cx, account),
                _ => {}
            }
        }
        Outcome::Refused(reason, error) => {
            if a.transient {
                set_transient(cx, account, false);
            }
            if let (Some(p), Some(e)) = (&principal, &error) {
                audit_check(cx, &vault, p, &key, &version, Err(e));
            }
            refused(cx, account, &a, reason);
        }
        Outcome::Answered => {
            let p = principal.expect("answered polls have a principal");
            if a.transient {
                set_transient(cx, account, false);
                cx.j.note(
                    now,
                    Category::KeyVault,
                    account,
                    format!("Key Vault {vault} reachable again"),
                );
            }
            answered(cx, account, &a, &p, &vault, &key, &version);
        }
    }
    // Refused accounts keep polling: restored access resumes service.
    if cx.w.storage.accounts.contains_key(account) {
        schedule_next(cx, account);
    }
}

/// Whether the next polls must give the same outcome and leave the state as it is: available
/// with a cached key (and no newer version to rotate to), revoked and still refused, or riding out
/// an outage (on the cache, or revoked). Only requests and other events can change that.
fn steady(cx: &Ctx, account: &str) -> Option<Outcome> {
    let a = cx.w.storage.accounts.get(account)?;
    let (outcome, _) = evaluate(cx, a)?;
    let ok = match (&outcome, &a.access) {
        (Outcome::Answered, Access::Available) => {
            a.cache.is_some()
                && !a.transient
                && match rotation_target(cx, a) {
                    None => true,
                    // A rewrap Key Vault refuses, already said: every retry is refused alike.
                    Some((kvp, version)) => {
                        a.rewrap_refused.as_deref() == Some(version.as_str())
                            && rewrap_refusal(cx, a, &kvp, &version).is_some()
                    }
                }
        }
        (Outcome::Refused(..), Access::Revoked { .. }) => !a.transient,
        // Key Vault answers, but this wrapped AEK has already failed to unwrap (tampered).
        (Outcome::Answered, Access::Revoked { .. }) => a.unwrap_failed && !a.transient,
        // An outage changes nothing for a revoked account: only the vault answering again can.
        (Outcome::Transient(_), Access::Available | Access::Revoked { .. }) => a.transient,
        _ => false,
    };
    ok.then_some(outcome)
}

/// Schedules the next poll. In a steady state, the polls up to the clock's horizon (the end of
/// the current advance, or the next event that is not a poll) are accounted for at once: folded
/// into the audit log with their count and last time, instead of run one by one.
fn schedule_next(cx: &mut Ctx, account: &str) {
    let now = cx.w.now;
    let next = now + cx.w.rng.between(POLL_INTERVAL.0, POLL_INTERVAL.1);
    let other =
        cx.w.events
            .iter()
            .find(|(_, e)| !matches!(e, Event::KeyVaultPoll { .. }))
            .map(|(at, _)| at);
    let horizon = other.map_or(cx.w.horizon, |o| o.min(cx.w.horizon));
    let outcome = if next <= horizon {
        steady(cx, account)
    } else {
        None
    };
    let Some(outcome) = outcome else {
        cx.w.events.schedule(
            next,
            Event::KeyVaultPoll {
                account: account.to_string(),
            },
        );
        return;
    };
    // The last poll at or before the horizon (never in the future), and the first one after it.
    let last = horizon
        .saturating_sub(cx.w.rng.between(0, POLL_INTERVAL.1 - POLL_INTERVAL.0))
        .max(next);
    let gap =
        cx.w.rng
            .between((horizon + 1 - last).max(POLL_INTERVAL.0), POLL_INTERVAL.1);
    let after = last + gap;
    let mean = (POLL_INTERVAL.0 + POLL_INTERVAL.1) / 2;
    let count = 1 + (last - next) / mean;
    // Calls that reach the vault are audited; outages and missing identities never reach it.
    let reached = match outcome {
        Outcome::Answered => Some(Ok(())),
        Outcome::Refused(_, Some(e)) => Some(Err(e)),
        _ => None,
    };
    let a = cx.w.storage.accounts[account].clone();
    if let (Some(result), Some((Some(p), vault, key, version))) = (reached, target(cx, &a)) {
        let span = (next, last, count);
        client::audit(
            cx,
            Periodic::Unwrap,
            &vault,
            &p,
            &key,
            &version,
            result.as_ref().map(|_| ()),
            span,
        );
        if let Some((kvp, target)) = rotation_target(cx, &a) {
            if let Some((p, e)) = rewrap_refusal(cx, &a, &kvp, &target) {
                audit_rewrap_refused(cx, &kvp, &p, &target, &e, span);
            }
        }
    }
    cx.w.events.schedule(
        after,
        Event::KeyVaultPoll {
            account: account.to_string(),
        },
    );
}

fn refused(cx: &mut Ctx, account: &str, a: &StorageAccount, reason: String) {
    let now = cx.w.now;
    match &a.access {
        Access::Available => {
            let until = now + cx.w.rng.between(REVOCATION_DELAY.0, REVOCATION_DELAY.1);
            cx.j.alert(
                now,
                Category::KeyVault,
                account,
                format!(
                    "Key Vault refused storage account {account}'s unwrapKey: {}. Storage honours it by {} (within an hour)",
                    reason.trim_end_matches('.'),
                    clock::human(until)
                ),
            );
            set(
                cx,
                account,
                Access::Revoking {
                    since: now,
                    until,
                    reason,
                },
            );
        }
        Access::Revoking {
            until, reason: r, ..
        } if now >= *until => {
            let reason = r.clone();
            revoke(cx, account, &reason);
        }
        Access::Recovering { .. } => {
            cx.j.alert(
                now,
                Category::KeyVault,
                account,
                format!("Key Vault refused again during recovery: {reason}"),
            );
            revoke(cx, account, &reason);
        }
        Access::Revoking { .. } | Access::Revoked { .. } => {}
    }
}

/// Storage becomes unavailable: the cached key is dropped and the hot cache deleted.
fn revoke(cx: &mut Ctx, account: &str, reason: &str) {
    let now = cx.w.now;
    let (blocks, hot) = super::evict_hot_cache(cx.s, account);
    let a = cx.w.storage.accounts.get_mut(account).expect("exists");
    a.cache = None;
    a.access = Access::Revoked {
        since: now,
        reason: reason.to_string(),
    };
    let text = match a.owner.clone() {
        Owner::Sentinel { .. } => format!(
            "{} is unavailable: Microsoft Sentinel behaves as if its data is no longer available (watchlists, analytics rules and incidents can't be read or changed, no incident is created); previously stored data isn't deleted but remains inaccessible",
            a.owner.clone().describe(cx.w, account)
        ),
        Owner::Customer { .. } => format!(
            "{} is unavailable: what it encrypts with the customer-managed key can't be read or written until its identity can use the key again",
            a.owner.clone().describe(cx.w, account)
        ),
        _ => format!(
            "Storage account {account} is unavailable: new data sent to its workspaces is dropped, queries on them fail, {hot} hot-cache block(s) deleted. Stored data ({blocks} block(s)) stays, governed by retention"
        ),
    };
    cx.j.alert(now, Category::Data, account, text);
}

fn answered(
    cx: &mut Ctx,
    account: &str,
    a: &StorageAccount,
    p: &Principal,
    vault: &str,
    key: &str,
    version: &str,
) {
    let now = cx.w.now;
    match &a.access {
        Access::Available | Access::Revoking { .. } => {
            if a.cache.is_none() {
                // The first unwrap, or one after a restart: real RSA. Key Vault answering is not
                // enough: if the wrapped AEK does not unwrap, storage cannot serve.
                if let Err(why) = super::account_key(cx, account) {
                    set_unwrap_failed(cx, account);
                    return refused(cx, account, a, why);
                }
            } else {
                audit_check(cx, vault, p, key, version, Ok(()));
            }
            if let Access::Revoking { .. } = a.access {
                cx.j.note(
                    now,
                    Category::KeyVault,
                    account,
                    "Key Vault answers again before the revocation took effect: no interruption",
                );
                set(cx, account, Access::Available);
            }
            auto_rotate(cx, account);
        }
        Access::Revoked { .. } => {
            // Access is back: a real unwrap proves it; service resumes within 30 minutes.
            match super::unwrap(cx, account) {
                Ok(aek) => {
                    let at = now + cx.w.rng.between(RESUME_DELAY.0, RESUME_DELAY.1);
                    let acct = cx.w.storage.accounts.get_mut(account).expect("exists");
                    acct.cache = Some((aek, now));
                    acct.last_unwrap = Some(now);
                    acct.unwrap_failed = false;
                    cx.j.note(
                        now,
                        Category::KeyVault,
                        account,
                        format!("Storage account {account} unwrapped its AEK again: ingestion and queries resume by {} (within 30 minutes); data dropped meanwhile stays lost", clock::human(at)),
                    );
                    set(cx, account, Access::Recovering { since: now, at });
                }
                // Said once: the same wrapped AEK fails the same way at every poll.
                Err(why) => {
                    if !a.unwrap_failed {
                        cx.j.alert(
                            now,
                            Category::KeyVault,
                            account,
                            format!("Key Vault answers, but storage account {account}'s AEK still does not unwrap: {why}. Storage stays unavailable"),
                        );
                    }
                    set_unwrap_failed(cx, account);
                }
            }
        }
        Access::Recovering { at, .. } if now >= *at => {
            audit_check(cx, vault, p, key, version, Ok(()));
            resume(cx, account);
        }
        Access::Recovering { .. } => audit_check(cx, vault, p, key, version, Ok(())),
    }
}

/// Service resumes on an account whose AEK is unwrapped again.
fn resume(cx: &mut Ctx, account: &str) {
    let now = cx.w.now;
    // Available first: reloading reads the blocks through the account key.
    set(cx, account, Access::Available);
    let reloaded = reload_hot_cache(cx, account);
    let owner = cx.w.storage.accounts[account].owner.clone();
    let text = match &owner {
        Owner::Sentinel { .. } => format!(
            "{} available again: Microsoft Sentinel restores access to its data",
            owner.describe(cx.w, account)
        ),
        Owner::Customer { .. } => format!(
            "{} available again: its data encrypted with the customer-managed key can be read and written",
            owner.describe(cx.w, account)
        ),
        _ => format!(
            "Storage account {account} available again: ingestion and queries resumed, {reloaded} blocks reloaded into the hot cache"
        ),
    };
    cx.j.note(now, Category::Data, account, text);
}

fn set_unwrap_failed(cx: &mut Ctx, account: &str) {
    if let Some(a) = cx.w.storage.accounts.get_mut(account) {
        a.unwrap_failed = true;
    }
}

fn set_transient(cx: &mut Ctx, account: &str, on: bool) {
    if let Some(a) = cx.w.storage.accounts.get_mut(account) {
        a.transient = on;
    }
}

fn set(cx: &mut Ctx, account: &str, access: Access) {
    if let Some(a) = cx.w.storage.accounts.get_mut(account) {
        a.access = access;
    }
}

/// The key identifier and key version the account's AEK should be rewrapped with, if any:
/// with auto-rotation (`keyVersion` empty), a newer enabled version; for a retired cluster account
/// (one the cluster moved to a new key version while this one was out of reach), the cluster's
/// current version once it is enabled, so the old version can be retired without losing the old
/// data. Other holders (Sentinel's store) follow their cluster's key version, automatic or
/// pinned, in place: a pinned cluster moves them when its key update completes.
fn rotation_target(cx: &Ctx, a: &StorageAccount) -> Option<(KeyVaultProperties, String)> {
    let kvp = a.owner.key_config(cx.w)?;
    let KeySource::Cmk {
        vault_uri,
        key_name,
        key_version,
    } = &a.protector
    else {
        return None;
    };
    let cluster_writable = a.writable && matches!(a.owner, Owner::Cluster { .. });
    if cluster_writable && !(kvp.auto_rotation() && kvp.key_name.eq_ignore_ascii_case(key_name)) {
        return None;
    }
    let (target, enabled) = client::designated_version(cx, &kvp)?;
    let same = target.eq_ignore_ascii_case(key_version)
        && kvp.key_name.eq_ignore_ascii_case(key_name)
        && vault_name_of(vault_uri).as_deref() == Some(kvp.vault().as_str());
    (!same && enabled).then_some((kvp, target))
}

/// Audits storage's refused rewraps to `version` (`span`: first, last, how many).
fn audit_rewrap_refused(
    cx: &mut Ctx,
    kvp: &KeyVaultProperties,
    p: &Principal,
    version: &str,
    refusal: &ApiError,
    span: (u64, u64, u64),
) {
    let (vault, key) = (kvp.vault(), &kvp.key_name);
    client::audit(
        cx,
        Periodic::Rewrap,
        &vault,
        p,
        key,
        version,
        Err(refusal),
        span,
    );
}

/// Audits one periodic unwrap check, now.
fn audit_check(
    cx: &mut Ctx,
    vault: &str,
    p: &Principal,
    key: &str,
    version: &str,
    outcome: Result<(), &ApiError>,
) {
    let now = cx.w.now;
    client::audit(
        cx,
        Periodic::Unwrap,
        vault,
        p,
        key,
        version,
        outcome,
        (now, now, 1),
    );
}

/// The identity and Key Vault's refusal, if a rewrap to `version` would be refused now (decided
/// without the RSA work, like the periodic unwrap checks).
fn rewrap_refusal(
    cx: &Ctx,
    a: &StorageAccount,
    kvp: &KeyVaultProperties,
    version: &str,
) -> Option<(Principal, ApiError)> {
    let p = a.owner.principal(cx.w).ok()?;
    let vault = kvp.vault();
    if !client::reachable(cx, &vault) {
        return None;
    }
    let refused = client::check(cx, Periodic::Rewrap, &vault, &p, &kvp.key_name, version).err()?;
    Some((p, refused))
}

/// Rewraps the account's AEK with its [`rotation_target`]: the writable account through the
/// cluster's key adoption (auto-rotation), a retired one in place. Blocks are untouched: only the
/// AEK's wrapping changes.
fn auto_rotate(cx: &mut Ctx, account: &str) {
    let Some(a) = cx.w.storage.accounts.get(account) else {
        return;
    };
    let Some((kvp, version)) = rotation_target(cx, a) else {
        return;
    };
    if let Some((p, e)) = rewrap_refusal(cx, a, &kvp, &version) {
        let (now, said) = (
            cx.w.now,
            a.rewrap_refused.as_deref() == Some(version.as_str()),
        );
        let text = format!(
            "Key Vault refuses to wrap the AEK with {} version {version}: {}. Storage keeps the AEK wrapped with {} and retries at every check",
            kvp.key_name,
            e.message(),
            a.protector.describe()
        );
        audit_rewrap_refused(cx, &kvp, &p, &version, &e, (now, now, 1));
        if !said {
            cx.j.alert(now, Category::KeyVault, account, text);
            if let Some(a) = cx.w.storage.accounts.get_mut(account) {
                a.rewrap_refused = Some(version);
            }
        }
        return;
    }
    // A cluster's writable account moves through the cluster's key adoption (a new key may mean
    // a new account); every other account is rewrapped in place.
    let done = match a.owner.clone() {
        Owner::Cluster { cluster } if a.writable => {
            super::adopt_key(cx, &cluster, Some((&kvp, version)))
        }
        _ => super::rewrap(cx, account, &kvp, &version),
    };
    if let Err(why) = done {
        cx.j.alert(
            cx.w.now,
            Category::KeyVault,
            account,
            format!("Rewrapping the AEK failed: {why}"),
        );
    }
}

/// After recovery, data of the last 14 days goes back into the hot cache ("SSD data is reloaded").
fn reload_hot_cache(cx: &mut Ctx, account: &str) -> usize {
    let now = cx.w.now;
    let Some(Owner::Cluster { cluster }) =
        cx.w.storage.accounts.get(account).map(|a| a.owner.clone())
    else {
        return 0;
    };
    let recent: Vec<u64> =
        cx.s.blocks
            .values()
            .filter(|b| {
                b.account == account
                    && b.ingested + HOT_CACHE_DAYS * DAY > now
                    && !cx.s.hot.contains_key(&b.id)
            })
            .map(|b| b.id)
            .collect();
    let Some(hot_key) = cx.w.storage.hot_keys.get(&cluster).cloned() else {
        return 0;
    };
    let mut n = 0;
    for id in recent {
        let Some(b) = cx.s.blocks.get(&id).filter(|b| !b.pending).cloned() else {
            continue;
        };
        let Ok(aek) = super::account_key(cx, account) else {
            continue;
        };
        // A block that does not open stays out of the cache (its reads will say why).
        let want: Vec<usize> = (0..b.columns.len()).collect();
        let Ok(plains) = super::open_chunks(cx, &b, &aek, &want) else {
            continue;
        };
        let plain: Vec<std::rc::Rc<[u8]>> = plains.iter().map(|p| p.as_slice().into()).collect();
        super::cache_hot(cx, id, &cluster, &hot_key, &plain, b.ingested);
        n += 1;
    }
    n
}

/// Switches simulated trouble on a vault on or off.
pub fn set_outage(cx: &mut Ctx, vault: &str, outage: Option<Outage>) -> Result<(), String> {
    let key = vault.to_ascii_lowercase();
    if !cx.w.vaults.contains_key(&key) {
        return Err(format!("no Key Vault named {vault}"));
    }
    let now = cx.w.now;
    match outage {
        Some(o) => {
            cx.w.storage.outages.insert(key.clone(), o);
            cx.j.alert(
                now,
                Category::KeyVault,
                &key,
                format!("Simulated trouble on Key Vault {key}: {}", o.describe()),
            );
        }
        None => {
            if cx.w.storage.outages.remove(&key).is_some() {
                cx.j.note(
                    now,
                    Category::KeyVault,
                    &key,
                    format!("Key Vault {key} is healthy again"),
                );
            }
        }
    }
    Ok(())
}

/// A purged key (or a purged vault, `key` None) takes the data whose AEK it wrapped with it: no
/// copy of those AEKs exists anywhere else, so the blocks can never be decrypted again.
pub fn key_purged(cx: &mut Ctx, vault: &str, key: Option<&str>) {
    let now = cx.w.now;
    let lost: Vec<(String, String)> =
        cx.w.storage
            .accounts
            .values()
            .filter_map(|a| match &a.protector {
                KeySource::Cmk {
                    vault_uri,
                    key_name,
                    ..
                } if vault_name_of(vault_uri).as_deref() == Some(vault)
                    && key.is_none_or(|k| k.eq_ignore_ascii_case(key_name)) =>
                {
                    Some((a.name.clone(), key_name.clone()))
                }
                _ => None,
            })
            .collect();
    for (account, key_name) in lost {
        let blocks =
            cx.s.blocks
                .values()
                .filter(|b| b.account == account)
                .count();
        cx.j.alert(
            now,
            Category::Data,
            &account,
            format!(
                "Key {key_name} is purged: the AEK of storage account {account} was wrapped only by it, so its {blocks} blocks can never be decrypted again; retention deletes them"
            ),
        );
    }
}
