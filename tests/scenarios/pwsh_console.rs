//! The PowerShell console against the engine: each cmdlet's exact requests (method, URL with
//! the module's api-version, body) and what it prints, parameter binding as PowerShell does it,
//! error records, and the CMK walkthrough end to end as one script.

use cmk_playground::consoles::{ConsoleRun, Exchange, pwsh};
use cmk_playground::protocol::{Command, execute};
use serde_json::{Value, json};

use crate::common::{self, CLUSTER, RG, SUB, VAULT, WS};

/// A console session through `protocol::execute`, as the page runs it: each script sees the
/// variables the previous one left.
struct Session {
    env: common::Env,
    vars: Vec<(String, String)>,
}

impl Session {
    fn new() -> Session {
        Session {
            env: common::Env::new(),
            vars: Vec::new(),
        }
    }

    fn run(&mut self, script: &str) -> ConsoleRun {
        // As the page runs it (implicit sign-in: requests are Avery's).
        let r = execute(
            &mut self.env.e,
            &Command::Pwsh {
                script: script.into(),
                env: self.vars.clone(),
            },
        )
        .console
        .expect("a PowerShell command's reply carries its run");
        self.vars = r.env.clone();
        r
    }

    /// Runs and expects success.
    fn ok(&mut self, script: &str) -> ConsoleRun {
        let r = self.run(script);
        let failed: Vec<String> = (r.exchanges.iter())
            .filter(|x| x.response.status >= 400)
            .map(|x| {
                format!(
                    "{} {} -> {} {}",
                    x.method, x.url, x.response.status, x.response.body
                )
            })
            .collect();
        assert_eq!(r.status, 0, "{script}\n{}\n{failed:#?}", r.text());
        r
    }
}

fn methods_and_urls(r: &ConsoleRun) -> Vec<(String, String)> {
    r.exchanges
        .iter()
        .map(|x| (x.method.clone(), x.url.clone()))
        .collect()
}

fn body(x: &Exchange) -> Value {
    x.body
        .as_deref()
        .map_or(Value::Null, |b| serde_json::from_str(b).unwrap())
}

const ARM: &str = "https://management.azure.com";

#[test]
fn new_resource_group_and_key_vault_send_what_az_sends() {
    let mut s = Session::new();
    let r = s.ok(&format!("New-AzResourceGroup -Name {RG} -Location eastus"));
    assert_eq!(
        methods_and_urls(&r),
        [(
            "PUT".into(),
            format!("{ARM}/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2021-04-01")
        )]
    );
    assert!(
        r.text().contains(&format!("ResourceGroupName : {RG}\n")),
        "{}",
        r.text()
    );

    let r = s.ok(&format!(
        "$vault = New-AzKeyVault -Name {VAULT} -ResourceGroupName {RG} -Location eastus -EnablePurgeProtection -DisableRbacAuthorization"
    ));
    // Graph for the caller's object id, then the vault PUT with one policy for the caller.
    assert_eq!(r.exchanges[0].url, "https://graph.microsoft.com/v1.0/me");
    let put = &r.exchanges[1];
    assert_eq!(
        (put.method.as_str(), put.url.as_str()),
        (
            "PUT",
            format!("{ARM}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/{VAULT}?api-version=2023-02-01").as_str()
        )
    );
    let b = body(put);
    assert_eq!(b["properties"]["enablePurgeProtection"], json!(true));
    assert_eq!(b["properties"]["enableRbacAuthorization"], json!(false));
    assert_eq!(b["properties"]["softDeleteRetentionInDays"], json!(90));
    assert_eq!(
        b["properties"]["accessPolicies"][0]["objectId"],
        json!(common::USER)
    );
    assert_eq!(
        b["properties"]["accessPolicies"][0]["permissions"]["keys"],
        json!(["all"])
    );
    // An assignment prints nothing; the variable holds the vault, printed in its list view.
    assert_eq!(r.text(), "");
    let r = s.ok("$vault");
    let text = r.text();
    assert!(
        text.contains(&format!("Vault Name                          : {VAULT}\n")),
        "{text}"
    );
    assert!(
        text.contains("Purge Protection Enabled?           : True\n"),
        "{text}"
    );
    assert!(
        text.contains("Enabled For RBAC Authorization?     : False\n"),
        "{text}"
    );
    let r = s.ok("$vault.VaultUri");
    assert_eq!(r.text(), format!("https://{VAULT}.vault.azure.net/\n"));
}

