//! The cmdlets: their parameters (names, aliases, positions, mandatory, validate sets), the
//! requests the Az modules send (api-versions in [`api`]), and the objects they write.

use serde_json::{Value as Json, json};

use super::value::{self, HASHTABLE, Ps, PsObject};
use super::{Bound, Failure, Pwsh, status_name};
use crate::engine::Response;

/// The api-version each module sends: Az.OperationalInsights' generated clients pin
/// 2021-06-01 (clusters), 2021-12-01-preview (workspaces) and 2020-08-01 (linked services,
/// linked storage accounts, saved searches) (Azure/azure-powershell
/// `src/OperationalInsights/OperationalInsights.Management.Sdk/Generated`). The others are
/// versions the playground accepts that the current modules are documented to send.
pub mod api {
    pub const RESOURCES: &str = "2021-04-01";
    pub const KEYVAULT: &str = "2023-02-01";
    pub const KEYVAULT_DATA: &str = "7.5";
    pub const AUTHORIZATION: &str = "2022-04-01";
    pub const CLUSTERS: &str = "2021-06-01";
    pub const WORKSPACES: &str = "2021-12-01-preview";
    pub const LINKS: &str = "2020-08-01";
}

const ARM: &str = "https://management.azure.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    Switch,
    StrArray,
    Hash,
    Any,
}

impl Kind {
    pub fn net_type(self) -> &'static str {
        match self {
            Kind::Str => "System.String",
            Kind::Int => "System.Int64",
            Kind::Bool => "System.Boolean",
            Kind::Switch => "System.Management.Automation.SwitchParameter",
            Kind::StrArray => "System.String[]",
            Kind::Hash => "System.Collections.Hashtable",
            Kind::Any => "System.Object",
        }
    }
}

pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub mandatory: bool,
    pub position: Option<u8>,
    pub set: &'static [&'static str],
    pub aliases: &'static [&'static str],
}

const fn p(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        mandatory: false,
        position: None,
        set: &[],
        aliases: &[],
    }
}

const fn m(name: &'static str, kind: Kind, position: Option<u8>) -> Param {
    Param {
        name,
        kind,
        mandatory: true,
        position,
        set: &[],
        aliases: &[],
    }
}

const fn pos(name: &'static str, kind: Kind, position: u8) -> Param {
    Param {
        name,
        kind,
        mandatory: false,
        position: Some(position),
        set: &[],
        aliases: &[],
    }
}

const fn set(mut x: Param, values: &'static [&'static str]) -> Param {
    x.set = values;
    x
}

const fn alias(mut x: Param, aliases: &'static [&'static str]) -> Param {
    x.aliases = aliases;
    x
}

/// What a cmdlet does with its bound parameters and pipeline input.
type Run = fn(&mut Pwsh, &Bound, Vec<Ps>) -> Result<Vec<Ps>, Failure>;

pub struct Cmdlet {
    pub name: &'static str,
    pub params: &'static [Param],
    pub run: Run,
}

/// The common parameters every cmdlet accepts (`-Debug` traces HTTP; the others are accepted
/// and change nothing a script here can see).
pub static COMMON: &[Param] = &[
    p("Debug", Kind::Switch),
    p("Verbose", Kind::Switch),
    set(
        p("ErrorAction", Kind::Str),
        &[
            "Continue",
            "Stop",
            "SilentlyContinue",
            "Ignore",
            "Inquire",
            "Break",
        ],
    ),
    p("DefaultProfile", Kind::Any),
    p("WhatIf", Kind::Switch),
    p("Confirm", Kind::Switch),
];

use Kind::*;

