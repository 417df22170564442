//! The guided walkthrough of the seed's five provisioning steps, as data: each step's reason (in
//! the seed's words), the exact REST requests it sends (filled from the live state), the
//! mistakes a learner can make on purpose, and the check that says when the step is done.
//!
//! Pure: the page renders it, and native tests drive the same requests through the engine.

use serde_json::{Value, json};

use crate::prose;
use crate::texts::Prose;

pub use crate::byos_walkthrough::{BCard, BMistake};
use crate::engine::Snapshot;
use crate::engine::view::{ClusterView, VaultView, WorkspaceView};
pub use crate::lockbox_walkthrough::{LCard, LMistake};
pub use crate::sentinel_walkthrough::{SCard, SMistake};

/// Names and choices the walkthrough's requests use.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub subscription: String,
    pub group: String,
    pub location: String,
    pub vault: String,
    pub key: String,
    pub key_size: u32,
    pub cluster: String,
    pub workspace: String,
    /// Pin the key version in step 4 instead of following the latest (auto-rotation).
    pub pin_version: bool,
    pub oi_api: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            subscription: crate::engine::world::SUBSCRIPTIONS[0].0.to_string(),
            group: "cmk-playground".into(),
            location: "eastus".into(),
            vault: "contoso-cmk-kv".into(),
            key: "la-cmk".into(),
            key_size: 2048,
            cluster: "contosocluster".into(),
            workspace: "contoso-logs".into(),
            pin_version: false,
            oi_api: "2021-06-01".into(),
        }
    }
}

const ARM: &str = "https://management.azure.com";

/// One request card of a step.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Card {
    Group,
    Vault,
    Key,
    Cluster,
    Grant,
    KeyIdentifier,
    Workspace,
    Link,
    /// A card of the Microsoft Sentinel walkthrough ([`crate::sentinel_walkthrough`]).
    Sentinel(SCard),
    /// A card of the Customer Lockbox walkthrough ([`crate::lockbox_walkthrough`]).
    Lockbox(LCard),
    /// A card of the saved queries and log alerts walkthrough ([`crate::byos_walkthrough`]).
    Byos(BCard),
}

impl Card {
    pub fn id(self) -> &'static str {
        match self {
            Card::Sentinel(c) => c.id(),
            Card::Lockbox(c) => c.id(),
            Card::Byos(c) => c.id(),
            Card::Group => "group",
            Card::Vault => "vault",
            Card::Key => "key",
            Card::Cluster => "cluster",
            Card::Grant => "grant",
            Card::KeyIdentifier => "key-identifier",
            Card::Workspace => "workspace",
            Card::Link => "link",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Card::Group => "Create a resource group",
            Card::Vault => "Create the Key Vault (recoverable)",
            Card::Key => "Generate the key (KEK)",
            Card::Cluster => "Create the cluster with a system-assigned identity",
            Card::Grant => "Add an access policy for the cluster's identity",
            Card::KeyIdentifier => "Set the key identifier on the cluster",
            Card::Workspace => "Create a Log Analytics workspace",
            Card::Link => "Link the workspace to the cluster",
            Card::Sentinel(c) => c.title(),
            Card::Lockbox(c) => c.title(),
            Card::Byos(c) => c.title(),
        }
    }

    /// A playground control (not a REST request): see [`command`].
    pub fn is_control(self) -> bool {
        matches!(self, Card::Lockbox(c) if c.is_control())
    }

    /// The Azure Monitor walkthrough's cards.
    pub fn all() -> [Card; 8] {
        [
            Card::Group,
            Card::Vault,
            Card::Key,
            Card::Cluster,
            Card::Grant,
            Card::KeyIdentifier,
            Card::Workspace,
            Card::Link,
        ]
    }
}

/// A request as the page shows it: editable text.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub method: String,
    pub url: String,
    /// Pretty-printed JSON, or empty.
    pub body: String,
}

impl Draft {
    pub fn new(method: &str, url: String, body: Option<Value>) -> Draft {
        Draft {
            method: method.into(),
            url,
            body: body.map(|b| pretty(&b)).unwrap_or_default(),
        }
    }
}