#[test]
fn a_new_vault_is_an_rbac_vault_unless_told_otherwise() {
    let mut s = Session::new();
    s.ok(&format!("New-AzResourceGroup {RG} eastus"));
    let r = s.ok(&format!("New-AzKeyVault {VAULT} {RG} eastus"));
    let b = body(&r.exchanges[0]);
    assert_eq!(b["properties"]["enableRbacAuthorization"], json!(true));
    assert_eq!(b["properties"]["accessPolicies"], json!([]));
    assert!(b["properties"].get("enablePurgeProtection").is_none());
    // Update-AzKeyVault reads the vault and sends it back whole.
    let r = s.ok(&format!(
        "Update-AzKeyVault -ResourceGroupName {RG} -VaultName {VAULT} -EnablePurgeProtection"
    ));
    assert_eq!(
        r.exchanges
            .iter()
            .map(|x| x.method.as_str())
            .collect::<Vec<_>>(),
        ["GET", "PUT"]
    );
    assert_eq!(
        body(&r.exchanges[1])["properties"]["enablePurgeProtection"],
        json!(true)
    );
    // Access policies on an RBAC vault: the module says they will not be used.
    let r = s.ok(&format!(
        "Set-AzKeyVaultAccessPolicy -VaultName {VAULT} -ResourceGroupName {RG} -ObjectId 00000000-0000-0000-0000-000000000001 -PermissionsToKeys get"
    ));
    assert!(r.text().contains("WARNING: Vault"), "{}", r.text());
}

#[test]
fn parameter_binding_follows_powershell() {
    let mut s = Session::new();
    let cases = [
        (
            "New-AzKeyVault -Name v1 -Bogus 1",
            "New-AzKeyVault: A parameter cannot be found that matches parameter name 'Bogus'.\n",
        ),
        (
            "New-AzKeyVault -Name v1",
            "New-AzKeyVault: Cannot process command because of one or more missing mandatory parameters: ResourceGroupName Location.\n",
        ),
        (
            "New-AzKeyVault -Name v1 -ResourceGroupName rg -Location eastus -Sku Gold",
            "New-AzKeyVault: Cannot validate argument on parameter 'Sku'. The argument \"Gold\" does not belong to the set \"Standard,Premium\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.\n",
        ),
        (
            "New-AzOperationalInsightsCluster -ResourceGroupName rg -ClusterName c1 -Location eastus -SkuCapacity lots",
            "New-AzOperationalInsightsCluster: Cannot process argument transformation on parameter 'SkuCapacity'. Cannot convert value \"lots\" to type \"System.Int64\". Error: \"The input string 'lots' was not in a correct format.\"\n",
        ),
        (
            "Get-AzKeyVault -VaultName",
            "Get-AzKeyVault: Missing an argument for parameter 'VaultName'. Specify a parameter of type 'System.String' and try again.\n",
        ),
        (
            "Get-AzOperationalInsightsCluster a b c",
            "Get-AzOperationalInsightsCluster: A positional parameter cannot be found that accepts argument 'c'.\n",
        ),
        (
            "New-AzOperationalInsightsCluster -Key x",
            "New-AzOperationalInsightsCluster: Parameter cannot be processed because the parameter name 'Key' is ambiguous. Possible matches include: -KeyVaultUri -KeyName -KeyVersion.\n",
        ),
        (
            "Get-AzFrobnicator",
            "Get-AzFrobnicator: The term 'Get-AzFrobnicator' is not recognized as a name of a cmdlet, function, script file, or executable program.\nCheck the spelling of the name, or if a path was included, verify that the path is correct and try again.\n",
        ),
    ];
    for (script, expected) in cases {
        let r = s.run(script);
        assert_eq!(r.status, 1, "{script}");
        assert_eq!(r.text(), expected, "{script}");
        assert!(r.exchanges.is_empty(), "{script} sent requests");
    }
    // Unique prefixes, aliases and case are accepted.
    let r = s.ok("get-azcontext");
    assert!(r.text().contains("AzureCloud"), "{}", r.text());
    // A script goes on after an error, as PowerShell does; the status says one failed.
    let r = s.run("Get-AzFrobnicator\nWrite-Output 'still here'");
    assert_eq!(r.status, 1);
    assert!(r.text().ends_with("still here\n"), "{}", r.text());
}

