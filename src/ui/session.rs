//! The session survives a reload, and can be shared, exported, imported, rewound and put aside.
//! The engine is deterministic given its 32-byte seed and the sequence of protocol commands it
//! ran, so the page keeps exactly that ([`Journal`]), never the world itself: it picks the seed,
//! starts the engine from it (`Reset { seed }`), and journals every command that can change state
//! (all but `Snapshot`) once it has succeeded, in order, in localStorage. Opening a session (a
//! reload, a share link, a file, a rewind, a preset) replays its journal through the same host
//! before the page becomes interactive.
//!
//! Invariant: replaying `seed` then `entries` in order rebuilds the world the user left. Each
//! entry also carries what its reply showed (status, clock, refusal), so a journal that replays
//! differently (another build's engine) is detected and discarded rather than shown half-right.
//! A session is never silently replaced: opening another one (a link, a file, a rewind, a drill,
//! "New session") puts the current one aside, and "Restore" brings it back.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use yew::UseReducerDispatcher;

use super::host::Host;
use super::state::{Action, AppState, Sent};
use crate::drills::{DRILLS, Driver, Next};
use crate::presets::{self, Preset};
use crate::protocol::{Command, Reply};
use crate::recording::{Entry, Journal};
use crate::walkthrough::Card;

/// Where the page's session lives in localStorage.
pub const KEY: &str = "cmk-playground.session.v1";
/// The session put aside lives under the same key with this suffix.
const PREVIOUS: &str = ".previous";

/// Where a session is kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Keeping {
    /// In localStorage under this key (the full page).
    Storage(String),
    /// Only in the tab: a documentation embed stores nothing, but can still be shared or opened
    /// in the full playground.
    Tab,
}

/// What the page opens when it starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Opening {
    /// The saved session, if any, else a fresh world.
    Saved,
    /// A share link's session (or why it could not be read).
    Shared(Result<Journal, String>),
    /// A preset world, built from [`presets::SEED`].
    Preset(Preset),
}

struct Inner {
    key: Option<String>,
    journal: RefCell<Journal>,
    /// The session put aside when another was opened.
    previous: RefCell<Option<Journal>>,
    /// False once storage failed (unavailable, or over quota): the session is then kept only in
    /// the tab, and the page says so once.
    saving: Cell<bool>,
    /// A session is being replayed or built; the page sends nothing else meanwhile.
    replaying: Cell<bool>,
    dispatch: RefCell<Option<UseReducerDispatcher<AppState>>>,
    host: RefCell<Option<Host>>,
    /// What to do once the session being opened is ready (a drill restarting a stage).
    after: RefCell<Option<AfterOpen>>,
    /// During a replay: the world before the next command, and the drill the journal ran (so a
    /// reload or a shared link shows the drill's stages and checks, not only its world).
    before: RefCell<Option<crate::engine::Snapshot>>,
    drill: RefCell<Option<(Driver, Vec<usize>)>>,
}

/// The journal source of a drill's commands (`ui::drills` sends them under it).
pub fn drill_source(d: &Driver) -> String {
    format!("Drill · {}", d.spec().title)
}

type AfterOpen = Box<dyn FnOnce(crate::engine::Snapshot)>;

/// The journal of the page's session; clones share it.
#[derive(Clone)]
pub struct Session(Rc<Inner>);

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// A fresh seed from the platform's CSPRNG (WebCrypto).
pub fn fresh_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the platform CSPRNG is unavailable");
    seed
}

const UNSAVED: &str = "This session can't be saved in this browser's storage, so a reload or closing the tab will lose it.";

impl Session {
    /// The session, kept as `keeping` says, with a fresh seed until [`Session::start`].
    pub fn new(keeping: &Keeping) -> Session {
        let key = match keeping {
            Keeping::Storage(k) => Some(k.clone()),
            Keeping::Tab => None,
        };
        Session(Rc::new(Inner {
            saving: Cell::new(key.is_some() && storage().is_some()),
            key,
            journal: RefCell::new(Journal::new(fresh_seed())),
            previous: RefCell::new(None),
            replaying: Cell::new(false),
            dispatch: RefCell::new(None),
            host: RefCell::new(None),
            after: RefCell::new(None),
            before: RefCell::new(None),
            drill: RefCell::new(None),
        }))
    }

    fn dispatch(&self, a: Action) {
        if let Some(d) = self.0.dispatch.borrow().as_ref() {
            d.dispatch(a);
        }
    }

    fn host(&self) -> Option<Host> {
        self.0.host.borrow().clone()
    }

