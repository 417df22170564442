//! The view model: everything the page shows, derived from the engine's state in one pass.
//!
//! Invariant: a [`Snapshot`] carries no key material (no private keys, no unwrapped account
//! keys), so it can cross into the page, a share link or an export safely. It is plain serde
//! data so it can also cross a Worker boundary.

use serde::{Deserialize, Serialize};

use super::arm::authorization::role_by_id;
use super::arm::lro::OpState;
use super::cluster::{ClusterState, KeyVaultProperties};
use super::journal::{AuditEntry, Journal, TimelineEntry};
use super::workspace::LinkState;
use super::world::{REGIONS, SUBSCRIPTIONS, TENANT_ID, USER_UPN, World};

/// A snapshot field that grows with the world (a fleet's workspaces, say): copies of a snapshot
/// share it, so the page's copy, the reply's and the one its components hold cost a count each,
/// and comparing two copies that share it is one pointer comparison. Plain data on the wire.
#[derive(Default)]
pub struct Shared<T>(std::rc::Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(std::rc::Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

impl<T> FromIterator<T> for Shared<Vec<T>> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        Shared::new(items.into_iter().collect())
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

/// How many of the newest timeline and audit entries a snapshot carries.
pub const TIMELINE_TAIL: usize = 1500;
pub const AUDIT_TAIL: usize = 500;
/// How many finished operations a snapshot carries (running ones are always all there).
pub const FINISHED_OPERATIONS_TAIL: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub now: u64,
    pub next_event: Option<u64>,
    /// What the next scheduled event will do.
    pub next_event_label: Option<String>,
    pub tenant_id: String,
    pub user_object_id: String,
    pub user_name: String,
    pub user_upn: String,
    pub subscriptions: Vec<(String, String)>,
    pub regions: Vec<RegionView>,
    pub groups: Vec<GroupView>,
    /// Registration state of the providers a subscription starts without, per subscription.
    pub providers: Vec<ProviderView>,
    pub vaults: Vec<VaultView>,
    pub identities: Vec<IdentityView>,
    pub role_assignments: Vec<RoleAssignmentView>,
    pub clusters: Shared<Vec<ClusterView>>,
    pub workspaces: Shared<Vec<WorkspaceView>>,
    pub operations: Vec<OperationView>,
    pub timeline: Shared<Vec<TimelineEntry>>,
    /// How many timeline entries there are in all (`timeline` is the newest of them), so the
    /// page can name an entry for good: its index is `timeline_len - timeline.len() + i`.
    #[serde(default)]
    pub timeline_len: usize,
    pub audit: Vec<AuditEntry>,
    pub storage: StorageView,
    /// Microsoft Sentinel on each onboarded workspace.
    #[serde(default)]
    pub sentinel: Vec<SentinelView>,
    /// Customer Lockbox: the tenant's opt-in and the requests.
    #[serde(default)]
    pub lockbox: LockboxView,
    /// Customers' own storage accounts (`Microsoft.Storage/storageAccounts`).
    #[serde(default)]
    pub storage_accounts: Vec<StorageAccountView>,
    /// Log search alert rules (`Microsoft.Insights/scheduledQueryRules`).
    #[serde(default)]
    pub alert_rules: Vec<AlertRuleView>,
    /// Alerts fired by log search alert rules (`Microsoft.AlertsManagement/alerts`).
    #[serde(default)]
    pub fired_alerts: Vec<FiredAlertView>,
    /// Who the host signed in, the tokens it holds, and who else can sign in.
    #[serde(default)]
    pub session: SessionView,
}

/// The host's sign-in: the principal, whether credential-less requests are answered as them
/// (implicit sign-in), the access tokens the host holds, and the accounts that can sign in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub signed_in: PrincipalView,
    pub implicit: bool,
    pub tokens: Vec<TokenView>,
    pub accounts: Vec<PrincipalView>,
}

/// A principal that can sign in, with the roles it holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrincipalView {
    pub object_id: String,
    pub name: String,
    /// A person's user principal name, an application's id.
    pub client: String,
    /// "User" or "ServicePrincipal".
    pub kind: String,
    /// The password or client secret the playground gives it (shown so a script can use it).
    pub credential: String,
    /// `(role name, scope)` of each of its role assignments.
    pub roles: Vec<(String, String)>,
}

/// An access token the host holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    /// The `aud` it was issued for.
    pub audience: String,
    pub expires: u64,
    pub token: String,
}

/// One alert a log search alert rule fired.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FiredAlertView {
    /// The ARM id (`/subscriptions/{s}/providers/Microsoft.AlertsManagement/alerts/{guid}`).
    pub id: String,
    /// The rule's ARM id, and its name.
    pub rule: String,
    pub rule_name: String,
    /// The workspace's ARM id (the alert's target resource).
    pub workspace: String,
    /// `Sev0` to `Sev4`.
    pub severity: String,
    /// `Fired` or `Resolved`.
    pub monitor_condition: String,
    pub fired: u64,
    pub resolved: Option<u64>,
    /// `(column, value)` of the dimension combination it fired for.
    pub dimensions: Vec<(String, String)>,
    pub metric_value: f64,
    /// Whether it carries the query and its results (not when the query is in linked storage).
    pub has_query: bool,
    pub has_results: bool,
}

/// A customer's storage account: its encryption, its tables' key type, and its AEK's access.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageAccountView {
    pub id: String,
    pub name: String,
    pub location: String,
    /// `Microsoft.Storage` or `Microsoft.Keyvault`.
    pub key_source: String,
    /// The key identifier asked for (empty version: follows the latest).
    pub key: Option<KeyRef>,
    /// The key version the account's AEK is wrapped with now.
    pub current_key_version: Option<String>,
    /// The display name of the identity it reaches Key Vault with.
    pub principal: Option<String>,
    /// `Account` or `Service` (set at creation, never changed).
    pub table_key_type: String,
    /// Whether its tables (saved queries) can ever be under a customer-managed key.
    pub table_cmk_capable: bool,
    /// Whether its tables are under the customer-managed key now.
    pub table_cmk: bool,
    /// Its AEK holder in storage (an `AccountView` of the same name).
    pub holder: String,
    pub access: AccessView,
    /// What it protects for linked workspaces, in words ("Saved searches of workspace ws1").
    #[serde(default)]
    pub protects: Vec<String>,
    /// Saved-search entities in its table, and alert-query blobs.
    #[serde(default)]
    pub saved_searches: usize,
    #[serde(default)]
    pub alert_queries: usize,
}

