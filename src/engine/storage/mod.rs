//! Log storage: storage accounts and their account encryption keys (AEK), blocks sealed with
//! per-block data encryption keys (DEK), double encryption, the hot cache, where data goes
//! (placement), and retention.
//!
//! The key chain, as the seed describes it: every storage account has its own AEK; each block's
//! DEK is derived from the AEK (HKDF-SHA256, bound to the block's identity); the block is sealed
//! with AES-256-GCM under the DEK and, on double-encrypted clusters, again with
//! XChaCha20-Poly1305 under an infrastructure key. The AEK is kept only wrapped: by a
//! Microsoft-managed key (MMK), or, once a cluster has its key identifier, by the customer's key
//! (KEK) through Key Vault's `wrapkey`, called with the cluster's managed identity. Unwrapping goes
//! through Key Vault's `unwrapkey` (authorized and audited) into a cache that [`access`] keeps
//! honest: it polls Key Vault on the virtual clock and drops the cache when access is revoked.
//!
//! Invariants:
//! * Account state (wrapped AEKs, caches, key registries) lives in `World` and rolls back with a
//!   failed request. Blocks live in [`BlockStore`], outside the rollback; handlers write blocks only
//!   after every check has passed.
//! * A data key seals exactly one block (block ids never repeat), and infrastructure-layer nonces
//!   start with the block id, so no key+nonce pair can repeat.
//! * Unwrapped keys never leave this module except as pending seal jobs for the host's
//!   SubtleCrypto (a data key for one block, in the same Worker).

pub mod access;
pub mod block;
pub mod documents;
pub mod ingestion;

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use self::block::{
    Block, BlockHeader, DEK_SALT, INFRA_ALG, KeySource, Layer, OpenError, SERVICE_ALG,
};
use super::Ctx;
use super::clock::{self, DAY};
use super::columnar::{self, Batch, Column, Part};
use super::crypto::{self, GCM_NONCE, SymKey, hex};
use super::journal::Category;
use super::keyvault::client::{self, KeyVaultProperties};
use super::table::{EncodeError, RowSet, Schema};
use super::world::{COSMOS_DB_OBJECT_ID, Principal, World};

/// Hot cache: data ingested in the last 14 days (seed).
pub const HOT_CACHE_DAYS: u64 = 14;
/// Blocks hold at most this many rows (and are cut at about 256 KiB of encoded rows).
pub const BLOCK_ROWS: usize = 4096;
pub const BLOCK_BYTES: usize = 256 * 1024;
/// Service-layer sealing of blocks at least this large may go to the host (SubtleCrypto);
/// smaller ones are sealed in place, where a call's fixed cost would dominate.
pub const EXTERNAL_MIN_BYTES: usize = 4096;

/// Who holds an account and its AEK. Every holder of an AEK wrapped by a Key Vault key uses the
/// same mechanism (polling, cache, revocation and recovery, rewrap, audit: [`access`]); what
/// differs is the principal it calls Key Vault with and where its key identifier comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Owner {
    /// Shared storage for workspaces not linked to a cluster, one per region.
    Shared { region: &'static str },
    /// A dedicated cluster's storage (lower-cased cluster id), through the cluster's identity.
    Cluster { cluster: String },
    /// Microsoft Sentinel's own store for an onboarded workspace (lower-cased workspace id): Azure
    /// Cosmos DB in the service, through the Azure Cosmos DB first-party principal, under the
    /// key of the workspace's cluster.
    Sentinel { workspace: String },
    /// A customer's own `Microsoft.Storage/storageAccounts` resource (lower-cased resource id),
    /// through the account's managed identity, under the key its `encryption` names.
    Customer { account: String },
}

impl Owner {
    /// The identity this holder calls Key Vault with, or why it has none.
    pub fn principal(&self, w: &World) -> Result<Principal, String> {
        match self {
            Owner::Shared { .. } => {
                Err("shared storage is protected by Microsoft-managed keys".into())
            }
            Owner::Cluster { cluster } => w
                .clusters
                .get(cluster)
                .and_then(|c| c.principal(w))
                .ok_or_else(|| "the cluster has no managed identity".into()),
            Owner::Sentinel { .. } => w
                .directory
                .get(COSMOS_DB_OBJECT_ID)
                .cloned()
                .ok_or_else(|| "the Azure Cosmos DB principal is missing".into()),
            Owner::Customer { account } => w
                .storage_accounts
                .get(account)
                .ok_or_else(|| "the storage account no longer exists".to_string())?
                .principal(w),
        }
    }

    /// The cluster whose key identifier this holder follows.
    pub fn cluster<'w>(&self, w: &'w World) -> Option<&'w str> {
        match self {
            Owner::Shared { .. } | Owner::Customer { .. } => None,
            Owner::Cluster { cluster } => {
                w.clusters.get_key_value(cluster).map(|(k, _)| k.as_str())
            }
            Owner::Sentinel { workspace } => w.workspaces.get(workspace)?.cluster(),
        }
    }

    /// The key identifier this holder's AEK should be wrapped with: its cluster's, once the
    /// cluster's storage adopted it.
    pub fn key_config(&self, w: &World) -> Option<KeyVaultProperties> {
        if let Owner::Customer { account } = self {
            return w.storage_accounts.get(account)?.key.clone();
        }
        w.clusters.get(self.cluster(w)?)?.storage_key.clone()
    }

    /// The region the holder's data lives in.
    pub fn region(&self, w: &World) -> &'static str {
        match self {
            Owner::Shared { region } => region,
            Owner::Cluster { cluster } => w.clusters.get(cluster).map_or("eastus", |c| c.location),
            Owner::Sentinel { workspace } => w
                .workspaces
                .get(workspace)
                .map_or("eastus", |ws| ws.location),
            Owner::Customer { account } => w
                .storage_accounts
                .get(account)
                .map_or("eastus", |a| a.location),
        }
    }

    /// What a person calls the holder, in the timeline.
    pub fn describe(&self, w: &World, account: &str) -> String {
        match self {
            Owner::Sentinel { workspace } => format!(
                "Microsoft Sentinel's store of workspace {} ({account})",
                w.workspaces
                    .get(workspace)
                    .map_or(workspace.as_str(), |ws| ws.name.as_str())
            ),
            Owner::Customer { account: id } => format!(
                "Storage account {} ({account})",
                w.storage_accounts
                    .get(id)
                    .map_or(id.as_str(), |a| a.name.as_str())
            ),
            _ => format!("Storage account {account}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StorageAccount {
    pub name: String,
    pub owner: Owner,
    pub aek_id: String,
    /// What wraps the AEK now.
    pub protector: KeySource,
    pub wrapped_aek: Vec<u8>,
    pub wrapped_at: u64,
    pub last_unwrap: Option<u64>,
    /// The unwrapped AEK and when it was unwrapped.
    pub cache: Option<(SymKey, u64)>,
    /// Whether Key Vault lets storage reach the AEK (always available for MMK accounts).
    pub access: access::Access,
    /// Key Vault is unreachable right now (transient trouble): the cache carries the account.
    pub transient: bool,
    /// Key Vault answered, but this wrapped AEK did not unwrap (it was tampered with): polls need
    /// not try the same bytes again.
    pub unwrap_failed: bool,
    /// The newer key version Key Vault refused to wrap the AEK with (its `key_ops` or the
    /// identity's permissions): said once, retried at each poll without the RSA work.
    pub rewrap_refused: Option<String>,
    pub double_encryption: bool,
    /// The account new data goes to (one per owner).
    pub writable: bool,
    pub created: u64,
}

/// A key the service holds: a Microsoft-managed key, an infrastructure key, a hot-cache key.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceKey {
    pub id: String,
    pub key: SymKey,
}

/// Storage state that rolls back with a failed request (small: no block data; the accounts in a
/// persistent map, so the copy `Engine::handle` keeps costs nothing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StorageState {
    pub accounts: imbl::OrdMap<String, StorageAccount>,
    /// Microsoft-managed keys, per region.
    pub mmk: BTreeMap<String, ServiceKey>,
    /// Infrastructure keys (double encryption), per region.
    pub infra: BTreeMap<String, ServiceKey>,
    /// Hot-cache keys (Microsoft-managed), per cluster.
    pub hot_keys: BTreeMap<String, ServiceKey>,
    pub maintenance_scheduled: bool,
    /// Simulated transient trouble, by lower-cased vault name.
    pub outages: BTreeMap<String, access::Outage>,
}

/// A hot-cache copy of a block, sealed with the cluster's Microsoft-managed hot-cache key, one
/// AES-256-GCM message per column chunk (in the block's chunk order).
#[derive(Clone, Debug, PartialEq)]
pub struct HotEntry {
    pub cluster: String,
    pub nonces: Vec<[u8; GCM_NONCE]>,
    /// Where each chunk's ciphertext ends in `sealed`.
    pub ends: Vec<usize>,
    pub sealed: Rc<[u8]>,
    pub pending: bool,
    pub cached: u64,
}

