//! Guided drills: from a fully provisioned setup, pull one lever the seed documents (revoke, rotate,
//! take Key Vault down, set the identity to None), fast-forward the virtual clock, and check what
//! happened against what the seed promises. The Microsoft Sentinel drills start from the same
//! setup with the workspace onboarded to Sentinel with CMK (the Sentinel walkthrough's requests).
//!
//! Pure, like the walkthrough: a [`Driver`] hands out one [`Command`] at a time and is told each
//! reply; the page runs it against the engine in its Worker, native tests run the same driver
//! against an [`crate::engine::Engine`] directly. Checks read only what a user can see: REST
//! responses and the snapshot.

use serde_json::{Value, json};

use crate::prose;
use crate::texts::Prose;

use crate::byos_walkthrough::{self as bw, BCard};
use crate::engine::clock::{self, DAY, HOUR, MINUTE};
use crate::engine::storage::access::Outage;
use crate::engine::view::{AccountView, ClusterView, WorkspaceView};
use crate::engine::{Response, Snapshot};
use crate::lockbox_walkthrough::{self as lw, LCard};
use crate::protocol::{Command, Reply};
use crate::sentinel_walkthrough::{self as sw, SCard};
use crate::walkthrough::{self as wt, Card, Context, Draft, Settings};

/// The table the drills write to and query.
pub const TABLE: &str = "DrillProbe";
/// Rows ingested by the set-up, and by each probe.
pub const SETUP_ROWS: u64 = 20;
pub const PROBE_ROWS: u64 = 5;
/// The most commands one converging stage may send before it gives up.
const MAX_STEPS: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrillId {
    RevokeRecover,
    AutoRotation,
    PinnedForget,
    Outage,
    IdentityNone,
    SentinelRevoke,
    SentinelRotate,
    SentinelUndefined,
    LockboxRevoke,
    ByosRevoke,
    LeastPrivilege,
}

/// One drill: its promise (quoted from the seeds) and its stages.
pub struct Drill {
    pub id: DrillId,
    pub slug: &'static str,
    pub title: &'static str,
    pub summary: Prose,
    /// The seed's words this drill checks, and where they come from.
    pub promise: Prose,
    pub source: Prose,
    /// Step 4 pins the key version instead of following the latest.
    pub pin_version: bool,
    pub stages: &'static [Stage],
}

pub struct Stage {
    pub title: &'static str,
    /// What the user is about to do and what to watch.
    pub explain: Prose,
    pub ops: &'static [Op],
    pub check: fn(&Context, &[StageRun]) -> Vec<Check>,
}

/// What a stage does, in order.
pub enum Op {
    /// Start over and provision everything (the walkthrough's five steps), then ingest
    /// [`SETUP_ROWS`] rows.
    Setup,
    /// Send one command, built from the current state; its reply is kept under the label.
    Send(&'static str, fn(&Context, &[StageRun]) -> Command),
    /// Run the clock to the next event until no cluster operation or link is in progress.
    Settle,
    /// After [`Op::Setup`]: the Sentinel walkthrough's requests (providers registered, Azure
    /// Cosmos DB granted, the workspace onboarded with CMK), then a watchlist and a scheduled
    /// analytics rule that raises an incident for each probe ingestion.
    SentinelSetup,
    /// After [`Op::Setup`]: the saved queries and alerts walkthrough's requests (an identity, a
    /// second key, a CMK storage account linked for Query and Alerts, a saved search, a rule).
    ByosSetup,
}

/// What one stage did: when, and what came back.
#[derive(Clone, Debug, PartialEq)]
pub struct StageRun {
    pub started: u64,
    pub ended: u64,
    pub responses: Vec<(String, Response)>,
    pub facts: Facts,
}

impl StageRun {
    pub fn response(&self, label: &str) -> Option<&Response> {
        self.responses
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, r)| r)
    }
}

/// A few observations kept from the end of each stage, for later checks to compare against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    /// The key version wrapping the cluster's writable account's AEK.
    pub version_in_use: Option<String>,
    pub aek_id: Option<String>,
    pub blocks: usize,
    pub dropped_rows: u64,
    pub latest_version: Option<String>,
    /// Microsoft Sentinel's incidents on the workspace.
    pub incidents: usize,
    /// The key version wrapping Sentinel's store's AEK, and that AEK.
    pub store_version: Option<String>,
    pub store_aek: Option<String>,
}

/// One promise checked against what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub promise: String,
    pub ok: bool,
    pub observed: String,
}

fn check(promise: impl Into<String>, ok: bool, observed: impl Into<String>) -> Check {
    Check {
        promise: promise.into(),
        ok,
        observed: observed.into(),
    }
}

// ---- what the checks look at -------------------------------------------------------------------

fn cluster<'a>(cx: &'a Context) -> Option<&'a ClusterView> {
    cx.cluster()
}

fn workspace<'a>(cx: &'a Context) -> Option<&'a WorkspaceView> {
    cx.workspace()
}

/// The cluster's writable storage account.
fn account<'a>(cx: &'a Context) -> Option<&'a AccountView> {
    let c = cluster(cx)?;
    cx.snap
        .storage
        .accounts
        .iter()
        .find(|a| a.writable && a.cluster.as_deref() == Some(c.id.as_str()))
}

fn cluster_hot_blocks(cx: &Context) -> usize {
    let Some(c) = cluster(cx) else { return 0 };
    cx.snap
        .storage
        .accounts
        .iter()
        .filter(|a| a.cluster.as_deref() == Some(c.id.as_str()))
        .map(|a| a.hot_blocks)
        .sum()
}

fn access(cx: &Context) -> String {
    cluster(cx)
        .map(|c| c.access.state.clone())
        .unwrap_or_default()
}

fn key_versions(cx: &Context) -> Vec<String> {
    cx.vault()
        .and_then(|v| {
            v.keys
                .iter()
                .find(|k| k.name.eq_ignore_ascii_case(&cx.settings.key) && k.deleted.is_none())
        })
        .map(|k| k.versions.iter().map(|v| v.version.clone()).collect())
        .unwrap_or_default()
}

pub fn facts(cx: &Context) -> Facts {
    let a = account(cx);
    Facts {
        version_in_use: a
            .and_then(|a| a.key.as_ref())
            .map(|k| k.key_version.clone()),
        aek_id: a.map(|a| a.aek_id.clone()),
        blocks: cx.snap.storage.total_blocks,
        dropped_rows: workspace(cx).map(|w| w.dropped_rows).unwrap_or(0),
        latest_version: key_versions(cx).last().cloned(),
        incidents: sw::sentinel(cx).map(|s| s.incidents).unwrap_or(0),
        store_version: sw::store(cx)
            .and_then(|a| a.key.as_ref())
            .map(|k| k.key_version.clone()),
        store_aek: sw::store(cx).map(|a| a.aek_id.clone()),
    }
}

/// The row count a `count` query returned, if it succeeded.
fn count_of(r: Option<&Response>) -> Option<u64> {
    let r = r.filter(|r| r.status == 200)?;
    r.body["tables"][0]["rows"][0][0].as_u64()
}

fn status_of(r: Option<&Response>) -> String {
    match r {
        Some(r) => format!("{}", r.status),
        None => "no response".into(),
    }
}

fn elapsed(from: u64, to: Option<u64>) -> String {
    match to {
        Some(t) if t >= from => clock::duration(t - from),
        _ => "—".into(),
    }
}

// ---- the commands the drills send ----------------------------------------------------------------

fn customer_id(cx: &Context) -> String {
    workspace(cx)
        .map(|w| w.customer_id.clone())
        .unwrap_or_default()
}

/// Rows through the HTTP Data Collector API, tagged so they can be told apart.
pub fn ingest(cx: &Context, tag: &str, n: u64) -> Command {
    let rows: Vec<Value> = (0..n)
        .map(|i| json!({ "Stage": tag, "Seq": i, "Message": format!("drill record {i} ({tag})") }))
        .collect();
    Command::Request {
        method: "POST".into(),
        url: format!(
            "https://{}.ods.opinsights.azure.com/api/logs?api-version=2016-04-01",
            customer_id(cx)
        ),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Log-Type".into(), TABLE.into()),
        ],
        body: Some(Value::Array(rows).to_string()),
    }
}

pub fn query(cx: &Context, q: &str) -> Command {
    Command::Request {
        method: "POST".into(),
        url: format!(
            "https://api.loganalytics.io/v1/workspaces/{}/query",
            customer_id(cx)
        ),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(json!({ "query": q }).to_string()),
    }
}

fn count_query(cx: &Context, _: &[StageRun]) -> Command {
    query(cx, &format!("{TABLE}_CL | count"))
}

fn probe_ingest(cx: &Context, _: &[StageRun]) -> Command {
    ingest(cx, "probe", PROBE_ROWS)
}

fn send(card: Card, cx: &Context) -> Command {
    wt::command(card, cx)
}

fn command(d: Draft) -> Command {
    Command::request(&d.method, &d.url, Some(&d.body))
}

fn key_version_url(cx: &Context, version: &str) -> String {
    format!(
        "{}/keys/{}/{version}?api-version=7.4",
        cx.vault_uri(),
        cx.settings.key
    )
}

fn set_enabled(cx: &Context, version: &str, enabled: bool) -> Command {
    Command::request(
        "PATCH",
        &key_version_url(cx, version),
        Some(&json!({ "attributes": { "enabled": enabled } }).to_string()),
    )
}

/// The version the cluster's storage used when the set-up finished.
fn setup_version(runs: &[StageRun]) -> String {
    runs.first()
        .and_then(|r| r.facts.version_in_use.clone())
        .unwrap_or_default()
}

fn rotate(cx: &Context, _: &[StageRun]) -> Command {
    Command::request(
        "POST",
        &format!(
            "{}/keys/{}/rotate?api-version=7.4",
            cx.vault_uri(),
            cx.settings.key
        ),
        None,
    )
}

fn cluster_patch(cx: &Context, body: Value) -> Command {
    Command::request(
        "PATCH",
        &format!(
            "https://management.azure.com{}?api-version={}",
            cx.cluster_path(),
            cx.settings.oi_api
        ),
        Some(&body.to_string()),
    )
}

fn advance(seconds: u64) -> Command {
    Command::Advance { seconds }
}

/// The next command that moves the world towards "fully provisioned, with data", or `None` when
/// it is there. The five steps are the walkthrough's own requests.
/// The set-up's next move: a walkthrough card's request, a clock move to let an operation
/// finish, or the ingestion of the set-up's rows. Presets stop at a given card.
#[derive(Clone, Debug, PartialEq)]
pub enum SetupMove {
    /// Sign the administrator back in: the set-up provisions as Avery, Owner of both
    /// subscriptions (a drill may have left someone with less signed in).
    SignIn,
    Card(Card),
    Settle,
    Ingest,
    /// The Sentinel set-up's watchlist or analytics rule (after the onboarding).
    Content(Command),
}

impl SetupMove {
    pub fn command(&self, cx: &Context) -> Command {
        match self {
            SetupMove::SignIn => Command::SignIn {
                who: crate::engine::world::USER_UPN.into(),
            },
            SetupMove::Card(c) => send(*c, cx),
            SetupMove::Settle => Command::RunToNextEvent,
            SetupMove::Ingest => ingest(cx, "before", SETUP_ROWS),
            SetupMove::Content(c) => c.clone(),
        }
    }
}

/// The walkthrough's five steps, then [`SETUP_ROWS`] rows: the next move, or None when done.
pub fn setup_move(cx: &Context) -> Option<SetupMove> {
    let s = cx.settings;
    let card = |c| Some(SetupMove::Card(c));
    let me = &cx.snap.session.signed_in.object_id;
    if !me.is_empty() && me != crate::engine::world::USER_OBJECT_ID {
        return Some(SetupMove::SignIn);
    }
    if !cx
        .snap
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&s.group))
    {
        return card(Card::Group);
    }
    if cx.vault().is_none() {
        return card(Card::Vault);
    }
    if key_versions(cx).is_empty() {
        return card(Card::Key);
    }
    let Some(c) = cluster(cx) else {
        return card(Card::Cluster);
    };
    if busy(cx) {
        return Some(SetupMove::Settle);
    }
    if !wt::status(3, cx).is_done() {
        return card(Card::Grant);
    }
    if c.key.is_none() {
        return card(Card::KeyIdentifier);
    }
    match workspace(cx) {
        None => return card(Card::Workspace),
        Some(w) if w.link_state == "Unlinked" => return card(Card::Link),
        Some(_) => {}
    }
    let has_data =
        workspace(cx).is_some_and(|w| w.tables.iter().any(|(t, _)| *t == format!("{TABLE}_CL")));
    (!has_data).then_some(SetupMove::Ingest)
}

fn setup_step(cx: &Context) -> Option<Command> {
    setup_move(cx).map(|m| m.command(cx))
}

/// Whether a cluster operation or a workspace link is still running.
fn busy(cx: &Context) -> bool {
    cx.snap.clusters.iter().any(|c| c.operation.is_some())
        || cx
            .snap
            .workspaces
            .iter()
            .any(|w| w.link_state == "Linking" || w.link_state == "Unlinking")
}

// ---- Microsoft Sentinel ----------------------------------------------------------------------------

/// The watchlist and the analytics rule the Sentinel set-up adds.
pub const WATCHLIST: &str = "vips";
pub const RULE_ID: &str = "drill-probe";
pub const RULE_NAME: &str = "Drill probe seen";

/// The rule's query: the probe rows, so each probe ingestion raises an incident.
pub fn rule_query() -> String {
    format!("{TABLE}_CL | where Stage_s == 'probe'")
}

/// The next command that onboards the workspace to Sentinel with CMK and gives it a watchlist and
/// a rule, or `None` when that is done. The requests are the Sentinel walkthrough's own.
/// After [`setup_move`]: the Sentinel walkthrough's requests, then a watchlist and a rule.
pub fn sentinel_setup_move(cx: &Context) -> Option<SetupMove> {
    let providers = [
        (sw::COSMOS_DB_NAMESPACE, SCard::RegisterCosmosDb),
        (sw::SENTINEL_NAMESPACE, SCard::RegisterSentinel),
    ];
    for (ns, card) in providers {
        if !matches!(sw::provider_state(cx, ns), "Registered" | "Registering") {
            return Some(SetupMove::Card(Card::Sentinel(card)));
        }
    }
    if providers
        .iter()
        .any(|(ns, _)| sw::provider_state(cx, ns) == "Registering")
    {
        return Some(SetupMove::Settle);
    }
    if sw::cosmos_missing(cx).is_none_or(|m| !m.is_empty()) {
        return Some(SetupMove::Card(Card::Sentinel(SCard::GrantCosmosDb)));
    }
    let Some(s) = sw::sentinel(cx) else {
        return Some(SetupMove::Card(Card::Sentinel(SCard::Onboard)));
    };
    if s.watchlists.is_empty() {
        return Some(SetupMove::Content(command(sw::watchlist_draft(
            cx, WATCHLIST,
        ))));
    }
    if s.rules.is_empty() {
        return Some(SetupMove::Content(command(sw::rule_draft(
            cx,
            RULE_ID,
            RULE_NAME,
            &rule_query(),
        ))));
    }
    None
}