/// A request body as the cards show it: indented, and in each object the plain values before
/// the nested ones, so what a step is about (a vault's soft delete and purge protection, a
/// cluster's location) shows at the top of the box rather than under a list of permissions.
pub fn pretty(v: &Value) -> String {
    fn write(v: &Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        match v {
            Value::Object(m) if !m.is_empty() => {
                let nested = |v: &Value| v.is_object() || v.is_array();
                let (flat, deep): (Vec<_>, Vec<_>) = m.iter().partition(|(_, v)| !nested(v));
                out.push_str("{\n");
                for (i, (k, v)) in flat.iter().chain(deep.iter()).enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    out.push_str(&pad);
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push_str(": ");
                    write(v, indent + 1, out);
                }
                out.push('\n');
                out.push_str(&close);
                out.push('}');
            }
            Value::Array(a) if !a.is_empty() => {
                out.push_str("[\n");
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    out.push_str(&pad);
                    write(v, indent + 1, out);
                }
                out.push('\n');
                out.push_str(&close);
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

/// What the templates can see.
pub struct Context<'a> {
    pub snap: &'a Snapshot,
    pub settings: &'a Settings,
}

impl Context<'_> {
    pub fn rg_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.settings.subscription, self.settings.group
        )
    }

    pub fn vault_path(&self) -> String {
        format!(
            "{}/providers/Microsoft.KeyVault/vaults/{}",
            self.rg_path(),
            self.settings.vault
        )
    }

    pub fn cluster_path(&self) -> String {
        format!(
            "{}/providers/Microsoft.OperationalInsights/clusters/{}",
            self.rg_path(),
            self.settings.cluster
        )
    }

    pub fn workspace_path(&self) -> String {
        format!(
            "{}/providers/Microsoft.OperationalInsights/workspaces/{}",
            self.rg_path(),
            self.settings.workspace
        )
    }

    pub fn vault_uri(&self) -> String {
        format!(
            "https://{}.vault.azure.net",
            self.settings.vault.to_ascii_lowercase()
        )
    }

    pub fn vault(&self) -> Option<&VaultView> {
        self.snap
            .vaults
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(&self.settings.vault))
    }

    pub fn cluster(&self) -> Option<&ClusterView> {
        self.snap
            .clusters
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(&self.cluster_path()))
    }

    pub fn workspace(&self) -> Option<&WorkspaceView> {
        self.snap
            .workspaces
            .iter()
            .find(|w| w.id.eq_ignore_ascii_case(&self.workspace_path()))
    }

    /// The cluster identity's principal id, or a placeholder until the cluster exists.
    /// The key permissions `principal` is missing on the vault (empty when it has them all), or
    /// `None` when it (or the vault) has no access at all; RBAC vaults count a Key Vault crypto
    /// role as all of them.
    pub fn missing_key_permissions(&self, principal: &str) -> Option<Vec<&'static str>> {
        let v = self.vault()?;
        if v.rbac {
            return self.has_crypto_role(principal).then(Vec::new);
        }
        let have: Vec<String> = v
            .access_policies
            .iter()
            .filter(|p| p.object_id.eq_ignore_ascii_case(principal))
            .flat_map(|p| p.keys.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        if have.is_empty() {
            return None;
        }
        Some(
            [
                ("get", "get"),
                ("wrapkey", "wrapKey"),
                ("unwrapkey", "unwrapKey"),
            ]
            .into_iter()
            .filter(|(p, _)| !have.iter().any(|h| h == p || h == "all"))
            .map(|(_, name)| name)
            .collect(),
        )
    }

    /// Whether `principal` holds a Key Vault role that may wrap and unwrap (RBAC vaults).
    pub fn has_crypto_role(&self, principal: &str) -> bool {
        self.snap.role_assignments.iter().any(|a| {
            a.principal_id.eq_ignore_ascii_case(principal)
                && matches!(
                    a.role.as_str(),
                    "Key Vault Crypto Service Encryption User"
                        | "Key Vault Crypto User"
                        | "Key Vault Crypto Officer"
                        | "Key Vault Administrator"
                )
        })
    }

    pub fn principal(&self) -> String {
        self.cluster()
            .and_then(|c| c.principal_id.clone())
            .unwrap_or_else(|| "<cluster principalId: create the cluster first>".into())
    }

    fn latest_version(&self) -> String {
        self.vault()
            .and_then(|v| {
                v.keys.iter().find(|k| {
                    k.name.eq_ignore_ascii_case(&self.settings.key) && k.deleted.is_none()
                })
            })
            .and_then(|k| k.versions.last())
            .map(|v| v.version.clone())
            .unwrap_or_default()
    }

    fn vault_body(&self, soft_delete: bool, purge_protection: bool) -> Value {
        let mut props = json!({
            "tenantId": self.snap.tenant_id,
            "sku": { "family": "A", "name": "standard" },
            "accessPolicies": [{
                "tenantId": self.snap.tenant_id,
                "objectId": self.snap.user_object_id,
                "permissions": { "keys": ["get", "list", "create", "update", "delete", "recover", "rotate", "wrapKey", "unwrapKey", "getrotationpolicy", "setrotationpolicy"] }
            }],
        });
        if soft_delete {
            props["enableSoftDelete"] = json!(true);
            props["softDeleteRetentionInDays"] = json!(90);
        }
        if purge_protection {
            props["enablePurgeProtection"] = json!(true);
        }
        json!({ "location": self.settings.location, "properties": props })
    }

    fn grant_body(&self, keys: &[&str]) -> Value {
        json!({ "properties": { "accessPolicies": [{
            "tenantId": self.snap.tenant_id,
            "objectId": self.principal(),
            "permissions": { "keys": keys }
        }]}})
    }
}

