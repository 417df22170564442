//! Properties of `Engine::handle` over random request sequences: it never panics, a refused
//! request (status 400 or more) leaves the state exactly as it was, and every answer is
//! JSON-shaped with an `error.code` on refusals.
//!
//! Sequences mix the five provisioning steps' requests (random names and values, so they meet
//! each other), the same requests with mutated bodies, random requests, and clock advances. RSA
//! key creation is kept rare and 2048-bit, because key generation dominates the run time.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::crypto::b64url;
use cmk_playground::engine::{Engine, Response};
use common::{SUB, SUB2, TENANT, USER};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const ARM: &str = "https://management.azure.com";
static SUBS: [&str; 6] = [
    SUB,
    SUB,
    SUB,
    SUB,
    SUB2,
    "00000000-1111-4222-8333-444444444444",
];
static GROUPS: [&str; 5] = ["rg1", "rg1", "rg1", "rg2", "RG1"];
static VAULTS: [&str; 3] = ["kv-one", "kv-one", "kv-two"];
static KEYS: [&str; 2] = ["k1", "k2"];
static CLUSTERS: [&str; 3] = ["clone", "clone", "cltwo"];
static WORKSPACES: [&str; 2] = ["ws-one", "ws-two"];
static REGIONS: [&str; 6] = [
    "eastus",
    "eastus",
    "eastus",
    "westus2",
    "westcentralus",
    "East US",
];
static OI_VERSIONS: [&str; 5] = [
    "2020-08-01",
    "2021-06-01",
    "2022-10-01",
    "2023-09-01",
    "2025-02-01",
];
static KEY_OPS: [&str; 6] = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapKey",
    "unwrapKey",
];
static ALGS: [&str; 4] = ["RSA-OAEP-256", "RSA-OAEP", "RSA1_5", "A256KW"];

/// One request before mutation: method, full URL, optional JSON body.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    url: String,
    body: Option<Value>,
}

fn req(method: &str, url: String, body: Option<Value>) -> Req {
    Req {
        method: method.into(),
        url,
        body,
    }
}

/// What happens to a valid request before it is sent.
#[derive(Clone, Debug)]
enum Mutation {
    None,
    RemoveField(usize),
    ReplaceField(usize, Value),
    Truncate(usize),
    RawBody(String),
    DropApiVersion,
    ApiVersion(String),
    Method(String),
}

#[derive(Clone, Debug)]
enum Step {
    Http {
        method: String,
        url: String,
        body: Option<String>,
    },
    Advance(u64),
    /// Access policy for a cluster's identity, resolved when the step runs.
    GrantCluster {
        vault: &'static str,
        cluster: &'static str,
        perms: Vec<&'static str>,
    },
    /// Role assignment on a vault for a cluster's identity (or the user), resolved at run time.
    AssignRole {
        vault: &'static str,
        cluster: Option<&'static str>,
        role: &'static str,
        name: u8,
    },
    /// GET the async-operation URL of the latest 202.
    FollowOperation,
    /// Wrap then unwrap through REST; when the wrap succeeds, the unwrap must return the input.
    WrapRoundTrip {
        vault: &'static str,
        key: &'static str,
        alg: &'static str,
        data: Vec<u8>,
    },
    Snapshot,
}

// ---- strategies ---------------------------------------------------------------------------------

fn group_url() -> impl Strategy<Value = String> {
    (select(&SUBS[..]), select(&GROUPS[..]))
        .prop_map(|(s, g)| format!("{ARM}/subscriptions/{s}/resourceGroups/{g}"))
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::from),
        Just(json!("ünïcødé ☃ \u{202e}\u{0}")),
        Just(json!(1e308)),
        Just(json!(u64::MAX)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn rg_req() -> impl Strategy<Value = Req> {
    (group_url(), select(&REGIONS[..]), 0..10u8).prop_map(|(g, loc, k)| match k {
        0 => req("DELETE", format!("{g}?api-version=2021-04-01"), None),
        1 => req("GET", format!("{g}?api-version=2022-12-01"), None),
        _ => req(
            "PUT",
            format!("{g}?api-version=2021-04-01"),
            Some(json!({ "location": loc })),
        ),
    })
}

fn vault_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&VAULTS[..]),
        select(&REGIONS[..]),
        (any::<bool>(), any::<bool>(), any::<bool>(), 0..6u8),
        (0..4u8, select(vec![7u64, 30, 90, 91])),
    )
        .prop_map(|(g, v, loc, (soft, purge, premium, mode), (k, days))| {
            let url = format!("{g}/providers/Microsoft.KeyVault/vaults/{v}?api-version=2023-07-01");
            let mut props = json!({
                "tenantId": if mode == 5 { "0f0f0f0f-0000-4000-8000-000000000001" } else { TENANT },
                "sku": { "family": "A", "name": if premium { "premium" } else { "standard" } },
                "accessPolicies": [{
                    "tenantId": TENANT, "objectId": USER,
                    "permissions": { "keys": ["all"] }
                }],
                "enableSoftDelete": soft || purge,
                "softDeleteRetentionInDays": days,
            });
            if purge {
                props["enablePurgeProtection"] = json!(true);
            }
            if mode == 4 {
                props["enableRbacAuthorization"] = json!(true);
            }
            match k {
                0 => req("DELETE", url, None),
                1 => req("GET", url, None),
                _ => req(
                    "PUT",
                    url,
                    Some(json!({ "location": loc, "properties": props })),
                ),
            }
        })
}

