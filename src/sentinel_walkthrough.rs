//! The Microsoft Sentinel CMK walkthrough, as data: the Sentinel document's five "Enable CMK"
//! steps on top of the Azure Monitor walkthrough's cluster and workspace. Each step has its reason
//! (quoted from the document), the exact requests it sends (filled from the live state), the
//! mistakes worth making on purpose, and the check that says when it is done.
//!
//! Pure, like [`crate::walkthrough`] (which owns the shared types: its `Card` and `Mistake` carry
//! this module's [`SCard`] and [`SMistake`]): the page renders it, and native tests send every
//! request and every mistake through the engine.

use serde_json::{Value, json};

use crate::prose;

use crate::engine::view::{AccountView, SentinelView};
use crate::engine::world::{COSMOS_DB_APP_ID, COSMOS_DB_OBJECT_ID};
use crate::walkthrough::{self as wt, Card, Context, Draft, Mistake, Status, Step};

const ARM: &str = "https://management.azure.com";
/// The onboarding API's version in the document's example request.
pub const ONBOARDING_API: &str = "2021-03-01-preview";
/// Watchlists, analytics rules and incidents (the current stable version).
pub const SECURITY_INSIGHTS_API: &str = "2024-09-01";
pub const PROVIDERS_API: &str = "2021-04-01";
pub const COSMOS_DB_NAMESPACE: &str = "Microsoft.DocumentDB";
pub const SENTINEL_NAMESPACE: &str = "Microsoft.SecurityInsights";
/// The display name of the principal Sentinel's store unwraps its key as.
pub const COSMOS_DB_NAME: &str = "Azure Cosmos DB";

/// One request card of the Sentinel walkthrough.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum SCard {
    /// Step 1: read the cluster (its key identifier and identity type).
    Cluster,
    /// Step 1: read the workspace (its link to the cluster).
    Workspace,
    RegisterCosmosDb,
    RegisterSentinel,
    FindCosmosDb,
    GrantCosmosDb,
    Onboard,
    OnboardingState,
    /// Step 5: read the cluster again: its key is now Sentinel's key too.
    ClusterKey,
}

impl SCard {
    pub fn id(self) -> &'static str {
        match self {
            SCard::Cluster => "sentinel-cluster",
            SCard::Workspace => "sentinel-workspace",
            SCard::RegisterCosmosDb => "register-documentdb",
            SCard::RegisterSentinel => "register-securityinsights",
            SCard::FindCosmosDb => "find-cosmosdb",
            SCard::GrantCosmosDb => "grant-cosmosdb",
            SCard::Onboard => "onboard",
            SCard::OnboardingState => "onboarding-state",
            SCard::ClusterKey => "cluster-key",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SCard::Cluster => "Check the cluster: key identifier set, system-assigned identity",
            SCard::Workspace => "Check that the workspace is linked to the cluster",
            SCard::RegisterCosmosDb => "Register the Azure Cosmos DB resource provider",
            SCard::RegisterSentinel => "Register the Microsoft Sentinel resource provider",
            SCard::FindCosmosDb => "Find the Azure Cosmos DB principal in Microsoft Graph",
            SCard::GrantCosmosDb => "Add an access policy for Azure Cosmos DB",
            SCard::Onboard => "Onboard the workspace with customerManagedKey true",
            SCard::OnboardingState => "Read the onboarding state",
            SCard::ClusterKey => "Read the cluster's key: Sentinel's key now",
        }
    }
}

// ---- what the requests and checks look at --------------------------------------------------------

fn subscription_path(cx: &Context) -> String {
    format!("/subscriptions/{}", cx.settings.subscription)
}

/// `.../workspaces/{ws}/providers/Microsoft.SecurityInsights/{rest}`, with an api-version.
pub fn sentinel_url(cx: &Context, rest: &str, api: &str) -> String {
    format!(
        "{ARM}{}/providers/{SENTINEL_NAMESPACE}/{rest}?api-version={api}",
        cx.workspace_path()
    )
}

pub fn onboarding_url(cx: &Context) -> String {
    sentinel_url(cx, "onboardingStates/default", ONBOARDING_API)
}