/// The request a card sends, filled from the current state.
pub fn draft(card: Card, cx: &Context) -> Draft {
    let s = cx.settings;
    let oi = &s.oi_api;
    match card {
        Card::Sentinel(c) => crate::sentinel_walkthrough::draft(c, cx),
        Card::Lockbox(c) => crate::lockbox_walkthrough::draft(c, cx),
        Card::Byos(c) => crate::byos_walkthrough::draft(c, cx),
        Card::Group => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version=2021-04-01", cx.rg_path()),
            Some(json!({ "location": s.location })),
        ),
        Card::Vault => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version=2023-07-01", cx.vault_path()),
            Some(cx.vault_body(true, true)),
        ),
        Card::Key => Draft::new(
            "POST",
            format!("{}/keys/{}/create?api-version=7.4", cx.vault_uri(), s.key),
            Some(
                json!({ "kty": "RSA", "key_size": s.key_size, "key_ops": ["wrapKey", "unwrapKey"] }),
            ),
        ),
        Card::Cluster => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version={oi}", cx.cluster_path()),
            Some(json!({
                "location": s.location,
                "identity": { "type": "SystemAssigned" },
                "sku": { "name": "CapacityReservation", "capacity": 1000 },
                "properties": { "billingType": "Cluster" }
            })),
        ),
        Card::Grant => Draft::new(
            "PUT",
            format!(
                "{ARM}{}/accessPolicies/add?api-version=2023-07-01",
                cx.vault_path()
            ),
            Some(cx.grant_body(&["get", "wrapKey", "unwrapKey"])),
        ),
        Card::KeyIdentifier => {
            let version = if s.pin_version {
                cx.latest_version()
            } else {
                String::new()
            };
            Draft::new(
                "PATCH",
                format!("{ARM}{}?api-version={oi}", cx.cluster_path()),
                Some(json!({ "properties": { "keyVaultProperties": {
                    "keyVaultUri": cx.vault_uri(),
                    "keyName": s.key,
                    "keyVersion": version
                }}})),
            )
        }
        Card::Workspace => Draft::new(
            "PUT",
            format!("{ARM}{}?api-version={oi}", cx.workspace_path()),
            Some(
                json!({ "location": s.location, "properties": { "sku": { "name": "PerGB2018" }, "retentionInDays": 30 } }),
            ),
        ),
        Card::Link => Draft::new(
            "PUT",
            format!(
                "{ARM}{}/linkedServices/cluster?api-version={oi}",
                cx.workspace_path()
            ),
            Some(json!({ "properties": { "writeAccessResourceId": cx.cluster_path() } })),
        ),
    }
}

/// The same step as the Azure CLI and Azure PowerShell send it (`consoles`), for the Azure
/// Monitor walkthrough's cards: `(az, PowerShell, what they send differently)`. The consoles run
/// exactly these lines.
pub fn as_cli(card: Card, cx: &Context) -> Option<(String, String, Option<&'static str>)> {
    let s = cx.settings;
    let (rg, loc, v, k, c, ws) = (
        &s.group,
        &s.location,
        &s.vault,
        &s.key,
        &s.cluster,
        &s.workspace,
    );
    let version = if s.pin_version {
        cx.latest_version()
    } else {
        String::new()
    };
    Some(match card {
        Card::Group => (
            format!("az group create -n {rg} -l {loc}"),
            format!("New-AzResourceGroup -Name {rg} -Location {loc}"),
            None,
        ),
        Card::Vault => (
            format!(
                "az keyvault create -n {v} -g {rg} -l {loc} --retention-days 90 \\\n  --enable-purge-protection true --enable-rbac-authorization false"
            ),
            format!(
                "New-AzKeyVault -Name {v} -ResourceGroupName {rg} -Location {loc} `\n  -EnablePurgeProtection -DisableRbacAuthorization"
            ),
            Some(
                "Both give the caller an access policy with every permission; soft delete is always on.",
            ),
        ),
        Card::Key => (
            format!(
                "az keyvault key create --vault-name {v} -n {k} --kty RSA --size {} --ops wrapKey unwrapKey",
                s.key_size
            ),
            format!(
                "Add-AzKeyVaultKey -VaultName {v} -Name {k} -Destination Software -Size {} -KeyOps wrapKey,unwrapKey",
                s.key_size
            ),
            None,
        ),
        Card::Cluster => (
            format!(
                "az monitor log-analytics cluster create -g {rg} -n {c} -l {loc} --sku-capacity 1000 --billing-type Cluster"
            ),
            format!(
                "New-AzOperationalInsightsCluster -ResourceGroupName {rg} -ClusterName {c} -Location {loc} `\n  -SkuCapacity 1000 -IdentityType SystemAssigned -BillingType Cluster"
            ),
            Some("Both wait for the operation, polling it on the virtual clock (about two hours)."),
        ),
        Card::Grant => (
            format!(
                "az keyvault set-policy -n {v} --object-id {} --key-permissions get wrapKey unwrapKey",
                cx.principal()
            ),
            format!(
                "Set-AzKeyVaultAccessPolicy -VaultName {v} -ObjectId {} -PermissionsToKeys get,wrapKey,unwrapKey",
                cx.principal()
            ),
            Some(
                "Both read the vault and PUT it back whole with the policy merged in, where this request adds one policy (accessPolicies/add).",
            ),
        ),
        Card::KeyIdentifier => (
            format!(
                "az monitor log-analytics cluster update -g {rg} -n {c} --key-name {k} \\\n  --key-vault-uri {} --key-version \"{version}\"",
                cx.vault_uri()
            ),
            format!(
                "Update-AzOperationalInsightsCluster -ResourceGroupName {rg} -ClusterName {c} `\n  -KeyVaultUri {} -KeyName {k} -KeyVersion '{version}'",
                cx.vault_uri()
            ),
            Some(
                "az reads the cluster and PUTs it back whole; Az PowerShell sends a PATCH, as this request does.",
            ),
        ),
        Card::Workspace => (
            format!(
                "az monitor log-analytics workspace create -g {rg} -n {ws} -l {loc} --retention-time 30"
            ),
            format!(
                "New-AzOperationalInsightsWorkspace -ResourceGroupName {rg} -Name {ws} -Location {loc} -Sku pergb2018 -RetentionInDays 30"
            ),
            None,
        ),
        Card::Link => (
            format!(
                "az monitor log-analytics workspace linked-service create -g {rg} --workspace-name {ws} \\\n  -n cluster --write-access-resource-id {}",
                cx.cluster_path()
            ),
            format!(
                "New-AzOperationalInsightsLinkedService -ResourceGroupName {rg} -WorkspaceName {ws} `\n  -LinkedServiceName cluster -WriteAccessResourceId {}",
                cx.cluster_path()
            ),
            None,
        ),
        Card::Sentinel(_) | Card::Lockbox(_) | Card::Byos(_) => return None,
    })
}

