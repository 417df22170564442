//! Scripts the page offers in the PowerShell console, written with the walkthrough's names; the
//! walkthrough script is what the scenario tests run end to end.

/// The customer-managed key walkthrough in Azure PowerShell: vault and key, cluster, the
/// cluster identity's access, the key on the cluster, workspace and link, then a query.
pub fn walkthrough(
    group: &str,
    location: &str,
    vault: &str,
    key: &str,
    cluster: &str,
    workspace: &str,
) -> String {
    format!(
        r#"# 1. A recoverable vault (soft delete is always on; purge protection), access policies
New-AzResourceGroup -Name {group} -Location {location} | Out-Null
$vault = New-AzKeyVault -Name {vault} -ResourceGroupName {group} -Location {location} `
    -EnablePurgeProtection -DisableRbacAuthorization
$key = Add-AzKeyVaultKey -VaultName {vault} -Name {key} -Destination Software -Size 2048
# 2. The cluster with a system-assigned identity: about two hours of virtual time, polled
$cluster = New-AzOperationalInsightsCluster -ResourceGroupName {group} -ClusterName {cluster} `
    -Location {location} -SkuCapacity 500 -IdentityType SystemAssigned
# 3. Get, Wrap Key and Unwrap Key for the cluster's identity
Set-AzKeyVaultAccessPolicy -VaultName {vault} -ObjectId $cluster.Identity.PrincipalId `
    -PermissionsToKeys get,wrapKey,unwrapKey
# 4. The key identifier: -KeyVersion pins this version ('' would follow the key's newest)
$cluster = Update-AzOperationalInsightsCluster -ResourceGroupName {group} -ClusterName {cluster} `
    -KeyVaultUri $vault.VaultUri -KeyName $key.Name -KeyVersion $key.Version
# 5. A workspace, linked to the cluster
$ws = New-AzOperationalInsightsWorkspace -ResourceGroupName {group} -Name {workspace} -Location {location}
$link = New-AzOperationalInsightsLinkedService -ResourceGroupName {group} -WorkspaceName {workspace} `
    -LinkedServiceName cluster -WriteAccessResourceId $cluster.Id
Write-Output "cluster: $($cluster.ProvisioningState), key: $($cluster.KeyVaultProperties.KeyName), link: $($link.ProvisioningState)"
$r = Invoke-AzOperationalInsightsQuery -WorkspaceId $ws.CustomerId -Query "Heartbeat | count"
$r.Results
"#
    )
}

/// The Examples menu: a label and a script.
pub fn examples(
    group: &str,
    location: &str,
    vault: &str,
    key: &str,
    cluster: &str,
    workspace: &str,
) -> Vec<(&'static str, String)> {
    vec![
        (
            "The walkthrough, end to end",
            walkthrough(group, location, vault, key, cluster, workspace),
        ),
        ("Who am I?", "Get-AzContext".into()),
        (
            "The cluster's key and state",
            format!(
                "Get-AzOperationalInsightsCluster -ResourceGroupName {group} -ClusterName {cluster} |\n    Select-Object -ExpandProperty KeyVaultProperties"
            ),
        ),
        (
            "Rotate the key",
            format!("Invoke-AzKeyVaultKeyRotation -VaultName {vault} -Name {key}"),
        ),
        (
            "Saved searches (they are removed when a Query storage account is linked)",
            format!(
                "Get-AzOperationalInsightsSavedSearch -ResourceGroupName {group} -WorkspaceName {workspace}"
            ),
        ),
        (
            "See the HTTP requests (-Debug)",
            format!("Get-AzKeyVault -VaultName {vault} -Debug"),
        ),
    ]
}
