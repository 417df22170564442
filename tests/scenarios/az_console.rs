//! The `az` console: each command's requests (method, URL with api-version, body) and printed
//! output, run through `protocol::execute` with the page's sign-in, and the CMK walkthrough end
//! to end as one script.

use crate::common;
use cmk_playground::consoles::ConsoleRun;
use cmk_playground::consoles::az::examples::{Names, walkthrough};
use cmk_playground::engine::Engine;
use cmk_playground::engine::world::USER_UPN;
use cmk_playground::protocol::{Command, execute};
use serde_json::{Value, json};

/// An engine the way the page starts one: Avery signed in, real tokens on every request.
fn engine() -> Engine {
    let mut e = Engine::with_seed([7u8; 32]);
    let r = execute(
        &mut e,
        &Command::SignIn {
            who: USER_UPN.into(),
        },
    );
    assert!(r.error.is_none(), "{:?}", r.error);
    e
}

fn az(e: &mut Engine, script: &str) -> ConsoleRun {
    az_env(e, script, &[])
}

fn az_env(e: &mut Engine, script: &str, env: &[(String, String)]) -> ConsoleRun {
    let reply = execute(
        e,
        &Command::Az {
            script: script.into(),
            env: env.to_vec(),
        },
    );
    reply
        .console
        .expect("an az command's reply carries its run")
}

/// Requests other than polls, as `METHOD path?query status`, for comparing sequences.
fn calls(run: &ConsoleRun) -> Vec<String> {
    run.exchanges
        .iter()
        .filter(|x| !x.url.contains("operationStatuses") && !x.url.contains("operationresults"))
        .map(|x| {
            let url = x
                .url
                .split_once("azure.com")
                .map_or(x.url.as_str(), |(_, p)| p);
            let url = url.replace(common::SUB, "{s}");
            format!("{} {} {}", x.method, url, x.response.status)
        })
        .collect()
}

fn out(run: &ConsoleRun) -> String {
    run.output
        .iter()
        .filter(|c| c.stream == "stdout")
        .map(|c| c.text.as_str())
        .collect()
}

fn err(run: &ConsoleRun) -> String {
    run.output
        .iter()
        .filter(|c| c.stream == "stderr")
        .map(|c| c.text.as_str())
        .collect()
}

fn body(run: &ConsoleRun, i: usize) -> Value {
    serde_json::from_str(run.exchanges[i].body.as_deref().unwrap_or("null")).unwrap()
}

