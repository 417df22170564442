//! The Customer Lockbox walkthrough, as data: "Control Microsoft's access with Lockbox", on top of
//! the Azure Monitor walkthrough's CMK cluster and linked workspace (with data in it). Each step
//! has its reason (quoted from the seed and the Customer Lockbox documentation), the requests it
//! sends (filled from the live state) and the check that says where it stands.
//!
//! Two kinds of card: REST requests to `Microsoft.CustomerLockbox` (2018-02-28-preview), and the
//! playground's own controls ([`control`]): the support engineer's request
//! (`Command::SupportAccessRequest`, which in Azure comes from a support case, not an API) and
//! clock moves. Both are sent through [`crate::walkthrough::command`].
//!
//! Pure, like [`crate::sentinel_walkthrough`]: the page renders it, and native tests send every
//! card through the engine.

use serde_json::{Value, json};

use crate::prose;

use crate::engine::clock::{self, DAY, HOUR, MINUTE};
use crate::engine::journal::{AuditEntry, TimelineEntry};
use crate::engine::view::LockboxRequestView;
use crate::protocol::Command;
use crate::sentinel_walkthrough::monitor_step_to_finish;
use crate::walkthrough::{Card, Context, Draft, Mistake, Status, Step};

const ARM: &str = "https://management.azure.com";
/// The version with the tenant opt-in (2018-10-11-preview has none).
pub const LOCKBOX_API: &str = "2018-02-28-preview";
pub const NAMESPACE: &str = "Microsoft.CustomerLockbox";
/// How long the access an approval grants lasts, and how long a request waits for a decision.
pub const ACCESS_FOR: u64 = 8 * HOUR;
pub const PENDING_FOR: u64 = 4 * DAY;

/// One card of the Lockbox walkthrough.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum LCard {
    /// Step 1: read the workspace (its link to the cluster).
    Workspace,
    OptIn,
    OptedIn,
    /// Playground control: a Microsoft support engineer asks for the workspace's data.
    Ask,
    ListPending,
    Approve,
    /// Playground control: an hour on the clock (the engineer's first read).
    WaitRead,
    /// Playground control: the clock to the end of the eight hours.
    WaitAccess,
    /// Read the request once its window is over.
    Request,
    /// Playground control: the engineer asks again (left undecided this time).
    AskAgain,
    /// Playground control: the clock to the end of the four days.
    WaitExpiry,
    ListExpired,
}

impl LCard {
    pub fn id(self) -> &'static str {
        match self {
            LCard::Workspace => "lockbox-workspace",
            LCard::OptIn => "lockbox-opt-in",
            LCard::OptedIn => "lockbox-opted-in",
            LCard::Ask => "lockbox-ask",
            LCard::ListPending => "lockbox-pending",
            LCard::Approve => "lockbox-approve",
            LCard::WaitRead => "lockbox-wait-read",
            LCard::WaitAccess => "lockbox-wait-access",
            LCard::Request => "lockbox-request",
            LCard::AskAgain => "lockbox-ask-again",
            LCard::WaitExpiry => "lockbox-wait-expiry",
            LCard::ListExpired => "lockbox-expired",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            LCard::Workspace => "Check that the workspace is linked to the cluster",
            LCard::OptIn => "Opt the tenant in to Customer Lockbox",
            LCard::OptedIn => "Read the tenant's opt-in",
            LCard::Ask => "A Microsoft support engineer asks for access",
            LCard::ListPending => "List the pending requests",
            LCard::Approve => "Approve the request",
            LCard::WaitRead => "Fast-forward one hour: the engineer reads",
            LCard::WaitAccess => "Fast-forward to the end of the eight hours",
            LCard::Request => "Read the request: its access is over",
            LCard::AskAgain => "The engineer asks again",
            LCard::WaitExpiry => "Fast-forward four days without deciding",
            LCard::ListExpired => "List the expired requests",
        }
    }

    /// Whether the card is a playground control rather than a REST request.
    pub fn is_control(self) -> bool {
        matches!(
            self,
            LCard::Ask | LCard::WaitRead | LCard::WaitAccess | LCard::AskAgain | LCard::WaitExpiry
        )
    }
}

// ---- what the requests and checks look at --------------------------------------------------------

fn tenant_url(cx: &Context, rest: &str) -> String {
    let _ = cx;
    format!("{ARM}/providers/{NAMESPACE}/{rest}?api-version={LOCKBOX_API}")
}

