//! The "customer-managed key for saved queries and log alerts" walkthrough (Bring Your Own
//! Storage), as data: on top of the Azure Monitor walkthrough's CMK cluster and linked workspace, a
//! user-assigned identity, a key it may use, a StorageV2 account encrypted with that key, the
//! workspace's `Query` and `Alerts` links to it, then a saved search and a log search alert rule
//! whose queries are kept in the account under the key. Each step has its reason (quoted from the
//! seed), the exact requests it sends (filled from the live state), the mistakes worth making on
//! purpose, and the check that says when it is done.
//!
//! Pure, like [`crate::sentinel_walkthrough`]: its cards and mistakes ride in
//! `walkthrough::Card::Byos` and `Mistake::Byos`, and native tests send every request and every
//! mistake through the engine.

use serde_json::{Value, json};

use crate::prose;

use crate::engine::view::{
    AlertRuleView, IdentityView, SavedSearchView, StorageAccountView, WorkspaceView,
};
use crate::walkthrough::{Card, Context, Draft, Mistake, Status, Step};

const ARM: &str = "https://management.azure.com";
pub const STORAGE_API: &str = "2025-06-01";
pub const IDENTITY_API: &str = "2023-01-31";
/// `linkedStorageAccounts` and `savedSearches` (the version `az` sends).
pub const WORKSPACE_API: &str = "2020-08-01";
pub const ALERTS_API: &str = "2023-12-01";
pub const VAULT_API: &str = "2023-07-01";

/// The names the walkthrough's requests use.
pub const IDENTITY: &str = "queries-cmk-id";
pub const ACCOUNT: &str = "contosoqueries";
/// A second key in the same vault: the account's key differs from the cluster's (the seed allows
/// either).
pub const KEY: &str = "queries-cmk";
pub const SAVED_SEARCH: &str = "failed-payments";
pub const SAVED_SEARCH_QUERY: &str = "AppEvents_CL | where Level_s == 'Error' and Message_s has 'Payment' | project TimeGenerated, Message_s";
pub const RULE: &str = "payment-errors";
pub const RULE_QUERY: &str = "AppEvents_CL | where Level_s == 'Error'";

/// The seed's considerations, quoted where a person looks for them (the page shows them beside
/// the step or view they concern).
pub const MMK_ALWAYS: &str = "Log Analytics queries can be saved in various stores depending on the scenario used. Queries remain encrypted with Microsoft key (MMK) in the following scenarios regardless Customer-managed key configuration: Workbooks in Azure Monitor, Azure dashboards, Azure Logic App, Azure Notebooks and Automation Runbooks.";
pub const SERVICE_ARTIFACTS: &str =
    "The saves searches in storage is considered as service artifacts and their format may change";
pub const NO_QUERY_HISTORY: &str =
    "Query history isn't supported and you won't be able to see queries that you ran";
pub const NO_PIN: &str = "Pin to dashboard isn't supported";
pub const FIRED_ALERTS: &str = "Fired log alerts will not contains search results or alert query. You can use alert dimensions to get context in the fired alerts.";
pub const COSTS: &str =
    "You will, however, be responsible for the costs associated with that storage account.";
pub const COPY_FIRST: &str = "Existing saves searches are removed from your workspace. Copy and any saves searches that you need before the configuration. You can view your saved-searches using PowerShell";
pub const SOURCE: &str =
    "Azure Monitor customer-managed key, \"Customer-managed key for saved queries and log alerts\"";

/// One request card of the walkthrough.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum BCard {
    /// Step 1: read the workspace (its region and its link to the cluster).
    Workspace,
    Identity,
    Key,
    Grant,
    StorageAccount,
    /// Step 5: list the saved searches, to copy them before the `Query` link removes them.
    ListSearches,
    LinkQuery,
    LinkAlerts,
    SavedSearch,
    AlertRule,
    /// Step 8: read the saved search and the rule back through the service.
    ReadSearch,
    ReadRule,
}

impl BCard {
    pub fn id(self) -> &'static str {
        match self {
            BCard::Workspace => "byos-workspace",
            BCard::Identity => "byos-identity",
            BCard::Key => "byos-key",
            BCard::Grant => "byos-grant",
            BCard::StorageAccount => "byos-storage-account",
            BCard::ListSearches => "byos-list-searches",
            BCard::LinkQuery => "byos-link-query",
            BCard::LinkAlerts => "byos-link-alerts",
            BCard::SavedSearch => "byos-saved-search",
            BCard::AlertRule => "byos-alert-rule",
            BCard::ReadSearch => "byos-read-search",
            BCard::ReadRule => "byos-read-rule",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            BCard::Workspace => "Check the workspace: its region and its cluster",
            BCard::Identity => "Create a user-assigned managed identity",
            BCard::Key => "Generate a key for the storage account (optional)",
            BCard::Grant => "Add an access policy for the identity",
            BCard::StorageAccount => "Create the storage account with your key",
            BCard::ListSearches => "List the workspace's saved searches (copy them first)",
            BCard::LinkQuery => "Link the account for Query (saved searches)",
            BCard::LinkAlerts => "Link the account for Alerts (log alert queries)",
            BCard::SavedSearch => "Save a query",
            BCard::AlertRule => "Create a log search alert rule",
            BCard::ReadSearch => "Read the saved search back",
            BCard::ReadRule => "Read the alert rule back",
        }
    }
}