/// What a card sends: its REST request, or the playground control it stands for.
pub fn command(card: Card, cx: &Context) -> crate::protocol::Command {
    if let Card::Lockbox(c) = card
        && let Some(cmd) = crate::lockbox_walkthrough::control(c, cx)
    {
        return cmd;
    }
    let d = draft(card, cx);
    crate::protocol::Command::request(&d.method, &d.url, Some(&d.body))
}

/// A mistake a learner can make on purpose, and what the service will answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mistake {
    SkipPurgeProtection,
    SkipSoftDelete,
    ForgetUnwrapPermission,
    KeyAtCreation,
    KeyAndIdentityTogether,
    WrongRegionWorkspace,
    LinkBeforeProvisioned,
    /// A mistake of the Microsoft Sentinel walkthrough ([`crate::sentinel_walkthrough`]).
    Sentinel(SMistake),
    /// Another way to decide in the Customer Lockbox walkthrough ([`crate::lockbox_walkthrough`]).
    Lockbox(LMistake),
    /// A mistake of the saved queries and log alerts walkthrough ([`crate::byos_walkthrough`]).
    Byos(BMistake),
}

impl Mistake {
    pub fn label(self) -> &'static str {
        match self {
            Mistake::SkipPurgeProtection => "Skip purge protection",
            Mistake::SkipSoftDelete => "Skip soft delete",
            Mistake::ForgetUnwrapPermission => "Grant only get and wrapKey",
            Mistake::KeyAtCreation => "Set the key identifier at creation",
            Mistake::KeyAndIdentityTogether => "Send identity and key together",
            Mistake::WrongRegionWorkspace => "Create the workspace in another region",
            Mistake::LinkBeforeProvisioned => "Link before the cluster finishes provisioning",
            Mistake::Sentinel(m) => m.label(),
            Mistake::Lockbox(m) => m.label(),
            Mistake::Byos(m) => m.label(),
        }
    }

    /// What will happen, in the seed's terms.
    pub fn expect(self) -> &'static str {
        match self {
            Mistake::SkipPurgeProtection | Mistake::SkipSoftDelete => {
                "The vault is created, but it is not recoverable. Step 4 then fails: \"Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection.\""
            }
            Mistake::ForgetUnwrapPermission => {
                "The policy is added, but the cluster's storage needs get, wrapKey and unwrapKey. Step 4 then fails: \"Failed to validate key in Key Vault.\""
            }
            Mistake::KeyAtCreation => {
                "With a system-assigned identity the access policy can't exist before the cluster does: \"KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation.\""
            }
            Mistake::KeyAndIdentityTogether => {
                "\"Cluster update should not include both identity and key identifier details in the same operation.\""
            }
            Mistake::WrongRegionWorkspace => {
                "The workspace is created in West Europe; linking it to an East US cluster fails: Key Vault, cluster and workspaces must be in the same region."
            }
            Mistake::LinkBeforeProvisioned => {
                "Send the link while the cluster still shows ProvisioningAccount (create it in step 2, then come straight here). The service accepts the link, and data ingested before provisioning completes is dropped and won't be recoverable."
            }
            Mistake::Sentinel(m) => m.expect(),
            Mistake::Lockbox(m) => m.expect(),
            Mistake::Byos(m) => m.expect(),
        }
    }

    pub fn card(self) -> Card {
        match self {
            Mistake::SkipPurgeProtection | Mistake::SkipSoftDelete => Card::Vault,
            Mistake::ForgetUnwrapPermission => Card::Grant,
            Mistake::KeyAtCreation => Card::Cluster,
            Mistake::KeyAndIdentityTogether => Card::KeyIdentifier,
            Mistake::WrongRegionWorkspace => Card::Workspace,
            Mistake::LinkBeforeProvisioned => Card::Link,
            Mistake::Sentinel(m) => Card::Sentinel(m.card()),
            Mistake::Lockbox(m) => Card::Lockbox(m.card()),
            Mistake::Byos(m) => Card::Byos(m.card()),
        }
    }

    /// The card's request with the mistake made.
    pub fn draft(self, cx: &Context) -> Draft {
        if let Mistake::Sentinel(m) = self {
            return m.draft(cx);
        }
        if let Mistake::Lockbox(m) = self {
            return m.draft(cx);
        }
        if let Mistake::Byos(m) = self {
            return m.draft(cx);
        }
        let mut d = draft(self.card(), cx);
        let body = match self {
            Mistake::Sentinel(_) | Mistake::Lockbox(_) | Mistake::Byos(_) => None,
            Mistake::SkipPurgeProtection => Some(cx.vault_body(true, false)),
            Mistake::SkipSoftDelete => Some(cx.vault_body(false, false)),
            Mistake::ForgetUnwrapPermission => Some(cx.grant_body(&["get", "wrapKey"])),
            Mistake::KeyAtCreation => Some(json!({
                "location": cx.settings.location,
                "identity": { "type": "SystemAssigned" },
                "sku": { "name": "CapacityReservation", "capacity": 1000 },
                "properties": { "billingType": "Cluster", "keyVaultProperties": {
                    "keyVaultUri": cx.vault_uri(), "keyName": cx.settings.key, "keyVersion": ""
                }}
            })),
            Mistake::KeyAndIdentityTogether => Some(json!({
                "identity": { "type": "UserAssigned", "userAssignedIdentities": {
                    format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk-identity", cx.settings.subscription, cx.settings.group): {}
                }},
                "properties": { "keyVaultProperties": {
                    "keyVaultUri": cx.vault_uri(), "keyName": cx.settings.key, "keyVersion": ""
                }}
            })),
            Mistake::WrongRegionWorkspace => Some(
                json!({ "location": "westeurope", "properties": { "sku": { "name": "PerGB2018" }, "retentionInDays": 30 } }),
            ),
            // The same request: the mistake is when it is sent.
            Mistake::LinkBeforeProvisioned => None,
        };
        if let Some(b) = body {
            d.body = pretty(&b);
        }
        d
    }
}