pub static CMDLETS: &[Cmdlet] = &[
    Cmdlet {
        name: "Get-AzContext",
        params: &[],
        run: get_context,
    },
    Cmdlet {
        name: "New-AzResourceGroup",
        params: &[
            alias(m("Name", Str, Some(0)), &["ResourceGroupName"]),
            m("Location", Str, Some(1)),
            alias(p("Tag", Hash), &["Tags"]),
            p("Force", Switch),
        ],
        run: new_resource_group,
    },
    Cmdlet {
        name: "New-AzKeyVault",
        params: &[
            alias(m("Name", Str, Some(0)), &["VaultName"]),
            m("ResourceGroupName", Str, Some(1)),
            m("Location", Str, Some(2)),
            set(p("Sku", Str), &["Standard", "Premium"]),
            p("EnablePurgeProtection", Switch),
            p("DisableRbacAuthorization", Switch),
            p("SoftDeleteRetentionInDays", Int),
            set(p("PublicNetworkAccess", Str), &["Enabled", "Disabled"]),
            p("EnabledForDeployment", Switch),
            p("EnabledForTemplateDeployment", Switch),
            p("EnabledForDiskEncryption", Switch),
            alias(p("Tag", Hash), &["Tags"]),
        ],
        run: new_key_vault,
    },
    Cmdlet {
        name: "Get-AzKeyVault",
        params: &[
            alias(pos("VaultName", Str, 0), &["Name"]),
            pos("ResourceGroupName", Str, 1),
        ],
        run: get_key_vault,
    },
    Cmdlet {
        name: "Update-AzKeyVault",
        params: &[
            m("ResourceGroupName", Str, None),
            alias(m("VaultName", Str, None), &["Name"]),
            p("EnablePurgeProtection", Switch),
            p("EnableRbacAuthorization", Bool),
            p("SoftDeleteRetentionInDays", Int),
            set(p("PublicNetworkAccess", Str), &["Enabled", "Disabled"]),
            alias(p("Tag", Hash), &["Tags"]),
        ],
        run: update_key_vault,
    },
    Cmdlet {
        name: "Set-AzKeyVaultAccessPolicy",
        params: &[
            alias(m("VaultName", Str, Some(0)), &["Name"]),
            pos("ResourceGroupName", Str, 1),
            alias(p("ObjectId", Str), &["Id", "ServicePrincipalObjectId"]),
            alias(p("UserPrincipalName", Str), &["Upn", "UPN"]),
            alias(p("ServicePrincipalName", Str), &["SPN"]),
            p("ApplicationId", Str),
            alias(
                set(
                    p("PermissionsToKeys", StrArray),
                    &crate::engine::keyvault::access::KEY_PERMISSIONS,
                ),
                &["PermissionToKeys"],
            ),
            alias(
                p("PermissionsToSecrets", StrArray),
                &["PermissionToSecrets"],
            ),
            alias(
                p("PermissionsToCertificates", StrArray),
                &["PermissionToCertificates"],
            ),
            p("BypassObjectIdValidation", Switch),
            p("PassThru", Switch),
        ],
        run: set_access_policy,
    },
    Cmdlet {
        name: "Add-AzKeyVaultKey",
        params: &[
            m("VaultName", Str, Some(0)),
            alias(m("Name", Str, Some(1)), &["KeyName"]),
            set(p("Destination", Str), &["HSM", "Software"]),
            set(p("KeyType", Str), &["RSA", "EC", "oct"]),
            p("Size", Int),
            p("KeyOps", StrArray),
            p("Disable", Switch),
            p("Expires", Str),
            p("NotBefore", Str),
            p("Exportable", Switch),
            alias(p("Tag", Hash), &["Tags"]),
        ],
        run: add_key,
    },
    Cmdlet {
        name: "Get-AzKeyVaultKey",
        params: &[
            m("VaultName", Str, Some(0)),
            alias(pos("Name", Str, 1), &["KeyName"]),
            alias(pos("Version", Str, 2), &["KeyVersion"]),
            p("IncludeVersions", Switch),
        ],
        run: get_key,
    },
    Cmdlet {
        name: "Update-AzKeyVaultKey",
        params: &[
            m("VaultName", Str, Some(0)),
            alias(m("Name", Str, Some(1)), &["KeyName"]),
            alias(pos("Version", Str, 2), &["KeyVersion"]),
            p("Enable", Bool),
            p("Expires", Str),
            p("NotBefore", Str),
            p("KeyOps", StrArray),
            alias(p("Tag", Hash), &["Tags"]),
            p("PassThru", Switch),
        ],
        run: update_key,
    },
    Cmdlet {
        name: "Invoke-AzKeyVaultKeyRotation",
        params: &[
            m("VaultName", Str, Some(0)),
            alias(m("Name", Str, Some(1)), &["KeyName"]),
        ],
        run: rotate_key,
    },
    Cmdlet {
        name: "New-AzOperationalInsightsCluster",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("ClusterName", Str, Some(1)),
            m("Location", Str, Some(2)),
            set(
                p("IdentityType", Str),
                &["SystemAssigned", "UserAssigned", "None"],
            ),
            set(p("SkuName", Str), &["CapacityReservation"]),
            m("SkuCapacity", Int, None),
            alias(p("Tag", Hash), &["Tags"]),
            p("KeyVaultUri", Str),
            p("KeyName", Str),
            p("KeyVersion", Str),
            p("IsAvailabilityZonesEnabled", Bool),
            p("IsDoubleEncryptionEnabled", Bool),
            set(p("BillingType", Str), &["Cluster", "Workspaces"]),
            p("AsJob", Switch),
        ],
        run: new_cluster,
    },
    Cmdlet {
        name: "Update-AzOperationalInsightsCluster",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("ClusterName", Str, Some(1)),
            set(p("SkuName", Str), &["CapacityReservation"]),
            p("SkuCapacity", Int),
            p("KeyVaultUri", Str),
            p("KeyName", Str),
            p("KeyVersion", Str),
            set(
                p("IdentityType", Str),
                &["SystemAssigned", "UserAssigned", "None"],
            ),
            set(p("BillingType", Str), &["Cluster", "Workspaces"]),
            alias(p("Tag", Hash), &["Tags"]),
            p("AsJob", Switch),
        ],
        run: update_cluster,
    },
    Cmdlet {
        name: "Get-AzOperationalInsightsCluster",
        params: &[pos("ResourceGroupName", Str, 0), pos("ClusterName", Str, 1)],
        run: get_cluster,
    },
    Cmdlet {
        name: "New-AzOperationalInsightsWorkspace",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("Name", Str, Some(1)),
            m("Location", Str, Some(2)),
            set(
                p("Sku", Str),
                &[
                    "free",
                    "standard",
                    "premium",
                    "pernode",
                    "pergb2018",
                    "standalone",
                    "capacityreservation",
                ],
            ),
            p("RetentionInDays", Int),
            alias(p("Tag", Hash), &["Tags"]),
            p("Force", Switch),
        ],
        run: new_workspace,
    },
    Cmdlet {
        name: "Get-AzOperationalInsightsWorkspace",
        params: &[pos("ResourceGroupName", Str, 0), pos("Name", Str, 1)],
        run: get_workspace,
    },
    Cmdlet {
        name: "New-AzOperationalInsightsLinkedService",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("WorkspaceName", Str, Some(1)),
            m("LinkedServiceName", Str, Some(2)),
            p("WriteAccessResourceId", Str),
            p("ResourceId", Str),
            alias(p("Tag", Hash), &["Tags"]),
            p("AsJob", Switch),
        ],
        run: new_linked_service,
    },
    Cmdlet {
        name: "New-AzOperationalInsightsLinkedStorageAccount",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("WorkspaceName", Str, Some(1)),
            set(
                m("DataSourceType", Str, Some(2)),
                &["CustomLogs", "AzureWatson", "Query", "Alerts", "Ingestion"],
            ),
            m("StorageAccountIds", StrArray, Some(3)),
        ],
        run: new_linked_storage,
    },
    Cmdlet {
        name: "Get-AzOperationalInsightsSavedSearch",
        params: &[
            m("ResourceGroupName", Str, Some(0)),
            m("WorkspaceName", Str, Some(1)),
            pos("SavedSearchId", Str, 2),
        ],
        run: get_saved_searches,
    },
    Cmdlet {
        name: "Invoke-AzOperationalInsightsQuery",
        params: &[
            m("WorkspaceId", Str, None),
            m("Query", Str, None),
            p("Timespan", Str),
            p("AdditionalWorkspace", StrArray),
            p("Wait", Int),
            p("IncludeRender", Switch),
            p("IncludeStatistics", Switch),
        ],
        run: query,
    },
    Cmdlet {
        name: "New-AzRoleAssignment",
        params: &[
            alias(p("ObjectId", Str), &["Id", "PrincipalId"]),
            alias(p("SignInName", Str), &["Email", "UserPrincipalName"]),
            p("RoleDefinitionName", Str),
            p("RoleDefinitionId", Str),
            p("Scope", Str),
            p("ResourceGroupName", Str),
            set(
                p("ObjectType", Str),
                &["User", "Group", "ServicePrincipal", "ForeignGroup"],
            ),
        ],
        run: new_role_assignment,
    },
    Cmdlet {
        name: "Register-AzResourceProvider",
        params: &[m("ProviderNamespace", Str, None)],
        run: register_provider,
    },
    Cmdlet {
        name: "Invoke-AzRestMethod",
        params: &[
            p("Path", Str),
            p("Uri", Str),
            set(
                p("Method", Str),
                &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            ),
            p("Payload", Str),
            p("ResourceGroupName", Str),
            p("ResourceProviderName", Str),
            p("ResourceType", StrArray),
            p("Name", StrArray),
            p("ApiVersion", Str),
        ],
        run: invoke_rest,
    },
    Cmdlet {
        name: "Start-Sleep",
        params: &[
            alias(pos("Seconds", Int, 0), &["s"]),
            p("Milliseconds", Int),
        ],
        run: start_sleep,
    },
    Cmdlet {
        name: "Write-Output",
        params: &[
            alias(pos("InputObject", Any, 0), &["Object"]),
            p("NoEnumerate", Switch),
        ],
        run: write_output,
    },
    Cmdlet {
        name: "Write-Host",
        params: &[
            alias(pos("Object", Any, 0), &["Msg", "Message"]),
            p("NoNewline", Switch),
            set(
                p("ForegroundColor", Str),
                &[
                    "Black",
                    "DarkBlue",
                    "DarkGreen",
                    "DarkCyan",
                    "DarkRed",
                    "DarkMagenta",
                    "DarkYellow",
                    "Gray",
                    "DarkGray",
                    "Blue",
                    "Green",
                    "Cyan",
                    "Red",
                    "Magenta",
                    "Yellow",
                    "White",
                ],
            ),
        ],
        run: write_host,
    },
    Cmdlet {
        name: "Out-Null",
        params: &[p("InputObject", Any)],
        run: |_, _, _| Ok(Vec::new()),
    },
    Cmdlet {
        name: "Select-Object",
        params: &[
            pos("Property", StrArray, 0),
            p("ExpandProperty", Str),
            p("First", Int),
            p("InputObject", Any),
        ],
        run: select_object,
    },
    Cmdlet {
        name: "Format-List",
        params: &[pos("Property", StrArray, 0), p("InputObject", Any)],
        run: format_list,
    },
    Cmdlet {
        name: "Format-Table",
        params: &[
            pos("Property", StrArray, 0),
            p("AutoSize", Switch),
            p("InputObject", Any),
        ],
        run: format_table,
    },
    Cmdlet {
        name: "ConvertTo-Json",
        params: &[
            pos("InputObject", Any, 0),
            p("Depth", Int),
            p("Compress", Switch),
        ],
        run: convert_to_json,
    },
];