fn register_url(cx: &Context, namespace: &str) -> String {
    format!(
        "{ARM}{}/providers/{namespace}/register?api-version={PROVIDERS_API}",
        subscription_path(cx)
    )
}

fn cluster_url(cx: &Context) -> String {
    format!(
        "{ARM}{}?api-version={}",
        cx.cluster_path(),
        cx.settings.oi_api
    )
}

fn onboard_body(cmk: bool) -> Value {
    json!({ "properties": { "customerManagedKey": cmk } })
}

/// A provider's registration state in the walkthrough's subscription (`Registered` when the
/// subscription starts with it).
pub fn provider_state<'a>(cx: &'a Context, namespace: &str) -> &'a str {
    cx.snap
        .providers
        .iter()
        .find(|p| {
            p.subscription
                .eq_ignore_ascii_case(&cx.settings.subscription)
                && p.namespace.eq_ignore_ascii_case(namespace)
        })
        .map_or("Registered", |p| p.state.as_str())
}

/// Microsoft Sentinel on the walkthrough's workspace, if it is onboarded.
pub fn sentinel<'a>(cx: &'a Context) -> Option<&'a SentinelView> {
    let id = cx.workspace_path();
    cx.snap
        .sentinel
        .iter()
        .find(|s| s.workspace_id.eq_ignore_ascii_case(&id))
}

/// Sentinel's store (a storage account whose AEK is wrapped like the cluster storage's).
pub fn store<'a>(cx: &'a Context) -> Option<&'a AccountView> {
    let s = sentinel(cx)?;
    cx.snap.storage.accounts.iter().find(|a| a.name == s.store)
}

/// The key permissions Azure Cosmos DB is missing on the vault (empty when it has them all), or
/// `None` when it has no access at all; RBAC vaults count a Key Vault crypto role as all of them.
pub fn cosmos_missing(cx: &Context) -> Option<Vec<&'static str>> {
    cx.missing_key_permissions(COSMOS_DB_OBJECT_ID)
}

/// The first Azure Monitor step that is not done, for step 1 to send the learner to.
pub fn monitor_step_to_finish(cx: &Context) -> Option<usize> {
    (1..=wt::STEPS.len()).find(|n| !wt::status(*n, cx).is_done())
}

fn short(s: &str) -> String {
    s.chars().take(8).collect()
}

// ---- the requests ----------------------------------------------------------------------------------

/// The request a card sends, filled from the current state.
pub fn draft(card: SCard, cx: &Context) -> Draft {
    match card {
        SCard::Cluster | SCard::ClusterKey => Draft::new("GET", cluster_url(cx), None),
        SCard::Workspace => Draft::new(
            "GET",
            format!(
                "{ARM}{}?api-version={}",
                cx.workspace_path(),
                cx.settings.oi_api
            ),
            None,
        ),
        SCard::RegisterCosmosDb => Draft::new("POST", register_url(cx, COSMOS_DB_NAMESPACE), None),
        SCard::RegisterSentinel => Draft::new("POST", register_url(cx, SENTINEL_NAMESPACE), None),
        SCard::FindCosmosDb => Draft::new(
            "GET",
            format!(
                "https://graph.microsoft.com/v1.0/servicePrincipals?$filter=appId%20eq%20'{COSMOS_DB_APP_ID}'"
            ),
            None,
        ),
        SCard::GrantCosmosDb => Draft::new(
            "PUT",
            format!(
                "{ARM}{}/accessPolicies/add?api-version=2023-07-01",
                cx.vault_path()
            ),
            Some(json!({ "properties": { "accessPolicies": [{
                "tenantId": cx.snap.tenant_id,
                "objectId": COSMOS_DB_OBJECT_ID,
                "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
            }]}})),
        ),
        SCard::Onboard => Draft::new("PUT", onboarding_url(cx), Some(onboard_body(true))),
        SCard::OnboardingState => Draft::new("GET", onboarding_url(cx), None),
    }
}