/// After [`setup_move`]: the Customer Lockbox walkthrough's cards in order (opt in, the engineer
/// asks, approve, the eight hours, an undecided request left to expire), or `None` when done.
pub fn lockbox_setup_move(cx: &Context) -> Option<SetupMove> {
    let card = |c| Some(SetupMove::Card(Card::Lockbox(c)));
    if !cx.snap.lockbox.opted_in {
        return card(LCard::OptIn);
    }
    let has = |st: &str| lw::latest(cx, st).is_some();
    let pending = has("Pending");
    if !has("Approved") && !has("Completed") {
        return card(if pending { LCard::Approve } else { LCard::Ask });
    }
    if !has("Completed") {
        return card(LCard::WaitAccess);
    }
    if !has("Expired") {
        return card(if pending {
            LCard::WaitExpiry
        } else {
            LCard::AskAgain
        });
    }
    None
}

fn sentinel_setup_step(cx: &Context) -> Option<Command> {
    sentinel_setup_move(cx).map(|m| m.command(cx))
}

/// After [`setup_move`]: the saved queries and alerts walkthrough's requests, in its order, or
/// `None` when its world is there.
pub fn byos_setup_move(cx: &Context) -> Option<SetupMove> {
    let card = |c| Some(SetupMove::Card(Card::Byos(c)));
    if bw::identity(cx).is_none() {
        return card(BCard::Identity);
    }
    if !bw::key_exists(cx) {
        return card(BCard::Key);
    }
    if bw::identity_missing(cx).is_none_or(|m| !m.is_empty()) {
        return card(BCard::Grant);
    }
    if bw::account(cx).is_none() {
        return card(BCard::StorageAccount);
    }
    let w = workspace(cx)?;
    for (kind, c) in [("Query", BCard::LinkQuery), ("Alerts", BCard::LinkAlerts)] {
        if !bw::linked(w, kind).iter().any(|a| a == bw::ACCOUNT) {
            return card(c);
        }
    }
    if bw::saved_search(cx).is_none() {
        return card(BCard::SavedSearch);
    }
    if bw::rule(cx).is_none() {
        return card(BCard::AlertRule);
    }
    None
}

// ---- the driver --------------------------------------------------------------------------------

/// What to do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Send this to the engine and report the reply with [`Driver::record`].
    Send(Command),
    /// The stage is over; its checks are in [`Driver::runs`].
    StageDone,
    /// The stage could not finish (a set-up that does not converge, an unexpected refusal).
    Stuck(String),
}

/// Runs one stage of a drill at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Driver {
    pub drill: DrillId,
    /// The stage running or about to run.
    pub stage: usize,
    op: usize,
    sent: usize,
    started: Option<u64>,
    pending: Option<String>,
    responses: Vec<(String, Response)>,
    pub runs: Vec<StageRun>,
    /// Checks of each finished stage.
    pub checks: Vec<Vec<Check>>,
}

impl Driver {
    pub fn new(drill: DrillId) -> Driver {
        Driver {
            drill,
            stage: 0,
            op: 0,
            sent: 0,
            started: None,
            pending: None,
            responses: Vec::new(),
            runs: Vec::new(),
            checks: Vec::new(),
        }
    }

    pub fn spec(&self) -> &'static Drill {
        drill(self.drill)
    }

    pub fn finished(&self) -> bool {
        self.stage >= self.spec().stages.len()
    }

    /// The settings the drill provisions with.
    pub fn settings(&self) -> Settings {
        Settings {
            pin_version: self.spec().pin_version,
            ..Settings::default()
        }
    }

    /// The next command of the current stage, given the state now.
    pub fn next(&mut self, snap: &Snapshot) -> Next {
        let settings = self.settings();
        let cx = Context {
            snap,
            settings: &settings,
        };
        let Some(stage) = self.spec().stages.get(self.stage) else {
            return Next::Stuck("the drill is over".into());
        };
        self.started.get_or_insert(snap.now);
        loop {
            let Some(op) = stage.ops.get(self.op) else {
                return self.finish(&cx);
            };
            if self.sent >= MAX_STEPS {
                return Next::Stuck(format!(
                    "“{}” did not finish after {MAX_STEPS} commands",
                    stage.title
                ));
            }
            let cmd = match op {
                Op::Setup if self.sent == 0 => Some(Command::Reset { seed: None }),
                Op::Setup => setup_step(&cx),
                Op::Settle => busy(&cx).then_some(Command::RunToNextEvent),
                Op::SentinelSetup => sentinel_setup_step(&cx),
                Op::ByosSetup => byos_setup_move(&cx).map(|m| m.command(&cx)),
                Op::Send(label, f) => {
                    self.pending = Some(label.to_string());
                    self.op += 1;
                    return Next::Send(f(&cx, &self.runs));
                }
            };
            match cmd {
                Some(c) => {
                    self.sent += 1;
                    return Next::Send(c);
                }
                None => {
                    self.op += 1;
                    self.sent = 0;
                }
            }
        }
    }

    /// Whether the current stage has not sent anything yet (the page marks where it began).
    pub fn at_stage_start(&self) -> bool {
        self.op == 0 && self.sent == 0 && self.started.is_none() && !self.finished()
    }

    /// The driver as it was when stage `k` began: the stages before it and their checks kept,
    /// the rest to run again (after the world was rewound to that point).
    pub fn restarted_at(&self, k: usize) -> Driver {
        let mut d = self.clone();
        d.stage = k.min(self.runs.len());
        d.op = 0;
        d.sent = 0;
        d.started = None;
        d.pending = None;
        d.responses.clear();
        d.runs.truncate(d.stage);
        d.checks.truncate(d.stage);
        d
    }

    /// Files the reply to the command [`Driver::next`] returned.
    pub fn record(&mut self, reply: &Reply) {
        if let (Some(label), Some(r)) = (self.pending.take(), &reply.response) {
            self.responses.push((label, r.clone()));
        }
    }

    fn finish(&mut self, cx: &Context) -> Next {
        let stage = &self.spec().stages[self.stage];
        self.runs.push(StageRun {
            started: self.started.take().unwrap_or(cx.snap.now),
            ended: cx.snap.now,
            responses: std::mem::take(&mut self.responses),
            facts: facts(cx),
        });
        self.checks.push((stage.check)(cx, &self.runs));
        self.stage += 1;
        self.op = 0;
        self.sent = 0;
        Next::StageDone
    }

    /// Whether every check so far held.
    pub fn passed(&self) -> bool {
        self.checks.iter().flatten().all(|c| c.ok)
    }
}

/// The commands a stage would send now, for the page to show before the user runs it (set-up
/// stages and later commands depend on earlier replies, so this is a preview).
pub fn preview(id: DrillId, stage: usize, snap: &Snapshot, runs: &[StageRun]) -> Vec<String> {
    let d = drill(id);
    let settings = Settings {
        pin_version: d.pin_version,
        ..Settings::default()
    };
    let cx = Context {
        snap,
        settings: &settings,
    };
    let Some(s) = d.stages.get(stage) else {
        return Vec::new();
    };
    s.ops
        .iter()
        .map(|op| match op {
            Op::Setup => {
                "Start over, then the walkthrough's five steps and 20 rows of DrillProbe_CL".into()
            }
            Op::Settle => "Run the clock until the cluster operation finishes".into(),
            Op::SentinelSetup => format!(
                "Then the Sentinel walkthrough: register {} and {}, grant Azure Cosmos DB, onboard with customerManagedKey true; a watchlist and a scheduled analytics rule",
                sw::COSMOS_DB_NAMESPACE,
                sw::SENTINEL_NAMESPACE
            ),
            Op::ByosSetup => format!(
                "Then the saved queries and alerts walkthrough: identity {}, key {} granted to it, storage account {} under that key, linked for Query and Alerts; a saved search and a log search alert rule",
                bw::IDENTITY,
                bw::KEY,
                bw::ACCOUNT
            ),
            Op::Send(_, f) => describe(&f(&cx, runs)),
        })
        .collect()
}

pub fn describe(cmd: &Command) -> String {
    match cmd {
        Command::Request { method, url, .. } => {
            let path = url.split('?').next().unwrap_or(url);
            format!("{method} {path}")
        }
        Command::Advance { seconds } => format!("Fast-forward {}", clock::duration(*seconds)),
        other => other.label(),
    }
}

// ---- levers: the same requests, one click each, outside a drill ----------------------------------

/// A change a user can make with one click, as the REST request it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lever {
    DisableInUse,
    EnableInUse,
    Rotate,
    RotationPolicy,
    DeleteKey,
    RecoverKey,
    PurgeKey,
    RemoveAccess,
    RestoreAccess,
    IdentityNone,
}

impl Lever {
    pub fn all() -> [Lever; 10] {
        [
            Lever::DisableInUse,
            Lever::EnableInUse,
            Lever::Rotate,
            Lever::RotationPolicy,
            Lever::DeleteKey,
            Lever::RecoverKey,
            Lever::PurgeKey,
            Lever::RemoveAccess,
            Lever::RestoreAccess,
            Lever::IdentityNone,
        ]
    }

    pub fn label(self) -> &'static str {
        match self {
            Lever::DisableInUse => "Disable the key version in use",
            Lever::EnableInUse => "Enable it again",
            Lever::Rotate => "Rotate the key (new version)",
            Lever::RotationPolicy => "Set a rotation policy (every 30 days)",
            Lever::DeleteKey => "Delete the key",
            Lever::RecoverKey => "Recover the deleted key",
            Lever::PurgeKey => "Purge the deleted key",
            Lever::RemoveAccess => "Remove the cluster's access policy",
            Lever::RestoreAccess => "Restore the cluster's access policy",
            Lever::IdentityNone => "Set the cluster's identity to None",
        }
    }

    /// What the seed says happens (shown next to the button).
    pub fn effect(self) -> &'static str {
        match self {
            Lever::DisableInUse => "Revokes access: storage honours it within an hour.",
            Lever::EnableInUse => "Restores access: service resumes within 30 minutes.",
            Lever::Rotate => "Auto-rotation rewraps the AEK; a pinned version keeps the old one.",
            Lever::RotationPolicy => {
                "Key Vault creates a new version 30 days after the current one."
            }
            Lever::DeleteKey => "Revokes access; the key stays recoverable during retention.",
            Lever::RecoverKey => "Restores access: service resumes within 30 minutes.",
            Lever::PurgeKey => {
                "Refused with purge protection; otherwise the data is lost for good."
            }
            Lever::RemoveAccess => "Revokes access: storage honours it within an hour.",
            Lever::RestoreAccess => "Restores access: service resumes within 30 minutes.",
            Lever::IdentityNone => {
                "Revokes access for good: can't be reverted without contacting support."
            }
        }
    }

    /// The request, or why it can't be built yet.
    pub fn command(self, cx: &Context) -> Result<Command, String> {
        let in_use = || {
            cluster(cx)
                .and_then(|c| c.key_version_in_use.clone())
                .ok_or_else(|| "The cluster has no key identifier yet.".to_string())
        };
        let key_url = |suffix: &str| {
            format!(
                "{}/keys/{}{suffix}?api-version=7.4",
                cx.vault_uri(),
                cx.settings.key
            )
        };
        let deleted_url = |suffix: &str| {
            format!(
                "{}/deletedkeys/{}{suffix}?api-version=7.4",
                cx.vault_uri(),
                cx.settings.key
            )
        };
        if cx.vault().is_none() {
            return Err(format!("There is no vault {} yet.", cx.settings.vault));
        }
        let arm = |suffix: &str| {
            format!(
                "https://management.azure.com{}{suffix}?api-version=2023-07-01",
                cx.vault_path()
            )
        };
        let policy = |kind: &str| -> Result<Command, String> {
            let principal = cluster(cx)
                .and_then(|c| c.principal_id.clone())
                .ok_or_else(|| "The cluster has no identity.".to_string())?;
            let body = json!({ "properties": { "accessPolicies": [{
                "tenantId": cx.snap.tenant_id,
                "objectId": principal,
                "permissions": { "keys": ["get", "wrapKey", "unwrapKey"] }
            }]}});
            Ok(Command::request(
                "PUT",
                &arm(&format!("/accessPolicies/{kind}")),
                Some(&body.to_string()),
            ))
        };
        Ok(match self {
            Lever::DisableInUse => set_enabled(cx, &in_use()?, false),
            Lever::EnableInUse => set_enabled(cx, &in_use()?, true),
            Lever::Rotate => Command::request("POST", &key_url("/rotate"), None),
            Lever::RotationPolicy => Command::request(
                "PUT",
                &key_url("/rotationpolicy"),
                Some(
                    &json!({
                        "lifetimeActions": [
                            { "trigger": { "timeAfterCreate": "P30D" }, "action": { "type": "Rotate" } },
                            { "trigger": { "timeBeforeExpiry": "P30D" }, "action": { "type": "Notify" } }
                        ],
                        "attributes": { "expiryTime": "P90D" }
                    })
                    .to_string(),
                ),
            ),
            Lever::DeleteKey => Command::request("DELETE", &key_url(""), None),
            Lever::RecoverKey => Command::request("POST", &deleted_url("/recover"), None),
            Lever::PurgeKey => Command::request("DELETE", &deleted_url(""), None),
            Lever::RemoveAccess => policy("remove")?,
            Lever::RestoreAccess => policy("add")?,
            Lever::IdentityNone => {
                cluster(cx).ok_or_else(|| "There is no cluster yet.".to_string())?;
                cluster_patch(cx, json!({ "identity": { "type": "None" } }))
            }
        })
    }
}

// ---- the drills ----------------------------------------------------------------------------------

