//! The page's state and its reducer. Pure: sending commands is the [`super::Runner`]'s job; this
//! only records what was asked and what came back.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::Reducible;

use crate::drills::Driver;
use crate::engine::storage::BlockInspection;
use crate::engine::{Response, Snapshot};
use crate::protocol::{Command, Reply};
use crate::walkthrough::{Card, Draft, Guide, Mistake, Settings};

/// One request and its response, as the history and the cards show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub seq: usize,
    /// Where it was sent from: "Step 2 · ...", "Console", "Operation status".
    pub source: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub response: Response,
    /// The credentials the page added (`Authorization`, and `x-ms-date` for the Data Collector
    /// API): what was really sent besides `headers`.
    pub credentials: Vec<(String, String)>,
    /// How the bearer token was come by, when not the one already held: a first token for the
    /// service, or a refresh of one close to expiry.
    pub token_note: Option<String>,
    /// Virtual time when it was sent.
    pub at: u64,
    /// Wall-clock time the engine took.
    pub millis: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Walkthrough,
    Drills,
    Logs,
    Console,
    Az,
    Pwsh,
    Timeline,
    Audit,
    Catalogue,
}

impl Tab {
    pub fn all() -> [Tab; 9] {
        [
            Tab::Walkthrough,
            Tab::Drills,
            Tab::Logs,
            Tab::Console,
            Tab::Az,
            Tab::Pwsh,
            Tab::Timeline,
            Tab::Audit,
            Tab::Catalogue,
        ]
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Walkthrough => "Walkthrough",
            Tab::Drills => "Drills",
            Tab::Logs => "Logs",
            Tab::Console => "Console",
            Tab::Az => "az",
            Tab::Pwsh => "PowerShell",
            Tab::Timeline => "Timeline",
            Tab::Audit => "Audit log",
            Tab::Catalogue => "Errors",
        }
    }
}

/// The console's editor contents.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleDraft {
    pub method: String,
    pub url: String,
    pub headers: String,
    pub body: String,
    /// History index of the response on show.
    pub shown: Option<usize>,
}

impl Default for ConsoleDraft {
    fn default() -> Self {
        ConsoleDraft {
            method: "GET".into(),
            url: "https://management.azure.com/subscriptions?api-version=2022-12-01".into(),
            headers: "Content-Type: application/json".into(),
            body: String::new(),
            shown: None,
        }
    }
}

/// A console (`az` or PowerShell): the script being typed, the variables the last run left,
/// the scripts run (for Up/Down recall) and the terminal's contents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AzConsole {
    pub script: String,
    pub env: Vec<(String, String)>,
    pub recent: Vec<String>,
    /// Position in `recent` while recalling (None: editing a new script).
    pub recall: Option<usize>,
    pub runs: Vec<AzRun>,
}

/// One run in the terminal: the script, what it printed, its exit status, and the history
/// entries of the requests it sent.
#[derive(Clone, Debug, PartialEq)]
pub struct AzRun {
    pub script: String,
    pub output: Vec<crate::consoles::OutputChunk>,
    pub status: i32,
    pub requests: Vec<usize>,
}

/// How many runs the terminal keeps (older ones scroll away; their requests stay in history).
pub const AZ_RUNS_KEPT: usize = 50;