#[test]
fn the_walkthrough_end_to_end_in_powershell() {
    let mut s = Session::new();
    let script = pwsh::examples::walkthrough(RG, "eastus", VAULT, "la-cmk", CLUSTER, WS);
    let r = s.ok(&script);
    let text = r.text();
    assert!(
        text.contains("cluster: Succeeded, key: la-cmk, link: Succeeded"),
        "{text}"
    );
    // The query ran on the linked workspace: one row, Count.
    assert!(text.contains("Count\n-----\n0\n"), "{text}");
    assert!(text.contains("(playground: polled"), "{text}");
    // The requests, in the modules' versions.
    let urls: Vec<String> = r
        .exchanges
        .iter()
        .map(|x| format!("{} {}", x.method, x.url))
        .collect();
    let cluster = format!(
        "{ARM}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.OperationalInsights/clusters/{CLUSTER}?api-version=2021-06-01"
    );
    assert!(urls.contains(&format!("PUT {cluster}")), "{urls:#?}");
    assert!(urls.contains(&format!("PATCH {cluster}")), "{urls:#?}");
    assert!(urls.iter().any(|u| u.starts_with(
        "POST https://contoso-cmk-kv.vault.azure.net/keys/la-cmk/create?api-version=7.5"
    )));
    assert!(
        urls.iter()
            .any(|u| u.contains("/workspaces/contoso-ws?api-version=2021-12-01-preview"))
    );
    assert!(
        urls.iter()
            .any(|u| u.contains("/linkedServices/cluster?api-version=2020-08-01"))
    );
    let patch = r.exchanges.iter().find(|x| x.method == "PATCH").unwrap();
    assert_eq!(
        body(patch),
        json!({"properties": {"keyVaultProperties": {
            "keyVaultUri": format!("https://{VAULT}.vault.azure.net/"),
            "keyName": "la-cmk",
            "keyVersion": s.run("$key.Version").text().trim(),
        }}})
    );
    // The world agrees: the workspace is linked to the cluster with the key.
    let c = s.env.get_cluster();
    assert_eq!(c["properties"]["keyVaultProperties"]["keyName"], "la-cmk");
    let r = s.ok("(Get-AzOperationalInsightsCluster -ResourceGroupName cmk-rg -ClusterName cmkcluster01).AssociatedWorkspaces");
    assert_eq!(r.text(), format!("{WS}\n"));
}

#[test]
fn service_errors_are_printed_as_the_modules_print_them() {
    let mut s = Session::new();
    // Clusters: Az.OperationalInsights' ErrorResponseException says only the status; the
    // service's own words follow, as $Error[0].Exception.Body holds them.
    let r = s.run("Get-AzOperationalInsightsCluster -ResourceGroupName nope -ClusterName c1");
    assert_eq!(r.status, 1);
    assert!(
        r.text().starts_with("Get-AzOperationalInsightsCluster: Operation returned an invalid status code 'NotFound'\n    Body: ("),
        "{}",
        r.text()
    );
    // Key Vault carries the service's message.
    let r = s.run("Get-AzKeyVaultKey -VaultName nosuchvault -Name k");
    assert_eq!(r.status, 1);
    assert!(r.text().starts_with("Get-AzKeyVaultKey: "), "{}", r.text());
    assert!(!r.text().contains("invalid status code"), "{}", r.text());
}

#[test]
fn debug_traces_every_request_and_variables_persist() {
    let mut s = Session::new();
    let r = s.ok(&format!(
        "New-AzResourceGroup -Name {RG} -Location eastus -Debug"
    ));
    let text = r.text();
    assert!(
        text.contains(
            "DEBUG: ============================ HTTP REQUEST ============================"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Absolute Uri:\n{ARM}/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2021-04-01"
        )),
        "{text}"
    );
    assert!(text.contains("Status Code:\nCreated"), "{text}");
    s.ok("$names = 'a', 'b'; $h = @{ Name = 'x'; N = 2 }");
    assert_eq!(s.ok("$names").text(), "a\nb\n");
    assert_eq!(s.ok("$h.N").text(), "2\n");
    assert_eq!(
        s.ok("$h | ConvertTo-Json -Compress").text(),
        "{\"Name\":\"x\",\"N\":2}\n"
    );
    assert_eq!(s.ok("\"$($h.Name)-$($names.Count)\"").text(), "x-2\n");
}

#[test]
fn query_results_and_saved_searches() {
    let mut s = Session::new();
    s.env.provisioned();
    let ws = s
        .env
        .arm("GET", &common::Env::workspace_path(WS), common::OI, None);
    let customer_id = ws.body["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.ok(&format!(
        "$r = Invoke-AzOperationalInsightsQuery -WorkspaceId {customer_id} -Query 'print x = 1, y = \"two\"'\n$r.Results | Format-Table"
    ));
    assert_eq!(
        r.exchanges[0].url,
        format!("https://api.loganalytics.io/v1/workspaces/{customer_id}/query")
    );
    assert!(r.text().contains("x y\n- ---\n1 two\n"), "{}", r.text());
    let r = s.run(&format!(
        "Invoke-AzOperationalInsightsQuery -WorkspaceId {customer_id} -Query 'Syslog | frobnicate'"
    ));
    assert!(
        r.text()
            .contains("Operation returned an invalid status code 'BadRequest'"),
        "{}",
        r.text()
    );
    let r = s.ok(&format!("(Get-AzOperationalInsightsSavedSearch -ResourceGroupName {RG} -WorkspaceName {WS}).Value.Count"));
    assert_eq!(
        r.exchanges[0].url,
        format!(
            "{ARM}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{WS}/savedSearches?api-version=2020-08-01"
        )
    );
}

