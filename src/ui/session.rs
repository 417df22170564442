//! The session survives a reload. The engine is deterministic given its 32-byte seed and the
//! sequence of protocol commands it ran, so the page keeps exactly that, never the world itself:
//! it picks the seed, starts the engine from it (`Reset { seed }`), and journals every command
//! that can change state (all but `Snapshot`) once it has succeeded, in order, in localStorage.
//! On load the journal is replayed through the same host before the page becomes interactive.
//!
//! Invariant: replaying `seed` then `entries` in order rebuilds the world the user left. Each
//! entry also carries what its reply showed (status, clock, refusal), so a journal that replays
//! differently (another build's engine) is detected and discarded rather than shown half-right.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use yew::UseReducerDispatcher;

use super::host::Host;
use super::state::{Action, AppState, Sent};
use crate::protocol::{Command, Reply};
use crate::walkthrough::Card;

/// Where the page's session lives in localStorage.
pub const KEY: &str = "cmk-playground.session.v1";

/// One journalled command, with what the page needs to file its reply again and a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Entry {
    cmd: Command,
    source: String,
    card: Option<Card>,
    check: Check,
}

/// What a command's reply showed; replay must show the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Check {
    status: Option<u16>,
    now: u64,
    refused: bool,
}

impl Check {
    fn of(reply: &Reply) -> Check {
        Check {
            status: reply.response.as_ref().map(|r| r.status),
            now: reply.snapshot.now,
            refused: reply.error.is_some(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Journal {
    seed: [u8; 32],
    entries: Vec<Entry>,
}

struct Inner {
    key: String,
    journal: RefCell<Journal>,
    /// False once storage failed (unavailable, or over quota): the session is then kept only in
    /// the tab, and the page says so once.
    saving: Cell<bool>,
    /// A saved session is being replayed; the page sends nothing else meanwhile.
    replaying: Cell<bool>,
}

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
    /// The session kept under `key` in localStorage, with a fresh seed until [`Session::start`].
    pub fn new(key: &str) -> Session {
        Session(Rc::new(Inner {
            key: key.to_string(),
            journal: RefCell::new(Journal {
                seed: fresh_seed(),
                entries: Vec::new(),
            }),
            saving: Cell::new(storage().is_some()),
            replaying: Cell::new(false),
        }))
    }

    /// Starts the page from the saved session if there is one, else from the fresh seed. Call
    /// once, when the page starts; the page becomes interactive when it is done.
    pub fn start(&self, host: Host, dispatch: UseReducerDispatcher<AppState>) {
        let session = self;
        let saved = storage().map(|s| {
            s.get_item(&self.0.key)
                .ok()
                .flatten()
                .map(|t| serde_json::from_str::<Journal>(&t))
        });
        match saved {
            None => {
                dispatch.dispatch(Action::Notice(Some(format!(
                    "{UNSAVED} (Local storage is unavailable.)"
                ))));
                session.begin(host, dispatch);
            }
            Some(None) => {
                dispatch.dispatch(Action::Saved(true));
                session.begin(host, dispatch);
            }
            Some(Some(Err(_))) => {
                session.discard(&dispatch);
                dispatch.dispatch(Action::Saved(true));
                session.begin(host, dispatch);
            }
            Some(Some(Ok(journal))) => {
                dispatch.dispatch(Action::Saved(true));
                session.replay(journal, host, dispatch);
            }
        }
    }

    /// A new world from the session's seed; the page becomes interactive with its reply.
    fn begin(&self, host: Host, dispatch: UseReducerDispatcher<AppState>) {
        let seed = self.0.journal.borrow().seed;
        send(&host, &dispatch, start_sent(seed), |_| {});
    }

    fn discard(&self, dispatch: &UseReducerDispatcher<AppState>) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&self.0.key);
        }
        dispatch.dispatch(Action::Notice(Some(
            "Your saved session could not be restored (it was saved by another version of the playground), so this is a fresh start.".into(),
        )));
    }

    /// Replays `journal` one command at a time, showing progress; on a divergence starts fresh.
    fn replay(&self, journal: Journal, host: Host, dispatch: UseReducerDispatcher<AppState>) {
        dispatch.dispatch(Action::Restoring(true));
        self.0.replaying.set(true);
        let t0 = super::util::now_ms();
        let session = self.clone();
        let entries = Rc::new(journal.entries.clone());
        *self.0.journal.borrow_mut() = journal.clone();
        send(&host, &dispatch, start_sent(journal.seed), {
            let (host, dispatch) = (host.clone(), dispatch.clone());
            move |_| session.replay_from(0, entries, t0, host, dispatch)
        });
    }