/// `…/subscriptions/{s}/providers/Microsoft.CustomerLockbox/requests{rest}`.
pub fn requests_url(cx: &Context, rest: &str, query: &str) -> String {
    format!(
        "{ARM}/subscriptions/{}/providers/{NAMESPACE}/requests{rest}?api-version={LOCKBOX_API}{query}",
        cx.settings.subscription
    )
}

fn filter(status: &str) -> String {
    format!("&$filter=properties/status%20eq%20'{status}'")
}

/// The walkthrough workspace's Lockbox requests, oldest first.
pub fn requests<'a>(cx: &'a Context) -> Vec<&'a LockboxRequestView> {
    let id = cx.workspace_path();
    let mut v: Vec<&LockboxRequestView> = cx
        .snap
        .lockbox
        .requests
        .iter()
        .filter(|r| r.workspace.eq_ignore_ascii_case(&id))
        .collect();
    v.sort_by_key(|r| r.created);
    v
}

/// The newest request of the workspace in `status`.
pub fn latest<'a>(cx: &'a Context, status: &str) -> Option<&'a LockboxRequestView> {
    requests(cx).into_iter().rev().find(|r| r.status == status)
}

/// The request the decision card decides: the newest pending one, else the newest.
fn to_decide<'a>(cx: &'a Context) -> Option<&'a LockboxRequestView> {
    latest(cx, "Pending").or_else(|| requests(cx).into_iter().last())
}

fn request_url(cx: &Context, suffix: &str) -> String {
    let id = to_decide(cx)
        .map(|r| r.request_id.clone())
        .unwrap_or_else(|| "<requestId: the engineer asks first (step 3)>".into());
    requests_url(cx, &format!("/{id}{suffix}"), "")
}

/// Rows in the workspace's tables.
pub fn rows(cx: &Context) -> u64 {
    cx.workspace()
        .map(|w| w.tables.iter().map(|(_, n)| *n).sum())
        .unwrap_or(0)
}

/// Key Vault audit entries of the cluster's identity with your key since `from` (folded entries
/// count from their last call): the unwrapping that keeps the cluster's AEK, which the engineer's
/// reads use, in hand. Succeeded and refused.
pub fn cluster_key_use<'a>(
    cx: &'a Context,
    from: u64,
) -> (Vec<&'a AuditEntry>, Vec<&'a AuditEntry>) {
    let Some(principal) = cx.cluster().and_then(|c| c.principal_id.clone()) else {
        return (Vec::new(), Vec::new());
    };
    cx.snap
        .audit
        .iter()
        .filter(|a| a.caller_object_id.eq_ignore_ascii_case(&principal) && a.last >= from)
        .partition(|a| a.status < 300)
}

/// The engineer's reads and refused reads on the timeline (newest last), under request `arm_id`.
pub fn reads<'a>(cx: &'a Context, arm_id: &str) -> Vec<&'a TimelineEntry> {
    cx.snap
        .timeline
        .iter()
        .filter(|e| e.subject.eq_ignore_ascii_case(arm_id) && e.text.starts_with("Lockbox access:"))
        .collect()
}

// ---- the requests ----------------------------------------------------------------------------------

/// The request a REST card sends, filled from the current state. A control card's draft says what
/// the control does (it is never sent as a request: see [`control`]).
pub fn draft(card: LCard, cx: &Context) -> Draft {
    match card {
        LCard::Workspace => Draft::new(
            "GET",
            format!(
                "{ARM}{}?api-version={}",
                cx.workspace_path(),
                cx.settings.oi_api
            ),
            None,
        ),
        LCard::OptIn => Draft::new("POST", tenant_url(cx, "enableLockbox"), None),
        LCard::OptedIn => Draft::new(
            "GET",
            tenant_url(cx, &format!("tenantOptedIn/{}", cx.snap.tenant_id)),
            None,
        ),
        LCard::ListPending => Draft::new("GET", requests_url(cx, "", &filter("Pending")), None),
        LCard::ListExpired => Draft::new("GET", requests_url(cx, "", &filter("Expired")), None),
        LCard::Approve => Draft::new(
            "POST",
            request_url(cx, "/updateApproval"),
            Some(decision_body("status", "Approve")),
        ),
        LCard::Request => {
            let id = latest(cx, "Completed")
                .or_else(|| latest(cx, "Approved"))
                .or_else(|| requests(cx).into_iter().last())
                .map(|r| r.request_id.clone())
                .unwrap_or_else(|| "<requestId>".into());
            Draft::new("GET", requests_url(cx, &format!("/{id}"), ""), None)
        }
        c => Draft {
            method: String::new(),
            url: describe_control(c, cx),
            body: String::new(),
        },
    }
}