/// A log search alert rule, and where its query is kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub id: String,
    pub name: String,
    /// The workspace it queries (name).
    pub workspace: String,
    pub enabled: bool,
    pub severity: i64,
    /// `Azure Monitor` or the storage account's name.
    pub query_stored_in: String,
    /// `MMK` or `CMK`.
    pub protection: String,
}

/// A workspace's linked storage accounts of one data source type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkedStorageView {
    pub data_source_type: String,
    /// The storage accounts' names.
    pub accounts: Vec<String>,
}

/// Customer Lockbox as the page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockboxView {
    pub opted_in: bool,
    pub requests: Vec<LockboxRequestView>,
}

/// One Lockbox request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockboxRequestView {
    /// The ARM id (`/subscriptions/{s}/providers/Microsoft.CustomerLockbox/requests/{id}`).
    pub id: String,
    pub request_id: String,
    pub workspace: String,
    pub support_request: String,
    /// `Pending`, `Approved`, `Denied`, `Expired` or `Completed` (2018-02-28-preview's words).
    pub status: String,
    pub created: u64,
    /// When the current phase ends: the four days' wait, or the eight hours of access.
    pub expires: u64,
    pub decided_by: Option<String>,
    pub decided: Option<u64>,
    pub reason: Option<String>,
    /// Reads the support engineer made while access lasted, and reads storage refused.
    pub reads: u64,
    pub refused_reads: u64,
}

/// Microsoft Sentinel on one workspace: how it was onboarded and what its store holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SentinelView {
    pub workspace: String,
    pub workspace_id: String,
    /// Onboarded with `customerManagedKey: true`.
    pub cmk: bool,
    /// The store's storage account (see `storage.accounts`).
    pub store: String,
    /// `CMK` or `MMK`: what wraps the store's AEK.
    pub protection: String,
    pub access: AccessView,
    pub watchlists: Vec<String>,
    pub rules: Vec<String>,
    pub incidents: usize,
    /// Why Sentinel's data stays under a Microsoft-managed key although the cluster has one.
    pub ineffective: Option<String>,
    pub onboarded: u64,
}

/// Storage as the key-hierarchy view draws it: accounts with their wrapped AEKs, and blocks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageView {
    pub accounts: Vec<AccountView>,
    /// The newest blocks (at most [`BLOCK_TAIL`]).
    pub blocks: Vec<BlockView>,
    pub total_blocks: usize,
    pub total_rows: u64,
    pub hot_blocks: usize,
    pub pending_seals: usize,
    pub drops: Vec<DropView>,
    /// Rows stored and dropped per hour, for the first [`INGESTION_WORKSPACES`] workspaces that
    /// were sent data, their newest [`INGESTION_HOURS`] hours each (the Ingestion view).
    #[serde(default)]
    pub ingestion: Vec<IngestionView>,
}

/// Bounds on the ingestion series a snapshot carries: every reply has a snapshot, so it stays a
/// few kilobytes even with the benchmark's thousand workspaces.
pub const INGESTION_WORKSPACES: usize = 8;
pub const INGESTION_HOURS: usize = 48;

/// One workspace's ingestion per virtual hour, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestionView {
    pub workspace: String,
    pub customer_id: String,
    pub buckets: Vec<super::storage::ingestion::Bucket>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub name: String,
    /// The owning cluster's id (for Sentinel's store, its workspace's cluster), or None for
    /// shared storage.
    pub cluster: Option<String>,
    /// For Microsoft Sentinel's store: the workspace it belongs to.
    #[serde(default)]
    pub sentinel: Option<String>,
    /// For CMK accounts: who calls Key Vault to unwrap the AEK (the cluster's identity, or Azure
    /// Cosmos DB for Sentinel's store).
    #[serde(default)]
    pub principal: Option<String>,
    pub region: String,
    pub aek_id: String,
    /// `MMK` or `CMK`.
    pub protection: String,
    /// For CMK: the key that wraps the AEK now.
    pub key: Option<KeyRef>,
    pub wrapped_at: u64,
    pub last_unwrap: Option<u64>,
    pub cached: bool,
    pub double_encryption: bool,
    pub writable: bool,
    pub blocks: usize,
    pub rows: u64,
    pub bytes: u64,
    pub hot_blocks: usize,
    pub access: AccessView,
}

/// Whether storage can reach its account key, for badges: `accessible`, `revoking` (Key Vault
/// refuses; the cache still serves), `revoked`, `recovering`, plus `transient` when Key Vault is
/// unreachable and the cache carries the account. Clusters and workspaces can also be `partial`:
/// new data is served, older data is out of reach.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessView {
    pub state: String,
    pub transient: bool,
    pub since: Option<u64>,
    /// When the state is due to change: revocation takes effect, or service resumes.
    pub until: Option<u64>,
    pub reason: Option<String>,
}

impl AccessView {
    /// `damaged`: a byte of the account's wrapped AEK is flipped (the tampering demonstration).
    fn of(a: &super::storage::StorageAccount, damaged: bool) -> AccessView {
        use super::storage::access::Access;
        // The flip dropped the cached AEK, so every read and write unwraps the damaged bytes and
        // fails, although Key Vault has not refused anything yet: say so rather than "accessible".
        if damaged && a.cache.is_none() && matches!(a.access, Access::Available) {
            return AccessView {
                state: "damaged".into(),
                transient: a.transient,
                since: None,
                until: None,
                reason: Some("a byte of its wrapped AEK was flipped: unwrapkey fails, so reads and writes fail; storage's next check of Key Vault counts that as refused and revokes within the hour".into()),
            };
        }
        let (since, until, reason) = match &a.access {
            Access::Available => (None, None, None),
            Access::Revoking {
                since,
                until,
                reason,
            } => (Some(*since), Some(*until), Some(reason.clone())),
            Access::Revoked { since, reason } => (Some(*since), None, Some(reason.clone())),
            Access::Recovering { since, at } => (Some(*since), Some(*at), None),
        };
        AccessView {
            state: a.access.label().into(),
            transient: a.transient,
            since,
            until,
            reason,
        }
    }