// ---- what the requests and checks look at --------------------------------------------------------

fn rg_path(cx: &Context) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}",
        cx.settings.subscription, cx.settings.group
    )
}

pub fn identity_path(cx: &Context) -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{IDENTITY}",
        rg_path(cx)
    )
}

pub fn account_path(cx: &Context) -> String {
    format!(
        "{}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}",
        rg_path(cx)
    )
}

pub fn rule_path(cx: &Context) -> String {
    format!(
        "{}/providers/Microsoft.Insights/scheduledQueryRules/{RULE}",
        rg_path(cx)
    )
}

/// A URL under the workspace (`savedSearches`, `linkedStorageAccounts/Query`, …).
pub fn workspace_url(cx: &Context, rest: &str) -> String {
    format!(
        "{ARM}{}/{rest}?api-version={WORKSPACE_API}",
        cx.workspace_path()
    )
}

pub fn saved_searches_url(cx: &Context) -> String {
    workspace_url(cx, "savedSearches")
}

pub fn saved_search_url(cx: &Context) -> String {
    workspace_url(cx, &format!("savedSearches/{SAVED_SEARCH}"))
}

pub fn rule_url(cx: &Context) -> String {
    format!("{ARM}{}?api-version={ALERTS_API}", rule_path(cx))
}

pub fn identity<'a>(cx: &'a Context) -> Option<&'a IdentityView> {
    let id = identity_path(cx);
    cx.snap
        .identities
        .iter()
        .find(|i| i.id.eq_ignore_ascii_case(&id))
}

pub fn account<'a>(cx: &'a Context) -> Option<&'a StorageAccountView> {
    let id = account_path(cx);
    cx.snap
        .storage_accounts
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(&id))
}

pub fn saved_search<'a>(cx: &'a Context) -> Option<&'a SavedSearchView> {
    cx.workspace()?
        .saved_searches
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(SAVED_SEARCH))
}

pub fn rule<'a>(cx: &'a Context) -> Option<&'a AlertRuleView> {
    let id = rule_path(cx);
    cx.snap
        .alert_rules
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(&id))
}

/// The storage accounts a workspace links for `kind` (`Query` or `Alerts`).
pub fn linked<'a>(w: &'a WorkspaceView, kind: &str) -> &'a [String] {
    w.linked_storage
        .iter()
        .find(|l| l.data_source_type.eq_ignore_ascii_case(kind))
        .map_or(&[], |l| l.accounts.as_slice())
}

/// Whether the workspace has a `Query` link: its saved searches are in a storage account, and the
/// seed's limits apply (no query history, no pin to dashboard).
pub fn query_linked(w: &WorkspaceView) -> bool {
    !linked(w, "Query").is_empty()
}

/// The key permissions the identity is missing on the vault (empty when it has them all), or
/// `None` when it (or the vault) has no access at all.
pub fn identity_missing(cx: &Context) -> Option<Vec<&'static str>> {
    cx.missing_key_permissions(&identity(cx)?.principal_id)
}

/// Whether the walkthrough's second key exists in the vault.
pub fn key_exists(cx: &Context) -> bool {
    cx.vault().is_some_and(|v| {
        v.keys
            .iter()
            .any(|k| k.name.eq_ignore_ascii_case(KEY) && k.deleted.is_none())
    })
}

fn short(s: &str) -> String {
    s.chars().take(8).collect()
}

// ---- the requests ----------------------------------------------------------------------------------

fn account_body(cx: &Context, location: &str, key_type: &str) -> Value {
    let uid = identity_path(cx);
    json!({
        "location": location,
        "kind": "StorageV2",
        "sku": { "name": "Standard_LRS" },
        "identity": { "type": "UserAssigned", "userAssignedIdentities": { uid.clone(): {} } },
        "properties": {
            "minimumTlsVersion": "TLS1_2",
            "encryption": {
                "keySource": "Microsoft.Keyvault",
                "keyvaultproperties": { "keyname": KEY, "keyvaulturi": cx.vault_uri() },
                "identity": { "userAssignedIdentity": uid },
                "services": {
                    "table": { "keyType": key_type },
                    "queue": { "keyType": key_type }
                }
            }
        }
    })
}

