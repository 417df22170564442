//! Resource provider registration on the virtual clock, ARM's refusal of resources of a provider
//! the subscription is not registered for, and Microsoft Graph's service principal lookups (the
//! way the docs find the Azure Cosmos DB principal's object id).
#![cfg(not(target_arch = "wasm32"))]

use crate::common;
use cmk_playground::engine::errors;
use common::*;

const RESOURCES: &str = "2021-04-01";
const MINUTE: u64 = 60;
const COSMOS_APP: &str = "a232010e-820c-4083-83bb-3ace5fc29d0b";
const COSMOS_OBJECT: &str = "6f1e9d2c-4b8a-4c3e-9d7f-2a5b8c1e4f07";
const GRAPH: &str = "https://graph.microsoft.com/v1.0";

fn provider(sub: &str, ns: &str) -> String {
    format!("/subscriptions/{sub}/providers/{ns}")
}

fn state(env: &mut Env, sub: &str, ns: &str) -> String {
    let r = env.arm("GET", &provider(sub, ns), RESOURCES, None);
    assert_eq!(r.status, 200, "{r:?}");
    r.body["registrationState"].as_str().unwrap().to_string()
}

fn post(env: &mut Env, sub: &str, ns: &str, action: &str) -> cmk_playground::engine::Response {
    let r = env.arm(
        "POST",
        &format!("{}/{action}", provider(sub, ns)),
        RESOURCES,
        None,
    );
    assert_eq!(r.status, 200, "{r:?}");
    r
}

fn snapshot_state(env: &Env, sub: &str, ns: &str) -> String {
    env.e
        .snapshot()
        .providers
        .iter()
        .find(|p| p.subscription == sub && p.namespace == ns)
        .map(|p| p.state.clone())
        .unwrap_or_else(|| panic!("{ns} in {sub} missing from the snapshot"))
}

fn timeline_says(env: &Env, text: &str) -> bool {
    env.e.timeline().iter().any(|t| t.text == text)
}

#[test]
fn registering_a_provider_takes_a_few_minutes_on_the_clock() {
    let mut env = Env::new();
    let r = env.arm(
        "GET",
        &provider(SUB, "Microsoft.DocumentDB"),
        RESOURCES,
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], provider(SUB, "Microsoft.DocumentDB"));
    assert_eq!(r.body["namespace"], "Microsoft.DocumentDB");
    assert_eq!(r.body["registrationState"], "NotRegistered");
    assert_eq!(r.body["registrationPolicy"], "RegistrationRequired");
    assert_eq!(r.body["resourceTypes"], serde_json::json!([]));
    assert_eq!(
        snapshot_state(&env, SUB, "Microsoft.DocumentDB"),
        "NotRegistered"
    );

    let start = env.e.now();
    let r = post(&mut env, SUB, "microsoft.documentdb", "register");
    assert_eq!(r.body["registrationState"], "Registering");
    assert_eq!(r.body["namespace"], "Microsoft.DocumentDB");
    assert_eq!(state(&mut env, SUB, "Microsoft.DocumentDB"), "Registering");
    assert_eq!(
        snapshot_state(&env, SUB, "Microsoft.DocumentDB"),
        "Registering"
    );
    // The other subscription and the other provider are untouched.
    assert_eq!(
        snapshot_state(&env, SUB2, "Microsoft.DocumentDB"),
        "NotRegistered"
    );
    assert_eq!(
        snapshot_state(&env, SUB, "Microsoft.SecurityInsights"),
        "NotRegistered"
    );
    // Asking again while it registers changes nothing.
    let again = post(&mut env, SUB, "Microsoft.DocumentDB", "register");
    assert_eq!(again.body["registrationState"], "Registering");

    // The completion is a foreground event 1-5 minutes away; nothing changes before it.
    let due = env.e.next_event_at().expect("registration scheduled");
    assert!(
        (start + MINUTE..=start + 5 * MINUTE).contains(&due),
        "registration due {}s after the request",
        due - start
    );
    assert!(
        env.e
            .snapshot()
            .next_event_label
            .is_some_and(|l| l.contains("Microsoft.DocumentDB")),
        "the next event names the provider"
    );
    env.advance(due - start - 1);
    assert_eq!(state(&mut env, SUB, "Microsoft.DocumentDB"), "Registering");
    assert!(!timeline_says(
        &env,
        "Microsoft.DocumentDB Registered in subscription Contoso Production"
    ));
    env.advance(1);
    assert_eq!(state(&mut env, SUB, "Microsoft.DocumentDB"), "Registered");
    assert_eq!(
        snapshot_state(&env, SUB, "Microsoft.DocumentDB"),
        "Registered"
    );
    assert!(timeline_says(
        &env,
        "Microsoft.DocumentDB Registered in subscription Contoso Production"
    ));

    // The list shows the current state of every provider.
    let list = env.arm(
        "GET",
        &format!("/subscriptions/{SUB}/providers"),
        RESOURCES,
        None,
    );
    assert_eq!(list.status, 200);
    let states: Vec<(String, String)> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["namespace"].as_str().unwrap().to_string(),
                p["registrationState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(states.contains(&("Microsoft.DocumentDB".into(), "Registered".into())));
    assert!(states.contains(&("Microsoft.SecurityInsights".into(), "NotRegistered".into())));
    assert!(states.contains(&("Microsoft.KeyVault".into(), "Registered".into())));

    // Registering a registered provider answers Registered at once and schedules nothing.
    let r = post(&mut env, SUB, "Microsoft.DocumentDB", "register");
    assert_eq!(r.body["registrationState"], "Registered");
    assert_eq!(env.e.next_event_at(), None);
}