#[test]
fn bad_scripts_never_panic_and_change_nothing() {
    let mut s = Session::new();
    for script in [
        "",
        "$",
        "\"unterminated",
        "@{ a = ",
        "((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))",
        "Get-AzContext | Select-Object -ExpandProperty Nope",
        "$x = $y.z.w; $x",
        "Invoke-AzRestMethod -Path '/subscriptions' -Method GET -Payload '{bad'",
        "Start-Sleep -Seconds -5",
        "Write-Output `",
    ] {
        let before = s.env.e.now();
        let _ = s.run(script);
        assert_eq!(s.env.e.now(), before, "{script}");
    }
}

#[test]
fn key_update_rotation_and_linked_storage() {
    let mut s = Session::new();
    s.env.provisioned();
    let r = s.ok(&format!(
        "Update-AzKeyVaultKey -VaultName {VAULT} -Name {key} -Enable $false -PassThru",
        key = common::KEY
    ));
    assert_eq!(
        methods_and_urls(&r),
        [(
            "PATCH".into(),
            format!(
                "https://{VAULT}.vault.azure.net/keys/{}/?api-version=7.5",
                common::KEY
            )
        )]
    );
    assert_eq!(
        body(&r.exchanges[0]),
        json!({"attributes": {"enabled": false}})
    );
    assert!(
        r.text().contains("Enabled        : False\n"),
        "{}",
        r.text()
    );
    s.ok(&format!(
        "Update-AzKeyVaultKey {VAULT} {} -Enable $true",
        common::KEY
    ));
    let r = s.ok(&format!(
        "$new = Invoke-AzKeyVaultKeyRotation -VaultName {VAULT} -Name {}\n$new.Version",
        common::KEY
    ));
    assert_eq!(
        methods_and_urls(&r),
        [(
            "POST".into(),
            format!(
                "https://{VAULT}.vault.azure.net/keys/{}/rotate?api-version=7.5",
                common::KEY
            )
        )]
    );
    let version = r.text().trim().to_string();
    assert_eq!(version.len(), 32, "{version}");
    let r = s.ok(&format!("Get-AzKeyVaultKey -VaultName {VAULT} -Name {} -IncludeVersions | Select-Object -ExpandProperty Version", common::KEY));
    assert!(r.text().contains(&version), "{}", r.text());

    // A storage account for the workspace's queries (BYOS), linked.
    let sa = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/byos"
    );
    let r = s.env.arm(
        "PUT",
        &sa,
        "2023-05-01",
        Some(json!({"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.run(&format!(
        "New-AzOperationalInsightsLinkedStorageAccount -ResourceGroupName {RG} -WorkspaceName {WS} -DataSourceType Query -StorageAccountIds {sa}"
    ));
    assert_eq!(
        methods_and_urls(&r),
        [(
            "PUT".into(),
            format!(
                "{ARM}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{WS}/linkedStorageAccounts/Query?api-version=2020-08-01"
            )
        )]
    );
    assert_eq!(
        body(&r.exchanges[0]),
        json!({"properties": {"storageAccountIds": [sa]}})
    );
    if r.status == 0 {
        assert!(
            r.text().contains("DataSourceType    : Query"),
            "{}",
            r.text()
        );
    } else {
        // The service's refusal in its own words (CloudException carries the message).
        assert!(
            r.text()
                .starts_with("New-AzOperationalInsightsLinkedStorageAccount: "),
            "{}",
            r.text()
        );
        assert!(!r.text().contains("invalid status code"), "{}", r.text());
    }
    let r = s.run("New-AzOperationalInsightsLinkedStorageAccount -ResourceGroupName a -WorkspaceName b -DataSourceType Logs -StorageAccountIds x");
    assert!(
        r.text().contains(
            "does not belong to the set \"CustomLogs,AzureWatson,Query,Alerts,Ingestion\""
        ),
        "{}",
        r.text()
    );
}

/// The walkthrough shows each card's step as a cmdlet; run in order, those lines provision
/// what the REST requests do.
#[test]
fn each_walkthrough_card_runs_as_the_cmdlet_it_shows() {
    use cmk_playground::walkthrough::{self as wt, Card, Context, Settings};
    let mut s = Session::new();
    let settings = Settings::default();
    for card in Card::all() {
        let snap = s.env.e.snapshot();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let (az, ps, _) = wt::as_cli(card, &cx).unwrap();
        assert!(az.starts_with("az "), "{az}");
        s.ok(&ps);
    }
    let r = s.ok(&format!(
        "$c = Get-AzOperationalInsightsCluster {} {}\n\"$($c.KeyVaultProperties.KeyName) $($c.AssociatedWorkspaces)\"",
        settings.group, settings.cluster
    ));
    assert_eq!(
        r.text(),
        format!("{} {}\n", settings.key, settings.workspace)
    );
}