fn rule_body(cx: &Context, check: bool) -> Value {
    json!({
        "location": cx.settings.location,
        "kind": "LogAlert",
        "properties": {
            "displayName": "Payment errors",
            "description": "Errors from the payment service",
            "severity": 2,
            "enabled": true,
            "evaluationFrequency": "PT5M",
            "windowSize": "PT10M",
            "scopes": [cx.workspace_path()],
            "checkWorkspaceAlertsStorageConfigured": check,
            "criteria": { "allOf": [{
                "query": RULE_QUERY,
                "timeAggregation": "Count",
                "operator": "GreaterThan",
                "threshold": 0,
                "dimensions": [{ "name": "Message_s", "operator": "Include", "values": ["*"] }],
                "failingPeriods": { "numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1 }
            }] }
        }
    })
}

fn link_body(cx: &Context) -> Value {
    json!({ "properties": { "storageAccountIds": [account_path(cx)] } })
}

/// The request a card sends, filled from the current state.
pub fn draft(card: BCard, cx: &Context) -> Draft {
    match card {
        BCard::Workspace => Draft::new(
            "GET",
            format!(
                "{ARM}{}?api-version={}",
                cx.workspace_path(),
                cx.settings.oi_api
            ),
            None,
        ),
        BCard::Identity => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version={IDENTITY_API}", identity_path(cx)),
            Some(json!({ "location": cx.settings.location })),
        ),
        BCard::Key => Draft::new(
            "POST",
            format!("{}/keys/{KEY}/create?api-version=7.4", cx.vault_uri()),
            Some(json!({ "kty": "RSA", "key_size": 2048, "key_ops": ["wrapKey", "unwrapKey"] })),
        ),
        BCard::Grant => Draft::new(
            "PUT",
            format!(
                "{ARM}{}/accessPolicies/add?api-version={VAULT_API}",
                cx.vault_path()
            ),
            Some(json!({ "properties": { "accessPolicies": [{
                "tenantId": cx.snap.tenant_id,
                "objectId": identity(cx).map_or_else(
                    || "<identity principalId: create the identity first>".to_string(),
                    |i| i.principal_id.clone()
                ),
                "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
            }]}})),
        ),
        BCard::StorageAccount => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version={STORAGE_API}", account_path(cx)),
            Some(account_body(cx, &cx.settings.location, "Account")),
        ),
        BCard::ListSearches => Draft::new("GET", saved_searches_url(cx), None),
        BCard::LinkQuery => Draft::new(
            "PUT",
            workspace_url(cx, "linkedStorageAccounts/Query"),
            Some(link_body(cx)),
        ),
        BCard::LinkAlerts => Draft::new(
            "PUT",
            workspace_url(cx, "linkedStorageAccounts/Alerts"),
            Some(link_body(cx)),
        ),
        BCard::SavedSearch => Draft::new(
            "PUT",
            saved_search_url(cx),
            Some(json!({ "etag": "*", "properties": {
                "category": "Payments",
                "displayName": "Failed payments",
                "query": SAVED_SEARCH_QUERY,
                "version": 2,
                "tags": [{ "name": "team", "value": "payments" }]
            }})),
        ),
        BCard::AlertRule => Draft::new("PUT", rule_url(cx), Some(rule_body(cx, true))),
        BCard::ReadSearch => Draft::new("GET", saved_search_url(cx), None),
        BCard::ReadRule => Draft::new("GET", rule_url(cx), None),
    }
}

/// Said on the `Query` link's card before it is sent, while the workspace still holds saved
/// searches: the seed's warning, and how many the link will take out of the workspace.
pub fn link_warning(card: BCard, d: &Draft, cx: &Context) -> Option<String> {
    if card != BCard::LinkQuery || !d.method.eq_ignore_ascii_case("PUT") {
        return None;
    }
    let w = cx.workspace().filter(|w| !query_linked(w))?;
    let here: Vec<&str> = w
        .saved_searches
        .iter()
        .filter(|s| s.stored_in == "workspace")
        .map(|s| s.name.as_str())
        .collect();
    if here.is_empty() {
        return None;
    }
    Some(format!(
        "This link removes {} saved search{} ({}) from workspace {}: \"Existing saves searches are removed from your workspace. Copy and any saves searches that you need before the configuration.\" The list above answers them.",
        here.len(),
        if here.len() == 1 { "" } else { "es" },
        here.join(", "),
        w.name
    ))
}

// ---- mistakes --------------------------------------------------------------------------------------

/// A mistake a learner can make on purpose in this walkthrough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BMistake {
    /// Create the account with the table and queue services' keyType `Service`.
    TableKeyTypeService,
    /// Create the account in another region than the workspace's.
    OtherRegion,
    /// Create the alert rule (checkWorkspaceAlertsStorageConfigured true) before the Alerts link.
    AlertBeforeLink,
}