fn policy_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&VAULTS[..]),
        select(vec!["add", "add", "replace", "remove"]),
        select(vec![USER, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"]),
        prop::sample::subsequence(vec!["get", "list", "create", "wrapKey", "unwrapKey", "purge"], 0..6),
    )
        .prop_map(|(g, v, kind, who, keys)| {
            req(
                "PUT",
                format!("{g}/providers/Microsoft.KeyVault/vaults/{v}/accessPolicies/{kind}?api-version=2023-07-01"),
                Some(json!({ "properties": { "accessPolicies": [{
                    "tenantId": TENANT, "objectId": who, "permissions": { "keys": keys }
                }]}})),
            )
        })
}

/// Key creation and rotation: rare in the grammar, always 2048-bit.
fn key_create_req() -> impl Strategy<Value = Req> {
    (
        select(&VAULTS[..]),
        select(&KEYS[..]),
        prop::option::of(prop::sample::subsequence(KEY_OPS.to_vec(), 0..6)),
        select(vec!["RSA", "RSA", "RSA-HSM", "rotate"]),
    )
        .prop_map(|(v, k, ops, kty)| {
            if kty == "rotate" {
                return req(
                    "POST",
                    format!("https://{v}.vault.azure.net/keys/{k}/rotate?api-version=7.5"),
                    None,
                );
            }
            let mut body = json!({ "kty": kty, "key_size": 2048 });
            if let Some(ops) = ops {
                body["key_ops"] = json!(ops);
            }
            req(
                "POST",
                format!("https://{v}.vault.azure.net/keys/{k}/create?api-version=7.4"),
                Some(body),
            )
        })
}

fn key_req() -> impl Strategy<Value = Req> {
    (
        select(&VAULTS[..]),
        select(&KEYS[..]),
        select(vec!["7.3", "7.4", "7.5", "7.6", "2025-07-01"]),
        0..10u8,
        any::<bool>(),
        select(&ALGS[..]),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(v, k, ver, op, flag, alg, data)| {
            let base = format!("https://{v}.vault.azure.net");
            let q = format!("?api-version={ver}");
            match op {
                0 => req("GET", format!("{base}/keys/{k}{q}"), None),
                1 => req("GET", format!("{base}/keys/{k}/versions{q}"), None),
                2 => req(
                    "PATCH",
                    format!("{base}/keys/{k}{q}"),
                    Some(json!({ "attributes": { "enabled": flag } })),
                ),
                3 => req("DELETE", format!("{base}/keys/{k}{q}"), None),
                4 => req("GET", format!("{base}/deletedkeys/{k}{q}"), None),
                5 => req("POST", format!("{base}/deletedkeys/{k}/recover{q}"), None),
                6 => req("DELETE", format!("{base}/deletedkeys/{k}{q}"), None),
                7 => req(
                    "POST",
                    format!("{base}/keys/{k}/wrapkey{q}"),
                    Some(json!({ "alg": alg, "value": b64url(&data) })),
                ),
                8 => req(
                    "POST",
                    format!("{base}/keys/{k}/unwrapkey{q}"),
                    Some(json!({ "alg": alg, "value": b64url(&data) })),
                ),
                _ => req("GET", format!("{base}/keys{q}"), None),
            }
        })
}

fn identity_json(kind: u8, g: &str) -> Value {
    match kind {
        0 => json!({ "type": "None" }),
        1 => json!({ "type": "UserAssigned", "userAssignedIdentities": {
            format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua-one", g.trim_start_matches(ARM)): {}
        }}),
        _ => json!({ "type": "SystemAssigned" }),
    }
}

fn cluster_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&CLUSTERS[..]),
        select(&OI_VERSIONS[..]),
        select(&REGIONS[..]),
        (0..6u8, select(vec![100u64, 500, 1000, 1100, 2000, 5000]), any::<bool>()),
        (select(&VAULTS[..]), select(&KEYS[..]), 0..8u8),
    )
        .prop_map(|(g, c, ver, loc, (ident, cap, de), (v, k, op))| {
            let url = format!("{g}/providers/Microsoft.OperationalInsights/clusters/{c}?api-version={ver}");
            let key = json!({ "keyVaultUri": format!("https://{v}.vault.azure.net"), "keyName": k, "keyVersion": "" });
            match op {
                0 | 1 => {
                    let mut body = json!({
                        "location": loc,
                        "identity": identity_json(ident, &g),
                        "sku": { "name": "CapacityReservation", "capacity": cap },
                        "properties": { "billingType": "Cluster" },
                    });
                    if !de {
                        body["properties"]["isDoubleEncryptionEnabled"] = json!(false);
                    }
                    if ident == 1 && op == 1 {
                        body["properties"]["keyVaultProperties"] = key;
                    }
                    req("PUT", url, Some(body))
                }
                2 | 3 => req("PATCH", url, Some(json!({ "properties": { "keyVaultProperties": key } }))),
                4 => req("PATCH", url, Some(json!({ "sku": { "name": "CapacityReservation", "capacity": cap } }))),
                5 => req("PATCH", url, Some(json!({ "identity": identity_json(ident, &g) }))),
                6 => req("DELETE", url, None),
                _ => req("GET", url, None),
            }
        })
}