impl HotEntry {
    /// Where chunk `i`'s ciphertext sits in `sealed`.
    fn chunk(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        let range = start..*self.ends.get(i)?;
        self.sealed.get(range.clone()).map(|_| range)
    }
}

/// Which sealing a pending job completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum JobKind {
    Service,
    Hot,
}

#[derive(Clone, Debug, PartialEq)]
struct Pending {
    block: u64,
    kind: JobKind,
    /// Where the chunk's ciphertext goes in the block's (or hot copy's) bytes.
    at: std::ops::Range<usize>,
    key: SymKey,
    nonce: [u8; GCM_NONCE],
    aad: Rc<[u8]>,
    plaintext: Rc<[u8]>,
    /// Infrastructure layer to apply once the service layer is back.
    infra: Option<(SymKey, [u8; 24])>,
}

/// An AES-256-GCM encryption for the host to perform (WebCrypto gives identical bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SealJob {
    pub id: u64,
    pub key: Vec<u8>,
    pub nonce: Vec<u8>,
    pub aad: Vec<u8>,
    pub plaintext: Vec<u8>,
}

/// The job carries a data key: wipe it once the job is done with.
impl Drop for SealJob {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// A hot-cache copy for the host to open (AES-256-GCM, in WebCrypto) before the query that reads
/// it runs: `Engine::open_jobs` hands them out, `Engine::complete_open` takes the plaintexts back.
pub struct OpenJob {
    pub block: u64,
    /// The chunk's place in the block.
    pub column: u32,
    pub key: Vec<u8>,
    pub nonce: Vec<u8>,
    pub aad: Vec<u8>,
    /// The hot copy's bytes; the chunk (ciphertext followed by the tag) is `sealed[at]`, handed
    /// out without a copy of its own.
    copy: Rc<[u8]>,
    at: std::ops::Range<usize>,
}

impl OpenJob {
    /// The chunk: ciphertext followed by the tag.
    pub fn sealed(&self) -> &[u8] {
        &self.copy[self.at.clone()]
    }
}

/// The job carries the cluster's hot-cache key: wipe it once the job is done with.
impl Drop for OpenJob {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// Blocks, hot-cache copies and drop counts: outside the per-request rollback.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockStore {
    pub blocks: BTreeMap<u64, Block>,
    pub hot: BTreeMap<u64, HotEntry>,
    /// Rows dropped, by (workspace customer id, table).
    pub drops: BTreeMap<(String, String), u64>,
    /// Rows stored and dropped per workspace per virtual hour (the Ingestion view).
    pub ingestion: ingestion::Series,
    /// Each stored table's columns, by (workspace customer id, table), in the order they first
    /// came: queries are checked against them before any block is decrypted. Table metadata, not
    /// data, so it is kept in the clear (and kept after retention, as a table's schema is).
    pub schemas: BTreeMap<(String, String), Schema>,
    /// Bits flipped by the tampering demonstration and not flipped back, by block: the page marks
    /// those blocks and offers the undo however it was closed.
    pub flips: BTreeMap<u64, std::collections::BTreeSet<(TamperTarget, usize)>>,
    /// Bytes of a storage account's wrapped AEK flipped and not flipped back, by account: the
    /// AEK is the account's, so a flip through one block and its undo through another cancel.
    pub aek_flips: BTreeMap<String, std::collections::BTreeSet<usize>>,
    /// Seal service layers through [`BlockStore::take_jobs`] (the page's SubtleCrypto) instead of
    /// in place.
    pub external: bool,
    /// Hot-cache chunk plaintexts the host opened (WebCrypto) for the command about to run, by
    /// block and chunk; `read_block` takes them in place of its own AES-GCM once access is
    /// checked, and the engine drops what is left after the command.
    pub opened: BTreeMap<(u64, usize), zeroize::Zeroizing<Vec<u8>>>,
    /// The columns the last read of each block decrypted (the block inspector shows them).
    pub reads: BTreeMap<u64, Vec<String>>,
    pending: BTreeMap<u64, Pending>,
    /// Chunks still being sealed, by block and layer.
    unsealed: BTreeMap<(u64, JobKind), usize>,
    /// Jobs handed to the host and not yet completed (so pipelined hosts never get one twice).
    taken: std::collections::BTreeSet<u64>,
    next_block: u64,
    next_job: u64,
}

impl BlockStore {
    pub fn pending_jobs(&self) -> usize {
        self.pending.len()
    }

    /// Hands out up to `max` AES-256-GCM encryptions to perform outside the engine; each job is
    /// handed out once.
    pub fn take_jobs(&mut self, max: usize) -> Vec<SealJob> {
        let ids: Vec<u64> = self
            .pending
            .keys()
            .filter(|id| !self.taken.contains(id))
            .take(max)
            .copied()
            .collect();
        self.taken.extend(ids.iter().copied());
        ids.iter()
            .map(|id| (id, &self.pending[id]))
            .map(|(id, p)| SealJob {
                id: *id,
                key: p.key.bytes().to_vec(),
                nonce: p.nonce.to_vec(),
                aad: p.aad.to_vec(),
                plaintext: p.plaintext.to_vec(),
            })
            .collect()
    }

    /// Completes a job with the ciphertext+tag the host computed.
    pub fn complete(&mut self, job: u64, sealed: &[u8]) -> Result<(), String> {
        let p = self
            .pending
            .get(&job)
            .ok_or_else(|| format!("no pending seal job {job}"))?;
        if sealed.len() != p.plaintext.len() + crypto::TAG {
            return Err(format!(
                "seal job {job}: expected {} bytes, got {}",
                p.plaintext.len() + crypto::TAG,
                sealed.len()
            ));
        }
        let p = self.pending.remove(&job).expect("checked above");
        self.taken.remove(&job);
        self.finish(p, sealed.to_vec());
        Ok(())
    }

    /// Seals every pending job in place (for hosts without SubtleCrypto).
    pub fn complete_all_in_place(&mut self) {
        self.taken.clear();
        let jobs: Vec<u64> = self.pending.keys().copied().collect();
        for id in jobs {
            let p = self.pending.remove(&id).expect("listed above");
            let sealed = crypto::gcm_seal(&p.key, &p.nonce, &p.aad, &p.plaintext);
            self.finish(p, sealed);
        }
    }

    fn finish(&mut self, p: Pending, service: Vec<u8>) {
        let sealed = match &p.infra {
            Some((k, n)) => crypto::xchacha_seal(k, n, &p.aad, &service),
            None => service,
        };
        let left = self.unsealed.entry((p.block, p.kind)).or_default();
        *left = left.saturating_sub(1);
        let done = *left == 0;
        if done {
            self.unsealed.remove(&(p.block, p.kind));
        }
        let (bytes, pending) = match p.kind {
            JobKind::Service => match self.blocks.get_mut(&p.block) {
                Some(b) => (&mut b.sealed, &mut b.pending),
                None => return,
            },
            JobKind::Hot => match self.hot.get_mut(&p.block) {
                Some(h) => (&mut h.sealed, &mut h.pending),
                None => return,
            },
        };
        if let Some(slot) = Rc::make_mut(bytes).get_mut(p.at) {
            slot.copy_from_slice(&sealed);
        }
        *pending = !done;
    }

    /// Seals one block's (or hot copy's) chunks with AES-256-GCM now, or queues each encryption
    /// for the host; the block stays pending until its last chunk is sealed.
    fn seal(&mut self, chunks: Vec<Pending>) {
        for p in &chunks {
            *self.unsealed.entry((p.block, p.kind)).or_default() += 1;
        }
        for p in chunks {
            if self.external && p.plaintext.len() >= EXTERNAL_MIN_BYTES {
                self.next_job += 1;
                self.pending.insert(self.next_job, p);
            } else {
                let sealed = crypto::gcm_seal(&p.key, &p.nonce, &p.aad, &p.plaintext);
                self.finish(p, sealed);
            }
        }
    }

    /// Drops what belonged to blocks no longer stored: hot-cache copies, tamper marks and last
    /// reads. (A seal job still out with the host completes into nothing: `finish`.)
    fn drop_orphans(&mut self) {
        let live = &self.blocks;
        self.hot.retain(|id, _| live.contains_key(id));
        self.flips.retain(|id, _| live.contains_key(id));
        self.reads.retain(|id, _| live.contains_key(id));
    }

    pub fn block_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.blocks.keys().copied()
    }
}

// ---- accounts and account keys ------------------------------------------------------------------

fn service_key(
    rng: &mut crypto::Csprng,
    map: &mut BTreeMap<String, ServiceKey>,
    scope: &str,
    prefix: &str,
) -> ServiceKey {
    map.entry(scope.to_string())
        .or_insert_with(|| ServiceKey {
            id: format!("{prefix}-{}", rng.hex(4)),
            key: SymKey::random(rng),
        })
        .clone()
}