impl BMistake {
    pub fn label(self) -> &'static str {
        match self {
            BMistake::TableKeyTypeService => "Create the account without table keyType Account",
            BMistake::OtherRegion => "Create the account in another region",
            BMistake::AlertBeforeLink => "Create the alert rule before the Alerts link",
        }
    }

    pub fn expect(self) -> &'static str {
        match self {
            BMistake::TableKeyTypeService => {
                "keyType Service for tables and queues: the account is created with your key, but its tables stay under a service-managed key, and the key type is set only at creation (\"the scope of the encryption key cannot be changed after the account is created\"): a table created without keyType Account can never be under CMK, so saved searches linked to it never will be. To start over, send DELETE to the account's URL, then the correct request."
            }
            BMistake::OtherRegion => {
                "The account is created in West Europe. Linking it is refused: \"Make sure to create your Storage Account in the same region as your Log Analytics workspace is located\". To start over, send DELETE to the account's URL, then the correct request."
            }
            BMistake::AlertBeforeLink => {
                "Loads step 7's rule to send now, before the Alerts link: checkWorkspaceAlertsStorageConfigured \"specifies whether to check linked storage and fail creation if the storage was not found\", so creation fails and nothing is created."
            }
        }
    }

    pub fn card(self) -> BCard {
        match self {
            BMistake::TableKeyTypeService | BMistake::OtherRegion => BCard::StorageAccount,
            BMistake::AlertBeforeLink => BCard::AlertRule,
        }
    }

    /// The card's request with the mistake made.
    pub fn draft(self, cx: &Context) -> Draft {
        let mut d = draft(self.card(), cx);
        match self {
            BMistake::TableKeyTypeService => {
                d.body =
                    crate::walkthrough::pretty(&account_body(cx, &cx.settings.location, "Service"));
            }
            BMistake::OtherRegion => {
                d.body = crate::walkthrough::pretty(&account_body(cx, "westeurope", "Account"));
            }
            // The same request: the mistake is when it is sent.
            BMistake::AlertBeforeLink => {}
        }
        d
    }
}

// ---- the steps -------------------------------------------------------------------------------------