fn workspace_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&WORKSPACES[..]),
        select(&OI_VERSIONS[..]),
        select(&REGIONS[..]),
        select(&CLUSTERS[..]),
        0..8u8,
    )
        .prop_map(|(g, w, ver, loc, c, op)| {
            let ws = format!("{g}/providers/Microsoft.OperationalInsights/workspaces/{w}");
            let cluster = format!("{}/providers/Microsoft.OperationalInsights/clusters/{c}", g.trim_start_matches(ARM));
            let q = format!("?api-version={ver}");
            match op {
                0 | 1 => req(
                    "PUT",
                    format!("{ws}{q}"),
                    Some(json!({ "location": loc, "properties": { "sku": { "name": "PerGB2018" }, "retentionInDays": 30 } })),
                ),
                2 | 3 => req(
                    "PUT",
                    format!("{ws}/linkedServices/cluster{q}"),
                    Some(json!({ "properties": { "writeAccessResourceId": cluster } })),
                ),
                4 => req("DELETE", format!("{ws}/linkedServices/cluster{q}"), None),
                5 => req("DELETE", format!("{ws}{q}"), None),
                6 => req("GET", format!("{ws}/linkedServices/cluster{q}"), None),
                _ => req("GET", format!("{ws}{q}"), None),
            }
        })
}