pub fn drill(id: DrillId) -> &'static Drill {
    DRILLS
        .iter()
        .find(|d| d.id == id)
        .expect("every drill is listed")
}

fn setup_checks(cx: &Context, _: &[StageRun]) -> Vec<Check> {
    let c = cluster(cx);
    let a = account(cx);
    vec![
        check(
            "The cluster is provisioned with the key identifier set",
            c.is_some_and(|c| c.provisioning_state == "Succeeded" && c.key.is_some()),
            c.map(|c| format!("cluster {} is {}", c.name, c.provisioning_state))
                .unwrap_or_else(|| "no cluster".into()),
        ),
        check(
            "Its storage's AEK is wrapped by your key",
            a.is_some_and(|a| a.protection == "CMK"),
            a.map(|a| format!("account {} is protected by {}", a.name, a.protection))
                .unwrap_or_else(|| "no storage account".into()),
        ),
        check(
            format!("The workspace is linked and holds {SETUP_ROWS} rows"),
            workspace(cx).is_some_and(|w| {
                w.link_state == "Linked"
                    && w.tables
                        .iter()
                        .any(|(t, n)| *t == format!("{TABLE}_CL") && *n == SETUP_ROWS)
            }),
            workspace(cx)
                .map(|w| format!("workspace {} is {}", w.name, w.link_state))
                .unwrap_or_else(|| "no workspace".into()),
        ),
    ]
}

const SETUP: Stage = Stage {
    title: "Set up: a fully provisioned cluster with data",
    explain: prose!(
        "Starts over with an empty world and runs the walkthrough's five steps (vault and key, cluster, permissions, key identifier, linked workspace), then ingests 20 rows into DrillProbe_CL. Cluster provisioning takes about two hours of virtual time."
    ),
    ops: &[Op::Setup],
    check: setup_checks,
};

/// Checks that hold while storage is revoked, after a probe ingestion and query; `lever` is the
/// stage that pulled the lever.
fn revoked_checks(cx: &Context, runs: &[StageRun], lever: usize) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let pulled = runs[lever].started;
    let refused = cx
        .snap
        .timeline
        .iter()
        .find(|e| e.time >= pulled && e.text.starts_with("Key Vault refused storage account"))
        .map(|e| e.time);
    let revoked_at = cx
        .snap
        .timeline
        .iter()
        .rev()
        .find(|e| e.alert && e.text.contains("is unavailable: new data"))
        .map(|e| e.time);
    let q = run.response("query");
    let before = runs[lever].facts.dropped_rows;
    let dropped = workspace(cx).map(|w| w.dropped_rows).unwrap_or(0);
    vec![
        check(
            "Within an hour or sooner, storage becomes unavailable",
            access(cx) == "revoked"
                && revoked_at.is_some_and(|t| t >= pulled && t - pulled <= HOUR),
            format!(
                "access is {}; Key Vault first refused {} after the change; revoked {} after it",
                access(cx),
                elapsed(pulled, refused),
                elapsed(pulled, revoked_at)
            ),
        ),
        check(
            "New data sent to the linked workspace is dropped and won't be recoverable",
            run.response("ingest").is_some_and(|r| r.status == 200)
                && dropped >= before + PROBE_ROWS,
            format!(
                "the Data Collector API answered {}; {} rows dropped so far",
                status_of(run.response("ingest")),
                dropped
            ),
        ),
        check(
            "Queries on the workspace fail",
            q.is_some_and(|r| r.status == 403),
            format!("the query answered {}", status_of(q)),
        ),
        check(
            "The hot cache (last 14 days, on SSD) is deleted",
            cluster_hot_blocks(cx) == 0,
            format!(
                "{} blocks in the cluster's hot cache",
                cluster_hot_blocks(cx)
            ),
        ),
        check(
            "Previously ingested data remains in storage",
            cx.snap.storage.total_blocks >= runs[0].facts.blocks,
            format!(
                "{} blocks stored (set-up wrote {})",
                cx.snap.storage.total_blocks, runs[0].facts.blocks
            ),
        ),
    ]
}

/// Checks after access came back and 30 minutes passed.
fn resumed_checks(cx: &Context, runs: &[StageRun], restore: usize, expect: u64) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let restored = runs[restore].started;
    let back = cx
        .snap
        .timeline
        .iter()
        .rev()
        .find(|e| {
            e.text
                .contains("available again: ingestion and queries resumed")
        })
        .map(|e| e.time);
    let n = count_of(run.response("query"));
    vec![
        check(
            "Once Key Vault answers, ingestion and queries resume within 30 minutes",
            access(cx) == "accessible"
                && back.is_some_and(|t| t >= restored && t - restored <= 30 * MINUTE),
            format!(
                "access is {}; resumed {} after the restore",
                access(cx),
                elapsed(restored, back)
            ),
        ),
        check(
            "Data dropped meanwhile stays lost; everything else is readable",
            n == Some(expect),
            format!(
                "the query counted {} rows (expected {expect})",
                n.map(|n| n.to_string())
                    .unwrap_or_else(|| status_of(run.response("query")))
            ),
        ),
    ]
}

fn accessible_checks(cx: &Context, runs: &[StageRun], expect: u64, what: &str) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let n = count_of(run.response("query"));
    vec![
        check(
            format!("{what}: storage stays accessible"),
            access(cx) == "accessible",
            format!("access is {}", access(cx)),
        ),
        check(
            "All the data remains readable",
            n == Some(expect),
            format!(
                "the query counted {} rows (expected {expect})",
                n.map(|n| n.to_string())
                    .unwrap_or_else(|| status_of(run.response("query")))
            ),
        ),
    ]
}

fn ok_status(run: &StageRun, label: &str, status: u16, promise: &str) -> Check {
    let r = run.response(label);
    check(
        promise,
        r.is_some_and(|r| r.status == status),
        format!(
            "answered {}{}",
            status_of(r),
            r.and_then(|r| r.body["error"]["message"]
                .as_str()
                .map(|m| format!(": {m}")))
                .unwrap_or_default()
        ),
    )
}

// Revoke and recover.

fn disable_in_use(cx: &Context, runs: &[StageRun]) -> Command {
    set_enabled(cx, &setup_version(runs), false)
}

fn enable_in_use(cx: &Context, runs: &[StageRun]) -> Command {
    set_enabled(cx, &setup_version(runs), true)
}

/// A lever's request was accepted, and (as the seed says) the holder's access has not changed yet:
/// still not revoked after a revocation, still revoked after a restore (`revoked`).
fn lever_accepted(
    runs: &[StageRun],
    promise: &str,
    holder: &str,
    access: &str,
    revoked: bool,
) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    vec![
        ok_status(run, "lever", 200, "Key Vault accepts the change"),
        check(
            promise,
            (access == "revoked") == revoked,
            format!("{holder} is {access}"),
        ),
    ]
}

fn lever_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    lever_accepted(
        runs,
        "Storage keeps serving from its cached AEK for now",
        "access",
        &access(cx),
        false,
    )
}

fn restore_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    lever_accepted(
        runs,
        "Access does not come back at once: storage finds out at its next check",
        "access",
        &access(cx),
        true,
    )
}

static REVOKE_RECOVER: [Stage; 5] = [
    SETUP,
    Stage {
        title: "Revoke: disable the key version in use",
        explain: prose!(
            "The recommended way to revoke access: disable your key (or delete the access policy) in Key Vault. Watch the cluster badge: storage keeps using its cached AEK until it honours the change."
        ),
        ops: &[Op::Send("lever", disable_in_use)],
        check: lever_checks,
    },
    Stage {
        title: "Fast-forward one hour, then try to ingest and query",
        explain: prose!(
            "Storage checks Key Vault every 6–60 seconds; the revocation takes effect within an hour. Then 5 rows are sent and a count query runs."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| revoked_checks(cx, runs, 1),
    },
    Stage {
        title: "Restore: enable the key version again",
        explain: prose!(
            "Access is restored in Key Vault. Storage only notices at its next periodic check."
        ),
        ops: &[Op::Send("lever", enable_in_use)],
        check: restore_checks,
    },
    Stage {
        title: "Fast-forward 30 minutes, then ingest and query",
        explain: prose!(
            "Once storage unwraps its AEK again, ingestion and queries resume within 30 minutes. The 5 rows sent while revoked were dropped for good."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(30 * MINUTE)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| resumed_checks(cx, runs, 3, SETUP_ROWS + PROBE_ROWS),
    },
];

// Rotation with the automatic version.

fn rotated_checks(_cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let new = run.facts.latest_version.clone().unwrap_or_default();
    vec![
        ok_status(run, "rotate", 200, "Key Vault creates a new key version"),
        check(
            "The new version differs from the one storage uses",
            !new.is_empty() && new != setup_version(runs),
            format!(
                "latest {}, in use {}",
                short(&new),
                short(&setup_version(runs))
            ),
        ),
    ]
}

fn auto_rewrap_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let setup = &runs[0].facts;
    let latest = run.facts.latest_version.clone().unwrap_or_default();
    let rotated_at = runs[1].started;
    let wrap = cx.snap.audit.iter().find(|a| {
        a.operation == "KeyWrap"
            && a.status == 200
            && a.version.as_deref() == Some(latest.as_str())
            && a.time >= rotated_at
    });
    let old_blocks = cx
        .snap
        .storage
        .blocks
        .iter()
        .filter(|b| b.key_version.as_deref() == Some(setup_version(runs).as_str()))
        .count();
    let mut out = vec![
        check(
            "Storage automatically uses the latest version, within an hour (Sentinel)",
            run.facts.version_in_use.as_deref() == Some(latest.as_str())
                && wrap.is_some_and(|w| w.time - rotated_at <= HOUR),
            format!(
                "storage uses {}; the AEK was rewrapped {} after the rotation",
                short(run.facts.version_in_use.as_deref().unwrap_or("")),
                elapsed(rotated_at, wrap.map(|w| w.time))
            ),
        ),
        check(
            "Only the AEK is rewrapped: same AEK, blocks not re-encrypted",
            run.facts.aek_id == setup.aek_id && old_blocks > 0 && run.facts.blocks == setup.blocks,
            format!(
                "AEK {} (was {}); {old_blocks} blocks still written under the old version",
                short(run.facts.aek_id.as_deref().unwrap_or("")),
                short(setup.aek_id.as_deref().unwrap_or(""))
            ),
        ),
    ];
    out.extend(
        accessible_checks(cx, runs, SETUP_ROWS, "After rotation")
            .into_iter()
            .skip(1),
    );
    out
}

fn last_use(cx: &Context, version: &str) -> Option<u64> {
    cx.vault()?
        .keys
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(&cx.settings.key))?
        .versions
        .iter()
        .find(|v| v.version == version)?
        .last_use
}

fn disable_previous(cx: &Context, runs: &[StageRun]) -> Command {
    set_enabled(cx, &setup_version(runs), false)
}

fn audit_then_disable_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let old = setup_version(runs);
    let rewrapped = runs[2].ended;
    let used = last_use(cx, &old);
    vec![
        check(
            "After 24 hours the audit log shows no more use of the previous version",
            used.is_some_and(|t| t <= rewrapped) && run.started >= rewrapped,
            format!(
                "previous version last used {}",
                used.map(clock::human).unwrap_or_else(|| "never".into())
            ),
        ),
        ok_status(run, "lever", 200, "The previous version is disabled"),
    ]
}

static AUTO_ROTATION: [Stage; 5] = [
    SETUP,
    Stage {
        title: "Rotate the key in Key Vault",
        explain: prose!(
            "A new key version, as a rotation policy or `az keyvault key rotate` would create. The cluster's key identifier has an empty keyVersion: auto-rotation."
        ),
        ops: &[Op::Send("rotate", rotate)],
        check: rotated_checks,
    },
    Stage {
        title: "Fast-forward one hour, then query",
        explain: prose!(
            "At its next Key Vault check, storage rewraps its AEK with the new version. Watch the wrap edge move in the key hierarchy."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("query", count_query),
        ],
        check: auto_rewrap_checks,
    },
    Stage {
        title: "Wait 24 hours, check the audit log, disable the previous version",
        explain: prose!(
            "Sentinel's guidance: disable the previous version after 24 hours, or once the Key Vault audit log shows no more activity with it."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(DAY)),
            Op::Send("lever", disable_previous),
        ],
        check: audit_then_disable_checks,
    },
    Stage {
        title: "Fast-forward one hour, then ingest and query",
        explain: prose!("Disabling a version nobody uses revokes nothing."),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| {
            accessible_checks(
                cx,
                runs,
                SETUP_ROWS + PROBE_ROWS,
                "With the previous version disabled",
            )
        },
    },
];

// Rotation with a pinned version, forgetting to update the cluster.

fn pinned_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let mut out = vec![check(
        "Without a cluster update, storage keeps using the previous version",
        run.facts.version_in_use.as_deref() == Some(setup_version(runs).as_str())
            && run.facts.latest_version != run.facts.version_in_use,
        format!(
            "storage uses {}; the latest is {}",
            short(run.facts.version_in_use.as_deref().unwrap_or("")),
            short(run.facts.latest_version.as_deref().unwrap_or(""))
        ),
    )];
    out.extend(accessible_checks(cx, runs, SETUP_ROWS, "After rotation"));
    out
}

fn update_cluster_to_latest(cx: &Context, runs: &[StageRun]) -> Command {
    let latest = runs
        .last()
        .and_then(|r| r.facts.latest_version.clone())
        .unwrap_or_default();
    cluster_patch(
        cx,
        json!({ "properties": { "keyVaultProperties": {
            "keyVaultUri": cx.vault_uri(),
            "keyName": cx.settings.key,
            "keyVersion": latest,
        }}}),
    )
}

fn fixed_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let latest = run.facts.latest_version.clone().unwrap_or_default();
    let mut out = vec![
        ok_status(
            run,
            "update",
            202,
            "The cluster accepts the new key version",
        ),
        check(
            "Storage rewraps its AEK with the new version",
            run.facts.version_in_use.as_deref() == Some(latest.as_str()),
            format!(
                "storage uses {}",
                short(run.facts.version_in_use.as_deref().unwrap_or(""))
            ),
        ),
    ];
    out.extend(resumed_checks(cx, runs, 5, SETUP_ROWS));
    out.push(check(
        "Only the AEK is rewrapped: the same AEK as before",
        run.facts.aek_id == runs[0].facts.aek_id,
        format!(
            "AEK {} (was {})",
            short(run.facts.aek_id.as_deref().unwrap_or("")),
            short(runs[0].facts.aek_id.as_deref().unwrap_or(""))
        ),
    ));
    out
}