#[test]
fn run_to_next_event_stops_at_the_registration() {
    let mut env = Env::new();
    post(&mut env, SUB2, "Microsoft.SecurityInsights", "register");
    assert!(env.e.run_to_next_event());
    assert_eq!(
        state(&mut env, SUB2, "Microsoft.SecurityInsights"),
        "Registered"
    );
    assert!(timeline_says(
        &env,
        "Microsoft.SecurityInsights Registered in subscription Contoso Security"
    ));
}

#[test]
fn unregistering_goes_through_unregistering_to_not_registered() {
    let mut env = Env::new();
    post(&mut env, SUB, "Microsoft.DocumentDB", "register");
    env.advance(5 * MINUTE);
    assert_eq!(state(&mut env, SUB, "Microsoft.DocumentDB"), "Registered");

    let r = post(&mut env, SUB, "Microsoft.DocumentDB", "unregister");
    assert_eq!(r.body["registrationState"], "Unregistering");
    assert_eq!(
        state(&mut env, SUB, "Microsoft.DocumentDB"),
        "Unregistering"
    );
    assert_eq!(
        snapshot_state(&env, SUB, "Microsoft.DocumentDB"),
        "Unregistering"
    );
    env.advance(5 * MINUTE);
    assert_eq!(
        state(&mut env, SUB, "Microsoft.DocumentDB"),
        "NotRegistered"
    );
    assert!(timeline_says(
        &env,
        "Microsoft.DocumentDB NotRegistered in subscription Contoso Production"
    ));
    // Unregistering what is not registered answers NotRegistered and schedules nothing.
    let r = post(&mut env, SUB, "Microsoft.DocumentDB", "unregister");
    assert_eq!(r.body["registrationState"], "NotRegistered");
    assert_eq!(env.e.next_event_at(), None);

    // A change of mind while registering: the unregistration overtakes the registration.
    post(&mut env, SUB, "Microsoft.DocumentDB", "register");
    let r = post(&mut env, SUB, "Microsoft.DocumentDB", "unregister");
    assert_eq!(r.body["registrationState"], "Unregistering");
    env.advance(5 * MINUTE);
    assert_eq!(
        state(&mut env, SUB, "Microsoft.DocumentDB"),
        "NotRegistered"
    );
    assert_eq!(env.e.next_event_at(), None);
}