    fn replay_from(
        &self,
        k: usize,
        entries: Rc<Vec<Entry>>,
        t0: f64,
        host: Host,
        dispatch: UseReducerDispatcher<AppState>,
    ) {
        let n = entries.len();
        let Some(entry) = entries.get(k).cloned() else {
            let ms = super::util::now_ms() - t0;
            web_sys::console::log_1(
                &format!("cmk-playground: restored {n} commands in {ms:.0} ms").into(),
            );
            dispatch.dispatch(Action::Restoring(false));
            self.0.replaying.set(false);
            send(
                &host,
                &dispatch,
                sent(Command::Snapshot, "Start", None),
                |_| {},
            );
            return;
        };
        let label = format!("Restoring your session: {} of {n}", k + 1);
        dispatch.dispatch(Action::Busy(label.clone(), super::util::now_ms(), false));
        dispatch.dispatch(Action::Progress(k as f64 / n as f64, label));
        let session = self.clone();
        let expected = entry.check;
        let next = {
            let (host, dispatch) = (host.clone(), dispatch.clone());
            move |reply: Option<&Reply>| match reply {
                Some(r) if Check::of(r) == expected => {
                    session.replay_from(k + 1, entries, t0, host, dispatch)
                }
                Some(_) => session.fresh_start(host, dispatch),
                // The engine failed (its error is on screen): the saved session is not at fault,
                // so it stays for the next load, and nothing more is saved over it.
                None => {
                    session.0.saving.set(false);
                    session.0.replaying.set(false);
                    dispatch.dispatch(Action::Restoring(false));
                    dispatch.dispatch(Action::Saved(false));
                }
            }
        };
        send(
            &host,
            &dispatch,
            sent(entry.cmd, &entry.source, entry.card),
            next,
        );
    }

    /// The saved session replayed differently: forget it and start over with a new seed.
    fn fresh_start(&self, host: Host, dispatch: UseReducerDispatcher<AppState>) {
        self.discard(&dispatch);
        *self.0.journal.borrow_mut() = Journal {
            seed: fresh_seed(),
            entries: Vec::new(),
        };
        dispatch.dispatch(Action::Restoring(false));
        self.0.replaying.set(false);
        self.begin(host, dispatch);
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

    /// True while a saved session is replayed: a click on a side panel then would run in the
    /// middle of the replay and be journalled at its end, so the page drops it.
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
                *self.0.journal.borrow_mut() = Journal {
                    seed: seed.unwrap_or_else(fresh_seed),
                    entries: Vec::new(),
                };
                // A fresh world is small again: try saving anew (it may have outgrown storage).
                self.0.saving.set(storage().is_some());
                if seed.is_none() {
                    // Not replayable; cannot happen through `seeded`.
                    return self.fail();
                }
            }
            cmd => self.0.journal.borrow_mut().entries.push(Entry {
                // A clock move is journalled as far as it really went (it stops at the end of the
                // clock, or where the person stopped it): replaying that takes the same steps.
                cmd: match cmd {
                    Command::Advance { .. } if reply.error.is_none() => Command::Advance {
                        seconds: reply.snapshot.now.saturating_sub(reply.started),
                    },
                    cmd => cmd.clone(),
                },
                source: sent.source.clone(),
                card: sent.card,
                check: Check::of(reply),
            }),
        }
        if !self.0.saving.get() {
            return None;
        }
        let text = match serde_json::to_string(&*self.0.journal.borrow()) {
            Ok(t) => t,
            Err(_) => return self.fail(),
        };
        match storage().map(|s| s.set_item(&self.0.key, &text)) {
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
        if let Some(s) = storage() {
            let ours = s
                .get_item(&self.0.key)
                .ok()
                .flatten()
                .and_then(|t| serde_json::from_str::<Journal>(&t).ok())
                .is_some_and(|j| j.seed == seed);
            if ours {
                let _ = s.remove_item(&self.0.key);
            }
        }
        Some(format!(
            "{UNSAVED} (It outgrew the space this browser gives the page, probably because of large uploads.)"
        ))
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

/// Sends a command outside the journal and files its reply; `then` gets the reply (None on a
/// failure, which also shows a notice).
fn send(
    host: &Host,
    dispatch: &UseReducerDispatcher<AppState>,
    sent: Sent,
    then: impl FnOnce(Option<&Reply>) + 'static,
) {
    let t0 = super::util::now_ms();
    let (h, dispatch) = (host.clone(), dispatch.clone());
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