static PINNED_FORGET: [Stage; 7] = [
    SETUP,
    Stage {
        title: "Rotate the key in Key Vault",
        explain: prose!(
            "The cluster's key identifier pins a version this time (explicit key version update)."
        ),
        ops: &[Op::Send("rotate", rotate)],
        check: rotated_checks,
    },
    Stage {
        title: "Fast-forward one hour, then query",
        explain: prose!("Nothing changes for the cluster: it was not told about the new version."),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("query", count_query),
        ],
        check: pinned_checks,
    },
    Stage {
        title: "Disable the old version, forgetting the cluster update",
        explain: prose!(
            "The mistake the seed warns about: the cluster still uses the old version."
        ),
        ops: &[Op::Send("lever", disable_previous)],
        check: lever_checks,
    },
    Stage {
        title: "Fast-forward one hour, then try to ingest and query",
        explain: prose!("Storage's next checks are refused: the key revocation state."),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| revoked_checks(cx, runs, 3),
    },
    Stage {
        title: "Recover: enable the old version, then update the cluster to the new one",
        explain: prose!(
            "The AEK is wrapped by the old version, so that version must work again first. Once service has resumed, the cluster update rewraps the AEK with the new version."
        ),
        ops: &[
            Op::Send("lever", |cx, runs| {
                set_enabled(cx, &setup_version(runs), true)
            }),
            Op::Send("advance", |_, _| advance(30 * MINUTE)),
            Op::Send("update", update_cluster_to_latest),
            Op::Settle,
            Op::Send("query", count_query),
        ],
        check: fixed_checks,
    },
    Stage {
        title: "Now disable the old version, safely",
        explain: prose!("With the cluster on the new version, the old one can go."),
        ops: &[
            Op::Send("lever", disable_previous),
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| accessible_checks(cx, runs, SETUP_ROWS, "With the old version disabled"),
    },
];

// Key Vault outage.

fn vault_name(cx: &Context) -> String {
    cx.settings.vault.clone()
}

fn outage_on_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    vec![
        ok_status(
            run,
            "get",
            503,
            "Calls to Key Vault fail while it is unreachable",
        ),
        check(
            "The vault shows the simulated trouble",
            cx.vault().is_some_and(|v| v.outage.is_some()),
            cx.vault()
                .and_then(|v| v.outage.clone())
                .unwrap_or_else(|| "healthy".into()),
        ),
    ]
}

fn during_outage_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let from = runs[1].started;
    let principal = cluster(cx)
        .and_then(|c| c.principal_id.clone())
        .unwrap_or_default();
    let calls = cx
        .snap
        .audit
        .iter()
        .filter(|a| a.caller_object_id == principal && a.time >= from && a.time <= run.ended)
        .count();
    let n = count_of(run.response("query"));
    vec![
        check(
            "The cached AEK carries ingestion and queries without interruption",
            access(cx) == "accessible"
                && cluster(cx).is_some_and(|c| c.access.transient)
                && n == Some(SETUP_ROWS + PROBE_ROWS),
            format!(
                "access is {}{}; the query counted {}",
                access(cx),
                if cluster(cx).is_some_and(|c| c.access.transient) {
                    " (riding out the outage)"
                } else {
                    ""
                },
                n.map(|n| n.to_string())
                    .unwrap_or_else(|| status_of(run.response("query")))
            ),
        ),
        check(
            "No data is dropped",
            workspace(cx).is_some_and(|w| w.dropped_rows == 0),
            format!(
                "{} rows dropped",
                workspace(cx).map(|w| w.dropped_rows).unwrap_or(0)
            ),
        ),
        check(
            "Storage's calls never reached the vault (nothing in its audit log)",
            calls == 0,
            format!("{calls} audit entries from the cluster's identity during the outage"),
        ),
    ]
}

fn outage_off_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let principal = cluster(cx)
        .and_then(|c| c.principal_id.clone())
        .unwrap_or_default();
    let back = cx
        .snap
        .audit
        .iter()
        .any(|a| a.caller_object_id == principal && a.time >= run.started && a.status == 200);
    vec![check(
        "Storage reaches Key Vault again at its next check",
        access(cx) == "accessible" && !cluster(cx).is_some_and(|c| c.access.transient) && back,
        format!(
            "access is {}; storage's unwrapKey calls {} in the audit log",
            access(cx),
            if back { "are back" } else { "are missing" }
        ),
    )]
}

static OUTAGE: [Stage; 4] = [
    SETUP,
    Stage {
        title: "Take Key Vault down (DNS failure)",
        explain: prose!(
            "Simulates a transient availability issue: name resolution fails for the vault. Your own calls to the vault fail too."
        ),
        ops: &[
            Op::Send("outage", |cx, _| Command::KeyVaultOutage {
                vault: vault_name(cx),
                outage: Some(Outage::Dns),
            }),
            Op::Send("get", |cx, _| {
                Command::request(
                    "GET",
                    &format!(
                        "{}/keys/{}?api-version=7.4",
                        cx.vault_uri(),
                        cx.settings.key
                    ),
                    None,
                )
            }),
        ],
        check: outage_on_checks,
    },
    Stage {
        title: "Fast-forward six hours, then ingest and query",
        explain: prose!(
            "Storage keeps its AEK in cache for the duration of the availability issue."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(6 * HOUR)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: during_outage_checks,
    },
    Stage {
        title: "Bring Key Vault back",
        explain: prose!("The outage ends; storage's periodic unwrap calls reach the vault again."),
        ops: &[
            Op::Send("outage", |cx, _| Command::KeyVaultOutage {
                vault: vault_name(cx),
                outage: None,
            }),
            Op::Send("advance", |_, _| advance(5 * MINUTE)),
        ],
        check: outage_off_checks,
    },
];

// Identity set to None.

fn identity_none_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    vec![
        ok_status(run, "lever", 202, "The cluster accepts the identity change"),
        check(
            "The cluster's identity type is None",
            cluster(cx).is_some_and(|c| c.identity_type == "None"),
            cluster(cx)
                .map(|c| format!("identity type {}", c.identity_type))
                .unwrap_or_default(),
        ),
        check(
            "The page warns that this can't be reverted without contacting support",
            cx.snap.timeline.iter().any(|e| {
                e.text
                    .contains("can't be reverted without contacting support")
            }),
            "see the timeline",
        ),
    ]
}

fn irreversible_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let q = run.response("query");
    vec![
        ok_status(
            run,
            "restore",
            400,
            "Setting the identity back is refused: it can't be reverted",
        ),
        check(
            "A day later, the data is still inaccessible",
            access(cx) == "revoked" && q.is_some_and(|r| r.status == 403),
            format!(
                "access is {}; the query answered {}",
                access(cx),
                status_of(q)
            ),
        ),
    ]
}

static IDENTITY_NONE: [Stage; 4] = [
    SETUP,
    Stage {
        title: "Set the cluster's identity type to None",
        explain: prose!(
            "Not recommended: it revokes access to your data and can't be reverted without contacting support (the playground won't revert it either)."
        ),
        ops: &[
            Op::Send("lever", |cx, _| {
                cluster_patch(cx, json!({ "identity": { "type": "None" } }))
            }),
            Op::Settle,
        ],
        check: identity_none_checks,
    },
    Stage {
        title: "Fast-forward one hour, then try to ingest and query",
        explain: prose!("Without an identity, storage can't authenticate to Key Vault at all."),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("ingest", probe_ingest),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| revoked_checks(cx, runs, 1),
    },
    Stage {
        title: "Try to give the cluster a system-assigned identity again",
        explain: prose!("The service refuses; a day later nothing has changed."),
        ops: &[
            Op::Send("restore", |cx, _| {
                cluster_patch(cx, json!({ "identity": { "type": "SystemAssigned" } }))
            }),
            Op::Send("advance", |_, _| advance(DAY)),
            Op::Send("query", count_query),
        ],
        check: irreversible_checks,
    },
];

// Microsoft Sentinel: the set-up, and what the checks look at.

fn store_access(cx: &Context) -> String {
    sw::store(cx)
        .map(|a| a.access.state.clone())
        .unwrap_or_else(|| "missing".into())
}

fn incidents(cx: &Context) -> usize {
    sw::sentinel(cx).map(|s| s.incidents).unwrap_or(0)
}

fn store_name(cx: &Context) -> String {
    sw::sentinel(cx)
        .map(|s| s.store.clone())
        .unwrap_or_default()
}

/// When the store's timeline last said `what` (at or after `from`).
fn store_event(cx: &Context, from: u64, what: &str) -> Option<u64> {
    let store = store_name(cx);
    cx.snap
        .timeline
        .iter()
        .rev()
        .find(|e| e.subject == store && e.time >= from && e.text.contains(what))
        .map(|e| e.time)
}

fn error_code(r: Option<&Response>) -> String {
    r.and_then(|r| r.body["error"]["code"].as_str())
        .unwrap_or("")
        .to_string()
}

/// A response refused with `status` whose message quotes `quote` from the document.
fn quoted_refusal(run: &StageRun, label: &str, status: u16, quote: &str, promise: &str) -> Check {
    let r = run.response(label);
    let message = r
        .and_then(|r| r.body["error"]["message"].as_str())
        .unwrap_or("");
    let quoted = message.contains(quote);
    check(
        promise,
        r.is_some_and(|r| r.status == status) && quoted,
        match (quoted, message.is_empty()) {
            (true, _) => format!("answered {}, quoting: {quote}", status_of(r)),
            (false, true) => format!("answered {}", status_of(r)),
            (false, false) => format!("answered {}: {message}", status_of(r)),
        },
    )
}

/// A new watchlist, named after the stage that writes it.
fn put_watchlist(cx: &Context, runs: &[StageRun]) -> Command {
    command(sw::watchlist_draft(cx, &format!("stage-{}", runs.len())))
}

fn read_watchlist(cx: &Context, _: &[StageRun]) -> Command {
    Command::request(
        "GET",
        &sw::sentinel_url(
            cx,
            &format!("watchlists/{WATCHLIST}"),
            sw::SECURITY_INSIGHTS_API,
        ),
        None,
    )
}

/// Ten minutes: the analytics rule (every five minutes) runs at least once.
fn rule_runs(_: &Context, _: &[StageRun]) -> Command {
    advance(10 * MINUTE)
}

fn sentinel_setup_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let mut out = setup_checks(cx, runs);
    let s = sw::sentinel(cx);
    let a = sw::store(cx);
    let cluster_version = cluster(cx).and_then(|c| c.key_version_in_use.clone());
    out.extend([
        check(
            "The workspace is onboarded to Microsoft Sentinel with customerManagedKey true",
            s.is_some_and(|s| s.cmk),
            s.map(|s| {
                format!(
                    "workspace {} onboarded, customerManagedKey {}",
                    s.workspace, s.cmk
                )
            })
            .unwrap_or_else(|| "not onboarded".into()),
        ),
        check(
            "Sentinel's store is encrypted with the cluster's key, unwrapped by Azure Cosmos DB",
            a.is_some_and(|a| {
                a.protection == "CMK"
                    && a.principal.as_deref() == Some(sw::COSMOS_DB_NAME)
                    && a.key.as_ref().map(|k| &k.key_version) == cluster_version.as_ref()
            }),
            a.map(|a| {
                format!(
                    "store {} protected by {}, version {}, unwrapped by {}",
                    a.name,
                    a.protection,
                    short(a.key.as_ref().map(|k| k.key_version.as_str()).unwrap_or("")),
                    a.principal.as_deref().unwrap_or("nobody")
                )
            })
            .unwrap_or_else(|| "no store".into()),
        ),
        check(
            "A watchlist and a scheduled analytics rule are sealed in the store",
            s.is_some_and(|s| {
                s.watchlists.iter().any(|w| w == WATCHLIST)
                    && s.rules.iter().any(|r| r == RULE_NAME)
            }),
            s.map(|s| {
                format!(
                    "watchlists [{}]; rules [{}]",
                    s.watchlists.join(", "),
                    s.rules.join(", ")
                )
            })
            .unwrap_or_default(),
        ),
    ]);
    out
}

const SENTINEL_SETUP: Stage = Stage {
    title: "Set up: a CMK cluster with a Sentinel-onboarded workspace",
    explain: prose!(
        "Starts over and runs the Azure Monitor walkthrough's five steps with 20 rows of DrillProbe_CL, then the Sentinel walkthrough: registers Microsoft.DocumentDB and Microsoft.SecurityInsights, grants Azure Cosmos DB get, wrapKey and unwrapKey, onboards the workspace with customerManagedKey true, and adds a watchlist and a scheduled analytics rule that raises an incident for every probe."
    ),
    ops: &[Op::Setup, Op::SentinelSetup],
    check: sentinel_setup_checks,
};

// Sentinel: revoke and restore.

fn sentinel_lever_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    lever_accepted(
        runs,
        "Sentinel keeps its cached key for now: the store is not revoked yet",
        "the store",
        &store_access(cx),
        false,
    )
}

fn sentinel_revoked_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let pulled = runs[1].started;
    let revoked = store_event(cx, pulled, "is unavailable: Microsoft Sentinel");
    let before = runs[1].facts.incidents;
    let skipped =
        cx.snap.timeline.iter().any(|e| {
            e.time >= pulled && e.text.contains(RULE_NAME) && e.text.contains("did not run")
        });
    let s = sw::sentinel(cx);
    vec![
        check(
            "Within one hour, Sentinel behaves as if the data is no longer available",
            store_access(cx) == "revoked" && revoked.is_some_and(|t| t - pulled <= HOUR),
            format!(
                "the store is {}; revoked {} after the change",
                store_access(cx),
                elapsed(pulled, revoked)
            ),
        ),
        check(
            "A persistent configuration change is prevented: a watchlist PUT is refused",
            run.response("watchlist").is_some_and(|r| r.status == 403)
                && error_code(run.response("watchlist")) == "CustomerManagedKeyUnavailable",
            format!(
                "the watchlist PUT answered {} {}",
                status_of(run.response("watchlist")),
                error_code(run.response("watchlist"))
            ),
        ),
        check(
            "Incident creation is prevented: the rule does not run, no incident is created",
            incidents(cx) == before && skipped,
            format!(
                "{} incident(s), {before} before; {}",
                incidents(cx),
                if skipped {
                    "the timeline says the rule did not run"
                } else {
                    "the timeline says nothing about the rule"
                }
            ),
        ),
        check(
            "Previously stored data isn't deleted but remains inaccessible",
            s.is_some_and(|s| s.watchlists.iter().any(|w| w == WATCHLIST))
                && run.response("read").is_some_and(|r| r.status == 403),
            format!(
                "watchlists [{}] still in the store; reading {WATCHLIST} answered {}",
                s.map(|s| s.watchlists.join(", ")).unwrap_or_default(),
                status_of(run.response("read"))
            ),
        ),
    ]
}

