//! The commands: their options (the CLI's names, defaults and choices) and the requests each
//! sends, in the CLI's order (next-features.md §3).

use serde_json::{Map, Value, json};

use super::args::{Args, Kind, Opt, opt, req};
use super::{ARM, AzError, Ctx, QUERY_API, api};

type Run = fn(&mut Ctx, &Args) -> Result<Value, AzError>;

/// One `az` command.
pub struct Command {
    pub name: &'static str,
    pub summary: &'static str,
    pub opts: &'static [Opt],
    pub run: Run,
}

const G: Opt = req(&["--resource-group", "-g"], Kind::Value);
const G_OPT: Opt = opt(&["--resource-group", "-g"], Kind::Value);
const N: Opt = req(&["--name", "-n"], Kind::Value);
const L: Opt = opt(&["--location", "-l"], Kind::Value);
const TAGS: Opt = opt(&["--tags"], Kind::Many);
const NO_WAIT: Opt = opt(&["--no-wait"], Kind::Flag);
const YES: Opt = opt(&["--yes", "-y"], Kind::Flag);
const VAULT: Opt = req(&["--vault-name"], Kind::Value);
const KEY_VERSION: Opt = opt(&["--version", "-v"], Kind::Value);
const WS_NAME: Opt = req(&["--workspace-name"], Kind::Value);
/// `linked-storage` names the workspace with `-n`.
const WS_N: Opt = req(&["--workspace-name", "-n"], Kind::Value);

const KEY_OPS: &[&str] = &[
    "decrypt",
    "encrypt",
    "export",
    "import",
    "sign",
    "unwrapKey",
    "verify",
    "wrapKey",
];
// The permission names an access policy may hold are Key Vault's, kept in one place.
use crate::engine::keyvault::access::{
    CERTIFICATE_PERMISSIONS, KEY_PERMISSIONS, SECRET_PERMISSIONS,
};
const STORAGE_PERMISSIONS: &[&str] = &[
    "all",
    "backup",
    "delete",
    "deletesas",
    "get",
    "getsas",
    "list",
    "listsas",
    "purge",
    "recover",
    "regeneratekey",
    "restore",
    "set",
    "setsas",
    "update",
];
const CAPACITIES: &[&str] = &[
    "100", "200", "300", "400", "500", "1000", "2000", "5000", "10000", "25000", "50000",
];
const IDENTITY_TYPES: &[&str] = &[
    "SystemAssigned",
    "UserAssigned",
    "SystemAssigned,UserAssigned",
    "None",
];
const LINKED_STORAGE_TYPES: &[&str] =
    &["Query", "Alerts", "CustomLogs", "AzureWatson", "Ingestion"];