/// Where a step stands, with a sentence saying why.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Todo(String),
    Running(String),
    Done(String),
    Warning(String),
}

impl Status {
    pub fn is_done(&self) -> bool {
        matches!(self, Status::Done(_))
    }

    pub fn text(&self) -> &str {
        match self {
            Status::Todo(t) | Status::Running(t) | Status::Done(t) | Status::Warning(t) => t,
        }
    }
}

/// One of the seed's five steps.
pub struct Step {
    pub number: usize,
    pub title: &'static str,
    /// Why, in the seed's words.
    pub why: Prose,
    /// Where in the seed `why` is quoted from.
    pub source: &'static str,
    /// What to look at once it is sent.
    pub watch: Prose,
    pub cards: &'static [Card],
    pub mistakes: &'static [Mistake],
}

const MONITOR_SOURCE: &str =
    "Azure Monitor customer-managed key, \"Customer-Managed key provisioning steps\"";

pub static STEPS: [Step; 5] = [
    Step {
        number: 1,
        title: "Create a Key Vault and store the key",
        source: MONITOR_SOURCE,
        why: prose!(
            "Create or use existing Azure Key Vault in the region that the cluster is planned, then generate or import a key to be used for logs encryption. The Azure Key Vault must be configured as recoverable to protect your key and the access to your data in Azure Monitor: both Soft delete and Purge protection should be enabled."
        ),
        watch: prose!(
            "The vault must show soft delete and purge protection on; the key appears in the hierarchy with its first version. Your KEK never leaves your Key Vault."
        ),
        cards: &[Card::Group, Card::Vault, Card::Key],
        mistakes: &[Mistake::SkipPurgeProtection, Mistake::SkipSoftDelete],
    },
    Step {
        number: 2,
        title: "Create the cluster",
        source: MONITOR_SOURCE,
        why: prose!(
            "Clusters support System-assigned managed identity and identity type property should be set to SystemAssigned. The identity is being generated automatically with the cluster creation and can be used later to grant storage access to your Key Vault for wrap and unwrap operations."
        ),
        watch: prose!(
            "The PUT answers 202 Accepted with an Azure-AsyncOperation URL. Provisioning takes about two hours of virtual time: poll the operation, or run the clock to the next event."
        ),
        cards: &[Card::Cluster],
        mistakes: &[Mistake::KeyAtCreation],
    },
    Step {
        number: 3,
        title: "Grant Key Vault permissions",
        source: MONITOR_SOURCE,
        why: prose!(
            "Create access policy in Key Vault to grant permissions to your cluster. These permissions are used by the underlay Azure Monitor storage. Key permissions: 'Get', 'Wrap Key' and 'Unwrap Key'. The Get permission is required to verify that your Key Vault is configured as recoverable."
        ),
        watch: prose!(
            "The cluster's principal id (from step 2) appears in the vault's access policies with get, wrapKey and unwrapKey."
        ),
        cards: &[Card::Grant],
        mistakes: &[Mistake::ForgetUnwrapPermission],
    },
    Step {
        number: 4,
        title: "Update the cluster with the key identifier",
        source: MONITOR_SOURCE,
        why: prose!(
            "This step updates Azure Monitor Storage with the key and version to be used for data encryption. When updated, your new key is being used to wrap and unwrap the Storage key (AEK). Omit keyVersion or set it to \"\" for auto-rotation, or pin a version. Cluster update should not include both identity and key identifier details in the same operation."
        ),
        watch: prose!(
            "202 Accepted, the cluster shows Updating, then Succeeded. The hierarchy draws the link from the key version to the cluster. A refusal here is the service validating the key with the cluster's identity."
        ),
        cards: &[Card::KeyIdentifier],
        mistakes: &[Mistake::KeyAndIdentityTogether],
    },
    Step {
        number: 5,
        title: "Link Log Analytics workspaces",
        source: MONITOR_SOURCE,
        why: prose!(
            "This step should be performed only after the completion of the Log Analytics cluster provisioning. If you link workspaces and ingest data prior to the provisioning, ingested data will be dropped and won't be recoverable."
        ),
        watch: prose!(
            "The link is asynchronous. When it completes the workspace shows features.clusterResourceId and the cluster lists it in associatedWorkspaces."
        ),
        cards: &[Card::Workspace, Card::Link],
        mistakes: &[
            Mistake::LinkBeforeProvisioned,
            Mistake::WrongRegionWorkspace,
        ],
    },
];

