//! Every api-version the playground accepts, surface by surface, in one place, with where each
//! list comes from. A request with any other version is refused as the service refuses it
//! (`InvalidApiVersionParameter` on ARM, `BadParameter` on Key Vault, `InvalidApiVersion` on
//! the Data Collector API). Each list holds, newest first, the version the current official
//! clients send by default (the Azure SDKs for Python and .NET, the Azure CLI, Azure PowerShell),
//! the versions the seed documents and the references quote, and the older ones IaC tools pin.
//! [`SURFACES`] is the same information for people: the README's table and the page read it.

/// api-versions accepted by `Microsoft.Resources` (subscriptions, resource groups, providers).
pub const RESOURCES_API: &[&str] = &[
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-07-01",
    "2022-12-01",
    "2022-09-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-06-01",
    "2020-01-01",
    "2019-10-01",
];

/// api-versions accepted by `Microsoft.KeyVault` (vaults, access policies). 2026-05-15 is the
/// current management SDKs' default (Azure.ResourceManager.KeyVault 1.5.0, 2026-10-15); from
/// [`crate::engine::arm::KEYVAULT_RBAC_DEFAULT_FROM`] a new vault is RBAC unless the body says otherwise.
pub const KEYVAULT_API: &[&str] = &[
    "2026-05-15",
    "2026-02-01",
    "2024-11-01",
    "2024-04-01-preview",
    "2023-07-01",
    "2023-02-01",
    "2022-11-01",
    "2022-07-01",
    "2021-10-01",
    "2021-06-01-preview",
    "2019-09-01",
];

/// api-versions accepted by `Microsoft.OperationalInsights` (clusters, workspaces, links).
pub const OPERATIONAL_INSIGHTS_API: &[&str] = &[
    "2025-07-01",
    "2025-02-01",
    "2023-09-01",
    "2022-10-01",
    "2021-12-01-preview",
    "2021-06-01",
    "2020-10-01",
    "2020-08-01",
    "2020-03-01-preview",
];

/// api-versions accepted by `Microsoft.ManagedIdentity`.
pub const MANAGED_IDENTITY_API: &[&str] = &[
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2018-11-30",
];

/// api-versions accepted by `Microsoft.Authorization` (role assignments and definitions).
pub const AUTHORIZATION_API: &[&str] = &[
    "2022-04-01",
    "2020-10-01-preview",
    "2020-08-01-preview",
    "2020-04-01-preview",
    "2018-09-01-preview",
    "2015-07-01",
];

/// Key Vault data-plane api-versions; 2026-04-01 is the newest GA version (the one issue 12
/// found the SDKs moving to); azure-keyvault-keys 4.11.3, the newest release on PyPI, sends
/// 2025-07-01.
pub const DATA_PLANE_API: &[&str] = &[
    "2026-04-01",
    "2025-07-01",
    "2025-06-01",
    "7.6",
    "7.5",
    "7.4",
    "7.3",
    "7.2",
];

/// api-versions accepted by `Microsoft.SecurityInsights` (the onboarding states API: the
/// document's 2021-03-01-preview, the stable versions in the reference, previews IaC tools use).
pub const SECURITY_INSIGHTS_API: &[&str] = &[
    "2025-09-01",
    "2024-09-01",
    "2024-03-01",
    "2023-02-01",
    "2022-11-01",
    "2022-09-01-preview",
    "2022-06-01-preview",
    "2021-10-01",
    "2021-03-01-preview",
];

/// api-versions accepted for `Microsoft.Storage/storageAccounts` (bicep-types-az folders).
pub const STORAGE_API: &[&str] = &[
    "2026-09-01",
    "2025-06-01",
    "2025-01-01",
    "2024-01-01",
    "2023-05-01",
    "2023-01-01",
    "2022-09-01",
    "2021-09-01",
    "2021-04-01",
    "2019-06-01",
];

/// api-versions accepted by `Microsoft.Insights/scheduledQueryRules`.
pub const SCHEDULED_QUERY_RULES_API: &[&str] = &[
    "2025-01-01-preview",
    "2024-01-01-preview",
    "2023-12-01",
    "2023-03-15-preview",
];

/// api-versions accepted by `Microsoft.AlertsManagement` (alerts).
pub const ALERTS_MANAGEMENT_API: &[&str] = &["2023-07-12-preview", "2019-05-05-preview"];

/// Microsoft.CustomerLockbox: "only preview versions exist" (customerlockbox.json).
pub const API_2018_02: &str = "2018-02-28-preview";
pub const API_2018_10: &str = "2018-10-11-preview";
pub const LOCKBOX_API: &[&str] = &[API_2018_10, API_2018_02];

pub const DATA_COLLECTOR_API: &str = "2016-04-01";

/// A surface, the versions it accepts, and which clients send which by default.
pub struct Surface {
    pub name: &'static str,
    pub versions: &'static [&'static str],
    /// `(client, the version it sends by default)`, and where that is documented.
    pub defaults: &'static [(&'static str, &'static str)],
    pub source: &'static str,
}