/// Microsoft Sentinel on a workspace: provider registration, the Cosmos DB grant, onboarding
/// (with and without CMK), watchlists, rules, incidents and offboarding.
fn sentinel_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&WORKSPACES[..]),
        select(&VAULTS[..]),
        select(&["2021-03-01-preview", "2024-09-01", "2025-09-01"][..]),
        any::<bool>(),
        0..12u8,
    )
        .prop_map(|(g, w, v, ver, cmk, op)| {
            let sub = &g[..g.find("/resourceGroups").unwrap()];
            let si = format!("{g}/providers/Microsoft.OperationalInsights/workspaces/{w}/providers/Microsoft.SecurityInsights");
            let q = format!("?api-version={ver}");
            match op {
                0 => req("POST", format!("{sub}/providers/Microsoft.SecurityInsights/register?api-version=2021-04-01"), None),
                1 => req("POST", format!("{sub}/providers/Microsoft.DocumentDB/register?api-version=2021-04-01"), None),
                2 => req(
                    "PUT",
                    format!("{g}/providers/Microsoft.KeyVault/vaults/{v}/accessPolicies/add?api-version=2023-07-01"),
                    Some(json!({ "properties": { "accessPolicies": [{ "tenantId": TENANT,
                        "objectId": cmk_playground::engine::world::COSMOS_DB_OBJECT_ID,
                        "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] } }] } })),
                ),
                3 | 4 => req(
                    "PUT",
                    format!("{si}/onboardingStates/default{q}"),
                    Some(json!({ "properties": { "customerManagedKey": cmk } })),
                ),
                5 => req("DELETE", format!("{si}/onboardingStates/default{q}"), None),
                6 => req(
                    "PUT",
                    format!("{si}/watchlists/vips{q}"),
                    Some(json!({ "properties": { "displayName": "VIPs", "provider": "p", "source": "Local file",
                        "itemsSearchKey": "Ip", "rawContent": "Ip,Owner\n10.0.0.1,a\n" } })),
                ),
                7 => req(
                    "PUT",
                    format!("{si}/alertRules/r1{q}"),
                    Some(json!({ "kind": "Scheduled", "properties": { "displayName": "r", "enabled": true,
                        "query": "App_CL | count", "queryFrequency": "PT5M", "queryPeriod": "PT1H", "severity": "High",
                        "triggerOperator": "GreaterThan", "triggerThreshold": 0 } })),
                ),
                8 => req("DELETE", format!("{si}/watchlists/vips{q}"), None),
                9 => req("GET", format!("{si}/incidents{q}"), None),
                10 => req("GET", format!("{si}/watchlists/vips/watchlistItems{q}"), None),
                _ => req("GET", format!("{si}/onboardingStates{q}"), None),
            }
        })
}

/// Saved searches on a workspace: create (valid, missing a required field, with a stale or `*`
/// etag), read, list, delete.
fn saved_search_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&WORKSPACES[..]),
        select(&["q1", "Q1", "q2"][..]),
        0..7u8,
    )
        .prop_map(|(g, w, id, op)| {
            let base =
                format!("{g}/providers/Microsoft.OperationalInsights/workspaces/{w}/savedSearches");
            let q = "?api-version=2020-08-01";
            let body = |etag: Option<&str>, query: Option<&str>| {
                let mut b = json!({ "properties": { "category": "c", "displayName": "d" } });
                if let Some(q) = query {
                    b["properties"]["query"] = json!(q);
                }
                if let Some(e) = etag {
                    b["etag"] = json!(e);
                }
                Some(b)
            };
            match op {
                0 => req(
                    "PUT",
                    format!("{base}/{id}{q}"),
                    body(None, Some("Heartbeat | count")),
                ),
                1 => req(
                    "PUT",
                    format!("{base}/{id}{q}"),
                    body(Some("*"), Some("Syslog")),
                ),
                2 => req(
                    "PUT",
                    format!("{base}/{id}{q}"),
                    body(Some("W/\"stale\""), Some("Syslog")),
                ),
                3 => req("PUT", format!("{base}/{id}{q}"), body(None, None)),
                4 => req("DELETE", format!("{base}/{id}{q}"), None),
                5 => req("GET", format!("{base}{q}"), None),
                _ => req("GET", format!("{base}/{id}{q}"), None),
            }
        })
}

/// Log search alert rules on a workspace: create (with and without the storage check), patch,
/// delete, list; the alerts they fired (list, and an id that does not exist).
fn log_alert_req() -> impl Strategy<Value = Req> {
    (group_url(), select(&WORKSPACES[..]), any::<bool>(), 0..8u8).prop_map(|(g, w, check, op)| {
        let alerts = format!("{}/providers/Microsoft.AlertsManagement/alerts", &g[..g.find("/resourceGroups").unwrap()]);
        let url = format!("{g}/providers/Microsoft.Insights/scheduledQueryRules/r1?api-version=2023-12-01");
        let ws = format!("{}/providers/Microsoft.OperationalInsights/workspaces/{w}", g.trim_start_matches(ARM));
        match op {
            0 | 1 => req(
                "PUT",
                url,
                Some(json!({ "location": "eastus", "properties": {
                    "severity": 2, "enabled": true, "evaluationFrequency": "PT5M", "windowSize": "PT10M",
                    "scopes": [ws], "checkWorkspaceAlertsStorageConfigured": check,
                    "criteria": { "allOf": [{ "query": "App_CL | count", "timeAggregation": "Count",
                        "operator": "GreaterThan", "threshold": 0 }] } } })),
            ),
            2 => req("PATCH", url, Some(json!({ "properties": { "enabled": false } }))),
            3 => req("DELETE", url, None),
            5 => req("GET", format!("{alerts}?api-version=2019-05-05-preview"), None),
            6 => req(
                "GET",
                format!("{alerts}/00000000-0000-4000-8000-000000000001?api-version=2023-07-12-preview"),
                None,
            ),
            _ => req("GET", url, None),
        }
    })
}

/// Storage accounts and linked storage: create (in the workspaces' region or another), link
/// them for a data source type (one, two, or a missing one), unlink, list.
fn byos_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&WORKSPACES[..]),
        select(&["sa1", "sa2", "nosuch"][..]),
        select(&["Query", "Alerts", "CustomLogs", "Ingestion", "Bogus"][..]),
        0..6u8,
    )
        .prop_map(|(g, w, sa, kind, op)| {
            let sa_url = |name: &str| format!("{}/providers/Microsoft.Storage/storageAccounts/{name}", g.trim_start_matches(ARM));
            let links = format!("{g}/providers/Microsoft.OperationalInsights/workspaces/{w}/linkedStorageAccounts");
            let q = "?api-version=2020-08-01";
            match op {
                0 | 1 => req(
                    "PUT",
                    format!("{g}/providers/Microsoft.Storage/storageAccounts/{sa}?api-version=2025-06-01"),
                    Some(json!({ "location": if op == 0 { "eastus" } else { "westus2" }, "kind": "StorageV2",
                        "sku": { "name": "Standard_LRS" } })),
                ),
                2 => req(
                    "PUT",
                    format!("{links}/{kind}{q}"),
                    Some(json!({ "properties": { "storageAccountIds": [sa_url(sa)] } })),
                ),
                3 => req(
                    "PUT",
                    format!("{links}/{kind}{q}"),
                    Some(json!({ "properties": { "storageAccountIds": [sa_url("sa1"), sa_url("sa2")] } })),
                ),
                4 => req("DELETE", format!("{links}/{kind}{q}"), None),
                _ => req("GET", format!("{links}{q}"), None),
            }
        })
}