/// A cmdlet by name, ignoring case (and the aliases runbooks use).
pub fn find(name: &str) -> Option<&'static Cmdlet> {
    let name = match name.to_ascii_lowercase().as_str() {
        "select" => "Select-Object",
        "fl" => "Format-List",
        "ft" => "Format-Table",
        "echo" | "write" => "Write-Output",
        "sleep" => "Start-Sleep",
        _ => name,
    };
    CMDLETS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

// ---- errors -----------------------------------------------------------------------------------

/// How an Az module reports a failed response. Az.OperationalInsights' `ErrorResponseException`
/// (clusters, workspaces) says only the status; `CloudException` (linked services, storage,
/// saved searches) and the Key Vault and Resources modules carry the service's message.
fn failure(r: &Response, generic: bool) -> Failure {
    let e = &r.body["error"];
    let message = e["message"]
        .as_str()
        .or_else(|| r.body["message"].as_str())
        .unwrap_or("");
    let code = e["code"].as_str().unwrap_or("");
    if generic || message.is_empty() {
        let mut s = format!(
            "Operation returned an invalid status code '{}'",
            status_name(r.status)
        );
        if !message.is_empty() {
            // What `$Error[0].Exception.Body` holds: the console shows it, as a person reading
            // the exception would.
            s.push_str(&format!("\n    Body: ({code}) {message}"));
        }
        s
    } else if code.is_empty() {
        message.to_string()
    } else {
        format!("{message}\n    Code: {code}")
    }
}

fn ok_or(r: Response, generic: bool) -> Result<Json, Failure> {
    if r.status >= 400 {
        Err(failure(&r, generic))
    } else {
        Ok(r.body)
    }
}

// ---- output objects ---------------------------------------------------------------------------

/// The list views of the Az types whose format files give labels of their own.
pub fn view_of(type_name: &str) -> Vec<(&'static str, &'static str)> {
    match type_name {
        "Microsoft.Azure.Commands.KeyVault.Models.PSKeyVault" => vec![
            ("Vault Name", "VaultName"),
            ("Resource Group Name", "ResourceGroupName"),
            ("Location", "Location"),
            ("Resource ID", "ResourceId"),
            ("Vault URI", "VaultUri"),
            ("Tenant ID", "TenantId"),
            ("SKU", "Sku"),
            ("Enabled For Deployment?", "EnabledForDeployment"),
            (
                "Enabled For Template Deployment?",
                "EnabledForTemplateDeployment",
            ),
            ("Enabled For Disk Encryption?", "EnabledForDiskEncryption"),
            ("Enabled For RBAC Authorization?", "EnableRbacAuthorization"),
            ("Soft Delete Enabled?", "EnableSoftDelete"),
            (
                "Soft Delete Retention Period (days)",
                "SoftDeleteRetentionInDays",
            ),
            ("Purge Protection Enabled?", "EnablePurgeProtection"),
            ("Public Network Access", "PublicNetworkAccess"),
            ("Access Policies", "AccessPoliciesText"),
            ("Tags", "TagsTable"),
        ],
        "Microsoft.Azure.Commands.KeyVault.Models.PSKeyVaultKey" => vec![
            ("Vault/HSM Name", "VaultName"),
            ("Name", "Name"),
            ("Key Type", "KeyType"),
            ("Key Size", "KeySize"),
            ("Curve Name", "CurveName"),
            ("Version", "Version"),
            ("Id", "Id"),
            ("Enabled", "Enabled"),
            ("Expires", "Expires"),
            ("Not Before", "NotBefore"),
            ("Created", "Created"),
            ("Updated", "Updated"),
            ("Recovery Level", "RecoveryLevel"),
            ("Tags", "TagsTable"),
        ],
        _ => Vec::new(),
    }
}

fn object(type_name: &str) -> PsObject {
    let mut o = PsObject::new(type_name);
    o.view = view_of(type_name);
    o
}

fn s(v: &Json) -> Ps {
    match v {
        Json::Null => Ps::Null,
        Json::String(x) => Ps::Str(x.clone()),
        other => Ps::from_json(other),
    }
}

fn tags(v: &Json) -> Ps {
    let mut o = PsObject::new(HASHTABLE);
    if let Some(m) = v.as_object() {
        for (k, x) in m {
            o.props.push((k.clone(), s(x)));
        }
    }
    Ps::Object(o)
}

/// Seconds since the epoch as .NET prints a `DateTime` (en-US): `3/2/2026 8:00:00 AM`, through
/// KQL's `format_datetime` (the same specifiers).
fn dotnet_date(secs: Option<i64>) -> Ps {
    match secs {
        Some(secs) => Ps::Str(crate::engine::query::eval::format_kql_datetime(
            secs.saturating_mul(1000),
            "M/d/yyyy h:mm:ss tt",
        )),
        None => Ps::Null,
    }
}

/// An ISO 8601 timestamp from ARM as .NET prints it.
fn iso_date(v: &Json) -> Ps {
    match v
        .as_str()
        .and_then(crate::engine::query::lexer::parse_datetime)
    {
        Some(ms) => dotnet_date(Some(ms.div_euclid(1000))),
        None => Ps::Null,
    }
}

fn rg_of(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn vault_object(v: &Json) -> Ps {
    let p = &v["properties"];
    let policies: Vec<String> = p["accessPolicies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let keys: Vec<&str> = a["permissions"]["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            format!(
                "Object ID: {}, Permissions to Keys: {}",
                a["objectId"].as_str().unwrap_or(""),
                keys.join(", ")
            )
        })
        .collect();
    let id = v["id"].as_str().unwrap_or("");
    let sku = p["sku"]["name"].as_str().unwrap_or("standard");
    let mut sku_name = sku.to_string();
    if let Some(f) = sku_name.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    let o = object("Microsoft.Azure.Commands.KeyVault.Models.PSKeyVault")
        .with("VaultName", s(&v["name"]))
        .with("ResourceGroupName", Ps::str(rg_of(id)))
        .with("Location", s(&v["location"]))
        .with("ResourceId", Ps::str(id))
        .with("VaultUri", s(&p["vaultUri"]))
        .with("TenantId", s(&p["tenantId"]))
        .with("Sku", Ps::str(sku_name))
        .with(
            "EnabledForDeployment",
            Ps::Bool(p["enabledForDeployment"].as_bool().unwrap_or(false)),
        )
        .with(
            "EnabledForTemplateDeployment",
            Ps::Bool(p["enabledForTemplateDeployment"].as_bool().unwrap_or(false)),
        )
        .with(
            "EnabledForDiskEncryption",
            Ps::Bool(p["enabledForDiskEncryption"].as_bool().unwrap_or(false)),
        )
        .with(
            "EnableRbacAuthorization",
            Ps::Bool(p["enableRbacAuthorization"].as_bool().unwrap_or(false)),
        )
        .with(
            "EnableSoftDelete",
            Ps::Bool(p["enableSoftDelete"].as_bool().unwrap_or(true)),
        )
        .with(
            "SoftDeleteRetentionInDays",
            s(&p["softDeleteRetentionInDays"]),
        )
        .with("EnablePurgeProtection", s(&p["enablePurgeProtection"]))
        .with("PublicNetworkAccess", s(&p["publicNetworkAccess"]))
        .with("AccessPolicies", s(&p["accessPolicies"]))
        .with(
            "AccessPoliciesText",
            Ps::str(if policies.is_empty() {
                String::new()
            } else {
                format!("\n  {}", policies.join("\n  "))
            }),
        )
        .with("Tags", tags(&v["tags"]))
        .with("TagsTable", Ps::str(""));
    Ps::Object(o)
}