fn sentinel_restore_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    lever_accepted(
        runs,
        "Access does not come back at once: Sentinel finds out at its store's next check",
        "the store",
        &store_access(cx),
        true,
    )
}

fn sentinel_resumed_checks(cx: &Context, runs: &[StageRun], restore: usize) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let restored = runs[restore].started;
    let back = store_event(cx, restored, "available again: Microsoft Sentinel");
    let before = runs[restore].facts.incidents;
    vec![
        check(
            "If access is restored, Sentinel restores access to the data within an hour",
            store_access(cx) == "accessible" && back.is_some_and(|t| t - restored <= HOUR),
            format!(
                "the store is {}; back {} after the restore",
                store_access(cx),
                elapsed(restored, back)
            ),
        ),
        ok_status(run, "watchlist", 201, "A watchlist PUT is accepted again"),
        ok_status(
            run,
            "read",
            200,
            "The watchlist stored before the revocation is readable again",
        ),
        check(
            "A probe raises an incident again",
            incidents(cx) > before,
            format!("{} incident(s), {before} before", incidents(cx)),
        ),
    ]
}

/// Sentinel after the change: one hour on, a watchlist written, a probe ingested, the rule run.
const SENTINEL_USE: &[Op] = &[
    Op::Send("advance", |_, _| advance(HOUR)),
    Op::Send("watchlist", put_watchlist),
    Op::Send("read", read_watchlist),
    Op::Send("ingest", probe_ingest),
    Op::Send("rule", rule_runs),
];

static SENTINEL_REVOKE: [Stage; 5] = [
    SENTINEL_SETUP,
    Stage {
        title: "Revoke: disable the key version in use",
        explain: prose!(
            "The document's way to revoke: disable the customer-managed key in the key vault (or delete the access policies for the cluster and Azure Cosmos DB). Both the cluster's storage and Sentinel's store keep their cached AEK until they notice."
        ),
        ops: &[Op::Send("lever", disable_in_use)],
        check: sentinel_lever_checks,
    },
    Stage {
        title: "Fast-forward one hour, then use Sentinel",
        explain: prose!(
            "Then a watchlist PUT, a read of the set-up watchlist, 5 probe rows and ten minutes for the analytics rule to run. Watch the Sentinel store's badge in the key hierarchy."
        ),
        ops: SENTINEL_USE,
        check: sentinel_revoked_checks,
    },
    Stage {
        title: "Restore: enable the key version again",
        explain: prose!(
            "Access is restored in Key Vault; Sentinel's store notices at its next periodic check."
        ),
        ops: &[Op::Send("lever", enable_in_use)],
        check: sentinel_restore_checks,
    },
    Stage {
        title: "Fast-forward one hour, then use Sentinel again",
        explain: prose!("The same watchlist PUT, read, probe and rule run as before the restore."),
        ops: SENTINEL_USE,
        check: |cx, runs| sentinel_resumed_checks(cx, runs, 3),
    },
];

// Sentinel: rotate and retire the previous version.

fn sentinel_rewrap_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let latest = run.facts.latest_version.clone().unwrap_or_default();
    let rotated_at = runs[1].started;
    let wrap = cx.snap.audit.iter().find(|a| {
        a.operation == "KeyWrap"
            && a.status == 200
            && a.caller_name == sw::COSMOS_DB_NAME
            && a.version.as_deref() == Some(latest.as_str())
            && a.time >= rotated_at
    });
    vec![
        check(
            "Within an hour, Sentinel's store uses the new key version",
            run.facts.store_version.as_deref() == Some(latest.as_str())
                && wrap.is_some_and(|w| w.time - rotated_at <= HOUR),
            format!(
                "the store uses {}; Azure Cosmos DB rewrapped its AEK {} after the rotation",
                short(run.facts.store_version.as_deref().unwrap_or("")),
                elapsed(rotated_at, wrap.map(|w| w.time))
            ),
        ),
        check(
            "The cluster's storage follows too (keyVersion empty: auto-rotation)",
            run.facts.version_in_use.as_deref() == Some(latest.as_str()),
            format!(
                "the cluster's storage uses {}",
                short(run.facts.version_in_use.as_deref().unwrap_or(""))
            ),
        ),
        check(
            "Only the AEK is rewrapped: Sentinel's data stays readable",
            run.facts.store_aek == runs[0].facts.store_aek
                && run.response("read").is_some_and(|r| r.status == 200),
            format!(
                "store AEK {} (was {}); reading {WATCHLIST} answered {}",
                short(run.facts.store_aek.as_deref().unwrap_or("")),
                short(runs[0].facts.store_aek.as_deref().unwrap_or("")),
                status_of(run.response("read"))
            ),
        ),
    ]
}

fn sentinel_retire_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let old = setup_version(runs);
    let rewrapped = runs[2].ended;
    let cosmos_after = cx
        .snap
        .audit
        .iter()
        .filter(|a| {
            a.caller_name == sw::COSMOS_DB_NAME
                && a.version.as_deref() == Some(old.as_str())
                && a.last.max(a.time) > rewrapped
        })
        .count();
    let mut out = audit_then_disable_checks(cx, runs);
    out.insert(
        1,
        check(
            "Azure Cosmos DB's calls no longer use the previous version",
            cosmos_after == 0,
            format!("{cosmos_after} audit entries by Azure Cosmos DB with the previous version since the rewrap"),
        ),
    );
    out
}

fn sentinel_available_checks(cx: &Context, runs: &[StageRun], what: &str) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let before = runs[runs.len() - 2].facts.incidents;
    vec![
        check(
            format!("{what}: Sentinel's store stays accessible"),
            store_access(cx) == "accessible" && access(cx) == "accessible",
            format!(
                "the store is {}; the cluster's storage is {}",
                store_access(cx),
                access(cx)
            ),
        ),
        ok_status(run, "watchlist", 201, "A watchlist PUT is accepted"),
        ok_status(run, "read", 200, "The set-up watchlist is readable"),
        check(
            "A probe raises an incident",
            incidents(cx) > before,
            format!("{} incident(s), {before} before", incidents(cx)),
        ),
    ]
}

static SENTINEL_ROTATE: [Stage; 5] = [
    SENTINEL_SETUP,
    Stage {
        title: "Rotate the key in Key Vault",
        explain: prose!(
            "\"In Azure Key Vault, perform key rotation by creating a new version of the key\". The cluster's key identifier has an empty keyVersion: auto-rotation."
        ),
        ops: &[Op::Send("rotate", rotate)],
        check: rotated_checks,
    },
    Stage {
        title: "Fast-forward one hour, then read a watchlist",
        explain: prose!(
            "At their next Key Vault checks, the cluster's storage and Sentinel's store rewrap their AEKs with the new version. Watch both wrap edges move in the key hierarchy."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("read", read_watchlist),
        ],
        check: sentinel_rewrap_checks,
    },
    Stage {
        title: "Wait 24 hours, check the audit log, disable the previous version",
        explain: prose!(
            "\"Disable the previous version of the key after 24 hours, or after the Azure Key Vault audit logs no longer show any activity that uses the previous version.\" The Audit log tab lists each version with its last use."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(DAY)),
            Op::Send("lever", disable_previous),
        ],
        check: sentinel_retire_checks,
    },
    Stage {
        title: "Fast-forward one hour, then use Sentinel",
        explain: prose!(
            "Disabling a version nobody uses revokes nothing: a watchlist PUT, a read, a probe and the rule's run."
        ),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("watchlist", put_watchlist),
            Op::Send("read", read_watchlist),
            Op::Send("ingest", probe_ingest),
            Op::Send("rule", rule_runs),
        ],
        check: |cx, runs| sentinel_available_checks(cx, runs, "With the previous version disabled"),
    },
];

// Sentinel: an undefined change is refused.

const KEY_REMOVAL_QUOTE: &str = "\"Disabling CMK on a CMK-enabled Log Analytics dedicated cluster\" is not supported because it may lead to undefined and problematic behavior";
const IDENTITY_REMOVAL_QUOTE: &str = "Revoking access by removing the key from the dedicated Log Analytics cluster, or by removing the identity associated with the dedicated Log Analytics cluster isn't supported.";
const UNLINK_QUOTE: &str = "\"Setting a Sentinel-onboarded, CMK-enabled workspace as a non-CMK workspace by unlinking it from its CMK-enabled dedicated cluster\" is not supported because it may lead to undefined and problematic behavior";

fn clear_key(cx: &Context, _: &[StageRun]) -> Command {
    cluster_patch(
        cx,
        json!({ "properties": { "keyVaultProperties": { "keyVaultUri": "", "keyName": "", "keyVersion": "" } } }),
    )
}

fn unlink(cx: &Context, _: &[StageRun]) -> Command {
    Command::request(
        "DELETE",
        &format!(
            "https://management.azure.com{}/linkedServices/cluster?api-version={}",
            cx.workspace_path(),
            cx.settings.oi_api
        ),
        None,
    )
}

/// Nothing the refused change touched has moved since the set-up.
fn unchanged_check(cx: &Context, runs: &[StageRun]) -> Check {
    let setup = &runs[0].facts;
    let now = facts(cx);
    let c = cluster(cx);
    let w = workspace(cx);
    let same = c.is_some_and(|c| c.key.is_some() && c.identity_type == "SystemAssigned")
        && w.is_some_and(|w| w.link_state == "Linked")
        && now.version_in_use == setup.version_in_use
        && now.store_version == setup.store_version
        && now.store_aek == setup.store_aek
        && sw::store(cx).is_some_and(|a| a.protection == "CMK");
    check(
        "Nothing changed: the key identifier, the identity, the link and Sentinel's store",
        same,
        format!(
            "cluster key {}, identity {}; workspace {}; store on version {}",
            if c.is_some_and(|c| c.key.is_some()) {
                "set"
            } else {
                "cleared"
            },
            c.map(|c| c.identity_type.as_str()).unwrap_or("—"),
            w.map(|w| w.link_state.as_str()).unwrap_or("missing"),
            short(now.store_version.as_deref().unwrap_or(""))
        ),
    )
}

fn key_removal_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    vec![
        quoted_refusal(
            run,
            "clear",
            400,
            KEY_REMOVAL_QUOTE,
            "Clearing the cluster's key identifier is refused: disabling CMK on the cluster is not supported",
        ),
        quoted_refusal(
            run,
            "clear",
            400,
            IDENTITY_REMOVAL_QUOTE,
            "The refusal says to revoke in Key Vault instead",
        ),
        unchanged_check(cx, runs),
    ]
}

fn unlink_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    vec![
        quoted_refusal(
            run,
            "unlink",
            400,
            UNLINK_QUOTE,
            "Unlinking the Sentinel CMK workspace from its cluster is refused",
        ),
        quoted_refusal(
            run,
            "identity",
            400,
            IDENTITY_REMOVAL_QUOTE,
            "Removing the cluster's identity (type None) is refused",
        ),
        unchanged_check(cx, runs),
    ]
}

static SENTINEL_UNDEFINED: [Stage; 4] = [
    SENTINEL_SETUP,
    Stage {
        title: "Try to clear the cluster's key identifier",
        explain: prose!(
            "Sends keyVaultProperties with an empty key: on a cluster without Sentinel CMK workspaces this would return it to Microsoft-managed keys. With one, the document calls it undefined and problematic."
        ),
        ops: &[Op::Send("clear", clear_key)],
        check: key_removal_checks,
    },
    Stage {
        title: "Try to unlink the workspace, then to remove the cluster's identity",
        explain: prose!(
            "DELETE the workspace's linked service, then PATCH the cluster's identity to None (the Azure Monitor revocation lever, not supported with Sentinel)."
        ),
        ops: &[
            Op::Send("unlink", unlink),
            Op::Send("identity", |cx, _| {
                cluster_patch(cx, json!({ "identity": { "type": "None" } }))
            }),
        ],
        check: unlink_checks,
    },
    Stage {
        title: "Fast-forward one hour, then use Sentinel",
        explain: prose!("A refused request changes nothing: Sentinel works as before."),
        ops: &[
            Op::Send("advance", |_, _| advance(HOUR)),
            Op::Send("watchlist", put_watchlist),
            Op::Send("read", read_watchlist),
            Op::Send("ingest", probe_ingest),
            Op::Send("rule", rule_runs),
        ],
        check: |cx, runs| {
            let mut out = sentinel_available_checks(cx, runs, "After the refused changes");
            out.push(unchanged_check(cx, runs));
            out
        },
    },
];

// Customer Lockbox: an approved engineer and a revoked key.

/// The walkthrough workspace's newest request in `status`.
fn lockbox_request<'a>(
    cx: &'a Context,
    status: &str,
) -> Option<&'a crate::engine::view::LockboxRequestView> {
    lw::latest(cx, status)
}

fn approved_request<'a>(cx: &'a Context) -> Option<&'a crate::engine::view::LockboxRequestView> {
    lockbox_request(cx, "Approved")
}

fn approve_pending(cx: &Context, _: &[StageRun]) -> Command {
    wt::command(Card::Lockbox(LCard::Approve), cx)
}

/// The engineer's reads (`ok`) or refused reads on the timeline since `from`.
fn lockbox_reads(cx: &Context, from: u64, ok: bool) -> usize {
    let Some(r) = approved_request(cx).or_else(|| lockbox_request(cx, "Completed")) else {
        return 0;
    };
    lw::reads(cx, &r.id)
        .iter()
        .filter(|e| e.time >= from && e.alert != ok)
        .count()
}

fn lockbox_window(cx: &Context) -> String {
    match approved_request(cx) {
        Some(r) => format!(
            "request {} is Approved until {} ({} read(s), {} refused)",
            short(&r.request_id),
            clock::human(r.expires),
            r.reads,
            r.refused_reads
        ),
        None => "no approved request".into(),
    }
}