fn decision_body(field: &str, value: &str) -> Value {
    json!({ field: value, "reason": "Support case: the engineer may read the workspace's data" })
}

/// Seconds to the end of a phase (a minute past it), or `fallback` when there is none.
fn until(cx: &Context, end: Option<u64>, fallback: u64) -> u64 {
    match end {
        Some(t) if t > cx.snap.now => t - cx.snap.now + MINUTE,
        _ => fallback,
    }
}

/// The playground control a card stands for (`None` for a REST card).
pub fn control(card: LCard, cx: &Context) -> Option<Command> {
    Some(match card {
        LCard::Ask | LCard::AskAgain => Command::SupportAccessRequest {
            workspace: cx.workspace_path(),
        },
        LCard::WaitRead => Command::Advance { seconds: HOUR },
        LCard::WaitAccess => Command::Advance {
            seconds: until(cx, latest(cx, "Approved").map(|r| r.expires), ACCESS_FOR),
        },
        LCard::WaitExpiry => Command::Advance {
            seconds: until(cx, latest(cx, "Pending").map(|r| r.expires), PENDING_FOR),
        },
        _ => return None,
    })
}

/// What a control does, in a sentence (the card's text instead of a request).
pub fn describe_control(card: LCard, cx: &Context) -> String {
    let ws = &cx.settings.workspace;
    match card {
        LCard::Ask | LCard::AskAgain => format!(
            "Playground control, not an Azure API: a Microsoft support engineer working on a support case asks to read workspace {ws}, as a support case would. Lockbox turns it into a request that waits for your decision."
        ),
        LCard::WaitRead => "Playground control: the virtual clock moves one hour.".into(),
        LCard::WaitAccess => match latest(cx, "Approved") {
            Some(r) => format!(
                "Playground control: the virtual clock moves {} to the end of request {}'s eight hours of access.",
                clock::duration(until(cx, Some(r.expires), ACCESS_FOR)),
                short(&r.request_id)
            ),
            None => format!(
                "Playground control: no access is running now (approve a request in step 4 first); the clock moves {}, the length of an approval.",
                clock::duration(ACCESS_FOR)
            ),
        },
        LCard::WaitExpiry => match latest(cx, "Pending") {
            Some(r) => format!(
                "Playground control: the virtual clock moves {} to the end of request {}'s four days, with no decision.",
                clock::duration(until(cx, Some(r.expires), PENDING_FOR)),
                short(&r.request_id)
            ),
            None => format!(
                "Playground control: no request is pending now (ask again first); the clock moves {}, the time a request waits.",
                clock::duration(PENDING_FOR)
            ),
        },
        _ => String::new(),
    }
}

// ---- other ways to decide ------------------------------------------------------------------------

/// The decision sent another way (the page lists these under the step, like mistakes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LMistake {
    /// Deny instead of approving.
    Deny,
    /// The same approval as `PATCH …/requests/{id}` with `decision`.
    PatchDecision,
}

impl LMistake {
    pub fn label(self) -> &'static str {
        match self {
            LMistake::Deny => "Deny instead",
            LMistake::PatchDecision => "Approve with PATCH and \"decision\"",
        }
    }

    pub fn expect(self) -> &'static str {
        match self {
            LMistake::Deny => {
                "{\"status\": \"Deny\"}: the request is Denied, Microsoft support gets no access and no read ever happens. Step 3's control asks again for a new request."
            }
            LMistake::PatchDecision => {
                "PATCH …/requests/{id} with {\"decision\": \"Approve\"}: the specification's other form of the same decision, accepted at both preview versions; the request is Approved just the same."
            }
        }
    }

    pub fn card(self) -> LCard {
        LCard::Approve
    }

    pub fn draft(self, cx: &Context) -> Draft {
        match self {
            LMistake::Deny => Draft::new(
                "POST",
                request_url(cx, "/updateApproval"),
                Some(decision_body("status", "Deny")),
            ),
            LMistake::PatchDecision => Draft::new(
                "PATCH",
                request_url(cx, ""),
                Some(decision_body("decision", "Approve")),
            ),
        }
    }
}