fn key_object(vault: &str, k: &Json) -> Ps {
    let kid = k["key"]["kid"].as_str().unwrap_or("");
    let parts: Vec<&str> = kid.split('/').collect();
    let (name, version) = match parts.as_slice() {
        [.., "keys", n, v] => (n.to_string(), v.to_string()),
        _ => (String::new(), String::new()),
    };
    let a = &k["attributes"];
    let n_bits = k["key"]["n"].as_str().map(|n| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(n.trim_end_matches('='))
            .map(|b| b.len() as i64 * 8)
            .unwrap_or(0)
    });
    let o = object("Microsoft.Azure.Commands.KeyVault.Models.PSKeyVaultKey")
        .with("VaultName", Ps::str(vault))
        .with("Name", Ps::str(name))
        .with("KeyType", s(&k["key"]["kty"]))
        .with("KeySize", n_bits.map_or(Ps::Null, Ps::Int))
        .with("CurveName", s(&k["key"]["crv"]))
        .with("Version", Ps::str(version))
        .with("Id", Ps::str(kid))
        .with("Enabled", Ps::Bool(a["enabled"].as_bool().unwrap_or(true)))
        .with("Expires", dotnet_date(a["exp"].as_i64()))
        .with("NotBefore", dotnet_date(a["nbf"].as_i64()))
        .with("Created", dotnet_date(a["created"].as_i64()))
        .with("Updated", dotnet_date(a["updated"].as_i64()))
        .with("RecoveryLevel", s(&a["recoveryLevel"]))
        .with("Tags", tags(&k["tags"]))
        .with("TagsTable", Ps::str(""))
        .with("Key", Ps::from_json(&k["key"]));
    Ps::Object(o)
}

fn cluster_object(c: &Json) -> Ps {
    let p = &c["properties"];
    let kv = &p["keyVaultProperties"];
    let identity = PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSIdentity")
        .with("PrincipalId", s(&c["identity"]["principalId"]))
        .with("TenantId", s(&c["identity"]["tenantId"]))
        .with("Type", s(&c["identity"]["type"]))
        .with(
            "UserAssignedIdentities",
            s(&c["identity"]["userAssignedIdentities"]),
        );
    let sku = PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSClusterSku")
        .with("Capacity", s(&c["sku"]["capacity"]))
        .with("Name", s(&c["sku"]["name"]));
    let keys =
        PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSKeyVaultProperties")
            .with("KeyVaultUri", s(&kv["keyVaultUri"]))
            .with("KeyName", s(&kv["keyName"]))
            .with("KeyVersion", s(&kv["keyVersion"]))
            .with("KeyRsaSize", s(&kv["keyRsaSize"]));
    let workspaces: Vec<Ps> = p["associatedWorkspaces"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| s(&w["workspaceName"]))
        .collect();
    Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSCluster")
            .with("Identity", Ps::Object(identity))
            .with("Sku", Ps::Object(sku))
            .with("ClusterId", s(&p["clusterId"]))
            .with("ProvisioningState", s(&p["provisioningState"]))
            .with("IsDoubleEncryptionEnabled", s(&p["isDoubleEncryptionEnabled"]))
            .with("IsAvailabilityZonesEnabled", s(&p["isAvailabilityZonesEnabled"]))
            .with("BillingType", s(&p["billingType"]))
            .with("KeyVaultProperties", Ps::Object(keys))
            .with("LastModifiedDate", iso_date(&p["lastModifiedDate"]))
            .with("CreatedDate", iso_date(&p["createdDate"]))
            .with("AssociatedWorkspaces", Ps::Array(workspaces))
            .with(
                "CapacityReservationProperties",
                Ps::str("Microsoft.Azure.Management.OperationalInsights.Models.CapacityReservationProperties"),
            )
            .with("Location", s(&c["location"]))
            .with("Id", s(&c["id"]))
            .with("Name", s(&c["name"]))
            .with("Type", s(&c["type"]))
            .with("Tags", tags(&c["tags"])),
    )
}

fn workspace_object(w: &Json) -> Ps {
    let p = &w["properties"];
    let id = w["id"].as_str().unwrap_or("");
    Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSWorkspace")
            .with("Name", s(&w["name"]))
            .with("ResourceGroupName", Ps::str(rg_of(id)))
            .with("ResourceId", Ps::str(id))
            .with("Location", s(&w["location"]))
            .with("Tags", tags(&w["tags"]))
            .with("Sku", s(&p["sku"]["name"]))
            .with("CustomerId", s(&p["customerId"]))
            .with("ProvisioningState", s(&p["provisioningState"]))
            .with("RetentionInDays", s(&p["retentionInDays"]))
            .with(
                "PublicNetworkAccessForIngestion",
                s(&p["publicNetworkAccessForIngestion"]),
            )
            .with(
                "PublicNetworkAccessForQuery",
                s(&p["publicNetworkAccessForQuery"]),
            )
            .with("ForceCmkForQuery", s(&p["forceCmkForQuery"]))
            .with("Features", Ps::from_json(&p["features"])),
    )
}

// ---- cmdlets ----------------------------------------------------------------------------------

fn get_context(sh: &mut Pwsh, _: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let a = sh.account();
    let (sub, name) = a.subscriptions.first().cloned().unwrap_or_default();
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.Profile.Models.Core.PSAzureContext")
            .with(
                "Name",
                Ps::str(format!("{name} ({sub}) - {} - {}", a.tenant_id, a.user)),
            )
            .with("Account", Ps::str(a.user))
            .with("SubscriptionName", Ps::str(name))
            .with("Environment", Ps::str("AzureCloud"))
            .with("TenantId", Ps::str(a.tenant_id))
            .with("Subscription", Ps::str(sub)),
    )])
}

fn new_resource_group(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (name, sub) = (b.must("Name"), sh.subscription());
    let url = format!(
        "{ARM}/subscriptions/{sub}/resourcegroups/{name}?api-version={}",
        api::RESOURCES
    );
    let body = json!({"location": b.must("Location"), "tags": b.get("Tag").map(Ps::body).unwrap_or(json!({}))});
    let g = ok_or(sh.send("PUT", &url, Some(&body)), false)?;
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.ResourceManager.Cmdlets.SdkModels.PSResourceGroup")
            .with("ResourceGroupName", s(&g["name"]))
            .with("Location", s(&g["location"]))
            .with(
                "ProvisioningState",
                s(&g["properties"]["provisioningState"]),
            )
            .with("Tags", tags(&g["tags"]))
            .with("ResourceId", s(&g["id"])),
    )])
}

fn vault_url(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "{ARM}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}?api-version={}",
        api::KEYVAULT
    )
}