#[test]
fn security_insights_resources_are_refused_until_the_provider_is_registered() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    env.create_workspace(WS, "eastus");
    let onboarding = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.OperationalInsights/workspaces/{WS}/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2024-09-01"
    );
    let url = format!("{ARM}{onboarding}");
    let r = env.refused(&errors::MISSING_SUBSCRIPTION_REGISTRATION, |env| {
        env.call("GET", &url, None)
    });
    assert_error(
        &r,
        409,
        "MissingSubscriptionRegistration",
        "The subscription is not registered to use namespace 'Microsoft.SecurityInsights'. See https://aka.ms/rps-not-found for how to register subscriptions.",
    );
    env.refused(&errors::MISSING_SUBSCRIPTION_REGISTRATION, |env| {
        env.call("PUT", &url, Some(serde_json::json!({ "properties": {} })))
    });

    // Still refused while registering.
    post(&mut env, SUB, "Microsoft.SecurityInsights", "register");
    env.refused(&errors::MISSING_SUBSCRIPTION_REGISTRATION, |env| {
        env.call("GET", &url, None)
    });
    env.advance(5 * MINUTE);
    let r = env.call("GET", &url, None);
    assert_ne!(
        r.body["error"]["code"], "MissingSubscriptionRegistration",
        "registered: {r:?}"
    );

    // The other subscription has its own registrations.
    let other = url.replace(SUB, SUB2);
    let r = env.refused(&errors::MISSING_SUBSCRIPTION_REGISTRATION, |env| {
        env.call("GET", &other, None)
    });
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'Microsoft.SecurityInsights'")
    );
}

#[test]
fn document_db_paths_answer_as_before_once_registered() {
    let mut env = Env::new();
    env.group(RG, "eastus");
    let account = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos1"
    );
    let r = env.refused(&errors::MISSING_SUBSCRIPTION_REGISTRATION, |env| {
        env.arm("GET", &account, "2024-11-15", None)
    });
    assert_eq!(
        r.body["error"]["message"],
        "The subscription is not registered to use namespace 'Microsoft.DocumentDB'. See https://aka.ms/rps-not-found for how to register subscriptions."
    );
    post(&mut env, SUB, "Microsoft.DocumentDB", "register");
    env.advance(5 * MINUTE);
    let r = env.arm("GET", &account, "2024-11-15", None);
    assert_code(&r, 404, "InvalidResourceNamespace");
}

// ---- Microsoft Graph: service principals --------------------------------------------------

fn graph(env: &mut Env, path: &str) -> cmk_playground::engine::Response {
    env.call("GET", &format!("{GRAPH}/{path}"), None)
}

fn assert_cosmos(p: &serde_json::Value) {
    assert_eq!(p["id"], COSMOS_OBJECT, "{p}");
    assert_eq!(p["appId"], COSMOS_APP);
    assert_eq!(p["displayName"], "Azure Cosmos DB");
    assert_eq!(p["appDisplayName"], "Azure Cosmos DB");
    assert_eq!(p["servicePrincipalNames"], serde_json::json!([COSMOS_APP]));
    assert_eq!(p["accountEnabled"], true);
    assert_eq!(p["servicePrincipalType"], "Application");
}