/// A watchlist from a small CSV, as Sentinel's API takes it.
pub fn watchlist_draft(cx: &Context, alias: &str) -> Draft {
    Draft::new(
        "PUT",
        sentinel_url(cx, &format!("watchlists/{alias}"), SECURITY_INSIGHTS_API),
        Some(json!({ "properties": {
            "displayName": alias,
            "provider": "Contoso SOC",
            "source": "Local file",
            "itemsSearchKey": "Ip",
            "contentType": "text/csv",
            "rawContent": "Ip,Owner\n10.0.0.4,web\n10.0.0.5,db\n",
        }})),
    )
}

/// A scheduled analytics rule: every five minutes, over the last five minutes, an incident when
/// `query` returns anything.
pub fn rule_draft(cx: &Context, id: &str, name: &str, query: &str) -> Draft {
    Draft::new(
        "PUT",
        sentinel_url(cx, &format!("alertRules/{id}"), SECURITY_INSIGHTS_API),
        Some(json!({ "kind": "Scheduled", "properties": {
            "displayName": name,
            "enabled": true,
            "query": query,
            "queryFrequency": "PT5M",
            "queryPeriod": "PT5M",
            "severity": "High",
            "triggerOperator": "GreaterThan",
            "triggerThreshold": 0,
            "suppressionDuration": "PT5H",
            "suppressionEnabled": false,
        }})),
    )
}

// ---- mistakes --------------------------------------------------------------------------------------

/// A mistake a learner can make on purpose in the Sentinel walkthrough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SMistake {
    /// Onboard before Azure Cosmos DB has its access policy (the grant forgotten).
    OnboardBeforeGrant,
    /// Onboard without CMK first; enabling CMK afterwards is refused.
    OnboardWithoutCmk,
    /// Give the cluster a user-assigned identity.
    UserAssignedIdentity,
    /// Replace the cluster's key with another key (another name) instead of rotating it.
    ReplaceKey,
}

impl SMistake {
    pub fn label(self) -> &'static str {
        match self {
            SMistake::OnboardBeforeGrant => "Onboard before the Azure Cosmos DB grant",
            SMistake::OnboardWithoutCmk => "Onboard without a customer-managed key first",
            SMistake::UserAssignedIdentity => "Give the cluster a user-assigned identity",
            SMistake::ReplaceKey => "Replace the key with another key",
        }
    }

    /// What will happen, in the document's words.
    pub fn expect(self) -> &'static str {
        match self {
            SMistake::OnboardBeforeGrant => {
                "Loads step 4's onboarding request to send now, while Azure Cosmos DB has no access policy on the vault (if you already added it, remove it first: the same request with accessPolicies/remove). The onboarding is refused: \"Add an access policy that allows Azure Cosmos DB to access the Azure Key Vault instance that is linked to your dedicated Log Analytics cluster (the same key will be used by Microsoft Sentinel).\""
            }
            SMistake::OnboardWithoutCmk => {
                "customerManagedKey false: accepted, and Sentinel's data stays under a Microsoft-managed key. The correct request is then refused: \"The Microsoft Sentinel CMK capability is provided only to workspaces in Log Analytics dedicated clusters that have not already been onboarded to Microsoft Sentinel.\" To start over, send DELETE to the same URL (offboarding deletes Sentinel's data). Once onboarded with CMK, this request is refused instead: \"Disabling CMK on a workspace already onboarded to Microsoft Sentinel\" is not supported."
            }
            SMistake::UserAssignedIdentity => {
                "With the workspace onboarded with CMK (step 4), the cluster refuses: \"Microsoft Sentinel supports System Assigned Identities in CMK configuration. Therefore, the dedicated Log Analytics cluster's identity should be of System Assigned type.\" Nothing changes."
            }
            SMistake::ReplaceKey => {
                "With the workspace onboarded with CMK (step 4), the cluster refuses another key name: \"Changing the customer-managed key to another key (with another URI) currently isn't supported. You should change the key by rotating it.\" Nothing changes."
            }
        }
    }

    pub fn card(self) -> SCard {
        match self {
            SMistake::OnboardBeforeGrant | SMistake::OnboardWithoutCmk => SCard::Onboard,
            SMistake::UserAssignedIdentity | SMistake::ReplaceKey => SCard::ClusterKey,
        }
    }

    /// The card's request with the mistake made.
    pub fn draft(self, cx: &Context) -> Draft {
        let s = cx.settings;
        match self {
            // The same request: the mistake is when it is sent.
            SMistake::OnboardBeforeGrant => draft(SCard::Onboard, cx),
            SMistake::OnboardWithoutCmk => {
                Draft::new("PUT", onboarding_url(cx), Some(onboard_body(false)))
            }
            SMistake::UserAssignedIdentity => Draft::new(
                "PATCH",
                cluster_url(cx),
                Some(json!({ "identity": {
                    "type": "UserAssigned",
                    "userAssignedIdentities": {
                        format!("/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cmk-identity", s.subscription, s.group): {}
                    }
                }})),
            ),
            SMistake::ReplaceKey => Draft::new(
                "PATCH",
                cluster_url(cx),
                Some(json!({ "properties": { "keyVaultProperties": {
                    "keyVaultUri": cx.vault_uri(),
                    "keyName": other_key(cx),
                    "keyVersion": ""
                }}})),
            ),
        }
    }
}