pub static COMMANDS: &[Command] = &[
    Command {
        name: "account show",
        summary: "Get the details of a subscription.",
        opts: &[],
        run: account_show,
    },
    Command {
        name: "account list",
        summary: "Get a list of subscriptions for the logged in account.",
        opts: &[opt(&["--all"], Kind::Flag)],
        run: account_list,
    },
    Command {
        name: "group create",
        summary: "Create a new resource group.",
        opts: &[N, req(&["--location", "-l"], Kind::Value), TAGS],
        run: group_create,
    },
    Command {
        name: "group show",
        summary: "Gets a resource group.",
        opts: &[N],
        run: group_show,
    },
    Command {
        name: "provider register",
        summary: "Register a provider.",
        opts: &[
            req(&["--namespace", "-n"], Kind::Value),
            opt(&["--wait"], Kind::Flag),
        ],
        run: provider_register,
    },
    Command {
        name: "provider show",
        summary: "Gets the specified resource provider.",
        opts: &[req(&["--namespace", "-n"], Kind::Value)],
        run: provider_show,
    },
    Command {
        name: "keyvault create",
        summary: "Create a Vault.",
        opts: &[
            N,
            G,
            L,
            opt(&["--sku"], Kind::Choice(&["standard", "premium"])),
            opt(&["--enable-rbac-authorization"], Kind::Bool),
            opt(&["--enable-purge-protection"], Kind::Bool),
            opt(&["--enable-soft-delete"], Kind::Bool),
            opt(&["--retention-days"], Kind::Value),
            opt(&["--no-self-perms"], Kind::Bool),
            opt(
                &["--public-network-access"],
                Kind::Choice(&["Disabled", "Enabled"]),
            ),
            opt(&["--bypass"], Kind::Choice(&["AzureServices", "None"])),
            opt(&["--default-action"], Kind::Choice(&["Allow", "Deny"])),
            opt(&["--enabled-for-deployment"], Kind::Bool),
            opt(&["--enabled-for-disk-encryption"], Kind::Bool),
            opt(&["--enabled-for-template-deployment"], Kind::Bool),
            TAGS,
            NO_WAIT,
        ],
        run: keyvault_create,
    },
    Command {
        name: "keyvault update",
        summary: "Update the properties of a Vault.",
        opts: &[
            N,
            G_OPT,
            opt(&["--enable-rbac-authorization"], Kind::Bool),
            opt(&["--enable-purge-protection"], Kind::Bool),
            opt(&["--enable-soft-delete"], Kind::Bool),
            opt(&["--retention-days"], Kind::Value),
            opt(
                &["--public-network-access"],
                Kind::Choice(&["Disabled", "Enabled"]),
            ),
            opt(&["--bypass"], Kind::Choice(&["AzureServices", "None"])),
            opt(&["--default-action"], Kind::Choice(&["Allow", "Deny"])),
            NO_WAIT,
        ],
        run: keyvault_update,
    },
    Command {
        name: "keyvault set-policy",
        summary: "Update security policy settings for a Key Vault.",
        opts: &[
            N,
            G_OPT,
            opt(&["--object-id"], Kind::Value),
            opt(&["--spn"], Kind::Value),
            opt(&["--upn"], Kind::Value),
            opt(&["--application-id"], Kind::Value),
            opt(&["--key-permissions"], Kind::Many),
            opt(&["--secret-permissions"], Kind::Many),
            opt(&["--certificate-permissions"], Kind::Many),
            opt(&["--storage-permissions"], Kind::Many),
            NO_WAIT,
        ],
        run: keyvault_set_policy,
    },
    Command {
        name: "keyvault delete-policy",
        summary: "Delete security policy settings for a Key Vault.",
        opts: &[
            N,
            G_OPT,
            opt(&["--object-id"], Kind::Value),
            opt(&["--spn"], Kind::Value),
            opt(&["--upn"], Kind::Value),
            opt(&["--application-id"], Kind::Value),
            NO_WAIT,
        ],
        run: keyvault_delete_policy,
    },
    Command {
        name: "keyvault show",
        summary: "Show details of a Vault.",
        opts: &[N, G_OPT],
        run: keyvault_show,
    },
    Command {
        name: "keyvault delete",
        summary: "Delete a Vault.",
        opts: &[N, G_OPT],
        run: keyvault_delete,
    },
    Command {
        name: "keyvault key create",
        summary: "Create a new key, store it, then return key parameters and attributes to the client.",
        opts: &[
            VAULT,
            N,
            opt(
                &["--kty"],
                Kind::Choice(&["EC", "EC-HSM", "RSA", "RSA-HSM", "oct", "oct-HSM"]),
            ),
            opt(&["--size"], Kind::Value),
            opt(
                &["--curve"],
                Kind::Choice(&["P-256", "P-256K", "P-384", "P-521"]),
            ),
            opt(&["--ops"], Kind::Many),
            opt(&["--protection", "-p"], Kind::Choice(&["hsm", "software"])),
            opt(&["--disabled"], Kind::Bool),
            opt(&["--expires"], Kind::Value),
            opt(&["--not-before"], Kind::Value),
            opt(&["--exportable"], Kind::Bool),
            TAGS,
        ],
        run: key_create,
    },
    Command {
        name: "keyvault key rotate",
        summary: "Rotate the key based on the key policy by generating a new version of the key.",
        opts: &[VAULT, N],
        run: key_rotate,
    },
    Command {
        name: "keyvault key show",
        summary: "Get a key's attributes and, if it's an asymmetric key, its public material.",
        opts: &[VAULT, N, KEY_VERSION],
        run: key_show,
    },
    Command {
        name: "keyvault key list-versions",
        summary: "List the identifiers and properties of a key's versions.",
        opts: &[VAULT, N, opt(&["--maxresults"], Kind::Value)],
        run: key_list_versions,
    },
    Command {
        name: "keyvault key set-attributes",
        summary: "The update key operation changes specified attributes of a stored key and can be applied to any key type and key version stored in Vault or HSM.",
        opts: &[
            VAULT,
            N,
            KEY_VERSION,
            opt(&["--enabled"], Kind::Bool),
            opt(&["--expires"], Kind::Value),
            opt(&["--not-before"], Kind::Value),
            opt(&["--ops"], Kind::Many),
            TAGS,
        ],
        run: key_set_attributes,
    },
    Command {
        name: "keyvault key delete",
        summary: "Delete a key of any type from storage in Vault or HSM.",
        opts: &[VAULT, N],
        run: key_delete,
    },
    Command {
        name: "keyvault key recover",
        summary: "Recover the deleted key to its latest version.",
        opts: &[VAULT, N],
        run: key_recover,
    },
    Command {
        name: "keyvault key purge",
        summary: "Permanently delete the specified key.",
        opts: &[VAULT, N],
        run: key_purge,
    },
    Command {
        name: "keyvault key rotation-policy show",
        summary: "Get the rotation policy of a Key Vault key.",
        opts: &[VAULT, N],
        run: rotation_policy_show,
    },
    Command {
        name: "keyvault key rotation-policy update",
        summary: "Update the rotation policy of a Key Vault key.",
        opts: &[VAULT, N, req(&["--value"], Kind::Value)],
        run: rotation_policy_update,
    },
    Command {
        name: "role assignment create",
        summary: "Create a new role assignment for a user, group, or service principal.",
        opts: &[
            req(&["--role"], Kind::Value),
            opt(&["--assignee"], Kind::Value),
            opt(&["--assignee-object-id"], Kind::Value),
            opt(
                &["--assignee-principal-type"],
                Kind::Choice(&[
                    "Device",
                    "ForeignGroup",
                    "Group",
                    "ServicePrincipal",
                    "User",
                ]),
            ),
            opt(&["--scope"], Kind::Value),
            G_OPT,
            opt(&["--description"], Kind::Value),
        ],
        run: role_assignment_create,
    },
    Command {
        name: "role assignment list",
        summary: "List role assignments.",
        opts: &[
            opt(&["--assignee"], Kind::Value),
            opt(&["--role"], Kind::Value),
            opt(&["--scope"], Kind::Value),
            G_OPT,
            opt(&["--all"], Kind::Flag),
        ],
        run: role_assignment_list,
    },
    Command {
        name: "role assignment delete",
        summary: "Delete role assignments.",
        opts: &[
            opt(&["--assignee"], Kind::Value),
            opt(&["--role"], Kind::Value),
            opt(&["--scope"], Kind::Value),
            G_OPT,
            opt(&["--ids"], Kind::Many),
            YES,
        ],
        run: role_assignment_delete,
    },
    Command {
        name: "identity create",
        summary: "Create an identity.",
        opts: &[N, G, L, TAGS],
        run: identity_create,
    },
    Command {
        name: "monitor log-analytics cluster create",
        summary: "Create a cluster instance.",
        opts: &[
            N,
            G,
            L,
            req(&["--sku-capacity"], Kind::Choice(CAPACITIES)),
            opt(&["--sku-name"], Kind::Choice(&["CapacityReservation"])),
            opt(&["--identity-type", "--type"], Kind::Choice(IDENTITY_TYPES)),
            opt(&["--user-assigned"], Kind::Many),
            opt(&["--key-name"], Kind::Value),
            opt(&["--key-vault-uri"], Kind::Value),
            opt(&["--key-version"], Kind::Value),
            opt(&["--key-rsa-size"], Kind::Value),
            opt(
                &["--billing-type"],
                Kind::Choice(&["Cluster", "Workspaces"]),
            ),
            opt(&["--replication-enabled"], Kind::Bool),
            opt(&["--replication-location"], Kind::Value),
            TAGS,
            NO_WAIT,
        ],
        run: cluster_create,
    },
    Command {
        name: "monitor log-analytics cluster update",
        summary: "Update a cluster instance.",
        opts: &[
            N,
            G,
            opt(&["--sku-capacity"], Kind::Choice(CAPACITIES)),
            opt(&["--identity-type", "--type"], Kind::Choice(IDENTITY_TYPES)),
            opt(&["--user-assigned"], Kind::Many),
            opt(&["--key-name"], Kind::Value),
            opt(&["--key-vault-uri"], Kind::Value),
            opt(&["--key-version"], Kind::Value),
            opt(&["--key-rsa-size"], Kind::Value),
            opt(
                &["--billing-type"],
                Kind::Choice(&["Cluster", "Workspaces"]),
            ),
            opt(&["--replication-enabled"], Kind::Bool),
            TAGS,
            NO_WAIT,
        ],
        run: cluster_update,
    },
    Command {
        name: "monitor log-analytics cluster show",
        summary: "Show the properties of a cluster instance.",
        opts: &[N, G],
        run: cluster_show,
    },
    Command {
        name: "monitor log-analytics cluster list",
        summary: "Get all cluster instances in a resource group or in current subscription.",
        opts: &[G_OPT],
        run: cluster_list,
    },
    Command {
        name: "monitor log-analytics cluster delete",
        summary: "Delete a cluster instance.",
        opts: &[N, G, YES, NO_WAIT],
        run: cluster_delete,
    },
    Command {
        name: "monitor log-analytics cluster wait",
        summary: "Place the CLI in a waiting state until a condition is met.",
        opts: &[
            N,
            G,
            opt(&["--created"], Kind::Flag),
            opt(&["--updated"], Kind::Flag),
            opt(&["--deleted"], Kind::Flag),
            opt(&["--exists"], Kind::Flag),
            opt(&["--custom"], Kind::Value),
            opt(&["--interval"], Kind::Value),
            opt(&["--timeout"], Kind::Value),
        ],
        run: cluster_wait,
    },
    Command {
        name: "monitor log-analytics workspace create",
        summary: "Create a workspace instance.",
        opts: &[
            N,
            G,
            L,
            opt(
                &["--sku"],
                Kind::Choice(&[
                    "CapacityReservation",
                    "Free",
                    "LACluster",
                    "PerGB2018",
                    "PerNode",
                    "Premium",
                    "Standalone",
                    "Standard",
                ]),
            ),
            opt(&["--retention-time"], Kind::Value),
            opt(&["--quota"], Kind::Value),
            opt(
                &["--ingestion-access"],
                Kind::Choice(&["Disabled", "Enabled"]),
            ),
            opt(&["--query-access"], Kind::Choice(&["Disabled", "Enabled"])),
            opt(
                &["--identity-type", "--type"],
                Kind::Choice(&["SystemAssigned", "UserAssigned", "None"]),
            ),
            opt(&["--level"], Kind::Value),
            TAGS,
            NO_WAIT,
        ],
        run: workspace_create,
    },
    Command {
        name: "monitor log-analytics workspace show",
        summary: "Show a workspace instance.",
        opts: &[N, G],
        run: workspace_show,
    },
    Command {
        name: "monitor log-analytics workspace delete",
        summary: "Delete a workspace instance.",
        opts: &[N, G, opt(&["--force", "-f"], Kind::Bool), YES, NO_WAIT],
        run: workspace_delete,
    },
    Command {
        name: "monitor log-analytics workspace linked-service create",
        summary: "Create a linked service.",
        opts: &[
            N,
            G,
            WS_NAME,
            opt(&["--write-access-resource-id"], Kind::Value),
            opt(&["--resource-id"], Kind::Value),
            TAGS,
            NO_WAIT,
        ],
        run: linked_service_create,
    },
    Command {
        name: "monitor log-analytics workspace linked-service show",
        summary: "Show the properties of a linked service.",
        opts: &[N, G, WS_NAME],
        run: linked_service_show,
    },
    Command {
        name: "monitor log-analytics workspace linked-service delete",
        summary: "Delete a linked service.",
        opts: &[N, G, WS_NAME, YES, NO_WAIT],
        run: linked_service_delete,
    },
    Command {
        name: "monitor log-analytics workspace linked-storage create",
        summary: "Create some linked storage accounts for log analytics workspace.",
        opts: &[
            req(&["--type"], Kind::Choice(LINKED_STORAGE_TYPES)),
            G,
            WS_N,
            req(&["--storage-accounts"], Kind::Many),
        ],
        run: linked_storage_create,
    },
    Command {
        name: "monitor log-analytics workspace linked-storage show",
        summary: "List all linked storage accounts with specific data source type for a log analytics workspace.",
        opts: &[
            req(&["--type"], Kind::Choice(LINKED_STORAGE_TYPES)),
            G,
            WS_N,
        ],
        run: linked_storage_show,
    },
    Command {
        name: "monitor log-analytics workspace linked-storage delete",
        summary: "Delete all linked storage accounts with specific data source type for log analytics workspace.",
        opts: &[
            req(&["--type"], Kind::Choice(LINKED_STORAGE_TYPES)),
            G,
            WS_N,
            YES,
        ],
        run: linked_storage_delete,
    },
    Command {
        name: "monitor log-analytics workspace saved-search create",
        summary: "Create a saved search for a given workspace.",
        opts: &[
            N,
            G,
            WS_NAME,
            req(&["--category"], Kind::Value),
            req(&["--display-name"], Kind::Value),
            req(&["--saved-query", "-q"], Kind::Value),
            opt(&["--func-alias", "--fa"], Kind::Value),
            opt(&["--func-param", "--fp"], Kind::Value),
            opt(&["--version"], Kind::Value),
            TAGS,
        ],
        run: saved_search_create,
    },
    Command {
        name: "monitor log-analytics workspace saved-search show",
        summary: "Show a saved search for a given workspace.",
        opts: &[N, G, WS_NAME],
        run: saved_search_show,
    },
    Command {
        name: "monitor log-analytics workspace saved-search list",
        summary: "List all saved searches for a given workspace.",
        opts: &[G, WS_NAME],
        run: saved_search_list,
    },
    Command {
        name: "monitor log-analytics query",
        summary: "Query a Log Analytics workspace.",
        opts: &[
            req(&["--workspace", "-w"], Kind::Value),
            req(&["--analytics-query"], Kind::Value),
            opt(&["--timespan", "-t"], Kind::Value),
            opt(&["--workspaces"], Kind::Many),
        ],
        run: query,
    },
    Command {
        name: "sentinel onboarding-state create",
        summary: "Create Sentinel onboarding state.",
        opts: &[
            G,
            req(&["--workspace-name", "-w"], Kind::Value),
            req(
                &["--name", "-n", "--sentinel-onboarding-state-name"],
                Kind::Value,
            ),
            opt(&["--customer-managed-key"], Kind::Bool),
            opt(&["--etag"], Kind::Value),
        ],
        run: onboarding_create,
    },
    Command {
        name: "sentinel onboarding-state show",
        summary: "Get Sentinel onboarding state.",
        opts: &[
            G,
            req(&["--workspace-name", "-w"], Kind::Value),
            req(
                &["--name", "-n", "--sentinel-onboarding-state-name"],
                Kind::Value,
            ),
        ],
        run: onboarding_show,
    },
    Command {
        name: "rest",
        summary: "Invoke a custom request.",
        opts: &[
            opt(
                &["--method", "-m"],
                Kind::Choice(&["delete", "get", "head", "options", "patch", "post", "put"]),
            ),
            req(&["--url", "--uri", "-u"], Kind::Value),
            opt(&["--body", "-b"], Kind::Value),
            opt(&["--headers"], Kind::Many),
            opt(&["--uri-parameters", "--url-parameters"], Kind::Many),
            opt(&["--resource"], Kind::Value),
        ],
        run: rest,
    },
];