/// The vault's resource group when the cmdlet was not given one: Az.KeyVault looks the vault up
/// by name among the subscription's vaults.
fn find_vault(sh: &mut Pwsh, name: &str, rg: Option<String>) -> Result<Json, Failure> {
    let sub = sh.subscription();
    if let Some(rg) = rg {
        let r = sh.send("GET", &vault_url(&sub, &rg, name), None);
        return ok_or(r, false);
    }
    let url = format!(
        "{ARM}/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults?api-version={}",
        api::KEYVAULT
    );
    let list = ok_or(sh.send("GET", &url, None), false)?;
    list["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| {
            v["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .cloned()
        .ok_or_else(|| format!("Cannot find vault '{name}' in subscription '{sub}'."))
}

fn new_key_vault(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (name, rg, sub) = (
        b.must("Name"),
        b.must("ResourceGroupName"),
        sh.subscription(),
    );
    let account = sh.account();
    // Az.KeyVault makes new vaults RBAC vaults unless -DisableRbacAuthorization; an
    // access-policy vault starts with one policy for the caller, all permissions.
    let rbac = !b.switch("DisableRbacAuthorization");
    let me = if rbac { None } else { sh.signed_in_object_id() };
    if !rbac && me.is_none() {
        sh.warn("The signed-in principal's object id could not be read from Microsoft Graph, so the vault gets no access policy for it.");
    }
    let policies = if rbac || me.is_none() {
        json!([])
    } else {
        json!([{
            "tenantId": account.tenant_id,
            "objectId": me,
            "permissions": {
                "keys": ["all"], "secrets": ["all"], "certificates": ["all"], "storage": ["all"]
            }
        }])
    };
    let mut props = json!({
        "tenantId": account.tenant_id,
        "sku": {"family": "A", "name": b.str("Sku").unwrap_or_else(|| "Standard".into()).to_ascii_lowercase()},
        "accessPolicies": policies,
        "enableRbacAuthorization": rbac,
        "enableSoftDelete": true,
        "softDeleteRetentionInDays": b.int("SoftDeleteRetentionInDays").unwrap_or(90),
        "enabledForDeployment": b.switch("EnabledForDeployment"),
        "enabledForTemplateDeployment": b.switch("EnabledForTemplateDeployment"),
        "enabledForDiskEncryption": b.switch("EnabledForDiskEncryption"),
        "publicNetworkAccess": b.str("PublicNetworkAccess").unwrap_or_else(|| "Enabled".into()),
    });
    if b.switch("EnablePurgeProtection") {
        props["enablePurgeProtection"] = json!(true);
    }
    let body = json!({
        "location": b.must("Location"),
        "tags": b.get("Tag").map(Ps::body).unwrap_or(json!({})),
        "properties": props,
    });
    let url = vault_url(&sub, &rg, &name);
    let v = sh
        .lro("PUT", &url, Some(&body))
        .map_err(|r| failure(&r, false))?;
    Ok(vec![vault_object(&v)])
}

fn get_key_vault(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    match b.str("VaultName") {
        Some(name) => Ok(vec![vault_object(&find_vault(
            sh,
            &name,
            b.str("ResourceGroupName"),
        )?)]),
        None => {
            let sub = sh.subscription();
            let url = match b.str("ResourceGroupName") {
                Some(rg) => format!(
                    "{ARM}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults?api-version={}",
                    api::KEYVAULT
                ),
                None => format!(
                    "{ARM}/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults?api-version={}",
                    api::KEYVAULT
                ),
            };
            let list = ok_or(sh.send("GET", &url, None), false)?;
            Ok(list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(vault_object)
                .collect())
        }
    }
}

/// Az.KeyVault updates a vault by reading it and sending the whole vault back (a PUT).
fn put_vault(sh: &mut Pwsh, mut v: Json) -> Result<Json, Failure> {
    let id = v["id"].as_str().unwrap_or("").to_string();
    let url = format!("{ARM}{id}?api-version={}", api::KEYVAULT);
    if let Some(o) = v.as_object_mut() {
        for k in ["id", "name", "type", "systemData", "etag"] {
            o.remove(k);
        }
    }
    if let Some(p) = v["properties"].as_object_mut() {
        for k in [
            "vaultUri",
            "provisioningState",
            "hsmPoolResourceId",
            "privateEndpointConnections",
        ] {
            p.remove(k);
        }
    }
    sh.lro("PUT", &url, Some(&v))
        .map_err(|r| failure(&r, false))
}

fn update_key_vault(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let mut v = find_vault(sh, &b.must("VaultName"), b.str("ResourceGroupName"))?;
    if b.switch("EnablePurgeProtection") {
        v["properties"]["enablePurgeProtection"] = json!(true);
    }
    if let Some(r) = b.bool("EnableRbacAuthorization") {
        v["properties"]["enableRbacAuthorization"] = json!(r);
    }
    if let Some(d) = b.int("SoftDeleteRetentionInDays") {
        v["properties"]["softDeleteRetentionInDays"] = json!(d);
    }
    if let Some(a) = b.str("PublicNetworkAccess") {
        v["properties"]["publicNetworkAccess"] = json!(a);
    }
    if let Some(t) = b.get("Tag") {
        v["tags"] = t.body();
    }
    let v = put_vault(sh, v)?;
    Ok(vec![vault_object(&v)])
}

fn set_access_policy(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let name = b.must("VaultName");
    let object_id = match (
        b.str("ObjectId"),
        b.str("UserPrincipalName"),
        b.str("ServicePrincipalName"),
    ) {
        (Some(id), _, _) => id,
        (None, Some(upn), _) => {
            return Err(format!(
                "Cannot find the Active Directory object '{upn}' in tenant: the playground's console looks principals up by -ObjectId; use the object id (Get-AzContext shows who you are)."
            ));
        }
        (None, None, Some(spn)) => {
            return Err(format!(
                "Cannot find the Active Directory object '{spn}': use -ObjectId with the principal's object id."
            ));
        }
        _ => {
            return Err("Parameter set cannot be resolved using the specified named parameters. One or more parameters issued cannot be used together or an insufficient number of parameters were provided.".into());
        }
    };
    let mut v = find_vault(sh, &name, b.str("ResourceGroupName"))?;
    if v["properties"]["enableRbacAuthorization"].as_bool() == Some(true) {
        sh.warn(&format!(
            "Vault '{name}' uses the Azure role-based access control permission model: access policies are kept but not used. Assign a role (New-AzRoleAssignment) instead."
        ));
    }
    let tenant = sh.account().tenant_id;
    let policies = v["properties"]["accessPolicies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut policies: Vec<Json> = policies;
    let index = policies.iter().position(|p| {
        p["objectId"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case(&object_id))
    });
    let mut policy = match index {
        Some(i) => policies.remove(i),
        None => json!({"tenantId": tenant, "objectId": object_id, "permissions": {}}),
    };
    // Each type given replaces that type's list; the others are kept.
    for (param, kind) in [
        ("PermissionsToKeys", "keys"),
        ("PermissionsToSecrets", "secrets"),
        ("PermissionsToCertificates", "certificates"),
    ] {
        if let Some(list) = b.strings(param) {
            policy["permissions"][kind] = json!(list);
        }
    }
    if let Some(app) = b.str("ApplicationId") {
        policy["applicationId"] = json!(app);
    }
    match index {
        Some(i) => policies.insert(i, policy),
        None => policies.push(policy),
    }
    v["properties"]["accessPolicies"] = Json::Array(policies);
    let v = put_vault(sh, v)?;
    Ok(if b.switch("PassThru") {
        vec![vault_object(&v)]
    } else {
        Vec::new()
    })
}

fn key_url(vault: &str, path: &str) -> String {
    format!(
        "https://{vault}.vault.azure.net/keys/{path}?api-version={}",
        api::KEYVAULT_DATA
    )
}

/// A date parameter (`-Expires (Get-Date).AddYears(1)` is not in the subset: an ISO date).
fn unix_time(text: &str, param: &str) -> Result<i64, Failure> {
    crate::engine::query::lexer::parse_datetime(text.trim())
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(|| {
            format!(
                "Cannot process argument transformation on parameter '{param}'. Cannot convert value \"{text}\" to type \"System.DateTime\"."
            )
        })
}

fn add_key(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (vault, name) = (b.must("VaultName"), b.must("Name"));
    let hsm = b
        .str("Destination")
        .is_some_and(|d| d.eq_ignore_ascii_case("HSM"));
    let kty = b.str("KeyType").unwrap_or_else(|| "RSA".into());
    let kty = if hsm { format!("{kty}-HSM") } else { kty };
    let mut body = json!({"kty": kty, "attributes": {"enabled": !b.switch("Disable")}});
    if let Some(size) = b.int("Size") {
        body["key_size"] = json!(size);
    }
    if let Some(ops) = b.strings("KeyOps") {
        body["key_ops"] = json!(ops);
    }
    if let Some(e) = b.str("Expires") {
        body["attributes"]["exp"] = json!(unix_time(&e, "Expires")?);
    }
    if let Some(n) = b.str("NotBefore") {
        body["attributes"]["nbf"] = json!(unix_time(&n, "NotBefore")?);
    }
    if let Some(t) = b.get("Tag") {
        body["tags"] = t.body();
    }
    let k = ok_or(
        sh.send(
            "POST",
            &key_url(&vault, &format!("{name}/create")),
            Some(&body),
        ),
        false,
    )?;
    Ok(vec![key_object(&vault, &k)])
}

fn get_key(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let vault = b.must("VaultName");
    match (b.str("Name"), b.str("Version"), b.switch("IncludeVersions")) {
        (Some(name), _, true) => {
            let list = ok_or(
                sh.send("GET", &key_url(&vault, &format!("{name}/versions")), None),
                false,
            )?;
            Ok(list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|k| key_object(&vault, &json!({"key": {"kid": k["kid"]}, "attributes": k["attributes"], "tags": k["tags"]})))
                .collect())
        }
        (Some(name), version, false) => {
            let path = match version {
                Some(v) => format!("{name}/{v}"),
                None => name,
            };
            let k = ok_or(sh.send("GET", &key_url(&vault, &path), None), false)?;
            Ok(vec![key_object(&vault, &k)])
        }
        (None, _, _) => {
            let url = format!(
                "https://{vault}.vault.azure.net/keys?api-version={}",
                api::KEYVAULT_DATA
            );
            let list = ok_or(sh.send("GET", &url, None), false)?;
            Ok(list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|k| key_object(&vault, &json!({"key": {"kid": k["kid"]}, "attributes": k["attributes"], "tags": k["tags"]})))
                .collect())
        }
    }
}

fn update_key(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (vault, name) = (b.must("VaultName"), b.must("Name"));
    let mut body = json!({"attributes": {}});
    if let Some(e) = b.bool("Enable") {
        body["attributes"]["enabled"] = json!(e);
    }
    if let Some(e) = b.str("Expires") {
        body["attributes"]["exp"] = json!(unix_time(&e, "Expires")?);
    }
    if let Some(n) = b.str("NotBefore") {
        body["attributes"]["nbf"] = json!(unix_time(&n, "NotBefore")?);
    }
    if let Some(ops) = b.strings("KeyOps") {
        body["key_ops"] = json!(ops);
    }
    if let Some(t) = b.get("Tag") {
        body["tags"] = t.body();
    }
    let path = format!("{name}/{}", b.str("Version").unwrap_or_default());
    let k = ok_or(
        sh.send("PATCH", &key_url(&vault, &path), Some(&body)),
        false,
    )?;
    Ok(if b.switch("PassThru") {
        vec![key_object(&vault, &k)]
    } else {
        Vec::new()
    })
}

fn rotate_key(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (vault, name) = (b.must("VaultName"), b.must("Name"));
    let k = ok_or(
        sh.send(
            "POST",
            &key_url(&vault, &format!("{name}/rotate")),
            Some(&json!({})),
        ),
        false,
    )?;
    Ok(vec![key_object(&vault, &k)])
}

fn cluster_url(sh: &Pwsh, rg: &str, name: &str) -> String {
    format!(
        "{ARM}/subscriptions/{}/resourcegroups/{rg}/providers/Microsoft.OperationalInsights/clusters/{name}?api-version={}",
        sh.subscription(),
        api::CLUSTERS
    )
}

/// `-AsJob`: the request is sent and the cmdlet returns at once, as a job would let the
/// script go on; the console does not keep jobs, so the operation is followed with
/// Get-AzOperationalInsightsCluster.
fn as_job(
    sh: &mut Pwsh,
    method: &str,
    url: &str,
    body: &Json,
    name: &str,
) -> Result<Vec<Ps>, Failure> {
    let r = sh.send(method, url, Some(body));
    if r.status >= 400 {
        return Err(failure(&r, true));
    }
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.Common.AzureLongRunningJob")
            .with("Id", Ps::Int(1))
            .with(
                "Name",
                Ps::str(format!("Long Running Operation for '{name}'")),
            )
            .with("PSJobTypeName", Ps::str("AzureLongRunningJob`1"))
            .with("State", Ps::str("Running")),
    )])
}