#[test]
fn walkthrough_end_to_end() {
    let mut e = engine();
    let run = az(&mut e, &walkthrough(&Names::default()));
    assert_eq!(run.status, 0, "{}", run.text());
    let stdout = out(&run);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("key: https://contoso-cmk-kv.vault.azure.net/keys/la-cmk/"),
        "{stdout}"
    );
    assert_eq!(
        &lines[1..],
        ["la-cmk", "Succeeded", "0\tPrimaryResult", "True"],
        "{stdout}"
    );
    // Long-running operations are polled on the virtual clock and say so on stderr.
    assert!(
        err(&run).contains("- Running ..\n(playground: polled "),
        "{}",
        err(&run)
    );
    let rg = "/subscriptions/{s}/resourcegroups/cmk-rg/providers/Microsoft.OperationalInsights";
    let kv = "/subscriptions/{s}/resourceGroups/cmk-rg/providers/Microsoft.KeyVault/vaults/contoso-cmk-kv?api-version=2024-11-01";
    let c = calls(&run);
    let expected = [
        "PUT /subscriptions/{s}/resourceGroups/cmk-rg?api-version=2024-11-01 201".to_string(),
        "GET /subscriptions/{s}/resourceGroups/cmk-rg?api-version=2024-11-01 200".into(),
        format!("GET {kv} 404"),
        "GET https://graph.microsoft.com/v1.0/me 200".into(),
        format!("PUT {kv} 200"),
        "POST https://contoso-cmk-kv.vault.azure.net/keys/la-cmk/create?api-version=7.6 200".into(),
        "GET /subscriptions/{s}/resourceGroups/cmk-rg?api-version=2024-11-01 200".into(),
        format!("PUT {rg}/clusters/contosocluster?api-version=2025-02-01 202"),
        format!("GET {rg}/clusters/contosocluster?api-version=2025-02-01 200"),
        format!("GET {rg}/clusters/contosocluster?api-version=2025-02-01 200"),
        "GET /subscriptions/{s}/providers/Microsoft.KeyVault/vaults?api-version=2024-11-01 200"
            .into(),
        format!("GET {kv} 200"),
        format!("PUT {kv} 200"),
        format!("GET {rg}/clusters/contosocluster?api-version=2025-02-01 200"),
        format!("PUT {rg}/clusters/contosocluster?api-version=2025-02-01 202"),
        format!("GET {rg}/clusters/contosocluster?api-version=2025-02-01 200"),
        "GET /subscriptions/{s}/resourceGroups/cmk-rg?api-version=2024-11-01 200".into(),
        format!("PUT {rg}/workspaces/contoso-logs?api-version=2025-02-01 201"),
        format!("GET {rg}/clusters/contosocluster?api-version=2025-02-01 200"),
        format!(
            "PUT {rg}/workspaces/contoso-logs/linkedServices/cluster?api-version=2020-08-01 202"
        ),
        format!(
            "GET {rg}/workspaces/contoso-logs/linkedServices/cluster?api-version=2020-08-01 200"
        ),
        format!("GET {rg}/workspaces/contoso-logs?api-version=2025-02-01 200"),
    ];
    assert_eq!(c[..expected.len()], expected, "{c:#?}");
    let ws = e.snapshot().workspaces[0].customer_id.clone();
    let tail: Vec<&String> = c[expected.len()..]
        .iter()
        // Leaves out the provider GETs of `--wait` and the vault list of `set-policy` without -g.
        .filter(|x| !x.starts_with("GET /subscriptions/{s}/providers/Microsoft."))
        .collect();
    assert_eq!(
        tail,
        [
            &format!("POST https://api.loganalytics.io/v1/workspaces/{ws}/query 200"),
            "POST /subscriptions/{s}/providers/Microsoft.SecurityInsights/register?api-version=2024-11-01 200",
            "POST /subscriptions/{s}/providers/Microsoft.DocumentDB/register?api-version=2024-11-01 200",
            "GET https://graph.microsoft.com/v1.0/servicePrincipals?$filter=appId%20eq%20'a232010e-820c-4083-83bb-3ace5fc29d0b' 200",
            "GET /subscriptions/{s}/resourceGroups/cmk-rg/providers/Microsoft.KeyVault/vaults/contoso-cmk-kv?api-version=2024-11-01 200",
            "PUT /subscriptions/{s}/resourceGroups/cmk-rg/providers/Microsoft.KeyVault/vaults/contoso-cmk-kv?api-version=2024-11-01 200",
            &format!(
                "PUT {rg}/workspaces/contoso-logs/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2022-06-01-preview 201"
            ),
        ],
        "{c:#?}"
    );
    // The vault the CLI creates with access policies: the caller, all permissions.
    let vault = body(&run, 4);
    assert_eq!(
        vault["properties"]["accessPolicies"][0]["permissions"]["keys"],
        json!(["all"])
    );
    assert_eq!(vault["properties"]["enableRbacAuthorization"], json!(false));
    // set-policy PUTs the whole vault back with the cluster's entry added.
    let set = run
        .exchanges
        .iter()
        .filter(|x| x.method == "PUT" && x.url.contains("vaults/"))
        .nth(1)
        .unwrap();
    let set: Value = serde_json::from_str(set.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        set["properties"]["accessPolicies"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        set["properties"]["accessPolicies"][1]["permissions"],
        json!({ "keys": ["get", "wrapKey", "unwrapKey"] })
    );
    // cluster update is a GET then a PUT of the whole cluster with the key added.
    let put = run
        .exchanges
        .iter()
        .filter(|x| x.method == "PUT" && x.url.contains("clusters/"))
        .nth(1)
        .unwrap();
    let put: Value = serde_json::from_str(put.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        put["properties"]["keyVaultProperties"],
        json!({ "keyName": "la-cmk", "keyVaultUri": "https://contoso-cmk-kv.vault.azure.net", "keyVersion": "" })
    );
    assert_eq!(put["identity"], json!({ "type": "SystemAssigned" }));
    assert!(
        put["properties"].get("clusterId").is_none(),
        "read-only fields are not sent"
    );
    // The world is the walkthrough's: a linked workspace, the cluster on the key.
    let snap = e.snapshot();
    assert_eq!(
        snap.workspaces[0].link_state, "Linked",
        "{:?}",
        snap.workspaces[0]
    );
    // Every request carried Avery's token, added by the host.
    assert!(run.exchanges.iter().all(|x| {
        x.credentials
            .iter()
            .any(|(k, v)| k == "Authorization" && v.starts_with("Bearer "))
    }));
}