/// Customer Lockbox: opt-in, the request list with its one filter (and others, refused), and
/// decisions on requests that may not exist.
fn lockbox_req() -> impl Strategy<Value = Req> {
    (
        group_url(),
        select(&["2018-02-28-preview", "2018-10-11-preview", "2020-01-01"][..]),
        0..6u8,
    )
        .prop_map(|(g, ver, op)| {
            let sub = &g[..g.find("/resourceGroups").unwrap()];
            let lb = "/providers/Microsoft.CustomerLockbox";
            let q = format!("?api-version={ver}");
            match op {
                0 => req("POST", format!("{ARM}{lb}/enableLockbox{q}"), None),
                1 => req("POST", format!("{ARM}{lb}/disableLockbox{q}"), None),
                2 => req(
                    "GET",
                    format!("{sub}{lb}/requests{q}&$filter=properties/status eq 'Pending'"),
                    None,
                ),
                3 => req(
                    "GET",
                    format!("{sub}{lb}/requests{q}&$filter=name eq 'x'"),
                    None,
                ),
                4 => req(
                    "POST",
                    format!(
                        "{sub}{lb}/requests/00000000-0000-0000-0000-000000000001/updateApproval{q}"
                    ),
                    Some(json!({ "status": "Approve", "reason": "r" })),
                ),
                _ => req("GET", format!("{ARM}{lb}/tenantOptedIn/{TENANT}{q}"), None),
            }
        })
}

fn misc_req() -> impl Strategy<Value = Req> {
    (group_url(), select(&REGIONS[..]), 0..5u8).prop_map(|(g, loc, op)| match op {
        0 => req(
            "PUT",
            format!("{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua-one?api-version=2023-01-31"),
            Some(json!({ "location": loc })),
        ),
        1 => req("GET", "https://graph.microsoft.com/v1.0/me".into(), None),
        2 => req("GET", format!("{ARM}/subscriptions?api-version=2022-12-01"), None),
        3 => req(
            "GET",
            format!("{}/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01", &g[..g.find("/resourceGroups").unwrap()]),
            None,
        ),
        _ => req(
            "POST",
            format!("{}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/kv-one/purge?api-version=2023-07-01", &g[..g.find("/resourceGroups").unwrap()]),
            None,
        ),
    })
}