/// Whether some command starts with these words (a group).
pub fn is_group(words: &str) -> bool {
    words.is_empty()
        || COMMANDS
            .iter()
            .any(|c| c.name.starts_with(&format!("{words} ")))
}

/// The next words after a group: its subgroups and commands.
pub fn children(group: &str) -> Vec<String> {
    let prefix = if group.is_empty() {
        String::new()
    } else {
        format!("{group} ")
    };
    let mut out: Vec<String> = COMMANDS
        .iter()
        .filter_map(|c| c.name.strip_prefix(&prefix))
        .filter_map(|rest| rest.split(' ').next())
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

pub fn group_help(group: &str) -> String {
    let name = if group.is_empty() {
        "az".to_string()
    } else {
        format!("az {group}")
    };
    let prefix = if group.is_empty() {
        String::new()
    } else {
        format!("{group} ")
    };
    let (mut subgroups, mut commands) = (Vec::new(), Vec::new());
    for child in children(group) {
        let full = format!("{prefix}{child}");
        match COMMANDS.iter().find(|c| c.name == full) {
            Some(c) => commands.push(format!("    {child:<24}: {}", c.summary)),
            None => subgroups.push(format!("    {child}")),
        }
    }
    let mut s = format!("\nGroup\n    {name}\n");
    if !subgroups.is_empty() {
        s.push_str(&format!("\nSubgroups:\n{}\n", subgroups.join("\n")));
    }
    if !commands.is_empty() {
        s.push_str(&format!("\nCommands:\n{}\n", commands.join("\n")));
    }
    s.push_str("\n(The playground's az console: these are the commands it has.)\n");
    s
}

pub fn help(c: &Command) -> String {
    let mut s = format!(
        "\nCommand\n    az {} : {}\n\nArguments\n",
        c.name, c.summary
    );
    for o in c.opts {
        let names = o.names.join(" ");
        let mut line = format!("    {names:<32}");
        if o.required {
            line.push_str(" [Required]");
        }
        if let Kind::Choice(cs) = o.kind {
            line.push_str(&format!(" Allowed values: {}.", cs.join(", ")));
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str("\nGlobal Arguments\n    --debug --help -h --only-show-errors --output -o --query --subscription --verbose\n");
    s
}

// ---- helpers ------------------------------------------------------------------------------

/// `--tags a=b c` as the CLI reads them.
fn tags(a: &Args) -> Option<Value> {
    a.many("--tags").map(|ts| {
        let mut m = Map::new();
        for t in ts {
            let (k, v) = t.split_once('=').unwrap_or((t.as_str(), ""));
            if !k.is_empty() {
                m.insert(k.to_string(), json!(v));
            }
        }
        Value::Object(m)
    })
}

fn int(a: &Args, name: &str) -> Result<Option<i64>, AzError> {
    a.get(name)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AzError::Usage(format!("argument {name}: invalid int value: '{v}'")))
        })
        .transpose()
}