#[test]
fn a_replay_prints_and_sends_the_same() {
    let script = walkthrough(&Names::default());
    let first = az(&mut engine(), &script);
    let again = az(&mut engine(), &script);
    assert_eq!(first, again);
}

#[test]
fn variables_carry_over_through_env() {
    let mut e = engine();
    let run = az(
        &mut e,
        "export SUB=$(az account show --query id -o tsv)\nNAME=\"$(az account show --query user.name -o tsv)\"",
    );
    assert_eq!(run.status, 0, "{}", run.text());
    let run = az_env(&mut e, "echo \"$SUB ${NAME}\"", &run.env);
    assert_eq!(out(&run), format!("{} {USER_UPN}\n", common::SUB));
    assert!(run.exchanges.is_empty(), "az account show sends nothing");
}

#[test]
fn keyvault_create_defaults_to_rbac_and_refuses_a_second_create_and_policies() {
    let mut e = engine();
    let run = az(
        &mut e,
        "az group create -n cmk-rg -l westeurope -o none\naz keyvault create -n kv1 -g cmk-rg -o none",
    );
    assert_eq!(run.status, 0, "{}", run.text());
    assert_eq!(
        body(&run, 3),
        json!({ "location": "westeurope", "properties": {
            "tenantId": common::TENANT, "sku": { "family": "A", "name": "standard" },
            "accessPolicies": [], "enableRbacAuthorization": true, "softDeleteRetentionInDays": 90 } })
    );
    let run = az(&mut e, "az keyvault create -n kv1 -g cmk-rg");
    assert_eq!(
        (run.status, err(&run).as_str()),
        (1, "ERROR: The specified vault: kv1 already exists\n")
    );
    let run = az(
        &mut e,
        "az keyvault set-policy -n kv1 -g cmk-rg --object-id 00000000-0000-0000-0000-000000000001 --key-permissions get",
    );
    assert_eq!(
        (run.status, err(&run).as_str()),
        (
            1,
            "ERROR: Cannot set policies to a vault with '--enable-rbac-authorization' specified\n"
        )
    );
    assert_eq!(
        calls(&run),
        [
            "GET /subscriptions/{s}/resourceGroups/cmk-rg/providers/Microsoft.KeyVault/vaults/kv1?api-version=2024-11-01 200"
        ]
    );
    let run = az(
        &mut e,
        "az keyvault delete-policy -n kv1 --object-id 00000000-0000-0000-0000-000000000001",
    );
    assert_eq!(
        err(&run),
        "ERROR: Cannot delete policies to a vault with '--enable-rbac-authorization' specified\n"
    );
}

#[test]
fn client_side_errors_in_the_clis_words_and_statuses() {
    let mut e = engine();
    for (script, status, says) in [
        (
            "az keyvault create -g rg",
            2,
            "ERROR: the following arguments are required: --name/-n\n",
        ),
        (
            "az keyvault create -n kv -g rg --bogus 1",
            2,
            "ERROR: unrecognized arguments: --bogus 1\n",
        ),
        (
            "az keyvault create -n kv -g rg --sku gold",
            2,
            "ERROR: az keyvault create: 'gold' is not a valid value for '--sku'.\n",
        ),
        (
            "az keyvalt list",
            2,
            "ERROR: 'keyvalt' is misspelled or not recognized by the system.\nDid you mean 'keyvault' ?\n",
        ),
        (
            "az keyvault key create --vault-name kv -n k --ops fly",
            2,
            "ERROR: argument --ops: invalid choice: 'fly' (choose from 'decrypt', 'encrypt', 'export', 'import', 'sign', 'unwrapKey', 'verify', 'wrapKey')\n",
        ),
        (
            "az account show -o yaml2",
            2,
            "ERROR: az: 'yaml2' is not a valid value for '--output'.\nDid you mean 'yaml' ?\n",
        ),
        (
            "az account show --query 'a[' ",
            2,
            "ERROR: argument --query: invalid jmespath_type value: 'a['\n",
        ),
        (
            "az monitor log-analytics cluster delete -g rg -n c",
            1,
            "ERROR: Unable to prompt for confirmation as no tty available. Use --yes.\n",
        ),
        (
            "az account show --subscription nope",
            1,
            "ERROR: Subscription 'nope' not found. Check the spelling and casing and try again.\n",
        ),
        (
            "az keyvault key rotation-policy update --vault-name kv -n k --value @p.json",
            1,
            "ERROR: The playground has no files: pass the policy's JSON inline, --value '{...}'.\n",
        ),
        ("nope", 127, "bash: nope: command not found\n"),
    ] {
        let run = az(&mut e, script);
        assert_eq!((run.status, err(&run).as_str()), (status, says), "{script}");
        assert!(run.exchanges.is_empty(), "{script}: nothing is sent");
    }
}