// ---- the steps -------------------------------------------------------------------------------------

pub static STEPS: [Step; 6] = [
    Step {
        number: 1,
        title: "A workspace on a dedicated cluster, with data",
        why: prose!(
            "Lockbox gives you the control to approve or reject Microsoft engineer request to access your data during a support request.\n\nIn Azure Monitor, you have this control on data in workspaces linked to your Log Analytics dedicated cluster. The Lockbox control applies to data stored in a Log Analytics dedicated cluster where it's kept isolated in the cluster's storage accounts under your Lockbox protected subscription.\n\nWhere it doesn't apply: workspaces not linked to a dedicated cluster; China regions (\"Lockbox isn't available in China currently.\"); tables with the Auxiliary table plan (\"Lockbox doesn't apply to tables with the Auxiliary table plan.\")."
        ),
        source: "Azure Monitor customer-managed key, \"Customer Lockbox (preview)\" and the cluster's \"Limitations and constraints\"; Log Analytics dedicated clusters",
        watch: prose!(
            "The Azure Monitor walkthrough builds the cluster and the linked workspace: the workspace answers with features.clusterResourceId naming the cluster. The engineer will read the workspace's rows, so it needs some: the button above sends 20 records."
        ),
        cards: &[Card::Lockbox(LCard::Workspace)],
        mistakes: &[],
    },
    Step {
        number: 2,
        title: "Opt in to Customer Lockbox",
        why: prose!(
            "Customer Lockbox is turned on for the tenant, once: from then on a Microsoft engineer's access to customer data in a workspace of a dedicated cluster waits for your approval. The playground's tenant starts opted out."
        ),
        source: "Customer Lockbox for Microsoft Azure (Post_EnableLockbox, Get_TenantOptedIn, api-version 2018-02-28-preview)",
        watch: prose!(
            "POST enableLockbox answers 200 with no body; tenantOptedIn answers {\"isOptedIn\": true}. The timeline says Customer Lockbox is enabled."
        ),
        cards: &[Card::Lockbox(LCard::OptIn), Card::Lockbox(LCard::OptedIn)],
        mistakes: &[],
    },
    Step {
        number: 3,
        title: "A Microsoft engineer asks for access",
        why: prose!(
            "During a support request, an engineer who needs to access customer data asks for it: a Lockbox request is created and waits for the customer's decision. Only the status filter is supported when listing requests.\n\nThe engineer's side is not an Azure API: the first card is the playground's control standing in for the support case."
        ),
        source: "Customer Lockbox for Microsoft Azure (workflow; Requests_List with $filter=properties/status eq 'Pending')",
        watch: prose!(
            "The control answers 201 with a Pending request (its justification names the workspace and the support request); the list shows it with expirationDateTime four days away. The timeline says \"Create Lockbox Request\"."
        ),
        cards: &[Card::Lockbox(LCard::Ask), Card::Lockbox(LCard::ListPending)],
        mistakes: &[],
    },
    Step {
        number: 4,
        title: "Approve (or deny) the request",
        why: prose!(
            "Subscription-scoped requests are approved by the Owner or the Azure Customer Lockbox Approver for Subscription, assigned at the subscription. Approve grants access for a default eight hours; Deny gives none. POST …/updateApproval takes {\"status\": \"Approve\"} or \"Deny\"; PATCH on the request with {\"decision\": …} is the same decision."
        ),
        source: "Customer Lockbox for Microsoft Azure (approvers; Requests_UpdateStatus)",
        watch: prose!(
            "200 with status Approved; the request's expirationDateTime is now the end of the eight hours. Anyone without one of the two roles gets ARM's 403 AuthorizationFailed. A request can be decided once: deciding again is refused."
        ),
        cards: &[Card::Lockbox(LCard::Approve)],
        mistakes: &[
            Mistake::Lockbox(LMistake::Deny),
            Mistake::Lockbox(LMistake::PatchDecision),
        ],
    },
    Step {
        number: 5,
        title: "Watch the engineer read, then the eight hours end",
        why: prose!(
            "While the approval lasts, the engineer reads the workspace's data through the cluster's storage: the data is \"kept isolated in the cluster's storage accounts\", under the cluster's AEK, which your key wraps. So the reads need your key too: revoke it (the drill \"Lockbox: approve, then revoke the key\") and they are refused even though the request is approved. After eight hours the access ends by itself."
        ),
        source: "Azure Monitor customer-managed key, \"Customer Lockbox (preview)\" and \"Key revocation\"; Customer Lockbox for Microsoft Azure (eight hours)",
        watch: prose!(
            "The panel lists each read (rows and tables) on the timeline, and the cluster identity's unwrapKey calls in Key Vault's audit log that keep the AEK in hand. At the end: status Completed (2018-10-11-preview calls it Expired), no more reads."
        ),
        cards: &[
            Card::Lockbox(LCard::WaitRead),
            Card::Lockbox(LCard::WaitAccess),
            Card::Lockbox(LCard::Request),
        ],
        mistakes: &[],
    },
    Step {
        number: 6,
        title: "Leave a request undecided: it expires",
        why: prose!(
            "A request stays in the queue four days, then auto-expires: no decision is the same as no access."
        ),
        source: "Customer Lockbox for Microsoft Azure (\"Lockbox Request Expiry\")",
        watch: prose!(
            "The new request is Pending with expirationDateTime four days away; after the clock moves it is Expired (the timeline says \"Lockbox Request Expiry\"), and no read happened."
        ),
        cards: &[
            Card::Lockbox(LCard::AskAgain),
            Card::Lockbox(LCard::WaitExpiry),
            Card::Lockbox(LCard::ListExpired),
        ],
        mistakes: &[],
    },
];