fn mmk_aad(aek_id: &str) -> Vec<u8> {
    format!("aek|{aek_id}").into_bytes()
}

/// Wraps an AEK with a region's Microsoft-managed key: nonce || AES-256-GCM(MMK, AEK).
fn mmk_wrap(cx: &mut Ctx, region: &str, aek_id: &str, aek: &SymKey) -> (KeySource, Vec<u8>) {
    let mmk = service_key(&mut cx.w.rng, &mut cx.w.storage.mmk, region, "mmk");
    let nonce: [u8; GCM_NONCE] = cx.w.rng.bytes();
    let mut out = nonce.to_vec();
    out.extend(crypto::gcm_seal(
        &mmk.key,
        &nonce,
        &mmk_aad(aek_id),
        aek.bytes(),
    ));
    (KeySource::Mmk { key_id: mmk.id }, out)
}

fn new_account(
    cx: &mut Ctx,
    owner: Owner,
    region: &str,
    double: bool,
    protector: Option<(&KeyVaultProperties, String)>,
) -> Result<String, String> {
    let name = format!("la{}", cx.w.rng.hex(6));
    let aek_id = cx.w.rng.guid();
    let aek = SymKey::random(&mut cx.w.rng);
    let (protector, wrapped) = match protector {
        None => mmk_wrap(cx, region, &aek_id, &aek),
        Some((kvp, version)) => cmk_wrap(cx, &owner, kvp, &version, &aek)?,
    };
    let now = cx.w.now;
    let text = format!(
        "Storage account {name} created with a new AEK {aek_id}, protected by {}",
        protector.describe()
    );
    cx.w.storage.accounts.insert(
        name.clone(),
        StorageAccount {
            name: name.clone(),
            owner,
            aek_id,
            protector,
            wrapped_aek: wrapped,
            wrapped_at: now,
            last_unwrap: None,
            cache: Some((aek, now)),
            access: access::Access::Available,
            transient: false,
            unwrap_failed: false,
            rewrap_refused: None,
            double_encryption: double,
            writable: true,
            created: now,
        },
    );
    cx.j.note(now, Category::KeyVault, &name, text);
    if cx.w.storage.accounts[&name].protector.is_cmk() {
        access::start_polling(cx, &name);
    }
    Ok(name)
}

/// Wraps an AEK with the customer's key through Key Vault, as the holder's identity.
fn cmk_wrap(
    cx: &mut Ctx,
    owner: &Owner,
    kvp: &KeyVaultProperties,
    version: &str,
    aek: &SymKey,
) -> Result<(KeySource, Vec<u8>), String> {
    let principal = owner.principal(cx.w)?;
    let vault = kvp.vault();
    if !client::reachable(cx, &vault) {
        return Err(format!("Key Vault {} is not reachable", kvp.vault_uri));
    }
    let (kid, wrapped) = client::wrap(cx, &vault, &principal, &kvp.key_name, version, aek.bytes())
        .map_err(|e| e.message())?;
    let version = kid.rsplit('/').next().unwrap_or_default().to_string();
    Ok((
        KeySource::Cmk {
            vault_uri: kvp.vault_uri.clone(),
            key_name: kvp.key_name.clone(),
            key_version: version,
        },
        wrapped,
    ))
}

/// Rewraps an account's AEK with the key version given: the AEK, and so every block under it, is
/// unchanged. Fails when the AEK is out of reach.
pub fn rewrap(
    cx: &mut Ctx,
    account: &str,
    kvp: &KeyVaultProperties,
    version: &str,
) -> Result<(), String> {
    let aek = account_key(cx, account)?;
    let owner = cx.w.storage.accounts[account].owner.clone();
    let (protector, wrapped) = cmk_wrap(cx, &owner, kvp, version, &aek)?;
    install_wrap(cx, account, protector, wrapped);
    Ok(())
}

/// Puts a new wrapping of an account's AEK in place and says so: the AEK, and so every block
/// under it, is unchanged.
fn install_wrap(cx: &mut Ctx, account: &str, protector: KeySource, wrapped: Vec<u8>) {
    let now = cx.w.now;
    let acct = cx.w.storage.accounts.get_mut(account).expect("exists");
    let text = format!(
        "AEK {} of {account} rewrapped: was {}, now {} (blocks are not re-encrypted)",
        acct.aek_id,
        acct.protector.describe(),
        protector.describe()
    );
    acct.protector = protector;
    acct.wrapped_aek = wrapped;
    acct.wrapped_at = now;
    acct.unwrap_failed = false;
    acct.rewrap_refused = None;
    cx.j.note(now, Category::KeyVault, account, text);
}

/// Rewraps an account's AEK with its region's Microsoft-managed key (a customer's storage account
/// switched back to `Microsoft.Storage`): the AEK, and so every block under it, is unchanged, and
/// polling stops with the CMK protector. Fails when the AEK is out of reach.
pub fn protect_with_mmk(cx: &mut Ctx, account: &str) -> Result<(), String> {
    let aek = account_key(cx, account)?;
    let acct = &cx.w.storage.accounts[account];
    let (region, aek_id) = (acct.owner.region(cx.w), acct.aek_id.clone());
    let (protector, wrapped) = mmk_wrap(cx, region, &aek_id, &aek);
    install_wrap(cx, account, protector, wrapped);
    let acct = cx.w.storage.accounts.get_mut(account).expect("exists");
    acct.access = access::Access::Available;
    Ok(())
}

/// A new account for a holder other than a cluster or shared storage (Sentinel's store): a fresh
/// AEK, wrapped by the holder's key identifier (`Some`, the version it designates now) or a
/// Microsoft-managed key. CMK accounts start polling Key Vault at once.
pub fn new_holder_account(
    cx: &mut Ctx,
    owner: Owner,
    key: Option<(&KeyVaultProperties, String)>,
) -> Result<String, String> {
    let region = owner.region(cx.w);
    new_account(cx, owner, region, false, key)
}

/// Removes an account and everything sealed under it (its AEK goes with it).
pub fn remove_account(cx: &mut Ctx, account: &str) {
    remove_accounts(cx, &[account.to_string()]);
}

/// The writable account of an owner.
fn writable(cx: &Ctx, owner: &Owner) -> Option<String> {
    cx.w.storage
        .accounts
        .values()
        .find(|a| a.writable && a.owner == *owner)
        .map(|a| a.name.clone())
}

/// Shared storage for a region, created on first use.
fn shared_account(cx: &mut Ctx, region: &'static str) -> String {
    let owner = Owner::Shared { region };
    match writable(cx, &owner) {
        Some(a) => a,
        None => new_account(cx, owner, region, false, None).expect("MMK protection cannot fail"),
    }
}

/// A cluster finished provisioning: its first storage account, protected by an MMK.
pub fn provision_cluster(cx: &mut Ctx, cluster: &str) {
    let Some(c) = cx.w.clusters.get(cluster) else {
        return;
    };
    let (region, double) = (c.location, c.double_encryption);
    let owner = Owner::Cluster {
        cluster: cluster.to_string(),
    };
    if writable(cx, &owner).is_none() {
        new_account(cx, owner, region, double, None).expect("MMK protection cannot fail");
    }
}

/// A cluster adopted a key identifier (`Some`) or had it cleared (`None`). CMK applies to data
/// written from now on: an MMK-protected account is retired for writes and a new account with a
/// fresh AEK wrapped by the KEK takes over; a CMK-protected account is rewrapped in place (its
/// AEK, and so every block under it, is unchanged).
pub fn adopt_key(
    cx: &mut Ctx,
    cluster: &str,
    key: Option<(&KeyVaultProperties, String)>,
) -> Result<(), String> {
    let Some(c) = cx.w.clusters.get(cluster) else {
        return Ok(());
    };
    let (region, double) = (c.location, c.double_encryption);
    let owner = Owner::Cluster {
        cluster: cluster.to_string(),
    };
    let current = writable(cx, &owner);
    let current_is_cmk = current
        .as_ref()
        .is_some_and(|a| cx.w.storage.accounts[a].protector.is_cmk());
    match (key, current) {
        (None, Some(a)) if current_is_cmk => {
            cx.w.storage.accounts.get_mut(&a).expect("exists").writable = false;
            new_account(cx, owner, region, double, None)?;
        }
        (None, _) => {}
        (Some((kvp, version)), Some(a)) if current_is_cmk => {
            let target = KeySource::Cmk {
                vault_uri: kvp.vault_uri.clone(),
                key_name: kvp.key_name.clone(),
                key_version: version.clone(),
            };
            if cx.w.storage.accounts[&a].protector == target {
                return Ok(());
            }
            if let Err(why) = account_key(cx, &a) {
                // The old key is out of reach: new data gets a new account; the old data waits
                // until its key version answers again, then moves to the new one.
                let acct = cx.w.storage.accounts.get_mut(&a).expect("exists");
                acct.writable = false;
                let was = acct.protector.describe();
                cx.j.alert(
                    cx.w.now,
                    Category::KeyVault,
                    &a,
                    format!("Storage account {a} cannot rewrap its AEK ({why}): new data goes to a new account; the data already in {a} stays unreadable until {was} is usable again, then its AEK is rewrapped with the new version"),
                );
                new_account(cx, owner, region, double, Some((kvp, version)))?;
            } else {
                rewrap(cx, &a, kvp, &version)?;
            }
        }
        (Some((kvp, version)), current) => {
            if let Some(a) = current {
                cx.w.storage.accounts.get_mut(&a).expect("exists").writable = false;
            }
            new_account(cx, owner, region, double, Some((kvp, version)))?;
        }
    }
    Ok(())
}