pub static STEPS: [Step; 8] = [
    Step {
        number: 1,
        title: "A CMK workspace on a dedicated cluster",
        why: prose!(
            "The query language used in Log Analytics is expressive and can contain sensitive information in comments you add to queries or in the query syntax. Some organizations require that such information is kept protected under Customer-managed key policy and you need save your queries encrypted with your key. Azure Monitor enables you to store saved-searches and log alerts queries encrypted with your key in your own storage account when connected to your workspace.\n\nMake sure to create your Storage Account in the same region as your Log Analytics workspace is located."
        ),
        source: SOURCE,
        watch: prose!(
            "The Azure Monitor walkthrough builds the workspace and its CMK cluster: the workspace answers with its location (the storage account goes there) and features.clusterResourceId naming the cluster. Its logs are under the cluster's key; its saved searches are not, yet: they are kept in the workspace under a Microsoft-managed key."
        ),
        cards: &[Card::Byos(BCard::Workspace)],
        mistakes: &[],
    },
    Step {
        number: 2,
        title: "Create a user-assigned identity",
        why: prose!(
            "When you Bring Your Own Storage (BYOS) and link it to your workspace, the service uploads saved-searches and log alerts queries to your storage account. That means that you control the storage account and the encryption-at-rest policy either using the same key that you use to encrypt data in Log Analytics cluster, or a different key.\n\nThe storage account reaches your Key Vault with a managed identity. When the account is created with a customer-managed key, only a user-assigned identity can already hold the vault's permissions: create it first."
        ),
        source: "Azure Monitor customer-managed key, \"Customer-managed key for saved queries and log alerts\"; Azure Storage, \"Configure customer-managed keys for a new storage account\"",
        watch: prose!(
            "201 Created with properties.principalId: the identity's object id in the directory, which the vault's access policy grants in the next step."
        ),
        cards: &[Card::Byos(BCard::Identity)],
        mistakes: &[],
    },
    Step {
        number: 3,
        title: "Give the identity your key",
        why: prose!(
            "You control the storage account and the encryption-at-rest policy either using the same key that you use to encrypt data in Log Analytics cluster, or a different key.\n\nThe identity needs the same key permissions as the cluster's: 'Get', 'Wrap Key' and 'Unwrap Key'."
        ),
        source: "Azure Monitor customer-managed key, \"Customer-managed key for saved queries and log alerts\" and \"Grant Key Vault permissions\"",
        watch: prose!(
            "This walkthrough uses a second key, queries-cmk, in the same vault, so that revoking it touches saved queries and alerts but not the logs (the drill \"Revoke the storage account's key\" shows it). To use the cluster's key instead, skip the first card and put the cluster's key name in the next step's keyname. The vault then lists the identity beside the cluster's with get, wrapKey and unwrapKey."
        ),
        cards: &[Card::Byos(BCard::Key), Card::Byos(BCard::Grant)],
        mistakes: &[],
    },
    Step {
        number: 4,
        title: "Create the storage account with your key",
        why: prose!(
            "Make sure to create your Storage Account in the same region as your Log Analytics workspace is located.\n\nSaved searches are kept in a table of the account. Tables and queues are under the account's key only if keyType Account is set for them when the account is created: \"the scope of the encryption key cannot be changed after the account is created\". A table created without it can never be under CMK.\n\nYou will, however, be responsible for the costs associated with that storage account."
        ),
        source: "Azure Monitor customer-managed key, \"Considerations before setting Customer-managed key for queries\"; Azure Storage, \"Create an account that supports customer-managed keys for tables and queues\"",
        watch: prose!(
            "200 with properties.encryption: keySource Microsoft.Keyvault, keyvaultproperties without a keyversion (the account follows the key's newest version) and currentVersionedKeyIdentifier, services.table.keyType Account. Before answering, storage validated the key with the identity (a real wrapKey in the vault's audit log). The key hierarchy shows the account's AEK under \"Your storage accounts\"."
        ),
        cards: &[Card::Byos(BCard::StorageAccount)],
        mistakes: &[
            Mistake::Byos(BMistake::TableKeyTypeService),
            Mistake::Byos(BMistake::OtherRegion),
        ],
    },
    Step {
        number: 5,
        title: "Link the account for Query and Alerts",
        why: prose!(
            "Existing saves searches are removed from your workspace. Copy and any saves searches that you need before the configuration. You can view your saved-searches using PowerShell\n\nYou can link a single storage account to workspace for the purpose of saving queries, but is can be used fro both saved-searches and log alerts queries\n\nYou need to have 'write' permissions to both your workspace and Storage Account.\n\nQuery history isn't supported and you won't be able to see queries that you ran. Pin to dashboard isn't supported."
        ),
        source: "Azure Monitor customer-managed key, \"Considerations before setting Customer-managed key for queries\", \"Configure BYOS for saved-searches queries\" and \"Configure BYOS for log alerts queries\"",
        watch: prose!(
            "The list answers the saved searches the workspace holds now: copy any you need. Each link answers 200 with dataSourceType and storageAccountIds. After the Query link the workspace's saved searches are gone from it (moved into the account's table), and the Logs view says query history isn't supported."
        ),
        cards: &[
            Card::Byos(BCard::ListSearches),
            Card::Byos(BCard::LinkQuery),
            Card::Byos(BCard::LinkAlerts),
        ],
        mistakes: &[],
    },
    Step {
        number: 6,
        title: "Save a query",
        why: prose!(
            "Link a storage account for Query to your workspace -- saved-searches queries are saved in your storage account.\n\nAfter the configuration, any new saved search query will be saved in your storage.\n\nThe saves searches in storage is considered as service artifacts and their format may change"
        ),
        source: "Azure Monitor customer-managed key, \"Configure BYOS for saved-searches queries\" and \"Considerations before setting Customer-managed key for queries\"",
        watch: prose!(
            "200 with the saved search as usual: the API does not change. What changes is where it is kept: an entity in the account's table, sealed under the account's key (the step's status and the workspace's saved searches say so). Read it as a service artifact, through the API, never from the table."
        ),
        cards: &[Card::Byos(BCard::SavedSearch)],
        mistakes: &[],
    },
    Step {
        number: 7,
        title: "Create a log search alert rule",
        why: prose!(
            "Link a storage account for Alerts to your workspace -- log alerts queries are saved in your storage account.\n\nAfter the configuration, any new alert query will be saved in your storage.\n\nFired log alerts will not contains search results or alert query. You can use alert dimensions to get context in the fired alerts."
        ),
        source: "Azure Monitor customer-managed key, \"Configure BYOS for log alerts queries\" and \"Considerations before setting Customer-managed key for queries\"",
        watch: prose!(
            "201 Created with isWorkspaceAlertsStorageConfigured true: checkWorkspaceAlertsStorageConfigured made the service check the Alerts link first. The rule's query is kept as a blob in the account under its key; the rule's dimensions (Message_s here) are what a fired alert carries for context."
        ),
        cards: &[Card::Byos(BCard::AlertRule)],
        mistakes: &[Mistake::Byos(BMistake::AlertBeforeLink)],
    },
    Step {
        number: 8,
        title: "See where each is kept, and under which key",
        why: prose!(
            "Azure Monitor enables you to store saved-searches and log alerts queries encrypted with your key in your own storage account when connected to your workspace.\n\nLog Analytics queries can be saved in various stores depending on the scenario used. Queries remain encrypted with Microsoft key (MMK) in the following scenarios regardless Customer-managed key configuration: Workbooks in Azure Monitor, Azure dashboards, Azure Logic App, Azure Notebooks and Automation Runbooks."
        ),
        source: SOURCE,
        watch: prose!(
            "Both reads answer 200 with the queries: the service unwrapped the account's AEK with your key to open them. Revoke the account's key (disable its version, or remove the identity's access policy) and within the hour both reads fail with 403 KeyVaultEncryptionKeyNotFound, while the workspace's logs stay readable under the cluster's key: the drill \"Revoke the storage account's key\" runs it."
        ),
        cards: &[Card::Byos(BCard::ReadSearch), Card::Byos(BCard::ReadRule)],
        mistakes: &[],
    },
];

/// The first Azure Monitor step that is not done, for step 1 to send the learner to.
pub fn monitor_step_to_finish(cx: &Context) -> Option<usize> {
    crate::sentinel_walkthrough::monitor_step_to_finish(cx)
}

/// Where the account's AEK stands, in words ("wrapped by queries-cmk version 1a2b3c4d through
/// queries-cmk-id").
pub fn account_key_words(a: &StorageAccountView) -> String {
    match (&a.key, &a.current_key_version) {
        (Some(k), Some(v)) => format!(
            "its AEK is wrapped by {}/keys/{} version {} through {}",
            k.vault,
            k.key_name,
            short(v),
            a.principal.as_deref().unwrap_or("its identity")
        ),
        (Some(k), None) => format!(
            "its key {}/keys/{} is not in the vault",
            k.vault, k.key_name
        ),
        (None, _) => "it is under a Microsoft-managed key".into(),
    }
}