/// The key name the replacement mistake uses.
pub fn other_key(cx: &Context) -> String {
    format!("{}-2", cx.settings.key)
}

// ---- the steps -------------------------------------------------------------------------------------

pub static STEPS: [Step; 5] = [
    Step {
        number: 1,
        title: "A CMK workspace on a dedicated cluster",
        why: prose!(
            "Make sure you have a Log Analytics workspace, and that it's linked to a dedicated cluster on which CMK is enabled.\n\nAs mentioned in the prerequisites, to onboard a Log Analytics workspace with CMK to Microsoft Sentinel, this workspace must first be linked to a dedicated Log Analytics cluster on which CMK is enabled. Microsoft Sentinel will use the same key used by the dedicated cluster.\n\nMicrosoft Sentinel supports System Assigned Identities in CMK configuration. Therefore, the dedicated Log Analytics cluster's identity should be of System Assigned type."
        ),
        source: "Microsoft Sentinel customer-managed key, \"Enable CMK\", \"Step 1: Configure CMK on a Log Analytics workspace on a dedicated cluster\" and \"Considerations\"",
        watch: prose!(
            "The Azure Monitor walkthrough builds this: the cluster answers with identity.type SystemAssigned and keyVaultProperties set; the workspace answers with features.clusterResourceId naming the cluster."
        ),
        cards: &[
            Card::Sentinel(SCard::Cluster),
            Card::Sentinel(SCard::Workspace),
        ],
        mistakes: &[],
    },
    Step {
        number: 2,
        title: "Register the Azure Cosmos DB resource provider",
        why: prose!(
            "Microsoft Sentinel works with Azure Cosmos DB as an additional storage resource. Make sure to register to the Azure Cosmos DB Resource Provider before onboarding a CMK workspace to Microsoft Sentinel."
        ),
        source: "Microsoft Sentinel customer-managed key, \"Step 2: Register the Azure Cosmos DB Resource Provider\" (Microsoft.SecurityInsights, Sentinel's own provider, needs registering too)",
        watch: prose!(
            "Each registration answers 200 with registrationState Registering, and becomes Registered a few minutes later: run the clock to the next event. Until Microsoft.SecurityInsights is registered, ARM refuses Sentinel's resources with 409 MissingSubscriptionRegistration."
        ),
        cards: &[
            Card::Sentinel(SCard::RegisterCosmosDb),
            Card::Sentinel(SCard::RegisterSentinel),
        ],
        mistakes: &[],
    },
    Step {
        number: 3,
        title: "Add an access policy for Azure Cosmos DB",
        why: prose!(
            "Add an access policy that allows Azure Cosmos DB to access the Azure Key Vault instance that is linked to your dedicated Log Analytics cluster (the same key will be used by Microsoft Sentinel).\n\nFollow the instructions here to add an access policy to your Azure Key Vault instance with an Azure Cosmos DB principal."
        ),
        source: "Microsoft Sentinel customer-managed key, \"Step 3: Add an access policy to your Azure Key Vault instance\"",
        watch: prose!(
            "Graph answers with the Azure Cosmos DB service principal: its id is the objectId the access policy grants get, wrapKey and unwrapKey to. The vault then lists two principals: the cluster's identity and Azure Cosmos DB."
        ),
        cards: &[
            Card::Sentinel(SCard::FindCosmosDb),
            Card::Sentinel(SCard::GrantCosmosDb),
        ],
        mistakes: &[Mistake::Sentinel(SMistake::OnboardBeforeGrant)],
    },
    Step {
        number: 4,
        title: "Onboard the workspace via the onboarding API",
        why: prose!(
            "Onboard the CMK enabled workspace to Microsoft Sentinel via the onboarding API using the customerManagedKey property as true.\n\nOnboarding a CMK workspace to Sentinel is supported only via REST API, and not via the Azure portal.\n\nThe Microsoft Sentinel CMK capability is provided only to workspaces in Log Analytics dedicated clusters that have not already been onboarded to Microsoft Sentinel."
        ),
        source: "Microsoft Sentinel customer-managed key, \"Step 4: Onboard the workspace to Microsoft Sentinel via the onboarding API\" and \"Considerations\"",
        watch: prose!(
            "201 Created with properties.customerManagedKey true (the same request again answers 200). Sentinel's store appears in the key hierarchy beside the cluster's storage: its AEK is wrapped by the same key version, through the Azure Cosmos DB principal."
        ),
        cards: &[Card::Sentinel(SCard::Onboard)],
        mistakes: &[Mistake::Sentinel(SMistake::OnboardWithoutCmk)],
    },
    Step {
        number: 5,
        title: "Confirm the onboarding",
        why: prose!(
            "Lastly, confirm the onboarding status of your CMK-enabled workspace by contacting the Microsoft Sentinel Product Group.\n\nData saved by Microsoft Sentinel in storage resources other than Log Analytics is also encrypted using the customer-managed key configured for the dedicated Log Analytics cluster."
        ),
        source: "Microsoft Sentinel customer-managed key, \"Step 5: Contact the Microsoft Sentinel Product group to confirm onboarding\" and \"How CMK works\"",
        watch: prose!(
            "The playground has no product group to call: the onboarding state and Sentinel's store stand in for the confirmation. From now on the cluster's key is Sentinel's key too: change it by rotating it, and revoke it in Key Vault, not on the cluster."
        ),
        cards: &[
            Card::Sentinel(SCard::OnboardingState),
            Card::Sentinel(SCard::ClusterKey),
        ],
        mistakes: &[
            Mistake::Sentinel(SMistake::UserAssignedIdentity),
            Mistake::Sentinel(SMistake::ReplaceKey),
        ],
    },
];