/// The account's AEK, for reading or writing: from the cache, else unwrapped. `Err` says why it
/// is out of reach (storage revoked or recovering, or the unwrap refused).
pub fn account_key(cx: &mut Ctx, account: &str) -> Result<SymKey, String> {
    let acct =
        cx.w.storage
            .accounts
            .get(account)
            .ok_or_else(|| format!("no storage account {account}"))?;
    if let Some(why) = acct.access.unavailable() {
        return Err(why);
    }
    if let Some((k, _)) = &acct.cache {
        return Ok(k.clone());
    }
    let aek = unwrap(cx, account)?;
    let now = cx.w.now;
    let a = cx.w.storage.accounts.get_mut(account).expect("exists");
    a.cache = Some((aek.clone(), now));
    a.last_unwrap = Some(now);
    Ok(aek)
}

/// Unwraps the account's AEK now, ignoring the cache: MMK in the service, or `unwrapkey` in Key
/// Vault as the cluster's identity (real RSA-OAEP-256, audited).
pub fn unwrap(cx: &mut Ctx, account: &str) -> Result<SymKey, String> {
    let acct =
        cx.w.storage
            .accounts
            .get(account)
            .ok_or_else(|| format!("no storage account {account}"))?
            .clone();
    let aek = match &acct.protector {
        KeySource::Mmk { key_id } => {
            let mmk =
                cx.w.storage
                    .mmk
                    .values()
                    .find(|m| m.id == *key_id)
                    .ok_or("the Microsoft-managed key is missing")?
                    .clone();
            let (nonce, sealed) = acct
                .wrapped_aek
                .split_at(GCM_NONCE.min(acct.wrapped_aek.len()));
            let nonce: [u8; GCM_NONCE] = nonce
                .try_into()
                .map_err(|_| "the wrapped AEK is corrupted".to_string())?;
            let bytes = crypto::gcm_open(&mmk.key, &nonce, &mmk_aad(&acct.aek_id), sealed)
                .map(zeroize::Zeroizing::new)
                .map_err(|_| {
                    "the wrapped AEK failed authentication under the Microsoft-managed key"
                        .to_string()
                })?;
            SymKey::from_bytes(&bytes).ok_or("the unwrapped AEK has the wrong length")?
        }
        KeySource::Cmk {
            vault_uri,
            key_name,
            key_version,
        } => {
            let principal = acct
                .owner
                .principal(cx.w)
                .map_err(|why| format!("{why}: nothing to reach Key Vault with"))?;
            let vault = client::vault_name_of(vault_uri).unwrap_or_default();
            if !client::reachable(cx, &vault) {
                return Err(format!(
                    "Key Vault {vault_uri} is not reachable (no such host)"
                ));
            }
            let (_, bytes) = client::unwrap(
                cx,
                &vault,
                &principal,
                key_name,
                key_version,
                &acct.wrapped_aek,
            )
            .map_err(|e| format!("Key Vault refused unwrapKey: {}", e.message()))?;
            let bytes = zeroize::Zeroizing::new(bytes);
            SymKey::from_bytes(&bytes).ok_or("the unwrapped AEK has the wrong length")?
        }
    };
    Ok(aek)
}

// ---- placement and ingestion --------------------------------------------------------------------

/// Where a workspace's new data goes now.
pub enum Placement {
    Account(String),
    /// Dropped and not recoverable, with the reason.
    Drop(String),
}

pub fn placement(cx: &mut Ctx, workspace: &str) -> Placement {
    let Some(ws) = cx.w.workspaces.get(workspace) else {
        return Placement::Drop("the workspace does not exist".into());
    };
    let region = super::world::find_region(ws.location)
        .map(|r| r.name)
        .unwrap_or("eastus");
    let Some(cluster) = ws.cluster().map(str::to_string) else {
        return Placement::Account(shared_account(cx, region));
    };
    match cx.w.clusters.get(&cluster) {
        None => Placement::Account(shared_account(cx, region)),
        Some(c) if c.is_provisioning() => Placement::Drop(format!(
            "workspace {} is linked to cluster {} which has not finished provisioning",
            ws.name, cx.w.clusters[&cluster].name
        )),
        Some(_) => {
            let owner = Owner::Cluster {
                cluster: cluster.clone(),
            };
            match writable(cx, &owner) {
                Some(a) => Placement::Account(a),
                None => {
                    provision_cluster(cx, &cluster);
                    writable(cx, &owner)
                        .map(Placement::Account)
                        .unwrap_or_else(|| Placement::Drop("the cluster has no storage".into()))
                }
            }
        }
    }
}

/// What happened to ingested rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Ingested {
    Stored {
        blocks: Vec<u64>,
        account: String,
    },
    Dropped {
        reason: String,
    },
    /// The rows cannot be encoded into blocks; nothing was stored or dropped.
    Refused(EncodeError),
}