fn lockbox_approved_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let r = approved_request(cx);
    vec![
        ok_status(run, "opt-in", 200, "The tenant opts in to Customer Lockbox"),
        ok_status(
            run,
            "ask",
            201,
            "The engineer's request (the playground's control) waits as Pending",
        ),
        ok_status(
            run,
            "approve",
            200,
            "You approve it as the subscription's Owner",
        ),
        check(
            "Approve grants access for a default eight hours",
            r.is_some_and(|r| r.decided.is_some_and(|d| r.expires == d + 8 * HOUR)),
            lockbox_window(cx),
        ),
    ]
}

fn lockbox_reading_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let approved = approved_request(cx)
        .and_then(|r| r.decided)
        .unwrap_or(run.started);
    let ok = lockbox_reads(cx, run.started, true);
    let refused = lockbox_reads(cx, run.started, false);
    let (used, denied) = lw::cluster_key_use(cx, approved);
    let calls: u64 = used.iter().map(|a| a.count).sum();
    vec![
        check(
            "While approved, the engineer reads the workspace's data",
            ok >= 1 && refused == 0,
            format!(
                "{ok} read(s) and {refused} refused this hour; {}",
                lockbox_window(cx)
            ),
        ),
        check(
            "The data is in the cluster's storage, under your key: Key Vault's audit log shows the cluster's identity using it",
            calls > 0 && denied.is_empty(),
            format!(
                "{calls} successful call(s) from the cluster's identity since the approval ({}), {} refused",
                used.iter()
                    .map(|a| a.operation.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", "),
                denied.len()
            ),
        ),
    ]
}

fn lockbox_revoked_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let pulled = runs[3].started;
    let refused = lockbox_reads(cx, pulled, false);
    let revoked_at = cx
        .snap
        .timeline
        .iter()
        .rev()
        .find(|e| e.alert && e.text.contains("is unavailable: new data"))
        .map(|e| e.time);
    let first_refused = approved_request(cx).and_then(|r| {
        lw::reads(cx, &r.id)
            .into_iter()
            .find(|e| e.alert && e.time >= pulled)
            .map(|e| e.time)
    });
    vec![
        check(
            "Within an hour or sooner, storage becomes unavailable",
            access(cx) == "revoked"
                && revoked_at.is_some_and(|t| t >= pulled && t - pulled <= HOUR),
            format!(
                "access is {}; revoked {} after the change",
                access(cx),
                elapsed(pulled, revoked_at)
            ),
        ),
        check(
            "The approved engineer's reads are refused too: the approval does not bypass your key",
            refused >= 1 && approved_request(cx).is_some_and(|r| r.refused_reads >= 1),
            format!(
                "{refused} read(s) refused since the revocation, the first {} after it",
                elapsed(pulled, first_refused)
            ),
        ),
        check(
            "The approval is still within its eight hours",
            approved_request(cx).is_some_and(|r| r.expires > run.ended),
            lockbox_window(cx),
        ),
    ]
}

fn lockbox_restored_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let restored = run.started;
    let back = cx
        .snap
        .timeline
        .iter()
        .rev()
        .find(|e| {
            e.text
                .contains("available again: ingestion and queries resumed")
        })
        .map(|e| e.time);
    let ok = lockbox_reads(cx, restored, true);
    vec![
        ok_status(run, "lever", 200, "Key Vault accepts the change"),
        check(
            "Once Key Vault answers, service resumes within 30 minutes",
            access(cx) == "accessible"
                && back.is_some_and(|t| t >= restored && t - restored <= 30 * MINUTE),
            format!(
                "access is {}; resumed {} after the restore",
                access(cx),
                elapsed(restored, back)
            ),
        ),
        check(
            "Still within the approval's eight hours, the engineer reads again",
            ok >= 1 && approved_request(cx).is_some_and(|r| r.expires > run.ended),
            format!("{ok} read(s) since the restore; {}", lockbox_window(cx)),
        ),
    ]
}

// Saved queries and log alerts: the customer's storage account, under a key of its own.

/// The version of the account's key that wraps its AEK (the key has one in the drill).
fn byos_version(cx: &Context) -> String {
    bw::account(cx)
        .and_then(|a| a.current_key_version.clone())
        .or_else(|| {
            cx.vault()
                .and_then(|v| v.keys.iter().find(|k| k.name == bw::KEY))
                .and_then(|k| k.versions.last())
                .map(|v| v.version.clone())
        })
        .unwrap_or_default()
}

fn byos_set_enabled(cx: &Context, enabled: bool) -> Command {
    Command::request(
        "PATCH",
        &format!(
            "{}/keys/{}/{}?api-version=7.4",
            cx.vault_uri(),
            bw::KEY,
            byos_version(cx)
        ),
        Some(&json!({ "attributes": { "enabled": enabled } }).to_string()),
    )
}

fn byos_access(cx: &Context) -> String {
    bw::account(cx)
        .map(|a| a.access.state.clone())
        .unwrap_or_else(|| "missing".into())
}

fn list_searches(cx: &Context, _: &[StageRun]) -> Command {
    Command::request("GET", &bw::saved_searches_url(cx), None)
}

fn read_rule(cx: &Context, _: &[StageRun]) -> Command {
    Command::request("GET", &bw::rule_url(cx), None)
}

fn byos_setup_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let mut out = setup_checks(cx, runs);
    let a = bw::account(cx);
    let cluster_key = cluster(cx)
        .and_then(|c| c.storage_key.as_ref())
        .map(|k| k.key_name.clone())
        .unwrap_or_default();
    let x = bw::saved_search(cx);
    let r = bw::rule(cx);
    out.extend([
        check(
            "The storage account is under a key of its own, not the cluster's",
            a.is_some_and(|a| {
                a.table_cmk
                    && a.key
                        .as_ref()
                        .is_some_and(|k| !k.key_name.eq_ignore_ascii_case(&cluster_key))
            }),
            a.map(|a| {
                format!(
                    "{}: {}; the cluster uses {cluster_key}",
                    a.name,
                    bw::account_key_words(a)
                )
            })
            .unwrap_or_else(|| "no storage account".into()),
        ),
        check(
            "The saved search is kept in the account's table under that key; the rule's query in a blob there",
            x.is_some_and(|x| x.stored_in == bw::ACCOUNT && x.protection == "CMK")
                && r.is_some_and(|r| r.query_stored_in == bw::ACCOUNT && r.protection == "CMK"),
            format!(
                "saved search in {}; rule's query in {}",
                x.map(|x| format!("{} ({})", x.stored_in, x.protection))
                    .unwrap_or_else(|| "—".into()),
                r.map(|r| format!("{} ({})", r.query_stored_in, r.protection))
                    .unwrap_or_else(|| "—".into())
            ),
        ),
    ]);
    out
}

fn byos_lever_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    lever_accepted(
        runs,
        "The account keeps its cached AEK for now",
        "the account",
        &byos_access(cx),
        false,
    )
}

fn lockbox_ended_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let done = lockbox_request(cx, "Completed");
    let late = done.map(|r| {
        lw::reads(cx, &r.id)
            .iter()
            .filter(|e| e.time > r.expires)
            .count()
    });
    vec![check(
        "Eight hours after the approval the access ends: no more reads, refused hours not given back",
        done.is_some_and(|r| r.expires <= run.ended) && late == Some(0),
        match done {
            Some(r) => format!(
                "request {} Completed at {}: {} read(s), {} refused",
                short(&r.request_id),
                clock::human(r.expires),
                r.reads,
                r.refused_reads
            ),
            None => lockbox_window(cx),
        },
    )]
}

static LOCKBOX_REVOKE: [Stage; 7] = [
    SETUP,
    Stage {
        title: "Opt in; the engineer asks; approve",
        explain: prose!(
            "The tenant opts in to Customer Lockbox (POST enableLockbox), a Microsoft support engineer asks for the workspace's data (the playground's control, not an Azure API: in Azure a support case does this) and you approve (POST …/updateApproval with status Approve)."
        ),
        ops: &[
            Op::Send("opt-in", |cx, _| {
                wt::command(Card::Lockbox(LCard::OptIn), cx)
            }),
            Op::Send("ask", |cx, _| wt::command(Card::Lockbox(LCard::Ask), cx)),
            Op::Send("approve", approve_pending),
        ],
        check: lockbox_approved_checks,
    },
    Stage {
        title: "Fast-forward one hour: the engineer reads",
        explain: prose!(
            "The engineer reads the workspace through the cluster's storage, whose AEK your key wraps. Watch the timeline and Key Vault's audit log."
        ),
        ops: &[Op::Send("advance", |_, _| advance(HOUR))],
        check: lockbox_reading_checks,
    },
    Stage {
        title: "Revoke: disable the key version in use",
        explain: prose!(
            "The approval still has about seven hours to run. Disabling the key is the customer's other control over the data."
        ),
        ops: &[Op::Send("lever", disable_in_use)],
        check: lever_checks,
    },
    Stage {
        title: "Fast-forward two hours: the engineer's reads are refused",
        explain: prose!(
            "Storage honours the revocation within an hour; the engineer's next hourly read fails although the request is still approved."
        ),
        ops: &[Op::Send("advance", |_, _| advance(2 * HOUR))],
        check: lockbox_revoked_checks,
    },
    Stage {
        title: "Restore: enable the key version, fast-forward two hours",
        explain: prose!(
            "Service resumes within 30 minutes of Key Vault answering; the approval is still running, so the engineer reads again."
        ),
        ops: &[
            Op::Send("lever", enable_in_use),
            Op::Send("advance", |_, _| advance(2 * HOUR)),
        ],
        check: lockbox_restored_checks,
    },
    Stage {
        title: "Fast-forward to the end of the eight hours",
        explain: prose!(
            "The access ends eight hours after the approval, whatever happened in between."
        ),
        ops: &[Op::Send("advance", |cx, _| {
            wt::command(Card::Lockbox(LCard::WaitAccess), cx)
        })],
        check: lockbox_ended_checks,
    },
];

fn byos_revoked_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let pulled = runs[1].started;
    let since = bw::account(cx).and_then(|a| a.access.since);
    let list = run.response("list");
    let n = count_of(run.response("query"));
    vec![
        check(
            "Within the hour, the storage account can no longer unwrap its AEK",
            byos_access(cx) == "revoked"
                && since.is_some_and(|t| t >= pulled && t - pulled <= HOUR),
            format!(
                "the account is {}; since {} after the change",
                byos_access(cx),
                elapsed(pulled, since)
            ),
        ),
        check(
            "Listing the saved searches fails: 403 KeyVaultEncryptionKeyNotFound",
            list.is_some_and(|r| r.status == 403)
                && error_code(list) == "KeyVaultEncryptionKeyNotFound",
            format!("the list answered {} {}", status_of(list), error_code(list)),
        ),
        check(
            "Reading the alert rule fails: its query is in the account",
            run.response("rule").is_some_and(|r| r.status == 403),
            format!(
                "the rule GET answered {} {}",
                status_of(run.response("rule")),
                error_code(run.response("rule"))
            ),
        ),
        check(
            "The workspace's logs are still queryable: they are under the cluster's key, a different one",
            n == Some(SETUP_ROWS) && access(cx) == "accessible",
            format!(
                "the query counted {}; the cluster's storage is {}",
                n.map(|n| n.to_string())
                    .unwrap_or_else(|| status_of(run.response("query"))),
                access(cx)
            ),
        ),
    ]
}

fn byos_resumed_checks(cx: &Context, runs: &[StageRun]) -> Vec<Check> {
    let run = runs.last().expect("this stage ran");
    let list = run.response("list");
    let rule = run.response("rule");
    let names: Vec<String> = list
        .and_then(|r| r.body["value"].as_array())
        .map(|v| {
            v.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    vec![
        check(
            "Once Key Vault answers again, the account unwraps its AEK",
            byos_access(cx) == "accessible",
            format!("the account is {}", byos_access(cx)),
        ),
        check(
            "The saved searches come back",
            list.is_some_and(|r| r.status == 200) && names.iter().any(|n| n == bw::SAVED_SEARCH),
            format!(
                "the list answered {} [{}]",
                status_of(list),
                names.join(", ")
            ),
        ),
        check(
            "The alert rule reads again, with its query",
            rule.is_some_and(|r| {
                r.status == 200
                    && r.body["properties"]["criteria"]["allOf"][0]["query"] == bw::RULE_QUERY
            }),
            format!("the rule GET answered {}", status_of(rule)),
        ),
    ]
}

/// After the change: an hour on, then the saved searches, the rule and the workspace's logs.
const BYOS_USE: &[Op] = &[
    Op::Send("advance", |_, _| advance(HOUR)),
    Op::Send("list", list_searches),
    Op::Send("rule", read_rule),
    Op::Send("query", count_query),
];

static BYOS_REVOKE: [Stage; 5] = [
    Stage {
        title: "Set up: a CMK cluster, and saved queries and alerts in your storage account",
        explain: prose!(
            "Starts over and runs the Azure Monitor walkthrough's five steps with 20 rows of DrillProbe_CL, then the saved queries and alerts walkthrough: a user-assigned identity, a second key (queries-cmk) in the same vault granted to it, a StorageV2 account under that key (tables keyType Account), linked to the workspace for Query and Alerts, a saved search and a log search alert rule."
        ),
        ops: &[Op::Setup, Op::ByosSetup],
        check: byos_setup_checks,
    },
    Stage {
        title: "Revoke: disable the storage account's key version",
        explain: prose!(
            "Disable queries-cmk's version in Key Vault (removing the identity's access policy works the same way). The cluster's key is untouched. The account keeps its cached AEK until it notices."
        ),
        ops: &[Op::Send("lever", |cx, _| byos_set_enabled(cx, false))],
        check: byos_lever_checks,
    },
    Stage {
        title: "Fast-forward one hour, then read saved searches, the rule and the logs",
        explain: prose!(
            "Lists the workspace's saved searches, reads the alert rule and counts DrillProbe_CL. Watch the account's AEK in the key hierarchy."
        ),
        ops: BYOS_USE,
        check: byos_revoked_checks,
    },
    Stage {
        title: "Restore: enable the key version again",
        explain: prose!(
            "Access is restored in Key Vault; the account notices at its next periodic check."
        ),
        ops: &[Op::Send("lever", |cx, _| byos_set_enabled(cx, true))],
        check: |cx, runs| {
            vec![
                ok_status(
                    runs.last().expect("this stage ran"),
                    "lever",
                    200,
                    "Key Vault accepts the change",
                ),
                check(
                    "The account is still revoked until its next check",
                    byos_access(cx) == "revoked",
                    format!("the account is {}", byos_access(cx)),
                ),
            ]
        },
    },
    Stage {
        title: "Fast-forward one hour, then read them again",
        explain: prose!("The same reads as before the restore."),
        ops: BYOS_USE,
        check: byos_resumed_checks,
    },
];

// Least privilege: the document's permissions, met by a second person with less than Owner.

/// The resource group role assignment that makes Sam a Contributor, and the cluster's grant on the
/// RBAC vault (fixed names, so the drill's requests are the same every run).
const SAM_CONTRIBUTOR: &str = "5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e01";
const CLUSTER_GRANT: &str = "6e7f8091-2b3c-4d4e-9f50-6b7c8d9e0f12";
const RBAC_VAULT_SUFFIX: &str = "-rbac";
const CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";

fn sign_in(who: &str) -> Command {
    Command::SignIn { who: who.into() }
}

fn rbac_vault_path(cx: &Context) -> String {
    format!("{}{RBAC_VAULT_SUFFIX}", cx.vault_path())
}

fn arm_put(path: &str, api: &str, body: Value) -> Command {
    Command::request(
        "PUT",
        &format!("https://management.azure.com{path}?api-version={api}"),
        Some(&body.to_string()),
    )
}

fn grant_cluster_on_rbac_vault(cx: &Context, _: &[StageRun]) -> Command {
    let principal = cluster(cx)
        .and_then(|c| c.principal_id.clone())
        .unwrap_or_default();
    arm_put(
        &format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{CLUSTER_GRANT}",
            rbac_vault_path(cx)
        ),
        "2022-04-01",
        json!({ "properties": {
            "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_SERVICE_ENCRYPTION_USER}", cx.settings.subscription),
            "principalId": principal,
            "principalType": "ServicePrincipal",
        } }),
    )
}