    /// Badge severity: the worst of several accounts wins.
    fn rank(&self) -> u8 {
        match self.state.as_str() {
            "revoked" | "damaged" => 4,
            "recovering" => 3,
            "revoking" => 2,
            _ if self.transient => 1,
            _ => 0,
        }
    }

    fn accessible() -> AccessView {
        AccessView {
            state: "accessible".into(),
            ..AccessView::default()
        }
    }

    /// The badge of a cluster or workspace: the state of the account it writes to now (`current`,
    /// none for shared storage), or `partial` when that one serves but data in an older account
    /// is out of reach (the cluster moved to a new key version while the old one was disabled).
    fn of_owner<'a>(
        current: Option<&AccessView>,
        older: impl Iterator<Item = &'a AccessView>,
    ) -> AccessView {
        let now = current.cloned().unwrap_or_else(AccessView::accessible);
        let worst_older = older.filter(|a| a.rank() >= 2).max_by_key(|a| a.rank());
        match worst_older {
            Some(o) if now.rank() < 2 => AccessView {
                state: "partial".into(),
                transient: now.transient,
                since: o.since,
                until: o.until,
                reason: Some(format!(
                    "older data is {}: {}",
                    o.state,
                    o.reason
                        .as_deref()
                        .unwrap_or("its key version is out of reach")
                )),
            },
            _ => now,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockView {
    pub id: u64,
    pub account: String,
    pub workspace: String,
    pub table: String,
    pub rows: u32,
    pub bytes: usize,
    pub cmk: bool,
    /// For CMK blocks: the key version that wrapped the AEK when the block was written.
    pub key_version: Option<String>,
    pub ingested: u64,
    pub hot: bool,
    pub pending: bool,
    pub double: bool,
    /// A bit of it (or of its account's wrapped AEK) was flipped and not flipped back.
    pub tampered: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DropView {
    pub workspace: String,
    pub table: String,
    pub rows: u64,
}

pub const BLOCK_TAIL: usize = 80;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionView {
    pub name: String,
    pub display: String,
    pub double_encryption: bool,
}

/// A resource provider's registration state in a subscription (`Registered`, `Registering`,
/// `Unregistering`, `NotRegistered`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    pub subscription: String,
    pub namespace: String,
    pub state: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub location: String,
    pub deleting: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyView {
    pub object_id: String,
    pub display_name: String,
    pub keys: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: String,
    pub enabled: bool,
    pub created: u64,
    pub size: usize,
    pub key_ops: Vec<String>,
    pub exp: Option<u64>,
    /// The last successful wrap or unwrap with this version in the audit log (Sentinel's
    /// guidance: disable the previous version once the log shows no more use).
    pub last_use: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyView {
    pub name: String,
    pub versions: Vec<VersionView>,
    /// Set for a soft-deleted key: (deleted, scheduled purge).
    pub deleted: Option<(u64, u64)>,
    /// The rotation policy, summarized, if one was set.
    pub rotation_policy: Option<String>,
    /// When the policy rotates the key next.
    pub next_rotation: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VaultView {
    pub id: String,
    pub name: String,
    pub uri: String,
    pub location: String,
    pub sku: String,
    pub soft_delete: bool,
    pub purge_protection: bool,
    pub retention_days: u32,
    pub rbac: bool,
    pub recoverable: bool,
    pub access_policies: Vec<PolicyView>,
    pub keys: Vec<KeyView>,
    /// Simulated transient trouble, if switched on.
    pub outage: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityView {
    pub id: String,
    pub name: String,
    pub location: String,
    pub principal_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleAssignmentView {
    pub scope: String,
    pub role: String,
    pub principal_id: String,
    pub principal_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyRef {
    pub vault_uri: String,
    pub vault: String,
    pub key_name: String,
    /// Empty for auto-rotation.
    pub key_version: String,
}

impl From<&KeyVaultProperties> for KeyRef {
    fn from(k: &KeyVaultProperties) -> Self {
        KeyRef {
            vault_uri: k.vault_uri.clone(),
            vault: k.vault(),
            key_name: k.key_name.clone(),
            key_version: k.key_version.clone(),
        }
    }
}

/// A saved search or function, and where it is kept: in the workspace (Microsoft-managed key)
/// until a `Query` storage account is linked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedSearchView {
    pub name: String,
    pub display_name: String,
    pub category: String,
    /// Empty when it is sealed in a storage account (the page reads it through the API, as a
    /// person would).
    pub query: String,
    /// `workspace`, or the storage account's name.
    pub stored_in: String,
    /// `MMK` or `CMK`.
    pub protection: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: String,
    pub provisioning_state: String,
    pub identity_type: String,
    pub principal_id: Option<String>,
    pub capacity: u64,
    pub billing_type: String,
    pub double_encryption: bool,
    /// The key identifier as ARM shows it.
    pub key: Option<KeyRef>,
    /// The key identifier the storage has adopted.
    pub storage_key: Option<KeyRef>,
    /// The key version the storage uses: the pinned one, or the vault's latest in auto mode.
    pub key_version_in_use: Option<String>,
    pub workspaces: Vec<String>,
    pub operation: Option<String>,
    pub capacity_lock_days: u64,
    /// The worst access state of the cluster's storage accounts.
    pub access: AccessView,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub group: String,
    pub location: String,
    pub customer_id: String,
    pub sku: String,
    /// `Unlinked`, `Linking`, `Linked` or `Unlinking`.
    pub link_state: String,
    pub cluster: Option<String>,
    pub links_in_30_days: usize,
    /// Tables with data, and their row counts.
    pub tables: Vec<(String, u64)>,
    pub sources: Option<super::sources::SourceConfig>,
    /// The worst access state of the storage accounts holding its data or receiving it now.
    pub access: AccessView,
    /// Rows dropped and not recoverable, in total.
    pub dropped_rows: u64,
    /// Saved searches and functions, and where each is kept.
    #[serde(default)]
    pub saved_searches: Vec<SavedSearchView>,
    /// `linkedStorageAccounts`, by data source type.
    #[serde(default)]
    pub linked_storage: Vec<LinkedStorageView>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationView {
    pub id: String,
    pub label: String,
    pub status: String,
    pub resource_id: String,
    pub start: u64,
    pub due: u64,
    pub end: Option<u64>,
    pub error: Option<String>,
}

pub fn snapshot(w: &World, j: &Journal, s: &super::storage::BlockStore) -> Snapshot {
    let user = w.directory.user();
    let uses = key_uses(j);
    let storage = storage_view(w, s);
    let access_of = |name: &str| {
        storage
            .accounts
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.access)
    };
    let vaults = w
        .vaults
        .values()
        .map(|v| {
            let mut keys: Vec<KeyView> = v
                .keys
                .values()
                .map(|k| KeyView {
                    name: k.name.clone(),
                    versions: versions(&k.versions, |ver| last_use(&uses, &v.name, &k.name, ver)),
                    deleted: None,
                    rotation_policy: k.rotation_policy.as_ref().map(|p| p.describe()),
                    next_rotation: k.rotation_policy.as_ref().and_then(|p| p.due(k.latest())),
                })
                .collect();
            keys.extend(v.deleted_keys.values().map(|d| KeyView {
                name: d.key.name.clone(),
                versions: versions(&d.key.versions, |ver| {
                    last_use(&uses, &v.name, &d.key.name, ver)
                }),
                deleted: Some((d.deleted, d.purge_at)),
                rotation_policy: d.key.rotation_policy.as_ref().map(|p| p.describe()),
                next_rotation: None,
            }));
            VaultView {
                id: v.id.clone(),
                name: v.name.clone(),
                uri: v.base_url(),
                location: v.location.into(),
                sku: v.sku.clone(),
                soft_delete: v.soft_delete,
                purge_protection: v.purge_protection,
                retention_days: v.retention_days,
                rbac: v.rbac,
                recoverable: v.is_recoverable(),
                access_policies: v
                    .access_policies
                    .iter()
                    .map(|p| PolicyView {
                        object_id: p.object_id.clone(),
                        display_name: w.directory.display(&p.object_id),
                        keys: p.keys.clone(),
                    })
                    .collect(),
                keys,
                outage: w
                    .storage
                    .outages
                    .get(&v.name.to_ascii_lowercase())
                    .map(|o| o.describe().to_string()),
            }
        })
        .collect();
    let clusters = w
        .clusters
        .iter()
        .map(|(key, c)| {
            let in_use = c.storage_key.as_ref().and_then(|k| {
                if !k.auto_rotation() {
                    return Some(k.key_version.clone());
                }
                w.vaults
                    .get(&k.vault())?
                    .keys
                    .get(&k.key_name.to_ascii_lowercase())
                    .map(|key| key.latest().version.clone())
            });
            ClusterView {
                id: c.id.clone(),
                name: c.name.clone(),
                subscription: c.subscription.clone(),
                group: c.group.clone(),
                location: c.location.into(),
                provisioning_state: c.state.provisioning_state().into(),
                identity_type: c.identity.kind().into(),
                principal_id: c.identity.principal_id().map(str::to_string),
                capacity: c.capacity,
                billing_type: c.billing_type.into(),
                double_encryption: c.double_encryption,
                key: c.key.as_ref().map(KeyRef::from),
                storage_key: c.storage_key.as_ref().map(KeyRef::from),
                key_version_in_use: in_use,
                workspaces: super::workspace::linked_to(w, key)
                    .map(|ws| ws.id.clone())
                    .collect(),
                operation: match &c.state {
                    ClusterState::Succeeded => None,
                    s => s.operation().map(str::to_string),
                },
                capacity_lock_days: super::cluster::capacity_lock_days_left(c, w.now),
                access: {
                    let (current, older): (Vec<_>, Vec<_>) = storage
                        .accounts
                        .iter()
                        .filter(|a| a.cluster.as_deref() == Some(c.id.as_str()))
                        .partition(|a| a.writable);
                    AccessView::of_owner(
                        current.first().map(|a| &a.access),
                        older.iter().map(|a| &a.access),
                    )
                },
            }
        })
        .collect();
    let mut accounts_by_ws: std::collections::BTreeMap<&str, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for b in s.blocks.values() {
        accounts_by_ws
            .entry(b.customer_id.as_str())
            .or_default()
            .insert(b.account.clone());
    }
    let workspaces = w
        .workspaces
        .values()
        .filter(|ws| ws.deleted.is_none())
        .map(|ws| {
            let (state, cluster) = match &ws.link {
                LinkState::Unlinked => ("Unlinked", None),
                LinkState::Linking { cluster, .. } => ("Linking", Some(cluster)),
                LinkState::Linked { cluster, .. } => ("Linked", Some(cluster)),
                LinkState::Unlinking { cluster, .. } => ("Unlinking", Some(cluster)),
            };
            WorkspaceView {
                id: ws.id.clone(),
                name: ws.name.clone(),
                subscription: ws.subscription.clone(),
                group: ws.group.clone(),
                location: ws.location.into(),
                customer_id: ws.customer_id.clone(),
                sku: ws.sku.clone(),
                link_state: state.into(),
                cluster: cluster
                    .and_then(|k| w.clusters.get(k))
                    .map(|c| c.id.clone()),
                links_in_30_days: ws
                    .link_history
                    .iter()
                    .filter(|t| **t + super::limits::LINK_WINDOW > w.now)
                    .count(),
                tables: super::storage::tables_of(s, &ws.customer_id)
                    .into_iter()
                    .collect(),
                sources: ws.sources.clone(),
                access: {
                    let current = cluster.and_then(|k| {
                        w.storage.accounts.values().find(|a| {
                            a.writable
                                && a.owner == super::storage::Owner::Cluster { cluster: k.clone() }
                        })
                    });
                    let current_name = current.map(|a| a.name.as_str());
                    let older = accounts_by_ws
                        .get(ws.customer_id.as_str())
                        .into_iter()
                        .flatten()
                        .filter(|n| Some(n.as_str()) != current_name)
                        .filter_map(|n| access_of(n));
                    AccessView::of_owner(current_name.and_then(&access_of), older)
                },
                dropped_rows: s
                    .drops
                    .iter()
                    .filter(|((c, _), _)| *c == ws.customer_id)
                    .map(|(_, n)| *n)
                    .sum(),
                saved_searches: saved_search_views(w, ws),
                linked_storage: ws
                    .linked_storage
                    .iter()
                    .map(|(k, ids)| LinkedStorageView {
                        data_source_type: k.to_string(),
                        accounts: ids
                            .iter()
                            .map(|id| {
                                w.storage_accounts
                                    .get(&super::arm::id_key(id))
                                    .map_or_else(|| id.clone(), |a| a.name.clone())
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut operations: Vec<OperationView> = w
        .operations
        .values()
        .map(|o| OperationView {
            id: o.id.clone(),
            label: o.kind.label().into(),
            status: o.status().into(),
            resource_id: o.resource_id.clone(),
            start: o.start,
            due: o.due,
            end: o.end,
            error: match &o.state {
                OpState::Failed { message, .. } => Some(message.clone()),
                _ => None,
            },
        })
        .collect();
    operations.sort_by_key(|o| (o.start, o.due));
    // Every running operation, and the newest finished ones (a fleet has thousands).
    let finished: Vec<usize> = (0..operations.len())
        .filter(|i| operations[*i].end.is_some())
        .collect();
    let drop_before = finished.len().saturating_sub(FINISHED_OPERATIONS_TAIL);
    let old: std::collections::BTreeSet<usize> = finished[..drop_before].iter().copied().collect();
    let operations: Vec<OperationView> = operations
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !old.contains(i))
        .map(|(_, o)| o)
        .collect();
    Snapshot {
        now: w.now,
        next_event: w.events.next_foreground().map(|(at, _)| at),
        next_event_label: w
            .events
            .next_foreground()
            .map(|(_, e)| describe_event(w, e)),
        tenant_id: TENANT_ID.into(),
        user_object_id: user.object_id.clone(),
        user_name: user.display_name.clone(),
        user_upn: USER_UPN.into(),
        subscriptions: SUBSCRIPTIONS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        regions: REGIONS
            .iter()
            .map(|r| RegionView {
                name: r.name.into(),
                display: r.display.into(),
                double_encryption: r.double_encryption,
            })
            .collect(),
        groups: w
            .groups
            .values()
            .map(|g| GroupView {
                id: g.id.clone(),
                name: g.name.clone(),
                subscription: g.subscription.clone(),
                location: g.location.into(),
                deleting: g.deleting,
            })
            .collect(),
        providers: SUBSCRIPTIONS
            .iter()
            .flat_map(|(sub, _)| {
                super::arm::groups::optional_providers().map(move |ns| ProviderView {
                    subscription: sub.to_string(),
                    namespace: ns.into(),
                    state: super::arm::groups::registration_state(w, sub, ns).into(),
                })
            })
            .collect(),
        vaults,
        identities: w
            .identities
            .values()
            .map(|i| IdentityView {
                id: i.id.clone(),
                name: i.name.clone(),
                location: i.location.into(),
                principal_id: i.principal_id.clone(),
            })
            .collect(),
        role_assignments: w
            .role_assignments
            .iter()
            .map(|a| RoleAssignmentView {
                scope: a.scope.clone(),
                role: role_by_id(a.role).map(|r| r.name).unwrap_or("?").into(),
                principal_id: a.principal_id.clone(),
                principal_name: w.directory.display(&a.principal_id),
            })
            .collect(),
        clusters,
        workspaces,
        operations,
        timeline: tail(&j.timeline, TIMELINE_TAIL).into(),
        timeline_len: j.timeline.len(),
        audit: tail(&j.audit, AUDIT_TAIL),
        storage,
        sentinel: sentinel_views(w, s),
        lockbox: LockboxView {
            opted_in: w.lockbox.opted_in,
            requests: w
                .lockbox
                .requests
                .values()
                .map(|r| LockboxRequestView {
                    id: r.arm_id(),
                    request_id: r.id.clone(),
                    workspace: r.workspace.clone(),
                    support_request: r.support_request.clone(),
                    status: r
                        .status
                        .name(crate::engine::api_versions::API_2018_02)
                        .into(),
                    created: r.created,
                    expires: r.expires(),
                    decided_by: r.decision.as_ref().map(|d| d.by.clone()),
                    decided: r.decision.as_ref().map(|d| d.time),
                    reason: r.decision.as_ref().map(|d| d.reason.clone()),
                    reads: r.reads,
                    refused_reads: r.refused_reads,
                })
                .collect(),
        },
        storage_accounts: storage_account_views(w, s),
        alert_rules: alert_rule_views(w),
        fired_alerts: w
            .fired_alerts
            .alerts
            .values()
            .map(|a| FiredAlertView {
                id: a.arm_id(),
                rule: a.rule_id.clone(),
                rule_name: a.rule_name.clone(),
                workspace: a.workspace_id.clone(),
                severity: format!("Sev{}", a.severity),
                monitor_condition: a.monitor_condition().into(),
                fired: a.fired,
                resolved: a.resolved,
                dimensions: a.dimensions.clone(),
                metric_value: a.metric_value,
                has_query: a.has_query,
                has_results: a.has_results,
            })
            .collect(),
        // The host's sign-in is the engine's, not the world's: `Engine::snapshot` fills it.
        session: SessionView::default(),
    }
}

/// "MMK" or "CMK": whether a storage account's tables (`table`) or blobs are under its
/// customer-managed key now.
fn account_protection(w: &World, account: &str, table: bool) -> &'static str {
    match w.storage_accounts.get(account) {
        Some(a)
            if (a.table_cmk_capable() || !table)
                && w.storage
                    .accounts
                    .get(&a.holder)
                    .is_some_and(|h| h.protector.is_cmk()) =>
        {
            "CMK"
        }
        _ => "MMK",
    }
}

fn saved_search_views(w: &World, ws: &super::workspace::Workspace) -> Vec<SavedSearchView> {
    use super::workspace::{linked_storage, saved_searches};
    match linked_storage::account_for(ws, linked_storage::QUERY) {
        None => ws
            .saved_searches
            .values()
            .map(|q| SavedSearchView {
                name: q.name.clone(),
                display_name: q.display_name.clone(),
                category: q.category.clone(),
                query: q.query.clone(),
                stored_in: "workspace".into(),
                protection: "MMK".into(),
            })
            .collect(),
        Some(a) => {
            let prefix = saved_searches::doc_prefix(&ws.customer_id);
            let name = w
                .storage_accounts
                .get(&a)
                .map_or(a.clone(), |x| x.name.clone());
            super::storage_accounts::document_ids(w, &a, &prefix)
                .into_iter()
                .map(|doc| {
                    let id = doc[prefix.len()..].to_string();
                    SavedSearchView {
                        name: id.clone(),
                        display_name: id,
                        category: String::new(),
                        query: String::new(),
                        stored_in: name.clone(),
                        protection: account_protection(w, &a, true).into(),
                    }
                })
                .collect()
        }
    }
}

fn alert_rule_views(w: &World) -> Vec<AlertRuleView> {
    w.alert_rules
        .values()
        .map(|r| AlertRuleView {
            id: r.id.clone(),
            name: r.name.clone(),
            workspace: r
                .workspace(w)
                .and_then(|k| w.workspaces.get(&k))
                .map(|ws| ws.name.clone())
                .unwrap_or_default(),
            enabled: r
                .properties
                .get("enabled")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true),
            severity: r
                .properties
                .get("severity")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(3),
            query_stored_in: r.query_store.as_ref().map_or_else(
                || "Azure Monitor".to_string(),
                |a| {
                    w.storage_accounts
                        .get(a)
                        .map_or(a.clone(), |x| x.name.clone())
                },
            ),
            protection: r
                .query_store
                .as_ref()
                .map_or("MMK", |a| account_protection(w, a, false))
                .into(),
        })
        .collect()
}

fn storage_account_views(w: &World, st: &super::storage::BlockStore) -> Vec<StorageAccountView> {
    use super::storage::block::KeySource;
    w.storage_accounts
        .values()
        .map(|a| {
            let holder = w.storage.accounts.get(&a.holder);
            let current_key_version = holder.and_then(|h| match &h.protector {
                KeySource::Cmk { key_version, .. } => Some(key_version.clone()),
                KeySource::Mmk { .. } => None,
            });
            StorageAccountView {
                id: a.id.clone(),
                name: a.name.clone(),
                location: a.location.into(),
                key_source: if a.key.is_some() {
                    "Microsoft.Keyvault"
                } else {
                    "Microsoft.Storage"
                }
                .into(),
                key: a.key.as_ref().map(KeyRef::from),
                principal: a
                    .key
                    .is_some()
                    .then(|| a.principal(w).ok().map(|p| p.display_name))
                    .flatten(),
                table_key_type: if a.table_cmk_capable() {
                    "Account"
                } else {
                    "Service"
                }
                .into(),
                table_cmk_capable: a.table_cmk_capable(),
                table_cmk: a.table_cmk_capable() && current_key_version.is_some(),
                current_key_version,
                holder: a.holder.clone(),
                access: holder
                    .map(|h| AccessView::of(h, st.aek_flips.contains_key(&h.name)))
                    .unwrap_or_default(),
                protects: protects(w, &super::arm::id_key(&a.id)),
                saved_searches: a
                    .documents
                    .keys()
                    .filter(|k| k.starts_with("savedsearches/"))
                    .count(),
                alert_queries: a
                    .documents
                    .keys()
                    .filter(|k| k.starts_with("alerts/"))
                    .count(),
            }
        })
        .collect()
}

/// What a customer's storage account keeps for linked workspaces, in words.
fn protects(w: &World, account: &str) -> Vec<String> {
    use super::workspace::linked_storage;
    let mut out = Vec::new();
    for ws in w.workspaces.values().filter(|ws| ws.deleted.is_none()) {
        for (kind, ids) in &ws.linked_storage {
            if ids.iter().any(|id| super::arm::id_key(id) == account) {
                out.push(match *kind {
                    linked_storage::QUERY => {
                        format!("Saved searches of workspace {} (Query link)", ws.name)
                    }
                    linked_storage::ALERTS => {
                        format!("Alert queries of workspace {} (Alerts link)", ws.name)
                    }
                    k => format!("{k} data of workspace {}", ws.name),
                });
            }
        }
    }
    out
}

/// What the page shows of Sentinel on each onboarded workspace.
fn sentinel_views(w: &World, st: &super::storage::BlockStore) -> Vec<SentinelView> {
    w.sentinel
        .values()
        .map(|s| {
            let ws = w.workspaces.get(&s.workspace);
            let account = w.storage.accounts.get(&s.account);
            SentinelView {
                workspace: ws.map(|w| w.name.clone()).unwrap_or_default(),
                workspace_id: ws.map(|w| w.id.clone()).unwrap_or_default(),
                cmk: s.cmk,
                store: s.account.clone(),
                protection: account
                    .map_or("MMK", |a| if a.protector.is_cmk() { "CMK" } else { "MMK" })
                    .into(),
                access: account
                    .map(|a| AccessView::of(a, st.aek_flips.contains_key(&a.name)))
                    .unwrap_or_default(),
                watchlists: s.watchlists.values().map(|d| d.name.clone()).collect(),
                rules: s.rules.values().map(|r| r.doc.name.clone()).collect(),
                incidents: s.incidents.len(),
                ineffective: s.ineffective.clone(),
                onboarded: s.created,
            }
        })
        .collect()
}

fn describe_event(w: &World, e: &super::clock::Event) -> String {
    use super::clock::Event;
    match e {
        Event::CompleteOperation(id) => match w.operations.get(id) {
            Some(op) => {
                let name = op
                    .resource_id
                    .rsplit('/')
                    .find(|s| {
                        !s.eq_ignore_ascii_case("cluster")
                            && !s.eq_ignore_ascii_case("linkedServices")
                    })
                    .unwrap_or("");
                format!("{} ({name}) completes", op.kind.label())
            }
            None => "An operation completes".into(),
        },
        Event::PurgeDeletedKey { key, .. } => format!("Deleted key {key} is purged"),
        Event::PurgeDeletedVault { vault } => format!("Deleted vault {vault} is purged"),
        Event::StorageMaintenance => "Daily storage upkeep (hot-cache aging, retention)".into(),
        Event::SourceTick { workspace } => {
            let name = w
                .workspaces
                .get(workspace)
                .map(|ws| ws.name.as_str())
                .unwrap_or("?");
            format!("Simulated agents send logs to {name}")
        }
        Event::KeyVaultPoll { account } => {
            format!("Storage account {account} checks its key with Key Vault")
        }
        Event::KeyRotationDue { vault, key } => {
            format!("Rotation policy rotates key {key} in vault {vault}")
        }
        Event::SentinelRule { workspace, rule } => {
            let s = w.sentinel.get(workspace);
            let name = s
                .and_then(|s| s.rules.get(rule))
                .map_or(rule.as_str(), |r| r.doc.name.as_str());
            format!("Microsoft Sentinel runs analytics rule {name}")
        }
        Event::LockboxExpiry { request } => {
            format!("Lockbox request {request} expires unless approved or denied")
        }
        Event::LockboxAccessEnds { request } => {
            format!("The 8 hours of access of Lockbox request {request} end")
        }
        Event::LogAlertRule { rule } => {
            let name = w
                .alert_rules
                .get(rule)
                .map_or(rule.as_str(), |r| r.name.as_str());
            format!("Azure Monitor evaluates log search alert rule {name}")
        }
        Event::LockboxRead { request } => {
            format!("Microsoft support reads workspace data under Lockbox request {request}")
        }
        Event::ProviderRegistration {
            subscription,
            namespace,
        } => {
            let state = super::arm::groups::registration_state(w, subscription, namespace);
            let done = if state == "Unregistering" {
                "unregistered"
            } else {
                "registered"
            };
            let name = w.subscription(subscription).map_or("?", |(_, n)| n);
            format!("{namespace} is {done} in subscription {name}")
        }
    }
}

fn versions(
    v: &[super::keyvault::KeyVersion],
    last: impl Fn(&str) -> Option<u64>,
) -> Vec<VersionView> {
    v.iter()
        .map(|k| VersionView {
            version: k.version.clone(),
            enabled: k.enabled,
            created: k.created,
            size: k.material.bits(),
            key_ops: k.key_ops.clone(),
            exp: k.exp,
            last_use: last(&k.version),
        })
        .collect()
}

/// Last successful wrap/unwrap per (vault, key, version), all lower-cased, from the whole audit log.
type Uses = std::collections::BTreeMap<(String, String, String), u64>;

fn key_uses(j: &Journal) -> Uses {
    let mut m = Uses::new();
    for a in j
        .audit
        .iter()
        .filter(|a| a.status == 200 && matches!(a.operation.as_str(), "KeyWrap" | "KeyUnwrap"))
    {
        if let (Some(k), Some(v)) = (&a.key, &a.version) {
            let e = m
                .entry((
                    a.vault.to_ascii_lowercase(),
                    k.to_ascii_lowercase(),
                    v.to_ascii_lowercase(),
                ))
                .or_insert(0);
            *e = (*e).max(a.last.max(a.time));
        }
    }
    m
}

fn last_use(uses: &Uses, vault: &str, key: &str, version: &str) -> Option<u64> {
    let k = (
        vault.to_ascii_lowercase(),
        key.to_ascii_lowercase(),
        version.to_ascii_lowercase(),
    );
    uses.get(&k).copied()
}

fn tail<T: Clone>(v: &[T], n: usize) -> Vec<T> {
    v[v.len().saturating_sub(n)..].to_vec()
}

fn storage_view(w: &World, s: &super::storage::BlockStore) -> StorageView {
    use super::storage::{Owner, block::KeySource};
    let key_ref = |k: &KeySource| match k {
        KeySource::Cmk {
            vault_uri,
            key_name,
            key_version,
        } => Some(KeyRef {
            vault_uri: vault_uri.clone(),
            vault: super::cluster::rules::vault_name_of(vault_uri).unwrap_or_default(),
            key_name: key_name.clone(),
            key_version: key_version.clone(),
        }),
        KeySource::Mmk { .. } => None,
    };
    let ws_name = |key: &str| {
        w.workspaces
            .get(key)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| "(deleted)".into())
    };
    let accounts = w
        .storage
        .accounts
        .values()
        .map(|a| {
            let blocks: Vec<_> = s.blocks.values().filter(|b| b.account == a.name).collect();
            let cluster = a
                .owner
                .cluster(w)
                .and_then(|c| w.clusters.get(c))
                .map(|c| c.id.clone());
            let sentinel = match &a.owner {
                Owner::Sentinel { workspace } => Some(ws_name(workspace)),
                _ => None,
            };
            AccountView {
                name: a.name.clone(),
                cluster,
                sentinel,
                principal: a
                    .protector
                    .is_cmk()
                    .then(|| a.owner.principal(w).ok())
                    .flatten()
                    .map(|p| p.display_name),
                region: a.owner.region(w).to_string(),
                aek_id: a.aek_id.clone(),
                protection: if a.protector.is_cmk() { "CMK" } else { "MMK" }.into(),
                key: key_ref(&a.protector),
                wrapped_at: a.wrapped_at,
                last_unwrap: a.last_unwrap,
                cached: a.cache.is_some(),
                double_encryption: a.double_encryption,
                writable: a.writable,
                blocks: blocks.len(),
                rows: blocks.iter().map(|b| b.rows as u64).sum(),
                bytes: blocks.iter().map(|b| b.sealed.len() as u64).sum(),
                hot_blocks: blocks.iter().filter(|b| s.hot.contains_key(&b.id)).count(),
                access: AccessView::of(a, s.aek_flips.contains_key(&a.name)),
            }
        })
        .collect();
    let blocks = s
        .blocks
        .values()
        .rev()
        .take(BLOCK_TAIL)
        .map(|b| BlockView {
            id: b.id,
            account: b.account.clone(),
            workspace: ws_name(&b.workspace),
            table: b.table.clone(),
            rows: b.rows,
            bytes: b.sealed.len(),
            cmk: b.key_source.is_cmk(),
            key_version: key_ref(&b.key_source).map(|k| k.key_version),
            ingested: b.ingested,
            hot: s.hot.contains_key(&b.id),
            pending: b.pending,
            double: b.double,
            tampered: s.flips.contains_key(&b.id) || s.aek_flips.contains_key(&b.account),
        })
        .collect();
    let drops = s
        .drops
        .iter()
        .map(|((customer_id, table), rows)| DropView {
            workspace: w
                .workspaces
                .values()
                .find(|x| x.customer_id == *customer_id)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| customer_id.clone()),
            table: table.clone(),
            rows: *rows,
        })
        .collect();
    let ingestion = w
        .workspaces
        .values()
        .filter(|x| x.deleted.is_none())
        .filter_map(|x| {
            let buckets = s.ingestion.buckets(&x.customer_id, INGESTION_HOURS);
            (!buckets.is_empty()).then(|| IngestionView {
                workspace: x.name.clone(),
                customer_id: x.customer_id.clone(),
                buckets,
            })
        })
        .take(INGESTION_WORKSPACES)
        .collect();
    StorageView {
        ingestion,
        accounts,
        blocks,
        total_blocks: s.blocks.len(),
        total_rows: s.blocks.values().map(|b| b.rows as u64).sum(),
        hot_blocks: s.hot.len(),
        pending_seals: s.pending_jobs(),
        drops,
    }
}

/// Replies that carry only what changed: the Worker keeps the snapshot it last sent and sends the
/// fields that differ (`Snapshot::changed_since`), the page puts them into its copy
/// (`Snapshot::set_field`). A world with a thousand workspaces then crosses the Worker boundary
/// only when its workspaces change, not with every request.
macro_rules! snapshot_fields {
    ($($field:ident),* $(,)?) => {
        /// `Snapshot`'s fields, as serialized (a test keeps this list whole).
        pub const SNAPSHOT_FIELDS: &[&str] = &[$(stringify!($field)),*];

        impl Snapshot {
            /// The fields that differ from `old`, in declaration order.
            pub fn changed_since(&self, old: &Snapshot) -> Vec<&'static str> {
                let mut changed = Vec::new();
                $(if self.$field != old.$field {
                    changed.push(stringify!($field));
                })*
                changed
            }

            /// Serializes the field called `name` (None when there is no such field).
            pub fn serialize_field<S: serde::Serializer>(
                &self,
                name: &str,
                serializer: S,
            ) -> Option<Result<S::Ok, S::Error>> {
                match name {
                    $(stringify!($field) => Some(self.$field.serialize(serializer)),)*
                    _ => None,
                }
            }

            /// Replaces the field called `name` with what `deserializer` holds; false (and
            /// nothing changed) when there is no such field.
            pub fn set_field<'de, D: serde::Deserializer<'de>>(
                &mut self,
                name: &str,
                deserializer: D,
            ) -> Result<bool, D::Error> {
                match name {
                    $(stringify!($field) => {
                        self.$field = Deserialize::deserialize(deserializer)?;
                        Ok(true)
                    })*
                    _ => Ok(false),
                }
            }
        }
    };
}

snapshot_fields!(
    now,
    next_event,
    next_event_label,
    tenant_id,
    user_object_id,
    user_name,
    user_upn,
    subscriptions,
    regions,
    groups,
    providers,
    vaults,
    identities,
    role_assignments,
    clusters,
    workspaces,
    operations,
    timeline,
    timeline_len,
    audit,
    storage,
    sentinel,
    lockbox,
    storage_accounts,
    alert_rules,
    fired_alerts,
    session,
);

#[cfg(test)]
mod delta_tests {
    use super::*;

    #[test]
    fn the_field_list_is_the_snapshots_fields() {
        let json = serde_json::to_value(Snapshot::default()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = SNAPSHOT_FIELDS.to_vec();
        let mut serialized = keys.clone();
        listed.sort_unstable();
        serialized.sort_unstable();
        assert_eq!(listed, serialized);
    }

    #[test]
    fn changed_fields_put_into_the_old_snapshot_give_the_new_one() {
        let mut engine = crate::engine::Engine::with_seed([7; 32]);
        let old = engine.snapshot();
        let sub = SUBSCRIPTIONS[0].0;
        let r = engine.handle(
            "PUT",
            &format!("https://management.azure.com/subscriptions/{sub}/resourcegroups/rg?api-version=2021-04-01"),
            &[],
            Some(r#"{"location":"eastus"}"#),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        engine.advance(60);
        let new = engine.snapshot();
        let changed = new.changed_since(&old);
        assert!(
            changed.contains(&"groups") && changed.contains(&"now"),
            "{changed:?}"
        );
        assert!(!changed.contains(&"vaults"), "{changed:?}");
        let mut merged = old.clone();
        for field in &changed {
            let value = new
                .serialize_field(field, serde_json::value::Serializer)
                .unwrap()
                .unwrap();
            assert!(merged.set_field(field, value).unwrap());
        }
        assert_eq!(merged, new);
        assert!(
            !merged
                .set_field("nonsense", serde_json::Value::Null)
                .unwrap()
        );
        assert!(new.changed_since(&new).is_empty());
    }
}