/// Stores rows for a workspace table, or drops them as the seed says. Rows must be valid.
pub fn ingest(cx: &mut Ctx, workspace: &str, table: &str, rows: RowSet) -> Ingested {
    let n = rows.rows.len() as u64;
    if n == 0 {
        return Ingested::Stored {
            blocks: Vec::new(),
            account: String::new(),
        };
    }
    // Encode first: rows that cannot become blocks change nothing, not even the drop counters.
    let encoded = match chunks(rows)
        .into_iter()
        .map(|c| encode_columns(&c).map(|cols| (c, cols)))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(e) => e,
        Err(e) => return Ingested::Refused(e),
    };
    let account = match placement(cx, workspace) {
        Placement::Account(a) => a,
        Placement::Drop(reason) => {
            return drop_rows(cx, workspace, table, n, reason, Default::default());
        }
    };
    let met = conditions(cx, &account);
    let aek = match account_key(cx, &account) {
        Ok(k) => k,
        Err(why) => {
            return drop_rows(
                cx,
                workspace,
                table,
                n,
                format!("storage is unavailable: {why}"),
                met,
            );
        }
    };
    let acct = cx.w.storage.accounts[&account].clone();
    let region = acct.owner.region(cx.w);
    let infra = acct
        .double_encryption
        .then(|| service_key(&mut cx.w.rng, &mut cx.w.storage.infra, region, "infra"));
    let hot = match &acct.owner {
        Owner::Cluster { cluster } => Some((
            cluster.clone(),
            service_key(&mut cx.w.rng, &mut cx.w.storage.hot_keys, cluster, "hot"),
        )),
        Owner::Shared { .. } | Owner::Sentinel { .. } | Owner::Customer { .. } => None,
    };
    let customer_id = cx.w.workspaces[workspace].customer_id.clone();
    let columns =
        cx.s.schemas
            .entry((customer_id.clone(), table.to_string()))
            .or_default();
    for (chunk, _) in &encoded {
        for (name, ty) in &chunk.schema.columns {
            if columns.index(name).is_none() {
                columns.columns.push((name.clone(), *ty));
            }
        }
    }
    let mut ids = Vec::new();
    for (chunk, plaintexts) in encoded {
        cx.s.next_block += 1;
        let id = cx.s.next_block;
        let time = |f: fn(i64, i64) -> i64, init: i64| {
            let ti = chunk.schema.index("TimeGenerated");
            chunk
                .rows
                .iter()
                .filter_map(|r| match ti.and_then(|i| r.get(i)) {
                    Some(super::table::Value::DateTime(t)) => Some(*t),
                    _ => None,
                })
                .fold(init, f)
        };
        let (min_time, max_time) = (time(i64::min, i64::MAX), time(i64::max, i64::MIN));
        let (min_time, max_time) = if min_time > max_time {
            (0, 0)
        } else {
            (min_time, max_time)
        };
        // A fresh nonce per chunk and layer; infrastructure nonces start with the block id.
        let mut nonces = Vec::with_capacity(plaintexts.len());
        for _ in &plaintexts {
            let service: [u8; GCM_NONCE] = cx.w.rng.bytes();
            let mut infra_nonce = [0u8; 24];
            infra_nonce[..8].copy_from_slice(&id.to_be_bytes());
            infra_nonce[8..].copy_from_slice(&cx.w.rng.bytes::<16>());
            nonces.push((service, infra_nonce));
        }
        let info = BlockHeader::dek_info(&customer_id, table, id);
        let header = BlockHeader {
            format: 2,
            block: id,
            workspace: customer_id.clone(),
            table: table.to_string(),
            account: account.clone(),
            aek_id: acct.aek_id.clone(),
            key_source: acct.protector.clone(),
            service: Layer {
                alg: SERVICE_ALG.into(),
                key: format!("DEK = HKDF-SHA256(AEK {}, \"{info}\")", acct.aek_id),
            },
            infrastructure: infra.as_ref().map(|k| Layer {
                alg: INFRA_ALG.into(),
                key: k.id.clone(),
            }),
            rows: chunk.rows.len() as u32,
            min_time,
            max_time,
            columns: (chunk.schema.columns.iter().zip(&plaintexts).zip(&nonces))
                .map(|(((name, ty), (enc, plain)), (n1, n2))| block::Chunk {
                    column: name.clone(),
                    ty: ty.kql_name().into(),
                    encoding: enc.name().into(),
                    bytes: plain.len() as u32,
                    nonce: hex(n1),
                    infra_nonce: infra.as_ref().map(|_| hex(n2)),
                })
                .collect(),
        };
        let header_bytes: Rc<[u8]> = header.to_bytes().into();
        let ranges = header.chunk_ranges();
        let dek = crypto::derive_key(&aek, DEK_SALT, info.as_bytes());
        let names: Rc<[String]> = chunk
            .schema
            .columns
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        cx.s.blocks.insert(
            id,
            Block {
                id,
                account: account.clone(),
                workspace: workspace.to_string(),
                customer_id: customer_id.clone(),
                table: table.to_string(),
                header: header_bytes.clone(),
                sealed: vec![0; ranges.last().map_or(0, |r| r.end)].into(),
                columns: names.clone(),
                pending: true,
                rows: chunk.rows.len() as u32,
                plain_len: plaintexts.iter().map(|(_, p)| p.len() as u32).sum(),
                min_time,
                max_time,
                ingested: cx.w.now,
                key_source: acct.protector.clone(),
                double: infra.is_some(),
            },
        );
        let service_jobs = (plaintexts.iter().zip(&nonces).zip(ranges).zip(names.iter()))
            .map(|((((_, plain), (n1, n2)), at), name)| Pending {
                block: id,
                kind: JobKind::Service,
                at,
                key: dek.clone(),
                nonce: *n1,
                aad: block::chunk_aad(&header_bytes, name).into(),
                plaintext: plain.clone(),
                infra: infra.as_ref().map(|k| (k.key.clone(), *n2)),
            })
            .collect();
        cx.s.seal(service_jobs);
        if let Some((cluster, hot_key)) = &hot {
            // Seed: the last 14 days also sit in the hot cache, under Microsoft keys.
            let plain: Vec<Rc<[u8]>> = plaintexts.into_iter().map(|(_, p)| p).collect();
            cache_hot(cx, id, cluster, hot_key, &plain, cx.w.now);
        }
        ids.push(id);
    }
    schedule_maintenance(cx);
    let now = cx.w.now;
    cx.s.ingestion.record(&customer_id, now, n, 0, None, met);
    Ingested::Stored {
        blocks: ids,
        account,
    }
}

/// What an ingestion into `account` meets: its key unusable (revoked, or not yet resumed), or
/// Key Vault unreachable (an outage, or storage carrying on with its cached key).
fn conditions(cx: &Ctx, account: &str) -> ingestion::Conditions {
    let Some(a) = cx.w.storage.accounts.get(account) else {
        return Default::default();
    };
    let outage = match &a.protector {
        KeySource::Cmk { vault_uri, .. } => client::vault_name_of(vault_uri)
            .is_some_and(|v| cx.w.storage.outages.contains_key(&v.to_ascii_lowercase())),
        KeySource::Mmk { .. } => false,
    };
    ingestion::Conditions {
        key_unusable: matches!(
            a.access,
            access::Access::Revoked { .. } | access::Access::Recovering { .. }
        ),
        vault_unreachable: a.transient || outage,
    }
}

/// Puts a hot-cache copy of block `id` in place: each chunk's plaintext sealed under the
/// cluster's hot-cache key.
fn cache_hot(
    cx: &mut Ctx,
    id: u64,
    cluster: &str,
    hot_key: &ServiceKey,
    plain: &[Rc<[u8]>],
    cached: u64,
) {
    let Some(names) = cx.s.blocks.get(&id).map(|b| b.columns.clone()) else {
        return;
    };
    let mut nonces = Vec::with_capacity(plain.len());
    let mut ends = Vec::with_capacity(plain.len());
    let mut jobs = Vec::with_capacity(plain.len());
    let mut at = 0;
    for (p, name) in plain.iter().zip(names.iter()) {
        let nonce: [u8; GCM_NONCE] = cx.w.rng.bytes();
        let end = at + p.len() + crypto::TAG;
        jobs.push(Pending {
            block: id,
            kind: JobKind::Hot,
            at: at..end,
            key: hot_key.key.clone(),
            nonce,
            aad: hot_aad(id, name).into(),
            plaintext: p.clone(),
            infra: None,
        });
        nonces.push(nonce);
        ends.push(end);
        at = end;
    }
    cx.s.hot.insert(
        id,
        HotEntry {
            cluster: cluster.to_string(),
            nonces,
            ends,
            sealed: vec![0; at].into(),
            pending: true,
            cached,
        },
    );
    cx.s.seal(jobs);
}

/// The hot-cache chunks a Query API request may read, as jobs for the host: of the workspaces
/// the request names (customer id, or ARM id, in its URL or body) and the tables its text names,
/// the columns its text names (every column when it names none). A chunk it turns out not to
/// read is dropped unread; one it reads but was not offered is opened in wasm as before, so the
/// answer never depends on this guess.
pub fn open_jobs(cx: &Ctx, request_text: &str) -> Vec<OpenJob> {
    let lower = request_text.to_ascii_lowercase();
    let named: Vec<&str> =
        cx.w.workspaces
            .values()
            .filter(|w| {
                lower.contains(&w.customer_id.to_ascii_lowercase())
                    || lower.contains(&w.id.to_ascii_lowercase())
            })
            .map(|w| w.customer_id.as_str())
            .collect();
    if named.is_empty() {
        return Vec::new();
    }
    let mut jobs = Vec::new();
    for (id, h) in cx.s.hot.iter().filter(|(_, h)| !h.pending) {
        let Some(b) = cx.s.blocks.get(id).filter(|b| !b.pending) else {
            continue;
        };
        if !named.contains(&b.customer_id.as_str()) || !request_text.contains(&b.table) {
            continue;
        }
        let Some(k) = cx.w.storage.hot_keys.get(&h.cluster) else {
            continue;
        };
        let any_named = b.columns.iter().any(|c| request_text.contains(c.as_str()));
        for (i, name) in b.columns.iter().enumerate() {
            if any_named && !request_text.contains(name.as_str()) {
                continue;
            }
            let (Some(at), Some(nonce)) = (h.chunk(i), h.nonces.get(i)) else {
                continue;
            };
            jobs.push(OpenJob {
                block: *id,
                column: i as u32,
                key: k.key.bytes().to_vec(),
                nonce: nonce.to_vec(),
                aad: hot_aad(*id, name),
                copy: h.sealed.clone(),
                at,
            });
        }
    }
    jobs
}

fn hot_aad(block: u64, column: &str) -> Vec<u8> {
    format!("hot|{block}|{column}").into_bytes()
}

/// Encodes each column of `rows` as a chunk.
/// A column chunk's encoding and plaintext.
type Encoded = (columnar::Encoding, Rc<[u8]>);

fn encode_columns(rows: &RowSet) -> Result<Vec<Encoded>, EncodeError> {
    // Rows without columns would leave nothing to count them by.
    if rows.schema.columns.is_empty() && !rows.rows.is_empty()
        || rows
            .rows
            .iter()
            .any(|r| r.len() != rows.schema.columns.len())
    {
        return Err(EncodeError);
    }
    (rows.schema.columns.iter().enumerate())
        .map(|(i, (_, ty))| {
            let (enc, bytes) = Column::encode(&rows.rows, i, *ty)?;
            Ok((enc, bytes.into()))
        })
        .collect()
}