#[test]
fn graph_filters_service_principals_by_app_id() {
    let mut env = Env::new();
    for query in [
        format!("%24filter=appId%20eq%20%27{COSMOS_APP}%27"),
        format!("%24filter=appId+eq+%27{COSMOS_APP}%27"),
        format!("$filter=appId eq '{COSMOS_APP}'"),
        format!("$filter=appId eq '{}'", COSMOS_APP.to_uppercase()),
        // What `az ad sp show --id` sends.
        format!("$filter=servicePrincipalNames/any(c:c%20eq%20'{COSMOS_APP}')"),
    ] {
        let r = graph(&mut env, &format!("servicePrincipals?{query}"));
        assert_eq!(r.status, 200, "{query}: {r:?}");
        assert_eq!(
            r.body["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
        );
        let value = r.body["value"].as_array().unwrap();
        assert_eq!(value.len(), 1, "{query}: {}", r.body);
        assert_cosmos(&value[0]);
    }
    let r = graph(
        &mut env,
        "servicePrincipals?$filter=startswith(displayName,'azure cosmos')",
    );
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1, "{}", r.body);

    // No match: an empty collection, not an error.
    let r = graph(
        &mut env,
        "servicePrincipals?$filter=appId eq '00000000-0000-0000-0000-000000000000'",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["value"], serde_json::json!([]));

    // Without a filter: every service principal, a cluster's identity among them once it exists.
    env.group(RG, "eastus");
    let principal = env.step2_cluster();
    let r = graph(&mut env, "servicePrincipals");
    let ids: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&COSMOS_OBJECT) && ids.contains(&principal.as_str()),
        "{ids:?}"
    );
    assert!(!ids.contains(&USER), "users are not service principals");
    let r = graph(
        &mut env,
        "servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'",
    );
    let value = r.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{}", r.body);
    assert_eq!(value[0]["id"], principal.as_str());
}

#[test]
fn graph_reads_a_service_principal_by_its_app_id_key() {
    let mut env = Env::new();
    for path in [
        format!("servicePrincipals(appId='{COSMOS_APP}')"),
        format!("servicePrincipals(appId=%27{COSMOS_APP}%27)"),
        format!("servicePrincipals('{COSMOS_OBJECT}')"),
        format!("servicePrincipals/{COSMOS_OBJECT}"),
    ] {
        let r = graph(&mut env, &path);
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert_eq!(
            r.body["@odata.context"],
            "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity"
        );
        assert_cosmos(&r.body);
    }
    let r = env.refused(&errors::GRAPH_NOT_FOUND, |env| {
        graph(
            env,
            "servicePrincipals(appId='00000000-0000-0000-0000-000000000000')",
        )
    });
    // Graph's envelope: innerError with the date and request ids.
    let inner = &r.body["error"]["innerError"];
    assert_eq!(inner["date"], "2026-03-02T08:00:00", "{}", r.body);
    assert!(inner["request-id"].is_string(), "{}", r.body);
    assert!(inner["client-request-id"].is_string(), "{}", r.body);
}

#[test]
fn graph_refuses_a_filter_it_cannot_parse_or_use() {
    let mut env = Env::new();
    for query in [
        format!("%24filter=appId%20eq%20%27{COSMOS_APP}"),
        "$filter=appId eq".to_string(),
        format!("$filter=appId = '{COSMOS_APP}'"),
        format!("$filter=appId eq {COSMOS_APP}"),
    ] {
        let r = env.refused(&errors::GRAPH_INVALID_FILTER, |env| {
            graph(env, &format!("servicePrincipals?{query}"))
        });
        assert_error(&r, 400, "BadRequest", "Invalid filter clause");
        assert!(r.body["error"]["innerError"]["request-id"].is_string());
    }
    let r = env.refused(&errors::GRAPH_UNSUPPORTED_FILTER, |env| {
        graph(
            env,
            "servicePrincipals?$filter=appRoleAssignmentRequired eq true",
        )
    });
    assert_error(
        &r,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'appRoleAssignmentRequired' of resource 'ServicePrincipal'.",
    );
    // A client's request id is echoed.
    let r = env.e.handle(
        "GET",
        &format!("{GRAPH}/servicePrincipals?$filter=appId ne 'x'"),
        &[("client-request-id", "c0ffee00-0000-4000-8000-000000000001")],
        None,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["error"]["innerError"]["client-request-id"],
        "c0ffee00-0000-4000-8000-000000000001"
    );
}