/// Values of a list option, each one of `choices` (case-insensitive, as the CLI's enums).
fn choices(a: &Args, name: &str, choices: &[&str]) -> Result<Option<Vec<String>>, AzError> {
    let Some(vs) = a.many(name) else {
        return Ok(None);
    };
    vs.iter()
        .map(|v| {
            choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(v))
                .map(|c| c.to_string())
                .ok_or_else(|| {
                    AzError::Usage(format!(
                        "argument {name}: invalid choice: '{v}' (choose from {})",
                        choices
                            .iter()
                            .map(|c| format!("'{c}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `Y-m-dTH:M:SZ` (the CLI's datetime type) to Unix seconds, as Key Vault's attributes take it.
fn unix_time(name: &str, v: &str) -> Result<u64, AzError> {
    let bad = || {
        AzError::Usage(format!(
            "argument {name}: invalid datetime_type value: '{v}'"
        ))
    };
    let s = v.strip_suffix('Z').unwrap_or(v);
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00"));
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || t.len() != 3 {
        return Err(bad());
    }
    let num = |x: &str| x.parse::<u32>().map_err(|_| bad());
    let (y, m, day) = (
        d[0].parse::<i64>().map_err(|_| bad())?,
        num(d[1])?,
        num(d[2])?,
    );
    let (h, mi, sec) = (num(t[0])?, num(t[1])?, num(t[2])?);
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return Err(bad());
    }
    let days = crate::engine::clock::days_from_civil(y, m, day);
    Ok(days as u64 * 86_400 + u64::from(h * 3600 + mi * 60 + sec))
}

fn vault_uri(a: &Args) -> String {
    format!("https://{}.vault.azure.net", a.must("--vault-name"))
}

fn kv_url(a: &Args, path: &str) -> String {
    format!("{}{path}?api-version={}", vault_uri(a), api::KEYVAULT_DATA)
}

/// A resource group's location: the CLI's default for `--location`.
fn location(cx: &mut Ctx, a: &Args, rg: &str) -> Result<String, AzError> {
    if let Some(l) = a.get("--location") {
        return Ok(l.to_string());
    }
    let url = cx.arm_url(&cx.rg_path(rg), api::RESOURCES);
    let g = cx.call("GET", &url, None)?;
    Ok(g["location"].as_str().unwrap_or("").to_string())
}

/// Pages of a list: `value` of every page, following `nextLink`.
fn list(cx: &mut Ctx, url: &str) -> Result<Value, AzError> {
    let mut out = Vec::new();
    let mut next = Some(url.to_string());
    let mut pages = 0;
    while let Some(u) = next.take() {
        let page = cx.call("GET", &u, None)?;
        out.extend(page["value"].as_array().cloned().unwrap_or_default());
        pages += 1;
        next = page["nextLink"]
            .as_str()
            .filter(|n| !n.is_empty() && pages < 1000)
            .map(str::to_string);
    }
    Ok(Value::Array(out))
}

/// aaz commands and the flattening SDK models print a resource's `properties` at its top
/// level (`az monitor log-analytics workspace show --query customerId`); Key Vault's and
/// resource groups' keep them nested.
fn flat(r: Result<Value, AzError>) -> Result<Value, AzError> {
    fn one(mut v: Value) -> Value {
        if let Some(o) = v.as_object_mut() {
            if let Some(Value::Object(props)) = o.remove("properties") {
                for (k, x) in props {
                    o.entry(k).or_insert(x);
                }
            }
        }
        v
    }
    r.map(|v| match v {
        Value::Array(items) => Value::Array(items.into_iter().map(one).collect()),
        v => one(v),
    })
}

fn confirm(a: &Args) -> Result<(), AzError> {
    if a.has("--yes") {
        return Ok(());
    }
    Err(AzError::Cli(
        "Unable to prompt for confirmation as no tty available. Use --yes.".into(),
    ))
}

// ---- account, group, provider --------------------------------------------------------------

fn account_json(cx: &Ctx, id: &str, name: &str) -> Value {
    let default = cx.account.subscriptions.first().is_some_and(|s| s.0 == id);
    json!({
        "environmentName": "AzureCloud",
        "homeTenantId": cx.account.tenant_id,
        "id": id,
        "isDefault": default,
        "managedByTenants": [],
        "name": name,
        "state": "Enabled",
        "tenantId": cx.account.tenant_id,
        "user": { "name": cx.account.user, "type": cx.account.user_type },
    })
}

fn account_show(cx: &mut Ctx, _: &Args) -> Result<Value, AzError> {
    let name = cx
        .account
        .subscriptions
        .iter()
        .find(|s| s.0 == cx.sub)
        .map(|s| s.1.clone())
        .unwrap_or_default();
    Ok(account_json(cx, &cx.sub.clone(), &name))
}

fn account_list(cx: &mut Ctx, _: &Args) -> Result<Value, AzError> {
    let subs = cx.account.subscriptions.clone();
    Ok(Value::Array(
        subs.iter()
            .map(|(id, name)| account_json(cx, id, name))
            .collect(),
    ))
}

fn group_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut body = json!({ "location": a.must("--location") });
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = cx.arm_url(&cx.rg_path(a.must("--name")), api::RESOURCES);
    cx.call("PUT", &url, Some(&body))
}

fn group_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = cx.arm_url(&cx.rg_path(a.must("--name")), api::RESOURCES);
    cx.call("GET", &url, None)
}

fn provider_register(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let ns = a.must("--namespace");
    let path = format!("/subscriptions/{}/providers/{ns}", cx.sub);
    let url = cx.arm_url(&format!("{path}/register"), api::RESOURCES);
    let r = cx.call("POST", &url, None)?;
    let registered = |v: &Value| v["registrationState"].as_str() == Some("Registered");
    if registered(&r) {
        return Ok(Value::Null);
    }
    if !a.has("--wait") {
        cx.warn(&format!(
            "Registering is still on-going. You can monitor using 'az provider show -n {ns}'"
        ));
        return Ok(Value::Null);
    }
    // resource/custom.py `_update_provider`: a GET every 10 seconds until registered.
    let url = cx.arm_url(&path, api::RESOURCES);
    for _ in 0..(super::MAX_POLL_TIME / 10) {
        if cx.sleep(10) == 0 {
            break;
        }
        if registered(&cx.call("GET", &url, None)?) {
            return Ok(Value::Null);
        }
    }
    Err(AzError::Cli(format!("{ns} is still registering.")))
}

fn provider_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = cx.arm_url(
        &format!(
            "/subscriptions/{}/providers/{}",
            cx.sub,
            a.must("--namespace")
        ),
        api::RESOURCES,
    );
    cx.call("GET", &url, None)
}

// ---- Key Vault (management) ----------------------------------------------------------------

fn vault_path(cx: &Ctx, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}",
        cx.rg_path(rg)
    )
}

/// A vault's resource group: `-g`, else found by listing the subscription's vaults as the CLI
/// does (`_get_resource_group_from_vault_name`).
fn vault_group(cx: &mut Ctx, a: &Args) -> Result<String, AzError> {
    if let Some(g) = a.get("--resource-group") {
        return Ok(g.to_string());
    }
    let name = a.must("--name");
    let url = cx.arm_url(
        &format!(
            "/subscriptions/{}/providers/Microsoft.KeyVault/vaults",
            cx.sub
        ),
        api::KEYVAULT,
    );
    let vaults = list(cx, &url)?;
    vaults
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str())
        .find_map(|id| {
            let parts: Vec<&str> = id.split('/').collect();
            (parts.last()?.eq_ignore_ascii_case(name))
                .then(|| parts.get(4).map(|s| s.to_string()))?
        })
        .ok_or_else(|| {
            AzError::Cli(format!(
                "The Resource 'Microsoft.KeyVault/vaults/{name}' not found within subscription."
            ))
        })
}

/// The caller's object id, as the CLI looks it up in Microsoft Graph for its own access policy.
fn my_object_id(cx: &mut Ctx) -> Result<String, AzError> {
    let url = if cx.account.user_type == "user" {
        "https://graph.microsoft.com/v1.0/me".to_string()
    } else {
        format!(
            "https://graph.microsoft.com/v1.0/servicePrincipals?$filter=appId%20eq%20'{}'",
            cx.account.user
        )
    };
    let me = cx.call("GET", &url, None)?;
    let id = me["id"].as_str().or_else(|| me["value"][0]["id"].as_str());
    id.map(str::to_string).ok_or_else(|| {
        AzError::Cli("Unable to get object id of the signed-in principal from Graph.".into())
    })
}

fn keyvault_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let (rg, name) = (a.must("--resource-group"), a.must("--name"));
    let loc = location(cx, a, rg)?;
    let url = cx.arm_url(&vault_path(cx, rg, name), api::KEYVAULT);
    let r = cx.send("GET", &url, None)?;
    if r.status == 200 {
        return Err(AzError::Cli(format!(
            "The specified vault: {name} already exists"
        )));
    }
    if r.status != 404 {
        return Err(super::AzError::from_response(&r));
    }
    // Since CLI 2.61 a new vault uses RBAC unless told otherwise.
    let rbac = a.bool("--enable-rbac-authorization").unwrap_or(true);
    let no_self = a.bool("--no-self-perms").unwrap_or(false);
    let policies = if rbac || no_self {
        json!([])
    } else {
        let oid = my_object_id(cx)?;
        json!([{
            "tenantId": cx.account.tenant_id,
            "objectId": oid,
            "permissions": {
                "keys": ["all"], "secrets": ["all"], "certificates": ["all"], "storage": ["all"]
            }
        }])
    };
    let mut props = json!({
        "tenantId": cx.account.tenant_id,
        "sku": { "family": "A", "name": a.get("--sku").unwrap_or("standard") },
        "accessPolicies": policies,
        "enableRbacAuthorization": rbac,
        "softDeleteRetentionInDays": int(a, "--retention-days")?.unwrap_or(90),
    });
    if let Some(soft) = soft_delete(cx, a) {
        props["enableSoftDelete"] = json!(soft);
    }
    for (flag, field) in [
        ("--enable-purge-protection", "enablePurgeProtection"),
        ("--enabled-for-deployment", "enabledForDeployment"),
        ("--enabled-for-disk-encryption", "enabledForDiskEncryption"),
        (
            "--enabled-for-template-deployment",
            "enabledForTemplateDeployment",
        ),
    ] {
        if let Some(b) = a.bool(flag) {
            props[field] = json!(b);
        }
    }
    if let Some(p) = a.get("--public-network-access") {
        props["publicNetworkAccess"] = json!(p);
    }
    if a.has("--bypass") || a.has("--default-action") {
        props["networkAcls"] = json!({
            "bypass": a.get("--bypass").unwrap_or("AzureServices"),
            "defaultAction": a.get("--default-action").unwrap_or("Allow"),
        });
    }
    let mut body = json!({ "location": loc, "properties": props });
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    cx.lro("PUT", &url, Some(&body), a.has("--no-wait"))
}