#[test]
fn service_errors_print_code_and_message_and_a_missing_resource_exits_3() {
    let mut e = engine();
    let run = az(
        &mut e,
        "az group create -n rg -l eastus -o none; az monitor log-analytics cluster show -g rg -n nocluster",
    );
    assert_eq!(run.status, 3);
    let text = err(&run);
    assert!(text.starts_with("ERROR: (ResourceNotFound) "), "{text}");
    assert!(
        text.contains("\nCode: ResourceNotFound\nMessage: "),
        "{text}"
    );
    let run = az(
        &mut e,
        "az rest -m get -u /subscriptions/{subscriptionId}/resourcegroups/none?api-version=2024-11-01",
    );
    assert_eq!(run.status, 1);
    assert!(
        err(&run).starts_with("ERROR: Not Found({\"error\":{\"code\":\"ResourceGroupNotFound\""),
        "{}",
        err(&run)
    );
}

#[test]
fn key_commands_send_the_data_plane_requests() {
    let mut e = engine();
    let setup = az(
        &mut e,
        "az group create -n rg -l eastus -o none\naz keyvault create -n kv2 -g rg --enable-rbac-authorization false --enable-soft-delete true -o none",
    );
    assert_eq!(setup.status, 0, "{}", setup.text());
    let run = az(
        &mut e,
        r#"set -e
az keyvault key create --vault-name kv2 -n k --size 3072 --ops wrapKey unwrapKey --expires 2030-01-01T00:00:00Z -o none
az keyvault key rotate --vault-name kv2 -n k -o none
az keyvault key list-versions --vault-name kv2 -n k --query "length(@)"
az keyvault key set-attributes --vault-name kv2 -n k --enabled false --query attributes.enabled
az keyvault key show --vault-name kv2 -n k --query "key.kty" -o tsv
az keyvault key rotation-policy update --vault-name kv2 -n k --value '{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}}]}' -o none
az keyvault key rotation-policy show --vault-name kv2 -n k --query "lifetimeActions[0].action.type" -o tsv
az keyvault key delete --vault-name kv2 -n k -o none
az keyvault key recover --vault-name kv2 -n k -o none
"#,
    );
    assert_eq!(run.status, 0, "{}", run.text());
    assert_eq!(out(&run), "2\nfalse\nRSA\nRotate\n");
    let kv = "https://kv2.vault.azure.net";
    let c: Vec<String> = run
        .exchanges
        .iter()
        .map(|x| format!("{} {}", x.method, x.url))
        .collect();
    let v = "api-version=7.6";
    assert_eq!(
        c,
        [
            format!("POST {kv}/keys/k/create?{v}"),
            format!("POST {kv}/keys/k/rotate?{v}"),
            format!("GET {kv}/keys/k/versions?{v}"),
            format!("PATCH {kv}/keys/k/?{v}"),
            format!("GET {kv}/keys/k/?{v}"),
            format!("PUT {kv}/keys/k/rotationpolicy?{v}"),
            format!("GET {kv}/keys/k/rotationpolicy?{v}"),
            format!("DELETE {kv}/keys/k?{v}"),
            format!("POST {kv}/deletedkeys/k/recover?{v}"),
        ]
    );
    assert_eq!(
        body(&run, 0),
        json!({ "kty": "RSA", "key_size": 3072, "key_ops": ["wrapKey", "unwrapKey"], "attributes": { "enabled": true, "exp": 1_893_456_000 } })
    );
    assert_eq!(body(&run, 3), json!({ "attributes": { "enabled": false } }));
}

