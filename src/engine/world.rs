//! The simulated world: tenant and directory, subscriptions, regions, and the container of every
//! resource.
//!
//! Invariant: [`World`] is all the state a request may change. `Engine::handle` clones it before
//! a request and restores the clone if the request fails, so a failed request changes nothing,
//! including the random stream. Logs of what happened (audit, timeline) live in
//! [`super::journal::Journal`], outside the rollback.
//!
//! The clone must cost next to nothing, whatever the world holds (issue 14): every collection
//! that grows with the resources (workspaces, operations, clusters, vaults, the event queue,
//! storage accounts, …) is a persistent map, [`imbl::OrdMap`], whose clone shares its nodes and
//! whose writes copy only the path to the entry they change (a node holds at most 16 entries).
//! A request therefore copies what it writes, not the world; the maps iterate in key order like
//! the `BTreeMap`s they replaced, so every answer and every random draw is the same.

use imbl::OrdMap;

use super::arm::authorization::RoleAssignment;
use super::arm::groups::ResourceGroup;
use super::arm::identity::UserIdentity;
use super::arm::lro::AsyncOp;
use super::clock::EventQueue;
use super::cluster::{Cluster, ClusterTombstone};
use super::crypto::{Csprng, SymKey};
use super::keyvault::{DeletedVault, Vault};
use super::storage::StorageState;
use super::workspace::Workspace;

/// The tenant everything lives in.
pub const TENANT_ID: &str = "3c1d5e2a-8f47-4b6e-9a21-6d0f5c7b8e93";
pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";

/// The signed-in user: Owner of both subscriptions (through role assignments the world starts
/// with, `authorization::initial_assignments`).
pub const USER_OBJECT_ID: &str = "b7e4c1a9-3d6f-4a2b-9e8c-5f1d7a3b6c20";
pub const USER_UPN: &str = "avery@contoso.onmicrosoft.com";
pub const USER_NAME: &str = "Avery Admin";
/// The Azure CLI's application id: requests in the playground are signed like `az rest`.
pub const CLI_APP_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// A second person, with less than Owner: Log Analytics Reader on the first subscription as the
/// world starts (`authorization::initial_assignments`), for rehearsing least privilege.
pub const SAM_OBJECT_ID: &str = "c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43";
pub const SAM_UPN: &str = "sam@contoso.onmicrosoft.com";
pub const SAM_NAME: &str = "Sam Operator";

/// A service principal with a client secret, as a runbook or a pipeline signs in: Owner of the
/// first subscription. Its secret is the playground's, shown in the page and the README.
pub const RUNBOOK_APP_ID: &str = "7d3e9b21-4c8a-4f6e-b2d5-91a0c6e8f347";
pub const RUNBOOK_OBJECT_ID: &str = "e8b1f5c3-2a9d-4e70-9c46-5d3a7b1e0f82";
pub const RUNBOOK_APP_SECRET: &str = "Pl4y~ground.Runbook-Secret_0123456789abc";
pub const RUNBOOK_NAME: &str = "cmk-runbook";

/// The Azure Cosmos DB first-party application, which Microsoft Sentinel CMK grants Key Vault to.
pub const COSMOS_DB_APP_ID: &str = "a232010e-820c-4083-83bb-3ace5fc29d0b";
pub const COSMOS_DB_OBJECT_ID: &str = "6f1e9d2c-4b8a-4c3e-9d7f-2a5b8c1e4f07";

/// The two subscriptions of the default world.
pub const SUBSCRIPTIONS: [(&str, &str); 2] = [
    ("9f3b6c2e-1a4d-4e8b-b5c7-2d8f0a6e4c31", "Contoso Production"),
    ("5e8a1f4d-7b2c-4d9e-8f3a-6c1b0e7d2a58", "Contoso Security"),
];

/// An Azure region and what the simulated services support there.
#[derive(Debug, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub display: &'static str,
    pub double_encryption: bool,
    pub availability_zones: bool,
    /// China regions: Customer Lockbox is not available there.
    pub china: bool,
}

const fn region(
    name: &'static str,
    display: &'static str,
    de: bool,
    az: bool,
    china: bool,
) -> Region {
    Region {
        name,
        display,
        double_encryption: de,
        availability_zones: az,
        china,
    }
}