fn drop_rows(
    cx: &mut Ctx,
    workspace: &str,
    table: &str,
    n: u64,
    reason: String,
    met: ingestion::Conditions,
) -> Ingested {
    let (customer_id, name) =
        cx.w.workspaces
            .get(workspace)
            .map(|w| (w.customer_id.clone(), w.name.clone()))
            .unwrap_or_default();
    let now = cx.w.now;
    cx.s.ingestion
        .record(&customer_id, now, 0, n, Some(&reason), met);
    let counter =
        cx.s.drops
            .entry((customer_id, table.to_string()))
            .or_insert(0);
    let first = *counter == 0;
    *counter += n;
    let total = *counter;
    // One alert per table at the first drop, then a note per thousand rows, to keep the timeline readable.
    if first || total / 1000 != (total - n) / 1000 {
        let id =
            cx.w.workspaces
                .get(workspace)
                .map(|w| w.id.clone())
                .unwrap_or_default();
        cx.j.alert(
            cx.w.now,
            Category::Data,
            &id,
            format!("{n} {table} rows for workspace {name} dropped and not recoverable ({total} so far): {reason}"),
        );
    }
    Ingested::Dropped { reason }
}

/// Splits rows into blocks of at most [`BLOCK_ROWS`] rows and about [`BLOCK_BYTES`] bytes.
fn chunks(rows: RowSet) -> Vec<RowSet> {
    let estimate = |r: &Vec<super::table::Value>| -> usize {
        r.iter()
            .map(|v| match v {
                super::table::Value::String(s) => 5 + s.len(),
                _ => 9,
            })
            .sum()
    };
    let mut out = Vec::new();
    let mut cur = RowSet {
        schema: rows.schema.clone(),
        rows: Vec::new(),
    };
    let mut bytes = 0;
    for r in rows.rows {
        let b = estimate(&r);
        if !cur.rows.is_empty() && (cur.rows.len() >= BLOCK_ROWS || bytes + b > BLOCK_BYTES) {
            out.push(std::mem::replace(
                &mut cur,
                RowSet {
                    schema: rows.schema.clone(),
                    rows: Vec::new(),
                },
            ));
            bytes = 0;
        }
        bytes += b;
        cur.rows.push(r);
    }
    if !cur.rows.is_empty() {
        out.push(cur);
    }
    out
}

// ---- reading ---------------------------------------------------------------------------------

/// Why a workspace's data could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadError {
    /// The account key is out of reach (Key Vault refused, identity gone, ...).
    KeyUnavailable { account: String, reason: String },
    /// A block failed authentication.
    Integrity(String),
}

impl ReadError {
    pub fn message(&self) -> String {
        match self {
            ReadError::KeyUnavailable { account, reason } => {
                format!(
                    "The data in storage account {account} is protected by a key the cluster cannot reach: {reason}"
                )
            }
            ReadError::Integrity(m) => format!("Stored data failed authentication: {m}"),
        }
    }
}

/// The columns of a block a read asked for.
pub struct BlockRead {
    pub rows: usize,
    /// (the column's name, its cells), in chunk order.
    pub columns: Vec<(String, Column)>,
}

