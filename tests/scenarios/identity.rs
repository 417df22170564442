//! Who may do what: the token endpoint, the check every surface runs on credentials, and ARM's
//! authorization of every request against role assignments (issue 12).

use crate::common;
use cmk_playground::engine::entra::{self, APPS, PEOPLE};
use cmk_playground::engine::errors;
use cmk_playground::engine::world::{
    RUNBOOK_APP_ID, RUNBOOK_APP_SECRET, RUNBOOK_OBJECT_ID, SAM_OBJECT_ID, SAM_UPN, USER_UPN,
};
use cmk_playground::engine::{Engine, Response};
use cmk_playground::protocol::{Command, execute};
use common::*;
use serde_json::{Value, json};

const LOGIN: &str = "https://login.microsoftonline.com";

fn token_url() -> String {
    format!("{LOGIN}/{TENANT}/oauth2/v2.0/token")
}

fn form(e: &mut Engine, body: &str) -> Response {
    e.handle(
        "POST",
        &token_url(),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body),
    )
}

/// A token for the runbook's service principal (client credentials) for `resource`.
fn app_token(e: &mut Engine, resource: &str) -> String {
    let r = form(
        e,
        &format!(
            "grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret={}&scope={}%2F.default",
            RUNBOOK_APP_SECRET.replace('~', "%7E"),
            resource.replace(':', "%3A").replace('/', "%2F")
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

/// A token for a person (the password grant through the Azure CLI's client id).
fn person_token(e: &mut Engine, upn: &str, resource: &str) -> String {
    let password = PEOPLE.iter().find(|p| p.1 == upn).unwrap().2;
    let r = form(
        e,
        &format!(
            "grant_type=password&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&username={upn}&password={password}&scope={resource}/.default"
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

fn with_token(
    e: &mut Engine,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let auth = format!("Bearer {token}");
    let text = body.map(|b| b.to_string());
    e.handle(
        method,
        url,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &auth),
        ],
        text.as_deref(),
    )
}

/// `Heartbeat | take 1` through the query API with a token.
fn query_as(e: &mut Engine, customer: &str, token: &str) -> Response {
    with_token(
        e,
        "POST",
        &format!("https://api.loganalytics.io/v1/workspaces/{customer}/query"),
        token,
        Some(json!({ "query": "Heartbeat | take 1" })),
    )
}

/// Microsoft Graph's `/v1.0/me` with a token.
fn me_as(e: &mut Engine, token: &str) -> Response {
    with_token(e, "GET", "https://graph.microsoft.com/v1.0/me", token, None)
}

fn arm_url(path: &str, version: &str) -> String {
    format!("{ARM}{path}?api-version={version}")
}

/// The JWT's claims, as any client can read them.
fn claims(token: &str) -> Value {
    entra::decode_claims(token).expect("a JWT")
}

/// A provisioned world (the five steps, as Avery) with implicit sign-in then turned off.
fn strict() -> (Env, String) {
    let (mut env, customer) = provisioned_workspace();
    env.e.set_implicit_sign_in(false);
    (env, customer)
}

#[test]
fn the_token_endpoint_issues_an_hour_long_jwt_naming_the_principal_tenant_and_audience() {
    let mut e = Engine::with_seed([7u8; 32]);
    let token = app_token(&mut e, "https://management.azure.com");
    let c = claims(&token);
    assert_eq!(c["aud"], "https://management.azure.com");
    assert_eq!(c["oid"], RUNBOOK_OBJECT_ID);
    assert_eq!(c["appid"], RUNBOOK_APP_ID);
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(c["idtyp"], "app");
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        3600
    );
    let header: Value = serde_json::from_slice(
        &cmk_playground::engine::crypto::from_b64url(token.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let person = person_token(&mut e, SAM_UPN, "https://vault.azure.net");
    let c = claims(&person);
    assert_eq!(
        (c["oid"].as_str(), c["upn"].as_str()),
        (Some(SAM_OBJECT_ID), Some(SAM_UPN))
    );
    assert_eq!(c["aud"], "https://vault.azure.net");
    // MSAL reads the tenant's discovery document first.
    let r = e.handle(
        "GET",
        &format!("{LOGIN}/{TENANT}/v2.0/.well-known/openid-configuration"),
        &[],
        None,
    );
    assert_eq!(r.body["token_endpoint"], token_url());
}

#[test]
fn the_token_endpoint_refuses_in_entra_ids_own_words() {
    let mut env = Env::new();
    let secret = RUNBOOK_APP_SECRET.replace('~', "%7E");
    let post = |body: String| move |env: &mut Env| form(&mut env.e, &body);
    env.refused(&errors::ENTRA_MISSING_PARAMETER, post("client_id=x".into()));
    env.refused(
        &errors::ENTRA_UNSUPPORTED_GRANT,
        post("grant_type=implicit&client_id=x&scope=y".into()),
    );
    env.refused(
        &errors::ENTRA_APPLICATION_NOT_FOUND,
        post("grant_type=client_credentials&client_id=00000000-0000-0000-0000-000000000000&client_secret=s&scope=https%3A%2F%2Fmanagement.azure.com%2F.default".into()),
    );
    let r = env.refused(
        &errors::ENTRA_INVALID_SECRET,
        post(format!("grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret=wrong&scope=https%3A%2F%2Fmanagement.azure.com%2F.default")),
    );
    assert_eq!(r.body["error_codes"], json!([7000215]));
    env.refused(
        &errors::ENTRA_INVALID_SCOPE,
        post(format!("grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret={secret}&scope=https%3A%2F%2Fmanagement.azure.com%2Fuser_impersonation")),
    );
    env.refused(
        &errors::ENTRA_RESOURCE_NOT_FOUND,
        post(format!("grant_type=client_credentials&client_id={RUNBOOK_APP_ID}&client_secret={secret}&scope=https%3A%2F%2Fstorage.azure.com%2F.default")),
    );
    env.refused(
        &errors::ENTRA_USER_NOT_FOUND,
        post("grant_type=password&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&username=nobody%40contoso.onmicrosoft.com&password=x&scope=https%3A%2F%2Fmanagement.azure.com%2F.default".into()),
    );
    env.refused(
        &errors::ENTRA_INVALID_PASSWORD,
        post(format!("grant_type=password&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&username={USER_UPN}&password=guess&scope=https%3A%2F%2Fmanagement.azure.com%2F.default")),
    );
    env.refused(&errors::ENTRA_TENANT_NOT_FOUND, |env| {
        env.e.handle(
            "POST",
            &format!("{LOGIN}/contoso.example/oauth2/v2.0/token"),
            &[],
            Some("grant_type=client_credentials"),
        )
    });
    env.refused(&errors::ENTRA_NOT_FOUND, |env| {
        env.e.handle(
            "GET",
            &format!("{LOGIN}/{TENANT}/oauth2/v2.0/authorize"),
            &[],
            None,
        )
    });
}

#[test]
fn without_implicit_sign_in_a_request_with_no_credentials_is_refused_as_azure_refuses_it() {
    let (mut env, customer) = strict();
    let r = env.refused(&errors::ARM_AUTHENTICATION_MISSING, |env| {
        env.arm(
            "GET",
            &format!("/subscriptions/{SUB}/resourcegroups"),
            "2021-04-01",
            None,
        )
    });
    assert!(
        r.header("WWW-Authenticate")
            .unwrap()
            .starts_with("Bearer authorization_uri=")
    );
    // Key Vault's challenge, before the body is read: azure-keyvault-keys sends the create
    // without its body first, and an empty body must not be answered 400.
    let r = env.refused(&errors::KV_TOKEN_MISSING, |env| {
        env.e.handle(
            "POST",
            &format!("https://{VAULT}.vault.azure.net/keys/new-key/create?api-version=7.4"),
            &[("Content-Type", "application/json")],
            None,
        )
    });
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(format!("Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"https://vault.azure.net\"").as_str())
    );
    env.refused(&errors::QUERY_AUTHENTICATION_MISSING, |env| {
        query(&mut env.e, &customer, "Heartbeat | take 1")
    });
    env.refused(&errors::INGEST_INVALID_AUTHORIZATION, |env| {
        post_logs(&mut env.e, &customer, "App", &json!([{ "a": 1 }]))
    });
    env.refused(&errors::GRAPH_TOKEN_EMPTY, |env| {
        env.e
            .handle("GET", "https://graph.microsoft.com/v1.0/me", &[], None)
    });
    env.refused(&errors::ARM_AUTHENTICATION_FORMAT, |env| {
        env.e.handle(
            "GET",
            &arm_url(
                &format!("/subscriptions/{SUB}/resourcegroups"),
                "2021-04-01",
            ),
            &[("Authorization", "Basic YXZlcnk6cGFzc3dvcmQ=")],
            None,
        )
    });
}

#[test]
fn each_surface_refuses_a_token_for_another_audience() {
    let (mut env, customer) = strict();
    let vault_token = app_token(&mut env.e, "https://vault.azure.net");
    let arm_token = app_token(&mut env.e, "https://management.azure.com");
    let r = env.refused(&errors::ARM_TOKEN_AUDIENCE, |env| {
        with_token(
            &mut env.e,
            "GET",
            &arm_url(&format!("/subscriptions/{SUB}"), "2022-12-01"),
            &vault_token,
            None,
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'https://vault.azure.net'")
    );
    let r = env.refused(&errors::KV_TOKEN_AUDIENCE, |env| {
        with_token(
            &mut env.e,
            "GET",
            &format!("https://{VAULT}.vault.azure.net/keys?api-version=7.4"),
            &arm_token,
            None,
        )
    });
    assert!(
        r.header("WWW-Authenticate")
            .unwrap()
            .contains("resource=\"https://vault.azure.net\"")
    );
    env.refused(&errors::QUERY_TOKEN_AUDIENCE, |env| {
        query_as(&mut env.e, &customer, &arm_token)
    });
    env.refused(&errors::GRAPH_TOKEN_INVALID, |env| {
        me_as(&mut env.e, &arm_token)
    });
}

#[test]
fn a_token_expires_after_an_hour_of_virtual_time_on_every_surface() {
    let (mut env, customer) = strict();
    let arm = app_token(&mut env.e, "https://management.azure.com");
    let kv = person_token(&mut env.e, USER_UPN, "https://vault.azure.net");
    let la = app_token(&mut env.e, "https://api.loganalytics.io");
    let graph = person_token(&mut env.e, USER_UPN, "https://graph.microsoft.com");
    let rg = arm_url(
        &format!("/subscriptions/{SUB}/resourcegroups/{RG}"),
        "2021-04-01",
    );
    assert_eq!(with_token(&mut env.e, "GET", &rg, &arm, None).status, 200);
    env.advance(3599);
    assert_eq!(with_token(&mut env.e, "GET", &rg, &arm, None).status, 200);
    env.advance(1);
    let r = env.refused(&errors::ARM_TOKEN_EXPIRED, |env| {
        with_token(&mut env.e, "GET", &rg, &arm, None)
    });
    let (issued, now) = (env.e.now() - 3600, env.e.now());
    let dotnet = cmk_playground::engine::clock::dotnet;
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
            dotnet(issued + 3600),
            dotnet(now)
        )
    );
    env.refused(&errors::KV_TOKEN_EXPIRED, |env| {
        with_token(
            &mut env.e,
            "GET",
            &format!("https://{VAULT}.vault.azure.net/keys?api-version=7.4"),
            &kv,
            None,
        )
    });
    env.refused(&errors::QUERY_TOKEN_EXPIRED, |env| {
        query_as(&mut env.e, &customer, &la)
    });
    env.refused(&errors::GRAPH_TOKEN_EXPIRED, |env| {
        me_as(&mut env.e, &graph)
    });
}

/// A token whose claims were edited after signing (or signed by anyone but the tenant).
fn tampered(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut c = claims(token);
    edit(&mut c);
    format!(
        "{}.{}.{}",
        parts[0],
        cmk_playground::engine::crypto::b64url(c.to_string().as_bytes()),
        parts[2]
    )
}

#[test]
fn a_token_edited_after_signing_or_from_another_tenant_is_refused() {
    let (mut env, customer) = strict();
    let arm = app_token(&mut env.e, "https://management.azure.com");
    let kv = app_token(&mut env.e, "https://vault.azure.net");
    let la = app_token(&mut env.e, "https://api.loganalytics.io");
    // Making oneself someone else: the signature no longer matches.
    let as_avery = |t: &str| tampered(t, |c| c["oid"] = json!(USER));
    let rg = arm_url(
        &format!("/subscriptions/{SUB}/resourcegroups/{RG}"),
        "2021-04-01",
    );
    env.refused(&errors::ARM_TOKEN_INVALID, |env| {
        with_token(&mut env.e, "GET", &rg, &as_avery(&arm), None)
    });
    env.refused(&errors::ARM_TOKEN_INVALID, |env| {
        with_token(&mut env.e, "GET", &rg, "not.a.jwt", None)
    });
    env.refused(&errors::KV_TOKEN_INVALID, |env| {
        with_token(
            &mut env.e,
            "GET",
            &format!("https://{VAULT}.vault.azure.net/keys?api-version=7.4"),
            &as_avery(&kv),
            None,
        )
    });
    env.refused(&errors::QUERY_TOKEN_INVALID, |env| {
        with_token(
            &mut env.e,
            "POST",
            &format!("https://api.loganalytics.io/v1/workspaces/{customer}/query"),
            &as_avery(&la),
            Some(json!({ "query": "Heartbeat | take 1" })),
        )
    });
    let other = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";
    let foreign = |t: &str| tampered(t, |c| c["iss"] = json!(other));
    let r = env.refused(&errors::ARM_TOKEN_TENANT, |env| {
        with_token(&mut env.e, "GET", &rg, &foreign(&arm), None)
    });
    assert!(r.body["error"]["message"].as_str().unwrap().contains(other));
    env.refused(&errors::KV_TOKEN_ISSUER, |env| {
        with_token(
            &mut env.e,
            "GET",
            &format!("https://{VAULT}.vault.azure.net/keys?api-version=7.4"),
            &foreign(&kv),
            None,
        )
    });
}

#[test]
fn a_service_principal_with_a_secret_runs_the_runbook_and_sees_only_its_subscription() {
    let (mut env, _) = strict();
    let arm = app_token(&mut env.e, "https://management.azure.com");
    let r = with_token(
        &mut env.e,
        "GET",
        &arm_url("/subscriptions", "2022-12-01"),
        &arm,
        None,
    );
    let subs: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(subs, [SUB]);
    let r = with_token(
        &mut env.e,
        "PUT",
        &arm_url(
            &format!("/subscriptions/{SUB}/resourcegroups/runbook-rg"),
            "2021-04-01",
        ),
        &arm,
        Some(json!({ "location": "eastus" })),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Owner of the first subscription only.
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        with_token(
            &mut env.e,
            "PUT",
            &arm_url(
                &format!("/subscriptions/{SUB2}/resourcegroups/runbook-rg"),
                "2021-04-01",
            ),
            &arm,
            Some(json!({ "location": "eastus" })),
        )
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The client '{RUNBOOK_APP_ID}' with object id '{RUNBOOK_OBJECT_ID}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/{SUB2}/resourcegroups/runbook-rg' or the scope is invalid. If access was recently granted, please refresh your credentials."
        )
    );
    // An application has no /me.
    let graph = app_token(&mut env.e, "https://graph.microsoft.com");
    assert_eq!(me_as(&mut env.e, &graph).status, 404);
}

#[test]
fn a_log_analytics_reader_reads_and_queries_but_cannot_update_the_clusters_key() {
    let (mut env, customer) = strict();
    let sam = person_token(&mut env.e, SAM_UPN, "https://management.azure.com");
    let cluster = Env::cluster_path(CLUSTER);
    assert_eq!(
        with_token(&mut env.e, "GET", &arm_url(&cluster, OI), &sam, None).status,
        200
    );
    let la = person_token(&mut env.e, SAM_UPN, "https://api.loganalytics.io");
    let r = query_as(&mut env.e, &customer, &la);
    assert_eq!(r.status, 200, "{}", r.body);
    // Seed: "All operations on the cluster require the Microsoft.OperationalInsights/clusters/write
    // action permission".
    let body = json!({ "location": "eastus", "properties": { "keyVaultProperties": { "keyVaultUri": format!("https://{VAULT}.vault.azure.net"), "keyName": KEY, "keyVersion": "" } } });
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        with_token(
            &mut env.e,
            "PATCH",
            &arm_url(&cluster, OI),
            &sam,
            Some(body),
        )
    });
    assert_eq!(
        r.body["error"]["message"],
        format!(
            "The client '{SAM_UPN}' with object id '{SAM_OBJECT_ID}' does not have authorization to perform action 'Microsoft.OperationalInsights/clusters/write' over scope '{cluster}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        )
    );
    // Log Analytics Reader excludes the workspace's shared keys.
    env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        with_token(
            &mut env.e,
            "POST",
            &arm_url(&format!("{}/sharedKeys", Env::workspace_path(WS)), OI),
            &sam,
            None,
        )
    });
}

#[test]
fn a_contributor_without_role_assignments_write_cannot_grant_the_cluster_on_an_rbac_vault() {
    let (mut env, _) = provisioned_workspace();
    let principal = env.get_cluster()["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut rbac = Env::vault_body(true, true);
    rbac["properties"]["enableRbacAuthorization"] = json!(true);
    assert!(env.put_vault("contoso-rbac-kv", rbac).status < 300);
    env.e.set_implicit_sign_in(false);
    let avery = person_token(&mut env.e, USER_UPN, "https://management.azure.com");
    let grant = |role: &str| json!({ "properties": { "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": SAM_OBJECT_ID } });
    let r = with_token(
        &mut env.e,
        "PUT",
        &arm_url(
            &format!(
                "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/5f4ebf96-3b7c-4fae-8c65-9cbe7d3e4f58"
            ),
            "2022-04-01",
        ),
        &avery,
        Some(grant("b24988ac-6180-42a0-ab88-20f7382dd24c")),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let sam = person_token(&mut env.e, SAM_UPN, "https://management.azure.com");
    // Contributor: "*" except Microsoft.Authorization/*/Write and */Delete.
    let rg = arm_url(
        &format!("/subscriptions/{SUB}/resourcegroups/sam-rg"),
        "2021-04-01",
    );
    assert_eq!(
        with_token(
            &mut env.e,
            "PUT",
            &rg,
            &sam,
            Some(json!({ "location": "eastus" }))
        )
        .status,
        201
    );
    let vault = Env::vault_path("contoso-rbac-kv");
    let scope = format!(
        "{vault}/providers/Microsoft.Authorization/roleAssignments/6a5fc0a7-4c8d-4abf-9d76-0acf8e4f5a69"
    );
    let body = json!({ "properties": { "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6"), "principalId": principal, "principalType": "ServicePrincipal" } });
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        with_token(
            &mut env.e,
            "PUT",
            &arm_url(&scope, "2022-04-01"),
            &sam,
            Some(body),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("perform action 'Microsoft.Authorization/roleAssignments/write'"),
        "{}",
        r.body
    );
}

#[test]
fn the_query_api_refuses_a_caller_without_read_on_the_workspace() {
    let mut env = Env::new();
    // A workspace in the second subscription, which the runbook's application holds no role in.
    env.group_in(SUB2, "other-rg", "eastus");
    let path = format!(
        "/subscriptions/{SUB2}/resourceGroups/other-rg/providers/Microsoft.OperationalInsights/workspaces/other-ws"
    );
    let r = env.arm("PUT", &path, OI, Some(json!({ "location": "eastus" })));
    assert!(r.status < 300, "{}", r.body);
    let customer = r.body["properties"]["customerId"]
        .as_str()
        .unwrap()
        .to_string();
    env.e.set_implicit_sign_in(false);
    let la = app_token(&mut env.e, "https://api.loganalytics.io");
    env.refused(&errors::QUERY_INSUFFICIENT_ACCESS, |env| {
        query_as(&mut env.e, &customer, &la)
    });
}

#[test]
fn a_data_collector_post_is_checked_against_the_workspaces_shared_key_and_the_clock() {
    let (mut env, customer) = strict();
    let arm = person_token(&mut env.e, USER_UPN, "https://management.azure.com");
    let keys = with_token(
        &mut env.e,
        "POST",
        &arm_url(&format!("{}/sharedKeys", Env::workspace_path(WS)), OI),
        &arm,
        None,
    );
    let key = keys.body["primarySharedKey"].as_str().unwrap().to_string();
    let body = json!([{ "Computer": "web-01", "Level": "err" }]).to_string();
    let now = cmk_playground::engine::clock::rfc1123(env.e.now());
    let sign = |key: &str, date: &str| {
        entra::collector_signature(
            &customer,
            key,
            &entra::collector_string_to_sign(body.len(), "application/json", date),
        )
        .unwrap()
    };
    let post = |e: &mut Engine, auth: &str, date: &str| {
        e.handle(
            "POST",
            &format!("https://{customer}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
            &[
                ("Content-Type", "application/json"),
                ("Log-Type", "App"),
                ("x-ms-date", date),
                ("Authorization", auth),
            ],
            Some(&body),
        )
    };
    let good = sign(&key, &now);
    assert_eq!(post(&mut env.e, &good, &now).status, 200);
    // The documented signature: base64(HMAC-SHA256(base64-decoded key, string to sign)).
    assert!(good.starts_with(&format!("SharedKey {customer}:")));
    let wrong = sign("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &now);
    env.refused(&errors::INGEST_INVALID_AUTHORIZATION, |env| {
        post(&mut env.e, &wrong, &now)
    });
    let stale = cmk_playground::engine::clock::rfc1123(env.e.now() - 16 * 60);
    let signed_stale = sign(&key, &stale);
    env.refused(&errors::INGEST_BAD_DATE, |env| {
        post(&mut env.e, &signed_stale, &stale)
    });
    // The secondary key signs too.
    let secondary = keys.body["secondarySharedKey"].as_str().unwrap();
    assert_eq!(post(&mut env.e, &sign(secondary, &now), &now).status, 200);
}

#[test]
fn the_page_signs_in_sends_tokens_and_refreshes_them_when_they_expire() {
    let (mut env, customer) = provisioned_workspace();
    let reply = execute(
        &mut env.e,
        &Command::SignIn {
            who: SAM_UPN.into(),
        },
    );
    assert_eq!(reply.response.unwrap().status, 200);
    assert_eq!(reply.snapshot.session.signed_in.client, SAM_UPN);
    assert!(!reply.snapshot.session.implicit);
    let cluster = format!("{ARM}{}?api-version={OI}", Env::cluster_path(CLUSTER));
    let reply = execute(&mut env.e, &Command::request("GET", &cluster, None));
    assert_eq!(reply.response.unwrap().status, 200);
    let sent = &reply.credentials[0];
    assert_eq!(sent.0, "Authorization");
    assert_eq!(
        claims(sent.1.strip_prefix("Bearer ").unwrap())["oid"],
        SAM_OBJECT_ID
    );
    let tokens_asked = |e: &Engine| {
        e.requests()
            .iter()
            .filter(|r| r.url.contains("/oauth2/v2.0/token"))
            .count()
    };
    let before = tokens_asked(&env.e);
    // The cached token serves until five minutes before it expires, then a new one is fetched.
    env.advance(54 * 60);
    execute(&mut env.e, &Command::request("GET", &cluster, None));
    assert_eq!(tokens_asked(&env.e), before);
    env.advance(2 * 60);
    let reply = execute(&mut env.e, &Command::request("GET", &cluster, None));
    assert_eq!(tokens_asked(&env.e), before + 1);
    assert_eq!(reply.response.unwrap().status, 200);
    // Sam may not read shared keys, so the page cannot sign a Data Collector post as Sam.
    let post = Command::Request {
        method: "POST".into(),
        url: format!("https://{customer}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01"),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Log-Type".into(), "App".into()),
        ],
        body: Some(json!([{ "a": 1 }]).to_string()),
    };
    assert_eq!(execute(&mut env.e, &post).response.unwrap().status, 403);
    // Avery may: the page reads the key through sharedKeys and signs.
    execute(
        &mut env.e,
        &Command::SignIn {
            who: USER_UPN.into(),
        },
    );
    let reply = execute(&mut env.e, &post);
    assert_eq!(reply.response.unwrap().status, 200);
    assert!(
        reply
            .credentials
            .iter()
            .any(|(k, v)| k == "Authorization" && v.starts_with("SharedKey "))
    );
    assert!(reply.credentials.iter().any(|(k, _)| k == "x-ms-date"));
    // A wrong password is the token endpoint's refusal, and the session stays as it was.
    let wrong = execute(
        &mut env.e,
        &Command::SignIn {
            who: "nobody@contoso.onmicrosoft.com".into(),
        },
    );
    assert!(wrong.error.unwrap().starts_with("AADSTS50034"));
    assert_eq!(wrong.snapshot.session.signed_in.client, USER_UPN);
}

#[test]
fn signing_in_draws_nothing_from_the_worlds_random_stream() {
    let make = |sign_in: bool| {
        let mut e = Engine::with_seed([9u8; 32]);
        if sign_in {
            execute(
                &mut e,
                &Command::SignIn {
                    who: RUNBOOK_APP_ID.into(),
                },
            );
        }
        let rg = format!("{ARM}/subscriptions/{SUB}/resourcegroups/{RG}?api-version=2021-04-01");
        execute(
            &mut e,
            &Command::request("PUT", &rg, Some(r#"{"location":"eastus"}"#)),
        );
        let id = format!(
            "{ARM}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai?api-version=2023-01-31"
        );
        let r = execute(
            &mut e,
            &Command::request("PUT", &id, Some(r#"{"location":"eastus"}"#)),
        );
        r.response.unwrap().body["properties"]["principalId"].clone()
    };
    assert_eq!(make(true), make(false));
    assert!(APPS.iter().any(|a| a.0 == RUNBOOK_APP_ID));
}

#[test]
fn you_need_write_permissions_to_both_your_workspace_and_cluster_to_link() {
    let (mut env, _) = provisioned_workspace();
    // A second workspace, unlinked, and Log Analytics Contributor for Sam on that workspace only.
    let ws2 = Env::workspace_path("contoso-ws2");
    assert!(
        env.arm("PUT", &ws2, OI, Some(json!({ "location": "eastus" })))
            .status
            < 300
    );
    let r = env.assign_role(
        &ws2,
        "92aaf0da-9dab-42b6-94a3-d43ce8d16293",
        SAM_OBJECT_ID,
        "7f8091a2-3c4d-4e5f-a061-7c8d9e0f1a23",
    );
    assert_eq!(r.status, 201, "{}", r.body);
    env.e.set_implicit_sign_in(false);
    let sam = person_token(&mut env.e, SAM_UPN, "https://management.azure.com");
    let cluster = Env::cluster_path(CLUSTER);
    let link = arm_url(&format!("{ws2}/linkedServices/cluster"), "2020-08-01");
    let r = env.refused(&errors::AUTHORIZATION_FAILED, |env| {
        with_token(
            &mut env.e,
            "PUT",
            &link,
            &sam,
            Some(json!({ "properties": { "writeAccessResourceId": cluster } })),
        )
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "perform action 'Microsoft.OperationalInsights/clusters/write' over scope '{}'",
                cluster
            )),
        "{}",
        r.body
    );
    // Avery, Owner of both, links it.
    let avery = person_token(&mut env.e, USER_UPN, "https://management.azure.com");
    let r = with_token(
        &mut env.e,
        "PUT",
        &link,
        &avery,
        Some(json!({ "properties": { "writeAccessResourceId": cluster } })),
    );
    assert!(r.status < 300, "{}", r.body);
}

mod tampering {
    use super::*;
    use proptest::prelude::*;

    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Changing any one character of a valid token either decodes to the same bytes (the
        /// unused low bits of a last base64 character) or is refused, and the refusal changes
        /// nothing.
        #[test]
        fn a_token_changed_anywhere_is_refused(at in any::<prop::sample::Index>(), with in 0usize..64) {
            let mut e = Engine::with_seed([3u8; 32]);
            e.set_implicit_sign_in(false);
            let token = app_token(&mut e, "https://management.azure.com");
            let i = at.index(token.len());
            let mut bytes = token.clone().into_bytes();
            if bytes[i] == b'.' || bytes[i] == B64URL[with] {
                return Ok(());
            }
            bytes[i] = B64URL[with];
            let changed = String::from_utf8(bytes).unwrap();
            let decode = |t: &str| t.split('.').map(cmk_playground::engine::crypto::from_b64url).collect::<Vec<_>>();
            let before = e.checkpoint();
            let r = with_token(&mut e, "GET", &arm_url(&format!("/subscriptions/{SUB}"), "2022-12-01"), &changed, None);
            if decode(&changed) == decode(&token) {
                prop_assert_eq!(r.status, 200);
            } else {
                prop_assert_eq!(r.status, 401, "{}", r.body);
                prop_assert!(e.checkpoint() == before);
            }
        }
    }
}