    /// Starts the page: `opening` decides what it shows. Call once, when the page starts; the
    /// page becomes interactive when it is done.
    pub fn start(&self, host: Host, dispatch: UseReducerDispatcher<AppState>, opening: Opening) {
        *self.0.host.borrow_mut() = Some(host);
        *self.0.dispatch.borrow_mut() = Some(dispatch);
        if let Some(key) = &self.0.key {
            let previous = storage()
                .and_then(|s| s.get_item(&format!("{key}{PREVIOUS}")).ok().flatten())
                .and_then(|t| serde_json::from_str::<Journal>(&t).ok());
            self.dispatch(Action::Previous(previous.is_some()));
            *self.0.previous.borrow_mut() = previous;
        }
        let saved = match &self.0.key {
            None => Some(None),
            Some(key) => storage().map(|s| {
                s.get_item(key)
                    .ok()
                    .flatten()
                    .map(|t| serde_json::from_str::<Journal>(&t))
            }),
        };
        if self.0.key.is_some() && saved.is_some() {
            self.dispatch(Action::Saved(true));
        }
        match (opening, saved) {
            (Opening::Shared(Ok(journal)), saved) => {
                if let Some(Some(Ok(own))) = saved {
                    self.put_aside(own);
                }
                let n = journal.entries.len();
                self.replay(
                    journal,
                    Some(format!("Opened a shared session: {n} commands replayed.")),
                );
            }
            (Opening::Preset(p), saved) => {
                if let Some(Some(Ok(own))) = saved {
                    self.put_aside(own);
                }
                self.build(p)
            }
            (Opening::Shared(Err(why)), saved) => {
                self.dispatch(Action::Notice(Some(why)));
                self.resume(saved);
            }
            (Opening::Saved, saved) => self.resume(saved),
        }
    }

    /// Continues the saved session (`saved`: storage's answer; None when there is no storage).
    fn resume(&self, saved: Option<Option<Result<Journal, serde_json::Error>>>) {
        match saved {
            None => {
                self.dispatch(Action::Notice(Some(format!(
                    "{UNSAVED} (Local storage is unavailable.)"
                ))));
                self.begin();
            }
            Some(None) => self.begin(),
            Some(Some(Err(_))) => {
                self.discard();
                self.begin();
            }
            Some(Some(Ok(journal))) => self.replay(journal, None),
        }
    }

    /// A new world from the session's seed; the page becomes interactive with its reply.
    fn begin(&self) {
        let seed = self.0.journal.borrow().seed;
        self.send(start_sent(seed), |_| {});
    }

    fn discard(&self) {
        if let (Some(s), Some(key)) = (storage(), &self.0.key) {
            let _ = s.remove_item(key);
        }
        self.dispatch(Action::Notice(Some(
            "Your saved session could not be restored (it was saved by another version of the playground), so this is a fresh start.".into(),
        )));
    }

    /// The session as it stands: its seed and journal.
    pub fn journal(&self) -> Journal {
        self.0.journal.borrow().clone()
    }

    /// How many commands the session has journalled.
    pub fn commands(&self) -> usize {
        self.0.journal.borrow().entries.len()
    }

    /// Opens `journal` in place of the current session, which is put aside (`why` is said when
    /// it is ready: "Rewound to …", "Opened …").
    pub fn open(&self, journal: Journal, why: String) {
        if self.0.replaying.get() {
            return;
        }
        self.put_aside(self.journal());
        self.replay(journal, Some(why));
    }

    /// [`Session::open`], then `then` with the world it rebuilt.
    pub fn open_then(
        &self,
        journal: Journal,
        why: String,
        then: impl FnOnce(crate::engine::Snapshot) + 'static,
    ) {
        if self.0.replaying.get() {
            return;
        }
        *self.0.after.borrow_mut() = Some(Box::new(then));
        self.open(journal, why);
    }

    /// A new, empty world with a fresh seed; the current session is put aside.
    pub fn start_new(&self) {
        self.open(
            Journal::new(fresh_seed()),
            "A new session: an empty world. The previous one was put aside; Restore brings it back."
                .into(),
        );
    }

    /// Brings the session put aside back, putting the current one aside in its place.
    pub fn restore_previous(&self) {
        let Some(previous) = self.0.previous.borrow().clone() else {
            return;
        };
        let n = previous.entries.len();
        self.open(
            previous,
            format!("Restored the session you put aside ({n} commands); the one you left is put aside in turn."),
        );
    }