/// A 403 `AuthorizationFailed` naming `client` and `action`, and nothing changed.
fn forbidden(run: &StageRun, label: &str, client: &str, action: &str) -> Vec<Check> {
    let r = run.response(label);
    let message = r
        .and_then(|r| r.body["error"]["message"].as_str())
        .unwrap_or("");
    vec![
        check(
            "ARM refuses with 403 AuthorizationFailed",
            r.is_some_and(|r| r.status == 403) && error_code(r) == "AuthorizationFailed",
            format!("{} {}", status_of(r), error_code(r)),
        ),
        check(
            format!("The refusal names the client ({client}) and the action ({action})"),
            message.contains(&format!("'{client}'")) && message.contains(&format!("'{action}'")),
            message.to_string(),
        ),
    ]
}

static LEAST_PRIVILEGE: [Stage; 5] = [
    SETUP,
    Stage {
        title: "Sign in as Sam, a Log Analytics Reader, and read",
        explain: prose!(
            "Sam signs in (the token endpoint issues Sam's tokens; every request now carries them). Reader roles read everything: the cluster, and the workspace's data through the query API."
        ),
        ops: &[
            Op::Send("sign-in", |_, _| sign_in(crate::engine::world::SAM_UPN)),
            Op::Send("read", |cx, _| {
                Command::request(
                    "GET",
                    &format!(
                        "https://management.azure.com{}?api-version={}",
                        cx.cluster_path(),
                        cx.settings.oi_api
                    ),
                    None,
                )
            }),
            Op::Send("query", count_query),
        ],
        check: |cx, runs| {
            let run = runs.last().expect("this stage ran");
            let me = &cx.snap.session.signed_in;
            vec![
                check(
                    "Sam is signed in, with Log Analytics Reader on the subscription",
                    me.client == crate::engine::world::SAM_UPN
                        && me.roles.iter().any(|(r, _)| r == "Log Analytics Reader"),
                    format!("signed in as {} ({:?})", me.client, me.roles),
                ),
                check(
                    "Sam reads the cluster and queries the workspace",
                    run.response("read").is_some_and(|r| r.status == 200)
                        && count_of(run.response("query")) == Some(SETUP_ROWS),
                    format!(
                        "read {}, query {}",
                        status_of(run.response("read")),
                        status_of(run.response("query"))
                    ),
                ),
            ]
        },
    },
    Stage {
        title: "Sam tries the key update",
        explain: prose!(
            "“All operations on the cluster require the Microsoft.OperationalInsights/clusters/write action permission”: a Reader has none, so ARM refuses before the cluster sees the request."
        ),
        ops: &[Op::Send("update", |cx, _| {
            cluster_patch(
                cx,
                json!({ "properties": { "keyVaultProperties": {
                    "keyVaultUri": cx.vault_uri(),
                    "keyName": cx.settings.key,
                    "keyVersion": "",
                } } }),
            )
        })],
        check: |cx, runs| {
            let run = runs.last().expect("this stage ran");
            let mut checks = forbidden(
                run,
                "update",
                crate::engine::world::SAM_UPN,
                "Microsoft.OperationalInsights/clusters/write",
            );
            checks.push(check(
                "The cluster is unchanged: no update started",
                cluster(cx).is_some_and(|c| c.operation.is_none()),
                cluster(cx)
                    .map(|c| c.provisioning_state.clone())
                    .unwrap_or_default(),
            ));
            checks
        },
    },
    Stage {
        title: "Avery makes Sam a Contributor of the resource group, and creates an RBAC vault",
        explain: prose!(
            "Contributor grants every action except Microsoft.Authorization/*/Write and */Delete: Sam can now change the cluster, but can't grant anyone a role. Avery also creates a second vault that uses Azure RBAC instead of access policies."
        ),
        ops: &[
            Op::Send("admin", |_, _| sign_in(crate::engine::world::USER_UPN)),
            Op::Send("contributor", |cx, _| {
                arm_put(
                    &format!(
                        "{}/providers/Microsoft.Authorization/roleAssignments/{SAM_CONTRIBUTOR}",
                        cx.rg_path()
                    ),
                    "2022-04-01",
                    json!({ "properties": {
                        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}", cx.settings.subscription, crate::engine::arm::authorization::CONTRIBUTOR_ROLE),
                        "principalId": crate::engine::world::SAM_OBJECT_ID,
                        "principalType": "User",
                    } }),
                )
            }),
            Op::Send("vault", |cx, _| {
                arm_put(
                    &rbac_vault_path(cx),
                    "2026-05-15",
                    json!({ "location": cx.settings.location, "properties": {
                        "tenantId": crate::engine::world::TENANT_ID,
                        "sku": { "family": "A", "name": "standard" },
                        "enableRbacAuthorization": true,
                        "enableSoftDelete": true,
                        "enablePurgeProtection": true,
                    } }),
                )
            }),
            Op::Send("sam", |_, _| sign_in(crate::engine::world::SAM_UPN)),
        ],
        check: |cx, runs| {
            let run = runs.last().expect("this stage ran");
            vec![
                check(
                    "Sam holds Contributor on the resource group",
                    cx.snap.session.signed_in.roles.iter().any(|(r, scope)| {
                        r == "Contributor" && scope.eq_ignore_ascii_case(&cx.rg_path())
                    }),
                    format!("{:?}", cx.snap.session.signed_in.roles),
                ),
                check(
                    "The RBAC vault exists",
                    run.response("vault").is_some_and(|r| {
                        r.status < 300 && r.body["properties"]["enableRbacAuthorization"] == true
                    }),
                    status_of(run.response("vault")),
                ),
            ]
        },
    },
    Stage {
        title: "Sam, a Contributor, tries to grant the cluster on the RBAC vault",
        explain: prose!(
            "On an RBAC vault the cluster needs the Key Vault Crypto Service Encryption User role, and assigning a role needs Microsoft.Authorization/roleAssignments/write (Owner or User Access Administrator), which Contributor excludes. Then Avery grants it."
        ),
        ops: &[
            Op::Send("grant", grant_cluster_on_rbac_vault),
            Op::Send("admin", |_, _| sign_in(crate::engine::world::USER_UPN)),
            Op::Send("owner-grant", grant_cluster_on_rbac_vault),
        ],
        check: |cx, runs| {
            let run = runs.last().expect("this stage ran");
            let mut checks = forbidden(
                run,
                "grant",
                crate::engine::world::SAM_UPN,
                "Microsoft.Authorization/roleAssignments/write",
            );
            let principal = cluster(cx)
                .and_then(|c| c.principal_id.clone())
                .unwrap_or_default();
            checks.push(check(
                "Avery, an Owner, grants it: the cluster's identity holds Key Vault Crypto Service Encryption User on the vault",
                run.response("owner-grant").is_some_and(|r| r.status == 201)
                    && cx.snap.role_assignments.iter().any(|a| {
                        a.principal_id == principal
                            && a.role == "Key Vault Crypto Service Encryption User"
                            && a.scope.eq_ignore_ascii_case(&rbac_vault_path(cx))
                    }),
                status_of(run.response("owner-grant")),
            ));
            checks
        },
    },
];

pub static DRILLS: [Drill; 11] = [
    Drill {
        id: DrillId::RevokeRecover,
        slug: "revoke-recover",
        title: "Revoke and recover",
        summary: prose!(
            "Disable the key, watch storage become unavailable within an hour, enable it again, watch service resume within 30 minutes."
        ),
        promise: prose!(
            "The cluster storage will always respect changes in key permissions within an hour or sooner and storage will become unavailable. Any new data ingested to workspaces linked with your cluster gets dropped and won't be recoverable, data becomes inaccessible and queries on these workspaces fail. … The cluster's storage periodically checks your Key Vault to attempt to unwrap the encryption key and once accessed, data ingestion and query are resumed within 30 minutes."
        ),
        source: prose!("Azure Monitor CMK · Key revocation"),
        pin_version: false,
        stages: &REVOKE_RECOVER,
    },
    Drill {
        id: DrillId::AutoRotation,
        slug: "auto-rotation",
        title: "Rotate with automatic version",
        summary: prose!(
            "Rotate the key with keyVersion empty: storage rewraps its AEK with the new version; then retire the old version the way Sentinel recommends."
        ),
        promise: prose!(
            "Auto-rotation - when you update your cluster with \"keyVaultProperties\" but omit \"keyVersion\" property, or set it to \"\", storage will automatically use the latest versions. … All your data remains accessible after the key rotation operation, since data always encrypted with Account Encryption Key (AEK) while AEK is now being encrypted with your new Key Encryption Key (KEK) version in Key Vault. (Sentinel: disable the previous version of the key after 24 hours, or after the Azure Key Vault audit logs no longer show any activity that uses the previous version.)"
        ),
        source: prose!(
            "Azure Monitor CMK · Key rotation; Microsoft Sentinel CMK · Customer-managed key rotation"
        ),
        pin_version: false,
        stages: &AUTO_ROTATION,
    },
    Drill {
        id: DrillId::PinnedForget,
        slug: "pinned-forget",
        title: "Rotate with a pinned version and forget to update",
        summary: prose!(
            "With an explicit keyVersion, a rotation changes nothing until you update the cluster; disabling the old version first revokes access."
        ),
        promise: prose!(
            "Explicit key version update - … If you generate new key version in Key Vault but don't update it in the cluster, the Log Analytics cluster storage will keep using your previous key. If you disable or delete your old key before updating the new key in the cluster, you will get into key revocation state."
        ),
        source: prose!("Azure Monitor CMK · Key rotation"),
        pin_version: true,
        stages: &PINNED_FORGET,
    },
    Drill {
        id: DrillId::Outage,
        slug: "kv-outage",
        title: "Key Vault outage",
        summary: prose!(
            "Make the vault unreachable for six hours: the cached AEK carries ingestion and queries through it."
        ),
        promise: prose!(
            "Key Vault connection errors -- Storage handles transient errors (timeouts, connection failures, DNS issues) by allowing keys to stay in cache for the duration of the availablility issue and this overcomes blips and availability issues. The query and ingestion capabilities continue without interruption."
        ),
        source: prose!(
            "Azure Monitor CMK · Troubleshooting · Behavior with Key Vault availability"
        ),
        pin_version: false,
        stages: &OUTAGE,
    },
    Drill {
        id: DrillId::IdentityNone,
        slug: "identity-none",
        title: "Identity set to None",
        summary: prose!("Remove the cluster's identity: access is revoked for good."),
        promise: prose!(
            "Setting the cluster's identity type to None also revokes access to your data, but this approach isn't recommended since you can't revert it without contacting support."
        ),
        source: prose!("Azure Monitor CMK · Key revocation"),
        pin_version: false,
        stages: &IDENTITY_NONE,
    },
    Drill {
        id: DrillId::SentinelRevoke,
        slug: "sentinel-revoke",
        title: "Sentinel: revoke and restore",
        summary: prose!(
            "Disable the key: within the hour Sentinel refuses changes and creates no incident; enable it: within the hour Sentinel works again."
        ),
        promise: prose!(
            "If a user revokes the key encryption key (the CMK), either by deleting it or removing access for the dedicated cluster and Azure Cosmos DB Resource Provider, Microsoft Sentinel honors the change and behave as if the data is no longer available, within one hour. At this point, any operation that uses persistent storage resources such as data ingestion, persistent configuration changes, and incident creation, is prevented. Previously stored data isn't deleted but remains inaccessible. … If access is restored after revocation, Microsoft Sentinel restores access to the data within an hour."
        ),
        source: prose!("Microsoft Sentinel CMK · Key Encryption Key revocation or deletion"),
        pin_version: false,
        stages: &SENTINEL_REVOKE,
    },
    Drill {
        id: DrillId::SentinelRotate,
        slug: "sentinel-rotate",
        title: "Sentinel: rotate and retire the previous version",
        summary: prose!(
            "Rotate the key: Sentinel's store is rewrapped within the hour; after 24 hours, with the audit log quiet, disable the previous version."
        ),
        promise: prose!(
            "Microsoft Sentinel and Log Analytics support key rotation. When a user performs key rotation in Key Vault, Microsoft Sentinel supports the new key within an hour. … Disable the previous version of the key after 24 hours, or after the Azure Key Vault audit logs no longer show any activity that uses the previous version."
        ),
        source: prose!("Microsoft Sentinel CMK · Customer-managed key rotation"),
        pin_version: false,
        stages: &SENTINEL_ROTATE,
    },
    Drill {
        id: DrillId::SentinelUndefined,
        slug: "sentinel-undefined",
        title: "Sentinel: an undefined change is refused",
        summary: prose!(
            "Clear the cluster's key, unlink the workspace, remove the identity: each refused in the document's words, nothing changed."
        ),
        promise: prose!(
            "The following CMK-related changes are not supported because they may lead to undefined and problematic behavior: … Setting a Sentinel-onboarded, CMK-enabled workspace as a non-CMK workspace by unlinking it from its CMK-enabled dedicated cluster. Disabling CMK on a CMK-enabled Log Analytics dedicated cluster. … Revoking access by removing the key from the dedicated Log Analytics cluster, or by removing the identity associated with the dedicated Log Analytics cluster isn't supported."
        ),
        source: prose!(
            "Microsoft Sentinel CMK · Considerations; Key Encryption Key revocation or deletion"
        ),
        pin_version: false,
        stages: &SENTINEL_UNDEFINED,
    },
    Drill {
        id: DrillId::LockboxRevoke,
        slug: "lockbox-revoke",
        title: "Lockbox: approve, then revoke the key",
        summary: prose!(
            "Approve a Microsoft engineer's Lockbox request: the reads happen under your key. Revoke the key: within the hour the reads are refused, although the request is still approved. Restore it: they resume."
        ),
        promise: prose!(
            "Lockbox gives you the control to approve or reject Microsoft engineer request to access your data during a support request. In Azure Monitor, you have this control on data in workspaces linked to your Log Analytics dedicated cluster. The Lockbox control applies to data stored in a Log Analytics dedicated cluster where it's kept isolated in the cluster's storage accounts under your Lockbox protected subscription. … The cluster storage will always respect changes in key permissions within an hour or sooner and storage will become unavailable. … Approve grants access for a default eight hours."
        ),
        source: prose!(
            "Azure Monitor CMK · Customer Lockbox (preview); Key revocation · Customer Lockbox for Microsoft Azure"
        ),
        pin_version: false,
        stages: &LOCKBOX_REVOKE,
    },
    Drill {
        id: DrillId::ByosRevoke,
        slug: "byos-revoke",
        title: "Revoke the storage account's key",
        summary: prose!(
            "Disable the key of the storage account that keeps saved queries and alert queries: within the hour they can't be read, while the workspace's logs, under the cluster's key, still can; enable it and they come back."
        ),
        promise: prose!(
            "When you Bring Your Own Storage (BYOS) and link it to your workspace, the service uploads saved-searches and log alerts queries to your storage account. That means that you control the storage account and the encryption-at-rest policy either using the same key that you use to encrypt data in Log Analytics cluster, or a different key."
        ),
        source: prose!("Azure Monitor CMK · Customer-managed key for saved queries and log alerts"),
        pin_version: false,
        stages: &BYOS_REVOKE,
    },
    Drill {
        id: DrillId::LeastPrivilege,
        slug: "least-privilege",
        title: "Least privilege: who may change the key",
        summary: prose!(
            "Sign in as Sam, a Log Analytics Reader: reads and queries work, the key update gets ARM's 403. Made a Contributor, Sam still can't grant the cluster a role on an RBAC vault; Avery, an Owner, can."
        ),
        promise: prose!(
            "All operations on the cluster require the Microsoft.OperationalInsights/clusters/write action permission. This permission could be granted via the Owner or Contributor that contains the */write action or via the Log Analytics Contributor role that contains the Microsoft.OperationalInsights/* action."
        ),
        source: prose!(
            "Azure Monitor CMK · Permissions; Key Vault RBAC (roleAssignments/write: Owner or User Access Administrator)"
        ),
        pin_version: false,
        stages: &LEAST_PRIVILEGE,
    },
];