/// A command on its way to the engine, with what the page needs to file its reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub cmd: Command,
    pub source: String,
    pub card: Option<Card>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    pub snap: Rc<Snapshot>,
    pub ready: bool,
    /// What the engine is doing, and since when (wall-clock ms).
    pub busy: Option<(String, f64)>,
    /// The running command is a long clock move the person may stop.
    pub cancellable: bool,
    pub history: Rc<Vec<Exchange>>,
    /// Cards the user edited (or loaded with a mistake); others follow their template.
    pub edits: Rc<BTreeMap<Card, (Draft, Option<Mistake>)>>,
    /// Each card's latest exchange (index in `history`).
    pub last: Rc<BTreeMap<Card, usize>>,
    pub settings: Rc<Settings>,
    /// The Azure Monitor walkthrough's step on show.
    pub step: usize,
    /// Which walkthrough the Walkthrough tab shows.
    pub guide: Guide,
    /// The Microsoft Sentinel walkthrough's step on show.
    pub sentinel_step: usize,
    /// The Customer Lockbox walkthrough's step on show.
    pub lockbox_step: usize,
    /// The saved queries and alerts walkthrough's step on show.
    pub byos_step: usize,
    pub tab: Tab,
    pub notice: Option<String>,
    pub console: Rc<ConsoleDraft>,
    pub az: Rc<AzConsole>,
    pub pwsh: Rc<AzConsole>,
    pub host_kind: &'static str,
    /// Where bulk AES-256-GCM runs ("WebCrypto" or "wasm").
    pub sealing: &'static str,
    /// Progress of a long command (fraction, what).
    pub progress: Option<(f64, String)>,
    pub logs: Rc<LogsDraft>,
    /// The block open in the inspector, and what inspecting it showed.
    pub inspection: Option<Rc<BlockInspection>>,
    /// The drill in progress (or finished), with its checks.
    pub drill: Option<Rc<Driver>>,
    /// What the key hierarchy highlights (a timeline entry's subject).
    pub highlight: Option<String>,
    /// The timeline's filters, kept while the user visits other tabs.
    pub timeline_filter: Rc<TimelineFilter>,
    /// A saved session is being replayed: replies are filed, but the page waits for the end.
    pub restoring: bool,
    /// The session is saved in the browser as it goes (see `super::session`).
    pub saved: bool,
    /// A session was put aside (by a share link, a file, a rewind, a drill or "New session"),
    /// and "Restore" can bring it back.
    pub previous: bool,
    /// Journal length when each stage of the drill on show began (for "Restart this stage").
    pub drill_marks: Rc<Vec<usize>>,
}

/// Which timeline events are shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineFilter {
    pub hidden: Vec<crate::engine::journal::Category>,
    pub alerts_only: bool,
    pub search: String,
}

/// The logs view's editors and its last query.
#[derive(Clone, Debug, PartialEq)]
pub struct LogsDraft {
    /// Customer id of the workspace the view works on (None: the first one).
    pub workspace: Option<String>,
    pub log_type: String,
    pub records: String,
    pub query: String,
    /// History index of the last query's exchange.
    pub last_query: Option<usize>,
    /// History index of the last ingestion's exchange.
    pub last_ingest: Option<usize>,
    /// Query history: (workspace customer id, query text), newest first. Never kept for a
    /// workspace linked for Query ("Query history isn't supported"), and dropped once it is.
    pub recent: Vec<(String, String)>,
}

impl Default for LogsDraft {
    fn default() -> Self {
        LogsDraft {
            workspace: None,
            log_type: "AppEvents".into(),
            records: "[\n  { \"Level\": \"Error\", \"Message\": \"Payment service timed out\", \"DurationMs\": 5012, \"Retried\": true },\n  { \"Level\": \"Info\", \"Message\": \"Order 1042 shipped\", \"DurationMs\": 87, \"Retried\": false }\n]".into(),
            // Answers the sample records above, so the first query a user runs finds data.
            query: "AppEvents_CL\n| where TimeGenerated > ago(1h)\n| summarize count() by Level_s\n| order by Level_s asc".into(),
            last_query: None,
            last_ingest: None,
            recent: Vec::new(),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            snap: Rc::new(Snapshot::default()),
            ready: false,
            busy: None,
            cancellable: false,
            history: Rc::new(Vec::new()),
            edits: Rc::new(BTreeMap::new()),
            last: Rc::new(BTreeMap::new()),
            settings: Rc::new(Settings::default()),
            step: 1,
            guide: Guide::Monitor,
            sentinel_step: 1,
            lockbox_step: 1,
            byos_step: 1,
            tab: Tab::Walkthrough,
            notice: None,
            console: Rc::new(ConsoleDraft::default()),
            az: Rc::default(),
            pwsh: Rc::default(),
            host_kind: "starting",
            sealing: "wasm",
            progress: None,
            logs: Rc::new(LogsDraft::default()),
            inspection: None,
            drill: None,
            highlight: None,
            timeline_filter: Rc::default(),
            restoring: false,
            saved: false,
            previous: false,
            drill_marks: Rc::default(),
        }
    }
}