/// The state of step `n` (1-based).
pub fn status(n: usize, cx: &Context) -> Status {
    let s = cx.settings;
    let reqs = requests(cx);
    match n {
        1 => {
            let (Some(c), Some(w)) = (cx.cluster(), cx.workspace()) else {
                return Status::Todo(match monitor_step_to_finish(cx) {
                    Some(m) => format!(
                        "No workspace on a dedicated cluster yet: the Azure Monitor walkthrough builds it (next: its step {m})."
                    ),
                    None => "No workspace on a dedicated cluster yet.".into(),
                });
            };
            let linked = w.link_state == "Linked"
                && w.cluster
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&c.id));
            if !linked {
                return Status::Todo(format!(
                    "Workspace {} is not linked to cluster {} yet (Azure Monitor step 5): Lockbox doesn't apply to it.",
                    w.name, c.name
                ));
            }
            if c.storage_key.is_none() {
                return Status::Todo(format!(
                    "Cluster {} has no key identifier yet (Azure Monitor step 4).",
                    c.name
                ));
            }
            match rows(cx) {
                0 => Status::Todo(format!(
                    "Workspace {} is linked to cluster {}, but holds no data yet: send some records.",
                    w.name, c.name
                )),
                n => Status::Done(format!(
                    "Workspace {} is linked to cluster {} (under your key) and holds {n} rows.",
                    w.name, c.name
                )),
            }
        }
        2 if cx.snap.lockbox.opted_in => {
            Status::Done("Customer Lockbox is enabled for the tenant.".into())
        }
        2 => Status::Todo("Ready: Customer Lockbox is not enabled for the tenant yet.".into()),
        3 => match reqs.last() {
            Some(r) => Status::Done(format!(
                "Request {} for workspace {} is {}.",
                short(&r.request_id),
                s.workspace,
                r.status
            )),
            None if !cx.snap.lockbox.opted_in => Status::Todo(
                "Blocked: the tenant has not opted in (step 2), so no request can be made.".into(),
            ),
            None if !status(1, cx).is_done() => {
                Status::Todo("Blocked: the workspace is not ready yet (step 1).".into())
            }
            None => Status::Todo(format!(
                "Ready: no request for workspace {} yet.",
                s.workspace
            )),
        },
        4 => {
            if let Some(r) = reqs
                .iter()
                .rev()
                .find(|r| r.status == "Approved" || r.status == "Completed")
            {
                return Status::Done(format!(
                    "Request {} was approved by {} at {}.",
                    short(&r.request_id),
                    r.decided_by.as_deref().unwrap_or("you"),
                    r.decided.map(clock::human).unwrap_or_default()
                ));
            }
            if let Some(r) = latest(cx, "Pending") {
                return Status::Todo(format!(
                    "Ready: request {} is pending; it expires {}.",
                    short(&r.request_id),
                    clock::human(r.expires)
                ));
            }
            match reqs.last() {
                Some(r) if r.status == "Denied" => Status::Warning(format!(
                    "Request {} was denied: no access. Ask again (step 3's control) to approve one.",
                    short(&r.request_id)
                )),
                Some(r) => Status::Warning(format!(
                    "Request {} is {}: ask again (step 3's control) for one to decide.",
                    short(&r.request_id),
                    r.status
                )),
                None => Status::Todo("Blocked: no request to decide yet (step 3).".into()),
            }
        }
        5 => {
            if let Some(r) = latest(cx, "Approved") {
                return Status::Running(format!(
                    "Approved: {} read(s) so far, {} refused; the access ends {}.",
                    r.reads,
                    r.refused_reads,
                    clock::human(r.expires)
                ));
            }
            match latest(cx, "Completed") {
                Some(r) => Status::Done(format!(
                    "The eight hours of request {} ended {}: {} read(s), {} refused; no more access.",
                    short(&r.request_id),
                    clock::human(r.expires),
                    r.reads,
                    r.refused_reads
                )),
                None => Status::Todo("Blocked: approve a request first (step 4).".into()),
            }
        }
        6 => {
            if let Some(r) = latest(cx, "Expired") {
                return Status::Done(format!(
                    "Request {} expired {} without a decision: {} reads.",
                    short(&r.request_id),
                    clock::human(r.expires),
                    r.reads
                ));
            }
            if let Some(r) = latest(cx, "Pending") {
                return Status::Running(format!(
                    "Request {} is pending, undecided: it expires {}.",
                    short(&r.request_id),
                    clock::human(r.expires)
                ));
            }
            if !cx.snap.lockbox.opted_in {
                Status::Todo("Blocked: the tenant has not opted in (step 2).".into())
            } else if !status(1, cx).is_done() {
                Status::Todo("Blocked: the workspace is not ready yet (step 1).".into())
            } else {
                Status::Todo("Ready: ask again, and leave the request undecided.".into())
            }
        }
        _ => Status::Todo(String::new()),
    }
}