/// What sending `draft` on `card` would silently undo, said before it is sent. A vault PUT is a
/// full replacement (ARM's PUT does not merge): access policies granted since, the cluster's
/// among them, are dropped unless the body lists them again.
pub fn replace_warning(card: Card, draft: &Draft, cx: &Context) -> Option<String> {
    if let Card::Byos(c) = card {
        return crate::byos_walkthrough::link_warning(c, draft, cx);
    }
    if card != Card::Vault || !draft.method.eq_ignore_ascii_case("PUT") {
        return None;
    }
    let vault = cx.vault()?;
    let body: Value = serde_json::from_str(&draft.body).unwrap_or(Value::Null);
    let kept: Vec<String> = body["properties"]["accessPolicies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["objectId"].as_str().map(str::to_ascii_lowercase))
        .collect();
    let lost: Vec<String> = vault
        .access_policies
        .iter()
        .filter(|p| !kept.contains(&p.object_id.to_ascii_lowercase()))
        .map(|p| format!("{} ({})", p.display_name, p.keys.join(", ")))
        .collect();
    if lost.is_empty() {
        return None;
    }
    Some(format!(
        "The vault {} exists: this PUT replaces it whole, and its access policies become the ones in this body. It would remove the access {} of {}. If that is a cluster's identity, storage loses its key within the hour. To change one property, PATCH the vault; to grant, use …/accessPolicies/add.",
        vault.name,
        if lost.len() == 1 {
            "policy"
        } else {
            "policies"
        },
        lost.join(" and ")
    ))
}

fn perms_of(v: &VaultView, principal: &str) -> Vec<String> {
    v.access_policies
        .iter()
        .filter(|p| p.object_id.eq_ignore_ascii_case(principal))
        .flat_map(|p| p.keys.iter().map(|k| k.to_ascii_lowercase()))
        .collect()
}

/// The state of step `n` (1-based).
pub fn status(n: usize, cx: &Context) -> Status {
    let s = cx.settings;
    match n {
        1 => match cx.vault() {
            None => Status::Todo(format!("No vault {} yet.", s.vault)),
            Some(v) => {
                let key = v
                    .keys
                    .iter()
                    .find(|k| k.name.eq_ignore_ascii_case(&s.key) && k.deleted.is_none());
                match (key, v.recoverable) {
                    (None, _) => {
                        Status::Running(format!("Vault {} exists; no key {} yet.", v.name, s.key))
                    }
                    (Some(_), false) => Status::Warning(format!(
                        "Vault {} is not recoverable (soft delete {}, purge protection {}): the cluster will refuse this key.",
                        v.name,
                        if v.soft_delete { "on" } else { "off" },
                        if v.purge_protection { "on" } else { "off" }
                    )),
                    (Some(k), true) => Status::Done(format!(
                        "Vault {} is recoverable and holds key {} ({} version{}).",
                        v.name,
                        k.name,
                        k.versions.len(),
                        if k.versions.len() == 1 { "" } else { "s" }
                    )),
                }
            }
        },
        2 => match cx.cluster() {
            None => Status::Todo(format!("No cluster {} yet.", s.cluster)),
            Some(c)
                if c.provisioning_state == "Succeeded" || c.provisioning_state == "Updating" =>
            {
                Status::Done(format!(
                    "Cluster {} is provisioned; its identity is {}.",
                    c.name,
                    c.principal_id.clone().unwrap_or_default()
                ))
            }
            Some(c) => Status::Running(format!("Cluster {} is {}.", c.name, c.provisioning_state)),
        },
        3 => match (cx.cluster(), cx.vault()) {
            (None, _) => {
                Status::Todo("Create the cluster first: its identity is what you grant.".into())
            }
            (Some(_), None) => Status::Todo("Create the vault first.".into()),
            (Some(c), Some(v)) => {
                let principal = c.principal_id.clone().unwrap_or_default();
                if v.rbac {
                    return if cx.has_crypto_role(&principal) {
                        Status::Done("The cluster's identity has a Key Vault crypto role on the vault (RBAC).".into())
                    } else {
                        Status::Todo("This vault uses RBAC: assign Key Vault Crypto Service Encryption User to the cluster's identity.".into())
                    };
                }
                let have = perms_of(v, &principal);
                let missing: Vec<&str> = ["get", "wrapkey", "unwrapkey"]
                    .into_iter()
                    .filter(|p| !have.iter().any(|h| h == p || h == "all"))
                    .collect();
                match (have.is_empty(), missing.is_empty()) {
                    (true, _) => Status::Todo(format!(
                        "No access policy for the cluster's identity {principal}."
                    )),
                    (false, true) => Status::Done(
                        "The cluster's identity has get, wrapKey and unwrapKey.".into(),
                    ),
                    (false, false) => Status::Warning(format!(
                        "The cluster's identity lacks {}.",
                        missing.join(", ")
                    )),
                }
            }
        },
        4 => match cx.cluster() {
            None => Status::Todo("Create the cluster first.".into()),
            Some(c) => match (&c.key, &c.storage_key, c.provisioning_state.as_str()) {
                (Some(_), _, "Updating") => {
                    Status::Running("The key identifier update is running (Updating).".into())
                }
                (_, Some(k), _) => Status::Done(format!(
                    "The cluster's storage uses {}/keys/{} ({}).",
                    k.vault_uri,
                    k.key_name,
                    match (&c.key_version_in_use, k.key_version.is_empty()) {
                        (Some(v), true) => format!("auto-rotation, now version {v}"),
                        (Some(v), false) => format!("pinned to version {v}"),
                        (None, _) => "key not found in the vault".into(),
                    }
                )),
                _ => Status::Todo("No key identifier on the cluster yet.".into()),
            },
        },
        5 => match cx.workspace() {
            None => Status::Todo(format!("No workspace {} yet.", s.workspace)),
            Some(w) => match w.link_state.as_str() {
                "Linked" => Status::Done(format!(
                    "Workspace {} is linked: new data goes to the cluster.",
                    w.name
                )),
                "Linking" => {
                    let early = cx
                        .cluster()
                        .is_some_and(|c| c.provisioning_state == "ProvisioningAccount");
                    if early {
                        Status::Warning(format!(
                            "Workspace {} is linking while the cluster is still provisioning: data ingested before provisioning completes will be dropped.",
                            w.name
                        ))
                    } else {
                        Status::Running(format!("Workspace {} is linking.", w.name))
                    }
                }
                other => Status::Todo(format!(
                    "Workspace {} is {}.",
                    w.name,
                    other.to_ascii_lowercase()
                )),
            },
        },
        _ => Status::Todo(String::new()),
    }
}

/// Which walkthrough the page shows: Azure Monitor's provisioning steps, or Microsoft Sentinel's
/// steps on top of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Guide {
    #[default]
    Monitor,
    Sentinel,
    Lockbox,
    /// Saved queries and log alerts in the customer's storage account ([`crate::byos_walkthrough`]).
    Byos,
}