    /// Keeps `journal` as the session put aside (one at a time: the newest wins).
    fn put_aside(&self, journal: Journal) {
        if journal.entries.is_empty() {
            return;
        }
        if let (Some(s), Some(key)) = (storage(), &self.0.key) {
            if let Ok(text) = serde_json::to_string(&journal) {
                let _ = s.set_item(&format!("{key}{PREVIOUS}"), &text);
            }
        }
        *self.0.previous.borrow_mut() = Some(journal);
        self.dispatch(Action::Previous(true));
    }

    /// Replays `journal` one command at a time, showing progress; on a divergence starts fresh.
    fn replay(&self, journal: Journal, said: Option<String>) {
        self.dispatch(Action::Restoring(true));
        self.0.replaying.set(true);
        let t0 = super::util::now_ms();
        let entries = Rc::new(journal.entries.clone());
        *self.0.journal.borrow_mut() = journal.clone();
        *self.0.drill.borrow_mut() = None;
        let session = self.clone();
        self.send(start_sent(journal.seed), move |reply| {
            *session.0.before.borrow_mut() = reply.map(|r| r.snapshot.clone());
            session.replay_from(0, entries, t0, said)
        });
    }

    fn replay_from(&self, k: usize, entries: Rc<Vec<Entry>>, t0: f64, said: Option<String>) {
        let n = entries.len();
        let Some(entry) = entries.get(k).cloned() else {
            let ms = super::util::now_ms() - t0;
            web_sys::console::log_1(
                &format!("cmk-playground: restored {n} commands in {ms:.0} ms").into(),
            );
            self.show_drill();
            self.finish(said);
            return;
        };
        let label = format!("Restoring the session: {} of {n}", k + 1);
        self.dispatch(Action::Busy(label.clone(), super::util::now_ms(), false));
        self.dispatch(Action::Progress(k as f64 / n as f64, label));
        let session = self.clone();
        let (cmd, source, card) = (entry.cmd.clone(), entry.source.clone(), entry.card);
        let following = self.follow_drill(k, &entry);
        let next = move |reply: Option<&Reply>| match reply {
            Some(r) if entry.matches(r) => {
                if following {
                    if let Some((d, _)) = session.0.drill.borrow_mut().as_mut() {
                        d.record(r);
                    }
                }
                *session.0.before.borrow_mut() = Some(r.snapshot.clone());
                // Fill in what older journals and rewinds lack (checks, timeline lengths).
                if let Some(e) = session.0.journal.borrow_mut().entries.get_mut(k) {
                    *e = Entry::new(e.cmd.clone(), e.source.clone(), e.card, r);
                }
                session.replay_from(k + 1, entries, t0, said)
            }
            Some(_) => session.fresh_start(),
            // The engine failed (its error is on screen): the saved session is not at fault,
            // so it stays for the next load, and nothing more is saved over it.
            None => {
                session.0.saving.set(false);
                session.0.replaying.set(false);
                session.dispatch(Action::Restoring(false));
                session.dispatch(Action::Saved(false));
            }
        };
        self.send(sent(cmd, &source, card), next);
    }

    /// Follows a drill through the replay: entry `k` is the next command its driver would send
    /// (the driver is deterministic, like the engine), so the driver is told its reply. Returns
    /// whether it follows; any mismatch (the person's own commands between stages are fine: the
    /// driver is only asked at the drill's own commands) drops the drill, never the replay.
    fn follow_drill(&self, k: usize, entry: &Entry) -> bool {
        let mut drill = self.0.drill.borrow_mut();
        let before = self.0.before.borrow();
        let (Some(snap), Some(title)) = (before.as_ref(), entry.source.strip_prefix("Drill · "))
        else {
            return false;
        };
        let Some(spec) = DRILLS.iter().find(|d| d.title == title) else {
            *drill = None;
            return false;
        };
        if drill.as_ref().is_none_or(|(d, _)| d.drill != spec.id) {
            // A drill starts over (its set-up's Reset began this journal).
            if k != 0 {
                *drill = None;
                return false;
            }
            let mut d = Driver::new(spec.id);
            if !matches!(
                d.next(snap),
                Next::Send(crate::protocol::Command::Reset { .. })
            ) {
                return false;
            }
            *drill = Some((d, vec![0]));
        }
        let Some((d, marks)) = drill.as_mut() else {
            return false;
        };
        for _ in 0..=d.spec().stages.len() {
            let mut probe = d.clone();
            let starts = probe.at_stage_start();
            match probe.next(snap) {
                Next::StageDone => *d = probe,
                Next::Send(cmd) if cmd == entry.cmd => {
                    if starts && probe.stage > 0 {
                        marks.resize(probe.stage, 0);
                        marks.push(k);
                    }
                    *d = probe;
                    return true;
                }
                _ => break,
            }
        }
        *drill = None;
        false
    }