fn new_cluster(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, name) = (b.must("ResourceGroupName"), b.must("ClusterName"));
    let mut props = json!({});
    if let Some(t) = b.str("BillingType") {
        props["billingType"] = json!(t);
    }
    if let Some(z) = b.bool("IsAvailabilityZonesEnabled") {
        props["isAvailabilityZonesEnabled"] = json!(z);
    }
    if let Some(d) = b.bool("IsDoubleEncryptionEnabled") {
        props["isDoubleEncryptionEnabled"] = json!(d);
    }
    if b.has("KeyVaultUri") || b.has("KeyName") || b.has("KeyVersion") {
        props["keyVaultProperties"] = json!({
            "keyVaultUri": b.str("KeyVaultUri"),
            "keyName": b.str("KeyName"),
            "keyVersion": b.str("KeyVersion"),
        });
    }
    let body = json!({
        "location": b.must("Location"),
        "identity": {"type": b.str("IdentityType").unwrap_or_else(|| "SystemAssigned".into())},
        "sku": {"name": b.str("SkuName").unwrap_or_else(|| "CapacityReservation".into()), "capacity": b.int("SkuCapacity")},
        "properties": props,
        "tags": b.get("Tag").map(Ps::body).unwrap_or(json!({})),
    });
    let url = cluster_url(sh, &rg, &name);
    if b.switch("AsJob") {
        return as_job(sh, "PUT", &url, &body, &name);
    }
    let c = sh
        .lro("PUT", &url, Some(&body))
        .map_err(|r| failure(&r, true))?;
    Ok(vec![cluster_object(&c)])
}

fn update_cluster(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, name) = (b.must("ResourceGroupName"), b.must("ClusterName"));
    // Az.OperationalInsights sends a ClusterPatch: only what was given.
    let mut body = json!({});
    if b.has("KeyVaultUri") || b.has("KeyName") || b.has("KeyVersion") {
        body["properties"]["keyVaultProperties"] = json!({
            "keyVaultUri": b.str("KeyVaultUri"),
            "keyName": b.str("KeyName"),
            "keyVersion": b.str("KeyVersion"),
        });
    }
    if let Some(t) = b.str("BillingType") {
        body["properties"]["billingType"] = json!(t);
    }
    if let Some(c) = b.int("SkuCapacity") {
        body["sku"] = json!({"name": b.str("SkuName").unwrap_or_else(|| "CapacityReservation".into()), "capacity": c});
    }
    if let Some(t) = b.str("IdentityType") {
        body["identity"] = json!({"type": t});
    }
    if let Some(t) = b.get("Tag") {
        body["tags"] = t.body();
    }
    let url = cluster_url(sh, &rg, &name);
    if b.switch("AsJob") {
        return as_job(sh, "PATCH", &url, &body, &name);
    }
    let c = sh
        .lro("PATCH", &url, Some(&body))
        .map_err(|r| failure(&r, true))?;
    Ok(vec![cluster_object(&c)])
}

fn get_cluster(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let sub = sh.subscription();
    match (b.str("ResourceGroupName"), b.str("ClusterName")) {
        (Some(rg), Some(name)) => {
            let url = cluster_url(sh, &rg, &name);
            let c = ok_or(sh.send("GET", &url, None), true)?;
            Ok(vec![cluster_object(&c)])
        }
        (rg, _) => {
            let url = match rg {
                Some(rg) => format!(
                    "{ARM}/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.OperationalInsights/clusters?api-version={}",
                    api::CLUSTERS
                ),
                None => format!(
                    "{ARM}/subscriptions/{sub}/providers/Microsoft.OperationalInsights/clusters?api-version={}",
                    api::CLUSTERS
                ),
            };
            let list = ok_or(sh.send("GET", &url, None), true)?;
            Ok(list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(cluster_object)
                .collect())
        }
    }
}