/// `--enable-soft-delete` (deprecated; without it nothing is sent): `false` is turned into
/// `true`, as the CLI does, with its notice.
fn soft_delete(cx: &mut Ctx, a: &Args) -> Option<bool> {
    let soft = a.bool("--enable-soft-delete")?;
    if !soft {
        cx.notice("\"--enable-soft-delete false\" has been deprecated, you cannot disable Soft Delete via CLI. The value will be changed to true.");
    }
    Some(true)
}

/// The vault as the SDK sends it back in a PUT: its writable parts.
fn vault_for_put(v: &Value) -> Value {
    let mut props = v["properties"].clone();
    if let Some(p) = props.as_object_mut() {
        for read_only in [
            "hsmPoolResourceId",
            "privateEndpointConnections",
            "provisioningState",
        ] {
            p.remove(read_only);
        }
    }
    let mut body = json!({ "location": v["location"], "properties": props });
    if v.get("tags").is_some_and(|t| !t.is_null()) {
        body["tags"] = v["tags"].clone();
    }
    body
}

fn keyvault_update(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let rg = vault_group(cx, a)?;
    let url = cx.arm_url(&vault_path(cx, &rg, a.must("--name")), api::KEYVAULT);
    let v = cx.call("GET", &url, None)?;
    let mut body = vault_for_put(&v);
    let p = &mut body["properties"];
    for (flag, field) in [
        ("--enable-rbac-authorization", "enableRbacAuthorization"),
        ("--enable-purge-protection", "enablePurgeProtection"),
    ] {
        if let Some(b) = a.bool(flag) {
            p[field] = json!(b);
        }
    }
    if let Some(d) = int(a, "--retention-days")? {
        p["softDeleteRetentionInDays"] = json!(d);
    }
    if let Some(soft) = soft_delete(cx, a) {
        body["properties"]["enableSoftDelete"] = json!(soft);
    }
    let p = &mut body["properties"];
    if let Some(x) = a.get("--public-network-access") {
        p["publicNetworkAccess"] = json!(x);
    }
    if let Some(x) = a.get("--bypass") {
        p["networkAcls"]["bypass"] = json!(x);
    }
    if let Some(x) = a.get("--default-action") {
        p["networkAcls"]["defaultAction"] = json!(x);
    }
    cx.lro("PUT", &url, Some(&body), a.has("--no-wait"))
}

/// The principal a policy command names; the playground takes object ids (resolving `--spn`
/// and `--upn` needs Graph searches it does not simulate).
fn policy_object_id(a: &Args) -> Result<String, AzError> {
    match (a.get("--object-id"), a.get("--spn"), a.get("--upn")) {
        (Some(o), None, None) => Ok(o.to_string()),
        (None, None, None) => Err(AzError::Cli(
            "Either --object-id, --spn, or --upn is required.".into(),
        )),
        (None, _, _) => Err(AzError::Cli(
            "The playground's az console takes --object-id (it does not search Graph for --spn or --upn).".into(),
        )),
        _ => Err(AzError::Usage(
            "argument --object-id: not allowed with --spn or --upn".into(),
        )),
    }
}

fn keyvault_set_policy(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let oid = policy_object_id(a)?;
    let perms = [
        ("keys", choices(a, "--key-permissions", &KEY_PERMISSIONS)?),
        (
            "secrets",
            choices(a, "--secret-permissions", &SECRET_PERMISSIONS)?,
        ),
        (
            "certificates",
            choices(a, "--certificate-permissions", &CERTIFICATE_PERMISSIONS)?,
        ),
        (
            "storage",
            choices(a, "--storage-permissions", STORAGE_PERMISSIONS)?,
        ),
    ];
    let rg = vault_group(cx, a)?;
    let url = cx.arm_url(&vault_path(cx, &rg, a.must("--name")), api::KEYVAULT);
    let v = cx.call("GET", &url, None)?;
    if v["properties"]["enableRbacAuthorization"] == json!(true) {
        return Err(AzError::Cli(
            "Cannot set policies to a vault with '--enable-rbac-authorization' specified".into(),
        ));
    }
    let mut body = vault_for_put(&v);
    let tenant = body["properties"]["tenantId"].clone();
    let app = a.get("--application-id");
    let policies = body["properties"]["accessPolicies"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut policies: Vec<Value> = policies;
    let same = |p: &Value| {
        p["objectId"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case(&oid))
            && p["tenantId"] == tenant
            && p["applicationId"].as_str() == app
    };
    let i = match policies.iter().position(same) {
        Some(i) => i,
        None => {
            let mut p = json!({ "tenantId": tenant, "objectId": oid, "permissions": {} });
            if let Some(app) = app {
                p["applicationId"] = json!(app);
            }
            policies.push(p);
            policies.len() - 1
        }
    };
    // Each list given replaces that type's list; types not given are kept.
    for (kind, list) in perms {
        if let Some(list) = list {
            policies[i]["permissions"][kind] = json!(list);
        }
    }
    body["properties"]["accessPolicies"] = Value::Array(policies);
    cx.lro("PUT", &url, Some(&body), a.has("--no-wait"))
}

fn keyvault_delete_policy(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let oid = policy_object_id(a)?;
    let rg = vault_group(cx, a)?;
    let url = cx.arm_url(&vault_path(cx, &rg, a.must("--name")), api::KEYVAULT);
    let v = cx.call("GET", &url, None)?;
    if v["properties"]["enableRbacAuthorization"] == json!(true) {
        return Err(AzError::Cli(
            "Cannot delete policies to a vault with '--enable-rbac-authorization' specified".into(),
        ));
    }
    let mut body = vault_for_put(&v);
    let app = a.get("--application-id");
    let before = body["properties"]["accessPolicies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let after: Vec<Value> = before
        .iter()
        .filter(|p| {
            !(p["objectId"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(&oid))
                && (app.is_none() || p["applicationId"].as_str() == app))
        })
        .cloned()
        .collect();
    if after.len() == before.len() {
        return Err(AzError::Cli("No matching policies found".into()));
    }
    body["properties"]["accessPolicies"] = Value::Array(after);
    cx.lro("PUT", &url, Some(&body), a.has("--no-wait"))
}

fn keyvault_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let rg = vault_group(cx, a)?;
    let url = cx.arm_url(&vault_path(cx, &rg, a.must("--name")), api::KEYVAULT);
    cx.call("GET", &url, None)
}

fn keyvault_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let rg = vault_group(cx, a)?;
    let url = cx.arm_url(&vault_path(cx, &rg, a.must("--name")), api::KEYVAULT);
    cx.call("DELETE", &url, None).map(|_| Value::Null)
}

// ---- Key Vault keys (data plane) -----------------------------------------------------------

fn key_attributes(a: &Args, enabled: Option<bool>) -> Result<Value, AzError> {
    let mut attrs = Map::new();
    if let Some(e) = enabled {
        attrs.insert("enabled".into(), json!(e));
    }
    if let Some(v) = a.get("--not-before") {
        attrs.insert("nbf".into(), json!(unix_time("--not-before", v)?));
    }
    if let Some(v) = a.get("--expires") {
        attrs.insert("exp".into(), json!(unix_time("--expires", v)?));
    }
    if let Some(x) = a.bool("--exportable") {
        attrs.insert("exportable".into(), json!(x));
    }
    Ok(Value::Object(attrs))
}

fn key_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let hsm = a.get("--protection") == Some("hsm");
    let kty = match a.get("--kty") {
        Some(k) => k.to_string(),
        None if hsm => "RSA-HSM".into(),
        None => "RSA".into(),
    };
    let mut body = json!({
        "kty": kty,
        "attributes": key_attributes(a, Some(!a.bool("--disabled").unwrap_or(false)))?,
    });
    if let Some(size) = int(a, "--size")? {
        body["key_size"] = json!(size);
    }
    if let Some(c) = a.get("--curve") {
        body["crv"] = json!(c);
    }
    if let Some(ops) = choices(a, "--ops", KEY_OPS)? {
        body["key_ops"] = json!(ops);
    }
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = kv_url(a, &format!("/keys/{}/create", a.must("--name")));
    cx.call("POST", &url, Some(&body))
}