pub enum Action {
    /// What the engine is doing, since when, and whether the person may stop it.
    Busy(String, f64, bool),
    Replied {
        reply: Box<Reply>,
        sent: Sent,
        millis: f64,
        host_kind: &'static str,
        sealing: &'static str,
    },
    Progress(f64, String),
    Logs(LogsDraft),
    CloseInspector,
    Failed(String),
    Edit(Card, Draft),
    Reset(Card),
    Mistake(Mistake, Draft),
    Step(usize),
    /// Show this walkthrough.
    Guide(Guide),
    SentinelStep(usize),
    LockboxStep(usize),
    ByosStep(usize),
    Tab(Tab),
    Notice(Option<String>),
    Console(ConsoleDraft),
    Az(AzConsole),
    Pwsh(AzConsole),
    /// Show a history entry in the console, with its request loaded into the editor.
    Inspect(usize),
    PinVersion(bool),
    Drill(Option<Driver>),
    Highlight(Option<String>),
    TimelineFilter(TimelineFilter),
    Restoring(bool),
    Saved(bool),
    Previous(bool),
    /// The drill's stage `.0` begins with the journal `.1` commands long.
    DrillMark(usize, usize),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Busy(label, since, cancellable) => {
                s.busy = Some((label, since));
                s.cancellable = cancellable;
                s.progress = None;
            }
            Action::Progress(f, label) => s.progress = Some((f, label)),
            Action::Failed(msg) => {
                s.busy = None;
                s.cancellable = false;
                s.progress = None;
                s.notice = Some(msg);
            }
            Action::Logs(l) => s.logs = Rc::new(l),
            Action::CloseInspector => s.inspection = None,
            Action::Replied {
                reply,
                sent,
                millis,
                host_kind,
                sealing,
            } => {
                s.busy = None;
                s.cancellable = false;
                s.progress = None;
                s.ready |= !s.restoring;
                if let (Command::Advance { seconds }, true) = (&sent.cmd, reply.cancelled) {
                    s.notice = Some(format!(
                        "Stopped: the clock moved {} of the {} asked for, to {}.",
                        crate::engine::clock::duration(reply.snapshot.now - reply.started),
                        crate::engine::clock::duration(*seconds),
                        crate::engine::clock::human(reply.snapshot.now),
                    ));
                }
                s.host_kind = host_kind;
                s.sealing = sealing;
                if let Some(e) = reply.error.as_ref().filter(|_| !s.restoring) {
                    s.notice = Some(e.clone());
                }
                if let Some(i) = reply.inspection.clone().filter(|_| !s.restoring) {
                    s.inspection = Some(Rc::new(i));
                }
                if let Command::Reset { .. } = sent.cmd {
                    // A new world: what the page remembered about the old one no longer applies.
                    s.history = Rc::new(Vec::new());
                    s.edits = Rc::new(BTreeMap::new());
                    s.last = Rc::new(BTreeMap::new());
                    s.console = Rc::new(ConsoleDraft::default());
                    s.az = Rc::default();
                    s.logs = Rc::new(LogsDraft::default());
                    s.inspection = None;
                    s.highlight = None;
                }
                if let (
                    Command::Request {
                        method,
                        url,
                        headers,
                        body,
                    },
                    Some(response),
                ) = (&sent.cmd, &reply.response)
                {
                    let token_note = token_note(&s.snap, &reply.credentials);
                    let mut history = (*s.history).clone();
                    let seq = history.len();
                    history.push(Exchange {
                        seq,
                        source: sent.source.clone(),
                        method: method.clone(),
                        url: url.clone(),
                        headers: headers.clone(),
                        body: body.clone(),
                        response: response.clone(),
                        credentials: reply.credentials.clone(),
                        token_note,
                        at: reply.started,
                        millis,
                    });
                    s.history = Rc::new(history);
                    if let Some(card) = sent.card {
                        let mut last = (*s.last).clone();
                        last.insert(card, seq);
                        s.last = Rc::new(last);
                    }
                    if sent.source == "Console" {
                        let mut c = (*s.console).clone();
                        c.shown = Some(seq);
                        s.console = Rc::new(c);
                    }
                    if sent.source == "Query" || sent.source == "Ingest" {
                        let mut l = (*s.logs).clone();
                        if sent.source == "Query" {
                            l.last_query = Some(seq);
                            if let Some(q) = query_of(url, body.as_deref()) {
                                l.recent.retain(|r| *r != q);
                                l.recent.insert(0, q);
                                l.recent.truncate(RECENT_QUERIES);
                            }
                        } else {
                            l.last_ingest = Some(seq);
                        }
                        s.logs = Rc::new(l);
                    }
                }
                let console = match &sent.cmd {
                    Command::Az { script, .. } => Some((script, "az", false)),
                    Command::Pwsh { script, .. } => Some((script, "PowerShell", true)),
                    _ => None,
                };
                if let (Some((script, source, pwsh)), Some(run)) = (console, &reply.console) {
                    // Each request the script sent joins the page's history, like the console's.
                    let mut history = (*s.history).clone();
                    let mut requests = Vec::new();
                    for x in &run.exchanges {
                        let seq = history.len();
                        requests.push(seq);
                        history.push(Exchange {
                            seq,
                            source: source.into(),
                            method: x.method.clone(),
                            url: x.url.clone(),
                            headers: x.headers.clone(),
                            body: x.body.clone(),
                            response: x.response.clone(),
                            credentials: x.credentials.clone(),
                            token_note: token_note(&s.snap, &x.credentials),
                            at: x.at,
                            millis: 0.0,
                        });
                    }
                    s.history = Rc::new(history);
                    let mut a = if pwsh {
                        (*s.pwsh).clone()
                    } else {
                        (*s.az).clone()
                    };
                    a.env = run.env.clone();
                    a.runs.push(AzRun {
                        script: script.clone(),
                        output: run.output.clone(),
                        status: run.status,
                        requests,
                    });
                    let extra = a.runs.len().saturating_sub(AZ_RUNS_KEPT);
                    a.runs.drain(..extra);
                    if a.recent.last() != Some(script) {
                        a.recent.push(script.clone());
                    }
                    if pwsh {
                        s.pwsh = Rc::new(a);
                    } else {
                        s.az = Rc::new(a);
                    }
                }
                s.snap = Rc::new(reply.snapshot);
                // No query history for a workspace linked for Query, whatever ran before.
                let linked: Vec<&str> = s
                    .snap
                    .workspaces
                    .iter()
                    .filter(|w| crate::byos_walkthrough::query_linked(w))
                    .map(|w| w.customer_id.as_str())
                    .collect();
                if s.logs
                    .recent
                    .iter()
                    .any(|(c, _)| linked.contains(&c.as_str()))
                {
                    let mut l = (*s.logs).clone();
                    l.recent.retain(|(c, _)| !linked.contains(&c.as_str()));
                    s.logs = Rc::new(l);
                }
            }
            Action::Edit(card, draft) => {
                let mut edits = (*s.edits).clone();
                let mistake = edits.get(&card).and_then(|(_, m)| *m);
                edits.insert(card, (draft, mistake));
                s.edits = Rc::new(edits);
            }
            Action::Reset(card) => {
                let mut edits = (*s.edits).clone();
                edits.remove(&card);
                s.edits = Rc::new(edits);
            }
            Action::Mistake(m, draft) => {
                let mut edits = (*s.edits).clone();
                edits.insert(m.card(), (draft, Some(m)));
                s.edits = Rc::new(edits);
            }
            Action::Step(n) => s.step = n.clamp(1, crate::walkthrough::STEPS.len()),
            Action::Guide(g) => s.guide = g,
            Action::SentinelStep(n) => {
                s.sentinel_step = n.clamp(1, crate::sentinel_walkthrough::STEPS.len())
            }
            Action::LockboxStep(n) => {
                s.lockbox_step = n.clamp(1, crate::lockbox_walkthrough::STEPS.len())
            }
            Action::ByosStep(n) => s.byos_step = n.clamp(1, crate::byos_walkthrough::STEPS.len()),
            Action::Tab(t) => s.tab = t,
            Action::Notice(n) => s.notice = n,
            Action::Console(c) => s.console = Rc::new(c),
            Action::Az(a) => s.az = Rc::new(a),
            Action::Pwsh(a) => s.pwsh = Rc::new(a),
            Action::Inspect(i) => {
                if let Some(x) = s.history.get(i) {
                    s.console = Rc::new(ConsoleDraft {
                        method: x.method.clone(),
                        url: x.url.clone(),
                        headers: x
                            .headers
                            .iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                        body: x.body.clone().unwrap_or_default(),
                        shown: Some(i),
                    });
                    s.tab = Tab::Console;
                }
            }
            Action::Drill(d) => s.drill = d.map(Rc::new),
            Action::Highlight(h) => s.highlight = h,
            Action::TimelineFilter(f) => s.timeline_filter = Rc::new(f),
            Action::Restoring(on) => s.restoring = on,
            Action::Saved(on) => s.saved = on,
            Action::Previous(on) => s.previous = on,
            Action::DrillMark(stage, len) => {
                let mut marks = (*s.drill_marks).clone();
                marks.truncate(stage);
                marks.resize(stage, 0);
                marks.push(len);
                s.drill_marks = Rc::new(marks);
            }
            Action::PinVersion(pin) => {
                let mut settings = (*s.settings).clone();
                settings.pin_version = pin;
                s.settings = Rc::new(settings);
                let mut edits = (*s.edits).clone();
                edits.remove(&Card::KeyIdentifier);
                s.edits = Rc::new(edits);
            }
        }
        Rc::new(s)
    }
}