/// The region catalogue. Two regions lack double encryption so the seed's
/// "doesn't support Double Encryption" error can be met.
pub static REGIONS: [Region; 10] = [
    region("eastus", "East US", true, true, false),
    region("eastus2", "East US 2", true, true, false),
    region("westus2", "West US 2", true, true, false),
    region("southcentralus", "South Central US", true, true, false),
    region("westcentralus", "West Central US", false, false, false),
    region("westeurope", "West Europe", true, true, false),
    region("northeurope", "North Europe", true, true, false),
    region("uksouth", "UK South", true, true, false),
    region("brazilsoutheast", "Brazil Southeast", false, false, false),
    region("chinanorth3", "China North 3", true, true, true),
];

/// Resolves `eastus`, `East US` or `EASTUS` to a catalogue region.
pub fn find_region(s: &str) -> Option<&'static Region> {
    let key: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    REGIONS.iter().find(|r| r.name == key)
}

pub fn region_list() -> String {
    REGIONS
        .iter()
        .map(|r| r.display)
        .collect::<Vec<_>>()
        .join(",")
}

/// What kind of principal a directory object is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum PrincipalKind {
    User,
    /// A first-party or registered application.
    Application,
    /// A managed identity; the string is the resource it belongs to.
    ManagedIdentity(String),
}

/// An object in the tenant's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub object_id: String,
    pub app_id: String,
    pub display_name: String,
    pub kind: PrincipalKind,
}

impl Principal {
    /// The caller string Key Vault puts in its error messages and audit log.
    pub fn caller_string(&self) -> String {
        match &self.kind {
            PrincipalKind::User => format!(
                "appid={};oid={};numgroups=0;iss=https://sts.windows.net/{TENANT_ID}/",
                self.app_id, self.object_id
            ),
            PrincipalKind::Application => {
                format!(
                    "appid={};oid={};iss=https://sts.windows.net/{TENANT_ID}/",
                    self.app_id, self.object_id
                )
            }
            PrincipalKind::ManagedIdentity(rid) => format!(
                "appid={};oid={};iss=https://sts.windows.net/{TENANT_ID}/;xms_mirid={rid}",
                self.app_id, self.object_id
            ),
        }
    }
}

/// The tenant's directory: the people and the service principals the simulation knows, and the
/// key the tenant signs access tokens with.
#[derive(Clone, Debug, PartialEq)]
pub struct Directory {
    pub principals: OrdMap<String, Principal>,
    pub signing_key: SymKey,
}

impl Directory {
    fn new(seed: [u8; 32]) -> Self {
        let mut principals = OrdMap::new();
        for p in [
            Principal {
                object_id: USER_OBJECT_ID.into(),
                app_id: CLI_APP_ID.into(),
                display_name: USER_NAME.into(),
                kind: PrincipalKind::User,
            },
            Principal {
                object_id: SAM_OBJECT_ID.into(),
                app_id: CLI_APP_ID.into(),
                display_name: SAM_NAME.into(),
                kind: PrincipalKind::User,
            },
            Principal {
                object_id: RUNBOOK_OBJECT_ID.into(),
                app_id: RUNBOOK_APP_ID.into(),
                display_name: RUNBOOK_NAME.into(),
                kind: PrincipalKind::Application,
            },
            Principal {
                object_id: COSMOS_DB_OBJECT_ID.into(),
                app_id: COSMOS_DB_APP_ID.into(),
                display_name: "Azure Cosmos DB".into(),
                kind: PrincipalKind::Application,
            },
        ] {
            principals.insert(p.object_id.clone(), p);
        }
        // The tenant's token-signing key comes from a side stream of the seed: signing in
        // draws nothing from the world's stream, so a session's resources get the same ids
        // whether or not (and however often) its host fetched tokens.
        let signing_key = SymKey::random(&mut Csprng::side_stream(seed, 1));
        Directory {
            principals,
            signing_key,
        }
    }

    pub fn user(&self) -> &Principal {
        &self.principals[USER_OBJECT_ID]
    }

    pub fn get(&self, object_id: &str) -> Option<&Principal> {
        self.principals.get(&object_id.to_ascii_lowercase())
    }

    pub fn add(&mut self, p: Principal) {
        self.principals.insert(p.object_id.clone(), p);
    }

    pub fn remove(&mut self, object_id: &str) {
        self.principals.remove(object_id);
    }