fn workspace_url(sh: &Pwsh, rg: &str, name: &str, child: &str, api: &str) -> String {
    format!(
        "{ARM}/subscriptions/{}/resourcegroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}{child}?api-version={api}",
        sh.subscription()
    )
}

fn new_workspace(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, name) = (b.must("ResourceGroupName"), b.must("Name"));
    let sku = b
        .str("Sku")
        .unwrap_or_else(|| "pergb2018".into())
        .to_ascii_lowercase();
    let sku = if sku == "pergb2018" {
        "PerGB2018".to_string()
    } else {
        sku
    };
    let mut props = json!({"sku": {"name": sku}});
    if let Some(r) = b.int("RetentionInDays") {
        props["retentionInDays"] = json!(r);
    }
    let body = json!({
        "location": b.must("Location"),
        "properties": props,
        "tags": b.get("Tag").map(Ps::body).unwrap_or(json!({})),
    });
    let url = workspace_url(sh, &rg, &name, "", api::WORKSPACES);
    let w = sh
        .lro("PUT", &url, Some(&body))
        .map_err(|r| failure(&r, true))?;
    Ok(vec![workspace_object(&w)])
}

fn get_workspace(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    match (b.str("ResourceGroupName"), b.str("Name")) {
        (Some(rg), Some(name)) => {
            let url = workspace_url(sh, &rg, &name, "", api::WORKSPACES);
            let w = ok_or(sh.send("GET", &url, None), true)?;
            Ok(vec![workspace_object(&w)])
        }
        (rg, _) => {
            let sub = sh.subscription();
            let scope = rg.map_or(String::new(), |rg| format!("/resourcegroups/{rg}"));
            let url = format!(
                "{ARM}/subscriptions/{sub}{scope}/providers/Microsoft.OperationalInsights/workspaces?api-version={}",
                api::WORKSPACES
            );
            let list = ok_or(sh.send("GET", &url, None), true)?;
            Ok(list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(workspace_object)
                .collect())
        }
    }
}

fn new_linked_service(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, ws, name) = (
        b.must("ResourceGroupName"),
        b.must("WorkspaceName"),
        b.must("LinkedServiceName"),
    );
    let mut props = json!({});
    if let Some(w) = b.str("WriteAccessResourceId") {
        props["writeAccessResourceId"] = json!(w);
    }
    if let Some(r) = b.str("ResourceId") {
        props["resourceId"] = json!(r);
    }
    let body =
        json!({"properties": props, "tags": b.get("Tag").map(Ps::body).unwrap_or(json!({}))});
    let url = workspace_url(sh, &rg, &ws, &format!("/linkedServices/{name}"), api::LINKS);
    if b.switch("AsJob") {
        return as_job(sh, "PUT", &url, &body, &name);
    }
    let l = sh
        .lro("PUT", &url, Some(&body))
        .map_err(|r| failure(&r, false))?;
    let id = l["id"].as_str().unwrap_or("");
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSLinkedService")
            .with("Name", s(&l["name"]))
            .with("ResourceGroupName", Ps::str(rg_of(id)))
            .with("WorkspaceName", Ps::str(ws))
            .with("Id", Ps::str(id))
            .with("ResourceId", s(&l["properties"]["resourceId"]))
            .with(
                "WriteAccessResourceId",
                s(&l["properties"]["writeAccessResourceId"]),
            )
            .with(
                "ProvisioningState",
                s(&l["properties"]["provisioningState"]),
            )
            .with("Tags", tags(&l["tags"])),
    )])
}

fn new_linked_storage(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, ws, kind) = (
        b.must("ResourceGroupName"),
        b.must("WorkspaceName"),
        b.must("DataSourceType"),
    );
    let ids = b.strings("StorageAccountIds").unwrap_or_default();
    let body = json!({"properties": {"storageAccountIds": ids}});
    let url = workspace_url(
        sh,
        &rg,
        &ws,
        &format!("/linkedStorageAccounts/{kind}"),
        api::LINKS,
    );
    let l = ok_or(sh.send("PUT", &url, Some(&body)), false)?;
    Ok(vec![Ps::Object(
        PsObject::new(
            "Microsoft.Azure.Commands.OperationalInsights.Models.PSLinkedStorageAccountsResource",
        )
        .with("Id", s(&l["id"]))
        .with("Name", s(&l["name"]))
        .with("Type", s(&l["type"]))
        .with("DataSourceType", s(&l["properties"]["dataSourceType"]))
        .with(
            "StorageAccountIds",
            s(&l["properties"]["storageAccountIds"]),
        ),
    )])
}

fn get_saved_searches(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let (rg, ws) = (b.must("ResourceGroupName"), b.must("WorkspaceName"));
    let search = |v: &Json| {
        Ps::Object(
            PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSSavedSearch")
                .with("Id", s(&v["id"]))
                .with("Name", s(&v["name"]))
                .with("ETag", s(&v["etag"]))
                .with("Properties", Ps::from_json(&v["properties"])),
        )
    };
    match b.str("SavedSearchId") {
        Some(id) => {
            let url = workspace_url(sh, &rg, &ws, &format!("/savedSearches/{id}"), api::LINKS);
            Ok(vec![search(&ok_or(sh.send("GET", &url, None), false)?)])
        }
        None => {
            let url = workspace_url(sh, &rg, &ws, "/savedSearches", api::LINKS);
            let list = ok_or(sh.send("GET", &url, None), false)?;
            let values: Vec<Ps> = list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(search)
                .collect();
            Ok(vec![Ps::Object(
                PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Models.PSSearchGetSavedSearchResponse")
                    .with("Value", Ps::Array(values)),
            )])
        }
    }
}

fn query(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let id = b.must("WorkspaceId");
    let mut body = json!({"query": b.must("Query")});
    if let Some(t) = b.str("Timespan") {
        body["timespan"] = json!(t);
    }
    if let Some(w) = b.strings("AdditionalWorkspace") {
        body["workspaces"] = json!(w);
    }
    let url = format!("https://api.loganalytics.io/v1/workspaces/{id}/query");
    let r = sh.send("POST", &url, Some(&body));
    if r.status >= 400 {
        let e = &r.body["error"];
        let inner = &e["innererror"];
        let mut m = format!(
            "Operation returned an invalid status code '{}'",
            status_name(r.status)
        );
        if let Some(msg) = inner["message"].as_str().or_else(|| e["message"].as_str()) {
            m.push_str(&format!(
                "\n    Body: ({}) {msg}",
                inner["code"]
                    .as_str()
                    .or_else(|| e["code"].as_str())
                    .unwrap_or("")
            ));
        }
        return Err(m);
    }
    // Results: one PSCustomObject per row of the first table, cells as strings (the module
    // converts every cell to its text).
    let table = &r.body["tables"][0];
    let cols: Vec<String> = table["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    let rows: Vec<Ps> = table["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let mut o = PsObject::new("System.Management.Automation.PSCustomObject");
            for (k, c) in cols.iter().enumerate() {
                let cell = &row[k];
                let text = match cell {
                    Json::String(x) => x.clone(),
                    Json::Null => String::new(),
                    other => other.to_string(),
                };
                o.props.push((c.clone(), Ps::Str(text)));
            }
            Ps::Object(o)
        })
        .collect();
    let partial = r.body["error"].clone();
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.OperationalInsights.Query.PSQueryResponse")
            .with("Results", Ps::Array(rows))
            .with("Render", Ps::from_json(&r.body["render"]))
            .with("Statistics", Ps::from_json(&r.body["statistics"]))
            .with("Error", Ps::from_json(&partial)),
    )])
}