    /// After a replay: the drill the journal ran, with its stages' checks, back on the page.
    fn show_drill(&self) {
        let Some((mut d, marks)) = self.0.drill.borrow_mut().take() else {
            return;
        };
        if let Some(snap) = self.0.before.borrow().as_ref() {
            // The last stage's checks run when the driver is next asked.
            let mut probe = d.clone();
            if probe.next(snap) == Next::StageDone {
                d = probe;
            }
        }
        for (stage, len) in marks.into_iter().enumerate() {
            self.dispatch(Action::DrillMark(stage, len));
        }
        self.dispatch(Action::Drill(Some(d)));
    }

    /// A replay or a build is over: save what it made, let the page go, and say `said`.
    fn finish(&self, said: Option<String>) {
        self.dispatch(Action::Restoring(false));
        self.0.replaying.set(false);
        if let Some(n) = self.save() {
            self.dispatch(Action::Saved(false));
            self.dispatch(Action::Notice(Some(n)));
        } else if said.is_some() {
            self.dispatch(Action::Notice(said));
        }
        let after = self.0.after.borrow_mut().take();
        self.send(sent(Command::Snapshot, "Start", None), move |reply| {
            if let (Some(f), Some(r)) = (after, reply) {
                f(r.snapshot.clone());
            }
        });
    }

    /// Builds `preset`'s world from [`presets::SEED`], journalling each command it sends.
    fn build(&self, preset: Preset) {
        self.dispatch(Action::Restoring(true));
        self.0.replaying.set(true);
        *self.0.journal.borrow_mut() = Journal::new(presets::SEED);
        let session = self.clone();
        self.send(start_sent(presets::SEED), move |reply| {
            if let Some(r) = reply {
                session.build_from(preset, r.snapshot.clone());
            }
        });
    }

    fn build_from(&self, preset: Preset, snap: crate::engine::Snapshot) {
        let n = self.commands();
        let Some(cmd) = preset.next(&snap).filter(|_| n < presets::MAX_COMMANDS) else {
            if n >= presets::MAX_COMMANDS {
                self.dispatch(Action::Notice(Some(format!(
                    "Building {} did not finish after {n} commands.",
                    preset.describe()
                ))));
            }
            self.finish(None);
            return;
        };
        let label = format!("Preparing {}: command {}", preset.describe(), n + 1);
        self.dispatch(Action::Busy(label.clone(), super::util::now_ms(), false));
        // A preset sends about 10 to 25 commands.
        self.dispatch(Action::Progress((n as f64 / 20.0).min(0.95), label));
        let session = self.clone();
        let source = format!("Preset · {}", preset.describe());
        let s = sent(cmd.clone(), &source, None);
        self.send(s, move |reply| {
            if let Some(r) = reply {
                let refused = r.error.is_some() || r.response.as_ref().is_some_and(|x| x.status >= 400);
                session
                    .0
                    .journal
                    .borrow_mut()
                    .entries
                    .push(Entry::new(cmd, source, None, r));
                if refused {
                    session.dispatch(Action::Notice(Some(format!(
                        "Building {} stopped: a request was refused (see the REST console's history).",
                        preset.describe()
                    ))));
                    session.finish(None);
                } else {
                    session.build_from(preset, r.snapshot.clone());
                }
            }
        });
    }

    /// The session replayed differently: forget it and start over with a new seed.
    fn fresh_start(&self) {
        self.discard();
        *self.0.journal.borrow_mut() = Journal::new(fresh_seed());
        self.dispatch(Action::Restoring(false));
        self.0.replaying.set(false);
        self.begin();
    }

    /// The command to send for `cmd`: a `Reset` without a seed gets one from the page, so the
    /// journal knows it.
    pub fn seeded(cmd: Command) -> Command {
        match cmd {
            Command::Reset { seed: None } => Command::Reset {
                seed: Some(fresh_seed()),
            },
            c => c,
        }
    }

    /// True while a session is replayed or built: a click on a side panel then would run in the
    /// middle of it and be journalled at its end, so the page drops it.
    pub fn replaying(&self) -> bool {
        self.0.replaying.get()
    }