fn key_rotate(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = kv_url(a, &format!("/keys/{}/rotate", a.must("--name")));
    cx.call("POST", &url, None)
}

fn key_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let v = a.get("--version").unwrap_or("");
    let url = kv_url(a, &format!("/keys/{}/{v}", a.must("--name")));
    cx.call("GET", &url, None)
}

fn key_list_versions(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut url = kv_url(a, &format!("/keys/{}/versions", a.must("--name")));
    if let Some(n) = int(a, "--maxresults")? {
        url.push_str(&format!("&maxresults={n}"));
    }
    list(cx, &url)
}

fn key_set_attributes(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut body = json!({ "attributes": key_attributes(a, a.bool("--enabled"))? });
    if let Some(ops) = choices(a, "--ops", KEY_OPS)? {
        body["key_ops"] = json!(ops);
    }
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let v = a.get("--version").unwrap_or("");
    let url = kv_url(a, &format!("/keys/{}/{v}", a.must("--name")));
    cx.call("PATCH", &url, Some(&body))
}

fn key_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = kv_url(a, &format!("/keys/{}", a.must("--name")));
    cx.call("DELETE", &url, None)
}

fn key_recover(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = kv_url(a, &format!("/deletedkeys/{}/recover", a.must("--name")));
    cx.call("POST", &url, None)
}

fn key_purge(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = kv_url(a, &format!("/deletedkeys/{}", a.must("--name")));
    cx.call("DELETE", &url, None).map(|_| Value::Null)
}

fn rotation_policy_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = kv_url(a, &format!("/keys/{}/rotationpolicy", a.must("--name")));
    cx.call("GET", &url, None)
}

fn rotation_policy_update(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let value = a.must("--value");
    if value.starts_with('@') {
        return Err(AzError::Cli(
            "The playground has no files: pass the policy's JSON inline, --value '{...}'.".into(),
        ));
    }
    let body: Value = serde_json::from_str(value)
        .map_err(|e| AzError::Cli(format!("Failed to parse JSON: {value}\nError detail: {e}")))?;
    let url = kv_url(a, &format!("/keys/{}/rotationpolicy", a.must("--name")));
    cx.call("PUT", &url, Some(&body))
}

// ---- roles and identities ------------------------------------------------------------------

fn assignment_scope(cx: &Ctx, a: &Args) -> String {
    match (a.get("--scope"), a.get("--resource-group")) {
        (Some(s), _) => s.trim_end_matches('/').to_string(),
        (None, Some(g)) => cx.rg_path(g),
        (None, None) => format!("/subscriptions/{}", cx.sub),
    }
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The role definition a `--role` names (a name, a GUID or a definition id).
fn role_definition(cx: &mut Ctx, scope: &str, role: &str) -> Result<Value, AzError> {
    let defs = format!("{scope}/providers/Microsoft.Authorization/roleDefinitions");
    let id = role.rsplit('/').next().unwrap_or(role);
    if is_guid(id) {
        let url = cx.arm_url(&format!("{defs}/{id}"), api::AUTHORIZATION);
        return cx.call("GET", &url, None);
    }
    let url = cx.arm_url(
        &format!(
            "{defs}?$filter=roleName%20eq%20'{}'",
            role.replace(' ', "%20")
        ),
        api::AUTHORIZATION,
    );
    let found = list(cx, &url)?;
    found
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| {
            d["properties"]["roleName"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(role))
        })
        .cloned()
        .ok_or_else(|| AzError::Cli(format!("Role '{role}' doesn't exist.")))
}

/// The new assignment's name. The CLI draws a random GUID; the console derives one from what
/// it assigns and the virtual time, so a replayed session sends the same request.
fn assignment_name(scope: &str, role_id: &str, principal: &str, salt: usize) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{scope}|{role_id}|{principal}|{salt}").as_bytes());
    let x = crate::engine::crypto::hex(&h[..16]);
    format!(
        "{}-{}-4{}-{}{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        ["8", "9", "a", "b"][usize::from(h[8] & 3)],
        &x[17..20],
        &x[20..32]
    )
}

fn role_assignment_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let principal = match (a.get("--assignee-object-id"), a.get("--assignee")) {
        (Some(o), _) => o.to_string(),
        (None, Some(_)) => {
            return Err(AzError::Cli(
                "The playground's az console takes --assignee-object-id with --assignee-principal-type (it does not search Graph for --assignee).".into(),
            ));
        }
        (None, None) => {
            return Err(AzError::Usage(
                "usage error: --assignee | --assignee-object-id".into(),
            ));
        }
    };
    let scope = assignment_scope(cx, a);
    let def = role_definition(cx, &scope, a.must("--role"))?;
    let def_id = def["id"].as_str().unwrap_or("").to_string();
    let name = assignment_name(&scope, &def_id, &principal, cx.exchanges.len());
    let mut props = json!({ "roleDefinitionId": def_id, "principalId": principal });
    if let Some(t) = a.get("--assignee-principal-type") {
        props["principalType"] = json!(t);
    }
    if let Some(d) = a.get("--description") {
        props["description"] = json!(d);
    }
    let url = cx.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"),
        api::AUTHORIZATION,
    );
    flat(cx.call("PUT", &url, Some(&json!({ "properties": props }))))
}

/// Assignments at and above a scope, filtered as the CLI filters them, each with the role's
/// name added (`roleDefinitionName`, as the CLI's output has it).
fn assignments(cx: &mut Ctx, a: &Args) -> Result<Vec<Value>, AzError> {
    let scope = assignment_scope(cx, a);
    let url = cx.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleAssignments"),
        api::AUTHORIZATION,
    );
    let all = list(cx, &url)?;
    let defs_url = cx.arm_url(
        &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions"),
        api::AUTHORIZATION,
    );
    let defs = list(cx, &defs_url)?;
    let name_of = |id: &str| {
        defs.as_array()
            .into_iter()
            .flatten()
            .find(|d| d["name"].as_str().is_some_and(|n| id.ends_with(n)))
            .and_then(|d| d["properties"]["roleName"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let mut out = Vec::new();
    for mut x in all.as_array().cloned().unwrap_or_default() {
        let p = &x["properties"];
        let role = name_of(p["roleDefinitionId"].as_str().unwrap_or(""));
        if a.get("--assignee")
            .is_some_and(|s| p["principalId"].as_str() != Some(s))
        {
            continue;
        }
        if a.get("--role").is_some_and(|r| {
            !role.eq_ignore_ascii_case(r)
                && !p["roleDefinitionId"].as_str().unwrap_or("").ends_with(r)
        }) {
            continue;
        }
        // Without --all, only assignments at the scope or below (the CLI's default).
        let at = p["scope"].as_str().unwrap_or("").to_ascii_lowercase();
        if !a.has("--all") && !at.starts_with(&scope.to_ascii_lowercase()) {
            continue;
        }
        x["roleDefinitionName"] = json!(role);
        out.push(x);
    }
    Ok(out)
}

fn role_assignment_list(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    flat(Ok(Value::Array(assignments(cx, a)?)))
}

fn role_assignment_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let ids: Vec<String> = match a.many("--ids") {
        Some(ids) => ids.to_vec(),
        None => {
            if a.get("--assignee").is_none() && a.get("--role").is_none() && !a.has("--yes") {
                return Err(AzError::Cli(
                    "When assignee is not provided, please use --yes to confirm that all assignments under the specified scope will be deleted.".into(),
                ));
            }
            assignments(cx, a)?
                .iter()
                .filter_map(|x| x["id"].as_str().map(str::to_string))
                .collect()
        }
    };
    if ids.is_empty() {
        return Err(AzError::Cli(
            "No matched assignments were found to delete".into(),
        ));
    }
    for id in ids {
        let url = cx.arm_url(&id, api::AUTHORIZATION);
        cx.call("DELETE", &url, None)?;
    }
    Ok(Value::Null)
}

fn identity_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let rg = a.must("--resource-group");
    let loc = location(cx, a, rg)?;
    let mut body = json!({ "location": loc });
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = cx.arm_url(
        &format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            cx.rg_path(rg),
            a.must("--name")
        ),
        api::IDENTITY,
    );
    flat(cx.call("PUT", &url, Some(&body)))
}

// ---- Log Analytics -------------------------------------------------------------------------