/// The state of step `n` (1-based).
pub fn status(n: usize, cx: &Context) -> Status {
    let s = cx.settings;
    match n {
        1 => {
            let (Some(c), Some(w)) = (cx.cluster(), cx.workspace()) else {
                return Status::Todo(match monitor_step_to_finish(cx) {
                    Some(m) => format!(
                        "No CMK workspace on a dedicated cluster yet: the Azure Monitor walkthrough builds it (next: its step {m})."
                    ),
                    None => "No CMK workspace on a dedicated cluster yet.".into(),
                });
            };
            let linked = w.link_state == "Linked"
                && w.cluster
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&c.id));
            match (&c.storage_key, linked) {
                (Some(k), true) => Status::Done(format!(
                    "Workspace {} ({}) is linked to cluster {}, whose storage uses key {}.",
                    w.name, w.location, c.name, k.key_name
                )),
                (None, _) if c.provisioning_state == "Updating" => Status::Running(format!(
                    "Cluster {}'s key identifier update is running.",
                    c.name
                )),
                (_, false) if w.link_state == "Linking" => {
                    Status::Running(format!("Workspace {} is linking.", w.name))
                }
                (None, _) => Status::Todo(format!(
                    "Cluster {} has no key identifier yet (Azure Monitor step 4).",
                    c.name
                )),
                (Some(_), false) => Status::Todo(format!(
                    "Workspace {} is not linked to cluster {} yet (Azure Monitor step 5).",
                    w.name, c.name
                )),
            }
        }
        2 => match identity(cx) {
            Some(i) => Status::Done(format!(
                "Identity {} exists in {}; its principal id is {}.",
                i.name, i.location, i.principal_id
            )),
            None => Status::Todo(format!("No user-assigned identity {IDENTITY} yet.")),
        },
        3 => match (cx.vault(), identity(cx), identity_missing(cx)) {
            (None, ..) => Status::Todo(format!("No vault {} yet (Azure Monitor step 1).", s.vault)),
            (_, None, _) => Status::Todo("Create the identity first (step 2).".into()),
            (Some(v), Some(_), None) if v.rbac => Status::Todo(format!(
                "This vault uses RBAC: assign Key Vault Crypto Service Encryption User to {IDENTITY}."
            )),
            (Some(_), Some(_), None) => {
                Status::Todo(format!("No access policy for {IDENTITY} yet."))
            }
            (Some(_), Some(_), Some(missing)) if !missing.is_empty() => {
                Status::Warning(format!("{IDENTITY} lacks {}.", missing.join(", ")))
            }
            (Some(v), Some(_), Some(_)) if key_exists(cx) => Status::Done(format!(
                "{IDENTITY} may use the keys of vault {} (get, wrapKey, unwrapKey); key {KEY} is ready.",
                v.name
            )),
            (Some(v), Some(_), Some(_)) => Status::Todo(format!(
                "{IDENTITY} may use the keys of vault {}; no key {KEY} yet (or use the cluster's key {} in step 4).",
                v.name, s.key
            )),
        },
        4 => {
            let Some(a) = account(cx) else {
                return Status::Todo(format!("No storage account {ACCOUNT} yet."));
            };
            let ws_loc = cx.workspace().map(|w| w.location.clone());
            if ws_loc.as_deref().is_some_and(|l| l != a.location) {
                return Status::Warning(format!(
                    "Storage account {} is in {}, the workspace in {}: the link will be refused. Delete it (DELETE on its URL) and create it in the workspace's region.",
                    a.name,
                    a.location,
                    ws_loc.unwrap_or_default()
                ));
            }
            if !a.table_cmk_capable {
                return Status::Warning(format!(
                    "Storage account {}'s tables were created with keyType Service: they can never be under your key, so saved searches kept there wouldn't be either. Delete it (DELETE on its URL) and create it again with keyType Account.",
                    a.name
                ));
            }
            if a.key.is_none() {
                return Status::Warning(format!(
                    "Storage account {} is under a Microsoft-managed key.",
                    a.name
                ));
            }
            if a.access.state != "accessible" {
                return Status::Warning(format!(
                    "Storage account {} is {}: {}",
                    a.name,
                    a.access.state,
                    a.access
                        .reason
                        .as_deref()
                        .unwrap_or("its key is out of reach")
                ));
            }
            Status::Done(format!(
                "Storage account {} ({}, tables keyType Account): {}.",
                a.name,
                a.location,
                account_key_words(a)
            ))
        }
        5 => {
            let Some(w) = cx.workspace() else {
                return Status::Todo(format!("No workspace {} yet.", s.workspace));
            };
            let on = |kind| linked(w, kind).iter().any(|n| n == ACCOUNT);
            match (on("Query"), on("Alerts")) {
                (true, true) => Status::Done(format!(
                    "Workspace {} keeps its saved searches and alert queries in {ACCOUNT}.",
                    w.name
                )),
                (true, false) => {
                    Status::Todo(format!("Linked for Query; not for Alerts yet ({ACCOUNT})."))
                }
                (false, true) => {
                    Status::Todo(format!("Linked for Alerts; not for Query yet ({ACCOUNT})."))
                }
                (false, false) => Status::Todo(format!(
                    "Workspace {} has no linked storage account for Query or Alerts yet.",
                    w.name
                )),
            }
        }
        6 => match saved_search(cx) {
            None => Status::Todo(format!("No saved search {SAVED_SEARCH} yet.")),
            Some(x) if x.stored_in == "workspace" => Status::Warning(format!(
                "Saved search {} is kept in the workspace, under a Microsoft-managed key: link the account for Query first (step 5).",
                x.name
            )),
            Some(x) if x.protection != "CMK" => Status::Warning(format!(
                "Saved search {} is kept in storage account {}, but under a Microsoft-managed key.",
                x.name, x.stored_in
            )),
            Some(x) => Status::Done(format!(
                "Saved search {} is kept in storage account {}'s table, under your key (CMK).",
                x.name, x.stored_in
            )),
        },
        7 => match rule(cx) {
            None => Status::Todo(format!("No alert rule {RULE} yet.")),
            Some(r) if r.protection != "CMK" => Status::Warning(format!(
                "Alert rule {}'s query is kept by {}, under a Microsoft-managed key.",
                r.name, r.query_stored_in
            )),
            Some(r) => Status::Done(format!(
                "Alert rule {}'s query is kept as a blob in storage account {}, under your key (CMK).",
                r.name, r.query_stored_in
            )),
        },
        8 => {
            let (Some(a), Some(x), Some(r)) = (account(cx), saved_search(cx), rule(cx)) else {
                return Status::Todo("Save a query and create the alert rule first.".into());
            };
            if x.protection != "CMK" || r.protection != "CMK" {
                return Status::Todo(
                    "The saved search and the rule's query are not both under your key yet.".into(),
                );
            }
            if a.access.state != "accessible" {
                return Status::Warning(format!(
                    "Storage account {} is {}: reading the saved search or the rule fails with 403 KeyVaultEncryptionKeyNotFound.",
                    a.name, a.access.state
                ));
            }
            Status::Done(format!(
                "Storage account {} keeps {} saved search{} and {} alert quer{}; {}.",
                a.name,
                a.saved_searches,
                if a.saved_searches == 1 { "" } else { "es" },
                a.alert_queries,
                if a.alert_queries == 1 { "y" } else { "ies" },
                account_key_words(a)
            ))
        }
        _ => Status::Todo(String::new()),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::walkthrough::testing::{self, run, send, with_cx};

    fn mistake(e: &mut Engine, m: BMistake) -> Response {
        testing::mistake(e, Mistake::Byos(m))
    }

    fn status_of(e: &Engine, n: usize) -> Status {
        testing::status_of(e, Guide::Byos, n)
    }
    use crate::engine::{Engine, Response, errors};
    use crate::walkthrough::{self as wt, Guide};

    /// The Azure Monitor walkthrough's five steps, by their own requests.
    fn monitor(e: &mut Engine) {
        for step in &wt::STEPS {
            for card in step.cards {
                let r = run(e, *card);
                assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
            }
            e.advance(3 * 3600);
        }
    }

    /// Every card's request, sent in order, brings every step to Done; the saved search and the
    /// rule's query end up in the account under its key, a different key from the cluster's.
    #[test]
    fn byos_walkthrough_requests_complete_all_eight_steps() {
        let mut e = Engine::with_seed([31; 32]);
        assert!(matches!(status_of(&e, 1), Status::Todo(_)));
        monitor(&mut e);
        // A saved search from before the link: the Query link moves it out of the workspace.
        let mut early = with_cx(&e, |cx| draft(BCard::SavedSearch, cx));
        early.url = early.url.replace(SAVED_SEARCH, "older-search");
        assert_eq!(send(&mut e, &early).status, 200);
        for step in &STEPS {
            for card in step.cards {
                let warning = with_cx(&e, |cx| {
                    wt::replace_warning(*card, &wt::draft(*card, cx), cx)
                });
                assert_eq!(
                    warning.is_some(),
                    *card == Card::Byos(BCard::LinkQuery),
                    "{card:?}: {warning:?}"
                );
                if let Some(w) = warning {
                    assert!(
                        w.contains("Existing saves searches are removed from your workspace")
                            && w.contains("older-search"),
                        "{w}"
                    );
                }
                let r = run(&mut e, *card);
                assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
                match card {
                    Card::Byos(BCard::ListSearches) => {
                        assert_eq!(r.body["value"][0]["name"], "older-search", "{}", r.body);
                    }
                    Card::Byos(BCard::AlertRule) => {
                        assert_eq!(r.status, 201);
                        assert_eq!(
                            r.body["properties"]["isWorkspaceAlertsStorageConfigured"],
                            true
                        );
                    }
                    Card::Byos(BCard::ReadSearch) => {
                        assert_eq!(r.body["properties"]["query"], SAVED_SEARCH_QUERY);
                    }
                    Card::Byos(BCard::ReadRule) => {
                        assert_eq!(
                            r.body["properties"]["criteria"]["allOf"][0]["query"],
                            RULE_QUERY
                        );
                    }
                    _ => {}
                }
            }
            let st = status_of(&e, step.number);
            assert!(st.is_done(), "step {}: {st:?}", step.number);
        }
        with_cx(&e, |cx| {
            let a = account(cx).expect("the account");
            assert_eq!(a.key.as_ref().unwrap().key_name, KEY);
            assert_ne!(
                cx.cluster().unwrap().storage_key.as_ref().unwrap().key_name,
                KEY,
                "the account's key differs from the cluster's"
            );
            assert!(a.table_cmk);
            assert_eq!(a.saved_searches, 2, "the older search moved there too");
            assert_eq!(a.alert_queries, 1);
            assert!(a.protects.iter().any(|p| p.contains("Saved searches")));
            assert!(a.protects.iter().any(|p| p.contains("Alert queries")));
            let w = cx.workspace().unwrap();
            assert!(query_linked(w));
            assert!(
                w.saved_searches
                    .iter()
                    .all(|x| x.stored_in == ACCOUNT && x.protection == "CMK" && x.query.is_empty())
            );
        });
        for step in &STEPS {
            for card in step.cards {
                assert_eq!(Guide::Byos.step_of(*card), Some(step.number));
            }
        }
    }

    #[test]
    fn every_byos_mistake_gets_the_documented_answer() {
        let mut e = Engine::with_seed([32; 32]);
        monitor(&mut e);
        for card in [BCard::Identity, BCard::Key, BCard::Grant] {
            assert!(run(&mut e, Card::Byos(card)).status < 300, "{card:?}");
        }
        // keyType Service: created, and step 4 says the tables can never be under the key.
        assert_eq!(mistake(&mut e, BMistake::TableKeyTypeService).status, 200);
        let st = status_of(&e, 4);
        assert!(
            matches!(&st, Status::Warning(t) if t.contains("can never be under your key")),
            "{st:?}"
        );
        // The correct request is refused now: the key type is set at creation only.
        let r = run(&mut e, Card::Byos(BCard::StorageAccount));
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            r.body["error"]["code"],
            errors::STORAGE_KEY_TYPE_IMMUTABLE.code
        );
        // Starting over, as the status says.
        let mut del = with_cx(&e, |cx| draft(BCard::StorageAccount, cx));
        del.method = "DELETE".into();
        del.body.clear();
        assert_eq!(send(&mut e, &del).status, 200);

        // Another region: the link is refused.
        assert_eq!(mistake(&mut e, BMistake::OtherRegion).status, 200);
        assert!(matches!(status_of(&e, 4), Status::Warning(_)));
        let r = run(&mut e, Card::Byos(BCard::LinkQuery));
        assert_eq!(r.body["error"]["code"], errors::LINKED_STORAGE_REGION.code);
        assert_eq!(send(&mut e, &del).status, 200);
        assert_eq!(run(&mut e, Card::Byos(BCard::StorageAccount)).status, 200);
        assert!(status_of(&e, 4).is_done(), "{:?}", status_of(&e, 4));

        // The rule before the Alerts link: refused, nothing created.
        let r = mistake(&mut e, BMistake::AlertBeforeLink);
        assert_eq!(
            r.body["error"]["code"],
            errors::ALERTS_STORAGE_NOT_CONFIGURED.code,
            "{}",
            r.body
        );
        assert!(e.snapshot().alert_rules.is_empty());
        assert!(matches!(status_of(&e, 7), Status::Todo(_)));
    }

    /// Every consideration the page quotes is the seed's sentence, in the step it concerns.
    #[test]
    fn the_seeds_considerations_are_quoted_in_the_steps() {
        let whys: String = STEPS.iter().map(|s| s.why.get()).collect();
        for quote in [
            MMK_ALWAYS,
            SERVICE_ARTIFACTS,
            NO_QUERY_HISTORY,
            NO_PIN,
            FIRED_ALERTS,
            COSTS,
            COPY_FIRST,
        ] {
            assert!(whys.contains(quote), "{quote}");
        }
    }

    #[test]
    fn steps_say_what_is_missing() {
        let mut e = Engine::with_seed([33; 32]);
        monitor(&mut e);
        assert!(status_of(&e, 1).is_done(), "{:?}", status_of(&e, 1));
        assert!(matches!(status_of(&e, 3), Status::Todo(_)));
        assert_eq!(run(&mut e, Card::Byos(BCard::Identity)).status, 201);
        // A grant without unwrapKey is named.
        let mut d = with_cx(&e, |cx| draft(BCard::Grant, cx));
        d.body = d.body.replace(",\n            \"unwrapKey\"", "");
        assert_eq!(send(&mut e, &d).status, 200);
        assert_eq!(
            status_of(&e, 3),
            Status::Warning(format!("{IDENTITY} lacks unwrapKey."))
        );
        // A saved search before the Query link is in the workspace, under Microsoft's key.
        assert_eq!(run(&mut e, Card::Byos(BCard::SavedSearch)).status, 200);
        assert!(matches!(status_of(&e, 6), Status::Warning(_)));
    }
}
