//! Scripts the page offers (its Examples menu), written with the walkthrough's names; the CMK
//! walkthrough as one script is also what the scenario tests run end to end.

/// The names a script uses (the page passes its walkthrough settings).
#[derive(Clone, Debug, PartialEq)]
pub struct Names {
    pub group: String,
    pub location: String,
    pub vault: String,
    pub key: String,
    pub cluster: String,
    pub workspace: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            group: "cmk-rg".into(),
            location: "eastus".into(),
            vault: "contoso-cmk-kv".into(),
            key: "la-cmk".into(),
            cluster: "contosocluster".into(),
            workspace: "contoso-logs".into(),
        }
    }
}

use crate::engine::world::COSMOS_DB_APP_ID;

/// The customer-managed key runbook from vault to Sentinel, with `$(…)` captures: vault and
/// key, cluster, the cluster identity's access, the key on the cluster, workspace and link, a
/// query, then Sentinel's prerequisites (providers, Azure Cosmos DB's access) and onboarding.
pub fn walkthrough(n: &Names) -> String {
    let Names {
        group,
        location,
        vault,
        key,
        cluster,
        workspace,
    } = n;
    format!(
        r#"set -e
RG={group}
KV={vault}
az group create -n $RG -l {location} -o none
# A recoverable vault (soft delete and purge protection), access policies rather than RBAC
az keyvault create -n $KV -g $RG --enable-rbac-authorization false \
  --enable-soft-delete true --enable-purge-protection true -o none
KID=$(az keyvault key create --vault-name $KV -n {key} --kty RSA --size 2048 \
  --ops wrapKey unwrapKey --query key.kid -o tsv)
echo "key: $KID"
# Provisioning takes about two hours of virtual time; the console polls it
az monitor log-analytics cluster create -g $RG -n {cluster} --sku-capacity 100 -o none
PRINCIPAL=$(az monitor log-analytics cluster show -g $RG -n {cluster} --query identity.principalId -o tsv)
az keyvault set-policy -n $KV --object-id "$PRINCIPAL" --key-permissions get wrapKey unwrapKey -o none
az monitor log-analytics cluster update -g $RG -n {cluster} --key-name {key} \
  --key-vault-uri https://$KV.vault.azure.net --key-version "" \
  --query keyVaultProperties.keyName -o tsv
az monitor log-analytics workspace create -g $RG -n {workspace} -o none
CLUSTER_ID=$(az monitor log-analytics cluster show -g $RG -n {cluster} --query id -o tsv)
az monitor log-analytics workspace linked-service create -g $RG --workspace-name {workspace} \
  -n cluster --write-access-resource-id "$CLUSTER_ID" --query provisioningState -o tsv
WS_ID=$(az monitor log-analytics workspace show -g $RG -n {workspace} --query customerId -o tsv)
az monitor log-analytics query -w $WS_ID --analytics-query "Heartbeat | count" -o tsv
# Microsoft Sentinel on the CMK workspace
az provider register --namespace Microsoft.SecurityInsights --wait
az provider register --namespace Microsoft.DocumentDB --wait
COSMOS=$(az rest -u "https://graph.microsoft.com/v1.0/servicePrincipals?\$filter=appId eq '{COSMOS_DB_APP_ID}'" \
  --query "value[0].id" -o tsv)
az keyvault set-policy -n $KV --object-id "$COSMOS" --key-permissions get wrapKey unwrapKey -o none
az sentinel onboarding-state create -g $RG -w {workspace} -n default --customer-managed-key true \
  --query customerManagedKey -o tsv
"#
    )
}

/// The Examples menu: a label and a script.
pub fn examples(n: &Names) -> Vec<(&'static str, String)> {
    let Names {
        group,
        vault,
        key,
        cluster,
        workspace,
        ..
    } = n;
    vec![
        (
            "CMK walkthrough, vault to Sentinel (one script)",
            walkthrough(n),
        ),
        ("Who am I?", "az account show -o table".into()),
        (
            "Show the cluster's key and state",
            format!(
                "az monitor log-analytics cluster show -g {group} -n {cluster} \\\n  --query \"{{state:provisioningState, key:keyVaultProperties}}\""
            ),
        ),
        (
            "List the key's versions",
            format!(
                "az keyvault key list-versions --vault-name {vault} -n {key} --query \"[].{{kid:kid, enabled:attributes.enabled}}\" -o table"
            ),
        ),
        (
            "Rotate the key",
            format!("az keyvault key rotate --vault-name {vault} -n {key} --query key.kid -o tsv"),
        ),
        (
            "Query the workspace",
            format!(
                "WS_ID=$(az monitor log-analytics workspace show -g {group} -n {workspace} --query customerId -o tsv)\naz monitor log-analytics query -w $WS_ID --analytics-query \"Heartbeat | summarize count() by Computer\" -o table"
            ),
        ),
        (
            "A request with --debug",
            format!("az keyvault show -n {vault} --query properties.enablePurgeProtection --debug"),
        ),
        (
            "A mistake: policies on an RBAC vault",
            format!(
                "az keyvault create -n {vault}-rbac -g {group} -o none\naz keyvault set-policy -n {vault}-rbac --object-id 00000000-0000-0000-0000-000000000000 --key-permissions get"
            ),
        ),
    ]
}