/// The aaz definitions write `resourcegroups` in lower case.
fn oi_path(cx: &Ctx, rg: &str, rest: &str) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/{rg}/providers/Microsoft.OperationalInsights/{rest}",
        cx.sub
    )
}

fn cluster_url(cx: &Ctx, a: &Args, api: &str) -> String {
    cx.arm_url(
        &oi_path(
            cx,
            a.must("--resource-group"),
            &format!("clusters/{}", a.must("--name")),
        ),
        api,
    )
}

fn identity_body(a: &Args, current: Option<&Value>) -> Option<Value> {
    let kind = a.get("--identity-type");
    let uai = a.many("--user-assigned");
    if kind.is_none() && uai.is_none() {
        // On create the type defaults to SystemAssigned; an update keeps what is there.
        return match current {
            Some(c) => Some(c.clone()),
            None => Some(json!({ "type": "SystemAssigned" })),
        };
    }
    let mut id = json!({ "type": kind.unwrap_or("SystemAssigned") });
    if let Some(ids) = uai {
        let m: Map<String, Value> = ids.iter().map(|i| (i.clone(), json!({}))).collect();
        id["userAssignedIdentities"] = Value::Object(m);
    }
    Some(id)
}

/// `--key-*` into `keyVaultProperties` (an empty value clears that field, as the CLI's nullable
/// arguments do).
fn key_properties(a: &Args, kv: &mut Value) {
    for (flag, field) in [
        ("--key-name", "keyName"),
        ("--key-vault-uri", "keyVaultUri"),
        ("--key-version", "keyVersion"),
    ] {
        if let Some(v) = a.get(flag) {
            kv[field] = json!(v);
        }
    }
    if let Some(v) = a.get("--key-rsa-size").and_then(|s| s.parse::<i64>().ok()) {
        kv["keyRsaSize"] = json!(v);
    }
}

fn cluster_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let loc = location(cx, a, a.must("--resource-group"))?;
    let capacity: i64 = a.must("--sku-capacity").parse().unwrap_or(0);
    let mut props = json!({});
    if let Some(b) = a.get("--billing-type") {
        props["billingType"] = json!(b);
    }
    let mut kv = json!({});
    key_properties(a, &mut kv);
    if kv.as_object().is_some_and(|o| !o.is_empty()) {
        props["keyVaultProperties"] = kv;
    }
    if a.has("--replication-enabled") || a.has("--replication-location") {
        props["replication"] = json!({});
        if let Some(e) = a.bool("--replication-enabled") {
            props["replication"]["enabled"] = json!(e);
        }
        if let Some(l) = a.get("--replication-location") {
            props["replication"]["location"] = json!(l);
        }
    }
    let mut body = json!({
        "location": loc,
        "identity": identity_body(a, None),
        "sku": { "capacity": capacity, "name": a.get("--sku-name").unwrap_or("CapacityReservation") },
        "properties": props,
    });
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = cluster_url(cx, a, api::OI);
    flat(cx.lro("PUT", &url, Some(&body), a.has("--no-wait")))
}

/// The cluster as aaz's generic update sends it back: read-only fields left out.
fn cluster_for_put(c: &Value) -> Value {
    let mut props = c["properties"].clone();
    if let Some(p) = props.as_object_mut() {
        for ro in [
            "clusterId",
            "provisioningState",
            "createdDate",
            "lastModifiedDate",
            "associatedWorkspaces",
            "capacityReservationProperties",
        ] {
            p.remove(ro);
        }
        if let Some(r) = p.get_mut("replication").and_then(Value::as_object_mut) {
            for ro in [
                "provisioningState",
                "createdDate",
                "lastModifiedDate",
                "isAvailabilityZonesEnabled",
            ] {
                r.remove(ro);
            }
        }
    }
    let mut identity = c["identity"].clone();
    if let Some(i) = identity.as_object_mut() {
        i.remove("principalId");
        i.remove("tenantId");
        if let Some(u) = i
            .get_mut("userAssignedIdentities")
            .and_then(Value::as_object_mut)
        {
            for v in u.values_mut() {
                *v = json!({});
            }
        }
    }
    let mut body = json!({
        "location": c["location"],
        "identity": identity,
        "sku": c["sku"],
        "properties": props,
    });
    if c.get("tags").is_some_and(|t| !t.is_null()) {
        body["tags"] = c["tags"].clone();
    }
    body
}

fn cluster_update(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = cluster_url(cx, a, api::OI);
    let current = cx.call("GET", &url, None)?;
    let mut body = cluster_for_put(&current);
    if let Some(i) = identity_body(a, Some(&body["identity"].clone())) {
        body["identity"] = i;
    }
    if let Some(c) = a.get("--sku-capacity").and_then(|s| s.parse::<i64>().ok()) {
        body["sku"]["capacity"] = json!(c);
    }
    if let Some(b) = a.get("--billing-type") {
        body["properties"]["billingType"] = json!(b);
    }
    if let Some(e) = a.bool("--replication-enabled") {
        body["properties"]["replication"]["enabled"] = json!(e);
    }
    if [
        "--key-name",
        "--key-vault-uri",
        "--key-version",
        "--key-rsa-size",
    ]
    .iter()
    .any(|f| a.has(f))
    {
        let mut kv = body["properties"]["keyVaultProperties"].clone();
        if !kv.is_object() {
            kv = json!({});
        }
        key_properties(a, &mut kv);
        body["properties"]["keyVaultProperties"] = kv;
    }
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    flat(cx.lro("PUT", &url, Some(&body), a.has("--no-wait")))
}

fn cluster_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = cluster_url(cx, a, api::OI);
    flat(cx.call("GET", &url, None))
}

fn cluster_list(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let path = match a.get("--resource-group") {
        Some(rg) => oi_path(cx, rg, "clusters"),
        None => format!(
            "/subscriptions/{}/providers/Microsoft.OperationalInsights/clusters",
            cx.sub
        ),
    };
    let url = cx.arm_url(&path, api::OI_CLUSTER_LIST_DELETE);
    flat(list(cx, &url))
}

fn cluster_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    confirm(a)?;
    let url = cluster_url(cx, a, api::OI_CLUSTER_LIST_DELETE);
    cx.lro("DELETE", &url, None, a.has("--no-wait"))
}

/// The CLI's generic `wait`: a GET every `--interval` seconds until the condition holds, at
/// most `--timeout` seconds.
fn cluster_wait(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let interval = int(a, "--interval")?.unwrap_or(30).max(1) as u64;
    let timeout = int(a, "--timeout")?.unwrap_or(3600).max(0) as u64;
    let url = cluster_url(cx, a, api::OI);
    let custom = a.get("--custom").map(str::to_string);
    let mut waited = 0;
    loop {
        let r = cx.send("GET", &url, None)?;
        let state = r.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or("");
        let done = if a.has("--deleted") {
            r.status == 404
        } else if r.status >= 400 && r.status != 404 {
            return Err(super::AzError::from_response(&r));
        } else if r.status == 404 {
            false
        } else if a.has("--exists") {
            true
        } else if let Some(q) = &custom {
            let v = super::output::query(q, &r.body).map_err(AzError::Usage)?;
            !matches!(v, Value::Null | Value::Bool(false))
                && v != json!("")
                && v != json!([])
                && v != json!({})
        } else {
            // --created and --updated: the resource's provisioning state says it is done.
            state.eq_ignore_ascii_case("Succeeded")
        };
        if state.eq_ignore_ascii_case("Failed") && !a.has("--deleted") {
            return Err(AzError::Cli(
                "The cluster's provisioning state is Failed.".into(),
            ));
        }
        if done {
            return Ok(Value::Null);
        }
        if waited >= timeout {
            return Err(AzError::Cli(format!(
                "Wait operation timed-out after {timeout} seconds"
            )));
        }
        let slept = cx.sleep(interval);
        if slept == 0 {
            return Err(AzError::Cli(
                "The virtual clock cannot move further (it is at its end, or this script already slept 12 years); the condition cannot be met.".into(),
            ));
        }
        waited += slept;
    }
}

fn workspace_url(cx: &Ctx, rg: &str, ws: &str, rest: &str, api: &str) -> String {
    cx.arm_url(&oi_path(cx, rg, &format!("workspaces/{ws}{rest}")), api)
}