/// A role assignment's name (a GUID), derived from what it assigns: the console is
/// deterministic so a replay sends the same requests (the module draws a random GUID).
fn assignment_guid(scope: &str, principal: &str, role: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{scope}|{principal}|{role}").as_bytes());
    let x: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

fn new_role_assignment(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let sub = sh.subscription();
    let scope = match (b.str("Scope"), b.str("ResourceGroupName")) {
        (Some(s), _) => s,
        (None, Some(rg)) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        (None, None) => format!("/subscriptions/{sub}"),
    };
    let Some(principal) = b.str("ObjectId") else {
        return Err("Parameter set cannot be resolved using the specified named parameters: the console assigns roles by -ObjectId.".into());
    };
    let role_id = match (b.str("RoleDefinitionId"), b.str("RoleDefinitionName")) {
        (Some(id), _) => format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{id}"),
        (None, Some(name)) => {
            let url = format!(
                "{ARM}{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'{}'&api-version={}",
                name.replace(' ', "%20"),
                api::AUTHORIZATION
            );
            let list = ok_or(sh.send("GET", &url, None), false)?;
            list["value"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| d["properties"]["roleName"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&name)))
                .and_then(|d| d["id"].as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("Cannot find role definition with name '{name}'."))?
        }
        (None, None) => return Err("Cannot process command because of one or more missing mandatory parameters: RoleDefinitionName.".into()),
    };
    let guid = assignment_guid(&scope, &principal, &role_id);
    let url = format!(
        "{ARM}{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}?api-version={}",
        api::AUTHORIZATION
    );
    let mut props = json!({"roleDefinitionId": role_id, "principalId": principal});
    if let Some(t) = b.str("ObjectType") {
        props["principalType"] = json!(t);
    }
    let a = ok_or(
        sh.send("PUT", &url, Some(&json!({"properties": props}))),
        false,
    )?;
    let p = &a["properties"];
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.Resources.Models.Authorization.PSRoleAssignment")
            .with("RoleAssignmentName", s(&a["name"]))
            .with("RoleAssignmentId", s(&a["id"]))
            .with("Scope", s(&p["scope"]))
            .with("DisplayName", Ps::Null)
            .with("SignInName", Ps::Null)
            .with(
                "RoleDefinitionName",
                Ps::str(b.str("RoleDefinitionName").unwrap_or_default()),
            )
            .with(
                "RoleDefinitionId",
                Ps::str(role_id.rsplit('/').next().unwrap_or("")),
            )
            .with("ObjectId", s(&p["principalId"]))
            .with("ObjectType", s(&p["principalType"]))
            .with("CanDelegate", Ps::Bool(false)),
    )])
}

fn register_provider(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let ns = b.must("ProviderNamespace");
    let url = format!(
        "{ARM}/subscriptions/{}/providers/{ns}/register?api-version={}",
        sh.subscription(),
        api::RESOURCES
    );
    let r = ok_or(sh.send("POST", &url, None), false)?;
    Ok(vec![Ps::Object(
        PsObject::new(
            "Microsoft.Azure.Commands.ResourceManager.Cmdlets.SdkModels.PSResourceProvider",
        )
        .with("ProviderNamespace", s(&r["namespace"]))
        .with("RegistrationState", s(&r["registrationState"]))
        .with(
            "ResourceTypes",
            Ps::Array(
                r["resourceTypes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| s(&t["resourceType"]))
                    .collect(),
            ),
        )
        .with("Locations", Ps::Array(Vec::new())),
    )])
}

fn invoke_rest(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let method = b
        .str("Method")
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let url = match (b.str("Uri"), b.str("Path")) {
        (Some(u), _) => u,
        (None, Some(p)) => format!("{ARM}{}{p}", if p.starts_with('/') { "" } else { "/" }),
        (None, None) => {
            return Err("Parameter set cannot be resolved using the specified named parameters: give -Path (ARM) or -Uri.".into());
        }
    };
    let body = match b.str("Payload") {
        Some(p) => Some(
            serde_json::from_str::<Json>(&p)
                .map_err(|e| format!("The payload is not JSON: {e}"))?,
        ),
        None => None,
    };
    let r = sh.send(&method, &url, body.as_ref());
    let content = if r.body.is_null() {
        String::new()
    } else {
        r.body.to_string()
    };
    Ok(vec![Ps::Object(
        PsObject::new("Microsoft.Azure.Commands.Profile.Models.PSHttpResponse")
            .with(
                "Headers",
                Ps::str(
                    r.headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            )
            .with("Version", Ps::str("1.1"))
            .with("StatusCode", Ps::Int(i64::from(r.status)))
            .with("Method", Ps::str(method))
            .with("Content", Ps::str(content)),
    )])
}

fn start_sleep(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let secs = b.int("Seconds").unwrap_or(0).max(0) as u64
        + (b.int("Milliseconds").unwrap_or(0).max(0) as u64).div_ceil(1000);
    sh.sleep(secs);
    Ok(Vec::new())
}

fn write_output(_: &mut Pwsh, b: &Bound, input: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    Ok(match b.get("InputObject") {
        Some(Ps::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => input,
    })
}

fn write_host(sh: &mut Pwsh, b: &Bound, _: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let text = b.get("Object").map(Ps::text).unwrap_or_default();
    sh.host(&text, !b.switch("NoNewline"));
    Ok(Vec::new())
}

fn input_of(b: &Bound, input: Vec<Ps>) -> Vec<Ps> {
    match b.get("InputObject") {
        Some(Ps::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
        None => input,
    }
}

fn select_object(_: &mut Pwsh, b: &Bound, input: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let mut items = input_of(b, input);
    if let Some(n) = b.int("First") {
        items.truncate(n.max(0) as usize);
    }
    if let Some(p) = b.str("ExpandProperty") {
        let mut out = Vec::new();
        for i in &items {
            let Ps::Object(o) = i else { continue };
            match o.get(&p) {
                Some(Ps::Array(a)) => out.extend(a.iter().cloned()),
                Some(v) => out.push(v.clone()),
                None => {
                    return Err(format!("Property \"{p}\" cannot be found."));
                }
            }
        }
        return Ok(out);
    }
    let Some(props) = b.strings("Property") else {
        return Ok(items);
    };
    Ok(items
        .into_iter()
        .map(|i| {
            let mut o = PsObject::new("Selected.System.Management.Automation.PSCustomObject");
            for p in &props {
                o.props.push((p.clone(), i.member(p)));
            }
            Ps::Object(o)
        })
        .collect())
}

fn format_list(sh: &mut Pwsh, b: &Bound, input: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let items = input_of(b, input);
    let props = b.strings("Property");
    sh.host(&value::format_list(&items, props.as_deref()), false);
    Ok(Vec::new())
}

fn format_table(sh: &mut Pwsh, b: &Bound, input: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let items = input_of(b, input);
    let props = b.strings("Property");
    sh.host(&value::format_table(&items, props.as_deref()), false);
    Ok(Vec::new())
}

fn convert_to_json(sh: &mut Pwsh, b: &Bound, input: Vec<Ps>) -> Result<Vec<Ps>, Failure> {
    let items = input_of(b, input);
    let depth = b.int("Depth").unwrap_or(2).clamp(0, 100) as usize;
    let (text, truncated) = value::convert_to_json(&items, depth, b.switch("Compress"));
    if truncated {
        sh.warn(&format!(
            "Resulting JSON is truncated as serialization has exceeded the set depth of {depth}."
        ));
    }
    Ok(vec![Ps::Str(text)])
}