fn short(s: &str) -> String {
    s.chars().take(8).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::protocol::execute;

    /// Runs every stage of a drill against an engine, as the page does.
    fn run(id: DrillId, seed: u8) -> Driver {
        let mut e = Engine::with_seed([seed; 32]);
        let mut d = Driver::new(id);
        let mut snap = e.snapshot();
        while !d.finished() {
            match d.next(&snap) {
                Next::Send(Command::Reset { .. }) => {
                    let reply = execute(
                        &mut e,
                        &Command::Reset {
                            seed: Some([seed; 32]),
                        },
                    );
                    d.record(&reply);
                    snap = reply.snapshot;
                }
                Next::Send(cmd) => {
                    let reply = execute(&mut e, &cmd);
                    d.record(&reply);
                    snap = reply.snapshot;
                }
                Next::StageDone => {}
                Next::Stuck(why) => panic!("{id:?} stage {}: {why}", d.stage),
            }
        }
        d
    }

    /// "Restart this stage": the page rewinds its journal to where a stage began and runs the
    /// driver from [`Driver::restarted_at`]; the stage runs again and its checks hold again.
    #[test]
    fn a_stage_restarted_from_its_mark_runs_again_and_holds() {
        let seed = [8; 32];
        let seeded = |c: Command| match c {
            Command::Reset { seed: None } => Command::Reset { seed: Some(seed) },
            c => c,
        };
        let mut e = Engine::with_seed(seed);
        let mut d = Driver::new(DrillId::RevokeRecover);
        let (mut journal, mut marks) = (Vec::new(), Vec::new());
        let mut snap = e.snapshot();
        while !d.finished() {
            if d.at_stage_start() {
                marks.push(journal.len());
            }
            match d.next(&snap) {
                Next::Send(cmd) => {
                    let cmd = seeded(cmd);
                    let reply = execute(&mut e, &cmd);
                    d.record(&reply);
                    snap = reply.snapshot;
                    // The page's journal starts again at a Reset.
                    match cmd {
                        Command::Reset { .. } => journal.clear(),
                        c => journal.push(c),
                    }
                }
                Next::StageDone => {}
                Next::Stuck(why) => panic!("{why}"),
            }
        }
        assert!(d.passed());
        let k = 2;
        let mut e = Engine::with_seed(seed);
        for c in &journal[..marks[k]] {
            execute(&mut e, c);
        }
        let mut again = d.restarted_at(k);
        assert_eq!((again.stage, again.checks.len()), (k, k));
        let mut snap = e.snapshot();
        while !again.finished() {
            match again.next(&snap) {
                Next::Send(cmd) => {
                    let reply = execute(&mut e, &seeded(cmd));
                    again.record(&reply);
                    snap = reply.snapshot;
                }
                Next::StageDone => {}
                Next::Stuck(why) => panic!("{why}"),
            }
        }
        assert!(again.passed(), "{:?}", again.checks);
        assert_eq!(again.checks.len(), d.checks.len());
    }

    /// A drill's set-up stage only: a provisioned cluster with data.
    /// A saved session replays alike in either host: a long clock run builds the same world as
    /// one command (the page's host) or as the Worker's hour-long slices.
    #[test]
    fn a_long_advance_and_its_hourly_slices_build_the_same_world() {
        // The drill's set-up starts over from a fresh seed; pin it, as the page's session does.
        let pinned = || {
            let mut e = Engine::with_seed([6; 32]);
            let mut d = Driver::new(DrillId::RevokeRecover);
            let mut snap = e.snapshot();
            while d.stage < 1 {
                if let Next::Send(cmd) = d.next(&snap) {
                    let cmd = match cmd {
                        Command::Reset { seed: None } => Command::Reset {
                            seed: Some([6; 32]),
                        },
                        c => c,
                    };
                    let reply = execute(&mut e, &cmd);
                    d.record(&reply);
                    snap = reply.snapshot;
                }
            }
            e
        };
        let (mut whole, mut sliced) = (pinned(), pinned());
        assert_eq!(whole.snapshot(), sliced.snapshot(), "the same start");
        let total = 3 * 86_400 + 1_234;
        execute(&mut whole, &Command::Advance { seconds: total });
        let mut left = total;
        while left > 0 {
            let step = left.min(crate::protocol::ADVANCE_SLICE);
            execute(&mut sliced, &Command::Advance { seconds: step });
            left -= step;
        }
        assert_eq!(whole.snapshot(), sliced.snapshot());
        assert_eq!(whole.audit_log(), sliced.audit_log());
    }

    fn set_up(seed: u8) -> (Engine, Driver, Snapshot) {
        run_to_stage(DrillId::RevokeRecover, seed, 1)
    }

    /// A drill driven from a fresh engine until stage `stage` starts.
    fn run_to_stage(id: DrillId, seed: u8, stage: usize) -> (Engine, Driver, Snapshot) {
        let mut e = Engine::with_seed([seed; 32]);
        let mut d = Driver::new(id);
        let mut snap = e.snapshot();
        while d.stage < stage {
            match d.next(&snap) {
                Next::Send(cmd) => {
                    let reply = execute(&mut e, &cmd);
                    d.record(&reply);
                    snap = reply.snapshot;
                }
                Next::StageDone => {}
                Next::Stuck(why) => panic!("{why}"),
            }
        }
        (e, d, snap)
    }

    fn assert_passes(id: DrillId) {
        for seed in [1u8, 2] {
            let d = run(id, seed);
            if std::env::var("DRILL_DEBUG").is_ok() {
                for (i, checks) in d.checks.iter().enumerate() {
                    for c in checks {
                        eprintln!("{id:?} {i} [{}] {} — {}", c.ok, c.promise, c.observed);
                    }
                }
            }
            for (i, checks) in d.checks.iter().enumerate() {
                for c in checks {
                    assert!(
                        c.ok,
                        "{id:?} (seed {seed}) stage {i} “{}”: {}",
                        c.promise, c.observed
                    );
                }
            }
            assert_eq!(d.checks.len(), drill(id).stages.len());
        }
    }

    #[test]
    fn revoke_and_recover_passes_its_checks() {
        assert_passes(DrillId::RevokeRecover);
    }

    #[test]
    fn auto_rotation_passes_its_checks() {
        assert_passes(DrillId::AutoRotation);
    }

    #[test]
    fn pinned_version_forgotten_passes_its_checks() {
        assert_passes(DrillId::PinnedForget);
    }

    #[test]
    fn key_vault_outage_passes_its_checks() {
        assert_passes(DrillId::Outage);
    }

    #[test]
    fn identity_none_passes_its_checks() {
        assert_passes(DrillId::IdentityNone);
    }

    #[test]
    fn sentinel_revoke_and_restore_passes_its_checks() {
        assert_passes(DrillId::SentinelRevoke);
    }

    #[test]
    fn sentinel_rotate_and_retire_passes_its_checks() {
        assert_passes(DrillId::SentinelRotate);
    }

    #[test]
    fn sentinel_undefined_change_passes_its_checks() {
        assert_passes(DrillId::SentinelUndefined);
    }

    #[test]
    fn lockbox_approve_then_revoke_passes_its_checks() {
        assert_passes(DrillId::LockboxRevoke);
    }

    #[test]
    fn lockbox_checks_fail_when_the_key_is_not_revoked() {
        // Run the drill to its approval and first read, then skip the revocation: the
        // "refused" checks must fail.
        let (mut e, d, _) = run_to_stage(DrillId::LockboxRevoke, 9, 3);
        assert!(d.passed(), "{:#?}", d.checks);
        let snap = execute(&mut e, &Command::Advance { seconds: 2 * HOUR }).snapshot;
        let settings = d.settings();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let mut runs = d.runs.clone();
        runs.push(runs[2].clone());
        runs.push(runs[2].clone());
        let checks = lockbox_revoked_checks(&cx, &runs);
        assert!(
            !checks[0].ok && !checks[1].ok && checks[2].ok,
            "{checks:#?}"
        );
    }

    #[test]
    fn byos_revoke_passes_its_checks() {
        assert_passes(DrillId::ByosRevoke);
    }

    #[test]
    fn least_privilege_passes_its_checks() {
        assert_passes(DrillId::LeastPrivilege);
    }

    #[test]
    fn every_lever_sends_a_request_the_service_answers_as_documented() {
        // The set-up stage only, then each lever in an order where each one applies.
        let (mut e, d, mut snap) = set_up(4);
        let settings = d.settings();
        let expected = [
            (Lever::RotationPolicy, 200),
            (Lever::DisableInUse, 200),
            (Lever::EnableInUse, 200),
            (Lever::RemoveAccess, 200),
            (Lever::RestoreAccess, 200),
            (Lever::Rotate, 200),
            (Lever::DeleteKey, 200),
            (Lever::PurgeKey, 403),
            (Lever::RecoverKey, 200),
            (Lever::IdentityNone, 202),
        ];
        assert_eq!(expected.len(), Lever::all().len());
        for (lever, status) in expected {
            let cx = Context {
                snap: &snap,
                settings: &settings,
            };
            let cmd = lever
                .command(&cx)
                .unwrap_or_else(|e| panic!("{lever:?}: {e}"));
            let reply = execute(&mut e, &cmd);
            let r = reply.response.as_ref().expect("a REST reply");
            assert_eq!(r.status, status, "{lever:?}: {}", r.body);
            snap = reply.snapshot;
        }
        // Before anything exists, levers say why they can't be pulled instead of sending junk.
        let empty = Engine::with_seed([5; 32]).snapshot();
        let cx = Context {
            snap: &empty,
            settings: &settings,
        };
        assert!(Lever::DisableInUse.command(&cx).is_err());
    }

    #[test]
    fn sentinel_checks_fail_when_the_promise_is_not_kept() {
        // The Sentinel set-up only, then the "revoked" checks without revoking anything.
        let (_, d, snap) = run_to_stage(DrillId::SentinelRevoke, 7, 1);
        assert!(d.passed(), "{:#?}", d.checks);
        let settings = d.settings();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let mut runs = d.runs.clone();
        runs.push(runs[0].clone());
        runs.push(runs[0].clone());
        let checks = sentinel_revoked_checks(&cx, &runs);
        assert!(checks.iter().all(|c| !c.ok), "{checks:#?}");
        // And the undefined-change checks fail when a change went through.
        let checks = key_removal_checks(&cx, &runs);
        assert!(!checks[0].ok && !checks[1].ok, "{checks:#?}");
    }

    #[test]
    fn checks_fail_when_the_promise_is_not_kept() {
        // Skip the revocation: the "within an hour" checks must then fail.
        let (_, d, snap) = set_up(3);
        let settings = d.settings();
        let cx = Context {
            snap: &snap,
            settings: &settings,
        };
        let mut runs = d.runs.clone();
        runs.push(runs[0].clone());
        let checks = revoked_checks(&cx, &runs, 1);
        assert!(checks.iter().any(|c| !c.ok), "{checks:#?}");
    }
}