fn workspace_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let rg = a.must("--resource-group");
    let loc = location(cx, a, rg)?;
    let mut props = json!({
        "sku": { "name": a.get("--sku").unwrap_or("PerGB2018") },
        "retentionInDays": int(a, "--retention-time")?.unwrap_or(30),
    });
    if let Some(l) = int(a, "--level")? {
        props["sku"]["capacityReservationLevel"] = json!(l);
    }
    if let Some(q) = a.get("--quota") {
        let gb: f64 = q
            .parse()
            .map_err(|_| AzError::Usage(format!("argument --quota: invalid float value: '{q}'")))?;
        props["workspaceCapping"] = json!({ "dailyQuotaGb": gb });
    }
    if let Some(x) = a.get("--ingestion-access") {
        props["publicNetworkAccessForIngestion"] = json!(x);
    }
    if let Some(x) = a.get("--query-access") {
        props["publicNetworkAccessForQuery"] = json!(x);
    }
    let mut body = json!({ "location": loc, "properties": props });
    if let Some(t) = a.get("--identity-type") {
        body["identity"] = json!({ "type": t });
    }
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = workspace_url(cx, rg, a.must("--name"), "", api::OI);
    flat(cx.lro("PUT", &url, Some(&body), a.has("--no-wait")))
}

fn workspace_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--name"),
        "",
        api::OI,
    );
    flat(cx.call("GET", &url, None))
}

fn workspace_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    confirm(a)?;
    let mut url = workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--name"),
        "",
        api::OI,
    );
    if let Some(f) = a.bool("--force") {
        url.push_str(&format!("&force={f}"));
    }
    cx.lro("DELETE", &url, None, a.has("--no-wait"))
}

fn linked_service_url(cx: &Ctx, a: &Args) -> String {
    workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--workspace-name"),
        &format!("/linkedServices/{}", a.must("--name")),
        api::OI_LINKS,
    )
}

fn linked_service_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut props = json!({});
    if let Some(w) = a.get("--write-access-resource-id") {
        props["writeAccessResourceId"] = json!(w);
    }
    if let Some(r) = a.get("--resource-id") {
        props["resourceId"] = json!(r);
    }
    let mut body = json!({ "properties": props });
    if let Some(t) = tags(a) {
        body["tags"] = t;
    }
    let url = linked_service_url(cx, a);
    flat(cx.lro("PUT", &url, Some(&body), a.has("--no-wait")))
}

fn linked_service_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = linked_service_url(cx, a);
    flat(cx.call("GET", &url, None))
}

fn linked_service_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    confirm(a)?;
    let url = linked_service_url(cx, a);
    cx.lro("DELETE", &url, None, a.has("--no-wait"))
}

fn linked_storage_url(cx: &Ctx, a: &Args) -> String {
    workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--workspace-name"),
        &format!("/linkedStorageAccounts/{}", a.must("--type")),
        api::OI_LINKS,
    )
}

fn linked_storage_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    // Names are accounts in the workspace's resource group; ids are taken as they are.
    let rg = a.must("--resource-group");
    let ids: Vec<String> = a
        .many("--storage-accounts")
        .unwrap_or_default()
        .iter()
        .map(|s| {
            if s.starts_with('/') {
                s.clone()
            } else {
                format!(
                    "{}/providers/Microsoft.Storage/storageAccounts/{s}",
                    cx.rg_path(rg)
                )
            }
        })
        .collect();
    let url = linked_storage_url(cx, a);
    flat(cx.call(
        "PUT",
        &url,
        Some(&json!({ "properties": { "storageAccountIds": ids } })),
    ))
}

fn linked_storage_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = linked_storage_url(cx, a);
    flat(cx.call("GET", &url, None))
}

fn linked_storage_delete(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    confirm(a)?;
    let url = linked_storage_url(cx, a);
    cx.call("DELETE", &url, None).map(|_| Value::Null)
}

fn saved_search_url(cx: &Ctx, a: &Args, name: Option<&str>) -> String {
    let rest = match name {
        Some(n) => format!("/savedSearches/{n}"),
        None => "/savedSearches".into(),
    };
    workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--workspace-name"),
        &rest,
        api::OI_LINKS,
    )
}

fn saved_search_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut props = json!({
        "category": a.must("--category"),
        "displayName": a.must("--display-name"),
        "query": a.must("--saved-query"),
    });
    if let Some(f) = a.get("--func-alias") {
        props["functionAlias"] = json!(f);
    }
    if let Some(f) = a.get("--func-param") {
        props["functionParameters"] = json!(f);
    }
    if let Some(v) = int(a, "--version")? {
        props["version"] = json!(v);
    }
    if let Some(ts) = a.many("--tags") {
        props["tags"] = Value::Array(
            ts.iter()
                .map(|t| {
                    let (k, v) = t.split_once('=').unwrap_or((t.as_str(), ""));
                    json!({ "name": k, "value": v })
                })
                .collect(),
        );
    }
    let url = saved_search_url(cx, a, Some(a.must("--name")));
    flat(cx.call("PUT", &url, Some(&json!({ "properties": props }))))
}

fn saved_search_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = saved_search_url(cx, a, Some(a.must("--name")));
    flat(cx.call("GET", &url, None))
}

fn saved_search_list(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = saved_search_url(cx, a, None);
    flat(Ok(cx.call("GET", &url, None)?["value"].take()))
}

/// The `log-analytics` extension's query: each row as an object of its columns plus
/// `TableName`.
fn query(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut body = json!({ "query": a.must("--analytics-query") });
    if let Some(t) = a.get("--timespan") {
        body["timespan"] = json!(t);
    }
    if let Some(ws) = a.many("--workspaces") {
        body["workspaces"] = json!(ws);
    }
    let url = format!("{QUERY_API}/v1/workspaces/{}/query", a.must("--workspace"));
    let r = cx.call("POST", &url, Some(&body))?;
    let mut rows = Vec::new();
    for t in r["tables"].as_array().into_iter().flatten() {
        let cols: Vec<&str> = t["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["name"].as_str().unwrap_or(""))
            .collect();
        for row in t["rows"].as_array().into_iter().flatten() {
            let mut m = Map::new();
            for (c, v) in cols.iter().zip(row.as_array().into_iter().flatten()) {
                m.insert(c.to_string(), v.clone());
            }
            m.insert("TableName".into(), t["name"].clone());
            rows.push(Value::Object(m));
        }
    }
    Ok(Value::Array(rows))
}

fn onboarding_url(cx: &Ctx, a: &Args) -> String {
    workspace_url(
        cx,
        a.must("--resource-group"),
        a.must("--workspace-name"),
        &format!(
            "/providers/Microsoft.SecurityInsights/onboardingStates/{}",
            a.must("--name")
        ),
        api::SENTINEL,
    )
}

fn onboarding_create(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let mut body = json!({ "properties": {} });
    if let Some(c) = a.bool("--customer-managed-key") {
        body["properties"]["customerManagedKey"] = json!(c);
    }
    if let Some(e) = a.get("--etag") {
        body["etag"] = json!(e);
    }
    let url = onboarding_url(cx, a);
    flat(cx.call("PUT", &url, Some(&body)))
}

fn onboarding_show(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let url = onboarding_url(cx, a);
    flat(cx.call("GET", &url, None))
}

/// `az rest`: the request as given (a path starting with `/` goes to ARM); a failure prints as
/// the CLI's `HTTPError`: the reason, then the body in parentheses.
fn rest(cx: &mut Ctx, a: &Args) -> Result<Value, AzError> {
    let method = a.get("--method").unwrap_or("get").to_ascii_uppercase();
    let mut url = a.must("--url").to_string();
    if url.starts_with('/') {
        url = format!("{ARM}{url}");
    }
    url = url.replace("{subscriptionId}", &cx.sub);
    for p in a.many("--uri-parameters").unwrap_or_default() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(p);
    }
    let body = match a.get("--body") {
        None => None,
        Some(b) if b.starts_with('@') => {
            return Err(AzError::Cli(
                "The playground has no files: pass the body's JSON inline, --body '{...}'.".into(),
            ));
        }
        Some(b) => {
            Some(serde_json::from_str::<Value>(b).map_err(|e| {
                AzError::Cli(format!("Failed to parse JSON: {b}\nError detail: {e}"))
            })?)
        }
    };
    let r = cx.send(&method, &crate::protocol::client_url(&url), body.as_ref())?;
    if r.status >= 400 {
        let text = if r.body.is_null() {
            String::new()
        } else {
            format!("({})", r.body)
        };
        return Err(AzError::Cli(format!("{}{text}", super::reason(r.status))));
    }
    Ok(r.body)
}