fn short(s: &str) -> String {
    s.chars().take(8).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::drills::{self, SetupMove};
    use crate::engine::Engine;
    use crate::protocol::{Reply, execute};
    use crate::walkthrough::testing::with_cx;
    use crate::walkthrough::{self as wt, Guide};

    fn run(e: &mut Engine, card: Card) -> Reply {
        let cmd = with_cx(e, |cx| wt::command(card, cx));
        execute(e, &cmd)
    }

    fn status_of(e: &Engine, n: usize) -> Status {
        with_cx(e, |cx| status(n, cx))
    }

    /// The drills' set-up: the Azure Monitor walkthrough's requests, then 20 rows.
    fn provisioned(e: &mut Engine) {
        for _ in 0..60 {
            let Some(m) = with_cx(e, drills::setup_move) else {
                return;
            };
            let cmd = with_cx(e, |cx| m.command(cx));
            let r = execute(e, &cmd);
            assert!(r.error.is_none(), "{m:?}: {:?}", r.error);
        }
        panic!("the set-up did not finish");
    }

    /// Every card, sent in order, brings every step to Done; the page's words along the way.
    #[test]
    fn lockbox_walkthrough_cards_complete_all_six_steps() {
        let mut e = Engine::with_seed([31; 32]);
        assert!(
            status_of(&e, 1)
                .text()
                .contains("Azure Monitor walkthrough")
        );
        assert!(
            status_of(&e, 3).text().starts_with("Blocked"),
            "{:?}",
            status_of(&e, 3)
        );
        provisioned(&mut e);
        for step in &STEPS {
            for card in step.cards {
                let reply = run(&mut e, *card);
                assert!(reply.error.is_none(), "{card:?}: {:?}", reply.error);
                if let Some(r) = &reply.response {
                    assert!(r.status < 300, "{card:?}: {} {}", r.status, r.body);
                }
                let r = reply.response.as_ref();
                match card {
                    Card::Lockbox(LCard::OptedIn) => {
                        assert_eq!(r.unwrap().body["isOptedIn"], true)
                    }
                    Card::Lockbox(LCard::Ask) => {
                        assert_eq!(r.unwrap().status, 201);
                        assert_eq!(r.unwrap().body["properties"]["status"], "Pending");
                    }
                    Card::Lockbox(LCard::ListPending) => {
                        assert_eq!(r.unwrap().body["value"].as_array().unwrap().len(), 1)
                    }
                    Card::Lockbox(LCard::Approve) => {
                        assert_eq!(r.unwrap().body["properties"]["status"], "Approved");
                        assert!(matches!(status_of(&e, 5), Status::Running(_)));
                    }
                    Card::Lockbox(LCard::WaitRead) => with_cx(&e, |cx| {
                        let req = latest(cx, "Approved").expect("approved");
                        assert_eq!((req.reads, req.refused_reads), (1, 0));
                        let seen = reads(cx, &req.id);
                        assert!(
                            seen[0]
                                .text
                                .contains("Microsoft support read 20 rows from 1 table of"),
                            "{seen:?}"
                        );
                        let (used, refused) = cluster_key_use(cx, req.decided.unwrap());
                        assert!(!used.is_empty() && refused.is_empty());
                    }),
                    Card::Lockbox(LCard::Request) => {
                        assert_eq!(r.unwrap().body["properties"]["status"], "Completed")
                    }
                    Card::Lockbox(LCard::ListExpired) => {
                        assert_eq!(r.unwrap().body["value"].as_array().unwrap().len(), 1)
                    }
                    _ => {}
                }
            }
            let st = status_of(&e, step.number);
            assert!(st.is_done(), "step {}: {st:?}", step.number);
        }
        with_cx(&e, |cx| {
            let done = latest(cx, "Completed").unwrap();
            assert_eq!((done.reads, done.refused_reads), (8, 0));
            assert_eq!(latest(cx, "Expired").unwrap().reads, 0);
        });
        for step in &STEPS {
            for card in step.cards {
                assert_eq!(Guide::Lockbox.step_of(*card), Some(step.number));
            }
        }
        // Ids are unique across every guide.
        let mut ids: Vec<&str> = Guide::all()
            .iter()
            .flat_map(|g| {
                g.steps()
                    .iter()
                    .flat_map(|s| s.cards.iter().map(|c| c.id()))
            })
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    /// Deny and the PATCH form, loaded as the page loads a mistake.
    #[test]
    fn deny_and_the_patch_form_decide_as_documented() {
        let mut e = Engine::with_seed([32; 32]);
        provisioned(&mut e);
        for c in [LCard::OptIn, LCard::Ask] {
            assert!(run(&mut e, Card::Lockbox(c)).error.is_none());
        }
        let send = |e: &mut Engine, m: LMistake| {
            let d = with_cx(e, |cx| Mistake::Lockbox(m).draft(cx));
            execute(e, &Command::request(&d.method, &d.url, Some(&d.body)))
                .response
                .unwrap()
        };
        let r = send(&mut e, LMistake::Deny);
        assert_eq!(r.body["properties"]["status"], "Denied", "{}", r.body);
        assert!(
            matches!(status_of(&e, 4), Status::Warning(_)),
            "{:?}",
            status_of(&e, 4)
        );
        e.advance(DAY);
        with_cx(&e, |cx| assert_eq!(latest(cx, "Denied").unwrap().reads, 0));
        // Deciding again is refused.
        let r = run(&mut e, Card::Lockbox(LCard::Approve)).response.unwrap();
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(run(&mut e, Card::Lockbox(LCard::Ask)).error.is_none());
        let r = send(&mut e, LMistake::PatchDecision);
        assert_eq!(r.body["properties"]["status"], "Approved", "{}", r.body);
        assert!(status_of(&e, 4).is_done());
    }

    /// Before the workspace is linked the guide offers the Azure Monitor walkthrough, and the
    /// engineer's request is refused without an opt-in.
    #[test]
    fn steps_say_what_blocks_them() {
        let mut e = Engine::with_seed([33; 32]);
        assert_eq!(
            with_cx(&e, drills::setup_move),
            Some(SetupMove::Card(Card::Group))
        );
        provisioned(&mut e);
        assert!(status_of(&e, 1).is_done(), "{:?}", status_of(&e, 1));
        assert!(status_of(&e, 2).text().starts_with("Ready"));
        let reply = run(&mut e, Card::Lockbox(LCard::Ask));
        assert!(reply.error.is_some());
        assert!(status_of(&e, 3).text().starts_with("Blocked"));
        assert!(status_of(&e, 4).text().starts_with("Blocked"));
    }
}