impl Guide {
    pub fn all() -> [Guide; 4] {
        [Guide::Monitor, Guide::Sentinel, Guide::Byos, Guide::Lockbox]
    }

    pub fn label(self) -> &'static str {
        match self {
            Guide::Monitor => "Azure Monitor CMK",
            Guide::Sentinel => "Microsoft Sentinel CMK",
            Guide::Lockbox => "Customer Lockbox",
            Guide::Byos => "Saved queries & alerts CMK",
        }
    }

    /// Used in element ids, the query string (`?guide=sentinel`) and the saved view.
    pub fn id(self) -> &'static str {
        match self {
            Guide::Monitor => "monitor",
            Guide::Sentinel => "sentinel",
            Guide::Lockbox => "lockbox",
            Guide::Byos => "byos",
        }
    }

    pub fn from_id(id: &str) -> Option<Guide> {
        Guide::all().into_iter().find(|g| g.id() == id)
    }

    pub fn steps(self) -> &'static [Step] {
        match self {
            Guide::Monitor => &STEPS,
            Guide::Sentinel => &crate::sentinel_walkthrough::STEPS,
            Guide::Lockbox => &crate::lockbox_walkthrough::STEPS,
            Guide::Byos => &crate::byos_walkthrough::STEPS,
        }
    }

    /// The state of step `n` (1-based) of this walkthrough.
    pub fn status(self, n: usize, cx: &Context) -> Status {
        match self {
            Guide::Monitor => status(n, cx),
            Guide::Sentinel => crate::sentinel_walkthrough::status(n, cx),
            Guide::Lockbox => crate::lockbox_walkthrough::status(n, cx),
            Guide::Byos => crate::byos_walkthrough::status(n, cx),
        }
    }

    /// The step (1-based) whose requests include `card`.
    pub fn step_of(self, card: Card) -> Option<usize> {
        self.steps()
            .iter()
            .find(|s| s.cards.contains(&card))
            .map(|s| s.number)
    }
}