    /// Whether the session is being saved as it goes.
    pub fn saving(&self) -> bool {
        self.0.saving.get()
    }

    /// The engine failed on a command, which may have changed state without a reply to journal:
    /// saving stops, so the stored journal keeps the world as it was before that command.
    pub fn engine_failed(&self) -> Option<String> {
        self.0.saving.replace(false).then(|| {
            "The engine failed, so this session is no longer saved: a reload restores it as it was before the failure.".to_string()
        })
    }

    /// Journals a command that succeeded. Returns a notice the first time saving fails.
    pub fn record(&self, sent: &Sent, reply: &Reply) -> Option<String> {
        match &sent.cmd {
            Command::Snapshot => return None,
            Command::Reset { seed } => {
                // A new world (a drill's set-up): the session it replaces is put aside.
                let old = std::mem::replace(
                    &mut *self.0.journal.borrow_mut(),
                    Journal::new(seed.unwrap_or_else(fresh_seed)),
                );
                if !old.entries.is_empty() {
                    self.dispatch(Action::Notice(Some(format!(
                        "A new world: your previous session ({} commands) was put aside; Session ▸ Restore the session put aside brings it back.",
                        old.entries.len()
                    ))));
                }
                self.put_aside(old);
                // A fresh world is small again: try saving anew (it may have outgrown storage).
                self.0
                    .saving
                    .set(self.0.key.is_some() && storage().is_some());
                if seed.is_none() {
                    // Not replayable; cannot happen through `seeded`.
                    return self.fail();
                }
            }
            cmd => self.0.journal.borrow_mut().entries.push(Entry::new(
                // A clock move is journalled as far as it really went (it stops at the end of the
                // clock, or where the person stopped it): replaying that takes the same steps.
                match cmd {
                    Command::Advance { .. } if reply.error.is_none() => Command::Advance {
                        seconds: reply.snapshot.now.saturating_sub(reply.started),
                    },
                    cmd => cmd.clone(),
                },
                sent.source.clone(),
                sent.card,
                reply,
            )),
        }
        self.save()
    }

    /// Writes the journal to storage (when the session is kept there and saving works).
    fn save(&self) -> Option<String> {
        let key = self.0.key.as_ref().filter(|_| self.0.saving.get())?;
        let text = match serde_json::to_string(&*self.0.journal.borrow()) {
            Ok(t) => t,
            Err(_) => return self.fail(),
        };
        match storage().map(|s| s.set_item(key, &text)) {
            Some(Ok(())) => None,
            _ => self.fail(),
        }
    }

    /// Stops saving (removing the partial journal, which would restore a different world).
    fn fail(&self) -> Option<String> {
        if !self.0.saving.replace(false) {
            return None;
        }
        // Remove the partial journal only if it is this tab's: another tab may have saved its own.
        let seed = self.0.journal.borrow().seed;
        if let (Some(s), Some(key)) = (storage(), &self.0.key) {
            let ours = s
                .get_item(key)
                .ok()
                .flatten()
                .and_then(|t| serde_json::from_str::<Journal>(&t).ok())
                .is_some_and(|j| j.seed == seed);
            if ours {
                let _ = s.remove_item(key);
            }
        }
        Some(format!(
            "{UNSAVED} (It outgrew the space this browser gives the page, probably because of large uploads.)"
        ))
    }

    /// Sends a command outside the journal and files its reply; `then` gets the reply (None on a
    /// failure, which also shows a notice).
    fn send(&self, sent: Sent, then: impl FnOnce(Option<&Reply>) + 'static) {
        let (Some(host), Some(dispatch)) = (self.host(), self.0.dispatch.borrow().clone()) else {
            return;
        };
        let t0 = super::util::now_ms();
        let h = host.clone();
        host.send(sent.cmd.clone(), move |result| match result {
            Ok(reply) => {
                let reply = Box::new(reply);
                dispatch.dispatch(Action::Replied {
                    reply: reply.clone(),
                    sent,
                    millis: super::util::now_ms() - t0,
                    host_kind: h.kind(),
                    sealing: h.sealing(),
                });
                then(Some(&reply));
            }
            Err(e) => {
                dispatch.dispatch(Action::Failed(e));
                then(None);
            }
        });
    }
}

fn sent(cmd: Command, source: &str, card: Option<Card>) -> Sent {
    Sent {
        cmd,
        source: source.to_string(),
        card,
    }
}

fn start_sent(seed: [u8; 32]) -> Sent {
    sent(Command::Reset { seed: Some(seed) }, "Start", None)
}