/// The state of step `n` (1-based).
pub fn status(n: usize, cx: &Context) -> Status {
    let s = cx.settings;
    match n {
        1 => {
            let (Some(c), Some(w)) = (cx.cluster(), cx.workspace()) else {
                return Status::Todo(match monitor_step_to_finish(cx) {
                    Some(m) => format!(
                        "No CMK workspace on a dedicated cluster yet: the Azure Monitor walkthrough builds it (next: its step {m})."
                    ),
                    None => "No CMK workspace on a dedicated cluster yet.".into(),
                });
            };
            if c.identity_type != "SystemAssigned" {
                return Status::Warning(format!(
                    "Cluster {} has a {} identity: Microsoft Sentinel supports system-assigned identities only.",
                    c.name, c.identity_type
                ));
            }
            let linked = w.link_state == "Linked"
                && w.cluster
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&c.id));
            match (&c.storage_key, linked) {
                (Some(k), true) => Status::Done(format!(
                    "Workspace {} is linked to cluster {}, whose storage uses key {} (system-assigned identity).",
                    w.name, c.name, k.key_name
                )),
                (None, _) if c.provisioning_state == "Updating" => Status::Running(format!(
                    "Cluster {}'s key identifier update is running.",
                    c.name
                )),
                (_, false) if w.link_state == "Linking" => {
                    Status::Running(format!("Workspace {} is linking.", w.name))
                }
                (None, _) => Status::Todo(format!(
                    "Cluster {} has no key identifier yet (Azure Monitor step 4).",
                    c.name
                )),
                (Some(_), false) => Status::Todo(format!(
                    "Workspace {} is not linked to cluster {} yet (Azure Monitor step 5).",
                    w.name, c.name
                )),
            }
        }
        2 => {
            let states: Vec<(&str, &str)> = [COSMOS_DB_NAMESPACE, SENTINEL_NAMESPACE]
                .into_iter()
                .map(|ns| (ns, provider_state(cx, ns)))
                .collect();
            let not: Vec<String> = states
                .iter()
                .filter(|(_, st)| *st != "Registered")
                .map(|(ns, st)| format!("{ns} is {st}"))
                .collect();
            if not.is_empty() {
                Status::Done(format!(
                    "{COSMOS_DB_NAMESPACE} and {SENTINEL_NAMESPACE} are registered on subscription {}.",
                    s.subscription
                ))
            } else if states.iter().any(|(_, st)| *st == "Registering") {
                Status::Running(format!(
                    "{}: registering takes a few minutes (run the clock to the next event).",
                    not.join("; ")
                ))
            } else {
                Status::Todo(format!("{}.", not.join("; ")))
            }
        }
        3 => match (cx.vault(), cosmos_missing(cx)) {
            (None, _) => Status::Todo(format!(
                "No vault {} yet (Azure Monitor step 1).",
                s.vault
            )),
            (Some(v), None) if v.rbac => Status::Todo(
                "This vault uses RBAC: assign Key Vault Crypto Service Encryption User to Azure Cosmos DB."
                    .into(),
            ),
            (Some(_), None) => Status::Todo(format!(
                "No access policy for Azure Cosmos DB ({}) yet.",
                short(COSMOS_DB_OBJECT_ID)
            )),
            (Some(v), Some(missing)) if missing.is_empty() => Status::Done(format!(
                "Azure Cosmos DB can use the key in vault {}{}.",
                v.name,
                if v.rbac {
                    " (Key Vault crypto role)"
                } else {
                    ": get, wrapKey and unwrapKey"
                }
            )),
            (Some(_), Some(missing)) => Status::Warning(format!(
                "Azure Cosmos DB lacks {}.",
                missing.join(", ")
            )),
        },
        4 => match sentinel(cx) {
            None => Status::Todo(format!(
                "Workspace {} is not onboarded to Microsoft Sentinel yet.",
                s.workspace
            )),
            Some(x) if x.cmk => Status::Done(format!(
                "Workspace {} is onboarded to Microsoft Sentinel with customerManagedKey true.",
                x.workspace
            )),
            Some(x) => Status::Warning(format!(
                "Workspace {} is onboarded without a customer-managed key: Sentinel's data is under a Microsoft-managed key, and CMK can't be enabled on it now. To start over, send DELETE to the onboarding state's URL (choose DELETE in the method list).",
                x.workspace
            )),
        },
        5 => {
            let Some(x) = sentinel(cx).filter(|x| x.cmk) else {
                return Status::Todo("Onboard with customerManagedKey true first (step 4).".into());
            };
            let Some(a) = store(cx) else {
                return Status::Todo(format!("No store for workspace {} yet.", x.workspace));
            };
            let version = a
                .key
                .as_ref()
                .map(|k| k.key_version.clone())
                .unwrap_or_default();
            let cluster_version = cx.cluster().and_then(|c| c.key_version_in_use.clone());
            let key = a.key.as_ref().map(|k| k.key_name.as_str()).unwrap_or("");
            let who = a.principal.as_deref().unwrap_or("nobody");
            if a.access.state != "accessible" {
                Status::Warning(format!(
                    "Sentinel's store {} is {}: {}",
                    a.name,
                    a.access.state,
                    a.access
                        .reason
                        .as_deref()
                        .unwrap_or("its key is out of reach")
                ))
            } else if a.protection != "CMK" {
                Status::Warning(format!(
                    "Sentinel's store {} is under a Microsoft-managed key.",
                    a.name
                ))
            } else if cluster_version.as_deref() != Some(version.as_str()) {
                Status::Running(format!(
                    "Sentinel's store uses key version {}; the cluster uses {}: it follows within an hour.",
                    short(&version),
                    short(cluster_version.as_deref().unwrap_or("none"))
                ))
            } else {
                Status::Done(format!(
                    "Sentinel's store {}: its AEK is wrapped by {key} version {} (the cluster's key) and unwrapped by {who}.",
                    a.name,
                    short(&version)
                ))
            }
        }
        _ => Status::Todo(String::new()),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::engine::{Engine, Response, errors};
    use crate::walkthrough::Guide;
    use crate::walkthrough::testing::{self, run, send, with_cx};

    fn mistake(e: &mut Engine, m: SMistake) -> Response {
        testing::mistake(e, Mistake::Sentinel(m))
    }

    fn message(r: &Response) -> String {
        r.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The refusal is the catalogue entry, and its message quotes `quote` from the document.
    fn refused(r: &Response, spec: &errors::ErrorSpec, quote: &str) {
        assert_eq!(r.status, spec.status, "{}", r.body);
        assert_eq!(r.body["error"]["code"], spec.code, "{}", r.body);
        assert!(message(r).contains(quote), "{quote} not in {}", r.body);
    }

    /// The Azure Monitor walkthrough's five steps, by their own requests.
    fn monitor(e: &mut Engine) {
        for step in &wt::STEPS {
            for card in step.cards {
                let r = run(e, *card);
                assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
            }
            e.advance(3 * 3600);
        }
    }

    fn status_of(e: &Engine, n: usize) -> Status {
        with_cx(e, |cx| status(n, cx))
    }

    /// Every card's request, sent in order with the clock run to the next event where the
    /// document says to wait, brings every step to Done.
    #[test]
    fn sentinel_walkthrough_requests_complete_all_five_steps() {
        let mut e = Engine::with_seed([21; 32]);
        assert!(matches!(status_of(&e, 1), Status::Todo(_)));
        assert_eq!(with_cx(&e, monitor_step_to_finish), Some(1));
        monitor(&mut e);
        assert_eq!(with_cx(&e, monitor_step_to_finish), None);
        for step in &STEPS {
            for card in step.cards {
                let r = run(&mut e, *card);
                assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
                if *card == Card::Sentinel(SCard::FindCosmosDb) {
                    assert_eq!(r.body["value"][0]["id"], COSMOS_DB_OBJECT_ID, "{}", r.body);
                    assert_eq!(r.body["value"][0]["displayName"], COSMOS_DB_NAME);
                }
                if *card == Card::Sentinel(SCard::Onboard) {
                    assert_eq!(r.status, 201);
                    assert_eq!(r.body["properties"]["customerManagedKey"], true);
                }
                if *card == Card::Sentinel(SCard::OnboardingState) {
                    assert_eq!(r.body["properties"]["customerManagedKey"], true);
                }
            }
            if step.number == 2 {
                assert!(
                    matches!(status_of(&e, 2), Status::Running(_)),
                    "{:?}",
                    status_of(&e, 2)
                );
                // Registration is a foreground event: "run to next event" stops at it.
                while matches!(status_of(&e, 2), Status::Running(_)) {
                    e.run_to_next_event();
                }
            }
            let st = status_of(&e, step.number);
            assert!(st.is_done(), "step {}: {st:?}", step.number);
        }
        // The store's AEK is wrapped by the cluster's key version, through Azure Cosmos DB.
        with_cx(&e, |cx| {
            let a = store(cx).expect("the store");
            assert_eq!(a.protection, "CMK");
            assert_eq!(a.principal.as_deref(), Some(COSMOS_DB_NAME));
            assert_eq!(
                a.key.as_ref().map(|k| k.key_version.clone()),
                cx.cluster().unwrap().key_version_in_use
            );
        });
        // Every card is in exactly one step, and the guide finds it.
        for step in &STEPS {
            for card in step.cards {
                assert_eq!(Guide::Sentinel.step_of(*card), Some(step.number));
            }
        }
    }

    #[test]
    fn every_sentinel_mistake_gets_the_documented_refusal() {
        let mut e = Engine::with_seed([22; 32]);
        monitor(&mut e);
        for card in [SCard::RegisterCosmosDb, SCard::RegisterSentinel] {
            assert_eq!(run(&mut e, Card::Sentinel(card)).status, 200);
        }
        e.advance(10 * 60);
        assert!(status_of(&e, 2).is_done(), "{:?}", status_of(&e, 2));

        // Onboarding before the Azure Cosmos DB grant.
        let r = mistake(&mut e, SMistake::OnboardBeforeGrant);
        refused(
            &r,
            &errors::SENTINEL_CMK_COSMOS_NO_ACCESS,
            "Add an access policy that allows Azure Cosmos DB to access the Azure Key Vault instance that is linked to your dedicated Log Analytics cluster (the same key will be used by Microsoft Sentinel).",
        );
        assert!(sentinel_absent(&e));
        assert_eq!(
            run(&mut e, Card::Sentinel(SCard::GrantCosmosDb)).status,
            200
        );
        assert!(status_of(&e, 3).is_done(), "{:?}", status_of(&e, 3));

        // Onboarded without CMK first: accepted, then CMK is refused.
        assert_eq!(mistake(&mut e, SMistake::OnboardWithoutCmk).status, 201);
        assert!(matches!(status_of(&e, 4), Status::Warning(_)));
        let r = run(&mut e, Card::Sentinel(SCard::Onboard));
        refused(
            &r,
            &errors::SENTINEL_ALREADY_ONBOARDED,
            "The Microsoft Sentinel CMK capability is provided only to workspaces in Log Analytics dedicated clusters that have not already been onboarded to Microsoft Sentinel.",
        );
        // Starting over, as the step's status says: DELETE on the same URL.
        let mut off = with_cx(&e, |cx| draft(SCard::Onboard, cx));
        off.method = "DELETE".into();
        off.body.clear();
        assert_eq!(send(&mut e, &off).status, 200);
        assert_eq!(run(&mut e, Card::Sentinel(SCard::Onboard)).status, 201);
        assert!(status_of(&e, 5).is_done(), "{:?}", status_of(&e, 5));
        // Once onboarded with CMK, the same mistake is refused as disabling CMK.
        let r = mistake(&mut e, SMistake::OnboardWithoutCmk);
        refused(
            &r,
            &errors::SENTINEL_CMK_DISABLE,
            "Disabling CMK on a workspace already onboarded to Microsoft Sentinel",
        );

        // After onboarding, the cluster's identity and key are Sentinel's too.
        let before = e.checkpoint();
        let r = mistake(&mut e, SMistake::UserAssignedIdentity);
        refused(
            &r,
            &errors::SENTINEL_CMK_SYSTEM_ASSIGNED,
            "Microsoft Sentinel supports System Assigned Identities in CMK configuration. Therefore, the dedicated Log Analytics cluster's identity should be of System Assigned type.",
        );
        let r = mistake(&mut e, SMistake::ReplaceKey);
        refused(
            &r,
            &errors::SENTINEL_KEY_REPLACEMENT,
            "Changing the customer-managed key to another key (with another URI) currently isn't supported. You should change the key by rotating it.",
        );
        assert!(e.checkpoint() == before, "a refused change changes nothing");
        assert!(status_of(&e, 5).is_done());
    }

    fn sentinel_absent(e: &Engine) -> bool {
        e.snapshot().sentinel.is_empty()
    }

    #[test]
    fn steps_say_what_is_missing() {
        let mut e = Engine::with_seed([23; 32]);
        monitor(&mut e);
        assert!(status_of(&e, 1).is_done(), "{:?}", status_of(&e, 1));
        assert!(
            status_of(&e, 2)
                .text()
                .contains("Microsoft.DocumentDB is NotRegistered"),
            "{:?}",
            status_of(&e, 2)
        );
        assert!(matches!(status_of(&e, 3), Status::Todo(_)));
        // A grant without unwrapKey is named.
        let mut d = with_cx(&e, |cx| draft(SCard::GrantCosmosDb, cx));
        d.body = d.body.replace(",\n            \"unwrapKey\"", "");
        assert_eq!(send(&mut e, &d).status, 200);
        assert_eq!(
            status_of(&e, 3),
            Status::Warning("Azure Cosmos DB lacks unwrapKey.".into())
        );
        assert!(matches!(status_of(&e, 5), Status::Todo(_)));
    }
}