/// Reads the columns `wanted` accepts from one block: from the hot cache when it holds a copy,
/// else through the key chain, decrypting only those columns' chunks (at least one). Access is
/// checked first either way: the hot cache follows key revocation too.
pub fn read_block(
    cx: &mut Ctx,
    id: u64,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Option<BlockRead>, ReadError> {
    let Some(b) = cx.s.blocks.get(&id).cloned() else {
        return Ok(None);
    };
    if b.pending {
        return Ok(None);
    }
    let aek = account_key(cx, &b.account).map_err(|reason| ReadError::KeyUnavailable {
        account: b.account.clone(),
        reason,
    })?;
    let mut want: Vec<usize> = (b.columns.iter().enumerate())
        .filter(|(_, n)| wanted(n))
        .map(|(i, _)| i)
        .collect();
    // The row count comes from the header, which only a chunk authenticates: a read that wants
    // no column (`count`) still opens the first.
    if want.is_empty() && !b.columns.is_empty() {
        want.push(0);
    }
    let plains = open_chunks(cx, &b, &aek, &want)?;
    cx.s.reads
        .insert(id, want.iter().map(|&i| b.columns[i].clone()).collect());
    let columns = (want.iter().zip(plains))
        .map(|(&i, plain)| {
            let col = Column::decode(&plain)
                .ok()
                .filter(|c| c.len() == b.rows as usize)
                .ok_or_else(|| ReadError::Integrity(OpenError::Decode.describe(id)))?;
            Ok((b.columns[i].clone(), col))
        })
        .collect::<Result<_, ReadError>>()?;
    Ok(Some(BlockRead {
        rows: b.rows as usize,
        columns,
    }))
}

/// The plaintexts of chunks `want` of block `b`: from its hot-cache copy (opened by the host in
/// WebCrypto, or here), else through both layers under the block's data key.
fn open_chunks(
    cx: &mut Ctx,
    b: &Block,
    aek: &SymKey,
    want: &[usize],
) -> Result<Vec<zeroize::Zeroizing<Vec<u8>>>, ReadError> {
    let id = b.id;
    let store = &mut *cx.s;
    let hot = (store.hot.get(&id).filter(|h| !h.pending))
        .and_then(|h| Some((h, cx.w.storage.hot_keys.get(&h.cluster)?)));
    if let Some((h, k)) = hot {
        let failed = || {
            ReadError::Integrity(format!(
                "block {id}: the hot-cache copy failed authentication"
            ))
        };
        return want
            .iter()
            .map(|&i| match store.opened.remove(&(id, i)) {
                // Opened by the host: WebCrypto verified the tag.
                Some(plain) => Ok(plain),
                None => {
                    let (at, nonce) = h.chunk(i).zip(h.nonces.get(i)).ok_or_else(failed)?;
                    crypto::gcm_open(&k.key, nonce, &hot_aad(id, &b.columns[i]), &h.sealed[at])
                        .map(zeroize::Zeroizing::new)
                        .map_err(|_| failed())
                }
            })
            .collect();
    }
    let h = BlockHeader::from_bytes(&b.header)
        .ok_or_else(|| ReadError::Integrity(OpenError::Header.describe(id)))?;
    let dek = block::dek(aek, &h);
    let infra = infra_key_of(cx, &h);
    want.iter()
        .map(|&i| {
            block::open_chunk(&b.header, &h, i, &b.sealed, &dek, infra.as_ref())
                .map(zeroize::Zeroizing::new)
                .map_err(|e| ReadError::Integrity(e.describe(id)))
        })
        .collect()
}

/// The infrastructure key a block's header names (double encryption).
fn infra_key_of(cx: &Ctx, h: &BlockHeader) -> Option<SymKey> {
    let id = &h.infrastructure.as_ref()?.key;
    cx.w.storage
        .infra
        .values()
        .find(|k| &k.id == id)
        .map(|k| k.key.clone())
}

/// The columns `wanted` names (every column when None) of one table of a workspace, across every
/// account its data ever went to, oldest block first, and the retired accounts whose data could
/// not be read. Only the chunks of those columns are decrypted.
///
/// Fails as a whole when a chunk fails authentication, or when the account the workspace writes
/// to now is out of reach (revoked storage: "queries on these workspaces fail"). Blocks of a
/// retired account whose key is out of reach (a pinned version disabled, then the cluster moved
/// to a new version) are left out and named, so the answer is partial and says so: the seed's
/// "update new key identifier details in the cluster to resume ... ability to query data".
pub fn read_table(
    cx: &mut Ctx,
    customer_id: &str,
    table: &str,
    wanted: Option<&[String]>,
) -> Result<Option<TableRead>, ReadError> {
    // "Queries on these workspaces fail": all of the workspace's data, whichever key protects it.
    if let Some((account, reason)) = current_account_unavailable(cx, customer_id) {
        return Err(ReadError::KeyUnavailable { account, reason });
    }
    let ids: Vec<u64> =
        cx.s.blocks
            .values()
            .filter(|b| b.customer_id == customer_id && b.table == table)
            .map(|b| b.id)
            .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let schema =
        cx.s.schemas
            .get(&(customer_id.to_string(), table.to_string()))
            .cloned()
            .unwrap_or_default();
    let wants = |name: &str| wanted.is_none_or(|w| w.iter().any(|c| c == name));
    let mut parts = Vec::with_capacity(ids.len());
    let mut skipped: Vec<ReadError> = Vec::new();
    for id in ids {
        match read_block(cx, id, &wants) {
            Ok(Some(read)) => {
                let mut columns: Vec<Option<Column>> = vec![None; schema.columns.len()];
                for (name, col) in read.columns {
                    if let Some(i) = schema.index(&name) {
                        columns[i] = Some(col);
                    }
                }
                parts.push(Part {
                    rows: read.rows,
                    columns,
                    selection: None,
                });
            }
            Ok(None) => {}
            Err(e @ ReadError::KeyUnavailable { .. }) => {
                let ReadError::KeyUnavailable { account, .. } = &e else {
                    unreachable!("matched above")
                };
                let retired =
                    cx.w.storage
                        .accounts
                        .get(account)
                        .is_some_and(|a| !a.writable);
                if !retired {
                    return Err(e);
                }
                if !skipped.contains(&e) {
                    skipped.push(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some(TableRead {
        batch: Batch { schema, parts },
        skipped,
    }))
}

/// A table's columns without decrypting anything; fails like [`read_table`] when the workspace's
/// storage is out of reach, and is None when the table holds no data.
pub fn table_schema(cx: &Ctx, customer_id: &str, table: &str) -> Result<Option<Schema>, ReadError> {
    if let Some((account, reason)) = current_account_unavailable(cx, customer_id) {
        return Err(ReadError::KeyUnavailable { account, reason });
    }
    let stored =
        cx.s.blocks
            .values()
            .any(|b| b.customer_id == customer_id && b.table == table);
    Ok(stored
        .then(|| {
            cx.s.schemas
                .get(&(customer_id.to_string(), table.to_string()))
                .cloned()
        })
        .flatten())
}

/// The dedicated-cluster account a workspace writes to, and why it cannot serve, when it cannot.
fn current_account_unavailable(cx: &Ctx, customer_id: &str) -> Option<(String, String)> {
    let ws =
        cx.w.workspaces
            .values()
            .find(|w| w.customer_id == customer_id && w.deleted.is_none())?;
    let account = writable(
        cx,
        &Owner::Cluster {
            cluster: ws.cluster()?.to_string(),
        },
    )?;
    let reason = cx.w.storage.accounts[&account].access.unavailable()?;
    Some((account, reason))
}

/// A table as storage could read it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRead {
    pub batch: Batch,
    /// Why some of the table's data was left out (retired accounts whose key is out of reach).
    pub skipped: Vec<ReadError>,
}

/// Tables with data for a workspace, with their row counts.
pub fn tables_of(store: &BlockStore, customer_id: &str) -> BTreeMap<String, u64> {
    let mut t = BTreeMap::new();
    for b in store
        .blocks
        .values()
        .filter(|b| b.customer_id == customer_id)
    {
        *t.entry(b.table.clone()).or_insert(0) += b.rows as u64;
    }
    t
}

// ---- maintenance: hot-cache aging and retention ---------------------------------------------

fn schedule_maintenance(cx: &mut Ctx) {
    if !cx.w.storage.maintenance_scheduled {
        cx.w.storage.maintenance_scheduled = true;
        let next = (cx.w.now / DAY + 1) * DAY;
        cx.w.events.schedule(next, clock::Event::StorageMaintenance);
    }
}

/// Daily: hot-cache copies older than 14 days age out, and blocks past their workspace's
/// retention are purged (whether or not their key is reachable).
pub fn maintenance(cx: &mut Ctx) {
    let store = &mut *cx.s;
    let now = cx.w.now;
    let before = store.hot.len();
    store
        .hot
        .retain(|_, h| h.cached + HOT_CACHE_DAYS * DAY > now);
    let aged = before - store.hot.len();
    if aged > 0 {
        cx.j.note(
            now,
            Category::Data,
            "hot-cache",
            format!("{aged} blocks aged out of the hot cache (older than {HOT_CACHE_DAYS} days)"),
        );
    }
    let now_ms = now as i64 * 1000;
    let mut purged: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let workspaces = &cx.w.workspaces;
    store.blocks.retain(|_, b| {
        let days = workspaces
            .get(&b.workspace)
            .map_or(30, |w| w.retention_days);
        let keep = b.max_time + (days * DAY * 1000) as i64 > now_ms;
        if !keep {
            let e = purged.entry(b.workspace.clone()).or_insert((0, 0));
            e.0 += 1;
            e.1 += b.rows as u64;
        }
        keep
    });
    store.drop_orphans();
    for (ws, (blocks, rows)) in purged {
        let (id, name) =
            cx.w.workspaces
                .get(&ws)
                .map(|w| (w.id.clone(), w.name.clone()))
                .unwrap_or((ws.clone(), ws.clone()));
        cx.j.note(
            now,
            Category::Data,
            &id,
            format!("Retention reached: {blocks} blocks ({rows} rows) of workspace {name} purged"),
        );
    }
    // Upkeep stops when there is nothing left to keep (ingestion starts it again).
    if cx.s.blocks.is_empty() {
        cx.w.storage.maintenance_scheduled = false;
    } else {
        cx.w.events
            .schedule(now + DAY, clock::Event::StorageMaintenance);
    }
}

/// A deleted cluster's storage goes with it: its accounts, blocks and hot cache ("data permanently
/// deleted").
pub fn remove_cluster(cx: &mut Ctx, cluster: &str) {
    let owner = Owner::Cluster {
        cluster: cluster.to_string(),
    };
    let accounts: Vec<String> =
        cx.w.storage
            .accounts
            .values()
            .filter(|a| a.owner == owner)
            .map(|a| a.name.clone())
            .collect();
    if accounts.is_empty() {
        return;
    }
    let gone = remove_accounts(cx, &accounts);
    cx.w.storage.hot_keys.remove(cluster);
    cx.j.alert(
        cx.w.now,
        Category::Data,
        cluster,
        format!(
            "{} storage accounts and {gone} blocks deleted with the cluster",
            accounts.len()
        ),
    );
}

/// Removes accounts with their blocks, hot-cache copies, pending seal jobs and tamper marks;
/// returns how many blocks went.
fn remove_accounts(cx: &mut Ctx, accounts: &[String]) -> usize {
    let before = cx.s.blocks.len();
    cx.s.blocks.retain(|_, b| !accounts.contains(&b.account));
    cx.s.drop_orphans();
    let live = &cx.s.blocks;
    cx.s.pending.retain(|_, p| live.contains_key(&p.block));
    cx.s.unsealed.retain(|(id, _), _| live.contains_key(id));
    let pending = &cx.s.pending;
    cx.s.taken.retain(|id| pending.contains_key(id));
    for a in accounts {
        cx.w.storage.accounts.remove(a);
        cx.s.aek_flips.remove(a);
    }
    before - cx.s.blocks.len()
}

/// Deletes the hot-cache copies of an account's blocks; returns (blocks of the account, copies
/// deleted).
fn evict_hot_cache(store: &mut BlockStore, account: &str) -> (usize, usize) {
    let ids: Vec<u64> = store
        .blocks
        .values()
        .filter(|b| b.account == account)
        .map(|b| b.id)
        .collect();
    let evicted = ids
        .iter()
        .filter(|id| store.hot.remove(id).is_some())
        .count();
    (ids.len(), evicted)
}

/// Flips one byte of a block's sealed bytes or header (a tampering demonstration). The block's
/// hot-cache copy is evicted so the next read goes to the tampered bytes.
/// `offset` wraps around the bytes' length; returns the byte index flipped.
pub fn tamper(
    store: &mut BlockStore,
    id: u64,
    header: bool,
    offset: usize,
) -> Result<usize, String> {
    let b = store
        .blocks
        .get_mut(&id)
        .ok_or_else(|| format!("no block {id}"))?;
    let target = if header { &mut b.header } else { &mut b.sealed };
    if target.is_empty() {
        return Err(format!("block {id} has no bytes yet"));
    }
    let mut bytes = target.to_vec();
    let i = offset % bytes.len();
    bytes[i] ^= 0x01;
    *target = bytes.into();
    store.hot.remove(&id);
    Ok(i)
}

// ---- inspection (the block inspector in the page) -------------------------------------------

/// What the page shows for one block: header, ciphertext, the key path, and a live decrypt check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockInspection {
    pub id: u64,
    pub header: serde_json::Value,
    pub header_bytes: usize,
    pub sealed_bytes: usize,
    pub plain_bytes: usize,
    /// The first bytes of the stored ciphertext, in hex.
    pub ciphertext_prefix: String,
    /// From the customer's key down to the block, one step per line.
    pub key_path: Vec<String>,
    pub in_hot_cache: bool,
    /// `Ok(summary)` if the block decrypts through the key chain now, `Err(why)` otherwise.
    pub check: Result<String, String>,
    /// Bits flipped and not flipped back (flipping the same one again undoes it).
    pub flips: Vec<(TamperTarget, usize)>,
    /// The column chunks, each its own AEAD message, in the order their bytes are stored.
    pub chunks: Vec<ChunkInspection>,
}

/// One column chunk as the inspector shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkInspection {
    pub column: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub encoding: String,
    pub plain_bytes: usize,
    /// Where its ciphertext sits in the block's stored bytes.
    pub start: usize,
    pub end: usize,
    /// Whether the last read of this block (a query, a service, an engineer) decrypted it.
    pub last_read: bool,
    /// `Ok(())` if the chunk decrypts and authenticates now, `Err(why)` otherwise.
    pub check: Result<(), String>,
}

pub fn inspect(cx: &mut Ctx, id: u64) -> Result<BlockInspection, String> {
    let b =
        cx.s.blocks
            .get(&id)
            .cloned()
            .ok_or_else(|| format!("no block {id}"))?;
    let header_json = serde_json::from_slice::<serde_json::Value>(&b.header)
        .unwrap_or_else(|_| serde_json::json!({ "invalid": "the header does not parse" }));
    let acct = cx.w.storage.accounts.get(&b.account).cloned();
    let mut path = Vec::new();
    match &b.key_source {
        KeySource::Cmk {
            vault_uri,
            key_name,
            key_version,
        } => path.push(format!(
            "KEK: {vault_uri}/keys/{key_name}/{key_version} (RSA, never leaves Key Vault)"
        )),
        KeySource::Mmk { key_id } => path.push(format!("Microsoft-managed key {key_id}")),
    }
    if let Some(a) = &acct {
        path.push(format!(
            "AEK {} of storage account {}: wrapped ({} bytes) by {}{}",
            a.aek_id,
            a.name,
            a.wrapped_aek.len(),
            a.protector.describe(),
            if a.protector != b.key_source {
                " (rewrapped since this block was written)"
            } else {
                ""
            }
        ));
    }
    let header = BlockHeader::from_bytes(&b.header);
    if let Some(h) = &header {
        path.push(format!("DEK: {} (used for this block only)", h.service.key));
        path.push(format!(
            "{SERVICE_ALG} per column chunk (its own nonce), authenticating the header and the column's name"
        ));
        if let Some(i) = &h.infrastructure {
            path.push(format!(
                "{INFRA_ALG} per column chunk under infrastructure key {}",
                i.key
            ));
        }
    }
    // Every chunk is opened through the key chain (never the hot cache): the inspector shows
    // what the stored bytes say now.
    let last_read = cx.s.reads.get(&id).cloned().unwrap_or_default();
    let mut chunks = Vec::new();
    let opened: Result<Vec<Result<(), String>>, String> = if b.pending {
        Err("the block is still being sealed".to_string())
    } else {
        match (account_key(cx, &b.account), &header) {
            (Err(why), _) => Err(format!("the AEK is out of reach: {why}")),
            (Ok(_), None) => Err(OpenError::Header.describe(id)),
            (Ok(aek), Some(h)) => {
                let dek = block::dek(&aek, h);
                let infra = infra_key_of(cx, h);
                Ok((0..h.columns.len())
                    .map(|i| {
                        let plain =
                            block::open_chunk(&b.header, h, i, &b.sealed, &dek, infra.as_ref())
                                .map_err(|e| e.describe(id))?;
                        match Column::decode(&plain) {
                            Ok(c) if c.len() == h.rows as usize => Ok(()),
                            _ => Err(OpenError::Decode.describe(id)),
                        }
                    })
                    .collect())
            }
        }
    };
    if let Some(h) = &header {
        for (i, (c, r)) in h.columns.iter().zip(h.chunk_ranges()).enumerate() {
            chunks.push(ChunkInspection {
                column: c.column.clone(),
                ty: c.ty.clone(),
                encoding: c.encoding.clone(),
                plain_bytes: c.bytes as usize,
                start: r.start,
                end: r.end,
                last_read: last_read.contains(&c.column),
                check: match &opened {
                    Ok(each) => each[i].clone(),
                    Err(why) => Err(why.clone()),
                },
            });
        }
    }
    let check = match &opened {
        Err(why) => Err(why.clone()),
        Ok(each) => match each.iter().find_map(|r| r.as_ref().err()) {
            Some(why) => Err(format!(
                "{why} ({} of {} column chunks authenticate)",
                each.iter().filter(|r| r.is_ok()).count(),
                each.len()
            )),
            None => Ok(format!(
                "decrypted and authenticated: {} rows of {} in {} column chunks",
                b.rows,
                b.table,
                each.len()
            )),
        },
    };
    Ok(BlockInspection {
        id,
        header: header_json,
        header_bytes: b.header.len(),
        sealed_bytes: b.sealed.len(),
        plain_bytes: b.plain_len as usize,
        ciphertext_prefix: hex(&b.sealed[..b.sealed.len().min(32)]),
        key_path: path,
        in_hot_cache: cx.s.hot.contains_key(&id),
        check,
        flips: flips_of(cx.s, id),
        chunks,
    })
}

/// What a tampering demonstration flips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TamperTarget {
    /// A byte of the block's stored ciphertext.
    Sealed,
    /// A byte of the block's header (the associated data of both layers).
    Header,
    /// A byte of the wrapped AEK of the block's storage account (the cached AEK is dropped).
    WrappedAek,
}

/// Flips one byte. Applying the same flip twice restores the original.
pub fn tamper_at(cx: &mut Ctx, id: u64, target: TamperTarget, offset: usize) -> Result<(), String> {
    // Offsets wrap around the bytes' length, so the flip is remembered by the byte it flipped:
    // 5 and 5 + len are the same byte, and flipping it twice is an undo.
    let offset = flip_at(cx, id, target, offset)?;
    if target == TamperTarget::WrappedAek {
        let account = cx.s.blocks[&id].account.clone();
        toggle(&mut cx.s.aek_flips, account, offset);
    } else {
        toggle(&mut cx.s.flips, id, (target, offset));
    }
    Ok(())
}

/// Records a flip, or forgets it if the same flip was recorded (flipping twice is an undo).
fn toggle<K: Ord, V: Ord>(flips: &mut BTreeMap<K, std::collections::BTreeSet<V>>, key: K, flip: V) {
    let set = flips.entry(key).or_default();
    if !set.remove(&flip) {
        set.insert(flip);
    }
    flips.retain(|_, set| !set.is_empty());
}

/// Every byte flipped in this block or its account's wrapped AEK, not flipped back.
pub fn flips_of(store: &BlockStore, id: u64) -> Vec<(TamperTarget, usize)> {
    let own = store.flips.get(&id).into_iter().flatten().copied();
    let aek = store
        .blocks
        .get(&id)
        .and_then(|b| store.aek_flips.get(&b.account))
        .into_iter()
        .flatten()
        .map(|&i| (TamperTarget::WrappedAek, i));
    own.chain(aek).collect()
}

fn flip_at(cx: &mut Ctx, id: u64, target: TamperTarget, offset: usize) -> Result<usize, String> {
    match target {
        TamperTarget::Sealed | TamperTarget::Header => {
            tamper(cx.s, id, target == TamperTarget::Header, offset)
        }
        TamperTarget::WrappedAek => {
            let account =
                cx.s.blocks
                    .get(&id)
                    .map(|b| b.account.clone())
                    .ok_or_else(|| format!("no block {id}"))?;
            let a =
                cx.w.storage
                    .accounts
                    .get_mut(&account)
                    .ok_or("the block's account is gone")?;
            if a.wrapped_aek.is_empty() {
                return Err("the account has no wrapped AEK".into());
            }
            let i = offset % a.wrapped_aek.len();
            a.wrapped_aek[i] ^= 0x01;
            a.cache = None;
            // New bytes: whether they unwrap is for the next poll to find out.
            a.unwrap_failed = false;
            // The account's hot-cache copies go too, so reads must unwrap the tampered AEK.
            evict_hot_cache(cx.s, &account);
            Ok(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored block with nothing in it but its id: `drop_orphans` looks at ids only.
    fn block(id: u64) -> Block {
        Block {
            id,
            account: "acct".into(),
            workspace: "ws".into(),
            customer_id: "cid".into(),
            table: "T_CL".into(),
            header: Rc::from(&b""[..]),
            sealed: Rc::from(&b""[..]),
            columns: Rc::from(Vec::<String>::new()),
            pending: false,
            rows: 0,
            plain_len: 0,
            min_time: 0,
            max_time: 0,
            ingested: 0,
            key_source: KeySource::Mmk {
                key_id: "mmk".into(),
            },
            double: false,
        }
    }

    #[test]
    fn a_removed_blocks_hot_copy_tamper_marks_and_last_read_go_with_it() {
        let mut store = BlockStore::default();
        for id in [1, 2] {
            store.blocks.insert(id, block(id));
            store.hot.insert(
                id,
                HotEntry {
                    cluster: "c".into(),
                    nonces: Vec::new(),
                    ends: Vec::new(),
                    sealed: Rc::from(&b""[..]),
                    pending: false,
                    cached: 0,
                },
            );
            store
                .flips
                .insert(id, [(TamperTarget::Sealed, 3)].into_iter().collect());
            store.reads.insert(id, vec!["Message_s".into()]);
        }
        store.blocks.remove(&2);
        store.drop_orphans();
        let ids = |keys: Vec<&u64>| keys.into_iter().copied().collect::<Vec<u64>>();
        assert_eq!(ids(store.hot.keys().collect()), [1]);
        assert_eq!(ids(store.flips.keys().collect()), [1]);
        assert_eq!(ids(store.reads.keys().collect()), [1]);
        assert_eq!(ids(store.blocks.keys().collect()), [1], "live blocks stay");
    }
}