pub static SURFACES: &[Surface] = &[
    Surface {
        name: "Microsoft.Resources (subscriptions, resource groups, providers)",
        versions: RESOURCES_API,
        defaults: &[
            ("azure-mgmt-resource (Python)", "2025-04-01"),
            ("Azure CLI", "2024-11-01"),
        ],
        source: "azure-rest-api-specs resources/stable; the SDKs' ApiVersion defaults",
    },
    Surface {
        name: "Microsoft.KeyVault (vaults, access policies)",
        versions: KEYVAULT_API,
        defaults: &[
            (
                "azure-mgmt-keyvault (Python), Azure.ResourceManager.KeyVault 1.5.0",
                "2026-05-15",
            ),
            ("Azure CLI", "2024-11-01"),
        ],
        source: "next-features.md §5 (API drift); access-control-default (RBAC default from 2026-02-01)",
    },
    Surface {
        name: "Key Vault data plane ({vault}.vault.azure.net)",
        versions: DATA_PLANE_API,
        defaults: &[
            ("azure-keyvault-keys 4.11.3 (Python)", "2025-07-01"),
            ("Azure CLI", "7.6"),
        ],
        source: "azure-api.md §3; azure-keyvault-keys changelog",
    },
    Surface {
        name: "Microsoft.OperationalInsights (clusters, workspaces, links, saved searches)",
        versions: OPERATIONAL_INSIGHTS_API,
        defaults: &[
            ("azure-mgmt-loganalytics (Python)", "2025-07-01"),
            ("Azure CLI cluster/workspace", "2025-02-01"),
            ("Azure CLI linked-service/linked-storage", "2020-08-01"),
            (
                "Azure PowerShell (Az.OperationalInsights) clusters",
                "2021-06-01",
            ),
            (
                "Azure PowerShell (Az.OperationalInsights) workspaces",
                "2021-12-01-preview",
            ),
            (
                "Azure PowerShell (Az.OperationalInsights) linked services, storage, saved searches",
                "2020-08-01",
            ),
        ],
        source: "next-features.md §3 (the REST each az command sends); azure-api.md §2; Azure/azure-powershell OperationalInsights.Management.Sdk (Generated/*Operations.cs)",
    },
    Surface {
        name: "Microsoft.ManagedIdentity",
        versions: MANAGED_IDENTITY_API,
        defaults: &[
            ("azure-mgmt-msi (Python)", "2024-11-30"),
            ("Azure CLI", "2023-01-31"),
        ],
        source: "azure-rest-api-specs msi/stable",
    },
    Surface {
        name: "Microsoft.Authorization (role assignments and definitions)",
        versions: AUTHORIZATION_API,
        defaults: &[("azure-mgmt-authorization (Python), Azure CLI", "2022-04-01")],
        source: "next-features.md §3 (aaz role-assignment commands)",
    },
    Surface {
        name: "Microsoft.SecurityInsights (onboarding states)",
        versions: SECURITY_INSIGHTS_API,
        defaults: &[
            ("Azure CLI sentinel extension", "2022-06-01-preview"),
            ("azure-mgmt-securityinsight (Python)", "2022-09-01-preview"),
        ],
        source: "Sentinel CMK document (2021-03-01-preview); next-features.md §3",
    },
    Surface {
        name: "Microsoft.Storage (storage accounts)",
        versions: STORAGE_API,
        defaults: &[("azure-mgmt-storage (Python)", "2025-06-01")],
        source: "bicep-types-az folders",
    },
    Surface {
        name: "Microsoft.Insights (scheduled query rules)",
        versions: SCHEDULED_QUERY_RULES_API,
        defaults: &[("azure-mgmt-monitor (Python), Azure CLI", "2023-12-01")],
        source: "azure-rest-api-specs monitor scheduledQueryRule",
    },
    Surface {
        name: "Microsoft.AlertsManagement (alerts)",
        versions: ALERTS_MANAGEMENT_API,
        defaults: &[("azure-mgmt-alertsmanagement (Python)", "2019-05-05-preview")],
        source: "azure-rest-api-specs alertsmanagement",
    },
    Surface {
        name: "Microsoft.CustomerLockbox (requests)",
        versions: LOCKBOX_API,
        defaults: &[("Azure CLI / PowerShell", "2018-02-28-preview")],
        source: "customerlockbox.json",
    },
    Surface {
        name: "HTTP Data Collector API ({customerId}.ods.opinsights.azure.com)",
        versions: &[DATA_COLLECTOR_API],
        defaults: &[("every client", "2016-04-01")],
        source: "data-collector-api.md",
    },
];

/// The README's row for a surface (kept identical by a test).
pub fn readme_row(s: &Surface) -> String {
    let defaults: Vec<String> = s
        .defaults
        .iter()
        .map(|(client, v)| format!("{client}: `{v}`"))
        .collect();
    format!(
        "| {} | {} | {} | {} |",
        s.name,
        s.versions
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" "),
        defaults.join("; "),
        s.source
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_accepted_api_version() {
        let readme = include_str!("../../README.md");
        let missing: Vec<String> = SURFACES
            .iter()
            .map(readme_row)
            .filter(|row| !readme.contains(row.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md lacks these rows:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_default_a_client_sends_is_accepted() {
        for s in SURFACES {
            for (client, v) in s.defaults {
                assert!(s.versions.contains(v), "{}: {client} sends {v}", s.name);
            }
            let mut seen = std::collections::BTreeSet::new();
            assert!(
                s.versions.iter().all(|v| seen.insert(*v)),
                "{}: duplicates",
                s.name
            );
        }
    }
}