/// A valid request of any kind (key creation rare).
fn valid_req() -> impl Strategy<Value = Req> {
    prop_oneof![
        4 => rg_req(),
        4 => vault_req(),
        3 => policy_req(),
        1 => key_create_req(),
        5 => key_req(),
        6 => cluster_req(),
        5 => workspace_req(),
        3 => sentinel_req(),
        2 => saved_search_req(),
        2 => lockbox_req(),
        2 => log_alert_req(),
        2 => byos_req(),
        2 => misc_req(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let replacement = prop_oneof![
        Just(Value::Null),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(i64::MIN)),
        Just(json!("")),
        Just(json!("ünïcødé ☃ \u{202e}")),
        Just(json!([])),
        Just(json!({})),
        Just(json!(true)),
        json_value(),
    ];
    prop_oneof![
        10 => Just(Mutation::None),
        3 => any::<usize>().prop_map(Mutation::RemoveField),
        3 => (any::<usize>(), replacement).prop_map(|(i, v)| Mutation::ReplaceField(i, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => prop_oneof![
            "\\PC{0,30}",
            Just("{\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1e999}}".to_string()),
            Just("{\"location\":\"eastus\",\"sku\":{\"capacity\":18446744073709551616}}".to_string()),
            Just("{\"a\":".repeat(40)),
            Just("\u{feff}{}".to_string()),
        ]
        .prop_map(Mutation::RawBody),
        1 => Just(Mutation::DropApiVersion),
        1 => prop_oneof![Just("1999-01-01".to_string()), Just("".to_string()), "\\PC{0,12}"].prop_map(Mutation::ApiVersion),
        1 => select(vec!["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", ""]).prop_map(|m| Mutation::Method(m.to_string())),
    ]
}

/// Every path to a value inside a JSON document (object members and array items).
fn paths(v: &Value, prefix: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(PathPart::Key(k.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(PathPart::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn parent_mut<'v>(v: &'v mut Value, path: &[PathPart]) -> &'v mut Value {
    path.iter().fold(v, |node, part| match part {
        PathPart::Key(k) => &mut node[k.as_str()],
        PathPart::Index(i) => &mut node[*i],
    })
}

fn edit(body: &mut Value, pick: usize, replace: Option<Value>) {
    let mut all = Vec::new();
    paths(body, &mut Vec::new(), &mut all);
    if all.is_empty() {
        if let Some(v) = replace {
            *body = v;
        }
        return;
    }
    let path = &all[pick % all.len()];
    let (last, parent) = path.split_last().unwrap();
    let node = parent_mut(body, parent);
    match (last, replace) {
        (PathPart::Key(k), None) => {
            node.as_object_mut().unwrap().remove(k);
        }
        (PathPart::Index(i), None) => {
            node.as_array_mut().unwrap().remove(*i);
        }
        (PathPart::Key(k), Some(v)) => node[k.as_str()] = v,
        (PathPart::Index(i), Some(v)) => node[*i] = v,
    }
}

fn apply(r: Req, m: Mutation) -> Step {
    let mut method = r.method;
    let mut url = r.url;
    let json_body = r.body;
    let mut body = json_body.as_ref().map(Value::to_string);
    match m {
        Mutation::None => {}
        Mutation::RemoveField(i) => {
            if let Some(mut b) = json_body {
                edit(&mut b, i, None);
                body = Some(b.to_string());
            }
        }
        Mutation::ReplaceField(i, v) => {
            let mut b = json_body.unwrap_or(Value::Null);
            edit(&mut b, i, Some(v));
            body = Some(b.to_string());
        }
        Mutation::Truncate(i) => {
            if let Some(b) = &body {
                let cut = b
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(i % b.chars().count().max(1))
                    .unwrap_or(0);
                body = Some(b[..cut].to_string());
            }
        }
        Mutation::RawBody(s) => body = Some(s),
        Mutation::DropApiVersion => {
            if let Some(i) = url.find("?api-version=") {
                url.truncate(i);
            }
        }
        Mutation::ApiVersion(v) => {
            if let Some(i) = url.find("?api-version=") {
                url.truncate(i);
            }
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            url = format!("{url}?api-version={enc}");
        }
        Mutation::Method(m) => method = m,
    }
    Step::Http { method, url, body }
}

/// A request from nowhere: random method, host, path, query and body.
fn random_step() -> impl Strategy<Value = Step> {
    let method = prop_oneof![
        select(vec![
            "GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS", "ƒ"
        ])
        .prop_map(String::from),
        "\\PC{0,6}",
    ];
    let host = prop_oneof![
        select(vec![
            "management.azure.com",
            "kv-one.vault.azure.net",
            "kv-two.vault.azure.net",
            "graph.microsoft.com",
            "example.com",
            "management.azure.com:443",
            "user@management.azure.com",
        ])
        .prop_map(String::from),
        "[a-z0-9.-]{0,20}",
    ];
    let segment = prop_oneof![
        select(vec![
            "subscriptions",
            SUB,
            SUB2,
            "resourceGroups",
            "rg1",
            "providers",
            "Microsoft.OperationalInsights",
            "Microsoft.KeyVault",
            "Microsoft.Authorization",
            "Microsoft.ManagedIdentity",
            "clusters",
            "workspaces",
            "vaults",
            "keys",
            "deletedkeys",
            "linkedServices",
            "cluster",
            "accessPolicies",
            "add",
            "locations",
            "eastus",
            "operationStatuses",
            "operationResults",
            "roleAssignments",
            "roleDefinitions",
            "userAssignedIdentities",
            "clone",
            "ws-one",
            "kv-one",
            "k1",
            "wrapkey",
            "unwrapkey",
            "rotate",
            "create",
            "versions",
            "recover",
            "v1.0",
            "me",
            "servicePrincipals",
            "deletedVaults",
            "purge",
            "register",
            "%",
            "%zz",
            "%E2%80%99",
            "..",
            "",
        ])
        .prop_map(String::from),
        "\\PC{0,10}",
    ];
    let query = prop_oneof![
        select(vec![
            "api-version=2021-04-01",
            "api-version=2021-06-01",
            "api-version=2023-07-01",
            "api-version=7.4",
            "api-version=2022-04-01",
            "api-version=2023-01-31",
            "API-VERSION=2022-10-01",
            "api-version",
            "api-version=&force=true",
            "",
        ])
        .prop_map(String::from),
        "\\PC{0,15}",
    ];
    let body = prop_oneof![
        Just(None),
        "\\PC{0,30}".prop_map(Some),
        json_value().prop_map(|v| Some(v.to_string())),
    ];
    let scheme = select(vec![
        "https://", "https://", "http://", "HTTPS://", "", "ftp://",
    ]);
    (
        method,
        scheme,
        host,
        prop::collection::vec(segment, 0..9),
        query,
        body,
        "\\PC{0,40}",
        0..12u8,
    )
        .prop_map(|(method, scheme, host, segs, query, body, raw, k)| {
            let url = if k == 0 {
                raw
            } else {
                format!("{scheme}{host}/{}?{query}", segs.join("/"))
            };
            Step::Http { method, url, body }
        })
}

fn advance() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0..3600u64,
        3 => 3600..(4 * 3600u64),
        2 => 86_400..(15 * 86_400u64),
        1 => (29 * 86_400u64)..(32 * 86_400u64),
        // Rarely, to the end of time: the clock stops at the end of year 9999.
        1 => select(vec![u64::MAX, u64::MAX / 2, 300_000_000_000]),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => (valid_req(), mutation()).prop_map(|(r, m)| apply(r, m)),
        3 => random_step(),
        5 => advance().prop_map(Step::Advance),
        2 => (select(&VAULTS[..]), select(&CLUSTERS[..]), prop::sample::subsequence(vec!["get", "wrapKey", "unwrapKey"], 0..=3))
            .prop_map(|(vault, cluster, perms)| Step::GrantCluster { vault, cluster, perms }),
        1 => (
            select(&VAULTS[..]),
            prop::option::of(select(&CLUSTERS[..])),
            select(vec![
                "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
                "e147488a-f6f5-4113-8e2d-b22465e65bf6",
                "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                "00000000-0000-4000-8000-000000000000",
            ]),
            0..3u8,
        )
            .prop_map(|(vault, cluster, role, name)| Step::AssignRole { vault, cluster, role, name }),
        3 => Just(Step::FollowOperation),
        1 => (select(&VAULTS[..]), select(&KEYS[..]), select(&ALGS[..3]), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(vault, key, alg, data)| Step::WrapRoundTrip { vault, key, alg, data }),
        1 => Just(Step::Snapshot),
    ]
}

/// Cases start from one of four worlds, so that deep states (key set, workspaces linked) are
/// reached often: nothing; a group and a vault; plus a key and a provisioned cluster with its
/// access policy; plus the key identifier set and a linked workspace. The last two create one
/// RSA key each.
fn prefix(level: u8) -> Vec<Step> {
    let http = |method: &str, url: String, body: Value| Step::Http {
        method: method.into(),
        url,
        body: Some(body.to_string()),
    };
    let g = format!("{ARM}/subscriptions/{SUB}/resourceGroups/rg1");
    let oi = "api-version=2022-10-01";
    let mut steps = Vec::new();
    if level >= 1 {
        steps.push(http(
            "PUT",
            format!("{g}?api-version=2021-04-01"),
            json!({ "location": "eastus" }),
        ));
        steps.push(http(
            "PUT",
            format!("{g}/providers/Microsoft.KeyVault/vaults/kv-one?api-version=2023-07-01"),
            json!({ "location": "eastus", "properties": {
                "tenantId": TENANT, "sku": { "family": "A", "name": "standard" },
                "accessPolicies": [{ "tenantId": TENANT, "objectId": USER, "permissions": { "keys": ["all"] } }],
                "enableSoftDelete": true, "enablePurgeProtection": true,
            }}),
        ));
    }
    if level >= 2 {
        steps.push(http(
            "POST",
            "https://kv-one.vault.azure.net/keys/k1/create?api-version=7.4".into(),
            json!({ "kty": "RSA", "key_size": 2048 }),
        ));
        steps.push(http(
            "PUT",
            format!("{g}/providers/Microsoft.OperationalInsights/clusters/clone?{oi}"),
            json!({ "location": "eastus", "identity": { "type": "SystemAssigned" }, "sku": { "name": "CapacityReservation", "capacity": 100 } }),
        ));
        steps.push(Step::Advance(3 * 3600));
        steps.push(Step::GrantCluster {
            vault: "kv-one",
            cluster: "clone",
            perms: vec!["get", "wrapKey", "unwrapKey"],
        });
    }
    if level >= 3 {
        steps.push(http(
            "PATCH",
            format!("{g}/providers/Microsoft.OperationalInsights/clusters/clone?{oi}"),
            json!({ "properties": { "keyVaultProperties": { "keyVaultUri": "https://kv-one.vault.azure.net", "keyName": "k1", "keyVersion": "" } } }),
        ));
        steps.push(http(
            "PUT",
            format!("{g}/providers/Microsoft.OperationalInsights/workspaces/ws-one?{oi}"),
            json!({ "location": "eastus" }),
        ));
        steps.push(Step::Advance(3600));
        steps.push(http(
            "PUT",
            format!("{g}/providers/Microsoft.OperationalInsights/workspaces/ws-one/linkedServices/cluster?{oi}"),
            json!({ "properties": { "writeAccessResourceId": format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.OperationalInsights/clusters/clone") } }),
        ));
        steps.push(Step::Advance(2 * 3600));
    }
    steps
}

/// A case: a starting world (see [`prefix`]) and up to 25 random steps.
fn case(levels: std::ops::RangeInclusive<u8>) -> impl Strategy<Value = Vec<Step>> {
    (levels, prop::collection::vec(step(), 1..=25))
        .prop_map(|(level, steps)| prefix(level).into_iter().chain(steps).collect())
}

// ---- running --------------------------------------------------------------------------------------

struct Runner {
    e: Engine,
    last_async: Option<String>,
}

impl Runner {
    fn cluster_principal(&self, name: &str) -> Option<String> {
        self.e
            .snapshot()
            .clusters
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .and_then(|c| c.principal_id.clone())
    }

    fn vault_id(&self, name: &str) -> Option<String> {
        self.e
            .snapshot()
            .vaults
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| v.id.clone())
    }

    /// Sends one request and checks the properties every answer must have.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&str>,
    ) -> Result<Response, TestCaseError> {
        let before = self.e.checkpoint();
        let r = self
            .e
            .handle(method, url, &[("Content-Type", "application/json")], body);
        prop_assert!(
            (200..600).contains(&r.status),
            "status {} for {method} {url}",
            r.status
        );
        prop_assert!(
            r.body.is_null() || r.body.is_object(),
            "body is neither empty nor an object: {method} {url} -> {}",
            r.body
        );
        let text = r.body.to_string();
        let back: Value = serde_json::from_str(&text).map_err(|e| {
            TestCaseError::fail(format!("body does not round-trip as JSON ({e}): {text}"))
        })?;
        prop_assert_eq!(&back, &r.body);
        if r.status >= 400 {
            prop_assert!(
                self.e.checkpoint() == before,
                "refused request changed the state: {} {} {:?} -> {} {}",
                method,
                url,
                body,
                r.status,
                r.body
            );
            prop_assert!(
                r.body["error"]["code"]
                    .as_str()
                    .is_some_and(|c| !c.is_empty()),
                "refusal without error.code: {method} {url} -> {} {}",
                r.status,
                r.body
            );
            prop_assert!(
                r.body["error"]["message"].is_string(),
                "refusal without error.message: {}",
                r.body
            );
        }
        if r.status == 202 {
            if let Some(u) = r.header("Azure-AsyncOperation").or(r.header("Location")) {
                self.last_async = Some(u.to_string());
            }
        }
        Ok(r)
    }

    fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::Http { method, url, body } => {
                self.send(method, url, body.as_deref())?;
            }
            Step::Advance(s) => self.e.advance(*s),
            Step::GrantCluster {
                vault,
                cluster,
                perms,
            } => {
                let Some(principal) = self.cluster_principal(cluster) else {
                    return Ok(());
                };
                let Some(id) = self.vault_id(vault) else {
                    return Ok(());
                };
                let body = json!({ "properties": { "accessPolicies": [{
                    "tenantId": TENANT, "objectId": principal, "permissions": { "keys": perms }
                }]}});
                self.send(
                    "PUT",
                    &format!("{ARM}{id}/accessPolicies/add?api-version=2023-07-01"),
                    Some(&body.to_string()),
                )?;
            }
            Step::AssignRole {
                vault,
                cluster,
                role,
                name,
            } => {
                let principal = match cluster {
                    Some(c) => self.cluster_principal(c),
                    None => Some(USER.to_string()),
                };
                let (Some(principal), Some(id)) = (principal, self.vault_id(vault)) else {
                    return Ok(());
                };
                let body = json!({ "properties": {
                    "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"),
                    "principalId": principal,
                }});
                self.send(
                    "PUT",
                    &format!("{ARM}{id}/providers/Microsoft.Authorization/roleAssignments/7a000000-0000-4000-8000-00000000000{name}?api-version=2022-04-01"),
                    Some(&body.to_string()),
                )?;
            }
            Step::FollowOperation => {
                if let Some(u) = self.last_async.clone() {
                    self.send("GET", &u, None)?;
                }
            }
            Step::WrapRoundTrip {
                vault,
                key,
                alg,
                data,
            } => {
                let base = format!("https://{vault}.vault.azure.net/keys/{key}");
                let w = self.send(
                    "POST",
                    &format!("{base}/wrapkey?api-version=7.4"),
                    Some(&json!({ "alg": alg, "value": b64url(data) }).to_string()),
                )?;
                if w.status == 200 {
                    let kid = w.body["kid"].as_str().unwrap_or_default().to_string();
                    let version = kid.rsplit('/').next().unwrap_or_default();
                    let u = self.send(
                        "POST",
                        &format!("{base}/{version}/unwrapkey?api-version=7.4"),
                        Some(&json!({ "alg": alg, "value": w.body["value"] }).to_string()),
                    )?;
                    // Wrapping and unwrapping are separate permissions, and separate `key_ops`:
                    // a caller granted only `wrapKey`, or a key created without `unwrapKey`, is
                    // refused the unwrap in Key Vault's words. What must never happen is an
                    // unwrap answering anything but the original bytes.
                    if u.status == 403 {
                        let message = u.body["error"]["message"].as_str().unwrap_or_default();
                        prop_assert!(
                            message.contains("does not have keys unwrapKey permission")
                                || message.contains("Microsoft.KeyVault/vaults/keys/unwrap/action")
                                || message == "Operation unwrapKey is not permitted on this key.",
                            "unwrap after wrap refused for another reason: {}",
                            u.body
                        );
                    } else {
                        prop_assert_eq!(u.status, 200, "unwrap after wrap: {}", u.body);
                        prop_assert_eq!(&u.body["value"], &json!(b64url(data)));
                    }
                }
            }
            Step::Snapshot => {
                let s = self.e.snapshot();
                prop_assert_eq!(s.now, self.e.now());
                let _ =
                    serde_json::to_string(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }
        Ok(())
    }
}

fn check(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut runner = Runner {
        e: Engine::with_seed([42u8; 32]),
        last_async: None,
    };
    for step in steps {
        runner.run(step)?;
    }
    // Let every scheduled operation finish: completing them must not panic either.
    runner.e.advance(120 * 86_400);
    runner.run(&Step::Snapshot)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: common::property_cases(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// From an empty world or one with a group and a vault: mostly cheap requests.
    #[test]
    fn from_a_fresh_world_refusals_change_nothing_and_nothing_panics(steps in case(0..=1)) {
        check(&steps)?;
    }
}

// Each case below creates at least one RSA key (a few hundred milliseconds in the debug profile),
// so they run fewer cases, split in two tests that run in parallel.
proptest! {
    #![proptest_config(ProptestConfig {
        cases: common::property_cases(36),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// From a world with a key and a provisioned cluster granted access to it.
    #[test]
    fn from_a_provisioned_cluster_refusals_change_nothing_and_nothing_panics(steps in case(2..=2)) {
        check(&steps)?;
    }

    /// From a world where the cluster uses the key and a workspace is linked.
    #[test]
    fn from_a_linked_workspace_refusals_change_nothing_and_nothing_panics(steps in case(3..=3)) {
        check(&steps)?;
    }
}