/// What the guides' native tests share: sending a card or a mistake as the page does (through a
/// protocol command) and reading the world as a step's status would.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub mod testing {
    use super::*;
    use crate::engine::{Engine, Response};

    pub fn send(e: &mut Engine, d: &Draft) -> Response {
        let cmd = crate::protocol::Command::request(&d.method, &d.url, Some(&d.body));
        crate::protocol::execute(e, &cmd)
            .response
            .expect("a REST reply")
    }

    pub fn with_cx<T>(e: &Engine, f: impl FnOnce(&Context) -> T) -> T {
        let snap = e.snapshot();
        let settings = Settings::default();
        f(&Context {
            snap: &snap,
            settings: &settings,
        })
    }

    /// A card's REST request, sent.
    pub fn run(e: &mut Engine, card: Card) -> Response {
        let d = with_cx(e, |cx| draft(card, cx));
        send(e, &d)
    }

    /// A mistake's request, sent.
    pub fn mistake(e: &mut Engine, m: Mistake) -> Response {
        let d = with_cx(e, |cx| m.draft(cx));
        send(e, &d)
    }

    pub fn status_of(e: &Engine, guide: Guide, n: usize) -> Status {
        with_cx(e, |cx| guide.status(n, cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;

    fn send(e: &mut Engine, d: &Draft) -> crate::engine::Response {
        let body = (!d.body.is_empty()).then_some(d.body.as_str());
        e.handle(
            &d.method,
            &d.url,
            &[("Content-Type", "application/json")],
            body,
        )
    }

    /// Re-sending step 1's vault PUT after step 3 would drop the cluster's access policy (ARM
    /// replaces on PUT): the card says so before it is sent, and the engine does drop it.
    #[test]
    fn resending_the_vault_put_warns_that_it_drops_the_clusters_policy() {
        let mut e = Engine::with_seed([3; 32]);
        let settings = Settings::default();
        let mut warned_before_grant = None;
        for step in &STEPS[..3] {
            for card in step.cards {
                let snap = e.snapshot();
                let cx = Context {
                    snap: &snap,
                    settings: &settings,
                };
                if *card == Card::Grant {
                    warned_before_grant =
                        Some(replace_warning(Card::Vault, &draft(Card::Vault, &cx), &cx));
                }
                send(&mut e, &draft(*card, &cx));
            }
            e.advance(3 * 3600);
        }
        assert_eq!(
            warned_before_grant,
            Some(None),
            "nothing to lose before the grant"
        );
        let snap = e.snapshot();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let vault_put = draft(Card::Vault, &cx);
        let warning = replace_warning(Card::Vault, &vault_put, &cx).expect("a warning");
        assert!(warning.contains("wrapKey"), "{warning}");
        assert!(send(&mut e, &vault_put).status < 300);
        let snap = e.snapshot();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        assert!(!status(3, &cx).is_done(), "the policy is gone, as warned");
    }

    /// The vault's recoverability settings open its body, above the access policy's list of
    /// permissions, so they show without scrolling the box; the text is the same JSON.
    #[test]
    fn vault_body_shows_recoverability_first() {
        let e = Engine::with_seed([3; 32]);
        let snap = e.snapshot();
        let settings = Settings::default();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let d = draft(Card::Vault, &cx);
        let lines: Vec<&str> = d.body.lines().collect();
        for p in [
            "enableSoftDelete",
            "enablePurgeProtection",
            "softDeleteRetentionInDays",
        ] {
            let at = lines.iter().position(|l| l.contains(p)).unwrap();
            assert!(at < 8, "{p} is on line {} of\n{}", at + 1, d.body);
        }
        let parsed: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(pretty(&parsed), d.body);
        assert_eq!(
            parsed,
            serde_json::from_str::<Value>(&serde_json::to_string_pretty(&parsed).unwrap()).unwrap()
        );
    }

    /// The walkthrough's own requests, sent in order with the clock run forward where the seed
    /// says to wait, bring every step to Done.
    #[test]
    fn walkthrough_requests_complete_all_five_steps() {
        let mut e = Engine::with_seed([3; 32]);
        let settings = Settings::default();
        for step in &STEPS {
            for card in step.cards {
                let snap = e.snapshot();
                let cx = Context {
                    snap: &snap,
                    settings: &settings,
                };
                let r = send(&mut e, &draft(*card, &cx));
                assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
            }
            e.advance(3 * 3600);
            let snap = e.snapshot();
            let cx = Context {
                snap: &snap,
                settings: &settings,
            };
            assert!(
                status(step.number, &cx).is_done(),
                "step {}: {:?}",
                step.number,
                status(step.number, &cx)
            );
        }
    }

    #[test]
    fn every_mistake_gets_the_documented_refusal() {
        let mut e = Engine::with_seed([4; 32]);
        let settings = Settings::default();
        let run = |e: &mut Engine, card: Card| {
            let snap = e.snapshot();
            let cx = Context {
                snap: &snap,
                settings: &settings,
            };
            send(e, &draft(card, &cx))
        };
        let mistake = |e: &mut Engine, m: Mistake| {
            let snap = e.snapshot();
            let cx = Context {
                snap: &snap,
                settings: &settings,
            };
            send(e, &m.draft(&cx))
        };
        run(&mut e, Card::Group);
        assert_eq!(mistake(&mut e, Mistake::SkipPurgeProtection).status, 200);
        run(&mut e, Card::Key);
        let r = mistake(&mut e, Mistake::KeyAtCreation);
        assert_eq!(
            r.body["error"]["message"],
            "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation."
        );
        run(&mut e, Card::Cluster);
        e.advance(3 * 3600);
        assert_eq!(mistake(&mut e, Mistake::ForgetUnwrapPermission).status, 200);
        let r = run(&mut e, Card::KeyIdentifier);
        assert_eq!(r.status, 400);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Key is not recoverable"),
            "{}",
            r.body
        );
        run(&mut e, Card::Vault);
        let r = run(&mut e, Card::KeyIdentifier);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Failed to validate key in Key Vault"),
            "{}",
            r.body
        );
        run(&mut e, Card::Grant);
        let r = mistake(&mut e, Mistake::KeyAndIdentityTogether);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(mistake(&mut e, Mistake::WrongRegionWorkspace).status, 201);
        let r = run(&mut e, Card::Link);
        assert_eq!(r.status, 400);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("same region"),
            "{}",
            r.body
        );
    }
}