    pub fn display(&self, object_id: &str) -> String {
        self.get(object_id)
            .map(|p| p.display_name.clone())
            .unwrap_or_else(|| object_id.to_string())
    }
}

/// Every piece of state a request can change. See the module invariant.
#[derive(Clone, Debug, PartialEq)]
pub struct World {
    pub now: u64,
    /// Where the clock is being advanced to (equal to `now` between advances). Steady background
    /// work (Key Vault polls whose outcome cannot change) may be accounted for up to here at once.
    pub horizon: u64,
    pub rng: Csprng,
    pub events: EventQueue,
    pub directory: Directory,
    /// Resource groups by lower-cased id.
    pub groups: OrdMap<String, ResourceGroup>,
    /// Vaults by lower-cased name: vault names are a global DNS namespace.
    pub vaults: OrdMap<String, Vault>,
    pub deleted_vaults: OrdMap<String, DeletedVault>,
    /// User-assigned identities by lower-cased resource id.
    pub identities: OrdMap<String, UserIdentity>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Clusters by lower-cased resource id.
    pub clusters: OrdMap<String, Cluster>,
    pub cluster_tombstones: Vec<ClusterTombstone>,
    /// Workspaces by lower-cased resource id.
    pub workspaces: OrdMap<String, Workspace>,
    /// Asynchronous operations by id.
    pub operations: OrdMap<String, AsyncOp>,
    /// Resource providers registered per subscription (lower-cased "sub/namespace").
    pub registrations: OrdMap<String, String>,
    /// Storage accounts and the service's own keys (no block data: see `storage::BlockStore`).
    pub storage: StorageState,
    /// Microsoft Sentinel on each onboarded workspace, by lower-cased workspace id.
    pub sentinel: OrdMap<String, super::sentinel::Sentinel>,
    /// Customer Lockbox: the tenant's opt-in and every request.
    pub lockbox: super::lockbox::Lockbox,
    /// Log search alert rules (`Microsoft.Insights/scheduledQueryRules`).
    pub alert_rules: super::alerts::AlertRules,
    /// What log search alert rules' evaluations fired, and what they remember between runs.
    pub fired_alerts: super::fired_alerts::FiredAlerts,
    /// Customers' own storage accounts (`Microsoft.Storage/storageAccounts`), by lower-cased id.
    pub storage_accounts: OrdMap<String, super::storage_accounts::StorageAccountResource>,
}

impl World {
    pub fn new(seed: [u8; 32], now: u64) -> Self {
        World {
            now,
            horizon: now,
            rng: Csprng::from_seed(seed),
            events: EventQueue::default(),
            directory: Directory::new(seed),
            groups: OrdMap::new(),
            vaults: OrdMap::new(),
            deleted_vaults: OrdMap::new(),
            identities: OrdMap::new(),
            role_assignments: super::arm::authorization::initial_assignments(now),
            clusters: OrdMap::new(),
            cluster_tombstones: Vec::new(),
            workspaces: OrdMap::new(),
            operations: OrdMap::new(),
            registrations: OrdMap::new(),
            storage: StorageState::default(),
            sentinel: OrdMap::new(),
            lockbox: Default::default(),
            alert_rules: Default::default(),
            fired_alerts: Default::default(),
            storage_accounts: OrdMap::new(),
        }
    }

    /// The live (not soft-deleted) workspace with this customer id (the Data Collector and Query
    /// APIs' name for it).
    pub fn workspace_by_customer_id(&self, customer_id: &str) -> Option<&Workspace> {
        self.workspaces
            .values()
            .find(|w| w.deleted.is_none() && w.customer_id.eq_ignore_ascii_case(customer_id))
    }

    pub fn subscription(&self, id: &str) -> Option<(&'static str, &'static str)> {
        SUBSCRIPTIONS
            .iter()
            .copied()
            .find(|(s, _)| s.eq_ignore_ascii_case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_resolve_by_name_or_display_name() {
        assert_eq!(find_region("East US").unwrap().name, "eastus");
        assert_eq!(find_region("WESTEUROPE").unwrap().name, "westeurope");
        assert!(find_region("atlantis").is_none());
        assert!(REGIONS.iter().any(|r| !r.double_encryption));
        assert!(REGIONS.iter().any(|r| r.china));
    }
}