#[test]
fn role_assignments_look_up_the_role_then_put_a_new_assignment() {
    let mut e = engine();
    let run = az(
        &mut e,
        r#"set -e
az group create -n rg -l eastus -o none
SCOPE=$(az keyvault create -n kv3 -g rg --query id -o tsv)
az role assignment create --assignee-object-id c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43 --assignee-principal-type User --role "Key Vault Crypto Service Encryption User" --scope $SCOPE --query principalType -o tsv
az role assignment list --scope $SCOPE --assignee c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43 --query "[].roleDefinitionName" -o tsv
az role assignment delete --scope $SCOPE --assignee c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43
az role assignment list --scope $SCOPE --assignee c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43 --query "length(@)"
"#,
    );
    assert_eq!(run.status, 0, "{}", run.text());
    assert_eq!(
        out(&run),
        "User\nKey Vault Crypto Service Encryption User\n0\n"
    );
    let lookup = run
        .exchanges
        .iter()
        .find(|x| x.url.contains("roleDefinitions?"))
        .unwrap();
    assert!(lookup.url.ends_with("/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Key%20Vault%20Crypto%20Service%20Encryption%20User'&api-version=2022-04-01"), "{}", lookup.url);
    let put = run
        .exchanges
        .iter()
        .find(|x| x.method == "PUT" && x.url.contains("roleAssignments/"))
        .unwrap();
    assert!(put.url.ends_with("?api-version=2022-04-01"));
    let b: Value = serde_json::from_str(put.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        b["properties"]["principalId"],
        json!("c4d2a8f1-6e3b-4f7a-8d19-2b5e9c0a7f43")
    );
    assert!(
        b["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with("/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6")
    );
}

#[test]
fn no_wait_returns_at_once_and_wait_polls_until_created() {
    let mut e = engine();
    let run = az(
        &mut e,
        "az group create -n rg -l eastus -o none\naz monitor log-analytics cluster create -g rg -n clusterone --sku-capacity 100 --no-wait",
    );
    assert_eq!((run.status, out(&run).as_str()), (0, ""), "{}", run.text());
    assert_eq!(run.exchanges.last().unwrap().response.status, 202);
    let start = e.now();
    let run = az(
        &mut e,
        "az monitor log-analytics cluster wait -g rg -n clusterone --created",
    );
    assert_eq!(
        (run.status, err(&run).as_str()),
        (1, "ERROR: Wait operation timed-out after 3600 seconds\n")
    );
    assert_eq!(e.now() - start, 3600);
    let run = az(
        &mut e,
        "az monitor log-analytics cluster wait -g rg -n clusterone --created --interval 60 --timeout 7200 && az monitor log-analytics cluster show -g rg -n clusterone --query provisioningState -o tsv",
    );
    assert_eq!(
        (run.status, out(&run).as_str()),
        (0, "Succeeded\n"),
        "{}",
        run.text()
    );
    assert!(run.exchanges.iter().all(|x| x.method == "GET"));
}

#[test]
fn output_formats_and_debug() {
    let mut e = engine();
    let run = az(&mut e, "az group create -n rg -l eastus -o table --debug");
    let table = format!(
        "Id{pad}Location    Name    Type\n{dash}  ----------  ------  ----------------------------------\n/subscriptions/{sub}/resourceGroups/rg  eastus      rg      Microsoft.Resources/resourceGroups\n",
        sub = common::SUB,
        pad = " ".repeat(67 + 4 - 2),
        dash = "-".repeat(69)
    );
    assert_eq!(out(&run), table);
    let log = err(&run);
    let p = "DEBUG: cli.azure.cli.core.sdk.policies: ";
    assert!(
        log.contains(&format!("{p}Request method: 'PUT'\n")),
        "{log}"
    );
    assert!(
        log.contains(&format!("{p}    'Authorization': '*****'\n")),
        "{log}"
    );
    assert!(log.contains(&format!("{p}Response status: 201\n")), "{log}");
    assert!(!log.contains("Bearer"), "the token never shows");
    let run = az(
        &mut e,
        "az group show -n rg --query '{n:name, l:location}' -o tsv; az group show -n rg -o none; az group show -n rg --query name",
    );
    // knack writes a plain dict's values in key order, a multiselect hash's too.
    assert_eq!(out(&run), "eastus\trg\n\"rg\"\n");
    let run = az(&mut e, "az account show -o json");
    let v: Value = serde_json::from_str(&out(&run)).unwrap();
    assert_eq!(v["user"], json!({ "name": USER_UPN, "type": "user" }));
    assert_eq!(
        (v["id"].as_str(), v["isDefault"].as_bool()),
        (Some(common::SUB), Some(true))
    );
    assert!(out(&run).starts_with("{\n  \"environmentName\": \"AzureCloud\",\n"));
}

#[test]
fn provider_register_warns_while_registering() {
    let mut e = engine();
    let run = az(&mut e, "az provider register -n Microsoft.SecurityInsights");
    assert_eq!(run.status, 0);
    assert_eq!(
        err(&run),
        "WARNING: Registering is still on-going. You can monitor using 'az provider show -n Microsoft.SecurityInsights'\n"
    );
    let run = az(
        &mut e,
        "az provider register -n Microsoft.SecurityInsights --only-show-errors",
    );
    assert_eq!(err(&run), "");
}

#[test]
fn the_other_commands_send_their_requests() {
    let mut e = engine();
    let setup = az(
        &mut e,
        "set -e\naz group create -n rg -l eastus -o none\naz monitor log-analytics workspace create -g rg -n ws-one --retention-time 60 --quota 5 -o none\naz keyvault create -n kv4 -g rg --enable-rbac-authorization false --enable-soft-delete true -o none",
    );
    assert_eq!(setup.status, 0, "{}", setup.text());
    assert_eq!(
        body(&setup, 2),
        json!({ "location": "eastus", "properties": { "sku": { "name": "PerGB2018" }, "retentionInDays": 60, "workspaceCapping": { "dailyQuotaGb": 5.0 } } })
    );
    let run = az(
        &mut e,
        r#"set -e
az identity create -g rg -n id1 --query principalId -o tsv > /dev/null
"#,
    );
    assert_eq!(run.status, 2, "redirections are refused: {}", run.text());
    let run = az(
        &mut e,
        r#"set -e
az identity create -g rg -n id1 --query type -o tsv
az keyvault update -n kv4 -g rg --enable-purge-protection true --query properties.enablePurgeProtection
az monitor log-analytics workspace saved-search create -g rg --workspace-name ws-one -n s1 --category c --display-name "Failed logons" -q "SecurityEvent | where EventID == 4625" --fa failed --tags team=soc --query functionAlias -o tsv
az monitor log-analytics workspace saved-search list -g rg --workspace-name ws-one --query "[].displayName" -o tsv
az monitor log-analytics workspace saved-search show -g rg --workspace-name ws-one -n s1 --query query -o tsv
az monitor log-analytics cluster list --query "length(@)"
az provider show -n Microsoft.OperationalInsights --query namespace -o tsv
az monitor log-analytics workspace delete -g rg -n ws-one --yes
"#,
    );
    assert_eq!(run.status, 0, "{}", run.text());
    assert_eq!(
        out(&run),
        "Microsoft.ManagedIdentity/userAssignedIdentities\ntrue\nfailed\nFailed logons\nSecurityEvent | where EventID == 4625\n0\nMicrosoft.OperationalInsights\n"
    );
    let c = calls(&run);
    let ws = "/subscriptions/{s}/resourcegroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws-one";
    for expected in [
        "GET /subscriptions/{s}/resourceGroups/rg?api-version=2024-11-01 200".to_string(),
        "PUT /subscriptions/{s}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2023-01-31 201".into(),
        "GET /subscriptions/{s}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv4?api-version=2024-11-01 200".into(),
        "PUT /subscriptions/{s}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv4?api-version=2024-11-01 200".into(),
        format!("PUT {ws}/savedSearches/s1?api-version=2020-08-01 200"),
        format!("GET {ws}/savedSearches?api-version=2020-08-01 200"),
        format!("GET {ws}/savedSearches/s1?api-version=2020-08-01 200"),
        "GET /subscriptions/{s}/providers/Microsoft.OperationalInsights/clusters?api-version=2021-06-01 200".into(),
        "GET /subscriptions/{s}/providers/Microsoft.OperationalInsights?api-version=2024-11-01 200".into(),
    ] {
        assert!(c.contains(&expected), "{expected} in {c:#?}");
    }
    assert!(
        c.last()
            .unwrap()
            .starts_with(&format!("DELETE {ws}?api-version=2025-02-01 ")),
        "{c:#?}"
    );
    // keyvault update PUTs the vault it read, with the change.
    let put = run
        .exchanges
        .iter()
        .find(|x| x.method == "PUT" && x.url.contains("vaults/kv4"))
        .unwrap();
    let put: Value = serde_json::from_str(put.body.as_deref().unwrap()).unwrap();
    assert_eq!(put["properties"]["enablePurgeProtection"], json!(true));
    assert_eq!(
        put["properties"]["accessPolicies"].as_array().map(Vec::len),
        Some(1)
    );
    let search = run
        .exchanges
        .iter()
        .find(|x| x.method == "PUT" && x.url.contains("savedSearches"))
        .unwrap();
    let search: Value = serde_json::from_str(search.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        search,
        json!({ "properties": { "category": "c", "displayName": "Failed logons", "query": "SecurityEvent | where EventID == 4625", "functionAlias": "failed", "tags": [{ "name": "team", "value": "soc" }] } })
    );
}

#[test]
fn help_lists_commands_and_options() {
    let mut e = engine();
    let run = az(&mut e, "az monitor log-analytics cluster create --help");
    assert_eq!(run.status, 0);
    let text = out(&run);
    assert!(
        text.contains("az monitor log-analytics cluster create : Create a cluster instance."),
        "{text}"
    );
    assert!(
        text.contains("--sku-capacity") && text.contains("[Required]"),
        "{text}"
    );
    let run = az(&mut e, "az keyvault");
    assert!(out(&run).contains("Subgroups:\n    key\n"), "{}", out(&run));
    assert!(run.exchanges.is_empty());
}

#[test]
fn a_runaway_wait_is_stopped() {
    let mut e = engine();
    let run = az(
        &mut e,
        "az group create -n rg -l eastus -o none\naz monitor log-analytics cluster wait -g rg -n nothere --exists --interval 1 --timeout 99999999",
    );
    assert_eq!(run.status, 1);
    assert_eq!(
        err(&run),
        "ERROR: The playground stops a script after 5000 requests.\n"
    );
    assert_eq!(run.exchanges.len(), 5_000);
}

#[test]
fn sleep_moves_the_virtual_clock_within_a_budget() {
    let mut e = engine();
    let start = e.now();
    let run = az(&mut e, "sleep 3600 && echo slept");
    assert_eq!((run.status, out(&run).as_str()), (0, "slept\n"));
    assert_eq!(e.now(), start + 3600);
    let twelve_years = cmk_playground::protocol::MAX_ADVANCE;
    let run = az(&mut e, &format!("sleep {twelve_years}; sleep 60"));
    assert_eq!(run.status, 1);
    assert!(
        err(&run).starts_with("sleep: the virtual clock cannot move that far"),
        "{}",
        err(&run)
    );
    assert_eq!(e.now(), start + 3600 + twelve_years);
}

#[test]
fn linked_storage_takes_account_names_and_sends_their_ids() {
    let mut e = engine();
    let run = az(
        &mut e,
        r#"set -e
az group create -n rg -l eastus -o none
az monitor log-analytics workspace create -g rg -n ws-two -o none
az rest -m put -u "/subscriptions/{subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1?api-version=2025-06-01" \
  -b '{"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}' -o none
az monitor log-analytics workspace linked-storage create --type Query -g rg -n ws-two --storage-accounts acct1 --query "storageAccountIds[0]" -o tsv
az monitor log-analytics workspace linked-storage show --type Query -g rg -n ws-two --query dataSourceType -o tsv
az monitor log-analytics workspace linked-storage delete --type Query -g rg -n ws-two --yes
"#,
    );
    assert_eq!(run.status, 0, "{}", run.text());
    let account = format!(
        "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1",
        common::SUB
    );
    assert_eq!(out(&run), format!("{account}\nQuery\n"));
    let link = "/subscriptions/{s}/resourcegroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws-two/linkedStorageAccounts/Query?api-version=2020-08-01";
    let c = calls(&run);
    assert_eq!(
        c[c.len() - 3..],
        [
            format!("PUT {link} 200"),
            format!("GET {link} 200"),
            format!("DELETE {link} 200")
        ],
        "{c:#?}"
    );
    let put = run
        .exchanges
        .iter()
        .find(|x| x.url.contains("linkedStorageAccounts"))
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(put.body.as_deref().unwrap()).unwrap(),
        json!({ "properties": { "storageAccountIds": [account] } })
    );
}