/// How the bearer token in `credentials` was come by, judged from the tokens the host held
/// before (`before`): None when it was one of them.
fn token_note(before: &Snapshot, credentials: &[(String, String)]) -> Option<String> {
    let token = credentials
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Authorization"))
        .and_then(|(_, v)| v.strip_prefix("Bearer "))?;
    let held = &before.session.tokens;
    if held.iter().any(|t| t.token == token) {
        return None;
    }
    let aud = crate::engine::entra::decode_claims(token)
        .and_then(|c| c["aud"].as_str().map(str::to_string))
        .unwrap_or_default();
    Some(match held.iter().find(|t| t.audience == aud) {
        Some(old) => format!(
            "Refreshed: the token held for {aud} expires at {}, within 5 minutes of this request (or before it), so the page got a new one from the token endpoint first.",
            crate::engine::clock::human(old.expires)
        ),
        None => format!(
            "New token: the page held none for {aud}, so it got one from the token endpoint first."
        ),
    })
}

/// How many queries the Logs view's history keeps.
pub const RECENT_QUERIES: usize = 8;

/// The workspace (customer id) and the KQL text of a Query API request.
fn query_of(url: &str, body: Option<&str>) -> Option<(String, String)> {
    let customer_id = url
        .split("/v1/workspaces/")
        .nth(1)?
        .split('/')
        .next()?
        .to_string();
    let v: serde_json::Value = serde_json::from_str(body?).ok()?;
    let q = v["query"].as_str()?.trim().to_string();
    (!q.is_empty()).then_some((customer_id, q))
}
